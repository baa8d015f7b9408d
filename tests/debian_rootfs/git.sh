# git: init, add, commit, log, branch, merge, with a fixed identity and dates.
export GIT_AUTHOR_DATE="2020-01-01T00:00:00Z" GIT_COMMITTER_DATE="2020-01-01T00:00:00Z"
export GIT_AUTHOR_NAME=tester GIT_AUTHOR_EMAIL=t@example.com
export GIT_COMMITTER_NAME=tester GIT_COMMITTER_EMAIL=t@example.com
export HOME=/tmp/work GIT_CONFIG_NOSYSTEM=1
git init -q -b main repo && cd repo || exit 1
for i in $(seq 1 20); do seq 1 "$i" > "f$i"; done
git add . && git commit -qm one
git checkout -qb side && printf 'a\nb\nc\nd\n' > f1 && git rm -q f2 && git commit -qam two
git checkout -q main && echo x > g && git add g && git commit -qm three
git merge -q --no-edit side
echo "merge exit $?"
git log --format='%H %an %ad %s' --date=iso-strict
git branch --format='%(refname:short)'
git ls-files | wc -l
git diff --stat HEAD~2 HEAD | tail -n 1
git rev-parse HEAD^{tree}
git fsck --no-progress 2>&1 | wc -l
git gc -q && git count-objects -v | grep -c pack

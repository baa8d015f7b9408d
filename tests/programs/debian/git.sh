# git: init, add, commit, log, branch, merge.
command -v git >/dev/null || { echo "no git"; exit 0; }
d=$(mktemp -d)
cd "$d" || exit 1
export GIT_AUTHOR_DATE="2020-01-01T00:00:00Z" GIT_COMMITTER_DATE="2020-01-01T00:00:00Z" HOME="$d"
git init -q -b main repo && cd repo
git config user.email t@example.com && git config user.name tester
printf 'a\nb\nc\n' > f && git add f && git commit -qm one
git checkout -qb side && printf 'a\nb\nc\nd\n' > f && git commit -qam two
git checkout -q main && echo x > g && git add g && git commit -qm three
git merge -q --no-edit side
git log --format='%s' | sort
git branch --format='%(refname:short)'
cat f g
cd / && rm -rf "$d"

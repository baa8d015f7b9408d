/* Path resolution: "." and ".." (also at "/", through symlinks to dirs: ".." is
 * lexical on the link's target, not the link's parent), repeated slashes, symlink
 * chains (40 links ok, 41 ELOOP), self and mutual loops, ELOOP vs ENOENT on dangling
 * chains, components longer than NAME_MAX, paths at PATH_MAX (ENAMETOOLONG),
 * ENOTDIR through files, and search permission on directories (EACCES as nobody). */
#include "common.h"

static char D[64];

static void st(const char *label, const char *p) {
    struct stat s;
    if (stat(p, &s)) printf("%s: -1 %s\n", label, en(errno));
    else printf("%s: %s\n", label, S_ISDIR(s.st_mode) ? "dir" : S_ISREG(s.st_mode) ? "file" : "other");
}

static int same(const char *a, const char *b) {
    struct stat x, y;
    return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_ino == y.st_ino && x.st_dev == y.st_dev;
}

static int as_nobody(void) {
    if (setgid(65534) || setuid(65534)) return 90;
    struct stat s;
    RET("  stat through 0700 dir", stat("noexec/inner", &s));
    RET("  stat of 0700 dir itself", stat("noexec", &s));
    RET("  stat through 0644 dir", stat("noread/inner", &s));
    RET("  open dir without x for listing", open("noread", O_RDONLY | O_DIRECTORY) >= 0 ? 0 : -1);
    RET("  stat through 0711 dir", stat("xonly/inner", &s));
    RET("  open 0711 dir for listing", open("xonly", O_RDONLY | O_DIRECTORY) >= 0 ? 0 : -1);
    RET("  chdir into 0700 dir", chdir("noexec"));
    return 0;
}

int main(void) {
    setup(10);
    strcpy(D, "/tmp/vfs_path_walk.XXXXXX");
    if (!mkdtemp(D)) DIE("mkdtemp");
    if (chdir(D)) DIE("chdir");
    mkdir("a", 0755);
    mkdir("a/b", 0755);
    mkdir("a/b/c", 0755);
    close(open("a/b/c/f", O_CREAT | O_WRONLY, 0644));
    close(open("file", O_CREAT | O_WRONLY, 0644));
    symlink("a/b/c", "deep");

    st("a/b/../b/./c/f", "a/b/../b/./c/f");
    st("a//b///c////f", "a//b///c////f");
    st("./././a", "./././a");
    YN("/.. is /", same("/..", "/"));
    YN("/../../tmp is /tmp", same("/../../tmp", "/tmp"));
    YN("deep/.. is a/b (not .)", same("deep/..", "a/b"));
    YN("deep/../.. is a", same("deep/../..", "a"));
    st("deep/f", "deep/f");
    st("file/", "file/");
    st("file/.", "file/.");
    st("file/..", "file/..");
    st("file/x", "file/x");
    st("missing/..", "missing/..");
    st("a/missing/..", "a/missing/..");
    st("deep/", "deep/");
    st("trailing a/b/", "a/b/");

    /* Symlink chains: 40 links are followed, the 41st is ELOOP. */
    char name[32], target[32];
    symlink("file", "l0");
    for (int i = 1; i <= 41; i++) {
        snprintf(name, sizeof name, "l%d", i);
        snprintf(target, sizeof target, "l%d", i - 1);
        symlink(target, name);
    }
    st("chain of 40 (l39)", "l39");
    st("chain of 41 (l40)", "l40");
    st("chain of 42 (l41)", "l41");
    struct stat s;
    RET("lstat of l41", lstat("l41", &s));
    symlink("self", "self");
    st("self loop", "self");
    st("self loop as dir", "self/x");
    symlink("m2", "m1");
    symlink("m1", "m2");
    st("mutual loop", "m1");
    symlink("nothere", "dang");
    st("dangling", "dang");
    st("dangling as dir", "dang/x");
    symlink("dang", "to_dang");
    st("to dangling", "to_dang");
    /* Links in the middle of a path count towards the same limit. */
    mkdir("dl", 0755);
    symlink(".", "dl/dot");
    char p[512] = "dl";
    for (int i = 0; i < 40; i++) strcat(p, "/dot");
    st("40 dir links in path", p);
    strcat(p, "/dot");
    st("41 dir links in path", p);
    symlink("/", "rootlink");
    YN("rootlink/tmp is /tmp", same("rootlink/tmp", "/tmp"));
    YN("rootlink/.. is /", same("rootlink/..", "/"));

    /* Name lengths. */
    char longname[300];
    memset(longname, 'n', 255);
    longname[255] = 0;
    RET("create 255-char name", open(longname, O_CREAT | O_WRONLY, 0644) >= 0 ? 0 : -1);
    RET("stat 255-char name", stat(longname, &s));
    RET("unlink 255-char name", unlink(longname));
    memset(longname, 'n', 256);
    longname[256] = 0;
    RET("create 256-char name", open(longname, O_CREAT | O_WRONLY, 0644));
    RET("stat 256-char name", stat(longname, &s));
    RET("mkdir 256-char name", mkdir(longname, 0755));
    char *big = malloc(8192);
    memset(big, 0, 8192);
    strcpy(big, "/");
    while (strlen(big) < 4090) strcat(big, "./");
    RET("stat path of ~4092 chars", stat(big, &s));
    memset(big, 0, 8192);
    memset(big, '/', 4095);
    RET("stat 4095 slashes", stat(big, &s));
    memset(big, '/', 4096);
    RET("stat 4096 slashes", stat(big, &s));
    memset(big, '/', 5000);
    RET("stat 5000 slashes", stat(big, &s));
    RET("open 5000 slashes", open(big, O_RDONLY));
    RET("mkdir 5000 slashes", mkdir(big, 0755));
    RET("symlink target 4096", symlink(big + 904, "biglink"));
    big[4095] = 0;
    RET("symlink target 4095", symlink(big, "biglink"));
    free(big);
    RET("empty path", stat("", &s));

    /* Search permission. */
    mkdir("noexec", 0700);
    mkdir("noexec/inner", 0755);
    mkdir("noread", 0644);
    mkdir("noread/inner", 0755);
    mkdir("xonly", 0711);
    mkdir("xonly/inner", 0755);
    chmod(".", 0755);
    in_child("nobody", as_nobody);

    /* Cleanup. */
    for (int i = 0; i <= 41; i++) {
        snprintf(name, sizeof name, "l%d", i);
        unlink(name);
    }
    const char *f[] = {"self", "m1", "m2", "dang", "to_dang", "dl/dot", "rootlink", "deep",
                       "file", "a/b/c/f", "biglink"};
    for (unsigned i = 0; i < sizeof f / sizeof *f; i++) unlink(f[i]);
    const char *d[] = {"dl", "a/b/c", "a/b", "a", "noexec/inner", "noexec", "noread/inner",
                       "noread", "xonly/inner", "xonly"};
    for (unsigned i = 0; i < sizeof d / sizeof *d; i++) rmdir(d[i]);
    chdir("/");
    RET("rmdir tmpdir", rmdir(D));
    return 0;
}

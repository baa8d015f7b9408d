/* Renaming directories: parents' link counts after moves, ".." of a moved directory
 * naming its new parent (looked up afresh), a cwd and an open directory fd below a
 * moved directory staying usable, RENAME_EXCHANGE of a file with a
 * directory (and of directories in different parents), exchange with a descendant
 * (EINVAL), RENAME_NOREPLACE onto an empty directory (EEXIST), replacing an empty
 * directory in another parent, and a renamed cwd removed by rmdir (getcwd ENOENT). */
#include "common.h"

static char D[64];

/* D + suffix, in one of four rotating buffers. */
static const char *at(const char *suffix) {
    static char bufs[4][128];
    static int i;
    char *b = bufs[i++ % 4];
    snprintf(b, 128, "%s%s", D, suffix);
    return b;
}

static long nlink(const char *p) {
    struct stat st;
    return stat(p, &st) ? -1 : (long)st.st_nlink;
}

static int same(const char *a, const char *b) {
    struct stat x, y;
    return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_ino == y.st_ino && x.st_dev == y.st_dev;
}

static void cwd_tail(const char *label) {
    char b[512];
    if (!getcwd(b, sizeof b)) { printf("%s: -1 %s\n", label, en(errno)); return; }
    printf("%s: %s\n", label, strncmp(b, D, strlen(D)) == 0 ? b + strlen(D) : "(elsewhere)");
}

static long rn2(const char *a, const char *b, unsigned f) {
    return syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, f);
}

int main(void) {
    setup(10);
    strcpy(D, "/tmp/vfs_rename_dirs.XXXXXX");
    if (!mkdtemp(D)) DIE("mkdtemp");
    if (chdir(D)) DIE("chdir");
    mkdir("p1", 0755);
    mkdir("p2", 0755);
    mkdir("p1/c", 0755);
    mkdir("p1/c/g", 0755);
    close(open("p1/c/g/f", O_CREAT | O_WRONLY, 0644));
    printf("nlink p1 %ld p2 %ld\n", nlink("p1"), nlink("p2"));

    int dfd = open("p1/c", O_RDONLY | O_DIRECTORY);
    if (chdir("p1/c/g")) DIE("chdir g");
    cwd_tail("cwd");
    RET("rename p1/c -> p2/c", rename(at("/p1/c"), at("/p2/c")));
    printf("nlink p1 %ld p2 %ld\n", nlink(at("/p1")), nlink(at("/p2")));
    RET("relative access still works", access("f", F_OK));
    RET("openat via old dirfd", ({ int f = openat(dfd, "g/f", O_RDONLY); if (f >= 0) close(f); f < 0 ? -1 : 0; }));
    chdir(D);

    /* RENAME_EXCHANGE */
    close(open("file", O_CREAT | O_WRONLY, 0644));
    mkdir("dir", 0755);
    RET("exchange file and dir", rn2("file", "dir", RENAME_EXCHANGE));
    struct stat st;
    stat("file", &st);
    printf("'file' is now a dir: %s\n", S_ISDIR(st.st_mode) ? "yes" : "no");
    stat("dir", &st);
    printf("'dir' is now a file: %s\n", S_ISREG(st.st_mode) ? "yes" : "no");
    mkdir("p1/x", 0755);
    mkdir("p1/x/y", 0755);
    printf("before exchange: nlink p1 %ld p2 %ld\n", nlink("p1"), nlink("p2"));
    RET("exchange p1/x and p2/c (dirs, different parents)", rn2("p1/x", "p2/c", RENAME_EXCHANGE));
    printf("after exchange: nlink p1 %ld p2 %ld\n", nlink("p1"), nlink("p2"));
    YN("p1/x/g/f exists", access("p1/x/g/f", F_OK) == 0);
    YN("p2/c/y exists", access("p2/c/y", F_OK) == 0);
    YN("p1/x/.. is p1", same("p1/x/..", "p1"));
    RET("exchange with descendant", rn2("p1", "p1/x/g", RENAME_EXCHANGE));
    RET("exchange with ancestor", rn2("p1/x/g", "p1", RENAME_EXCHANGE));
    RET("exchange with itself", rn2("p1", "p1", RENAME_EXCHANGE));
    RET("exchange missing target", rn2("p1", "nope", RENAME_EXCHANGE));
    RET("exchange with NOREPLACE", rn2("p1", "p2", RENAME_EXCHANGE | RENAME_NOREPLACE));

    /* NOREPLACE and replacing directories */
    mkdir("empty", 0755);
    RET("NOREPLACE onto empty dir", rn2("p2/c", "empty", RENAME_NOREPLACE));
    RET("replace empty dir in other parent", rename("p2/c", "empty"));
    YN("empty/y exists", access("empty/y", F_OK) == 0);
    printf("nlink p2 %ld root %ld\n", nlink("p2"), nlink("."));
    RET("dir onto file", rename("empty", "dir"));
    RET("file onto dir", rename("dir", "empty"));
    RET("dir onto its own parent", rename("empty/y", "empty"));
    RET("parent onto child", rename("empty", "empty/y"));

    /* A renamed then removed cwd */
    mkdir("gone", 0755);
    chdir("gone");
    rename(at("/gone"), at("/gone2"));
    rmdir(at("/gone2"));
    cwd_tail("cwd after rmdir");
    RET("create in removed cwd", open("x", O_CREAT | O_WRONLY, 0644));
    RET("stat . in removed cwd", stat(".", &st));
    printf("nlink of removed cwd: %ld\n", (long)st.st_nlink);
    chdir(D);

    close(dfd);
    unlink("p1/x/g/f");
    rmdir("p1/x/g");
    rmdir("p1/x");
    rmdir("p1");
    rmdir("p2");
    rmdir("empty/y");
    rmdir("empty");
    rmdir("file");
    unlink("dir");
    chdir("/");
    RET("rmdir tmpdir", rmdir(D));
    return 0;
}

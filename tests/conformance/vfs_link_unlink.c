/* link/unlink/rmdir/rename errnos: link of a directory (EPERM), unlink of a directory
 * (EISDIR), rmdir of a file (ENOTDIR), of a non-empty dir (ENOTEMPTY), of "." (EINVAL)
 * and ".." (ENOTEMPTY), of a mount-less root-like path, trailing slashes on files,
 * link into a missing dir, rename of a dir over a non-empty dir, rename file over dir
 * (EISDIR), dir over file (ENOTDIR), rename of "." (EBUSY/EINVAL), hard link counts and
 * data sharing, unlinking an open file. */
#include "common.h"

static char D[64];

static long nlink(const char *p) {
    struct stat st;
    return lstat(p, &st) ? -1 : (long)st.st_nlink;
}

static void put(const char *p, const char *s) {
    int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) DIE(p);
    write(fd, s, strlen(s));
    close(fd);
}

int main(void) {
    setup(10);
    strcpy(D, "/tmp/vfs_link_unlink.XXXXXX");
    if (!mkdtemp(D)) DIE("mkdtemp");
    if (chdir(D)) DIE("chdir");
    put("f", "data");
    mkdir("d", 0755);
    mkdir("d/sub", 0755);
    mkdir("e", 0755);

    /* link */
    RET("link file", link("f", "g"));
    printf("nlink f: %ld\n", nlink("f"));
    RET("link dir", link("d", "d2"));
    RET("link to existing", link("f", "g"));
    RET("link missing source", link("nope", "x"));
    RET("link into missing dir", link("f", "nodir/x"));
    RET("link through file", link("f", "f/x"));
    RET("link trailing slash target", link("f", "h/"));
    RET("link trailing slash source", link("f/", "h"));
    RET("link empty name", link("", "h"));
    int fd = open("g", O_WRONLY | O_APPEND);
    write(fd, "+more", 5);
    close(fd);
    char buf[32] = {0};
    fd = open("f", O_RDONLY);
    read(fd, buf, sizeof buf - 1);
    close(fd);
    printf("f after write through g: %s\n", buf);

    /* unlink */
    RET("unlink dir", unlink("d"));
    RET("unlink missing", unlink("nope"));
    RET("unlink trailing slash file", unlink("g/"));
    RET("unlink trailing slash dir", unlink("d/"));
    RET("unlink through file", unlink("f/x"));
    RET("unlink .", unlink("."));
    RET("unlink g", unlink("g"));
    printf("nlink f: %ld\n", nlink("f"));

    /* Unlinking an open file keeps the data. */
    put("tmp", "still here");
    fd = open("tmp", O_RDONLY);
    RET("unlink open file", unlink("tmp"));
    struct stat st;
    fstat(fd, &st);
    printf("fstat nlink after unlink: %ld\n", (long)st.st_nlink);
    memset(buf, 0, sizeof buf);
    RET("read unlinked", read(fd, buf, sizeof buf - 1));
    printf("content: %s\n", buf);
    close(fd);

    /* rmdir */
    RET("rmdir file", rmdir("f"));
    RET("rmdir non-empty", rmdir("d"));
    RET("rmdir .", rmdir("d/sub/."));
    RET("rmdir ..", rmdir("d/sub/.."));
    RET("rmdir missing", rmdir("nope"));
    RET("rmdir trailing slash", rmdir("e/"));
    mkdir("e", 0755);
    mkdir("e/sub", 0755);
    symlink("e", "elnk");
    RET("rmdir symlink to dir", rmdir("elnk"));
    RET("rmdir through symlink", rmdir("elnk/"));
    RET("rmdir cwd", (mkdir("cw", 0755), chdir("cw"), rmdir(".")));
    RET("rmdir cwd by path", rmdir(D));
    chdir(D);
    RET("rmdir former cwd", rmdir("cw"));

    /* rename */
    put("d/sub/x", "x");
    RET("rename dir over non-empty dir", rename("e", "d"));
    RET("rename non-empty dir over empty dir", rename("d", "e"));
    RET("rename file over dir", rename("f", "e"));
    RET("rename dir over file", rename("e", "f"));
    RET("rename into own subdir", rename("e", "e/sub/y"));
    RET("rename dir to itself", rename("e", "e"));
    RET("rename .", rename(".", "zz"));
    RET("rename ..", rename("e/..", "zz"));
    RET("rename to .", rename("f", "e/."));
    RET("rename missing", rename("nope", "zz"));
    RET("rename trailing slash file", rename("f/", "zz"));
    RET("rename file to trailing slash", rename("f", "zz/"));
    RET("rename dir with trailing slashes", rename("e/", "e2/"));
    link("f", "f2");
    RET("rename hard link onto itself", rename("f", "f2"));
    printf("both names still there: %s\n", nlink("f") == 2 && nlink("f2") == 2 ? "yes" : "no");
    RET("rename symlink", rename("elnk", "elnk2"));
    YN("renamed symlink still a symlink", lstat("elnk2", &st) == 0 && S_ISLNK(st.st_mode));
    printf("nlink of parent with 1 subdir: %ld\n", nlink("e2"));
    mkdir("e2/a", 0755);
    printf("nlink of parent with 2 subdirs: %ld\n", nlink("e2"));
    RET("rename subdir out", rename("e2/a", "a"));
    printf("nlink old parent: %ld\n", nlink("e2"));

    unlink("d/sub/x");
    rmdir("d/sub");
    rmdir("d");
    rmdir("e2/sub");
    rmdir("e2");
    rmdir("a");
    unlink("elnk2");
    unlink("f");
    unlink("f2");
    chdir("/");
    RET("rmdir tmpdir", rmdir(D));
    return 0;
}

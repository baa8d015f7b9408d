/* open(2) flags: O_NOFOLLOW (ELOOP on a final symlink, fine on intermediate ones),
 * O_DIRECTORY (ENOTDIR, with O_CREAT EINVAL), O_EXCL (EEXIST, also on dangling
 * symlinks), O_TRUNC (with O_RDONLY, on a dir), O_APPEND with pwrite (appends on Linux),
 * O_CREAT mode & ~umask, O_WRONLY|O_RDWR, trailing slashes, opening dirs for write. */
#include "common.h"

static char D[64];

static void mode_of(const char *label, const char *p) {
    struct stat st;
    if (stat(p, &st)) printf("%s: -1 %s\n", label, en(errno));
    else printf("%s: %o\n", label, st.st_mode & 07777);
}

static long size_of(const char *p) {
    struct stat st;
    return stat(p, &st) ? -1 : (long)st.st_size;
}

static void ok_close(const char *label, int fd) {
    if (fd >= 0) { printf("%s: ok\n", label); close(fd); }
    else printf("%s: -1 %s\n", label, en(errno));
}

int main(void) {
    setup(10);
    strcpy(D, "/tmp/vfs_open_flags.XXXXXX");
    if (!mkdtemp(D)) DIE("mkdtemp");
    if (chdir(D)) DIE("chdir");
    int fd = open("file", O_CREAT | O_WRONLY, 0644);
    if (fd < 0 || write(fd, "hello world", 11) != 11) DIE("file");
    close(fd);
    mkdir("dir", 0755);
    symlink("file", "lnk");
    symlink("dir", "dlnk");
    symlink("missing", "dangling");

    /* O_NOFOLLOW */
    ok_close("O_NOFOLLOW on file", open("file", O_RDONLY | O_NOFOLLOW));
    ok_close("O_NOFOLLOW on symlink", open("lnk", O_RDONLY | O_NOFOLLOW));
    ok_close("O_NOFOLLOW on dangling", open("dangling", O_RDONLY | O_NOFOLLOW));
    ok_close("O_NOFOLLOW|O_CREAT on dangling", open("dangling", O_RDWR | O_CREAT | O_NOFOLLOW, 0644));
    ok_close("O_NOFOLLOW intermediate symlink", open("dlnk/.", O_RDONLY | O_NOFOLLOW));
    ok_close("O_NOFOLLOW|O_PATH on symlink", open("lnk", O_PATH | O_NOFOLLOW));
    ok_close("O_NOFOLLOW|O_DIRECTORY on dir symlink", open("dlnk", O_RDONLY | O_NOFOLLOW | O_DIRECTORY));

    /* O_DIRECTORY */
    ok_close("O_DIRECTORY on dir", open("dir", O_RDONLY | O_DIRECTORY));
    ok_close("O_DIRECTORY on file", open("file", O_RDONLY | O_DIRECTORY));
    ok_close("O_DIRECTORY via symlink", open("dlnk", O_RDONLY | O_DIRECTORY));
    ok_close("O_DIRECTORY missing", open("nope", O_RDONLY | O_DIRECTORY));
    ok_close("O_DIRECTORY|O_CREAT new", open("newdir", O_RDONLY | O_DIRECTORY | O_CREAT, 0755));
    YN("O_DIRECTORY|O_CREAT created nothing", access("newdir", F_OK) != 0);
    ok_close("O_DIRECTORY|O_CREAT existing dir", open("dir", O_RDONLY | O_DIRECTORY | O_CREAT, 0755));

    /* Directories and write access */
    ok_close("dir O_WRONLY", open("dir", O_WRONLY));
    ok_close("dir O_RDWR", open("dir", O_RDWR));
    ok_close("dir O_CREAT", open("dir", O_RDONLY | O_CREAT, 0644));
    ok_close("dir O_TRUNC rdonly", open("dir", O_RDONLY | O_TRUNC));
    ok_close("file trailing slash", open("file/", O_RDONLY));
    ok_close("dir trailing slash", open("dir/", O_RDONLY));
    ok_close("create with trailing slash", open("newf/", O_RDWR | O_CREAT, 0644));
    ok_close("O_WRONLY|O_RDWR (3)", open("file", O_WRONLY | O_RDWR));
    fd = open("file", 3);
    if (fd >= 0) {
        char c;
        RET("  read on mode 3", read(fd, &c, 1));
        RET("  write on mode 3", write(fd, "x", 1));
        close(fd);
    }

    /* O_EXCL */
    ok_close("O_CREAT|O_EXCL existing", open("file", O_CREAT | O_EXCL | O_RDWR, 0644));
    ok_close("O_CREAT|O_EXCL symlink", open("lnk", O_CREAT | O_EXCL | O_RDWR, 0644));
    ok_close("O_CREAT|O_EXCL dangling", open("dangling", O_CREAT | O_EXCL | O_RDWR, 0644));
    YN("dangling target still missing", access("missing", F_OK) != 0);
    ok_close("O_CREAT|O_EXCL new", open("excl", O_CREAT | O_EXCL | O_RDWR, 0600));
    ok_close("O_CREAT|O_EXCL dir", open("dir", O_CREAT | O_EXCL | O_RDONLY, 0600));
    ok_close("O_CREAT dangling creates target", open("dangling", O_CREAT | O_WRONLY, 0600));
    YN("dangling target now exists", access("missing", F_OK) == 0);
    ok_close("O_EXCL without O_CREAT", open("file", O_EXCL | O_RDONLY));

    /* O_TRUNC */
    ok_close("O_TRUNC|O_RDONLY", open("file", O_RDONLY | O_TRUNC));
    printf("size after O_RDONLY|O_TRUNC: %ld\n", size_of("file"));
    fd = open("file", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    write(fd, "0123456789", 10);
    close(fd);
    ok_close("O_TRUNC|O_WRONLY", open("file", O_WRONLY | O_TRUNC));
    printf("size after O_WRONLY|O_TRUNC: %ld\n", size_of("file"));
    ok_close("O_TRUNC via symlink", open("lnk", O_WRONLY | O_TRUNC));

    /* O_APPEND */
    fd = open("app", O_CREAT | O_RDWR | O_APPEND, 0644);
    RET("append write", write(fd, "abc", 3));
    RET("lseek 0", lseek(fd, 0, SEEK_SET));
    RET("append write after seek", write(fd, "def", 3));
    RET("offset after append", lseek(fd, 0, SEEK_CUR));
    RET("pwrite at 0 with O_APPEND", pwrite(fd, "XY", 2, 0));
    RET("size", size_of("app"));
    char buf[32] = {0};
    RET("pread all", pread(fd, buf, sizeof buf - 1, 0));
    printf("content: %s\n", buf);
    RET("clear O_APPEND", fcntl(fd, F_SETFL, 0));
    RET("pwrite at 0 without O_APPEND", pwrite(fd, "ZZ", 2, 0));
    memset(buf, 0, sizeof buf);
    pread(fd, buf, sizeof buf - 1, 0);
    printf("content: %s\n", buf);
    close(fd);

    /* O_CREAT mode and umask */
    umask(022);
    ok_close("create 0777 umask 022", open("m1", O_CREAT | O_WRONLY, 0777));
    mode_of("m1 mode", "m1");
    umask(077);
    ok_close("create 0666 umask 077", open("m2", O_CREAT | O_WRONLY, 0666));
    mode_of("m2 mode", "m2");
    umask(0);
    ok_close("create 07777 umask 0", open("m3", O_CREAT | O_WRONLY, 07777));
    mode_of("m3 mode", "m3");
    ok_close("create 0 mode", open("m4", O_CREAT | O_RDWR, 0));
    mode_of("m4 mode", "m4");
    ok_close("existing file mode unchanged", open("m2", O_CREAT | O_WRONLY, 0777));
    mode_of("m2 mode again", "m2");
    umask(022);
    mkdir("md", 0777);
    mode_of("mkdir 0777 umask 022", "md");
    mkdir("md2", 01777);
    mode_of("mkdir 01777 umask 022", "md2");

    /* Unknown flags are ignored by open (not by openat2). */
    ok_close("unknown high flag", open("file", O_RDONLY | 0x40000000));

    const char *files[] = {"file", "lnk", "dlnk", "dangling", "missing", "excl", "app",
                           "m1", "m2", "m3", "m4"};
    for (unsigned i = 0; i < sizeof files / sizeof *files; i++) unlink(files[i]);
    rmdir("dir");
    rmdir("md");
    rmdir("md2");
    chdir("/");
    RET("rmdir tmpdir", rmdir(D));
    return 0;
}

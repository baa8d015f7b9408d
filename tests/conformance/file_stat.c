/* fstat/newfstatat/statx: size, file type bits, permission bits, nlink (files, dirs,
 * hard links), AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, st_blksize sanity, consistency
 * of st_ino/st_dev between calls, chmod/truncate effects. */
#include "common.h"
#include <sys/sysmacros.h>

static const char *type(mode_t m) {
    return S_ISREG(m) ? "reg" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "lnk" : S_ISCHR(m) ? "chr" : S_ISFIFO(m) ? "fifo" : S_ISSOCK(m) ? "sock" : "other";
}

int main(void) {
    setup(10);
    umask(022);
    const char *dir = "/tmp/husk-file_stat";
    mkdir(dir, 0755);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    int fd = openat(dfd, "f", O_CREAT | O_RDWR | O_TRUNC, 0640);
    write(fd, "hello world", 11);
    struct stat a, b;
    RET("fstat", fstat(fd, &a));
    printf("file: type=%s mode=%04o size=%ld nlink=%ld blksize>0=%s\n", type(a.st_mode), a.st_mode & 07777,
           (long)a.st_size, (long)a.st_nlink, a.st_blksize > 0 ? "yes" : "no");
    RET("newfstatat", fstatat(dfd, "f", &b, 0));
    YN("same ino and dev", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
    YN("uid/gid match euid/egid", a.st_uid == geteuid() && a.st_gid == getegid());
    RET("AT_EMPTY_PATH", fstatat(fd, "", &b, AT_EMPTY_PATH));
    YN("AT_EMPTY_PATH same ino", a.st_ino == b.st_ino);
    RET("linkat", linkat(dfd, "f", dfd, "g", 0));
    fstat(fd, &a);
    printf("nlink after link: %ld\n", (long)a.st_nlink);
    symlinkat("f", dfd, "s");
    fstatat(dfd, "s", &b, AT_SYMLINK_NOFOLLOW);
    printf("symlink nofollow: type=%s size=%ld\n", type(b.st_mode), (long)b.st_size);
    fstatat(dfd, "s", &b, 0);
    printf("symlink follow: type=%s size=%ld\n", type(b.st_mode), (long)b.st_size);
    fchmod(fd, 04751);
    ftruncate(fd, 3);
    fstat(fd, &a);
    printf("after fchmod 4751 + ftruncate 3: mode=%04o size=%ld\n", a.st_mode & 07777, (long)a.st_size);
    struct stat d;
    mkdirat(dfd, "sub", 0755);
    fstatat(dfd, "sub", &d, 0);
    printf("new dir: type=%s mode=%04o nlink=%ld\n", type(d.st_mode), d.st_mode & 07777, (long)d.st_nlink);
    mkdirat(dfd, "sub/inner", 0700);
    fstatat(dfd, "sub", &d, 0);
    printf("dir with one subdir: nlink=%ld\n", (long)d.st_nlink);
    stat("/dev/null", &d);
    printf("/dev/null: type=%s rdev major=%u minor=%u\n", type(d.st_mode), major(d.st_rdev), minor(d.st_rdev));
    int p[2];
    pipe(p);
    fstat(p[0], &d);
    printf("pipe: type=%s\n", type(d.st_mode));

    struct statx sx;
    memset(&sx, 0, sizeof sx);
    RET("statx", statx(dfd, "f", 0, STATX_BASIC_STATS, &sx));
    printf("statx: basic mask set=%s type=%s mode=%04o size=%llu nlink=%u\n",
           (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS ? "yes" : "no", type(sx.stx_mode), sx.stx_mode & 07777,
           (unsigned long long)sx.stx_size, sx.stx_nlink);
    YN("statx ino == fstat ino", sx.stx_ino == a.st_ino);
    RET("statx nofollow symlink", statx(dfd, "s", AT_SYMLINK_NOFOLLOW, STATX_TYPE, &sx));
    printf("statx symlink type=%s\n", type(sx.stx_mode));
    RET("statx bad flags", statx(dfd, "f", 0x40000000, STATX_BASIC_STATS, &sx));
    RET("stat ENOENT", stat("/tmp/husk-file_stat/nope", &d));
    RET("stat ENOTDIR", stat("/tmp/husk-file_stat/f/x", &d));
    RET("fstat bad fd", fstat(999, &d));
    RET("fstatat empty path without flag", fstatat(dfd, "", &d, 0));
    RET("stat bad pointer", syscall(SYS_newfstatat, AT_FDCWD, "/", (void *)8, 0));

    unlinkat(dfd, "sub/inner", AT_REMOVEDIR);
    unlinkat(dfd, "sub", AT_REMOVEDIR);
    unlinkat(dfd, "s", 0);
    unlinkat(dfd, "g", 0);
    fstat(fd, &a);
    printf("nlink after unlinking g: %ld\n", (long)a.st_nlink);
    unlinkat(dfd, "f", 0);
    fstat(fd, &a);
    printf("nlink of open unlinked file: %ld\n", (long)a.st_nlink);
    close(fd);
    close(dfd);
    RET("rmdir", rmdir(dir));
    return 0;
}

/* The *at flags: AT_SYMLINK_NOFOLLOW on fstatat/fchownat/utimensat/fchmodat/faccessat,
 * AT_SYMLINK_FOLLOW on linkat (default: link the symlink itself), AT_EMPTY_PATH on
 * fstatat/fchownat/linkat/statx (with regular fds, dirfd = AT_FDCWD), empty paths
 * without the flag (ENOENT), and invalid flag bits (EINVAL). */
#include "common.h"
#include <sys/stat.h>

static char D[64];

static int is_link(const char *p) {
    struct stat st;
    return lstat(p, &st) == 0 && S_ISLNK(st.st_mode);
}

static long ino_of(const char *p, int flags) {
    struct stat st;
    return fstatat(AT_FDCWD, p, &st, flags) ? -1 : (long)st.st_ino;
}

int main(void) {
    setup(10);
    strcpy(D, "/tmp/vfs_at_flags.XXXXXX");
    if (!mkdtemp(D)) DIE("mkdtemp");
    if (chdir(D)) DIE("chdir");
    int fd = open("file", O_CREAT | O_RDWR, 0640);
    if (fd < 0 || write(fd, "12345", 5) != 5) DIE("file");
    symlink("file", "lnk");
    symlink("nowhere", "dangling");
    mkdir("dir", 0755);
    struct stat st, st2;

    /* fstatat */
    RET("fstatat follow", fstatat(AT_FDCWD, "lnk", &st, 0));
    printf("  regular: %s size %ld\n", S_ISREG(st.st_mode) ? "yes" : "no", (long)st.st_size);
    RET("fstatat nofollow", fstatat(AT_FDCWD, "lnk", &st, AT_SYMLINK_NOFOLLOW));
    printf("  link: %s size %ld\n", S_ISLNK(st.st_mode) ? "yes" : "no", (long)st.st_size);
    RET("fstatat dangling follow", fstatat(AT_FDCWD, "dangling", &st, 0));
    RET("fstatat dangling nofollow", fstatat(AT_FDCWD, "dangling", &st, AT_SYMLINK_NOFOLLOW));
    RET("fstatat empty path no flag", fstatat(fd, "", &st, 0));
    RET("fstatat AT_EMPTY_PATH fd", fstatat(fd, "", &st, AT_EMPTY_PATH));
    fstat(fd, &st2);
    YN("  same inode as fstat", st.st_ino == st2.st_ino);
    RET("fstatat AT_EMPTY_PATH AT_FDCWD", fstatat(AT_FDCWD, "", &st, AT_EMPTY_PATH));
    YN("  is the cwd", S_ISDIR(st.st_mode) && stat(".", &st2) == 0 && st.st_ino == st2.st_ino);
    RET("fstatat AT_EMPTY_PATH non-empty path", fstatat(AT_FDCWD, "file", &st, AT_EMPTY_PATH));
    RET("fstatat bad flag", fstatat(AT_FDCWD, "file", &st, 0x4));
    RET("fstatat relative with file fd", fstatat(fd, "x", &st, 0));
    RET("fstatat absolute ignores bad dirfd", fstatat(-7, "/tmp", &st, 0));
    RET("fstatat relative with bad dirfd", fstatat(-7, "file", &st, 0));
    RET("fstatat bad fd AT_EMPTY_PATH", fstatat(999, "", &st, AT_EMPTY_PATH));

    /* statx */
    struct statx sx;
    RET("statx AT_EMPTY_PATH", statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx));
    printf("  size %ld\n", (long)sx.stx_size);
    RET("statx nofollow", statx(AT_FDCWD, "lnk", AT_SYMLINK_NOFOLLOW, STATX_TYPE, &sx));
    YN("  is link", S_ISLNK(sx.stx_mode));
    RET("statx bad flag", statx(AT_FDCWD, "lnk", 0x10000000, STATX_TYPE, &sx));
    RET("statx reserved mask", statx(AT_FDCWD, "lnk", 0, 0x80000000u, &sx));

    /* fchownat */
    RET("fchownat follow", fchownat(AT_FDCWD, "lnk", 1, 2, 0));
    fstat(fd, &st);
    printf("  file owner %d:%d\n", st.st_uid, st.st_gid);
    lstat("lnk", &st);
    printf("  link owner %d:%d\n", st.st_uid, st.st_gid);
    RET("fchownat nofollow", fchownat(AT_FDCWD, "lnk", 3, 4, AT_SYMLINK_NOFOLLOW));
    lstat("lnk", &st);
    printf("  link owner %d:%d\n", st.st_uid, st.st_gid);
    stat("file", &st);
    printf("  file owner %d:%d\n", st.st_uid, st.st_gid);
    RET("fchownat AT_EMPTY_PATH", fchownat(fd, "", 5, 6, AT_EMPTY_PATH));
    fstat(fd, &st);
    printf("  file owner %d:%d\n", st.st_uid, st.st_gid);
    RET("fchownat empty no flag", fchownat(fd, "", 5, 6, 0));
    RET("fchownat dangling follow", fchownat(AT_FDCWD, "dangling", 0, 0, 0));
    RET("fchownat dangling nofollow", fchownat(AT_FDCWD, "dangling", 0, 0, AT_SYMLINK_NOFOLLOW));
    RET("fchownat bad flag", fchownat(AT_FDCWD, "file", 0, 0, 0x8000));
    fchown(fd, 0, 0);

    /* fchmodat */
    RET("fchmodat follow", fchmodat(AT_FDCWD, "lnk", 0600, 0));
    stat("file", &st);
    printf("  file mode %o\n", st.st_mode & 07777);
    errno = 0;
    long r = syscall(SYS_fchmodat, AT_FDCWD, "lnk", 0600, AT_SYMLINK_NOFOLLOW);
    printf("fchmodat syscall ignores flags arg: %ld %s\n", r, r ? en(errno) : "");
    RET("fchmodat on dir", fchmodat(AT_FDCWD, "dir", 0700, 0));
    stat("dir", &st);
    printf("  dir mode %o\n", st.st_mode & 07777);

    /* faccessat */
    RET("faccessat dangling", faccessat(AT_FDCWD, "dangling", F_OK, 0));
    RET("faccessat dangling nofollow", faccessat(AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
    RET("faccessat bad flag", faccessat(AT_FDCWD, "file", F_OK, 0x1));
    RET("faccessat bad mode", faccessat(AT_FDCWD, "file", 0x10, 0));
    RET("faccessat2 AT_EMPTY_PATH", syscall(SYS_faccessat2, fd, "", R_OK | W_OK, AT_EMPTY_PATH));

    /* utimensat */
    struct timespec ts[2] = {{1000, 0}, {2000, 0}};
    RET("utimensat nofollow on link", utimensat(AT_FDCWD, "lnk", ts, AT_SYMLINK_NOFOLLOW));
    lstat("lnk", &st);
    stat("file", &st2);
    printf("  link mtime %ld, file mtime is 2000: %s\n", (long)st.st_mtime, st2.st_mtime == 2000 ? "yes" : "no");
    ts[1].tv_sec = 3000;
    RET("utimensat follow", utimensat(AT_FDCWD, "lnk", ts, 0));
    stat("file", &st2);
    printf("  file mtime %ld\n", (long)st2.st_mtime);
    RET("utimensat bad flag", utimensat(AT_FDCWD, "file", ts, 0x2));
    RET("utimensat dangling nofollow", utimensat(AT_FDCWD, "dangling", ts, AT_SYMLINK_NOFOLLOW));
    RET("utimensat dangling follow", utimensat(AT_FDCWD, "dangling", ts, 0));
    RET("utimensat empty path AT_EMPTY_PATH", utimensat(fd, "", ts, AT_EMPTY_PATH));

    /* linkat */
    RET("linkat symlink (no follow)", linkat(AT_FDCWD, "lnk", AT_FDCWD, "l1", 0));
    YN("  l1 is a symlink", is_link("l1"));
    RET("linkat AT_SYMLINK_FOLLOW", linkat(AT_FDCWD, "lnk", AT_FDCWD, "l2", AT_SYMLINK_FOLLOW));
    YN("  l2 is a symlink", is_link("l2"));
    YN("  l2 is the file", ino_of("l2", 0) == ino_of("file", 0));
    RET("linkat dangling follow", linkat(AT_FDCWD, "dangling", AT_FDCWD, "l3", AT_SYMLINK_FOLLOW));
    RET("linkat dangling no follow", linkat(AT_FDCWD, "dangling", AT_FDCWD, "l3", 0));
    RET("linkat AT_EMPTY_PATH", linkat(fd, "", AT_FDCWD, "l4", AT_EMPTY_PATH));
    YN("  l4 is the file", ino_of("l4", 0) == ino_of("file", 0));
    RET("linkat empty without flag", linkat(fd, "", AT_FDCWD, "l5", 0));
    RET("linkat dir", linkat(AT_FDCWD, "dir", AT_FDCWD, "l6", 0));
    int dfd = open("dir", O_RDONLY | O_DIRECTORY);
    RET("linkat AT_EMPTY_PATH dir", linkat(dfd, "", AT_FDCWD, "l7", AT_EMPTY_PATH));
    RET("linkat to existing", linkat(AT_FDCWD, "file", AT_FDCWD, "l4", 0));
    RET("linkat bad flags", linkat(AT_FDCWD, "file", AT_FDCWD, "l8", AT_SYMLINK_NOFOLLOW));
    stat("file", &st);
    printf("file nlink: %ld\n", (long)st.st_nlink);
    close(dfd);
    close(fd);

    /* unlinkat flags */
    RET("unlinkat bad flags", unlinkat(AT_FDCWD, "l1", AT_SYMLINK_NOFOLLOW));
    RET("unlinkat symlink to dir with AT_REMOVEDIR", (symlink("dir", "dl"), unlinkat(AT_FDCWD, "dl", AT_REMOVEDIR)));

    const char *files[] = {"file", "lnk", "dangling", "l1", "l2", "l3", "l4", "dl"};
    for (unsigned i = 0; i < sizeof files / sizeof *files; i++) unlink(files[i]);
    rmdir("dir");
    chdir("/");
    RET("rmdir tmpdir", rmdir(D));
    return 0;
}

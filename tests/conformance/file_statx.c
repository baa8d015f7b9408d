/* statx: the basic mask returned for files, directories, symlinks, pipes and fds;
 * stx_mode/stx_size/stx_nlink after link, unlink and truncate; AT_SYMLINK_NOFOLLOW,
 * AT_EMPTY_PATH on an fd (and ENOENT without it), AT_STATX_SYNC_AS_STAT /
 * FORCE_SYNC / DONT_SYNC accepted, both sync flags together EINVAL, reserved mask bit
 * STATX__RESERVED EINVAL, unknown flags EINVAL, NULL buffer EFAULT, stx_blksize and
 * stx_blocks sanity, agreement of statx with fstat. */
#include "common.h"
#include <sys/stat.h>
#include <sys/sysmacros.h>

static char dir[64];

static int sx(int dfd, const char *p, int flags, unsigned mask, struct statx *st) {
    memset(st, 0xa5, sizeof *st);
    return statx(dfd, p, flags, mask, st);
}

int main(void) {
    setup(10);
    struct statx st;
    char f[128], l[128], s[128];
    strcpy(dir, "/tmp/statxXXXXXX");
    if (!mkdtemp(dir)) DIE("mkdtemp");
    snprintf(f, sizeof f, "%s/f", dir);
    snprintf(l, sizeof l, "%s/l", dir);
    snprintf(s, sizeof s, "%s/s", dir);
    int fd = open(f, O_RDWR | O_CREAT | O_EXCL, 0640);
    if (fd < 0) DIE("open");
    if (write(fd, "hello world", 11) != 11) DIE("write");

    RET("statx file", sx(AT_FDCWD, f, 0, STATX_BASIC_STATS, &st));
    YN("file basic stats in mask", (st.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
    YN("file S_ISREG", S_ISREG(st.stx_mode));
    printf("file perms: %o\n", st.stx_mode & 07777);
    printf("file size: %llu\n", (unsigned long long)st.stx_size);
    printf("file nlink: %u\n", st.stx_nlink);
    YN("file uid 0", st.stx_uid == 0);
    YN("blksize > 0", st.stx_blksize > 0);
    YN("blocks > 0", st.stx_blocks > 0);
    YN("mtime nsec < 1e9", st.stx_mtime.tv_nsec < 1000000000u);

    struct stat ss;
    if (fstat(fd, &ss) != 0) DIE("fstat");
    YN("ino agrees with fstat", st.stx_ino == ss.st_ino);
    YN("dev agrees with fstat", makedev(st.stx_dev_major, st.stx_dev_minor) == ss.st_dev);
    YN("mtime agrees with fstat", (long)st.stx_mtime.tv_sec == (long)ss.st_mtim.tv_sec &&
                                       st.stx_mtime.tv_nsec == (unsigned)ss.st_mtim.tv_nsec);

    RET("link", link(f, l));
    RET("statx after link", sx(AT_FDCWD, f, 0, STATX_NLINK, &st));
    YN("NLINK in mask", st.stx_mask & STATX_NLINK);
    printf("nlink after link: %u\n", st.stx_nlink);
    RET("unlink f", unlink(f));
    RET("statx l", sx(AT_FDCWD, l, 0, STATX_BASIC_STATS, &st));
    printf("nlink after unlink: %u\n", st.stx_nlink);
    RET("statx unlinked ENOENT", sx(AT_FDCWD, f, 0, STATX_BASIC_STATS, &st));

    RET("ftruncate 100", ftruncate(fd, 100));
    RET("statx empty path", sx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &st));
    YN("SIZE in mask", st.stx_mask & STATX_SIZE);
    printf("size via fd: %llu\n", (unsigned long long)st.stx_size);
    RET("statx empty path without flag", sx(fd, "", 0, STATX_SIZE, &st));
    RET("unlink l", unlink(l));
    RET("statx deleted via fd", sx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &st));
    printf("deleted nlink: %u\n", st.stx_nlink);
    close(fd);

    RET("symlink", symlink("target-does-not-exist", s));
    RET("statx dangling follow", sx(AT_FDCWD, s, 0, STATX_BASIC_STATS, &st));
    RET("statx nofollow", sx(AT_FDCWD, s, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &st));
    YN("S_ISLNK", S_ISLNK(st.stx_mode));
    printf("symlink size: %llu\n", (unsigned long long)st.stx_size);
    printf("symlink perms: %o\n", st.stx_mode & 07777);

    RET("statx dir", sx(AT_FDCWD, dir, 0, STATX_BASIC_STATS, &st));
    YN("S_ISDIR", S_ISDIR(st.stx_mode));
    printf("dir nlink: %u\n", st.stx_nlink);
    printf("dir perms: %o\n", st.stx_mode & 07777);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0) DIE("open dir");
    RET("statx relative to dirfd", sx(dfd, "s", AT_SYMLINK_NOFOLLOW, STATX_TYPE, &st));
    YN("relative S_ISLNK", S_ISLNK(st.stx_mode));
    RET("statx closed dirfd", sx(1000, "s", 0, STATX_TYPE, &st));

    int p[2];
    if (pipe(p) != 0) DIE("pipe");
    RET("statx pipe", sx(p[0], "", AT_EMPTY_PATH, STATX_BASIC_STATS, &st));
    YN("S_ISFIFO", S_ISFIFO(st.stx_mode));
    printf("pipe perms: %o\n", st.stx_mode & 07777);
    printf("pipe size: %llu\n", (unsigned long long)st.stx_size);
    RET("statx relative to pipe ENOTDIR", sx(p[0], "x", 0, STATX_TYPE, &st));

    RET("sync as stat", sx(AT_FDCWD, dir, AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS, &st));
    RET("force sync", sx(AT_FDCWD, dir, AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &st));
    RET("dont sync", sx(AT_FDCWD, dir, AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &st));
    RET("both sync flags", sx(AT_FDCWD, dir, AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &st));
    RET("reserved mask bit", sx(AT_FDCWD, dir, 0, 0x80000000u, &st));
    RET("unknown flag", sx(AT_FDCWD, dir, 0x40000000, STATX_BASIC_STATS, &st));
    RET("mask 0", sx(AT_FDCWD, dir, 0, 0, &st));
    YN("mask 0 still gives type", S_ISDIR(st.stx_mode));
    RET("NULL buffer", syscall(SYS_statx, AT_FDCWD, dir, 0, STATX_BASIC_STATS, NULL));
    RET("NULL path", syscall(SYS_statx, AT_FDCWD, NULL, 0, STATX_BASIC_STATS, &st));
    RET("empty path no flag", sx(AT_FDCWD, "", 0, STATX_BASIC_STATS, &st));
    RET("bad fd", sx(-5, "x", 0, STATX_BASIC_STATS, &st));
    RET("bad fd absolute ok", sx(-5, dir, 0, STATX_BASIC_STATS, &st));

    unlink(s);
    close(dfd);
    RET("rmdir", rmdir(dir));
    return 0;
}

/* O_PATH file descriptors: what works (fstat, fstatfs, fchdir, dup, fcntl F_GETFL/
 * F_SETFD/F_DUPFD, use as a dirfd, *at with AT_EMPTY_PATH, readlinkat "" on a symlink,
 * reopening through /proc/self/fd) and what fails with EBADF (read, write, lseek,
 * fchmod, fchown, ftruncate, fsync, getdents64, mmap, flock, fcntl locks, fgetxattr). */
#include "common.h"
#include <sys/file.h>
#include <sys/statfs.h>
#include <sys/xattr.h>

static char D[64];

int main(void) {
    setup(10);
    strcpy(D, "/tmp/vfs_opath.XXXXXX");
    if (!mkdtemp(D)) DIE("mkdtemp");
    if (chdir(D)) DIE("chdir");
    int w = open("file", O_CREAT | O_WRONLY, 0644);
    if (w < 0 || write(w, "contents", 8) != 8) DIE("file");
    close(w);
    mkdir("dir", 0755);
    symlink("file", "lnk");

    int fd = open("file", O_PATH);
    if (fd < 0) DIE("O_PATH open");
    printf("F_GETFL has O_PATH: %s\n", (fcntl(fd, F_GETFL) & O_PATH) ? "yes" : "no");
    printf("F_GETFL access mode: %d\n", fcntl(fd, F_GETFL) & O_ACCMODE);
    RET("F_GETFD", fcntl(fd, F_GETFD));
    RET("F_SETFD cloexec", fcntl(fd, F_SETFD, FD_CLOEXEC));
    RET("F_GETFD again", fcntl(fd, F_GETFD));
    int d = fcntl(fd, F_DUPFD, 0);
    YN("F_DUPFD works", d >= 0);
    RET("F_GETFD of dup (cloexec cleared)", fcntl(d, F_GETFD));
    close(d);
    d = dup(fd);
    YN("dup works", d >= 0);
    close(d);
    struct stat st;
    RET("fstat", fstat(fd, &st));
    printf("fstat size: %ld, regular: %s\n", (long)st.st_size, S_ISREG(st.st_mode) ? "yes" : "no");
    struct statfs sfs;
    RET("fstatfs", fstatfs(fd, &sfs));
    RET("fstatat AT_EMPTY_PATH", fstatat(fd, "", &st, AT_EMPTY_PATH));
    RET("fstatat without AT_EMPTY_PATH", fstatat(fd, "", &st, 0));
    RET("fchownat AT_EMPTY_PATH", fchownat(fd, "", -1, -1, AT_EMPTY_PATH));
    RET("faccessat2 AT_EMPTY_PATH", syscall(SYS_faccessat2, fd, "", R_OK, AT_EMPTY_PATH));

    char buf[32];
    RET("read", read(fd, buf, sizeof buf));
    RET("write", write(fd, "x", 1));
    RET("pread", pread(fd, buf, 4, 0));
    RET("lseek", lseek(fd, 0, SEEK_SET));
    RET("fchmod", fchmod(fd, 0600));
    RET("fchown", fchown(fd, 0, 0));
    RET("ftruncate", ftruncate(fd, 0));
    RET("fsync", fsync(fd));
    RET("fdatasync", fdatasync(fd));
    RET("flock", flock(fd, LOCK_SH));
    struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET};
    RET("F_SETLK", fcntl(fd, F_SETLK, &fl));
    RET("F_GETLK", fcntl(fd, F_GETLK, &fl));
    RET("fgetxattr", fgetxattr(fd, "user.x", buf, sizeof buf));
    RET("fsetxattr", fsetxattr(fd, "user.x", "v", 1, 0));
    void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    printf("mmap: %s\n", m == MAP_FAILED ? en(errno) : "ok");
    RET("F_SETFL O_NONBLOCK", fcntl(fd, F_SETFL, O_NONBLOCK));
    printf("size after all: %ld\n", stat("file", &st) == 0 ? (long)st.st_size : -1L);

    /* Reopen through /proc/self/fd. */
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    int r = open(p, O_RDONLY);
    YN("reopen via /proc/self/fd", r >= 0);
    memset(buf, 0, sizeof buf);
    RET("read reopened", read(r, buf, sizeof buf - 1));
    printf("content: %s\n", buf);
    close(r);
    close(fd);

    /* Directory O_PATH: dirfd for *at, fchdir, getdents fails. */
    int dfd = open("dir", O_PATH | O_DIRECTORY);
    YN("O_PATH|O_DIRECTORY dir", dfd >= 0);
    RET("O_PATH|O_DIRECTORY on file", open("file", O_PATH | O_DIRECTORY));
    int c = openat(dfd, "new", O_CREAT | O_WRONLY, 0644);
    YN("openat relative to O_PATH dir", c >= 0);
    close(c);
    RET("mkdirat relative", mkdirat(dfd, "sub", 0755));
    RET("unlinkat relative", unlinkat(dfd, "sub", AT_REMOVEDIR));
    RET("getdents64", syscall(SYS_getdents64, dfd, buf, sizeof buf));
    RET("fchdir", fchdir(dfd));
    RET("access new after fchdir", access("new", F_OK));
    chdir(D);
    unlinkat(dfd, "new", 0);
    close(dfd);

    /* Symlink O_PATH|O_NOFOLLOW. */
    int lfd = open("lnk", O_PATH | O_NOFOLLOW);
    YN("O_PATH|O_NOFOLLOW symlink", lfd >= 0);
    RET("fstat is link", fstat(lfd, &st) == 0 && S_ISLNK(st.st_mode));
    memset(buf, 0, sizeof buf);
    RET("readlinkat empty path", readlinkat(lfd, "", buf, sizeof buf));
    printf("link: %s\n", buf);
    RET("fchownat link AT_EMPTY_PATH", fchownat(lfd, "", -1, -1, AT_EMPTY_PATH));
    RET("linkat AT_EMPTY_PATH of link", linkat(lfd, "", AT_FDCWD, "lnk2", AT_EMPTY_PATH));
    RET("lstat lnk2 is link", lstat("lnk2", &st) == 0 && S_ISLNK(st.st_mode));
    RET("openat on symlink fd", openat(lfd, "x", O_RDONLY));
    close(lfd);
    /* Flags O_PATH drops. */
    int t = open("file", O_PATH | O_TRUNC | O_RDWR);
    YN("O_PATH|O_TRUNC|O_RDWR opens", t >= 0);
    RET("size unchanged", stat("file", &st) == 0 ? st.st_size : -1);
    RET("access mode ignored", fcntl(t, F_GETFL) & O_ACCMODE);
    close(t);
    RET("O_PATH|O_CREAT missing", open("nothere", O_PATH | O_CREAT, 0644));

    unlink("lnk2");
    unlink("lnk");
    unlink("file");
    rmdir("dir");
    chdir("/");
    RET("rmdir tmpdir", rmdir(D));
    return 0;
}

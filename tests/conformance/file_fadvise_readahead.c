/* posix_fadvise (fadvise64) and readahead: every advice value accepted on a regular
 * file (any offset/length, length 0 = to the end, beyond EOF), a bad advice EINVAL, a
 * negative length EINVAL, EBADF for a closed fd, ESPIPE on a pipe, on a socket and on
 * a FIFO; fadvise on a directory and on /dev/null; readahead on a file (0), on a
 * pipe and a socket EINVAL, on a write-only fd EBADF, on a bad fd EBADF; the file
 * offset and contents are unchanged by either call. */
#include "common.h"
#include <sys/socket.h>

/* glibc's posix_fadvise returns the error number instead of setting errno. */
static void adv(const char *label, int fd, off_t off, off_t len, int advice) {
    int r = posix_fadvise(fd, off, len, advice);
    printf("%s: %s\n", label, r == 0 ? "0" : en(r));
}

int main(void) {
    setup(10);
    char dir[] = "/tmp/fadvXXXXXX";
    if (!mkdtemp(dir)) DIE("mkdtemp");
    char f[64], fifo[64];
    snprintf(f, sizeof f, "%s/f", dir);
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    int fd = open(f, O_RDWR | O_CREAT, 0644);
    if (fd < 0) DIE("open");
    char buf[8192];
    memset(buf, 'q', sizeof buf);
    if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) DIE("write");
    if (lseek(fd, 100, SEEK_SET) != 100) DIE("lseek");

    adv("NORMAL", fd, 0, 0, POSIX_FADV_NORMAL);
    adv("RANDOM", fd, 0, 4096, POSIX_FADV_RANDOM);
    adv("SEQUENTIAL", fd, 4096, 0, POSIX_FADV_SEQUENTIAL);
    adv("WILLNEED", fd, 0, 8192, POSIX_FADV_WILLNEED);
    adv("DONTNEED", fd, 0, 0, POSIX_FADV_DONTNEED);
    adv("NOREUSE", fd, 0, 0, POSIX_FADV_NOREUSE);
    adv("beyond EOF", fd, 1 << 20, 1 << 20, POSIX_FADV_WILLNEED);
    adv("huge length", fd, 0, 0x7fffffffffffffffLL, POSIX_FADV_DONTNEED);
    adv("advice 6", fd, 0, 0, 6);
    adv("advice -1", fd, 0, 0, -1);
    adv("advice 100", fd, 0, 0, 100);
    adv("negative len", fd, 0, -1, POSIX_FADV_NORMAL);
    adv("negative offset", fd, -1, 0, POSIX_FADV_NORMAL);
    RET("raw fadvise64 bad advice", syscall(SYS_fadvise64, fd, 0L, 0L, 42));
    RET("raw fadvise64 ok", syscall(SYS_fadvise64, fd, 0L, 0L, POSIX_FADV_WILLNEED));
    RET("offset unchanged", lseek(fd, 0, SEEK_CUR));

    RET("readahead file", readahead(fd, 0, 4096));
    RET("readahead beyond EOF", readahead(fd, 1 << 20, 4096));
    RET("readahead count 0", readahead(fd, 0, 0));
    RET("offset unchanged after readahead", lseek(fd, 0, SEEK_CUR));
    RET("pread after", pread(fd, buf, 4, 8188));
    printf("data: %.4s\n", buf);

    int wo = open(f, O_WRONLY);
    if (wo < 0) DIE("open wronly");
    adv("fadvise write-only fd", wo, 0, 0, POSIX_FADV_WILLNEED);
    RET("readahead write-only fd", readahead(wo, 0, 4096));
    close(wo);

    int p[2];
    if (pipe(p) != 0) DIE("pipe");
    adv("fadvise pipe read end", p[0], 0, 0, POSIX_FADV_NORMAL);
    adv("fadvise pipe write end", p[1], 0, 0, POSIX_FADV_WILLNEED);
    adv("fadvise pipe bad advice", p[0], 0, 0, 42);
    RET("readahead pipe", readahead(p[0], 0, 4096));

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) DIE("socketpair");
    adv("fadvise socket", sv[0], 0, 0, POSIX_FADV_NORMAL);
    RET("readahead socket", readahead(sv[0], 0, 4096));

    if (mkfifo(fifo, 0600) != 0) DIE("mkfifo");
    int ff = open(fifo, O_RDWR);
    if (ff < 0) DIE("open fifo");
    adv("fadvise fifo", ff, 0, 0, POSIX_FADV_NORMAL);
    RET("readahead fifo", readahead(ff, 0, 4096));
    close(ff);

    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0) DIE("open dir");
    adv("fadvise dir", dfd, 0, 0, POSIX_FADV_WILLNEED);
    RET("readahead dir", readahead(dfd, 0, 4096));
    close(dfd);

    int nul = open("/dev/null", O_RDONLY);
    if (nul < 0) DIE("open /dev/null");
    adv("fadvise /dev/null", nul, 0, 0, POSIX_FADV_WILLNEED);
    RET("readahead /dev/null", readahead(nul, 0, 4096));
    close(nul);

    int closed = dup(fd);
    close(closed);
    adv("fadvise closed fd", closed, 0, 0, POSIX_FADV_NORMAL);
    RET("readahead closed fd", readahead(closed, 0, 4096));
    adv("fadvise -1", -1, 0, 0, POSIX_FADV_NORMAL);

    close(fd);
    unlink(f);
    unlink(fifo);
    RET("rmdir", rmdir(dir));
    return 0;
}

/* eventfd2: initial values, flags (EFD_CLOEXEC, EFD_NONBLOCK, bad flags), the legacy
 * eventfd syscall, short buffers (EINVAL), writing ULLONG_MAX (EINVAL), the counter
 * ceiling 0xfffffffffffffffe (EAGAIN when nonblocking, a blocking write waits for a
 * reader), semaphore mode (one per read, blocking read woken by a write), poll bits
 * (POLLOUT gone at the ceiling), sharing across fork. */
#include "common.h"
#include <poll.h>
#include <sys/eventfd.h>

static const char *rev(short r) {
    static char buf[64];
    snprintf(buf, sizeof buf, "%s%s%s%s", (r & POLLIN) ? "IN " : "", (r & POLLOUT) ? "OUT " : "",
             (r & POLLERR) ? "ERR " : "", (r & POLLHUP) ? "HUP " : "");
    return buf;
}
static void pl(const char *label, int fd) {
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    int n = poll(&p, 1, 0);
    printf("%s: %d %s\n", label, n, rev(p.revents));
}
static void rd(const char *label, int fd) {
    uint64_t v = 0;
    errno = 0;
    ssize_t n = read(fd, &v, 8);
    if (n < 0) printf("%s: -1 %s\n", label, en(errno));
    else printf("%s: %zd value %llu\n", label, n, (unsigned long long)v);
}
static long wr(int fd, uint64_t v) {
    return write(fd, &v, 8);
}

int main(void) {
    setup(10);
    int fd = eventfd(7, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0) DIE("eventfd");
    RET("FD_CLOEXEC", fcntl(fd, F_GETFD) & FD_CLOEXEC);
    YN("O_NONBLOCK in F_GETFL", fcntl(fd, F_GETFL) & O_NONBLOCK);
    YN("O_RDWR in F_GETFL", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR);
    RET("eventfd bad flags", eventfd(0, 0x10));
    RET("eventfd2 O_RDWR flag", syscall(SYS_eventfd2, 0, O_RDWR));
    int legacy = syscall(SYS_eventfd, 3);
    YN("legacy eventfd", legacy >= 0);
    rd("legacy read", legacy);
    close(legacy);

    uint64_t v = 0;
    char small[4];
    RET("read 4 bytes", read(fd, small, 4));
    RET("write 4 bytes", write(fd, small, 4));
    char big[16];
    RET("read 16 bytes", read(fd, big, 16));
    rd("read empty (nonblock)", fd);
    RET("write ULLONG_MAX", wr(fd, 0xffffffffffffffffULL));
    RET("write 0", wr(fd, 0));
    pl("poll at 0", fd);
    RET("write max-1 (0xfffffffffffffffe)", wr(fd, 0xfffffffffffffffeULL));
    pl("poll at the ceiling", fd);
    RET("write 1 at the ceiling (nonblock)", wr(fd, 1));
    RET("write 0 at the ceiling", wr(fd, 0));
    rd("read at the ceiling", fd);
    RET("write 5", wr(fd, 5));
    RET("write max-6 (fits exactly)", wr(fd, 0xfffffffffffffffeULL - 5));
    RET("write 1 (over)", wr(fd, 1));
    rd("read", fd);

    /* A blocking write at the ceiling waits for a reader. */
    int bfd = eventfd(0, 0);
    wr(bfd, 0xfffffffffffffff0ULL);
    pid_t c = fork();
    if (c == 0) {
        sleep_ms(30);
        uint64_t x;
        read(bfd, &x, 8);
        _exit(x == 0xfffffffffffffff0ULL ? 0 : 1);
    }
    long long t0 = now_ns(CLOCK_MONOTONIC);
    RET("blocking write over the ceiling", wr(bfd, 0x20));
    YN("waited for the reader", now_ns(CLOCK_MONOTONIC) - t0 >= 20000000LL);
    printf("reader: %s\n", wstr(wait_child(c)));
    rd("read after", bfd);

    /* Semaphore mode. */
    int sem = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
    rd("sem read 1", sem);
    rd("sem read 2", sem);
    RET("sem write 2", wr(sem, 2));
    rd("sem read 3", sem);
    rd("sem read 4", sem);
    rd("sem read 5", sem);
    rd("sem read 6", sem);
    pl("sem poll empty", sem);
    int bsem = eventfd(0, EFD_SEMAPHORE);
    c = fork();
    if (c == 0) {
        sleep_ms(30);
        wr(bsem, 2);
        _exit(0);
    }
    rd("blocking sem read", bsem);
    printf("writer: %s\n", wstr(wait_child(c)));
    rd("sem read second unit", bsem);

    /* Shared across fork: the child's writes are seen by the parent. */
    int sh = eventfd(0, EFD_NONBLOCK);
    c = fork();
    if (c == 0) {
        wr(sh, 10);
        wr(sh, 20);
        _exit(0);
    }
    printf("child: %s\n", wstr(wait_child(c)));
    rd("parent reads child's sum", sh);
    /* fdinfo style identity: fstat type. */
    struct stat st;
    fstat(sh, &st);
    YN("fstat: not a regular file", !S_ISREG(st.st_mode));
    return 0;
}

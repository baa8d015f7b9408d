/* select and pselect6: fd_set results for read/write/except sets, counts of set bits,
 * large fd numbers, nfds 0 as a sleep, EBADF for a closed fd, EINVAL for negative nfds
 * and bad timeouts, the remaining timeout written back (select: timeval, pselect6:
 * timespec), pselect6 with a signal mask (EINTR with a pending signal it unblocks),
 * writable ends without readers, hung-up readers. */
#include "common.h"
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>

static volatile int hits;
static void h(int s) {
    (void)s;
    hits++;
}

static long rselect(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv) {
    return syscall(SYS_select, n, r, w, e, tv);
}
static long rpselect(int n, fd_set *r, fd_set *w, fd_set *e, struct timespec *ts, sigset_t *m) {
    struct { sigset_t *ss; size_t len; } arg = {m, 8};
    return syscall(SYS_pselect6, n, r, w, e, ts, m ? &arg : NULL);
}

int main(void) {
    setup(10);
    int p[2], q[2];
    if (pipe(p) || pipe(q)) DIE("pipe");
    fd_set r, w, e;
    struct timeval tv = {0, 0};
    int maxfd = (p[0] > p[1] ? p[0] : p[1]);
    maxfd = maxfd > q[1] ? maxfd : q[1];
    maxfd = maxfd > q[0] ? maxfd : q[0];

    FD_ZERO(&r); FD_ZERO(&w); FD_ZERO(&e);
    FD_SET(p[0], &r); FD_SET(q[0], &r); FD_SET(p[1], &w); FD_SET(p[0], &e);
    RET("select nothing readable, one writable", rselect(maxfd + 1, &r, &w, &e, &tv));
    printf("r p0 %d q0 %d w p1 %d e p0 %d\n", FD_ISSET(p[0], &r), FD_ISSET(q[0], &r), FD_ISSET(p[1], &w), FD_ISSET(p[0], &e));

    write(q[1], "x", 1);
    FD_ZERO(&r); FD_ZERO(&w); FD_ZERO(&e);
    FD_SET(p[0], &r); FD_SET(q[0], &r); FD_SET(p[1], &w); FD_SET(q[1], &w);
    RET("select q readable, both writable", rselect(maxfd + 1, &r, &w, &e, &tv));
    printf("r p0 %d q0 %d w p1 %d q1 %d\n", FD_ISSET(p[0], &r), FD_ISSET(q[0], &r), FD_ISSET(p[1], &w), FD_ISSET(q[1], &w));
    /* A fd counts once per set it is ready in. */
    FD_ZERO(&r); FD_ZERO(&w);
    FD_SET(q[0], &r); FD_SET(q[0], &w);
    RET("read end in read and write sets", rselect(maxfd + 1, &r, &w, NULL, &tv));
    printf("r %d w %d\n", FD_ISSET(q[0], &r), FD_ISSET(q[0], &w));
    /* nfds below the fd: the fd is not looked at. */
    FD_ZERO(&r);
    FD_SET(q[0], &r);
    RET("nfds = q0 (excludes it)", rselect(q[0], &r, NULL, NULL, &tv));
    printf("r q0 %d\n", FD_ISSET(q[0], &r));

    /* Large fd numbers. */
    RET("dup2 to 200", dup2(q[0], 200));
    FD_ZERO(&r);
    FD_SET(200, &r);
    RET("select fd 200", rselect(201, &r, NULL, NULL, &tv));
    printf("r 200 %d\n", FD_ISSET(200, &r));
    FD_ZERO(&r);
    RET("select nfds 1024 all empty", rselect(1024, &r, NULL, NULL, &tv));
    close(200);
    FD_ZERO(&r);
    FD_SET(200, &r);
    RET("select closed fd 200", rselect(201, &r, NULL, NULL, &tv));
    RET("select negative nfds", rselect(-1, NULL, NULL, NULL, &tv));
    tv.tv_sec = -1;
    RET("select negative tv_sec", rselect(0, NULL, NULL, NULL, &tv));
    tv.tv_sec = 0;
    tv.tv_usec = -1;
    RET("select tv_usec -1", rselect(0, NULL, NULL, NULL, &tv));
    /* Microseconds past a second carry over (2.5 s here); a ready fd returns at once. */
    tv.tv_sec = 0;
    tv.tv_usec = 2500000;
    FD_ZERO(&r);
    FD_SET(q[0], &r);
    RET("select tv_usec 2.5e6, ready fd", rselect(q[0] + 1, &r, NULL, NULL, &tv));
    YN("remaining normalised to 2.x s", tv.tv_sec == 2 && tv.tv_usec > 0 && tv.tv_usec <= 500000);
    FD_ZERO(&r);
    FD_SET(q[0], &r);
    tv.tv_sec = 0;
    tv.tv_usec = 0;
    RET("select nfds 5000 (clamped)", rselect(5000, &r, NULL, NULL, &tv));
    RET("select bad set pointer", rselect(4, (fd_set *)8, NULL, NULL, NULL));

    /* Timeout written back. */
    tv.tv_sec = 0;
    tv.tv_usec = 30000;
    long long t0 = now_ns(CLOCK_MONOTONIC);
    RET("select nfds 0, 30ms", rselect(0, NULL, NULL, NULL, &tv));
    YN("slept >= 25ms", now_ns(CLOCK_MONOTONIC) - t0 >= 25000000LL);
    printf("remaining: %ld.%06ld\n", (long)tv.tv_sec, (long)tv.tv_usec);
    tv.tv_sec = 5;
    tv.tv_usec = 0;
    FD_ZERO(&r);
    FD_SET(q[0], &r);
    RET("select ready, 5s", rselect(q[0] + 1, &r, NULL, NULL, &tv));
    YN("remaining in (4s, 5s]", (tv.tv_sec == 4 && tv.tv_usec > 0) || (tv.tv_sec == 5 && tv.tv_usec == 0));

    struct timespec ts = {0, 20 * 1000000L};
    RET("pselect6 nfds 0, 20ms", rpselect(0, NULL, NULL, NULL, &ts, NULL));
    printf("remaining: %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
    ts.tv_nsec = 1000000000L;
    RET("pselect6 tv_nsec 1e9", rpselect(0, NULL, NULL, NULL, &ts, NULL));
    ts.tv_nsec = 0;
    FD_ZERO(&r);
    FD_SET(q[0], &r);
    RET("pselect6 ready", rpselect(q[0] + 1, &r, NULL, NULL, &ts, NULL));
    printf("r q0 %d\n", FD_ISSET(q[0], &r));

    /* pselect6 with a mask. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t blk, empty;
    sigemptyset(&blk);
    sigaddset(&blk, SIGUSR1);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &blk, NULL);
    raise(SIGUSR1);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    ts.tv_sec = 1;
    RET("pselect6 mask unblocks pending signal", rpselect(p[0] + 1, &r, NULL, NULL, &ts, &empty));
    printf("handler ran: %d\n", hits);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    raise(SIGUSR1);
    ts.tv_sec = 0;
    ts.tv_nsec = 20 * 1000000L;
    RET("pselect6 mask keeps it blocked", rpselect(p[0] + 1, &r, NULL, NULL, &ts, &blk));
    printf("handler ran: %d\n", hits);
    sigprocmask(SIG_UNBLOCK, &blk, NULL);
    printf("handler ran after unblock: %d\n", hits);
    struct { sigset_t *ss; size_t len; } badarg = {&empty, 4};
    RET("pselect6 sigset size 4", syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts, &badarg));

    /* Hang-ups and errors count as readable/writable. */
    close(p[1]);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv.tv_sec = 0;
    tv.tv_usec = 0;
    RET("reader, writer closed", rselect(p[0] + 1, &r, NULL, NULL, &tv));
    printf("r p0 %d\n", FD_ISSET(p[0], &r));
    close(q[0]);
    FD_ZERO(&w);
    FD_SET(q[1], &w);
    RET("writer, reader closed", rselect(q[1] + 1, NULL, &w, NULL, &tv));
    printf("w q1 %d\n", FD_ISSET(q[1], &w));

    /* Stream socket: exceptfds stays empty without urgent data. */
    int s[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, s)) DIE("socketpair");
    FD_ZERO(&r); FD_ZERO(&w); FD_ZERO(&e);
    FD_SET(s[0], &r); FD_SET(s[0], &w); FD_SET(s[0], &e);
    RET("idle socket r/w/e", rselect(s[0] + 1, &r, &w, &e, &tv));
    printf("r %d w %d e %d\n", FD_ISSET(s[0], &r), FD_ISSET(s[0], &w), FD_ISSET(s[0], &e));

    /* Blocking select woken by a child. */
    pid_t c = fork();
    if (c == 0) {
        sleep_ms(30);
        write(s[1], "z", 1);
        _exit(0);
    }
    FD_ZERO(&r);
    FD_SET(s[0], &r);
    RET("blocking select woken by child", rselect(s[0] + 1, &r, NULL, NULL, NULL));
    printf("child: %s\n", wstr(wait_child(c)));
    return 0;
}

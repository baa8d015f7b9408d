/* epoll_wait semantics: level-triggered repeats, edge-triggered reports only new
 * data (every write re-arms, reading alone does not), EPOLLONESHOT disabled until
 * EPOLL_CTL_MOD, EPOLLRDHUP/EPOLLHUP on shutdown and close, EPOLLOUT edges on a pipe,
 * nested epoll (the inner one readable; a blocking outer wait woken through it),
 * epoll_pwait with a signal mask (EINTR), epoll_pwait2 with a timespec (timeout,
 * EINVAL), a blocking wait woken by a child, maxevents limiting. */
#include "common.h"
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/eventfd.h>

static const char *evs(uint32_t r) {
    static char buf[128];
    buf[0] = 0;
    if (r & EPOLLIN) strcat(buf, "IN|");
    if (r & EPOLLPRI) strcat(buf, "PRI|");
    if (r & EPOLLOUT) strcat(buf, "OUT|");
    if (r & EPOLLRDNORM) strcat(buf, "RDNORM|");
    if (r & EPOLLWRNORM) strcat(buf, "WRNORM|");
    if (r & EPOLLRDHUP) strcat(buf, "RDHUP|");
    if (r & EPOLLERR) strcat(buf, "ERR|");
    if (r & EPOLLHUP) strcat(buf, "HUP|");
    size_t n = strlen(buf);
    if (n) buf[n - 1] = 0;
    else strcpy(buf, "0");
    return buf;
}

static void w(const char *label, int ep, int ms) {
    struct epoll_event out[8];
    errno = 0;
    int n = epoll_wait(ep, out, 8, ms);
    if (n < 0) printf("%s: -1 %s\n", label, en(errno));
    else if (n == 0) printf("%s: 0\n", label);
    else printf("%s: %d first data %llu events %s\n", label, n, (unsigned long long)out[0].data.u64, evs(out[0].events));
}

static volatile int hits;
static void h(int s) {
    (void)s;
    hits++;
}

int main(void) {
    setup(10);
    int p[2];
    if (pipe(p)) DIE("pipe");
    int ep = epoll_create1(0);
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = 1};
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e);
    w("LT empty", ep, 0);
    write(p[1], "ab", 2);
    w("LT data", ep, 0);
    w("LT data again", ep, 0);
    char buf[16];
    read(p[0], buf, 1);
    w("LT partly read", ep, 0);
    read(p[0], buf, 1);
    w("LT drained", ep, 0);

    e.events = EPOLLIN | EPOLLET;
    epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e);
    write(p[1], "abc", 3);
    w("ET first", ep, 0);
    w("ET second", ep, 0);
    read(p[0], buf, 1);
    w("ET after partial read", ep, 0);
    write(p[1], "d", 1);
    w("ET after new write", ep, 0);
    w("ET again", ep, 0);
    read(p[0], buf, sizeof buf);
    w("ET drained", ep, 0);
    /* MOD re-arms an edge-triggered entry whose file is ready. */
    write(p[1], "e", 1);
    w("ET new data", ep, 0);
    epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e);
    w("ET after MOD", ep, 0);
    read(p[0], buf, sizeof buf);

    e.events = EPOLLIN | EPOLLONESHOT;
    e.data.u64 = 2;
    epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e);
    write(p[1], "f", 1);
    w("ONESHOT first", ep, 0);
    write(p[1], "g", 1);
    w("ONESHOT disabled", ep, 0);
    e.events = EPOLLIN | EPOLLONESHOT;
    e.data.u64 = 3;
    RET("MOD re-arm", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e));
    w("ONESHOT re-armed", ep, 0);
    w("ONESHOT disabled again", ep, 0);
    RET("DEL disabled entry", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    read(p[0], buf, sizeof buf);

    /* EPOLLOUT edge on a pipe write end. */
    struct epoll_event o = {.events = EPOLLOUT | EPOLLET, .data.u64 = 4};
    epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &o);
    w("OUT ET first", ep, 0);
    w("OUT ET second", ep, 0);
    epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL);

    /* Sockets: RDHUP and HUP. */
    int s[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, s);
    int ep2 = epoll_create1(0);
    struct epoll_event se = {.events = EPOLLIN | EPOLLRDHUP, .data.u64 = 5};
    epoll_ctl(ep2, EPOLL_CTL_ADD, s[0], &se);
    w("socket idle", ep2, 0);
    shutdown(s[1], SHUT_WR);
    w("peer SHUT_WR", ep2, 0);
    se.events = EPOLLIN;
    epoll_ctl(ep2, EPOLL_CTL_MOD, s[0], &se);
    w("peer SHUT_WR, RDHUP not asked", ep2, 0);
    se.events = EPOLLOUT | EPOLLRDHUP;
    epoll_ctl(ep2, EPOLL_CTL_MOD, s[0], &se);
    close(s[1]);
    w("peer closed, OUT|RDHUP asked", ep2, 0);
    se.events = 0;
    epoll_ctl(ep2, EPOLL_CTL_MOD, s[0], &se);
    w("peer closed, events 0", ep2, 0);
    close(s[0]);
    w("socket closed: removed", ep2, 0);

    /* Pipe hang-up. */
    int q[2];
    pipe(q);
    struct epoll_event qe = {.events = EPOLLIN, .data.u64 = 6};
    epoll_ctl(ep2, EPOLL_CTL_ADD, q[0], &qe);
    close(q[1]);
    w("pipe writer closed", ep2, 0);
    close(q[0]);

    /* Nested epoll. */
    int inner = epoll_create1(0), outer = epoll_create1(0);
    int r[2];
    pipe(r);
    struct epoll_event ie = {.events = EPOLLIN, .data.u64 = 7};
    epoll_ctl(inner, EPOLL_CTL_ADD, r[0], &ie);
    struct epoll_event oe = {.events = EPOLLIN, .data.u64 = 8};
    epoll_ctl(outer, EPOLL_CTL_ADD, inner, &oe);
    w("outer, inner idle", outer, 0);
    write(r[1], "x", 1);
    w("outer, inner ready", outer, 0);
    w("inner", inner, 0);
    read(r[0], buf, 1);
    w("outer after drain", outer, 0);
    int go[2];
    pipe(go);
    pid_t c = fork();
    if (c == 0) {
        sleep_ms(30);
        write(r[1], "y", 1);
        read(go[0], buf, 1); /* stays alive until the parent's wait returned */
        _exit(0);
    }
    w("blocking outer woken through inner", outer, 2000);
    write(go[1], "q", 1);
    printf("child: %s\n", wstr(wait_child(c)));
    read(r[0], buf, 1);

    /* A blocking wait woken by a child's eventfd write. */
    int efd = eventfd(0, 0);
    struct epoll_event ee = {.events = EPOLLIN, .data.u64 = 9};
    epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ee);
    c = fork();
    if (c == 0) {
        sleep_ms(30);
        uint64_t one = 1;
        write(efd, &one, 8);
        _exit(0);
    }
    w("blocking wait woken by child", ep, 3000);
    printf("child: %s\n", wstr(wait_child(c)));
    uint64_t v;
    read(efd, &v, 8);

    /* maxevents limits the batch. */
    int many[4][2];
    int ep3 = epoll_create1(0);
    for (int i = 0; i < 4; i++) {
        pipe(many[i]);
        write(many[i][1], "z", 1);
        struct epoll_event me = {.events = EPOLLIN, .data.u64 = 100 + i};
        epoll_ctl(ep3, EPOLL_CTL_ADD, many[i][0], &me);
    }
    struct epoll_event out[8];
    RET("maxevents 3 of 4 ready", epoll_wait(ep3, out, 3, 0));
    RET("maxevents 8", epoll_wait(ep3, out, 8, 0));
    int seen = 0;
    for (int i = 0; i < 4; i++) seen |= 1 << (out[i].data.u64 - 100);
    printf("all four seen: %s\n", seen == 15 ? "yes" : "no");

    /* epoll_pwait with a mask. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t blk, empty;
    sigemptyset(&blk);
    sigaddset(&blk, SIGUSR1);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &blk, NULL);
    raise(SIGUSR1);
    RET("epoll_pwait, mask unblocks pending", epoll_pwait(ep, out, 8, 1000, &empty));
    printf("handler ran: %d\n", hits);
    raise(SIGUSR1);
    RET("epoll_pwait, mask blocks it", epoll_pwait(ep, out, 8, 20, &blk));
    printf("handler ran: %d\n", hits);
    RET("epoll_pwait sigsetsize 4", syscall(SYS_epoll_pwait, ep, out, 8, 0, &empty, 4));
    sigprocmask(SIG_UNBLOCK, &blk, NULL);
    printf("handler ran after unblock: %d\n", hits);
    /* SA_RESTART does not restart epoll_wait. */
    c = fork();
    if (c == 0) {
        sleep_ms(30);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    RET("epoll_wait interrupted (SA_RESTART)", epoll_wait(ep, out, 8, 3000));
    printf("child: %s\n", wstr(wait_child(c)));

    /* epoll_pwait2. */
#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif
    struct timespec ts = {0, 20 * 1000000L};
    long long t0 = now_ns(CLOCK_MONOTONIC);
    RET("epoll_pwait2 20ms", syscall(SYS_epoll_pwait2, ep, out, 8, &ts, NULL, 8));
    YN("waited >= 15ms", now_ns(CLOCK_MONOTONIC) - t0 >= 15000000LL);
    printf("timespec untouched: %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
    ts.tv_nsec = 1000000000L;
    RET("epoll_pwait2 tv_nsec 1e9", syscall(SYS_epoll_pwait2, ep, out, 8, &ts, NULL, 8));
    ts.tv_sec = -1;
    ts.tv_nsec = 0;
    RET("epoll_pwait2 negative", syscall(SYS_epoll_pwait2, ep, out, 8, &ts, NULL, 8));
    ts.tv_sec = 0;
    write(p[1], "k", 1);
    e.events = EPOLLIN;
    e.data.u64 = 10;
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e);
    RET("epoll_pwait2 ready, zero timeout", syscall(SYS_epoll_pwait2, ep, out, 8, &ts, NULL, 8));
    RET("epoll_pwait2 NULL timeout, ready", syscall(SYS_epoll_pwait2, ep, out, 8, NULL, NULL, 8));
    RET("epoll_pwait2 bad timespec", syscall(SYS_epoll_pwait2, ep, out, 8, (void *)8, NULL, 8));
    return 0;
}

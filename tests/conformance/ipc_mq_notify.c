/* POSIX message queues, beyond the basics: mq_notify SIGEV_SIGNAL siginfo (SI_MESGQ,
 * pid, uid, value), one registration per queue (EBUSY for another process), no
 * notification while a receiver is blocked, closing the descriptor drops the
 * registration, equal priorities keep FIFO order, O_NONBLOCK from mq_open, mq_setattr
 * changes only O_NONBLOCK, curmsgs, mq_timedreceive with an absolute CLOCK_REALTIME
 * timeout, descriptors shared across fork, select on a queue. */
#include "common.h"
#include <mqueue.h>
#include <sys/select.h>

#define NAME "/husk_ipc_mq_notify"

static volatile int got, code, val, pid_ok, uid;
static void h(int s, siginfo_t *si, void *u) {
    (void)u;
    got = s;
    code = si->si_code;
    val = si->si_value.sival_int;
    pid_ok = si->si_pid == getpid();
    uid = si->si_uid;
}
static void wait_sig(int ms) {
    for (int i = 0; i < ms && !got; i++) sleep_ms(1);
}
static void rcv(const char *label, mqd_t q) {
    char buf[64];
    unsigned p = 0;
    errno = 0;
    ssize_t n = mq_receive(q, buf, sizeof buf, &p);
    if (n < 0) printf("%s: -1 %s\n", label, en(errno));
    else printf("%s: %zd prio %u \"%.*s\"\n", label, n, p, (int)n, buf);
}

int main(void) {
    setup(10);
    mq_unlink(NAME);
    struct mq_attr at = {.mq_maxmsg = 8, .mq_msgsize = 64};
    mqd_t q = mq_open(NAME, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0600, &at);
    if (q == (mqd_t)-1) DIE("mq_open");
    struct mq_attr g;
    mq_getattr(q, &g);
    printf("flags O_NONBLOCK %s maxmsg %ld msgsize %ld curmsgs %ld\n", (g.mq_flags & O_NONBLOCK) ? "yes" : "no", g.mq_maxmsg, g.mq_msgsize, g.mq_curmsgs);
    rcv("receive empty (nonblocking open)", q);

    /* mq_setattr changes only O_NONBLOCK. */
    struct mq_attr na = {.mq_flags = 0, .mq_maxmsg = 100, .mq_msgsize = 1000, .mq_curmsgs = 50}, old;
    RET("mq_setattr", mq_setattr(q, &na, &old));
    mq_getattr(q, &g);
    printf("after setattr: nonblock %s maxmsg %ld msgsize %ld curmsgs %ld; old nonblock %s\n", (g.mq_flags & O_NONBLOCK) ? "yes" : "no", g.mq_maxmsg, g.mq_msgsize, g.mq_curmsgs, (old.mq_flags & O_NONBLOCK) ? "yes" : "no");

    /* FIFO among equal priorities. */
    mq_send(q, "a1", 2, 3);
    mq_send(q, "b1", 2, 1);
    mq_send(q, "a2", 2, 3);
    mq_send(q, "b2", 2, 1);
    mq_send(q, "c", 1, 9);
    mq_getattr(q, &g);
    printf("curmsgs %ld\n", g.mq_curmsgs);
    for (int i = 0; i < 5; i++) rcv("receive", q);

    /* Absolute CLOCK_REALTIME timeout. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 30 * 1000000L;
    if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
    char buf[64];
    long long t0 = now_ns(CLOCK_MONOTONIC);
    RET("mq_timedreceive +30ms", mq_timedreceive(q, buf, sizeof buf, NULL, &ts));
    YN("waited >= 20ms", now_ns(CLOCK_MONOTONIC) - t0 >= 20000000LL);

    /* Notification with siginfo. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGUSR1;
    sev.sigev_value.sival_int = 99;
    RET("mq_notify", mq_notify(q, &sev));
    /* Another process cannot register too. */
    pid_t c = fork();
    if (c == 0) {
        long r = mq_notify(q, &sev);
        printf("child mq_notify: %ld %s\n", r, en(errno));
        long r2 = mq_notify(q, NULL);
        printf("child remove: %ld %s\n", r2, r2 < 0 ? en(errno) : "OK");
        _exit(0);
    }
    printf("child: %s\n", wstr(wait_child(c)));
    mq_send(q, "n", 1, 0);
    wait_sig(1000);
    printf("signal %s code SI_MESGQ %s value %d pid ok %d uid %d\n", signame(got), code == SI_MESGQ ? "yes" : "no", val, pid_ok, uid);
    rcv("receive", q);

    /* A blocked receiver gets the message; no notification. */
    got = 0;
    RET("mq_notify again", mq_notify(q, &sev));
    c = fork();
    if (c == 0) {
        mqd_t cq = mq_open(NAME, O_RDONLY);
        char b[64];
        ssize_t n = mq_receive(cq, b, sizeof b, NULL);
        _exit(n == 4 ? 0 : 1);
    }
    sleep_ms(50);
    mq_send(q, "wake", 4, 0);
    printf("blocked receiver: %s\n", wstr(wait_child(c)));
    sleep_ms(20);
    printf("notification while a receiver waited: %s\n", got ? "yes" : "no");
    /* The registration is still there. */
    mq_send(q, "late", 4, 0);
    wait_sig(1000);
    printf("later notification: %s\n", signame(got));
    rcv("receive", q);

    /* Closing the registering descriptor drops the registration. */
    got = 0;
    mqd_t q2 = mq_open(NAME, O_RDWR);
    RET("mq_notify via second descriptor", mq_notify(q2, &sev));
    RET("mq_notify via first (busy)", mq_notify(q, &sev));
    RET("close second", mq_close(q2));
    RET("mq_notify via first now", mq_notify(q, &sev));
    RET("mq_notify NULL removes", mq_notify(q, NULL));
    mq_send(q, "x", 1, 0);
    sleep_ms(20);
    printf("signal after removal: %s\n", got ? "yes" : "no");
    rcv("receive", q);

    /* Shared across fork, select. */
    fd_set r;
    FD_ZERO(&r);
    FD_SET(q, &r);
    struct timeval tv = {0, 0};
    RET("select empty", select(q + 1, &r, NULL, NULL, &tv));
    c = fork();
    if (c == 0) {
        mq_send(q, "from child", 10, 4);
        _exit(0);
    }
    wait_child(c);
    FD_ZERO(&r);
    FD_SET(q, &r);
    RET("select after child's send", select(q + 1, &r, NULL, NULL, &tv));
    rcv("receive", q);
    RET("mq_close", mq_close(q));
    RET("mq_unlink", mq_unlink(NAME));
    return 0;
}

/* POSIX message queues: mq_open, mq_unlink, mq_timedsend, mq_timedreceive (priority
 * order, blocking, absolute timeouts), mq_getattr/mq_setattr, mq_notify, poll. */
#include "common.h"
#include <mqueue.h>
#include <poll.h>

#define NAME "/husk_conformance_posix_mqueue"

static volatile sig_atomic_t got_sig, got_code, got_val, got_pid_ok;

static void on_usr1(int s, siginfo_t *si, void *u) {
    (void)u;
    got_sig = s;
    got_code = si->si_code;
    got_val = si->si_value.sival_int;
    got_pid_ok = si->si_pid == getpid();
}

static void attrs(const char *label, mqd_t q) {
    struct mq_attr a;
    if (mq_getattr(q, &a) != 0) {
        printf("%s: getattr %s\n", label, en(errno));
        return;
    }
    printf("%s: flags %s maxmsg %ld msgsize %ld curmsgs %ld\n", label,
           (a.mq_flags & O_NONBLOCK) ? "O_NONBLOCK" : "0", a.mq_maxmsg, a.mq_msgsize,
           a.mq_curmsgs);
}

static void recv1(const char *label, mqd_t q) {
    char buf[128];
    unsigned prio = 999;
    errno = 0;
    ssize_t n = mq_receive(q, buf, sizeof buf, &prio);
    if (n < 0) printf("%s: -1 %s\n", label, en(errno));
    else printf("%s: %zd prio %u \"%.*s\"\n", label, n, prio, (int)n, buf);
}

static struct timespec in_ms(long ms) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (ms % 1000) * 1000000L;
    ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

static int child_perm(void) {
    if (setuid(1000) != 0) return 90;
    errno = 0;
    mqd_t q = mq_open(NAME, O_RDONLY);
    printf("child open 0600: %s\n", q == (mqd_t)-1 ? en(errno) : "ok");
    RET("child unlink", mq_unlink(NAME));
    return 0;
}

int main(void) {
    setup(30);
    mq_unlink(NAME);

    struct mq_attr at = {0};
    at.mq_maxmsg = 4;
    at.mq_msgsize = 64;
    errno = 0;
    RET("open missing", (long)mq_open(NAME, O_RDWR));
    RET("open no slash", (long)mq_open("husk_x", O_RDWR | O_CREAT, 0600, &at));
    struct mq_attr badat = at;
    badat.mq_maxmsg = 0;
    RET("open maxmsg 0", (long)mq_open(NAME, O_RDWR | O_CREAT, 0600, &badat));
    badat = at;
    badat.mq_msgsize = -1;
    RET("open msgsize -1", (long)mq_open(NAME, O_RDWR | O_CREAT, 0600, &badat));
    mqd_t q = mq_open(NAME, O_RDWR | O_CREAT | O_EXCL, 0600, &at);
    YN("open create", q != (mqd_t)-1);
    RET("open excl", (long)mq_open(NAME, O_RDWR | O_CREAT | O_EXCL, 0600, &at));
    mqd_t q2 = mq_open(NAME, O_RDONLY);
    YN("open existing", q2 != (mqd_t)-1);
    attrs("attr", q);
    struct stat sb;
    RET("fstat", fstat(q, &sb) == 0 ? 0 : -1);

    mqd_t dflt = mq_open("/husk_conformance_mq_default", O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
    YN("default attrs", dflt != (mqd_t)-1);
    attrs("default", dflt);
    mq_close(dflt);
    RET("unlink default", mq_unlink("/husk_conformance_mq_default"));

    RET("send 1 a", mq_send(q, "a", 1, 1));
    RET("send 5 b", mq_send(q, "bb", 2, 5));
    RET("send 1 c", mq_send(q, "ccc", 3, 1));
    RET("send 3 d", mq_send(q, "dddd", 4, 3));
    attrs("full", q);
    RET("send prio 32768", mq_send(q, "x", 1, 32768));
    char big[65] = {0};
    RET("send too long", mq_send(q, big, 65, 0));

    /* Readiness. */
    struct pollfd pf = {q, POLLIN | POLLOUT, 0};
    RET("poll full", poll(&pf, 1, 0));
    printf("revents full: %s%s\n", (pf.revents & POLLIN) ? "IN " : "", (pf.revents & POLLOUT) ? "OUT" : "");

    /* Full: O_NONBLOCK gives EAGAIN, a timeout gives ETIMEDOUT. */
    struct mq_attr nb = {0}, oldat;
    nb.mq_flags = O_NONBLOCK;
    RET("setattr nonblock", mq_setattr(q, &nb, &oldat));
    printf("old flags %ld\n", oldat.mq_flags);
    attrs("nonblock", q);
    RET("send full nonblock", mq_send(q, "x", 1, 0));
    nb.mq_flags = 0;
    RET("setattr block", mq_setattr(q, &nb, NULL));
    nb.mq_flags = O_RDWR;
    RET("setattr bad flags", mq_setattr(q, &nb, NULL));
    struct timespec ts = in_ms(100);
    long long t0 = now_ns(CLOCK_MONOTONIC);
    RET("timedsend full", mq_timedsend(q, "x", 1, 0, &ts));
    YN("waited >= 90ms", now_ns(CLOCK_MONOTONIC) - t0 >= 90000000LL);
    struct timespec past = {1, 0};
    RET("timedsend past", mq_timedsend(q, "x", 1, 0, &past));

    char small[8];
    RET("receive short buffer", mq_receive(q, small, sizeof small, NULL));
    RET("receive on O_WRONLY-less? write to O_RDONLY", mq_send(q2, "x", 1, 0));
    recv1("recv", q2);
    recv1("recv", q);
    recv1("recv", q);
    recv1("recv", q);
    RET("poll empty", poll(&pf, 1, 0));
    printf("revents empty: %s%s\n", (pf.revents & POLLIN) ? "IN " : "", (pf.revents & POLLOUT) ? "OUT" : "");
    ts = in_ms(100);
    char buf[128];
    RET("timedreceive empty", mq_timedreceive(q, buf, sizeof buf, NULL, &ts));
    struct timespec bad = {0, 2000000000L};
    RET("timedreceive bad timeout", mq_timedreceive(q, buf, sizeof buf, NULL, &bad));

    /* read() of the descriptor tells the queue's state. */
    RET("send for read", mq_send(q, "hello", 5, 0));
    char text[128] = {0};
    ssize_t n = read(q, text, sizeof text - 1);
    printf("read %s: %s", n > 0 ? "ok" : en(errno), n > 0 ? text : "\n");
    recv1("recv", q);

    /* A receiver blocked in the child is woken by a send. */
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        char b[128];
        unsigned p;
        ssize_t r = mq_receive(q, b, sizeof b, &p);
        printf("child got %zd prio %u \"%.*s\"\n", r, p, (int)(r > 0 ? r : 0), b);
        _exit(r == 4 ? 0 : 1);
    }
    sleep_ms(100);
    /* Printed after the child is gone: its line comes first whoever runs first. */
    int sent = mq_send(q, "wake", 4, 7), send_errno = errno;
    int st = wait_child(c);
    printf("send to child: %s\n", sent == 0 ? "0" : en(send_errno));
    printf("receiver: %s\n", wstr(st));

    /* mq_notify with a signal. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGUSR1;
    sev.sigev_value.sival_int = 42;
    RET("notify", mq_notify(q, &sev));
    RET("notify again", mq_notify(q, &sev));
    sev.sigev_signo = 99;
    RET("notify bad signal", mq_notify(q2, &sev));
    sev.sigev_signo = SIGUSR1;
    RET("send (notifies)", mq_send(q, "n", 1, 0));
    for (int i = 0; i < 100 && !got_sig; i++) sleep_ms(10);
    printf("signal %s code %s value %d pid ok %s\n", signame(got_sig),
           got_code == SI_MESGQ ? "SI_MESGQ" : "other", (int)got_val, got_pid_ok ? "yes" : "no");
    RET("notify after delivery", mq_notify(q, &sev));
    RET("notify remove", mq_notify(q, NULL));
    RET("notify after remove", mq_notify(q, &sev));
    got_sig = 0;
    RET("send to non-empty", mq_send(q, "m", 1, 0));
    sleep_ms(50);
    printf("signal for non-empty queue: %s\n", got_sig ? "yes" : "no");
    recv1("recv", q);
    recv1("recv", q);
    RET("send to empty", mq_send(q, "o", 1, 0));
    for (int i = 0; i < 100 && !got_sig; i++) sleep_ms(10);
    printf("signal: %s\n", signame(got_sig));
    recv1("recv", q);
    sev.sigev_notify = SIGEV_NONE;
    RET("notify SIGEV_NONE", mq_notify(q, &sev));
    RET("notify busy", mq_notify(q2, &sev));
    RET("notify remove", mq_notify(q, NULL));

    /* Permissions. */
    in_child("perm child", child_perm);

    RET("mq_close", mq_close(q2));
    RET("unlink", mq_unlink(NAME));
    RET("unlink again", mq_unlink(NAME));
    RET("open after unlink", (long)mq_open(NAME, O_RDWR));
    RET("send after unlink", mq_send(q, "still", 5, 0));
    recv1("recv after unlink", q);
    RET("mq_close", mq_close(q));
    RET("send closed", mq_send(q, "x", 1, 0));
    RET("getattr on a pipe", ({ int p[2]; pipe(p); struct mq_attr a; mq_getattr(p[0], &a); }));
    return 0;
}

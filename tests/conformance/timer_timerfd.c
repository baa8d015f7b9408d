/* timerfd: CLOCK_REALTIME and CLOCK_MONOTONIC absolute timers (future and past),
 * timerfd_gettime relative remaining and interval, old values from settime,
 * expiration counts of an interval timer, re-arming resets the count, disarming,
 * CLOCK_BOOTTIME, TFD_TIMER_CANCEL_ON_SET accepted (the clock is never set), errors
 * (bad clock, bad flags, bad tv_nsec, short read, not a timerfd), sharing across fork. */
#include "common.h"
#include <poll.h>
#include <sys/timerfd.h>

#ifndef TFD_TIMER_CANCEL_ON_SET
#define TFD_TIMER_CANCEL_ON_SET (1 << 1)
#endif

static struct timespec after(clockid_t c, long ms) {
    struct timespec t;
    clock_gettime(c, &t);
    t.tv_nsec += ms * 1000000L;
    while (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}
static void rd(const char *label, int fd) {
    uint64_t v = 0;
    errno = 0;
    ssize_t n = read(fd, &v, 8);
    if (n < 0) printf("%s: -1 %s\n", label, en(errno));
    else printf("%s: %zd expirations %llu\n", label, n, (unsigned long long)v);
}

int main(void) {
    setup(10);
    int rt = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC);
    if (rt < 0) DIE("timerfd_create");
    RET("FD_CLOEXEC", fcntl(rt, F_GETFD) & FD_CLOEXEC);
    struct itimerspec its = {{0, 0}, after(CLOCK_REALTIME, 40)}, cur, old;
    RET("settime REALTIME absolute +40ms", timerfd_settime(rt, TFD_TIMER_ABSTIME, &its, NULL));
    timerfd_gettime(rt, &cur);
    YN("gettime: relative remaining in (0, 40ms]", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 40000000L);
    long long t0 = now_ns(CLOCK_MONOTONIC);
    rd("blocking read", rt);
    YN("waited >= 30ms", now_ns(CLOCK_MONOTONIC) - t0 >= 30000000LL);
    timerfd_gettime(rt, &cur);
    YN("gettime after expiry: 0", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);

    /* Absolute time in the past: expires at once. */
    int nb = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    its.it_value.tv_sec = 1;
    its.it_value.tv_nsec = 0;
    RET("settime MONOTONIC absolute 1s (past)", timerfd_settime(nb, TFD_TIMER_ABSTIME, &its, NULL));
    struct pollfd pf = {nb, POLLIN, 0};
    RET("poll", poll(&pf, 1, 1000));
    rd("read", nb);
    rd("read again", nb);

    /* Interval timer: absolute start, 10ms interval. */
    its.it_value = after(CLOCK_MONOTONIC, 10);
    its.it_interval.tv_sec = 0;
    its.it_interval.tv_nsec = 10 * 1000000L;
    RET("settime interval 10ms", timerfd_settime(nb, TFD_TIMER_ABSTIME, &its, NULL));
    sleep_ms(65);
    uint64_t n = 0;
    read(nb, &n, 8);
    YN("expirations in [4, 8]", n >= 4 && n <= 8);
    timerfd_gettime(nb, &cur);
    YN("gettime interval 10ms", cur.it_interval.tv_sec == 0 && cur.it_interval.tv_nsec == 10000000L);
    YN("gettime value in (0, 10ms]", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 10000000L);
    /* Re-arming resets the count. */
    sleep_ms(25);
    struct itimerspec far = {{0, 0}, {100, 0}};
    RET("re-arm 100s", timerfd_settime(nb, 0, &far, &old));
    YN("old interval 10ms", old.it_interval.tv_nsec == 10000000L && old.it_interval.tv_sec == 0);
    YN("old value in (0, 10ms]", old.it_value.tv_sec == 0 && old.it_value.tv_nsec > 0 && old.it_value.tv_nsec <= 10000000L);
    rd("read after re-arm", nb);
    timerfd_gettime(nb, &cur);
    YN("remaining about 100s", cur.it_value.tv_sec == 99 && cur.it_interval.tv_sec == 0);
    struct itimerspec off = {{0, 0}, {0, 0}};
    RET("disarm", timerfd_settime(nb, 0, &off, &old));
    YN("old value about 100s", old.it_value.tv_sec == 99);
    timerfd_gettime(nb, &cur);
    YN("disarmed: all zero", !cur.it_value.tv_sec && !cur.it_value.tv_nsec && !cur.it_interval.tv_sec && !cur.it_interval.tv_nsec);
    rd("read disarmed", nb);
    /* Interval with a zero value stays disarmed. */
    struct itimerspec ionly = {{0, 5000000}, {0, 0}};
    RET("interval only", timerfd_settime(nb, 0, &ionly, NULL));
    timerfd_gettime(nb, &cur);
    YN("still disarmed", !cur.it_value.tv_sec && !cur.it_value.tv_nsec);

    /* CLOCK_BOOTTIME and CANCEL_ON_SET (accepted; the clock is never changed here). */
    int bt = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK);
    YN("BOOTTIME timerfd", bt >= 0);
    its.it_interval.tv_nsec = 0;
    its.it_value.tv_sec = 0;
    its.it_value.tv_nsec = 5 * 1000000L;
    RET("BOOTTIME relative 5ms", timerfd_settime(bt, 0, &its, NULL));
    pf.fd = bt;
    RET("poll BOOTTIME", poll(&pf, 1, 1000));
    its.it_value = after(CLOCK_REALTIME, 20);
    RET("REALTIME ABSTIME|CANCEL_ON_SET", timerfd_settime(rt, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL));
    rd("read (clock not set)", rt);
    its.it_value.tv_sec = 0;
    its.it_value.tv_nsec = 10 * 1000000L;
    RET("CANCEL_ON_SET without ABSTIME", timerfd_settime(rt, TFD_TIMER_CANCEL_ON_SET, &its, NULL));
    RET("CANCEL_ON_SET on MONOTONIC", timerfd_settime(nb, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &far, NULL));
    timerfd_settime(nb, 0, &off, NULL);

    /* Errors. */
    RET("create bad clock", timerfd_create(12345, 0));
    RET("create CLOCK_PROCESS_CPUTIME_ID", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
    RET("create bad flags", timerfd_create(CLOCK_MONOTONIC, 0x4));
    RET("settime bad flags", timerfd_settime(nb, 0x10, &far, NULL));
    struct itimerspec bad = {{0, 0}, {0, 1000000000L}};
    RET("settime tv_nsec 1e9", timerfd_settime(nb, 0, &bad, NULL));
    bad.it_value.tv_nsec = 0;
    bad.it_value.tv_sec = -1;
    RET("settime negative", timerfd_settime(nb, 0, &bad, NULL));
    bad.it_value.tv_sec = 0;
    bad.it_interval.tv_nsec = -1;
    RET("settime bad interval", timerfd_settime(nb, 0, &bad, NULL));
    char small[4];
    RET("read 4 bytes", read(nb, small, 4));
    int p[2];
    pipe(p);
    RET("settime on a pipe", timerfd_settime(p[0], 0, &far, NULL));
    RET("gettime on a pipe", timerfd_gettime(p[0], &cur));
    RET("gettime bad fd", timerfd_gettime(999, &cur));
    RET("write to a timerfd", write(nb, &far, 8));

    /* Shared across fork: the child's read consumes the expiration. */
    its.it_value.tv_nsec = 10 * 1000000L;
    timerfd_settime(nb, 0, &its, NULL);
    pid_t c = fork();
    if (c == 0) {
        uint64_t x = 0;
        struct pollfd q = {nb, POLLIN, 0};
        poll(&q, 1, 2000);
        _exit(read(nb, &x, 8) == 8 && x == 1 ? 0 : 1);
    }
    printf("child read: %s\n", wstr(wait_child(c)));
    rd("parent read after child", nb);
    return 0;
}

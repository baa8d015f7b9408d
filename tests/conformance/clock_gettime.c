/* clock_gettime / clock_getres for REALTIME, MONOTONIC, PROCESS_CPUTIME_ID,
 * THREAD_CPUTIME_ID, BOOTTIME, *_COARSE, MONOTONIC_RAW: sanity and monotonicity only. */
#include "common.h"

static long long ts_ns(struct timespec t) { return (long long)t.tv_sec * 1000000000LL + t.tv_nsec; }

static void check(const char *name, clockid_t c) {
    struct timespec a, b, res;
    int ra = clock_gettime(c, &a);
    int ok = ra == 0 && a.tv_nsec >= 0 && a.tv_nsec < 1000000000L;
    int mono = 1;
    for (int i = 0; i < 1000; i++) {
        clock_gettime(c, &b);
        if (ts_ns(b) < ts_ns(a)) mono = 0;
        a = b;
    }
    int rr = clock_getres(c, &res);
    long long r = ts_ns(res);
    printf("%-26s gettime ok=%d non-decreasing=%d getres=%d res in (0,10ms]=%s\n", name, ok, mono, rr,
           r > 0 && r <= 10000000LL ? "yes" : "no");
}

int main(void) {
    setup(10);
    check("CLOCK_REALTIME", CLOCK_REALTIME);
    check("CLOCK_MONOTONIC", CLOCK_MONOTONIC);
    check("CLOCK_PROCESS_CPUTIME_ID", CLOCK_PROCESS_CPUTIME_ID);
    check("CLOCK_THREAD_CPUTIME_ID", CLOCK_THREAD_CPUTIME_ID);
    check("CLOCK_BOOTTIME", CLOCK_BOOTTIME);
    check("CLOCK_MONOTONIC_RAW", CLOCK_MONOTONIC_RAW);
    check("CLOCK_REALTIME_COARSE", CLOCK_REALTIME_COARSE);
    check("CLOCK_MONOTONIC_COARSE", CLOCK_MONOTONIC_COARSE);

    struct timespec rt, mono, boot;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_BOOTTIME, &boot);
    YN("realtime after 2020", rt.tv_sec > 1577836800L);
    YN("boottime >= monotonic", ts_ns(boot) >= ts_ns(mono));
    YN("monotonic > 0", ts_ns(mono) > 0);

    /* CPU clocks advance with work, and not (much) while sleeping. */
    long long c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID), t0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    volatile unsigned long x = 0;
    long long w0 = now_ns(CLOCK_MONOTONIC);
    while (now_ns(CLOCK_MONOTONIC) - w0 < 100000000LL) x++;
    long long c1 = now_ns(CLOCK_PROCESS_CPUTIME_ID), t1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    YN("process cputime advanced >= 10ms over 100ms busy", c1 - c0 >= 10000000LL);
    YN("thread cputime advanced >= 10ms", t1 - t0 >= 10000000LL);
    sleep_ms(100);
    long long c2 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    YN("cputime grew < 50ms during 100ms sleep", c2 - c1 < 50000000LL);

    /* Monotonic measures a sleep. */
    w0 = now_ns(CLOCK_MONOTONIC);
    sleep_ms(50);
    YN("monotonic elapsed >= 50ms over a 50ms sleep", now_ns(CLOCK_MONOTONIC) - w0 >= 50000000LL);

    struct timespec t;
    RET("invalid clock id 12345", clock_gettime(12345, &t));
    RET("getres invalid clock", clock_getres(12345, &t));
    RET("getres NULL result", clock_getres(CLOCK_MONOTONIC, NULL));
    RET("gettime bad pointer", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)8));
    /* The CPU clock of another process (clock_getcpuclockid) works for a child. */
    clockid_t cc;
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) { for (;;) pause(); }
    printf("clock_getcpuclockid(child): %s\n", en(clock_getcpuclockid(p, &cc)));
    RET("clock_gettime(child cpu clock)", clock_gettime(cc, &t));
    kill(p, SIGKILL);
    wait_child(p);
    return 0;
}

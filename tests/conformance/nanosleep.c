/* nanosleep and clock_nanosleep (relative and TIMER_ABSTIME, MONOTONIC and REALTIME):
 * elapsed >= requested; absolute deadline in the past returns at once; EINVAL cases. */
#include "common.h"

int main(void) {
    setup(10);
    long long t0 = now_ns(CLOCK_MONOTONIC);
    struct timespec req = {0, 120 * 1000000L}, rem = {9, 9};
    RET("nanosleep 120ms", nanosleep(&req, &rem));
    YN("elapsed >= 120ms", now_ns(CLOCK_MONOTONIC) - t0 >= 120000000LL);

    t0 = now_ns(CLOCK_MONOTONIC);
    struct timespec z = {0, 0};
    RET("nanosleep 0", nanosleep(&z, NULL));
    YN("returned within 1s", now_ns(CLOCK_MONOTONIC) - t0 < 1000000000LL);

    t0 = now_ns(CLOCK_MONOTONIC);
    req.tv_nsec = 80 * 1000000L;
    printf("clock_nanosleep MONOTONIC rel 80ms: %s\n", en(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL)));
    YN("elapsed >= 80ms", now_ns(CLOCK_MONOTONIC) - t0 >= 80000000LL);

    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    abs.tv_nsec += 90 * 1000000L;
    if (abs.tv_nsec >= 1000000000L) { abs.tv_sec++; abs.tv_nsec -= 1000000000L; }
    printf("clock_nanosleep MONOTONIC abs +90ms: %s\n", en(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL)));
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    YN("now >= deadline", now.tv_sec > abs.tv_sec || (now.tv_sec == abs.tv_sec && now.tv_nsec >= abs.tv_nsec));

    clock_gettime(CLOCK_REALTIME, &abs);
    abs.tv_nsec += 70 * 1000000L;
    if (abs.tv_nsec >= 1000000000L) { abs.tv_sec++; abs.tv_nsec -= 1000000000L; }
    t0 = now_ns(CLOCK_MONOTONIC);
    printf("clock_nanosleep REALTIME abs +70ms: %s\n", en(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &abs, NULL)));
    YN("elapsed >= 60ms", now_ns(CLOCK_MONOTONIC) - t0 >= 60000000LL);

    clock_gettime(CLOCK_MONOTONIC, &abs);
    abs.tv_sec -= 1;
    t0 = now_ns(CLOCK_MONOTONIC);
    printf("abs deadline in the past: %s\n", en(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL)));
    YN("returned quickly", now_ns(CLOCK_MONOTONIC) - t0 < 500000000LL);

    struct timespec bad = {0, 1000000000L};
    RET("nanosleep nsec 1e9", nanosleep(&bad, NULL));
    struct timespec neg = {-1, 0};
    RET("nanosleep negative", nanosleep(&neg, NULL));
    printf("clock_nanosleep bad clock: %s\n", en(clock_nanosleep(12345, 0, &req, NULL)));
    printf("clock_nanosleep THREAD_CPUTIME: %s\n", en(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL)));
    printf("clock_nanosleep nsec 1e9: %s\n", en(clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL)));

    /* sleep() and usleep() go through the same calls. */
    t0 = now_ns(CLOCK_MONOTONIC);
    usleep(30000);
    YN("usleep(30ms) elapsed >= 30ms", now_ns(CLOCK_MONOTONIC) - t0 >= 30000000LL);
    t0 = now_ns(CLOCK_MONOTONIC);
    printf("sleep(1): %u\n", sleep(1));
    YN("sleep(1) elapsed >= 1s", now_ns(CLOCK_MONOTONIC) - t0 >= 1000000000LL);
    return 0;
}

/* futex WAIT_BITSET/WAKE_BITSET: only waiters whose bitset intersects are woken;
 * absolute timeouts on CLOCK_MONOTONIC and (FUTEX_CLOCK_REALTIME) CLOCK_REALTIME. */
#include "common.h"
#include <linux/futex.h>
#include <pthread.h>

static int fb;
static volatile int woke[2];

static void *waiter(void *arg) {
    long i = (long)arg;
    unsigned mask = i == 0 ? 0x1 : 0x6;
    long r = futex(&fb, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, (int)mask);
    woke[i] = r == 0 ? 1 : -1;
    return NULL;
}

static long count_waiters(int *f) {
    static int scratch;
    long n = futex(f, FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG, 0, (void *)(long)0x7fffffff, &scratch, 0);
    futex(&scratch, FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG, 0, (void *)(long)0x7fffffff, f, 0);
    return n;
}

static void abs_after(clockid_t c, struct timespec *ts, long ms) {
    clock_gettime(c, ts);
    ts->tv_nsec += ms * 1000000L;
    while (ts->tv_nsec >= 1000000000L) { ts->tv_sec++; ts->tv_nsec -= 1000000000L; }
}

int main(void) {
    setup(10);
    pthread_t t[2];
    for (long i = 0; i < 2; i++) pthread_create(&t[i], NULL, waiter, (void *)i);
    long n = 0;
    for (int i = 0; i < 2000 && n < 2; i++) { n = count_waiters(&fb); if (n < 2) sleep_ms(1); }
    printf("waiters: %ld\n", n);
    RET("WAKE_BITSET 0x8 (no match)", futex(&fb, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, 10, NULL, NULL, 0x8));
    RET("WAKE_BITSET 0x4 (matches second)", futex(&fb, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, 10, NULL, NULL, 0x4));
    pthread_join(t[1], NULL);
    printf("woke: first=%d second=%d\n", woke[0], woke[1]);
    RET("plain WAKE (all bits)", futex(&fb, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 10, NULL, NULL, 0));
    pthread_join(t[0], NULL);
    printf("woke: first=%d second=%d\n", woke[0], woke[1]);

    RET("WAIT_BITSET bitset 0", futex(&fb, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0));
    RET("WAKE_BITSET bitset 0", futex(&fb, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0));
    RET("WAIT_BITSET mismatch", futex(&fb, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, -1));

    struct timespec ts;
    abs_after(CLOCK_MONOTONIC, &ts, 60);
    long long t0 = now_ns(CLOCK_MONOTONIC);
    RET("WAIT_BITSET abs monotonic +60ms", futex(&fb, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0, &ts, NULL, -1));
    YN("elapsed >= 60ms", now_ns(CLOCK_MONOTONIC) - t0 >= 60000000LL);
    abs_after(CLOCK_REALTIME, &ts, 60);
    t0 = now_ns(CLOCK_MONOTONIC);
    RET("WAIT_BITSET abs realtime +60ms",
        futex(&fb, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME, 0, &ts, NULL, -1));
    YN("elapsed >= 50ms", now_ns(CLOCK_MONOTONIC) - t0 >= 50000000LL);
    abs_after(CLOCK_MONOTONIC, &ts, 0);
    ts.tv_sec -= 1;
    RET("WAIT_BITSET abs in the past", futex(&fb, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0, &ts, NULL, -1));
    return 0;
}

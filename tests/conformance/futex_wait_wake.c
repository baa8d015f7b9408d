/* futex WAIT/WAKE (private and non-private): EAGAIN on value mismatch, ETIMEDOUT with
 * elapsed >= timeout, wake counts, EINVAL cases, a waiter woken by another thread. */
#include "common.h"
#include <linux/futex.h>
#include <pthread.h>

static int fw;
static volatile long waiter_ret = -100;
static volatile int waiter_errno;

/* Number of tasks blocked on f: move them all to a scratch futex and back. */
static long count_waiters(int *f, int priv) {
    static int scratch;
    int op = FUTEX_REQUEUE | (priv ? FUTEX_PRIVATE_FLAG : 0);
    long n = futex(f, op, 0, (void *)(long)0x7fffffff, &scratch, 0);
    futex(&scratch, op, 0, (void *)(long)0x7fffffff, f, 0);
    return n;
}

static volatile int got_usr1;
static void on_usr1(int s) { (void)s; got_usr1 = 1; }

static void *waiter(void *arg) {
    int op = (int)(long)arg;
    long r = futex(&fw, op, 0, NULL, NULL, 0);
    waiter_errno = errno;
    waiter_ret = r;
    return NULL;
}

static void one(int priv) {
    const char *k = priv ? "private" : "shared";
    int op_wait = FUTEX_WAIT | (priv ? FUTEX_PRIVATE_FLAG : 0);
    int op_wake = FUTEX_WAKE | (priv ? FUTEX_PRIVATE_FLAG : 0);
    fw = 1;
    printf("[%s] ", k); RET("WAIT value mismatch", futex(&fw, op_wait, 0, NULL, NULL, 0));
    printf("[%s] ", k); RET("WAKE no waiters", futex(&fw, op_wake, 1, NULL, NULL, 0));
    struct timespec to = {0, 50 * 1000000L};
    long long t0 = now_ns(CLOCK_MONOTONIC);
    printf("[%s] ", k); RET("WAIT with 50ms timeout", futex(&fw, op_wait, 1, &to, NULL, 0));
    printf("[%s] ", k); YN("elapsed >= 50ms", now_ns(CLOCK_MONOTONIC) - t0 >= 50000000LL);
    struct timespec bad = {0, 1000000000L};
    printf("[%s] ", k); RET("WAIT bad timeout nsec", futex(&fw, op_wait, 1, &bad, NULL, 0));
    struct timespec neg = {-1, 0};
    printf("[%s] ", k); RET("WAIT negative timeout", futex(&fw, op_wait, 1, &neg, NULL, 0));
    printf("[%s] ", k); RET("WAIT unaligned address", futex((char *)&fw + 1, op_wait, 1, NULL, NULL, 0));

    fw = 0;
    waiter_ret = -100;
    pthread_t t;
    pthread_create(&t, NULL, waiter, (void *)(long)op_wait);
    long n = 0;
    for (int i = 0; i < 2000 && n == 0; i++) { n = count_waiters(&fw, priv); if (!n) sleep_ms(1); }
    printf("[%s] waiters seen: %ld\n", k, n);
    __atomic_store_n(&fw, 1, __ATOMIC_SEQ_CST);
    printf("[%s] ", k); RET("WAKE one waiter", futex(&fw, op_wake, 10, NULL, NULL, 0));
    pthread_join(t, NULL);
    printf("[%s] waiter returned %ld (%s)\n", k, waiter_ret, waiter_ret ? en(waiter_errno) : "OK");
}

int main(void) {
    setup(10);
    one(1);
    one(0);
    RET("unknown futex op", futex(&fw, 99, 0, NULL, NULL, 0));
    RET("WAIT on NULL", futex(NULL, FUTEX_WAIT, 0, NULL, NULL, 0));

    /* A waiter interrupted by a signal whose handler lacks SA_RESTART: EINTR. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    fw = 0;
    waiter_ret = -100;
    pthread_t t;
    pthread_create(&t, NULL, waiter, (void *)(long)(FUTEX_WAIT | FUTEX_PRIVATE_FLAG));
    long n = 0;
    for (int i = 0; i < 2000 && n == 0; i++) { n = count_waiters(&fw, 1); if (!n) sleep_ms(1); }
    pthread_kill(t, SIGUSR1);
    pthread_join(t, NULL);
    printf("signaled waiter returned %ld (%s), handler ran: %s\n", waiter_ret, waiter_ret ? en(waiter_errno) : "OK",
           got_usr1 ? "yes" : "no");
    return 0;
}

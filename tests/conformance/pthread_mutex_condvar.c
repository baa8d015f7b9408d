/* pthreads: mutex contention, condvar producer/consumer, broadcast, trylock, timedwait. */
#include "common.h"
#include <pthread.h>

#define NTHREADS 8
#define ITERS 20000
#define ITEMS 2000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t nonempty = PTHREAD_COND_INITIALIZER, nonfull = PTHREAD_COND_INITIALIZER;
static long counter;
static int queue[4], qlen, qhead;
static long consumed_sum;
static int go, started;
static pthread_cond_t go_cv = PTHREAD_COND_INITIALIZER;

static void *incr(void *arg) {
    (void)arg;
    for (int i = 0; i < ITERS; i++) {
        pthread_mutex_lock(&mu);
        long v = counter;
        if ((i & 255) == 0) sched_yield();
        counter = v + 1;
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

static void *producer(void *arg) {
    (void)arg;
    for (int i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&mu);
        while (qlen == 4) pthread_cond_wait(&nonfull, &mu);
        queue[(qhead + qlen) % 4] = i;
        qlen++;
        pthread_cond_signal(&nonempty);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

static void *consumer(void *arg) {
    long n = (long)arg, sum = 0;
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(&mu);
        while (qlen == 0) pthread_cond_wait(&nonempty, &mu);
        sum += queue[qhead];
        qhead = (qhead + 1) % 4;
        qlen--;
        pthread_cond_signal(&nonfull);
        pthread_mutex_unlock(&mu);
    }
    pthread_mutex_lock(&mu);
    consumed_sum += sum;
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void *waiter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&mu);
    started++;
    pthread_cond_broadcast(&go_cv);
    while (!go) pthread_cond_wait(&go_cv, &mu);
    pthread_mutex_unlock(&mu);
    return (void *)7;
}

int main(void) {
    setup(20);
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) pthread_create(&t[i], NULL, incr, NULL);
    for (int i = 0; i < NTHREADS; i++) pthread_join(t[i], NULL);
    printf("mutex counter: %ld (expected %d)\n", counter, NTHREADS * ITERS);

    pthread_t p, c[2];
    pthread_create(&c[0], NULL, consumer, (void *)(long)(ITEMS / 2));
    pthread_create(&c[1], NULL, consumer, (void *)(long)(ITEMS / 2));
    pthread_create(&p, NULL, producer, NULL);
    pthread_join(p, NULL);
    pthread_join(c[0], NULL);
    pthread_join(c[1], NULL);
    printf("condvar consumed sum: %ld (expected %ld)\n", consumed_sum, (long)ITEMS * (ITEMS + 1) / 2);

    pthread_t w[4];
    for (int i = 0; i < 4; i++) pthread_create(&w[i], NULL, waiter, NULL);
    pthread_mutex_lock(&mu);
    while (started < 4) pthread_cond_wait(&go_cv, &mu);
    go = 1;
    pthread_cond_broadcast(&go_cv);
    pthread_mutex_unlock(&mu);
    int ok = 1;
    for (int i = 0; i < 4; i++) {
        void *rv;
        pthread_join(w[i], &rv);
        if (rv != (void *)7) ok = 0;
    }
    YN("broadcast woke all waiters", ok);

    pthread_mutex_lock(&mu);
    printf("trylock while held: %s\n", en(pthread_mutex_trylock(&mu)));
    pthread_mutex_unlock(&mu);
    int r = pthread_mutex_trylock(&mu);
    printf("trylock while free: %s\n", en(r));
    if (r == 0) pthread_mutex_unlock(&mu);

    pthread_mutex_t em;
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&em, &a);
    pthread_mutex_lock(&em);
    printf("errorcheck relock: %s\n", en(pthread_mutex_lock(&em)));
    pthread_mutex_unlock(&em);
    printf("errorcheck unlock unowned: %s\n", en(pthread_mutex_unlock(&em)));

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50 * 1000000L;
    if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
    long long t0 = now_ns(CLOCK_MONOTONIC);
    pthread_mutex_lock(&mu);
    r = pthread_cond_timedwait(&nonempty, &mu, &ts);
    pthread_mutex_unlock(&mu);
    printf("cond_timedwait: %s\n", en(r));
    YN("timedwait elapsed >= 40ms", now_ns(CLOCK_MONOTONIC) - t0 >= 40000000LL);
    return counter == NTHREADS * ITERS ? 0 : 1;
}

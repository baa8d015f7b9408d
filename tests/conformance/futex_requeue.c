/* futex REQUEUE and CMP_REQUEUE: counts of woken + requeued waiters, EAGAIN when the
 * compare value mismatches, then waking the requeued ones on the second futex. */
#include "common.h"
#include <linux/futex.h>
#include <pthread.h>

#define N 4
static int f1, f2;
static volatile int done[N];

static long requeue(int *from, int *to, int nwake, int nreq, int cmp, int use_cmp) {
    int op = (use_cmp ? FUTEX_CMP_REQUEUE : FUTEX_REQUEUE) | FUTEX_PRIVATE_FLAG;
    return futex(from, op, nwake, (void *)(long)nreq, to, cmp);
}

static long count_waiters(int *f) {
    static int scratch;
    long n = requeue(f, &scratch, 0, 0x7fffffff, 0, 0);
    requeue(&scratch, f, 0, 0x7fffffff, 0, 0);
    return n;
}

static void *waiter(void *arg) {
    long i = (long)arg;
    futex(&f1, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    done[i] = 1;
    return NULL;
}

static int ndone(void) {
    int n = 0;
    for (int i = 0; i < N; i++) n += done[i];
    return n;
}

static void wait_done(int want) {
    for (int i = 0; i < 2000 && ndone() < want; i++) sleep_ms(1);
}

static void start(pthread_t *t) {
    f1 = 0;
    f2 = 0;
    for (int i = 0; i < N; i++) { done[i] = 0; pthread_create(&t[i], NULL, waiter, (void *)(long)i); }
    long n = 0;
    for (int i = 0; i < 3000 && n < N; i++) { n = count_waiters(&f1); if (n < N) sleep_ms(1); }
    printf("waiters blocked on f1: %ld\n", n);
}

int main(void) {
    setup(15);
    pthread_t t[N];

    start(t);
    RET("CMP_REQUEUE value mismatch", requeue(&f1, &f2, 1, 10, 1, 1));
    RET("CMP_REQUEUE wake 1 requeue 2", requeue(&f1, &f2, 1, 2, 0, 1));
    wait_done(1);
    printf("done after cmp_requeue: %d\n", ndone());
    RET("waiters left on f1", count_waiters(&f1));
    RET("waiters on f2", count_waiters(&f2));
    RET("WAKE f2 all", futex(&f2, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 100, NULL, NULL, 0));
    RET("WAKE f1 all", futex(&f1, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 100, NULL, NULL, 0));
    for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
    printf("done: %d\n", ndone());

    start(t);
    RET("REQUEUE wake 0 requeue all", requeue(&f1, &f2, 0, 100, 0, 0));
    RET("WAKE f1 (none left)", futex(&f1, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 100, NULL, NULL, 0));
    RET("WAKE f2 two", futex(&f2, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 2, NULL, NULL, 0));
    wait_done(2);
    printf("done after waking two: %d\n", ndone());
    RET("REQUEUE f2->f1 wake 1 requeue 1", requeue(&f2, &f1, 1, 1, 0, 0));
    wait_done(3);
    RET("WAKE f1 rest", futex(&f1, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 100, NULL, NULL, 0));
    for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
    printf("done: %d\n", ndone());

    RET("CMP_REQUEUE negative nr_wake", requeue(&f1, &f2, -1, 1, 0, 1));
    return 0;
}

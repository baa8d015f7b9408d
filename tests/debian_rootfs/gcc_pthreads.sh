# gcc: compile a C program using pthreads (mutex, condition variable, barrier) and run it.
cat > p.c <<'C'
#include <pthread.h>
#include <stdio.h>
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t bar;
static long total;
static int ready;
static void *work(void *arg) {
    pthread_barrier_wait(&bar);
    for (long i = 0; i < 100000; i++) { pthread_mutex_lock(&m); total += (long)arg; pthread_mutex_unlock(&m); }
    pthread_mutex_lock(&m);
    ready++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&m);
    return (void *)((long)arg * 10);
}
int main(void) {
    pthread_t t[4];
    pthread_barrier_init(&bar, 0, 4);
    for (long i = 0; i < 4; i++) pthread_create(&t[i], 0, work, (void *)(i + 1));
    pthread_mutex_lock(&m);
    while (ready < 4) pthread_cond_wait(&cv, &m);
    pthread_mutex_unlock(&m);
    long sum = 0;
    for (int i = 0; i < 4; i++) { void *r; pthread_join(t[i], &r); sum += (long)r; }
    printf("total %ld joined %ld\n", total, sum);
    return 3;
}
C
gcc -O2 -Wall -pthread -o p p.c
echo "gcc exit $?"
./p
echo "program exit $?"

/* pthreads: create/join return values, detach, TLS, thread ids, pthread_once, keys. */
#include "common.h"
#include <pthread.h>

static __thread int tls_val = 5;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_count;
static pthread_key_t key;
static int dtor_count;
static pid_t main_pid;

static void once_fn(void) { once_count++; }
static void dtor(void *p) { (void)p; __atomic_fetch_add(&dtor_count, 1, __ATOMIC_SEQ_CST); }

struct res { int tls_initial, tid_ne_pid, getpid_same, tls_after; };

static void *worker(void *arg) {
    struct res *r = arg;
    r->tls_initial = tls_val;
    tls_val = 100;
    r->tid_ne_pid = syscall(SYS_gettid) != getpid();
    r->getpid_same = getpid() == main_pid;
    pthread_once(&once, once_fn);
    pthread_setspecific(key, (void *)1);
    r->tls_after = tls_val;
    return (void *)(long)(42);
}

static volatile int detached_done;
static void *detached(void *arg) { (void)arg; detached_done = 1; return NULL; }

int main(void) {
    setup(10);
    main_pid = getpid();
    pthread_key_create(&key, dtor);
    YN("main gettid()==getpid()", syscall(SYS_gettid) == getpid());
    tls_val = 9;
    struct res rs[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        memset(&rs[i], 0, sizeof rs[i]);
        if (pthread_create(&t[i], NULL, worker, &rs[i]) != 0) DIE("pthread_create");
    }
    for (int i = 0; i < 4; i++) {
        void *rv;
        int e = pthread_join(t[i], &rv);
        printf("thread %d: join=%s ret=%ld tls_initial=%d tid!=pid=%d getpid_same=%d\n", i, en(e),
               (long)rv, rs[i].tls_initial, rs[i].tid_ne_pid, rs[i].getpid_same);
    }
    printf("main tls after threads: %d\n", tls_val);
    printf("once count: %d\n", once_count);
    printf("key destructor calls: %d\n", dtor_count);

    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, 256 * 1024);
    pthread_t d;
    printf("create detached: %s\n", en(pthread_create(&d, &a, detached, NULL)));
    for (int i = 0; i < 1000 && !detached_done; i++) sleep_ms(2);
    YN("detached thread ran", detached_done);

    YN("pthread_equal(self,self)", pthread_equal(pthread_self(), pthread_self()));
    printf("join self: %s\n", en(pthread_join(pthread_self(), NULL)));

    /* Many short-lived threads, created in waves. */
    int ok = 1;
    for (int wave = 0; wave < 10; wave++) {
        pthread_t w[10];
        struct res wr[10];
        for (int i = 0; i < 10; i++) if (pthread_create(&w[i], NULL, worker, &wr[i])) ok = 0;
        for (int i = 0; i < 10; i++) {
            void *rv;
            pthread_join(w[i], &rv);
            if (rv != (void *)42L || wr[i].tls_initial != 5) ok = 0;
        }
    }
    YN("100 threads in waves ok", ok);
    return 0;
}

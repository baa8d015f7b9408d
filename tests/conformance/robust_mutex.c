/* Robust futexes: set_robust_list/get_robust_list, and a robust mutex whose owner dies
 * (thread and process) yields EOWNERDEAD, then consistent, then usable again. */
#include "common.h"
#include <linux/futex.h>
#include <pthread.h>

static pthread_mutex_t *mx;

static void *die_holding(void *arg) {
    (void)arg;
    pthread_mutex_lock(mx);
    return NULL; /* thread exits owning the mutex */
}

static void init_robust(pthread_mutex_t *m, int pshared) {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (pshared) pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
}

int main(void) {
    setup(10);
    struct robust_list_head *head = NULL;
    size_t len = 0;
    RET("get_robust_list(0)", syscall(SYS_get_robust_list, 0, &head, &len));
    printf("robust list len: %zu (sizeof head %zu)\n", len, sizeof(struct robust_list_head));
    YN("robust list head registered", head != NULL);
    RET("set_robust_list bad len", syscall(SYS_set_robust_list, head, len + 1));
    RET("set_robust_list same head", syscall(SYS_set_robust_list, head, len));
    RET("get_robust_list(nonexistent)", syscall(SYS_get_robust_list, 0x3ffffff0, &head, &len));

    /* Thread dies holding the mutex. */
    static pthread_mutex_t local;
    mx = &local;
    init_robust(mx, 0);
    pthread_t t;
    pthread_create(&t, NULL, die_holding, NULL);
    pthread_join(t, NULL);
    int r = pthread_mutex_lock(mx);
    printf("lock after owner thread died: %s\n", en(r));
    printf("consistent: %s\n", en(pthread_mutex_consistent(mx)));
    printf("unlock: %s\n", en(pthread_mutex_unlock(mx)));
    printf("lock again: %s\n", en(pthread_mutex_lock(mx)));
    printf("unlock again: %s\n", en(pthread_mutex_unlock(mx)));

    /* Unlock without consistent makes it unrecoverable. */
    pthread_create(&t, NULL, die_holding, NULL);
    pthread_join(t, NULL);
    printf("lock (dead owner, 2nd): %s\n", en(pthread_mutex_lock(mx)));
    printf("unlock without consistent: %s\n", en(pthread_mutex_unlock(mx)));
    printf("lock now: %s\n", en(pthread_mutex_lock(mx)));

    /* Process-shared robust mutex in MAP_SHARED memory; the child dies holding it. */
    pthread_mutex_t *sm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sm == MAP_FAILED) DIE("mmap");
    init_robust(sm, 1);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        pthread_mutex_lock(sm);
        _exit(0);
    }
    printf("child: %s\n", wstr(wait_child(p)));
    r = pthread_mutex_lock(sm);
    printf("lock after owner process died: %s\n", en(r));
    if (r == EOWNERDEAD) pthread_mutex_consistent(sm);
    pthread_mutex_unlock(sm);

    /* The child is killed by a signal while holding it; the parent was already waiting. */
    pthread_mutex_lock(sm);
    p = fork();
    if (p == 0) {
        printf("child trylock while parent holds: %s\n", en(pthread_mutex_trylock(sm)));
        _exit(0);
    }
    wait_child(p);
    pthread_mutex_unlock(sm);
    p = fork();
    if (p == 0) {
        pthread_mutex_lock(sm);
        for (;;) pause();
    }
    for (int i = 0; i < 1000; i++) {
        r = pthread_mutex_trylock(sm);
        if (r != 0) break; /* the child now owns it */
        pthread_mutex_unlock(sm);
        sleep_ms(2);
    }
    kill(p, SIGKILL);
    wait_child(p);
    r = pthread_mutex_lock(sm);
    printf("lock after owner killed: %s\n", en(r));
    return 0;
}

/* exit vs exit_group in threads: SYS_exit ends one thread, SYS_exit_group (and exit())
 * ends all; the main thread may exit with pthread_exit while others keep running. */
#include "common.h"
#include <pthread.h>

static volatile int after_exit;

static void *thread_sys_exit(void *arg) {
    (void)arg;
    syscall(SYS_exit, 9); /* only this thread */
    after_exit = 1;
    return NULL;
}

static void *thread_exit_group(void *arg) {
    sleep_ms(20);
    syscall(SYS_exit_group, (int)(long)arg);
    return NULL;
}

static void *thread_libc_exit(void *arg) {
    (void)arg;
    sleep_ms(20);
    exit(23);
}

static void *thread_outlives_main(void *arg) {
    (void)arg;
    sleep_ms(100);
    printf("  thread after main's pthread_exit: still running\n");
    exit(31);
}

static int scenario_sys_exit(void) {
    pthread_t t;
    pthread_create(&t, NULL, thread_sys_exit, NULL);
    sleep_ms(100);
    printf("  main continues after thread SYS_exit, ran past exit: %s\n", after_exit ? "yes" : "no");
    return 4;
}

static int scenario_exit_group(void) {
    pthread_t t[3];
    pthread_create(&t[0], NULL, thread_exit_group, (void *)17L);
    pthread_create(&t[1], NULL, thread_sys_exit, NULL);
    for (;;) pause();
    return 0;
}

static int scenario_libc_exit(void) {
    pthread_t t;
    pthread_create(&t, NULL, thread_libc_exit, NULL);
    for (;;) pause();
    return 0;
}

static int scenario_main_pthread_exit(void) {
    pthread_t t;
    pthread_create(&t, NULL, thread_outlives_main, NULL);
    pthread_exit(NULL);
}

static int scenario_main_sys_exit(void) {
    pthread_t t;
    pthread_create(&t, NULL, thread_outlives_main, NULL);
    syscall(SYS_exit, 2); /* main thread only: the process lives on (a zombie leader) */
    return 0;
}

int main(void) {
    setup(10);
    in_child("thread SYS_exit, main returns 4", scenario_sys_exit);
    in_child("thread exit_group(17)", scenario_exit_group);
    in_child("thread exit(23)", scenario_libc_exit);
    in_child("main pthread_exit, thread exit(31)", scenario_main_pthread_exit);
    in_child("main SYS_exit, thread exit(31)", scenario_main_sys_exit);
    return 0;
}

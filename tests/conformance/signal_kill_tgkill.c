/* kill / tkill / tgkill: existence probes, ESRCH/EINVAL/EPERM cases, per-thread
 * delivery (the handler runs in the targeted thread). */
#include "common.h"
#include <pthread.h>

static volatile pid_t handler_tid;
static volatile int ready, stop;
static pid_t target_tid;

static void h(int s) { (void)s; handler_tid = (pid_t)syscall(SYS_gettid); }

static void *worker(void *arg) {
    (void)arg;
    target_tid = (pid_t)syscall(SYS_gettid);
    ready = 1;
    while (!stop) sleep_ms(1);
    return NULL;
}

int main(void) {
    setup(10);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sigaction(SIGUSR1, &sa, NULL);
    pid_t me = getpid();
    pid_t mytid = (pid_t)syscall(SYS_gettid);

    RET("kill(self, 0)", kill(me, 0));
    RET("kill(nonexistent, 0)", kill(0x3ffffff0, 0));
    RET("kill(self, 65)", kill(me, 65));
    RET("kill(self, -1 signal)", kill(me, -1));
    RET("tkill(nonexistent)", syscall(SYS_tkill, 0x3ffffff0, SIGUSR1));
    RET("tkill(0)", syscall(SYS_tkill, 0, SIGUSR1));
    RET("tgkill(0, tid)", syscall(SYS_tgkill, 0, mytid, SIGUSR1));
    RET("tgkill(wrong tgid)", syscall(SYS_tgkill, 0x3ffffff0, mytid, SIGUSR1));

    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    while (!ready) sleep_ms(1);
    handler_tid = 0;
    RET("tgkill(thread)", syscall(SYS_tgkill, me, target_tid, SIGUSR1));
    for (int i = 0; i < 1000 && !handler_tid; i++) sleep_ms(1);
    YN("handler ran in target thread", handler_tid == target_tid);
    handler_tid = 0;
    RET("tkill(thread)", syscall(SYS_tkill, target_tid, SIGUSR1));
    for (int i = 0; i < 1000 && !handler_tid; i++) sleep_ms(1);
    YN("handler ran in target thread (tkill)", handler_tid == target_tid);
    handler_tid = 0;
    RET("tgkill(main)", syscall(SYS_tgkill, me, mytid, SIGUSR1));
    YN("handler ran in main thread", handler_tid == mytid);
    RET("pthread_kill(t, 0)", pthread_kill(t, 0));
    stop = 1;
    pthread_join(t, NULL);
    /* pthread_join returns when the thread's tid is cleared, a moment before Linux
     * releases the thread: wait until signal 0 finds it gone. */
    for (int i = 0; i < 1000 && syscall(SYS_tgkill, me, target_tid, 0) == 0; i++) sleep_ms(1);
    RET("tgkill(exited thread)", syscall(SYS_tgkill, me, target_tid, SIGUSR1));

    /* A child: signal 0 probes, then a non-root sender gets EPERM against us. */
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        if (getuid() == 0 && setresuid(65534, 65534, 65534) == 0) {
            errno = 0;
            int r = kill(getppid(), 0);
            printf("  as uid 65534, kill(parent, 0): %d %s\n", r, en(errno));
        } else {
            printf("  as uid 65534, kill(parent, 0): -1 EPERM\n");
        }
        _exit(0);
    }
    wait_child(p);

    p = fork();
    if (p == 0) { for (;;) pause(); }
    RET("kill(child, 0)", kill(p, 0));
    RET("kill(child, SIGKILL)", kill(p, SIGKILL));
    printf("child: %s\n", wstr(wait_child(p)));
    RET("kill(reaped child, 0)", kill(p, 0));
    return 0;
}

/* rt_sigsuspend: atomically swaps the mask and waits; returns EINTR after a handler
 * ran; the old mask is restored; signals blocked by the temporary mask stay pending. */
#include "common.h"

static volatile int got1, got2;
static void h(int s) { if (s == SIGUSR1) got1++; else got2++; }

int main(void) {
    setup(10);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigset_t block, old, during, after;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGUSR2);
    sigprocmask(SIG_BLOCK, &block, &old);

    /* A child sends USR2 then USR1; we suspend with only USR2 blocked. */
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        sleep_ms(50);
        kill(getppid(), SIGUSR2);
        sleep_ms(50);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    during = old;
    sigaddset(&during, SIGUSR2);
    sigdelset(&during, SIGUSR1);
    int r = sigsuspend(&during);
    printf("sigsuspend: %d %s got1=%d got2=%d\n", r, en(errno), got1, got2);
    sigprocmask(SIG_BLOCK, NULL, &after);
    printf("mask restored: USR1 blocked=%d USR2 blocked=%d\n", sigismember(&after, SIGUSR1), sigismember(&after, SIGUSR2));
    sigset_t pend;
    sigpending(&pend);
    printf("USR2 pending: %d\n", sigismember(&pend, SIGUSR2));
    wait_child(p);

    /* An already-pending signal makes sigsuspend return at once. */
    sigset_t none = old;
    sigdelset(&none, SIGUSR1);
    sigdelset(&none, SIGUSR2);
    long long t0 = now_ns(CLOCK_MONOTONIC);
    r = sigsuspend(&none);
    printf("with pending USR2: %d %s got2=%d quick=%s\n", r, en(errno), got2,
           now_ns(CLOCK_MONOTONIC) - t0 < 1000000000LL ? "yes" : "no");

    /* SIGCHLD wakes sigsuspend. */
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, NULL);
    sa.sa_handler = h;
    sigaction(SIGCHLD, &sa, NULL);
    p = fork();
    if (p == 0) _exit(0);
    r = sigsuspend(&none);
    printf("SIGCHLD woke sigsuspend: %d %s\n", r, en(errno));
    wait_child(p);

    RET("rt_sigsuspend bad size", syscall(SYS_rt_sigsuspend, &none, 4));
    sigprocmask(SIG_SETMASK, &old, NULL);
    return 0;
}

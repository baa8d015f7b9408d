/* rt_sigprocmask and rt_sigpending: blocked signals stay pending, standard signals
 * coalesce, real-time signals queue in order, SIGKILL/SIGSTOP can't be blocked. */
#include "common.h"

static volatile int usr1, rt_order[8], nrt;
static void h1(int s) { (void)s; usr1++; }
static void hrt(int s, siginfo_t *si, void *u) { (void)s; (void)u; if (nrt < 8) rt_order[nrt++] = si->si_value.sival_int; }

static int ispending(int sig) {
    sigset_t p;
    sigpending(&p);
    return sigismember(&p, sig);
}

int main(void) {
    setup(10);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h1;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_sigaction = hrt;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGRTMIN, &sa, NULL);

    sigset_t set, old, cur;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGRTMIN);
    RET("block USR1+RTMIN", sigprocmask(SIG_BLOCK, &set, &old));
    YN("old mask had USR1", sigismember(&old, SIGUSR1));
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1);
    for (int i = 1; i <= 3; i++) sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = i});
    YN("USR1 pending", ispending(SIGUSR1));
    YN("RTMIN pending", ispending(SIGRTMIN));
    YN("USR2 pending", ispending(SIGUSR2));
    printf("handler calls while blocked: %d\n", usr1);
    RET("unblock", sigprocmask(SIG_UNBLOCK, &set, NULL));
    printf("USR1 deliveries after unblock (coalesced): %d\n", usr1);
    printf("RTMIN deliveries: %d order: %d %d %d\n", nrt, rt_order[0], rt_order[1], rt_order[2]);
    YN("USR1 pending after unblock", ispending(SIGUSR1));

    /* SIGKILL and SIGSTOP are silently dropped from the mask. */
    sigfillset(&set);
    sigprocmask(SIG_SETMASK, &set, NULL);
    sigprocmask(SIG_SETMASK, NULL, &cur);
    printf("after blocking all: KILL=%d STOP=%d TERM=%d USR1=%d\n", sigismember(&cur, SIGKILL), sigismember(&cur, SIGSTOP),
           sigismember(&cur, SIGTERM), sigismember(&cur, SIGUSR1));
    sigemptyset(&set);
    sigprocmask(SIG_SETMASK, &set, NULL);
    sigprocmask(SIG_SETMASK, NULL, &cur);
    YN("mask empty after SETMASK empty", sigisemptyset(&cur));

    RET("sigprocmask bad how", sigprocmask(12345, &set, NULL));
    RET("rt_sigprocmask bad size", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4));
    RET("rt_sigpending bad size", syscall(SYS_rt_sigpending, &set, 16));

    /* Ignoring a pending signal discards it. */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sa.sa_handler = h1;
    sa.sa_flags = 0;
    sigaction(SIGUSR2, &sa, NULL);
    sigprocmask(SIG_BLOCK, &set, NULL);
    kill(getpid(), SIGUSR2);
    YN("USR2 pending", ispending(SIGUSR2));
    signal(SIGUSR2, SIG_IGN);
    YN("USR2 pending after SIG_IGN", ispending(SIGUSR2));
    sigprocmask(SIG_UNBLOCK, &set, NULL);

    /* The mask is inherited over fork, pending signals are not. */
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    kill(getpid(), SIGUSR1);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        sigset_t m;
        sigprocmask(SIG_BLOCK, NULL, &m);
        printf("  child: USR1 blocked=%d pending=%d\n", sigismember(&m, SIGUSR1), ispending(SIGUSR1));
        _exit(0);
    }
    wait_child(p);
    usr1 = 0;
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("parent delivered after unblock: %d\n", usr1);
    return 0;
}

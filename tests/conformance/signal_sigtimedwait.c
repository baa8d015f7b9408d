/* rt_sigtimedwait / sigwaitinfo: immediate return for a pending signal, EAGAIN on
 * timeout (zero and non-zero), siginfo from sigqueue, a signal sent later by a child. */
#include "common.h"

static void h(int s) { (void)s; }

int main(void) {
    setup(10);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h; /* handlers installed: a blocked signal to init must not be dropped */
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGRTMIN + 2, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGRTMIN + 2);
    sigprocmask(SIG_BLOCK, &set, NULL);

    siginfo_t si;
    struct timespec zero = {0, 0};
    RET("poll with nothing pending", sigtimedwait(&set, &si, &zero));
    struct timespec to = {0, 100 * 1000000L};
    long long t0 = now_ns(CLOCK_MONOTONIC);
    RET("100ms timeout", sigtimedwait(&set, &si, &to));
    YN("elapsed >= 100ms", now_ns(CLOCK_MONOTONIC) - t0 >= 100000000LL);

    kill(getpid(), SIGUSR2);
    memset(&si, 0, sizeof si);
    int r = sigtimedwait(&set, &si, &zero);
    printf("pending USR2: %s code_is_SI_USER=%s pid_ok=%s\n", signame(r), si.si_code == SI_USER ? "yes" : "no",
           si.si_pid == getpid() ? "yes" : "no");

    sigqueue(getpid(), SIGRTMIN + 2, (union sigval){.sival_int = 77});
    sigqueue(getpid(), SIGRTMIN + 2, (union sigval){.sival_int = 78});
    kill(getpid(), SIGUSR1);
    /* Lowest-numbered first: USR1 (10) before RTMIN+2. */
    for (int i = 0; i < 3; i++) {
        memset(&si, 0, sizeof si);
        r = sigwaitinfo(&set, &si);
        printf("wait %d: %s value=%d\n", i, signame(r), r == SIGRTMIN + 2 ? si.si_value.sival_int : 0);
    }
    RET("nothing left", sigtimedwait(&set, &si, &zero));

    /* Blocks until a child sends the signal. */
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) { sleep_ms(100); kill(getppid(), SIGUSR1); _exit(0); }
    struct timespec five = {5, 0};
    memset(&si, 0, sizeof si);
    r = sigtimedwait(&set, &si, &five);
    printf("from child: %s pid_is_child=%s\n", signame(r), si.si_pid == p ? "yes" : "no");
    wait_child(p);

    struct timespec bad = {0, 2000000000L};
    RET("bad timeout", sigtimedwait(&set, &si, &bad));
    sigset_t empty;
    sigemptyset(&empty);
    RET("empty set, zero timeout", sigtimedwait(&empty, &si, &zero));
    RET("bad sigsetsize", syscall(SYS_rt_sigtimedwait, &set, &si, &zero, 4));
    /* An unblocked signal arriving interrupts the wait: EINTR. */
    sigset_t w;
    sigemptyset(&w);
    sigaddset(&w, SIGUSR2);
    sigprocmask(SIG_UNBLOCK, &w, NULL);
    sigdelset(&set, SIGUSR2);
    p = fork();
    if (p == 0) { sleep_ms(100); kill(getppid(), SIGUSR2); _exit(0); }
    r = sigtimedwait(&set, &si, &five);
    printf("interrupted by handled signal: %d %s\n", r, r < 0 ? en(errno) : "");
    wait_child(p);
    return 0;
}

/* rt_sigaction with SA_SIGINFO: si_signo, si_code and si_pid/si_uid for kill, sigqueue,
 * tgkill, raise, and SIGCHLD from an exiting child; the ucontext is non-NULL. */
#include "common.h"

static volatile siginfo_t last;
static volatile int count, had_uc;

static void h(int sig, siginfo_t *si, void *uc) {
    (void)sig;
    memcpy((void *)&last, si, sizeof *si);
    had_uc = uc != NULL;
    count++;
}

static const char *codename(int c) {
    switch (c) {
    case SI_USER: return "SI_USER";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TKILL: return "SI_TKILL";
    case SI_KERNEL: return "SI_KERNEL";
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    default: return "?";
    }
}

static void report(const char *label, pid_t pid) {
    printf("%s: count=%d signo=%s code=%s pid_ok=%s uid_ok=%s uc=%s\n", label, count, signame(last.si_signo),
           codename(last.si_code), last.si_pid == pid ? "yes" : "no", last.si_uid == getuid() ? "yes" : "no",
           had_uc ? "yes" : "no");
}

int main(void) {
    setup(10);
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    RET("sigaction SIGUSR1", sigaction(SIGUSR1, &sa, &old));
    YN("old handler was SIG_DFL", old.sa_handler == SIG_DFL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGRTMIN + 1, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL);

    count = 0;
    kill(getpid(), SIGUSR1);
    report("kill", getpid());

    count = 0;
    union sigval v = {.sival_int = 4242};
    sigqueue(getpid(), SIGRTMIN + 1, v);
    report("sigqueue", getpid());
    printf("sigqueue value: %d\n", last.si_value.sival_int);

    count = 0;
    syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR2);
    report("tgkill", getpid());

    count = 0;
    raise(SIGUSR2);
    report("raise", getpid());

    /* Signals from a child process carry the child's pid; SIGCHLD carries its status. */
    sigset_t usr1, chld, both, prev;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigemptyset(&both);
    sigaddset(&both, SIGUSR1);
    sigaddset(&both, SIGCHLD);
    sigprocmask(SIG_BLOCK, &both, &prev);
    pid_t p = fork();
    if (p == 0) { kill(getppid(), SIGUSR1); _exit(13); }
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int s = sigwaitinfo(&usr1, &si);
    printf("from child: sig=%s code=%s pid_is_child=%s\n", signame(s), codename(si.si_code), si.si_pid == p ? "yes" : "no");
    memset(&si, 0, sizeof si);
    s = sigwaitinfo(&chld, &si);
    printf("SIGCHLD: sig=%s code=%s pid_is_child=%s status=%d\n", signame(s), codename(si.si_code),
           si.si_pid == p ? "yes" : "no", si.si_status);
    wait_child(p);

    /* The same through the handler: SIGCHLD for a killed child. */
    count = 0;
    p = fork();
    if (p == 0) { for (;;) pause(); }
    kill(p, SIGKILL);
    sigset_t waitmask = prev;
    sigdelset(&waitmask, SIGCHLD);
    while (count == 0) sigsuspend(&waitmask);
    printf("SIGCHLD handler: count=%d code=%s pid_is_child=%s status_is_SIGKILL=%s\n", count,
           codename(last.si_code), last.si_pid == p ? "yes" : "no", last.si_status == SIGKILL ? "yes" : "no");
    wait_child(p);
    sigprocmask(SIG_SETMASK, &prev, NULL);

    /* sigaction errors. */
    RET("sigaction(SIGKILL)", sigaction(SIGKILL, &sa, NULL));
    RET("sigaction(SIGSTOP)", sigaction(SIGSTOP, &sa, NULL));
    RET("sigaction(0)", sigaction(0, &sa, NULL));
    RET("sigaction(65)", syscall(SYS_rt_sigaction, 65, NULL, NULL, 8));
    RET("rt_sigaction bad sigsetsize", syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 4));
    RET("query SIGKILL", sigaction(SIGKILL, NULL, &old));
    return 0;
}

/* Delivery order of several pending signals when they are unblocked at once: with a
 * full sa_mask the handlers run one after another, lowest signal number first
 * (standard before real-time, queued instances of one real-time signal in FIFO order
 * with their values); with an empty sa_mask each handler frame is pushed on top of the
 * previous one, so the handlers run in the reverse order. Also: sigwaitinfo dequeues
 * lowest-first, si_code SI_QUEUE vs SI_USER vs SI_TKILL, rt_sigqueueinfo with a
 * kernel si_code to another process EPERM and to itself allowed, SIGRTMAX, invalid
 * signal numbers EINVAL, signal 0 probes. */
#include "common.h"

static volatile int order[64], nord;

static void h(int s, siginfo_t *si, void *u) {
    (void)u;
    if (nord < 64) order[nord++] = s * 1000 + (si->si_code == SI_QUEUE ? si->si_value.sival_int : 0);
}

static const char *code(int c) {
    static char b[16];
    switch (c) {
    case SI_USER: return "SI_USER";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TKILL: return "SI_TKILL";
    case SI_KERNEL: return "SI_KERNEL";
    default: snprintf(b, sizeof b, "%d", c); return b;
    }
}

static void print_order(const char *label) {
    printf("%s:", label);
    for (int i = 0; i < nord; i++) {
        int s = order[i] / 1000, v = order[i] % 1000;
        printf(" %s", signame(s));
        if (v) printf("/%d", v);
    }
    printf("\n");
    nord = 0;
}

static void install(int full_mask) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO;
    if (full_mask) sigfillset(&sa.sa_mask);
    else sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGUSR1, SIGUSR2, SIGALRM, SIGRTMIN, SIGRTMIN + 1, SIGRTMIN + 5, SIGRTMAX};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], &sa, NULL) != 0) DIE("sigaction");
}

static void raise_all(void) {
    pid_t me = getpid();
    sigqueue(me, SIGRTMIN + 5, (union sigval){.sival_int = 1});
    sigqueue(me, SIGRTMIN, (union sigval){.sival_int = 2});
    sigqueue(me, SIGRTMIN + 5, (union sigval){.sival_int = 3});
    kill(me, SIGUSR2);
    sigqueue(me, SIGRTMIN, (union sigval){.sival_int = 4});
    kill(me, SIGUSR1);
    kill(me, SIGUSR2);
    sigqueue(me, SIGRTMAX, (union sigval){.sival_int = 5});
    kill(me, SIGALRM);
}

int main(void) {
    setup(10);
    sigset_t all, old, pend;
    sigemptyset(&all);
    int sigs[] = {SIGUSR1, SIGUSR2, SIGALRM, SIGRTMIN, SIGRTMIN + 1, SIGRTMIN + 5, SIGRTMAX};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaddset(&all, sigs[i]);

    install(1);
    sigprocmask(SIG_BLOCK, &all, &old);
    raise_all();
    sigpending(&pend);
    printf("pending:");
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigismember(&pend, sigs[i])) printf(" %s", signame(sigs[i]));
    printf("\n");
    sigprocmask(SIG_SETMASK, &old, NULL);
    print_order("full mask order");

    install(0);
    sigprocmask(SIG_BLOCK, &all, &old);
    raise_all();
    sigprocmask(SIG_SETMASK, &old, NULL);
    print_order("empty mask order");

    /* sigwaitinfo takes the lowest-numbered pending signal each time. */
    sigprocmask(SIG_BLOCK, &all, &old);
    raise_all();
    printf("sigwaitinfo order:");
    for (int i = 0; i < 9; i++) {
        siginfo_t si;
        struct timespec ts = {0, 0};
        int s = sigtimedwait(&all, &si, &ts);
        if (s < 0) {
            printf(" -1 %s", en(errno));
            break;
        }
        printf(" %s", signame(s));
        if (si.si_code == SI_QUEUE) printf("/%d", si.si_value.sival_int);
        else printf("(%s)", si.si_code == SI_USER ? "SI_USER" : si.si_code == SI_TKILL ? "SI_TKILL" : "other");
    }
    printf("\n");
    {
        siginfo_t si;
        struct timespec ts = {0, 0};
        RET("nothing left", sigtimedwait(&all, &si, &ts));
    }

    /* si_code of the senders. */
    siginfo_t si, got;
    struct timespec ts = {0, 0};
    syscall(SYS_tgkill, getpid(), gettid(), SIGRTMIN + 1);
    RET("tgkill dequeued", sigtimedwait(&all, &got, &ts) == SIGRTMIN + 1);
    printf("tgkill si_code: %s\n", code(got.si_code));
    YN("tgkill si_pid is me", got.si_pid == getpid());
    kill(getpid(), SIGRTMIN + 1);
    RET("kill dequeued", sigtimedwait(&all, &got, &ts) == SIGRTMIN + 1);
    printf("kill si_code: %s\n", code(got.si_code));

    /* rt_sigqueueinfo to oneself: any si_code is accepted and kept. */
    int codes[] = {SI_QUEUE, SI_USER, 1, SI_TKILL, SI_KERNEL};
    for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        char label[64];
        memset(&si, 0, sizeof si);
        si.si_signo = SIGRTMIN + 1;
        si.si_code = codes[i];
        si.si_value.sival_int = 70 + (int)i;
        snprintf(label, sizeof label, "rt_sigqueueinfo self %s", code(codes[i]));
        RET(label, syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN + 1, &si));
    }
    for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        memset(&got, 0, sizeof got);
        int s = sigtimedwait(&all, &got, &ts);
        printf("dequeued %s code %s value %d\n", signame(s), code(got.si_code), got.si_value.sival_int);
    }
    RET("none left", sigtimedwait(&all, &got, &ts));

    pid_t c = fork();
    if (c == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigsuspend(&none);
        _exit(nord);
    }
    memset(&si, 0, sizeof si);
    si.si_signo = SIGUSR1;
    si.si_code = SI_USER;
    RET("rt_sigqueueinfo child SI_USER", syscall(SYS_rt_sigqueueinfo, c, SIGUSR1, &si));
    si.si_code = SI_TKILL;
    RET("rt_sigqueueinfo child SI_TKILL", syscall(SYS_rt_sigqueueinfo, c, SIGUSR1, &si));
    si.si_code = SI_KERNEL;
    RET("rt_sigqueueinfo child SI_KERNEL", syscall(SYS_rt_sigqueueinfo, c, SIGUSR1, &si));
    si.si_code = SI_QUEUE;
    RET("rt_sigqueueinfo child SI_QUEUE", syscall(SYS_rt_sigqueueinfo, c, SIGUSR1, &si));
    int st = wait_child(c);
    printf("child: %s\n", wstr(st));

    si.si_code = SI_USER;
    RET("rt_sigqueueinfo SI_USER unknown pid", syscall(SYS_rt_sigqueueinfo, 0x7ffffff0, SIGUSR1, &si));
    si.si_code = SI_QUEUE;
    RET("rt_sigqueueinfo SI_QUEUE unknown pid", syscall(SYS_rt_sigqueueinfo, 0x7ffffff0, SIGUSR1, &si));
    RET("sigqueue SIGRTMAX+1", sigqueue(getpid(), SIGRTMAX + 1, (union sigval){0}));
    RET("sigqueue 65", syscall(SYS_rt_sigqueueinfo, getpid(), 65, &si));
    RET("sigqueue -1", sigqueue(getpid(), -1, (union sigval){0}));
    RET("sigqueue sig 0", sigqueue(getpid(), 0, (union sigval){0}));
    RET("kill sig 0", kill(getpid(), 0));
    RET("tgkill sig 0", syscall(SYS_tgkill, getpid(), gettid(), 0));
    RET("tgkill bad tid", syscall(SYS_tgkill, getpid(), -1, SIGRTMIN));
    RET("rt_tgsigqueueinfo bad sig", syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), 65, &si));
    memset(&si, 0, sizeof si);
    si.si_code = SI_QUEUE;
    si.si_value.sival_int = 99;
    RET("rt_tgsigqueueinfo self", syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGRTMIN + 1, &si));
    RET("rt_tgsigqueueinfo sig 0", syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), 0, &si));
    RET("rt_tgsigqueueinfo tid 0", syscall(SYS_rt_tgsigqueueinfo, getpid(), 0, SIGRTMIN + 1, &si));
    RET("rt_tgsigqueueinfo tgid 0", syscall(SYS_rt_tgsigqueueinfo, 0, gettid(), SIGRTMIN + 1, &si));
    RET("rt_tgsigqueueinfo wrong tgid", syscall(SYS_rt_tgsigqueueinfo, c, gettid(), SIGRTMIN + 1, &si));
    RET("rt_tgsigqueueinfo bad pointer", syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGRTMIN + 1, (void *)8));
    RET("rt_sigqueueinfo bad pointer", syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN + 1, (void *)8));
    si.si_code = SI_USER;
    RET("rt_tgsigqueueinfo self SI_USER", syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGRTMIN + 1, &si));
    for (int i = 0; i < 2; i++) {
        memset(&got, 0, sizeof got);
        int s = sigtimedwait(&all, &got, &ts);
        printf("dequeued %s code %s value %d\n", signame(s), code(got.si_code), got.si_value.sival_int);
    }

    sigprocmask(SIG_SETMASK, &old, NULL);
    print_order("leftovers");
    return 0;
}

/* signalfd4: siginfo fields for kill (SI_USER, pid, uid), sigqueue (SI_QUEUE, value),
 * tgkill (SI_TKILL); several signals in one read, realtime signals queued in order,
 * updating the mask through the same fd, signals outside the mask untouched,
 * SIGKILL/SIGSTOP silently dropped from the mask, SFD_NONBLOCK/SFD_CLOEXEC, short
 * reads, bad flags and sizes, a blocking read woken by a child's kill, poll. */
#include "common.h"
#include <poll.h>
#include <sys/signalfd.h>

static void show(const char *label, int fd) {
    struct signalfd_siginfo si[4];
    memset(si, 0, sizeof si);
    errno = 0;
    ssize_t n = read(fd, si, sizeof si);
    if (n < 0) {
        printf("%s: -1 %s\n", label, en(errno));
        return;
    }
    printf("%s: %zd bytes\n", label, n);
    for (int i = 0; i < (int)(n / (ssize_t)sizeof si[0]); i++) {
        const char *code = si[i].ssi_code == SI_USER ? "SI_USER" : si[i].ssi_code == SI_QUEUE ? "SI_QUEUE" : si[i].ssi_code == SI_TKILL ? "SI_TKILL" : "other";
        printf("  %s code %s pid_is_me %s uid %u int %d errno %d\n", signame(si[i].ssi_signo), code,
               si[i].ssi_pid == (uint32_t)getpid() ? "yes" : "no", si[i].ssi_uid, si[i].ssi_int, si[i].ssi_errno);
    }
}

static void h(int s) { (void)s; }

int main(void) {
    setup(10);
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigaddset(&m, SIGUSR2);
    sigaddset(&m, SIGRTMIN);
    sigaddset(&m, SIGRTMIN + 1);
    sigaddset(&m, SIGTERM);
    sigprocmask(SIG_BLOCK, &m, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sigaction(SIGTERM, &sa, NULL);

    sigset_t fm;
    sigemptyset(&fm);
    sigaddset(&fm, SIGUSR1);
    sigaddset(&fm, SIGUSR2);
    sigaddset(&fm, SIGKILL);
    sigaddset(&fm, SIGSTOP);
    int fd = signalfd(-1, &fm, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) DIE("signalfd");
    RET("FD_CLOEXEC", fcntl(fd, F_GETFD) & FD_CLOEXEC);
    YN("O_NONBLOCK", fcntl(fd, F_GETFL) & O_NONBLOCK);
    show("empty", fd);

    kill(getpid(), SIGUSR1);
    show("kill SIGUSR1", fd);
    union sigval sv = {.sival_int = 4242};
    sigqueue(getpid(), SIGUSR2, sv);
    show("sigqueue SIGUSR2", fd);
    syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
    show("tgkill SIGUSR1", fd);
    kill(getpid(), SIGUSR2);
    kill(getpid(), SIGUSR1);
    show("two pending, one read", fd);

    /* Short buffer. */
    kill(getpid(), SIGUSR1);
    char small[64];
    RET("read 64 bytes", read(fd, small, sizeof small));
    struct signalfd_siginfo one;
    RET("read exactly one", read(fd, &one, sizeof one));

    /* Not in the mask: untouched. */
    kill(getpid(), SIGTERM);
    show("SIGTERM not in the mask", fd);
    sigset_t pend;
    sigpending(&pend);
    YN("SIGTERM still pending", sigismember(&pend, SIGTERM));
    /* Update the mask through the same fd. */
    sigaddset(&fm, SIGTERM);
    sigaddset(&fm, SIGRTMIN);
    YN("signalfd(fd, new mask) returns fd", signalfd(fd, &fm, 0) == fd);
    show("SIGTERM after the mask update", fd);

    /* Realtime signals queue in order, lowest number first. */
    for (int i = 0; i < 3; i++) {
        union sigval v = {.sival_int = 10 + i};
        sigqueue(getpid(), SIGRTMIN, v);
    }
    show("three SIGRTMIN", fd);
    show("none left", fd);
    /* Only the fd's mask matters: SIGRTMIN+1 stays. */
    sigqueue(getpid(), SIGRTMIN + 1, sv);
    show("SIGRTMIN+1 not in the mask", fd);
    sigpending(&pend);
    YN("SIGRTMIN+1 pending", sigismember(&pend, SIGRTMIN + 1));

    /* poll. */
    struct pollfd p = {fd, POLLIN, 0};
    RET("poll empty", poll(&p, 1, 0));
    kill(getpid(), SIGUSR2);
    RET("poll pending", poll(&p, 1, 0));
    printf("revents IN %d\n", !!(p.revents & POLLIN));
    show("drain", fd);

    /* Blocking read woken by a child's kill. */
    int bfd = signalfd(-1, &fm, 0);
    pid_t c = fork();
    if (c == 0) {
        sleep_ms(30);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    struct signalfd_siginfo si;
    ssize_t n = read(bfd, &si, sizeof si);
    printf("blocking read: %zd %s from child %s\n", n, signame(si.ssi_signo), si.ssi_pid == (uint32_t)c ? "yes" : "no");
    printf("child: %s\n", wstr(wait_child(c)));

    /* Errors. */
    RET("bad flags", signalfd(-1, &fm, 0x1));
    RET("sigsetsize 4", syscall(SYS_signalfd4, -1, &fm, 4, 0));
    RET("sigsetsize 16", syscall(SYS_signalfd4, -1, &fm, 16, 0));
    int pp[2];
    pipe(pp);
    RET("update a pipe fd", signalfd(pp[0], &fm, 0));
    RET("update a bad fd", signalfd(999, &fm, 0));
    RET("bad mask pointer", syscall(SYS_signalfd4, -1, (void *)8, 8, 0));
    RET("write", write(fd, &si, sizeof si));
    return 0;
}

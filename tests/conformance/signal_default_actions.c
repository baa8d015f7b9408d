/* Default signal actions observed from the parent: terminate (TERM, KILL, USR1, ALRM,
 * HUP, INT), ignore (CHLD, URG, WINCH, CONT), core (QUIT, ABRT, SEGV via kill), and
 * SIG_IGN surviving execve while handlers are reset. */
#include "common.h"
#include <sys/resource.h>

static void victim(int sig, int ignore) {
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        struct rlimit rl = {0, 0};
        setrlimit(RLIMIT_CORE, &rl); /* no core files */
        if (ignore) signal(sig, SIG_IGN);
        kill(getpid(), sig);
        sleep_ms(50);
        _exit(0);
    }
    int st = wait_child(p);
    printf("%s%s: %s\n", signame(sig), ignore ? " (SIG_IGN)" : "", wstr(st));
}

static void on_usr1(int s) { (void)s; }

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "exec-check") == 0) {
        setvbuf(stdout, NULL, _IONBF, 0);
        struct sigaction q;
        sigaction(SIGUSR2, NULL, &q);
        printf("  after exec: USR2 %s\n", q.sa_handler == SIG_IGN ? "SIG_IGN" : q.sa_handler == SIG_DFL ? "SIG_DFL" : "?");
        sigaction(SIGUSR1, NULL, &q);
        printf("  after exec: USR1 %s\n", q.sa_handler == SIG_IGN ? "SIG_IGN" : q.sa_handler == SIG_DFL ? "SIG_DFL" : "?");
        sigset_t m;
        sigprocmask(SIG_BLOCK, NULL, &m);
        printf("  after exec: TERM still blocked: %d\n", sigismember(&m, SIGTERM));
        return 0;
    }
    setup(20);
    int sigs[] = {SIGTERM, SIGKILL, SIGUSR1, SIGUSR2, SIGALRM, SIGHUP, SIGINT, SIGPIPE, SIGVTALRM, SIGPROF,
                  SIGCHLD, SIGURG, SIGWINCH, SIGCONT, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL,
                  SIGTRAP, SIGSYS, SIGXCPU, SIGXFSZ};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) victim(sigs[i], 0);
    victim(SIGTERM, 1);
    victim(SIGSEGV, 1);
    victim(SIGRTMIN, 0);
    victim(SIGRTMAX, 0);

    /* Across execve: SIG_IGN stays, handlers become SIG_DFL, the mask stays. */
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        signal(SIGUSR2, SIG_IGN);
        signal(SIGUSR1, on_usr1);
        sigset_t m;
        sigemptyset(&m);
        sigaddset(&m, SIGTERM);
        sigprocmask(SIG_BLOCK, &m, NULL);
        execl("/proc/self/exe", argv[0], "exec-check", (char *)NULL);
        _exit(127);
    }
    printf("exec-check: %s\n", wstr(wait_child(p)));
    return 0;
}

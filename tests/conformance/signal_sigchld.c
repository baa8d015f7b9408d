/* SIGCHLD: delivered on child exit with a handler; SIG_IGN auto-reaps (wait gets
 * ECHILD); SA_NOCLDWAIT likewise; SA_NOCLDSTOP suppresses stop notifications. */
#include "common.h"

static volatile int chlds, codes[8];
static void h(int s, siginfo_t *si, void *u) { (void)s; (void)u; if (chlds < 8) codes[chlds] = si->si_code; chlds++; }

static void wait_for_chld(int n) {
    for (int i = 0; i < 2000 && chlds < n; i++) sleep_ms(1);
}

int main(void) {
    setup(15);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);

    fflush(stdout);
    pid_t p = fork();
    if (p == 0) _exit(1);
    wait_for_chld(1);
    printf("handler: SIGCHLDs=%d code CLD_EXITED=%s\n", chlds, codes[0] == CLD_EXITED ? "yes" : "no");
    printf("still reapable: %s\n", wstr(wait_child(p)));

    /* Stop + continue generate SIGCHLD too (without SA_NOCLDSTOP). */
    chlds = 0;
    p = fork();
    if (p == 0) { for (;;) pause(); }
    kill(p, SIGSTOP);
    wait_for_chld(1);
    kill(p, SIGCONT);
    wait_for_chld(2);
    kill(p, SIGKILL);
    wait_for_chld(3);
    printf("stop/cont/kill SIGCHLDs=%d codes: %s %s %s\n", chlds, codes[0] == CLD_STOPPED ? "STOPPED" : "?",
           codes[1] == CLD_CONTINUED ? "CONTINUED" : "?", codes[2] == CLD_KILLED ? "KILLED" : "?");
    wait_child(p);

    /* SA_NOCLDSTOP: no SIGCHLD on stop. */
    sa.sa_flags |= SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    chlds = 0;
    p = fork();
    if (p == 0) { for (;;) pause(); }
    kill(p, SIGSTOP);
    int st;
    waitpid(p, &st, WUNTRACED);
    sleep_ms(50);
    printf("SA_NOCLDSTOP: SIGCHLDs after stop=%d\n", chlds);
    kill(p, SIGKILL);
    wait_for_chld(1);
    printf("SA_NOCLDSTOP: SIGCHLDs after kill=%d\n", chlds);
    wait_child(p);

    /* SIG_IGN: children are reaped automatically, wait blocks then ECHILD. */
    signal(SIGCHLD, SIG_IGN);
    p = fork();
    if (p == 0) { sleep_ms(50); _exit(3); }
    errno = 0;
    pid_t r = waitpid(p, &st, 0);
    printf("SIG_IGN: waitpid=%d %s\n", r == p ? 1 : (int)r, en(errno));

    /* SA_NOCLDWAIT with a handler: the handler runs but there is no zombie. */
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO | SA_NOCLDWAIT;
    sigaction(SIGCHLD, &sa, NULL);
    chlds = 0;
    p = fork();
    if (p == 0) _exit(4);
    errno = 0;
    r = waitpid(p, &st, 0);
    printf("SA_NOCLDWAIT: waitpid=%d %s\n", r == p ? 1 : (int)r, en(errno));
    wait_for_chld(1);
    printf("SA_NOCLDWAIT: handler ran=%s\n", chlds >= 1 ? "yes" : "no");

    /* Back to SIG_DFL: zombies again. */
    signal(SIGCHLD, SIG_DFL);
    p = fork();
    if (p == 0) _exit(5);
    printf("SIG_DFL: %s\n", wstr(wait_child(p)));
    return 0;
}

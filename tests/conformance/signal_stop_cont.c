/* SIGSTOP/SIGTSTP/SIGCONT: waitpid WUNTRACED/WCONTINUED observe stop and continue,
 * a SIGCONT handler runs, signals sent while stopped are delivered after SIGCONT. */
#include "common.h"

static volatile int conts;
static void on_cont(int s) { (void)s; conts++; }

int main(void) {
    setup(10);
    int pfd[2];
    if (pipe(pfd)) DIE("pipe");
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        close(pfd[0]);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_cont;
        sigaction(SIGCONT, &sa, NULL);
        sigset_t b, none;
        sigemptyset(&b);
        sigaddset(&b, SIGCONT);
        sigprocmask(SIG_BLOCK, &b, &none); /* SIGCONT still resumes; its handler waits */
        write(pfd[1], "r", 1);
        for (;;) {
            sigsuspend(&none);
            if (conts) { write(pfd[1], "c", 1); conts = 0; }
        }
    }
    close(pfd[1]);
    char c;
    if (read(pfd[0], &c, 1) != 1) DIE("ready");
    int st;
    RET("kill SIGSTOP", kill(p, SIGSTOP));
    pid_t r = waitpid(p, &st, WUNTRACED);
    printf("WUNTRACED: pid ok=%s %s\n", r == p ? "yes" : "no", wstr(st));
    RET("WNOHANG|WUNTRACED again (already reported)", waitpid(p, &st, WNOHANG | WUNTRACED));
    RET("kill SIGCONT", kill(p, SIGCONT));
    r = waitpid(p, &st, WCONTINUED);
    printf("WCONTINUED: pid ok=%s %s\n", r == p ? "yes" : "no", wstr(st));
    printf("SIGCONT handler ran: %s\n", read(pfd[0], &c, 1) == 1 ? "yes" : "no");

    /* SIGTSTP (default: stop) and a SIGTERM queued while stopped. */
    kill(p, SIGTSTP);
    r = waitpid(p, &st, WUNTRACED);
    printf("after SIGTSTP: %s\n", wstr(st));
    kill(p, SIGTERM); /* pending while stopped */
    RET("WNOHANG while stopped with TERM pending", waitpid(p, &st, WNOHANG));
    kill(p, SIGCONT);
    r = waitpid(p, &st, 0);
    printf("after SIGCONT: %s\n", wstr(st));

    /* Stopping a stopped process is fine; SIGKILL kills a stopped process. */
    p = fork();
    if (p == 0) { for (;;) pause(); }
    kill(p, SIGSTOP);
    waitpid(p, &st, WUNTRACED);
    printf("stopped: %s\n", wstr(st));
    RET("SIGSTOP again", kill(p, SIGSTOP));
    kill(p, SIGKILL);
    waitpid(p, &st, 0);
    printf("killed while stopped: %s\n", wstr(st));

    /* Without WUNTRACED, a stop is not reported. */
    p = fork();
    if (p == 0) { for (;;) pause(); }
    kill(p, SIGSTOP);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    waitid(P_PID, p, &si, WSTOPPED | WNOWAIT);
    RET("waitpid WNOHANG (no WUNTRACED) on stopped", waitpid(p, &st, WNOHANG));
    kill(p, SIGKILL);
    waitpid(p, &st, 0);
    printf("final: %s\n", wstr(st));
    return 0;
}

/* waitid: WEXITED, WNOHANG, WNOWAIT, P_PID / P_PGID / P_ALL, siginfo fields. */
#include "common.h"

static const char *code(int c) {
    switch (c) {
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    case CLD_DUMPED: return "CLD_DUMPED";
    case CLD_STOPPED: return "CLD_STOPPED";
    case CLD_CONTINUED: return "CLD_CONTINUED";
    default: return "?";
    }
}

static void show(const char *label, int r, siginfo_t *si, pid_t expect) {
    if (r == -1) { printf("%s: -1 %s\n", label, en(errno)); return; }
    printf("%s: %d signo=%s code=%s status=%d pid_matches=%s\n", label, r, signame(si->si_signo),
           code(si->si_code), si->si_status, si->si_pid == expect ? "yes" : "no");
}

int main(void) {
    setup(10);
    siginfo_t si;
    int pfd[2];
    if (pipe(pfd)) DIE("pipe");
    pid_t p = fork();
    if (p == 0) { char c; close(pfd[1]); read(pfd[0], &c, 1); _exit(6); }
    close(pfd[0]);

    memset(&si, 0xff, sizeof si);
    int r = waitid(P_PID, p, &si, WEXITED | WNOHANG);
    printf("WNOHANG running: %d si_pid=%d\n", r, si.si_pid);
    close(pfd[1]);
    memset(&si, 0, sizeof si);
    r = waitid(P_PID, p, &si, WEXITED | WNOWAIT);
    show("P_PID WNOWAIT", r, &si, p);
    memset(&si, 0, sizeof si);
    r = waitid(P_PID, p, &si, WEXITED | WNOWAIT);
    show("P_PID WNOWAIT again", r, &si, p);
    memset(&si, 0, sizeof si);
    r = waitid(P_PID, p, &si, WEXITED);
    show("P_PID reap", r, &si, p);
    errno = 0;
    r = waitid(P_PID, p, &si, WEXITED | WNOHANG);
    printf("P_PID after reap: %d %s\n", r, en(errno));

    /* P_PGID: a child in its own process group. */
    p = fork();
    if (p == 0) { setpgid(0, 0); sleep_ms(30); _exit(8); }
    setpgid(p, p); /* race-free: both sides set it */
    pid_t other = fork();
    if (other == 0) { sleep_ms(60); _exit(9); }
    memset(&si, 0, sizeof si);
    r = waitid(P_PGID, p, &si, WEXITED);
    show("P_PGID", r, &si, p);
    memset(&si, 0, sizeof si);
    r = waitid(P_ALL, 0, &si, WEXITED);
    show("P_ALL", r, &si, other);

    /* Killed child: CLD_KILLED, si_status is the signal. */
    p = fork();
    if (p == 0) { for (;;) pause(); }
    kill(p, SIGTERM);
    memset(&si, 0, sizeof si);
    r = waitid(P_PID, p, &si, WEXITED);
    show("killed", r, &si, p);
    printf("killed si_status is SIGTERM: %s\n", si.si_status == SIGTERM ? "yes" : "no");

    /* Stopped and continued. */
    p = fork();
    if (p == 0) { for (;;) pause(); }
    kill(p, SIGSTOP);
    memset(&si, 0, sizeof si);
    r = waitid(P_PID, p, &si, WSTOPPED);
    show("stopped", r, &si, p);
    kill(p, SIGCONT);
    memset(&si, 0, sizeof si);
    r = waitid(P_PID, p, &si, WCONTINUED);
    show("continued", r, &si, p);
    kill(p, SIGKILL);
    r = waitid(P_PID, p, &si, WEXITED);
    show("killed after continue", r, &si, p);

    errno = 0;
    RET("no children P_ALL", waitid(P_ALL, 0, &si, WEXITED));
    RET("no options", waitid(P_ALL, 0, &si, 0));
    RET("bad idtype", waitid((idtype_t)42, 0, &si, WEXITED));
    return 0;
}

/* Zombies: an exited child stays visible (kill(pid,0) works, /proc/pid/stat says Z)
 * until reaped; after reaping it is gone (ESRCH). */
#include "common.h"

static char proc_state(pid_t p) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)p);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return '-';
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return '?';
    buf[n] = 0;
    char *rp = strrchr(buf, ')');
    return rp && rp[1] == ' ' ? rp[2] : '?';
}

int main(void) {
    setup(10);
    int pfd[2];
    if (pipe(pfd)) DIE("pipe");
    pid_t p = fork();
    if (p == 0) { close(pfd[0]); _exit(4); /* closing pfd[1] signals exit */ }
    close(pfd[1]);
    char c;
    read(pfd[0], &c, 1); /* EOF: the child has (almost) exited */
    close(pfd[0]);
    /* Wait for the zombie without reaping it. */
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int r = waitid(P_PID, p, &si, WEXITED | WNOWAIT);
    printf("waitid WNOWAIT: %d status=%d\n", r, si.si_status);
    RET("kill(zombie, 0)", kill(p, 0));
    printf("zombie /proc state: %c\n", proc_state(p));
    RET("kill(zombie, SIGKILL)", kill(p, SIGKILL));
    int st;
    pid_t w = waitpid(p, &st, 0);
    YN("reaped pid", w == p);
    printf("reaped status: %s\n", wstr(st));
    RET("kill(reaped, 0)", kill(p, 0));
    printf("reaped /proc state: %c\n", proc_state(p));

    /* Many zombies at once, reaped in a loop. */
    for (int i = 0; i < 20; i++) {
        pid_t c2 = fork();
        if (c2 == 0) _exit(i);
    }
    sleep_ms(100);
    int n = 0, sum = 0;
    while ((w = waitpid(-1, &st, 0)) > 0) { n++; sum += WEXITSTATUS(st); }
    printf("reaped %d zombies, status sum %d, then %s\n", n, sum, en(errno));
    return 0;
}

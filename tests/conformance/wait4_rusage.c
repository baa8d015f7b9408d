/* wait4: exit statuses, signaled status, rusage of a CPU-burning child, WNOHANG, ECHILD,
 * waiting for a specific pid vs any, and options validation. */
#include "common.h"

static int burn(void) {
    long long t0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    volatile unsigned long x = 0;
    while (now_ns(CLOCK_PROCESS_CPUTIME_ID) - t0 < 200000000LL) x += 1;
    return 12;
}

int main(void) {
    setup(20);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) _exit(burn());
    int st = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    pid_t r = wait4(p, &st, 0, &ru);
    YN("wait4 returned child pid", r == p);
    printf("status: %s\n", wstr(st));
    long long cpu_us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    YN("child rusage user+sys >= 150ms", cpu_us >= 150000);
    YN("child rusage user+sys < 10s", cpu_us < 10000000);
    /* ru_maxrss of a child that touched little memory is 0 or more depending on the host
       kernel's RSS accounting: only its sign is deterministic. */
    YN("child ru_maxrss >= 0", ru.ru_maxrss >= 0);
    struct rusage ch;
    getrusage(RUSAGE_CHILDREN, &ch);
    long long ch_us = (ch.ru_utime.tv_sec + ch.ru_stime.tv_sec) * 1000000LL + ch.ru_utime.tv_usec + ch.ru_stime.tv_usec;
    YN("RUSAGE_CHILDREN includes it", ch_us >= 150000);

    /* WNOHANG on a running child returns 0; later the status. */
    int pfd[2];
    if (pipe(pfd)) DIE("pipe");
    p = fork();
    if (p == 0) {
        char c;
        close(pfd[1]);
        read(pfd[0], &c, 1);
        _exit(0);
    }
    close(pfd[0]);
    RET("wait4 WNOHANG running child", wait4(p, &st, WNOHANG, NULL));
    close(pfd[1]);
    r = wait4(p, &st, 0, NULL);
    printf("after EOF: %s\n", wstr(st));

    /* Killed by a signal. */
    p = fork();
    if (p == 0) { for (;;) pause(); }
    kill(p, SIGKILL);
    wait4(p, &st, 0, NULL);
    printf("killed: %s\n", wstr(st));

    /* Exit codes are truncated to 8 bits. */
    p = fork();
    if (p == 0) _exit(0x1ff);
    wait4(p, &st, 0, NULL);
    printf("exit(0x1ff): %s\n", wstr(st));

    /* Specific pid among several children, NULL status pointer. */
    pid_t a = fork();
    if (a == 0) { sleep_ms(50); _exit(1); }
    pid_t b = fork();
    if (b == 0) _exit(2);
    r = wait4(a, &st, 0, NULL);
    printf("wait4(a): %s (pid matches: %s)\n", wstr(st), r == a ? "yes" : "no");
    r = wait4(b, NULL, 0, NULL);
    YN("wait4(b, NULL) returned b", r == b);

    RET("wait4 on non-child pid 1", wait4(1, &st, WNOHANG, NULL));
    RET("wait4 no children", wait4(-1, &st, 0, NULL));
    RET("wait4 bad options", wait4(-1, &st, 0x40000000 | 0x10000, NULL));
    return 0;
}

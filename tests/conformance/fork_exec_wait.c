/* fork + execve + wait4 chains: re-exec through /proc/self/exe, /bin/true, /bin/sh -c,
 * argv and envp passing, exit statuses through several generations. */
#include "common.h"

extern char **environ;

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "chain") == 0) {
        setvbuf(stdout, NULL, _IONBF, 0);
        int depth = atoi(argv[2]);
        printf("chain depth %d: argc=%d env HUSK_CHAIN=%s\n", depth, argc, getenv("HUSK_CHAIN") ? getenv("HUSK_CHAIN") : "(unset)");
        if (depth == 0) return 40;
        char d[16];
        snprintf(d, sizeof d, "%d", depth - 1);
        pid_t p = fork();
        if (p == 0) {
            char *av[] = {argv[0], "chain", d, NULL};
            char *ev[] = {"HUSK_CHAIN=yes", NULL};
            execve("/proc/self/exe", av, ev);
            printf("execve failed: %s\n", en(errno));
            _exit(127);
        }
        int st = wait_child(p);
        printf("chain depth %d: child %s\n", depth, wstr(st));
        return WIFEXITED(st) ? WEXITSTATUS(st) + 1 : 100;
    }
    setup(20);

    pid_t p = fork();
    if (p == 0) {
        char *av[] = {argv[0], "chain", "3", NULL};
        execv("/proc/self/exe", av);
        _exit(127);
    }
    int st = wait_child(p);
    printf("chain result: %s\n", wstr(st));

    p = fork();
    if (p == 0) { execl("/bin/true", "true", (char *)NULL); _exit(127); }
    printf("/bin/true: %s\n", wstr(wait_child(p)));

    p = fork();
    if (p == 0) { execl("/bin/false", "false", (char *)NULL); _exit(127); }
    printf("/bin/false: %s\n", wstr(wait_child(p)));

    p = fork();
    if (p == 0) { execl("/bin/sh", "sh", "-c", "echo from-sh $0 $1; exit 7", "zero", "one", (char *)NULL); _exit(127); }
    printf("/bin/sh -c: %s\n", wstr(wait_child(p)));

    p = fork();
    if (p == 0) { execl("/bin/sh", "sh", "-c", "kill -TERM $$", (char *)NULL); _exit(127); }
    printf("/bin/sh kill self: %s\n", wstr(wait_child(p)));

    /* Pipeline through the shell with exec of ourselves inside. */
    p = fork();
    if (p == 0) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "'%s' chain 0 | tr a-z A-Z", argv[0]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    printf("shell pipeline: %s\n", wstr(wait_child(p)));

    /* Several children at once, reaped with wait4(-1) in any order. */
    int seen = 0;
    for (int i = 0; i < 5; i++) {
        pid_t c = fork();
        if (c == 0) _exit(10 + i);
    }
    for (int i = 0; i < 5; i++) {
        int s;
        struct rusage ru;
        pid_t r = wait4(-1, &s, 0, &ru);
        if (r > 0 && WIFEXITED(s)) seen |= 1 << (WEXITSTATUS(s) - 10);
    }
    printf("wait4(-1) collected statuses mask: 0x%x\n", seen);
    errno = 0;
    RET("wait4 with no children", wait4(-1, NULL, 0, NULL));

    /* Environment passes through execve. */
    p = fork();
    if (p == 0) {
        char *av[] = {"sh", "-c", "echo FOO=$FOO; exit 3", NULL};
        char *ev[] = {"FOO=bar baz", "PATH=/bin:/usr/bin", NULL};
        execve("/bin/sh", av, ev);
        _exit(127);
    }
    printf("env exec: %s\n", wstr(wait_child(p)));
    return 0;
}

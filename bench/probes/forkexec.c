/* fork + execve + waitpid loop: N iterations of running PROG (default /bin/true);
 * prints microseconds per iteration. Usage: forkexec [N] [PROG]. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int run(char *prog) {
    pid_t p = fork();
    if (p < 0)
        return -1;
    if (p == 0) {
        char *argv[] = {prog, NULL};
        char *envp[] = {NULL};
        execve(prog, argv, envp);
        _exit(127);
    }
    int st;
    if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    return 0;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 200;
    char *prog = argc > 2 ? argv[2] : "/bin/true";
    if (n <= 0)
        n = 1;
    if (run(prog) != 0) { /* warm-up, and a check that PROG runs */
        fprintf(stderr, "forkexec: %s did not run\n", prog);
        return 1;
    }
    double t0 = now_us();
    for (long i = 0; i < n; i++)
        if (run(prog) != 0) {
            fprintf(stderr, "forkexec: iteration %ld failed\n", i);
            return 1;
        }
    printf("%.1f\n", (now_us() - t0) / n);
    return 0;
}

/* Wall time of whole command runs: runs CMD once to warm up, then N times, each with
 * fork + execvp + waitpid and stdio on /dev/null; prints "MEAN MEDIAN" in milliseconds.
 * Fails if any run exits non-zero. Usage: timeit N CMD [ARGS...]. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int run(char **cmd) {
    pid_t p = fork();
    if (p < 0)
        return -1;
    if (p == 0) {
        int fd = open("/dev/null", O_RDWR);
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        execvp(cmd[0], cmd);
        _exit(127);
    }
    int st;
    if (waitpid(p, &st, 0) != p)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: timeit N CMD [ARGS...]\n");
        return 2;
    }
    int n = atoi(argv[1]);
    if (n <= 0)
        n = 1;
    double *t = calloc(n, sizeof *t);
    int rc = run(argv + 2);
    if (rc != 0) {
        fprintf(stderr, "timeit: %s exited %d\n", argv[2], rc);
        return 1;
    }
    double sum = 0;
    for (int i = 0; i < n; i++) {
        double t0 = now_ms();
        rc = run(argv + 2);
        t[i] = now_ms() - t0;
        if (rc != 0) {
            fprintf(stderr, "timeit: %s exited %d\n", argv[2], rc);
            return 1;
        }
        sum += t[i];
    }
    qsort(t, n, sizeof *t, cmp);
    double median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
    printf("%.2f %.2f\n", sum / n, median);
    return 0;
}

/* stat(2) of a path: N calls after a warm-up; prints us per call.
 * Usage: stat PATH [N] (default 100000). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: stat PATH [N]\n");
        return 2;
    }
    long n = argc > 2 ? atol(argv[2]) : 100000;
    if (n <= 0)
        n = 1;
    struct stat st;
    for (long i = 0; i < n / 10 + 1; i++)
        if (stat(argv[1], &st) < 0) {
            perror(argv[1]);
            return 1;
        }
    double t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (stat(argv[1], &st) < 0) {
            perror(argv[1]);
            return 1;
        }
    double t1 = now_ns();
    printf("%.3f\n", (t1 - t0) / n / 1e3);
    return 0;
}

/* open + read + close of a small file: N iterations after a warm-up; prints us per
 * iteration. Usage: openread FILE [N] (default 100000). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int once(const char *path) {
    char buf[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t r = read(fd, buf, sizeof buf);
    close(fd);
    return r < 0 ? -1 : 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: openread FILE [N]\n");
        return 2;
    }
    long n = argc > 2 ? atol(argv[2]) : 100000;
    if (n <= 0)
        n = 1;
    for (long i = 0; i < n / 10 + 1; i++)
        if (once(argv[1]) < 0) {
            perror(argv[1]);
            return 1;
        }
    double t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (once(argv[1]) < 0) {
            perror(argv[1]);
            return 1;
        }
    double t1 = now_ns();
    printf("%.2f\n", (t1 - t0) / n / 1e3);
    return 0;
}

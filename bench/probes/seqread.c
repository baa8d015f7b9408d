/* Sequential read of a whole file with 64 KiB read(2)s: reads it once to warm the page
 * cache (and the sandbox's caches), then ROUNDS more times, timed; prints GB/s
 * (1 GB = 1e9 bytes). Usage: seqread FILE [ROUNDS] (default 1). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char buf[65536];

static long long read_all(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        perror(path);
        return -1;
    }
    long long total = 0;
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0) {
            perror("read");
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        total += r;
    }
    close(fd);
    return total;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: seqread FILE [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 1;
    if (rounds <= 0)
        rounds = 1;
    if (read_all(argv[1]) <= 0)
        return 1;
    long long bytes = 0;
    double t0 = now_s();
    for (int i = 0; i < rounds; i++) {
        long long b = read_all(argv[1]);
        if (b <= 0)
            return 1;
        bytes += b;
    }
    double t1 = now_s();
    printf("%.3f\n", bytes / (t1 - t0) / 1e9);
    return 0;
}

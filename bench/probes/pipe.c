/* Pipe throughput between two processes: the child writes MB megabytes (1 MB = 1e6
 * bytes, rounded up to 64 KiB writes) into a pipe, the parent reads them with 64 KiB
 * reads; prints GB/s, timed in the parent from before fork to the child's exit.
 * Usage: pipe [MB] (default 1000). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char buf[65536];

int main(int argc, char **argv) {
    long mb = argc > 1 ? atol(argv[1]) : 1000;
    if (mb <= 0)
        mb = 1;
    long long chunks = (mb * 1000000LL + sizeof buf - 1) / sizeof buf;
    int fds[2];
    if (pipe(fds) < 0) {
        perror("pipe");
        return 1;
    }
    memset(buf, 'x', sizeof buf);
    double t0 = now_s();
    pid_t p = fork();
    if (p < 0) {
        perror("fork");
        return 1;
    }
    if (p == 0) {
        close(fds[0]);
        for (long long i = 0; i < chunks; i++) {
            size_t off = 0;
            while (off < sizeof buf) {
                ssize_t w = write(fds[1], buf + off, sizeof buf - off);
                if (w <= 0)
                    _exit(1);
                off += w;
            }
        }
        _exit(0);
    }
    close(fds[1]);
    long long total = 0;
    for (;;) {
        ssize_t r = read(fds[0], buf, sizeof buf);
        if (r < 0) {
            perror("read");
            return 1;
        }
        if (r == 0)
            break;
        total += r;
    }
    int st;
    waitpid(p, &st, 0);
    double t1 = now_s();
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || total != chunks * (long long)sizeof buf) {
        fprintf(stderr, "pipe: writer failed or short transfer (%lld bytes)\n", total);
        return 1;
    }
    printf("%.3f\n", total / (t1 - t0) / 1e9);
    return 0;
}

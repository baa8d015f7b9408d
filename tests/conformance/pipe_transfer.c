/* Pipes between processes: a 4 MiB transfer with a checksum in odd-sized chunks, EOF
 * once every writer is closed, atomic writes of PIPE_BUF from several writers, and a
 * bidirectional exchange between parent and child. */
#include "common.h"
#include <limits.h>

#define TOTAL (4 << 20)

static uint32_t sum_update(uint32_t s, const unsigned char *b, size_t n) {
    for (size_t i = 0; i < n; i++) s = s * 31 + b[i];
    return s;
}

int main(void) {
    setup(20);
    int p[2];
    if (pipe(p)) DIE("pipe");
    fflush(stdout);
    pid_t w = fork();
    if (w == 0) {
        close(p[0]);
        static unsigned char buf[70001];
        uint32_t s = 0;
        size_t sent = 0, chunk = 1;
        while (sent < TOTAL) {
            size_t n = chunk;
            if (n > TOTAL - sent) n = TOTAL - sent;
            for (size_t i = 0; i < n; i++) buf[i] = (unsigned char)((sent + i) * 7 + 3);
            ssize_t r = write(p[1], buf, n);
            if (r <= 0) _exit(2);
            s = sum_update(s, buf, (size_t)r);
            sent += (size_t)r;
            chunk = chunk * 3 % 70001 + 1;
        }
        printf("writer checksum: %08x\n", s);
        _exit(0);
    }
    close(p[1]);
    static unsigned char rb[65536];
    uint32_t s = 0;
    size_t got = 0;
    ssize_t r;
    while ((r = read(p[0], rb, (got % 3) ? 4096 : sizeof rb)) > 0) {
        s = sum_update(s, rb, (size_t)r);
        got += (size_t)r;
    }
    printf("writer: %s\n", wstr(wait_child(w)));
    printf("reader got %zu bytes, checksum: %08x, final read: %zd\n", got, s, r);
    RET("read after EOF", read(p[0], rb, 10));
    close(p[0]);

    /* Several writers, each writing PIPE_BUF-sized records: no interleaving inside one. */
    if (pipe(p)) DIE("pipe");
    for (int k = 0; k < 4; k++) {
        if (fork() == 0) {
            close(p[0]);
            static char rec[PIPE_BUF];
            memset(rec, 'A' + k, sizeof rec);
            for (int i = 0; i < 50; i++) write(p[1], rec, sizeof rec);
            _exit(0);
        }
    }
    close(p[1]);
    static char rec[PIPE_BUF];
    int records = 0, torn = 0;
    size_t have = 0;
    while ((r = read(p[0], rec + have, sizeof rec - have)) > 0) {
        have += (size_t)r;
        if (have == sizeof rec) {
            for (size_t i = 1; i < sizeof rec; i++) if (rec[i] != rec[0]) { torn++; break; }
            records++;
            have = 0;
        }
    }
    for (int k = 0; k < 4; k++) wait(NULL);
    printf("records: %d, torn: %d\n", records, torn);
    close(p[0]);

    /* Ping-pong over two pipes. */
    int a[2], b[2];
    pipe(a);
    pipe(b);
    pid_t c = fork();
    if (c == 0) {
        close(a[1]);
        close(b[0]);
        int v;
        while (read(a[0], &v, sizeof v) == sizeof v) { v += 1; write(b[1], &v, sizeof v); }
        _exit(0);
    }
    close(a[0]);
    close(b[1]);
    int v = 0;
    for (int i = 0; i < 1000; i++) { write(a[1], &v, sizeof v); read(b[0], &v, sizeof v); v += 1; }
    close(a[1]);
    printf("ping-pong value: %d, child: %s\n", v, wstr(wait_child(c)));
    return 0;
}

/* getrandom: lengths, flags (GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE), output not all
 * zero and differing between calls; EINVAL for bad flags, EFAULT for bad buffers. */
#include "common.h"
#include <sys/random.h>

static int nonzero(const unsigned char *b, size_t n) {
    for (size_t i = 0; i < n; i++) if (b[i]) return 1;
    return 0;
}

int main(void) {
    setup(10);
    unsigned char a[256], b[256];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    RET("getrandom 256", getrandom(a, sizeof a, 0));
    RET("getrandom 256 again", getrandom(b, sizeof b, 0));
    YN("not all zero", nonzero(a, sizeof a));
    YN("two calls differ", memcmp(a, b, sizeof a) != 0);
    RET("getrandom 0 bytes", getrandom(a, 0, 0));
    RET("getrandom 1 byte", getrandom(a, 1, 0));
    RET("GRND_NONBLOCK 64", getrandom(a, 64, GRND_NONBLOCK));
    RET("GRND_RANDOM 16", getrandom(a, 16, GRND_RANDOM | GRND_NONBLOCK) > 0 ? 16 : -1);
    RET("GRND_INSECURE 32", getrandom(a, 32, 0x0004));
    RET("RANDOM|INSECURE", getrandom(a, 32, GRND_RANDOM | 0x0004));
    RET("bad flags", getrandom(a, 16, 0x100));
    RET("bad buffer", syscall(SYS_getrandom, (void *)8, 16, 0));

    /* Large request: up to 32 MiB - 1 per call is possible; ask 1 MiB. */
    size_t big = 1 << 20;
    unsigned char *m = malloc(big);
    memset(m, 0, big);
    ssize_t n = getrandom(m, big, 0);
    YN("1 MiB request returns > 0", n > 0);
    /* Crude uniformity: every byte value appears in 1 MiB. */
    int seen[256] = {0};
    for (ssize_t i = 0; i < n; i++) seen[m[i]] = 1;
    int vals = 0;
    for (int i = 0; i < 256; i++) vals += seen[i];
    YN("all 256 byte values present", n == (ssize_t)big ? vals == 256 : 1);

    /* A child gets different bytes than the parent. */
    int p[2];
    if (pipe(p)) DIE("pipe");
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) { unsigned char x[32]; getrandom(x, 32, 0); write(p[1], x, 32); _exit(0); }
    unsigned char x[32], y[32];
    getrandom(x, 32, 0);
    read(p[0], y, 32);
    wait_child(c);
    YN("child's bytes differ", memcmp(x, y, 32) != 0);
    free(m);
    return 0;
}

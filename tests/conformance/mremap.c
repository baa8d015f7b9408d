/* mremap: grow in place or move with MREMAP_MAYMOVE (contents preserved), shrink,
 * ENOMEM without MAYMOVE when blocked, MREMAP_FIXED to a chosen address, errors. */
#include "common.h"

int main(void) {
    setup(10);
    long pg = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, 5 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (long i = 0; i < 4 * pg; i++) m[i] = (char)(i % 251);
    /* Block growth in place with a neighbour (a separate mapping: other protection). */
    char *block = mmap(m + 4 * pg, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    YN("neighbour placed", block == m + 4 * pg);
    errno = 0;
    void *r = mremap(m, 4 * pg, 8 * pg, 0);
    printf("grow without MAYMOVE (blocked): %s\n", r == MAP_FAILED ? en(errno) : "ok");
    char *n = mremap(m, 4 * pg, 16 * pg, MREMAP_MAYMOVE);
    YN("grow with MAYMOVE ok", n != MAP_FAILED);
    YN("moved", n != m);
    int same = 1;
    for (long i = 0; i < 4 * pg; i++) if (n[i] != (char)(i % 251)) same = 0;
    YN("contents preserved", same);
    printf("new tail zero: %s, writable: %s\n", n[10 * pg] == 0 ? "yes" : "no", probe(n + 15 * pg, 1));
    printf("old address now: %s\n", probe(m, 0));
    munmap(block, pg);

    /* Shrink in place. */
    char *s = mremap(n, 16 * pg, 2 * pg, 0);
    YN("shrink in place", s == n);
    printf("after shrink: page1=%s page2=%s\n", probe(n + pg, 0), probe(n + 2 * pg, 0));

    /* Grow in place when there is room. */
    munmap(n + 2 * pg, 4 * pg);
    char *g = mremap(n, 2 * pg, 4 * pg, 0);
    printf("grow in place with room: %s\n", g == n ? "same address" : g == MAP_FAILED ? en(errno) : "moved");

    /* MREMAP_FIXED to an address we pick (reserved first, then replaced). */
    char *dst = mmap(NULL, 8 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *fx = mremap(n, 4 * pg, 4 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, dst + 2 * pg);
    YN("MREMAP_FIXED at requested address", fx == dst + 2 * pg);
    printf("data at new address: %d %d\n", fx[1], fx[pg + 1]);
    printf("reserved neighbour still PROT_NONE: %s\n", probe(dst, 0));
    RET("MREMAP_FIXED without MAYMOVE", (long)mremap(fx, pg, pg, MREMAP_FIXED, dst));
    RET("overlapping FIXED", (long)mremap(fx, 2 * pg, 2 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, fx + pg));

    /* Shared anonymous mapping keeps sharing after a move. */
    int *sh = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) { sleep_ms(100); sh[0] = 99; _exit(0); }
    int *sh2 = mremap(sh, pg, 4 * pg, MREMAP_MAYMOVE);
    wait_child(p);
    printf("shared after move sees child write: %d\n", sh2 == MAP_FAILED ? -1 : sh2[0]);

    RET("unaligned old address", (long)mremap(fx + 1, pg, 2 * pg, MREMAP_MAYMOVE));
    RET("new size 0", (long)mremap(fx, pg, 0, MREMAP_MAYMOVE));
    RET("bad flags", (long)mremap(fx, pg, 2 * pg, 0x100));
    char *hole = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(hole, pg);
    RET("unmapped old range", (long)mremap(hole, pg, 2 * pg, MREMAP_MAYMOVE));
    return 0;
}

/* Anonymous mmap: zero-filled pages, private vs shared across fork, PROT_NONE, large
 * mappings, and argument errors (EINVAL, EBADF, ENOMEM). */
#include "common.h"

int main(void) {
    setup(10);
    long pg = sysconf(_SC_PAGESIZE);
    printf("page size: %ld\n", pg);
    size_t len = 64 * pg;
    unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    YN("mmap ok", m != MAP_FAILED);
    YN("page aligned", ((uintptr_t)m & (pg - 1)) == 0);
    int zero = 1;
    for (size_t i = 0; i < len; i++) if (m[i]) zero = 0;
    YN("zero filled", zero);
    for (size_t i = 0; i < len; i++) m[i] = (unsigned char)(i * 7);
    unsigned long sum = 0;
    for (size_t i = 0; i < len; i++) sum += m[i];
    printf("checksum: %lu\n", sum);
    RET("munmap", munmap(m, len));

    /* A big sparse mapping: only touched pages matter. */
    size_t big = (size_t)1 << 32;
    char *b = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    YN("4 GiB NORESERVE mapping ok", b != MAP_FAILED);
    if (b != MAP_FAILED) {
        for (size_t off = 0; off < big; off += big / 16) b[off] = 1;
        b[big - 1] = 2;
        printf("sparse touch: %d %d\n", b[0], b[big - 1]);
        munmap(b, big);
    }

    /* PROT_NONE then upgrade. */
    char *n = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("PROT_NONE read: %s\n", probe(n, 0));
    mprotect(n, pg, PROT_READ);
    printf("after PROT_READ read: %s, write: %s\n", probe(n, 0), probe(n, 1));
    munmap(n, pg);

    /* Shared anonymous memory is shared with a child, private is not. */
    int *sh = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int *pr = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *sh = 1;
    *pr = 1;
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) { *sh = 2; *pr = 2; _exit(0); }
    wait_child(p);
    printf("after child wrote 2: shared=%d private=%d\n", *sh, *pr);

    /* Unaligned length is rounded up: the whole page is usable. */
    char *u = mmap(NULL, 100, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("len 100, byte pg-1: %s\n", probe(u + pg - 1, 1));
    munmap(u, 100);

    RET("length 0", (long)mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    RET("neither PRIVATE nor SHARED", (long)mmap(NULL, pg, PROT_READ, MAP_ANONYMOUS, -1, 0));
    RET("unaligned offset on file", (long)mmap(NULL, pg, PROT_READ, MAP_PRIVATE, 0, 1));
    RET("bad fd", (long)mmap(NULL, pg, PROT_READ, MAP_PRIVATE, 999, 0));
    RET("MAP_FIXED unaligned", (long)mmap((void *)(uintptr_t)(0x10000001), pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
    RET("huge length", (long)mmap(NULL, (size_t)1 << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    RET("munmap unaligned", munmap((void *)(uintptr_t)0x10000001, pg));
    RET("munmap length 0", munmap(sh, 0));
    return 0;
}

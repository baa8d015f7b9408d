/* brk/sbrk: the break grows and shrinks, new memory is zeroed and writable, memory
 * beyond a shrunk break faults, the raw syscall returns the current break on failure. */
#include "common.h"

int main(void) {
    setup(10);
    long pg = sysconf(_SC_PAGESIZE);
    void *cur = (void *)syscall(SYS_brk, 0);
    YN("brk(0) == sbrk(0)", cur == sbrk(0));
    char *start = sbrk(0);
    char *old = sbrk(16 * pg);
    YN("sbrk returns old break", old == start);
    YN("break moved by 16 pages", (char *)sbrk(0) == start + 16 * pg);
    int zero = 1;
    for (long i = 0; i < 16 * pg; i++) if (old[i]) zero = 0;
    YN("new memory zeroed", zero);
    memset(old, 'b', 16 * pg);
    printf("last byte writable: %s\n", probe(old + 16 * pg - 1, 1));

    /* Shrink: the released pages fault; growing again gives zeroed memory. */
    char *mid = old + 4 * pg;
    RET("brk shrink", brk(mid));
    YN("sbrk(0) == new break", sbrk(0) == mid);
    printf("below break: %s, above break: %s\n", probe(mid - 1, 0), probe(mid + pg, 0));
    sbrk(4 * pg);
    printf("regrown page zeroed: %s\n", mid[pg] == 0 ? "yes" : "no");
    printf("kept data below: %c\n", old[0]);

    /* Raw brk with an absurd address fails by returning the current break. */
    void *now = sbrk(0);
    void *r = (void *)syscall(SYS_brk, (void *)0x7ffffffff000UL);
    YN("raw brk(huge) returns current break", r == now);
    r = (void *)syscall(SYS_brk, (void *)16);
    YN("raw brk(below start) returns current break", r == now);
    RET("brk(huge) via libc", brk((void *)0x7ffffffff000UL));

    /* Unaligned breaks are allowed; the page containing it is usable. */
    char *b0 = sbrk(0);
    sbrk(100);
    printf("unaligned break: %s, byte 99 writable: %s\n", (char *)sbrk(0) == b0 + 100 ? "ok" : "bad", probe(b0 + 99, 1));

    /* A child's break is independent. */
    char *pb = sbrk(0);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) { sbrk(8 * pg); printf("  child grew: %s\n", (char *)sbrk(0) == pb + 8 * pg ? "yes" : "no"); _exit(0); }
    wait_child(p);
    YN("parent break unchanged", sbrk(0) == pb);

    /* malloc of many small blocks (uses brk). */
    long sum = 0;
    for (int i = 0; i < 10000; i++) { char *q = malloc(64); q[0] = 1; sum += q[0]; }
    printf("malloc loop: %ld\n", sum);
    return 0;
}

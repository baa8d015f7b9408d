/* munmap: access after unmapping faults with SEGV_MAPERR; unmapping the middle splits a
 * mapping; unmapping a range that covers holes is fine; remapping reuses the hole. */
#include "common.h"

int main(void) {
    setup(10);
    long pg = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, 5 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(m, 'm', 5 * pg);
    RET("munmap middle page", munmap(m + 2 * pg, pg));
    printf("pages: 0=%s 1=%s 2=%s 3=%s 4=%s\n", probe(m, 0), probe(m + pg, 0), probe(m + 2 * pg, 0),
           probe(m + 3 * pg, 0), probe(m + 4 * pg, 0));
    printf("data on both sides kept: %c %c\n", m[pg + 1], m[3 * pg + 1]);
    RET("munmap range spanning the hole", munmap(m + pg, 3 * pg));
    printf("pages after: 0=%s 1=%s 3=%s 4=%s\n", probe(m, 0), probe(m + pg, 0), probe(m + 3 * pg, 1), probe(m + 4 * pg, 1));
    RET("munmap already unmapped range", munmap(m + pg, 3 * pg));
    RET("munmap unaligned length (rounded)", munmap(m, 1));
    printf("page0 after munmap len 1: %s\n", probe(m, 0));
    RET("munmap the rest", munmap(m + 4 * pg, pg));

    /* A file mapping: unmap then access faults; the file stays intact. */
    const char *path = "/tmp/husk-munmap.dat";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    ftruncate(fd, pg);
    char *f = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    f[0] = 'F';
    munmap(f, pg);
    printf("file mapping after munmap: %s\n", probe(f, 0));
    char c = 0;
    pread(fd, &c, 1, 0);
    printf("file content: %c\n", c);
    close(fd);
    unlink(path);

    /* Unmapping in a child does not affect the parent. */
    char *s = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    s[0] = 's';
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) { munmap(s, pg); printf("  child after munmap: %s\n", probe(s, 0)); _exit(0); }
    wait_child(p);
    printf("parent still has it: %s %c\n", probe(s, 0), s[0]);

    /* A thread sees an unmapping done by another thread (shared address space). */
    RET("munmap NULL 1 page", munmap(NULL, pg));
    RET("munmap kernel address", munmap((void *)0xffff800000000000UL, pg));
    return 0;
}

/* MAP_FIXED replaces existing pages in place; MAP_FIXED_NOREPLACE fails with EEXIST
 * over an existing mapping and succeeds in a hole; hints without MAP_FIXED. */
#include "common.h"

int main(void) {
    setup(10);
    long pg = sysconf(_SC_PAGESIZE);
    char *base = mmap(NULL, 8 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) DIE("mmap");
    memset(base, 'a', 8 * pg);

    char *f = mmap(base + 2 * pg, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    YN("MAP_FIXED returned the address", f == base + 2 * pg);
    printf("bytes: before=%c replaced=%d,%d after=%c\n", base[pg], base[2 * pg], base[3 * pg + 5], base[4 * pg]);

    errno = 0;
    void *r = mmap(base + 5 * pg, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("NOREPLACE over mapping: %s\n", r == MAP_FAILED ? en(errno) : "mapped");
    printf("original page intact: %c\n", base[5 * pg]);

    munmap(base + 6 * pg, pg);
    r = mmap(base + 6 * pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("NOREPLACE in hole: %s\n", r == base + 6 * pg ? "at the address" : r == MAP_FAILED ? en(errno) : "elsewhere");
    printf("new page zero: %s\n", base[6 * pg] == 0 ? "yes" : "no");
    /* Partially overlapping range: EEXIST as well. */
    munmap(base + 7 * pg, pg);
    errno = 0;
    r = mmap(base + 6 * pg, 2 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("NOREPLACE partial overlap: %s\n", r == MAP_FAILED ? en(errno) : "mapped");

    /* A hint that is free is honoured (not guaranteed, but Linux does). */
    munmap(base, 8 * pg);
    r = mmap(base + pg, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("free hint honoured: %s\n", r == base + pg ? "yes" : "no");
    munmap(r, pg);

    /* MAP_FIXED file mapping over anonymous memory. */
    const char *path = "/tmp/husk-mmap_fixed.dat";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(fd, "filedata", 8);
    char *a = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(a, 'z', 3 * pg);
    char *ff = mmap(a + pg, pg, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
    printf("file over anon: %s %.8s, neighbours %c %c\n", ff == a + pg ? "in place" : "moved", a + pg, a[0], a[2 * pg]);
    printf("write to the read-only file page: %s\n", probe(a + pg, 1));
    munmap(a, 3 * pg);
    close(fd);
    unlink(path);

    return 0;
}

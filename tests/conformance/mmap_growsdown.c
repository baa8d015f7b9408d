/* MAP_GROWSDOWN: touching the page just below the mapping extends it (mincore then
 * finds the new page); MAP_POPULATE pre-faults pages (mincore reports them resident). */
#include "common.h"

static int resident(void *a, size_t len, int *out_count) {
    long pg = sysconf(_SC_PAGESIZE);
    unsigned char vec[64];
    if (mincore(a, len, vec) != 0) return -errno;
    int n = 0;
    for (size_t i = 0; i < len / pg; i++) n += vec[i] & 1;
    *out_count = n;
    return 0;
}

int main(void) {
    setup(10);
    long pg = sysconf(_SC_PAGESIZE);
    /* Reserve a region and place a growsdown mapping at its top with room below. */
    char *region = mmap(NULL, 64 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) DIE("mmap");
    munmap(region, 64 * pg);
    char *top = region + 60 * pg;
    char *g = mmap(top, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED_NOREPLACE, -1, 0);
    YN("growsdown mapping at address", g == top);
    g[0] = 1;
    int n = -1;
    int r = resident(g - pg, pg, &n);
    printf("mincore below before touch: %s\n", r == 0 ? "mapped" : en(-r));
    printf("touch one page below: %s\n", probe(g - pg + 10, 1));
    r = resident(g - pg, pg, &n);
    printf("mincore below after touch: %s\n", r == 0 ? "mapped" : en(-r));
    printf("touch four pages below: %s\n", probe(g - 4 * pg, 1));
    r = resident(g - 4 * pg, 4 * pg, &n);
    printf("grown range mapped: %s\n", r == 0 ? "yes" : en(-r));
    munmap(g - 4 * pg, 5 * pg);

    /* MAP_POPULATE: resident right away. Plain anonymous pages are not. */
    char *pp = mmap(NULL, 8 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    r = resident(pp, 8 * pg, &n);
    printf("MAP_POPULATE resident pages: %d of 8\n", r == 0 ? n : -1);
    char *lazy = mmap(NULL, 8 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    r = resident(lazy, 8 * pg, &n);
    printf("lazy resident pages before touch: %d of 8\n", r == 0 ? n : -1);
    lazy[0] = 1;
    lazy[3 * pg] = 1;
    r = resident(lazy, 8 * pg, &n);
    printf("lazy resident pages after writing 2: %d of 8\n", r == 0 ? n : -1);

    /* MAP_POPULATE of a file mapping reads it in. */
    const char *path = "/tmp/husk-mmap_growsdown.dat";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    ftruncate(fd, 4 * pg);
    pwrite(fd, "pop", 3, 2 * pg);
    char *fp = mmap(NULL, 4 * pg, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
    r = resident(fp, 4 * pg, &n);
    printf("file MAP_POPULATE resident: %d of 4, data: %.3s\n", r == 0 ? n : -1, fp + 2 * pg);
    munmap(fp, 4 * pg);
    close(fd);
    unlink(path);
    munmap(pp, 8 * pg);
    munmap(lazy, 8 * pg);
    return 0;
}

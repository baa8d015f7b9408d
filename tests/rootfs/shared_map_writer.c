/* Writes through MAP_SHARED mappings of two files of the rootfs: the first is unmapped
 * (no msync), the second is left mapped when the process exits; a read() in between
 * must already see the first change. Used by tests/rootfs.rs in --overlay=none mode. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char *map(const char *path, int *fd) {
    *fd = open(path, O_RDWR);
    if (*fd < 0) return NULL;
    char *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, *fd, 0);
    if (p == MAP_FAILED) return NULL;
    /* Made writable later: mprotect must count as a writable shared mapping too. */
    if (mprotect(p, 4096, PROT_READ | PROT_WRITE)) return NULL;
    return p;
}

int main(void) {
    int a, b;
    char *pa = map("/data/keep", &a);
    char *pb = map("/data/old", &b);
    if (!pa || !pb) {
        perror("map");
        return 1;
    }
    memcpy(pa, "KEEP", 4);
    char buf[16] = {0};
    if (pread(a, buf, 8, 0) != 8) return 2;
    printf("read sees: %.8s", buf);
    munmap(pa, 4096);
    memcpy(pb, "OLD!", 4);
    return 0;
}

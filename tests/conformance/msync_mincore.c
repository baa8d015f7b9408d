/* msync flags and errors; mincore on mapped, unmapped and unaligned ranges. */
#include "common.h"

int main(void) {
    setup(10);
    long pg = sysconf(_SC_PAGESIZE);
    const char *path = "/tmp/husk-msync_mincore.dat";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    ftruncate(fd, 2 * pg);
    char *f = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    memcpy(f, "synced", 6);
    RET("msync MS_SYNC", msync(f, 2 * pg, MS_SYNC));
    RET("msync MS_ASYNC", msync(f, pg, MS_ASYNC));
    RET("msync MS_INVALIDATE", msync(f, pg, MS_INVALIDATE));
    RET("msync SYNC|ASYNC", msync(f, pg, MS_SYNC | MS_ASYNC));
    RET("msync bad flag", msync(f, pg, 0x100));
    RET("msync unaligned", msync(f + 1, pg, MS_SYNC));
    RET("msync length 0", msync(f, 0, MS_SYNC));
    char *a = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    RET("msync anonymous", msync(a, pg, MS_SYNC));
    munmap(a + pg, pg);
    RET("msync unmapped", msync(a + pg, pg, MS_SYNC));
    char buf[8] = {0};
    pread(fd, buf, 6, 0);
    printf("file: %s\n", buf);

    unsigned char vec[4];
    memset(vec, 0xee, sizeof vec);
    RET("mincore file mapping", mincore(f, 2 * pg, vec));
    printf("vec[0] resident bit: %d, high bits clear: %s\n", vec[0] & 1, (vec[0] & ~1) == 0 && (vec[1] & ~1) == 0 ? "yes" : "no");
    RET("mincore unaligned", mincore(f + 1, pg, vec));
    RET("mincore unmapped", mincore(a + pg, pg, vec));
    RET("mincore bad vec", mincore(f, pg, (unsigned char *)8));
    a[0] = 1;
    memset(vec, 0xee, sizeof vec);
    mincore(a, pg, vec);
    printf("touched anon page resident: %d\n", vec[0] & 1);
    munmap(a, pg);
    munmap(f, 2 * pg);
    close(fd);
    unlink(path);
    return 0;
}

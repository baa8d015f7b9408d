/* fallocate modes and errors; sync_file_range, readahead, fadvise, syncfs, fdatasync. */
#include "common.h"
#include <linux/falloc.h>

#define F "/tmp/fallocate_sync.data"
#define S "/dev/shm/fallocate_sync.data"

static long fsize(int fd) {
    struct stat st;
    if (fstat(fd, &st)) return -1;
    return (long)st.st_size;
}

static long blocks(int fd) {
    struct stat st;
    if (fstat(fd, &st)) return -1;
    return (long)st.st_blocks;
}

static void dump(const char *label, int fd, off_t off, int n) {
    char b[64];
    long r = pread(fd, b, n, off);
    printf("%s:", label);
    for (long i = 0; i < r; i++) printf("%c", b[i] ? b[i] : '.');
    printf("\n");
}

int main(void) {
    setup(20);
    int fd = open(F, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) DIE("open");
    RET("mode 0", fallocate(fd, 0, 0, 8192));
    printf("size %ld, blocks >= 16: %s\n", fsize(fd), blocks(fd) >= 16 ? "yes" : "no");
    RET("keep size", fallocate(fd, FALLOC_FL_KEEP_SIZE, 8192, 8192));
    printf("size %ld\n", fsize(fd));
    if (pwrite(fd, "abcdefghijklmnopqrstuvwxyz", 26, 0) != 26) DIE("pwrite");
    RET("punch", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4, 6));
    dump("after punch", fd, 0, 26);
    printf("size %ld\n", fsize(fd));
    RET("zero range", fallocate(fd, FALLOC_FL_ZERO_RANGE, 20, 3));
    dump("after zero", fd, 0, 26);
    RET("zero range grow", fallocate(fd, FALLOC_FL_ZERO_RANGE, 8190, 10));
    printf("size %ld\n", fsize(fd));
    RET("zero range keep", fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 9000, 10));
    printf("size %ld\n", fsize(fd));
    /* a whole-page punch frees the page: fewer blocks */
    long before = blocks(fd);
    RET("punch page", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096));
    printf("fewer blocks: %s\n", blocks(fd) < before ? "yes" : "no");
    RET("punch without keep", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 10));
    RET("punch and zero", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, 10));
    RET("len 0", fallocate(fd, 0, 0, 0));
    RET("neg off", fallocate(fd, 0, -1, 10));
    RET("unknown mode", fallocate(fd, 0x1000, 0, 10));
    RET("collapse with keep", fallocate(fd, FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096));
    RET("overflow", fallocate(fd, 0, 0x7fffffffffffff00LL, 0x1000));
    int ro = open(F, O_RDONLY);
    RET("read-only fd", fallocate(ro, 0, 0, 10));
    int p[2];
    if (pipe(p)) DIE("pipe");
    RET("pipe", fallocate(p[1], 0, 0, 10));
    RET("bad fd", fallocate(-1, 0, 0, 10));

    /* tmpfs knows only KEEP_SIZE and PUNCH_HOLE */
    int s = open(S, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (s < 0) DIE("open shm");
    RET("shm mode 0", fallocate(s, 0, 0, 100));
    printf("shm size %ld\n", fsize(s));
    RET("shm zero range", fallocate(s, FALLOC_FL_ZERO_RANGE, 0, 10));
    RET("shm punch", fallocate(s, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 10));
    close(s);
    unlink(S);

    RET("sync_file_range", sync_file_range(fd, 0, 100, SYNC_FILE_RANGE_WRITE));
    RET("sync_file_range flags", sync_file_range(fd, 0, 100, 8));
    RET("sync_file_range neg", sync_file_range(fd, -1, 100, 0));
    RET("sync_file_range neg len", sync_file_range(fd, 0, -1, 0));
    RET("sync_file_range pipe", sync_file_range(p[0], 0, 100, 0));
    RET("sync_file_range badfd", sync_file_range(-1, 0, 100, 0));
    RET("readahead", readahead(fd, 0, 4096));
    RET("readahead pipe", readahead(p[0], 0, 4096));
    int wo = open(F, O_WRONLY);
    RET("readahead wronly", readahead(wo, 0, 4096));
    RET("readahead badfd", readahead(-1, 0, 4096));
    int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
    RET("readahead dir", readahead(dir, 0, 4096));
    printf("fadvise: %d\n", posix_fadvise(fd, 0, 100, POSIX_FADV_SEQUENTIAL));
    printf("fadvise bad advice: %d\n", posix_fadvise(fd, 0, 100, 99));
    printf("fadvise neg len: %d\n", posix_fadvise(fd, 0, -1, POSIX_FADV_NORMAL));
    printf("fadvise pipe: %d\n", posix_fadvise(p[0], 0, 100, POSIX_FADV_NORMAL));
    printf("fadvise badfd: %d\n", posix_fadvise(-1, 0, 100, POSIX_FADV_NORMAL));
    RET("syncfs", syncfs(fd));
    RET("syncfs badfd", syncfs(-1));
    RET("fdatasync", fdatasync(fd));
    RET("fdatasync badfd", fdatasync(-1));
    unlink(F);
    return 0;
}

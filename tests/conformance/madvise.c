/* madvise: MADV_DONTNEED zeroes private anonymous memory, keeps shared memory, and
 * reverts a private file mapping to the file's contents; other advice; errors. */
#include "common.h"

int main(void) {
    setup(10);
    long pg = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(m, 'x', 4 * pg);
    RET("MADV_DONTNEED private anon (pages 1-2)", madvise(m + pg, 2 * pg, MADV_DONTNEED));
    printf("bytes: p0=%d p1=%d p2=%d p3=%d\n", m[0], m[pg], m[2 * pg + 9], m[3 * pg]);

    char *s = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    memset(s, 's', pg);
    RET("MADV_DONTNEED shared anon", madvise(s, pg, MADV_DONTNEED));
    printf("shared after: %c\n", s[5]);

    const char *path = "/tmp/husk-madvise.dat";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    char page[4096];
    memset(page, 'F', sizeof page);
    write(fd, page, sizeof page);
    char *f = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    f[0] = 'P';
    printf("private file before: %c\n", f[0]);
    RET("MADV_DONTNEED private file", madvise(f, pg, MADV_DONTNEED));
    printf("private file after: %c\n", f[0]);
    char *fs = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    fs[1] = 'S';
    RET("MADV_DONTNEED shared file", madvise(fs, pg, MADV_DONTNEED));
    printf("shared file after: %c\n", fs[1]);

    RET("MADV_NORMAL", madvise(m, pg, MADV_NORMAL));
    RET("MADV_RANDOM", madvise(m, pg, MADV_RANDOM));
    RET("MADV_SEQUENTIAL", madvise(m, pg, MADV_SEQUENTIAL));
    RET("MADV_WILLNEED", madvise(m, pg, MADV_WILLNEED));
    RET("MADV_DONTFORK", madvise(m, pg, MADV_DONTFORK));
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) { printf("  child, DONTFORK page: %s, next page: %s\n", probe(m, 0), probe(m + pg, 0)); _exit(0); }
    wait_child(p);
    RET("MADV_DOFORK", madvise(m, pg, MADV_DOFORK));
    RET("MADV_FREE", madvise(m + 3 * pg, pg, MADV_FREE));
    RET("unaligned", madvise(m + 1, pg, MADV_NORMAL));
    RET("bad advice", madvise(m, pg, 12345));
    munmap(m + 3 * pg, pg);
    RET("unmapped range", madvise(m + 3 * pg, pg, MADV_NORMAL));
    RET("length 0", madvise(m, 0, MADV_NORMAL));
    munmap(f, pg);
    munmap(fs, pg);
    close(fd);
    unlink(path);
    return 0;
}

/* MAP_PRIVATE file mappings: the file's contents are visible, writes stay private (the
 * file is unchanged), offsets, read-only fds, PROT_WRITE on O_RDONLY is allowed privately. */
#include "common.h"

int main(void) {
    setup(10);
    long pg = sysconf(_SC_PAGESIZE);
    const char *path = "/tmp/husk-mmap_file_private.dat";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) DIE("open");
    char *buf = malloc(3 * pg);
    for (long i = 0; i < 3 * pg; i++) buf[i] = (char)('a' + i / pg);
    write(fd, buf, 3 * pg);

    char *m = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    YN("mmap ok", m != MAP_FAILED);
    printf("bytes at page starts: %c %c %c\n", m[0], m[pg], m[2 * pg]);
    m[0] = 'X';
    char c;
    pread(fd, &c, 1, 0);
    printf("after private write: mapping=%c file=%c\n", m[0], c);

    /* Offset mapping. */
    char *o = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 2 * pg);
    printf("offset 2 pages: %c\n", o[10]);
    munmap(o, pg);

    /* O_RDONLY fd: private writable mapping allowed, shared writable is EACCES. */
    int ro = open(path, O_RDONLY);
    char *p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
    YN("PROT_WRITE MAP_PRIVATE on O_RDONLY fd", p != MAP_FAILED);
    if (p != MAP_FAILED) { p[1] = 'Y'; printf("private copy: %c%c\n", p[0], p[1]); munmap(p, pg); }
    RET("PROT_WRITE MAP_SHARED on O_RDONLY fd", (long)mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0));
    int wo = open(path, O_WRONLY);
    RET("mmap of O_WRONLY fd", (long)mmap(NULL, pg, PROT_READ, MAP_PRIVATE, wo, 0));
    close(wo);
    close(ro);

    /* The mapping outlives the fd. */
    close(fd);
    printf("after close(fd): %c %c\n", m[0], m[pg]);

    /* Private copy inherited by a child, child's writes private to the child. */
    fflush(stdout);
    pid_t k = fork();
    if (k == 0) { m[pg] = 'Z'; printf("  child sees: %c %c\n", m[0], m[pg]); _exit(0); }
    wait_child(k);
    printf("parent sees: %c %c\n", m[0], m[pg]);
    munmap(m, 3 * pg);

    /* Mapping a directory or /dev/null. */
    int d = open("/tmp", O_RDONLY | O_DIRECTORY);
    RET("mmap of a directory", (long)mmap(NULL, pg, PROT_READ, MAP_PRIVATE, d, 0));
    close(d);
    unlink(path);
    free(buf);
    return 0;
}

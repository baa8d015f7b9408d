/* MAP_SHARED file mappings: writes through the mapping reach the file (read/pread see
 * them), write() reaches the mapping, and a separate process that maps the same file
 * independently sees and makes changes; msync; mappings of the same file alias. */
#include "common.h"

static const char *path = "/tmp/husk-mmap_shared_file.dat";

int main(int argc, char **argv) {
    setup(10);
    long pg = sysconf(_SC_PAGESIZE);
    if (argc == 2 && strcmp(argv[1], "writer") == 0) {
        /* A separate program (after execve) maps the file and writes to it. */
        int fd = open(path, O_RDWR);
        char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED) return 2;
        printf("  writer sees: %.5s\n", m);
        memcpy(m + pg, "from-writer", 11);
        msync(m, 2 * pg, MS_SYNC);
        return 0;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) DIE("open");
    ftruncate(fd, 2 * pg);
    char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) DIE("mmap");
    memcpy(m, "hello", 5);
    char buf[16] = {0};
    pread(fd, buf, 5, 0);
    printf("pread after mapping write: %s\n", buf);
    pwrite(fd, "WORLD", 5, 0);
    printf("mapping after pwrite: %.5s\n", m);
    RET("msync MS_SYNC", msync(m, 2 * pg, MS_SYNC));

    /* Two mappings of the same file alias each other. */
    char *m2 = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    m2[0] = 'w';
    printf("second mapping write seen by first: %c\n", m[0]);

    /* Another process (our own binary re-executed) maps the file and writes page 2. */
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        execl("/proc/self/exe", argv[0], "writer", (char *)NULL);
        _exit(127);
    }
    printf("writer: %s\n", wstr(wait_child(p)));
    printf("parent mapping page 2: %.11s\n", m + pg);

    /* A forked child inherits the shared mapping. */
    p = fork();
    if (p == 0) { memcpy(m + 100, "child", 5); _exit(0); }
    wait_child(p);
    pread(fd, buf, 5, 100);
    printf("file after child write: %.5s\n", buf);

    /* Size of the file is unchanged by writes through the mapping. */
    struct stat st;
    fstat(fd, &st);
    printf("file size in pages: %ld\n", (long)(st.st_size / pg));

    /* Unmap and reopen: contents persisted. */
    munmap(m, 2 * pg);
    munmap(m2, pg);
    close(fd);
    fd = open(path, O_RDONLY);
    memset(buf, 0, sizeof buf);
    read(fd, buf, 5);
    printf("reopened: %s\n", buf);
    close(fd);
    unlink(path);
    return 0;
}

/* memfd_create and file seals (F_ADD_SEALS / F_GET_SEALS) enforced on write, truncate,
 * fallocate and shared writable mappings. */
#include "common.h"
#include <linux/falloc.h>

int main(void) {
    setup(20);
    int fd = memfd_create("husk-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) DIE("memfd_create");
    struct stat st;
    fstat(fd, &st);
    printf("mode %o nlink %ld size %ld\n", st.st_mode, (long)st.st_nlink, (long)st.st_size);
    printf("cloexec: %d, getfl rdwr: %s\n", fcntl(fd, F_GETFD), (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR ? "yes" : "no");
    char path[64], lk[256];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    long n = readlink(path, lk, sizeof lk - 1);
    lk[n > 0 ? n : 0] = 0;
    printf("link: %s\n", lk);
    RET("write", write(fd, "hello world", 11));
    RET("ftruncate", ftruncate(fd, 8192));
    RET("get seals", fcntl(fd, F_GET_SEALS));
    RET("add shrink", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
    RET("shrink", ftruncate(fd, 100));
    RET("grow ok", ftruncate(fd, 9000));
    RET("add grow", fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
    RET("grow", ftruncate(fd, 10000));
    RET("same size", ftruncate(fd, 9000));
    RET("write inside", pwrite(fd, "abc", 3, 100));
    RET("write past end", pwrite(fd, "abc", 3, 9000));
    RET("write across end", pwrite(fd, "abcdef", 6, 8997));
    RET("fallocate grow", fallocate(fd, 0, 0, 20000));
    RET("fallocate inside", fallocate(fd, 0, 0, 4096));
    /* a shared writable mapping blocks F_SEAL_WRITE */
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) DIE("mmap");
    m[0] = 'H';
    RET("add write while mapped", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
    munmap(m, 4096);
    RET("add write", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
    RET("get seals", fcntl(fd, F_GET_SEALS));
    RET("write sealed", write(fd, "x", 1));
    RET("punch sealed", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 10));
    m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("shared writable mmap: %s\n", m == MAP_FAILED ? en(errno) : "ok");
    m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    printf("shared read mmap: %s, first byte %c\n", m == MAP_FAILED ? en(errno) : "ok", m == MAP_FAILED ? '?' : m[0]);
    if (m != MAP_FAILED) munmap(m, 4096);
    m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    printf("private writable mmap: %s\n", m == MAP_FAILED ? en(errno) : "ok");
    if (m != MAP_FAILED) munmap(m, 4096);
    char b[8] = {0};
    RET("read sealed", pread(fd, b, 5, 0));
    printf("content: %.5s\n", b);
    RET("add seal", fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL));
    RET("add after seal", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
    RET("get seals", fcntl(fd, F_GET_SEALS));
    close(fd);

    /* future write: existing mappings keep working, new ones and write() do not */
    fd = memfd_create("fw", MFD_ALLOW_SEALING);
    ftruncate(fd, 4096);
    m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    RET("add future write", fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
    m[1] = 'Z';
    RET("write future sealed", write(fd, "x", 1));
    char *m2 = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("new writable mapping: %s\n", m2 == MAP_FAILED ? en(errno) : "ok");
    RET("pread", pread(fd, b, 2, 0));
    printf("byte 1: %c\n", b[1]);
    RET("unknown seal", fcntl(fd, F_ADD_SEALS, 0x1000));
    close(fd);

    /* without MFD_ALLOW_SEALING: sealed against sealing */
    fd = memfd_create("nosealing", 0);
    RET("get seals nosealing", fcntl(fd, F_GET_SEALS));
    RET("add nosealing", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
    printf("cloexec: %d\n", fcntl(fd, F_GETFD));
    int ro;
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ro = open(path, O_RDONLY);
    RET("reopen via proc", ro >= 0 ? 0 : -1);
    close(fd);
    fd = memfd_create("s2", MFD_ALLOW_SEALING);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ro = open(path, O_RDONLY);
    RET("add seals read-only fd", fcntl(ro, F_ADD_SEALS, F_SEAL_GROW));
    RET("get seals read-only fd", fcntl(ro, F_GET_SEALS));
    close(ro);
    close(fd);
    /* errors */
    RET("bad flags", memfd_create("x", 0x100));
    char name[300];
    memset(name, 'n', sizeof name);
    name[249] = 0;
    OK("name 249", memfd_create(name, 0));
    name[249] = 'n';
    name[250] = 0;
    RET("name 250", memfd_create(name, 0));
    /* regular files: tmpfs files are sealed against sealing; others have none */
    int t = open("/dev/shm/memfd_seals.f", O_RDWR | O_CREAT, 0600);
    RET("tmpfs get seals", fcntl(t, F_GET_SEALS));
    RET("tmpfs add seals", fcntl(t, F_ADD_SEALS, F_SEAL_WRITE));
    close(t);
    unlink("/dev/shm/memfd_seals.f");
    int p[2];
    if (pipe(p)) DIE("pipe");
    RET("pipe get seals", fcntl(p[0], F_GET_SEALS));
    return 0;
}

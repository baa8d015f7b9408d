/* openat/read/write/pread64/pwrite64/readv/writev/lseek (SEEK_SET/CUR/END, holes),
 * O_APPEND, O_TRUNC, short reads at EOF, close and EBADF afterwards. */
#include "common.h"
#include <sys/uio.h>

int main(void) {
    setup(10);
    const char *path = "/tmp/husk-file_rw.dat";
    int dfd = open("/tmp", O_RDONLY | O_DIRECTORY);
    int fd = openat(dfd, "husk-file_rw.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    RET("openat create", fd >= 0 ? 0 : -1);
    RET("write 10", write(fd, "0123456789", 10));
    RET("lseek SEEK_CUR 0", lseek(fd, 0, SEEK_CUR));
    RET("lseek SEEK_SET 2", lseek(fd, 2, SEEK_SET));
    char buf[64] = {0};
    RET("read 3", read(fd, buf, 3));
    printf("data: %s\n", buf);
    RET("lseek SEEK_CUR +1", lseek(fd, 1, SEEK_CUR));
    RET("lseek SEEK_END -2", lseek(fd, -2, SEEK_END));
    memset(buf, 0, sizeof buf);
    RET("read at end-2 asks 10", read(fd, buf, 10));
    printf("data: %s\n", buf);
    RET("read at EOF", read(fd, buf, 10));
    RET("pread 4 at 5", pread(fd, buf, 4, 5));
    printf("data: %.4s\n", buf);
    RET("offset unchanged by pread", lseek(fd, 0, SEEK_CUR));
    RET("pwrite 3 at 20 (hole)", pwrite(fd, "abc", 3, 20));
    struct stat st;
    fstat(fd, &st);
    printf("size after pwrite: %ld\n", (long)st.st_size);
    memset(buf, 'x', sizeof buf);
    RET("pread across hole", pread(fd, buf, 13, 10));
    printf("hole bytes zero: %s\n", buf[0] == 0 && buf[9] == 0 && buf[10] == 'a' ? "yes" : "no");

    struct iovec iov[3] = {{"AA", 2}, {"BBB", 3}, {"C", 1}};
    lseek(fd, 0, SEEK_SET);
    RET("writev 3 iovecs", writev(fd, iov, 3));
    char a[2], b[3], c[5];
    struct iovec rv[3] = {{a, 2}, {b, 3}, {c, 5}};
    lseek(fd, 0, SEEK_SET);
    RET("readv", readv(fd, rv, 3));
    printf("readv: %.2s|%.3s|%.5s\n", a, b, c);
    RET("preadv at 20", preadv(fd, rv, 1, 20));
    printf("preadv: %.2s\n", a);
    RET("pwritev at 30", pwritev(fd, iov, 2, 30));
    RET("writev zero iovecs", writev(fd, iov, 0));
    RET("writev negative count", syscall(SYS_writev, fd, iov, -1));
    RET("lseek negative result", lseek(fd, -100, SEEK_SET));
    RET("lseek bad whence", lseek(fd, 0, 12345));
    RET("pread negative offset", pread(fd, buf, 1, -1));
    close(fd);

    fd = open(path, O_WRONLY | O_APPEND);
    lseek(fd, 0, SEEK_SET);
    RET("O_APPEND write", write(fd, "Z", 1));
    fstat(fd, &st);
    printf("size after append: %ld, offset: %ld\n", (long)st.st_size, (long)lseek(fd, 0, SEEK_CUR));
    close(fd);
    fd = open(path, O_RDWR | O_TRUNC);
    fstat(fd, &st);
    printf("size after O_TRUNC: %ld\n", (long)st.st_size);
    RET("write to O_RDONLY", write(open(path, O_RDONLY), "x", 1));
    RET("read from O_WRONLY", read(open(path, O_WRONLY), buf, 1));
    RET("read into bad buffer", (write(fd, "q", 1), syscall(SYS_pread64, fd, (void *)8, 1, 0)));
    RET("close", close(fd));
    RET("close again", close(fd));
    RET("read closed fd", read(fd, buf, 1));
    RET("lseek on pipe", ({ int p[2]; pipe(p); lseek(p[0], 0, SEEK_SET); }));

    /* Large write/read round trip (1 MiB) with checksum. */
    fd = open(path, O_RDWR | O_TRUNC);
    static unsigned char big[1 << 20], back[1 << 20];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i * 31 + 7);
    RET("write 1 MiB", write(fd, big, sizeof big));
    RET("pread 1 MiB", pread(fd, back, sizeof back, 0));
    YN("round trip equal", memcmp(big, back, sizeof big) == 0);
    close(fd);
    unlink(path);
    close(dfd);
    return 0;
}

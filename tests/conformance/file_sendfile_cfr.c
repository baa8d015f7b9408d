/* sendfile and copy_file_range in detail: sendfile with and without an offset pointer
 * (file offset moved or not, *offset updated), to a pipe and to a socket, at and past
 * EOF, count clipping, O_APPEND destination (EINVAL), a write-only source (EBADF);
 * copy_file_range between files and within one file (overlapping ranges: EINVAL),
 * offsets in and out, length past EOF, flags (EINVAL), O_APPEND destination (EBADF),
 * directories (EISDIR), pipes (EINVAL), and growing the destination with a hole. */
#include "common.h"
#include <sys/sendfile.h>
#include <sys/socket.h>

static char D[64];

static void content(const char *label, int fd) {
    char b[128];
    long n = pread(fd, b, sizeof b, 0);
    printf("%s: %ld \"", label, n);
    for (long i = 0; i < n; i++) putchar(b[i] ? b[i] : '.');
    printf("\"\n");
}

int main(void) {
    setup(10);
    strcpy(D, "/tmp/file_sendfile_cfr.XXXXXX");
    if (!mkdtemp(D)) DIE("mkdtemp");
    if (chdir(D)) DIE("chdir");
    int src = open("src", O_CREAT | O_RDWR, 0644);
    if (src < 0 || write(src, "0123456789abcdefghijklmnopqrstuvwxyz", 36) != 36) DIE("src");
    int dst = open("dst", O_CREAT | O_RDWR | O_TRUNC, 0644);

    /* sendfile */
    lseek(src, 5, SEEK_SET);
    RET("sendfile NULL offset", sendfile(dst, src, NULL, 4));
    RET("  src offset moved", lseek(src, 0, SEEK_CUR));
    RET("  dst offset", lseek(dst, 0, SEEK_CUR));
    off_t off = 30;
    RET("sendfile offset 30 count 100 (clipped)", sendfile(dst, src, &off, 100));
    printf("  *offset: %ld\n", (long)off);
    RET("  src offset unchanged", lseek(src, 0, SEEK_CUR));
    off = 36;
    RET("sendfile at EOF", sendfile(dst, src, &off, 10));
    off = 100;
    RET("sendfile past EOF", sendfile(dst, src, &off, 10));
    RET("sendfile count 0", sendfile(dst, src, NULL, 0));
    content("dst", dst);
    off = -1;
    RET("sendfile negative offset", sendfile(dst, src, &off, 1));
    int ap = open("dst", O_WRONLY | O_APPEND);
    off = 0;
    RET("sendfile to O_APPEND", sendfile(ap, src, &off, 1));
    int wo = open("src", O_WRONLY);
    RET("sendfile from write-only", sendfile(dst, wo, NULL, 1));
    int rd = open("dst", O_RDONLY);
    RET("sendfile to read-only", sendfile(rd, src, NULL, 1));
    int p[2];
    pipe(p);
    off = 10;
    RET("sendfile to pipe", sendfile(p[1], src, &off, 6));
    char b[64] = {0};
    read(p[0], b, sizeof b);
    printf("  pipe got: %s\n", b);
    RET("sendfile from pipe", sendfile(dst, p[0], NULL, 1));
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    off = 0;
    RET("sendfile to socket", sendfile(sv[0], src, &off, 10));
    memset(b, 0, sizeof b);
    read(sv[1], b, sizeof b);
    printf("  socket got: %s\n", b);
    RET("sendfile bad in fd", sendfile(dst, 999, NULL, 1));
    RET("sendfile bad offset pointer", sendfile(dst, src, (off_t *)8, 1));

    /* copy_file_range */
    int c = open("c", O_CREAT | O_RDWR | O_TRUNC, 0644);
    loff_t oi = 0, oo = 0;
    RET("cfr 10 bytes with offsets", copy_file_range(src, &oi, c, &oo, 10, 0));
    printf("  offsets in %ld out %ld, file offsets %ld %ld\n", (long)oi, (long)oo,
           (long)lseek(src, 0, SEEK_CUR), (long)lseek(c, 0, SEEK_CUR));
    lseek(src, 20, SEEK_SET);
    RET("cfr NULL offsets", copy_file_range(src, NULL, c, NULL, 5, 0));
    printf("  file offsets %ld %ld\n", (long)lseek(src, 0, SEEK_CUR), (long)lseek(c, 0, SEEK_CUR));
    oi = 30;
    oo = 50;
    RET("cfr past EOF (clipped) with a hole", copy_file_range(src, &oi, c, &oo, 100, 0));
    content("c", c);
    oi = 40;
    RET("cfr at EOF", copy_file_range(src, &oi, c, NULL, 10, 0));
    /* same file */
    oi = 0;
    oo = 5;
    RET("cfr same file overlapping", copy_file_range(src, &oi, src, &oo, 10, 0));
    oi = 0;
    oo = 10;
    RET("cfr same file adjacent", copy_file_range(src, &oi, src, &oo, 10, 0));
    content("src", src);
    oi = 0;
    oo = 0;
    RET("cfr same file same range", copy_file_range(src, &oi, src, &oo, 4, 0));
    RET("cfr flags", copy_file_range(src, NULL, c, NULL, 1, 1));
    RET("cfr to O_APPEND", copy_file_range(src, NULL, ap, NULL, 1, 0));
    RET("cfr from write-only", copy_file_range(wo, NULL, c, NULL, 1, 0));
    RET("cfr to read-only", copy_file_range(src, NULL, rd, NULL, 1, 0));
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    RET("cfr from dir", copy_file_range(dfd, NULL, c, NULL, 1, 0));
    RET("cfr to pipe", copy_file_range(src, NULL, p[1], NULL, 1, 0));
    oi = -1;
    RET("cfr negative offset", copy_file_range(src, &oi, c, NULL, 1, 0));
    RET("cfr length 0", copy_file_range(src, NULL, c, NULL, 0, 0));
    RET("cfr bad fd", copy_file_range(999, NULL, c, NULL, 1, 0));

    close(dfd);
    close(c);
    close(ap);
    close(wo);
    close(rd);
    close(src);
    close(dst);
    unlink("src");
    unlink("dst");
    unlink("c");
    chdir("/");
    RET("rmdir tmpdir", rmdir(D));
    return 0;
}

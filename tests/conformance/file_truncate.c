/* truncate/ftruncate: growing fills with zeroes, shrinking drops data (also past the
 * offset of an open fd), errors (EINVAL for negative sizes and O_RDONLY fds, EISDIR,
 * EBADF, ENOENT, EACCES for truncate of a non-writable file as nobody, ENOTDIR), pipes
 * and sockets (EINVAL), effect on mtime/ctime, st_blocks of a sparse grow, and data
 * written after truncating below the file offset (hole of zeroes). */
#include "common.h"
#include <sys/socket.h>

static char D[64];

static long fsz(int fd) {
    struct stat st;
    return fstat(fd, &st) ? -1 : (long)st.st_size;
}

static void dump(const char *label, int fd, off_t off, int n) {
    unsigned char b[64];
    long r = pread(fd, b, n, off);
    printf("%s: %ld [", label, r);
    for (long i = 0; i < r; i++) printf("%s%d", i ? " " : "", b[i] >= 'a' ? b[i] - 'a' + 10 : b[i]);
    printf("]\n");
}

static int nobody(void) {
    if (setgid(65534) || setuid(65534)) return 90;
    RET("  truncate 0644 file owned by root", truncate("f", 1));
    RET("  truncate 0666 file", truncate("g", 1));
    int fd = open("g", O_RDWR);
    RET("  ftruncate through rw fd", ftruncate(fd, 2));
    close(fd);
    return 0;
}

int main(void) {
    setup(10);
    strcpy(D, "/tmp/file_truncate.XXXXXX");
    if (!mkdtemp(D)) DIE("mkdtemp");
    if (chdir(D)) DIE("chdir");
    int fd = open("f", O_CREAT | O_RDWR, 0644);
    if (fd < 0 || write(fd, "abcdef", 6) != 6) DIE("file");

    RET("ftruncate grow to 10", ftruncate(fd, 10));
    printf("size: %ld\n", fsz(fd));
    dump("content", fd, 0, 16);
    RET("ftruncate shrink to 3", ftruncate(fd, 3));
    dump("content", fd, 0, 16);
    RET("offset unchanged", lseek(fd, 0, SEEK_CUR));
    RET("write at old offset", write(fd, "z", 1));
    printf("size: %ld\n", fsz(fd));
    dump("content (hole of zeroes)", fd, 0, 16);
    RET("ftruncate to 0", ftruncate(fd, 0));
    RET("read at offset 7 after truncate", read(fd, (char[4]){0}, 4));
    RET("ftruncate same size", ftruncate(fd, 0));

    /* Sparse grow. */
    RET("ftruncate to 1 MiB", ftruncate(fd, 1 << 20));
    struct stat st;
    fstat(fd, &st);
    printf("size %ld, blocks small: %s\n", (long)st.st_size, st.st_blocks < 64 ? "yes" : "no");
    dump("middle", fd, 500000, 4);
    RET("ftruncate to 0 again", ftruncate(fd, 0));

    /* Times. */
    struct timespec ts[2] = {{100, 0}, {100, 0}};
    futimens(fd, ts);
    RET("ftruncate to 5", ftruncate(fd, 5));
    fstat(fd, &st);
    YN("mtime updated", st.st_mtime != 100);
    YN("ctime updated", st.st_ctime != 100);
    futimens(fd, ts);
    RET("ftruncate same size 5", ftruncate(fd, 5));
    fstat(fd, &st);
    printf("mtime after same-size ftruncate is 100: %s\n", st.st_mtime == 100 ? "yes" : "no");
    futimens(fd, ts);
    RET("truncate same size 5", truncate("f", 5));
    fstat(fd, &st);
    printf("mtime after same-size truncate is 100: %s\n", st.st_mtime == 100 ? "yes" : "no");

    /* Errors. */
    RET("ftruncate negative", ftruncate(fd, -1));
    RET("truncate negative", truncate("f", -1));
    int ro = open("f", O_RDONLY);
    RET("ftruncate O_RDONLY fd", ftruncate(ro, 0));
    close(ro);
    int ap = open("f", O_WRONLY | O_APPEND);
    RET("ftruncate O_APPEND fd", ftruncate(ap, 4));
    close(ap);
    mkdir("d", 0755);
    RET("truncate dir", truncate("d", 0));
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    RET("ftruncate dir fd", ftruncate(dfd, 0));
    close(dfd);
    RET("ftruncate bad fd", ftruncate(999, 0));
    RET("truncate missing", truncate("nope", 0));
    RET("truncate through file", truncate("f/x", 0));
    RET("truncate empty path", truncate("", 0));
    int p[2];
    pipe(p);
    RET("ftruncate pipe", ftruncate(p[1], 0));
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    RET("ftruncate socket", ftruncate(sv[0], 0));
    symlink("f", "lnk");
    RET("truncate via symlink", truncate("lnk", 2));
    printf("size: %ld\n", fsz(fd));

    /* Permission. */
    int g = open("g", O_CREAT | O_RDWR, 0666);
    fchmod(g, 0666);
    close(g);
    chmod(".", 0755);
    in_child("nobody", nobody);
    struct stat sg;
    stat("g", &sg);
    printf("g size: %ld\n", (long)sg.st_size);

    close(fd);
    unlink("f");
    unlink("g");
    unlink("lnk");
    rmdir("d");
    chdir("/");
    RET("rmdir tmpdir", rmdir(D));
    return 0;
}

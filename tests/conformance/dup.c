/* dup/dup2/dup3: lowest free fd, shared file offset and status flags, dup2 onto an open
 * fd closes it, dup2(fd, fd), dup3 O_CLOEXEC and EINVAL cases, EBADF cases. */
#include "common.h"

int main(void) {
    setup(10);
    const char *path = "/tmp/husk-dup.dat";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(fd, "abcdefghij", 10);
    lseek(fd, 0, SEEK_SET);
    int lowest = -1;
    for (int i = 0; i < 64; i++) if (fcntl(i, F_GETFD) == -1) { lowest = i; break; }
    int d = dup(fd);
    YN("dup returns the lowest free fd", d == lowest);
    char c;
    read(fd, &c, 1);
    read(d, &c, 1);
    printf("shared offset: second read got %c, offset now %ld\n", c, (long)lseek(fd, 0, SEEK_CUR));
    fcntl(fd, F_SETFL, O_APPEND);
    YN("status flags shared (O_APPEND)", (fcntl(d, F_GETFL) & O_APPEND) != 0);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    YN("fd flags not shared (FD_CLOEXEC)", fcntl(d, F_GETFD) == 0);

    RET("dup2(fd, fd)", dup2(fd, fd) == fd ? 0 : -1);
    RET("dup2 bad oldfd same newfd", dup2(999, 999));
    int other = open("/dev/null", O_RDONLY);
    RET("dup2 onto open fd", dup2(fd, other) == other ? 0 : -1);
    YN("target now refers to the file", lseek(other, 0, SEEK_CUR) == 2);
    RET("dup2 to 100", dup2(fd, 100));
    YN("dup2 result has no FD_CLOEXEC", fcntl(100, F_GETFD) == 0);
    RET("dup3 O_CLOEXEC to 101", dup3(fd, 101, O_CLOEXEC));
    YN("dup3 result has FD_CLOEXEC", fcntl(101, F_GETFD) == FD_CLOEXEC);
    RET("dup3 same fd", dup3(fd, fd, 0));
    RET("dup3 bad flags", dup3(fd, 102, 0x1234));
    RET("dup bad fd", dup(999));
    RET("dup2 bad oldfd", dup2(999, 5));
    RET("dup2 negative newfd", dup2(fd, -1));
    RET("dup2 huge newfd", dup2(fd, 1 << 30));
    /* Closing the original keeps the duplicate working. */
    close(fd);
    lseek(d, 0, SEEK_SET);
    char buf[8] = {0};
    RET("read via dup after close", read(d, buf, 3));
    printf("data: %s\n", buf);

    /* dup'ed stdout writes go to the same place (order is preserved). */
    int out = dup(1);
    dprintf(out, "via dup of stdout\n");
    dup2(out, 1);
    printf("after dup2 back to 1\n");
    close(out);

    /* fds survive fork and are shared (offset). */
    lseek(d, 0, SEEK_SET);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) { read(d, buf, 5); _exit(0); }
    wait_child(p);
    RET("offset after child read 5", lseek(d, 0, SEEK_CUR));
    close(d);
    close(100);
    close(101);
    close(other);
    unlink(path);
    return 0;
}

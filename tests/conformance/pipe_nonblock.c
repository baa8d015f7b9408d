/* pipe2 with O_NONBLOCK: EAGAIN on empty read and full write, capacity equals
 * F_GETPIPE_SZ, partial writes, O_CLOEXEC flag, EOF and EPIPE with no peer, bad flags. */
#include "common.h"

int main(void) {
    setup(10);
    signal(SIGPIPE, SIG_IGN);
    int p[2];
    RET("pipe2 O_NONBLOCK", pipe2(p, O_NONBLOCK));
    YN("both ends non-blocking", (fcntl(p[0], F_GETFL) & O_NONBLOCK) && (fcntl(p[1], F_GETFL) & O_NONBLOCK));
    YN("read end is O_RDONLY, write end O_WRONLY",
       (fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY && (fcntl(p[1], F_GETFL) & O_ACCMODE) == O_WRONLY);
    char buf[8192];
    RET("read empty", read(p[0], buf, sizeof buf));
    memset(buf, 'n', sizeof buf);
    long total = 0;
    ssize_t r;
    while ((r = write(p[1], buf, 4096)) > 0) total += r;
    printf("fill stopped with: %s\n", en(errno));
    long cap = fcntl(p[1], F_GETPIPE_SZ);
    YN("filled == F_GETPIPE_SZ", total == cap);
    RET("write 1 more byte", write(p[1], "x", 1));
    RET("read 4096 frees a page", read(p[0], buf, 4096));
    RET("write 4096 fits again", write(p[1], buf, 4096));
    RET("read 100", read(p[0], buf, 100));
    RET("write 4096 with 100 free (PIPE_BUF atomic)", write(p[1], buf, 4096));
    RET("read 5000 (free a page+)", read(p[0], buf, 5000));
    r = write(p[1], buf, 8192);
    YN("large write partially succeeds", r > 0 && r < 8192);
    long drained = 0;
    while ((r = read(p[0], buf, sizeof buf)) > 0) drained += r;
    printf("drain stopped with: %s\n", en(errno));
    close(p[1]);
    RET("read after writer closed (EOF)", read(p[0], buf, 10));
    close(p[0]);

    RET("pipe2 O_CLOEXEC", pipe2(p, O_CLOEXEC));
    printf("FD_CLOEXEC: %d %d\n", fcntl(p[0], F_GETFD), fcntl(p[1], F_GETFD));
    close(p[0]);
    RET("write with no reader", write(p[1], "x", 1));
    close(p[1]);
    RET("pipe2 bad flags", pipe2(p, O_RDWR | 0x8));
    RET("pipe2 O_DIRECT (packet mode)", pipe2(p, O_DIRECT));
    write(p[1], "abc", 3);
    write(p[1], "de", 2);
    RET("packet read 100 gets one packet", read(p[0], buf, 100));
    close(p[0]);
    close(p[1]);
    RET("pipe bad pointer", syscall(SYS_pipe2, (void *)8, 0));
    return 0;
}

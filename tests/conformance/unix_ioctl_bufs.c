/* AF_UNIX queue sizes: FIONREAD/SIOCINQ on stream (all queued bytes), dgram (the next
 * datagram only) and seqpacket, SIOCOUTQ on the sender, EINVAL on a listener; SO_SNDBUF
 * and SO_RCVBUF (doubled on set, minimums, SO_SNDBUFFORCE as root), how much a
 * nonblocking stream accepts for a small SO_SNDBUF, SO_TYPE/SO_ERROR. */
#include "common.h"
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static int q(int fd, unsigned long req) {
    int n = -12345;
    errno = 0;
    if (ioctl(fd, req, &n) < 0) return -1000 - errno;
    return n;
}
static void show(const char *label, int v) {
    if (v <= -1000) printf("%s: -1 %s\n", label, en(-v - 1000));
    else printf("%s: %d\n", label, v);
}
static int opt(int fd, int o) {
    int v = -1;
    socklen_t l = sizeof v;
    getsockopt(fd, SOL_SOCKET, o, &v, &l);
    return v;
}

int main(void) {
    setup(10);
    int s[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, s);
    show("stream FIONREAD empty", q(s[0], FIONREAD));
    show("stream SIOCOUTQ empty", q(s[1], SIOCOUTQ));
    send(s[1], "12345", 5, 0);
    send(s[1], "678", 3, 0);
    show("stream FIONREAD after 5+3", q(s[0], FIONREAD));
    show("stream SIOCINQ", q(s[0], SIOCINQ));
    /* SIOCOUTQ counts buffer memory, not bytes: only relations are portable. */
    YN("sender SIOCOUTQ > 0", q(s[1], SIOCOUTQ) > 0);
    show("sender FIONREAD", q(s[1], FIONREAD));
    char buf[64];
    recv(s[0], buf, 6, 0);
    show("FIONREAD after reading 6", q(s[0], FIONREAD));
    YN("SIOCOUTQ after reading 6 > 0", q(s[1], SIOCOUTQ) > 0);
    recv(s[0], buf, 6, 0);
    show("SIOCOUTQ drained", q(s[1], SIOCOUTQ));

    /* SO_SNDBUF / SO_RCVBUF. */
    int v = 10000;
    RET("SO_SNDBUF 10000", setsockopt(s[1], SOL_SOCKET, SO_SNDBUF, &v, sizeof v));
    printf("SO_SNDBUF reads %d\n", opt(s[1], SO_SNDBUF));
    v = 1;
    setsockopt(s[1], SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
    printf("SO_SNDBUF 1 reads %d\n", opt(s[1], SO_SNDBUF));
    v = 1;
    setsockopt(s[1], SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
    printf("SO_RCVBUF 1 reads %d\n", opt(s[1], SO_RCVBUF));
    v = 50000;
    setsockopt(s[1], SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
    printf("SO_RCVBUF 50000 reads %d\n", opt(s[1], SO_RCVBUF));
    v = 300000;
    RET("SO_SNDBUFFORCE 300000", setsockopt(s[1], SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v));
    printf("SO_SNDBUF reads %d\n", opt(s[1], SO_SNDBUF));
    short sh = 1;
    RET("SO_SNDBUF short optlen", setsockopt(s[1], SOL_SOCKET, SO_SNDBUF, &sh, sizeof sh));
    socklen_t l = 2;
    int big = 0;
    RET("getsockopt SO_SNDBUF optlen 2", getsockopt(s[1], SOL_SOCKET, SO_SNDBUF, &big, &l));
    printf("optlen %u\n", (unsigned)l);
    printf("SO_TYPE %d SO_ERROR %d\n", opt(s[0], SO_TYPE), opt(s[0], SO_ERROR));

    /* A small send buffer limits a nonblocking stream writer. */
    v = 4096;
    setsockopt(s[1], SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
    fcntl(s[1], F_SETFL, O_NONBLOCK);
    static char blob[1 << 20];
    long total = 0, r;
    while ((r = send(s[1], blob, 1000, 0)) > 0) total += r;
    printf("stopped with %s, accepted > 0: %s, < 64KiB: %s\n", en(errno), total > 0 ? "yes" : "no", total < 65536 ? "yes" : "no");
    YN("SIOCOUTQ > 0", q(s[1], SIOCOUTQ) > 0);
    YN("FIONREAD equals what was sent", q(s[0], FIONREAD) == total);
    close(s[0]);
    close(s[1]);

    /* Datagrams: FIONREAD is the next datagram's size. */
    socketpair(AF_UNIX, SOCK_DGRAM, 0, s);
    show("dgram FIONREAD empty", q(s[0], FIONREAD));
    send(s[1], "abcdefg", 7, 0);
    send(s[1], "xy", 2, 0);
    show("dgram FIONREAD (7 then 2)", q(s[0], FIONREAD));
    recv(s[0], buf, sizeof buf, 0);
    show("dgram FIONREAD after one", q(s[0], FIONREAD));
    send(s[1], "", 0, 0);
    recv(s[0], buf, sizeof buf, 0);
    show("dgram FIONREAD zero-length next", q(s[0], FIONREAD));
    close(s[0]);
    close(s[1]);

    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, s);
    send(s[1], "abc", 3, 0);
    send(s[1], "de", 2, 0);
    show("seqpacket FIONREAD", q(s[0], FIONREAD));
    YN("seqpacket SIOCOUTQ > 0", q(s[1], SIOCOUTQ) > 0);
    close(s[0]);
    close(s[1]);

    int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un { sa_family_t f; char p[108]; } a = {AF_UNIX, "\0unix_ioctl_bufs_test"};
    bind(l2, (struct sockaddr *)&a, sizeof(sa_family_t) + 21);
    listen(l2, 1);
    show("listener FIONREAD", q(l2, FIONREAD));
    show("listener SIOCOUTQ", q(l2, SIOCOUTQ));
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    show("unconnected FIONREAD", q(u, FIONREAD));
    show("TCGETS on a socket", q(u, 0x5401));
    int pp[2];
    pipe(pp);
    write(pp[1], "abc", 3);
    show("pipe FIONREAD", q(pp[0], FIONREAD));
    return 0;
}

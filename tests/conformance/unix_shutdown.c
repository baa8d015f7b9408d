/* shutdown(2) on AF_UNIX stream, seqpacket and dgram sockets: SHUT_WR gives the peer
 * EOF after the queued data and makes our sends fail with EPIPE (+SIGPIPE, or not with
 * MSG_NOSIGNAL), SHUT_RD makes our recv return 0 and the peer's sends fail, SHUT_RDWR,
 * repeated shutdowns, bad how, ENOTCONN on unconnected sockets, ENOTSOCK, and the
 * SIGPIPE default action in a child. */
#include "common.h"
#include <poll.h>
#include <sys/socket.h>

static volatile int pipes;
static void h(int s) {
    (void)s;
    pipes++;
}

static int sigpipe_child(void) {
    signal(SIGPIPE, SIG_DFL);
    int s[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, s);
    shutdown(s[0], SHUT_WR);
    send(s[0], "x", 1, 0);
    return 0;
}

int main(void) {
    setup(10);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sigaction(SIGPIPE, &sa, NULL);
    char buf[64];

    int s[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, s);
    send(s[0], "queued", 6, 0);
    RET("SHUT_WR", shutdown(s[0], SHUT_WR));
    RET("peer reads queued data", recv(s[1], buf, sizeof buf, 0));
    RET("peer reads EOF", recv(s[1], buf, sizeof buf, 0));
    RET("peer reads EOF again", recv(s[1], buf, sizeof buf, 0));
    RET("send after SHUT_WR", send(s[0], "x", 1, 0));
    printf("SIGPIPE count: %d\n", pipes);
    RET("send MSG_NOSIGNAL after SHUT_WR", send(s[0], "x", 1, MSG_NOSIGNAL));
    printf("SIGPIPE count: %d\n", pipes);
    RET("write after SHUT_WR", write(s[0], "x", 1));
    printf("SIGPIPE count: %d\n", pipes);
    RET("peer can still send", send(s[1], "back", 4, 0));
    RET("we can still read", recv(s[0], buf, sizeof buf, 0));
    RET("SHUT_WR again", shutdown(s[0], SHUT_WR));
    struct pollfd p = {s[1], POLLIN | POLLOUT | POLLRDHUP, 0};
    poll(&p, 1, 0);
    printf("peer poll: IN %d OUT %d RDHUP %d HUP %d\n", !!(p.revents & POLLIN), !!(p.revents & POLLOUT), !!(p.revents & POLLRDHUP), !!(p.revents & POLLHUP));
    RET("peer SHUT_WR too", shutdown(s[1], SHUT_WR));
    p.fd = s[0];
    poll(&p, 1, 0);
    printf("our poll after both: IN %d OUT %d RDHUP %d HUP %d\n", !!(p.revents & POLLIN), !!(p.revents & POLLOUT), !!(p.revents & POLLRDHUP), !!(p.revents & POLLHUP));
    close(s[0]);
    close(s[1]);

    /* SHUT_RD. */
    socketpair(AF_UNIX, SOCK_STREAM, 0, s);
    send(s[1], "before", 6, 0);
    RET("SHUT_RD", shutdown(s[0], SHUT_RD));
    RET("recv after SHUT_RD (data queued)", recv(s[0], buf, sizeof buf, MSG_DONTWAIT));
    RET("recv after SHUT_RD, empty", recv(s[0], buf, sizeof buf, MSG_DONTWAIT));
    pipes = 0;
    RET("peer send after our SHUT_RD", send(s[1], "x", 1, MSG_DONTWAIT));
    printf("SIGPIPE count: %d\n", pipes);
    RET("we can still send", send(s[0], "y", 1, 0));
    RET("peer reads it", recv(s[1], buf, sizeof buf, 0));
    close(s[0]);
    close(s[1]);

    /* SHUT_RDWR and close: ECONNRESET vs EOF. */
    socketpair(AF_UNIX, SOCK_STREAM, 0, s);
    RET("SHUT_RDWR", shutdown(s[0], SHUT_RDWR));
    RET("recv", recv(s[0], buf, sizeof buf, 0));
    RET("send MSG_NOSIGNAL", send(s[0], "x", 1, MSG_NOSIGNAL));
    RET("peer recv", recv(s[1], buf, sizeof buf, 0));
    RET("peer send MSG_NOSIGNAL", send(s[1], "x", 1, MSG_NOSIGNAL));
    RET("bad how", shutdown(s[0], 3));
    RET("bad how -1", shutdown(s[0], -1));
    close(s[0]);
    close(s[1]);

    /* SEQPACKET. */
    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, s);
    send(s[0], "rec", 3, 0);
    shutdown(s[0], SHUT_WR);
    RET("seqpacket peer record", recv(s[1], buf, sizeof buf, 0));
    RET("seqpacket peer EOF", recv(s[1], buf, sizeof buf, 0));
    RET("seqpacket send after SHUT_WR", send(s[0], "x", 1, MSG_NOSIGNAL));
    close(s[0]);
    close(s[1]);

    /* DGRAM. */
    socketpair(AF_UNIX, SOCK_DGRAM, 0, s);
    pipes = 0;
    RET("dgram SHUT_WR", shutdown(s[0], SHUT_WR));
    RET("dgram send after SHUT_WR", send(s[0], "x", 1, 0));
    printf("SIGPIPE count (dgram): %d\n", pipes);
    RET("dgram peer recv (nonblock)", recv(s[1], buf, sizeof buf, MSG_DONTWAIT));
    RET("dgram SHUT_RD", shutdown(s[1], SHUT_RD));
    RET("dgram recv after SHUT_RD, nonblocking", recv(s[1], buf, sizeof buf, MSG_DONTWAIT));
    RET("dgram recv after SHUT_RD, blocking", recv(s[1], buf, sizeof buf, 0));
    close(s[0]);
    close(s[1]);

    /* Unconnected sockets and non-sockets. */
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    RET("shutdown unconnected stream", shutdown(u, SHUT_WR));
    close(u);
    u = socket(AF_UNIX, SOCK_DGRAM, 0);
    RET("shutdown unconnected dgram", shutdown(u, SHUT_RDWR));
    close(u);
    int pp[2];
    pipe(pp);
    RET("shutdown a pipe", shutdown(pp[0], SHUT_RD));
    RET("shutdown bad fd", shutdown(999, SHUT_RD));

    in_child("SIGPIPE default action", sigpipe_child);
    return 0;
}

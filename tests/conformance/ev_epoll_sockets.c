/* epoll over AF_UNIX sockets: a listening socket is readable with a pending connection,
 * edge-triggered EPOLLIN re-armed by each new message but not by a partial read,
 * EPOLLOUT edges when a full peer drains, datagram and seqpacket readiness, EPOLLHUP
 * and EPOLLRDHUP when the peer closes, EPOLLPRI for urgent data, and epoll watching a
 * socket in a child that inherited the epoll fd. */
#include "common.h"
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

static const char *evs(uint32_t r) {
    static char buf[96];
    buf[0] = 0;
    if (r & EPOLLIN) strcat(buf, "IN|");
    if (r & EPOLLPRI) strcat(buf, "PRI|");
    if (r & EPOLLOUT) strcat(buf, "OUT|");
    if (r & EPOLLRDHUP) strcat(buf, "RDHUP|");
    if (r & EPOLLERR) strcat(buf, "ERR|");
    if (r & EPOLLHUP) strcat(buf, "HUP|");
    size_t n = strlen(buf);
    if (n) buf[n - 1] = 0;
    else strcpy(buf, "0");
    return buf;
}
static void w(const char *label, int ep, int ms) {
    struct epoll_event out[8];
    int n = epoll_wait(ep, out, 8, ms);
    if (n <= 0) printf("%s: %d\n", label, n);
    else printf("%s: %d data %llu events %s\n", label, n, (unsigned long long)out[0].data.u64, evs(out[0].events));
}
static int add(int ep, int fd, uint32_t ev, uint64_t data) {
    struct epoll_event e = {.events = ev, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

int main(void) {
    setup(10);
    /* Listening socket. */
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {AF_UNIX, "\0husk_ev_epoll_sockets"};
    socklen_t al = offsetof(struct sockaddr_un, sun_path) + 23;
    bind(l, (struct sockaddr *)&a, al);
    listen(l, 4);
    int ep = epoll_create1(0);
    add(ep, l, EPOLLIN | EPOLLOUT, 1);
    w("listener idle", ep, 0);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    connect(c, (struct sockaddr *)&a, al);
    w("listener with a pending connection", ep, 0);
    int s = accept(l, NULL, NULL);
    w("listener after accept", ep, 0);
    epoll_ctl(ep, EPOLL_CTL_DEL, l, NULL);

    /* Edge-triggered stream. */
    add(ep, s, EPOLLIN | EPOLLET, 2);
    w("ET idle", ep, 0);
    send(c, "abcdef", 6, 0);
    w("ET after send", ep, 0);
    w("ET again", ep, 0);
    char buf[4096];
    recv(s, buf, 2, 0);
    w("ET after partial read", ep, 0);
    send(c, "g", 1, 0);
    w("ET after another send", ep, 0);
    recv(s, buf, sizeof buf, 0);
    w("ET drained", ep, 0);
    epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL);

    /* EPOLLOUT edge when a full peer drains. */
    int sz = 4096;
    setsockopt(c, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    fcntl(c, F_SETFL, O_NONBLOCK);
    add(ep, c, EPOLLOUT | EPOLLET, 3);
    w("OUT ET first", ep, 0);
    w("OUT ET second", ep, 0);
    long total = 0, r;
    while ((r = send(c, buf, sizeof buf, 0)) > 0) total += r;
    w("OUT ET when full", ep, 0);
    while (recv(s, buf, sizeof buf, MSG_DONTWAIT) > 0) {
    }
    w("OUT ET after the peer drained", ep, 0);
    epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL);

    /* Hang-ups. */
    add(ep, s, EPOLLIN | EPOLLRDHUP, 4);
    shutdown(c, SHUT_WR);
    w("peer SHUT_WR", ep, 0);
    close(c);
    w("peer closed", ep, 0);
    close(s);
    w("closed socket removed", ep, 0);

    /* Datagrams. */
    int d[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, d);
    add(ep, d[0], EPOLLIN | EPOLLOUT, 5);
    w("dgram idle", ep, 0);
    send(d[1], "x", 1, 0);
    w("dgram with a message", ep, 0);
    close(d[1]);
    w("dgram peer closed", ep, 0);
    close(d[0]);

    /* Seqpacket. */
    int q[2];
    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, q);
    add(ep, q[0], EPOLLIN | EPOLLET, 6);
    send(q[1], "rec1", 4, 0);
    send(q[1], "rec2", 4, 0);
    w("seqpacket two records", ep, 0);
    recv(q[0], buf, sizeof buf, 0);
    w("seqpacket after one read (ET)", ep, 0);
    close(q[1]);
    w("seqpacket peer closed", ep, 0);
    close(q[0]);

    /* Urgent data. */
    int u[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, u);
    add(ep, u[0], EPOLLPRI, 7);
    w("PRI idle", ep, 0);
    send(u[1], "!", 1, MSG_OOB);
    w("PRI with urgent data", ep, 0);
    recv(u[0], buf, 1, MSG_OOB);
    w("PRI after reading it", ep, 0);
    epoll_ctl(ep, EPOLL_CTL_DEL, u[0], NULL);

    /* A child waits on the inherited epoll fd. */
    add(ep, u[0], EPOLLIN, 8);
    pid_t ch = fork();
    if (ch == 0) {
        struct epoll_event out[2];
        int n = epoll_wait(ep, out, 2, 3000);
        _exit(n == 1 && out[0].data.u64 == 8 ? 0 : 1);
    }
    sleep_ms(30);
    send(u[1], "z", 1, 0);
    printf("child epoll_wait: %s\n", wstr(wait_child(ch)));
    return 0;
}

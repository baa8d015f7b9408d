/* MSG_OOB on AF_UNIX stream sockets (Linux >= 5.15): the last byte of an OOB send is
 * the urgent byte, read apart with recv(MSG_OOB), the normal stream stops at the mark,
 * SIOCATMARK, a second OOB byte replaces the first (the old one joins the stream),
 * EINVAL when there is none, POLLPRI and select exceptfds, SO_OOBINLINE keeps it in
 * the stream, EOPNOTSUPP on dgram/seqpacket. */
#include "common.h"
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>

static void rd(const char *label, int fd, int flags, int max) {
    char buf[64];
    memset(buf, 0, sizeof buf);
    errno = 0;
    long n = recv(fd, buf, max, flags | MSG_DONTWAIT);
    if (n < 0) printf("%s: -1 %s\n", label, en(errno));
    else printf("%s: %ld \"%s\"\n", label, n, buf);
}
static void mark(const char *label, int fd) {
    int at = -1;
    errno = 0;
    int r = ioctl(fd, SIOCATMARK, &at);
    if (r < 0) printf("%s: -1 %s\n", label, en(errno));
    else printf("%s: %d\n", label, at);
}
static void pri(const char *label, int fd) {
    struct pollfd p = {fd, POLLIN | POLLPRI, 0};
    poll(&p, 1, 0);
    printf("%s: IN %d PRI %d\n", label, !!(p.revents & POLLIN), !!(p.revents & POLLPRI));
}

int main(void) {
    setup(10);
    int s[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, s)) DIE("socketpair");
    rd("recv MSG_OOB with none", s[0], MSG_OOB, 1);
    mark("SIOCATMARK idle", s[0]);
    pri("poll idle", s[0]);
    RET("send \"ab\" normal", send(s[1], "ab", 2, 0));
    RET("send \"cd\" MSG_OOB", send(s[1], "cd", 2, MSG_OOB));
    RET("send \"ef\" normal", send(s[1], "ef", 2, 0));
    pri("poll with OOB pending", s[0]);
    fd_set ex;
    FD_ZERO(&ex);
    FD_SET(s[0], &ex);
    struct timeval tv = {0, 0};
    RET("select exceptfds", select(s[0] + 1, NULL, NULL, &ex, &tv));
    mark("SIOCATMARK before reading", s[0]);
    int n = 0;
    ioctl(s[0], FIONREAD, &n);
    printf("FIONREAD: %d\n", n);
    rd("read up to the mark", s[0], 0, 10);
    mark("SIOCATMARK at the mark", s[0]);
    rd("recv MSG_OOB", s[0], MSG_OOB, 1);
    rd("recv MSG_OOB again", s[0], MSG_OOB, 1);
    pri("poll after OOB read", s[0]);
    rd("read the rest", s[0], 0, 10);
    mark("SIOCATMARK after", s[0]);

    /* Reading the OOB byte before the data in front of it. */
    send(s[1], "12", 2, 0);
    send(s[1], "3", 1, MSG_OOB);
    rd("recv MSG_OOB first", s[0], MSG_OOB, 1);
    rd("then normal data", s[0], 0, 10);

    /* MSG_PEEK with MSG_OOB leaves it. */
    send(s[1], "Z", 1, MSG_OOB);
    rd("peek OOB", s[0], MSG_OOB | MSG_PEEK, 1);
    rd("read OOB", s[0], MSG_OOB, 1);
    rd("stream empty", s[0], 0, 10);

    /* A new OOB byte replaces the old one, which joins the stream. */
    send(s[1], "x", 1, MSG_OOB);
    send(s[1], "y", 1, MSG_OOB);
    rd("normal read with two OOB sends", s[0], 0, 10);
    rd("OOB is the last one", s[0], MSG_OOB, 1);
    rd("nothing left", s[0], 0, 10);

    /* SO_OOBINLINE: the byte stays in the stream. */
    int one = 1;
    RET("SO_OOBINLINE", setsockopt(s[0], SOL_SOCKET, SO_OOBINLINE, &one, sizeof one));
    int v = 0;
    socklen_t vl = sizeof v;
    getsockopt(s[0], SOL_SOCKET, SO_OOBINLINE, &v, &vl);
    printf("SO_OOBINLINE value %d\n", v);
    send(s[1], "pq", 2, MSG_OOB);
    send(s[1], "r", 1, 0);
    mark("SIOCATMARK inline", s[0]);
    rd("recv MSG_OOB inline", s[0], MSG_OOB, 1);
    rd("inline read", s[0], 0, 10);
    rd("inline read 2", s[0], 0, 10);
    close(s[0]);
    close(s[1]);

    /* Other types. */
    socketpair(AF_UNIX, SOCK_DGRAM, 0, s);
    RET("dgram send MSG_OOB", send(s[1], "x", 1, MSG_OOB));
    mark("dgram SIOCATMARK", s[0]);
    close(s[0]);
    close(s[1]);
    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, s);
    RET("seqpacket send MSG_OOB", send(s[1], "x", 1, MSG_OOB));
    RET("seqpacket recv MSG_OOB", recv(s[0], &v, 1, MSG_OOB | MSG_DONTWAIT));
    close(s[0]);
    close(s[1]);
    /* A zero-length OOB send. */
    socketpair(AF_UNIX, SOCK_STREAM, 0, s);
    RET("send 0 bytes MSG_OOB", send(s[1], "", 0, MSG_OOB));
    rd("recv MSG_OOB after empty OOB send", s[0], MSG_OOB, 1);
    return 0;
}

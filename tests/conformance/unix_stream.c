/* SOCK_STREAM over a path: bind/listen/connect/accept, names, SO_PEERCRED, blocking
 * reads across fork, MSG_WAITALL, partial writes when full, ECONNRESET, EPIPE+SIGPIPE,
 * errors (EADDRINUSE, ECONNREFUSED, EINVAL, EISCONN, ENOTCONN, EPROTOTYPE). */
#include "common.h"
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <stddef.h>
#include <sys/un.h>

#define PATH "/tmp/unix_stream.sock"
#define PATH2 "/tmp/unix_stream.sock2"

static socklen_t mkaddr(struct sockaddr_un *a, const char *p) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, p);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(p) + 1);
}

static void show_name(const char *what, int fd, int peer) {
    struct sockaddr_un a;
    memset(&a, 0x55, sizeof a);
    socklen_t l = sizeof a;
    int r = peer ? getpeername(fd, (struct sockaddr *)&a, &l) : getsockname(fd, (struct sockaddr *)&a, &l);
    if (r < 0) { printf("%s: -1 %s\n", what, en(errno)); return; }
    printf("%s: len %d family %d path \"%s\"\n", what, (int)l, a.sun_family,
           l > 2 ? a.sun_path : "");
}

static volatile int got_pipe;
static void on_pipe(int s) { (void)s; got_pipe++; }

int main(void) {
    setup(20);
    signal(SIGPIPE, on_pipe);
    unlink(PATH);
    unlink(PATH2);
    struct sockaddr_un sa;
    socklen_t sl = mkaddr(&sa, PATH);
    char buf[512];

    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    RET("listen unbound", listen(l, 5));
    RET("accept unbound", accept(l, NULL, NULL));
    RET("bind", bind(l, (struct sockaddr *)&sa, sl));
    RET("bind again", bind(l, (struct sockaddr *)&sa, sl));
    struct stat st;
    RET("stat socket file", stat(PATH, &st));
    YN("S_ISSOCK", S_ISSOCK(st.st_mode));
    int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
    RET("bind same path", bind(l2, (struct sockaddr *)&sa, sl));
    struct sockaddr_un bad = sa;
    bad.sun_family = AF_INET;
    RET("bind wrong family", bind(l2, (struct sockaddr *)&bad, sl));
    RET("bind len 1", bind(l2, (struct sockaddr *)&sa, 1));
    { socklen_t bl = mkaddr(&bad, "/tmp/nonexistent-dir/x"); RET("bind missing dir", bind(l2, (struct sockaddr *)&bad, bl)); }
    RET("connect to bound non-listening (refused)", (mkaddr(&bad, PATH2), bind(l2, (struct sockaddr *)&bad, mkaddr(&bad, PATH2)), connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&bad, mkaddr(&bad, PATH2))));
    RET("connect to missing path", connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&bad, mkaddr(&bad, "/tmp/unix_stream.none")));
    RET("connect to regular file", connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&bad, mkaddr(&bad, "/etc/passwd")));
    show_name("getsockname listener", l, 0);
    RET("getpeername listener", getpeername(l, (struct sockaddr *)&bad, &sl));
    RET("listen", listen(l, 2));
    int v = 0;
    socklen_t vl = sizeof v;
    getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl);
    printf("SO_ACCEPTCONN %d\n", v);
    RET("recv on listener", recv(l, buf, 10, MSG_DONTWAIT));
    RET("send on listener", send(l, "x", 1, MSG_DONTWAIT));
    RET("connect listener to itself", connect(l, (struct sockaddr *)&sa, sl));
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    RET("connect dgram to stream listener", connect(d, (struct sockaddr *)&sa, sl));
    close(d);
    struct pollfd pf = {l, POLLIN, 0};
    RET("poll listener before connect", poll(&pf, 1, 0));

    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    RET("send unconnected", send(c, "x", 1, 0));
    RET("recv unconnected", recv(c, buf, 1, MSG_DONTWAIT));
    RET("getpeername unconnected", getpeername(c, (struct sockaddr *)&bad, &sl));
    RET("shutdown unconnected", shutdown(c, SHUT_RDWR));
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    RET("connect", connect(c, (struct sockaddr *)&sa, sl));
    RET("connect again", connect(c, (struct sockaddr *)&sa, sl));
    RET("poll listener after connect", poll(&pf, 1, 0));
    show_name("client sockname", c, 0);
    show_name("client peername", c, 1);
    RET("send before accept", send(c, "early", 5, 0));
    struct sockaddr_un pa;
    memset(&pa, 0x55, sizeof pa);
    socklen_t pl = sizeof pa;
    int s = accept(l, (struct sockaddr *)&pa, &pl);
    printf("accept: %s, addrlen %d family %d\n", s >= 0 ? "ok" : en(errno), (int)pl, pa.sun_family);
    show_name("server sockname", s, 0);
    show_name("server peername", s, 1);
    struct ucred uc;
    socklen_t ul = sizeof uc;
    getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &ul);
    YN("server SO_PEERCRED is client", uc.pid == getpid() && uc.uid == geteuid());
    getsockopt(c, SOL_SOCKET, SO_PEERCRED, &uc, &ul);
    YN("client SO_PEERCRED is listener", uc.pid == getpid() && uc.gid == getegid());
    RET("recv early", recv(s, buf, sizeof buf, 0));

    /* Blocking read woken by a child's write; MSG_WAITALL gathering pieces. */
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        sleep_ms(50);
        write(c, "abc", 3);
        sleep_ms(50);
        write(c, "defgh", 5);
        sleep_ms(50);
        write(c, "ij", 2);
        _exit(0);
    }
    RET("blocking recv", recv(s, buf, sizeof buf, 0));
    RET("recv MSG_WAITALL 7", recv(s, buf, 7, MSG_WAITALL));
    buf[7] = 0;
    printf("waitall data: %s\n", buf);
    printf("child: %s\n", wstr(wait_child(p)));

    /* Fill the pipe: non-blocking write stops with EAGAIN; a partial write happens. */
    fcntl(c, F_SETFL, O_NONBLOCK);
    static char big[65536];
    memset(big, 'B', sizeof big);
    long total = 0;
    ssize_t r;
    int partial = 0;
    while ((r = send(c, big, sizeof big, 0)) > 0) {
        total += r;
        if (r < (ssize_t)sizeof big) partial = 1;
    }
    printf("fill stopped: %s, some queued: %s, partial seen: %s\n", en(errno), total > 0 ? "yes" : "no", partial ? "yes" : "no");
    pf.fd = c;
    pf.events = POLLOUT;
    RET("poll POLLOUT when full", poll(&pf, 1, 0));
    int q = 0;
    ioctl(s, FIONREAD, &q);
    YN("FIONREAD == queued", q == total);
    long drained = 0;
    while ((r = recv(s, big, sizeof big, MSG_DONTWAIT)) > 0) drained += r;
    YN("drained all", drained == total);
    fcntl(c, F_SETFL, 0);

    /* Timeouts. */
    struct timeval tv = {0, 100000};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    long long t0 = now_ns(CLOCK_MONOTONIC);
    RET("recv with SO_RCVTIMEO", recv(s, buf, 10, 0));
    YN("waited ~100ms", now_ns(CLOCK_MONOTONIC) - t0 >= 90000000LL);

    /* Close with unread data: the peer gets ECONNRESET, then EOF. */
    send(c, "unread", 6, 0);
    close(s);
    RET("client recv after reset", recv(c, buf, 10, 0));
    RET("client recv again", recv(c, buf, 10, 0));
    got_pipe = 0;
    RET("client write (EPIPE)", write(c, "x", 1));
    printf("SIGPIPE count %d\n", got_pipe);
    RET("client send MSG_NOSIGNAL", send(c, "x", 1, MSG_NOSIGNAL));
    printf("SIGPIPE count %d\n", got_pipe);
    close(c);

    /* Backlog: a non-blocking connect to a full backlog gets EAGAIN. */
    int n = 0;
    for (int i = 0; i < 10; i++) {
        int k = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (connect(k, (struct sockaddr *)&sa, sl) < 0) { printf("connect #%d: %s\n", i, en(errno)); break; }
        n++;
    }
    YN("some connects queued", n >= 1);
    /* Closing the listener resets pending connections. */
    int k = socket(AF_UNIX, SOCK_STREAM, 0);
    int l3 = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(l3, (struct sockaddr *)&bad, mkaddr(&bad, "/tmp/unix_stream.sock3"));
    listen(l3, 1);
    RET("connect l3", connect(k, (struct sockaddr *)&bad, mkaddr(&bad, "/tmp/unix_stream.sock3")));
    close(l3);
    RET("recv after listener closed", recv(k, buf, 10, 0));
    RET("connect to closed listener", connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&bad, mkaddr(&bad, "/tmp/unix_stream.sock3")));
    unlink("/tmp/unix_stream.sock3");
    /* accept4 flags. */
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    int l4 = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(l4, (struct sockaddr *)&bad, mkaddr(&bad, "/tmp/unix_stream.sock4"));
    listen(l4, 1);
    connect(c, (struct sockaddr *)&bad, mkaddr(&bad, "/tmp/unix_stream.sock4"));
    RET("accept4 bad flags", accept4(l4, NULL, NULL, 1));
    s = accept4(l4, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    printf("accept4 flags: nonblock %d cloexec %d\n", !!(fcntl(s, F_GETFL) & O_NONBLOCK), fcntl(s, F_GETFD));
    fcntl(l4, F_SETFL, O_NONBLOCK);
    RET("accept empty nonblocking listener", accept(l4, NULL, NULL));
    int pp[2];
    pipe(pp);
    RET("accept on a pipe", accept(pp[0], NULL, NULL));
    RET("accept bad fd", accept(999, NULL, NULL));
    unlink("/tmp/unix_stream.sock4");
    RET("unlink", unlink(PATH));
    unlink(PATH2);
    return 0;
}

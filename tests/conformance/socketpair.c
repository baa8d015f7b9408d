/* socketpair(AF_UNIX): types, flags, bad arguments, data both ways, fstat, poll,
 * options (SO_TYPE, SO_DOMAIN, SO_ACCEPTCONN, SO_PEERCRED, buffers), FIONREAD,
 * shutdown, EOF and EPIPE, MSG_PEEK/MSG_DONTWAIT, socket() of other families. */
#include "common.h"
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

static int geti(int fd, int opt) {
    int v = -12345;
    socklen_t l = sizeof v;
    if (getsockopt(fd, SOL_SOCKET, opt, &v, &l) < 0) return -1000 - errno;
    return v;
}

static const char *pollstr(int fd, int ev) {
    static char b[64];
    struct pollfd p = {fd, (short)ev, 0};
    int r = poll(&p, 1, 0);
    b[0] = 0;
    snprintf(b, sizeof b, "%d:", r);
    if (p.revents & POLLIN) strcat(b, " IN");
    if (p.revents & POLLOUT) strcat(b, " OUT");
    if (p.revents & POLLHUP) strcat(b, " HUP");
    if (p.revents & POLLERR) strcat(b, " ERR");
    if (p.revents & POLLRDHUP) strcat(b, " RDHUP");
    return b;
}

static volatile int sigpipes;
static void on_pipe(int s) { (void)s; sigpipes++; }

/* EPIPE raises SIGPIPE for streams only. */
static void sigpipe_cases(void) {
    signal(SIGPIPE, on_pipe);
    const int t[3] = {SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM};
    for (int i = 0; i < 3; i++) {
        int sv[2];
        socketpair(AF_UNIX, t[i], 0, sv);
        close(sv[1]);
        sigpipes = 0;
        RET("write to closed peer", write(sv[0], "x", 1));
        RET("send to closed peer", send(sv[0], "x", 1, 0));
        printf("type %d SIGPIPEs %d\n", t[i], sigpipes);
        close(sv[0]);
        socketpair(AF_UNIX, t[i], 0, sv);
        shutdown(sv[0], SHUT_WR);
        sigpipes = 0;
        RET("write after SHUT_WR", write(sv[0], "x", 1));
        printf("SIGPIPEs %d\n", sigpipes);
        close(sv[0]);
        close(sv[1]);
    }
    signal(SIGPIPE, SIG_IGN);
}

int main(void) {
    setup(20);
    sigpipe_cases();
    signal(SIGPIPE, SIG_IGN);
    int sv[2];
    char buf[256];

    RET("socketpair AF_INET", socketpair(AF_INET, SOCK_STREAM, 0, sv));
    RET("socketpair bad type", socketpair(AF_UNIX, 9, 0, sv));
    RET("socketpair bad proto", socketpair(AF_UNIX, SOCK_STREAM, 7, sv));
    RET("socketpair bad flags", socketpair(AF_UNIX, SOCK_STREAM | 0x100, 0, sv));
    RET("socketpair bad pointer", syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, (void *)8));
    RET("socket family 200", socket(200, SOCK_STREAM, 0));
    RET("socket AF_UNIX type 4 (RDM)", socket(AF_UNIX, SOCK_RDM, 0));
    int raw = socket(AF_UNIX, SOCK_RAW, 0);
    printf("AF_UNIX SOCK_RAW is dgram: %s\n", raw >= 0 && geti(raw, SO_TYPE) == SOCK_DGRAM ? "yes" : "no");
    close(raw);

    const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
    const char *names[] = {"stream", "dgram", "seqpacket"};
    for (int i = 0; i < 3; i++) {
        printf("-- %s\n", names[i]);
        RET("socketpair", socketpair(AF_UNIX, types[i], 0, sv));
        printf("SO_TYPE %d SO_DOMAIN %d SO_PROTOCOL %d SO_ACCEPTCONN %d SO_ERROR %d\n",
               geti(sv[0], SO_TYPE) == types[i], geti(sv[0], SO_DOMAIN), geti(sv[0], SO_PROTOCOL),
               geti(sv[0], SO_ACCEPTCONN), geti(sv[0], SO_ERROR));
        struct stat st;
        fstat(sv[0], &st);
        YN("fstat S_ISSOCK", S_ISSOCK(st.st_mode));
        YN("fcntl O_RDWR", (fcntl(sv[0], F_GETFL) & O_ACCMODE) == O_RDWR);
        struct ucred uc;
        socklen_t l = sizeof uc;
        RET("SO_PEERCRED", getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &uc, &l));
        YN("peer is self", uc.pid == getpid() && uc.uid == geteuid() && uc.gid == getegid() && l == sizeof uc);
        printf("poll empty: %s\n", pollstr(sv[0], POLLIN | POLLOUT | POLLRDHUP));
        RET("write a->b", write(sv[0], "hello", 5));
        RET("write a->b", write(sv[0], "world!", 6));
        int n = -1;
        RET("FIONREAD", ioctl(sv[1], FIONREAD, &n));
        printf("FIONREAD value: %d\n", n);
        printf("poll b: %s\n", pollstr(sv[1], POLLIN | POLLOUT));
        RET("recv MSG_PEEK 3", recv(sv[1], buf, 3, MSG_PEEK));
        RET("recv 100", recv(sv[1], buf, 100, 0));
        RET("recv 100 again", recv(sv[1], buf, 100, MSG_DONTWAIT));
        RET("recv empty MSG_DONTWAIT", recv(sv[1], buf, 100, MSG_DONTWAIT));
        RET("read b->a", (write(sv[1], "x", 1), read(sv[0], buf, 10)));
        RET("lseek", lseek(sv[0], 0, SEEK_SET));
        RET("pread", pread(sv[0], buf, 1, 0));
        RET("shutdown bad how", shutdown(sv[0], 7));
        RET("shutdown a SHUT_WR", shutdown(sv[0], SHUT_WR));
        printf("poll a after SHUT_WR: %s\n", pollstr(sv[0], POLLIN | POLLOUT | POLLRDHUP));
        printf("poll b after peer SHUT_WR: %s\n", pollstr(sv[1], POLLIN | POLLOUT | POLLRDHUP));
        RET("send on a after SHUT_WR", send(sv[0], "z", 1, MSG_NOSIGNAL));
        if (types[i] != SOCK_DGRAM) RET("recv b EOF", recv(sv[1], buf, 10, 0));
        RET("b can still send", send(sv[1], "yy", 2, 0));
        RET("a receives", recv(sv[0], buf, 10, 0));
        close(sv[1]);
        printf("poll a after peer close: %s\n", pollstr(sv[0], POLLIN | POLLOUT | POLLRDHUP));
        if (types[i] != SOCK_DGRAM) RET("recv a after peer close", recv(sv[0], buf, 10, MSG_DONTWAIT));
        RET("send a after peer close", send(sv[0], "q", 1, MSG_NOSIGNAL));
        close(sv[0]);
    }

    printf("-- flags\n");
    RET("socketpair NONBLOCK|CLOEXEC", socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
    printf("O_NONBLOCK %d FD_CLOEXEC %d\n", !!(fcntl(sv[0], F_GETFL) & O_NONBLOCK), fcntl(sv[1], F_GETFD));
    RET("read nonblocking empty", read(sv[0], buf, 10));
    int bufsz = 4096;
    RET("SO_SNDBUF set 4096", setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof bufsz));
    printf("SO_SNDBUF doubled: %d\n", geti(sv[0], SO_SNDBUF));
    bufsz = 1;
    setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof bufsz);
    printf("SO_RCVBUF at minimum: %s\n", geti(sv[0], SO_RCVBUF) > 1000 && geti(sv[0], SO_RCVBUF) < 5000 ? "yes" : "no");
    RET("setsockopt short optlen", setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufsz, 2));
    RET("setsockopt unknown", setsockopt(sv[0], SOL_SOCKET, 999, &bufsz, sizeof bufsz));
    RET("setsockopt SO_TYPE", setsockopt(sv[0], SOL_SOCKET, SO_TYPE, &bufsz, sizeof bufsz));
    int one = 1;
    RET("SO_REUSEADDR", setsockopt(sv[0], SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
    printf("SO_REUSEADDR get: %d\n", geti(sv[0], SO_REUSEADDR));
    RET("SO_KEEPALIVE", setsockopt(sv[0], SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one));
    printf("SO_KEEPALIVE get: %d\n", geti(sv[0], SO_KEEPALIVE));
    struct timeval tv = {1, 500000};
    RET("SO_RCVTIMEO", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    struct timeval tv2 = {0, 0};
    socklen_t tl = sizeof tv2;
    RET("get SO_RCVTIMEO", getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv2, &tl));
    printf("timeout %ld.%06ld len %d\n", (long)tv2.tv_sec, (long)tv2.tv_usec, (int)tl);
    tv.tv_usec = 2000000;
    RET("SO_SNDTIMEO bad usec", setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
    int v = 0;
    socklen_t vl = 2;
    RET("getsockopt short len", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &vl));
    printf("short len now %d\n", (int)vl);
    RET("getsockopt level IPPROTO_TCP", getsockopt(sv[0], IPPROTO_TCP, 1, &v, &vl));
    RET("getsockopt on a pipe", (pipe(sv + 0) == 0 ? getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &vl) : -1));
    RET("getsockopt bad fd", getsockopt(999, SOL_SOCKET, SO_TYPE, &v, &vl));
    RET("send on pipe", send(sv[1], "x", 1, 0));
    return 0;
}

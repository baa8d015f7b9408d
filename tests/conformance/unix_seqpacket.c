/* SOCK_SEQPACKET: records keep their boundaries, truncation discards the rest with
 * MSG_TRUNC, EOF after close, listen/accept over a path, addresses on sendto ignored,
 * MSG_WAITALL does not glue records, blocking accept woken by a child's connect. */
#include "common.h"
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#define PATH "/tmp/unix_seqpacket.sock"

static socklen_t mkaddr(struct sockaddr_un *a, const char *p) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, p);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(p) + 1);
}

int main(void) {
    setup(20);
    signal(SIGPIPE, SIG_IGN);
    unlink(PATH);
    struct sockaddr_un sa;
    socklen_t sl = mkaddr(&sa, PATH);
    char buf[256];
    int l = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    RET("bind", bind(l, (struct sockaddr *)&sa, sl));
    RET("listen", listen(l, 4));
    int c0 = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    RET("send unconnected", send(c0, "x", 1, 0));
    RET("sendto unconnected", sendto(c0, "x", 1, 0, (struct sockaddr *)&sa, sl));
    int st = socket(AF_UNIX, SOCK_STREAM, 0);
    RET("stream connect to seqpacket listener", connect(st, (struct sockaddr *)&sa, sl));
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        sleep_ms(50);
        int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
        if (connect(c, (struct sockaddr *)&sa, sl) < 0) _exit(1);
        send(c, "one", 3, 0);
        send(c, "two-two", 7, 0);
        send(c, "", 0, 0);
        send(c, "three33333", 10, 0);
        send(c, "four", 4, 0);
        send(c, "five", 5, 0);
        sleep_ms(100);
        _exit(0);
    }
    int s = accept(l, NULL, NULL);
    OK("blocking accept", s);
    RET("recv whole record", recv(s, buf, sizeof buf, 0));
    RET("recv record (peek)", recv(s, buf, sizeof buf, MSG_PEEK));
    RET("recv record", recv(s, buf, sizeof buf, 0));
    RET("recv empty record", recv(s, buf, sizeof buf, 0));
    struct iovec iov = {buf, 4};
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    RET("recvmsg 4 of 10", recvmsg(s, &mh, 0));
    printf("MSG_TRUNC %d\n", !!(mh.msg_flags & MSG_TRUNC));
    RET("MSG_WAITALL 100 gets one record", recv(s, buf, 100, MSG_WAITALL));
    RET("MSG_TRUNC flag returns full length", recv(s, buf, 2, MSG_TRUNC));
    printf("child: %s\n", wstr(wait_child(p)));
    RET("recv after peer exit (EOF)", recv(s, buf, sizeof buf, 0));
    RET("send after peer exit", send(s, "x", 1, 0));
    close(s);
    /* socketpair: sendto with an address on a connected socket: the address is ignored. */
    int sv[2];
    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
    RET("sendto with address", sendto(sv[0], "addr", 4, 0, (struct sockaddr *)&sa, sl));
    RET("recv", recv(sv[1], buf, sizeof buf, 0));
    static char big[300000];
    RET("send too large", send(sv[0], big, sizeof big, 0));
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    int n = 0;
    while (send(sv[0], big, 1000, 0) == 1000) n++;
    printf("fill stopped: %s, records queued > 10: %s\n", en(errno), n > 10 ? "yes" : "no");
    close(sv[0]);
    int got = 0;
    while (recv(sv[1], buf, sizeof buf, 0) > 0) got++;
    YN("all queued records readable after close", got == n);
    close(sv[1]);
    unlink(PATH);
    return 0;
}

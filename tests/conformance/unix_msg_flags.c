/* recv/send flags on AF_UNIX: MSG_PEEK (stream: peeks across writes, repeated peeks;
 * dgram: one message, MSG_TRUNC length), MSG_DONTWAIT on a blocking socket (EAGAIN
 * both ways), MSG_WAITALL gathering several writes from a child and stopping short at
 * EOF, MSG_TRUNC on stream (discards without copying), recvmsg msg_flags (MSG_TRUNC,
 * MSG_CTRUNC), unknown and unsupported flags (MSG_OOB on dgram). */
#include "common.h"
#include <sys/socket.h>
#include <sys/uio.h>

static void show(const char *label, long n, const char *buf) {
    if (n < 0) printf("%s: -1 %s\n", label, en(errno));
    else printf("%s: %ld \"%.*s\"\n", label, n, (int)(n > 32 ? 32 : n), buf); /* stops at NUL */
}

int main(void) {
    setup(10);
    int s[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, s)) DIE("socketpair");
    char buf[256];
    long n;
    errno = 0;
    n = recv(s[0], buf, sizeof buf, MSG_DONTWAIT);
    show("stream empty, MSG_DONTWAIT", n, buf);
    send(s[1], "hello", 5, 0);
    send(s[1], "world", 5, 0);
    n = recv(s[0], buf, 3, MSG_PEEK);
    show("peek 3", n, buf);
    n = recv(s[0], buf, sizeof buf, MSG_PEEK);
    show("peek all (spans writes)", n, buf);
    n = recv(s[0], buf, 4, 0);
    show("read 4", n, buf);
    n = recv(s[0], buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
    show("peek rest", n, buf);
    /* MSG_TRUNC means nothing special on AF_UNIX streams: an ordinary read. */
    n = recv(s[0], buf, 3, MSG_TRUNC);
    show("stream MSG_TRUNC 3", n, buf);
    n = recv(s[0], buf, sizeof buf, 0);
    show("read rest", n, buf);

    /* MSG_DONTWAIT send on a full blocking socket. */
    int sz = 4096;
    setsockopt(s[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    char blob[4096];
    memset(blob, 'x', sizeof blob);
    long total = 0, r;
    while ((r = send(s[1], blob, sizeof blob, MSG_DONTWAIT)) > 0) total += r;
    printf("send MSG_DONTWAIT until full: -1 %s, sent > 0: %s\n", en(errno), total > 0 ? "yes" : "no");
    YN("fd still blocking", !(fcntl(s[1], F_GETFL) & O_NONBLOCK));
    while (recv(s[0], buf, sizeof buf, MSG_DONTWAIT) > 0) {
    }
    close(s[0]);
    close(s[1]);

    /* MSG_WAITALL across several writes from a child. */
    socketpair(AF_UNIX, SOCK_STREAM, 0, s);
    pid_t c = fork();
    if (c == 0) {
        for (int i = 0; i < 5; i++) {
            sleep_ms(5);
            send(s[1], "abcd", 4, 0);
        }
        sleep_ms(5);
        send(s[1], "xy", 2, 0);
        _exit(0);
    }
    close(s[1]);
    n = recv(s[0], buf, 20, MSG_WAITALL);
    show("MSG_WAITALL 20 over 5 writes", n, buf);
    n = recv(s[0], buf, 10, MSG_WAITALL);
    show("MSG_WAITALL 10, EOF after 2", n, buf);
    n = recv(s[0], buf, 10, MSG_WAITALL);
    show("at EOF", n, buf);
    printf("child: %s\n", wstr(wait_child(c)));
    close(s[0]);

    /* Datagrams. */
    socketpair(AF_UNIX, SOCK_DGRAM, 0, s);
    send(s[1], "first message", 13, 0);
    send(s[1], "second", 6, 0);
    n = recv(s[0], buf, 5, MSG_PEEK);
    show("dgram peek 5", n, buf);
    memset(buf, 0, sizeof buf);
    n = recv(s[0], buf, 5, MSG_PEEK | MSG_TRUNC);
    show("dgram peek 5 MSG_TRUNC (real length)", n, buf);
    n = recv(s[0], buf, sizeof buf, MSG_PEEK);
    show("dgram peek whole", n, buf);
    struct iovec iov = {buf, 5};
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    n = recvmsg(s[0], &mh, 0);
    show("recvmsg 5 of 13", n, buf);
    printf("msg_flags MSG_TRUNC: %s\n", (mh.msg_flags & MSG_TRUNC) ? "yes" : "no");
    n = recv(s[0], buf, sizeof buf, MSG_TRUNC);
    show("recv MSG_TRUNC big buffer", n, buf);
    n = recv(s[0], buf, sizeof buf, MSG_DONTWAIT);
    show("dgram empty", n, buf);
    /* Zero-length datagrams are messages. */
    RET("send 0 bytes", send(s[1], "", 0, 0));
    RET("recv zero-length datagram", recv(s[0], buf, sizeof buf, MSG_DONTWAIT));
    RET("nothing left", recv(s[0], buf, sizeof buf, MSG_DONTWAIT));
    /* Control buffer too short for credentials: MSG_CTRUNC. */
    int one = 1;
    setsockopt(s[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    send(s[1], "c", 1, 0);
    char cbuf[8];
    memset(&mh, 0, sizeof mh);
    iov.iov_len = sizeof buf;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof cbuf;
    n = recvmsg(s[0], &mh, 0);
    printf("recvmsg short control: %ld MSG_CTRUNC %s\n", n, (mh.msg_flags & MSG_CTRUNC) ? "yes" : "no");
    RET("MSG_OOB on dgram send", send(s[1], "o", 1, MSG_OOB));
    RET("MSG_OOB on dgram recv", recv(s[0], buf, 1, MSG_OOB | MSG_DONTWAIT));
    close(s[0]);
    close(s[1]);

    /* SEQPACKET: MSG_PEEK keeps the record. */
    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, s);
    send(s[1], "record-1", 8, 0);
    send(s[1], "r2", 2, 0);
    n = recv(s[0], buf, 3, MSG_PEEK);
    show("seqpacket peek 3", n, buf);
    n = recv(s[0], buf, 3, 0);
    show("seqpacket read 3 (rest dropped)", n, buf);
    n = recv(s[0], buf, sizeof buf, 0);
    show("seqpacket next record", n, buf);
    RET("send MSG_EOR on seqpacket", send(s[1], "e", 1, MSG_EOR));
    memset(&mh, 0, sizeof mh);
    iov.iov_len = sizeof buf;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    n = recvmsg(s[0], &mh, 0);
    printf("recvmsg seqpacket: %ld MSG_EOR %s\n", n, (mh.msg_flags & MSG_EOR) ? "yes" : "no");
    RET("send MSG_EOR on stream", ({ int t[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, t); send(t[0], "e", 1, MSG_EOR); }));
    return 0;
}

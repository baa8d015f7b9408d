/* SOCK_DGRAM: sendto/recvfrom between bound sockets, source addresses, truncation
 * (MSG_TRUNC), connect and AF_UNSPEC disconnect, EPERM from a socket connected
 * elsewhere, ECONNREFUSED after the peer closes, autobind, recvmsg names, SO_PASSCRED
 * with SCM_CREDENTIALS, sendmmsg/recvmmsg, blocking recv woken by a child. */
#include "common.h"
#include <poll.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#define PA "/tmp/unix_dgram.a"
#define PB "/tmp/unix_dgram.b"

static socklen_t mkaddr(struct sockaddr_un *a, const char *p) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, p);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(p) + 1);
}

static void show_from(const char *what, struct sockaddr_un *a, socklen_t l) {
    printf("%s: len %d", what, (int)l);
    if (l > 2 && a->sun_path[0]) printf(" path \"%s\"", a->sun_path);
    else if (l > 2) printf(" abstract (%d bytes)", (int)l - 3);
    printf("\n");
}

int main(void) {
    setup(20);
    unlink(PA);
    unlink(PB);
    struct sockaddr_un aa, ab, from;
    socklen_t la = mkaddr(&aa, PA), lb = mkaddr(&ab, PB), fl;
    char buf[256];
    int a = socket(AF_UNIX, SOCK_DGRAM, 0);
    int b = socket(AF_UNIX, SOCK_DGRAM, 0);
    RET("bind a", bind(a, (struct sockaddr *)&aa, la));
    RET("bind b", bind(b, (struct sockaddr *)&ab, lb));
    RET("listen dgram", listen(a, 1));
    RET("accept dgram", accept(a, NULL, NULL));
    RET("send unconnected no address", send(a, "x", 1, 0));
    RET("sendto b", sendto(a, "hello", 5, 0, (struct sockaddr *)&ab, lb));
    RET("sendto b again", sendto(a, "second message", 14, 0, (struct sockaddr *)&ab, lb));
    RET("sendto empty", sendto(a, "", 0, 0, (struct sockaddr *)&ab, lb));
    int n = -1;
    ioctl(b, FIONREAD, &n);
    printf("FIONREAD (first datagram): %d\n", n);
    memset(&from, 0, sizeof from);
    fl = sizeof from;
    RET("recvfrom", recvfrom(b, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
    show_from("from", &from, fl);
    RET("recv truncated to 6", recv(b, buf, 6, MSG_PEEK));
    RET("recv MSG_TRUNC gives real length", recv(b, buf, 6, MSG_TRUNC));
    RET("recv empty datagram", recv(b, buf, sizeof buf, 0));
    RET("recv nothing", recv(b, buf, sizeof buf, MSG_DONTWAIT));
    /* recvmsg: MSG_TRUNC in msg_flags and the name. */
    sendto(a, "0123456789", 10, 0, (struct sockaddr *)&ab, lb);
    struct iovec iov = {buf, 4};
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_name = &from;
    mh.msg_namelen = sizeof from;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    RET("recvmsg 4 of 10", recvmsg(b, &mh, 0));
    printf("msg_flags MSG_TRUNC %d, namelen %d\n", !!(mh.msg_flags & MSG_TRUNC), (int)mh.msg_namelen);
    /* An unnamed sender: no address. */
    int u = socket(AF_UNIX, SOCK_DGRAM, 0);
    sendto(u, "anon", 4, 0, (struct sockaddr *)&ab, lb);
    fl = sizeof from;
    RET("recvfrom unnamed sender", recvfrom(b, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
    printf("fromlen %d\n", (int)fl);
    /* Sending to a path that is not a socket, nothing bound, bad lengths. */
    struct sockaddr_un x;
    RET("sendto missing", sendto(u, "x", 1, 0, (struct sockaddr *)&x, mkaddr(&x, "/tmp/unix_dgram.none")));
    RET("sendto addrlen 2", sendto(u, "x", 1, 0, (struct sockaddr *)&ab, 2));
    RET("sendto addrlen 200", sendto(u, "x", 1, 0, (struct sockaddr *)&ab, 200));
    static char huge[300000];
    RET("sendto too large", sendto(u, huge, sizeof huge, 0, (struct sockaddr *)&ab, lb));
    /* connect: default destination, and only the peer may send to a connected one. */
    RET("connect a->b", connect(a, (struct sockaddr *)&ab, lb));
    RET("send connected", send(a, "via connect", 11, 0));
    RET("recv", recv(b, buf, sizeof buf, 0));
    struct sockaddr_un pn;
    socklen_t pl = sizeof pn;
    RET("getpeername a", getpeername(a, (struct sockaddr *)&pn, &pl));
    show_from("peer", &pn, pl);
    RET("connect b->a", connect(b, (struct sockaddr *)&aa, la));
    RET("u sends to connected b (EPERM)", sendto(u, "x", 1, 0, (struct sockaddr *)&ab, lb));
    RET("a sends to connected b", send(a, "ok", 2, 0));
    RET("recv", recv(b, buf, sizeof buf, 0));
    struct sockaddr un = {AF_UNSPEC, {0}};
    RET("disconnect b (AF_UNSPEC)", connect(b, &un, sizeof un));
    RET("getpeername b after disconnect", getpeername(b, (struct sockaddr *)&pn, &pl));
    RET("u sends to b again", sendto(u, "y", 1, 0, (struct sockaddr *)&ab, lb));
    RET("recv", recv(b, buf, sizeof buf, 0));
    /* Blocking recv woken by a child. */
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        sleep_ms(50);
        send(a, "from child", 10, 0);
        _exit(0);
    }
    RET("blocking recv", recv(b, buf, sizeof buf, 0));
    wait_child(p);
    /* Peer closes: ECONNREFUSED once, then ENOTCONN. */
    close(b);
    RET("send after peer closed", send(a, "x", 1, 0));
    RET("send again", send(a, "x", 1, 0));
    unlink(PB);
    /* Autobind: bind with only the family, SO_PASSCRED sender autobinds on send. */
    int c = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un fam = {AF_UNIX, {0}};
    RET("autobind", bind(c, (struct sockaddr *)&fam, sizeof(sa_family_t)));
    pl = sizeof pn;
    getsockname(c, (struct sockaddr *)&pn, &pl);
    show_from("autobound name", &pn, pl);
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    int one = 1;
    RET("SO_PASSCRED", setsockopt(d, SOL_SOCKET, SO_PASSCRED, &one, sizeof one));
    RET("d sends to c by autobound name", sendto(d, "cred", 4, 0, (struct sockaddr *)&pn, pl));
    pl = sizeof pn;
    getsockname(d, (struct sockaddr *)&pn, &pl);
    show_from("d autobound on send", &pn, pl);
    /* SCM_CREDENTIALS arrive only with SO_PASSCRED on the receiver. */
    union { struct cmsghdr h; char b[256]; } cb;
    memset(&mh, 0, sizeof mh);
    iov.iov_base = buf;
    iov.iov_len = sizeof buf;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cb.b;
    mh.msg_controllen = sizeof cb;
    RET("recvmsg without SO_PASSCRED", recvmsg(c, &mh, 0));
    printf("controllen %d\n", (int)mh.msg_controllen);
    setsockopt(c, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    sendto(d, "cred2", 5, 0, (struct sockaddr *)&x, 0);
    pl = sizeof pn;
    getsockname(c, (struct sockaddr *)&pn, &pl);
    sendto(d, "cred2", 5, 0, (struct sockaddr *)&pn, pl);
    mh.msg_controllen = sizeof cb;
    RET("recvmsg with SO_PASSCRED", recvmsg(c, &mh, 0));
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    printf("controllen %d, cmsg level %d type %d len %d\n", (int)mh.msg_controllen,
           cm ? cm->cmsg_level : -1, cm ? cm->cmsg_type : -1, cm ? (int)cm->cmsg_len : -1);
    if (cm) {
        struct ucred *uc = (struct ucred *)CMSG_DATA(cm);
        YN("creds are ours", uc->pid == getpid() && uc->uid == getuid() && uc->gid == getgid());
    }
    /* Explicit credentials: our own pass, another pid is refused unless privileged. */
    struct ucred me = {getpid(), getuid(), getgid()};
    memset(&cb, 0, sizeof cb);
    mh.msg_control = cb.b;
    mh.msg_controllen = CMSG_SPACE(sizeof me);
    cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_CREDENTIALS;
    cm->cmsg_len = CMSG_LEN(sizeof me);
    memcpy(CMSG_DATA(cm), &me, sizeof me);
    iov.iov_len = 3;
    mh.msg_name = &pn;
    mh.msg_namelen = pl;
    RET("sendmsg SCM_CREDENTIALS", sendmsg(d, &mh, 0));
    cm->cmsg_len = CMSG_LEN(sizeof me) - 1;
    RET("sendmsg bad cmsg_len", sendmsg(d, &mh, 0));
    cm->cmsg_len = 8;
    RET("sendmsg cmsg_len below header", sendmsg(d, &mh, 0));
    recv(c, buf, sizeof buf, 0);
    /* Truncated control buffer. */
    sendto(d, "t", 1, 0, (struct sockaddr *)&pn, pl);
    memset(&mh, 0, sizeof mh);
    iov.iov_len = sizeof buf;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cb.b;
    mh.msg_controllen = sizeof(struct cmsghdr) + 4;
    RET("recvmsg short control", recvmsg(c, &mh, 0));
    printf("MSG_CTRUNC %d controllen %d\n", !!(mh.msg_flags & MSG_CTRUNC), (int)mh.msg_controllen);
    /* sendmmsg / recvmmsg. */
    struct mmsghdr mm[3];
    struct iovec iv[3];
    char bufs[3][16];
    memset(mm, 0, sizeof mm);
    for (int i = 0; i < 3; i++) {
        snprintf(bufs[i], sizeof bufs[i], "msg%d-%.*s", i, i, "xx");
        iv[i].iov_base = bufs[i];
        iv[i].iov_len = strlen(bufs[i]);
        mm[i].msg_hdr.msg_iov = &iv[i];
        mm[i].msg_hdr.msg_iovlen = 1;
        mm[i].msg_hdr.msg_name = &pn;
        mm[i].msg_hdr.msg_namelen = pl;
    }
    RET("sendmmsg 3", sendmmsg(d, mm, 3, 0));
    printf("msg_len: %u %u %u\n", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
    memset(mm, 0, sizeof mm);
    memset(bufs, 0, sizeof bufs);
    for (int i = 0; i < 3; i++) {
        iv[i].iov_base = bufs[i];
        iv[i].iov_len = sizeof bufs[i];
        mm[i].msg_hdr.msg_iov = &iv[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    setsockopt(c, SOL_SOCKET, SO_PASSCRED, (int[]){0}, sizeof(int));
    RET("recvmmsg WAITFORONE", recvmmsg(c, mm, 3, MSG_WAITFORONE, NULL));
    printf("got: %s %s %s\n", bufs[0], bufs[1], bufs[2]);
    RET("recvmmsg nothing", recvmmsg(c, mm, 3, MSG_DONTWAIT, NULL));
    /* Shutdown of a datagram socket. */
    RET("shutdown c SHUT_RD", shutdown(c, SHUT_RD));
    RET("send to shut reader", sendto(d, "z", 1, 0, (struct sockaddr *)&pn, pl));
    RET("recv after SHUT_RD", recv(c, buf, sizeof buf, 0));
    unlink(PA);
    return 0;
}

/* Credentials over AF_UNIX: SO_PEERCRED of socketpair ends and of connections made
 * from a forked child that changed its ids (the ids at connect/socketpair time count),
 * SCM_CREDENTIALS with SO_PASSCRED on stream and dgram sockets (implicit credentials
 * of the sender, explicit ones: own ids allowed, others EPERM without privilege),
 * SO_PASSCRED read back, SO_PEERCRED on an unconnected socket. */
#include "common.h"
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

static char path[80];

/* Receives one message and reports its credentials relative to the expected ones. */
static void rcv(const char *label, int fd, pid_t pid, uid_t uid, gid_t gid) {
    char data[16], cbuf[CMSG_SPACE(sizeof(struct ucred))];
    struct iovec iov = {data, sizeof data};
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof cbuf;
    errno = 0;
    long n = recvmsg(fd, &mh, 0);
    if (n < 0) {
        printf("%s: -1 %s\n", label, en(errno));
        return;
    }
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    if (!c) {
        printf("%s: %ld, no control message\n", label, n);
        return;
    }
    struct ucred u;
    memcpy(&u, CMSG_DATA(c), sizeof u);
    printf("%s: %ld, %s len %zu pid ok %s uid %u gid %u (expected %u/%u)\n", label, n,
           c->cmsg_type == SCM_CREDENTIALS ? "SCM_CREDENTIALS" : "other", (size_t)c->cmsg_len,
           u.pid == pid ? "yes" : "no", u.uid, u.gid, uid, gid);
}

static long send_cred(int fd, pid_t pid, uid_t uid, gid_t gid) {
    char cbuf[CMSG_SPACE(sizeof(struct ucred))];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = {"c", 1};
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof cbuf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
    struct ucred u = {pid, uid, gid};
    memcpy(CMSG_DATA(c), &u, sizeof u);
    return sendmsg(fd, &mh, 0);
}

static void peercred(const char *label, int fd, pid_t pid) {
    struct ucred u;
    socklen_t l = sizeof u;
    errno = 0;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &u, &l) < 0) {
        printf("%s: -1 %s\n", label, en(errno));
        return;
    }
    printf("%s: len %u pid ok %s uid %u gid %u\n", label, (unsigned)l, u.pid == pid ? "yes" : "no", u.uid, u.gid);
}

int main(void) {
    setup(10);
    char dir[] = "/tmp/unix_creds_XXXXXX";
    if (!mkdtemp(dir)) DIE("mkdtemp");
    snprintf(path, sizeof path, "%s/s", dir);
    pid_t me = getpid();

    int s[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, s);
    peercred("socketpair SO_PEERCRED", s[0], me);
    int one = 1, v = 0;
    socklen_t vl = sizeof v;
    getsockopt(s[0], SOL_SOCKET, SO_PASSCRED, &v, &vl);
    printf("SO_PASSCRED default %d\n", v);
    RET("set SO_PASSCRED", setsockopt(s[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one));
    vl = sizeof v;
    getsockopt(s[1], SOL_SOCKET, SO_PASSCRED, &v, &vl);
    printf("SO_PASSCRED now %d\n", v);
    send(s[0], "hi", 2, 0);
    rcv("stream implicit creds", s[1], me, 0, 0);
    RET("explicit own creds", send_cred(s[0], me, 0, 0));
    rcv("stream explicit own creds", s[1], me, 0, 0);
    RET("explicit other ids as root", send_cred(s[0], me, 1234, 5678));
    rcv("stream explicit other ids", s[1], me, 1234, 5678);
    send(s[1], "x", 1, 0);
    rcv("without SO_PASSCRED on receiver", s[0], me, 0, 0);

    /* A child that dropped privileges. */
    pid_t c = fork();
    if (c == 0) {
        if (setgid(2000) || setuid(1000)) _exit(90);
        send(s[0], "u", 1, 0);
        long r1 = send_cred(s[0], getpid(), 1000, 2000);
        long r2 = send_cred(s[0], getpid(), 0, 0);
        int e2 = errno;
        long r3 = send_cred(s[0], getppid(), 1000, 2000);
        int e3 = errno;
        printf("child: own creds %ld, root ids %ld %s, parent's pid %ld %s\n", r1, r2, en(e2), r3, en(e3));
        _exit(0);
    }
    printf("child: %s\n", wstr(wait_child(c)));
    /* Implicit and explicit messages with equal credentials are read together. */
    rcv("creds of unprivileged child", s[1], c, 1000, 2000);
    close(s[0]);
    close(s[1]);

    /* SO_PEERCRED of a connection made by a child with other ids. */
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    strcpy(a.sun_path, path);
    bind(l, (struct sockaddr *)&a, sizeof a);
    chmod(path, 0777);
    chmod(dir, 0711);
    listen(l, 4);
    peercred("listener SO_PEERCRED", l, me);
    int go[2];
    pipe(go);
    c = fork();
    if (c == 0) {
        if (setgid(3000) || setuid(3001)) _exit(90);
        int cs = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(cs, (struct sockaddr *)&a, sizeof a)) {
            printf("child connect: %s\n", en(errno));
            _exit(91);
        }
        char b;
        read(go[0], &b, 1);
        peercred("child's view of the server", cs, getppid());
        _exit(0);
    }
    int acc = accept(l, NULL, NULL);
    peercred("server's view of the child", acc, c);
    write(go[1], "g", 1);
    printf("child: %s\n", wstr(wait_child(c)));
    peercred("after the child exited", acc, c);
    close(acc);

    /* Datagrams. */
    int d[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, d);
    setsockopt(d[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    send(d[0], "d", 1, 0);
    rcv("dgram implicit creds", d[1], me, 0, 0);
    send_cred(d[0], me, 42, 43);
    rcv("dgram explicit creds", d[1], me, 42, 43);
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    peercred("unconnected stream SO_PEERCRED", u, 0);
    struct ucred small;
    socklen_t sl = 4;
    RET("SO_PEERCRED short optlen", getsockopt(d[0], SOL_SOCKET, SO_PEERCRED, &small, &sl));
    printf("optlen after: %u\n", (unsigned)sl);
    unlink(path);
    rmdir(dir);
    return 0;
}

/* SCM_RIGHTS: passing a file, a pipe and a socket; the received descriptors share the
 * open file description (offset, flags); MSG_CMSG_CLOEXEC; MSG_CTRUNC when the control
 * buffer is short (the rest are not installed); EBADF and EINVAL for bad descriptors;
 * descriptors over a stream stop the read at their message; passing to a child over a
 * socketpair; files in flight survive the sender closing them; MSG_PEEK duplicates. */
#include "common.h"
#include <sys/socket.h>
#include <sys/un.h>

static int send_fds(int s, const char *data, int *fds, int n) {
    char cbuf[CMSG_SPACE(sizeof(int) * 300)];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = {(void *)data, strlen(data)};
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (n > 0) {
        mh.msg_control = cbuf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * n);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
    }
    return (int)sendmsg(s, &mh, 0);
}

/* Receives; stores up to 8 fds in out; returns bytes, prints control facts. */
static int recv_fds(int s, char *data, int len, int *out, int *nout, size_t ctl, int flags) {
    char cbuf[512];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = {data, (size_t)len};
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl ? cbuf : NULL;
    mh.msg_controllen = ctl;
    int r = (int)recvmsg(s, &mh, flags);
    *nout = 0;
    if (r < 0) return r;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            for (int i = 0; i < k && *nout < 8; i++) memcpy(&out[(*nout)++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        }
    }
    printf("  recvmsg %d bytes, %d fds, MSG_CTRUNC %d, controllen %d\n", r, *nout,
           !!(mh.msg_flags & MSG_CTRUNC), (int)mh.msg_controllen);
    return r;
}

static int nfds_open(void) {
    int n = 0;
    for (int i = 0; i < 256; i++) if (fcntl(i, F_GETFD) >= 0) n++;
    return n;
}

int main(void) {
    setup(20);
    int sv[2];
    char buf[256];
    int fds[8], n;
    RET("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    const char *path = "/tmp/unix_scm_rights.file";
    int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(f, "0123456789", 10);
    lseek(f, 2, SEEK_SET);
    int p[2];
    pipe(p);
    int pass[3] = {f, p[1], sv[0]};
    RET("sendmsg 3 fds", send_fds(sv[0], "fds", pass, 3));
    unlink(path);
    close(f);
    close(p[1]);
    int before = nfds_open();
    RET("recvmsg", recv_fds(sv[1], buf, sizeof buf, fds, &n, 512, MSG_CMSG_CLOEXEC));
    YN("3 new fds", nfds_open() == before + 3);
    YN("fds are new numbers", n == 3 && fds[0] != fds[1] && fds[1] != fds[2]);
    printf("  FD_CLOEXEC: %d %d %d\n", fcntl(fds[0], F_GETFD), fcntl(fds[1], F_GETFD), fcntl(fds[2], F_GETFD));
    /* Shared offset: the file was at 2. */
    RET("read passed file", read(fds[0], buf, 3));
    printf("  data %.3s, offset now %ld\n", buf, (long)lseek(fds[0], 0, SEEK_CUR));
    RET("write into passed pipe", write(fds[1], "via pipe", 8));
    RET("read pipe", read(p[0], buf, sizeof buf));
    close(fds[1]);
    RET("pipe EOF once passed end closed", read(p[0], buf, sizeof buf));
    struct stat st;
    fstat(fds[2], &st);
    YN("passed socket is a socket", S_ISSOCK(st.st_mode));
    RET("send over the passed socket", send(fds[2], "loop", 4, 0));
    RET("recv it", recv(sv[1], buf, sizeof buf, 0));
    close(fds[0]);
    close(fds[2]);

    /* Short control buffer: MSG_CTRUNC, extra fds are dropped. */
    int three[3] = {0, 1, 2};
    send_fds(sv[0], "x", three, 3);
    before = nfds_open();
    RET("recvmsg CMSG_SPACE(1 fd)", recv_fds(sv[1], buf, sizeof buf, fds, &n, CMSG_SPACE(sizeof(int)), 0));
    printf("  installed: %d\n", nfds_open() - before);
    for (int i = 0; i < n; i++) close(fds[i]);
    send_fds(sv[0], "y", three, 3);
    RET("recvmsg no control buffer", recv_fds(sv[1], buf, sizeof buf, fds, &n, 0, 0));
    YN("none installed", nfds_open() == before);

    /* Bad descriptors. */
    int bad[2] = {0, 999};
    RET("sendmsg EBADF", send_fds(sv[0], "z", bad, 2));
    int many[300];
    for (int i = 0; i < 300; i++) many[i] = 0;
    RET("sendmsg 254 fds", send_fds(sv[0], "z", many, 254));
    RET("sendmsg 253 fds", send_fds(sv[0], "z", many, 253));
    before = nfds_open();
    RET("recvmsg 253 with room for 8", recv_fds(sv[1], buf, sizeof buf, fds, &n, CMSG_SPACE(sizeof(int) * 8), 0));
    YN("8 installed", nfds_open() == before + 8);
    for (int i = 0; i < 8; i++) close(fds[i]);

    /* Streams: a read stops after the message that carried descriptors. */
    send(sv[0], "AB", 2, 0);
    send_fds(sv[0], "CD", three, 1);
    send(sv[0], "EF", 2, 0);
    RET("recvmsg 100", recv_fds(sv[1], buf, 100, fds, &n, 512, 0));
    printf("  data %.4s\n", buf);
    close(fds[0]);
    RET("recvmsg 100 again", recv_fds(sv[1], buf, 100, fds, &n, 512, 0));

    /* MSG_PEEK duplicates the descriptors. */
    send_fds(sv[0], "pk", three, 1);
    RET("peek", recv_fds(sv[1], buf, 100, fds, &n, 512, MSG_PEEK));
    close(fds[0]);
    RET("then read", recv_fds(sv[1], buf, 100, fds, &n, 512, 0));
    close(fds[0]);

    /* To a child: the child receives a pipe end and writes to it. */
    int q[2];
    pipe(q);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        close(sv[0]);
        int got[8], k;
        char b[16];
        if (recv_fds(sv[1], b, sizeof b, got, &k, 512, 0) < 0 || k != 1) _exit(1);
        write(got[0], "child wrote", 11);
        _exit(0);
    }
    close(q[1]);
    int qq = q[0];
    (void)qq;
    int w[1] = {q[0]};
    /* Send the write end: reopen one via a new pipe. */
    int r2[2];
    pipe(r2);
    w[0] = r2[1];
    send_fds(sv[0], "w", w, 1);
    close(r2[1]);
    printf("child: %s\n", wstr(wait_child(c)));
    RET("read what the child wrote", read(r2[0], buf, sizeof buf));
    RET("then EOF", read(r2[0], buf, sizeof buf));

    /* Datagram socketpair with rights, sender closes its socket before receive. */
    int dv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, dv);
    int pp[2];
    pipe(pp);
    RET("dgram send rights", send_fds(dv[0], "dg", &pp[0], 1));
    close(pp[0]);
    close(dv[0]);
    RET("dgram recv", recv_fds(dv[1], buf, sizeof buf, fds, &n, 512, 0));
    write(pp[1], "!", 1);
    RET("read through received pipe", read(fds[0], buf, 1));
    return 0;
}

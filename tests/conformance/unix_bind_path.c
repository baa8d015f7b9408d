/* Binding AF_UNIX sockets to paths: the socket file (S_IFSOCK, mode from the umask),
 * EADDRINUSE for an existing file even after the socket closed, unlink then rebind,
 * EINVAL for binding twice, ENOENT/ENOTDIR for bad directories, ENAMETOOLONG-free
 * truncation rules (sun_path without NUL), opening a socket file (ENXIO), connect to a
 * non-socket (ECONNREFUSED), to a closed listener (ECONNREFUSED), to a dgram path
 * with a stream socket (EPROTOTYPE), getsockname/getpeername lengths, accept4 flags,
 * listen backlog and nonblocking connect (EAGAIN when the backlog is full). */
#include "common.h"
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

static char dir[64];

static socklen_t mkaddr(struct sockaddr_un *a, const char *name) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    snprintf(a->sun_path, sizeof a->sun_path, "%s/%s", dir, name);
    return offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1;
}

int main(void) {
    setup(10);
    strcpy(dir, "/tmp/unix_bind_XXXXXX");
    if (!mkdtemp(dir)) DIE("mkdtemp");
    struct sockaddr_un a, b;
    socklen_t al = mkaddr(&a, "s1");
    umask(022);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    RET("bind", bind(s, (struct sockaddr *)&a, al));
    struct stat st;
    RET("stat", stat(a.sun_path, &st));
    YN("S_ISSOCK", S_ISSOCK(st.st_mode));
    printf("mode %o size %lld\n", st.st_mode & 07777, (long long)st.st_size);
    RET("bind again (same socket)", bind(s, (struct sockaddr *)&a, al));
    socklen_t bl = mkaddr(&b, "s2");
    RET("bind bound socket elsewhere", bind(s, (struct sockaddr *)&b, bl));
    int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
    RET("second socket, same path", bind(s2, (struct sockaddr *)&a, al));
    close(s);
    RET("path still in use after close", bind(s2, (struct sockaddr *)&a, al));
    RET("open socket file", open(a.sun_path, O_RDONLY));
    RET("unlink", unlink(a.sun_path));
    RET("rebind after unlink", bind(s2, (struct sockaddr *)&a, al));
    umask(0);
    int s3 = socket(AF_UNIX, SOCK_DGRAM, 0);
    RET("bind with umask 0", bind(s3, (struct sockaddr *)&b, bl));
    stat(b.sun_path, &st);
    printf("mode %o\n", st.st_mode & 07777);
    umask(022);

    /* Bad paths. */
    struct sockaddr_un c;
    socklen_t cl = mkaddr(&c, "missing/s");
    int s4 = socket(AF_UNIX, SOCK_STREAM, 0);
    RET("bind in missing dir", bind(s4, (struct sockaddr *)&c, cl));
    char fpath[128];
    snprintf(fpath, sizeof fpath, "%s/file", dir);
    close(open(fpath, O_CREAT | O_WRONLY, 0600));
    cl = mkaddr(&c, "file/s");
    RET("bind under a file", bind(s4, (struct sockaddr *)&c, cl));
    cl = mkaddr(&c, "file");
    RET("bind over a regular file", bind(s4, (struct sockaddr *)&c, cl));
    a.sun_family = AF_INET;
    RET("bind wrong family", bind(s4, (struct sockaddr *)&a, al));
    a.sun_family = AF_UNIX;
    RET("bind addrlen 1", bind(s4, (struct sockaddr *)&a, 1));
    RET("bind addrlen too big", bind(s4, (struct sockaddr *)&a, sizeof a + 1));
    /* sun_path filling all 108 bytes without a NUL. */
    struct sockaddr_un full;
    memset(&full, 0, sizeof full);
    full.sun_family = AF_UNIX;
    int dl = snprintf(full.sun_path, sizeof full.sun_path, "%s/", dir);
    memset(full.sun_path + dl, 'n', sizeof full.sun_path - dl);
    RET("bind 108-byte path without NUL", bind(s4, (struct sockaddr *)&full, sizeof full));
    struct sockaddr_un got;
    socklen_t gl = sizeof got + 8;
    char gbuf[sizeof got + 8];
    memset(gbuf, 0, sizeof gbuf);
    RET("getsockname", getsockname(s4, (struct sockaddr *)gbuf, &gl));
    printf("getsockname len %u (sizeof sockaddr_un %zu)\n", (unsigned)gl, sizeof(struct sockaddr_un));
    char fullpath[120];
    memcpy(fullpath, full.sun_path, 108);
    fullpath[108] = 0;
    RET("unlink long path", unlink(fullpath));

    /* Connect errors. */
    int cs = socket(AF_UNIX, SOCK_STREAM, 0);
    cl = mkaddr(&c, "file");
    RET("connect to a regular file", connect(cs, (struct sockaddr *)&c, cl));
    cl = mkaddr(&c, "nothing");
    RET("connect to nothing", connect(cs, (struct sockaddr *)&c, cl));
    RET("connect to bound, not listening", connect(cs, (struct sockaddr *)&a, al));
    RET("connect stream to dgram path", connect(cs, (struct sockaddr *)&b, bl));
    RET("listen", listen(s2, 1));
    RET("listen again (backlog change)", listen(s2, 2));
    close(cs);

    /* getsockname/getpeername on the connection. */
    cs = socket(AF_UNIX, SOCK_STREAM, 0);
    RET("connect", connect(cs, (struct sockaddr *)&a, al));
    int acc = accept4(s2, (struct sockaddr *)&got, &(socklen_t){sizeof got}, SOCK_NONBLOCK | SOCK_CLOEXEC);
    YN("accept4", acc >= 0);
    YN("accepted O_NONBLOCK", fcntl(acc, F_GETFL) & O_NONBLOCK);
    YN("accepted FD_CLOEXEC", fcntl(acc, F_GETFD) & FD_CLOEXEC);
    YN("listener still blocking", !(fcntl(s2, F_GETFL) & O_NONBLOCK));
    gl = sizeof got;
    getpeername(cs, (struct sockaddr *)&got, &gl);
    YN("client's peer is the path", gl == al && strcmp(got.sun_path, a.sun_path) == 0);
    gl = sizeof got;
    getsockname(cs, (struct sockaddr *)&got, &gl);
    printf("client's own name len %u\n", (unsigned)gl);
    gl = sizeof got;
    getsockname(acc, (struct sockaddr *)&got, &gl);
    YN("accepted socket's name is the path", gl == al && strcmp(got.sun_path, a.sun_path) == 0);
    gl = sizeof got;
    getpeername(acc, (struct sockaddr *)&got, &gl);
    printf("accepted socket's peer len %u\n", (unsigned)gl);
    gl = 4;
    RET("getpeername short buffer", getpeername(cs, (struct sockaddr *)&got, &gl));
    printf("short: len %u\n", (unsigned)gl);
    RET("getpeername unconnected", getpeername(s4, (struct sockaddr *)&got, &(socklen_t){sizeof got}));
    RET("accept4 bad flags", accept4(s2, NULL, NULL, 0x4));
    RET("accept on a connected socket", accept(cs, NULL, NULL));

    /* Backlog: nonblocking connects fail with EAGAIN once it is full. */
    int nb[8], ok = 0, again = 0;
    for (int i = 0; i < 8; i++) {
        nb[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (connect(nb[i], (struct sockaddr *)&a, al) == 0) ok++;
        else if (errno == EAGAIN) again++;
    }
    printf("backlog 2: connected %d, EAGAIN %d\n", ok, again);
    int accepted = 0;
    int x;
    fcntl(s2, F_SETFL, O_NONBLOCK);
    while ((x = accept(s2, NULL, NULL)) >= 0) {
        accepted++;
        close(x);
    }
    printf("accepted %d then %s\n", accepted, en(errno));

    /* A closed listener: ECONNREFUSED, the file stays. */
    close(s2);
    int late = socket(AF_UNIX, SOCK_STREAM, 0);
    RET("connect after listener closed", connect(late, (struct sockaddr *)&a, al));
    RET("socket file remains", access(a.sun_path, F_OK));

    unlink(a.sun_path);
    unlink(b.sun_path);
    unlink(fpath);
    RET("rmdir", rmdir(dir));
    return 0;
}

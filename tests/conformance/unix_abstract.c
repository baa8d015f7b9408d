/* Abstract names: bind, EADDRINUSE, names free again after close, no file created,
 * embedded NULs and exact lengths, getsockname, connect/ECONNREFUSED, stream echo with
 * a forked child. */
#include "common.h"
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

static socklen_t mkabs(struct sockaddr_un *a, const char *name, int len) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    memcpy(a->sun_path + 1, name, (size_t)len);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
}

int main(void) {
    setup(20);
    struct sockaddr_un a, b, got;
    socklen_t la = mkabs(&a, "husk-unix_abstract", 18);
    char buf[128];
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    RET("bind abstract", bind(l, (struct sockaddr *)&a, la));
    int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
    RET("bind same name", bind(l2, (struct sockaddr *)&a, la));
    /* A different length is a different name. */
    RET("bind shorter name", bind(l2, (struct sockaddr *)&a, la - 1));
    int l3 = socket(AF_UNIX, SOCK_STREAM, 0);
    socklen_t lz = mkabs(&b, "with\0nul", 8);
    RET("bind name with NUL", bind(l3, (struct sockaddr *)&b, lz));
    socklen_t gl = sizeof got;
    memset(&got, 0x77, sizeof got);
    RET("getsockname", getsockname(l3, (struct sockaddr *)&got, &gl));
    printf("len %d first %d rest-matches %d\n", (int)gl, got.sun_path[0], memcmp(got.sun_path + 1, "with\0nul", 8) == 0);
    close(l3);
    l3 = socket(AF_UNIX, SOCK_STREAM, 0);
    RET("rebind after close", bind(l3, (struct sockaddr *)&b, lz));
    close(l3);
    close(l2);
    RET("connect before listen", connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, la));
    RET("listen", listen(l, 1));
    RET("connect unknown name", connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&b, mkabs(&b, "husk-none", 9)));
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&a, la) < 0) _exit(1);
        char m[64];
        for (int i = 0; i < 3; i++) {
            snprintf(m, sizeof m, "ping %d", i);
            send(c, m, strlen(m), 0);
            ssize_t n = recv(c, m, sizeof m - 1, 0);
            if (n <= 0) _exit(2);
            m[n] = 0;
            printf("child got: %s\n", m);
        }
        _exit(0);
    }
    struct sockaddr_un pa;
    socklen_t pl = sizeof pa;
    int s = accept(l, (struct sockaddr *)&pa, &pl);
    OK("accept", s);
    printf("peer addrlen %d\n", (int)pl);
    gl = sizeof got;
    getsockname(s, (struct sockaddr *)&got, &gl);
    printf("accepted sockname len %d matches %d\n", (int)gl, gl == la && memcmp(&got, &a, la) == 0);
    ssize_t n;
    while ((n = recv(s, buf, sizeof buf - 1, 0)) > 0) {
        buf[n] = 0;
        for (char *q = buf; *q; q++) if (*q >= 'a' && *q <= 'z') *q -= 32;
        send(s, buf, (size_t)n, 0);
    }
    RET("recv at EOF", n);
    printf("child: %s\n", wstr(wait_child(p)));
    close(s);
    close(l);
    int again = socket(AF_UNIX, SOCK_DGRAM, 0);
    RET("name free after close (dgram bind)", bind(again, (struct sockaddr *)&a, la));
    return 0;
}

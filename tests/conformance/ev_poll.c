/* poll(2) readiness: pipes (POLLIN, POLLOUT, POLLHUP with and without data, POLLERR on a
 * write end without readers), POLLNVAL for closed fds, negative fds ignored, events 0
 * still reporting HUP/ERR, timeout 0, nfds over RLIMIT_NOFILE, EFAULT, regular files and
 * /dev/null, socketpair POLLRDHUP after shutdown, a blocking poll woken by a child. */
#include "common.h"
#include <poll.h>
#include <sys/socket.h>

static const char *rev(short r) {
    static char buf[128];
    buf[0] = 0;
    if (r & POLLIN) strcat(buf, "IN|");
    if (r & POLLPRI) strcat(buf, "PRI|");
    if (r & POLLOUT) strcat(buf, "OUT|");
    if (r & POLLRDNORM) strcat(buf, "RDNORM|");
    if (r & POLLWRNORM) strcat(buf, "WRNORM|");
    if (r & POLLRDHUP) strcat(buf, "RDHUP|");
    if (r & POLLERR) strcat(buf, "ERR|");
    if (r & POLLHUP) strcat(buf, "HUP|");
    if (r & POLLNVAL) strcat(buf, "NVAL|");
    size_t n = strlen(buf);
    if (n) buf[n - 1] = 0;
    else strcpy(buf, "0");
    return buf;
}

static void p1(const char *label, int fd, short events, int timeout) {
    struct pollfd p = {fd, events, 0x7fff};
    errno = 0;
    int r = poll(&p, 1, timeout);
    if (r < 0) printf("%s: -1 %s\n", label, en(errno));
    else printf("%s: %d revents %s\n", label, r, rev(p.revents));
}

int main(void) {
    setup(10);
    int p[2];
    if (pipe(p)) DIE("pipe");
    const short ALL = POLLIN | POLLOUT | POLLPRI | POLLRDNORM | POLLWRNORM | POLLRDHUP;
    p1("empty pipe read end, timeout 0", p[0], ALL, 0);
    p1("empty pipe write end", p[1], ALL, 0);
    p1("write end, events IN only", p[1], POLLIN, 0);
    write(p[1], "x", 1);
    p1("read end with data", p[0], ALL, 0);
    p1("read end with data, events 0", p[0], 0, 0);

    /* Several entries at once: the count is of entries with nonzero revents. */
    int closed = dup(p[0]);
    close(closed);
    struct pollfd v[5] = {
        {p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {-1, POLLIN, 0x55}, {closed, POLLIN, 0}, {-5, 0, 0x7}};
    RET("poll five entries", poll(v, 5, 0));
    for (int i = 0; i < 5; i++) printf("  entry %d revents %s\n", i, rev(v[i].revents));
    RET("poll only negative fds, timeout 20", poll(&v[2], 1, 20));
    printf("  negative fd revents %s\n", rev(v[2].revents));

    close(p[1]);
    p1("reader, writer closed, data left", p[0], POLLIN, 0);
    char c;
    read(p[0], &c, 1);
    p1("reader, writer closed, drained", p[0], POLLIN, 0);
    p1("reader, writer closed, events 0", p[0], 0, 0);
    close(p[0]);

    if (pipe(p)) DIE("pipe");
    close(p[0]);
    p1("writer, reader closed", p[1], POLLOUT, 0);
    p1("writer, reader closed, events 0", p[1], 0, 0);
    close(p[1]);

    RET("poll(NULL, 0, 0)", poll(NULL, 0, 0));
    long long t0 = now_ns(CLOCK_MONOTONIC);
    RET("poll(NULL, 0, 30)", poll(NULL, 0, 30));
    YN("  slept >= 25ms", now_ns(CLOCK_MONOTONIC) - t0 >= 25000000LL);
    RET("poll bad pointer", syscall(SYS_poll, (void *)8, 1, 0));
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    RET("poll nfds > RLIMIT_NOFILE", poll(v, rl.rlim_cur + 1, 0));

    int dn = open("/dev/null", O_RDWR);
    p1("/dev/null", dn, POLLIN | POLLOUT | POLLPRI | POLLRDNORM | POLLWRNORM, 0);
    close(dn);
    char dir[] = "/tmp/ev_poll_XXXXXX";
    if (!mkdtemp(dir)) DIE("mkdtemp");
    char path[64];
    snprintf(path, sizeof path, "%s/f", dir);
    int f = open(path, O_RDWR | O_CREAT, 0600);
    p1("regular file", f, ALL, 0);
    close(f);
    unlink(path);
    rmdir(dir);

    int s[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, s)) DIE("socketpair");
    p1("socket idle", s[0], ALL, 0);
    shutdown(s[1], SHUT_WR);
    p1("socket, peer SHUT_WR", s[0], ALL, 0);
    shutdown(s[0], SHUT_WR);
    p1("socket, both directions shut", s[0], ALL, 0);
    close(s[1]);
    p1("socket, peer closed", s[0], ALL, 0);
    close(s[0]);

    /* A blocking poll woken by a child's write. */
    if (pipe(p)) DIE("pipe");
    pid_t ch = fork();
    if (ch == 0) {
        sleep_ms(30);
        write(p[1], "y", 1);
        _exit(0);
    }
    p1("blocking poll woken by child", p[0], POLLIN, 5000);
    printf("child: %s\n", wstr(wait_child(ch)));
    /* A blocking poll woken by the last writer closing. */
    ch = fork();
    if (ch == 0) {
        sleep_ms(30);
        _exit(0);
    }
    close(p[1]);
    read(p[0], &c, 1);
    p1("blocking poll woken by writer exit", p[0], POLLIN, 5000);
    printf("child: %s\n", wstr(wait_child(ch)));
    return 0;
}

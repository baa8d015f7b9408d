/* Re-opening files through /proc/self/fd/N: a new open file description (own offset,
 * own flags: O_APPEND, O_NONBLOCK, access mode), O_TRUNC through the link, a deleted
 * file, an O_PATH fd upgraded to a readable one, a directory, a pipe (same pipe, other
 * end), sockets and eventfds (ENXIO), O_NOFOLLOW (ELOOP) and O_PATH|O_NOFOLLOW (the
 * link itself), readlinkat on that, O_CREAT|O_EXCL on the link (EEXIST), O_DIRECTORY on
 * a file (ENOTDIR), a closed fd (ENOENT). */
#include "common.h"
#include <sys/eventfd.h>
#include <sys/socket.h>

static char p[64];
static const char *fdp(int fd) {
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    return p;
}

static void show_read(const char *label, int fd) {
    char b[64];
    ssize_t n = read(fd, b, sizeof b - 1);
    if (n < 0) printf("%s: -1 %s\n", label, en(errno));
    else printf("%s: %zd \"%.*s\"\n", label, n, (int)n, b);
}

int main(void) {
    setup(10);
    char dir[] = "/tmp/fdreopenXXXXXX";
    if (!mkdtemp(dir)) DIE("mkdtemp");
    char f[64];
    snprintf(f, sizeof f, "%s/f", dir);
    int w = open(f, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (w < 0) DIE("open");
    if (write(w, "0123456789", 10) != 10) DIE("write");

    int r = open(fdp(w), O_RDONLY);
    OK("reopen wronly as rdonly", r);
    RET("new offset", lseek(r, 0, SEEK_CUR));
    RET("old offset", lseek(w, 0, SEEK_CUR));
    show_read("read reopened", r);
    RET("getfl accmode", fcntl(r, F_GETFL) & O_ACCMODE);
    int a = open(fdp(w), O_WRONLY | O_APPEND);
    OK("reopen with O_APPEND", a);
    YN("O_APPEND on new", fcntl(a, F_GETFL) & O_APPEND);
    YN("O_APPEND not on old", fcntl(w, F_GETFL) & O_APPEND);
    if (lseek(a, 0, SEEK_SET) != 0) DIE("lseek");
    RET("append write", write(a, "AB", 2));
    RET("size after append", lseek(r, 0, SEEK_END));
    close(a);
    int rw = open(fdp(r), O_RDWR);
    OK("reopen rdonly as rdwr", rw);
    RET("rdwr write", pwrite(rw, "x", 1, 0));
    close(rw);

    int t = open(fdp(r), O_WRONLY | O_TRUNC);
    OK("reopen O_TRUNC", t);
    RET("size after trunc", lseek(r, 0, SEEK_END));
    RET("write after trunc", write(t, "hello", 5));
    close(t);

    RET("O_CREAT|O_EXCL on link", open(fdp(r), O_RDONLY | O_CREAT | O_EXCL, 0600));
    int c = open(fdp(r), O_RDONLY | O_CREAT, 0600);
    OK("O_CREAT on link (exists)", c);
    if (c >= 0) close(c);
    RET("O_DIRECTORY on file", open(fdp(r), O_RDONLY | O_DIRECTORY));
    RET("O_NOFOLLOW", open(fdp(r), O_RDONLY | O_NOFOLLOW));
    int lk = open(fdp(r), O_PATH | O_NOFOLLOW);
    OK("O_PATH|O_NOFOLLOW", lk);
    struct stat st;
    RET("fstat link fd", fstat(lk, &st));
    YN("link fd is S_ISLNK", S_ISLNK(st.st_mode));
    char buf[256];
    ssize_t n = readlinkat(lk, "", buf, sizeof buf - 1);
    YN("readlinkat link fd gives the file", n > 0 && (buf[n] = 0, strcmp(buf, f) == 0));
    close(lk);

    RET("unlink", unlink(f));
    int d = open(fdp(r), O_RDONLY);
    OK("reopen deleted", d);
    show_read("read deleted", d);
    RET("fstat deleted", fstat(d, &st));
    printf("deleted nlink: %ld\n", (long)st.st_nlink);
    n = readlink(fdp(d), buf, sizeof buf - 1);
    YN("deleted link ends with (deleted)", n > 10 && memcmp(buf + n - 10, " (deleted)", 10) == 0);
    close(d);

    int op = open(dir, O_PATH | O_DIRECTORY);
    OK("O_PATH dir", op);
    RET("read O_PATH", read(op, buf, 1));
    int dd = open(fdp(op), O_RDONLY | O_DIRECTORY);
    OK("upgrade O_PATH dir to O_RDONLY", dd);
    RET("getdents works", syscall(SYS_getdents64, dd, buf, sizeof buf) > 0);
    RET("dir O_WRONLY", open(fdp(op), O_WRONLY));
    close(dd);
    close(op);

    char g[64];
    snprintf(g, sizeof g, "%s/g", dir);
    int gw = open(g, O_WRONLY | O_CREAT, 0600);
    if (gw < 0 || write(gw, "path", 4) != 4) DIE("g");
    close(gw);
    int gp = open(g, O_PATH);
    OK("O_PATH file", gp);
    RET("read O_PATH file", read(gp, buf, 1));
    int gr = open(fdp(gp), O_RDONLY);
    OK("upgrade O_PATH file", gr);
    show_read("read upgraded", gr);
    close(gr);
    close(gp);

    int pp[2];
    if (pipe(pp) != 0) DIE("pipe");
    int pw = open(fdp(pp[0]), O_WRONLY);
    OK("reopen pipe read end as writer", pw);
    RET("write through reopened", write(pw, "pipe", 4));
    show_read("read original", pp[0]);
    int pr = open(fdp(pp[1]), O_RDONLY | O_NONBLOCK);
    OK("reopen write end as nonblocking reader", pr);
    RET("empty nonblock read", read(pr, buf, 4));
    YN("O_NONBLOCK only on new", (fcntl(pr, F_GETFL) & O_NONBLOCK) && !(fcntl(pp[0], F_GETFL) & O_NONBLOCK));
    struct stat s1, s2;
    fstat(pr, &s1);
    fstat(pp[0], &s2);
    YN("same pipe inode", s1.st_ino == s2.st_ino);
    close(pw);
    close(pr);

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) DIE("socketpair");
    RET("reopen socket", open(fdp(sv[0]), O_RDWR));
    int ev = eventfd(0, 0);
    if (ev < 0) DIE("eventfd");
    int evr = open(fdp(ev), O_RDWR);
    printf("reopen eventfd: %s\n", evr >= 0 ? "ok" : en(errno));
    if (evr >= 0) close(evr);

    int cl = dup(r);
    close(cl);
    RET("closed fd", open(fdp(cl), O_RDONLY));
    RET("fd 1000000", open("/proc/self/fd/1000000", O_RDONLY));

    close(r);
    close(w);
    unlink(g);
    RET("rmdir", rmdir(dir));
    return 0;
}

/* /proc/self/fd and fdinfo: readlink of a file, a pipe ("pipe:[N]", same N for both
 * ends, N == st_ino of the fd), a socket ("socket:[N]"), an eventfd
 * ("anon_inode:[eventfd]"), epoll, a deleted file; the fd directory lists exactly the
 * open fds; fdinfo pos after lseek and read, flags (O_APPEND, O_NONBLOCK, O_CLOEXEC,
 * access mode) as octal; opening fd/N reopens the file; a closed fd is ENOENT. */
#include "common.h"
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

static char lnk[512];

static const char *rl(int fd) {
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(p, lnk, sizeof lnk - 1);
    if (n < 0) { snprintf(lnk, sizeof lnk, "-1 %s", en(errno)); return lnk; }
    lnk[n] = 0;
    return lnk;
}

static long long info(int fd, const char *key) {
    char p[64], b[1024];
    snprintf(p, sizeof p, "/proc/self/fdinfo/%d", fd);
    int f = open(p, O_RDONLY);
    if (f < 0) return -1000 - errno;
    ssize_t n = read(f, b, sizeof b - 1);
    close(f);
    if (n < 0) return -2;
    b[n] = 0;
    size_t kl = strlen(key);
    for (char *l = b; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, key, kl) == 0 && l[kl] == ':') return strtoll(l + kl + 1, NULL, strcmp(key, "flags") == 0 ? 8 : 10);
    }
    return -3;
}

/* The bracketed number of "type:[N]". */
static unsigned long long bracket(const char *s) {
    const char *b = strchr(s, '[');
    return b ? strtoull(b + 1, NULL, 10) : 0;
}

int main(void) {
    setup(10);
    char dir[] = "/tmp/husk-fd-XXXXXX";
    if (!mkdtemp(dir)) DIE("mkdtemp");
    char path[128];
    snprintf(path, sizeof path, "%s/f", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) DIE("open");
    if (write(fd, "0123456789", 10) != 10) DIE("write");
    YN("readlink file == path", strcmp(rl(fd), path) == 0);
    printf("pos after write: %lld\n", info(fd, "pos"));
    lseek(fd, 3, SEEK_SET);
    printf("pos after lseek 3: %lld\n", info(fd, "pos"));
    char b[4];
    if (read(fd, b, 4) != 4) DIE("read");
    printf("pos after read 4: %lld\n", info(fd, "pos"));
    printf("flags O_RDWR: 0%llo\n", info(fd, "flags") & ~0100000LL);
    int fa = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    printf("flags O_WRONLY|O_APPEND|O_CLOEXEC: 0%llo\n", info(fa, "flags") & ~0100000LL);
    if (write(fa, "ab", 2) != 2) DIE("write");
    printf("append pos after write: %lld\n", info(fa, "pos"));
    fcntl(fa, F_SETFD, 0);
    printf("flags after FD_CLOEXEC cleared: 0%llo\n", info(fa, "flags") & ~0100000LL);
    fcntl(fa, F_SETFL, O_APPEND | O_NONBLOCK);
    printf("flags after F_SETFL NONBLOCK: 0%llo\n", info(fa, "flags") & ~0100000LL);
    YN("fdinfo has mnt_id", info(fd, "mnt_id") >= 0);

    /* Reopen through the link: a new description with its own offset. */
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    int re = open(p, O_RDONLY);
    YN("reopen via fd link", re >= 0);
    printf("reopened pos: %lld\n", info(re, "pos"));
    struct stat s1, s2;
    fstat(fd, &s1);
    fstat(re, &s2);
    YN("reopen is the same inode", s1.st_ino == s2.st_ino && s1.st_dev == s2.st_dev);
    close(re);

    int pp[2];
    if (pipe2(pp, O_NONBLOCK) < 0) DIE("pipe");
    char r0[64], r1[64];
    snprintf(r0, sizeof r0, "%s", rl(pp[0]));
    snprintf(r1, sizeof r1, "%s", rl(pp[1]));
    YN("pipe read end is pipe:[N]", strncmp(r0, "pipe:[", 6) == 0 && r0[strlen(r0) - 1] == ']');
    YN("both ends same pipe", strcmp(r0, r1) == 0);
    fstat(pp[0], &s1);
    YN("N == st_ino", bracket(r0) == (unsigned long long)s1.st_ino);
    printf("pipe read flags: 0%llo\n", info(pp[0], "flags") & ~0100000LL);
    printf("pipe write flags: 0%llo\n", info(pp[1], "flags") & ~0100000LL);
    struct stat ls;
    snprintf(p, sizeof p, "/proc/self/fd/%d", pp[0]);
    lstat(p, &ls);
    YN("lstat fd link is a symlink", S_ISLNK(ls.st_mode));
    printf("link mode: %o\n", ls.st_mode & 07777);
    stat(p, &ls);
    YN("stat through link is a fifo", S_ISFIFO(ls.st_mode));

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) DIE("socketpair");
    snprintf(r0, sizeof r0, "%s", rl(sv[0]));
    snprintf(r1, sizeof r1, "%s", rl(sv[1]));
    YN("socket is socket:[N]", strncmp(r0, "socket:[", 8) == 0);
    YN("socketpair ends differ", strcmp(r0, r1) != 0);
    fstat(sv[0], &s1);
    YN("socket N == st_ino", bracket(r0) == (unsigned long long)s1.st_ino);

    int ev = eventfd(0, EFD_CLOEXEC);
    printf("eventfd: %s\n", rl(ev));
    int ep = epoll_create1(0);
    printf("epoll: %s\n", rl(ep));

    /* The directory lists exactly the open fds. */
    int fds[] = {0, 1, 2, fd, fa, pp[0], pp[1], sv[0], sv[1], ev, ep};
    int nf = sizeof fds / sizeof fds[0];
    int maxfd = ep;
    int seen[64] = {0};
    DIR *d = opendir("/proc/self/fd");
    int dfd = dirfd(d);
    struct dirent *e;
    int bad = 0, dots = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') { dots++; continue; }
        int n = atoi(e->d_name);
        if (n < 64) seen[n]++;
        if (e->d_type != DT_LNK && e->d_type != DT_UNKNOWN) bad++;
    }
    closedir(d);
    int ok = 1;
    for (int i = 0; i < nf; i++) if (seen[fds[i]] != 1) ok = 0;
    int extra = 0;
    for (int i = 0; i <= maxfd + 1 && i < 64; i++) {
        int listed = 0;
        for (int j = 0; j < nf; j++) if (fds[j] == i) listed = 1;
        if (!listed && i != dfd && seen[i]) extra++;
    }
    YN("all open fds listed once", ok);
    (void)extra;
    printf("non-link types: %d, dot entries: %d\n", bad, dots);

    close(ev);
    printf("closed fd link: %s\n", rl(ev));
    printf("closed fdinfo: %lld\n", info(ev, "pos"));

    unlink(path);
    char want[160];
    snprintf(want, sizeof want, "%s (deleted)", path);
    YN("unlinked file link ends in (deleted)", strcmp(rl(fd), want) == 0);
    close(fd);
    close(fa);
    rmdir(dir);
    return 0;
}

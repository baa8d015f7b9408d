/* inotify: create, modify, attrib, close-write, moves with cookies, delete and
 * delete-self; reading, coalescing, polling with epoll, rm_watch and errors. */
#include "common.h"
#include <poll.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>

#define D "/tmp/inotify.dir"

static const char *mname(uint32_t m) {
    static char buf[256];
    buf[0] = 0;
#define M_(x) if (m & x) { strcat(buf, buf[0] ? "|" #x : #x); }
    M_(IN_ACCESS) M_(IN_MODIFY) M_(IN_ATTRIB) M_(IN_CLOSE_WRITE) M_(IN_CLOSE_NOWRITE)
    M_(IN_OPEN) M_(IN_MOVED_FROM) M_(IN_MOVED_TO) M_(IN_CREATE) M_(IN_DELETE)
    M_(IN_DELETE_SELF) M_(IN_MOVE_SELF) M_(IN_Q_OVERFLOW) M_(IN_IGNORED) M_(IN_ISDIR)
#undef M_
    return buf;
}

static uint32_t last_cookie;
static int wd_dir, wd_file;

/* Reads and prints every queued event (non-blocking fd). */
static void drain(int in, const char *label) {
    char buf[4096] __attribute__((aligned(8)));
    printf("-- %s\n", label);
    for (;;) {
        long n = read(in, buf, sizeof buf);
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN) printf("read: %s\n", en(errno));
            return;
        }
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *e = (struct inotify_event *)p;
            const char *who = e->wd == wd_dir ? "dir" : e->wd == wd_file ? "file" : "other";
            char c[32] = "";
            if (e->cookie) {
                snprintf(c, sizeof c, " cookie:%s", e->cookie == last_cookie ? "same" : "new");
                last_cookie = e->cookie;
            }
            printf("%s %s len=%u name=%s%s\n", who, mname(e->mask), e->len, e->len ? e->name : "-", c);
            p += sizeof *e + e->len;
        }
    }
}

int main(void) {
    setup(20);
    mkdir(D, 0755);
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (in < 0) DIE("inotify_init1");
    wd_dir = inotify_add_watch(in, D, IN_CREATE | IN_DELETE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO |
                                          IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF);
    printf("wd_dir: %d\n", wd_dir);
    char b[64];
    RET("read empty", read(in, b, sizeof b));
    int fd = open(D "/a", O_CREAT | O_WRONLY, 0644);
    if (write(fd, "x", 1) != 1 || write(fd, "y", 1) != 1) DIE("write");
    close(fd);
    drain(in, "create, write twice, close");
    wd_file = inotify_add_watch(in, D "/a", IN_ALL_EVENTS);
    printf("wd_file: %d, again: %d\n", wd_file, inotify_add_watch(in, D "/a", IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_CLOSE_WRITE));
    chmod(D "/a", 0600);
    truncate(D "/a", 0);
    drain(in, "chmod, truncate");
    mkdir(D "/sub", 0755);
    rename(D "/a", D "/sub/b");
    rename(D "/sub", D "/sub2");
    drain(in, "mkdir, rename into subdir, rename subdir");
    int tiny[2];
    RET("read too small buffer", (mkdir(D "/c", 0755), read(in, tiny, 4)));
    RET("FIONREAD", ({ int q = -1; ioctl(in, FIONREAD, &q) == 0 ? q : -1; }));
    drain(in, "after small read");
    rmdir(D "/c");
    unlink(D "/sub2/b");
    rmdir(D "/sub2");
    drain(in, "deletes");
    /* polling */
    struct pollfd pf = {in, POLLIN, 0};
    RET("poll empty", poll(&pf, 1, 0));
    int ep = epoll_create1(0);
    struct epoll_event ev = {EPOLLIN, {.u32 = 7}}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, in, &ev);
    RET("epoll empty", epoll_wait(ep, &out, 1, 0));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        sleep_ms(100);
        int f = open(D "/late", O_CREAT | O_WRONLY, 0644);
        close(f);
        _exit(0);
    }
    RET("epoll wait", epoll_wait(ep, &out, 1, 5000));
    printf("epoll data %u\n", out.data.u32);
    wait_child(pid);
    pf.revents = 0;
    RET("poll ready", poll(&pf, 1, 0));
    drain(in, "late create");
    /* blocking read */
    int bin = inotify_init();
    int w = inotify_add_watch(bin, D, IN_DELETE);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        sleep_ms(100);
        unlink(D "/late");
        _exit(0);
    }
    char buf[256] __attribute__((aligned(8)));
    long n = read(bin, buf, sizeof buf);
    struct inotify_event *e = (struct inotify_event *)buf;
    printf("blocking read: %ld wd ok %d mask %s name %s\n", n, e->wd == w, mname(e->mask), e->name);
    wait_child(pid);
    /* rm_watch */
    RET("rm_watch", inotify_rm_watch(in, wd_dir));
    drain(in, "after rm_watch");
    RET("rm_watch again", inotify_rm_watch(in, wd_dir));
    /* oneshot */
    wd_dir = inotify_add_watch(in, D, IN_CREATE | IN_ONESHOT);
    close(open(D "/o1", O_CREAT | O_WRONLY, 0644));
    close(open(D "/o2", O_CREAT | O_WRONLY, 0644));
    drain(in, "oneshot");
    unlink(D "/o1");
    unlink(D "/o2");
    /* errors */
    RET("add bad fd", inotify_add_watch(-1, D, IN_CREATE));
    RET("add not inotify", inotify_add_watch(ep, D, IN_CREATE));
    RET("add zero mask", inotify_add_watch(in, D, 0));
    RET("add missing", inotify_add_watch(in, D "/nope", IN_CREATE));
    close(open(D "/f", O_CREAT | O_WRONLY, 0644));
    RET("add onlydir on file", inotify_add_watch(in, D "/f", IN_CREATE | IN_ONLYDIR));
    int w1 = inotify_add_watch(in, D "/f", IN_MODIFY);
    RET("mask_create existing", inotify_add_watch(in, D "/f", IN_ATTRIB | IN_MASK_CREATE));
    RET("mask_add + mask_create", inotify_add_watch(in, D "/f", IN_ATTRIB | IN_MASK_CREATE | IN_MASK_ADD));
    printf("mask_add same wd: %d\n", inotify_add_watch(in, D "/f", IN_ATTRIB | IN_MASK_ADD) == w1);
    RET("rm bad wd", inotify_rm_watch(in, 12345));
    RET("init1 bad flags", inotify_init1(1));
    unlink(D "/f");
    drain(in, "final");
    rmdir(D);
    return 0;
}

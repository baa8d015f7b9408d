/* epoll_ctl and epoll_create rules: EEXIST, ENOENT, EBADF, EPERM for regular files,
 * EINVAL for the epoll fd itself, non-epoll fds, bad ops and EPOLLEXCLUSIVE misuse
 * (with MOD, with ONESHOT, on an epoll target), ELOOP for cycles, closing the last
 * fd of a file removes it while a dup keeps it registered (DEL then needs the
 * original fd number: EBADF/ENOENT), data returned as registered, maxevents rules. */
#include "common.h"
#include <sys/epoll.h>
#include <sys/eventfd.h>

static int ready(int ep, uint64_t *data, uint32_t *evs) {
    struct epoll_event out[8];
    int n = epoll_wait(ep, out, 8, 0);
    if (n > 0) {
        if (data) *data = out[0].data.u64;
        if (evs) *evs = out[0].events;
    }
    return n;
}

int main(void) {
    setup(10);
    RET("epoll_create(0)", epoll_create(0));
    RET("epoll_create(-1)", epoll_create(-1));
    OK("epoll_create(1)", epoll_create(1));
    RET("epoll_create1(bad flag)", epoll_create1(1));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) DIE("epoll_create1");
    RET("FD_CLOEXEC set", fcntl(ep, F_GETFD) & FD_CLOEXEC);

    int p[2];
    if (pipe(p)) DIE("pipe");
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ULL};
    RET("ADD pipe", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));
    RET("ADD again", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));
    RET("MOD unregistered", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &e));
    RET("DEL unregistered", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], &e));
    RET("bad op", epoll_ctl(ep, 99, p[0], &e));
    RET("ADD closed fd", epoll_ctl(ep, EPOLL_CTL_ADD, 999, &e));
    RET("ctl on bad epfd", epoll_ctl(999, EPOLL_CTL_ADD, p[0], &e));
    RET("ctl on non-epoll epfd", epoll_ctl(p[1], EPOLL_CTL_ADD, p[0], &e));
    RET("ADD epfd to itself", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &e));
    RET("ADD NULL event", epoll_ctl(ep, EPOLL_CTL_ADD, p[1], NULL));
    RET("DEL NULL event ok", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    RET("ADD back", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));

    char dir[] = "/tmp/ev_epoll_ctl_XXXXXX";
    if (!mkdtemp(dir)) DIE("mkdtemp");
    char path[64];
    snprintf(path, sizeof path, "%s/f", dir);
    int f = open(path, O_RDWR | O_CREAT, 0600);
    RET("ADD regular file", epoll_ctl(ep, EPOLL_CTL_ADD, f, &e));
    close(f);
    unlink(path);
    rmdir(dir);
    int dn = open("/dev/null", O_RDONLY);
    RET("ADD /dev/null", epoll_ctl(ep, EPOLL_CTL_ADD, dn, &e));
    close(dn);

    /* EPOLLEXCLUSIVE. */
    int ex = eventfd(0, 0);
    struct epoll_event x = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.u64 = 5};
    RET("ADD EXCLUSIVE", epoll_ctl(ep, EPOLL_CTL_ADD, ex, &x));
    RET("MOD with EXCLUSIVE", epoll_ctl(ep, EPOLL_CTL_MOD, ex, &x));
    x.events = EPOLLIN;
    RET("MOD of an EXCLUSIVE entry", epoll_ctl(ep, EPOLL_CTL_MOD, ex, &x));
    RET("DEL EXCLUSIVE entry", epoll_ctl(ep, EPOLL_CTL_DEL, ex, NULL));
    x.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
    RET("ADD EXCLUSIVE|ONESHOT", epoll_ctl(ep, EPOLL_CTL_ADD, ex, &x));
    int ep2 = epoll_create1(0);
    x.events = EPOLLIN | EPOLLEXCLUSIVE;
    RET("ADD EXCLUSIVE epoll target", epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &x));
    x.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLET;
    RET("ADD EXCLUSIVE|ET", epoll_ctl(ep, EPOLL_CTL_ADD, ex, &x));
    RET("DEL", epoll_ctl(ep, EPOLL_CTL_DEL, ex, NULL));

    /* Nesting and loops. */
    struct epoll_event ne = {.events = EPOLLIN, .data.u64 = 9};
    RET("ADD ep2 into ep", epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &ne));
    RET("ADD ep into ep2 (loop)", epoll_ctl(ep2, EPOLL_CTL_ADD, ep, &ne));
    int ep3 = epoll_create1(0);
    RET("ADD ep into ep3", epoll_ctl(ep3, EPOLL_CTL_ADD, ep, &ne));
    RET("ADD ep3 into ep2 (longer loop)", epoll_ctl(ep2, EPOLL_CTL_ADD, ep3, &ne));
    RET("DEL ep2 from ep", epoll_ctl(ep, EPOLL_CTL_DEL, ep2, NULL));

    /* Data round trip and events reported. */
    write(p[1], "a", 1);
    uint64_t d = 0;
    uint32_t ev = 0;
    RET("ready count", ready(ep, &d, &ev));
    YN("data as registered", d == 0x1122334455667788ULL);
    printf("events 0x%x\n", ev);
    e.events = EPOLLOUT;
    e.data.u64 = 77;
    RET("MOD to OUT", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e));
    RET("read end not writable", ready(ep, NULL, NULL));

    /* A dup keeps the registration after the original fd is closed. */
    e.events = EPOLLIN;
    e.data.u64 = 1;
    epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e);
    int dupfd = dup(p[0]);
    int orig = p[0];
    close(orig);
    RET("ready after closing the registered fd (dup open)", ready(ep, &d, NULL));
    printf("data %llu\n", (unsigned long long)d);
    RET("DEL via closed number", epoll_ctl(ep, EPOLL_CTL_DEL, orig, NULL));
    RET("DEL via the dup", epoll_ctl(ep, EPOLL_CTL_DEL, dupfd, NULL));
    RET("ADD the dup", epoll_ctl(ep, EPOLL_CTL_ADD, dupfd, &e));
    RET("ready", ready(ep, NULL, NULL));
    close(dupfd);
    RET("ready after closing the last fd", ready(ep, NULL, NULL));
    /* The same number reused for another file is a fresh entry. */
    int np[2];
    pipe(np);
    e.data.u64 = 2;
    RET("ADD new pipe", epoll_ctl(ep, EPOLL_CTL_ADD, np[0], &e));

    /* Two fds of the same file are two registrations. */
    int efd = eventfd(1, 0);
    int efd2 = dup(efd);
    int ep4 = epoll_create1(0);
    struct epoll_event a = {.events = EPOLLIN, .data.u64 = 1}, b = {.events = EPOLLIN, .data.u64 = 2};
    RET("ADD eventfd", epoll_ctl(ep4, EPOLL_CTL_ADD, efd, &a));
    RET("ADD its dup", epoll_ctl(ep4, EPOLL_CTL_ADD, efd2, &b));
    RET("both ready", ready(ep4, NULL, NULL));

    /* epoll_wait arguments. */
    struct epoll_event out[2];
    RET("epoll_wait maxevents 0", epoll_wait(ep4, out, 0, 0));
    RET("epoll_wait maxevents -1", epoll_wait(ep4, out, -1, 0));
    RET("epoll_wait maxevents 1", epoll_wait(ep4, out, 1, 0));
    RET("epoll_wait on a pipe", epoll_wait(np[1], out, 2, 0));
    RET("epoll_wait bad fd", epoll_wait(999, out, 2, 0));
    RET("epoll_wait bad buffer", epoll_wait(ep4, (struct epoll_event *)8, 2, 0));
    RET("epoll_wait maxevents huge", epoll_wait(ep4, out, 0x7fffffff, 0));
    return 0;
}

/* epoll (level, edge, oneshot) over pipes and eventfd; eventfd counter and semaphore modes. */
#include "common.h"
#include <stdio.h>
#include <stdint.h>
#include <unistd.h>
#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

static int wait_n(int ep, int ms) {
    struct epoll_event ev[8];
    int n = epoll_wait(ep, ev, 8, ms);
    return n;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int efd = eventfd(3, EFD_NONBLOCK);
    uint64_t v = 0;
    printf("eventfd read: %zd value %llu\n", read(efd, &v, 8), (unsigned long long)v);
    printf("eventfd empty read: %zd %s\n", read(efd, &v, 8), en(errno));
    v = 5;
    write(efd, &v, 8);
    v = 2;
    write(efd, &v, 8);
    read(efd, &v, 8);
    printf("eventfd sum: %llu\n", (unsigned long long)v);
    v = 0xfffffffffffffffeULL;
    printf("eventfd overflow write: %zd %s\n", write(efd, &v, 8), en(errno));
    int sem = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
    read(sem, &v, 8);
    printf("semaphore read 1: %llu\n", (unsigned long long)v);
    read(sem, &v, 8);
    printf("semaphore read 2: %llu\n", (unsigned long long)v);
    printf("semaphore read 3: %zd %s\n", read(sem, &v, 8), en(errno));

    int p[2];
    pipe(p);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event e = { .events = EPOLLIN, .data.u64 = 42 };
    printf("ctl add: %d\n", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));
    printf("ctl add again: %d %s\n", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e), en(errno));
    printf("empty wait: %d\n", wait_n(ep, 0));
    write(p[1], "ab", 2);
    struct epoll_event out[4];
    int n = epoll_wait(ep, out, 4, 1000);
    printf("level wait: %d data %llu in %d\n", n, (unsigned long long)out[0].data.u64, !!(out[0].events & EPOLLIN));
    printf("level again: %d\n", wait_n(ep, 0));
    e.events = EPOLLIN | EPOLLET;
    epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e);
    printf("edge first: %d\n", wait_n(ep, 0));
    printf("edge second: %d\n", wait_n(ep, 0));
    char buf[8];
    read(p[0], buf, 8);
    write(p[1], "c", 1);
    printf("edge after new data: %d\n", wait_n(ep, 0));
    read(p[0], buf, 8);
    e.events = EPOLLIN | EPOLLONESHOT;
    epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e);
    write(p[1], "d", 1);
    printf("oneshot first: %d\n", wait_n(ep, 0));
    printf("oneshot second: %d\n", wait_n(ep, 0));
    epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e);
    printf("oneshot rearmed: %d\n", wait_n(ep, 0));
    printf("ctl del: %d\n", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    printf("ctl del again: %d %s\n", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), en(errno));
    struct epoll_event ee = { .events = EPOLLIN, .data.u64 = 7 };
    epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ee);
    printf("eventfd not ready: %d\n", wait_n(ep, 50));
    if (fork() == 0) {
        usleep(50000);
        uint64_t one = 1;
        write(efd, &one, 8);
        _exit(0);
    }
    n = epoll_wait(ep, out, 4, 5000);
    printf("eventfd from child: %d data %llu\n", n, (unsigned long long)out[0].data.u64);
    close(p[1]);
    e.events = EPOLLIN;
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e);
    n = epoll_wait(ep, out, 4, 0);
    int hup = 0;
    for (int i = 0; i < n; i++) if (out[i].data.u64 == 42) hup = !!(out[i].events & EPOLLHUP);
    printf("hup after writer closed: %d\n", hup);
    printf("epoll on self: %d %s\n", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &e), en(errno));
    return 0;
}

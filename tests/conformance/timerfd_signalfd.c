/* timerfd (relative, interval, gettime, poll) and signalfd (read, poll). */
#include "common.h"
#include <stdio.h>
#include <stdint.h>
#include <unistd.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <sys/timerfd.h>
#include <sys/signalfd.h>

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec its = { .it_value = { 0, 50 * 1000000 } };
    printf("settime: %d\n", timerfd_settime(tfd, 0, &its, NULL));
    struct itimerspec cur;
    timerfd_gettime(tfd, &cur);
    printf("armed: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0);
    uint64_t exp = 0;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    printf("blocking read: %zd exp %llu\n", read(tfd, &exp, 8), (unsigned long long)exp);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    printf("waited >= 40ms: %s\n", ms >= 40 ? "yes" : "no");
    its.it_value.tv_nsec = 10 * 1000000;
    its.it_interval.tv_nsec = 10 * 1000000;
    timerfd_settime(tfd, 0, &its, NULL);
    usleep(55000);
    read(tfd, &exp, 8);
    printf("interval expirations >= 3: %s\n", exp >= 3 ? "yes" : "no");
    struct pollfd pfd = { .fd = tfd, .events = POLLIN };
    printf("poll interval timer: %d\n", poll(&pfd, 1, 1000));
    struct itimerspec off = { 0 };
    timerfd_settime(tfd, 0, &off, NULL);
    int nb = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    printf("disarmed read: %zd %s\n", read(nb, &exp, 8), en(errno));

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_NONBLOCK);
    struct signalfd_siginfo si;
    printf("signalfd empty: %zd %s\n", read(sfd, &si, sizeof si), en(errno));
    kill(getpid(), SIGUSR2);
    struct pollfd sp = { .fd = sfd, .events = POLLIN };
    printf("signalfd poll: %d\n", poll(&sp, 1, 1000));
    printf("signalfd read: %zd signo %s\n", read(sfd, &si, sizeof si), si.ssi_signo == SIGUSR2 ? "SIGUSR2" : "other");
    printf("sender pid matches: %s\n", si.ssi_pid == (uint32_t)getpid() ? "yes" : "no");
    sigset_t pend;
    sigpending(&pend);
    printf("consumed: %s\n", sigismember(&pend, SIGUSR2) ? "no" : "yes");
    return 0;
}

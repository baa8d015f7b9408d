/* ppoll with a signal mask: a pending signal unblocked by the mask interrupts with
 * EINTR (even with SA_RESTART) and runs its handler, the caller's mask is restored
 * afterwards; a signal blocked by the mask stays pending and ppoll times out; a signal
 * sent by another thread during a blocking ppoll; the remaining timeout written back;
 * bad timeouts and sigset sizes; NULL timeout with ready fds. */
#include "common.h"
#include <poll.h>
#include <pthread.h>

static volatile int hits;
static void h(int s) {
    (void)s;
    hits++;
}

static pthread_t main_thread;
static void *killer(void *a) {
    (void)a;
    sleep_ms(40);
    pthread_kill(main_thread, SIGUSR2);
    return NULL;
}

static long rppoll(struct pollfd *f, unsigned n, struct timespec *ts, sigset_t *m, size_t sz) {
    return syscall(SYS_ppoll, f, n, ts, m, sz);
}

int main(void) {
    setup(10);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigset_t blk, empty, cur;
    sigemptyset(&blk);
    sigaddset(&blk, SIGUSR1);
    sigaddset(&blk, SIGUSR2);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &blk, NULL);

    int p[2];
    if (pipe(p)) DIE("pipe");
    struct pollfd pf = {p[0], POLLIN, 0};

    raise(SIGUSR1);
    printf("handler ran before ppoll: %d\n", hits);
    struct timespec ts = {1, 0};
    long long t0 = now_ns(CLOCK_MONOTONIC);
    RET("ppoll, mask unblocks pending SIGUSR1", rppoll(&pf, 1, &ts, &empty, 8));
    printf("handler ran: %d\n", hits);
    YN("returned at once (< 500ms)", now_ns(CLOCK_MONOTONIC) - t0 < 500000000LL);
    sigprocmask(SIG_SETMASK, NULL, &cur);
    YN("SIGUSR1 blocked again after ppoll", sigismember(&cur, SIGUSR1));

    /* Blocked by the mask: stays pending, ppoll times out. */
    raise(SIGUSR1);
    sigset_t only1 = blk;
    ts.tv_sec = 0;
    ts.tv_nsec = 30 * 1000000L;
    RET("ppoll, mask blocks pending SIGUSR1", rppoll(&pf, 1, &ts, &only1, 8));
    printf("remaining timeout: %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
    printf("handler ran: %d\n", hits);
    sigset_t pend;
    sigpending(&pend);
    YN("SIGUSR1 still pending", sigismember(&pend, SIGUSR1));
    /* A mask that blocks SIGUSR2 only lets the pending SIGUSR1 in. */
    sigset_t only2;
    sigemptyset(&only2);
    sigaddset(&only2, SIGUSR2);
    ts.tv_sec = 1;
    ts.tv_nsec = 0;
    RET("ppoll, mask blocks only SIGUSR2", rppoll(&pf, 1, &ts, &only2, 8));
    printf("handler ran: %d\n", hits);
    YN("remaining timeout decreased but positive", ts.tv_sec == 0 && ts.tv_nsec > 0);

    /* Ready fd with a pending deliverable signal: the fd wins? Linux checks fds first. */
    write(p[1], "x", 1);
    raise(SIGUSR1);
    RET("ppoll ready fd + pending signal", rppoll(&pf, 1, NULL, &empty, 8));
    printf("revents IN: %s handler ran: %d\n", (pf.revents & POLLIN) ? "yes" : "no", hits);
    sigpending(&pend);
    YN("SIGUSR1 pending after", sigismember(&pend, SIGUSR1));
    /* Consume it by unblocking. */
    sigprocmask(SIG_UNBLOCK, &blk, NULL);
    sigprocmask(SIG_BLOCK, &blk, NULL);
    printf("handler ran after unblock: %d\n", hits);
    char c;
    read(p[0], &c, 1);

    /* A signal from another thread during a blocking ppoll. */
    main_thread = pthread_self();
    pthread_t th;
    pthread_create(&th, NULL, killer, NULL);
    t0 = now_ns(CLOCK_MONOTONIC);
    RET("blocking ppoll, thread sends SIGUSR2", rppoll(&pf, 1, NULL, &empty, 8));
    pthread_join(th, NULL);
    printf("handler ran: %d\n", hits);
    YN("waited >= 30ms", now_ns(CLOCK_MONOTONIC) - t0 >= 30000000LL);
    /* Same, but the ppoll mask blocks it: the timeout ends ppoll, the signal stays. */
    pthread_create(&th, NULL, killer, NULL);
    ts.tv_sec = 0;
    ts.tv_nsec = 100 * 1000000L;
    RET("ppoll 100ms, SIGUSR2 blocked by mask", rppoll(&pf, 1, &ts, &blk, 8));
    pthread_join(th, NULL);
    printf("handler ran: %d\n", hits);
    sigpending(&pend);
    YN("SIGUSR2 pending", sigismember(&pend, SIGUSR2));
    sigprocmask(SIG_UNBLOCK, &blk, NULL);
    printf("handler ran after unblock: %d\n", hits);
    sigprocmask(SIG_BLOCK, &blk, NULL);

    /* Errors. */
    ts.tv_sec = -1;
    ts.tv_nsec = 0;
    RET("ppoll negative tv_sec", rppoll(&pf, 1, &ts, &empty, 8));
    ts.tv_sec = 0;
    ts.tv_nsec = 1000000000L;
    RET("ppoll tv_nsec 1e9", rppoll(&pf, 1, &ts, &empty, 8));
    ts.tv_nsec = 0;
    RET("ppoll sigsetsize 4", rppoll(&pf, 1, &ts, &empty, 4));
    RET("ppoll sigsetsize 16", rppoll(&pf, 1, &ts, &empty, 16));
    RET("ppoll NULL mask, size 4", rppoll(&pf, 1, &ts, NULL, 4));
    RET("ppoll bad mask pointer", rppoll(&pf, 1, &ts, (sigset_t *)8, 8));
    RET("ppoll bad timeout pointer", rppoll(&pf, 1, (struct timespec *)8, NULL, 8));
    /* A zero timeout is written back as zero. */
    ts.tv_sec = 0;
    ts.tv_nsec = 0;
    RET("ppoll zero timeout", rppoll(&pf, 1, &ts, NULL, 8));
    printf("remaining: %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
    /* SIGKILL/SIGSTOP in the mask are ignored (no error). */
    sigset_t all;
    sigfillset(&all);
    RET("ppoll mask with everything", rppoll(&pf, 1, &ts, &all, 8));
    return 0;
}

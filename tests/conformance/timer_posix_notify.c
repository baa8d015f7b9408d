/* POSIX timers: SIGEV_THREAD_ID delivers to the named thread (and EINVAL for a tid of
 * another process), SIGEV_NONE counts down with no signal, SIGEV_SIGNAL si_code
 * SI_TIMER and si_value, overruns while the signal is blocked (timer_getoverrun and
 * si_overrun), default sigevent (SIGALRM, value = timer id), timer_delete stops a
 * pending-capable timer, errors (bad notify, bad signal, bad clock, deleted ids). */
#include "common.h"
#include <pthread.h>

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

static volatile int got_sig, got_tid, got_code, got_val, got_ovr;
static void h(int s, siginfo_t *si, void *u) {
    (void)u;
    got_sig = s;
    got_tid = (int)syscall(SYS_gettid);
    got_code = si->si_code;
    got_val = si->si_value.sival_int;
    got_ovr = si->si_overrun;
}

static volatile int worker_tid, stop;
static void *worker(void *a) {
    (void)a;
    worker_tid = (int)syscall(SYS_gettid);
    while (!stop) sleep_ms(1);
    return NULL;
}

static void wait_sig(int ms) {
    for (int i = 0; i < ms && !got_sig; i++) sleep_ms(1);
}

int main(void) {
    setup(10);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGRTMIN, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);

    /* SIGEV_THREAD_ID: the worker gets it; the main thread blocks it. */
    pthread_t th;
    pthread_create(&th, NULL, worker, NULL);
    while (!worker_tid) sleep_ms(1);
    sigset_t blk;
    sigemptyset(&blk);
    sigaddset(&blk, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &blk, NULL);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = SIGUSR1;
    sev.sigev_value.sival_int = 77;
    sev.sigev_notify_thread_id = worker_tid;
    timer_t t1;
    RET("timer_create THREAD_ID", timer_create(CLOCK_MONOTONIC, &sev, &t1));
    struct itimerspec its = {{0, 0}, {0, 20 * 1000000L}};
    RET("settime 20ms", timer_settime(t1, 0, &its, NULL));
    wait_sig(2000);
    printf("signal %s in worker %s code SI_TIMER %s value %d\n", signame(got_sig),
           got_tid == worker_tid ? "yes" : "no", got_code == SI_TIMER ? "yes" : "no", got_val);
    timer_delete(t1);
    stop = 1;
    pthread_join(th, NULL);
    pthread_sigmask(SIG_UNBLOCK, &blk, NULL);
    pid_t other = fork();
    if (other == 0) {
        pause();
        _exit(0);
    }
    sev.sigev_notify_thread_id = other;
    RET("THREAD_ID of another process", timer_create(CLOCK_MONOTONIC, &sev, &t1));
    kill(other, SIGKILL);
    wait_child(other);
    sev.sigev_notify_thread_id = 0x3fffffff;
    RET("THREAD_ID of no thread", timer_create(CLOCK_MONOTONIC, &sev, &t1));
    sev.sigev_notify = SIGEV_THREAD_ID | SIGEV_SIGNAL;
    sev.sigev_notify_thread_id = (int)syscall(SYS_gettid);
    RET("THREAD_ID|SIGNAL on itself", timer_create(CLOCK_MONOTONIC, &sev, &t1));
    timer_delete(t1);

    /* SIGEV_NONE: counts down, no signal. */
    got_sig = 0;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_NONE;
    timer_t t2;
    RET("timer_create NONE", timer_create(CLOCK_MONOTONIC, &sev, &t2));
    its.it_value.tv_nsec = 30 * 1000000L;
    its.it_interval.tv_nsec = 0;
    timer_settime(t2, 0, &its, NULL);
    struct itimerspec cur;
    timer_gettime(t2, &cur);
    YN("armed, remaining in (0, 30ms]", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 30000000L);
    sleep_ms(50);
    timer_gettime(t2, &cur);
    YN("expired: remaining 0", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
    printf("signal received: %d\n", got_sig);
    /* With an interval it keeps counting down. */
    its.it_value.tv_nsec = 10 * 1000000L;
    its.it_interval.tv_nsec = 10 * 1000000L;
    timer_settime(t2, 0, &its, NULL);
    sleep_ms(35);
    timer_gettime(t2, &cur);
    YN("interval NONE timer rearmed, remaining in (0, 10ms]", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 10000000L);
    RET("timer_delete NONE", timer_delete(t2));

    /* Overruns while the signal is blocked. */
    got_sig = 0;
    sigemptyset(&blk);
    sigaddset(&blk, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &blk, NULL);
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGRTMIN;
    sev.sigev_value.sival_int = 5;
    timer_t t3;
    timer_create(CLOCK_MONOTONIC, &sev, &t3);
    its.it_value.tv_nsec = 2 * 1000000L;
    its.it_interval.tv_nsec = 2 * 1000000L;
    timer_settime(t3, 0, &its, NULL);
    sleep_ms(50);
    sigset_t pend;
    sigpending(&pend);
    YN("SIGRTMIN pending", sigismember(&pend, SIGRTMIN));
    /* Consume it while still blocked: the overrun travels in si_overrun and stays
     * readable with timer_getoverrun until the next delivery. */
    siginfo_t info;
    struct timespec nowait = {0, 0};
    RET("sigtimedwait", sigtimedwait(&blk, &info, &nowait) == SIGRTMIN ? 0 : -1);
    printf("code SI_TIMER %s value %d\n", info.si_code == SI_TIMER ? "yes" : "no", info.si_value.sival_int);
    YN("si_overrun >= 5", info.si_overrun >= 5);
    YN("timer_getoverrun equals si_overrun", timer_getoverrun(t3) == info.si_overrun);
    struct itimerspec zero = {{0, 0}, {0, 0}};
    timer_settime(t3, 0, &zero, NULL);
    while (sigtimedwait(&blk, &info, &nowait) > 0) {
    }
    sigprocmask(SIG_UNBLOCK, &blk, NULL);
    RET("timer_delete", timer_delete(t3));
    RET("timer_getoverrun deleted", timer_getoverrun(t3));
    RET("timer_gettime deleted", timer_gettime(t3, &cur));
    RET("timer_delete again", timer_delete(t3));

    /* Deleting an armed timer: no signal afterwards. */
    got_sig = 0;
    timer_create(CLOCK_MONOTONIC, &sev, &t3);
    its.it_value.tv_nsec = 20 * 1000000L;
    its.it_interval.tv_nsec = 0;
    timer_settime(t3, 0, &its, NULL);
    RET("timer_delete armed", timer_delete(t3));
    sleep_ms(40);
    printf("signal after delete: %d\n", got_sig);

    /* Default sigevent (NULL): SIGALRM with the kernel timer id as value. */
    got_sig = 0;
    int kid = -1;
    RET("timer_create NULL sigevent", syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, &kid));
    its.it_value.tv_nsec = 10 * 1000000L;
    its.it_interval.tv_nsec = 0;
    syscall(SYS_timer_settime, kid, 0, &its, NULL);
    wait_sig(2000);
    printf("default: %s value is the id %s code SI_TIMER %s\n", signame(got_sig), got_val == kid ? "yes" : "no", got_code == SI_TIMER ? "yes" : "no");
    syscall(SYS_timer_delete, kid);
    timer_t t4;

    /* Errors. */
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = 12345;
    RET("bad sigev_notify", timer_create(CLOCK_MONOTONIC, &sev, &t4));
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = 0;
    RET("signal 0", timer_create(CLOCK_MONOTONIC, &sev, &t4));
    sev.sigev_signo = 65;
    RET("signal 65", timer_create(CLOCK_MONOTONIC, &sev, &t4));
    sev.sigev_signo = SIGUSR1;
    RET("bad clock", timer_create(99, &sev, &t4));
    RET("settime bad id", syscall(SYS_timer_settime, 12345, 0, &its, NULL));
    RET("gettime bad id", syscall(SYS_timer_gettime, 12345, &cur));
    RET("delete bad id", syscall(SYS_timer_delete, 12345));
    timer_create(CLOCK_MONOTONIC, &sev, &t4);
    struct itimerspec bad = {{0, 0}, {0, 1000000000L}};
    RET("settime tv_nsec 1e9", timer_settime(t4, 0, &bad, NULL));
    RET("settime bad flags (ignored)", timer_settime(t4, 0x100, &zero, NULL));
    RET("settime NULL value", syscall(SYS_timer_settime, t4, 0, NULL, NULL));
    timer_delete(t4);
    return 0;
}

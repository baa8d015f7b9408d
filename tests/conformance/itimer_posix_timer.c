/* setitimer/getitimer (REAL, VIRTUAL, PROF) and POSIX timers (timer_create with
 * SIGEV_SIGNAL, timer_settime, timer_gettime, timer_getoverrun, timer_delete). */
#include "common.h"
#include <sys/time.h>

static volatile int alrm, vtalrm, prof, rt;
static volatile int rt_value;
static void h(int s, siginfo_t *si, void *u) {
    (void)u;
    if (s == SIGALRM) alrm++;
    else if (s == SIGVTALRM) vtalrm++;
    else if (s == SIGPROF) prof++;
    else { rt++; rt_value = si->si_value.sival_int; }
}

static void burn_until(volatile int *flag, long max_ms) {
    long long t0 = now_ns(CLOCK_MONOTONIC);
    volatile unsigned long x = 0;
    while (!*flag && now_ns(CLOCK_MONOTONIC) - t0 < max_ms * 1000000LL) x++;
}

int main(void) {
    setup(0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    sigaction(SIGVTALRM, &sa, NULL);
    sigaction(SIGPROF, &sa, NULL);
    sigaction(SIGRTMIN, &sa, NULL);

    struct itimerval it = {{0, 0}, {0, 50000}}, cur;
    RET("setitimer REAL 50ms", setitimer(ITIMER_REAL, &it, NULL));
    getitimer(ITIMER_REAL, &cur);
    YN("getitimer remaining in (0,50ms]", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 50000);
    burn_until(&alrm, 5000);
    printf("SIGALRM count: %d\n", alrm);
    getitimer(ITIMER_REAL, &cur);
    YN("disarmed after one shot", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);

    /* Periodic real timer: several ticks. */
    alrm = 0;
    struct itimerval per = {{0, 20000}, {0, 20000}};
    setitimer(ITIMER_REAL, &per, NULL);
    while (alrm < 3) pause();
    struct itimerval off = {{0, 0}, {0, 0}}, old;
    setitimer(ITIMER_REAL, &off, &old);
    YN("periodic: 3 ticks, old interval kept", old.it_interval.tv_usec == 20000);

    /* CPU-time timers fire only while burning CPU. */
    struct itimerval v = {{0, 0}, {0, 30000}};
    RET("setitimer VIRTUAL 30ms", setitimer(ITIMER_VIRTUAL, &v, NULL));
    burn_until(&vtalrm, 10000);
    printf("SIGVTALRM count: %d\n", vtalrm);
    RET("setitimer PROF 30ms", setitimer(ITIMER_PROF, &v, NULL));
    burn_until(&prof, 10000);
    printf("SIGPROF count: %d\n", prof);
    RET("setitimer bad which", setitimer(12345, &v, NULL));
    struct itimerval bad = {{0, 0}, {0, 2000000}};
    RET("setitimer usec 2e6", setitimer(ITIMER_REAL, &bad, NULL));

    /* POSIX timers. */
    timer_t tid;
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGRTMIN;
    sev.sigev_value.sival_int = 31337;
    RET("timer_create MONOTONIC", timer_create(CLOCK_MONOTONIC, &sev, &tid));
    struct itimerspec its = {{0, 0}, {0, 40 * 1000000L}}, gits;
    long long t0 = now_ns(CLOCK_MONOTONIC);
    RET("timer_settime 40ms", timer_settime(tid, 0, &its, NULL));
    timer_gettime(tid, &gits);
    YN("timer_gettime remaining in (0,40ms]", gits.it_value.tv_sec == 0 && gits.it_value.tv_nsec > 0 && gits.it_value.tv_nsec <= 40000000L);
    for (int i = 0; i < 5000 && !rt; i++) sleep_ms(1);
    YN("fired after >= 40ms", now_ns(CLOCK_MONOTONIC) - t0 >= 40000000LL);
    printf("timer signal value: %d\n", rt_value);
    RET("timer_getoverrun", timer_getoverrun(tid));
    RET("timer_delete", timer_delete(tid));
    RET("timer_settime deleted", timer_settime(tid, 0, &its, NULL));

    /* Absolute POSIX timer on REALTIME. */
    rt = 0;
    timer_create(CLOCK_REALTIME, &sev, &tid);
    clock_gettime(CLOCK_REALTIME, &its.it_value);
    its.it_value.tv_nsec += 30 * 1000000L;
    if (its.it_value.tv_nsec >= 1000000000L) { its.it_value.tv_sec++; its.it_value.tv_nsec -= 1000000000L; }
    RET("timer_settime ABSTIME", timer_settime(tid, TIMER_ABSTIME, &its, NULL));
    for (int i = 0; i < 5000 && !rt; i++) sleep_ms(1);
    printf("absolute timer fired: %d\n", rt);
    timer_delete(tid);
    RET("timer_create bad clock", timer_create(12345, &sev, &tid));
    return 0;
}

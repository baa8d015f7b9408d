/* times() and getrusage(): self, children, thread; values grow with CPU work and
 * include waited-for children only. */
#include "common.h"
#include <sys/times.h>
#include <pthread.h>

static void burn(long ms) {
    long long t0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    volatile unsigned long x = 0;
    while (now_ns(CLOCK_PROCESS_CPUTIME_ID) - t0 < ms * 1000000LL) x++;
}

static long long us(struct timeval t) { return t.tv_sec * 1000000LL + t.tv_usec; }

static void *tburn(void *a) { (void)a; burn(100); return NULL; }

int main(void) {
    setup(20);
    long hz = sysconf(_SC_CLK_TCK);
    printf("_SC_CLK_TCK: %ld\n", hz);
    struct tms t0, t1;
    clock_t c0 = times(&t0);
    YN("times() != -1", c0 != (clock_t)-1);
    burn(200);
    clock_t c1 = times(&t1);
    YN("elapsed ticks advanced", c1 > c0);
    YN("utime+stime advanced >= 10 ticks", (t1.tms_utime + t1.tms_stime) - (t0.tms_utime + t0.tms_stime) >= 10);
    YN("no children time yet", t1.tms_cutime == 0 && t1.tms_cstime == 0);

    struct rusage self, ch, th;
    RET("getrusage SELF", getrusage(RUSAGE_SELF, &self));
    YN("self user+sys >= 150ms", us(self.ru_utime) + us(self.ru_stime) >= 150000);
    YN("self maxrss > 0", self.ru_maxrss > 0);
    RET("getrusage CHILDREN", getrusage(RUSAGE_CHILDREN, &ch));
    YN("children zero", us(ch.ru_utime) + us(ch.ru_stime) == 0);

    /* An unwaited child doesn't count; a waited one does. */
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) { burn(150); _exit(0); }
    siginfo_t si;
    waitid(P_PID, p, &si, WEXITED | WNOWAIT);
    getrusage(RUSAGE_CHILDREN, &ch);
    YN("zombie child not yet counted", us(ch.ru_utime) + us(ch.ru_stime) == 0);
    wait_child(p);
    getrusage(RUSAGE_CHILDREN, &ch);
    YN("reaped child counted >= 100ms", us(ch.ru_utime) + us(ch.ru_stime) >= 100000);
    times(&t1);
    YN("times cutime+cstime >= 5 ticks", t1.tms_cutime + t1.tms_cstime >= 5);

    /* RUSAGE_THREAD: only the calling thread. */
    RET("getrusage THREAD", getrusage(RUSAGE_THREAD, &th));
    long long before = us(th.ru_utime) + us(th.ru_stime);
    pthread_t t;
    pthread_create(&t, NULL, tburn, NULL);
    pthread_join(t, NULL);
    getrusage(RUSAGE_THREAD, &th);
    YN("main thread usage did not include worker's 100ms", us(th.ru_utime) + us(th.ru_stime) - before < 50000);
    getrusage(RUSAGE_SELF, &self);
    YN("process usage includes worker", us(self.ru_utime) + us(self.ru_stime) >= 300000);
    RET("getrusage bad who", getrusage(12345, &self));
    return 0;
}

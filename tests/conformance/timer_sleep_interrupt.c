/* Sleeps cut short by signals: nanosleep returns EINTR and writes the remaining time,
 * clock_nanosleep returns the error number itself (no errno) with the remainder, an
 * absolute clock_nanosleep leaves the remainder untouched, SA_RESTART does not restart
 * sleeps (EINTR all the same), a stopped-and-continued sleeper finishes its sleep, and
 * clock_nanosleep clock rules (THREAD_CPUTIME_ID EINVAL, bad flags). */
#include "common.h"
#include <pthread.h>

static volatile int hits;
static void h(int s) {
    (void)s;
    hits++;
}
static pthread_t target;
static void *kicker(void *a) {
    sleep_ms((long)a);
    pthread_kill(target, SIGUSR1);
    return NULL;
}

int main(void) {
    setup(10);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sigaction(SIGUSR1, &sa, NULL);
    target = pthread_self();
    pthread_t th;

    struct timespec req = {2, 0}, rem = {-1, -1};
    pthread_create(&th, NULL, kicker, (void *)30L);
    long long t0 = now_ns(CLOCK_MONOTONIC);
    RET("nanosleep 2s interrupted", nanosleep(&req, &rem));
    pthread_join(th, NULL);
    YN("returned early (< 1s)", now_ns(CLOCK_MONOTONIC) - t0 < 1000000000LL);
    YN("remaining in (1s, 2s)", rem.tv_sec == 1 && rem.tv_nsec > 0);
    printf("handler: %d\n", hits);

    rem.tv_sec = rem.tv_nsec = -1;
    pthread_create(&th, NULL, kicker, (void *)30L);
    int r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
    pthread_join(th, NULL);
    printf("clock_nanosleep relative interrupted: returns %s, errno untouched\n", en(r));
    YN("remaining in (1s, 2s)", rem.tv_sec == 1 && rem.tv_nsec > 0);

    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    abs.tv_sec += 2;
    rem.tv_sec = 77;
    rem.tv_nsec = 77;
    pthread_create(&th, NULL, kicker, (void *)30L);
    r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, &rem);
    pthread_join(th, NULL);
    printf("clock_nanosleep absolute interrupted: returns %s\n", en(r));
    YN("remainder untouched", rem.tv_sec == 77 && rem.tv_nsec == 77);

    /* SA_RESTART does not matter: a handled signal always ends a sleep with EINTR. */
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    req.tv_sec = 0;
    req.tv_nsec = 300 * 1000000L;
    pthread_create(&th, NULL, kicker, (void *)20L);
    t0 = now_ns(CLOCK_MONOTONIC);
    RET("nanosleep 300ms with an SA_RESTART signal", nanosleep(&req, NULL));
    pthread_join(th, NULL);
    long long el = now_ns(CLOCK_MONOTONIC) - t0;
    YN("returned early", el < 250000000LL);
    printf("handler: %d\n", hits);
    clock_gettime(CLOCK_REALTIME, &abs);
    abs.tv_nsec += 300 * 1000000L;
    if (abs.tv_nsec >= 1000000000L) { abs.tv_sec++; abs.tv_nsec -= 1000000000L; }
    pthread_create(&th, NULL, kicker, (void *)20L);
    r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &abs, NULL);
    pthread_join(th, NULL);
    printf("absolute REALTIME sleep with an SA_RESTART signal: %s\n", en(r));
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    YN("ended before the deadline", now.tv_sec < abs.tv_sec || (now.tv_sec == abs.tv_sec && now.tv_nsec < abs.tv_nsec));

    /* A stopped and continued child finishes its sleep. */
    pid_t c = fork();
    if (c == 0) {
        struct timespec d = {0, 150 * 1000000L}, left = {0, 0};
        long long s0 = now_ns(CLOCK_MONOTONIC);
        int rr = nanosleep(&d, &left);
        _exit(rr == 0 && now_ns(CLOCK_MONOTONIC) - s0 >= 145000000LL ? 0 : 1);
    }
    sleep_ms(30);
    kill(c, SIGSTOP);
    int st;
    waitpid(c, &st, WUNTRACED);
    printf("child: %s\n", wstr(st));
    kill(c, SIGCONT);
    printf("child after SIGCONT: %s\n", wstr(wait_child(c)));

    /* Clock and flag rules. */
    req.tv_sec = 0;
    req.tv_nsec = 1000;
    printf("clock_nanosleep THREAD_CPUTIME_ID: %s\n", en(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL)));
    printf("clock_nanosleep bad clock: %s\n", en(clock_nanosleep(12345, 0, &req, NULL)));
    printf("clock_nanosleep tv_nsec 1e9: %s\n", en(clock_nanosleep(CLOCK_MONOTONIC, 0, &(struct timespec){0, 1000000000L}, NULL)));
    printf("clock_nanosleep negative: %s\n", en(clock_nanosleep(CLOCK_MONOTONIC, 0, &(struct timespec){-1, 0}, NULL)));
    RET("raw clock_nanosleep bad flags", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0x10, &req, NULL));
    RET("raw clock_nanosleep bad pointer", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, (void *)8, NULL));
    return 0;
}

/* SA_RESTART vs EINTR: a blocking pipe read interrupted by SIGALRM (from alarm and from
 * a repeating setitimer) either restarts transparently or fails with EINTR. */
#include "common.h"
#include <sys/time.h>

static volatile int alarms;
static void on_alarm(int s) { (void)s; alarms++; }

static void set_handler(int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = flags;
    sigaction(SIGALRM, &sa, NULL);
}

static void itimer(long ms) {
    struct itimerval it = {{0, ms * 1000}, {0, ms * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

int main(void) {
    setup(0); /* SIGALRM is under test: no alarm() watchdog, the harness times out */
    int p[2];
    char buf[16];

    /* 1. Without SA_RESTART: read fails with EINTR. A repeating timer makes sure a tick
     * arrives while the read is blocked, however late the read starts. */
    if (pipe(p)) DIE("pipe");
    set_handler(0);
    alarms = 0;
    itimer(30);
    ssize_t n = read(p[0], buf, sizeof buf);
    itimer(0);
    printf("no SA_RESTART: read=%zd %s, handler ran: %s\n", n, n < 0 ? en(errno) : "", alarms > 0 ? "yes" : "no");

    /* 2. With SA_RESTART: the read survives many ticks and returns the child's data. */
    set_handler(SA_RESTART);
    alarms = 0;
    itimer(10);
    pid_t c = fork();
    if (c == 0) {
        sleep_ms(300);
        write(p[1], "hello", 5);
        _exit(0);
    }
    n = read(p[0], buf, sizeof buf);
    itimer(0);
    printf("SA_RESTART: read=%zd data=%.*s, handler ran: %s\n", n, (int)(n > 0 ? n : 0), buf, alarms > 0 ? "yes" : "no");
    wait_child(c);

    /* 3. alarm() with SA_RESTART: the read restarts after the single SIGALRM. */
    alarms = 0;
    c = fork();
    if (c == 0) {
        sleep_ms(1500);
        write(p[1], "late", 4);
        _exit(0);
    }
    printf("alarm(1) returned: %u\n", alarm(1));
    n = read(p[0], buf, sizeof buf);
    printf("alarm + SA_RESTART: read=%zd data=%.*s, alarms=%d\n", n, (int)(n > 0 ? n : 0), buf, alarms);
    wait_child(c);

    /* 4. alarm() without SA_RESTART: EINTR after about a second. */
    set_handler(0);
    alarms = 0;
    long long t0 = now_ns(CLOCK_MONOTONIC);
    alarm(1);
    n = read(p[0], buf, sizeof buf);
    printf("alarm, no SA_RESTART: read=%zd %s, alarms=%d, elapsed >= 900ms: %s\n", n, n < 0 ? en(errno) : "",
           alarms, now_ns(CLOCK_MONOTONIC) - t0 >= 900000000LL ? "yes" : "no");

    /* 5. alarm() return values: remaining seconds of the previous alarm. */
    alarm(5);
    printf("alarm(0) after alarm(5): %u\n", alarm(0));
    printf("alarm(0) again: %u\n", alarm(0));

    /* 6. nanosleep is never restarted: EINTR with the remaining time. */
    set_handler(SA_RESTART);
    alarms = 0;
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    struct timespec req = {2, 0}, rem = {0, 0};
    int r = nanosleep(&req, &rem);
    printf("nanosleep interrupted: %d %s, remaining in (0,2s): %s\n", r, r ? en(errno) : "",
           rem.tv_sec < 2 && (rem.tv_sec > 0 || rem.tv_nsec > 0) ? "yes" : "no");
    return 0;
}

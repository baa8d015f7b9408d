/* alarm() and setitimer(ITIMER_REAL) share one timer: alarm's return value (seconds
 * left, rounded up, 0 when none), alarm(0) cancels and reports, setitimer's old value
 * seen by alarm and vice versa, getitimer rounding of the interval, tiny values
 * rounded up, ITIMER_VIRTUAL/PROF not counting sleep, old values of CPU timers, the
 * timer inherited by exec but not by fork, SIGALRM default action in a child. */
#include "common.h"
#include <sys/time.h>

static volatile int alrm;
static void h(int s) {
    (void)s;
    alrm++;
}

static int child_alarm_kill(void) {
    signal(SIGALRM, SIG_DFL);
    alarm(0);
    struct itimerval it = {{0, 0}, {0, 10000}};
    setitimer(ITIMER_REAL, &it, NULL);
    for (;;) pause();
}

static int child_fork_timer(void) {
    struct itimerval cur;
    getitimer(ITIMER_REAL, &cur);
    return (cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0) ? 0 : 1;
}

int main(void) {
    setup(0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sigaction(SIGALRM, &sa, NULL);

    RET("alarm(100) with none set", alarm(100));
    RET("alarm(50) returns the old 100", alarm(50));
    struct itimerval cur, old;
    getitimer(ITIMER_REAL, &cur);
    YN("getitimer sees ~50s", cur.it_value.tv_sec == 49 || cur.it_value.tv_sec == 50);
    YN("interval 0", cur.it_interval.tv_sec == 0 && cur.it_interval.tv_usec == 0);
    RET("alarm(0) cancels, returns 50", alarm(0));
    RET("alarm(0) again", alarm(0));
    getitimer(ITIMER_REAL, &cur);
    YN("disarmed", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);

    /* setitimer and alarm see each other. */
    struct itimerval it = {{0, 0}, {7, 300000}};
    RET("setitimer 7.3s", setitimer(ITIMER_REAL, &it, NULL));
    RET("alarm(1) returns 7 (7.3 rounded to nearest)", alarm(1));
    RET("setitimer 0 with old", setitimer(ITIMER_REAL, &(struct itimerval){{0, 0}, {0, 0}}, &old));
    YN("old about 1s", old.it_value.tv_sec == 0 || old.it_value.tv_sec == 1);
    it.it_value.tv_sec = 0;
    it.it_value.tv_usec = 400000;
    setitimer(ITIMER_REAL, &it, NULL);
    RET("alarm(0) with 0.4s left returns 1", alarm(0));
    it.it_value.tv_sec = 2;
    it.it_value.tv_usec = 600000;
    setitimer(ITIMER_REAL, &it, NULL);
    RET("alarm(0) with 2.6s left returns 3", alarm(0));
    it.it_value.tv_sec = 3;
    it.it_value.tv_usec = 0;
    setitimer(ITIMER_REAL, &it, NULL);
    RET("alarm(0) with 3s (just under) left", alarm(0));

    /* Interval round trip. */
    struct itimerval per = {{1, 500000}, {20, 0}};
    setitimer(ITIMER_REAL, &per, NULL);
    getitimer(ITIMER_REAL, &cur);
    printf("interval %ld.%06ld\n", (long)cur.it_interval.tv_sec, (long)cur.it_interval.tv_usec);
    setitimer(ITIMER_REAL, &(struct itimerval){{0, 0}, {0, 0}}, &old);
    printf("old interval %ld.%06ld\n", (long)old.it_interval.tv_sec, (long)old.it_interval.tv_usec);
    /* A value of 0 with an interval: stays disarmed. */
    struct itimerval ionly = {{1, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &ionly, NULL);
    getitimer(ITIMER_REAL, &cur);
    YN("interval only: disarmed", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);
    YN("interval only: interval 0 too", cur.it_interval.tv_sec == 0 && cur.it_interval.tv_usec == 0);

    /* A short alarm via setitimer fires once. */
    struct itimerval shot = {{0, 0}, {0, 1}};
    RET("setitimer 1us", setitimer(ITIMER_REAL, &shot, NULL));
    for (int i = 0; i < 1000 && !alrm; i++) sleep_ms(1);
    printf("SIGALRM: %d\n", alrm);

    /* CPU timers do not run while sleeping. */
    struct itimerval v = {{0, 0}, {0, 200000}};
    RET("setitimer VIRTUAL 200ms", setitimer(ITIMER_VIRTUAL, &v, NULL));
    sleep_ms(50);
    getitimer(ITIMER_VIRTUAL, &cur);
    YN("VIRTUAL barely moved while sleeping", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 150000);
    RET("disarm VIRTUAL", setitimer(ITIMER_VIRTUAL, &(struct itimerval){{0, 0}, {0, 0}}, &old));
    /* Linux may round CPU timers up to a tick. */
    YN("old VIRTUAL in (150ms, 210ms]", old.it_value.tv_sec == 0 && old.it_value.tv_usec > 150000 && old.it_value.tv_usec <= 210000);
    RET("setitimer PROF 200ms", setitimer(ITIMER_PROF, &v, NULL));
    sleep_ms(50);
    getitimer(ITIMER_PROF, &cur);
    YN("PROF barely moved while sleeping", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 150000);
    setitimer(ITIMER_PROF, &(struct itimerval){{0, 0}, {0, 0}}, NULL);
    RET("getitimer bad which", getitimer(3, &cur));
    RET("getitimer NULL", syscall(SYS_getitimer, ITIMER_REAL, NULL));
    RET("setitimer NULL new (disarms)", syscall(SYS_setitimer, ITIMER_REAL, NULL, NULL));
    struct itimerval neg = {{0, 0}, {-1, 0}};
    RET("setitimer negative", setitimer(ITIMER_REAL, &neg, NULL));

    /* fork: the child starts with no timer; the parent's stays. */
    alarm(30);
    in_child("child has no ITIMER_REAL", child_fork_timer);
    RET("parent alarm still ~30", alarm(0) >= 29);
    /* Default action of SIGALRM, in a child. */
    in_child("SIGALRM default action", child_alarm_kill);
    return 0;
}

/* gettimeofday, time, clock_gettime(REALTIME) agree; usec in range; settimeofday and
 * clock_settime are refused or allowed consistently (no clock is changed: EINVAL args). */
#include "common.h"
#include <sys/time.h>

int main(void) {
    setup(10);
    struct timeval tv;
    struct timezone tz;
    RET("gettimeofday", gettimeofday(&tv, &tz));
    YN("tv_usec in [0,1e6)", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    time_t t = time(NULL);
    time_t t2;
    YN("time(&t2) == return", time(&t2) == t2);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    YN("gettimeofday ~ time() (within 2s)", labs((long)(tv.tv_sec - t)) <= 2);
    YN("clock_gettime ~ time() (within 2s)", labs((long)(ts.tv_sec - t)) <= 2);
    RET("gettimeofday(NULL, NULL)", syscall(SYS_gettimeofday, NULL, NULL));
    RET("raw time(NULL) > 0", syscall(SYS_time, NULL) > 0);
    RET("gettimeofday bad pointer", syscall(SYS_gettimeofday, (void *)8, NULL));

    /* Non-decreasing over many calls (microsecond clock). */
    struct timeval a, b;
    gettimeofday(&a, NULL);
    int ok = 1;
    for (int i = 0; i < 10000; i++) {
        gettimeofday(&b, NULL);
        if (b.tv_sec < a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_usec < a.tv_usec)) ok = 0;
        a = b;
    }
    YN("non-decreasing over 10000 calls", ok);

    /* Invalid values are rejected before any permission check. */
    struct timeval bad = {0, 2000000};
    RET("settimeofday usec 2e6", settimeofday(&bad, NULL));
    struct timespec badts = {0, 2000000000L};
    RET("clock_settime nsec 2e9", clock_settime(CLOCK_REALTIME, &badts));
    RET("clock_settime MONOTONIC", clock_settime(CLOCK_MONOTONIC, &ts));

    /* localtime/strftime of a fixed time is deterministic (UTC). */
    setenv("TZ", "UTC", 1);
    tzset();
    time_t fixed = 1000000000;
    struct tm tmv;
    gmtime_r(&fixed, &tmv);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tmv);
    printf("gmtime(1e9): %s\n", buf);
    return 0;
}

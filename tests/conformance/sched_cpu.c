/* sched_yield, sched_getaffinity/setaffinity, getcpu, scheduler policy queries. */
#include "common.h"
#include <sched.h>

int main(void) {
    setup(10);
    RET("sched_yield", sched_yield());
    for (int i = 0; i < 1000; i++) sched_yield();
    cpu_set_t set;
    CPU_ZERO(&set);
    RET("sched_getaffinity ok", sched_getaffinity(0, sizeof set, &set) == 0 ? 0 : -1);
    int n = CPU_COUNT(&set);
    YN("affinity count > 0", n > 0);
    long raw = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
    YN("raw syscall returns size in bytes (multiple of 8)", raw > 0 && raw % 8 == 0);
    RET("getaffinity size too small", syscall(SYS_sched_getaffinity, 0, 1, &set));
    RET("getaffinity nonexistent pid", sched_getaffinity(0x3ffffff0, sizeof set, &set));

    int first = -1;
    for (int i = 0; i < CPU_SETSIZE; i++) if (CPU_ISSET(i, &set)) { first = i; break; }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    RET("setaffinity to one cpu", sched_setaffinity(0, sizeof one, &one));
    unsigned cpu = 999, node = 999;
    RET("getcpu", syscall(SYS_getcpu, &cpu, &node, NULL));
    YN("getcpu == the pinned cpu", (int)cpu == first);
    YN("node < 64", node < 64);
    YN("sched_getcpu() == pinned", sched_getcpu() == first);
    sched_setaffinity(0, sizeof set, &set);
    cpu_set_t none;
    CPU_ZERO(&none);
    RET("setaffinity empty set", sched_setaffinity(0, sizeof none, &none));
    RET("getcpu NULL args", syscall(SYS_getcpu, NULL, NULL, NULL));

    printf("policy: %s\n", sched_getscheduler(0) == SCHED_OTHER ? "SCHED_OTHER" : "other");
    struct sched_param sp;
    RET("sched_getparam", sched_getparam(0, &sp));
    printf("priority: %d\n", sp.sched_priority);
    printf("FIFO max/min: %d %d\n", sched_get_priority_max(SCHED_FIFO), sched_get_priority_min(SCHED_FIFO));
    printf("OTHER max/min: %d %d\n", sched_get_priority_max(SCHED_OTHER), sched_get_priority_min(SCHED_OTHER));
    RET("priority_max bad policy", sched_get_priority_max(12345));
    sp.sched_priority = 5;
    RET("setscheduler OTHER with priority 5", sched_setscheduler(0, SCHED_OTHER, &sp));
    struct timespec ts;
    RET("sched_rr_get_interval", sched_rr_get_interval(0, &ts));
    errno = 0;
    int nice0 = nice(0);
    YN("nice(0) == getpriority(PRIO_PROCESS, 0)", nice0 == getpriority(PRIO_PROCESS, 0));
    return 0;
}

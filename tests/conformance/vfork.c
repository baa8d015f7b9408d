/* vfork: the parent is suspended until the child execs or exits; memory is shared
 * until then; exit status flows back; vfork + execve of /bin/true and of a missing file. */
#include "common.h"

static volatile int shared_flag;

int main(void) {
    setup(10);
    shared_flag = 0;
    pid_t p = vfork();
    if (p == 0) {
        shared_flag = 1; /* visible to the parent: vfork shares the address space */
        _exit(3);
    }
    YN("vfork pid > 0", p > 0);
    YN("child write visible after vfork", shared_flag == 1);
    printf("vfork child: %s\n", wstr(wait_child(p)));

    p = vfork();
    if (p == 0) {
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
    }
    printf("vfork+exec /bin/true: %s\n", wstr(wait_child(p)));

    p = vfork();
    if (p == 0) {
        execl("/nonexistent/husk-vfork", "x", (char *)NULL);
        _exit(errno == ENOENT ? 44 : 45);
    }
    printf("vfork+exec missing: %s\n", wstr(wait_child(p)));

    /* The parent resumes only after the child's exec: the child sleeps first. */
    long long t0 = now_ns(CLOCK_MONOTONIC);
    p = vfork();
    if (p == 0) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
    }
    YN("parent suspended >= 100ms", now_ns(CLOCK_MONOTONIC) - t0 >= 100000000LL);
    printf("vfork sleeper: %s\n", wstr(wait_child(p)));

    /* Many vforks in a row. */
    volatile int ok = 1;
    for (volatile int i = 0; i < 50; i++) {
        pid_t c = vfork();
        if (c == 0) _exit(i & 0x7f);
        int st = wait_child(c);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != (i & 0x7f)) ok = 0;
    }
    YN("50 vforks ok", ok);
    return 0;
}

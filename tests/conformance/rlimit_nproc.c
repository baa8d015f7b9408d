/* RLIMIT_NPROC: read back after lowering; as a non-root user (setresuid in a child),
 * fork fails with EAGAIN once the user's process count reaches the limit. */
#include "common.h"
#include <sys/resource.h>

static int limited(void) {
    struct rlimit rl = {1, 1};
    RET("  setrlimit NPROC {1,1}", setrlimit(RLIMIT_NPROC, &rl));
    struct rlimit b;
    getrlimit(RLIMIT_NPROC, &b);
    printf("  read back: %ld %ld\n", (long)b.rlim_cur, (long)b.rlim_max);
    if (getuid() != 0) { printf("  not root: skipped\n"); return 0; }
    RET("  setresgid(65534)", setresgid(65534, 65534, 65534));
    RET("  setresuid(65534)", setresuid(65534, 65534, 65534));
    errno = 0;
    pid_t p = fork();
    if (p == 0) _exit(0);
    printf("  fork as uid 65534 with NPROC 1: %s\n", p < 0 ? en(errno) : "succeeded");
    if (p > 0) wait_child(p);
    /* Raising the hard limit back is not allowed for a non-root user. */
    struct rlimit up = {100, 100};
    RET("  raise hard limit as non-root", setrlimit(RLIMIT_NPROC, &up));
    struct rlimit same = {0, 1};
    RET("  lower soft to 0", setrlimit(RLIMIT_NPROC, &same));
    return 0;
}

int main(void) {
    setup(10);
    struct rlimit orig;
    RET("getrlimit NPROC", getrlimit(RLIMIT_NPROC, &orig));
    YN("soft <= hard", orig.rlim_cur <= orig.rlim_max);
    in_child("NPROC child", limited);
    struct rlimit now;
    getrlimit(RLIMIT_NPROC, &now);
    YN("parent's limit unchanged", now.rlim_cur == orig.rlim_cur && now.rlim_max == orig.rlim_max);
    return 0;
}

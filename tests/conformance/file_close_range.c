/* close_range(2): closing a range, ranges past the highest open fd, ~0U as the end,
 * CLOSE_RANGE_CLOEXEC (sets FD_CLOEXEC instead, closed on exec), CLOSE_RANGE_UNSHARE
 * (with a CLONE_FILES sibling the other table is untouched), EINVAL for first > last
 * and unknown flags; also dup2/dup3 edge cases (same fd, O_CLOEXEC, EINVAL, EBADF). */
#include "common.h"
#include <linux/close_range.h>
#include <sched.h>

static int is_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

static void show(const char *label, int lo, int hi) {
    printf("%s:", label);
    for (int i = lo; i <= hi; i++) printf(" %d", is_open(i) ? (fcntl(i, F_GETFD) & FD_CLOEXEC ? 2 : 1) : 0);
    printf("\n");
}

static long cr(unsigned a, unsigned b, unsigned f) { return syscall(SYS_close_range, a, b, f); }

static int shared_fn(void *arg) {
    (void)arg;
    /* In a CLONE_FILES child: unshare and close everything from 100 up. */
    return cr(100, ~0U, CLOSE_RANGE_UNSHARE) == 0 ? 0 : 1;
}

static int shared_close_fn(void *arg) {
    (void)arg;
    return cr(108, 108, 0) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    setup(10);
    if (argc == 2 && strcmp(argv[1], "exec") == 0) {
        show("after exec 100..109", 100, 109);
        return 0;
    }
    int base = open("/dev/null", O_RDONLY);
    for (int i = 100; i < 110; i++) dup2(base, i);
    show("initial 100..109", 100, 109);
    RET("close_range 102..104", cr(102, 104, 0));
    show("after", 100, 109);
    RET("close_range 109..200 (past end)", cr(109, 200, 0));
    show("after", 100, 109);
    RET("close_range 500..600 (nothing open)", cr(500, 600, 0));
    RET("close_range 103..103 (already closed)", cr(103, 103, 0));
    RET("close_range first > last", cr(105, 104, 0));
    RET("close_range unknown flag", cr(100, 101, 0x80));
    RET("CLOEXEC 100..101", cr(100, 101, CLOSE_RANGE_CLOEXEC));
    show("after", 100, 109);
    RET("CLOEXEC on closed range", cr(102, 104, CLOSE_RANGE_CLOEXEC));
    show("after", 100, 109);

    /* CLOSE_RANGE_UNSHARE in a CLONE_FILES child leaves our table alone. */
    static char stack[65536];
    pid_t p = clone(shared_fn, stack + sizeof stack, CLONE_FILES | SIGCHLD, NULL);
    if (p < 0) DIE("clone");
    printf("clone child: %s\n", wstr(wait_child(p)));
    show("after child's unshared close", 100, 109);
    /* Without UNSHARE a CLONE_FILES child's close is ours too. */
    p = clone(shared_close_fn, stack + sizeof stack, CLONE_FILES | SIGCHLD, NULL);
    if (p < 0) DIE("clone");
    printf("clone child 2: %s\n", wstr(wait_child(p)));
    show("after CLONE_FILES child's close of 108", 100, 109);
    /* A forked child's close is its own. */
    p = fork();
    if (p == 0) {
        RET("  fork child close_range 105..105", cr(105, 105, 0));
        _exit(0);
    }
    wait_child(p);
    show("after fork child's close", 100, 109);

    /* exec closes the CLOEXEC ones */
    fflush(stdout);
    p = fork();
    if (p == 0) {
        execl("/proc/self/exe", "x", "exec", (char *)NULL);
        _exit(127);
    }
    printf("exec child: %s\n", wstr(wait_child(p)));

    /* dup2 / dup3 */
    RET("dup2 same fd", dup2(100, 100));
    RET("dup2 same closed fd", dup2(103, 103));
    RET("dup3 same fd", dup3(100, 100, 0));
    RET("dup3 bad flag", dup3(100, 120, O_NONBLOCK));
    RET("dup3 O_CLOEXEC", dup3(base, 120, O_CLOEXEC));
    show("120", 120, 120);
    RET("dup2 clears cloexec on target", dup2(base, 120));
    show("120", 120, 120);
    RET("dup2 bad old", dup2(999, 121));
    RET("dup2 huge new", dup2(base, 1 << 30));
    RET("close_range everything from 100", cr(100, ~0U, 0));
    show("after", 100, 121);
    close(base);
    return 0;
}

/* set_tid_address: returns the caller's tid; at thread exit the kernel writes 0 to the
 * registered word and futex-wakes it. */
#include "common.h"
#include <linux/futex.h>
#include <sched.h>

static int word = -1;
static volatile long got_tid, ret_tid, started;

static long thread_fn(void *arg) {
    (void)arg;
    got_tid = rsys(SYS_gettid, 0, 0, 0);
    ret_tid = rsys(SYS_set_tid_address, (long)&word, 0, 0);
    __atomic_store_n(&word, 12345, __ATOMIC_SEQ_CST);
    started = 1;
    /* Sleep a little so that the parent is already waiting on the futex. */
    struct timespec ts = {0, 50 * 1000000L};
    rsys(SYS_nanosleep, (long)&ts, 0, 0);
    return 0;
}

int main(void) {
    setup(10);
    long r = syscall(SYS_set_tid_address, NULL);
    YN("main: set_tid_address returns gettid()", r == syscall(SYS_gettid));

    size_t ssz = 128 * 1024;
    char *stack = mmap(NULL, ssz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stack == MAP_FAILED) DIE("mmap");
    unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
    long tid = raw_clone(flags, stack + ssz, NULL, NULL, 0, thread_fn, NULL);
    YN("clone ok", tid > 0);
    while (!__atomic_load_n(&started, __ATOMIC_SEQ_CST)) sched_yield();
    int woken = 0, loops = 0;
    for (;;) {
        int v = __atomic_load_n(&word, __ATOMIC_SEQ_CST);
        if (v == 0) break;
        struct timespec to = {2, 0};
        long fr = futex(&word, FUTEX_WAIT, v, &to, NULL, 0);
        if (fr == 0) woken = 1;
        if (++loops > 5) break;
    }
    YN("thread: set_tid_address returned its tid", ret_tid == got_tid && got_tid == tid);
    YN("word cleared at thread exit", word == 0);
    YN("futex wait ended by wake or value change", woken || word == 0);
    munmap(stack, ssz);
    return 0;
}

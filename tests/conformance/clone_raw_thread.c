/* Raw clone(2) of a thread: CLONE_VM|CLONE_THREAD|CLONE_SETTLS|CLONE_PARENT_SETTID|
 * CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID, and a clone(CLONE_VM) child process. */
#include "common.h"
#include <linux/futex.h>
#include <sched.h>

struct tls_block { unsigned long self; unsigned long pad[4]; unsigned long canary; unsigned long rest[26]; };

static struct tls_block tblk;
static int ptid, ctid;
static volatile long r_tid, r_pid, r_ctid_seen, r_fs0, r_getfs, r_shared;
static volatile long shared_word;

static long thread_fn(void *arg) {
    unsigned long fs0, fsbase = 0;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(fs0));
    rsys(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, (long)&fsbase, 0);
    r_fs0 = (long)fs0;
    r_getfs = (long)fsbase;
    r_tid = rsys(SYS_gettid, 0, 0, 0);
    r_pid = rsys(SYS_getpid, 0, 0, 0);
    r_ctid_seen = *(volatile int *)&ctid;
    shared_word = (long)arg;
    r_shared = 1;
    return 0; /* SYS_exit: only this thread ends */
}

static long proc_fn(void *arg) {
    (void)arg;
    shared_word = 77; /* CLONE_VM: the parent sees this */
    return 5;
}

int main(void) {
    setup(10);
    size_t ssz = 256 * 1024;
    char *stack = mmap(NULL, ssz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stack == MAP_FAILED) DIE("mmap");
    tblk.self = (unsigned long)&tblk;
    unsigned long canary;
    __asm__ volatile("mov %%fs:0x28, %0" : "=r"(canary));
    tblk.canary = canary;
    ctid = -1;
    unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                          CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
                          CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
    long tid = raw_clone(flags, stack + ssz, &ptid, &ctid, (unsigned long)&tblk, thread_fn, (void *)1234);
    YN("clone returned tid > 0", tid > 0);
    YN("clone tid != getpid()", tid != getpid());
    YN("parent_tid == returned tid", ptid == tid);
    /* CLONE_CHILD_CLEARTID: the kernel zeroes ctid and futex-wakes it when the thread exits. */
    int spins = 0;
    for (;;) {
        int v = __atomic_load_n(&ctid, __ATOMIC_SEQ_CST);
        if (v == 0) break;
        struct timespec to = {1, 0};
        futex(&ctid, FUTEX_WAIT, v, &to, NULL, 0);
        if (++spins > 20) { printf("thread never cleared ctid\n"); return 1; }
    }
    YN("ctid cleared on exit", ctid == 0);
    YN("thread ran", r_shared == 1);
    YN("thread tid == clone return", r_tid == tid);
    YN("thread getpid() == parent getpid()", r_pid == getpid());
    YN("CHILD_SETTID visible to thread", r_ctid_seen == tid);
    YN("thread %fs:0 == tls block", r_fs0 == (long)&tblk);
    YN("thread ARCH_GET_FS == tls block", r_getfs == (long)&tblk);
    YN("thread saw arg", shared_word == 1234);
    errno = 0;
    YN("no child to wait for (thread)", waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);

    /* A process sharing our memory: clone(CLONE_VM | SIGCHLD). */
    shared_word = 0;
    long pid = raw_clone(CLONE_VM | SIGCHLD, stack + ssz, NULL, NULL, 0, proc_fn, NULL);
    YN("clone(CLONE_VM|SIGCHLD) pid > 0", pid > 0);
    int st = wait_child((pid_t)pid);
    printf("vm child: %s\n", wstr(st));
    YN("vm child write visible", shared_word == 77);

    /* Invalid flag combinations. */
    RET("clone(CLONE_THREAD without CLONE_SIGHAND)", syscall(SYS_clone, CLONE_THREAD | CLONE_VM, stack + ssz, 0, 0, 0));
    RET("clone(CLONE_SIGHAND without CLONE_VM)", syscall(SYS_clone, CLONE_SIGHAND, stack + ssz, 0, 0, 0));
    munmap(stack, ssz);
    return 0;
}

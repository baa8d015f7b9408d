/* arch_prctl: ARCH_GET_FS equals the thread pointer (%fs:0); ARCH_SET_FS round trip
 * (to a scratch TCB and back, with no libc calls in between), per-thread FS bases,
 * ARCH_GET_GS/ARCH_SET_GS, invalid codes. */
#include "common.h"
#include <asm/prctl.h>
#include <pthread.h>

struct tcb { unsigned long self; unsigned long pad[4]; unsigned long canary; unsigned long more[32]; };
static struct tcb scratch;

static void *thread_fs(void *arg) {
    unsigned long fs = 0, self;
    syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
    __asm__ volatile("mov %%fs:0, %0" : "=r"(self));
    *(int *)arg = fs == self && fs == (unsigned long)pthread_self();
    return (void *)fs;
}

int main(void) {
    setup(10);
    unsigned long fs = 0, self;
    RET("ARCH_GET_FS", syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
    __asm__ volatile("mov %%fs:0, %0" : "=r"(self));
    YN("GET_FS == %fs:0", fs == self);
    YN("GET_FS == pthread_self()", fs == (unsigned long)pthread_self());

    /* Switch FS to a scratch TCB and back using only raw syscalls. */
    scratch.self = (unsigned long)&scratch;
    __asm__ volatile("mov %%fs:0x28, %0" : "=r"(scratch.canary));
    unsigned long seen_self = 0, seen_base = 0;
    long r1 = rsys(SYS_arch_prctl, ARCH_SET_FS, (long)&scratch, 0);
    __asm__ volatile("mov %%fs:0, %0" : "=r"(seen_self));
    rsys(SYS_arch_prctl, ARCH_GET_FS, (long)&seen_base, 0);
    long r2 = rsys(SYS_arch_prctl, ARCH_SET_FS, (long)fs, 0);
    printf("SET_FS scratch: %ld, restore: %ld\n", r1, r2);
    YN("%fs:0 read through scratch base", seen_self == (unsigned long)&scratch);
    YN("GET_FS returned scratch", seen_base == (unsigned long)&scratch);
    unsigned long after = 0;
    syscall(SYS_arch_prctl, ARCH_GET_FS, &after);
    YN("restored", after == fs);

    /* Threads have their own FS base. */
    pthread_t t[3];
    int ok[3];
    void *bases[3];
    for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, thread_fs, &ok[i]);
    for (int i = 0; i < 3; i++) pthread_join(t[i], &bases[i]);
    YN("threads: GET_FS == %fs:0 == pthread_self", ok[0] && ok[1] && ok[2]);
    YN("thread bases differ from main", bases[0] != (void *)fs && bases[1] != (void *)fs);

    /* FS survives fork. */
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        unsigned long cfs = 0;
        syscall(SYS_arch_prctl, ARCH_GET_FS, &cfs);
        _exit(cfs == fs ? 0 : 1);
    }
    printf("child FS equal: %s\n", wstr(wait_child(p)));

    unsigned long gs = 1;
    RET("ARCH_GET_GS", syscall(SYS_arch_prctl, ARCH_GET_GS, &gs));
    printf("GS base initially 0: %s\n", gs == 0 ? "yes" : "no");
    RET("ARCH_SET_GS", syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)&scratch));
    syscall(SYS_arch_prctl, ARCH_GET_GS, &gs);
    YN("GET_GS after SET_GS", gs == (unsigned long)&scratch);
    unsigned long viags = 0;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(viags));
    YN("%gs:0 reads through new base", viags == (unsigned long)&scratch);
    syscall(SYS_arch_prctl, ARCH_SET_GS, 0UL);

    RET("invalid code", syscall(SYS_arch_prctl, 0x9999, 0));
    RET("GET_FS bad pointer", syscall(SYS_arch_prctl, ARCH_GET_FS, (void *)8));
    RET("SET_FS non-canonical", syscall(SYS_arch_prctl, ARCH_SET_FS, 0x8000000000000000UL));
    return 0;
}

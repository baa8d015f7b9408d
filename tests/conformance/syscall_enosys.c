/* Unimplemented or invalid syscall numbers return -1 ENOSYS and the process goes on:
 * numbers far beyond the table, x32-only numbers, negative numbers, obsolete calls. */
#include "common.h"

int main(void) {
    setup(10);
    RET("syscall(1000)", syscall(1000));
    RET("syscall(1000, args)", syscall(1000, 1, 2, 3, 4, 5, 6));
    RET("syscall(100000)", syscall(100000));
    RET("syscall(512) (x32-only number without the x32 bit)", syscall(512));
    RET("syscall(-1)", syscall(-1));
    RET("syscall(0x7fffffff)", syscall(0x7fffffffL));
    /* Obsolete entry points that Linux x86-64 never implemented. */
    RET("SYS_uselib", syscall(SYS_uselib, "/nonexistent"));
    RET("SYS_create_module", syscall(SYS_create_module, "x", 0));
    RET("SYS_get_kernel_syms", syscall(SYS_get_kernel_syms, NULL));
    RET("SYS_query_module", syscall(SYS_query_module, NULL, 0, NULL, 0, NULL));
    RET("SYS_nfsservctl", syscall(SYS_nfsservctl, 0, NULL, NULL));
    RET("SYS_getpmsg", syscall(SYS_getpmsg, 0, NULL, NULL, NULL, NULL));
    RET("SYS_putpmsg", syscall(SYS_putpmsg, 0, NULL, NULL, 0, 0));
    RET("SYS_afs_syscall", syscall(SYS_afs_syscall));
    RET("SYS_tuxcall", syscall(SYS_tuxcall));
    RET("SYS_security", syscall(SYS_security));
    RET("SYS_vserver", syscall(SYS_vserver));
    /* A raw syscall instruction with an invalid number, no libc in between. */
    long r = rsys(999, 0, 0, 0);
    printf("raw syscall 999 returns -ENOSYS: %s\n", r == -ENOSYS ? "yes" : "no");
    /* Still alive and a valid syscall works. */
    RET("getppid() >= 0", getppid() >= 0 ? 0 : -1);
    return 0;
}

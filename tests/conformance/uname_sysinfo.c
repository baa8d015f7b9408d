/* uname (sysname, machine; release and version non-empty) and sysinfo sanity. */
#include "common.h"
#include <sys/sysinfo.h>
#include <sys/utsname.h>

int main(void) {
    setup(10);
    struct utsname u;
    RET("uname", uname(&u));
    printf("sysname: %s\n", u.sysname);
    printf("machine: %s\n", u.machine);
    YN("release non-empty", u.release[0] != 0);
    YN("release starts with a digit", u.release[0] >= '0' && u.release[0] <= '9');
    YN("version non-empty", u.version[0] != 0);
    YN("nodename non-empty", u.nodename[0] != 0);
    RET("uname bad pointer", syscall(SYS_uname, (void *)8));

    struct sysinfo si;
    RET("sysinfo", sysinfo(&si));
    YN("uptime >= 0", si.uptime >= 0);
    YN("totalram > 0", si.totalram > 0);
    YN("freeram <= totalram", si.freeram <= si.totalram);
    YN("mem_unit >= 1", si.mem_unit >= 1);
    YN("procs >= 1", si.procs >= 1);
    YN("totalram >= 64 MiB", (unsigned long long)si.totalram * si.mem_unit >= (64ULL << 20));
    YN("freeswap <= totalswap", si.freeswap <= si.totalswap);
    RET("sysinfo bad pointer", syscall(SYS_sysinfo, (void *)8));
    YN("get_nprocs() >= 1", get_nprocs() >= 1);
    YN("sysconf(_SC_NPROCESSORS_ONLN) >= 1", sysconf(_SC_NPROCESSORS_ONLN) >= 1);
    YN("sysconf(_SC_PHYS_PAGES) > 0", sysconf(_SC_PHYS_PAGES) > 0);
    return 0;
}

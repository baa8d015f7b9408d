/* mlock, munlock, mlock2, mlockall and munlockall: argument checks (flags, unmapped
 * and partly unmapped ranges ENOMEM, length 0, unaligned start), as root (CAP_IPC_LOCK:
 * no limit) and in an unprivileged child: RLIMIT_MEMLOCK 0 gives EPERM, a single
 * request over the limit ENOMEM, within it success; mlockall(MCL_CURRENT) over the
 * limit ENOMEM. Memory stays usable after locking and unlocking. */
#include "common.h"

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

#define PG 4096L

static long mlock2_(void *a, size_t l, unsigned f) { return syscall(SYS_mlock2, a, l, f); }

static char *area(long pages) {
    char *p = mmap(NULL, (size_t)(pages * PG), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) DIE("mmap");
    return p;
}

static int unpriv(void) {
    char *p = area(64);
    struct rlimit rl = {0, 0};
    if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0) DIE("setrlimit 0");
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) DIE("setresuid");
    RET("limit 0: mlock", mlock(p, PG));
    RET("limit 0: mlock2", mlock2_(p, PG, 0));
    RET("limit 0: mlock unmapped", mlock((void *)PG, PG));
    RET("limit 0: mlockall CURRENT", mlockall(MCL_CURRENT));
    RET("limit 0: munlock", munlock(p, PG));
    RET("limit 0: munlockall", munlockall());
    return 0;
}

static int limited(void) {
    char *p = area(64);
    struct rlimit rl = {16 * PG, 16 * PG};
    if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0) DIE("setrlimit 16");
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) DIE("setresuid");
    RET("limit 16: mlock 4 pages", mlock(p, 4 * PG));
    RET("limit 16: munlock 4 pages", munlock(p, 4 * PG));
    RET("limit 16: mlock 16 pages", mlock(p, 16 * PG));
    RET("limit 16: munlock 16 pages", munlock(p, 16 * PG));
    RET("limit 16: mlock 17 pages", mlock(p, 17 * PG));
    RET("limit 16: mlock 32 pages", mlock(p, 32 * PG));
    RET("limit 16: mlock2 ONFAULT 32 pages", mlock2_(p, 32 * PG, MLOCK_ONFAULT));
    RET("limit 16: mlockall CURRENT", mlockall(MCL_CURRENT));
    RET("limit 16: raise limit", setrlimit(RLIMIT_MEMLOCK, &(struct rlimit){32 * PG, 32 * PG}));
    p[0] = 1;
    YN("memory usable", p[0] == 1);
    return 0;
}

int main(void) {
    setup(10);
    char *p = area(8);
    RET("mlock 4 pages", mlock(p, 4 * PG));
    p[0] = 'x';
    YN("locked memory usable", p[0] == 'x');
    RET("munlock", munlock(p, 4 * PG));
    RET("munlock again", munlock(p, 4 * PG));
    RET("mlock len 0", mlock(p, 0));
    RET("mlock unaligned start", mlock(p + 100, 10));
    RET("munlock unaligned start", munlock(p + 100, 10));
    RET("mlock unmapped", mlock((void *)PG, PG));
    RET("munlock unmapped", munlock((void *)PG, PG));
    if (munmap(p + 4 * PG, PG) != 0) DIE("munmap");
    RET("mlock across hole", mlock(p, 8 * PG));
    RET("munlock across hole", munlock(p, 8 * PG));
    RET("mlock before hole", mlock(p, 4 * PG));
    RET("mlock2 0", mlock2_(p, PG, 0));
    RET("mlock2 ONFAULT", mlock2_(p, PG, MLOCK_ONFAULT));
    RET("mlock2 flag 2", mlock2_(p, PG, 2));
    RET("mlock2 unmapped", mlock2_((void *)PG, PG, 0));
    RET("munlock", munlock(p, 4 * PG));
    RET("mlockall 0", mlockall(0));
    RET("mlockall ONFAULT alone", mlockall(MCL_ONFAULT));
    RET("mlockall 8", mlockall(8));
    RET("mlockall CURRENT", mlockall(MCL_CURRENT));
    RET("munlockall", munlockall());
    RET("mlockall FUTURE|ONFAULT", mlockall(MCL_FUTURE | MCL_ONFAULT));
    char *q = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    YN("mmap under MCL_FUTURE", q != MAP_FAILED);
    RET("munlockall", munlockall());
    RET("munlockall again", munlockall());
    in_child("rlimit 0 child", unpriv);
    in_child("rlimit 16 pages child", limited);
    return 0;
}

/* Synchronous SIGSEGV: SEGV_MAPERR for unmapped memory, SEGV_ACCERR for protection
 * faults, si_addr equal to the faulting address, recovery with sigsetjmp/siglongjmp,
 * and the fault repeated many times. */
#include "common.h"
#include <setjmp.h>

static sigjmp_buf jb;
static volatile siginfo_t got;
static volatile int hits;

static void h(int s, siginfo_t *si, void *u) {
    (void)s; (void)u;
    memcpy((void *)&got, si, sizeof *si);
    hits++;
    siglongjmp(jb, 1);
}

static const char *code(int c) {
    switch (c) {
    case SEGV_MAPERR: return "SEGV_MAPERR";
    case SEGV_ACCERR: return "SEGV_ACCERR";
    case SI_KERNEL: return "SI_KERNEL";
    default: return "?";
    }
}

static void try_access(const char *label, volatile char *addr, int write) {
    memset((void *)&got, 0, sizeof got);
    if (sigsetjmp(jb, 1) == 0) {
        if (write) *addr = 1;
        else (void)*addr;
        printf("%s: no fault\n", label);
        return;
    }
    printf("%s: signo=%s code=%s si_addr==fault address: %s\n", label, signame(got.si_signo), code(got.si_code),
           got.si_addr == (void *)addr ? "yes" : "no");
}

static int unhandled(void) {
    signal(SIGSEGV, SIG_DFL);
    *(volatile int *)8 = 1;
    return 0;
}

static int blocked(void) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGSEGV);
    sigprocmask(SIG_BLOCK, &s, NULL);
    *(volatile int *)8 = 1;
    return 0;
}

int main(void) {
    setup(10);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    long pg = sysconf(_SC_PAGESIZE);

    try_access("read NULL+16", (volatile char *)16, 0);
    try_access("write NULL+16", (volatile char *)16, 1);

    char *m = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(m + pg, pg);
    try_access("read unmapped hole", m + pg + 100, 0);
    mprotect(m, pg, PROT_READ);
    try_access("write read-only", m + 8, 1);
    try_access("read read-only", m + 8, 0);
    mprotect(m + 2 * pg, pg, PROT_NONE);
    try_access("read PROT_NONE", m + 2 * pg + 5, 0);
    try_access("write PROT_NONE", m + 2 * pg + 5, 1);
    mprotect(m + 2 * pg, pg, PROT_READ | PROT_WRITE);
    try_access("write after mprotect RW", m + 2 * pg + 5, 1);

    /* Writing to our own code (text is r-x). */
    try_access("write to text", (volatile char *)(void *)&try_access, 1);

    /* A non-canonical address raises #GP: SIGSEGV with SI_KERNEL and si_addr 0. */
    memset((void *)&got, 0, sizeof got);
    if (sigsetjmp(jb, 1) == 0) {
        (void)*(volatile char *)0x8000000000000000UL;
        printf("non-canonical: no fault\n");
    } else {
        printf("non-canonical: signo=%s code=%s si_addr==0: %s\n", signame(got.si_signo), code(got.si_code),
               got.si_addr == NULL ? "yes" : "no");
    }

    /* The signal mask is restored by siglongjmp: a thousand faults in a row. */
    hits = 0;
    for (volatile int i = 0; i < 1000; i++) {
        if (sigsetjmp(jb, 1) == 0) *(volatile char *)(m + 8) = 1;
    }
    printf("repeated faults handled: %d\n", hits);

    /* Without a handler, and with SIGSEGV blocked, a child dies of SIGSEGV. */
    in_child("unhandled (child)", unhandled);
    in_child("blocked (child)", blocked);
    return 0;
}

/* SIGFPE: integer divide by zero gives FPE_INTDIV with si_addr at the faulting
 * instruction; INT_MIN / -1 also traps (#DE); a handler may skip the instruction. */
#include "common.h"
#include <setjmp.h>
#include <limits.h>
#include <ucontext.h>

static sigjmp_buf jb;
static volatile siginfo_t got;
static volatile unsigned long fault_rip;

static void h(int s, siginfo_t *si, void *u) {
    (void)s;
    memcpy((void *)&got, si, sizeof *si);
    fault_rip = ((ucontext_t *)u)->uc_mcontext.gregs[REG_RIP];
    siglongjmp(jb, 1);
}

static const char *code(int c) {
    switch (c) {
    case FPE_INTDIV: return "FPE_INTDIV";
    case FPE_INTOVF: return "FPE_INTOVF";
    case FPE_FLTDIV: return "FPE_FLTDIV";
    default: return "?";
    }
}

static volatile int zero = 0, minus1 = -1, imin = INT_MIN;

/* A real idiv instruction (the compiler may not turn it into something else). */
static int idiv(int a, int b) {
    int q;
    __asm__ volatile("cltd\n\tidivl %2" : "=a"(q) : "a"(a), "r"(b) : "rdx", "cc");
    return q;
}

static int unhandled(void) {
    signal(SIGFPE, SIG_DFL);
    return idiv(1, zero);
}

int main(void) {
    setup(10);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGFPE, &sa, NULL);

    volatile int r = 0;
    if (sigsetjmp(jb, 1) == 0) {
        r = idiv(10, zero);
        printf("10/0: no signal\n");
    } else {
        printf("10/0: %s code=%s si_addr==rip: %s\n", signame(got.si_signo), code(got.si_code),
               (unsigned long)got.si_addr == fault_rip ? "yes" : "no");
    }
    if (sigsetjmp(jb, 1) == 0) {
        r = idiv(imin, minus1);
        printf("INT_MIN/-1: no signal\n");
    } else {
        printf("INT_MIN/-1: %s code=%s\n", signame(got.si_signo), code(got.si_code));
    }
    if (sigsetjmp(jb, 1) == 0) {
        long a = 5, b = zero;
        __asm__ volatile("cqto\n\tidivq %1" : "+a"(a) : "r"(b) : "rdx", "cc");
        printf("long 5%%0: no signal\n");
    } else {
        printf("long 5%%0: %s code=%s\n", signame(got.si_signo), code(got.si_code));
    }
    /* Floating point division by zero does not trap by default. */
    volatile double d = 1.0, dz = 0.0;
    d = d / dz;
    printf("1.0/0.0 traps: no, is inf: %s\n", d > 1e308 ? "yes" : "no");
    (void)r;

    in_child("unhandled 1/0 (child)", unhandled);
    return 0;
}

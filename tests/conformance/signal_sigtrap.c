/* SIGTRAP: int3 delivers SIGTRAP (si_code SI_KERNEL on x86-64) with RIP just past the
 * 0xcc byte, execution continues after the handler; unhandled int3 kills the child. */
#include "common.h"
#include <ucontext.h>

static volatile siginfo_t got;
static volatile unsigned long rip_in_handler;
static volatile int traps;

static void h(int s, siginfo_t *si, void *u) {
    (void)s;
    memcpy((void *)&got, si, sizeof *si);
    rip_in_handler = ((ucontext_t *)u)->uc_mcontext.gregs[REG_RIP];
    traps++;
}

static const char *code(int c) {
    switch (c) {
    case SI_KERNEL: return "SI_KERNEL";
    case TRAP_BRKPT: return "TRAP_BRKPT";
    case TRAP_TRACE: return "TRAP_TRACE";
    case SI_USER: return "SI_USER";
    case SI_TKILL: return "SI_TKILL";
    default: return "?";
    }
}

static int unhandled(void) {
    signal(SIGTRAP, SIG_DFL);
    __asm__ volatile("int3");
    return 0;
}

int main(void) {
    setup(10);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGTRAP, &sa, NULL);

    unsigned long after_addr;
    __asm__ volatile("int3\n\t"
                     "1: lea 1b(%%rip), %0"
                     : "=r"(after_addr));
    printf("int3: %s code=%s rip==after int3: %s\n", signame(got.si_signo), code(got.si_code),
           rip_in_handler == after_addr ? "yes" : "no");

    for (int i = 0; i < 100; i++) __asm__ volatile("int3");
    printf("handled traps: %d\n", traps);

    /* SIGTRAP sent with raise: SI_TKILL. */
    raise(SIGTRAP);
    printf("raise(SIGTRAP): code=%s\n", code(got.si_code));

    /* int $3 in its two-byte form (cd 03) behaves like int3 too. */
    memset((void *)&got, 0, sizeof got);
    __asm__ volatile(".byte 0xcd, 0x03");
    printf("int $3 (cd 03): %s code=%s\n", signame(got.si_signo), code(got.si_code));

    in_child("unhandled int3 (child)", unhandled);
    return 0;
}

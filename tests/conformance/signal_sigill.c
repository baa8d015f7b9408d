/* SIGILL: ud2 gives ILL_ILLOPN with si_addr at the instruction; a handler can skip the
 * 2-byte instruction by advancing RIP in the ucontext and execution continues. */
#include "common.h"
#include <ucontext.h>

static volatile siginfo_t got;
static volatile unsigned long rip_at_fault;
static volatile int skips;

static void skip(int s, siginfo_t *si, void *u) {
    (void)s;
    memcpy((void *)&got, si, sizeof *si);
    ucontext_t *uc = u;
    rip_at_fault = uc->uc_mcontext.gregs[REG_RIP];
    uc->uc_mcontext.gregs[REG_RIP] += 2; /* ud2 is 0f 0b */
    skips++;
}

static const char *code(int c) {
    switch (c) {
    case ILL_ILLOPN: return "ILL_ILLOPN";
    case ILL_ILLOPC: return "ILL_ILLOPC";
    case ILL_PRVOPC: return "ILL_PRVOPC";
    default: return "?";
    }
}

static int do_hlt(void) {
    __asm__ volatile("hlt");
    return 0;
}

static int unhandled(void) {
    signal(SIGILL, SIG_DFL);
    __asm__ volatile("ud2");
    return 0;
}

int main(void) {
    setup(10);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = skip;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGILL, &sa, NULL);

    volatile int after = 0;
    __asm__ volatile("ud2");
    after = 1;
    printf("ud2: %s code=%s si_addr==rip: %s, continued after skip: %s\n", signame(got.si_signo), code(got.si_code),
           (unsigned long)got.si_addr == rip_at_fault ? "yes" : "no", after ? "yes" : "no");

    /* The registers survive the round trip through the handler. */
    unsigned long rbx_in = 0x1122334455667788UL, rbx_out = 0;
    __asm__ volatile("mov %1, %%rbx\n\tud2\n\tmov %%rbx, %0" : "=r"(rbx_out) : "r"(rbx_in) : "rbx");
    YN("rbx preserved across handler", rbx_in == rbx_out);

    for (int i = 0; i < 100; i++) __asm__ volatile("ud2");
    printf("handled ud2 count: %d\n", skips);

    /* hlt in user mode is privileged: #GP -> SIGSEGV (not SIGILL). */
    in_child("hlt (child)", do_hlt);
    in_child("unhandled ud2 (child)", unhandled);
    return 0;
}

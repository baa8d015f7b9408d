/* sigaltstack + SA_ONSTACK: the handler runs on the alternate stack (a local's address
 * lies inside it), SS_ONSTACK is reported inside, and a stack overflow is handled. */
#include "common.h"
#include <setjmp.h>
#include <sys/resource.h>

static char *alt;
static size_t altsz = 64 * 1024;
static volatile int on_alt, flags_in_handler = -1, ran;
static sigjmp_buf jb;

static void h(int sig) {
    (void)sig;
    volatile char local;
    on_alt = (char *)&local >= alt && (char *)&local < alt + altsz;
    stack_t cur;
    sigaltstack(NULL, &cur);
    flags_in_handler = cur.ss_flags;
    ran = 1;
}

static void on_segv(int sig) {
    (void)sig;
    volatile char local;
    on_alt = (char *)&local >= alt && (char *)&local < alt + altsz;
    siglongjmp(jb, 1);
}

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int recurse(int n) {
    volatile char pad[1024];
    pad[0] = (char)n;
    return recurse(n + 1) + pad[0];
}

static const char *fl(int f) { return f == 0 ? "0" : f == SS_ONSTACK ? "SS_ONSTACK" : f == SS_DISABLE ? "SS_DISABLE" : "?"; }

int main(void) {
    setup(10);
    stack_t ss, old;
    RET("sigaltstack query", sigaltstack(NULL, &old));
    printf("initial flags: %s\n", fl(old.ss_flags));
    alt = mmap(NULL, altsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ss.ss_sp = alt;
    ss.ss_size = altsz;
    ss.ss_flags = 0;
    RET("sigaltstack set", sigaltstack(&ss, NULL));
    sigaltstack(NULL, &old);
    printf("after set: flags=%s size_ok=%s sp_ok=%s\n", fl(old.ss_flags), old.ss_size == altsz ? "yes" : "no",
           old.ss_sp == alt ? "yes" : "no");

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("SA_ONSTACK: ran=%d on alt stack=%s flags in handler=%s\n", ran, on_alt ? "yes" : "no", fl(flags_in_handler));

    sa.sa_flags = 0;
    sigaction(SIGUSR2, &sa, NULL);
    ran = 0;
    raise(SIGUSR2);
    printf("without SA_ONSTACK: ran=%d on alt stack=%s flags in handler=%s\n", ran, on_alt ? "yes" : "no", fl(flags_in_handler));

    /* Errors. */
    stack_t small = {.ss_sp = alt, .ss_size = 512, .ss_flags = 0};
    RET("sigaltstack too small", sigaltstack(&small, NULL));
    stack_t badf = {.ss_sp = alt, .ss_size = altsz, .ss_flags = 12345};
    RET("sigaltstack bad flags", sigaltstack(&badf, NULL));

    /* Stack overflow in a child, caught on the alternate stack. */
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        struct rlimit rl = {1 << 20, 1 << 20};
        setrlimit(RLIMIT_STACK, &rl);
        struct sigaction sv;
        memset(&sv, 0, sizeof sv);
        sv.sa_handler = on_segv;
        sv.sa_flags = SA_ONSTACK;
        sigaction(SIGSEGV, &sv, NULL);
        if (sigsetjmp(jb, 1) == 0) recurse(0);
        printf("  overflow caught, handler on alt stack: %s\n", on_alt ? "yes" : "no");
        _exit(0);
    }
    printf("overflow child: %s\n", wstr(wait_child(p)));

    /* Without an alternate stack the overflow kills the child with SIGSEGV. */
    p = fork();
    if (p == 0) {
        struct rlimit rl = {1 << 20, 1 << 20};
        setrlimit(RLIMIT_STACK, &rl);
        stack_t dis = {.ss_flags = SS_DISABLE};
        sigaltstack(&dis, NULL);
        struct sigaction sv;
        memset(&sv, 0, sizeof sv);
        sv.sa_handler = on_segv;
        sigaction(SIGSEGV, &sv, NULL);
        if (sigsetjmp(jb, 1) == 0) recurse(0);
        _exit(0);
    }
    printf("overflow without altstack: %s\n", wstr(wait_child(p)));

    ss.ss_flags = SS_DISABLE;
    RET("sigaltstack disable", sigaltstack(&ss, NULL));
    sigaltstack(NULL, &old);
    printf("after disable: flags=%s\n", fl(old.ss_flags));
    return 0;
}

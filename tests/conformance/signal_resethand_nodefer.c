/* SA_RESETHAND (one-shot handler) and SA_NODEFER (the signal is not blocked during its
 * own handler, so a nested raise re-enters); sa_mask blocks extra signals in the handler. */
#include "common.h"

static volatile int depth, maxdepth, calls, blocked_self, blocked_usr2, usr2_calls;

static void h(int sig) {
    calls++;
    depth++;
    if (depth > maxdepth) maxdepth = depth;
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    blocked_self = sigismember(&cur, sig);
    blocked_usr2 = sigismember(&cur, SIGUSR2);
    if (calls == 1) raise(sig); /* nested: immediate with SA_NODEFER, after return otherwise */
    depth--;
}

static void h2(int sig) { (void)sig; usr2_calls++; }

static void test(const char *label, int flags, int with_mask) {
    struct sigaction sa, q;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    if (with_mask) sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sa, NULL);
    depth = maxdepth = calls = 0;
    raise(SIGUSR1);
    sigaction(SIGUSR1, NULL, &q);
    printf("%s: calls=%d maxdepth=%d self blocked in handler=%d usr2 blocked=%d disposition after=%s\n", label, calls,
           maxdepth, blocked_self, blocked_usr2,
           q.sa_handler == SIG_DFL ? "SIG_DFL" : q.sa_handler == h ? "handler" : "other");
}

static int resethand_child(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h2;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGTERM, &sa, NULL);
    raise(SIGTERM);
    printf("  first SIGTERM handled: %d\n", usr2_calls);
    raise(SIGTERM); /* now the default action: terminate */
    printf("  still alive\n");
    return 0;
}

int main(void) {
    setup(10);
    struct sigaction s2;
    memset(&s2, 0, sizeof s2);
    s2.sa_handler = h2;
    sigaction(SIGUSR2, &s2, NULL);

    test("default flags", 0, 0);
    test("SA_NODEFER", SA_NODEFER, 0);
    test("sa_mask has SIGUSR2", 0, 1);
    /* SA_RESETHAND: the second signal meets the default action; observed in a child
     * (we may be init, which ignores default-action signals). */
    in_child("SA_RESETHAND child (2nd SIGTERM kills)", resethand_child);

    /* SA_RESETHAND in the parent, disposition read back. */
    struct sigaction sa, q;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h2;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGUSR2, &sa, NULL);
    usr2_calls = 0;
    raise(SIGUSR2);
    sigaction(SIGUSR2, NULL, &q);
    printf("SA_RESETHAND SIGUSR2: calls=%d disposition after=%s\n", usr2_calls,
           q.sa_handler == SIG_DFL ? "SIG_DFL" : "handler");

    return 0;
}

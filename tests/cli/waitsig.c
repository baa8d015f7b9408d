/* Prints "ready", then waits for a signal. With argv[1] = "handle", SIGINT, SIGTERM,
 * SIGHUP and SIGQUIT are caught: it prints "got SIG<NAME>" and exits 3. Otherwise they
 * keep their default action (the process dies of the signal). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void handler(int sig) { got = sig; }

int main(int argc, char **argv) {
    int handle = argc > 1 && !strcmp(argv[1], "handle");
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = handle ? handler : SIG_DFL; /* SIG_DFL even if the caller ignored it */
        sigaction(sigs[i], &sa, NULL);
    }
    alarm(30); /* bounded: a signal that never arrives ends in SIGALRM (142) */
    printf("ready\n");
    fflush(stdout);
    while (!got)
        pause();
    const char *name = got == SIGINT    ? "SIGINT"
                       : got == SIGTERM ? "SIGTERM"
                       : got == SIGHUP  ? "SIGHUP"
                                        : "SIGQUIT";
    printf("got %s\n", name);
    return 3;
}

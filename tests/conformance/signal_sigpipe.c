/* EPIPE/SIGPIPE: writing to a pipe with no readers kills with SIGPIPE by default, gives
 * EPIPE when SIGPIPE is ignored, or runs the handler and then fails with EPIPE. */
#include "common.h"

static volatile int got;
static void h(int s) { (void)s; got++; }

static int write_closed(void) {
    int p[2];
    if (pipe(p)) return 98;
    close(p[0]);
    errno = 0;
    ssize_t n = write(p[1], "x", 1);
    printf("  write: %zd %s handler=%d\n", n, en(errno), got);
    return 0;
}

static int dfl(void) { signal(SIGPIPE, SIG_DFL); return write_closed(); }
static int ign(void) { signal(SIGPIPE, SIG_IGN); return write_closed(); }
static int handled(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sigaction(SIGPIPE, &sa, NULL);
    return write_closed();
}
static int blocked(void) {
    signal(SIGPIPE, SIG_DFL);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    sigprocmask(SIG_BLOCK, &s, NULL);
    int r = write_closed();
    sigset_t pend;
    sigpending(&pend);
    printf("  SIGPIPE pending: %d\n", sigismember(&pend, SIGPIPE));
    return r;
}

int main(void) {
    setup(10);
    in_child("SIG_DFL", dfl);
    in_child("SIG_IGN", ign);
    in_child("handler", handled);
    in_child("blocked", blocked);

    /* Reader exits while the writer is blocked on a full pipe: EPIPE. */
    signal(SIGPIPE, SIG_IGN);
    int p[2];
    if (pipe(p)) DIE("pipe");
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        close(p[1]);
        char buf[100];
        read(p[0], buf, sizeof buf);
        sleep_ms(100);
        _exit(0); /* closes the read end */
    }
    close(p[0]);
    static char big[1 << 20];
    ssize_t total = 0, n;
    while ((n = write(p[1], big, sizeof big)) > 0) total += n;
    printf("writer blocked then: %zd %s, wrote > 0: %s\n", n, en(errno), total > 0 ? "yes" : "no");
    wait_child(c);
    close(p[1]);
    return 0;
}

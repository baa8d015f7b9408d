/* PR_SET_PDEATHSIG: the signal arrives when the parent process exits (the child is then
 * reparented to the subreaper), when only the parent *thread* that forked the child
 * exits (the child stays with the same process), a fatal SIGKILL default kills the
 * child, exec keeps the setting, and a child whose parent stays alive gets nothing. */
#include "common.h"
#include <pthread.h>
#include <sys/prctl.h>

static volatile sig_atomic_t got;
static void h(int s) { got = s; }

static int wait_sig(int ms) {
    for (int i = 0; i < ms / 5 && !got; i++) sleep_ms(5);
    return got;
}

static int report[2];

static void say(const char *s) {
    if (write(report[1], s, strlen(s)) < 0) _exit(90);
}

/* Grandchild: arms pdeathsig, tells `ready`, waits for the signal, reports. */
static void grandchild(int sig, int ready_fd, pid_t expect_parent_after) {
    signal(sig, h);
    prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0);
    pid_t pp = getppid();
    if (write(ready_fd, "r", 1) != 1) _exit(91);
    int s = wait_sig(3000);
    char b[160];
    snprintf(b, sizeof b, "  grandchild got %s, ppid changed: %s, new parent as expected: %s\n",
             signame(s), getppid() != pp ? "yes" : "no",
             getppid() == expect_parent_after ? "yes" : "no");
    say(b);
    _exit(0);
}

static void drain(void) {
    char b[512];
    ssize_t n = read(report[0], b, sizeof b - 1);
    if (n > 0) { b[n] = 0; printf("%s", b); }
}

static void process_exit(void) {
    pid_t me = getpid();
    int rd[2];
    if (pipe(rd) < 0) DIE("pipe");
    fflush(stdout);
    pid_t m = fork();
    if (m == 0) {
        pid_t c = fork();
        if (c == 0) grandchild(SIGUSR1, rd[1], me);
        char x;
        if (read(rd[0], &x, 1) != 1) _exit(92);
        _exit(0); /* the parent process exits */
    }
    printf("middle: %s\n", wstr(wait_child(m)));
    /* The orphan is now our child (we are a subreaper). */
    int st;
    pid_t w = waitpid(-1, &st, 0);
    drain();
    printf("reparented grandchild reaped by us: %s, %s\n", w > 0 ? "yes" : "no", wstr(st));
    close(rd[0]);
    close(rd[1]);
}

struct targ { int rd; pid_t c; pid_t tgid; };

static void *forker(void *a) {
    struct targ *t = a;
    fflush(stdout);
    t->c = fork();
    if (t->c == 0) grandchild(SIGUSR2, t->rd, t->tgid);
    char x;
    if (read(t->rd - 1, &x, 1) != 1) return NULL; /* rd-1 is the read end */
    return NULL; /* the thread exits, the process lives on */
}

static void thread_exit(void) {
    fflush(stdout);
    pid_t m = fork();
    if (m == 0) {
        int rd[2];
        if (pipe(rd) < 0 || rd[1] != rd[0] + 1) _exit(93);
        struct targ t = {rd[1], 0, getpid()};
        pthread_t th;
        pthread_create(&th, NULL, forker, &t);
        pthread_join(th, NULL);
        int st = wait_child(t.c);
        char b[80];
        snprintf(b, sizeof b, "  middle reaped grandchild: %s\n", wstr(st));
        say(b);
        _exit(0);
    }
    printf("middle (thread exit case): %s\n", wstr(wait_child(m)));
    drain();
}

static void sigkill_case(void) {
    int rd[2];
    if (pipe(rd) < 0) DIE("pipe");
    fflush(stdout);
    pid_t m = fork();
    if (m == 0) {
        pid_t c = fork();
        if (c == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
            if (write(rd[1], "r", 1) != 1) _exit(91);
            for (int i = 0; i < 600; i++) sleep_ms(5);
            _exit(5);
        }
        char x;
        if (read(rd[0], &x, 1) != 1) _exit(92);
        _exit(0);
    }
    wait_child(m);
    int st;
    waitpid(-1, &st, 0);
    printf("SIGKILL pdeathsig: grandchild %s\n", wstr(st));
    close(rd[0]);
    close(rd[1]);
}

static int parent_alive(void) {
    signal(SIGUSR1, h);
    prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
    return wait_sig(50) ? 1 : 0;
}

int main(int argc, char **argv) {
    setup(10);
    if (argc == 2 && strcmp(argv[1], "get") == 0) {
        int s = 0;
        prctl(PR_GET_PDEATHSIG, &s, 0, 0, 0);
        printf("  after exec: pdeathsig %s\n", signame(s));
        return 0;
    }
    if (pipe(report) < 0) DIE("pipe");
    RET("PR_SET_CHILD_SUBREAPER", prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
    process_exit();
    thread_exit();
    sigkill_case();
    in_child("parent stays alive (no signal)", parent_alive);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        prctl(PR_SET_PDEATHSIG, SIGHUP, 0, 0, 0);
        execl(argv[0], argv[0], "get", (char *)NULL);
        _exit(127);
    }
    printf("exec child: %s\n", wstr(wait_child(c)));
    return 0;
}

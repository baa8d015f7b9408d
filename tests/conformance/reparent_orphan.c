/* Reparenting: a grandchild whose parent exits gets a new parent (init or a
 * subreaper). With PR_SET_CHILD_SUBREAPER the new parent is us, and we can reap it. */
#include "common.h"
#include <sys/prctl.h>

/* Middle process: forks a grandchild that waits until its parent changes, then
 * reports over the pipe whether it changed and whether the new parent is `expect`. */
static void middle(int wfd, pid_t expect) {
    pid_t orig = getpid();
    pid_t g = fork();
    if (g == 0) {
        pid_t pp = getppid();
        char msg[64];
        int same_at_start = pp == orig;
        for (int i = 0; i < 5000 && getppid() == orig; i++) sleep_ms(1);
        pid_t np = getppid();
        snprintf(msg, sizeof msg, "%d %d %d %d\n", same_at_start, np != orig, expect == 0 ? -1 : np == expect, (int)getpid());
        write(wfd, msg, strlen(msg));
        _exit(0);
    }
    sleep_ms(20);
    _exit(3);
}

static pid_t grandchild;

static void run(const char *label, pid_t expect) {
    int pfd[2];
    if (pipe(pfd)) DIE("pipe");
    fflush(stdout);
    pid_t m = fork();
    if (m == 0) { close(pfd[0]); middle(pfd[1], expect); }
    close(pfd[1]);
    printf("%s: middle %s\n", label, wstr(wait_child(m)));
    char buf[64] = {0};
    ssize_t n = read(pfd[0], buf, sizeof buf - 1);
    close(pfd[0]);
    int a = -9, b = -9, c = -9, g = 0;
    if (n > 0) sscanf(buf, "%d %d %d %d", &a, &b, &c, &g);
    grandchild = g;
    printf("%s: grandchild parent was middle at start: %s\n", label, a == 1 ? "yes" : "no");
    printf("%s: grandchild parent changed: %s\n", label, b == 1 ? "yes" : "no");
    if (c != -1) printf("%s: new parent is the subreaper: %s\n", label, c == 1 ? "yes" : "no");
}

int main(void) {
    setup(15);
    RET("PR_GET_CHILD_SUBREAPER initially 0 (via value)", ({ int v = -1; prctl(PR_GET_CHILD_SUBREAPER, &v); v; }));
    /* Without subreaper: reparented to init (or to whatever reaper is above us). The
     * scenario runs in a child that is itself not a subreaper nor init. */
    fflush(stdout);
    pid_t s = fork();
    if (s == 0) { run("to init", 0); _exit(0); }
    wait_child(s);

    RET("PR_SET_CHILD_SUBREAPER", prctl(PR_SET_CHILD_SUBREAPER, 1));
    int v = -1;
    prctl(PR_GET_CHILD_SUBREAPER, &v);
    printf("PR_GET_CHILD_SUBREAPER: %d\n", v);
    run("to subreaper", getpid());
    /* The orphan is now our child: reap it. */
    int st;
    if (grandchild > 0 && waitpid(grandchild, &st, 0) == grandchild)
        printf("reaped adopted grandchild: %s\n", wstr(st));
    else
        printf("adopted grandchild not reaped: %s\n", en(errno));
    return 0;
}

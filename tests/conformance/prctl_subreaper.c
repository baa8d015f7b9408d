/* PR_SET_CHILD_SUBREAPER: orphans are reparented to the nearest living subreaper
 * ancestor (getppid, /proc/PID/stat ppid), which reaps them with wait and gets SIGCHLD;
 * nested subreapers take the nearer one; the flag is not inherited by fork; without
 * the flag a middle process's orphans go past it. */
#include "common.h"
#include <sys/prctl.h>

static volatile sig_atomic_t chld;
static void on_chld(int s) { (void)s; chld++; }

static pid_t ppid_of(pid_t p) {
    char path[64], b[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)p);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = read(fd, b, sizeof b - 1);
    close(fd);
    if (n <= 0) return -1;
    b[n] = 0;
    char *r = strrchr(b, ')');
    return r ? atoi(r + 4) : -1;
}

/* Leaf: waits until its parent is `want`, reports by exit status (0 ok, 1 timeout). */
static int leaf(pid_t want, int rfd) {
    char x;
    if (read(rfd, &x, 1) < 0) return 3;
    for (int i = 0; i < 400; i++) {
        if (getppid() == want) return 0;
        sleep_ms(5);
    }
    return 1;
}

int main(void) {
    setup(10);
    pid_t me = getpid();
    signal(SIGCHLD, on_chld);
    RET("PR_SET_CHILD_SUBREAPER 1", prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));

    /* Simple: A (us) -> B -> C; B exits; C is ours. */
    int go[2], info[2];
    if (pipe(go) < 0 || pipe(info) < 0) DIE("pipe");
    fflush(stdout);
    pid_t b = fork();
    if (b == 0) {
        int v = -1;
        prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0);
        printf("  B inherits subreaper flag: %d\n", v);
        pid_t c = fork();
        if (c == 0) _exit(leaf(me, go[0]));
        if (write(info[1], &c, sizeof c) != sizeof c) _exit(9);
        _exit(0);
    }
    pid_t c;
    if (read(info[0], &c, sizeof c) != sizeof c) DIE("read");
    printf("B: %s\n", wstr(wait_child(b)));
    YN("C's ppid in /proc is us", ppid_of(c) == me);
    chld = 0;
    if (write(go[1], "g", 1) != 1) DIE("write");
    int st = wait_child(c);
    printf("C reaped by subreaper: %s\n", wstr(st));
    YN("SIGCHLD for the orphan's exit", chld >= 1);

    /* Nested: A (subreaper) -> B (subreaper) -> C -> D; C exits: D goes to B; B then
     * exits: D goes to A. */
    fflush(stdout);
    b = fork();
    if (b == 0) {
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        pid_t bme = getpid();
        int g2[2];
        if (pipe(g2) < 0) _exit(8);
        pid_t cc = fork();
        if (cc == 0) {
            pid_t d = fork();
            if (d == 0) {
                char x;
                /* First wait for B to adopt us, then for A. */
                int r1 = leaf(bme, g2[0]);
                if (read(go[0], &x, 1) < 0) _exit(4);
                for (int i = 0; i < 400 && getppid() != me; i++) sleep_ms(5);
                _exit(r1 * 10 + (getppid() == me ? 0 : 1));
            }
            if (write(info[1], &d, sizeof d) != sizeof d) _exit(9);
            _exit(0);
        }
        waitpid(cc, NULL, 0);
        if (write(g2[1], "g", 1) != 1) _exit(7);
        sleep_ms(20);
        _exit(0);
    }
    pid_t d;
    if (read(info[0], &d, sizeof d) != sizeof d) DIE("read");
    printf("B (nested subreaper): %s\n", wstr(wait_child(b)));
    if (write(go[1], "g", 1) != 1) DIE("write");
    printf("D (adopted by B, then by us): %s\n", wstr(wait_child(d)));

    RET("PR_SET_CHILD_SUBREAPER 0", prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0));
    int v = -1;
    prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0);
    printf("subreaper now: %d\n", v);
    RET("wait with no children", waitpid(-1, NULL, WNOHANG));
    return 0;
}

/* kill(-pgid, sig) reaches every member of a process group (3 children), and only
 * them; kill(0, sig) hits the caller's own group; killpg on an empty group is ESRCH. */
#include "common.h"

static void on_usr1(int s) { (void)s; }

int main(void) {
    setup(10);
    int ready[2];
    if (pipe(ready)) DIE("pipe");
    pid_t kids[3];
    pid_t leader = 0;
    for (int i = 0; i < 3; i++) {
        fflush(stdout);
        pid_t p = fork();
        if (p == 0) {
            setpgid(0, leader ? leader : 0);
            write(ready[1], "r", 1);
            for (;;) pause();
        }
        setpgid(p, leader ? leader : p);
        if (!leader) leader = p;
        kids[i] = p;
    }
    /* A bystander outside the group. */
    pid_t outsider = fork();
    if (outsider == 0) { write(ready[1], "r", 1); for (;;) pause(); }
    char c;
    for (int i = 0; i < 4; i++) read(ready[0], &c, 1);

    int same = 1;
    for (int i = 0; i < 3; i++) same &= getpgid(kids[i]) == leader;
    YN("all three in the leader's group", same);
    YN("outsider not in it", getpgid(outsider) != leader);
    RET("kill(-pgid, SIGTERM)", kill(-leader, SIGTERM));
    for (int i = 0; i < 3; i++) printf("child %d: %s\n", i, wstr(wait_child(kids[i])));
    int st;
    RET("outsider still running (WNOHANG)", waitpid(outsider, &st, WNOHANG));
    RET("kill(-pgid) on empty group", kill(-leader, SIGTERM));
    RET("killpg(empty group)", killpg(leader, SIGTERM));
    kill(outsider, SIGKILL);
    printf("outsider: %s\n", wstr(wait_child(outsider)));

    /* kill(0, sig): the whole group of the caller, from a child that leads its own group
     * with two grandchildren. */
    fflush(stdout);
    pid_t g = fork();
    if (g == 0) {
        setpgid(0, 0);
        signal(SIGUSR1, on_usr1);
        pid_t gc[2];
        for (int i = 0; i < 2; i++) {
            gc[i] = fork();
            if (gc[i] == 0) { signal(SIGUSR1, SIG_DFL); write(ready[1], "r", 1); for (;;) pause(); }
        }
        for (int i = 0; i < 2; i++) read(ready[0], &c, 1);
        kill(0, SIGUSR1);
        for (int i = 0; i < 2; i++) printf("  grandchild %d: %s\n", i, wstr(wait_child(gc[i])));
        _exit(0);
    }
    printf("group leader: %s\n", wstr(wait_child(g)));
    RET("kill(-nonexistent pgid)", kill(-0x3ffffff0, SIGTERM));
    return 0;
}

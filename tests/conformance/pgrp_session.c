/* Process groups and sessions: setpgid/getpgid/getpgrp/setsid/getsid and their errors. */
#include "common.h"

static int child_setsid(void) {
    pid_t me = getpid();
    pid_t sid = setsid();
    printf("  setsid returned own pid: %s\n", sid == me ? "yes" : "no");
    printf("  getsid(0)==pid: %s  getpgid(0)==pid: %s  getpgrp()==pid: %s\n", getsid(0) == me ? "yes" : "no",
           getpgid(0) == me ? "yes" : "no", getpgrp() == me ? "yes" : "no");
    errno = 0;
    RET("  setsid again (leader)", setsid());
    RET("  setpgid(0,0) as session leader", setpgid(0, 0));
    /* A child of the session leader is in the same session and group. */
    pid_t c = fork();
    if (c == 0) {
        printf("  grandchild getsid==leader: %s getpgid==leader: %s\n", getsid(0) == me ? "yes" : "no",
               getpgid(0) == me ? "yes" : "no");
        _exit(0);
    }
    wait_child(c);
    return 0;
}

static int child_setpgid(void) {
    pid_t me = getpid();
    pid_t ppg = getpgid(getppid());
    printf("  initial pgid == parent's: %s\n", getpgid(0) == ppg ? "yes" : "no");
    RET("  setpgid(0,0)", setpgid(0, 0));
    printf("  now pgid == pid: %s\n", getpgid(0) == me ? "yes" : "no");
    RET("  setpgid(0, back to parent's group)", setpgid(0, ppg));
    printf("  back in parent's group: %s\n", getpgid(0) == ppg ? "yes" : "no");
    RET("  setpgid(0, -1)", setpgid(0, -1));
    RET("  setpgid(0, nonexistent group)", setpgid(0, 0x3ffffff0));
    return 0;
}

int main(void) {
    setup(10);
    in_child("setsid child", child_setsid);
    in_child("setpgid child", child_setpgid);

    RET("getpgid(nonexistent)", getpgid(0x3ffffff0));
    RET("getsid(nonexistent)", getsid(0x3ffffff0));
    YN("getpgid(0)==getpgrp()", getpgid(0) == getpgrp());
    YN("getpgid(getpid())==getpgid(0)", getpgid(getpid()) == getpgid(0));
    YN("getsid(0)==getsid(getpid())", getsid(0) == getsid(getpid()));

    /* Parent moves a child into a new group; after the child execs, EACCES. */
    int pfd[2];
    if (pipe(pfd)) DIE("pipe");
    pid_t c = fork();
    if (c == 0) {
        char ch;
        close(pfd[1]);
        read(pfd[0], &ch, 1);
        dup2(pfd[0], 0); /* the shell blocks reading the pipe until it is killed */
        execl("/bin/sh", "sh", "-c", "read x; exit 0", (char *)NULL);
        _exit(127);
    }
    close(pfd[0]);
    RET("parent setpgid(child, child)", setpgid(c, c));
    YN("getpgid(child)==child", getpgid(c) == c);
    write(pfd[1], "x", 1);
    /* Wait until the child has exec'd: its /proc/pid/exe changes (poll /proc/pid/comm). */
    char path[64], comm[32] = {0};
    snprintf(path, sizeof path, "/proc/%d/comm", (int)c);
    for (int i = 0; i < 500; i++) {
        int fd = open(path, O_RDONLY);
        ssize_t n = fd >= 0 ? read(fd, comm, sizeof comm - 1) : -1;
        if (fd >= 0) close(fd);
        if (n > 0 && strncmp(comm, "sh", 2) == 0) break;
        sleep_ms(5);
    }
    RET("setpgid(child after exec)", setpgid(c, getpgrp()));
    kill(c, SIGKILL);
    printf("child: %s\n", wstr(wait_child(c)));
    close(pfd[1]);
    RET("setpgid(nonexistent, 0)", setpgid(0x3ffffff0, 0));
    return 0;
}

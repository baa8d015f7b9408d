/* /proc/PID/stat's tty_nr and tpgid (fields 7 and 8), which ps reads for its TT column:
 * 0 and -1 without a controlling terminal; the slave's device number and the foreground
 * group once a pty is the session's controlling terminal, for the leader and for a child
 * in another process group; the new foreground group after tcsetpgrp; and again 0 and -1
 * after TIOCNOTTY. */
#include "common.h"
#include "pty.h"
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* Fields 7 (tty_nr) and 8 (tpgid) of /proc/<pid>/stat. */
static void tty_fields(pid_t pid, long *tty_nr, long *tpgid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0) DIE("open stat");
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) DIE("read stat");
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) DIE("parse stat");
    char state;
    int ppid, pgrp, session;
    if (sscanf(p + 1, " %c %d %d %d %ld %ld", &state, &ppid, &pgrp, &session, tty_nr, tpgid) != 6)
        DIE("parse stat");
}

static void show(const char *label, pid_t pid, dev_t slave, pid_t fg) {
    long tty_nr, tpgid;
    tty_fields(pid, &tty_nr, &tpgid);
    const char *t = tty_nr == 0 ? "0" : (dev_t)tty_nr == slave ? "the slave" : "other";
    const char *g = tpgid == -1 ? "-1" : tpgid == fg ? "the foreground group" : "other";
    printf("%s: tty_nr %s, tpgid %s\n", label, t, g);
}

static char name[64];
static dev_t slave;

static int session(void) {
    {
        if (setsid() < 0) DIE("setsid");
        show("no terminal", getpid(), slave, -1);
        int s = open(name, O_RDWR);
        if (s < 0) DIE("open slave");
        show("leader, terminal", getpid(), slave, getpgrp());
        int sync[2];
        if (pipe(sync)) DIE("pipe");
        pid_t c = fork();
        if (c < 0) DIE("fork");
        if (c == 0) {
            setpgid(0, 0);
            char x;
            if (read(sync[0], &x, 1) != 1) _exit(1);
            _exit(0);
        }
        setpgid(c, c);
        show("child in its own group", c, slave, getpgrp());
        signal(SIGTTOU, SIG_IGN);
        RET("tcsetpgrp(child)", tcsetpgrp(s, c));
        show("leader after tcsetpgrp", getpid(), slave, c);
        show("child after tcsetpgrp", c, slave, c);
        RET("tcsetpgrp(back)", tcsetpgrp(s, getpgrp()));
        if (write(sync[1], "x", 1) != 1) DIE("write");
        waitpid(c, NULL, 0);
        signal(SIGHUP, SIG_IGN);
        RET("TIOCNOTTY", ioctl(s, TIOCNOTTY));
        show("after TIOCNOTTY", getpid(), slave, -1);
        fflush(stdout);
        return 0;
    }
}

int main(void) {
    int m = open_pty(name, sizeof name);
    struct stat sb;
    if (stat(name, &sb)) DIE("stat slave");
    slave = sb.st_rdev;
    printf("slave major %u\n", major(slave));
    in_child("session", session);
    close(m);
    return 0;
}

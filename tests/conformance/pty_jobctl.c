/* Job control on a pseudo-terminal: a session leader with the slave as controlling
 * terminal runs children in background process groups. A background read stops with
 * SIGTTIN and succeeds once its group is made foreground (TIOCSPGRP) and continued; with
 * TOSTOP a background write stops with SIGTTOU (not when SIGTTOU is ignored, nor without
 * TOSTOP); background tcsetattr/tcsetpgrp stop with SIGTTOU; SIGTTIN ignored or blocked
 * gives EIO; a read from an orphaned background group gives EIO; tcsetpgrp errors; ^Z to
 * an orphaned foreground group does not stop it. A session leader's exit sends SIGHUP to
 * the foreground group and frees the terminal; a stopped job it orphans gets SIGHUP and
 * SIGCONT. */
#include "common.h"
#include "pty.h"
#include <sys/ioctl.h>
#include <termios.h>

static char name[64];
static int m, s;

/* Reads what the master has within a short wait and prints it escaped. */
static void show_master(const char *label) { show_pending(label, m, 150, 150); }

/* Forks a child in its own (background) process group running fn. */
static pid_t bg(int (*fn)(void)) {
    fflush(stdout);
    pid_t p = fork();
    if (p < 0) DIE("fork");
    if (p == 0) {
        setpgid(0, 0);
        signal(SIGTTOU, SIG_DFL);
        _exit(fn());
    }
    setpgid(p, p);
    return p;
}

static int wait_for(const char *label, pid_t p, int flags) {
    int st = 0;
    while (waitpid(p, &st, flags) < 0 && errno == EINTR) {
    }
    printf("%s: %s\n", label, wstr(st));
    return st;
}

static int do_read(void) {
    char buf[64];
    ssize_t n = read(s, buf, sizeof buf);
    return n < 0 ? 100 + (errno == EIO) : (int)n;
}
static int do_write(void) {
    ssize_t n = write(s, "bg\n", 3);
    return n < 0 ? 100 + (errno == EIO) : (int)n;
}
static int write_ign(void) {
    signal(SIGTTOU, SIG_IGN);
    return do_write();
}
static int read_ign(void) {
    signal(SIGTTIN, SIG_IGN);
    return do_read();
}
static int read_blocked(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTTIN);
    sigprocmask(SIG_BLOCK, &set, NULL);
    return do_read();
}
static int do_tcsetattr(void) {
    struct termios t;
    tcgetattr(s, &t);
    return tcsetattr(s, TCSANOW, &t) == 0 ? 0 : 100;
}
static int do_tcsetpgrp(void) { return tcsetpgrp(s, getpgrp()) == 0 ? 0 : 100; }
static int tcsetpgrp_ign(void) {
    signal(SIGTTOU, SIG_IGN);
    return do_tcsetpgrp();
}

static int leader(void) {
    struct rlimit rl = {0, 0};
    setrlimit(RLIMIT_CORE, &rl);
    setsid();
    s = open(name, O_RDWR);
    if (s < 0) DIE("open slave");
    signal(SIGTTOU, SIG_IGN);
    YN("leader is in the foreground", tcgetpgrp(s) == getpgrp());

    pid_t b = bg(do_read);
    wait_for("background read", b, WUNTRACED);
    write(m, "data\n", 5);
    RET("tcsetpgrp to the reader", tcsetpgrp(s, b));
    kill(-b, SIGCONT);
    wait_for("after SIGCONT", b, WCONTINUED);
    wait_for("foreground read (bytes)", b, 0);
    RET("tcsetpgrp back (SIGTTOU ignored)", tcsetpgrp(s, getpgrp()));
    show_master("echo");

    b = bg(do_write);
    wait_for("background write without TOSTOP (bytes)", b, 0);
    show_master("output");
    struct termios t;
    tcgetattr(s, &t);
    t.c_lflag |= TOSTOP;
    RET("set TOSTOP", tcsetattr(s, TCSANOW, &t));
    b = bg(do_write);
    wait_for("background write with TOSTOP", b, WUNTRACED);
    kill(b, SIGKILL);
    wait_for("killed", b, 0);
    RET("tcsetpgrp to a dead group", tcsetpgrp(s, b));
    b = bg(write_ign);
    wait_for("background write, SIGTTOU ignored (bytes)", b, 0);
    show_master("output");
    t.c_lflag &= ~TOSTOP;
    tcsetattr(s, TCSANOW, &t);

    b = bg(read_ign);
    wait_for("background read, SIGTTIN ignored (100+EIO)", b, 0);
    b = bg(read_blocked);
    wait_for("background read, SIGTTIN blocked (100+EIO)", b, 0);
    b = bg(do_tcsetattr);
    wait_for("background tcsetattr", b, WUNTRACED);
    kill(b, SIGKILL);
    wait_for("killed", b, 0);
    b = bg(do_tcsetpgrp);
    wait_for("background tcsetpgrp", b, WUNTRACED);
    kill(b, SIGKILL);
    wait_for("killed", b, 0);
    b = bg(tcsetpgrp_ign);
    wait_for("background tcsetpgrp, SIGTTOU ignored", b, 0);
    YN("foreground is the dead group", tcgetpgrp(s) == b);
    RET("tcsetpgrp back", tcsetpgrp(s, getpgrp()));
    RET("tcsetpgrp -1", tcsetpgrp(s, -1));
    RET("tcsetpgrp other session", tcsetpgrp(s, getpgid(getppid())));

    /* An orphaned background group: its read fails with EIO. */
    int pp[2];
    pipe(pp);
    fflush(stdout);
    pid_t x = fork();
    if (x == 0) {
        pid_t x0 = getpid();
        pid_t g = fork();
        if (g == 0) {
            setpgid(0, 0);
            while (getppid() == x0) sleep_ms(10); /* until the parent is gone */
            char r = (char)do_read();
            write(pp[1], &r, 1);
            _exit(0);
        }
        _exit(0);
    }
    wait_child(x);
    char r = 0;
    read(pp[0], &r, 1);
    printf("orphaned background read (100+EIO): %d\n", r);

    /* ^Z to the leader's own group, which is orphaned: no stop. */
    write(m, "\x1a", 1);
    sleep_ms(100);
    printf("leader still running after ^Z\n");
    show_master("echo");
    return 0;
}

/* A session leader exits: its terminal's foreground group gets SIGHUP and the session
 * loses the terminal. The reader holds the pipe's write end until it dies. */
static int rep[2];
static void leader_exits(int foreground) {
    setsid();
    s = open(name, O_RDWR);
    int go[2];
    if (pipe(go)) DIE("pipe");
    pid_t b = fork();
    if (b == 0) {
        setpgid(0, 0);
        char x;
        read(go[0], &x, 1); /* wait until the group is in the foreground */
        char buf[16];
        ssize_t n = read(s, buf, sizeof buf);
        char r[64];
        snprintf(r, sizeof r, "reader read %zd\n", n);
        write(rep[1], r, strlen(r));
        _exit(0);
    }
    setpgid(b, b);
    if (foreground) tcsetpgrp(s, b);
    write(go[1], "g", 1);
    if (!foreground) {
        int st;
        waitpid(b, &st, WUNTRACED);
        char r[64];
        snprintf(r, sizeof r, "reader: %s\n", wstr(st));
        write(rep[1], r, strlen(r));
    }
    sleep_ms(100);
    _exit(0);
}

static void run_leader_exits(int foreground) {
    if (pipe(rep)) DIE("pipe");
    fflush(stdout);
    pid_t l = fork();
    if (l == 0) leader_exits(foreground);
    printf("exiting leader: %s\n", wstr(wait_child(l)));
    close(rep[1]);
    char buf[64];
    ssize_t n;
    while ((n = read(rep[0], buf, sizeof buf - 1)) > 0) {
        buf[n] = 0;
        printf("pipe: %s", buf);
    }
    close(rep[0]);
    printf("pipe closed: the reader is gone\n");
}

int main(void) {
    setup(20);
    m = open_pty(name, sizeof name);
    in_child("leader", leader);

    run_leader_exits(1);
    pid_t sid;
    RET("TIOCGSID on master after the leader's exit", ioctl(m, TIOCGSID, &sid));
    /* A stopped background job orphaned by the leader's exit: SIGHUP and SIGCONT. */
    run_leader_exits(0);
    return 0;
}

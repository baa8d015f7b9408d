/* Pseudo-terminal signals. A session leader (like a shell) opens the slave and acquires
 * it as its controlling terminal (tcgetsid, tcgetpgrp, /dev/tty), then runs readers in
 * their own foreground process groups: ^C, ^Z and ^\ written to the master signal the
 * foreground group (SIGINT; SIGTSTP seen with WUNTRACED and SIGCONT resuming the read;
 * SIGQUIT) and are echoed as ^C/^Z/^\; TIOCSWINSZ raises SIGWINCH; with ISIG off ^C is
 * data. Closing the master sends SIGHUP to the controlling process and the reader blocked
 * in read gets EIO. Then the TIOCSCTTY/TIOCNOTTY rules. */
#include "common.h"
#include "pty.h"
#include <sys/ioctl.h>
#include <termios.h>

static char name[64];
static int m, cmd[2], rep[2];

/* Reads what the master has within a short wait and prints it escaped. */
static void show_master(const char *label) { show_pending(label, m, 150, 150); }

static void say(const char *s) { write(rep[1], s, strlen(s)); }

static volatile sig_atomic_t winch;
static void on_winch(int s) { (void)s; winch++; }

/* A reader in the foreground group: reports the lines it reads. */
static void reader(int s) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_winch;
    sigaction(SIGWINCH, &sa, NULL);
    /* The leader's death at hangup sends SIGHUP to this foreground group; ignored so
     * that the read's EIO is always reported (else it races with the signal). */
    signal(SIGHUP, SIG_IGN);
    char buf[64], r[128];
    say("reader ready\n");
    for (;;) {
        ssize_t n = read(s, buf, sizeof buf - 1);
        if (n < 0 && errno == EINTR) continue; /* SIGWINCH (counted below) */
        if (n <= 0) {
            snprintf(r, sizeof r, "read returned %zd %s\n", n, en(n < 0 ? errno : 0));
            say(r);
            _exit(3);
        }
        for (ssize_t i = 0; i < n; i++)
            if ((unsigned char)buf[i] < 32) buf[i] = '.';
        snprintf(r, sizeof r, "reader read %zd: %.*s (SIGWINCH %d)\n", n, (int)n, buf, (int)winch);
        say(r);
    }
}

/* The session leader: takes commands from the test. */
static void leader(void) {
    close(m);
    struct rlimit rl = {0, 0};
    setrlimit(RLIMIT_CORE, &rl);
    signal(SIGTTOU, SIG_IGN);
    pid_t me = getpid();
    setsid();
    int s = open(name, O_RDWR);
    char r[128];
    int ok = s >= 0 && tcgetsid(s) == me && tcgetpgrp(s) == me;
    int t = open("/dev/tty", O_RDWR);
    int same = t >= 0 && tcgetsid(t) == me;
    if (t >= 0) close(t);
    snprintf(r, sizeof r, "ctty %s, /dev/tty %s\n", ok ? "yes" : "no", same ? "is it" : "is not it");
    say(r);
    pid_t b = 0;
    char c;
    while (read(cmd[0], &c, 1) == 1) {
        if (c == 'n') {
            int go[2];
            pipe(go);
            b = fork();
            if (b == 0) {
                char x;
                setpgid(0, 0);
                read(go[0], &x, 1);
                signal(SIGTTOU, SIG_DFL);
                reader(s);
            }
            setpgid(b, b);
            tcsetpgrp(s, b);
            write(go[1], "x", 1);
            close(go[0]);
            close(go[1]);
        } else if (c == 'w') {
            int st = 0;
            while (waitpid(b, &st, WUNTRACED | WCONTINUED) < 0 && errno == EINTR) {
            }
            snprintf(r, sizeof r, "reader: %s\n", wstr(st));
            say(r);
            if (WIFEXITED(st) || WIFSIGNALED(st)) tcsetpgrp(s, getpgrp());
        } else if (c == 'c') {
            kill(b, SIGCONT);
        }
    }
    _exit(0);
}

static void report(void) {
    char buf[256];
    ssize_t n = read(rep[0], buf, sizeof buf - 1);
    if (n < 0) n = 0;
    buf[n] = 0;
    printf("%s", buf);
}

static void send_cmd(char c) { write(cmd[1], &c, 1); }

static int ctty_rules(void) {
    close(m);
    int s = open(name, O_RDWR | O_NOCTTY);
    RET("TIOCSCTTY not a session leader", ioctl(s, TIOCSCTTY, 0));
    setsid();
    RET("TIOCGPGRP before", ioctl(s, TIOCGPGRP, &(pid_t){0}));
    RET("open /dev/tty before", open("/dev/tty", O_RDWR));
    RET("TIOCSCTTY", ioctl(s, TIOCSCTTY, 0));
    RET("TIOCSCTTY again", ioctl(s, TIOCSCTTY, 0));
    YN("tcgetpgrp == getpid", tcgetpgrp(s) == getpid());
    YN("tcgetsid == getpid", tcgetsid(s) == getpid());
    fflush(stdout);
    pid_t g = fork();
    if (g == 0) {
        /* Another session cannot take it. */
        setsid();
        RET("TIOCSCTTY of another session's tty", ioctl(s, TIOCSCTTY, 0));
        RET("tcgetpgrp not my ctty", tcgetpgrp(s));
        _exit(0);
    }
    wait_child(g);
    /* The leader giving it up signals the foreground group: its own. */
    signal(SIGHUP, SIG_IGN);
    RET("TIOCNOTTY", ioctl(s, TIOCNOTTY));
    RET("tcgetpgrp after TIOCNOTTY", tcgetpgrp(s));
    RET("TIOCNOTTY again", ioctl(s, TIOCNOTTY));
    return 0;
}

int main(void) {
    setup(20);
    m = open_pty(name, sizeof name);
    if (pipe(cmd) || pipe(rep)) DIE("pipe");
    fflush(stdout);
    pid_t l = fork();
    if (l < 0) DIE("fork");
    if (l == 0) leader();
    close(cmd[0]);
    report();
    pid_t pg = 0, sid = 0;
    RET("TIOCGSID on master", ioctl(m, TIOCGSID, &sid));
    YN("session is the leader's", sid == l);
    send_cmd('n');
    report();
    RET("TIOCGPGRP on master", ioctl(m, TIOCGPGRP, &pg));
    YN("foreground group is not the leader's", pg != l && pg > 0);

    write(m, "hi\n", 3);
    report();
    show_master("echo");
    struct winsize ws = {30, 100, 0, 0};
    RET("TIOCSWINSZ", ioctl(m, TIOCSWINSZ, &ws));
    RET("TIOCSWINSZ unchanged", ioctl(m, TIOCSWINSZ, &ws));
    write(m, "after\n", 6);
    report();
    show_master("echo");

    write(m, "\x1a", 1);
    send_cmd('w');
    report();
    show_master("echo");
    send_cmd('c');
    send_cmd('w');
    report();
    write(m, "resumed\n", 8);
    report();
    show_master("echo");

    write(m, "abc\x03", 4);
    send_cmd('w');
    report();
    show_master("echo");

    send_cmd('n');
    report();
    write(m, "\x1c", 1);
    send_cmd('w');
    report();
    show_master("echo");

    /* With ISIG off, ^C is data. */
    send_cmd('n');
    report();
    int s = open(name, O_RDWR | O_NOCTTY);
    struct termios t;
    tcgetattr(s, &t);
    t.c_lflag &= ~ISIG;
    tcsetattr(s, TCSANOW, &t);
    write(m, "x\x03y\n", 4);
    report();
    t.c_lflag |= ISIG;
    tcsetattr(s, TCSANOW, &t);
    close(s);
    show_master("echo");

    /* Hangup: closing the master signals the controlling process. */
    close(m);
    int st = wait_child(l);
    printf("leader after closing the master: %s\n", wstr(st));
    report();

    m = open_pty(name, sizeof name);
    in_child("ctty rules", ctty_rules);
    return 0;
}

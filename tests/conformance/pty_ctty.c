/* Controlling terminals. Who acquires a pty slave on open: a session leader without one
 * (not with O_NOCTTY, not with O_WRONLY, not a second terminal, not a non-leader);
 * /dev/tty in the session (its device number, I/O reaching the pty, children inheriting
 * it, gone after setsid); TIOCGSID/TIOCGPGRP from inside and outside the session and on
 * the master; TIOCSCTTY on the master fd (it means the slave); TIOCNOTTY by a member
 * (only it loses the terminal) and by the leader (the foreground group gets SIGHUP and
 * SIGCONT, the whole session loses it, another session may take it); and stealing a
 * terminal with TIOCSCTTY 1. */
#include "common.h"
#include "pty.h"
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <termios.h>

static int m;
static char name[64];

/* Reads what the master has within a short wait and prints it escaped. */
static void show_master(const char *label) { show_pending(label, m, 150, 20); }

/* Whether the caller has a controlling terminal, as /dev/tty says. */
static const char *has_ctty(void) {
    int fd = open("/dev/tty", O_RDWR);
    if (fd < 0) return errno == ENXIO ? "no (ENXIO)" : en(errno);
    close(fd);
    return "yes";
}

static int fresh_session(void) {
    if (setsid() < 0) DIE("setsid");
    return 0;
}

static int leader_noctty(void) {
    fresh_session();
    int s = open(name, O_RDWR | O_NOCTTY);
    printf("  O_NOCTTY: ctty %s, tcgetsid %s\n", has_ctty(), tcgetsid(s) < 0 ? en(errno) : "ok");
    int w = open(name, O_WRONLY);
    printf("  O_WRONLY: ctty %s\n", has_ctty());
    RET("  TIOCSCTTY on a write-only fd (root)", ioctl(w, TIOCSCTTY, 0));
    printf("  then: ctty %s\n", has_ctty());
    return 0;
}

static int non_leader(void) {
    fresh_session();
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        int s = open(name, O_RDWR);
        printf("  a non-leader opens it: ctty %s, tcgetsid %s\n", has_ctty(), tcgetsid(s) < 0 ? en(errno) : "ok");
        _exit(0);
    }
    wait_child(c);
    return 0;
}

static int acquire(void) {
    fresh_session();
    int s = open(name, O_RDWR);
    printf("  ctty %s\n", has_ctty());
    YN("  tcgetsid is mine", tcgetsid(s) == getpid());
    YN("  tcgetpgrp is mine", tcgetpgrp(s) == getpgrp());
    int t = open("/dev/tty", O_RDWR);
    struct stat st;
    fstat(t, &st);
    printf("  /dev/tty rdev %u:%u\n", major(st.st_rdev), minor(st.st_rdev));
    char link[64], buf[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", t);
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("  /dev/tty fd links to %s\n", buf);
    YN("  tcgetsid through /dev/tty", tcgetsid(t) == getpid());
    write(t, "via /dev/tty\n", 13);
    /* A second pty does not become the controlling terminal. */
    char name2[64];
    open_pty(name2, sizeof name2); /* its master stays open */
    int s2 = open(name2, O_RDWR);
    RET("  tcgetsid of a second pty", tcgetsid(s2));
    RET("  TIOCSCTTY of a second pty", ioctl(s2, TIOCSCTTY, 0));
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        printf("  child: ctty %s\n", has_ctty());
        int r = open("/dev/tty", O_RDWR);
        write(r, "from the child\n", 15);
        RET("  child TIOCSCTTY (not a leader)", ioctl(s, TIOCSCTTY, 0));
        setsid();
        printf("  child after setsid: ctty %s\n", has_ctty());
        RET("  child tcgetsid", tcgetsid(s));
        RET("  child tcgetpgrp", tcgetpgrp(s));
        RET("  child I/O through the old /dev/tty fd", write(r, "x\n", 2));
        _exit(0);
    }
    wait_child(c);
    return 0;
}

static int master_sctty(void) {
    fresh_session();
    RET("  TIOCSCTTY on the master", ioctl(m, TIOCSCTTY, 0));
    printf("  ctty %s\n", has_ctty());
    int s = open(name, O_RDWR | O_NOCTTY);
    YN("  the slave is it", tcgetsid(s) == getpid());
    pid_t sid = 0, pg = 0;
    RET("  TIOCGSID on the master", ioctl(m, TIOCGSID, &sid));
    YN("  sid is mine", sid == getpid());
    RET("  TIOCGPGRP on the master", ioctl(m, TIOCGPGRP, &pg));
    YN("  pgrp is mine", pg == getpgrp());
    RET("  TIOCNOTTY on the master", ioctl(m, TIOCNOTTY));
    signal(SIGHUP, SIG_IGN);
    RET("  TIOCNOTTY on the slave", ioctl(s, TIOCNOTTY));
    printf("  ctty %s\n", has_ctty());
    return 0;
}

static volatile sig_atomic_t hup, cont;
static void on_sig(int s) {
    if (s == SIGHUP) hup++;
    else cont++;
}

static int notty(void) {
    fresh_session();
    int s = open(name, O_RDWR);
    int rep[2], go[2];
    if (pipe(rep) || pipe(go)) DIE("pipe");
    fflush(stdout);
    /* A member in its own foreground group. */
    pid_t c = fork();
    if (c == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_sig;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGHUP, &sa, NULL);
        sigaction(SIGCONT, &sa, NULL);
        setpgid(0, 0);
        write(rep[1], "r", 1);
        char x;
        read(go[0], &x, 1);
        char r[64];
        snprintf(r, sizeof r, "SIGHUP %d SIGCONT %d ctty %s", (int)hup, (int)cont, has_ctty());
        write(rep[1], r, strlen(r));
        _exit(0);
    }
    setpgid(c, c);
    char x;
    read(rep[0], &x, 1);
    signal(SIGTTOU, SIG_IGN);
    RET("  tcsetpgrp to the member", tcsetpgrp(s, c));
    /* A member without its own group gives the terminal up alone. */
    fflush(stdout);
    pid_t d = fork();
    if (d == 0) {
        RET("  member TIOCNOTTY", ioctl(s, TIOCNOTTY));
        printf("  member after TIOCNOTTY: ctty %s\n", has_ctty());
        RET("  member TIOCGPGRP", ioctl(s, TIOCGPGRP, &(pid_t){0}));
        RET("  member TIOCNOTTY again", ioctl(s, TIOCNOTTY));
        _exit(0);
    }
    wait_child(d);
    printf("  leader: ctty %s\n", has_ctty());
    signal(SIGHUP, SIG_IGN);
    RET("  leader TIOCNOTTY", ioctl(s, TIOCNOTTY));
    printf("  leader: ctty %s\n", has_ctty());
    write(go[1], "g", 1);
    char r[64];
    ssize_t n = read(rep[0], r, sizeof r - 1);
    r[n > 0 ? n : 0] = 0;
    printf("  foreground member: %s\n", r);
    wait_child(c);
    RET("  tcgetsid", tcgetsid(s));
    pid_t sid;
    RET("  TIOCGSID on the master", ioctl(m, TIOCGSID, &sid));
    return 0;
}

static int steal(void) {
    int go[2], rep[2];
    if (pipe(go) || pipe(rep)) DIE("pipe");
    fflush(stdout);
    pid_t a = fork();
    if (a == 0) {
        fresh_session();
        int s = open(name, O_RDWR);
        (void)s;
        write(rep[1], has_ctty(), 3);
        char x;
        read(go[0], &x, 1);
        const char *h = has_ctty();
        write(rep[1], h, strlen(h));
        _exit(0);
    }
    char buf[32];
    ssize_t n = read(rep[0], buf, 3);
    printf("  session A: ctty %.*s\n", (int)n, buf);
    fresh_session();
    int s = open(name, O_RDWR);
    printf("  session B opens it: ctty %s\n", has_ctty());
    RET("  TIOCSCTTY 0", ioctl(s, TIOCSCTTY, 0));
    RET("  TIOCSCTTY 1 (root steals)", ioctl(s, TIOCSCTTY, 1));
    printf("  session B: ctty %s\n", has_ctty());
    YN("  tcgetsid is B", tcgetsid(s) == getpid());
    write(go[1], "g", 1);
    n = read(rep[0], buf, sizeof buf - 1);
    printf("  session A after the steal: ctty %.*s\n", (int)(n > 0 ? n : 0), buf);
    wait_child(a);
    return 0;
}

int main(void) {
    setup(20);
    m = open_pty(name, sizeof name);
    int s = open_slave(name);
    RET("TIOCGSID on the master (no session)", ioctl(m, TIOCGSID, &(pid_t){0}));
    pid_t pg = -5;
    RET("TIOCGPGRP on the master (no session)", ioctl(m, TIOCGPGRP, &pg));
    printf("pgrp %d\n", (int)pg);
    RET("TIOCGSID on the slave (not mine)", ioctl(s, TIOCGSID, &(pid_t){0}));
    RET("TIOCGPGRP on the slave (not mine)", ioctl(s, TIOCGPGRP, &pg));

    in_child("O_NOCTTY and O_WRONLY", leader_noctty);
    in_child("non-leader", non_leader);
    in_child("acquire", acquire);
    show_master("output");
    RET("tcgetsid from outside the session", tcgetsid(s));
    in_child("TIOCSCTTY on the master", master_sctty);
    in_child("TIOCNOTTY", notty);
    in_child("steal", steal);
    return 0;
}

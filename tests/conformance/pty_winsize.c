/* Window size of a pseudo-terminal: the initial 0x0, TIOCSWINSZ from either end seen by
 * TIOCGWINSZ on both (pixel fields kept), bad pointers, and SIGWINCH: a session leader
 * owns the slave as controlling terminal and runs two processes in the foreground group
 * (one counts SIGWINCH, one keeps the default action, which ignores it) and one in a
 * background group. A size change signals the whole foreground group and nobody else, an
 * unchanged size signals no one, a change of the pixel fields alone does, and a size set
 * on a pty that is nobody's controlling terminal signals no one. */
#include "common.h"
#include "pty.h"
#include <sys/ioctl.h>
#include <termios.h>

static char name[64];
static int m;
static int cmd[3][2], rep[2];

static volatile sig_atomic_t winch;
static void on_winch(int sig) {
    (void)sig;
    winch++;
}

/* A member: counts SIGWINCH (or not) and answers each command byte with its count. */
static void member(int idx, int handler) {
    if (handler) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_winch;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGWINCH, &sa, NULL);
    } else {
        signal(SIGWINCH, SIG_DFL);
    }
    char r = 'r';
    write(rep[1], &r, 1);
    char c;
    while (read(cmd[idx][0], &c, 1) == 1) {
        r = (char)('0' + winch);
        write(rep[1], &r, 1);
    }
    _exit(0);
}

static void leader(void) {
    close(m);
    for (int i = 0; i < 3; i++) close(cmd[i][1]);
    close(rep[0]);
    setsid();
    int s = open(name, O_RDWR);
    if (s < 0) _exit(90);
    signal(SIGTTOU, SIG_IGN);
    int go[2];
    if (pipe(go)) _exit(91);
    pid_t kids[3];
    for (int i = 0; i < 3; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            pid_t g = i == 1 ? kids[0] : 0;
            setpgid(0, g);
            if (i != 2) {
                char x;
                read(go[0], &x, 1);
            }
            member(i, i != 1);
        }
        setpgid(kids[i], i == 1 ? kids[0] : kids[i]);
    }
    tcsetpgrp(s, kids[0]);
    write(go[1], "gg", 2);
    for (int i = 0; i < 3; i++) wait_child(kids[i]);
    _exit(0);
}

/* Asks the three members for their SIGWINCH counts. */
static void counts(const char *label) {
    printf("%s: fg counting", label);
    const char *names[3] = {"", " fg default action", " bg counting"};
    for (int i = 0; i < 3; i++) {
        write(cmd[i][1], "?", 1);
        char r = '?';
        read(rep[0], &r, 1);
        printf("%s %c", names[i], r);
    }
    printf("\n");
}

static void show(const char *label, int fd) {
    struct winsize ws;
    memset(&ws, 0xff, sizeof ws);
    errno = 0;
    int r = ioctl(fd, TIOCGWINSZ, &ws);
    if (r < 0) printf("%s: -1 %s\n", label, en(errno));
    else printf("%s: %d rows %d cols %d x %d pixels\n", label, ws.ws_row, ws.ws_col, ws.ws_xpixel, ws.ws_ypixel);
}

static void set(const char *label, int fd, unsigned short r, unsigned short c, unsigned short x, unsigned short y) {
    struct winsize ws = {r, c, x, y};
    RET(label, ioctl(fd, TIOCSWINSZ, &ws));
}

int main(void) {
    setup(20);
    m = open_pty(name, sizeof name);
    int s = open_slave(name);
    show("initial (master)", m);
    show("initial (slave)", s);
    set("TIOCSWINSZ (no controlling terminal)", m, 10, 20, 0, 0);
    show("slave", s);
    RET("TIOCSWINSZ bad pointer", ioctl(m, TIOCSWINSZ, (void *)8));
    RET("TIOCGWINSZ bad pointer", ioctl(s, TIOCGWINSZ, (void *)8));
    int nul = open("/dev/null", O_RDWR);
    RET("TIOCGWINSZ on /dev/null", ioctl(nul, TIOCGWINSZ, &(struct winsize){0}));

    for (int i = 0; i < 3; i++)
        if (pipe(cmd[i])) DIE("pipe");
    if (pipe(rep)) DIE("pipe");
    RET("TIOCSWINSZ on a pipe", ioctl(rep[0], TIOCSWINSZ, &(struct winsize){0}));
    fflush(stdout);
    pid_t l = fork();
    if (l == 0) leader();
    for (int i = 0; i < 3; i++) {
        char r;
        read(rep[0], &r, 1);
    }
    /* The members are ready; the foreground group is set before they are. */
    pid_t pg = 0;
    RET("TIOCGPGRP", ioctl(m, TIOCGPGRP, &pg));
    YN("foreground group is not the leader's", pg != l && pg > 0);
    counts("start");
    set("TIOCSWINSZ from the master", m, 30, 100, 640, 480);
    counts("after a change");
    set("TIOCSWINSZ the same size", m, 30, 100, 640, 480);
    counts("after no change");
    set("TIOCSWINSZ from the slave", s, 31, 100, 640, 480);
    counts("after a change from the slave");
    show("master", m);
    set("TIOCSWINSZ pixels only", m, 31, 100, 800, 600);
    counts("after a pixel change");
    show("slave", s);
    set("TIOCSWINSZ zero", m, 0, 0, 0, 0);
    counts("after setting zero");
    show("slave", s);

    for (int i = 0; i < 3; i++) close(cmd[i][1]);
    printf("leader: %s\n", wstr(wait_child(l)));
    close(m);
    show("slave after hangup", s);
    RET("TIOCSWINSZ after hangup", ioctl(s, TIOCSWINSZ, &(struct winsize){1, 1, 0, 0}));
    return 0;
}

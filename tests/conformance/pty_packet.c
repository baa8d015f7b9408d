/* Pseudo-terminal packet mode (TIOCPKT on the master): TIOCGPKT, the slave's output
 * preceded by TIOCPKT_DATA, status bytes read alone: TIOCPKT_FLUSHREAD and
 * TIOCPKT_FLUSHWRITE from the slave's tcflush, TIOCPKT_STOP and TIOCPKT_START from ^S/^Q
 * with IXON and from tcflow, TIOCPKT_NOSTOP/TIOCPKT_DOSTOP when IXON changes, both
 * flushes on ^C, TIOCPKT_IOCTL when EXTPROC is set or cleared, POLLPRI on the master while a status is pending, a status pending when
 * packet mode is turned on is forgotten, TIOCPKT on the slave, and packet mode off. */
#include "common.h"
#include "pty.h"
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>

static int m, s;

/* One read of the master after it is readable, printed as hex bytes. */
static void master_read(const char *label) {
    struct pollfd p = {m, POLLIN, 0};
    poll(&p, 1, 1000);
    unsigned char buf[256];
    if (!(p.revents & POLLIN)) {
        printf("%s: nothing to read\n", label);
        return;
    }
    errno = 0;
    ssize_t n = read(m, buf, sizeof buf);
    if (n < 0) {
        printf("%s: -1 %s\n", label, en(errno));
        return;
    }
    printf("%s: %zd [", label, n);
    for (ssize_t i = 0; i < n; i++) {
        if ((buf[i] >= 'a' && buf[i] <= 'z') || (buf[i] >= 'A' && buf[i] <= 'Z') || buf[i] == '^')
            printf("%s'%c'", i ? " " : "", buf[i]);
        else printf("%s%02x", i ? " " : "", buf[i]);
    }
    printf("]\n");
}

/* The master's poll events right now (POLLIN, POLLPRI). */
static void master_poll(const char *label) {
    struct pollfd p = {m, POLLIN | POLLPRI, 0};
    int r = poll(&p, 1, 50);
    printf("%s: %d in=%d pri=%d\n", label, r, !!(p.revents & POLLIN), !!(p.revents & POLLPRI));
}

/* Reads and drops what the master has. */
static void drain(void) {
    char buf[256];
    read_quiet(m, buf, sizeof buf, 50, 50);
}

int main(void) {
    setup(20);
    char name[64];
    m = open_pty(name, sizeof name);
    s = open_slave(name);

    int v = -1, one = 1, zero = 0;
    RET("TIOCGPKT", ioctl(m, TIOCGPKT, &v));
    printf("packet: %d\n", v);
    RET("TIOCPKT on the slave", ioctl(s, TIOCPKT, &one));
    RET("TIOCGPKT on the slave", ioctl(s, TIOCGPKT, &v));
    RET("TIOCPKT bad pointer", ioctl(m, TIOCPKT, (int *)8));

    /* A status from before packet mode is forgotten. */
    RET("tcflush before packet mode", tcflush(s, TCIFLUSH));
    RET("TIOCPKT 1", ioctl(m, TIOCPKT, &one));
    RET("TIOCGPKT", ioctl(m, TIOCGPKT, &v));
    printf("packet: %d\n", v);
    master_poll("poll idle");

    write(s, "abc", 3);
    master_read("data");
    write(s, "x\n", 2);
    master_read("data with ONLCR");

    RET("tcflush TCIFLUSH (slave)", tcflush(s, TCIFLUSH));
    master_poll("poll with a status");
    master_read("status");
    master_poll("poll after the status");
    RET("tcflush TCOFLUSH (slave)", tcflush(s, TCOFLUSH));
    master_read("status");
    RET("tcflush TCIOFLUSH (slave)", tcflush(s, TCIOFLUSH));
    master_read("status");
    RET("tcflush TCIFLUSH (master)", tcflush(m, TCIFLUSH));
    master_poll("poll after a master flush");

    /* A status is read alone, before pending data. */
    write(s, "zz", 2);
    drain();
    write(s, "yy", 2);
    wait_readable(m, 1000);
    tcflush(s, TCIFLUSH);
    master_read("status before data");
    master_read("then the data");

    /* Flow control. */
    write(m, "\x13", 1);
    master_read("^S");
    write(m, "\x11", 1);
    master_read("^Q");
    write(m, "\x13\x11", 2);
    master_read("^S^Q together");
    RET("tcflow TCOOFF", tcflow(s, TCOOFF));
    master_read("TCOOFF");
    RET("tcflow TCOON", tcflow(s, TCOON));
    master_read("TCOON");
    RET("tcflow TCOON again", tcflow(s, TCOON));
    master_poll("poll after TCOON again");

    /* IXON changes. */
    struct termios t;
    tcgetattr(s, &t);
    t.c_iflag &= ~IXON;
    RET("tcsetattr -IXON", tcsetattr(s, TCSANOW, &t));
    master_read("-IXON");
    RET("tcsetattr -IXON again", tcsetattr(s, TCSANOW, &t));
    master_poll("poll");
    t.c_iflag |= IXON;
    RET("tcsetattr +IXON", tcsetattr(s, TCSANOW, &t));
    master_read("+IXON");
    t.c_cc[VSTOP] = 'x';
    RET("tcsetattr VSTOP=x", tcsetattr(s, TCSANOW, &t));
    master_read("VSTOP changed");
    t.c_cc[VSTOP] = 023;
    t.c_iflag &= ~IXON;
    RET("tcsetattr through the master", tcsetattr(m, TCSANOW, &t));
    master_poll("poll");
    t.c_iflag |= IXON;
    tcsetattr(s, TCSANOW, &t);
    master_read("+IXON");

    /* EXTPROC set or cleared: TIOCPKT_IOCTL. */
    t.c_lflag |= EXTPROC;
    RET("tcsetattr +EXTPROC", tcsetattr(s, TCSANOW, &t));
    master_read("+EXTPROC");
    t.c_lflag &= ~EXTPROC;
    RET("tcsetattr -EXTPROC", tcsetattr(s, TCSANOW, &t));
    master_read("-EXTPROC");
    RET("tcsetattr again", tcsetattr(s, TCSANOW, &t));
    master_poll("poll");

    /* ^C flushes both ways, then echoes. */
    write(m, "ab\x03", 3);
    master_read("after ^C");
    master_read("then");
    master_poll("poll");

    /* Canonical input is unaffected; echo comes as data. */
    write(m, "hi\n", 3);
    master_read("echo");
    char buf[16];
    RET("slave read", read(s, buf, sizeof buf));

    /* Off again. */
    RET("TIOCPKT 0", ioctl(m, TIOCPKT, &zero));
    RET("TIOCGPKT", ioctl(m, TIOCGPKT, &v));
    printf("packet: %d\n", v);
    tcflush(s, TCIFLUSH);
    master_poll("poll after a flush without packet mode");
    write(s, "plain", 5);
    master_read("plain data");
    RET("TIOCPKT 7", ioctl(m, TIOCPKT, &(int){7}));
    RET("TIOCGPKT", ioctl(m, TIOCGPKT, &v));
    printf("packet: %d\n", v);

    /* Closing the slave. */
    close(s);
    master_read("after the slave closed");
    return 0;
}

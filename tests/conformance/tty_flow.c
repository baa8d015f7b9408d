/* Terminal flushing and flow control on a pseudo-terminal: tcdrain, TIOCOUTQ and
 * FIONREAD on both ends, tcflush of each queue from each end (TCIFLUSH, TCOFLUSH,
 * TCIOFLUSH, a bad selector), TCSETSF discarding input, ^C discarding the input line but
 * not output the master has not read yet (and nothing with NOFLSH), output flow control:
 * ^S stops the slave's output (a non-blocking write gets EAGAIN, poll drops POLLOUT), ^Q
 * restarts it, IXANY restarts on any character, echoes held while stopped (released by
 * ^Q or by clearing IXON, dropped by ^C, which restarts output), tcflow TCOOFF/TCOON and that ^Q does not
 * undo TCOOFF, ^S/^Q as data without IXON, and TCIOFF/TCION sending VSTOP/VSTART. */
#include "common.h"
#include "pty.h"
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>

static int m, s;

/* Reads what the master has within a short wait and prints it escaped. */
static void show_master(const char *label) { show_pending(label, m, 150, 20); }

/* A non-blocking read of the slave after waiting (1 s if wait) for it to become readable. */
static void show_slave(const char *label, int wait) { show_read_nb(label, s, 128, wait ? 1000 : 0); }

static int q(int fd, unsigned long req) {
    int n = -1;
    if (ioctl(fd, req, &n) < 0) return -1;
    return n;
}

static void slave_pollout(const char *label) {
    struct pollfd p = {s, POLLOUT, 0};
    int r = poll(&p, 1, 0);
    printf("%s: %d out=%d\n", label, r, !!(p.revents & POLLOUT));
}

int main(void) {
    setup(20);
    char name[64];
    m = open_pty(name, sizeof name);
    s = open_slave(name);

    /* Queue sizes. */
    RET("tcdrain slave (empty)", tcdrain(s));
    RET("tcdrain master", tcdrain(m));
    write(s, "12345", 5);
    wait_readable(m, 1000);
    printf("master FIONREAD %d, slave TIOCOUTQ %d\n", q(m, FIONREAD), q(s, TIOCOUTQ));
    RET("tcdrain slave with output unread", tcdrain(s));
    show_master("output");
    write(m, "ab\ncd", 5);
    sleep_ms(20);
    printf("slave FIONREAD %d\n", q(s, FIONREAD));
    show_slave("slave line", 1);
    show_master("echo");

    /* Flushes from the slave. */
    write(s, "out1", 4);
    wait_readable(m, 1000);
    RET("slave TCOFLUSH", tcflush(s, TCOFLUSH));
    show_master("output the master was waiting for survives");
    write(m, "in1\n", 4);
    show_master("echo");
    RET("slave TCIFLUSH", tcflush(s, TCIFLUSH));
    show_slave("input after TCIFLUSH", 0);
    write(m, "in2\n", 4);
    show_master("echo");
    RET("slave TCIOFLUSH", tcflush(s, TCIOFLUSH));
    show_slave("input after TCIOFLUSH", 0);
    RET("slave tcflush 3", tcflush(s, 3));

    /* Flushes from the master. */
    write(s, "out2", 4);
    wait_readable(m, 1000);
    RET("master TCIFLUSH", tcflush(m, TCIFLUSH));
    show_master("master input after TCIFLUSH");
    write(m, "in3\n", 4);
    show_master("echo");
    RET("master TCOFLUSH", tcflush(m, TCOFLUSH));
    show_slave("slave input after master TCOFLUSH", 1);
    write(s, "out3", 4);
    wait_readable(m, 1000);
    RET("master TCIOFLUSH", tcflush(m, TCIOFLUSH));
    show_master("after TCIOFLUSH");

    /* TCSETSF discards input. */
    struct termios t;
    tcgetattr(s, &t);
    write(m, "gone\n", 5);
    show_master("echo");
    RET("tcsetattr TCSAFLUSH", tcsetattr(s, TCSAFLUSH, &t));
    show_slave("input after TCSAFLUSH", 0);
    write(m, "part", 4);
    show_master("echo");
    RET("tcsetattr TCSADRAIN", tcsetattr(s, TCSADRAIN, &t));
    write(m, "\n", 1);
    show_slave("input after TCSADRAIN", 1);
    show_master("echo");

    /* ^C: the line is discarded, unread output survives; NOFLSH keeps the line. */
    write(s, "unread", 6);
    wait_readable(m, 1000);
    write(m, "line", 4);
    sleep_ms(20);
    write(m, "\x03", 1);
    show_master("output and echo after ^C");
    write(m, "\n", 1);
    show_slave("input after ^C", 1);
    show_master("echo");
    t.c_lflag |= NOFLSH;
    tcsetattr(s, TCSANOW, &t);
    write(m, "kept", 4);
    sleep_ms(20);
    write(m, "\x03\n", 2);
    show_slave("input after ^C with NOFLSH", 1);
    show_master("echo");
    t.c_lflag &= ~NOFLSH;
    tcsetattr(s, TCSANOW, &t);

    /* ^S and ^Q. */
    int fl = fcntl(s, F_GETFL);
    fcntl(s, F_SETFL, fl | O_NONBLOCK);
    slave_pollout("slave POLLOUT");
    write(m, "\x13", 1);
    sleep_ms(20);
    RET("write while stopped", write(s, "w", 1));
    slave_pollout("slave POLLOUT while stopped");
    write(m, "\x11", 1);
    sleep_ms(20);
    RET("write after ^Q", write(s, "w", 1));
    show_master("output");
    slave_pollout("slave POLLOUT");
    write(m, "\x13", 1);
    sleep_ms(20);
    write(m, "z", 1);
    sleep_ms(20);
    RET("other characters do not restart", write(s, "w", 1));
    t.c_iflag |= IXANY;
    tcsetattr(s, TCSANOW, &t);
    write(m, "z", 1);
    sleep_ms(20);
    RET("with IXANY they do", write(s, "w", 1));
    show_master("output");
    t.c_iflag &= ~IXANY;
    tcsetattr(s, TCSANOW, &t);
    write(m, "\n", 1);
    show_slave("^S/^Q are not input", 1);
    show_master("echo");

    /* Echoes wait while stopped; ^C restarts and drops them; clearing IXON restarts. */
    write(m, "\x13", 1);
    write(m, "abc\n", 4);
    show_slave("typed while stopped", 1);
    show_master("echo while stopped");
    write(m, "\x11", 1);
    show_master("echo after ^Q");
    write(m, "\x13", 1);
    write(m, "xy", 2);
    show_slave("poll", 0);
    write(m, "\x03", 1);
    show_master("^C while stopped");
    RET("write after ^C", write(s, "w", 1));
    show_master("output");
    write(m, "\x13", 1);
    write(m, "q", 1);
    show_slave("poll", 0);
    t.c_iflag &= ~IXON;
    tcsetattr(s, TCSANOW, &t);
    show_master("echo after clearing IXON");
    RET("write", write(s, "w", 1));
    show_master("output");
    t.c_iflag |= IXON;
    tcsetattr(s, TCSANOW, &t);
    write(m, "\n", 1);
    show_slave("line", 1);
    show_master("echo");

    /* tcflow. */
    RET("TCOOFF", tcflow(s, TCOOFF));
    RET("write after TCOOFF", write(s, "w", 1));
    write(m, "\x11", 1);
    sleep_ms(20);
    RET("^Q does not undo TCOOFF", write(s, "w", 1));
    RET("TCOON", tcflow(s, TCOON));
    RET("write after TCOON", write(s, "w", 1));
    show_master("output");
    RET("TCOOFF from the master", tcflow(m, TCOOFF));
    RET("slave write", write(s, "w", 1));
    RET("TCOON from the master", tcflow(m, TCOON));
    show_master("output");
    RET("tcflow 9", tcflow(s, 9));
    RET("TCIOFF", tcflow(s, TCIOFF));
    show_master("TCIOFF sends VSTOP");
    RET("TCION", tcflow(s, TCION));
    show_master("TCION sends VSTART");
    fcntl(s, F_SETFL, fl);

    /* Without IXON they are data. */
    t.c_iflag &= ~IXON;
    tcsetattr(s, TCSANOW, &t);
    write(m, "\x13\x11\n", 3);
    show_slave("without IXON", 1);
    show_master("echo");
    RET("tcsendbreak", tcsendbreak(s, 0));
    return 0;
}

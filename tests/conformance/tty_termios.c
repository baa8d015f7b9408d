/* Termios modes of a pseudo-terminal's line discipline, each typed into the master and
 * read from the slave with the echo the master sees: ECHO off with ECHONL, ECHOCTL on
 * and off (^A, ^C echoed), ECHOE off, ECHOK without ECHOKE, VEOL and VEOL2, VEOF in the
 * middle and at the start of a line, VREPRINT, VWERASE over punctuation, IEXTEN and
 * VLNEXT (a literal ^C and ^U), IEXTEN off, ICRNL off, INLCR, IGNCR, ISTRIP, IUCLC;
 * output processing: OPOST off, OCRNL, ONOCR, ONLRET, OLCUC, tab columns; non-canonical
 * VMIN with poll and short reads, a disabled control character (_POSIX_VDISABLE),
 * switching ICANON with pending input, the character size forced to CS8 without parity,
 * speeds, tcsetattr with a bad action, and TIOCGETD/TIOCSETD. */
#include "common.h"
#include "pty.h"
#include <sys/ioctl.h>
#include <termios.h>

static int m, s;
static struct termios t0;

/* Everything the slave can read now (after the input was processed), one read each. */
static void slave_reads(void) {
    wait_readable(s, 0);
    int fl = fcntl(s, F_GETFL);
    fcntl(s, F_SETFL, fl | O_NONBLOCK);
    printf("  reads:");
    for (int i = 0; i < 8; i++) {
        char buf[128];
        errno = 0;
        ssize_t n = read(s, buf, sizeof buf);
        if (n < 0) {
            printf(" %s", en(errno));
            break;
        }
        printf(" %zd\"", n);
        put_escaped(buf, (size_t)n);
        printf("\"");
    }
    printf("\n");
    fcntl(s, F_SETFL, fl);
}

/* What the master reads within a short wait, printed indented and escaped. */
static void master_sees(const char *label) {
    printf("  ");
    show_pending(label, m, 100, 20);
}

/* Types `in` with the termios `t`, shows what the slave reads and the master sees. */
static void typed(const char *label, struct termios *t, const char *in, size_t len) {
    if (tcsetattr(s, TCSANOW, t)) printf("tcsetattr failed: %s\n", en(errno));
    printf("%s:\n", label);
    write(m, in, len);
    wait_readable(s, 0);
    master_sees("echo");
    slave_reads();
}

/* Writes `out` to the slave with termios `t` and shows what the master gets. */
static void output(const char *label, struct termios *t, const char *out) {
    if (tcsetattr(s, TCSANOW, t)) printf("tcsetattr failed: %s\n", en(errno));
    printf("%s:\n", label);
    write(s, out, strlen(out));
    master_sees("master");
}

#define T(label, in) typed(label, &t, in, sizeof(in) - 1)

int main(void) {
    setup(20);
    char name[64];
    m = open_pty(name, sizeof name);
    s = open_slave(name);
    tcgetattr(s, &t0);
    struct termios t = t0;

    T("default", "ab\x01\n");
    t.c_lflag &= ~ECHO;
    t.c_lflag |= ECHONL;
    T("-ECHO +ECHONL", "secret\n");
    t.c_lflag &= ~ECHONL;
    T("-ECHO -ECHONL", "secret\n");
    t = t0;
    t.c_lflag &= ~ECHOCTL;
    T("-ECHOCTL", "a\x01\x1b" "b\n");
    t = t0;
    t.c_lflag &= ~ECHOE;
    T("-ECHOE", "abc\x7f\n");
    t = t0;
    t.c_lflag &= ~ECHOKE;
    T("-ECHOKE", "abc\x15xy\n");
    t.c_lflag &= ~ECHOK;
    T("-ECHOKE -ECHOK", "abc\x15xy\n");
    t = t0;
    t.c_cc[VEOL] = '@';
    t.c_cc[VEOL2] = '#';
    T("VEOL @ VEOL2 #", "one@two#three\n");
    t.c_lflag &= ~IEXTEN;
    T("VEOL2 without IEXTEN", "four#five\n");
    t = t0;
    T("VEOF mid-line and at start", "abc\x04\x04xyz\n");
    T("VREPRINT", "abc\x12" "d\n");
    T("VWERASE over punctuation", "foo bar.baz  \x17" "X\n");
    T("VWERASE twice", "one two three\x17\x17" "X\n");
    T("VLNEXT ^C and ^U", "a\x16\x03" "b\x16\x15" "c\n");
    T("VLNEXT VLNEXT", "\x16\x16\n");
    t.c_lflag &= ~IEXTEN;
    T("-IEXTEN: ^V and ^W are data", "a\x16" "b\x17" "c\n");
    t = t0;
    t.c_iflag &= ~ICRNL;
    T("-ICRNL", "ab\rcd\n");
    t.c_iflag |= INLCR;
    T("INLCR (and -ICRNL)", "ab\ncd\r\x04");
    t = t0;
    t.c_iflag |= IGNCR;
    T("IGNCR", "ab\rcd\n");
    t = t0;
    t.c_iflag |= ISTRIP;
    T("ISTRIP", "\xc1\xe2\n");
    t = t0;
    t.c_iflag |= IUCLC;
    T("IUCLC", "HeLLo\n");
    t = t0;
    t.c_cc[VINTR] = _POSIX_VDISABLE;
    t.c_cc[VERASE] = _POSIX_VDISABLE;
    T("VINTR and VERASE disabled", "a\x03\x7f" "b\n");
    t = t0;
    t.c_cc[VERASE] = '#';
    t.c_cc[VKILL] = '@';
    T("VERASE # VKILL @", "abc#d@xy#z\n");

    /* Output processing. */
    t = t0;
    output("default", &t, "a\nb\rc\n");
    t.c_oflag &= ~OPOST;
    output("-OPOST", &t, "a\nb\r\n");
    t = t0;
    t.c_oflag |= OCRNL;
    output("OCRNL", &t, "a\rb\n");
    t = t0;
    t.c_oflag |= ONOCR;
    output("ONOCR", &t, "\rab\rc\n\r");
    t = t0;
    t.c_oflag &= ~ONLCR;
    t.c_oflag |= ONLRET | ONOCR;
    output("ONLRET ONOCR", &t, "ab\n\rc\r");
    t = t0;
    t.c_oflag |= OLCUC;
    output("OLCUC", &t, "Hello, World\n");
    t = t0;
    t.c_oflag |= XTABS;
    output("XTABS", &t, "a\tbc\t|\n");
    t = t0;

    /* Non-canonical reads. */
    t.c_lflag &= ~(ICANON | ECHO);
    t.c_cc[VMIN] = 3;
    t.c_cc[VTIME] = 0;
    tcsetattr(s, TCSANOW, &t);
    write(m, "12", 2);
    printf("VMIN=3 with 2 bytes: poll %d\n", wait_readable(s, 50));
    int n = -1;
    ioctl(s, FIONREAD, &n);
    printf("FIONREAD %d\n", n);
    write(m, "3", 1);
    printf("VMIN=3 with 3 bytes: poll %d\n", wait_readable(s, 1000));
    char buf[16];
    RET("read 2 of them", read(s, buf, 2));
    RET("read the third", read(s, buf, 1));
    write(m, "45", 2);
    wait_readable(s, 50);
    RET("VMIN=3, buffer of 1", read(s, buf, 1));
    RET("VMIN=3, buffer of 1 again", read(s, buf, 1));
    t.c_cc[VMIN] = 1;
    t.c_lflag |= ECHO;
    T("non-canonical: erase and EOF are data, ^C is not", "a\x7f\x04\x15\x03z");

    /* Switching modes with pending input. */
    t = t0;
    t.c_lflag &= ~ICANON;
    t.c_cc[VMIN] = 1;
    tcsetattr(s, TCSANOW, &t);
    write(m, "raw", 3);
    wait_readable(s, 1000);
    master_sees("echo");
    t.c_lflag |= ICANON;
    T("pending raw input, then canonical", "more\n");
    write(m, "half", 4);
    wait_readable(s, 0);
    master_sees("echo");
    t.c_lflag &= ~ICANON;
    T("a partial line, then non-canonical", "");

    /* Hardware flags, speeds, bad calls. */
    t = t0;
    t.c_cflag &= ~CSIZE;
    t.c_cflag |= CS7 | PARENB | CSTOPB;
    RET("tcsetattr CS7 PARENB CSTOPB", tcsetattr(s, TCSANOW, &t));
    struct termios g;
    tcgetattr(s, &g);
    printf("CSIZE is CS8: %s, PARENB: %s, CSTOPB: %s, CREAD: %s\n",
           (g.c_cflag & CSIZE) == CS8 ? "yes" : "no", g.c_cflag & PARENB ? "yes" : "no",
           g.c_cflag & CSTOPB ? "yes" : "no", g.c_cflag & CREAD ? "yes" : "no");
    t = t0;
    cfsetispeed(&t, B9600);
    cfsetospeed(&t, B9600);
    RET("tcsetattr B9600", tcsetattr(s, TCSANOW, &t));
    tcgetattr(m, &g);
    printf("speed seen from the master: %d %d\n", (int)cfgetispeed(&g), (int)cfgetospeed(&g));
    RET("tcsetattr bad action", tcsetattr(s, 42, &t0));
    RET("tcsetattr restore", tcsetattr(s, TCSANOW, &t0));
    int ld = -1;
    RET("TIOCGETD", ioctl(s, TIOCGETD, &ld));
    printf("line discipline %d\n", ld);
    ld = 0;
    RET("TIOCSETD N_TTY", ioctl(s, TIOCSETD, &ld));
    RET("TCGETS bad pointer", ioctl(s, TCGETS, (void *)8));
    RET("TCSETS bad pointer", ioctl(s, TCSETS, (void *)8));
    int fd = open("/dev/null", O_RDWR);
    RET("tcgetattr /dev/null", tcgetattr(fd, &g));
    return 0;
}

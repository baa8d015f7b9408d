/* Pseudo-terminals: posix_openpt/grantpt/unlockpt/ptsname, a locked slave, ttyname and
 * /proc/self/fd, the default termios, canonical reads with echo and line editing
 * (VERASE, VKILL, VWERASE, VEOF), ONLCR, non-canonical VMIN/VTIME (0/0, 1/0, 0/2 and
 * the 5/3 inter-byte timer), FIONREAD, window size, TCFLSH, poll on both ends,
 * TIOCGPTPEER, closing the slave (EIO on the master) and the master (hangup of the
 * slave), and /dev/tty without a controlling tty. */
#include "common.h"
#include "pty.h"
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <termios.h>

/* Reads what the master has within a short wait and prints it escaped. */
static void show_master(const char *label, int m) { show_pending(label, m, 150, 150); }

/* Waits for fd to become readable, then a little longer for the rest of the input. */
static void settle(int fd) {
    wait_readable(fd, 2000);
    sleep_ms(30);
}

static int no_ctty(void) {
    setsid();
    int fd = open("/dev/tty", O_RDWR);
    printf("open /dev/tty without a controlling tty: %d %s\n", fd, en(fd < 0 ? errno : 0));
    return 0;
}

int main(void) {
    setup(20);
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0) DIE("posix_openpt");
    RET("grantpt", grantpt(m));
    char name[64];
    RET("ptsname_r", ptsname_r(m, name, sizeof name));
    YN("name starts with /dev/pts/", strncmp(name, "/dev/pts/", 9) == 0);
    unsigned int ptn = 9999;
    RET("TIOCGPTN", ioctl(m, TIOCGPTN, &ptn));
    char expect[64];
    snprintf(expect, sizeof expect, "/dev/pts/%u", ptn);
    YN("TIOCGPTN matches ptsname", strcmp(expect, name) == 0);
    YN("isatty(master)", isatty(m));
    RET("open locked slave", open(name, O_RDWR | O_NOCTTY));
    int lk = -1;
    RET("TIOCGPTLCK", ioctl(m, TIOCGPTLCK, &lk));
    printf("locked: %d\n", lk);
    RET("unlockpt", unlockpt(m));
    RET("TIOCGPTLCK", ioctl(m, TIOCGPTLCK, &lk));
    printf("locked: %d\n", lk);
    int s = open(name, O_RDWR | O_NOCTTY);
    if (s < 0) DIE("open slave");
    YN("isatty(slave)", isatty(s));
    char *tn = ttyname(s);
    YN("ttyname(slave) == ptsname", tn && strcmp(tn, name) == 0);
    char link[64], buf[128];
    snprintf(link, sizeof link, "/proc/self/fd/%d", s);
    ssize_t ln = readlink(link, buf, sizeof buf - 1);
    if (ln >= 0) buf[ln] = 0;
    YN("readlink /proc/self/fd/slave == ptsname", ln > 0 && strcmp(buf, name) == 0);
    struct stat st;
    RET("stat slave", stat(name, &st));
    YN("slave is a char device", S_ISCHR(st.st_mode));
    printf("slave major %u minor==ptn %s\n", major(st.st_rdev), minor(st.st_rdev) == ptn ? "yes" : "no");
    RET("TIOCGPTN on slave", ioctl(s, TIOCGPTN, &ptn));
    RET("lseek slave", lseek(s, 0, SEEK_SET));

    struct termios t;
    RET("tcgetattr", tcgetattr(s, &t));
    printf("iflag 0%o oflag 0%o cflag 0%o lflag 0%o\n", t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag);
    printf("cc:");
    for (int i = 0; i < 17; i++) printf(" %d", t.c_cc[i]);
    printf("\nspeed %d %d\n", (int)cfgetispeed(&t), (int)cfgetospeed(&t));
    struct termios tm;
    RET("tcgetattr(master)", tcgetattr(m, &tm));
    YN("master termios == slave termios", tm.c_lflag == t.c_lflag && tm.c_iflag == t.c_iflag);

    /* Canonical mode. */
    write(m, "hello\n", 6);
    show_read("slave read", s, 100);
    show_master("echo", m);
    write(m, "abc\x7f\x7fxy\n", 8);
    show_read("after erase", s, 100);
    show_master("echo", m);
    write(m, "foo\x15" "bar\n", 8);
    show_read("after kill", s, 100);
    show_master("echo", m);
    write(m, "one two\x17three\n", 14);
    show_read("after werase", s, 100);
    show_master("echo", m);
    write(m, "\x01\r", 2);
    show_read("control char and CR", s, 100);
    show_master("echo", m);
    write(m, "partial\x04", 8);
    show_read("VEOF ends a line", s, 100);
    write(m, "\x04", 1);
    show_read("VEOF on an empty line", s, 100);
    write(m, "longline\n", 9);
    show_read("partial read", s, 4);
    show_read("rest of the line", s, 100);
    write(m, "l1\nl2\n", 6);
    show_read("one line per read", s, 100);
    show_read("next line", s, 100);
    show_master("echo", m);

    /* Output processing. */
    write(s, "out\nx\n", 6);
    show_master("slave output", m);
    t.c_oflag &= ~ONLCR;
    RET("tcsetattr -ONLCR", tcsetattr(s, TCSANOW, &t));
    write(s, "raw\n", 4);
    show_master("without ONLCR", m);
    t.c_oflag |= ONLCR;

    /* No echo. */
    t.c_lflag &= ~ECHO;
    tcsetattr(s, TCSANOW, &t);
    write(m, "secret\n", 7);
    show_read("read without echo", s, 100);
    show_master("echo", m);

    /* Non-canonical mode. */
    t.c_lflag &= ~(ICANON | ECHO);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    RET("tcsetattr raw VMIN=0", tcsetattr(s, TCSANOW, &t));
    show_read("VMIN=0 empty", s, 100);
    write(m, "12345", 5);
    settle(s);
    int n = -1;
    RET("FIONREAD slave", ioctl(s, FIONREAD, &n));
    printf("FIONREAD: %d\n", n);
    show_read("VMIN=0 with data", s, 3);
    show_read("VMIN=0 rest", s, 100);
    t.c_cc[VMIN] = 1;
    tcsetattr(s, TCSANOW, &t);
    write(m, "q\r", 2);
    settle(s);
    show_read("VMIN=1 (ICRNL)", s, 100);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 2;
    tcsetattr(s, TCSANOW, &t);
    long long t0 = now_ns(CLOCK_MONOTONIC);
    show_read("VMIN=0 VTIME=2 empty", s, 100);
    long long el = (now_ns(CLOCK_MONOTONIC) - t0) / 1000000;
    YN("waited about 0.2s", el >= 150 && el < 1500);
    t.c_cc[VMIN] = 5;
    t.c_cc[VTIME] = 3;
    tcsetattr(s, TCSANOW, &t);
    write(m, "ab", 2);
    t0 = now_ns(CLOCK_MONOTONIC);
    show_read("VMIN=5 VTIME=3 with 2 bytes", s, 100);
    el = (now_ns(CLOCK_MONOTONIC) - t0) / 1000000;
    YN("waited about 0.3s (inter-byte timer)", el >= 200 && el < 1500);
    write(m, "abcdef", 6);
    settle(s);
    show_read("VMIN=5 VTIME=3 with 6 bytes", s, 100);
    write(s, "abc", 3);
    settle(m);
    RET("FIONREAD master", ioctl(m, FIONREAD, &n));
    printf("FIONREAD: %d\n", n);
    show_master("raw output", m);

    /* Flushing. */
    write(m, "junk", 4);
    settle(s);
    RET("tcflush TCIFLUSH", tcflush(s, TCIFLUSH));
    RET("FIONREAD after flush", ioctl(s, FIONREAD, &n));
    printf("FIONREAD: %d\n", n);
    RET("tcflush bad", tcflush(s, 7));

    /* Window size. */
    struct winsize ws = {0}, ws2 = {0};
    RET("TIOCGWINSZ", ioctl(s, TIOCGWINSZ, &ws));
    printf("winsize %d x %d\n", ws.ws_row, ws.ws_col);
    ws.ws_row = 24;
    ws.ws_col = 80;
    RET("TIOCSWINSZ master", ioctl(m, TIOCSWINSZ, &ws));
    RET("TIOCGWINSZ slave", ioctl(s, TIOCGWINSZ, &ws2));
    printf("winsize %d x %d\n", ws2.ws_row, ws2.ws_col);

    /* Poll. */
    struct pollfd p[2] = {{m, POLLIN | POLLOUT, 0}, {s, POLLIN | POLLOUT, 0}};
    RET("poll idle", poll(p, 2, 0));
    printf("master revents 0x%x slave revents 0x%x\n", p[0].revents, p[1].revents);
    write(s, "z", 1);
    write(m, "y", 1);
    sleep_ms(50);
    RET("poll with data", poll(p, 2, 0));
    printf("master revents 0x%x slave revents 0x%x\n", p[0].revents, p[1].revents);
    show_master("drain", m);
    show_read("drain slave", s, 10);

    /* TIOCGPTPEER. */
    int peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    YN("TIOCGPTPEER gives an fd", peer >= 0);
    tn = ttyname(peer);
    YN("ttyname(peer) == ptsname", tn && strcmp(tn, name) == 0);
    RET("TIOCGPTPEER on slave", ioctl(s, TIOCGPTPEER, O_RDWR));

    /* Closing the slave: the master reads EIO once drained. */
    write(s, "bye", 3);
    close(s);
    close(peer);
    sleep_ms(50);
    show_read("master read after slave close", m, 100);
    show_read("master read again", m, 100);
    struct pollfd pm = {m, POLLIN, 0};
    RET("poll master", poll(&pm, 1, 0));
    printf("revents 0x%x\n", pm.revents);

    /* Closing the master hangs the slave up and removes the node. */
    s = open(name, O_RDWR | O_NOCTTY);
    if (s < 0) DIE("reopen slave");
    close(m);
    sleep_ms(50);
    show_read("slave read after hangup", s, 100);
    RET("slave write after hangup", write(s, "x", 1));
    RET("tcgetattr after hangup", tcgetattr(s, &t));
    struct pollfd ps = {s, POLLIN | POLLOUT, 0};
    RET("poll slave after hangup", poll(&ps, 1, 0));
    printf("revents 0x%x\n", ps.revents);
    RET("open slave after hangup", open(name, O_RDWR | O_NOCTTY));
    close(s);

    in_child("no ctty child", no_ctty);
    return 0;
}

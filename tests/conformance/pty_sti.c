/* TIOCSTI: faking terminal input. As root (CAP_SYS_ADMIN) on a slave that is not the
 * caller's controlling terminal the byte goes through the line discipline (echo, a
 * canonical line, VERASE); on the master it lands in what the master reads; a bad pointer
 * gives EFAULT; on a write-only slave fd. Without CAP_SYS_ADMIN: EPERM on a slave that is
 * not the controlling terminal and on the master, success on the controlling terminal,
 * where an injected ^C signals the foreground process group. The test needs
 * dev.tty.legacy_tiocsti = 1 (the default): otherwise it says so and checks nothing. */
#include "common.h"
#include "pty.h"
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <termios.h>

static int m, s;
static char name[64];

/* Reads what the master has within a short wait and prints it escaped. */
static void show_master(const char *label) { show_pending(label, m, 100, 100); }

/* One read of fd once it is readable (within 0.5 s), without blocking. */
static void show_input(const char *label, int fd) { show_read_nb(label, fd, 128, 500); }

static int sti(int fd, const char *str) {
    for (; *str; str++)
        if (ioctl(fd, TIOCSTI, str) < 0) return -1;
    return 0;
}

static void drop_sys_admin(void) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d)) DIE("capget");
    d[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
    d[CAP_SYS_ADMIN / 32].permitted &= ~(1u << (CAP_SYS_ADMIN % 32));
    if (syscall(SYS_capset, &h, d)) DIE("capset");
}

static volatile sig_atomic_t got_int;
static void on_int(int sig) {
    (void)sig;
    got_int++;
}

static int unprivileged(void) {
    drop_sys_admin();
    RET("TIOCSTI on a slave that is not my terminal", ioctl(s, TIOCSTI, "a"));
    RET("TIOCSTI on the master", ioctl(m, TIOCSTI, "a"));
    RET("TIOCSTI bad pointer, not my terminal", ioctl(s, TIOCSTI, (char *)8));
    show_master("nothing was echoed");
    return 0;
}

static int ctty_child(void) {
    setsid();
    int c = open(name, O_RDWR);
    if (c < 0) DIE("open slave");
    YN("it is my controlling terminal", tcgetsid(c) == getpid());
    drop_sys_admin();
    RET("TIOCSTI on my terminal", sti(c, "me\n"));
    show_input("read", c);
    show_master("echo");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_int;
    sigaction(SIGINT, &sa, NULL);
    RET("TIOCSTI ^C", ioctl(c, TIOCSTI, "\x03"));
    for (int i = 0; i < 100 && !got_int; i++) sleep_ms(5);
    printf("SIGINT received: %d\n", (int)got_int);
    show_master("echo");
    RET("TIOCSTI bad pointer", ioctl(c, TIOCSTI, (char *)8));
    int t = open("/dev/tty", O_RDWR);
    RET("TIOCSTI through /dev/tty", ioctl(t, TIOCSTI, "x"));
    RET("TIOCSTI newline", ioctl(t, TIOCSTI, "\n"));
    show_input("read", c);
    show_master("echo");
    return 0;
}

int main(void) {
    setup(20);
    int fd = open("/proc/sys/dev/tty/legacy_tiocsti", O_RDONLY);
    char v = '1';
    if (fd >= 0) {
        if (read(fd, &v, 1) != 1) v = '1';
        close(fd);
    }
    if (v != '1') {
        printf("legacy TIOCSTI is off: nothing to check\n");
        return 0;
    }
    m = open_pty(name, sizeof name);
    s = open_slave(name);

    RET("TIOCSTI on the slave", sti(s, "hello\n"));
    show_input("slave read", s);
    show_master("echo");
    RET("TIOCSTI with an erase", sti(s, "ab\x7f" "c\n"));
    show_input("slave read", s);
    show_master("echo");
    RET("TIOCSTI on the master", sti(m, "xyz"));
    show_master("master reads");
    RET("TIOCSTI bad pointer", ioctl(s, TIOCSTI, (char *)8));
    RET("TIOCSTI NULL", ioctl(m, TIOCSTI, NULL));
    int w = open(name, O_WRONLY | O_NOCTTY);
    RET("TIOCSTI on a write-only slave", sti(w, "w\n"));
    show_input("slave read", s);
    show_master("echo");
    close(w);

    /* Raw mode: the byte is there at once. */
    struct termios t;
    tcgetattr(s, &t);
    t.c_lflag &= ~(ICANON | ECHO);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    tcsetattr(s, TCSANOW, &t);
    RET("TIOCSTI raw", ioctl(s, TIOCSTI, "r"));
    int n = -1;
    RET("FIONREAD", ioctl(s, FIONREAD, &n));
    printf("FIONREAD: %d\n", n);
    show_input("slave read", s);
    t.c_lflag |= ICANON | ECHO;
    tcsetattr(s, TCSANOW, &t);

    in_child("unprivileged", unprivileged);
    in_child("controlling terminal", ctty_child);

    int p = open("/dev/null", O_RDWR);
    RET("TIOCSTI on /dev/null", ioctl(p, TIOCSTI, "x"));
    return 0;
}

/* Pseudo-terminal hangups without job control. Closing the slave: a master read blocked
 * in another process fails with EIO, buffered output is still read first, then EIO and
 * POLLHUP; a master write still succeeds; reopening the slave clears the condition.
 * Closing the master: only the last close of the open file description (a dup, a copy
 * in a child) hangs up; a slave read blocked in another process gets EIO, later reads of
 * the same fd return 0 and unread input is gone; writes and ioctls give EIO (TIOCSPGRP
 * ENOTTY); poll reports everything; every slave fd, including one from TIOCGPTPEER, is
 * hung up; the slave node disappears; and no SIGHUP is sent when the pty is nobody's
 * controlling terminal. */
#include "common.h"
#include "pty.h"
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>

static int m, s;
static char name[64];

static void show_poll(const char *label, int fd) {
    struct pollfd p = {fd, POLLIN | POLLOUT | POLLPRI, 0};
    int r = poll(&p, 1, 0);
    printf("%s: %d in=%d out=%d err=%d hup=%d\n", label, r, !!(p.revents & POLLIN), !!(p.revents & POLLOUT),
           !!(p.revents & POLLERR), !!(p.revents & POLLHUP));
}

/* A child that closes its other fds and reads fd once (blocking) and exits 0 for data, 1 for EOF, 2 for EIO. */
static pid_t blocked_reader(int fd, int ready) {
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        for (int i = 3; i < 64; i++)
            if (i != fd && i != ready) close(i);
        write(ready, "r", 1);
        char buf[16];
        ssize_t n = read(fd, buf, sizeof buf);
        _exit(n > 0 ? 0 : n == 0 ? 1 : errno == EIO ? 2 : 3);
    }
    char c;
    read(ready - 1, &c, 1);
    sleep_ms(50); /* let it block (it fails the same way if it has not yet) */
    return p;
}

static volatile sig_atomic_t hups;
static void on_hup(int sig) {
    (void)sig;
    hups++;
}

int main(void) {
    setup(20);
    signal(SIGHUP, on_hup);
    int sync[2];
    if (pipe(sync)) DIE("pipe");

    /* The slave side closes. */
    m = open_pty(name, sizeof name);
    s = open_slave(name);
    close(s);
    show_read("master read after the slave closed", m, 64);
    show_poll("master poll", m);
    s = open(name, O_RDWR | O_NOCTTY);
    show_poll("master poll after reopening", m);
    pid_t r = blocked_reader(m, sync[1]);
    close(s);
    printf("blocked master reader: exit %d (2 = EIO)\n", WEXITSTATUS(wait_child(r)));
    s = open(name, O_RDWR | O_NOCTTY);
    write(s, "bye", 3);
    wait_readable(m, 1000);
    close(s);
    show_read("buffered output first", m, 64);
    show_read("then", m, 64);
    RET("master write with the slave closed", write(m, "x", 1));
    s = open(name, O_RDWR | O_NOCTTY);
    show_read_nb("master read once reopened (the echo)", m, 64, 1000);
    close(s);
    close(m);

    /* The master closes: only its last reference counts. */
    m = open_pty(name, sizeof name);
    s = open(name, O_RDWR | O_NOCTTY);
    int peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    int m2 = dup(m);
    close(m);
    RET("slave write with a dup of the master open", write(s, "a", 1));
    m = m2;
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        char x;
        read(sync[0], &x, 1); /* keeps its copy of the master until told */
        _exit(0);
    }
    close(m);
    RET("slave write with the master open in a child", write(s, "a", 1));
    write(sync[1], "x", 1);
    wait_child(c);
    sleep_ms(20);
    RET("slave write after the last close", write(s, "a", 1));
    show_read("slave read", s, 64);
    close(s);
    close(peer);

    /* A blocked reader, unread input, every slave fd. */
    m = open_pty(name, sizeof name);
    s = open(name, O_RDWR | O_NOCTTY);
    int s2 = open(name, O_RDWR | O_NOCTTY);
    peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    write(m, "unread", 6);
    r = blocked_reader(s2, sync[1]);
    close(m);
    printf("blocked slave reader: exit %d (2 = EIO)\n", WEXITSTATUS(wait_child(r)));
    show_read("slave read (unread input)", s, 64);
    show_read("slave read again", s, 64);
    show_read("the other slave fd", s2, 64);
    show_read("the TIOCGPTPEER fd", peer, 64);
    RET("slave write", write(s, "x", 1));
    show_poll("slave poll", s);
    struct termios t;
    RET("tcgetattr", tcgetattr(s, &t));
    RET("TIOCSPGRP", ioctl(s, TIOCSPGRP, &(pid_t){1}));
    RET("TIOCGPGRP", ioctl(s, TIOCGPGRP, &(pid_t){0}));
    int n;
    RET("FIONREAD", ioctl(s, FIONREAD, &n));
    RET("TIOCGWINSZ", ioctl(s, TIOCGWINSZ, &(struct winsize){0}));
    RET("isatty", isatty(s));
    RET("open the slave node", open(name, O_RDWR | O_NOCTTY));
    struct stat st;
    RET("stat the slave node", stat(name, &st));
    RET("fstat the slave fd", fstat(s, &st));
    RET("dup of a hung-up fd", dup(s) >= 0);
    RET("close", close(s));
    close(s2);
    close(peer);
    printf("SIGHUP received: %d\n", (int)hups);
    return 0;
}

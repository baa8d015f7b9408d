/* Pseudo-terminal helpers shared by the pty_* and tty_* conformance programs: opening a
 * pair, draining and printing what one end has to read, and single reads printed escaped.
 * Like common.h, everything is static and the programs include it next to common.h; it
 * is not a program itself (the harness compiles only *.c). Timeouts are parameters, so
 * each program keeps the waits it was written with. */
#ifndef HUSK_CONFORMANCE_PTY_H
#define HUSK_CONFORMANCE_PTY_H

#include "common.h"
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>

/* Opens and unlocks a pty master, puts the slave's path in name; returns the master fd or dies. */
static UNUSED int open_pty(char *name, size_t size) {
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) || unlockpt(m) || ptsname_r(m, name, size)) DIE("openpty");
    return m;
}

/* Opens the slave read-write without making it the controlling terminal; dies on failure. */
static UNUSED int open_slave(const char *name) {
    int s = open(name, O_RDWR | O_NOCTTY);
    if (s < 0) DIE("open slave");
    return s;
}

/* Prints bytes with \r \n \b \t \\ spelled out and other control or non-ASCII bytes as \xNN. */
static UNUSED void put_escaped(const char *buf, size_t len) {
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '\r') printf("\\r");
        else if (c == '\n') printf("\\n");
        else if (c == '\b') printf("\\b");
        else if (c == '\t') printf("\\t");
        else if (c == '\\') printf("\\\\");
        else if (c < 32 || c >= 127) printf("\\x%02x", c);
        else putchar(c);
    }
}

/* Polls fd for POLLIN for up to ms milliseconds; returns poll's result. */
static UNUSED int wait_readable(int fd, int ms) {
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, ms);
}

/* Reads fd into buf until quiet for first_ms (later next_ms), EOF or a full buf; returns bytes read. */
static UNUSED size_t read_quiet(int fd, char *buf, size_t size, int first_ms, int next_ms) {
    size_t len = 0;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, len ? next_ms : first_ms) <= 0 || !(p.revents & POLLIN)) break;
        ssize_t n = read(fd, buf + len, size - len);
        if (n <= 0) break;
        len += (size_t)n;
    }
    return len;
}

/* Drains fd as read_quiet does and prints `LABEL: "escaped bytes"`. */
static UNUSED void show_pending(const char *label, int fd, int first_ms, int next_ms) {
    char all[4096];
    size_t len = read_quiet(fd, all, sizeof all, first_ms, next_ms);
    printf("%s: \"", label);
    put_escaped(all, len);
    printf("\"\n");
}

/* One read of at most want (<= 256) bytes, printed `LABEL: N "escaped"` or `LABEL: -1 ENAME`. */
static UNUSED void show_read(const char *label, int fd, size_t want) {
    char buf[256];
    if (want > sizeof buf) want = sizeof buf;
    errno = 0;
    ssize_t n = read(fd, buf, want);
    if (n < 0) {
        printf("%s: -1 %s\n", label, en(errno));
        return;
    }
    printf("%s: %zd \"", label, n);
    put_escaped(buf, (size_t)n);
    printf("\"\n");
}

/* Waits up to wait_ms for fd to be readable, then show_read with fd non-blocking for that read. */
static UNUSED void show_read_nb(const char *label, int fd, size_t want, int wait_ms) {
    wait_readable(fd, wait_ms);
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    show_read(label, fd, want);
    fcntl(fd, F_SETFL, fl);
}

#endif

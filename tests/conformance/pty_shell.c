/* A shell driven through a pseudo-terminal, as a terminal emulator does. The child
 * becomes a session leader, makes the slave its controlling terminal (setsid +
 * TIOCSCTTY) and execs Debian's dash with -i (job control, canonical input, the kernel
 * echoes). The parent types into the master: a command (canonical line with echo), a line
 * edited with VERASE and VKILL before the newline, a foreground `sleep 30` interrupted by
 * ^C (SIGINT to the foreground process group; the shell survives and `echo $?` says 130),
 * a foreground `sleep 30` stopped by ^Z, `jobs`, `fg` and ^C, and `exit`. After each step
 * it reads the master with poll until the next prompt (no fixed sleeps decide anything);
 * ^C and ^Z are sent only once the sleep is the foreground group and runs (/proc). The
 * transcript is printed with \r\n turned into \n. */
#include "common.h"
#include "pty.h"
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>

#define PROMPT "@> "

static int m;
static char tr[65536];
static size_t trlen;

/* Reads what the master has now (waiting up to ms for the first byte); 0 at EOF/EIO. */
static int pump(int ms) {
    struct pollfd p = {m, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0) return 1;
    if (!(p.revents & POLLIN)) return p.revents & (POLLHUP | POLLERR) ? 0 : 1;
    ssize_t n = read(m, tr + trlen, sizeof tr - trlen - 1);
    if (n <= 0) return 0;
    trlen += (size_t)n;
    tr[trlen] = 0;
    return 1;
}

static int count(const char *from, const char *needle) {
    int c = 0;
    for (const char *p = from; (p = strstr(p, needle)) != NULL; p += strlen(needle)) c++;
    return c;
}

/* Prints the transcript from `*from` on (normalised), then moves *from to its end. */
static void show(const char *label, size_t *from) {
    printf("%s: \"", label);
    for (size_t i = *from; i < trlen; i++) {
        unsigned char c = (unsigned char)tr[i];
        if (c == '\r' && i + 1 < trlen && tr[i + 1] == '\n') continue;
        if (c == '\r') printf("\\r");
        else if (c == '\n') printf("\\n");
        else if (c == '\b') printf("\\b");
        else if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 32 || c >= 127) printf("\\x%02x", c);
        else putchar(c);
    }
    printf("\"\n");
    *from = trlen;
}

/* Waits (5 s at most) until the text after `from` holds `needle` `n` times. */
static int wait_text(size_t from, const char *needle, int n) {
    long long end = now_ns(CLOCK_MONOTONIC) + 5000000000LL;
    while (count(tr + from, needle) < n) {
        if (now_ns(CLOCK_MONOTONIC) > end) {
            printf("TIMEOUT waiting for \"%s\"\n", needle);
            return 0;
        }
        if (!pump(100)) return count(tr + from, needle) >= n;
    }
    return 1;
}

/* The state letter of a process from /proc/PID/stat, and whether it runs `comm`. */
static char proc_state(pid_t pid, const char *comm) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    char want[64];
    snprintf(want, sizeof want, "(%s) ", comm);
    char *p = strstr(buf, want);
    if (!p) return 0;
    return p[strlen(want)];
}

/* Waits until the foreground group is not the shell's and its leader runs `sleep` in
 * state `state` ('S' asleep, 'T' stopped); returns the group. */
static pid_t wait_fg_sleep(pid_t shell, char state) {
    long long end = now_ns(CLOCK_MONOTONIC) + 5000000000LL;
    for (;;) {
        pid_t pg = 0;
        if (ioctl(m, TIOCGPGRP, &pg) == 0 && pg != shell && pg > 0) {
            char s = proc_state(pg, "sleep");
            if (s == state) return pg;
        }
        if (now_ns(CLOCK_MONOTONIC) > end) {
            printf("TIMEOUT waiting for a foreground sleep\n");
            return 0;
        }
        pump(5);
    }
}

static void type(const char *s) {
    size_t len = strlen(s);
    if (write(m, s, len) != (ssize_t)len) printf("short write to the master\n");
}

int main(void) {
    setup(25);
    char name[64];
    m = open_pty(name, sizeof name);
    struct winsize ws = {24, 80, 0, 0};
    RET("TIOCSWINSZ", ioctl(m, TIOCSWINSZ, &ws));
    fflush(stdout);
    pid_t sh = fork();
    if (sh < 0) DIE("fork");
    if (sh == 0) {
        close(m);
        if (setsid() < 0) _exit(90);
        int s = open(name, O_RDWR | O_NOCTTY);
        if (s < 0) _exit(91);
        if (ioctl(s, TIOCSCTTY, 0) < 0) _exit(92);
        dup2(s, 0);
        dup2(s, 1);
        dup2(s, 2);
        if (s > 2) close(s);
        char *argv[] = {"sh", "-i", NULL};
        char *envp[] = {"PS1=" PROMPT, "PS2=> ", "TERM=dumb", "HOME=/tmp", "PATH=/usr/bin:/bin", "LC_ALL=C", NULL};
        execve("/bin/dash", argv, envp);
        _exit(93);
    }
    size_t from = 0;
    int ok = wait_text(0, PROMPT, 1);
    show("start", &from);
    pid_t sid = 0, pg = 0;
    RET("TIOCGSID", ioctl(m, TIOCGSID, &sid));
    YN("session is the shell's", sid == sh);
    RET("TIOCGPGRP", ioctl(m, TIOCGPGRP, &pg));
    YN("foreground group is the shell's", pg == sh);

    /* A canonical line, echoed by the terminal. */
    type("echo hello\n");
    ok = ok && wait_text(from, PROMPT, 1);
    show("echo hello", &from);

    /* Line editing: VERASE twice, then VKILL, then the real command. */
    type("echo abcd\x7f\x7fxy");
    type("\x15");
    type("echo edited $((6*7))\n");
    ok = ok && wait_text(from, PROMPT, 1);
    show("edited line", &from);

    /* A word erase (VWERASE) before the newline. */
    type("echo one two\x17three\n");
    ok = ok && wait_text(from, PROMPT, 1);
    show("werase", &from);

    /* ^C to a foreground sleep. */
    type("sleep 30\n");
    pid_t job = ok ? wait_fg_sleep(sh, 'S') : 0;
    YN("sleep is the foreground group", job > 0);
    if (job > 0) type("\x03");
    ok = ok && job > 0 && wait_text(from, PROMPT, 1);
    show("sleep, ^C", &from);
    RET("TIOCGPGRP", ioctl(m, TIOCGPGRP, &pg));
    YN("the shell is in the foreground again", pg == sh);
    type("echo status $?\n");
    ok = ok && wait_text(from, PROMPT, 1);
    show("status", &from);

    /* ^Z to a foreground sleep, jobs, fg, ^C. */
    type("sleep 30\n");
    job = ok ? wait_fg_sleep(sh, 'S') : 0;
    YN("sleep is the foreground group", job > 0);
    if (job > 0) type("\x1a");
    ok = ok && job > 0 && wait_text(from, PROMPT, 1);
    show("sleep, ^Z", &from);
    RET("TIOCGPGRP", ioctl(m, TIOCGPGRP, &pg));
    YN("the shell is in the foreground again", pg == sh);
    YN("the job is stopped", job > 0 && proc_state(job, "sleep") == 'T');
    type("echo status $?\n");
    ok = ok && wait_text(from, PROMPT, 1);
    show("status", &from);
    type("jobs\n");
    ok = ok && wait_text(from, PROMPT, 1);
    show("jobs", &from);
    type("fg\n");
    pid_t job2 = ok ? wait_fg_sleep(sh, 'S') : 0;
    YN("fg resumed the same job in the foreground", job2 > 0 && job2 == job);
    if (job2 > 0) type("\x03");
    ok = ok && job2 > 0 && wait_text(from, PROMPT, 1);
    show("fg, ^C", &from);
    type("echo status $?; jobs\n");
    ok = ok && wait_text(from, PROMPT, 1);
    show("status", &from);

    /* exit with a status. */
    type("exit 3\n");
    int st = wait_child(sh);
    printf("shell: %s\n", wstr(st));
    while (pump(200)) {
    }
    show("exit", &from);
    char b;
    RET("master read after the shell is gone", read(m, &b, 1));
    if (!ok) printf("some step failed\n");
    return 0;
}

/* Many pseudo-terminals at once: 64 pairs from /dev/ptmx (and /dev/pts/ptmx) with
 * distinct numbers, ptsname matching TIOCGPTN, /dev/pts listing them, each slave locked
 * until unlockpt (EIO), TIOCSPTLCK locking again (new opens fail, and the failure
 * makes open slaves fail with EIO until a later open succeeds), TIOCGPTLCK, independent data and termios per pair, the pty ioctls on the
 * wrong end or on other files (ENOTTY), O_NONBLOCK slaves, and TIOCGPTPEER access
 * modes. */
#include "common.h"
#include <dirent.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>

#define N 64

static int ms[N], ss[N];
static unsigned ptn[N];

int main(void) {
    setup(20);
    int bad = 0, mismatch = 0;
    for (int i = 0; i < N; i++) {
        ms[i] = i % 2 ? open("/dev/pts/ptmx", O_RDWR | O_NOCTTY) : posix_openpt(O_RDWR | O_NOCTTY);
        if (ms[i] < 0) DIE("open ptmx");
        if (ioctl(ms[i], TIOCGPTN, &ptn[i]) < 0) bad++;
        char name[64], want[64];
        if (ptsname_r(ms[i], name, sizeof name)) bad++;
        snprintf(want, sizeof want, "/dev/pts/%u", ptn[i]);
        if (strcmp(name, want)) mismatch++;
    }
    printf("opened %d masters, TIOCGPTN failures %d, ptsname mismatches %d\n", N, bad, mismatch);
    int dup_n = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < i; j++)
            if (ptn[i] == ptn[j]) dup_n++;
    printf("duplicate numbers: %d\n", dup_n);

    /* The listing has them all. */
    DIR *d = opendir("/dev/pts");
    if (!d) DIE("opendir");
    int seen = 0, ptmx = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, "ptmx")) ptmx++;
        for (int i = 0; i < N; i++) {
            char b[16];
            snprintf(b, sizeof b, "%u", ptn[i]);
            if (!strcmp(b, e->d_name)) {
                seen++;
                if (e->d_type != DT_CHR) printf("%s is not DT_CHR\n", b);
            }
        }
    }
    closedir(d);
    printf("listed: %d of %d, ptmx %d\n", seen, N, ptmx);

    /* Locked until unlocked. */
    int locked_eio = 0, lk_ok = 0;
    for (int i = 0; i < N; i++) {
        char name[64];
        snprintf(name, sizeof name, "/dev/pts/%u", ptn[i]);
        int fd = open(name, O_RDWR | O_NOCTTY);
        if (fd < 0 && errno == EIO) locked_eio++;
        if (fd >= 0) close(fd);
        int lk = -1;
        if (ioctl(ms[i], TIOCGPTLCK, &lk) == 0 && lk == 1) lk_ok++;
        if (unlockpt(ms[i])) DIE("unlockpt");
        ss[i] = open(name, O_RDWR | O_NOCTTY);
        if (ss[i] < 0) DIE("open slave");
    }
    printf("locked opens failing with EIO: %d, TIOCGPTLCK 1: %d\n", locked_eio, lk_ok);

    /* Each pair carries its own data; every other one without echo. */
    for (int i = 0; i < N; i += 2) {
        struct termios t;
        tcgetattr(ss[i], &t);
        t.c_lflag &= ~ECHO;
        tcsetattr(ss[i], TCSANOW, &t);
    }
    for (int i = 0; i < N; i++) {
        char line[32];
        int n = snprintf(line, sizeof line, "line %d\n", i);
        write(ms[i], line, (size_t)n);
    }
    int right = 0, echoes = 0, echo_right = 0;
    for (int i = 0; i < N; i++) {
        char buf[64], want[32];
        snprintf(want, sizeof want, "line %d\n", i);
        ssize_t n = read(ss[i], buf, sizeof buf - 1);
        if (n > 0) {
            buf[n] = 0;
            if (!strcmp(buf, want)) right++;
        }
        struct pollfd p = {ms[i], POLLIN, 0};
        if (poll(&p, 1, i % 2 ? 1000 : 0) > 0) {
            echoes++;
            n = read(ms[i], buf, sizeof buf - 1);
            snprintf(want, sizeof want, "line %d\r\n", i);
            if (n > 0) {
                buf[n] = 0;
                if (!strcmp(buf, want)) echo_right++;
            }
        }
    }
    printf("slaves reading their own line: %d, masters with echo: %d (right: %d)\n", right, echoes, echo_right);

    /* Locking again. */
    char name0[64];
    snprintf(name0, sizeof name0, "/dev/pts/%u", ptn[0]);
    RET("TIOCSPTLCK 1", ioctl(ms[0], TIOCSPTLCK, &(int){1}));
    RET("open a relocked slave", open(name0, O_RDWR | O_NOCTTY));
    /* Linux marks the slave with an I/O error when an open fails on the lock, until the
     * next successful open. */
    RET("write to the open slave", write(ss[0], "ok", 2));
    char b[8];
    RET("read from it", read(ss[0], b, sizeof b));
    RET("TIOCSPTLCK 0", ioctl(ms[0], TIOCSPTLCK, &(int){0}));
    RET("write before reopening", write(ss[0], "ok", 2));
    int again = open(name0, O_RDWR | O_NOCTTY);
    YN("open after unlocking", again >= 0);
    RET("write to the old fd again", write(ss[0], "ok", 2));
    RET("master reads it", read(ms[0], b, sizeof b));

    /* The wrong end, other files. */
    unsigned x;
    RET("TIOCGPTN on a slave", ioctl(ss[1], TIOCGPTN, &x));
    RET("TIOCSPTLCK on a slave", ioctl(ss[1], TIOCSPTLCK, &(int){0}));
    RET("TIOCGPTLCK on a slave", ioctl(ss[1], TIOCGPTLCK, &(int){0}));
    RET("unlockpt on a slave", unlockpt(ss[1]));
    char nb[64];
    RET("ptsname_r on a slave", ptsname_r(ss[1], nb, sizeof nb));
    int nul = open("/dev/null", O_RDWR);
    RET("TIOCGPTN on /dev/null", ioctl(nul, TIOCGPTN, &x));
    RET("ptsname_r on /dev/null", ptsname_r(nul, nb, sizeof nb));
    RET("TIOCGPTN bad pointer", ioctl(ms[1], TIOCGPTN, (void *)8));

    /* Non-blocking slave, TIOCGPTPEER access modes. */
    char name1[64];
    snprintf(name1, sizeof name1, "/dev/pts/%u", ptn[1]);
    int nbs = open(name1, O_RDWR | O_NOCTTY | O_NONBLOCK);
    RET("non-blocking slave read", read(nbs, b, sizeof b));
    int ro = ioctl(ms[1], TIOCGPTPEER, O_RDONLY | O_NOCTTY);
    YN("TIOCGPTPEER O_RDONLY", ro >= 0);
    RET("write to it", write(ro, "x", 1));
    RET("fcntl F_GETFL & O_ACCMODE", fcntl(ro, F_GETFL) & O_ACCMODE);
    int nbp = ioctl(ms[1], TIOCGPTPEER, O_RDWR | O_NONBLOCK | O_NOCTTY);
    RET("TIOCGPTPEER O_NONBLOCK: read", read(nbp, b, sizeof b));
    YN("O_NONBLOCK set", fcntl(nbp, F_GETFL) & O_NONBLOCK);

    for (int i = 0; i < N; i++) {
        close(ss[i]);
        close(ms[i]);
    }
    RET("read of a slave fd after its master closed", read(again, b, sizeof b));
    printf("done\n");
    return 0;
}

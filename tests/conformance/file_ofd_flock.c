/* Open file description locks (F_OFD_SETLK/F_OFD_GETLK/F_OFD_SETLKW) and flock(2):
 * OFD locks belong to the open file description (shared by dup and fork, not by a
 * second open in the same process), l_pid must be 0 (EINVAL otherwise), F_OFD_GETLK
 * reports l_pid -1; flock shared/exclusive conflicts, LOCK_NB (EWOULDBLOCK),
 * conversion, inheritance across fork and dup, release on last close, blocking flock
 * woken by an unlock, independence of flock and POSIX locks, and errors. */
#include "common.h"
#include <sys/file.h>

static char F[64];

static int ofd(int fd, int cmd, short type, off_t start, off_t len) {
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl);
}

static void ofd_get(const char *label, int fd, short type, off_t start, off_t len) {
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    if (fcntl(fd, F_OFD_GETLK, &fl) < 0) { printf("%s: -1 %s\n", label, en(errno)); return; }
    if (fl.l_type == F_UNLCK) printf("%s: unlocked\n", label);
    else printf("%s: %s start %ld len %ld pid %d\n", label, fl.l_type == F_WRLCK ? "WRLCK" : "RDLCK",
                (long)fl.l_start, (long)fl.l_len, fl.l_pid);
}

static int p2c[2], c2p[2];

int main(void) {
    setup(10);
    strcpy(F, "/tmp/file_ofd_flock.XXXXXX");
    int a = mkstemp(F);
    if (a < 0) DIE("mkstemp");
    int b = open(F, O_RDWR);
    int a2 = dup(a);

    /* OFD locks */
    RET("OFD WRLCK on a", ofd(a, F_OFD_SETLK, F_WRLCK, 0, 10));
    RET("OFD WRLCK on b (other open)", ofd(b, F_OFD_SETLK, F_WRLCK, 5, 10));
    RET("OFD WRLCK on dup of a", ofd(a2, F_OFD_SETLK, F_WRLCK, 5, 10));
    ofd_get("OFD GETLK from b", b, F_WRLCK, 0, 100);
    ofd_get("OFD GETLK from a", a, F_WRLCK, 0, 100);
    RET("OFD RDLCK on b beyond", ofd(b, F_OFD_SETLK, F_RDLCK, 20, 5));
    ofd_get("OFD GETLK from a at 20", a, F_WRLCK, 20, 5);
    RET("OFD read-read shares", ofd(a, F_OFD_SETLK, F_RDLCK, 20, 5));
    struct flock bad = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 50, .l_len = 1, .l_pid = 1};
    RET("OFD with l_pid != 0", fcntl(a, F_OFD_SETLK, &bad));
    RET("OFD GETLK with l_pid != 0", fcntl(a, F_OFD_GETLK, &bad));
    /* POSIX lock by this process conflicts with an OFD lock of another description. */
    struct flock pl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    RET("POSIX SETLK vs OFD lock", fcntl(b, F_SETLK, &pl));
    /* Closing a dup does not release OFD locks. */
    close(a2);
    RET("after closing dup, b still blocked", ofd(b, F_OFD_SETLK, F_WRLCK, 0, 1));
    /* Fork shares the description. */
    if (pipe(p2c) || pipe(c2p)) DIE("pipe");
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        RET("  child OFD on inherited a", ofd(a, F_OFD_SETLK, F_WRLCK, 0, 10));
        RET("  child OFD on inherited b", ofd(b, F_OFD_SETLK, F_WRLCK, 0, 10));
        RET("  child unlock a's lock", ofd(a, F_OFD_SETLK, F_UNLCK, 0, 10));
        _exit(0);
    }
    wait_child(p);
    RET("parent: b can lock now", ofd(b, F_OFD_SETLK, F_WRLCK, 0, 5));
    ofd(b, F_OFD_SETLK, F_UNLCK, 0, 0);
    ofd(a, F_OFD_SETLK, F_UNLCK, 0, 0);
    /* Blocking OFD lock woken by unlock from a child holding the description. */
    RET("b locks 0..10", ofd(b, F_OFD_SETLK, F_WRLCK, 0, 10));
    fflush(stdout);
    p = fork();
    if (p == 0) {
        char c;
        if (read(p2c[0], &c, 1) != 1) _exit(1);
        sleep_ms(50);
        ofd(b, F_OFD_SETLK, F_UNLCK, 0, 10);
        _exit(0);
    }
    if (write(p2c[1], "x", 1) != 1) DIE("write");
    RET("a SETLKW waits for child's unlock", ofd(a, F_OFD_SETLKW, F_WRLCK, 0, 10));
    wait_child(p);
    ofd(a, F_OFD_SETLK, F_UNLCK, 0, 0);
    close(b);
    b = open(F, O_RDWR);

    /* flock */
    RET("flock a LOCK_EX", flock(a, LOCK_EX));
    RET("flock b LOCK_EX|LOCK_NB", flock(b, LOCK_EX | LOCK_NB));
    RET("flock b LOCK_SH|LOCK_NB", flock(b, LOCK_SH | LOCK_NB));
    RET("flock a again (same description)", flock(a, LOCK_EX | LOCK_NB));
    a2 = dup(a);
    RET("flock dup LOCK_SH converts", flock(a2, LOCK_SH | LOCK_NB));
    RET("flock b LOCK_SH now", flock(b, LOCK_SH | LOCK_NB));
    RET("flock a LOCK_EX while b shares", flock(a, LOCK_EX | LOCK_NB));
    RET("flock b unlock", flock(b, LOCK_UN));
    RET("flock a LOCK_EX", flock(a, LOCK_EX | LOCK_NB));
    /* flock and POSIX locks are independent. */
    struct flock pw = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    RET("POSIX lock on b while flock held on a", fcntl(b, F_SETLK, &pw));
    pw.l_type = F_UNLCK;
    fcntl(b, F_SETLK, &pw);
    close(a2);
    RET("still held after closing dup", flock(b, LOCK_EX | LOCK_NB));
    fflush(stdout);
    p = fork();
    if (p == 0) {
        RET("  child flock b (inherited, conflicting)", flock(b, LOCK_SH | LOCK_NB));
        RET("  child unlock inherited a", flock(a, LOCK_UN));
        _exit(0);
    }
    wait_child(p);
    RET("parent b after child unlocked a", flock(b, LOCK_EX | LOCK_NB));
    RET("a blocked now", flock(a, LOCK_SH | LOCK_NB));
    /* Blocking flock woken by close. */
    fflush(stdout);
    p = fork();
    if (p == 0) {
        char c;
        if (read(p2c[0], &c, 1) != 1) _exit(1);
        sleep_ms(50);
        close(b); /* the parent still has b open: no release */
        _exit(0);
    }
    if (write(p2c[1], "x", 1) != 1) DIE("write");
    wait_child(p);
    RET("a still blocked after child closed its b", flock(a, LOCK_SH | LOCK_NB));
    p = fork();
    if (p == 0) {
        char c;
        if (read(p2c[0], &c, 1) != 1) _exit(1);
        sleep_ms(50);
        flock(b, LOCK_UN);
        _exit(0);
    }
    if (write(p2c[1], "x", 1) != 1) DIE("write");
    long long t0 = now_ns(CLOCK_MONOTONIC);
    RET("a blocking LOCK_EX", flock(a, LOCK_EX));
    YN("waited", now_ns(CLOCK_MONOTONIC) - t0 > 20000000LL);
    wait_child(p);
    close(b);
    b = open(F, O_RDWR);
    close(a);
    RET("b after last close of a", flock(b, LOCK_EX | LOCK_NB));

    /* Errors */
    RET("flock bad op", flock(b, 0));
    RET("flock LOCK_SH|LOCK_EX", flock(b, LOCK_SH | LOCK_EX));
    RET("flock bad fd", flock(999, LOCK_SH));
    int ro = open(F, O_RDONLY);
    RET("flock LOCK_EX on O_RDONLY fd", flock(ro, LOCK_EX | LOCK_NB));
    RET("OFD WRLCK on O_RDONLY fd", ofd(ro, F_OFD_SETLK, F_WRLCK, 0, 1));
    int pp[2];
    pipe(pp);
    RET("flock on pipe", flock(pp[0], LOCK_EX | LOCK_NB));
    close(ro);
    close(b);
    RET("unlink", unlink(F));
    return 0;
}

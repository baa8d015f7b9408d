/* getrlimit/setrlimit/prlimit64: lower a soft limit and read it back, effects of
 * RLIMIT_NOFILE (EMFILE) and RLIMIT_FSIZE (SIGXFSZ/EFBIG), EINVAL/EPERM cases. */
#include "common.h"
#include <sys/resource.h>

static int nofile_child(void) {
    struct rlimit rl = {8, 8};
    RET("  setrlimit NOFILE 8", setrlimit(RLIMIT_NOFILE, &rl));
    int opened = 0;
    for (int i = 0; i < 20; i++) {
        if (open("/dev/null", O_RDONLY) < 0) { printf("  open failed: %s\n", en(errno)); break; }
        opened++;
    }
    printf("  highest fd < 8: %s\n", fcntl(7, F_GETFD) != -1 && fcntl(8, F_GETFD) == -1 ? "yes" : "no");
    RET("  dup2 to fd 9", dup2(0, 9));
    RET("  F_DUPFD from 7", fcntl(0, F_DUPFD, 7) >= 0 ? 7 : -1);
    return 0;
}

static int fsize_child(void) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {1000, 1000};
    setrlimit(RLIMIT_FSIZE, &rl);
    const char *path = "/tmp/husk-rlimit.tmp";
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    char buf[1500];
    memset(buf, 'f', sizeof buf);
    RET("  write 1500 under FSIZE 1000", write(fd, buf, sizeof buf));
    RET("  write more", write(fd, buf, 10));
    close(fd);
    unlink(path);
    return 0;
}

static int fsize_kill_child(void) {
    struct rlimit rl = {100, 100};
    setrlimit(RLIMIT_FSIZE, &rl);
    const char *path = "/tmp/husk-rlimit2.tmp";
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    unlink(path);
    char buf[200] = {0};
    write(fd, buf, 100);
    write(fd, buf, 100); /* SIGXFSZ, default action */
    return 0;
}

int main(void) {
    setup(10);
    struct rlimit rl, orig;
    RET("getrlimit NOFILE", getrlimit(RLIMIT_NOFILE, &orig));
    YN("soft <= hard", orig.rlim_cur <= orig.rlim_max);
    rl.rlim_cur = orig.rlim_cur > 64 ? 64 : orig.rlim_cur;
    rl.rlim_max = orig.rlim_max;
    RET("setrlimit NOFILE soft 64", setrlimit(RLIMIT_NOFILE, &rl));
    getrlimit(RLIMIT_NOFILE, &rl);
    printf("read back soft: %ld, hard unchanged: %s\n", (long)rl.rlim_cur, rl.rlim_max == orig.rlim_max ? "yes" : "no");
    struct rlimit bad = {rl.rlim_max == RLIM_INFINITY ? RLIM_INFINITY : rl.rlim_max + 1, rl.rlim_max};
    if (rl.rlim_max != RLIM_INFINITY) RET("soft > hard", setrlimit(RLIMIT_NOFILE, &bad));
    else printf("soft > hard: -1 EINVAL\n");
    struct rlimit inv = {10, 5};
    RET("soft 10 > hard 5", setrlimit(RLIMIT_NOFILE, &inv));
    RET("bad resource", setrlimit(1000, &rl));
    RET("getrlimit bad resource", getrlimit(1000, &rl));

    /* prlimit64 on ourselves (pid 0 and own pid), with old value. */
    struct rlimit newl = {32, orig.rlim_max}, oldl;
    RET("prlimit(0, NOFILE, new, old)", prlimit(0, RLIMIT_NOFILE, &newl, &oldl));
    printf("prlimit old soft: %ld\n", (long)oldl.rlim_cur);
    RET("prlimit(getpid(), get)", prlimit(getpid(), RLIMIT_NOFILE, NULL, &oldl));
    printf("prlimit now soft: %ld\n", (long)oldl.rlim_cur);
    RET("prlimit nonexistent pid", prlimit(0x3ffffff0, RLIMIT_NOFILE, NULL, &oldl));

    /* Other resources: read, lower, read back. */
    int res[] = {RLIMIT_STACK, RLIMIT_CORE, RLIMIT_DATA, RLIMIT_AS, RLIMIT_CPU, RLIMIT_MEMLOCK, RLIMIT_NPROC};
    const char *names[] = {"STACK", "CORE", "DATA", "AS", "CPU", "MEMLOCK", "NPROC"};
    for (int i = 0; i < 7; i++) {
        struct rlimit a, b;
        getrlimit(res[i], &a);
        b = a;
        /* Lower the soft limit a little (or from infinity to a large value). */
        if (a.rlim_cur == RLIM_INFINITY) b.rlim_cur = a.rlim_max == RLIM_INFINITY ? (rlim_t)1 << 40 : a.rlim_max;
        else if (a.rlim_cur > 0) b.rlim_cur = a.rlim_cur - 1;
        int r = setrlimit(res[i], &b);
        struct rlimit c;
        getrlimit(res[i], &c);
        printf("RLIMIT_%s: set=%d read back matches=%s\n", names[i], r, c.rlim_cur == b.rlim_cur ? "yes" : "no");
    }
    in_child("NOFILE 8 (child)", nofile_child);
    in_child("FSIZE 1000 (child)", fsize_child);
    in_child("FSIZE 100, SIGXFSZ default (child)", fsize_kill_child);
    return 0;
}

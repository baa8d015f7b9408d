/* POSIX record locks (fcntl F_SETLK/F_SETLKW/F_GETLK) between processes: conflicts
 * (EAGAIN), F_GETLK reporting the holder (type, range, pid), own locks never conflict,
 * shared read locks, lock splitting by a partial unlock and merging of adjacent
 * ranges, lock type conversion, SEEK_CUR/SEEK_END and negative lengths, F_SETLKW
 * waking when the holder unlocks, release on close of any fd of the file, EDEADLK,
 * and errors (EBADF for mismatched access modes, EINVAL). */
#include "common.h"

static char F[64];
static int fd;
static int to_child[2], to_parent[2];

static void tell(int p) { if (write(p, "x", 1) != 1) DIE("pipe"); }
static void hear(int p) { char c; if (read(p, &c, 1) != 1) DIE("pipe"); }

static int lk(int f, int cmd, short type, short whence, off_t start, off_t len) {
    struct flock fl = {.l_type = type, .l_whence = whence, .l_start = start, .l_len = len};
    return fcntl(f, cmd, &fl);
}

static pid_t parent_pid;

static void getlk(const char *label, int f, short type, off_t start, off_t len) {
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    if (fcntl(f, F_GETLK, &fl) < 0) { printf("%s: -1 %s\n", label, en(errno)); return; }
    if (fl.l_type == F_UNLCK) { printf("%s: unlocked\n", label); return; }
    printf("%s: %s start %ld len %ld pid %s\n", label, fl.l_type == F_WRLCK ? "WRLCK" : "RDLCK",
           (long)fl.l_start, (long)fl.l_len,
           fl.l_pid == parent_pid ? "parent" : fl.l_pid == getpid() ? "self" : "other");
}

static int child(void) {
    int f = open(F, O_RDWR);
    hear(to_child[0]); /* parent holds WRLCK [0,100) */
    RET("  child SETLK conflicting", lk(f, F_SETLK, F_WRLCK, SEEK_SET, 50, 10));
    RET("  child SETLK read conflicting", lk(f, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
    RET("  child SETLK beyond", lk(f, F_SETLK, F_WRLCK, SEEK_SET, 100, 10));
    getlk("  child GETLK [0,10)", f, F_WRLCK, 0, 10);
    getlk("  child GETLK [100,110) (own)", f, F_WRLCK, 100, 10);
    getlk("  child GETLK [200,210)", f, F_WRLCK, 200, 10);
    lk(f, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
    tell(to_parent[1]);
    hear(to_child[0]); /* parent unlocked [40,60) */
    getlk("  child GETLK [40,60)", f, F_WRLCK, 40, 20);
    getlk("  child GETLK [0,100) first", f, F_WRLCK, 0, 100);
    getlk("  child GETLK [50,100)", f, F_WRLCK, 50, 50);
    tell(to_parent[1]);
    hear(to_child[0]); /* parent holds RDLCK [0,10) + [10,20) */
    getlk("  child GETLK merged", f, F_WRLCK, 0, 100);
    getlk("  child GETLK read vs read", f, F_RDLCK, 0, 100);
    RET("  child SETLK shared read", lk(f, F_SETLK, F_RDLCK, SEEK_SET, 5, 5));
    RET("  child SETLK write over read", lk(f, F_SETLK, F_WRLCK, SEEK_SET, 15, 1));
    lk(f, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
    tell(to_parent[1]);
    hear(to_child[0]); /* parent holds WRLCK [0,0) to EOF-infinity, will unlock soon */
    long long t0 = now_ns(CLOCK_MONOTONIC);
    tell(to_parent[1]);
    RET("  child SETLKW waits", lk(f, F_SETLKW, F_WRLCK, SEEK_SET, 1000, 1));
    YN("  child waited", now_ns(CLOCK_MONOTONIC) - t0 > 20000000LL);
    lk(f, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
    tell(to_parent[1]);
    hear(to_child[0]); /* parent closed another fd of the file */
    RET("  child SETLK after parent's close", lk(f, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    lk(f, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
    /* deadlock: child holds [500,1), then waits for [600,1) held by parent */
    RET("  child lock 500", lk(f, F_SETLK, F_WRLCK, SEEK_SET, 500, 1));
    tell(to_parent[1]);
    hear(to_child[0]);
    RET("  child SETLKW 600 (waits for parent)", lk(f, F_SETLKW, F_WRLCK, SEEK_SET, 600, 1));
    close(f);
    return 0;
}

int main(void) {
    setup(10);
    parent_pid = getpid();
    strcpy(F, "/tmp/file_posix_locks.XXXXXX");
    fd = mkstemp(F);
    if (fd < 0) DIE("mkstemp");
    if (pipe(to_child) || pipe(to_parent)) DIE("pipe");
    fflush(stdout);
    pid_t p = fork();
    if (p < 0) DIE("fork");
    if (p == 0) _exit(child());

    RET("parent WRLCK [0,100)", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 100));
    getlk("parent GETLK own", fd, F_WRLCK, 0, 10);
    tell(to_child[1]);
    hear(to_parent[0]);
    RET("parent unlock [40,60)", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 40, 20));
    tell(to_child[1]);
    hear(to_parent[0]);
    lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
    RET("parent RDLCK [0,10)", lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 10));
    RET("parent RDLCK [10,20)", lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 10, 10));
    tell(to_child[1]);
    hear(to_parent[0]);
    lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
    RET("parent WRLCK whole file", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0));
    tell(to_child[1]);
    hear(to_parent[0]);
    sleep_ms(100);
    int r = lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
    hear(to_parent[0]);
    printf("parent unlock whole: %d\n", r);
    RET("parent lock again", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    int other = open(F, O_RDONLY);
    close(other);
    tell(to_child[1]);
    hear(to_parent[0]);
    RET("parent lock 600", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 600, 1));
    tell(to_child[1]);
    sleep_ms(100);
    RET("parent SETLKW 500 (deadlock)", lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 500, 1));
    r = lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 600, 1);
    printf("child: %s\n", wstr(wait_child(p)));
    printf("parent unlock 600: %d\n", r);

    /* Single-process cases. */
    RET("convert: WRLCK [0,10)", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    RET("convert: RDLCK [0,10)", lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 10));
    lseek(fd, 20, SEEK_SET);
    RET("SEEK_CUR negative len", lk(fd, F_SETLK, F_WRLCK, SEEK_CUR, 0, -5));
    RET("SEEK_END", lk(fd, F_SETLK, F_WRLCK, SEEK_END, 0, 10));
    RET("negative start", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, -1, 10));
    RET("negative len before 0", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 2, -5));
    RET("bad whence", lk(fd, F_SETLK, F_WRLCK, 7, 0, 10));
    RET("bad type", lk(fd, F_SETLK, 9, SEEK_SET, 0, 10));
    RET("unlock unlocked range", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 5000, 10));
    int ro = open(F, O_RDONLY), wo = open(F, O_WRONLY);
    RET("WRLCK on O_RDONLY fd", lk(ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    RET("RDLCK on O_WRONLY fd", lk(wo, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
    RET("GETLK on O_RDONLY fd", ({ struct flock fl = {.l_type = F_WRLCK}; fcntl(ro, F_GETLK, &fl); }));
    RET("GETLK with F_UNLCK", lk(fd, F_GETLK, F_UNLCK, SEEK_SET, 0, 1));
    RET("SETLK bad fd", lk(999, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
    RET("SETLK bad pointer", fcntl(fd, F_SETLK, (void *)8));
    close(ro);
    close(wo);
    close(fd);
    RET("unlink", unlink(F));
    return 0;
}

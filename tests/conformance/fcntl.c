/* fcntl: F_DUPFD/F_DUPFD_CLOEXEC (minimum fd), F_GETFD/F_SETFD, F_GETFL/F_SETFL
 * (O_NONBLOCK, O_APPEND; access mode unchangeable), record locks F_SETLK/F_GETLK
 * between processes, F_GETPIPE_SZ, invalid commands. */
#include "common.h"

int main(void) {
    setup(10);
    const char *path = "/tmp/husk-fcntl.dat";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    int d = fcntl(fd, F_DUPFD, 50);
    RET("F_DUPFD min 50", d);
    RET("F_DUPFD min 50 again", fcntl(fd, F_DUPFD, 50));
    RET("F_DUPFD_CLOEXEC min 60", fcntl(fd, F_DUPFD_CLOEXEC, 60));
    RET("F_GETFD of 60", fcntl(60, F_GETFD));
    RET("F_GETFD of 50", fcntl(50, F_GETFD));
    RET("F_SETFD FD_CLOEXEC", fcntl(50, F_SETFD, FD_CLOEXEC));
    RET("F_GETFD after", fcntl(50, F_GETFD));
    RET("F_SETFD 0", fcntl(50, F_SETFD, 0));
    RET("F_DUPFD negative min", fcntl(fd, F_DUPFD, -1));

    int fl = fcntl(fd, F_GETFL);
    printf("F_GETFL access mode O_RDWR: %s, O_APPEND=%d O_NONBLOCK=%d\n", (fl & O_ACCMODE) == O_RDWR ? "yes" : "no",
           !!(fl & O_APPEND), !!(fl & O_NONBLOCK));
    RET("F_SETFL O_APPEND|O_NONBLOCK", fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK));
    fl = fcntl(fd, F_GETFL);
    printf("after: O_APPEND=%d O_NONBLOCK=%d\n", !!(fl & O_APPEND), !!(fl & O_NONBLOCK));
    RET("F_SETFL O_RDONLY (access mode ignored)", fcntl(fd, F_SETFL, O_RDONLY));
    fl = fcntl(fd, F_GETFL);
    printf("after: still O_RDWR=%s O_APPEND=%d\n", (fl & O_ACCMODE) == O_RDWR ? "yes" : "no", !!(fl & O_APPEND));
    fcntl(fd, F_SETFL, O_APPEND);
    write(fd, "0123456789", 10);
    lseek(fd, 0, SEEK_SET);
    write(fd, "X", 1);
    char buf[16] = {0};
    pread(fd, buf, 11, 0);
    printf("O_APPEND write went to the end: %s\n", buf);
    fcntl(fd, F_SETFL, 0);

    /* Pipes: O_NONBLOCK via F_SETFL gives EAGAIN. */
    int p[2];
    pipe(p);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    RET("read empty nonblocking pipe", read(p[0], buf, 1));
    RET("F_GETPIPE_SZ >= 4096", fcntl(p[0], F_GETPIPE_SZ) >= 4096 ? 0 : -1);
    RET("F_SETPIPE_SZ 8192", fcntl(p[0], F_SETPIPE_SZ, 8192));
    RET("F_GETPIPE_SZ", fcntl(p[0], F_GETPIPE_SZ));
    RET("F_GETPIPE_SZ on a file", fcntl(fd, F_GETPIPE_SZ));

    /* Advisory record locks between processes. */
    struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 5};
    RET("F_SETLK write lock [0,5)", fcntl(fd, F_SETLK, &lk));
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 2, .l_len = 1};
        RET("  child F_SETLK overlapping", fcntl(fd, F_SETLK, &q));
        q.l_start = 2;
        fcntl(fd, F_GETLK, &q);
        printf("  child F_GETLK: type=%s start=%ld len=%ld pid_is_parent=%s\n", q.l_type == F_WRLCK ? "WRLCK" : "other",
               (long)q.l_start, (long)q.l_len, q.l_pid == getppid() ? "yes" : "no");
        struct flock r = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 5};
        RET("  child F_SETLK non-overlapping", fcntl(fd, F_SETLK, &r));
        _exit(0);
    }
    wait_child(c);
    lk.l_type = F_UNLCK;
    RET("F_SETLK unlock", fcntl(fd, F_SETLK, &lk));
    struct flock g = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    fcntl(fd, F_GETLK, &g);
    printf("F_GETLK after unlock: %s\n", g.l_type == F_UNLCK ? "F_UNLCK" : "locked");

    RET("unknown command", fcntl(fd, 12345));
    RET("F_GETFD bad fd", fcntl(999, F_GETFD));
    RET("F_SETLK bad type", fcntl(fd, F_SETLK, &(struct flock){.l_type = 99}));
    close(fd);
    unlink(path);
    return 0;
}

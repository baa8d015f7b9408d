/* O_CLOEXEC / FD_CLOEXEC honoured by execve: the re-executed program checks which fds
 * are open (fcntl F_GETFD -> EBADF when closed); also pipe2, dup3, socket-less cases,
 * and the offset shared across exec for inherited fds. */
#include "common.h"

int main(int argc, char **argv) {
    setup(10);
    if (argc >= 2 && strcmp(argv[1], "check") == 0) {
        for (int i = 2; i + 1 < argc; i += 2) {
            int fd = atoi(argv[i + 1]);
            errno = 0;
            int r = fcntl(fd, F_GETFD);
            printf("  after exec, %s: %s\n", argv[i], r == -1 ? en(errno) : r == 0 ? "open" : "open+cloexec?");
        }
        /* The inherited plain fd shares its offset with the parent's. */
        int plain = atoi(argv[3]);
        lseek(plain, 7, SEEK_SET);
        return 0;
    }
    const char *path = "/tmp/husk-cloexec_exec.dat";
    int plain = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    int ce = open(path, O_RDONLY | O_CLOEXEC);
    int setfd = open(path, O_RDONLY);
    fcntl(setfd, F_SETFD, FD_CLOEXEC);
    int cleared = open(path, O_RDONLY | O_CLOEXEC);
    fcntl(cleared, F_SETFD, 0);
    int pp[2];
    pipe2(pp, O_CLOEXEC);
    int d3 = dup3(plain, 40, O_CLOEXEC);
    int dfc = fcntl(plain, F_DUPFD_CLOEXEC, 41);
    int d2 = dup2(ce, 42); /* dup2 clears close-on-exec */
    char a[8][16];
    int fds[] = {plain, ce, setfd, cleared, pp[0], d3, dfc, d2};
    for (int i = 0; i < 8; i++) snprintf(a[i], sizeof a[i], "%d", fds[i]);
    char *av[] = {argv[0], "check",
                  "plain", a[0], "O_CLOEXEC", a[1], "F_SETFD", a[2], "cleared", a[3],
                  "pipe2", a[4], "dup3", a[5], "DUPFD_CLOEXEC", a[6], "dup2", a[7], NULL};
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) { execv("/proc/self/exe", av); _exit(127); }
    printf("child: %s\n", wstr(wait_child(p)));
    printf("parent offset after child's lseek: %ld\n", (long)lseek(plain, 0, SEEK_CUR));
    printf("parent still has O_CLOEXEC fd: %s\n", fcntl(ce, F_GETFD) == FD_CLOEXEC ? "yes" : "no");

    /* Exec via /bin/sh: the shell sees the plain fd but not the cloexec one. */
    char cmd[128];
    snprintf(cmd, sizeof cmd, "[ -e /proc/self/fd/%d ] && echo plain-open; [ -e /proc/self/fd/%d ] || echo cloexec-closed", plain, ce);
    p = fork();
    if (p == 0) { execl("/bin/sh", "sh", "-c", cmd, (char *)NULL); _exit(127); }
    printf("sh: %s\n", wstr(wait_child(p)));
    unlink(path);
    return 0;
}

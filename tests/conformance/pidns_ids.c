/* IDs crossing a PID namespace boundary: SCM_CREDENTIALS sent by a namespace's init
 * (pid 1 there) arrive with its pid in the receiver's namespace; SO_PEERCRED of a
 * socket created outside shows pid 0 inside; F_GETLK reports a lock owner outside the
 * namespace as pid 0 and one inside by its outer pid; an ID that exists only outside
 * gives ESRCH inside; si_pid of kill() from the namespace's init is its pid as it sees
 * itself (Linux does not translate it when the receiver can see the sender). */
#include "common.h"
#include <sched.h>
#include <sys/socket.h>
#include <sys/un.h>

static int lockfd;

static int lock_range(int type, off_t start) {
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = 10};
    return fcntl(lockfd, F_SETLK, &fl);
}

static pid_t lock_owner(off_t start) {
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = 10};
    if (fcntl(lockfd, F_GETLK, &fl)) return -2;
    return fl.l_type == F_UNLCK ? -1 : fl.l_pid;
}

static volatile sig_atomic_t usr1_from;
static void on_usr1(int sig, siginfo_t *si, void *ctx) {
    (void)sig, (void)ctx;
    usr1_from = si->si_pid;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    /* Our own process group: the child signals it with kill(0, ...). */
    setpgid(0, 0);
    char path[] = "/tmp/pidns_ids.XXXXXX";
    lockfd = mkstemp(path);
    if (lockfd < 0) return 1;
    unlink(path);
    if (ftruncate(lockfd, 100)) return 1;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) return 1;
    int on = 1;
    setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
    int go[2], done[2];
    if (pipe(go) || pipe(done)) return 1;
    struct sigaction sa = {.sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO};
    sigaction(SIGUSR1, &sa, NULL);
    lock_range(F_WRLCK, 0); /* ours, at 0..9 */
    pid_t me = getpid();

    long r = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
    if (r == 0) {
        char c;
        /* Our pid in our namespace, sent explicitly. */
        struct ucred uc = {.pid = getpid(), .uid = getuid(), .gid = getgid()};
        char cbuf[CMSG_SPACE(sizeof uc)];
        char byte = 'x';
        struct iovec iov = {.iov_base = &byte, .iov_len = 1};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                            .msg_controllen = sizeof cbuf};
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_CREDENTIALS;
        cm->cmsg_len = CMSG_LEN(sizeof uc);
        memcpy(CMSG_DATA(cm), &uc, sizeof uc);
        int sent = sendmsg(sv[1], &mh, 0) == 1;
        struct ucred peer;
        socklen_t len = sizeof peer;
        int got = getsockopt(sv[1], SOL_SOCKET, SO_PEERCRED, &peer, &len);
        printf("child: pid %d, sendmsg with pid 1: %s, SO_PEERCRED %d pid %d\n", getpid(),
               sent ? "ok" : en(errno), got, peer.pid);
        printf("child: F_GETLK owner of 0..9: %d\n", lock_owner(0));
        lock_range(F_WRLCK, 50); /* ours, at 50..59 */
        RET("child: kill(4242, 0)", kill(4242, 0));
        if (write(done[1], "l", 1) != 1) _exit(9);
        if (read(go[0], &c, 1) != 1) _exit(9);
        /* The parent is not visible here (getppid() is 0): signal the process group. */
        kill(0, SIGUSR1);
        _exit(0);
    }
    char c;
    if (read(done[0], &c, 1) != 1) return 1;
    char byte;
    struct ucred uc = {0};
    char cbuf[CMSG_SPACE(sizeof uc)];
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                        .msg_controllen = sizeof cbuf};
    ssize_t n = recvmsg(sv[0], &mh, 0);
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    if (n == 1 && cm && cm->cmsg_type == SCM_CREDENTIALS) memcpy(&uc, CMSG_DATA(cm), sizeof uc);
    printf("parent: SCM_CREDENTIALS pid is the child's: %s\n", uc.pid == r ? "yes" : "no");
    pid_t owner = lock_owner(50);
    printf("parent: F_GETLK owner of 50..59 is the child: %s\n", owner == r ? "yes" : "no");
    if (write(go[1], "g", 1) != 1) return 1;
    int st;
    waitpid((pid_t)r, &st, 0);
    /* Linux leaves si_pid of kill() as the sender sees itself (1), untranslated. */
    printf("parent: child exit %d; SIGUSR1 si_pid %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1,
           (int)usr1_from);
    (void)me;
    return 0;
}

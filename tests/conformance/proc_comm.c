/* /proc/PID/comm and PR_SET_NAME/PR_GET_NAME: writes to comm rename the thread
 * (truncated to 15 bytes, a trailing newline kept as written), PR_GET_NAME sees them,
 * task/TID/comm of another thread of the process is writable, the comm of another
 * process is not (EINVAL), mode bits, partial reads, and exec resetting the name. */
#include "common.h"
#include <pthread.h>
#include <sys/prctl.h>

static char out[256];

static const char *slurp(const char *p) {
    int fd = open(p, O_RDONLY);
    if (fd < 0) { snprintf(out, sizeof out, "-1 %s", en(errno)); return out; }
    ssize_t n = read(fd, out, sizeof out - 1);
    close(fd);
    out[n < 0 ? 0 : n] = 0;
    for (char *q = out; *q; q++) if (*q == '\n') *q = '|';
    return out;
}

static int put(const char *p, const char *s, size_t n) {
    int fd = open(p, O_WRONLY);
    if (fd < 0) return -1;
    ssize_t r = write(fd, s, n);
    int e = errno;
    close(fd);
    errno = e;
    return (int)r;
}

static const char *getname(void) {
    static char b[32];
    memset(b, 0, sizeof b);
    prctl(PR_GET_NAME, b, 0, 0, 0);
    for (char *q = b; *q; q++) if (*q == '\n') *q = '|';
    return b;
}

static pthread_barrier_t bar;
static pid_t ttid;
static char tname[32];

static void *thr(void *a) {
    (void)a;
    ttid = (pid_t)syscall(SYS_gettid);
    pthread_barrier_wait(&bar); /* parent renames us */
    pthread_barrier_wait(&bar);
    prctl(PR_GET_NAME, tname, 0, 0, 0);
    pthread_barrier_wait(&bar);
    return NULL;
}

int main(int argc, char **argv) {
    setup(10);
    if (argc == 2 && strcmp(argv[1], "exec") == 0) {
        const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
        char want[16];
        snprintf(want, sizeof want, "%.15s", base);
        YN("  comm after exec == basename(argv0)[:15]", strcmp(getname(), want) == 0);
        return 0;
    }
    struct stat st;
    stat("/proc/self/comm", &st);
    printf("comm mode: %o\n", st.st_mode & 07777);
    RET("write comm 'renamed'", put("/proc/self/comm", "renamed", 7));
    printf("comm: [%s] PR_GET_NAME: [%s]\n", slurp("/proc/self/comm"), getname());
    RET("write comm 'nl\\n'", put("/proc/self/comm", "nl\n", 3));
    printf("comm: [%s] PR_GET_NAME: [%s]\n", slurp("/proc/self/comm"), getname());
    RET("write comm 20 bytes", put("/proc/self/comm", "abcdefghijklmnopqrst", 20));
    printf("comm: [%s] PR_GET_NAME: [%s]\n", slurp("/proc/self/comm"), getname());
    RET("prctl PR_SET_NAME 'viaprctl'", prctl(PR_SET_NAME, "viaprctl", 0, 0, 0));
    printf("comm: [%s]\n", slurp("/proc/self/comm"));
    int fd = open("/proc/self/comm", O_RDONLY);
    char b[4] = {0};
    RET("read 3 bytes", read(fd, b, 3));
    printf("first bytes: [%s]\n", b);
    RET("read rest", read(fd, out, sizeof out));
    RET("read at EOF", read(fd, out, sizeof out));
    close(fd);
    fd = open("/proc/self/comm", O_RDWR);
    YN("open comm O_RDWR", fd >= 0);
    if (fd >= 0) close(fd);

    pthread_barrier_init(&bar, NULL, 2);
    pthread_t t;
    pthread_create(&t, NULL, thr, NULL);
    pthread_barrier_wait(&bar);
    char p[64];
    snprintf(p, sizeof p, "/proc/self/task/%d/comm", (int)ttid);
    RET("write other thread's comm", put(p, "thr-renamed", 11));
    printf("thread comm: [%s]\n", slurp(p));
    printf("own comm unchanged: [%s]\n", slurp("/proc/self/comm"));
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar);
    printf("thread's PR_GET_NAME: [%s]\n", tname);
    pthread_join(t, NULL);

    int pp[2];
    if (pipe(pp) < 0) DIE("pipe");
    pid_t c = fork();
    if (c == 0) {
        char x;
        close(pp[1]);
        if (read(pp[0], &x, 1) < 0) _exit(1);
        printf("  child comm: [%s]\n", slurp("/proc/self/comm"));
        _exit(0);
    }
    snprintf(p, sizeof p, "/proc/%d/comm", (int)c);
    printf("child inherits comm: [%s]\n", slurp(p));
    RET("write child's comm", put(p, "nope", 4));
    close(pp[1]);
    wait_child(c);

    fflush(stdout);
    c = fork();
    if (c == 0) {
        execl(argv[0], argv[0], "exec", (char *)NULL);
        _exit(127);
    }
    printf("exec child: %s\n", wstr(wait_child(c)));
    return 0;
}

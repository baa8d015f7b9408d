/* /proc/PID of a child through its life: present while it runs (listed in /proc, state
 * S while blocked), T when stopped, Z as a zombie (status State, stat state, Threads),
 * gone after it is reaped (ENOENT for open, stat and readdir); a directory fd kept open
 * across the reap then fails lookups with ENOENT and reads of an open status with
 * ESRCH; kill and waitpid on the reaped pid give ESRCH and ECHILD. */
#include "common.h"
#include <dirent.h>

static char buf[4096];

static char state(pid_t p) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)p);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return '-';
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return '?';
    buf[n] = 0;
    char *r = strrchr(buf, ')');
    return r ? r[2] : '?';
}

static const char *status_field(pid_t p, const char *key) {
    static char v[128];
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)p);
    int fd = open(path, O_RDONLY);
    if (fd < 0) { snprintf(v, sizeof v, "-1 %s", en(errno)); return v; }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = 0;
    char *l = strstr(buf, key);
    if (!l) return "(missing)";
    l += strlen(key) + 1;
    while (*l == '\t' || *l == ' ') l++;
    snprintf(v, sizeof v, "%.*s", (int)strcspn(l, "\n"), l);
    return v;
}

static int listed(pid_t p) {
    DIR *d = opendir("/proc");
    struct dirent *e;
    int f = 0;
    while ((e = readdir(d))) if (atoi(e->d_name) == p) f++;
    closedir(d);
    return f;
}

static char wait_state(pid_t p, char want) {
    char s = 0;
    for (int i = 0; i < 400; i++) {
        s = state(p);
        if (s == want) break;
        sleep_ms(5);
    }
    return s;
}

int main(void) {
    setup(10);
    int pp[2];
    if (pipe(pp) < 0) DIE("pipe");
    pid_t c = fork();
    if (c == 0) {
        char x;
        close(pp[1]);
        if (read(pp[0], &x, 1) < 0) _exit(1);
        _exit(7);
    }
    close(pp[0]);
    printf("blocked child state: %c\n", wait_state(c, 'S'));
    printf("listed in /proc: %d\n", listed(c));
    RET("kill STOP", kill(c, SIGSTOP));
    printf("stopped state: %c\n", wait_state(c, 'T'));
    printf("stopped status State: %s\n", status_field(c, "State:"));
    siginfo_t si;
    memset(&si, 0, sizeof si);
    RET("waitid WSTOPPED", waitid(P_PID, c, &si, WSTOPPED));
    RET("kill CONT", kill(c, SIGCONT));
    printf("continued state: %c\n", wait_state(c, 'S'));
    char dpath[64];
    snprintf(dpath, sizeof dpath, "/proc/%d", (int)c);
    int dfd = open(dpath, O_RDONLY | O_DIRECTORY);
    YN("open /proc/PID dir", dfd >= 0);
    char spath[64];
    snprintf(spath, sizeof spath, "/proc/%d/status", (int)c);
    int sfd = open(spath, O_RDONLY);
    YN("open status early", sfd >= 0);
    close(pp[1]); /* the child exits */
    memset(&si, 0, sizeof si);
    RET("waitid WEXITED|WNOWAIT", waitid(P_PID, c, &si, WEXITED | WNOWAIT));
    printf("zombie state: %c\n", state(c));
    printf("zombie status State: %s\n", status_field(c, "State:"));
    printf("zombie Threads: %s\n", status_field(c, "Threads:"));
    YN("zombie PPid == getpid", atoi(status_field(c, "PPid:")) == getpid());
    printf("zombie listed in /proc: %d\n", listed(c));
    char lp[64];
    snprintf(lp, sizeof lp, "/proc/%d/exe", (int)c);
    char t[256];
    errno = 0;
    ssize_t r = readlink(lp, t, sizeof t);
    printf("zombie exe readlink: %s\n", r >= 0 ? "ok" : en(errno));
    printf("reap: %s\n", wstr(wait_child(c)));
    struct stat st;
    RET("stat /proc/PID after reap", stat(dpath, &st));
    RET("open /proc/PID/stat after reap", open(spath, O_RDONLY));
    printf("listed after reap: %d\n", listed(c));
    RET("openat(dirfd, status) after reap", openat(dfd, "status", O_RDONLY));
    RET("fstat dirfd after reap", fstat(dfd, &st));
    RET("read status fd opened earlier", read(sfd, buf, sizeof buf));
    close(dfd);
    close(sfd);
    RET("kill reaped pid", kill(c, 0));
    RET("waitpid reaped pid", waitpid(c, NULL, WNOHANG));
    return 0;
}

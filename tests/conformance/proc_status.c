/* /proc/self/status: Name, State, Tgid/Pid/PPid against getpid/getppid, Uid/Gid/Groups
 * lines after setresuid/setresgid/setgroups in a child, Threads while a thread runs,
 * SigBlk after sigprocmask, SigIgn after SIG_IGN, SigCgt after a handler, SigPnd/ShdPnd
 * with a blocked pending signal, CapEff/CapPrm after a drop, NoNewPrivs, and a
 * thread's own task/TID/status (Pid is the tid, SigBlk is per thread). */
#include "common.h"
#include <grp.h>
#include <pthread.h>
#include <sys/prctl.h>

static char buf[8192];

/* The value of "Key:" (without leading tab, without newline). */
static const char *field(const char *path, const char *key) {
    static char val[512];
    int fd = open(path, O_RDONLY);
    if (fd < 0) return "(open failed)";
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) return "(read failed)";
    buf[n] = 0;
    size_t kl = strlen(key);
    for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, key, kl) == 0 && l[kl] == ':') {
            char *v = l + kl + 1;
            while (*v == '\t' || *v == ' ') v++;
            size_t m = strcspn(v, "\n");
            snprintf(val, sizeof val, "%.*s", (int)m, v);
            return val;
        }
    }
    return "(missing)";
}

static const char *S(const char *key) { return field("/proc/self/status", key); }
static unsigned long long hex(const char *key) { return strtoull(S(key), NULL, 16); }

static void handler(int s) { (void)s; }

static int ids_child(void) {
    gid_t g[3] = {10, 20, 30};
    RET("  setgroups 3", setgroups(3, g));
    RET("  setresgid(1001,1002,1003)", setresgid(1001, 1002, 1003));
    RET("  setresuid(2001,2002,2003)", setresuid(2001, 2002, 2003));
    printf("  Uid: %s\n", S("Uid"));
    printf("  Gid: %s\n", S("Gid"));
    printf("  Groups: [%s]\n", S("Groups"));
    printf("  CapEff: %llx\n", hex("CapEff"));
    printf("  CapPrm: %llx\n", hex("CapPrm"));
    struct stat st;
    stat("/proc/self/status", &st);
    printf("  /proc/self/status owner (non-dumpable): %d:%d\n", (int)st.st_uid, (int)st.st_gid);
    RET("  PR_GET_DUMPABLE", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    stat("/proc/self/status", &st);
    printf("  owner once dumpable: %d:%d\n", (int)st.st_uid, (int)st.st_gid);
    stat("/proc/self", &st);
    printf("  /proc/self dir owner: %d:%d\n", (int)st.st_uid, (int)st.st_gid);
    return 0;
}

static int fsuid_child(void) {
    RET("  setfsuid via setresuid(-1,3000,-1)", setresuid(-1, 3000, -1));
    printf("  Uid: %s\n", S("Uid"));
    return 0;
}

static int nnp_child(void) {
    printf("  NoNewPrivs before: %s\n", S("NoNewPrivs"));
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    printf("  NoNewPrivs after: %s\n", S("NoNewPrivs"));
    return 0;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int stage;
static pid_t ttid;

static void *thr(void *a) {
    (void)a;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGWINCH);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    pthread_mutex_lock(&mu);
    ttid = (pid_t)syscall(SYS_gettid);
    stage = 1;
    pthread_cond_broadcast(&cv);
    while (stage != 2) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return NULL;
}

int main(int argc, char **argv) {
    (void)argc;
    setup(10);
    const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    char want[16];
    snprintf(want, sizeof want, "%.15s", base);
    YN("Name == basename(argv0)[:15]", strcmp(S("Name"), want) == 0);
    printf("State: %s\n", S("State"));
    YN("Tgid == getpid", atoi(S("Tgid")) == getpid());
    YN("Pid == getpid", atoi(S("Pid")) == getpid());
    YN("PPid == getppid", atoi(S("PPid")) == getppid());
    printf("Uid: %s\n", S("Uid"));
    printf("Gid: %s\n", S("Gid"));
    printf("Threads: %s\n", S("Threads"));
    printf("TracerPid: %s\n", S("TracerPid"));
    printf("NoNewPrivs: %s\n", S("NoNewPrivs"));
    printf("CapAmb: %s\n", S("CapAmb"));
    printf("CapInh: %s\n", S("CapInh"));
    YN("CapEff == CapPrm", hex("CapEff") == hex("CapPrm"));
    YN("CapEff has CAP_SYS_ADMIN", (hex("CapEff") >> 21) & 1);
    printf("Umask: %s\n", S("Umask"));
    umask(027);
    printf("Umask after umask(027): %s\n", S("Umask"));
    umask(022);

    /* Signal masks. */
    printf("SigBlk: %s\n", S("SigBlk"));
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGTERM);
    sigaddset(&s, SIGRTMIN + 2);
    sigprocmask(SIG_BLOCK, &s, NULL);
    printf("SigBlk after blocking USR1,TERM,RTMIN+2: %s\n", S("SigBlk"));
    /* Ignored signals may be inherited from whoever started us: compare to a baseline. */
    unsigned long long ign0 = hex("SigIgn") & ~((1ULL << (SIGPIPE - 1)) | (1ULL << (SIGHUP - 1)));
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    printf("SigIgn after ignoring PIPE,HUP (beyond baseline): %llx\n", hex("SigIgn") & ~ign0);
    unsigned long long cgt0 = hex("SigCgt");
    signal(SIGUSR2, handler);
    printf("SigCgt gained USR2 bit only: %s\n", hex("SigCgt") == (cgt0 | (1ULL << (SIGUSR2 - 1))) ? "yes" : "no");
    printf("SigPnd before: %s ShdPnd: %s\n", S("SigPnd"), S("ShdPnd"));
    kill(getpid(), SIGUSR1);
    printf("ShdPnd after kill(self, USR1): %s\n", S("ShdPnd"));
    syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGTERM);
    printf("SigPnd after tgkill(self, TERM): %s\n", S("SigPnd"));
    signal(SIGUSR1, SIG_IGN); /* discards the pending USR1 */
    printf("ShdPnd after SIG_IGN USR1: %s\n", S("ShdPnd"));
    signal(SIGTERM, SIG_IGN);
    printf("SigPnd after SIG_IGN TERM: %s\n", S("SigPnd"));
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    printf("SigBlk after unblock: %s, SigIgn back to baseline: %s\n", S("SigBlk"), hex("SigIgn") == ign0 ? "yes" : "no");

    /* Threads. */
    pthread_t t;
    pthread_create(&t, NULL, thr, NULL);
    pthread_mutex_lock(&mu);
    while (stage != 1) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    printf("Threads with a thread: %s\n", S("Threads"));
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)ttid);
    YN("thread Pid == tid", atoi(field(path, "Pid")) == ttid);
    YN("thread Tgid == getpid", atoi(field(path, "Tgid")) == getpid());
    printf("thread SigBlk (WINCH): %s\n", field(path, "SigBlk"));
    printf("main SigBlk: %s\n", S("SigBlk"));
    printf("thread Threads: %s\n", field(path, "Threads"));
    pthread_mutex_lock(&mu);
    stage = 2;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(t, NULL);
    /* The joined thread may still be counted for a moment (see proc_stat.c). */
    printf("Threads after join <= 2: %s\n", atoi(S("Threads")) >= 1 && atoi(S("Threads")) <= 2 ? "yes" : "no");

    in_child("ids child", ids_child);
    in_child("fsuid child", fsuid_child);
    in_child("no_new_privs child", nnp_child);
    return 0;
}

/* unshare and clone with CLONE_NEWUTS and CLONE_NEWIPC: a new UTS namespace has its own
 * host and domain names, a new IPC namespace its own System V and POSIX IPC objects;
 * both need CAP_SYS_ADMIN. Flag validation of unshare. */
#include "common.h"
#include <mqueue.h>
#include <sched.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/utsname.h>
#include <linux/capability.h>

static char orig_node[65], orig_domain[65];

/* Names are printed only when they differ from the sandbox's (or host's) own. */
static void names(const char *label) {
    struct utsname u;
    uname(&u);
    printf("%s: nodename=%s domainname=%s\n", label,
           strcmp(u.nodename, orig_node) ? u.nodename : "(original)",
           strcmp(u.domainname, orig_domain) ? u.domainname : "(original)");
}

static int uts(void) {
    RET("  unshare NEWUTS", unshare(CLONE_NEWUTS));
    RET("  sethostname", sethostname("husk-ns-test", 12));
    RET("  setdomainname", setdomainname("husk.example", 12));
    RET("  sethostname 65 bytes", sethostname("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 65));
    names("  in namespace");
    char buf[80] = {0};
    int fd = open("/proc/sys/kernel/hostname", O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof buf - 1);
        if (n > 0) buf[n] = 0;
        close(fd);
    }
    printf("  /proc/sys/kernel/hostname: %s", buf);
    RET("  sethostname again", sethostname("husk-ns-test", 12));
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        names("  forked child");
        _exit(0);
    }
    wait_child(p);
    return 0;
}

static key_t KEY = 0x4b55534b;

static int ipc_child(void) {
    YN("  msgget existing key (parent ns)", msgget(KEY, 0) >= 0);
    RET("  mq_open existing (parent ns)", mq_open("/husk-ns-mq", O_RDONLY));
    RET("  unshare NEWIPC", unshare(CLONE_NEWIPC));
    RET("  msgget existing key (new ns)", msgget(KEY, 0));
    RET("  mq_open existing (new ns)", mq_open("/husk-ns-mq", O_RDONLY));
    int id = msgget(KEY, IPC_CREAT | 0600);
    YN("  msgget create in new ns", id >= 0);
    struct msqid_ds ds;
    RET("  msgctl IPC_RMID", msgctl(id, IPC_RMID, &ds));
    return 0;
}

static int noperm(void) {
    /* Drop CAP_SYS_ADMIN from the effective set only. */
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    syscall(SYS_capget, &h, d);
    d[0].effective &= ~(1u << CAP_SYS_ADMIN);
    RET("  capset", syscall(SYS_capset, &h, d));
    RET("  unshare NEWUTS", unshare(CLONE_NEWUTS));
    RET("  unshare NEWIPC", unshare(CLONE_NEWIPC));
    RET("  unshare FILES|FS (no cap needed)", unshare(CLONE_FILES | CLONE_FS));
    RET("  sethostname", sethostname("x", 1));
    return 0;
}

static int clone_fn(void *arg) {
    (void)arg;
    RET("  sethostname in clone child", sethostname("cloned", 6));
    names("  clone child");
    RET("  msgget existing key (clone NEWIPC)", msgget(KEY, 0));
    return 0;
}

static int flags(void) {
    RET("  unshare bad flag", unshare(0x1));
    RET("  unshare CLONE_VM (single thread)", unshare(CLONE_VM));
    RET("  unshare CLONE_SYSVSEM", unshare(CLONE_SYSVSEM));
    RET("  unshare 0", unshare(0));
    return 0;
}

int main(void) {
    setup(10);
    struct utsname u0;
    uname(&u0);
    strcpy(orig_node, u0.nodename);
    strcpy(orig_domain, u0.domainname);
    names("start");
    in_child("uts", uts);
    names("after child");
    int q = msgget(KEY, IPC_CREAT | 0600);
    if (q < 0) DIE("msgget");
    struct mq_attr at = {0, 4, 16, 0, {0}};
    mqd_t m = mq_open("/husk-ns-mq", O_CREAT | O_RDWR, 0600, &at);
    if (m == (mqd_t)-1) DIE("mq_open");
    in_child("ipc", ipc_child);
    in_child("noperm", noperm);
    in_child("flags", flags);
    static char stack[64 * 1024];
    pid_t c = clone(clone_fn, stack + sizeof stack, CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD, NULL);
    if (c < 0) printf("clone: -1 %s\n", en(errno));
    else printf("clone child: %s\n", wstr(wait_child(c)));
    errno = 0;
    c = clone(clone_fn, stack + sizeof stack, CLONE_NEWIPC | CLONE_SYSVSEM | SIGCHLD, NULL);
    printf("clone NEWIPC|SYSVSEM: %d %s\n", (int)c, en(errno));
    names("parent after clone");
    RET("msgget parent still there", msgget(KEY, 0) >= 0);
    msgctl(q, IPC_RMID, NULL);
    mq_close(m);
    mq_unlink("/husk-ns-mq");
    return 0;
}

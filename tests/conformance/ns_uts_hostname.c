/* Host and domain names in a private UTS namespace (a forked child that unshares
 * CLONE_NEWUTS): sethostname/setdomainname length limits (0, 64, 65, negative), a length
 * shorter than the string truncates, embedded bytes kept, EFAULT for a bad pointer;
 * uname and gethostname/getdomainname reflect the change (gethostname with a short
 * buffer); /proc/sys/kernel/hostname and domainname read back and written (a trailing
 * newline is dropped); the parent's namespace is unaffected. */
#include "common.h"
#include <sched.h>
#include <sys/utsname.h>

static void readproc(const char *label, const char *path) {
    char b[128];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("%s: open -1 %s\n", label, en(errno));
        return;
    }
    ssize_t n = read(fd, b, sizeof b - 1);
    close(fd);
    if (n < 0) {
        printf("%s: read -1 %s\n", label, en(errno));
        return;
    }
    b[n] = 0;
    printf("%s: \"%.*s\" (%zd bytes)\n", label, (int)(n > 0 && b[n - 1] == '\n' ? n - 1 : n), b, n);
}

static long writeproc(const char *path, const char *s) {
    int fd = open(path, O_WRONLY);
    if (fd < 0) return -1;
    long n = write(fd, s, strlen(s));
    int e = errno;
    close(fd);
    errno = e;
    return n;
}

static void show_uname(const char *label) {
    struct utsname u;
    if (uname(&u) != 0) DIE("uname");
    printf("%s: nodename=\"%s\" domainname=\"%s\"\n", label, u.nodename, u.domainname);
}

static char parent_node[65], parent_dom[65];

static int child(void) {
    char big[100];
    memset(big, 'a', sizeof big);
    RET("unshare NEWUTS", unshare(CLONE_NEWUTS));
    RET("sethostname", sethostname("alpha", 5));
    show_uname("after sethostname");
    RET("sethostname truncating len", sethostname("betagamma", 4));
    show_uname("truncated");
    RET("sethostname 64", sethostname(big, 64));
    struct utsname u;
    uname(&u);
    printf("nodename len after 64: %zu\n", strlen(u.nodename));
    RET("sethostname 65", sethostname(big, 65));
    RET("sethostname -1", syscall(SYS_sethostname, big, -1L));
    RET("sethostname 0", sethostname("", 0));
    show_uname("after empty");
    RET("sethostname bad ptr", syscall(SYS_sethostname, (void *)8, 4L));
    RET("sethostname bad ptr len 0", syscall(SYS_sethostname, (void *)8, 0L));
    RET("setdomainname", setdomainname("example.org", 11));
    RET("setdomainname 65", setdomainname(big, 65));
    RET("setdomainname 64", setdomainname(big, 64));
    RET("setdomainname -1", syscall(SYS_setdomainname, big, -1L));
    RET("setdomainname bad ptr", syscall(SYS_setdomainname, (void *)8, 4L));
    RET("setdomainname dom", setdomainname("dom", 3));
    RET("sethostname host1", sethostname("host1", 5));
    show_uname("set both");
    char hb[64];
    RET("gethostname", gethostname(hb, sizeof hb));
    printf("gethostname value: %s\n", hb);
    RET("gethostname short buffer", gethostname(hb, 3));
    RET("getdomainname", getdomainname(hb, sizeof hb));
    printf("getdomainname value: %s\n", hb);
    readproc("proc hostname", "/proc/sys/kernel/hostname");
    readproc("proc domainname", "/proc/sys/kernel/domainname");
    RET("write proc hostname", writeproc("/proc/sys/kernel/hostname", "viaproc\n"));
    show_uname("after proc write");
    readproc("proc hostname again", "/proc/sys/kernel/hostname");
    RET("write proc domainname", writeproc("/proc/sys/kernel/domainname", "d2"));
    show_uname("after proc domain write");
    RET("sethostname with nul inside", sethostname("ab\0cd", 5));
    show_uname("nul inside");
    return 0;
}

int main(void) {
    setup(10);
    struct utsname u;
    if (uname(&u) != 0) DIE("uname");
    strcpy(parent_node, u.nodename);
    strcpy(parent_dom, u.domainname);
    in_child("child", child);
    if (uname(&u) != 0) DIE("uname");
    YN("parent nodename unchanged", strcmp(parent_node, u.nodename) == 0);
    YN("parent domainname unchanged", strcmp(parent_dom, u.domainname) == 0);
    char b[128];
    int fd = open("/proc/sys/kernel/hostname", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, b, sizeof b - 1) : -1;
    if (fd >= 0) close(fd);
    YN("parent proc hostname agrees", n > 0 && (size_t)n == strlen(u.nodename) + 1 &&
                                          memcmp(b, u.nodename, (size_t)n - 1) == 0);
    return 0;
}

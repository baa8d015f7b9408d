/* /proc/sys files: kernel/hostname equals uname's nodename and follows sethostname in
 * a new UTS namespace, pid_max/ngroups_max/overflowuid/cap_last_cap values and their
 * relation to sysconf, random/uuid is a fresh version-4 UUID each read, random/boot_id
 * is stable, vm/overcommit_memory, fs/file-max and fs/nr_open are numbers
 * (nr_open bounds RLIMIT_NOFILE), files are regular, writes need a writable file,
 * unknown names are ENOENT, and directories list their entries. */
#include "common.h"
#include <dirent.h>
#include <sched.h>
#include <sys/utsname.h>

static char buf[512];

static const char *rd(const char *p) {
    int fd = open(p, O_RDONLY);
    if (fd < 0) { snprintf(buf, sizeof buf, "-1 %s", en(errno)); return buf; }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = 0;
    return buf;
}

static int is_uuid4(const char *s) {
    if (strlen(s) != 37 || s[36] != '\n') return 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) { if (s[i] != '-') return 0; }
        else if (!strchr("0123456789abcdef", s[i])) return 0;
    }
    return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

static int listed(const char *dir, const char *name) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int f = 0;
    while ((e = readdir(d))) if (!strcmp(e->d_name, name)) f = 1;
    closedir(d);
    return f;
}

static int uts_child(void) {
    RET("  unshare NEWUTS", unshare(CLONE_NEWUTS));
    RET("  sethostname sysctl-test", sethostname("sysctl-test", 11));
    printf("  kernel/hostname: %s", rd("/proc/sys/kernel/hostname"));
    return 0;
}

int main(void) {
    setup(10);
    struct utsname u;
    uname(&u);
    char want[80];
    snprintf(want, sizeof want, "%s\n", u.nodename);
    YN("kernel/hostname == nodename", strcmp(rd("/proc/sys/kernel/hostname"), want) == 0);
    snprintf(want, sizeof want, "%s\n", u.release);
    YN("kernel/osrelease == release", strcmp(rd("/proc/sys/kernel/osrelease"), want) == 0);
    printf("kernel/ostype: %s", rd("/proc/sys/kernel/ostype"));
    long pm = atol(rd("/proc/sys/kernel/pid_max"));
    YN("pid_max >= 32768", pm >= 32768);
    YN("pid_max > getpid", pm > getpid());
    long ng = atol(rd("/proc/sys/kernel/ngroups_max"));
    printf("ngroups_max: %ld, == sysconf: %s\n", ng, ng == sysconf(_SC_NGROUPS_MAX) ? "yes" : "no");
    printf("overflowuid: %s", rd("/proc/sys/kernel/overflowuid"));
    printf("overflowgid: %s", rd("/proc/sys/kernel/overflowgid"));
    printf("cap_last_cap >= 40: %s\n", atoi(rd("/proc/sys/kernel/cap_last_cap")) >= 40 ? "yes" : "no");
    char u1[64], u2[64];
    snprintf(u1, sizeof u1, "%s", rd("/proc/sys/kernel/random/uuid"));
    snprintf(u2, sizeof u2, "%s", rd("/proc/sys/kernel/random/uuid"));
    YN("uuid is a v4 uuid", is_uuid4(u1));
    YN("uuid differs per read", strcmp(u1, u2) != 0);
    snprintf(u1, sizeof u1, "%s", rd("/proc/sys/kernel/random/boot_id"));
    snprintf(u2, sizeof u2, "%s", rd("/proc/sys/kernel/random/boot_id"));
    YN("boot_id is a v4 uuid", is_uuid4(u1));
    YN("boot_id stable", strcmp(u1, u2) == 0);
    int pp[2];
    if (pipe(pp) < 0) DIE("pipe");
    pid_t c = fork();
    if (c == 0) {
        char b[64];
        int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY);
        ssize_t n = read(fd, b, sizeof b);
        if (write(pp[1], b, n) < 0) _exit(1);
        _exit(0);
    }
    char b[64] = {0};
    ssize_t n = read(pp[0], b, sizeof b - 1);
    wait_child(c);
    YN("boot_id same in a child", n == 37 && strcmp(b, u1) == 0);
    const char *oc = rd("/proc/sys/vm/overcommit_memory");
    YN("overcommit_memory is 0, 1 or 2", (oc[0] >= '0' && oc[0] <= '2') && oc[1] == '\n');
    unsigned long long fm = strtoull(rd("/proc/sys/fs/file-max"), NULL, 10);
    YN("file-max > 1000", fm > 1000);
    long nro = atol(rd("/proc/sys/fs/nr_open"));
    YN("nr_open >= 1024", nro >= 1024);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    YN("RLIMIT_NOFILE hard <= nr_open", rl.rlim_max <= (rlim_t)nro);
    rl.rlim_max = rl.rlim_cur = (rlim_t)nro + 1;
    RET("setrlimit NOFILE above nr_open", setrlimit(RLIMIT_NOFILE, &rl));
    struct stat st;
    stat("/proc/sys/kernel/pid_max", &st);
    YN("pid_max is a regular file", S_ISREG(st.st_mode));
    stat("/proc/sys/kernel/random/uuid", &st);
    printf("uuid mode: %o\n", st.st_mode & 0777);
    stat("/proc/sys/kernel", &st);
    YN("kernel is a directory", S_ISDIR(st.st_mode));
    RET("open kernel/ostype O_WRONLY", open("/proc/sys/kernel/ostype", O_WRONLY));
    RET("open kernel/no_such", open("/proc/sys/kernel/no_such", O_RDONLY));
    RET("open /proc/sys/nope/x", open("/proc/sys/nope/x", O_RDONLY));
    YN("kernel/ lists hostname", listed("/proc/sys/kernel", "hostname"));
    YN("kernel/ lists random", listed("/proc/sys/kernel", "random"));
    YN("random/ lists boot_id and uuid", listed("/proc/sys/kernel/random", "boot_id") && listed("/proc/sys/kernel/random", "uuid"));
    YN("sys/ lists kernel, vm, fs", listed("/proc/sys", "kernel") && listed("/proc/sys", "vm") && listed("/proc/sys", "fs"));
    in_child("uts child", uts_child);
    return 0;
}

/* /sys/devices/system/cpu: online, possible and present are CPU range lists; the
 * number of CPUs in "online" equals sysconf(_SC_NPROCESSORS_ONLN) and /proc/cpuinfo's
 * count, online is within present within possible, every online CPU has a cpuN
 * directory with topology/core_id and physical_package_id, and the files are
 * read-only regular files. */
#include "common.h"
#include <dirent.h>

static char buf[4096];

static const char *rd(const char *p) {
    int fd = open(p, O_RDONLY);
    if (fd < 0) { snprintf(buf, sizeof buf, "-1 %s", en(errno)); return buf; }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = 0;
    return buf;
}

/* Parses a list like "0-3,5\n" into a bit set; returns the count or -1. */
static int parse_list(const char *s, unsigned long long *set) {
    *set = 0;
    int n = 0;
    while (*s && *s != '\n') {
        char *e;
        long a = strtol(s, &e, 10), b = a;
        if (e == s) return -1;
        if (*e == '-') { s = e + 1; b = strtol(s, &e, 10); }
        for (long i = a; i <= b && i < 64; i++) { *set |= 1ULL << i; n++; }
        s = e;
        if (*s == ',') s++;
    }
    return n;
}

int main(void) {
    setup(10);
    unsigned long long on, pos, pre;
    int non = parse_list(rd("/sys/devices/system/cpu/online"), &on);
    YN("online ends with newline", buf[strlen(buf) - 1] == '\n');
    int npos = parse_list(rd("/sys/devices/system/cpu/possible"), &pos);
    int npre = parse_list(rd("/sys/devices/system/cpu/present"), &pre);
    YN("online parses", non > 0);
    YN("online count == _SC_NPROCESSORS_ONLN", non == sysconf(_SC_NPROCESSORS_ONLN));
    YN("present count == _SC_NPROCESSORS_CONF", npre == sysconf(_SC_NPROCESSORS_CONF) || npos == sysconf(_SC_NPROCESSORS_CONF));
    YN("online within present", (on & ~pre) == 0 && npre >= non);
    YN("present within possible", (pre & ~pos) == 0 && npos >= npre);
    YN("cpu0 online", on & 1);
    int missing = 0, bad = 0, pkgs_ok = 1;
    for (int i = 0; i < 64; i++) {
        if (!(on & (1ULL << i))) continue;
        char p[128];
        snprintf(p, sizeof p, "/sys/devices/system/cpu/cpu%d", i);
        struct stat st;
        if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) { missing++; continue; }
        snprintf(p, sizeof p, "/sys/devices/system/cpu/cpu%d/topology/core_id", i);
        const char *c = rd(p);
        if (c[0] < '0' || c[0] > '9') bad++;
        snprintf(p, sizeof p, "/sys/devices/system/cpu/cpu%d/topology/physical_package_id", i);
        c = rd(p);
        if (!((c[0] >= '0' && c[0] <= '9') || c[0] == '-')) pkgs_ok = 0;
    }
    printf("online cpus without a directory: %d\n", missing);
    printf("unparsable core_id: %d\n", bad);
    YN("physical_package_id numeric", pkgs_ok);
    /* cpuN directories == possible CPUs (at least the online ones). */
    DIR *d = opendir("/sys/devices/system/cpu");
    int dirs = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (!strncmp(e->d_name, "cpu", 3) && e->d_name[3] >= '0' && e->d_name[3] <= '9') dirs++;
    if (d) closedir(d);
    YN("cpuN directories >= online count", dirs >= non);
    YN("cpuN directories <= possible count", dirs <= npos);
    struct stat st;
    stat("/sys/devices/system/cpu/online", &st);
    YN("online is a regular file", S_ISREG(st.st_mode));
    printf("online mode: %o\n", st.st_mode & 0777);
    RET("open online O_WRONLY", ({ int fd = open("/sys/devices/system/cpu/online", O_WRONLY); if (fd >= 0) close(fd); fd < 0 ? -1 : 0; }));
    char p[128];
    snprintf(p, sizeof p, "/sys/devices/system/cpu/cpu%d", non + 64);
    RET("stat cpu beyond range", stat(p, &st));
    return 0;
}

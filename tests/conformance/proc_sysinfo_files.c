/* System-wide /proc files: cpuinfo ("processor" lines == online CPUs, numbered from 0),
 * meminfo (MemTotal >= MemFree, MemAvailable <= MemTotal, kB units, MemTotal matches
 * sysinfo), stat (a "cpu " line, one cpuN line per CPU, btime in the past), uptime
 * (two non-negative numbers, monotonic), loadavg (format), version ("Linux version "
 * and the uname release), filesystems (proc, tmpfs and sysfs listed as nodev). */
#include "common.h"
#include <sys/sysinfo.h>
#include <sys/utsname.h>

static char buf[1 << 17];

static int load(const char *p) {
    int fd = open(p, O_RDONLY);
    if (fd < 0) return -1;
    int t = 0;
    for (;;) {
        ssize_t n = read(fd, buf + t, sizeof buf - 1 - t);
        if (n <= 0) break;
        t += (int)n;
    }
    close(fd);
    buf[t] = 0;
    return t;
}

static long long kv(const char *key) {
    size_t kl = strlen(key);
    for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (!strncmp(l, key, kl) && l[kl] == ':') return atoll(l + kl + 1);
    return -1;
}

int main(void) {
    setup(10);
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    load("/proc/cpuinfo");
    int procs = 0, maxid = -1, ordered = 1;
    for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (!strncmp(l, "processor", 9)) {
            int id = atoi(strchr(l, ':') + 1);
            if (id != maxid + 1) ordered = 0;
            maxid = id;
            procs++;
        }
    }
    YN("cpuinfo processor lines == online CPUs", procs == online);
    YN("processor ids 0..n-1 in order", ordered);
    YN("cpuinfo has model name", strstr(buf, "model name") != NULL);
    YN("cpuinfo has flags", strstr(buf, "\nflags") != NULL);

    load("/proc/meminfo");
    long long total = kv("MemTotal"), fr = kv("MemFree"), av = kv("MemAvailable");
    YN("MemTotal > 0", total > 0);
    YN("MemFree <= MemTotal", fr >= 0 && fr <= total);
    YN("MemAvailable <= MemTotal", av >= 0 && av <= total);
    YN("first line is MemTotal in kB", !strncmp(buf, "MemTotal:", 9) && strstr(buf, " kB\n") != NULL);
    YN("SwapTotal present", kv("SwapTotal") >= 0);
    struct sysinfo si;
    sysinfo(&si);
    long long st_total = (long long)si.totalram * si.mem_unit / 1024;
    YN("MemTotal == sysinfo totalram", st_total == total);

    load("/proc/stat");
    YN("stat starts with 'cpu '", !strncmp(buf, "cpu ", 4));
    int cpun = 0;
    for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (!strncmp(l, "cpu", 3) && l[3] >= '0' && l[3] <= '9') cpun++;
    YN("cpuN lines == online CPUs", cpun == online);
    char *bt = strstr(buf, "\nbtime ");
    long long btime = bt ? atoll(bt + 7) : -1;
    YN("btime in the past", btime > 0 && btime <= (long long)time(NULL));
    YN("stat has processes", strstr(buf, "\nprocesses ") != NULL);
    YN("stat has procs_running", strstr(buf, "\nprocs_running ") != NULL);
    YN("stat has ctxt", strstr(buf, "\nctxt ") != NULL);

    load("/proc/uptime");
    double up1 = -1, idle = -1, up2 = -1;
    int nf = sscanf(buf, "%lf %lf", &up1, &idle);
    printf("uptime fields: %d\n", nf);
    YN("uptime >= 0, idle >= 0", up1 >= 0 && idle >= 0);
    YN("uptime ends in newline", buf[strlen(buf) - 1] == '\n');
    sleep_ms(20);
    load("/proc/uptime");
    sscanf(buf, "%lf", &up2);
    YN("uptime monotonic", up2 >= up1);
    YN("uptime ~ sysinfo uptime", (long)up2 - si.uptime >= -2 && (long)up2 - si.uptime <= 2);

    load("/proc/loadavg");
    double l1, l5, l15;
    int run, tot, last;
    nf = sscanf(buf, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &run, &tot, &last);
    printf("loadavg fields: %d\n", nf);
    YN("running <= total, total >= 1", run <= tot && tot >= 1);

    load("/proc/version");
    struct utsname u;
    uname(&u);
    YN("version starts with 'Linux version '", !strncmp(buf, "Linux version ", 14));
    YN("version holds the release", !strncmp(buf + 14, u.release, strlen(u.release)));

    load("/proc/filesystems");
    YN("filesystems: nodev proc", strstr(buf, "nodev\tproc\n") != NULL);
    YN("filesystems: nodev tmpfs", strstr(buf, "nodev\ttmpfs\n") != NULL);
    YN("filesystems: nodev sysfs", strstr(buf, "nodev\tsysfs\n") != NULL);
    RET("open /proc/nonexistent", open("/proc/nonexistent", O_RDONLY));
    struct stat st;
    stat("/proc/meminfo", &st);
    printf("meminfo: regular %s, mode %o, size %lld\n", S_ISREG(st.st_mode) ? "yes" : "no", st.st_mode & 0777, (long long)st.st_size);
    return 0;
}

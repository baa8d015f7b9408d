/* Capabilities: capget/capset (v1, v3 headers, EPERM rules), prctl bounding set,
 * ambient set, keepcaps and securebits, what setresuid and execve do to the sets, and
 * capability-based permission checks. Bit 24 (CAP_SYS_RESOURCE) is masked out of every
 * printed set: test machines may run root without it. */
#include "common.h"
#include <linux/capability.h>
#include <grp.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>

#define MASK (~(1ULL << 24))

struct caps { unsigned long long e, p, i; };

static int get3(int pid, struct caps *c) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, pid};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    int r = syscall(SYS_capget, &h, d);
    c->e = ((unsigned long long)d[1].effective << 32 | d[0].effective) & MASK;
    c->p = ((unsigned long long)d[1].permitted << 32 | d[0].permitted) & MASK;
    c->i = ((unsigned long long)d[1].inheritable << 32 | d[0].inheritable) & MASK;
    return r;
}

static int set3(unsigned long long e, unsigned long long p, unsigned long long i) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2] = {
        {(uint32_t)e, (uint32_t)p, (uint32_t)i},
        {(uint32_t)(e >> 32), (uint32_t)(p >> 32), (uint32_t)(i >> 32)}};
    return syscall(SYS_capset, &h, d);
}

static void show(const char *label) {
    struct caps c;
    get3(0, &c);
    printf("%s: eff=%llx prm=%llx inh=%llx\n", label, c.e, c.p, c.i);
}

static void status_line(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) { printf("status: cannot open\n"); return; }
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, strlen(key)) == 0) {
            unsigned long long v = strtoull(line + strlen(key) + 2, NULL, 16);
            printf("  status %s: %llx\n", key, v & MASK);
        }
    }
    fclose(f);
}

#define B(c) (1ULL << (c))

static int sets(void) {
    struct caps c;
    get3(0, &c);
    unsigned long long full = c.p;
    RET("  capset eff without NET_RAW", set3(full & ~B(CAP_NET_RAW), full, 0));
    show("  after");
    status_line("CapEff");
    RET("  capset eff not in prm", set3(full, full & ~B(CAP_NET_RAW), 0));
    RET("  capset drop NET_RAW from prm", set3(full & ~B(CAP_NET_RAW), full & ~B(CAP_NET_RAW), 0));
    RET("  capset prm regain NET_RAW", set3(full & ~B(CAP_NET_RAW), full, 0));
    RET("  capset inh KILL", set3(full & ~B(CAP_NET_RAW), full & ~B(CAP_NET_RAW), B(CAP_KILL)));
    RET("  capset inh NET_RAW (has SETPCAP)", set3(full & ~B(CAP_NET_RAW), full & ~B(CAP_NET_RAW), B(CAP_KILL) | B(CAP_NET_RAW)));
    show("  now");
    RET("  ambient raise KILL", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0));
    RET("  ambient raise SYS_ADMIN (not inh)", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_ADMIN, 0, 0));
    RET("  ambient is_set KILL", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0));
    RET("  ambient is_set 99", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 99, 0, 0));
    RET("  ambient bad op", prctl(PR_CAP_AMBIENT, 9, CAP_KILL, 0, 0));
    status_line("CapAmb");
    /* Removing KILL from inh drops it from ambient. */
    RET("  capset inh NET_RAW only", set3(full & ~B(CAP_NET_RAW), full & ~B(CAP_NET_RAW), B(CAP_NET_RAW)));
    RET("  ambient is_set KILL", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0));
    RET("  ambient clear_all", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
    RET("  ambient clear_all bad", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0));
    /* Dropping SETPCAP: inheritable may then only grow within permitted. */
    RET("  capset drop SETPCAP", set3(full & ~B(CAP_NET_RAW) & ~B(CAP_SETPCAP), full & ~B(CAP_NET_RAW), B(CAP_NET_RAW)));
    RET("  capset inh KILL ok", set3(full & ~B(CAP_NET_RAW) & ~B(CAP_SETPCAP), full & ~B(CAP_NET_RAW), B(CAP_NET_RAW) | B(CAP_KILL)));
    RET("  bset drop without SETPCAP", prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0));
    RET("  securebits without SETPCAP", prctl(PR_SET_SECUREBITS, 0x10, 0, 0, 0));
    return 0;
}

static int bset(void) {
    RET("  bset read SYS_BOOT", prctl(PR_CAPBSET_READ, CAP_SYS_BOOT, 0, 0, 0));
    RET("  bset drop SYS_BOOT", prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0));
    RET("  bset read SYS_BOOT", prctl(PR_CAPBSET_READ, CAP_SYS_BOOT, 0, 0, 0));
    RET("  bset drop 64", prctl(PR_CAPBSET_DROP, 64, 0, 0, 0));
    show("  after bset drop");
    return 0;
}

static int keepcaps(void) {
    RET("  get keepcaps", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
    RET("  set keepcaps 2", prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0));
    RET("  set keepcaps 1", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
    RET("  get keepcaps", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
    RET("  get securebits", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
    RET("  setresuid 1000", setresuid(1000, 1000, 1000));
    show("  kept");
    RET("  setuid(0) without eff", setuid(0));
    struct caps c;
    get3(0, &c);
    RET("  capset eff=prm", set3(c.p | (B(24) & 0), c.p, 0));
    RET("  setresuid 0", setresuid(0, 0, 0));
    show("  root again");
    RET("  seteuid 1000", seteuid(1000));
    show("  euid 1000");
    RET("  seteuid 0", seteuid(0));
    show("  euid 0");
    RET("  setfsuid 1000 (old)", setfsuid(1000));
    get3(0, &c);
    YN("  fs caps gone from eff", !(c.e & (B(CAP_CHOWN) | B(CAP_DAC_OVERRIDE) | B(CAP_FOWNER))) && (c.e & B(CAP_KILL)));
    RET("  setfsuid 0 (old)", setfsuid(0));
    get3(0, &c);
    YN("  fs caps back", (c.e & (B(CAP_CHOWN) | B(CAP_DAC_OVERRIDE) | B(CAP_FOWNER))) != 0);
    RET("  securebits keepcaps|locked", prctl(PR_SET_SECUREBITS, 0x30, 0, 0, 0));
    RET("  set keepcaps 0 (locked)", prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0));
    RET("  securebits unlock", prctl(PR_SET_SECUREBITS, 0x10, 0, 0, 0));
    RET("  securebits bad bit", prctl(PR_SET_SECUREBITS, 0x100000, 0, 0, 0));
    return 0;
}

static int nonroot(void) {
    const char *path = "/tmp/husk-caps.tmp";
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    if (fd < 0) DIE("create");
    close(fd);
    RET("  setresuid 1000 (no keepcaps)", setresuid(1000, 1000, 1000));
    show("  dropped");
    status_line("CapPrm");
    status_line("CapBnd");
    RET("  open root 0600 file", open(path, O_RDONLY));
    RET("  chown file", chown(path, 1000, 1000));
    RET("  chmod file", chmod(path, 0644));
    RET("  kill parent", kill(getppid(), 0));
    RET("  sethostname", sethostname("x", 1));
    RET("  setuid(0)", setuid(0));
    RET("  setgroups", setgroups(0, NULL));
    RET("  capset raise", set3(B(CAP_KILL), B(CAP_KILL), 0));
    RET("  capset all zero", set3(0, 0, 0));
    RET("  bset read SETUID", prctl(PR_CAPBSET_READ, CAP_SETUID, 0, 0, 0));
    RET("  bset drop", prctl(PR_CAPBSET_DROP, CAP_SETUID, 0, 0, 0));
    return 0;
}

static int cleanup(void) {
    unlink("/tmp/husk-caps.tmp");
    return 0;
}

static char *self;

static int exec_root(void) {
    prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0);
    set3(0, B(CAP_KILL) | B(CAP_SETPCAP), B(CAP_NET_ADMIN));
    execl(self, self, "show", "root exec (bset lacks SYS_BOOT)", (char *)NULL);
    return 1;
}

static int exec_ambient(void) {
    prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
    if (setresuid(1000, 1000, 1000) < 0) return 2;
    if (set3(0, B(CAP_KILL) | B(CAP_CHOWN), B(CAP_KILL)) < 0) return 3;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0) < 0) return 4;
    execl(self, self, "show", "non-root exec with ambient KILL", (char *)NULL);
    return 1;
}

static int exec_plain(void) {
    if (setresuid(1000, 1000, 1000) < 0) return 2;
    execl(self, self, "show", "non-root exec", (char *)NULL);
    return 1;
}

int main(int argc, char **argv) {
    setup(10);
    if (argc == 3 && strcmp(argv[1], "show") == 0) {
        show(argv[2]);
        RET("  keepcaps after exec", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
        status_line("CapAmb");
        return 0;
    }
    self = argv[0];
    show("root");
    status_line("CapPrm");
    status_line("CapInh");
    struct __user_cap_header_struct h = {0x12345678, 0};
    struct __user_cap_data_struct d[2];
    RET("capget bad version", syscall(SYS_capget, &h, d));
    printf("version written: %x\n", h.version);
    h.version = _LINUX_CAPABILITY_VERSION_3;
    RET("capget NULL data", syscall(SYS_capget, &h, NULL));
    h.pid = -5;
    RET("capget pid -5", syscall(SYS_capget, &h, d));
    h.version = _LINUX_CAPABILITY_VERSION_1;
    h.pid = 0;
    memset(d, 0, sizeof d);
    RET("capget v1", syscall(SYS_capget, &h, d));
    printf("v1 eff low=%x upper untouched=%x\n", d[0].effective & ~(1u << 24), d[1].effective);
    h.version = _LINUX_CAPABILITY_VERSION_3;
    h.pid = getpid();
    RET("capget own pid", syscall(SYS_capget, &h, d));
    RET("capset other pid", ({ struct __user_cap_header_struct h2 = {_LINUX_CAPABILITY_VERSION_3, 999999}; syscall(SYS_capset, &h2, d); }));
    RET("bset read SETUID", prctl(PR_CAPBSET_READ, CAP_SETUID, 0, 0, 0));
    RET("bset read 41", prctl(PR_CAPBSET_READ, 41, 0, 0, 0));
    in_child("sets", sets);
    in_child("bset", bset);
    in_child("keepcaps", keepcaps);
    in_child("nonroot", nonroot);
    in_child("cleanup", cleanup);
    in_child("exec root", exec_root);
    in_child("exec ambient", exec_ambient);
    in_child("exec plain", exec_plain);
    return 0;
}

/* Permission checks and the capabilities that override them, for root in children
 * that drop CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_FOWNER one by one: opening
 * other users' 0600/0644/0000 files, searching a 0600 directory, listing a 0300
 * directory, chmod/utimes of another user's file, exec of a file without x bits,
 * access() using the real ids, and group and other bits after setegid/seteuid. */
#include "common.h"
#include <dirent.h>
#include <linux/capability.h>
#include <sys/time.h>

#define B(c) (1ULL << (c))
static char dir[64];
static char p_other600[128], p_other644[128], p_none[128], p_dir600[128], p_dir300[128], p_noexec[128], p_grp[128];

static int drop(unsigned long long caps) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    syscall(SYS_capget, &h, d);
    unsigned long long e = ((unsigned long long)d[1].effective << 32 | d[0].effective) & ~caps;
    unsigned long long p = ((unsigned long long)d[1].permitted << 32 | d[0].permitted) & ~caps;
    d[0].effective = (uint32_t)e; d[1].effective = (uint32_t)(e >> 32);
    d[0].permitted = (uint32_t)p; d[1].permitted = (uint32_t)(p >> 32);
    d[0].inheritable = d[1].inheritable = 0;
    return (int)syscall(SYS_capset, &h, d);
}

static int try_open(const char *p, int fl) {
    int fd = open(p, fl);
    if (fd >= 0) { close(fd); return 0; }
    return -1;
}

static void probe_all(void) {
    RET("  open other 0600 rdonly", try_open(p_other600, O_RDONLY));
    RET("  open other 0600 wronly", try_open(p_other600, O_WRONLY));
    RET("  open other 0644 rdonly", try_open(p_other644, O_RDONLY));
    RET("  open other 0644 wronly", try_open(p_other644, O_WRONLY));
    RET("  open 0000 rdonly", try_open(p_none, O_RDONLY));
    char f[160];
    snprintf(f, sizeof f, "%s/f", p_dir600);
    RET("  stat in 0600 dir (search)", ({ struct stat st; stat(f, &st); }));
    RET("  opendir 0600 dir", try_open(p_dir600, O_RDONLY | O_DIRECTORY));
    RET("  opendir 0300 dir", try_open(p_dir300, O_RDONLY | O_DIRECTORY));
    snprintf(f, sizeof f, "%s/new", p_dir300);
    RET("  create in 0300 dir", ({ int fd = open(f, O_CREAT | O_WRONLY, 0600); if (fd >= 0) { close(fd); unlink(f); } fd < 0 ? -1 : 0; }));
    RET("  chmod other's file", chmod(p_other644, 0644));
    RET("  utimes(NULL) other's 0644 file", utimes(p_other644, NULL));
    struct timeval tv[2] = {{1, 0}, {1, 0}};
    RET("  utimes(explicit) other's file", utimes(p_other644, tv));
    RET("  exec 0644 file", ({ char *av[] = {p_noexec, NULL}; execv(p_noexec, av); -1; }));
    RET("  access other 0600 R_OK", access(p_other600, R_OK));
    RET("  access 0000 X_OK", access(p_none, X_OK));
}

static int all_caps(void) { probe_all(); return 0; }
static int no_dac_override(void) {
    RET("  drop DAC_OVERRIDE", drop(B(CAP_DAC_OVERRIDE)));
    probe_all();
    return 0;
}
static int no_dac(void) {
    RET("  drop DAC_OVERRIDE, DAC_READ_SEARCH", drop(B(CAP_DAC_OVERRIDE) | B(CAP_DAC_READ_SEARCH)));
    probe_all();
    return 0;
}
static int no_dac_fowner(void) {
    RET("  drop DAC_*, FOWNER", drop(B(CAP_DAC_OVERRIDE) | B(CAP_DAC_READ_SEARCH) | B(CAP_FOWNER)));
    probe_all();
    return 0;
}
static int bits(void) {
    /* p_grp: owner 1000, group 2000, mode 0040. */
    RET("  drop DAC_*", drop(B(CAP_DAC_OVERRIDE) | B(CAP_DAC_READ_SEARCH)));
    RET("  read 0040 file as root (not in group)", try_open(p_grp, O_RDONLY));
    RET("  setegid(2000)", setegid(2000));
    RET("  read 0040 file as egid 2000", try_open(p_grp, O_RDONLY));
    RET("  seteuid(1000) (owner, no owner bits)", seteuid(1000));
    RET("  read 0040 file as owner", try_open(p_grp, O_RDONLY));
    RET("  access() uses real ids", access(p_grp, R_OK));
    RET("  faccessat AT_EACCESS", faccessat(AT_FDCWD, p_grp, R_OK, AT_EACCESS));
    return 0;
}

int main(void) {
    setup(10);
    if (getuid() != 0) { printf("not root\n"); return 0; }
    strcpy(dir, "/tmp/husk-dac-XXXXXX");
    if (!mkdtemp(dir)) DIE("mkdtemp");
    chmod(dir, 0755);
    snprintf(p_other600, sizeof p_other600, "%s/o600", dir);
    snprintf(p_other644, sizeof p_other644, "%s/o644", dir);
    snprintf(p_none, sizeof p_none, "%s/none", dir);
    snprintf(p_dir600, sizeof p_dir600, "%s/d600", dir);
    snprintf(p_dir300, sizeof p_dir300, "%s/d300", dir);
    snprintf(p_noexec, sizeof p_noexec, "%s/noexec", dir);
    snprintf(p_grp, sizeof p_grp, "%s/grp", dir);
    const char *files[] = {p_other600, p_other644, p_none, p_noexec, p_grp};
    mode_t modes[] = {0600, 0644, 0, 0644, 0040};
    for (int i = 0; i < 5; i++) {
        int fd = open(files[i], O_CREAT | O_WRONLY, 0600);
        if (fd < 0 || write(fd, "#!/bin/sh\n", 10) != 10) DIE("create");
        close(fd);
        chmod(files[i], modes[i]);
    }
    chown(p_other600, 1000, 1000);
    chown(p_other644, 1000, 1000);
    chown(p_grp, 1000, 2000);
    mkdir(p_dir600, 0600);
    char f[160];
    snprintf(f, sizeof f, "%s/f", p_dir600);
    close(open(f, O_CREAT | O_WRONLY, 0600));
    chown(p_dir600, 1000, 1000);
    mkdir(p_dir300, 0300);
    chown(p_dir300, 1000, 1000);
    in_child("all caps", all_caps);
    in_child("without DAC_OVERRIDE", no_dac_override);
    in_child("without DAC_OVERRIDE and DAC_READ_SEARCH", no_dac);
    in_child("without DAC_* and FOWNER", no_dac_fowner);
    in_child("mode bits", bits);
    for (int i = 0; i < 5; i++) unlink(files[i]);
    unlink(f);
    rmdir(p_dir600);
    rmdir(p_dir300);
    rmdir(dir);
    return 0;
}

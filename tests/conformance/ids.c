/* getuid/geteuid/getgid/getegid/getresuid/getresgid/getgroups relations, and (as root
 * in a child) setresuid/setresgid/setgroups changes and the EPERM that follows. */
#include "common.h"
#include <grp.h>

static int drop(void) {
    if (getuid() != 0) { printf("  not root: skipped\n"); return 0; }
    gid_t g[2] = {100, 200};
    RET("  setgroups 2", setgroups(2, g));
    gid_t out[8];
    int n = getgroups(8, out);
    printf("  getgroups: %d [%d %d]\n", n, n > 0 ? (int)out[0] : -1, n > 1 ? (int)out[1] : -1);
    RET("  setresgid(1000,1001,1002)", setresgid(1000, 1001, 1002));
    gid_t rg, eg, sg;
    getresgid(&rg, &eg, &sg);
    printf("  getresgid: %d %d %d, getgid=%d getegid=%d\n", (int)rg, (int)eg, (int)sg, (int)getgid(), (int)getegid());
    RET("  setresuid(1000,1001,1002)", setresuid(1000, 1001, 1002));
    uid_t ru, eu, su;
    getresuid(&ru, &eu, &su);
    printf("  getresuid: %d %d %d, getuid=%d geteuid=%d\n", (int)ru, (int)eu, (int)su, (int)getuid(), (int)geteuid());
    RET("  seteuid(1002) (saved)", seteuid(1002));
    RET("  seteuid(0)", seteuid(0));
    RET("  setuid(0)", setuid(0));
    RET("  setgroups as non-root", setgroups(0, NULL));
    RET("  setresuid(-1,-1,1000)", setresuid(-1, -1, 1000));
    getresuid(&ru, &eu, &su);
    printf("  getresuid: %d %d %d\n", (int)ru, (int)eu, (int)su);
    /* Files created now belong to the effective ids. */
    const char *path = "/tmp/husk-ids.tmp";
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    struct stat st;
    fstat(fd, &st);
    printf("  new file owner: %d:%d\n", (int)st.st_uid, (int)st.st_gid);
    close(fd);
    unlink(path);
    return 0;
}

int main(void) {
    setup(10);
    uid_t r, e, s;
    gid_t gr, ge, gs;
    RET("getresuid", getresuid(&r, &e, &s));
    RET("getresgid", getresgid(&gr, &ge, &gs));
    YN("getuid()==ruid", getuid() == r);
    YN("geteuid()==euid", geteuid() == e);
    YN("getgid()==rgid", getgid() == gr);
    YN("getegid()==egid", getegid() == ge);
    YN("ruid==euid==suid", r == e && e == s);
    YN("rgid==egid==sgid", gr == ge && ge == gs);
    int n = getgroups(0, NULL);
    YN("getgroups(0) >= 0", n >= 0);
    gid_t *gl = malloc((n + 1) * sizeof(gid_t));
    YN("getgroups(n) == n", getgroups(n, gl) == n);
    RET("getgroups negative", syscall(SYS_getgroups, -1, gl));
    RET("getresuid bad pointer", syscall(SYS_getresuid, (void *)8, &e, &s));
    in_child("credential changes (child)", drop);
    return 0;
}

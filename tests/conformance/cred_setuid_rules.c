/* The setuid family's rules for an unprivileged process (a root child that drops to
 * uid 1000): setuid to the real or saved id only, setreuid swapping real and effective
 * (and what it does to the saved id), setresuid with -1, regaining a saved uid,
 * setfsuid following euid and its return value, setgid/setregid/setresgid the same way,
 * setgroups EPERM, and root's setuid setting all three ids at once. */
#include "common.h"
#include <grp.h>
#include <sys/fsuid.h>

static void ids(const char *label) {
    uid_t r, e, s;
    gid_t gr, ge, gs;
    getresuid(&r, &e, &s);
    getresgid(&gr, &ge, &gs);
    int fsu = setfsuid(-1), fsg = setfsgid(-1);
    printf("%s: uid %d/%d/%d fs %d, gid %d/%d/%d fs %d\n", label, (int)r, (int)e, (int)s, fsu,
           (int)gr, (int)ge, (int)gs, fsg);
}

static int root_setuid(void) {
    RET("  setuid(1000) as root", setuid(1000));
    ids("  ");
    RET("  setuid(0) afterwards", setuid(0));
    RET("  seteuid(0) afterwards", seteuid(0));
    return 0;
}

static int saved(void) {
    RET("  setresuid(1000,1001,0)", setresuid(1000, 1001, 0));
    ids("  ");
    RET("  setuid(1001) (effective)", setuid(1001));
    ids("  ");
    RET("  seteuid(0) (saved)", seteuid(0));
    ids("  ");
    RET("  setuid(1002) as euid 0: all three", setuid(1002));
    ids("  ");
    RET("  seteuid(0) now", seteuid(0));
    RET("  setuid(1002)", setuid(1002));
    RET("  setuid(1003)", setuid(1003));
    return 0;
}

static int reuid(void) {
    RET("  setresuid(1000,1000,1000)", setresuid(1000, 1000, 1000));
    RET("  setreuid(-1,-1)", setreuid(-1, -1));
    RET("  setreuid(1001,-1)", setreuid(1001, -1));
    RET("  setreuid(-1,1001)", setreuid(-1, 1001));
    return 0;
}

static int reuid_swap(void) {
    RET("  setresuid(1000,1001,1002)", setresuid(1000, 1001, 1002));
    RET("  setreuid(1001,1000) swap", setreuid(1001, 1000));
    ids("  ");
    RET("  setreuid(-1,1002) (old saved id)", setreuid(-1, 1002));
    ids("  ");
    RET("  setreuid(1000,-1) (real to euid)", setreuid(1000, -1));
    ids("  ");
    RET("  setresuid(-1,-1,-1)", setresuid(-1, -1, -1));
    RET("  setresuid(1002,1002,1002)", setresuid(1002, 1002, 1002));
    ids("  ");
    return 0;
}

static int fsuid(void) {
    RET("  setfsuid(1234) as root returns old", setfsuid(1234));
    RET("  setfsuid(-1) reads", setfsuid(-1));
    RET("  seteuid(1500) resets fsuid", seteuid(1500));
    RET("  setfsuid(-1)", setfsuid(-1));
    RET("  setfsuid(2000) not permitted, returns old", setfsuid(2000));
    RET("  setfsuid(-1) unchanged", setfsuid(-1));
    RET("  setfsuid(0) (saved 0) allowed", setfsuid(0));
    RET("  setfsuid(-1)", setfsuid(-1));
    return 0;
}

static int gids(void) {
    RET("  setresgid(100,101,102)", setresgid(100, 101, 102));
    RET("  setgroups(0) as root", setgroups(0, NULL));
    RET("  setresuid(1000,1000,1000)", setresuid(1000, 1000, 1000));
    RET("  setgid(102) (saved)", setgid(102));
    ids("  ");
    RET("  setgid(5) not permitted", setgid(5));
    RET("  setegid(100) (real)", setegid(100));
    RET("  setregid(102,101)", setregid(102, 101));
    ids("  ");
    RET("  setresgid(7,-1,-1)", setresgid(7, -1, -1));
    RET("  setgroups 1 group", ({ gid_t g = 100; setgroups(1, &g); }));
    RET("  setfsgid(101) returns old", setfsgid(101));
    RET("  setfsgid(-1)", setfsgid(-1));
    return 0;
}

static int invalid(void) {
    RET("  setuid(-1)", setuid(-1));
    RET("  setgid(-1)", setgid(-1));
    RET("  setresuid(-1,-1,-1) as root", setresuid(-1, -1, -1));
    RET("  setreuid(-1,-1) as root", setreuid(-1, -1));
    RET("  setgroups(-1)", syscall(SYS_setgroups, -1, NULL));
    RET("  setgroups(65537)", syscall(SYS_setgroups, 65537, NULL));
    RET("  setgroups bad pointer", syscall(SYS_setgroups, 2, (void *)8));
    ids("  ");
    return 0;
}

int main(void) {
    setup(10);
    if (getuid() != 0) { printf("not root\n"); return 0; }
    ids("start");
    in_child("root setuid", root_setuid);
    in_child("saved uid", saved);
    in_child("setreuid", reuid);
    in_child("setreuid swap", reuid_swap);
    in_child("fsuid", fsuid);
    in_child("gids", gids);
    in_child("invalid", invalid);
    return 0;
}

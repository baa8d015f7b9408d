/* prctl basics: PR_SET_NAME/PR_GET_NAME (truncation to 15 bytes, per thread),
 * PR_SET_NO_NEW_PRIVS (argument checks, irreversible, inherited across fork and exec),
 * PR_SET_DUMPABLE (0/1, 2 and 3 rejected, reset to 1 by exec), PR_GET_SECCOMP,
 * PR_SET_PDEATHSIG argument checks and PR_GET_PDEATHSIG (cleared in a forked child),
 * PR_SET_CHILD_SUBREAPER/PR_GET_CHILD_SUBREAPER, and unknown options (EINVAL). */
#include "common.h"
#include <pthread.h>
#include <sys/prctl.h>

static const char *getname(void) {
    static char b[32];
    memset(b, 'X', sizeof b);
    prctl(PR_GET_NAME, b, 0, 0, 0);
    b[31] = 0;
    return b;
}

static void *thr(void *a) {
    (void)a;
    printf("  thread's initial name == main's: %s\n", strcmp(getname(), "main-name") == 0 ? "yes" : "no");
    prctl(PR_SET_NAME, "thread-name", 0, 0, 0);
    printf("  thread name: %s\n", getname());
    return NULL;
}

static int nnp_child(void) {
    RET("  PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    RET("  PR_SET_NO_NEW_PRIVS 0", prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0));
    RET("  PR_SET_NO_NEW_PRIVS 2", prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0));
    RET("  PR_SET_NO_NEW_PRIVS 1 extra arg", prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0));
    RET("  PR_SET_NO_NEW_PRIVS 1", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    RET("  PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    RET("  PR_SET_NO_NEW_PRIVS 1 again", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    RET("  PR_GET_NO_NEW_PRIVS extra arg", prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0));
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) _exit(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 1);
    printf("  forked child inherits: %s\n", wstr(wait_child(c)));
    return 0;
}

static char *self;

static int dump_child(void) {
    RET("  PR_GET_DUMPABLE", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    RET("  PR_SET_DUMPABLE 0", prctl(PR_SET_DUMPABLE, 0, 0, 0, 0));
    RET("  PR_GET_DUMPABLE", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    RET("  PR_SET_DUMPABLE 2", prctl(PR_SET_DUMPABLE, 2, 0, 0, 0));
    RET("  PR_SET_DUMPABLE 3", prctl(PR_SET_DUMPABLE, 3, 0, 0, 0));
    RET("  PR_SET_DUMPABLE 1", prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    execl(self, self, "exec", (char *)NULL);
    return 127;
}

static int pdeath_child(void) {
    RET("  PR_GET_PDEATHSIG in forked child", ({ int s = -1; prctl(PR_GET_PDEATHSIG, &s, 0, 0, 0); s; }));
    return 0;
}

int main(int argc, char **argv) {
    setup(10);
    if (argc == 2 && strcmp(argv[1], "exec") == 0) {
        RET("  after exec: PR_GET_DUMPABLE", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
        RET("  after exec: PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
        return 0;
    }
    self = argv[0];
    RET("PR_SET_NAME 'main-name'", prctl(PR_SET_NAME, "main-name", 0, 0, 0));
    printf("name: %s\n", getname());
    RET("PR_SET_NAME 20 chars", prctl(PR_SET_NAME, "abcdefghijklmnopqrst", 0, 0, 0));
    char b[32];
    memset(b, 'X', sizeof b);
    prctl(PR_GET_NAME, b, 0, 0, 0);
    printf("name: %s, byte 15 is NUL: %s\n", b, b[15] == 0 ? "yes" : "no");
    RET("PR_SET_NAME empty", prctl(PR_SET_NAME, "", 0, 0, 0));
    printf("name: [%s]\n", getname());
    RET("PR_SET_NAME bad pointer", prctl(PR_SET_NAME, (void *)8, 0, 0, 0));
    RET("PR_GET_NAME bad pointer", prctl(PR_GET_NAME, (void *)8, 0, 0, 0));
    prctl(PR_SET_NAME, "main-name", 0, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, thr, NULL);
    pthread_join(t, NULL);
    printf("main name after thread renamed itself: %s\n", getname());

    in_child("no_new_privs", nnp_child);
    in_child("dumpable", dump_child);

    RET("PR_GET_SECCOMP", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
    int s = -1;
    RET("PR_GET_PDEATHSIG", prctl(PR_GET_PDEATHSIG, &s, 0, 0, 0));
    printf("pdeathsig: %d\n", s);
    RET("PR_SET_PDEATHSIG 0", prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0));
    RET("PR_SET_PDEATHSIG 65", prctl(PR_SET_PDEATHSIG, 65, 0, 0, 0));
    RET("PR_SET_PDEATHSIG -1", prctl(PR_SET_PDEATHSIG, -1, 0, 0, 0));
    RET("PR_SET_PDEATHSIG SIGUSR1", prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0));
    prctl(PR_GET_PDEATHSIG, &s, 0, 0, 0);
    printf("pdeathsig: %s\n", signame(s));
    RET("PR_GET_PDEATHSIG bad pointer", prctl(PR_GET_PDEATHSIG, (void *)8, 0, 0, 0));
    in_child("pdeathsig child", pdeath_child);
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);

    int v = -1;
    RET("PR_GET_CHILD_SUBREAPER", prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0));
    printf("subreaper: %d\n", v);
    RET("PR_SET_CHILD_SUBREAPER 1", prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
    prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0);
    printf("subreaper: %d\n", v);
    RET("PR_SET_CHILD_SUBREAPER 0", prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0));
    prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0);
    printf("subreaper: %d\n", v);

    RET("option 0", prctl(0, 0, 0, 0, 0));
    RET("option 1000", prctl(1000, 0, 0, 0, 0));
    RET("option -1", prctl(-1, 0, 0, 0, 0));
    return 0;
}

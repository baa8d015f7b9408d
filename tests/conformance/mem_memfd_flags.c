/* memfd_create flags and the exec seal: MFD_EXEC and MFD_NOEXEC_SEAL (mode 0777 vs
 * 0666, F_SEAL_EXEC set and sealing allowed by NOEXEC_SEAL), both together EINVAL,
 * unknown flags EINVAL, name length limit (249 ok, 250 EINVAL), names with slashes,
 * the /proc/self/fd link "/memfd:NAME (deleted)", F_GET_SEALS default (F_SEAL_SEAL
 * without MFD_ALLOW_SEALING), F_SEAL_EXEC blocking chmod of exec bits, fchmod and size
 * changes by ftruncate visible in fstat. */
#include "common.h"
#include <sys/stat.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

static long mfd(const char *name, unsigned flags) {
    return syscall(SYS_memfd_create, name, flags);
}

static void mode_of(const char *label, int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0) {
        printf("%s: fstat -1 %s\n", label, en(errno));
        return;
    }
    printf("%s: mode %o size %ld nlink %ld\n", label, st.st_mode, (long)st.st_size, (long)st.st_nlink);
}

static void link_of(const char *label, int fd) {
    char p[64], b[512];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(p, b, sizeof b - 1);
    if (n < 0) {
        printf("%s: -1 %s\n", label, en(errno));
        return;
    }
    b[n] = 0;
    printf("%s: %s\n", label, b);
}

int main(void) {
    setup(10);
    int a = (int)mfd("plain", 0);
    if (a < 0) DIE("memfd plain");
    mode_of("plain", a);
    link_of("plain link", a);
    RET("plain get seals", fcntl(a, F_GET_SEALS));
    RET("plain add seal", fcntl(a, F_ADD_SEALS, F_SEAL_WRITE));
    RET("plain getfd", fcntl(a, F_GETFD));
    RET("plain getfl accmode", fcntl(a, F_GETFL) & O_ACCMODE);
    RET("ftruncate grow", ftruncate(a, 10000));
    mode_of("grown", a);
    RET("ftruncate shrink", ftruncate(a, 3));
    mode_of("shrunk", a);
    RET("fchmod 0600", fchmod(a, 0600));
    mode_of("chmod", a);
    close(a);

    int c = (int)mfd("cloexec", MFD_CLOEXEC);
    if (c < 0) DIE("memfd cloexec");
    RET("cloexec getfd", fcntl(c, F_GETFD));
    close(c);

    int s = (int)mfd("sealing", MFD_ALLOW_SEALING);
    if (s < 0) DIE("memfd sealing");
    RET("sealing get seals", fcntl(s, F_GET_SEALS));
    RET("add F_SEAL_EXEC", fcntl(s, F_ADD_SEALS, F_SEAL_EXEC));
    RET("get seals after exec seal", fcntl(s, F_GET_SEALS));
    RET("fchmod 0644 under exec seal", fchmod(s, 0644));
    RET("fchmod 0755 under exec seal", fchmod(s, 0755));
    RET("fchmod 0777 under exec seal (same exec bits)", fchmod(s, 0777));
    mode_of("sealing", s);
    close(s);

    int e = (int)mfd("exec", MFD_EXEC);
    if (e < 0) {
        printf("MFD_EXEC: -1 %s\n", en(errno));
    } else {
        mode_of("exec", e);
        RET("exec get seals", fcntl(e, F_GET_SEALS));
        close(e);
    }
    int n = (int)mfd("noexec", MFD_NOEXEC_SEAL);
    if (n < 0) {
        printf("MFD_NOEXEC_SEAL: -1 %s\n", en(errno));
    } else {
        mode_of("noexec", n);
        RET("noexec get seals", fcntl(n, F_GET_SEALS));
        RET("noexec fchmod 0755", fchmod(n, 0755));
        RET("noexec fchmod 0600", fchmod(n, 0600));
        RET("noexec add write seal", fcntl(n, F_ADD_SEALS, F_SEAL_WRITE));
        RET("noexec get seals 2", fcntl(n, F_GET_SEALS));
        RET("noexec write", write(n, "x", 1));
        close(n);
    }
    RET("EXEC|NOEXEC_SEAL", mfd("both", MFD_EXEC | MFD_NOEXEC_SEAL));
    RET("unknown flag", mfd("bad", 0x1000));
    RET("NULL name", mfd(NULL, 0));

    char name[300];
    memset(name, 'n', sizeof name);
    name[249] = 0;
    long r = mfd(name, 0);
    OK("name 249", r);
    if (r >= 0) close((int)r);
    name[249] = 'n';
    name[250] = 0;
    RET("name 250", mfd(name, 0));
    r = mfd("a/b", 0);
    OK("name with slash", r);
    if (r >= 0) {
        link_of("slash link", (int)r);
        close((int)r);
    }
    r = mfd("", 0);
    OK("empty name", r);
    if (r >= 0) {
        link_of("empty link", (int)r);
        close((int)r);
    }

    /* Reopening through /proc/self/fd gives a new description of the same file. */
    int m = (int)mfd("reopen", 0);
    if (m < 0) DIE("memfd reopen");
    if (write(m, "hello", 5) != 5) DIE("write");
    char p[64], b[16] = {0};
    snprintf(p, sizeof p, "/proc/self/fd/%d", m);
    int ro = open(p, O_RDONLY);
    OK("reopen rdonly", ro);
    RET("reopen read", read(ro, b, sizeof b));
    printf("reopen content: %s\n", b);
    RET("reopen write EBADF", write(ro, "x", 1));
    RET("reopen offset", lseek(ro, 0, SEEK_CUR));
    RET("orig offset", lseek(m, 0, SEEK_CUR));
    link_of("reopen link", ro);
    close(ro);
    close(m);
    return 0;
}

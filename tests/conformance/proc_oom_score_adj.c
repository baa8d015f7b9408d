/* /proc/PID/oom_score_adj: reads back what was written (decimal, hex and octal, with
 * surrounding white space), values outside -1000..1000 and non-numbers are EINVAL,
 * the file is 0644, forked children inherit the value, the parent can set a child's,
 * and exec keeps it. (Only values >= 0 are written: going below the minimum needs
 * CAP_SYS_RESOURCE, which test machines may lack.) */
#include "common.h"

static char out[64];

static const char *rd(const char *p) {
    int fd = open(p, O_RDONLY);
    if (fd < 0) { snprintf(out, sizeof out, "-1 %s", en(errno)); return out; }
    ssize_t n = read(fd, out, sizeof out - 1);
    close(fd);
    out[n < 0 ? 0 : n] = 0;
    char *nl = strchr(out, '\n');
    if (nl) *nl = '|';
    return out;
}

static int wr(const char *p, const char *s) {
    int fd = open(p, O_WRONLY);
    if (fd < 0) return -1;
    ssize_t n = write(fd, s, strlen(s));
    int e = errno;
    close(fd);
    errno = e;
    return (int)n;
}

#define P "/proc/self/oom_score_adj"

int main(int argc, char **argv) {
    setup(10);
    if (argc == 2 && !strcmp(argv[1], "exec")) {
        printf("  after exec: [%s]\n", rd(P));
        return 0;
    }
    int start = atoi(rd(P));
    printf("starts >= 0: %s\n", start >= 0 ? "yes" : "no");
    struct stat st;
    stat(P, &st);
    printf("mode: %o\n", st.st_mode & 0777);
    RET("write 500", wr(P, "500"));
    printf("read: [%s]\n", rd(P));
    RET("write ' 600\\n'", wr(P, " 600\n"));
    printf("read: [%s]\n", rd(P));
    RET("write 0x2bc", wr(P, "0x2bc"));
    printf("read: [%s]\n", rd(P));
    RET("write 01000 (octal)", wr(P, "01000"));
    printf("read: [%s]\n", rd(P));
    RET("write 1001", wr(P, "1001"));
    RET("write -1001", wr(P, "-1001"));
    RET("write abc", wr(P, "abc"));
    RET("write 12abc", wr(P, "12abc"));
    RET("write empty line", wr(P, "\n"));
    printf("read after errors: [%s]\n", rd(P));
    RET("write 1000", wr(P, "1000"));
    printf("read: [%s]\n", rd(P));

    int pp[2];
    if (pipe(pp) < 0) DIE("pipe");
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        char x;
        close(pp[1]);
        if (read(pp[0], &x, 1) < 0) _exit(1);
        printf("  child after parent's write: [%s]\n", rd(P));
        execl(argv[0], argv[0], "exec", (char *)NULL);
        _exit(127);
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)c);
    printf("child inherits: [%s]\n", rd(path));
    RET("parent writes child's 900", wr(path, "900"));
    printf("own unchanged: [%s]\n", rd(P));
    close(pp[1]);
    printf("child: %s\n", wstr(wait_child(c)));
    return 0;
}

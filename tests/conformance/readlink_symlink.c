/* symlinkat/readlinkat: contents, truncation without NUL, EINVAL on non-links, dangling
 * links, relative targets, loops (ELOOP), O_NOFOLLOW, /proc/self/fd links to our files. */
#include "common.h"

int main(void) {
    setup(10);
    const char *dir = "/tmp/husk-readlink_symlink";
    mkdir(dir, 0755);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    close(openat(dfd, "target", O_CREAT | O_WRONLY, 0644));
    RET("symlinkat rel", symlinkat("target", dfd, "rel"));
    RET("symlinkat abs", symlinkat("/tmp/husk-readlink_symlink/target", dfd, "abs"));
    RET("symlinkat dangling", symlinkat("does-not-exist", dfd, "dangling"));
    RET("symlinkat existing name", symlinkat("x", dfd, "rel"));
    char buf[256];
    long n = readlinkat(dfd, "rel", buf, sizeof buf);
    printf("readlinkat rel: %ld %.*s\n", n, (int)(n > 0 ? n : 0), buf);
    n = readlinkat(dfd, "abs", buf, sizeof buf);
    printf("readlinkat abs: %ld %.*s\n", n, (int)(n > 0 ? n : 0), buf);
    memset(buf, '#', sizeof buf);
    n = readlinkat(dfd, "abs", buf, 5);
    printf("truncated to 5: %ld %.6s\n", n, buf);
    RET("readlinkat on a regular file", readlinkat(dfd, "target", buf, sizeof buf));
    RET("readlinkat missing", readlinkat(dfd, "missing", buf, sizeof buf));
    RET("readlink size 0", readlinkat(dfd, "rel", buf, 0));
    RET("open through rel", openat(dfd, "rel", O_RDONLY) >= 0 ? 0 : -1);
    RET("open dangling", openat(dfd, "dangling", O_RDONLY));
    RET("open O_NOFOLLOW on link", openat(dfd, "rel", O_RDONLY | O_NOFOLLOW));
    RET("open O_PATH|O_NOFOLLOW on link", openat(dfd, "rel", O_PATH | O_NOFOLLOW) >= 0 ? 0 : -1);
    RET("create through dangling link", openat(dfd, "dangling", O_CREAT | O_WRONLY, 0644) >= 0 ? 0 : -1);
    struct stat st;
    YN("dangling target now exists", fstatat(dfd, "does-not-exist", &st, 0) == 0);

    symlinkat("loop2", dfd, "loop1");
    symlinkat("loop1", dfd, "loop2");
    RET("open loop", openat(dfd, "loop1", O_RDONLY));
    RET("stat loop", fstatat(dfd, "loop1", &st, 0));
    RET("lstat loop", fstatat(dfd, "loop1", &st, AT_SYMLINK_NOFOLLOW));

    /* Directory symlink in the middle of a path. */
    mkdirat(dfd, "d", 0755);
    close(openat(dfd, "d/inner", O_CREAT | O_WRONLY, 0644));
    symlinkat("d", dfd, "dlink");
    RET("stat through dir link", fstatat(dfd, "dlink/inner", &st, 0));

    /* /proc/self/fd/N reads back the path of a file we opened. */
    int fd = openat(dfd, "target", O_RDONLY);
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    n = readlink(p, buf, sizeof buf);
    printf("/proc/self/fd link: %.*s\n", (int)(n > 0 ? n : 0), buf);
    close(fd);
    n = readlink("/proc/self/cwd", buf, sizeof buf);
    printf("/proc/self/cwd is absolute: %s\n", n > 0 && buf[0] == '/' ? "yes" : "no");

    const char *names[] = {"rel", "abs", "dangling", "does-not-exist", "target", "loop1", "loop2", "d/inner", "dlink"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) unlinkat(dfd, names[i], 0);
    unlinkat(dfd, "d", AT_REMOVEDIR);
    close(dfd);
    RET("rmdir", rmdir(dir));
    return 0;
}

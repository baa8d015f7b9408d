/* umask (returns the previous mask, applied to new files and dirs), getcwd, chdir,
 * fchdir, relative paths after chdir, and their errors (ERANGE, ENOENT, ENOTDIR). */
#include "common.h"

int main(void) {
    setup(10);
    mode_t old = umask(022);
    printf("umask(022) then umask(077) returns: %03o\n", (unsigned)umask(077));
    (void)old;
    const char *dir = "/tmp/husk-umask_cwd";
    mkdir(dir, 0777);
    char path[256];
    snprintf(path, sizeof path, "%s/f077", dir);
    int fd = open(path, O_CREAT | O_WRONLY, 0666);
    struct stat st;
    fstat(fd, &st);
    printf("file 0666 under 077: %03o\n", st.st_mode & 0777);
    close(fd);
    umask(022);
    snprintf(path, sizeof path, "%s/d022", dir);
    mkdir(path, 0777);
    stat(path, &st);
    printf("dir 0777 under 022: %03o\n", st.st_mode & 0777);
    umask(0);
    snprintf(path, sizeof path, "%s/f000", dir);
    fd = open(path, O_CREAT | O_WRONLY, 0666);
    fstat(fd, &st);
    printf("file 0666 under 000: %03o\n", st.st_mode & 0777);
    close(fd);
    printf("umask(0777) returns: %03o\n", (unsigned)umask(0777));
    printf("umask high bits dropped: %03o\n", (unsigned)umask(01777 | 022));
    printf("now: %03o\n", (unsigned)umask(022));

    char cwd[4096];
    RET("chdir", chdir(dir));
    printf("getcwd: %s\n", getcwd(cwd, sizeof cwd));
    RET("chdir relative", chdir("d022"));
    printf("getcwd: %s\n", getcwd(cwd, sizeof cwd));
    RET("chdir ..", chdir(".."));
    printf("getcwd: %s\n", getcwd(cwd, sizeof cwd));
    RET("open relative f000", (fd = open("f000", O_RDONLY)) >= 0 ? 0 : -1);
    close(fd);
    int dfd = open("d022", O_RDONLY | O_DIRECTORY);
    RET("fchdir", fchdir(dfd));
    printf("getcwd after fchdir: %s\n", getcwd(cwd, sizeof cwd));
    RET("fchdir on a file", fchdir(open("/tmp/husk-umask_cwd/f000", O_RDONLY)));
    RET("fchdir bad fd", fchdir(999));
    close(dfd);
    errno = 0;
    char *r = getcwd(cwd, 5);
    printf("getcwd small buffer: %s %s\n", r ? "ok" : "NULL", en(errno));
    RET("raw getcwd returns length incl NUL", syscall(SYS_getcwd, cwd, sizeof cwd));
    RET("chdir ENOENT", chdir("/tmp/husk-umask_cwd/nope"));
    RET("chdir ENOTDIR", chdir("/tmp/husk-umask_cwd/f000"));
    RET("chdir empty", chdir(""));

    /* A removed cwd: getcwd reports ENOENT (or "(unreachable)"), "." is still usable. */
    chdir("/tmp/husk-umask_cwd/d022");
    rmdir("/tmp/husk-umask_cwd/d022");
    errno = 0;
    r = getcwd(cwd, sizeof cwd);
    printf("getcwd in removed dir: %s %s\n", r ? "ok" : "NULL", en(errno));
    RET("create in removed dir", open("x", O_CREAT | O_WRONLY, 0600));
    chdir("/");
    unlink("/tmp/husk-umask_cwd/f077");
    unlink("/tmp/husk-umask_cwd/f000");
    RET("rmdir test dir", rmdir(dir));
    /* cwd is inherited by children. */
    chdir("/tmp");
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) { printf("  child getcwd: %s\n", getcwd(cwd, sizeof cwd)); _exit(0); }
    wait_child(p);
    return 0;
}

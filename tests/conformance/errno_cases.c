/* Common errno cases on paths and fds: ENOENT, ENOTDIR, EISDIR, EEXIST, ENAMETOOLONG,
 * EBADF, EFAULT, EINVAL, ELOOP, EACCES (as nobody), EROFS-free, EXDEV-free. */
#include "common.h"

static int as_nobody(void) {
    if (getuid() != 0) return 0;
    setresgid(65534, 65534, 65534);
    setresuid(65534, 65534, 65534);
    RET("  open 0600 root file as nobody", open("/tmp/husk-errno_cases/secret", O_RDONLY));
    RET("  create in 0755 root dir as nobody", open("/tmp/husk-errno_cases/new", O_CREAT | O_WRONLY, 0644));
    RET("  unlink in root dir as nobody", unlink("/tmp/husk-errno_cases/secret"));
    RET("  chmod root file as nobody", chmod("/tmp/husk-errno_cases/secret", 0777));
    return 0;
}

int main(void) {
    setup(10);
    const char *D = "/tmp/husk-errno_cases";
    mkdir(D, 0755);
    int fd = open("/tmp/husk-errno_cases/secret", O_CREAT | O_WRONLY | O_TRUNC, 0600);
    close(fd);
    RET("open missing", open("/tmp/husk-errno_cases/missing", O_RDONLY));
    RET("open missing dir component", open("/tmp/husk-errno_cases/nodir/x", O_RDONLY));
    RET("open file as dir component", open("/tmp/husk-errno_cases/secret/x", O_RDONLY));
    RET("open O_DIRECTORY on file", open("/tmp/husk-errno_cases/secret", O_RDONLY | O_DIRECTORY));
    RET("open dir for writing", open(D, O_WRONLY));
    RET("open dir O_RDWR", open(D, O_RDWR));
    RET("O_CREAT|O_EXCL existing", open("/tmp/husk-errno_cases/secret", O_CREAT | O_EXCL | O_WRONLY, 0600));
    RET("O_CREAT on a dir", open(D, O_CREAT | O_WRONLY, 0600));
    char longname[300];
    memset(longname, 'n', sizeof longname);
    longname[299] = 0;
    RET("component > 255 bytes", open(longname, O_RDONLY));
    char *longpath = malloc(5000);
    memset(longpath, 'a', 4999);
    longpath[4999] = 0;
    for (int i = 0; i < 4999; i += 100) longpath[i] = '/';
    RET("path > PATH_MAX", open(longpath, O_RDONLY));
    RET("empty path", open("", O_RDONLY));
    RET("NULL path", syscall(SYS_openat, AT_FDCWD, NULL, O_RDONLY));
    RET("bad path pointer", syscall(SYS_openat, AT_FDCWD, (void *)8, O_RDONLY));
    RET("openat relative with bad dirfd", openat(999, "x", O_RDONLY));
    RET("openat relative with file dirfd", openat(open("/tmp/husk-errno_cases/secret", O_RDONLY), "x", O_RDONLY));
    RET("O_TMPFILE without write", open(D, O_TMPFILE | O_RDONLY, 0600));
    RET("read bad fd", read(-1, longname, 1));
    RET("write bad fd", write(12345, "x", 1));
    RET("close bad fd", close(-5));
    RET("read into bad buffer", syscall(SYS_read, open("/dev/zero", O_RDONLY), (void *)8, 1));
    RET("write from bad buffer", syscall(SYS_write, 1, (void *)8, 1));
    RET("mkdir in missing dir", mkdir("/tmp/husk-errno_cases/a/b", 0755));
    RET("rmdir on a file", rmdir("/tmp/husk-errno_cases/secret"));
    RET("unlink a dir", unlink(D));
    RET("link to existing name", link("/tmp/husk-errno_cases/secret", "/tmp/husk-errno_cases/secret"));
    RET("link a directory", link(D, "/tmp/husk-errno_cases/dirlink"));
    RET("truncate a dir", truncate(D, 0));
    RET("truncate negative", truncate("/tmp/husk-errno_cases/secret", -1));
    RET("ftruncate on O_RDONLY fd", ftruncate(open("/tmp/husk-errno_cases/secret", O_RDONLY), 0));
    RET("chdir to file", chdir("/tmp/husk-errno_cases/secret"));
    RET("symlink to existing name", symlink("x", "/tmp/husk-errno_cases/secret"));
    in_child("as nobody", as_nobody);
    unlink("/tmp/husk-errno_cases/secret");
    RET("rmdir", rmdir(D));
    free(longpath);
    return 0;
}

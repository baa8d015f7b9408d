/* Mount behaviour seen through file operations, in a child with its own mount
 * namespace: a mount hides the directory's contents until umount, stacked mounts,
 * bind mounts of a subdirectory and of a single file, read-only bind mounts (EROFS for
 * creation, writes, truncate, chmod, utimes; reads fine; the source stays writable),
 * noexec (execve EACCES, mmap PROT_EXEC EPERM), EXDEV for rename/link across mounts,
 * EBUSY for rmdir/rename of a mount point, and the mount points and types listed in
 * /proc/self/mountinfo (only mount point, rw/ro and type are printed). */
#include "common.h"
#include <sched.h>
#include <sys/mount.h>

#define M "/tmp/vfs_mount_ops.mnt"

static void put(const char *p, const char *s) {
    int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0755);
    if (fd < 0) { printf("put %s: %s\n", p, en(errno)); return; }
    write(fd, s, strlen(s));
    close(fd);
}

static void get(const char *label, const char *p) {
    char b[64] = {0};
    int fd = open(p, O_RDONLY);
    if (fd < 0) { printf("%s: -1 %s\n", label, en(errno)); return; }
    read(fd, b, sizeof b - 1);
    close(fd);
    printf("%s: %s\n", label, b);
}

static void mountinfo(const char *label) {
    printf("%s:\n", label);
    FILE *f = fopen("/proc/self/mountinfo", "r");
    char line[1024];
    while (f && fgets(line, sizeof line, f)) {
        /* id parent maj:min root mountpoint options [optional...] - fstype source super */
        char *fld[8];
        int n = 0;
        char *save, *tok = strtok_r(line, " \n", &save);
        while (tok && n < 6) { fld[n++] = tok; tok = strtok_r(NULL, " \n", &save); }
        if (n < 6 || strncmp(fld[4], M, strlen(M))) continue;
        while (tok && strcmp(tok, "-")) tok = strtok_r(NULL, " \n", &save);
        char *type = tok ? strtok_r(NULL, " \n", &save) : NULL;
        printf("  %s %s %s\n", fld[4] + strlen(M), strncmp(fld[5], "ro", 2) ? "rw" : "ro", type ? type : "?");
    }
    if (f) fclose(f);
}

static int child(void) {
    if (unshare(CLONE_NEWNS)) DIE("unshare");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) DIE("private");
    put(M "/under", "under");
    RET("mount tmpfs over non-empty dir", mount("a", M, "tmpfs", 0, NULL));
    RET("old content hidden", access(M "/under", F_OK));
    put(M "/top1", "top1");
    RET("stack a second tmpfs", mount("b", M, "tmpfs", 0, NULL));
    RET("first tmpfs content hidden", access(M "/top1", F_OK));
    mountinfo("mountinfo with two stacked");
    RET("umount top", umount(M));
    get("first tmpfs visible again", M "/top1");

    /* Bind mounts */
    mkdir(M "/src", 0755);
    mkdir(M "/src/sub", 0755);
    put(M "/src/sub/file", "bound");
    put(M "/src/prog", "#!/bin/sh\nexit 0\n");
    mkdir(M "/dst", 0755);
    RET("bind subdir", mount(M "/src/sub", M "/dst", NULL, MS_BIND, NULL));
    get("read via bind", M "/dst/file");
    put(M "/filetarget", "target");
    RET("bind file onto file", mount(M "/src/sub/file", M "/filetarget", NULL, MS_BIND, NULL));
    get("file bind shows source", M "/filetarget");
    RET("bind dir onto file", mount(M "/src", M "/filetarget", NULL, MS_BIND, NULL));
    RET("bind file onto dir", mount(M "/src/sub/file", M "/dst", NULL, MS_BIND, NULL));
    mountinfo("mountinfo with binds");
    RET("umount file bind", umount(M "/filetarget"));
    get("file target again", M "/filetarget");

    /* Read-only bind */
    mkdir(M "/ro", 0755);
    RET("bind src on ro", mount(M "/src", M "/ro", NULL, MS_BIND, NULL));
    RET("remount bind ro", mount(NULL, M "/ro", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
    RET("create on ro", open(M "/ro/new", O_CREAT | O_WRONLY, 0644));
    RET("open for write on ro", open(M "/ro/sub/file", O_WRONLY));
    RET("open O_RDONLY|O_TRUNC on ro", open(M "/ro/sub/file", O_RDONLY | O_TRUNC));
    RET("truncate on ro", truncate(M "/ro/sub/file", 0));
    RET("chmod on ro", chmod(M "/ro/sub/file", 0600));
    RET("utimes on ro", utimensat(AT_FDCWD, M "/ro/sub/file", NULL, 0));
    RET("mkdir on ro", mkdir(M "/ro/d", 0755));
    RET("unlink on ro", unlink(M "/ro/prog"));
    RET("rename on ro", rename(M "/ro/prog", M "/ro/prog2"));
    RET("symlink on ro", symlink("x", M "/ro/l"));
    get("read on ro", M "/ro/sub/file");
    RET("access W_OK on ro", access(M "/ro/sub/file", W_OK));
    put(M "/src/sub/file", "changed");
    get("source writable, change visible on ro", M "/ro/sub/file");
    mountinfo("mountinfo with ro bind");

    /* noexec */
    mkdir(M "/ne", 0755);
    RET("bind src noexec", mount(M "/src", M "/ne", NULL, MS_BIND, NULL));
    RET("remount noexec", mount(NULL, M "/ne", NULL, MS_REMOUNT | MS_BIND | MS_NOEXEC, NULL));
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        execl(M "/ne/prog", "prog", (char *)NULL);
        printf("  execve on noexec: -1 %s\n", en(errno));
        _exit(0);
    }
    wait_child(p);
    int fd = open(M "/ne/prog", O_RDONLY);
    void *m = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
    printf("mmap PROT_EXEC on noexec: %s\n", m == MAP_FAILED ? en(errno) : "ok");
    m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    printf("mmap PROT_READ on noexec: %s\n", m == MAP_FAILED ? en(errno) : "ok");
    if (m != MAP_FAILED) munmap(m, 4096);
    close(fd);
    RET("access X_OK on noexec", access(M "/ne/prog", X_OK));

    /* Cross-mount operations and busy mount points */
    RET("rename across mounts", rename(M "/dst/file", M "/moved"));
    RET("link across mounts", link(M "/dst/file", M "/linked"));
    RET("rename within bind mount", rename(M "/dst/file", M "/dst/file2"));
    RET("rename back", rename(M "/dst/file2", M "/dst/file"));
    RET("rmdir mount point", rmdir(M "/dst"));
    RET("rename mount point", rename(M "/dst", M "/dst2"));
    RET("unlink file mount point", (mount(M "/src/prog", M "/filetarget", NULL, MS_BIND, NULL), unlink(M "/filetarget")));
    RET("umount file mount point", umount(M "/filetarget"));
    RET("umount ne", umount(M "/ne"));
    RET("umount ro", umount(M "/ro"));
    RET("umount dst", umount(M "/dst"));
    mountinfo("mountinfo at the end");
    RET("umount tmpfs", umount(M));
    get("original content back", M "/under");
    return 0;
}

int main(void) {
    setup(10);
    unlink(M "/under");
    rmdir(M);
    if (mkdir(M, 0755)) DIE("mkdir");
    in_child("child", child);
    RET("parent still sees the original content", access(M "/under", F_OK));
    RET("parent does not see child's mounts", access(M "/top1", F_OK));
    unlink(M "/under");
    RET("rmdir", rmdir(M));
    return 0;
}

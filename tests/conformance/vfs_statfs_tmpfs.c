/* statfs/fstatfs and tmpfs mount options, in a child with its own mount namespace:
 * f_type of tmpfs and /proc, f_bsize/f_namelen, f_flags from mount flags (ST_RDONLY,
 * ST_NOSUID, ST_NODEV, ST_NOEXEC, and after a remount), tmpfs size= (f_blocks, f_bfree
 * going down as data is written and up again on unlink, ENOSPC and short writes at
 * the limit, fallocate ENOSPC, size with k/m suffixes), mode=/uid=/gid= of the root,
 * unknown options (EINVAL), and statfs errors (ENOENT, EFAULT, EBADF). */
#include "common.h"
#include <sched.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

#define M "/tmp/vfs_statfs_tmpfs.mnt"

static void sfs(const char *label, const char *p) {
    struct statfs s;
    if (statfs(p, &s)) { printf("%s: -1 %s\n", label, en(errno)); return; }
    printf("%s: type 0x%lx bsize %ld blocks %ld bfree %ld bavail %ld namelen %ld\n", label,
           (long)s.f_type, (long)s.f_bsize, (long)s.f_blocks, (long)s.f_bfree, (long)s.f_bavail,
           (long)s.f_namelen);
}

static void flags(const char *label, const char *p) {
    struct statfs s;
    if (statfs(p, &s)) { printf("%s: -1 %s\n", label, en(errno)); return; }
    long f = s.f_flags;
    printf("%s:%s%s%s%s%s\n", label, f & ST_RDONLY ? " ro" : " rw", f & ST_NOSUID ? " nosuid" : "",
           f & ST_NODEV ? " nodev" : "", f & ST_NOEXEC ? " noexec" : "", f & 0x20 ? " valid" : "");
}

static int child(void) {
    if (unshare(CLONE_NEWNS)) DIE("unshare");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) DIE("private");
    RET("mount tmpfs size=64k", mount("t", M, "tmpfs", 0, "size=64k"));
    sfs("fresh", M);
    int fd = open(M "/f", O_CREAT | O_RDWR, 0644);
    char buf[4096];
    memset(buf, 'x', sizeof buf);
    RET("write 4096", write(fd, buf, 4096));
    sfs("after 1 page", M);
    RET("write 100", write(fd, buf, 100));
    sfs("after 4196 bytes", M);
    int n = 0;
    long r;
    while ((r = write(fd, buf, 4096)) > 0) n++;
    printf("further full writes: %d, last: %ld %s\n", n, r, en(errno));
    struct stat st;
    fstat(fd, &st);
    printf("file size: %ld\n", (long)st.st_size);
    sfs("full", M);
    RET("write 1 more byte", write(fd, "y", 1));
    RET("create another file", ({ int g = open(M "/g", O_CREAT | O_WRONLY, 0644); if (g >= 0) close(g); g < 0 ? -1 : 0; }));
    RET("mkdir when full", mkdir(M "/d", 0755));
    RET("pwrite inside the file", pwrite(fd, "z", 1, 10));
    RET("ftruncate to 8192", ftruncate(fd, 8192));
    sfs("after truncate", M);
    RET("write again", write(fd, buf, 4096));
    RET("fallocate 1 MiB", fallocate(fd, 0, 0, 1 << 20));
    fstat(fd, &st);
    printf("size after failed fallocate: %ld\n", (long)st.st_size);
    RET("ftruncate grow beyond limit (sparse)", ftruncate(fd, 1 << 20));
    close(fd);
    RET("unlink", unlink(M "/f"));
    sfs("after unlink", M);
    RET("umount", umount(M));

    RET("mount tmpfs size=1m", mount("t", M, "tmpfs", 0, "size=1m"));
    sfs("1m", M);
    umount(M);
    RET("mount tmpfs size=10000 (rounded up)", mount("t", M, "tmpfs", 0, "size=10000"));
    sfs("10000", M);
    umount(M);
    RET("mount tmpfs mode,uid,gid", mount("t", M, "tmpfs", 0, "mode=0751,uid=12,gid=34"));
    stat(M, &st);
    printf("root: mode %o uid %d gid %d\n", st.st_mode & 07777, st.st_uid, st.st_gid);
    sfs("/proc", "/proc");
    struct statfs s;
    fd = open(M, O_RDONLY | O_DIRECTORY);
    RET("fstatfs", fstatfs(fd, &s));
    printf("fstatfs type 0x%lx\n", (long)s.f_type);
    close(fd);
    umount(M);
    RET("mount tmpfs bad option", mount("t", M, "tmpfs", 0, "bogus=1"));
    RET("mount tmpfs bad size", mount("t", M, "tmpfs", 0, "size=12q"));

    RET("mount tmpfs nosuid,nodev,noexec", mount("t", M, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
    flags("flags", M);
    RET("remount ro", mount(NULL, M, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID, NULL));
    flags("flags after remount", M);
    struct statvfs v;
    RET("statvfs", statvfs(M, &v));
    printf("statvfs ST_RDONLY: %s\n", v.f_flag & ST_RDONLY ? "yes" : "no");
    umount(M);

    RET("statfs missing", statfs(M "/nope", &s));
    RET("statfs bad pointer", statfs(M, (void *)8));
    RET("fstatfs bad fd", fstatfs(999, &s));
    return 0;
}

int main(void) {
    setup(10);
    rmdir(M);
    if (mkdir(M, 0755)) DIE("mkdir");
    in_child("child", child);
    RET("rmdir", rmdir(M));
    return 0;
}

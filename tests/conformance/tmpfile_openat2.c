/* O_TMPFILE (unnamed files, named later with linkat) and openat2's resolve flags and
 * struct open_how checks; name_to_handle_at is not tested (file handles differ). */
#include "common.h"
#include <linux/openat2.h>

#define D "/tmp/tmpfile_openat2.dir"

static long oa2(int dirfd, const char *p, unsigned long long flags, unsigned long long mode,
                unsigned long long resolve) {
    struct open_how h = {flags, mode, resolve};
    return syscall(SYS_openat2, dirfd, p, &h, sizeof h);
}

static void ok_close(const char *label, long fd) {
    if (fd >= 0) { printf("%s: ok\n", label); close((int)fd); }
    else printf("%s: -1 %s\n", label, en(errno));
}

int main(void) {
    setup(20);
    mkdir(D, 0755);
    int fd = open(D, O_TMPFILE | O_RDWR, 0600);
    if (fd < 0) DIE("O_TMPFILE");
    struct stat st;
    fstat(fd, &st);
    printf("tmpfile nlink %ld mode %o\n", (long)st.st_nlink, st.st_mode & 07777);
    if (write(fd, "tmpdata", 7) != 7) DIE("write");
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    char lk[256];
    long n = readlink(path, lk, sizeof lk - 1);
    lk[n > 0 ? n : 0] = 0;
    printf("link ends with (deleted): %s\n", n > 10 && strstr(lk, " (deleted)") ? "yes" : "no");
    RET("linkat empty path", linkat(fd, "", AT_FDCWD, D "/named", AT_EMPTY_PATH));
    fstat(fd, &st);
    printf("nlink after link %ld\n", (long)st.st_nlink);
    char b[16] = {0};
    int r = open(D "/named", O_RDONLY);
    n = read(r, b, sizeof b);
    printf("named content: %ld \"%.*s\"\n", n, (int)(n > 0 ? n : 0), b);
    close(r);
    RET("linkat again other name", linkat(fd, "", AT_FDCWD, D "/named2", AT_EMPTY_PATH));
    unlink(D "/named");
    unlink(D "/named2");
    close(fd);
    /* via /proc/self/fd with AT_SYMLINK_FOLLOW */
    fd = open(D, O_TMPFILE | O_WRONLY, 0644);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    RET("linkat proc fd", linkat(AT_FDCWD, path, AT_FDCWD, D "/viaproc", AT_SYMLINK_FOLLOW));
    RET("stat viaproc", stat(D "/viaproc", &st));
    close(fd);
    unlink(D "/viaproc");
    /* O_EXCL: can never be linked */
    fd = open(D, O_TMPFILE | O_RDWR | O_EXCL, 0600);
    RET("linkat O_EXCL tmpfile", linkat(fd, "", AT_FDCWD, D "/excl", AT_EMPTY_PATH));
    close(fd);
    RET("O_TMPFILE rdonly", open(D, O_TMPFILE | O_RDONLY, 0600));
    RET("O_TMPFILE with O_CREAT", open(D, O_TMPFILE | O_CREAT | O_RDWR, 0600));
    int f = open(D "/reg", O_CREAT | O_RDWR, 0644);
    close(f);
    RET("O_TMPFILE on file", open(D "/reg", O_TMPFILE | O_RDWR, 0600));
    RET("O_TMPFILE missing dir", open(D "/nope", O_TMPFILE | O_RDWR, 0600));
    /* unlinked ordinary file cannot be linked back */
    f = open(D "/gone", O_CREAT | O_RDWR, 0644);
    unlink(D "/gone");
    RET("linkat unlinked file", linkat(f, "", AT_FDCWD, D "/back", AT_EMPTY_PATH));
    close(f);
    RET("linkat bad flags", linkat(AT_FDCWD, D "/reg", AT_FDCWD, D "/reg2", 0x8000));

    /* openat2 */
    int dfd = open(D, O_RDONLY | O_DIRECTORY);
    mkdir(D "/sub", 0755);
    symlink("reg", D "/rel");
    symlink("/tmp", D "/abs");
    symlink("../reg", D "/sub/up");
    symlink("../..", D "/sub/upup");
    ok_close("openat2 plain", oa2(dfd, "reg", O_RDONLY, 0, 0));
    ok_close("no_symlinks plain", oa2(dfd, "reg", O_RDONLY, 0, RESOLVE_NO_SYMLINKS));
    ok_close("no_symlinks link", oa2(dfd, "rel", O_RDONLY, 0, RESOLVE_NO_SYMLINKS));
    ok_close("no_symlinks O_PATH|O_NOFOLLOW link", oa2(dfd, "rel", O_PATH | O_NOFOLLOW, 0, RESOLVE_NO_SYMLINKS));
    ok_close("beneath plain", oa2(dfd, "sub/../reg", O_RDONLY, 0, RESOLVE_BENEATH));
    ok_close("beneath dotdot", oa2(dfd, "../tmp", O_RDONLY, 0, RESOLVE_BENEATH));
    ok_close("beneath absolute", oa2(dfd, "/tmp", O_RDONLY, 0, RESOLVE_BENEATH));
    ok_close("beneath abs link", oa2(dfd, "abs", O_RDONLY, 0, RESOLVE_BENEATH));
    ok_close("beneath rel link up", oa2(dfd, "sub/up", O_RDONLY, 0, RESOLVE_BENEATH));
    ok_close("beneath escaping link", oa2(dfd, "sub/upup", O_RDONLY, 0, RESOLVE_BENEATH));
    ok_close("in_root absolute", oa2(dfd, "/reg", O_RDONLY, 0, RESOLVE_IN_ROOT));
    ok_close("in_root dotdot", oa2(dfd, "../../reg", O_RDONLY, 0, RESOLVE_IN_ROOT));
    ok_close("in_root escaping link", oa2(dfd, "sub/upup/reg", O_RDONLY, 0, RESOLVE_IN_ROOT));
    ok_close("in_root abs link", oa2(dfd, "abs", O_RDONLY, 0, RESOLVE_IN_ROOT));
    ok_close("plain abs link", oa2(dfd, "abs", O_RDONLY, 0, 0));
    int rootfd = open("/", O_RDONLY | O_DIRECTORY);
    ok_close("no_xdev same fs", oa2(rootfd, "tmp", O_RDONLY, 0, RESOLVE_NO_XDEV));
    ok_close("no_xdev into proc", oa2(rootfd, "proc/self", O_RDONLY, 0, RESOLVE_NO_XDEV));
    int sf = open("/proc/self", O_RDONLY | O_DIRECTORY);
    ok_close("no_xdev out of proc", oa2(sf, "../../tmp", O_RDONLY, 0, RESOLVE_NO_XDEV));
    snprintf(path, sizeof path, "/proc/self/fd/%d", dfd);
    ok_close("magic link", oa2(AT_FDCWD, path, O_RDONLY, 0, 0));
    ok_close("no_magiclinks", oa2(AT_FDCWD, path, O_RDONLY, 0, RESOLVE_NO_MAGICLINKS));
    ok_close("no_magiclinks O_PATH|O_NOFOLLOW", oa2(AT_FDCWD, path, O_PATH | O_NOFOLLOW, 0, RESOLVE_NO_MAGICLINKS));
    ok_close("no_magiclinks regular link", oa2(dfd, "rel", O_RDONLY, 0, RESOLVE_NO_MAGICLINKS));
    ok_close("create beneath", oa2(dfd, "new", O_CREAT | O_WRONLY, 0644, RESOLVE_BENEATH));
    ok_close("create through abs link beneath", oa2(dfd, "abs/x", O_CREAT | O_WRONLY, 0644, RESOLVE_BENEATH));
    /* struct open_how checks */
    struct open_how h = {O_RDONLY, 0, 0};
    RET("size small", syscall(SYS_openat2, dfd, "reg", &h, 16));
    RET("size huge", syscall(SYS_openat2, dfd, "reg", &h, 8192));
    char big[64] = {0};
    memcpy(big, &h, sizeof h);
    ok_close("size bigger zero tail", syscall(SYS_openat2, dfd, "reg", big, sizeof big));
    big[40] = 1;
    RET("size bigger nonzero tail", syscall(SYS_openat2, dfd, "reg", big, sizeof big));
    RET("unknown flag", oa2(dfd, "reg", 1ULL << 40, 0, 0));
    RET("unknown resolve", oa2(dfd, "reg", O_RDONLY, 0, 0x40));
    RET("mode without create", oa2(dfd, "reg", O_RDONLY, 0644, 0));
    RET("bad mode", oa2(dfd, "x", O_CREAT | O_WRONLY, 010000, 0));
    RET("beneath and in_root", oa2(dfd, "reg", O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT));
    RET("O_PATH with O_RDWR", oa2(dfd, "reg", O_PATH | O_RDWR, 0, 0));
    RET("cached with O_CREAT", oa2(dfd, "reg", O_CREAT | O_RDONLY, 0, RESOLVE_CACHED));
    RET("bad fd", oa2(-5, "reg", O_RDONLY, 0, 0));
    unlink(D "/new");
    unlink(D "/sub/up");
    unlink(D "/sub/upup");
    rmdir(D "/sub");
    unlink(D "/rel");
    unlink(D "/abs");
    unlink(D "/reg");
    rmdir(D);
    return 0;
}

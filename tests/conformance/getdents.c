/* getdents64: list a directory the test creates (sorted before printing) with d_type,
 * small buffers (EINVAL / multiple calls), lseek back to the start, ENOTDIR, and
 * entries added/removed between listings. */
#include "common.h"
#include <dirent.h>

struct linux_dirent64 { uint64_t d_ino; int64_t d_off; unsigned short d_reclen; unsigned char d_type; char d_name[]; };

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static const char *dt(int t) {
    return t == DT_REG ? "REG" : t == DT_DIR ? "DIR" : t == DT_LNK ? "LNK" : t == DT_FIFO ? "FIFO" : t == DT_UNKNOWN ? "UNKNOWN" : "OTHER";
}

static void list(int fd, size_t bufsz) {
    char *names[64];
    int n = 0, calls = 0;
    char *buf = malloc(bufsz);
    lseek(fd, 0, SEEK_SET);
    for (;;) {
        long r = syscall(SYS_getdents64, fd, buf, bufsz);
        if (r < 0) { printf("getdents64: %s\n", en(errno)); break; }
        if (r == 0) break;
        calls++;
        for (long off = 0; off < r;) {
            struct linux_dirent64 *d = (void *)(buf + off);
            char *e = malloc(300);
            snprintf(e, 300, "%s %s", d->d_name, dt(d->d_type));
            if (n < 64) names[n++] = e;
            off += d->d_reclen;
        }
    }
    qsort(names, n, sizeof names[0], cmp);
    printf("bufsz %zu: %d entries, multiple calls: %s\n", bufsz, n, calls > 1 ? "yes" : "no");
    for (int i = 0; i < n; i++) { printf("  %s\n", names[i]); free(names[i]); }
    free(buf);
}

int main(void) {
    setup(10);
    const char *dir = "/tmp/husk-getdents";
    mkdir(dir, 0755);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    char name[64];
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof name, "file%02d", i);
        close(openat(dfd, name, O_CREAT | O_WRONLY, 0644));
    }
    mkdirat(dfd, "subdir", 0755);
    symlinkat("file00", dfd, "link");
    mkfifoat(dfd, "fifo", 0644);
    list(dfd, 32768);
    list(dfd, 64); /* forces many calls */
    char tiny[8];
    lseek(dfd, 0, SEEK_SET);
    RET("buffer too small for one entry", syscall(SYS_getdents64, dfd, tiny, sizeof tiny));
    int f = openat(dfd, "file00", O_RDONLY);
    char big[1024];
    RET("getdents64 on a file", syscall(SYS_getdents64, f, big, sizeof big));
    RET("getdents64 bad fd", syscall(SYS_getdents64, 999, big, sizeof big));
    close(f);

    for (int i = 0; i < 20; i += 2) {
        snprintf(name, sizeof name, "file%02d", i);
        unlinkat(dfd, name, 0);
    }
    close(openat(dfd, "zzz-new", O_CREAT | O_WRONLY, 0644));
    list(dfd, 4096);

    /* readdir via libc sees the same set. */
    DIR *d = opendir(dir);
    int cnt = 0;
    struct dirent *e;
    while ((e = readdir(d))) cnt++;
    closedir(d);
    printf("readdir count: %d\n", cnt);

    /* Empty directory: only . and .. */
    int sub = openat(dfd, "subdir", O_RDONLY | O_DIRECTORY);
    list(sub, 4096);
    close(sub);

    for (int i = 1; i < 20; i += 2) {
        snprintf(name, sizeof name, "file%02d", i);
        unlinkat(dfd, name, 0);
    }
    unlinkat(dfd, "zzz-new", 0);
    unlinkat(dfd, "link", 0);
    unlinkat(dfd, "fifo", 0);
    unlinkat(dfd, "subdir", AT_REMOVEDIR);
    close(dfd);
    RET("rmdir", rmdir(dir));
    return 0;
}

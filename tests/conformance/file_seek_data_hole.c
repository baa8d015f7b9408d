/* lseek SEEK_DATA and SEEK_HOLE on a fresh tmpfs (mounted in a private mount namespace
 * so the file system is the same natively and under husk): an empty file (ENXIO), a
 * fully written file (one data run, the hole at EOF), sparse files made by writing past
 * EOF and by ftruncate (page-granular data runs), offsets inside runs, at and beyond EOF
 * (ENXIO), negative offsets; a hole punched with fallocate; the file offset after each
 * call; SEEK_DATA/SEEK_HOLE on a pipe (ESPIPE) and bad whence (EINVAL). */
#include "common.h"
#include <sched.h>
#include <sys/mount.h>

#define PG 4096L

static int fd;

static void sk(const char *label, off_t off, int whence) {
    errno = 0;
    off_t r = lseek(fd, off, whence);
    if (r < 0) printf("%s: -1 %s\n", label, en(errno));
    else printf("%s: %ld (pos %ld)\n", label, (long)r, (long)lseek(fd, 0, SEEK_CUR));
}

static void runs(const char *label) {
    printf("%s:", label);
    off_t pos = 0;
    for (int i = 0; i < 16; i++) {
        off_t d = lseek(fd, pos, SEEK_DATA);
        if (d < 0) {
            printf(" end(%s)", en(errno));
            break;
        }
        off_t h = lseek(fd, d, SEEK_HOLE);
        printf(" [%ld,%ld)", (long)d, (long)h);
        pos = h;
    }
    printf("\n");
}

static int child(void) {
    if (unshare(CLONE_NEWNS) != 0) DIE("unshare");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) DIE("make private");
    char dir[] = "/tmp/seekholeXXXXXX";
    if (!mkdtemp(dir)) DIE("mkdtemp");
    if (mount("tmpfs", dir, "tmpfs", 0, "size=4m") != 0) DIE("mount tmpfs");
    if (chdir(dir) != 0) DIE("chdir");
    fd = open("f", O_RDWR | O_CREAT, 0644);
    if (fd < 0) DIE("open");

    sk("empty DATA 0", 0, SEEK_DATA);
    sk("empty HOLE 0", 0, SEEK_HOLE);

    char buf[3 * PG];
    memset(buf, 'd', sizeof buf);
    if (write(fd, buf, 100) != 100) DIE("write");
    sk("small DATA 0", 0, SEEK_DATA);
    sk("small DATA 50", 50, SEEK_DATA);
    sk("small HOLE 0", 0, SEEK_HOLE);
    sk("small HOLE 99", 99, SEEK_HOLE);
    sk("small DATA 100 (EOF)", 100, SEEK_DATA);
    sk("small HOLE 100 (EOF)", 100, SEEK_HOLE);
    sk("small DATA -1", -1, SEEK_DATA);
    sk("small HOLE -1", -1, SEEK_HOLE);

    /* Sparse: data in pages 0, 4-5, 9 (partial); holes in between. */
    if (pwrite(fd, buf, 2 * PG, 4 * PG) != 2 * PG) DIE("pwrite 4");
    if (pwrite(fd, buf, 10, 9 * PG + 5) != 10) DIE("pwrite 9");
    runs("sparse runs");
    sk("DATA from hole page 2", 2 * PG, SEEK_DATA);
    sk("HOLE from 4*PG+1", 4 * PG + 1, SEEK_HOLE);
    sk("HOLE from hole page 7", 7 * PG + 3, SEEK_HOLE);
    sk("DATA from 6*PG", 6 * PG, SEEK_DATA);
    sk("DATA inside last page", 9 * PG + 1, SEEK_DATA);
    sk("HOLE inside last page", 9 * PG + 1, SEEK_HOLE);
    sk("DATA at EOF", 9 * PG + 15, SEEK_DATA);

    if (ftruncate(fd, 20 * PG) != 0) DIE("ftruncate");
    runs("after extending ftruncate");
    sk("DATA from 10*PG", 10 * PG, SEEK_DATA);
    sk("HOLE from 10*PG", 10 * PG, SEEK_HOLE);
    sk("DATA beyond EOF", 30 * PG, SEEK_DATA);
    sk("HOLE beyond EOF", 30 * PG, SEEK_HOLE);

    if (ftruncate(fd, 5 * PG) != 0) DIE("ftruncate shrink");
    runs("after shrinking ftruncate");

    if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4 * PG, PG) != 0)
        printf("punch: -1 %s\n", en(errno));
    runs("after punching page 4");

    if (ftruncate(fd, 0) != 0) DIE("ftruncate 0");
    if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) DIE("write full");
    runs("dense file");

    RET("bad whence 5", lseek(fd, 0, 5));
    int p[2];
    if (pipe(p) != 0) DIE("pipe");
    RET("pipe SEEK_DATA", lseek(p[0], 0, SEEK_DATA));
    RET("pipe SEEK_HOLE", lseek(p[0], 0, SEEK_HOLE));
    close(fd);
    if (chdir("/") != 0) DIE("chdir /");
    RET("umount", umount(dir));
    RET("rmdir", rmdir(dir));
    return 0;
}

int main(void) {
    setup(10);
    in_child("child", child);
    return 0;
}

/* utimensat/futimens/utimes/utime/futimesat: explicit times with nanoseconds,
 * UTIME_OMIT and UTIME_NOW on each field, NULL times (now), ctime changes, EINVAL for
 * bad tv_nsec, permission rules as another user (now needs write access or ownership:
 * EACCES; explicit times need ownership: EPERM), utimensat on an fd with a NULL path,
 * pre-epoch times, and EBADF/ENOENT/ENOTDIR errors. */
#include "common.h"
#include <sys/time.h>
#include <utime.h>

static char D[64];

static void show(const char *label, const char *p) {
    struct stat st;
    if (stat(p, &st)) { printf("%s: -1 %s\n", label, en(errno)); return; }
    printf("%s: atime %ld.%09ld mtime %ld.%09ld\n", label, (long)st.st_atim.tv_sec,
           st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

static int other(void) {
    if (setgid(65534) || setuid(65534)) return 90;
    struct timespec t[2] = {{5, 0}, {6, 0}};
    RET("  now on 0666 file (not owner)", utimensat(AT_FDCWD, "w", NULL, 0));
    RET("  UTIME_NOW both on 0666 file", utimensat(AT_FDCWD, "w", (struct timespec[2]){{0, UTIME_NOW}, {0, UTIME_NOW}}, 0));
    RET("  explicit times on 0666 file", utimensat(AT_FDCWD, "w", t, 0));
    RET("  now + omit on 0666 file", utimensat(AT_FDCWD, "w", (struct timespec[2]){{0, UTIME_NOW}, {0, UTIME_OMIT}}, 0));
    RET("  omit both on 0644 file", utimensat(AT_FDCWD, "f", (struct timespec[2]){{0, UTIME_OMIT}, {0, UTIME_OMIT}}, 0));
    RET("  now on 0644 file", utimensat(AT_FDCWD, "f", NULL, 0));
    RET("  explicit on 0644 file", utimensat(AT_FDCWD, "f", t, 0));
    RET("  utimes NULL on 0644", utimes("f", NULL));
    RET("  own file explicit", (close(open("/tmp/file_utimensat.own", O_CREAT | O_WRONLY, 0600)),
                                utimensat(AT_FDCWD, "/tmp/file_utimensat.own", t, 0)));
    unlink("/tmp/file_utimensat.own");
    return 0;
}

int main(void) {
    setup(10);
    strcpy(D, "/tmp/file_utimensat.XXXXXX");
    if (!mkdtemp(D)) DIE("mkdtemp");
    if (chdir(D)) DIE("chdir");
    chmod(D, 0777);
    int fd = open("f", O_CREAT | O_RDWR, 0644);
    if (fd < 0) DIE("create");

    struct timespec t[2] = {{1000000000, 123456789}, {1100000000, 987654321}};
    RET("utimensat explicit", utimensat(AT_FDCWD, "f", t, 0));
    show("f", "f");
    struct timespec o[2] = {{7, UTIME_OMIT}, {1200000000, 1}};
    RET("omit atime", utimensat(AT_FDCWD, "f", o, 0));
    show("f", "f");
    o[0] = (struct timespec){1300000000, 5};
    o[1] = (struct timespec){9, UTIME_OMIT};
    RET("omit mtime", utimensat(AT_FDCWD, "f", o, 0));
    show("f", "f");

    struct stat st;
    stat("f", &st);
    long long ctime0 = ns(st.st_ctim);
    sleep_ms(20);
    o[0] = (struct timespec){0, UTIME_OMIT};
    o[1] = (struct timespec){0, UTIME_OMIT};
    RET("omit both", utimensat(AT_FDCWD, "f", o, 0));
    stat("f", &st);
    YN("ctime unchanged by omit both", ns(st.st_ctim) == ctime0);
    o[1] = (struct timespec){1400000000, 0};
    RET("set mtime", utimensat(AT_FDCWD, "f", o, 0));
    stat("f", &st);
    YN("ctime changed", ns(st.st_ctim) > ctime0);

    long long before = now_ns(CLOCK_REALTIME);
    o[0] = (struct timespec){0, UTIME_NOW};
    o[1] = (struct timespec){0, UTIME_OMIT};
    RET("UTIME_NOW atime", utimensat(AT_FDCWD, "f", o, 0));
    stat("f", &st);
    YN("atime is now", ns(st.st_atim) >= before - 20000000LL);
    printf("mtime kept: %ld\n", (long)st.st_mtime);
    RET("NULL times", utimensat(AT_FDCWD, "f", NULL, 0));
    stat("f", &st);
    YN("mtime is now", ns(st.st_mtim) >= before - 20000000LL);
    YN("atime == mtime", ns(st.st_atim) == ns(st.st_mtim));

    /* futimens and NULL path */
    t[0] = (struct timespec){2000000000, 42};
    t[1] = (struct timespec){2000000001, 43};
    RET("futimens", futimens(fd, t));
    show("f", "f");
    t[1].tv_nsec = 44;
    RET("utimensat fd NULL path", syscall(SYS_utimensat, fd, NULL, t, 0));
    show("f", "f");
    RET("utimensat fd NULL path AT_SYMLINK_NOFOLLOW", syscall(SYS_utimensat, fd, NULL, t, AT_SYMLINK_NOFOLLOW));
    RET("utimensat AT_FDCWD NULL path", syscall(SYS_utimensat, AT_FDCWD, NULL, t, 0));
    int ro = open("f", O_RDONLY);
    RET("futimens on O_RDONLY fd (owner)", futimens(ro, t));
    close(ro);
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    RET("futimens on dir", futimens(dfd, t));
    close(dfd);
    t[0] = (struct timespec){-100, 500};
    RET("pre-epoch time", utimensat(AT_FDCWD, "f", t, 0));
    show("f", "f");

    /* Legacy calls. */
    struct timeval tv[2] = {{1500000000, 250000}, {1500000001, 999999}};
    RET("utimes", utimes("f", tv));
    show("f", "f");
    tv[0].tv_usec = 1000000;
    RET("utimes bad usec", utimes("f", tv));
    struct utimbuf ub = {1600000000, 1600000001};
    RET("utime", utime("f", &ub));
    show("f", "f");
    tv[0].tv_usec = 0;
    RET("futimesat", syscall(SYS_futimesat, AT_FDCWD, "f", tv));
    show("f", "f");

    /* Errors */
    t[0] = (struct timespec){0, 1000000000};
    RET("nsec too big", utimensat(AT_FDCWD, "f", t, 0));
    t[0] = (struct timespec){0, -1};
    RET("nsec negative", utimensat(AT_FDCWD, "f", t, 0));
    t[0] = (struct timespec){0, UTIME_OMIT};
    t[1] = (struct timespec){0, 1000000000};
    RET("mtime nsec bad with atime omit", utimensat(AT_FDCWD, "f", t, 0));
    RET("missing file", utimensat(AT_FDCWD, "nope", NULL, 0));
    RET("through file", utimensat(AT_FDCWD, "f/x", NULL, 0));
    RET("bad fd", futimens(999, NULL));
    RET("bad dirfd relative", utimensat(999, "f", NULL, 0));
    struct timespec *volatile badp = (struct timespec *)8;
    RET("bad times pointer", utimensat(AT_FDCWD, "f", badp, 0));

    /* As another user. */
    int w = open("w", O_CREAT | O_RDWR, 0666);
    fchmod(w, 0666);
    close(w);
    in_child("other user", other);

    close(fd);
    unlink("f");
    unlink("w");
    chdir("/");
    RET("rmdir tmpdir", rmdir(D));
    return 0;
}

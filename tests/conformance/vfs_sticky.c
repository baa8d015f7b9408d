/* Sticky directories (mode 01777): another user may not unlink, rmdir or rename
 * entries it does not own (EPERM), nor rename over them; the file owner and the
 * directory owner may; without the sticky bit any user with write access may.
 * Also EACCES for unlink in a directory without write permission. Users are
 * switched in forked children (setuid). */
#include "common.h"

static char D[64];

static int as(uid_t u) {
    return setgid(u) == 0 && setuid(u) == 0 ? 0 : -1;
}

static int user_a(void) {
    if (as(1000)) return 90;
    close(open("st/a1", O_CREAT | O_WRONLY, 0666));
    close(open("st/a2", O_CREAT | O_WRONLY, 0666));
    close(open("st/a3", O_CREAT | O_WRONLY, 0666));
    mkdir("st/adir", 0777);
    close(open("plain/a1", O_CREAT | O_WRONLY, 0666));
    close(open("plain/a2", O_CREAT | O_WRONLY, 0666));
    return 0;
}

static int user_b(void) {
    if (as(1001)) return 90;
    RET("  B unlink A's file in sticky dir", unlink("st/a1"));
    RET("  B rmdir A's dir in sticky dir", rmdir("st/adir"));
    RET("  B rename A's file in sticky dir", rename("st/a1", "st/b-renamed"));
    close(open("st/b1", O_CREAT | O_WRONLY, 0666));
    RET("  B rename own file over A's", rename("st/b1", "st/a2"));
    RET("  B rename own file", rename("st/b1", "st/b2"));
    RET("  B unlink own file", unlink("st/b2"));
    RET("  B write A's 0666 file", ({ int fd = open("st/a3", O_WRONLY); int r = fd < 0 ? -1 : (int)write(fd, "b", 1); if (fd >= 0) close(fd); r; }));
    RET("  B unlink root's file", unlink("st/rootf"));
    RET("  B unlink A's file in plain dir", unlink("plain/a1"));
    RET("  B rename A's file in plain dir", rename("plain/a2", "plain/b2"));
    RET("  B unlink in read-only dir", unlink("ro/f"));
    RET("  B create in read-only dir", open("ro/g", O_CREAT | O_WRONLY, 0644));
    RET("  B rename out of read-only dir", rename("ro/f", "st/from-ro"));
    return 0;
}

static int user_a_again(void) {
    if (as(1000)) return 90;
    RET("  A unlink own file in sticky dir", unlink("st/a1"));
    RET("  A rmdir own dir", rmdir("st/adir"));
    RET("  A rename own file", rename("st/a3", "st/a3-renamed"));
    return 0;
}

static int dir_owner(void) {
    /* uid 1002 owns the sticky dir "st2". */
    if (as(1002)) return 90;
    RET("  dir owner unlink A's file", unlink("st2/a"));
    return 0;
}

static int user_a_st2(void) {
    if (as(1000)) return 90;
    close(open("st2/a", O_CREAT | O_WRONLY, 0644));
    return 0;
}

int main(void) {
    setup(10);
    strcpy(D, "/tmp/vfs_sticky.XXXXXX");
    if (!mkdtemp(D)) DIE("mkdtemp");
    if (chdir(D)) DIE("chdir");
    chmod(D, 0755);
    mkdir("st", 0777);
    chmod("st", 01777);
    mkdir("plain", 0777);
    chmod("plain", 0777);
    mkdir("ro", 0755);
    close(open("ro/f", O_CREAT | O_WRONLY, 0666));
    close(open("st/rootf", O_CREAT | O_WRONLY, 0666));
    mkdir("st2", 0777);
    chown("st2", 1002, 1002);
    chmod("st2", 01777);
    struct stat st;
    stat("st", &st);
    printf("sticky mode: %o\n", st.st_mode & 07777);

    in_child("A creates", user_a);
    in_child("B", user_b);
    in_child("A again", user_a_again);
    in_child("A in st2", user_a_st2);
    in_child("st2 owner", dir_owner);
    RET("root unlink A's file in sticky dir", unlink("st/a2"));
    RET("a3-renamed exists", access("st/a3-renamed", F_OK));

    const char *f[] = {"st/a3-renamed", "st/rootf", "st/b-renamed", "st/from-ro", "plain/a1",
                       "plain/a2", "plain/b2", "ro/f", "st2/a"};
    for (unsigned i = 0; i < sizeof f / sizeof *f; i++) unlink(f[i]);
    rmdir("st/adir");
    rmdir("st");
    rmdir("st2");
    rmdir("plain");
    rmdir("ro");
    chdir("/");
    RET("rmdir tmpdir", rmdir(D));
    return 0;
}

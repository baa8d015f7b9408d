/* inotify watch flags: IN_EXCL_UNLINK (no events for children after their unlink),
 * IN_ONLYDIR (ENOTDIR), IN_DONT_FOLLOW (watch the link itself), IN_MASK_ADD (or-ing
 * into an existing watch) vs replacing, IN_MASK_CREATE (EEXIST; EINVAL with
 * IN_MASK_ADD), IN_ONESHOT (one event then IN_IGNORED), the same inode through two
 * paths sharing one wd, IN_MOVED_FROM/IN_MOVED_TO cookies pairing across directories,
 * IN_MOVE_SELF, and errors (EBADF, EINVAL on a non-inotify fd or bad wd). */
#include "common.h"
#include <sys/inotify.h>

static char D[64];
static int in;

static const char *mname(uint32_t m) {
    static char b[256];
    b[0] = 0;
    const struct { uint32_t bit; const char *n; } t[] = {
        {IN_ACCESS, "ACCESS"}, {IN_MODIFY, "MODIFY"}, {IN_ATTRIB, "ATTRIB"},
        {IN_CLOSE_WRITE, "CLOSE_WRITE"}, {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"}, {IN_OPEN, "OPEN"},
        {IN_MOVED_FROM, "MOVED_FROM"}, {IN_MOVED_TO, "MOVED_TO"}, {IN_CREATE, "CREATE"},
        {IN_DELETE, "DELETE"}, {IN_DELETE_SELF, "DELETE_SELF"}, {IN_MOVE_SELF, "MOVE_SELF"},
        {IN_IGNORED, "IGNORED"}, {IN_ISDIR, "ISDIR"}, {IN_Q_OVERFLOW, "OVERFLOW"}};
    for (unsigned i = 0; i < sizeof t / sizeof *t; i++)
        if (m & t[i].bit) { strcat(b, b[0] ? "|" : ""); strcat(b, t[i].n); }
    return b;
}

/* Reads and prints all queued events; cookies are shown as pairs ("c1" the same). */
static void drain(const char *label) {
    char buf[4096] __attribute__((aligned(8)));
    uint32_t cookies[16];
    int nc = 0;
    printf("%s:\n", label);
    for (;;) {
        long n = read(in, buf, sizeof buf);
        if (n <= 0) break;
        for (long p = 0; p < n;) {
            struct inotify_event *e = (void *)(buf + p);
            int c = 0;
            if (e->cookie) {
                for (c = 0; c < nc && cookies[c] != e->cookie; c++) {
                }
                if (c == nc && nc < 16) cookies[nc++] = e->cookie;
                c++;
            }
            printf("  wd %d %s%s%s", e->wd, mname(e->mask), e->len ? " " : "", e->len ? e->name : "");
            if (c) printf(" cookie#%d", c);
            printf("\n");
            p += sizeof *e + e->len;
        }
    }
}

static void touch(const char *p) { close(open(p, O_CREAT | O_WRONLY, 0644)); }

int main(void) {
    setup(10);
    strcpy(D, "/tmp/vfs_inotify_flags.XXXXXX");
    if (!mkdtemp(D)) DIE("mkdtemp");
    if (chdir(D)) DIE("chdir");
    mkdir("a", 0755);
    mkdir("b", 0755);
    touch("a/f");
    touch("a/g");
    in = inotify_init1(IN_NONBLOCK);
    if (in < 0) DIE("inotify_init1");

    /* IN_EXCL_UNLINK */
    int fd_f = open("a/f", O_RDWR);
    int fd_g = open("a/g", O_RDWR);
    int w1 = inotify_add_watch(in, "a", IN_MODIFY | IN_DELETE | IN_CLOSE_WRITE | IN_EXCL_UNLINK);
    printf("watch a: %d\n", w1);
    unlink("a/f");
    unlink("a/g");
    write(fd_f, "x", 1);
    write(fd_g, "x", 1);
    close(fd_f);
    drain("excl_unlink on: after unlink, write, close");
    RET("replace mask without EXCL_UNLINK", inotify_add_watch(in, "a", IN_MODIFY | IN_CLOSE_WRITE));
    write(fd_g, "y", 1);
    close(fd_g);
    drain("excl_unlink off: write and close of unlinked child");

    /* IN_ONLYDIR / IN_DONT_FOLLOW */
    touch("file");
    symlink("a", "lnk");
    RET("IN_ONLYDIR on file", inotify_add_watch(in, "file", IN_ATTRIB | IN_ONLYDIR));
    int wl = inotify_add_watch(in, "lnk", IN_ATTRIB | IN_ONLYDIR);
    printf("IN_ONLYDIR through symlink to dir: same wd as a: %s\n", wl == w1 ? "yes" : "no");
    RET("IN_ONLYDIR|IN_DONT_FOLLOW on symlink", inotify_add_watch(in, "lnk", IN_ATTRIB | IN_ONLYDIR | IN_DONT_FOLLOW));
    int wsl = inotify_add_watch(in, "lnk", IN_ATTRIB | IN_DONT_FOLLOW);
    printf("IN_DONT_FOLLOW watch differs from a: %s\n", wsl != w1 && wsl > 0 ? "yes" : "no");
    struct timespec ts[2] = {{1, 0}, {1, 0}};
    utimensat(AT_FDCWD, "lnk", ts, AT_SYMLINK_NOFOLLOW);
    drain("attrib on the symlink itself");
    inotify_rm_watch(in, wsl);
    drain("after rm_watch");

    /* IN_MASK_ADD / IN_MASK_CREATE */
    int wf = inotify_add_watch(in, "file", IN_ATTRIB);
    RET("IN_MASK_CREATE on watched", inotify_add_watch(in, "file", IN_MODIFY | IN_MASK_CREATE));
    RET("IN_MASK_ADD|IN_MASK_CREATE", inotify_add_watch(in, "file", IN_MODIFY | IN_MASK_ADD | IN_MASK_CREATE));
    printf("IN_MASK_ADD same wd: %s\n", inotify_add_watch(in, "file", IN_MODIFY | IN_MASK_ADD) == wf ? "yes" : "no");
    chmod("file", 0600);
    int fd = open("file", O_WRONLY);
    write(fd, "z", 1);
    close(fd);
    drain("attrib + modify after MASK_ADD");
    inotify_add_watch(in, "file", IN_MODIFY);
    chmod("file", 0644);
    fd = open("file", O_WRONLY);
    write(fd, "z", 1);
    close(fd);
    drain("modify only after replacing");
    RET("IN_MASK_CREATE on new", inotify_add_watch(in, "b", IN_CREATE | IN_MASK_CREATE) > 0 ? 0 : -1);

    /* Two paths to one inode share a watch. */
    link("file", "hard");
    printf("hard link same wd: %s\n", inotify_add_watch(in, "hard", IN_MODIFY) == wf ? "yes" : "no");

    /* IN_ONESHOT */
    inotify_add_watch(in, "file", IN_ATTRIB | IN_ONESHOT);
    chmod("file", 0600);
    chmod("file", 0644);
    drain("oneshot: two chmods");

    /* Moves: cookies pair FROM and TO, across directories. */
    touch("a/m1");
    touch("a/m2");
    int wm = inotify_add_watch(in, "a/m1", IN_MOVE_SELF);
    printf("watch m1: %s\n", wm > 0 ? "ok" : "failed");
    inotify_add_watch(in, "a", IN_MOVE | IN_CREATE | IN_DELETE);
    rename("a/m1", "b/m1");
    rename("a/m2", "a/m3");
    mkdir("a/sub", 0755);
    rename("a/sub", "b/sub");
    drain("moves");

    /* Errors */
    RET("add_watch bad fd", inotify_add_watch(999, "a", IN_ALL_EVENTS));
    RET("add_watch non-inotify fd", inotify_add_watch(0, "a", IN_ALL_EVENTS));
    RET("add_watch no events", inotify_add_watch(in, "a", IN_ONLYDIR));
    RET("add_watch missing", inotify_add_watch(in, "nope", IN_ALL_EVENTS));
    RET("rm_watch bad wd", inotify_rm_watch(in, 12345));
    RET("rm_watch twice", (inotify_rm_watch(in, wf), inotify_rm_watch(in, wf)));
    drain("after rm_watch of file");
    RET("inotify_init1 bad flags", inotify_init1(0x1));
    close(in);

    unlink("b/m1");
    unlink("a/m3");
    rmdir("b/sub");
    unlink("file");
    unlink("hard");
    unlink("lnk");
    rmdir("a");
    rmdir("b");
    chdir("/");
    RET("rmdir tmpdir", rmdir(D));
    return 0;
}

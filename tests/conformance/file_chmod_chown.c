/* chmod/fchmod/chown semantics: file type bits ignored, EPERM for non-owners, the
 * setgid bit silently dropped by chmod from a non-member, setuid/setgid cleared by a
 * non-root write and truncate and by chown (also chown -1 -1), group-exec rule for
 * setgid, directories keep their bits, setgid directories pass their group (and the
 * bit to subdirectories), chown/chgrp as a non-root owner (EPERM for other ids). */
#include "common.h"
#include <grp.h>

static char D[64];

static void mode(const char *label, const char *p) {
    struct stat st;
    if (stat(p, &st)) printf("%s: -1 %s\n", label, en(errno));
    else printf("%s: %o uid %d gid %d\n", label, st.st_mode & 07777, st.st_uid, st.st_gid);
}

static int user1(void) {
    /* uid 1000, gid 1000, supplementary group 1001. */
    gid_t g[1] = {1001};
    if (setgroups(1, g) || setgid(1000) || setuid(1000)) return 90;
    RET("  chmod root's file", chmod("rootfile", 0777));
    RET("  chown root's file to self", chown("rootfile", 1000, 1000));
    RET("  create own file", (close(open("own", O_CREAT | O_WRONLY, 0644)), 0));
    mode("  own", "own");
    RET("  chmod own 02755 (gid 1000 is mine)", chmod("own", 02755));
    mode("  own", "own");
    RET("  chgrp own to supplementary 1001", chown("own", -1, 1001));
    mode("  own", "own");
    RET("  chgrp own to foreign 2000", chown("own", -1, 2000));
    RET("  chown own to other uid", chown("own", 2000, -1));
    RET("  chown own to self uid (no-op)", chown("own", 1000, -1));
    RET("  chmod sgidfile 02755 (group 3000 not mine)", chmod("sgidfile", 02755));
    mode("  sgidfile", "sgidfile");
    RET("  chmod 06777 on suidfile", chmod("suidfile", 06777));
    int fd = open("suidfile", O_WRONLY);
    RET("  write to 06777 file", write(fd, "x", 1));
    close(fd);
    mode("  suidfile after write", "suidfile");
    chmod("suidfile", 06767);
    fd = open("suidfile", O_WRONLY);
    RET("  write to 06767 file", write(fd, "x", 1));
    close(fd);
    mode("  suidfile after write (no group x)", "suidfile");
    chmod("suidfile", 06777);
    RET("  truncate 06777 file", truncate("suidfile", 0));
    mode("  suidfile after truncate", "suidfile");
    chmod("suidfile", 06777);
    fd = open("suidfile", O_WRONLY);
    RET("  zero-length write", write(fd, "", 0));
    close(fd);
    mode("  suidfile after empty write", "suidfile");
    RET("  mkdir in setgid dir", mkdir("sgd/sub", 0755));
    mode("  sgd/sub", "sgd/sub");
    RET("  create in setgid dir", (close(open("sgd/f", O_CREAT | O_WRONLY, 02755)), 0));
    mode("  sgd/f (sgid dropped: not in group)", "sgd/f");
    return 0;
}

int main(void) {
    setup(10);
    strcpy(D, "/tmp/file_chmod_chown.XXXXXX");
    if (!mkdtemp(D)) DIE("mkdtemp");
    if (chdir(D)) DIE("chdir");
    chmod(D, 0777);
    umask(0);
    int fd = open("rootfile", O_CREAT | O_RDWR, 0644);
    if (fd < 0) DIE("create");
    RET("fchmod with type bits", fchmod(fd, S_IFDIR | 0640));
    mode("rootfile", "rootfile");
    RET("chmod 07777", chmod("rootfile", 07777));
    mode("rootfile", "rootfile");
    RET("root write keeps bits", write(fd, "a", 1));
    mode("rootfile", "rootfile");
    RET("chown -1 -1 (root)", chown("rootfile", -1, -1));
    mode("rootfile after chown -1 -1", "rootfile");
    chmod("rootfile", 07777);
    RET("chown 0 0 (same ids)", chown("rootfile", 0, 0));
    mode("rootfile after chown 0 0", "rootfile");
    chmod("rootfile", 06767);
    RET("chown to 5:5 (no group x)", chown("rootfile", 5, 5));
    mode("rootfile after chown 5:5", "rootfile");
    chown("rootfile", 0, 0);
    chmod("rootfile", 0644);
    close(fd);

    mkdir("dir", 0755);
    chmod("dir", 07755);
    RET("chown dir keeps setuid/setgid", chown("dir", 5, 5));
    mode("dir", "dir");

    close(open("sgidfile", O_CREAT | O_WRONLY, 0644));
    chown("sgidfile", 1000, 3000);
    close(open("suidfile", O_CREAT | O_WRONLY, 0666));
    chown("suidfile", 1000, 1000);
    mkdir("sgd", 0777);
    chown("sgd", 0, 4000);
    chmod("sgd", 02777);
    mode("sgd", "sgd");
    RET("root mkdir in setgid dir", mkdir("sgd/rootsub", 0700));
    mode("sgd/rootsub", "sgd/rootsub");
    in_child("user 1000", user1);
    RET("chmod missing", chmod("nope", 0644));
    RET("fchmod bad fd", fchmod(999, 0644));

    const char *f[] = {"rootfile", "own", "sgidfile", "suidfile", "sgd/f"};
    for (unsigned i = 0; i < sizeof f / sizeof *f; i++) unlink(f[i]);
    rmdir("sgd/sub");
    rmdir("sgd/rootsub");
    rmdir("sgd");
    rmdir("dir");
    chdir("/");
    RET("rmdir tmpdir", rmdir(D));
    return 0;
}

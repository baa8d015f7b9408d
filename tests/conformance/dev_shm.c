/* POSIX shared memory objects in /dev/shm: shm_open name rules (glibc + Linux: empty,
 * "/", inner slashes, "." and "..", NAME_MAX), O_CREAT|O_EXCL, O_TRUNC, the umask on
 * the mode, fstat (size, nlink, mode), ftruncate and a MAP_SHARED mapping seen by a
 * forked child and written back, the object visible as /dev/shm/NAME (stat, readdir,
 * read through a plain open), shm_unlink while mapped (data stays), O_RDONLY object
 * mapped PROT_WRITE|MAP_SHARED (EACCES), /dev/shm is a sticky tmpfs directory. */
#include "common.h"
#include <dirent.h>
#include <sys/statfs.h>

#define NAME "/husk-conf-dev-shm"

int main(void) {
    setup(10);
    shm_unlink(NAME);
    struct statfs sf;
    RET("statfs /dev/shm", statfs("/dev/shm", &sf));
    YN("tmpfs magic", sf.f_type == 0x01021994);
    struct stat st;
    RET("stat /dev/shm", stat("/dev/shm", &st));
    printf("/dev/shm mode: %o\n", st.st_mode);

    RET("empty name", shm_open("", O_RDWR | O_CREAT, 0600));
    RET("slash only", shm_open("/", O_RDWR | O_CREAT, 0600));
    RET("inner slash", shm_open("/a/b", O_RDWR | O_CREAT, 0600));
    RET("dot", shm_open(".", O_RDWR | O_CREAT, 0600));
    RET("dotdot", shm_open("/..", O_RDWR | O_CREAT, 0600));
    char longname[300];
    longname[0] = '/';
    memset(longname + 1, 'x', 256);
    longname[257] = 0;
    RET("256-byte name", shm_open(longname, O_RDWR | O_CREAT, 0600));
    RET("missing", shm_open("/husk-conf-no-such-shm", O_RDWR, 0));
    RET("unlink missing", shm_unlink("/husk-conf-no-such-shm"));

    mode_t old = umask(022);
    int fd = shm_open(NAME, O_RDWR | O_CREAT | O_EXCL, 0666);
    umask(old);
    OK("create", fd);
    if (fd < 0) return 1;
    RET("create again O_EXCL", shm_open(NAME, O_RDWR | O_CREAT | O_EXCL, 0600));
    RET("fstat", fstat(fd, &st));
    printf("mode %o size %ld nlink %ld\n", st.st_mode, (long)st.st_size, (long)st.st_nlink);
    YN("FD_CLOEXEC set", fcntl(fd, F_GETFD) & FD_CLOEXEC);
    RET("ftruncate", ftruncate(fd, 8192));
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) DIE("mmap");
    strcpy(m, "parent");
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        int cfd = shm_open(NAME, O_RDWR, 0);
        if (cfd < 0) _exit(2);
        char *cm = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
        if (cm == MAP_FAILED) _exit(3);
        if (strcmp(cm, "parent") != 0) _exit(4);
        strcpy(cm + 4096, "child");
        _exit(0);
    }
    printf("child: %s\n", wstr(wait_child(c)));
    printf("child wrote: %s\n", m + 4096);

    RET("stat /dev/shm/NAME", stat("/dev/shm" NAME, &st));
    printf("via path: mode %o size %ld\n", st.st_mode, (long)st.st_size);
    int pf = open("/dev/shm" NAME, O_RDONLY);
    OK("plain open", pf);
    char b[16] = {0};
    RET("pread", pread(pf, b, 6, 0));
    printf("content: %s\n", b);
    close(pf);
    DIR *d = opendir("/dev/shm");
    int seen = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, NAME + 1) == 0) seen = 1;
    if (d) closedir(d);
    YN("listed in /dev/shm", seen);

    int t = shm_open(NAME, O_RDWR | O_TRUNC, 0);
    OK("open O_TRUNC", t);
    RET("size after O_TRUNC", lseek(t, 0, SEEK_END));
    RET("ftruncate again", ftruncate(t, 4096));
    close(t);
    printf("mapped after truncate: \"%s\"\n", m);

    int ro = shm_open(NAME, O_RDONLY, 0);
    OK("open rdonly", ro);
    void *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
    printf("rdonly shared writable map: %s\n", w == MAP_FAILED ? en(errno) : "ok");
    w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
    printf("rdonly private writable map: %s\n", w == MAP_FAILED ? en(errno) : "ok");
    RET("ftruncate rdonly", ftruncate(ro, 0));
    close(ro);

    strcpy(m, "kept");
    RET("shm_unlink", shm_unlink(NAME));
    RET("shm_unlink again", shm_unlink(NAME));
    RET("open after unlink", shm_open(NAME, O_RDWR, 0));
    RET("fstat after unlink", fstat(fd, &st));
    printf("nlink after unlink: %ld\n", (long)st.st_nlink);
    char b2[8] = {0};
    RET("pread after unlink", pread(fd, b2, 4, 0));
    printf("data: %s\n", b2);
    munmap(m, 8192);
    close(fd);
    return 0;
}

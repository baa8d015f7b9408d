/* /dev/fd/N, /dev/stdin|stdout|stderr and /proc/self/fd: the symlinks and what they
 * point at, reopening a file through /dev/fd (new description: own offset, other
 * access mode allowed by the file's permissions), reopening a pipe end, ENOENT for
 * closed fds, /dev/fd listing; /dev/full (ENOSPC on write, zeroes on read), /dev/zero
 * mmap (private and shared), /dev/null; POSIX shared memory in /dev/shm (shm_open,
 * O_EXCL, ftruncate + mmap shared between processes, shm_unlink, ENOENT). */
#include "common.h"
#include <dirent.h>

static char D[64];

static void link_of(const char *label, const char *p) {
    char b[256];
    long n = readlink(p, b, sizeof b - 1);
    if (n < 0) { printf("%s: -1 %s\n", label, en(errno)); return; }
    b[n] = 0;
    printf("%s: %s\n", label, b);
}

int main(void) {
    setup(10);
    strcpy(D, "/tmp/vfs_dev_fd.XXXXXX");
    if (!mkdtemp(D)) DIE("mkdtemp");
    if (chdir(D)) DIE("chdir");

    link_of("/dev/fd", "/dev/fd");
    link_of("/dev/stdin", "/dev/stdin");
    link_of("/dev/stdout", "/dev/stdout");
    link_of("/dev/stderr", "/dev/stderr");
    struct stat st;
    RET("lstat /dev/fd is link", lstat("/dev/fd", &st) == 0 && S_ISLNK(st.st_mode));

    int fd = open("f", O_CREAT | O_RDWR, 0644);
    if (fd < 0 || write(fd, "hello world", 11) != 11) DIE("f");
    char p[64], b[64];
    int want = 40;
    if (dup2(fd, want) != want) DIE("dup2");
    close(fd);
    fd = want;
    snprintf(p, sizeof p, "/dev/fd/%d", fd);
    char target[256];
    long n = readlink(p, target, sizeof target - 1);
    target[n > 0 ? n : 0] = 0;
    printf("/dev/fd/40 points at our file: %s\n", n > 0 && strcmp(target + strlen(target) - 2, "/f") == 0 ? "yes" : "no");
    int r = open(p, O_RDONLY);
    RET("reopen /dev/fd/40 read-only", r >= 0 ? 0 : -1);
    RET("  new description has offset 0", lseek(r, 0, SEEK_CUR));
    RET("  original offset", lseek(fd, 0, SEEK_CUR));
    memset(b, 0, sizeof b);
    RET("  read through reopened", read(r, b, 5));
    printf("  got: %s\n", b);
    RET("  write through read-only reopen", write(r, "x", 1));
    close(r);
    fchmod(fd, 0644);
    int ro = open("f", O_RDONLY);
    snprintf(p, sizeof p, "/dev/fd/%d", ro);
    r = open(p, O_RDWR);
    RET("reopen read-only fd for writing (file allows)", r >= 0 ? 0 : -1);
    close(r);
    close(ro);
    RET("open /dev/fd/99 (closed)", open("/dev/fd/99", O_RDONLY));
    RET("stat /dev/fd/99", stat("/dev/fd/99", &st));
    RET("fstatat /proc/self/fd/40", stat("/proc/self/fd/40", &st));
    printf("  size: %ld\n", (long)st.st_size);
    RET("unlink /dev/fd/40", unlink("/dev/fd/40"));

    /* Pipes through /dev/fd */
    int pp[2];
    pipe(pp);
    snprintf(p, sizeof p, "/dev/fd/%d", pp[1]);
    int w = open(p, O_WRONLY);
    RET("open pipe write end via /dev/fd", w >= 0 ? 0 : -1);
    RET("  write", write(w, "pipe!", 5));
    memset(b, 0, sizeof b);
    RET("  read from original read end", read(pp[0], b, sizeof b));
    printf("  got: %s\n", b);
    close(w);
    n = readlink(p, target, sizeof target - 1);
    target[n > 0 ? n : 0] = 0;
    printf("pipe link starts with pipe:[: %s\n", strncmp(target, "pipe:[", 6) == 0 ? "yes" : "no");

    /* Listing /dev/fd shows our fds. */
    DIR *d = opendir("/dev/fd/");
    int has40 = 0, has_pipe = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (atoi(e->d_name) == 40) has40 = 1;
        if (atoi(e->d_name) == pp[0]) has_pipe = 1;
    }
    closedir(d);
    printf("listing has 40: %s, has pipe: %s\n", has40 ? "yes" : "no", has_pipe ? "yes" : "no");

    /* /dev/full, /dev/null, /dev/zero */
    int full = open("/dev/full", O_RDWR);
    RET("write /dev/full", write(full, "x", 1));
    memset(b, 1, 8);
    RET("read /dev/full", read(full, b, 8));
    printf("  zeroes: %s\n", b[0] == 0 && b[7] == 0 ? "yes" : "no");
    close(full);
    int null = open("/dev/null", O_RDWR);
    RET("write /dev/null", write(null, "abc", 3));
    RET("read /dev/null", read(null, b, 8));
    RET("lseek /dev/null", lseek(null, 100, SEEK_SET));
    close(null);
    int z = open("/dev/zero", O_RDWR);
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, z, 0);
    YN("mmap /dev/zero private", m != MAP_FAILED && m[0] == 0 && m[8191] == 0);
    m[0] = 5;
    munmap(m, 8192);
    volatile char *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
    YN("mmap /dev/zero shared", sh != MAP_FAILED);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        sh[10] = 42;
        _exit(0);
    }
    wait_child(c);
    printf("  shared /dev/zero page seen by parent: %d\n", sh[10]);
    close(z);

    /* POSIX shared memory */
    const char *name = "/vfs_dev_fd_shm";
    shm_unlink(name);
    int s = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    RET("shm_open create", s >= 0 ? 0 : -1);
    RET("shm_open O_EXCL again", shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600));
    RET("visible in /dev/shm", stat("/dev/shm/vfs_dev_fd_shm", &st));
    RET("ftruncate", ftruncate(s, 4096));
    int *shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0);
    fflush(stdout);
    c = fork();
    if (c == 0) {
        int s2 = shm_open(name, O_RDWR, 0);
        int *m2 = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s2, 0);
        m2[1] = 1234;
        _exit(0);
    }
    wait_child(c);
    printf("value written by child through its own shm_open: %d\n", shm[1]);
    RET("shm_unlink", shm_unlink(name));
    RET("shm_unlink again", shm_unlink(name));
    RET("shm_open after unlink", shm_open(name, O_RDWR, 0));
    printf("mapping still works: %d\n", shm[1]);
    RET("shm_open name with slash inside", shm_open("/a/b", O_CREAT | O_RDWR, 0600));
    close(s);

    close(fd);
    close(pp[0]);
    close(pp[1]);
    unlink("f");
    chdir("/");
    RET("rmdir tmpdir", rmdir(D));
    return 0;
}

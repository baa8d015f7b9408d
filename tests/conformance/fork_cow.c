/* fork copy-on-write: child writes don't show in the parent and vice versa, for the
 * stack, heap, data, private anonymous and private file mappings; shared ones do. */
#include "common.h"

static int data_var = 1;

int main(void) {
    setup(10);
    long pg = sysconf(_SC_PAGESIZE);
    int stack_var = 1;
    int *heap = malloc(1 << 20);
    heap[0] = 1;
    heap[(1 << 18) - 1] = 1;
    char *anon = mmap(NULL, 16 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(anon, 1, 16 * pg);
    int *shared = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    const char *path = "/tmp/husk-fork_cow.dat";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(fd, "original", 8);
    char *fpriv = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);

    int pa[2], pb[2];
    if (pipe(pa) || pipe(pb)) DIE("pipe");
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        char c;
        stack_var = 2; data_var = 2; heap[0] = 2; heap[(1 << 18) - 1] = 2;
        for (int i = 0; i < 16; i++) anon[i * pg] = 2;
        shared[0] = 2;
        memcpy(fpriv, "childwr", 7);
        write(pa[1], "w", 1);      /* tell the parent we wrote */
        read(pb[0], &c, 1);        /* wait until the parent wrote */
        printf("  child sees: stack=%d data=%d heap=%d,%d anon=%d shared=%d fpriv=%.7s\n", stack_var, data_var, heap[0],
               heap[(1 << 18) - 1], anon[5 * pg], shared[0], fpriv);
        _exit(0);
    }
    char c;
    read(pa[0], &c, 1);
    printf("parent sees: stack=%d data=%d heap=%d,%d anon=%d shared=%d fpriv=%.7s\n", stack_var, data_var, heap[0],
           heap[(1 << 18) - 1], anon[5 * pg], shared[0], fpriv);
    stack_var = 3; data_var = 3; heap[0] = 3; anon[5 * pg] = 3; shared[0] = 3;
    memcpy(fpriv, "parent!", 7);
    write(pb[1], "w", 1);
    wait_child(p);
    char buf[9] = {0};
    pread(fd, buf, 8, 0);
    printf("file unchanged: %s\n", buf);

    /* Many children each modifying a big private buffer: the parent's stays intact. */
    size_t big = 4 << 20;
    unsigned char *b = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (size_t i = 0; i < big; i += 512) b[i] = 7;
    for (int k = 0; k < 8; k++) {
        p = fork();
        if (p == 0) { for (size_t i = 0; i < big; i += 512) b[i] = (unsigned char)k; _exit(b[big - 512]); }
        int st = wait_child(p);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != k) printf("child %d: %s\n", k, wstr(st));
    }
    int intact = 1;
    for (size_t i = 0; i < big; i += 512) if (b[i] != 7) intact = 0;
    YN("parent buffer intact after 8 writing children", intact);
    munmap(fpriv, pg);
    close(fd);
    unlink(path);
    return 0;
}

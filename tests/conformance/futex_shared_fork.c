/* Shared futexes across fork, in MAP_SHARED anonymous memory and in a MAP_SHARED file:
 * a parent and child ping-pong through futex WAIT/WAKE; private futexes don't cross. */
#include "common.h"
#include <linux/futex.h>

#define ROUNDS 200

static void fwait(int *f, int v) {
    while (__atomic_load_n(f, __ATOMIC_SEQ_CST) == v) futex(f, FUTEX_WAIT, v, NULL, NULL, 0);
}

static void pingpong(const char *label, int *w) {
    w[0] = 0; /* turn counter */
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        for (int i = 0; i < ROUNDS; i++) {
            fwait(&w[0], 2 * i);          /* wait for the parent's move */
            __atomic_store_n(&w[0], 2 * i + 2, __ATOMIC_SEQ_CST);
            futex(&w[0], FUTEX_WAKE, 1, NULL, NULL, 0);
        }
        _exit(0);
    }
    for (int i = 0; i < ROUNDS; i++) {
        __atomic_store_n(&w[0], 2 * i + 1, __ATOMIC_SEQ_CST);
        futex(&w[0], FUTEX_WAKE, 1, NULL, NULL, 0);
        fwait(&w[0], 2 * i + 1);        /* wait for the child's move */
    }
    printf("%s: child %s, final counter %d\n", label, wstr(wait_child(p)), w[0]);
}

int main(void) {
    setup(20);
    int *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (w == MAP_FAILED) DIE("mmap");
    pingpong("shared anon", w);

    char path[] = "/tmp/husk-futex_shared_fork-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) DIE("mkstemp");
    ftruncate(fd, 4096);
    int *fw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (fw == MAP_FAILED) DIE("mmap file");
    pingpong("shared file", fw);

    /* A child blocks on a shared futex; the parent's wake count proves it was found. */
    w[1] = 0;
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        long r = futex(&w[1], FUTEX_WAIT, 0, NULL, NULL, 0);
        _exit(r == 0 ? 0 : 1);
    }
    long woken = 0;
    for (int i = 0; i < 5000 && woken == 0; i++) {
        woken = futex(&w[1], FUTEX_WAKE, 1, NULL, NULL, 0);
        if (!woken) sleep_ms(1);
    }
    printf("wake of child blocked on shared futex: %ld, child %s\n", woken, wstr(wait_child(p)));

    /* A PRIVATE wake in the parent doesn't reach a waiter in another process. */
    w[2] = 0;
    p = fork();
    if (p == 0) {
        struct timespec to = {0, 300 * 1000000L};
        long r = futex(&w[2], FUTEX_WAIT, 0, &to, NULL, 0);
        _exit(r == -1 && errno == ETIMEDOUT ? 0 : 1);
    }
    long pw = 0;
    for (int i = 0; i < 100; i++) { pw += futex(&w[2], FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0); sleep_ms(1); }
    printf("private wakes found: %ld, child (0 = timed out) %s\n", pw, wstr(wait_child(p)));

    munmap(fw, 4096);
    close(fd);
    unlink(path);
    return 0;
}

/* SEM_UNDO in depth: adjustments summed per semaphore across operations, applied when
 * the process exits (not when a thread exits), clamped at 0 when the value went lower,
 * not inherited by fork, cleared for everyone by SETVAL/SETALL, undo of a failed
 * (IPC_NOWAIT) operation not recorded, semtimedop EAGAIN on timeout with undo, a waiter
 * woken by another process's exit undo, the undo range limit (ERANGE). */
#include "common.h"
#include <pthread.h>
#include <sys/ipc.h>
#include <sys/sem.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; };

static int id;
static int getval(int n) { return semctl(id, n, GETVAL); }
static long op(int n, int d, int flg) {
    struct sembuf b = {(unsigned short)n, (short)d, (short)flg};
    return semop(id, &b, 1);
}
static void setval(int n, int v) { semctl(id, n, SETVAL, (union semun){.val = v}); }

static int child_undo_sum(void) {
    op(0, 2, SEM_UNDO);
    op(0, 3, SEM_UNDO);
    op(0, -1, SEM_UNDO);
    op(1, 1, SEM_UNDO);
    op(1, -1, SEM_UNDO); /* net 0 on sem 1 */
    return getval(0);
}
static int child_clamp(void) {
    op(0, 5, SEM_UNDO); /* undo will subtract 5 */
    return 0;
}
static int child_nowait_fail(void) {
    long r = op(0, -100, SEM_UNDO | IPC_NOWAIT); /* fails: no undo recorded */
    op(0, 1, 0);
    return r == -1 && errno == EAGAIN ? 0 : 1;
}
static void *thr(void *a) {
    (void)a;
    op(2, 4, SEM_UNDO);
    return NULL;
}
static int child_thread_exit(void) {
    pthread_t t;
    pthread_create(&t, NULL, thr, NULL);
    pthread_join(t, NULL);
    /* The thread is gone; its adjustment belongs to the process. */
    return getval(2);
}
static int child_forked_undo(void) {
    /* The parent holds an undo on sem 3; this child has none. */
    return 0;
}

int main(void) {
    setup(10);
    id = semget(IPC_PRIVATE, 4, IPC_CREAT | 0600);
    if (id < 0) DIE("semget");

    in_child("child: +2 +3 -1 on sem0, +1 -1 on sem1 (exit code = value)", child_undo_sum);
    printf("sem0 after exit: %d, sem1: %d\n", getval(0), getval(1));

    setval(0, 2);
    pid_t c = fork();
    if (c == 0) _exit(child_clamp());
    wait_child(c);
    printf("after +5 undone: %d\n", getval(0));
    /* The value drops below the adjustment before exit: clamped at 0. */
    int go[2];
    pipe(go);
    setval(0, 0);
    c = fork();
    if (c == 0) {
        op(0, 5, SEM_UNDO);
        char b;
        read(go[0], &b, 1);
        _exit(0);
    }
    while (getval(0) != 5) sleep_ms(1);
    op(0, -4, 0); /* value 1, undo wants -5 */
    write(go[1], "x", 1);
    wait_child(c);
    printf("clamped at: %d\n", getval(0));

    setval(0, 0);
    in_child("failed NOWAIT op leaves no undo", child_nowait_fail);
    printf("sem0: %d\n", getval(0));

    setval(2, 0);
    in_child("thread adjustment (exit code = value before exit)", child_thread_exit);
    printf("sem2 after process exit: %d\n", getval(2));

    /* Undo is not inherited by fork. */
    setval(3, 0);
    op(3, 7, SEM_UNDO);
    in_child("forked child exits", child_forked_undo);
    printf("sem3 after the child exited: %d\n", getval(3));

    /* SETVAL clears everyone's adjustments for that semaphore. */
    setval(0, 0);
    c = fork();
    if (c == 0) {
        op(0, 3, SEM_UNDO);
        char b;
        read(go[0], &b, 1);
        _exit(0);
    }
    while (getval(0) != 3) sleep_ms(1);
    setval(0, 10);
    write(go[1], "x", 1);
    wait_child(c);
    printf("after SETVAL cleared the undo: %d\n", getval(0));

    /* SETALL too. */
    c = fork();
    if (c == 0) {
        op(1, 2, SEM_UNDO);
        char b;
        read(go[0], &b, 1);
        _exit(0);
    }
    while (getval(1) != 2) sleep_ms(1);
    unsigned short all[4] = {1, 1, 1, 1};
    semctl(id, 0, SETALL, (union semun){.array = all});
    write(go[1], "x", 1);
    wait_child(c);
    printf("after SETALL cleared the undo: %d\n", getval(1));

    /* A waiter woken by another process's exit undo. */
    setval(2, 0);
    c = fork();
    if (c == 0) {
        op(2, 1, SEM_UNDO);
        char b;
        read(go[0], &b, 1);
        _exit(0);
    }
    while (getval(2) != 1) sleep_ms(1);
    pid_t w = fork();
    if (w == 0) {
        /* Waits for zero: satisfied only when the undo runs. */
        _exit(op(2, 0, 0) == 0 ? 0 : 1);
    }
    while (semctl(id, 2, GETZCNT) != 1) sleep_ms(1);
    write(go[1], "x", 1);
    wait_child(c);
    printf("zero-waiter: %s\n", wstr(wait_child(w)));

    /* semtimedop timing out with SEM_UNDO. */
    setval(1, 0);
    struct sembuf b = {1, -1, SEM_UNDO};
    struct timespec ts = {0, 20 * 1000000L};
    RET("semtimedop timeout", semtimedop(id, &b, 1, &ts));
    ts.tv_nsec = 0;
    RET("semtimedop zero timeout", semtimedop(id, &b, 1, &ts));
    b.sem_flg = SEM_UNDO | IPC_NOWAIT;
    RET("semop IPC_NOWAIT", semop(id, &b, 1));

    /* The adjustment range is limited to [-32767, 32767]. */
    setval(3, 0);
    b.sem_num = 3;
    b.sem_op = 30000;
    b.sem_flg = SEM_UNDO;
    RET("+30000 SEM_UNDO", semop(id, &b, 1));
    b.sem_op = -30000;
    b.sem_flg = 0;
    RET("-30000 without undo", semop(id, &b, 1));
    b.sem_op = 5000;
    b.sem_flg = SEM_UNDO;
    RET("+5000 SEM_UNDO (adjustment -35000)", semop(id, &b, 1));
    printf("sem3: %d\n", getval(3));

    RET("IPC_RMID", semctl(id, 0, IPC_RMID));
    return 0;
}

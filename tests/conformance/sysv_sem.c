/* System V semaphores: semget, semop/semtimedop (blocking, IPC_NOWAIT, SEM_UNDO),
 * semctl, and a parent/child ping-pong. */
#include "common.h"
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/time.h>

#define KEY 0x48736d32 /* "Hsm2" */

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

static int sid;

static int op(int id, int num, int val, int flg) {
    struct sembuf b = {(unsigned short)num, (short)val, (short)flg};
    return semop(id, &b, 1);
}

static int getval(int id, int num) { return semctl(id, num, GETVAL); }

/* Waits (up to 3 s) until semaphore num of id has `want` waiters of the kind `cmd`. */
static int wait_cnt(int id, int num, int cmd, int want) {
    for (int i = 0; i < 300; i++) {
        if (semctl(id, num, cmd) == want) return 1;
        sleep_ms(10);
    }
    return 0;
}

static int child_undo_inc(void) { return op(sid, 0, 3, SEM_UNDO) == 0 ? 0 : 1; }
static int child_undo_dec(void) { return op(sid, 0, -1, SEM_UNDO) == 0 ? 0 : 1; }

static int child_perm(void) {
    if (setuid(1000) != 0) return 90;
    RET("child GETVAL 0600", semctl(sid, 0, GETVAL));
    RET("child semop 0600", op(sid, 0, 1, IPC_NOWAIT));
    RET("child IPC_RMID", semctl(sid, 0, IPC_RMID));
    struct semid_ds ds;
    RET("child IPC_STAT", semctl(sid, 0, IPC_STAT, (union semun){.buf = &ds}));
    return 0;
}

static int child_perm_ro(void) {
    if (setuid(1000) != 0) return 90;
    RET("child GETVAL 0644", semctl(sid, 0, GETVAL));
    RET("child wait-for-zero 0644", op(sid, 1, 0, IPC_NOWAIT));
    RET("child SETVAL 0644", semctl(sid, 0, SETVAL, (union semun){.val = 1}));
    return 0;
}

static void on_alarm(int s) { (void)s; }

int main(void) {
    setup(30);
    int old = semget(KEY, 0, 0);
    if (old >= 0) semctl(old, 0, IPC_RMID);

    RET("semget nsems 0 private", semget(IPC_PRIVATE, 0, 0600));
    RET("semget nsems -1", semget(IPC_PRIVATE, -1, 0600));
    RET("semget missing key", semget(KEY, 1, 0600));
    int kid = semget(KEY, 2, IPC_CREAT | 0600);
    YN("semget key", kid >= 0);
    YN("semget key again", semget(KEY, 2, 0) == kid);
    YN("semget key nsems 0", semget(KEY, 0, 0) == kid);
    RET("semget key more sems", semget(KEY, 3, 0));
    RET("semget key excl", semget(KEY, 2, IPC_CREAT | IPC_EXCL | 0600));
    RET("IPC_RMID key", semctl(kid, 0, IPC_RMID));
    RET("semget after rmid", semget(KEY, 2, 0));

    int id = semget(IPC_PRIVATE, 3, 0600);
    YN("semget private", id >= 0);
    unsigned short all[3] = {9, 9, 9};
    RET("GETALL", semctl(id, 0, GETALL, (union semun){.array = all}));
    printf("all: %d %d %d\n", all[0], all[1], all[2]);
    RET("SETVAL 5", semctl(id, 0, SETVAL, (union semun){.val = 5}));
    RET("GETVAL", getval(id, 0));
    YN("GETPID after SETVAL is me", semctl(id, 0, GETPID) == getpid());
    RET("SETVAL -1", semctl(id, 0, SETVAL, (union semun){.val = -1}));
    RET("SETVAL 32768", semctl(id, 0, SETVAL, (union semun){.val = 32768}));
    RET("SETVAL 32767", semctl(id, 1, SETVAL, (union semun){.val = 32767}));
    RET("semop over SEMVMX", op(id, 1, 1, IPC_NOWAIT));
    RET("GETVAL semnum 3", semctl(id, 3, GETVAL));
    RET("GETVAL semnum -1", semctl(id, -1, GETVAL));
    unsigned short set[3] = {1, 2, 3};
    RET("SETALL", semctl(id, 0, SETALL, (union semun){.array = set}));
    RET("GETALL", semctl(id, 0, GETALL, (union semun){.array = all}));
    printf("all: %d %d %d\n", all[0], all[1], all[2]);

    struct semid_ds ds;
    RET("IPC_STAT", semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}));
    printf("nsems %lu mode %o otime zero %s\n", (unsigned long)ds.sem_nsems,
           (unsigned)ds.sem_perm.mode & 0777, ds.sem_otime == 0 ? "yes" : "no");

    /* semop errors and atomicity. */
    struct sembuf none[1];
    RET("semop nsops 0", semop(id, none, 0));
    RET("semop sem_num 5", op(id, 5, 1, 0));
    static struct sembuf many[501];
    RET("semop nsops 501", semop(id, many, 501));
    RET("semop bad id", op(0x7ffffff, 0, 1, 0));
    RET("dec below zero NOWAIT", op(id, 0, -2, IPC_NOWAIT));
    RET("wait-for-zero NOWAIT", op(id, 0, 0, IPC_NOWAIT));
    struct sembuf two[2] = {{0, 1, 0}, {2, -4, IPC_NOWAIT}};
    RET("atomic pair fails", semop(id, two, 2));
    printf("after failed pair: %d %d\n", getval(id, 0), getval(id, 2));
    struct sembuf two_ok[2] = {{0, 1, 0}, {2, -3, 0}};
    RET("atomic pair", semop(id, two_ok, 2));
    printf("after pair: %d %d\n", getval(id, 0), getval(id, 2));
    struct sembuf same[2] = {{1, -1, 0}, {1, -1, 0}};
    RET("two ops on one sem", semop(id, same, 2));
    printf("sem1: %d\n", getval(id, 1));
    RET("IPC_STAT", semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}));
    YN("otime set", ds.sem_otime != 0);
    YN("GETPID after semop is me", semctl(id, 2, GETPID) == getpid());

    /* semtimedop times out with EAGAIN. */
    struct sembuf dec = {2, -1, 0};
    struct timespec ts = {0, 50 * 1000 * 1000};
    long long t0 = now_ns(CLOCK_MONOTONIC);
    RET("semtimedop timeout", semtimedop(id, &dec, 1, &ts));
    YN("waited >= 45ms", now_ns(CLOCK_MONOTONIC) - t0 >= 45000000LL);
    struct timespec bad = {0, 2000000000L};
    RET("semtimedop bad timeout", semtimedop(id, &dec, 1, &bad));

    /* A signal interrupts semop with EINTR even with SA_RESTART. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    RET("semop interrupted", op(id, 2, -1, 0));
    alarm(30);

    /* GETNCNT / GETZCNT with blocked children. */
    sid = id;
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) _exit(op(id, 2, -1, 0) == 0 ? 0 : 1);
    YN("GETNCNT reaches 1", wait_cnt(id, 2, GETNCNT, 1));
    RET("GETZCNT", semctl(id, 2, GETZCNT));
    RET("post", op(id, 2, 1, 0));
    printf("waiter: %s\n", wstr(wait_child(c)));
    RET("GETNCNT", semctl(id, 2, GETNCNT));
    YN("GETPID is the child", semctl(id, 2, GETPID) == c);

    RET("SETVAL 1", semctl(id, 1, SETVAL, (union semun){.val = 1}));
    fflush(stdout);
    c = fork();
    if (c == 0) _exit(op(id, 1, 0, 0) == 0 ? 0 : 1);
    YN("GETZCNT reaches 1", wait_cnt(id, 1, GETZCNT, 1));
    RET("GETNCNT", semctl(id, 1, GETNCNT));
    RET("take", op(id, 1, -1, 0));
    printf("zero waiter: %s\n", wstr(wait_child(c)));

    /* SEM_UNDO at exit. */
    RET("SETVAL 0", semctl(id, 0, SETVAL, (union semun){.val = 0}));
    in_child("undo +3 child", child_undo_inc);
    printf("after undo of +3: %d\n", getval(id, 0));
    RET("SETVAL 2", semctl(id, 0, SETVAL, (union semun){.val = 2}));
    in_child("undo -1 child", child_undo_dec);
    printf("after undo of -1: %d\n", getval(id, 0));
    /* The undo would take the value below zero: it is clamped. */
    fflush(stdout);
    c = fork();
    if (c == 0) {
        op(id, 0, 1, SEM_UNDO);              /* 3, adj -1 */
        semctl(id, 0, SETVAL, (union semun){.val = 0}); /* clears adjustments */
        op(id, 0, 2, SEM_UNDO);              /* 2, adj -2 */
        semctl(id, 0, SETVAL, (union semun){.val = 1}); /* clears again */
        op(id, 0, 1, SEM_UNDO);              /* 2, adj -1 */
        semctl(id, 0, SETVAL, (union semun){.val = 0}); /* cleared */
        _exit(0);
    }
    printf("child: %s\n", wstr(wait_child(c)));
    printf("after cleared undo: %d\n", getval(id, 0));

    /* Ping-pong between parent and child on two semaphores. */
    int pp = semget(IPC_PRIVATE, 2, 0600);
    if (pp < 0) DIE("semget");
    fflush(stdout);
    c = fork();
    if (c == 0) {
        for (int i = 0; i < 5; i++) {
            if (op(pp, 0, -1, 0) != 0) _exit(1);
            printf("child %d\n", i);
            if (op(pp, 1, 1, 0) != 0) _exit(2);
        }
        _exit(0);
    }
    for (int i = 0; i < 5; i++) {
        printf("parent %d\n", i);
        if (op(pp, 0, 1, 0) != 0) DIE("post");
        if (op(pp, 1, -1, 0) != 0) DIE("wait");
    }
    printf("ping-pong child: %s\n", wstr(wait_child(c)));

    /* IPC_RMID wakes waiters with EIDRM. */
    fflush(stdout);
    c = fork();
    if (c == 0) {
        int r = op(pp, 0, -1, 0);
        _exit(r == -1 && errno == EIDRM ? 0 : 1);
    }
    YN("waiter blocked", wait_cnt(pp, 0, GETNCNT, 1));
    RET("IPC_RMID", semctl(pp, 0, IPC_RMID));
    printf("EIDRM child: %s\n", wstr(wait_child(c)));
    RET("GETVAL removed", semctl(pp, 0, GETVAL));
    RET("semop removed", op(pp, 0, 1, 0));

    /* Permissions. */
    in_child("perm child", child_perm);
    RET("IPC_STAT", semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}));
    ds.sem_perm.mode = 0644;
    RET("IPC_SET 0644", semctl(id, 0, IPC_SET, (union semun){.buf = &ds}));
    RET("IPC_STAT", semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}));
    printf("mode %o\n", (unsigned)ds.sem_perm.mode & 0777);
    RET("SETVAL sem1 0", semctl(id, 1, SETVAL, (union semun){.val = 0}));
    in_child("perm child ro", child_perm_ro);

    RET("IPC_RMID", semctl(id, 0, IPC_RMID));
    RET("IPC_RMID again", semctl(id, 0, IPC_RMID));
    RET("semctl bad cmd", semctl(0, 0, 1234));
    return 0;
}

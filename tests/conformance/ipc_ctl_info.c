/* System V *ctl information commands: IPC_INFO/SHM_INFO/SEM_INFO/MSG_INFO (highest
 * index in use, counts, limits as relations), SHM_STAT/SEM_STAT/MSG_STAT and the
 * *_STAT_ANY variants by index (they return the full id), EINVAL for an unused index,
 * SHM_LOCK/SHM_UNLOCK and the SHM_LOCKED mode bit, msgrcv MSG_COPY (copy by position,
 * ENOMSG past the end, EINVAL without IPC_NOWAIT or with MSG_EXCEPT), the IPC_64 flag. */
#include "common.h"
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif
#ifndef SHM_STAT_ANY
#define SHM_STAT_ANY 15
#define SEM_STAT_ANY 20
#define MSG_STAT_ANY 13
#endif

union semun { int val; struct semid_ds *buf; unsigned short *array; struct seminfo *__buf; };

int main(void) {
    setup(10);
    int shm = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
    int sem = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    int msg = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    if (shm < 0 || sem < 0 || msg < 0) DIE("get");

    /* Shared memory. */
    struct shminfo si;
    int hi = shmctl(0, IPC_INFO, (struct shmid_ds *)&si);
    YN("IPC_INFO returns an index >= 0", hi >= 0);
    YN("shmmax >= 8192, shmmni > 0, shmseg > 0", si.shmmax >= 8192 && si.shmmni > 0 && si.shmseg > 0);
    struct shm_info sinf;
    int hi2 = shmctl(0, SHM_INFO, (struct shmid_ds *)&sinf);
    YN("SHM_INFO same index", hi2 == hi);
    YN("used_ids >= 1, shm_tot >= 2 pages", sinf.used_ids >= 1 && sinf.shm_tot >= 2);
    int idx = shm % 32768;
    YN("our index <= highest", idx <= hi);
    struct shmid_ds ds;
    YN("SHM_STAT by index returns the id", shmctl(idx, SHM_STAT, &ds) == shm);
    printf("segsz %zu\n", (size_t)ds.shm_segsz);
    YN("SHM_STAT_ANY by index returns the id", shmctl(idx, SHM_STAT_ANY, &ds) == shm);
    RET("SHM_LOCK", shmctl(shm, SHM_LOCK, NULL));
    shmctl(shm, IPC_STAT, &ds);
    YN("SHM_LOCKED set", ds.shm_perm.mode & SHM_LOCKED);
    RET("SHM_UNLOCK", shmctl(shm, SHM_UNLOCK, NULL));
    shmctl(shm, IPC_STAT, &ds);
    YN("SHM_LOCKED clear", !(ds.shm_perm.mode & SHM_LOCKED));
    /* x86-64 passes the command unparsed: IPC_64 in it is an unknown command. */
    RET("raw IPC_STAT with IPC_64", syscall(SYS_shmctl, shm, IPC_STAT | 0x100, &ds));
    RET("raw IPC_STAT without", syscall(SYS_shmctl, shm, IPC_STAT, &ds));

    /* Semaphores. */
    struct seminfo smi;
    int shi = semctl(0, 0, IPC_INFO, (union semun){.__buf = &smi});
    YN("sem IPC_INFO index >= 0", shi >= 0);
    YN("semmsl >= 3, semopm > 0, semvmx 32767", smi.semmsl >= 3 && smi.semopm > 0 && smi.semvmx == 32767);
    int shi2 = semctl(0, 0, SEM_INFO, (union semun){.__buf = &smi});
    YN("SEM_INFO same index, semusz >= 1, semaem >= 3", shi2 == shi && smi.semusz >= 1 && smi.semaem >= 3);
    struct semid_ds sds;
    int sidx = sem % 32768;
    YN("SEM_STAT by index returns the id", semctl(sidx, 0, SEM_STAT, (union semun){.buf = &sds}) == sem);
    printf("nsems %lu\n", (unsigned long)sds.sem_nsems);
    YN("SEM_STAT_ANY by index returns the id", semctl(sidx, 0, SEM_STAT_ANY, (union semun){.buf = &sds}) == sem);

    /* Message queues. */
    struct msginfo mi;
    int mhi = msgctl(0, IPC_INFO, (struct msqid_ds *)&mi);
    YN("msg IPC_INFO index >= 0", mhi >= 0);
    YN("msgmax > 0, msgmnb > 0, msgmni > 0", mi.msgmax > 0 && mi.msgmnb > 0 && mi.msgmni > 0);
    struct { long t; char x[16]; } m;
    for (int i = 0; i < 3; i++) {
        m.t = 10 + i;
        snprintf(m.x, sizeof m.x, "msg%d", i);
        msgsnd(msg, &m, 5, 0);
    }
    int mhi2 = msgctl(0, MSG_INFO, (struct msqid_ds *)&mi);
    YN("MSG_INFO same index, msgpool (queues) >= 1, msgmap (messages) >= 3, msgtql (bytes) >= 15", mhi2 == mhi && mi.msgpool >= 1 && mi.msgmap >= 3 && mi.msgtql >= 15);
    struct msqid_ds mds;
    int midx = msg % 32768;
    YN("MSG_STAT by index returns the id", msgctl(midx, MSG_STAT, &mds) == msg);
    printf("qnum %lu\n", (unsigned long)mds.msg_qnum);
    YN("MSG_STAT_ANY by index returns the id", msgctl(midx, MSG_STAT_ANY, &mds) == msg);

    /* MSG_COPY: by position, without removing. */
    memset(&m, 0, sizeof m);
    long n = msgrcv(msg, &m, sizeof m.x, 1, MSG_COPY | IPC_NOWAIT);
    printf("MSG_COPY 1: %ld type %ld \"%s\"\n", n, m.t, n > 0 ? m.x : "");
    n = msgrcv(msg, &m, sizeof m.x, 0, MSG_COPY | IPC_NOWAIT);
    printf("MSG_COPY 0: %ld type %ld \"%s\"\n", n, m.t, n > 0 ? m.x : "");
    RET("MSG_COPY 3 (past the end)", msgrcv(msg, &m, sizeof m.x, 3, MSG_COPY | IPC_NOWAIT));
    RET("MSG_COPY without IPC_NOWAIT", msgrcv(msg, &m, sizeof m.x, 0, MSG_COPY));
    RET("MSG_COPY with MSG_EXCEPT", msgrcv(msg, &m, sizeof m.x, 0, MSG_COPY | MSG_EXCEPT | IPC_NOWAIT));
    RET("MSG_COPY short buffer", msgrcv(msg, &m, 2, 0, MSG_COPY | IPC_NOWAIT));
    msgctl(msg, IPC_STAT, &mds);
    printf("qnum still %lu\n", (unsigned long)mds.msg_qnum);

    /* Unused index. */
    shmctl(shm, IPC_RMID, NULL);
    semctl(sem, 0, IPC_RMID);
    msgctl(msg, IPC_RMID, NULL);
    RET("SHM_STAT removed index", shmctl(idx, SHM_STAT, &ds));
    RET("SEM_STAT removed index", semctl(sidx, 0, SEM_STAT, (union semun){.buf = &sds}));
    RET("MSG_STAT removed index", msgctl(midx, MSG_STAT, &mds));
    RET("SHM_STAT index -1", shmctl(-1, SHM_STAT, &ds));
    return 0;
}

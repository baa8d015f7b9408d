/* System V IPC permissions, checked from a child that switched to uid 1000/gid 1000:
 * mode bits for owner/group/other on shm (shmat read-only vs read-write, IPC_STAT),
 * sem (GETVAL read, semop alter) and msg (msgsnd write, msgrcv read), IPC_SET and
 * IPC_RMID only for the owner or creator (EPERM), a segment handed to the child with
 * IPC_SET (uid change) becomes its own, keys: IPC_PRIVATE always new, IPC_CREAT
 * finding an existing object with an incompatible mode (EACCES). */
#include "common.h"
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; };

static int shm_ro, shm_rw, shm_none, sem_ro, sem_rw, msg_ro, msg_rw, shm_given;
#define KEY 0x48506d31

static const char *at(int id, int flg) {
    void *p = shmat(id, NULL, flg);
    if (p == (void *)-1) return en(errno);
    shmdt(p);
    return "ok";
}

static int child(void) {
    if (setgid(1000) || setuid(1000)) return 90;
    printf("shm 0644: attach ro %s, rw %s\n", at(shm_ro, SHM_RDONLY), at(shm_ro, 0));
    printf("shm 0666: attach ro %s, rw %s\n", at(shm_rw, SHM_RDONLY), at(shm_rw, 0));
    printf("shm 0600: attach ro %s\n", at(shm_none, SHM_RDONLY));
    struct shmid_ds ds;
    RET("shm 0600 IPC_STAT", shmctl(shm_none, IPC_STAT, &ds));
    RET("shm 0644 IPC_STAT", shmctl(shm_ro, IPC_STAT, &ds));
    RET("shm 0644 IPC_SET (not owner)", shmctl(shm_ro, IPC_SET, &ds));
    RET("shm 0666 IPC_RMID (not owner)", shmctl(shm_rw, IPC_RMID, NULL));
    RET("given shm IPC_STAT", shmctl(shm_given, IPC_STAT, &ds));
    printf("given shm: uid %u cuid %u mode %o\n", ds.shm_perm.uid, ds.shm_perm.cuid, ds.shm_perm.mode & 0777);
    ds.shm_perm.mode = 0600;
    RET("given shm IPC_SET (owner now)", shmctl(shm_given, IPC_SET, &ds));
    printf("given shm: attach rw %s\n", at(shm_given, 0));
    RET("given shm IPC_RMID", shmctl(shm_given, IPC_RMID, NULL));

    struct sembuf up = {0, 1, IPC_NOWAIT};
    RET("sem 0644 GETVAL", semctl(sem_ro, 0, GETVAL));
    RET("sem 0644 semop +1", semop(sem_ro, &up, 1));
    RET("sem 0644 SETVAL", semctl(sem_ro, 0, SETVAL, (union semun){.val = 3}));
    RET("sem 0666 semop +1", semop(sem_rw, &up, 1));
    RET("sem 0666 IPC_RMID (not owner)", semctl(sem_rw, 0, IPC_RMID));

    struct { long t; char x[8]; } m = {1, "hi"};
    RET("msg 0644 msgsnd", msgsnd(msg_ro, &m, 2, IPC_NOWAIT));
    RET("msg 0644 msgrcv", msgrcv(msg_ro, &m, 8, 0, IPC_NOWAIT));
    RET("msg 0666 msgsnd", msgsnd(msg_rw, &m, 2, IPC_NOWAIT));
    RET("msg 0666 msgrcv", msgrcv(msg_rw, &m, 8, 0, IPC_NOWAIT));
    struct msqid_ds md;
    RET("msg 0644 IPC_STAT", msgctl(msg_ro, IPC_STAT, &md));
    RET("msg 0644 IPC_SET (not owner)", msgctl(msg_ro, IPC_SET, &md));

    OK("shmget key with mode 0600 object, no access asked", shmget(KEY, 4096, 0));
    RET("shmget key asking 0644 access", shmget(KEY, 4096, 0644));
    return 0;
}

int main(void) {
    setup(10);
    shm_ro = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0644);
    shm_rw = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0666);
    shm_none = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    shm_given = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    int other = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    YN("IPC_PRIVATE gives new ids", shm_ro != shm_rw && shm_rw != other && other >= 0);
    sem_ro = semget(IPC_PRIVATE, 1, IPC_CREAT | 0644);
    sem_rw = semget(IPC_PRIVATE, 1, IPC_CREAT | 0666);
    msg_ro = msgget(IPC_PRIVATE, IPC_CREAT | 0644);
    msg_rw = msgget(IPC_PRIVATE, IPC_CREAT | 0666);
    if (shm_ro < 0 || sem_ro < 0 || msg_ro < 0) DIE("get");
    struct { long t; char x[8]; } m = {1, "x"};
    msgsnd(msg_ro, &m, 1, 0);
    struct shmid_ds ds;
    shmctl(shm_given, IPC_STAT, &ds);
    ds.shm_perm.uid = 1000;
    ds.shm_perm.gid = 1000;
    RET("IPC_SET uid 1000 on a segment", shmctl(shm_given, IPC_SET, &ds));
    int k = shmget(KEY, 4096, IPC_CREAT | IPC_EXCL | 0600);
    if (k < 0) {
        shmctl(shmget(KEY, 0, 0), IPC_RMID, NULL);
        k = shmget(KEY, 4096, IPC_CREAT | IPC_EXCL | 0600);
    }
    YN("keyed segment", k >= 0);

    in_child("child (uid 1000)", child);

    RET("sem 0666 value after child", semctl(sem_rw, 0, GETVAL));
    RET("sem 0644 value after child", semctl(sem_ro, 0, GETVAL));
    RET("given segment gone", shmctl(shm_given, IPC_STAT, &ds));
    RET("root may IPC_RMID any", shmctl(shm_rw, IPC_RMID, NULL));
    shmctl(shm_ro, IPC_RMID, NULL);
    shmctl(shm_none, IPC_RMID, NULL);
    shmctl(other, IPC_RMID, NULL);
    shmctl(k, IPC_RMID, NULL);
    semctl(sem_ro, 0, IPC_RMID);
    semctl(sem_rw, 0, IPC_RMID);
    msgctl(msg_ro, IPC_RMID, NULL);
    msgctl(msg_rw, IPC_RMID, NULL);
    return 0;
}

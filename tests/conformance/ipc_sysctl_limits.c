/* The IPC namespace's tunables in /proc/sys/kernel (what an OCI config's linux.sysctl
 * sets): in a forked child that unshares CLONE_NEWIPC, a new namespace starts with the
 * defaults; shmmax, shmall, shmmni, msgmax, msgmnb, msgmni and sem written by root are
 * read back and enforced by shmget, msgget, msgsnd, semget, semop and the IPC_INFO
 * commands; bad values (negative, garbage, past IPCMNI) are EINVAL and change nothing,
 * a SEMMNI past IPCMNI is ERANGE (the other three fields are set); a partial sem write
 * sets the first fields. The parent's namespace is unaffected. */
#include "common.h"
#include <sched.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; struct seminfo *__buf; };

static void readproc(const char *name) {
    char path[64], b[128];
    snprintf(path, sizeof path, "/proc/sys/kernel/%s", name);
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("%s: open -1 %s\n", name, en(errno));
        return;
    }
    ssize_t n = read(fd, b, sizeof b - 1);
    close(fd);
    if (n < 0) {
        printf("%s: read -1 %s\n", name, en(errno));
        return;
    }
    b[n] = 0;
    printf("%s: %s", name, b);
}

static long writeproc(const char *name, const char *s) {
    char path[64];
    snprintf(path, sizeof path, "/proc/sys/kernel/%s", name);
    int fd = open(path, O_WRONLY);
    if (fd < 0) return -1;
    long n = write(fd, s, strlen(s));
    int e = errno;
    close(fd);
    errno = e;
    return n;
}

static void readback(void) {
    const char *names[] = {"shmmax", "shmall", "shmmni", "msgmax", "msgmnb", "msgmni", "sem"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) readproc(names[i]);
}

static int child(void) {
    RET("unshare NEWIPC", unshare(CLONE_NEWIPC));
    readback();

    /* Shared memory. */
    RET("write shmmax 4096", writeproc("shmmax", "4096\n"));
    RET("shmget 8192 over shmmax", shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600));
    int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    YN("shmget 4096 ok", id >= 0);
    shmctl(id, IPC_RMID, NULL);
    struct shminfo si;
    shmctl(0, IPC_INFO, (struct shmid_ds *)&si);
    printf("IPC_INFO shmmax %lu\n", (unsigned long)si.shmmax);
    RET("write shmmax -1", writeproc("shmmax", "-1"));
    RET("write shmmax garbage", writeproc("shmmax", "12abc"));
    RET("write shmmax hex", writeproc("shmmax", "0x4000"));
    readproc("shmmax");
    RET("write shmall 1", writeproc("shmall", "1"));
    RET("shmget 2 pages over shmall", shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600));
    RET("write shmall back", writeproc("shmall", "1000000"));
    RET("write shmmni 0", writeproc("shmmni", "0"));
    RET("shmget with shmmni 0", shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600));
    RET("write shmmni 40000", writeproc("shmmni", "40000"));
    RET("write shmmni 4096", writeproc("shmmni", "4096"));

    /* Message queues. */
    RET("write msgmni 40000", writeproc("msgmni", "40000"));
    RET("write msgmni 0", writeproc("msgmni", "0"));
    RET("msgget with msgmni 0", msgget(IPC_PRIVATE, IPC_CREAT | 0600));
    RET("write msgmni 16", writeproc("msgmni", "16"));
    RET("write msgmax 16", writeproc("msgmax", "16"));
    RET("write msgmnb 100", writeproc("msgmnb", "100"));
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    YN("msgget ok", q >= 0);
    struct {
        long t;
        char b[64];
    } m = {1, {0}};
    RET("msgsnd 32 over msgmax", msgsnd(q, &m, 32, IPC_NOWAIT));
    RET("msgsnd 16", msgsnd(q, &m, 16, IPC_NOWAIT));
    struct msqid_ds qd;
    msgctl(q, IPC_STAT, &qd);
    printf("msg_qbytes %lu\n", (unsigned long)qd.msg_qbytes);
    struct msginfo mi;
    msgctl(0, IPC_INFO, (struct msqid_ds *)&mi);
    printf("IPC_INFO msgmax %d msgmnb %d msgmni %d\n", mi.msgmax, mi.msgmnb, mi.msgmni);
    msgctl(q, IPC_RMID, NULL);
    RET("write msgmax -5", writeproc("msgmax", "-5"));

    /* Semaphores. */
    RET("write sem", writeproc("sem", "250 32000 2 128"));
    int s = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    YN("semget ok", s >= 0);
    struct sembuf ops[3] = {{0, 1, 0}, {0, 1, 0}, {0, 1, 0}};
    RET("semop 3 over semopm", semop(s, ops, 3));
    RET("semop 2", semop(s, ops, 2));
    semctl(s, 0, IPC_RMID);
    RET("semget 251 over semmsl", semget(IPC_PRIVATE, 251, IPC_CREAT | 0600));
    struct seminfo smi;
    semctl(0, 0, IPC_INFO, (union semun){.__buf = &smi});
    printf("IPC_INFO semmsl %d semmns %d semopm %d semmni %d\n", smi.semmsl, smi.semmns,
           smi.semopm, smi.semmni);
    RET("write sem semmni 99999", writeproc("sem", "1 2 3 99999"));
    readproc("sem");
    RET("write sem one field", writeproc("sem", "5"));
    readproc("sem");
    RET("write sem garbage", writeproc("sem", "x"));
    readproc("sem");
    readback();
    return 0;
}

int main(void) {
    setup(10);
    char before[128] = {0}, after[128] = {0};
    int fd = open("/proc/sys/kernel/shmmax", O_RDONLY);
    if (fd < 0 || read(fd, before, sizeof before - 1) < 0) DIE("read shmmax");
    close(fd);
    in_child("child", child);
    fd = open("/proc/sys/kernel/shmmax", O_RDONLY);
    if (fd < 0 || read(fd, after, sizeof after - 1) < 0) DIE("read shmmax");
    close(fd);
    YN("parent shmmax unchanged", strcmp(before, after) == 0);
    return 0;
}

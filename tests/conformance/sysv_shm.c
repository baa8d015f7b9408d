/* System V shared memory: shmget, shmat, shmdt, shmctl; attachments across fork. */
#include "common.h"
#include <sys/ipc.h>
#include <sys/shm.h>

#define KEY 0x48736d31 /* "Hsm1" */

static int stat_of(int id, struct shmid_ds *ds) { return shmctl(id, IPC_STAT, ds); }

static long nattch(int id) {
    struct shmid_ds ds;
    if (stat_of(id, &ds) != 0) return -1000 - errno;
    return (long)ds.shm_nattch;
}

static int g_id;

static int child_perm(void) {
    if (setuid(1000) != 0) return 90;
    struct shmid_ds ds;
    errno = 0;
    void *p = shmat(g_id, NULL, 0);
    printf("child shmat 0600 as uid 1000: %s\n", p == (void *)-1 ? en(errno) : "ok");
    RET("child IPC_STAT", shmctl(g_id, IPC_STAT, &ds));
    RET("child IPC_RMID", shmctl(g_id, IPC_RMID, NULL));
    return 0;
}

int main(void) {
    setup(20);
    /* Leftovers from an interrupted earlier run. */
    int old = shmget(KEY, 0, 0);
    if (old >= 0) shmctl(old, IPC_RMID, NULL);

    RET("shmget private size 0", shmget(IPC_PRIVATE, 0, 0600));
    RET("shmget missing key", shmget(KEY, 4096, 0600));
    int id = shmget(KEY, 10000, IPC_CREAT | 0600);
    YN("shmget create", id >= 0);
    YN("shmget same key", shmget(KEY, 4096, 0600) == id);
    YN("shmget size 0 finds it", shmget(KEY, 0, 0) == id);
    RET("shmget excl", shmget(KEY, 4096, IPC_CREAT | IPC_EXCL | 0600));
    RET("shmget bigger", shmget(KEY, 20000, 0600));

    struct shmid_ds ds;
    RET("IPC_STAT", stat_of(id, &ds));
    printf("segsz %lu mode %o nattch %lu key ok %s cpid ok %s\n", (unsigned long)ds.shm_segsz,
           (unsigned)ds.shm_perm.mode & 0777, (unsigned long)ds.shm_nattch,
           ds.shm_perm.__key == KEY ? "yes" : "no", ds.shm_cpid == getpid() ? "yes" : "no");
    YN("atime zero before attach", ds.shm_atime == 0);

    char *p = shmat(id, NULL, 0);
    YN("shmat", p != (void *)-1);
    YN("page aligned", ((unsigned long)p & 4095) == 0);
    YN("zero filled", p[0] == 0 && p[9999] == 0);
    strcpy(p, "parent");
    printf("nattch after shmat: %ld\n", nattch(id));
    RET("IPC_STAT", stat_of(id, &ds));
    YN("atime set", ds.shm_atime != 0);
    YN("lpid is me", ds.shm_lpid == getpid());
    /* The segment's last page is whole: bytes past segsz within it are usable. */
    printf("tail of last page: %s\n", probe(p + 12287, 1));

    FILE *maps = fopen("/proc/self/maps", "r");
    int sysv = 0;
    if (maps) {
        char line[512];
        while (fgets(line, sizeof line, maps))
            if (strstr(line, "/SYSV") && strstr(line, "rw-s")) sysv = 1;
        fclose(maps);
    }
    YN("maps shows /SYSV rw-s", sysv);

    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        printf("child sees: %s\n", p);
        printf("nattch in child: %ld\n", nattch(id));
        strcpy(p + 100, "child");
        RET("child shmdt", shmdt(p));
        printf("nattch after child shmdt: %ld\n", nattch(id));
        _exit(0);
    }
    printf("child: %s\n", wstr(wait_child(c)));
    printf("parent sees: %s\n", p + 100);
    printf("nattch after child exit: %ld\n", nattch(id));

    /* Fork without detaching: exit detaches. */
    fflush(stdout);
    c = fork();
    if (c == 0) {
        p[200] = 'x';
        _exit(nattch(id) == 2 ? 0 : 1);
    }
    printf("child 2: %s\n", wstr(wait_child(c)));
    printf("nattch after exit: %ld, p[200]=%c\n", nattch(id), p[200]);

    /* Read-only attachment. */
    char *r = shmat(id, NULL, SHM_RDONLY);
    YN("shmat rdonly", r != (void *)-1);
    printf("rdonly sees: %s\n", r);
    printf("read: %s\n", probe(r, 0));
    printf("write: %s\n", probe(r, 1));
    RET("mprotect rw on rdonly attach", mprotect(r, 4096, PROT_READ | PROT_WRITE));
    printf("nattch with two: %ld\n", nattch(id));
    RET("shmdt rdonly", shmdt(r));
    RET("shmdt again", shmdt(r));
    RET("shmdt unaligned", shmdt(p + 1));
    RET("shmdt inside", shmdt(p + 4096));

    /* Addresses: SHM_RND, unaligned, occupied, SHM_REMAP. */
    char *area = mmap(NULL, 4 * 16384, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED) DIE("mmap");
    munmap(area, 4 * 16384);
    errno = 0;
    void *q = shmat(id, area + 100, 0);
    printf("shmat unaligned: %s\n", q == (void *)-1 ? en(errno) : "ok");
    q = shmat(id, area + 100, SHM_RND);
    YN("shmat SHM_RND rounds down", q == area);
    printf("rnd sees: %s\n", (char *)q);
    errno = 0;
    void *q2 = shmat(id, area, 0);
    printf("shmat occupied: %s\n", q2 == (void *)-1 ? en(errno) : "ok");
    q2 = shmat(id, area, SHM_REMAP);
    YN("shmat SHM_REMAP", q2 == area);
    errno = 0;
    void *q3 = shmat(id, NULL, SHM_REMAP);
    printf("shmat NULL SHM_REMAP: %s\n", q3 == (void *)-1 ? en(errno) : "ok");
    printf("nattch: %ld\n", nattch(id));
    RET("shmdt remapped", shmdt(q2));
    printf("nattch: %ld\n", nattch(id));

    /* IPC_SET. */
    RET("IPC_STAT", stat_of(id, &ds));
    ds.shm_perm.mode = 0640;
    RET("IPC_SET", shmctl(id, IPC_SET, &ds));
    RET("IPC_STAT", stat_of(id, &ds));
    printf("mode %o\n", (unsigned)ds.shm_perm.mode & 0777);
    ds.shm_perm.mode = 0600;
    RET("IPC_SET back", shmctl(id, IPC_SET, &ds));

    g_id = id;
    in_child("perm child", child_perm);

    /* Removal while attached. */
    RET("IPC_RMID", shmctl(id, IPC_RMID, NULL));
    RET("IPC_STAT after rmid", stat_of(id, &ds));
    YN("SHM_DEST set", ds.shm_perm.mode & SHM_DEST);
    printf("key after rmid: %d\n", ds.shm_perm.__key);
    RET("shmget key after rmid", shmget(KEY, 4096, 0600));
    printf("still readable: %s\n", p);
    RET("shmdt last", shmdt(p));
    RET("IPC_STAT after last detach", stat_of(id, &ds));
    RET("shmat removed", (long)shmat(id, NULL, 0));

    /* Private segment removed with no attachment: gone at once. */
    int pid2 = shmget(IPC_PRIVATE, 1, 0600);
    YN("private", pid2 >= 0 && pid2 != id);
    RET("IPC_STAT 1-byte", stat_of(pid2, &ds));
    printf("segsz %lu\n", (unsigned long)ds.shm_segsz);
    RET("IPC_RMID", shmctl(pid2, IPC_RMID, NULL));
    RET("IPC_STAT", stat_of(pid2, &ds));
    RET("shmctl bad id", shmctl(0x7ffffff, IPC_STAT, &ds));
    RET("shmctl bad cmd", shmctl(pid2, 1234, &ds));
    RET("shmctl negative id", shmctl(-1, IPC_STAT, &ds));
    return 0;
}

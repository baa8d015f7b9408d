/* System V message queues: msgget, msgsnd, msgrcv (type selection, MSG_NOERROR,
 * MSG_EXCEPT, IPC_NOWAIT, E2BIG, blocking), msgctl. */
#include "common.h"
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/time.h>

#define KEY 0x48736d33 /* "Hsm3" */

struct m {
    long mtype;
    char text[256];
};

static int qid;

static int snd(int id, long type, const char *s, int flg) {
    struct m b;
    b.mtype = type;
    strcpy(b.text, s);
    return msgsnd(id, &b, strlen(s) + 1, flg);
}

static void rcv(const char *label, int id, size_t sz, long type, int flg) {
    struct m b;
    memset(&b, 0, sizeof b);
    errno = 0;
    long r = msgrcv(id, &b, sz, type, flg);
    if (r < 0) printf("%s: -1 %s\n", label, en(errno));
    else printf("%s: %ld type %ld text \"%.*s\"\n", label, r, b.mtype, (int)r, b.text);
}

static long qnum(int id) {
    struct msqid_ds ds;
    if (msgctl(id, IPC_STAT, &ds) != 0) return -1000 - errno;
    return (long)ds.msg_qnum;
}

static int child_perm(void) {
    if (setuid(1000) != 0) return 90;
    RET("child msgsnd 0600", snd(qid, 1, "x", IPC_NOWAIT));
    struct msqid_ds ds;
    RET("child IPC_STAT 0600", msgctl(qid, IPC_STAT, &ds));
    RET("child IPC_RMID", msgctl(qid, IPC_RMID, NULL));
    return 0;
}

static int child_perm_rw(void) {
    if (setuid(1000) != 0) return 90;
    RET("child msgsnd 0666", snd(qid, 1, "x", IPC_NOWAIT));
    struct msqid_ds ds;
    RET("child IPC_STAT", msgctl(qid, IPC_STAT, &ds));
    ds.msg_qbytes = 1000000;
    RET("child raise qbytes", msgctl(qid, IPC_SET, &ds));
    rcv("child rcv", qid, 16, 0, IPC_NOWAIT);
    return 0;
}

static void on_alarm(int s) { (void)s; }

int main(void) {
    setup(30);
    int old = msgget(KEY, 0);
    if (old >= 0) msgctl(old, IPC_RMID, NULL);

    RET("msgget missing", msgget(KEY, 0600));
    int kid = msgget(KEY, IPC_CREAT | 0600);
    YN("msgget create", kid >= 0);
    YN("msgget again", msgget(KEY, 0) == kid);
    RET("msgget excl", msgget(KEY, IPC_CREAT | IPC_EXCL | 0600));
    RET("IPC_RMID", msgctl(kid, IPC_RMID, NULL));

    int id = msgget(IPC_PRIVATE, 0600);
    YN("msgget private", id >= 0);
    struct msqid_ds ds;
    RET("IPC_STAT", msgctl(id, IPC_STAT, &ds));
    printf("qnum %lu cbytes %lu qbytes %lu mode %o\n", (unsigned long)ds.msg_qnum,
           (unsigned long)ds.__msg_cbytes, (unsigned long)ds.msg_qbytes,
           (unsigned)ds.msg_perm.mode & 0777);

    RET("send type 0", snd(id, 0, "zero", 0));
    RET("send type -1", snd(id, -1, "neg", 0));
    struct m big;
    big.mtype = 1;
    RET("send 8193 bytes", msgsnd(id, &big, 8193, 0));
    RET("send -1 size", msgsnd(id, &big, (size_t)-1, 0));
    RET("send bad id", snd(0x7ffffff, 1, "x", 0));
    RET("rcv bad id", msgrcv(0x7ffffff, &big, 8, 0, IPC_NOWAIT));

    RET("send 3", snd(id, 3, "three", 0));
    RET("send 1", snd(id, 1, "one-a", 0));
    RET("send 2", snd(id, 2, "two", 0));
    RET("send 1", snd(id, 1, "one-b", 0));
    RET("send 5", snd(id, 5, "five", 0));
    RET("IPC_STAT", msgctl(id, IPC_STAT, &ds));
    printf("qnum %lu cbytes %lu\n", (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes);
    YN("lspid is me", ds.msg_lspid == getpid());
    YN("stime set", ds.msg_stime != 0);
    YN("rtime zero", ds.msg_rtime == 0);

    rcv("rcv E2BIG", id, 3, 0, IPC_NOWAIT);
    printf("qnum after E2BIG: %ld\n", qnum(id));
    rcv("rcv NOERROR", id, 3, 0, IPC_NOWAIT | MSG_NOERROR);
    rcv("rcv type 2", id, 64, 2, IPC_NOWAIT);
    rcv("rcv type 9", id, 64, 9, IPC_NOWAIT);
    rcv("rcv type <= 4", id, 64, -4, IPC_NOWAIT);
    rcv("rcv except 1", id, 64, 1, IPC_NOWAIT | MSG_EXCEPT);
    rcv("rcv any", id, 64, 0, IPC_NOWAIT);
    rcv("rcv empty", id, 64, 0, IPC_NOWAIT);
    RET("rcv size -1", msgrcv(id, &big, (size_t)-1, 0, IPC_NOWAIT));
    RET("IPC_STAT", msgctl(id, IPC_STAT, &ds));
    YN("lrpid is me", ds.msg_lrpid == getpid());
    printf("qnum %lu cbytes %lu\n", (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes);

    /* Blocking receive woken by a send. */
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        struct m b;
        long r = msgrcv(id, &b, sizeof b.text, 7, 0);
        printf("child got %ld type %ld \"%s\"\n", r, b.mtype, r > 0 ? b.text : "");
        _exit(r > 0 ? 0 : 1);
    }
    sleep_ms(100);
    RET("send 6", snd(id, 6, "six", 0));
    /* The woken child prints at once: report this send only after it is done. */
    int s7 = snd(id, 7, "seven", 0);
    printf("receiver: %s\n", wstr(wait_child(c)));
    RET("send 7", s7);
    rcv("left", id, 64, 0, IPC_NOWAIT);

    /* A full queue: IPC_NOWAIT fails, a blocking sender waits for room. */
    RET("IPC_STAT", msgctl(id, IPC_STAT, &ds));
    ds.msg_qbytes = 100;
    RET("IPC_SET qbytes 100", msgctl(id, IPC_SET, &ds));
    char sixty[61];
    memset(sixty, 'a', 59);
    sixty[59] = 0;
    RET("send 60", snd(id, 1, sixty, 0));
    RET("send 60 nowait", snd(id, 1, sixty, IPC_NOWAIT));
    fflush(stdout);
    c = fork();
    if (c == 0) _exit(snd(id, 2, sixty, 0) == 0 ? 0 : 1);
    sleep_ms(100);
    printf("qnum while sender blocked: %ld\n", qnum(id));
    rcv("make room", id, 8, 0, MSG_NOERROR);
    printf("sender: %s\n", wstr(wait_child(c)));
    printf("qnum: %ld\n", qnum(id));
    rcv("blocked one", id, 4, 0, MSG_NOERROR | IPC_NOWAIT);

    /* A signal interrupts msgrcv with EINTR even with SA_RESTART. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    rcv("rcv interrupted", id, 64, 0, 0);
    alarm(30);

    /* IPC_RMID wakes a blocked receiver with EIDRM. */
    int q2 = msgget(IPC_PRIVATE, 0600);
    fflush(stdout);
    c = fork();
    if (c == 0) {
        struct m b;
        long r = msgrcv(q2, &b, 16, 0, 0);
        _exit(r == -1 && errno == EIDRM ? 0 : 1);
    }
    sleep_ms(100);
    RET("IPC_RMID q2", msgctl(q2, IPC_RMID, NULL));
    printf("EIDRM child: %s\n", wstr(wait_child(c)));

    /* Permissions. */
    qid = id;
    in_child("perm child", child_perm);
    RET("IPC_STAT", msgctl(id, IPC_STAT, &ds));
    ds.msg_perm.mode = 0666;
    ds.msg_qbytes = 16384;
    RET("IPC_SET 0666", msgctl(id, IPC_SET, &ds));
    in_child("perm child rw", child_perm_rw);
    RET("IPC_STAT", msgctl(id, IPC_STAT, &ds));
    printf("mode %o qbytes %lu\n", (unsigned)ds.msg_perm.mode & 0777, (unsigned long)ds.msg_qbytes);

    RET("IPC_RMID", msgctl(id, IPC_RMID, NULL));
    RET("IPC_STAT removed", msgctl(id, IPC_STAT, &ds));
    RET("send removed", snd(id, 1, "x", IPC_NOWAIT));
    RET("msgctl bad cmd", msgctl(id, 1234, &ds));
    return 0;
}

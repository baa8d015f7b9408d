/* process_vm_readv and process_vm_writev: copying between this process and a forked
 * child (scatter/gather across several local and remote iovecs, a short local buffer,
 * partial transfers stopping at an unmapped remote page, a fault on the first byte
 * EFAULT, writing into read-only remote memory EFAULT), the child sees what was
 * written (copy-on-write pages stay private to it), reading oneself, argument checks
 * (flags EINVAL, too many iovecs EINVAL, bad iovec pointers EFAULT, zero-length
 * transfers return 0 before the pid is looked up, unknown pid ESRCH), and an
 * unprivileged child reading root's memory EPERM. */
#include "common.h"
#include <sys/uio.h>

#define PG 4096L

static char shared_src[64] = "hello from the parent's data segment";

int main(void) {
    setup(10);
    /* Child memory: page A = "AAAA...", page B unmapped, page C read-only "CCCC". */
    char *base = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) DIE("mmap");
    memset(base, 'A', PG);
    memset(base + 2 * PG, 'C', PG);
    if (munmap(base + PG, PG) != 0) DIE("munmap");
    if (mprotect(base + 2 * PG, PG, PROT_READ) != 0) DIE("mprotect");
    int ready[2], done[2];
    if (pipe(ready) != 0 || pipe(done) != 0) DIE("pipe");
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        char b;
        memcpy(base, "child-owned", 11);
        if (write(ready[1], "r", 1) != 1) _exit(2);
        if (read(done[0], &b, 1) != 1) _exit(3);
        /* What the parent wrote into our page A and our copy of shared_src. */
        printf("child sees A: %.16s\n", base);
        printf("child sees data: %.20s\n", shared_src);
        _exit(0);
    }
    char b;
    if (read(ready[0], &b, 1) != 1) DIE("ready");

    char buf[64], buf2[64];
    memset(buf, 0, sizeof buf);
    struct iovec l = {buf, 11}, r = {base, 11};
    RET("readv child A", process_vm_readv(c, &l, 1, &r, 1, 0));
    printf("got: %.11s\n", buf);
    YN("parent's own A unchanged", base[0] == 'A');

    /* Scatter/gather: two remote pieces into three local pieces. */
    memset(buf, '.', sizeof buf);
    memset(buf2, '.', sizeof buf2);
    struct iovec l3[3] = {{buf, 3}, {buf2, 4}, {buf + 10, 10}};
    struct iovec r2[2] = {{base, 5}, {base + 2 * PG, 6}};
    RET("readv scatter", process_vm_readv(c, l3, 3, r2, 2, 0));
    printf("pieces: %.3s|%.4s|%.10s\n", buf, buf2, buf + 10);

    /* Short local buffer: stops when local space runs out. */
    struct iovec ls = {buf, 4}, rl = {base, 20};
    RET("readv short local", process_vm_readv(c, &ls, 1, &rl, 1, 0));

    /* Remote range running into the unmapped page: partial. */
    static char big[2 * PG];
    struct iovec lb = {big, 2 * PG}, rp = {base + PG - 8, 16};
    RET("readv partial into hole", process_vm_readv(c, &lb, 1, &rp, 1, 0));
    struct iovec rp2[2] = {{base + PG - 8, 16}, {base + 2 * PG, 4}};
    RET("readv stops after faulting vec", process_vm_readv(c, &lb, 1, rp2, 2, 0));
    struct iovec rh = {base + PG, 8};
    RET("readv hole first byte", process_vm_readv(c, &lb, 1, &rh, 1, 0));
    struct iovec lbad = {(void *)8, 8};
    RET("readv bad local buffer", process_vm_readv(c, &lbad, 1, &r, 1, 0));

    /* Writes. */
    struct iovec wl = {"PARENT-WROTE", 12}, wr = {base, 12};
    RET("writev child A", process_vm_writev(c, &wl, 1, &wr, 1, 0));
    struct iovec wl2 = {"PARENT", 6}, wr2 = {shared_src, 6};
    RET("writev child data", process_vm_writev(c, &wl2, 1, &wr2, 1, 0));
    struct iovec wro = {base + 2 * PG, 4};
    RET("writev read-only page", process_vm_writev(c, &wl, 1, &wro, 1, 0));
    struct iovec wh = {base + PG, 4};
    RET("writev hole", process_vm_writev(c, &wl, 1, &wh, 1, 0));
    printf("parent data still: %.20s\n", shared_src);

    /* Argument checks. */
    RET("flags 1", process_vm_readv(c, &l, 1, &r, 1, 1));
    RET("liovcnt 1025", process_vm_readv(c, &l, 1025, &r, 1, 0));
    RET("riovcnt 1025", process_vm_readv(c, &l, 1, &r, 1025, 0));
    RET("bad local iovec array", process_vm_readv(c, (void *)8, 1, &r, 1, 0));
    RET("bad remote iovec array", process_vm_readv(c, &l, 1, (void *)8, 1, 0));
    RET("zero local count, bad pid", process_vm_readv(0x7ffffff0, &l, 0, &r, 1, 0));
    struct iovec lz = {buf, 0};
    RET("zero local length, bad pid", process_vm_readv(0x7ffffff0, &lz, 1, &r, 1, 0));
    RET("zero remote count", process_vm_readv(c, &l, 1, &r, 0, 0));
    RET("unknown pid", process_vm_readv(0x7ffffff0, &l, 1, &r, 1, 0));

    /* Reading oneself. */
    struct iovec ms = {buf, 5}, mr = {shared_src, 5};
    RET("readv self", process_vm_readv(getpid(), &ms, 1, &mr, 1, 0));
    printf("self: %.5s\n", buf);

    if (write(done[1], "d", 1) != 1) DIE("done");
    printf("child: %s\n", wstr(wait_child(c)));
    RET("readv reaped child", process_vm_readv(c, &l, 1, &r, 1, 0));

    /* An unprivileged process may not read root's memory. */
    pid_t me = getpid();
    fflush(stdout);
    pid_t u = fork();
    if (u == 0) {
        if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(9);
        struct iovec ul = {buf, 5}, ur = {shared_src, 5};
        RET("unprivileged readv root", process_vm_readv(me, &ul, 1, &ur, 1, 0));
        RET("unprivileged readv self", process_vm_readv(getpid(), &ul, 1, &ur, 1, 0));
        _exit(0);
    }
    printf("unprivileged child: %s\n", wstr(wait_child(u)));
    return 0;
}

/* mprotect: write to read-only faults (SEGV_ACCERR) until made writable again;
 * PROT_NONE; partial ranges split the mapping; executable code in an anonymous page;
 * errors for unaligned, unmapped and bad protection bits. */
#include "common.h"

int main(void) {
    setup(10);
    long pg = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(m, 'q', 4 * pg);
    RET("mprotect PROT_READ", mprotect(m, 4 * pg, PROT_READ));
    printf("read: %s, write: %s\n", probe(m, 0), probe(m, 1));
    RET("mprotect RW again", mprotect(m, 4 * pg, PROT_READ | PROT_WRITE));
    printf("write after RW: %s, data kept: %c\n", probe(m, 1), m[1]);

    /* Middle page only. */
    mprotect(m + pg, pg, PROT_NONE);
    printf("page0 write: %s, page1 read: %s, page2 write: %s\n", probe(m, 1), probe(m + pg, 0), probe(m + 2 * pg, 1));
    mprotect(m + pg, pg, PROT_READ | PROT_WRITE);
    printf("page1 restored contents: %c\n", m[pg + 7]);

    /* Executable anonymous code: mov $42, %eax; ret. */
    unsigned char code[] = {0xb8, 42, 0, 0, 0, 0xc3};
    unsigned char *x = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memcpy(x, code, sizeof code);
    RET("mprotect R-X", mprotect(x, pg, PROT_READ | PROT_EXEC));
    int (*fn)(void) = (int (*)(void))(void *)x;
    printf("call generated code: %d\n", fn());
    printf("write to R-X: %s\n", probe((char *)x, 1));

    /* Errors. */
    RET("unaligned", mprotect(m + 1, pg, PROT_READ));
    RET("bad prot bits", mprotect(m, pg, 0x100));
    munmap(m + 3 * pg, pg);
    RET("range with unmapped tail", mprotect(m, 4 * pg, PROT_READ));
    RET("length 0", mprotect(m, 0, PROT_READ));
    RET("PROT_GROWSDOWN on non-growsdown", mprotect(m, pg, PROT_READ | PROT_GROWSDOWN));
    /* Read-only file opened O_RDONLY: PROT_WRITE on a shared mapping is EACCES. */
    const char *path = "/tmp/husk-mprotect.dat";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    ftruncate(fd, pg);
    close(fd);
    fd = open(path, O_RDONLY);
    char *f = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
    RET("PROT_WRITE on shared O_RDONLY mapping", mprotect(f, pg, PROT_READ | PROT_WRITE));
    char *fp = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 0);
    RET("PROT_WRITE on private O_RDONLY mapping", mprotect(fp, pg, PROT_READ | PROT_WRITE));
    munmap(f, pg);
    munmap(fp, pg);
    close(fd);
    unlink(path);
    munmap(m, 3 * pg);
    munmap(x, pg);
    return 0;
}

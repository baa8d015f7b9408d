/* SIGBUS: touching a page of a file mapping that lies wholly beyond end of file gives
 * BUS_ADRERR with si_addr; the tail of the last partial page reads as zeros. */
#include "common.h"
#include <setjmp.h>

static sigjmp_buf jb;
static volatile siginfo_t got;

static void h(int s, siginfo_t *si, void *u) {
    (void)s; (void)u;
    memcpy((void *)&got, si, sizeof *si);
    siglongjmp(jb, 1);
}

static void bprobe(const char *label, volatile char *p, int write) {
    memset((void *)&got, 0, sizeof got);
    if (sigsetjmp(jb, 1) == 0) {
        int v = 0;
        if (write) *p = 'w';
        else v = *p;
        printf("%s: no signal, value %d\n", label, v);
        return;
    }
    printf("%s: %s code=%s si_addr==address: %s\n", label, signame(got.si_signo),
           got.si_code == BUS_ADRERR ? "BUS_ADRERR" : got.si_code == SEGV_MAPERR ? "SEGV_MAPERR" : "?",
           got.si_addr == (void *)p ? "yes" : "no");
}

int main(void) {
    setup(10);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    long pg = sysconf(_SC_PAGESIZE);

    char path[] = "/tmp/husk-signal_sigbus-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) DIE("mkstemp");
    if (write(fd, "0123456789", 10) != 10) DIE("write");
    char *m = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) DIE("mmap");
    bprobe("read byte 5", m + 5, 0);
    bprobe("read byte 100 (same page, past EOF)", m + 100, 0);
    bprobe("read page 2", m + pg + 1, 0);
    bprobe("write page 3", m + 2 * pg + 7, 1);

    /* Extending the file makes the page valid. */
    ftruncate(fd, 2 * pg);
    bprobe("read page 2 after ftruncate", m + pg + 1, 0);
    bprobe("read page 3 after ftruncate", m + 2 * pg, 0);
    /* Shrinking makes it invalid again. */
    ftruncate(fd, 10);
    bprobe("read page 2 after shrink", m + pg + 1, 0);

    /* MAP_PRIVATE behaves the same beyond EOF. */
    char *pm = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    bprobe("private: write byte 20", pm + 20, 1);
    bprobe("private: read page 2", pm + pg, 0);

    munmap(m, 3 * pg);
    munmap(pm, 2 * pg);
    close(fd);
    unlink(path);
    return 0;
}

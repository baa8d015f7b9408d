/* /proc/self/maps: an anonymous mapping appears with its exact range and permissions,
 * mprotect splits it in three lines, munmap of the middle leaves two; a file mapping
 * shows its path and offset, shared vs private; memfd mappings are named; [stack]
 * holds a local variable; [heap] appears and grows with brk; lines are sorted and
 * do not overlap. */
#include "common.h"
#include <sys/mman.h>

static char buf[1 << 16];

static int load(void) {
    int fd = open("/proc/self/maps", O_RDONLY);
    if (fd < 0) return -1;
    int t = 0;
    for (;;) {
        ssize_t n = read(fd, buf + t, sizeof buf - 1 - t);
        if (n <= 0) break;
        t += (int)n;
    }
    close(fd);
    buf[t] = 0;
    return t;
}

struct line { unsigned long lo, hi, off, ino; char perms[8]; char name[256]; };

static int parse_line(const char *l, struct line *o) {
    int pos = 0;
    unsigned maj, min;
    memset(o, 0, sizeof *o);
    if (sscanf(l, "%lx-%lx %7s %lx %x:%x %lu%n", &o->lo, &o->hi, o->perms, &o->off, &maj, &min, &o->ino, &pos) < 7) return -1;
    const char *nm = l + pos;
    while (*nm == ' ') nm++;
    size_t m = strcspn(nm, "\n");
    snprintf(o->name, sizeof o->name, "%.*s", (int)m, nm);
    return 0;
}

/* The line containing address a. */
static int find(unsigned long a, struct line *o) {
    load();
    for (char *l = buf; *l; l = strchr(l, '\n') + 1) {
        if (parse_line(l, o) == 0 && a >= o->lo && a < o->hi) return 0;
        if (!strchr(l, '\n')) break;
    }
    return -1;
}

/* Number of lines overlapping [a, b). */
static int count(unsigned long a, unsigned long b) {
    struct line o;
    int n = 0;
    load();
    for (char *l = buf; *l; l = strchr(l, '\n') + 1) {
        if (parse_line(l, &o) == 0 && o.lo < b && o.hi > a) n++;
        if (!strchr(l, '\n')) break;
    }
    return n;
}

static void show(const char *label, void *p, unsigned long base, unsigned long len) {
    struct line o;
    if (find((unsigned long)p, &o) < 0) { printf("%s: not found\n", label); return; }
    printf("%s: %s off=%lx start%+ld len=%lu name=[%s]\n", label, o.perms, o.off,
           (long)(o.lo - base), o.hi - o.lo, o.name);
}

int main(void) {
    setup(10);
    long pg = 4096;
    char *a = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a == MAP_FAILED) DIE("mmap");
    show("anon rw", a, (unsigned long)a, 4 * pg);
    RET("mprotect page 1 to r--", mprotect(a + pg, pg, PROT_READ));
    printf("lines over the range: %d\n", count((unsigned long)a, (unsigned long)a + 4 * pg));
    show("page 0", a, (unsigned long)a, 0);
    show("page 1", a + pg, (unsigned long)a, 0);
    show("page 2", a + 2 * pg, (unsigned long)a, 0);
    RET("mprotect page 1 back to rw", mprotect(a + pg, pg, PROT_READ | PROT_WRITE));
    printf("lines after merge: %d\n", count((unsigned long)a, (unsigned long)a + 4 * pg));
    RET("munmap page 2", munmap(a + 2 * pg, pg));
    printf("lines after hole: %d\n", count((unsigned long)a, (unsigned long)a + 4 * pg));
    show("after hole, page 3", a + 3 * pg, (unsigned long)a, 0);
    munmap(a, 4 * pg);
    printf("lines after munmap: %d\n", count((unsigned long)a, (unsigned long)a + 4 * pg));
    char *x = mmap(NULL, pg, PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    show("anon --x", x, (unsigned long)x, pg);
    char *none = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    show("anon ---", none, (unsigned long)none, pg);
    char *sh = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    struct line o0;
    find((unsigned long)sh, &o0);
    printf("shared anon: %s\n", o0.perms);

    char dir[] = "/tmp/husk-maps-XXXXXX";
    if (!mkdtemp(dir)) DIE("mkdtemp");
    char path[128];
    snprintf(path, sizeof path, "%s/file", dir);
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0 || ftruncate(fd, 4 * pg) < 0) DIE("file");
    char *fp = mmap(NULL, 2 * pg, PROT_READ, MAP_PRIVATE, fd, pg);
    char *fs = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 3 * pg);
    struct line o;
    find((unsigned long)fp, &o);
    printf("file private: %s off=%lx len=%lu\n", o.perms, o.off, o.hi - o.lo);
    YN("file private name == path", strcmp(o.name, path) == 0);
    find((unsigned long)fs, &o);
    printf("file shared: %s off=%lx\n", o.perms, o.off);
    YN("file shared name == path", strcmp(o.name, path) == 0);
    unlink(path);
    close(fd);
    munmap(fp, 2 * pg);
    munmap(fs, pg);
    rmdir(dir);

    int mfd = memfd_create("husk-maps", 0);
    if (mfd >= 0 && ftruncate(mfd, pg) == 0) {
        char *mp = mmap(NULL, pg, PROT_READ, MAP_SHARED, mfd, 0);
        find((unsigned long)mp, &o);
        printf("memfd: %s\n", o.perms);
        YN("memfd name starts with /memfd:husk-maps", strncmp(o.name, "/memfd:husk-maps", 16) == 0);
        munmap(mp, pg);
        close(mfd);
    }

    int local = 0;
    find((unsigned long)&local, &o);
    printf("local variable in: [%s] %s\n", o.name, o.perms);
    void *b0 = sbrk(0);
    sbrk(64 * pg);
    char *b1 = sbrk(0);
    memset((char *)b1 - 64 * pg, 1, 64 * pg);
    find((unsigned long)b1 - 1, &o);
    printf("brk area: [%s] %s\n", o.name, o.perms);
    YN("heap ends at the break", o.hi == (unsigned long)b1);
    unsigned long hlo = o.lo;
    sbrk(16 * pg);
    find((unsigned long)b1, &o);
    YN("heap grew in place", o.lo == hlo && o.hi == (unsigned long)b1 + 16 * pg);
    (void)b0;

    /* Global sanity: sorted, non-overlapping, well-formed. */
    load();
    unsigned long prev = 0;
    int ok = 1, n = 0;
    for (char *l = buf; *l; l = strchr(l, '\n') + 1) {
        if (parse_line(l, &o) < 0 || o.lo >= o.hi || o.lo < prev || strlen(o.perms) != 4) ok = 0;
        prev = o.hi;
        n++;
        if (!strchr(l, '\n')) break;
    }
    YN("all lines sorted and well-formed", ok && n > 3);
    return 0;
}

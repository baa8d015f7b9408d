/* Directory streams over many entries: getdents64 with a small buffer returns every
 * name exactly once (300 files), d_off values can be passed to lseek to resume
 * (telldir/seekdir), rewinddir sees entries created and misses entries removed
 * meanwhile, entries removed during a listing are not returned twice, lseek(SEEK_END)
 * on a directory, and getdents64 after the end returns 0. Output is only counts and
 * sorted names. */
#include "common.h"
#include <dirent.h>

#define N 300
static char D[64];

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

/* Counts entries (without . and ..) in a full listing via readdir; checks no dups. */
static int count_entries(DIR *d, int *dups) {
    char *names[2 * N];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (n < 2 * N) names[n++] = strdup(e->d_name);
    }
    qsort(names, n, sizeof *names, cmp);
    *dups = 0;
    for (int i = 1; i < n; i++) if (!strcmp(names[i], names[i - 1])) (*dups)++;
    for (int i = 0; i < n; i++) free(names[i]);
    return n;
}

int main(void) {
    setup(10);
    strcpy(D, "/tmp/file_getdents_seek.XXXXXX");
    if (!mkdtemp(D)) DIE("mkdtemp");
    if (chdir(D)) DIE("chdir");
    char name[64];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "file-with-a-longish-name-%03d", i);
        close(open(name, O_CREAT | O_WRONLY, 0644));
    }

    /* Raw getdents64 with a small buffer. */
    int fd = open(".", O_RDONLY | O_DIRECTORY);
    char buf[256];
    int total = 0, calls = 0, dots = 0, types_ok = 1;
    long r;
    int64_t off_after_100 = -1;
    while ((r = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        calls++;
        for (long p = 0; p < r;) {
            struct linux_dirent64 *e = (void *)(buf + p);
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) dots++;
            else {
                total++;
                if (e->d_type != DT_REG) types_ok = 0;
                if (total == 100) off_after_100 = e->d_off;
            }
            p += e->d_reclen;
        }
    }
    printf("getdents64: entries %d, dots %d, several calls: %s, all DT_REG: %s, last: %ld\n",
           total, dots, calls > 10 ? "yes" : "no", types_ok ? "yes" : "no", r);
    RET("getdents64 at end again", syscall(SYS_getdents64, fd, buf, sizeof buf));
    RET("getdents64 buffer too small", (lseek(fd, 0, SEEK_SET), syscall(SYS_getdents64, fd, buf, 10)));
    /* Resume from a d_off. */
    RET("lseek to d_off of entry 100", lseek(fd, off_after_100, SEEK_SET) == off_after_100 ? 0 : -1);
    int rest = 0;
    while ((r = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
        for (long p = 0; p < r;) {
            struct linux_dirent64 *e = (void *)(buf + p);
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) rest++;
            p += e->d_reclen;
        }
    printf("entries after resuming: %d\n", rest);
    RET("getdents64 on a file", syscall(SYS_getdents64, open("file-with-a-longish-name-000", O_RDONLY), buf, sizeof buf));
    RET("getdents64 bad fd", syscall(SYS_getdents64, 999, buf, sizeof buf));
    RET("getdents64 bad buffer", (lseek(fd, 0, SEEK_SET), syscall(SYS_getdents64, fd, (void *)8, sizeof buf)));
    close(fd);

    /* telldir/seekdir */
    DIR *d = opendir(".");
    long pos = -1;
    char at[256] = "";
    int seen = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (++seen == 150) {
            pos = telldir(d);
            e = readdir(d);
            snprintf(at, sizeof at, "%s", e ? e->d_name : "(end)");
            break;
        }
    }
    while (readdir(d) != NULL) {
    }
    seekdir(d, pos);
    e = readdir(d);
    YN("seekdir returns to the same entry", e && !strcmp(e->d_name, at));

    /* Removals and additions between passes. */
    rewinddir(d);
    int dups;
    printf("count: %d\n", count_entries(d, &dups));
    for (int i = 0; i < N; i += 2) {
        snprintf(name, sizeof name, "file-with-a-longish-name-%03d", i);
        unlink(name);
    }
    close(open("new-entry", O_CREAT | O_WRONLY, 0644));
    rewinddir(d);
    printf("count after unlinking half and adding one: %d, dups %d\n", count_entries(d, &dups), dups);
    YN("new entry visible", access("new-entry", F_OK) == 0);

    /* Remove entries while a listing is in progress: no duplicates, no crash. */
    rewinddir(d);
    int partial = 0;
    while (partial < 20 && (e = readdir(d)) != NULL) partial++;
    for (int i = 1; i < N; i += 4) {
        snprintf(name, sizeof name, "file-with-a-longish-name-%03d", i);
        unlink(name);
    }
    int more = count_entries(d, &dups);
    printf("rest of the listing has duplicates: %d, not more than before: %s\n", dups,
           partial + more <= N / 2 + 3 ? "yes" : "no");
    closedir(d);

    /* lseek on a directory. */
    fd = open(".", O_RDONLY | O_DIRECTORY);
    RET("lseek dir SEEK_CUR 0", lseek(fd, 0, SEEK_CUR));
    RET("lseek dir negative", lseek(fd, -1, SEEK_SET));
    close(fd);

    d = opendir(".");
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) unlink(e->d_name);
    closedir(d);
    d = opendir(".");
    printf("count after deleting all: %d\n", count_entries(d, &dups));
    closedir(d);
    chdir("/");
    RET("rmdir tmpdir", rmdir(D));
    return 0;
}

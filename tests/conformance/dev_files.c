/* /dev/null, /dev/zero, /dev/full, /dev/urandom, /dev/random: reads, writes, lseek,
 * stat types; mmap of /dev/zero. */
#include "common.h"
#include <sys/sysmacros.h>

int main(void) {
    setup(10);
    char buf[4096];
    int n = open("/dev/null", O_RDWR);
    RET("/dev/null read", read(n, buf, sizeof buf));
    RET("/dev/null write 4096", write(n, buf, sizeof buf));
    RET("/dev/null lseek", lseek(n, 100, SEEK_SET));
    close(n);

    int z = open("/dev/zero", O_RDWR);
    memset(buf, 'x', sizeof buf);
    RET("/dev/zero read 4096", read(z, buf, sizeof buf));
    int allz = 1;
    for (size_t i = 0; i < sizeof buf; i++) if (buf[i]) allz = 0;
    YN("all zero", allz);
    RET("/dev/zero write", write(z, "abc", 3));
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, z, 0);
    YN("mmap /dev/zero", m != MAP_FAILED);
    if (m != MAP_FAILED) { m[5000] = 1; printf("mapped zero: %d %d\n", m[0], m[5000]); }
    int *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
    *sh = 1;
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) { *sh = 5; _exit(0); }
    wait_child(p);
    printf("MAP_SHARED /dev/zero shared with child: %d\n", *sh);
    close(z);

    int f = open("/dev/full", O_RDWR);
    RET("/dev/full write", write(f, "a", 1));
    RET("/dev/full read", read(f, buf, 16));
    close(f);

    int u = open("/dev/urandom", O_RDONLY);
    memset(buf, 0, sizeof buf);
    RET("/dev/urandom read 4096", read(u, buf, sizeof buf));
    int nz = 0;
    for (size_t i = 0; i < sizeof buf; i++) nz += buf[i] != 0;
    YN("mostly non-zero", nz > 3500);
    char b2[64];
    read(u, b2, 64);
    YN("two reads differ", memcmp(buf, b2, 64) != 0);
    close(u);
    int r = open("/dev/random", O_RDONLY | O_NONBLOCK);
    RET("/dev/random read 16", read(r, buf, 16));
    close(r);

    const char *devs[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"};
    for (int i = 0; i < 5; i++) {
        struct stat st;
        if (stat(devs[i], &st) != 0) { printf("%s: %s\n", devs[i], en(errno)); continue; }
        printf("%s: chr=%d major=%u minor=%u\n", devs[i], S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev));
    }
    RET("open /dev/nonexistent", open("/dev/husk-nonexistent", O_RDONLY));
    return 0;
}

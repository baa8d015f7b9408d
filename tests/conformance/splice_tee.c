/* splice, tee, vmsplice, copy_file_range and sendfile: data movement and edge cases. */
#include "common.h"
#include <sys/sendfile.h>
#include <sys/uio.h>

#define F "/tmp/splice_tee.data"
#define G "/tmp/splice_tee.out"

static void show(const char *label, const char *b, long n) {
    printf("%s: \"%.*s\"\n", label, (int)(n < 0 ? 0 : n), b);
}

int main(void) {
    setup(20);
    char buf[256];
    int fd = open(F, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) DIE("open");
    if (write(fd, "0123456789abcdefghij", 20) != 20) DIE("write");
    int out = open(G, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (out < 0) DIE("open out");
    int p[2], q[2];
    if (pipe(p) || pipe(q)) DIE("pipe");

    /* file -> pipe with an explicit offset: the file offset does not move. */
    lseek(fd, 2, SEEK_SET);
    loff_t off = 5;
    RET("splice file->pipe off", splice(fd, &off, p[1], NULL, 6, 0));
    printf("off after: %lld, file offset: %ld\n", (long long)off, (long)lseek(fd, 0, SEEK_CUR));
    /* file -> pipe at the file offset: it moves. */
    RET("splice file->pipe cur", splice(fd, NULL, p[1], NULL, 3, 0));
    printf("file offset: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    /* tee copies without consuming. */
    RET("tee", tee(p[0], q[1], 100, 0));
    long n = read(q[0], buf, sizeof buf);
    show("tee copy", buf, n);
    /* pipe -> pipe */
    RET("splice pipe->pipe", splice(p[0], NULL, q[1], NULL, 4, 0));
    n = read(q[0], buf, sizeof buf);
    show("moved", buf, n);
    /* pipe -> file at an offset */
    loff_t ooff = 3;
    RET("splice pipe->file off", splice(p[0], NULL, out, &ooff, 100, 0));
    printf("ooff: %lld, out offset: %ld\n", (long long)ooff, (long)lseek(out, 0, SEEK_CUR));
    n = pread(out, buf, sizeof buf, 0);
    printf("out size: %ld, tail: \"%.*s\"\n", n, (int)(n > 3 ? n - 3 : 0), buf + 3);

    /* errors */
    RET("splice len 0", splice(-1, NULL, -1, NULL, 0, 0));
    RET("splice no pipe", splice(fd, NULL, out, NULL, 4, 0));
    loff_t z = 0;
    RET("splice off on pipe", splice(p[0], &z, out, NULL, 4, 0));
    RET("splice same pipe", splice(p[0], NULL, p[1], NULL, 4, 0));
    RET("splice bad flags", splice(fd, NULL, p[1], NULL, 4, 0x100));
    RET("splice wrong end", splice(p[1], NULL, out, NULL, 4, 0));
    RET("splice empty nonblock", splice(p[0], NULL, out, NULL, 4, SPLICE_F_NONBLOCK));
    RET("tee empty nonblock", tee(p[0], q[1], 4, SPLICE_F_NONBLOCK));
    RET("tee not pipe", tee(fd, q[1], 4, 0));
    RET("tee same pipe", tee(p[0], p[1], 4, 0));
    int ao = open(G, O_WRONLY | O_APPEND);
    if (write(p[1], "xy", 2) != 2) DIE("write pipe");
    RET("splice to O_APPEND", splice(p[0], NULL, ao, NULL, 2, 0));
    close(ao);

    /* vmsplice both ways */
    struct iovec iov[2] = {{"hello ", 6}, {"world", 5}};
    RET("vmsplice to pipe", vmsplice(q[1], iov, 2, 0));
    char a1[4], a2[16];
    struct iovec riov[2] = {{a1, 4}, {a2, 16}};
    n = vmsplice(q[0], riov, 2, 0);
    printf("vmsplice from pipe: %ld \"%.4s%.*s\"\n", n, a1, (int)(n > 4 ? n - 4 : 0), a2);
    RET("vmsplice not pipe", vmsplice(fd, iov, 2, 0));
    RET("vmsplice bad flags", vmsplice(q[1], iov, 2, 0x100));
    RET("vmsplice zero segs", vmsplice(q[1], iov, 0, 0));
    /* splice from a pipe whose writers are gone: 0 */
    char rest[8];
    n = read(p[0], rest, sizeof rest); /* drain "xy" */
    close(p[1]);
    RET("splice eof", splice(p[0], NULL, out, NULL, 4, 0));
    close(p[0]);

    /* copy_file_range */
    ftruncate(out, 0);
    lseek(out, 0, SEEK_SET);
    loff_t in_off = 10, out_off = 0;
    RET("cfr offsets", copy_file_range(fd, &in_off, out, &out_off, 5, 0));
    printf("in_off %lld out_off %lld\n", (long long)in_off, (long long)out_off);
    lseek(fd, 15, SEEK_SET);
    RET("cfr file offsets", copy_file_range(fd, NULL, out, NULL, 100, 0));
    printf("fd off %ld out off %ld\n", (long)lseek(fd, 0, SEEK_CUR), (long)lseek(out, 0, SEEK_CUR));
    n = pread(out, buf, sizeof buf, 0);
    show("cfr out", buf, n);
    in_off = 20;
    RET("cfr at eof", copy_file_range(fd, &in_off, out, NULL, 5, 0));
    RET("cfr flags", copy_file_range(fd, NULL, out, NULL, 5, 1));
    in_off = 0; out_off = 4;
    RET("cfr overlap", copy_file_range(fd, &in_off, fd, &out_off, 8, 0));
    in_off = 0; out_off = 10;
    RET("cfr same file ok", copy_file_range(fd, &in_off, fd, &out_off, 5, 0));
    int ro = open(F, O_RDONLY);
    RET("cfr to rdonly", copy_file_range(fd, NULL, ro, NULL, 5, 0));
    int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
    RET("cfr from dir", copy_file_range(dir, NULL, out, NULL, 5, 0));
    int pp[2];
    if (pipe(pp)) DIE("pipe");
    RET("cfr from pipe", copy_file_range(pp[0], NULL, out, NULL, 5, 0));
    RET("cfr bad fd", copy_file_range(-1, NULL, out, NULL, 5, 0));

    /* sendfile */
    off_t so = 3;
    lseek(fd, 0, SEEK_SET);
    RET("sendfile off", sendfile(pp[1], fd, &so, 4));
    printf("so %ld fd off %ld\n", (long)so, (long)lseek(fd, 0, SEEK_CUR));
    n = read(pp[0], buf, sizeof buf);
    show("sendfile data", buf, n);
    RET("sendfile cur", sendfile(pp[1], fd, NULL, 3));
    printf("fd off %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    n = read(pp[0], buf, sizeof buf);
    show("sendfile data", buf, n);
    RET("sendfile count 0", sendfile(pp[1], fd, NULL, 0));
    so = 0;
    RET("sendfile from pipe off", sendfile(out, pp[0], &so, 4));
    RET("sendfile from pipe", sendfile(out, pp[0], NULL, 4));
    int ap = open(G, O_WRONLY | O_APPEND);
    RET("sendfile to append", sendfile(ap, fd, NULL, 4));
    RET("sendfile to rdonly", sendfile(ro, fd, NULL, 4));
    int wo = open(G, O_WRONLY);
    RET("sendfile from wronly", sendfile(out, wo, NULL, 4));
    so = -1;
    RET("sendfile neg off", sendfile(pp[1], fd, &so, 4));
    so = 100;
    RET("sendfile past eof", sendfile(pp[1], fd, &so, 4));
    lseek(out, 0, SEEK_SET);
    ftruncate(out, 0);
    RET("sendfile file->file", sendfile(out, fd, NULL, 100));
    printf("out size %ld\n", (long)lseek(out, 0, SEEK_END));
    unlink(F);
    unlink(G);
    return 0;
}

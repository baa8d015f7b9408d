/* ioctl: TCGETS/TIOCGWINSZ/TIOCGPGRP on non-tty fds (regular file, pipe, /dev/null)
 * give ENOTTY; FIONREAD on a pipe and a file; FIONBIO and FIOCLEX/FIONCLEX; EBADF. */
#include "common.h"
#include <sys/ioctl.h>
#include <termios.h>

int main(void) {
    setup(10);
    const char *path = "/tmp/husk-ioctl_notty.dat";
    int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(f, "12345678", 8);
    lseek(f, 3, SEEK_SET);
    int p[2];
    pipe(p);
    int nul = open("/dev/null", O_RDWR);
    struct termios t;
    struct winsize w;
    int fds[] = {f, p[0], nul};
    const char *names[] = {"file", "pipe", "/dev/null"};
    for (int i = 0; i < 3; i++) {
        printf("%s: ", names[i]);
        RET("TCGETS", ioctl(fds[i], TCGETS, &t));
        printf("%s: ", names[i]);
        RET("TIOCGWINSZ", ioctl(fds[i], TIOCGWINSZ, &w));
        printf("%s: ", names[i]);
        pid_t pg;
        RET("TIOCGPGRP", ioctl(fds[i], TIOCGPGRP, &pg));
        printf("%s: isatty=%d %s\n", names[i], isatty(fds[i]), en(errno));
    }
    int n = -1;
    write(p[1], "hello", 5);
    RET("FIONREAD pipe", ioctl(p[0], FIONREAD, &n));
    printf("pipe bytes: %d\n", n);
    RET("FIONREAD file", ioctl(f, FIONREAD, &n));
    printf("file bytes remaining: %d\n", n);
    int on = 1;
    RET("FIONBIO on", ioctl(p[0], FIONBIO, &on));
    YN("O_NONBLOCK set", fcntl(p[0], F_GETFL) & O_NONBLOCK);
    char buf[8];
    read(p[0], buf, 5);
    RET("read empty (nonblocking)", read(p[0], buf, 1));
    RET("FIOCLEX", ioctl(f, FIOCLEX));
    RET("F_GETFD", fcntl(f, F_GETFD));
    RET("FIONCLEX", ioctl(f, FIONCLEX));
    RET("F_GETFD", fcntl(f, F_GETFD));
    RET("ioctl bad fd", ioctl(999, FIONREAD, &n));
    RET("unknown ioctl on file", ioctl(f, 0x12345678, &n));
    RET("TCGETS bad pointer on file", ioctl(f, TCGETS, (void *)8));
    close(f);
    unlink(path);
    return 0;
}

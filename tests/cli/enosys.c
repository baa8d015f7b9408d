/* Calls an unimplemented system call (shmget, and an unknown number) several times. */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    for (int i = 0; i < 3; i++) {
        long r = syscall(SYS_shmget, 0, 4096, 0);
        printf("shmget: %ld %s\n", r, r < 0 && errno == ENOSYS ? "ENOSYS" : "other");
        r = syscall(1000);
        printf("1000: %ld %s\n", r, r < 0 && errno == ENOSYS ? "ENOSYS" : "other");
    }
    return 0;
}

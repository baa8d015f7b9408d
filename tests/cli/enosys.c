/* Calls an unimplemented system call (kexec_load, and an unknown number) several times. */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    for (int i = 0; i < 3; i++) {
        long r = syscall(SYS_kexec_load, 0, 0, 0, 0);
        printf("kexec_load: %ld %s\n", r, r < 0 && errno == ENOSYS ? "ENOSYS" : "other");
        r = syscall(1000);
        printf("1000: %ld %s\n", r, r < 0 && errno == ENOSYS ? "ENOSYS" : "other");
    }
    return 0;
}

/* Crashes in the way named by argv[1]; the exit status must be 128 + the signal, and
 * husk itself must survive it. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "jump";
    /* These signals dump core by default: no core files in the cwd. */
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    if (!strcmp(mode, "jump")) {
        ((void (*)(void))0x1234)(); /* SIGSEGV at an unmapped address */
    } else if (!strcmp(mode, "null")) {
        *(volatile int *)0 = 1; /* SIGSEGV on a write to page 0 */
    } else if (!strcmp(mode, "nx")) {
        static unsigned char code[16] = {0xc3}; /* ret, in non-executable .data */
        ((void (*)(void))code)();
    } else if (!strcmp(mode, "ud2")) {
        __asm__ volatile("ud2"); /* SIGILL */
    } else if (!strcmp(mode, "int3")) {
        __asm__ volatile("int3"); /* SIGTRAP: delicate on a ptrace platform */
    } else if (!strcmp(mode, "divzero")) {
        volatile int one = 1, zero = 0;
        printf("%d\n", one / zero); /* SIGFPE */
    }
    printf("not reached\n");
    return 0;
}

/* A fork bomb bounded by RLIMIT_NPROC: sets the limit to 50, forks until fork fails,
 * reports EAGAIN, kills and reaps its children, exits 0. Root is exempt from
 * RLIMIT_NPROC, so a root caller first becomes nobody (65534). A hard cap of 400 keeps
 * it bounded should the limit not be enforced. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define LIMIT 50
#define CAP 400

int main(void) {
    if (getuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) {
        perror("dropping to uid 65534");
        return 2;
    }
    struct rlimit rl = {LIMIT, LIMIT};
    if (setrlimit(RLIMIT_NPROC, &rl) != 0) {
        perror("setrlimit");
        return 2;
    }
    static pid_t kids[CAP];
    int n = 0, err = 0;
    while (n < CAP) {
        pid_t p = fork();
        if (p == 0) {
            alarm(60); /* never outlive a broken parent for long */
            for (;;)
                pause();
        }
        if (p < 0) {
            err = errno;
            break;
        }
        kids[n++] = p;
    }
    if (err == EAGAIN)
        printf("fork failed with EAGAIN\n");
    else
        printf("no EAGAIN: %d children, errno %d\n", n, err);
    printf("more than 10 children: %s, at most %d: %s\n", n > 10 ? "yes" : "no", LIMIT,
           n <= LIMIT ? "yes" : "no");
    for (int i = 0; i < n; i++)
        kill(kids[i], SIGKILL);
    int reaped = 0;
    for (int i = 0; i < n; i++)
        if (waitpid(kids[i], NULL, 0) == kids[i])
            reaped++;
    printf("reaped all: %s\n", reaped == n ? "yes" : "no");
    return err == EAGAIN && reaped == n ? 0 : 1;
}

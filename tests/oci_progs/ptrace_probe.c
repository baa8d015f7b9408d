/* ptrace from inside a container (tests/oci.rs, ptrace_from_a_container_fails).
 *
 * PTRACE_ATTACH to pid 1 (this program: the container's init), to pid 2 (not in the
 * container) and to each host pid named in /in/pids ("NAME PID" lines, written by the
 * test into a bind-mounted host directory between create and start; waited for up to
 * 10 s), then PTRACE_TRACEME. One line per attempt: "attach NAME: ok" or
 * "attach NAME: failed ERRNO-NAME". An attach that succeeds is undone at once. Then
 * prints "done" and sleeps, so that the test can look at the host processes while the
 * container still runs. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *errno_name(int e) {
    switch (e) {
    case EPERM: return "EPERM";
    case ESRCH: return "ESRCH";
    case ENOSYS: return "ENOSYS";
    case EACCES: return "EACCES";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    default: return "other";
    }
}

static void attach(const char *name, long pid) {
    if (ptrace(PTRACE_ATTACH, (pid_t)pid, NULL, NULL) == 0) {
        int st;
        waitpid((pid_t)pid, &st, __WALL);
        ptrace(PTRACE_DETACH, (pid_t)pid, NULL, NULL);
        printf("attach %s: ok\n", name);
    } else {
        printf("attach %s: failed %s\n", name, errno_name(errno));
    }
    fflush(stdout);
}

int main(void) {
    FILE *f = NULL;
    for (int i = 0; i < 200 && !(f = fopen("/in/pids", "r")); i++)
        usleep(50 * 1000);
    if (!f) {
        printf("no /in/pids\n");
        return 2;
    }
    attach("1", 1);
    attach("2", 2);
    char name[64];
    long pid;
    while (fscanf(f, "%63s %ld", name, &pid) == 2)
        attach(name, pid);
    fclose(f);
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0)
        printf("traceme: ok\n");
    else
        printf("traceme: failed %s\n", errno_name(errno));
    printf("done\n");
    fflush(stdout);
    sleep(60);
    return 0;
}

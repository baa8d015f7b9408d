/* execve from a non-main thread: the other threads die, the exec'd image keeps the
 * process id, and is single-threaded. */
#include "common.h"
#include <dirent.h>
#include <pthread.h>

static char *self;

static void *sleeper(void *arg) {
    (void)arg;
    for (;;) pause();
    return NULL;
}

static void *execer(void *arg) {
    (void)arg;
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    char *av[] = {self, "after", pid, NULL};
    execv("/proc/self/exe", av);
    printf("execv failed: %s\n", en(errno));
    _exit(1);
}

static int count_threads(void) {
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

int main(int argc, char **argv) {
    setup(10);
    self = argv[0];
    if (argc == 3 && strcmp(argv[1], "after") == 0) {
        printf("after exec: pid unchanged: %s\n", atoi(argv[2]) == getpid() ? "yes" : "no");
        YN("after exec: gettid()==getpid()", syscall(SYS_gettid) == getpid());
        printf("after exec: threads in /proc/self/task: %d\n", count_threads());
        return 0;
    }
    /* Run the scenario in a child so that the wait status can be printed too. */
    pid_t p = fork();
    if (p == 0) {
        pthread_t t[3];
        for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, sleeper, NULL);
        printf("before exec: threads: %d\n", count_threads());
        pthread_create(&t[2], NULL, execer, NULL);
        for (;;) pause();
    }
    printf("child: %s\n", wstr(wait_child(p)));
    return 0;
}

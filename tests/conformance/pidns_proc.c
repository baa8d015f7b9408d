/* /proc mounted inside a new PID namespace (in a new mount namespace) lists only that
 * namespace's processes, with their IDs there: the namespace's init is 1, /proc/self
 * names the reader by its namespace pid, status shows Pid/PPid/NSpid as seen from the
 * namespace, stat's pid and ppid fields likewise, and task/ uses namespace tids. */
#include "common.h"
#include <dirent.h>
#include <sched.h>
#include <sys/mount.h>

static void show_pids(const char *label) {
    DIR *d = opendir("/proc");
    if (!d) {
        printf("%s: opendir %s\n", label, en(errno));
        return;
    }
    int ids[64], n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        char *end;
        long v = strtol(e->d_name, &end, 10);
        if (*end == 0 && v > 0) ids[n++] = (int)v;
    }
    closedir(d);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (ids[j] < ids[i]) {
                int x = ids[i];
                ids[i] = ids[j];
                ids[j] = x;
            }
    printf("%s:", label);
    for (int i = 0; i < n; i++) printf(" %d", ids[i]);
    printf("\n");
}

static void show_status(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("%s: %s\n", path, en(errno));
        return;
    }
    char line[256];
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "Pid:", 4) || !strncmp(line, "PPid:", 5) || !strncmp(line, "Tgid:", 5) ||
            !strncmp(line, "NSpid:", 6))
            printf("%s: %s", path, line);
    fclose(f);
}

static void show_stat(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return;
    int pid, ppid, pgrp;
    char comm[64], state;
    if (fscanf(f, "%d %63s %c %d %d", &pid, comm, &state, &ppid, &pgrp) == 5)
        printf("%s: pid %d ppid %d\n", path, pid, ppid);
    fclose(f);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    long r = syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);
    if (r == 0) {
        RET("make / private", mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL));
        RET("mount proc", mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
        int p[2];
        if (pipe(p)) _exit(1);
        pid_t c = fork();
        if (c == 0) {
            char b;
            close(p[1]);
            if (read(p[0], &b, 1) < 0) _exit(1);
            _exit(0);
        }
        close(p[0]);
        show_pids("pids");
        char buf[64] = {0};
        if (readlink("/proc/self", buf, sizeof buf - 1) > 0) printf("/proc/self -> %s\n", buf);
        show_status("/proc/self/status");
        show_status("/proc/2/status");
        show_stat("/proc/2/stat");
        show_pids("pids again");
        DIR *d = opendir("/proc/self/task");
        struct dirent *e;
        while (d && (e = readdir(d)))
            if (e->d_name[0] != '.') printf("task: %s\n", e->d_name);
        if (d) closedir(d);
        close(p[1]);
        waitpid(c, NULL, 0);
        show_pids("after reap");
        _exit(0);
    }
    int st;
    waitpid((pid_t)r, &st, 0);
    printf("exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}

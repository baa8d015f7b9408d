/* Shared helpers for husk's conformance programs (tests/conformance/NAME.c).
 *
 * Every program prints only facts that are identical natively and under husk: return
 * values, errno names, and relations ("x > 0: yes"), never pids, addresses or times.
 * Rules for programs that signal themselves: the program may be pid 1 in the sandbox,
 * and Linux drops default-action signals sent to init from inside its namespace, so
 * default actions are only ever tested in forked children, and a signal that is meant
 * to stay pending must have a handler installed first. */
#ifndef HUSK_CONFORMANCE_COMMON_H
#define HUSK_CONFORMANCE_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define UNUSED __attribute__((unused))

/* The name of an errno value ("ENOENT"), or "E<number>" for one not listed. */
static UNUSED const char *en(int e) {
    static char buf[16];
    switch (e) {
#define E_(x) case x: return #x;
        E_(EPERM) E_(ENOENT) E_(ESRCH) E_(EINTR) E_(EIO) E_(ENXIO) E_(E2BIG) E_(ENOEXEC)
        E_(EBADF) E_(ECHILD) E_(EAGAIN) E_(ENOMEM) E_(EACCES) E_(EFAULT) E_(EBUSY)
        E_(EEXIST) E_(EXDEV) E_(ENODEV) E_(ENOTDIR) E_(EISDIR) E_(EINVAL) E_(ENFILE)
        E_(EMFILE) E_(ENOTTY) E_(ETXTBSY) E_(EFBIG) E_(ENOSPC) E_(ESPIPE) E_(EROFS)
        E_(EMLINK) E_(EPIPE) E_(EDOM) E_(ERANGE) E_(EDEADLK) E_(ENAMETOOLONG) E_(ENOLCK)
        E_(ENOSYS) E_(ENOTEMPTY) E_(ELOOP) E_(ENOMSG) E_(EIDRM) E_(ENODATA) E_(ETIME)
        E_(EOVERFLOW) E_(EBADFD) E_(ENOTSOCK) E_(EDESTADDRREQ) E_(EMSGSIZE)
        E_(EPROTOTYPE) E_(ENOPROTOOPT) E_(EPROTONOSUPPORT) E_(EOPNOTSUPP)
        E_(EAFNOSUPPORT) E_(EADDRINUSE) E_(EADDRNOTAVAIL) E_(ENETUNREACH)
        E_(ECONNABORTED) E_(ECONNRESET) E_(ENOBUFS) E_(EISCONN) E_(ENOTCONN)
        E_(ETIMEDOUT) E_(ECONNREFUSED) E_(EALREADY) E_(EINPROGRESS) E_(ECANCELED)
        E_(EOWNERDEAD) E_(ENOTRECOVERABLE) E_(ERESTART)
#undef E_
    case 0: return "OK";
    default: snprintf(buf, sizeof buf, "E%d", e); return buf;
    }
}

/* Prints "LABEL: 0" / "LABEL: -1 ENOENT": the exact return value. */
#define RET(label, expr)                                                        \
    do {                                                                        \
        errno = 0;                                                              \
        long r_ = (long)(expr);                                                 \
        if (r_ == -1) printf("%s: -1 %s\n", (label), en(errno));                \
        else printf("%s: %ld\n", (label), r_);                                  \
    } while (0)

/* Prints "LABEL: ok" for any non-negative result, else "LABEL: -1 ENAME". For calls
 * returning fds or other host-dependent but successful values. */
#define OK(label, expr)                                                         \
    do {                                                                        \
        errno = 0;                                                              \
        long r_ = (long)(expr);                                                 \
        if (r_ >= 0) printf("%s: ok\n", (label));                               \
        else printf("%s: %ld %s\n", (label), r_, en(errno));                    \
    } while (0)

/* Prints "LABEL: yes" or "LABEL: no". */
#define YN(label, cond) printf("%s: %s\n", (label), (cond) ? "yes" : "no")

/* Fatal setup failure: tell and exit 99 (a setup step failing is itself a result). */
#define DIE(what)                                                               \
    do {                                                                        \
        printf("FATAL %s: %s (line %d)\n", (what), en(errno), __LINE__);        \
        exit(99);                                                               \
    } while (0)

/* Unbuffered stdout (deterministic order across fork) and an optional watchdog. */
static UNUSED void setup(int watchdog_secs) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (watchdog_secs > 0) alarm((unsigned)watchdog_secs);
}

static UNUSED long long now_ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static UNUSED void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* Describes a wait status: "exited 3", "signaled SIGTERM", "stopped SIGSTOP", ... */
static UNUSED const char *signame(int s) {
    static char buf[16];
    switch (s) {
#define S_(x) case x: return #x;
        S_(SIGHUP) S_(SIGINT) S_(SIGQUIT) S_(SIGILL) S_(SIGTRAP) S_(SIGABRT) S_(SIGBUS)
        S_(SIGFPE) S_(SIGKILL) S_(SIGUSR1) S_(SIGSEGV) S_(SIGUSR2) S_(SIGPIPE)
        S_(SIGALRM) S_(SIGTERM) S_(SIGCHLD) S_(SIGCONT) S_(SIGSTOP) S_(SIGTSTP)
        S_(SIGTTIN) S_(SIGTTOU) S_(SIGURG) S_(SIGXCPU) S_(SIGXFSZ) S_(SIGVTALRM)
        S_(SIGPROF) S_(SIGWINCH) S_(SIGIO) S_(SIGPWR) S_(SIGSYS)
#undef S_
    case 0: return "0";
    default:
        if (s >= SIGRTMIN && s <= SIGRTMAX) snprintf(buf, sizeof buf, "SIGRTMIN+%d", s - SIGRTMIN);
        else snprintf(buf, sizeof buf, "SIG%d", s);
        return buf;
    }
}

static UNUSED const char *wstr(int st) {
    static char buf[64];
    if (WIFEXITED(st)) snprintf(buf, sizeof buf, "exited %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) snprintf(buf, sizeof buf, "signaled %s", signame(WTERMSIG(st)));
    else if (WIFSTOPPED(st)) snprintf(buf, sizeof buf, "stopped %s", signame(WSTOPSIG(st)));
    else if (WIFCONTINUED(st)) snprintf(buf, sizeof buf, "continued");
    else snprintf(buf, sizeof buf, "unknown 0x%x", st);
    return buf;
}

/* waitpid that retries on EINTR; returns the status, or -1000-errno on failure. */
static UNUSED int wait_child(pid_t pid) {
    int st = 0;
    pid_t r;
    while ((r = waitpid(pid, &st, 0)) == -1 && errno == EINTR) {
    }
    if (r != pid) return -1000 - errno;
    return st;
}

/* Forks; the child runs fn and exits with its return value; the parent waits and
 * prints "LABEL: <wait status>". */
static UNUSED void in_child(const char *label, int (*fn)(void)) {
    fflush(stdout);
    pid_t p = fork();
    if (p < 0) DIE("fork");
    if (p == 0) _exit(fn());
    int st = wait_child(p);
    if (st < 0) printf("%s: wait failed %s\n", label, en(-st - 1000));
    else printf("%s: %s\n", label, wstr(st));
}

static UNUSED long futex(void *uaddr, int op, int val, const struct timespec *ts, void *uaddr2, int val3) {
    return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

/* Touches one byte (read or write) and reports what happened: "ok", or the signal and
 * si_code of the fault, e.g. "SIGSEGV/SEGV_MAPERR". The fault is caught by a SIGSEGV/SIGBUS
 * handler installed on first use. */
static sigjmp_buf probe_jb_;
static volatile int probe_sig_, probe_code_;
static volatile void *probe_addr_;
static void probe_handler_(int s, siginfo_t *si, void *u) {
    (void)u;
    probe_sig_ = s;
    probe_code_ = si->si_code;
    probe_addr_ = si->si_addr;
    siglongjmp(probe_jb_, 1);
}
static UNUSED const char *probe(volatile char *p, int write) {
    static int installed;
    static char buf[48];
    if (!installed) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = probe_handler_;
        sa.sa_flags = SA_SIGINFO | SA_NODEFER;
        sigaction(SIGSEGV, &sa, NULL);
        sigaction(SIGBUS, &sa, NULL);
        installed = 1;
    }
    if (sigsetjmp(probe_jb_, 1) == 0) {
        if (write) *p = *p;
        else (void)*p;
        return "ok";
    }
    const char *c = "?";
    if (probe_sig_ == SIGSEGV) c = probe_code_ == SEGV_MAPERR ? "SEGV_MAPERR" : probe_code_ == SEGV_ACCERR ? "SEGV_ACCERR" : "other";
    if (probe_sig_ == SIGBUS) c = probe_code_ == BUS_ADRERR ? "BUS_ADRERR" : "other";
    snprintf(buf, sizeof buf, "%s/%s%s", signame(probe_sig_), c, probe_addr_ == (void *)p ? "" : " (si_addr differs)");
    return buf;
}

/* Raw syscalls that touch neither errno nor TLS: usable in threads made by raw_clone. */
static inline long rsys(long n, long a, long b, long c) {
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return ret;
}
static inline long rsys6(long n, long a, long b, long c, long d, long e, long f) {
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

/* The raw clone system call. In the child, fn(arg) runs on stack_top and its return
 * value is passed to SYS_exit; fn must use only rsys* (no libc, no errno). Returns
 * the child's tid, or -errno. */
static UNUSED long raw_clone(unsigned long flags, void *stack_top, int *ptid, int *ctid,
                             unsigned long tls, long (*fn)(void *), void *arg) {
    unsigned long *sp = (unsigned long *)((uintptr_t)stack_top & ~(uintptr_t)15);
    *--sp = (unsigned long)arg;
    *--sp = (unsigned long)fn;
    long ret;
    register long r10 __asm__("r10") = (long)ctid;
    register long r8 __asm__("r8") = (long)tls;
    __asm__ volatile(
        "syscall\n\t"
        "test %%rax, %%rax\n\t"
        "jnz 1f\n\t"
        "xor %%ebp, %%ebp\n\t"
        "pop %%rax\n\t"
        "pop %%rdi\n\t"
        "call *%%rax\n\t"
        "mov %%rax, %%rdi\n\t"
        "mov $60, %%eax\n\t"
        "syscall\n\t"
        "hlt\n\t"
        "1:\n\t"
        : "=a"(ret)
        : "a"((long)SYS_clone), "D"(flags), "S"(sp), "d"(ptid), "r"(r10), "r"(r8)
        : "rcx", "r11", "memory");
    return ret;
}

#endif

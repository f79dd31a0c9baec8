/*
 * fuzz_proc.c - the target process of `wsspec fuzz --cmd` (fuzz_proc.h).
 */
#define _GNU_SOURCE
#include "fuzz_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap_ms(long ms)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* The markers of a sanitizer report on stderr. */
static const char *const san_markers[] = {
    "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",     "runtime error:",
    "ERROR: MemorySanitizer",  "WARNING: ThreadSanitizer",
};

static void scan_line(struct fuzz_proc *p, const char *line, size_t n)
{
    if (p->log && p->log_bytes + n + 1 <= FUZZ_PROC_LOG_MAX) {
        fprintf(p->log, "%.*s\n", (int)n, line);
        p->log_bytes += n + 1;
    }
    if (p->sanitizer)
        return;
    char tmp[512];
    size_t k = n < sizeof tmp - 1 ? n : sizeof tmp - 1;
    memcpy(tmp, line, k);
    tmp[k] = '\0';
    for (size_t i = 0; i < sizeof san_markers / sizeof san_markers[0]; i++)
        if (strstr(tmp, san_markers[i])) {
            p->sanitizer = true;
            snprintf(p->san_line, sizeof p->san_line, "%.*s", (int)sizeof p->san_line - 1, tmp);
            return;
        }
}

/* New bytes: into the tail, and scanned line by line (a line longer than the tail is
 * scanned in pieces). */
static void take_bytes(struct fuzz_proc *p, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p->tail_len == sizeof p->tail) {
            scan_line(p, p->tail, p->tail_len);
            p->tail_len = 0;
        }
        if (b[i] == '\n') {
            scan_line(p, p->tail, p->tail_len);
            p->tail_len = 0;
            continue;
        }
        p->tail[p->tail_len++] = b[i];
    }
}

static void drain(struct fuzz_proc *p)
{
    char b[4096];
    for (int rounds = 0; p->err_fd >= 0 && rounds < 256; rounds++) {
        ssize_t n = read(p->err_fd, b, sizeof b);
        if (n > 0) {
            take_bytes(p, b, (size_t)n);
            continue;
        }
        if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
            close(p->err_fd);
            p->err_fd = -1;
        }
        return;
    }
}

static void reaped(struct fuzz_proc *p, int status)
{
    p->pid = 0;
    p->exited = true;
    p->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    p->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

void fuzz_proc_poll(struct fuzz_proc *p)
{
    drain(p);
    int status;
    if (p->pid > 0 && waitpid(p->pid, &status, WNOHANG) == p->pid) {
        reaped(p, status);
        drain(p);
    }
}

bool fuzz_proc_wait_exit(struct fuzz_proc *p, double seconds)
{
    double end = now_s() + seconds;
    fuzz_proc_poll(p);
    while (p->pid > 0 && now_s() < end) {
        nap_ms(5);
        fuzz_proc_poll(p);
    }
    return p->pid == 0;
}

void fuzz_proc_clear(struct fuzz_proc *p)
{
    p->exited = p->sanitizer = false;
    p->exit_code = -1;
    p->signal = 0;
    p->san_line[0] = '\0';
}

static bool accepts(const struct sockaddr *addr, socklen_t addr_len)
{
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool ok = connect(fd, addr, addr_len) == 0;
    close(fd);
    return ok;
}

static int spawn(struct fuzz_proc *p, char *err, size_t err_len)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(err, err_len, "cannot make a pipe: %s", strerror(errno));
        return -1;
    }
    char *line = malloc(strlen(p->cmd) + 6);
    if (!line) {
        close(fds[0]), close(fds[1]);
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    memcpy(line, "exec ", 5);
    memcpy(line + 5, p->cmd, strlen(p->cmd) + 1);
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        signal(SIGPIPE, SIG_DFL); /* wsspec ignores it; an ignored signal survives exec */
        dup2(fds[1], 1);          /* its stdout too: into the log, not between wsspec's lines */
        dup2(fds[1], 2);
        /* AFL++'s fork server pipe: an instrumented target finding these open would wait
         * for a fork server's orders instead of serving (fuzz_cov.h) */
        close(198), close(199);
        execl("/bin/sh", "sh", "-c", line, (char *)NULL);
        _exit(127);
    }
    free(line);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        snprintf(err, err_len, "cannot start --cmd: %s", strerror(errno));
        return -1;
    }
    setpgid(pid, pid); /* both sides, so no race with kill() below */
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    p->pid = pid;
    p->err_fd = fds[0];
    return 0;
}

int fuzz_proc_start(struct fuzz_proc *p, const struct sockaddr *addr, socklen_t addr_len,
                    double seconds, char *err, size_t err_len)
{
    p->err_fd = -1;
    p->tail_len = 0;
    if (spawn(p, err, err_len) != 0)
        return -1;
    double end = now_s() + seconds;
    /* polling connect: a process that has not bound its port yet tells us nothing but
     * "refused", so there is nothing to wait on but time, bounded by the deadline */
    while (now_s() < end) {
        fuzz_proc_poll(p);
        if (p->exited) {
            char how[96];
            fuzz_proc_describe(p, how, sizeof how);
            snprintf(err, err_len, "--cmd ended before it accepted a connection (%s)", how);
            return -1;
        }
        if (accepts(addr, addr_len))
            return 0;
        nap_ms(10);
    }
    fuzz_proc_stop(p, 1.0);
    snprintf(err, err_len, "--cmd did not accept a connection within %.1f s", seconds);
    return -1;
}

size_t fuzz_proc_rss_kib(const struct fuzz_proc *p)
{
    if (p->pid <= 0)
        return 0;
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)p->pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t kib = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = (size_t)strtoull(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kib;
}

void fuzz_proc_stop(struct fuzz_proc *p, double grace)
{
    if (p->pid > 0) {
        pid_t pid = p->pid;
        kill(-pid, SIGTERM);
        double end = now_s() + grace;
        int status;
        pid_t w;
        while ((w = waitpid(pid, &status, WNOHANG)) == 0 && now_s() < end) {
            drain(p);
            nap_ms(5);
        }
        if (w == 0) {
            kill(-pid, SIGKILL);
            w = waitpid(pid, &status, 0);
        }
        p->pid = 0;
        (void)w;
    }
    drain(p);
    if (p->err_fd >= 0) {
        close(p->err_fd);
        p->err_fd = -1;
    }
    if (p->tail_len)
        scan_line(p, p->tail, p->tail_len);
    p->tail_len = 0;
}

void fuzz_proc_describe(const struct fuzz_proc *p, char *out, size_t cap)
{
    if (p->signal)
        snprintf(out, cap, "signal %d (%s)", p->signal, strsignal(p->signal));
    else if (p->exited)
        snprintf(out, cap, "exit status %d", p->exit_code);
    else
        snprintf(out, cap, "running");
}

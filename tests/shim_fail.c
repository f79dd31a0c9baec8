/*
 * shim_fail.c - an LD_PRELOAD library that makes chosen system calls fail, so the tests
 * can show what wsspec does when its own machine is the trouble (tests/itest_loop.sh):
 * a kernel without epoll_pwait2, a wait that fails, no file descriptors left. Built as
 * build/shim_fail.so; does nothing unless told to:
 *
 *   SHIM_FAIL=NAME:ERRNO[:AFTER][,NAME:ERRNO[:AFTER]...]
 *
 * NAME is epoll_pwait2, epoll_wait or socket; ERRNO is ENOSYS, EINVAL, EBADF, EMFILE or
 * ENFILE; AFTER (default 0) is how many calls succeed before every later call fails
 * with ERRNO. Each failure is counted in the file SHIM_COUNT names (one line per
 * failed call, appended), if set, so a test can show that a fallback is decided once
 * and not retried in a loop; SHIM_CALLS names a file that gets, at exit, one line
 * "NAME CALLS" per function (every call, failed or not), so a test can show that a
 * loop waits rather than spins.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum shim_fn { SHIM_PWAIT2, SHIM_WAIT, SHIM_SOCKET, SHIM_N };

static const char *const shim_names[SHIM_N] = {"epoll_pwait2", "epoll_wait", "socket"};

struct shim_rule {
    int err;            /* 0: the call is not failed */
    unsigned long left; /* calls that still succeed */
};

static struct shim_rule rules[SHIM_N];
static unsigned long calls[SHIM_N];
static int parsed;

static int errno_of(const char *s, size_t n)
{
    static const struct {
        const char *name;
        int value;
    } known[] = {{"ENOSYS", ENOSYS},
                 {"EINVAL", EINVAL},
                 {"EBADF", EBADF},
                 {"EMFILE", EMFILE},
                 {"ENFILE", ENFILE}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strlen(known[i].name) == n && strncmp(s, known[i].name, n) == 0)
            return known[i].value;
    return 0;
}

/* One "NAME:ERRNO[:AFTER]" item of SHIM_FAIL. */
static void parse_item(const char *s, size_t n)
{
    const char *c1 = memchr(s, ':', n);
    if (!c1)
        return;
    const char *rest = c1 + 1;
    size_t rest_n = n - (size_t)(rest - s);
    const char *c2 = memchr(rest, ':', rest_n);
    size_t err_n = c2 ? (size_t)(c2 - rest) : rest_n;
    for (int f = 0; f < SHIM_N; f++)
        if (strlen(shim_names[f]) == (size_t)(c1 - s) &&
            strncmp(s, shim_names[f], (size_t)(c1 - s)) == 0) {
            rules[f].err = errno_of(rest, err_n);
            rules[f].left = c2 ? strtoul(c2 + 1, NULL, 10) : 0;
        }
}

static void parse_env(void)
{
    if (parsed)
        return;
    parsed = 1;
    const char *v = getenv("SHIM_FAIL");
    while (v && *v) {
        size_t n = strcspn(v, ",");
        parse_item(v, n);
        v += n + (v[n] == ',');
    }
}

/* True when this call of f is to fail (errno set, the failure counted). */
static int shim_fails(enum shim_fn f)
{
    parse_env();
    calls[f]++;
    struct shim_rule *r = &rules[f];
    if (!r->err)
        return 0;
    if (r->left) {
        r->left--;
        return 0;
    }
    const char *count = getenv("SHIM_COUNT");
    if (count) {
        int fd = open(count, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0) {
            ssize_t w = write(fd, shim_names[f], strlen(shim_names[f]));
            w += write(fd, "\n", 1);
            (void)w;
            close(fd);
        }
    }
    errno = r->err;
    return 1;
}

int epoll_pwait2(int ep, struct epoll_event *evs, int max, const struct timespec *timeout,
                 const sigset_t *sigmask)
{
    if (shim_fails(SHIM_PWAIT2))
        return -1;
    int (*real)(int, struct epoll_event *, int, const struct timespec *, const sigset_t *) =
        (int (*)(int, struct epoll_event *, int, const struct timespec *, const sigset_t *))dlsym(
            RTLD_NEXT, "epoll_pwait2");
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    return real(ep, evs, max, timeout, sigmask);
}

int epoll_wait(int ep, struct epoll_event *evs, int max, int timeout)
{
    if (shim_fails(SHIM_WAIT))
        return -1;
    int (*real)(int, struct epoll_event *, int, int) =
        (int (*)(int, struct epoll_event *, int, int))dlsym(RTLD_NEXT, "epoll_wait");
    return real(ep, evs, max, timeout);
}

int socket(int domain, int type, int protocol)
{
    if (shim_fails(SHIM_SOCKET))
        return -1;
    int (*real)(int, int, int) = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
    return real(domain, type, protocol);
}

__attribute__((destructor)) static void shim_report(void)
{
    const char *path = getenv("SHIM_CALLS");
    if (!path)
        return;
    int fd = open(path, O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    for (int f = 0; f < SHIM_N; f++) {
        char line[64];
        int n = snprintf(line, sizeof line, "%s %lu\n", shim_names[f], calls[f]);
        if (n > 0 && write(fd, line, (size_t)n) != n)
            break;
    }
    close(fd);
}

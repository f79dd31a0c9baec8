/*
 * loop.c - epoll with microsecond timeouts, and the clocks (see loop.h).
 */
#define _GNU_SOURCE
#include "loop.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

double loop_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double loop_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Decided once per process, with a wait that returns at once: a kernel before 5.11 (or
 * a sandbox's seccomp filter) answers ENOSYS, and every later loop uses epoll_wait
 * without asking again. tests/itest_loop.sh checks both ways with an LD_PRELOAD shim
 * (tests/shim_fail.c) that makes the call fail. */
static bool pwait2_missing(int ep)
{
    static int known = -1; /* -1 not asked yet, 0 present, 1 missing */
    if (known < 0) {
        struct epoll_event ev;
        struct timespec zero = {0, 0};
        known = epoll_pwait2(ep, &ev, 1, &zero, NULL) < 0 && errno == ENOSYS;
    }
    return known == 1;
}

int loop_init(struct loop *l, char *err, size_t err_len)
{
    memset(l, 0, sizeof *l);
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    if (l->ep < 0) {
        snprintf(err, err_len, "epoll_create1: %s", strerror(errno));
        return -1;
    }
    l->coarse = pwait2_missing(l->ep);
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); /* best effort: pacing in microseconds */
    return 0;
}

void loop_free(struct loop *l)
{
    if (l->ep >= 0)
        close(l->ep);
    l->ep = -1;
}

int loop_watch(struct loop *l, int fd, uint32_t events, void *ptr)
{
    struct epoll_event ev = {.events = events, .data.ptr = ptr};
    if (epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev) == 0)
        return 0;
    if (errno != ENOENT)
        return -1;
    return epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev);
}

void loop_unwatch(struct loop *l, int fd)
{
    epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
}

int loop_wait(struct loop *l, double seconds, struct epoll_event *evs, int max, char *err,
              size_t err_len)
{
    if (seconds < 0)
        seconds = 0;
    if (seconds > 1.0)
        seconds = 1.0;
    int n;
    if (l->coarse) {
        int ms = seconds > 0 ? (int)(seconds * 1000 + 0.999) : 0;
        n = epoll_wait(l->ep, evs, max, ms);
    } else {
        struct timespec ts = {.tv_sec = (time_t)seconds,
                              .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};
        n = epoll_pwait2(l->ep, evs, max, &ts, NULL);
    }
    if (n >= 0)
        return n;
    if (errno == EINTR)
        return 0;
    snprintf(err, err_len, "%s: %s", l->coarse ? "epoll_wait" : "epoll_pwait2", strerror(errno));
    return -1;
}

int loop_selftest(bool *coarse, char *err, size_t err_len)
{
    struct loop l;
    if (loop_init(&l, err, err_len) != 0)
        return -1;
    struct epoll_event ev;
    int n = loop_wait(&l, 0, &ev, 1, err, err_len);
    *coarse = l.coarse;
    loop_free(&l);
    return n < 0 ? -1 : 0;
}

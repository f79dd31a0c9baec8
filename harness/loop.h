/*
 * loop.h - the tester's event loop: one epoll instance, waits bounded by the nearest
 * deadline with microsecond resolution (chopped writes are paced in microseconds). The
 * loop knows file descriptors and time, nothing about WebSocket: tester.c runs the
 * sessions on it.
 *
 * epoll_pwait2 (Linux 5.11) gives the nanosecond timeout; where the kernel or a
 * sandbox lacks it (ENOSYS) the loop says so once (loop.coarse) and uses epoll_wait
 * with the timeout rounded up to the millisecond - slower pacing, same verdict rules,
 * never a busy loop. Timer slack is set to 1 us where the kernel allows, so a 10 us
 * wait is not 60.
 */
#ifndef LOOP_H
#define LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

struct loop {
    int ep;
    bool coarse; /* no epoll_pwait2: millisecond timeouts */
};

/* Returns 0, or -1 with a one-line reason in err (wsspec's own trouble). */
int loop_init(struct loop *l, char *err, size_t err_len);
void loop_free(struct loop *l);

/* Watch fd for events (EPOLLIN / EPOLLOUT), data = ptr; add or change. Returns 0 or -1
 * (errno set). */
int loop_watch(struct loop *l, int fd, uint32_t events, void *ptr);
void loop_unwatch(struct loop *l, int fd);

/* Wait until an fd is ready or `seconds` have passed (0 = just poll, at most 1 s is
 * waited so a stop request is seen). Returns the number of events in evs (0 on
 * timeout or EINTR), or -1 with the reason in err. */
int loop_wait(struct loop *l, double seconds, struct epoll_event *evs, int max, char *err,
              size_t err_len);

/* Before a run: make a loop and wait on it once, returning at once. Returns 0 with
 * *coarse telling whether waits are in milliseconds (no epoll_pwait2), or -1 with the
 * failing call and its reason in err: wsspec cannot wait for events on this machine. */
int loop_selftest(bool *coarse, char *err, size_t err_len);

/* Monotonic and wall-clock time in seconds. */
double loop_now(void);
double loop_wall(void);

#endif

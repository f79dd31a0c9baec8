/*
 * echo_uring.h - batched recv/send for the echo loop through io_uring (L3).
 *
 * Why. On a busy loopback endpoint with small messages, each echo costs one recv and
 * one send system call, and on this class of machine (virtualised) the entry and exit
 * of a system call are a fifth of the process's CPU. epoll still tells the loop which
 * connections are ready; this module then moves the bytes of all of them at once: the
 * reads of one epoll batch go into the ring together and come back with one
 * io_uring_enter, and so do the writes the batch produced. Three system calls per batch
 * instead of one plus two per ready connection (echo_loop.c, "Batched I/O").
 *
 * Every operation is submitted with MSG_DONTWAIT, so the kernel completes it at once
 * with the bytes moved or -EAGAIN, exactly what recv/send on the non-blocking socket
 * would return, and never parks it: waiting for the completions of what was just
 * submitted cannot block on a peer. The wait is bounded all the same
 * (ECHO_URING_WAIT_MS); a ring that does not complete in time is reported as failed.
 *
 * No liburing: the ring is set up with the raw system calls and <linux/io_uring.h>, a
 * hundred lines, so the endpoint needs nothing the kernel headers do not have. Where
 * the kernel or a sandbox refuses io_uring (ENOSYS, EPERM under a seccomp profile),
 * echo_uring_init fails and the loop runs on epoll alone.
 */
#ifndef ECHO_URING_H
#define ECHO_URING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest wait for the completions of one submission. They are immediate (MSG_DONTWAIT);
 * this only bounds a kernel that would behave otherwise. */
#define ECHO_URING_WAIT_MS 1000

struct echo_uring {
    int fd;
    unsigned entries; /* submission queue size */
    unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
    unsigned *cq_head, *cq_tail, *cq_mask;
    struct io_uring_sqe *sqes;
    struct io_uring_cqe *cqes;
    void *sq_map, *cq_map, *sqe_map;
    size_t sq_map_len, cq_map_len, sqe_map_len;
    unsigned tail;   /* our copy of the submission tail: entries prepared so far */
    unsigned queued; /* prepared and not yet submitted */
};

/* Set up a ring of `entries` submissions (a power of two; the kernel rounds up).
 * Returns 0, or an errno (ENOSYS: no io_uring in this kernel; EPERM: refused by a
 * sandbox) with u left unusable. */
int echo_uring_init(struct echo_uring *u, unsigned entries);
void echo_uring_free(struct echo_uring *u);

/* Room for more operations before the next submit. */
unsigned echo_uring_room(const struct echo_uring *u);

/* Queue a recv into buf / a send of buf on fd (MSG_DONTWAIT; sends MSG_NOSIGNAL too);
 * `tag` comes back with the result. False when the ring is full (see echo_uring_room). */
bool echo_uring_recv(struct echo_uring *u, int fd, void *buf, size_t cap, uint64_t tag);
bool echo_uring_send(struct echo_uring *u, int fd, const void *buf, size_t len, uint64_t tag);

/* Submit everything queued and wait for all of it to complete. Returns 0, or an errno
 * (ETIME: not complete within ECHO_URING_WAIT_MS) - then the ring is not to be used
 * again. */
int echo_uring_run(struct echo_uring *u);

/* Take the next completion: its tag and result (bytes moved, 0 at end of stream, or
 * -errno as recv/send would set it). False when there is none left. */
bool echo_uring_next(struct echo_uring *u, uint64_t *tag, int32_t *res);

#endif

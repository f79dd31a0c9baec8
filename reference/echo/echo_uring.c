/*
 * echo_uring.c - a minimal io_uring for batched recv/send (see echo_uring.h).
 *
 * The rings are shared with the kernel: we write submission entries and move the
 * submission tail (release), the kernel moves the submission head; the kernel writes
 * completions and moves the completion tail, we read them after an acquire load and
 * move the completion head (release). One thread uses a ring (SINGLE_ISSUER), and its
 * completion work runs only when we ask for completions (DEFER_TASKRUN), where the
 * kernel has both; elsewhere the ring is set up without them.
 */
#define _GNU_SOURCE
#include "echo_uring.h"

#include <errno.h>
#include <linux/io_uring.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int sys_setup(unsigned entries, struct io_uring_params *p)
{
    return (int)syscall(SYS_io_uring_setup, entries, p);
}

static int sys_enter(int fd, unsigned submit, unsigned wait, unsigned flags, void *arg,
                     size_t argsz)
{
    return (int)syscall(SYS_io_uring_enter, fd, submit, wait, flags, arg, argsz);
}

static void *map_ring(int fd, size_t len, off_t off)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, off);
    return p == MAP_FAILED ? NULL : p;
}

int echo_uring_init(struct echo_uring *u, unsigned entries)
{
    memset(u, 0, sizeof *u);
    u->fd = -1;
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    int fd = sys_setup(entries, &p);
    if (fd < 0 && errno == EINVAL) { /* a kernel before 6.1 */
        memset(&p, 0, sizeof p);
        fd = sys_setup(entries, &p);
    }
    if (fd < 0)
        return errno;
    /* the ring needs what it is used with: IORING_OP_SEND/RECV (5.6) and a bounded
     * wait (EXT_ARG, 5.11); FEAT_EXT_ARG says both are there */
    if (!(p.features & IORING_FEAT_EXT_ARG)) {
        close(fd);
        return ENOSYS;
    }
    u->fd = fd;
    u->entries = p.sq_entries;
    u->sq_map_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    u->cq_map_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    if (p.features & IORING_FEAT_SINGLE_MMAP) {
        if (u->cq_map_len > u->sq_map_len)
            u->sq_map_len = u->cq_map_len;
        u->cq_map_len = 0;
    }
    u->sq_map = map_ring(fd, u->sq_map_len, IORING_OFF_SQ_RING);
    u->cq_map = u->cq_map_len ? map_ring(fd, u->cq_map_len, IORING_OFF_CQ_RING) : u->sq_map;
    u->sqe_map_len = p.sq_entries * sizeof(struct io_uring_sqe);
    u->sqe_map = map_ring(fd, u->sqe_map_len, IORING_OFF_SQES);
    if (!u->sq_map || !u->cq_map || !u->sqe_map) {
        int err = errno;
        echo_uring_free(u);
        return err ? err : ENOMEM;
    }
    uint8_t *sq = u->sq_map, *cq = u->cq_map;
    u->sq_head = (unsigned *)(sq + p.sq_off.head);
    u->sq_tail = (unsigned *)(sq + p.sq_off.tail);
    u->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
    u->sq_array = (unsigned *)(sq + p.sq_off.array);
    u->cq_head = (unsigned *)(cq + p.cq_off.head);
    u->cq_tail = (unsigned *)(cq + p.cq_off.tail);
    u->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
    u->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
    u->sqes = u->sqe_map;
    u->tail = *u->sq_tail;
    return 0;
}

void echo_uring_free(struct echo_uring *u)
{
    if (u->sqe_map)
        munmap(u->sqe_map, u->sqe_map_len);
    if (u->cq_map && u->cq_map != u->sq_map)
        munmap(u->cq_map, u->cq_map_len);
    if (u->sq_map)
        munmap(u->sq_map, u->sq_map_len);
    if (u->fd >= 0)
        close(u->fd);
    memset(u, 0, sizeof *u);
    u->fd = -1;
}

unsigned echo_uring_room(const struct echo_uring *u)
{
    unsigned head = __atomic_load_n(u->sq_head, __ATOMIC_ACQUIRE);
    return u->entries - (u->tail - head);
}

static struct io_uring_sqe *take_sqe(struct echo_uring *u)
{
    if (echo_uring_room(u) == 0)
        return NULL;
    unsigned idx = u->tail & *u->sq_mask;
    struct io_uring_sqe *e = &u->sqes[idx];
    memset(e, 0, sizeof *e);
    u->sq_array[idx] = idx;
    u->tail++;
    u->queued++;
    return e;
}

static bool queue_io(struct echo_uring *u, uint8_t op, int fd, const void *buf, size_t len,
                     uint32_t flags, uint64_t tag)
{
    struct io_uring_sqe *e = take_sqe(u);
    if (!e)
        return false;
    e->opcode = op;
    e->fd = fd;
    e->addr = (uint64_t)(uintptr_t)buf;
    e->len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    e->msg_flags = flags | MSG_DONTWAIT;
    e->user_data = tag;
    return true;
}

bool echo_uring_recv(struct echo_uring *u, int fd, void *buf, size_t cap, uint64_t tag)
{
    return queue_io(u, IORING_OP_RECV, fd, buf, cap, 0, tag);
}

bool echo_uring_send(struct echo_uring *u, int fd, const void *buf, size_t len, uint64_t tag)
{
    return queue_io(u, IORING_OP_SEND, fd, buf, len, MSG_NOSIGNAL, tag);
}

static unsigned completions(const struct echo_uring *u)
{
    return __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE) - *u->cq_head;
}

int echo_uring_run(struct echo_uring *u)
{
    unsigned want = u->queued + completions(u);
    __atomic_store_n(u->sq_tail, u->tail, __ATOMIC_RELEASE);
    struct __kernel_timespec ts = {.tv_sec = ECHO_URING_WAIT_MS / 1000,
                                   .tv_nsec = (ECHO_URING_WAIT_MS % 1000) * 1000000L};
    struct io_uring_getevents_arg arg = {.ts = (uint64_t)(uintptr_t)&ts};
    /* bounded: each pass submits or completes something, or ends at the timeout */
    for (int pass = 0; pass < 64 && (u->queued > 0 || completions(u) < want); pass++) {
        int r = sys_enter(u->fd, u->queued, want - completions(u),
                          IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        u->queued -= (unsigned)r <= u->queued ? (unsigned)r : u->queued;
    }
    return completions(u) < want ? ETIME : 0;
}

bool echo_uring_next(struct echo_uring *u, uint64_t *tag, int32_t *res)
{
    if (completions(u) == 0)
        return false;
    unsigned head = *u->cq_head;
    const struct io_uring_cqe *c = &u->cqes[head & *u->cq_mask];
    *tag = c->user_data;
    *res = c->res;
    __atomic_store_n(u->cq_head, head + 1, __ATOMIC_RELEASE);
    return true;
}

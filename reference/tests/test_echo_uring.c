/*
 * test_echo_uring.c - the echo loop's io_uring batches (reference/echo/echo_uring.c)
 * on real socket pairs: results are what recv/send return (bytes, 0 at the end of the
 * stream, -EAGAIN, -EPIPE without SIGPIPE), tags come back with their own results, a
 * full ring refuses more, and nothing waits on a peer.
 *
 * A kernel or sandbox that refuses io_uring (ENOSYS, EPERM) has no batches to test: the
 * test says so and is skipped (the echo loop then runs on epoll, tests/itest_echo.sh).
 */
#define _GNU_SOURCE
#include "th.h"

#include "../echo/echo_uring.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int setup(void **state)
{
    static struct echo_uring u;
    int err = echo_uring_init(&u, 8);
    if (err) {
        fprintf(stderr, "io_uring refused here (%s): nothing to test\n", strerror(err));
        *state = NULL;
        return 0;
    }
    *state = &u;
    return 0;
}

static int teardown(void **state)
{
    if (*state)
        echo_uring_free(*state);
    return 0;
}

static void pair(int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
}

/* Run what is queued and take exactly `n` completions into tags/res (any order). */
static void run_all(struct echo_uring *u, unsigned n, uint64_t *tags, int32_t *res)
{
    assert_int_equal(echo_uring_run(u), 0);
    for (unsigned i = 0; i < n; i++)
        assert_true(echo_uring_next(u, &tags[i], &res[i]));
    uint64_t t;
    int32_t r;
    assert_false(echo_uring_next(u, &t, &r));
}

static int32_t result_of(const uint64_t *tags, const int32_t *res, unsigned n, uint64_t tag)
{
    for (unsigned i = 0; i < n; i++)
        if (tags[i] == tag)
            return res[i];
    fail_msg("tag %llu has no completion", (unsigned long long)tag);
    return 0;
}

/* recv on an empty socket: -EAGAIN at once (never parked on the peer) */
static void recv_empty_is_eagain(void **state)
{
    struct echo_uring *u = *state;
    if (!u)
        skip();
    int sv[2];
    pair(sv);
    uint8_t buf[16];
    assert_true(echo_uring_recv(u, sv[0], buf, sizeof buf, 7));
    uint64_t tag;
    int32_t res;
    run_all(u, 1, &tag, &res);
    assert_int_equal(tag, 7);
    assert_int_equal(res, -EAGAIN);
    close(sv[0]);
    close(sv[1]);
}

/* bytes both ways in one submission, each with its own tag; then the end of the stream */
static void send_recv_and_eof(void **state)
{
    struct echo_uring *u = *state;
    if (!u)
        skip();
    int a[2], b[2];
    pair(a);
    pair(b);
    assert_int_equal(write(a[1], "hello", 5), 5);
    uint8_t buf[16] = {0};
    assert_true(echo_uring_recv(u, a[0], buf, sizeof buf, 1));
    assert_true(echo_uring_send(u, b[0], "abc", 3, 2));
    uint64_t tags[2];
    int32_t res[2];
    run_all(u, 2, tags, res);
    assert_int_equal(result_of(tags, res, 2, 1), 5);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(result_of(tags, res, 2, 2), 3);
    char got[8];
    assert_int_equal(read(b[1], got, sizeof got), 3);
    assert_memory_equal(got, "abc", 3);
    close(a[1]);
    assert_true(echo_uring_recv(u, a[0], buf, sizeof buf, 3));
    run_all(u, 1, tags, res);
    assert_int_equal(res[0], 0);
    close(a[0]);
    close(b[0]);
    close(b[1]);
}

/* a send to a closed peer: -EPIPE, and the process is not killed (MSG_NOSIGNAL) */
static void send_to_closed_peer(void **state)
{
    struct echo_uring *u = *state;
    if (!u)
        skip();
    struct sigaction dfl = {.sa_handler = SIG_DFL}, old;
    sigaction(SIGPIPE, &dfl, &old);
    int sv[2];
    pair(sv);
    close(sv[1]);
    assert_true(echo_uring_send(u, sv[0], "x", 1, 9));
    uint64_t tag;
    int32_t res;
    run_all(u, 1, &tag, &res);
    assert_int_equal(res, -EPIPE);
    close(sv[0]);
    sigaction(SIGPIPE, &old, NULL);
}

/* a full socket buffer: the send moves what fits, the next one gets -EAGAIN */
static void send_full_buffer(void **state)
{
    struct echo_uring *u = *state;
    if (!u)
        skip();
    int sv[2];
    pair(sv);
    static uint8_t big[4u << 20];
    assert_true(echo_uring_send(u, sv[0], big, sizeof big, 1));
    uint64_t tag;
    int32_t res;
    run_all(u, 1, &tag, &res);
    assert_true(res > 0 && (size_t)res < sizeof big);
    assert_true(echo_uring_send(u, sv[0], big, sizeof big, 2));
    run_all(u, 1, &tag, &res);
    assert_int_equal(res, -EAGAIN);
    close(sv[0]);
    close(sv[1]);
}

/* the ring takes `entries` operations, then refuses; after a run it takes them again */
static void full_ring_refuses(void **state)
{
    struct echo_uring *u = *state;
    if (!u)
        skip();
    int sv[2];
    pair(sv);
    uint8_t buf[4];
    unsigned n = echo_uring_room(u);
    assert_true(n >= 8);
    for (unsigned i = 0; i < n; i++)
        assert_true(echo_uring_recv(u, sv[0], buf, sizeof buf, i));
    assert_int_equal(echo_uring_room(u), 0);
    assert_false(echo_uring_recv(u, sv[0], buf, sizeof buf, 99));
    uint64_t tags[64];
    int32_t res[64];
    assert_true(n <= 64);
    run_all(u, n, tags, res);
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(result_of(tags, res, n, i), -EAGAIN);
    assert_int_equal(echo_uring_room(u), n);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recv_empty_is_eagain), cmocka_unit_test(send_recv_and_eof),
        cmocka_unit_test(send_to_closed_peer),  cmocka_unit_test(send_full_buffer),
        cmocka_unit_test(full_ring_refuses),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

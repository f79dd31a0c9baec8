/*
 * test_conn_buffers.c - the connection's buffers as the echo endpoint uses them:
 * reading straight into the message being reassembled (ws_conn_recv_space), the echo
 * of a whole message sent from that buffer without a copy, buffers kept between
 * messages (keep_buffers) and given back by ws_conn_trim. Every run decodes what the
 * server queued and compares it with the messages sent, whatever the read sizes.
 */
#include "th.h"

#include "ws_conn.h"

#include <stdlib.h>
#include <string.h>

static const char request[] = "GET /echo HTTP/1.1\r\n"
                              "Host: 127.0.0.1:9001\r\n"
                              "Upgrade: websocket\r\n"
                              "Connection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n"
                              "\r\n";

#define BIG (200u * 1024)

struct echo_rec {
    int messages;
    int echoes;               /* how often each message is sent back */
    const uint8_t *last_data; /* on_message's data pointer */
    const uint8_t *out_after; /* the output queue's start right after the echo */
    size_t out_len_before;    /* bytes queued before the echo */
    bool zero_copy_seen;      /* an echo went out from the message buffer itself */
    int send_errors;
};

static void on_msg(struct ws_conn *c, enum ws_opcode op, const uint8_t *d, size_t len, void *u)
{
    struct echo_rec *r = u;
    r->messages++;
    r->last_data = d;
    const uint8_t *p;
    r->out_len_before = ws_conn_pending(c, &p);
    for (int i = 0; i < r->echoes; i++)
        if (ws_conn_send(c, op, d, len) != WS_E_OK)
            r->send_errors++;
    ws_conn_pending(c, &p);
    r->out_after = p;
    /* header of at most 10 bytes right in front of the payload: the same buffer */
    if (r->out_len_before == 0 && d && p && p < d && d - p <= 10)
        r->zero_copy_seen = true;
}

static void server_init(struct ws_conn *c, struct echo_rec *r, bool keep, int echoes)
{
    memset(r, 0, sizeof *r);
    r->echoes = echoes;
    struct ws_conn_config cfg = {
        .role = WS_ROLE_SERVER, .keep_buffers = keep, .cb = {.on_message = on_msg}, .user = r};
    assert_int_equal(ws_conn_init(c, &cfg), WS_E_OK);
}

/* Append one masked client frame to buf (cap bytes). */
static size_t cframe(uint8_t *buf, size_t cap, bool fin, uint8_t op, const uint8_t *payload,
                     size_t len, uint8_t key0)
{
    struct ws_frame_spec s = {
        .fin = fin, .opcode = op, .masked = true, .mask_key = {key0, 2, 3, 4}};
    size_t n = 0;
    assert_int_equal(ws_frame_encode(&s, payload, len, buf, cap, &n), WS_E_OK);
    return n;
}

/* Output collected as the server queues it, "written" after every read. */
struct sink {
    uint8_t *data;
    size_t len, cap;
};

static void take_output(struct ws_conn *c, struct sink *k, size_t keep_back)
{
    const uint8_t *p;
    size_t n = ws_conn_pending(c, &p);
    if (n <= keep_back)
        return;
    n -= keep_back;
    assert_true(k->len + n <= k->cap);
    memcpy(k->data + k->len, p, n);
    k->len += n;
    ws_conn_sent(c, n);
}

/* Feed wire[0..len) as the echo loop does: into the message buffer when the core offers
 * room, else into a guarded buffer of its own; at most `chunk` bytes a read. After every
 * read the output is taken, all but keep_back bytes of it (a slow writer). */
static void feed(struct ws_conn *c, const uint8_t *wire, size_t len, size_t chunk, struct sink *k,
                 size_t keep_back, size_t *direct_bytes)
{
    size_t pos = 0;
    *direct_bytes = 0;
    while (pos < len) {
        size_t n = len - pos < chunk ? len - pos : chunk;
        uint8_t *room = NULL;
        size_t space = ws_conn_recv_space(c, &room);
        if (space > 0) {
            assert_non_null(room);
            if (n > space)
                n = space;
            memcpy(room, wire + pos, n);
            assert_int_equal(ws_conn_recv(c, room, n), WS_E_OK);
            *direct_bytes += n;
        } else {
            assert_null(room);
            uint8_t *copy = th_guard_copy(wire + pos, n);
            assert_int_equal(ws_conn_recv(c, copy, n), WS_E_OK);
            th_guard_free(copy, n);
        }
        pos += n;
        take_output(c, k, keep_back);
    }
}

/* Decode the server's frames after its 101 response into one byte string per data
 * message (fragments joined); Pongs are counted in *pongs. Returns the number of data
 * messages. */
static int decode_messages(const struct sink *k, uint8_t **msgs, size_t *lens, int max, int *pongs)
{
    *pongs = 0;
    bool control = false;
    const uint8_t *end = NULL;
    for (size_t i = 0; i + 4 <= k->len; i++)
        if (memcmp(k->data + i, "\r\n\r\n", 4) == 0) {
            end = k->data + i + 4;
            break;
        }
    assert_non_null(end);
    assert_memory_equal(k->data, "HTTP/1.1 101 ", 13);
    size_t off = (size_t)(end - k->data), left = k->len - off;
    uint8_t *copy = malloc(left + 1);
    assert_non_null(copy);
    memcpy(copy, end, left);
    struct ws_frame_decoder d;
    struct ws_frame_rules rules = {.role = WS_ROLE_CLIENT};
    ws_frame_decoder_init(&d, &rules);
    int nm = 0;
    size_t pos = 0;
    for (;;) {
        size_t used = 0;
        struct ws_frame_event ev;
        assert_int_equal(ws_frame_decode(&d, copy + pos, left - pos, &used, &ev), WS_E_OK);
        pos += used;
        if (ev.type == WS_FRAME_NONE)
            break;
        if (ev.type == WS_FRAME_HEADER)
            control = ws_opcode_is_control(ev.hdr->opcode);
        if (ev.type == WS_FRAME_HEADER && control) {
            assert_int_equal(ev.hdr->opcode, WS_OP_PONG);
            (*pongs)++;
        } else if (control) {
            continue;
        } else if (ev.type == WS_FRAME_HEADER && ev.hdr->opcode != WS_OP_CONT) {
            assert_true(nm < max);
            msgs[nm] = malloc(BIG + 1);
            assert_non_null(msgs[nm]);
            lens[nm++] = 0;
        } else if (ev.type == WS_FRAME_PAYLOAD) {
            assert_true(lens[nm - 1] + ev.len <= BIG);
            memcpy(msgs[nm - 1] + lens[nm - 1], ev.data, ev.len);
            lens[nm - 1] += ev.len;
        }
    }
    assert_int_equal(pos, left);
    free(copy);
    return nm;
}

/* The client's side: the handshake, a BIG binary message in one frame, a text message
 * in three fragments with a Ping between them, then BIG again. */
static size_t client_bytes(uint8_t *wire, size_t cap, uint8_t *payload)
{
    struct th_rng rng = {42};
    th_rng_bytes(&rng, payload, BIG);
    size_t n = sizeof request - 1;
    memcpy(wire, request, n);
    n += cframe(wire + n, cap - n, true, WS_OP_BINARY, payload, BIG, 1);
    static const uint8_t text[] = "fragmented text, echoed whole";
    n += cframe(wire + n, cap - n, false, WS_OP_TEXT, text, 10, 5);
    n += cframe(wire + n, cap - n, true, WS_OP_PING, (const uint8_t *)"p", 1, 6);
    n += cframe(wire + n, cap - n, false, WS_OP_CONT, text + 10, 5, 7);
    n += cframe(wire + n, cap - n, true, WS_OP_CONT, text + 15, sizeof text - 16, 8);
    n += cframe(wire + n, cap - n, true, WS_OP_BINARY, payload, BIG, 9);
    return n;
}

/* What the server must have sent: each BIG message `copies` times, the text `copies`
 * times, BIG again, and one Pong (before the text's echo, or after the backlog drained:
 * WS_CONN_PONG_BACKLOG). */
static void check_echoes(const struct sink *k, const uint8_t *payload, int copies)
{
    static const uint8_t text[] = "fragmented text, echoed whole";
    uint8_t *msgs[16];
    size_t lens[16];
    const uint8_t *want[16];
    size_t want_len[16];
    int nw = 0;
    for (int i = 0; i < copies; i++, nw++)
        want[nw] = payload, want_len[nw] = BIG;
    for (int i = 0; i < copies; i++, nw++)
        want[nw] = text, want_len[nw] = sizeof text - 1;
    for (int i = 0; i < copies; i++, nw++)
        want[nw] = payload, want_len[nw] = BIG;
    int pongs = 0;
    int nm = decode_messages(k, msgs, lens, 16, &pongs);
    assert_int_equal(pongs, 1);
    assert_int_equal(nm, nw);
    for (int i = 0; i < nm; i++) {
        assert_int_equal(lens[i], want_len[i]);
        assert_memory_equal(msgs[i], want[i], want_len[i]);
        free(msgs[i]);
    }
}

static void run_echo(bool keep, int echoes, size_t chunk, size_t keep_back)
{
    static uint8_t wire[2 * BIG + 1024], payload[BIG], out[8 * BIG];
    size_t n = client_bytes(wire, sizeof wire, payload);
    struct ws_conn s;
    struct echo_rec r;
    server_init(&s, &r, keep, echoes);
    struct sink k = {out, 0, sizeof out};
    size_t direct = 0;
    feed(&s, wire, n, chunk, &k, keep_back, &direct);
    take_output(&s, &k, 0);
    assert_int_equal(r.messages, 3);
    assert_int_equal(r.send_errors, 0);
    check_echoes(&k, payload, echoes);
    /* most payload bytes went straight into the message buffer (not the first bytes of
     * a frame, which arrive with its header) */
    if (chunk < BIG)
        assert_true(direct > BIG);
    /* read in pieces and written as it comes, a message is echoed from its own buffer
     * (all at once, the first echo finds the 101 still queued and is copied behind it) */
    if (chunk < BIG && keep_back == 0 && echoes == 1)
        assert_true(r.zero_copy_seen);
    ws_conn_free(&s);
}

static void test_echo_read_sizes(void **state)
{
    (void)state;
    static const size_t chunks[] = {1, 7, 100, 4096, 65536, 1 << 20};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        run_echo(false, 1, chunks[i], 0);
        run_echo(true, 1, chunks[i], 0);
    }
}

/* Output still queued when the next message is echoed (a slow client): the echo is
 * copied behind it, and the bytes come out right. */
static void test_echo_behind_queued_output(void **state)
{
    (void)state;
    run_echo(true, 1, 65536, 3);
    run_echo(false, 1, 4096, 1000);
}

/* The message sent back twice from the same callback: the second send reads the
 * payload from where the first put it, across the queue's growth. */
static void test_echo_twice(void **state)
{
    (void)state;
    run_echo(true, 2, 65536, 0);
    run_echo(false, 2, 4096, 0);
}

/* The room offered is never more than the current frame's payload still to come, and
 * there is none between frames, inside a control frame, or with stream_messages. */
static void test_space_bounds(void **state)
{
    (void)state;
    struct ws_conn s;
    struct echo_rec r;
    server_init(&s, &r, true, 1);
    uint8_t *room = NULL;
    assert_int_equal(ws_conn_recv_space(&s, &room), 0); /* handshake */
    uint8_t buf[sizeof request + 64];
    memcpy(buf, request, sizeof request - 1);
    assert_int_equal(ws_conn_recv(&s, buf, sizeof request - 1), WS_E_OK);
    assert_int_equal(ws_conn_recv_space(&s, &room), 0); /* between frames */
    assert_null(room);
    static uint8_t payload[300], frame[400];
    size_t fl = cframe(frame, sizeof frame, true, WS_OP_BINARY, payload, sizeof payload, 1);
    /* header (2 + 2 + 4 bytes) and 10 payload bytes */
    assert_int_equal(ws_conn_recv(&s, frame, 18), WS_E_OK);
    size_t space = ws_conn_recv_space(&s, &room);
    assert_int_equal(space, sizeof payload - 10);
    memcpy(room, frame + 18, fl - 18);
    assert_int_equal(ws_conn_recv(&s, room, fl - 18), WS_E_OK);
    assert_int_equal(r.messages, 1);
    assert_int_equal(ws_conn_recv_space(&s, &room), 0);
    /* a Ping's payload: not the message's */
    uint8_t ping[32];
    size_t pl = cframe(ping, sizeof ping, true, WS_OP_PING, (const uint8_t *)"abcdef", 6, 3);
    assert_int_equal(ws_conn_recv(&s, ping, pl - 3), WS_E_OK);
    assert_int_equal(ws_conn_recv_space(&s, &room), 0);
    ws_conn_free(&s);

    struct ws_conn t;
    struct ws_conn_config cfg = {
        .role = WS_ROLE_SERVER, .keep_buffers = true, .tester = {.stream_messages = true}};
    assert_int_equal(ws_conn_init(&t, &cfg), WS_E_OK);
    memcpy(buf, request, sizeof request - 1);
    assert_int_equal(ws_conn_recv(&t, buf, sizeof request - 1), WS_E_OK);
    assert_int_equal(ws_conn_recv(&t, frame, 18), WS_E_OK);
    assert_int_equal(ws_conn_recv_space(&t, &room), 0);
    ws_conn_free(&t);
}

/* Nothing is allocated from a frame's length field alone: the room offered for a
 * frame that declares 60 MiB grows with what arrived (at most doubling it). */
static void test_space_grows_with_bytes(void **state)
{
    (void)state;
    struct ws_conn s;
    struct echo_rec r;
    server_init(&s, &r, true, 1);
    uint8_t buf[sizeof request];
    memcpy(buf, request, sizeof request - 1);
    assert_int_equal(ws_conn_recv(&s, buf, sizeof request - 1), WS_E_OK);
    struct ws_frame_spec fs = {.fin = true, .opcode = WS_OP_BINARY, .masked = true};
    uint8_t hdr[WS_FRAME_HEADER_MAX];
    size_t hl = ws_frame_write_header(&fs, 60u << 20, hdr);
    assert_int_equal(ws_conn_recv(&s, hdr, hl), WS_E_OK);
    const uint8_t *p;
    ws_conn_sent(&s, ws_conn_pending(&s, &p)); /* the 101 */
    ws_conn_trim(&s);
    size_t arrived = 0;
    for (int i = 0; i < 12; i++) {
        uint8_t *room = NULL;
        size_t space = ws_conn_recv_space(&s, &room);
        assert_true(space > 0);
        assert_true(ws_conn_memory(&s) <= 2 * arrived + 8192);
        memset(room, 0, space);
        assert_int_equal(ws_conn_recv(&s, room, space), WS_E_OK);
        arrived += space;
    }
    ws_conn_free(&s);
}

/* keep_buffers: an echoed message's buffers stay for the next one until ws_conn_trim;
 * without it they go as they empty. Either way the message is echoed. */
static void test_keep_and_trim(void **state)
{
    (void)state;
    static uint8_t wire[BIG + 1024], payload[BIG], out[2 * BIG];
    for (int keep = 0; keep <= 1; keep++) {
        struct ws_conn s;
        struct echo_rec r;
        server_init(&s, &r, keep, 1);
        size_t n = sizeof request - 1;
        memcpy(wire, request, n);
        n += cframe(wire + n, sizeof wire - n, true, WS_OP_BINARY, payload, BIG, 1);
        struct sink k = {out, 0, sizeof out};
        size_t direct = 0;
        feed(&s, wire, n, 65536, &k, 0, &direct);
        take_output(&s, &k, 0);
        assert_int_equal(r.messages, 1);
        if (keep) {
            assert_true(ws_conn_memory(&s) >= BIG);
            ws_conn_trim(&s);
        }
        assert_true(ws_conn_memory(&s) <= 2048);
        ws_conn_free(&s);
    }
}

/* Every allocation of a read into the message buffer failing in turn: reported as an
 * error or the room simply not offered, never a crash or a leak. */
static void test_space_allocation_fails(void **state)
{
    (void)state;
    static uint8_t wire[BIG + 1024], payload[BIG];
    size_t n = sizeof request - 1;
    memcpy(wire, request, n);
    n += cframe(wire + n, sizeof wire - n, true, WS_OP_BINARY, payload, BIG, 1);
    for (size_t fail_at = 1; fail_at < 64; fail_at++) {
        struct th_failalloc fa;
        th_failalloc_init(&fa, fail_at);
        struct echo_rec r = {.echoes = 1};
        struct ws_conn s;
        struct ws_conn_config cfg = {.role = WS_ROLE_SERVER,
                                     .keep_buffers = true,
                                     .cb = {.on_message = on_msg},
                                     .user = &r,
                                     .alloc = fa.alloc};
        assert_int_equal(ws_conn_init(&s, &cfg), WS_E_OK);
        size_t pos = 0;
        enum ws_error e = WS_E_OK;
        while (pos < n && e == WS_E_OK) {
            uint8_t *room = NULL;
            size_t space = ws_conn_recv_space(&s, &room), take;
            if (space) {
                take = n - pos < space ? n - pos : space;
                memcpy(room, wire + pos, take);
                e = ws_conn_recv(&s, room, take);
            } else {
                take = n - pos < 4096 ? n - pos : 4096;
                uint8_t *copy = th_guard_copy(wire + pos, take);
                e = ws_conn_recv(&s, copy, take);
                th_guard_free(copy, take);
            }
            pos += take;
            if (ws_conn_state(&s) != WS_OPEN)
                break;
        }
        if (fa.calls < fail_at) { /* nothing failed: the whole message was echoed */
            assert_int_equal(r.messages, 1);
            ws_conn_free(&s);
            assert_int_equal(fa.live_blocks, 0);
            break;
        }
        assert_true(e != WS_E_OK || r.send_errors > 0 || r.messages == 1);
        ws_conn_free(&s);
        assert_int_equal(fa.live_blocks, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_read_sizes),
        cmocka_unit_test(test_echo_behind_queued_output),
        cmocka_unit_test(test_echo_twice),
        cmocka_unit_test(test_space_bounds),
        cmocka_unit_test(test_space_grows_with_bytes),
        cmocka_unit_test(test_keep_and_trim),
        cmocka_unit_test(test_space_allocation_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_conn.c - the endpoint state machine driven through whole conversations:
 * a client and a server connected in memory, a server fed crafted client bytes (every
 * sequence rule, close-payload rule and limit, each with the close code it must send
 * and the stream offset it must name), a client facing a misbehaving server, every
 * split point of a whole conversation, and every allocation failing in turn.
 */
#include "th.h"

#include "ws_close.h"
#include "ws_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ recording */

struct rec {
    int handshakes;
    enum ws_error hs_result;
    int messages;
    uint8_t last_op;
    uint8_t last_msg[1 << 16];
    size_t last_len;
    int pings, pongs, closes;
    uint16_t close_code;
    bool echo; /* answer each message with the same message */
    int send_errors;
};

static void rec_handshake(struct ws_conn *c, enum ws_error r, const char *raw, size_t len, void *u)
{
    (void)c;
    struct rec *rec = u;
    rec->handshakes++;
    rec->hs_result = r;
    assert_true(raw != NULL && len > 0);
}

static void rec_message(struct ws_conn *c, enum ws_opcode op, const uint8_t *d, size_t len, void *u)
{
    struct rec *rec = u;
    rec->messages++;
    rec->last_op = (uint8_t)op;
    rec->last_len = len;
    if (len <= sizeof rec->last_msg && len)
        memcpy(rec->last_msg, d, len);
    if (rec->echo && ws_conn_send(c, op, d, len) != WS_E_OK)
        rec->send_errors++; /* only the failing-allocator test expects any */
}

static void rec_control(struct ws_conn *c, enum ws_opcode op, const uint8_t *d, size_t len, void *u)
{
    (void)c, (void)d, (void)len;
    struct rec *rec = u;
    if (op == WS_OP_PING)
        rec->pings++;
    else
        rec->pongs++;
}

static void rec_close(struct ws_conn *c, uint16_t code, const uint8_t *r, size_t len, void *u)
{
    (void)c, (void)r, (void)len;
    struct rec *rec = u;
    rec->closes++;
    rec->close_code = code;
}

static const struct ws_conn_callbacks rec_cb = {.on_handshake = rec_handshake,
                                                .on_message = rec_message,
                                                .on_control = rec_control,
                                                .on_close = rec_close};

static struct th_rng test_rng = {7};

static void server_init(struct ws_conn *c, struct rec *r, uint64_t max_message)
{
    memset(r, 0, sizeof *r);
    r->echo = true;
    struct ws_conn_config cfg = {
        .role = WS_ROLE_SERVER, .max_message = max_message, .cb = rec_cb, .user = r};
    assert_int_equal(ws_conn_init(c, &cfg), WS_E_OK);
}

static const char *const offered_protocols[] = {"chat", "superchat"};

static void client_init(struct ws_conn *c, struct rec *r)
{
    memset(r, 0, sizeof *r);
    struct ws_conn_config cfg = {.role = WS_ROLE_CLIENT,
                                 .request = {.host = "127.0.0.1:9001", .target = "/echo"},
                                 .random = th_rng_bytes,
                                 .random_ud = &test_rng,
                                 .cb = rec_cb,
                                 .user = r};
    assert_int_equal(ws_conn_init(c, &cfg), WS_E_OK);
}

/* Move everything pending from one connection into the other, in chunks of `chunk`
 * bytes (0 = all at once). Returns bytes moved. */
static size_t pump(struct ws_conn *from, struct ws_conn *to, size_t chunk)
{
    size_t moved = 0;
    const uint8_t *p;
    size_t n;
    while ((n = ws_conn_pending(from, &p)) > 0) {
        size_t take = chunk && chunk < n ? chunk : n;
        uint8_t *copy = th_guard_copy(p, take);
        ws_conn_sent(from, take);
        ws_conn_recv(to, copy, take);
        th_guard_free(copy, take);
        moved += take;
    }
    return moved;
}

/* ------------------------------------------------------------ server output */

struct out_frame {
    uint8_t opcode;
    bool fin;
    uint8_t payload[200];
    size_t len;
};

/* Decode what the server queued (skipping a leading HTTP response), as a client. */
static size_t server_frames(struct ws_conn *c, struct out_frame *f, size_t max, char *http,
                            size_t http_cap)
{
    const uint8_t *p;
    size_t n = ws_conn_pending(c, &p), off = 0, nf = 0;
    if (http)
        http[0] = '\0';
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        const uint8_t *end = NULL;
        for (size_t i = 0; i + 4 <= n; i++)
            if (memcmp(p + i, "\r\n\r\n", 4) == 0) {
                end = p + i + 4;
                break;
            }
        assert_non_null(end);
        off = (size_t)(end - p);
        if (http) {
            size_t l = off < http_cap - 1 ? off : http_cap - 1;
            memcpy(http, p, l);
            http[l] = '\0';
        }
    }
    uint8_t *copy = malloc(n - off + 1);
    assert_non_null(copy);
    memcpy(copy, p + off, n - off);
    struct ws_frame_decoder d;
    struct ws_frame_rules r = {.role = WS_ROLE_CLIENT};
    ws_frame_decoder_init(&d, &r);
    size_t pos = 0;
    for (;;) {
        size_t used;
        struct ws_frame_event ev;
        assert_int_equal(ws_frame_decode(&d, copy + pos, n - off - pos, &used, &ev), WS_E_OK);
        pos += used;
        if (ev.type == WS_FRAME_NONE)
            break;
        if (ev.type == WS_FRAME_HEADER) {
            assert_true(nf < max);
            f[nf].opcode = ev.hdr->opcode;
            f[nf].fin = ev.hdr->fin;
            f[nf].len = 0;
            nf++;
        } else if (ev.type == WS_FRAME_PAYLOAD) {
            struct out_frame *o = &f[nf - 1];
            size_t l = ev.len < sizeof o->payload - o->len ? ev.len : sizeof o->payload - o->len;
            memcpy(o->payload + o->len, ev.data, l);
            o->len += l;
        }
    }
    free(copy);
    return nf;
}

static void drain(struct ws_conn *c)
{
    const uint8_t *p;
    ws_conn_sent(c, ws_conn_pending(c, &p));
}

/* ------------------------------------------------------------ client bytes */

static const char request[] = "GET /echo HTTP/1.1\r\n"
                              "Host: 127.0.0.1:9001\r\n"
                              "Upgrade: websocket\r\n"
                              "Connection: keep-alive, Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n"
                              "\r\n";

/* Append one masked client frame to buf. */
static size_t cframe(uint8_t *buf, bool fin, uint8_t op, const void *payload, size_t len)
{
    struct ws_frame_spec s = {
        .fin = fin, .opcode = op, .masked = true, .mask_key = {0x12, 0x34, 0x56, 0x78}};
    size_t n;
    assert_int_equal(ws_frame_encode(&s, payload, len, buf, 1 << 20, &n), WS_E_OK);
    return n;
}

/* Open a server connection with the handshake and return it OPEN, output drained. */
static void server_open(struct ws_conn *c, struct rec *r, uint64_t max_message)
{
    server_init(c, r, max_message);
    uint8_t buf[sizeof request];
    memcpy(buf, request, sizeof request - 1);
    assert_int_equal(ws_conn_recv(c, buf, sizeof request - 1), WS_E_OK);
    assert_int_equal(ws_conn_state(c), WS_OPEN);
    char http[512];
    struct out_frame f[1];
    assert_int_equal(server_frames(c, f, 1, http, sizeof http), 0);
    assert_non_null(strstr(http, "HTTP/1.1 101 "));
    assert_non_null(strstr(http, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    drain(c);
}

/* ------------------------------------------------------------ conversations */

static void test_client_server_conversation(void **state)
{
    (void)state;
    struct ws_conn s, c;
    static struct rec rs, rc;
    server_init(&s, &rs, 0);
    client_init(&c, &rc);
    assert_int_equal(ws_conn_state(&c), WS_CONNECTING);
    pump(&c, &s, 0);
    assert_int_equal(ws_conn_state(&s), WS_OPEN);
    pump(&s, &c, 0);
    assert_int_equal(ws_conn_state(&c), WS_OPEN);
    assert_int_equal(rc.hs_result, WS_E_OK);

    /* text, binary, empty text, non-ASCII text */
    const char *texts[] = {"Hello", "", "h\xc3\xa9llo \xf0\x9f\x98\x80"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(ws_conn_send(&c, WS_OP_TEXT, (const uint8_t *)texts[i], strlen(texts[i])),
                         WS_E_OK);
        pump(&c, &s, 0);
        pump(&s, &c, 0);
        assert_int_equal(rc.last_op, WS_OP_TEXT);
        assert_int_equal(rc.last_len, strlen(texts[i]));
        assert_memory_equal(rc.last_msg, texts[i], strlen(texts[i]));
    }
    uint8_t bin[3000];
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (uint8_t)(i * 31);
    assert_int_equal(ws_conn_send(&c, WS_OP_BINARY, bin, sizeof bin), WS_E_OK);
    pump(&c, &s, 7); /* odd chunk size: frames cut everywhere */
    pump(&s, &c, 5);
    assert_int_equal(rc.last_op, WS_OP_BINARY);
    assert_int_equal(rc.last_len, sizeof bin);
    assert_memory_equal(rc.last_msg, bin, sizeof bin);
    assert_int_equal(rs.messages, 4);
    assert_int_equal(rc.messages, 4);
    assert_int_equal(rs.send_errors, 0);

    /* ping from the client gets a pong */
    assert_int_equal(ws_conn_send(&c, WS_OP_PING, (const uint8_t *)"p", 1), WS_E_OK);
    pump(&c, &s, 0);
    pump(&s, &c, 0);
    assert_int_equal(rs.pings, 1);
    assert_int_equal(rc.pongs, 1);

    /* closing handshake started by the client */
    assert_int_equal(ws_conn_close(&c, 1000, "bye", 3), WS_E_OK);
    assert_int_equal(ws_conn_state(&c), WS_CLOSING);
    assert_int_equal(ws_conn_send(&c, WS_OP_TEXT, (const uint8_t *)"x", 1), WS_E_WRONG_STATE);
    pump(&c, &s, 0);
    assert_int_equal(ws_conn_state(&s), WS_CLOSED);
    assert_int_equal(rs.close_code, 1000);
    pump(&s, &c, 0);
    assert_int_equal(ws_conn_state(&c), WS_CLOSED);
    struct ws_close_status st;
    ws_conn_close_status(&c, &st);
    assert_true(st.clean && st.closed_by_me && !st.failed);
    assert_int_equal(st.received_code, 1000);
    ws_conn_close_status(&s, &st);
    assert_true(st.clean && !st.closed_by_me);
    assert_int_equal(st.sent_code, 1000);
    ws_conn_free(&s);
    ws_conn_free(&c);
}

/* The server sees fragments with control frames in between and echoes the whole. */
static void test_fragmented_with_interleaved_control(void **state)
{
    (void)state;
    struct ws_conn s;
    static struct rec r;
    server_open(&s, &r, 0);
    static uint8_t in[512];
    size_t n = 0;
    n += cframe(in + n, false, WS_OP_TEXT, "Hel", 3);
    n += cframe(in + n, true, WS_OP_PING, "ping1", 5);
    n += cframe(in + n, false, WS_OP_CONT, "lo, ", 4);
    n += cframe(in + n, true, WS_OP_PONG, "", 0);
    n += cframe(in + n, true, WS_OP_CONT, "world", 5);
    assert_int_equal(ws_conn_recv(&s, in, n), WS_E_OK);
    struct out_frame f[4];
    size_t nf = server_frames(&s, f, 4, NULL, 0);
    assert_int_equal(nf, 2);
    assert_int_equal(f[0].opcode, WS_OP_PONG);
    assert_int_equal(f[0].len, 5);
    assert_memory_equal(f[0].payload, "ping1", 5);
    assert_int_equal(f[1].opcode, WS_OP_TEXT);
    assert_true(f[1].fin);
    assert_int_equal(f[1].len, 12);
    assert_memory_equal(f[1].payload, "Hello, world", 12);
    assert_int_equal(r.pongs, 1);
    ws_conn_free(&s);
}

static void test_ten_pings_ten_pongs(void **state)
{
    (void)state;
    struct ws_conn s;
    static struct rec r;
    server_open(&s, &r, 0);
    static uint8_t in[1024];
    size_t n = 0;
    for (int i = 0; i < 10; i++) {
        char p[8];
        int l = snprintf(p, sizeof p, "p%d", i);
        n += cframe(in + n, true, WS_OP_PING, p, (size_t)l);
    }
    assert_int_equal(ws_conn_recv(&s, in, n), WS_E_OK);
    struct out_frame f[12];
    assert_int_equal(server_frames(&s, f, 12, NULL, 0), 10);
    for (int i = 0; i < 10; i++) {
        char p[8];
        int l = snprintf(p, sizeof p, "p%d", i);
        assert_int_equal(f[i].opcode, WS_OP_PONG);
        assert_int_equal(f[i].len, (size_t)l);
        assert_memory_equal(f[i].payload, p, (size_t)l);
    }
    ws_conn_free(&s);
}

/* ------------------------------------------------------------ rules */

struct fail_case {
    const char *name;
    uint8_t bytes[300];
    size_t len;
    uint64_t max_message;
    enum ws_error error;
    uint16_t close_code;
    uint64_t offset; /* relative to the first frame byte */
};

static void expect_failure(const struct fail_case *fc)
{
    struct ws_conn s;
    static struct rec r;
    server_open(&s, &r, fc->max_message);
    uint8_t *copy = th_guard_copy(fc->bytes, fc->len);
    enum ws_error e = ws_conn_recv(&s, copy, fc->len);
    th_guard_free(copy, fc->len);
    uint64_t at;
    if (e != fc->error || ws_conn_error(&s, &at) != fc->error)
        fail_msg("%s: got %s, want %s", fc->name, ws_error_name(e), ws_error_name(fc->error));
    uint64_t base = sizeof request - 1;
    if (at != base + fc->offset)
        fail_msg("%s: offset %llu, want %llu", fc->name, (unsigned long long)(at - base),
                 (unsigned long long)fc->offset);
    struct out_frame f[4];
    size_t nf = server_frames(&s, f, 4, NULL, 0);
    /* no data frame after the failure: the last frame out is the Close */
    assert_true(nf >= 1);
    assert_int_equal(f[nf - 1].opcode, WS_OP_CLOSE);
    assert_true(f[nf - 1].len >= 2);
    uint16_t code = (uint16_t)(f[nf - 1].payload[0] << 8 | f[nf - 1].payload[1]);
    if (code != fc->close_code)
        fail_msg("%s: close code %u, want %u", fc->name, code, fc->close_code);
    assert_int_equal(code, ws_error_close_code(fc->error));
    struct ws_close_status st;
    ws_conn_close_status(&s, &st);
    assert_true(st.failed && st.sent);
    ws_conn_free(&s);
}

static void test_sequence_rules(void **state)
{
    (void)state;
    static struct fail_case fc;
    size_t n;

    memset(&fc, 0, sizeof fc);
    fc.name = "continuation without start";
    fc.len = cframe(fc.bytes, true, WS_OP_CONT, "abc", 3);
    fc.error = WS_E_CONT_WITHOUT_START, fc.close_code = 1002, fc.offset = 0;
    expect_failure(&fc);

    memset(&fc, 0, sizeof fc);
    fc.name = "new data frame inside a fragmented message";
    n = cframe(fc.bytes, false, WS_OP_TEXT, "ab", 2);
    fc.len = n + cframe(fc.bytes + n, true, WS_OP_BINARY, "cd", 2);
    fc.error = WS_E_DATA_INSIDE_MESSAGE, fc.close_code = 1002, fc.offset = n;
    expect_failure(&fc);

    memset(&fc, 0, sizeof fc);
    fc.name = "invalid UTF-8 fails before the message ends";
    /* "κόσμε" then ED A0 80 (a surrogate): fails at the A0 */
    n = cframe(fc.bytes, false, WS_OP_TEXT,
               "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80", 14);
    fc.len = n; /* no FIN frame ever comes */
    fc.error = WS_E_TEXT_INVALID_UTF8, fc.close_code = 1007, fc.offset = 6 + 12;
    expect_failure(&fc);

    memset(&fc, 0, sizeof fc);
    fc.name = "invalid UTF-8 in a continuation";
    n = cframe(fc.bytes, false, WS_OP_TEXT, "ab\xc3", 3);
    fc.len = n + cframe(fc.bytes + n, true, WS_OP_CONT, "(", 1);
    fc.error = WS_E_TEXT_INVALID_UTF8, fc.close_code = 1007, fc.offset = n + 6;
    expect_failure(&fc);

    memset(&fc, 0, sizeof fc);
    fc.name = "text ends inside a code point";
    fc.len = cframe(fc.bytes, true, WS_OP_TEXT, "ab\xe2\x82", 4);
    fc.error = WS_E_TEXT_INVALID_UTF8, fc.close_code = 1007, fc.offset = 6 + 4;
    expect_failure(&fc);

    memset(&fc, 0, sizeof fc);
    fc.name = "message over the maximum, across fragments";
    static uint8_t sixty[60];
    n = cframe(fc.bytes, false, WS_OP_BINARY, sixty, 60);
    fc.len = n + cframe(fc.bytes + n, true, WS_OP_CONT, sixty, 60);
    fc.max_message = 100;
    fc.error = WS_E_MESSAGE_TOO_BIG, fc.close_code = 1009, fc.offset = n;
    expect_failure(&fc);

    memset(&fc, 0, sizeof fc);
    fc.name = "frame over the maximum (header rule)";
    fc.len = cframe(fc.bytes, true, WS_OP_BINARY, sixty, 60);
    fc.max_message = 50;
    fc.error = WS_E_FRAME_TOO_BIG, fc.close_code = 1009, fc.offset = 1;
    expect_failure(&fc);

    memset(&fc, 0, sizeof fc);
    fc.name = "unmasked frame";
    fc.len = th_hex("81 02 68 69", fc.bytes, sizeof fc.bytes);
    fc.error = WS_E_MASK_MISSING, fc.close_code = 1002, fc.offset = 1;
    expect_failure(&fc);

    memset(&fc, 0, sizeof fc);
    fc.name = "reserved opcode after a good frame";
    n = cframe(fc.bytes, true, WS_OP_TEXT, "ok", 2);
    fc.len = n + cframe(fc.bytes + n, true, 0xB, "", 0);
    fc.error = WS_E_OPCODE_RESERVED, fc.close_code = 1002, fc.offset = n;
    expect_failure(&fc);
}

static void test_close_payload_rules(void **state)
{
    (void)state;
    static struct fail_case fc;
    uint8_t p[130];
    memset(&fc, 0, sizeof fc);
    fc.name = "1-byte close payload";
    fc.len = cframe(fc.bytes, true, WS_OP_CLOSE, "\x03", 1);
    fc.error = WS_E_CLOSE_PAYLOAD_1_BYTE, fc.close_code = 1002, fc.offset = 6;
    expect_failure(&fc);

    static const uint16_t bad[] = {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&fc, 0, sizeof fc);
        fc.name = "invalid close code";
        p[0] = (uint8_t)(bad[i] >> 8), p[1] = (uint8_t)bad[i];
        fc.len = cframe(fc.bytes, true, WS_OP_CLOSE, p, 2);
        fc.error = WS_E_CLOSE_CODE_INVALID, fc.close_code = 1002, fc.offset = 6;
        expect_failure(&fc);
    }

    memset(&fc, 0, sizeof fc);
    fc.name = "close reason not UTF-8";
    memcpy(p,
           "\x03\xe8"
           "ab\xff",
           5);
    fc.len = cframe(fc.bytes, true, WS_OP_CLOSE, p, 5);
    fc.error = WS_E_CLOSE_REASON_UTF8, fc.close_code = 1007, fc.offset = 6 + 4;
    expect_failure(&fc);
}

/* Valid codes are answered with the same code; an empty Close with an empty Close. */
static void test_close_replies(void **state)
{
    (void)state;
    static const uint16_t good[] = {0, 1000, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4999};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct ws_conn s;
        static struct rec r;
        server_open(&s, &r, 0);
        uint8_t p[2] = {(uint8_t)(good[i] >> 8), (uint8_t)good[i]};
        uint8_t in[32];
        size_t n = cframe(in, true, WS_OP_CLOSE, p, good[i] ? 2 : 0);
        assert_int_equal(ws_conn_recv(&s, in, n), WS_E_OK);
        assert_int_equal(ws_conn_state(&s), WS_CLOSED);
        struct out_frame f[2];
        assert_int_equal(server_frames(&s, f, 2, NULL, 0), 1);
        assert_int_equal(f[0].opcode, WS_OP_CLOSE);
        assert_int_equal(f[0].len, good[i] ? 2 : 0);
        if (good[i])
            assert_memory_equal(f[0].payload, p, 2);
        struct ws_close_status st;
        ws_conn_close_status(&s, &st);
        assert_true(st.clean && !st.closed_by_me && !st.failed);
        /* anything after the closing handshake is ignored */
        n = cframe(in, true, WS_OP_PING, "late", 4);
        assert_int_equal(ws_conn_recv(&s, in, n), WS_E_OK); /* control: allowed */
        n = cframe(in, true, WS_OP_TEXT, "late", 4);
        assert_int_equal(ws_conn_recv(&s, in, n), WS_E_DATA_AFTER_CLOSE);
        assert_int_equal(r.messages, 0);
        assert_int_equal(ws_conn_pending(&s, &(const uint8_t *){NULL}), 0 + 2 + (good[i] ? 2 : 0));
        ws_conn_free(&s);
    }
}

/* After failing, data is not delivered and the client's Close completes the handshake. */
static void test_after_failure_only_close_matters(void **state)
{
    (void)state;
    struct ws_conn s;
    static struct rec r;
    server_open(&s, &r, 0);
    static uint8_t in[256];
    size_t n = cframe(in, false, WS_OP_TEXT, "\xff", 1);
    assert_int_equal(ws_conn_recv(&s, in, n), WS_E_TEXT_INVALID_UTF8);
    assert_int_equal(ws_conn_state(&s), WS_CLOSING);
    drain(&s);
    n = cframe(in, true, WS_OP_CONT, "rest", 4);
    n += cframe(in + n, true, WS_OP_TEXT, "more", 4);
    n += cframe(in + n, true, WS_OP_PING, "", 0);
    n += cframe(in + n, true, WS_OP_CLOSE, "\x03\xef", 2);
    ws_conn_recv(&s, in, n);
    assert_int_equal(r.messages, 0);
    assert_int_equal(ws_conn_state(&s), WS_CLOSED);
    const uint8_t *p;
    assert_int_equal(ws_conn_pending(&s, &p), 0); /* no pong, no second Close */
    struct ws_close_status st;
    ws_conn_close_status(&s, &st);
    assert_true(st.clean && st.failed && st.closed_by_me);
    assert_int_equal(st.sent_code, 1007);
    assert_int_equal(st.received_code, 1007);
    ws_conn_free(&s);
}

/* A frame declaring 2^62 bytes is refused from its header: 1009, nothing allocated. */
static void test_huge_frame_allocates_nothing(void **state)
{
    (void)state;
    struct ws_conn s;
    static struct rec r;
    server_open(&s, &r, 0);
    size_t before = ws_conn_memory(&s);
    uint8_t in[16];
    size_t n = th_hex("82 ff 40 00 00 00 00 00 00 00 01 02 03 04 aa bb", in, sizeof in);
    assert_int_equal(ws_conn_recv(&s, in, n), WS_E_FRAME_TOO_BIG);
    assert_true(ws_conn_memory(&s) <= before + 256); /* at most the Close frame's buffer */
    struct out_frame f[2];
    assert_int_equal(server_frames(&s, f, 2, NULL, 0), 1);
    assert_int_equal(f[0].payload[0] << 8 | f[0].payload[1], 1009);
    ws_conn_free(&s);
}

/* ------------------------------------------------------------ handshake */

static void test_pipelined_frames_after_handshake(void **state)
{
    (void)state;
    struct ws_conn s;
    static struct rec r;
    server_init(&s, &r, 0);
    static uint8_t in[1024];
    memcpy(in, request, sizeof request - 1);
    size_t n = sizeof request - 1;
    n += cframe(in + n, true, WS_OP_TEXT, "first", 5);
    n += cframe(in + n, true, WS_OP_BINARY, "second", 6);
    assert_int_equal(ws_conn_recv(&s, in, n), WS_E_OK);
    assert_int_equal(r.messages, 2);
    char http[512];
    struct out_frame f[3];
    assert_int_equal(server_frames(&s, f, 3, http, sizeof http), 2);
    assert_non_null(strstr(http, "101"));
    assert_memory_equal(f[0].payload, "first", 5);
    assert_memory_equal(f[1].payload, "second", 6);
    ws_conn_free(&s);
}

/* The same conversation cut at every point gives the same output. */
struct split_ctx {
    struct ws_conn s;
    struct rec r;
    uint8_t want[1024];
    size_t want_len;
    bool record;
};

static void split_begin(void *ctx)
{
    struct split_ctx *x = ctx;
    server_init(&x->s, &x->r, 0);
}

static int split_feed(void *ctx, uint8_t *piece, size_t len)
{
    struct split_ctx *x = ctx;
    return ws_conn_recv(&x->s, piece, len) != WS_E_OK;
}

static void split_done(void *ctx)
{
    struct split_ctx *x = ctx;
    const uint8_t *p;
    size_t n = ws_conn_pending(&x->s, &p);
    if (x->record) {
        assert_true(n <= sizeof x->want);
        memcpy(x->want, p, n);
        x->want_len = n;
    } else {
        assert_int_equal(n, x->want_len);
        assert_memory_equal(p, x->want, n);
        assert_int_equal(x->r.messages, 2);
        assert_int_equal(ws_conn_state(&x->s), WS_CLOSED);
    }
    ws_conn_free(&x->s);
}

static void test_every_split_point(void **state)
{
    (void)state;
    static uint8_t in[1024];
    memcpy(in, request, sizeof request - 1);
    size_t n = sizeof request - 1;
    n += cframe(in + n, false, WS_OP_TEXT, "frag", 4);
    n += cframe(in + n, true, WS_OP_PING, "pi", 2);
    n += cframe(in + n, true, WS_OP_CONT, "ment", 4);
    n += cframe(in + n, true, WS_OP_BINARY, "\x00\x01", 2);
    n += cframe(in + n, true, WS_OP_CLOSE, "\x03\xe8", 2);
    static struct split_ctx x;
    struct th_split_driver d = {split_begin, split_feed, split_done, &x};
    x.record = true;
    split_begin(&x);
    uint8_t *copy = th_guard_copy(in, n);
    assert_int_equal(ws_conn_recv(&x.s, copy, n), WS_E_OK);
    th_guard_free(copy, n);
    split_done(&x);
    assert_true(x.want_len > 100);
    x.record = false;
    th_each_split(in, n, &d);
}

static void test_handshake_refusals(void **state)
{
    (void)state;
    struct {
        const char *req;
        const char *status;
        const char *must_have;
        enum ws_error e;
    } cases[] = {
        {"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
         "HTTP/1.1 426 ", "Sec-WebSocket-Version: 13\r\n", WS_E_VERSION_UNSUPPORTED},
        {"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Version: 13\r\n\r\n",
         "HTTP/1.1 400 ", "Sec-WebSocket-Key", WS_E_KEY_INVALID},
        {"POST / HTTP/1.1\r\n\r\n", "HTTP/1.1 400 ", "GET", WS_E_HTTP_METHOD},
        {"GET / HTTP/1.1\r\nX\x01Y: z\r\n\r\n", "HTTP/1.1 400 ", "", WS_E_HTTP_MALFORMED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ws_conn s;
        static struct rec r;
        server_init(&s, &r, 0);
        size_t n = strlen(cases[i].req);
        uint8_t *copy = th_guard_copy(cases[i].req, n);
        assert_int_equal(ws_conn_recv(&s, copy, n), cases[i].e);
        th_guard_free(copy, n);
        assert_int_equal(ws_conn_state(&s), WS_CLOSED);
        assert_int_equal(r.hs_result, cases[i].e);
        const uint8_t *p;
        size_t len = ws_conn_pending(&s, &p);
        char *resp = calloc(1, len + 1);
        memcpy(resp, p, len);
        assert_true(strncmp(resp, cases[i].status, strlen(cases[i].status)) == 0);
        assert_non_null(strstr(resp, cases[i].must_have));
        free(resp);
        ws_conn_free(&s);
    }
    /* an endless header block: 431 once it passes the bound, and no more memory */
    struct ws_conn s;
    static struct rec r;
    server_init(&s, &r, 0);
    static uint8_t junk[1000];
    memcpy(junk, "GET / HTTP/1.1\r\n", 16);
    assert_int_equal(ws_conn_recv(&s, junk, 16), WS_E_OK);
    memset(junk, 'a', sizeof junk);
    memcpy(junk, "X-Pad: ", 7);
    enum ws_error e = WS_E_OK;
    for (int i = 0; i < 100 && e == WS_E_OK; i++)
        e = ws_conn_recv(&s, junk, sizeof junk);
    assert_int_equal(e, WS_E_HEADERS_TOO_LARGE);
    assert_true(ws_conn_memory(&s) < 2 * WS_HTTP_DEFAULT_MAX_BLOCK);
    const uint8_t *p;
    size_t len = ws_conn_pending(&s, &p);
    assert_true(len > 13 && memcmp(p, "HTTP/1.1 431 ", 13) == 0);
    ws_conn_free(&s);
}

/* cfg.origins: another Origin is refused with 403 (RFC 6455 10.2), a listed one (in any
 * case) and a request without Origin open; no list accepts any Origin. */
static void test_allowed_origins(void **state)
{
    (void)state;
    static const char *const allowed[] = {"https://good.example"};
    static const struct {
        const char *origin; /* NULL: no Origin line */
        bool listed, open;
    } cases[] = {
        {"https://evil.example", true, false},
        {"https://GOOD.example", true, true},
        {NULL, true, true},
        {"https://good.example.evil", true, false},
        {"https://evil.example", false, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char req[512];
        snprintf(req, sizeof req,
                 "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                 "%s%s%s\r\n",
                 cases[i].origin ? "Origin: " : "", cases[i].origin ? cases[i].origin : "",
                 cases[i].origin ? "\r\n" : "");
        struct ws_conn s;
        static struct rec r;
        memset(&r, 0, sizeof r);
        struct ws_conn_config cfg = {.role = WS_ROLE_SERVER,
                                     .origins = allowed,
                                     .n_origins = cases[i].listed ? 1 : 0,
                                     .cb = rec_cb,
                                     .user = &r};
        assert_int_equal(ws_conn_init(&s, &cfg), WS_E_OK);
        size_t n = strlen(req);
        enum ws_error want = cases[i].open ? WS_E_OK : WS_E_ORIGIN_FORBIDDEN;
        assert_int_equal(ws_conn_recv(&s, (uint8_t *)req, n), want);
        assert_int_equal(ws_conn_state(&s), cases[i].open ? WS_OPEN : WS_CLOSED);
        const uint8_t *p;
        size_t len = ws_conn_pending(&s, &p);
        const char *status = cases[i].open ? "HTTP/1.1 101 " : "HTTP/1.1 403 Forbidden\r\n";
        assert_true(len > strlen(status) && memcmp(p, status, strlen(status)) == 0);
        ws_conn_free(&s);
    }
}

/* ------------------------------------------------------------ client role */

static void client_open(struct ws_conn *c, struct rec *rc)
{
    struct ws_conn s;
    static struct rec rs;
    client_init(c, rc);
    server_init(&s, &rs, 0);
    pump(c, &s, 0);
    pump(&s, c, 0);
    assert_int_equal(ws_conn_state(c), WS_OPEN);
    ws_conn_free(&s);
}

static void test_client_strict_receive(void **state)
{
    (void)state;
    struct ws_conn c;
    static struct rec r;
    client_open(&c, &r);
    /* a masked frame from the server */
    uint8_t in[32];
    size_t n = cframe(in, true, WS_OP_TEXT, "hi", 2);
    assert_int_equal(ws_conn_recv(&c, in, n), WS_E_MASK_UNEXPECTED);
    assert_int_equal(ws_conn_state(&c), WS_CLOSED);
    /* our Close went out masked, with 1002 */
    const uint8_t *p;
    size_t len = ws_conn_pending(&c, &p);
    assert_true(len >= 8);
    assert_int_equal(p[0], 0x88);
    assert_true(p[1] & 0x80);
    uint8_t payload[2] = {p[6] ^ p[2], p[7] ^ p[3]};
    assert_int_equal(payload[0] << 8 | payload[1], 1002);
    ws_conn_free(&c);
}

static void test_client_rejects_bad_accept(void **state)
{
    (void)state;
    struct ws_conn c;
    static struct rec r;
    client_init(&c, &r);
    drain(&c);
    const char *resp =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    size_t n = strlen(resp);
    uint8_t *copy = th_guard_copy(resp, n);
    assert_int_equal(ws_conn_recv(&c, copy, n), WS_E_RESPONSE_ACCEPT);
    th_guard_free(copy, n);
    assert_int_equal(r.hs_result, WS_E_RESPONSE_ACCEPT);
    assert_int_equal(ws_conn_state(&c), WS_CLOSED);
    ws_conn_free(&c);

    client_init(&c, &r);
    const char *refused = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    n = strlen(refused);
    copy = th_guard_copy(refused, n);
    assert_int_equal(ws_conn_recv(&c, copy, n), WS_E_RESPONSE_STATUS);
    th_guard_free(copy, n);
    ws_conn_free(&c);
}

static void test_server_initiated_close(void **state)
{
    (void)state;
    struct ws_conn s, c;
    static struct rec rs, rc;
    server_init(&s, &rs, 0);
    client_init(&c, &rc);
    pump(&c, &s, 0);
    pump(&s, &c, 0);
    assert_int_equal(ws_conn_close(&s, 1001, "going away", 10), WS_E_OK);
    pump(&s, &c, 0);
    assert_int_equal(rc.close_code, 1001);
    assert_int_equal(ws_conn_state(&c), WS_CLOSED);
    pump(&c, &s, 0);
    assert_int_equal(ws_conn_state(&s), WS_CLOSED);
    struct ws_close_status st;
    ws_conn_close_status(&s, &st);
    assert_true(st.clean && st.closed_by_me);
    assert_int_equal(st.received_code, 1001);
    ws_conn_free(&s);
    ws_conn_free(&c);
}

static char last_raw[1024];
static void raw_handshake(struct ws_conn *c, enum ws_error r, const char *raw, size_t len, void *u)
{
    rec_handshake(c, r, raw, len, u);
    size_t l = len < sizeof last_raw - 1 ? len : sizeof last_raw - 1;
    memcpy(last_raw, raw, l);
    last_raw[l] = '\0';
}

/* The server picks from the client's offer in its own preference order; the client
 * accepts only what it offered. */
static void test_subprotocol_negotiation(void **state)
{
    (void)state;
    static const char *const supported[] = {"v2.wsspec", "superchat", "chat"};
    static struct rec rs, rc;
    struct ws_conn s, c;
    struct ws_conn_config scfg = {.role = WS_ROLE_SERVER,
                                  .protocols = supported,
                                  .n_protocols = 3,
                                  .cb = rec_cb,
                                  .user = &rs};
    struct ws_conn_config ccfg = {
        .role = WS_ROLE_CLIENT,
        .request = {.host = "h", .protocols = offered_protocols, .n_protocols = 2},
        .random = th_rng_bytes,
        .random_ud = &test_rng,
        .cb = rec_cb,
        .user = &rc};
    ccfg.cb.on_handshake = raw_handshake;
    memset(&rs, 0, sizeof rs);
    memset(&rc, 0, sizeof rc);
    assert_int_equal(ws_conn_init(&s, &scfg), WS_E_OK);
    assert_int_equal(ws_conn_init(&c, &ccfg), WS_E_OK);
    pump(&c, &s, 0);
    pump(&s, &c, 0);
    assert_int_equal(rc.hs_result, WS_E_OK);
    assert_non_null(strstr(last_raw, "Sec-WebSocket-Protocol: superchat\r\n"));
    ws_conn_free(&s);
    ws_conn_free(&c);

    /* nothing in common: no Sec-WebSocket-Protocol in the response, still OPEN */
    scfg.n_protocols = 1;
    memset(&rc, 0, sizeof rc);
    assert_int_equal(ws_conn_init(&s, &scfg), WS_E_OK);
    assert_int_equal(ws_conn_init(&c, &ccfg), WS_E_OK);
    pump(&c, &s, 0);
    pump(&s, &c, 0);
    assert_int_equal(rc.hs_result, WS_E_OK);
    assert_null(strstr(last_raw, "Sec-WebSocket-Protocol"));
    ws_conn_free(&s);
    ws_conn_free(&c);
}

/* tester.own_request: the tester writes the request itself. The connection queues none
 * (and needs no host), and checks the 101 against the offer the tester describes: the
 * RFC's sample key, a subprotocol, no key at all. */
static enum ws_error own_request_answer(const struct ws_offer *offer, const char *resp)
{
    struct ws_conn c;
    static struct rec r;
    memset(&r, 0, sizeof r);
    struct ws_conn_config cfg = {.role = WS_ROLE_CLIENT,
                                 .random = th_rng_bytes,
                                 .random_ud = &test_rng,
                                 .cb = rec_cb,
                                 .user = &r,
                                 .tester = {.own_request = offer}};
    assert_int_equal(ws_conn_init(&c, &cfg), WS_E_OK);
    const uint8_t *p;
    assert_int_equal(ws_conn_pending(&c, &p), 0); /* nothing queued: the tester writes */
    size_t n = strlen(resp);
    uint8_t *copy = th_guard_copy(resp, n);
    enum ws_error e = ws_conn_recv(&c, copy, n);
    th_guard_free(copy, n);
    assert_int_equal(r.handshakes, 1);
    assert_int_equal(r.hs_result, e);
    assert_int_equal(ws_conn_state(&c), e == WS_E_OK ? WS_OPEN : WS_CLOSED);
    ws_conn_free(&c);
    return e;
}

static void test_client_own_request(void **state)
{
    (void)state;
    static const char *const protos[] = {"chat"};
    struct ws_offer sample = {.key = "dGhlIHNhbXBsZSBub25jZQ=="};
    const char *ok =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
    char resp[512];
    snprintf(resp, sizeof resp, "%s\r\n", ok);
    assert_int_equal(own_request_answer(&sample, resp), WS_E_OK);
    /* the subprotocol is checked against the offer, not against cfg.request */
    snprintf(resp, sizeof resp, "%sSec-WebSocket-Protocol: chat\r\n\r\n", ok);
    assert_int_equal(own_request_answer(&sample, resp), WS_E_RESPONSE_PROTOCOL);
    struct ws_offer with_chat = {.key = sample.key, .protocols = protos, .n_protocols = 1};
    assert_int_equal(own_request_answer(&with_chat, resp), WS_E_OK);
    /* another key: the same 101 is refused */
    struct ws_offer other = {.key = "AQIDBAUGBwgJCgsMDQ4PEC=="};
    snprintf(resp, sizeof resp, "%s\r\n", ok);
    assert_int_equal(own_request_answer(&other, resp), WS_E_RESPONSE_ACCEPT);
    /* no key sent: not even the accept of the empty key is valid */
    char accept_empty[WS_ACCEPT_LEN + 1];
    ws_handshake_accept("", 0, accept_empty);
    snprintf(resp, sizeof resp,
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
             accept_empty);
    struct ws_offer keyless = {.key = NULL};
    assert_int_equal(own_request_answer(&keyless, resp), WS_E_RESPONSE_ACCEPT);
    /* a refusal stays a refusal */
    assert_int_equal(own_request_answer(&sample, "HTTP/1.1 400 Bad Request\r\n\r\n"),
                     WS_E_RESPONSE_STATUS);
}

/* ------------------------------------------------------------ allocation failure */

static void test_every_allocation_fails(void **state)
{
    (void)state;
    static uint8_t in[70000];
    memcpy(in, request, sizeof request - 1);
    size_t base = sizeof request - 1, n = base;
    static uint8_t big[60000];
    n += cframe(in + n, false, WS_OP_BINARY, big, 30000);
    n += cframe(in + n, true, WS_OP_CONT, big, 30000);
    n += cframe(in + n, true, WS_OP_TEXT, "tail", 4);
    size_t total_calls = 0;
    for (size_t fail_at = 1;; fail_at++) {
        struct th_failalloc fa;
        th_failalloc_init(&fa, fail_at);
        static struct rec r;
        memset(&r, 0, sizeof r);
        r.echo = true;
        struct ws_conn s;
        struct ws_conn_config cfg = {
            .role = WS_ROLE_SERVER, .cb = rec_cb, .user = &r, .alloc = fa.alloc};
        assert_int_equal(ws_conn_init(&s, &cfg), WS_E_OK);
        /* split the input so the handshake buffer is used too */
        static uint8_t copy[70000];
        memcpy(copy, in, n);
        enum ws_error e = ws_conn_recv(&s, copy, 20);
        if (e == WS_E_OK)
            e = ws_conn_recv(&s, copy + 20, n - 20);
        if (fa.calls < fail_at) { /* no allocation failed: the run is complete */
            assert_int_equal(e, WS_E_OK);
            assert_int_equal(r.messages, 2);
            total_calls = fa.calls;
            ws_conn_free(&s);
            assert_int_equal(fa.live_blocks, 0);
            break;
        }
        /* a failed allocation is reported - the connection fails with an error, or
         * the echo's send returns one - never a crash, a leak or a silent loss */
        assert_true(e != WS_E_OK || r.send_errors > 0);
        if (e != WS_E_OK)
            assert_true(r.messages < 2 || ws_conn_state(&s) != WS_OPEN);
        ws_conn_free(&s);
        assert_int_equal(fa.live_blocks, 0);
    }
    assert_true(total_calls >= 3);
}

/* ------------------------------------------------------------ backlog and tester options */

/* 5.5.3: while the output is backed up past WS_CONN_PONG_BACKLOG, a Ping flood is
 * answered by one Pong for the most recent Ping, once the output drains. */
static void test_pong_backlog(void **state)
{
    (void)state;
    struct ws_conn s;
    static struct rec r;
    server_open(&s, &r, 0);
    r.echo = false;
    static uint8_t big[WS_CONN_PONG_BACKLOG + 100];
    assert_int_equal(ws_conn_send(&s, WS_OP_BINARY, big, sizeof big), WS_E_OK);
    const uint8_t *p;
    size_t before = ws_conn_pending(&s, &p);
    static uint8_t in[64 * 1000];
    size_t n = 0;
    for (int i = 0; i < 1000; i++) {
        char pl[8];
        int l = snprintf(pl, sizeof pl, "p%d", i);
        n += cframe(in + n, true, WS_OP_PING, pl, (size_t)l);
    }
    assert_int_equal(ws_conn_recv(&s, in, n), WS_E_OK);
    assert_int_equal(r.pings, 1000);
    assert_int_equal(ws_conn_pending(&s, &p), before); /* nothing queued meanwhile */
    ws_conn_sent(&s, before);                          /* drained: the owed Pong follows */
    struct out_frame f[4];
    assert_int_equal(server_frames(&s, f, 4, NULL, 0), 1);
    assert_int_equal(f[0].opcode, WS_OP_PONG);
    assert_int_equal(f[0].len, 4);
    assert_memory_equal(f[0].payload, "p999", 4);
    ws_conn_free(&s);
}

struct stream_rec {
    uint8_t data[256];
    size_t len;
    uint64_t next_off;
    int messages;
    size_t total;
    int sent_frames;
    uint8_t sent_ops[8];
};

static void st_data(struct ws_conn *c, enum ws_opcode op, const uint8_t *d, size_t len,
                    uint64_t off, void *u)
{
    (void)c;
    struct stream_rec *sr = u;
    assert_int_equal(op, WS_OP_TEXT);
    assert_int_equal(off, sr->next_off); /* slices in order, none lost */
    assert_true(sr->len + len <= sizeof sr->data);
    memcpy(sr->data + sr->len, d, len);
    sr->len += len;
    sr->next_off += len;
}

static void st_message(struct ws_conn *c, enum ws_opcode op, const uint8_t *d, size_t len, void *u)
{
    (void)c, (void)op;
    struct stream_rec *sr = u;
    assert_null(d); /* streamed: only the length */
    sr->messages++;
    sr->total = len;
    sr->next_off = 0;
}

static void st_sent(struct ws_conn *c, const struct ws_frame_spec *fs, const uint8_t *payload,
                    size_t len, void *u)
{
    (void)c, (void)payload, (void)len;
    struct stream_rec *sr = u;
    if (sr->sent_frames < 8)
        sr->sent_ops[sr->sent_frames] = fs->opcode;
    sr->sent_frames++;
}

static void stream_server(struct ws_conn *c, struct stream_rec *sr, uint64_t max_message)
{
    memset(sr, 0, sizeof *sr);
    struct ws_conn_config cfg = {
        .role = WS_ROLE_SERVER,
        .max_message = max_message,
        .cb = {.on_message = st_message, .on_message_data = st_data, .on_frame_sent = st_sent},
        .user = sr,
        .tester = {.stream_messages = true}};
    assert_int_equal(ws_conn_init(c, &cfg), WS_E_OK);
    uint8_t buf[sizeof request];
    memcpy(buf, request, sizeof request - 1);
    assert_int_equal(ws_conn_recv(c, buf, sizeof request - 1), WS_E_OK);
    drain(c);
}

/* stream_messages: a fragmented text message arrives as slices in order, at every
 * split point; the end is one on_message with the length; nothing is buffered. */
static void test_stream_messages(void **state)
{
    (void)state;
    static uint8_t in[256];
    size_t n = cframe(in, false, WS_OP_TEXT, "Hello, ", 7);
    n += cframe(in + n, false, WS_OP_CONT, "w\xc3\xb6", 3);
    n += cframe(in + n, true, WS_OP_CONT, "rld", 3);
    for (size_t split = 1; split <= n; split++) {
        struct ws_conn s;
        static struct stream_rec sr;
        stream_server(&s, &sr, 0);
        uint8_t copy[256];
        memcpy(copy, in, n);
        assert_int_equal(ws_conn_recv(&s, copy, split), WS_E_OK);
        assert_int_equal(ws_conn_recv(&s, copy + split, n - split), WS_E_OK);
        assert_int_equal(sr.messages, 1);
        assert_int_equal(sr.total, 13);
        assert_int_equal(sr.len, 13);
        assert_memory_equal(sr.data, "Hello, w\xc3\xb6rld", 13);
        assert_int_equal(s.msg.cap, 0); /* no message buffer at all */
        ws_conn_free(&s);
    }
}

/* stream_messages keeps fail-fast UTF-8 and the message limit: the bad byte fails the
 * connection (1007) and no end is reported; the limit counts streamed bytes (1009). */
static void test_stream_messages_rules(void **state)
{
    (void)state;
    struct ws_conn s;
    static struct stream_rec sr;
    static uint8_t in[256];
    stream_server(&s, &sr, 0);
    size_t n = cframe(in, false, WS_OP_TEXT, "ok", 2);
    n += cframe(in + n, true, WS_OP_CONT, "\xc0\xaf", 2);
    assert_int_equal(ws_conn_recv(&s, in, n), WS_E_TEXT_INVALID_UTF8);
    assert_int_equal(sr.messages, 0);
    assert_int_equal(sr.len, 2); /* only the valid slice was handed over */
    assert_int_equal(sr.sent_frames, 1);
    assert_int_equal(sr.sent_ops[0], WS_OP_CLOSE); /* on_frame_sent saw the Close */
    ws_conn_free(&s);

    stream_server(&s, &sr, 10);
    n = cframe(in, false, WS_OP_TEXT, "123456", 6);
    n += cframe(in + n, true, WS_OP_CONT, "7890x", 5);
    assert_int_equal(ws_conn_recv(&s, in, n), WS_E_MESSAGE_TOO_BIG);
    assert_int_equal(sr.messages, 0);
    ws_conn_free(&s);
}

/* close_reply_code: the Close is answered with this code instead of the peer's. */
static void test_close_reply_code(void **state)
{
    (void)state;
    struct ws_conn s;
    static struct stream_rec sr;
    stream_server(&s, &sr, 0);
    s.cfg.tester.close_reply_code = 1000; /* as the tester configures it */
    uint8_t in[32], pl[2] = {0x03, 0xe9}; /* 1001 */
    size_t n = cframe(in, true, WS_OP_CLOSE, pl, 2);
    assert_int_equal(ws_conn_recv(&s, in, n), WS_E_OK);
    struct out_frame f[2];
    assert_int_equal(server_frames(&s, f, 2, NULL, 0), 1);
    assert_int_equal(f[0].opcode, WS_OP_CLOSE);
    assert_int_equal(f[0].payload[0] << 8 | f[0].payload[1], 1000);
    ws_conn_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_server_conversation),
        cmocka_unit_test(test_fragmented_with_interleaved_control),
        cmocka_unit_test(test_ten_pings_ten_pongs),
        cmocka_unit_test(test_sequence_rules),
        cmocka_unit_test(test_close_payload_rules),
        cmocka_unit_test(test_close_replies),
        cmocka_unit_test(test_after_failure_only_close_matters),
        cmocka_unit_test(test_huge_frame_allocates_nothing),
        cmocka_unit_test(test_pipelined_frames_after_handshake),
        cmocka_unit_test(test_every_split_point),
        cmocka_unit_test(test_handshake_refusals),
        cmocka_unit_test(test_allowed_origins),
        cmocka_unit_test(test_client_strict_receive),
        cmocka_unit_test(test_client_rejects_bad_accept),
        cmocka_unit_test(test_server_initiated_close),
        cmocka_unit_test(test_subprotocol_negotiation),
        cmocka_unit_test(test_client_own_request),
        cmocka_unit_test(test_every_allocation_fails),
        cmocka_unit_test(test_pong_backlog),
        cmocka_unit_test(test_stream_messages),
        cmocka_unit_test(test_stream_messages_rules),
        cmocka_unit_test(test_close_reply_code),
    };
    return cmocka_run_group_tests_name("conn", tests, NULL, NULL);
}

/*
 * test_errors.c - the error table (ws_errors.def) as a whole.
 *
 *  - integrity: unique values, each in its class's hundred, names and texts present,
 *    each close code one an endpoint may send, HTTP statuses only on server-side
 *    handshake rows, lookups of unknown values;
 *  - every frame, message, close and resource row (100s, 200s, 300s, 500s) triggered
 *    end to end through a real ws_conn, checking the error, the stream offset it names
 *    and the close code that went out on the wire. The handshake rows (400s, 450s) are
 *    covered the same way in test_handshake.c. A walk over the table fails when a row
 *    has no trigger here, so a new rule cannot land untested.
 */
#include "th.h"

#include "ws_close.h"
#include "ws_conn.h"

#include <string.h>

static void test_table_integrity(void **state)
{
    (void)state;
    int values[128];
    const char *names[128];
    size_t n = 0;
#define WS_ERROR(name, value, close_code, http_status, section, text)                              \
    do {                                                                                           \
        for (size_t i = 0; i < n; i++)                                                             \
            if (values[i] == (value))                                                              \
                fail_msg("%s and %s share value %d", names[i], #name, (value));                    \
        assert_true(n < 128);                                                                      \
        values[n] = (value);                                                                       \
        names[n++] = #name;                                                                        \
        assert_string_equal(ws_error_name(WS_E_##name), #name);                                    \
        assert_true(strlen(ws_error_text(WS_E_##name)) > 5);                                       \
        assert_int_equal(ws_error_close_code(WS_E_##name), (close_code));                          \
        assert_int_equal(ws_error_http_status(WS_E_##name), (http_status));                        \
        if ((close_code) != 0)                                                                     \
            assert_true(ws_close_code_valid(close_code));                                          \
        if ((value) >= 100 && (value) < 400)                                                       \
            assert_true((close_code) == 1002 || (close_code) == 1007 || (close_code) == 1009);     \
        if ((http_status) != 0)                                                                    \
            assert_true((value) >= 400 && (value) < 450);                                          \
        if ((value) >= 400 && (value) < 450)                                                       \
            assert_true((http_status) == 400 || (http_status) == 403 || (http_status) == 426 ||    \
                        (http_status) == 431);                                                     \
        if ((value) >= 100 && (value) < 500)                                                       \
            assert_true(strlen(section) > 0);                                                      \
    } while (0);
#include "ws_errors.def"
#undef WS_ERROR
    assert_true(n > 40);
    assert_string_equal(ws_error_name((enum ws_error)9999), "UNKNOWN");
    assert_int_equal(ws_error_close_code((enum ws_error)9999), 0);
}

/* ------------------------------------------------------------ triggers */

static struct th_rng rng = {99};

static const char request[] =
    "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n";

enum where { TO_SERVER, TO_CLIENT, API };

struct trigger {
    enum ws_error e;
    enum where where;
    const char *hex; /* frames after the handshake (masked for TO_SERVER) */
    uint64_t offset; /* from the first frame byte */
    uint64_t max_message;
};

/* Masked frames use the all-zero key so their payload bytes read as written. */
static const struct trigger triggers[] = {
    {WS_E_MASK_MISSING, TO_SERVER, "81 02 68 69", 1, 0},
    {WS_E_MASK_UNEXPECTED, TO_CLIENT, "81 82 00 00 00 00 68 69", 1, 0},
    {WS_E_RSV_NOT_NEGOTIATED, TO_SERVER, "c1 80 00 00 00 00", 0, 0},
    {WS_E_OPCODE_RESERVED, TO_SERVER, "85 80 00 00 00 00", 0, 0},
    {WS_E_CONTROL_FRAGMENTED, TO_CLIENT, "09 00", 0, 0},
    {WS_E_CONTROL_TOO_LONG, TO_SERVER, "88 fe 00 7e", 1, 0},
    {WS_E_LENGTH_NOT_MINIMAL, TO_CLIENT, "82 7e 00 05 00 00 00 00 00", 3, 0},
    {WS_E_LENGTH_MSB_SET, TO_CLIENT, "82 7f 80 00 00 00 00 00 00 01", 2, 0},
    {WS_E_FRAME_TOO_BIG, TO_SERVER, "82 8b 00 00 00 00", 1, 10},
    {WS_E_CONT_WITHOUT_START, TO_SERVER, "80 81 00 00 00 00 61", 0, 0},
    {WS_E_DATA_INSIDE_MESSAGE, TO_CLIENT, "01 01 61 81 01 62", 3, 0},
    {WS_E_MESSAGE_TOO_BIG, TO_SERVER,
     "02 88 00 00 00 00 01 02 03 04 05 06 07 08 "
     "80 88 00 00 00 00 01 02 03 04 05 06 07 08",
     14, 10},
    {WS_E_TEXT_INVALID_UTF8, TO_CLIENT, "01 04 61 62 c0 af", 4, 0},
    {WS_E_CLOSE_PAYLOAD_1_BYTE, TO_SERVER, "88 81 00 00 00 00 03", 6, 0},
    {WS_E_CLOSE_CODE_INVALID, TO_CLIENT, "88 02 03 ed", 2, 0}, /* 1005 */
    {WS_E_CLOSE_REASON_UTF8, TO_SERVER, "88 85 00 00 00 00 03 e8 61 ed a0", 6 + 4, 0},
};

static void on_hs_resp_ok(struct ws_conn *c, enum ws_error r, const char *raw, size_t len, void *u)
{
    (void)c, (void)raw, (void)len;
    *(enum ws_error *)u = r;
}

/* A client connection whose handshake completed against a real server connection. */
static void open_client(struct ws_conn *c, uint64_t max_message)
{
    static enum ws_error hs;
    struct ws_conn s;
    struct ws_conn_config scfg = {.role = WS_ROLE_SERVER};
    struct ws_conn_config ccfg = {.role = WS_ROLE_CLIENT,
                                  .max_message = max_message,
                                  .request = {.host = "h"},
                                  .random = th_rng_bytes,
                                  .random_ud = &rng,
                                  .user = &hs};
    ccfg.cb.on_handshake = on_hs_resp_ok;
    assert_int_equal(ws_conn_init(&s, &scfg), WS_E_OK);
    assert_int_equal(ws_conn_init(c, &ccfg), WS_E_OK);
    const uint8_t *p;
    size_t n = ws_conn_pending(c, &p);
    uint8_t buf[1024];
    memcpy(buf, p, n);
    ws_conn_sent(c, n);
    assert_int_equal(ws_conn_recv(&s, buf, n), WS_E_OK);
    n = ws_conn_pending(&s, &p);
    memcpy(buf, p, n);
    assert_int_equal(ws_conn_recv(c, buf, n), WS_E_OK);
    assert_int_equal(hs, WS_E_OK);
    ws_conn_free(&s);
}

/* The close code in the last frame the connection queued (unmasking if needed). */
static uint16_t queued_close_code(const struct ws_conn *c)
{
    const uint8_t *p;
    size_t n = ws_conn_pending(c, &p);
    size_t at = 0, last = SIZE_MAX;
    while (at + 2 <= n) { /* walk the frames; all are short here */
        size_t len = p[at + 1] & 0x7F, hl = (p[at + 1] & 0x80) ? 6 : 2;
        if ((p[at] & 0x0F) == WS_OP_CLOSE)
            last = at;
        at += hl + len;
    }
    assert_true(last != SIZE_MAX);
    bool masked = p[last + 1] & 0x80;
    const uint8_t *key = p + last + 2, *pl = p + last + (masked ? 6 : 2);
    uint8_t b0 = pl[0] ^ (masked ? key[0] : 0), b1 = pl[1] ^ (masked ? key[1] : 0);
    return (uint16_t)(b0 << 8 | b1);
}

static void run_trigger(const struct trigger *t)
{
    struct ws_conn c;
    uint64_t base = 0;
    if (t->where == TO_SERVER) {
        struct ws_conn_config cfg = {.role = WS_ROLE_SERVER, .max_message = t->max_message};
        assert_int_equal(ws_conn_init(&c, &cfg), WS_E_OK);
        uint8_t r[sizeof request];
        memcpy(r, request, sizeof request);
        assert_int_equal(ws_conn_recv(&c, r, sizeof request - 1), WS_E_OK);
        const uint8_t *p;
        ws_conn_sent(&c, ws_conn_pending(&c, &p));
        base = sizeof request - 1;
    } else {
        open_client(&c, t->max_message);
        base = c.frames_base;
    }
    uint8_t in[128];
    size_t n = th_hex(t->hex, in, sizeof in);
    uint8_t *g = th_guard_copy(in, n);
    enum ws_error e = ws_conn_recv(&c, g, n);
    th_guard_free(g, n);
    uint64_t at;
    if (e != t->e || ws_conn_error(&c, &at) != t->e)
        fail_msg("%s: got %s", ws_error_name(t->e), ws_error_name(e));
    if (at != base + t->offset)
        fail_msg("%s: offset %llu, want %llu", ws_error_name(t->e), (unsigned long long)(at - base),
                 (unsigned long long)t->offset);
    uint16_t code = queued_close_code(&c);
    if (code != ws_error_close_code(t->e))
        fail_msg("%s: sent close code %u, want %u", ws_error_name(t->e), code,
                 ws_error_close_code(t->e));
    ws_conn_free(&c);
}

static void test_frame_message_close_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof triggers / sizeof triggers[0]; i++)
        run_trigger(&triggers[i]);
}

/* The rows not reached by bytes on the wire, through the API. */
static void test_resource_rows(void **state)
{
    (void)state;
    /* NOMEM: the first allocation of a client's init (its request) fails */
    struct th_failalloc fa;
    th_failalloc_init(&fa, 1);
    struct ws_conn c;
    struct ws_conn_config cfg = {.role = WS_ROLE_CLIENT,
                                 .request = {.host = "h"},
                                 .random = th_rng_bytes,
                                 .random_ud = &rng,
                                 .alloc = fa.alloc};
    assert_int_equal(ws_conn_init(&c, &cfg), WS_E_NOMEM);
    assert_int_equal(fa.live_blocks, 0);
    /* BUFFER_TOO_SMALL, INVALID_ARGUMENT: the encoder */
    uint8_t out[4];
    size_t w;
    struct ws_frame_spec s = {.fin = true, .opcode = 1};
    assert_int_equal(ws_frame_encode(&s, (const uint8_t *)"hello", 5, out, sizeof out, &w),
                     WS_E_BUFFER_TOO_SMALL);
    s.len_form = WS_LEN_16;
    assert_int_equal(ws_frame_encode(&s, NULL, 70000, out, sizeof out, &w), WS_E_INVALID_ARGUMENT);
    /* WRONG_STATE: sending before the handshake */
    cfg.alloc = (struct ws_allocator){0};
    assert_int_equal(ws_conn_init(&c, &cfg), WS_E_OK);
    assert_int_equal(ws_conn_send(&c, WS_OP_TEXT, (const uint8_t *)"x", 1), WS_E_WRONG_STATE);
    ws_conn_free(&c);
    /* OUTPUT_FULL: a peer that never reads, output bounded at 64 KiB */
    open_client(&c, 0);
    c.cfg.max_output = 65536;
    static uint8_t msg[20000];
    enum ws_error e = WS_E_OK;
    int sent = 0;
    while (e == WS_E_OK && sent < 10)
        if ((e = ws_conn_send(&c, WS_OP_BINARY, msg, sizeof msg)) == WS_E_OK)
            sent++;
    assert_int_equal(e, WS_E_OUTPUT_FULL);
    assert_int_equal(sent, 3);
    const uint8_t *p;
    assert_true(ws_conn_pending(&c, &p) <= 65536);
    ws_conn_free(&c);
}

/* Every row of classes 100-399 has a trigger above, so a new rule needs a test. */
static void test_every_row_triggered(void **state)
{
    (void)state;
    size_t rows = 0;
#define WS_ERROR(name, value, close_code, http_status, section, text)                              \
    if ((value) >= 100 && (value) < 400 && WS_E_##name != WS_E_DATA_AFTER_CLOSE) {                 \
        bool found = false;                                                                        \
        for (size_t i = 0; i < sizeof triggers / sizeof triggers[0]; i++)                          \
            found = found || triggers[i].e == WS_E_##name;                                         \
        if (!found)                                                                                \
            fail_msg("no trigger for %s", #name);                                                  \
        rows++;                                                                                    \
    }
#include "ws_errors.def"
#undef WS_ERROR
    assert_int_equal(rows, sizeof triggers / sizeof triggers[0]);
}

/* DATA_AFTER_CLOSE is recorded, not answered: the closing handshake is already over. */
static void test_data_after_close_row(void **state)
{
    (void)state;
    struct ws_conn c;
    open_client(&c, 0);
    uint8_t in[16];
    /* Close, then a Pong (allowed: only data frames are forbidden), then a text frame */
    size_t n = th_hex("88 02 03 e8 8a 00 81 01 61", in, sizeof in);
    assert_int_equal(ws_conn_recv(&c, in, n), WS_E_DATA_AFTER_CLOSE);
    uint64_t at;
    assert_int_equal(ws_conn_error(&c, &at), WS_E_DATA_AFTER_CLOSE);
    assert_int_equal(at, c.frames_base + 6);
    struct ws_close_status st;
    ws_conn_close_status(&c, &st);
    assert_true(st.clean && !st.failed);
    ws_conn_free(&c);

    /* a control frame after the Close, even in a later read, is no violation */
    open_client(&c, 0);
    n = th_hex("88 02 03 e8", in, sizeof in);
    assert_int_equal(ws_conn_recv(&c, in, n), WS_E_OK);
    n = th_hex("8a 01 70", in, sizeof in);
    assert_int_equal(ws_conn_recv(&c, in, n), WS_E_OK);
    ws_conn_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_integrity),
        cmocka_unit_test(test_frame_message_close_rows),
        cmocka_unit_test(test_resource_rows),
        cmocka_unit_test(test_every_row_triggered),
        cmocka_unit_test(test_data_after_close_row),
    };
    return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}

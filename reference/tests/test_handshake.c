/*
 * test_handshake.c - the opening handshake (ws_handshake.c, RFC 6455 section 4).
 *
 * Parsers are fed from guard-page buffers (a read past the last byte faults), at every
 * split point and byte by byte, with frame bytes pipelined behind the block. Every
 * 400s and 450s row of ws_errors.def is triggered by a case in one table, and a test
 * walks the error table to make sure no row lacks a case. Builders are run at every
 * buffer size below the one needed, against a guard page, and round-tripped through
 * the parsers and checks.
 */
#include "th.h"

#include "ws_handshake.h"

#include <stdio.h>
#include <string.h>

/* RFC 6455 section 1.3: the example key and the accept value the section gives. */
#define RFC_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define RFC_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

/* The client handshake of RFC 6455 section 1.3. */
#define RFC_REQUEST                                                                                \
    "GET /chat HTTP/1.1\r\n"                                                                       \
    "Host: server.example.com\r\n"                                                                 \
    "Upgrade: websocket\r\n"                                                                       \
    "Connection: Upgrade\r\n"                                                                      \
    "Sec-WebSocket-Key: " RFC_KEY "\r\n"                                                           \
    "Origin: http://example.com\r\n"                                                               \
    "Sec-WebSocket-Protocol: chat, superchat\r\n"                                                  \
    "Sec-WebSocket-Version: 13\r\n"                                                                \
    "\r\n"

#define RFC_RESPONSE                                                                               \
    "HTTP/1.1 101 Switching Protocols\r\n"                                                         \
    "Upgrade: websocket\r\n"                                                                       \
    "Connection: Upgrade\r\n"                                                                      \
    "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n"                                                     \
    "Sec-WebSocket-Protocol: chat\r\n"                                                             \
    "\r\n"

/* A masked text frame "Hello" (RFC 6455 section 5.7) pipelined behind a request, and
 * an unmasked one behind a response: bytes the parser must leave alone. */
#define PIPELINED_CLIENT_FRAME "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"
#define PIPELINED_SERVER_FRAME "\x81\x05Hello"

/* Request lines that pass every check; cases leave one out or change one. */
#define L_HOST "Host: server.example.com\r\n"
#define L_UPGRADE "Upgrade: websocket\r\n"
#define L_CONNECTION "Connection: Upgrade\r\n"
#define L_KEY "Sec-WebSocket-Key: " RFC_KEY "\r\n"
#define L_VERSION "Sec-WebSocket-Version: 13\r\n"
#define GOOD_FIELDS L_HOST L_UPGRADE L_CONNECTION L_KEY L_VERSION
#define GOOD_LINE "GET /chat HTTP/1.1\r\n"

#define R_LINE "HTTP/1.1 101 Switching Protocols\r\n"
#define R_UPGRADE "Upgrade: websocket\r\n"
#define R_CONNECTION "Connection: Upgrade\r\n"
#define R_ACCEPT "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n"
#define R_GOOD R_LINE R_UPGRADE R_CONNECTION R_ACCEPT

static const char *const offered_protocols[] = {"chat", "superchat"};
static const char *const offered_extensions[] = {"permessage-deflate"};
static const struct ws_offer rfc_offer = {RFC_KEY, offered_protocols, 2, offered_extensions, 1};

static bool slice_is(struct ws_slice s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && (n == 0 || memcmp(s.ptr, lit, n) == 0);
}

#define assert_slice(s, lit)                                                                       \
    do {                                                                                           \
        struct ws_slice s_ = (s);                                                                  \
        if (!slice_is(s_, lit))                                                                    \
            fail_msg("slice \"%.*s\" != \"%s\"", (int)s_.len, s_.ptr ? s_.ptr : "", lit);          \
    } while (0)

/* ---------------------------------------------------------------------------
 * Keys
 * ------------------------------------------------------------------------- */

static void test_rfc_example_accept(void **state)
{
    (void)state;
    char accept[WS_ACCEPT_LEN + 1];
    memset(accept, 'X', sizeof accept);
    ws_handshake_accept(RFC_KEY, strlen(RFC_KEY), accept);
    assert_string_equal(accept, RFC_ACCEPT);
    /* The key is hashed as given: one byte more is another accept. */
    ws_handshake_accept(RFC_KEY " ", strlen(RFC_KEY) + 1, accept);
    assert_int_equal(strlen(accept), WS_ACCEPT_LEN);
    assert_string_not_equal(accept, RFC_ACCEPT);
}

static void counting_random(void *ud, uint8_t *out, size_t n)
{
    (void)ud;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(i + 1);
}

static void test_make_key(void **state)
{
    (void)state;
    char key[WS_KEY_LEN + 1];
    /* RFC 6455 section 4.1 item 7's nonce 0x01 .. 0x10, canonically encoded. */
    ws_handshake_make_key(counting_random, NULL, key);
    assert_string_equal(key, "AQIDBAUGBwgJCgsMDQ4PEA==");

    struct th_rng a = {42}, b = {42}, c = {43};
    char ka[WS_KEY_LEN + 1], kb[WS_KEY_LEN + 1], kc[WS_KEY_LEN + 1];
    ws_handshake_make_key(th_rng_bytes, &a, ka);
    ws_handshake_make_key(th_rng_bytes, &b, kb);
    ws_handshake_make_key(th_rng_bytes, &c, kc);
    assert_string_equal(ka, kb); /* seeded: repeatable */
    assert_string_not_equal(ka, kc);
    assert_int_equal(strlen(ka), WS_KEY_LEN);

    /* A generated key passes the server's check. */
    char req[512];
    int k = snprintf(
        req, sizeof req,
        GOOD_LINE L_HOST L_UPGRADE L_CONNECTION L_VERSION "Sec-WebSocket-Key: %s\r\n\r\n", ka);
    assert_true(k > 0 && (size_t)k < sizeof req);
    struct ws_http_request r;
    struct ws_request_info info;
    size_t used = 0, err_at = 0;
    assert_int_equal(ws_http_parse_request(req, (size_t)k, 0, &r, &used, &err_at), WS_E_OK);
    assert_int_equal(ws_handshake_check_request(&r, &info), WS_E_OK);
    assert_slice(info.key, ka);
}

/* ---------------------------------------------------------------------------
 * Parsing at every split point
 * ------------------------------------------------------------------------- */

struct split_ctx {
    const char *input;
    size_t input_len, block_len;
    bool response;
    void (*verify)(const void *msg);
    char acc[1024];
    size_t have;
    bool complete;
};

static void split_begin(void *vctx)
{
    struct split_ctx *c = vctx;
    c->have = 0;
    c->complete = false;
}

/* Each piece extends what was received; the whole of it goes to the parser again,
 * from a guard-page copy, as a server re-reading its input buffer would. */
static int split_feed(void *vctx, uint8_t *piece, size_t len)
{
    struct split_ctx *c = vctx;
    assert_true(c->have + len <= sizeof c->acc);
    memcpy(c->acc + c->have, piece, len);
    c->have += len;
    uint8_t *g = th_guard_copy(c->acc, c->have);
    size_t used = 0, err_at = 0;
    enum ws_error e;
    struct ws_http_request req;
    struct ws_http_response resp;
    if (c->response)
        e = ws_http_parse_response((const char *)g, c->have, 0, &resp, &used, &err_at);
    else
        e = ws_http_parse_request((const char *)g, c->have, 0, &req, &used, &err_at);
    if (c->have < c->block_len) {
        if (e != WS_E_INCOMPLETE)
            fail_msg("%zu of %zu bytes: %s, want INCOMPLETE", c->have, c->block_len,
                     ws_error_name(e));
    } else {
        if (e != WS_E_OK)
            fail_msg("%zu bytes: %s at %zu, want OK", c->have, ws_error_name(e), err_at);
        assert_int_equal(used, c->block_len);
        c->verify(c->response ? (const void *)&resp : (const void *)&req);
        c->complete = true;
    }
    /* The parser takes const bytes; the pipelined frame is still there intact. */
    assert_memory_equal(g, c->acc, c->have);
    th_guard_free(g, c->have);
    return 0;
}

static void split_done(void *vctx)
{
    struct split_ctx *c = vctx;
    assert_int_equal(c->have, c->input_len);
    assert_true(c->complete);
}

static void run_splits(const char *input, size_t input_len, size_t block_len, bool response,
                       void (*verify)(const void *))
{
    struct split_ctx ctx = {input, input_len, block_len, response, verify, {0}, 0, false};
    struct th_split_driver d = {split_begin, split_feed, split_done, &ctx};
    size_t runs = th_each_split((const uint8_t *)input, input_len, &d);
    assert_int_equal(runs, input_len + 3); /* whole, every cut 0..len, byte by byte */
}

static void verify_rfc_request(const void *msg)
{
    const struct ws_http_request *r = msg;
    assert_slice(r->method, "GET");
    assert_slice(r->target, "/chat");
    assert_int_equal(r->version_major, 1);
    assert_int_equal(r->version_minor, 1);
    assert_int_equal(r->n_headers, 7);
    assert_slice(r->headers[0].name, "Host");
    assert_slice(r->headers[0].value, "server.example.com");
    assert_slice(r->headers[5].name, "Sec-WebSocket-Protocol");
    assert_slice(r->headers[5].value, "chat, superchat");
    assert_slice(r->headers[6].value, "13");
    struct ws_request_info info;
    assert_int_equal(ws_handshake_check_request(r, &info), WS_E_OK);
}

static void test_request_every_split(void **state)
{
    (void)state;
    static const char in[] = RFC_REQUEST PIPELINED_CLIENT_FRAME;
    run_splits(in, sizeof in - 1, strlen(RFC_REQUEST), false, verify_rfc_request);
    /* Without pipelined bytes the block ends at the last byte. */
    run_splits(RFC_REQUEST, strlen(RFC_REQUEST), strlen(RFC_REQUEST), false, verify_rfc_request);
}

static void verify_lf_request(const void *msg)
{
    const struct ws_http_request *r = msg;
    assert_slice(r->target, "/");
    assert_int_equal(r->n_headers, 3);
    assert_slice(r->headers[0].value, "a");
    assert_slice(r->headers[1].value, "");
    assert_slice(r->headers[2].value, "x \t y");
}

static void test_request_bare_lf_every_split(void **state)
{
    (void)state;
    /* Bare LF and CRLF mixed (RFC 9112 section 2.2), an empty value, OWS trimmed. */
    static const char block[] = "GET / HTTP/1.1\nA: a\r\nB:\nC: \t x \t y \t\n\n";
    static const char in[] = "GET / HTTP/1.1\nA: a\r\nB:\nC: \t x \t y \t\n\n"
                             "GET / HTTP/1.1\r\n";
    run_splits(in, sizeof in - 1, sizeof block - 1, false, verify_lf_request);
}

static void verify_rfc_response(const void *msg)
{
    const struct ws_http_response *r = msg;
    assert_int_equal(r->status, 101);
    assert_slice(r->reason, "Switching Protocols");
    assert_int_equal(r->n_headers, 4);
    assert_slice(r->headers[2].name, "Sec-WebSocket-Accept");
    assert_slice(r->headers[2].value, RFC_ACCEPT);
    struct ws_response_info info;
    assert_int_equal(ws_handshake_check_response(r, &rfc_offer, &info), WS_E_OK);
    assert_slice(info.protocol, "chat");
}

static void test_response_every_split(void **state)
{
    (void)state;
    static const char in[] = RFC_RESPONSE PIPELINED_SERVER_FRAME;
    run_splits(in, sizeof in - 1, strlen(RFC_RESPONSE), true, verify_rfc_response);
}

static void verify_empty_reason(const void *msg)
{
    const struct ws_http_response *r = msg;
    assert_int_equal(r->status, 101);
    assert_int_equal(r->reason.len, 0);
    assert_int_equal(r->version_minor, 1);
    assert_int_equal(r->n_headers, 4);
}

static void test_response_empty_reason_every_split(void **state)
{
    (void)state;
    static const char block[] = "HTTP/1.1 101 \n" R_UPGRADE R_CONNECTION R_ACCEPT
                                "Sec-WebSocket-Extensions: permessage-deflate\n\n";
    static const char in[] = "HTTP/1.1 101 \n" R_UPGRADE R_CONNECTION R_ACCEPT
                             "Sec-WebSocket-Extensions: permessage-deflate\n\n"
                             "\x88\x00";
    run_splits(in, sizeof in - 1, sizeof block - 1, true, verify_empty_reason);
}

/* ---------------------------------------------------------------------------
 * Parsed fields
 * ------------------------------------------------------------------------- */

static void test_request_fields(void **state)
{
    (void)state;
    static const char in[] = "\r\n\nGET /a?b=c HTTP/1.1\r\n"
                             "X-Obs: caf\xc3\xa9\r\n"
                             "X-Tab:\tone\ttwo\t\r\n"
                             "x-lower:v\r\n"
                             "\r\n";
    uint8_t *g = th_guard_copy(in, sizeof in - 1);
    struct ws_http_request r;
    size_t used = 0, err_at = 0;
    assert_int_equal(ws_http_parse_request((const char *)g, sizeof in - 1, 0, &r, &used, &err_at),
                     WS_E_OK);
    /* Empty lines before the request line are skipped and counted. */
    assert_int_equal(used, sizeof in - 1);
    assert_slice(r.method, "GET");
    assert_slice(r.target, "/a?b=c");
    assert_int_equal(r.n_headers, 3);
    assert_slice(r.headers[0].value, "caf\xc3\xa9"); /* obs-text allowed */
    assert_slice(r.headers[1].value, "one\ttwo");
    assert_slice(r.headers[2].name, "x-lower");
    assert_slice(r.headers[2].value, "v");
    assert_ptr_equal(r.target.ptr, (const char *)g + 7); /* zero-copy */
    th_guard_free(g, sizeof in - 1);
}

static void test_parse_invalid_arguments(void **state)
{
    (void)state;
    struct ws_http_request r;
    struct ws_http_response s;
    size_t used = 0, err_at = 0;
    assert_int_equal(ws_http_parse_request("GET", 3, 0, NULL, &used, &err_at),
                     WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_http_parse_request(NULL, 3, 0, &r, &used, &err_at), WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_http_parse_response(NULL, 3, 0, &s, &used, &err_at), WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_http_parse_request(NULL, 0, 0, &r, &used, &err_at), WS_E_INCOMPLETE);
    assert_int_equal(ws_http_parse_response(NULL, 0, 0, &s, &used, &err_at), WS_E_INCOMPLETE);
}

/* ---------------------------------------------------------------------------
 * Malformed blocks: the right byte, as soon as it is there
 * ------------------------------------------------------------------------- */

/* A block that is good up to prefix, then goes wrong at the first byte of rest. A bare
 * CR is only known to be bare when the byte after it arrives (cr_wait). */
struct bad_block {
    const char *prefix;
    const char *rest;
    size_t rest_len;
    bool cr_wait;
};
#define BAD(prefix, rest, cr)                                                                      \
    {                                                                                              \
        prefix, rest, sizeof(rest) - 1, cr                                                         \
    }

static void check_bad_block(const struct bad_block *b, bool response)
{
    char in[256];
    size_t pre = strlen(b->prefix), len = pre + b->rest_len;
    assert_true(len <= sizeof in);
    memcpy(in, b->prefix, pre);
    memcpy(in + pre, b->rest, b->rest_len);
    enum ws_error malformed = response ? WS_E_RESPONSE_MALFORMED : WS_E_HTTP_MALFORMED;
    size_t detect = pre + 1 + (b->cr_wait ? 1 : 0);
    /* Every prefix: INCOMPLETE until the byte that decides, then the error at once. */
    for (size_t n = 0; n <= len; n++) {
        uint8_t *g = th_guard_copy(in, n);
        struct ws_http_request r;
        struct ws_http_response s;
        size_t used = 0, err_at = SIZE_MAX;
        enum ws_error e = response
                              ? ws_http_parse_response((const char *)g, n, 0, &s, &used, &err_at)
                              : ws_http_parse_request((const char *)g, n, 0, &r, &used, &err_at);
        th_guard_free(g, n);
        enum ws_error want = n < detect ? WS_E_INCOMPLETE : malformed;
        if (e != want || (want == malformed && err_at != pre))
            fail_msg("\"%s\" + rest, %zu bytes: got %s at %zu, want %s at %zu", b->prefix, n,
                     ws_error_name(e), err_at, ws_error_name(want), pre);
    }
}

static void test_request_malformed(void **state)
{
    (void)state;
    static const struct bad_block cases[] = {
        BAD("", " GET / HTTP/1.1\r\n", false),               /* SP before the method */
        BAD("G", "\x01T / HTTP/1.1\r\n", false),             /* control in the method */
        BAD("GET", "\t/ HTTP/1.1\r\n", false),               /* HTAB is not SP */
        BAD("GET ", " / HTTP/1.1\r\n", false),               /* two SPs: empty target */
        BAD("GET /", "\x7f HTTP/1.1\r\n", false),            /* DEL in the target */
        BAD("GET /", "\r\n\r\n", false),                     /* HTTP/0.9 request line */
        BAD("GET / ", "http/1.1\r\n", false),                /* "HTTP" is case-sensitive */
        BAD("GET / HTTP/", "a.1\r\n", false),                /* version digit */
        BAD("GET / HTTP/1", ",1\r\n", false),                /* version dot */
        BAD("GET / HTTP/1.1", " \r\n", false),               /* SP after the version */
        BAD("GET / HTTP/1.1", "\rX", true),                  /* bare CR ending a line */
        BAD("\r\n", "\rGET", true),                          /* bare CR among empty lines */
        BAD("GET / HTTP/1.1\r\n", " Host: a\r\n", false),    /* SP before the first field */
        BAD("GET / HTTP/1.1\r\nHost", " : a\r\n", false),    /* SP before the colon */
        BAD("GET / HTTP/1.1\r\nHost", "\t: a\r\n", false),   /* HTAB before the colon */
        BAD("GET / HTTP/1.1\r\n", ": a\r\n", false),         /* empty field name */
        BAD("GET / HTTP/1.1\r\nHo", "\"st: a\r\n", false),   /* delimiter in the name */
        BAD("GET / HTTP/1.1\r\nHost", "\r\n", false),        /* line without a colon */
        BAD("GET / HTTP/1.1\r\nHost", "\n", false),          /* line without a colon, LF */
        BAD("GET / HTTP/1.1\r\nA: a\r\n", " b\r\n", false),  /* obs-fold, SP */
        BAD("GET / HTTP/1.1\r\nA: a\r\n", "\tb\r\n", false), /* obs-fold, HTAB */
        BAD("GET / HTTP/1.1\r\nA: a", "\0b\r\n", false),     /* NUL in a value */
        BAD("GET / HTTP/1.1\r\nA: a", "\x1f\r\n", false),    /* control in a value */
        BAD("GET / HTTP/1.1\r\nA: a", "\x7f\r\n", false),    /* DEL in a value */
        BAD("GET / HTTP/1.1\r\nA: a", "\rb\r\n", true),      /* bare CR in a value */
        BAD("GET / HTTP/1.1\r\nA: a\r\n", "\rZ", true),      /* bare CR at the empty line */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_bad_block(&cases[i], false);
}

static void test_response_malformed(void **state)
{
    (void)state;
    static const struct bad_block cases[] = {
        BAD("", "\r\nHTTP/1.1 101 OK\r\n", false),            /* no empty lines first */
        BAD("HTTP", "S/1.1 101 OK\r\n", false),               /* protocol name */
        BAD("HTTP/1.1 ", " 101 OK\r\n", false),               /* two SPs */
        BAD("HTTP/1.1 1", "O1 OK\r\n", false),                /* letter O in the status */
        BAD("HTTP/1.1 10", " OK\r\n", false),                 /* two-digit status */
        BAD("HTTP/1.1 101", "0 OK\r\n", false),               /* four-digit status */
        BAD("HTTP/1.1 101", "\r\n", false),                   /* SP before reason missing */
        BAD("HTTP/1.1 101 OK", "\x01\r\n", false),            /* control in the reason */
        BAD("HTTP/1.1 101 OK", "\rx", true),                  /* bare CR */
        BAD("HTTP/1.1 101 OK\r\nUpgrade", " : x\r\n", false), /* SP before the colon */
        BAD("HTTP/1.1 101 OK\r\n", "\x80: y\r\n", false),     /* obs-text in a name */
        BAD("HTTP/1.1 101 OK\r\nX: a\r\n", "\tb\r\n", false), /* obs-fold */
        BAD("HTTP/1.1 101 OK\r\nX: a", "\0\r\n", false),      /* NUL in a value */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_bad_block(&cases[i], true);
}

/* ---------------------------------------------------------------------------
 * Bounds: 431 by size and by count
 * ------------------------------------------------------------------------- */

/* "GET / HTTP/1.1\r\nX: aaa...\r\n\r\n" of exactly total bytes (total >= 23). */
static char *padded_request(size_t total)
{
    static const char head[] = "GET / HTTP/1.1\r\nX: ", tail[] = "\r\n\r\n";
    size_t fixed = sizeof head - 1 + sizeof tail - 1;
    assert_true(total > fixed);
    char *p = test_malloc(total);
    memcpy(p, head, sizeof head - 1);
    memset(p + sizeof head - 1, 'a', total - fixed);
    memcpy(p + total - (sizeof tail - 1), tail, sizeof tail - 1);
    return p;
}

static enum ws_error parse_req_n(const char *buf, size_t n, size_t max_block, size_t *used,
                                 size_t *err_at)
{
    uint8_t *g = th_guard_copy(buf, n);
    struct ws_http_request r;
    enum ws_error e = ws_http_parse_request((const char *)g, n, max_block, &r, used, err_at);
    th_guard_free(g, n);
    return e;
}

static void test_block_size_limit(void **state)
{
    (void)state;
    size_t used = 0, err_at = 0;
    /* Default bound: 8192 bytes fit, 8193 do not. */
    char *p = padded_request(WS_HTTP_DEFAULT_MAX_BLOCK);
    assert_int_equal(parse_req_n(p, WS_HTTP_DEFAULT_MAX_BLOCK, 0, &used, &err_at), WS_E_OK);
    assert_int_equal(used, WS_HTTP_DEFAULT_MAX_BLOCK);
    test_free(p);
    p = padded_request(WS_HTTP_DEFAULT_MAX_BLOCK + 1);
    assert_int_equal(parse_req_n(p, WS_HTTP_DEFAULT_MAX_BLOCK + 1, 0, &used, &err_at),
                     WS_E_HEADERS_TOO_LARGE);
    /* Known as soon as max_block bytes are in without an end, not later. */
    assert_int_equal(parse_req_n(p, WS_HTTP_DEFAULT_MAX_BLOCK, 0, &used, &err_at),
                     WS_E_HEADERS_TOO_LARGE);
    assert_int_equal(parse_req_n(p, WS_HTTP_DEFAULT_MAX_BLOCK - 1, 0, &used, &err_at),
                     WS_E_INCOMPLETE);
    test_free(p);

    /* A configured bound, with bytes pipelined past it. */
    p = padded_request(100);
    char buf[120];
    memcpy(buf, p, 100);
    memset(buf + 100, 0x81, 20);
    assert_int_equal(parse_req_n(buf, 120, 100, &used, &err_at), WS_E_OK);
    assert_int_equal(used, 100);
    assert_int_equal(parse_req_n(buf, 120, 99, &used, &err_at), WS_E_HEADERS_TOO_LARGE);
    assert_int_equal(parse_req_n(buf, 98, 99, &used, &err_at), WS_E_INCOMPLETE);
    /* A bad byte inside the bound is reported as such, one past it is not seen. */
    buf[40] = '\0';
    assert_int_equal(parse_req_n(buf, 120, 99, &used, &err_at), WS_E_HTTP_MALFORMED);
    assert_int_equal(err_at, 40);
    assert_int_equal(parse_req_n(buf, 120, 40, &used, &err_at), WS_E_HEADERS_TOO_LARGE);
    test_free(p);

    /* The response bound reports its own error. */
    static const char resp[] = R_GOOD "\r\n";
    uint8_t *g = th_guard_copy(resp, sizeof resp - 1);
    struct ws_http_response s;
    assert_int_equal(ws_http_parse_response((const char *)g, sizeof resp - 1, sizeof resp - 1, &s,
                                            &used, &err_at),
                     WS_E_OK);
    assert_int_equal(ws_http_parse_response((const char *)g, sizeof resp - 1, sizeof resp - 2, &s,
                                            &used, &err_at),
                     WS_E_RESPONSE_TOO_LARGE);
    th_guard_free(g, sizeof resp - 1);
}

/* A block with n fields "Hnn: v"; *line_start gets the offset of the last field. */
static size_t many_fields(char *out, size_t cap, bool response, size_t n, size_t *last_start)
{
    int k = snprintf(out, cap, "%s", response ? "HTTP/1.1 101 OK\r\n" : "GET / HTTP/1.1\r\n");
    assert_true(k > 0 && (size_t)k < cap);
    size_t len = (size_t)k;
    for (size_t i = 0; i < n; i++) {
        *last_start = len;
        k = snprintf(out + len, cap - len, "H%zu: v\r\n", i);
        assert_true(k > 0 && (size_t)k < cap - len);
        len += (size_t)k;
    }
    assert_true(len + 2 < cap);
    memcpy(out + len, "\r\n", 2);
    return len + 2;
}

static void test_header_count_limit(void **state)
{
    (void)state;
    for (int response = 0; response <= 1; response++) {
        char buf[2048];
        size_t last = 0, used = 0, err_at = 0;
        enum ws_error too_large = response ? WS_E_RESPONSE_TOO_LARGE : WS_E_HEADERS_TOO_LARGE;
        struct ws_http_request r;
        struct ws_http_response s;

        size_t len = many_fields(buf, sizeof buf, response, WS_HTTP_MAX_HEADERS, &last);
        enum ws_error e = response ? ws_http_parse_response(buf, len, 0, &s, &used, &err_at)
                                   : ws_http_parse_request(buf, len, 0, &r, &used, &err_at);
        assert_int_equal(e, WS_E_OK);
        assert_int_equal(response ? s.n_headers : r.n_headers, WS_HTTP_MAX_HEADERS);

        len = many_fields(buf, sizeof buf, response, WS_HTTP_MAX_HEADERS + 1, &last);
        e = response ? ws_http_parse_response(buf, len, 0, &s, &used, &err_at)
                     : ws_http_parse_request(buf, len, 0, &r, &used, &err_at);
        assert_int_equal(e, too_large);
        /* Fail fast: the first byte of the field too many decides. */
        uint8_t *g = th_guard_copy(buf, last + 1);
        e = response ? ws_http_parse_response((const char *)g, last + 1, 0, &s, &used, &err_at)
                     : ws_http_parse_request((const char *)g, last + 1, 0, &r, &used, &err_at);
        th_guard_free(g, last + 1);
        assert_int_equal(e, too_large);
        g = th_guard_copy(buf, last);
        e = response ? ws_http_parse_response((const char *)g, last, 0, &s, &used, &err_at)
                     : ws_http_parse_request((const char *)g, last, 0, &r, &used, &err_at);
        th_guard_free(g, last);
        assert_int_equal(e, WS_E_INCOMPLETE);
    }
    assert_int_equal(ws_error_http_status(WS_E_HEADERS_TOO_LARGE), 431);
}

/* ---------------------------------------------------------------------------
 * Lookup and lists
 * ------------------------------------------------------------------------- */

static void test_find_and_tokens(void **state)
{
    (void)state;
    static const char in[] = "GET / HTTP/1.1\r\n"
                             "Connection: keep-alive\r\n"
                             "X: 1\r\n"
                             "connection: , Upgrade ,\r\n"
                             "Upgrade: h2c, WebSocket\r\n"
                             "\r\n";
    struct ws_http_request r;
    size_t used = 0, err_at = 0, count = 0;
    assert_int_equal(ws_http_parse_request(in, sizeof in - 1, 0, &r, &used, &err_at), WS_E_OK);
    const struct ws_http_header *h = ws_http_find(r.headers, r.n_headers, "CONNECTION", &count);
    assert_ptr_equal(h, &r.headers[0]);
    assert_int_equal(count, 2);
    assert_null(ws_http_find(r.headers, r.n_headers, "Host", &count));
    assert_int_equal(count, 0);
    assert_null(ws_http_find(r.headers, r.n_headers, "X-", NULL)); /* no prefix match */
    /* A token in the second Connection field counts; case-insensitive. */
    assert_true(ws_http_has_token(r.headers, r.n_headers, "Connection", "upgrade"));
    assert_true(ws_http_has_token(r.headers, r.n_headers, "Upgrade", "websocket"));
    assert_false(ws_http_has_token(r.headers, r.n_headers, "Connection", "Upgrad"));
    assert_false(ws_http_has_token(r.headers, r.n_headers, "Upgrade", "h2"));

    struct ws_slice v = {" ,a , ,\tb c\t,,", 14}, item;
    size_t pos = 0;
    assert_true(ws_http_list_next(v, &pos, &item));
    assert_slice(item, "a");
    assert_true(ws_http_list_next(v, &pos, &item));
    assert_slice(item, "b c");
    assert_false(ws_http_list_next(v, &pos, &item));
    assert_false(ws_http_list_next(v, &pos, &item)); /* stays at the end */
    struct ws_slice empty = {"", 0};
    pos = 0;
    assert_false(ws_http_list_next(empty, &pos, &item));
}

/* ---------------------------------------------------------------------------
 * Every handshake row of the error table
 * ------------------------------------------------------------------------- */

enum { ON_REQUEST, ON_RESPONSE };

struct row_case {
    int side;
    const char *input;
    size_t max_block; /* 0 = default */
    enum ws_error want;
    long err_at; /* for syntax errors; -1 when not applicable */
};

/* Parse (and if that succeeds, check) one case; return the error and *err_at. */
static enum ws_error run_case(const struct row_case *c, size_t *err_at)
{
    size_t len = strlen(c->input), used = 0;
    uint8_t *g = th_guard_copy(c->input, len);
    enum ws_error e;
    *err_at = SIZE_MAX;
    if (c->side == ON_REQUEST) {
        struct ws_http_request r;
        struct ws_request_info info;
        e = ws_http_parse_request((const char *)g, len, c->max_block, &r, &used, err_at);
        if (e == WS_E_OK) {
            assert_int_equal(used, len);
            e = ws_handshake_check_request(&r, &info);
        }
    } else {
        struct ws_http_response s;
        struct ws_response_info info;
        e = ws_http_parse_response((const char *)g, len, c->max_block, &s, &used, err_at);
        if (e == WS_E_OK) {
            assert_int_equal(used, len);
            e = ws_handshake_check_response(&s, &rfc_offer, &info);
        }
    }
    th_guard_free(g, len);
    return e;
}

#define REQ(input, want)                                                                           \
    {                                                                                              \
        ON_REQUEST, input, 0, WS_E_##want, -1                                                      \
    }
#define RESP(input, want)                                                                          \
    {                                                                                              \
        ON_RESPONSE, input, 0, WS_E_##want, -1                                                     \
    }

static const struct row_case row_cases[] = {
    /* Syntax, with the offset of the bad byte. */
    {ON_REQUEST, "GET /chat HTTP/1.1\r\nHost : x\r\n", 0, WS_E_HTTP_MALFORMED, 24},
    {ON_REQUEST, "GET /chat HTTP/1.1\r\nHost: a\r\n b\r\n\r\n", 0, WS_E_HTTP_MALFORMED, 29},
    {ON_REQUEST, "GET /chat HTTP/1.1\r\nHost: a\x01\r\n", 0, WS_E_HTTP_MALFORMED, 27},
    {ON_REQUEST, GOOD_LINE "Host: a-long-host-name\r\n", 32, WS_E_HEADERS_TOO_LARGE, -1},
    {ON_RESPONSE, "HTTP/1.1 1x1", 0, WS_E_RESPONSE_MALFORMED, 10},
    {ON_RESPONSE, "HTTP/1.1 101 OK\r\nUpgrade:\x7f\r\n", 0, WS_E_RESPONSE_MALFORMED, 25},
    {ON_RESPONSE, R_LINE "Upgrade: websocket\r\n", 40, WS_E_RESPONSE_TOO_LARGE, -1},
    /* RFC 6455 section 4.2.1, in the order the checks run. */
    REQ("POST /chat HTTP/1.1\r\n" GOOD_FIELDS "\r\n", HTTP_METHOD),
    REQ("get /chat HTTP/1.1\r\n" GOOD_FIELDS "\r\n", HTTP_METHOD),
    REQ("POST /chat HTTP/1.0\r\n\r\n", HTTP_METHOD), /* the method is judged first */
    REQ("GET /chat HTTP/1.0\r\n" GOOD_FIELDS "\r\n", HTTP_VERSION),
    REQ("GET /chat HTTP/0.9\r\n" GOOD_FIELDS "\r\n", HTTP_VERSION),
    REQ("GET * HTTP/1.1\r\n" GOOD_FIELDS "\r\n", TARGET_INVALID),
    REQ("GET server.example.com:80 HTTP/1.1\r\n" GOOD_FIELDS "\r\n", TARGET_INVALID),
    REQ("GET chat HTTP/1.1\r\n" GOOD_FIELDS "\r\n", TARGET_INVALID),
    REQ("GET ftp://server.example.com/chat HTTP/1.1\r\n" GOOD_FIELDS "\r\n", TARGET_INVALID),
    REQ("GET ws:///chat HTTP/1.1\r\n" GOOD_FIELDS "\r\n", TARGET_INVALID),
    REQ("GET ws:// HTTP/1.1\r\n" GOOD_FIELDS "\r\n", TARGET_INVALID),
    REQ("GET /chat#frag HTTP/1.1\r\n" GOOD_FIELDS "\r\n", TARGET_INVALID),
    REQ("GET /caf\xc3\xa9 HTTP/1.1\r\n" GOOD_FIELDS "\r\n", TARGET_INVALID),
    REQ(GOOD_LINE L_UPGRADE L_CONNECTION L_KEY L_VERSION "\r\n", HOST_MISSING),
    REQ(GOOD_LINE "Host:  \r\n" L_UPGRADE L_CONNECTION L_KEY L_VERSION "\r\n", HOST_MISSING),
    REQ(GOOD_LINE GOOD_FIELDS "Host: evil.example\r\n\r\n", HEADER_DUPLICATE),
    REQ(GOOD_LINE L_HOST L_CONNECTION L_KEY L_VERSION "\r\n", UPGRADE_MISSING),
    REQ(GOOD_LINE L_HOST "Upgrade: h2c\r\n" L_CONNECTION L_KEY L_VERSION "\r\n", UPGRADE_MISSING),
    REQ(GOOD_LINE L_HOST "Upgrade: websocket/13\r\n" L_CONNECTION L_KEY L_VERSION "\r\n",
        UPGRADE_MISSING),
    REQ(GOOD_LINE L_HOST L_UPGRADE L_KEY L_VERSION "\r\n", CONNECTION_MISSING),
    REQ(GOOD_LINE L_HOST L_UPGRADE "Connection: keep-alive\r\n" L_KEY L_VERSION "\r\n",
        CONNECTION_MISSING),
    REQ(GOOD_LINE L_HOST L_UPGRADE "Connection: Upgraded\r\n" L_KEY L_VERSION "\r\n",
        CONNECTION_MISSING),
    REQ(GOOD_LINE L_HOST L_UPGRADE L_CONNECTION L_KEY "\r\n", VERSION_UNSUPPORTED),
    REQ(GOOD_LINE L_HOST L_UPGRADE L_CONNECTION L_KEY "Sec-WebSocket-Version: 8\r\n\r\n",
        VERSION_UNSUPPORTED),
    REQ(GOOD_LINE L_HOST L_UPGRADE L_CONNECTION L_KEY "Sec-WebSocket-Version: 13, 8\r\n\r\n",
        VERSION_UNSUPPORTED),
    REQ(GOOD_LINE L_HOST L_UPGRADE L_CONNECTION L_KEY "Sec-WebSocket-Version: 013\r\n\r\n",
        VERSION_UNSUPPORTED),
    /* The version is judged before the key: an old client gets the 426. */
    REQ(GOOD_LINE L_HOST L_UPGRADE L_CONNECTION "Sec-WebSocket-Version: 8\r\n\r\n",
        VERSION_UNSUPPORTED),
    REQ(GOOD_LINE GOOD_FIELDS L_VERSION "\r\n", HEADER_DUPLICATE),
    REQ(GOOD_LINE L_HOST L_UPGRADE L_CONNECTION L_VERSION "\r\n", KEY_INVALID),
    REQ(GOOD_LINE L_HOST L_UPGRADE L_CONNECTION L_VERSION
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=\r\n\r\n",
        KEY_INVALID), /* 23 characters */
    REQ(GOOD_LINE L_HOST L_UPGRADE L_CONNECTION L_VERSION
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ\r\n\r\n",
        KEY_INVALID), /* padding left out */
    REQ(GOOD_LINE L_HOST L_UPGRADE L_CONNECTION L_VERSION
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQA=\r\n\r\n",
        KEY_INVALID), /* 17 bytes */
    REQ(GOOD_LINE L_HOST L_UPGRADE L_CONNECTION L_VERSION
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j*Q==\r\n\r\n",
        KEY_INVALID), /* outside the alphabet */
    REQ(GOOD_LINE L_HOST L_UPGRADE L_CONNECTION L_VERSION
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ-_\r\n\r\n",
        KEY_INVALID), /* base64url is another alphabet */
    REQ(GOOD_LINE L_HOST L_UPGRADE L_CONNECTION L_VERSION
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZSBvZiAzMiBieXRlcyEhISE=\r\n\r\n",
        KEY_INVALID), /* 32 bytes */
    REQ(GOOD_LINE GOOD_FIELDS L_KEY "\r\n", HEADER_DUPLICATE),
    REQ(GOOD_LINE GOOD_FIELDS "Sec-WebSocket-Protocol: chat, super chat\r\n\r\n", PROTOCOL_SYNTAX),
    REQ(GOOD_LINE GOOD_FIELDS "Sec-WebSocket-Protocol: \r\n\r\n", PROTOCOL_SYNTAX),
    REQ(GOOD_LINE GOOD_FIELDS "Sec-WebSocket-Protocol: , ,\r\n\r\n", PROTOCOL_SYNTAX),
    REQ(GOOD_LINE GOOD_FIELDS "Sec-WebSocket-Protocol: chat;v=2\r\n\r\n", PROTOCOL_SYNTAX),
    REQ(GOOD_LINE GOOD_FIELDS "Sec-WebSocket-Protocol: a\r\nSec-WebSocket-Protocol: b\r\n"
                              "Sec-WebSocket-Protocol: c\r\nSec-WebSocket-Protocol: d\r\n"
                              "Sec-WebSocket-Protocol: e\r\nSec-WebSocket-Protocol: f\r\n"
                              "Sec-WebSocket-Protocol: g\r\nSec-WebSocket-Protocol: h\r\n"
                              "Sec-WebSocket-Protocol: i\r\n\r\n",
        PROTOCOL_SYNTAX), /* a ninth field */
    REQ(GOOD_LINE GOOD_FIELDS "Sec-WebSocket-Protocol: a b\r\nSec-WebSocket-Extensions: ;\r\n\r\n",
        PROTOCOL_SYNTAX), /* protocol before extensions */
    REQ(GOOD_LINE GOOD_FIELDS "Sec-WebSocket-Extensions: permessage-deflate;\r\n\r\n",
        EXTENSION_SYNTAX),
    REQ(GOOD_LINE GOOD_FIELDS "Sec-WebSocket-Extensions:\r\n\r\n", EXTENSION_SYNTAX),
    REQ(GOOD_LINE GOOD_FIELDS "Sec-WebSocket-Extensions: a\r\nSec-WebSocket-Extensions: b\r\n"
                              "Sec-WebSocket-Extensions: c\r\nSec-WebSocket-Extensions: d\r\n"
                              "Sec-WebSocket-Extensions: e\r\nSec-WebSocket-Extensions: f\r\n"
                              "Sec-WebSocket-Extensions: g\r\nSec-WebSocket-Extensions: h\r\n"
                              "Sec-WebSocket-Extensions: i\r\n\r\n",
        EXTENSION_SYNTAX), /* a ninth field */
    /* RFC 6455 section 4.1, the client's checks, in the order they run. */
    RESP("HTTP/1.1 200 OK\r\n" R_UPGRADE R_CONNECTION R_ACCEPT "\r\n", RESPONSE_STATUS),
    RESP("HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n", RESPONSE_STATUS),
    RESP(R_LINE R_CONNECTION R_ACCEPT "\r\n", RESPONSE_UPGRADE),
    RESP(R_LINE "Upgrade: h2c\r\n" R_CONNECTION R_ACCEPT "\r\n", RESPONSE_UPGRADE),
    RESP(R_LINE "Upgrade: websocket, h2c\r\n" R_CONNECTION R_ACCEPT "\r\n", RESPONSE_UPGRADE),
    RESP(R_LINE "Upgrade:\r\n" R_CONNECTION R_ACCEPT "\r\n", RESPONSE_UPGRADE),
    RESP(R_LINE R_UPGRADE R_ACCEPT "\r\n", RESPONSE_CONNECTION),
    RESP(R_LINE R_UPGRADE "Connection: close\r\n" R_ACCEPT "\r\n", RESPONSE_CONNECTION),
    RESP(R_LINE R_UPGRADE R_CONNECTION "\r\n", RESPONSE_ACCEPT),
    RESP(R_LINE R_UPGRADE R_CONNECTION "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo\r\n\r\n",
         RESPONSE_ACCEPT),
    RESP(R_LINE R_UPGRADE R_CONNECTION "Sec-WebSocket-Accept: S3PPLMBITXAQ9KYGZZHZRBK+XOO=\r\n\r\n",
         RESPONSE_ACCEPT),                         /* base64 is case-sensitive */
    RESP(R_GOOD R_ACCEPT "\r\n", RESPONSE_ACCEPT), /* two fields */
    RESP(R_GOOD "Sec-WebSocket-Protocol: mqtt\r\n\r\n", RESPONSE_PROTOCOL),
    RESP(R_GOOD "Sec-WebSocket-Protocol: Chat\r\n\r\n", RESPONSE_PROTOCOL),
    RESP(R_GOOD "Sec-WebSocket-Protocol: chat, superchat\r\n\r\n", RESPONSE_PROTOCOL),
    RESP(R_GOOD "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n\r\n",
         RESPONSE_PROTOCOL),
    RESP(R_GOOD "Sec-WebSocket-Protocol:\r\n\r\n", RESPONSE_PROTOCOL),
    RESP(R_GOOD "Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n\r\n", RESPONSE_EXTENSION),
    RESP(R_GOOD "Sec-WebSocket-Extensions: permessage-deflate, foo\r\n\r\n", RESPONSE_EXTENSION),
    RESP(R_GOOD "Sec-WebSocket-Extensions: permessage-deflate; a=\"\"\r\n\r\n", EXTENSION_SYNTAX),
    /* Extensions are judged before the protocol (section 4.1 items 5 and 6). */
    RESP(R_GOOD "Sec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Extensions: foo\r\n\r\n",
         RESPONSE_EXTENSION),
};

static void test_every_handshake_error(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof row_cases / sizeof row_cases[0]; i++) {
        const struct row_case *c = &row_cases[i];
        size_t err_at = SIZE_MAX;
        enum ws_error e = run_case(c, &err_at);
        if (e != c->want)
            fail_msg("case %zu: got %s, want %s", i, ws_error_name(e), ws_error_name(c->want));
        if (c->err_at >= 0 && err_at != (size_t)c->err_at)
            fail_msg("case %zu: error at %zu, want %ld", i, err_at, c->err_at);
    }
}

/* No handshake row of ws_errors.def without a case above: a new row needs a test. */
static void test_error_table_covered(void **state)
{
    (void)state;
    size_t rows = 0;
    /* ORIGIN_FORBIDDEN is the server's policy, not a rule of the request: ws_conn applies
     * it (cfg.origins; test_conn.c, test_allowed_origins) */
#define WS_ERROR(name, value, close_code, http_status, section, text)                              \
    if ((value) >= 400 && (value) < 500 && WS_E_##name != WS_E_ORIGIN_FORBIDDEN) {                 \
        bool seen = false;                                                                         \
        for (size_t i = 0; i < sizeof row_cases / sizeof row_cases[0]; i++)                        \
            seen = seen || row_cases[i].want == WS_E_##name;                                       \
        if (!seen)                                                                                 \
            fail_msg("no test case triggers %s", #name);                                           \
        rows++;                                                                                    \
    }
#include "ws_errors.def"
#undef WS_ERROR
    assert_true(rows >= 21);
}

/* ---------------------------------------------------------------------------
 * Requests that must pass
 * ------------------------------------------------------------------------- */

static enum ws_error check_text(const char *in, struct ws_request_info *info)
{
    static struct ws_http_request r; /* info's slices point into the input, not r */
    size_t used = 0, err_at = 0;
    enum ws_error e = ws_http_parse_request(in, strlen(in), 0, &r, &used, &err_at);
    if (e != WS_E_OK)
        return e;
    return ws_handshake_check_request(&r, info);
}

static void test_request_variants_accepted(void **state)
{
    (void)state;
    static const char *const ok[] = {
        GOOD_LINE L_HOST L_UPGRADE "Connection: keep-alive, Upgrade\r\n" L_KEY L_VERSION "\r\n",
        GOOD_LINE L_HOST "Upgrade: WebSocket\r\n" L_CONNECTION L_KEY L_VERSION "\r\n",
        GOOD_LINE "host: h\r\nupgrade: WEBSOCKET\r\nconnection: upgrade\r\n"
                  "sec-websocket-key: " RFC_KEY "\r\nsec-websocket-version: 13\r\n\r\n",
        GOOD_LINE L_HOST L_UPGRADE
        "Connection: keep-alive\r\nConnection: Upgrade\r\n" L_KEY L_VERSION "\r\n",
        GOOD_LINE L_HOST "Upgrade: h2c, websocket\r\n" L_CONNECTION L_KEY L_VERSION "\r\n",
        "GET ws://server.example.com/chat HTTP/1.1\r\n" GOOD_FIELDS "\r\n",
        "GET HTTP://server.example.com:80?x=1 HTTP/1.1\r\n" GOOD_FIELDS "\r\n",
        "GET https://server.example.com HTTP/1.1\r\n" GOOD_FIELDS "\r\n",
        "GET //double HTTP/1.1\r\n" GOOD_FIELDS "\r\n",
        "GET / HTTP/1.2\r\n" GOOD_FIELDS "\r\n",
        "GET / HTTP/2.0\r\n" GOOD_FIELDS "\r\n",
        GOOD_LINE L_HOST L_UPGRADE L_CONNECTION L_KEY "Sec-WebSocket-Version:  13 \t\r\n\r\n",
        /* RFC 6455 section 4.1 item 7's own, non-canonical, example key. */
        GOOD_LINE L_HOST L_UPGRADE L_CONNECTION L_VERSION
        "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEC==\r\n\r\n",
        GOOD_LINE GOOD_FIELDS "Sec-WebSocket-Protocol: , chat,,superchat ,\r\n\r\n",
        GOOD_LINE GOOD_FIELDS "Sec-WebSocket-Extensions: permessage-deflate; "
                              "client_max_window_bits, permessage-deflate\r\n\r\n",
        "\r\n" GOOD_LINE GOOD_FIELDS "\r\n",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct ws_request_info info;
        enum ws_error e = check_text(ok[i], &info);
        if (e != WS_E_OK)
            fail_msg("case %zu: %s, want OK", i, ws_error_name(e));
    }
}

static void test_request_info(void **state)
{
    (void)state;
    static const char in[] = RFC_REQUEST;
    struct ws_http_request r;
    struct ws_request_info info;
    size_t used = 0, err_at = 0;
    static const char with_ext[] = GOOD_LINE GOOD_FIELDS "Sec-WebSocket-Protocol: a\r\n"
                                                         "Sec-WebSocket-Extensions: x\r\n"
                                                         "Sec-WebSocket-Protocol: b\r\n\r\n";
    assert_int_equal(ws_http_parse_request(in, sizeof in - 1, 0, &r, &used, &err_at), WS_E_OK);
    assert_int_equal(ws_handshake_check_request(&r, &info), WS_E_OK);
    assert_slice(info.target, "/chat");
    assert_slice(info.host, "server.example.com");
    assert_slice(info.key, RFC_KEY);
    assert_slice(info.origin, "http://example.com");
    assert_int_equal(info.n_protocol, 1);
    assert_int_equal(info.protocol_idx[0], 5);
    assert_int_equal(info.n_extension, 0);

    assert_int_equal(ws_http_parse_request(with_ext, sizeof with_ext - 1, 0, &r, &used, &err_at),
                     WS_E_OK);
    assert_int_equal(ws_handshake_check_request(&r, &info), WS_E_OK);
    assert_int_equal(info.n_protocol, 2);
    assert_int_equal(info.protocol_idx[0], 5);
    assert_int_equal(info.protocol_idx[1], 7);
    assert_int_equal(info.n_extension, 1);
    assert_int_equal(info.extension_idx[0], 6);
    assert_int_equal(info.origin.len, 0);
}

/* ---------------------------------------------------------------------------
 * Subprotocol selection
 * ------------------------------------------------------------------------- */

static void test_select_protocol(void **state)
{
    (void)state;
    static const char in[] = GOOD_LINE GOOD_FIELDS "Sec-WebSocket-Protocol: chat, superchat\r\n"
                                                   "Sec-WebSocket-Protocol: v2.mqtt\r\n\r\n";
    struct ws_http_request r;
    struct ws_request_info info;
    size_t used = 0, err_at = 0;
    struct ws_slice chosen;
    assert_int_equal(ws_http_parse_request(in, sizeof in - 1, 0, &r, &used, &err_at), WS_E_OK);
    assert_int_equal(ws_handshake_check_request(&r, &info), WS_E_OK);

    /* The server's preference wins over the client's order. */
    static const char *const pref1[] = {"v2.mqtt", "chat"};
    assert_true(ws_handshake_select_protocol(&r, &info, pref1, 2, &chosen));
    assert_slice(chosen, "v2.mqtt");
    assert_true(chosen.ptr >= in && chosen.ptr < in + sizeof in); /* the client's bytes */
    static const char *const pref2[] = {"superchat", "chat"};
    assert_true(ws_handshake_select_protocol(&r, &info, pref2, 2, &chosen));
    assert_slice(chosen, "superchat");
    /* Nothing in common, compared byte for byte. */
    static const char *const pref3[] = {"Chat", "mqtt", NULL};
    assert_false(ws_handshake_select_protocol(&r, &info, pref3, 3, &chosen));
    assert_null(chosen.ptr);
    assert_int_equal(chosen.len, 0);

    /* No Sec-WebSocket-Protocol at all. */
    static const char none[] = GOOD_LINE GOOD_FIELDS "\r\n";
    assert_int_equal(ws_http_parse_request(none, sizeof none - 1, 0, &r, &used, &err_at), WS_E_OK);
    assert_int_equal(ws_handshake_check_request(&r, &info), WS_E_OK);
    assert_false(ws_handshake_select_protocol(&r, &info, pref1, 2, &chosen));
    assert_null(chosen.ptr);
}

/* ---------------------------------------------------------------------------
 * Response checks that pass
 * ------------------------------------------------------------------------- */

static void test_response_variants_accepted(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *protocol;
        size_t n_extension;
    } ok[] = {
        {R_GOOD "\r\n", "", 0},
        {R_LINE "upgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\n"
                "sec-websocket-accept: " RFC_ACCEPT "\r\n\r\n",
         "", 0},
        {"HTTP/1.1 101 \r\n" R_UPGRADE R_CONNECTION "Sec-WebSocket-Accept:  " RFC_ACCEPT " \r\n"
         "Sec-WebSocket-Protocol: superchat\r\n\r\n",
         "superchat", 0},
        {R_GOOD "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n"
                "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
         "", 2},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct ws_http_response s;
        struct ws_response_info info;
        size_t used = 0, err_at = 0;
        assert_int_equal(ws_http_parse_response(ok[i].in, strlen(ok[i].in), 0, &s, &used, &err_at),
                         WS_E_OK);
        enum ws_error e = ws_handshake_check_response(&s, &rfc_offer, &info);
        if (e != WS_E_OK)
            fail_msg("case %zu: %s, want OK", i, ws_error_name(e));
        assert_slice(info.protocol, ok[i].protocol);
        assert_int_equal(info.n_extension, ok[i].n_extension);
    }
    /* A subprotocol the client never offered: none offered at all. */
    static const char in[] = R_GOOD "Sec-WebSocket-Protocol: chat\r\n\r\n";
    struct ws_offer bare = {RFC_KEY, NULL, 0, NULL, 0};
    struct ws_http_response s;
    struct ws_response_info info;
    size_t used = 0, err_at = 0;
    assert_int_equal(ws_http_parse_response(in, sizeof in - 1, 0, &s, &used, &err_at), WS_E_OK);
    assert_int_equal(ws_handshake_check_response(&s, &bare, &info), WS_E_RESPONSE_PROTOCOL);
    assert_int_equal(ws_handshake_check_response(&s, NULL, &info), WS_E_INVALID_ARGUMENT);
}

/* ---------------------------------------------------------------------------
 * Refusals
 * ------------------------------------------------------------------------- */

/* Content-Length's digits, or -1. */
static long content_length(const struct ws_http_response *s)
{
    const struct ws_http_header *h = ws_http_find(s->headers, s->n_headers, "Content-Length", NULL);
    if (!h || h->value.len == 0 || h->value.len > 9)
        return -1;
    long v = 0;
    for (size_t i = 0; i < h->value.len; i++) {
        char c = h->value.ptr[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    return v;
}

static void check_refusal(enum ws_error e, int status)
{
    char out[1024];
    size_t len = 0, used = 0, err_at = 0;
    assert_int_equal(ws_handshake_build_refusal(e, out, sizeof out, &len), WS_E_OK);
    assert_true(len < sizeof out);
    assert_int_equal(out[len], '\0');
    struct ws_http_response s;
    assert_int_equal(ws_http_parse_response(out, len, 0, &s, &used, &err_at), WS_E_OK);
    assert_int_equal(s.status, status);
    assert_int_equal(s.version_major, 1);
    assert_int_equal(s.version_minor, 1);
    assert_true(ws_http_has_token(s.headers, s.n_headers, "Connection", "close"));
    const struct ws_http_header *ct = ws_http_find(s.headers, s.n_headers, "Content-Type", NULL);
    assert_non_null(ct);
    assert_slice(ct->value, "text/plain");
    assert_int_equal(content_length(&s), (long)(len - used));

    /* The body names the rule and its section, on one line. */
    const char *body = out + used;
    assert_true(strstr(body, ws_error_text(e)) == body);
    char sec[64];
    int k = snprintf(sec, sizeof sec, "(RFC 6455 section %s)\n", ws_error_section(e));
    assert_true(k > 0 && (size_t)k < sizeof sec);
    assert_string_equal(body + strlen(ws_error_text(e)) + 1, sec);

    size_t n_version = 0;
    const struct ws_http_header *v =
        ws_http_find(s.headers, s.n_headers, "Sec-WebSocket-Version", &n_version);
    if (status == 426) {
        /* RFC 6455 section 4.2.2 /version/ and RFC 9110 section 15.5.22. */
        assert_slice(s.reason, "Upgrade Required");
        assert_int_equal(n_version, 1);
        assert_slice(v->value, "13");
        assert_non_null(strstr(out, "\r\nSec-WebSocket-Version: 13\r\n"));
        assert_true(ws_http_has_token(s.headers, s.n_headers, "Upgrade", "websocket"));
        assert_true(ws_http_has_token(s.headers, s.n_headers, "Connection", "Upgrade"));
    } else {
        assert_int_equal(n_version, 0);
        assert_false(ws_http_has_token(s.headers, s.n_headers, "Connection", "Upgrade"));
    }
    if (status == 400)
        assert_slice(s.reason, "Bad Request");
    if (status == 431)
        assert_slice(s.reason, "Request Header Fields Too Large");
}

static void test_refusals(void **state)
{
    (void)state;
    size_t n = 0;
    bool seen426 = false, seen431 = false;
#define WS_ERROR(name, value, close_code, http_status, section, text)                              \
    if ((http_status) != 0) {                                                                      \
        check_refusal(WS_E_##name, http_status);                                                   \
        seen426 = seen426 || (http_status) == 426;                                                 \
        seen431 = seen431 || (http_status) == 431;                                                 \
        n++;                                                                                       \
    }
#include "ws_errors.def"
#undef WS_ERROR
    assert_true(n >= 13);
    assert_true(seen426 && seen431);

    /* The brief's example, byte for byte. */
    char out[512];
    size_t len = 0;
    assert_int_equal(ws_handshake_build_refusal(WS_E_KEY_INVALID, out, sizeof out, &len), WS_E_OK);
    static const char body[] =
        "\r\n\r\nSec-WebSocket-Key is not base64 of 16 bytes (RFC 6455 section 4.2.1)\n";
    assert_true(len > sizeof body - 1);
    assert_memory_equal(out + len - (sizeof body - 1), body, sizeof body - 1);
    assert_true(strncmp(out, "HTTP/1.1 400 Bad Request\r\n", 26) == 0);

    /* Errors without an HTTP status have no refusal. */
    assert_int_equal(ws_handshake_build_refusal(WS_E_MASK_MISSING, out, sizeof out, &len),
                     WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_handshake_build_refusal(WS_E_OK, out, sizeof out, &len),
                     WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_handshake_build_refusal(WS_E_RESPONSE_ACCEPT, out, sizeof out, &len),
                     WS_E_INVALID_ARGUMENT);
}

/* ---------------------------------------------------------------------------
 * Builders
 * ------------------------------------------------------------------------- */

static void test_build_request_exact(void **state)
{
    (void)state;
    struct ws_request_params p = {0};
    p.host = "server.example.com";
    p.key = RFC_KEY;
    char out[512];
    size_t len = 0;
    assert_int_equal(ws_handshake_build_request(&p, out, sizeof out, &len), WS_E_OK);
    static const char want[] = "GET / HTTP/1.1\r\n"
                               "Host: server.example.com\r\n"
                               "Upgrade: websocket\r\n"
                               "Connection: Upgrade\r\n"
                               "Sec-WebSocket-Key: " RFC_KEY "\r\n"
                               "Sec-WebSocket-Version: 13\r\n"
                               "\r\n";
    assert_int_equal(len, sizeof want - 1);
    assert_string_equal(out, want);

    static const char *const protos[] = {"chat", "superchat"};
    p.target = "/chat";
    p.origin = "http://example.com";
    p.protocols = protos;
    p.n_protocols = 2;
    assert_int_equal(ws_handshake_build_request(&p, out, sizeof out, &len), WS_E_OK);
    assert_non_null(strstr(out, "\r\nSec-WebSocket-Protocol: chat, superchat\r\n"));
    assert_non_null(strstr(out, "\r\nOrigin: http://example.com\r\n"));
    assert_true(strncmp(out, "GET /chat HTTP/1.1\r\n", 20) == 0);
}

static void test_build_round_trip(void **state)
{
    (void)state;
    struct th_rng rng = {7};
    char key[WS_KEY_LEN + 1];
    ws_handshake_make_key(th_rng_bytes, &rng, key);
    static const char *const protos[] = {"chat", "superchat"};
    static const char *const extra[] = {"Cookie: a=b", "User-Agent: wsspec"};
    struct ws_request_params p = {
        .host = "server.example.com:9001",
        .target = "/chat?room=1",
        .key = key,
        .origin = "http://example.com",
        .protocols = protos,
        .n_protocols = 2,
        .extensions = "permessage-deflate; client_max_window_bits",
        .extra_headers = extra,
        .n_extra_headers = 2,
    };
    char req_buf[1024];
    size_t req_len = 0, used = 0, err_at = 0;
    assert_int_equal(ws_handshake_build_request(&p, req_buf, sizeof req_buf, &req_len), WS_E_OK);

    struct ws_http_request r;
    struct ws_request_info info;
    assert_int_equal(ws_http_parse_request(req_buf, req_len, 0, &r, &used, &err_at), WS_E_OK);
    assert_int_equal(used, req_len);
    assert_int_equal(ws_handshake_check_request(&r, &info), WS_E_OK);
    assert_slice(info.target, "/chat?room=1");
    assert_slice(info.host, "server.example.com:9001");
    assert_slice(info.key, key);
    assert_slice(info.origin, "http://example.com");
    assert_int_equal(info.n_protocol, 1);
    assert_int_equal(info.n_extension, 1);
    assert_slice(ws_http_find(r.headers, r.n_headers, "Cookie", NULL)->value, "a=b");

    static const char *const server_pref[] = {"superchat"};
    struct ws_slice chosen;
    assert_true(ws_handshake_select_protocol(&r, &info, server_pref, 1, &chosen));

    char resp_buf[512];
    size_t resp_len = 0;
    assert_int_equal(ws_handshake_build_response(info.key, chosen, "permessage-deflate", resp_buf,
                                                 sizeof resp_buf, &resp_len),
                     WS_E_OK);
    assert_true(strncmp(resp_buf, "HTTP/1.1 101 Switching Protocols\r\n", 34) == 0);
    struct ws_http_response s;
    assert_int_equal(ws_http_parse_response(resp_buf, resp_len, 0, &s, &used, &err_at), WS_E_OK);
    assert_int_equal(used, resp_len);
    static const char *const offered_ext[] = {"permessage-deflate"};
    struct ws_offer offer = {key, protos, 2, offered_ext, 1};
    struct ws_response_info rinfo;
    assert_int_equal(ws_handshake_check_response(&s, &offer, &rinfo), WS_E_OK);
    assert_slice(rinfo.protocol, "superchat");
    assert_int_equal(rinfo.n_extension, 1);

    /* The response to the RFC's key carries the RFC's accept; no protocol, no
     * extensions when none are given. */
    struct ws_slice rfc_key = {RFC_KEY, strlen(RFC_KEY)}, none = {NULL, 0};
    assert_int_equal(
        ws_handshake_build_response(rfc_key, none, NULL, resp_buf, sizeof resp_buf, &resp_len),
        WS_E_OK);
    static const char want[] = "HTTP/1.1 101 Switching Protocols\r\n"
                               "Upgrade: websocket\r\n"
                               "Connection: Upgrade\r\n"
                               "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n"
                               "\r\n";
    assert_int_equal(resp_len, sizeof want - 1);
    assert_memory_equal(resp_buf, want, sizeof want - 1);
}

/* Build into a guard-page buffer of exactly cap bytes, pre-filled with a marker. */
enum builder { B_REQUEST, B_RESPONSE, B_REFUSAL };

static enum ws_error build_into(enum builder b, char *out, size_t cap, size_t *len)
{
    static const char *const protos[] = {"chat", "superchat"};
    static const char *const extra[] = {"X-Extra: 1"};
    struct ws_request_params p = {.host = "h.example",
                                  .target = "/x",
                                  .key = RFC_KEY,
                                  .origin = "http://o.example",
                                  .protocols = protos,
                                  .n_protocols = 2,
                                  .extensions = "permessage-deflate",
                                  .extra_headers = extra,
                                  .n_extra_headers = 1};
    struct ws_slice key = {RFC_KEY, strlen(RFC_KEY)}, proto = {"chat", 4};
    switch (b) {
    case B_REQUEST:
        return ws_handshake_build_request(&p, out, cap, len);
    case B_RESPONSE:
        return ws_handshake_build_response(key, proto, "permessage-deflate", out, cap, len);
    case B_REFUSAL:
        return ws_handshake_build_refusal(WS_E_VERSION_UNSUPPORTED, out, cap, len);
    }
    return WS_E_INVALID_ARGUMENT;
}

static void test_build_too_small(void **state)
{
    (void)state;
    for (int b = B_REQUEST; b <= B_REFUSAL; b++) {
        char ref[1024];
        size_t need = 0;
        assert_int_equal(build_into((enum builder)b, ref, sizeof ref, &need), WS_E_OK);
        assert_true(need > 0 && need < sizeof ref);
        char marker[1024];
        memset(marker, 0x5A, sizeof marker);
        for (size_t cap = 0; cap <= need + 1; cap++) {
            /* Writing at out[cap] or beyond faults on the guard page. */
            uint8_t *g = th_guard_copy(marker, cap);
            size_t len = 0;
            enum ws_error e = build_into((enum builder)b, (char *)g, cap, &len);
            if (cap < need) {
                if (e != WS_E_BUFFER_TOO_SMALL)
                    fail_msg("builder %d cap %zu: %s", b, cap, ws_error_name(e));
                assert_int_equal(len, need); /* the size it would take */
            } else {
                assert_int_equal(e, WS_E_OK);
                assert_int_equal(len, need);
                assert_memory_equal(g, ref, need);
                if (cap > need)
                    assert_int_equal(g[need], '\0');
            }
            th_guard_free(g, cap);
        }
    }
}

static void test_build_injection(void **state)
{
    (void)state;
    static const char *const bad[] = {"a\rb", "a\nb", "a\r\nX-Injected: 1", "\n"};
    char out[1024];
    size_t len = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (int field = 0; field < 7; field++) {
            const char *protos[2] = {"chat", "superchat"};
            const char *extra[1] = {"X-A: 1"};
            struct ws_request_params p = {.host = "h", .key = RFC_KEY};
            p.protocols = protos;
            p.n_protocols = 2;
            p.extra_headers = extra;
            p.n_extra_headers = 1;
            switch (field) {
            case 0:
                p.host = bad[i];
                break;
            case 1:
                p.target = bad[i];
                break;
            case 2:
                p.key = bad[i];
                break;
            case 3:
                p.origin = bad[i];
                break;
            case 4:
                protos[1] = bad[i];
                break;
            case 5:
                p.extensions = bad[i];
                break;
            case 6:
                extra[0] = bad[i];
                break;
            }
            memset(out, 0x5A, sizeof out);
            assert_int_equal(ws_handshake_build_request(&p, out, sizeof out, &len),
                             WS_E_INVALID_ARGUMENT);
            assert_int_equal((unsigned char)out[0], 0x5A); /* nothing written */
        }
        struct ws_slice key = {RFC_KEY, strlen(RFC_KEY)}, proto = {bad[i], strlen(bad[i])};
        struct ws_slice ok_proto = {"chat", 4};
        assert_int_equal(ws_handshake_build_response(key, proto, NULL, out, sizeof out, &len),
                         WS_E_INVALID_ARGUMENT);
        assert_int_equal(ws_handshake_build_response(key, ok_proto, bad[i], out, sizeof out, &len),
                         WS_E_INVALID_ARGUMENT);
    }
    /* Required members and array entries. */
    struct ws_request_params p = {.host = "h", .key = RFC_KEY};
    assert_int_equal(ws_handshake_build_request(&p, out, sizeof out, &len), WS_E_OK);
    p.host = NULL;
    assert_int_equal(ws_handshake_build_request(&p, out, sizeof out, &len), WS_E_INVALID_ARGUMENT);
    p.host = "h";
    p.key = NULL;
    assert_int_equal(ws_handshake_build_request(&p, out, sizeof out, &len), WS_E_INVALID_ARGUMENT);
    p.key = RFC_KEY;
    const char *holes[2] = {"chat", NULL};
    p.protocols = holes;
    p.n_protocols = 2;
    assert_int_equal(ws_handshake_build_request(&p, out, sizeof out, &len), WS_E_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_example_accept),
        cmocka_unit_test(test_make_key),
        cmocka_unit_test(test_request_every_split),
        cmocka_unit_test(test_request_bare_lf_every_split),
        cmocka_unit_test(test_response_every_split),
        cmocka_unit_test(test_response_empty_reason_every_split),
        cmocka_unit_test(test_request_fields),
        cmocka_unit_test(test_parse_invalid_arguments),
        cmocka_unit_test(test_request_malformed),
        cmocka_unit_test(test_response_malformed),
        cmocka_unit_test(test_block_size_limit),
        cmocka_unit_test(test_header_count_limit),
        cmocka_unit_test(test_find_and_tokens),
        cmocka_unit_test(test_every_handshake_error),
        cmocka_unit_test(test_error_table_covered),
        cmocka_unit_test(test_request_variants_accepted),
        cmocka_unit_test(test_request_info),
        cmocka_unit_test(test_select_protocol),
        cmocka_unit_test(test_response_variants_accepted),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_build_request_exact),
        cmocka_unit_test(test_build_round_trip),
        cmocka_unit_test(test_build_too_small),
        cmocka_unit_test(test_build_injection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_frame.c - the frame codec: RFC 6455 section 5.7 examples, every header rule
 * (with the byte offset it must be reported at), decoding at every split point with
 * each piece against a guard page, the encoder's any-bit-pattern promises, and the
 * mask phase carried across chunks.
 */
#include "th.h"

#include "ws_frame.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ decode helper */

/* What a whole decode run saw: headers in order and the concatenated payload. */
struct seen {
    struct ws_frame_header hdr[16];
    size_t n_hdr, n_end;
    uint8_t payload[70000];
    size_t payload_len;
    enum ws_error error;
    uint64_t error_offset;
    size_t consumed;
};

struct run_ctx {
    struct ws_frame_rules rules;
    struct ws_frame_decoder d;
    struct seen s;
    const struct seen *expect; /* compare at done() when set */
};

static int feed_decoder(struct ws_frame_decoder *d, struct seen *s, uint8_t *in, size_t len)
{
    size_t off = 0;
    for (;;) {
        size_t n;
        struct ws_frame_event ev;
        enum ws_error e = ws_frame_decode(d, in + off, len - off, &n, &ev);
        assert_true(n <= len - off);
        off += n;
        s->consumed += n;
        if (e) {
            s->error = e;
            ws_frame_decoder_error(d, &s->error_offset);
            return 1;
        }
        if (ev.type == WS_FRAME_NONE) {
            assert_int_equal(off, len); /* NONE only when the input is used up */
            return 0;
        }
        if (ev.type == WS_FRAME_HEADER) {
            assert_true(s->n_hdr < 16);
            s->hdr[s->n_hdr++] = *ev.hdr;
        } else if (ev.type == WS_FRAME_PAYLOAD) {
            assert_true(ev.data >= in && ev.data + ev.len <= in + len); /* a slice of in */
            assert_true(s->payload_len + ev.len <= sizeof s->payload);
            memcpy(s->payload + s->payload_len, ev.data, ev.len);
            s->payload_len += ev.len;
        } else {
            s->n_end++;
        }
    }
}

static void run_begin(void *ctx)
{
    struct run_ctx *r = ctx;
    ws_frame_decoder_init(&r->d, &r->rules);
    memset(&r->s, 0, sizeof r->s);
}

static int run_feed(void *ctx, uint8_t *piece, size_t len)
{
    struct run_ctx *r = ctx;
    return feed_decoder(&r->d, &r->s, piece, len);
}

static void run_done(void *ctx)
{
    struct run_ctx *r = ctx;
    const struct seen *x = r->expect;
    if (!x)
        return;
    assert_int_equal(r->s.error, x->error);
    assert_int_equal(r->s.error_offset, x->error_offset);
    assert_int_equal(r->s.consumed, x->consumed);
    assert_int_equal(r->s.n_hdr, x->n_hdr);
    assert_int_equal(r->s.n_end, x->n_end);
    for (size_t i = 0; i < x->n_hdr; i++)
        assert_memory_equal(&r->s.hdr[i], &x->hdr[i], sizeof x->hdr[i]);
    assert_int_equal(r->s.payload_len, x->payload_len);
    assert_memory_equal(r->s.payload, x->payload, x->payload_len);
}

/* Decode input whole, then at every split point and byte by byte; every run must see
 * exactly what the whole run saw. Returns the whole run's result in *out. */
static void decode_all_splits(const struct ws_frame_rules *rules, const uint8_t *input, size_t len,
                              struct seen *out)
{
    struct run_ctx *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->rules = *rules;
    run_begin(r);
    uint8_t *copy = th_guard_copy(input, len);
    feed_decoder(&r->d, &r->s, copy, len);
    th_guard_free(copy, len);
    *out = r->s;
    r->expect = out;
    struct th_split_driver drv = {run_begin, run_feed, run_done, r};
    size_t runs = th_each_split(input, len, &drv);
    assert_true(runs >= len + 2);
    free(r);
}

static const struct ws_frame_rules server_rules = {.role = WS_ROLE_SERVER};
static const struct ws_frame_rules client_rules = {.role = WS_ROLE_CLIENT};

/* ------------------------------------------------------------ RFC 5.7 examples */

static void test_rfc_examples_decode(void **state)
{
    (void)state;
    static struct seen s;
    uint8_t in[64];
    size_t n;

    /* "A single-frame unmasked text message" */
    n = th_hex("81 05 48 65 6c 6c 6f", in, sizeof in);
    decode_all_splits(&client_rules, in, n, &s);
    assert_int_equal(s.error, WS_E_OK);
    assert_int_equal(s.n_hdr, 1);
    assert_true(s.hdr[0].fin);
    assert_int_equal(s.hdr[0].opcode, WS_OP_TEXT);
    assert_false(s.hdr[0].masked);
    assert_int_equal(s.hdr[0].payload_len, 5);
    assert_memory_equal(s.payload, "Hello", 5);

    /* "A single-frame masked text message" */
    n = th_hex("81 85 37 fa 21 3d 7f 9f 4d 51 58", in, sizeof in);
    decode_all_splits(&server_rules, in, n, &s);
    assert_int_equal(s.error, WS_E_OK);
    assert_true(s.hdr[0].masked);
    assert_int_equal(s.hdr[0].header_len, 6);
    assert_memory_equal(s.payload, "Hello", 5);

    /* "A fragmented unmasked text message" */
    n = th_hex("01 03 48 65 6c 80 02 6c 6f", in, sizeof in);
    decode_all_splits(&client_rules, in, n, &s);
    assert_int_equal(s.n_hdr, 2);
    assert_int_equal(s.n_end, 2);
    assert_false(s.hdr[0].fin);
    assert_int_equal(s.hdr[0].opcode, WS_OP_TEXT);
    assert_true(s.hdr[1].fin);
    assert_int_equal(s.hdr[1].opcode, WS_OP_CONT);
    assert_int_equal(s.hdr[1].frame_offset, 5);
    assert_memory_equal(s.payload, "Hello", 5);

    /* "Unmasked Ping request and masked Ping response" */
    n = th_hex("89 05 48 65 6c 6c 6f", in, sizeof in);
    decode_all_splits(&client_rules, in, n, &s);
    assert_int_equal(s.hdr[0].opcode, WS_OP_PING);
    assert_memory_equal(s.payload, "Hello", 5);
    n = th_hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58", in, sizeof in);
    decode_all_splits(&server_rules, in, n, &s);
    assert_int_equal(s.hdr[0].opcode, WS_OP_PONG);
    assert_memory_equal(s.payload, "Hello", 5);
}

static void test_rfc_examples_large(void **state)
{
    (void)state;
    static struct seen s;
    static uint8_t in[65536 + 10];
    /* "256 bytes binary message in a single unmasked frame": 0x82 0x7E 0x0100 */
    in[0] = 0x82, in[1] = 0x7E, in[2] = 0x01, in[3] = 0x00;
    for (size_t i = 0; i < 256; i++)
        in[4 + i] = (uint8_t)i;
    struct ws_frame_rules r = client_rules;
    struct ws_frame_decoder d;
    ws_frame_decoder_init(&d, &r);
    memset(&s, 0, sizeof s);
    assert_int_equal(feed_decoder(&d, &s, in, 260), 0);
    assert_int_equal(s.hdr[0].payload_len, 256);
    assert_int_equal(s.hdr[0].header_len, 4);
    assert_int_equal(s.payload_len, 256);
    assert_int_equal(s.payload[255], 255);

    /* "64KiB binary message in a single unmasked frame": 0x82 0x7F 0x0000000000010000 */
    size_t n = th_hex("82 7f 00 00 00 00 00 01 00 00", in, sizeof in);
    memset(in + n, 0x2A, 65536);
    ws_frame_decoder_init(&d, &r);
    memset(&s, 0, sizeof s);
    assert_int_equal(feed_decoder(&d, &s, in, n + 65536), 0);
    assert_int_equal(s.hdr[0].payload_len, 65536);
    assert_int_equal(s.hdr[0].header_len, 10);
    assert_int_equal(s.payload_len, 65536);

    /* and the encoder writes exactly those headers */
    uint8_t hdr[WS_FRAME_HEADER_MAX];
    struct ws_frame_spec spec = {.fin = true, .opcode = WS_OP_BINARY};
    assert_int_equal(ws_frame_write_header(&spec, 256, hdr), 4);
    assert_memory_equal(hdr, "\x82\x7e\x01\x00", 4);
    assert_int_equal(ws_frame_write_header(&spec, 65536, hdr), 10);
    assert_memory_equal(hdr, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
}

static void test_rfc_examples_encode(void **state)
{
    (void)state;
    uint8_t out[64], want[64];
    size_t n, w;
    struct ws_frame_spec s = {.fin = true, .opcode = WS_OP_TEXT};
    assert_int_equal(ws_frame_encode(&s, (const uint8_t *)"Hello", 5, out, sizeof out, &n), 0);
    w = th_hex("81 05 48 65 6c 6c 6f", want, sizeof want);
    assert_int_equal(n, w);
    assert_memory_equal(out, want, w);

    s.masked = true;
    memcpy(s.mask_key, "\x37\xfa\x21\x3d", 4);
    assert_int_equal(ws_frame_encode(&s, (const uint8_t *)"Hello", 5, out, sizeof out, &n), 0);
    w = th_hex("81 85 37 fa 21 3d 7f 9f 4d 51 58", want, sizeof want);
    assert_int_equal(n, w);
    assert_memory_equal(out, want, w);

    /* every cap below the size is refused without writing past it */
    for (size_t cap = 0; cap < w; cap++) {
        uint8_t *g = th_guard_copy(NULL, cap);
        assert_int_equal(ws_frame_encode(&s, (const uint8_t *)"Hello", 5, g, cap, &n),
                         WS_E_BUFFER_TOO_SMALL);
        assert_int_equal(n, 0);
        th_guard_free(g, cap);
    }
}

/* ------------------------------------------------------------ header rules */

struct rule_case {
    const char *name;
    enum ws_role role;
    uint8_t rsv_allowed;
    uint64_t max_frame;
    const char *hex;
    enum ws_error error;
    uint64_t offset; /* the byte that breaks the rule */
};

static const struct rule_case rule_cases[] = {
    {"RSV1 without extension", WS_ROLE_SERVER, 0, 0, "c1 80 00 00 00 00", WS_E_RSV_NOT_NEGOTIATED,
     0},
    {"RSV2", WS_ROLE_SERVER, 0, 0, "a1 80 00 00 00 00", WS_E_RSV_NOT_NEGOTIATED, 0},
    {"RSV3", WS_ROLE_SERVER, 0, 0, "91 80 00 00 00 00", WS_E_RSV_NOT_NEGOTIATED, 0},
    {"RSV2 with only RSV1 negotiated", WS_ROLE_SERVER, WS_RSV1, 0, "a1 80 00 00 00 00",
     WS_E_RSV_NOT_NEGOTIATED, 0},
    {"opcode 3", WS_ROLE_SERVER, 0, 0, "83 80 00 00 00 00", WS_E_OPCODE_RESERVED, 0},
    {"opcode 7", WS_ROLE_SERVER, 0, 0, "87 80 00 00 00 00", WS_E_OPCODE_RESERVED, 0},
    {"opcode 0xB", WS_ROLE_SERVER, 0, 0, "8b 80 00 00 00 00", WS_E_OPCODE_RESERVED, 0},
    {"opcode 0xF", WS_ROLE_SERVER, 0, 0, "8f 80 00 00 00 00", WS_E_OPCODE_RESERVED, 0},
    {"ping FIN=0", WS_ROLE_SERVER, 0, 0, "09 80 00 00 00 00", WS_E_CONTROL_FRAGMENTED, 0},
    {"close FIN=0", WS_ROLE_CLIENT, 0, 0, "08 00", WS_E_CONTROL_FRAGMENTED, 0},
    {"unmasked to server", WS_ROLE_SERVER, 0, 0, "81 05 48 65 6c 6c 6f", WS_E_MASK_MISSING, 1},
    {"masked to client", WS_ROLE_CLIENT, 0, 0, "81 80 00 00 00 00", WS_E_MASK_UNEXPECTED, 1},
    {"ping 126", WS_ROLE_SERVER, 0, 0, "89 fe 00 7e", WS_E_CONTROL_TOO_LONG, 1},
    {"pong 127 form", WS_ROLE_CLIENT, 0, 0, "8a 7f", WS_E_CONTROL_TOO_LONG, 1},
    {"16-bit form for 125", WS_ROLE_CLIENT, 0, 0, "81 7e 00 7d", WS_E_LENGTH_NOT_MINIMAL, 3},
    {"16-bit form for 0", WS_ROLE_CLIENT, 0, 0, "82 7e 00 00", WS_E_LENGTH_NOT_MINIMAL, 3},
    {"64-bit form for 65535", WS_ROLE_CLIENT, 0, 0, "82 7f 00 00 00 00 00 00 ff ff",
     WS_E_LENGTH_NOT_MINIMAL, 9},
    {"64-bit form for 126", WS_ROLE_SERVER, 0, 0, "82 ff 00 00 00 00 00 00 00 7e",
     WS_E_LENGTH_NOT_MINIMAL, 9},
    {"64-bit MSB set", WS_ROLE_CLIENT, 0, 0, "82 7f 80 00 00 00 00 00 00 00", WS_E_LENGTH_MSB_SET,
     2},
    {"over max_frame (7-bit)", WS_ROLE_CLIENT, 0, 10, "82 0b", WS_E_FRAME_TOO_BIG, 1},
    {"over max_frame (64-bit)", WS_ROLE_CLIENT, 0, 1 << 20, "82 7f 40 00 00 00 00 00 00 00",
     WS_E_FRAME_TOO_BIG, 9},
    {"second frame breaks", WS_ROLE_CLIENT, 0, 0, "81 02 68 69 83 00", WS_E_OPCODE_RESERVED, 4},
};

static void test_header_rules(void **state)
{
    (void)state;
    static struct seen s;
    for (size_t i = 0; i < sizeof rule_cases / sizeof rule_cases[0]; i++) {
        const struct rule_case *rc = &rule_cases[i];
        uint8_t in[64];
        size_t n = th_hex(rc->hex, in, sizeof in);
        struct ws_frame_rules r = {
            .role = rc->role, .rsv_allowed = rc->rsv_allowed, .max_frame = rc->max_frame};
        decode_all_splits(&r, in, n, &s);
        if (s.error != rc->error || s.error_offset != rc->offset)
            fail_msg("%s: got %s at %llu, want %s at %llu", rc->name, ws_error_name(s.error),
                     (unsigned long long)s.error_offset, ws_error_name(rc->error),
                     (unsigned long long)rc->offset);
        /* consumption stops right at the bad byte */
        assert_int_equal(s.consumed, rc->offset);
        /* every rule row has a close code to answer with */
        assert_true(ws_error_close_code(rc->error) == 1002 ||
                    ws_error_close_code(rc->error) == 1009);
    }
}

/* report_only (the tester's lenient mode): the same rule is reported with the frame's
 * HEADER event, at the same offset, and decoding goes on - byte by byte here. */
static void test_header_rules_report_only(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rule_cases / sizeof rule_cases[0]; i++) {
        const struct rule_case *rc = &rule_cases[i];
        uint8_t in[64] = {0};
        /* and 14 more bytes, so that every header can complete */
        size_t n = th_hex(rc->hex, in, sizeof in) + WS_FRAME_HEADER_MAX;
        struct ws_frame_rules r = {.role = rc->role,
                                   .rsv_allowed = rc->rsv_allowed,
                                   .max_frame = rc->max_frame,
                                   .report_only = true};
        struct ws_frame_decoder d;
        ws_frame_decoder_init(&d, &r);
        enum ws_error seen = WS_E_OK;
        uint64_t seen_at = 0;
        size_t headers = 0;
        for (size_t off = 0; off < n;) {
            size_t used;
            struct ws_frame_event ev;
            assert_int_equal(ws_frame_decode(&d, in + off, 1, &used, &ev), WS_E_OK);
            off += used;
            if (ev.type == WS_FRAME_HEADER) {
                headers++;
                if (ev.violation && !seen) {
                    seen = ev.violation;
                    seen_at = ev.violation_offset;
                }
            }
        }
        if (seen != rc->error || seen_at != rc->offset)
            fail_msg("%s (report_only): got %s at %llu, want %s at %llu", rc->name,
                     ws_error_name(seen), (unsigned long long)seen_at, ws_error_name(rc->error),
                     (unsigned long long)rc->offset);
        assert_true(headers >= 1);
        assert_int_equal(ws_frame_decoder_error(&d, NULL), WS_E_OK); /* nothing sticks */
    }
}

static void test_rules_allow_legal_frames(void **state)
{
    (void)state;
    static struct seen s;
    uint8_t in[64];
    /* RSV1 passes when an extension defines it */
    size_t n = th_hex("c1 80 00 00 00 00", in, sizeof in);
    struct ws_frame_rules r = {.role = WS_ROLE_SERVER, .rsv_allowed = WS_RSV1};
    decode_all_splits(&r, in, n, &s);
    assert_int_equal(s.error, WS_E_OK);
    assert_int_equal(s.hdr[0].rsv, WS_RSV1);
    /* control frame of exactly 125 bytes, 16-bit form for 126, 64-bit for 65536 */
    uint8_t big[200] = {0x89, 0x7d};
    decode_all_splits(&client_rules, big, 127, &s);
    assert_int_equal(s.error, WS_E_OK);
    assert_int_equal(s.payload_len, 125);
    n = th_hex("82 7e 00 7e", in, sizeof in);
    decode_all_splits(&client_rules, in, n, &s);
    assert_int_equal(s.error, WS_E_OK);
    assert_int_equal(s.hdr[0].payload_len, 126);
    /* max_frame is inclusive */
    n = th_hex("82 0a", in, sizeof in);
    struct ws_frame_rules lim = {.role = WS_ROLE_CLIENT, .max_frame = 10};
    decode_all_splits(&lim, in, n, &s);
    assert_int_equal(s.error, WS_E_OK);
}

static void test_error_is_sticky(void **state)
{
    (void)state;
    struct ws_frame_decoder d;
    ws_frame_decoder_init(&d, &server_rules);
    uint8_t in[] = {0x83, 0x80, 0, 0, 0, 0, 0x81, 0x80, 0, 0, 0, 0};
    size_t n;
    struct ws_frame_event ev;
    assert_int_equal(ws_frame_decode(&d, in, sizeof in, &n, &ev), WS_E_OPCODE_RESERVED);
    assert_int_equal(n, 0);
    assert_int_equal(ev.type, WS_FRAME_NONE);
    assert_int_equal(ws_frame_decode(&d, in + 6, 6, &n, &ev), WS_E_OPCODE_RESERVED);
    assert_int_equal(n, 0);
    uint64_t at = 99;
    assert_int_equal(ws_frame_decoder_error(&d, &at), WS_E_OPCODE_RESERVED);
    assert_int_equal(at, 0);
}

/* A frame declaring 2^62 bytes is just a header: nothing is buffered or allocated,
 * the payload comes as slices of whatever input arrives. */
static void test_huge_declared_length(void **state)
{
    (void)state;
    uint8_t in[64];
    size_t n = th_hex("82 7f 40 00 00 00 00 00 00 00 01 02 03", in, sizeof in);
    struct ws_frame_decoder d;
    ws_frame_decoder_init(&d, &client_rules);
    static struct seen s;
    memset(&s, 0, sizeof s);
    assert_int_equal(feed_decoder(&d, &s, in, n), 0);
    assert_int_equal(s.hdr[0].payload_len, (uint64_t)1 << 62);
    assert_int_equal(s.payload_len, 3);
    assert_int_equal(s.n_end, 0);
}

/* ------------------------------------------------------------ encoder */

static void test_encoder_any_bit_pattern(void **state)
{
    (void)state;
    uint8_t h[WS_FRAME_HEADER_MAX];
    for (unsigned op = 0; op < 16; op++)
        for (unsigned rsv = 0; rsv < 8; rsv++)
            for (unsigned fin = 0; fin < 2; fin++) {
                struct ws_frame_spec s = {.fin = fin, .rsv = (uint8_t)rsv, .opcode = (uint8_t)op};
                assert_int_equal(ws_frame_write_header(&s, 3, h), 2);
                assert_int_equal(h[0], (fin << 7) | (rsv << 4) | op);
                assert_int_equal(h[1], 3);
            }
    /* mask bit and key independent of any role */
    struct ws_frame_spec m = {.fin = true, .opcode = 1, .masked = true, .mask_key = {1, 2, 3, 4}};
    assert_int_equal(ws_frame_write_header(&m, 0, h), 6);
    assert_memory_equal(h, "\x81\x80\x01\x02\x03\x04", 6);

    /* non-minimal forms on request */
    struct ws_frame_spec f16 = {.fin = true, .opcode = 2, .len_form = WS_LEN_16};
    assert_int_equal(ws_frame_write_header(&f16, 5, h), 4);
    assert_memory_equal(h, "\x82\x7e\x00\x05", 4);
    struct ws_frame_spec f64 = {.fin = true, .opcode = 2, .len_form = WS_LEN_64};
    assert_int_equal(ws_frame_write_header(&f64, 5, h), 10);
    assert_memory_equal(h, "\x82\x7f\x00\x00\x00\x00\x00\x00\x00\x05", 10);
    /* forms that cannot hold the length */
    struct ws_frame_spec f7 = {.fin = true, .opcode = 2, .len_form = WS_LEN_7};
    assert_int_equal(ws_frame_write_header(&f7, 126, h), 0);
    assert_int_equal(ws_frame_write_header(&f16, 70000, h), 0);
    /* declared length disagreeing with the payload, including the MSB and 7-bit 127 */
    struct ws_frame_spec lie = {.fin = true,
                                .opcode = 2,
                                .len_form = WS_LEN_64,
                                .len_override = true,
                                .declared_len = UINT64_MAX};
    assert_int_equal(ws_frame_write_header(&lie, 5, h), 10);
    assert_memory_equal(h + 2, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
    struct ws_frame_spec lie7 = {
        .fin = true, .opcode = 1, .len_form = WS_LEN_7, .len_override = true, .declared_len = 127};
    assert_int_equal(ws_frame_write_header(&lie7, 0, h), 2);
    assert_int_equal(h[1], 127);
    size_t n;
    uint8_t out[32];
    assert_int_equal(ws_frame_encode(&f7, out, 126, out, sizeof out, &n), WS_E_INVALID_ARGUMENT);
}

/* Random legal frames: decode(encode(f)) == f, for both roles, at every split. */
static void test_round_trip(void **state)
{
    (void)state;
    struct th_rng rng = {42};
    static uint8_t wire[4096], payload[2048];
    static struct seen s;
    static const uint8_t ops[] = {0, 1, 2, 8, 9, 10};
    for (int iter = 0; iter < 60; iter++) {
        size_t total = 0, pl_total = 0;
        struct ws_frame_spec specs[4];
        size_t lens[4];
        int nf = 1 + (int)(th_rng_next(&rng) % 4);
        bool masked = iter & 1;
        for (int f = 0; f < nf; f++) {
            struct ws_frame_spec *sp = &specs[f];
            memset(sp, 0, sizeof *sp);
            sp->opcode = ops[th_rng_next(&rng) % sizeof ops];
            sp->fin = ws_opcode_is_control(sp->opcode) || (th_rng_next(&rng) & 1);
            sp->masked = masked;
            th_rng_bytes(&rng, sp->mask_key, 4);
            size_t len =
                (size_t)(th_rng_next(&rng) % (ws_opcode_is_control(sp->opcode) ? 126 : 400));
            lens[f] = len;
            th_rng_bytes(&rng, payload + pl_total, len);
            size_t n;
            assert_int_equal(
                ws_frame_encode(sp, payload + pl_total, len, wire + total, sizeof wire - total, &n),
                0);
            total += n;
            pl_total += len;
        }
        struct ws_frame_rules r = {.role = masked ? WS_ROLE_SERVER : WS_ROLE_CLIENT};
        decode_all_splits(&r, wire, total, &s);
        assert_int_equal(s.error, WS_E_OK);
        assert_int_equal(s.n_hdr, (size_t)nf);
        assert_int_equal(s.n_end, (size_t)nf);
        for (int f = 0; f < nf; f++) {
            assert_int_equal(s.hdr[f].fin, specs[f].fin);
            assert_int_equal(s.hdr[f].opcode, specs[f].opcode);
            assert_int_equal(s.hdr[f].masked, masked);
            assert_int_equal(s.hdr[f].payload_len, lens[f]);
            if (masked)
                assert_memory_equal(s.hdr[f].mask_key, specs[f].mask_key, 4);
        }
        assert_int_equal(s.payload_len, pl_total);
        assert_memory_equal(s.payload, payload, pl_total);
    }
}

/* ------------------------------------------------------------ masking */

static void test_mask_phase(void **state)
{
    (void)state;
    const uint8_t key[4] = {0xA1, 0x02, 0xF3, 0x44};
    uint8_t orig[100], whole[100], naive[100];
    for (size_t i = 0; i < sizeof orig; i++)
        orig[i] = (uint8_t)(i * 7 + 3);
    for (size_t len = 0; len <= 100; len++)
        for (unsigned phase = 0; phase < 8; phase++) {
            memcpy(whole, orig, len);
            memcpy(naive, orig, len);
            uint8_t *g = th_guard_copy(orig, len);
            ws_mask(g, len, key, phase);
            for (size_t i = 0; i < len; i++)
                naive[i] ^= key[(phase + i) % 4];
            assert_memory_equal(g, naive, len);
            th_guard_free(g, len);
            /* in two chunks, the second starting at the right phase */
            size_t cut = len / 3;
            ws_mask(whole, cut, key, phase);
            ws_mask(whole + cut, len - cut, key, phase + cut);
            assert_memory_equal(whole, naive, len);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_examples_decode),
        cmocka_unit_test(test_rfc_examples_large),
        cmocka_unit_test(test_rfc_examples_encode),
        cmocka_unit_test(test_header_rules),
        cmocka_unit_test(test_header_rules_report_only),
        cmocka_unit_test(test_rules_allow_legal_frames),
        cmocka_unit_test(test_error_is_sticky),
        cmocka_unit_test(test_huge_declared_length),
        cmocka_unit_test(test_encoder_any_bit_pattern),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_mask_phase),
    };
    return cmocka_run_group_tests_name("frame", tests, NULL, NULL);
}

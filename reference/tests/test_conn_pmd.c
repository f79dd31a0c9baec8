/*
 * test_conn_pmd.c - permessage-deflate inside the endpoint state machine: negotiated
 * in the handshake by a client and a server connected in memory, every message of a
 * conversation compressed both ways, RSV1 where RFC 7692 forbids it, a deflate bomb
 * against the maximum message size, data that does not inflate, compressed invalid
 * UTF-8, a client failing a response it must fail, and what an idle connection holds.
 */
#include "th.h"

#include "ws_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ recording */

struct prec {
    int handshakes;
    enum ws_error hs_result;
    int messages;
    uint8_t last_op;
    uint8_t *last; /* the last message, malloc'ed */
    size_t last_len;
    bool echo;
    int sent_rsv1, sent_data;          /* data frames queued, and how many with RSV1 */
    enum ws_error violation;           /* the last on_violation */
    int violations, handshakes_before; /* how many; handshakes seen at the last one */
};

static void p_handshake(struct ws_conn *c, enum ws_error r, const char *raw, size_t len, void *u)
{
    (void)c, (void)raw, (void)len;
    struct prec *p = u;
    p->handshakes++;
    p->hs_result = r;
}

static void p_message(struct ws_conn *c, enum ws_opcode op, const uint8_t *d, size_t len, void *u)
{
    struct prec *p = u;
    p->messages++;
    p->last_op = (uint8_t)op;
    free(p->last);
    p->last = malloc(len ? len : 1);
    assert_non_null(p->last);
    if (len)
        memcpy(p->last, d, len);
    p->last_len = len;
    if (p->echo)
        assert_int_equal(ws_conn_send(c, op, d, len), WS_E_OK);
}

static void p_sent(struct ws_conn *c, const struct ws_frame_spec *s, const uint8_t *payload,
                   size_t len, void *u)
{
    (void)c, (void)payload, (void)len;
    struct prec *p = u;
    if (ws_opcode_is_control(s->opcode))
        return;
    p->sent_data++;
    p->sent_rsv1 += (s->rsv & WS_RSV1) != 0;
}

static void p_violation(struct ws_conn *c, enum ws_error e, uint64_t offset, bool rfc, void *u)
{
    (void)c, (void)offset;
    struct prec *p = u;
    assert_true(rfc);
    p->violation = e;
    p->violations++;
    p->handshakes_before = p->handshakes;
}

static const struct ws_conn_callbacks p_cb = {.on_handshake = p_handshake,
                                              .on_message = p_message,
                                              .on_frame_sent = p_sent,
                                              .on_violation = p_violation};

static struct th_rng rng = {11};

static void server_new(struct ws_conn *c, struct prec *p, uint64_t max_message,
                       const struct ws_pmd_server_prefs *prefs)
{
    memset(p, 0, sizeof *p);
    p->echo = true;
    struct ws_conn_config cfg = {
        .role = WS_ROLE_SERVER, .max_message = max_message, .cb = p_cb, .user = p};
    if (prefs)
        cfg.pmd = *prefs;
    assert_int_equal(ws_conn_init(c, &cfg), WS_E_OK);
}

static void client_new_with(struct ws_conn *c, struct prec *p, const char *offer, bool take_answer)
{
    memset(p, 0, sizeof *p);
    struct ws_conn_config cfg = {
        .role = WS_ROLE_CLIENT,
        .request = {.host = "127.0.0.1", .target = "/", .extensions = offer},
        .random = th_rng_bytes,
        .random_ud = &rng,
        .cb = p_cb,
        .user = p,
        .tester = {.pmd_take_answer = take_answer}};
    assert_int_equal(ws_conn_init(c, &cfg), WS_E_OK);
}

static void client_new(struct ws_conn *c, struct prec *p, const char *offer)
{
    client_new_with(c, p, offer, false);
}

static void prec_free(struct prec *p)
{
    free(p->last);
    p->last = NULL;
}

/* Move what `from` has pending into `to`, chunk bytes at a time (0 = all). */
static void pump(struct ws_conn *from, struct ws_conn *to, size_t chunk)
{
    const uint8_t *d;
    size_t n;
    while ((n = ws_conn_pending(from, &d)) > 0) {
        size_t take = chunk && chunk < n ? chunk : n;
        uint8_t *copy = th_guard_copy(d, take);
        ws_conn_sent(from, take);
        ws_conn_recv(to, copy, take);
        th_guard_free(copy, take);
    }
}

static void connect_pair(struct ws_conn *cl, struct prec *pc, struct ws_conn *sv, struct prec *ps,
                         const char *offer, uint64_t max_message,
                         const struct ws_pmd_server_prefs *prefs)
{
    server_new(sv, ps, max_message, prefs);
    client_new(cl, pc, offer);
    pump(cl, sv, 0);
    pump(sv, cl, 0);
    assert_int_equal(ws_conn_state(sv), WS_OPEN);
    assert_int_equal(ws_conn_state(cl), WS_OPEN);
}

/* Some compressible and some incompressible bytes. */
static void fill(uint8_t *b, size_t n, uint64_t seed, bool text)
{
    struct th_rng r = {seed};
    for (size_t i = 0; i < n; i++)
        b[i] = text ? (uint8_t)("the quick brown fox jumps over "[i % 31])
                    : (uint8_t)(i % 7 ? th_rng_next(&r) : 0);
}

/* ------------------------------------------------------------ conversations */

/* RFC 7692 both ways: the client's offer is accepted, every message goes out with
 * RSV1 on its one frame, comes back compressed, and inflates to what was sent - across
 * sizes from 0 to 1 MiB, with context takeover (message n may refer to message n-1),
 * and with the bytes arriving at odd chunk sizes. */
static void test_conversation(void **state)
{
    (void)state;
    static const char *const offers[] = {
        "permessage-deflate; client_max_window_bits",
        "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; server_max_window_bits=9; client_max_window_bits=8",
        "x-unknown, permessage-deflate; server_max_window_bits=8",
    };
    static const size_t sizes[] = {0, 1, 100, 4096, 70000, 1 << 20};
    uint8_t *msg = malloc(1 << 20);
    assert_non_null(msg);
    for (size_t o = 0; o < sizeof offers / sizeof offers[0]; o++) {
        struct ws_conn cl, sv;
        struct prec pc, ps;
        connect_pair(&cl, &pc, &sv, &ps, offers[o], 0, NULL);
        struct ws_pmd_params a, b;
        assert_true(ws_conn_pmd(&sv, &a));
        assert_true(ws_conn_pmd(&cl, &b));
        assert_memory_equal(&a, &b, sizeof a);
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            bool text = i % 2 == 0;
            fill(msg, sizes[i], i, text);
            assert_int_equal(ws_conn_send(&cl, text ? WS_OP_TEXT : WS_OP_BINARY, msg, sizes[i]),
                             WS_E_OK);
            pump(&cl, &sv, 1 + i * 997);
            pump(&sv, &cl, 3 + i * 1009);
            assert_int_equal(pc.messages, (int)i + 1);
            assert_int_equal(pc.last_op, text ? WS_OP_TEXT : WS_OP_BINARY);
            assert_int_equal(pc.last_len, sizes[i]);
            if (sizes[i])
                assert_memory_equal(pc.last, msg, sizes[i]);
        }
        /* every data frame either side queued carried RSV1 */
        assert_int_equal(pc.sent_rsv1, pc.sent_data);
        assert_int_equal(ps.sent_rsv1, ps.sent_data);
        assert_int_equal(ps.sent_data, (int)(sizeof sizes / sizeof sizes[0]));
        assert_int_equal(ws_conn_error(&sv, NULL), WS_E_OK);
        ws_conn_free(&cl);
        ws_conn_free(&sv);
        prec_free(&pc);
        prec_free(&ps);
    }
    free(msg);
}

/* A server told to decline answers without the extension; then RSV1 is what RFC 6455
 * 5.2 says it is without a negotiated extension: a reason to fail with 1002. */
static void test_declined(void **state)
{
    (void)state;
    struct ws_pmd_server_prefs off = {.disabled = true};
    struct ws_conn cl, sv;
    struct prec pc, ps;
    connect_pair(&cl, &pc, &sv, &ps, "permessage-deflate", 0, &off);
    assert_false(ws_conn_pmd(&sv, NULL));
    assert_false(ws_conn_pmd(&cl, NULL));
    assert_int_equal(ws_conn_send(&cl, WS_OP_TEXT, (const uint8_t *)"hi", 2), WS_E_OK);
    pump(&cl, &sv, 0);
    pump(&sv, &cl, 0);
    assert_int_equal(pc.last_len, 2); /* echoed, uncompressed */
    assert_int_equal(pc.sent_rsv1, 0);
    struct ws_frame_spec s = {.fin = true, .rsv = WS_RSV1, .opcode = WS_OP_TEXT, .masked = true};
    assert_int_equal(ws_conn_send_frame(&cl, &s, (const uint8_t *)"\x02\x00", 2), WS_E_OK);
    pump(&cl, &sv, 0);
    assert_int_equal(ws_conn_error(&sv, NULL), WS_E_RSV_NOT_NEGOTIATED);
    ws_conn_free(&cl);
    ws_conn_free(&sv);
    prec_free(&pc);
    prec_free(&ps);
}

/* A frame the client crafts, after negotiation, and the rule the server fails for. */
static enum ws_error server_verdict(const char *offer, uint64_t max_message,
                                    const struct ws_frame_spec *frames,
                                    const uint8_t *const *payloads, const size_t *lens, size_t n,
                                    uint16_t *close_code)
{
    struct ws_conn cl, sv;
    struct prec pc, ps;
    connect_pair(&cl, &pc, &sv, &ps, offer, max_message, NULL);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ws_conn_send_frame(&cl, &frames[i], payloads[i], lens[i]), WS_E_OK);
    pump(&cl, &sv, 7);
    struct ws_close_status st;
    ws_conn_close_status(&sv, &st);
    *close_code = st.sent_code;
    enum ws_error e = ws_conn_error(&sv, NULL);
    ws_conn_free(&cl);
    ws_conn_free(&sv);
    prec_free(&pc);
    prec_free(&ps);
    return e;
}

/* RFC 7692 6: RSV1 "of control frames and non-first fragments of a data message" is
 * wrong; the server fails with 1002. */
static void test_rsv1_where_forbidden(void **state)
{
    (void)state;
    uint16_t code;
    const struct ws_frame_spec ping = {
        .fin = true, .rsv = WS_RSV1, .opcode = WS_OP_PING, .masked = true};
    const uint8_t *pl[2] = {(const uint8_t *)"x", (const uint8_t *)"y"};
    size_t lens[2] = {1, 1};
    assert_int_equal(server_verdict("permessage-deflate", 0, &ping, pl, lens, 1, &code),
                     WS_E_PMD_RSV1_CONTROL);
    assert_int_equal(code, 1002);
    /* an uncompressed first fragment, then RSV1 on its continuation */
    const struct ws_frame_spec frag[2] = {
        {.fin = false, .opcode = WS_OP_BINARY, .masked = true},
        {.fin = true, .rsv = WS_RSV1, .opcode = WS_OP_CONT, .masked = true}};
    assert_int_equal(server_verdict("permessage-deflate", 0, frag, pl, lens, 2, &code),
                     WS_E_PMD_RSV1_CONTINUATION);
    assert_int_equal(code, 1002);
}

/* Compressed bytes the client made itself (deflater with the default window). */
static size_t compress(const uint8_t *in, size_t len, uint8_t **out)
{
    struct ws_deflater d;
    struct ws_deflate_config dc = {.no_context_takeover = true, .level = 9};
    assert_int_equal(ws_deflater_init(&d, &dc), WS_E_OK);
    size_t cap = ws_deflate_bound(&d, len), n = 0;
    *out = malloc(cap);
    assert_non_null(*out);
    assert_int_equal(ws_deflate_message(&d, in, len, *out, cap, &n), WS_E_OK);
    ws_deflater_free(&d);
    return n;
}

/* A message of 16 MiB of zeros compresses to about 16 KiB: against a 64 KiB maximum
 * the server fails with 1009 after inflating no more than that, and its memory stays
 * bounded by the maximum, not by what the bomb declares. */
static void test_bomb(void **state)
{
    (void)state;
    size_t big = 16u << 20;
    uint8_t *zeros = calloc(1, big), *z = NULL;
    assert_non_null(zeros);
    size_t zn = compress(zeros, big, &z);
    free(zeros);
    assert_true(zn < big / 500);
    struct ws_conn cl, sv;
    struct prec pc, ps;
    connect_pair(&cl, &pc, &sv, &ps, "permessage-deflate", 65536, NULL);
    struct ws_frame_spec s = {.fin = true, .rsv = WS_RSV1, .opcode = WS_OP_BINARY, .masked = true};
    assert_int_equal(ws_conn_send_frame(&cl, &s, z, zn), WS_E_OK);
    size_t peak = 0;
    const uint8_t *d;
    size_t n;
    while ((n = ws_conn_pending(&cl, &d)) > 0) {
        size_t take = n < 4096 ? n : 4096;
        uint8_t *copy = th_guard_copy(d, take);
        ws_conn_sent(&cl, take);
        ws_conn_recv(&sv, copy, take);
        th_guard_free(copy, take);
        size_t m = ws_conn_memory(&sv);
        peak = m > peak ? m : peak;
    }
    assert_int_equal(ws_conn_error(&sv, NULL), WS_E_MESSAGE_TOO_BIG);
    struct ws_close_status st;
    ws_conn_close_status(&sv, &st);
    assert_int_equal(st.sent_code, 1009);
    assert_int_equal(ps.messages, 0);
    /* the message buffer (<= 64 KiB, grown by doubling) and zlib's state, no more */
    assert_true(peak < 65536 * 2 + 256 * 1024);
    free(z);
    ws_conn_free(&cl);
    ws_conn_free(&sv);
    prec_free(&pc);
    prec_free(&ps);
}

/* Bytes that are no deflate stream (a reserved block type) fail with 1007
 * (WS_E_PMD_INFLATE); compressed text that is not UTF-8 fails with 1007 too. */
static void test_bad_data(void **state)
{
    (void)state;
    uint16_t code;
    const struct ws_frame_spec s = {
        .fin = true, .rsv = WS_RSV1, .opcode = WS_OP_BINARY, .masked = true};
    const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff};
    const uint8_t *pl[1] = {junk};
    size_t lens[1] = {sizeof junk};
    assert_int_equal(server_verdict("permessage-deflate", 0, &s, pl, lens, 1, &code),
                     WS_E_PMD_INFLATE);
    assert_int_equal(code, 1007);

    const uint8_t bad_utf8[] = "caf\xc3(";
    uint8_t *z = NULL;
    size_t zn = compress(bad_utf8, sizeof bad_utf8 - 1, &z);
    const struct ws_frame_spec t = {
        .fin = true, .rsv = WS_RSV1, .opcode = WS_OP_TEXT, .masked = true};
    const uint8_t *tp[1] = {z};
    size_t tl[1] = {zn};
    assert_int_equal(server_verdict("permessage-deflate", 0, &t, tp, tl, 1, &code),
                     WS_E_TEXT_INVALID_UTF8);
    assert_int_equal(code, 1007);
    free(z);
}

/* A compressed message in fragments (RSV1 on the first only), an uncompressed message
 * between compressed ones: each arrives whole and as sent. */
static void test_fragments_and_plain_between(void **state)
{
    (void)state;
    const uint8_t text[] = "fragmented and compressed, then plain, then compressed again";
    uint8_t *z = NULL;
    size_t zn = compress(text, sizeof text - 1, &z);
    assert_true(zn > 3);
    struct ws_conn cl, sv;
    struct prec pc, ps;
    connect_pair(&cl, &pc, &sv, &ps, "permessage-deflate; client_no_context_takeover", 0, NULL);
    ps.echo = false;
    struct ws_frame_spec f1 = {.fin = false, .rsv = WS_RSV1, .opcode = WS_OP_TEXT, .masked = true};
    struct ws_frame_spec f2 = {.fin = false, .opcode = WS_OP_CONT, .masked = true};
    struct ws_frame_spec f3 = {.fin = true, .opcode = WS_OP_CONT, .masked = true};
    assert_int_equal(ws_conn_send_frame(&cl, &f1, z, 1), WS_E_OK);
    assert_int_equal(ws_conn_send_frame(&cl, &f2, z + 1, 2), WS_E_OK);
    assert_int_equal(ws_conn_send_frame(&cl, &f3, z + 3, zn - 3), WS_E_OK);
    pump(&cl, &sv, 0);
    assert_int_equal(ps.messages, 1);
    assert_int_equal(ps.last_len, sizeof text - 1);
    assert_memory_equal(ps.last, text, sizeof text - 1);
    struct ws_frame_spec plain = {.fin = true, .opcode = WS_OP_BINARY, .masked = true};
    assert_int_equal(ws_conn_send_frame(&cl, &plain, z, zn), WS_E_OK); /* RSV1 clear: as is */
    pump(&cl, &sv, 0);
    assert_int_equal(ps.messages, 2);
    assert_int_equal(ps.last_len, zn);
    assert_memory_equal(ps.last, z, zn);
    struct ws_frame_spec again = {
        .fin = true, .rsv = WS_RSV1, .opcode = WS_OP_TEXT, .masked = true};
    assert_int_equal(ws_conn_send_frame(&cl, &again, z, zn), WS_E_OK);
    pump(&cl, &sv, 0);
    assert_int_equal(ps.messages, 3);
    assert_memory_equal(ps.last, text, sizeof text - 1);
    assert_int_equal(ws_conn_error(&sv, NULL), WS_E_OK);
    free(z);
    ws_conn_free(&cl);
    ws_conn_free(&sv);
    prec_free(&pc);
    prec_free(&ps);
}

/* 101s RFC 7692 makes a client fail, each with its rule, and one it accepts. With
 * tester.pmd_take_answer (Autobahn's client) the answers that are well formed but fit
 * no offer open the connection with the answer's parameters, the rule reported to
 * on_violation after on_handshake; the others fail as before. */
static void test_client_fails_bad_answer(void **state)
{
    (void)state;
    static const struct {
        const char *offer, *answer;
        enum ws_error want;
    } rows[] = {
        {"permessage-deflate", "permessage-deflate; client_max_window_bits=10",
         WS_E_PMD_CLIENT_BITS_NOT_OFFERED},
        {"permessage-deflate", "permessage-deflate, permessage-deflate", WS_E_PMD_RESPONSE_TWICE},
        {"permessage-deflate", "permessage-deflate; server_max_window_bits=16",
         WS_E_PMD_PARAM_VALUE},
        {"permessage-deflate", "permessage-deflate; foo", WS_E_PMD_PARAM_UNKNOWN},
        {"x-other", "permessage-deflate", WS_E_RESPONSE_EXTENSION}, /* RFC 6455 4.1 first */
        {"permessage-deflate; server_no_context_takeover", "permessage-deflate",
         WS_E_PMD_UNSUPPORTED},
        {"permessage-deflate; server_max_window_bits=10",
         "permessage-deflate; server_max_window_bits=12", WS_E_PMD_UNSUPPORTED},
        {"permessage-deflate", "permessage-deflate", WS_E_OK},
        /* the first element fits no offer and a second follows: never taken (both
         * would mean RSV1) */
        {"permessage-deflate; server_no_context_takeover",
         "permessage-deflate, permessage-deflate; server_no_context_takeover",
         WS_E_PMD_UNSUPPORTED},
    };
    for (size_t i = 0; i < 2 * sizeof rows / sizeof rows[0]; i++) {
        bool take = i >= sizeof rows / sizeof rows[0];
        size_t row = take ? i - sizeof rows / sizeof rows[0] : i;
        enum ws_error want = rows[row].want;
        bool taken = take && !strchr(rows[row].answer, ',') &&
                     (want == WS_E_PMD_UNSUPPORTED || want == WS_E_PMD_CLIENT_BITS_NOT_OFFERED);
        struct ws_conn cl;
        struct prec pc;
        client_new_with(&cl, &pc, rows[row].offer, take);
        /* the key of the request it queued */
        const uint8_t *d;
        size_t n = ws_conn_pending(&cl, &d);
        char req[2048];
        assert_true(n < sizeof req);
        memcpy(req, d, n);
        req[n] = '\0';
        ws_conn_sent(&cl, n);
        const char *k = strstr(req, "Sec-WebSocket-Key: ");
        assert_non_null(k);
        k += strlen("Sec-WebSocket-Key: ");
        struct ws_slice key = {k, 24}, proto = {0};
        char resp[1024];
        size_t rn;
        assert_int_equal(
            ws_handshake_build_response(key, proto, rows[row].answer, resp, sizeof resp, &rn),
            WS_E_OK);
        ws_conn_recv(&cl, (uint8_t *)resp, rn);
        if (taken) {
            assert_int_equal(pc.hs_result, WS_E_OK);
            assert_int_equal(ws_conn_state(&cl), WS_OPEN);
            assert_int_equal(pc.violations, 1);
            assert_int_equal(pc.violation, want);
            assert_int_equal(pc.handshakes_before, 1);
            struct ws_pmd_params agreed, answer;
            assert_true(ws_conn_pmd(&cl, &agreed));
            size_t nt = 0, at;
            struct ws_ext_offer el[2];
            const char *a = rows[row].answer;
            assert_int_equal(ws_ext_parse(a, strlen(a), el, 2, &nt, &at), WS_E_OK);
            assert_int_equal(ws_pmd_parse(&el[0], WS_PMD_RESPONSE, &answer, NULL), WS_E_OK);
            assert_memory_equal(&agreed, &answer, sizeof agreed);
        } else {
            assert_int_equal(pc.hs_result, want);
            assert_int_equal(ws_conn_state(&cl), want ? WS_CLOSED : WS_OPEN);
            assert_int_equal(ws_conn_pmd(&cl, NULL), want == WS_E_OK);
            assert_int_equal(pc.violations, 0);
        }
        ws_conn_free(&cl);
        prec_free(&pc);
    }
}

/* What an idle connection holds after a message each way: nothing of zlib's without
 * context takeover (both directions reset after each message), the windows with it. */
static void test_idle_memory(void **state)
{
    (void)state;
    static const struct {
        const char *offer;
        bool takeover;
    } rows[] = {
        {"permessage-deflate; client_no_context_takeover; server_no_context_takeover", false},
        {"permessage-deflate", true},
    };
    uint8_t msg[20000];
    fill(msg, sizeof msg, 3, true);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct ws_conn cl, sv;
        struct prec pc, ps;
        connect_pair(&cl, &pc, &sv, &ps, rows[i].offer, 0, NULL);
        assert_int_equal(ws_conn_send(&cl, WS_OP_TEXT, msg, sizeof msg), WS_E_OK);
        pump(&cl, &sv, 0);
        pump(&sv, &cl, 0);
        assert_int_equal(pc.last_len, sizeof msg);
        size_t m = ws_conn_memory(&sv);
        printf("# idle server after one echo, %s: %zu bytes\n", rows[i].offer, m);
        if (rows[i].takeover)
            assert_true(m > 32 * 1024); /* at least the 32 KiB inflate window */
        else
            assert_true(m <= 2 * 1024);
        ws_conn_free(&cl);
        ws_conn_free(&sv);
        prec_free(&pc);
        prec_free(&ps);
    }
}

/* A message compressed and then refused (output full) leaves no trace: with context
 * takeover the next message must not refer back to bytes the peer never received. The
 * server's output holds 1 KiB: the echo of 1100 random bytes does not fit, that of
 * their first 300 does - and inflates at the client to exactly those 300 (before the
 * fix it was a back-reference into the refused message: 1007 at the client). */
static void test_refused_message_not_in_context(void **state)
{
    (void)state;
    struct ws_conn cl, sv;
    struct prec pc, ps;
    connect_pair(&cl, &pc, &sv, &ps, "permessage-deflate", 0, NULL);
    assert_true(ws_conn_pmd(&sv, NULL) && ws_conn_pmd(&cl, NULL));
    sv.cfg.max_output = 1024; /* the limit as ws_conn_init keeps it, lowered once OPEN */
    uint8_t msg[1100];
    struct th_rng r = {5};
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)th_rng_next(&r);
    assert_int_equal(ws_conn_send(&sv, WS_OP_BINARY, msg, sizeof msg), WS_E_OUTPUT_FULL);
    assert_int_equal(ws_conn_send(&sv, WS_OP_BINARY, msg, 300), WS_E_OK);
    pump(&sv, &cl, 0);
    assert_int_equal(ws_conn_error(&cl, NULL), WS_E_OK);
    assert_int_equal(pc.messages, 1);
    assert_int_equal(pc.last_len, 300);
    assert_memory_equal(pc.last, msg, 300);
    ws_conn_free(&cl);
    ws_conn_free(&sv);
    prec_free(&pc);
    prec_free(&ps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conversation),
        cmocka_unit_test(test_declined),
        cmocka_unit_test(test_rsv1_where_forbidden),
        cmocka_unit_test(test_bomb),
        cmocka_unit_test(test_bad_data),
        cmocka_unit_test(test_fragments_and_plain_between),
        cmocka_unit_test(test_client_fails_bad_answer),
        cmocka_unit_test(test_idle_memory),
        cmocka_unit_test(test_refused_message_not_in_context),
    };
    return cmocka_run_group_tests_name("conn_pmd", tests, NULL, NULL);
}

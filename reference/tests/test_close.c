/*
 * test_close.c - unit tests for the Close frame payload (ws_close.c): which codes may
 * be on the wire (RFC 6455 sections 7.4.1 and 7.4.2), parsing a received payload
 * (section 5.5.1) and building one that fits a control frame (section 5.5).
 *
 * Every payload is parsed from a guard-page buffer and every payload is built into
 * one exactly WS_CLOSE_PAYLOAD_MAX bytes long, so a read or write one byte too far
 * faults at once.
 */
#include "th.h"

#include <string.h>

#include "ws_close.h"

/* ---------------------------------------------------------------------------------
 * Codes.
 */

/* The wire rules written as a partition of 0..65535, independently of ws_close.c. */
static const struct {
    uint32_t first, last;
    bool allowed;
} code_ranges[] = {
    {0, 999, false},      /* 7.4.2: not used */
    {1000, 1003, true},   /* 7.4.1: normal, going away, protocol error, unacceptable data */
    {1004, 1004, false},  /* 7.4.1: reserved */
    {1005, 1006, false},  /* 7.4.1: MUST NOT be set in a Close frame */
    {1007, 1011, true},   /* 7.4.1: invalid payload, policy, too big, extension, server error */
    {1012, 1014, true},   /* IANA registry (11.7): service restart, try again later, bad gateway */
    {1015, 1015, false},  /* 7.4.1: MUST NOT be set in a Close frame (TLS failure) */
    {1016, 2999, false},  /* 7.4.2: for this protocol's future revisions; none defined */
    {3000, 3999, true},   /* 7.4.2: libraries, frameworks, applications */
    {4000, 4999, true},   /* 7.4.2: private use */
    {5000, 65535, false}, /* 11.7: codes are between 1000 and 4999 */
};
#define N_CODE_RANGES (sizeof code_ranges / sizeof code_ranges[0])

static bool code_expected(uint32_t code)
{
    for (size_t i = 0; i < N_CODE_RANGES; i++)
        if (code >= code_ranges[i].first && code <= code_ranges[i].last)
            return code_ranges[i].allowed;
    fail_msg("code %u not covered by the table", (unsigned)code);
    return false;
}

static void test_code_table_is_a_partition(void **state)
{
    (void)state;
    assert_int_equal(code_ranges[0].first, 0);
    assert_int_equal(code_ranges[N_CODE_RANGES - 1].last, 65535);
    for (size_t i = 1; i < N_CODE_RANGES; i++)
        assert_int_equal(code_ranges[i].first, code_ranges[i - 1].last + 1);
}

static void test_code_valid_every_code(void **state)
{
    (void)state;
    size_t allowed = 0;
    for (uint32_t c = 0; c <= 65535; c++) {
        bool want = code_expected(c);
        if (ws_close_code_valid((uint16_t)c) != want)
            fail_msg("ws_close_code_valid(%u) should be %s", (unsigned)c, want ? "true" : "false");
        allowed += want;
    }
    assert_int_equal(allowed, 4 + 8 + 2000);
}

static void test_code_valid_named(void **state)
{
    (void)state;
    static const uint16_t yes[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010,
                                   1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999};
    static const uint16_t no[] = {0,    1,    999,  1004, 1005, 1006, 1015,
                                  1016, 1100, 2000, 2999, 5000, 65535};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_true(ws_close_code_valid(yes[i]));
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_false(ws_close_code_valid(no[i]));
}

/* Parsing each code as a 2-byte payload (no reason) at a guard page. */
static void test_parse_every_code(void **state)
{
    (void)state;
    uint8_t *g = th_guard_copy("\0\0", 2); /* rewritten in place for each code */
    for (uint32_t c = 0; c <= 65535; c++) {
        g[0] = (uint8_t)(c >> 8);
        g[1] = (uint8_t)c;
        uint16_t code = 1;
        const uint8_t *reason = NULL;
        size_t reason_len = 99, bad_at = 99;
        enum ws_error e = ws_close_parse(g, 2, &code, &reason, &reason_len, &bad_at);
        assert_int_equal(code, c); /* network byte order; reported even when invalid */
        if (code_expected(c)) {
            assert_int_equal(e, WS_E_OK);
            assert_ptr_equal(reason, g + 2);
            assert_int_equal(reason_len, 0);
        } else {
            assert_int_equal(e, WS_E_CLOSE_CODE_INVALID);
            assert_int_equal(bad_at, 0);
        }
    }
    th_guard_free(g, 2);
}

/* ---------------------------------------------------------------------------------
 * Parsing.
 */

static enum ws_error parse_hex(const char *hex, size_t *len, uint16_t *code, size_t *reason_at,
                               size_t *reason_len, size_t *bad_at)
{
    uint8_t buf[256];
    *len = th_hex(hex, buf, sizeof buf);
    uint8_t *g = th_guard_copy(buf, *len);
    const uint8_t *reason = NULL;
    enum ws_error e = ws_close_parse(g, *len, code, &reason, reason_len, bad_at);
    *reason_at = reason ? (size_t)(reason - g) : SIZE_MAX;
    th_guard_free(g, *len);
    return e;
}

static void test_parse_empty(void **state)
{
    (void)state;
    uint16_t code = 1234;
    size_t len, at, rlen = 99, bad = 99;
    assert_int_equal(parse_hex("", &len, &code, &at, &rlen, &bad), WS_E_OK);
    assert_int_equal(code, 0);
    assert_int_equal(rlen, 0);

    /* No buffer at all. */
    code = 1234;
    assert_int_equal(ws_close_parse(NULL, 0, &code, NULL, NULL, NULL), WS_E_OK);
    assert_int_equal(code, 0);
}

static void test_parse_one_byte(void **state)
{
    (void)state;
    for (unsigned b = 0; b < 256; b++) {
        uint8_t one = (uint8_t)b;
        uint8_t *g = th_guard_copy(&one, 1);
        size_t bad = 99;
        assert_int_equal(ws_close_parse(g, 1, NULL, NULL, NULL, &bad), WS_E_CLOSE_PAYLOAD_1_BYTE);
        assert_int_equal(bad, 0);
        th_guard_free(g, 1);
    }
}

struct parse_case {
    const char *hex;
    enum ws_error e;
    uint16_t code;
    size_t bad_at; /* errors only */
};

static const struct parse_case parse_cases[] = {
    /* Valid. */
    {"03 e8", WS_E_OK, 1000, 0},
    {"03 e8 62 79 65", WS_E_OK, 1000, 0},                            /* "bye" */
    {"03 e9 ce ba e1 bd b9 cf 83 ce bc ce b5", WS_E_OK, 1001, 0},    /* "κόσμε" */
    {"0f a0 f0 9f 98 80 f4 8f bf bf", WS_E_OK, 4000, 0},             /* 😀 U+10FFFF */
    {"0b b8 00 7f c2 80 df bf e0 a0 80 ef bf bf", WS_E_OK, 3000, 0}, /* length edges */
    /* Reason not UTF-8: bad_at is the index in the payload of the first bad byte. */
    {"03 e8 ff", WS_E_CLOSE_REASON_UTF8, 1000, 2},
    {"03 e8 80", WS_E_CLOSE_REASON_UTF8, 1000, 2},
    {"03 e8 41 42 c0 80", WS_E_CLOSE_REASON_UTF8, 1000, 4},
    {"03 e8 ce ba ed a0 80", WS_E_CLOSE_REASON_UTF8, 1000, 5}, /* surrogate: fails at a0 */
    {"03 e8 f4 90 80 80", WS_E_CLOSE_REASON_UTF8, 1000, 3},    /* above U+10FFFF: at 90 */
    {"03 e8 e0 80 80", WS_E_CLOSE_REASON_UTF8, 1000, 3},       /* overlong: at the 80 */
    {"03 e8 c3 41", WS_E_CLOSE_REASON_UTF8, 1000, 3},
    /* Reason ending inside a code point: bad_at is the length (the missing byte). */
    {"03 e8 ce", WS_E_CLOSE_REASON_UTF8, 1000, 3},
    {"03 e8 41 e2 82", WS_E_CLOSE_REASON_UTF8, 1000, 5},
    {"03 e8 f0 9f 98", WS_E_CLOSE_REASON_UTF8, 1000, 5},
    /* The code is judged before the reason. */
    {"03 ed ff", WS_E_CLOSE_CODE_INVALID, 1005, 0},
    {"00 00 62 79 65", WS_E_CLOSE_CODE_INVALID, 0, 0},
    {"03 ee", WS_E_CLOSE_CODE_INVALID, 1006, 0},
    {"03 f7", WS_E_CLOSE_CODE_INVALID, 1015, 0},
    {"13 88", WS_E_CLOSE_CODE_INVALID, 5000, 0},
    {"ff ff", WS_E_CLOSE_CODE_INVALID, 65535, 0},
};

static void test_parse_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const struct parse_case *c = &parse_cases[i];
        uint16_t code = 1;
        size_t len, at, rlen = 99, bad = 99;
        enum ws_error e = parse_hex(c->hex, &len, &code, &at, &rlen, &bad);
        if (e != c->e)
            fail_msg("case %zu (%s): got %s, want %s", i, c->hex, ws_error_name(e),
                     ws_error_name(c->e));
        assert_int_equal(code, c->code);
        if (e == WS_E_OK) {
            assert_int_equal(at, 2); /* the reason points into the payload */
            assert_int_equal(rlen, len - 2);
        } else {
            if (bad != c->bad_at)
                fail_msg("case %zu (%s): bad_at %zu, want %zu", i, c->hex, bad, c->bad_at);
            assert_int_equal(rlen, 0); /* a reason that fails is not handed out */
        }
    }
}

/* The reason's verdict is the validator's, at every truncation of a multi-byte text. */
static void test_parse_truncated_reason(void **state)
{
    (void)state;
    /* "é€😀" = c3 a9 | e2 82 ac | f0 9f 98 80: boundaries after 2, 5, 9 reason bytes. */
    static const uint8_t full[] = {0x0F, 0xA0, 0xC3, 0xA9, 0xE2, 0x82,
                                   0xAC, 0xF0, 0x9F, 0x98, 0x80};
    for (size_t len = 2; len <= sizeof full; len++) {
        size_t r = len - 2;
        bool whole = r == 0 || r == 2 || r == 5 || r == 9;
        uint8_t *g = th_guard_copy(full, len);
        uint16_t code = 0;
        size_t bad = 99;
        enum ws_error e = ws_close_parse(g, len, &code, NULL, NULL, &bad);
        assert_int_equal(code, 4000);
        if (whole) {
            assert_int_equal(e, WS_E_OK);
        } else {
            assert_int_equal(e, WS_E_CLOSE_REASON_UTF8);
            assert_int_equal(bad, len);
        }
        th_guard_free(g, len);
    }
}

static void test_parse_full_size(void **state)
{
    (void)state;
    /* 125 bytes: code and 41 three-byte code points ("…" U+2026). */
    uint8_t p[WS_CLOSE_PAYLOAD_MAX];
    p[0] = 0x03;
    p[1] = 0xE8;
    for (size_t i = 2; i < sizeof p; i += 3) {
        p[i] = 0xE2;
        p[i + 1] = 0x80;
        p[i + 2] = 0xA6;
    }
    uint8_t *g = th_guard_copy(p, sizeof p);
    const uint8_t *reason = NULL;
    size_t rlen = 0;
    assert_int_equal(ws_close_parse(g, sizeof p, NULL, &reason, &rlen, NULL), WS_E_OK);
    assert_ptr_equal(reason, g + 2);
    assert_int_equal(rlen, 123);
    /* Break the last byte: the error is at index 124. */
    g[124] = 0x41;
    size_t bad = 0;
    assert_int_equal(ws_close_parse(g, sizeof p, NULL, NULL, NULL, &bad), WS_E_CLOSE_REASON_UTF8);
    assert_int_equal(bad, 124);
    th_guard_free(g, sizeof p);
}

/* ---------------------------------------------------------------------------------
 * Building.
 */

/* Build into a guard-page buffer of exactly WS_CLOSE_PAYLOAD_MAX bytes, with the reason
 * itself at a guard page; copy the result out. */
static size_t build_guarded(uint16_t code, const uint8_t *reason, size_t reason_len,
                            uint8_t out[WS_CLOSE_PAYLOAD_MAX])
{
    uint8_t fill[WS_CLOSE_PAYLOAD_MAX];
    memset(fill, 0xEE, sizeof fill);
    uint8_t *o = th_guard_copy(fill, sizeof fill);
    uint8_t *r = th_guard_copy(reason, reason_len);
    size_t n = ws_close_build(code, (const char *)r, reason_len, o);
    assert_true(n <= WS_CLOSE_PAYLOAD_MAX);
    memcpy(out, o, sizeof fill);
    th_guard_free(r, reason_len);
    th_guard_free(o, sizeof fill);
    return n;
}

static void test_build_no_code(void **state)
{
    (void)state;
    uint8_t out[WS_CLOSE_PAYLOAD_MAX];
    assert_int_equal(build_guarded(0, (const uint8_t *)"ignored", 7, out), 0);
    for (size_t i = 0; i < sizeof out; i++)
        assert_int_equal(out[i], 0xEE); /* nothing written */
}

static void test_build_code_only_and_short(void **state)
{
    (void)state;
    uint8_t out[WS_CLOSE_PAYLOAD_MAX];
    assert_int_equal(build_guarded(1000, NULL, 0, out), 2);
    assert_memory_equal(out, "\x03\xe8", 2);
    assert_int_equal(out[2], 0xEE);
    /* No validation: the peer builds forbidden codes on purpose. */
    assert_int_equal(build_guarded(1005, (const uint8_t *)"x", 1, out), 3);
    assert_memory_equal(out,
                        "\x03\xed"
                        "x",
                        3);
    assert_int_equal(build_guarded(0xABCD, (const uint8_t *)"bye", 3, out), 5);
    assert_memory_equal(out,
                        "\xab\xcd"
                        "bye",
                        5);
    assert_int_equal(ws_close_build(4999, NULL, 0, out), 2);
    assert_memory_equal(out, "\x13\x87", 2);
}

static void test_build_ascii_lengths(void **state)
{
    (void)state;
    uint8_t reason[300], out[WS_CLOSE_PAYLOAD_MAX];
    for (size_t i = 0; i < sizeof reason; i++)
        reason[i] = (uint8_t)('a' + i % 26);
    for (size_t len = 0; len <= sizeof reason; len++) {
        size_t want = len < 123 ? len : 123;
        assert_int_equal(build_guarded(1001, reason, len, out), 2 + want);
        assert_memory_equal(out + 2, reason, want);
    }
}

/* Reasons of k ASCII bytes then w-byte code points, for every alignment of a code
 * point against the 123-byte limit: the result is the longest prefix that ends on a
 * code point boundary, and it parses back. */
static void test_build_cut_never_splits(void **state)
{
    (void)state;
    static const uint8_t chars[3][4] = {
        {0xC3, 0xA9},             /* é */
        {0xE2, 0x82, 0xAC},       /* € */
        {0xF0, 0x9F, 0x98, 0x80}, /* 😀 */
    };
    uint8_t reason[200], out[WS_CLOSE_PAYLOAD_MAX];
    for (size_t w = 2; w <= 4; w++)
        for (size_t k = 0; k < 2 * w; k++)
            for (size_t len = 118; len <= 140; len++) {
                /* Build the reason and remember where code points start. */
                size_t n = 0, best = 0;
                memset(reason, 'x', k);
                n = k;
                while (n + w <= len) {
                    memcpy(reason + n, chars[w - 2], w);
                    n += w;
                }
                /* Longest whole-code-point prefix within 123 bytes. */
                for (size_t b = 0; b <= n; b++) {
                    bool boundary = b <= k || (b - k) % w == 0;
                    if (boundary && b <= 123)
                        best = b;
                }
                size_t got = build_guarded(3000, reason, n, out);
                if (got != 2 + best)
                    fail_msg("w=%zu k=%zu len=%zu: built %zu, want %zu", w, k, n, got, 2 + best);
                assert_memory_equal(out + 2, reason, best);
                uint16_t code = 0;
                const uint8_t *r = NULL;
                size_t rlen = 0;
                uint8_t *g = th_guard_copy(out, got);
                assert_int_equal(ws_close_parse(g, got, &code, &r, &rlen, NULL), WS_E_OK);
                assert_int_equal(code, 3000);
                assert_int_equal(rlen, best);
                th_guard_free(g, got);
            }
}

static void test_build_not_utf8(void **state)
{
    (void)state;
    /* A run of continuation bytes is no UTF-8 to protect: cut at the limit. */
    uint8_t reason[200], out[WS_CLOSE_PAYLOAD_MAX];
    memset(reason, 0x80, sizeof reason);
    reason[0] = 'A';
    assert_int_equal(build_guarded(1000, reason, sizeof reason, out), WS_CLOSE_PAYLOAD_MAX);
    assert_memory_equal(out + 2, reason, 123);
    /* Four continuation bytes before the limit: still no code point to keep whole, so
     * the ASCII byte before them is not where the cut goes. */
    memset(reason, 'a', 120);
    assert_int_equal(build_guarded(1000, reason, sizeof reason, out), WS_CLOSE_PAYLOAD_MAX);
    /* Bytes that are not UTF-8 but fit are copied as they are (the peer's bad reasons). */
    assert_int_equal(build_guarded(1000, (const uint8_t *)"\xff\xc0", 2, out), 4);
    assert_memory_equal(out + 2, "\xff\xc0", 2);
}

static void test_build_parse_round_trip(void **state)
{
    (void)state;
    struct th_rng rng = {0xC105E};
    uint8_t reason[123], out[WS_CLOSE_PAYLOAD_MAX];
    for (size_t k = 0; k < 2000; k++) {
        uint16_t code;
        do
            code = (uint16_t)th_rng_next(&rng);
        while (!code_expected(code));
        size_t len = th_rng_next(&rng) % (sizeof reason + 1);
        for (size_t i = 0; i < len; i++)
            reason[i] = (uint8_t)(0x20 + th_rng_next(&rng) % 95);
        size_t n = ws_close_build(code, (const char *)reason, len, out);
        assert_int_equal(n, 2 + len);
        uint8_t *g = th_guard_copy(out, n);
        uint16_t got = 0;
        const uint8_t *r = NULL;
        size_t rlen = 0;
        assert_int_equal(ws_close_parse(g, n, &got, &r, &rlen, NULL), WS_E_OK);
        assert_int_equal(got, code);
        assert_int_equal(rlen, len);
        assert_memory_equal(r, reason, len);
        th_guard_free(g, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_table_is_a_partition),
        cmocka_unit_test(test_code_valid_every_code),
        cmocka_unit_test(test_code_valid_named),
        cmocka_unit_test(test_parse_every_code),
        cmocka_unit_test(test_parse_empty),
        cmocka_unit_test(test_parse_one_byte),
        cmocka_unit_test(test_parse_cases),
        cmocka_unit_test(test_parse_truncated_reason),
        cmocka_unit_test(test_parse_full_size),
        cmocka_unit_test(test_build_no_code),
        cmocka_unit_test(test_build_code_only_and_short),
        cmocka_unit_test(test_build_ascii_lengths),
        cmocka_unit_test(test_build_cut_never_splits),
        cmocka_unit_test(test_build_not_utf8),
        cmocka_unit_test(test_build_parse_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

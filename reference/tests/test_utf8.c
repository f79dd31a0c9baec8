/*
 * test_utf8.c - unit tests for the incremental UTF-8 validator (ws_utf8.c).
 *
 * The validator is judged against a reference written here the slow and obvious way:
 * decode one code point at a time from the bit patterns of RFC 3629 section 3, and
 * after each octet ask whether any scalar value of the announced length (not overlong,
 * not a surrogate, not above U+10FFFF) still starts with the bits seen so far. The
 * first octet after which none does is the failing offset the validator must report.
 * The two are compared on every 1-, 2- and 3-octet input, on boundary and random
 * 4-octet inputs and on random strings, whole and in pieces; hand-written cases pin
 * the reference itself down, and guard pages catch any read past the input.
 */
#include "th.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_utf8.h"

/* ---------------------------------------------------------------------------------
 * The reference validator.
 */

enum ref_verdict { REF_VALID, REF_INVALID, REF_UNFINISHED };

struct ref_result {
    enum ref_verdict verdict;
    size_t at; /* REF_INVALID: offset of the failing octet; otherwise the length */
};

/* Scalar values each sequence length may encode (RFC 3629 section 3: the shortest
 * form only, nothing above U+10FFFF), indexed by the number of octets. */
static const uint32_t ref_min[5] = {0, 0x0, 0x80, 0x800, 0x10000};
static const uint32_t ref_max[5] = {0, 0x7F, 0x7FF, 0xFFFF, 0x10FFFF};
/* Bits of the code point carried by the lead octet, by sequence length. */
static const uint8_t ref_lead_bits[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};

/* Sequence length announced by a lead octet's high bits (0xxxxxxx, 110xxxxx,
 * 1110xxxx, 11110xxx); 0 for a pattern that starts nothing (10xxxxxx, 11111xxx). */
static int ref_seq_len(uint8_t b)
{
    if ((b & 0x80) == 0x00)
        return 1;
    if ((b & 0xE0) == 0xC0)
        return 2;
    if ((b & 0xF0) == 0xE0)
        return 3;
    if ((b & 0xF8) == 0xF0)
        return 4;
    return 0;
}

/* The first seen octets of a len-octet sequence gave the bits top; the rest fill the
 * low 6 * (len - seen) bits freely. Is some allowed scalar value among the results? */
static bool ref_viable(uint32_t top, int len, int seen)
{
    unsigned free_bits = 6u * (unsigned)(len - seen);
    uint32_t lo = top << free_bits, hi = lo | ((1u << free_bits) - 1);
    if (lo < ref_min[len])
        lo = ref_min[len];
    if (hi > ref_max[len])
        hi = ref_max[len];
    if (lo > hi)
        return false;
    /* Surrogates are code points but not scalar values: nothing UTF-8 may encode. */
    if (lo >= 0xD800 && hi <= 0xDFFF)
        return false;
    return true;
}

static struct ref_result ref_check(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        int len = ref_seq_len(s[i]);
        if (len == 0)
            return (struct ref_result){REF_INVALID, i};
        uint32_t cp = s[i] & ref_lead_bits[len];
        for (int seen = 1; seen <= len; seen++) {
            size_t at = i + (size_t)seen - 1;
            if (seen > 1) {
                if (at >= n)
                    return (struct ref_result){REF_UNFINISHED, n};
                if ((s[at] & 0xC0) != 0x80)
                    return (struct ref_result){REF_INVALID, at};
                cp = cp << 6 | (s[at] & 0x3Fu);
            }
            if (!ref_viable(cp, len, seen))
                return (struct ref_result){REF_INVALID, at};
        }
        i += (size_t)len;
    }
    return (struct ref_result){REF_VALID, n};
}

/* Encode a scalar value (the caller picks only allowed ones). Returns the length. */
static size_t ref_encode(uint32_t cp, uint8_t *out)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | cp >> 6);
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | cp >> 12);
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | cp >> 18);
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---------------------------------------------------------------------------------
 * Comparing the validator with an expectation.
 */

static void print_hex(const char *what, const uint8_t *s, size_t n)
{
    char line[3 * 64 + 8];
    size_t k = 0;
    for (size_t i = 0; i < n && i < 64; i++)
        k += (size_t)snprintf(line + k, sizeof line - k, "%02x ", s[i]);
    if (n > 64)
        snprintf(line + k, sizeof line - k, "...");
    print_error("%s (%zu octets): %s\n", what, n, line);
}

/* Feed s[0..n) in pieces ending at cuts[0..ncuts) and n; return what the stream said:
 * the verdict and, for REF_INVALID, the stream offset of the failing octet. Checks on
 * the way that v->offset and *bad agree with each other. */
static bool run_pieces(const uint8_t *s, size_t n, const size_t *cuts, size_t ncuts,
                       struct ref_result *got)
{
    struct ws_utf8 v;
    size_t start = 0;
    ws_utf8_init(&v);
    for (size_t k = 0; k <= ncuts; k++) {
        size_t end = k < ncuts ? cuts[k] : n, bad = SIZE_MAX;
        enum ws_error e = ws_utf8_feed(&v, s + start, end - start, &bad);
        if (e != WS_E_OK) {
            if (e != WS_E_TEXT_INVALID_UTF8 || bad >= end - start || v.offset != start + bad ||
                !v.failed || ws_utf8_finish(&v) != WS_E_TEXT_INVALID_UTF8)
                return false;
            *got = (struct ref_result){REF_INVALID, start + bad};
            return true;
        }
        if (v.offset != end || v.failed)
            return false;
        start = end;
    }
    enum ws_error fin = ws_utf8_finish(&v);
    if (v.offset != n)
        return false;
    *got = (struct ref_result){fin == WS_E_OK ? REF_VALID : REF_UNFINISHED, n};
    return fin == WS_E_OK || (fin == WS_E_TEXT_INVALID_UTF8 && v.failed);
}

static bool same(struct ref_result a, struct ref_result b)
{
    return a.verdict == b.verdict && a.at == b.at;
}

static const char *verdict_name(enum ref_verdict r)
{
    return r == REF_VALID ? "valid" : r == REF_INVALID ? "invalid" : "unfinished";
}

/* Cheap check for inputs of at most 4 octets (the exhaustive and sampled loops):
 * whole, and one octet per call, against the reference; ws_utf8_valid too. Returns
 * false on any disagreement. */
static bool agrees(const uint8_t *s, size_t n)
{
    static const size_t every[3] = {1, 2, 3};
    struct ref_result want = ref_check(s, n), whole, bytes;
    if (!run_pieces(s, n, NULL, 0, &whole) || !same(whole, want))
        return false;
    if (n > 1 && (!run_pieces(s, n, every, n - 1, &bytes) || !same(bytes, want)))
        return false;
    return ws_utf8_valid(s, n) == (want.verdict == REF_VALID);
}

static void fail_disagreement(const uint8_t *s, size_t n)
{
    struct ref_result want = ref_check(s, n), got = {REF_VALID, 0};
    bool sane = run_pieces(s, n, NULL, 0, &got);
    print_hex("validator and reference disagree on", s, n);
    print_error("reference: %s at %zu; validator: %s at %zu%s\n", verdict_name(want.verdict),
                want.at, verdict_name(got.verdict), got.at,
                sane ? "" : " (offset/bad/sticky bookkeeping broken)");
    fail();
}

/* ---------------------------------------------------------------------------------
 * (a) the reference against the validator on every short input and on sampled ones.
 */

static void test_exhaustive_1_and_2_octets(void **state)
{
    (void)state;
    uint8_t s[2];
    size_t count[3] = {0};
    for (unsigned a = 0; a < 256; a++) {
        s[0] = (uint8_t)a;
        if (!agrees(s, 1))
            fail_disagreement(s, 1);
        for (unsigned b = 0; b < 256; b++) {
            s[1] = (uint8_t)b;
            if (!agrees(s, 2))
                fail_disagreement(s, 2);
            count[ref_check(s, 2).verdict]++;
        }
    }
    /* The reference must not be trivially permissive or strict; the counts come from
     * the table in RFC 3629 section 4, not from the reference. Valid: ASCII ASCII,
     * C2-DF and a continuation. Unfinished: ASCII then any of the 51 leads C2-F4, or a
     * lead of three or four octets with an allowed second octet (E0 32, E1-EC 12x64,
     * ED 32, EE-EF 2x64, F0 48, F1-F3 3x64, F4 16). */
    size_t valid = 128 * 128 + 30 * 64;
    size_t unfinished = 128 * 51 + 32 + 12 * 64 + 32 + 2 * 64 + 48 + 3 * 64 + 16;
    assert_int_equal(count[REF_VALID], valid);
    assert_int_equal(count[REF_UNFINISHED], unfinished);
    assert_int_equal(count[REF_INVALID], 65536 - valid - unfinished);
}

static void test_exhaustive_3_octets(void **state)
{
    (void)state;
    uint8_t s[3];
    size_t valid = 0;
    for (uint32_t x = 0; x < (1u << 24); x++) {
        s[0] = (uint8_t)(x >> 16);
        s[1] = (uint8_t)(x >> 8);
        s[2] = (uint8_t)x;
        if (!agrees(s, 3))
            fail_disagreement(s, 3);
        valid += ref_check(s, 3).verdict == REF_VALID;
    }
    /* Count of valid 3-octet strings, from the table rather than the reference: the
     * splits 1+1+1, 1+2, 2+1 and one 3-octet code point (U+0800-FFFF is 63488 values,
     * less 2048 surrogates). */
    size_t ascii = 128, two = 30 * 64;
    assert_int_equal(valid, ascii * ascii * ascii + 2 * ascii * two + 63488 - 2048);
}

/* Octets on the edges of the ranges in RFC 3629 section 4. */
static const uint8_t edge_octets[] = {0x00, 0x41, 0x7F, 0x80, 0x81, 0x8F, 0x90, 0x9F, 0xA0,
                                      0xA1, 0xBF, 0xC0, 0xC1, 0xC2, 0xC3, 0xDF, 0xE0, 0xE1,
                                      0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5,
                                      0xF7, 0xF8, 0xFB, 0xFC, 0xFE, 0xFF};
#define N_EDGE (sizeof edge_octets / sizeof edge_octets[0])

static void test_4_octets_edges_exhaustive(void **state)
{
    (void)state;
    uint8_t s[4];
    size_t valid = 0;
    for (size_t a = 0; a < N_EDGE; a++)
        for (size_t b = 0; b < N_EDGE; b++)
            for (size_t c = 0; c < N_EDGE; c++)
                for (size_t d = 0; d < N_EDGE; d++) {
                    s[0] = edge_octets[a];
                    s[1] = edge_octets[b];
                    s[2] = edge_octets[c];
                    s[3] = edge_octets[d];
                    if (!agrees(s, 4))
                        fail_disagreement(s, 4);
                    valid += ref_check(s, 4).verdict == REF_VALID;
                }
    assert_true(valid > 1000); /* the set reaches the deep states, not only errors */
}

static void test_4_octets_sampled(void **state)
{
    (void)state;
    struct th_rng rng = {0x5EED0004};
    uint8_t s[4];
    size_t valid = 0, deep = 0;
    for (size_t k = 0; k < 3000000; k++) {
        uint64_t r = th_rng_next(&rng);
        if (k & 1) {
            /* Uniform: mostly early failures. */
            memcpy(s, &r, 4);
        } else {
            /* A lead C0-FF and continuation-range octets most of the time, so the
             * third and fourth octets get judged too. */
            s[0] = (uint8_t)(0xC0 | (r & 0x3F));
            for (int j = 1; j < 4; j++) {
                uint8_t x = (uint8_t)(r >> (8 * j));
                s[j] = (r >> (40 + j)) & 7 ? (uint8_t)(0x80 | (x & 0x3F)) : x;
            }
        }
        if (!agrees(s, 4))
            fail_disagreement(s, 4);
        struct ref_result want = ref_check(s, 4);
        valid += want.verdict == REF_VALID;
        deep += want.verdict == REF_INVALID && want.at >= 2;
    }
    assert_true(valid > 10000);
    assert_true(deep > 10000);
}

/* Scalar values near the edges of each length and of the surrogate gap. */
static const uint32_t edge_cps[] = {0x00,    0x7F,    0x80,    0x7FF,    0x800,   0xFFF,
                                    0x1000,  0xD7FF,  0xE000,  0xFFFD,   0xFFFF,  0x10000,
                                    0x3FFFF, 0x40000, 0xFFFFF, 0x100000, 0x10FFFF};

static uint32_t random_scalar(struct th_rng *rng)
{
    uint64_t r = th_rng_next(rng);
    uint32_t cp;
    switch (r & 7) {
    case 0:
        return edge_cps[(r >> 8) % (sizeof edge_cps / sizeof edge_cps[0])];
    case 1:
    case 2:
        return (uint32_t)(r >> 8) % 0x80;
    case 3:
        return 0x80 + (uint32_t)(r >> 8) % (0x800 - 0x80);
    case 4:
    case 5:
        cp = 0x800 + (uint32_t)(r >> 8) % (0x10000 - 0x800 - 0x800);
        return cp >= 0xD800 ? cp + 0x800 : cp; /* step over the surrogates */
    default:
        return 0x10000 + (uint32_t)(r >> 8) % (0x110000 - 0x10000);
    }
}

/* Up to cap octets: valid code points, ASCII runs long enough for the word loop,
 * and now and then a random octet (which may or may not break the string). */
static size_t random_text(struct th_rng *rng, uint8_t *out, size_t cap, unsigned noise)
{
    size_t n = 0, want = th_rng_next(rng) % cap;
    while (n + 4 <= want) {
        uint64_t r = th_rng_next(rng);
        if (noise && r % noise == 0) {
            out[n++] = (uint8_t)(r >> 8);
        } else if ((r >> 8) % 8 == 0) {
            size_t run = (r >> 16) % 80;
            for (size_t i = 0; i < run && n < want; i++)
                out[n++] = (uint8_t)(0x20 + (r >> 24) % 95);
        } else {
            n += ref_encode(random_scalar(rng), out + n);
        }
    }
    return n;
}

static void test_random_strings(void **state)
{
    (void)state;
    struct th_rng rng = {0x5EED0005};
    uint8_t buf[400];
    size_t verdicts[3] = {0};
    for (size_t k = 0; k < 60000; k++) {
        static const unsigned noise[3] = {0, 200, 20};
        size_t n = random_text(&rng, buf, sizeof buf, noise[k % 3]);
        if (k % 5 == 0 && n) {
            /* Cut the string short: an unfinished code point at the end, often. */
            n -= th_rng_next(&rng) % (n < 3 ? n : 3);
        }
        struct ref_result want = ref_check(buf, n), got;
        verdicts[want.verdict]++;
        if (!run_pieces(buf, n, NULL, 0, &got) || !same(got, want))
            fail_disagreement(buf, n);
        /* And in 1-6 random pieces. */
        size_t cuts[5], ncuts = th_rng_next(&rng) % 6;
        for (size_t j = 0; j < ncuts; j++)
            cuts[j] = n ? th_rng_next(&rng) % (n + 1) : 0;
        for (size_t j = 1; j < ncuts; j++) /* insertion sort: pieces in order */
            for (size_t m = j; m > 0 && cuts[m - 1] > cuts[m]; m--) {
                size_t t = cuts[m];
                cuts[m] = cuts[m - 1];
                cuts[m - 1] = t;
            }
        if (!run_pieces(buf, n, cuts, ncuts, &got) || !same(got, want))
            fail_disagreement(buf, n);
        /* Now and then against a guard page, so an over-read faults. */
        if (k % 50 == 0) {
            uint8_t *g = th_guard_copy(buf, n);
            assert_true(run_pieces(g, n, NULL, 0, &got));
            assert_true(same(got, want));
            th_guard_free(g, n);
        }
    }
    /* All three outcomes were exercised in quantity. */
    assert_true(verdicts[REF_VALID] > 20000);
    assert_true(verdicts[REF_INVALID] > 5000);
    assert_true(verdicts[REF_UNFINISHED] > 1000);
}

/* ---------------------------------------------------------------------------------
 * (b) hand-written cases: they pin down the reference as much as the validator.
 */

struct text_case {
    const char *hex;
    enum ref_verdict verdict;
    size_t at; /* REF_INVALID only */
};

static const struct text_case text_cases[] = {
    {"", REF_VALID, 0},
    {"41", REF_VALID, 0},
    {"00 7f", REF_VALID, 0},
    /* Fail fast: the second octet already rules every code point out. */
    {"f4 90", REF_INVALID, 1},
    {"f4 90 80 80", REF_INVALID, 1},
    {"ed a0", REF_INVALID, 1},
    {"ed a0 80", REF_INVALID, 1},
    {"ed bf bf", REF_INVALID, 1},
    {"e0 80", REF_INVALID, 1},
    {"e0 9f bf", REF_INVALID, 1},
    {"f0 80", REF_INVALID, 1},
    {"f0 8f bf bf", REF_INVALID, 1},
    /* Octets that start nothing fail at once. */
    {"c0", REF_INVALID, 0},
    {"c0 80", REF_INVALID, 0},
    {"c1 bf", REF_INVALID, 0},
    {"f5", REF_INVALID, 0},
    {"f7 bf bf bf", REF_INVALID, 0},
    {"f8", REF_INVALID, 0},
    {"fc", REF_INVALID, 0},
    {"fe", REF_INVALID, 0},
    {"ff", REF_INVALID, 0},
    {"80", REF_INVALID, 0},
    {"bf", REF_INVALID, 0},
    {"41 80", REF_INVALID, 1},
    {"c2 80 80", REF_INVALID, 2},
    /* A non-continuation where a continuation is due. */
    {"c2 41", REF_INVALID, 1},
    {"e1 80 41", REF_INVALID, 2},
    {"f1 80 80 41", REF_INVALID, 3},
    {"f1 80 80 c2 80", REF_INVALID, 3},
    /* The edges that are allowed. */
    {"c2 80", REF_VALID, 0},
    {"df bf", REF_VALID, 0},
    {"e0 a0 80", REF_VALID, 0},
    {"ed 9f bf", REF_VALID, 0},
    {"ee 80 80", REF_VALID, 0},
    {"ef bf bf", REF_VALID, 0}, /* U+FFFF: a noncharacter, still a scalar value */
    {"f0 90 80 80", REF_VALID, 0},
    {"f4 8f bf bf", REF_VALID, 0},
    /* Unfinished at the end. */
    {"c2", REF_UNFINISHED, 0},
    {"e0 a0", REF_UNFINISHED, 0},
    {"ed 9f", REF_UNFINISHED, 0},
    {"f0 90 80", REF_UNFINISHED, 0},
    {"f4 8f", REF_UNFINISHED, 0},
    {"41 42 f3", REF_UNFINISHED, 0},
    /* "κόσμε" then a surrogate lead pair: fails at the A0, offset 12. */
    {"ce ba e1 bd b9 cf 83 ce bc ce b5", REF_VALID, 0},
    {"ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64", REF_INVALID, 12},
    /* Long enough for the 32-octet loop, with the trouble after it. */
    {"41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 "
     "41 41 41 41 41 41 f4 90 80 80",
     REF_INVALID, 37},
    {"41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 "
     "41 41 41 41 41 41 41 41 41 e2 82 ac 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41",
     REF_VALID, 0},
    {"e2 82 ac 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 "
     "41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 f0 9f "
     "98",
     REF_UNFINISHED, 0},
};
#define N_TEXT_CASES (sizeof text_cases / sizeof text_cases[0])

static struct ref_result case_expect(const struct text_case *c, size_t n)
{
    return (struct ref_result){c->verdict, c->verdict == REF_INVALID ? c->at : n};
}

static void test_cases_reference(void **state)
{
    (void)state;
    uint8_t s[128];
    for (size_t i = 0; i < N_TEXT_CASES; i++) {
        size_t n = th_hex(text_cases[i].hex, s, sizeof s);
        struct ref_result want = case_expect(&text_cases[i], n), got = ref_check(s, n);
        if (!same(got, want)) {
            print_error("case %zu: reference says %s at %zu\n", i, verdict_name(got.verdict),
                        got.at);
            fail();
        }
    }
}

static void test_cases_validator(void **state)
{
    (void)state;
    uint8_t s[128];
    for (size_t i = 0; i < N_TEXT_CASES; i++) {
        size_t n = th_hex(text_cases[i].hex, s, sizeof s);
        struct ref_result want = case_expect(&text_cases[i], n), got;
        uint8_t *g = th_guard_copy(s, n);
        assert_true(run_pieces(g, n, NULL, 0, &got));
        if (!same(got, want)) {
            print_error("case %zu: validator says %s at %zu\n", i, verdict_name(got.verdict),
                        got.at);
            fail();
        }
        assert_int_equal(ws_utf8_valid(g, n), want.verdict == REF_VALID);
        th_guard_free(g, n);
    }
}

/* ---------------------------------------------------------------------------------
 * (c) every split point, each piece in its own guard-page buffer (th_each_split).
 */

struct split_ctx {
    struct ws_utf8 v;
    size_t fed;
    struct ref_result got;
    bool stopped;
    struct ref_result want;
    size_t checked;
};

static void split_begin(void *p)
{
    struct split_ctx *c = p;
    memset(&c->v, 0xA5, sizeof c->v); /* init must not depend on the old contents */
    ws_utf8_init(&c->v);
    c->fed = 0;
    c->stopped = false;
}

static int split_feed(void *p, uint8_t *piece, size_t len)
{
    struct split_ctx *c = p;
    size_t bad = SIZE_MAX;
    enum ws_error e = ws_utf8_feed(&c->v, piece, len, &bad);
    if (e != WS_E_OK) {
        assert_int_equal(e, WS_E_TEXT_INVALID_UTF8);
        assert_true(bad < len);
        assert_int_equal(c->v.offset, c->fed + bad);
        c->got = (struct ref_result){REF_INVALID, c->fed + bad};
        c->stopped = true;
        return 1;
    }
    c->fed += len;
    assert_int_equal(c->v.offset, c->fed);
    return 0;
}

static void split_done(void *p)
{
    struct split_ctx *c = p;
    if (!c->stopped) {
        enum ws_error fin = ws_utf8_finish(&c->v);
        c->got = (struct ref_result){fin == WS_E_OK ? REF_VALID : REF_UNFINISHED, c->fed};
    }
    assert_int_equal(c->got.verdict, c->want.verdict);
    assert_int_equal(c->got.at, c->want.at);
    c->checked++;
}

static void split_all(const uint8_t *s, size_t n, struct ref_result want)
{
    struct split_ctx c = {.want = want};
    struct th_split_driver d = {split_begin, split_feed, split_done, &c};
    size_t runs = th_each_split(s, n, &d);
    assert_int_equal(c.checked, runs);
    assert_int_equal(runs, n > 1 ? n + 3 : n + 2);
}

static void test_every_split_cases(void **state)
{
    (void)state;
    uint8_t s[128];
    for (size_t i = 0; i < N_TEXT_CASES; i++) {
        size_t n = th_hex(text_cases[i].hex, s, sizeof s);
        split_all(s, n, case_expect(&text_cases[i], n));
    }
}

static void test_every_split_random(void **state)
{
    (void)state;
    struct th_rng rng = {0x5EED000C};
    uint8_t s[120];
    for (size_t k = 0; k < 300; k++) {
        size_t n = random_text(&rng, s, sizeof s, k % 2 ? 60 : 0);
        split_all(s, n, ref_check(s, n));
    }
}

/* ---------------------------------------------------------------------------------
 * (d) finish.
 */

static void test_finish(void **state)
{
    (void)state;
    static const char *const unfinished[] = {"c2",       "df",       "e0 a0", "e1",
                                             "ed 80",    "ef bf",    "f0",    "f0 90",
                                             "f0 90 80", "f4 8f bf", "41 c3", "e2 82 ac e2"};
    uint8_t s[16];
    for (size_t i = 0; i < sizeof unfinished / sizeof unfinished[0]; i++) {
        size_t n = th_hex(unfinished[i], s, sizeof s);
        uint8_t *g = th_guard_copy(s, n);
        struct ws_utf8 v = {0};
        assert_int_equal(ws_utf8_feed(&v, g, n, NULL), WS_E_OK);
        assert_int_equal(ws_utf8_finish(&v), WS_E_TEXT_INVALID_UTF8);
        assert_int_equal(v.offset, n); /* the failing position is the end */
        assert_true(v.failed);
        /* Sticky after finish too: even a valid continuation is refused now. */
        size_t bad = 7;
        uint8_t cont = 0x80;
        assert_int_equal(ws_utf8_feed(&v, &cont, 1, &bad), WS_E_TEXT_INVALID_UTF8);
        assert_int_equal(ws_utf8_finish(&v), WS_E_TEXT_INVALID_UTF8);
        assert_int_equal(v.offset, n);
        assert_false(ws_utf8_valid(g, n));
        th_guard_free(g, n);
    }

    /* A four-octet code point delivered one octet per call, finished after each. */
    static const uint8_t grin[4] = {0xF0, 0x9F, 0x98, 0x80};
    for (size_t stop = 0; stop <= 4; stop++) {
        struct ws_utf8 v;
        ws_utf8_init(&v);
        for (size_t i = 0; i < stop; i++)
            assert_int_equal(ws_utf8_feed(&v, grin + i, 1, NULL), WS_E_OK);
        assert_int_equal(ws_utf8_finish(&v),
                         stop == 0 || stop == 4 ? WS_E_OK : WS_E_TEXT_INVALID_UTF8);
        assert_int_equal(v.offset, stop);
    }

    /* Finishing a fresh or complete stream is fine, and can be repeated. */
    struct ws_utf8 v = {0};
    assert_int_equal(ws_utf8_finish(&v), WS_E_OK);
    assert_int_equal(ws_utf8_feed(&v, (const uint8_t *)"ok \xc3\xa9", 5, NULL), WS_E_OK);
    assert_int_equal(ws_utf8_finish(&v), WS_E_OK);
    assert_int_equal(ws_utf8_finish(&v), WS_E_OK);
    assert_int_equal(v.offset, 5);
}

/* ---------------------------------------------------------------------------------
 * (e) the ASCII fast path: word and block edges, inputs that end at a guard page.
 */

#define FAST_MAX 140 /* two 64-octet blocks, four 32-octet ones, then words and a tail */

static void ascii_fill(uint8_t *s, size_t n, size_t seed)
{
    for (size_t i = 0; i < n; i++)
        s[i] = (uint8_t)((i * 37 + seed * 11) % 128); /* includes 00 and 7F */
}

/* One buffer at a guard page, validated whole; compare with the expectation. */
static void expect_whole(const uint8_t *s, size_t n, struct ref_result want)
{
    uint8_t *g = th_guard_copy(s, n);
    struct ref_result got;
    assert_true(run_pieces(g, n, NULL, 0, &got));
    if (!same(got, want)) {
        print_hex("fast path", s, n);
        print_error("want %s at %zu, got %s at %zu\n", verdict_name(want.verdict), want.at,
                    verdict_name(got.verdict), got.at);
        fail();
    }
    th_guard_free(g, n);
}

static void test_ascii_lengths(void **state)
{
    (void)state;
    uint8_t s[FAST_MAX] = {0};
    for (size_t n = 0; n <= FAST_MAX; n++) {
        ascii_fill(s, n, n);
        expect_whole(s, n, (struct ref_result){REF_VALID, n});
    }
}

static void test_ascii_bad_octet_each_position(void **state)
{
    (void)state;
    static const uint8_t breakers[] = {0x80, 0xBF, 0xC0, 0xC1, 0xF5, 0xFF};
    uint8_t s[FAST_MAX] = {0};
    for (size_t n = 1; n <= FAST_MAX; n++)
        for (size_t p = 0; p < n; p++)
            for (size_t b = 0; b < sizeof breakers; b++) {
                ascii_fill(s, n, p);
                s[p] = breakers[b];
                expect_whole(s, n, (struct ref_result){REF_INVALID, p});
            }
}

static void test_ascii_multibyte_each_position(void **state)
{
    (void)state;
    uint8_t s[FAST_MAX] = {0};
    for (size_t n = 1; n <= FAST_MAX; n++)
        for (size_t p = 0; p < n; p++) {
            /* A lead with the ASCII that follows it: fails at p + 1, or is unfinished. */
            ascii_fill(s, n, p);
            s[p] = 0xC3;
            expect_whole(s, n,
                         p + 1 < n ? (struct ref_result){REF_INVALID, p + 1}
                                   : (struct ref_result){REF_UNFINISHED, n});
            /* A complete three-octet code point at p, then ASCII again. */
            if (p + 3 <= n) {
                ascii_fill(s, n, p);
                s[p] = 0xE2;
                s[p + 1] = 0x82;
                s[p + 2] = 0xAC;
                expect_whole(s, n, (struct ref_result){REF_VALID, n});
                /* ... with its last octet broken. */
                s[p + 2] = 0x41;
                expect_whole(s, n, (struct ref_result){REF_INVALID, p + 2});
            }
        }
}

static void test_ascii_long_runs(void **state)
{
    (void)state;
    /* 1 MiB of ASCII (the benchmark's shape), broken at sampled places. */
    size_t n = (size_t)1 << 20;
    uint8_t *s = malloc(n);
    assert_non_null(s);
    ascii_fill(s, n, 3);
    assert_true(ws_utf8_valid(s, n));
    struct th_rng rng = {0x5EED000E};
    for (size_t k = 0; k < 64; k++) {
        size_t p = k < 8 ? (k < 4 ? k : n - 8 + k) : th_rng_next(&rng) % n;
        uint8_t keep = s[p];
        s[p] = 0xFF;
        struct ws_utf8 v = {0};
        size_t bad = 0;
        assert_int_equal(ws_utf8_feed(&v, s, n, &bad), WS_E_TEXT_INVALID_UTF8);
        assert_int_equal(bad, p);
        assert_int_equal(v.offset, p);
        s[p] = keep;
    }
    /* The whole MiB against a guard page. */
    uint8_t *g = th_guard_copy(s, n);
    assert_true(ws_utf8_valid(g, n));
    th_guard_free(g, n);
    free(s);
}

/* ---------------------------------------------------------------------------------
 * (f) stickiness, offsets over several calls, the zero-filled state.
 */

static void test_sticky(void **state)
{
    (void)state;
    struct ws_utf8 v = {0};
    size_t bad = 99;
    assert_int_equal(ws_utf8_feed(&v, (const uint8_t *)"abc", 3, &bad), WS_E_OK);
    assert_int_equal(ws_utf8_feed(&v,
                                  (const uint8_t *)"de\xff"
                                                   "f",
                                  4, &bad),
                     WS_E_TEXT_INVALID_UTF8);
    assert_int_equal(bad, 2);
    assert_int_equal(v.offset, 5);
    assert_true(v.failed);

    /* Valid input does not clear the error, nor move the offset. */
    bad = 99;
    assert_int_equal(ws_utf8_feed(&v, (const uint8_t *)"ok", 2, &bad), WS_E_TEXT_INVALID_UTF8);
    assert_int_equal(bad, 0);
    assert_int_equal(v.offset, 5);
    assert_int_equal(ws_utf8_finish(&v), WS_E_TEXT_INVALID_UTF8);

    /* "Do not look at their input": a pointer at a guard page with a long length
     * would fault if read. */
    uint8_t *g = th_guard_copy(NULL, 0);
    assert_int_equal(ws_utf8_feed(&v, g, 4096, NULL), WS_E_TEXT_INVALID_UTF8);
    assert_int_equal(v.offset, 5);
    th_guard_free(g, 0);

    /* init starts over. */
    ws_utf8_init(&v);
    assert_false(v.failed);
    assert_int_equal(v.offset, 0);
    assert_int_equal(ws_utf8_feed(&v, (const uint8_t *)"ok", 2, NULL), WS_E_OK);
    assert_int_equal(ws_utf8_finish(&v), WS_E_OK);
}

static void test_offsets_over_calls(void **state)
{
    (void)state;
    /* "a€" split inside the euro sign, then an error in the third call. */
    struct ws_utf8 v;
    memset(&v, 0, sizeof v); /* zero fill is the initial state */
    size_t bad = 99;
    assert_int_equal(ws_utf8_feed(&v, (const uint8_t *)"a\xe2", 2, &bad), WS_E_OK);
    assert_int_equal(v.offset, 2);
    assert_int_not_equal(v.state, 0); /* mid code point */
    assert_int_equal(ws_utf8_feed(&v, (const uint8_t *)"\x82", 1, &bad), WS_E_OK);
    assert_int_equal(ws_utf8_feed(&v, NULL, 0, &bad), WS_E_OK); /* empty call: no change */
    assert_int_equal(v.offset, 3);
    assert_int_equal(ws_utf8_feed(&v, (const uint8_t *)"\xac xyz\xc0", 6, &bad),
                     WS_E_TEXT_INVALID_UTF8);
    assert_int_equal(bad, 5);
    assert_int_equal(v.offset, 8);

    /* The surrogate lead split from its bad second octet still fails at that octet. */
    ws_utf8_init(&v);
    assert_int_equal(ws_utf8_feed(&v, (const uint8_t *)"\xed", 1, &bad), WS_E_OK);
    assert_int_equal(ws_utf8_feed(&v, (const uint8_t *)"\xa0\x80", 2, &bad),
                     WS_E_TEXT_INVALID_UTF8);
    assert_int_equal(bad, 0);
    assert_int_equal(v.offset, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases_reference),
        cmocka_unit_test(test_cases_validator),
        cmocka_unit_test(test_exhaustive_1_and_2_octets),
        cmocka_unit_test(test_exhaustive_3_octets),
        cmocka_unit_test(test_4_octets_edges_exhaustive),
        cmocka_unit_test(test_4_octets_sampled),
        cmocka_unit_test(test_random_strings),
        cmocka_unit_test(test_every_split_cases),
        cmocka_unit_test(test_every_split_random),
        cmocka_unit_test(test_finish),
        cmocka_unit_test(test_ascii_lengths),
        cmocka_unit_test(test_ascii_bad_octet_each_position),
        cmocka_unit_test(test_ascii_multibyte_each_position),
        cmocka_unit_test(test_ascii_long_runs),
        cmocka_unit_test(test_sticky),
        cmocka_unit_test(test_offsets_over_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

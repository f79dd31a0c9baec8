/*
 * test_deflate.c - permessage-deflate's compression (ws_deflate.c, RFC 7692 section 7.2).
 *
 * The RFC's own examples (7.2.3.1-7.2.3.6) inflated at every split point; round trips
 * over every window size, both context-takeover modes, two levels and sizes up to
 * 1 MiB; the deflater's bound against incompressible data; the 256-byte window checked
 * by plain zlib; BFINAL blocks inside a message and across messages; corrupt and
 * truncated data; deflate bombs against max_message with the memory held counted;
 * and every allocation failing in turn.
 */
#include "th.h"

#include "ws_deflate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

/* ------------------------------------------------------------ helpers */

/* A sink that keeps what it is given (up to cap; more fails the test). */
struct collect {
    uint8_t *buf;
    size_t len, cap;
    size_t calls, max_chunk;
    uint64_t total; /* bytes seen, kept or not (cap 0: count only) */
    enum ws_error fail_with;
};

static enum ws_error collect_sink(void *ud, const uint8_t *data, size_t len)
{
    struct collect *c = ud;
    c->calls++;
    if (len > c->max_chunk)
        c->max_chunk = len;
    assert_true(len > 0);
    c->total += len;
    if (c->cap) {
        assert_true(len <= c->cap - c->len);
        memcpy(c->buf + c->len, data, len);
        c->len += len;
    }
    return c->fail_with;
}

static void collect_reset(struct collect *c)
{
    c->len = 0;
    c->calls = 0;
    c->max_chunk = 0;
    c->total = 0;
}

static struct ws_inflater inflater(uint8_t bits, bool nct, uint64_t max)
{
    struct ws_inflater f;
    struct ws_inflate_config cfg = {
        .window_bits = bits, .no_context_takeover = nct, .max_message = max};
    assert_int_equal(ws_inflater_init(&f, &cfg), WS_E_OK);
    return f;
}

static struct ws_deflater deflater(uint8_t bits, bool nct, int level)
{
    struct ws_deflater d;
    struct ws_deflate_config cfg = {
        .window_bits = bits, .no_context_takeover = nct, .level = level};
    assert_int_equal(ws_deflater_init(&d, &cfg), WS_E_OK);
    return d;
}

/* Inflate one whole payload; returns the first error of feed or finish. */
static enum ws_error inflate_msg(struct ws_inflater *f, const uint8_t *p, size_t n,
                                 struct collect *c)
{
    enum ws_error e = ws_inflate_feed(f, p, n, collect_sink, c);
    return e != WS_E_OK ? e : ws_inflate_finish(f, collect_sink, c);
}

/* Compress one message into a malloc'ed buffer of exactly ws_deflate_bound bytes. */
static uint8_t *deflate_msg(struct ws_deflater *d, const uint8_t *in, size_t len, size_t *out_len)
{
    size_t cap = ws_deflate_bound(d, len);
    uint8_t *out = malloc(cap);
    assert_non_null(out);
    assert_int_equal(ws_deflate_message(d, in, len, out, cap, out_len), WS_E_OK);
    assert_true(*out_len > 0 && *out_len < cap);
    return out;
}

/* Raw deflate with plain zlib (for streams ws_deflate would not write: BFINAL blocks,
 * other levels and flushes). Appends to out[*n..cap). */
static void zdeflate(z_stream *zs, const void *in, size_t len, int flush, uint8_t *out, size_t cap,
                     size_t *n)
{
    zs->next_in = (Bytef *)(uintptr_t)in;
    zs->avail_in = (uInt)len;
    do {
        zs->next_out = out + *n;
        zs->avail_out = (uInt)(cap - *n);
        int r = deflate(zs, flush);
        assert_true(r == Z_OK || r == Z_STREAM_END || r == Z_BUF_ERROR);
        *n = cap - zs->avail_out;
        assert_true(*n < cap);
    } while (zs->avail_in > 0 || zs->avail_out == 0);
}

static void zdeflate_init(z_stream *zs, int level, int bits, int strategy)
{
    memset(zs, 0, sizeof *zs);
    assert_int_equal(deflateInit2(zs, level, Z_DEFLATED, -bits, 8, strategy), Z_OK);
}

static void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
    struct th_rng r = {seed};
    th_rng_bytes(&r, p, n);
}

/* Text-like data: words from a small vocabulary, repeats at every distance. */
static void fill_text(uint8_t *p, size_t n, uint64_t seed)
{
    static const char *words[] = {"permessage", "deflate",   "window", "context", "takeover",
                                  "the",        "of",        "a",      "frame",   "message",
                                  "RFC 7692",   "\xc3\xa4u", "\n",     "{\"k\":", "12345"};
    struct th_rng r = {seed};
    size_t i = 0;
    while (i < n) {
        const char *w = words[th_rng_next(&r) % (sizeof words / sizeof words[0])];
        for (size_t k = 0; w[k] && i < n; k++)
            p[i++] = (uint8_t)w[k];
        if (i < n)
            p[i++] = ' ';
    }
}

/* ------------------------------------------------------------ configuration */

static void test_init_arguments(void **state)
{
    (void)state;
    struct ws_deflater d;
    struct ws_deflate_config dc = {0};
    assert_int_equal(ws_deflater_init(&d, &dc), WS_E_OK);
    assert_int_equal(d.cfg.window_bits, 15);
    assert_int_equal(d.cfg.level, WS_DEFLATE_DEFAULT_LEVEL);
    assert_int_equal(d.cfg.mem_level, 8);
    assert_int_equal(ws_deflater_memory(&d), 0); /* allocates nothing */
    ws_deflater_free(&d);
    static const struct ws_deflate_config bad[] = {
        {.window_bits = 7}, {.window_bits = 16}, {.level = 10},
        {.level = -1},      {.mem_level = 10},   {.mem_level = -3},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(ws_deflater_init(&d, &bad[i]), WS_E_INVALID_ARGUMENT);
        ws_deflater_free(&d); /* safe after a failed init */
    }

    struct ws_inflater f;
    struct ws_inflate_config ic = {.max_message = 1};
    assert_int_equal(ws_inflater_init(&f, &ic), WS_E_OK);
    assert_int_equal(f.cfg.window_bits, 15);
    assert_int_equal(ws_inflater_memory(&f), 0);
    ws_inflater_free(&f);
    ic.max_message = 0; /* required */
    assert_int_equal(ws_inflater_init(&f, &ic), WS_E_INVALID_ARGUMENT);
    ic.max_message = 1;
    ic.window_bits = 16;
    assert_int_equal(ws_inflater_init(&f, &ic), WS_E_INVALID_ARGUMENT);
    ic.window_bits = 7;
    assert_int_equal(ws_inflater_init(&f, &ic), WS_E_INVALID_ARGUMENT);
    ws_inflater_free(&f);
}

/* ------------------------------------------------------------ the RFC's examples */

struct split_ctx {
    struct ws_inflater f;
    bool nct;
    const uint8_t *prefix; /* an earlier message inflated first (context takeover) */
    size_t prefix_len;
    const char *want;
    enum ws_error want_err;
    bool want_ended;
    struct collect c;
    uint8_t buf[256];
    enum ws_error e;
};

static void split_begin(void *vctx)
{
    struct split_ctx *x = vctx;
    x->f = inflater(15, x->nct, 1000);
    x->c = (struct collect){.buf = x->buf, .cap = sizeof x->buf};
    if (x->prefix) {
        assert_int_equal(inflate_msg(&x->f, x->prefix, x->prefix_len, &x->c), WS_E_OK);
        collect_reset(&x->c);
    }
    x->e = WS_E_OK;
}

static int split_feed(void *vctx, uint8_t *piece, size_t len)
{
    struct split_ctx *x = vctx;
    x->e = ws_inflate_feed(&x->f, piece, len, collect_sink, &x->c);
    return x->e != WS_E_OK;
}

static void split_done(void *vctx)
{
    struct split_ctx *x = vctx;
    if (x->e == WS_E_OK)
        x->e = ws_inflate_finish(&x->f, collect_sink, &x->c);
    if (x->e != x->want_err)
        fail_msg("got %s, want %s", ws_error_name(x->e), ws_error_name(x->want_err));
    if (x->e == WS_E_OK) {
        assert_int_equal(x->c.len, strlen(x->want));
        assert_memory_equal(x->buf, x->want, x->c.len);
        assert_int_equal(x->f.produced, x->c.len);
        assert_int_equal(x->f.ended, x->want_ended);
        assert_int_equal(ws_inflater_memory(&x->f) == 0, x->nct);
    }
    ws_inflater_free(&x->f);
}

/* Inflate hex at every split point (and byte by byte), both takeover modes. */
static void check_splits(const char *hex, const char *want, bool ended, enum ws_error err)
{
    static uint8_t in[512];
    size_t n = th_hex(hex, in, sizeof in);
    for (int nct = 0; nct < 2; nct++) {
        struct split_ctx x = {.nct = nct, .want = want, .want_err = err, .want_ended = ended};
        struct th_split_driver drv = {split_begin, split_feed, split_done, &x};
        assert_true(th_each_split(in, n, &drv) >= n + 1);
    }
}

static void test_rfc_examples(void **state)
{
    (void)state;
    /* 7.2.3.1: "Hello" in one compressed DEFLATE block */
    check_splits("f2 48 cd c9 c9 07 00", "Hello", false, WS_E_OK);
    /* 7.2.3.3: a DEFLATE block with no compression */
    check_splits("00 05 00 fa ff 48 65 6c 6c 6f 00", "Hello", false, WS_E_OK);
    /* 7.2.3.4: a block with BFINAL set, then the 0x00 holding the header bits of the
     * empty stored block the tail completes */
    check_splits("f3 48 cd c9 c9 07 00 00", "Hello", true, WS_E_OK);
    /* 7.2.3.5: two DEFLATE blocks in one message */
    check_splits("f2 48 05 00 00 00 ff ff ca c9 c9 07 00", "Hello", false, WS_E_OK);
    /* 7.2.3.6: an empty fragment (here, a whole empty message) */
    check_splits("00", "", false, WS_E_OK);
}

static void test_rfc_sliding_window(void **state)
{
    (void)state;
    /* 7.2.3.2: the second "Hello" refers to the first one's window */
    static const uint8_t first[] = {0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
    struct split_ctx x = {.prefix = first, .prefix_len = sizeof first, .want = "Hello"};
    static uint8_t second[8];
    size_t n = th_hex("f2 00 11 00 00", second, sizeof second);
    struct th_split_driver drv = {split_begin, split_feed, split_done, &x};
    th_each_split(second, n, &drv);
    /* Without context takeover the window is empty: the distance points before the
     * start of the output. */
    x.nct = true;
    x.want_err = WS_E_PMD_INFLATE;
    th_each_split(second, n, &drv);
}

static void test_deflate_matches_rfc(void **state)
{
    (void)state;
    /* zlib at level 1 writes exactly the RFC's bytes for "Hello", and with context
     * takeover the second "Hello" as a match of the first (7.2.3.1, 7.2.3.2). */
    struct ws_deflater d = deflater(15, false, 1);
    uint8_t out[64], want[16];
    size_t n = 0;
    assert_int_equal(ws_deflate_message(&d, (const uint8_t *)"Hello", 5, out, sizeof out, &n),
                     WS_E_OK);
    assert_int_equal(n, th_hex("f2 48 cd c9 c9 07 00", want, sizeof want));
    assert_memory_equal(out, want, n);
    assert_int_equal(ws_deflate_message(&d, (const uint8_t *)"Hello", 5, out, sizeof out, &n),
                     WS_E_OK);
    assert_int_equal(n, th_hex("f2 00 11 00 00", want, sizeof want));
    assert_memory_equal(out, want, n);
    assert_true(ws_deflater_memory(&d) > 0);
    ws_deflater_free(&d);
    assert_int_equal(ws_deflater_memory(&d), 0);
    /* Without takeover both messages stand alone, and nothing is held in between. */
    d = deflater(15, true, 1);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(ws_deflate_message(&d, (const uint8_t *)"Hello", 5, out, sizeof out, &n),
                         WS_E_OK);
        assert_int_equal(n, th_hex("f2 48 cd c9 c9 07 00", want, sizeof want));
        assert_memory_equal(out, want, n);
        assert_int_equal(ws_deflater_memory(&d), 0);
    }
    ws_deflater_free(&d);
}

/* ------------------------------------------------------------ empty messages */

static void test_empty_message(void **state)
{
    (void)state;
    uint8_t out[64];
    for (int nct = 0; nct < 2; nct++) {
        struct ws_deflater d = deflater(15, nct, 1);
        struct ws_inflater f = inflater(15, nct, 100);
        struct collect c = {0};
        size_t n = 0;
        /* first message empty, then "ab", then empty twice: with takeover zlib writes
         * nothing for an empty message after a flush, and the deflater writes the 0x00
         * of 7.2.3.6 itself */
        static const char *msgs[] = {"", "ab", "", ""};
        for (size_t i = 0; i < 4; i++) {
            size_t len = strlen(msgs[i]);
            assert_int_equal(ws_deflate_message(&d, (const uint8_t *)msgs[i], len, out,
                                                ws_deflate_bound(&d, len), &n),
                             WS_E_OK);
            if (len == 0) {
                assert_int_equal(n, 1);
                assert_int_equal(out[0], 0x00);
            }
            collect_reset(&c);
            assert_int_equal(inflate_msg(&f, out, n, &c), WS_E_OK);
            assert_int_equal(c.total, len);
            assert_int_equal(c.calls, len ? 1 : 0);
        }
        ws_deflater_free(&d);
        ws_inflater_free(&f);
    }
    /* An empty payload is not a DEFLATE block: with the tail it is a stored block whose
     * NLEN is cut short. */
    struct ws_inflater f = inflater(15, false, 100);
    struct collect c = {0};
    assert_int_equal(ws_inflate_finish(&f, collect_sink, &c), WS_E_PMD_INFLATE);
    assert_int_equal(ws_inflate_finish(&f, collect_sink, &c), WS_E_PMD_INFLATE); /* sticks */
    ws_inflate_abort(&f);
    assert_int_equal(ws_inflater_memory(&f), 0);
    assert_int_equal(inflate_msg(&f, (const uint8_t *)"", 0, &c), WS_E_PMD_INFLATE);
    ws_inflater_free(&f);
}

/* ------------------------------------------------------------ round trips */

enum data_kind { DATA_RANDOM, DATA_TEXT, DATA_ZEROS, DATA_KINDS };

static void fill(enum data_kind k, uint8_t *p, size_t n, uint64_t seed)
{
    if (k == DATA_RANDOM)
        fill_random(p, n, seed);
    else if (k == DATA_TEXT)
        fill_text(p, n, seed);
    else
        memset(p, 0, n);
}

/* One configuration: every size as consecutive messages on one deflater/inflater pair,
 * each of the three kinds of data. */
static void roundtrip_config(uint8_t bits, bool nct, int level, const size_t *sizes, size_t nsizes,
                             uint8_t *plain, uint8_t *back)
{
    struct ws_deflater d = deflater(bits, nct, level);
    struct ws_inflater f = inflater(bits, nct, (uint64_t)1 << 20);
    for (int k = 0; k < DATA_KINDS; k++) {
        for (size_t i = 0; i < nsizes; i++) {
            size_t len = sizes[i], n = 0;
            fill((enum data_kind)k, plain, len, bits * 1000u + i);
            uint8_t *z = deflate_msg(&d, plain, len, &n);
            assert_int_equal(ws_deflater_memory(&d) == 0, nct);
            struct collect c = {.buf = back, .cap = (size_t)1 << 20};
            enum ws_error e = inflate_msg(&f, z, n, &c);
            if (e != WS_E_OK || c.len != len || (len && memcmp(plain, back, len) != 0))
                fail_msg("window %u nct %d level %d kind %d size %zu: %s, %zu bytes back", bits,
                         nct, level, k, len, ws_error_name(e), c.len);
            assert_true(c.max_chunk <= WS_INFLATE_CHUNK);
            assert_int_equal(f.produced, len);
            assert_int_equal(ws_inflater_memory(&f) == 0, nct);
            free(z);
        }
    }
    ws_deflater_free(&d);
    ws_inflater_free(&f);
}

static void test_roundtrip_matrix(void **state)
{
    (void)state;
    static const size_t small[] = {0,    1,     2,     3,     100,   255,   256,   257,   1000,
                                   4096, 16383, 16384, 16385, 40000, 65535, 65536, 70001, 0};
    static const size_t large[] = {(size_t)1 << 20, 300000};
    uint8_t *plain = malloc((size_t)1 << 20), *back = malloc((size_t)1 << 20);
    assert_non_null(plain);
    assert_non_null(back);
    for (uint8_t bits = 8; bits <= 15; bits++)
        for (int nct = 0; nct < 2; nct++) {
            roundtrip_config(bits, nct, 1, small, sizeof small / sizeof small[0], plain, back);
            roundtrip_config(bits, nct, 6, small, sizeof small / sizeof small[0], plain, back);
        }
    /* 1 MiB messages: the smallest and largest window, both levels, both modes */
    static const uint8_t big_bits[] = {8, 15};
    for (size_t b = 0; b < 2; b++)
        for (int nct = 0; nct < 2; nct++)
            for (int level = 1; level <= 6; level += 5)
                roundtrip_config(big_bits[b], nct, level, large, 2, plain, back);
    free(plain);
    free(back);
}

/* ------------------------------------------------------------ the bound */

static void bound_config(uint8_t bits, int level, int mem_level, bool nct, const uint8_t *rnd,
                         const size_t *sizes, size_t nsizes, uint8_t *out)
{
    struct ws_deflater d;
    struct ws_deflate_config cfg = {
        .window_bits = bits, .no_context_takeover = nct, .level = level, .mem_level = mem_level};
    assert_int_equal(ws_deflater_init(&d, &cfg), WS_E_OK);
    for (size_t i = 0; i < nsizes; i++) {
        size_t len = sizes[i], cap = ws_deflate_bound(&d, len), n = 0;
        /* the buffer is exactly the bound: a bound too small fails here */
        enum ws_error e = ws_deflate_message(&d, rnd + i, len, out, cap, &n);
        if (e != WS_E_OK)
            fail_msg("window %u level %d memLevel %d nct %d size %zu: %s (bound %zu)", bits, level,
                     mem_level, nct, len, ws_error_name(e), cap);
        assert_true(n + 4 < cap);
        assert_true(n >= 1);
    }
    ws_deflater_free(&d);
}

static void test_bound_incompressible(void **state)
{
    (void)state;
    enum { MAX = 300000 };
    uint8_t *rnd = malloc(MAX + 4096), *out = malloc(2 * MAX);
    assert_non_null(rnd);
    assert_non_null(out);
    fill_random(rnd, MAX + 4096, 42);
    size_t sizes[200], n = 0;
    for (size_t s = 0; s <= 70; s++)
        sizes[n++] = s;
    for (size_t s = 71; s < MAX && n < 200; s = s * 3 / 2 + 1)
        sizes[n++] = s;
    static const size_t few[] = {0, 1, 7, 127, 128, 255, 1000, 16411, 65537};
    for (uint8_t bits = 8; bits <= 15; bits++)
        for (int nct = 0; nct < 2; nct++) {
            /* every size at the default level and memLevel; a few sizes for the rest */
            bound_config(bits, 1, 8, nct, rnd, sizes, n, out);
            static const int levels[] = {1, 6, 9}, mems[] = {1, 2, 9};
            for (size_t l = 0; l < 3; l++)
                for (size_t m = 0; m < 3; m++)
                    bound_config(bits, levels[l], mems[m], nct, rnd, few,
                                 sizeof few / sizeof few[0], out);
        }
    /* Below the bound nothing happens at all: the stream goes on as before. */
    struct ws_deflater d = deflater(15, false, 1);
    size_t len = 1000, cap = ws_deflate_bound(&d, len), got = 0;
    assert_int_equal(ws_deflate_message(&d, rnd, len, out, cap - 1, &got), WS_E_BUFFER_TOO_SMALL);
    assert_int_equal(ws_deflater_memory(&d), 0);
    assert_int_equal(ws_deflate_message(&d, rnd, len, out, cap, &got), WS_E_OK);
    ws_deflater_free(&d);
    assert_true(ws_deflate_bound(&d, 0) >= 1);
    assert_int_equal(ws_deflate_bound(&d, SIZE_MAX), SIZE_MAX);
    free(rnd);
    free(out);
}

/* ------------------------------------------------------------ window 8 */

static void test_window8_plain_zlib(void **state)
{
    (void)state;
    /* A deflater asked for window 8 must write data a 256-byte window decodes: plain
     * zlib with inflateInit2(-8) inflates every message, context taken over. Text with
     * repeats at every distance tempts a 512-byte window into longer distances. */
    enum { LEN = 50000, MSGS = 6 };
    uint8_t *plain = malloc(LEN), *back = malloc(LEN);
    assert_non_null(plain);
    assert_non_null(back);
    for (int level = 1; level <= 9; level += 4) {
        struct ws_deflater d = deflater(8, false, level);
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        assert_int_equal(inflateInit2(&zs, -8), Z_OK);
        for (int m = 0; m < MSGS; m++) {
            size_t len = (size_t)LEN / MSGS * (size_t)(m + 1) / 2, n = 0;
            fill_text(plain, len, (uint64_t)(level * 10 + m));
            uint8_t *z = deflate_msg(&d, plain, len, &n);
            uint8_t *withtail = malloc(n + 4);
            assert_non_null(withtail);
            memcpy(withtail, z, n);
            memcpy(withtail + n, "\x00\x00\xff\xff", 4);
            zs.next_in = withtail;
            zs.avail_in = (uInt)(n + 4);
            zs.next_out = back;
            zs.avail_out = LEN;
            int r = inflate(&zs, Z_SYNC_FLUSH);
            assert_true(r == Z_OK || r == Z_BUF_ERROR);
            assert_int_equal(zs.avail_in, 0);
            assert_int_equal(LEN - zs.avail_out, len);
            assert_memory_equal(plain, back, len);
            free(withtail);
            free(z);
        }
        inflateEnd(&zs);
        ws_deflater_free(&d);
    }
    free(plain);
    free(back);
}

struct window_ctx {
    struct ws_inflater f;
    uint8_t bits;
    const uint8_t *want;
    size_t want_len;
    struct collect c;
    uint8_t buf[16384];
    enum ws_error e, want_e;
};

static void window_begin(void *vctx)
{
    struct window_ctx *x = vctx;
    x->f = inflater(x->bits, false, sizeof x->buf);
    x->c = (struct collect){.buf = x->buf, .cap = sizeof x->buf};
    x->e = WS_E_OK;
}

static int window_feed(void *vctx, uint8_t *piece, size_t len)
{
    struct window_ctx *x = vctx;
    x->e = ws_inflate_feed(&x->f, piece, len, collect_sink, &x->c);
    return x->e != WS_E_OK;
}

static void window_done(void *vctx)
{
    struct window_ctx *x = vctx;
    if (x->e == WS_E_OK)
        x->e = ws_inflate_finish(&x->f, collect_sink, &x->c);
    assert_int_equal(x->e, x->want_e);
    if (x->want_e == WS_E_OK) {
        assert_int_equal(x->c.len, x->want_len);
        assert_memory_equal(x->buf, x->want, x->want_len);
    }
    ws_inflater_free(&x->f);
}

static void test_window_beyond_agreed(void **state)
{
    (void)state;
    /* A match at distance 4000 - from a peer that compressed with a 32 KiB window - is
     * held against the window the peer agreed to: beyond it by more than
     * WS_INFLATE_WINDOW_STEP (8-10 bits: 256 bytes to 1 KiB) it fails at every split
     * point; within it (12 bits, 4 KiB; 15 bits) it inflates at every split point. */
    uint8_t plain[8010], z[9000];
    fill_random(plain, 4000, 7);
    memcpy(plain + 4000, plain, 4000);
    memcpy(plain + 8000, "0123456789", 10);
    z_stream zs;
    zdeflate_init(&zs, 9, 15, Z_DEFAULT_STRATEGY);
    size_t n = 0;
    zdeflate(&zs, plain, sizeof plain, Z_SYNC_FLUSH, z, sizeof z, &n);
    deflateEnd(&zs);
    assert_true(n > 4 && n < 4200); /* the repeat was found */
    n -= 4;
    static const struct {
        uint8_t bits;
        enum ws_error want;
    } rows[] = {{8, WS_E_PMD_WINDOW_EXCEEDED},
                {9, WS_E_PMD_WINDOW_EXCEEDED},
                {10, WS_E_PMD_WINDOW_EXCEEDED},
                {12, WS_E_OK},
                {15, WS_E_OK}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct window_ctx *x = calloc(1, sizeof *x);
        assert_non_null(x);
        *x = (struct window_ctx){
            .bits = rows[i].bits, .want = plain, .want_len = sizeof plain, .want_e = rows[i].want};
        struct th_split_driver drv = {window_begin, window_feed, window_done, x};
        assert_true(th_each_split(z, n, &drv) >= n + 1);
        free(x);
    }
    /* A distance before the start of all output still fails, however cut. */
    check_splits("f2 00 11 00 00", "", false, WS_E_PMD_INFLATE);
}

/* ------------------------------------------------------------ BFINAL */

static void test_bfinal_inside_and_across(void **state)
{
    (void)state;
    /* Message 1: "Hello, " as a stream ended with BFINAL (Z_FINISH), then "Hello,
     * world" as a second stream whose first match refers back across the BFINAL block
     * (its dictionary is the first part), then the 0x00 of the empty stored block.
     * Message 2 (context takeover): a stream that refers back into message 1. */
    uint8_t m1[256], m2[256];
    size_t n1 = 0, n2 = 0;
    z_stream zs;
    zdeflate_init(&zs, 9, 15, Z_DEFAULT_STRATEGY);
    zdeflate(&zs, "Hello, ", 7, Z_FINISH, m1, sizeof m1, &n1);
    deflateEnd(&zs);
    zdeflate_init(&zs, 9, 15, Z_DEFAULT_STRATEGY);
    assert_int_equal(deflateSetDictionary(&zs, (const Bytef *)"Hello, ", 7), Z_OK);
    zdeflate(&zs, "Hello, world", 12, Z_FINISH, m1, sizeof m1, &n1);
    deflateEnd(&zs);
    m1[n1++] = 0x00;
    zdeflate_init(&zs, 9, 15, Z_DEFAULT_STRATEGY);
    assert_int_equal(deflateSetDictionary(&zs, (const Bytef *)"Hello, Hello, world", 19), Z_OK);
    zdeflate(&zs, "Hello, world!", 13, Z_SYNC_FLUSH, m2, sizeof m2, &n2);
    deflateEnd(&zs);
    n2 -= 4;
    assert_true(n2 < 12); /* it is a back reference, not literals */

    uint8_t out[64];
    struct collect c = {.buf = out, .cap = sizeof out};
    struct ws_inflater f = inflater(15, false, 1000);
    /* every split point of message 1 */
    for (size_t cut = 0; cut <= n1; cut++) {
        ws_inflate_abort(&f);
        collect_reset(&c);
        assert_int_equal(ws_inflate_feed(&f, m1, cut, collect_sink, &c), WS_E_OK);
        assert_int_equal(ws_inflate_feed(&f, m1 + cut, n1 - cut, collect_sink, &c), WS_E_OK);
        assert_int_equal(ws_inflate_finish(&f, collect_sink, &c), WS_E_OK);
        assert_int_equal(c.len, 19);
        assert_memory_equal(out, "Hello, Hello, world", 19);
        assert_true(f.ended);
    }
    collect_reset(&c);
    assert_int_equal(inflate_msg(&f, m2, n2, &c), WS_E_OK);
    assert_int_equal(c.len, 13);
    assert_memory_equal(out, "Hello, world!", 13);
    assert_false(f.ended); /* a new message: no BFINAL in this one */
    ws_inflater_free(&f);

    /* Without takeover message 2's reference has nothing to refer to. */
    f = inflater(15, true, 1000);
    collect_reset(&c);
    assert_int_equal(inflate_msg(&f, m1, n1, &c), WS_E_OK);
    assert_int_equal(ws_inflater_memory(&f), 0);
    assert_true(f.ended);
    collect_reset(&c);
    assert_int_equal(inflate_msg(&f, m2, n2, &c), WS_E_PMD_INFLATE);
    ws_inflater_free(&f);

    /* A BFINAL block without the 0x00 after it: the tail is then a stored block cut
     * short (7.2.1 step 2 was skipped). */
    f = inflater(15, false, 1000);
    collect_reset(&c);
    assert_int_equal(inflate_msg(&f, m1, n1 - 1, &c), WS_E_PMD_INFLATE);
    ws_inflater_free(&f);
    static const uint8_t empty_final[] = {0x03, 0x00}; /* BFINAL, fixed codes, end of block */
    f = inflater(15, false, 1000);
    collect_reset(&c);
    assert_int_equal(inflate_msg(&f, empty_final, 2, &c), WS_E_PMD_INFLATE);
    ws_inflate_abort(&f);
    static const uint8_t empty_final_ok[] = {0x03, 0x00, 0x00};
    collect_reset(&c);
    assert_int_equal(inflate_msg(&f, empty_final_ok, 3, &c), WS_E_OK);
    assert_int_equal(c.total, 0);
    assert_true(f.ended);
    ws_inflater_free(&f);
}

/* ------------------------------------------------------------ bad data */

static void test_corrupt_and_truncated(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        const char *why;
    } bad[] = {
        {"06", "BTYPE 11 is reserved"},
        {"07", "BTYPE 11 with BFINAL"},
        {"00 05 00 05 00 48 65 6c 6c 6f 00", "stored NLEN is not the complement of LEN"},
        {"f2 00 11 00 00", "a distance before the start of the output"},
        {"f2 48 cd", "a block cut short"},
        {"f2 48 cd c9 c9 07", "the end of block code cut short"},
        {"00 05 00 fa ff 48 65", "stored data cut short"},
        {"f2 48 cd c9 c9 07 00 ff", "bits after the end"},
        {"ec bd 07 60", "a dynamic header cut short"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t in[64];
        size_t n = th_hex(bad[i].hex, in, sizeof in);
        for (int nct = 0; nct < 2; nct++) {
            struct ws_inflater f = inflater(15, nct, 1000);
            struct collect c = {0};
            enum ws_error e = inflate_msg(&f, in, n, &c);
            if (e != WS_E_PMD_INFLATE)
                fail_msg("%s (%s): %s", bad[i].hex, bad[i].why, ws_error_name(e));
            assert_int_equal(ws_error_close_code(e), 1007);
            /* errors stick until abort */
            assert_int_equal(ws_inflate_feed(&f, in, n, collect_sink, &c), WS_E_PMD_INFLATE);
            assert_int_equal(ws_inflate_finish(&f, collect_sink, &c), WS_E_PMD_INFLATE);
            ws_inflate_abort(&f);
            assert_int_equal(ws_inflater_memory(&f), 0);
            assert_int_equal(f.produced, 0);
            collect_reset(&c);
            assert_int_equal(
                inflate_msg(&f, (const uint8_t *)"\xf2\x48\xcd\xc9\xc9\x07\x00", 7, &c), WS_E_OK);
            assert_int_equal(c.total, 5);
            ws_inflater_free(&f);
        }
    }
}

static void test_sink_error(void **state)
{
    (void)state;
    struct ws_inflater f = inflater(15, false, 1000);
    struct collect c = {.fail_with = WS_E_TEXT_INVALID_UTF8};
    uint8_t in[16];
    size_t n = th_hex("f2 48 cd c9 c9 07 00", in, sizeof in);
    assert_int_equal(inflate_msg(&f, in, n, &c), WS_E_TEXT_INVALID_UTF8);
    assert_int_equal(c.calls, 1);
    assert_int_equal(ws_inflate_finish(&f, collect_sink, &c), WS_E_TEXT_INVALID_UTF8);
    assert_int_equal(c.calls, 1); /* sticky: nothing more handed out */
    ws_inflate_abort(&f);
    c.fail_with = WS_E_OK;
    assert_int_equal(inflate_msg(&f, in, n, &c), WS_E_OK);
    ws_inflater_free(&f);
}

/* ------------------------------------------------------------ limits and bombs */

static void test_max_message_exact(void **state)
{
    (void)state;
    enum { LEN = 50000 };
    uint8_t *plain = malloc(LEN);
    assert_non_null(plain);
    fill_text(plain, LEN, 3);
    struct ws_deflater d = deflater(15, true, 6);
    size_t n = 0;
    uint8_t *z = deflate_msg(&d, plain, LEN, &n);
    ws_deflater_free(&d);
    static const uint64_t maxes[] = {
        LEN, LEN + 1, LEN - 1, 1, WS_INFLATE_CHUNK, WS_INFLATE_CHUNK + 1, WS_INFLATE_CHUNK - 1};
    for (size_t i = 0; i < sizeof maxes / sizeof maxes[0]; i++) {
        struct ws_inflater f = inflater(15, false, maxes[i]);
        static uint8_t back[LEN];
        struct collect c = {.buf = back, .cap = LEN};
        enum ws_error e = inflate_msg(&f, z, n, &c);
        if (maxes[i] >= LEN) {
            assert_int_equal(e, WS_E_OK);
            assert_int_equal(c.len, LEN);
        } else {
            /* the first max_message bytes and not one more */
            assert_int_equal(e, WS_E_MESSAGE_TOO_BIG);
            assert_int_equal(c.len, maxes[i]);
            assert_int_equal(f.produced, maxes[i]);
            assert_int_equal(ws_error_close_code(e), 1009);
        }
        assert_memory_equal(back, plain, c.len);
        assert_true(c.max_chunk <= WS_INFLATE_CHUNK);
        ws_inflater_free(&f);
    }
    free(z);
    free(plain);
}

/* An allocator that counts bytes live and the peak. */
struct counting {
    size_t live, peak;
};

static void *count_realloc(void *ud, void *p, size_t size)
{
    struct counting *ct = ud;
    assert_null(p); /* the deflate code only allocates fresh blocks */
    size_t *h = malloc(size + sizeof(max_align_t));
    if (!h)
        return NULL;
    *h = size;
    ct->live += size;
    if (ct->live > ct->peak)
        ct->peak = ct->live;
    return (uint8_t *)h + sizeof(max_align_t);
}

static void count_free(void *ud, void *p)
{
    struct counting *ct = ud;
    if (!p)
        return;
    size_t *h = (size_t *)(void *)((uint8_t *)p - sizeof(max_align_t));
    ct->live -= *h;
    free(h);
}

/* 1 MiB of zeros after a sync flush: byte-aligned, self-contained; copies of it
 * concatenated make a bomb of any declared size from little input. */
static uint8_t *zero_segment(size_t *n)
{
    static uint8_t zeros[1 << 20];
    uint8_t *seg = malloc(8192);
    assert_non_null(seg);
    z_stream zs;
    zdeflate_init(&zs, 9, 15, Z_DEFAULT_STRATEGY);
    *n = 0;
    zdeflate(&zs, zeros, sizeof zeros, Z_SYNC_FLUSH, seg, 8192, n);
    deflateEnd(&zs);
    return seg;
}

/* Feed the bomb to an inflater limited to 1 MiB in 1 KiB slices; returns the input
 * consumed until it said TOO_BIG. */
static size_t bomb_run(const uint8_t *bomb, size_t len, struct counting *ct, size_t *mem_after)
{
    struct ws_inflate_config cfg = {
        .max_message = (uint64_t)1 << 20,
        .alloc = {.realloc = count_realloc, .free = count_free, .ud = ct}};
    struct ws_inflater f;
    assert_int_equal(ws_inflater_init(&f, &cfg), WS_E_OK);
    struct collect c = {0};
    size_t off = 0;
    enum ws_error e = WS_E_OK;
    while (off < len && e == WS_E_OK) {
        size_t piece = len - off < 1024 ? len - off : 1024;
        e = ws_inflate_feed(&f, bomb + off, piece, collect_sink, &c);
        off += piece;
    }
    assert_int_equal(e, WS_E_MESSAGE_TOO_BIG);
    assert_int_equal(c.total, (uint64_t)1 << 20); /* exactly the limit handed out */
    assert_int_equal(f.produced, (uint64_t)1 << 20);
    assert_true(c.max_chunk <= WS_INFLATE_CHUNK);
    *mem_after = ws_inflater_memory(&f);
    assert_int_equal(*mem_after, ct->live);
    ws_inflater_free(&f);
    assert_int_equal(ct->live, 0);
    return off;
}

static void test_deflate_bomb(void **state)
{
    (void)state;
    /* The memory of an ordinary message, for comparison. */
    struct counting ct0 = {0};
    struct ws_inflate_config cfg = {
        .max_message = (uint64_t)1 << 20,
        .alloc = {.realloc = count_realloc, .free = count_free, .ud = &ct0}};
    struct ws_inflater f;
    assert_int_equal(ws_inflater_init(&f, &cfg), WS_E_OK);
    struct collect c = {0};
    uint8_t hello[16];
    size_t hn = th_hex("f2 48 cd c9 c9 07 00", hello, sizeof hello);
    assert_int_equal(inflate_msg(&f, hello, hn, &c), WS_E_OK);
    size_t mem_normal = ws_inflater_memory(&f);
    assert_int_equal(mem_normal, ct0.live);
    ws_inflater_free(&f);

    /* 1: 100 MiB of zeros as one stream at level 9 (about 1030:1). */
    enum { BOMB_MIB = 100 };
    static uint8_t zeros[1 << 20];
    size_t cap = (size_t)BOMB_MIB * 1100 + 4096, n = 0;
    uint8_t *bomb = malloc(cap);
    assert_non_null(bomb);
    z_stream zs;
    zdeflate_init(&zs, 9, 15, Z_DEFAULT_STRATEGY);
    for (int i = 0; i < BOMB_MIB; i++)
        zdeflate(&zs, zeros, sizeof zeros, i + 1 < BOMB_MIB ? Z_NO_FLUSH : Z_SYNC_FLUSH, bomb, cap,
                 &n);
    deflateEnd(&zs);
    assert_true(n < (size_t)BOMB_MIB * 1100);
    struct counting ct = {0};
    size_t mem = 0;
    size_t used = bomb_run(bomb, n - 4, &ct, &mem);
    /* stopped after about 1 MiB of output: about 1/100 of the input read */
    assert_true(used <= n / BOMB_MIB + 2048);
    assert_int_equal(mem, mem_normal); /* the fixed state, nothing more */
    assert_int_equal(ct.peak, ct0.peak);
    free(bomb);

    /* 2: 1 GiB declared, 1024 copies of a 1 MiB segment. */
    size_t sn = 0;
    uint8_t *seg = zero_segment(&sn);
    size_t gn = sn * 1024;
    uint8_t *giga = malloc(gn);
    assert_non_null(giga);
    for (size_t i = 0; i < 1024; i++)
        memcpy(giga + i * sn, seg, sn);
    struct counting ct2 = {0};
    used = bomb_run(giga, gn, &ct2, &mem);
    assert_true(used <= 2 * sn + 1024);
    assert_int_equal(mem, mem_normal);
    assert_int_equal(ct2.peak, ct0.peak);
    free(giga);
    free(seg);
}

/* ------------------------------------------------------------ memory */

static void test_memory_takeover(void **state)
{
    (void)state;
    /* With context takeover the state stays between messages and does not grow; without
     * it nothing is held once a message is done. */
    uint8_t plain[20000], z[30000], back[20000];
    fill_text(plain, sizeof plain, 9);
    for (uint8_t bits = 8; bits <= 15; bits++) {
        for (int nct = 0; nct < 2; nct++) {
            struct counting ct = {0};
            struct ws_allocator a = {.realloc = count_realloc, .free = count_free, .ud = &ct};
            struct ws_deflater d;
            struct ws_deflate_config dc = {
                .window_bits = bits, .no_context_takeover = nct, .alloc = a};
            assert_int_equal(ws_deflater_init(&d, &dc), WS_E_OK);
            struct ws_inflater f;
            struct ws_inflate_config ic = {.window_bits = bits,
                                           .no_context_takeover = nct,
                                           .max_message = 1 << 20,
                                           .alloc = a};
            assert_int_equal(ws_inflater_init(&f, &ic), WS_E_OK);
            size_t dmem = 0, imem = 0;
            for (int m = 0; m < 3; m++) {
                size_t n = 0;
                assert_int_equal(ws_deflate_message(&d, plain, sizeof plain, z, sizeof z, &n),
                                 WS_E_OK);
                struct collect c = {.buf = back, .cap = sizeof back};
                assert_int_equal(inflate_msg(&f, z, n, &c), WS_E_OK);
                assert_int_equal(ws_deflater_memory(&d) + ws_inflater_memory(&f), ct.live);
                if (nct) {
                    assert_int_equal(ct.live, 0);
                    continue;
                }
                if (m == 0) {
                    dmem = ws_deflater_memory(&d);
                    imem = ws_inflater_memory(&f);
                    assert_true(dmem > 0);
                    /* the chunk, zlib's state and its window of the agreed size */
                    assert_true(imem >= WS_INFLATE_CHUNK + (1u << bits));
                    assert_true(imem <= WS_INFLATE_CHUNK + (1u << bits) + 16384);
                }
                assert_int_equal(ws_deflater_memory(&d), dmem);
                assert_int_equal(ws_inflater_memory(&f), imem);
            }
            ws_deflater_free(&d);
            ws_inflater_free(&f);
            assert_int_equal(ct.live, 0);
        }
    }
}

/* ------------------------------------------------------------ allocation failure */

static void test_every_allocation_fails(void **state)
{
    (void)state;
    /* Deflater: the first message allocates the state and zlib's buffers. */
    uint8_t plain[3000], z[4096];
    fill_text(plain, sizeof plain, 5);
    size_t zn = 0, deflate_calls = 0;
    for (size_t fail_at = 1;; fail_at++) {
        struct th_failalloc fa;
        th_failalloc_init(&fa, fail_at);
        struct ws_deflater d;
        struct ws_deflate_config cfg = {.alloc = fa.alloc};
        assert_int_equal(ws_deflater_init(&d, &cfg), WS_E_OK);
        enum ws_error e = ws_deflate_message(&d, plain, sizeof plain, z, sizeof z, &zn);
        if (fa.calls < fail_at) {
            assert_int_equal(e, WS_E_OK);
            deflate_calls = fa.calls;
            ws_deflater_free(&d);
            assert_int_equal(fa.live_blocks, 0);
            break;
        }
        assert_int_equal(e, WS_E_NOMEM);
        assert_int_equal(fa.live_blocks, 0); /* nothing kept after a failed start */
        assert_int_equal(ws_deflater_memory(&d), 0);
        /* the next try works */
        fa.fail_at = 0;
        assert_int_equal(ws_deflate_message(&d, plain, sizeof plain, z, sizeof z, &zn), WS_E_OK);
        ws_deflater_free(&d);
        assert_int_equal(fa.live_blocks, 0);
    }
    assert_true(deflate_calls >= 5); /* state, z state, window, prev, head, pending */

    /* Inflater: a message that crosses a BFINAL block allocates the state, zlib's state,
     * its window and the window's copy. */
    uint8_t m[128];
    size_t mn = 0;
    z_stream zs;
    zdeflate_init(&zs, 9, 15, Z_DEFAULT_STRATEGY);
    zdeflate(&zs, "Hello, ", 7, Z_FINISH, m, sizeof m, &mn);
    deflateEnd(&zs);
    zdeflate_init(&zs, 9, 15, Z_DEFAULT_STRATEGY);
    assert_int_equal(deflateSetDictionary(&zs, (const Bytef *)"Hello, ", 7), Z_OK);
    zdeflate(&zs, "Hello, world", 12, Z_SYNC_FLUSH, m, sizeof m, &mn);
    deflateEnd(&zs);
    mn -= 4;
    size_t inflate_calls = 0;
    for (size_t fail_at = 1;; fail_at++) {
        struct th_failalloc fa;
        th_failalloc_init(&fa, fail_at);
        struct ws_inflater f;
        struct ws_inflate_config cfg = {.max_message = 100, .alloc = fa.alloc};
        assert_int_equal(ws_inflater_init(&f, &cfg), WS_E_OK);
        uint8_t out[64];
        struct collect c = {.buf = out, .cap = sizeof out};
        enum ws_error e = inflate_msg(&f, m, mn, &c);
        if (fa.calls < fail_at) {
            assert_int_equal(e, WS_E_OK);
            assert_int_equal(c.len, 19);
            assert_memory_equal(out, "Hello, Hello, world", 19);
            inflate_calls = fa.calls;
            ws_inflater_free(&f);
            assert_int_equal(fa.live_blocks, 0);
            break;
        }
        assert_int_equal(e, WS_E_NOMEM);
        ws_inflate_abort(&f);
        assert_int_equal(fa.live_blocks, 0);
        ws_inflater_free(&f);
    }
    assert_int_equal(inflate_calls, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_arguments),
        cmocka_unit_test(test_rfc_examples),
        cmocka_unit_test(test_rfc_sliding_window),
        cmocka_unit_test(test_deflate_matches_rfc),
        cmocka_unit_test(test_empty_message),
        cmocka_unit_test(test_roundtrip_matrix),
        cmocka_unit_test(test_bound_incompressible),
        cmocka_unit_test(test_window8_plain_zlib),
        cmocka_unit_test(test_window_beyond_agreed),
        cmocka_unit_test(test_bfinal_inside_and_across),
        cmocka_unit_test(test_corrupt_and_truncated),
        cmocka_unit_test(test_sink_error),
        cmocka_unit_test(test_max_message_exact),
        cmocka_unit_test(test_deflate_bomb),
        cmocka_unit_test(test_memory_takeover),
        cmocka_unit_test(test_every_allocation_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

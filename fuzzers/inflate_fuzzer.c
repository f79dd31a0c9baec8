/*
 * inflate_fuzzer.c - permessage-deflate's inflater and deflater (ws_deflate, RFC 7692
 * section 7.2) on hostile compressed messages.
 *
 * Input:
 *   byte 0     bits 0-2: window bits 8-15; bit 3: no_context_takeover; bits 4-7: k, and
 *              max_message = 2^(5+k) bytes (32 bytes to 1 MiB)
 *   byte 1     the deflater's level (1 + v % 9) and memLevel (1 + v / 9 % 9)
 *   bytes 2-5  chop schedule (fuzz_input.h)
 *   then messages, each a 2-byte big-endian length (cut to what is left) and that many
 *   bytes: one message's compressed payload, as its frames would carry it.
 *
 * Every message goes through two inflaters of the same configuration, one fed the
 * payload whole, one in the chop schedule's pieces; with context takeover both go on
 * from message to message, and both are reset after an error.
 *
 * Checked:
 *   - the same result however the payload is cut: the same error or none, the same
 *     output (hash and length), the same `ended`;
 *   - never more than max_message bytes handed out per message, chunks of at most
 *     WS_INFLATE_CHUNK; WS_E_MESSAGE_TOO_BIG exactly when the limit was reached, with
 *     exactly max_message bytes handed out; errors only from the contract's list;
 *   - memory within the fixed bound (chunk, zlib's state, one 32 KiB window) between
 *     calls, and nothing at all after a message without context takeover;
 *   - a round trip: each message's bytes, taken as plain data, compressed by a deflater
 *     of the chosen window, takeover, level and memLevel, then inflated by a third
 *     inflater configured with that window: identical, and within ws_deflate_bound.
 * Leaks and overruns are the sanitizers'.
 */
#include "fuzz_input.h"

#include "ws_deflate.h"

FUZZ_NOCOV_BEGIN

/* The most an inflater may hold between calls: its chunk, zlib's 32 KiB window and
 * zlib's state (about 7 KiB), with room to spare for the headers. */
#define INFLATER_MEMORY_MAX (WS_INFLATE_CHUNK + 32768 + 16384)

struct out {
    uint64_t hash, total, max;
    const uint8_t *expect; /* round trip: the bytes that must come out, or NULL */
    size_t expect_len;
};

static enum ws_error out_sink(void *ud, const uint8_t *data, size_t len)
{
    struct out *o = ud;
    FUZZ_CHECK(len > 0 && len <= WS_INFLATE_CHUNK);
    FUZZ_CHECK(len <= o->max - o->total); /* never past max_message */
    if (o->expect) {
        FUZZ_CHECK(len <= o->expect_len - o->total);
        FUZZ_CHECK(memcmp(data, o->expect + o->total, len) == 0);
    }
    o->hash = fuzz_hash(o->hash, data, len);
    o->total += len;
    return WS_E_OK;
}

static bool allowed(enum ws_error e)
{
    return e == WS_E_OK || e == WS_E_MESSAGE_TOO_BIG || e == WS_E_PMD_INFLATE ||
           e == WS_E_PMD_WINDOW_EXCEEDED;
}

/* One message into f, fed whole (chop NULL) or in pieces. */
static enum ws_error inflate_one(struct ws_inflater *f, const uint8_t *p, size_t n,
                                 struct fuzz_chop *chop, struct out *o)
{
    size_t pos = 0;
    enum ws_error e = WS_E_OK;
    do {
        size_t k = chop ? fuzz_chop_next(chop, n - pos) : n - pos;
        fuzz_fence(p, n, pos + k, true);
        e = ws_inflate_feed(f, p + pos, k, out_sink, o);
        fuzz_fence(p, n, pos + k, false);
        FUZZ_CHECK(ws_inflater_memory(f) <= INFLATER_MEMORY_MAX);
        pos += k;
    } while (e == WS_E_OK && pos < n);
    if (e == WS_E_OK)
        e = ws_inflate_finish(f, out_sink, o);
    FUZZ_CHECK(allowed(e));
    FUZZ_CHECK(f->produced == o->total && o->total <= o->max);
    if (e == WS_E_MESSAGE_TOO_BIG)
        FUZZ_CHECK(o->total == o->max);
    if (e == WS_E_OK && f->cfg.no_context_takeover)
        FUZZ_CHECK(ws_inflater_memory(f) == 0);
    if (e != WS_E_OK) {
        /* errors stick until abort */
        FUZZ_CHECK(ws_inflate_finish(f, out_sink, o) == e);
        ws_inflate_abort(f);
        FUZZ_CHECK(ws_inflater_memory(f) == 0 && f->produced == 0);
    }
    return e;
}

/* The message's bytes as plain data: compressed, then inflated again. */
static void round_trip(struct ws_deflater *d, struct ws_inflater *back, const uint8_t *p, size_t n)
{
    size_t cap = ws_deflate_bound(d, n), zn = 0;
    uint8_t *z = malloc(cap);
    if (!z)
        abort();
    FUZZ_CHECK(ws_deflate_message(d, p, n, z, cap, &zn) == WS_E_OK);
    FUZZ_CHECK(zn >= 1 && zn + 4 < cap);
    if (d->cfg.no_context_takeover)
        FUZZ_CHECK(ws_deflater_memory(d) == 0);
    struct out o = {FUZZ_HASH_INIT, 0, back->cfg.max_message, p, n};
    FUZZ_CHECK(inflate_one(back, z, zn, NULL, &o) == WS_E_OK);
    FUZZ_CHECK(o.total == n);
    free(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    uint8_t b0 = fuzz_u8(&in), b1 = fuzz_u8(&in);
    uint8_t bits = (uint8_t)(8 + (b0 & 7));
    bool nct = (b0 & 8) != 0;
    uint64_t max = (uint64_t)1 << (5 + (b0 >> 4));
    struct fuzz_chop chop;
    fuzz_chop_init(&chop, &in);

    struct ws_inflate_config icfg = {
        .window_bits = bits, .no_context_takeover = nct, .max_message = max};
    struct ws_inflater whole, cut, back;
    FUZZ_CHECK(ws_inflater_init(&whole, &icfg) == WS_E_OK);
    FUZZ_CHECK(ws_inflater_init(&cut, &icfg) == WS_E_OK);
    icfg.max_message = 65535; /* a message is at most 65535 bytes */
    FUZZ_CHECK(ws_inflater_init(&back, &icfg) == WS_E_OK);
    struct ws_deflate_config dcfg = {.window_bits = bits,
                                     .no_context_takeover = nct,
                                     .level = 1 + b1 % 9,
                                     .mem_level = 1 + b1 / 9 % 9};
    struct ws_deflater d;
    FUZZ_CHECK(ws_deflater_init(&d, &dcfg) == WS_E_OK);

    while (in.n > 0) {
        size_t n = (size_t)fuzz_uint(&in, 2);
        if (n > in.n)
            n = in.n;
        uint8_t *p = fuzz_dup(in.p, n);
        in.p += n;
        in.n -= n;
        struct out a = {FUZZ_HASH_INIT, 0, max, NULL, 0}, b = a;
        chop.next = 0; /* every message gets the whole schedule */
        enum ws_error ea = inflate_one(&whole, p, n, NULL, &a);
        bool ended_a = whole.ended;
        enum ws_error eb = inflate_one(&cut, p, n, &chop, &b);
        if ((ea == WS_E_PMD_WINDOW_EXCEEDED) != (eb == WS_E_PMD_WINDOW_EXCEEDED)) {
            /* A distance within WS_INFLATE_WINDOW_STEP beyond a window below 15 bits
             * passes or fails with the cut (ws_deflate.h); the two inflaters' histories
             * differ from here on, so the input ends here. */
            FUZZ_CHECK(bits < 15);
            free(p);
            break;
        }
        FUZZ_CHECK(ea == eb);
        FUZZ_CHECK(a.total == b.total && a.hash == b.hash);
        if (ea == WS_E_OK)
            FUZZ_CHECK(ended_a == cut.ended);
        round_trip(&d, &back, p, n);
        free(p);
    }
    ws_inflater_free(&whole);
    ws_inflater_free(&cut);
    ws_inflater_free(&back);
    ws_deflater_free(&d);
    return 0;
}

FUZZ_NOCOV_END

/*
 * ws_utf8.c - incremental, fail-fast UTF-8 validator (see ws_utf8.h).
 *
 * RFC 6455 section 8.1 makes an endpoint fail the connection on text that is not
 * UTF-8, and a conformance harness has to say *which* octet broke it, so this
 * validator stops at the first octet after which no well-formed sequence can follow
 * (RFC 3629 section 4), not at the end of the code point. The well-formed sequences:
 *
 *     00-7F
 *     C2-DF  80-BF
 *     E0     A0-BF  80-BF        (E0 80-9F would be overlong)
 *     E1-EC  80-BF  80-BF
 *     ED     80-9F  80-BF        (ED A0-BF would encode a surrogate, D800-DFFF)
 *     EE-EF  80-BF  80-BF
 *     F0     90-BF  80-BF  80-BF (F0 80-8F would be overlong)
 *     F1-F3  80-BF  80-BF  80-BF
 *     F4     80-8F  80-BF  80-BF (F4 90-BF would be above U+10FFFF)
 *
 * Only the octet right after the lead ever has bounds narrower than 80-BF, so the
 * state between calls is just "how many continuation octets are still due, and the
 * range the next one must fall in". Text is mostly ASCII, so runs of ASCII are checked
 * 64 octets per iteration with SSE2 (32 with 64-bit word loads elsewhere); that loop
 * is what the frame benchmark (parse + unmask + validate vs memcpy) measures.
 */
#include "ws_utf8.h"

#include <string.h>

/* The ASCII loop uses SSE2 where the target has it (every x86-64): about 1.3x the
 * portable word loop on 1 MiB of ASCII. WS_UTF8_NO_SIMD forces the portable loop, so
 * that it can be tested on x86 too. */
#if defined(__SSE2__) && !defined(WS_UTF8_NO_SIMD)
#define WS_UTF8_SSE2 1
#include <emmintrin.h>
#else
#define WS_UTF8_SSE2 0
#endif

/*
 * v->state, 0 between code points (so a zero-filled struct is the initial state):
 *   bits 0-7    continuation octets still due (1..3)
 *   bits 8-15   lowest value allowed for the next octet
 *   bits 16-23  highest value allowed for the next octet
 */
#define WS_UTF8_PACK(need, lo, hi) ((uint32_t)(need) | (uint32_t)(lo) << 8 | (uint32_t)(hi) << 16)

/* The high bit of every octet of a 64-bit word: set in a word iff one octet is not ASCII. */
#define WS_UTF8_HIGH 0x8080808080808080ull

/* Index of the first non-ASCII octet of a word, given m = word & WS_UTF8_HIGH != 0.
 * The word was loaded with memcpy, so "first in memory" depends on the byte order. */
static inline size_t ws_utf8_first_high(uint64_t m)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (size_t)__builtin_ctzll(m) >> 3;
#elif defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return (size_t)__builtin_clzll(m) >> 3;
#else
    uint8_t b[8];
    size_t i = 0;
    memcpy(b, &m, sizeof b);
    while (b[i] == 0)
        i++;
    return i;
#endif
}

/* Number of ASCII octets at the start of p[0..n). Wide loads only while at least 64,
 * 32 or 8 octets remain, so nothing past p[n-1] is read. */
static inline size_t ws_utf8_ascii_run(const uint8_t *p, size_t n)
{
    size_t i = 0;

    /* Dense non-ASCII text (CJK, Cyrillic) reaches here at every code point: leave
     * before touching the wide loop. */
    if (n == 0 || p[0] >= 0x80)
        return 0;
#if WS_UTF8_SSE2
    /* 64 octets per iteration: four unaligned 16-octet loads OR-ed, one movemask of
     * the high bits. SSE2 is part of x86-64 itself, so no runtime check is needed. */
    while (n - i >= 64) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 32));
        __m128i d = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 48));
        if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d))))
            break;
        i += 64;
    }
#else
    /* 32 octets per iteration, OR-ed together so there is one branch per block. */
    while (n - i >= 32) {
        uint64_t w0, w1, w2, w3;
        memcpy(&w0, p + i, 8);
        memcpy(&w1, p + i + 8, 8);
        memcpy(&w2, p + i + 16, 8);
        memcpy(&w3, p + i + 24, 8);
        if ((w0 | w1 | w2 | w3) & WS_UTF8_HIGH)
            break;
        i += 32;
    }
#endif
    /* The block that stopped the loop, and the tail: one word at a time. */
    while (n - i >= 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w & WS_UTF8_HIGH)
            return i + ws_utf8_first_high(w & WS_UTF8_HIGH);
        i += 8;
    }
    while (i < n && p[i] < 0x80)
        i++;
    return i;
}

/* For a non-ASCII octet b: false if it can start no sequence (80-BF is a stray
 * continuation, C0/C1 only ever start overlong forms, F5-F7 only code points above
 * U+10FFFF, F8-FF no UTF-8 pattern at all); otherwise the continuation count and the
 * range of the second octet. */
static inline bool ws_utf8_lead(uint8_t b, uint32_t *need, uint32_t *lo, uint32_t *hi)
{
    *lo = 0x80;
    *hi = 0xBF;
    if (b < 0xC2)
        return false;
    if (b < 0xE0) {
        *need = 1;
        return true;
    }
    if (b < 0xF0) {
        *need = 2;
        if (b == 0xE0)
            *lo = 0xA0; /* below: U+0000-07FF in three octets, overlong */
        else if (b == 0xED)
            *hi = 0x9F; /* above: surrogates U+D800-DFFF */
        return true;
    }
    if (b < 0xF5) {
        *need = 3;
        if (b == 0xF0)
            *lo = 0x90; /* below: U+0000-FFFF in four octets, overlong */
        else if (b == 0xF4)
            *hi = 0x8F; /* above: beyond U+10FFFF */
        return true;
    }
    return false;
}

/* Number of octets at the start of p[0..n) that are whole, valid multi-octet code
 * points (runs of Greek, Cyrillic, CJK), with lone ASCII octets between them. Taken
 * only while 4 octets remain, so there is no end-of-input test per octet. It stops at
 * two ASCII octets in a row (the ASCII loop's job) and at anything doubtful, which the
 * caller then checks octet by octet so that the error lands on the exact octet. */
static inline size_t ws_utf8_whole_run(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (n - i >= 4) {
        uint32_t b = p[i], c1 = p[i + 1];
        if (b < 0x80) {
            /* A lone ASCII octet (the space between two words) is taken here; two in
             * a row may start a long run, which is the ASCII loop's job. */
            if (c1 < 0x80)
                break;
            i++;
            continue;
        }
        if (b < 0xC2)
            break; /* an octet that starts nothing */
        if (b < 0xE0) {
            if ((c1 & 0xC0) != 0x80)
                break;
            i += 2;
            continue;
        }
        uint32_t c2 = p[i + 2];
        if (b < 0xF0) {
            uint32_t lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
            if (c1 < lo || c1 > hi || (c2 & 0xC0) != 0x80)
                break;
            i += 3;
            continue;
        }
        uint32_t c3 = p[i + 3];
        uint32_t lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
        if (b > 0xF4 || c1 < lo || c1 > hi || ((c2 | c3 << 8) & 0xC0C0) != 0x8080)
            break;
        i += 4;
    }
    return i;
}

void ws_utf8_init(struct ws_utf8 *v)
{
    memset(v, 0, sizeof *v);
}

enum ws_error ws_utf8_feed(struct ws_utf8 *v, const uint8_t *data, size_t len, size_t *bad)
{
    if (v->failed) {
        /* Sticky: the bad octet was in an earlier call, so there is no index within
         * this input to give; 0 keeps *bad defined. v->offset still says where. */
        if (bad)
            *bad = 0;
        return WS_E_TEXT_INVALID_UTF8;
    }
    if (len == 0)
        return WS_E_OK;

    uint32_t need = v->state & 0xFF;
    uint32_t lo = (v->state >> 8) & 0xFF;
    uint32_t hi = (v->state >> 16) & 0xFF;
    size_t i = 0;

    for (;;) {
        /* The code point in progress (possibly begun in an earlier call). */
        while (need) {
            if (i == len) {
                v->state = WS_UTF8_PACK(need, lo, hi);
                v->offset += len;
                return WS_E_OK;
            }
            uint8_t c = data[i];
            if (c < lo || c > hi)
                goto fail;
            i++;
            need--;
            lo = 0x80;
            hi = 0xBF;
        }
        i += ws_utf8_ascii_run(data + i, len - i);
        i += ws_utf8_whole_run(data + i, len - i);
        if (i == len)
            break;
        if (data[i] < 0x80)
            continue;
        /* A code point the whole-run loop left alone: it may be bad, or cut by the
         * end of the input. Octet by octet, so the error lands on the exact octet. */
        if (!ws_utf8_lead(data[i], &need, &lo, &hi))
            goto fail;
        i++;
    }
    v->state = 0;
    v->offset += len;
    return WS_E_OK;

fail:
    v->failed = true;
    v->offset += i;
    if (bad)
        *bad = i;
    return WS_E_TEXT_INVALID_UTF8;
}

enum ws_error ws_utf8_finish(struct ws_utf8 *v)
{
    if (v->failed)
        return WS_E_TEXT_INVALID_UTF8;
    if (v->state != 0) {
        /* The message ended inside a code point; the failing position is the end,
         * which v->offset already holds. Sticky like any other error. */
        v->failed = true;
        return WS_E_TEXT_INVALID_UTF8;
    }
    return WS_E_OK;
}

bool ws_utf8_valid(const uint8_t *data, size_t len)
{
    struct ws_utf8 v;
    ws_utf8_init(&v);
    return ws_utf8_feed(&v, data, len, NULL) == WS_E_OK && ws_utf8_finish(&v) == WS_E_OK;
}

/*
 * utf8_fuzzer.c - the fail-fast UTF-8 validator (ws_utf8), differentially.
 *
 * Input: four bytes of chop schedule (fuzz_input.h), then the text.
 *
 * Three independent judges of the same bytes must agree:
 *   1. ws_utf8: fed whole, and fed in the pieces of the chop schedule (each piece in
 *      a buffer of its own size, so the ASCII fast path's wide loads are checked for
 *      over-reads at every cut); both feedings must give the same verdict and offset.
 *   2. ref_validate below: decodes each code point arithmetically and asks, after
 *      every octet, whether any completion of the sequence could still be a Unicode
 *      scalar value in its shortest form. No tables, no shared code with ws_utf8.c.
 *   3. iconv (glibc's UTF-8 decoder), a third implementation we did not write.
 *
 * What "the failing offset" means differs, and each pair is compared in what both can
 * say:
 *   - ws_utf8 and the reference name the exact octet after which no valid sequence can
 *     follow (F4 90 fails at the 90, E0 80 at the 80), or the end of the text when
 *     the text stops inside a code point. These must be equal.
 *   - iconv stops at the start of the sequence it cannot convert: EILSEQ leaves its
 *     input pointer on the lead octet of the bad sequence, EINVAL (input ends inside
 *     a sequence) on the lead octet of the unfinished one. It does not say which octet
 *     inside the sequence is wrong, and it judges overlong/surrogate/out-of-range
 *     forms only once the whole sequence is there (E0 80 at the end is EINVAL, not
 *     EILSEQ). So the iconv offset is compared with the reference's "start of the
 *     sequence that holds the failing octet", and EILSEQ versus EINVAL is not compared.
 */
#include "fuzz_input.h"

#include <errno.h>
#include <iconv.h>

#include "ws_utf8.h"

FUZZ_NOCOV_BEGIN

struct verdict {
    bool valid;
    uint64_t bad;       /* failing octet (len when the text ends inside a sequence) */
    uint64_t seq_start; /* first octet of the sequence holding it */
};

/* ------------------------------------------------------------ the reference */

/* RFC 3629 section 3: a scalar value U+0000..U+10FFFF other than the surrogates
 * U+D800..U+DFFF, in 1 octet up to U+007F, 2 up to U+07FF, 3 up to U+FFFF, 4 above. */
static bool ref_range_possible(uint32_t lo, uint32_t hi, unsigned seq_len)
{
    static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (hi < min_for_len[seq_len] || lo > 0x10FFFF)
        return false;
    if (lo >= 0xD800 && hi <= 0xDFFF)
        return false; /* every completion is a surrogate */
    return true;
}

static struct verdict ref_validate(const uint8_t *s, size_t n)
{
    struct verdict v = {true, 0, 0};
    size_t i = 0;
    while (i < n) {
        uint8_t b = s[i];
        unsigned len;
        uint32_t cp;
        if (b < 0x80) {
            i++;
            continue;
        } else if ((b & 0xE0) == 0xC0) {
            len = 2;
            cp = b & 0x1Fu;
        } else if ((b & 0xF0) == 0xE0) {
            len = 3;
            cp = b & 0x0Fu;
        } else if ((b & 0xF8) == 0xF0) {
            len = 4;
            cp = b & 0x07u;
        } else {
            return (struct verdict){false, i, i}; /* 80-BF or F8-FF start nothing */
        }
        size_t start = i;
        /* After k octets of a len-octet sequence the code point lies in
         * [cp << 6(len-k), (cp << 6(len-k)) | (2^(6(len-k)) - 1)]. */
        for (unsigned k = 1;; k++) {
            unsigned rest = 6 * (len - k);
            uint32_t lo = cp << rest, hi = lo | ((1u << rest) - 1);
            if (!ref_range_possible(lo, hi, len))
                return (struct verdict){false, start + k - 1, start};
            if (k == len)
                break;
            if (start + k == n)
                return (struct verdict){false, n, start}; /* ends inside the sequence */
            uint8_t c = s[start + k];
            if ((c & 0xC0) != 0x80)
                return (struct verdict){false, start + k, start};
            cp = cp << 6 | (c & 0x3Fu);
        }
        i = start + len;
    }
    return v;
}

/* ------------------------------------------------------------ ws_utf8 */

static struct verdict ws_whole(const uint8_t *s, size_t n)
{
    struct ws_utf8 v;
    ws_utf8_init(&v);
    size_t bad = SIZE_MAX;
    uint8_t *copy = fuzz_dup(s, n);
    enum ws_error e = ws_utf8_feed(&v, copy, n, &bad);
    free(copy);
    if (e) {
        FUZZ_CHECK(e == WS_E_TEXT_INVALID_UTF8 && bad < n && v.offset == bad);
        /* sticky, and says so without looking at its input */
        FUZZ_CHECK(ws_utf8_feed(&v, NULL, 0, &bad) == e && bad == 0);
        FUZZ_CHECK(ws_utf8_finish(&v) == e);
        return (struct verdict){false, v.offset, 0};
    }
    FUZZ_CHECK(v.offset == n);
    if (ws_utf8_finish(&v) != WS_E_OK)
        return (struct verdict){false, n, 0};
    return (struct verdict){true, 0, 0};
}

static struct verdict ws_chopped(const uint8_t *s, size_t n, struct fuzz_chop *chop)
{
    struct ws_utf8 v;
    memset(&v, 0, sizeof v); /* zero-fill is the documented initial state */
    size_t pos = 0;
    while (pos < n) {
        size_t k = fuzz_chop_next(chop, n - pos), bad = SIZE_MAX;
        /* the bytes after the piece are fenced: the wide ASCII loads must stop at k */
        fuzz_fence(s, n, pos + k, true);
        enum ws_error e = ws_utf8_feed(&v, s + pos, k, &bad);
        fuzz_fence(s, n, pos + k, false);
        if (e) {
            FUZZ_CHECK(bad < k && v.offset == pos + bad);
            return (struct verdict){false, v.offset, 0};
        }
        pos += k;
        FUZZ_CHECK(v.offset == pos);
    }
    if (ws_utf8_finish(&v) != WS_E_OK) {
        FUZZ_CHECK(v.offset == n);
        return (struct verdict){false, n, 0};
    }
    return (struct verdict){true, 0, 0};
}

/* ------------------------------------------------------------ iconv */

static struct verdict by_iconv(const uint8_t *s, size_t n)
{
    static iconv_t cd = (iconv_t)-1;
    if (cd == (iconv_t)-1) {
        cd = iconv_open("UTF-32LE", "UTF-8");
        FUZZ_CHECK(cd != (iconv_t)-1);
    }
    iconv(cd, NULL, NULL, NULL, NULL); /* back to the initial state */
    char *ip = (char *)(uintptr_t)s;   /* iconv's prototype is not const; it only reads */
    size_t il = n;
    for (;;) {
        char out[4096];
        char *op = out;
        size_t ol = sizeof out;
        size_t r = iconv(cd, &ip, &il, &op, &ol);
        if (r != (size_t)-1)
            return (struct verdict){true, 0, 0};
        if (errno == E2BIG)
            continue;
        FUZZ_CHECK(errno == EILSEQ || errno == EINVAL);
        size_t at = (size_t)((const uint8_t *)ip - s);
        return (struct verdict){false, at, at};
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    struct fuzz_chop chop;
    fuzz_chop_init(&chop, &in);
    const uint8_t *s = in.p;
    size_t n = in.n;

    struct verdict ref = ref_validate(s, n);
    struct verdict whole = ws_whole(s, n);
    struct verdict chopped = ws_chopped(s, n, &chop);
    struct verdict ic = by_iconv(s, n);

    FUZZ_CHECK(ws_utf8_valid(s, n) == ref.valid);
    FUZZ_CHECK(whole.valid == ref.valid && chopped.valid == ref.valid && ic.valid == ref.valid);
    if (!ref.valid) {
        FUZZ_CHECK(whole.bad == ref.bad);
        FUZZ_CHECK(chopped.bad == ref.bad);
        FUZZ_CHECK(ic.seq_start == ref.seq_start);
    }
    return 0;
}

FUZZ_NOCOV_END

/*
 * payload.c - the payload model of case.h and the payload expressions of case files.
 *
 * A payload is a list of segments, each a pattern cycled to a length, so repeat(N, P)
 * stays a pattern: a 16 MiB payload costs one pattern to parse and to list, and
 * payload_copy and payload_equal work segment by segment without ever expanding a
 * whole payload. The tester copies the bytes it sends at the offset it has reached,
 * the judge compares what came back.
 *
 * Payload expressions (cases/README.md, "Payloads"): "text", 0xHEX, repeat(N, P),
 * deflate(P) and P + P. A repeat's pattern is stored expanded (one copy); nested
 * repeat() and deflate() are the only recursion of the case-file reader and are
 * bounded by REPEAT_NEST_MAX.
 */
#include "case_parse_int.h"

#include <stdlib.h>
#include <string.h>

#include "ws_deflate.h"

/* repeat(N, P): section 9 sends at most 16 MiB; 2^32 leaves room for bigger tests while
 * keeping any payload's length far from overflow. */
#define REPEAT_COUNT_MAX (UINT64_C(1) << 32)
/* A repeat pattern is stored expanded; patterns in practice are 1-10 bytes. Nested
 * repeat() can make one big, so it is bounded like a line. */
#define PATTERN_BYTES_MAX (64u * 1024u)
/* repeat(N, repeat(M, ...)) nesting: the only recursion in the parser. */
#define REPEAT_NEST_MAX 8
/* Parts of one payload expression (P + P + ...); real payloads have 1-3. */
#define PAYLOAD_SEGS_MAX 1024
/* Bytes of expanded repeat patterns per file: patterns are a few bytes each; the bound
 * keeps repeat(1, repeat(65536, ...)) written many times from holding gigabytes. */
#define PATTERN_BYTES_PER_FILE (16u * 1024u * 1024u)

/* ------------------------------------------------------------ the model */

/* Copy bytes [pos, pos + n) of one segment (the caller keeps within g->len). A short
 * pattern is not copied byte run by byte run: once one whole period sits in out, the
 * bytes written so far are copied again, doubling each time (log n memcpy calls). */
static void seg_copy(const struct payload_seg *g, uint64_t pos, uint8_t *out, size_t n)
{
    uint64_t pi = pos % g->pat_len;
    size_t first = g->pat_len - pi < n ? (size_t)(g->pat_len - pi) : n; /* < pat_len */
    memcpy(out, g->pat + pi, first);
    out += first;
    n -= first;
    if (n == 0)
        return;
    /* out is now at phase 0 of the pattern */
    uint8_t *base = out;
    size_t done = g->pat_len < n ? g->pat_len : n;
    memcpy(out, g->pat, done);
    n -= done;
    /* base[0..done) is a whole number of periods; appending a prefix of it keeps the
     * cycle, and source and destination never overlap (k <= done). */
    while (n > 0) {
        size_t k = done < n ? done : n;
        memcpy(base + done, base, k);
        done += k;
        n -= k;
    }
}

void payload_copy(const struct payload *p, uint64_t off, uint8_t *out, size_t n)
{
    uint64_t start = 0; /* payload offset of the current segment */
    for (size_t s = 0; s < p->n_segs && n > 0; s++) {
        const struct payload_seg *g = &p->segs[s];
        uint64_t end = start + g->len;
        if (g->pat_len == 0 || off >= end) {
            start = end;
            continue;
        }
        uint64_t pos = off - start; /* offset within the segment */
        uint64_t run = g->len - pos;
        if (run > n)
            run = n;
        /* run <= n, a size_t: the narrowing is exact */
        seg_copy(g, pos, out, (size_t)run);
        out += run;
        n -= (size_t)run;
        off += run;
        start = end;
    }
    /* Callers stay within p->len; should one not, it gets zeros, never stale memory. */
    if (n > 0)
        memset(out, 0, n);
}

bool payload_equal(const struct payload *p, const uint8_t *data, size_t len)
{
    if (!p)
        return len == 0;
    if (p->len != len)
        return false;
    size_t at = 0;
    for (size_t s = 0; s < p->n_segs; s++) {
        const struct payload_seg *g = &p->segs[s];
        if (g->len == 0)
            continue;
        if (g->pat_len == 0 || g->len > len - at)
            return false; /* a malformed payload equals nothing */
        /* g->len <= len - at, a size_t: exact */
        size_t seg = (size_t)g->len, first = g->pat_len < seg ? g->pat_len : seg;
        if (memcmp(data + at, g->pat, first) != 0)
            return false;
        /* The rest repeats the first period: data[i] == data[i - pat_len] over the
         * segment, one memcmp of the data against itself shifted by one period. */
        if (seg > first && memcmp(data + at + first, data + at, seg - first) != 0)
            return false;
        at += seg;
    }
    return at == len;
}

void payload_free(struct payload *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_segs; i++)
        free(p->segs[i].pat);
    free(p->segs);
    memset(p, 0, sizeof *p);
}

/* ------------------------------------------------------------ expressions */

/* Append a segment (takes ownership of pat). Empty segments are dropped. */
static bool add_seg(struct parser *p, struct payload *pl, uint8_t *pat, size_t pat_len,
                    uint64_t len)
{
    if (len == 0) {
        free(pat);
        return true;
    }
    if (pl->n_segs >= PAYLOAD_SEGS_MAX) {
        free(pat);
        perr(p, "payload has more than %d parts", PAYLOAD_SEGS_MAX);
        return false;
    }
    if (!array_grow(&pl->segs, pl->n_segs, sizeof *pl->segs)) {
        free(pat);
        perr_oom(p);
        return false;
    }
    pl->segs[pl->n_segs++] = (struct payload_seg){pat, pat_len, len};
    pl->len += len;
    return true;
}

/* Characters that may follow a payload term. */
static bool is_term_end(char c)
{
    return is_blank(c) || c == ',' || c == ')' || c == '+';
}

static bool parse_expr(struct parser *p, struct lx *l, struct payload *out, int depth);

static bool parse_hex(struct parser *p, struct lx *l, struct payload *out)
{
    l->i += 2; /* "0x" */
    size_t b = l->i;
    while (l->i < l->n && hex_value(l->s[l->i]) >= 0)
        l->i++;
    if (l->i < l->n && !is_term_end(l->s[l->i])) {
        char s[48];
        perr(p, "bad hex digit '%s' in payload", span_show(s, (struct span){&l->s[l->i], 1}));
        return false;
    }
    size_t digits = l->i - b;
    if (digits % 2) {
        perr(p, "odd number of hex digits (%zu) in payload", digits);
        return false;
    }
    if (digits == 0)
        return true;
    uint8_t *bytes = malloc(digits / 2);
    if (!bytes) {
        perr_oom(p);
        return false;
    }
    for (size_t k = 0; k < digits / 2; k++)
        bytes[k] = (uint8_t)(hex_value(l->s[b + 2 * k]) << 4 | hex_value(l->s[b + 2 * k + 1]));
    return add_seg(p, out, bytes, digits / 2, digits / 2);
}

/* "N ," of repeat(N, P), l past "repeat(". */
static bool repeat_count(struct parser *p, struct lx *l, uint64_t *count)
{
    lx_skip(l);
    size_t b = l->i;
    while (l->i < l->n && is_digit(l->s[l->i]))
        l->i++;
    struct span num = {l->s + b, l->i - b};
    char s[48];
    if (num.n == 0) {
        perr(p, "repeat( needs a decimal count first");
        return false;
    }
    if (!span_u64(num, count) || *count > REPEAT_COUNT_MAX) {
        perr(p, "repeat count %s is larger than 2^32", span_show(s, num));
        return false;
    }
    lx_skip(l);
    if (lx_peek(l) != ',') {
        perr(p, "expected ',' after the repeat count");
        return false;
    }
    l->i++;
    return true;
}

/* "P )" of repeat(N, P): the pattern, checked against the limits, into inner. */
static bool repeat_pattern(struct parser *p, struct lx *l, struct payload *inner, int depth)
{
    if (depth + 1 > REPEAT_NEST_MAX) {
        perr(p, "repeat() nested more than %d deep", REPEAT_NEST_MAX);
        return false;
    }
    if (!parse_expr(p, l, inner, depth + 1))
        return false;
    lx_skip(l);
    if (lx_peek(l) != ')') {
        perr(p, "expected ')' to close repeat(");
        return false;
    }
    l->i++;
    if (inner->len == 0) {
        perr(p, "repeat with an empty pattern");
        return false;
    }
    if (inner->len > PATTERN_BYTES_MAX) {
        perr(p, "repeat pattern longer than %u bytes", PATTERN_BYTES_MAX);
        return false;
    }
    p->pattern_bytes += inner->len;
    if (p->pattern_bytes > PATTERN_BYTES_PER_FILE) {
        perr(p, "repeat patterns of this file hold more than %u bytes", PATTERN_BYTES_PER_FILE);
        return false;
    }
    return true;
}

static bool parse_repeat(struct parser *p, struct lx *l, struct payload *out, int depth)
{
    l->i += 7; /* "repeat(" */
    uint64_t count;
    if (!repeat_count(p, l, &count))
        return false;
    struct payload inner = {0};
    if (!repeat_pattern(p, l, &inner, depth)) {
        payload_free(&inner);
        return false;
    }
    size_t plen = (size_t)inner.len; /* <= PATTERN_BYTES_MAX: exact */
    uint8_t *pat = malloc(plen);
    if (!pat) {
        payload_free(&inner);
        perr_oom(p);
        return false;
    }
    payload_copy(&inner, 0, pat, plen);
    payload_free(&inner);
    return add_seg(p, out, pat, plen, count);
}

/* ------------------------------------------------------------ deflate(P) */

/* deflate(P) compresses P in pieces of about this size, each on its own: a
 * repeat(N, P) of any N then costs one piece of work and a few pieces of memory. */
#define DEFLATE_PIECE (1u << 20)

/* The compressed form of in[0..n) as one sync-flushed raw deflate segment (window 15,
 * level 9, no history), into a malloc'ed buffer; with_tail keeps the trailing
 * 00 00 ff ff, so that pieces can follow it. */
static uint8_t *deflate_piece(const uint8_t *in, size_t n, bool with_tail, size_t *out_len)
{
    struct ws_deflater d;
    struct ws_deflate_config dc = {.window_bits = 15, .no_context_takeover = true, .level = 9};
    if (ws_deflater_init(&d, &dc) != WS_E_OK)
        return NULL;
    size_t cap = ws_deflate_bound(&d, n) + 4, len = 0;
    uint8_t *out = malloc(cap);
    if (out && ws_deflate_message(&d, in, n, out, cap, &len) != WS_E_OK) {
        free(out);
        out = NULL;
    }
    ws_deflater_free(&d);
    if (out && with_tail) {
        memcpy(out + len, "\x00\x00\xff\xff", 4);
        len += 4;
    }
    *out_len = len;
    return out;
}

/* Compress the bytes [off, off + n) of inner (n <= DEFLATE_PIECE) as one piece and
 * append it to out, `times` times over (a repeat segment of the piece). */
static bool add_deflated(struct parser *p, struct payload *out, const struct payload *inner,
                         uint64_t off, size_t n, bool with_tail, uint64_t times)
{
    uint8_t *plain = malloc(n ? n : 1);
    if (!plain) {
        perr_oom(p);
        return false;
    }
    payload_copy(inner, off, plain, n);
    size_t zn;
    uint8_t *z = deflate_piece(plain, n, with_tail, &zn);
    free(plain);
    if (!z) {
        perr_oom(p);
        return false;
    }
    return add_seg(p, out, z, zn, zn * times);
}

/* deflate(P): P compressed as wsspec's permessage-deflate sender would (RFC 7692
 * 7.2.1: one segment, trailing 00 00 ff ff removed), for frames sent with rsv=4. A P of
 * up to 1 MiB is compressed whole. A larger one must be a single repeat: it is cut
 * into pieces of whole pattern periods, each compressed without history and ending
 * with its sync flush, so equal pieces compress to equal bytes and the result is a
 * repeat of one compressed piece - a deflate bomb of 4 GiB of zeros costs 1 MiB of
 * work and a few KiB. Concatenated sync-flushed segments are one valid deflate stream. */
static bool parse_deflate(struct parser *p, struct lx *l, struct payload *out, int depth)
{
    l->i += 8; /* "deflate(" */
    if (depth >= REPEAT_NEST_MAX) {
        perr(p, "deflate() nested more than %d deep", REPEAT_NEST_MAX);
        return false;
    }
    struct payload inner = {0};
    bool ok = parse_expr(p, l, &inner, depth + 1);
    lx_skip(l);
    if (ok && lx_peek(l) != ')') {
        perr(p, "expected ')' to close deflate(");
        ok = false;
    }
    l->i++;
    if (ok && inner.len <= DEFLATE_PIECE) {
        ok = add_deflated(p, out, &inner, 0, (size_t)inner.len, false, 1);
    } else if (ok && inner.n_segs != 1) {
        perr(p, "deflate() of more than %u bytes takes a single repeat(N, P)", DEFLATE_PIECE);
        ok = false;
    } else if (ok) {
        const struct payload_seg *g = &inner.segs[0];
        uint64_t piece = (DEFLATE_PIECE / g->pat_len) * g->pat_len; /* whole periods */
        uint64_t whole = inner.len / piece, rest = inner.len % piece;
        /* every piece but the last keeps its tail; the last one drops it */
        if (rest == 0) {
            ok = add_deflated(p, out, &inner, 0, (size_t)piece, true, whole - 1) &&
                 add_deflated(p, out, &inner, 0, (size_t)piece, false, 1);
        } else {
            ok = add_deflated(p, out, &inner, 0, (size_t)piece, true, whole) &&
                 add_deflated(p, out, &inner, whole * piece, (size_t)rest, false, 1);
        }
    }
    payload_free(&inner);
    return ok;
}

static bool parse_term(struct parser *p, struct lx *l, struct payload *out, int depth)
{
    lx_skip(l);
    if (l->i >= l->n) {
        perr(p, "payload missing (\"...\", 0xHEX or repeat(N, P))");
        return false;
    }
    const char *s = l->s + l->i;
    size_t left = l->n - l->i;
    if (s[0] == '"') {
        struct buf b = {0};
        if (!lx_quoted(p, l, &b)) {
            free(b.p);
            return false;
        }
        return add_seg(p, out, b.p, b.n, b.n);
    }
    if (left >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return parse_hex(p, l, out);
    if (left >= 7 && memcmp(s, "repeat(", 7) == 0)
        return parse_repeat(p, l, out, depth);
    if (left >= 8 && memcmp(s, "deflate(", 8) == 0)
        return parse_deflate(p, l, out, depth);
    char b[48];
    perr(p, "bad payload '%s' (expected \"...\", 0xHEX, repeat(N, P) or deflate(P))",
         span_show(b, lx_word(l)));
    return false;
}

/* P [+ P ...] appended to out. depth counts enclosing repeat(). */
static bool parse_expr(struct parser *p, struct lx *l, struct payload *out, int depth)
{
    if (!parse_term(p, l, out, depth))
        return false;
    for (;;) {
        size_t save = l->i;
        lx_skip(l);
        if (lx_peek(l) != '+') {
            l->i = save;
            return true;
        }
        l->i++;
        if (!parse_term(p, l, out, depth))
            return false;
    }
}

bool payload_parse(struct parser *p, struct lx *l, struct payload *out)
{
    return parse_expr(p, l, out, 0);
}

/*
 * fuzz_mutate.c - mutants of cases for `wsspec fuzz` (fuzz_mutate.h).
 *
 * One function per mutation, each a few lines on the parsed case; fuzz_mutate draws
 * them from one table. A mutation that does not apply (no step of the kind it needs)
 * does nothing; a mutant that breaks a rule of the case format (a `send payload`
 * without its `send begin`, say) is caught when it is read back (fuzz_case_copy).
 */
#include "fuzz_mutate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "case_print.h"

uint64_t fuzz_rng_next(struct fuzz_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t fuzz_rng_below(struct fuzz_rng *r, uint64_t n)
{
    return fuzz_rng_next(r) % n;
}

/* ------------------------------------------------------------ payloads */

static int payload_dup(struct payload *dst, const struct payload *src)
{
    *dst = (struct payload){0};
    if (src->n_segs == 0)
        return 0;
    dst->segs = calloc(src->n_segs, sizeof *dst->segs);
    if (!dst->segs)
        return -1;
    for (size_t i = 0; i < src->n_segs; i++) {
        const struct payload_seg *s = &src->segs[i];
        dst->segs[i].pat = malloc(s->pat_len ? s->pat_len : 1);
        if (!dst->segs[i].pat) {
            payload_free(dst);
            return -1;
        }
        memcpy(dst->segs[i].pat, s->pat, s->pat_len);
        dst->segs[i].pat_len = s->pat_len;
        dst->segs[i].len = s->len;
        dst->n_segs = i + 1;
    }
    dst->len = src->len;
    return 0;
}

/* One more literal segment of n bytes at the end (none for n = 0: a segment has bytes). */
static int payload_append(struct payload *p, const uint8_t *b, size_t n)
{
    if (n == 0)
        return 0;
    struct payload_seg *segs = realloc(p->segs, (p->n_segs + 1) * sizeof *segs);
    if (!segs)
        return -1;
    p->segs = segs;
    uint8_t *pat = malloc(n);
    if (!pat)
        return -1;
    memcpy(pat, b, n);
    segs[p->n_segs++] = (struct payload_seg){.pat = pat, .pat_len = n, .len = n};
    p->len += n;
    return 0;
}

static void payload_relen(struct payload *p)
{
    p->len = 0;
    for (size_t i = 0; i < p->n_segs; i++)
        p->len += p->segs[i].len;
}

/* Sequences a strict UTF-8 reader fails on, and ones it must take (RFC 3629). */
static const char *const utf8_bits[] = {
    "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "\xce",
    "\xe2\x82", "\xce\xba",     "\xf0\x9f\x98\x80", "\x00",
};

static int mutate_payload(struct payload *p, struct fuzz_rng *r)
{
    if (p->n_segs == 0 || fuzz_rng_below(r, 4) == 0) {
        const char *u = utf8_bits[fuzz_rng_below(r, sizeof utf8_bits / sizeof utf8_bits[0])];
        return payload_append(p, (const uint8_t *)u, u[0] ? strlen(u) : 1);
    }
    struct payload_seg *s = &p->segs[fuzz_rng_below(r, p->n_segs)];
    if (s->pat_len == 0)
        return 0; /* an empty literal: nothing to flip or cut, and no byte to keep */
    switch (fuzz_rng_below(r, 3)) {
    case 0: /* flip a byte */
        if (s->pat_len)
            s->pat[fuzz_rng_below(r, s->pat_len)] ^= (uint8_t)(1u << fuzz_rng_below(r, 8));
        break;
    case 1: /* cut */
        s->len = fuzz_rng_below(r, s->len + 1);
        if (s->len < s->pat_len || s->len == 0)
            s->pat_len = s->len ? s->len : s->pat_len;
        if (s->len == 0)
            s->len = s->pat_len = 1;
        break;
    default: /* grow a repeat */
        if (s->len != s->pat_len && s->len < FUZZ_PAYLOAD_MAX / 2)
            s->len = s->len * 2 + 1;
        break;
    }
    payload_relen(p);
    return 0;
}

/* ------------------------------------------------------------ steps */

static bool is_frame(const struct step *st)
{
    return st->type == STEP_FRAME || st->type == STEP_MESSAGE || st->type == STEP_BEGIN;
}

static struct step *pick_step(struct case_def *c, bool frames_only, struct fuzz_rng *r)
{
    if (c->n_steps == 0)
        return NULL;
    size_t k = fuzz_rng_below(r, c->n_steps);
    for (size_t i = 0; i < c->n_steps; i++) {
        struct step *st = &c->steps[(k + i) % c->n_steps];
        if (!frames_only || is_frame(st))
            return st;
    }
    return NULL;
}

/* Room for one more step at position at (0..n_steps); the new slot is zeroed. */
static struct step *insert_slot(struct case_def *c, size_t at)
{
    if (c->n_steps >= FUZZ_STEPS_MAX)
        return NULL;
    struct step *s = realloc(c->steps, (c->n_steps + 1) * sizeof *s);
    if (!s)
        return NULL;
    c->steps = s;
    memmove(&s[at + 1], &s[at], (c->n_steps - at) * sizeof *s);
    c->n_steps++;
    memset(&s[at], 0, sizeof *s);
    return &s[at];
}

static int insert_copy(struct case_def *c, size_t at, const struct step *src)
{
    struct step copy = *src;
    if (payload_dup(&copy.payload, &src->payload) != 0)
        return -1;
    struct step *slot = insert_slot(c, at);
    if (!slot) {
        payload_free(&copy.payload);
        return c->n_steps >= FUZZ_STEPS_MAX ? 0 : -1;
    }
    *slot = copy;
    slot->pipelined = false;
    return 0;
}

static int m_drop_step(struct case_def *c, const struct case_def *const *seeds, size_t n_seeds,
                       struct fuzz_rng *r)
{
    (void)seeds, (void)n_seeds;
    if (c->n_steps == 0)
        return 0;
    size_t i = fuzz_rng_below(r, c->n_steps);
    payload_free(&c->steps[i].payload);
    memmove(&c->steps[i], &c->steps[i + 1], (c->n_steps - i - 1) * sizeof c->steps[0]);
    c->n_steps--;
    return 0;
}

static int m_dup_step(struct case_def *c, const struct case_def *const *seeds, size_t n_seeds,
                      struct fuzz_rng *r)
{
    (void)seeds, (void)n_seeds;
    if (c->n_steps == 0)
        return 0;
    size_t i = fuzz_rng_below(r, c->n_steps);
    struct step src = c->steps[i]; /* insert_copy may move the array */
    return insert_copy(c, i + 1, &src);
}

static int m_swap_steps(struct case_def *c, const struct case_def *const *seeds, size_t n_seeds,
                        struct fuzz_rng *r)
{
    (void)seeds, (void)n_seeds;
    if (c->n_steps < 2)
        return 0;
    size_t i = fuzz_rng_below(r, c->n_steps - 1);
    struct step t = c->steps[i];
    c->steps[i] = c->steps[i + 1];
    c->steps[i + 1] = t;
    return 0;
}

/* A step of another seed case at a random place. */
static int m_splice(struct case_def *c, const struct case_def *const *seeds, size_t n_seeds,
                    struct fuzz_rng *r)
{
    const struct case_def *o = seeds[fuzz_rng_below(r, n_seeds)];
    if (o->n_steps == 0)
        return 0;
    const struct step *src = &o->steps[fuzz_rng_below(r, o->n_steps)];
    if (src->type == STEP_ROUNDTRIP || src->type == STEP_PAYLOAD)
        return 0;
    return insert_copy(c, fuzz_rng_below(r, c->n_steps + 1), src);
}

/* A ping, pong or Close frame with a short payload at a random place. */
static int m_control(struct case_def *c, const struct case_def *const *seeds, size_t n_seeds,
                     struct fuzz_rng *r)
{
    (void)seeds, (void)n_seeds;
    static const uint8_t ops[] = {WS_OP_PING, WS_OP_PONG, WS_OP_CLOSE, WS_OP_PING};
    uint8_t body[8];
    size_t n = fuzz_rng_below(r, sizeof body + 1);
    for (size_t i = 0; i < n; i++)
        body[i] = (uint8_t)('a' + fuzz_rng_below(r, 26));
    struct step st = {.type = STEP_FRAME, .fin = true, .opcode = ops[fuzz_rng_below(r, 4)]};
    if (payload_append(&st.payload, body, n) != 0) {
        payload_free(&st.payload);
        return -1;
    }
    struct step *slot = insert_slot(c, fuzz_rng_below(r, c->n_steps + 1));
    if (!slot) {
        payload_free(&st.payload);
        return 0;
    }
    *slot = st;
    return 0;
}

static int m_frame_field(struct case_def *c, const struct case_def *const *seeds, size_t n_seeds,
                         struct fuzz_rng *r)
{
    (void)seeds, (void)n_seeds;
    struct step *st = pick_step(c, true, r);
    if (!st)
        return 0;
    switch (fuzz_rng_below(r, 6)) {
    case 0:
        st->fin = !st->fin;
        break;
    case 1:
        st->rsv = (uint8_t)fuzz_rng_below(r, 8);
        break;
    case 2:
        if (st->type != STEP_MESSAGE)
            st->opcode = (uint8_t)fuzz_rng_below(r, 16);
        break;
    case 3:
        st->mask = (enum mask_mode)(1 + fuzz_rng_below(r, 3));
        for (size_t i = 0; i < 4; i++)
            st->mask_key[i] = (uint8_t)fuzz_rng_next(r);
        break;
    case 4:
        st->len_form = (enum ws_len_form)(1 + fuzz_rng_below(r, 3));
        break;
    default:
        st->chop = (uint32_t)(1 + fuzz_rng_below(r, 16));
        break;
    }
    return 0;
}

/* len=N that disagrees with the bytes (a frame or a begun one) */
static int m_declared_len(struct case_def *c, const struct case_def *const *seeds, size_t n_seeds,
                          struct fuzz_rng *r)
{
    (void)seeds, (void)n_seeds;
    struct step *st = pick_step(c, true, r);
    if (!st || st->type == STEP_MESSAGE)
        return 0;
    static const uint64_t lens[] = {0, 1, 125, 126, 127, 65535, 65536, 1ull << 31, 1ull << 62};
    st->len_override = true;
    st->declared_len = fuzz_rng_below(r, 2) ? st->payload.len + 1 - fuzz_rng_below(r, 3)
                                            : lens[fuzz_rng_below(r, sizeof lens / sizeof lens[0])];
    if (st->len_form == WS_LEN_7 && st->declared_len > 125)
        st->len_form = WS_LEN_MINIMAL;
    if (st->len_form == WS_LEN_16 && st->declared_len > 65535)
        st->len_form = WS_LEN_MINIMAL;
    return 0;
}

static int m_payload(struct case_def *c, const struct case_def *const *seeds, size_t n_seeds,
                     struct fuzz_rng *r)
{
    (void)seeds, (void)n_seeds;
    struct step *st = pick_step(c, false, r);
    if (!st || st->type == STEP_WAIT || (st->type == STEP_ROUNDTRIP && st->data))
        return 0;
    return mutate_payload(&st->payload, r);
}

static int m_fragment(struct case_def *c, const struct case_def *const *seeds, size_t n_seeds,
                      struct fuzz_rng *r)
{
    (void)seeds, (void)n_seeds;
    struct step *st = pick_step(c, true, r);
    if (st && st->type == STEP_MESSAGE)
        st->fragment = fuzz_rng_below(r, 8);
    return 0;
}

static int m_close_code(struct case_def *c, const struct case_def *const *seeds, size_t n_seeds,
                        struct fuzz_rng *r)
{
    (void)seeds, (void)n_seeds;
    static const uint16_t codes[] = {0,    999,  1000, 1001, 1004, 1005, 1006,
                                     1011, 1015, 2999, 3000, 4999, 5000, 65535};
    struct step *slot = insert_slot(c, c->n_steps);
    if (!slot)
        return 0;
    *slot = (struct step){.type = STEP_CLOSE,
                          .opcode = WS_OP_CLOSE,
                          .fin = true,
                          .close_has_code = true,
                          .close_code = codes[fuzz_rng_below(r, sizeof codes / sizeof codes[0])]};
    return 0;
}

/* ------------------------------------------------------------ compressed messages */

/* The offer a compressed mutant's request carries (sections 12, 13 and 18 use it). */
#define FUZZ_DEFLATE_OFFER "permessage-deflate"

/* Plain messages a compressed mutant compresses: short, valid UTF-8 */
static const char *const plain_texts[] = {
    "Hello",
    "compressed",
    "caf\xc3\xa9 \xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "abcabcabcabcabcabcabcabcabc xyz xyz xyz",
};

/* in[0..n) as a raw deflate stream (window 15) of out_cap bytes at most, sync-flushed
 * (finish: ended by Z_FINISH, its last block BFINAL), the 00 00 ff ff tail of a sync
 * flush stripped as RFC 7692 7.2.1 says when strip. Returns the length, 0 on failure. */
static size_t zdeflate(const uint8_t *in, size_t n, uint8_t *out, size_t out_cap, bool finish,
                       bool strip)
{
    z_stream z = {0};
    if (deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return 0;
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)out_cap;
    int rc = deflate(&z, finish ? Z_FINISH : Z_SYNC_FLUSH);
    size_t len = out_cap - z.avail_out;
    deflateEnd(&z);
    if ((finish && rc != Z_STREAM_END) || (!finish && (rc != Z_OK || z.avail_in != 0)))
        return 0;
    if (strip && !finish && len >= 4 && !memcmp(out + len - 4, "\x00\x00\xff\xff", 4))
        len -= 4;
    return len;
}

/* Bits of a deflate stream, least significant first (RFC 1951 3.1.1). */
struct bitw {
    uint8_t *b;
    size_t n, cap;
    unsigned nbits;
};

static void bits_put(struct bitw *w, uint32_t v, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        if (w->nbits == 0) {
            if (w->n == w->cap)
                return;
            w->b[w->n++] = 0;
        }
        w->b[w->n - 1] |= (uint8_t)(((v >> i) & 1u) << w->nbits);
        w->nbits = (w->nbits + 1) & 7u;
    }
}

/* A Huffman code: most significant bit first */
static void bits_code(struct bitw *w, uint32_t code, unsigned len)
{
    for (unsigned i = len; i-- > 0;)
        bits_put(w, (code >> i) & 1u, 1);
}

/* A fixed-Huffman block (RFC 1951 3.2.6) of k literals then a match of length 3 at
 * distance dist (1..4) > k: a reference before the start of the message, which with no
 * context carried over is before the start of the stream. */
static size_t far_reference(uint8_t *out, size_t cap, unsigned k, unsigned dist)
{
    struct bitw w = {.b = out, .cap = cap};
    bits_put(&w, 1, 1); /* BFINAL */
    bits_put(&w, 1, 2); /* BTYPE 01 */
    for (unsigned i = 0; i < k; i++)
        bits_code(&w, 0x30 + 'a' + i, 8); /* literals 0-143: 00110000 + lit */
    bits_code(&w, 1, 7);                  /* 257: length 3 */
    bits_code(&w, dist - 1, 5);           /* distance codes 0-3: distances 1-4 */
    bits_code(&w, 0, 7);                  /* 256: end of block */
    return w.n;
}

/* The bomb: FUZZ_BOMB_PIECE zeros compressed once (no context taken over), the piece
 * repeated: concatenated sync-flushed pieces are one stream of FUZZ_BOMB_PIECES pieces
 * that inflates to FUZZ_BOMB_PIECE * FUZZ_BOMB_PIECES zeros (16 MiB) from about 16 KiB
 * (deflate's ratio is at most about 1032:1). */
#define FUZZ_BOMB_PIECE (1u << 20)
#define FUZZ_BOMB_PIECES 16u

static int bomb_payload(struct payload *p)
{
    uint8_t *zeros = calloc(FUZZ_BOMB_PIECE, 1);
    uint8_t *z = malloc(FUZZ_BOMB_PIECE / 256);
    size_t n =
        zeros && z ? zdeflate(zeros, FUZZ_BOMB_PIECE, z, FUZZ_BOMB_PIECE / 256, false, false) : 0;
    free(zeros);
    int rc = n ? payload_append(p, z, n) : -1;
    free(z);
    if (rc != 0)
        return -1;
    p->segs[p->n_segs - 1].len = (uint64_t)n * FUZZ_BOMB_PIECES;
    payload_relen(p);
    return 0;
}

enum damage {
    DMG_TRUNCATED,
    DMG_FLIPPED,
    DMG_STORED_LEN,
    DMG_BFINAL,
    DMG_FAR_REFERENCE,
    DMG_BOMB,
    DMG_NONE,
    DMG_COUNT
};

/* A compressed payload, damaged as d says, appended to out. The bomb keeps the tail of
 * its last piece (a piece is repeated whole): one more empty stored block, harmless. */
static int compressed_payload(struct payload *out, enum damage d, struct fuzz_rng *r)
{
    if (d == DMG_BOMB)
        return bomb_payload(out);
    const char *t = plain_texts[fuzz_rng_below(r, sizeof plain_texts / sizeof plain_texts[0])];
    uint8_t z[256];
    size_t n = 0;
    switch (d) {
    case DMG_STORED_LEN: { /* a stored block whose LEN and NLEN lie */
        size_t tl = strlen(t) > 64 ? 64 : strlen(t);
        uint16_t len = (uint16_t)tl, nlen = (uint16_t)~len;
        if (fuzz_rng_below(r, 2))
            nlen ^= (uint16_t)(1u << fuzz_rng_below(r, 16)); /* NLEN not LEN's complement */
        else
            len = (uint16_t)(tl + 1 + fuzz_rng_below(r, 4000)), nlen = (uint16_t)~len;
        z[0] = 0; /* BFINAL 0, BTYPE 00, the rest of the byte padding */
        z[1] = (uint8_t)len, z[2] = (uint8_t)(len >> 8);
        z[3] = (uint8_t)nlen, z[4] = (uint8_t)(nlen >> 8);
        memcpy(z + 5, t, tl);
        n = 5 + tl;
        break;
    }
    case DMG_FAR_REFERENCE: {
        unsigned dist = (unsigned)(1 + fuzz_rng_below(r, 4));
        n = far_reference(z, sizeof z, (unsigned)fuzz_rng_below(r, dist), dist);
        break;
    }
    case DMG_BFINAL: /* the last block final, and at times bytes after it */
        n = zdeflate((const uint8_t *)t, strlen(t), z, sizeof z - 8, true, false);
        if (n && fuzz_rng_below(r, 2))
            for (size_t k = 1 + fuzz_rng_below(r, 8); k > 0; k--)
                z[n++] = (uint8_t)fuzz_rng_next(r);
        break;
    default:
        n = zdeflate((const uint8_t *)t, strlen(t), z, sizeof z, false, true);
        if (n && d == DMG_TRUNCATED)
            n = fuzz_rng_below(r, n);
        if (n && d == DMG_FLIPPED)
            for (size_t k = 1 + fuzz_rng_below(r, 3); k > 0; k--)
                z[fuzz_rng_below(r, n)] ^= (uint8_t)(1u << fuzz_rng_below(r, 8));
        break;
    }
    return n ? payload_append(out, z, n) : 0;
}

/* The permessage-deflate offer, and a compressed message (RSV1) whose stream is damaged
 * - truncated, bits flipped, a stored block whose length lies, BFINAL set, a reference
 * before the start, a bomb of 16 MiB - or, whole, in two frames with RSV1 on the
 * continuation too; or RSV1 on a control frame. */
static int m_compressed(struct case_def *c, const struct case_def *const *seeds, size_t n_seeds,
                        struct fuzz_rng *r)
{
    (void)seeds, (void)n_seeds;
    if (!c->deflate_offer && !(c->deflate_offer = strdup(FUZZ_DEFLATE_OFFER)))
        return -1;
    size_t at = fuzz_rng_below(r, c->n_steps + 1);
    struct step st[2] = {{.type = STEP_FRAME, .fin = true, .rsv = 4}};
    size_t n = 1;
    unsigned kind = (unsigned)fuzz_rng_below(r, DMG_COUNT + 2);
    int rc = 0;
    if (kind < DMG_COUNT) {
        st[0].opcode = fuzz_rng_below(r, 4) ? WS_OP_TEXT : WS_OP_BINARY;
        rc = compressed_payload(&st[0].payload, (enum damage)kind, r);
    } else if (kind == DMG_COUNT) { /* two frames, RSV1 on the continuation as well */
        struct payload whole = {0};
        rc = compressed_payload(&whole, DMG_NONE, r);
        if (rc == 0 && whole.n_segs == 1) {
            const struct payload_seg *s = &whole.segs[0];
            size_t cut = fuzz_rng_below(r, s->pat_len + 1);
            st[0].opcode = WS_OP_TEXT, st[0].fin = false;
            st[1] = (struct step){.type = STEP_FRAME,
                                  .fin = true,
                                  .opcode = WS_OP_CONT,
                                  .rsv = (uint8_t)(fuzz_rng_below(r, 2) ? 4 : 0)};
            rc = payload_append(&st[0].payload, s->pat, cut);
            if (rc == 0)
                rc = payload_append(&st[1].payload, s->pat + cut, s->pat_len - cut);
            n = 2;
        }
        payload_free(&whole);
    } else { /* RSV1 on a control frame */
        static const uint8_t ops[] = {WS_OP_PING, WS_OP_PONG, WS_OP_CLOSE};
        st[0].opcode = ops[fuzz_rng_below(r, 3)];
        rc = payload_append(&st[0].payload, (const uint8_t *)"x", 1);
    }
    bool room = rc == 0;
    for (size_t i = 0; i < n; i++) {
        struct step *slot = room ? insert_slot(c, at + i) : NULL;
        room = slot != NULL; /* at + i stays within the steps */
        if (slot)
            *slot = st[i];
        else
            payload_free(&st[i].payload);
    }
    return rc;
}

/* ------------------------------------------------------------ the opening request */

static const char *const header_lines[] = {
    "Origin: http://wsspec.invalid",
    "Sec-WebSocket-Protocol: chat",
    "Sec-WebSocket-Version: 13",
    "Sec-WebSocket-Version: 8",
    "Sec-WebSocket-Key: {key}",
    "Connection: Upgrade",
    "Upgrade: websocket",
    "Host: {host}",
    "Content-Length: 5",
    "Transfer-Encoding: chunked",
    "X-Wsspec-Fuzz: \x01\x7f\xff",
};

static const char *const header_names[] = {
    "Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Origin",
};

static const char *const header_values[] = {
    "", "13", "8", "websocket", "WebSocket", "Upgrade", "keep-alive, Upgrade", "{key}", "x",
};

static struct request_edit *add_edit(struct case_def *c)
{
    if (c->request.n_edits >= 16)
        return NULL;
    for (size_t i = 0; i < c->request.n_edits; i++)
        if (c->request.edits[i].kind == EDIT_RAW)
            return NULL; /* the whole request is given: no edits with it */
    struct request_edit *e = realloc(c->request.edits, (c->request.n_edits + 1) * sizeof *e);
    if (!e)
        return NULL;
    c->request.edits = e;
    e = &e[c->request.n_edits++];
    memset(e, 0, sizeof *e);
    c->request.own = true;
    return e;
}

static int m_header(struct case_def *c, const struct case_def *const *seeds, size_t n_seeds,
                    struct fuzz_rng *r)
{
    (void)seeds, (void)n_seeds;
    struct request_edit *e = add_edit(c);
    if (!e)
        return 0;
    const char *name =
        header_names[fuzz_rng_below(r, sizeof header_names / sizeof header_names[0])];
    const char *text = NULL;
    switch (fuzz_rng_below(r, 3)) {
    case 0:
        e->kind = EDIT_ADD;
        text = header_lines[fuzz_rng_below(r, sizeof header_lines / sizeof header_lines[0])];
        break;
    case 1:
        e->kind = EDIT_DROP;
        snprintf(e->name, sizeof e->name, "%s", name);
        return 0;
    default:
        e->kind = EDIT_SET;
        snprintf(e->name, sizeof e->name, "%s", name);
        if (fuzz_rng_below(r, 2)) /* the name in odd case */
            for (char *p = e->name; *p; p++)
                if (fuzz_rng_below(r, 2))
                    *p = (char)(*p ^ 0x20 * ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z'));
        text = header_values[fuzz_rng_below(r, sizeof header_values / sizeof header_values[0])];
        break;
    }
    return payload_append(&e->value, (const uint8_t *)text, strlen(text));
}

static int m_request_chop(struct case_def *c, const struct case_def *const *seeds, size_t n_seeds,
                          struct fuzz_rng *r)
{
    (void)seeds, (void)n_seeds;
    c->request.chop = (uint32_t)(1 + fuzz_rng_below(r, 64));
    c->request.own = true;
    return 0;
}

/* ------------------------------------------------------------ the table */

typedef int (*mutation_fn)(struct case_def *c, const struct case_def *const *seeds, size_t n_seeds,
                           struct fuzz_rng *r);

/* Frame-level mutations come more often than the request's: most of a conversation
 * is frames. */
static const mutation_fn mutations[] = {
    m_drop_step,   m_dup_step,     m_swap_steps,   m_splice,     m_control,  m_frame_field,
    m_frame_field, m_declared_len, m_payload,      m_payload,    m_fragment, m_close_code,
    m_header,      m_header,       m_request_chop, m_compressed,
};

int fuzz_mutate(struct case_def *c, const struct case_def *const *seeds, size_t n_seeds,
                unsigned n_mut, struct fuzz_rng *r)
{
    for (unsigned i = 0; i < n_mut; i++)
        if (mutations[fuzz_rng_below(r, sizeof mutations / sizeof mutations[0])](c, seeds, n_seeds,
                                                                                 r) != 0)
            return -1;
    return 0;
}

/* ------------------------------------------------------------ fuzz cases */

static void clamp_seconds(double *s, double max)
{
    if (*s > max)
        *s = max;
}

static void clamp_payload(struct payload *p)
{
    for (size_t i = 0; i < p->n_segs; i++)
        if (p->segs[i].len > FUZZ_PAYLOAD_MAX && p->segs[i].len != p->segs[i].pat_len)
            p->segs[i].len = FUZZ_PAYLOAD_MAX;
    payload_relen(p);
}

static void event_list_clear(struct event_list *el)
{
    for (size_t i = 0; i < el->n; i++)
        payload_free(&el->events[i].payload);
    free(el->events);
    *el = (struct event_list){0};
}

/* A roundtrip becomes the message it sends (a sliced one: dropped by emptying it) */
static void plain_steps(struct case_def *c)
{
    for (size_t i = 0; i < c->n_steps; i++) {
        struct step *st = &c->steps[i];
        if (st->type == STEP_ROUNDTRIP) {
            st->type = STEP_MESSAGE;
            st->count = 0;
            st->data = 0;
            st->slice = 0;
        }
        if (st->type == STEP_WAIT)
            clamp_seconds(&st->seconds, FUZZ_WAIT_MAX);
        clamp_seconds(&st->pause, FUZZ_WAIT_MAX / 10);
        clamp_payload(&st->payload);
    }
}

void fuzz_mutant_prepare(struct case_def *c)
{
    event_list_clear(&c->ok);
    event_list_clear(&c->non_strict);
    c->judge = JUDGE_INFORMATIONAL;
    c->size_content = c->size_binary = false;
    c->size_len = c->size_count = 0;
    free(c->checks);
    c->checks = NULL;
    c->n_checks = 0;
    c->ends_at_response = false;
    c->has_policy = c->policy_declared = false;
    c->pongs_may_coalesce = false;
    plain_steps(c);
    if (c->kill_after <= 0 || c->kill_after > FUZZ_KILL_AFTER_MAX)
        c->kill_after = FUZZ_KILL_AFTER_MAX;
    if (c->close_after <= 0 || c->close_after > FUZZ_CLOSE_AFTER)
        c->close_after = FUZZ_CLOSE_AFTER;
    clamp_seconds(&c->response_timeout, FUZZ_KILL_AFTER_MAX);
    clamp_seconds(&c->request.gap, FUZZ_WAIT_MAX / 10);
    if (!c->close.closed_by_me && c->close.n_codes == 0)
        c->close.closed_by_me = true;
}

static void diag_ignore(void *ud, const char *msg)
{
    (void)ud, (void)msg;
}

int fuzz_case_copy(const struct case_def *c, const char *id, struct case_catalogue *out,
                   char **text)
{
    memset(out, 0, sizeof *out);
    char *s = case_print_string(c, id);
    if (!s)
        return -1;
    if (case_parse_buffer(out, "mutant", s, strlen(s), diag_ignore, NULL) != 0 ||
        out->n_cases != 1) {
        case_catalogue_free(out);
        free(s);
        return -1;
    }
    if (text)
        *text = s;
    else
        free(s);
    return 0;
}

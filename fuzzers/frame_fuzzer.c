/*
 * frame_fuzzer.c - the resumable frame decoder (ws_frame_decode), both roles.
 *
 * Input: one byte of rules (bit 0 the receiver's role, bits 1-3 the RSV bits an
 * extension allows, bits 4-5 the largest frame: none, 125, 65535 or 1 MiB), four bytes
 * of chop schedule (fuzz_input.h), then the byte stream as it came off the wire.
 *
 * The stream is decoded two ways that must agree exactly - every header (offset and
 * fields), the number of payload bytes and of completed frames, the error and the
 * stream offset it is reported at:
 *   1. the decoder, given the stream in the pieces the chop schedule cuts (a schedule
 *      of large pieces is the whole stream in one call), with the bytes after each
 *      piece fenced off (fuzz_fence: a read past a piece is an ASan report);
 *   2. ref_decode below: a direct, non-resumable reading of RFC 6455 section 5.2 over
 *      the whole buffer, written independently of ws_frame.c's state machine.
 * Along the way every event is checked against the API's promises: HEADER, then
 * PAYLOAD slices of the caller's input in order, then END; NONE only once the input is
 * used up; a header that passed obeys every rule; each payload byte is the received
 * byte XOR the mask key at the phase of its payload offset (section 5.3); errors are
 * sticky.
 *
 * The target is kept lean on purpose (no allocation per run, headers compared field
 * by field rather than hashed): its speed is measured against an empty target
 * (fuzzers/README.md, "Throughput").
 */
#include "fuzz_input.h"

#include "ws_frame.h"

FUZZ_NOCOV_BEGIN

/* What a decoding saw. The reference keeps its headers in scratch.hdr; the decoder's
 * are compared with them one by one as they come. */
struct trace {
    size_t headers;
    uint64_t frames_done;
    uint64_t payload_bytes;
    enum ws_error error;
    uint64_t error_offset;
};

/* Buffers kept from run to run (grown, never shrunk): the copy of the stream the
 * decoder unmasks in place, and the reference's headers. */
static struct {
    uint8_t *buf;
    size_t buf_cap;
    struct ws_frame_header *hdr;
    size_t hdr_cap;
} scratch;

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap : 256;
    while (n < need)
        n *= 2;
    p = realloc(p, n * elem);
    if (!p)
        abort();
    *cap = n;
    return p;
}

static bool opcode_reserved(unsigned op)
{
    return (op >= 3 && op <= 7) || op >= 0xB;
}

static bool header_equal(const struct ws_frame_header *a, const struct ws_frame_header *b)
{
    return a->fin == b->fin && a->rsv == b->rsv && a->opcode == b->opcode &&
           a->masked == b->masked && memcmp(a->mask_key, b->mask_key, 4) == 0 &&
           a->payload_len == b->payload_len && a->header_len == b->header_len &&
           a->frame_offset == b->frame_offset;
}

/* ------------------------------------------------------------ the reference */

/* Section 5.2's frame layout read directly from a whole buffer: each rule is checked
 * at the first byte that decides it, in the order ws_frame.h documents (byte 0: RSV,
 * opcode, control FIN; byte 1: mask, control length, 7-bit length limit; extended
 * length: MSB, then minimal encoding, then limit). */
static void ref_decode(const struct ws_frame_rules *r, const uint8_t *s, size_t n, struct trace *t)
{
    uint64_t limit = r->max_frame;
    size_t pos = 0;
    memset(t, 0, sizeof *t);
    for (;;) {
        if (pos >= n)
            return;
        uint8_t b0 = s[pos];
        unsigned opcode = b0 & 0xFu, rsv = (b0 >> 4) & 7u;
        bool fin = (b0 & 0x80u) != 0, control = (opcode & 8u) != 0;
        enum ws_error e = WS_E_OK;
        if (rsv & ~(unsigned)r->rsv_allowed)
            e = WS_E_RSV_NOT_NEGOTIATED;
        else if (opcode_reserved(opcode))
            e = WS_E_OPCODE_RESERVED;
        else if (control && !fin)
            e = WS_E_CONTROL_FRAGMENTED;
        if (e) {
            t->error = e;
            t->error_offset = pos;
            return;
        }
        if (pos + 1 >= n)
            return;
        uint8_t b1 = s[pos + 1];
        bool masked = (b1 & 0x80u) != 0;
        unsigned len7 = b1 & 0x7Fu;
        if (r->role == WS_ROLE_SERVER && !masked)
            e = WS_E_MASK_MISSING;
        else if (r->role == WS_ROLE_CLIENT && masked)
            e = WS_E_MASK_UNEXPECTED;
        else if (control && len7 > 125)
            e = WS_E_CONTROL_TOO_LONG;
        else if (len7 <= 125 && limit && len7 > limit)
            e = WS_E_FRAME_TOO_BIG;
        if (e) {
            t->error = e;
            t->error_offset = pos + 1;
            return;
        }
        size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
        uint64_t len = len7;
        if (ext) {
            if (ext == 8 && pos + 2 < n && (s[pos + 2] & 0x80u)) {
                t->error = WS_E_LENGTH_MSB_SET;
                t->error_offset = pos + 2;
                return;
            }
            if (n - pos < 2 + ext)
                return;
            len = 0;
            for (size_t j = 0; j < ext; j++)
                len = len << 8 | s[pos + 2 + j];
            if ((ext == 2 && len <= 125) || (ext == 8 && len <= 0xFFFF))
                e = WS_E_LENGTH_NOT_MINIMAL;
            else if (limit && len > limit)
                e = WS_E_FRAME_TOO_BIG;
            if (e) {
                t->error = e;
                t->error_offset = pos + 1 + ext;
                return;
            }
        }
        size_t hlen = 2 + ext + (masked ? 4 : 0);
        if (n - pos < hlen)
            return;
        scratch.hdr = grow(scratch.hdr, &scratch.hdr_cap, t->headers + 1, sizeof *scratch.hdr);
        struct ws_frame_header *h = &scratch.hdr[t->headers++];
        *h = (struct ws_frame_header){.fin = fin,
                                      .rsv = (uint8_t)rsv,
                                      .opcode = (uint8_t)opcode,
                                      .masked = masked,
                                      .payload_len = len,
                                      .header_len = (uint8_t)hlen,
                                      .frame_offset = pos};
        if (masked)
            memcpy(h->mask_key, s + pos + 2 + ext, 4);
        pos += hlen;
        uint64_t have = n - pos < len ? n - pos : len;
        t->payload_bytes += have;
        if (have < len)
            return;
        pos += (size_t)len;
        t->frames_done++;
    }
}

/* ------------------------------------------------------------ the decoder */

struct run {
    const struct ws_frame_rules *rules;
    const uint8_t *orig; /* the stream as received, for the unmasking check */
    const struct trace *ref;
    struct ws_frame_decoder d;
    struct trace t;
    bool in_frame;         /* between HEADER and END */
    uint64_t payload_done; /* of the current frame */
    struct ws_frame_header cur;
};

/* A header the decoder let through must obey every rule it enforces - checked here
 * too, so that a reference that shared a mistake would not hide it. */
static void check_header(const struct run *r, const struct ws_frame_header *h)
{
    const struct ws_frame_rules *ru = r->rules;
    FUZZ_CHECK((h->rsv & ~ru->rsv_allowed) == 0);
    FUZZ_CHECK(!opcode_reserved(h->opcode));
    FUZZ_CHECK(h->masked == (ru->role == WS_ROLE_SERVER));
    if (h->opcode & 8u)
        FUZZ_CHECK(h->fin && h->payload_len <= WS_CONTROL_MAX);
    FUZZ_CHECK(!(h->payload_len >> 63));
    if (ru->max_frame)
        FUZZ_CHECK(h->payload_len <= ru->max_frame);
    unsigned ext = h->payload_len <= 125 ? 0 : h->payload_len <= 0xFFFF ? 2 : 8;
    FUZZ_CHECK(h->header_len == 2 + ext + (h->masked ? 4 : 0));
}

/* Decode one piece (in = the stream's bytes from offset start) to its end or to an
 * error. Returns false once the decoder has failed. */
static bool run_piece(struct run *r, uint8_t *in, size_t len, uint64_t start)
{
    size_t off = 0;
    for (;;) {
        size_t n = SIZE_MAX;
        struct ws_frame_event ev;
        enum ws_error e = ws_frame_decode(&r->d, in + off, len - off, &n, &ev);
        FUZZ_CHECK(n <= len - off);
        off += n;
        if (e) {
            FUZZ_CHECK(ev.type == WS_FRAME_NONE);
            uint64_t at = UINT64_MAX;
            FUZZ_CHECK(ws_frame_decoder_error(&r->d, &at) == e);
            FUZZ_CHECK(at == start + off); /* consumption stops at the bad byte */
            r->t.error = e;
            r->t.error_offset = at;
            /* sticky: the same error again, nothing consumed */
            FUZZ_CHECK(ws_frame_decode(&r->d, in + off, len - off, &n, &ev) == e);
            FUZZ_CHECK(n == 0 && ev.type == WS_FRAME_NONE);
            return false;
        }
        switch (ev.type) {
        case WS_FRAME_NONE:
            FUZZ_CHECK(off == len);
            return true;
        case WS_FRAME_HEADER:
            FUZZ_CHECK(!r->in_frame);
            FUZZ_CHECK(start + off == ev.hdr->frame_offset + ev.hdr->header_len);
            FUZZ_CHECK(r->t.headers < r->ref->headers);
            FUZZ_CHECK(header_equal(ev.hdr, &scratch.hdr[r->t.headers]));
            check_header(r, ev.hdr);
            r->t.headers++;
            r->cur = *ev.hdr;
            r->in_frame = true;
            r->payload_done = 0;
            break;
        case WS_FRAME_PAYLOAD: {
            FUZZ_CHECK(r->in_frame && ev.len > 0);
            FUZZ_CHECK(ev.data == in + off - n && ev.len == n);
            FUZZ_CHECK(ev.payload_offset == r->payload_done);
            FUZZ_CHECK(ev.len <= r->cur.payload_len - r->payload_done);
            /* Unmasked in place with the phase of the payload offset (section 5.3),
             * checked one byte at a time against the bytes as received. */
            const uint8_t *was = r->orig + (start + off - n);
            if (r->cur.masked) {
                /* branch-free, so the compiler vectorises it: payloads are most bytes */
                uint8_t k[4], diff = 0;
                for (unsigned j = 0; j < 4; j++)
                    k[j] = r->cur.mask_key[(ev.payload_offset + j) & 3];
                for (size_t i = 0; i < ev.len; i++)
                    diff |= (uint8_t)(ev.data[i] ^ was[i] ^ k[i & 3]);
                FUZZ_CHECK(diff == 0);
            } else {
                FUZZ_CHECK(memcmp(ev.data, was, ev.len) == 0);
            }
            r->payload_done += ev.len;
            r->t.payload_bytes += ev.len;
            break;
        }
        case WS_FRAME_END:
            FUZZ_CHECK(r->in_frame && n == 0);
            FUZZ_CHECK(r->payload_done == r->cur.payload_len);
            r->in_frame = false;
            r->t.frames_done++;
            break;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t limits[4] = {0, WS_CONTROL_MAX, 0xFFFF, 1u << 20};
    struct fuzz_in in = {data, size};
    uint8_t cfg = fuzz_u8(&in);
    struct fuzz_chop chop;
    fuzz_chop_init(&chop, &in);
    struct ws_frame_rules rules = {.role = (cfg & 1) ? WS_ROLE_CLIENT : WS_ROLE_SERVER,
                                   .rsv_allowed = (uint8_t)((cfg >> 1) & 7u),
                                   .max_frame = limits[(cfg >> 4) & 3u]};
    const uint8_t *s = in.p;
    size_t n = in.n;

    struct trace ref;
    ref_decode(&rules, s, n, &ref);

    /* The decoder works on a copy (it unmasks in place) whose end is fenced too. */
    scratch.buf = grow(scratch.buf, &scratch.buf_cap, n + FUZZ_FENCE, 1);
    if (n)
        memcpy(scratch.buf, s, n);
    struct run r = {.rules = &rules, .orig = s, .ref = &ref};
    ws_frame_decoder_init(&r.d, &rules);
    size_t pos = 0, end = n + FUZZ_FENCE;
    do {
        size_t k = fuzz_chop_next(&chop, n - pos);
        fuzz_fence(scratch.buf, end, pos + k, true);
        bool ok = run_piece(&r, scratch.buf + pos, k, pos);
        fuzz_fence(scratch.buf, end, pos + k, false);
        if (!ok)
            break;
        pos += k;
    } while (pos < n);

    FUZZ_CHECK(r.t.headers == ref.headers && r.t.frames_done == ref.frames_done);
    FUZZ_CHECK(r.t.payload_bytes == ref.payload_bytes);
    FUZZ_CHECK(r.t.error == ref.error);
    if (ref.error)
        FUZZ_CHECK(r.t.error_offset == ref.error_offset);
    return 0;
}

FUZZ_NOCOV_END

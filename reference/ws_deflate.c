/*
 * ws_deflate.c - permessage-deflate's compression and decompression (RFC 7692 section
 * 7.2) on zlib's raw deflate (see ws_deflate.h).
 *
 * Both directions keep their zlib state in one block of their own (struct ws_zdeflate,
 * struct ws_zinflate) that is allocated on the first message and, without context
 * takeover, released after every message. zlib allocates through the caller's
 * allocator; every block it gets carries its size in front, so the bytes a direction
 * holds can be counted exactly (ws_deflater_memory, ws_inflater_memory).
 *
 * The inflater never hands out more than cfg.max_message bytes of a message, and never
 * asks zlib for more than one byte beyond it: its output space per call is the smaller
 * of one chunk and what is left of the limit plus one, so a deflate bomb costs at most
 * max_message + 1 bytes of work and no memory beyond the fixed state.
 */
#include "ws_deflate.h"

#include <assert.h>
#include <string.h>

#include <zlib.h>

/* zlib counts lengths in uInt; longer inputs and outputs go through in pieces. */
#define WS_Z_PIECE ((size_t)1 << 30)

/* RFC 7692 section 7.2.1: "Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the tail
 * end." Section 7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the
 * payload of the message." */
static const uint8_t ws_pmd_tail[4] = {0x00, 0x00, 0xff, 0xff};

/* ------------------------------------------------------------ zlib's memory */

/* The header in front of every block zlib gets: its size, for zfree (which is not told
 * it) to uncount. max_align_t keeps the block after it aligned as malloc's would be. */
union ws_zhdr {
    size_t size;
    max_align_t align;
};

struct ws_zmem {
    struct ws_allocator alloc; /* a copy: zlib's callbacks never point into caller structs */
    size_t bytes;              /* held by zlib now, headers included */
};

static voidpf ws_zalloc(voidpf opaque, uInt items, uInt size)
{
    struct ws_zmem *m = opaque;
    if (size && items > (SIZE_MAX - sizeof(union ws_zhdr)) / size)
        return Z_NULL;
    size_t n = (size_t)items * size + sizeof(union ws_zhdr);
    union ws_zhdr *h = ws_realloc(&m->alloc, NULL, n);
    if (!h)
        return Z_NULL;
    h->size = n;
    m->bytes += n;
    return h + 1;
}

static void ws_zfree(voidpf opaque, voidpf p)
{
    struct ws_zmem *m = opaque;
    if (!p)
        return;
    union ws_zhdr *h = (union ws_zhdr *)p - 1;
    m->bytes -= h->size;
    ws_free(&m->alloc, h);
}

static void ws_zmem_attach(z_stream *zs, struct ws_zmem *m, const struct ws_allocator *a)
{
    m->alloc = *a;
    m->bytes = 0;
    zs->zalloc = ws_zalloc;
    zs->zfree = ws_zfree;
    zs->opaque = m;
}

/* ------------------------------------------------------------ deflater */

struct ws_zdeflate {
    z_stream zs;
    struct ws_zmem mem;
};

enum ws_error ws_deflater_init(struct ws_deflater *d, const struct ws_deflate_config *cfg)
{
    memset(d, 0, sizeof *d);
    struct ws_deflate_config c = *cfg;
    if (c.window_bits == 0)
        c.window_bits = 15;
    if (c.level == 0)
        c.level = WS_DEFLATE_DEFAULT_LEVEL;
    if (c.mem_level == 0)
        c.mem_level = 8;
    if (c.window_bits < 8 || c.window_bits > 15 || c.level < 1 || c.level > 9 || c.mem_level < 1 ||
        c.mem_level > 9)
        return WS_E_INVALID_ARGUMENT;
    d->cfg = c;
    return WS_E_OK;
}

static void ws_deflater_stop(struct ws_deflater *d)
{
    struct ws_zdeflate *z = d->z;
    if (!z)
        return;
    deflateEnd(&z->zs);
    ws_free(&d->cfg.alloc, z);
    d->z = NULL;
}

void ws_deflater_free(struct ws_deflater *d)
{
    ws_deflater_stop(d);
}

void ws_deflater_reset(struct ws_deflater *d)
{
    ws_deflater_stop(d);
}

/* The zlib state for the first message (or every message without context takeover). */
static enum ws_error ws_deflater_start(struct ws_deflater *d)
{
    struct ws_zdeflate *z = ws_realloc(&d->cfg.alloc, NULL, sizeof *z);
    if (!z)
        return WS_E_NOMEM;
    memset(z, 0, sizeof *z);
    ws_zmem_attach(&z->zs, &z->mem, &d->cfg.alloc);
    /* RFC 7692 section 7.1.2.1: "By including this parameter in an extension
     * negotiation offer, a client limits the LZ77 sliding window size that the server
     * will use to compress messages." (7.1.2.2 the same for the client.) zlib refuses a
     * raw window of 8 (256 bytes), so for 8 a window of 9 compresses with Z_RLE: every
     * match it emits is at distance 1, which a 256-byte window holds. Without context
     * takeover every window below 15 compresses so, in zlib's 32 KiB window: a small
     * window makes zlib slide its hash table every window's worth of input (33 MB/s at
     * 9 bits against 207 at 15, level 1, JSON), Z_RLE never looks it up (144 MB/s), and
     * the state is released after each message anyway. With context takeover the
     * window's own size keeps the state that stays small. */
    bool small = d->cfg.window_bits < 15;
    bool rle_wide = small && d->cfg.no_context_takeover;
    int bits = rle_wide ? 15 : d->cfg.window_bits == 8 ? 9 : d->cfg.window_bits;
    int strategy = rle_wide || d->cfg.window_bits == 8 ? Z_RLE : Z_DEFAULT_STRATEGY;
    /* On failure deflateInit2 has released whatever it had allocated. */
    if (deflateInit2(&z->zs, d->cfg.level, Z_DEFLATED, -bits, d->cfg.mem_level, strategy) != Z_OK) {
        ws_free(&d->cfg.alloc, z);
        return WS_E_NOMEM;
    }
    d->z = z;
    return WS_E_OK;
}

/* deflateBound without a stream gives zlib's conservative bound for any parameters
 * (stored blocks of the smallest memLevel, or fixed codes with 9-bit literals). It is
 * stated for a stream finished with Z_FINISH; a Z_SYNC_FLUSH ends the last block the
 * same way and then adds an empty stored block: 3 bits, padding to the byte, and 4
 * bytes of LEN/NLEN - at most 5 bytes more. One byte more again, so that a buffer of
 * the bound is never filled completely: zlib's flush is known to be complete only when
 * it returns with output space left. */
size_t ws_deflate_bound(const struct ws_deflater *d, size_t len)
{
    (void)d;
    if (len > SIZE_MAX / 2)
        return SIZE_MAX;
    uLong b = deflateBound(NULL, (uLong)len);
    if (b > SIZE_MAX - 6)
        return SIZE_MAX;
    return (size_t)b + 6;
}

/* Run all of in through zlib into out, ending with Z_SYNC_FLUSH. *n = bytes written. */
static enum ws_error ws_deflate_run(z_stream *zs, const uint8_t *in, size_t len, uint8_t *out,
                                    size_t cap, size_t *n)
{
    size_t in_left = len, out_left = cap;
    zs->next_in = (Bytef *)(uintptr_t)in; /* zlib does not write through next_in */
    zs->next_out = out;
    for (;;) {
        uInt ain = (uInt)(in_left < WS_Z_PIECE ? in_left : WS_Z_PIECE);
        uInt aout = (uInt)(out_left < WS_Z_PIECE ? out_left : WS_Z_PIECE);
        int flush = in_left == ain ? Z_SYNC_FLUSH : Z_NO_FLUSH;
        zs->avail_in = ain;
        zs->avail_out = aout;
        int ret = deflate(zs, flush);
        in_left -= ain - zs->avail_in;
        out_left -= aout - zs->avail_out;
        if (ret != Z_OK && ret != Z_BUF_ERROR)
            return WS_E_INVALID_ARGUMENT; /* Z_STREAM_ERROR: the state is broken */
        /* With output space left after Z_SYNC_FLUSH, all input is in and flushed. A
         * second Z_SYNC_FLUSH without new input (an empty message with context
         * takeover) gives Z_BUF_ERROR and nothing at all: also complete. */
        if (flush == Z_SYNC_FLUSH && zs->avail_out > 0)
            break;
        if (out_left == 0)
            return WS_E_BUFFER_TOO_SMALL;
    }
    *n = cap - out_left;
    return WS_E_OK;
}

enum ws_error ws_deflate_message(struct ws_deflater *d, const uint8_t *in, size_t len, uint8_t *out,
                                 size_t cap, size_t *out_len)
{
    if (cap < ws_deflate_bound(d, len))
        return WS_E_BUFFER_TOO_SMALL; /* before any state changes: the stream stays usable */
    if (!d->z) {
        enum ws_error e = ws_deflater_start(d);
        if (e != WS_E_OK)
            return e;
    }
    struct ws_zdeflate *z = d->z;
    size_t n = 0;
    enum ws_error e = ws_deflate_run(&z->zs, in, len, out, cap, &n);
    if (e != WS_E_OK) {
        /* The state holds input the peer will never see. A fresh stream is valid on
         * any window the peer keeps, so dropping it keeps the direction usable. */
        ws_deflater_stop(d);
        return e;
    }
    if (n == 0) {
        /* Section 7.2.3.6 (Generating an Empty Fragment): "The single octet 0x00
         * contains the header bits with "BFINAL" set to 0 and "BTYPE" set to 00, and 5
         * padding bits of 0." zlib writes nothing for an empty message that follows a
         * flush on the same stream, so the octet is written here. */
        out[0] = 0x00;
        n = 1;
    } else {
        /* Section 7.2.1, step 2: "If the resulting data does not end with an empty
         * DEFLATE block with no compression (the "BTYPE" bits are set to 00), append an
         * empty DEFLATE block with no compression to the tail end." Z_SYNC_FLUSH always
         * ends with one, so step 3 removes exactly its LEN and NLEN. */
        assert(n >= sizeof ws_pmd_tail &&
               memcmp(out + n - sizeof ws_pmd_tail, ws_pmd_tail, sizeof ws_pmd_tail) == 0);
        n -= sizeof ws_pmd_tail;
    }
    *out_len = n;
    /* Section 7.1.1.1 / 7.1.1.2: without context takeover every message starts with an
     * empty window; the state is released so an idle connection holds nothing. */
    if (d->cfg.no_context_takeover)
        ws_deflater_stop(d);
    return WS_E_OK;
}

size_t ws_deflater_memory(const struct ws_deflater *d)
{
    const struct ws_zdeflate *z = d->z;
    return z ? sizeof *z + z->mem.bytes : 0;
}

/* ------------------------------------------------------------ inflater */

struct ws_zinflate {
    z_stream zs;
    struct ws_zmem mem;
    enum ws_error err; /* sticky until ws_inflate_abort */
    bool boundary;     /* between two DEFLATE blocks, no bits held: a message may end here */
    bool done;         /* the last message was finished; the next feed starts a new one */
    uint8_t chunk[WS_INFLATE_CHUNK];
};

enum ws_error ws_inflater_init(struct ws_inflater *f, const struct ws_inflate_config *cfg)
{
    memset(f, 0, sizeof *f);
    struct ws_inflate_config c = *cfg;
    if (c.window_bits == 0)
        c.window_bits = 15;
    if (c.window_bits < 8 || c.window_bits > 15 || c.max_message == 0)
        return WS_E_INVALID_ARGUMENT;
    f->cfg = c;
    return WS_E_OK;
}

static void ws_inflater_stop(struct ws_inflater *f)
{
    struct ws_zinflate *z = f->z;
    if (!z)
        return;
    inflateEnd(&z->zs);
    ws_free(&f->cfg.alloc, z);
    f->z = NULL;
}

void ws_inflater_free(struct ws_inflater *f)
{
    ws_inflater_stop(f);
}

void ws_inflate_abort(struct ws_inflater *f)
{
    ws_inflater_stop(f);
    f->produced = 0;
    f->ended = false;
}

/* Called by every feed and finish: a message in progress goes on (or repeats its
 * error); otherwise a new message starts, with the state allocated when there is none. */
static enum ws_error ws_inflate_begin(struct ws_inflater *f)
{
    struct ws_zinflate *z = f->z;
    if (z && !z->done)
        return z->err;
    f->produced = 0;
    f->ended = false;
    if (z) {
        z->done = false;
        return WS_E_OK;
    }
    z = ws_realloc(&f->cfg.alloc, NULL, sizeof *z);
    if (!z)
        return WS_E_NOMEM;
    memset(z, 0, offsetof(struct ws_zinflate, chunk)); /* the chunk is only written */
    ws_zmem_attach(&z->zs, &z->mem, &f->cfg.alloc);
    /* The agreed window (ws_deflate.h): a distance beyond it is the peer's error.
     * zlib takes a raw window of 8 for inflating (only deflate refuses it). */
    if (inflateInit2(&z->zs, -(int)f->cfg.window_bits) != Z_OK) {
        ws_free(&f->cfg.alloc, z);
        return WS_E_NOMEM;
    }
    z->boundary = true;
    f->z = z;
    return WS_E_OK;
}

/* Hand n bytes of z->chunk to the sink, within max_message. */
static enum ws_error ws_inflate_emit(struct ws_inflater *f, struct ws_zinflate *z, size_t n,
                                     ws_deflate_sink_fn sink, void *ud)
{
    uint64_t left = f->cfg.max_message - f->produced;
    if (n > left) {
        enum ws_error e = left ? sink(ud, z->chunk, (size_t)left) : WS_E_OK;
        f->produced = f->cfg.max_message;
        return e != WS_E_OK ? e : WS_E_MESSAGE_TOO_BIG;
    }
    f->produced += n;
    return sink(ud, z->chunk, n);
}

/* zlib ended a deflate stream at a block with BFINAL set. Section 7.2.3.4 shows such a
 * message followed by a 0x00: "This octet is necessary to allow the payload to be
 * decompressed in the same manner as messages flushed using DEFLATE blocks with
 * "BFINAL" unset." And section 7.2.1:
 * "When any DEFLATE block with the "BFINAL" bit set to 1 doesn't end at a byte
 * boundary, an endpoint MUST add minimal padding bits of 0 to make it end at a byte
 * boundary. The next DEFLATE block follows the padded data if any." So decoding goes
 * on at the next byte, with the same LZ77 window: later blocks of this message may
 * refer back across the BFINAL block, and with context takeover (7.2.2) "the server
 * MUST decompress each new message using the LZ77 sliding window used to process the
 * last compressed message". zlib has no call that goes on past the end, so the window
 * is carried into a fresh stream. */
static enum ws_error ws_inflate_restart(struct ws_inflater *f, struct ws_zinflate *z)
{
    uInt have = 0;
    uint8_t *win = NULL;
    if (inflateGetDictionary(&z->zs, NULL, &have) != Z_OK)
        return WS_E_PMD_INFLATE;
    if (have) {
        win = ws_realloc(&f->cfg.alloc, NULL, have);
        if (!win)
            return WS_E_NOMEM;
        inflateGetDictionary(&z->zs, win, &have);
    }
    int ret = inflateReset(&z->zs);
    if (ret == Z_OK && have)
        ret = inflateSetDictionary(&z->zs, win, have);
    ws_free(&f->cfg.alloc, win);
    if (ret != Z_OK)
        return ret == Z_MEM_ERROR ? WS_E_NOMEM : WS_E_PMD_INFLATE;
    f->ended = true;
    z->boundary = true;
    return WS_E_OK;
}

/* Inflate what is in z->zs.next_in/avail_in (at least one byte), handing out output.
 *
 * Z_BLOCK makes zlib stop at every block boundary and say so (data_type bit 128, the
 * bits it holds in the low six): that is how a message that ends inside a block is told
 * from one that ends where it should (section 7.2.1, step 3: "After this step, the last
 * octet of the compressed data contains (possibly part of) the DEFLATE header bits with
 * the "BTYPE" bits set to 00", so with the tail appended the data ends with an empty
 * stored block and nothing held). Every pass makes progress - input consumed, output
 * made, or a whole block decoded from held bits - so the loop is bounded by the input
 * and by max_message. */
static enum ws_error ws_inflate_run(struct ws_inflater *f, struct ws_zinflate *z,
                                    ws_deflate_sink_fn sink, void *ud)
{
    for (;;) {
        uint64_t left = f->cfg.max_message - f->produced;
        /* below a 32 KiB window, small steps hold the peer to it (ws_deflate.h) */
        uInt step = f->cfg.window_bits < 15 ? WS_INFLATE_WINDOW_STEP : WS_INFLATE_CHUNK;
        uInt room = left >= step ? step : (uInt)left + 1;
        z->zs.next_out = z->chunk;
        z->zs.avail_out = room;
        int ret = inflate(&z->zs, Z_BLOCK);
        size_t n = room - z->zs.avail_out;
        if (n) {
            enum ws_error e = ws_inflate_emit(f, z, n, sink, ud);
            if (e != WS_E_OK)
                return e;
        }
        if (ret == Z_STREAM_END) {
            enum ws_error e = ws_inflate_restart(f, z);
            if (e != WS_E_OK || z->zs.avail_in == 0)
                return e;
            continue;
        }
        if (ret == Z_MEM_ERROR)
            return WS_E_NOMEM; /* the window, allocated on the first output */
        if (ret != Z_OK && ret != Z_BUF_ERROR) {
            /* Z_DATA_ERROR: section 7.2.2, close code 1007; zlib names a distance
             * beyond the window so */
            bool far = z->zs.msg && strcmp(z->zs.msg, "invalid distance too far back") == 0;
            return far && f->cfg.window_bits < 15 ? WS_E_PMD_WINDOW_EXCEEDED : WS_E_PMD_INFLATE;
        }
        bool at_block = (z->zs.data_type & 128) != 0;
        unsigned held = (unsigned)z->zs.data_type & 63;
        z->boundary = at_block && held == 0;
        if (z->zs.avail_out == 0)
            continue; /* more output may be waiting */
        if (!at_block) {
            if (ret == Z_BUF_ERROR || z->zs.avail_in == 0)
                return WS_E_OK; /* needs more input */
            continue;
        }
        /* At a block boundary: go on while there is input, or held bits that can hold
         * a block header (a call with neither would only leave the boundary). */
        if (z->zs.avail_in == 0 && held < 3)
            return WS_E_OK;
    }
}

static enum ws_error ws_inflate_input(struct ws_inflater *f, const uint8_t *in, size_t len,
                                      ws_deflate_sink_fn sink, void *ud)
{
    struct ws_zinflate *z = f->z;
    while (len > 0) {
        size_t piece = len < WS_Z_PIECE ? len : WS_Z_PIECE;
        z->zs.next_in = (Bytef *)(uintptr_t)in; /* zlib does not write through next_in */
        z->zs.avail_in = (uInt)piece;
        enum ws_error e = ws_inflate_run(f, z, sink, ud);
        if (e != WS_E_OK)
            return z->err = e;
        /* The run ends with all of the piece consumed, unless zlib stopped with input
         * left because it needs none (cannot happen with output space to spare). */
        size_t used = piece - z->zs.avail_in;
        if (used == 0)
            return z->err = WS_E_PMD_INFLATE;
        in += used;
        len -= used;
    }
    return WS_E_OK;
}

enum ws_error ws_inflate_feed(struct ws_inflater *f, const uint8_t *in, size_t len,
                              ws_deflate_sink_fn sink, void *ud)
{
    enum ws_error e = ws_inflate_begin(f);
    if (e != WS_E_OK)
        return e;
    return ws_inflate_input(f, in, len, sink, ud);
}

enum ws_error ws_inflate_finish(struct ws_inflater *f, ws_deflate_sink_fn sink, void *ud)
{
    enum ws_error e = ws_inflate_begin(f);
    if (e != WS_E_OK)
        return e;
    struct ws_zinflate *z = f->z;
    e = ws_inflate_input(f, ws_pmd_tail, sizeof ws_pmd_tail, sink, ud);
    if (e != WS_E_OK)
        return e;
    /* The data with its tail must end between blocks: anything else is a stream cut
     * short (a block, a stored block's length, a header not complete) or bits after
     * the end, and not "the resulting data" 7.2.2 decompresses. */
    if (!z->boundary)
        return z->err = WS_E_PMD_INFLATE;
    /* Section 7.2.2: with no_context_takeover the peer's next message starts with an
     * empty window ("MAY decompress each new message with an empty LZ77 sliding
     * window"), so nothing needs keeping. */
    if (f->cfg.no_context_takeover)
        ws_inflater_stop(f);
    else
        z->done = true;
    return WS_E_OK;
}

size_t ws_inflater_memory(const struct ws_inflater *f)
{
    const struct ws_zinflate *z = f->z;
    return z ? sizeof *z + z->mem.bytes : 0;
}

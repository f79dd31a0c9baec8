/*
 * ws_deflate.h - the compression of permessage-deflate (RFC 7692 section 7.2), one
 * direction at a time, sans-IO, on zlib.
 *
 * A ws_deflater turns one whole message into the payload a sender puts on the wire
 * (7.2.1: compress, flush with an empty stored block, drop the trailing
 * 0x00 0x00 0xff 0xff). A ws_inflater takes a received compressed message slice by
 * slice, as frames arrive, and hands out the plain bytes in bounded chunks; at the
 * message's end it feeds the 0x00 0x00 0xff 0xff tail (7.2.2). Output never exceeds
 * the configured maximum message size: a deflate bomb ends with WS_E_MESSAGE_TOO_BIG
 * (1009) after at most max_message + one chunk of work, never with memory growth.
 *
 * Context takeover (7.1.1): without no_context_takeover a direction keeps its LZ77
 * window from one message to the next; with it, each message stands alone and the
 * zlib state is released between messages, so an idle connection holds nothing.
 *
 * Window bits (7.1.2): 8-15. zlib refuses a raw deflate window of 8 (since 1.2.9 it
 * takes 9 for 8 with the zlib wrapper and rejects -8), so a deflater asked for 8
 * compresses with a 512-byte window and Z_RLE, whose matches are all at distance 1:
 * the stream is valid for a 256-byte window, as 7.1.2.1 requires.
 *
 * An inflater's window_bits is the window the peer agreed to compress with, and the
 * inflater holds the peer to it (7.1.2.1: the server compresses "with the same or
 * smaller value"): it decodes with that window. zlib checks a distance against its
 * window plus what the current call wrote, so a window below 15 is decoded in steps of
 * WS_INFLATE_WINDOW_STEP output bytes: a distance more than that beyond the window is
 * always WS_E_PMD_WINDOW_EXCEEDED (1007), one within the window never is, and only
 * one in the band between may pass or fail with where the input was cut.
 *
 * Memory comes from the caller's ws_allocator (zlib's zalloc/zfree go through it),
 * allocated on the first message, never from a length field.
 */
#ifndef WS_DEFLATE_H
#define WS_DEFLATE_H

#include "ws_core.h"

/* The level wsspec compresses with unless told: zlib's fastest. Compression here is a
 * protocol feature under test, not a storage format; level 1 keeps the cost of the
 * compression sections close to the cost of moving the bytes. */
#define WS_DEFLATE_DEFAULT_LEVEL 1
/* Plain bytes handed to the sink at a time, and the inflater's output buffer. */
#define WS_INFLATE_CHUNK (16u * 1024)
/* Output per zlib call when the agreed window is below 15 bits (see above). */
#define WS_INFLATE_WINDOW_STEP 256u

/* Where output goes: called with each chunk; a non-OK return stops the call that made
 * it and is returned from it. */
typedef enum ws_error (*ws_deflate_sink_fn)(void *ud, const uint8_t *data, size_t len);

struct ws_deflate_config {
    uint8_t window_bits;      /* 8-15; 0 = 15 */
    bool no_context_takeover; /* reset after every message */
    int level;                /* 1-9; 0 = WS_DEFLATE_DEFAULT_LEVEL */
    int mem_level;            /* 1-9; 0 = 8 (zlib's default) */
    struct ws_allocator alloc;
};

struct ws_deflater {
    struct ws_deflate_config cfg;
    void *z; /* private: zlib state, NULL between messages without context takeover */
};

/* Returns WS_E_OK or WS_E_INVALID_ARGUMENT (a value out of range). Allocates nothing;
 * d->cfg keeps the configuration with the defaults filled in. */
enum ws_error ws_deflater_init(struct ws_deflater *d, const struct ws_deflate_config *cfg);
void ws_deflater_free(struct ws_deflater *d);

/* Most bytes ws_deflate_message can write for len bytes of input, for any
 * configuration and any earlier messages (zlib's conservative deflateBound plus the
 * flush); SIZE_MAX when len is absurd. d is not used yet. */
size_t ws_deflate_bound(const struct ws_deflater *d, size_t len);

/* Compress one whole message (len may be 0) into out[0..cap), cap >=
 * ws_deflate_bound(d, len): *out_len gets the payload length, the trailing 00 00 ff ff
 * already removed (7.2.1); an empty message is at least the octet 0x00 (7.2.3.6).
 * Returns WS_E_OK, WS_E_NOMEM, or WS_E_BUFFER_TOO_SMALL (cap below the bound: checked
 * first, nothing changes). Without context takeover the zlib state is released before
 * it returns: ws_deflater_memory is 0 between messages. */
enum ws_error ws_deflate_message(struct ws_deflater *d, const uint8_t *in, size_t len, uint8_t *out,
                                 size_t cap, size_t *out_len);

/* Forget the context carried from earlier messages: the next message starts a fresh
 * deflate stream with an empty window (and the zlib state is released until then). For
 * a message compressed and then never sent: with context takeover its bytes would stay
 * in the window, and a later message could refer to bytes the peer never received. A
 * fresh stream is valid on any window the peer keeps. */
void ws_deflater_reset(struct ws_deflater *d);

/* Bytes the deflater holds now (zlib state included). */
size_t ws_deflater_memory(const struct ws_deflater *d);

struct ws_inflate_config {
    uint8_t window_bits;      /* 8-15; 0 = 15: the window the peer compresses with
                                 (and is held to, see above) */
    bool no_context_takeover; /* the peer resets after every message */
    uint64_t max_message;     /* most plain bytes one message may inflate to (required) */
    struct ws_allocator alloc;
};

/* produced and ended describe the current message; after ws_inflate_finish, the message
 * just finished, until the next message's first ws_inflate_feed (or ws_inflate_abort)
 * sets them back to zero. */
struct ws_inflater {
    struct ws_inflate_config cfg;
    uint64_t produced; /* plain bytes of the current message so far (<= max_message) */
    bool ended;        /* the current message's data held a block with BFINAL set */
    void *z;           /* private: zlib state and output chunk */
};

/* Returns WS_E_OK or WS_E_INVALID_ARGUMENT (window_bits out of range, max_message 0).
 * Allocates nothing. */
enum ws_error ws_inflater_init(struct ws_inflater *f, const struct ws_inflate_config *cfg);
void ws_inflater_free(struct ws_inflater *f);

/* The next slice of a compressed message's payload (in order, frame after frame; len
 * may be 0). Plain bytes go to sink in chunks of at most WS_INFLATE_CHUNK. Returns
 * WS_E_OK; WS_E_MESSAGE_TOO_BIG once the message would inflate past max_message (the
 * bytes beyond it are never handed out); WS_E_PMD_INFLATE for data that is not a valid
 * deflate stream (7.2.2; the connection fails with 1007); WS_E_PMD_WINDOW_EXCEEDED
 * for a distance beyond the agreed window (see above); WS_E_NOMEM; or the sink's
 * error. Errors stick: every later feed and finish returns the same error until
 * ws_inflate_abort, which must come before the next message. */
enum ws_error ws_inflate_feed(struct ws_inflater *f, const uint8_t *in, size_t len,
                              ws_deflate_sink_fn sink, void *ud);

/* The message's last frame was fed: inflate the 00 00 ff ff tail (7.2.2), hand out
 * what remains, and get ready for the next message (without context takeover the zlib
 * state is released: ws_inflater_memory is 0 afterwards). Errors as ws_inflate_feed;
 * WS_E_PMD_INFLATE also when the data, tail included, does not end between two DEFLATE
 * blocks (a block, header or stored length cut short, bits left over): 7.2.1 has the
 * sender end with the header of an empty stored block whose LEN and NLEN the tail
 * supplies. An empty payload (the tail alone) is such a cut-short stored block; 7.2.3.6
 * writes an empty message as the single octet 0x00.
 *
 * A block with BFINAL set does not end the message (7.2.1: "The next DEFLATE block
 * follows the padded data if any."; 7.2.3.4): decoding goes on at the next byte with
 * the same LZ77 window, which with context takeover carries on to the next message. */
enum ws_error ws_inflate_finish(struct ws_inflater *f, ws_deflate_sink_fn sink, void *ud);

/* Forget the message in progress (after an error): the zlib state is released and the
 * next message starts afresh, with an empty window. */
void ws_inflate_abort(struct ws_inflater *f);

/* Bytes the inflater holds now (zlib state and chunk included). Between calls; a call
 * that crosses a BFINAL block briefly holds one more window's worth (a copy of the
 * window carried into the stream that follows). */
size_t ws_inflater_memory(const struct ws_inflater *f);

#endif

/*
 * ws_frame.h - the frame codec (RFC 6455 section 5.2).
 *
 * L0 encoder: writes ANY bit pattern - FIN, RSV1-3, all 16 opcodes, a mask bit and
 * key independent of the role, the payload length in any of the three encodings
 * (minimal or not) or a declared length that disagrees with the bytes that follow.
 * The test peer uses it to send violations; nothing here refuses a "wrong" frame.
 *
 * L1 decoder: a resumable state machine (HEADER1 -> LEN -> EXTLEN -> MASKKEY ->
 * PAYLOAD) that accepts input cut at any byte. Header bytes are collected in a fixed
 * 14-byte buffer; payload is handed out as slices of the caller's buffer, unmasked in
 * place, the mask phase carried across calls. It never allocates and never reads past
 * the input it is given. The header rules of section 5 are checked here, each in one
 * place, at the first byte that breaks them; the sequence rules (continuation,
 * fragmentation, UTF-8, close payload) belong to the endpoint (ws_conn).
 */
#ifndef WS_FRAME_H
#define WS_FRAME_H

#include "ws_core.h"

/* 2 bytes base + 8 bytes extended length + 4 bytes masking key. */
#define WS_FRAME_HEADER_MAX 14
/* Control frames carry at most 125 payload bytes (section 5.5). */
#define WS_CONTROL_MAX 125

/* Which length encoding to write. MINIMAL picks the shortest (the only legal one). */
enum ws_len_form { WS_LEN_MINIMAL = 0, WS_LEN_7, WS_LEN_16, WS_LEN_64 };

/* A frame to write. Zero-filled = FIN 0, opcode CONT, unmasked, minimal length. */
struct ws_frame_spec {
    bool fin;
    uint8_t rsv;    /* 3 bits: WS_RSV1 | WS_RSV2 | WS_RSV3 */
    uint8_t opcode; /* 4 bits, any value */
    bool masked;
    uint8_t mask_key[4];
    enum ws_len_form len_form;
    bool len_override;     /* write declared_len in the length field instead of the */
    uint64_t declared_len; /* real payload length (must fit len_form's field)       */
};

/* Write the header for a payload of payload_len bytes into out. Returns the header
 * length (2..14), or 0 when the length cannot be written in the chosen form (e.g.
 * WS_LEN_7 with 200 bytes and no override, WS_LEN_16 with a value above 65535). */
size_t ws_frame_write_header(const struct ws_frame_spec *s, uint64_t payload_len,
                             uint8_t out[WS_FRAME_HEADER_MAX]);

/* Header + payload (masked with s->mask_key when s->masked) into out[0..cap).
 * Returns WS_E_OK and *written, WS_E_BUFFER_TOO_SMALL, or WS_E_INVALID_ARGUMENT
 * (length not writable in the form). */
enum ws_error ws_frame_encode(const struct ws_frame_spec *s, const uint8_t *payload, size_t len,
                              uint8_t *out, size_t cap, size_t *written);

/* XOR buf with key as section 5.3 describes, starting at mask phase `phase` (the
 * payload offset of buf[0], only phase % 4 matters). Masking and unmasking are the
 * same operation. */
void ws_mask(uint8_t *buf, size_t len, const uint8_t key[4], uint64_t phase);

/* A decoded frame header. */
struct ws_frame_header {
    bool fin;
    uint8_t rsv;
    uint8_t opcode;
    bool masked;
    uint8_t mask_key[4];
    uint64_t payload_len;
    uint8_t header_len;    /* bytes the header took on the wire (2..14) */
    uint64_t frame_offset; /* stream offset of the header's first byte */
};

enum ws_frame_event_type {
    WS_FRAME_NONE = 0, /* the input is used up; call again with more */
    WS_FRAME_HEADER,   /* a header is complete and passed the header rules */
    WS_FRAME_PAYLOAD,  /* data/len: the next slice of payload, unmasked, in the input */
    WS_FRAME_END,      /* the frame's payload is complete (follows HEADER at once for
                          an empty payload) */
};

struct ws_frame_event {
    enum ws_frame_event_type type;
    const struct ws_frame_header *hdr; /* valid for HEADER, PAYLOAD, END; points into
                                          the decoder, until the next decode call */
    uint8_t *data;                     /* PAYLOAD: slice of the caller's input */
    size_t len;
    uint64_t payload_offset; /* PAYLOAD: offset of data[0] within the payload */
    /* HEADER, report_only decoders: the first header rule this frame broke (WS_E_OK if
     * none) and the stream offset of the byte that broke it */
    enum ws_error violation;
    uint64_t violation_offset;
};

/* Decoder configuration: what the receiving endpoint allows. */
struct ws_frame_rules {
    enum ws_role role;   /* the receiver's role: a server requires masked frames,
                            a client forbids them (section 5.1) */
    uint8_t rsv_allowed; /* RSV bits a negotiated extension defines (0 = none) */
    uint64_t max_frame;  /* largest payload accepted, 0 = 2^63-1 (the format's limit) */
    /* The tester's lenient mode (harness/): a broken header rule does not stop the
     * decoder; the frame is decoded to its end and the rule is reported with its
     * HEADER event (violation), as Autobahn's client reads on after a violation. */
    bool report_only;
};

struct ws_frame_decoder {
    struct ws_frame_rules rules;
    /* private */
    int state;
    uint8_t hbuf[WS_FRAME_HEADER_MAX];
    uint8_t hhave, hneed, hext; /* header bytes held, needed; extended length bytes */
    struct ws_frame_header hdr;
    uint64_t payload_done;
    uint64_t offset; /* bytes consumed over the decoder's life */
    enum ws_error error;
    uint64_t error_offset;
    enum ws_error violation; /* report_only: this frame's first broken rule */
    uint8_t violation_at;    /* ... at this header byte */
};

void ws_frame_decoder_init(struct ws_frame_decoder *d, const struct ws_frame_rules *rules);

/* Consume input until one event is ready or the input is used up. *consumed gets the
 * bytes taken (always <= len); ev gets the event. Payload slices are unmasked in place
 * inside in[]. Returns WS_E_OK, or the header rule broken (then ev->type is NONE,
 * *consumed stops at the bad byte, and ws_frame_decoder_error gives the stream offset).
 * Errors are sticky: later calls return the same error and consume nothing. */
enum ws_error ws_frame_decode(struct ws_frame_decoder *d, uint8_t *in, size_t len, size_t *consumed,
                              struct ws_frame_event *ev);

/* The sticky error (WS_E_OK if none) and the stream offset of the byte that broke it. */
enum ws_error ws_frame_decoder_error(const struct ws_frame_decoder *d, uint64_t *offset);

/* Payload bytes of the current frame still to come, when the decoder is inside a
 * frame's payload (its header decoded and reported); 0 otherwise (between frames,
 * inside a header, at a frame's end event, after an error). The next that many input
 * bytes are payload and nothing else. */
uint64_t ws_frame_decoder_payload_left(const struct ws_frame_decoder *d);

#endif

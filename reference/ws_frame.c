/*
 * ws_frame.c - frame encoder (any bit pattern) and resumable frame decoder.
 *
 * The decoder collects header bytes one at a time into a 14-byte buffer and checks
 * each header rule at the first byte that can break it, so a violation is reported
 * with the exact stream offset of the offending byte and without waiting for the rest
 * of the frame. Payload bytes are not copied: they are unmasked in place and handed
 * back as slices of the caller's input.
 */
#include "ws_frame.h"

#include <string.h>

enum { ST_HEADER = 0, ST_PAYLOAD, ST_END };

/* ---------------------------------------------------------------- encoder */

size_t ws_frame_write_header(const struct ws_frame_spec *s, uint64_t payload_len,
                             uint8_t out[WS_FRAME_HEADER_MAX])
{
    uint64_t value = s->len_override ? s->declared_len : payload_len;
    enum ws_len_form form = s->len_form;
    if (form == WS_LEN_MINIMAL)
        form = value <= 125 ? WS_LEN_7 : value <= 0xFFFF ? WS_LEN_16 : WS_LEN_64;
    /* An overridden 7-bit field may hold 126 or 127 with no extended bytes after it:
     * that is one of the malformed frames the peer needs to be able to send. */
    uint64_t max7 = s->len_override ? 127 : 125;
    if ((form == WS_LEN_7 && value > max7) || (form == WS_LEN_16 && value > 0xFFFF))
        return 0;

    size_t n = 0;
    out[n++] = (uint8_t)((s->fin ? 0x80u : 0u) | (unsigned)(s->rsv & 7u) << 4 |
                         (unsigned)(s->opcode & 0xFu));
    uint8_t mask_bit = s->masked ? 0x80u : 0u;
    if (form == WS_LEN_7) {
        out[n++] = (uint8_t)(mask_bit | value);
    } else if (form == WS_LEN_16) {
        out[n++] = (uint8_t)(mask_bit | 126u);
        out[n++] = (uint8_t)(value >> 8);
        out[n++] = (uint8_t)value;
    } else {
        out[n++] = (uint8_t)(mask_bit | 127u);
        for (int shift = 56; shift >= 0; shift -= 8)
            out[n++] = (uint8_t)(value >> shift);
    }
    if (s->masked) {
        memcpy(out + n, s->mask_key, 4);
        n += 4;
    }
    return n;
}

enum ws_error ws_frame_encode(const struct ws_frame_spec *s, const uint8_t *payload, size_t len,
                              uint8_t *out, size_t cap, size_t *written)
{
    uint8_t hdr[WS_FRAME_HEADER_MAX];
    size_t hlen = ws_frame_write_header(s, len, hdr);
    *written = 0;
    if (hlen == 0)
        return WS_E_INVALID_ARGUMENT;
    if (cap < hlen || cap - hlen < len)
        return WS_E_BUFFER_TOO_SMALL;
    memcpy(out, hdr, hlen);
    if (len) {
        memcpy(out + hlen, payload, len);
        if (s->masked)
            ws_mask(out + hlen, len, s->mask_key, 0);
    }
    *written = hlen + len;
    return WS_E_OK;
}

/* Section 5.3: "octet i of the transformed data is the XOR of octet i of the original
 * data with octet at index i modulo 4 of the masking key". Eight bytes at a time with
 * the key rotated to the phase of buf[0]; the compiler vectorises the word loop. */
void ws_mask(uint8_t *buf, size_t len, const uint8_t key[4], uint64_t phase)
{
    uint8_t k8[8];
    for (unsigned j = 0; j < 8; j++)
        k8[j] = key[(phase + j) & 3u];
    uint64_t kw;
    memcpy(&kw, k8, 8);
    size_t i = 0;
    for (; i + 32 <= len; i += 32) {
        uint64_t w[4];
        memcpy(w, buf + i, 32);
        w[0] ^= kw;
        w[1] ^= kw;
        w[2] ^= kw;
        w[3] ^= kw;
        memcpy(buf + i, w, 32);
    }
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, buf + i, 8);
        w ^= kw;
        memcpy(buf + i, &w, 8);
    }
    for (; i < len; i++)
        buf[i] ^= k8[i & 7u];
}

/* ---------------------------------------------------------------- decoder */

void ws_frame_decoder_init(struct ws_frame_decoder *d, const struct ws_frame_rules *rules)
{
    memset(d, 0, sizeof *d);
    if (rules)
        d->rules = *rules;
    d->state = ST_HEADER;
    d->hneed = 2;
}

enum ws_error ws_frame_decoder_error(const struct ws_frame_decoder *d, uint64_t *offset)
{
    if (offset)
        *offset = d->error_offset;
    return d->error;
}

uint64_t ws_frame_decoder_payload_left(const struct ws_frame_decoder *d)
{
    if (d->error || d->state != ST_PAYLOAD)
        return 0;
    return d->hdr.payload_len - d->payload_done;
}

static unsigned ext_len_bytes(uint8_t len7)
{
    return len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
}

/* Rules decided by the first header byte. */
static enum ws_error check_byte0(const struct ws_frame_rules *r, uint8_t b)
{
    unsigned rsv = (b >> 4) & 7u, opcode = b & 0xFu;
    bool fin = (b & 0x80u) != 0;
    /* 5.2: "RSV1, RSV2, RSV3: ... MUST be 0 unless an extension is negotiated that
     * defines meanings for non-zero values. If a nonzero value is received and none of
     * the negotiated extensions defines the meaning of such a nonzero value, the
     * receiving endpoint MUST _Fail the WebSocket Connection_." */
    if (rsv & ~(unsigned)r->rsv_allowed)
        return WS_E_RSV_NOT_NEGOTIATED;
    /* 5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the
     * WebSocket Connection_." (%x3-7 and %xB-F are reserved.) */
    if ((opcode >= 0x3 && opcode <= 0x7) || opcode >= 0xB)
        return WS_E_OPCODE_RESERVED;
    /* 5.5: "All control frames ... MUST NOT be fragmented." */
    if (ws_opcode_is_control(opcode) && !fin)
        return WS_E_CONTROL_FRAGMENTED;
    return WS_E_OK;
}

/* Rules decided by the second header byte. */
static enum ws_error check_byte1(const struct ws_frame_rules *r, uint8_t b0, uint8_t b1)
{
    bool masked = (b1 & 0x80u) != 0;
    /* 5.1: "a client MUST mask all frames that it sends to the server ... The server
     * MUST close the connection upon receiving a frame that is not masked." */
    if (r->role == WS_ROLE_SERVER && !masked)
        return WS_E_MASK_MISSING;
    /* 5.1: "A server MUST NOT mask any frames that it sends to the client. A client
     * MUST close a connection if it detects a masked frame." */
    if (r->role == WS_ROLE_CLIENT && masked)
        return WS_E_MASK_UNEXPECTED;
    /* 5.5: "All control frames MUST have a payload length of 125 bytes or less". */
    if (ws_opcode_is_control(b0 & 0xFu) && (b1 & 0x7Fu) > WS_CONTROL_MAX)
        return WS_E_CONTROL_TOO_LONG;
    return WS_E_OK;
}

/* Rules decided once the payload length is known. len7 is the 7-bit field. */
static enum ws_error check_length(const struct ws_frame_rules *r, uint8_t len7, uint64_t len)
{
    /* 5.2: "in all cases, the minimal number of bytes MUST be used to encode the
     * length, for example, the length of a 124-byte-long string can't be encoded as
     * the sequence 126, 0, 124." */
    if ((len7 == 126 && len <= 125) || (len7 == 127 && len <= 0xFFFF))
        return WS_E_LENGTH_NOT_MINIMAL;
    /* 10.4: "an endpoint ... may need to protect itself against ... frames of large
     * size" - refused at the header, before any payload byte is buffered. */
    if (r->max_frame && len > r->max_frame)
        return WS_E_FRAME_TOO_BIG;
    return WS_E_OK;
}

/* A rule broken at header byte `at`: a strict decoder stops (the error is returned); a
 * report_only one notes the frame's first violation and goes on. */
static enum ws_error broke(struct ws_frame_decoder *d, enum ws_error e, unsigned at)
{
    if (!e || !d->rules.report_only)
        return e;
    if (!d->violation) {
        d->violation = e;
        d->violation_at = (uint8_t)at;
    }
    return WS_E_OK;
}

/* Apply the rules decided by header bytes from..to-1 (already stored in hbuf). On a
 * violation, *at gets the position in the header of the byte that decides it. Bytes 0
 * and 1 come in one chunk (or byte 0 alone), the rest - extended length and mask key -
 * in the next: a header costs two calls, not one per byte, and the rules are still
 * checked at the byte that breaks them. */
static enum ws_error header_check(struct ws_frame_decoder *d, unsigned from, unsigned to,
                                  unsigned *at)
{
    enum ws_error e;
    if (from == 0) {
        *at = 0;
        if ((e = broke(d, check_byte0(&d->rules, d->hbuf[0]), 0)))
            return e;
    }
    if (from <= 1 && to > 1) {
        uint8_t b1 = d->hbuf[1], len7 = b1 & 0x7Fu;
        *at = 1;
        if ((e = broke(d, check_byte1(&d->rules, d->hbuf[0], b1), 1)))
            return e;
        d->hext = (uint8_t)ext_len_bytes(len7);
        d->hneed = (uint8_t)(2 + d->hext + ((b1 & 0x80u) ? 4 : 0));
        if (len7 <= 125) {
            d->hdr.payload_len = len7;
            return broke(d, check_length(&d->rules, len7, len7), 1);
        }
    }
    if (to <= 2)
        return WS_E_OK;
    uint8_t len7 = d->hbuf[1] & 0x7Fu;
    unsigned ext = d->hext;
    /* 5.2: "If 127, the following 8 bytes interpreted as a 64-bit unsigned integer
     * (the most significant bit MUST be 0) are the payload length." */
    if (ext == 8 && from <= 2 && (d->hbuf[2] & 0x80u)) {
        *at = 2;
        if ((e = broke(d, WS_E_LENGTH_MSB_SET, 2)))
            return e;
    }
    if (ext && from <= 1 + ext && to > 1 + ext) {
        uint64_t len = 0;
        for (unsigned j = 2; j < 2 + ext; j++)
            len = len << 8 | d->hbuf[j];
        *at = 1 + ext;
        d->hdr.payload_len = len;
        return broke(d, check_length(&d->rules, len7, len), 1 + ext);
    }
    return WS_E_OK;
}

/* The header is complete: fill hdr from hbuf (header_check has set payload_len). */
static void header_done(struct ws_frame_decoder *d)
{
    struct ws_frame_header *h = &d->hdr;
    uint8_t b0 = d->hbuf[0], b1 = d->hbuf[1];
    unsigned ext = d->hext;
    h->fin = (b0 & 0x80u) != 0;
    h->rsv = (b0 >> 4) & 7u;
    h->opcode = b0 & 0xFu;
    h->masked = (b1 & 0x80u) != 0;
    if (h->masked)
        memcpy(h->mask_key, d->hbuf + 2 + ext, 4);
    else
        memset(h->mask_key, 0, 4);
    h->header_len = d->hneed;
}

enum ws_error ws_frame_decode(struct ws_frame_decoder *d, uint8_t *in, size_t len, size_t *consumed,
                              struct ws_frame_event *ev)
{
    memset(ev, 0, sizeof *ev);
    *consumed = 0;
    if (d->error)
        return d->error;

    if (d->state == ST_END) {
        ev->type = WS_FRAME_END;
        ev->hdr = &d->hdr;
        d->state = ST_HEADER;
        d->hhave = 0;
        d->hneed = 2;
        return WS_E_OK;
    }

    size_t i = 0;
    if (d->state == ST_HEADER) {
        while (i < len && d->hhave < d->hneed) {
            unsigned from = d->hhave, at = 0;
            size_t take = d->hneed - from;
            if (take > len - i)
                take = len - i;
            if (from == 0)
                d->hdr.frame_offset = d->offset + i;
            memcpy(d->hbuf + from, in + i, take);
            d->hhave = (uint8_t)(from + take);
            enum ws_error e = header_check(d, from, d->hhave, &at);
            if (e) {
                i += at - from; /* consumption stops at the bad byte */
                d->error = e;
                d->error_offset = d->offset + i;
                d->offset += i;
                *consumed = i;
                return e;
            }
            i += take;
        }
        d->offset += i;
        *consumed = i;
        if (d->hhave < d->hneed)
            return WS_E_OK; /* input used up inside the header */
        header_done(d);
        d->payload_done = 0;
        d->state = d->hdr.payload_len ? ST_PAYLOAD : ST_END;
        ev->type = WS_FRAME_HEADER;
        ev->hdr = &d->hdr;
        ev->violation = d->violation;
        ev->violation_offset = d->hdr.frame_offset + d->violation_at;
        d->violation = WS_E_OK;
        return WS_E_OK;
    }

    /* ST_PAYLOAD */
    if (len == 0)
        return WS_E_OK;
    uint64_t left = d->hdr.payload_len - d->payload_done;
    size_t n = left < len ? (size_t)left : len;
    if (d->hdr.masked)
        ws_mask(in, n, d->hdr.mask_key, d->payload_done);
    ev->type = WS_FRAME_PAYLOAD;
    ev->hdr = &d->hdr;
    ev->data = in;
    ev->len = n;
    ev->payload_offset = d->payload_done;
    d->payload_done += n;
    d->offset += n;
    *consumed = n;
    if (d->payload_done == d->hdr.payload_len)
        d->state = ST_END;
    return WS_E_OK;
}

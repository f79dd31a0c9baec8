/*
 * frame_roundtrip_fuzzer.c - encoder and decoder against each other:
 * decode(encode(f)) == f for every frame the rules allow, and for every frame they
 * forbid, the decoder names the first rule the encoder was told to break.
 *
 * Input:
 *   byte 0     FIN (bit 7), RSV (bits 4-6), opcode (bits 0-3) - any of the 16
 *   byte 1     bit 0 masked, bits 1-2 length form (minimal, 7, 16, 64 bits), bit 3
 *              length override, bit 4 header-only mode, bit 5 decode in the wrong role,
 *              bits 6-7 RSV bits the decoder allows (none, RSV1, all, all)
 *   bytes 2-5  masking key
 *   bytes 6-13 declared length (override), or the payload length in header-only mode
 *   the rest   the payload
 * Header-only mode writes just the header for a payload of any 64-bit length (so the
 * 16- and 64-bit forms are reached without megabytes of input) and decodes it.
 *
 * The encoder can write any bit pattern (the test peer needs that); which patterns are
 * legal is decided here from RFC 6455 section 5.2 directly, not by asking ws_frame.c.
 */
#include "fuzz_input.h"

#include "ws_frame.h"

FUZZ_NOCOV_BEGIN

struct expect {
    bool writable;       /* the length fits the chosen form */
    bool same_frame;     /* the decoder reads the frame the encoder meant */
    enum ws_error error; /* the first rule the decoder must report, OK if none */
    uint64_t value;      /* the length field's value */
    unsigned len7;       /* the 7-bit length field */
};

/* Section 5.2, in the order the decoder checks the header's bytes. */
static struct expect judge(const struct ws_frame_spec *s, const struct ws_frame_rules *r,
                           uint64_t payload_len)
{
    struct expect x = {0};
    x.value = s->len_override ? s->declared_len : payload_len;
    enum ws_len_form form = s->len_form;
    if (form == WS_LEN_MINIMAL)
        form = x.value <= 125 ? WS_LEN_7 : x.value <= 0xFFFF ? WS_LEN_16 : WS_LEN_64;
    uint64_t max7 = s->len_override ? 127 : 125;
    x.writable = !((form == WS_LEN_7 && x.value > max7) || (form == WS_LEN_16 && x.value > 0xFFFF));
    if (!x.writable)
        return x;
    x.len7 = form == WS_LEN_7 ? (unsigned)x.value : form == WS_LEN_16 ? 126 : 127;
    /* A 7-bit field of 126 or 127 announces an extended length that was not written:
     * the decoder reads the bytes after it as the length - another frame. */
    x.same_frame = !(form == WS_LEN_7 && x.value > 125);
    unsigned op = s->opcode & 0xFu;
    bool control = (op & 8u) != 0;
    if ((s->rsv & 7u) & ~(unsigned)r->rsv_allowed)
        x.error = WS_E_RSV_NOT_NEGOTIATED;
    else if ((op >= 3 && op <= 7) || op >= 0xB)
        x.error = WS_E_OPCODE_RESERVED;
    else if (control && !s->fin)
        x.error = WS_E_CONTROL_FRAGMENTED;
    else if (r->role == WS_ROLE_SERVER && !s->masked)
        x.error = WS_E_MASK_MISSING;
    else if (r->role == WS_ROLE_CLIENT && s->masked)
        x.error = WS_E_MASK_UNEXPECTED;
    else if (control && x.len7 > 125)
        x.error = WS_E_CONTROL_TOO_LONG;
    else if (!x.same_frame)
        x.error = WS_E_OK; /* undecided: depends on the bytes read as a length */
    else if (form == WS_LEN_64 && (x.value >> 63))
        x.error = WS_E_LENGTH_MSB_SET;
    else if ((form == WS_LEN_16 && x.value <= 125) || (form == WS_LEN_64 && x.value <= 0xFFFF))
        x.error = WS_E_LENGTH_NOT_MINIMAL;
    return x;
}

/* Decode buf until it is used up or an error; the first header, the payload bytes
 * that followed it (up to cap), whether its END came. */
struct decoded {
    enum ws_error error;
    bool have_header, ended;
    struct ws_frame_header h;
    uint8_t *payload;
    size_t payload_len;
};

static void decode_first(const struct ws_frame_rules *r, uint8_t *buf, size_t len,
                         struct decoded *out, size_t cap)
{
    struct ws_frame_decoder d;
    ws_frame_decoder_init(&d, r);
    size_t off = 0;
    while (!out->ended) {
        size_t n;
        struct ws_frame_event ev;
        out->error = ws_frame_decode(&d, buf + off, len - off, &n, &ev);
        off += n;
        if (out->error || ev.type == WS_FRAME_NONE)
            return;
        if (ev.type == WS_FRAME_HEADER) {
            out->have_header = true;
            out->h = *ev.hdr;
        } else if (ev.type == WS_FRAME_PAYLOAD) {
            FUZZ_CHECK(out->payload_len + ev.len <= cap);
            memcpy(out->payload + out->payload_len, ev.data, ev.len);
            out->payload_len += ev.len;
        } else {
            out->ended = true;
        }
    }
}

static void check_header(const struct ws_frame_spec *s, const struct expect *x,
                         const struct ws_frame_header *h, size_t hlen)
{
    FUZZ_CHECK(h->fin == s->fin);
    FUZZ_CHECK(h->rsv == (s->rsv & 7u));
    FUZZ_CHECK(h->opcode == (s->opcode & 0xFu));
    FUZZ_CHECK(h->masked == s->masked);
    if (s->masked)
        FUZZ_CHECK(memcmp(h->mask_key, s->mask_key, 4) == 0);
    FUZZ_CHECK(h->payload_len == x->value);
    FUZZ_CHECK(h->header_len == hlen);
    FUZZ_CHECK(h->frame_offset == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t rsv_sets[4] = {0, WS_RSV1, 7, 7};
    struct fuzz_in in = {data, size};
    uint8_t b0 = fuzz_u8(&in), b1 = fuzz_u8(&in);
    struct ws_frame_spec s = {.fin = (b0 & 0x80u) != 0,
                              .rsv = (uint8_t)((b0 >> 4) & 7u),
                              .opcode = (uint8_t)(b0 & 0xFu),
                              .masked = (b1 & 1u) != 0,
                              .len_form = (enum ws_len_form)((b1 >> 1) & 3u),
                              .len_override = (b1 & 8u) != 0};
    bool header_only = (b1 & 0x10u) != 0;
    for (unsigned i = 0; i < 4; i++)
        s.mask_key[i] = fuzz_u8(&in);
    uint64_t declared = fuzz_uint(&in, 8);
    bool server = s.masked != ((b1 & 0x20u) != 0);
    struct ws_frame_rules rules = {.role = server ? WS_ROLE_SERVER : WS_ROLE_CLIENT,
                                   .rsv_allowed = rsv_sets[b1 >> 6]};
    struct decoded dec = {0};

    if (header_only) {
        s.len_override = false;
        struct expect x = judge(&s, &rules, declared);
        uint8_t hdr[WS_FRAME_HEADER_MAX];
        size_t hlen = ws_frame_write_header(&s, declared, hdr);
        FUZZ_CHECK((hlen != 0) == x.writable);
        if (!hlen)
            return 0;
        size_t ext = x.len7 == 126 ? 2 : x.len7 == 127 ? 8 : 0;
        FUZZ_CHECK(hlen == 2 + ext + (s.masked ? 4u : 0u));
        uint8_t *buf = fuzz_dup(hdr, hlen);
        decode_first(&rules, buf, hlen, &dec, 0);
        free(buf);
        FUZZ_CHECK(dec.error == x.error);
        if (x.error == WS_E_OK) {
            /* Every header byte is there, so the header must be out; its END comes at
             * once only for an empty payload. */
            FUZZ_CHECK(dec.have_header);
            check_header(&s, &x, &dec.h, hlen);
            FUZZ_CHECK(dec.ended == (declared == 0));
        }
        return 0;
    }

    s.declared_len = declared;
    const uint8_t *payload = in.p;
    size_t len = in.n;
    struct expect x = judge(&s, &rules, len);
    size_t cap = len + WS_FRAME_HEADER_MAX, written = SIZE_MAX;
    uint8_t *buf = fuzz_dup(NULL, cap);
    enum ws_error e = ws_frame_encode(&s, payload, len, buf, cap, &written);
    if (!x.writable) {
        FUZZ_CHECK(e == WS_E_INVALID_ARGUMENT && written == 0);
        free(buf);
        return 0;
    }
    FUZZ_CHECK(e == WS_E_OK);
    /* One byte less room than needed is refused, and nothing is claimed written. */
    size_t w2 = SIZE_MAX;
    FUZZ_CHECK(ws_frame_encode(&s, payload, len, buf, written - 1, &w2) == WS_E_BUFFER_TOO_SMALL &&
               w2 == 0);
    FUZZ_CHECK(ws_frame_encode(&s, payload, len, buf, cap, &written) == WS_E_OK);
    size_t hlen = written - len;

    uint8_t *frame = fuzz_dup(buf, written);
    dec.payload = fuzz_dup(NULL, len);
    decode_first(&rules, frame, written, &dec, len);
    if (x.same_frame) {
        FUZZ_CHECK(dec.error == x.error);
        if (x.error == WS_E_OK) {
            FUZZ_CHECK(dec.have_header);
            check_header(&s, &x, &dec.h, hlen);
            /* The payload comes back unmasked; the frame ends when the declared
             * length is reached, which may be before or after the bytes written. */
            uint64_t expect_len = x.value < len ? x.value : len;
            FUZZ_CHECK(dec.payload_len == expect_len);
            FUZZ_CHECK(expect_len == 0 || memcmp(dec.payload, payload, (size_t)expect_len) == 0);
            FUZZ_CHECK(dec.ended == (x.value <= len));
        }
    } else if (x.error != WS_E_OK) {
        FUZZ_CHECK(dec.error == x.error);
    }
    /* Masking is its own inverse at any phase: mask the payload in two parts with the
     * phase carried over, then once whole; back to the original. */
    if (len) {
        size_t cut = written % len;
        uint8_t *m = fuzz_dup(payload, len);
        ws_mask(m, cut, s.mask_key, 0);
        ws_mask(m + cut, len - cut, s.mask_key, cut);
        for (size_t i = 0; i < len; i++)
            FUZZ_CHECK(m[i] == (uint8_t)(payload[i] ^ s.mask_key[i & 3]));
        ws_mask(m, len, s.mask_key, 0);
        FUZZ_CHECK(memcmp(m, payload, len) == 0);
        free(m);
    }
    free(dec.payload);
    free(frame);
    free(buf);
    return 0;
}

FUZZ_NOCOV_END

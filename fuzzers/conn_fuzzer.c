/*
 * conn_fuzzer.c - the whole endpoint state machine (ws_conn), server and client role:
 * bytes in, bytes out, and an application on top that echoes, pings and closes.
 *
 * Input:
 *   byte 0   bit 0 role (0 server, 1 client); bit 1 put a valid opening handshake
 *            before the data (so inputs of bare frames reach OPEN); bit 2
 *            no_auto_pong; bit 3 the application echoes every message; bit 4 the
 *            output is drained as it comes (else only at the end, so the output
 *            bound is reached), and then the application keeps its buffers
 *            (cfg.keep_buffers) and trims them every fourth read (ws_conn_trim), as
 *            wsspec echo does; bits 5-7 max_message (default, 1, 125, 126, 1000,
 *            65535, 65536, 1 MiB)
 *   byte 1   bits 0-2 max_output (default, 1, 64, 200, 1024, 4096, 65536, 1 MiB);
 *            bits 3-4 max_handshake (default, 64, 512, 4096); bit 5 the application
 *            pings once OPEN; bit 6 it closes after the first message; bit 7 the peer
 *            ends TCP after the data
 *   byte 2   bits 0-6 the allocation to fail (0 = none): every NOMEM path is reachable;
 *            bit 7 permessage-deflate knobs follow the chop schedule (bytes 7-8). Bit 7
 *            was the allocation number's high bit before permessage-deflate: an older
 *            input with it set now fails allocation (byte 2 & 127) and reads two of its
 *            data bytes as the knobs (the corpus's coverage was re-checked, see
 *            tests/itest_fuzz_smoke.sh)
 *   3-6      chop schedule of the received bytes (fuzz_input.h); every other read is
 *            made into the room ws_conn_recv_space offers, when it offers some (and
 *            then no longer than that room)
 *   7-8      only with byte 2 bit 7, permessage-deflate (RFC 7692):
 *            byte 7  bits 0-3 server_max_window_bits, bits 4-7 client_max_window_bits
 *                    (0-7 none, 8-15 that window), bits of the server's preferences
 *                    (struct ws_pmd_server_prefs): the endpoint's cfg.pmd in the server
 *                    role; in the client role what the synthesized 101 answers with,
 *                    built by ws_pmd_server_answer from the client's own offer
 *            byte 8  bit 0 server_no_context_takeover, bit 1 client_no_context_takeover
 *                    (the same preferences); bit 2 the endpoint's deflate_each_message;
 *                    bit 3 the rich offer (OFFER_RICH, a client promising a window of 12
 *                    and no context takeover) instead of OFFER_PLAIN, in the synthesized
 *                    request (server role) or the client's own request; bits 4-7 the
 *                    endpoint's deflate_level (0-9; 10-15 = 0, the default)
 *            With bit 1 of byte 0 the synthesized handshake then negotiates the
 *            extension: the server's request carries the offer, the client's 101 the
 *            answer.
 *   the rest the bytes the endpoint receives
 *
 * Invariants checked, beyond "no crash, no leak, no UB":
 *   - everything the endpoint sends is a valid handshake message followed by frames
 *     that a strict decoder of the receiving role accepts (masked iff the sender is
 *     a client, control frames short and unfragmented, no RSV bit but RSV1 once
 *     permessage-deflate is agreed, minimal lengths); a refusal is one HTTP response
 *     with its body and nothing after it;
 *   - permessage-deflate: a server's 101 announces exactly the parameters the
 *     connection then uses (ws_conn_pmd); RSV1 only on the first frame of a data
 *     message, never on control frames or continuations (RFC 7692 6.1); every
 *     compressed message inflates, as the receiving side would inflate it (the window
 *     and context takeover agreed, narrowed by what a client's own offer promised), to
 *     a valid message within max_message;
 *   - the data messages the receiving side reads back (inflated when compressed) are
 *     exactly the messages ws_conn_send accepted, in order and byte for byte: a message
 *     refused (output full, no memory) leaves no trace in the stream that follows, not
 *     even in the compressor's context;
 *   - no data frame after its Close, at most one Close, and that Close's payload is
 *     valid (a code allowed on the wire, a UTF-8 reason); text it sends is UTF-8;
 *   - memory stays within max_handshake + max_message + max_output (a counting
 *     allocator, checked at every allocation), with permessage-deflate plus the zlib
 *     state of both directions (fuzz_pmd.h) and the compressed copy of a message being
 *     sent; ws_conn_memory() tells the truth; after ws_conn_free nothing is left;
 *   - what it delivers obeys the rules: text messages are UTF-8 and at most
 *     max_message, control payloads at most 125, close codes valid, on_close once;
 *   - the state only moves forward; once CLOSED, received bytes produce no output and
 *     no callbacks; ws_conn_recv returns the error ws_conn_error reports.
 */
#include "fuzz_input.h"
#include "fuzz_pmd.h"

#include "ws_close.h"
#include "ws_conn.h"
#include "ws_utf8.h"

FUZZ_NOCOV_BEGIN

/* The key a client sends when its random source gives zeros, and the request a real
 * client would send with it. */
#define FUZZ_KEY "AAAAAAAAAAAAAAAAAAAAAA=="
static const char synth_request[] = "GET /chat HTTP/1.1\r\nHost: fuzz\r\nUpgrade: websocket\r\n"
                                    "Connection: Upgrade\r\nSec-WebSocket-Key: " FUZZ_KEY "\r\n"
                                    "Sec-WebSocket-Version: 13\r\n\r\n";
/* The permessage-deflate offers (byte 8 bit 3): the client role's own (the one it has
 * always made), and one where the client narrows what it will do (7.1.2.2, 7.1.1.2)
 * and asks the server for a window. */
#define OFFER_PLAIN "permessage-deflate; client_max_window_bits"
#define OFFER_RICH                                                                                 \
    "permessage-deflate; client_no_context_takeover; client_max_window_bits=12; "                  \
    "server_max_window_bits=14"

/* ------------------------------------------------------------ counting allocator */

struct counter {
    size_t live, bound, calls, fail_at;
    size_t pmd_extra; /* added to bound once permessage-deflate is agreed */
};

/* Each block carries its size in front, so frees and reallocs can be counted. */
static void *count_realloc(void *ud, void *ptr, size_t size)
{
    struct counter *k = ud;
    k->calls++;
    if (k->fail_at && k->calls == k->fail_at)
        return NULL;
    size_t old = 0;
    uint8_t *base = NULL;
    if (ptr) {
        base = (uint8_t *)ptr - 16;
        memcpy(&old, base, sizeof old);
    }
    size_t bound = k->bound + k->pmd_extra;
    FUZZ_CHECK(size <= bound && k->live - old + size <= bound);
    uint8_t *p = realloc(base, size + 16);
    if (!p)
        return NULL;
    memcpy(p, &size, sizeof size);
    k->live = k->live - old + size;
    return p + 16;
}

static void count_free(void *ud, void *ptr)
{
    struct counter *k = ud;
    if (!ptr)
        return;
    uint8_t *base = (uint8_t *)ptr - 16;
    size_t old;
    memcpy(&old, base, sizeof old);
    k->live -= old;
    free(base);
}

/* ------------------------------------------------------------ random */

/* Zeros for the first call (the client key, so that its accept is a constant), then a
 * fixed sequence for masking keys: masks are exercised, runs stay repeatable. */
struct fuzz_rng {
    uint64_t s;
    unsigned calls;
};

static void fuzz_random(void *ud, uint8_t *out, size_t n)
{
    struct fuzz_rng *r = ud;
    for (size_t i = 0; i < n; i++) {
        r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
        out[i] = r->calls == 0 ? 0 : (uint8_t)(r->s >> 56);
    }
    r->calls++;
}

/* ------------------------------------------------------------ output checker */

enum { OUT_HANDSHAKE, OUT_FRAMES, OUT_REFUSED };

struct out_check {
    enum ws_role receiver; /* the role of whoever reads this endpoint's output */
    int phase;
    char block[4096]; /* the handshake message while it is collected */
    size_t block_len;
    uint64_t body_left; /* OUT_REFUSED: body bytes still to come */
    struct ws_frame_decoder dec;
    bool close_seen;
    uint16_t close_code;
    uint8_t ctl[WS_CONTROL_MAX];
    size_t ctl_len;
    uint8_t opcode; /* of the frame being read */
    uint8_t msg_op; /* of the data message being read (0 = none) */
    struct ws_utf8 text;
    /* permessage-deflate, from the endpoint's on_handshake: what it agreed, and the
     * receiving side's inflater for what it sends */
    bool pmd;
    struct ws_pmd_params agreed;
    struct ws_inflater infl;
    bool compressed;            /* the message being read had RSV1 */
    uint64_t msg_hash, msg_len; /* its plain bytes so far */
    uint64_t messages, chain;   /* data messages read back, and their hash chain */
};

/* A message's plain bytes (inflated, or as they were on the wire). */
static enum ws_error out_plain(void *ud, const uint8_t *data, size_t len)
{
    struct out_check *o = ud;
    if (o->msg_op == WS_OP_TEXT) /* 8.1 */
        FUZZ_CHECK(ws_utf8_feed(&o->text, data, len, NULL) == WS_E_OK);
    o->msg_hash = fuzz_hash(o->msg_hash, data, len);
    o->msg_len += len;
    return WS_E_OK;
}

/* One more data message into a hash chain: its length, then its bytes' hash. */
static uint64_t chain_add(uint64_t chain, uint64_t len, uint64_t hash)
{
    chain = fuzz_hash(chain, &len, sizeof len);
    return fuzz_hash(chain, &hash, sizeof hash);
}

/* The server's 101 announces what the connection agreed: one permessage-deflate
 * element with exactly those parameters, or none. */
static void check_announced(const struct out_check *o, const struct ws_http_response *r)
{
    const struct ws_http_header *h =
        ws_http_find(r->headers, r->n_headers, "Sec-WebSocket-Extensions", NULL);
    FUZZ_CHECK((h != NULL) == o->pmd);
    if (!h)
        return;
    struct ws_ext_offer elems[WS_EXT_MAX_OFFERS];
    size_t n = 0, at;
    FUZZ_CHECK(ws_ext_parse(h->value.ptr, h->value.len, elems, WS_EXT_MAX_OFFERS, &n, &at) ==
                   WS_E_OK &&
               n == 1 && ws_pmd_is(&elems[0]));
    struct ws_pmd_params p;
    FUZZ_CHECK(ws_pmd_parse(&elems[0], WS_PMD_RESPONSE, &p, NULL) == WS_E_OK);
    FUZZ_CHECK(memcmp(&p, &o->agreed, sizeof p) == 0);
}

static uint64_t content_length(const struct ws_http_response *r)
{
    const struct ws_http_header *h = ws_http_find(r->headers, r->n_headers, "Content-Length", NULL);
    uint64_t v = 0;
    FUZZ_CHECK(h && h->value.len > 0 && h->value.len < 10);
    for (size_t i = 0; i < h->value.len; i++) {
        FUZZ_CHECK(h->value.ptr[i] >= '0' && h->value.ptr[i] <= '9');
        v = v * 10 + (uint64_t)(h->value.ptr[i] - '0');
    }
    return v;
}

static void out_header(struct out_check *o, const struct ws_frame_header *h)
{
    o->opcode = h->opcode;
    /* 5.5.1: "The application MUST NOT send any more data frames after sending a Close
     * frame." - and a second Close would be a second answer. */
    FUZZ_CHECK(!o->close_seen || ws_opcode_is_control(h->opcode));
    FUZZ_CHECK(!(o->close_seen && h->opcode == WS_OP_CLOSE));
    /* RFC 7692 6.1: "An endpoint MUST NOT set the "Per-Message Compressed" bit of control
     * frames and non-first fragments of a data message." (The decoder lets RSV1 through
     * only once the extension was agreed.) */
    bool rsv1 = h->rsv & WS_RSV1;
    FUZZ_CHECK(!rsv1 || (o->pmd && (h->opcode == WS_OP_TEXT || h->opcode == WS_OP_BINARY)));
    o->ctl_len = 0;
    if (h->opcode == WS_OP_TEXT || h->opcode == WS_OP_BINARY) {
        o->msg_op = h->opcode;
        o->compressed = rsv1;
        o->msg_hash = FUZZ_HASH_INIT;
        o->msg_len = 0;
        ws_utf8_init(&o->text);
    }
}

static void out_payload(struct out_check *o, const uint8_t *data, size_t len)
{
    if (ws_opcode_is_control(o->opcode)) {
        memcpy(o->ctl + o->ctl_len, data, len);
        o->ctl_len += len;
    } else if (o->compressed) {
        FUZZ_CHECK(ws_inflate_feed(&o->infl, data, len, out_plain, o) == WS_E_OK);
    } else {
        out_plain(o, data, len);
    }
}

static void out_end(struct out_check *o, const struct ws_frame_header *h)
{
    if (o->opcode == WS_OP_CLOSE) {
        o->close_seen = true;
        FUZZ_CHECK(ws_close_parse(o->ctl, o->ctl_len, &o->close_code, NULL, NULL, NULL) == WS_E_OK);
    }
    if (ws_opcode_is_control(o->opcode) || !h->fin)
        return;
    /* RFC 7692 7.2.2: the receiver appends 00 00 ff ff and inflates - the message must
     * end there, within max_message */
    if (o->compressed)
        FUZZ_CHECK(ws_inflate_finish(&o->infl, out_plain, o) == WS_E_OK);
    if (o->msg_op == WS_OP_TEXT)
        FUZZ_CHECK(ws_utf8_finish(&o->text) == WS_E_OK);
    o->chain = chain_add(o->chain, o->msg_len, o->msg_hash);
    o->messages++;
    o->msg_op = 0;
    o->compressed = false;
}

static void out_frames(struct out_check *o, uint8_t *p, size_t n)
{
    size_t off = 0;
    for (;;) {
        size_t used;
        struct ws_frame_event ev;
        enum ws_error e = ws_frame_decode(&o->dec, p + off, n - off, &used, &ev);
        FUZZ_CHECK(e == WS_E_OK); /* every byte sent is a valid frame for its reader */
        off += used;
        if (ev.type == WS_FRAME_NONE)
            return;
        if (ev.type == WS_FRAME_HEADER)
            out_header(o, ev.hdr);
        else if (ev.type == WS_FRAME_PAYLOAD)
            out_payload(o, ev.data, ev.len);
        else
            out_end(o, ev.hdr);
    }
}

/* Bytes the endpoint sent, in order, exactly once each. */
static void out_feed(struct out_check *o, const uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    uint8_t *copy = fuzz_dup(p, n); /* decoding unmasks in place */
    uint8_t *q = copy;
    if (o->phase == OUT_HANDSHAKE) {
        size_t k = sizeof o->block - o->block_len;
        k = k < n ? k : n;
        memcpy(o->block + o->block_len, q, k);
        o->block_len += k;
        size_t used = 0;
        enum ws_error e;
        if (o->receiver == WS_ROLE_SERVER) { /* a client's request */
            struct ws_http_request req;
            e = ws_http_parse_request(o->block, o->block_len, sizeof o->block, &req, &used, NULL);
            if (e == WS_E_OK)
                o->phase = OUT_FRAMES;
        } else { /* a server's 101 or refusal */
            struct ws_http_response resp;
            e = ws_http_parse_response(o->block, o->block_len, sizeof o->block, &resp, &used, NULL);
            if (e == WS_E_OK && resp.status == 101) {
                o->phase = OUT_FRAMES;
                check_announced(o, &resp);
            } else if (e == WS_E_OK) {
                FUZZ_CHECK(resp.status >= 400 && resp.status <= 499);
                o->phase = OUT_REFUSED;
                o->body_left = content_length(&resp);
            }
        }
        FUZZ_CHECK(e == WS_E_OK || e == WS_E_INCOMPLETE);
        if (e == WS_E_INCOMPLETE) {
            free(copy);
            return;
        }
        /* the bytes of this chunk past the block */
        size_t before = o->block_len - k;
        size_t past = used - before;
        q += past;
        n -= past;
    }
    if (o->phase == OUT_REFUSED) {
        FUZZ_CHECK(n <= o->body_left); /* nothing after the refusal's body */
        o->body_left -= n;
    } else if (n) {
        out_frames(o, q, n);
    }
    free(copy);
}

/* ------------------------------------------------------------ the application */

struct app {
    struct ws_conn c;
    struct counter mem;
    struct out_check out;
    struct fuzz_rng rng;
    uint64_t max_message;
    bool echo, close_after_first, in_recv_closed;
    bool handshake_seen, close_cb_seen;
    bool msg_rsv1; /* the message being received had RSV1 on its first frame */
    size_t messages;
    uint64_t received, drained;        /* bytes fed in, bytes taken out */
    uint64_t frame_offset, frame_data; /* the frame being received, its payload so far */
    uint64_t msg_hash, msg_len, ctl_hash, ctl_len; /* payload seen for the message/control */
    uint64_t sent, sent_chain; /* data messages ws_conn_send accepted, their hash chain */
    uint64_t plain;            /* bytes of the messages delivered (inflated ones count) */
    const struct ws_pmd_params *own_offer; /* client role: what its offer promised */
};

static void on_handshake(struct ws_conn *c, enum ws_error result, const char *raw, size_t len,
                         void *user)
{
    struct app *a = user;
    FUZZ_CHECK(!a->in_recv_closed && !a->handshake_seen);
    a->handshake_seen = true;
    FUZZ_CHECK(raw != NULL || len == 0);
    FUZZ_CHECK(ws_conn_state(c) == (result == WS_E_OK ? WS_OPEN : WS_CLOSED));
    struct out_check *o = &a->out;
    if (result != WS_E_OK || !ws_conn_pmd(c, &o->agreed))
        return;
    /* The side that reads this endpoint's messages inflates them with the window and
     * context takeover the endpoint agreed to send with (ws_pmd_side_config from the
     * reader's side) - narrowed, for a client, by what its own offer said of it: 7.1.2.2
     * (client_max_window_bits with a value) and 7.1.1.2 (client_no_context_takeover). */
    o->pmd = true;
    struct ws_pmd_side_config rd;
    ws_pmd_side_config(&o->agreed, o->receiver, &rd);
    const struct ws_pmd_params *own = a->own_offer;
    if (own && own->client_max_window_bits && own->client_max_window_bits < rd.recv_window_bits)
        rd.recv_window_bits = own->client_max_window_bits;
    bool nct = rd.recv_no_context_takeover || (own && own->client_no_context_takeover);
    struct ws_inflate_config ic = {.window_bits = rd.recv_window_bits,
                                   .no_context_takeover = nct,
                                   .max_message = a->max_message};
    FUZZ_CHECK(ws_inflater_init(&o->infl, &ic) == WS_E_OK);
    o->dec.rules.rsv_allowed = WS_RSV1;
    /* from now on: the zlib state of both directions and the compressed copy of the
     * largest message the application may echo (ws_conn.c queue_message: reserved with
     * buf_reserve's doubling, so up to twice its bound) */
    a->mem.pmd_extra = fuzz_pmd_state_bound(&o->agreed, c->cfg.role) +
                       2 * ws_conn_deflate_bound(c, (size_t)a->max_message);
}

static void on_frame(struct ws_conn *c, const struct ws_frame_header *h, void *user)
{
    struct app *a = user;
    FUZZ_CHECK(!a->in_recv_closed);
    FUZZ_CHECK(h->masked == (c->cfg.role == WS_ROLE_SERVER));
    a->frame_offset = h->frame_offset;
    a->frame_data = 0;
    if (h->opcode == WS_OP_TEXT || h->opcode == WS_OP_BINARY) {
        a->msg_hash = FUZZ_HASH_INIT; /* a new message starts */
        a->msg_len = 0;
        a->msg_rsv1 = h->rsv & WS_RSV1;
    } else if (ws_opcode_is_control(h->opcode)) {
        a->ctl_hash = FUZZ_HASH_INIT;
        a->ctl_len = 0;
    }
}

/* Payload slices of the frame on_frame announced, in order, within its length. */
static void on_frame_data(struct ws_conn *c, const struct ws_frame_header *h, const uint8_t *data,
                          size_t len, uint64_t offset, void *user)
{
    struct app *a = user;
    (void)c;
    FUZZ_CHECK(!a->in_recv_closed && data != NULL && len > 0);
    FUZZ_CHECK(h->frame_offset == a->frame_offset && offset == a->frame_data);
    FUZZ_CHECK(len <= h->payload_len - offset);
    a->frame_data += len;
    /* What reassembly must deliver: the data frames' payloads, in order. */
    if (ws_opcode_is_control(h->opcode)) {
        a->ctl_hash = fuzz_hash(a->ctl_hash, data, len);
        a->ctl_len += len;
    } else {
        a->msg_hash = fuzz_hash(a->msg_hash, data, len);
        a->msg_len += len;
    }
}

static void on_message(struct ws_conn *c, enum ws_opcode op, const uint8_t *data, size_t len,
                       void *user)
{
    struct app *a = user;
    FUZZ_CHECK(!a->in_recv_closed && !a->close_cb_seen);
    FUZZ_CHECK(op == WS_OP_TEXT || op == WS_OP_BINARY);
    FUZZ_CHECK(len <= a->max_message && (data != NULL || len == 0));
    if (op == WS_OP_TEXT)
        FUZZ_CHECK(ws_utf8_valid(data, len)); /* 8.1 */
    /* the message is exactly its frames' payloads, control frames left out */
    uint64_t hash = fuzz_hash(FUZZ_HASH_INIT, data, len);
    if (!a->msg_rsv1) /* compressed, the payloads are what inflated to data */
        FUZZ_CHECK(len == a->msg_len && hash == a->msg_hash);
    a->messages++;
    a->plain += len;
    if (a->echo) {
        enum ws_error e = ws_conn_send(c, op, data, len);
        FUZZ_CHECK(e == WS_E_OK || e == WS_E_WRONG_STATE || e == WS_E_OUTPUT_FULL ||
                   e == WS_E_NOMEM);
        if (e == WS_E_OK) {
            a->sent++;
            a->sent_chain = chain_add(a->sent_chain, len, hash);
        }
        if (e == WS_E_WRONG_STATE)
            FUZZ_CHECK(ws_conn_state(c) != WS_OPEN || c->close.sent);
    }
    if (a->close_after_first && a->messages == 1) {
        enum ws_error e = ws_conn_close(c, 1000, "done", 4);
        FUZZ_CHECK(e == WS_E_OK || e == WS_E_WRONG_STATE || e == WS_E_NOMEM);
    }
}

static void on_control(struct ws_conn *c, enum ws_opcode op, const uint8_t *data, size_t len,
                       void *user)
{
    struct app *a = user;
    (void)c;
    FUZZ_CHECK(!a->in_recv_closed);
    FUZZ_CHECK((op == WS_OP_PING || op == WS_OP_PONG) && len <= WS_CONTROL_MAX);
    FUZZ_CHECK(len == a->ctl_len && fuzz_hash(FUZZ_HASH_INIT, data, len) == a->ctl_hash);
}

static void on_close(struct ws_conn *c, uint16_t code, const uint8_t *reason, size_t len,
                     void *user)
{
    struct app *a = user;
    (void)c;
    FUZZ_CHECK(!a->in_recv_closed && !a->close_cb_seen);
    a->close_cb_seen = true;
    FUZZ_CHECK(code == 0 || ws_close_code_valid(code));
    FUZZ_CHECK(code != 0 || len == 0);
    FUZZ_CHECK(ws_utf8_valid(reason, len));
}

/* Hand the pending output to the checker: all of it, or half (ws_conn_sent with a
 * partial count must keep the rest in order). */
static void drain(struct app *a, bool half)
{
    const uint8_t *p;
    size_t n = ws_conn_pending(&a->c, &p);
    FUZZ_CHECK(p != NULL || n == 0);
    if (half)
        n /= 2;
    out_feed(&a->out, p, n);
    ws_conn_sent(&a->c, n);
    a->drained += n;
}

/* ws_conn_memory tells the truth, and memory follows the bytes that actually came
 * and went, never a length field: each buffer grows geometrically (at most twice its
 * contents, at least 256 bytes) and an emptied one keeps at most 1 KiB. So what is
 * held is at most twice the bytes received plus twice the bytes queued for output,
 * plus four small buffers, plus the one read of at most 8 KiB that
 * ws_conn_recv_space may make room for once a frame's header came. A frame declaring
 * 2^62 bytes costs nothing beyond that. With
 * permessage-deflate, what came is also what inflated: the messages delivered and the
 * one being reassembled (c->msg, private, read here only for this bound); and the zlib
 * state (fuzz_pmd.h). */
static void check_memory(struct app *a)
{
    FUZZ_CHECK(ws_conn_memory(&a->c) == a->mem.live);
    const uint8_t *p;
    uint64_t output = a->drained + ws_conn_pending(&a->c, &p);
    /* + the room ws_conn_recv_space may make before the bytes come: at least 4 KiB
     * (WS_CONN_RECV_MIN), rounded up by doubling, and the message buffer's headroom */
    uint64_t bound = 2 * (a->received + output) + 3 * 1024 + 8 * 1024 + 64;
    if (a->out.pmd) /* the compressed copy of a message sent is a fourth buffer */
        bound += 1024 + 2 * (a->plain + a->c.msg.len) +
                 fuzz_pmd_state_bound(&a->out.agreed, a->c.cfg.role);
    FUZZ_CHECK(a->mem.live <= bound);
}

/* ------------------------------------------------------------ the input */

/* The permessage-deflate knobs (bytes 7-8, with bit 7 of byte 2). Zero: the server
 * accepts any valid offer and asks for nothing, the client offers OFFER_PLAIN, the
 * synthesized handshake leaves the extension out. */
struct pmd_knobs {
    bool on;
    struct ws_pmd_server_prefs prefs;
    bool rich, each_message;
    int level;
};

static uint8_t window_of(unsigned v)
{
    return v >= 8 ? (uint8_t)v : 0;
}

static void read_knobs(struct pmd_knobs *k, struct fuzz_in *in)
{
    uint8_t w = fuzz_u8(in), f = fuzz_u8(in);
    k->on = true;
    k->prefs.server_max_window_bits = window_of(w & 15u);
    k->prefs.client_max_window_bits = window_of(w >> 4);
    k->prefs.server_no_context_takeover = f & 1u;
    k->prefs.client_no_context_takeover = f & 2u;
    k->each_message = f & 4u;
    k->rich = f & 8u;
    k->level = (f >> 4) <= 9 ? f >> 4 : 0;
}

/* The permessage-deflate offer in an extensions value (the first element), false if
 * there is none. */
static bool own_offer(const char *ext, struct ws_pmd_params *out)
{
    struct ws_ext_offer elems[WS_EXT_MAX_OFFERS];
    size_t n = 0, at;
    return ws_ext_parse(ext, strlen(ext), elems, WS_EXT_MAX_OFFERS, &n, &at) == WS_E_OK && n > 0 &&
           ws_pmd_is(&elems[0]) && ws_pmd_parse(&elems[0], WS_PMD_OFFER, out, NULL) == WS_E_OK;
}

/* The handshake the endpoint receives first (bit 1 of byte 0), into out: a server gets
 * a client's request, with the offer the knobs choose when they are on; a client gets
 * the 101 for its own request, with the answer a server with the knobs' preferences
 * makes to its offer (the core's own ws_pmd_server_answer). Returns its length. */
static size_t synth_handshake(const struct ws_conn_config *cfg, const struct pmd_knobs *k,
                              char *out, size_t cap)
{
    int n;
    if (cfg->role == WS_ROLE_SERVER && !k->on) {
        n = snprintf(out, cap, "%s", synth_request);
    } else if (cfg->role == WS_ROLE_SERVER) {
        n = snprintf(out, cap,
                     "GET /chat HTTP/1.1\r\nHost: fuzz\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: " FUZZ_KEY "\r\n"
                     "Sec-WebSocket-Extensions: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                     k->rich ? OFFER_RICH : OFFER_PLAIN);
    } else {
        char accept[WS_ACCEPT_LEN + 1], ext[WS_PMD_FORMAT_MAX + 32] = "";
        ws_handshake_accept(FUZZ_KEY, strlen(FUZZ_KEY), accept);
        struct ws_ext_offer elems[WS_EXT_MAX_OFFERS];
        size_t ne = 0, at;
        const char *offer = cfg->request.extensions;
        char answer[WS_PMD_FORMAT_MAX];
        struct ws_pmd_params agreed;
        if (k->on &&
            ws_ext_parse(offer, strlen(offer), elems, WS_EXT_MAX_OFFERS, &ne, &at) == WS_E_OK &&
            ws_pmd_server_answer(elems, ne, &k->prefs, &agreed, answer, sizeof answer))
            snprintf(ext, sizeof ext, "Sec-WebSocket-Extensions: %s\r\n", answer);
        n = snprintf(out, cap,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s\r\n",
                     accept, ext);
    }
    FUZZ_CHECK(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t max_messages[8] = {0, 1, 125, 126, 1000, 65535, 65536, 1u << 20};
    static const size_t max_outputs[8] = {0, 1, 64, 200, 1024, 4096, 65536, 1u << 20};
    static const size_t max_handshakes[4] = {0, 64, 512, 4096};
    static const char *const protocols[] = {"chat"};
    struct fuzz_in in = {data, size};
    uint8_t b0 = fuzz_u8(&in), b1 = fuzz_u8(&in), b2 = fuzz_u8(&in);
    struct fuzz_chop chop;
    fuzz_chop_init(&chop, &in);
    struct pmd_knobs knobs = {0};
    if (b2 & 128u)
        read_knobs(&knobs, &in);
    bool client = b0 & 1u, synth = b0 & 2u, drain_often = b0 & 16u;

    struct app *a = calloc(1, sizeof *a);
    if (!a)
        abort();
    a->echo = b0 & 8u;
    a->close_after_first = b1 & 64u;
    a->mem.fail_at = b2 & 127u;
    struct ws_conn_config cfg = {
        .role = client ? WS_ROLE_CLIENT : WS_ROLE_SERVER,
        .max_message = max_messages[b0 >> 5],
        .max_output = max_outputs[b1 & 7u],
        .max_handshake = max_handshakes[(b1 >> 3) & 3u],
        .tester.no_auto_pong = b0 & 4u,
        .keep_buffers = drain_often,
        .protocols = protocols,
        .n_protocols = 1,
        .request = {.host = "fuzz",
                    .target = "/chat",
                    .protocols = protocols,
                    .n_protocols = 1,
                    .extensions = knobs.rich ? OFFER_RICH : OFFER_PLAIN},
        .pmd = knobs.prefs,
        .deflate_level = knobs.level,
        .deflate_each_message = knobs.each_message,
        .random = fuzz_random,
        .random_ud = &a->rng,
        .cb = {.on_handshake = on_handshake,
               .on_frame = on_frame,
               .on_message = on_message,
               .on_control = on_control,
               .on_close = on_close,
               .on_frame_data = on_frame_data},
        .user = a,
        .alloc = {count_realloc, count_free, &a->mem},
    };
    /* The limits the connection will apply (ws_conn_init's defaults), and the bound
     * on all it may hold at once: each buffer is capped by its limit; the client's
     * request is built before any limit applies and is about 1 KiB here. */
    uint64_t mm = cfg.max_message ? cfg.max_message : WS_CONN_DEFAULT_MAX_MESSAGE;
    size_t mo = cfg.max_output ? cfg.max_output : 2 * (size_t)mm + (1u << 20);
    size_t mh = cfg.max_handshake ? cfg.max_handshake : WS_HTTP_DEFAULT_MAX_BLOCK;
    a->max_message = mm;
    a->mem.bound = mh + (size_t)mm + (mo > 4096 ? mo : 4096) + 64; /* + msg headroom */
    a->out.receiver = client ? WS_ROLE_SERVER : WS_ROLE_CLIENT;
    struct ws_pmd_params own;
    if (client && own_offer(cfg.request.extensions, &own))
        a->own_offer = &own;
    struct ws_frame_rules rules = {.role = a->out.receiver};
    ws_frame_decoder_init(&a->out.dec, &rules);

    if (ws_conn_init(&a->c, &cfg) != WS_E_OK) {
        FUZZ_CHECK(a->mem.live == 0); /* a failed init keeps nothing */
        free(a);
        return 0;
    }
    check_memory(a);

    /* The received stream: the synthesized handshake, if asked for, then the data. */
    char pre[512];
    size_t pre_len = synth ? synth_handshake(&cfg, &knobs, pre, sizeof pre) : 0;
    size_t n = pre_len + in.n;
    uint8_t *stream = fuzz_dup(NULL, n);
    memcpy(stream, pre, pre_len);
    if (in.n)
        memcpy(stream + pre_len, in.p, in.n);

    enum ws_conn_state last = ws_conn_state(&a->c);
    bool pinged = false;
    size_t pos = 0, round = 0;
    while (pos < n) {
        size_t k = fuzz_chop_next(&chop, n - pos);
        const uint8_t *p0;
        size_t pending_before = ws_conn_pending(&a->c, &p0);
        a->in_recv_closed = last == WS_CLOSED;
        /* every other read goes where ws_conn_recv_space offers, when it does: straight
         * into the message being reassembled, as wsspec echo reads */
        uint8_t *room = NULL;
        size_t space = round & 1u ? 0 : ws_conn_recv_space(&a->c, &room);
        check_memory(a);
        enum ws_error e;
        if (space > 0) {
            FUZZ_CHECK(room != NULL);
            k = k < space ? k : space;
            memcpy(room, stream + pos, k);
            e = ws_conn_recv(&a->c, room, k);
        } else {
            FUZZ_CHECK(room == NULL);
            fuzz_fence(stream, n, pos + k, true); /* the rest is not this read's */
            e = ws_conn_recv(&a->c, stream + pos, k);
            fuzz_fence(stream, n, pos + k, false);
        }
        pos += k;
        a->received += k;
        enum ws_conn_state st = ws_conn_state(&a->c);
        FUZZ_CHECK(st >= last);
        FUZZ_CHECK(e == ws_conn_error(&a->c, NULL));
        if (last == WS_CLOSED)
            FUZZ_CHECK(ws_conn_pending(&a->c, &p0) == pending_before);
        last = st;
        a->in_recv_closed = false;
        if (st == WS_OPEN && !pinged && (b1 & 32u)) {
            pinged = true;
            enum ws_error pe = ws_conn_send(&a->c, WS_OP_PING, (const uint8_t *)"fuzz", 4);
            FUZZ_CHECK(pe == WS_E_OK || pe == WS_E_OUTPUT_FULL || pe == WS_E_NOMEM ||
                       pe == WS_E_WRONG_STATE);
        }
        check_memory(a);
        if (drain_often) {
            drain(a, round & 1u);
            if ((round & 3u) == 2u) /* as wsspec echo does when a connection goes quiet */
                ws_conn_trim(&a->c);
        }
        round++;
        check_memory(a);
    }
    if (b1 & 128u) {
        ws_conn_eof(&a->c);
        FUZZ_CHECK(ws_conn_state(&a->c) == WS_CLOSED);
    }
    drain(a, false);

    struct ws_close_status cs;
    ws_conn_close_status(&a->c, &cs);
    if (a->out.close_seen)
        FUZZ_CHECK(cs.sent && cs.sent_code == a->out.close_code);
    if (cs.clean)
        FUZZ_CHECK(cs.sent && cs.received);
    if (a->close_cb_seen)
        FUZZ_CHECK(cs.received);

    /* what the receiving side read back is what the application sent */
    FUZZ_CHECK(a->out.messages == a->sent && a->out.chain == a->sent_chain);

    ws_conn_free(&a->c);
    FUZZ_CHECK(a->mem.live == 0);
    ws_inflater_free(&a->out.infl);
    free(stream);
    free(a);
    return 0;
}

FUZZ_NOCOV_END

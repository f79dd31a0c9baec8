/*
 * conn_fuzzer.c - the whole endpoint state machine (ws_conn), server and client role:
 * bytes in, bytes out, and an application on top that echoes, pings and closes.
 *
 * Input:
 *   byte 0   bit 0 role (0 server, 1 client); bit 1 put a valid opening handshake
 *            before the data (so inputs of bare frames reach OPEN); bit 2
 *            no_auto_pong; bit 3 the application echoes every message; bit 4 the
 *            output is drained as it comes (else only at the end, so the output
 *            bound is reached); bits 5-7 max_message (default, 1, 125, 126, 1000,
 *            65535, 65536, 1 MiB)
 *   byte 1   bits 0-2 max_output (default, 1, 64, 200, 1024, 4096, 65536, 1 MiB);
 *            bits 3-4 max_handshake (default, 64, 512, 4096); bit 5 the application
 *            pings once OPEN; bit 6 it closes after the first message; bit 7 the peer
 *            ends TCP after the data
 *   byte 2   the allocation to fail (0 = none): every NOMEM path is reachable
 *   3-6      chop schedule of the received bytes (fuzz_input.h)
 *   the rest the bytes the endpoint receives
 *
 * Invariants checked, beyond "no crash, no leak, no UB":
 *   - everything the endpoint sends is a valid handshake message followed by frames
 *     that a strict decoder of the receiving role accepts (masked iff the sender is
 *     a client, control frames short and unfragmented, no RSV bit, minimal lengths);
 *     a refusal is one HTTP response with its body and nothing after it;
 *   - no data frame after its Close, at most one Close, and that Close's payload is
 *     valid (a code allowed on the wire, a UTF-8 reason); text it sends is UTF-8;
 *   - memory stays within max_handshake + max_message + max_output (a counting
 *     allocator, checked at every allocation) and ws_conn_memory() tells the truth;
 *     after ws_conn_free nothing is left;
 *   - what it delivers obeys the rules: text messages are UTF-8 and at most
 *     max_message, control payloads at most 125, close codes valid, on_close once;
 *   - the state only moves forward; once CLOSED, received bytes produce no output and
 *     no callbacks; ws_conn_recv returns the error ws_conn_error reports.
 */
#include "fuzz_input.h"

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

/* ------------------------------------------------------------ counting allocator */

struct counter {
    size_t live, bound, calls, fail_at;
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
    FUZZ_CHECK(size <= k->bound && k->live - old + size <= k->bound);
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
    struct ws_utf8 text;
};

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
        const struct ws_frame_header *h = ev.hdr;
        if (ev.type == WS_FRAME_HEADER) {
            o->opcode = h->opcode;
            /* 5.5.1: "The application MUST NOT send any more data frames after
             * sending a Close frame." - and a second Close would be a second answer. */
            FUZZ_CHECK(!o->close_seen || ws_opcode_is_control(h->opcode));
            FUZZ_CHECK(!(o->close_seen && h->opcode == WS_OP_CLOSE));
            o->ctl_len = 0;
            if (h->opcode == WS_OP_TEXT)
                ws_utf8_init(&o->text);
        } else if (ev.type == WS_FRAME_PAYLOAD) {
            if (ws_opcode_is_control(o->opcode)) {
                memcpy(o->ctl + o->ctl_len, ev.data, ev.len);
                o->ctl_len += ev.len;
            } else if (o->opcode == WS_OP_TEXT) {
                FUZZ_CHECK(ws_utf8_feed(&o->text, ev.data, ev.len, NULL) == WS_E_OK);
            }
        } else {
            if (o->opcode == WS_OP_TEXT && h->fin)
                FUZZ_CHECK(ws_utf8_finish(&o->text) == WS_E_OK);
            if (o->opcode == WS_OP_CLOSE) {
                o->close_seen = true;
                FUZZ_CHECK(ws_close_parse(o->ctl, o->ctl_len, &o->close_code, NULL, NULL, NULL) ==
                           WS_E_OK);
            }
        }
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
    size_t messages;
    uint64_t received, drained;        /* bytes fed in, bytes taken out */
    uint64_t frame_offset, frame_data; /* the frame being received, its payload so far */
    uint64_t msg_hash, msg_len, ctl_hash, ctl_len; /* payload seen for the message/control */
};

static void on_handshake(struct ws_conn *c, enum ws_error result, const char *raw, size_t len,
                         void *user)
{
    struct app *a = user;
    FUZZ_CHECK(!a->in_recv_closed && !a->handshake_seen);
    a->handshake_seen = true;
    FUZZ_CHECK(raw != NULL || len == 0);
    FUZZ_CHECK(ws_conn_state(c) == (result == WS_E_OK ? WS_OPEN : WS_CLOSED));
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
    FUZZ_CHECK(len == a->msg_len && fuzz_hash(FUZZ_HASH_INIT, data, len) == a->msg_hash);
    a->messages++;
    if (a->echo) {
        enum ws_error e = ws_conn_send(c, op, data, len);
        FUZZ_CHECK(e == WS_E_OK || e == WS_E_WRONG_STATE || e == WS_E_OUTPUT_FULL ||
                   e == WS_E_NOMEM);
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
 * plus three small buffers. A frame declaring 2^62 bytes costs nothing. */
static void check_memory(struct app *a)
{
    FUZZ_CHECK(ws_conn_memory(&a->c) == a->mem.live);
    const uint8_t *p;
    uint64_t output = a->drained + ws_conn_pending(&a->c, &p);
    FUZZ_CHECK(a->mem.live <= 2 * (a->received + output) + 3 * 1024);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t max_messages[8] = {0, 1, 125, 126, 1000, 65535, 65536, 1u << 20};
    static const size_t max_outputs[8] = {0, 1, 64, 200, 1024, 4096, 65536, 1u << 20};
    static const size_t max_handshakes[4] = {0, 64, 512, 4096};
    static const char *const protocols[] = {"chat"};
    struct fuzz_in in = {data, size};
    uint8_t b0 = fuzz_u8(&in), b1 = fuzz_u8(&in), fail_at = fuzz_u8(&in);
    struct fuzz_chop chop;
    fuzz_chop_init(&chop, &in);
    bool client = b0 & 1u, synth = b0 & 2u, drain_often = b0 & 16u;

    struct app *a = calloc(1, sizeof *a);
    if (!a)
        abort();
    a->echo = b0 & 8u;
    a->close_after_first = b1 & 64u;
    a->mem.fail_at = fail_at;
    struct ws_conn_config cfg = {
        .role = client ? WS_ROLE_CLIENT : WS_ROLE_SERVER,
        .max_message = max_messages[b0 >> 5],
        .max_output = max_outputs[b1 & 7u],
        .max_handshake = max_handshakes[(b1 >> 3) & 3u],
        .tester.no_auto_pong = b0 & 4u,
        .protocols = protocols,
        .n_protocols = 1,
        .request = {.host = "fuzz",
                    .target = "/chat",
                    .protocols = protocols,
                    .n_protocols = 1,
                    .extensions = "permessage-deflate; client_max_window_bits"},
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
    a->mem.bound = mh + (size_t)mm + (mo > 4096 ? mo : 4096);
    a->out.receiver = client ? WS_ROLE_SERVER : WS_ROLE_CLIENT;
    struct ws_frame_rules rules = {.role = a->out.receiver};
    ws_frame_decoder_init(&a->out.dec, &rules);

    if (ws_conn_init(&a->c, &cfg) != WS_E_OK) {
        FUZZ_CHECK(a->mem.live == 0); /* a failed init keeps nothing */
        free(a);
        return 0;
    }
    check_memory(a);

    /* The received stream: the synthesized handshake, if asked for, then the data. */
    char synth_response[256];
    const char *pre = "";
    size_t pre_len = 0;
    if (synth && client) {
        char accept[WS_ACCEPT_LEN + 1];
        ws_handshake_accept(FUZZ_KEY, strlen(FUZZ_KEY), accept);
        int k = snprintf(synth_response, sizeof synth_response,
                         "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                         "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                         accept);
        FUZZ_CHECK(k > 0 && (size_t)k < sizeof synth_response);
        pre = synth_response;
        pre_len = (size_t)k;
    } else if (synth) {
        pre = synth_request;
        pre_len = sizeof synth_request - 1;
    }
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
        fuzz_fence(stream, n, pos + k, true); /* the rest is not this read's */
        enum ws_error e = ws_conn_recv(&a->c, stream + pos, k);
        fuzz_fence(stream, n, pos + k, false);
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
        if (drain_often)
            drain(a, round++ & 1u);
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

    ws_conn_free(&a->c);
    FUZZ_CHECK(a->mem.live == 0);
    free(stream);
    free(a);
    return 0;
}

FUZZ_NOCOV_END

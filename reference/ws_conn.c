/*
 * ws_conn.c - the endpoint state machine (see ws_conn.h for the model).
 *
 * One frame's way through: ws_conn_recv -> ws_frame_decode (header rules, unmasking)
 * -> on_header / on_payload / on_end below (sequence rules, UTF-8, reassembly, control
 * frames) -> callbacks. Failing the connection is one function, conn_fail(), which
 * queues the Close with the error's code from the error table.
 */
#include "ws_conn.h"

#include "ws_close.h"
#include "ws_ext.h"

#include <string.h>
#include <strings.h>

/* Buffers that grew past this are released once empty, so what an idle connection
 * holds does not depend on its past traffic: its struct plus at most two 1 KiB buffers
 * (what makes 10,000 idle connections cheap). Small messages reuse their buffer. */
#define WS_CONN_KEEP_BUF 1024
/* Room for a client's opening request before extra headers are counted. */
#define WS_CONN_REQUEST_BASE 1024

/* ---------------------------------------------------------------- buffers */

/* Make room for `extra` more live bytes, never beyond `limit` live bytes in all.
 * Grows geometrically, so a buffer filled by small appends costs O(n), and at most
 * twice the bytes that actually arrived. */
static enum ws_error buf_reserve(const struct ws_allocator *a, struct ws_buf *b, size_t extra,
                                 size_t limit)
{
    if (extra > limit || b->len > limit - extra)
        return WS_E_OUTPUT_FULL;
    size_t need = b->len + extra;
    if (b->off && b->off + need > b->cap) {
        memmove(b->data, b->data + b->off, b->len);
        b->off = 0;
    }
    if (need <= b->cap)
        return WS_E_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > limit)
        cap = limit;
    uint8_t *p = ws_realloc(a, b->data, cap);
    if (!p)
        return WS_E_NOMEM;
    b->data = p;
    b->cap = cap;
    return WS_E_OK;
}

/* The message buffer never compacts: its first MSG_HEADROOM bytes stay free, so that
 * the echo of a whole message can put its frame header there and hand the buffer to
 * the output queue (queue_message_buffer) instead of copying the payload. Grows
 * geometrically like buf_reserve, never beyond limit live bytes. */
#define MSG_HEADROOM WS_FRAME_HEADER_MAX

static enum ws_error msg_reserve(const struct ws_allocator *a, struct ws_buf *b, size_t extra,
                                 size_t limit)
{
    if (extra > limit || b->len > limit - extra)
        return WS_E_OUTPUT_FULL;
    b->off = MSG_HEADROOM;
    size_t need = MSG_HEADROOM + b->len + extra;
    if (need <= b->cap)
        return WS_E_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > limit + MSG_HEADROOM)
        cap = limit + MSG_HEADROOM;
    uint8_t *p = ws_realloc(a, b->data, cap);
    if (!p)
        return WS_E_NOMEM;
    b->data = p;
    b->cap = cap;
    return WS_E_OK;
}

static void buf_release(const struct ws_allocator *a, struct ws_buf *b)
{
    ws_free(a, b->data);
    memset(b, 0, sizeof *b);
}

/* Forget the contents; give the memory back if the buffer had grown large, unless the
 * owner keeps buffers (cfg.keep_buffers: then ws_conn_trim gives it back). */
static void buf_clear(const struct ws_conn *c, struct ws_buf *b)
{
    if (b->cap > WS_CONN_KEEP_BUF && !c->cfg.keep_buffers)
        buf_release(&c->cfg.alloc, b);
    b->off = b->len = 0;
}

static uint8_t *buf_tail(struct ws_buf *b)
{
    return b->data + b->off + b->len;
}

/* ---------------------------------------------------------------- output */

static size_t out_limit(const struct ws_conn *c)
{
    return c->cfg.max_output;
}

static enum ws_error queue_frame(struct ws_conn *c, const struct ws_frame_spec *s,
                                 const uint8_t *payload, size_t len)
{
    uint8_t hdr[WS_FRAME_HEADER_MAX];
    size_t hlen = ws_frame_write_header(s, len, hdr);
    if (hlen == 0)
        return WS_E_INVALID_ARGUMENT;
    if (len > SIZE_MAX - hlen)
        return WS_E_OUTPUT_FULL;
    /* the payload may be bytes of the output queue itself (a message handed over by
     * queue_message_buffer and sent again from the same callback): growing the queue
     * moves them, so they are found again by their offset */
    bool inside = len && c->out.data && payload >= c->out.data + c->out.off &&
                  payload < c->out.data + c->out.off + c->out.len;
    size_t at = inside ? (size_t)(payload - (c->out.data + c->out.off)) : 0;
    enum ws_error e = buf_reserve(&c->cfg.alloc, &c->out, hlen + len, out_limit(c));
    if (e)
        return e;
    if (inside)
        payload = c->out.data + c->out.off + at;
    uint8_t *p = buf_tail(&c->out);
    memcpy(p, hdr, hlen);
    if (len) {
        memcpy(p + hlen, payload, len);
        if (s->masked)
            ws_mask(p + hlen, len, s->mask_key, 0);
    }
    c->out.len += hlen + len;
    if (c->cfg.cb.on_frame_sent)
        c->cfg.cb.on_frame_sent(c, s, payload, len, c->cfg.user);
    return WS_E_OK;
}

/* A frame as this endpoint normally sends it: FIN, RSV as given (RSV1 on a compressed
 * message, else none), masked iff client (5.1). */
static enum ws_error queue_rsv_frame(struct ws_conn *c, uint8_t opcode, uint8_t rsv,
                                     const uint8_t *payload, size_t len)
{
    struct ws_frame_spec s = {.fin = true, .rsv = rsv, .opcode = opcode};
    if (c->cfg.role == WS_ROLE_CLIENT) {
        s.masked = true;
        c->cfg.random(c->cfg.random_ud, s.mask_key, 4);
    }
    return queue_frame(c, &s, payload, len);
}

static enum ws_error queue_own_frame(struct ws_conn *c, uint8_t opcode, const uint8_t *payload,
                                     size_t len)
{
    return queue_rsv_frame(c, opcode, 0, payload, len);
}

/* The echo's fast path: data is the whole message being delivered (on_message), the
 * output queue is empty and the frame is sent plain and unmasked (server role). Its
 * header goes into the message buffer's headroom and the two buffers swap: the message
 * becomes the output without its payload being copied, and the emptied output buffer
 * takes the next message. False if this does not apply. */
static bool queue_message_buffer(struct ws_conn *c, uint8_t opcode, const uint8_t *data, size_t len)
{
    if (c->pmd_on || c->cfg.role != WS_ROLE_SERVER || c->out.len || !c->msg.data ||
        data != c->msg.data + c->msg.off || len != c->msg.len || len > out_limit(c))
        return false;
    struct ws_frame_spec s = {.fin = true, .opcode = opcode};
    uint8_t hdr[WS_FRAME_HEADER_MAX];
    size_t hlen = ws_frame_write_header(&s, len, hdr);
    if (hlen == 0 || hlen > c->msg.off || len > out_limit(c) - hlen)
        return false;
    struct ws_buf out = c->out;
    c->out = c->msg;
    c->out.off -= hlen;
    c->out.len += hlen;
    memcpy(c->out.data + c->out.off, hdr, hlen);
    c->msg = out;
    c->msg.off = c->msg.len = 0;
    if (c->cfg.cb.on_frame_sent)
        c->cfg.cb.on_frame_sent(c, &s, c->out.data + c->out.off + hlen, len, c->cfg.user);
    return true;
}

/* A data message: one frame, compressed when permessage-deflate is on. RFC 7692 6.1:
 * "An endpoint MUST NOT set the "Per-Message Compressed" bit of control frames and
 * non-first fragments of a data message." - a message is one frame here, so its only
 * frame carries the bit. */
static enum ws_error queue_message(struct ws_conn *c, uint8_t opcode, const uint8_t *data,
                                   size_t len)
{
    if (queue_message_buffer(c, opcode, data, len))
        return WS_E_OK;
    if (!c->pmd_on)
        return queue_own_frame(c, opcode, data, len);
    size_t bound = ws_deflate_bound(&c->defl, len), n = 0;
    enum ws_error e = buf_reserve(&c->cfg.alloc, &c->zout, bound, SIZE_MAX);
    if (!e)
        e = ws_deflate_message(&c->defl, data, len, c->zout.data, c->zout.cap, &n);
    if (!e) {
        e = queue_rsv_frame(c, opcode, WS_RSV1, c->zout.data, n);
        /* Compressed but not sent (output full): the message is in the compressor's
         * window, never in the peer's, which with context takeover inflates the next
         * message on the window of the messages it received (RFC 7692 7.2.2). So the
         * next message must not refer back to this one: it starts a fresh stream. */
        if (e)
            ws_deflater_reset(&c->defl);
    }
    buf_clear(c, &c->zout);
    return e;
}

static enum ws_error queue_bytes(struct ws_conn *c, const void *data, size_t len)
{
    enum ws_error e = buf_reserve(&c->cfg.alloc, &c->out, len, out_limit(c));
    if (e)
        return e;
    memcpy(buf_tail(&c->out), data, len);
    c->out.len += len;
    return WS_E_OK;
}

/* Queue our Close frame with this exact payload (once). 5.5.1: "The application MUST
 * NOT send any more data frames after sending a Close frame." - ws_conn_send refuses
 * after this. */
static void send_close_payload(struct ws_conn *c, const uint8_t *payload, size_t n)
{
    if (c->close.sent)
        return;
    /* If the frame does not fit or memory is out, the connection ends without it - the
     * caller sees CLOSED and drops TCP. */
    if (queue_own_frame(c, WS_OP_CLOSE, payload, n) != WS_E_OK)
        c->state = WS_CLOSED;
    c->close.sent = true;
    c->close.sent_code = n >= 2 ? (uint16_t)(payload[0] << 8 | payload[1]) : 0;
    c->close.closed_by_me = !c->close.received;
}

static void send_close(struct ws_conn *c, uint16_t code, const char *reason, size_t reason_len)
{
    uint8_t payload[WS_CLOSE_PAYLOAD_MAX];
    size_t n = ws_close_build(code, reason, reason_len, payload);
    send_close_payload(c, payload, n);
}

static void update_closed(struct ws_conn *c)
{
    c->close.clean = c->close.sent && c->close.received;
    if (c->close.clean)
        c->state = WS_CLOSED;
    else if (c->close.sent && c->state == WS_OPEN)
        c->state = WS_CLOSING;
}

/* 7.1.7: "_Fail the WebSocket Connection_ ... the endpoint MUST _Close the WebSocket
 * Connection_, and MAY report the problem to the user ... If _The WebSocket Connection
 * is Established_ prior to the point where the endpoint is required to _Fail the
 * WebSocket Connection_, the endpoint SHOULD send a Close frame with an appropriate
 * status code (Section 7.4) before proceeding to _Close the WebSocket Connection_."
 * We send the code the error table gives, deliver no more data, and go on reading
 * only to see the peer's Close (clean close) - unless the byte stream itself is
 * broken, where no further frame boundary can be trusted: then CLOSED at once. */
/* A rule the peer broke (classes 100-399 and 650-699 of ws_errors.def; not our own
 * resources). */
static void report_violation(struct ws_conn *c, enum ws_error e, uint64_t offset, bool rfc)
{
    bool peers = (e >= 100 && e < 400) || (e >= 650 && e < 700);
    if (peers && c->cfg.cb.on_violation)
        c->cfg.cb.on_violation(c, e, offset, rfc, c->cfg.user);
}

static void fail_for(struct ws_conn *c, enum ws_error e, uint64_t offset, bool stream_broken,
                     bool rfc);

static void conn_fail(struct ws_conn *c, enum ws_error e, uint64_t offset, bool stream_broken)
{
    fail_for(c, e, offset, stream_broken, true);
}

/* conn_fail for a rule that is RFC 6455's (rfc) or only Autobahn's client's. */
static void fail_for(struct ws_conn *c, enum ws_error e, uint64_t offset, bool stream_broken,
                     bool rfc)
{
    report_violation(c, e, offset, rfc);
    if (c->error == WS_E_OK) {
        c->error = e;
        c->error_offset = offset;
    }
    c->close.failed = true;
    c->msg_opcode = 0;
    if (c->msg_compressed) {
        ws_inflate_abort(&c->infl);
        c->msg_compressed = false;
    }
    buf_clear(c, &c->msg);
    c->skip_frame = true;
    const char *text = ws_error_text(e);
    send_close(c, ws_error_close_code(e), text, strlen(text));
    update_closed(c);
    if (stream_broken)
        c->state = WS_CLOSED;
}

void ws_conn_fail(struct ws_conn *c, enum ws_error e, uint64_t offset)
{
    if (c->state == WS_CLOSED)
        return;
    conn_fail(c, e, offset, false);
}

/* ---------------------------------------------------------------- init */

static enum ws_error queue_request(struct ws_conn *c)
{
    ws_handshake_make_key(c->cfg.random, c->cfg.random_ud, c->key);
    struct ws_request_params p = c->cfg.request;
    p.key = c->key;
    size_t cap = WS_CONN_REQUEST_BASE;
    for (size_t i = 0; i < p.n_extra_headers; i++)
        cap += strlen(p.extra_headers[i]) + 2;
    for (size_t i = 0; i < p.n_protocols; i++)
        cap += strlen(p.protocols[i]) + 2;
    cap += (p.host ? strlen(p.host) : 0) + (p.target ? strlen(p.target) : 0) +
           (p.origin ? strlen(p.origin) : 0) + (p.extensions ? strlen(p.extensions) : 0);
    enum ws_error e = buf_reserve(&c->cfg.alloc, &c->out, cap, SIZE_MAX);
    if (e)
        return e;
    size_t n;
    e = ws_handshake_build_request(&p, (char *)buf_tail(&c->out), cap, &n);
    if (e)
        return e;
    c->out.len += n;
    return WS_E_OK;
}

enum ws_error ws_conn_init(struct ws_conn *c, const struct ws_conn_config *cfg)
{
    memset(c, 0, sizeof *c);
    c->cfg = *cfg;
    if (!c->cfg.max_message)
        c->cfg.max_message = WS_CONN_DEFAULT_MAX_MESSAGE;
    if (c->cfg.max_message > SIZE_MAX / 4)
        return WS_E_INVALID_ARGUMENT;
    if (!c->cfg.max_frame)
        c->cfg.max_frame = c->cfg.max_message;
    if (!c->cfg.max_handshake)
        c->cfg.max_handshake = WS_HTTP_DEFAULT_MAX_BLOCK;
    if (!c->cfg.max_output)
        c->cfg.max_output = 2 * (size_t)c->cfg.max_message + (1u << 20);
    if (c->cfg.role != WS_ROLE_SERVER && c->cfg.role != WS_ROLE_CLIENT)
        return WS_E_INVALID_ARGUMENT;
    bool own = c->cfg.tester.own_request != NULL;
    if (c->cfg.role == WS_ROLE_CLIENT && (!c->cfg.random || (!own && !c->cfg.request.host)))
        return WS_E_INVALID_ARGUMENT;
    struct ws_frame_rules rules = {
        .role = c->cfg.role, .max_frame = c->cfg.max_frame, .report_only = c->cfg.tester.read_on};
    ws_frame_decoder_init(&c->dec, &rules);
    c->state = WS_CONNECTING;
    if (c->cfg.role == WS_ROLE_CLIENT && !own) {
        enum ws_error e = queue_request(c);
        if (e) {
            ws_conn_free(c);
            return e;
        }
    }
    return WS_E_OK;
}

void ws_conn_free(struct ws_conn *c)
{
    if (c->pmd_on) {
        ws_deflater_free(&c->defl);
        ws_inflater_free(&c->infl);
        c->pmd_on = false;
    }
    buf_release(&c->cfg.alloc, &c->zout);
    buf_release(&c->cfg.alloc, &c->hs);
    buf_release(&c->cfg.alloc, &c->msg);
    buf_release(&c->cfg.alloc, &c->out);
}

/* ---------------------------------------------------------------- handshake */

/* Server: the request's Origin is one of cfg.origins (or there is no list, or no
 * Origin). */
static bool origin_accepted(const struct ws_conn *c, struct ws_slice origin)
{
    if (!c->cfg.n_origins || !origin.ptr)
        return true;
    for (size_t i = 0; i < c->cfg.n_origins; i++) {
        const char *o = c->cfg.origins[i];
        if (o && strlen(o) == origin.len && strncasecmp(o, origin.ptr, origin.len) == 0)
            return true;
    }
    return false;
}

/* ---------------------------------------------------------------- permessage-deflate */

/* The elements of the Sec-WebSocket-Extensions fields at idx[0..n) of h, in order, into
 * elems (syntax already checked by the handshake rules; fields beyond what elems holds
 * are left out). */
static size_t extension_elements(const struct ws_http_header *h, const size_t *idx, size_t n,
                                 struct ws_ext_offer *elems, size_t cap)
{
    size_t count = 0, err_at;
    for (size_t i = 0; i < n; i++)
        if (ws_ext_parse(h[idx[i]].value.ptr, h[idx[i]].value.len, elems, cap, &count, &err_at))
            break;
    return count;
}

static bool server_pmd_answer(struct ws_conn *c, const struct ws_http_request *req,
                              const struct ws_request_info *info, struct ws_pmd_params *agreed,
                              char *out, size_t cap)
{
    struct ws_ext_offer elems[WS_EXT_MAX_OFFERS];
    size_t n = extension_elements(req->headers, info->extension_idx, info->n_extension, elems,
                                  WS_EXT_MAX_OFFERS);
    return ws_pmd_server_answer(elems, n, &c->cfg.pmd, agreed, out, cap);
}

/* Negotiation agreed on p: set up both directions and allow RSV1, which RFC 7692 6
 * calls the "Per-Message Compressed" bit. own: what this side's offer promised whatever
 * the answer (a client's client_max_window_bits=N and client_no_context_takeover;
 * NULL = nothing). */
static enum ws_error pmd_start(struct ws_conn *c, const struct ws_pmd_params *p,
                               const struct ws_pmd_params *own)
{
    struct ws_pmd_side_config sc;
    ws_pmd_side_config(p, c->cfg.role, &sc);
    if (own && own->client_max_window_bits && own->client_max_window_bits < sc.send_window_bits)
        sc.send_window_bits = own->client_max_window_bits;
    if ((own && own->client_no_context_takeover) || c->cfg.deflate_each_message)
        sc.send_no_context_takeover = true;
    struct ws_deflate_config dc = {.window_bits = sc.send_window_bits,
                                   .no_context_takeover = sc.send_no_context_takeover,
                                   .level = c->cfg.deflate_level,
                                   .alloc = c->cfg.alloc};
    struct ws_inflate_config ic = {.window_bits = sc.recv_window_bits,
                                   .no_context_takeover = sc.recv_no_context_takeover,
                                   .max_message = c->cfg.max_message,
                                   .alloc = c->cfg.alloc};
    enum ws_error e = ws_deflater_init(&c->defl, &dc);
    if (e)
        return e;
    e = ws_inflater_init(&c->infl, &ic);
    if (e) {
        ws_deflater_free(&c->defl);
        return e;
    }
    c->pmd_on = true;
    c->pmd = *p;
    c->dec.rules.rsv_allowed |= WS_RSV1;
    return WS_E_OK;
}

/* Client: the permessage-deflate elements of the request this connection sent, as
 * offers (invalid ones - a tester may send them on purpose - are no offer at all). */
static size_t own_pmd_offers(const struct ws_ext_offer *elems, size_t n,
                             struct ws_pmd_params *offers)
{
    size_t k = 0, bad;
    for (size_t i = 0; i < n; i++)
        if (ws_pmd_is(&elems[i]) && ws_pmd_parse(&elems[i], WS_PMD_OFFER, &offers[k], &bad) == 0)
            k++;
    return k;
}

/* tester.pmd_take_answer: elems[bad] is a well-formed answer that fits no offer; its
 * parameters, unless another permessage-deflate element follows (RESPONSE_TWICE, which
 * stays an error: both would mean RSV1). */
static bool take_answer(const struct ws_ext_offer *elems, size_t n, size_t bad,
                        struct ws_pmd_params *agreed)
{
    for (size_t i = bad + 1; i < n; i++)
        if (ws_pmd_is(&elems[i]))
            return false;
    return bad < n && ws_pmd_parse(&elems[bad], WS_PMD_RESPONSE, agreed, NULL) == WS_E_OK;
}

/* Client: a 101 that passed RFC 6455's checks; RFC 7692 section 7's on its
 * permessage-deflate answer. sent[0..n_sent): the elements of the request's offer. */
static enum ws_error client_pmd_check(struct ws_conn *c, const struct ws_http_response *resp,
                                      const struct ws_response_info *info,
                                      const struct ws_ext_offer *sent, size_t n_sent)
{
    struct ws_pmd_params offers[WS_EXT_MAX_OFFERS], agreed;
    size_t n_offers = own_pmd_offers(sent, n_sent, offers), bad;
    struct ws_ext_offer elems[WS_EXT_MAX_OFFERS];
    size_t n = extension_elements(resp->headers, info->extension_idx, info->n_extension, elems,
                                  WS_EXT_MAX_OFFERS);
    bool accepted = false;
    enum ws_error e = ws_pmd_client_check(elems, n, offers, n_offers, &accepted, &agreed, &bad);
    if ((e == WS_E_PMD_UNSUPPORTED || e == WS_E_PMD_CLIENT_BITS_NOT_OFFERED) &&
        c->cfg.tester.pmd_take_answer && take_answer(elems, n, bad, &agreed)) {
        c->pmd_taken = e;
        e = WS_E_OK;
        accepted = true;
    }
    if (e || !accepted)
        return e;
    /* What an offer says of the client holds whatever the answer: client_max_window_bits=N
     * (7.1.2.2) and client_no_context_takeover (7.1.1.2: "the client is not going to
     * use context takeover"). Which offer the answer took is not always clear, so the
     * strictest of them holds: a smaller window and no takeover are always safe. */
    struct ws_pmd_params own = {0};
    for (size_t i = 0; i < n_offers; i++) {
        uint8_t b = offers[i].client_max_window_bits;
        if (b && (!own.client_max_window_bits || b < own.client_max_window_bits))
            own.client_max_window_bits = b;
        own.client_no_context_takeover |= offers[i].client_no_context_takeover;
    }
    return pmd_start(c, &agreed, &own);
}

/* Server: the request block is complete and parsed. */
static enum ws_error server_handshake(struct ws_conn *c, const struct ws_http_request *req,
                                      const char *raw, size_t raw_len)
{
    struct ws_request_info info;
    enum ws_error e = ws_handshake_check_request(req, &info);
    if (!e && !origin_accepted(c, info.origin))
        e = WS_E_ORIGIN_FORBIDDEN; /* 4.2.2 /origin/: "it MUST return ... 403 Forbidden" */
    if (e) {
        char resp[1024];
        size_t n;
        c->error = e;
        c->state = WS_CLOSED;
        if (ws_handshake_build_refusal(e, resp, sizeof resp, &n) == WS_E_OK)
            queue_bytes(c, resp, n);
        if (c->cfg.cb.on_handshake)
            c->cfg.cb.on_handshake(c, e, raw, raw_len, c->cfg.user);
        return e;
    }
    if (c->cfg.tester.own_response) {
        c->state = WS_OPEN;
        if (c->cfg.cb.on_handshake)
            c->cfg.cb.on_handshake(c, WS_E_OK, raw, raw_len, c->cfg.user);
        return WS_E_OK;
    }
    struct ws_slice proto = {0};
    ws_handshake_select_protocol(req, &info, c->cfg.protocols, c->cfg.n_protocols, &proto);
    /* permessage-deflate is the one extension the core knows; 9.1 lets a server ignore
     * offers it does not accept (RSV bits then stay forbidden). */
    char pmd[WS_PMD_FORMAT_MAX];
    struct ws_pmd_params agreed;
    bool accepted = server_pmd_answer(c, req, &info, &agreed, pmd, sizeof pmd);
    char resp[1024];
    size_t n;
    e = ws_handshake_build_response(info.key, proto, accepted ? pmd : NULL, resp, sizeof resp, &n);
    if (e == WS_E_OK && accepted)
        e = pmd_start(c, &agreed, NULL);
    if (e == WS_E_OK)
        e = queue_bytes(c, resp, n);
    if (e) {
        c->error = e;
        c->state = WS_CLOSED;
        return e;
    }
    c->state = WS_OPEN;
    if (c->cfg.cb.on_handshake)
        c->cfg.cb.on_handshake(c, WS_E_OK, raw, raw_len, c->cfg.user);
    return WS_E_OK;
}

/* Client: the response was checked (e): OPEN or CLOSED, and the callback. */
static enum ws_error client_handshake_done(struct ws_conn *c, enum ws_error e, const char *raw,
                                           size_t raw_len)
{
    if (e) {
        c->error = e;
        c->state = WS_CLOSED;
    } else {
        c->state = WS_OPEN;
    }
    if (c->cfg.cb.on_handshake)
        c->cfg.cb.on_handshake(c, e, raw, raw_len, c->cfg.user);
    if (!e && c->pmd_taken && c->cfg.cb.on_violation)
        c->cfg.cb.on_violation(c, c->pmd_taken, 0, true, c->cfg.user);
    return e;
}

/* Client: the response to a request the tester wrote itself (tester.own_request). A
 * request without a key leaves no accept value valid: the 101 is checked as if the key
 * were empty (any other rule it breaks is named, in 4.1's order), and an accept that
 * matches the empty key is refused too. */
static enum ws_error check_own_offer(const struct ws_conn *c, const struct ws_http_response *resp,
                                     struct ws_response_info *info)
{
    struct ws_offer offer = *c->cfg.tester.own_request;
    bool keyless = offer.key == NULL;
    if (keyless)
        offer.key = "";
    enum ws_error e = ws_handshake_check_response(resp, &offer, info);
    return e == WS_E_OK && keyless ? WS_E_RESPONSE_ACCEPT : e;
}

/* Client: the response block is complete and parsed. */
static enum ws_error client_handshake(struct ws_conn *c, const struct ws_http_response *resp,
                                      const char *raw, size_t raw_len)
{
    if (c->cfg.tester.own_request) {
        struct ws_response_info own_info;
        return client_handshake_done(c, check_own_offer(c, resp, &own_info), raw, raw_len);
    }
    struct ws_ext_offer offers[WS_EXT_MAX_OFFERS];
    const char *names[WS_EXT_MAX_OFFERS];
    char namebuf[WS_EXT_MAX_OFFERS][64];
    size_t n_offers = 0, err_at;
    const char *ext = c->cfg.request.extensions;
    if (ext && ws_ext_parse(ext, strlen(ext), offers, WS_EXT_MAX_OFFERS, &n_offers, &err_at))
        n_offers = 0;
    for (size_t i = 0; i < n_offers; i++) {
        size_t l = offers[i].name.len < 63 ? offers[i].name.len : 63;
        memcpy(namebuf[i], offers[i].name.ptr, l);
        namebuf[i][l] = '\0';
        names[i] = namebuf[i];
    }
    struct ws_offer offer = {.key = c->key,
                             .protocols = c->cfg.request.protocols,
                             .n_protocols = c->cfg.request.n_protocols,
                             .extensions = names,
                             .n_extensions = n_offers};
    struct ws_response_info info;
    enum ws_error e = ws_handshake_check_response(resp, &offer, &info);
    if (e == WS_E_OK)
        e = client_pmd_check(c, resp, &info, offers, n_offers);
    return client_handshake_done(c, e, raw, raw_len);
}

/* Parse the handshake block from buf; returns INCOMPLETE, an error, or OK with
 * *block = its length. */
static enum ws_error parse_block(struct ws_conn *c, const char *buf, size_t len, size_t *block)
{
    size_t err_at = 0;
    enum ws_error e;
    if (c->cfg.role == WS_ROLE_SERVER) {
        struct ws_http_request req;
        e = ws_http_parse_request(buf, len, c->cfg.max_handshake, &req, block, &err_at);
        if (e == WS_E_OK)
            return server_handshake(c, &req, buf, *block);
    } else {
        struct ws_http_response resp;
        e = ws_http_parse_response(buf, len, c->cfg.max_handshake, &resp, block, &err_at);
        if (e == WS_E_OK)
            return client_handshake(c, &resp, buf, *block);
    }
    if (e == WS_E_INCOMPLETE)
        return e;
    /* a malformed or oversized block */
    c->error = e;
    c->error_offset = c->recv_offset + err_at;
    c->state = WS_CLOSED;
    if (c->cfg.role == WS_ROLE_SERVER) {
        char resp[1024];
        size_t n;
        if (ws_handshake_build_refusal(e, resp, sizeof resp, &n) == WS_E_OK)
            queue_bytes(c, resp, n);
    }
    if (c->cfg.cb.on_handshake)
        c->cfg.cb.on_handshake(c, e, buf, len, c->cfg.user);
    return e;
}

/* Feed bytes while CONNECTING. *used = bytes of in that belonged to the handshake
 * block (the rest are frames pipelined behind it). The common case - the whole block
 * in one read - is parsed in place without copying; only a block split over reads is
 * collected in c->hs, bounded by max_handshake (the parser reports a block that has
 * no end within that bound). */
static enum ws_error handshake_recv(struct ws_conn *c, const uint8_t *in, size_t len, size_t *used)
{
    size_t block = 0, had = c->hs.len;
    enum ws_error e;
    *used = len;
    if (had == 0) {
        e = parse_block(c, (const char *)in, len, &block);
        if (e == WS_E_OK)
            *used = block;
        if (e != WS_E_INCOMPLETE)
            return e;
    }
    size_t room = c->cfg.max_handshake - had;
    size_t take = len < room ? len : room;
    e = buf_reserve(&c->cfg.alloc, &c->hs, take, c->cfg.max_handshake);
    if (e) {
        c->error = e;
        c->state = WS_CLOSED;
        return e;
    }
    if (take) {
        memcpy(buf_tail(&c->hs), in, take);
        c->hs.len += take;
    }
    if (had == 0)
        return WS_E_OK; /* these bytes were parsed in place above: still incomplete */
    e = parse_block(c, (const char *)c->hs.data + c->hs.off, c->hs.len, &block);
    if (e == WS_E_INCOMPLETE)
        return WS_E_OK;
    if (e == WS_E_OK)
        *used = block - had;
    buf_release(&c->cfg.alloc, &c->hs);
    return e;
}

/* ---------------------------------------------------------------- frames */

/* The Pong for the Ping in c->ctl: queued at once, or - while the output is backed up
 * past WS_CONN_PONG_BACKLOG - owed, replacing any Pong owed before (5.5.3, see the
 * header), and queued by ws_conn_sent once the output has drained. */
static enum ws_error answer_ping(struct ws_conn *c)
{
    if (c->out.len < WS_CONN_PONG_BACKLOG)
        return queue_own_frame(c, WS_OP_PONG, c->ctl, c->ctl_len);
    memcpy(c->pong, c->ctl, c->ctl_len);
    c->pong_len = c->ctl_len;
    c->pong_owed = true;
    return WS_E_OK;
}

/* The peer's Close broke a rule: fail the connection. read_on (Autobahn's client):
 * the failing Close goes out first and the peer's counts as the reply to it. */
static void close_invalid(struct ws_conn *c, enum ws_error e, uint64_t at, bool rfc)
{
    if (c->cfg.tester.read_on) {
        if (c->ctl_len >= 2)
            c->close.received_code = (uint16_t)(c->ctl[0] << 8 | c->ctl[1]);
        fail_for(c, e, at, false, rfc);
        c->close.received = true;
    } else {
        c->close.received = true;
        fail_for(c, e, at, false, rfc);
    }
    update_closed(c);
    c->state = WS_CLOSED;
}

static void deliver_control(struct ws_conn *c, uint8_t opcode, const struct ws_frame_header *h)
{
    const struct ws_conn_callbacks *cb = &c->cfg.cb;
    if (opcode != WS_OP_CLOSE && c->ctl_total > WS_CONTROL_MAX) {
        if (cb->on_control_oversized) /* read_on only: the connection has failed for it */
            cb->on_control_oversized(c, (enum ws_opcode)opcode, c->ctl, c->ctl_len, c->ctl_total,
                                     c->cfg.user);
        return;
    }
    if (opcode == WS_OP_PING) {
        /* 5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in
         * response, unless it already received a Close frame." 5.5.3: "A Pong frame
         * sent in response to a Ping frame must have identical "Application data"".
         * (Not after our own Close either: we said we are done.) */
        if (!c->cfg.tester.no_auto_pong && !c->close.sent && !c->close.received) {
            enum ws_error e = answer_ping(c);
            if (e) {
                conn_fail(c, e, h->frame_offset, false);
                return;
            }
        }
        if (cb->on_control)
            cb->on_control(c, WS_OP_PING, c->ctl, c->ctl_len, c->cfg.user);
        return;
    }
    if (opcode == WS_OP_PONG) {
        if (cb->on_control)
            cb->on_control(c, WS_OP_PONG, c->ctl, c->ctl_len, c->cfg.user);
        return;
    }
    /* Close */
    if (c->close.received)
        return; /* read_on: a second Close changes nothing */
    uint16_t code;
    const uint8_t *reason;
    size_t reason_len, bad_at = 0;
    enum ws_error e = ws_close_parse(c->ctl, c->ctl_len, &code, &reason, &reason_len, &bad_at);
    if (!e && c->cfg.tester.autobahn_close_codes && code >= 1012 && code <= 1014) {
        close_invalid(c, WS_E_CLOSE_CODE_INVALID, h->frame_offset + h->header_len, false);
        return;
    }
    if (e) {
        close_invalid(c, e, h->frame_offset + h->header_len + bad_at, true);
        return;
    }
    c->close.received = true;
    c->close.received_code = code;
    if (cb->on_close)
        cb->on_close(c, code, reason, reason_len, c->cfg.user);
    /* 5.5.1: "If an endpoint receives a Close frame and did not previously send a
     * Close frame, the endpoint MUST send a Close frame in response. (When sending a
     * Close frame in response, the endpoint typically echos the status code it
     * received.)" An empty Close is answered with an empty Close - unless the tester
     * asked for a fixed reply code. */
    uint16_t reply = c->cfg.tester.close_reply_code;
    send_close(c, reply ? reply : code, NULL, 0);
    update_closed(c);
    /* 5.5.1: "After both sending and receiving a Close message, an endpoint considers
     * the WebSocket connection closed and MUST close the underlying TCP connection." */
    c->state = WS_CLOSED;
}

/* Frames are no longer read: the connection is closed (read_on: it never is). */
static bool done_reading(const struct ws_conn *c)
{
    return c->state == WS_CLOSED && !c->cfg.tester.read_on;
}

/* read_on only: a frame that broke a header rule (the connection just failed for it)
 * is still read, as Autobahn's client reads it: a Ping, Pong or Close among them is
 * acted on (one longer than 125 bytes: see on_control_oversized), the rest skipped. */
static bool skip_broken(struct ws_conn *c, const struct ws_frame_header *h, enum ws_error v)
{
    if (!v)
        return false;
    bool usable = h->opcode == WS_OP_PING || h->opcode == WS_OP_PONG || h->opcode == WS_OP_CLOSE;
    c->ctl_len = 0;
    c->ctl_total = 0;
    c->skip_frame = !usable;
    return true;
}

/* RFC 7692 6.1: "An endpoint MUST NOT set the "Per-Message Compressed" bit of control
 * frames and non-first fragments of a data message." With the extension negotiated the
 * frame decoder lets RSV1 through; these are the frames it is still wrong on. */
static enum ws_error pmd_header_rule(const struct ws_conn *c, const struct ws_frame_header *h)
{
    if (!c->pmd_on || !(h->rsv & WS_RSV1))
        return WS_E_OK;
    if (ws_opcode_is_control(h->opcode))
        return WS_E_PMD_RSV1_CONTROL;
    if (h->opcode == WS_OP_CONT)
        return WS_E_PMD_RSV1_CONTINUATION;
    return WS_E_OK;
}

static void on_header(struct ws_conn *c, const struct ws_frame_header *h, enum ws_error v)
{
    if (c->cfg.cb.on_frame)
        c->cfg.cb.on_frame(c, h, c->cfg.user);
    if (done_reading(c))
        return;
    c->skip_frame = false;
    enum ws_error pv = v ? WS_E_OK : pmd_header_rule(c, h);
    if (pv) {
        conn_fail(c, pv, h->frame_offset, false);
        if (!c->cfg.tester.read_on) {
            c->skip_frame = true;
            return;
        }
        v = pv; /* read on as for a header rule the decoder reports */
    }
    if (skip_broken(c, h, v))
        return;
    if (ws_opcode_is_control(h->opcode)) {
        c->ctl_len = 0;
        c->ctl_total = 0;
        return;
    }
    if (c->close.failed) {
        c->skip_frame = true; /* after failing, only the peer's Close matters */
        return;
    }
    if (c->close.received) /* read_on: noted, still delivered (Autobahn counts it) */
        report_violation(c, WS_E_DATA_AFTER_CLOSE, h->frame_offset, true);
    if (h->opcode == WS_OP_CONT) {
        /* 5.4: "A fragmented message consists of a single frame with the FIN bit clear
         * and an opcode other than 0, followed by zero or more frames with the FIN bit
         * clear and the opcode set to 0, and terminated by a single frame with the FIN
         * bit set and an opcode of 0." - so a continuation needs a message started. */
        if (!c->msg_opcode) {
            conn_fail(c, WS_E_CONT_WITHOUT_START, h->frame_offset, false);
            return;
        }
    } else {
        /* 5.4: "The fragments of one message MUST NOT be interleaved between the
         * fragments of another message unless an extension has been negotiated that
         * can interpret the interleaving." */
        if (c->msg_opcode) {
            conn_fail(c, WS_E_DATA_INSIDE_MESSAGE, h->frame_offset, false);
            return;
        }
        c->msg_opcode = h->opcode;
        c->msg.len = 0;
        c->msg_total = 0;
        c->msg_wire = 0;
        /* RFC 7692 6: "the "Per-Message Compressed" bit ... is set on the first frame of
         * a message to indicate whether the message is compressed or not" */
        c->msg_compressed = c->pmd_on && (h->rsv & WS_RSV1);
        ws_utf8_init(&c->utf8);
    }
    /* 10.4: "implementations will likely have implementation- and/or platform-specific
     * limitations regarding the frame size or total message size" - decided from the
     * header, before a single payload byte is buffered; answered with 1009 (7.4.1). A
     * compressed message's bytes on the wire count here; what they inflate to is
     * bounded by the inflater as it goes. */
    uint64_t have = c->msg_compressed               ? c->msg_wire
                    : c->cfg.tester.stream_messages ? c->msg_total
                                                    : c->msg.len;
    if (h->payload_len > c->cfg.max_message - have) {
        conn_fail(c, WS_E_MESSAGE_TOO_BIG, h->frame_offset, false);
        return;
    }
    c->msg_wire += h->payload_len;
}

/* The plain bytes of the message in progress - as received, or as inflated: checked
 * as UTF-8 when text, then streamed (tester option) or collected. Errors are kept in
 * plain_error/plain_error_at and returned, so an inflater calling this as its sink
 * stops at once. */
static enum ws_error take_plain(struct ws_conn *c, const uint8_t *data, size_t len)
{
    enum ws_error e = WS_E_OK;
    uint64_t at = c->plain_frame;
    if (c->msg_opcode == WS_OP_TEXT) {
        size_t bad = 0;
        /* 8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that
         * the byte stream is not, in fact, a valid UTF-8 stream, that endpoint MUST
         * _Fail the WebSocket Connection_." Checked as bytes arrive: fail fast. The
         * offset is the bad byte's on the wire, or where the compressed slice began. */
        if (ws_utf8_feed(&c->utf8, data, len, &bad) != WS_E_OK) {
            e = WS_E_TEXT_INVALID_UTF8;
            at = c->plain_at + (c->msg_compressed ? 0 : bad);
        }
    }
    if (!e && c->cfg.tester.stream_messages) {
        c->msg_total += len;
        if (c->cfg.cb.on_message_data)
            c->cfg.cb.on_message_data(c, (enum ws_opcode)c->msg_opcode, data, len,
                                      c->msg_total - len, c->cfg.user);
        return WS_E_OK;
    }
    if (!e) {
        e = msg_reserve(&c->cfg.alloc, &c->msg, len, (size_t)c->cfg.max_message);
        if (e && e != WS_E_NOMEM)
            e = WS_E_MESSAGE_TOO_BIG;
    }
    if (e) {
        c->plain_error = e;
        c->plain_error_at = at;
        return e;
    }
    /* bytes read straight into the buffer (ws_conn_recv_space) are in place already */
    if (data != buf_tail(&c->msg))
        memcpy(buf_tail(&c->msg), data, len);
    c->msg.len += len;
    return WS_E_OK;
}

static enum ws_error plain_sink(void *ud, const uint8_t *data, size_t len)
{
    return take_plain(ud, data, len);
}

/* Plain bytes were refused, or the inflater failed (e): fail the connection. */
static void fail_plain(struct ws_conn *c, enum ws_error e)
{
    uint64_t at = c->plain_frame;
    if (c->plain_error != WS_E_OK) {
        e = c->plain_error;
        at = c->plain_error_at;
    }
    c->plain_error = WS_E_OK;
    conn_fail(c, e, at, false); /* which also aborts the inflater */
}

static void on_payload(struct ws_conn *c, const struct ws_frame_event *ev)
{
    const struct ws_frame_header *h = ev->hdr;
    if (done_reading(c))
        return;
    if (c->cfg.cb.on_frame_data)
        c->cfg.cb.on_frame_data(c, h, ev->data, ev->len, ev->payload_offset, c->cfg.user);
    if (c->skip_frame)
        return;
    if (ws_opcode_is_control(h->opcode)) {
        /* <= 125 by the frame rules; read_on keeps the first 125 of a longer one */
        size_t k = sizeof c->ctl - c->ctl_len < ev->len ? sizeof c->ctl - c->ctl_len : ev->len;
        memcpy(c->ctl + c->ctl_len, ev->data, k);
        c->ctl_len += k;
        c->ctl_total += ev->len;
        return;
    }
    c->plain_at = h->frame_offset + h->header_len + ev->payload_offset;
    c->plain_frame = h->frame_offset;
    enum ws_error e = c->msg_compressed
                          ? ws_inflate_feed(&c->infl, ev->data, ev->len, plain_sink, c)
                          : take_plain(c, ev->data, ev->len);
    if (e)
        fail_plain(c, e);
}

static void on_end(struct ws_conn *c, const struct ws_frame_header *h)
{
    if (c->skip_frame || done_reading(c)) {
        c->skip_frame = false;
        return;
    }
    if (ws_opcode_is_control(h->opcode)) {
        deliver_control(c, h->opcode, h);
        return;
    }
    if (!h->fin)
        return;
    if (c->msg_compressed) {
        /* RFC 7692 7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the
         * payload of the message. Decompress the resulting data using DEFLATE." */
        c->plain_at = h->frame_offset + h->header_len + h->payload_len;
        c->plain_frame = h->frame_offset;
        enum ws_error e = ws_inflate_finish(&c->infl, plain_sink, c);
        if (e) {
            fail_plain(c, e);
            return;
        }
        c->msg_compressed = false;
    }
    if (c->msg_opcode == WS_OP_TEXT && ws_utf8_finish(&c->utf8) != WS_E_OK) {
        conn_fail(c, WS_E_TEXT_INVALID_UTF8, h->frame_offset + h->header_len + h->payload_len,
                  false);
        return;
    }
    uint8_t op = c->msg_opcode;
    c->msg_opcode = 0;
    if (c->cfg.tester.stream_messages) {
        if (c->cfg.cb.on_message)
            c->cfg.cb.on_message(c, (enum ws_opcode)op, NULL, (size_t)c->msg_total, c->cfg.user);
        return;
    }
    if (c->cfg.cb.on_message)
        c->cfg.cb.on_message(c, (enum ws_opcode)op, c->msg.data ? c->msg.data + c->msg.off : NULL,
                             c->msg.len, c->cfg.user);
    buf_clear(c, &c->msg);
}

/* 5.5.1: "The application MUST NOT send any more data frames after sending a Close
 * frame." Bytes after the peer's Close are still decoded, only to classify them: a
 * data frame there is recorded as a violation at its stream offset (the test peer
 * reports it); control frames and undecodable bytes are not (the RFC forbids only data
 * frames). Nothing is sent: the connection is over. */
static void note_after_close(struct ws_conn *c, uint8_t *in, size_t len, uint64_t base)
{
    size_t off = 0;
    while (len > off && c->close.received && c->error == WS_E_OK) {
        size_t n;
        struct ws_frame_event ev;
        if (ws_frame_decode(&c->dec, in + off, len - off, &n, &ev) != WS_E_OK)
            return;
        off += n;
        if (ev.type == WS_FRAME_NONE)
            return;
        if (ev.type == WS_FRAME_HEADER && !ws_opcode_is_control(ev.hdr->opcode)) {
            c->error = WS_E_DATA_AFTER_CLOSE;
            c->error_offset = base + ev.hdr->frame_offset;
            report_violation(c, c->error, c->error_offset, true);
        }
    }
}

static enum ws_error frames_recv(struct ws_conn *c, uint8_t *in, size_t len, uint64_t base)
{
    size_t off = 0;
    while (!done_reading(c)) {
        size_t n;
        struct ws_frame_event ev;
        enum ws_error e = ws_frame_decode(&c->dec, in + off, len - off, &n, &ev);
        off += n;
        if (e) {
            uint64_t at;
            ws_frame_decoder_error(&c->dec, &at);
            conn_fail(c, e, base + at, true);
            break;
        }
        if (ev.type == WS_FRAME_NONE)
            break;
        /* header offsets are relative to the decoder; make them stream offsets */
        struct ws_frame_header h = *ev.hdr;
        h.frame_offset += base;
        ev.hdr = &h;
        if (ev.type == WS_FRAME_HEADER && ev.violation)
            conn_fail(c, ev.violation, base + ev.violation_offset, false);
        if (ev.type == WS_FRAME_HEADER)
            on_header(c, &h, ev.violation);
        else if (ev.type == WS_FRAME_PAYLOAD)
            on_payload(c, &ev);
        else
            on_end(c, &h);
    }
    if (c->state == WS_CLOSED && off < len)
        note_after_close(c, in + off, len - off, base);
    return c->error;
}

enum ws_error ws_conn_recv(struct ws_conn *c, uint8_t *in, size_t len)
{
    if (c->state == WS_CLOSED && (!c->cfg.tester.read_on || !c->frames_base)) {
        note_after_close(c, in, len, c->frames_base);
        c->recv_offset += len;
        return c->error;
    }
    size_t used = 0;
    if (c->state == WS_CONNECTING) {
        enum ws_error e = handshake_recv(c, in, len, &used);
        c->recv_offset += used;
        if (e || c->state == WS_CONNECTING)
            return e;
        c->frames_base = c->recv_offset;
    }
    c->recv_offset += len - used;
    return frames_recv(c, in + used, len - used, c->frames_base);
}

void ws_conn_eof(struct ws_conn *c)
{
    c->state = WS_CLOSED;
}

/* ---------------------------------------------------------------- sending */

size_t ws_conn_pending(const struct ws_conn *c, const uint8_t **data)
{
    *data = c->out.data ? c->out.data + c->out.off : NULL;
    return c->out.len;
}

void ws_conn_sent(struct ws_conn *c, size_t n)
{
    if (n > c->out.len)
        n = c->out.len;
    c->out.off += n;
    c->out.len -= n;
    if (c->out.len == 0)
        buf_clear(c, &c->out);
    /* the Pong owed during a backlog (answer_ping), unless a Close went either way */
    if (c->pong_owed && c->out.len < WS_CONN_PONG_BACKLOG) {
        c->pong_owed = false;
        if (!c->close.sent && !c->close.received &&
            queue_own_frame(c, WS_OP_PONG, c->pong, c->pong_len) != WS_E_OK)
            conn_fail(c, WS_E_NOMEM, c->recv_offset, false);
    }
}

enum ws_error ws_conn_send(struct ws_conn *c, enum ws_opcode op, const uint8_t *data, size_t len)
{
    if (c->state != WS_OPEN || c->close.sent)
        return WS_E_WRONG_STATE;
    if (op != WS_OP_TEXT && op != WS_OP_BINARY && op != WS_OP_PING && op != WS_OP_PONG)
        return WS_E_INVALID_ARGUMENT;
    if (ws_opcode_is_control(op) && len > WS_CONTROL_MAX)
        return WS_E_INVALID_ARGUMENT;
    return ws_opcode_is_control(op) ? queue_own_frame(c, (uint8_t)op, data, len)
                                    : queue_message(c, (uint8_t)op, data, len);
}

enum ws_error ws_conn_send_frame(struct ws_conn *c, const struct ws_frame_spec *s,
                                 const uint8_t *payload, size_t len)
{
    return queue_frame(c, s, payload, len);
}

enum ws_error ws_conn_send_raw(struct ws_conn *c, const uint8_t *data, size_t len)
{
    return queue_bytes(c, data, len);
}

enum ws_error ws_conn_close(struct ws_conn *c, uint16_t code, const char *reason, size_t reason_len)
{
    if (c->state != WS_OPEN || c->close.sent)
        return WS_E_WRONG_STATE;
    send_close(c, code, reason, reason_len);
    update_closed(c);
    return c->state == WS_CLOSED && !c->close.clean ? WS_E_NOMEM : WS_E_OK;
}

enum ws_error ws_conn_close_payload(struct ws_conn *c, const uint8_t *payload, size_t len)
{
    if (c->state != WS_OPEN || c->close.sent)
        return WS_E_WRONG_STATE;
    send_close_payload(c, payload, len);
    update_closed(c);
    return c->state == WS_CLOSED && !c->close.clean ? WS_E_NOMEM : WS_E_OK;
}

/* ---------------------------------------------------------------- zero-copy receive */

/* The smallest room offered for reading into the message buffer, when it must grow. */
#define WS_CONN_RECV_MIN 4096u

size_t ws_conn_recv_space(struct ws_conn *c, uint8_t **buf)
{
    *buf = NULL;
    uint64_t left = ws_frame_decoder_payload_left(&c->dec);
    if (left == 0 || (c->state != WS_OPEN && c->state != WS_CLOSING) || done_reading(c) ||
        ws_opcode_is_control(c->dec.hdr.opcode) || !c->msg_opcode || c->skip_frame ||
        c->msg_compressed || c->close.failed || c->cfg.tester.stream_messages)
        return 0;
    size_t space =
        c->msg.cap > MSG_HEADROOM + c->msg.len ? c->msg.cap - MSG_HEADROOM - c->msg.len : 0;
    if (space < WS_CONN_RECV_MIN && space < left) {
        /* grow as take_plain would as the bytes arrive: at most doubling what arrived,
         * never from the length field alone */
        size_t grow = c->msg.len > WS_CONN_RECV_MIN ? c->msg.len : WS_CONN_RECV_MIN;
        if (left < grow)
            grow = (size_t)left;
        if (msg_reserve(&c->cfg.alloc, &c->msg, grow, (size_t)c->cfg.max_message) != WS_E_OK)
            return 0;
        space = c->msg.cap - MSG_HEADROOM - c->msg.len;
    }
    if (space == 0 || !c->msg.data)
        return 0;
    c->msg.off = MSG_HEADROOM;
    *buf = buf_tail(&c->msg);
    return left < space ? (size_t)left : space;
}

void ws_conn_trim(struct ws_conn *c)
{
    if (c->msg.len == 0)
        buf_release(&c->cfg.alloc, &c->msg);
    if (c->out.len == 0)
        buf_release(&c->cfg.alloc, &c->out);
}

/* ---------------------------------------------------------------- queries */

enum ws_conn_state ws_conn_state(const struct ws_conn *c)
{
    return c->state;
}

enum ws_error ws_conn_error(const struct ws_conn *c, uint64_t *offset)
{
    if (offset)
        *offset = c->error_offset;
    return c->error;
}

void ws_conn_close_status(const struct ws_conn *c, struct ws_close_status *st)
{
    *st = c->close;
}

size_t ws_conn_memory(const struct ws_conn *c)
{
    size_t n = c->hs.cap + c->msg.cap + c->out.cap + c->zout.cap;
    if (c->pmd_on)
        n += ws_deflater_memory(&c->defl) + ws_inflater_memory(&c->infl);
    return n;
}

size_t ws_conn_deflate_bound(const struct ws_conn *c, size_t len)
{
    return c->pmd_on ? ws_deflate_bound(&c->defl, len) : 0;
}

enum ws_error ws_conn_deflate(struct ws_conn *c, const uint8_t *in, size_t len, uint8_t *out,
                              size_t cap, size_t *out_len)
{
    if (!c->pmd_on)
        return WS_E_WRONG_STATE;
    return ws_deflate_message(&c->defl, in, len, out, cap, out_len);
}

bool ws_conn_deflate_config(const struct ws_conn *c, struct ws_deflate_config *out)
{
    if (c->pmd_on)
        *out = c->defl.cfg;
    return c->pmd_on;
}

bool ws_conn_pmd(const struct ws_conn *c, struct ws_pmd_params *agreed)
{
    if (agreed)
        *agreed = c->pmd_on ? c->pmd : (struct ws_pmd_params){0};
    return c->pmd_on;
}

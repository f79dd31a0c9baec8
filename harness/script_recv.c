/*
 * script_recv.c - what the target sends, as the core (ws_conn in wsspec's role, strict,
 * with the tester options) hands it over: the 101 (server role: the client's request),
 * frames for the wire log, messages and pongs as events, Close frames, the rule the
 * target broke.
 *
 * Messages stream in (ws_conn's stream_messages): each slice is compared at once with
 * the payload the case expects at that position of its OK and NON-STRICT lists, and
 * only the first RESULT_KEEP_BYTES are kept for reports. A 16 MiB echo costs nothing;
 * an endless message costs nothing but time (the case's timers end it).
 *
 * After wsspec's kill timer has failed the connection, messages are not events any
 * more (Autobahn stops delivering them then: failedByMe); pongs still are. They are
 * counted (late_messages) so the report can say so.
 */
#include "script_int.h"

#include <stdlib.h>
#include <string.h>

static struct script *of(void *user)
{
    return user;
}

/* ------------------------------------------------------------ the rule broken */

/* Every rule the target broke: the first RFC 6455 one is the RFC verdict's
 * target_error; one only Autobahn's client has (close codes 1012-1014) is noted so the
 * RFC verdict can take that Close as valid. */
static void on_violation(struct ws_conn *c, enum ws_error e, uint64_t offset, bool rfc, void *user)
{
    (void)c;
    struct case_result *r = of(user)->r;
    if (!rfc) {
        of(user)->autobahn_refused = true;
        return;
    }
    if (r->target_error == WS_E_OK && r->handshake_done) {
        r->target_error = e;
        r->target_error_offset = offset;
    }
}

/* The event just added (if the bound let it in) came after the target's Close. */
static void mark_after_close(struct script *sc, size_t before)
{
    struct ws_close_status st;
    ws_conn_close_status(&sc->conn, &st);
    if (st.received && sc->r->n_events > before)
        sc->r->events[before].after_close = true;
}

/* ------------------------------------------------------------ opening handshake */

static void on_handshake(struct ws_conn *c, enum ws_error res, const char *raw, size_t len,
                         void *user)
{
    struct script *sc = of(user);
    struct case_result *r = sc->r;
    if (sc->cfg.role == SCRIPT_SERVER) {
        script_server_handshake(sc, res, raw, len); /* raw is the client's request */
    } else {
        free(r->http_response);
        r->http_response = malloc(len + 1);
        r->http_response_len = 0;
        if (r->http_response) {
            memcpy(r->http_response, raw, len);
            r->http_response[len] = '\0';
            r->http_response_len = len;
        }
        if (res != WS_E_OK)
            r->handshake_error = res;
    }
    if (res != WS_E_OK)
        return;
    r->handshake_done = true;
    r->tx_at_open = r->tx_octets;
    sc->t_open = sc->now;
    r->started = sc->cfg.wall0 + (sc->now - sc->t0);
    if (sc->def->judge == JUDGE_REFUSAL && sc->cfg.role == SCRIPT_SERVER && !sc->cfg.probe) {
        /* wsspec's response is one the client must refuse: what it does next is judged */
        script_set_pace(sc, sc->now);
        script_server_refusing(sc, sc->now);
        return;
    }
    if (sc->def->ends_at_response) {
        /* a case that wants a refusal is judged by this response alone (its pace is
         * recorded all the same: every opened connection has one) */
        script_set_pace(sc, sc->now);
        script_drop(sc, sc->now);
        return;
    }
    if (sc->def->deflate_offer && !sc->cfg.probe && !ws_conn_pmd(c, NULL)) {
        /* the case needs permessage-deflate and the server declined it (server role: the
         * client offered none wsspec accepts): UNIMPLEMENTED, and wsspec closes with 1000
         * (Autobahn's 12.x/13.x) */
        r->pmd_unimplemented = true;
        script_set_pace(sc, sc->now);
        script_advance(sc, sc->now);
        sc->steps_done = true;
        script_close(sc, 1000, NULL);
        return;
    }
    script_set_pace(sc, sc->now);
    /* The steps run now, before the core reads on: frames the target sent right behind
     * its 101 (a Close, say) come after them - as Autobahn runs a case's onOpen from
     * the handshake's own read and handles the rest of that read afterwards. */
    script_advance(sc, sc->now);
    script_run_steps(sc, sc->now);
}

/* ------------------------------------------------------------ frames for the log */

static void on_frame(struct ws_conn *c, const struct ws_frame_header *h, void *user)
{
    (void)c;
    struct script *sc = of(user);
    struct wirelog_row row = {.type = WL_RX_FRAME,
                              .at_ms = script_ms(sc, sc->now),
                              .len = h->payload_len,
                              .opcode = h->opcode,
                              .rsv = h->rsv,
                              .fin = h->fin,
                              .masked = h->masked};
    memcpy(row.mask_key, h->mask_key, 4);
    sc->rf_row = result_add_wirelog(sc->r, &row);
    sc->r->rx_frames[h->opcode & 0xF]++;
}

/* The received frame's first payload bytes go into its RF row (while it is kept). */
static void on_frame_data(struct ws_conn *c, const struct ws_frame_header *h, const uint8_t *data,
                          size_t len, uint64_t offset, void *user)
{
    (void)c, (void)h;
    struct script *sc = of(user);
    struct wirelog_row *row = result_wirelog_row(sc->r, sc->rf_row);
    if (!row || offset >= RESULT_WIRELOG_BYTES)
        return;
    size_t k = RESULT_WIRELOG_BYTES - (size_t)offset;
    if (k > len)
        k = len;
    memcpy(row->data + offset, data, k);
    if (offset + k > row->data_len)
        row->data_len = (uint8_t)(offset + k);
}

/* The core's own frames (Pongs, Close frames) for the log, as it queues them. */
static void on_frame_sent(struct ws_conn *c, const struct ws_frame_spec *s, const uint8_t *payload,
                          size_t len, void *user)
{
    (void)c;
    struct script *sc = of(user);
    if (!sc->r->handshake_done)
        return;
    struct wirelog_row row = {.type = WL_TX_FRAME,
                              .at_ms = script_ms(sc, sc->now),
                              .len = len,
                              .opcode = s->opcode,
                              .rsv = s->rsv,
                              .fin = s->fin,
                              .masked = s->masked};
    memcpy(row.mask_key, s->mask_key, 4);
    row.data_len = (uint8_t)(len < RESULT_WIRELOG_BYTES ? len : RESULT_WIRELOG_BYTES);
    if (row.data_len)
        memcpy(row.data, payload, row.data_len);
    result_add_wirelog(sc->r, &row);
    sc->r->tx_frames[s->opcode & 0xF]++;
}

/* ------------------------------------------------------------ messages */

/* Compare data (at offset off of a message) with the payload expected at the same
 * position, in pieces through a small buffer (a repeat() pattern is generated). */
static bool payload_slice_equal(const struct payload *p, uint64_t off, const uint8_t *data,
                                size_t n)
{
    if (off > p->len || n > p->len - off)
        return false;
    uint8_t buf[512];
    while (n) {
        size_t k = n < sizeof buf ? n : sizeof buf;
        payload_copy(p, off, buf, k);
        if (memcmp(buf, data, k) != 0)
            return false;
        off += k, data += k, n -= k;
    }
    return true;
}

/* The expected event at the index this message would get in list l, if it could
 * match a message of this type at all. */
static const struct event *expected_at(const struct script *sc, const struct event_list *l,
                                       bool binary)
{
    size_t i = sc->r->n_events;
    if (!l->present || i >= l->n || l->events[i].type != EV_MESSAGE)
        return NULL;
    return l->events[i].binary == binary ? &l->events[i] : NULL;
}

static void cmp_start(struct script *sc, bool binary)
{
    struct script_cmp *m = &sc->cmp;
    m->active = true;
    m->len = 0;
    m->head_len = 0;
    m->matches = 0;
    if (expected_at(sc, &sc->def->ok, binary))
        m->matches |= EVENT_MATCHES_OK;
    if (expected_at(sc, &sc->def->non_strict, binary))
        m->matches |= EVENT_MATCHES_NON_STRICT;
}

static void cmp_feed(struct script *sc, bool binary, const uint8_t *data, size_t len)
{
    struct script_cmp *m = &sc->cmp;
    const struct event_list *lists[2] = {&sc->def->ok, &sc->def->non_strict};
    const uint8_t bits[2] = {EVENT_MATCHES_OK, EVENT_MATCHES_NON_STRICT};
    for (size_t i = 0; i < 2; i++) {
        const struct event *want =
            (m->matches & bits[i]) ? expected_at(sc, lists[i], binary) : NULL;
        if (want && !payload_slice_equal(&want->payload, m->len, data, len))
            m->matches &= (uint8_t)~bits[i];
    }
    size_t room = sizeof m->head - m->head_len;
    size_t k = len < room ? len : room;
    memcpy(m->head + m->head_len, data, k);
    m->head_len += k;
    m->len += len;
}

static bool counts(const struct script *sc)
{
    return sc->def->judge != JUDGE_SIZE;
}

static void on_message_data(struct ws_conn *c, enum ws_opcode op, const uint8_t *data, size_t len,
                            uint64_t offset, void *user)
{
    (void)c;
    struct script *sc = of(user);
    if (!sc->killed && sc->def->size_content)
        script_echo_data(sc, data, len, offset);
    if (sc->killed || !counts(sc))
        return;
    if (offset == 0 || !sc->cmp.active)
        cmp_start(sc, op == WS_OP_BINARY);
    cmp_feed(sc, op == WS_OP_BINARY, data, len);
}

static void on_message(struct ws_conn *c, enum ws_opcode op, const uint8_t *data, size_t len,
                       void *user)
{
    (void)c, (void)data; /* stream_messages: data is NULL, len the whole length */
    struct script *sc = of(user);
    bool binary = op == WS_OP_BINARY;
    if (sc->killed) {
        sc->r->late_messages++;
        return;
    }
    if (!counts(sc)) {
        script_size_message(sc, op, len);
        return;
    }
    if (!sc->cmp.active)
        cmp_start(sc, binary); /* an empty message: no slice came */
    struct script_cmp *m = &sc->cmp;
    uint8_t matches = m->matches;
    const struct event_list *lists[2] = {&sc->def->ok, &sc->def->non_strict};
    const uint8_t bits[2] = {EVENT_MATCHES_OK, EVENT_MATCHES_NON_STRICT};
    for (size_t i = 0; i < 2; i++) {
        const struct event *want = expected_at(sc, lists[i], binary);
        if (!want || want->payload.len != len)
            matches &= (uint8_t)~bits[i];
    }
    size_t before = sc->r->n_events;
    result_add_streamed(sc->r, binary, m->head, m->head_len, len, matches,
                        (sc->now - sc->t_open) * 1000);
    mark_after_close(sc, before);
    m->active = false;
    script_maybe_auto_close(sc);
}

/* ------------------------------------------------------------ control frames */

static void on_control(struct ws_conn *c, enum ws_opcode op, const uint8_t *data, size_t len,
                       void *user)
{
    (void)c;
    struct script *sc = of(user);
    /* Pings are answered by the core and not recorded. Pongs are events - except in
     * cases judged by size, where RFC 6455 5.5.3 allows unsolicited pongs and they must
     * not change the verdict (a deliberate difference: catalogue Errata 2). */
    if (op != WS_OP_PONG || sc->def->judge == JUDGE_SIZE)
        return;
    size_t before = sc->r->n_events;
    result_add_event(sc->r, EV_PONG, false, data, len, NULL, (sc->now - sc->t_open) * 1000);
    mark_after_close(sc, before);
    script_maybe_auto_close(sc);
}

/* A Pong longer than 125 bytes (the connection failed for it): Autobahn still records
 * it; it can equal no expected pong. */
static void on_control_oversized(struct ws_conn *c, enum ws_opcode op, const uint8_t *head,
                                 size_t head_len, uint64_t len, void *user)
{
    (void)c;
    struct script *sc = of(user);
    if (op != WS_OP_PONG || sc->def->judge == JUDGE_SIZE)
        return;
    size_t before = sc->r->n_events;
    result_add_event(sc->r, EV_PONG, false, head, head_len, NULL, (sc->now - sc->t_open) * 1000);
    if (sc->r->n_events > before) {
        sc->r->events[before].len = len;
        sc->r->events[before].matches = 0;
    }
    mark_after_close(sc, before);
    script_maybe_auto_close(sc);
}

/* The target closes before wsspec did: when, and how much wsspec had written (the
 * probes' observed line). A paced write stops here: its rest would only follow the
 * target's Close, and the case goes on to its timers (later steps do not run). */
static void target_ends(struct script *sc)
{
    struct case_result *r = sc->r;
    struct ws_close_status st;
    ws_conn_close_status(&sc->conn, &st);
    if (!r->target_ended && !st.sent && !r->dropped_by_me) {
        r->target_ended = true;
        r->target_end_opening = !r->handshake_done;
        r->target_end_ms = (sc->now - (r->handshake_done ? sc->t_open : sc->t0)) * 1000;
        r->target_end_tx = r->tx_octets;
    }
    if (sc->pacing) {
        sendq_stop_paced(&sc->q);
        sc->pacing = false;
        sc->dl_pace = 0;
        sc->steps_done = true;
        script_start_timers(sc, sc->now);
    }
}

void script_recv_target_closed(struct script *sc)
{
    target_ends(sc);
}

static void on_close(struct ws_conn *c, uint16_t code, const uint8_t *reason, size_t len,
                     void *user)
{
    (void)c, (void)code;
    target_ends(of(user));
    struct case_result *r = of(user)->r;
    free(r->remote_close_reason);
    r->remote_close_reason = len ? malloc(len) : NULL;
    if (r->remote_close_reason)
        memcpy(r->remote_close_reason, reason, len);
    r->remote_close_reason_len = r->remote_close_reason ? len : 0;
}

void script_recv_callbacks(struct ws_conn_callbacks *cb)
{
    cb->on_handshake = on_handshake;
    cb->on_frame = on_frame;
    cb->on_message = on_message;
    cb->on_control = on_control;
    cb->on_close = on_close;
    cb->on_frame_data = on_frame_data;
    cb->on_frame_sent = on_frame_sent;
    cb->on_message_data = on_message_data;
    cb->on_violation = on_violation;
    cb->on_control_oversized = on_control_oversized;
}

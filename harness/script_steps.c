/*
 * script_steps.c - a case's steps (cases/README.md, "Sending") turned into frames on
 * the send queue, its timers started, and the closes it makes: auto-close when the
 * expected events are complete, the size judge's close, Close steps.
 *
 * Steps run until one has to wait (a `wait`, a roundtrip's echo) or all are done; then
 * kill-after / close-after start, as Autobahn schedules them at the end of a case's
 * script. Masks come from the case's seeded generator, in step order, so a run is
 * repeatable byte for byte.
 */
#include "script_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ closing */

void script_close(struct script *sc, uint16_t code, const char *reason)
{
    struct ws_close_status st;
    ws_conn_close_status(&sc->conn, &st);
    if (ws_conn_state(&sc->conn) != WS_OPEN || st.sent)
        return;
    size_t rl = reason ? strlen(reason) : 0;
    ws_conn_close(&sc->conn, code, reason, rl);
    struct case_result *r = sc->r;
    free(r->local_close_reason);
    r->local_close_reason = rl ? malloc(rl) : NULL;
    if (r->local_close_reason)
        memcpy(r->local_close_reason, reason, rl);
    r->local_close_reason_len = r->local_close_reason ? rl : 0;
    script_sync_core(sc);
}

/* Catalogue 2.1: once the recorded events equal every expected list, wsspec closes.
 * An informational case with lists does too (a survey such as 17.1.1 ends when its
 * echoes are in); Autobahn's informational cases (7.1.6, 7.13.x) suppress it. */
void script_maybe_auto_close(struct script *sc)
{
    const struct case_def *d = sc->def;
    bool listed = d->judge == JUDGE_EVENTS || d->judge == JUDGE_INFORMATIONAL;
    if (!listed || !d->close.closed_by_me || d->suppress_close)
        return;
    if (judge_events_complete(sc->r))
        script_close(sc, 1000, NULL);
}

/* Autobahn schedules killAfter/closeAfter as the last action of a case's script, after
 * its waits (5.19, 6.4.x): the timers start once the last step has run. */
void script_start_timers(struct script *sc, double now)
{
    double ka = sc->def->kill_after, ca = sc->def->close_after;
    if (ka <= 0 && ca <= 0)
        ka = SCRIPT_DEFAULT_KILL_AFTER;
    char text[48];
    if (ka > 0) {
        sc->dl_kill = now + script_scaled(sc, ka);
        snprintf(text, sizeof text, "KL %.3f", script_scaled(sc, ka));
        script_note(sc, WL_TIMER, text, now);
    }
    if (ca > 0) {
        sc->dl_close_after = now + script_scaled(sc, ca);
        snprintf(text, sizeof text, "TI %.3f", script_scaled(sc, ca));
        script_note(sc, WL_TIMER, text, now);
    }
}

/* ------------------------------------------------------------ frames */

static void spec_from_step(struct script *sc, const struct step *st, struct ws_frame_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->fin = st->fin;
    spec->rsv = st->rsv;
    spec->opcode = st->opcode;
    spec->len_form = st->len_form;
    spec->len_override = st->len_override;
    spec->declared_len = st->declared_len;
    /* RFC 6455 5.1: "a client MUST mask all frames that it sends to the server"; "A
     * server MUST NOT mask any frames that it sends to the client." */
    bool role_masks = sc->cfg.role == SCRIPT_CLIENT;
    if (st->mask == MASK_RANDOM || (st->mask == MASK_DEFAULT && role_masks)) {
        spec->masked = true;
        script_random(&sc->rng, spec->mask_key, 4);
    } else if (st->mask == MASK_FIXED) {
        spec->masked = true;
        memcpy(spec->mask_key, st->mask_key, 4);
    }
}

static void log_tx_frame(struct script *sc, const struct ws_frame_spec *spec,
                         const struct payload *pl, uint64_t off, uint64_t len, uint32_t chop,
                         bool sync)
{
    struct wirelog_row row = {.type = WL_TX_FRAME,
                              .at_ms = script_ms(sc, sc->now),
                              .len = len,
                              .opcode = spec->opcode,
                              .rsv = spec->rsv,
                              .fin = spec->fin,
                              .masked = spec->masked,
                              .sync = sync,
                              .chop = chop};
    memcpy(row.mask_key, spec->mask_key, 4);
    size_t k = len < RESULT_WIRELOG_BYTES ? (size_t)len : RESULT_WIRELOG_BYTES;
    if (pl && k)
        payload_copy(pl, off, row.data, k);
    row.data_len = (uint8_t)k;
    result_add_wirelog(sc->r, &row);
    sc->r->tx_frames[spec->opcode & 0xF]++;
}

/* One frame: header from spec, payload pl[off .. off+len) generated as it is written. */
static bool queue_frame(struct script *sc, const struct ws_frame_spec *spec,
                        const struct payload *pl, uint64_t off, uint64_t len, uint32_t chop,
                        bool sync)
{
    uint8_t hdr[WS_FRAME_HEADER_MAX];
    size_t hlen = ws_frame_write_header(spec, len, hdr);
    if (hlen == 0)
        return false;
    script_sync_core(sc); /* the core's bytes queued before keep their place */
    if (!sendq_frame(&sc->q, hdr, hlen, pl, off, len, spec->masked ? spec->mask_key : NULL, 0, chop,
                     sync, sc->reading))
        return false;
    if (sc->cur_pause > 0)
        sendq_set_gap(&sc->q, sc->cur_pause);
    log_tx_frame(sc, spec, pl, off, len, chop, sync);
    return true;
}

/* A message, cut the way Autobahn's fragmenter cuts: full fragments with FIN=0, the
 * rest with FIN=1, and an empty final CONT when the fragment size divides the length.
 * rsv1: a compressed message - RSV1 on its first frame only (RFC 7692 6.1), and the
 * fragments are cut from the compressed bytes, as Autobahn cuts them. */
static bool queue_message_of(struct script *sc, const struct step *st, uint8_t op,
                             const struct payload *pl, bool rsv1)
{
    uint64_t frag = st->fragment, len = pl->len, off = 0;
    struct ws_frame_spec spec;
    if (frag == 0 || len <= frag) {
        spec_from_step(sc, st, &spec);
        spec.opcode = op;
        spec.fin = true;
        spec.rsv |= rsv1 ? WS_RSV1 : 0;
        return queue_frame(sc, &spec, pl, 0, len, st->chop, st->sync);
    }
    for (bool first = true; off < len; first = false) {
        uint64_t k = len - off < frag ? len - off : frag;
        spec_from_step(sc, st, &spec);
        spec.opcode = first ? op : WS_OP_CONT;
        spec.rsv |= first && rsv1 ? WS_RSV1 : 0;
        spec.fin = off + k == len && k < frag;
        if (!queue_frame(sc, &spec, pl, off, k, st->chop, st->sync))
            return false;
        off += k;
    }
    if (len % frag)
        return true;
    spec_from_step(sc, st, &spec);
    spec.opcode = WS_OP_CONT;
    spec.fin = true;
    return queue_frame(sc, &spec, pl, 0, 0, st->chop, st->sync);
}

static bool queue_message(struct script *sc, const struct step *st)
{
    return queue_message_of(sc, st, st->opcode, &st->payload, false);
}

/* ------------------------------------------------------------ roundtrips */

/* buf grows to hold n bytes. */
static bool rt_reserve(uint8_t **buf, size_t *cap, uint64_t n)
{
    if (n <= *cap)
        return true;
    if (n > SIZE_MAX / 2)
        return false;
    uint8_t *p = realloc(*buf, (size_t)n);
    if (!p)
        return false;
    *buf = p;
    *cap = (size_t)n;
    return true;
}

/* The roundtrip's message rt_msg compressed by the core's compressor (the agreed window
 * and context takeover) into rt_wire - or, when that compressor keeps no context, taken
 * from the run's cache, where it is stored for the next case that sends it (zcache.h).
 * *wire and *len get the bytes to send. False: out of memory. */
static bool rt_compress(struct script *sc, const uint8_t **wire, size_t *len)
{
    const struct step *st = sc->rt;
    struct ws_deflate_config dc;
    bool cached = sc->cfg.zcache && st->data && ws_conn_deflate_config(&sc->conn, &dc) &&
                  dc.no_context_takeover;
    if (cached) {
        *wire = zcache_get(sc->cfg.zcache, st, dc.window_bits, dc.level, sc->rt_index, len);
        if (*wire)
            return true;
    }
    if (!rt_reserve(&sc->rt_wire, &sc->rt_wire_cap,
                    ws_conn_deflate_bound(&sc->conn, sc->rt_msg_len)) ||
        ws_conn_deflate(&sc->conn, sc->rt_msg, sc->rt_msg_len, sc->rt_wire, sc->rt_wire_cap, len) !=
            WS_E_OK)
        return false;
    *wire = sc->rt_wire;
    if (cached)
        zcache_put(sc->cfg.zcache, st, dc.window_bits, dc.level, sc->rt_index, *wire, *len);
    return true;
}

/* The roundtrip's message number rt_index, built: its plain bytes in rt_msg (the k-th
 * slice of a generated file, or the step's payload), and what goes on the wire in
 * rt_pl - compressed when permessage-deflate is on. False: out of memory. */
static bool rt_build(struct script *sc, bool *rsv1)
{
    const struct step *st = sc->rt;
    bool text = st->opcode == WS_OP_TEXT;
    uint64_t max = st->data ? datastore_slice_max(text, st->slice) : st->payload.len;
    if (!rt_reserve(&sc->rt_msg, &sc->rt_msg_cap, max ? max : 1))
        return false;
    if (st->data) {
        if (!sc->cfg.data)
            return false;
        size_t n = datastore_slice(sc->cfg.data, (enum testdata_kind)(st->data - 1), text,
                                   sc->rt_index, st->slice, sc->rt_msg, sc->rt_msg_cap);
        if (n == SIZE_MAX)
            return false;
        sc->rt_msg_len = n;
    } else {
        payload_copy(&st->payload, 0, sc->rt_msg, (size_t)max);
        sc->rt_msg_len = (size_t)max;
    }
    const uint8_t *wire = sc->rt_msg;
    size_t wire_len = sc->rt_msg_len;
    *rsv1 = ws_conn_pmd(&sc->conn, NULL);
    if (*rsv1 && !rt_compress(sc, &wire, &wire_len))
        return false;
    sc->rt_seg = (struct payload_seg){.pat = (uint8_t *)wire, .pat_len = wire_len, .len = wire_len};
    sc->rt_pl = (struct payload){.segs = &sc->rt_seg, .n_segs = wire_len ? 1 : 0, .len = wire_len};
    sc->echo_differs = false;
    return true;
}

/* Send the roundtrip's next message. A message the case only sizes, uncompressed, goes
 * out as the step's payload, generated as it is written (9.x: 16 MiB without a copy). */
static void rt_send(struct script *sc)
{
    const struct step *st = sc->rt;
    uint8_t op = sc->def->size_binary ? WS_OP_BINARY : WS_OP_TEXT;
    if (!st->data && !sc->def->size_content && !ws_conn_pmd(&sc->conn, NULL)) {
        queue_message_of(sc, st, op, &st->payload, false);
        return;
    }
    bool rsv1 = false;
    if (!rt_build(sc, &rsv1)) {
        script_note(sc, WL_NOTE, "wsspec could not build the next message (out of memory)",
                    sc->now);
        sc->rt = NULL;
        script_close(sc, 1000, NULL);
        return;
    }
    queue_message_of(sc, st, op, &sc->rt_pl, rsv1);
}

/* Free what the roundtrips built. */
void script_rt_free(struct script *sc)
{
    free(sc->rt_msg);
    free(sc->rt_wire);
    sc->rt_msg = sc->rt_wire = NULL;
    sc->rt_msg_cap = sc->rt_wire_cap = 0;
}

/* An echo's next slice (`expect echo`): compared with the message sent, not kept. */
void script_echo_data(struct script *sc, const uint8_t *data, size_t len, uint64_t offset)
{
    if (sc->echo_differs || !sc->rt_msg)
        return;
    if (offset > sc->rt_msg_len || len > sc->rt_msg_len - offset) {
        sc->echo_differs = true;
        sc->echo_diff_at = sc->rt_msg_len < offset ? sc->rt_msg_len : offset;
        return;
    }
    if (memcmp(sc->rt_msg + offset, data, len) == 0)
        return;
    size_t i = 0;
    while (sc->rt_msg[offset + i] == data[i])
        i++;
    sc->echo_differs = true;
    sc->echo_diff_at = offset + i;
}

/* `send close`: the Close payload as the step says (no validation: invalid codes go out
 * as written). The first Close is the core's (it changes the connection's state); a
 * second one (7.1.2) goes out as a raw frame, masked as the role requires. */
static void send_close_step(struct script *sc, const struct step *st)
{
    uint8_t buf[WS_FRAME_HEADER_MAX + 1024] = {0};
    size_t n = 0, max = sizeof buf;
    if (st->close_has_code && !st->close_raw) {
        buf[0] = (uint8_t)(st->close_code >> 8);
        buf[1] = (uint8_t)st->close_code;
        n = 2;
    }
    if (st->close_raw || st->close_has_code) {
        uint64_t plen = st->payload.len < max - n ? st->payload.len : max - n;
        payload_copy(&st->payload, 0, buf + n, (size_t)plen);
        n += (size_t)plen;
    }
    script_sync_core(sc);
    struct ws_close_status cs;
    ws_conn_close_status(&sc->conn, &cs);
    if (cs.sent) {
        struct ws_frame_spec spec = {
            .fin = true, .opcode = WS_OP_CLOSE, .masked = sc->cfg.role == SCRIPT_CLIENT};
        if (spec.masked)
            script_random(&sc->rng, spec.mask_key, 4);
        ws_conn_send_frame(&sc->conn, &spec, buf, n);
    } else if (ws_conn_close_payload(&sc->conn, buf, n) == WS_E_OK) {
        struct case_result *r = sc->r;
        size_t rl = n >= 2 ? n - 2 : 0;
        free(r->local_close_reason);
        r->local_close_reason = rl ? malloc(rl) : NULL;
        if (r->local_close_reason)
            memcpy(r->local_close_reason, buf + 2, rl);
        r->local_close_reason_len = r->local_close_reason ? rl : 0;
    }
    script_sync_core(sc);
}

/* ------------------------------------------------------------ steps */

static void step_begin(struct script *sc, const struct step *st)
{
    struct ws_frame_spec spec;
    spec_from_step(sc, st, &spec);
    queue_frame(sc, &spec, NULL, 0, 0, st->chop, st->sync);
    sc->open_masked = spec.masked;
    memcpy(sc->open_key, spec.mask_key, 4);
    sc->open_phase = 0;
}

/* `send payload` (more of the frame `send begin` opened, at its mask phase) and
 * `send raw` (bytes as they are). */
static void step_bytes(struct script *sc, const struct step *st, bool in_frame)
{
    script_sync_core(sc);
    const uint8_t *key = in_frame && sc->open_masked ? sc->open_key : NULL;
    sendq_frame(&sc->q, NULL, 0, &st->payload, 0, st->payload.len, key,
                in_frame ? sc->open_phase : 0, st->chop, st->sync, sc->reading);
    if (sc->cur_pause > 0)
        sendq_set_gap(&sc->q, sc->cur_pause);
    if (in_frame)
        sc->open_phase += st->payload.len;
}

static void step_wait(struct script *sc, const struct step *st, double now)
{
    char text[48];
    sc->dl_wait = now + script_scaled(sc, st->seconds);
    sc->wait_tag = st->tag[0] ? st->tag : NULL;
    snprintf(text, sizeof text, "CT %.3f %s", script_scaled(sc, st->seconds), st->tag);
    script_note(sc, WL_TIMER, text, now);
}

static void run_step(struct script *sc, const struct step *st, double now)
{
    struct ws_frame_spec spec;
    /* pause=: the step's units are paced, and the next steps wait for its last chop */
    sc->cur_pause = st->pause > 0 ? script_scaled(sc, st->pause) : 0;
    sc->pacing = sc->cur_pause > 0 && st->chop > 0;
    if (sc->pacing) { /* every chop on time, and a second more */
        uint64_t chops = (st->payload.len + WS_FRAME_HEADER_MAX) / st->chop + 1;
        sc->dl_pace = now + sc->cur_pause * (double)chops + script_scaled(sc, 1.0);
    }
    switch (st->type) {
    case STEP_FRAME:
        spec_from_step(sc, st, &spec);
        queue_frame(sc, &spec, &st->payload, 0, st->payload.len, st->chop, st->sync);
        break;
    case STEP_MESSAGE:
        queue_message(sc, st);
        break;
    case STEP_BEGIN:
        step_begin(sc, st);
        break;
    case STEP_PAYLOAD:
        step_bytes(sc, st, true);
        break;
    case STEP_RAW:
        step_bytes(sc, st, false);
        break;
    case STEP_CLOSE:
        send_close_step(sc, st);
        break;
    case STEP_WAIT:
        step_wait(sc, st, now);
        break;
    case STEP_ROUNDTRIP:
        sc->rt = st;
        sc->rt_left = st->count;
        sc->rt_index = 0;
        rt_send(sc);
        break;
    }
    sc->cur_pause = 0;
}

/* The steps marked pipelined (they come first): queued right behind the opening
 * request, before the 101. */
void script_run_pipelined(struct script *sc, double now)
{
    while (sc->step < sc->def->n_steps && sc->def->steps[sc->step].pipelined)
        run_step(sc, &sc->def->steps[sc->step++], now);
}

void script_run_steps(struct script *sc, double now)
{
    if (sc->cfg.probe) {
        if (!sc->steps_done)
            script_close(sc, 1001, "probe");
        sc->steps_done = true;
        return;
    }
    while (!sc->steps_done && !sc->dl_wait && !sc->tcp_closed && !sc->pacing) {
        if (sc->step >= sc->def->n_steps) {
            sc->steps_done = true;
            script_start_timers(sc, now);
            break;
        }
        run_step(sc, &sc->def->steps[sc->step++], now);
        if (sc->pacing && !sendq_paced(&sc->q))
            sc->pacing = false; /* nothing of it to pace (an empty write) */
    }
    script_sync_core(sc);
}

/* ------------------------------------------------------------ the size judge */

/* JUDGE_SIZE: type and length of each echo (9.x); content is not compared, as in
 * Autobahn. wsspec closes with 1000 on a mismatch or when all echoes are in. */
void script_size_message(struct script *sc, enum ws_opcode op, uint64_t len)
{
    struct case_result *r = sc->r;
    const struct case_def *d = sc->def;
    bool bad_type = (op == WS_OP_BINARY) != d->size_binary;
    /* `expect echo`: the length and bytes of the message in flight (none in flight:
     * an echo of nothing, which differs) */
    uint64_t want_len = d->size_content ? (sc->rt_msg ? sc->rt_msg_len : 0) : d->size_len;
    bool bad_len = len != want_len;
    bool bad_content = d->size_content && (!sc->rt || sc->echo_differs);
    if (bad_type || bad_len || bad_content) {
        if (!r->size_bad_type && !r->size_len_mismatch && !r->size_content_bad) {
            r->size_bad_type = bad_type;
            r->size_len_mismatch = bad_len;
            r->size_bad_len = len;
            r->size_content_bad = bad_content && !bad_type && !bad_len;
            r->size_bad_index = r->size_seen;
            r->size_bad_at = sc->echo_diff_at;
            r->size_want_len = want_len;
        }
        sc->rt = NULL;
        script_close(sc, 1000, NULL);
        return;
    }
    r->size_seen++;
    if (sc->rt && --sc->rt_left > 0) {
        sc->rt_index++;
        rt_send(sc);
        return;
    }
    sc->rt = NULL;
    if (r->size_seen >= (d->size_count ? d->size_count : 1))
        script_close(sc, 1000, NULL);
}

/*
 * script.c - one case, sans-IO (see script.h for the model): its life as phases, its
 * timers, the bytes it writes. The steps are in script_steps.c, the receive path (the
 * core's callbacks, events, streamed comparisons) in script_recv.c.
 *
 * Pace. Autobahn writes a queued element per pass of its event loop (sendq.h); what a
 * pass costs decides whether a target has acted on a frame - echoed a message - before
 * the next frame's first bytes arrive, and with it the verdict of every case where a
 * valid message is followed by a bad frame written in chops (3.4, 4.1.5, 4.2.5: OK or
 * NON-STRICT). Autobahn's pass is its 10 us timer plus a pass of a Python event loop:
 * of the order of what a Python server needs to answer, far longer than what a C
 * server needs. wsspec's own loop passes in microseconds, so a fixed 10 us made a
 * slow target see wsspec's chops coalesced where Autobahn's arrive one by one
 * (python3-websockets then got NON-STRICT in 4.1.5/4.2.5, where its published result
 * is OK, in four runs out of five here), and any fixed longer pass is right for one
 * target, wrong for another, and drifts with the machine's load. So the pass before
 * an element that begins a frame is measured on each connection: its opening
 * handshake's round trip (request written -> 101 read), which is what one answer of
 * this target costs now, on this machine, under this load - at least Autobahn's 10 us,
 * at most SCRIPT_PACE_MAX. One round trip is one sample: a target that answered one
 * handshake quickly can be slow the next moment on a loaded machine, so the tester
 * also gives the longest of the run's recent handshakes (script_config.pace_floor) and
 * the pass is the larger of the two. The pass costs time only at frame boundaries of
 * chopped and sync frames - a few per case - so erring long is cheap. Inside a frame, where the
 * target has nothing to act on, chops follow each other after Autobahn's 10 us. The pass is
 * recorded per case (result.pace_s, a PACE row of the wire log); script_config.pace fixes it.
 *
 * As the server wsspec has no round trip to measure before its first frame: the client
 * wrote its request unasked, and the 101 is answered by nothing. So the pass is
 * SCRIPT_PACE_MAX (unless script_config.pace fixes it): erring long costs a few
 * milliseconds per case, erring short turns a slow client's OK into NON-STRICT.
 */
#define _GNU_SOURCE
#include "script.h"

#include "script_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ small helpers */

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t script_case_seed(uint64_t run_seed, const char *case_id)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a over the id */
    for (const char *p = case_id; *p; p++)
        h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
    uint64_t s = run_seed ^ h;
    return splitmix(&s);
}

void script_random(void *ud, uint8_t *out, size_t n)
{
    uint64_t *s = ud;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v = splitmix(s);
        size_t k = n - i < 8 ? n - i : 8;
        memcpy(out + i, &v, k);
    }
}

double script_scaled(const struct script *sc, double seconds)
{
    return seconds * sc->cfg.timeout_scale;
}

double script_ms(const struct script *sc, double now)
{
    return (now - sc->t0) * 1000;
}

void script_note(struct script *sc, enum wirelog_type type, const char *text, double now)
{
    struct wirelog_row row = {.type = type, .at_ms = script_ms(sc, now)};
    snprintf(row.text, sizeof row.text, "%s", text);
    result_add_wirelog(sc->r, &row);
}

/* The core queued bytes (request, Pongs, Close frames): give them their place among
 * the case's own. */
void script_sync_core(struct script *sc)
{
    const uint8_t *p;
    size_t n = ws_conn_pending(&sc->conn, &p);
    sendq_core(&sc->q, n, sc->reading);
}

static void core_read(void *ud, size_t off, uint8_t *out, size_t n)
{
    struct script *sc = ud;
    const uint8_t *p;
    size_t have = ws_conn_pending(&sc->conn, &p);
    if (off < have) {
        size_t k = have - off < n ? have - off : n;
        memcpy(out, p + off, k);
        n -= k, out += k;
    }
    memset(out, 0, n); /* cannot happen: sendq never asks beyond what was pending */
}

/* ------------------------------------------------------------ phases */

static bool serving(const struct script *sc)
{
    return sc->cfg.role == SCRIPT_SERVER;
}

static void enter(struct script *sc, enum script_phase to, double now)
{
    if (sc->phase == to)
        return;
    sc->phase = to;
    if (to == SCRIPT_CLOSING)
        sc->dl_close_hs = now + script_scaled(sc, SCRIPT_CLOSE_HANDSHAKE_TIMEOUT);
    if (to == SCRIPT_CLOSED && serving(sc)) {
        /* As the server wsspec closes TCP itself once its last bytes are out (catalogue
         * 2.3: "As server, the fuzzer then drops TCP immediately"); a client that does
         * not read them holds the drop up this long at most. */
        sc->dl_drop = now + script_scaled(sc, SCRIPT_SERVER_DROP_TIMEOUT);
    } else if (to == SCRIPT_CLOSED) {
        /* RFC 6455 5.5.1 (after the closing handshake) "The server MUST close the
         * underlying TCP connection immediately": wait for it, bounded. Autobahn waits
         * for killAfter when the server closed first. */
        struct ws_close_status st;
        ws_conn_close_status(&sc->conn, &st);
        double wait = script_scaled(sc, SCRIPT_SERVER_DROP_TIMEOUT);
        if (!st.closed_by_me && st.clean && sc->dl_kill > now + wait)
            wait = sc->dl_kill - now;
        sc->dl_drop = now + wait;
    }
}

/* The one place the phase changes: from the core's state and what happened. */
void script_advance(struct script *sc, double now)
{
    if (sc->phase == SCRIPT_DONE)
        return;
    if (sc->tcp_closed) {
        enter(sc, SCRIPT_DONE, now);
        return;
    }
    if (!sc->conn_ready)
        return;
    script_sync_core(sc);
    enum ws_conn_state state = ws_conn_state(&sc->conn);
    struct ws_close_status st;
    ws_conn_close_status(&sc->conn, &st);
    if (sc->phase == SCRIPT_OPENING && state == WS_CLOSED && !serving(sc)) {
        script_drop(sc, now); /* the 101 was refused or broken: nothing more to do */
        return;
    }
    if (state == WS_CLOSED)
        enter(sc, SCRIPT_CLOSED, now); /* server role: a refused request too */
    else if (st.sent && !st.received)
        enter(sc, SCRIPT_CLOSING, now);
    else if (state == WS_OPEN)
        enter(sc, SCRIPT_OPEN, now);
    script_drop_when_written(sc, now);
}

/* Server role, CLOSED: wsspec closes TCP as soon as nothing is left to write. */
void script_drop_when_written(struct script *sc, double now)
{
    if (serving(sc) && sc->phase == SCRIPT_CLOSED && sendq_empty(&sc->q))
        script_drop(sc, now);
}

/* wsspec closes TCP now (droppedByMe). */
void script_drop(struct script *sc, double now)
{
    if (sc->tcp_closed)
        return;
    sc->tcp_closed = true;
    sc->r->dropped_by_me = true;
    script_note(sc, WL_NOTE, "TCP DROPPED BY ME", now);
    enter(sc, SCRIPT_DONE, now);
}

void script_tcp_closed(struct script *sc, const char *why, double now)
{
    if (sc->tcp_closed)
        return;
    sc->tcp_closed = true;
    if (why)
        script_note(sc, WL_NOTE, why, now);
    script_note(sc, WL_NOTE, "TCP DROPPED BY PEER", now);
    if (sc->refusing)
        sc->r->refusal_closed_ms = (now - sc->t_open) * 1000;
    sc->now = now;
    script_recv_target_closed(sc);
    if (sc->conn_ready)
        ws_conn_eof(&sc->conn);
    enter(sc, SCRIPT_DONE, now);
}

/* ------------------------------------------------------------ setup */

static uint64_t largest_expected(const struct event_list *l)
{
    uint64_t m = 0;
    for (size_t i = 0; l->present && i < l->n; i++)
        if (l->events[i].type == EV_MESSAGE && l->events[i].payload.len > m)
            m = l->events[i].payload.len;
    return m;
}

static uint64_t keep_limit(const struct case_def *d)
{
    /* The largest message wsspec takes from the target: messages stream through (ws_conn's
     * stream_messages) and cost nothing, so the bound only counts; it is the core's
     * default, or the largest message the case expects when that is larger (17.1.2 with
     * a declared --max-message-size of up to 4 GiB wants its echo whole). */
    uint64_t m = WS_CONN_DEFAULT_MAX_MESSAGE, ok = largest_expected(&d->ok);
    uint64_t ns = largest_expected(&d->non_strict);
    uint64_t size = d->judge == JUDGE_SIZE ? d->size_len : 0;
    m = ok > m ? ok : m;
    m = ns > m ? ns : m;
    return size > m ? size : m;
}

/* A case's own request goes on the send queue like any chopped write, and the steps
 * marked pipelined right behind it, before the 101. */
void script_write_own(struct script *sc, double now)
{
    const struct case_request *rq = &sc->def->request;
    sc->now = now;
    if (sendq_frame(&sc->q, NULL, 0, &sc->req_pl, 0, sc->req_pl.len, NULL, 0, rq->chop, false,
                    false))
        sendq_set_gap(&sc->q, rq->gap);
    script_run_pipelined(sc, now);
}

/* What the judge needs of the offer: the key and the names, comma-joined. */
static void join_names(char *out, size_t cap, const char *const *names, size_t n)
{
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && at < cap; i++) {
        int k = snprintf(out + at, cap - at, "%s%s", i ? ", " : "", names[i]);
        at += k > 0 ? (size_t)k : 0;
    }
}

void result_set_offer(struct case_result *r, const struct script_offer *o)
{
    r->offer_has_key = o->has_key;
    snprintf(r->offer_key, sizeof r->offer_key, "%s", o->has_key ? o->key : "");
    join_names(r->offer_protocols, sizeof r->offer_protocols, o->protocols, o->n_protocols);
    join_names(r->offer_extensions, sizeof r->offer_extensions, o->extensions, o->n_extensions);
}

/* What the core is given in both roles. The tester options (ws_conn.h) make it behave
 * as Autobahn's protocol does, which is one implementation for both of its roles:
 *  - stream_messages: messages are compared as they arrive and never held, so memory
 *    stays bounded whatever the target sends - in either role;
 *  - close_reply_code 1000: Autobahn answers a Close with 1000 as client and as server
 *    (catalogue 2.3, echoCloseCodeReason=false);
 *  - read_on: after a violation Autobahn sends its failing Close and goes on with the
 *    closing handshake (failByDrop=false), in either role; what the option adds after
 *    the handshake (reading until the target closes TCP) hardly matters as the server,
 *    which closes TCP itself as soon as its last bytes are out;
 *  - autobahn_close_codes: the same autobahn 0.10.9 refuses 1012-1014 in both roles.
 * The client role adds pmd_take_answer (script_init); a server makes the answer, so it
 * has nothing to take. */
void script_conn_config(struct script *sc, struct ws_conn_config *wc)
{
    *wc = (struct ws_conn_config){
        .max_message = keep_limit(sc->def),
        .max_output = 4 * WS_CONN_PONG_BACKLOG, /* our own frames only: small */
        .deflate_level = WS_DEFLATE_DEFAULT_LEVEL,
        .random = script_random,
        .random_ud = &sc->rng,
        .user = sc,
        .tester = {.stream_messages = true,
                   .close_reply_code = 1000,
                   .read_on = true,
                   .autobahn_close_codes = true},
    };
    script_recv_callbacks(&wc->cb);
}

bool script_init(struct script *sc, const struct script_config *cfg, double now)
{
    memset(sc, 0, sizeof *sc);
    sc->cfg = *cfg;
    sc->def = cfg->def;
    sc->r = cfg->r;
    sc->phase = SCRIPT_OPENING;
    sc->t0 = now;
    sc->rf_row = UINT64_MAX;
    sc->rng = script_case_seed(cfg->run_seed, cfg->def->id);
    sendq_init(&sc->q, core_read, sc);
    struct case_result *r = sc->r;
    r->def = cfg->def;
    r->seed = cfg->run_seed;
    r->local_close_code = r->remote_close_code = -1;
    r->started = cfg->wall0;
    const char *agent = cfg->agent ? cfg->agent : cfg->request.host;
    snprintf(r->agent, sizeof r->agent, "%.127s", agent ? agent : "?");
    double open_s =
        cfg->def->response_timeout > 0 ? cfg->def->response_timeout : SCRIPT_OPEN_HANDSHAKE_TIMEOUT;
    sc->dl_open = now + script_scaled(sc, open_s);
    if (serving(sc))
        return script_server_init(sc);
    const char *why = NULL;
    if (!cfg->probe && !script_case_runs_as_client(cfg->def, &why)) {
        snprintf(r->connect_error, sizeof r->connect_error, "not run as the client: %s", why);
        return false;
    }

    struct ws_conn_config wc;
    script_conn_config(sc, &wc);
    wc.role = WS_ROLE_CLIENT;
    wc.request = cfg->request;
    /* Autobahn's client takes a permessage-deflate answer that fits no offer (the RFC
     * verdict fails it) */
    wc.tester.pmd_take_answer = true;
    if (cfg->def->deflate_offer && !cfg->probe)
        wc.request.extensions = cfg->def->deflate_offer;
    bool own = cfg->def->request.own && !cfg->probe;
    if (own) {
        wc.tester.own_request = &sc->offer.offer;
        if (!script_request_build(sc, &cfg->request)) {
            snprintf(r->connect_error, sizeof r->connect_error, "cannot build the opening request");
            return false;
        }
    }
    if (ws_conn_init(&sc->conn, &wc) != WS_E_OK) {
        snprintf(r->connect_error, sizeof r->connect_error, "cannot build the opening request");
        script_request_free(sc);
        return false;
    }
    sc->conn_ready = true;
    const uint8_t *req = sc->req;
    size_t n = own ? (size_t)sc->req_pl.len : ws_conn_pending(&sc->conn, &req);
    script_offer_read(&sc->offer, req, n);
    result_set_offer(r, &sc->offer);
    r->http_request = script_request_record(req, n);
    script_sync_core(sc);
    if (own)
        script_write_own(sc, now);
    return true;
}

/* ------------------------------------------------------------ pace */

/* The request's last byte just went out, or the 101 just came in - server role: was
 * just queued (see "Pace"). */
void script_set_pace(struct script *sc, double now)
{
    double pace = sc->cfg.pace;
    sc->r->handshake_rtt = sc->t_request > 0 && !serving(sc) ? now - sc->t_request : 0;
    if (pace <= 0 && serving(sc)) {
        pace = SCRIPT_PACE_MAX;
    } else if (pace <= 0) {
        pace = sc->r->handshake_rtt;
        if (pace < sc->cfg.pace_floor)
            pace = sc->cfg.pace_floor;
        if (pace > SCRIPT_PACE_MAX)
            pace = SCRIPT_PACE_MAX;
    }
    if (pace < SENDQ_MIN_PASS)
        pace = SENDQ_MIN_PASS;
    sc->q.pass = pace;
    sc->r->pace_s = pace;
    char text[48];
    snprintf(text, sizeof text, "PACE %.6f", pace);
    script_note(sc, WL_NOTE, text, now);
}

/* ------------------------------------------------------------ I/O */

/* A refused opening handshake: the response as received keeps the first bytes of the
 * body that came with the header block (what curl would show: "401 Unauthorized ..."). */
#define SCRIPT_BODY_KEPT 512
static void keep_body(struct script *sc, const uint8_t *in, size_t len)
{
    struct case_result *r = sc->r;
    size_t block = r->http_response_len;
    if (!r->http_response || block < sc->rx_before || block - sc->rx_before > len)
        return;
    size_t off = block - (size_t)sc->rx_before, n = len - off;
    if (n > SCRIPT_BODY_KEPT)
        n = SCRIPT_BODY_KEPT;
    char *p = realloc(r->http_response, block + n + 1);
    if (!p)
        return;
    memcpy(p + block, in + off, n);
    p[block + n] = '\0';
    r->http_response = p;
    r->http_response_len = block + n;
}

void script_recv(struct script *sc, uint8_t *in, size_t len, double now)
{
    if (sc->tcp_closed || !sc->conn_ready)
        return;
    sc->r->rx_octets += len;
    struct wirelog_row row = {.type = WL_RX_OCTETS, .at_ms = script_ms(sc, now), .len = len};
    row.data_len = (uint8_t)(len < RESULT_WIRELOG_BYTES ? len : RESULT_WIRELOG_BYTES);
    memcpy(row.data, in, row.data_len);
    result_add_wirelog(sc->r, &row);
    sc->reading = true;
    sc->now = now;
    bool was_open = sc->r->handshake_done;
    if (sc->refusing) {
        script_server_refused_bytes(sc, in, len);
        sc->rx_before += len;
        sc->reading = false;
        return;
    }
    /* A case that writes its own response gives the core the client's request alone:
     * what follows it in the same read is read after the response is queued - or, when
     * the client is to refuse that response, only counted (no frame is read, so wsspec
     * answers none with a Close). */
    size_t feed = len;
    if (!was_open && serving(sc) && sc->conn.cfg.tester.own_response)
        feed = script_server_request_end(sc, in, len);
    enum ws_error e = ws_conn_recv(&sc->conn, in, feed);
    if (!was_open && sc->r->handshake_error != WS_E_OK && !serving(sc))
        keep_body(sc, in, len);
    if (!was_open && sc->refusing)
        script_server_refused_bytes(sc, in, len); /* what came behind the request */
    else if (feed < len && ws_conn_state(&sc->conn) == WS_OPEN)
        e = ws_conn_recv(&sc->conn, in + feed, len - feed);
    sc->rx_before += len;
    (void)e; /* what the target broke reaches the record through on_violation */
    script_advance(sc, now);
    if (!was_open && sc->r->handshake_done && !sc->tcp_closed)
        script_run_steps(sc, now);
    sc->reading = false;
}

size_t script_output(struct script *sc, double now, uint8_t *out, size_t cap, double *wake)
{
    *wake = 0;
    if (sc->tcp_closed)
        return 0;
    return sendq_fill(&sc->q, now, out, cap, wake);
}

void script_wrote(struct script *sc, const uint8_t *out, size_t n, double now)
{
    uint32_t chop = sc->q.last_chop;
    bool sync = sc->q.last_sync;
    size_t core = sendq_wrote(&sc->q, n, now);
    if (n == 0)
        return;
    if (core) {
        ws_conn_sent(&sc->conn, core);
        script_sync_core(sc); /* a Pong owed during a backlog may follow */
    }
    struct case_result *r = sc->r;
    r->tx_octets += n;
    struct wirelog_row row = {
        .type = WL_TX_OCTETS, .at_ms = script_ms(sc, now), .len = n, .sync = sync, .chop = chop};
    row.data_len = (uint8_t)(n < RESULT_WIRELOG_BYTES ? n : RESULT_WIRELOG_BYTES);
    memcpy(row.data, out, row.data_len);
    result_add_wirelog(r, &row);
    if (sc->phase == SCRIPT_OPENING && sendq_empty(&sc->q) && sc->t_request == 0)
        sc->t_request = now;
    script_drop_when_written(sc, now);
    if (sc->pacing && !sendq_paced(&sc->q)) {
        /* the paced write's last chop is out: the steps after it run now */
        sc->pacing = false;
        sc->dl_pace = 0;
        sc->now = now;
        script_run_steps(sc, now);
    }
}

/* ------------------------------------------------------------ timers */

static void tick_open(struct script *sc, double now)
{
    if (sc->phase != SCRIPT_OPENING || !sc->dl_open || now < sc->dl_open)
        return;
    sc->r->was_open_handshake_timeout = true;
    sc->r->was_not_clean_reason = "peer did not finish (in time) the opening handshake";
    script_drop(sc, now);
}

static void tick_wait(struct script *sc, double now)
{
    if (!sc->dl_wait || now < sc->dl_wait)
        return;
    sc->dl_wait = 0;
    script_note(sc, WL_TIMER, sc->wait_tag ? "CTE" : "CTE -", now);
    /* Autobahn: a tagged wait records its timeout event only while OPEN and stops the
     * script otherwise (6.4.x); an untagged one goes on unless TCP closed (5.19). */
    if (sc->wait_tag) {
        if (ws_conn_state(&sc->conn) == WS_OPEN) {
            result_add_event(sc->r, EV_TIMEOUT, false, NULL, 0, sc->wait_tag,
                             (now - sc->t_open) * 1000);
            script_maybe_auto_close(sc);
        } else {
            sc->steps_done = true; /* Autobahn: the rest of the script does not run */
            script_start_timers(sc, now);
        }
    }
    script_run_steps(sc, now);
}

static void tick_kill(struct script *sc, double now)
{
    if (!sc->dl_kill || now < sc->dl_kill)
        return;
    sc->dl_kill = 0;
    script_note(sc, WL_TIMER, "KLE", now);
    if (sc->refusing) {
        script_drop(sc, now); /* no WebSocket connection to close: the deadline ends it */
        return;
    }
    struct ws_close_status st;
    ws_conn_close_status(&sc->conn, &st);
    if (ws_conn_state(&sc->conn) == WS_OPEN && !st.sent) {
        /* Autobahn's failConnection(): Close 1001 "Going Away", failedByMe - and from
         * now on messages are not counted (pongs still are) */
        sc->r->failed_by_me = true;
        sc->killed = true;
        script_close(sc, 1001, "Going Away");
    } else if (sc->phase != SCRIPT_CLOSED) {
        script_drop(sc, now); /* already closing: the kill drops TCP */
    }
}

static void tick_close_after(struct script *sc, double now)
{
    if (!sc->dl_close_after || now < sc->dl_close_after)
        return;
    sc->dl_close_after = 0;
    script_note(sc, WL_TIMER, "TIE", now);
    struct ws_close_status st;
    ws_conn_close_status(&sc->conn, &st);
    if (ws_conn_state(&sc->conn) == WS_OPEN && !st.sent)
        ws_conn_close_payload(&sc->conn, NULL, 0);
}

static void tick_close_hs(struct script *sc, double now)
{
    if (sc->phase != SCRIPT_CLOSING || now < sc->dl_close_hs)
        return;
    sc->r->was_close_handshake_timeout = true;
    sc->r->was_not_clean_reason = "peer did not respond (in time) in closing handshake";
    script_drop(sc, now);
}

static void tick_drop(struct script *sc, double now)
{
    if (sc->phase != SCRIPT_CLOSED || now < sc->dl_drop)
        return;
    struct ws_close_status st;
    ws_conn_close_status(&sc->conn, &st);
    if (st.closed_by_me && st.clean && !serving(sc)) {
        sc->r->was_server_connection_drop_timeout = true;
        sc->r->was_not_clean_reason = "server did not drop TCP connection (in time)";
    }
    script_drop(sc, now);
}

/* A paced write that the target's reading held up past its time: what is left of it
 * is dropped, and the case goes on (its timers bound it from here). */
static void tick_pace(struct script *sc, double now)
{
    if (!sc->pacing || !sc->dl_pace || now < sc->dl_pace)
        return;
    sendq_stop_paced(&sc->q);
    sc->pacing = false;
    sc->dl_pace = 0;
    script_note(sc, WL_TIMER, "PACED WRITE STOPPED", now);
    script_run_steps(sc, now);
}

void script_tick(struct script *sc, double now)
{
    if (sc->tcp_closed || !sc->conn_ready)
        return;
    sc->now = now;
    tick_open(sc, now);
    if (sc->phase != SCRIPT_OPENING && !sc->tcp_closed) {
        tick_wait(sc, now);
        tick_pace(sc, now);
        tick_kill(sc, now);
        tick_close_after(sc, now);
        script_advance(sc, now);
        tick_close_hs(sc, now);
        tick_drop(sc, now);
    }
    script_advance(sc, now);
}

double script_deadline(const struct script *sc)
{
    double d = 0;
    double all[7] = {sc->phase == SCRIPT_OPENING ? sc->dl_open : 0,
                     sc->dl_wait,
                     sc->pacing ? sc->dl_pace : 0,
                     sc->dl_kill,
                     sc->dl_close_after,
                     sc->phase == SCRIPT_CLOSING ? sc->dl_close_hs : 0,
                     sc->phase == SCRIPT_CLOSED ? sc->dl_drop : 0};
    if (sc->phase == SCRIPT_DONE)
        return 0;
    for (size_t i = 0; i < 7; i++)
        if (all[i] > 0 && (!d || all[i] < d))
            d = all[i];
    return d;
}

bool script_done(const struct script *sc)
{
    return sc->phase == SCRIPT_DONE;
}

bool script_idle(const struct script *sc)
{
    return sendq_empty(&sc->q);
}

/* ------------------------------------------------------------ ending */

static void close_flags(struct script *sc)
{
    struct case_result *r = sc->r;
    struct ws_close_status st;
    ws_conn_close_status(&sc->conn, &st);
    r->closed_by_me = st.closed_by_me;
    r->failed_by_me = r->failed_by_me || st.failed;
    if (st.clean && !r->was_close_handshake_timeout && !r->was_server_connection_drop_timeout)
        r->was_clean = true;
    if (!st.clean && !r->was_not_clean_reason && !r->dropped_by_me)
        r->was_not_clean_reason =
            "peer dropped the TCP connection without previous WebSocket closing handshake";
    r->local_close_code = st.sent && st.sent_code ? st.sent_code : -1;
    r->remote_close_code = st.received && st.received_code ? st.received_code : -1;
    r->close_received = st.received;
    if (sc->autobahn_refused)
        r->autobahn_refused_code = st.received_code;
}

static void release(struct script *sc)
{
    if (sc->conn_ready)
        ws_conn_free(&sc->conn);
    sc->conn_ready = false;
    sendq_free(&sc->q);
    script_request_free(sc);
    script_rt_free(sc);
}

void script_finish(struct script *sc, double now)
{
    struct case_result *r = sc->r;
    r->duration_ms = (now - (r->handshake_done ? sc->t_open : sc->t0)) * 1000;
    if (sc->conn_ready)
        close_flags(sc);
    release(sc);
    result_wirelog_seal(r);
    judge_case(r);
}

void script_abandon(struct script *sc)
{
    release(sc);
    sc->r->connected = false;
}

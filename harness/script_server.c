/*
 * script_server.c - the script with wsspec as the server (script_config.role
 * SCRIPT_SERVER; Autobahn's fuzzingserver, for `wsspec serve`): which cases mean the
 * same with the roles swapped, the core's server role set up to wait for the client's
 * opening request, and that request and wsspec's answer recorded as the reports show a
 * handshake. A case that tests a client (`role server`, section 19) writes its own
 * response instead of the core's - built like the client role's own request
 * (script_request.c), queued on the send queue with its chops and pipelined steps, or
 * never - and one judged by `expect refusal` then only counts what the client sends
 * and waits for it to close TCP, until the case's kill-after. Everything after the 101
 * - steps, events, timers, the judge - is the client role's code, made role-aware where RFC 6455
 * makes the roles differ: masks (5.1), who closes TCP (5.5.1, catalogue 2.3), close rule 4
 * (judge.c).
 */
#include "script_int.h"
#include "ws_ext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ which cases serve */

static bool sets_a_mask(const struct case_def *def)
{
    for (size_t i = 0; i < def->n_steps; i++)
        if (def->steps[i].mask != MASK_DEFAULT)
            return true;
    return false;
}

static bool pipelines(const struct case_def *def)
{
    for (size_t i = 0; i < def->n_steps; i++)
        if (def->steps[i].pipelined)
            return true;
    return false;
}

bool script_case_serves(const struct case_def *def, const char **why)
{
    const char *no = NULL;
    if (def->role == CASE_ROLE_SERVER)
        no = NULL; /* written for this role */
    else if (def->role == CASE_ROLE_CLIENT)
        no = "the case is for wsspec as the client only (role client)";
    else if (def->request.own || pipelines(def))
        no = "the case writes its own opening request: only a client can";
    else if (def->n_checks || def->ends_at_response)
        no = "the case checks the server's response to the opening request";
    else if (def->has_policy)
        no = "the case probes a server's declared policy";
    else if (sets_a_mask(def))
        no = "the case sets a frame's mask: a server's masking rules (RFC 6455 5.1)";
    if (why)
        *why = no;
    return no == NULL;
}

bool script_case_runs_as_client(const struct case_def *def, const char **why)
{
    bool client = def->role != CASE_ROLE_SERVER;
    if (why)
        *why = client ? NULL : "the case tests a client (role server): wsspec serve runs it";
    return client;
}

/* ------------------------------------------------------------ the answer a case wants */

static bool param_is(const struct ws_ext_param *p, const char *name)
{
    return p->name.len == strlen(name) && !memcmp(p->name.ptr, name, p->name.len);
}

/* A window size 8..15 from a parameter's value; 0 when absent or not one. */
static uint8_t window_bits(const struct ws_ext_param *p)
{
    if (!p->value.ptr || p->value.len < 1 || p->value.len > 2)
        return 0;
    unsigned v = 0;
    for (size_t i = 0; i < p->value.len; i++) {
        if (p->value.ptr[i] < '0' || p->value.ptr[i] > '9')
            return 0;
        v = v * 10 + (unsigned)(p->value.ptr[i] - '0');
    }
    return v >= 8 && v <= 15 ? (uint8_t)v : 0;
}

bool script_server_pmd_prefs(const struct case_def *def, struct ws_pmd_server_prefs *prefs)
{
    memset(prefs, 0, sizeof *prefs);
    if (!def->deflate_offer)
        return true;
    struct ws_ext_offer offers[8];
    size_t n = 0, err_at = 0;
    if (ws_ext_parse(def->deflate_offer, strlen(def->deflate_offer), offers, 8, &n, &err_at) !=
        WS_E_OK)
        return false;
    for (size_t i = 0; i < n; i++) {
        const struct ws_ext_offer *o = &offers[i];
        if (o->name.len != 18 || memcmp(o->name.ptr, "permessage-deflate", 18) != 0)
            continue;
        for (size_t k = 0; k < o->n_params; k++) {
            const struct ws_ext_param *p = &o->params[k];
            if (param_is(p, "server_no_context_takeover"))
                prefs->server_no_context_takeover = true;
            else if (param_is(p, "client_no_context_takeover"))
                prefs->client_no_context_takeover = true;
            else if (param_is(p, "server_max_window_bits"))
                prefs->server_max_window_bits = window_bits(p);
            else if (param_is(p, "client_max_window_bits"))
                prefs->client_max_window_bits = window_bits(p);
        }
        return true;
    }
    return true;
}

/* ------------------------------------------------------------ setting up */

bool script_server_init(struct script *sc)
{
    struct case_result *r = sc->r;
    const char *why = NULL;
    if (!sc->cfg.probe && !script_case_serves(sc->def, &why)) {
        snprintf(r->connect_error, sizeof r->connect_error, "not run as the server: %s", why);
        return false;
    }
    r->is_server = true;
    r->connected = true; /* the client's connection was accepted: the script starts there */
    struct ws_conn_config wc;
    script_conn_config(sc, &wc);
    wc.role = WS_ROLE_SERVER;
    wc.protocols = sc->cfg.protocols;
    wc.n_protocols = sc->cfg.n_protocols;
    /* a case that writes its own response: the core answers nothing (ws_conn.h) */
    wc.tester.own_response = sc->def->role == CASE_ROLE_SERVER && !sc->cfg.probe;
    /* A case that needs permessage-deflate takes the client's offer as the run says;
     * every other case declines it, as wsspec offers it only for those in the client
     * role - so RSV1 stays a violation there (section 3) and the echoes stay plain. */
    if (sc->def->deflate_offer && !sc->cfg.probe)
        wc.pmd = sc->cfg.pmd;
    else
        wc.pmd.disabled = true;
    if (ws_conn_init(&sc->conn, &wc) != WS_E_OK) {
        snprintf(r->connect_error, sizeof r->connect_error, "out of memory");
        return false;
    }
    sc->conn_ready = true;
    return true;
}

/* ------------------------------------------------------------ the handshake's record */

/* What wsspec answered: the core's output so far, which is exactly the response (the
 * core queues it before it calls on_handshake, and nothing before it). */
static void record_response(struct script *sc)
{
    struct case_result *r = sc->r;
    const uint8_t *p;
    size_t n = ws_conn_pending(&sc->conn, &p);
    free(r->http_response);
    r->http_response = malloc(n + 1);
    r->http_response_len = 0;
    if (!r->http_response)
        return;
    memcpy(r->http_response, p, n);
    r->http_response[n] = '\0';
    r->http_response_len = n;
}

/* The case's own response (role server): built from the client's request, recorded as
 * sent, and queued as the case writes it - or never - with the pipelined steps. */
static void own_response(struct script *sc, const char *raw, size_t len)
{
    struct case_result *r = sc->r;
    if (!script_response_build(sc, raw, len)) {
        snprintf(r->connect_error, sizeof r->connect_error, "cannot build the response");
        return; /* nothing is written: judged as a response never sent */
    }
    free(r->http_response);
    r->http_response_len = 0;
    r->http_response = malloc((size_t)sc->req_pl.len + 1);
    if (r->http_response) {
        memcpy(r->http_response, sc->req, (size_t)sc->req_pl.len);
        r->http_response[sc->req_pl.len] = '\0';
        r->http_response_len = (size_t)sc->req_pl.len;
    }
    if (!sc->def->request.never)
        script_write_own(sc, sc->now);
}

void script_server_refusing(struct script *sc, double now)
{
    double after = sc->def->kill_after > 0 ? sc->def->kill_after : SCRIPT_DEFAULT_KILL_AFTER;
    sc->refusing = true;
    sc->steps_done = true;
    sc->r->refusal_closed_ms = -1;
    sc->dl_kill = now + script_scaled(sc, after);
}

size_t script_server_request_end(struct script *sc, const uint8_t *in, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (in[i] == '\n' && sc->eoh) {
            sc->eoh = 0;
            return i + 1; /* LF, then LF or CR LF: the empty line */
        }
        sc->eoh = in[i] == '\n' ? 1 : in[i] == '\r' && sc->eoh == 1 ? 2 : 0;
    }
    return len;
}

/* A read while refusing: the bytes after the client's request are counted and their
 * first ones kept (the core does not read them as frames: there is no connection). */
void script_server_refused_bytes(struct script *sc, const uint8_t *in, size_t len)
{
    struct case_result *r = sc->r;
    uint64_t end = sc->rx_before + len;
    if (end <= sc->req_block)
        return;
    size_t from = sc->rx_before >= sc->req_block ? 0 : (size_t)(sc->req_block - sc->rx_before);
    size_t n = len - from, room = sizeof r->refusal_head - r->refusal_head_len;
    memcpy(r->refusal_head + r->refusal_head_len, in + from, n < room ? n : room);
    r->refusal_head_len += n < room ? n : room;
    r->refusal_rx += n;
}

void script_server_handshake(struct script *sc, enum ws_error result, const char *raw, size_t len)
{
    struct case_result *r = sc->r;
    free(r->http_request);
    r->http_request = script_request_record((const uint8_t *)raw, len);
    script_offer_read(&sc->offer, (const uint8_t *)raw, len);
    result_set_offer(r, &sc->offer);
    sc->req_block = len;
    if (result == WS_E_OK && sc->conn.cfg.tester.own_response) {
        own_response(sc, raw, len);
        return;
    }
    record_response(sc);
    if (result != WS_E_OK)
        r->handshake_error = result;
}

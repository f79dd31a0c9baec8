/*
 * script_sim.c - the simulated target of the script's tests (see script_sim.h).
 */
#define _GNU_SOURCE /* memmem */
#include "script_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ the target's callbacks */

static void target_message(struct ws_conn *c, enum ws_opcode op, const uint8_t *d, size_t len,
                           void *u)
{
    struct sim *s = u;
    if (s->mode == SIM_SILENT)
        return;
    if (s->mode == SIM_HOLD_UNTIL_CLOSE && s->n_held < 4 && len <= sizeof s->held[0]) {
        memcpy(s->held[s->n_held], d, len);
        s->held_len[s->n_held++] = len;
        return;
    }
    if (s->mode == SIM_ECHO_UNMASKED) {
        struct ws_frame_spec spec = {.fin = true, .opcode = op, .masked = false};
        ws_conn_send_frame(c, &spec, d, len);
        return;
    }
    ws_conn_send(c, op, d, len);
}

/* The late echoer sends what it held when wsspec's Close arrives - before its reply
 * (the core queues the reply after this callback). */
static void target_close(struct ws_conn *c, uint16_t code, const uint8_t *r, size_t len, void *u)
{
    (void)code, (void)r, (void)len;
    struct sim *s = u;
    for (int i = 0; i < s->n_held; i++)
        ws_conn_send(c, WS_OP_TEXT, s->held[i], s->held_len[i]);
    s->n_held = 0;
}

static void target_handshake(struct ws_conn *c, enum ws_error res, const char *raw, size_t len,
                             void *u)
{
    (void)raw, (void)len;
    struct sim *s = u;
    if (res == WS_E_OK && s->mode == SIM_CLOSE_FIRST)
        ws_conn_close(c, 1000, NULL, 0);
    struct ws_frame_spec text = {.fin = true, .opcode = WS_OP_TEXT, .masked = true};
    if (res != WS_E_OK && s->mode == SIM_TAKES_ANY_101)
        ws_conn_send_frame(c, &text, (const uint8_t *)"Hello", 5); /* no state check */
    if (res != WS_E_OK && s->mode == SIM_ASKS_AGAIN) {
        static const char again[] = "GET /again HTTP/1.1\r\nHost: 127.0.0.1:9001\r\n\r\n";
        ws_conn_send_raw(c, (const uint8_t *)again, sizeof again - 1);
    }
}

/* SIM_DEAF_*: the one answer of a client that reads no frame once it is open. */
static void deaf_answer(struct sim *s)
{
    if (s->deaf_answered)
        return;
    s->deaf_answered = true;
    if (s->mode == SIM_DEAF_ECHO)
        ws_conn_send(&s->target, WS_OP_TEXT, (const uint8_t *)"Hello", 5);
    else if (s->mode == SIM_DEAF_CLOSE)
        ws_conn_close(&s->target, 1000, NULL, 0);
    else
        s->dropped = true;
}

/* ------------------------------------------------------------ setting up */

static void target_init(struct sim *s, const struct sim_opts *o)
{
    struct ws_conn_config tc = {.cb = {.on_message = target_message,
                                       .on_close = target_close,
                                       .on_handshake = target_handshake},
                                .user = s};
    if (o->role == SCRIPT_CLIENT) {
        tc.role = WS_ROLE_SERVER;
        tc.pmd = o->pmd;
        assert_int_equal(ws_conn_init(&s->target, &tc), WS_E_OK);
        return;
    }
    /* a library client, driven as Autobahn's URL protocol drives it */
    s->rng.s = 7;
    tc.role = WS_ROLE_CLIENT;
    tc.request = (struct ws_request_params){
        .host = "127.0.0.1:9001", .target = "/runCase?case=1&agent=sim", .extensions = o->offer};
    tc.random = th_rng_bytes;
    tc.random_ud = &s->rng;
    if (o->raw_request)
        tc.tester.own_request = &s->target_offer; /* no key: it checks nothing we need */
    assert_int_equal(ws_conn_init(&s->target, &tc), WS_E_OK);
    if (o->raw_request)
        assert_int_equal(
            ws_conn_send_raw(&s->target, (const uint8_t *)o->raw_request, strlen(o->raw_request)),
            WS_E_OK);
    if (s->mode == SIM_EAGER) {
        struct ws_frame_spec text = {.fin = true, .opcode = WS_OP_TEXT, .masked = true};
        ws_conn_send_frame(&s->target, &text, (const uint8_t *)"early", 5);
    }
}

/* The target and the script for the case def (in s->cat). */
static void sim_start(struct sim *s, const struct case_def *def, const struct sim_opts *o)
{
    target_init(s, o);
    struct script_config cfg = {.def = def,
                                .r = &s->r,
                                .role = o->role,
                                .run_seed = 42,
                                .timeout_scale = 1,
                                .data = o->data,
                                .zcache = o->zc};
    if (o->role == SCRIPT_CLIENT)
        cfg.request = (struct ws_request_params){.host = "127.0.0.1:9001", .target = "/"};
    else
        cfg.pmd = o->pmd;
    assert_true(script_init(&s->sc, &cfg, s->now));
}

static void sim_reset(struct sim *s, enum sim_mode mode, const struct sim_opts *o)
{
    memset(s, 0, sizeof *s);
    s->mode = mode;
    s->keep_tcp = o->keep_tcp;
    s->now = 100.0;
}

void sim_init_with(struct sim *s, const char *case_text, enum sim_mode mode,
                   const struct sim_opts *o)
{
    static const struct sim_opts none;
    if (!o)
        o = &none;
    sim_reset(s, mode, o);
    assert_int_equal(
        case_parse_buffer(&s->cat, "test.wsc", case_text, strlen(case_text), NULL, NULL), 0);
    assert_int_equal(s->cat.n_cases, 1);
    sim_start(s, &s->cat.cases[0], o);
}

void sim_init_file(struct sim *s, const char *file, const char *id, enum sim_mode mode,
                   const struct sim_opts *o)
{
    static const struct sim_opts none;
    if (!o)
        o = &none;
    sim_reset(s, mode, o);
    const char *dir = getenv("WSSPEC_CASES") ? getenv("WSSPEC_CASES") : "cases";
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    const char *paths[] = {path};
    assert_int_equal(case_parse_files(&s->cat, paths, 1, NULL, NULL), 0);
    const struct case_def *def = NULL;
    for (size_t i = 0; i < s->cat.n_cases && !def; i++)
        if (strcmp(s->cat.cases[i].id, id) == 0)
            def = &s->cat.cases[i];
    if (!def)
        fail_msg("no case %s in %s", id, path);
    sim_start(s, def, o);
}

void sim_init(struct sim *s, const char *case_text, enum sim_mode mode)
{
    sim_init_with(s, case_text, mode, NULL);
}

/* ------------------------------------------------------------ moving bytes */

double sim_to_target(struct sim *s)
{
    static uint8_t buf[65536], copy[65536];
    double wake = 0;
    size_t n;
    while ((n = script_output(&s->sc, s->now, buf, sizeof buf, &wake)) > 0) {
        memcpy(copy, buf, n);
        script_wrote(&s->sc, buf, n, s->now);
        s->moved += n;
        bool deaf =
            s->mode == SIM_DEAF_ECHO || s->mode == SIM_DEAF_CLOSE || s->mode == SIM_DEAF_DROP;
        size_t take = n;
        if (deaf && ws_conn_state(&s->target) == WS_CONNECTING) {
            /* the response is read (these tests write it whole); what follows is not */
            const uint8_t *end = memmem(copy, n, "\r\n\r\n", 4);
            take = end ? (size_t)(end - copy) + 4 : n;
        }
        if (deaf && ws_conn_state(&s->target) == WS_OPEN)
            deaf_answer(s);
        else if (ws_conn_state(&s->target) != WS_CLOSED)
            ws_conn_recv(&s->target, copy, take);
        if (deaf && take < n && ws_conn_state(&s->target) == WS_OPEN)
            deaf_answer(s);
    }
    return wake;
}

void sim_to_script(struct sim *s)
{
    static uint8_t copy[65536];
    const uint8_t *p;
    size_t n;
    while (!script_done(&s->sc) && (n = ws_conn_pending(&s->target, &p)) > 0) {
        size_t k = n < sizeof copy ? n : sizeof copy;
        memcpy(copy, p, k);
        ws_conn_sent(&s->target, k);
        s->moved += k;
        script_recv(&s->sc, copy, k, s->now);
    }
    if ((s->dropped || ws_conn_state(&s->target) == WS_CLOSED) && !script_done(&s->sc) &&
        !s->keep_tcp)
        script_tcp_closed(&s->sc, NULL, s->now);
}

void sim_run(struct sim *s)
{
    for (int i = 0; i < 1000000 && !script_done(&s->sc); i++) {
        uint64_t moved = s->moved;
        double wake = sim_to_target(s);
        if (ws_conn_state(&s->target) == WS_OPEN && !s->target_open) {
            s->target_open = true;
            s->now += s->latency; /* the answer is this late */
        }
        if (s->mode == SIM_PING_FLOOD && s->target_open && ws_conn_state(&s->target) == WS_OPEN)
            for (int k = 0; k < 100; k++)
                ws_conn_send(&s->target, WS_OP_PING, (const uint8_t *)"flood", 5);
        sim_to_script(s);
        script_tick(&s->sc, s->now);
        wake = sim_to_target(s); /* what the read and the timers queued */
        sim_to_script(s);
        if (s->moved != moved)
            continue; /* time moves on when the bytes stopped (a roundtrip's next
                         message goes out as the echo comes in) */
        double d = script_deadline(&s->sc);
        double next = wake && (!d || wake < d) ? wake : d;
        if (next > s->now)
            s->now = next;
        assert_true(s->now < 200.0);
    }
    assert_true(script_done(&s->sc));
    script_finish(&s->sc, s->now);
}

void sim_free(struct sim *s)
{
    ws_conn_free(&s->target);
    result_free(&s->r);
    case_catalogue_free(&s->cat);
}

/* ------------------------------------------------------------ the record */

size_t sim_wire_rows(const struct case_result *r, enum wirelog_type t, size_t *bytes)
{
    size_t n = 0;
    if (bytes)
        *bytes = 0;
    for (size_t i = 0; i < r->n_wirelog; i++)
        if (r->wirelog[i].type == t) {
            n++;
            if (bytes)
                *bytes += (size_t)r->wirelog[i].len;
        }
    return n;
}

double sim_row_ms(const struct case_result *r, enum wirelog_type t, const char *text)
{
    for (size_t i = 0; i < r->n_wirelog; i++)
        if (r->wirelog[i].type == t && strcmp(r->wirelog[i].text, text) == 0)
            return r->wirelog[i].at_ms;
    return -1;
}

const char sim_echo_case[] = "case 1.1.2\n"
                             "  title t\n"
                             "  expectation e\n"
                             "  rfc 5.6 MUST \"x\"\n"
                             "  kill-after 1\n"
                             "  send frame text chop=1 \"Hello\"\n"
                             "  send frame text \"World\"\n"
                             "  expect OK message text \"Hello\", message text \"World\"\n"
                             "  close-rule tester 1000 clean\n"
                             "end\n";

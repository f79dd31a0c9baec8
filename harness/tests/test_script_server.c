/*
 * test_script_server.c - one case's script with wsspec as the server (script_config.role
 * SCRIPT_SERVER, for `wsspec serve`), without a socket: the target is the core's client
 * role (ws_conn) acting as a library client driven by Autobahn's URL protocol - it
 * writes the opening request, echoes every message, answers Pings and Close frames -
 * or misbehaving as each test says (script_sim.h). Checked: an echo passes with the
 * client's frames masked and wsspec's not; a client that echoes late, or never, or
 * unmasked, fails; the closing handshake as Autobahn's server ends it (TCP dropped by
 * wsspec at once, never FAILED BY CLIENT) and bounded whatever the client does;
 * permessage-deflate taken from the client's offer (and UNIMPLEMENTED without one), the
 * compression cache shared by both roles; a refused or unfinished request; which cases
 * serve.
 */
#include "script_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct sim_opts serve = {.role = SCRIPT_SERVER};

/* Frames of the wire log of type t (WL_RX_FRAME / WL_TX_FRAME) with the MASK bit. */
static size_t masked_frames(const struct case_result *r, enum wirelog_type t, size_t *all)
{
    size_t n = 0;
    *all = 0;
    for (size_t i = 0; i < r->n_wirelog; i++)
        if (r->wirelog[i].type == t) {
            (*all)++;
            n += r->wirelog[i].masked;
        }
    return n;
}

/* The time of the last wire-log row of type t. */
static double last_row_ms(const struct case_result *r, enum wirelog_type t)
{
    double ms = -1;
    for (size_t i = 0; i < r->n_wirelog; i++)
        if (r->wirelog[i].type == t)
            ms = r->wirelog[i].at_ms;
    return ms;
}

/* ------------------------------------------------------------ echoes */

/* A conformant client: OK/OK; every frame it sent was masked, none of wsspec's; the
 * handshake recorded the client's request and wsspec's 101; wsspec closed, the client
 * replied, and wsspec dropped TCP the moment the reply came - as Autobahn's server,
 * which is no failure of the client. */
static void test_echo_passes(void **state)
{
    (void)state;
    static struct sim s;
    sim_init_with(&s, sim_echo_case, SIM_ECHO, &serve);
    sim_run(&s);
    assert_true(s.r.is_server && s.r.connected && s.r.handshake_done);
    assert_int_equal(s.r.behavior, B_OK);
    assert_int_equal(s.r.behavior_close, BC_OK);
    assert_int_equal(s.r.rfc.behavior, B_OK);
    assert_int_equal(s.r.rfc.behavior_close, BC_OK);
    assert_int_equal(s.r.n_events, 2);
    assert_true(s.r.closed_by_me && s.r.was_clean && !s.r.failed_by_me && s.r.dropped_by_me);
    assert_int_equal(s.r.local_close_code, 1000);
    assert_int_equal(s.r.remote_close_code, 1000);
    size_t all, masked = masked_frames(&s.r, WL_RX_FRAME, &all);
    assert_int_equal(all, 3); /* two echoes and the Close reply */
    assert_int_equal(masked, 3);
    masked = masked_frames(&s.r, WL_TX_FRAME, &all);
    assert_int_equal(all, 3); /* two frames and the Close */
    assert_int_equal(masked, 0);
    assert_true(strncmp(s.r.http_request, "GET /runCase?case=1&agent=sim HTTP/1.1\r\n", 40) == 0);
    assert_true(strncmp(s.r.http_response, "HTTP/1.1 101 Switching Protocols\r\n", 34) == 0);
    assert_int_equal(s.r.http_response_len, strlen(s.r.http_response));
    assert_true(s.r.offer_has_key);
    /* the drop: at the time the Close reply arrived, not a timeout later */
    assert_true(sim_row_ms(&s.r, WL_NOTE, "TCP DROPPED BY ME") == last_row_ms(&s.r, WL_RX_OCTETS));
    assert_false(s.r.was_server_connection_drop_timeout);
    /* no round trip to measure: the longest pass */
    assert_true(s.r.pace_s == SCRIPT_PACE_MAX);
    assert_true(s.r.handshake_rtt == 0);
    sim_free(&s);
}

/* Autobahn's kill semantics hold in this role too: echoes held until wsspec's Close
 * come after the kill timer and do not count; echoes that never come fail. */
static void test_late_or_no_echo_fails(void **state)
{
    (void)state;
    static struct sim s;
    sim_init_with(&s, sim_echo_case, SIM_HOLD_UNTIL_CLOSE, &serve);
    sim_run(&s);
    assert_int_equal(s.r.behavior, B_FAILED);
    assert_int_equal(s.r.n_events, 0);
    assert_int_equal(s.r.late_messages, 2);
    assert_true(s.r.failed_by_me);
    assert_int_equal(s.r.local_close_code, 1001);
    sim_free(&s);

    sim_init_with(&s, sim_echo_case, SIM_SILENT, &serve);
    sim_run(&s);
    assert_int_equal(s.r.behavior, B_FAILED);
    assert_int_equal(s.r.n_events, 0);
    assert_int_equal(s.r.late_messages, 0);
    assert_int_equal(s.r.local_close_code, 1001);
    assert_non_null(strstr(s.r.broken, ", got []"));
    sim_free(&s);
}

/* RFC 6455 5.1: "The server MUST close the connection upon receiving a frame that is
 * not masked." A client echoing unmasked: wsspec fails the connection with 1002 and
 * both verdicts fail, naming the rule and the client. */
static void test_unmasked_client_fails(void **state)
{
    (void)state;
    static struct sim s;
    sim_init_with(&s, sim_echo_case, SIM_ECHO_UNMASKED, &serve);
    sim_run(&s);
    assert_int_equal(s.r.target_error, WS_E_MASK_MISSING);
    assert_int_equal(s.r.behavior, B_FAILED);
    assert_int_equal(s.r.rfc.behavior, B_FAILED);
    assert_true(s.r.failed_by_me);
    assert_int_equal(s.r.local_close_code, 1002);
    assert_non_null(strstr(s.r.rfc.broken, "client broke a rule"));
    /* the echo came unmasked (the client's Close, from its core, is masked) */
    size_t all, masked = masked_frames(&s.r, WL_RX_FRAME, &all);
    assert_true(all >= 1 && masked < all);
    const struct wirelog_row *first = NULL;
    for (size_t i = 0; i < s.r.n_wirelog && !first; i++)
        if (s.r.wirelog[i].type == WL_RX_FRAME)
            first = &s.r.wirelog[i];
    assert_false(first->masked);
    assert_int_equal(first->opcode, WS_OP_TEXT);
    sim_free(&s);
}

/* ------------------------------------------------------------ closing */

static const char target_closes[] = "case 7.9.1\n  title t\n  expectation e\n"
                                    "  rfc 5.5.1 MUST \"x\"\n  kill-after 1\n"
                                    "  send frame text \"Hello\"\n  expect OK\n"
                                    "  close-rule target 1000 clean\nend\n";

/* The client sends Close first: wsspec replies 1000 and drops TCP at once (catalogue
 * 2.3) - also when the client would never close TCP itself. */
static void test_client_closes_first(void **state)
{
    (void)state;
    static struct sim s;
    for (int keep = 0; keep < 2; keep++) {
        struct sim_opts o = {.role = SCRIPT_SERVER, .keep_tcp = keep};
        sim_init_with(&s, target_closes, SIM_CLOSE_FIRST, &o);
        sim_run(&s);
        assert_int_equal(s.r.behavior, B_OK);
        assert_int_equal(s.r.behavior_close, BC_OK);
        assert_false(s.r.closed_by_me);
        assert_true(s.r.was_clean && s.r.dropped_by_me);
        assert_int_equal(s.r.remote_close_code, 1000);
        assert_int_equal(s.r.local_close_code, 1000);
        assert_true(s.r.duration_ms == 0); /* no timer was waited for */
        assert_true(sim_row_ms(&s.r, WL_NOTE, "TCP DROPPED BY PEER") < 0);
        sim_free(&s);
    }
}

/* A client that reads nothing after the 101: the kill timer's Close gets no reply, the
 * closing-handshake timeout drops TCP. A client whose Close wsspec cannot answer (it
 * reads nothing): the drop waits for the reply's write at most a second. Neither hangs. */
static void test_deaf_client_bounded(void **state)
{
    (void)state;
    static struct sim s;
    sim_init_with(&s, sim_echo_case, SIM_ECHO, &serve);
    sim_to_script(&s); /* the request */
    sim_to_target(&s); /* the 101 and the frames */
    assert_true(s.r.handshake_done);
    for (int i = 0; i < 10 && !script_done(&s.sc); i++) {
        s.now = script_deadline(&s.sc);
        script_tick(&s.sc, s.now); /* nothing is written any more */
    }
    assert_true(script_done(&s.sc));
    assert_true(s.now == 100.0 + 1.0 + 1.0); /* kill-after, then the closing handshake */
    script_finish(&s.sc, s.now);
    assert_true(s.r.was_close_handshake_timeout && s.r.dropped_by_me && !s.r.was_clean);
    assert_int_equal(s.r.behavior, B_FAILED);
    assert_int_equal(s.r.behavior_close, BC_UNCLEAN);
    sim_free(&s);

    sim_init_with(&s, target_closes, SIM_CLOSE_FIRST, &serve);
    sim_to_script(&s);
    sim_to_target(&s); /* the client opens and queues its Close */
    s.now += 0.25;
    sim_to_script(&s); /* the Close: wsspec's reply is queued, never taken */
    assert_int_equal(s.sc.phase, SCRIPT_CLOSED);
    assert_false(script_done(&s.sc));
    for (int i = 0; i < 10 && !script_done(&s.sc); i++) {
        s.now = script_deadline(&s.sc); /* the kill timer (no effect now), the drop */
        script_tick(&s.sc, s.now);
    }
    assert_true(script_done(&s.sc));
    assert_true(s.now == 100.25 + 1.0);
    script_finish(&s.sc, s.now);
    assert_true(s.r.dropped_by_me && s.r.was_clean);
    assert_int_equal(s.r.behavior_close, BC_OK);
    sim_free(&s);
}

/* ------------------------------------------------------------ the opening handshake */

/* A request that is not an opening handshake: wsspec refuses it (the core's 400),
 * writes the refusal whole and drops TCP; the case's handshake never completed. */
static void test_bad_request_refused(void **state)
{
    (void)state;
    static struct sim s;
    struct sim_opts o = {.role = SCRIPT_SERVER,
                         .raw_request = "GET /runCase?case=1 HTTP/1.1\r\nHost: x\r\n\r\n"};
    sim_init_with(&s, sim_echo_case, SIM_ECHO, &o);
    sim_run(&s);
    assert_false(s.r.handshake_done);
    assert_int_not_equal(s.r.handshake_error, WS_E_OK);
    assert_true(strncmp(s.r.http_response, "HTTP/1.1 400 ", 13) == 0);
    assert_int_equal(s.r.tx_octets, s.r.http_response_len); /* the refusal went out whole */
    assert_string_equal(s.r.http_request, o.raw_request);
    assert_true(s.r.dropped_by_me);
    assert_int_equal(s.r.behavior, B_FAILED);
    assert_int_equal(s.r.behavior_close, BC_FAILED);
    assert_string_equal(s.r.result_close, "The WebSocket opening handshake was never completed!");
    assert_non_null(strstr(s.r.broken, "opening handshake failed"));
    assert_true(s.now == 100.0);
    sim_free(&s);
}

/* A request that never ends: the open-handshake timer (5 s) drops it. */
static void test_unfinished_request_times_out(void **state)
{
    (void)state;
    static struct sim s;
    struct sim_opts o = {.role = SCRIPT_SERVER,
                         .raw_request = "GET /runCase?case=1 HTTP/1.1\r\nHost: x\r\n"};
    sim_init_with(&s, sim_echo_case, SIM_ECHO, &o);
    sim_run(&s);
    assert_false(s.r.handshake_done);
    assert_true(s.r.was_open_handshake_timeout && s.r.dropped_by_me);
    assert_null(s.r.http_response);
    assert_int_equal(s.r.tx_octets, 0);
    assert_true(s.now == 100.0 + SCRIPT_OPEN_HANDSHAKE_TIMEOUT);
    assert_int_equal(s.r.behavior, B_FAILED);
    assert_string_equal(s.r.broken, "client did not finish the opening handshake in time");
    sim_free(&s);
}

/* ------------------------------------------------------------ permessage-deflate */

#define ZC_CASE                                                                                    \
    "case 12.1.3\n  title t\n  expectation e\n  rfc 5.6 MUST \"x\"\n"                              \
    "  deflate-offer \"permessage-deflate; client_no_context_takeover; "                           \
    "client_max_window_bits\"\n  close-after 60\n"                                                 \
    "  roundtrip text data=json slice=256 count=50\n  expect echo count=50\n"                      \
    "  close-rule tester 1000 clean\nend\n"
#define CLIENT_OFFER "permessage-deflate; client_max_window_bits"

static enum behavior zc_run(const struct sim_opts *o, bool *accepted)
{
    static struct sim s;
    sim_init_with(&s, ZC_CASE, SIM_ECHO, o);
    if (o->zc)
        zcache_hold(o->zc, &s.cat.cases[0]);
    sim_run(&s);
    *accepted = strstr(s.r.http_response, "permessage-deflate") != NULL;
    enum behavior b = s.r.behavior;
    if (b != B_UNIMPLEMENTED)
        assert_int_equal(s.r.rx_frames[WS_OP_TEXT], 50);
    if (o->zc)
        zcache_release(o->zc, &s.cat.cases[0]);
    sim_free(&s);
    return b;
}

/* A client that offers permessage-deflate: wsspec accepts, the 50 messages go out
 * compressed by wsspec's side of the agreement and come back compressed by the
 * client's, every echo equal. A client that offers nothing: UNIMPLEMENTED, and wsspec
 * closes with 1000 at once. */
static void test_deflate_offer(void **state)
{
    (void)state;
    struct datastore ds = {0};
    bool accepted;
    struct sim_opts o = {.role = SCRIPT_SERVER, .data = &ds, .offer = CLIENT_OFFER};
    assert_int_equal(zc_run(&o, &accepted), B_OK);
    assert_true(accepted);

    o.offer = NULL;
    static struct sim s;
    sim_init_with(&s, ZC_CASE, SIM_ECHO, &o);
    sim_run(&s);
    assert_int_equal(s.r.behavior, B_UNIMPLEMENTED);
    assert_int_equal(s.r.behavior_close, BC_OK);
    assert_true(s.r.pmd_unimplemented && s.r.closed_by_me && s.r.dropped_by_me);
    assert_non_null(strstr(s.r.result, "The client did not offer permessage-deflate"));
    assert_int_equal(s.r.tx_frames[WS_OP_TEXT], 0);
    sim_free(&s);

    /* wsspec's preferences decline the offer: the same */
    o.offer = CLIENT_OFFER;
    o.pmd.disabled = true;
    assert_int_equal(zc_run(&o, &accepted), B_UNIMPLEMENTED);
    assert_false(accepted);
    datastore_free(&ds);
}

/* A case without deflate-offer declines a client's offer (as wsspec offers nothing in
 * the client role): the echo is plain. */
static void test_other_cases_decline(void **state)
{
    (void)state;
    static struct sim s;
    struct sim_opts o = {.role = SCRIPT_SERVER, .offer = CLIENT_OFFER};
    sim_init_with(&s, sim_echo_case, SIM_ECHO, &o);
    sim_run(&s);
    assert_int_equal(s.r.behavior, B_OK);
    assert_null(strstr(s.r.http_response, "permessage-deflate"));
    assert_non_null(strstr(s.r.http_request, "permessage-deflate"));
    assert_string_equal(s.r.offer_extensions, "permessage-deflate");
    sim_free(&s);
}

/* The compression cache is the same whatever the role: what wsspec compressed as the
 * client (no context takeover, 15-bit window) is what it sends as the server with the
 * same compressor - stored by a client-role run, taken by a server-role one, and the
 * echoes prove the bytes right. With context takeover on wsspec's side (the server
 * keeps its context unless it says server_no_context_takeover) nothing is cached. */
static void test_zcache_both_roles(void **state)
{
    (void)state;
    struct datastore ds = {0};
    struct zcache zc;
    zcache_init(&zc, ZCACHE_DEFAULT_BUDGET);
    bool accepted;
    static struct sim keep; /* another case of the group, holding it across the runs */
    sim_init_with(&keep, ZC_CASE, SIM_ECHO, NULL);
    assert_true(zcache_hold(&zc, &keep.cat.cases[0]));

    struct sim_opts o = {.role = SCRIPT_SERVER, .data = &ds, .zc = &zc, .offer = CLIENT_OFFER};
    assert_int_equal(zc_run(&o, &accepted), B_OK);
    assert_int_equal(zc.hits + zc.misses, 0);

    struct sim_opts client = {.role = SCRIPT_CLIENT, .data = &ds, .zc = &zc};
    assert_int_equal(zc_run(&client, &accepted), B_OK);
    assert_int_equal(zc.misses, 50);
    assert_int_equal(zc.hits, 0);

    o.pmd.server_no_context_takeover = true;
    assert_int_equal(zc_run(&o, &accepted), B_OK);
    assert_int_equal(zc.hits, 50);
    assert_int_equal(zc.misses, 50);
    assert_int_equal(zc.groups[0].n_form, 1);

    zcache_release(&zc, &keep.cat.cases[0]);
    sim_free(&keep);
    zcache_free(&zc);
    datastore_free(&ds);
}

/* ------------------------------------------------------------ which cases serve */

#define SERVE_CASE(body)                                                                           \
    "case 1.1.1\n  title t\n  expectation e\n  rfc 4.2.1 MUST \"x\"\n" body "end\n"

static bool serves(const char *text, const char **why)
{
    struct case_catalogue cat = {0};
    assert_int_equal(case_parse_buffer(&cat, "t.wsc", text, strlen(text), NULL, NULL), 0);
    bool ok = script_case_serves(&cat.cases[0], why);
    case_catalogue_free(&cat);
    return ok;
}

static void test_case_serves(void **state)
{
    (void)state;
    const char *why = "unset";
    assert_true(serves(sim_echo_case, &why));
    assert_null(why);
    assert_true(serves(ZC_CASE, NULL));
    assert_false(serves(SERVE_CASE("  header-set X-A 1\n  response 4.2.1 MUST status 101\n"
                                   "  kill-after 1\n  expect OK\n  close-rule tester 1000\n"),
                        &why));
    assert_non_null(strstr(why, "its own opening request"));
    assert_false(serves(SERVE_CASE("  response 4.2.1 MUST status 101\n  kill-after 1\n"
                                   "  expect OK\n  close-rule tester 1000\n"),
                        &why));
    assert_non_null(strstr(why, "response"));
    assert_false(serves(SERVE_CASE("  kill-after 1\n  send frame text mask=none \"x\"\n"
                                   "  expect OK\n  close-rule target 1002\n"),
                        &why));
    assert_non_null(strstr(why, "mask"));
    assert_false(serves(SERVE_CASE("  kill-after 1\n  send frame text mask=random \"x\"\n"
                                   "  expect OK\n  close-rule target 1002\n"),
                        NULL));

    /* script_init refuses such a case in the server role, and says why */
    static struct case_result r;
    static struct script sc;
    struct case_catalogue cat = {0};
    const char *text = SERVE_CASE("  kill-after 1\n  send frame text mask=none \"x\"\n"
                                  "  expect OK\n  close-rule target 1002\n");
    assert_int_equal(case_parse_buffer(&cat, "t.wsc", text, strlen(text), NULL, NULL), 0);
    struct script_config cfg = {
        .def = &cat.cases[0], .r = &r, .role = SCRIPT_SERVER, .timeout_scale = 1};
    assert_false(script_init(&sc, &cfg, 1.0));
    assert_non_null(strstr(r.connect_error, "not run as the server"));
    result_free(&r);
    case_catalogue_free(&cat);
}

/* The catalogue: sections that mean the same with the roles swapped serve whole (1-13,
 * and 15.4's lengths); section 14 (the request), 15.1 and 15.2 (a server's masking
 * rules) and the hardening probes with a policy do not. */
static void test_catalogue_serves(void **state)
{
    (void)state;
    struct case_catalogue cat = {0};
    const char *dir = getenv("WSSPEC_CASES") ? getenv("WSSPEC_CASES") : "cases";
    assert_int_equal(case_parse_dir(&cat, dir, NULL, NULL), 0);
    size_t served = 0;
    for (size_t i = 0; i < cat.n_cases; i++) {
        const struct case_def *d = &cat.cases[i];
        int section = (int)strtol(d->id, NULL, 10);
        const char *why = NULL;
        bool yes = script_case_serves(d, &why);
        served += yes;
        if (section <= 13 && !yes)
            fail_msg("%s does not serve: %s", d->id, why);
        bool masking = strncmp(d->id, "15.1.", 5) == 0 || strncmp(d->id, "15.2.", 5) == 0;
        if ((section == 14 || masking || d->has_policy) && yes)
            fail_msg("%s serves", d->id);
        if (strncmp(d->id, "15.4.", 5) == 0 && !yes) /* lengths: the same for a client */
            fail_msg("%s does not serve: %s", d->id, why);
    }
    assert_true(served > 0 && served < cat.n_cases);
    case_catalogue_free(&cat);
}

/* The answer a case's deflate-offer asks of wsspec as the server: each parameter of
 * its first permessage-deflate element, windows only when 8-15; none for a case
 * without deflate-offer; a malformed offer is refused. */
static void test_pmd_prefs(void **state)
{
    (void)state;
    struct case_def d = {0};
    struct ws_pmd_server_prefs p;
    assert_true(script_server_pmd_prefs(&d, &p));
    assert_false(p.disabled || p.server_no_context_takeover || p.client_no_context_takeover);
    assert_int_equal(p.server_max_window_bits, 0);

    char offer1[] = "permessage-deflate; client_no_context_takeover; client_max_window_bits; "
                    "server_no_context_takeover; server_max_window_bits=9, permessage-deflate";
    d.deflate_offer = offer1;
    assert_true(script_server_pmd_prefs(&d, &p));
    assert_true(p.server_no_context_takeover && p.client_no_context_takeover);
    assert_int_equal(p.server_max_window_bits, 9);
    assert_int_equal(p.client_max_window_bits, 0); /* no value: the client chooses */

    char offer2[] = "x-other; server_no_context_takeover, permessage-deflate; "
                    "client_max_window_bits=8; server_max_window_bits=16";
    d.deflate_offer = offer2;
    assert_true(script_server_pmd_prefs(&d, &p));
    assert_false(p.server_no_context_takeover); /* another extension's parameter */
    assert_int_equal(p.client_max_window_bits, 8);
    assert_int_equal(p.server_max_window_bits, 0); /* 16 is no window */

    char offer3[] = "permessage-deflate; =";
    d.deflate_offer = offer3;
    assert_false(script_server_pmd_prefs(&d, &p));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_passes),
        cmocka_unit_test(test_late_or_no_echo_fails),
        cmocka_unit_test(test_unmasked_client_fails),
        cmocka_unit_test(test_client_closes_first),
        cmocka_unit_test(test_deaf_client_bounded),
        cmocka_unit_test(test_bad_request_refused),
        cmocka_unit_test(test_unfinished_request_times_out),
        cmocka_unit_test(test_deflate_offer),
        cmocka_unit_test(test_other_cases_decline),
        cmocka_unit_test(test_zcache_both_roles),
        cmocka_unit_test(test_case_serves),
        cmocka_unit_test(test_catalogue_serves),
        cmocka_unit_test(test_pmd_prefs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

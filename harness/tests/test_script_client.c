/*
 * test_script_client.c - section 19 (cases/19-client.wsc), the cases that test a client:
 * wsspec as the server writes its own response, and each case's judging is checked
 * against a simulated client (script_sim.h: the core's client role, or a broken one) -
 * a conformant client gets OK, a broken one the exact FAILED verdict. The cases are
 * read from the catalogue itself, not copied. Also: the invalid close codes of 7.9,
 * which serve as they stand; which role runs which case; the format's rules for the
 * server's own response.
 */
#include "script_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char FILE19[] = "19-client.wsc";

static void run19(struct sim *s, const char *id, enum sim_mode mode, const struct sim_opts *o)
{
    struct sim_opts serve = {.role = SCRIPT_SERVER};
    sim_init_file(s, FILE19, id, mode, o ? o : &serve);
    sim_run(s);
}

static void assert_verdicts(const struct case_result *r, enum behavior b, enum behavior_close bc)
{
    if (r->behavior != b || r->rfc.behavior != b || r->behavior_close != bc ||
        r->rfc.behavior_close != bc)
        fail_msg("%s: got %s/%s (RFC %s/%s), want %s/%s: %s | %s", r->def->id,
                 behavior_name(r->behavior), behavior_close_name(r->behavior_close),
                 behavior_name(r->rfc.behavior), behavior_close_name(r->rfc.behavior_close),
                 behavior_name(b), behavior_close_name(bc), r->result, r->broken);
}

/* ------------------------------------------------------------ 19.1, 19.5: 101s to refuse */

static const char *const must_fail[] = {"19.1.1", "19.1.2", "19.1.3", "19.1.4", "19.1.5",
                                        "19.1.6", "19.1.7", "19.1.8", "19.1.9", "19.5.1",
                                        "19.5.2", "19.5.3", "19.5.4", "19.5.5"};
/* the rule the core's client refused each for: the case tests what it says */
static const enum ws_error refused_for[] = {
    WS_E_RESPONSE_ACCEPT,     WS_E_RESPONSE_ACCEPT,    WS_E_RESPONSE_ACCEPT,
    WS_E_RESPONSE_UPGRADE,    WS_E_RESPONSE_UPGRADE,   WS_E_RESPONSE_CONNECTION,
    WS_E_RESPONSE_CONNECTION, WS_E_RESPONSE_PROTOCOL,  WS_E_RESPONSE_EXTENSION,
    WS_E_RESPONSE_EXTENSION,  WS_E_RESPONSE_EXTENSION, WS_E_RESPONSE_EXTENSION,
    WS_E_RESPONSE_EXTENSION,  WS_E_RESPONSE_EXTENSION};

/* A conformant client fails the connection: it closes TCP, sends nothing: OK/OK. */
static void test_bad_101_conformant(void **state)
{
    (void)state;
    static struct sim s;
    for (size_t i = 0; i < sizeof must_fail / sizeof must_fail[0]; i++) {
        run19(&s, must_fail[i], SIM_ECHO, NULL);
        assert_verdicts(&s.r, B_OK, BC_OK);
        if (ws_conn_error(&s.target, NULL) != refused_for[i])
            fail_msg("%s: the client refused it for %s", must_fail[i],
                     ws_error_name(ws_conn_error(&s.target, NULL)));
        assert_true(s.r.refusal_rx == 0 && s.r.refusal_closed_ms >= 0 && !s.r.dropped_by_me);
        assert_non_null(strstr(s.r.result, "closed the connection"));
        assert_int_equal(sim_wire_rows(&s.r, WL_TX_FRAME, NULL), 0); /* only the response */
        sim_free(&s);
    }
}

/* The response is the default 101 with the case's edits, the placeholders filled in. */
static void test_bad_101_bytes(void **state)
{
    (void)state;
    static struct sim s;
    char want[128];
    run19(&s, "19.1.1", SIM_ECHO, NULL);
    assert_true(strncmp(s.r.http_response, "HTTP/1.1 101 Switching Protocols\r\n", 34) == 0);
    assert_null(strstr(s.r.http_response, "Sec-WebSocket-Accept"));
    assert_non_null(strstr(s.r.http_response, "Upgrade: websocket\r\n"));
    sim_free(&s);

    run19(&s, "19.1.2", SIM_ECHO, NULL);
    assert_non_null(
        strstr(s.r.http_response, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    assert_int_equal(s.r.handshake_error, WS_E_OK); /* the client's request was fine */
    sim_free(&s);

    run19(&s, "19.1.3", SIM_ECHO, NULL);
    char accept[WS_ACCEPT_LEN + 1];
    ws_handshake_accept(s.r.offer_key, strlen(s.r.offer_key), accept);
    snprintf(want, sizeof want, "Sec-WebSocket-Accept: %sA\r\n", accept);
    assert_non_null(strstr(s.r.http_response, want));
    assert_int_equal(s.r.tx_octets, s.r.http_response_len); /* all of it, nothing more */
    sim_free(&s);

    run19(&s, "19.1.8", SIM_ECHO, NULL);
    assert_non_null(
        strstr(s.r.http_response, "\r\nSec-WebSocket-Protocol: wsspec.not-offered\r\n\r\n"));
    sim_free(&s);
}

/* A client that sends a frame after a 101 it must refuse: FAILED, naming 4.1 and what
 * it sent. */
static void test_bad_101_taken(void **state)
{
    (void)state;
    static struct sim s;
    for (size_t i = 0; i < sizeof must_fail / sizeof must_fail[0]; i++) {
        run19(&s, must_fail[i], SIM_TAKES_ANY_101, NULL);
        assert_verdicts(&s.r, B_FAILED, BC_OK);      /* it did close TCP afterwards */
        assert_int_equal(s.r.refusal_rx, 2 + 4 + 5); /* one masked "Hello" frame */
        assert_non_null(strstr(s.r.broken, "RFC 6455 4.1 MUST: expected _Fail the WebSocket"));
        assert_non_null(strstr(s.r.broken, "got 0x81"));
        sim_free(&s);
    }
}

/* A client that keeps the connection open after a 101 it must refuse: FAILED at the
 * case's kill-after, which wsspec ends by dropping TCP. */
static void test_bad_101_kept_open(void **state)
{
    (void)state;
    static struct sim s;
    struct sim_opts keep = {.role = SCRIPT_SERVER, .keep_tcp = true};
    run19(&s, "19.1.4", SIM_ECHO, &keep);
    assert_verdicts(&s.r, B_FAILED, BC_FAILED);
    assert_true(s.r.dropped_by_me && s.r.refusal_closed_ms < 0);
    assert_non_null(strstr(s.r.broken, "still open at the case's deadline"));
    assert_true(s.now == 100.0 + 2.0); /* kill-after 2 */
    sim_free(&s);
}

/* A client offering permessage-deflate refuses 19.5's answers by RFC 7692 7 (not only
 * as an extension it did not offer). */
static void test_deflate_answers_offered(void **state)
{
    (void)state;
    static struct sim s;
    struct sim_opts o = {.role = SCRIPT_SERVER, .offer = "permessage-deflate"};
    for (size_t i = 9; i < sizeof must_fail / sizeof must_fail[0]; i++) {
        run19(&s, must_fail[i], SIM_ECHO, &o);
        assert_non_null(strstr(s.r.offer_extensions, "permessage-deflate"));
        assert_verdicts(&s.r, B_OK, BC_OK);
        enum ws_error e = ws_conn_error(&s.target, NULL);
        if (e == WS_E_OK || e == WS_E_RESPONSE_EXTENSION)
            fail_msg("%s: the client refused it for %s", must_fail[i], ws_error_name(e));
        sim_free(&s);
    }
}

/* ------------------------------------------------------------ 19.2: other statuses */

static const char *const not_101[] = {"19.2.1", "19.2.2", "19.2.3", "19.2.4",
                                      "19.2.5", "19.2.6", "19.2.7"};

static void test_not_101(void **state)
{
    (void)state;
    static struct sim s;
    struct sim_opts keep = {.role = SCRIPT_SERVER, .keep_tcp = true};
    for (size_t i = 0; i < sizeof not_101 / sizeof not_101[0]; i++) {
        run19(&s, not_101[i], SIM_ECHO, NULL); /* closes */
        assert_verdicts(&s.r, B_OK, BC_OK);
        assert_null(strstr(s.r.http_response, "Upgrade:"));
        assert_null(strstr(s.r.http_response, "Sec-WebSocket-Accept:"));
        assert_non_null(strstr(s.r.http_response, "\r\nContent-Length: 0\r\n"));
        sim_free(&s);

        run19(&s, not_101[i], SIM_ECHO, &keep); /* keeps it: HTTP allows it */
        assert_verdicts(&s.r, B_OK, BC_OK);
        assert_true(s.r.dropped_by_me);
        assert_non_null(strstr(s.r.result, "kept the connection open"));
        sim_free(&s);

        run19(&s, not_101[i], SIM_ASKS_AGAIN, NULL); /* asks again on it */
        assert_verdicts(&s.r, B_OK, BC_OK);
        assert_non_null(strstr(s.r.result, "new HTTP request"));
        sim_free(&s);

        run19(&s, not_101[i], SIM_TAKES_ANY_101, NULL); /* takes it for a WebSocket */
        assert_verdicts(&s.r, B_FAILED, BC_OK);
        assert_non_null(strstr(s.r.broken, "expected no WebSocket frame"));
        sim_free(&s);
    }
    run19(&s, "19.2.2", SIM_ECHO, NULL);
    assert_true(strncmp(s.r.http_response, "HTTP/1.1 301 Moved Permanently\r\n", 32) == 0);
    assert_non_null(
        strstr(s.r.http_response, "\r\nLocation: http://127.0.0.1:9001/wsspec-redirected\r\n"));
    sim_free(&s);
    run19(&s, "19.2.4", SIM_ECHO, NULL);
    assert_true(strncmp(s.r.http_response, "HTTP/1.1 401 Unauthorized\r\n", 27) == 0);
    assert_non_null(strstr(s.r.http_response, "\r\nWWW-Authenticate: Basic realm=wsspec\r\n"));
    sim_free(&s);
    /* a new request is no excuse where the client must fail the connection */
    run19(&s, "19.1.1", SIM_ASKS_AGAIN, NULL);
    assert_verdicts(&s.r, B_FAILED, BC_OK);
    assert_non_null(strstr(s.r.broken, "got 0x474554202f616761")); /* "GET /aga" */
    sim_free(&s);
}

/* ------------------------------------------------------------ 19.3: writing */

static void test_chopped_101(void **state)
{
    (void)state;
    static struct sim s;
    run19(&s, "19.3.1", SIM_ECHO, NULL);
    assert_verdicts(&s.r, B_OK, BC_OK);
    assert_int_equal(s.r.n_events, 1);
    /* the response went out one byte per write */
    size_t ones = 0;
    for (size_t i = 0; i < s.r.n_wirelog; i++)
        ones += s.r.wirelog[i].type == WL_TX_OCTETS && s.r.wirelog[i].len == 1;
    assert_true(ones >= s.r.http_response_len);
    sim_free(&s);

    run19(&s, "19.3.1", SIM_SILENT, NULL); /* no echo */
    assert_int_equal(s.r.behavior, B_FAILED);
    sim_free(&s);
}

static void test_pipelined_101(void **state)
{
    (void)state;
    static struct sim s;
    run19(&s, "19.3.2", SIM_ECHO, NULL);
    assert_verdicts(&s.r, B_OK, BC_OK);
    assert_int_equal(s.r.n_events, 1);
    /* the first write holds the 101 and the frame behind it */
    const struct wirelog_row *first = NULL;
    for (size_t i = 0; i < s.r.n_wirelog && !first; i++)
        if (s.r.wirelog[i].type == WL_TX_OCTETS)
            first = &s.r.wirelog[i];
    assert_int_equal(first->len, s.r.http_response_len + 2 + 5);
    sim_free(&s);

    run19(&s, "19.3.2", SIM_SILENT, NULL); /* a client that loses it */
    assert_int_equal(s.r.behavior, B_FAILED);
    sim_free(&s);
}

/* 19.3.3: OK whether the client gives up or waits; FAILED if it sends before any
 * response. wsspec writes nothing. */
static void test_never_answered(void **state)
{
    (void)state;
    static struct sim s;
    run19(&s, "19.3.3", SIM_ECHO, NULL); /* the core's client waits */
    assert_verdicts(&s.r, B_OK, BC_OK);
    assert_int_equal(s.r.tx_octets, 0);
    assert_true(s.r.dropped_by_me && s.now == 100.0 + 5.0);
    assert_non_null(strstr(s.r.result, "kept the connection open"));
    sim_free(&s);

    run19(&s, "19.3.3", SIM_EAGER, NULL);
    assert_verdicts(&s.r, B_FAILED, BC_OK);
    assert_int_equal(s.r.tx_octets, 0);
    assert_int_equal(s.r.refusal_rx, 2 + 4 + 5);
    /* the frame behind the request, in the same read, was counted, not read */
    assert_int_equal(sim_wire_rows(&s.r, WL_RX_FRAME, NULL), 0);
    assert_int_equal(s.r.n_events, 0);
    sim_free(&s);

    /* the same with a response: wsspec writes the response and nothing else */
    run19(&s, "19.2.6", SIM_EAGER, NULL);
    assert_verdicts(&s.r, B_FAILED, BC_OK);
    assert_int_equal(s.r.tx_octets, s.r.http_response_len);
    assert_int_equal(sim_wire_rows(&s.r, WL_RX_FRAME, NULL), 0);
    sim_free(&s);
}

/* ------------------------------------------------------------ 19.4, 7.9: frames */

/* RFC 6455 5.1: a client MUST close a connection with a masked frame. */
static void test_masked_frame(void **state)
{
    (void)state;
    static struct sim s;
    run19(&s, "19.4.1", SIM_ECHO, NULL);
    assert_verdicts(&s.r, B_OK, BC_OK);
    assert_int_equal(s.r.remote_close_code, 1002);
    assert_int_equal(ws_conn_error(&s.target, NULL), WS_E_MASK_UNEXPECTED);
    size_t all = 0;
    for (size_t i = 0; i < s.r.n_wirelog; i++)
        if (s.r.wirelog[i].type == WL_TX_FRAME) {
            assert_true(s.r.wirelog[i].masked); /* mask=random, from the server */
            all++;
            break;
        }
    assert_int_equal(all, 1);
    sim_free(&s);

    run19(&s, "19.4.1", SIM_DEAF_DROP, NULL); /* closes TCP without a Close */
    assert_int_equal(s.r.behavior, B_OK);
    assert_int_equal(s.r.rfc.behavior, B_NON_STRICT); /* 7.1.7 SHOULD send a Close */
    assert_int_equal(s.r.n_events, 0);
    sim_free(&s);

    run19(&s, "19.4.1", SIM_DEAF_ECHO, NULL); /* echoes it */
    assert_int_equal(s.r.behavior, B_FAILED);
    assert_int_equal(s.r.rfc.behavior, B_FAILED);
    assert_int_equal(s.r.n_events, 1);
    sim_free(&s);
}

/* 7.9 (invalid close codes) serves as it stands: the same file in both roles. A client
 * that takes Close 1005 (and answers 1000) fails; one that drops TCP passes Autobahn's
 * verdict and is NON-STRICT by the RFC's, as a server is in the client role. */
static void test_invalid_close_codes_serve(void **state)
{
    (void)state;
    static struct sim s;
    struct sim_opts serve = {.role = SCRIPT_SERVER};
    static const char *const ids[] = {"7.9.1", "7.9.4", "7.9.9"};
    for (size_t i = 0; i < 3; i++) {
        sim_init_file(&s, "07-close.wsc", ids[i], SIM_ECHO, &serve);
        sim_run(&s);
        assert_verdicts(&s.r, B_OK, BC_OK);
        assert_int_equal(s.r.remote_close_code, 1002);
        sim_free(&s);

        sim_init_file(&s, "07-close.wsc", ids[i], SIM_DEAF_CLOSE, &serve);
        sim_run(&s);
        assert_int_equal(s.r.behavior, B_FAILED);
        assert_int_equal(s.r.behavior_close, BC_WRONG_CODE);
        assert_int_equal(s.r.remote_close_code, 1000);
        sim_free(&s);

        sim_init_file(&s, "07-close.wsc", ids[i], SIM_DEAF_DROP, &serve); /* drops TCP */
        sim_run(&s);
        /* Autobahn: OK ("or drop TCP"); the RFC: NON-STRICT (7.1.7 SHOULD send a Close) */
        assert_int_equal(s.r.behavior, B_OK);
        assert_int_equal(s.r.behavior_close, BC_OK);
        assert_int_equal(s.r.rfc.behavior, B_NON_STRICT);
        assert_non_null(strstr(s.r.rfc.broken, "7.1.7"));
        sim_free(&s);
    }
}

/* ------------------------------------------------------------ response-raw */

/* response-raw: exactly the bytes written, placeholders filled in - here a valid 101
 * with an odd header order and case, which a conformant client takes. */
static void test_response_raw(void **state)
{
    (void)state;
    static struct sim s;
    static const struct sim_opts serve = {.role = SCRIPT_SERVER};
    static const char text[] =
        "case 1.1\n  title t\n  expectation e\n  rfc 4.1 MUST \"x\"\n  role server\n"
        "  response-raw \"HTTP/1.1 101 OK\\r\\nsec-websocket-accept: {accept}\\r\\n"
        "CONNECTION: upgrade\\r\\nUpgrade: WebSocket\\r\\n\\r\\n\"\n"
        "  kill-after 1\n  send message text \"Hi\"\n  expect OK message text \"Hi\"\n"
        "  close-rule tester 1000 clean\nend\n";
    sim_init_with(&s, text, SIM_ECHO, &serve);
    sim_run(&s);
    assert_verdicts(&s.r, B_OK, BC_OK);
    char accept[WS_ACCEPT_LEN + 1], want[256];
    ws_handshake_accept(s.r.offer_key, strlen(s.r.offer_key), accept);
    snprintf(want, sizeof want,
             "HTTP/1.1 101 OK\r\nsec-websocket-accept: %s\r\nCONNECTION: upgrade\r\n"
             "Upgrade: WebSocket\r\n\r\n",
             accept);
    assert_string_equal(s.r.http_response, want);
    sim_free(&s);
}

/* ------------------------------------------------------------ roles and the format */

static void test_catalogue_roles(void **state)
{
    (void)state;
    struct case_catalogue cat = {0};
    const char *dir = getenv("WSSPEC_CASES") ? getenv("WSSPEC_CASES") : "cases";
    assert_int_equal(case_parse_dir(&cat, dir, NULL, NULL), 0);
    size_t n19 = 0;
    for (size_t i = 0; i < cat.n_cases; i++) {
        const struct case_def *d = &cat.cases[i];
        bool is19 = strncmp(d->id, "19.", 3) == 0;
        const char *why = NULL;
        n19 += is19;
        if (is19 != (d->role == CASE_ROLE_SERVER))
            fail_msg("%s: role %d", d->id, (int)d->role);
        if (script_case_runs_as_client(d, &why) == is19)
            fail_msg("%s: runs as client: %s", d->id, why ? why : "yes");
        if (is19 && !script_case_serves(d, &why))
            fail_msg("%s does not serve: %s", d->id, why);
        if (is19 && d->judge != JUDGE_REFUSAL && d->judge != JUDGE_EVENTS)
            fail_msg("%s: judged as %d", d->id, (int)d->judge);
    }
    assert_int_equal(n19, 25);

    /* script_init refuses a client test with wsspec as the client, and says why */
    static struct case_result r;
    static struct script sc;
    const struct case_def *d = NULL;
    for (size_t i = 0; i < cat.n_cases && !d; i++)
        if (strcmp(cat.cases[i].id, "19.1.1") == 0)
            d = &cat.cases[i];
    struct script_config cfg = {.def = d,
                                .r = &r,
                                .timeout_scale = 1,
                                .request = {.host = "127.0.0.1:9001", .target = "/"}};
    assert_false(script_init(&sc, &cfg, 1.0));
    assert_non_null(strstr(r.connect_error, "not run as the client: the case tests a client"));
    result_free(&r);
    case_catalogue_free(&cat);
}

static void diag_into(void *ud, const char *msg)
{
    char *out = ud;
    size_t n = strlen(out);
    snprintf(out + n, 1024 - n, "%s\n", msg);
}

/* Lint: each side's words need their role; a refusal case runs nothing after it. */
static void test_format_rules(void **state)
{
    (void)state;
    static const struct {
        const char *body, *error;
    } bad[] = {
        {"  status-line \"HTTP/1.1 200 OK\"\n  expect OK\n  close-rule tester 1000\n",
         "it needs 'role server'"},
        {"  role server\n  request-line \"GET / HTTP/1.1\"\n  expect OK\n"
         "  close-rule tester 1000\n",
         "not a request"},
        {"  expect refusal fail\n", "judges a client: it needs 'role server'"},
        {"  role server\n  response-write never\n  expect OK\n  close-rule tester 1000\n",
         "needs 'expect refusal'"},
        {"  role server\n  expect refusal fail\n  send frame text \"x\"\n",
         "a step after the response never runs"},
        {"  role server\n  expect refusal http\n  close-rule tester 1000\n", "no 'close-rule'"},
        {"  role server\n  request-write never\n  expect refusal http\n",
         "'never' is for response-write only"},
        {"  role server\n  expect refusal maybe\n", "needs fail or http"},
        {"  role nobody\n  expect OK\n  close-rule tester 1000\n", "client or server"},
        {"  role server\n  response-raw \"x\"\n  status-line \"HTTP/1.1 200 OK\"\n"
         "  expect refusal http\n",
         "response-raw is the whole response"},
        {"  role server\n  status-line\n  expect refusal http\n",
         "'status-line' needs the status line"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512], got[1024] = "";
        snprintf(text, sizeof text,
                 "case 1.1\n  title t\n  expectation e\n  rfc 4.1 MUST \"x\"\n%send\n",
                 bad[i].body);
        struct case_catalogue cat = {0};
        size_t errors = case_parse_buffer(&cat, "t.wsc", text, strlen(text), diag_into, got);
        if (!errors || !strstr(got, bad[i].error))
            fail_msg("case %zu: want '%s', got '%s'", i, bad[i].error, got);
        case_catalogue_free(&cat);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_101_conformant),
        cmocka_unit_test(test_bad_101_bytes),
        cmocka_unit_test(test_bad_101_taken),
        cmocka_unit_test(test_bad_101_kept_open),
        cmocka_unit_test(test_deflate_answers_offered),
        cmocka_unit_test(test_not_101),
        cmocka_unit_test(test_chopped_101),
        cmocka_unit_test(test_pipelined_101),
        cmocka_unit_test(test_never_answered),
        cmocka_unit_test(test_masked_frame),
        cmocka_unit_test(test_invalid_close_codes_serve),
        cmocka_unit_test(test_response_raw),
        cmocka_unit_test(test_catalogue_roles),
        cmocka_unit_test(test_format_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_policy.c - declared policies and the hardening probes (section 17): the
 * `policy` directive and its {NAME} placeholders as the reader takes them (and the
 * file:line errors of broken files), the paced write (pause=), and the verdict of each
 * probe of cases/17-hardening.wsc - the shipped cases, read with and without declared
 * values - against targets simulated in memory: the core's server role with a message
 * limit or without one, a target that closes an idle connection or never does, one
 * that gives up on a trickled frame after a few bytes, one that drops a dripped
 * handshake after a while or waits on, one that serves a list of origins or any. Time is a number
 * this test moves, so a one-second trickle costs nothing.
 */
#define _DEFAULT_SOURCE

#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include "case_vocab.h"
#include "script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------
 * Reading.
 */

#define DIAGS_MAX 32

struct diags {
    char msg[DIAGS_MAX][512];
    size_t n;
};

static void collect(void *ud, const char *msg)
{
    struct diags *d = ud;
    if (d->n < DIAGS_MAX)
        snprintf(d->msg[d->n], sizeof d->msg[0], "%s", msg);
    d->n++;
}

#define BASE                                                                                       \
    "  title T\n"                                                                                  \
    "  expectation E\n"                                                                            \
    "  rfc 10.4 MUST \"S\"\n"                                                                      \
    "  close-rule target 1009\n"

/* Parse text with the declared values (NULL = none declared); the diagnostics in d. */
static size_t parse(struct case_catalogue *cat, const char *text, const char *max_size,
                    const char *idle, struct diags *d)
{
    memset(cat, 0, sizeof *cat);
    memset(d, 0, sizeof *d);
    cat->policy_values[CP_MAX_MESSAGE_SIZE] = max_size;
    cat->policy_values[CP_IDLE_TIMEOUT] = idle;
    return case_parse_buffer(cat, "t.wsc", text, strlen(text), collect, d);
}

/* Exactly one diagnostic, equal to want. */
static void assert_one_error(const char *text, const char *want)
{
    struct case_catalogue cat;
    struct diags d;
    size_t errors = parse(&cat, text, NULL, NULL, &d);
    if (errors != 1 || d.n != 1 || strcmp(d.msg[0], want) != 0)
        fail_msg("want exactly '%s', got %zu error(s): '%s'", want, d.n, d.n ? d.msg[0] : "");
    assert_int_equal(cat.n_cases, 0); /* a case with an error never reaches the catalogue */
    case_catalogue_free(&cat);
}

static void test_policy_directive(void **state)
{
    (void)state;
    const char *text = "case 1.1\n" BASE "  policy max-message-size\n"
                       "  send message binary repeat({max-message-size}, \"*\") + \"*\"\n"
                       "  expect OK\nend\n";
    struct case_catalogue cat;
    struct diags d;
    /* undeclared: the survey value, not declared */
    assert_int_equal(parse(&cat, text, NULL, NULL, &d), 0);
    const struct case_def *c = &cat.cases[0];
    assert_true(c->has_policy && !c->policy_declared);
    assert_int_equal(c->policy, CP_MAX_MESSAGE_SIZE);
    assert_string_equal(c->policy_value, "1048576");
    assert_int_equal(c->steps[0].payload.len, 1048577);
    case_catalogue_free(&cat);
    /* declared */
    assert_int_equal(parse(&cat, text, "100", NULL, &d), 0);
    c = &cat.cases[0];
    assert_true(c->has_policy && c->policy_declared);
    assert_string_equal(c->policy_value, "100");
    assert_int_equal(c->steps[0].payload.len, 101);
    case_catalogue_free(&cat);
    /* a case without a policy is not touched by declared values */
    assert_int_equal(parse(&cat, "case 1.1\n" BASE "  expect OK\nend\n", "100", "1", &d), 0);
    assert_false(cat.cases[0].has_policy);
    case_catalogue_free(&cat);
}

/* {NAME} anywhere in a line: a wait, a title, a quoted payload, a template body after
 * the table's values; several in one line; an unknown {name} stays as written. */
static void test_placeholders(void **state)
{
    (void)state;
    const char *text = "template t n\n"
                       "  title {n}: {idle-timeout} s and {idle-timeout} s\n"
                       "  expectation E\n"
                       "  rfc 10.4 MUST \"S\"\n"
                       "  close-rule target 1000\n"
                       "  policy idle-timeout\n"
                       "  wait {idle-timeout}\n"
                       "  send frame text \"{idle-timeout}{n}\"\n"
                       "  expect OK\n"
                       "end\n"
                       "table t\n"
                       "  17.9.1 x\n"
                       "end\n";
    struct case_catalogue cat;
    struct diags d;
    assert_int_equal(parse(&cat, text, NULL, "2.5", &d), 0);
    const struct case_def *c = &cat.cases[0];
    assert_string_equal(c->title, "x: 2.5 s and 2.5 s");
    assert_true(c->steps[0].seconds == 2.5);
    assert_true(payload_equal(&c->steps[1].payload, (const uint8_t *)"2.5x", 4));
    case_catalogue_free(&cat);
    /* a template parameter of the same name is the table's value, not the policy's */
    const char *shadow = "template t idle-timeout\n"
                         "  title T\n  expectation E\n  rfc 10.4 MUST \"S\"\n"
                         "  close-rule target 1000\n"
                         "  wait {idle-timeout}\n  expect OK\nend\n"
                         "table t\n  1.1 3\nend\n";
    assert_int_equal(parse(&cat, shadow, NULL, "2.5", &d), 0);
    assert_true(cat.cases[0].steps[0].seconds == 3.0);
    assert_false(cat.cases[0].has_policy);
    case_catalogue_free(&cat);
}

/* Broken files: one clear FILE:LINE error each. */
static void test_policy_errors(void **state)
{
    (void)state;
    assert_one_error("case 1.1\n" BASE "  policy max-message\n  expect OK\nend\n",
                     "t.wsc:6: unknown policy 'max-message' (max-message-size, idle-timeout, "
                     "handshake-timeout or forbidden-origin)");
    assert_one_error("case 1.1\n" BASE "  policy\n  expect OK\nend\n",
                     "t.wsc:6: 'policy' needs a policy name (max-message-size, idle-timeout, "
                     "handshake-timeout or forbidden-origin)");
    assert_one_error("case 1.1\n" BASE "  policy idle-timeout now\n  expect OK\nend\n",
                     "t.wsc:6: unexpected 'now'");
    assert_one_error("case 1.1\n" BASE
                     "  policy idle-timeout\n  policy max-message-size\n  expect OK\nend\n",
                     "t.wsc:7: duplicate 'policy'");
    assert_one_error("case 1.1\n" BASE "  wait {idle-timeout}\n  expect OK\nend\n",
                     "t.wsc:1: case 1.1 uses {idle-timeout} but has no 'policy idle-timeout' (a "
                     "value the user declares decides how the case is judged)");
    assert_one_error("case 1.1\n" BASE "  policy max-message-size\n  wait {idle-timeout}\n"
                     "  expect OK\nend\n",
                     "t.wsc:1: case 1.1 uses {idle-timeout} but has no 'policy idle-timeout' (a "
                     "value the user declares decides how the case is judged)");
    assert_one_error("case 1.1\n" BASE "  policy idle-timeout\n  informational\nend\n",
                     "t.wsc:1: case 1.1: 'policy' and 'informational' exclude each other (a "
                     "policy case is INFORMATIONAL until its policy is declared)");
    /* the value makes a line that is still wrong: named at the line */
    assert_one_error("case 1.1\n" BASE "  policy max-message-size\n  send frame text "
                     "fin={max-message-size} \"x\"\n  expect OK\nend\n",
                     "t.wsc:7: bad value '1048576' for fin= (0 or 1)");
    assert_one_error("case 1.1\n" BASE "  send raw \"x\" pause=0.1\n  expect OK\nend\n",
                     "t.wsc:6: pause= needs chop=N (it is the time between chops)");
    assert_one_error("case 1.1\n" BASE "  send raw \"x\" chop=1 pause=0\n  expect OK\nend\n",
                     "t.wsc:6: bad value '0' for pause= (seconds > 0, with chop=)");
    assert_one_error("case 1.1\n" BASE "  wait 1 pause=1\n  expect OK\nend\n",
                     "t.wsc:6: option 'pause' is not allowed in 'wait'");
    /* the opening-handshake probes: response policy, response-timeout */
#define BASE_HS "  title T\n  expectation E\n  rfc 10.2 SHOULD \"S\"\n"
    assert_one_error("case 1.1\n" BASE_HS "  response policy status 4xx\nend\n",
                     "t.wsc:5: 'response policy' needs the case's 'policy NAME' (the "
                     "declaration it is judged against)");
    assert_one_error("case 1.1\n" BASE_HS "  policy handshake-timeout\n"
                     "  response policy status 4xx,close\n  response policy status 4xx\nend\n",
                     "t.wsc:6: bad status list '4xx,close' (codes 100-599, classes like 4xx, "
                     "none, closed; at most 8 codes; comma-separated)");
    assert_one_error("case 1.1\n" BASE_HS "  policy handshake-timeout\n  response-timeout 0\n"
                     "  response policy status 4xx\nend\n",
                     "t.wsc:6: response-timeout needs seconds > 0 (SECONDS [+ SECONDS]), not '0'");
    assert_one_error("case 1.1\n" BASE_HS "  policy handshake-timeout\n"
                     "  response-timeout {handshake-timeout} - 1\n"
                     "  response policy status 4xx\nend\n",
                     "t.wsc:6: response-timeout: '+' or the end of the line expected, not '-'");
    assert_one_error("case 1.1\n" BASE_HS "  policy handshake-timeout\n"
                     "  response-timeout 3600 + 101\n  response policy status 4xx\nend\n",
                     "t.wsc:6: response-timeout of 3701.000 s: at most 3700");
    /* in a template: the error names the row and the template line */
    assert_one_error("template t x\n  title {x}\n  expectation E\n  rfc 10.4 MUST \"S\"\n"
                     "  close-rule target 1000\n  wait {idle-timeout}\n  expect OK\nend\n"
                     "table t\n  1.1 a\nend\n",
                     "t.wsc:10: case 1.1 uses {idle-timeout} but has no 'policy idle-timeout' "
                     "(a value the user declares decides how the case is judged) (from template "
                     "'t')");
}

/* ---------------------------------------------------------------------------------
 * The probes against simulated targets.
 */

enum target_mode {
    ECHO = 0,         /* the core's server role, with max_message = limit */
    CLOSE_AFTER_BYTES /* reads on, and sends Close 1009 once `after` bytes came in */
};

struct sim {
    struct script sc;
    struct case_result r;
    struct case_catalogue cat;
    struct ws_conn srv;
    enum target_mode mode;
    double now, t_open;
    double idle_close; /* > 0: the target sends Close 1001 this long after its 101 */
    double start;
    double hs_close; /* > 0: the target closes TCP this long into an unfinished handshake */
    uint64_t after, rx;
    bool srv_open, srv_closing;
};

static void srv_message(struct ws_conn *c, enum ws_opcode op, const uint8_t *d, size_t len, void *u)
{
    (void)u;
    ws_conn_send(c, op, d, len);
}

static void diag_fail(void *ud, const char *msg)
{
    (void)ud;
    fail_msg("catalogue: %s", msg);
}

/* Case `id` of the shipped catalogue, read with the declared values, against a target
 * with this message limit (0: none to speak of - 1 TiB). */
static void sim_init_with(struct sim *s, const char *id, const char *const values[CP_N],
                          enum target_mode mode, uint64_t limit, const char *origin)
{
    static const char *origins[1];
    origins[0] = origin;
    memset(s, 0, sizeof *s);
    s->mode = mode;
    s->now = s->start = 100.0;
    for (int k = 0; k < CP_N; k++)
        s->cat.policy_values[k] = values ? values[k] : NULL;
    const char *dir = getenv("WSSPEC_CASES") ? getenv("WSSPEC_CASES") : "cases";
    assert_int_equal(case_parse_dir(&s->cat, dir, diag_fail, NULL), 0);
    const struct case_def *def = NULL;
    for (size_t i = 0; i < s->cat.n_cases; i++)
        if (!strcmp(s->cat.cases[i].id, id))
            def = &s->cat.cases[i];
    assert_non_null(def);
    struct ws_conn_config sc = {.role = WS_ROLE_SERVER,
                                .max_message = limit ? limit : 1ull << 40,
                                .max_output = 64u << 20,
                                .origins = origins,
                                .n_origins = origin ? 1 : 0,
                                .cb = {.on_message = srv_message},
                                .user = s};
    assert_int_equal(ws_conn_init(&s->srv, &sc), WS_E_OK);
    struct script_config cfg = {.def = def,
                                .r = &s->r,
                                .run_seed = 7,
                                .timeout_scale = 1,
                                .request = {.host = "127.0.0.1:9001", .target = "/"}};
    assert_true(script_init(&s->sc, &cfg, s->now));
}

static void sim_init(struct sim *s, const char *id, const char *max_size, const char *idle,
                     enum target_mode mode, uint64_t limit)
{
    const char *values[CP_N] = {[CP_MAX_MESSAGE_SIZE] = max_size, [CP_IDLE_TIMEOUT] = idle};
    sim_init_with(s, id, values, mode, limit, NULL);
}

static size_t to_target(struct sim *s, double *wake)
{
    static uint8_t buf[65536], copy[65536];
    size_t n, moved = 0;
    while ((n = script_output(&s->sc, s->now, buf, sizeof buf, wake)) > 0) {
        memcpy(copy, buf, n);
        script_wrote(&s->sc, buf, n, s->now);
        if (s->srv_open)
            s->rx += n;
        if (ws_conn_state(&s->srv) != WS_CLOSED && !s->srv_closing)
            ws_conn_recv(&s->srv, copy, n);
        moved += n;
    }
    return moved;
}

/* Bytes from the target to the script; TCP closes once the target is CLOSED (or, for a
 * target that gave up on a frame, right after its Close). */
static size_t to_script(struct sim *s)
{
    static uint8_t copy[65536];
    const uint8_t *p;
    size_t n, moved = 0;
    while ((n = ws_conn_pending(&s->srv, &p)) > 0) {
        moved += n < sizeof copy ? n : sizeof copy;
        size_t k = n < sizeof copy ? n : sizeof copy;
        memcpy(copy, p, k);
        ws_conn_sent(&s->srv, k);
        script_recv(&s->sc, copy, k, s->now);
    }
    bool gone = ws_conn_state(&s->srv) == WS_CLOSED || s->srv_closing;
    if (gone && !script_done(&s->sc))
        script_tcp_closed(&s->sc, NULL, s->now);
    return moved;
}

/* The target's own moves: an idle close, giving up after `after` bytes. */
static void target_moves(struct sim *s)
{
    if (s->hs_close > 0 && !s->srv_open && !s->srv_closing && s->now >= s->start + s->hs_close)
        s->srv_closing = true; /* a handshake timeout: TCP closed, nothing said */
    if (ws_conn_state(&s->srv) != WS_OPEN || s->srv_closing)
        return;
    if (s->idle_close > 0 && s->now >= s->t_open + s->idle_close) {
        ws_conn_close(&s->srv, 1001, NULL, 0);
        s->srv_closing = true;
    }
    if (s->mode == CLOSE_AFTER_BYTES && s->rx >= s->after) {
        ws_conn_close(&s->srv, 1009, NULL, 0);
        s->srv_closing = true;
    }
}

static void sim_run(struct sim *s)
{
    for (int i = 0; i < 1000000 && !script_done(&s->sc); i++) {
        double wake = 0;
        to_target(s, &wake);
        if (ws_conn_state(&s->srv) == WS_OPEN && !s->srv_open) {
            s->srv_open = true;
            s->t_open = s->now;
        }
        to_script(s);
        script_tick(&s->sc, s->now);
        target_moves(s);
        /* bytes both ways until nothing moves: what a read queued goes out now */
        while (to_target(s, &wake) + to_script(s) > 0)
            ;
        double d = script_deadline(&s->sc), next = wake && (!d || wake < d) ? wake : d;
        if (s->idle_close > 0 && s->srv_open && !s->srv_closing && s->t_open + s->idle_close < next)
            next = s->t_open + s->idle_close;
        if (s->hs_close > 0 && !s->srv_open && !s->srv_closing && s->start + s->hs_close < next)
            next = s->start + s->hs_close;
        if (next > s->now)
            s->now = next;
        assert_true(s->now < 200.0);
    }
    assert_true(script_done(&s->sc));
    script_finish(&s->sc, s->now);
}

static void sim_free(struct sim *s)
{
    ws_conn_free(&s->srv);
    result_free(&s->r);
    case_catalogue_free(&s->cat);
}

static void assert_verdict(const struct case_result *r, enum behavior b, enum behavior_close bc)
{
    if (r->behavior != b || r->behavior_close != bc || r->rfc.behavior != b ||
        r->rfc.behavior_close != bc)
        fail_msg("%s: got %s/%s (RFC %s/%s), want %s/%s: %s | %s | observed: %s", r->def->id,
                 behavior_name(r->behavior), behavior_close_name(r->behavior_close),
                 behavior_name(r->rfc.behavior), behavior_close_name(r->rfc.behavior_close),
                 behavior_name(b), behavior_close_name(bc), r->result, r->broken, r->observed);
}

static void assert_has(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("'%s' does not say '%s'", hay, needle);
}

/* 17.1.2 / 17.1.3: exactly the declared size and one byte over. */
static void test_max_message_size(void **state)
{
    (void)state;
    static struct sim s;
    /* a target whose limit is the declared one passes both */
    sim_init(&s, "17.1.2", "65536", NULL, ECHO, 65536);
    sim_run(&s);
    assert_verdict(&s.r, B_OK, BC_OK);
    assert_has(s.r.observed, "sent 1 message (the largest 65536 bytes)");
    sim_free(&s);
    sim_init(&s, "17.1.3", "65536", NULL, ECHO, 65536);
    sim_run(&s);
    assert_verdict(&s.r, B_OK, BC_OK);
    assert_int_equal(s.r.remote_close_code, 1009);
    assert_has(s.r.observed, "sent no message; then Close 1009");
    sim_free(&s);
    /* a lower limit than declared fails 17.1.2 */
    sim_init(&s, "17.1.2", "65536", NULL, ECHO, 65535);
    sim_run(&s);
    assert_verdict(&s.r, B_FAILED, BC_FAILED);
    assert_has(s.r.broken, "judged against --max-message-size 65536, as declared");
    sim_free(&s);
    /* no limit: one byte over is echoed - FAILED, the declaration named */
    sim_init(&s, "17.1.3", "65536", NULL, ECHO, 0);
    sim_run(&s);
    assert_verdict(&s.r, B_FAILED, BC_FAILED);
    assert_has(s.r.broken, "judged against --max-message-size 65536, as declared");
    assert_has(s.r.observed, "sent 1 message (the largest 65537 bytes)");
    assert_has(s.r.observed, "kept the connection open until wsspec closed it");
    sim_free(&s);
    /* undeclared: the same target, the survey value, INFORMATIONAL with the option named */
    sim_init(&s, "17.1.3", NULL, NULL, ECHO, 0);
    sim_run(&s);
    assert_verdict(&s.r, B_INFORMATIONAL, BC_INFORMATIONAL);
    assert_has(s.r.result, "Not judged: the target's max-message-size is not declared (wsspec "
                           "run --max-message-size N judges this case; here it ran with 1048576)");
    assert_string_equal(s.r.broken, "");
    assert_has(s.r.observed, "sent 1 message (the largest 1048577 bytes)");
    assert_true(judge_passed(&s.r, true, VERDICT_BOTH));
    sim_free(&s);
}

/* 17.1.1: the survey ends as soon as the five echoes are in, and says the largest. */
static void test_size_survey(void **state)
{
    (void)state;
    static struct sim s;
    sim_init(&s, "17.1.1", NULL, NULL, ECHO, 0);
    sim_run(&s);
    assert_verdict(&s.r, B_INFORMATIONAL, BC_INFORMATIONAL);
    assert_true(s.r.closed_by_me && s.r.local_close_code == 1000); /* auto-close */
    if (s.r.duration_ms >= 1000)                                   /* not the kill timer */
        fail_msg("%.3f ms: %s", s.r.duration_ms, s.r.observed);
    assert_has(s.r.observed, "sent 5 messages (the largest 16777216 bytes)");
    sim_free(&s);
    sim_init(&s, "17.1.1", NULL, NULL, ECHO, 1048576);
    sim_run(&s);
    assert_verdict(&s.r, B_INFORMATIONAL, BC_INFORMATIONAL);
    assert_has(s.r.observed, "sent 3 messages (the largest 1048576 bytes); then Close 1009");
    sim_free(&s);
}

/* 17.2.1: the frame declaring 2^40 bytes, trickled. */
static void test_trickle(void **state)
{
    (void)state;
    static struct sim s;
    /* refused at its header: OK, at once */
    sim_init(&s, "17.2.1", "65536", NULL, ECHO, 65536);
    sim_run(&s);
    assert_verdict(&s.r, B_OK, BC_OK);
    assert_true(s.r.target_ended && s.r.target_end_ms < 30);
    assert_has(s.r.observed, "then Close 1009");
    sim_free(&s);
    /* a target that reads on: the whole trickle (50 bytes, one per 20 ms), then FAILED */
    sim_init(&s, "17.2.1", "65536", NULL, ECHO, 0);
    sim_run(&s);
    assert_verdict(&s.r, B_FAILED, BC_FAILED);
    assert_false(s.r.target_ended);
    assert_true(s.r.tx_octets - s.r.tx_at_open >= 14 + 50);
    assert_true(s.r.duration_ms >= 49 * 20 + 500); /* the trickle, then kill-after */
    assert_has(s.r.broken, "judged against --max-message-size 65536, as declared");
    sim_free(&s);
    /* undeclared, the same target: INFORMATIONAL, how long it kept the connection */
    sim_init(&s, "17.2.1", NULL, NULL, ECHO, 0);
    sim_run(&s);
    assert_verdict(&s.r, B_INFORMATIONAL, BC_INFORMATIONAL);
    assert_has(s.r.observed, "kept the connection open until wsspec closed it");
    sim_free(&s);
    /* a target that gives up after 10 payload bytes: the trickle stops at its Close */
    sim_init(&s, "17.2.1", "65536", NULL, CLOSE_AFTER_BYTES, 0);
    s.after = 14 + 10;
    sim_run(&s);
    assert_verdict(&s.r, B_OK, BC_OK);
    assert_true(s.r.target_ended);
    assert_true(s.r.target_end_tx - s.r.tx_at_open >= 24);
    assert_true(s.r.tx_octets - s.r.tx_at_open < 14 + 50);             /* not the whole trickle */
    if (s.r.target_end_ms < 9 * 20 - 1 || s.r.target_end_ms > 11 * 20) /* the 10th byte */
        fail_msg("ended after %.3f ms: %s", s.r.target_end_ms, s.r.observed);
    sim_free(&s);
}

/* 17.3.1: an idle connection. */
static void test_idle(void **state)
{
    (void)state;
    static struct sim s;
    sim_init(&s, "17.3.1", NULL, "2", ECHO, 0);
    s.idle_close = 2.0;
    sim_run(&s);
    assert_verdict(&s.r, B_OK, BC_OK);
    assert_has(s.r.observed, "sent no message; then Close 1001 2.000 s after the handshake");
    sim_free(&s);
    /* a target that never closes it */
    sim_init(&s, "17.3.1", NULL, "2", ECHO, 0);
    sim_run(&s);
    assert_verdict(&s.r, B_FAILED, BC_FAILED);
    assert_has(s.r.broken, "judged against --idle-timeout 2, as declared");
    assert_true(s.r.duration_ms >= 2500);
    sim_free(&s);
    /* a timeout longer than declared: closed after wsspec gave up */
    sim_init(&s, "17.3.1", NULL, "1", ECHO, 0);
    s.idle_close = 3.0;
    sim_run(&s);
    assert_verdict(&s.r, B_FAILED, BC_FAILED);
    sim_free(&s);
    /* undeclared: the survey half second, INFORMATIONAL */
    sim_init(&s, "17.3.1", NULL, NULL, ECHO, 0);
    sim_run(&s);
    assert_verdict(&s.r, B_INFORMATIONAL, BC_INFORMATIONAL);
    assert_has(s.r.result, "wsspec run --idle-timeout SECONDS judges this case; here it ran "
                           "with 0.5");
    assert_true(s.r.duration_ms >= 1000 && s.r.duration_ms < 2000);
    sim_free(&s);
}

/* 17.2.2: the opening handshake dripped one byte per 50 ms. */
static void test_drip(void **state)
{
    (void)state;
    static struct sim s;
    const char *declared[CP_N] = {[CP_HANDSHAKE_TIMEOUT] = "1"};
    /* a target that drops an unfinished handshake after 1 s: OK */
    sim_init_with(&s, "17.2.2", declared, ECHO, 0, NULL);
    s.hs_close = 1.0;
    sim_run(&s);
    assert_verdict(&s.r, B_OK, BC_OK);
    assert_has(s.r.observed, "closed the connection 1.000 s into the opening handshake");
    assert_true(s.r.target_end_tx >= 19 && s.r.target_end_tx <= 22); /* one byte per 50 ms */
    sim_free(&s);
    /* one that waits on: FAILED when wsspec gives up, 1 + 0.5 s in */
    sim_init_with(&s, "17.2.2", declared, ECHO, 0, NULL);
    sim_run(&s);
    assert_verdict(&s.r, B_FAILED, BC_FAILED);
    assert_has(s.r.broken, "the declared policy: status 4xx,closed, got no response, the "
                           "connection still open when wsspec gave up; judged against "
                           "--handshake-timeout 1, as declared");
    assert_true(s.r.was_open_handshake_timeout && s.r.tx_octets <= 31);
    sim_free(&s);
    /* one that drops it later than declared (2 s): FAILED too */
    sim_init_with(&s, "17.2.2", declared, ECHO, 0, NULL);
    s.hs_close = 2.0;
    sim_run(&s);
    assert_verdict(&s.r, B_FAILED, BC_FAILED);
    sim_free(&s);
    /* undeclared: 0.5 + 0.5 s, INFORMATIONAL, how long it waited */
    sim_init_with(&s, "17.2.2", NULL, ECHO, 0, NULL);
    sim_run(&s);
    assert_verdict(&s.r, B_INFORMATIONAL, BC_INFORMATIONAL);
    assert_has(s.r.result, "wsspec run --handshake-timeout SECONDS judges this case; here it ran "
                           "with 0.5");
    assert_has(s.r.observed, "kept the opening handshake open until wsspec gave up after 1.000 s");
    sim_free(&s);
}

/* 17.4.1: a foreign Origin. */
static void test_origin(void **state)
{
    (void)state;
    static struct sim s;
    const char *declared[CP_N] = {[CP_FORBIDDEN_ORIGIN] = "http://evil.example"};
    /* a target that serves its own origin only: 403, OK */
    sim_init_with(&s, "17.4.1", declared, ECHO, 0, "http://good.example");
    sim_run(&s);
    assert_verdict(&s.r, B_OK, BC_OK);
    assert_has(s.r.observed, "refused the opening handshake: 403 Forbidden");
    assert_non_null(strstr(s.r.http_request, "\r\nOrigin: http://evil.example\r\n"));
    sim_free(&s);
    /* one that serves any: the 101 fails the declaration */
    sim_init_with(&s, "17.4.1", declared, ECHO, 0, NULL);
    sim_run(&s);
    assert_verdict(&s.r, B_FAILED, BC_OK);
    assert_has(s.r.broken, "the declared policy: status 4xx, got 101 Switching Protocols; "
                           "judged against --forbidden-origin http://evil.example, as declared");
    assert_has(s.r.observed, "accepted the opening handshake: 101 Switching Protocols");
    sim_free(&s);
    /* undeclared: the survey origin, INFORMATIONAL either way */
    sim_init_with(&s, "17.4.1", NULL, ECHO, 0, NULL);
    sim_run(&s);
    assert_verdict(&s.r, B_INFORMATIONAL, BC_INFORMATIONAL);
    assert_has(s.r.result, "wsspec run --forbidden-origin ORIGIN judges this case; here it ran "
                           "with http://wsspec.invalid");
    assert_has(s.r.observed, "accepted the opening handshake");
    sim_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_directive),
        cmocka_unit_test(test_placeholders),
        cmocka_unit_test(test_policy_errors),
        cmocka_unit_test(test_max_message_size),
        cmocka_unit_test(test_size_survey),
        cmocka_unit_test(test_trickle),
        cmocka_unit_test(test_idle),
        cmocka_unit_test(test_drip),
        cmocka_unit_test(test_origin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

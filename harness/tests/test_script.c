/*
 * test_script.c - one case's script without a socket: the target is the core's own
 * server role (ws_conn) in memory, echoing - or holding its echoes back, or flooding
 * pings - and time is a number this test moves. Checked: the verdict of a conformant
 * echo; Autobahn's kill semantics (an echo held until wsspec's Close comes after the
 * kill timer and does not count); streamed comparison of a 64 KiB echo, to its last
 * byte; the pace measured from the opening handshake; a Ping flood that never reads
 * costs bounded memory.
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include "script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ the simulated target */

enum target_mode { ECHO = 0, HOLD_UNTIL_CLOSE, PING_FLOOD };

struct sim {
    struct script sc;
    struct case_result r;
    struct case_catalogue cat;
    struct ws_conn srv;
    enum target_mode mode;
    double now;
    double latency; /* the target answers the request this long after it arrives */
    uint8_t held[4][1 << 17];
    size_t held_len[4];
    int n_held;
    bool srv_open;
};

static void srv_message(struct ws_conn *c, enum ws_opcode op, const uint8_t *d, size_t len, void *u)
{
    struct sim *s = u;
    if (s->mode == HOLD_UNTIL_CLOSE && s->n_held < 4 && len <= sizeof s->held[0]) {
        memcpy(s->held[s->n_held], d, len);
        s->held_len[s->n_held++] = len;
        return;
    }
    ws_conn_send(c, op, d, len);
}

/* The late echoer sends what it held when wsspec's Close arrives - before its reply
 * (the core queues the reply after this callback). */
static void srv_close(struct ws_conn *c, uint16_t code, const uint8_t *r, size_t len, void *u)
{
    (void)code, (void)r, (void)len;
    struct sim *s = u;
    for (int i = 0; i < s->n_held; i++)
        ws_conn_send(c, WS_OP_TEXT, s->held[i], s->held_len[i]);
    s->n_held = 0;
}

static void sim_init(struct sim *s, const char *case_text, enum target_mode mode)
{
    memset(s, 0, sizeof *s);
    s->mode = mode;
    s->now = 100.0;
    assert_int_equal(
        case_parse_buffer(&s->cat, "test.wsc", case_text, strlen(case_text), NULL, NULL), 0);
    assert_int_equal(s->cat.n_cases, 1);
    struct ws_conn_config sc = {.role = WS_ROLE_SERVER,
                                .cb = {.on_message = srv_message, .on_close = srv_close},
                                .user = s};
    assert_int_equal(ws_conn_init(&s->srv, &sc), WS_E_OK);
    struct script_config cfg = {.def = &s->cat.cases[0],
                                .r = &s->r,
                                .run_seed = 42,
                                .timeout_scale = 1,
                                .request = {.host = "127.0.0.1:9001", .target = "/"}};
    assert_true(script_init(&s->sc, &cfg, s->now));
}

/* Bytes from the script to the target, as the session would write them; returns when
 * the script has the next bytes due (0 = not before something happens). */
static double to_target(struct sim *s)
{
    static uint8_t buf[65536];
    double wake = 0;
    size_t n;
    while ((n = script_output(&s->sc, s->now, buf, sizeof buf, &wake)) > 0) {
        static uint8_t copy[65536];
        memcpy(copy, buf, n);
        script_wrote(&s->sc, buf, n, s->now);
        if (ws_conn_state(&s->srv) != WS_CLOSED)
            ws_conn_recv(&s->srv, copy, n);
    }
    return wake;
}

/* Bytes from the target to the script; TCP closes once the target is CLOSED. */
static void to_script(struct sim *s)
{
    const uint8_t *p;
    size_t n;
    while ((n = ws_conn_pending(&s->srv, &p)) > 0) {
        size_t k = n < 65536 ? n : 65536;
        static uint8_t copy[65536];
        memcpy(copy, p, k);
        ws_conn_sent(&s->srv, k);
        script_recv(&s->sc, copy, k, s->now);
    }
    if (ws_conn_state(&s->srv) == WS_CLOSED && !script_done(&s->sc))
        script_tcp_closed(&s->sc, NULL, s->now);
}

/* Run the case to its end (bounded: 100 simulated seconds). */
static void sim_run(struct sim *s)
{
    for (int i = 0; i < 1000000 && !script_done(&s->sc); i++) {
        double wake = to_target(s);
        if (ws_conn_state(&s->srv) == WS_OPEN && !s->srv_open) {
            s->srv_open = true;
            s->now += s->latency; /* the 101 is this late */
        }
        if (s->mode == PING_FLOOD && s->srv_open && ws_conn_state(&s->srv) == WS_OPEN)
            for (int k = 0; k < 100; k++)
                ws_conn_send(&s->srv, WS_OP_PING, (const uint8_t *)"flood", 5);
        to_script(s);
        script_tick(&s->sc, s->now);
        wake = to_target(s); /* what the read and the timers queued */
        to_script(s);
        double d = script_deadline(&s->sc);
        double next = wake && (!d || wake < d) ? wake : d;
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

static const char echo_case[] = "case 1.1.2\n"
                                "  title t\n"
                                "  expectation e\n"
                                "  rfc 5.6 MUST \"x\"\n"
                                "  kill-after 1\n"
                                "  send frame text chop=1 \"Hello\"\n"
                                "  send frame text \"World\"\n"
                                "  expect OK message text \"Hello\", message text \"World\"\n"
                                "  close-rule tester 1000 clean\n"
                                "end\n";

/* ------------------------------------------------------------ tests */

static void test_echo_passes(void **state)
{
    (void)state;
    static struct sim s;
    sim_init(&s, echo_case, ECHO);
    sim_run(&s);
    assert_int_equal(s.r.behavior, B_OK);
    assert_int_equal(s.r.behavior_close, BC_OK);
    assert_int_equal(s.r.n_events, 2);
    assert_true(s.r.closed_by_me && s.r.was_clean && !s.r.failed_by_me);
    assert_int_equal(s.r.late_messages, 0);
    sim_free(&s);
}

/* Autobahn's failConnection() at killAfter: messages after it are not counted. A target
 * holding its echoes until wsspec's Close gets FAILED, with the late echoes counted. */
static void test_kill_then_late_echoes(void **state)
{
    (void)state;
    static struct sim s;
    sim_init(&s, echo_case, HOLD_UNTIL_CLOSE);
    sim_run(&s);
    assert_int_equal(s.r.behavior, B_FAILED);
    assert_int_equal(s.r.n_events, 0);
    assert_int_equal(s.r.late_messages, 2);
    assert_true(s.r.failed_by_me);
    assert_int_equal(s.r.local_close_code, 1001);
    assert_non_null(strstr(s.r.broken, "2 more messages after the kill timer, not counted"));
    sim_free(&s);
}

/* A 64 KiB echo is compared as it streams in; one wrong last byte is a mismatch. */
static void test_streamed_compare(void **state)
{
    (void)state;
    const char *text = "case 1.1.7\n  title t\n  expectation e\n  rfc 5.6 MUST \"x\"\n"
                       "  kill-after 10\n  send frame text repeat(65536, \"*\")\n"
                       "  expect OK message text repeat(65536, \"*\")\n"
                       "  close-rule tester 1000 clean\nend\n";
    static struct sim s;
    sim_init(&s, text, ECHO);
    sim_run(&s);
    assert_int_equal(s.r.behavior, B_OK);
    assert_int_equal(s.r.events[0].len, 65536);
    assert_int_equal(s.r.events[0].data_len, RESULT_KEEP_BYTES);
    sim_free(&s);

    text = "case 1.1.7\n  title t\n  expectation e\n  rfc 5.6 MUST \"x\"\n"
           "  kill-after 10\n  send frame text repeat(65535, \"*\") + \"+\"\n"
           "  expect OK message text repeat(65536, \"*\")\n"
           "  close-rule tester 1000 clean\nend\n";
    sim_init(&s, text, ECHO);
    sim_run(&s);
    assert_int_equal(s.r.behavior, B_FAILED);
    assert_int_equal(s.r.events[0].matches, 0);
    sim_free(&s);
}

/* The pass before a frame is the handshake's round trip: 3 ms here. */
static void test_pace_from_handshake(void **state)
{
    (void)state;
    static struct sim s;
    sim_init(&s, echo_case, ECHO);
    s.latency = 3e-3;
    sim_run(&s);
    assert_true(s.r.pace_s > 2.9e-3 && s.r.pace_s < 3.1e-3);
    assert_int_equal(s.r.behavior, B_OK);
    sim_free(&s);

    sim_init(&s, echo_case, ECHO);
    s.latency = 1.0; /* capped */
    sim_run(&s);
    assert_true(s.r.pace_s == SCRIPT_PACE_MAX);
    sim_free(&s);
}

/* A target flooding pings and never reading: what wsspec holds stays bounded (Pongs
 * coalesce in the core; nothing else is queued). */
static void test_ping_flood_bounded(void **state)
{
    (void)state;
    static struct sim s;
    sim_init(&s, echo_case, PING_FLOOD);
    for (int i = 0; i < 200 && !script_done(&s.sc); i++) {
        if (!s.srv_open)
            to_target(&s); /* the request, then nothing is read any more */
        if (ws_conn_state(&s.srv) == WS_OPEN)
            s.srv_open = true;
        if (s.srv_open)
            for (int k = 0; k < 1000; k++)
                ws_conn_send(&s.srv, WS_OP_PING, (const uint8_t *)"flood", 5);
        to_script(&s);
        /* the script's writes are not taken: the target does not read */
        assert_true(ws_conn_memory(&s.sc.conn) <= 4 * WS_CONN_PONG_BACKLOG);
    }
    script_finish(&s.sc, s.now);
    sim_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_passes),        cmocka_unit_test(test_kill_then_late_echoes),
        cmocka_unit_test(test_streamed_compare),   cmocka_unit_test(test_pace_from_handshake),
        cmocka_unit_test(test_ping_flood_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_script.c - one case's script without a socket, wsspec the client: the target is
 * the core's own server role (ws_conn) in memory (script_sim.h), echoing - or holding
 * its echoes back, or flooding pings - and time is a number this test moves. Checked: the verdict
 * of a conformant echo; Autobahn's kill semantics (an echo held until wsspec's Close comes after
 * the kill timer and does not count); streamed comparison of a 64 KiB echo, to its last byte; the
 * pace measured from the opening handshake; a Ping flood that never reads costs bounded memory.
 */
#include "script_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ tests */

static void test_echo_passes(void **state)
{
    (void)state;
    static struct sim s;
    sim_init(&s, sim_echo_case, SIM_ECHO);
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
    sim_init(&s, sim_echo_case, SIM_HOLD_UNTIL_CLOSE);
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
    sim_init(&s, text, SIM_ECHO);
    sim_run(&s);
    assert_int_equal(s.r.behavior, B_OK);
    assert_int_equal(s.r.events[0].len, 65536);
    assert_int_equal(s.r.events[0].data_len, RESULT_KEEP_BYTES);
    sim_free(&s);

    text = "case 1.1.7\n  title t\n  expectation e\n  rfc 5.6 MUST \"x\"\n"
           "  kill-after 10\n  send frame text repeat(65535, \"*\") + \"+\"\n"
           "  expect OK message text repeat(65536, \"*\")\n"
           "  close-rule tester 1000 clean\nend\n";
    sim_init(&s, text, SIM_ECHO);
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
    sim_init(&s, sim_echo_case, SIM_ECHO);
    s.latency = 3e-3;
    sim_run(&s);
    assert_true(s.r.pace_s > 2.9e-3 && s.r.pace_s < 3.1e-3);
    assert_int_equal(s.r.behavior, B_OK);
    sim_free(&s);

    sim_init(&s, sim_echo_case, SIM_ECHO);
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
    sim_init(&s, sim_echo_case, SIM_PING_FLOOD);
    for (int i = 0; i < 200 && !script_done(&s.sc); i++) {
        if (!s.target_open)
            sim_to_target(&s); /* the request, then nothing is read any more */
        if (ws_conn_state(&s.target) == WS_OPEN)
            s.target_open = true;
        if (s.target_open)
            for (int k = 0; k < 1000; k++)
                ws_conn_send(&s.target, WS_OP_PING, (const uint8_t *)"flood", 5);
        sim_to_script(&s);
        /* the script's writes are not taken: the target does not read */
        assert_true(ws_conn_memory(&s.sc.conn) <= 4 * WS_CONN_PONG_BACKLOG);
    }
    script_finish(&s.sc, s.now);
    sim_free(&s);
}

/* ------------------------------------------------------------ the opening handshake */

#define HS_CASE(id, body)                                                                          \
    "case " id "\n  title t\n  expectation e\n  rfc 4.2.1 MUST \"x\"\n" body "end\n"

/* A request without a key: the target (the core's server) refuses it with 400; the case
 * wants a refusal, so it ends with that response - no frame is ever sent. */
static void test_request_refused(void **state)
{
    (void)state;
    static struct sim s;
    sim_init(&s,
             HS_CASE("14.5.1", "  header-drop Sec-WebSocket-Key\n"
                               "  response 4.2.1 MUST status 4xx\n"),
             SIM_ECHO);
    sim_run(&s);
    assert_int_equal(s.r.behavior, B_OK);
    assert_int_equal(s.r.behavior_close, BC_OK);
    assert_false(s.r.handshake_done);
    assert_null(strstr(s.r.http_request, "Sec-WebSocket-Key"));
    assert_non_null(strstr(s.r.http_request, "Sec-WebSocket-Version: 13\r\n"));
    assert_true(strncmp(s.r.http_response, "HTTP/1.1 400 ", 13) == 0);
    assert_false(s.r.offer_has_key);
    assert_int_equal(s.r.tx_frames[WS_OP_TEXT] + s.r.tx_frames[WS_OP_CLOSE], 0);
    sim_free(&s);

    /* the same case against a request the target accepts: the 101 breaks the MUST, and
     * wsspec closes at once (no steps, no closing handshake) */
    sim_init(&s, HS_CASE("14.5.2", "  header-set X-Harmless 1\n  response 4.2.1 MUST status 4xx\n"),
             SIM_ECHO);
    sim_run(&s);
    assert_true(s.r.handshake_done);
    assert_int_equal(s.r.behavior, B_FAILED);
    assert_int_equal(s.r.behavior_close, BC_OK);
    assert_true(s.r.dropped_by_me);
    assert_int_equal(s.r.tx_frames[WS_OP_CLOSE], 0);
    assert_non_null(strstr(s.r.broken, "status 4xx, got 101"));
    sim_free(&s);
}

/* chop=1: the request goes out one byte per write, and the case goes on after the 101
 * (an echo); with gap=, the writes are that far apart. */
static void test_request_chopped(void **state)
{
    (void)state;
    static struct sim s;
    sim_init(&s,
             HS_CASE("14.8.1", "  request-write chop=1\n  response 4.2.1 MUST status 101\n"
                               "  response 4.2.1 MUST accept\n  kill-after 1\n"
                               "  send message text \"Hello\"\n"
                               "  expect OK message text \"Hello\"\n"
                               "  close-rule tester 1000 clean\n"),
             SIM_ECHO);
    sim_run(&s);
    assert_int_equal(s.r.behavior, B_OK);
    assert_int_equal(s.r.behavior_close, BC_OK);
    size_t req_len = strlen(s.r.http_request), bytes;
    /* one write per request byte, then the frame and the Close */
    assert_int_equal(sim_wire_rows(&s.r, WL_TX_OCTETS, &bytes), req_len + 2);
    assert_int_equal(bytes, req_len + 11 + 8);
    sim_free(&s);

    sim_init(&s,
             HS_CASE("14.8.2", "  request-write chop=64 gap=0.5\n"
                               "  response 4.2.1 MUST status 101\n  kill-after 1\n"
                               "  expect OK\n  close-rule tester 1000 clean\n"),
             SIM_ECHO);
    sim_run(&s);
    assert_int_equal(s.r.behavior, B_OK);
    double first = -1, last = -1;
    size_t writes = 0;
    for (size_t i = 0; i < s.r.n_wirelog; i++) {
        const struct wirelog_row *w = &s.r.wirelog[i];
        if (w->type != WL_TX_OCTETS || w->len != 64)
            continue;
        if (first >= 0)
            assert_true(w->at_ms - last >= 499.9); /* gap=0.5 between chops */
        first = first < 0 ? w->at_ms : first;
        last = w->at_ms;
        writes++;
    }
    assert_true(writes >= 2);
    sim_free(&s);
}

/* Pipelined steps go out in the same write as the request, before the 101; the
 * target (the core keeps frames pipelined behind a handshake) echoes them. */
static void test_request_pipelined(void **state)
{
    (void)state;
    static struct sim s;
    sim_init(&s,
             HS_CASE("14.8.3", "  send message text pipelined \"Hello\"\n"
                               "  response 4.2.1 MUST status 101\n  kill-after 1\n"
                               "  expect OK message text \"Hello\"\n"
                               "  close-rule tester 1000 clean\n"),
             SIM_ECHO);
    sim_run(&s);
    assert_int_equal(s.r.behavior, B_OK);
    const struct wirelog_row *w = NULL;
    for (size_t i = 0; i < s.r.n_wirelog && !w; i++)
        if (s.r.wirelog[i].type == WL_TX_OCTETS)
            w = &s.r.wirelog[i];
    assert_non_null(w);
    assert_int_equal(w->len, strlen(s.r.http_request) + 11); /* request and frame, one write */
    sim_free(&s);
}

/* Edits apply in order to the default request; {key} {host} {path} are filled in; what
 * was offered is read back from the bytes. */
static void test_request_edits(void **state)
{
    (void)state;
    static struct sim s;
    sim_init(&s,
             HS_CASE("14.7.1", "  request-line \"GET {path}?h={host} HTTP/1.1\"\n"
                               "  header-set upgrade WEBSOCKET\n"
                               "  header-set sEC-wEBsOCKET-kEY \"  {key}  \"\n"
                               "  header-add \"Sec-WebSocket-Protocol: chat\"\n"
                               "  header-add \"Sec-WebSocket-Protocol: superchat\"\n"
                               "  header-add \"X-Gone: 1\"\n  header-drop x-gone\n"
                               "  response 4.2.1 MUST status 101\n"
                               "  response 4.2.1 MUST accept\n"
                               "  response 4.2.1 MUST protocol-offered\n  kill-after 1\n"
                               "  expect OK\n  close-rule tester 1000 clean\n"),
             SIM_ECHO);
    sim_run(&s);
    assert_int_equal(s.r.behavior, B_OK);
    const char *q = s.r.http_request;
    assert_true(strncmp(q, "GET /?h=127.0.0.1:9001 HTTP/1.1\r\nHost: 127.0.0.1:9001\r\n", 55) == 0);
    assert_non_null(strstr(q, "\r\nupgrade: WEBSOCKET\r\nConnection: Upgrade\r\n"));
    char line[256];
    snprintf(line, sizeof line, "\r\nsEC-wEBsOCKET-kEY:   %.24s  \r\n", s.r.offer_key);
    assert_non_null(strstr(q, line));
    assert_int_equal(strlen(s.r.offer_key), 24);
    assert_true(s.r.offer_has_key);
    assert_string_equal(s.r.offer_protocols, "chat, superchat"); /* two lines, one list */
    assert_null(strstr(q, "X-Gone"));
    assert_non_null(strstr(q, "\r\n\r\n"));
    sim_free(&s);

    /* request-raw: exactly these bytes, no CRLF added */
    sim_init(&s,
             HS_CASE("14.7.2", "  request-raw \"GET / HTTP/1.0\\r\\nHost: {host}\\r\\n\\r\\n\"\n"
                               "  response 4.2.1 MUST status 4xx\n"),
             SIM_ECHO);
    sim_run(&s);
    assert_string_equal(s.r.http_request, "GET / HTTP/1.0\r\nHost: 127.0.0.1:9001\r\n\r\n");
    assert_int_equal(s.r.behavior, B_OK); /* HTTP/1.0: refused */
    sim_free(&s);
}

/* ------------------------------------------------------------ the compression cache */

/* A section-12-like case: 50 compressed messages of 256 code points, each echoed. */
#define ZC_CASE(offer)                                                                             \
    "case 12.1.3\n  title t\n  expectation e\n  rfc 5.6 MUST \"x\"\n"                              \
    "  deflate-offer \"" offer "\"\n  close-after 60\n"                                            \
    "  roundtrip text data=json slice=256 count=50\n  expect echo count=50\n"                      \
    "  close-rule tester 1000 clean\nend\n"
#define ZC_NCT "permessage-deflate; client_no_context_takeover; client_max_window_bits"

/* One run of text against an echo with these options; the case's group is held for
 * it as the tester does (zcache_hold before, zcache_release after). */
static enum behavior zc_run(const char *text, const struct sim_opts *o)
{
    static struct sim s;
    sim_init_with(&s, text, SIM_ECHO, o);
    zcache_hold(o->zc, &s.cat.cases[0]);
    sim_run(&s);
    assert_non_null(strstr(s.r.http_response, "permessage-deflate")); /* accepted */
    enum behavior b = s.r.behavior;
    zcache_release(o->zc, &s.cat.cases[0]);
    sim_free(&s);
    return b;
}

/* The first case compresses and stores its 50 messages, the second sends them from the
 * cache, and the echo (the core's server inflating them) gives back every message: the
 * cached bytes are the right ones. Released by its last case, the group is gone. */
static void test_zcache_reused(void **state)
{
    (void)state;
    struct datastore ds = {0};
    struct zcache zc;
    zcache_init(&zc, ZCACHE_DEFAULT_BUDGET);
    struct sim_opts o = {.data = &ds, .zc = &zc};
    static struct sim keep; /* a third case of the group, holding it across both runs */
    sim_init_with(&keep, ZC_CASE(ZC_NCT), SIM_ECHO, &o);
    assert_true(zcache_hold(&zc, &keep.cat.cases[0]));

    assert_int_equal(zc_run(ZC_CASE(ZC_NCT), &o), B_OK);
    assert_int_equal(zc.misses, 50);
    assert_int_equal(zc.hits, 0);
    assert_true(zc.used > 50 * 10);
    assert_int_equal(zc_run(ZC_CASE(ZC_NCT), &o), B_OK);
    assert_int_equal(zc.hits, 50);
    assert_int_equal(zc.misses, 50);

    /* the target asks for a 9-bit window: another form, compressed anew */
    o.pmd.client_max_window_bits = 9;
    assert_int_equal(zc_run(ZC_CASE(ZC_NCT), &o), B_OK);
    assert_int_equal(zc.misses, 100);
    assert_int_equal(zc.groups[0].n_form, 2);

    zcache_release(&zc, &keep.cat.cases[0]);
    assert_int_equal(zc.used, 0);
    sim_free(&keep);
    zcache_free(&zc);
    datastore_free(&ds);
}

/* With context takeover on wsspec's side (the offer lacks client_no_context_takeover
 * and the target does not ask for it) a message's bytes depend on the ones before: the
 * cache is not used at all. */
static void test_zcache_not_with_takeover(void **state)
{
    (void)state;
    struct datastore ds = {0};
    struct zcache zc;
    zcache_init(&zc, ZCACHE_DEFAULT_BUDGET);
    struct sim_opts o = {.data = &ds, .zc = &zc};
    assert_int_equal(zc_run(ZC_CASE("permessage-deflate"), &o), B_OK);
    assert_int_equal(zc.hits + zc.misses, 0);
    assert_int_equal(zc.used, 0);
    zcache_free(&zc);
    datastore_free(&ds);
}

/* The echo check is what judges the cache: a stored message that is not the case's
 * message 7 (message 8's bytes put in its place) fails the case. */
static void test_zcache_wrong_bytes_fail(void **state)
{
    (void)state;
    struct datastore ds = {0};
    struct zcache zc;
    zcache_init(&zc, ZCACHE_DEFAULT_BUDGET);
    struct sim_opts o = {.data = &ds, .zc = &zc};
    static struct sim keep;
    sim_init_with(&keep, ZC_CASE(ZC_NCT), SIM_ECHO, &o);
    assert_true(zcache_hold(&zc, &keep.cat.cases[0]));
    assert_int_equal(zc_run(ZC_CASE(ZC_NCT), &o), B_OK);

    const struct step *st = zcache_step(&keep.cat.cases[0]);
    struct zcache_form *f = &zc.groups[0].form[0];
    size_t n8;
    const uint8_t *m8 = zcache_get(&zc, st, f->window_bits, f->level, 8, &n8);
    assert_non_null(m8);
    uint8_t copy[2048];
    assert_true(n8 <= sizeof copy);
    memcpy(copy, m8, n8);
    free(f->msg[7]);
    f->msg[7] = NULL;
    zcache_put(&zc, st, f->window_bits, f->level, 7, copy, n8);
    assert_int_equal(zc_run(ZC_CASE(ZC_NCT), &o), B_FAILED);

    zcache_release(&zc, &keep.cat.cases[0]);
    sim_free(&keep);
    zcache_free(&zc);
    datastore_free(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_passes),
        cmocka_unit_test(test_kill_then_late_echoes),
        cmocka_unit_test(test_streamed_compare),
        cmocka_unit_test(test_pace_from_handshake),
        cmocka_unit_test(test_ping_flood_bounded),
        cmocka_unit_test(test_request_refused),
        cmocka_unit_test(test_request_chopped),
        cmocka_unit_test(test_request_pipelined),
        cmocka_unit_test(test_request_edits),
        cmocka_unit_test(test_zcache_reused),
        cmocka_unit_test(test_zcache_not_with_takeover),
        cmocka_unit_test(test_zcache_wrong_bytes_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

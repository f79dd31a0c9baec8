/*
 * test_judge.c - unit tests for judge.c: every branch of Autobahn's verdict model as
 * wsspec implements it (catalogue section 2): the event-list comparison (OK, then
 * NON-STRICT, exact equality), each close-check rule and their order, the overrides
 * (wrong-closer-fatal, wrong-code-fails, handshake never completed, informational,
 * target_error), `expect size` judging with Autobahn's texts, the auto-close test, the
 * pass rule with and without --strict, and the memory bounds of the recorders.
 *
 * Cases are built by hand here (struct case_def), independent of the case-file parser.
 * UNIMPLEMENTED is never produced by judge_case (no case kind needs an extension yet:
 * Autobahn gives it to 12.x/13.x when permessage-deflate is not negotiated); it is
 * covered where it can occur, in the names and in judge_passed.
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"

/* ---------------------------------------------------------------------------------
 * Building cases and results.
 */

static struct payload pl_rep(const void *pat, size_t pat_len, uint64_t len)
{
    struct payload p = {0};
    if (len == 0)
        return p;
    p.segs = calloc(1, sizeof *p.segs);
    assert_non_null(p.segs);
    p.segs[0].pat = malloc(pat_len);
    assert_non_null(p.segs[0].pat);
    memcpy(p.segs[0].pat, pat, pat_len);
    p.segs[0].pat_len = pat_len;
    p.segs[0].len = len;
    p.n_segs = 1;
    p.len = len;
    return p;
}

static struct payload pl_str(const char *s)
{
    return pl_rep(s, strlen(s), strlen(s));
}

static struct event ev_text(const char *s)
{
    return (struct event){.type = EV_MESSAGE, .binary = false, .payload = pl_str(s)};
}

static struct event ev_bin(const void *p, size_t n)
{
    return (struct event){.type = EV_MESSAGE, .binary = true, .payload = pl_rep(p, n, n)};
}

static struct event ev_pong(const char *s)
{
    return (struct event){.type = EV_PONG, .payload = pl_str(s)};
}

static struct event ev_timeout(const char *tag)
{
    struct event e = {.type = EV_TIMEOUT};
    snprintf(e.tag, sizeof e.tag, "%s", tag);
    return e;
}

/* Set a list to n events (n may be 0: an empty but present list). */
static void list_set(struct event_list *l, size_t n, ...)
{
    va_list ap;
    l->present = true;
    l->n = n;
    l->events = n ? calloc(n, sizeof *l->events) : NULL;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        l->events[i] = va_arg(ap, struct event);
    va_end(ap);
}

static void list_free(struct event_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        payload_free(&l->events[i].payload);
    free(l->events);
    memset(l, 0, sizeof *l);
}

/* A fuzzer-closes echo case (1.1.x shape): me closes with 1000, clean required. */
static void def_me(struct case_def *d, const char *id)
{
    memset(d, 0, sizeof *d);
    snprintf(d->id, sizeof d->id, "%s", id);
    d->title = "a test case";
    d->expectation = "what a conformant server does";
    d->kill_after = 1;
    d->judge = JUDGE_EVENTS;
    d->close = (struct close_rule){
        .closed_by_me = true, .codes = {1000}, .n_codes = 1, .require_clean = true};
}

/* A fail-fast case (3.1 shape): the server must fail, 1002 or none, clean not required. */
static void def_peer(struct case_def *d, const char *id, uint16_t code)
{
    def_me(d, id);
    d->close = (struct close_rule){.closed_by_me = false, .codes = {code}, .n_codes = 1};
}

static void def_free(struct case_def *d)
{
    list_free(&d->ok);
    list_free(&d->non_strict);
}

/* The record of a case wsspec closed cleanly (it sent Close first, the server answered
 * with 1000 and dropped TCP). */
static void res_me_clean(struct case_result *r, const struct case_def *d)
{
    memset(r, 0, sizeof *r);
    r->def = d;
    r->connected = r->handshake_done = true;
    r->closed_by_me = true;
    r->was_clean = true;
    r->local_close_code = 1000;
    r->remote_close_code = 1000;
}

/* The record of a case the server failed (it sent Close first, or dropped TCP). */
static void res_peer_closed(struct case_result *r, const struct case_def *d, int code)
{
    res_me_clean(r, d);
    r->closed_by_me = false;
    r->remote_close_code = code;
}

static void add_text(struct case_result *r, const char *s)
{
    result_add_event(r, EV_MESSAGE, false, (const uint8_t *)s, strlen(s), NULL, 1);
}

static void add_pong(struct case_result *r, const char *s)
{
    result_add_event(r, EV_PONG, false, (const uint8_t *)s, strlen(s), NULL, 1);
}

/* ---------------------------------------------------------------------------------
 * Names.
 */

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(behavior_name(B_OK), "OK");
    assert_string_equal(behavior_name(B_NON_STRICT), "NON-STRICT");
    assert_string_equal(behavior_name(B_INFORMATIONAL), "INFORMATIONAL");
    assert_string_equal(behavior_name(B_UNIMPLEMENTED), "UNIMPLEMENTED");
    assert_string_equal(behavior_name(B_FAILED), "FAILED");
    assert_string_equal(behavior_name((enum behavior)42), "FAILED");
    assert_string_equal(behavior_close_name(BC_OK), "OK");
    assert_string_equal(behavior_close_name(BC_FAILED), "FAILED");
    assert_string_equal(behavior_close_name(BC_UNCLEAN), "UNCLEAN");
    assert_string_equal(behavior_close_name(BC_WRONG_CODE), "WRONG CODE");
    assert_string_equal(behavior_close_name(BC_FAILED_BY_CLIENT), "FAILED BY CLIENT");
    assert_string_equal(behavior_close_name(BC_INFORMATIONAL), "INFORMATIONAL");
    assert_string_equal(behavior_close_name((enum behavior_close)42), "FAILED");
}

/* ---------------------------------------------------------------------------------
 * behavior from the event lists.
 */

static void test_events_ok(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    def_me(&d, "1.1.1");
    list_set(&d.ok, 1, ev_text("Hello"));
    res_me_clean(&r, &d);
    add_text(&r, "Hello");
    judge_case(&r);
    assert_int_equal(r.behavior, B_OK);
    assert_int_equal(r.behavior_close, BC_OK);
    assert_string_equal(r.result, "Actual events match at least one expected.");
    assert_string_equal(r.result_close, "Connection was properly closed");
    assert_string_equal(r.broken, "");
    assert_true(judge_passed(&r, false, VERDICT_AUTOBAHN));
    assert_true(judge_passed(&r, true, VERDICT_AUTOBAHN));
    result_free(&r);
    def_free(&d);
}

static void test_events_failed_text(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    def_me(&d, "3.2");
    list_set(&d.ok, 1, ev_text("Hello"));
    list_set(&d.non_strict, 0);
    res_me_clean(&r, &d);
    add_pong(&r, "");
    judge_case(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_string_equal(r.result, "Actual events differ from any expected.");
    assert_string_equal(r.broken,
                        "expected [message text 'Hello'] or NON-STRICT [], got [pong '']");
    assert_false(judge_passed(&r, false, VERDICT_AUTOBAHN));
    result_free(&r);

    /* only an OK list: no NON-STRICT part in the line */
    list_free(&d.non_strict);
    res_me_clean(&r, &d);
    judge_case(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_string_equal(r.broken, "expected [message text 'Hello'], got []");
    result_free(&r);
    def_free(&d);
}

static void test_events_non_strict(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    def_peer(&d, "3.2", 1002);
    list_set(&d.ok, 1, ev_text("Hello, world!"));
    list_set(&d.non_strict, 0);
    /* the server failed the connection before echoing the valid first message */
    res_peer_closed(&r, &d, 1002);
    judge_case(&r);
    assert_int_equal(r.behavior, B_NON_STRICT);
    assert_int_equal(r.behavior_close, BC_OK);
    assert_string_equal(r.result, "Actual events match at least one expected.");
    assert_string_equal(r.broken, "expected [message text 'Hello, world!'], got NON-STRICT []");
    assert_true(judge_passed(&r, false, VERDICT_AUTOBAHN));
    assert_false(judge_passed(&r, true, VERDICT_AUTOBAHN));
    result_free(&r);

    /* echoed first: OK */
    res_peer_closed(&r, &d, 1002);
    add_text(&r, "Hello, world!");
    judge_case(&r);
    assert_int_equal(r.behavior, B_OK);
    assert_string_equal(r.broken, "");
    result_free(&r);
    def_free(&d);
}

static void test_events_ok_checked_first(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    def_me(&d, "x.1");
    list_set(&d.ok, 0);
    list_set(&d.non_strict, 0);
    res_me_clean(&r, &d);
    judge_case(&r);
    assert_int_equal(r.behavior, B_OK);
    result_free(&r);
    def_free(&d);
}

/* Exact equality: type, binary flag, payload bytes, length, order, count, tag. */
static void test_events_exact(void **state)
{
    (void)state;
    static const uint8_t bin[] = {0x00, 0xff, 0xfe, 0xfd};
    struct case_def d;
    struct case_result r;
    def_me(&d, "x.2");
    list_set(&d.ok, 3, ev_text("abc"), ev_bin(bin, sizeof bin), ev_pong("p"));

    struct {
        const char *what;
        int variant;
    } tries[] = {{"exact", 0},   {"binary flag", 1},   {"last byte", 2},
                 {"shorter", 3}, {"text for pong", 4}, {"order", 5},
                 {"missing", 6}, {"extra", 7},         {"pong vs text", 8}};
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        int v = tries[i].variant;
        uint8_t b[4];
        memcpy(b, bin, 4);
        if (v == 2)
            b[3] ^= 1;
        res_me_clean(&r, &d);
        if (v == 5) {
            result_add_event(&r, EV_MESSAGE, true, b, 4, NULL, 0);
            add_text(&r, "abc");
        } else if (v == 8) {
            add_pong(&r, "abc");
            result_add_event(&r, EV_MESSAGE, true, b, 4, NULL, 0);
        } else {
            add_text(&r, "abc");
            result_add_event(&r, EV_MESSAGE, v != 1, b, v == 3 ? 3 : 4, NULL, 0);
        }
        if (v == 4)
            add_text(&r, "p"); /* a text message where the pong belongs */
        if (v != 6 && v != 4)
            add_pong(&r, "p");
        if (v == 7)
            add_pong(&r, "p");
        judge_case(&r);
        if (v == 0)
            assert_int_equal(r.behavior, B_OK);
        else if (r.behavior != B_FAILED)
            fail_msg("variant '%s' was judged %s", tries[i].what, behavior_name(r.behavior));
        result_free(&r);
    }
    def_free(&d);
}

static void test_events_timeout_tags(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    def_peer(&d, "6.4.1", 1007);
    d.close.wrong_closer_fatal = true;
    list_set(&d.ok, 1, ev_timeout("A"));
    list_set(&d.non_strict, 2, ev_timeout("A"), ev_timeout("B"));

    res_peer_closed(&r, &d, 1007);
    result_add_event(&r, EV_TIMEOUT, false, NULL, 0, "A", 1000);
    judge_case(&r);
    assert_int_equal(r.behavior, B_OK);
    assert_int_equal(r.behavior_close, BC_OK);
    result_free(&r);

    res_peer_closed(&r, &d, -1); /* dropped TCP: no code, still fine */
    result_add_event(&r, EV_TIMEOUT, false, NULL, 0, "A", 1000);
    result_add_event(&r, EV_TIMEOUT, false, NULL, 0, "B", 2000);
    judge_case(&r);
    assert_int_equal(r.behavior, B_NON_STRICT);
    assert_int_equal(r.behavior_close, BC_OK);
    result_free(&r);

    res_peer_closed(&r, &d, 1007);
    result_add_event(&r, EV_TIMEOUT, false, NULL, 0, "B", 1000);
    judge_case(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_string_equal(r.broken, "expected [timeout A] or NON-STRICT [timeout A, timeout B], got "
                                  "[timeout B]");
    result_free(&r);
    def_free(&d);
}

/* A 64 KiB echo is compared whole, though only its head is kept for reports. */
static void test_events_large_payload(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    size_t n = 65536;
    uint8_t *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, '*', n + 1);
    def_me(&d, "1.1.7");
    list_set(&d.ok, 1, (struct event){.type = EV_MESSAGE, .payload = pl_rep("*", 1, n)});

    res_me_clean(&r, &d);
    result_add_event(&r, EV_MESSAGE, false, big, n, NULL, 0);
    assert_int_equal(r.events[0].data_len, RESULT_KEEP_BYTES);
    assert_int_equal(r.events[0].matches, EVENT_MATCHES_OK);
    judge_case(&r);
    assert_int_equal(r.behavior, B_OK);
    result_free(&r);

    res_me_clean(&r, &d);
    big[n - 1] = '+';
    result_add_event(&r, EV_MESSAGE, false, big, n, NULL, 0);
    judge_case(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_non_null(strstr(r.broken, "(65536 bytes)"));
    result_free(&r);

    res_me_clean(&r, &d);
    big[n - 1] = '*';
    result_add_event(&r, EV_MESSAGE, false, big, n + 1, NULL, 0);
    assert_int_equal(r.events[0].len, n + 1);
    judge_case(&r);
    assert_int_equal(r.behavior, B_FAILED);
    result_free(&r);

    /* recorded without the case's lists, nothing was compared: never taken as equal */
    res_me_clean(&r, &d);
    payload_free(&d.ok.events[0].payload);
    d.ok.events[0].payload = pl_rep("*", 1, 10);
    r.def = NULL;
    result_add_event(&r, EV_MESSAGE, false, big, 10, NULL, 0);
    r.def = &d;
    assert_int_equal(r.events[0].matches, 0);
    judge_case(&r);
    assert_int_equal(r.behavior, B_FAILED);
    result_free(&r);
    /* the same bytes recorded with the case: equal */
    res_me_clean(&r, &d);
    result_add_event(&r, EV_MESSAGE, false, big, 10, NULL, 0);
    assert_int_equal(r.events[0].matches, EVENT_MATCHES_OK);
    judge_case(&r);
    assert_int_equal(r.behavior, B_OK);
    result_free(&r);
    free(big);
    def_free(&d);
}

static void test_events_dropped_never_match(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    def_me(&d, "x.3");
    list_set(&d.ok, 0);
    res_me_clean(&r, &d);
    r.events_dropped = 1;
    judge_case(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_non_null(strstr(r.broken, "got [+1 more]"));
    assert_false(judge_events_complete(&r));
    result_free(&r);
    def_free(&d);
}

static void test_events_no_lists(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    def_me(&d, "x.4");
    res_me_clean(&r, &d);
    judge_case(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_string_equal(r.broken, "the case lists no expected events, got []");
    assert_false(judge_events_complete(&r));
    result_free(&r);
    def_free(&d);
}

/* ---------------------------------------------------------------------------------
 * behaviorClose: the five rules, in order.
 */

static void test_close_rule1_peer_should_have_closed(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    def_peer(&d, "3.1", 1002);
    list_set(&d.ok, 0);
    /* the server ignored the bad frame; wsspec's killAfter closed with 1001 */
    res_me_clean(&r, &d);
    r.failed_by_me = true;
    judge_case(&r);
    assert_int_equal(r.behavior, B_OK); /* Autobahn: the events alone still match */
    assert_int_equal(r.behavior_close, BC_FAILED);
    assert_string_equal(r.result_close, "The connection was failed by the wrong endpoint");
    assert_string_equal(r.broken,
                        "server did not fail the connection: wsspec had to close (killAfter 1s)");
    assert_false(judge_passed(&r, false, VERDICT_AUTOBAHN));
    result_free(&r);

    res_me_clean(&r, &d); /* no killAfter fired: wsspec closed for another reason */
    d.kill_after = 0;
    judge_case(&r);
    assert_int_equal(r.behavior_close, BC_FAILED);
    assert_string_equal(r.broken,
                        "server did not fail the connection: wsspec sent the first Close");
    result_free(&r);
    def_free(&d);
}

static void test_close_rule1_me_should_have_closed(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    def_me(&d, "1.1.1");
    list_set(&d.ok, 1, ev_text("x"));
    res_peer_closed(&r, &d, 1000);
    add_text(&r, "x");
    judge_case(&r);
    assert_int_equal(r.behavior, B_OK);
    assert_int_equal(r.behavior_close, BC_FAILED);
    assert_string_equal(r.broken,
                        "server sent the first Close (code 1000) where wsspec was to close");
    result_free(&r);

    res_peer_closed(&r, &d, -1);
    r.was_clean = false;
    add_text(&r, "x");
    judge_case(&r);
    assert_int_equal(r.behavior_close, BC_FAILED); /* rule 1 before rule 2 */
    assert_string_equal(r.broken, "server closed the connection first where wsspec was to close");
    result_free(&r);
    def_free(&d);
}

static void test_close_rule2_unclean(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    def_me(&d, "1.1.1");
    list_set(&d.ok, 0);
    res_me_clean(&r, &d);
    r.was_clean = false;
    r.was_server_connection_drop_timeout = true;
    r.was_not_clean_reason = "server did not drop TCP connection (in time)";
    r.remote_close_code = 1002; /* also a wrong code: rule 2 comes first */
    r.dropped_by_me = true;
    judge_case(&r);
    assert_int_equal(r.behavior, B_OK);
    assert_int_equal(r.behavior_close, BC_UNCLEAN);
    assert_string_equal(r.result_close,
                        "The spec requires the connection to be failed cleanly here");
    assert_string_equal(
        r.broken, "closing handshake not clean: server did not drop TCP connection (in time)");
    assert_false(judge_passed(&r, false, VERDICT_AUTOBAHN));
    result_free(&r);

    /* not required: an unclean close passes */
    d.close.require_clean = false;
    res_me_clean(&r, &d);
    r.was_clean = false;
    judge_case(&r);
    assert_int_equal(r.behavior_close, BC_OK);
    result_free(&r);
    def_free(&d);
}

static void test_close_rule3_wrong_code(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    def_peer(&d, "5.1", 1002);
    list_set(&d.ok, 0);
    res_peer_closed(&r, &d, 1000);
    r.dropped_by_me = true; /* rule 3 before rule 4 */
    judge_case(&r);
    assert_int_equal(r.behavior, B_OK); /* no wrong-code-fails outside section 7 */
    assert_int_equal(r.behavior_close, BC_WRONG_CODE);
    assert_string_equal(r.result_close, "The close code should have been 1002 or empty");
    assert_string_equal(r.broken, "server sent close code 1000, allowed: 1002 or none");
    assert_false(judge_passed(&r, false, VERDICT_AUTOBAHN));
    result_free(&r);

    /* several codes: joined by ',' as Autobahn does */
    d.close.codes[1] = 1007;
    d.close.n_codes = 2;
    res_peer_closed(&r, &d, 1000);
    judge_case(&r);
    assert_string_equal(r.result_close, "The close code should have been 1002,1007 or empty");
    assert_string_equal(r.broken, "server sent close code 1000, allowed: 1002, 1007 or none");
    result_free(&r);

    /* an absent code is always accepted */
    res_peer_closed(&r, &d, -1);
    judge_case(&r);
    assert_int_equal(r.behavior_close, BC_OK);
    result_free(&r);
    def_free(&d);
}

static void test_close_rule4_failed_by_client(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    def_peer(&d, "2.5", 1002);
    list_set(&d.ok, 0);
    res_peer_closed(&r, &d, 1002);
    r.dropped_by_me = true; /* the server closed the handshake but kept TCP open */
    judge_case(&r);
    assert_int_equal(r.behavior, B_OK);
    assert_int_equal(r.behavior_close, BC_FAILED_BY_CLIENT);
    assert_string_equal(r.result_close, "It is preferred that the server close the TCP connection");
    assert_string_equal(r.broken, "server did not close the TCP connection: wsspec dropped it");
    assert_false(judge_passed(&r, false, VERDICT_AUTOBAHN));
    result_free(&r);
    def_free(&d);
}

/* ---------------------------------------------------------------------------------
 * Overrides.
 */

static void test_wrong_closer_fatal(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    def_peer(&d, "6.3.1", 1007);
    list_set(&d.ok, 0);
    d.close.wrong_closer_fatal = true;
    res_me_clean(&r, &d);
    r.failed_by_me = true;
    judge_case(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_int_equal(r.behavior_close, BC_FAILED);
    /* Autobahn leaves the event result as it was */
    assert_string_equal(r.result, "Actual events match at least one expected.");
    assert_string_equal(r.broken,
                        "server did not fail the connection: wsspec had to close (killAfter 1s)");
    result_free(&r);

    /* the flag only acts on rule 1 */
    res_peer_closed(&r, &d, 1002);
    judge_case(&r);
    assert_int_equal(r.behavior, B_OK);
    assert_int_equal(r.behavior_close, BC_WRONG_CODE);
    result_free(&r);
    def_free(&d);
}

static void test_wrong_code_fails(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    def_me(&d, "7.9.1");
    list_set(&d.ok, 0);
    d.close.codes[0] = 1002;
    d.close.require_clean = false;
    d.close.wrong_code_fails = true;
    res_me_clean(&r, &d); /* the server answered the invalid code 0 with 1000 */
    judge_case(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_int_equal(r.behavior_close, BC_WRONG_CODE);
    assert_string_equal(r.result, "The close code should have been 1002 or empty");
    assert_string_equal(r.result, r.result_close);
    assert_string_equal(r.broken, "server sent close code 1000, allowed: 1002 or none");
    result_free(&r);

    d.close.wrong_code_fails = false;
    res_me_clean(&r, &d);
    judge_case(&r);
    assert_int_equal(r.behavior, B_OK);
    assert_int_equal(r.behavior_close, BC_WRONG_CODE);
    result_free(&r);
    def_free(&d);
}

static void test_handshake_never_completed(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    def_me(&d, "1.1.1");
    list_set(&d.ok, 0);

    memset(&r, 0, sizeof r);
    r.def = &d;
    r.connected = true;
    r.handshake_error = WS_E_RESPONSE_ACCEPT;
    r.local_close_code = r.remote_close_code = -1;
    judge_case(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_int_equal(r.behavior_close, BC_FAILED);
    assert_string_equal(r.result_close, "The WebSocket opening handshake was never completed!");
    assert_string_equal(r.result, "Actual events differ from any expected.");
    assert_string_equal(r.broken, "opening handshake failed: Sec-WebSocket-Accept does not match "
                                  "the key (RFC 6455 4.1): RESPONSE_ACCEPT");
    result_free(&r);

    memset(&r, 0, sizeof r);
    r.def = &d;
    snprintf(r.connect_error, sizeof r.connect_error, "connection refused");
    judge_case(&r);
    assert_int_equal(r.behavior_close, BC_FAILED);
    assert_string_equal(r.broken, "could not connect: connection refused");

    memset(&r, 0, sizeof r);
    r.def = &d;
    r.connected = true;
    r.was_open_handshake_timeout = true;
    judge_case(&r);
    assert_string_equal(r.broken, "server did not finish the opening handshake in time");

    /* even an informational case fails when there was no connection to observe */
    d.judge = JUDGE_INFORMATIONAL;
    memset(&r, 0, sizeof r);
    r.def = &d;
    r.connected = true;
    judge_case(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_int_equal(r.behavior_close, BC_FAILED);
    assert_string_equal(r.broken, "opening handshake never completed");
    def_free(&d);

    memset(&r, 0, sizeof r); /* no definition: fails, says why */
    judge_case(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_string_equal(r.broken, "no case definition to judge against");
}

static void test_informational_7_1_6(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    def_me(&d, "7.1.6");
    d.judge = JUDGE_INFORMATIONAL;
    d.suppress_close = true;
    list_set(&d.ok, 1, ev_text("Hello World!"));
    list_set(&d.non_strict, 0);

    res_me_clean(&r, &d);
    add_text(&r, "Hello World!");
    judge_case(&r);
    assert_int_equal(r.behavior, B_INFORMATIONAL);
    assert_int_equal(r.behavior_close, BC_INFORMATIONAL);
    assert_string_equal(r.result, "Text message was processed before close.");
    assert_string_equal(r.result_close, "Connection was properly closed");
    assert_string_equal(r.broken, "");
    assert_true(judge_passed(&r, true, VERDICT_AUTOBAHN));
    result_free(&r);

    res_me_clean(&r, &d);
    judge_case(&r);
    assert_string_equal(r.result, "Close was processed before text message could be returned.");
    result_free(&r);

    /* a conformant echo server usually matches neither (catalogue erratum 4) */
    res_me_clean(&r, &d);
    add_text(&r, "BAsd7&jh23BAsd7&jh23");
    add_text(&r, "Hello World!");
    r.was_clean = false;
    r.dropped_by_me = true;
    judge_case(&r);
    assert_int_equal(r.behavior, B_INFORMATIONAL);
    assert_int_equal(r.behavior_close, BC_INFORMATIONAL);
    assert_string_equal(r.result, "Actual events differ from any expected.");
    result_free(&r);
    def_free(&d);
}

static void test_informational_7_13(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    def_me(&d, "7.13.1");
    d.judge = JUDGE_INFORMATIONAL;
    d.close.codes[1] = 1002;
    d.close.codes[2] = 5000;
    d.close.n_codes = 3;
    list_set(&d.ok, 0);
    res_me_clean(&r, &d);
    r.remote_close_code = 4000;
    judge_case(&r);
    assert_int_equal(r.behavior, B_INFORMATIONAL);
    assert_int_equal(r.behavior_close, BC_INFORMATIONAL);
    assert_string_equal(r.result, "Actual events are undefined by the spec.");
    result_free(&r);

    /* a broken rule is named but does not turn an informational case into a verdict */
    res_me_clean(&r, &d);
    r.remote_close_code = -1;
    r.target_error = WS_E_CLOSE_CODE_INVALID;
    r.target_error_offset = 7;
    judge_case(&r);
    assert_int_equal(r.behavior, B_INFORMATIONAL);
    assert_int_equal(r.rfc.behavior, B_INFORMATIONAL);
    assert_string_equal(r.broken, ""); /* Autobahn names nothing */
    assert_string_equal(r.rfc.broken, "server broke a rule: close code not allowed on the wire "
                                      "(RFC 6455 7.4): CLOSE_CODE_INVALID at byte 7");
    result_free(&r);
    def_free(&d);
}

/* target_error: a MUST the target broke; the RFC's verdict is never a pass, Autobahn's
 * judges the events and the close only (and the difference names the rule). */
static void test_target_error_forces_failed(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    def_me(&d, "1.1.1");
    list_set(&d.ok, 1, ev_text("Hello"));
    /* the echo matched, but it came in a masked frame */
    res_me_clean(&r, &d);
    add_text(&r, "Hello");
    r.target_error = WS_E_MASK_UNEXPECTED;
    r.target_error_offset = 1234;
    judge_case(&r);
    assert_int_equal(r.behavior, B_OK);
    assert_int_equal(r.rfc.behavior, B_FAILED);
    assert_string_equal(r.rfc.result, "The server broke a protocol rule: server-to-client frame "
                                      "is masked (RFC 6455 5.1).");
    assert_string_equal(r.rfc.broken, "server broke a rule: server-to-client frame is masked "
                                      "(RFC 6455 5.1): MASK_UNEXPECTED at byte 1234");
    assert_non_null(strstr(r.difference, "RFC 6455 5.1 MUST: server-to-client frame is masked"));
    assert_true(judge_passed(&r, false, VERDICT_AUTOBAHN));
    assert_false(judge_passed(&r, false, VERDICT_RFC));
    assert_false(judge_passed(&r, false, VERDICT_BOTH));
    result_free(&r);

    /* events already differ: Autobahn's result text stays, broken names the rule */
    res_me_clean(&r, &d);
    r.target_error = WS_E_RSV_NOT_NEGOTIATED;
    judge_case(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_int_equal(r.rfc.behavior, B_FAILED);
    assert_string_equal(r.rfc.result, "Actual events differ from any expected.");
    assert_non_null(strstr(r.rfc.broken, "RSV_NOT_NEGOTIATED at byte 0"));
    assert_string_equal(r.difference, ""); /* the same verdicts */
    result_free(&r);
    def_free(&d);

    /* a peer-closes case: OK [] matches, wsspec was the closer */
    def_peer(&d, "3.1", 1002);
    list_set(&d.ok, 0);
    res_me_clean(&r, &d);
    r.failed_by_me = true;
    r.target_error = WS_E_CONTROL_TOO_LONG;
    judge_case(&r);
    assert_int_equal(r.behavior, B_OK);
    assert_int_equal(r.behavior_close, BC_FAILED);
    assert_int_equal(r.rfc.behavior, B_FAILED);
    assert_int_equal(r.rfc.behavior_close, BC_FAILED);
    assert_non_null(strstr(r.rfc.broken, "CONTROL_TOO_LONG"));
    result_free(&r);
    def_free(&d);
}

/* pongs-may-coalesce (2.10, 2.11): the RFC's verdict takes the expected pongs in order
 * with some left out, the last one there (5.5.3 MAY); Autobahn's wants every one. */
static void judge_pongs(struct case_def *d, struct case_result *r, const char *const *got, size_t n)
{
    res_me_clean(r, d);
    for (size_t i = 0; i < n; i++)
        add_pong(r, got[i]);
    judge_case(r);
}

static void test_pongs_may_coalesce(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    def_me(&d, "2.10");
    list_set(&d.ok, 3, ev_pong("p0"), ev_pong("p1"), ev_pong("p2"));
    d.pongs_may_coalesce = true;
    const char *last[] = {"p2"}, *some[] = {"p0", "p2"}, *first[] = {"p0"}, *order[] = {"p2", "p0"},
               *all[] = {"p0", "p1", "p2"};
    judge_pongs(&d, &r, last, 1);
    assert_int_equal(r.behavior, B_FAILED);
    assert_int_equal(r.rfc.behavior, B_OK);
    assert_non_null(strstr(r.difference, "5.5.3 MAY"));
    result_free(&r);
    judge_pongs(&d, &r, some, 2);
    assert_int_equal(r.rfc.behavior, B_OK);
    result_free(&r);
    judge_pongs(&d, &r, first, 1); /* the oldest only: not the most recent */
    assert_int_equal(r.rfc.behavior, B_FAILED);
    result_free(&r);
    judge_pongs(&d, &r, order, 2); /* out of order */
    assert_int_equal(r.rfc.behavior, B_FAILED);
    result_free(&r);
    judge_pongs(&d, &r, all, 3);
    assert_int_equal(r.behavior, B_OK);
    assert_int_equal(r.rfc.behavior, B_OK);
    assert_string_equal(r.difference, "");
    result_free(&r);
    d.pongs_may_coalesce = false; /* without the mark: as strict as Autobahn */
    judge_pongs(&d, &r, last, 1);
    assert_int_equal(r.rfc.behavior, B_FAILED);
    result_free(&r);
    def_free(&d);
}

/* ---------------------------------------------------------------------------------
 * expect size (section 9).
 */

static void def_size(struct case_def *d, const char *id, bool binary, uint64_t len, uint32_t count,
                     double close_after)
{
    def_me(d, id);
    d->judge = JUDGE_SIZE;
    d->size_binary = binary;
    d->size_len = len;
    d->size_count = count;
    d->close_after = close_after;
}

static void test_size_single(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    def_size(&d, "9.1.1", false, 65536, 1, 10);

    res_me_clean(&r, &d);
    r.size_seen = 1;
    judge_case(&r);
    assert_int_equal(r.behavior, B_OK);
    assert_int_equal(r.behavior_close, BC_OK);
    assert_string_equal(r.result, "Received text message of length 65536.");
    assert_string_equal(r.broken, "");
    result_free(&r);

    res_me_clean(&r, &d);
    judge_case(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_string_equal(r.result, "Did not receive message within 10 seconds.");
    assert_string_equal(r.broken, "expected a text message of 65536 bytes within 10s, got none");
    result_free(&r);

    res_me_clean(&r, &d);
    r.size_bad_type = true;
    r.size_bad_len = 65536;
    judge_case(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_string_equal(r.result, "Expected text message with payload, but got binary.");
    result_free(&r);

    res_me_clean(&r, &d);
    r.size_len_mismatch = true;
    r.size_bad_len = 100;
    judge_case(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_string_equal(r.result,
                        "Expected text message with payload of length 65536, but got 100.");
    assert_string_equal(r.broken, "expected a text message of 65536 bytes, got 100 bytes");
    result_free(&r);

    /* the right echo, but the close went wrong: the close verdict carries it */
    res_me_clean(&r, &d);
    r.size_seen = 1;
    r.was_clean = false;
    r.was_not_clean_reason = "peer did not respond (in time) in closing handshake";
    judge_case(&r);
    assert_int_equal(r.behavior, B_OK);
    assert_int_equal(r.behavior_close, BC_UNCLEAN);
    assert_string_equal(r.broken, "closing handshake not clean: peer did not respond (in time) in "
                                  "closing handshake");
    result_free(&r);

    /* a binary case (9.2.x) names the types the other way round */
    def_size(&d, "9.2.1", true, 65536, 0 /* count= omitted: 1 */, 10);
    res_me_clean(&r, &d);
    r.size_bad_type = true;
    judge_case(&r);
    assert_string_equal(r.result, "Expected binary message with payload, but got text.");
    result_free(&r);
    res_me_clean(&r, &d);
    r.size_seen = 1;
    judge_case(&r);
    assert_string_equal(r.result, "Received binary message of length 65536.");
    result_free(&r);

    /* a broken rule fails even a size case whose echo arrived, by the RFC */
    res_me_clean(&r, &d);
    r.size_seen = 1;
    r.target_error = WS_E_LENGTH_NOT_MINIMAL;
    judge_case(&r);
    assert_int_equal(r.behavior, B_OK);
    assert_int_equal(r.rfc.behavior, B_FAILED);
    assert_non_null(strstr(r.rfc.broken, "LENGTH_NOT_MINIMAL"));
    result_free(&r);
}

static void test_size_roundtrips(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    def_size(&d, "9.7.2", false, 16, 1000, 60);

    res_me_clean(&r, &d);
    r.size_seen = 1000;
    judge_case(&r);
    assert_int_equal(r.behavior, B_OK);
    assert_string_equal(r.result, "Ok, received all echo'ed messages in time.");
    result_free(&r);

    res_me_clean(&r, &d);
    r.size_seen = 12;
    r.size_bad_type = true;
    r.size_bad_len = 16;
    judge_case(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_string_equal(r.result, "Echo'ed message type or length differs from what I sent (got "
                                  "binary = True, payload length = 16).");
    result_free(&r);

    res_me_clean(&r, &d);
    r.size_len_mismatch = true;
    r.size_bad_len = 17;
    judge_case(&r);
    assert_string_equal(r.result, "Echo'ed message type or length differs from what I sent (got "
                                  "binary = False, payload length = 17).");
    assert_string_equal(r.broken,
                        "expected text echoes of 16 bytes, got a text message of 17 bytes");
    result_free(&r);

    res_me_clean(&r, &d);
    r.size_seen = 999;
    judge_case(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_string_equal(r.result, "Case did not finish within 60 seconds.");
    assert_string_equal(r.broken, "expected 1000 text echoes of 16 bytes within 60s, got 999");
    result_free(&r);
}

/* ---------------------------------------------------------------------------------
 * Auto-close test and pass rule.
 */

static void test_events_complete(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    def_me(&d, "2.2");
    list_set(&d.ok, 1, ev_pong("Hello, world!"));
    res_me_clean(&r, &d);
    assert_false(judge_events_complete(&r));
    add_pong(&r, "Hello, world!");
    assert_true(judge_events_complete(&r));
    add_pong(&r, "again");
    assert_false(judge_events_complete(&r));
    result_free(&r);

    /* two different lists can never both be equal */
    list_set(&d.non_strict, 0);
    res_me_clean(&r, &d);
    assert_false(judge_events_complete(&r));
    add_pong(&r, "Hello, world!");
    assert_false(judge_events_complete(&r));
    result_free(&r);
    def_free(&d);

    /* size cases: complete when decided, never by a pong (catalogue erratum 2) */
    def_size(&d, "9.7.1", false, 0, 3, 60);
    res_me_clean(&r, &d);
    add_pong(&r, "");
    assert_false(judge_events_complete(&r));
    r.size_seen = 2;
    assert_false(judge_events_complete(&r));
    r.size_seen = 3;
    assert_true(judge_events_complete(&r));
    r.size_seen = 0;
    r.size_len_mismatch = true;
    assert_true(judge_events_complete(&r));
    r.size_len_mismatch = false;
    r.size_bad_type = true;
    assert_true(judge_events_complete(&r));
    result_free(&r);

    memset(&r, 0, sizeof r);
    assert_false(judge_events_complete(&r)); /* no definition */
}

static void test_passed_table(void **state)
{
    (void)state;
    static const struct {
        enum behavior b;
        bool lax, strict;
    } bt[] = {
        {B_OK, true, true},
        {B_NON_STRICT, true, false},
        {B_INFORMATIONAL, true, true},
        {B_UNIMPLEMENTED, true, true},
        {B_FAILED, false, false},
    };
    static const struct {
        enum behavior_close c;
        bool ok;
    } ct[] = {
        {BC_OK, true},       {BC_INFORMATIONAL, true},     {BC_FAILED, false},
        {BC_UNCLEAN, false}, {BC_FAILED_BY_CLIENT, false}, {BC_WRONG_CODE, false},
    };
    struct case_result r;
    memset(&r, 0, sizeof r);
    for (size_t i = 0; i < sizeof bt / sizeof bt[0]; i++)
        for (size_t j = 0; j < sizeof ct / sizeof ct[0]; j++) {
            r.behavior = bt[i].b;
            r.behavior_close = ct[j].c;
            assert_int_equal(judge_passed(&r, false, VERDICT_AUTOBAHN), bt[i].lax && ct[j].ok);
            assert_int_equal(judge_passed(&r, true, VERDICT_AUTOBAHN), bt[i].strict && ct[j].ok);
        }
}

/* ---------------------------------------------------------------------------------
 * Recorder bounds.
 */

static void test_event_flood_bounded(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r;
    size_t big = 100000;
    uint8_t *p = malloc(big);
    assert_non_null(p);
    memset(p, 'x', big);
    def_me(&d, "x.5");
    list_set(&d.ok, 1, (struct event){.type = EV_MESSAGE, .payload = pl_rep("x", 1, 5000)});
    res_me_clean(&r, &d);
    for (size_t i = 0; i < 5000; i++)
        result_add_event(&r, i % 2 ? EV_PONG : EV_MESSAGE, true, p, big, NULL, (double)i);
    assert_int_equal(r.n_events, RESULT_EVENTS_MAX);
    assert_true(r.cap_events <= RESULT_EVENTS_MAX);
    assert_int_equal(r.events_dropped, 5000 - RESULT_EVENTS_MAX);
    /* every event keeps the same short head; index 0 was compared with the case */
    assert_int_equal(r.events[0].matches, 0); /* 100000 bytes, 5000 expected */
    for (size_t i = 0; i < r.n_events; i++) {
        assert_int_equal(r.events[i].data_len, RESULT_KEEP_BYTES);
        assert_int_equal(r.events[i].len, big);
    }
    assert_true(r.events[0].binary);
    assert_false(r.events[1].binary); /* a pong has no binary flag */
    judge_case(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_true(strlen(r.broken) < sizeof r.broken);
    assert_string_equal(r.broken + strlen(r.broken) - 3, "...");
    result_free(&r);
    result_free(&r); /* twice is harmless */
    assert_null(r.events);

    /* a short payload is kept whole; an overlong tag is cut */
    res_me_clean(&r, &d);
    r.def = NULL;
    result_add_event(&r, EV_MESSAGE, false, p, 20, "a-tag-longer-than-sixteen", 0);
    assert_int_equal(r.events[0].data_len, 20);
    assert_int_equal(strlen(r.events[0].tag), sizeof r.events[0].tag - 1);
    result_free(&r);
    free(p);
    def_free(&d);
}

static void test_wirelog_flood_bounded(void **state)
{
    (void)state;
    struct case_result r;
    memset(&r, 0, sizeof r);
    struct wirelog_row row;
    memset(&row, 0, sizeof row);
    row.type = WL_RX_FRAME;
    row.len = 5;
    row.data_len = 200;                     /* out of range: clamped */
    memset(row.text, 'n', sizeof row.text); /* unterminated: terminated */
    for (size_t i = 0; i < 10000; i++)
        result_add_wirelog(&r, &row);
    assert_int_equal(r.n_wirelog, RESULT_WIRELOG_MAX);
    assert_true(r.cap_wirelog <= RESULT_WIRELOG_MAX);
    assert_int_equal(r.wirelog_dropped, 10000 - RESULT_WIRELOG_MAX);
    assert_int_equal(r.wirelog[0].data_len, RESULT_WIRELOG_BYTES);
    assert_int_equal(strlen(r.wirelog[RESULT_WIRELOG_MAX - 1].text), sizeof row.text - 1);
    result_free(&r);
    assert_null(r.wirelog);
    assert_int_equal(r.n_wirelog, 0);
}

static void test_result_free_owned(void **state)
{
    (void)state;
    struct case_result r;
    memset(&r, 0, sizeof r);
    r.http_request = strdup("GET / HTTP/1.1\r\n\r\n");
    r.http_response = strdup("HTTP/1.1 101 x\r\n\r\n");
    r.http_response_len = strlen(r.http_response);
    r.local_close_reason = malloc(3);
    r.remote_close_reason = malloc(3);
    r.local_close_reason_len = r.remote_close_reason_len = 3;
    result_free(&r); /* ASan reports a leak if anything stays */
    assert_null(r.http_request);
    assert_null(r.http_response);
    assert_null(r.local_close_reason);
    assert_null(r.remote_close_reason);
    assert_int_equal(r.http_response_len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_events_ok),
        cmocka_unit_test(test_events_failed_text),
        cmocka_unit_test(test_events_non_strict),
        cmocka_unit_test(test_events_ok_checked_first),
        cmocka_unit_test(test_events_exact),
        cmocka_unit_test(test_events_timeout_tags),
        cmocka_unit_test(test_events_large_payload),
        cmocka_unit_test(test_events_dropped_never_match),
        cmocka_unit_test(test_events_no_lists),
        cmocka_unit_test(test_close_rule1_peer_should_have_closed),
        cmocka_unit_test(test_close_rule1_me_should_have_closed),
        cmocka_unit_test(test_close_rule2_unclean),
        cmocka_unit_test(test_close_rule3_wrong_code),
        cmocka_unit_test(test_close_rule4_failed_by_client),
        cmocka_unit_test(test_wrong_closer_fatal),
        cmocka_unit_test(test_wrong_code_fails),
        cmocka_unit_test(test_handshake_never_completed),
        cmocka_unit_test(test_informational_7_1_6),
        cmocka_unit_test(test_informational_7_13),
        cmocka_unit_test(test_target_error_forces_failed),
        cmocka_unit_test(test_pongs_may_coalesce),
        cmocka_unit_test(test_size_single),
        cmocka_unit_test(test_size_roundtrips),
        cmocka_unit_test(test_events_complete),
        cmocka_unit_test(test_passed_table),
        cmocka_unit_test(test_event_flood_bounded),
        cmocka_unit_test(test_wirelog_flood_bounded),
        cmocka_unit_test(test_result_free_owned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

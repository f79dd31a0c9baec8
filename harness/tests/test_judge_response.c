/*
 * test_judge_response.c - the response checks of the opening handshake
 * (judge_response.c, through judge_case): each kind of check held and broken, what
 * its level makes of a broken one (MUST FAILED, SHOULD NON-STRICT, MAY INFORMATIONAL),
 * the worst one winning and naming itself, checks that do not apply, no response and a
 * malformed one, a 101 the client must fail, and a case that opened and ran its steps.
 * Both verdicts must agree on every case here.
 *
 * Cases and results are built by hand (struct case_def, struct case_result), so the
 * judging is tested apart from the parser and the script.
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"
#include "ws_handshake.h"

/* ---------------------------------------------------------------------------------
 * Building checks, cases and results.
 */

static struct status_set set_of(const char *list)
{
    struct status_set s = {0};
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (n == 4 && strncmp(p, "none", 4) == 0)
            s.none = true;
        else if (n == 6 && strncmp(p, "closed", 6) == 0)
            s.closed = true;
        else if (n == 3 && p[1] == 'x')
            s.classes |= (uint8_t)(1u << (p[0] - '0'));
        else
            s.codes[s.n_codes++] = (uint16_t)strtoul(p, NULL, 10);
        p += n + (p[n] == ',');
    }
    return s;
}

static struct response_check status_check(enum rfc_level level, const char *list)
{
    struct response_check c = {.doc = RFC_DEFAULT, .section = "4.2.1", .level = level};
    c.kind = CK_STATUS;
    c.status = set_of(list);
    return c;
}

static struct response_check header_check(enum rfc_level level, const char *name,
                                          enum header_test t, const char *value)
{
    struct response_check c = {.doc = 9110, .section = "5.4", .level = level};
    c.kind = CK_HEADER;
    c.test = t;
    snprintf(c.name, sizeof c.name, "%s", name);
    snprintf(c.value, sizeof c.value, "%s", value ? value : "");
    return c;
}

static struct response_check on_101(enum case_check_id kind)
{
    struct response_check c = {.doc = RFC_DEFAULT, .section = "4.2.2", .level = RFC_MUST};
    c.kind = kind;
    return c;
}

/* A case of n checks that ends with the response. */
static void def_checks(struct case_def *d, struct response_check *checks, size_t n)
{
    memset(d, 0, sizeof *d);
    snprintf(d->id, sizeof d->id, "14.1");
    d->title = "a handshake case";
    d->expectation = "a refusal";
    d->judge = JUDGE_EVENTS;
    d->checks = checks;
    d->n_checks = n;
    d->ends_at_response = true;
}

/* The response as the script records it; NULL = none came. */
static void got(struct case_result *r, const struct case_def *d, const char *resp, bool opened)
{
    result_free(r);
    memset(r, 0, sizeof *r);
    r->def = d;
    r->connected = true;
    r->local_close_code = r->remote_close_code = -1;
    if (resp) {
        r->http_response = strdup(resp);
        assert_non_null(r->http_response);
        r->http_response_len = strlen(resp);
        r->handshake_done = opened;
    }
    r->offer_has_key = true;
    snprintf(r->offer_key, sizeof r->offer_key, "dGhlIHNhbXBsZSBub25jZQ==");
}

/* judge_case, and both verdicts must be the same. */
static void judge(struct case_result *r)
{
    judge_case(r);
    assert_int_equal(r->behavior, r->rfc.behavior);
    assert_int_equal(r->behavior_close, r->rfc.behavior_close);
    assert_string_equal(r->broken, r->rfc.broken);
}

#define OK_101                                                                                     \
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"            \
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"

/* ---------------------------------------------------------------------------------
 * Status and levels.
 */

static void test_status(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r = {0};
    struct response_check c[] = {status_check(RFC_MUST, "4xx")};
    def_checks(&d, c, 1);

    got(&r, &d, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", false);
    judge(&r);
    assert_int_equal(r.behavior, B_OK);
    assert_int_equal(r.behavior_close, BC_OK);
    assert_string_equal(r.result, "The response (400 Bad Request) passes every check.");
    assert_string_equal(r.broken, "");
    assert_int_equal(r.n_check_out, 1);
    assert_int_equal(r.check_out[0].state, CHECK_HELD);
    assert_string_equal(r.check_out[0].got, "400 Bad Request");

    got(&r, &d, OK_101 "\r\n", true); /* a refusal was due: the 101 fails it */
    judge(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_int_equal(r.behavior_close, BC_OK);
    assert_string_equal(r.broken, "RFC 6455 4.2.1 MUST: status 4xx, got 101 Switching Protocols");
    assert_int_equal(r.check_out[0].state, CHECK_BROKEN);

    got(&r, &d, NULL, false); /* no response at all */
    r.was_open_handshake_timeout = true;
    judge(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_int_equal(r.behavior_close, BC_FAILED);
    assert_string_equal(r.result_close, "The WebSocket opening handshake was never completed!");
    assert_string_equal(r.broken, "RFC 6455 4.2.1 MUST: status 4xx, got no response, the "
                                  "connection still open when wsspec gave up");

    c[0] = status_check(RFC_MUST, "4xx,none"); /* none allowed */
    judge(&r);
    assert_int_equal(r.behavior, B_OK);
    assert_int_equal(r.behavior_close, BC_OK);

    /* closed: the target ended the connection without a response - not wsspec's
     * deadline passing (a target that waits on, 17.2.2) */
    c[0] = status_check(RFC_MUST, "4xx,closed");
    judge(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_string_equal(r.broken, "RFC 6455 4.2.1 MUST: status 4xx,closed, got no response, the "
                                  "connection still open when wsspec gave up");
    r.was_open_handshake_timeout = false; /* the target closed TCP first */
    judge(&r);
    assert_int_equal(r.behavior, B_OK);
    assert_int_equal(r.behavior_close, BC_OK);
    assert_true(status_set_has(&c[0].status, STATUS_CLOSED));
    assert_false(status_set_has(&c[0].status, STATUS_DEADLINE));
    assert_true(status_set_has(&(struct status_set){.none = true}, STATUS_DEADLINE));

    /* response policy: the declared policy is the rule, judged as a MUST and cited so */
    c[0] = status_check(RFC_MUST, "4xx");
    c[0].policy = true;
    got(&r, &d, OK_101 "\r\n", true);
    judge(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_string_equal(r.broken, "the declared policy: status 4xx, got 101 Switching Protocols");

    got(&r, &d, "HTTP/1.1 4OO Bad\r\n\r\n", false); /* malformed: no status matches */
    judge(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_non_null(strstr(r.broken, "got a malformed response"));

    c[0] = status_check(RFC_MUST, "400,431,426");
    got(&r, &d, "HTTP/1.1 431 Too Large\r\n\r\n", false);
    judge(&r);
    assert_int_equal(r.behavior, B_OK);
    got(&r, &d, "HTTP/1.1 403 Forbidden\r\n\r\n", false);
    judge(&r);
    assert_int_equal(r.behavior, B_FAILED);
    result_free(&r);
}

/* MUST FAILED, SHOULD NON-STRICT, MAY INFORMATIONAL; the worst wins and is named. */
static void test_levels(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r = {0};
    struct response_check c[] = {status_check(RFC_MUST, "4xx"), status_check(RFC_MAY, "426"),
                                 status_check(RFC_SHOULD, "400")};
    def_checks(&d, c, 1);
    const char *resp = "HTTP/1.1 403 Forbidden\r\n\r\n";
    got(&r, &d, resp, false);
    d.n_checks = 2; /* MAY broken */
    judge(&r);
    assert_int_equal(r.behavior, B_INFORMATIONAL);
    assert_string_equal(r.broken, "RFC 6455 4.2.1 MAY: status 426, got 403 Forbidden");
    assert_true(judge_passed(&r, true, VERDICT_BOTH)); /* a MAY never fails a run */
    d.n_checks = 3;                                    /* and SHOULD broken: the worse one */
    judge(&r);
    assert_int_equal(r.behavior, B_NON_STRICT);
    assert_string_equal(r.broken, "RFC 6455 4.2.1 SHOULD: status 400, got 403 Forbidden");
    assert_true(judge_passed(&r, false, VERDICT_BOTH));
    assert_false(judge_passed(&r, true, VERDICT_BOTH));
    assert_string_equal(r.result,
                        "The response (403 Forbidden) breaks a check at the level SHOULD.");
    c[0] = status_check(RFC_MUST, "5xx"); /* and MUST broken */
    judge(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_string_equal(r.broken, "RFC 6455 4.2.1 MUST: status 5xx, got 403 Forbidden");
    result_free(&r);
}

/* ---------------------------------------------------------------------------------
 * Header checks.
 */

static enum behavior one_header(const char *resp, enum header_test t, const char *name,
                                const char *value, enum check_state want)
{
    struct case_def d;
    struct case_result r = {0};
    struct response_check c[] = {status_check(RFC_MUST, "1xx,4xx"),
                                 header_check(RFC_MUST, name, t, value)};
    def_checks(&d, c, 2);
    got(&r, &d, resp, false);
    judge(&r);
    if (r.check_out[1].state != want)
        fail_msg("header %s test %d '%s' on:\n%s\nstate %d, want %d (got '%s')", name, (int)t,
                 value ? value : "", resp, (int)r.check_out[1].state, (int)want,
                 r.check_out[1].got);
    enum behavior b = r.behavior;
    result_free(&r);
    return b;
}

static void test_header_checks(void **state)
{
    (void)state;
    const char *resp = "HTTP/1.1 426 Upgrade Required\r\n"
                       "upgrade: websocket\r\n"
                       "Sec-WebSocket-Version: 13, 8\r\n"
                       "Sec-WebSocket-Version: 7\r\n"
                       "X-Ext: x-a; p=1 , y\r\n\r\n";
    /* present / absent / once, names in any case */
    assert_int_equal(one_header(resp, HT_PRESENT, "Upgrade", NULL, CHECK_HELD), B_OK);
    assert_int_equal(one_header(resp, HT_PRESENT, "X-None", NULL, CHECK_BROKEN), B_FAILED);
    assert_int_equal(one_header(resp, HT_ABSENT, "x-none", NULL, CHECK_HELD), B_OK);
    assert_int_equal(one_header(resp, HT_ABSENT, "UPGRADE", NULL, CHECK_BROKEN), B_FAILED);
    assert_int_equal(one_header(resp, HT_ONCE, "Upgrade", NULL, CHECK_HELD), B_OK);
    assert_int_equal(one_header(resp, HT_ONCE, "Sec-WebSocket-Version", NULL, CHECK_BROKEN),
                     B_FAILED);
    assert_int_equal(one_header(resp, HT_ONCE, "X-None", NULL, CHECK_BROKEN), B_FAILED);
    /* = VALUE: every field, exactly (case and blanks inside count) */
    assert_int_equal(one_header(resp, HT_EQUAL, "upgrade", "websocket", CHECK_HELD), B_OK);
    assert_int_equal(one_header(resp, HT_EQUAL, "upgrade", "WebSocket", CHECK_BROKEN), B_FAILED);
    assert_int_equal(one_header(resp, HT_EQUAL, "Sec-WebSocket-Version", "13, 8", CHECK_BROKEN),
                     B_FAILED); /* the second field is 7 */
    assert_int_equal(one_header(resp, HT_EQUAL, "X-None", "", CHECK_BROKEN), B_FAILED);
    /* has / lacks: elements of every field's list, any case, parameters left out */
    assert_int_equal(one_header(resp, HT_HAS, "Sec-WebSocket-Version", "13", CHECK_HELD), B_OK);
    assert_int_equal(one_header(resp, HT_HAS, "Sec-WebSocket-Version", "7", CHECK_HELD), B_OK);
    assert_int_equal(one_header(resp, HT_HAS, "Sec-WebSocket-Version", "1", CHECK_BROKEN),
                     B_FAILED);
    assert_int_equal(one_header(resp, HT_HAS, "x-ext", "X-A", CHECK_HELD), B_OK);
    assert_int_equal(one_header(resp, HT_HAS, "X-None", "a", CHECK_BROKEN), B_FAILED);
    assert_int_equal(one_header(resp, HT_LACKS, "X-Ext", "y", CHECK_BROKEN), B_FAILED);
    assert_int_equal(one_header(resp, HT_LACKS, "X-Ext", "p", CHECK_HELD), B_OK);
    assert_int_equal(one_header(resp, HT_LACKS, "X-None", "p", CHECK_HELD), B_OK);
    /* what the response had, for the report */
    struct case_def d;
    struct case_result r = {0};
    struct response_check c[] = {status_check(RFC_MUST, "4xx"),
                                 header_check(RFC_SHOULD, "Sec-WebSocket-Version", HT_ONCE, NULL)};
    def_checks(&d, c, 2);
    got(&r, &d, resp, false);
    judge(&r);
    assert_int_equal(r.behavior, B_NON_STRICT);
    assert_string_equal(r.check_out[1].got, "2 Sec-WebSocket-Version headers, the first: 13, 8");
    assert_string_equal(r.broken, "RFC 9110 5.4 SHOULD: header Sec-WebSocket-Version once, got "
                                  "2 Sec-WebSocket-Version headers, the first: 13, 8");
    result_free(&r);
}

/* `if STATUSES`: a check for other responses does not apply (and breaks nothing). */
static void test_conditional(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r = {0};
    struct response_check c[] = {status_check(RFC_MUST, "101,4xx"),
                                 header_check(RFC_MUST, "Sec-WebSocket-Version", HT_HAS, "13")};
    c[1].conditional = true;
    c[1].when = set_of("4xx");
    def_checks(&d, c, 2);
    got(&r, &d, "HTTP/1.1 400 Bad Request\r\n\r\n", false);
    judge(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_string_equal(r.broken, "RFC 9110 5.4 MUST: if 4xx header Sec-WebSocket-Version has 13, "
                                  "got no Sec-WebSocket-Version header");
    got(&r, &d, OK_101 "\r\n", true);
    judge(&r);
    assert_int_equal(r.behavior, B_OK);
    assert_int_equal(r.check_out[1].state, CHECK_NOT_APPLICABLE);
    got(&r, &d, NULL, false); /* no response: the status check fails, not this one */
    judge(&r);
    assert_int_equal(r.check_out[1].state, CHECK_NOT_APPLICABLE);
    assert_int_equal(r.check_out[0].state, CHECK_BROKEN);
    result_free(&r);
}

/* ---------------------------------------------------------------------------------
 * Checks of a 101.
 */

static enum check_state one_101(enum case_check_id kind, const char *extra, const char *protos,
                                const char *exts, bool has_key)
{
    struct case_def d;
    struct case_result r = {0};
    struct response_check c[] = {status_check(RFC_MUST, "101,4xx"), on_101(kind)};
    def_checks(&d, c, 2);
    char resp[1024];
    snprintf(resp, sizeof resp, "%s%s\r\n",
             kind == CK_ACCEPT && extra ? "HTTP/1.1 101 OK\r\n" : OK_101, extra ? extra : "");
    got(&r, &d, resp, true);
    snprintf(r.offer_protocols, sizeof r.offer_protocols, "%s", protos);
    snprintf(r.offer_extensions, sizeof r.offer_extensions, "%s", exts);
    r.offer_has_key = has_key;
    judge(&r);
    enum check_state st = r.check_out[1].state;
    assert_int_equal(r.behavior, st == CHECK_BROKEN ? B_FAILED : B_OK);
    result_free(&r);
    return st;
}

static void test_accept(void **state)
{
    (void)state;
    /* the RFC's own example: key dGhlIHNhbXBsZSBub25jZQ== */
    assert_int_equal(one_101(CK_ACCEPT, NULL, "", "", true), CHECK_HELD);
    assert_int_equal(
        one_101(CK_ACCEPT, "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n", "", "", true),
        CHECK_BROKEN);
    assert_int_equal(one_101(CK_ACCEPT,
                             "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                             "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
                             "", "", true),
                     CHECK_BROKEN); /* 11.3.3: at most once */
    assert_int_equal(one_101(CK_ACCEPT, "X: y\r\n", "", "", true), CHECK_BROKEN); /* none */
    assert_int_equal(one_101(CK_ACCEPT, NULL, "", "", false), CHECK_BROKEN);      /* no key sent */
    /* on a refusal it does not apply */
    struct case_def d;
    struct case_result r = {0};
    struct response_check c[] = {status_check(RFC_MUST, "101,4xx"), on_101(CK_ACCEPT)};
    def_checks(&d, c, 2);
    got(&r, &d, "HTTP/1.1 400 Bad Request\r\n\r\n", false);
    judge(&r);
    assert_int_equal(r.check_out[1].state, CHECK_NOT_APPLICABLE);
    assert_int_equal(r.behavior, B_OK);
    /* what it says when broken */
    got(&r, &d, "HTTP/1.1 101 OK\r\nSec-WebSocket-Accept: x\r\n\r\n", true);
    judge(&r);
    assert_string_equal(r.check_out[1].got,
                        "Sec-WebSocket-Accept: x (expected s3pPLMBiTxaQ9kYGzzhZRbK+xOo=)");
    result_free(&r);
}

static void test_protocol_offered(void **state)
{
    (void)state;
    assert_int_equal(one_101(CK_PROTOCOL_OFFERED, NULL, "", "", true), CHECK_HELD);
    assert_int_equal(one_101(CK_PROTOCOL_OFFERED, NULL, "chat, superchat", "", true), CHECK_HELD);
    assert_int_equal(one_101(CK_PROTOCOL_OFFERED, "Sec-WebSocket-Protocol: superchat\r\n",
                             "chat, superchat", "", true),
                     CHECK_HELD);
    assert_int_equal(one_101(CK_PROTOCOL_OFFERED, "Sec-WebSocket-Protocol: chat\r\n", "", "", true),
                     CHECK_BROKEN); /* nothing offered */
    assert_int_equal(
        one_101(CK_PROTOCOL_OFFERED, "Sec-WebSocket-Protocol: Chat\r\n", "chat", "", true),
        CHECK_BROKEN); /* names are compared byte for byte */
    assert_int_equal(one_101(CK_PROTOCOL_OFFERED, "Sec-WebSocket-Protocol: chat, superchat\r\n",
                             "chat, superchat", "", true),
                     CHECK_BROKEN); /* one value, not the list */
    assert_int_equal(one_101(CK_PROTOCOL_OFFERED,
                             "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n",
                             "chat", "", true),
                     CHECK_BROKEN); /* 11.3.4: once in a response */
    assert_int_equal(one_101(CK_PROTOCOL_OFFERED, "Sec-WebSocket-Protocol:\r\n", "chat", "", true),
                     CHECK_BROKEN); /* empty is not null */
}

static void test_extensions_offered(void **state)
{
    (void)state;
    assert_int_equal(one_101(CK_EXTENSIONS_OFFERED, NULL, "", "", true), CHECK_HELD);
    assert_int_equal(one_101(CK_EXTENSIONS_OFFERED, "Sec-WebSocket-Extensions: x-wsspec; p=1\r\n",
                             "", "x-wsspec", true),
                     CHECK_HELD);
    assert_int_equal(one_101(CK_EXTENSIONS_OFFERED,
                             "Sec-WebSocket-Extensions: permessage-deflate\r\n", "", "x-wsspec",
                             true),
                     CHECK_BROKEN);
    assert_int_equal(one_101(CK_EXTENSIONS_OFFERED,
                             "Sec-WebSocket-Extensions: x-wsspec\r\n"
                             "Sec-WebSocket-Extensions: x-other\r\n",
                             "", "x-wsspec", true),
                     CHECK_BROKEN); /* every field counts */
    assert_int_equal(
        one_101(CK_EXTENSIONS_OFFERED, "Sec-WebSocket-Extensions: ;;\r\n", "", "x-wsspec", true),
        CHECK_BROKEN); /* malformed */
}

/* A 101 that wsspec as a client must fail (the core refused it) is FAILED, even when the
 * case's own checks all hold. */
static void test_101_the_client_must_fail(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r = {0};
    struct response_check c[] = {status_check(RFC_MUST, "101,4xx")};
    def_checks(&d, c, 1);
    got(&r, &d, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n", false);
    r.handshake_error = WS_E_RESPONSE_UPGRADE;
    judge(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_int_equal(r.check_out[0].state, CHECK_HELD);
    assert_string_equal(r.broken, "RFC 6455 4.1 MUST: a 101 the client must fail: response "
                                  "Upgrade header is not websocket (RESPONSE_UPGRADE)");
    /* a refusal the core reports as RESPONSE_STATUS is no such 101 */
    got(&r, &d, "HTTP/1.1 400 Bad Request\r\n\r\n", false);
    r.handshake_error = WS_E_RESPONSE_STATUS;
    judge(&r);
    assert_int_equal(r.behavior, B_OK);
    result_free(&r);
}

/* ---------------------------------------------------------------------------------
 * A case that opened and ran its steps: the events and the close are judged, and the
 * checks' verdict takes over when it is worse.
 */

static void test_opened_case(void **state)
{
    (void)state;
    struct case_def d;
    struct case_result r = {0};
    struct response_check c[] = {status_check(RFC_MUST, "101,4xx"),
                                 header_check(RFC_SHOULD, "X-Hint", HT_PRESENT, NULL)};
    def_checks(&d, c, 2);
    d.ends_at_response = false;
    d.kill_after = 1;
    d.ok.present = true; /* expect OK (no events) */
    d.close = (struct close_rule){
        .closed_by_me = true, .codes = {1000}, .n_codes = 1, .require_clean = true};
    got(&r, &d, OK_101 "\r\n", true);
    r.closed_by_me = r.was_clean = true;
    r.local_close_code = r.remote_close_code = 1000;
    judge(&r);
    assert_int_equal(r.behavior, B_NON_STRICT); /* events OK, a SHOULD broken */
    assert_int_equal(r.behavior_close, BC_OK);
    assert_string_equal(r.broken, "RFC 9110 5.4 SHOULD: header X-Hint present, got no X-Hint "
                                  "header");
    /* events FAILED: the worse verdict keeps its own reason */
    c[1].level = RFC_MAY;
    struct recorded_event ev = {.type = EV_PONG};
    r.events = &ev;
    r.n_events = 1;
    judge(&r);
    assert_int_equal(r.behavior, B_FAILED);
    assert_non_null(strstr(r.broken, "expected [], got [pong"));
    r.events = NULL;
    r.n_events = 0;
    /* the target refused (allowed): judged by the checks alone, no events, no close */
    got(&r, &d, "HTTP/1.1 400 Bad Request\r\n\r\n", false);
    judge(&r);
    assert_int_equal(r.behavior, B_INFORMATIONAL); /* the MAY header check is broken */
    assert_int_equal(r.behavior_close, BC_OK);
    result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_header_checks),
        cmocka_unit_test(test_conditional),
        cmocka_unit_test(test_accept),
        cmocka_unit_test(test_protocol_offered),
        cmocka_unit_test(test_extensions_offered),
        cmocka_unit_test(test_101_the_client_must_fail),
        cmocka_unit_test(test_opened_case),
    };
    return cmocka_run_group_tests_name("judge_response", tests, NULL, NULL);
}

/*
 * test_serve_url.c - unit tests for serve_url.c, Autobahn's fuzzingserver URL protocol:
 * every command read from its request-target (origin- and absolute-form), every error
 * of serve_url.def produced by an input and its message checked, percent-decoding at
 * its edges (%zz, %00, a "%4" cut short, '+' against %2B), inputs at and past every
 * bound, case numbers resolved against a small catalogue parsed from text and against
 * the real cases/ directory (case=N and casetuple agree, in numeric id order), and
 * every rendered answer read back through jansson - also for hostile titles and agent
 * names. Every target is parsed from a guard-page buffer without a NUL, so a read past
 * its end faults.
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "report_json.h"
#include "serve_url.h"

/* Parse text[0..n) from a guard-page copy. */
static enum serve_error parse_n(const char *text, size_t n, struct serve_url_request *req)
{
    uint8_t *g = th_guard_copy(text, n);
    memset(req, 0xA5, sizeof *req); /* serve_url_parse must not rely on a zeroed struct */
    enum serve_error e = serve_url_parse((const char *)g, n, req);
    th_guard_free(g, n);
    return e;
}

static enum serve_error parse(const char *text, struct serve_url_request *req)
{
    return parse_n(text, strlen(text), req);
}

/* A message is one line of printable ASCII inside its buffer. */
static void assert_message_line(const struct serve_url_request *req)
{
    size_t n = strnlen(req->message, sizeof req->message);
    assert_true(n < sizeof req->message);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)req->message[i] < 0x20 || (unsigned char)req->message[i] > 0x7E)
            fail_msg("message byte %zu is 0x%02x: '%s'", i, (unsigned char)req->message[i],
                     req->message);
}

/* ------------------------------------------------------------ commands */

static void test_commands(void **state)
{
    (void)state;
    struct serve_url_request r;

    assert_int_equal(parse("/getCaseCount", &r), SERVE_E_OK);
    assert_int_equal(r.cmd, SERVE_CMD_GET_CASE_COUNT);
    assert_int_equal(r.case_by, SERVE_CASE_NONE);
    assert_string_equal(r.agent, "");
    assert_string_equal(r.message, "");
    assert_int_equal(r.n_ignored, 0);

    assert_int_equal(parse("/runCase?case=7&agent=websockets", &r), SERVE_E_OK);
    assert_int_equal(r.cmd, SERVE_CMD_RUN_CASE);
    assert_int_equal(r.case_by, SERVE_CASE_NUMBER);
    assert_int_equal(r.case_number, 7);
    assert_string_equal(r.agent, "websockets");

    /* agent first, casetuple with underscores (the report files' spelling) */
    assert_int_equal(parse("/runCase?agent=A&casetuple=12_1_10", &r), SERVE_E_OK);
    assert_int_equal(r.case_by, SERVE_CASE_ID);
    assert_string_equal(r.case_id, "12.1.10");
    assert_int_equal(parse("/runCase?agent=A&casetuple=+6.4.1+", &r), SERVE_E_OK);
    assert_string_equal(r.case_id, "6.4.1"); /* blanks around it dropped, as Autobahn strips */

    assert_int_equal(parse("/getCaseInfo?case=1", &r), SERVE_E_OK);
    assert_int_equal(r.cmd, SERVE_CMD_GET_CASE_INFO);
    assert_int_equal(r.case_number, 1);
    assert_string_equal(r.agent, ""); /* not read by getCaseInfo */
    assert_int_equal(parse("/getCaseInfo?case=1&agent=x", &r), SERVE_E_OK);
    assert_string_equal(r.agent, "");
    assert_int_equal(r.n_ignored, 1);

    assert_int_equal(parse("/getCaseStatus?casetuple=1.1.1&agent=Chrome%2F120", &r), SERVE_E_OK);
    assert_int_equal(r.cmd, SERVE_CMD_GET_CASE_STATUS);
    assert_string_equal(r.case_id, "1.1.1");
    assert_string_equal(r.agent, "Chrome/120");

    assert_int_equal(parse("/updateReports?agent=a", &r), SERVE_E_OK);
    assert_int_equal(r.cmd, SERVE_CMD_UPDATE_REPORTS);
    assert_false(r.shutdown_on_complete);
    assert_int_equal(parse("/updateReports?agent=a&shutdownOnComplete=true", &r), SERVE_E_OK);
    assert_true(r.shutdown_on_complete);
    assert_int_equal(parse("/updateReports?agent=a&shutdownOnComplete=YES", &r), SERVE_E_OK);
    assert_true(r.shutdown_on_complete);
    assert_int_equal(parse("/updateReports?agent=a&shutdownOnComplete=False", &r), SERVE_E_OK);
    assert_false(r.shutdown_on_complete);
    assert_int_equal(parse("/updateReports?agent=a&shutdownOnComplete=no", &r), SERVE_E_OK);
    assert_false(r.shutdown_on_complete);

    assert_int_equal(parse("/stopServer", &r), SERVE_E_OK);
    assert_int_equal(r.cmd, SERVE_CMD_STOP_SERVER);
    /* parameters a command does not read are ignored, however many */
    assert_int_equal(parse("/stopServer?case=0&case=abc&agent=&x", &r), SERVE_E_OK);
    assert_int_equal(r.n_ignored, 4);
    assert_int_equal(r.case_by, SERVE_CASE_NONE);

    /* a cache-buster, empty pieces and a trailing '&' */
    assert_int_equal(parse("/runCase?&case=2&&agent=a&_=1700000000&", &r), SERVE_E_OK);
    assert_int_equal(r.case_number, 2);
    assert_int_equal(r.n_ignored, 1);
    /* an empty query */
    assert_int_equal(parse("/getCaseCount?", &r), SERVE_E_OK);
    assert_int_equal(r.cmd, SERVE_CMD_GET_CASE_COUNT);

    /* absolute-form, any case of the scheme; an authority with a port and userinfo */
    assert_int_equal(parse("ws://127.0.0.1:9001/runCase?case=3&agent=a", &r), SERVE_E_OK);
    assert_int_equal(r.cmd, SERVE_CMD_RUN_CASE);
    assert_int_equal(r.case_number, 3);
    assert_int_equal(parse("HTTPS://u@h/getCaseCount", &r), SERVE_E_OK);
    assert_int_equal(r.cmd, SERVE_CMD_GET_CASE_COUNT);
    assert_int_equal(parse("wss://h:1?case=1", &r), SERVE_E_DIRECT_MODE); /* path "/" */
    assert_int_equal(r.cmd, SERVE_CMD_OTHER);

    /* leading zeros are a number like any */
    assert_int_equal(parse("/getCaseInfo?case=0012", &r), SERVE_E_OK);
    assert_int_equal(r.case_number, 12);
    assert_int_equal(parse("/getCaseInfo?case=999999999", &r), SERVE_E_OK);
    assert_int_equal(r.case_number, 999999999);

    for (enum serve_cmd c = SERVE_CMD_GET_CASE_COUNT; c <= SERVE_CMD_STOP_SERVER; c++)
        assert_int_equal(serve_cmd_path(c)[0], '/');
    assert_string_equal(serve_cmd_path(SERVE_CMD_OTHER), "");
    assert_string_equal(serve_cmd_path(SERVE_CMD_RUN_CASE), "/runCase");
}

/* ------------------------------------------------------------ errors */

struct bad {
    const char *target;
    enum serve_error error;
    const char *msg; /* must occur in the message */
    size_t at;       /* error_at; SIZE_MAX = not checked */
};

static void check_bad(const struct bad *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct serve_url_request r;
        enum serve_error e = parse(b[i].target, &r);
        if (e != b[i].error || r.error != e || !strstr(r.message, b[i].msg) ||
            (b[i].at != SIZE_MAX && r.error_at != b[i].at))
            fail_msg("%s: got %s at %zu '%s', want %s at %zu '%s'", b[i].target,
                     serve_error_name(e), r.error_at, r.message, serve_error_name(b[i].error),
                     b[i].at, b[i].msg);
        assert_message_line(&r);
        assert_true(serve_error_http_status(e) >= 400);
    }
}

static void test_errors(void **state)
{
    (void)state;
    static const struct bad bad[] = {
        /* the target */
        {"", SERVE_E_TARGET_FORM, "an empty request target", 0},
        {"*", SERVE_E_TARGET_FORM, "*: neither an absolute path", 0},
        {"runCase?case=1", SERVE_E_TARGET_FORM, "neither an absolute path", 0},
        {"ws:///runCase", SERVE_E_TARGET_FORM, "nor an absolute URI", 0}, /* empty authority */
        {"ftp://h/runCase", SERVE_E_TARGET_FORM, "", 0},
        {"h:9001", SERVE_E_TARGET_FORM, "", 0},
        {"/runCase?case=1&agent=a b", SERVE_E_TARGET_BYTE, "byte 0x20 at offset 23", 23},
        {"/runCase?case=1#x", SERVE_E_TARGET_BYTE, "fragment identifiers", 15},
        {"/get\x7f", SERVE_E_TARGET_BYTE, "byte 0x7f at offset 4", 4},
        {"/runCase?agent=\xc3\xa4", SERVE_E_TARGET_BYTE, "byte 0xc3", 15},
        /* direct command mode */
        {"/", SERVE_E_DIRECT_MODE, "/: not a command", 0},
        {"/runcase?case=1&agent=a", SERVE_E_DIRECT_MODE, "/runcase: not a command", 0},
        {"/runCase/?case=1&agent=a", SERVE_E_DIRECT_MODE, "direct command mode", 0},
        {"/run%43ase?case=1&agent=a", SERVE_E_DIRECT_MODE, "/run%43ase", 0}, /* raw path */
        {"/echo", SERVE_E_DIRECT_MODE, "is not supported", 0},
        {"http://h:1/x?y", SERVE_E_DIRECT_MODE, "/x", 10},
        /* repeated and missing parameters */
        {"/runCase?case=1&case=2&agent=a", SERVE_E_PARAM_REPEATED,
         "case given 2 times; give it once", 9},
        {"/runCase?case=1&agent=a&agent=b", SERVE_E_PARAM_REPEATED, "agent given 2 times", 16},
        {"/runCase?casetuple=1.1.1&casetuple=1.1.1&agent=a", SERVE_E_PARAM_REPEATED,
         "casetuple given 2 times", 9},
        {"/updateReports?agent=a&shutdownOnComplete=true&shutdownOnComplete=true",
         SERVE_E_PARAM_REPEATED, "shutdownOnComplete given 2 times", 23},
        {"/runCase?agent=a", SERVE_E_CASE_MISSING, "runCase needs case=N", 0},
        {"/getCaseInfo", SERVE_E_CASE_MISSING, "getCaseInfo needs case=N", 0},
        {"/getCaseStatus?agent=a", SERVE_E_CASE_MISSING, "casetuple=1.2.3", 0},
        {"/runCase?Case=1&agent=a", SERVE_E_CASE_MISSING, "", 0}, /* keys are case-sensitive */
        {"/runCase?case=1", SERVE_E_AGENT_MISSING, "runCase needs agent=NAME", 0},
        {"/getCaseStatus?case=1", SERVE_E_AGENT_MISSING, "getCaseStatus needs agent", 0},
        {"/updateReports", SERVE_E_AGENT_MISSING, "updateReports needs agent", 0},
        {"/updateReports?shutdownOnComplete=true", SERVE_E_AGENT_MISSING, "", 0},
        {"/runCase?case=1&casetuple=1.1.1&agent=a", SERVE_E_CASE_BOTH, "name the case one way", 16},
        /* case and casetuple values */
        {"/runCase?case=0&agent=a", SERVE_E_CASE_ZERO, "case=0: case numbers start at 1", 9},
        {"/runCase?case=000&agent=a", SERVE_E_CASE_ZERO, "start at 1", 9},
        {"/runCase?case=abc&agent=a", SERVE_E_CASE_SYNTAX, "case=abc: not a case number", 9},
        {"/runCase?case=&agent=a", SERVE_E_CASE_SYNTAX, "case=: empty", 9},
        {"/runCase?case&agent=a", SERVE_E_CASE_SYNTAX, "case: empty", 9},
        {"/runCase?case=-1&agent=a", SERVE_E_CASE_SYNTAX, "not a case number", 9},
        {"/runCase?case=%2B1&agent=a", SERVE_E_CASE_SYNTAX, "not a case number", 9},
        {"/runCase?case=+1&agent=a", SERVE_E_CASE_SYNTAX, "not a case number", 9},
        {"/runCase?case=1.1.1&agent=a", SERVE_E_CASE_SYNTAX, "not a case number", 9},
        {"/runCase?case=0x10&agent=a", SERVE_E_CASE_SYNTAX, "not a case number", 9},
        {"/runCase?case=1000000000&agent=a", SERVE_E_CASE_SYNTAX, "larger than any catalogue", 9},
        {"/runCase?case=99999999999999999999999&agent=a", SERVE_E_CASE_SYNTAX, "larger", 9},
        {"/runCase?casetuple=&agent=a", SERVE_E_CASETUPLE_SYNTAX, "not a case id", 9},
        {"/runCase?casetuple=1..1&agent=a", SERVE_E_CASETUPLE_SYNTAX, "not a case id", 9},
        {"/runCase?casetuple=.1&agent=a", SERVE_E_CASETUPLE_SYNTAX, "not a case id", 9},
        {"/runCase?casetuple=1.&agent=a", SERVE_E_CASETUPLE_SYNTAX, "not a case id", 9},
        {"/runCase?casetuple=1.a&agent=a", SERVE_E_CASETUPLE_SYNTAX, "casetuple=1.a", 9},
        {"/runCase?casetuple=1+.1&agent=a", SERVE_E_CASETUPLE_SYNTAX, "not a case id", 9},
        {"/runCase?casetuple=1.2.3.4.5.6.7.8.9.10.11.12&agent=a", SERVE_E_CASETUPLE_SYNTAX,
         "too long for a case id", 9},
        {"/runCase?casetuple=1111111111111111111111111111111111111111111111111111111111111111111"
         "&agent=a",
         SERVE_E_CASETUPLE_SYNTAX, "too long for a case id", 9},
        /* agents */
        {"/runCase?case=1&agent=", SERVE_E_AGENT_EMPTY, "agent=: an empty agent name", 16},
        {"/runCase?case=1&agent", SERVE_E_AGENT_EMPTY, "", 16},
        {"/runCase?case=1&agent=%ff", SERVE_E_AGENT_UTF8, "agent=%ff: agent is not valid UTF-8",
         16},
        {"/runCase?case=1&agent=%c3", SERVE_E_AGENT_UTF8, "not valid UTF-8", 16},
        {"/runCase?case=1&agent=%ed%a0%80", SERVE_E_AGENT_UTF8, "", 16}, /* a surrogate */
        {"/runCase?case=1&agent=a%c2%85b", SERVE_E_CONTROL, "a C1 control character", 16},
        /* shutdownOnComplete */
        {"/updateReports?agent=a&shutdownOnComplete=1", SERVE_E_SHUTDOWN_VALUE,
         "shutdownOnComplete=1: expected true or false", 23},
        {"/updateReports?agent=a&shutdownOnComplete=", SERVE_E_SHUTDOWN_VALUE, "", 23},
        {"/updateReports?agent=a&shutdownOnComplete=truee", SERVE_E_SHUTDOWN_VALUE, "", 23},
        {"/updateReports?agent=a&shutdownOnComplete=verytrueindeed", SERVE_E_SHUTDOWN_VALUE, "",
         23},
    };
    check_bad(bad, sizeof bad / sizeof bad[0]);

    /* the agent's bytes never reach the message raw */
    struct serve_url_request r;
    assert_int_equal(parse("/runCase?case=1&agent=%ff%fe", &r), SERVE_E_AGENT_UTF8);
    assert_string_equal(r.agent, ""); /* nothing half-accepted */
    assert_int_equal(parse("/runCase?case=1&agent=a%c2%9fb", &r), SERVE_E_CONTROL);
    assert_string_equal(r.agent, "");
}

/* ------------------------------------------------------------ percent-decoding */

static void test_percent(void **state)
{
    (void)state;
    static const struct bad bad[] = {
        {"/runCase?case=1&agent=%zz", SERVE_E_PERCENT, "at offset 22", 22},
        {"/runCase?case=1&agent=a%4", SERVE_E_PERCENT, "malformed percent-escape", 23},
        {"/runCase?case=1&agent=a%", SERVE_E_PERCENT, "at offset 23", 23},
        {"/runCase?case=1&agent=%4g", SERVE_E_PERCENT, "", 22},
        {"/runCase?case=1&agent=%g4", SERVE_E_PERCENT, "", 22},
        {"/runCase?case=1&a%=1&agent=x", SERVE_E_PERCENT, "at offset 17", 17}, /* in a key */
        {"/runCase?case=1&x=%&agent=a", SERVE_E_PERCENT, "", 18}, /* an ignored one too */
        {"/getCaseCount?%", SERVE_E_PERCENT, "", 14},
        {"/runCase?case=1&agent=a%00b", SERVE_E_NUL, "decodes to a NUL byte", 23},
        {"/runCase?case=%00&agent=a", SERVE_E_NUL, "", 14},
        {"/runCase?case=1&agent=a%0ab", SERVE_E_CONTROL, "decodes to a control character", 23},
        {"/runCase?case=1&agent=%7f", SERVE_E_CONTROL, "", 22},
        {"/runCase?case=1&agent=%1F", SERVE_E_CONTROL, "", 22},
        {"/runCase?case=1&ag%0aent=a", SERVE_E_CONTROL, "", 18},
        {"/stopServer?cachebust=%09", SERVE_E_CONTROL, "", 22},
    };
    check_bad(bad, sizeof bad / sizeof bad[0]);

    struct serve_url_request r;
    /* '+' is a blank, %2B a plus; hex in either case; %25 a percent sign */
    assert_int_equal(parse("/runCase?case=1&agent=a+b%2Bc%2bd%25e", &r), SERVE_E_OK);
    assert_string_equal(r.agent, "a b+c+d%e");
    /* keys are decoded too */
    assert_int_equal(parse("/runCase?c%61se=4&%61gent=x", &r), SERVE_E_OK);
    assert_int_equal(r.case_number, 4);
    assert_string_equal(r.agent, "x");
    /* values decode before they are read: %31 is "1", '=' inside a value is text */
    assert_int_equal(parse("/runCase?case=%31%32&agent=a=b", &r), SERVE_E_OK);
    assert_int_equal(r.case_number, 12);
    assert_string_equal(r.agent, "a=b");
    assert_int_equal(parse("/runCase?casetuple=9%2E1%2e2&agent=a", &r), SERVE_E_OK);
    assert_string_equal(r.case_id, "9.1.2");
    /* UTF-8 agents pass whole */
    assert_int_equal(parse("/runCase?case=1&agent=M%C3%BCller%20%E2%82%AC%F0%9F%98%80", &r),
                     SERVE_E_OK);
    assert_string_equal(r.agent, "M\xc3\xbcller \xe2\x82\xac\xf0\x9f\x98\x80");
    /* a DEL or control character nowhere in an accepted agent */
    for (unsigned c = 0; c < 0x100; c++) {
        char t[64];
        snprintf(t, sizeof t, "/runCase?case=1&agent=x%%%02X", c);
        enum serve_error e = parse(t, &r);
        bool control = c < 0x20 || c == 0x7F;
        if (c == 0)
            assert_int_equal(e, SERVE_E_NUL);
        else if (control)
            assert_int_equal(e, SERVE_E_CONTROL);
        else if (c >= 0x80)
            assert_int_equal(e, SERVE_E_AGENT_UTF8); /* a lone byte >= 0x80 */
        else
            assert_int_equal(e, SERVE_E_OK);
    }
}

/* ------------------------------------------------------------ bounds */

static void test_bounds(void **state)
{
    (void)state;
    struct serve_url_request r;
    static char t[SERVE_URL_MAX_TARGET + 64];

    /* a target of exactly the bound is read; one byte more is 414 */
    int n = snprintf(t, sizeof t, "/runCase?case=1&agent=a&pad=");
    memset(t + n, 'p', sizeof t - (size_t)n);
    assert_int_equal(parse_n(t, SERVE_URL_MAX_TARGET, &r), SERVE_E_OK);
    assert_int_equal(r.n_ignored, 1);
    assert_int_equal(parse_n(t, SERVE_URL_MAX_TARGET + 1, &r), SERVE_E_TARGET_TOO_LONG);
    assert_int_equal(serve_error_http_status(r.error), 414);
    assert_non_null(strstr(r.message, "2049 bytes; wsspec reads at most 2048"));

    /* an agent of SERVE_URL_MAX_AGENT bytes, written percent-encoded (3 bytes each) */
    n = snprintf(t, sizeof t, "/runCase?case=1&agent=");
    for (int i = 0; i < SERVE_URL_MAX_AGENT; i++)
        n += snprintf(t + n, sizeof t - (size_t)n, "%%%02X", 'a' + i % 26);
    assert_int_equal(parse_n(t, (size_t)n, &r), SERVE_E_OK);
    assert_int_equal(strlen(r.agent), SERVE_URL_MAX_AGENT);
    assert_int_equal(r.agent[SERVE_URL_MAX_AGENT - 1], 'a' + (SERVE_URL_MAX_AGENT - 1) % 26);
    /* one byte more is refused, not cut */
    n += snprintf(t + n, sizeof t - (size_t)n, "z");
    assert_int_equal(parse_n(t, (size_t)n, &r), SERVE_E_AGENT_TOO_LONG);
    assert_non_null(strstr(r.message, "128 bytes; an agent name has at most 127"));
    assert_string_equal(r.agent, "");
    assert_message_line(&r);
    /* a multi-byte character across the bound: still too long, never half a character */
    n = snprintf(t, sizeof t, "/runCase?case=1&agent=");
    for (int i = 0; i < SERVE_URL_MAX_AGENT - 1; i++)
        t[n++] = 'a';
    n += snprintf(t + n, sizeof t - (size_t)n, "%%C3%%A4");
    assert_int_equal(parse_n(t, (size_t)n, &r), SERVE_E_AGENT_TOO_LONG);

    /* SERVE_URL_MAX_PARAMS parameters are read, one more is refused */
    n = snprintf(t, sizeof t, "/runCase?case=1&agent=a");
    for (int i = 2; i < SERVE_URL_MAX_PARAMS; i++)
        n += snprintf(t + n, sizeof t - (size_t)n, "&p%d", i);
    assert_int_equal(parse_n(t, (size_t)n, &r), SERVE_E_OK);
    assert_int_equal(r.n_ignored, SERVE_URL_MAX_PARAMS - 2);
    n += snprintf(t + n, sizeof t - (size_t)n, "&q");
    assert_int_equal(parse_n(t, (size_t)n, &r), SERVE_E_TOO_MANY_PARAMS);
    assert_non_null(strstr(r.message, "more than 32 query parameters"));
    /* empty pieces do not count */
    n = snprintf(t, sizeof t, "/getCaseCount?");
    for (int i = 0; i < 100; i++)
        t[n++] = '&';
    assert_int_equal(parse_n(t, (size_t)n, &r), SERVE_E_OK);

    /* a long key is an unknown key, never a known one cut short */
    n = snprintf(t, sizeof t, "/runCase?case=1&agent=a&");
    for (int i = 0; i < 40; i++)
        t[n++] = 'k';
    n += snprintf(t + n, sizeof t - (size_t)n, "=v");
    assert_int_equal(parse_n(t, (size_t)n, &r), SERVE_E_OK);
    assert_int_equal(r.n_ignored, 1);
    n = snprintf(t, sizeof t, "/runCase?case=1&agent");
    for (int i = 0; i < 40; i++)
        t[n++] = 'x';
    n += snprintf(t + n, sizeof t - (size_t)n, "=v");
    assert_int_equal(parse_n(t, (size_t)n, &r), SERVE_E_AGENT_MISSING);

    /* a long hostile value is quoted cut short, on one line */
    n = snprintf(t, sizeof t, "/runCase?agent=a&case=");
    for (int i = 0; i < 500; i++)
        n += snprintf(t + n, sizeof t - (size_t)n, "%%%02X", 0x80 + i % 0x40);
    assert_int_equal(parse_n(t, (size_t)n, &r), SERVE_E_CASE_SYNTAX);
    assert_message_line(&r);
    assert_non_null(strstr(r.message, "..."));
}

/* Every prefix of a valid target, each from its own guard page: parsing never reads
 * past its input, and each prefix gets an answer from the table. */
static void test_prefixes(void **state)
{
    (void)state;
    static const char *const targets[] = {
        "/runCase?case=12&agent=M%C3%BCller+x",
        "ws://127.0.0.1:9001/updateReports?agent=a&shutdownOnComplete=true",
        "/getCaseStatus?casetuple=6_4_1&agent=%F0%9F%98%80",
    };
    for (size_t k = 0; k < sizeof targets / sizeof targets[0]; k++) {
        size_t len = strlen(targets[k]);
        for (size_t n = 0; n <= len; n++) {
            struct serve_url_request r;
            enum serve_error e = parse_n(targets[k], n, &r);
            assert_int_equal(e, r.error);
            assert_string_not_equal(serve_error_name(e), "UNKNOWN");
            assert_true(e == SERVE_E_OK ? r.message[0] == '\0' : r.message[0] != '\0');
            assert_message_line(&r);
        }
    }
}

/* ------------------------------------------------------------ resolving */

/* A catalogue in numeric id order different from file order, with ids that sort
 * differently as strings ("1.10" after "1.9", "10.1" after "9.1"). */
static const char small_catalogue[] = "section 1 One\n"
                                      "template t title\n"
                                      "  title {title}\n"
                                      "  expectation Nothing.\n"
                                      "  rfc 5.2 MUST \"x\"\n"
                                      "  kill-after 1\n"
                                      "  send frame ping \"\"\n"
                                      "  expect OK pong \"\"\n"
                                      "  close-rule tester 1000 clean\n"
                                      "end\n"
                                      "table t\n"
                                      "  10.1   \"ten one\"\n"
                                      "  1.10   \"one ten\"\n"
                                      "  1.9    \"one nine\"\n"
                                      "  9.1    \"nine one\"\n"
                                      "  1.1.2  \"one one two<br>hidden\"\n"
                                      "  1.1.1  \"one one one\"\n"
                                      "end\n";
static const char *const numeric_order[] = {"1.1.1", "1.1.2", "1.9", "1.10", "9.1", "10.1"};

static void diag(void *ud, const char *msg)
{
    (void)ud;
    print_error("%s\n", msg);
}

static void load_small(struct case_catalogue *cat)
{
    memset(cat, 0, sizeof *cat);
    assert_int_equal(case_parse_buffer(cat, "small.wsc", small_catalogue,
                                       sizeof small_catalogue - 1, diag, NULL),
                     0);
    assert_int_equal(cat->n_cases, 6);
}

static enum serve_error resolve(const char *target, const struct case_catalogue *cat,
                                const size_t *idx, size_t n, size_t *pos,
                                struct serve_url_request *r)
{
    assert_int_equal(parse(target, r), SERVE_E_OK);
    *pos = SIZE_MAX;
    return serve_url_resolve(r, cat, idx, n, pos);
}

static void test_resolve(void **state)
{
    (void)state;
    struct case_catalogue cat;
    load_small(&cat);
    size_t idx[6], pos;
    struct serve_url_request r;
    char t[96];

    /* all: case=N is the N-th in numeric order, and casetuple finds the same N */
    size_t n = case_select(&cat, NULL, NULL, idx);
    assert_int_equal(n, 6);
    for (size_t k = 0; k < n; k++) {
        snprintf(t, sizeof t, "/runCase?case=%zu&agent=a", k + 1);
        assert_int_equal(resolve(t, &cat, idx, n, &pos, &r), SERVE_E_OK);
        assert_int_equal(pos, k);
        assert_string_equal(r.case_id, numeric_order[k]);
        assert_string_equal(cat.cases[idx[pos]].id, numeric_order[k]);
        snprintf(t, sizeof t, "/getCaseInfo?casetuple=%s", numeric_order[k]);
        assert_int_equal(resolve(t, &cat, idx, n, &pos, &r), SERVE_E_OK);
        assert_int_equal(pos, k);
        assert_int_equal(r.case_number, k + 1);
    }
    snprintf(t, sizeof t, "/runCase?case=7&agent=a");
    assert_int_equal(resolve(t, &cat, idx, n, &pos, &r), SERVE_E_CASE_RANGE);
    assert_string_equal(r.message, "case=7: the selection holds 6 cases (1..6)");
    assert_int_equal(serve_error_http_status(r.error), 404);
    assert_int_equal(pos, SIZE_MAX);

    /* a selection: "1.*" minus 1.1.2 -> 1.1.1, 1.9, 1.10 */
    n = case_select(&cat, "1.*", "1.1.2", idx);
    assert_int_equal(n, 3);
    assert_int_equal(resolve("/runCase?case=3&agent=a", &cat, idx, n, &pos, &r), SERVE_E_OK);
    assert_string_equal(r.case_id, "1.10");
    assert_int_equal(resolve("/runCase?case=2&agent=a", &cat, idx, n, &pos, &r), SERVE_E_OK);
    assert_string_equal(r.case_id, "1.9");
    assert_int_equal(resolve("/runCase?case=4&agent=a", &cat, idx, n, &pos, &r),
                     SERVE_E_CASE_RANGE);
    assert_non_null(strstr(r.message, "holds 3 cases"));
    assert_int_equal(resolve("/runCase?casetuple=1_10&agent=a", &cat, idx, n, &pos, &r),
                     SERVE_E_OK);
    assert_int_equal(r.case_number, 3);
    assert_int_equal(resolve("/runCase?casetuple=1.1.2&agent=a", &cat, idx, n, &pos, &r),
                     SERVE_E_CASE_NOT_SELECTED);
    assert_string_equal(r.message, "casetuple=1.1.2: the selection leaves this case out");
    assert_int_equal(resolve("/runCase?casetuple=10.1&agent=a", &cat, idx, n, &pos, &r),
                     SERVE_E_CASE_NOT_SELECTED);
    assert_int_equal(resolve("/runCase?casetuple=1.1.3&agent=a", &cat, idx, n, &pos, &r),
                     SERVE_E_CASE_UNKNOWN);
    assert_string_equal(r.message, "casetuple=1.1.3: the catalogue has no such case");
    /* spelled otherwise than the catalogue spells it: not the same id */
    assert_int_equal(resolve("/runCase?casetuple=1.01.1&agent=a", &cat, idx, n, &pos, &r),
                     SERVE_E_CASE_UNKNOWN);

    /* an empty selection */
    n = case_select(&cat, "99.*", NULL, idx);
    assert_int_equal(n, 0);
    assert_int_equal(resolve("/runCase?case=1&agent=a", &cat, idx, n, &pos, &r),
                     SERVE_E_CASE_RANGE);
    assert_non_null(strstr(r.message, "holds 0 cases"));

    /* a request naming no case */
    assert_int_equal(parse("/getCaseCount", &r), SERVE_E_OK);
    assert_int_equal(serve_url_resolve(&r, &cat, idx, 0, &pos), SERVE_E_CASE_MISSING);

    case_catalogue_free(&cat);
}

/* The real catalogue: numbers in the order `wsspec run` runs (numeric id order), every
 * case reachable both ways, every getCaseInfo answer valid JSON. */
static void test_real_catalogue(void **state)
{
    (void)state;
    struct case_catalogue cat;
    memset(&cat, 0, sizeof cat);
    const char *dir = getenv("WSSPEC_CASES") ? getenv("WSSPEC_CASES") : "cases";
    assert_int_equal(case_parse_dir(&cat, dir, diag, NULL), 0);
    size_t *idx = calloc(cat.n_cases, sizeof *idx);
    assert_non_null(idx);
    size_t n = case_select(&cat, NULL, "12.*,13.*", idx);
    assert_true(n > 300);
    char t[96], out[4096];
    struct serve_url_request r;
    size_t pos;
    for (size_t k = 0; k < n; k++) {
        const struct case_def *d = &cat.cases[idx[k]];
        if (k > 0)
            assert_true(case_id_cmp(cat.cases[idx[k - 1]].id, d->id) < 0);
        snprintf(t, sizeof t, "/runCase?case=%zu&agent=a", k + 1);
        assert_int_equal(resolve(t, &cat, idx, n, &pos, &r), SERVE_E_OK);
        assert_ptr_equal(&cat.cases[idx[pos]], d);
        snprintf(t, sizeof t, "/getCaseStatus?casetuple=%s&agent=a", d->id);
        assert_int_equal(resolve(t, &cat, idx, n, &pos, &r), SERVE_E_OK);
        assert_int_equal(r.case_number, k + 1);

        size_t len = serve_url_info_json(d, out, sizeof out);
        assert_true(len < sizeof out);
        json_error_t je;
        json_t *j = json_loads(out, 0, &je);
        if (!j)
            fail_msg("case %s: %s: %s", d->id, out, je.text);
        assert_string_equal(json_string_value(json_object_get(j, "id")), d->id);
        const char *desc = json_string_value(json_object_get(j, "description"));
        assert_non_null(desc);
        assert_null(strchr(desc, '<'));
        assert_null(strstr(desc, "  "));
        json_decref(j);
    }
    /* the first case of the catalogue is case 1; a case of section 12 is left out */
    assert_int_equal(resolve("/runCase?case=1&agent=a", &cat, idx, n, &pos, &r), SERVE_E_OK);
    assert_string_equal(r.case_id, "1.1.1");
    assert_int_equal(resolve("/runCase?casetuple=12.1.1&agent=a", &cat, idx, n, &pos, &r),
                     SERVE_E_CASE_NOT_SELECTED);
    free(idx);
    case_catalogue_free(&cat);
}

/* ------------------------------------------------------------ rendering */

static json_t *load(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!j)
        fail_msg("not JSON: %s (%s)", text, je.text);
    return j;
}

static void test_render(void **state)
{
    (void)state;
    char out[512];
    assert_int_equal(serve_url_count_json(517, out, sizeof out), 3);
    assert_string_equal(out, "517");
    assert_int_equal(serve_url_count_json(0, out, sizeof out), 1);
    assert_string_equal(out, "0");

    static const struct {
        enum behavior b;
        const char *name;
    } bs[] = {{B_OK, "OK"},
              {B_NON_STRICT, "NON-STRICT"},
              {B_INFORMATIONAL, "INFORMATIONAL"},
              {B_UNIMPLEMENTED, "UNIMPLEMENTED"},
              {B_FAILED, "FAILED"}};
    for (size_t i = 0; i < sizeof bs / sizeof bs[0]; i++) {
        size_t n = serve_url_status_json(bs[i].b, out, sizeof out);
        assert_int_equal(n, strlen(out));
        json_t *j = load(out);
        assert_int_equal(json_object_size(j), 1);
        assert_string_equal(json_string_value(json_object_get(j, "behavior")), bs[i].name);
        json_decref(j);
    }
    serve_url_status_json(B_OK, out, sizeof out);
    assert_string_equal(out, "{\"behavior\": \"OK\"}");

    /* Autobahn's shape: the description is cut at the first tag, blanks coalesced */
    struct case_def d;
    memset(&d, 0, sizeof d);
    snprintf(d.id, sizeof d.id, "6.2.3");
    d.title = "  Send a  text\tmessage\n in 3 fragments. <br><br>MESSAGE:<br>\xce\xba";
    serve_url_info_json(&d, out, sizeof out);
    assert_string_equal(out, "{\"id\": \"6.2.3\", \"description\": \"Send a text message in 3 "
                             "fragments.\"}");
    d.title = NULL; /* no title: an empty description */
    serve_url_info_json(&d, out, sizeof out);
    assert_string_equal(out, "{\"id\": \"6.2.3\", \"description\": \"\"}");
    d.title = "<b>all markup";
    serve_url_info_json(&d, out, sizeof out);
    assert_string_equal(out, "{\"id\": \"6.2.3\", \"description\": \"\"}");

    /* hostile titles: quotes, backslashes, controls, invalid and cut-short UTF-8 */
    static const char *const hostile[] = {
        "say \"hi\" \\ \\\" \\u0000",
        "\x01\x02\x1f\x7f bell\a",
        "bad \xff\xfe utf8 \xc0\xaf overlong \xed\xa0\x80 surrogate",
        "cut short \xe2\x82",
        "\xf4\x90\x80\x80 beyond U+10FFFF",
        "ok \xc3\xa4 \xe2\x82\xac \xf0\x9f\x98\x80",
        "</script><script>alert(1)</script>",
    };
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        d.title = (char *)hostile[i];
        size_t n = serve_url_info_json(&d, out, sizeof out);
        assert_true(n < sizeof out);
        assert_int_equal(n, strlen(out));
        json_t *j = load(out);
        const char *desc = json_string_value(json_object_get(j, "description"));
        assert_non_null(desc);
        json_decref(j);
    }
    d.title = "say \"hi\" \\ x";
    serve_url_info_json(&d, out, sizeof out);
    json_t *j = load(out);
    assert_string_equal(json_string_value(json_object_get(j, "description")), "say \"hi\" \\ x");
    json_decref(j);
    d.title = "a \xff b";
    serve_url_info_json(&d, out, sizeof out);
    j = load(out);
    assert_string_equal(json_string_value(json_object_get(j, "description")), "a \xef\xbf\xbd b");
    json_decref(j);
    d.title = "ok \xc3\xa4";
    serve_url_info_json(&d, out, sizeof out);
    j = load(out);
    assert_string_equal(json_string_value(json_object_get(j, "description")), "ok \xc3\xa4");
    json_decref(j);

    /* too small a buffer: the length needed, and a NUL-terminated prefix */
    d.title = "Send ping";
    size_t need = serve_url_info_json(&d, out, sizeof out);
    for (size_t cap = 0; cap <= need + 1; cap++) {
        char small[64];
        memset(small, 'X', sizeof small);
        assert_int_equal(serve_url_info_json(&d, small, cap), need);
        if (cap) {
            size_t got = strnlen(small, cap);
            assert_int_equal(got, cap - 1 < need ? cap - 1 : need);
            assert_memory_equal(small, out, got);
        }
        assert_int_equal(small[cap], 'X'); /* nothing written past cap */
    }
}

/* Every byte value in an agent name (as a server would put one into JSON) escapes to
 * a JSON string that jansson reads back: as the bytes themselves where they are valid
 * UTF-8, U+FFFD where not. */
static void test_json_string(void **state)
{
    (void)state;
    char in[256], out[2048];
    for (int i = 0; i < 256; i++)
        in[i] = (char)i;
    size_t n = serve_url_json_string(in, sizeof in, out, sizeof out);
    assert_true(n < sizeof out);
    json_t *j = load(out);
    const char *s = json_string_value(j);
    /* 0x00..0x7F come back as themselves, then 128 replacement characters */
    assert_int_equal(json_string_length(j), 128 + 128 * 3);
    assert_memory_equal(s, in, 128);
    for (int i = 0; i < 128; i++)
        assert_memory_equal(s + 128 + 3 * i, "\xef\xbf\xbd", 3);
    json_decref(j);

    serve_url_json_string("a\"b\\c\n\t\x01", 8, out, sizeof out);
    assert_string_equal(out, "\"a\\\"b\\\\c\\n\\t\\u0001\"");
    /* blanks are kept as they are (only descriptions are coalesced) */
    serve_url_json_string("  x  ", 5, out, sizeof out);
    assert_string_equal(out, "\"  x  \"");

    /* a random byte soup: always valid JSON */
    struct th_rng rng = {0x5e7e};
    for (int round = 0; round < 2000; round++) {
        uint8_t b[64];
        size_t len = th_rng_next(&rng) % sizeof b;
        th_rng_bytes(&rng, b, len);
        n = serve_url_json_string((const char *)b, len, out, sizeof out);
        assert_true(n < sizeof out);
        json_decref(load(out));
    }
}

/* The report file stem of agents as they come through the URL (report_json.c). */
static void test_agent_stem(void **state)
{
    (void)state;
    static const struct {
        const char *target, *stem;
    } t[] = {
        {"/runCase?case=1&agent=AutobahnPython%2F0.10.9", "autobahnpython_0_10_9"},
        {"/runCase?case=1&agent=Python%2F3.11+websockets%2F10.4", "python_3_11_websockets_10_4"},
        {"/runCase?case=1&agent=++gws-server%2Fsync%2Fcontext_take_over++",
         "gws_server_sync_context_take_over"},
        {"/runCase?case=1&agent=M%C3%BCller", "m__ller"}, /* each byte of a non-ASCII char */
        {"/runCase?case=1&agent=%21%21%21", ""},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct serve_url_request r;
        assert_int_equal(parse(t[i].target, &r), SERVE_E_OK);
        char stem[160];
        assert_int_equal(report_json_agent_stem(r.agent, stem, sizeof stem), strlen(t[i].stem));
        assert_string_equal(stem, t[i].stem);
    }
    /* the case file name is the stem and the id */
    char name[64];
    report_json_case_filename("Python/3.11 ws", "6.4.3", name, sizeof name);
    assert_string_equal(name, "python_3_11_ws_case_6_4_3.json");
}

/* The table: names, texts and statuses for every row, values unique. */
static void test_error_table(void **state)
{
    (void)state;
    static const enum serve_error all[] = {
#define SERVE_ERROR(name, value, http_status, text) SERVE_E_##name,
#include "serve_url.def"
#undef SERVE_ERROR
    };
    size_t n = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n; i++) {
        assert_string_not_equal(serve_error_name(all[i]), "UNKNOWN");
        assert_true(strlen(serve_error_text(all[i])) > 5);
        int st = serve_error_http_status(all[i]);
        assert_true(i == 0 ? st == 0 : (st == 400 || st == 404 || st == 414));
        for (size_t k = 0; k < i; k++)
            assert_int_not_equal(all[i], all[k]);
    }
    assert_string_equal(serve_error_name(SERVE_E_CASE_RANGE), "CASE_RANGE");
    assert_string_equal(serve_error_name((enum serve_error)999), "UNKNOWN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands),       cmocka_unit_test(test_errors),
        cmocka_unit_test(test_percent),        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_prefixes),       cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_real_catalogue), cmocka_unit_test(test_render),
        cmocka_unit_test(test_json_string),    cmocka_unit_test(test_agent_stem),
        cmocka_unit_test(test_error_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

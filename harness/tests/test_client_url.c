/*
 * test_client_url.c - unit tests for client_url.c, the driver side of the fuzzingserver
 * URL protocol: percent-encoding at every byte value, the request-targets built from
 * base paths with and without slashes, the snprintf-like bounds, agent names that
 * hold the protocol's own delimiters ('&', '=', '+', '%', '#', '?', '/'), blanks and
 * UTF-8 read back by the server's own parser (serve_url_parse) exactly as given, and
 * the getCaseCount answer read from guard-page buffers.
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include <stdio.h>
#include <string.h>

#include "client_url.h"
#include "serve_url.h"

static void test_encode(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(client_url_encode("AZaz09-._~", 10, out, sizeof out), 10);
    assert_string_equal(out, "AZaz09-._~");
    assert_int_equal(client_url_encode("a b&c=d+e%f#g", 13, out, sizeof out), 25);
    assert_string_equal(out, "a%20b%26c%3Dd%2Be%25f%23g");
    assert_int_equal(client_url_encode("\xc3\xa9", 2, out, sizeof out), 6);
    assert_string_equal(out, "%C3%A9");
    /* every byte: unreserved ones as they are, all others as three */
    for (unsigned b = 0; b < 256; b++) {
        char in = (char)b;
        size_t n = client_url_encode(&in, 1, out, sizeof out);
        bool plain = strchr("-._~", (int)b) || (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') ||
                     (b >= 'a' && b <= 'z');
        if (b == 0)
            plain = false;
        assert_int_equal(n, plain ? 1 : 3);
        if (!plain) {
            char want[4];
            snprintf(want, sizeof want, "%%%02X", b);
            assert_string_equal(out, want);
        }
    }
}

static void test_bounds(void **state)
{
    (void)state;
    char out[8];
    memset(out, 'Z', sizeof out);
    /* needs 9 ("a%20b%20c"): cut, NUL-terminated inside the buffer, length told */
    assert_int_equal(client_url_encode("a b c", 5, out, sizeof out), 9);
    assert_int_equal(strlen(out), 7);
    assert_int_equal(client_url_encode("abc", 3, out, 0), 3);
    char small[4];
    assert_int_equal(client_url_target("", CLIENT_URL_COUNT, 0, "", small, sizeof small), 13);
    assert_string_equal(small, "/ge");
}

static void test_targets(void **state)
{
    (void)state;
    char out[256];
    client_url_target("", CLIENT_URL_COUNT, 0, "x", out, sizeof out);
    assert_string_equal(out, "/getCaseCount");
    client_url_target("/", CLIENT_URL_COUNT, 0, "x", out, sizeof out);
    assert_string_equal(out, "/getCaseCount");
    client_url_target("/fuzz//", CLIENT_URL_RUN_CASE, 517, "my agent", out, sizeof out);
    assert_string_equal(out, "/fuzz/runCase?case=517&agent=my%20agent");
    client_url_target("/", CLIENT_URL_UPDATE_REPORTS, 0, "a&b", out, sizeof out);
    assert_string_equal(out, "/updateReports?agent=a%26b");
    client_url_target("/", CLIENT_URL_RUN_CASE, 4294967295u, "a", out, sizeof out);
    assert_string_equal(out, "/runCase?case=4294967295&agent=a");
}

/* The server's parser reads back exactly the agent and case the driver meant. */
static void round_trip(const char *agent, uint32_t case_no)
{
    char target[1024];
    size_t n = client_url_target("/", CLIENT_URL_RUN_CASE, case_no, agent, target, sizeof target);
    assert_true(n < sizeof target);
    struct serve_url_request req;
    enum serve_error e = serve_url_parse(target, n, &req);
    if (e != SERVE_E_OK)
        fail_msg("%s: %s", target, req.message);
    assert_int_equal(req.cmd, SERVE_CMD_RUN_CASE);
    assert_int_equal(req.case_number, case_no);
    assert_string_equal(req.agent, agent);
    assert_int_equal(req.n_ignored, 0);
    n = client_url_target("", CLIENT_URL_UPDATE_REPORTS, 0, agent, target, sizeof target);
    assert_int_equal(serve_url_parse(target, n, &req), SERVE_E_OK);
    assert_int_equal(req.cmd, SERVE_CMD_UPDATE_REPORTS);
    assert_string_equal(req.agent, agent);
}

static void test_round_trip(void **state)
{
    (void)state;
    static const char *const agents[] = {
        "wsspec-client",
        "a b",
        "a&agent=evil",
        "case=2",
        "100%",
        "%41",
        "+plus+",
        "#frag",
        "x/y?z;w",
        "\xc3\xa9t\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80",
        "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0",
        "\"quoted\" <html>",
    };
    for (size_t i = 0; i < sizeof agents / sizeof agents[0]; i++)
        round_trip(agents[i], (uint32_t)i + 1);
    char longest[SERVE_URL_MAX_AGENT + 1];
    memset(longest, '&', SERVE_URL_MAX_AGENT);
    longest[SERVE_URL_MAX_AGENT] = '\0';
    round_trip(longest, 1);
}

/* An agent the server refuses is refused after encoding too (the CLI checks with it). */
static void test_refused_agents(void **state)
{
    (void)state;
    static const struct {
        const char *agent;
        enum serve_error e;
    } bad[] = {
        {"", SERVE_E_AGENT_EMPTY},
        {"tab\there", SERVE_E_CONTROL},
        {"\xff\xfe", SERVE_E_AGENT_UTF8},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char target[256];
        size_t n = client_url_target("", CLIENT_URL_UPDATE_REPORTS, 0, bad[i].agent, target,
                                     sizeof target);
        struct serve_url_request req;
        assert_int_equal(serve_url_parse(target, n, &req), bad[i].e);
    }
}

static bool count_of(const char *text, uint32_t *v)
{
    size_t n = strlen(text);
    uint8_t *g = th_guard_copy(text, n);
    bool ok = client_url_count(g, n, v);
    th_guard_free(g, n);
    return ok;
}

static void test_count(void **state)
{
    (void)state;
    uint32_t v = 7;
    assert_true(count_of("517", &v));
    assert_int_equal(v, 517);
    assert_true(count_of(" 3\r\n", &v));
    assert_int_equal(v, 3);
    assert_true(count_of("0", &v));
    assert_int_equal(v, 0);
    assert_true(count_of("100000", &v));
    assert_int_equal(v, 100000);
    static const char *const bad[] = {
        "", " ", "-1", "+1", "01", "3.0", "1e3", "abc", "3 4", "100001", "9999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = 7;
        assert_false(count_of(bad[i], &v));
        assert_int_equal(v, 7);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode),         cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_targets),        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refused_agents), cmocka_unit_test(test_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

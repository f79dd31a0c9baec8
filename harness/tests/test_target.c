/*
 * test_target.c - unit tests for target_parse (target.c): ws:// and
 * wss:// URLs, their default ports (80 / 443, RFC 6455 section 3) and what the Host
 * header becomes, IPv6 literals, and every refusal with its reason. Only numeric hosts
 * and "localhost" are used, so nothing depends on DNS.
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include <string.h>

#include "tester.h"

static void parse_ok(const char *url, bool secure, const char *host, unsigned port,
                     const char *host_header, const char *resource)
{
    struct target t;
    char err[256] = "";
    int rc = target_parse(url, &t, err, sizeof err);
    if (rc != 0)
        fail_msg("%s: %s", url, err);
    assert_int_equal(t.secure, secure);
    assert_string_equal(t.host, host);
    assert_int_equal(t.port, port);
    assert_string_equal(t.host_header, host_header);
    assert_string_equal(t.resource, resource);
    assert_null(t.tls); /* the caller's to set */
    assert_true(t.addr_len > 0);
}

static void parse_fails(const char *url, const char *reason)
{
    struct target t;
    char err[256] = "";
    assert_int_equal(target_parse(url, &t, err, sizeof err), -1);
    if (!strstr(err, reason))
        fail_msg("%s: reason '%s' does not contain '%s'", url, err, reason);
}

static void test_ws(void **state)
{
    (void)state;
    parse_ok("ws://127.0.0.1:9001/", false, "127.0.0.1", 9001, "127.0.0.1:9001", "/");
    parse_ok("ws://127.0.0.1", false, "127.0.0.1", 80, "127.0.0.1", "/");
    parse_ok("ws://localhost:80/chat?x=1", false, "localhost", 80, "localhost", "/chat?x=1");
    parse_ok("ws://[::1]:9001/p", false, "::1", 9001, "[::1]:9001", "/p");
    parse_ok("ws://127.0.0.1:443/", false, "127.0.0.1", 443, "127.0.0.1:443", "/");
}

static void test_wss(void **state)
{
    (void)state;
    parse_ok("wss://127.0.0.1/", true, "127.0.0.1", 443, "127.0.0.1", "/");
    parse_ok("wss://localhost:9443/chat", true, "localhost", 9443, "localhost:9443", "/chat");
    parse_ok("wss://[::1]/", true, "::1", 443, "[::1]", "/");
    parse_ok("wss://[::1]:8443?q", true, "::1", 8443, "[::1]:8443", "/?q");
    /* port 80 is not the default of wss: it stays in the Host header */
    parse_ok("wss://127.0.0.1:80/", true, "127.0.0.1", 80, "127.0.0.1:80", "/");
}

/* Schemes are case-insensitive (RFC 3986 3.1), hosts too (3.2.2: lower-cased); the
 * path keeps its case. */
static void test_case(void **state)
{
    (void)state;
    parse_ok("WS://127.0.0.1:9001/", false, "127.0.0.1", 9001, "127.0.0.1:9001", "/");
    parse_ok("Wss://LocalHost:9443/Chat?A=B", true, "localhost", 9443, "localhost:9443",
             "/Chat?A=B");
}

/* URLs of 8 KiB and more: the target decides what is too long; past TARGET_URL_MAX
 * wsspec refuses with the bound. */
static void test_long(void **state)
{
    (void)state;
    static char url[TARGET_URL_MAX + 16];
    const char *head = "ws://127.0.0.1:9001/";
    size_t hl = strlen(head);
    memcpy(url, head, hl);
    memset(url + hl, 'a', 8192 - hl);
    url[8192] = '\0';
    parse_ok(url, false, "127.0.0.1", 9001, "127.0.0.1:9001", url + hl - 1);
    memset(url + hl, 'a', TARGET_URL_MAX - 1 - hl);
    url[TARGET_URL_MAX - 1] = '\0';
    parse_ok(url, false, "127.0.0.1", 9001, "127.0.0.1:9001", url + hl - 1);
    url[TARGET_URL_MAX - 1] = 'a';
    url[TARGET_URL_MAX] = '\0';
    parse_fails(url, "URL longer than 16383 bytes");
}

static void test_refusals(void **state)
{
    (void)state;
    parse_fails("http://127.0.0.1/", "unsupported scheme 'http'");
    parse_fails("https://127.0.0.1/", "unsupported scheme 'https'");
    parse_fails("wss://127.0.0.1:0/", "bad port");
    parse_fails("wss://127.0.0.1:65536/", "bad port");
    parse_fails("wss://127.0.0.1:x/", "bad port");
    parse_fails("wss://[::1/", "unterminated IPv6 literal");
    parse_fails("wss:///", "missing or overlong host");
    parse_fails("wss://user@127.0.0.1/", "user information");
    parse_fails("wss://127.0.0.1/#frag", "fragment identifiers");
    parse_fails("ws://127.0.0.1/a b", "URL holds a space at byte 17; percent-encode it");
    parse_fails("ws://127.0.0.1/a\r\nX: y", "URL holds a control character at byte 17");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ws),   cmocka_unit_test(test_wss),      cmocka_unit_test(test_case),
        cmocka_unit_test(test_long), cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_ext.c - Sec-WebSocket-Extensions parsing (ws_ext.c, RFC 6455 section 9.1).
 *
 * Every value is parsed from a guard-page copy, so reading one byte past the value
 * faults. Good values are checked field by field; bad values by the error and the
 * offset of the first bad byte.
 */
#include "th.h"

#include "ws_ext.h"

#include <stdio.h>
#include <string.h>

/* Parse s from a guard-page copy into offers starting at *n. */
static enum ws_error parse_guarded(const char *s, struct ws_ext_offer *offers, size_t cap,
                                   size_t *n, size_t *err_at)
{
    size_t len = strlen(s);
    uint8_t *g = th_guard_copy(s, len);
    enum ws_error e = ws_ext_parse((const char *)g, len, offers, cap, n, err_at);
    th_guard_free(g, len);
    return e;
}

/* The slice holds exactly lit; slices point into a freed guard copy after
 * parse_guarded, so the good-value tests parse from the string itself. */
static void assert_slice(struct ws_slice s, const char *lit)
{
    char buf[256];
    assert_true(s.len < sizeof buf);
    if (s.len)
        memcpy(buf, s.ptr, s.len);
    buf[s.len] = '\0';
    assert_string_equal(buf, lit);
}

static void test_permessage_deflate_offers(void **state)
{
    (void)state;
    const char *v = "permessage-deflate; client_max_window_bits, permessage-deflate; "
                    "server_no_context_takeover; client_max_window_bits=\"10\"";
    struct ws_ext_offer offers[4];
    size_t n = 0, err_at = 999;
    assert_int_equal(ws_ext_parse(v, strlen(v), offers, 4, &n, &err_at), WS_E_OK);
    assert_int_equal(n, 2);
    assert_int_equal(err_at, 999); /* untouched on success */

    assert_slice(offers[0].name, "permessage-deflate");
    assert_int_equal(offers[0].n_params, 1);
    assert_slice(offers[0].params[0].name, "client_max_window_bits");
    assert_null(offers[0].params[0].value.ptr); /* no value at all */
    assert_false(offers[0].params[0].quoted);

    assert_slice(offers[1].name, "permessage-deflate");
    assert_int_equal(offers[1].n_params, 2);
    assert_slice(offers[1].params[0].name, "server_no_context_takeover");
    assert_null(offers[1].params[0].value.ptr);
    assert_slice(offers[1].params[1].name, "client_max_window_bits");
    assert_slice(offers[1].params[1].value, "10");
    assert_true(offers[1].params[1].quoted);
    /* The slice points into the value itself (zero-copy). */
    assert_true(offers[1].params[1].value.ptr > v && offers[1].params[1].value.ptr < v + strlen(v));
}

static void test_token_and_quoted_values(void **state)
{
    (void)state;
    const char *v = "x; a=1; b=\"2\"; c=\"a\\bc\"; d";
    struct ws_ext_offer offers[1];
    size_t n = 0, err_at = 0;
    assert_int_equal(ws_ext_parse(v, strlen(v), offers, 1, &n, &err_at), WS_E_OK);
    assert_int_equal(n, 1);
    assert_int_equal(offers[0].n_params, 4);
    assert_slice(offers[0].params[0].value, "1");
    assert_false(offers[0].params[0].quoted);
    assert_slice(offers[0].params[1].value, "2");
    assert_true(offers[0].params[1].quoted);
    /* The raw text between the quotes, escape included: "a\bc" unescapes to "abc". */
    assert_slice(offers[0].params[2].value, "a\\bc");
    assert_true(offers[0].params[2].quoted);
    assert_null(offers[0].params[3].value.ptr);
}

static void test_ows_and_empty_elements(void **state)
{
    (void)state;
    /* OWS around every separator; empty list elements skipped (the #rule). */
    const char *v = " ,\t, foo \t;\ta = 1 ; b =\t\"x\" ,, ,bar ,";
    struct ws_ext_offer offers[4];
    size_t n = 0, err_at = 0;
    assert_int_equal(ws_ext_parse(v, strlen(v), offers, 4, &n, &err_at), WS_E_OK);
    assert_int_equal(n, 2);
    assert_slice(offers[0].name, "foo");
    assert_int_equal(offers[0].n_params, 2);
    assert_slice(offers[0].params[0].name, "a");
    assert_slice(offers[0].params[0].value, "1");
    assert_slice(offers[0].params[1].name, "b");
    assert_slice(offers[0].params[1].value, "x");
    assert_slice(offers[1].name, "bar");
    assert_int_equal(offers[1].n_params, 0);
}

static void test_appends_after_existing(void **state)
{
    (void)state;
    /* Two header fields are parsed into one array: the second appends. */
    struct ws_ext_offer offers[3];
    size_t n = 0, err_at = 0;
    assert_int_equal(ws_ext_parse("foo", 3, offers, 3, &n, &err_at), WS_E_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ws_ext_parse("bar; baz=2", 10, offers, 3, &n, &err_at), WS_E_OK);
    assert_int_equal(n, 2);
    assert_slice(offers[0].name, "foo");
    assert_slice(offers[1].name, "bar");
    assert_slice(offers[1].params[0].value, "2");
    /* A failed parse leaves *n and the earlier offers alone. */
    assert_int_equal(ws_ext_parse("qux;", 4, offers, 3, &n, &err_at), WS_E_EXTENSION_SYNTAX);
    assert_int_equal(n, 2);
    assert_slice(offers[1].name, "bar");
}

struct bad_case {
    const char *value;
    size_t err_at;
};

static void test_bad_syntax(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"", 0},               /* 1#extension: at least one */
        {" , ,", 4},           /* only empty elements */
        {";foo", 0},           /* no extension-token */
        {"foo;", 4},           /* param name missing at the end */
        {"foo; ;a", 5},        /* empty param */
        {"foo;=1", 4},         /* param without name */
        {"foo bar", 4},        /* two tokens without separator */
        {"foo;a=", 6},         /* "=" without value */
        {"foo;a= ,", 7},       /* "=" without value before a comma */
        {"foo;a=\"\"", 7},     /* quoted empty: not a token */
        {"foo;a=\"x", 8},      /* unterminated quoted string */
        {"foo;a=\"x y\"", 8},  /* SP inside: not a token once unquoted */
        {"foo;a=\"x,y\"", 8},  /* "," is a delimiter, not a tchar */
        {"foo;a=\"\\\"\"", 8}, /* escaped DQUOTE unescapes to a non-tchar */
        {"foo;a=\"\\", 8},     /* backslash at the end */
        {"foo;a=b c", 8},      /* junk after a value */
        {"foo;a=1=2", 7},      /* second "=" */
        {"fo@o", 2},           /* "@" is a delimiter */
        {"foo;a=\"x\"y", 9},   /* junk right after the closing quote */
        {"f\xc3\xa9", 1},      /* non-ASCII in a token */
        {"foo\x01", 3},        /* control */
        {"foo, bar;", 9},      /* second extension broken */
        {"foo;a=(x)", 6},      /* comment syntax is not allowed */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ws_ext_offer offers[4];
        size_t n = 0, err_at = 12345;
        enum ws_error e = parse_guarded(cases[i].value, offers, 4, &n, &err_at);
        if (e != WS_E_EXTENSION_SYNTAX || err_at != cases[i].err_at)
            fail_msg("case %zu \"%s\": got %s at %zu, want EXTENSION_SYNTAX at %zu", i,
                     cases[i].value, ws_error_name(e), err_at, cases[i].err_at);
        assert_int_equal(n, 0);
    }
}

static void test_too_many_offers(void **state)
{
    (void)state;
    struct ws_ext_offer offers[2];
    size_t n = 0, err_at = 0;
    /* cap 2: the third extension has no room; reported at its first byte. */
    assert_int_equal(parse_guarded("a, b, c", offers, 2, &n, &err_at), WS_E_EXTENSION_SYNTAX);
    assert_int_equal(err_at, 6);
    assert_int_equal(n, 0);
    /* Exactly cap fits. */
    assert_int_equal(parse_guarded("a, b", offers, 2, &n, &err_at), WS_E_OK);
    assert_int_equal(n, 2);
    /* No room left at all: fails at the first extension. */
    assert_int_equal(parse_guarded("  c", offers, 2, &n, &err_at), WS_E_EXTENSION_SYNTAX);
    assert_int_equal(err_at, 2);
    assert_int_equal(n, 2);
}

static void test_too_many_params(void **state)
{
    (void)state;
    char v[256];
    size_t len = 0;
    int k = snprintf(v, sizeof v, "x");
    assert_true(k > 0);
    len = (size_t)k;
    size_t at_extra = 0;
    for (int i = 0; i <= WS_EXT_MAX_PARAMS; i++) {
        if (i == WS_EXT_MAX_PARAMS)
            at_extra = len + 1; /* the name after ";" */
        k = snprintf(v + len, sizeof v - len, ";p%d", i);
        assert_true(k > 0 && (size_t)k < sizeof v - len);
        len += (size_t)k;
    }
    struct ws_ext_offer offers[1];
    size_t n = 0, err_at = 0;
    assert_int_equal(parse_guarded(v, offers, 1, &n, &err_at), WS_E_EXTENSION_SYNTAX);
    assert_int_equal(err_at, at_extra);
    /* One fewer is fine. */
    v[at_extra - 1] = '\0';
    assert_int_equal(parse_guarded(v, offers, 1, &n, &err_at), WS_E_OK);
    assert_int_equal(offers[0].n_params, WS_EXT_MAX_PARAMS);
}

/* Every prefix of a good value, each against a guard page: nothing is read past
 * len, and a prefix is either good or fails at a byte inside it or at its end. */
static void test_every_prefix_guarded(void **state)
{
    (void)state;
    const char *v = "permessage-deflate; client_max_window_bits=\"10\"; "
                    "server_max_window_bits=8, x-webkit-deflate-frame";
    size_t len = strlen(v);
    size_t ok = 0;
    for (size_t i = 0; i <= len; i++) {
        uint8_t *g = th_guard_copy(v, i);
        struct ws_ext_offer offers[4];
        size_t n = 0, err_at = SIZE_MAX;
        enum ws_error e = ws_ext_parse((const char *)g, i, offers, 4, &n, &err_at);
        th_guard_free(g, i);
        if (e == WS_E_OK) {
            ok++;
        } else {
            assert_int_equal(e, WS_E_EXTENSION_SYNTAX);
            assert_true(err_at <= i);
        }
    }
    assert_true(ok > 0);
    size_t n = 0, err_at = 0;
    struct ws_ext_offer offers[4];
    assert_int_equal(parse_guarded(v, offers, 4, &n, &err_at), WS_E_OK);
    assert_int_equal(n, 2);
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    struct ws_ext_offer offers[1];
    size_t n = 0, err_at = 0;
    assert_int_equal(ws_ext_parse(NULL, 3, offers, 1, &n, &err_at), WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_ext_parse("a", 1, offers, 1, NULL, &err_at), WS_E_INVALID_ARGUMENT);
    /* A NULL value of length 0 is an empty value: a syntax error, not misuse. */
    assert_int_equal(ws_ext_parse(NULL, 0, offers, 1, &n, &err_at), WS_E_EXTENSION_SYNTAX);
    assert_int_equal(err_at, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_permessage_deflate_offers),
        cmocka_unit_test(test_token_and_quoted_values),
        cmocka_unit_test(test_ows_and_empty_elements),
        cmocka_unit_test(test_appends_after_existing),
        cmocka_unit_test(test_bad_syntax),
        cmocka_unit_test(test_too_many_offers),
        cmocka_unit_test(test_too_many_params),
        cmocka_unit_test(test_every_prefix_guarded),
        cmocka_unit_test(test_invalid_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

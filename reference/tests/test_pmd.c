/*
 * test_pmd.c - permessage-deflate negotiation (ws_pmd.c, RFC 7692 sections 5 and 7.1).
 *
 * Header values are parsed with ws_ext_parse from guard-page copies that stay mapped
 * while the elements are used, so reading one byte past a value faults. Covered: each
 * parameter and every invalid form (ws_pmd_parse), the writer and its round trip, the
 * server's answer to Autobahn's offers (12.x, 13.1-13.7) and to browsers', the effect
 * of each preference, declining invalid offers, every error of the client's check, the
 * side settings, and a property over generated offers: whatever the server answers
 * passes the client's check with the same agreed parameters.
 */
#include "th.h"

#include "ws_pmd.h"

#include <stdio.h>
#include <string.h>

/* One header value parsed into elements; the guard copy lives as long as the elements
 * (they point into it). */
struct parsed {
    uint8_t *guard;
    size_t len;
    struct ws_ext_offer elems[WS_EXT_MAX_OFFERS];
    size_t n;
};

static void parse_value(struct parsed *p, const char *v)
{
    p->len = strlen(v);
    p->guard = th_guard_copy(v, p->len);
    p->n = 0;
    size_t err_at = 0;
    enum ws_error e =
        ws_ext_parse((const char *)p->guard, p->len, p->elems, WS_EXT_MAX_OFFERS, &p->n, &err_at);
    if (e != WS_E_OK)
        fail_msg("\"%s\" is not an extension list (%s at %zu)", v, ws_error_name(e), err_at);
}

static void parsed_free(struct parsed *p)
{
    th_guard_free(p->guard, p->len);
    p->guard = NULL;
}

/* ws_pmd_parse of a one-element value. */
static enum ws_error pmd_parse_str(const char *v, enum ws_pmd_side side, struct ws_pmd_params *out,
                                   size_t *bad)
{
    struct parsed p;
    parse_value(&p, v);
    assert_int_equal(p.n, 1);
    assert_true(ws_pmd_is(&p.elems[0]));
    enum ws_error e = ws_pmd_parse(&p.elems[0], side, out, bad);
    parsed_free(&p);
    return e;
}

static void assert_params(const struct ws_pmd_params *got, const struct ws_pmd_params *want)
{
    if (got->server_no_context_takeover != want->server_no_context_takeover ||
        got->client_no_context_takeover != want->client_no_context_takeover ||
        got->server_max_window_bits != want->server_max_window_bits ||
        got->client_max_window_bits != want->client_max_window_bits ||
        got->client_max_window_bits_bare != want->client_max_window_bits_bare)
        fail_msg("params {snct %d cnct %d smwb %d cmwb %d bare %d}, want {%d %d %d %d %d}",
                 got->server_no_context_takeover, got->client_no_context_takeover,
                 got->server_max_window_bits, got->client_max_window_bits,
                 got->client_max_window_bits_bare, want->server_no_context_takeover,
                 want->client_no_context_takeover, want->server_max_window_bits,
                 want->client_max_window_bits, want->client_max_window_bits_bare);
}

static bool params_equal(const struct ws_pmd_params *a, const struct ws_pmd_params *b)
{
    return a->server_no_context_takeover == b->server_no_context_takeover &&
           a->client_no_context_takeover == b->client_no_context_takeover &&
           a->server_max_window_bits == b->server_max_window_bits &&
           a->client_max_window_bits == b->client_max_window_bits &&
           a->client_max_window_bits_bare == b->client_max_window_bits_bare;
}

/* ------------------------------------------------------------ ws_pmd_parse */

static void test_is_permessage_deflate(void **state)
{
    (void)state;
    struct parsed p;
    parse_value(&p, "permessage-deflate, Permessage-Deflate, permessage-deflatex, "
                    "x-webkit-deflate-frame");
    assert_int_equal(p.n, 4);
    assert_true(ws_pmd_is(&p.elems[0]));
    assert_false(ws_pmd_is(&p.elems[1])); /* byte for byte, as the core compares names */
    assert_false(ws_pmd_is(&p.elems[2]));
    assert_false(ws_pmd_is(&p.elems[3]));
    assert_false(ws_pmd_is(NULL));
    parsed_free(&p);
}

static void test_each_parameter(void **state)
{
    (void)state;
    struct ws_pmd_params got, want;
    size_t bad = 77;
    /* No parameters: all zero, both sides. */
    memset(&want, 0, sizeof want);
    for (int side = 0; side < 2; side++) {
        memset(&got, 0xff, sizeof got); /* zeroed by the call */
        assert_int_equal(pmd_parse_str("permessage-deflate", side, &got, &bad), WS_E_OK);
        assert_params(&got, &want);
    }
    assert_int_equal(bad, 77); /* untouched on success */

    for (int side = 0; side < 2; side++) {
        memset(&want, 0, sizeof want);
        want.server_no_context_takeover = true;
        assert_int_equal(
            pmd_parse_str("permessage-deflate; server_no_context_takeover", side, &got, NULL),
            WS_E_OK);
        assert_params(&got, &want);
        memset(&want, 0, sizeof want);
        want.client_no_context_takeover = true;
        assert_int_equal(
            pmd_parse_str("permessage-deflate;client_no_context_takeover", side, &got, NULL),
            WS_E_OK);
        assert_params(&got, &want);
    }
    /* Every window from 8 to 15, as token and as quoted string, both parameters,
     * both sides. */
    for (int bits = 8; bits <= 15; bits++) {
        for (int form = 0; form < 4; form++) {
            char v[128];
            const char *name = form < 2 ? "server_max_window_bits" : "client_max_window_bits";
            const char *q = form % 2 ? "\"" : "";
            snprintf(v, sizeof v, "permessage-deflate; %s=%s%d%s", name, q, bits, q);
            memset(&want, 0, sizeof want);
            if (form < 2)
                want.server_max_window_bits = (uint8_t)bits;
            else
                want.client_max_window_bits = (uint8_t)bits;
            for (int side = 0; side < 2; side++) {
                assert_int_equal(pmd_parse_str(v, side, &got, NULL), WS_E_OK);
                assert_params(&got, &want);
            }
        }
    }
    /* client_max_window_bits without a value: an offer's "I support it" (7.1.2.2). */
    memset(&want, 0, sizeof want);
    want.client_max_window_bits_bare = true;
    assert_int_equal(
        pmd_parse_str("permessage-deflate; client_max_window_bits", WS_PMD_OFFER, &got, NULL),
        WS_E_OK);
    assert_params(&got, &want);
    /* All four, any order. */
    memset(&want, 0, sizeof want);
    want.server_no_context_takeover = want.client_no_context_takeover = true;
    want.server_max_window_bits = 9;
    want.client_max_window_bits = 12;
    assert_int_equal(pmd_parse_str("permessage-deflate; client_max_window_bits=12; "
                                   "server_max_window_bits=9; client_no_context_takeover; "
                                   "server_no_context_takeover",
                                   WS_PMD_RESPONSE, &got, NULL),
                     WS_E_OK);
    assert_params(&got, &want);
}

struct bad_param {
    const char *value;
    enum ws_pmd_side side;
    enum ws_error e;
    size_t bad;
};

static void test_invalid_forms(void **state)
{
    (void)state;
    static const struct bad_param cases[] = {
        /* duplicates, each parameter, reported at the second */
        {"permessage-deflate; server_no_context_takeover; server_no_context_takeover", WS_PMD_OFFER,
         WS_E_PMD_PARAM_DUPLICATE, 1},
        {"permessage-deflate; client_no_context_takeover; server_max_window_bits=10; "
         "client_no_context_takeover",
         WS_PMD_RESPONSE, WS_E_PMD_PARAM_DUPLICATE, 2},
        {"permessage-deflate; server_max_window_bits=10; server_max_window_bits=10", WS_PMD_OFFER,
         WS_E_PMD_PARAM_DUPLICATE, 1},
        {"permessage-deflate; client_max_window_bits; client_max_window_bits=9", WS_PMD_OFFER,
         WS_E_PMD_PARAM_DUPLICATE, 1},
        {"permessage-deflate; client_max_window_bits=9; client_max_window_bits=9", WS_PMD_RESPONSE,
         WS_E_PMD_PARAM_DUPLICATE, 1},
        /* unknown */
        {"permessage-deflate; foo", WS_PMD_OFFER, WS_E_PMD_PARAM_UNKNOWN, 0},
        {"permessage-deflate; server_no_context_takeover; mux=1", WS_PMD_RESPONSE,
         WS_E_PMD_PARAM_UNKNOWN, 1},
        {"permessage-deflate; Server_No_Context_Takeover", WS_PMD_OFFER, WS_E_PMD_PARAM_UNKNOWN, 0},
        {"permessage-deflate; server_max_window_bit=10", WS_PMD_OFFER, WS_E_PMD_PARAM_UNKNOWN, 0},
        {"permessage-deflate; no_context_takeover", WS_PMD_RESPONSE, WS_E_PMD_PARAM_UNKNOWN, 0},
        /* the first problem in order is the one reported */
        {"permessage-deflate; server_no_context_takeover; foo; server_no_context_takeover",
         WS_PMD_OFFER, WS_E_PMD_PARAM_UNKNOWN, 1},
        {"permessage-deflate; server_max_window_bits=7; foo", WS_PMD_OFFER, WS_E_PMD_PARAM_VALUE,
         0},
        /* a value on a flag */
        {"permessage-deflate; server_no_context_takeover=1", WS_PMD_OFFER, WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate; client_no_context_takeover=\"x\"", WS_PMD_RESPONSE,
         WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate; client_no_context_takeover=true", WS_PMD_OFFER, WS_E_PMD_PARAM_VALUE,
         0},
        /* a missing value */
        {"permessage-deflate; server_max_window_bits", WS_PMD_OFFER, WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate; server_max_window_bits", WS_PMD_RESPONSE, WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate; client_no_context_takeover; client_max_window_bits", WS_PMD_RESPONSE,
         WS_E_PMD_PARAM_VALUE, 1},
        /* out of range, not decimal, leading zero */
        {"permessage-deflate; server_max_window_bits=7", WS_PMD_OFFER, WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate; server_max_window_bits=16", WS_PMD_RESPONSE, WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate; client_max_window_bits=7", WS_PMD_OFFER, WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate; client_max_window_bits=16", WS_PMD_RESPONSE, WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate; server_max_window_bits=08", WS_PMD_OFFER, WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate; client_max_window_bits=010", WS_PMD_OFFER, WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate; server_max_window_bits=0", WS_PMD_OFFER, WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate; server_max_window_bits=1", WS_PMD_OFFER, WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate; server_max_window_bits=100", WS_PMD_OFFER, WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate; server_max_window_bits=265", WS_PMD_OFFER, WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate; server_max_window_bits=4294967306", WS_PMD_OFFER,
         WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate; server_max_window_bits=+9", WS_PMD_OFFER, WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate; server_max_window_bits=-9", WS_PMD_OFFER, WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate; server_max_window_bits=9a", WS_PMD_OFFER, WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate; server_max_window_bits=0x9", WS_PMD_OFFER, WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate; server_max_window_bits=9.0", WS_PMD_OFFER, WS_E_PMD_PARAM_VALUE, 0},
        /* quoted forms: the same rules once unquoted */
        {"permessage-deflate; server_max_window_bits=\"7\"", WS_PMD_OFFER, WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate; server_max_window_bits=\"16\"", WS_PMD_OFFER, WS_E_PMD_PARAM_VALUE,
         0},
        {"permessage-deflate; client_max_window_bits=\"08\"", WS_PMD_OFFER, WS_E_PMD_PARAM_VALUE,
         0},
        {"permessage-deflate; client_max_window_bits=\"1\\6\"", WS_PMD_RESPONSE,
         WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate; client_max_window_bits=\"\\0\\9\"", WS_PMD_OFFER,
         WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate; server_max_window_bits=\"1\\a\"", WS_PMD_OFFER, WS_E_PMD_PARAM_VALUE,
         0},
        {"permessage-deflate; server_max_window_bits=\"x\"", WS_PMD_OFFER, WS_E_PMD_PARAM_VALUE, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ws_pmd_params got;
        memset(&got, 0xff, sizeof got);
        size_t bad = 999;
        enum ws_error e = pmd_parse_str(cases[i].value, cases[i].side, &got, &bad);
        if (e != cases[i].e || bad != cases[i].bad)
            fail_msg("case %zu \"%s\": got %s at %zu, want %s at %zu", i, cases[i].value,
                     ws_error_name(e), bad, ws_error_name(cases[i].e), cases[i].bad);
        struct ws_pmd_params zero = {0};
        assert_params(&got, &zero); /* all zero on error */
    }
}

/* A quoted value is judged after unescaping (RFC 6455 9.1): an escaped digit is a
 * digit. Elements built by hand reach the cases ws_ext_parse never produces. */
static void test_quoted_escapes(void **state)
{
    (void)state;
    struct ws_pmd_params got;
    assert_int_equal(pmd_parse_str("permessage-deflate; server_max_window_bits=\"\\1\\0\"",
                                   WS_PMD_OFFER, &got, NULL),
                     WS_E_OK);
    assert_int_equal(got.server_max_window_bits, 10);
    assert_int_equal(pmd_parse_str("permessage-deflate; client_max_window_bits=\"1\\5\"",
                                   WS_PMD_RESPONSE, &got, NULL),
                     WS_E_OK);
    assert_int_equal(got.client_max_window_bits, 15);
    /* A backslash in a token value is not an escape (ws_ext_parse never makes one, but
     * an element built by hand may). */
    struct ws_ext_offer elem;
    memset(&elem, 0, sizeof elem);
    elem.name = (struct ws_slice){"permessage-deflate", 18};
    elem.n_params = 1;
    elem.params[0].name = (struct ws_slice){"server_max_window_bits", 22};
    elem.params[0].value = (struct ws_slice){"\\9", 2};
    elem.params[0].quoted = false;
    size_t bad = 9;
    assert_int_equal(ws_pmd_parse(&elem, WS_PMD_OFFER, &got, &bad), WS_E_PMD_PARAM_VALUE);
    assert_int_equal(bad, 0);
    /* The same, quoted: 9. */
    elem.params[0].quoted = true;
    assert_int_equal(ws_pmd_parse(&elem, WS_PMD_OFFER, &got, &bad), WS_E_OK);
    assert_int_equal(got.server_max_window_bits, 9);
    /* A quoted value ending in a lone backslash escapes nothing. */
    elem.params[0].value = (struct ws_slice){"9\\", 2};
    assert_int_equal(ws_pmd_parse(&elem, WS_PMD_OFFER, &got, &bad), WS_E_PMD_PARAM_VALUE);
    /* An empty quoted value ("") is not 1*DIGIT. */
    elem.params[0].value = (struct ws_slice){"\"\"", 0};
    assert_int_equal(ws_pmd_parse(&elem, WS_PMD_OFFER, &got, &bad), WS_E_PMD_PARAM_VALUE);
    elem.params[0].quoted = false;
    assert_int_equal(ws_pmd_parse(&elem, WS_PMD_OFFER, &got, &bad), WS_E_PMD_PARAM_VALUE);
    /* Misuse. */
    assert_int_equal(ws_pmd_parse(NULL, WS_PMD_OFFER, &got, &bad), WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_pmd_parse(&elem, WS_PMD_OFFER, NULL, &bad), WS_E_INVALID_ARGUMENT);
}

/* ------------------------------------------------------------ ws_pmd_format */

static void test_format(void **state)
{
    (void)state;
    char out[WS_PMD_FORMAT_MAX];
    struct ws_pmd_params p = {0};
    assert_int_equal(ws_pmd_format(&p, out, sizeof out), 18);
    assert_string_equal(out, "permessage-deflate");

    p.client_max_window_bits_bare = true;
    ws_pmd_format(&p, out, sizeof out);
    assert_string_equal(out, "permessage-deflate; client_max_window_bits");
    p.client_max_window_bits = 11; /* a value wins over bare */
    ws_pmd_format(&p, out, sizeof out);
    assert_string_equal(out, "permessage-deflate; client_max_window_bits=11");

    /* All four, in struct order whatever order they were read in. */
    struct ws_pmd_params all = {true, true, 8, 15, false};
    const char *want = "permessage-deflate; server_no_context_takeover; "
                       "client_no_context_takeover; server_max_window_bits=8; "
                       "client_max_window_bits=15";
    size_t len = ws_pmd_format(&all, out, sizeof out);
    assert_string_equal(out, want);
    assert_int_equal(len, strlen(want));

    /* Any value is written, valid or not (a tester may send 16 on purpose). */
    struct ws_pmd_params odd = {false, false, 255, 7, false};
    ws_pmd_format(&odd, out, sizeof out);
    assert_string_equal(out,
                        "permessage-deflate; server_max_window_bits=255; client_max_window_bits=7");
    /* The longest element fits WS_PMD_FORMAT_MAX. */
    struct ws_pmd_params longest = {true, true, 255, 255, true};
    size_t longest_len = ws_pmd_format(&longest, out, sizeof out);
    assert_true(longest_len > 0 && longest_len < WS_PMD_FORMAT_MAX);

    /* Every cap: 0 until the element and its NUL fit, then the element. */
    for (size_t cap = 0; cap <= len + 1; cap++) {
        char small[WS_PMD_FORMAT_MAX];
        memset(small, 'z', sizeof small);
        size_t got = ws_pmd_format(&all, small, cap);
        if (cap <= len) {
            assert_int_equal(got, 0);
            if (cap > 0)
                assert_int_equal(small[0], '\0');
        } else {
            assert_int_equal(got, len);
            assert_string_equal(small, want);
        }
        assert_int_equal(small[cap], 'z'); /* nothing written past cap */
    }
    assert_int_equal(ws_pmd_format(NULL, out, sizeof out), 0);
    assert_int_equal(ws_pmd_format(&p, NULL, 10), 0);
}

/* Every valid combination written and read back gives the same parameters. */
static void test_format_round_trip(void **state)
{
    (void)state;
    static const uint8_t windows[] = {0, 8, 9, 12, 15};
    size_t checked = 0;
    for (int flags = 0; flags < 8; flags++)
        for (size_t s = 0; s < sizeof windows; s++)
            for (size_t c = 0; c < sizeof windows; c++) {
                struct ws_pmd_params p = {flags & 1, (flags & 2) != 0, windows[s], windows[c],
                                          (flags & 4) && windows[c] == 0};
                char out[WS_PMD_FORMAT_MAX];
                assert_true(ws_pmd_format(&p, out, sizeof out) > 0);
                struct ws_pmd_params back;
                enum ws_pmd_side side =
                    p.client_max_window_bits_bare ? WS_PMD_OFFER : WS_PMD_RESPONSE;
                assert_int_equal(pmd_parse_str(out, side, &back, NULL), WS_E_OK);
                assert_params(&back, &p);
                checked++;
            }
    assert_int_equal(checked, 200);
}

/* ------------------------------------------------------------ server */

/* The server's answer to one header value: the response element, or NULL. */
static const char *answer(const char *offers, const struct ws_pmd_server_prefs *prefs,
                          struct ws_pmd_params *agreed)
{
    static char out[WS_PMD_FORMAT_MAX];
    struct parsed p;
    parse_value(&p, offers);
    memset(out, 'z', sizeof out);
    bool ok = ws_pmd_server_answer(p.elems, p.n, prefs, agreed, out, sizeof out);
    parsed_free(&p);
    if (!ok) {
        assert_string_equal(out, "");
        struct ws_pmd_params zero = {0};
        assert_params(agreed, &zero);
        return NULL;
    }
    /* *agreed is exactly what the response says. */
    struct ws_pmd_params back;
    assert_int_equal(pmd_parse_str(out, WS_PMD_RESPONSE, &back, NULL), WS_E_OK);
    assert_params(&back, agreed);
    return out;
}

static void expect_answer(const char *offers, const struct ws_pmd_server_prefs *prefs,
                          const char *want)
{
    struct ws_pmd_params agreed;
    const char *got = answer(offers, prefs, &agreed);
    if (!want && got)
        fail_msg("\"%s\": answered \"%s\", want a decline", offers, got);
    if (want && !got)
        fail_msg("\"%s\": declined, want \"%s\"", offers, want);
    if (want && strcmp(got, want) != 0)
        fail_msg("\"%s\": answered \"%s\", want \"%s\"", offers, got, want);
}

/* Autobahn's client offers (sections 12 and 13; autobahn-catalogue.md 1.10), answered
 * with zero-filled preferences: what the offer asks for, and nothing more. */
static void test_server_autobahn_offers(void **state)
{
    (void)state;
    static const struct {
        const char *id, *offers, *response;
    } rows[] = {
        {"12.x", "permessage-deflate; client_no_context_takeover; client_max_window_bits",
         "permessage-deflate; client_no_context_takeover"},
        {"13.1", "permessage-deflate; client_no_context_takeover; client_max_window_bits",
         "permessage-deflate; client_no_context_takeover"},
        {"13.2",
         "permessage-deflate; client_no_context_takeover; client_max_window_bits; "
         "server_no_context_takeover",
         "permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
        {"13.3",
         "permessage-deflate; client_no_context_takeover; client_max_window_bits; "
         "server_max_window_bits=9",
         "permessage-deflate; client_no_context_takeover; server_max_window_bits=9"},
        {"13.4",
         "permessage-deflate; client_no_context_takeover; client_max_window_bits; "
         "server_max_window_bits=15",
         "permessage-deflate; client_no_context_takeover; server_max_window_bits=15"},
        {"13.5",
         "permessage-deflate; client_no_context_takeover; client_max_window_bits; "
         "server_no_context_takeover; server_max_window_bits=9",
         "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
         "server_max_window_bits=9"},
        {"13.6",
         "permessage-deflate; client_no_context_takeover; client_max_window_bits; "
         "server_no_context_takeover; server_max_window_bits=15",
         "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
         "server_max_window_bits=15"},
        {"13.7",
         "permessage-deflate; client_no_context_takeover; client_max_window_bits; "
         "server_no_context_takeover; server_max_window_bits=9, "
         "permessage-deflate; client_no_context_takeover; client_max_window_bits; "
         "server_no_context_takeover, "
         "permessage-deflate; client_no_context_takeover; client_max_window_bits",
         "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
         "server_max_window_bits=9"},
    };
    struct ws_pmd_server_prefs prefs = {0};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct ws_pmd_params agreed;
        const char *got = answer(rows[i].offers, &prefs, &agreed);
        if (!got || strcmp(got, rows[i].response) != 0)
            fail_msg("%s: answered \"%s\", want \"%s\"", rows[i].id, got ? got : "(declined)",
                     rows[i].response);
    }
    /* With a server that asks the client for a 10-bit window: every Autobahn offer has
     * client_max_window_bits, so every answer carries it. */
    prefs.client_max_window_bits = 10;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct ws_pmd_params agreed;
        assert_non_null(answer(rows[i].offers, &prefs, &agreed));
        assert_int_equal(agreed.client_max_window_bits, 10);
    }
}

/* What browsers send: Chrome and Firefox offer client_max_window_bits alone. */
static void test_server_browser_offers(void **state)
{
    (void)state;
    struct ws_pmd_server_prefs prefs = {0};
    expect_answer("permessage-deflate; client_max_window_bits", &prefs, "permessage-deflate");
    prefs.client_max_window_bits = 12;
    expect_answer("permessage-deflate; client_max_window_bits", &prefs,
                  "permessage-deflate; client_max_window_bits=12");
    /* A bare offer (Safari's older "permessage-deflate" alone) cannot be asked for a
     * client window: 7.1.2.2, the response MUST NOT include it. */
    expect_answer("permessage-deflate", &prefs, "permessage-deflate");
    /* Alongside the legacy x-webkit-deflate-frame, which is not this function's. */
    expect_answer("x-webkit-deflate-frame, permessage-deflate; client_max_window_bits", &prefs,
                  "permessage-deflate; client_max_window_bits=12");
}

static void test_server_prefs(void **state)
{
    (void)state;
    struct ws_pmd_server_prefs prefs = {0};
    const char *plain = "permessage-deflate";

    prefs.disabled = true;
    expect_answer("permessage-deflate; client_max_window_bits", &prefs, NULL);
    memset(&prefs, 0, sizeof prefs);

    prefs.server_no_context_takeover = true;
    expect_answer(plain, &prefs, "permessage-deflate; server_no_context_takeover");
    memset(&prefs, 0, sizeof prefs);
    prefs.client_no_context_takeover = true;
    expect_answer(plain, &prefs, "permessage-deflate; client_no_context_takeover");
    memset(&prefs, 0, sizeof prefs);

    /* server_max_window_bits: the smaller of offer and prefs; prefs' when not offered. */
    prefs.server_max_window_bits = 10;
    expect_answer("permessage-deflate; server_max_window_bits=12", &prefs,
                  "permessage-deflate; server_max_window_bits=10");
    expect_answer("permessage-deflate; server_max_window_bits=9", &prefs,
                  "permessage-deflate; server_max_window_bits=9");
    expect_answer(plain, &prefs, "permessage-deflate; server_max_window_bits=10");
    memset(&prefs, 0, sizeof prefs);
    expect_answer("permessage-deflate; server_max_window_bits=12", &prefs,
                  "permessage-deflate; server_max_window_bits=12");
    expect_answer(plain, &prefs, plain);

    /* client_max_window_bits: only when offered, the smaller of the two. */
    prefs.client_max_window_bits = 9;
    expect_answer("permessage-deflate; client_max_window_bits=12", &prefs,
                  "permessage-deflate; client_max_window_bits=9");
    expect_answer("permessage-deflate; client_max_window_bits=8", &prefs,
                  "permessage-deflate; client_max_window_bits=8");
    expect_answer("permessage-deflate; client_max_window_bits", &prefs,
                  "permessage-deflate; client_max_window_bits=9");
    expect_answer(plain, &prefs, plain);
    memset(&prefs, 0, sizeof prefs);
    /* Offered with a value, prefs ask nothing: left out (the client keeps to its hint). */
    expect_answer("permessage-deflate; client_max_window_bits=10", &prefs, plain);

    /* Window 8 is honoured (ws_deflate.h: Z_RLE in a 512-byte zlib window). */
    expect_answer("permessage-deflate; server_max_window_bits=8", &prefs,
                  "permessage-deflate; server_max_window_bits=8");
    prefs.server_max_window_bits = 8;
    prefs.client_max_window_bits = 8;
    expect_answer("permessage-deflate; client_max_window_bits", &prefs,
                  "permessage-deflate; server_max_window_bits=8; client_max_window_bits=8");

    /* Prefs with a window outside 8-15: nothing is accepted. */
    static const uint8_t wrong[] = {1, 7, 16, 255};
    for (size_t i = 0; i < sizeof wrong; i++) {
        memset(&prefs, 0, sizeof prefs);
        prefs.server_max_window_bits = wrong[i];
        expect_answer(plain, &prefs, NULL);
        memset(&prefs, 0, sizeof prefs);
        prefs.client_max_window_bits = wrong[i];
        expect_answer("permessage-deflate; client_max_window_bits", &prefs, NULL);
    }
    /* NULL prefs = zero-filled prefs. */
    expect_answer("permessage-deflate; server_no_context_takeover", NULL,
                  "permessage-deflate; server_no_context_takeover");
}

/* Section 7: an invalid offer is declined, and the next one considered. */
static void test_server_declines_invalid_offers(void **state)
{
    (void)state;
    struct ws_pmd_server_prefs prefs = {0};
    expect_answer("permessage-deflate; foo, permessage-deflate; server_max_window_bits=16, "
                  "x-webkit-deflate-frame, permessage-deflate; client_max_window_bits=08, "
                  "permessage-deflate; server_no_context_takeover; server_no_context_takeover, "
                  "permessage-deflate; server_max_window_bits, "
                  "permessage-deflate; client_no_context_takeover",
                  &prefs, "permessage-deflate; client_no_context_takeover");
    /* Only invalid ones, or none at all: declined. */
    expect_answer("permessage-deflate; server_max_window_bits=7, permessage-deflate; x=1", &prefs,
                  NULL);
    expect_answer("x-webkit-deflate-frame, deflate-stream", &prefs, NULL);
    /* A valid offer before an invalid one is taken (first wins). */
    expect_answer("permessage-deflate; server_max_window_bits=11, permessage-deflate; foo", &prefs,
                  "permessage-deflate; server_max_window_bits=11");

    /* Misuse: no room for the response, NULL outputs, NULL elements with a count. */
    struct parsed p;
    parse_value(&p, "permessage-deflate");
    struct ws_pmd_params agreed;
    char small[10];
    assert_false(ws_pmd_server_answer(p.elems, p.n, &prefs, &agreed, small, sizeof small));
    assert_string_equal(small, "");
    char out[WS_PMD_FORMAT_MAX];
    assert_false(ws_pmd_server_answer(p.elems, p.n, &prefs, NULL, out, sizeof out));
    assert_false(ws_pmd_server_answer(p.elems, p.n, &prefs, &agreed, NULL, 0));
    assert_false(ws_pmd_server_answer(NULL, 1, &prefs, &agreed, out, sizeof out));
    assert_false(ws_pmd_server_answer(NULL, 0, &prefs, &agreed, out, sizeof out));
    assert_true(ws_pmd_server_answer(p.elems, p.n, &prefs, &agreed, out, sizeof out));
    parsed_free(&p);
}

/* ------------------------------------------------------------ client */

/* The permessage-deflate offers of a header value, as a client that sent it knows them. */
static size_t offers_of(const char *v, struct ws_pmd_params *offers)
{
    struct parsed p;
    parse_value(&p, v);
    size_t k = 0;
    for (size_t i = 0; i < p.n; i++) {
        if (!ws_pmd_is(&p.elems[i]))
            continue;
        assert_int_equal(ws_pmd_parse(&p.elems[i], WS_PMD_OFFER, &offers[k], NULL), WS_E_OK);
        k++;
    }
    parsed_free(&p);
    return k;
}

/* The client's check of response value resp against the offers of header value offered
 * (NULL: nothing offered). */
static enum ws_error check(const char *offered, const char *resp, bool *accepted,
                           struct ws_pmd_params *agreed, size_t *bad)
{
    struct ws_pmd_params offers[WS_EXT_MAX_OFFERS];
    size_t n_offers = offered ? offers_of(offered, offers) : 0;
    struct parsed p;
    parse_value(&p, resp);
    enum ws_error e = ws_pmd_client_check(p.elems, p.n, offers, n_offers, accepted, agreed, bad);
    parsed_free(&p);
    return e;
}

struct check_case {
    const char *offered, *resp;
    enum ws_error e;
    size_t bad;
};

static void test_client_check_errors(void **state)
{
    (void)state;
    static const struct check_case cases[] = {
        /* answered but never offered (section 5) */
        {NULL, "permessage-deflate", WS_E_PMD_NOT_OFFERED, 0},
        {"x-webkit-deflate-frame", "foo, permessage-deflate", WS_E_PMD_NOT_OFFERED, 1},
        /* more than one element (section 5, RSV1) - reported at the second */
        {"permessage-deflate", "permessage-deflate, permessage-deflate", WS_E_PMD_RESPONSE_TWICE,
         1},
        {"permessage-deflate; client_max_window_bits",
         "foo, permessage-deflate; client_max_window_bits=10, bar, permessage-deflate",
         WS_E_PMD_RESPONSE_TWICE, 3},
        /* parameter rules, side RESPONSE (section 7) */
        {"permessage-deflate", "permessage-deflate; foo", WS_E_PMD_PARAM_UNKNOWN, 0},
        {"permessage-deflate",
         "x, permessage-deflate; server_no_context_takeover; "
         "server_no_context_takeover",
         WS_E_PMD_PARAM_DUPLICATE, 1},
        {"permessage-deflate; client_max_window_bits", "permessage-deflate; client_max_window_bits",
         WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate", "permessage-deflate; server_max_window_bits=16",
         WS_E_PMD_PARAM_VALUE, 0},
        {"permessage-deflate", "permessage-deflate; client_no_context_takeover=1",
         WS_E_PMD_PARAM_VALUE, 0},
        /* client_max_window_bits that no offer had (7.1.2.2) */
        {"permessage-deflate", "permessage-deflate; client_max_window_bits=10",
         WS_E_PMD_CLIENT_BITS_NOT_OFFERED, 0},
        {"permessage-deflate; server_no_context_takeover, permessage-deflate",
         "permessage-deflate; server_no_context_takeover; client_max_window_bits=15",
         WS_E_PMD_CLIENT_BITS_NOT_OFFERED, 0},
        /* what no offer allows (section 7, "does not support the configuration") */
        {"permessage-deflate; server_no_context_takeover", "permessage-deflate",
         WS_E_PMD_UNSUPPORTED, 0},
        {"permessage-deflate; server_max_window_bits=10",
         "permessage-deflate; server_max_window_bits=12", WS_E_PMD_UNSUPPORTED, 0},
        {"permessage-deflate; server_max_window_bits=10", "permessage-deflate",
         WS_E_PMD_UNSUPPORTED, 0},
        {"permessage-deflate; client_max_window_bits=10",
         "permessage-deflate; client_max_window_bits=12", WS_E_PMD_UNSUPPORTED, 0},
        {"permessage-deflate; server_max_window_bits=9, permessage-deflate; "
         "server_max_window_bits=11",
         "permessage-deflate; server_max_window_bits=12", WS_E_PMD_UNSUPPORTED, 0},
        /* each offer fails a different constraint: still none allows it */
        {"permessage-deflate; server_no_context_takeover, "
         "permessage-deflate; server_max_window_bits=9",
         "permessage-deflate; server_max_window_bits=10", WS_E_PMD_UNSUPPORTED, 0},
        {"permessage-deflate; client_max_window_bits=9, permessage-deflate",
         "permessage-deflate; client_max_window_bits=10", WS_E_PMD_UNSUPPORTED, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool accepted = true;
        struct ws_pmd_params agreed;
        memset(&agreed, 0xff, sizeof agreed);
        size_t bad = 999;
        enum ws_error e = check(cases[i].offered, cases[i].resp, &accepted, &agreed, &bad);
        if (e != cases[i].e || bad != cases[i].bad)
            fail_msg("case %zu \"%s\" for \"%s\": got %s at %zu, want %s at %zu", i, cases[i].resp,
                     cases[i].offered ? cases[i].offered : "(no offer)", ws_error_name(e), bad,
                     ws_error_name(cases[i].e), cases[i].bad);
        assert_false(accepted);
        struct ws_pmd_params zero = {0};
        assert_params(&agreed, &zero);
    }
}

static void expect_allowed(const char *offered, const char *resp, const struct ws_pmd_params *want)
{
    bool accepted = false;
    struct ws_pmd_params agreed;
    size_t bad = 999;
    enum ws_error e = check(offered, resp, &accepted, &agreed, &bad);
    if (e != WS_E_OK)
        fail_msg("\"%s\" for \"%s\": %s at %zu, want OK", resp, offered, ws_error_name(e), bad);
    assert_int_equal(bad, 999);
    assert_true(accepted);
    assert_params(&agreed, want);
}

static void test_client_check_allowed(void **state)
{
    (void)state;
    struct ws_pmd_params want = {0};
    expect_allowed("permessage-deflate", "permessage-deflate", &want);
    /* The server MAY add server_no_context_takeover (7.1.1.1), client_no_context_takeover
     * (7.1.1.2), server_max_window_bits (7.1.2.1) unasked. */
    want.server_no_context_takeover = want.client_no_context_takeover = true;
    want.server_max_window_bits = 15;
    expect_allowed("permessage-deflate",
                   "permessage-deflate; server_no_context_takeover; "
                   "client_no_context_takeover; server_max_window_bits=15",
                   &want);
    /* A smaller server window than offered; client bits up to the offered value, any
     * when the offer had the parameter bare. */
    memset(&want, 0, sizeof want);
    want.server_max_window_bits = 9;
    want.client_max_window_bits = 10;
    expect_allowed("permessage-deflate; server_max_window_bits=10; client_max_window_bits=10",
                   "permessage-deflate; server_max_window_bits=9; client_max_window_bits=10",
                   &want);
    want.server_max_window_bits = 0;
    want.client_max_window_bits = 15;
    expect_allowed("permessage-deflate; client_max_window_bits",
                   "permessage-deflate; client_max_window_bits=15", &want);
    /* One allowing offer is enough: a larger server window than the first offer's is
     * fine when another offer did not limit it; a missing server_no_context_takeover
     * is fine when another offer did not demand it. */
    memset(&want, 0, sizeof want);
    want.server_max_window_bits = 12;
    expect_allowed("permessage-deflate; server_max_window_bits=10, permessage-deflate",
                   "permessage-deflate; server_max_window_bits=12", &want);
    memset(&want, 0, sizeof want);
    expect_allowed("permessage-deflate; server_no_context_takeover, permessage-deflate",
                   "permessage-deflate", &want);
    want.client_max_window_bits = 11;
    expect_allowed("permessage-deflate; client_max_window_bits=9, "
                   "permessage-deflate; client_max_window_bits",
                   "permessage-deflate; client_max_window_bits=11", &want);

    /* No permessage-deflate in the response: OK, not accepted; other extensions are
     * not this function's business. */
    bool accepted = true;
    struct ws_pmd_params agreed;
    assert_int_equal(
        check("permessage-deflate", "foo; bar=1, x-webkit-deflate-frame", &accepted, &agreed, NULL),
        WS_E_OK);
    assert_false(accepted);
    assert_int_equal(ws_pmd_client_check(NULL, 0, NULL, 0, &accepted, &agreed, NULL), WS_E_OK);
    assert_false(accepted);
    /* Misuse. */
    assert_int_equal(ws_pmd_client_check(NULL, 1, NULL, 0, &accepted, &agreed, NULL),
                     WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_pmd_client_check(NULL, 0, NULL, 1, &accepted, &agreed, NULL),
                     WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_pmd_client_check(NULL, 0, NULL, 0, NULL, &agreed, NULL),
                     WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_pmd_client_check(NULL, 0, NULL, 0, &accepted, NULL, NULL),
                     WS_E_INVALID_ARGUMENT);
}

/* ------------------------------------------------------------ side settings */

static void test_side_config(void **state)
{
    (void)state;
    struct ws_pmd_side_config s, c;
    struct ws_pmd_params none = {0};
    ws_pmd_side_config(&none, WS_ROLE_SERVER, &s);
    assert_int_equal(s.send_window_bits, 15);
    assert_int_equal(s.recv_window_bits, 15);
    assert_false(s.send_no_context_takeover);
    assert_false(s.recv_no_context_takeover);

    struct ws_pmd_params p = {true, false, 9, 12, false};
    ws_pmd_side_config(&p, WS_ROLE_SERVER, &s);
    ws_pmd_side_config(&p, WS_ROLE_CLIENT, &c);
    /* The server compresses with server_*, inflates what the client sends with client_*. */
    assert_int_equal(s.send_window_bits, 9);
    assert_true(s.send_no_context_takeover);
    assert_int_equal(s.recv_window_bits, 12);
    assert_false(s.recv_no_context_takeover);
    /* The client is the mirror. */
    assert_int_equal(c.send_window_bits, 12);
    assert_false(c.send_no_context_takeover);
    assert_int_equal(c.recv_window_bits, 9);
    assert_true(c.recv_no_context_takeover);

    struct ws_pmd_params q = {false, true, 0, 8, false};
    ws_pmd_side_config(&q, WS_ROLE_CLIENT, &c);
    assert_int_equal(c.send_window_bits, 8);
    assert_true(c.send_no_context_takeover);
    assert_int_equal(c.recv_window_bits, 15);
    assert_false(c.recv_no_context_takeover);
    ws_pmd_side_config(NULL, WS_ROLE_CLIENT, &c); /* NULL agreed = nothing agreed */
    assert_int_equal(c.send_window_bits, 15);
    ws_pmd_side_config(&q, WS_ROLE_CLIENT, NULL); /* no crash */
}

/* ------------------------------------------------------------ property */

/* A random offer element, valid or not, appended to buf. */
static void random_offer(struct th_rng *rng, char *buf, size_t cap)
{
    static const char *const parts[] = {
        "server_no_context_takeover",    "client_no_context_takeover",
        "server_max_window_bits=8",      "server_max_window_bits=9",
        "server_max_window_bits=12",     "server_max_window_bits=15",
        "server_max_window_bits=\"10\"", "client_max_window_bits",
        "client_max_window_bits=8",      "client_max_window_bits=11",
        "client_max_window_bits=15",     "client_max_window_bits=\"9\"",
    };
    static const char *const broken[] = {
        "server_max_window_bits=16",
        "client_max_window_bits=07",
        "foo",
        "server_max_window_bits",
    };
    size_t len = strlen(buf);
    int k = snprintf(buf + len, cap - len, "%spermessage-deflate", len ? ", " : "");
    assert_true(k > 0 && (size_t)k < cap - len);
    unsigned used = 0;
    unsigned n = (unsigned)(th_rng_next(rng) % 5);
    for (unsigned i = 0; i < n; i++) {
        const char *part;
        if (th_rng_next(rng) % 16 == 0) {
            part = broken[th_rng_next(rng) % 4];
        } else {
            size_t j = th_rng_next(rng) % (sizeof parts / sizeof parts[0]);
            unsigned group = j < 2 ? (unsigned)j : j < 7 ? 2u : 3u;
            if (used & (1u << group) && th_rng_next(rng) % 8 != 0)
                continue; /* mostly no duplicates, sometimes one */
            used |= 1u << group;
            part = parts[j];
        }
        len = strlen(buf);
        k = snprintf(buf + len, cap - len, "; %s", part);
        assert_true(k > 0 && (size_t)k < cap - len);
    }
}

/* For generated offer lists and preferences: whatever the server answers parses back to
 * *agreed, passes the client's check against the same (valid) offers with the same
 * agreed parameters, and gives each side the other's settings mirrored. */
static void test_property_answer_passes_client_check(void **state)
{
    (void)state;
    struct th_rng rng = {7692};
    size_t accepted_count = 0, declined = 0;
    for (int iter = 0; iter < 20000; iter++) {
        char header[1024] = "";
        unsigned n_offers = 1 + (unsigned)(th_rng_next(&rng) % 3);
        for (unsigned i = 0; i < n_offers; i++)
            random_offer(&rng, header, sizeof header);
        uint64_t r = th_rng_next(&rng);
        struct ws_pmd_server_prefs prefs = {0};
        prefs.disabled = (r & 0xff) == 0;
        prefs.server_no_context_takeover = (r >> 8) & 1;
        prefs.client_no_context_takeover = (r >> 9) & 1;
        static const uint8_t w[] = {0, 0, 8, 9, 10, 12, 15};
        prefs.server_max_window_bits = w[(r >> 16) % sizeof w];
        prefs.client_max_window_bits = w[(r >> 24) % sizeof w];

        struct parsed p;
        parse_value(&p, header);
        struct ws_pmd_params offers[WS_EXT_MAX_OFFERS], agreed;
        size_t k = 0;
        for (size_t i = 0; i < p.n; i++)
            if (ws_pmd_parse(&p.elems[i], WS_PMD_OFFER, &offers[k], NULL) == WS_E_OK)
                k++;
        char out[WS_PMD_FORMAT_MAX];
        bool ok = ws_pmd_server_answer(p.elems, p.n, &prefs, &agreed, out, sizeof out);
        parsed_free(&p);
        if (ok != (k > 0 && !prefs.disabled))
            fail_msg("\"%s\": answer %d with %zu valid offers", header, ok, k);
        if (!ok) {
            declined++;
            continue;
        }
        accepted_count++;
        /* The client's view: the response parsed as a 101 would carry it. */
        bool acc = false;
        struct ws_pmd_params client_agreed;
        size_t bad = 0;
        struct parsed resp;
        parse_value(&resp, out);
        enum ws_error e =
            ws_pmd_client_check(resp.elems, resp.n, offers, k, &acc, &client_agreed, &bad);
        parsed_free(&resp);
        if (e != WS_E_OK)
            fail_msg("\"%s\" answered \"%s\": client check %s", header, out, ws_error_name(e));
        assert_true(acc);
        assert_true(params_equal(&client_agreed, &agreed));
        assert_false(agreed.client_max_window_bits_bare);
        struct ws_pmd_side_config s, c;
        ws_pmd_side_config(&agreed, WS_ROLE_SERVER, &s);
        ws_pmd_side_config(&client_agreed, WS_ROLE_CLIENT, &c);
        assert_int_equal(s.send_window_bits, c.recv_window_bits);
        assert_int_equal(s.recv_window_bits, c.send_window_bits);
        assert_int_equal(s.send_no_context_takeover, c.recv_no_context_takeover);
        assert_int_equal(s.recv_no_context_takeover, c.send_no_context_takeover);
        /* The server never compresses with a larger window than the first valid offer
         * asked for, nor the client than the server asked for. */
        if (offers[0].server_max_window_bits)
            assert_true(s.send_window_bits <= offers[0].server_max_window_bits);
        if (prefs.server_max_window_bits)
            assert_true(s.send_window_bits <= prefs.server_max_window_bits);
        if (offers[0].server_no_context_takeover || prefs.server_no_context_takeover)
            assert_true(s.send_no_context_takeover);
    }
    /* The generator reaches both outcomes often. */
    assert_true(accepted_count > 5000);
    assert_true(declined > 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_permessage_deflate),
        cmocka_unit_test(test_each_parameter),
        cmocka_unit_test(test_invalid_forms),
        cmocka_unit_test(test_quoted_escapes),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_server_autobahn_offers),
        cmocka_unit_test(test_server_browser_offers),
        cmocka_unit_test(test_server_prefs),
        cmocka_unit_test(test_server_declines_invalid_offers),
        cmocka_unit_test(test_client_check_errors),
        cmocka_unit_test(test_client_check_allowed),
        cmocka_unit_test(test_side_config),
        cmocka_unit_test(test_property_answer_passes_client_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

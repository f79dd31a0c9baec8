/*
 * test_case_select.c - unit tests for case selection (case_select.c): Autobahn's
 * pattern rules ('*' entries anchored at the start only, '.' literal, entries without
 * '*' exact), comma lists with blanks, include minus exclude in catalogue order.
 *
 * Besides hand-picked examples, every pattern over a small alphabet is checked against
 * an independent oracle: the POSIX regex Autobahn's caseset.py builds ("^" + the entry
 * with '.' escaped and '*' as ".*"), so the hand-written glob cannot drift from it.
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "case.h"

static void test_patterns(void **state)
{
    (void)state;
    static const struct {
        const char *patterns, *id;
        bool match;
    } t[] = {
        {"1.*", "1.1.1", true},        {"1.*", "10.1.1", false},
        {"1.*", "1", false},           {"1*", "1.1.1", true},
        {"1*", "10.1.1", true},        {"1*", "12.2.10", true},
        {"1*", "2.1", false},          {"6.4.*", "6.4.1", true},
        {"6.4.*", "6.4.4", true},      {"6.4.*", "6.4", false},
        {"6.4.*", "6.40.1", false},    {"6.4.*", "6.5.1", false},
        {"9.1.1", "9.1.1", true},      {"9.1.1", "9.1.10", false}, /* no '*': exact */
        {"9.1.1", "9.1", false},       {"1.1", "1x1", false},      /* '.' is literal */
        {"1.1*", "1x1", false},        {"1.1*", "1.10.1", true},
        {"*", "6.4.1", true},          {"*.1", "3.1", true},
        {"*1.1", "10.1.1", true}, /* anywhere, as a regex search from the start */
        {"1.*.1", "1.2.1", true},      {"1.*.1", "1.2.10", true}, /* anchored at the start only */
        {"1.*.1", "1.2.2", false},     {"**", "5", true},
        {"2.1, 3.1", "3.1", true},     {" 2.1 ,\t3.1 ", "2.1", true},
        {" 2.1 , 3.1 ", "3.2", false}, {"2.1,,", "2.1", true},
        {"7.*,9.8.6", "9.8.6", true},  {"7.*,9.8.6", "9.8.5", false},
        {"", "1.1.1", true},           {NULL, "1.1.1", true},
        {" , ", "1.1.1", true}, /* no entries: no filter */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (case_id_matches(t[i].id, t[i].patterns) != t[i].match)
            fail_msg("case_id_matches(\"%s\", \"%s\") should be %s", t[i].id,
                     t[i].patterns ? t[i].patterns : "(null)", t[i].match ? "true" : "false");
}

/* Autobahn's rule as a regex: "^" + entry with '.' escaped and '*' -> ".*", matched
 * with search-from-start semantics (regexec finds any match; '^' anchors it). */
static bool oracle(const char *entry, const char *id)
{
    if (!strchr(entry, '*'))
        return strcmp(entry, id) == 0;
    char re[128];
    size_t n = 0;
    re[n++] = '^';
    for (const char *c = entry; *c; c++) {
        if (*c == '.') {
            re[n++] = '\\';
            re[n++] = '.';
        } else if (*c == '*') {
            re[n++] = '.';
            re[n++] = '*';
        } else {
            re[n++] = *c;
        }
    }
    re[n] = '\0';
    regex_t r;
    assert_int_equal(regcomp(&r, re, REG_NOSUB), 0);
    bool m = regexec(&r, id, 0, NULL, 0) == 0;
    regfree(&r);
    return m;
}

static void test_patterns_against_regex(void **state)
{
    (void)state;
    static const char alpha[] = "1.0*";
    static const char *const ids[] = {"1",     "10",     "1.1",    "1.0", "10.1", "1.10", "0.1.1",
                                      "1.1.1", "1.10.0", "10.0.1", "11",  "0",    ""};
    char pat[8];
    size_t checked = 0;
    /* every pattern of length 1..5 over the alphabet */
    for (size_t len = 1; len <= 5; len++) {
        size_t total = 1;
        for (size_t k = 0; k < len; k++)
            total *= sizeof alpha - 1;
        for (size_t code = 0; code < total; code++) {
            size_t c = code;
            for (size_t k = 0; k < len; k++) {
                pat[k] = alpha[c % (sizeof alpha - 1)];
                c /= sizeof alpha - 1;
            }
            pat[len] = '\0';
            for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
                if (!ids[i][0])
                    continue;
                bool want = oracle(pat, ids[i]);
                if (case_id_matches(ids[i], pat) != want)
                    fail_msg("pattern '%s' id '%s': want %d", pat, ids[i], want);
                checked++;
            }
        }
    }
    assert_true(checked > 10000);
}

static void test_select(void **state)
{
    (void)state;
    static const char *const ids[] = {"9.8.6", "1.1.2", "10.1.1", "6.4.2", "2.1",
                                      "1.1.1", "6.4.1", "12.1.1", "6.4"};
    char text[8192];
    size_t at = 0;
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        at += (size_t)snprintf(text + at, sizeof text - at,
                               "case %s\n  title T\n  expectation E\n  rfc 5 MUST \"S\"\n"
                               "  expect OK\n  close-rule me 1000\nend\n",
                               ids[i]);
    struct case_catalogue cat;
    memset(&cat, 0, sizeof cat);
    assert_int_equal(case_parse_buffer(&cat, "t.wsc", text, at, NULL, NULL), 0);
    assert_int_equal(cat.n_cases, 9);
    static const struct {
        const char *include, *exclude, *want;
    } t[] = {
        {NULL, NULL, "1.1.1 1.1.2 2.1 6.4 6.4.1 6.4.2 9.8.6 10.1.1 12.1.1"},
        {"", "", "1.1.1 1.1.2 2.1 6.4 6.4.1 6.4.2 9.8.6 10.1.1 12.1.1"},
        {"1.*", NULL, "1.1.1 1.1.2"},
        {"1*", NULL, "1.1.1 1.1.2 10.1.1 12.1.1"},
        {"6.4.*", NULL, "6.4.1 6.4.2"},
        {"6.4", NULL, "6.4"},
        {"6.4*", NULL, "6.4 6.4.1 6.4.2"},
        {" 2.1 , 9.8.6,1.1.1 ", NULL, "1.1.1 2.1 9.8.6"},
        {"1*", "1*", ""},
        {"1*", "12.*", "1.1.1 1.1.2 10.1.1"},
        {NULL, "1*, 6.4.*", "2.1 6.4 9.8.6"},
        {"6.*", "6.4.2", "6.4 6.4.1"},
        {"7.*", NULL, ""},
        {"99.1", NULL, ""},
        {NULL, " , ", "1.1.1 1.1.2 2.1 6.4 6.4.1 6.4.2 9.8.6 10.1.1 12.1.1"},
    };
    size_t idx[9];
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        memset(idx, 0xff, sizeof idx);
        size_t n = case_select(&cat, t[i].include, t[i].exclude, idx);
        char got[256] = "";
        size_t g = 0;
        for (size_t k = 0; k < n; k++) {
            assert_true(idx[k] < cat.n_cases);
            if (k)
                assert_true(idx[k] > idx[k - 1]); /* catalogue order */
            g += (size_t)snprintf(got + g, sizeof got - g, "%s%s", k ? " " : "",
                                  cat.cases[idx[k]].id);
        }
        if (strcmp(got, t[i].want) != 0)
            fail_msg("include '%s' exclude '%s': got '%s', want '%s'",
                     t[i].include ? t[i].include : "(null)", t[i].exclude ? t[i].exclude : "(null)",
                     got, t[i].want);
    }
    case_catalogue_free(&cat);

    struct case_catalogue empty;
    memset(&empty, 0, sizeof empty);
    assert_int_equal(case_select(&empty, NULL, NULL, idx), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_patterns),
        cmocka_unit_test(test_patterns_against_regex),
        cmocka_unit_test(test_select),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

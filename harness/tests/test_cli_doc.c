/*
 * test_cli_doc.c - a subcommand's description rendered as --help and as roff
 * (reference/echo/cli_doc.c): wrapping at 80 columns with continuation lines under
 * the help column, "(repeatable)", group intros, roff escapes (backslash, a minus at a
 * word's start, a line that would begin with '.'), one .TP per option with its tag, a
 * synopsis of several forms, a list of terms, and the real tables of `wsspec run`,
 * serve, client, load and fuzz: --help and the man page name the same options
 * (tests/itest_man.sh checks every subcommand through the binary).
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echo/cli_doc.h"
#include "client_cmd.h"
#include "fuzz_cmd.h"
#include "load_cmd.h"
#include "run_cmd.h"
#include "serve_cmd.h"

/* What fn wrote to a memory stream, NUL-terminated; the caller frees it. */
static char *render(void (*fn)(FILE *, const void *), const void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    fn(f, arg);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void help_of(FILE *f, const void *d)
{
    cli_doc_help(f, d);
}

static void man_of(FILE *f, const void *d)
{
    cli_doc_man(f, d, "does things", "2026-01-01", "9.9");
}

static void roff_of(FILE *f, const void *s)
{
    cli_doc_roff(f, s);
}

static const char *const intros[] = {"", "Second group: its intro paragraph."};
static const struct cli_opt opts[] = {
    {"alpha", 'a', "N", 1, 0,
     "a help text long enough to be wrapped over more than one line of eighty columns, "
     "with words that go on and on"},
    {"beta", 0, NULL, 4, 1, "repeat me"},
};
static const char *const paras[] = {"First paragraph.", NULL};
static const char *const examples[] = {"wsspec demo --beta", "run it", NULL};
static const struct cli_doc demo = {
    .name = "demo",
    .synopsis = "[options]",
    .description = paras,
    .group_intro = intros,
    .n_groups = 2,
    .opts = opts,
    .n_opts = 2,
    .exit_status = "Exit status: 0.",
    .examples = examples,
};

static void test_help_layout(void **state)
{
    (void)state;
    char *h = render(help_of, &demo);
    assert_non_null(strstr(h, "usage: wsspec demo [options]\n"));
    assert_non_null(strstr(h, "  -a, --alpha N          a help text"));
    assert_non_null(strstr(h, "\nSecond group: its intro paragraph.\n  --beta  "));
    assert_non_null(strstr(h, "repeat me (repeatable)\n"));
    /* no line longer than 80 columns; continuation lines start at the help column */
    for (char *line = h, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        assert_non_null(nl);
        assert_true(nl - line <= 80);
    }
    assert_non_null(strstr(h, "\n                         "));
    assert_non_null(strstr(h, "\nExit status: 0.\n"));
    free(h);
}

static void test_man_layout(void **state)
{
    (void)state;
    char *m = render(man_of, &demo);
    assert_non_null(strstr(m, ".TH WSSPEC\\-DEMO 1 \"2026-01-01\" \"wsspec 9.9\""));
    assert_non_null(strstr(m, ".SH NAME\nwsspec\\-demo \\- does things\n"));
    assert_non_null(strstr(m, ".TP\n\\fB\\-a\\fR, \\fB\\-\\-alpha\\fR \\fIN\\fR\n"));
    assert_non_null(strstr(m, ".PP\nSecond group: its intro paragraph.\n.TP\n\\fB\\-\\-beta\\fR\n"
                              "repeat me\n(repeatable)\n"));
    assert_non_null(strstr(m, ".SH EXAMPLES\n.TP\n\\fBwsspec demo \\-\\-beta\\fR\nrun it\n"));
    free(m);
}

/* Forms of the synopsis one per line; terms after the options, before the notes. */
static const struct cli_operand terms[] = {{"kind_a", "the first kind"}, {"b", "the second"}};
static const char *const notes[] = {"A note.", NULL};
static const struct cli_doc forms = {
    .name = "demo",
    .synopsis = "URL [options]\n--merge FILE...",
    .description = paras,
    .group_intro = intros,
    .n_groups = 1,
    .opts = opts,
    .n_opts = 1,
    .terms_intro = "Kinds:",
    .terms = terms,
    .n_terms = 2,
    .notes = notes,
    .exit_status = "Exit status: 0.",
};

static void test_forms_and_terms(void **state)
{
    (void)state;
    char *h = render(help_of, &forms);
    assert_true(strncmp(h,
                        "usage: wsspec demo URL [options]\n"
                        "       wsspec demo --merge FILE...\n\n",
                        strlen("usage: wsspec demo URL [options]\n"
                               "       wsspec demo --merge FILE...\n\n")) == 0);
    assert_non_null(strstr(h, "\nKinds:\n  kind_a                 the first kind\n"
                              "  b                      the second\n\nA note.\n"));
    free(h);
    char *m = render(man_of, &forms);
    assert_non_null(strstr(m, ".SH SYNOPSIS\n.B wsspec demo\nURL [options]\n.br\n"
                              ".B wsspec demo\n\\-\\-merge FILE...\n.SH DESCRIPTION\n"));
    assert_non_null(strstr(m, ".SH NOTES\n.PP\nKinds:\n.TP\n\\fBkind_a\\fR\nthe first kind\n"
                              ".TP\n\\fBb\\fR\nthe second\n.PP\nA note.\n.SH EXIT STATUS\n"));
    free(m);
}

static void test_roff_escapes(void **state)
{
    (void)state;
    char *r = render(roff_of, "a\\b -x --long non-strict 'q' (-y)");
    assert_string_equal(r, "a\\eb \\-x \\-\\-long non-strict 'q' (\\-y)\n");
    free(r);
    r = render(roff_of, ".starts with a dot");
    assert_string_equal(r, "\\&.starts with a dot\n");
    free(r);
    r = render(roff_of, "'quote first");
    assert_string_equal(r, "\\&'quote first\n");
    free(r);
}

/* A real table: every option --help prints has its .TP tag in the man page. */
static void check_same_options(const struct cli_doc *d)
{
    char *h = render(help_of, d), *m = render(man_of, d);
    assert_true(d->n_opts > 0);
    for (size_t i = 0; i < d->n_opts; i++) {
        char want[128], tag[128];
        snprintf(want, sizeof want, "--%s", d->opts[i].lng);
        assert_non_null(strstr(h, want));
        size_t n = 0;
        n += (size_t)snprintf(tag + n, sizeof tag - n, "\\fB\\-\\-");
        for (const char *p = d->opts[i].lng; *p && n + 3 < sizeof tag; p++)
            n += (size_t)snprintf(tag + n, sizeof tag - n, *p == '-' ? "\\-" : "%c", *p);
        snprintf(tag + n, sizeof tag - n, "\\fR");
        if (!strstr(m, tag))
            fail_msg("the man page of %s lacks %s", d->name, tag);
    }
    free(h);
    free(m);
}

static void test_real_tables(void **state)
{
    (void)state;
    check_same_options(&run_doc);
    check_same_options(&serve_doc);
    check_same_options(&client_doc);
    check_same_options(&load_doc);
    check_same_options(&fuzz_doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_layout),     cmocka_unit_test(test_man_layout),
        cmocka_unit_test(test_forms_and_terms), cmocka_unit_test(test_roff_escapes),
        cmocka_unit_test(test_real_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_case_vocab.c - the vocabulary table (case_vocab.def) as a whole, and
 * cases/README.md against it.
 *
 * The table: names unique, every row described, lookups finding every row and nothing
 * else, every line that takes options taking at least one, the "did you mean" of lint.
 *
 * The README: its tables whose first column is `directive`, `step`, `option` or
 * `policy` must document every row of the table and no word that is not a row (a
 * policy with its survey value); the `taken by`
 * column of the option table must say exactly where the row allows the option; an
 * option written into a directive's or step's signature (`[fragment=N]`) must be a
 * row allowed on that line; and every example block must parse without an error.
 * The checker runs on the real README and, to show it can fail, on copies with a row
 * deleted, a word added and a `taken by` list changed.
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "case_vocab.h"

/* ---------------------------------------------------------------------------------
 * The table.
 */

static void test_rows_unique_and_described(void **state)
{
    (void)state;
    size_t ends = 0;
    for (int i = 0; i < CD_N; i++) {
        const struct case_directive_row *r = &case_vocab_directives[i];
        assert_true(strlen(r->name) > 0 && strlen(r->text) > 0);
        assert_int_equal(case_vocab_directive(r->name, strlen(r->name)), i);
        ends += r->where == CV_END;
        /* only case bodies have needs or a once-only rule */
        if (r->where != CV_BODY)
            assert_true(r->need == CV_OPTIONAL && r->repeat == CV_MANY);
    }
    assert_int_equal(ends, 1);
    for (int i = 0; i < CS_N; i++) {
        const struct case_send_row *r = &case_vocab_sends[i];
        assert_true(strlen(r->name) > 0 && strlen(r->text) > 0 && strlen(r->args) > 0);
        assert_int_equal(case_vocab_send(r->name, strlen(r->name)), i);
    }
    for (int i = 0; i < CO_N; i++) {
        const struct case_option_row *r = &case_vocab_options[i];
        assert_true(strlen(r->name) > 0 && strlen(r->text) > 0);
        assert_int_equal(case_vocab_option(r->name, strlen(r->name)), i);
        assert_true(r->in != 0 && (r->in >> CTX_N) == 0);
        assert_true(r->arg == CV_FLAG ? r->value[0] == '\0' : r->value[0] != '\0');
        assert_null(strchr(r->name, '='));
    }
    for (int i = 0; i < CK_N; i++) {
        const struct case_check_row *r = &case_vocab_checks[i];
        assert_true(strlen(r->name) > 0 && strlen(r->text) > 0);
        assert_int_equal(case_vocab_check(r->name, strlen(r->name)), i);
    }
    assert_int_equal(case_vocab_check("stat", 4), -1);
    for (int i = 0; i < CP_N; i++) {
        const struct case_policy_row *r = &case_vocab_policies[i];
        char err[256];
        assert_true(strlen(r->name) > 0 && strlen(r->text) > 0);
        assert_int_equal(case_vocab_policy(r->name, strlen(r->name)), i);
        /* the survey value is a value the user could declare */
        if (!case_vocab_policy_value_ok(r->kind, r->survey, err, sizeof err))
            fail_msg("survey value of %s: %s", r->name, err);
        /* a policy name is no template parameter name and no option */
        assert_int_equal(case_vocab_option(r->name, strlen(r->name)), -1);
    }
    assert_int_equal(case_vocab_policy("max-message", 11), -1);
    assert_int_equal(case_vocab_directive("sned", 4), -1);
    assert_int_equal(case_vocab_directive("send", 3), -1); /* "sen": a prefix is no word */
    assert_int_equal(case_vocab_send("frames", 6), -1);
    assert_int_equal(case_vocab_option("fin=", 4), -1);
}

static void test_contexts(void **state)
{
    (void)state;
    for (int c = 0; c < CTX_N; c++) {
        assert_non_null(case_vocab_ctx_name((enum case_ctx)c));
        assert_true(case_vocab_options_in((enum case_ctx)c) != 0);
    }
    assert_null(case_vocab_ctx_name(CTX_N));
    assert_string_equal(case_vocab_ctx_name(CTX_SEND_FRAME), "send frame");
    assert_string_equal(case_vocab_ctx_name(CTX_EXPECT_SIZE), "expect size");
    assert_int_equal(case_vocab_options_in(CTX_WAIT), 1u << CO_TAG);
    assert_int_equal(case_vocab_options_in(CTX_SEND_RAW),
                     1u << CO_CHOP | 1u << CO_PIPELINED | 1u << CO_PAUSE);
    assert_int_equal(case_vocab_options_in(CTX_REQUEST_WRITE),
                     1u << CO_CHOP | 1u << CO_GAP | 1u << CO_NEVER);
    assert_string_equal(case_vocab_ctx_name(CTX_REQUEST_WRITE), "request-write");

    char list[128];
    case_vocab_send_list(list, sizeof list);
    assert_string_equal(list, "frame, message, begin, payload, raw or close");
    case_vocab_check_list(list, sizeof list);
    assert_string_equal(list, "status, header, accept, protocol-offered or extensions-offered");
    char small[8];
    case_vocab_send_list(small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1); /* cut, still terminated */
}

/* What `wsspec run --NAME VALUE` takes, by kind: every value a case line can hold. */
static void test_policy_values(void **state)
{
    (void)state;
    static const struct {
        enum case_policy_kind kind;
        const char *v;
        bool ok;
    } t[] = {
        {CV_BYTES, "1", true},
        {CV_BYTES, "65536", true},
        {CV_BYTES, "4294967296", true},
        {CV_BYTES, "4294967297", false},
        {CV_BYTES, "0", false},
        {CV_BYTES, "", false},
        {CV_BYTES, "-1", false},
        {CV_BYTES, "1e6", false},
        {CV_BYTES, "64K", false},
        {CV_BYTES, "99999999999999999999999", false},
        {CV_SECONDS, "1", true},
        {CV_SECONDS, "0.5", true},
        {CV_SECONDS, "3600", true},
        {CV_SECONDS, "3600.5", false},
        {CV_SECONDS, "0", false},
        {CV_SECONDS, "1.2.3", false},
        {CV_SECONDS, ".", false},
        {CV_SECONDS, "1e3", false},
        {CV_SECONDS, "", false},
        {CV_ORIGIN, "https://app.example", true},
        {CV_ORIGIN, "null", true},
        {CV_ORIGIN, "http://evil.example:8080", true},
        {CV_ORIGIN, "", false},
        {CV_ORIGIN, "http://a b", false},
        {CV_ORIGIN, "http://a\"b", false},
        {CV_ORIGIN, "http://a\\b", false},
        {CV_ORIGIN, "http://a\rb", false},
        {CV_ORIGIN, "http://\xc3\xa9", false},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char err[256] = "";
        bool ok = case_vocab_policy_value_ok(t[i].kind, t[i].v, err, sizeof err);
        if (ok != t[i].ok)
            fail_msg("value '%s' (kind %d): %s, want %s", t[i].v, (int)t[i].kind,
                     ok ? "accepted" : err, t[i].ok ? "accepted" : "refused");
        if (!ok && !strstr(err, "needs"))
            fail_msg("refusal of '%s' does not say what is needed: %s", t[i].v, err);
    }
    char big[300];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char err[256];
    assert_false(case_vocab_policy_value_ok(CV_ORIGIN, big, err, sizeof err));
}

static void test_nearest(void **state)
{
    (void)state;
    static const struct {
        const char *word, *want;
    } directives[] = {
        {"sned", "send"},
        {"titel", "title"},
        {"expct", "expect"},
        {"clsoe-rule", "close-rule"},
        {"kill-afer", "kill-after"},
        {"bogus", NULL},
        {"send", NULL}, /* a name is no misspelling */
        {"", NULL},
        {"x", NULL},
        {"ed", NULL},
        {"informationalxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", NULL},
    };
    for (size_t i = 0; i < sizeof directives / sizeof directives[0]; i++) {
        const char *got = case_vocab_nearest_directive(directives[i].word);
        if (directives[i].want == NULL ? got != NULL
                                       : got == NULL || strcmp(got, directives[i].want) != 0)
            fail_msg("nearest directive to '%s': '%s', want '%s'", directives[i].word,
                     got ? got : "(none)", directives[i].want ? directives[i].want : "(none)");
    }
    assert_string_equal(case_vocab_nearest_option("fni"), "fin");
    assert_string_equal(case_vocab_nearest_option("fragmnet"), "fragment");
    assert_null(case_vocab_nearest_option("bogus"));
}

/* ---------------------------------------------------------------------------------
 * The README check.
 */

#define CELLS_MAX 8
#define CELL_BYTES 512

struct report {
    char text[4096];
    size_t problems;
};

static void problem(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct report *r, const char *fmt, ...)
{
    size_t at = strlen(r->text);
    va_list ap;
    va_start(ap, fmt);
    if (at < sizeof r->text - 1)
        vsnprintf(r->text + at, sizeof r->text - at, fmt, ap);
    va_end(ap);
    at = strlen(r->text);
    if (at < sizeof r->text - 1) {
        r->text[at] = '\n';
        r->text[at + 1] = '\0';
    }
    r->problems++;
}

/* The cells of a table line "| a | b\|c |", trimmed, "\|" read as '|'. */
static size_t split_cells(const char *line, size_t n, char cells[CELLS_MAX][CELL_BYTES])
{
    size_t count = 0, k = 0;
    size_t i = 1; /* after the leading '|' */
    for (; i < n && count < CELLS_MAX; i++) {
        if (line[i] == '\\' && i + 1 < n && line[i + 1] == '|') {
            if (k < CELL_BYTES - 1)
                cells[count][k++] = '|';
            i++;
        } else if (line[i] == '|') {
            cells[count][k] = '\0';
            count++;
            k = 0;
        } else if (k < CELL_BYTES - 1) {
            cells[count][k++] = line[i];
        }
    }
    for (size_t c = 0; c < count; c++) {
        char *s = cells[c];
        size_t b = 0, e = strlen(s);
        while (s[b] == ' ')
            b++;
        while (e > b && s[e - 1] == ' ')
            e--;
        memmove(s, s + b, e - b);
        s[e - b] = '\0';
    }
    return count;
}

/* The code span a cell starts with ("`send frame OPCODE`" -> "send frame OPCODE"). */
static bool code_of(const char *cell, char *out, size_t cap)
{
    if (cell[0] != '`')
        return false;
    const char *end = strchr(cell + 1, '`');
    if (!end || (size_t)(end - cell - 1) >= cap)
        return false;
    memcpy(out, cell + 1, (size_t)(end - cell - 1));
    out[end - cell - 1] = '\0';
    return true;
}

/* The n-th blank-separated word of s into out ("" when there is none). */
static void word_of(const char *s, int n, char *out, size_t cap)
{
    out[0] = '\0';
    for (int w = 0; *s; w++) {
        while (*s == ' ')
            s++;
        size_t len = strcspn(s, " ");
        if (w == n) {
            snprintf(out, cap, "%.*s", (int)len, s);
            return;
        }
        s += len;
    }
}

struct seen_words {
    bool directive[CD_N], send[CS_N], option[CO_N], check[CK_N], policy[CP_N];
};

/* Which line a signature is ("send frame ...", "wait ...", "expect size ..."): its
 * context, or -1 for a line that takes no options. */
static int ctx_of_signature(const char *code)
{
    /* response-write (role server) takes request-write's options: one handler, one
     * context (case_request_write) */
    if (strncmp(code, "response-write ", 15) == 0)
        return CTX_REQUEST_WRITE;
    for (int c = 0; c < CTX_N; c++) {
        const char *name = case_vocab_ctx_name((enum case_ctx)c);
        size_t n = strlen(name);
        if (strncmp(code, name, n) == 0 && (code[n] == ' ' || code[n] == '\0'))
            return c;
    }
    return -1;
}

/* Every "name=" in a directive's or step's signature is an option allowed there. */
static void check_signature_options(const char *code, struct report *r)
{
    int ctx = ctx_of_signature(code);
    for (const char *s = code; (s = strchr(s, '=')) != NULL; s++) {
        const char *b = s;
        while (b > code && ((b[-1] >= 'a' && b[-1] <= 'z') || b[-1] == '-'))
            b--;
        int k = case_vocab_option(b, (size_t)(s - b));
        if (k < 0)
            problem(r, "README documents option '%.*s=' in `%s`: not a row of case_vocab.def",
                    (int)(s - b), b, code);
        else if (ctx < 0 || !(case_vocab_options[k].in & (1u << ctx)))
            problem(r, "README shows option '%s=' in `%s`: the row does not allow it there",
                    case_vocab_options[k].name, code);
    }
}

/* A row of a `directive` or `step` table. */
static void check_directive_cell(const char *code, struct seen_words *seen, struct report *r)
{
    char w[64], kind[64];
    word_of(code, 0, w, sizeof w);
    int d = case_vocab_directive(w, strlen(w));
    if (d < 0) {
        problem(r, "README documents directive '%s': not a row of case_vocab.def", w);
        return;
    }
    seen->directive[d] = true;
    if (d == CD_SEND) {
        word_of(code, 1, kind, sizeof kind);
        int k = case_vocab_send(kind, strlen(kind));
        if (k < 0)
            problem(r, "README documents 'send %s': not a send kind of case_vocab.def", kind);
        else
            seen->send[k] = true;
    }
    check_signature_options(code, r);
}

/* The "taken by" cell of an option row: exactly the contexts of its row. */
static void check_taken_by(int k, const char *cell, struct report *r)
{
    unsigned documented = 0;
    char item[64];
    for (const char *s = cell; *s;) {
        size_t len = strcspn(s, ",");
        snprintf(item, sizeof item, "%.*s", (int)len, s);
        char *t = item;
        while (*t == ' ')
            t++;
        int c = ctx_of_signature(t);
        if (c < 0 || strlen(case_vocab_ctx_name((enum case_ctx)c)) != strlen(t))
            problem(r, "README: option '%s' taken by unknown line '%s'", case_vocab_options[k].name,
                    t);
        else
            documented |= 1u << c;
        s += len + (s[len] == ',');
    }
    if (documented != case_vocab_options[k].in)
        problem(r, "README: the lines taking option '%s' differ from case_vocab.def",
                case_vocab_options[k].name);
}

/* A row of an `option` table. */
static void check_option_row(char cells[CELLS_MAX][CELL_BYTES], size_t n, int taken_col,
                             struct seen_words *seen, struct report *r)
{
    char code[CELL_BYTES];
    if (!code_of(cells[0], code, sizeof code)) {
        problem(r, "README option row '%s' does not start with `name=...`", cells[0]);
        return;
    }
    size_t len = strcspn(code, "= ");
    int k = case_vocab_option(code, len);
    if (k < 0) {
        problem(r, "README documents option '%.*s': not a row of case_vocab.def", (int)len, code);
        return;
    }
    seen->option[k] = true;
    bool has_eq = code[len] == '=';
    if (has_eq != (case_vocab_options[k].arg == CV_VALUE))
        problem(r, "README writes option '%s' %s a value", code, has_eq ? "with" : "without");
    if (taken_col < 0 || (size_t)taken_col >= n)
        problem(r, "README option table has no 'taken by' column");
    else
        check_taken_by(k, cells[taken_col], r);
}

/* A row of a `check` table (the checks of `response`). */
static void check_check_cell(const char *code, struct seen_words *seen, struct report *r)
{
    char w[64];
    word_of(code, 0, w, sizeof w);
    int k = case_vocab_check(w, strlen(w));
    if (k < 0)
        problem(r, "README documents check '%s': not a row of case_vocab.def", w);
    else
        seen->check[k] = true;
}

/* A row of the `policy` table: `name` | value | survey value | text. */
static void check_policy_row(char cells[CELLS_MAX][CELL_BYTES], size_t n, struct seen_words *seen,
                             struct report *r)
{
    char code[CELL_BYTES];
    if (!code_of(cells[0], code, sizeof code)) {
        problem(r, "README policy row '%s' does not start with `name`", cells[0]);
        return;
    }
    int k = case_vocab_policy(code, strlen(code));
    if (k < 0) {
        problem(r, "README documents policy '%s': not a row of case_vocab.def", code);
        return;
    }
    seen->policy[k] = true;
    if (n < 3 || strcmp(cells[2], case_vocab_policies[k].survey) != 0)
        problem(r, "README: the survey value of policy '%s' is not %s", code,
                case_vocab_policies[k].survey);
}

enum table_kind { T_OTHER, T_DIRECTIVE, T_OPTION, T_CHECK, T_POLICY };

static enum table_kind table_kind(const char *first)
{
    if (strcmp(first, "directive") == 0 || strcmp(first, "step") == 0)
        return T_DIRECTIVE;
    if (strcmp(first, "policy") == 0)
        return T_POLICY;
    if (strcmp(first, "check") == 0)
        return T_CHECK;
    return strcmp(first, "option") == 0 ? T_OPTION : T_OTHER;
}

/* Every table of the README; then every row must have been seen. */
static void readme_check(const char *text, struct report *r)
{
    static char cells[CELLS_MAX][CELL_BYTES];
    struct seen_words seen;
    memset(&seen, 0, sizeof seen);
    enum table_kind kind = T_OTHER;
    int taken_col = -1;
    bool in_table = false;
    for (const char *line = text; *line;) {
        size_t n = strcspn(line, "\n");
        if (n == 0 || line[0] != '|') {
            in_table = false;
        } else if (!in_table) {
            size_t nc = split_cells(line, n, cells);
            in_table = true;
            kind = nc ? table_kind(cells[0]) : T_OTHER;
            taken_col = -1;
            for (size_t c = 0; c < nc; c++)
                if (strcmp(cells[c], "taken by") == 0)
                    taken_col = (int)c;
        } else if (strncmp(line, "|---", 4) != 0 && kind != T_OTHER) {
            size_t nc = split_cells(line, n, cells);
            char code[CELL_BYTES];
            if (kind == T_OPTION)
                check_option_row(cells, nc, taken_col, &seen, r);
            else if (kind == T_POLICY)
                check_policy_row(cells, nc, &seen, r);
            else if (kind == T_CHECK && nc && code_of(cells[0], code, sizeof code))
                check_check_cell(code, &seen, r);
            else if (kind == T_DIRECTIVE && nc && code_of(cells[0], code, sizeof code))
                check_directive_cell(code, &seen, r);
            else
                problem(r, "README directive row '%s' does not start with `...`", cells[0]);
        }
        line += n + (line[n] == '\n');
    }
    for (int i = 0; i < CD_N; i++)
        if (!seen.directive[i])
            problem(r, "directive '%s' (case_vocab.def) is not in a README table",
                    case_vocab_directives[i].name);
    for (int i = 0; i < CS_N; i++)
        if (!seen.send[i])
            problem(r, "'send %s' (case_vocab.def) is not in a README table",
                    case_vocab_sends[i].name);
    for (int i = 0; i < CO_N; i++)
        if (!seen.option[i])
            problem(r, "option '%s' (case_vocab.def) is not in the README's option table",
                    case_vocab_options[i].name);
    for (int i = 0; i < CK_N; i++)
        if (!seen.check[i])
            problem(r, "check '%s' (case_vocab.def) is not in the README's check table",
                    case_vocab_checks[i].name);
    for (int i = 0; i < CP_N; i++)
        if (!seen.policy[i])
            problem(r, "policy '%s' (case_vocab.def) is not in the README's policy table",
                    case_vocab_policies[i].name);
}

static char *read_readme(void)
{
    const char *dir = getenv("WSSPEC_CASES") ? getenv("WSSPEC_CASES") : "cases";
    char path[1024];
    snprintf(path, sizeof path, "%s/README.md", dir);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s (run from the source tree, or set WSSPEC_CASES)", path);
    static const size_t cap = 1 << 20;
    char *text = malloc(cap + 1);
    assert_non_null(text);
    size_t n = fread(text, 1, cap, f);
    fclose(f);
    assert_true(n > 0 && n < cap);
    text[n] = '\0';
    return text;
}

static void test_readme_documents_vocabulary(void **state)
{
    (void)state;
    char *text = read_readme();
    struct report r = {{0}, 0};
    readme_check(text, &r);
    if (r.problems)
        fail_msg("cases/README.md and case_vocab.def disagree:\n%s", r.text);
    free(text);
}

/* text with `from` replaced by `to` (first occurrence, which must exist). */
static char *edited(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    if (!at)
        fail_msg("the README no longer contains '%s' (update this test)", from);
    size_t n = strlen(text) - strlen(from) + strlen(to);
    char *out = malloc(n + 1);
    assert_non_null(out);
    snprintf(out, n + 1, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    return out;
}

/* The checker catches each kind of disagreement. */
static void test_readme_check_fails(void **state)
{
    (void)state;
    char *text = read_readme();
    static const struct {
        const char *from, *to, *want;
    } edits[] = {
        {"| `end` |", "| `ending` |", "directive 'ending'"},
        {"| `end` |", "| x |", "directive 'end' (case_vocab.def) is not in a README table"},
        {"| `send raw ", "| `send rare ", "'send rare'"},
        {"| `send raw ", "| `wait ", "'send raw' (case_vocab.def) is not in a README table"},
        {"| `sync` |", "| `synch` |", "option 'synch'"},
        {"| `sync` |", "| `sync=1` |", "option 'sync=1' with a value"},
        {"| `len=N` | send frame, send begin |", "| `len=N` | send frame |",
         "lines taking option 'len'"},
        {"| `len=N` | send frame, send begin |", "| `len=N` | send frame, send frog |",
         "taken by unknown line 'send frog'"},
        {"`send message text\\|binary [fragment=N]", "`send message text\\|binary [fragmnt=N]",
         "option 'fragmnt='"},
        {"`send raw PAYLOAD [chop=N]", "`send raw PAYLOAD [len=N]",
         "option 'len=' in `send raw PAYLOAD [len=N]`: the row does not allow it there"},
        {"| `accept` |", "| `acept` |", "check 'acept'"},
        {"| `accept` |", "| x |", "check 'accept' (case_vocab.def) is not in the README's"},
        {"| `idle-timeout` |", "| `idle-timeouts` |", "policy 'idle-timeouts'"},
        {"| `idle-timeout` |", "| x |", "policy 'idle-timeout' (case_vocab.def) is not in"},
        {"| 1048576 |", "| 1000000 |", "survey value of policy 'max-message-size'"},
        {"| `policy NAME` |", "| `policies NAME` |", "directive 'policies'"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        char *bad = edited(text, edits[i].from, edits[i].to);
        struct report r = {{0}, 0};
        readme_check(bad, &r);
        if (r.problems == 0 || !strstr(r.text, edits[i].want))
            fail_msg("edit '%s' -> '%s': want a problem '%s', got:\n%s", edits[i].from, edits[i].to,
                     edits[i].want, r.text);
        free(bad);
    }
    free(text);
}

static void diag_fail(void *ud, const char *msg)
{
    (void)ud;
    fail_msg("README example: %s", msg);
}

/* Every ``` block of the README is a case file that parses without an error. */
static void test_readme_examples_parse(void **state)
{
    (void)state;
    char *text = read_readme();
    size_t blocks = 0, cases = 0;
    for (char *b = strstr(text, "\n```\n"); b; b = strstr(b, "\n```\n")) {
        b += 5;
        char *e = strstr(b, "\n```\n");
        assert_non_null(e);
        struct case_catalogue cat;
        memset(&cat, 0, sizeof cat);
        assert_int_equal(
            case_parse_buffer(&cat, "README.md", b, (size_t)(e - b) + 1, diag_fail, NULL), 0);
        cases += cat.n_cases;
        blocks++;
        case_catalogue_free(&cat);
        b = e + 1;
    }
    assert_true(blocks >= 2);
    assert_true(cases >= 3); /* the case example and the two table rows */
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_unique_and_described),
        cmocka_unit_test(test_contexts),
        cmocka_unit_test(test_policy_values),
        cmocka_unit_test(test_nearest),
        cmocka_unit_test(test_readme_documents_vocabulary),
        cmocka_unit_test(test_readme_check_fails),
        cmocka_unit_test(test_readme_examples_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

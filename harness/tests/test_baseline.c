/*
 * test_baseline.c - unit tests for baseline.c on hand-made wsspec.json texts: every kind
 * of change (regression, fix, changed, added, removed) and what is not a change; a
 * failing case the baseline does not have counts as a regression; --strict of the new
 * run judges both sides; the last result of a re-run case counts; agents are matched
 * by name, and a single agent on each side is paired whatever its name; the order of
 * the list; files that are not a wsspec.json are refused with a message saying what
 * they look like; DIR/baseline.json read back with jansson; the printed block. Both
 * verdicts: each --verdict mode judges both sides from the same pair (or both pairs),
 * and a baseline without the RFC's pair (an older wsspec.json) stands in with
 * Autobahn's and says so once.
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baseline.h"

/* A case entry of wsspec.json: agent, id, behavior, behaviorClose, passed. */
#define CASE(agent, id, b, bc, passed)                                                             \
    "{\"agent\": \"" agent "\", \"id\": \"" id "\", \"title\": \"Case " id                         \
    "\", \"behavior\": \"" b "\", \"behaviorClose\": \"" bc "\", \"passed\": " passed "}"

/* A case with both verdicts: Autobahn's pair, then the RFC's. */
#define CASE2(agent, id, b, bc, rb, rbc, passed)                                                   \
    "{\"agent\": \"" agent "\", \"id\": \"" id "\", \"title\": \"Case " id                         \
    "\", \"behavior\": \"" b "\", \"behaviorClose\": \"" bc "\", \"rfcBehavior\": \"" rb           \
    "\", \"rfcBehaviorClose\": \"" rbc "\", \"passed\": " passed "}"

/* A run with --verdict mode. */
#define RUNV(strict, verdict, seed, cases)                                                         \
    "{\"schemaVersion\": 1, \"seed\": \"" seed "\", \"started\": \"2026-01-0" seed                 \
    "T00:00:00.000Z\", \"options\": {\"strict\": " strict ", \"verdict\": \"" verdict              \
    "\"}, \"cases\": [" cases "]}"

#define RUN(strict, seed, targets, cases)                                                          \
    "{\"schemaVersion\": 1, \"seed\": \"" seed "\", \"started\": \"2026-01-0" seed                 \
    "T00:00:00.000Z\", \"options\": {\"strict\": " strict "}, \"targets\": [" targets              \
    "], \"cases\": [" cases "]}"

static void parse_ok(const char *text, struct baseline_run *r)
{
    char err[256];
    size_t n = strlen(text);
    uint8_t *g = th_guard_copy(text, n); /* no NUL after the text: an over-read faults */
    int rc = baseline_parse((const char *)g, n, r, err, sizeof err);
    th_guard_free(g, n);
    if (rc != 0)
        fail_msg("baseline_parse: %s", err);
}

static const struct baseline_change *find_change(const struct baseline_diff *d, const char *id)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct baseline_case *c =
            d->changes[i].new_case ? d->changes[i].new_case : d->changes[i].old_case;
        if (!strcmp(c->id, id))
            return &d->changes[i];
    }
    return NULL;
}

/* What baseline_print writes, as a malloc'ed NUL-terminated string (*len its length). */
static char *printed(const struct baseline_diff *d, const char *old_path, bool show_agent,
                     size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    assert_non_null(f);
    baseline_print(f, d, old_path, show_agent);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static const char old_text[] = RUN(
    "false", "1", "{\"agent\": \"A\", \"url\": \"ws://a/\"}",
    CASE("A", "1.1.1", "OK", "OK", "true") "," CASE("A", "1.1.2", "OK", "OK", "true") "," CASE(
        "A", "2.1", "FAILED", "OK",
        "false") "," CASE("A", "3.1", "OK", "OK",
                          "true") "," CASE("A", "4.1", "FAILED", "OK",
                                           "false") "," CASE("A", "5.1", "OK", "OK",
                                                             "true") "," CASE("A", "9.1", "OK",
                                                                              "OK",
                                                                              "true") "," CASE("A",
                                                                                               "10."
                                                                                               "1",
                                                                                               "OK",
                                                                                               "OK",
                                                                                               "tru"
                                                                                               "e"));

static const char new_text[] =
    RUN("false", "2", "{\"agent\": \"A\", \"url\": \"ws://a/\"}",
        CASE("A", "1.1.1", "OK", "OK", "true")            /* unchanged */
        "," CASE("A", "1.1.2", "OK", "FAILED", "false")   /* regression */
        "," CASE("A", "2.1", "OK", "OK", "true")          /* fix */
        "," CASE("A", "3.1", "NON-STRICT", "OK", "true")  /* changed, still passing */
        "," CASE("A", "4.1", "OK", "WRONG CODE", "false") /* changed, still failing */
        "," CASE("A", "6.1", "OK", "OK", "true")          /* added */
        "," CASE("A", "7.1", "FAILED", "OK", "false")     /* added and failing */
        "," CASE("A", "10.1", "FAILED", "OK", "false")    /* regression */
        "," CASE("A", "9.1", "OK", "OK", "true"));        /* unchanged */
/* 5.1 is in the old run only: removed */

static void test_kinds(void **state)
{
    (void)state;
    struct baseline_run o, n;
    struct baseline_diff d;
    parse_ok(old_text, &o);
    parse_ok(new_text, &n);
    assert_int_equal(o.n, 8);
    assert_string_equal(o.seed, "1");
    assert_string_equal(n.started, "2026-01-02T00:00:00.000Z");
    assert_int_equal(baseline_compare(&o, &n, &d), 0);
    assert_null(d.paired_old); /* same name: no pairing needed */

    assert_int_equal(d.count[BASELINE_REGRESSION], 3);
    assert_int_equal(d.count[BASELINE_FIX], 1);
    assert_int_equal(d.count[BASELINE_CHANGED], 2);
    assert_int_equal(d.count[BASELINE_ADDED], 1);
    assert_int_equal(d.count[BASELINE_REMOVED], 1);
    assert_int_equal(d.n, 8);

    assert_int_equal(find_change(&d, "1.1.2")->kind, BASELINE_REGRESSION);
    assert_int_equal(find_change(&d, "10.1")->kind, BASELINE_REGRESSION);
    const struct baseline_change *c = find_change(&d, "7.1");
    assert_int_equal(c->kind, BASELINE_REGRESSION);
    assert_null(c->old_case); /* not in the baseline: nothing says the failure is known */
    assert_int_equal(find_change(&d, "2.1")->kind, BASELINE_FIX);
    assert_int_equal(find_change(&d, "3.1")->kind, BASELINE_CHANGED);
    assert_int_equal(find_change(&d, "4.1")->kind, BASELINE_CHANGED);
    assert_int_equal(find_change(&d, "6.1")->kind, BASELINE_ADDED);
    c = find_change(&d, "5.1");
    assert_int_equal(c->kind, BASELINE_REMOVED);
    assert_null(c->new_case);
    assert_true(c->old_passed);
    assert_null(find_change(&d, "1.1.1"));
    assert_null(find_change(&d, "9.1"));

    /* order: by kind, then id numerically (1.1.2 < 7.1 < 10.1, not string order) */
    static const char *const order[] = {"1.1.2", "7.1", "10.1", "2.1", "3.1", "4.1", "6.1", "5.1"};
    for (size_t i = 0; i < d.n; i++) {
        const struct baseline_case *x =
            d.changes[i].new_case ? d.changes[i].new_case : d.changes[i].old_case;
        assert_string_equal(x->id, order[i]);
    }
    baseline_diff_free(&d);
    baseline_run_free(&n);
    baseline_run_free(&o);
}

/* The new run's --strict judges the old outcomes too: a NON-STRICT case that passed
 * in a lenient baseline and fails in a strict run is a regression only if it got
 * worse; the same NON-STRICT both times is no change at all. */
static void test_strict(void **state)
{
    (void)state;
    struct baseline_run o, n;
    struct baseline_diff d;
    parse_ok(
        RUN("false", "1", "",
            CASE("A", "3.2", "NON-STRICT", "OK", "true") "," CASE("A", "3.3", "OK", "OK", "true")),
        &o);
    parse_ok(RUN("true", "2", "",
                 CASE("A", "3.2", "NON-STRICT", "OK", "false") "," CASE("A", "3.3", "NON-STRICT",
                                                                        "OK", "false")),
             &n);
    assert_true(n.strict);
    assert_int_equal(baseline_compare(&o, &n, &d), 0);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.changes[0].kind, BASELINE_REGRESSION);
    assert_string_equal(d.changes[0].new_case->id, "3.3");
    assert_true(d.changes[0].old_passed);
    baseline_diff_free(&d);
    baseline_run_free(&n);
    baseline_run_free(&o);

    assert_true(baseline_passes("OK", "OK", true));
    assert_true(baseline_passes("NON-STRICT", "OK", false));
    assert_false(baseline_passes("NON-STRICT", "OK", true));
    assert_true(baseline_passes("INFORMATIONAL", "INFORMATIONAL", true));
    assert_true(baseline_passes("UNIMPLEMENTED", "OK", true));
    assert_false(baseline_passes("OK", "FAILED BY CLIENT", false));
    assert_false(baseline_passes("OK", "UNCLEAN", false));
    assert_false(baseline_passes("FAILED", "OK", false));
    assert_false(baseline_passes("SOMETHING NEW", "OK", false));
}

/* A run compared with itself has no changes, even when a case's "passed" field
 * disagrees with its verdicts (a verdict this version does not know, a hand edit):
 * both sides are judged by the same rule. Found by baseline_fuzzer - the new side used
 * to be judged by its field and the old side by its verdicts, so such a case was
 * reported as a fix (or a regression) against itself. */
static void test_self_compare(void **state)
{
    (void)state;
    struct baseline_run r;
    struct baseline_diff d;
    parse_ok(RUN("false", "1", "",
                 CASE("A", "1.1", "OK", "~K", "true") "," CASE(
                     "A", "1.2", "OK", "OK", "false") "," CASE("A", "1.3", "OK", "OK", "true")),
             &r);
    assert_int_equal(baseline_compare(&r, &r, &d), 0);
    assert_int_equal(d.n, 0);
    for (int k = 0; k < BASELINE_KINDS; k++)
        assert_int_equal(d.count[k], 0);
    baseline_diff_free(&d);
    baseline_run_free(&r);
}

/* A case run twice for one agent: the last result is the one compared. */
static void test_rerun_last_wins(void **state)
{
    (void)state;
    struct baseline_run o, n;
    struct baseline_diff d;
    parse_ok(RUN("false", "1", "", CASE("A", "1.1.1", "OK", "OK", "true")), &o);
    parse_ok(
        RUN("false", "2", "",
            CASE("A", "1.1.1", "OK", "OK", "true") "," CASE("A", "1.1.1", "FAILED", "OK", "false")),
        &n);
    assert_int_equal(n.n, 1);
    assert_string_equal(n.cases[0].behavior, "FAILED");
    assert_int_equal(baseline_compare(&o, &n, &d), 0);
    assert_int_equal(d.count[BASELINE_REGRESSION], 1);
    baseline_diff_free(&d);
    baseline_run_free(&n);
    baseline_run_free(&o);
}

static void test_agents(void **state)
{
    (void)state;
    struct baseline_run o, n;
    struct baseline_diff d;
    /* one agent each, different names (a version in the Server header): paired */
    parse_ok(RUN("false", "1", "{\"agent\": \"srv/1.0\", \"url\": \"ws://a/\"}",
                 CASE("srv/1.0", "1.1.1", "OK", "OK", "true") "," CASE("srv/1.0", "1.1.2", "OK",
                                                                       "OK", "true")),
             &o);
    parse_ok(RUN("false", "2", "{\"agent\": \"srv/1.1\", \"url\": \"ws://a/\"}",
                 CASE("srv/1.1", "1.1.1", "OK", "OK", "true") "," CASE("srv/1.1", "1.1.2", "FAILED",
                                                                       "OK", "false")),
             &n);
    assert_int_equal(baseline_compare(&o, &n, &d), 0);
    assert_string_equal(d.paired_old, "srv/1.0");
    assert_string_equal(d.paired_new, "srv/1.1");
    assert_int_equal(d.n, 1);
    assert_int_equal(d.changes[0].kind, BASELINE_REGRESSION);
    assert_non_null(d.changes[0].old_case);
    baseline_diff_free(&d);
    baseline_run_free(&n);
    baseline_run_free(&o);

    /* two agents: matched by name; one renamed = removed + added */
    parse_ok(
        RUN("false", "1", "",
            CASE("A", "1.1.1", "OK", "OK", "true") "," CASE("B", "1.1.1", "FAILED", "OK", "false")),
        &o);
    parse_ok(RUN("false", "2", "{\"agent\": \"B\", \"url\": \"ws://b/\"}, {\"agent\": \"C\"}",
                 CASE("B", "1.1.1", "OK", "OK", "true") "," CASE("C", "1.1.1", "OK", "OK", "true")),
             &n);
    assert_int_equal(n.n_agents, 2);
    assert_string_equal(n.agents[0], "B");
    assert_int_equal(baseline_compare(&o, &n, &d), 0);
    assert_null(d.paired_old);
    assert_int_equal(d.n, 3);
    assert_int_equal(d.changes[0].kind, BASELINE_FIX);
    assert_string_equal(d.changes[0].new_case->agent, "B");
    assert_int_equal(d.changes[1].kind, BASELINE_ADDED);
    assert_string_equal(d.changes[1].new_case->agent, "C");
    assert_int_equal(d.changes[2].kind, BASELINE_REMOVED);
    assert_string_equal(d.changes[2].old_case->agent, "A");
    baseline_diff_free(&d);
    baseline_run_free(&n);
    baseline_run_free(&o);
}

static void test_not_wsspec(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"", "not JSON: line 1"},
        {"{\"schemaVersion\": 1, ", "not JSON"},
        {"[]", "the top level is not an object"},
        {"{\"AutobahnServer\": {\"1.1.1\": {\"behavior\": \"OK\", \"behaviorClose\": \"OK\"}}}",
         "an index.json"},
        {"{\"agent\": \"x\", \"behavior\": \"OK\", \"wirelog\": []}", "a per-case report file"},
        {"{\"cases\": []}", "no \"schemaVersion\""},
        {"{\"schemaVersion\": 2, \"cases\": []}", "schemaVersion other than 1"},
        {"{\"schemaVersion\": \"1\", \"cases\": []}", "not an integer"},
        {"{\"schemaVersion\": 1}", "no \"cases\" list"},
        {"{\"schemaVersion\": 1, \"cases\": [3]}", "cases[0]: expected an object"},
        {"{\"schemaVersion\": 1, \"cases\": [{\"agent\": \"a\", \"id\": \"1\", \"behavior\": "
         "\"OK\", \"behaviorClose\": 5, \"passed\": true}]}",
         "cases[0].behaviorClose: expected a string"},
        {"{\"schemaVersion\": 1, \"cases\": [{\"agent\": \"a\", \"id\": \"1\", \"behavior\": "
         "\"OK\", \"behaviorClose\": \"OK\"}]}",
         "cases[0].passed: expected true or false"},
        /* one RFC field without the other, or not a string */
        {"{\"schemaVersion\": 1, \"cases\": [{\"agent\": \"a\", \"id\": \"1\", \"behavior\": "
         "\"OK\", \"behaviorClose\": \"OK\", \"passed\": true, \"rfcBehavior\": \"OK\"}]}",
         "cases[0].rfcBehaviorClose: expected a string (or neither RFC field)"},
        {"{\"schemaVersion\": 1, \"cases\": [{\"agent\": \"a\", \"id\": \"1\", \"behavior\": "
         "\"OK\", \"behaviorClose\": \"OK\", \"passed\": true, \"rfcBehavior\": 5, "
         "\"rfcBehaviorClose\": \"OK\"}]}",
         "cases[0].rfcBehavior: expected a string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct baseline_run r;
        char err[256] = "";
        size_t n = strlen(bad[i].text);
        uint8_t *g = th_guard_copy(bad[i].text, n);
        int rc = baseline_parse((const char *)g, n, &r, err, sizeof err);
        th_guard_free(g, n);
        if (rc != -1 || !strstr(err, bad[i].msg))
            fail_msg("input %zu: rc %d, message '%s', want '%s'", i, rc, err, bad[i].msg);
        assert_int_equal(r.n, 0);
        baseline_run_free(&r);
    }
    /* jansson quotes the bad bytes; the message stays one line */
    {
        struct baseline_run r;
        char err[256];
        /* jansson says "invalid escape near '"\u12<LF>'" */
        static const char text[] = "{\"schemaVersion\": 1, \"cases\": [\"\\u12\n4\"]}";
        assert_int_equal(baseline_parse(text, sizeof text - 1, &r, err, sizeof err), -1);
        assert_non_null(strstr(err, "not JSON: line 2, column"));
        assert_non_null(strstr(err, "invalid escape near"));
        assert_null(strchr(err, '\n'));
    }
    /* U+0000 in strings is valid in a report (reports/README.md) */
    struct baseline_run r;
    parse_ok(RUN("false", "1", "", CASE("a\\u0000b", "1.1.1", "OK", "OK", "true")), &r);
    assert_int_equal(r.n, 1);
    baseline_run_free(&r);
    /* both RFC fields null: as absent */
    parse_ok("{\"schemaVersion\": 1, \"cases\": [{\"agent\": \"a\", \"id\": \"1\", "
             "\"behavior\": \"NON-STRICT\", \"behaviorClose\": \"OK\", \"passed\": true, "
             "\"rfcBehavior\": null, \"rfcBehaviorClose\": null}]}",
             &r);
    assert_int_equal(r.rfc_assumed, 1);
    assert_string_equal(r.cases[0].rfc_behavior, "NON-STRICT");
    baseline_run_free(&r);
}

static char *make_dir(void)
{
    char tmpl[] = "/tmp/wsspec-baseline-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void test_load_and_write(void **state)
{
    (void)state;
    char *dir = make_dir(), err[512], path[512];
    write_file(dir, "wsspec.json", old_text);
    struct baseline_run o, n;
    /* a directory stands for its wsspec.json */
    assert_int_equal(baseline_load(dir, &o, err, sizeof err), 0);
    assert_int_equal(o.n, 8);
    snprintf(path, sizeof path, "%s/none.json", dir);
    assert_int_equal(baseline_load(path, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "none.json: No such file or directory"));
    write_file(dir, "index.json", "{\"A\": {\"1.1.1\": {\"behavior\": \"OK\"}}}");
    snprintf(path, sizeof path, "%s/index.json", dir);
    assert_int_equal(baseline_load(path, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "index.json: not a wsspec.json: an index.json"));

    parse_ok(new_text, &n);
    struct baseline_diff d;
    assert_int_equal(baseline_compare(&o, &n, &d), 0);
    assert_int_equal(
        baseline_write(dir, "old/wsspec.json", &o, &n, &d, "regression", err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/baseline.json", dir);
    json_error_t je;
    json_t *bl = json_load_file(path, 0, &je);
    assert_non_null(bl);
    assert_int_equal(json_integer_value(json_object_get(bl, "schemaVersion")), 1);
    assert_string_equal(json_string_value(json_object_get(bl, "failOn")), "regression");
    json_t *from = json_object_get(bl, "baseline"), *run = json_object_get(bl, "run");
    assert_string_equal(json_string_value(json_object_get(from, "file")), "old/wsspec.json");
    assert_string_equal(json_string_value(json_object_get(from, "seed")), "1");
    assert_string_equal(json_string_value(json_object_get(run, "seed")), "2");
    assert_string_equal(json_string_value(json_object_get(run, "started")),
                        "2026-01-02T00:00:00.000Z");
    json_t *counts = json_object_get(bl, "counts");
    assert_int_equal(json_integer_value(json_object_get(counts, "regressions")), 3);
    assert_int_equal(json_integer_value(json_object_get(counts, "removed")), 1);
    json_t *reg = json_object_get(bl, "regressions");
    assert_int_equal(json_array_size(reg), 3);
    json_t *first = json_array_get(reg, 0);
    assert_string_equal(json_string_value(json_object_get(first, "id")), "1.1.2");
    assert_string_equal(json_string_value(json_object_get(first, "title")), "Case 1.1.2");
    json_t *was = json_object_get(first, "old"), *now = json_object_get(first, "new");
    assert_string_equal(json_string_value(json_object_get(was, "behaviorClose")), "OK");
    assert_true(json_is_true(json_object_get(was, "passed")));
    assert_string_equal(json_string_value(json_object_get(now, "behaviorClose")), "FAILED");
    assert_true(json_is_false(json_object_get(now, "passed")));
    assert_true(json_is_null(json_object_get(json_array_get(reg, 1), "old"))); /* 7.1 */
    assert_true(
        json_is_null(json_object_get(json_array_get(json_object_get(bl, "removed"), 0), "new")));
    assert_true(json_is_null(json_object_get(bl, "pairedAgents")));
    json_decref(bl);
    /* no temporary file left */
    snprintf(path, sizeof path, "%s/.baseline.json.tmp", dir);
    assert_int_not_equal(access(path, F_OK), 0);

    /* a run without --baseline removes a stale file */
    baseline_remove(dir);
    snprintf(path, sizeof path, "%s/baseline.json", dir);
    assert_int_not_equal(access(path, F_OK), 0);
    baseline_remove(dir); /* missing is fine */

    baseline_diff_free(&d);
    baseline_run_free(&n);
    baseline_run_free(&o);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
    free(dir);
}

/* The baseline of test_verdict_modes: both verdicts of every case. */
static const char modes_old[] =
    RUNV("false", "both", "1",
         CASE2("A", "3.2", "OK", "OK", "OK", "OK", "true") "," CASE2(
             "A", "3.3", "FAILED", "OK", "OK", "OK",
             "false") "," CASE2("A", "7.1", "OK", "OK", "NON-STRICT", "OK",
                                "true") "," CASE2("A", "7.2", "OK", "OK", "OK", "OK", "true"));
/* The new cases, under each mode: 3.2 the RFC's verdict got worse, 3.3 Autobahn's got
 * better, 7.1 the RFC's changed and still passes (unless strict), 7.2 nothing. */
#define MODES_NEW                                                                                  \
    CASE2("A", "3.2", "OK", "OK", "FAILED", "OK", "false")                                         \
    "," CASE2("A", "3.3", "OK", "OK", "OK", "OK",                                                  \
              "true") "," CASE2("A", "7.1", "OK", "OK", "OK", "OK",                                \
                                "true") "," CASE2("A", "7.2", "OK", "OK", "OK", "OK", "true")

/* kind of the change of id, or -1 when it did not change */
static int kind_of(const struct baseline_diff *d, const char *id)
{
    const struct baseline_change *c = find_change(d, id);
    return c ? (int)c->kind : -1;
}

/* Each side's pass/fail by the new run's --verdict, from the same pair(s); a change is
 * a change of a pair the mode uses. */
static void test_verdict_modes(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        enum verdict_mode mode;
        int k32, k33, k71; /* the kinds of 3.2, 3.3, 7.1 (-1 none) */
    } runs[] = {
        {RUNV("false", "both", "2", MODES_NEW), VERDICT_BOTH, BASELINE_REGRESSION, BASELINE_FIX,
         BASELINE_CHANGED},
        {RUNV("false", "autobahn", "2", MODES_NEW), VERDICT_AUTOBAHN, -1, BASELINE_FIX, -1},
        {RUNV("false", "rfc", "2", MODES_NEW), VERDICT_RFC, BASELINE_REGRESSION, -1,
         BASELINE_CHANGED},
        /* strict: the baseline's RFC NON-STRICT failed, so 7.1 is a fix */
        {RUNV("true", "both", "2", MODES_NEW), VERDICT_BOTH, BASELINE_REGRESSION, BASELINE_FIX,
         BASELINE_FIX},
        /* a mode this wsspec does not know reads as both */
        {RUNV("false", "lenient", "2", MODES_NEW), VERDICT_BOTH, BASELINE_REGRESSION, BASELINE_FIX,
         BASELINE_CHANGED},
    };
    struct baseline_run o;
    parse_ok(modes_old, &o);
    assert_int_equal(o.rfc_assumed, 0);
    assert_string_equal(o.cases[2].rfc_behavior, "NON-STRICT");
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        struct baseline_run n;
        struct baseline_diff d;
        parse_ok(runs[i].text, &n);
        assert_int_equal(n.verdict, runs[i].mode);
        assert_int_equal(baseline_compare(&o, &n, &d), 0);
        assert_int_equal(d.verdict, runs[i].mode);
        if (kind_of(&d, "3.2") != runs[i].k32 || kind_of(&d, "3.3") != runs[i].k33 ||
            kind_of(&d, "7.1") != runs[i].k71 || kind_of(&d, "7.2") != -1)
            fail_msg("run %zu: kinds 3.2 %d, 3.3 %d, 7.1 %d, 7.2 %d", i, kind_of(&d, "3.2"),
                     kind_of(&d, "3.3"), kind_of(&d, "7.1"), kind_of(&d, "7.2"));
        const struct baseline_change *c = find_change(&d, "3.3");
        if (c)
            assert_true(c->new_passed && !c->old_passed);
        baseline_diff_free(&d);
        baseline_run_free(&n);
    }
    baseline_run_free(&o);

    assert_true(baseline_case_passes(&(struct baseline_case){.behavior = "OK",
                                                             .behavior_close = "OK",
                                                             .rfc_behavior = "FAILED",
                                                             .rfc_behavior_close = "OK"},
                                     VERDICT_AUTOBAHN, false));
    assert_false(baseline_case_passes(&(struct baseline_case){.behavior = "OK",
                                                              .behavior_close = "OK",
                                                              .rfc_behavior = "OK",
                                                              .rfc_behavior_close = "UNCLEAN"},
                                      VERDICT_BOTH, false));
}

/* A baseline from before the RFC's verdict: its RFC pair is its Autobahn pair, and the
 * printed comparison and baseline.json say so (once). */
static void test_old_baseline_without_rfc(void **state)
{
    (void)state;
    struct baseline_run o, n;
    struct baseline_diff d;
    parse_ok(RUN("false", "1", "",
                 CASE("A", "3.2", "OK", "OK", "true") "," CASE("A", "7.1", "OK", "OK", "true")),
             &o);
    assert_int_equal(o.rfc_assumed, 2);
    assert_true(o.cases[0].rfc_assumed);
    assert_string_equal(o.cases[0].rfc_behavior, "OK");
    parse_ok(RUNV("false", "both", "2",
                  CASE2("A", "3.2", "OK", "OK", "FAILED", "OK",
                        "false") "," CASE2("A", "7.1", "OK", "OK", "OK", "OK", "true")),
             &n);
    assert_int_equal(n.rfc_assumed, 0);
    assert_int_equal(baseline_compare(&o, &n, &d), 0);
    assert_int_equal(d.rfc_assumed_old, 2);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.changes[0].kind, BASELINE_REGRESSION);
    size_t len = 0;
    char *buf = printed(&d, "old/wsspec.json", false, &len);
    const char *note = "  (the baseline has no RFC 6455 verdict for 2 cases, written by an older "
                       "wsspec: its Autobahn verdict stands for the RFC's)\n";
    const char *at = strstr(buf, note);
    assert_non_null(at);
    assert_null(strstr(at + strlen(note), "RFC 6455 verdict")); /* once */
    assert_int_equal(strncmp(buf,
                             "baseline old/wsspec.json: 1 regression, 0 fixes, 0 changed, 0 "
                             "added, 0 removed\n",
                             79),
                     0);
    assert_non_null(
        strstr(buf, "  regression 3.2      OK/OK -> OK/OK [RFC FAILED/OK]  Case 3.2\n"));
    free(buf);

    char *dir = make_dir(), err[512], path[600];
    assert_int_equal(baseline_write(dir, "old", &o, &n, &d, "any", err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/baseline.json", dir);
    json_error_t je;
    json_t *bl = json_load_file(path, 0, &je);
    assert_non_null(bl);
    assert_string_equal(json_string_value(json_object_get(bl, "verdict")), "both");
    assert_int_equal(json_integer_value(json_object_get(bl, "rfcAssumed")), 2);
    json_t *e = json_array_get(json_object_get(bl, "regressions"), 0);
    json_t *was = json_object_get(e, "old"), *now = json_object_get(e, "new");
    assert_string_equal(json_string_value(json_object_get(was, "rfcBehavior")), "OK");
    assert_string_equal(json_string_value(json_object_get(now, "rfcBehavior")), "FAILED");
    assert_string_equal(json_string_value(json_object_get(now, "behavior")), "OK");
    assert_true(json_is_false(json_object_get(now, "passed")));
    json_decref(bl);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
    free(dir);
    baseline_diff_free(&d);
    baseline_run_free(&n);

    /* --verdict autobahn looks at Autobahn's pair only: nothing changed, nothing to say */
    parse_ok(RUNV("false", "autobahn", "2",
                  CASE2("A", "3.2", "OK", "OK", "FAILED", "OK",
                        "true") "," CASE2("A", "7.1", "OK", "OK", "OK", "OK", "true")),
             &n);
    assert_int_equal(baseline_compare(&o, &n, &d), 0);
    assert_int_equal(d.n, 0);
    assert_int_equal(d.rfc_assumed_old, 0);
    buf = printed(&d, "old", false, &len);
    assert_string_equal(buf, "baseline old: 0 regressions, 0 fixes, 0 changed, 0 added, 0 removed "
                             "(--verdict autobahn)\n");
    free(buf);
    baseline_diff_free(&d);
    baseline_run_free(&n);
    baseline_run_free(&o);
}

static void test_print(void **state)
{
    (void)state;
    struct baseline_run o, n;
    struct baseline_diff d;
    parse_ok(old_text, &o);
    parse_ok(new_text, &n);
    assert_int_equal(baseline_compare(&o, &n, &d), 0);
    size_t len = 0;
    char *buf = printed(&d, "old/wsspec.json", false, &len);
    assert_non_null(strstr(buf, "baseline old/wsspec.json: 3 regressions, 1 fix, 2 changed, "
                                "1 added, 1 removed\n"));
    assert_non_null(strstr(buf, "  regression 1.1.2    OK/OK -> OK/FAILED  Case 1.1.2\n"));
    assert_non_null(strstr(buf, "  regression 7.1      (not run) -> FAILED/OK"));
    assert_non_null(strstr(buf, "  fix        2.1      FAILED/OK -> OK/OK"));
    assert_non_null(strstr(buf, "  removed    5.1      OK/OK -> (not run)"));
    free(buf);
    baseline_diff_free(&d);
    baseline_run_free(&n);
    baseline_run_free(&o);

    /* agent names are the target's bytes: no escape sequence reaches the terminal */
    parse_ok(RUN("false", "1", "",
                 CASE("x\\u001b[2Jy", "1.1.1", "OK", "OK", "true") "," CASE("B", "1.1.1", "OK",
                                                                            "OK", "true")),
             &o);
    parse_ok(RUN("false", "2", "",
                 CASE("x\\u001b[2Jy", "1.1.1", "FAILED", "OK", "false") "," CASE("B", "1.1.1", "OK",
                                                                                 "OK", "true")),
             &n);
    assert_int_equal(baseline_compare(&o, &n, &d), 0);
    buf = printed(&d, "b", true, &len);
    assert_null(strchr(buf, '\033'));
    assert_non_null(strstr(buf, "[x?[2Jy] 1.1.1"));
    free(buf);
    baseline_diff_free(&d);
    baseline_run_free(&n);
    baseline_run_free(&o);
}

/* Found by baseline_fuzzer: case ids and verdict strings were printed as the file had
 * them, so a baseline could put escape sequences on the terminal. Every string of the
 * file is now written through the same filter as agent names and titles. */
static void test_print_escapes_ids_and_verdicts(void **state)
{
    (void)state;
    struct baseline_run o, n;
    struct baseline_diff d;
    parse_ok(RUN("false", "1", "", CASE("A", "1.\\u001b[31m1", "OK\\u0007", "OK", "true")), &o);
    parse_ok(RUN("false", "2", "",
                 CASE("A", "1.\\u001b[31m1", "FAILED", "OK\\r\\n",
                      "false") "," CASE("A", "2.\\u007f", "OK", "OK", "true")),
             &n);
    assert_int_equal(baseline_compare(&o, &n, &d), 0);
    /* "OK\a" is no verdict, so the old 1.x failed too: a change, not a regression */
    assert_int_equal(d.count[BASELINE_CHANGED], 1);
    assert_int_equal(d.count[BASELINE_ADDED], 1);
    size_t len = 0;
    char *buf = printed(&d, "b", false, &len);
    for (size_t i = 0; i < len; i++)
        if (buf[i] != '\n' && ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f))
            fail_msg("control character 0x%02x at %zu in:\n%s", (unsigned char)buf[i], i, buf);
    assert_non_null(strstr(buf, "  changed    1.?[31m1 OK?/OK -> FAILED/OK??  Case 1.?[31m1\n"));
    /* a short id still takes its 8 columns */
    assert_non_null(strstr(buf, "  added      2.?      (not run) -> OK/OK  Case 2.?\n"));
    free(buf);
    baseline_diff_free(&d);
    baseline_run_free(&n);
    baseline_run_free(&o);
}

/* Many added cases (a wider selection): the block lists a few and counts the rest. */
static void test_print_bounded(void **state)
{
    (void)state;
    char *text = malloc(64 * 1024);
    assert_non_null(text);
    size_t used = (size_t)snprintf(text, 64 * 1024, "{\"schemaVersion\": 1, \"cases\": [");
    for (int i = 0; i < 30; i++)
        used += (size_t)snprintf(text + used, 64 * 1024 - used,
                                 "%s{\"agent\": \"A\", \"id\": \"1.%d\", \"behavior\": \"OK\", "
                                 "\"behaviorClose\": \"OK\", \"passed\": true}",
                                 i ? "," : "", i + 1);
    snprintf(text + used, 64 * 1024 - used, "]}");
    struct baseline_run o, n;
    struct baseline_diff d;
    parse_ok("{\"schemaVersion\": 1, \"cases\": []}", &o);
    parse_ok(text, &n);
    free(text);
    assert_int_equal(baseline_compare(&o, &n, &d), 0);
    assert_int_equal(d.count[BASELINE_ADDED], 30);
    size_t len = 0;
    char *buf = printed(&d, "b", false, &len);
    size_t lines = 0;
    for (char *p = buf; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 1 + 10 + 1);
    assert_non_null(strstr(buf, "added      ... and 20 more"));
    free(buf);
    baseline_diff_free(&d);
    baseline_run_free(&n);
    baseline_run_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_strict),
        cmocka_unit_test(test_rerun_last_wins),
        cmocka_unit_test(test_agents),
        cmocka_unit_test(test_not_wsspec),
        cmocka_unit_test(test_load_and_write),
        cmocka_unit_test(test_print),
        cmocka_unit_test(test_print_bounded),
        cmocka_unit_test(test_self_compare),
        cmocka_unit_test(test_print_escapes_ids_and_verdicts),
        cmocka_unit_test(test_verdict_modes),
        cmocka_unit_test(test_old_baseline_without_rfc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

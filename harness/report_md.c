/*
 * report_md.c - DIR/summary.md, the run in a page of Markdown for CI job summaries
 * (append it to $GITHUB_STEP_SUMMARY; GitLab and others render it as an artifact):
 *
 *   a one-line verdict (the heading) - for a run that stopped early "INCOMPLETE run"
 *   first, then why and every case that never ran, per target -, the run's seed, tool
 *   and time;
 *   the two verdicts: which one decides (--verdict), how many cases each fails, how
 *   many cases they differ in;
 *   per target a table of outcomes by section (Autobahn's behavior counts, close
 *   failures), the NON-STRICT cases and the cases whose verdicts differ;
 *   the failing cases: requirement, expectation, both verdicts, what broke, the rule
 *   that makes the verdicts differ, replay (with the target's replayOptions);
 *   the changes since the baseline when the run was compared with one;
 *   the command that repeats the whole run.
 *
 * The Markdown renderers that show it (GitHub, GitLab) accept inline HTML and a lot
 * of syntax, and part of the text comes from the target (its Server header, payload
 * bytes quoted in `broken`). Every such string goes through md_text: '&', '<' and '>'
 * become entities (no tag can open), the characters that start inline markup or end a
 * table cell are backslash-escaped, line breaks become blanks (a string stays in its
 * line or cell), control characters become their Unicode pictures, invalid UTF-8
 * becomes U+FFFD, and the length is bounded. Commands are code spans with a fence
 * longer than any backtick run inside.
 *
 * Size: GitHub refuses a job summary above 1 MiB, so the page lists at most
 * MD_MAX_FAILURES failing cases and MD_MAX_CHANGES baseline changes in detail and
 * counts the rest (junit.xml, index.html and baseline.json have them all).
 */
#include "report_ci.h"
#include "report_render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* About 1.5 KiB per failing case in detail: 100 stay far below GitHub's 1 MiB. */
#define MD_MAX_FAILURES 100
#define MD_MAX_CHANGES 200
/* A target's string is shown up to this many bytes ("..." after): a Server header or
 * a quoted payload can be long, and a summary is read at a glance. */
#define MD_MAX_FIELD 300

/* Escape s[0..n) as Markdown inline text, at most max bytes of it. */
static void md_text_n(FILE *f, const char *s, size_t n, size_t max)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = report_ci_utf8_next(s + i, n - i, &cp);
        if (i + k > max) {
            fputs("\xE2\x80\xA6", f); /* U+2026 */
            return;
        }
        i += k;
        char enc[4];
        if (cp == '\n' || cp == '\r' || cp == '\t') {
            fputc(' ', f);
        } else if (cp < 0x20 || cp == 0x7F) {
            fwrite(enc, 1, report_ci_utf8_put(cp == 0x7F ? 0x2421 : 0x2400 + cp, enc), f);
        } else if (cp == '&') {
            fputs("&amp;", f);
        } else if (cp == '<') {
            fputs("&lt;", f);
        } else if (cp == '>') {
            fputs("&gt;", f);
        } else if (cp < 0x80 && strchr("\\`*_[]|~$!#@", (int)cp)) {
            /* emphasis, code, links and images, table cells, strikethrough, math,
             * headings and issue references, mentions */
            fputc('\\', f);
            fputc((int)cp, f);
        } else if (cp < 0x80 && k == 1) {
            fputc((int)cp, f);
        } else {
            fwrite(enc, 1, report_ci_utf8_put(cp, enc), f);
        }
    }
}

static void md_text(FILE *f, const char *s)
{
    md_text_n(f, s, strlen(s), MD_MAX_FIELD);
}

static void md_member(FILE *f, const json_t *obj, const char *key)
{
    size_t n;
    const char *s = report_ci_str(obj, key, &n);
    md_text_n(f, s, n, MD_MAX_FIELD);
}

/* A code span: nothing inside is markup, so only the fence, line breaks and controls
 * matter. */
static void md_code(FILE *f, const char *s)
{
    size_t run = 0, longest = 0, n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        run = s[i] == '`' ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    bool pad = n && (s[0] == '`' || s[n - 1] == '`' || s[0] == ' ');
    for (size_t i = 0; i <= longest; i++)
        fputc('`', f);
    if (pad)
        fputc(' ', f);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = report_ci_utf8_next(s + i, n - i, &cp);
        char enc[4];
        if (cp == '\n' || cp == '\r' || cp == '\t')
            fputc(' ', f);
        else if (cp < 0x20 || cp == 0x7F)
            fwrite(enc, 1, report_ci_utf8_put(cp == 0x7F ? 0x2421 : 0x2400 + cp, enc), f);
        else
            fwrite(enc, 1, report_ci_utf8_put(cp, enc), f);
        i += k;
    }
    if (pad)
        fputc(' ', f);
    for (size_t i = 0; i <= longest; i++)
        fputc('`', f);
}

/* ------------------------------------------------------------ counting */

static const char *const behaviors[] = {"OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED",
                                        "FAILED"};
#define N_BEHAVIORS (sizeof behaviors / sizeof behaviors[0])

struct row {
    char section[40];
    size_t cases, passed, by_behavior[N_BEHAVIORS], close_bad, differ;
};

static void row_add(struct row *r, const json_t *c)
{
    const char *b = report_ci_str(c, "behavior", NULL),
               *bc = report_ci_str(c, "behaviorClose", NULL);
    r->cases++;
    r->passed += json_is_true(json_object_get(c, "passed"));
    for (size_t k = 0; k < N_BEHAVIORS; k++)
        r->by_behavior[k] += !strcmp(b, behaviors[k]);
    r->close_bad += strcmp(bc, "OK") != 0 && strcmp(bc, "INFORMATIONAL") != 0;
    r->differ += report_ci_differs(c);
}

/* the counts of a row whose first cell ("| label") is already written */
static void row_print(FILE *f, const struct row *r)
{
    fprintf(f, " | %zu | %zu | %zu |", r->cases, r->passed, r->cases - r->passed);
    for (size_t k = 0; k < N_BEHAVIORS; k++)
        fprintf(f, " %zu |", r->by_behavior[k]);
    fprintf(f, " %zu |\n", r->close_bad);
}

static bool is_agent(const json_t *c, const char *agent)
{
    return !strcmp(report_ci_str(c, "agent", NULL), agent);
}

/* A passing case is NON-STRICT when a verdict the run's mode counts is. */
static bool non_strict(const json_t *c, enum verdict_mode mode)
{
    const char *rb, *rbc;
    report_ci_rfc_pair(c, &rb, &rbc);
    return (mode != VERDICT_RFC && !strcmp(report_ci_str(c, "behavior", NULL), "NON-STRICT")) ||
           (mode != VERDICT_AUTOBAHN && !strcmp(rb, "NON-STRICT"));
}

/* At most LIST_MAX entries per list line, then an ellipsis. */
#define LIST_MAX 50

/* The agent's passing NON-STRICT cases, on one line after a blank one. */
static void non_strict_list(FILE *f, const json_t *cases, const char *agent, enum verdict_mode mode)
{
    size_t shown = 0, i;
    const json_t *c;
    json_array_foreach(cases, i, c)
    {
        if (!is_agent(c, agent) || !non_strict(c, mode) ||
            !json_is_true(json_object_get(c, "passed")))
            continue;
        if (shown == 0)
            fputs("\nNON-STRICT (passes; a SHOULD was not followed; fails with `--strict`): ", f);
        else
            fputs(", ", f);
        if (shown++ == LIST_MAX) {
            fputs("\xE2\x80\xA6", f);
            break;
        }
        md_member(f, c, "id");
    }
    if (shown)
        fputc('\n', f);
}

/* The agent's cases whose verdicts differ, each with the RFC's pair (the table counts
 * Autobahn's), on one line after a blank one. */
static void differ_list(FILE *f, const json_t *cases, const char *agent)
{
    size_t shown = 0, i;
    const json_t *c;
    json_array_foreach(cases, i, c)
    {
        if (!is_agent(c, agent) || !report_ci_differs(c))
            continue;
        if (shown == 0)
            fputs("\nThe verdicts differ (Autobahn's in the table; the RFC 6455 verdict here): ",
                  f);
        else
            fputs(", ", f);
        if (shown++ == LIST_MAX) {
            fputs("\xE2\x80\xA6", f);
            break;
        }
        const char *rb, *rbc;
        report_ci_rfc_pair(c, &rb, &rbc);
        md_member(f, c, "id");
        fputc(' ', f);
        md_text(f, rb);
        fputc('/', f);
        md_text(f, rbc);
    }
    if (shown)
        fputc('\n', f);
}

/* One target: a line with its URL and counts, the table by section, the NON-STRICT
 * cases. Returns -1 when out of memory. */
static int target_block(FILE *f, const json_t *run, const char *agent)
{
    const json_t *cases = json_object_get(run, "cases");
    size_t n = json_array_size(cases), n_rows = 0, i;
    struct row *rows = calloc(n ? n : 1, sizeof *rows), total;
    memset(&total, 0, sizeof total);
    if (!rows)
        return -1;
    const json_t *c;
    json_array_foreach(cases, i, c)
    {
        if (!is_agent(c, agent))
            continue;
        char section[40];
        report_ci_section(report_ci_str(c, "id", NULL), section, sizeof section);
        size_t r = 0;
        while (r < n_rows && strcmp(rows[r].section, section) != 0)
            r++;
        if (r == n_rows)
            snprintf(rows[n_rows++].section, sizeof rows[0].section, "%s", section);
        row_add(&rows[r], c);
        row_add(&total, c);
    }
    fputs("### ", f);
    md_text(f, agent);
    fputs("\n\n", f);
    const char *url = report_ci_target_url(run, agent);
    if (url) {
        md_code(f, url);
        fputs(" \xC2\xB7 ", f);
    }
    fprintf(f, "%zu cases: %zu passed, %zu failed", total.cases, total.passed,
            total.cases - total.passed);
    if (total.differ)
        fprintf(f, " \xC2\xB7 the verdicts differ in %zu", total.differ);
    fputs("\n\n", f);
    fputs("| section | cases | passed | failed | OK | NON-STRICT | INFORMATIONAL | "
          "UNIMPLEMENTED | FAILED | close not OK |\n"
          "|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
          f);
    const json_t *titles = json_object_get(run, "sections"); /* "1": "Framing" */
    for (size_t r = 0; r < n_rows; r++) {
        fputs("| ", f);
        md_text(f, rows[r].section);
        const json_t *t = json_object_get(titles, rows[r].section);
        if (json_is_string(t)) {
            fputc(' ', f);
            md_text(f, json_string_value(t));
        }
        row_print(f, &rows[r]);
    }
    fputs("| **all**", f);
    row_print(f, &total);
    free(rows);

    non_strict_list(f, cases, agent, report_ci_verdict_mode(run));
    differ_list(f, cases, agent);
    fputc('\n', f);
    return 0;
}

/* ------------------------------------------------------------ failing cases */

/* "  - LABEL" and the member, when it is not empty. */
static void member_item(FILE *f, const char *label, const json_t *c, const char *key)
{
    size_t n;
    report_ci_str(c, key, &n);
    if (!n)
        return;
    fputs(label, f);
    md_member(f, c, key);
    fputc('\n', f);
}

/* Both verdicts of a failing case, as `wsspec run` prints them: Autobahn's with its
 * texts and what broke, the RFC's (and what broke for it, when that is something else),
 * the rule that makes them differ. */
static void verdict_items(FILE *f, const json_t *c)
{
    fputs("  - Autobahn: behavior ", f);
    md_member(f, c, "behavior");
    fputs(" (", f);
    md_member(f, c, "result");
    fputs("); close ", f);
    md_member(f, c, "behaviorClose");
    fputs(" (", f);
    md_member(f, c, "resultClose");
    fputs(")\n", f);
    member_item(f, "  - broken: ", c, "broken");
    const char *rb, *rbc;
    report_ci_rfc_pair(c, &rb, &rbc);
    fputs("  - RFC 6455: behavior ", f);
    md_text(f, rb);
    fputs("; close ", f);
    md_text(f, rbc);
    fputs(json_is_string(json_object_get(c, "rfcBehavior"))
              ? "\n"
              : " (no RFC verdict in this report: Autobahn's)\n",
          f);
    size_t n, rn;
    const char *b = report_ci_str(c, "broken", &n), *r = report_ci_str(c, "rfcBroken", &rn);
    if (rn != n || memcmp(r, b, n) != 0)
        member_item(f, "  - broken: ", c, "rfcBroken");
    member_item(f, "  - difference: ", c, "difference");
    member_item(f, "  - observed: ", c, "observed"); /* a hardening probe's figures */
}

static void failure(FILE *f, const char *dir, const json_t *run, const json_t *c, const char *seed,
                    const json_t *bl, bool show_agent)
{
    const char *agent = report_ci_str(c, "agent", NULL), *id = report_ci_str(c, "id", NULL);
    fputs("- **", f);
    md_text(f, id);
    fputs("** ", f);
    md_member(f, c, "title");
    if (show_agent) {
        fputs(" \xE2\x80\x94 ", f);
        md_text(f, agent);
    }
    fputc('\n', f);
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(c, "rfc"), i, r)
    {
        const char *level = report_ci_str(r, "level", NULL);
        const char *doc = report_ci_str(r, "document", NULL);
        fputs("  - requirement: ", f);
        md_text(f, *doc ? doc : "RFC 6455");
        fputs(" \xC2\xA7", f);
        md_member(f, r, "section");
        fputc(' ', f);
        md_text(f, *level ? level : "MUST");
        fputs(": \"", f);
        size_t n;
        const char *s = report_ci_str(r, "sentence", &n);
        md_text_n(f, s, n, 600); /* quoted from the RFC: ours, and worth reading whole */
        fputs("\"\n", f);
    }
    char *exp = report_ci_expectation(dir, c);
    if (exp) {
        fputs("  - expected: ", f);
        md_text(f, exp);
        fputc('\n', f);
        free(exp);
    }
    verdict_items(f, c);
    const char *kind = NULL;
    const json_t *change = report_ci_baseline_change(bl, agent, id, &kind);
    if (change) {
        char was[128];
        fprintf(f, "  - baseline: %s, was ",
                !strcmp(kind, "regressions") ? "**regression**" : report_ci_change_label(kind));
        md_text(f, report_ci_outcome(json_object_get(change, "old"), was, sizeof was));
        fputc('\n', f);
    }
    char cmd[8192];
    report_ci_replay(cmd, sizeof cmd, run, agent, id, seed);
    fputs("  - replay: ", f);
    md_code(f, cmd);
    fputc('\n', f);
}

/* ------------------------------------------------------------ baseline */

static void baseline_block(FILE *f, const json_t *bl, bool show_agent)
{
    static const char *const kinds[] = {"regressions", "fixes", "changed", "added", "removed"};
    static const char *const label[] = {"regression", "fix", "changed", "added", "removed"};
    const json_t *from = json_object_get(bl, "baseline"), *counts = json_object_get(bl, "counts");
    fputs("### Since the baseline\n\nCompared with ", f);
    md_code(f, report_ci_str(from, "file", NULL));
    fputs(" (seed ", f);
    md_member(f, from, "seed");
    fputs(", started ", f);
    md_member(f, from, "started");
    fputs("): ", f);
    for (size_t k = 0; k < 5; k++) {
        long long v = (long long)json_integer_value(json_object_get(counts, kinds[k]));
        fprintf(f, "%s%s%lld %s%s", k ? ", " : "", k == 0 && v ? "**" : "", v,
                k == 0 ? (v == 1 ? "regression" : "regressions")
                       : (k == 1 ? (v == 1 ? "fix" : "fixes") : kinds[k]),
                k == 0 && v ? "**" : "");
    }
    fputs(".\n", f);
    long long assumed = (long long)json_integer_value(json_object_get(bl, "rfcAssumed"));
    if (assumed > 0)
        fprintf(f,
                "The baseline has no RFC 6455 verdict for %lld case%s (written by an older "
                "wsspec): Autobahn's verdict stands for it there.\n",
                assumed, assumed == 1 ? "" : "s");
    const json_t *paired = json_object_get(bl, "pairedAgents");
    if (json_is_object(paired)) {
        fputs("The run's only agent, ", f);
        md_member(f, paired, "new");
        fputs(", was compared with the baseline's, ", f);
        md_member(f, paired, "old");
        fputs(".\n", f);
    }
    size_t rows = 0, total = 0;
    for (size_t k = 0; k < 5; k++) {
        size_t i;
        const json_t *e;
        json_array_foreach(json_object_get(bl, kinds[k]), i, e)
        {
            total++;
            if (rows == MD_MAX_CHANGES)
                continue;
            if (rows++ == 0)
                fprintf(f,
                        "\n| change |%s case | title | before | now |\n|:--|%s:--|:--|:--|:--|\n",
                        show_agent ? " agent |" : "", show_agent ? ":--|" : "");
            char o1[128], o2[128];
            fprintf(f, "| %s%s%s | ", k == 0 ? "**" : "", label[k], k == 0 ? "**" : "");
            if (show_agent) {
                md_member(f, e, "agent");
                fputs(" | ", f);
            }
            md_member(f, e, "id");
            fputs(" | ", f);
            md_member(f, e, "title");
            fputs(" | ", f);
            md_text(f, report_ci_outcome(json_object_get(e, "old"), o1, sizeof o1));
            fputs(" | ", f);
            md_text(f, report_ci_outcome(json_object_get(e, "new"), o2, sizeof o2));
            fputs(" |\n", f);
        }
    }
    if (total > rows)
        fprintf(f, "\n%zu more changes in `baseline.json`.\n", total - rows);
    fputc('\n', f);
}

/* ------------------------------------------------------------ a run that stopped */

/* What the heading calls the reason a run stopped (wsspec.json stopped.reason). */
static const char *stop_label(const char *reason)
{
    if (!strcmp(reason, "interrupted"))
        return "interrupted";
    if (!strcmp(reason, "max-time"))
        return "--max-time reached";
    if (!strcmp(reason, "target"))
        return "a target could not be tested";
    if (!strcmp(reason, "wsspec"))
        return "wsspec's own trouble";
    if (!strcmp(reason, "target-died"))
        return "a target stopped answering";
    return "stopped";
}

/* The heading of a run that did not finish: that first, then the counts of the cases
 * that did run. */
static void stopped_heading(FILE *f, const json_t *stopped, size_t failed, size_t total,
                            size_t not_run, size_t n_agents)
{
    fputs("## wsspec: INCOMPLETE run (", f);
    md_text(f, stop_label(report_ci_str(stopped, "reason", NULL)));
    if (failed)
        fprintf(f, "): %zu of %zu cases failed", failed, total);
    else
        fprintf(f, "): %zu cases ran, none failed", total);
    if (not_run)
        fprintf(f, ", %zu never ran", not_run);
    fprintf(f, " (%zu target%s)\n\n", n_agents, n_agents == 1 ? "" : "s");
}

/* Under the heading of a run that stopped: why, and every case that never ran, per
 * target (the tables below count only the cases that did). */
static void stopped_block(FILE *f, const json_t *stopped, size_t not_run)
{
    fputs("> **The run did not finish:** ", f);
    md_member(f, stopped, "message");
    if (!not_run) {
        fputs("\n\n", f);
        return;
    }
    fprintf(f, ".  \n> %zu selected case%s never ran and %s not counted below:\n", not_run,
            not_run == 1 ? "" : "s", not_run == 1 ? "is" : "are");
    size_t i;
    const json_t *t;
    json_array_foreach(json_object_get(stopped, "notRun"), i, t)
    {
        const json_t *a = json_object_get(t, "agent");
        fputs("> - ", f);
        if (json_is_string(a)) {
            md_text(f, json_string_value(a));
            fputc(' ', f);
        } else {
            fputs("not reached: ", f);
        }
        md_code(f, report_ci_str(t, "url", NULL));
        fputs(": ", f);
        size_t k;
        const json_t *nc;
        json_array_foreach(json_object_get(t, "cases"), k, nc)
        {
            if (k)
                fputs(", ", f);
            md_member(f, nc, "id");
        }
        fputc('\n', f);
    }
    fputc('\n', f);
}

/* ------------------------------------------------------------ the page */

/* Which verdict decides, how many cases each one fails and in how many they differ -
 * counted from the cases, so an older wsspec.json (one verdict) reads the same. */
static void verdicts_line(FILE *f, const json_t *run)
{
    static const char *const rule[] = {
        [VERDICT_BOTH] = "a case passes when both verdicts pass",
        [VERDICT_AUTOBAHN] = "Autobahn's verdict alone decides",
        [VERDICT_RFC] = "the RFC 6455 verdict alone decides",
    };
    enum verdict_mode mode = report_ci_verdict_mode(run);
    bool strict = json_is_true(json_object_get(json_object_get(run, "options"), "strict"));
    size_t ab_failed = 0, rfc_failed = 0, differ = 0, i;
    const json_t *c;
    json_array_foreach(json_object_get(run, "cases"), i, c)
    {
        const char *rb, *rbc;
        report_ci_rfc_pair(c, &rb, &rbc);
        ab_failed += !report_ci_pair_passes(report_ci_str(c, "behavior", NULL),
                                            report_ci_str(c, "behaviorClose", NULL), strict);
        rfc_failed += !report_ci_pair_passes(rb, rbc, strict);
        differ += report_ci_differs(c);
    }
    fprintf(f,
            "Verdicts (`--verdict %s`: %s): Autobahn's fails %zu, the RFC 6455 verdict fails "
            "%zu; they differ in %zu case%s.\n\n",
            verdict_mode_name(mode), rule[mode], ab_failed, rfc_failed, differ,
            differ == 1 ? "" : "s");
}

int report_md_write(const char *dir, const json_t *run, char *err, size_t cap)
{
    size_t n_agents;
    bool oom;
    const char **agents = report_ci_agents(run, &n_agents, &oom);
    if (oom) {
        snprintf(err, cap, "%s/%s: out of memory", dir, REPORT_MD_FILE);
        return -1;
    }
    struct report_out o;
    if (report_out_open(&o, dir, REPORT_MD_FILE, err, cap) != 0) {
        free(agents);
        return -1;
    }
    FILE *f = o.f;
    const json_t *cases = json_object_get(run, "cases");
    json_t *bl = report_ci_baseline(dir, run);
    char seed[48];
    report_ci_seed(run, seed);
    size_t total = json_array_size(cases), failed = 0, i;
    const json_t *c;
    json_array_foreach(cases, i, c) failed += !json_is_true(json_object_get(c, "passed"));
    long long regressions = bl ? (long long)json_integer_value(
                                     json_object_get(json_object_get(bl, "counts"), "regressions"))
                               : 0;
    bool on_regression = bl && !strcmp(report_ci_str(bl, "failOn", NULL), "regression");

    /* the verdict: what decided the exit status, in one line */
    const char *targets = n_agents == 1 ? "target" : "targets";
    const json_t *stopped = report_ci_stopped(run);
    size_t not_run = report_ci_not_run_count(run);
    if (stopped)
        stopped_heading(f, stopped, failed, total, not_run, n_agents);
    else if (on_regression && regressions)
        fprintf(f,
                "## wsspec: %lld regression%s since the baseline (%zu of %zu cases failed, "
                "%zu %s)\n\n",
                regressions, regressions == 1 ? "" : "s", failed, total, n_agents, targets);
    else if (on_regression)
        fprintf(f,
                "## wsspec: no regressions since the baseline (%zu of %zu cases failed, "
                "all known; %zu %s)\n\n",
                failed, total, n_agents, targets);
    else if (failed && bl)
        fprintf(f,
                "## wsspec: %zu of %zu cases failed (%zu %s; %lld regression%s since the "
                "baseline)\n\n",
                failed, total, n_agents, targets, regressions, regressions == 1 ? "" : "s");
    else if (failed)
        fprintf(f, "## wsspec: %zu of %zu cases failed (%zu %s)\n\n", failed, total, n_agents,
                targets);
    else
        fprintf(f, "## wsspec: all %zu cases passed (%zu %s)\n\n", total, n_agents, targets);
    if (stopped)
        stopped_block(f, stopped, not_run);

    const json_t *tool = json_object_get(run, "tool");
    md_member(f, tool, "name");
    fputc(' ', f);
    md_member(f, tool, "version");
    fputs(" \xC2\xB7 seed ", f);
    md_text(f, seed);
    fprintf(f, " \xC2\xB7 %s",
            json_is_true(json_object_get(json_object_get(run, "options"), "strict"))
                ? "`--strict`"
                : "NON-STRICT passes");
    fputs(" \xC2\xB7 started ", f);
    md_member(f, run, "started");
    fprintf(f, " \xC2\xB7 %.1f s\n\n", json_number_value(json_object_get(run, "wallMs")) / 1000);
    verdicts_line(f, run);

    int rc = 0;
    for (size_t a = 0; a < n_agents && rc == 0; a++)
        rc = target_block(f, run, agents[a]);

    if (failed && rc == 0) {
        fprintf(f, "### Failing cases (%zu)\n\n", failed);
        size_t shown = 0;
        json_array_foreach(cases, i, c)
        {
            if (json_is_true(json_object_get(c, "passed")))
                continue;
            if (shown++ == MD_MAX_FAILURES) {
                fprintf(f,
                        "- \xE2\x80\xA6 and %zu more (`junit.xml` and `index.html` have them "
                        "all)\n",
                        failed - MD_MAX_FAILURES);
                break;
            }
            failure(f, dir, run, c, seed, bl, n_agents > 1);
        }
        fputc('\n', f);
    }
    if (bl)
        baseline_block(f, bl, n_agents > 1);

    char cmd[4096];
    report_ci_rerun(cmd, sizeof cmd, run);
    fputs("### Replay\n\nThe same seed sends the same bytes: ", f);
    md_code(f, cmd);
    fputs("\n", f);

    json_decref(bl);
    free(agents);
    if (rc != 0) {
        report_out_abort(&o);
        snprintf(err, cap, "%s/%s: out of memory", dir, REPORT_MD_FILE);
        return -1;
    }
    return report_out_commit(&o, err, cap);
}

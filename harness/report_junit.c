/*
 * report_junit.c - DIR/junit.xml, the run as JUnit XML for CI test-report UIs (GitLab's
 * test report, Jenkins, the GitHub actions that read JUnit):
 *
 *   <testsuites name="wsspec" tests failures errors skipped time>
 *     <testsuite name="wsspec run">          only when the run did not finish: one
 *       <testcase name="the run did not finish"><error message=WHY type=REASON>
 *     <testsuite name=AGENT ...>            one per target, in command-line order
 *       <properties> url, seed, strict, verdict, baseline, stopped </properties>
 *       <testcase classname="wsspec.AGENT.SECTION" name="ID TITLE" time>
 *         <failure message="VERDICTS: WHY" type="BEHAVIOR/CLOSE">details</failure>
 *         <skipped/> | <system-out>notes</system-out>
 *       <testcase ...><skipped message="never ran: ..."/>   a case the stop kept from running
 *     <testsuite name=URL ...>              a target the run stopped before reaching
 *
 * A case fails when wsspec.json says it did not pass ("passed": false), so --strict
 * and --verdict are honoured as the run applied them. The failure message names both
 * verdicts (Autobahn's and the RFC's) and, where they differ, the rule that makes the
 * difference; its type is the verdict pair that failed. NON-STRICT and INFORMATIONAL
 * cases pass with a note in system-out, and so does a passing case whose verdicts
 * differ; UNIMPLEMENTED (a feature the server does not offer) is skipped. The failure
 * text is the failure block of `wsspec run`: the requirement, expected next to both
 * verdicts, and the command that replays the case (with the target's replayOptions).
 *
 * A run that stopped early (wsspec.json "stopped") is not a list of passes: the first
 * suite holds one testcase in error, which every CI test view counts and shows, and each
 * case that never ran is a skipped testcase under the name a complete run gives it, so
 * a CI's history of that test sees a skip, not a disappearance. (Test views have shown
 * a bare <skipped> as a pass - GitLab's did until its parser learned the element - so
 * the error is what carries the news.)
 *
 * Every string is escaped for XML 1.0: markup characters become entities, characters
 * XML 1.0 does not allow (C0 controls other than tab/LF/CR, U+FFFE/U+FFFF) become the
 * Unicode control pictures (U+2400 + byte, U+2421 for DEL) so a reader still sees which
 * byte it was, and invalid UTF-8 becomes U+FFFD.
 */
#include "report_ci.h"
#include "report_render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Text (attr false) or attribute value (attr true; quotes and the white space a
 * parser would normalise are written as character references). */
static void xml_text(FILE *f, const char *s, size_t n, bool attr)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = report_ci_utf8_next(s + i, n - i, &cp);
        char enc[4];
        switch (cp) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>': /* "]]>" must not appear in text */
            fputs("&gt;", f);
            break;
        case '"':
            fputs(attr ? "&quot;" : "\"", f);
            break;
        case '\'':
            fputs(attr ? "&apos;" : "'", f);
            break;
        case '\t':
            fputs(attr ? "&#9;" : "\t", f);
            break;
        case '\n':
            fputs(attr ? "&#10;" : "\n", f);
            break;
        case '\r': /* parsers turn a raw CR into LF, even in text */
            fputs("&#13;", f);
            break;
        default:
            if (cp < 0x20)
                cp += 0x2400; /* control pictures: U+2400 NUL ... U+241F US */
            else if (cp == 0x7F)
                cp = 0x2421;
            else if (cp == 0xFFFE || cp == 0xFFFF)
                cp = 0xFFFD;
            if (cp < 0x80 && k == 1)
                fputc((int)cp, f);
            else
                fwrite(enc, 1, report_ci_utf8_put(cp, enc), f);
        }
        i += k;
    }
}

static void xml_str(FILE *f, const char *s, bool attr)
{
    xml_text(f, s, strlen(s), attr);
}

/* attribute: ` name="value"` */
static void xml_attr(FILE *f, const char *name, const char *value, size_t n)
{
    fprintf(f, " %s=\"", name);
    xml_text(f, value, n, true);
    fputc('"', f);
}

/* classname parts are dotted paths in every JUnit UI (package.class): an agent name's
 * own dots and slashes ("127.0.0.1:9001", "Python/3.11 websockets/10.4") would split
 * it into packages, so everything outside [A-Za-z0-9_-] becomes '_' there. The
 * testsuite name keeps the agent as it is. */
static void classname(FILE *f, const char *agent, const char *id)
{
    char section[40], cls[160];
    report_ci_section(id, section, sizeof section);
    fprintf(f, " classname=\"wsspec.%s.", report_ci_agent_class(agent, cls, sizeof cls));
    xml_str(f, section, true);
    fputc('"', f);
}

static const char *level_name(const json_t *r)
{
    const char *l = report_ci_str(r, "level", NULL);
    return *l ? l : "MUST";
}

/* "LABEL" then s[0..n) and a line end, when s is not empty. */
static void text_line(FILE *f, const char *label, const char *s, size_t n)
{
    if (!n)
        return;
    fputs(label, f);
    xml_text(f, s, n, false);
    fputc('\n', f);
}

/* Both verdicts as `wsspec run` prints them: Autobahn's with its texts and what broke,
 * the RFC's (and what broke for it, when that is something else), the difference. An
 * older wsspec.json has no RFC verdict: its line says it is Autobahn's. */
static void verdict_lines(FILE *f, const json_t *c)
{
    size_t n, rn;
    const char *s;
    fputs("Autobahn:    behavior ", f);
    xml_str(f, report_ci_str(c, "behavior", NULL), false);
    fputs(" (", f);
    s = report_ci_str(c, "result", &n);
    xml_text(f, s, n, false);
    fputs("); close ", f);
    xml_str(f, report_ci_str(c, "behaviorClose", NULL), false);
    fputs(" (", f);
    s = report_ci_str(c, "resultClose", &n);
    xml_text(f, s, n, false);
    fputs(")\n", f);
    s = report_ci_str(c, "broken", &n);
    text_line(f, "broken:      ", s, n);
    const char *rb, *rbc;
    report_ci_rfc_pair(c, &rb, &rbc);
    fputs("RFC 6455:    behavior ", f);
    xml_str(f, rb, false);
    fputs("; close ", f);
    xml_str(f, rbc, false);
    fputs(json_is_string(json_object_get(c, "rfcBehavior"))
              ? "\n"
              : " (no RFC verdict in this report: Autobahn's)\n",
          f);
    const char *r = report_ci_str(c, "rfcBroken", &rn);
    if (rn != n || memcmp(r, s, n) != 0)
        text_line(f, "broken:      ", r, rn);
    s = report_ci_str(c, "difference", &n);
    text_line(f, "difference:  ", s, n);
    s = report_ci_str(c, "observed", &n); /* a hardening probe's figures (section 17) */
    text_line(f, "observed:    ", s, n);
}

/* The requirement, expected next to both verdicts, what broke, the replay command. */
static void failure_text(FILE *f, const char *dir, const json_t *run, const json_t *c,
                         const char *seed, const json_t *change, const char *kind)
{
    size_t n;
    const char *s;
    size_t i;
    const json_t *r;
    xml_str(f, report_ci_str(c, "id", NULL), false);
    fputc(' ', f);
    s = report_ci_str(c, "title", &n);
    xml_text(f, s, n, false);
    fputc('\n', f);
    json_array_foreach(json_object_get(c, "rfc"), i, r)
    {
        const char *doc = report_ci_str(r, "document", NULL);
        fputs("requirement: ", f);
        xml_str(f, *doc ? doc : "RFC 6455", false);
        fputs(" \xC2\xA7", f);
        xml_str(f, report_ci_str(r, "section", NULL), false);
        fputc(' ', f);
        xml_str(f, level_name(r), false);
        fputs(": \"", f);
        s = report_ci_str(r, "sentence", &n);
        xml_text(f, s, n, false);
        fputs("\"\n", f);
    }
    char *exp = report_ci_expectation(dir, c);
    if (exp) {
        fputs("expected:    ", f);
        xml_str(f, exp, false);
        fputc('\n', f);
        free(exp);
    }
    verdict_lines(f, c);
    if (change) {
        char was[128];
        fprintf(f, "baseline:    %s, was ", report_ci_change_label(kind));
        xml_str(f, report_ci_outcome(json_object_get(change, "old"), was, sizeof was), false);
        fputc('\n', f);
    }
    char cmd[8192];
    report_ci_replay(cmd, sizeof cmd, run, report_ci_str(c, "agent", NULL),
                     report_ci_str(c, "id", NULL), seed);
    fputs("replay:      ", f);
    xml_str(f, cmd, false);
    fputc('\n', f);
}

struct tally {
    size_t tests, failures, skipped;
    double ms;
};

static void count(const json_t *cases, const char *agent, struct tally *t)
{
    size_t i;
    const json_t *c;
    json_array_foreach(cases, i, c)
    {
        if (strcmp(report_ci_str(c, "agent", NULL), agent) != 0)
            continue;
        t->tests++;
        bool passed = json_is_true(json_object_get(c, "passed"));
        if (!passed)
            t->failures++;
        else if (!strcmp(report_ci_str(c, "behavior", NULL), "UNIMPLEMENTED"))
            t->skipped++;
        t->ms += json_number_value(json_object_get(c, "durationMs"));
    }
}

static void property(FILE *f, const char *name, const char *value)
{
    fprintf(f, "      <property name=\"%s\"", name);
    xml_attr(f, "value", value, strlen(value));
    fputs("/>\n", f);
}

/* What a testcase needs besides its entry: the run's facts and the baseline. */
struct junit_ctx {
    const char *dir, *agent, *url, *seed;
    const json_t *run, *bl;
    enum verdict_mode mode;
    bool strict;
};

/* <failure message="VERDICTS: WHY" type="PAIR">: WHY is the difference between the
 * verdicts when there is one, else what broke (or the result text) for the verdict that
 * failed; PAIR is that verdict's "BEHAVIOR/CLOSE" ("RFC 6455 ..." when it is the RFC's
 * and Autobahn's is another). */
static void failure(FILE *f, const json_t *c, const struct junit_ctx *x, const json_t *change,
                    const char *kind)
{
    bool by_rfc = report_ci_failed_by_rfc(c, x->mode, x->strict), differs = report_ci_differs(c);
    char verdicts[256], type[160];
    const char *rb, *rbc;
    report_ci_rfc_pair(c, &rb, &rbc);
    report_ci_verdicts(c, verdicts, sizeof verdicts);
    if (by_rfc)
        snprintf(type, sizeof type, "%s%s/%s", differs ? "RFC 6455 " : "", rb, rbc);
    else
        snprintf(type, sizeof type, "%s/%s", report_ci_str(c, "behavior", NULL),
                 report_ci_str(c, "behaviorClose", NULL));
    size_t n;
    const char *why = report_ci_str(c, "difference", &n);
    if (!n)
        why = report_ci_str(c, by_rfc ? "rfcBroken" : "broken", &n);
    if (!n)
        why = report_ci_str(c, "result", &n);
    fputs("      <failure message=\"", f);
    xml_str(f, verdicts, true);
    fputs(": ", f);
    xml_text(f, why, n, true);
    fputc('"', f);
    xml_attr(f, "type", type, strlen(type));
    fputc('>', f);
    failure_text(f, x->dir, x->run, c, x->seed, change, kind);
    fputs("</failure>\n", f);
}

/* "NON-STRICT: ..." for a passing case whose verdict (by the run's mode) is NON-STRICT;
 * what_broke is that verdict's broken line. */
static void note_non_strict(FILE *f, const char *who, const json_t *c, const char *what_broke)
{
    size_t n;
    fprintf(f,
            "NON-STRICT%s: passes, but the server did not do what a SHOULD asks; fails with "
            "--strict.\n",
            who);
    const char *b = report_ci_str(c, what_broke, &n);
    if (n) {
        xml_text(f, b, n, false);
        fputc('\n', f);
    }
}

/* The notes of a passing case, in system-out. */
static void notes(FILE *f, const json_t *c, bool ab_non_strict, bool rfc_non_strict, bool info,
                  const json_t *change, const char *kind)
{
    size_t n;
    fputs("      <system-out>", f);
    if (ab_non_strict)
        note_non_strict(f, "", c, "broken");
    else if (rfc_non_strict)
        note_non_strict(f, " (the RFC 6455 verdict)", c, "rfcBroken");
    if (info) {
        fputs("INFORMATIONAL: the outcome is recorded, not judged: ", f);
        const char *r = report_ci_str(c, "result", &n);
        xml_text(f, r, n, false);
        fputc('\n', f);
    }
    if (report_ci_differs(c)) {
        char verdicts[256];
        fputs("verdicts differ: ", f);
        xml_str(f, report_ci_verdicts(c, verdicts, sizeof verdicts), false);
        const char *d = report_ci_str(c, "difference", &n);
        if (n)
            fputs(": ", f);
        xml_text(f, d, n, false);
        fputc('\n', f);
    }
    if (change) {
        char was[128];
        fprintf(f, "baseline: %s, was ", report_ci_change_label(kind));
        xml_str(f, report_ci_outcome(json_object_get(change, "old"), was, sizeof was), false);
        fputc('\n', f);
    }
    fputs("</system-out>\n", f);
}

static void testcase(FILE *f, const json_t *c, const struct junit_ctx *x)
{
    const char *id = report_ci_str(c, "id", NULL), *behavior = report_ci_str(c, "behavior", NULL);
    size_t n;
    const char *title = report_ci_str(c, "title", &n);
    fputs("    <testcase", f);
    classname(f, x->agent, id);
    fputs(" name=\"", f);
    xml_str(f, id, true);
    fputc(' ', f);
    xml_text(f, title, n, true);
    fprintf(f, "\" time=\"%.3f\"", json_number_value(json_object_get(c, "durationMs")) / 1000);

    const char *kind = NULL, *rb, *rbc;
    const json_t *change = report_ci_baseline_change(x->bl, x->agent, id, &kind);
    report_ci_rfc_pair(c, &rb, &rbc);
    bool passed = json_is_true(json_object_get(c, "passed"));
    /* a NON-STRICT note for each verdict the run's mode counts */
    bool ab_non_strict = x->mode != VERDICT_RFC && !strcmp(behavior, "NON-STRICT");
    bool rfc_non_strict = x->mode != VERDICT_AUTOBAHN && !strcmp(rb, "NON-STRICT");
    bool info = !strcmp(behavior, "INFORMATIONAL"), unimpl = !strcmp(behavior, "UNIMPLEMENTED");
    bool noted = ab_non_strict || rfc_non_strict || info || change || report_ci_differs(c);
    if (passed && !unimpl && !noted) {
        fputs("/>\n", f);
        return;
    }
    fputs(">\n", f);
    if (!passed) {
        failure(f, c, x, change, kind);
    } else {
        if (unimpl) {
            const char *msg = report_ci_str(c, "result", &n);
            fputs("      <skipped", f);
            xml_attr(f, "message", msg, n);
            fputs("/>\n", f);
        }
        if (noted)
            notes(f, c, ab_non_strict, rfc_non_strict, info, change, kind);
    }
    fputs("    </testcase>\n", f);
}

/* ------------------------------------------------------------ a run that stopped */

/* The cases that never ran of a notRun entry about agent, or NULL. */
static const json_t *not_run_of(const json_t *stopped, const char *agent)
{
    size_t i;
    const json_t *t;
    json_array_foreach(json_object_get(stopped, "notRun"), i, t)
    {
        const char *a = json_string_value(json_object_get(t, "agent"));
        if (a && !strcmp(a, agent))
            return json_object_get(t, "cases");
    }
    return NULL;
}

/* A case that never ran: a skipped testcase under the name it has in a complete run, so
 * a CI's test history follows it. */
static void not_run_case(FILE *f, const char *agent, const json_t *nc, const json_t *stopped)
{
    size_t n;
    const char *id = report_ci_str(nc, "id", NULL), *title = report_ci_str(nc, "title", &n);
    fputs("    <testcase", f);
    classname(f, agent, id);
    fputs(" name=\"", f);
    xml_str(f, id, true);
    fputc(' ', f);
    xml_text(f, title, n, true);
    fputs("\" time=\"0.000\">\n      <skipped message=\"never ran: the run stopped first: ", f);
    const char *msg = report_ci_str(stopped, "message", &n);
    xml_text(f, msg, n, true);
    fputs("\"/>\n    </testcase>\n", f);
}

/* The first testsuite of a run that stopped: one testcase in error, so every CI UI
 * shows at the top that the results are incomplete. */
static void stopped_suite(FILE *f, const json_t *stopped, size_t not_run)
{
    size_t n, i;
    const char *msg = report_ci_str(stopped, "message", &n);
    fputs("  <testsuite name=\"wsspec run\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" "
          "time=\"0.000\">\n    <testcase classname=\"wsspec.run\" name=\"the run did not "
          "finish\" time=\"0.000\">\n      <error",
          f);
    xml_attr(f, "message", msg, n);
    const char *reason = report_ci_str(stopped, "reason", &n);
    xml_attr(f, "type", reason, n);
    fputc('>', f);
    xml_text(f, msg, strlen(msg), false);
    fprintf(f, "\n%zu selected case%s never ran (skipped testcases):\n", not_run,
            not_run == 1 ? "" : "s");
    const json_t *t;
    json_array_foreach(json_object_get(stopped, "notRun"), i, t)
    {
        const json_t *a = json_object_get(t, "agent");
        fputs("  ", f);
        if (json_is_string(a))
            xml_str(f, json_string_value(a), false);
        else
            fputs("(not reached)", f);
        fputs(" ", f);
        xml_str(f, report_ci_str(t, "url", NULL), false);
        fputs(":", f);
        size_t k;
        const json_t *nc;
        json_array_foreach(json_object_get(t, "cases"), k, nc)
        {
            fputc(' ', f);
            xml_str(f, report_ci_str(nc, "id", NULL), false);
        }
        fputc('\n', f);
    }
    fputs("</error>\n    </testcase>\n  </testsuite>\n", f);
}

/* <testsuite ...> and its properties; url may be NULL. */
static void suite_open(FILE *f, const json_t *run, const char *name, const char *url,
                       const struct tally *t, const char *seed, const json_t *bl)
{
    fputs("  <testsuite", f);
    xml_attr(f, "name", name, strlen(name));
    fprintf(f, " tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\"",
            t->tests, t->failures, t->skipped, t->ms / 1000);
    /* JUnit's timestamp is an ISO 8601 local time without zone: the run's UTC start, cut
     * before the milliseconds */
    const char *started = report_ci_str(run, "started", NULL);
    if (strlen(started) >= 19)
        xml_attr(f, "timestamp", started, 19);
    fputs(">\n    <properties>\n", f);
    if (url)
        property(f, "url", url);
    property(f, "seed", seed);
    property(f, "strict",
             json_is_true(json_object_get(json_object_get(run, "options"), "strict")) ? "true"
                                                                                      : "false");
    property(f, "verdict", verdict_mode_name(report_ci_verdict_mode(run)));
    if (bl)
        property(f, "baseline", report_ci_str(json_object_get(bl, "baseline"), "file", NULL));
    const json_t *stopped = report_ci_stopped(run);
    if (stopped)
        property(f, "stopped", report_ci_str(stopped, "message", NULL));
    fputs("    </properties>\n", f);
}

/* The targets the run stopped before reaching (or whose agent has no suite): a suite of
 * skipped testcases each, named by the URL when the agent is not known. */
static void unreached_suites(FILE *f, const json_t *run, const char **agents, size_t n_agents,
                             const char *seed, const json_t *bl)
{
    const json_t *stopped = report_ci_stopped(run), *t;
    size_t i;
    json_array_foreach(json_object_get(stopped, "notRun"), i, t)
    {
        const char *a = json_string_value(json_object_get(t, "agent"));
        bool known = false;
        for (size_t k = 0; a && k < n_agents && !known; k++)
            known = !strcmp(agents[k], a);
        if (known)
            continue;
        const char *url = report_ci_str(t, "url", NULL), *name = a ? a : url;
        const json_t *cases = json_object_get(t, "cases"), *nc;
        struct tally tl = {.tests = json_array_size(cases), .skipped = json_array_size(cases)};
        suite_open(f, run, name, url, &tl, seed, bl);
        size_t k;
        json_array_foreach(cases, k, nc)
        {
            not_run_case(f, name, nc, stopped);
        }
        fputs("  </testsuite>\n", f);
    }
}

int report_junit_write(const char *dir, const json_t *run, char *err, size_t cap)
{
    size_t n_agents;
    bool oom;
    const char **agents = report_ci_agents(run, &n_agents, &oom);
    if (oom) {
        snprintf(err, cap, "%s/%s: out of memory", dir, REPORT_JUNIT_FILE);
        return -1;
    }
    struct report_out o;
    if (report_out_open(&o, dir, REPORT_JUNIT_FILE, err, cap) != 0) {
        free(agents);
        return -1;
    }
    FILE *f = o.f;
    const json_t *cases = json_object_get(run, "cases"), *stopped = report_ci_stopped(run);
    json_t *bl = report_ci_baseline(dir, run);
    char seed[48];
    report_ci_seed(run, seed);
    bool strict = json_is_true(json_object_get(json_object_get(run, "options"), "strict"));
    enum verdict_mode mode = report_ci_verdict_mode(run);

    struct tally all = {0};
    for (size_t a = 0; a < n_agents; a++)
        count(cases, agents[a], &all);
    size_t not_run = report_ci_not_run_count(run);
    all.tests += not_run + (stopped != NULL);
    all.skipped += not_run;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f,
            "<testsuites name=\"wsspec\" tests=\"%zu\" failures=\"%zu\" errors=\"%d\" "
            "skipped=\"%zu\" time=\"%.3f\">\n",
            all.tests, all.failures, stopped != NULL, all.skipped,
            json_number_value(json_object_get(run, "wallMs")) / 1000);
    if (stopped)
        stopped_suite(f, stopped, not_run);
    for (size_t a = 0; a < n_agents; a++) {
        const char *agent = agents[a], *url = report_ci_target_url(run, agent);
        const json_t *missing = not_run_of(stopped, agent), *nc;
        struct tally t = {0};
        count(cases, agent, &t);
        t.tests += json_array_size(missing);
        t.skipped += json_array_size(missing);
        /* time: the sum of the case durations (cases run concurrently, so this is work,
         * not elapsed time; the elapsed time of the whole run is on testsuites) */
        suite_open(f, run, agent, url, &t, seed, bl);
        const struct junit_ctx x = {.dir = dir,
                                    .agent = agent,
                                    .url = url,
                                    .seed = seed,
                                    .run = run,
                                    .bl = bl,
                                    .mode = mode,
                                    .strict = strict};
        size_t i;
        const json_t *c;
        json_array_foreach(cases, i, c)
        {
            if (!strcmp(report_ci_str(c, "agent", NULL), agent))
                testcase(f, c, &x);
        }
        json_array_foreach(missing, i, nc)
        {
            not_run_case(f, agent, nc, stopped);
        }
        fputs("  </testsuite>\n", f);
    }
    if (stopped)
        unreached_suites(f, run, agents, n_agents, seed, bl);
    fputs("</testsuites>\n", f);
    json_decref(bl);
    free(agents);
    return report_out_commit(&o, err, cap);
}

/*
 * baseline.h - `wsspec run --baseline OLD/wsspec.json`: what changed since an earlier
 * run (last night's), per (agent, case id):
 *
 *   regression  fails now, and passed in the baseline or was not in it
 *   fix         passed now, failed in the baseline
 *   changed     passes or fails as before, but a verdict differs (OK -> NON-STRICT,
 *               WRONG CODE -> FAILED BY CLIENT, ...)
 *   added       passes now, not in the baseline
 *   removed     in the baseline, not in this run
 *
 * Both runs are read from their wsspec.json (reports/README.md), so the comparison is
 * the same whether the new run is in memory or re-read later. Like is compared with
 * like: "passes" is judged with THIS run's --strict and --verdict for both sides, from
 * the same fields - Autobahn's pair (behavior, behaviorClose) for "autobahn", the RFC's
 * (rfcBehavior, rfcBehaviorClose) for "rfc", both pairs for "both" - and "changed"
 * looks at the pairs the mode uses (either of them for "both"): a flag changed between
 * the runs is not a change in the target. A baseline written before wsspec had two
 * verdicts has no RFC pair; its RFC pair is taken to be its Autobahn pair (the one
 * verdict it had), and the comparison says so. A case the baseline does not have
 * counts as a regression when it fails: nothing says the failure is known, and a nightly
 * run with --fail-on regression must not let it through. Agents are matched by name;
 * when each run has exactly one agent and the names differ (a Server header that
 * carries a version number changes with every release), the two are compared anyway
 * and the pairing is reported.
 *
 * Memory: a struct baseline_run owns its strings; a struct baseline_diff points into
 * the two runs it was made from, which must outlive it. All structs may be zero-filled.
 */
#ifndef BASELINE_H
#define BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "result.h" /* enum verdict_mode */

/* A wsspec.json is about 300 bytes per case and per target (a full 4-target matrix is
 * under 1 MiB); 64 MiB is beyond any real one and bounds what a wrong file costs. */
#define BASELINE_MAX_BYTES (64 * 1024 * 1024)

/* One (agent, case) outcome: the last one the run has for that pair. */
struct baseline_case {
    char *agent;
    char *id;
    char *title;    /* "" when the file has none */
    char *behavior; /* Autobahn's verdict */
    char *behavior_close;
    char *rfc_behavior; /* the RFC's verdict; a copy of Autobahn's when the file has none */
    char *rfc_behavior_close;
    bool rfc_assumed; /* the file had no RFC pair for this case (an older wsspec.json) */
    bool passed;      /* as the file says (its own --strict and --verdict) */
    size_t order;     /* position in the file's "cases" (the run order) */
};

struct baseline_run {
    struct baseline_case *cases; /* sorted by agent, then id numerically; pairs unique */
    size_t n;
    char **agents; /* in first-seen order: "targets" first, then agents only in "cases" */
    size_t n_agents;
    bool strict;               /* options.strict */
    enum verdict_mode verdict; /* options.verdict; VERDICT_BOTH when absent or unknown */
    size_t rfc_assumed;        /* cases without an RFC pair */
    char seed[32];             /* "" when absent */
    char started[40];          /* "" when absent */
};

/* Parse a wsspec.json held in text[0..len) (need not be NUL-terminated) into out
 * (zero-filled or freed). Checks that it is one: an object with "schemaVersion" 1 and a
 * "cases" list whose entries have string "agent", "id", "behavior", "behaviorClose", a
 * boolean "passed", and either both of "rfcBehavior", "rfcBehaviorClose" as strings or
 * neither (absent or null). Returns 0, or -1 with one line in err: "line 1, column 2: ...",
 * "not a wsspec.json: no \"schemaVersion\" (an Autobahn index.json? use the run's
 * wsspec.json)", "cases[3].behavior: expected a string". */
int baseline_parse(const char *text, size_t len, struct baseline_run *out, char *err, size_t cap);

/* Read path (a wsspec.json, or a report directory holding one) and parse it; err is
 * prefixed with the path. */
int baseline_load(const char *path, struct baseline_run *out, char *err, size_t cap);

void baseline_run_free(struct baseline_run *r);

/* Autobahn's pass rule (reports/README.md, "Passing"), on the verdict strings. */
bool baseline_passes(const char *behavior, const char *behavior_close, bool strict);

/* A case passes under a verdict mode: its Autobahn pair, its RFC pair, or both pass. */
bool baseline_case_passes(const struct baseline_case *c, enum verdict_mode mode, bool strict);

/* Two outcomes of a case differ in a pair the mode uses (either pair for "both"). */
bool baseline_case_differs(const struct baseline_case *a, const struct baseline_case *b,
                           enum verdict_mode mode);

enum baseline_kind {
    BASELINE_REGRESSION = 0,
    BASELINE_FIX,
    BASELINE_CHANGED,
    BASELINE_ADDED,
    BASELINE_REMOVED,
    BASELINE_KINDS
};

/* "regressions", "fixes", "changed", "added", "removed": the keys of baseline.json. */
const char *baseline_kind_key(enum baseline_kind k);

struct baseline_change {
    enum baseline_kind kind;
    const struct baseline_case *old_case; /* NULL for added (and new regressions) */
    const struct baseline_case *new_case; /* NULL for removed */
    bool old_passed;   /* the old case under the new run's --strict and --verdict */
    bool new_passed;   /* the new case, by the same rule */
    size_t agent_rank; /* the agent's place: the new run's agents, then the old run's */
};

struct baseline_diff {
    struct baseline_change *changes; /* by kind, then the new run's agent order, then id */
    size_t n;
    size_t count[BASELINE_KINDS];
    /* set when the runs' single agents were paired despite different names */
    const char *paired_old, *paired_new;
    enum verdict_mode verdict; /* the new run's: how both sides were judged */
    /* the baseline's cases whose RFC pair was taken from Autobahn's (baseline_run),
     * counted when the mode looks at the RFC pair */
    size_t rfc_assumed_old;
};

/* Compare, judging both sides by new_run's --strict and --verdict; d must be zero-filled
 * or freed. Returns 0, or -1 when out of memory. */
int baseline_compare(const struct baseline_run *old_run, const struct baseline_run *new_run,
                     struct baseline_diff *d);

void baseline_diff_free(struct baseline_diff *d);

/* Write DIR/baseline.json (atomically, like the other report files): where the baseline
 * came from (old_path, its seed and start time), which run it was compared with (the new
 * run's seed and start time: a renderer shows the file only for that run), fail_on
 * ("any" or "regression"), the verdict mode, how many baseline cases had no RFC pair
 * ("rfcAssumed"), the counts, and one list per kind with {agent, id, title, old, new}
 * ({behavior, behaviorClose, rfcBehavior, rfcBehaviorClose, passed} or null). Returns 0
 * or -1 with err. */
int baseline_write(const char *dir, const char *old_path, const struct baseline_run *old_run,
                   const struct baseline_run *new_run, const struct baseline_diff *d,
                   const char *fail_on, char *err, size_t cap);

/* Remove a DIR/baseline.json left by an earlier run into the same directory, so a run
 * without --baseline never shows stale changes. Missing is fine. */
void baseline_remove(const char *dir);

/* The block printed at the end of a run: one line of counts (and the verdict mode when
 * it is not "both"), a line when the baseline's RFC verdicts were taken from Autobahn's,
 * then
 * up to BASELINE_PRINT_MAX lines per kind ("regression 6.4.3 OK/OK -> FAILED/OK  title";
 * an outcome whose RFC pair differs, when the mode uses it: "OK/OK [RFC FAILED/OK]";
 * with the agent when show_agent), added/removed by count only when there are many. */
#define BASELINE_PRINT_MAX 50
void baseline_print(FILE *f, const struct baseline_diff *d, const char *old_path, bool show_agent);

#endif

/*
 * report_ci.h - what the two reports made for CI systems share: DIR/junit.xml
 * (report_junit.c, for test-report UIs) and DIR/summary.md (report_md.c, for job
 * summaries). Both read the run's wsspec.json as parsed by report_render, and both
 * show the same facts: which agents, which cases failed and why, the command that
 * replays a case, and - when the run was compared with a baseline - DIR/baseline.json.
 *
 * Everything here reads; nothing writes. Strings a target sent (agent names, close
 * reasons inside `broken`) are passed through unchanged: each writer escapes for its
 * own format, starting from report_ci_utf8_next so neither has to trust the bytes.
 */
#ifndef REPORT_CI_H
#define REPORT_CI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "result.h" /* enum verdict_mode */

/* Decode one character of s[0..n) (n >= 1): returns the bytes it takes (>= 1) and the
 * code point in *cp; a byte that does not start a valid UTF-8 sequence (RFC 3629: no
 * overlongs, surrogates or values above U+10FFFF) takes 1 byte and gives U+FFFD. */
size_t report_ci_utf8_next(const char *s, size_t n, uint32_t *cp);

/* Encode cp as UTF-8 into out (4 bytes room); returns the length. */
size_t report_ci_utf8_put(uint32_t cp, char *out);

/* A string member: its bytes and length (JSON strings may hold U+0000, so the length
 * is not strlen); "" and 0 when the key is absent or not a string. */
const char *report_ci_str(const json_t *obj, const char *key, size_t *len);

/* The run's seed as text (wsspec.json writes it as a decimal string; older files may
 * hold an integer). */
void report_ci_seed(const json_t *run, char out[48]);

/* The run's --verdict (options.verdict: "both", "autobahn", "rfc"). A file without it
 * (an older wsspec.json, which has only Autobahn's verdict) or with a value this wsspec
 * does not know reads as VERDICT_BOTH. */
enum verdict_mode report_ci_verdict_mode(const json_t *run);

/* A case's RFC 6455 verdict: rfcBehavior and rfcBehaviorClose, or Autobahn's pair when
 * the entry has none (an older wsspec.json: one verdict, so the two are the same). */
void report_ci_rfc_pair(const json_t *c, const char **behavior, const char **behavior_close);

/* The case's two verdicts differ: a "difference" is recorded, or the pairs differ. */
bool report_ci_differs(const json_t *c);

/* One verdict pair passes (Autobahn's pass rule, reports/README.md "Passing"). */
bool report_ci_pair_passes(const char *behavior, const char *behavior_close, bool strict);

/* Which verdict made a failing case fail under the run's mode: true for the RFC's
 * (Autobahn's passes, or the mode is "rfc"), false for Autobahn's. */
bool report_ci_failed_by_rfc(const json_t *c, enum verdict_mode mode, bool strict);

/* "Autobahn OK/OK, RFC 6455 FAILED/OK" when the verdicts differ, "Autobahn and RFC 6455
 * FAILED/OK" when they agree. Returns out. */
const char *report_ci_verdicts(const json_t *c, char *out, size_t cap);

/* The agents of the run in report order: "targets" first (command-line order), then any
 * agent that only occurs in "cases". Returns a malloc'ed array of pointers into run
 * (valid while run is) and the count in *n; NULL with *n = 0 when there are none or
 * memory ran out (*oom set then). */
const char **report_ci_agents(const json_t *run, size_t *n, bool *oom);

/* The URL of the target an agent was recorded for ("targets"), or NULL. */
const char *report_ci_target_url(const json_t *run, const char *agent);

/* The "targets" entry of an agent, or NULL. */
const json_t *report_ci_target(const json_t *run, const char *agent);

/* The agent part of a JUnit classname: every byte outside [A-Za-z0-9_-] becomes '_'
 * (UIs read classnames as dotted paths), at most 128 bytes. Returns out. */
const char *report_ci_agent_class(const char *agent, char *out, size_t cap);

/* "stopped" of the run: the object when the run did not finish, else NULL. */
const json_t *report_ci_stopped(const json_t *run);

/* How many selected cases never ran (stopped.notRun, every target); 0 for a run that
 * completed. */
size_t report_ci_not_run_count(const json_t *run);

/* The section of a case id: its first component ("6.4.3" -> "6"). */
void report_ci_section(const char *id, char *out, size_t cap);

/* What a conformant server does in this case: the "expectation" of its per-case file
 * (DIR/<reportfile>; wsspec.json does not repeat it). A malloc'ed string, or NULL when
 * the file is missing or has none (the writers then leave the line out). */
char *report_ci_expectation(const char *dir, const json_t *c);

/* DIR/baseline.json when it belongs to this run (its "run" seed and start time are
 * the run's), else NULL: a file left from an earlier run into the same directory is
 * ignored. New reference. */
json_t *report_ci_baseline(const char *dir, const json_t *run);

/* The baseline change recorded for (agent, id): returns the entry and sets *kind to
 * its list ("regressions", "fixes", "changed", "added"), or NULL when the case did
 * not change. */
const json_t *report_ci_baseline_change(const json_t *bl, const char *agent, const char *id,
                                        const char **kind);

/* The singular of a baseline list name for a sentence: "regressions" -> "regression",
 * "fixes" -> "fix"; others as they are. */
const char *report_ci_change_label(const char *kind);

/* "OK/OK" for an outcome object {behavior, behaviorClose} of baseline.json, "not run"
 * for null; with its RFC 6455 pair when it has one that differs: "OK/OK (RFC 6455
 * FAILED/OK)". Returns out. */
const char *report_ci_outcome(const json_t *o, char *out, size_t cap);

/* A command line a shell reads back as these words: arguments with characters outside
 * [A-Za-z0-9@%+=:,./_-] are put in single quotes ('\'' for a quote). Appends to
 * out[0..cap) at *used (out stays NUL-terminated; *used counts what was needed, so
 * *used >= cap means it was cut). */
void report_ci_shell_word(char *out, size_t cap, size_t *used, const char *word);

/* The command that replays one case: "wsspec run URL --cases ID --seed N" and then
 * opts[0..n_opts), the options that change what the case sends or how it is judged,
 * every word shell-quoted. `wsspec run` prints its failure blocks with it, the reports
 * use report_ci_replay: the same text everywhere. Returns the length needed (the
 * command is complete when it is < cap). */
size_t report_ci_replay_words(char *out, size_t cap, const char *url, const char *id,
                              const char *seed, const char *const *opts, size_t n_opts);

/* report_ci_replay_words for a case of agent in run: the URL and "replayOptions" of its
 * target (none in a wsspec.json older than them; "URL" when the agent has no target). */
size_t report_ci_replay(char *out, size_t cap, const json_t *run, const char *agent, const char *id,
                        const char *seed);

/* The command that repeats the whole run: the recorded "command" words, plus
 * "--seed N" when they have no --seed. Returns the length needed. */
size_t report_ci_rerun(char *out, size_t cap, const json_t *run);

#endif

/*
 * report_json.h - the JSON files of a report directory, written from finished case
 * results (result.h) and the run's metadata:
 *
 *   DIR/index.json                      Autobahn's summary: agent -> case id -> verdicts
 *   DIR/<agent>_case_<id>.json          Autobahn's per-case record plus wsspec's keys
 *   DIR/wsspec.json                     the whole run in one file (wsspec's own schema),
 *                                       with why it stopped when it did not finish
 *
 * The schemas, the string encoding rules and the verdict rules are documented for
 * users in reports/README.md; keep that file in step with report_json.c.
 *
 * Every file is written to DIR/.NAME.tmp and renamed over DIR/NAME, so a reader never
 * sees half a file. Errors are returned with a message; nothing here aborts.
 */
#ifndef REPORT_JSON_H
#define REPORT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "result.h"

struct report_target {
    const char *url; /* as given on the command line; not owned */
    char agent[128]; /* the agent name its cases were recorded under: unique in the run,
                        and so is its per-case file-name prefix (run_cmd.c) */
    /* What else a replay of one of its cases needs besides "wsspec run URL --cases ID
     * --seed N": the options that change what the case sends or how it is judged
     * (--origin, -H, --timeout-scale, --cacert, --cases-dir, --strict, ...), one shell
     * word each, credentials already redacted. Written to wsspec.json as
     * targets[].replayOptions. Not owned; NULL when n_replay is 0. */
    const char *const *replay;
    size_t n_replay;
};

/* The selected cases of one target that have no result in the report because the run
 * stopped first (never started, or abandoned mid-case by an interrupt). */
struct report_not_run {
    const char *url;   /* the target; not owned */
    const char *agent; /* its agent name; NULL when the run stopped before reaching it */
    const struct case_def *const *cases; /* in run order; not owned */
    size_t n_cases;
};

/* What the run was. Strings and arrays are the caller's and only read during
 * report_json_write. Zero is a valid value for every field (meaning "not known"). */
struct report_run {
    const char *name;    /* tool name; NULL = "wsspec" */
    const char *version; /* tool version, "0.1.0" */
    uint64_t seed;       /* the run's seed (written as a decimal string: it can exceed 2^53) */
    double started;      /* wall clock at the start, seconds since the epoch */
    double finished;     /* wall clock at the end; 0 = started + wall_ms */
    double wall_ms;      /* elapsed time of the whole run */
    int argc;            /* the command line as given (argv[0] first) */
    char *const *argv;
    bool strict;               /* --strict: NON-STRICT counts as a failure */
    enum verdict_mode verdict; /* --verdict: which verdict decides "passed" */
    double timeout_scale;      /* --timeout-scale */
    unsigned jobs;             /* -j */
    bool liveness;             /* liveness checks after the cases (not --no-liveness) */
    const char *cases;         /* --cases patterns; NULL = all */
    const char *exclude;       /* --exclude patterns; NULL = none */
    const struct report_target *targets;
    size_t n_targets;
    bool fsync; /* fsync every file before the rename (crash safety; slower) */
    /* The catalogue's section titles ("1" Framing, "1.1" Text Messages); the ones that
     * hold a reported case go into wsspec.json ("sections") for the section rows of the
     * HTML report. NULL = none. */
    const struct case_section *sections;
    size_t n_sections;
    /* A run that did not finish: why ("interrupted", "max-time", "target": a target could
     * not be tested, "wsspec": wsspec's own trouble), one line saying so, and what never
     * ran. stop_reason NULL: the run completed ("stopped": null in wsspec.json). */
    const char *stop_reason;
    const char *stop_message;
    const struct report_not_run *not_run;
    size_t n_not_run;
};

/* Write all three kinds of file for results[0..n) into dir, creating dir (and its
 * parents) when missing. results are in run order: a result's Autobahn "case" number
 * is its 1-based position among the results of the same agent. When one (agent, case
 * id) pair occurs more than once, the last result is the one index.json and the
 * per-case file show. Returns 0, or -1 with a one-line message in err (err_cap bytes,
 * NUL-terminated) naming the file and the reason; files written before the error stay. */
int report_json_write(const char *dir, const struct case_result *results, size_t n,
                      const struct report_run *run, char *err, size_t err_cap);

/* Only the per-case file of one result (case_no: its Autobahn "case" number), into dir
 * (which must exist): what `wsspec serve` writes as each case ends, before the next
 * report_json_write of the whole run. Returns 0, or -1 with a message in err. */
int report_json_write_case(const char *dir, const struct case_result *r, size_t case_no, char *err,
                           size_t err_cap);

/* The agent's part of report file names, normalised the way Autobahn does it
 * (cleanForFilename: lower-cased; every character outside [a-z0-9] becomes a blank;
 * trimmed; blanks become '_', runs not merged): "Python/3.11 websockets" ->
 * "python_3_11_websockets"; "" when the name has no letter or digit. Returns the length
 * it needs (like snprintf); the stem is complete only when that is < cap. */
size_t report_json_agent_stem(const char *agent, char *out, size_t cap);

/* The per-case file name, "<stem>_case_<id>.json": the agent's stem as above and the
 * id's dots replaced by '_'. Returns the length it needs (like snprintf); the name is
 * complete only when that is < cap. */
size_t report_json_case_filename(const char *agent, const char *id, char *out, size_t cap);

#endif

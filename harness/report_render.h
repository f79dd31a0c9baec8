/*
 * report_render.h - the one place where reports other than JSON are made: HTML, JUnit
 * XML and Markdown are all rendered FROM the JSON files of a report directory
 * (reports/README.md), never from in-memory results. `wsspec run` writes the JSON
 * (report_json.h) and then calls report_render on the same directory; `wsspec report
 * DIR` calls only report_render. So a re-rendered report is byte for byte what the run
 * would have written, and a report can be re-rendered on another machine, later, or by
 * a newer wsspec.
 *
 * The writers of each format share the prototypes below:
 *   report_html_write   report_html.c   DIR/index.html
 *   report_junit_write  report_junit.c  DIR/junit.xml
 *   report_md_write     report_md.c     DIR/summary.md
 * Each gets the parsed DIR/wsspec.json (`run`, borrowed, read-only) and may load
 * per-case files with report_load_json. Each writes through report_out_open/commit, so
 * a reader sees the previous file or the complete new one, never half a file.
 */
#ifndef REPORT_RENDER_H
#define REPORT_RENDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

enum { REPORT_JSON = 1, REPORT_HTML = 2, REPORT_JUNIT = 4, REPORT_MD = 8 };
#define REPORT_ALL (REPORT_JSON | REPORT_HTML | REPORT_JUNIT | REPORT_MD)

/* File names inside the report directory, one per rendered format. */
#define REPORT_RUN_FILE "wsspec.json"
#define REPORT_HTML_FILE "index.html"
#define REPORT_JUNIT_FILE "junit.xml"
#define REPORT_MD_FILE "summary.md"

/* Parse a comma-separated format list ("json,html,junit,md"; blanks around names
 * allowed, names case-sensitive, repeats harmless) into REPORT_* bits. "all" is every
 * format. Returns 0, or -1 with a message naming the bad entry and the valid names in
 * err (an empty list, an empty entry, an unknown name). */
int report_formats_parse(const char *list, unsigned *formats, char *err, size_t cap);

/* Render the formats in `formats` (REPORT_JSON is ignored: the JSON is the input, made
 * by report_json_write) into dir from dir/wsspec.json. Every requested format is tried
 * even after one fails. Returns 0, or -1 with the first failure in err ("DIR: no such
 * directory", "DIR is not a wsspec report: ...", "DIR/index.html: No space left on
 * device", ...). */
int report_render(const char *dir, unsigned formats, char *err, size_t cap);

/* report_render, and when out is non-NULL a line per file written, as it is written:
 * "report: html   DIR/index.html". */
int report_render_print(const char *dir, unsigned formats, FILE *out, char *err, size_t cap);

/* Load dir/wsspec.json and check that it is a wsspec report (an object with
 * "schemaVersion" 1 and a "cases" array). Returns a new reference, or NULL with the
 * reason in err. */
json_t *report_load_run(const char *dir, char *err, size_t cap);

/* Load one JSON file. The reports wsspec writes are valid UTF-8, but a file edited or
 * cut by hand may not be: invalid UTF-8 sequences are replaced by U+FFFD before parsing
 * (jansson rejects them) so one bad byte does not hide a whole case. Strings may hold
 * NUL (JSON_ALLOW_NUL). Returns a new reference, or NULL with "PATH: reason" in err. */
json_t *report_load_json(const char *path, char *err, size_t cap);

/* ------------------------------------------------------------ an earlier run's files
 *
 * `wsspec run` into a directory that holds an earlier report removes every file of that
 * report it does not write again, so no file contradicts the new wsspec.json (an older
 * index.html beside a --format md run, the per-case files of an agent this run does not
 * have, a baseline.json without --baseline). It removes only files wsspec wrote, never a
 * user's file that happens to be there, and recognises them so:
 *   - per-case files by record: the earlier wsspec.json names each one ("reportfile");
 *     a name is taken only when it is one wsspec writes (<agent>_case_<id>.json, no
 *     path). Their own content proves nothing (Autobahn's files look the same);
 *   - index.html, junit.xml, summary.md, baseline.json by name and by wsspec's mark in
 *     their content (index.html's generator meta or title, junit.xml's <testsuites
 *     name="wsspec">, summary.md's "## wsspec: " heading, baseline.json's keys): they
 *     may have been rendered later by `wsspec report`, which records nothing.
 * Files of a run that wrote nothing (stopped before its first case) are left alone. */

/* The per-case file names the report already in a directory records. */
struct report_prior {
    char **files; /* malloc'ed names */
    size_t n;
};

/* Read dir/wsspec.json's "reportfile" names into p, before a run overwrites it; p is
 * empty when dir holds no wsspec report. Returns 0, or -1 when out of memory. */
int report_prior_load(const char *dir, struct report_prior *p);
void report_prior_free(struct report_prior *p);

/* After the run wrote its JSON into dir (and baseline.json, when kept): remove the
 * files of the earlier report that this run does not write again - the per-case files
 * p names that dir/wsspec.json no longer does, the rendered files `formats` leaves out,
 * baseline.json unless keep_baseline - each as described above. A line per removed file
 * (one for all per-case files) goes to out when not NULL: "report: removed DIR/index.html
 * (an earlier run's)". Returns 0, or -1 with "PATH: reason" in err when a file cannot
 * be removed (it would contradict the new report). */
int report_prune(const char *dir, const struct report_prior *p, unsigned formats,
                 bool keep_baseline, FILE *out, char *err, size_t cap);

/* The mark in the first bytes of an index.html wsspec writes. */
#define REPORT_HTML_GENERATOR "<meta name=\"generator\" content=\"wsspec\">"

/* A file being written: DIR/.NAME.tmp, renamed over DIR/NAME by commit. */
struct report_out {
    FILE *f;
    char tmp[4096];
    char path[4096];
};

/* Open dir/.name.tmp for writing. Returns 0, or -1 with "PATH: reason" in err. */
int report_out_open(struct report_out *o, const char *dir, const char *name, char *err, size_t cap);
/* Flush, close and rename over the final name; checks every step (a full disk shows
 * at fclose). On failure the temporary file is removed. Returns 0 or -1 with err. */
int report_out_commit(struct report_out *o, char *err, size_t cap);
/* Give up: close and remove the temporary file. */
void report_out_abort(struct report_out *o);

/* The format writers. dir exists; run is dir/wsspec.json as loaded by report_load_run.
 * Each returns 0, or -1 with "PATH: reason" in err. */
int report_html_write(const char *dir, const json_t *run, char *err, size_t cap);
int report_junit_write(const char *dir, const json_t *run, char *err, size_t cap);
int report_md_write(const char *dir, const json_t *run, char *err, size_t cap);

#endif

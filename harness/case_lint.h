/*
 * case_lint.h - the catalogue subcommands of `wsspec`: `lint` (check case files, name
 * file and line of every error) and `list` (show the selected cases, as text or JSON),
 * and where the built-in catalogue lives. Both entry points take argv starting at the
 * subcommand's name and return the exit status: 0 clean, 1 errors in the catalogue,
 * 2 usage error (one line on stderr).
 */
#ifndef CASE_LINT_H
#define CASE_LINT_H

#include <stdio.h>

#include "case.h"

struct cli_doc;

/* `wsspec lint [FILES|DIRS...]`: parse the given files and every *.wsc of the given
 * directories (default: case_default_dir()) as one catalogue, so ids must be unique
 * over all of them. Prints each error as "FILE:LINE: message" on stdout, then
 * "N files, M cases, K errors" (M counts the cases without errors). */
int case_cmd_lint(int argc, char **argv);
/* Its --help and man page (echo/cli_doc.h). */
extern const struct cli_doc lint_doc;

/* `wsspec list [--cases PATTERNS] [--exclude PATTERNS] [--cases-dir DIR]... [--json]`:
 * the built-in catalogue plus each --cases-dir (a directory already read is not read
 * twice), filtered like `run` (case_select). One line per case, "ID  TITLE", or with
 * --json a JSON array (case_list_json). Catalogue errors go to stderr and make the
 * exit status 1; the cases without errors are still listed. */
int case_cmd_list(int argc, char **argv);
/* Its --help and man page (echo/cli_doc.h). */
extern const struct cli_doc list_doc;

/* The built-in catalogue directory (case_lint.c says where it is looked for: never
 * the working directory), or NULL when none of those places holds one. The string is
 * the environment's or a static buffer: valid until the next call, not thread-safe
 * (the CLI calls it once). */
const char *case_default_dir(void);

/* The same, or NULL after one line on stderr: "wsspec CMD: the built-in catalogue was
 * not found (looked in A, B, C; set WSSPEC_CASES=DIR)". */
const char *case_default_dir_or_say(const char *cmd);

/* One line for `wsspec version` and --help: "DIR (installed)", "DIR (build tree)",
 * "DIR (built in)", "DIR ($WSSPEC_CASES)", or "not found (looked in ...)". */
void case_default_dir_describe(char *out, size_t cap);

/* Write cases idx[0..n) of cat to out as a JSON array of
 *   {"id", "title", "expectation", "rfc": [{"section", "level", "sentence"}],
 *    "judge": "events"|"size"|"informational", "file", "line"}
 * Strings are escaped for JSON; bytes that are not UTF-8 become U+FFFD. Returns 0, or
 * -1 when writing failed. */
int case_list_json(FILE *out, const struct case_catalogue *cat, const size_t *idx, size_t n);

#endif

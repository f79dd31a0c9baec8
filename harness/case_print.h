/*
 * case_print.h - a parsed case written back as case-file text (cases/README.md).
 *
 * What makes a case built in memory - a mutant of `wsspec fuzz`, a minimised finding -
 * a file `wsspec run --cases-dir` replays: reading the text back gives the same case
 * (harness/tests/test_case_print.c checks that for every case of the catalogue).
 * Payloads are written as literals and repeat()s (deflate(P) as the bytes it made),
 * strings with escapes for every byte that is not printable ASCII, and '{' escaped
 * so that no placeholder is read where the case had bytes.
 */
#ifndef CASE_PRINT_H
#define CASE_PRINT_H

#include <stdio.h>

#include "case.h"

/* Write c as one `case ... end` block to f, with id `id` (NULL: c's own). Returns 0, or
 * -1 when writing failed (f's error indicator tells why). */
int case_print(FILE *f, const struct case_def *c, const char *id);

/* The same into a malloc'ed NUL-terminated string (caller frees); NULL: out of memory. */
char *case_print_string(const struct case_def *c, const char *id);

#endif

/*
 * fuzz_page.h - `wsspec fuzz`'s findings as one self-contained HTML page, DIR/index.html,
 * rendered from the same JSON object as DIR/summary.json: the run (URL, --cmd, seed,
 * conversations), each finding (kind, what was seen, its case file, the seed case it
 * came from, when it was found, steps left), and with --coverage the edges reached over
 * time. Everything is escaped, what the target sent (in a finding's text) above all:
 * the five HTML metacharacters as entities, control bytes and bytes past ASCII as '?'.
 */
#ifndef FUZZ_PAGE_H
#define FUZZ_PAGE_H

#include <jansson.h>
#include <stddef.h>

/* Writes path from summary (summary.json's object). Returns 0, or -1 with errno set. */
int fuzz_page_write(const char *path, const json_t *summary);

#endif

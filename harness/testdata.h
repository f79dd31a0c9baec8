/*
 * testdata.h - the payload files of the compression sections (12, 13 and wsspec's own),
 * generated deterministically by wsspec: the same bytes on every machine and every run,
 * of the same kinds and sizes as the files Autobahn|Testsuite ships (which wsspec does
 * not copy): JSON-like text, a bitmap-like binary, natural-language text, HTML text and
 * already-compressed binary.
 *
 * A case takes message k of LEN units from a file treated as a ring (start offset k * LEN,
 * wrapping): for a text file the unit is a code point (every file of kind text is valid
 * UTF-8), for a binary file a byte.
 */
#ifndef TESTDATA_H
#define TESTDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum testdata_kind {
    TESTDATA_JSON = 0, /* text, 194056 bytes: records of keys, numbers, strings */
    TESTDATA_BITMAP,   /* binary, 263222 bytes: a BMP header and 512x512 8-bit grey pixels */
    TESTDATA_PROSE,    /* sent as binary, 222218 bytes: natural-language text (German-like,
                          with umlauts in UTF-8), lines and paragraphs */
    TESTDATA_HTML,     /* text, 263647 bytes: an HTML document with non-ASCII characters */
    TESTDATA_PACKED,   /* binary, 1042328 bytes: already-compressed data (incompressible) */
    TESTDATA_N
};

struct testdata_info {
    const char *name;  /* case-file name: "json", "bitmap", "prose", "html", "packed" */
    bool text;         /* Autobahn sends it as text messages */
    bool utf8;         /* valid UTF-8 throughout (json, prose, html): may be sliced by
                          code point and sent as text */
    size_t len;        /* bytes */
    const char *title; /* for case titles: "JSON-like text (UTF-8, 194056 bytes)" */
};

/* Facts about kind k (k < TESTDATA_N). */
const struct testdata_info *testdata_info(enum testdata_kind k);

/* The kind named name ("json", ...), or TESTDATA_N when there is none. */
enum testdata_kind testdata_by_name(const char *name);

/* Generate kind k: a malloc'ed buffer of testdata_info(k)->len bytes (the caller frees
 * it), or NULL when out of memory. Deterministic: no clock, no randomness but a fixed
 * seeded generator. */
uint8_t *testdata_make(enum testdata_kind k);

#endif

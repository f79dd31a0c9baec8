/*
 * datastore.h - the generated files of testdata.h as the compression cases use them:
 * message k of a `roundtrip data=NAME slice=N` is the k-th slice of N units of the file
 * taken as a ring (units are code points for a text message, bytes for a binary one),
 * as Autobahn's sections 12 and 13 take their messages from their files.
 *
 * One store per run, owned by the tester: a file is generated the first time a case
 * needs it (at most about 2.1 MB for all five, plus a code-point index of 4 bytes per
 * code point of the text ones) and kept until datastore_free.
 */
#ifndef DATASTORE_H
#define DATASTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "testdata.h"

struct datastore {
    uint8_t *file[TESTDATA_N];
    uint32_t *cp[TESTDATA_N]; /* byte offset of each code point (UTF-8 kinds) */
    size_t n_cp[TESTDATA_N];
};

/* Most bytes one slice of n units can take: 4 per code point for text. */
static inline uint64_t datastore_slice_max(bool by_code_point, uint64_t n)
{
    return by_code_point ? 4 * n : n;
}

/* Write message `index` - `n` units from unit index * n of kind's file as a ring - into
 * out[0..cap) (cap >= datastore_slice_max). by_code_point slices a UTF-8 kind by code
 * point. Returns the bytes written, or SIZE_MAX when the file cannot be generated (out
 * of memory) or cap is too small. */
size_t datastore_slice(struct datastore *ds, enum testdata_kind kind, bool by_code_point,
                       uint64_t index, uint64_t n, uint8_t *out, size_t cap);

void datastore_free(struct datastore *ds);

#endif

/*
 * datastore.c - slices of the generated compression files (see datastore.h).
 */
#include "datastore.h"

#include <stdlib.h>
#include <string.h>

/* Generate kind k (and, for a UTF-8 kind, its code-point index) unless already there. */
static bool datastore_ready(struct datastore *ds, enum testdata_kind k)
{
    if (ds->file[k])
        return true;
    const struct testdata_info *info = testdata_info(k);
    uint8_t *f = testdata_make(k);
    if (!f)
        return false;
    if (info->utf8) {
        uint32_t *cp = malloc(info->len * sizeof *cp);
        if (!cp) {
            free(f);
            return false;
        }
        size_t n = 0;
        for (size_t i = 0; i < info->len; i++)
            if ((f[i] & 0xC0) != 0x80) /* not a continuation byte: a code point starts */
                cp[n++] = (uint32_t)i;
        ds->cp[k] = cp;
        ds->n_cp[k] = n;
    }
    ds->file[k] = f;
    return true;
}

size_t datastore_slice(struct datastore *ds, enum testdata_kind kind, bool by_code_point,
                       uint64_t index, uint64_t n, uint8_t *out, size_t cap)
{
    if (kind >= TESTDATA_N || !datastore_ready(ds, kind))
        return SIZE_MAX;
    const struct testdata_info *info = testdata_info(kind);
    if (by_code_point && !info->utf8)
        return SIZE_MAX;
    if (datastore_slice_max(by_code_point, n) > cap)
        return SIZE_MAX;
    const uint8_t *f = ds->file[kind];
    size_t units = by_code_point ? ds->n_cp[kind] : info->len;
    if (units == 0)
        return SIZE_MAX;
    /* (index * n) mod units without overflow: both factors reduced first */
    uint64_t start = ((index % units) * (n % units)) % units;
    size_t w = 0;
    for (uint64_t left = n; left > 0;) {
        /* one run from start to the ring's end at most */
        uint64_t run = units - start < left ? units - start : left;
        size_t from = by_code_point ? ds->cp[kind][start] : (size_t)start;
        size_t to = by_code_point ? (start + run < units ? ds->cp[kind][start + run] : info->len)
                                  : (size_t)(start + run);
        memcpy(out + w, f + from, to - from);
        w += to - from;
        left -= run;
        start = 0;
    }
    return w;
}

void datastore_free(struct datastore *ds)
{
    for (size_t k = 0; k < TESTDATA_N; k++) {
        free(ds->file[k]);
        free(ds->cp[k]);
    }
    memset(ds, 0, sizeof *ds);
}

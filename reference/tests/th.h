/*
 * th.h - helpers shared by the unit tests (cmocka).
 *
 *  - guard-page buffers: th_guard_copy() places bytes so the last one sits right
 *    before a PROT_NONE page; reading one byte too far faults at once.
 *  - split driver: th_each_split() feeds an input to a parser in two pieces at every
 *    split point, then byte by byte, each piece in its own guard-page buffer.
 *  - failing allocator: th_failalloc fails the Nth allocation (and counts bytes live).
 *  - a seeded generator for masks, keys and random inputs (repeatable failures).
 */
#ifndef TH_H
#define TH_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ws_core.h"

/* Copy len bytes to the end of a fresh mapping followed by an inaccessible page.
 * The buffer is writable (in-place unmasking). Free with th_guard_free. len may be 0
 * (a pointer right at the guard page); data may be NULL for a blank buffer. */
uint8_t *th_guard_copy(const void *data, size_t len);
void th_guard_free(uint8_t *p, size_t len);

/* One run of a parser over an input delivered as n pieces. feed() is called once per
 * piece with a guard-page copy that it may modify; it returns 0 to go on, non-zero
 * to stop this run (e.g. the parser failed). done() is called after the pieces of one
 * run (reset and check there). */
struct th_split_driver {
    void (*begin)(void *ctx);
    int (*feed)(void *ctx, uint8_t *piece, size_t len);
    void (*done)(void *ctx);
    void *ctx;
};

/* Run the driver over input: once whole, once for every 2-piece split point
 * (0..len), once byte by byte. Returns the number of runs made. */
size_t th_each_split(const uint8_t *input, size_t len, const struct th_split_driver *d);

/* Allocator that fails the fail_at-th call (1-based; 0 = never) and tracks usage. */
struct th_failalloc {
    size_t calls, fail_at;
    size_t live_blocks;
    struct ws_allocator alloc; /* filled by th_failalloc_init, pass this to the core */
};
void th_failalloc_init(struct th_failalloc *fa, size_t fail_at);

/* splitmix64: tiny, seeded, repeatable. */
struct th_rng {
    uint64_t s;
};
uint64_t th_rng_next(struct th_rng *r);
void th_rng_bytes(void *rng, uint8_t *out, size_t n); /* ws_random_fn-compatible */

/* Hex string ("81 05 48 65") to bytes; spaces ignored. Returns length. Aborts the
 * test on a bad digit or overflow of cap. */
size_t th_hex(const char *hex, uint8_t *out, size_t cap);

#endif

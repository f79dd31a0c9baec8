/*
 * fuzz_input.h - reading a fuzzer's input as "a few control bytes, then the data".
 *
 * Every target takes its knobs (role, limits, a chop schedule) from the first bytes
 * of the input and treats the rest as the bytes under test, so one file fully
 * describes one run: a crash reproduces from the file alone, and the fuzzer mutates
 * knobs and data together. Short inputs read missing control bytes as 0, so every
 * input, even an empty one, is a valid run.
 *
 * Static helpers only (OSS-Fuzz shape: each target is one .c file plus what it
 * includes); only fuzz_dup allocates.
 */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* AddressSanitizer is on: gcc says so with __SANITIZE_ADDRESS__, clang with
 * __has_feature. */
#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_ASAN 1
#endif
#endif
#ifndef FUZZ_ASAN
#define FUZZ_ASAN 0
#endif
#if FUZZ_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* The harness's own code - these helpers, reference decoders, invariant checks - is
 * left out of coverage (FUZZ_NOCOV_BEGIN after a target's includes, FUZZ_NOCOV_END at
 * its end): the fuzzer is then guided by the code under test alone, and each run
 * spends its time there rather than in comparison hooks of the checks. */
#if defined(__clang__) && __clang_major__ >= 13
#define FUZZ_NOCOV_BEGIN                                                                           \
    _Pragma(                                                                                       \
        "clang attribute push (__attribute__((no_sanitize(\"coverage\"))), apply_to = function)")
#define FUZZ_NOCOV_END _Pragma("clang attribute pop")
#else
#define FUZZ_NOCOV_BEGIN
#define FUZZ_NOCOV_END
#endif

FUZZ_NOCOV_BEGIN

/* Abort with a message: the fuzzer records the input, the replay main names the file.
 * A broken invariant is a bug as real as a crash, so it must look like one. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fuzz_fail(__FILE__, __LINE__, #cond);                                                  \
    } while (0)

static inline void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
    abort();
}

struct fuzz_in {
    const uint8_t *p;
    size_t n;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

/* Big-endian, as many bytes as asked (at most 8). */
static inline uint64_t fuzz_uint(struct fuzz_in *in, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v = v << 8 | fuzz_u8(in);
    return v;
}

/* A chop schedule: the sizes in which the data is handed to the code under test,
 * cycled. Parsers must give the same result however their input is cut, so targets
 * feed their data in the pieces the input's own control bytes choose. Four bytes
 * choose four sizes: 0 means "all the rest" (so a run with zero control bytes feeds
 * everything at once, the cheap case), 1-127 that many bytes (cuts inside headers and
 * UTF-8 sequences), 128-255 (v - 127) * 256 bytes (cuts inside large payloads).
 *
 * After FUZZ_CHOP_PIECES pieces the rest goes in one piece, so the work of one run is
 * bounded by the input's length rather than by length times calls: 64 cuts still put
 * a cut at every byte of four full 14-byte frame headers, while an unbounded 1-byte
 * schedule turns a 64 KiB input into 65,536 calls that test nothing a short input
 * does not. */
#define FUZZ_CHOP_STEPS 4
#define FUZZ_CHOP_PIECES 64
struct fuzz_chop {
    size_t size[FUZZ_CHOP_STEPS];
    unsigned next; /* pieces handed out so far */
};

static inline void fuzz_chop_init(struct fuzz_chop *c, struct fuzz_in *in)
{
    for (unsigned i = 0; i < FUZZ_CHOP_STEPS; i++) {
        uint8_t v = fuzz_u8(in);
        c->size[i] = v == 0 ? SIZE_MAX : v < 128 ? (size_t)v : (size_t)(v - 127) * 256;
    }
    c->next = 0;
}

/* Size of the next piece, at most left. */
static inline size_t fuzz_chop_next(struct fuzz_chop *c, size_t left)
{
    size_t n = c->next < FUZZ_CHOP_PIECES - 1 ? c->size[c->next % FUZZ_CHOP_STEPS] : SIZE_MAX;
    c->next++;
    return n < left ? n : left;
}

/* A copy of data (or, for data NULL, uninitialised room) in a buffer of exactly len
 * bytes, so AddressSanitizer reports any read one byte past it, as it does for
 * libFuzzer's own input buffer. Never NULL: a 0-byte request gets 1 byte. */
static inline uint8_t *fuzz_dup(const uint8_t *data, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    if (!p)
        abort();
    if (data && len)
        memcpy(p, data, len);
    return p;
}

/* Fence a piece inside a larger buffer: the FUZZ_FENCE bytes after buf[end] are made
 * unreadable (ASan poisoning) while the code under test works on the piece, so an
 * over-read of a piece is reported like one past libFuzzer's own input - without a
 * malloc and a copy per piece, which would cost more than the decoding itself. 64
 * bytes cover the widest load in the core (the UTF-8 ASCII loop reads 64 at a time).
 * A no-op without ASan. */
#define FUZZ_FENCE 64
static inline void fuzz_fence(const uint8_t *buf, size_t n, size_t end, bool on)
{
#if FUZZ_ASAN
    size_t k = n - end < FUZZ_FENCE ? n - end : FUZZ_FENCE;
    if (on)
        __asan_poison_memory_region(buf + end, k);
    else
        __asan_unpoison_memory_region(buf + end, k);
#else
    (void)buf;
    (void)n;
    (void)end;
    (void)on;
#endif
}

/* FNV-1a, for comparing two event streams without storing them. */
static inline uint64_t fuzz_hash(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}
#define FUZZ_HASH_INIT 0xcbf29ce484222325ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

FUZZ_NOCOV_END

#endif

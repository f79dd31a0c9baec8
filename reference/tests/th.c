/*
 * th.c - shared unit-test helpers (see th.h).
 */
#define _DEFAULT_SOURCE
#include "th.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t th_page(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
}

static size_t th_span(size_t len)
{
    size_t pg = th_page();
    return ((len + pg - 1) / pg) * pg + pg;
}

uint8_t *th_guard_copy(const void *data, size_t len)
{
    size_t pg = th_page(), span = th_span(len);
    uint8_t *base = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(base != MAP_FAILED);
    assert_int_equal(mprotect(base + span - pg, pg, PROT_NONE), 0);
    uint8_t *p = base + span - pg - len;
    if (len && data)
        memcpy(p, data, len);
    else if (len)
        memset(p, 0xA5, len); /* a blank buffer for writers to fill */
    return p;
}

void th_guard_free(uint8_t *p, size_t len)
{
    size_t pg = th_page(), span = th_span(len);
    uint8_t *base = p + len + pg - span;
    munmap(base, span);
}

static int th_run(const uint8_t *input, size_t len, const size_t *cuts, size_t ncuts,
                  const struct th_split_driver *d)
{
    size_t start = 0;
    int stopped = 0;
    if (d->begin)
        d->begin(d->ctx);
    for (size_t i = 0; i <= ncuts && !stopped; i++) {
        size_t end = i < ncuts ? cuts[i] : len;
        uint8_t *piece = th_guard_copy(input + start, end - start);
        stopped = d->feed(d->ctx, piece, end - start);
        th_guard_free(piece, end - start);
        start = end;
    }
    if (d->done)
        d->done(d->ctx);
    return stopped;
}

size_t th_each_split(const uint8_t *input, size_t len, const struct th_split_driver *d)
{
    size_t runs = 0;
    th_run(input, len, NULL, 0, d);
    runs++;
    for (size_t cut = 0; cut <= len; cut++) {
        th_run(input, len, &cut, 1, d);
        runs++;
    }
    if (len > 1) {
        size_t *cuts = calloc(len - 1, sizeof *cuts);
        assert_non_null(cuts);
        for (size_t i = 0; i + 1 < len; i++)
            cuts[i] = i + 1;
        th_run(input, len, cuts, len - 1, d);
        free(cuts);
        runs++;
    }
    return runs;
}

static void *th_fa_realloc(void *ud, void *ptr, size_t size)
{
    struct th_failalloc *fa = ud;
    fa->calls++;
    if (fa->fail_at && fa->calls == fa->fail_at)
        return NULL;
    void *p = realloc(ptr, size);
    if (p && !ptr)
        fa->live_blocks++;
    return p;
}

static void th_fa_free(void *ud, void *ptr)
{
    struct th_failalloc *fa = ud;
    if (ptr)
        fa->live_blocks--;
    free(ptr);
}

void th_failalloc_init(struct th_failalloc *fa, size_t fail_at)
{
    memset(fa, 0, sizeof *fa);
    fa->fail_at = fail_at;
    fa->alloc.realloc = th_fa_realloc;
    fa->alloc.free = th_fa_free;
    fa->alloc.ud = fa;
}

uint64_t th_rng_next(struct th_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void th_rng_bytes(void *rng, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)th_rng_next(rng);
}

static int th_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t th_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (*hex) {
        if (*hex == ' ') {
            hex++;
            continue;
        }
        int hi = th_hexval(hex[0]), lo = hex[1] ? th_hexval(hex[1]) : -1;
        assert_true(hi >= 0 && lo >= 0);
        assert_true(n < cap);
        out[n++] = (uint8_t)(hi << 4 | lo);
        hex += 2;
    }
    return n;
}

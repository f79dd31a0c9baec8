/*
 * load_hist.c - log-linear latency histogram (load_hist.h).
 */
#include "load_hist.h"

#include <string.h>

_Static_assert(LOAD_HIST_LINEAR == 2 * LOAD_HIST_SUB, "loglin_index: linear part is 2 x sub");
_Static_assert(LOAD_COARSE_LINEAR == 2 * LOAD_COARSE_SUB, "loglin_index: linear part is 2 x sub");

void load_hist_reset(struct load_hist *h)
{
    memset(h, 0, sizeof *h);
}

/* The log-linear layout both histograms use, with sub buckets per power of two (a power
 * of two itself): values below 2 x sub have a bucket each; above, value >> shift lands
 * in [sub, 2 x sub) and picks one of sub buckets of width 2^shift. */
static size_t loglin_index(uint64_t us, uint64_t sub)
{
    if (us > LOAD_HIST_MAX_US)
        us = LOAD_HIST_MAX_US;
    if (us < 2 * sub)
        return (size_t)us;
    unsigned msb = 63u - (unsigned)__builtin_clzll(us);
    unsigned shift = msb - (unsigned)__builtin_ctzll(sub); /* >= 1, since us >= 2 x sub */
    return (size_t)(2 * sub + (shift - 1u) * sub + ((us >> shift) - sub));
}

static uint64_t loglin_low(size_t index, uint64_t sub)
{
    if (index < 2 * sub)
        return index;
    uint64_t k = index - 2 * sub;
    unsigned shift = (unsigned)(k / sub) + 1u;
    return (k % sub + sub) << shift;
}

static uint64_t loglin_high(size_t index, uint64_t sub)
{
    if (index < 2 * sub)
        return index;
    unsigned shift = (unsigned)((index - 2 * sub) / sub) + 1u;
    return loglin_low(index, sub) + (1ull << shift) - 1u;
}

size_t load_hist_index(uint64_t us)
{
    return loglin_index(us, LOAD_HIST_SUB);
}

uint64_t load_hist_low(size_t index)
{
    return loglin_low(index, LOAD_HIST_SUB);
}

uint64_t load_hist_high(size_t index)
{
    return loglin_high(index, LOAD_HIST_SUB);
}

void load_hist_record(struct load_hist *h, uint64_t us)
{
    if (us > LOAD_HIST_MAX_US) {
        us = LOAD_HIST_MAX_US;
        h->clamped++;
    }
    h->counts[load_hist_index(us)]++;
    if (h->total == 0 || us < h->min)
        h->min = us;
    if (us > h->max)
        h->max = us;
    h->total++;
    h->sum += (double)us;
}

void load_hist_add_bucket(struct load_hist *h, size_t index, uint64_t count)
{
    h->counts[index] += count;
    h->total += count;
    /* the bucket's middle: the mean of merged reports is as exact as the buckets */
    h->sum += (double)count * ((double)load_hist_low(index) + (double)load_hist_high(index)) / 2;
}

void load_hist_merge(struct load_hist *to, const struct load_hist *from)
{
    if (from->total == 0)
        return;
    for (size_t i = 0; i < LOAD_HIST_N; i++)
        to->counts[i] += from->counts[i];
    if (to->total == 0 || from->min < to->min)
        to->min = from->min;
    if (from->max > to->max)
        to->max = from->max;
    to->total += from->total;
    to->clamped += from->clamped;
    to->sum += from->sum;
}

uint64_t load_hist_percentile(const struct load_hist *h, double p)
{
    if (h->total == 0)
        return 0;
    if (p < 0)
        p = 0;
    if (p > 100)
        p = 100;
    double want = p / 100.0 * (double)h->total;
    uint64_t rank = (uint64_t)want;
    /* ceil, without libm, and without taking 99.9% of 1000 (999.0000000001) for 1000 */
    if ((double)rank < want - want * 1e-12)
        rank++;
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < LOAD_HIST_N; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t v = load_hist_high(i);
            return v > h->max ? h->max : v;
        }
    }
    return h->max;
}

double load_hist_mean(const struct load_hist *h)
{
    return h->total ? h->sum / (double)h->total : 0;
}

bool load_hist_equal(const struct load_hist *a, const struct load_hist *b)
{
    return a->total == b->total && a->clamped == b->clamped && a->min == b->min &&
           a->max == b->max && memcmp(a->counts, b->counts, sizeof a->counts) == 0;
}

/* ------------------------------------------------------------ the coarse histogram */

size_t load_coarse_index(uint64_t us)
{
    return loglin_index(us, LOAD_COARSE_SUB);
}

uint64_t load_coarse_low(size_t index)
{
    return loglin_low(index, LOAD_COARSE_SUB);
}

uint64_t load_coarse_high(size_t index)
{
    return loglin_high(index, LOAD_COARSE_SUB);
}

void load_coarse_add(struct load_coarse *c, size_t index, uint64_t count)
{
    uint32_t room = UINT32_MAX - c->counts[index];
    c->counts[index] = count >= room ? UINT32_MAX : c->counts[index] + (uint32_t)count;
}

uint64_t load_coarse_percentile(const struct load_coarse *c, double p, uint64_t max)
{
    uint64_t total = 0;
    for (size_t i = 0; i < LOAD_COARSE_N; i++)
        total += c->counts[i];
    if (total == 0)
        return 0;
    double want = (p < 0 ? 0 : p > 100 ? 100 : p) / 100.0 * (double)total;
    uint64_t rank = (uint64_t)want, seen = 0;
    if ((double)rank < want - want * 1e-12)
        rank++;
    if (rank < 1)
        rank = 1;
    for (size_t i = 0; i < LOAD_COARSE_N; i++) {
        seen += c->counts[i];
        if (seen >= rank) {
            uint64_t v = load_coarse_high(i);
            return v > max ? max : v;
        }
    }
    return max;
}

/*
 * load_hist.h - the latency histogram of `wsspec load`: HDR-style log-linear buckets,
 * fixed memory, exact merge.
 *
 * Values are microseconds from 0 to LOAD_HIST_MAX_US (one hour); larger ones are kept as
 * the maximum and counted in `clamped`. Below 2048 us every value has its own bucket;
 * above, each power-of-two range [2^k, 2^(k+1)) is split into 1024 equal buckets, so a
 * bucket's width is at most 1/1024 of its values: three significant decimal digits,
 * like HdrHistogram with significantFigures = 3. The bucket index is a pure function of
 * the value, so two histograms merge exactly by adding their counts (several load
 * processes, several machines), and the same samples give the same counts in whatever
 * order or split they were recorded.
 *
 * Memory: struct load_hist is LOAD_HIST_N counters (about 184 KiB), caller-allocated,
 * safe to zero-fill (load_hist_reset does the same).
 */
#ifndef LOAD_HIST_H
#define LOAD_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOAD_HIST_MAX_US 3600000000ull /* one hour */
#define LOAD_HIST_LINEAR 2048u         /* values below: one bucket each */
#define LOAD_HIST_SUB 1024u            /* buckets per power of two above */
/* 2048 * 2^21 > 3.6e9: 21 power-of-two ranges above the linear part */
#define LOAD_HIST_RANGES 21u
#define LOAD_HIST_N (LOAD_HIST_LINEAR + LOAD_HIST_RANGES * LOAD_HIST_SUB)

struct load_hist {
    uint64_t counts[LOAD_HIST_N];
    uint64_t total;    /* samples */
    uint64_t clamped;  /* samples above LOAD_HIST_MAX_US, recorded as it */
    uint64_t min, max; /* of the values recorded (after clamping); min valid if total > 0 */
    double sum;        /* for the mean */
};

void load_hist_reset(struct load_hist *h);

/* The bucket a value (us) falls in, and the lowest / highest value of a bucket. */
size_t load_hist_index(uint64_t us);
uint64_t load_hist_low(size_t index);
uint64_t load_hist_high(size_t index);

void load_hist_record(struct load_hist *h, uint64_t us);

/* Add one bucket's count as read back from a report (index < LOAD_HIST_N; the caller
 * checks). total and sum follow from the buckets; min and max are set by the caller
 * from the report. */
void load_hist_add_bucket(struct load_hist *h, size_t index, uint64_t count);

/* to += from, exactly: counts, total, clamped, min, max, sum. */
void load_hist_merge(struct load_hist *to, const struct load_hist *from);

/* The value at percentile p (0..100): the highest value of the bucket holding the
 * ceil(p/100 * total)-th sample (at least 1), never above max. 0 when empty. */
uint64_t load_hist_percentile(const struct load_hist *h, double p);

double load_hist_mean(const struct load_hist *h);

/* Whether two histograms hold the same counts (and totals, min, max). */
bool load_hist_equal(const struct load_hist *a, const struct load_hist *b);

/* A coarse histogram, one per point of the latency-over-time series (load.h), for the
 * p50 and p99 of each interval: values below 16 us one bucket each, above, each power of
 * two split into 8, so a bucket is at most 1/8 of its values wide (a percentile read
 * from it is within 12.5 % above the true one). The same pure index function: merged
 * and halved series add their counts exactly. 240 counters (960 bytes), zero-filled =
 * empty; counts saturate at UINT32_MAX. */
#define LOAD_COARSE_LINEAR 16u
#define LOAD_COARSE_SUB 8u
/* 2^32 > LOAD_HIST_MAX_US: powers of two 2^4 .. 2^31 */
#define LOAD_COARSE_N (LOAD_COARSE_LINEAR + 28u * LOAD_COARSE_SUB)

struct load_coarse {
    uint32_t counts[LOAD_COARSE_N];
};

size_t load_coarse_index(uint64_t us);
uint64_t load_coarse_low(size_t index);
uint64_t load_coarse_high(size_t index);
void load_coarse_add(struct load_coarse *c, size_t index, uint64_t count);
/* The highest value of the bucket holding the ceil(p/100 * n)-th of its samples, never
 * above max (the interval's exact maximum). 0 when empty. */
uint64_t load_coarse_percentile(const struct load_coarse *c, double p, uint64_t max);

#endif

/*
 * test_load_hist.c - unit tests for `wsspec load`'s histogram (load_hist.c) and its
 * report records (load_report.c): every value lands in a bucket that holds it and is
 * at most 1/1024 of it wide; percentiles of known samples; values past one hour are
 * clamped and counted; the exact merge (the same samples split in two and recorded in
 * other orders give identical counts and percentiles); JSON written and read back
 * keeps every bucket, and the series' per-point coarse histograms (p50/p99 over time)
 * hold their values within 1/8 and survive JSON and merge; load_merge adds counts and errors; a
 * report with another bucket layout is refused; the HTML page escapes what the target sent.
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include "load.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t next_rand(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 11;
}

/* A latency-like sample: spread over 1 us .. ~1 h, many magnitudes. */
static uint64_t sample(uint64_t *s)
{
    uint64_t r = next_rand(s);
    return (r % 1000003u) >> (r % 20u) << (r % 13u);
}

static void test_buckets_hold_their_values(void **state)
{
    (void)state;
    uint64_t s = 7;
    size_t prev = 0;
    for (uint64_t v = 0; v < 100000; v++) { /* dense at the bottom, in order */
        size_t i = load_hist_index(v);
        assert_true(i >= prev);
        prev = i;
        assert_true(load_hist_low(i) <= v && v <= load_hist_high(i));
    }
    for (int k = 0; k < 200000; k++) {
        uint64_t v = next_rand(&s) % (LOAD_HIST_MAX_US + 1);
        size_t i = load_hist_index(v);
        assert_true(i < LOAD_HIST_N);
        assert_true(load_hist_low(i) <= v && v <= load_hist_high(i));
        uint64_t width = load_hist_high(i) - load_hist_low(i) + 1;
        /* three significant digits: a bucket is at most 1/1024 of its values wide */
        assert_true(width == 1 || width * 1024 <= load_hist_low(i));
    }
    assert_int_equal(load_hist_index(LOAD_HIST_MAX_US) + 0 < LOAD_HIST_N, 1);
    assert_int_equal(load_hist_low(load_hist_index(2048)), 2048);
    assert_int_equal(load_hist_high(load_hist_index(2048)), 2049);
}

static void test_percentiles_known(void **state)
{
    (void)state;
    struct load_hist *h = calloc(1, sizeof *h);
    assert_non_null(h);
    assert_int_equal(load_hist_percentile(h, 50), 0); /* empty */
    for (uint64_t v = 1; v <= 1000; v++)
        load_hist_record(h, v);
    assert_int_equal(h->total, 1000);
    assert_int_equal(load_hist_percentile(h, 50), 500);
    assert_int_equal(load_hist_percentile(h, 90), 900);
    assert_int_equal(load_hist_percentile(h, 99), 990);
    assert_int_equal(load_hist_percentile(h, 99.9), 999);
    assert_int_equal(load_hist_percentile(h, 100), 1000);
    assert_int_equal(load_hist_percentile(h, 0), 1);
    assert_int_equal(h->min, 1);
    assert_int_equal(h->max, 1000);
    assert_true(load_hist_mean(h) > 500.49 && load_hist_mean(h) < 500.51);
    /* 20 ms with a tail: the percentile is within 1/1024 above the value */
    load_hist_reset(h);
    for (int i = 0; i < 99; i++)
        load_hist_record(h, 20000);
    load_hist_record(h, 900000);
    uint64_t p50 = load_hist_percentile(h, 50);
    assert_true(p50 >= 20000 && p50 <= 20000 + 20000 / 1024);
    assert_int_equal(load_hist_percentile(h, 100), 900000);
    free(h);
}

static void test_clamped(void **state)
{
    (void)state;
    struct load_hist *h = calloc(1, sizeof *h);
    assert_non_null(h);
    load_hist_record(h, LOAD_HIST_MAX_US + 1);
    load_hist_record(h, UINT64_MAX);
    load_hist_record(h, 5);
    assert_int_equal(h->clamped, 2);
    assert_int_equal(h->total, 3);
    assert_int_equal(h->max, LOAD_HIST_MAX_US);
    assert_int_equal(load_hist_percentile(h, 100), LOAD_HIST_MAX_US);
    free(h);
}

/* The same samples, recorded whole, or split in two in another order and merged. */
static void test_merge_exact(void **state)
{
    (void)state;
    struct load_hist *all = calloc(1, sizeof *all), *a = calloc(1, sizeof *a),
                     *b = calloc(1, sizeof *b);
    assert_non_null(all);
    assert_non_null(a);
    assert_non_null(b);
    enum { N = 100000 };
    uint64_t *v = malloc(N * sizeof *v), s = 42;
    assert_non_null(v);
    for (int i = 0; i < N; i++) {
        v[i] = sample(&s);
        load_hist_record(all, v[i]);
    }
    for (int i = N - 1; i >= 0; i--) /* reverse order, odd/even split */
        load_hist_record(i % 2 ? a : b, v[i]);
    assert_false(load_hist_equal(a, all));
    load_hist_merge(a, b);
    assert_true(load_hist_equal(a, all));
    const double ps[] = {0, 50, 90, 99, 99.9, 99.99, 100};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++)
        assert_int_equal(load_hist_percentile(a, ps[k]), load_hist_percentile(all, ps[k]));
    /* merging an empty histogram changes nothing, into an empty one copies */
    load_hist_reset(b);
    load_hist_merge(a, b);
    assert_true(load_hist_equal(a, all));
    load_hist_merge(b, all);
    assert_true(load_hist_equal(b, all));
    free(v);
    free(all);
    free(a);
    free(b);
}

/* The series' coarse histogram: every value in a bucket that holds it, at most 1/8 of it
 * wide; percentiles of known samples within that; capped by the point's max. */
static void test_coarse(void **state)
{
    (void)state;
    uint64_t s = 11;
    size_t prev = 0;
    for (uint64_t v = 0; v < 100000; v++) {
        size_t i = load_coarse_index(v);
        assert_true(i >= prev && i < LOAD_COARSE_N);
        prev = i;
        assert_true(load_coarse_low(i) <= v && v <= load_coarse_high(i));
    }
    for (int k = 0; k < 200000; k++) {
        uint64_t v = next_rand(&s) % (LOAD_HIST_MAX_US + 1);
        size_t i = load_coarse_index(v);
        assert_true(i < LOAD_COARSE_N);
        assert_true(load_coarse_low(i) <= v && v <= load_coarse_high(i));
        uint64_t width = load_coarse_high(i) - load_coarse_low(i) + 1;
        assert_true(width == 1 || width * 8 <= load_coarse_low(i));
    }
    assert_int_equal(load_coarse_index(UINT64_MAX), load_coarse_index(LOAD_HIST_MAX_US));
    struct load_coarse c = {{0}};
    assert_int_equal(load_coarse_percentile(&c, 50, 100), 0);
    for (uint64_t v = 1; v <= 1000; v++)
        load_coarse_add(&c, load_coarse_index(v), 1);
    uint64_t p50 = load_coarse_percentile(&c, 50, 1000), p99 = load_coarse_percentile(&c, 99, 1000);
    assert_true(p50 >= 500 && p50 <= 500 + 500 / 8);
    assert_true(p99 >= 990 && p99 <= 1000); /* capped by max */
    assert_int_equal(load_coarse_percentile(&c, 100, 1000), 1000);
    load_coarse_add(&c, 3, UINT64_MAX); /* saturates */
    assert_int_equal(c.counts[3], UINT32_MAX);
}

static struct load_result *result_with(uint64_t seed, int n)
{
    struct load_result *r = calloc(1, sizeof *r);
    assert_non_null(r);
    snprintf(r->url, sizeof r->url, "ws://127.0.0.1:1/");
    snprintf(r->server, sizeof r->server, "x</pre><script>\"");
    r->connections = 2;
    r->size = 32;
    r->opened = 2;
    r->sent = r->echoed = (uint64_t)n;
    r->bytes_echoed = 32u * (uint64_t)n;
    r->elapsed = 2;
    r->point_interval = 1;
    r->errors[LOAD_ERR_ECHO_MISMATCH] = 3;
    r->errors[LOAD_ERR_STALL] = 1;
    for (int i = 0; i < n; i++)
        load_hist_record(&r->hist, sample(&seed));
    r->n_points = 2;
    r->points[0].count = (uint64_t)n;
    load_coarse_add(&r->points[0].hist, load_coarse_index(20000), (uint64_t)n - 1);
    load_coarse_add(&r->points[0].hist, load_coarse_index(900000), 1);
    r->points[0].max_us = 900000;
    return r;
}

static struct load_result *round_trip(const struct load_result *r)
{
    json_t *j = load_to_json(r);
    char *text = json_dumps(j, 0);
    json_decref(j);
    json_error_t je;
    json_t *back = json_loads(text, 0, &je);
    free(text);
    assert_non_null(back);
    struct load_result *q = calloc(1, sizeof *q);
    assert_non_null(q);
    char err[256];
    assert_int_equal(load_from_json(back, q, err, sizeof err), 0);
    json_decref(back);
    return q;
}

static void test_json_round_trip_and_merge(void **state)
{
    (void)state;
    struct load_result *a = result_with(1, 5000), *b = result_with(2, 7000);
    struct load_result *qa = round_trip(a), *qb = round_trip(b);
    assert_true(load_hist_equal(&qa->hist, &a->hist));
    assert_string_equal(qa->server, a->server);
    assert_int_equal(qa->echoed, 5000);
    assert_int_equal(qa->errors[LOAD_ERR_ECHO_MISMATCH], 3);
    load_merge(qa, qb);
    assert_int_equal(qa->merged, 2);
    assert_int_equal(qa->echoed, 12000);
    assert_int_equal(qa->sent, 12000);
    assert_int_equal(qa->connections, 4);
    assert_int_equal(qa->errors[LOAD_ERR_ECHO_MISMATCH], 6);
    assert_int_equal(qa->errors[LOAD_ERR_STALL], 2);
    assert_int_equal(qa->points[0].count, 12000);
    /* the points' histograms are read back and added: p50 20 ms, the one 900 ms each */
    assert_memory_equal(qb->points[0].hist.counts, b->points[0].hist.counts,
                        sizeof b->points[0].hist.counts);
    assert_int_equal(qa->points[0].hist.counts[load_coarse_index(900000)], 2);
    assert_int_equal(qa->points[0].hist.counts[load_coarse_index(20000)], 11998);
    uint64_t p50 = load_coarse_percentile(&qa->points[0].hist, 50, qa->points[0].max_us);
    assert_true(p50 >= 20000 && p50 <= 20000 + 20000 / 8);
    load_hist_merge(&a->hist, &b->hist);
    assert_true(load_hist_equal(&qa->hist, &a->hist));
    free(a);
    free(b);
    free(qa);
    free(qb);
}

static void test_json_refused(void **state)
{
    (void)state;
    struct load_result *r = calloc(1, sizeof *r);
    assert_non_null(r);
    char err[256];
    json_t *j = json_pack("{s:i}", "schemaVersion", 1); /* a wsspec run report */
    assert_int_equal(load_from_json(j, r, err, sizeof err), -1);
    assert_non_null(strstr(err, "wsspec load"));
    json_decref(j);
    j = json_pack("{s:i, s:{s:i, s:i, s:I, s:[]}}", "wsspecLoad", 1, "histogram", "linear", 1000,
                  "sub", 1024, "maxUs", (json_int_t)LOAD_HIST_MAX_US, "buckets");
    assert_int_equal(load_from_json(j, r, err, sizeof err), -1);
    assert_non_null(strstr(err, "layout"));
    json_decref(j);
    j = json_pack("{s:i, s:{s:i, s:i, s:I, s:[[I,i]]}}", "wsspecLoad", 1, "histogram", "linear",
                  (int)LOAD_HIST_LINEAR, "sub", (int)LOAD_HIST_SUB, "maxUs",
                  (json_int_t)LOAD_HIST_MAX_US, "buckets", (json_int_t)LOAD_HIST_N, 1);
    assert_int_equal(load_from_json(j, r, err, sizeof err), -1); /* index out of range */
    json_decref(j);
    free(r);
}

/* What the target sent (its Server header) is escaped in the HTML page and the text. */
static void test_html_escapes(void **state)
{
    (void)state;
    struct load_result *a = result_with(3, 100), *b = result_with(4, 100);
    snprintf(a->server, sizeof a->server, "evil</pre><script>alert(1)</script>&\x01");
    char path[] = "/tmp/test_load_html.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[256];
    struct load_result *runs[2] = {a, b};
    assert_int_equal(load_write_html(path, runs, 2, err, sizeof err), 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char page[1 << 20];
    size_t n = fread(page, 1, sizeof page - 1, f);
    page[n] = '\0';
    fclose(f);
    unlink(path);
    assert_null(strstr(page, "<script"));
    assert_null(strstr(page, "\x01"));
    assert_non_null(strstr(page, "evil&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;"));
    assert_non_null(strstr(page, "<svg"));
    assert_non_null(strstr(page, "Latency percentiles over time"));
    assert_non_null(strstr(page, "compare B/A"));
    /* a file that cannot be written: wsspec's trouble, said */
    assert_int_equal(load_write_html("/nonexistent-dir/x.html", runs, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent-dir/x.html"));
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets_hold_their_values),
        cmocka_unit_test(test_percentiles_known),
        cmocka_unit_test(test_clamped),
        cmocka_unit_test(test_merge_exact),
        cmocka_unit_test(test_coarse),
        cmocka_unit_test(test_json_round_trip_and_merge),
        cmocka_unit_test(test_json_refused),
        cmocka_unit_test(test_html_escapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

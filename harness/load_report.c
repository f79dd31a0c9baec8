/*
 * load_report.c - what `wsspec load` writes: the text summary, JSON (the record: with
 * the raw histogram buckets, so reports merge exactly), a self-contained HTML page
 * (inline SVG, no script, no external asset), and JSON read back for --merge.
 *
 * Everything that came from the target (its Server header) or the command line (the
 * URL) is escaped in every format: JSON by jansson, HTML by html_text.
 */
#include "html_text.h"
#include "load.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const double load_percentiles[] = {50, 90, 99, 99.9};
static const char *const load_percentile_keys[] = {"p50", "p90", "p99", "p99_9"};
#define N_PCT (sizeof load_percentiles / sizeof load_percentiles[0])

static const char *mode_name(enum load_mode m)
{
    return m == LOAD_OPEN ? "open" : m == LOAD_SOAK ? "soak" : "closed";
}

/* ------------------------------------------------------------ text */

/* A printable copy of what the target sent: control and non-ASCII bytes as '?'. */
static void printable(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in[i] && i + 1 < cap; i++)
        out[i] = (unsigned char)in[i] >= 0x20 && (unsigned char)in[i] < 0x7f ? in[i] : '?';
    out[i] = '\0';
}

static void print_ms(FILE *f, const char *name, uint64_t us)
{
    fprintf(f, " %s %.3f", name, (double)us / 1000.0);
}

void load_print(FILE *f, const struct load_result *r)
{
    char server[sizeof r->server];
    printable(r->server, server, sizeof server);
    if (r->merged)
        fprintf(f,
                "load: %zu reports merged (taken as concurrent: throughput = all answers over the "
                "longest run)\n",
                r->merged);
    fprintf(f, "load: %s%s%s%s\n", r->url, server[0] ? " (" : "", server, server[0] ? ")" : "");
    if (r->mode == LOAD_SOAK)
        fprintf(f, "load: soak, %u connections, a ping every %.3g s for %.3g s\n", r->connections,
                r->interval, r->duration);
    else
        fprintf(f, "load: %s loop, %u connections, %zu-byte %s messages, %s\n", mode_name(r->mode),
                r->connections, r->size, r->text ? "text" : "binary",
                r->mode == LOAD_OPEN ? "at a fixed rate" : "echo then next");
    fprintf(f, "load: connections opened %llu/%u, lost %llu\n", (unsigned long long)r->opened,
            r->connections, (unsigned long long)r->lost);
    fprintf(f, "load: %s sent %llu, answered %llu in %.2f s: %.0f/s, %.2f MB/s\n",
            r->mode == LOAD_SOAK ? "pings" : "messages", (unsigned long long)r->sent,
            (unsigned long long)r->echoed, r->elapsed, load_msgs_per_s(r), load_mb_per_s(r));
    if (r->server_pid)
        fprintf(f,
                "load: server pid %d: %.2f CPU-seconds in %.2f s, %.0f echoes per "
                "server-CPU-second\n",
                r->server_pid, r->server_cpu, r->server_window, load_echoes_per_cpu_s(r));
    fprintf(f, "load: latency ms:");
    for (size_t i = 0; i < N_PCT; i++)
        print_ms(f, load_percentile_keys[i], load_hist_percentile(&r->hist, load_percentiles[i]));
    print_ms(f, "max", r->hist.max);
    fprintf(f, " (%llu samples)\n", (unsigned long long)r->hist.total);
    uint64_t total = load_errors_total(r);
    fprintf(f, "load: errors %llu", (unsigned long long)total);
    for (size_t i = 0; i < LOAD_ERR_COUNT; i++)
        if (r->errors[i])
            fprintf(f, ", %s %llu", load_error_key((enum load_error)i),
                    (unsigned long long)r->errors[i]);
    fputc('\n', f);
    if (r->first_error[0]) {
        char first[sizeof r->first_error];
        printable(r->first_error, first, sizeof first);
        fprintf(f, "load: first error: %s\n", first);
    }
}

static double ratio(double b, double a)
{
    return a > 0 ? b / a : 0;
}

void load_print_ratios(FILE *f, const struct load_result *a, const struct load_result *b)
{
    fprintf(f, "load: compare B/A (B = %s, A = %s):\n", b->url, a->url);
    fprintf(f, "load:   throughput %.3fx (msgs/s)\n",
            ratio(load_msgs_per_s(b), load_msgs_per_s(a)));
    if (a->server_pid && b->server_pid)
        fprintf(f, "load:   echoes per server-CPU-second %.3fx\n",
                ratio(load_echoes_per_cpu_s(b), load_echoes_per_cpu_s(a)));
    for (size_t i = 0; i < N_PCT; i++)
        fprintf(f, "load:   latency %-6s %.3fx\n", load_percentile_keys[i],
                ratio((double)load_hist_percentile(&b->hist, load_percentiles[i]),
                      (double)load_hist_percentile(&a->hist, load_percentiles[i])));
    fprintf(f, "load:   latency max    %.3fx\n", ratio((double)b->hist.max, (double)a->hist.max));
    fprintf(f, "load:   errors %llu vs %llu\n", (unsigned long long)load_errors_total(b),
            (unsigned long long)load_errors_total(a));
}

/* ------------------------------------------------------------ JSON */

#define LOAD_SCHEMA 1

json_t *load_to_json(const struct load_result *r)
{
    json_t *j = json_object();
    json_object_set_new(j, "wsspecLoad", json_integer(LOAD_SCHEMA));
    json_object_set_new(j, "url", json_string(r->url));
    json_object_set_new(j, "server", json_string(r->server));
    json_object_set_new(j, "mode", json_string(mode_name(r->mode)));
    json_object_set_new(j, "merged", json_integer((json_int_t)r->merged));
    json_object_set_new(j, "settings",
                        json_pack("{s:i, s:i, s:I, s:b, s:f, s:f, s:f, s:f, s:f, s:I}",
                                  "connections", (int)r->connections, "pipeline", (int)r->pipeline,
                                  "size", (json_int_t)r->size, "text", r->text, "rate", r->rate,
                                  "duration", r->duration, "interval", r->interval, "timeout",
                                  r->timeout, "ramp", r->ramp_rate, "messages",
                                  (json_int_t)r->messages_wanted));
    json_object_set_new(j, "started", json_real(r->started_wall));
    json_object_set_new(j, "elapsed", json_real(r->elapsed));
    json_object_set_new(j, "opened", json_integer((json_int_t)r->opened));
    json_object_set_new(j, "lost", json_integer((json_int_t)r->lost));
    json_object_set_new(j, "sent", json_integer((json_int_t)r->sent));
    json_object_set_new(j, "echoed", json_integer((json_int_t)r->echoed));
    json_object_set_new(j, "bytesEchoed", json_integer((json_int_t)r->bytes_echoed));
    json_object_set_new(j, "msgsPerS", json_real(load_msgs_per_s(r)));
    json_object_set_new(j, "mbPerS", json_real(load_mb_per_s(r)));
    if (r->server_pid) /* not read back by --merge: concurrent runs may share a server */
        json_object_set_new(j, "serverCpu",
                            json_pack("{s:i, s:f, s:f, s:f}", "pid", r->server_pid, "seconds",
                                      r->server_cpu, "window", r->server_window,
                                      "echoesPerCpuSecond", load_echoes_per_cpu_s(r)));
    json_t *lat = json_object();
    for (size_t i = 0; i < N_PCT; i++)
        json_object_set_new(
            lat, load_percentile_keys[i],
            json_integer((json_int_t)load_hist_percentile(&r->hist, load_percentiles[i])));
    json_object_set_new(lat, "min", json_integer((json_int_t)r->hist.min));
    json_object_set_new(lat, "max", json_integer((json_int_t)r->hist.max));
    json_object_set_new(lat, "mean", json_real(load_hist_mean(&r->hist)));
    json_object_set_new(lat, "count", json_integer((json_int_t)r->hist.total));
    json_object_set_new(j, "latencyUs", lat);
    json_t *errs = json_object();
    for (size_t i = 0; i < LOAD_ERR_COUNT; i++)
        json_object_set_new(errs, load_error_key((enum load_error)i),
                            json_integer((json_int_t)r->errors[i]));
    json_object_set_new(j, "errors", errs);
    json_object_set_new(j, "firstError", json_string(r->first_error));
    /* the histogram as [index, count] pairs of its non-empty buckets */
    json_t *buckets = json_array();
    for (size_t i = 0; i < LOAD_HIST_N; i++)
        if (r->hist.counts[i])
            json_array_append_new(buckets,
                                  json_pack("[I,I]", (json_int_t)i, (json_int_t)r->hist.counts[i]));
    json_object_set_new(j, "histogram",
                        json_pack("{s:s, s:i, s:i, s:I, s:I, s:o}", "unit", "us", "linear",
                                  (int)LOAD_HIST_LINEAR, "sub", (int)LOAD_HIST_SUB, "clamped",
                                  (json_int_t)r->hist.clamped, "maxUs",
                                  (json_int_t)LOAD_HIST_MAX_US, "buckets", buckets));
    json_t *pts = json_array();
    for (size_t i = 0; i < r->n_points; i++) {
        const struct load_point *p = &r->points[i];
        json_t *hb = json_array(); /* the point's coarse histogram: [index, count] pairs */
        for (size_t k = 0; k < LOAD_COARSE_N; k++)
            if (p->hist.counts[k])
                json_array_append_new(
                    hb, json_pack("[I,I]", (json_int_t)k, (json_int_t)p->hist.counts[k]));
        json_array_append_new(pts, json_pack("[I,f,I,I,o]", (json_int_t)p->count, p->sum_us,
                                             (json_int_t)p->max_us, (json_int_t)p->errors, hb));
    }
    json_object_set_new(j, "series",
                        json_pack("{s:f, s:s, s:{s:i, s:i}, s:o}", "interval", r->point_interval,
                                  "columns", "count,sumUs,maxUs,errors,buckets", "buckets",
                                  "linear", (int)LOAD_COARSE_LINEAR, "sub", (int)LOAD_COARSE_SUB,
                                  "points", pts));
    return j;
}

static uint64_t get_u64(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

static double get_num(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : 0;
}

static int read_histogram(const json_t *h, struct load_hist *hist, char *err, size_t err_len)
{
    if (!json_is_object(h) || get_u64(h, "linear") != LOAD_HIST_LINEAR ||
        get_u64(h, "sub") != LOAD_HIST_SUB || get_u64(h, "maxUs") != LOAD_HIST_MAX_US) {
        snprintf(err, err_len, "its histogram has another layout (or none)");
        return -1;
    }
    json_t *b = json_object_get(h, "buckets");
    size_t i;
    json_t *pair;
    if (!json_is_array(b)) {
        snprintf(err, err_len, "its histogram has no buckets array");
        return -1;
    }
    json_array_foreach(b, i, pair)
    {
        json_t *ix = json_array_get(pair, 0), *n = json_array_get(pair, 1);
        if (!json_is_integer(ix) || !json_is_integer(n) || json_integer_value(ix) < 0 ||
            json_integer_value(ix) >= (json_int_t)LOAD_HIST_N || json_integer_value(n) < 0) {
            snprintf(err, err_len, "histogram bucket %zu is not [index, count]", i);
            return -1;
        }
        load_hist_add_bucket(hist, (size_t)json_integer_value(ix), (uint64_t)json_integer_value(n));
    }
    hist->clamped = get_u64(h, "clamped");
    return 0;
}

/* A point's coarse histogram, [index, count] pairs; pairs that are not are left out
 * (the point's count and max still stand). */
static void read_point_buckets(const json_t *hb, struct load_point *q)
{
    size_t i;
    json_t *pair;
    json_array_foreach(hb, i, pair)
    {
        json_t *ix = json_array_get(pair, 0), *n = json_array_get(pair, 1);
        if (json_is_integer(ix) && json_is_integer(n) && json_integer_value(ix) >= 0 &&
            json_integer_value(ix) < (json_int_t)LOAD_COARSE_N && json_integer_value(n) > 0)
            load_coarse_add(&q->hist, (size_t)json_integer_value(ix),
                            (uint64_t)json_integer_value(n));
    }
}

static void read_series(const json_t *s, struct load_result *r)
{
    json_t *layout = json_object_get(s, "buckets");
    bool coarse_ok = get_u64(layout, "linear") == LOAD_COARSE_LINEAR &&
                     get_u64(layout, "sub") == LOAD_COARSE_SUB;
    r->point_interval = get_num(s, "interval");
    if (!(r->point_interval > 0))
        r->point_interval = 1;
    json_t *pts = json_object_get(s, "points"), *p;
    size_t i;
    json_array_foreach(pts, i, p)
    {
        if (i >= LOAD_SERIES_MAX)
            break;
        struct load_point *q = &r->points[i];
        json_t *c = json_array_get(p, 0), *sum = json_array_get(p, 1), *mx = json_array_get(p, 2),
               *er = json_array_get(p, 3);
        q->count =
            json_is_integer(c) && json_integer_value(c) > 0 ? (uint64_t)json_integer_value(c) : 0;
        q->sum_us = json_is_number(sum) ? json_number_value(sum) : 0;
        q->max_us = json_is_integer(mx) && json_integer_value(mx) > 0
                        ? (uint64_t)json_integer_value(mx)
                        : 0;
        q->errors = json_is_integer(er) && json_integer_value(er) > 0
                        ? (uint64_t)json_integer_value(er)
                        : 0;
        if (coarse_ok) /* another layout (or none): no percentiles over time */
            read_point_buckets(json_array_get(p, 4), q);
        r->n_points = i + 1;
    }
}

int load_from_json(const json_t *j, struct load_result *r, char *err, size_t err_len)
{
    if (!json_is_object(j) || get_u64(j, "wsspecLoad") != LOAD_SCHEMA) {
        snprintf(err, err_len, "not a report of wsspec load --json (no \"wsspecLoad\": %d)",
                 LOAD_SCHEMA);
        return -1;
    }
    const char *url = json_string_value(json_object_get(j, "url"));
    const char *server = json_string_value(json_object_get(j, "server"));
    const char *mode = json_string_value(json_object_get(j, "mode"));
    const char *first = json_string_value(json_object_get(j, "firstError"));
    snprintf(r->first_error, sizeof r->first_error, "%s", first ? first : "");
    snprintf(r->url, sizeof r->url, "%s", url ? url : "");
    snprintf(r->server, sizeof r->server, "%s", server ? server : "");
    r->mode = mode && strcmp(mode, "open") == 0   ? LOAD_OPEN
              : mode && strcmp(mode, "soak") == 0 ? LOAD_SOAK
                                                  : LOAD_CLOSED;
    json_t *s = json_object_get(j, "settings");
    r->connections = (uint32_t)get_u64(s, "connections");
    r->pipeline = (uint32_t)get_u64(s, "pipeline");
    r->size = (size_t)get_u64(s, "size");
    r->text = json_is_true(json_object_get(s, "text"));
    r->rate = get_num(s, "rate");
    r->duration = get_num(s, "duration");
    r->interval = get_num(s, "interval");
    r->timeout = get_num(s, "timeout");
    r->ramp_rate = get_num(s, "ramp");
    r->messages_wanted = get_u64(s, "messages");
    r->started_wall = get_num(j, "started");
    r->elapsed = get_num(j, "elapsed");
    r->opened = get_u64(j, "opened");
    r->lost = get_u64(j, "lost");
    r->sent = get_u64(j, "sent");
    r->echoed = get_u64(j, "echoed");
    r->bytes_echoed = get_u64(j, "bytesEchoed");
    r->merged = (size_t)get_u64(j, "merged");
    json_t *errs = json_object_get(j, "errors");
    for (size_t i = 0; i < LOAD_ERR_COUNT; i++)
        r->errors[i] = get_u64(errs, load_error_key((enum load_error)i));
    if (read_histogram(json_object_get(j, "histogram"), &r->hist, err, err_len) != 0)
        return -1;
    json_t *lat = json_object_get(j, "latencyUs");
    r->hist.min = get_u64(lat, "min");
    r->hist.max = get_u64(lat, "max");
    double mean = get_num(lat, "mean");
    if (r->hist.total)
        r->hist.sum = mean * (double)r->hist.total; /* the recorded mean, not the buckets' */
    read_series(json_object_get(j, "series"), r);
    return 0;
}

void load_merge(struct load_result *r, const struct load_result *from)
{
    size_t n = r->merged ? r->merged : 1;
    if (!r->point_interval)
        r->point_interval = from->point_interval;
    if (!r->url[0])
        snprintf(r->url, sizeof r->url, "%s", from->url);
    if (!r->server[0])
        snprintf(r->server, sizeof r->server, "%s", from->server);
    if (!r->first_error[0])
        snprintf(r->first_error, sizeof r->first_error, "%s", from->first_error);
    r->connections += from->connections;
    r->opened += from->opened;
    r->lost += from->lost;
    r->sent += from->sent;
    r->echoed += from->echoed;
    r->bytes_echoed += from->bytes_echoed;
    r->messages_wanted += from->messages_wanted;
    r->rate += from->rate;
    for (size_t i = 0; i < LOAD_ERR_COUNT; i++)
        r->errors[i] += from->errors[i];
    load_hist_merge(&r->hist, &from->hist);
    /* concurrent runs: all echoes over the longest run */
    if (from->elapsed > r->elapsed)
        r->elapsed = from->elapsed;
    /* the series: point by point, at the coarser interval */
    if (from->point_interval > 0 && from->point_interval == r->point_interval) {
        for (size_t i = 0; i < from->n_points && i < LOAD_SERIES_MAX; i++) {
            struct load_point *p = &r->points[i];
            const struct load_point *q = &from->points[i];
            p->count += q->count;
            p->sum_us += q->sum_us;
            p->errors += q->errors;
            for (size_t k = 0; k < LOAD_COARSE_N; k++)
                load_coarse_add(&p->hist, k, q->hist.counts[k]);
            if (q->max_us > p->max_us)
                p->max_us = q->max_us;
        }
        if (from->n_points > r->n_points)
            r->n_points = from->n_points;
    }
    r->merged = n + (from->merged ? from->merged : 1);
}

static int write_text(const char *path, const char *text, char *err, size_t err_len)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        snprintf(err, err_len, "cannot write %s: %s", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    return 0;
}

int load_write_json(const char *path, struct load_result *const *runs, size_t n, char *err,
                    size_t err_len)
{
    json_t *j;
    if (n == 1) {
        j = load_to_json(runs[0]);
    } else {
        j = json_object();
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, load_to_json(runs[i]));
        json_object_set_new(j, "compare", arr);
    }
    char *text = json_dumps(j, JSON_INDENT(1) | JSON_REAL_PRECISION(15));
    json_decref(j);
    if (!text) {
        snprintf(err, err_len, "out of memory writing %s", path);
        return -1;
    }
    int rc = write_text(path, text, err, err_len);
    free(text);
    return rc;
}

/* ------------------------------------------------------------ HTML */

#define SVG_W 720
#define SVG_H 260
#define SVG_L 60 /* left margin: the axis labels */
#define SVG_B 30

/* A polyline of n points (x in [0,1], y in [0, ymax]) in the plot area. */
static void svg_line(FILE *f, const double *x, const double *y, size_t n, double ymax,
                     const char *color)
{
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", color);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%.1f,%.1f ", SVG_L + x[i] * (SVG_W - SVG_L - 10),
                (SVG_H - SVG_B) - (ymax > 0 ? y[i] / ymax : 0) * (SVG_H - SVG_B - 10));
    fputs("\"/>\n", f);
}

static void svg_frame(FILE *f, const char *title, double ymax, const char *xlabel)
{
    fprintf(f, "<h3>%s</h3>\n<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n", title,
            SVG_W, SVG_H, SVG_W, SVG_H);
    fprintf(
        f,
        "<rect x=\"%d\" y=\"10\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" stroke=\"#999\"/>\n",
        SVG_L, SVG_W - SVG_L - 10, SVG_H - SVG_B - 10);
    for (int k = 0; k <= 4; k++) {
        double y = (SVG_H - SVG_B) - k * (SVG_H - SVG_B - 10) / 4.0;
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%.3g</text>\n",
                SVG_L - 4, y + 3, ymax * k / 4);
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>\n",
            (SVG_W + SVG_L) / 2, SVG_H - 4, xlabel);
}

static void html_over_time(FILE *f, const struct load_result *r)
{
    size_t n = r->n_points;
    if (n == 0) {
        fputs("<p>No latency samples.</p>\n", f);
        return;
    }
    double *x = calloc(n, sizeof *x), *mean = calloc(n, sizeof *mean), *mx = calloc(n, sizeof *mx),
           *p50 = calloc(n, sizeof *p50), *p99 = calloc(n, sizeof *p99);
    bool ok = x && mean && mx && p50 && p99;
    double ymax = 0, y99max = 0;
    for (size_t i = 0; ok && i < n; i++) {
        const struct load_point *p = &r->points[i];
        x[i] = n > 1 ? (double)i / (double)(n - 1) : 0.5;
        mean[i] = p->count ? p->sum_us / (double)p->count / 1000 : 0;
        mx[i] = (double)p->max_us / 1000;
        p50[i] = (double)load_coarse_percentile(&p->hist, 50, p->max_us) / 1000;
        p99[i] = (double)load_coarse_percentile(&p->hist, 99, p->max_us) / 1000;
        if (mx[i] > ymax)
            ymax = mx[i];
        if (p99[i] > y99max)
            y99max = p99[i];
    }
    if (ok) {
        char label[96];
        snprintf(label, sizeof label, "seconds (0 to %.0f, %.3g s per point)",
                 (double)n * r->point_interval, r->point_interval);
        svg_frame(f, "Latency over time (ms): mean (blue), max (red)", ymax, label);
        svg_line(f, x, mx, n, ymax, "#c33");
        svg_line(f, x, mean, n, ymax, "#36c");
        fputs("</svg>\n", f);
        /* a plot of its own: one slow outlier's max would flatten them */
        svg_frame(f,
                  "Latency percentiles over time (ms): p50 (green), p99 (orange), per point, "
                  "within 12.5 %",
                  y99max, label);
        svg_line(f, x, p99, n, y99max, "#e80");
        svg_line(f, x, p50, n, y99max, "#393");
        fputs("</svg>\n", f);
    }
    free(x);
    free(mean);
    free(mx);
    free(p50);
    free(p99);
}

/* HdrHistogram's percentile plot: x = log10(1 / (1 - p)), so 90, 99, 99.9 are evenly spaced. */
static void html_percentiles(FILE *f, const struct load_result *r)
{
    enum { PTS = 60 };
    double x[PTS], y[PTS], ymax = 0;
    const double xmax = 5; /* 99.999 */
    /* 10^(-xmax / (PTS - 1)): the step of 1 - p from one point to the next (no libm) */
    const double step = 0.822724; /* 10^(-5/59) */
    double tail = 1;              /* 1 - p/100 */
    for (int i = 0; i < PTS; i++, tail *= step) {
        double p = 100 * (1 - tail);
        x[i] = (double)i / (PTS - 1);
        y[i] = (double)load_hist_percentile(&r->hist, p) / 1000;
        if (y[i] > ymax)
            ymax = y[i];
    }
    svg_frame(f, "Latency by percentile (ms)", ymax, "percentile (log scale of 1 - p)");
    static const char *const ticks[] = {"0", "90", "99", "99.9", "99.99", "99.999"};
    for (int k = 0; k <= 5; k++) {
        double x0 = SVG_L + k / xmax * (SVG_W - SVG_L - 10);
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"10\" y2=\"%d\" stroke=\"#ddd\"/>\n", x0, x0,
                SVG_H - SVG_B);
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"%s\">%s</text>\n", x0,
                SVG_H - SVG_B + 12, k == 5 ? "end" : "middle", ticks[k]);
    }
    svg_line(f, x, y, PTS, ymax, "#36c");
    fputs("</svg>\n", f);
}

static void html_run(FILE *f, const struct load_result *r)
{
    fputs("<h2>", f);
    html_text(f, r->url);
    fputs("</h2>\n<pre>", f);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (m) {
        load_print(m, r);
        fclose(m);
        html_text(f, buf);
        free(buf);
    }
    fputs("</pre>\n", f);
    html_over_time(f, r);
    html_percentiles(f, r);
}

int load_write_html(const char *path, struct load_result *const *runs, size_t n, char *err,
                    size_t err_len)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, err_len, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'\">\n<title>wsspec load</title>\n"
          "<style>body{font-family:sans-serif;margin:1em 2em}pre{background:#f4f4f4;"
          "padding:.5em}svg{display:block;margin-bottom:1em}</style></head><body>\n"
          "<h1>wsspec load</h1>\n",
          f);
    if (n == 2) {
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        if (m) {
            load_print_ratios(m, runs[0], runs[1]);
            fclose(m);
            fputs("<pre>", f);
            html_text(f, buf);
            fputs("</pre>\n", f);
            free(buf);
        }
    }
    for (size_t i = 0; i < n; i++)
        html_run(f, runs[i]);
    fputs("</body></html>\n", f);
    if (ferror(f) | (fclose(f) != 0)) {
        snprintf(err, err_len, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

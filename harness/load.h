/*
 * load.h - `wsspec load URL`: many connections, echoes timed and checked.
 *
 * Three parts: load_run.c drives the connections on one epoll loop (ramp, closed or
 * open loop, soak pings) and fills a struct load_result; load_report.c writes it as a
 * text summary, JSON (with the raw histogram buckets) and a self-contained HTML page,
 * and reads JSON back for --merge; load_cmd.c is the command line (load_opts.def).
 */
#ifndef LOAD_H
#define LOAD_H

#include "load_hist.h"
#include "tester.h"

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

enum load_error {
#define LOAD_ERROR(name, key, text) LOAD_ERR_##name,
#include "load_errors.def"
#undef LOAD_ERROR
    LOAD_ERR_COUNT
};

const char *load_error_key(enum load_error e);

enum load_mode { LOAD_CLOSED = 0, LOAD_OPEN, LOAD_SOAK };

#define LOAD_MAX_CONNS 1000000u
#define LOAD_MAX_HEADERS 16
#define LOAD_MAX_SIZE (64u * 1024 * 1024) /* a message: the core's default max_message */
#define LOAD_MAX_PIPELINE 1024u           /* messages in flight per connection, closed loop */
#define LOAD_OPEN_INFLIGHT 4096u          /* open loop: beyond this, sends wait (late) */
#define LOAD_SERIES_MAX 3600u             /* points of the latency-over-time series */
#define LOAD_MAX_SOURCES 65536u           /* --source addresses (an IPv4 /16) */

/* --source: the local addresses connections are bound to, in turn (load_proc.c). */
struct load_sources {
    int family;        /* AF_INET, AF_INET6, 0 = none (the kernel chooses) */
    uint32_t v4_first; /* host order */
    uint32_t count;    /* addresses: v4_first .. v4_first + count - 1, or the one v6 */
    struct in6_addr v6;
};

struct load_config {
    const char *url;
    struct target target; /* parsed url */
    enum load_mode mode;
    uint32_t connections;
    double ramp_rate;  /* connections opened per second */
    size_t size;       /* message payload bytes */
    bool text;         /* TEXT messages (printable ASCII), else BINARY */
    uint32_t pipeline; /* closed loop: messages in flight per connection */
    double rate;       /* open loop: messages per second, all connections together */
    double duration;   /* seconds of sending (soak: holding); 0 = until messages */
    uint64_t messages; /* total to send; 0 = until duration */
    double timeout;    /* connect+handshake, an echo, a pong, the close */
    double interval;   /* soak: seconds between pings on a connection */
    bool progress;     /* a progress line on stderr every second */
    uint64_t seed;
    const char *origin;
    const char *const *headers;
    size_t n_headers;
    struct load_sources sources; /* --source */
    int server_pid;              /* --server-pid: its CPU time is measured, 0 = none */
    volatile int *stop;          /* set by a signal: end as --duration would */
};

/* One point of latency over time: what completed within [t, t + interval), with a
 * coarse histogram for its percentiles (960 bytes: LOAD_SERIES_MAX points are 3.4 MiB,
 * of which only the points a run reaches are touched). */
struct load_point {
    uint64_t count, max_us, errors;
    double sum_us;
    struct load_coarse hist;
};

struct load_result {
    char url[TARGET_URL_MAX];
    char server[128]; /* the target's Server header, "" if none (escape when shown) */
    enum load_mode mode;
    /* the settings that shape the numbers, for the report */
    uint32_t connections, pipeline;
    size_t size;
    bool text;
    double rate, duration, interval, timeout, ramp_rate;
    uint64_t messages_wanted;
    /* what happened */
    uint64_t opened;       /* connections whose opening handshake completed */
    uint64_t lost;         /* of them, ended by the target (closed, stalled, failed) */
    uint64_t sent, echoed; /* messages (soak: pings, pongs) */
    uint64_t bytes_echoed; /* payload bytes */
    double elapsed;        /* seconds from the first connect to the last echo */
    double started_wall;   /* Unix time of the start */
    uint64_t errors[LOAD_ERR_COUNT];
    char first_error[256]; /* the first error, its connection and detail (escape it) */
    struct load_hist hist; /* latency (soak: pong latency), microseconds */
    double point_interval; /* seconds per series point (doubles past LOAD_SERIES_MAX) */
    size_t n_points;
    struct load_point points[LOAD_SERIES_MAX];
    size_t merged; /* number of reports merged into this one (0 = a run) */
    /* --server-pid: the server's CPU seconds (all its threads and child processes) from
     * just before the first connect to the end of the run (window seconds) */
    int server_pid;
    double server_cpu, server_window;
};

/* Run the load; r is filled (zero it first). Returns 0, or -1 with one line in err when
 * wsspec itself could not go on (descriptors, memory, its event loop). */
int load_run(const struct load_config *cfg, struct load_result *r, char *err, size_t err_len);

/* Result figures. */
uint64_t load_errors_total(const struct load_result *r);
double load_msgs_per_s(const struct load_result *r);
double load_mb_per_s(const struct load_result *r);

/* load_proc.c. The CPU seconds (user + system) of process pid, its threads and its child
 * processes, from /proc. Returns 0, or -1 if pid cannot be read. */
int load_proc_cpu(int pid, double *seconds);
/* Parse --source's ADDRESS or A.B.C.D-A.B.C.E into s. Returns 0, or -1 with err. */
int load_source_parse(const char *spec, struct load_sources *s, char *err, size_t err_len);
/* Bind socket fd to connection i's source address (port chosen at connect). Returns
 * bind()'s result (errno set). */
int load_source_bind(int fd, const struct load_sources *s, uint32_t i);
/* Echoes per second of the server's CPU time, 0 when not measured. */
double load_echoes_per_cpu_s(const struct load_result *r);

/* load_report.c */
void load_print(FILE *f, const struct load_result *r);
void load_print_ratios(FILE *f, const struct load_result *a, const struct load_result *b);
json_t *load_to_json(const struct load_result *r);
/* Read one report written by load_to_json into r (zero it first). Returns 0, or -1
 * with the reason in err. */
int load_from_json(const json_t *j, struct load_result *r, char *err, size_t err_len);
/* r += from: counts and histograms added exactly; runs are taken as concurrent
 * (throughput adds up: elapsed is the longest). */
void load_merge(struct load_result *r, const struct load_result *from);
/* Write runs[0..n) (n = 2 for --compare) as JSON / HTML. Returns 0 or -1 with err. */
int load_write_json(const char *path, struct load_result *const *runs, size_t n, char *err,
                    size_t err_len);
int load_write_html(const char *path, struct load_result *const *runs, size_t n, char *err,
                    size_t err_len);

#endif

/*
 * load_cmd.c - `wsspec load URL`: the command line (load_opts.def), the descriptor
 * budget, --compare, --merge and the exit status (0 no error, 1 the target misbehaved,
 * 2 usage or wsspec's own trouble).
 */
#define _GNU_SOURCE
#include "load_cmd.h"

#include "load.h"
#include "loop.h"
#include "transport.h"

#include "echo/cli_doc.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

enum load_group {
#define LOAD_GROUP(name, intro) LOAD_GROUP_##name,
#include "load_opts.def"
#undef LOAD_GROUP
};

enum load_opt {
#define LOAD_OPT(name, lng, shrt, arg, max, group, help) LOAD_OPT_##name,
#include "load_opts.def"
#undef LOAD_OPT
    LOAD_OPT_COUNT
};

/* The rows as cli_doc prints them (--help and wsspec-load(1)) and the parser reads
 * them. */
static const struct cli_opt load_opt_rows[LOAD_OPT_COUNT] = {
#define LOAD_OPT(name, lng, shrt, arg, max, group, help)                                           \
    [LOAD_OPT_##name] = {lng, shrt, arg, max, LOAD_GROUP_##group, help},
#include "load_opts.def"
#undef LOAD_OPT
};

static const char *const load_group_intro[] = {
#define LOAD_GROUP(name, intro) [LOAD_GROUP_##name] = intro,
#include "load_opts.def"
#undef LOAD_GROUP
};

struct load_args {
    struct load_config cfg;
    const char *positional[64];
    size_t n_positional;
    const char *headers[LOAD_MAX_HEADERS];
    const char *json, *html, *compare, *cacert;
    int server_pids[2]; /* --server-pid, for URL and URL2 */
    bool help, merge, quiet, insecure, binary, text, soak, ramp_given;
    double ramp_seconds; /* --ramp Ns: over N seconds */
    unsigned given[LOAD_OPT_COUNT];
};

/* ------------------------------------------------------------ --help, wsspec-load(1) */

static const char *const load_description[] = {
    "Put an echo load on a WebSocket server: many connections, every echo checked byte for "
    "byte, latency percentiles from an HDR-style histogram (1 us to 1 h, 3 significant "
    "digits), throughput, errors by kind.",
    NULL,
};

/* The error kinds, from the table the counters are kept by (load_errors.def). */
static const struct cli_operand load_error_terms[] = {
#define LOAD_ERROR(name, key, text) {key, text},
#include "load_errors.def"
#undef LOAD_ERROR
};

static const char *const load_notes[] = {
    "A connection the target ends is not reopened.",
    NULL,
};

static const char *const load_examples[] = {
    "wsspec load ws://127.0.0.1:9001/ -c 100 -d 30",
    "100 connections, each with one message in flight, for 30 seconds",
    "wsspec load ws://127.0.0.1:9001/ -c 1000 --rate 20000/s -s 1024 --json a.json",
    "open loop: 20000 messages of 1 KiB per second over 1000 connections, the result as "
    "JSON",
    "wsspec load ws://127.0.0.1:9001/ --compare ws://127.0.0.1:9002/",
    "the same load against two servers, and the ratios",
    "wsspec load --merge a.json b.json --html all.html",
    "one report from two machines' runs",
    NULL,
};

const struct cli_doc load_doc = {
    .name = "load",
    .synopsis = "URL [options]\nURL --compare URL2 [options]\n--merge A.json B.json... [--json "
                "FILE] [--html FILE]",
    .description = load_description,
    .group_intro = load_group_intro,
    .n_groups = sizeof load_group_intro / sizeof load_group_intro[0],
    .opts = load_opt_rows,
    .n_opts = LOAD_OPT_COUNT,
    .terms_intro = "Errors counted (each is the target's doing):",
    .terms = load_error_terms,
    .n_terms = sizeof load_error_terms / sizeof load_error_terms[0],
    .notes = load_notes,
    .exit_status = "Exit status: 0 no error, 1 the target misbehaved (any error above, in either "
                   "run of --compare), 2 usage error or wsspec's own trouble (descriptors, "
                   "memory, a file it cannot write or read).",
    .examples = load_examples,
};

/* ------------------------------------------------------------ parsing */

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("wsspec load: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("; see 'wsspec load --help'\n", stderr);
    va_end(ap);
    return 2;
}

static bool parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *e;
    errno = 0;
    if (s[0] < '0' || s[0] > '9')
        return false;
    unsigned long long v = strtoull(s, &e, 10);
    if (*e || errno || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* A positive number of seconds (or a rate), with an optional suffix that must match. */
static bool parse_pos(const char *s, const char *suffix, double *out)
{
    char *e;
    errno = 0;
    if (!((s[0] >= '0' && s[0] <= '9') || s[0] == '.'))
        return false;
    double v = strtod(s, &e);
    if (errno || !(v > 0) || !isfinite(v) || v > 1e9)
        return false;
    if (*e && !(suffix && strcmp(e, suffix) == 0))
        return false;
    *out = v;
    return true;
}

static int load_opt_set(struct load_args *a, enum load_opt o, const char *v)
{
    struct load_config *c = &a->cfg;
    uint64_t n;
    switch (o) {
    case LOAD_OPT_CONNECTIONS:
        if (!parse_u64(v, 1, LOAD_MAX_CONNS, &n))
            return usage_error("--connections wants 1 to %u, not '%s'", LOAD_MAX_CONNS, v);
        c->connections = (uint32_t)n;
        return 0;
    case LOAD_OPT_RAMP: {
        size_t l = strlen(v);
        a->ramp_given = true;
        if (l > 2 && strcmp(v + l - 2, "/s") == 0 && parse_pos(v, "/s", &c->ramp_rate))
            return 0;
        if (l > 1 && v[l - 1] == 's' && parse_pos(v, "s", &a->ramp_seconds))
            return 0;
        return usage_error("--ramp wants RATE/s (200/s) or SECONDSs (5s), not '%s'", v);
    }
    case LOAD_OPT_SIZE:
        if (!parse_u64(v, 0, LOAD_MAX_SIZE, &n))
            return usage_error("--size wants 0 to %u bytes, not '%s'", LOAD_MAX_SIZE, v);
        c->size = (size_t)n;
        return 0;
    case LOAD_OPT_BINARY:
        a->binary = true;
        return 0;
    case LOAD_OPT_TEXT:
        a->text = true;
        return 0;
    case LOAD_OPT_PIPELINE:
        if (!parse_u64(v, 1, LOAD_MAX_PIPELINE, &n))
            return usage_error("--pipeline wants 1 to %u, not '%s'", LOAD_MAX_PIPELINE, v);
        c->pipeline = (uint32_t)n;
        return 0;
    case LOAD_OPT_RATE:
        if (!parse_pos(v, "/s", &c->rate))
            return usage_error("--rate wants messages per second (1000 or 1000/s), not '%s'", v);
        return 0;
    case LOAD_OPT_DURATION:
        if (!parse_pos(v, "s", &c->duration))
            return usage_error("--duration wants seconds > 0, not '%s'", v);
        return 0;
    case LOAD_OPT_MESSAGES:
        if (!parse_u64(v, 1, UINT64_MAX / 2, &c->messages))
            return usage_error("--messages wants a count >= 1, not '%s'", v);
        return 0;
    case LOAD_OPT_TIMEOUT:
        if (!parse_pos(v, "s", &c->timeout) || c->timeout > 86400)
            return usage_error("--timeout wants 0 to 86400 seconds, not '%s'", v);
        return 0;
    case LOAD_OPT_ORIGIN:
        c->origin = v;
        return 0;
    case LOAD_OPT_HEADER:
        if (!strchr(v, ':') || strpbrk(v, "\r\n"))
            return usage_error("--header wants 'Name: value' on one line, not '%s'", v);
        a->headers[c->n_headers++] = v;
        return 0;
    case LOAD_OPT_SEED:
        if (!parse_u64(v, 0, UINT64_MAX, &c->seed))
            return usage_error("--seed wants a decimal number, not '%s'", v);
        return 0;
    case LOAD_OPT_SOURCE: {
        char err[160];
        if (load_source_parse(v, &c->sources, err, sizeof err) != 0)
            return usage_error("%s", err);
        return 0;
    }
    case LOAD_OPT_SERVER_PID:
        if (!parse_u64(v, 1, 4194304, &n)) /* Linux's PID_MAX_LIMIT */
            return usage_error("--server-pid wants a process id, not '%s'", v);
        a->server_pids[a->given[LOAD_OPT_SERVER_PID] - 1] = (int)n;
        return 0;
    case LOAD_OPT_SOAK:
        a->soak = true;
        return 0;
    case LOAD_OPT_INTERVAL:
        if (!parse_pos(v, "s", &c->interval))
            return usage_error("--interval wants seconds > 0, not '%s'", v);
        return 0;
    case LOAD_OPT_JSON:
        a->json = v;
        return 0;
    case LOAD_OPT_HTML:
        a->html = v;
        return 0;
    case LOAD_OPT_COMPARE:
        a->compare = v;
        return 0;
    case LOAD_OPT_MERGE:
        a->merge = true;
        return 0;
    case LOAD_OPT_QUIET:
        a->quiet = true;
        return 0;
    case LOAD_OPT_HELP:
        a->help = true;
        return 0;
    case LOAD_OPT_CACERT:
        a->cacert = v;
        return 0;
    case LOAD_OPT_INSECURE:
        a->insecure = true;
        return 0;
    case LOAD_OPT_COUNT:
        break;
    }
    return usage_error("internal: option %d has no handler", (int)o);
}

static int find_opt(const char *arg, const char **inline_val)
{
    *inline_val = NULL;
    if (arg[1] != '-') {
        for (size_t i = 0; i < LOAD_OPT_COUNT; i++)
            if (load_opt_rows[i].shrt && arg[1] == load_opt_rows[i].shrt && !arg[2])
                return (int)i;
        return -1;
    }
    const char *name = arg + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    for (size_t i = 0; i < LOAD_OPT_COUNT; i++)
        if (strlen(load_opt_rows[i].lng) == len && strncmp(load_opt_rows[i].lng, name, len) == 0) {
            *inline_val = eq ? eq + 1 : NULL;
            return (int)i;
        }
    return -1;
}

static int load_args_parse(int argc, char **argv, struct load_args *a)
{
    struct load_config *c = &a->cfg;
    c->connections = 16;
    c->ramp_rate = 1000;
    c->size = 32;
    c->pipeline = 1;
    c->timeout = 5;
    c->interval = 1;
    c->seed = 1;
    c->headers = a->headers;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (s[0] != '-' || !s[1]) {
            if (a->n_positional >= sizeof a->positional / sizeof a->positional[0])
                return usage_error("too many arguments");
            a->positional[a->n_positional++] = s;
            continue;
        }
        const char *val;
        int o = find_opt(s, &val);
        if (o < 0)
            return usage_error("unknown option '%s'", s);
        const struct cli_opt *row = &load_opt_rows[o];
        if (++a->given[o] > row->max)
            return usage_error("--%s given more than %u time%s", row->lng, row->max,
                               row->max > 1 ? "s" : "");
        if (row->arg && !val) {
            if (i + 1 >= argc)
                return usage_error("--%s needs an argument (%s)", row->lng, row->arg);
            val = argv[++i];
        } else if (!row->arg && val) {
            return usage_error("--%s takes no argument", row->lng);
        }
        int rc = load_opt_set(a, (enum load_opt)o, val);
        if (rc)
            return rc;
    }
    return 0;
}

/* What the options say together. */
static int load_args_check(struct load_args *a)
{
    struct load_config *c = &a->cfg;
    if (a->merge) {
        if (a->n_positional < 1)
            return usage_error("--merge wants the JSON files to merge");
        return 0;
    }
    if (a->n_positional == 0)
        return usage_error("a URL is needed");
    if (a->n_positional > 1)
        return usage_error("one URL, not %zu arguments (--compare URL2 for a second target, "
                           "--merge for report files)",
                           a->n_positional);
    if (a->given[LOAD_OPT_SERVER_PID] > 1 && !a->compare)
        return usage_error("--server-pid twice is for --compare (URL's server, then URL2's)");
    if (a->binary && a->text)
        return usage_error("--binary and --text exclude each other");
    c->text = a->text;
    if (a->ramp_seconds > 0)
        c->ramp_rate = (double)c->connections / a->ramp_seconds;
    if (a->soak) {
        if (c->rate > 0 || a->given[LOAD_OPT_PIPELINE] || c->messages)
            return usage_error("--soak sends pings only: no --rate, --pipeline or --messages");
        if (!(c->duration > 0))
            return usage_error("--soak needs --duration");
        c->mode = LOAD_SOAK;
    } else if (c->rate > 0) {
        if (a->given[LOAD_OPT_PIPELINE])
            return usage_error(
                "--rate (open loop) and --pipeline (closed loop) exclude each other");
        c->mode = LOAD_OPEN;
    }
    if (c->mode != LOAD_SOAK && !(c->duration > 0) && !c->messages)
        c->duration = 10;
    if (c->mode == LOAD_SOAK && a->given[LOAD_OPT_SIZE])
        return usage_error("--soak sends pings: no --size");
    return 0;
}

/* ------------------------------------------------------------ running */

static volatile int load_stop;

static void on_signal(int sig)
{
    (void)sig;
    load_stop = 1;
}

/* Descriptors: one per connection, plus the loop, stdio, report files and slack. */
static int fd_budget(uint32_t conns)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)conns + 64;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        fprintf(stderr, "wsspec load: getrlimit(RLIMIT_NOFILE): %s\n", strerror(errno));
        return 2;
    }
    if (rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
        fprintf(stderr,
                "wsspec load: %u connections need %llu file descriptors, the hard limit "
                "(ulimit -Hn) is %llu: lower --connections or raise the limit\n",
                conns, (unsigned long long)need, (unsigned long long)rl.rlim_max);
        return 2;
    }
    rl.rlim_cur = need;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        fprintf(stderr, "wsspec load: cannot raise RLIMIT_NOFILE to %llu: %s\n",
                (unsigned long long)need, strerror(errno));
        return 2;
    }
    return 0;
}

static int one_run(struct load_args *a, const char *url, int server_pid, struct transport_tls *tls,
                   struct load_result *r)
{
    struct load_config cfg = a->cfg;
    char err[512];
    cfg.url = url;
    cfg.server_pid = server_pid;
    if (target_parse(url, &cfg.target, err, sizeof err) != 0) {
        fprintf(stderr, "wsspec load: %s: %s\n", url, err);
        return 2;
    }
    if (cfg.sources.count && cfg.sources.family != cfg.target.addr.ss_family) {
        fprintf(stderr, "wsspec load: --source is IPv%c, %s is reached over IPv%c\n",
                cfg.sources.family == AF_INET ? '4' : '6', url,
                cfg.target.addr.ss_family == AF_INET ? '4' : '6');
        return 2;
    }
    cfg.target.tls = tls;
    if (load_run(&cfg, r, err, sizeof err) != 0) {
        fprintf(stderr, "wsspec load: %s\n", err);
        return 2;
    }
    load_print(stdout, r);
    fflush(stdout);
    return 0;
}

static int write_outputs(const struct load_args *a, struct load_result *const *runs, size_t n)
{
    char err[512];
    if (a->json && load_write_json(a->json, runs, n, err, sizeof err) != 0) {
        fprintf(stderr, "wsspec load: %s\n", err);
        return 2;
    }
    if (a->html && load_write_html(a->html, runs, n, err, sizeof err) != 0) {
        fprintf(stderr, "wsspec load: %s\n", err);
        return 2;
    }
    return 0;
}

static int read_report(const char *path, struct load_result *r)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j) {
        fprintf(stderr, "wsspec load: --merge: %s: %s (line %d)\n", path, je.text, je.line);
        return 2;
    }
    char err[256];
    int rc = load_from_json(j, r, err, sizeof err);
    json_decref(j);
    if (rc != 0) {
        fprintf(stderr, "wsspec load: --merge: %s: %s\n", path, err);
        return 2;
    }
    return 0;
}

static int merge_main(struct load_args *a)
{
    struct load_result *r = calloc(1, sizeof *r), *one = calloc(1, sizeof *one);
    int rc = 2;
    if (!r || !one) {
        fprintf(stderr, "wsspec load: out of memory\n");
        goto out;
    }
    if (read_report(a->positional[0], r) != 0)
        goto out;
    for (size_t i = 1; i < a->n_positional; i++) {
        memset(one, 0, sizeof *one);
        if (read_report(a->positional[i], one) != 0)
            goto out;
        load_merge(r, one);
    }
    if (!r->merged)
        r->merged = 1;
    load_print(stdout, r);
    rc = write_outputs(a, &r, 1);
    if (rc == 0)
        rc = load_errors_total(r) ? 1 : 0;
out:
    free(r);
    free(one);
    return rc;
}

static struct transport_tls *make_tls(const struct load_args *a, const char *const *urls, size_t n,
                                      int *rc)
{
    *rc = 0;
    bool secure = false;
    for (size_t i = 0; i < n; i++)
        if (urls[i] && strncasecmp(urls[i], "wss://", 6) == 0)
            secure = true;
    if (!secure)
        return NULL;
    struct transport_tls_options o = {.cacert = a->cacert, .insecure = a->insecure};
    char err[512];
    struct transport_tls *tls = transport_tls_new(&o, err, sizeof err);
    if (!tls) {
        fprintf(stderr, "wsspec load: %s\n", err);
        *rc = 2;
    } else if (a->insecure) {
        fprintf(stderr, "wsspec load: --insecure: the server's certificate is not verified\n");
    }
    return tls;
}

int load_main(int argc, char **argv)
{
    struct load_args *a = calloc(1, sizeof *a);
    if (!a) {
        fprintf(stderr, "wsspec load: out of memory\n");
        return 2;
    }
    int rc = load_args_parse(argc, argv, a);
    if (rc == 0 && a->help) {
        cli_doc_help(stdout, &load_doc);
        free(a);
        return 0;
    }
    if (rc == 0)
        rc = load_args_check(a);
    if (rc != 0) {
        free(a);
        return rc;
    }
    if (a->merge) {
        rc = merge_main(a);
        free(a);
        return rc;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    a->cfg.stop = &load_stop;
    a->cfg.progress = !a->quiet && isatty(2);
    struct load_result *runs[2] = {calloc(1, sizeof **runs),
                                   a->compare ? calloc(1, sizeof **runs) : NULL};
    const char *urls[2] = {a->positional[0], a->compare};
    size_t n = a->compare ? 2 : 1;
    struct transport_tls *tls = NULL;
    if (!runs[0] || (a->compare && !runs[1])) {
        fprintf(stderr, "wsspec load: out of memory\n");
        rc = 2;
        goto out;
    }
    for (size_t i = 0; i < n; i++) { /* both URLs, before any load is sent */
        char err[512];
        struct target *t = calloc(1, sizeof *t);
        if (!t)
            snprintf(err, sizeof err, "out of memory");
        int bad = !t ? -1 : target_parse(urls[i], t, err, sizeof err);
        free(t);
        if (bad) {
            fprintf(stderr, "wsspec load: %s: %s\n", urls[i], err);
            rc = 2;
            goto out;
        }
    }
    rc = fd_budget(a->cfg.connections);
    if (rc == 0)
        tls = make_tls(a, urls, n, &rc);
    for (size_t i = 0; rc == 0 && i < n && !load_stop; i++) {
        if (n == 2)
            printf("load: run %c: %s\n", (int)('A' + i), urls[i]);
        rc = one_run(a, urls[i], a->server_pids[i], tls, runs[i]);
    }
    bool interrupted = rc == 0 && load_stop;
    if (interrupted)
        fprintf(stderr, "wsspec load: interrupted: the figures cover the time until then\n");
    if (rc == 0 && n == 2)
        load_print_ratios(stdout, runs[0], runs[1]);
    if (rc == 0)
        rc = write_outputs(a, runs, n);
    if (rc == 0)
        for (size_t i = 0; i < n; i++)
            if (load_errors_total(runs[i]) || runs[i]->opened < runs[i]->connections)
                rc = 1;
    if (rc != 2 && interrupted)
        rc = 2;
out:
    transport_tls_free(tls);
    free(runs[0]);
    free(runs[1]);
    free(a);
    return rc;
}

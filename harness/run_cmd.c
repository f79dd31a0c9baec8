/*
 * run_cmd.c - `wsspec run URL...`: load the catalogue, select cases, probe each target,
 * run the tester, print a block for every failing case (h2spec style: the requirement,
 * expected next to actual, the command that replays just that case), write the
 * reports, and exit 0 (all passed), 1 (a case failed) or 2 (usage, unreachable
 * target, broken case files, interrupted).
 *
 * The options are one table, run_opts.def: the parser (run_args_parse) looks every
 * option up there, counts it against the table's bound and hands its value to
 * run_opt_set; `wsspec run --help` (run_help) is printed from the same rows.
 */
#define _GNU_SOURCE
#include "run_cmd.h"

#include "baseline.h"
#include "case.h"
#include "case_lint.h"
#include "config.h"
#include "tester.h"
#include "report_json.h"
#include "report_render.h"
#include "result.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef WSSPEC_VERSION
#define WSSPEC_VERSION "0.1.0"
#endif

/* Bounds on repeatable options: far beyond real use, and they keep arrays fixed. The
 * option table (run_opts.def) gives each repeatable option its bound from here. */
#define RUN_MAX_TARGETS 16
#define RUN_MAX_HEADERS 32
#define RUN_MAX_PROTOCOLS 16
#define RUN_MAX_CASE_DIRS 16

static volatile int run_stop;

static void on_signal(int sig)
{
    (void)sig;
    run_stop = 1;
}

/* ------------------------------------------------------------ the option table */

enum run_group {
#define RUN_GROUP(name, intro) RUN_GROUP_##name,
#include "run_opts.def"
#undef RUN_GROUP
};

enum run_opt {
#define RUN_OPT(name, lng, shrt, arg, max, group, help) RUN_OPT_##name,
#include "run_opts.def"
#undef RUN_OPT
    RUN_OPT_COUNT
};

struct run_opt_row {
    const char *lng; /* after "--" */
    char shrt;       /* after "-", or 0 */
    const char *arg; /* the argument's name in --help; NULL: a switch */
    unsigned max;    /* times it may be given */
    enum run_group group;
    const char *help; /* one paragraph, wrapped by run_help */
};

static const struct run_opt_row run_opt_rows[RUN_OPT_COUNT] = {
#define RUN_OPT(name, lng, shrt, arg, max, group, help)                                            \
    [RUN_OPT_##name] = {lng, shrt, arg, max, RUN_GROUP_##group, help},
#include "run_opts.def"
#undef RUN_OPT
};

static const char *const run_group_intro[] = {
#define RUN_GROUP(name, intro) [RUN_GROUP_##name] = intro,
#include "run_opts.def"
#undef RUN_GROUP
};

/* Everything the command line says; the defaults are set by run_args_parse. */
struct run_args {
    const char *urls[RUN_MAX_TARGETS], *headers[RUN_MAX_HEADERS + 1], *protocols[RUN_MAX_PROTOCOLS],
        *dirs[RUN_MAX_CASE_DIRS];
    size_t n_urls, n_headers, n_protocols, n_dirs;
    const char *include, *exclude, *report_dir, *origin, *agent, *config, *baseline;
    bool help, strict, quiet, fail_on_regression, scale_given, seed_given;
    enum verdict_mode verdict;
    unsigned jobs, formats;
    double scale;
    uint64_t seed;
    struct transport_tls_options tls;
};

/* ------------------------------------------------------------ --help */

#define HELP_WIDTH 80 /* a terminal's width */
#define HELP_COL 25   /* where an option's help text starts */

/* Words of text from column `at`, wrapped at HELP_WIDTH with continuation lines
 * indented to `indent`; ends the line. */
static void put_wrapped(FILE *f, const char *text, size_t at, size_t indent)
{
    size_t line_start = at;
    for (const char *p = text + strspn(text, " "); *p; p += strspn(p, " ")) {
        size_t w = strcspn(p, " ");
        if (at > line_start && at + 1 + w > HELP_WIDTH) {
            fprintf(f, "\n%*s", (int)indent, "");
            at = line_start = indent;
        } else if (at > line_start) {
            fputc(' ', f);
            at++;
        }
        fwrite(p, 1, w, f);
        at += w;
        p += w;
    }
    fputc('\n', f);
}

/* "  -j, --jobs N" and its help from column HELP_COL (or two blanks after a long label) */
static void put_option(FILE *f, const struct run_opt_row *o)
{
    char label[64], help[1024];
    if (o->shrt)
        snprintf(label, sizeof label, "  -%c, --%s%s%s", o->shrt, o->lng, o->arg ? " " : "",
                 o->arg ? o->arg : "");
    else
        snprintf(label, sizeof label, "  --%s%s%s", o->lng, o->arg ? " " : "",
                 o->arg ? o->arg : "");
    snprintf(help, sizeof help, "%s%s", o->help, o->max > 1 ? " (repeatable)" : "");
    size_t n = strlen(label);
    size_t pad = n + 2 > HELP_COL ? 2 : HELP_COL - n;
    fprintf(f, "%s%*s", label, (int)pad, "");
    put_wrapped(f, help, n + pad, HELP_COL);
}

/* `wsspec run --help`: the options come from run_opts.def, group by group. */
static void run_help(FILE *f)
{
    fputs("usage: wsspec run URL [URL...] [options]\n"
          "\n"
          "Run the conformance catalogue against WebSocket servers and judge every case.\n"
          "\n"
          "  URL                    ws://host[:port][/path][?query]; IPv6 as ws://[::1]:9001/;\n"
          "                         wss://... for TLS (default port 443)\n",
          f);
    for (size_t g = 0; g < sizeof run_group_intro / sizeof run_group_intro[0]; g++) {
        if (run_group_intro[g][0]) {
            fputc('\n', f);
            put_wrapped(f, run_group_intro[g], 0, 0);
        }
        for (size_t i = 0; i < RUN_OPT_COUNT; i++)
            if (run_opt_rows[i].group == g)
                put_option(f, &run_opt_rows[i]);
    }
    fputs("\n", f);
    put_wrapped(f,
                "Exit status: 0 every selected case passed (--fail-on regression: no "
                "regression), 1 a case failed (a regression), 2 usage error, a target that "
                "cannot be reached, case files with errors, a config or baseline that cannot "
                "be read, or an interrupted run.",
                0, 0);
}

/* ------------------------------------------------------------ parsing */

/* One line on stderr; returns 2, the exit status of a usage error. */
__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("wsspec run: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("; see 'wsspec run --help'\n", stderr);
    va_end(ap);
    return 2;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *e;
    errno = 0;
    unsigned long long v = strtoull(s, &e, 0);
    if (!*s || *e || errno || s[0] == '-')
        return false;
    *out = v;
    return true;
}

static uint64_t random_seed(void)
{
    uint64_t v = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, &v, sizeof v) != (ssize_t)sizeof v)
            v = 0;
        close(fd);
    }
    if (!v)
        v = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    return v & 0xFFFFFFFFFFFFull; /* short enough to type back in */
}

/* Agent names key the report (index.json, the per-case files, the baseline): two
 * targets that derive the same name (the same Server header, two ports of one server)
 * would share one column of the matrix and overwrite each other's files. Autobahn lets
 * that happen; here the later one gets its host:port added, then a number. A name given
 * with --agent or in the config is the user's choice and is kept. */
static void unique_agent(char *agent, size_t cap, const struct report_target *prev, size_t n,
                         const char *host_port)
{
    char base[128];
    snprintf(base, sizeof base, "%s", agent);
    for (unsigned k = 1; k < 100; k++) {
        bool taken = false;
        for (size_t i = 0; i < n && !taken; i++)
            taken = !strcmp(prev[i].agent, agent);
        if (!taken)
            return;
        if (k == 1 && strcmp(base, host_port) != 0)
            snprintf(agent, cap, "%.80s (%.40s)", base, host_port);
        else
            snprintf(agent, cap, "%.80s #%u", base, k + 1);
    }
}

/* --baseline: read the run just written (DIR/wsspec.json), compare it with the
 * baseline, record DIR/baseline.json. Returns 0, or -1 after printing why. */
static int baseline_record(const char *dir, const char *old_path, const struct baseline_run *old,
                           struct baseline_run *now, struct baseline_diff *d,
                           bool fail_on_regression)
{
    char err[640] = "";
    const char *fail_on = fail_on_regression ? "regression" : "any";
    if (baseline_load(dir, now, err, sizeof err) != 0 || baseline_compare(old, now, d) != 0 ||
        baseline_write(dir, old_path, old, now, d, fail_on, err, sizeof err) != 0) {
        fprintf(stderr, "wsspec run: baseline comparison: %s\n", err[0] ? err : "out of memory");
        return -1;
    }
    return 0;
}

static void diag_print(void *ud, const char *msg)
{
    (void)ud;
    fprintf(stderr, "%s\n", msg);
}

struct run_state {
    const char *url;
    uint64_t seed;
    bool strict, quiet, tty;
    enum verdict_mode verdict;
    size_t done, total, failed;
    size_t *done_flags; /* per result index: finished */
    struct case_result *results;
};

/* "6.4.3" and the requirement lines for the failure block */
static void print_failure(const struct run_state *st, const struct case_result *r)
{
    const struct case_def *d = r->def;
    if (st->tty)
        fprintf(stdout, "\r\033[K");
    printf("FAIL %s  %s\n", d->id, d->title);
    for (size_t i = 0; i < d->n_rfc; i++)
        printf("  requirement  RFC 6455 %s %s: \"%s\"\n", d->rfc[i].section,
               d->rfc[i].level == RFC_MUST     ? "MUST"
               : d->rfc[i].level == RFC_SHOULD ? "SHOULD"
                                               : "MAY",
               d->rfc[i].sentence);
    printf("  expected     %s\n", d->expectation);
    printf("  Autobahn     behavior %s (%s); close %s (%s)\n", behavior_name(r->behavior),
           r->result, behavior_close_name(r->behavior_close), r->result_close);
    if (r->broken[0])
        printf("  broken       %s\n", r->broken);
    printf("  RFC 6455     behavior %s; close %s\n", behavior_name(r->rfc.behavior),
           behavior_close_name(r->rfc.behavior_close));
    if (r->rfc.broken[0] && strcmp(r->rfc.broken, r->broken))
        printf("  broken       %s\n", r->rfc.broken);
    if (r->difference[0])
        printf("  difference   %s\n", r->difference);
    if (r->connect_error[0])
        printf("  connection   %s\n", r->connect_error);
    printf("  replay       wsspec run %s --cases %s --seed %llu\n\n", st->url, d->id,
           (unsigned long long)st->seed);
}

static void on_case_done(void *ud, const struct case_result *r)
{
    struct run_state *st = ud;
    st->done++;
    st->done_flags[r - st->results] = 1;
    bool ok = judge_passed(r, st->strict, st->verdict);
    if (!ok) {
        st->failed++;
        print_failure(st, r);
    }
    if (st->tty && !st->quiet) {
        fprintf(stdout, "\r\033[K[%zu/%zu] %zu failed  %s", st->done, st->total, st->failed,
                r->def->id);
        fflush(stdout);
    }
}

/* The TLS client context for every wss:// target of the run; false after printing
 * why it cannot be made. */
static bool run_tls_setup(const struct transport_tls_options *o, struct transport_tls **tls)
{
    char err[512];
    *tls = transport_tls_new(o, err, sizeof err);
    if (!*tls) {
        fprintf(stderr, "wsspec run: %s\n", err);
        return false;
    }
    if (o->insecure)
        fprintf(stderr, "wsspec run: warning: --insecure: TLS certificates are not verified; "
                        "anyone on the path can impersonate the target\n");
    return true;
}

/* Cases at once by default: the CPU cores, but at least 4. The tester is one event loop
 * and a case spends most of its time waiting on the network (5.19, 5.20 and 6.4.x wait
 * a second each), so concurrency is not bounded by cores: on a 2-core machine -j 2
 * takes twice as long as -j 4 for the same CPU work. */
static unsigned default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 4 || n > 256)
        n = n > 256 ? 256 : 4;
    return (unsigned)n;
}

static int set_verdict(struct run_args *a, const char *v)
{
    const enum verdict_mode modes[] = {VERDICT_BOTH, VERDICT_AUTOBAHN, VERDICT_RFC};
    for (size_t i = 0; i < 3; i++)
        if (!strcmp(v, verdict_mode_name(modes[i]))) {
            a->verdict = modes[i];
            return 0;
        }
    return usage_error("--verdict needs both, autobahn or rfc, not '%s'", v);
}

static int set_jobs(struct run_args *a, const char *v)
{
    uint64_t n;
    if (!parse_u64(v, &n) || n < 1 || n > 1024)
        return usage_error("-j needs a number from 1 to 1024, not '%s'", v);
    a->jobs = (unsigned)n;
    return 0;
}

static int set_scale(struct run_args *a, const char *v)
{
    char *e;
    errno = 0;
    a->scale = strtod(v, &e);
    if (!*v || *e || errno || !(a->scale > 0) || a->scale > 1000)
        return usage_error("--timeout-scale needs a number > 0 and <= 1000, not '%s'", v);
    a->scale_given = true;
    return 0;
}

static int add_header(struct run_args *a, const char *v)
{
    /* a line break would let the value add header lines of its own */
    if (!strchr(v, ':') || strpbrk(v, "\r\n"))
        return usage_error("header must look like 'Name: value', not '%s'", v);
    a->headers[a->n_headers++] = v;
    return 0;
}

static int set_seed(struct run_args *a, const char *v)
{
    if (!parse_u64(v, &a->seed))
        return usage_error("--seed needs a non-negative integer, not '%s'", v);
    a->seed_given = true;
    return 0;
}

static int set_fail_on(struct run_args *a, const char *v)
{
    if (strcmp(v, "any") != 0 && strcmp(v, "regression") != 0)
        return usage_error("--fail-on takes 'any' or 'regression', not '%s'", v);
    a->fail_on_regression = !strcmp(v, "regression");
    return 0;
}

static int set_formats(struct run_args *a, const char *v)
{
    char err[256];
    if (report_formats_parse(v, &a->formats, err, sizeof err) != 0)
        return usage_error("--format: %s", err);
    return 0;
}

/* What option o with value v (NULL for a switch) does; 0, or 2 after a usage error.
 * The parser has checked the count against the table, so the arrays have room. */
static int run_opt_set(struct run_args *a, enum run_opt o, const char *v)
{
    switch (o) {
    case RUN_OPT_CASES:
        a->include = v;
        break;
    case RUN_OPT_EXCLUDE:
        a->exclude = v;
        break;
    case RUN_OPT_JOBS:
        return set_jobs(a, v);
    case RUN_OPT_REPORT_DIR:
        a->report_dir = v;
        break;
    case RUN_OPT_FORMAT:
        return set_formats(a, v);
    case RUN_OPT_TIMEOUT_SCALE:
        return set_scale(a, v);
    case RUN_OPT_HEADER:
        return add_header(a, v);
    case RUN_OPT_ORIGIN:
        a->origin = v;
        break;
    case RUN_OPT_SUBPROTOCOL:
        a->protocols[a->n_protocols++] = v;
        break;
    case RUN_OPT_STRICT:
        a->strict = true;
        break;
    case RUN_OPT_VERDICT:
        return set_verdict(a, v);
    case RUN_OPT_SEED:
        return set_seed(a, v);
    case RUN_OPT_CASES_DIR:
        a->dirs[a->n_dirs++] = v;
        break;
    case RUN_OPT_AGENT:
        a->agent = v;
        break;
    case RUN_OPT_QUIET:
        a->quiet = true;
        break;
    case RUN_OPT_CONFIG:
        a->config = v;
        break;
    case RUN_OPT_BASELINE:
        a->baseline = v;
        break;
    case RUN_OPT_FAIL_ON:
        return set_fail_on(a, v);
    case RUN_OPT_HELP:
        a->help = true;
        break;
    case RUN_OPT_CACERT:
        a->tls.cacert = v;
        break;
    case RUN_OPT_INSECURE:
        a->tls.insecure = true;
        break;
    case RUN_OPT_CERT:
        a->tls.cert = v;
        break;
    case RUN_OPT_KEY:
        a->tls.key = v;
        break;
    case RUN_OPT_COUNT:
        break;
    }
    return 0;
}

/* The table row of "--long" or "-c", or RUN_OPT_COUNT when there is none. */
static enum run_opt run_opt_find(const char *s)
{
    for (int i = 0; i < RUN_OPT_COUNT; i++) {
        const struct run_opt_row *o = &run_opt_rows[i];
        if ((s[1] == '-' && !strcmp(s + 2, o->lng)) || (o->shrt && s[1] == o->shrt && !s[2]))
            return (enum run_opt)i;
    }
    return RUN_OPT_COUNT;
}

/* argv (argv[0] is "run") into a: every option through the table, anything not
 * starting with '-' a target URL. Stops at --help (a->help). Returns 0, or 2 after a
 * usage error (one line on stderr). */
static int run_args_parse(int argc, char **argv, struct run_args *a)
{
    unsigned seen[RUN_OPT_COUNT] = {0};
    *a = (struct run_args){.jobs = default_jobs(), .scale = 1.0, .formats = REPORT_ALL};
    for (int i = 1; i < argc && !a->help; i++) {
        const char *s = argv[i], *v = NULL;
        if (s[0] != '-') {
            if (a->n_urls == RUN_MAX_TARGETS)
                return usage_error("too many targets (at most %d)", RUN_MAX_TARGETS);
            a->urls[a->n_urls++] = s;
            continue;
        }
        enum run_opt o = run_opt_find(s);
        if (o == RUN_OPT_COUNT)
            return usage_error("unknown option '%s'", s);
        const struct run_opt_row *row = &run_opt_rows[o];
        if (row->arg && i + 1 == argc)
            return usage_error("option %s needs a value (%s)", s, row->arg);
        if (row->arg)
            v = argv[++i];
        if (++seen[o] > row->max)
            return row->max == 1 ? usage_error("option %s given more than once", s)
                                 : usage_error("option %s given more than %u times", s, row->max);
        int rc = run_opt_set(a, o, v);
        if (rc)
            return rc;
    }
    return 0;
}

int run_main(int argc, char **argv)
{
    struct run_args a;
    int parsed = run_args_parse(argc, argv, &a);
    if (parsed)
        return parsed;
    if (a.help) {
        run_help(stdout);
        return 0;
    }
    struct transport_tls *tls = NULL; /* made when a TLS option is given or a wss:// target */
    /* --config: the file fills in what the command line left open */
    struct run_config cfg = {0};
    bool from_config = false;
    if (a.config) {
        char cerr[640];
        if (config_load(a.config, &cfg, cerr, sizeof cerr) != 0) {
            fprintf(stderr, "wsspec run: --config %s\n", cerr);
            return 2;
        }
        if (cfg.warning[0])
            fprintf(stderr, "wsspec run: warning: %s: %s\n", a.config, cfg.warning);
        if (a.n_urls == 0) {
            for (size_t i = 0; i < cfg.n_servers; i++)
                a.urls[a.n_urls++] = cfg.servers[i].url;
            from_config = true;
        }
        a.include = a.include ? a.include : cfg.cases;
        a.exclude = a.exclude ? a.exclude : cfg.exclude;
        a.report_dir = a.report_dir ? a.report_dir : cfg.outdir;
    }
    a.report_dir = a.report_dir ? a.report_dir : "wsspec-report";
    if (a.n_urls == 0)
        return usage_error("no target URL given");
    /* --baseline is read before anything runs: a nightly job learns at once that last
     * night's artifact is missing, not after the run */
    struct baseline_run old_run = {0}, new_run = {0};
    struct baseline_diff diff = {0};
    if (a.baseline) {
        char berr[640];
        if (baseline_load(a.baseline, &old_run, berr, sizeof berr) != 0) {
            fprintf(stderr, "wsspec run: --baseline %s\n", berr);
            config_free(&cfg);
            return 2;
        }
    } else if (a.fail_on_regression) {
        fprintf(stderr, "wsspec run: --fail-on regression without --baseline: every failing "
                        "case counts\n");
    }
    /* The tester runs one large case after another (section 9 sends and receives up to
     * 16 MiB). Keeping freed blocks in the heap instead of returning them to the kernel
     * lets the next case reuse warm pages rather than fault in fresh ones, which
     * dominated the time of those cases. Peak memory is unchanged: the same bound. */
    mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
    if (!a.seed_given)
        a.seed = random_seed();
    /* CI logs and pipes see each line (a failure block, the summary) when it is written */
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* the catalogue */
    struct case_catalogue cat = {0};
    size_t errors = case_parse_dir(&cat, case_default_dir(), diag_print, NULL);
    for (size_t i = 0; i < a.n_dirs; i++)
        errors += case_parse_dir(&cat, a.dirs[i], diag_print, NULL);
    if (errors) {
        fprintf(stderr, "wsspec run: %zu error(s) in case files; 'wsspec lint' shows them all\n",
                errors);
        case_catalogue_free(&cat);
        config_free(&cfg);
        baseline_run_free(&old_run);
        return 2;
    }
    size_t *idx = calloc(cat.n_cases ? cat.n_cases : 1, sizeof *idx);
    /* per target: idx minus its exclude-agent-cases pairs (the agent is known only
     * after the probe) */
    size_t *tidx = calloc(cat.n_cases ? cat.n_cases : 1, sizeof *tidx);
    size_t n = idx && tidx ? case_select(&cat, a.include, a.exclude, idx) : 0;
    if (n == 0) {
        fprintf(stderr, "wsspec run: no case matches --cases '%s'%s%s\n",
                a.include ? a.include : "*", a.exclude ? " minus --exclude " : "",
                a.exclude ? a.exclude : "");
        free(idx);
        free(tidx);
        case_catalogue_free(&cat);
        config_free(&cfg);
        baseline_run_free(&old_run);
        return 2;
    }

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    a.headers[a.n_headers++] = "User-Agent: wsspec/" WSSPEC_VERSION;
    bool tty = isatty(STDOUT_FILENO);
    int rc = 0;
    size_t total_failed = 0, total_run = 0;
    struct report_target rtargets[RUN_MAX_TARGETS];
    struct case_result *all = calloc(n * a.n_urls, sizeof *all);
    size_t *flags = calloc(n * a.n_urls, sizeof *flags);
    if (!all || !flags) {
        fprintf(stderr, "wsspec run: out of memory\n");
        rc = 2;
        goto out;
    }
    /* TLS files are checked before any target when given: a typo is exit 2 at once */
    if (a.tls.key && !a.tls.cert) {
        rc = usage_error("--key needs --cert");
        goto out;
    }
    if ((a.tls.cacert || a.tls.cert || a.tls.insecure) && !run_tls_setup(&a.tls, &tls)) {
        rc = 2;
        goto out;
    }
    printf("wsspec %s: %zu cases, %zu target(s), -j %u, seed %llu\n", WSSPEC_VERSION, n, a.n_urls,
           a.jobs, (unsigned long long)a.seed);
    double wall0 = (double)time(NULL);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t u = 0; u < a.n_urls && !run_stop; u++) {
        struct target t;
        char err[512], agent[128];
        /* the config's settings for this server; the command line's win */
        const struct config_server *cs = from_config ? &cfg.servers[u] : NULL;
        double tscale = !a.scale_given && cs ? cs->timeout_scale : a.scale;
        const char *t_origin = !a.origin && cs ? cs->origin : a.origin;
        const char *const *t_protocols = a.protocols;
        size_t t_n_protocols = a.n_protocols;
        if (!a.n_protocols && cs) {
            t_protocols = (const char *const *)cs->protocols;
            t_n_protocols = cs->n_protocols;
        }
        if (target_parse(a.urls[u], &t, err, sizeof err) != 0) {
            fprintf(stderr, "wsspec run: %s\n", err);
            rc = 2;
            goto out;
        }
        if (t.secure && !tls && !run_tls_setup(&a.tls, &tls)) {
            rc = 2;
            goto out;
        }
        t.tls = tls;
        struct tester_options o = {.jobs = a.jobs,
                                   .timeout_scale = tscale,
                                   .seed = a.seed,
                                   .origin = t_origin,
                                   .protocols = t_protocols,
                                   .n_protocols = t_n_protocols,
                                   .headers = a.headers,
                                   .n_headers = a.n_headers,
                                   .on_done = on_case_done,
                                   .stop = &run_stop};
        if (tester_probe(&t, &o, 5.0 * tscale, agent, sizeof agent, err, sizeof err) != 0) {
            fprintf(stderr, "wsspec run: target unreachable: %s\n", err);
            rc = 2;
            goto out;
        }
        if (a.agent)
            snprintf(agent, sizeof agent, "%s", a.agent);
        else if (cs && cs->agent)
            snprintf(agent, sizeof agent, "%s", cs->agent);
        else
            unique_agent(agent, sizeof agent, rtargets, u, t.host_header);
        size_t n_t = 0;
        for (size_t k = 0; k < n; k++)
            if (!config_agent_excludes(&cfg, agent, cat.cases[idx[k]].id))
                tidx[n_t++] = idx[k];
        rtargets[u].url = a.urls[u];
        snprintf(rtargets[u].agent, sizeof rtargets[u].agent, "%s", agent);
        struct run_state st = {.url = a.urls[u],
                               .seed = a.seed,
                               .strict = a.strict,
                               .verdict = a.verdict,
                               .quiet = a.quiet,
                               .tty = tty,
                               .total = n_t,
                               .done_flags = flags + u * n,
                               .results = all + u * n};
        o.agent = agent;
        o.ud = &st;
        if (!a.quiet)
            printf("target %s (agent \"%s\")\n", a.urls[u], agent);
        if (!a.quiet && n_t < n)
            printf("  %zu of %zu cases left out by exclude-agent-cases\n", n - n_t, n);
        size_t ran = 0;
        if (tester_run(&t, &cat, tidx, n_t, &o, all + u * n, &ran, err, sizeof err) != 0) {
            if (tty && !a.quiet)
                printf("\r\033[K");
            fprintf(stderr, "wsspec run: %s\n", err);
            rc = 2;
            goto out;
        }
        if (tty && !a.quiet)
            printf("\r\033[K");
        total_failed += st.failed;
        total_run += st.done;
    }
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall_ms =
        (double)(t1.tv_sec - t0.tv_sec) * 1000 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;

    /* reports: every finished case, also after an interrupt; the command line as a
     * user would type it again */
    char **command = calloc((size_t)argc + 2, sizeof *command);
    if (!command) {
        fprintf(stderr, "wsspec run: out of memory\n");
        rc = 2;
        goto out;
    }
    command[0] = "wsspec";
    for (int i = 0; i < argc; i++)
        command[i + 1] = argv[i];
    struct report_run meta = {.version = WSSPEC_VERSION,
                              .seed = a.seed,
                              .started = wall0,
                              .wall_ms = wall_ms,
                              .argc = argc + 1,
                              .argv = command,
                              .strict = a.strict,
                              .verdict = a.verdict,
                              .timeout_scale = a.scale,
                              .jobs = a.jobs,
                              .cases = a.include,
                              .exclude = a.exclude,
                              .targets = rtargets,
                              .n_targets = a.n_urls,
                              .sections = cat.sections,
                              .n_sections = cat.n_sections};
    size_t n_done = 0;
    for (size_t i = 0; i < n * a.n_urls; i++) {
        if (flags[i])
            all[n_done++] = all[i]; /* compact: move finished results to the front */
        else
            result_free(&all[i]); /* interrupted or never started */
    }
    char rerr[512];
    if (report_json_write(a.report_dir, all, n_done, &meta, rerr, sizeof rerr) != 0) {
        fprintf(stderr, "wsspec run: cannot write reports: %s\n", rerr);
        rc = 2;
    } else {
        printf("report: json   %s/wsspec.json, %s/index.json and one file per case\n", a.report_dir,
               a.report_dir);
        /* before rendering: summary.md and junit.xml show DIR/baseline.json */
        if (!a.baseline)
            baseline_remove(a.report_dir);
        else if (baseline_record(a.report_dir, a.baseline, &old_run, &new_run, &diff,
                                 a.fail_on_regression) != 0)
            rc = 2;
        else
            printf("report: base   %s/baseline.json\n", a.report_dir);
        if (report_render_print(a.report_dir, a.formats, stdout, rerr, sizeof rerr) != 0) {
            fprintf(stderr, "wsspec run: cannot write reports: %s\n", rerr);
            rc = 2;
        }
    }
    free(command);
    for (size_t i = 0; i < n_done; i++)
        result_free(&all[i]);
    bool compared = a.baseline && new_run.n_agents;
    if (compared)
        baseline_print(stdout, &diff, a.baseline, a.n_urls > 1);
    printf("%zu passed, %zu failed (%zu cases, %.2f s, seed %llu)\n", total_run - total_failed,
           total_failed, total_run, wall_ms / 1000, (unsigned long long)a.seed);
    if (run_stop) {
        fprintf(stderr, "wsspec run: interrupted; %zu finished cases reported\n", total_run);
        rc = 2;
    } else if (!rc && a.fail_on_regression && compared) {
        rc = diff.count[BASELINE_REGRESSION] ? 1 : 0;
    } else if (!rc) {
        rc = total_failed ? 1 : 0;
    }
out:
    transport_tls_free(tls);
    baseline_diff_free(&diff);
    baseline_run_free(&new_run);
    baseline_run_free(&old_run);
    config_free(&cfg);
    free(tidx);
    free(all);
    free(flags);
    free(idx);
    case_catalogue_free(&cat);
    return rc;
}

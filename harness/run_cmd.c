/*
 * run_cmd.c - `wsspec run URL...`: load the catalogue, select cases, probe each target,
 * run the tester, print a block for every failing case (h2spec style: the requirement,
 * expected next to actual, the command that replays just that case), write the
 * reports, and exit 0 (all passed), 1 (a case failed) or 2 (usage, unreachable
 * target, broken case files, interrupted, wsspec's own trouble).
 *
 * What can be checked before anything is sent is checked first (preflight.c): options
 * that cannot make a valid opening request, the report directory (created and written
 * to), the file descriptors -j needs, and wsspec's event loop (loop_selftest). A run
 * that then stops - interrupted, --max-time, a later target that cannot be tested, or
 * wsspec's own trouble mid-run - still writes the reports of the cases that finished,
 * and they say that it stopped, why, and which cases never ran.
 *
 * The reports never mislead (reports/README.md): every target gets an agent name of its
 * own (unique_agent), a run removes the files an earlier run left in the report
 * directory that it does not write again (report_prune), and the replay command of a
 * failure carries every option the case needs (replay_options).
 *
 * The options are one table, run_opts.def: the parser (run_args_parse) looks every
 * option up there, counts it against the table's bound and hands its value to
 * run_opt_set; `wsspec run --help` and wsspec-run(1) are printed from the same rows
 * (run_doc, rendered by cli_doc.c).
 */
#define _GNU_SOURCE
#include "run_cmd.h"
#include "script.h"

#include "echo/cli_doc.h"

#include "baseline.h"
#include "case.h"
#include "case_lint.h"
#include "case_vocab.h"
#include "config.h"
#include "loop.h"
#include "preflight.h"
#include "tester.h"
#include "zcache.h"
#include "report_ci.h"
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
#include <strings.h>
#include <sys/time.h>
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
/* The words a replay command adds for one target (replay_options): every option that
 * changes a case, each repeatable one at its bound - (--origin, --timeout-scale,
 * --verdict, --cacert, --cert, --key: 2 words; --strict, --insecure: 1) + 2 per -H,
 * --subprotocol and --cases-dir. */
#define RUN_MAX_REPLAY                                                                             \
    (14 + 2 * (RUN_MAX_HEADERS + RUN_MAX_PROTOCOLS + RUN_MAX_CASE_DIRS + CASE_POLICIES_MAX))

/* Set from signal handlers: stop (SIGINT, SIGTERM, or --max-time's SIGALRM), which
 * signal it was, and whether --max-time was the reason. */
static volatile int run_stop;
static volatile sig_atomic_t run_signal;
static volatile sig_atomic_t run_expired;

static void on_signal(int sig)
{
    if (sig == SIGALRM)
        run_expired = 1;
    else
        run_signal = sig;
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

/* The rows as cli_doc prints them (--help and wsspec-run(1)) and the parser reads them:
 * lng after "--", shrt after "-" (or 0), arg NULL for a switch, max the times it may be
 * given, group a RUN_GROUP. */
static const struct cli_opt run_opt_rows[RUN_OPT_COUNT] = {
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
    bool help, strict, quiet, fail_on_regression, scale_given, seed_given, no_liveness;
    enum verdict_mode verdict;
    unsigned jobs, formats;
    double scale, max_time; /* max_time 0: none */
    uint64_t seed;
    struct transport_tls_options tls;
    const char *policies[CASE_POLICIES_MAX]; /* declared policies by CP_x, NULL = not */
};

/* ------------------------------------------------------------ --help, wsspec-run(1) */

static const char *const run_description[] = {
    "Run the conformance catalogue against WebSocket servers and judge every case.",
    NULL,
};

static const struct cli_operand run_operands[] = {
    {"URL", "ws://host[:port][/path][?query]; IPv6 as ws://[::1]:9001/; wss://... for TLS "
            "(default port 443)"},
};

static const char *const run_examples[] = {
    "wsspec run ws://127.0.0.1:9001/",
    "the whole catalogue against a server on loopback",
    "wsspec run ws://[::1]:9001/chat --cases '1.*,6.4.*' --exclude '9.*' -j 8",
    "sections 1 and 6.4 but not 9, eight cases at once",
    "wsspec run URL --cases 6.4.3 --seed 1234",
    "replay one case byte for byte",
    "wsspec run wss://example.test/ws --cacert ca.pem",
    "TLS, the certificate verified against ca.pem",
    NULL,
};

const struct cli_doc run_doc = {
    .name = "run",
    .synopsis = "URL [URL...] [options]",
    .description = run_description,
    .operands = run_operands,
    .n_operands = sizeof run_operands / sizeof run_operands[0],
    .group_intro = run_group_intro,
    .n_groups = sizeof run_group_intro / sizeof run_group_intro[0],
    .opts = run_opt_rows,
    .n_opts = RUN_OPT_COUNT,
    .exit_status = "Exit status: 0 every selected case passed (--fail-on regression: no "
                   "regression), 1 a case failed (a regression; cases --max-time cut short "
                   "count as failed), or a target stopped answering after a case, 2 usage error, a "
                   "target that cannot be reached or refuses "
                   "the handshake, case files with errors, a config or baseline that cannot be "
                   "read, a report directory that cannot be written, an interrupted run, or "
                   "wsspec's own trouble (file descriptors, its event loop): never the target's "
                   "fault.",
    .examples = run_examples,
};

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

/* Decimal only: --seed 010 is ten, as it is printed, not eight. */
static bool parse_u64(const char *s, uint64_t *out)
{
    char *e;
    errno = 0;
    unsigned long long v = strtoull(s, &e, 10);
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

/* Two agent names that the report cannot keep apart: the same per-case file names
 * (Autobahn's normalisation: "Foo" and "foo", "a.b" and "a b"). That covers the same
 * name, and the same JUnit classname part, which is case-sensitive and keeps fewer
 * characters apart than the file name (report_ci_agent_class). */
static bool agents_clash(const char *a, const char *b)
{
    char fa[256], fb[256];
    report_json_case_filename(a, "", fa, sizeof fa);
    report_json_case_filename(b, "", fb, sizeof fb);
    return !strcmp(fa, fb);
}

/* The index of the earlier target whose agent clashes with agent, or n. */
static size_t agent_taken(const char *agent, const struct report_target *prev, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (agents_clash(prev[i].agent, agent))
            return i;
    return n;
}

/* Agent names key the report (index.json, the per-case files, the JUnit test suites,
 * the baseline): two targets under one name - the same Server header, two ports of one
 * server, one --agent for two URLs, the same agent twice in a config - would share one
 * column, and the later one's results would overwrite the earlier one's while the exit
 * status still counts both. Autobahn lets that happen; here the later target gets its
 * host:port added, then a number, and one line says so. Returns true when renamed. */
static bool unique_agent(char *agent, size_t cap, const struct report_target *prev, size_t n,
                         const char *host_port)
{
    char base[128];
    snprintf(base, sizeof base, "%s", agent);
    for (unsigned k = 1; k < 100; k++) {
        if (agent_taken(agent, prev, n) == n)
            return k > 1;
        if (k == 1 && strcmp(base, host_port) != 0)
            snprintf(agent, cap, "%.80s (%.40s)", base, host_port);
        else
            snprintf(agent, cap, "%.80s #%u", base, k + 1);
    }
    return true; /* 99 clashes: a bounded search; the last name stands */
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
    const char *const *replay; /* the target's replay options (replay_options) */
    size_t n_replay;
};

/* The failure block shows at most this much of a request or response: its first
 * lines, each cut short, the rest counted (the report has them whole). */
#define FAILURE_HTTP_LINES 16
#define FAILURE_HTTP_LINE_BYTES 160

/* One HTTP header block, indented, control characters as '?'. */
static void print_http(const char *label, const char *text, size_t len)
{
    size_t i = 0, lines = 0;
    while (i < len && lines < FAILURE_HTTP_LINES) {
        const char *eol = memchr(text + i, '\n', len - i);
        size_t n = eol ? (size_t)(eol - (text + i)) : len - i;
        size_t shown = n && text[i + n - 1] == '\r' ? n - 1 : n;
        if (shown == 0)
            break; /* the end of the header block */
        printf("  %-12s ", lines ? "" : label);
        for (size_t k = 0; k < shown && k < FAILURE_HTTP_LINE_BYTES; k++)
            putchar((unsigned char)text[i + k] >= 0x20 && text[i + k] != 0x7f ? text[i + k] : '?');
        printf("%s\n", shown > FAILURE_HTTP_LINE_BYTES ? "..." : "");
        lines++;
        i += n + 1;
    }
    if (lines == FAILURE_HTTP_LINES && i < len)
        printf("  %-12s (%zu more bytes in the report)\n", "", len - i);
    if (lines == 0)
        printf("  %-12s %s\n", label, "(none)");
}

/* A case about the opening handshake shows the request and the response. */
static void print_handshake(const struct case_result *r)
{
    const struct case_def *d = r->def;
    if (!d->n_checks && !d->request.own)
        return;
    if (r->http_request)
        print_http("request", r->http_request, strlen(r->http_request));
    print_http("response", r->http_response ? r->http_response : "", r->http_response_len);
}

/* "6.4.3" and the requirement lines for the failure block */
static void print_failure(const struct run_state *st, const struct case_result *r)
{
    const struct case_def *d = r->def;
    if (st->tty)
        fprintf(stdout, "\r\033[K");
    printf("FAIL %s  %s\n", d->id, d->title);
    for (size_t i = 0; i < d->n_rfc; i++)
        printf("  requirement  RFC %u %s %s: \"%s\"\n", d->rfc[i].doc ? d->rfc[i].doc : RFC_DEFAULT,
               d->rfc[i].section,
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
    if (d->has_policy)
        printf("  policy       --%s %s, as declared (without it the case is INFORMATIONAL)\n",
               case_vocab_policies[d->policy].name, d->policy_value);
    if (r->observed[0])
        printf("  observed     %s\n", r->observed);
    if (r->connect_error[0])
        printf("  connection   %s\n", r->connect_error);
    print_handshake(r);
    /* the same command junit.xml, summary.md and index.html give (report_ci.h) */
    char seed[24], cmd[8192];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)st->seed);
    report_ci_replay_words(cmd, sizeof cmd, st->url, d->id, seed, st->replay, st->n_replay);
    printf("  replay       %s\n\n", cmd);
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
    char err[512];
    if (!preflight_header(v, err, sizeof err))
        return usage_error("%s", err);
    a->headers[a->n_headers++] = v;
    return 0;
}

static int set_origin(struct run_args *a, const char *v)
{
    char err[256];
    if (!preflight_origin(v, err, sizeof err))
        return usage_error("%s", err);
    a->origin = v;
    return 0;
}

static int add_protocol(struct run_args *a, const char *v)
{
    char err[512];
    a->protocols[a->n_protocols++] = v;
    if (!preflight_protocols(a->protocols, a->n_protocols, err, sizeof err))
        return usage_error("%s", err);
    return 0;
}

static int set_cases(struct run_args *a, const char *v)
{
    /* an empty variable in a CI script, not "every case" */
    if (!*v)
        return usage_error("--cases needs at least one id or pattern (leave it out to run "
                           "every case)");
    a->include = v;
    return 0;
}

static int set_max_time(struct run_args *a, const char *v)
{
    char *e;
    errno = 0;
    a->max_time = strtod(v, &e);
    /* setitimer takes up to about 2^31 s; a year is far beyond any run */
    if (!*v || *e || errno || !(a->max_time > 0) || a->max_time > 366 * 86400.0)
        return usage_error("--max-time needs seconds > 0, not '%s'", v);
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

/* --NAME VALUE of a declared policy (a CASE_POLICY row of the same name). */
static int set_policy(struct run_args *a, const char *name, const char *v)
{
    char err[256];
    int k = case_vocab_policy(name, strlen(name));
    if (k < 0)
        return usage_error("--%s: no such policy in the case vocabulary", name);
    if (!case_vocab_policy_value_ok(case_vocab_policies[k].kind, v, err, sizeof err))
        return usage_error("--%s %s", name, err);
    a->policies[k] = v;
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
        return set_cases(a, v);
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
        return set_origin(a, v);
    case RUN_OPT_SUBPROTOCOL:
        return add_protocol(a, v);
    case RUN_OPT_MAX_TIME:
        return set_max_time(a, v);
    case RUN_OPT_NO_LIVENESS:
        a->no_liveness = true;
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
    case RUN_OPT_MAX_MESSAGE_SIZE:
    case RUN_OPT_IDLE_TIMEOUT:
    case RUN_OPT_HANDSHAKE_TIMEOUT:
    case RUN_OPT_FORBIDDEN_ORIGIN:
        return set_policy(a, run_opt_rows[o].lng, v);
    case RUN_OPT_COUNT:
        break;
    }
    return 0;
}

/* The table row of "--long" or "-c", or RUN_OPT_COUNT when there is none. */
static enum run_opt run_opt_find(const char *s)
{
    for (int i = 0; i < RUN_OPT_COUNT; i++) {
        const struct cli_opt *o = &run_opt_rows[i];
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
        const struct cli_opt *row = &run_opt_rows[o];
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

/* ------------------------------------------------------------ the run */

/* Everything one run holds; run_free releases it in any state. */
struct run {
    struct run_args a;
    int argc;
    char **argv;
    struct run_config cfg;
    bool from_config; /* the targets are the config's servers */
    struct baseline_run old_run, new_run;
    struct baseline_diff diff;
    struct case_catalogue cat;
    size_t *idx, n;         /* the selected cases, n of them */
    size_t *tidx;           /* one target's: idx minus its exclude-agent-cases pairs */
    size_t *order;          /* the order tidx's cases start in (probes_first) */
    struct target *targets; /* a.n_urls of them, parsed and resolved */
    struct transport_tls *tls;
    struct report_target rtargets[RUN_MAX_TARGETS];
    size_t n_rtargets;       /* targets whose cases are reported */
    struct case_result *all; /* n per target */
    size_t *flags;           /* per result: finished, or marked timed out */
    struct preflight_dirs made;
    bool tty, stopped;     /* stopped: a refusal or wsspec's own trouble ended the run early */
    size_t n_user_headers; /* a.headers before wsspec's User-Agent */
    size_t total_failed, total_run, cut_short, not_started;
    size_t died; /* targets that stopped answering after a case (tester.h, "Liveness") */
    double wall0;
    struct timespec t0;
    /* the replay command of each target's cases (replay_options); a credential -H as
     * it shows there */
    const char *replay[RUN_MAX_TARGETS][RUN_MAX_REPLAY];
    size_t n_replay[RUN_MAX_TARGETS];
    char scale_word[RUN_MAX_TARGETS][32];
    char policy_word[CASE_POLICIES_MAX][48]; /* "--max-message-size" */
    const char *header_word[RUN_MAX_HEADERS];
    char redacted[RUN_MAX_HEADERS][64];
    /* a run that stops early: why (report_run.stop_reason; NULL while it runs on), one
     * line saying so, and per target the cases that never ran (n per target in
     * not_run_cases) */
    const char *stop_reason;
    char stop_message[1400];
    struct report_not_run not_run[RUN_MAX_TARGETS];
    const struct case_def **not_run_cases;
};

/* One line "wsspec run: ..." on stderr; returns 2. */
__attribute__((format(printf, 1, 2))) static int say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("wsspec run: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 2;
}

/* The run stops early: say why on stderr, and keep it for the reports (url: the target
 * it is about, named there since the line alone does not say which). */
__attribute__((format(printf, 4, 5))) static void stop_run(struct run *R, const char *reason,
                                                           const char *url, const char *fmt, ...)
{
    char line[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    say("%s", line);
    R->stop_reason = reason;
    snprintf(R->stop_message, sizeof R->stop_message, "%s%s%s", url ? url : "", url ? ": " : "",
             line);
}

/* --config: the file fills in what the command line left open. */
static int run_apply_config(struct run *R)
{
    struct run_args *a = &R->a;
    if (a->config) {
        char cerr[640];
        if (config_load(a->config, &R->cfg, cerr, sizeof cerr) != 0)
            return say("--config %s", cerr);
        if (R->cfg.warning[0])
            say("warning: %s: %s", a->config, R->cfg.warning);
        if (a->n_urls == 0) {
            for (size_t i = 0; i < R->cfg.n_servers; i++)
                a->urls[a->n_urls++] = R->cfg.servers[i].url;
            R->from_config = true;
        }
        a->include = a->include ? a->include : R->cfg.cases;
        a->exclude = a->exclude ? a->exclude : R->cfg.exclude;
        a->report_dir = a->report_dir ? a->report_dir : R->cfg.outdir;
    }
    a->report_dir = a->report_dir ? a->report_dir : "wsspec-report";
    if (a->n_urls == 0)
        return usage_error("no target URL given");
    return 0;
}

/* What target u is sent and how long it gets: the command line's settings, else its
 * config entry's. */
static void tester_options_for(const struct run *R, size_t u, struct tester_options *o)
{
    const struct run_args *a = &R->a;
    const struct config_server *cs = R->from_config ? &R->cfg.servers[u] : NULL;
    *o = (struct tester_options){.jobs = a->jobs,
                                 .timeout_scale =
                                     !a->scale_given && cs ? cs->timeout_scale : a->scale,
                                 .seed = a->seed,
                                 .origin = !a->origin && cs ? cs->origin : a->origin,
                                 .protocols = a->protocols,
                                 .n_protocols = a->n_protocols,
                                 .headers = a->headers,
                                 .n_headers = a->n_headers,
                                 .on_done = on_case_done,
                                 .stop = &run_stop,
                                 .liveness = !a->no_liveness};
    if (!a->n_protocols && cs) {
        o->protocols = (const char *const *)cs->protocols;
        o->n_protocols = cs->n_protocols;
    }
}

/* Every target parsed and resolved, and what each is sent checked (a config's origin
 * and protocols too), before anything is sent to any of them. */
static int run_check_targets(struct run *R)
{
    R->targets = calloc(R->a.n_urls, sizeof *R->targets);
    if (!R->targets)
        return say("out of memory");
    for (size_t u = 0; u < R->a.n_urls; u++) {
        char err[512];
        if (target_parse(R->a.urls[u], &R->targets[u], err, sizeof err) != 0)
            return say("%s", err);
        struct tester_options o;
        tester_options_for(R, u, &o);
        if ((o.origin && !preflight_origin(o.origin, err, sizeof err)) ||
            !preflight_protocols(o.protocols, o.n_protocols, err, sizeof err))
            return say("--config %s, server %s: %s", R->a.config, R->a.urls[u], err);
    }
    return 0;
}

/* --baseline is read before anything runs: a nightly job learns at once that last
 * night's artifact is missing, not after the run. */
static int run_load_baseline(struct run *R)
{
    if (R->a.baseline) {
        char berr[640];
        if (baseline_load(R->a.baseline, &R->old_run, berr, sizeof berr) != 0)
            return say("--baseline %s", berr);
    } else if (R->a.fail_on_regression) {
        say("--fail-on regression without --baseline: every failing case counts");
    }
    return 0;
}

/* The built-in catalogue and --cases-dir, and the selection. */
static int run_load_cases(struct run *R)
{
    const char *home = case_default_dir_or_say("run");
    if (!home)
        return 2;
    /* the declared policies are the values of the cases' {NAME} placeholders */
    memcpy(R->cat.policy_values, R->a.policies, sizeof R->cat.policy_values);
    size_t errors = case_parse_dir(&R->cat, home, diag_print, NULL);
    for (size_t i = 0; i < R->a.n_dirs; i++)
        errors += case_parse_dir(&R->cat, R->a.dirs[i], diag_print, NULL);
    if (errors)
        return say("%zu error(s) in case files; 'wsspec lint' shows them all", errors);
    size_t cap = R->cat.n_cases ? R->cat.n_cases : 1;
    R->idx = calloc(cap, sizeof *R->idx);
    R->tidx = calloc(cap, sizeof *R->tidx);
    R->order = calloc(cap, sizeof *R->order);
    if (!R->idx || !R->tidx || !R->order)
        return say("out of memory");
    R->n = case_select(&R->cat, R->a.include, R->a.exclude, R->idx);
    /* cases that test a client (role server) are wsspec serve's: not selected here */
    size_t kept = 0;
    for (size_t i = 0; i < R->n; i++)
        if (script_case_runs_as_client(&R->cat.cases[R->idx[i]], NULL))
            R->idx[kept++] = R->idx[i];
    if (kept == 0 && R->n)
        return say("the cases matching --cases '%s' test a client (role server): wsspec serve "
                   "runs them",
                   R->a.include ? R->a.include : "*");
    R->n = kept;
    if (R->n == 0)
        return say("no case matches --cases '%s'%s%s", R->a.include ? R->a.include : "*",
                   R->a.exclude ? " minus --exclude " : "", R->a.exclude ? R->a.exclude : "");
    R->all = calloc(R->n * R->a.n_urls, sizeof *R->all);
    R->flags = calloc(R->n * R->a.n_urls, sizeof *R->flags);
    R->not_run_cases = calloc(R->n * R->a.n_urls, sizeof *R->not_run_cases);
    if (!R->all || !R->flags || !R->not_run_cases)
        return say("out of memory");
    return 0;
}

/* TLS: the context is made when a target is wss:// or a TLS option names a file (a
 * typo is exit 2 at once); --insecure warns only where there is TLS to weaken. */
static int run_tls(struct run *R)
{
    const struct transport_tls_options *o = &R->a.tls;
    bool wss = false;
    for (size_t u = 0; u < R->a.n_urls; u++)
        wss = wss || R->targets[u].secure;
    if (o->key && !o->cert)
        return usage_error("--key needs --cert");
    if (!wss && !o->cacert && !o->cert)
        return 0;
    char err[512];
    R->tls = transport_tls_new(o, err, sizeof err);
    if (!R->tls)
        return say("%s", err);
    if (o->insecure && wss)
        say("warning: --insecure: TLS certificates are not verified; anyone on the path can "
            "impersonate the target");
    for (size_t u = 0; u < R->a.n_urls; u++)
        R->targets[u].tls = R->tls;
    return 0;
}

/* wsspec's own machine, before anything is sent: its event loop works (without
 * epoll_pwait2 it works in milliseconds: said once, the verdicts do not change), and
 * there are file descriptors for -j connections at once. */
static int run_check_machine(struct run *R)
{
    char err[512];
    bool coarse = false;
    if (loop_selftest(&coarse, err, sizeof err) != 0)
        return say("cannot wait for network events on this machine: %s", err);
    if (coarse)
        say("note: this kernel has no epoll_pwait2 (Linux 5.11+): timers are rounded up to "
            "the millisecond, so chopped writes go out more slowly; verdicts are the same");
    if (preflight_fds(R->a.jobs, err, sizeof err) != 0)
        return say("%s", err);
    return 0;
}

static int run_check_report_dir(struct run *R)
{
    char err[4400];
    if (preflight_report_dir(R->a.report_dir, &R->made, err, sizeof err) != 0)
        return say("%s", err);
    return 0;
}

/* Signals stop the run between loop passes; --max-time is SIGALRM after that long. */
static void run_start_clock(struct run *R)
{
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: the wait returns */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (R->a.max_time > 0) {
        struct itimerval it = {0};
        it.it_value.tv_sec = (time_t)R->a.max_time;
        it.it_value.tv_usec = (suseconds_t)((R->a.max_time - (double)it.it_value.tv_sec) * 1e6);
        if (!it.it_value.tv_sec && !it.it_value.tv_usec)
            it.it_value.tv_usec = 1;
        setitimer(ITIMER_REAL, &it, NULL);
    }
    R->wall0 = loop_wall();
    clock_gettime(CLOCK_MONOTONIC, &R->t0);
}

/* A case --max-time ended (started) or kept from starting: FAILED, saying so in both
 * verdicts, with what it recorded until then. */
static void mark_timed_out(struct case_result *r, bool started, double max_time)
{
    char why[200];
    if (started)
        snprintf(why, sizeof why,
                 "Timed out: the run's --max-time of %g s ended the case before it ended",
                 max_time);
    else
        snprintf(why, sizeof why,
                 "Timed out: the run's --max-time of %g s was reached before the case started",
                 max_time);
    r->behavior = r->rfc.behavior = B_FAILED;
    r->behavior_close = r->rfc.behavior_close = BC_FAILED;
    snprintf(r->result, sizeof r->result, "%s", why);
    snprintf(r->result_close, sizeof r->result_close, "%s", why);
    snprintf(r->rfc.result, sizeof r->rfc.result, "%s", why);
    snprintf(r->rfc.result_close, sizeof r->rfc.result_close, "%s", why);
    snprintf(r->broken, sizeof r->broken, "--max-time %g s", max_time);
    snprintf(r->rfc.broken, sizeof r->rfc.broken, "--max-time %g s", max_time);
    r->difference[0] = '\0';
}

/* After --max-time: every case of target u without a verdict gets one (timed out). */
static void mark_expired(struct run *R, size_t u, size_t n_t, const char *agent)
{
    double now = loop_wall();
    for (size_t k = 0; k < n_t; k++) {
        size_t i = u * R->n + k;
        struct case_result *r = &R->all[i];
        if (R->flags[i])
            continue;
        bool started = r->def != NULL; /* abandoned mid-case: its records are kept */
        if (started) {
            result_wirelog_seal(r);
            r->duration_ms = (now - r->started) * 1000;
            R->cut_short++;
        } else {
            r->def = &R->cat.cases[R->tidx[k]];
            snprintf(r->agent, sizeof r->agent, "%s", agent);
            r->seed = R->a.seed;
            r->started = now;
            r->local_close_code = r->remote_close_code = -1;
            R->not_started++;
        }
        mark_timed_out(r, started, R->a.max_time);
        R->flags[i] = 1;
        R->total_failed++;
        R->total_run++;
    }
}

static bool is_header_option(const char *arg)
{
    return !strcmp(arg, "-H") || !strcmp(arg, "--header");
}

/* An -H value whose value is a secret (the tester keeps these out of its reports too:
 * script.c, redacted_request). */
static bool is_credential(const char *h)
{
    static const char *const names[] = {"authorization:", "proxy-authorization:", "cookie:"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (!strncasecmp(h, names[k], strlen(names[k])))
            return true;
    return false;
}

/* "Authorization: <redacted>" into out. */
static void redact_header(const char *h, char *out, size_t cap)
{
    size_t name = strcspn(h, ":");
    snprintf(out, cap, "%.*s: <redacted>", (int)(name < 40 ? name : 40), h);
}

/* The same in static storage, one per -H of the run, bounded by the number of headers
 * wsspec takes (for the recorded command line). */
static char *redacted_header(const char *h)
{
    static char kept[RUN_MAX_HEADERS][64];
    static size_t used;
    char *out = kept[used++ % RUN_MAX_HEADERS];
    redact_header(h, out, sizeof kept[0]);
    return out;
}

/* The options a replay of target u's cases needs besides URL, --cases and --seed: what
 * the connection sends (--origin, --subprotocol, -H - a credential redacted, as in the
 * recorded command line: CI logs are read by many), how long it waits (--timeout-scale:
 * the command line's or the config's), how it is judged (--strict, --verdict), where
 * the case is defined (--cases-dir), and for wss:// the TLS options. -j, --max-time and
 * the report options change no case; a config's settings are given as options. */
struct words {
    const char **w;
    size_t n;
};

static void add_option(struct words *ws, const char *opt, const char *value)
{
    ws->w[ws->n++] = opt;
    if (value)
        ws->w[ws->n++] = value;
}

static void replay_options(struct run *R, size_t u, const struct tester_options *o)
{
    const struct run_args *a = &R->a;
    struct words ws = {.w = R->replay[u]};
    if (o->origin)
        add_option(&ws, "--origin", o->origin);
    for (size_t i = 0; i < o->n_protocols; i++)
        add_option(&ws, "--subprotocol", o->protocols[i]);
    for (size_t i = 0; i < R->n_user_headers; i++)
        add_option(&ws, "-H", R->header_word[i]);
    if (o->timeout_scale != 1.0) {
        snprintf(R->scale_word[u], sizeof R->scale_word[u], "%.15g", o->timeout_scale);
        add_option(&ws, "--timeout-scale", R->scale_word[u]);
    }
    if (a->strict)
        add_option(&ws, "--strict", NULL);
    if (a->verdict != VERDICT_BOTH)
        add_option(&ws, "--verdict", verdict_mode_name(a->verdict));
    for (size_t i = 0; i < a->n_dirs; i++)
        add_option(&ws, "--cases-dir", a->dirs[i]);
    for (int k = 0; k < CP_N; k++)
        if (a->policies[k]) {
            snprintf(R->policy_word[k], sizeof R->policy_word[k], "--%s",
                     case_vocab_policies[k].name);
            add_option(&ws, R->policy_word[k], a->policies[k]);
        }
    if (R->targets[u].secure) {
        if (a->tls.insecure)
            add_option(&ws, "--insecure", NULL);
        if (a->tls.cacert)
            add_option(&ws, "--cacert", a->tls.cacert);
        if (a->tls.cert)
            add_option(&ws, "--cert", a->tls.cert);
        if (a->tls.key)
            add_option(&ws, "--key", a->tls.key);
    }
    R->n_replay[u] = ws.n;
}

/* The cases of target u (R->tidx[0..n_t)) without a result when its run ended: never
 * started, or abandoned mid-case by an interrupt or a stop. */
static void record_not_run(struct run *R, size_t u, size_t n_t)
{
    const struct case_def **list = R->not_run_cases + u * R->n;
    size_t m = 0;
    for (size_t k = 0; k < n_t; k++)
        if (!R->flags[u * R->n + k])
            list[m++] = &R->cat.cases[R->tidx[k]];
    R->not_run[u] = (struct report_not_run){
        .url = R->a.urls[u], .agent = R->rtargets[u].agent, .cases = list, .n_cases = m};
}

/* A target the run stopped before reaching: every selected case (less the config's
 * exclude-agent-cases when its agent name is given; a derived one is not known). */
static void record_unreached(struct run *R, size_t u)
{
    const struct config_server *cs = R->from_config ? &R->cfg.servers[u] : NULL;
    const char *agent = R->a.agent ? R->a.agent : cs ? cs->agent : NULL;
    const struct case_def **list = R->not_run_cases + u * R->n;
    size_t m = 0;
    for (size_t k = 0; k < R->n; k++) {
        const struct case_def *d = &R->cat.cases[R->idx[k]];
        if (!agent || !config_agent_excludes(&R->cfg, agent, d->id))
            list[m++] = d;
    }
    R->not_run[u] =
        (struct report_not_run){.url = R->a.urls[u], .agent = NULL, .cases = list, .n_cases = m};
}

/* The hardening probes (cases with a declared policy, section 17) start first: they
 * mostly wait - a trickle, an idle connection - so they run beside the rest of the
 * catalogue instead of after it. The others keep id order, except that cases sending
 * the same compressed messages then run together (zcache_order); results stay in id
 * order. */
static void probes_first(const struct run *R, size_t n_t)
{
    size_t m = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < n_t; k++)
            if (R->cat.cases[R->tidx[k]].has_policy == (pass == 0))
                R->order[m++] = k;
}

/* The probe's one line: "target unreachable" only when it is; a refusal is the
 * target's answer, shown as curl would, with the options that send what it may want. */
static void probe_failed(struct run *R, size_t u, const char *err)
{
    const char *hint = strstr(err, "got 401") ? " (-H 'Authorization: ...' sends credentials)"
                       : strstr(err, "got 403")
                           ? " (--origin, -H 'Cookie: ...' or --subprotocol may be what it wants)"
                           : "";
    size_t n = strlen(err);
    while (n && err[n - 1] == ' ') /* a body's last line break, made printable */
        n--;
    if (strncmp(err, "cannot connect", 14) == 0)
        stop_run(R, "target", R->a.urls[u], "target unreachable: %.*s", (int)n, err);
    else
        stop_run(R, "target", R->a.urls[u], "%.*s%s", (int)n, err, hint);
}

/* Target u stopped answering after a case (tester.h, "Liveness"): the run says so and
 * the reports mark it incomplete ("target-died"), with the cases it never reported; the
 * run goes on with the next target, and the exit status is 1. Several targets that died
 * share the one "stopped" record: their lines are joined. */
static void target_died(struct run *R, size_t u, const char *message)
{
    size_t not_run = R->not_run[u].n_cases;
    char line[1200];
    snprintf(line, sizeof line, "%s; %zu case%s not run", message, not_run,
             not_run == 1 ? "" : "s");
    say("%s: %s", R->a.urls[u], line);
    R->died++;
    if (!R->stop_reason) {
        R->stop_reason = "target-died";
        snprintf(R->stop_message, sizeof R->stop_message, "%s: %s", R->a.urls[u], line);
        return;
    }
    size_t used = strlen(R->stop_message);
    snprintf(R->stop_message + used, sizeof R->stop_message - used, "; %s: %s", R->a.urls[u], line);
}

/* Probe target u and run its cases. Returns 0, or -1 when the run must stop (the probe
 * failed, or wsspec's own trouble), after one line saying why. */
static int run_target(struct run *R, size_t u)
{
    struct run_args *a = &R->a;
    struct target *t = &R->targets[u];
    const struct config_server *cs = R->from_config ? &R->cfg.servers[u] : NULL;
    struct tester_options o;
    tester_options_for(R, u, &o);
    char err[1024], agent[128];
    int pr = tester_probe(t, &o, 5.0 * o.timeout_scale, agent, sizeof agent, err, sizeof err);
    if (pr == TESTER_OWN_TROUBLE) {
        stop_run(R, "wsspec", NULL, "stopped by trouble on this machine, not the target's: %s",
                 err);
        return -1;
    }
    if (pr != 0) {
        probe_failed(R, u, err);
        return -1;
    }
    if (a->agent)
        snprintf(agent, sizeof agent, "%s", a->agent);
    else if (cs && cs->agent)
        snprintf(agent, sizeof agent, "%s", cs->agent);
    /* exclude-agent-cases match the name the target has (given or derived), as in
     * Autobahn, not the one it may be renamed to below */
    size_t n_t = 0;
    for (size_t k = 0; k < R->n; k++)
        if (!config_agent_excludes(&R->cfg, agent, R->cat.cases[R->idx[k]].id))
            R->tidx[n_t++] = R->idx[k];
    size_t other = agent_taken(agent, R->rtargets, u);
    char given[128];
    snprintf(given, sizeof given, "%s", agent);
    if (unique_agent(agent, sizeof agent, R->rtargets, u, t->host_header))
        say("note: %s is reported as agent \"%s\": \"%s\" would share its report files with "
            "target %zu's \"%s\" (%s)",
            a->urls[u], agent, given, other + 1, R->rtargets[other].agent, R->rtargets[other].url);
    R->rtargets[u].url = a->urls[u];
    snprintf(R->rtargets[u].agent, sizeof R->rtargets[u].agent, "%s", agent);
    replay_options(R, u, &o);
    R->rtargets[u].replay = R->replay[u];
    R->rtargets[u].n_replay = R->n_replay[u];
    R->n_rtargets = u + 1;
    struct run_state st = {.url = a->urls[u],
                           .seed = a->seed,
                           .strict = a->strict,
                           .verdict = a->verdict,
                           .quiet = a->quiet,
                           .tty = R->tty,
                           .total = n_t,
                           .done_flags = R->flags + u * R->n,
                           .results = R->all + u * R->n,
                           .replay = R->replay[u],
                           .n_replay = R->n_replay[u]};
    o.agent = agent;
    o.ud = &st;
    probes_first(R, n_t);
    zcache_order(&R->cat, R->tidx, R->order, n_t); /* false: out of memory, order kept */
    o.order = R->order;
    if (!a->quiet)
        printf("target %s (agent \"%s\")\n", a->urls[u], agent);
    if (!a->quiet && n_t < R->n)
        printf("  %zu of %zu cases left out by exclude-agent-cases\n", R->n - n_t, R->n);
    struct tester_outcome out;
    int rc = tester_run(t, &R->cat, R->tidx, n_t, &o, R->all + u * R->n, &out, err, sizeof err);
    if (R->tty && !a->quiet)
        printf("\r\033[K");
    R->total_failed += st.failed;
    R->total_run += st.done;
    if (out.liveness_off)
        say("note: %s failed the first liveness check (%s): its cases ran "
            "without liveness checks, as with --no-liveness",
            a->urls[u], out.why);
    if (rc == 0 && run_expired && !out.died)
        mark_expired(R, u, n_t, agent);
    record_not_run(R, u, n_t);
    if (out.died)
        target_died(R, u, out.message);
    if (rc != 0) {
        stop_run(R, "wsspec", NULL, "stopped by trouble on this machine, not the target's: %s",
                 err);
        return -1;
    }
    return 0;
}

/* The line a --max-time that cut the run short prints, and the reports say. */
static void max_time_line(const struct run *R, bool skipped, char *out, size_t cap)
{
    snprintf(out, cap,
             "--max-time %g s reached: %zu case(s) cut short and %zu not started, reported "
             "FAILED (timed out)%s",
             R->a.max_time, R->cut_short, R->not_started, skipped ? "; later targets not run" : "");
}

/* Before the reports: the targets never reached, and why the run stopped when a
 * signal or --max-time stopped it (a refusal or wsspec's trouble said so already). */
static void run_settle_stop(struct run *R)
{
    bool skipped = run_expired && R->n_rtargets < R->a.n_urls;
    for (size_t u = R->n_rtargets; u < R->a.n_urls; u++)
        record_unreached(R, u);
    if (R->stop_reason)
        return;
    if (run_stop && !run_expired) {
        R->stop_reason = "interrupted";
        snprintf(R->stop_message, sizeof R->stop_message, "interrupted by %s",
                 run_signal == SIGTERM ? "SIGTERM" : "SIGINT");
    } else if (run_expired && (R->cut_short || R->not_started || skipped)) {
        R->stop_reason = "max-time";
        max_time_line(R, skipped, R->stop_message, sizeof R->stop_message);
    }
}

/* The JSON, the baseline comparison, the removal of an earlier run's files this run
 * does not write again (report_render.h), the rendered formats. Returns 0 or 2. */
static int run_write_reports(struct run *R, const struct case_result *done, size_t n_done,
                             const struct report_run *meta)
{
    struct run_args *a = &R->a;
    struct report_prior prior;
    char rerr[4400];
    if (report_prior_load(a->report_dir, &prior) != 0)
        return say("out of memory");
    int rc = 0;
    if (report_json_write(a->report_dir, done, n_done, meta, rerr, sizeof rerr) != 0) {
        rc = say("cannot write reports: %s", rerr);
    } else {
        printf("report: json   %s/wsspec.json, %s/index.json and one file per case\n",
               a->report_dir, a->report_dir);
        /* before rendering: summary.md and junit.xml show DIR/baseline.json */
        bool compared = false;
        if (a->baseline) {
            if (baseline_record(a->report_dir, a->baseline, &R->old_run, &R->new_run, &R->diff,
                                a->fail_on_regression) != 0) {
                rc = 2;
            } else {
                printf("report: base   %s/baseline.json\n", a->report_dir);
                compared = true;
            }
        }
        /* an earlier run's baseline.json, formats and per-case files would contradict the
         * new wsspec.json: gone before anything is rendered from it */
        if (report_prune(a->report_dir, &prior, a->formats, compared, stdout, rerr, sizeof rerr))
            rc = say("cannot write reports: %s", rerr);
        if (report_render_print(a->report_dir, a->formats, stdout, rerr, sizeof rerr) != 0)
            rc = say("cannot write reports: %s", rerr);
    }
    report_prior_free(&prior);
    return rc;
}

/* The reports of every case with a verdict (also after an interrupt or a stop, which
 * they say, with the cases that never ran), the baseline comparison, the summary; the
 * exit status. */
static int run_report(struct run *R)
{
    int rc;
    struct run_args *a = &R->a;
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall_ms =
        (double)(t1.tv_sec - R->t0.tv_sec) * 1000 + (double)(t1.tv_nsec - R->t0.tv_nsec) / 1e6;
    /* the command line as a user would type it again - but no credential it carried */
    char **command = calloc((size_t)R->argc + 2, sizeof *command);
    if (!command)
        return say("out of memory");
    command[0] = "wsspec";
    for (int i = 0; i < R->argc; i++)
        command[i + 1] = i > 0 && is_header_option(R->argv[i - 1]) && is_credential(R->argv[i])
                             ? redacted_header(R->argv[i])
                             : R->argv[i];
    run_settle_stop(R);
    struct report_run meta = {.version = WSSPEC_VERSION,
                              .seed = a->seed,
                              .started = R->wall0,
                              .wall_ms = wall_ms,
                              .argc = R->argc + 1,
                              .argv = command,
                              .strict = a->strict,
                              .verdict = a->verdict,
                              .timeout_scale = a->scale,
                              .jobs = a->jobs,
                              .liveness = !a->no_liveness,
                              .cases = a->include,
                              .exclude = a->exclude,
                              .targets = R->rtargets,
                              .n_targets = R->n_rtargets,
                              .sections = R->cat.sections,
                              .n_sections = R->cat.n_sections,
                              .stop_reason = R->stop_reason,
                              .stop_message = R->stop_message,
                              .not_run = R->not_run,
                              .n_not_run = R->stop_reason ? a->n_urls : 0};
    size_t n_done = 0, n_not_run = 0;
    for (size_t i = 0; i < R->n * R->a.n_urls; i++) {
        if (R->flags[i])
            R->all[n_done++] = R->all[i]; /* compact: move finished results to the front */
        else
            result_free(&R->all[i]); /* interrupted or never started */
    }
    for (size_t u = 0; u < meta.n_not_run; u++)
        n_not_run += R->not_run[u].n_cases;
    rc = run_write_reports(R, R->all, n_done, &meta);
    free(command);
    for (size_t i = 0; i < n_done; i++)
        result_free(&R->all[i]);
    /* every result is freed now (the compaction moved some): run_free must not again */
    memset(R->flags, 0, R->n * R->a.n_urls * sizeof *R->flags);
    bool compared = a->baseline && R->new_run.n_agents;
    if (compared)
        baseline_print(stdout, &R->diff, a->baseline, a->n_urls > 1);
    printf("%zu passed, %zu failed (%zu cases, %.2f s, seed %llu)\n",
           R->total_run - R->total_failed, R->total_failed, R->total_run, wall_ms / 1000,
           (unsigned long long)a->seed);
    bool skipped = run_expired && R->n_rtargets < a->n_urls; /* targets never reached */
    if (run_expired && (R->cut_short || R->not_started || skipped)) {
        char line[400];
        max_time_line(R, skipped, line, sizeof line);
        say("%s", line);
    }
    if (R->stopped || (run_stop && !run_expired)) {
        say("%s; %zu finished cases reported, %zu never ran (listed in the reports)",
            R->stopped ? "run stopped" : "interrupted", R->total_run, n_not_run);
        rc = 2;
    } else if (R->died) {
        /* a target that dies fails the run, whatever --fail-on says */
        say("%zu target%s stopped answering; %zu finished cases reported, %zu never ran "
            "(listed in the reports)",
            R->died, R->died == 1 ? "" : "s", R->total_run, n_not_run);
        rc = rc ? rc : 1;
    } else if (!rc && a->fail_on_regression && compared) {
        rc = R->diff.count[BASELINE_REGRESSION] ? 1 : 0;
    } else if (!rc) {
        rc = R->total_failed || skipped ? 1 : 0;
    }
    return rc;
}

static void run_free(struct run *R)
{
    if (R->all)
        for (size_t i = 0; i < R->n * R->a.n_urls; i++)
            if (R->flags && R->flags[i])
                result_free(&R->all[i]);
    transport_tls_free(R->tls);
    baseline_diff_free(&R->diff);
    baseline_run_free(&R->new_run);
    baseline_run_free(&R->old_run);
    config_free(&R->cfg);
    free(R->targets);
    free(R->tidx);
    free(R->order);
    free(R->all);
    free(R->flags);
    free(R->not_run_cases);
    free(R->idx);
    case_catalogue_free(&R->cat);
    preflight_dirs_free(&R->made);
}

/* Everything that can be checked before anything is sent, in this order: the options
 * and targets (usage errors), the baseline, the catalogue, TLS files, the machine,
 * the report directory (created last: a usage error leaves nothing behind). */
static int run_prepare(struct run *R)
{
    struct run_args *a = &R->a;
    int rc = run_apply_config(R);
    rc = rc ? rc : run_check_targets(R);
    rc = rc ? rc : run_load_baseline(R);
    rc = rc ? rc : run_load_cases(R);
    rc = rc ? rc : run_tls(R);
    rc = rc ? rc : run_check_machine(R);
    rc = rc ? rc : run_check_report_dir(R);
    if (rc)
        return rc;
    R->n_user_headers = a->n_headers;
    for (size_t i = 0; i < a->n_headers; i++) {
        R->header_word[i] = a->headers[i];
        if (is_credential(a->headers[i])) {
            redact_header(a->headers[i], R->redacted[i], sizeof R->redacted[i]);
            R->header_word[i] = R->redacted[i];
        }
    }
    if (!preflight_has_header(a->headers, a->n_headers, "User-Agent"))
        a->headers[a->n_headers++] = "User-Agent: wsspec/" WSSPEC_VERSION;
    if (!a->seed_given)
        a->seed = random_seed();
    return 0;
}

int run_main(int argc, char **argv)
{
    struct run R = {0};
    R.argc = argc;
    R.argv = argv;
    run_stop = 0;
    run_expired = 0;
    int rc = run_args_parse(argc, argv, &R.a);
    if (rc)
        return rc;
    if (R.a.help) {
        cli_doc_help(stdout, &run_doc);
        return 0;
    }
    rc = run_prepare(&R);
    if (rc) {
        preflight_dirs_undo(&R.made);
        run_free(&R);
        return rc;
    }
    /* The tester runs one large case after another (section 9 sends and receives up to
     * 16 MiB). Keeping freed blocks in the heap instead of returning them to the kernel
     * lets the next case reuse warm pages rather than fault in fresh ones, which
     * dominated the time of those cases. Peak memory is unchanged: the same bound. */
    mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
    /* CI logs and pipes see each line (a failure block, the summary) when it is written */
    setvbuf(stdout, NULL, _IOLBF, 0);
    R.tty = isatty(STDOUT_FILENO);
    printf("wsspec %s: %zu cases, %zu target(s), -j %u, seed %llu\n", WSSPEC_VERSION, R.n,
           R.a.n_urls, R.a.jobs, (unsigned long long)R.a.seed);
    run_start_clock(&R);
    for (size_t u = 0; u < R.a.n_urls && !run_stop; u++)
        if (run_target(&R, u) != 0) {
            R.stopped = true;
            break;
        }
    struct itimerval off = {0};
    setitimer(ITIMER_REAL, &off, NULL); /* the reports are not cut short */
    if (R.n_rtargets == 0) {
        /* nothing ran: no report, and no empty directory left behind */
        preflight_dirs_undo(&R.made);
        rc = run_stop && !R.stopped ? say("interrupted before any case ran") : 2;
    } else {
        rc = run_report(&R);
    }
    run_free(&R);
    return rc;
}

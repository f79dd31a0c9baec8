/*
 * serve_cmd.c - `wsspec serve`: options, the selection, the agents and their results,
 * the reports and the exit status. The listener and the connections are
 * serve_loop.c's.
 *
 * Decisions (README.md and docs/ci.md say them to users):
 *  - The selection holds only the cases that mean the same with wsspec as the server
 *    (script_case_serves): getCaseCount counts them and case=N numbers them, so a
 *    driver never asks for a case that cannot run; a casetuple naming one of the others
 *    is refused (404, "the selection leaves out"), and the start line says how many
 *    were left out.
 *  - Each agent is one report target (one column of the HTML matrix). Reports of every
 *    agent are written whole on updateReports and when the server ends; as each case
 *    ends only its own per-case JSON file is written (cheap; index.json and the
 *    rendered formats wait for the next full write).
 *  - Exit status as `wsspec run`: 0 every result passed, 1 a case failed (or, with
 *    --timeout, an agent had not run every case by then; or no client ran any case),
 *    2 wsspec's own trouble (bind failure, an unwritable report directory, ...) or an
 *    interrupt.
 */
#define _GNU_SOURCE
#include "serve_cmd.h"

#include "baseline.h"
#include "case_lint.h"
#include "report_json.h"
#include "report_render.h"
#include "script.h"
#include "serve_int.h"

#include "echo/cli_doc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef WSSPEC_VERSION
#define WSSPEC_VERSION "0.1.0"
#endif

static volatile sig_atomic_t serve_stop;
static volatile sig_atomic_t serve_signal;

static void on_signal(int sig)
{
    serve_signal = sig;
    serve_stop = 1;
}

/* ------------------------------------------------------------ the option table */

enum serve_group {
#define SERVE_GROUP(name, intro) SERVE_GROUP_##name,
#include "serve_opts.def"
#undef SERVE_GROUP
};

enum serve_opt {
#define SERVE_OPT(name, lng, shrt, arg, max, group, help) SERVE_OPT_##name,
#include "serve_opts.def"
#undef SERVE_OPT
    SERVE_OPT_COUNT
};

/* The rows as cli_doc prints them (--help and wsspec-serve(1)) and the parser reads
 * them. */
static const struct cli_opt serve_opt_rows[SERVE_OPT_COUNT] = {
#define SERVE_OPT(name, lng, shrt, arg, max, group, help)                                          \
    [SERVE_OPT_##name] = {lng, shrt, arg, max, SERVE_GROUP_##group, help},
#include "serve_opts.def"
#undef SERVE_OPT
};

static const char *const serve_group_intro[] = {
#define SERVE_GROUP(name, intro) [SERVE_GROUP_##name] = intro,
#include "serve_opts.def"
#undef SERVE_GROUP
};

/* ------------------------------------------------------------ --help, wsspec-serve(1) */

static const char *const serve_description[] = {
    "Play the server for a WebSocket client under test (Autobahn's fuzzingserver): the "
    "client connects and names what it wants in the request path - /getCaseCount, "
    "/runCase?case=N&agent=A, /getCaseInfo, /getCaseStatus, /updateReports?agent=A, "
    "/stopServer - and every case is judged from the server's side. Only the cases that "
    "mean the same with wsspec as the server are served (`wsspec serve` says how many "
    "others were left out).",
    NULL,
};

static const char *const serve_examples[] = {
    "wsspec serve --listen 127.0.0.1:9001 --once",
    "serve the catalogue until one client has run every case and asked for updateReports",
    "wsspec serve --listen '[::1]:0' --cases '1.*,5.*' --timeout 600",
    "sections 1 and 5 on a free IPv6 loopback port (the first line says which), ten "
    "minutes at most",
    "wsspec serve --listen 127.0.0.1:9443 --tls-cert server.crt --tls-key server.key",
    "serve wss:// (the client trusts server.crt's CA: `wsspec client --cacert ca.crt`)",
    "wsspec serve --config fuzzingserver.json --report-dir reports/clients",
    "Autobahn's fuzzingserver.json as is, reports where Autobahn's would go",
    "wsspec client --fuzzingserver ws://127.0.0.1:9001/",
    "drive it with the reference client (another shell)",
    NULL,
};

const struct cli_doc serve_doc = {
    .name = "serve",
    .synopsis = "[--listen HOST:PORT] [options]",
    .description = serve_description,
    .group_intro = serve_group_intro,
    .n_groups = sizeof serve_group_intro / sizeof serve_group_intro[0],
    .opts = serve_opt_rows,
    .n_opts = SERVE_OPT_COUNT,
    .exit_status = "Exit status: 0 every case a client ran passed (--fail-on regression: no "
                   "regression), 1 a case failed, --timeout came before an agent ran every "
                   "selected case, or no client ran any case, 2 usage error, an address that "
                   "cannot be listened on, a TLS certificate or key that cannot be loaded, case "
                   "files with errors, a config or baseline that "
                   "cannot be read, a report directory that cannot be written, an interrupt, or "
                   "wsspec's own trouble: never the client's fault.",
    .examples = serve_examples,
};

/* ------------------------------------------------------------ parsing */

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("wsspec serve: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("; see 'wsspec serve --help'\n", stderr);
    va_end(ap);
    return 2;
}

__attribute__((format(printf, 1, 2))) static int say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("wsspec serve: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 2;
}

static int set_seconds(double *out, const char *name, const char *v, double max)
{
    char *e;
    errno = 0;
    *out = strtod(v, &e);
    if (!*v || *e || errno || !(*out > 0) || *out > max)
        return usage_error("%s needs a number > 0 and <= %g, not '%s'", name, max, v);
    return 0;
}

static int set_seed(struct serve_args *a, const char *v)
{
    char *e;
    errno = 0;
    unsigned long long n = strtoull(v, &e, 10);
    if (!*v || *e || errno || v[0] == '-')
        return usage_error("--seed needs a non-negative integer, not '%s'", v);
    a->seed = n;
    a->seed_given = true;
    return 0;
}

static int set_verdict(struct serve_args *a, const char *v)
{
    const enum verdict_mode modes[] = {VERDICT_BOTH, VERDICT_AUTOBAHN, VERDICT_RFC};
    for (size_t i = 0; i < 3; i++)
        if (!strcmp(v, verdict_mode_name(modes[i]))) {
            a->verdict = modes[i];
            return 0;
        }
    return usage_error("--verdict needs both, autobahn or rfc, not '%s'", v);
}

static int set_formats(struct serve_args *a, const char *v)
{
    char err[256];
    if (report_formats_parse(v, &a->formats, err, sizeof err) != 0)
        return usage_error("--format: %s", err);
    return 0;
}

static int serve_opt_set(struct serve_args *a, enum serve_opt o, const char *v)
{
    switch (o) {
    case SERVE_OPT_LISTEN:
        a->listen = v;
        break;
    case SERVE_OPT_TLS_CERT:
        a->tls_cert = v;
        break;
    case SERVE_OPT_TLS_KEY:
        a->tls_key = v;
        break;
    case SERVE_OPT_CASES:
        if (!*v)
            return usage_error("--cases needs at least one id or pattern (leave it out to "
                               "serve every case)");
        a->include = v;
        break;
    case SERVE_OPT_EXCLUDE:
        a->exclude = v;
        break;
    case SERVE_OPT_REPORT_DIR:
        a->report_dir = v;
        break;
    case SERVE_OPT_FORMAT:
        return set_formats(a, v);
    case SERVE_OPT_ONCE:
        a->once = true;
        break;
    case SERVE_OPT_TIMEOUT:
        return set_seconds(&a->timeout, "--timeout", v, 366 * 86400.0);
    case SERVE_OPT_TIMEOUT_SCALE:
        a->scale_given = true;
        return set_seconds(&a->scale, "--timeout-scale", v, 1000);
    case SERVE_OPT_CONFIG:
        a->config = v;
        break;
    case SERVE_OPT_STRICT:
        a->strict = true;
        break;
    case SERVE_OPT_VERDICT:
        return set_verdict(a, v);
    case SERVE_OPT_SEED:
        return set_seed(a, v);
    case SERVE_OPT_CASES_DIR:
        a->dirs[a->n_dirs++] = v;
        break;
    case SERVE_OPT_BASELINE:
        a->baseline = v;
        break;
    case SERVE_OPT_FAIL_ON:
        if (strcmp(v, "any") != 0 && strcmp(v, "regression") != 0)
            return usage_error("--fail-on takes 'any' or 'regression', not '%s'", v);
        a->fail_on_regression = !strcmp(v, "regression");
        break;
    case SERVE_OPT_QUIET:
        a->quiet = true;
        break;
    case SERVE_OPT_HELP:
        a->help = true;
        break;
    case SERVE_OPT_COUNT:
        break;
    }
    return 0;
}

static enum serve_opt serve_opt_find(const char *s)
{
    for (int i = 0; i < SERVE_OPT_COUNT; i++) {
        const struct cli_opt *o = &serve_opt_rows[i];
        if ((s[1] == '-' && !strcmp(s + 2, o->lng)) || (o->shrt && s[1] == o->shrt && !s[2]))
            return (enum serve_opt)i;
    }
    return SERVE_OPT_COUNT;
}

static int serve_args_parse(int argc, char **argv, struct serve_args *a)
{
    unsigned seen[SERVE_OPT_COUNT] = {0};
    *a = (struct serve_args){.scale = 1.0, .formats = REPORT_ALL};
    for (int i = 1; i < argc && !a->help; i++) {
        const char *s = argv[i], *v = NULL;
        if (s[0] != '-')
            return usage_error("unexpected argument '%s' (the address is --listen HOST:PORT)", s);
        enum serve_opt o = serve_opt_find(s);
        if (o == SERVE_OPT_COUNT)
            return usage_error("unknown option '%s'", s);
        const struct cli_opt *row = &serve_opt_rows[o];
        if (row->arg && i + 1 == argc)
            return usage_error("option %s needs a value (%s)", s, row->arg);
        if (row->arg)
            v = argv[++i];
        if (++seen[o] > row->max)
            return row->max == 1 ? usage_error("option %s given more than once", s)
                                 : usage_error("option %s given more than %u times", s, row->max);
        int rc = serve_opt_set(a, o, v);
        if (rc)
            return rc;
    }
    if (!a->help && a->tls_key && !a->tls_cert)
        return usage_error("--tls-key needs --tls-cert (the certificate it belongs to)");
    return 0;
}

/* ------------------------------------------------------------ preparing */

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
    return v & 0xFFFFFFFFFFFFull;
}

/* --config's fuzzingserver.json fills in what the command line left open. */
static int apply_config(struct serve *S)
{
    struct serve_args *a = &S->a;
    static char listen[CONFIG_MAX_HOST + 16];
    if (a->config) {
        char err[640];
        if (config_load_as(CONFIG_FUZZINGSERVER, a->config, &S->cfg, err, sizeof err) != 0)
            return say("--config %s", err);
        if (S->cfg.warning[0])
            say("warning: %s: %s", a->config, S->cfg.warning);
        const struct config_listen *l = &S->cfg.listen;
        if (l->tls && !a->tls_cert) {
            /* wss://: its cert and key (config.c has both), as the file names them:
             * relative to the current directory, as Autobahn opens them */
            static char cert_opt[300], key_opt[300];
            snprintf(cert_opt, sizeof cert_opt, "--config %.200s: \"cert\"", a->config);
            snprintf(key_opt, sizeof key_opt, "--config %.200s: \"key\"", a->config);
            a->tls_cert = l->cert;
            a->tls_key = l->key;
            a->cert_opt = cert_opt;
            a->key_opt = key_opt;
        }
        if (!a->listen) {
            snprintf(listen, sizeof listen, strchr(l->host, ':') ? "[%s]:%u" : "%s:%u", l->host,
                     l->port);
            a->listen = listen;
        }
        a->include = a->include ? a->include : S->cfg.cases;
        a->exclude = a->exclude ? a->exclude : S->cfg.exclude;
        a->report_dir = a->report_dir ? a->report_dir : S->cfg.outdir;
        if (!a->scale_given)
            a->scale = l->timeout_scale;
        S->protocols = (const char *const *)l->protocols;
        S->n_protocols = l->n_protocols;
    }
    a->listen = a->listen ? a->listen : "127.0.0.1:9001";
    if (a->tls_cert && !a->cert_opt) {
        a->cert_opt = "--tls-cert";
        a->key_opt = a->tls_key ? "--tls-key" : "--tls-cert (no --tls-key given)";
    }
    a->report_dir = a->report_dir ? a->report_dir : CONFIG_SERVER_OUTDIR;
    return 0;
}

static void diag_print(void *ud, const char *msg)
{
    (void)ud;
    fprintf(stderr, "%s\n", msg);
}

/* The catalogue, the selection, and from it the cases that serve. */
static int load_cases(struct serve *S)
{
    const char *home = case_default_dir_or_say("serve");
    if (!home)
        return 2;
    size_t errors = case_parse_dir(&S->cat, home, diag_print, NULL);
    for (size_t i = 0; i < S->a.n_dirs; i++)
        errors += case_parse_dir(&S->cat, S->a.dirs[i], diag_print, NULL);
    if (errors)
        return say("%zu error(s) in case files; 'wsspec lint' shows them all", errors);
    S->idx = calloc(S->cat.n_cases ? S->cat.n_cases : 1, sizeof *S->idx);
    if (!S->idx)
        return say("out of memory");
    size_t n = case_select(&S->cat, S->a.include, S->a.exclude, S->idx);
    for (size_t i = 0; i < n; i++)
        if (script_case_serves(&S->cat.cases[S->idx[i]], NULL))
            S->idx[S->n++] = S->idx[i];
    S->n_left_out = n - S->n;
    if (S->n == 0)
        return say("no case to serve matches --cases '%s'%s%s", S->a.include ? S->a.include : "*",
                   S->a.exclude ? " minus --exclude " : "", S->a.exclude ? S->a.exclude : "");
    return 0;
}

static int prepare(struct serve *S)
{
    char err[4400];
    int rc = apply_config(S);
    if (rc)
        return rc;
    /* the certificate and key before anything else: a bad file is exit 2 at once */
    if (S->a.tls_cert &&
        !(S->tls = transport_tls_server_new(S->a.cert_opt, S->a.tls_cert, S->a.key_opt,
                                            S->a.tls_key, err, sizeof err)))
        return say("%s", err);
    if (S->a.baseline && baseline_load(S->a.baseline, &S->old_run, err, sizeof err) != 0)
        return say("--baseline %s", err);
    if ((rc = load_cases(S)) != 0)
        return rc;
    S->loop.ep = -1;
    if (loop_init(&S->loop, err, sizeof err) != 0)
        return say("cannot wait for network events on this machine: %s", err);
    S->loop_ready = true;
    S->bufs.rbuf = malloc(SESSION_READ_BUF);
    S->bufs.wbuf = malloc(SESSION_WRITE_BUF);
    S->data = calloc(1, sizeof *S->data);
    S->conns = calloc(SERVE_MAX_CONNS, sizeof *S->conns);
    if (!S->bufs.rbuf || !S->bufs.wbuf || !S->data || !S->conns)
        return say("out of memory");
    for (size_t i = 0; i < SERVE_MAX_CONNS; i++)
        transport_init(&S->conns[i].io, -1);
    if (preflight_report_dir(S->a.report_dir, &S->made, err, sizeof err) != 0)
        return say("%s", err);
    if (serve_listen(S) != 0)
        return say("%s", S->trouble);
    if (!S->a.seed_given)
        S->a.seed = random_seed();
    S->t_end = S->a.timeout > 0 ? loop_now() + S->a.timeout : 0;
    S->once_agent = SIZE_MAX;
    return 0;
}

/* ------------------------------------------------------------ agents and results */

int serve_agent_find(struct serve *S, const char *name, char *why, size_t cap)
{
    char stem[256], other[256];
    for (size_t i = 0; i < S->n_agents; i++)
        if (!strcmp(S->agents[i].name, name))
            return (int)i;
    report_json_case_filename(name, "", stem, sizeof stem);
    for (size_t i = 0; i < S->n_agents; i++) {
        report_json_case_filename(S->agents[i].name, "", other, sizeof other);
        if (!strcmp(stem, other)) {
            snprintf(why, cap, "agent name clashes with agent '%.100s' in report file names",
                     S->agents[i].name);
            return -1;
        }
    }
    if (S->n_agents == SERVE_MAX_AGENTS) {
        snprintf(why, cap, "wsspec serve keeps at most %d agents", SERVE_MAX_AGENTS);
        return -1;
    }
    struct serve_agent *g = &S->agents[S->n_agents];
    g->res = calloc(S->n, sizeof *g->res);
    g->have = calloc(S->n, sizeof *g->have);
    g->excluded = calloc(S->n, sizeof *g->excluded);
    if (!g->res || !g->have || !g->excluded) {
        free(g->res);
        free(g->have);
        free(g->excluded);
        *g = (struct serve_agent){0};
        snprintf(why, cap, "wsspec is out of memory");
        return -1;
    }
    snprintf(g->name, sizeof g->name, "%s", name);
    for (size_t k = 0; k < S->n; k++) {
        g->excluded[k] = config_agent_excludes(&S->cfg, name, S->cat.cases[S->idx[k]].id);
        g->n_todo += !g->excluded[k];
    }
    if (!S->a.quiet)
        printf("agent \"%s\": %zu cases to run\n", name, g->n_todo);
    return (int)S->n_agents++;
}

void serve_script_config(const struct serve *S, size_t agent, size_t pos, struct case_result *r,
                         struct script_config *cfg, double now)
{
    (void)now;
    const struct case_def *def = &S->cat.cases[S->idx[pos]];
    memset(cfg, 0, sizeof *cfg);
    cfg->def = def;
    cfg->r = r;
    cfg->role = SCRIPT_SERVER;
    cfg->run_seed = S->a.seed;
    cfg->timeout_scale = S->a.scale;
    cfg->agent = S->agents[agent].name;
    cfg->wall0 = loop_wall();
    cfg->protocols = S->protocols;
    cfg->n_protocols = S->n_protocols;
    cfg->data = S->data;
    script_server_pmd_prefs(def, &cfg->pmd);
}

/* The 1-based "case" number of a result: its rank among the agent's results. */
static size_t case_number(const struct serve_agent *g, size_t pos)
{
    size_t k = 1;
    for (size_t i = 0; i < pos; i++)
        k += g->have[i];
    return k;
}

static void print_failure(const struct serve *S, const struct case_result *r)
{
    const struct case_def *d = r->def;
    printf("FAIL %s  %s  (agent \"%s\")\n", d->id, d->title, r->agent);
    printf("  expected     %s\n", d->expectation);
    printf("  Autobahn     behavior %s (%s); close %s (%s)\n", behavior_name(r->behavior),
           r->result, behavior_close_name(r->behavior_close), r->result_close);
    printf("  RFC 6455     behavior %s; close %s\n", behavior_name(r->rfc.behavior),
           behavior_close_name(r->rfc.behavior_close));
    if (r->broken[0])
        printf("  broken       %s\n", r->broken);
    if (r->observed[0])
        printf("  observed     %s\n", r->observed);
    if (r->connect_error[0])
        printf("  connection   %s\n", r->connect_error);
    /* the same bytes again: this seed, and the client asking for this case alone */
    printf("  replay       wsspec serve --cases %s --seed %llu, then the client's "
           "/runCase?casetuple=%s&agent=...\n\n",
           d->id, (unsigned long long)S->a.seed, d->id);
}

void serve_case_done(struct serve *S, size_t agent, size_t pos, struct case_result *r)
{
    struct serve_agent *g = &S->agents[agent];
    if (g->have[pos])
        result_free(&g->res[pos]);
    else
        g->n_have++;
    g->res[pos] = *r;
    g->have[pos] = true;
    memset(r, 0, sizeof *r);
    S->dirty = true;
    const struct case_result *kept = &g->res[pos];
    bool ok = judge_passed(kept, S->a.strict, S->a.verdict);
    if (!ok)
        print_failure(S, kept);
    else if (!S->a.quiet)
        printf("%-8s %-14s %s\n", kept->def->id, behavior_name(kept->behavior), g->name);
    char err[600];
    if (report_json_write_case(S->a.report_dir, kept, case_number(g, pos), err, sizeof err) != 0 &&
        !S->trouble[0]) {
        snprintf(S->trouble, sizeof S->trouble, "cannot write reports: %.500s", err);
        S->reports_failed = true;
    }
    if (g->n_have >= g->n_todo && !g->done_at) {
        g->done_at = loop_now();
        if (S->once_agent == SIZE_MAX)
            S->once_agent = agent;
    }
}

/* ------------------------------------------------------------ reports */

/* Every agent's results in selection order (shallow copies, for report_json_write). */
static struct case_result *collect(const struct serve *S, size_t *n)
{
    size_t total = 0;
    for (size_t a = 0; a < S->n_agents; a++)
        total += S->agents[a].n_have;
    struct case_result *all = calloc(total ? total : 1, sizeof *all);
    if (!all)
        return NULL;
    size_t m = 0;
    for (size_t a = 0; a < S->n_agents; a++)
        for (size_t k = 0; k < S->n; k++)
            if (S->agents[a].have[k])
                all[m++] = S->agents[a].res[k];
    *n = m;
    return all;
}

/* --baseline: compare the report just written; returns the regressions, or -1. */
static long compare_baseline(struct serve *S)
{
    struct baseline_run now = {0};
    struct baseline_diff d = {0};
    char err[640] = "";
    long regressions = -1;
    const char *fail_on = S->a.fail_on_regression ? "regression" : "any";
    if (baseline_load(S->a.report_dir, &now, err, sizeof err) == 0 &&
        baseline_compare(&S->old_run, &now, &d) == 0 &&
        baseline_write(S->a.report_dir, S->a.baseline, &S->old_run, &now, &d, fail_on, err,
                       sizeof err) == 0) {
        baseline_print(stdout, &d, S->a.baseline, S->n_agents > 1);
        regressions = (long)d.count[BASELINE_REGRESSION];
    } else {
        say("baseline comparison: %s", err[0] ? err : "out of memory");
    }
    baseline_diff_free(&d);
    baseline_run_free(&now);
    return regressions;
}

static int write_all(struct serve *S, const struct case_result *all, size_t n)
{
    struct report_target targets[SERVE_MAX_AGENTS];
    for (size_t a = 0; a < S->n_agents; a++) {
        targets[a] = (struct report_target){.url = S->url};
        snprintf(targets[a].agent, sizeof targets[a].agent, "%s", S->agents[a].name);
    }
    struct report_run meta = {.version = WSSPEC_VERSION,
                              .seed = S->a.seed,
                              .started = S->wall0,
                              .wall_ms = (loop_wall() - S->wall0) * 1000,
                              .argc = S->argc,
                              .argv = S->argv,
                              .strict = S->a.strict,
                              .verdict = S->a.verdict,
                              .timeout_scale = S->a.scale,
                              .jobs = 1,
                              .cases = S->a.include,
                              .exclude = S->a.exclude,
                              .targets = targets,
                              .n_targets = S->n_agents,
                              .sections = S->cat.sections,
                              .n_sections = S->cat.n_sections};
    struct report_prior prior;
    char err[4400];
    if (report_prior_load(S->a.report_dir, &prior) != 0) {
        snprintf(S->trouble, sizeof S->trouble, "out of memory");
        return -1;
    }
    int rc = 0;
    FILE *out = stdout;
    /* the last write of a run with --baseline compares before rendering, as wsspec run
     * does: summary.md and junit.xml show DIR/baseline.json */
    bool json_ok = report_json_write(S->a.report_dir, all, n, &meta, err, sizeof err) == 0;
    bool compared = false;
    if (json_ok && S->compare_now) {
        S->regressions = compare_baseline(S);
        compared = S->regressions >= 0;
    }
    if (!json_ok ||
        report_prune(S->a.report_dir, &prior, S->a.formats, compared, out, err, sizeof err) != 0 ||
        report_render_print(S->a.report_dir, S->a.formats, out, err, sizeof err) != 0) {
        snprintf(S->trouble, sizeof S->trouble, "cannot write reports: %.500s", err);
        S->reports_failed = true;
        rc = -1;
    }
    report_prior_free(&prior);
    return rc;
}

int serve_write_reports(struct serve *S)
{
    size_t n = 0;
    struct case_result *all = collect(S, &n);
    if (!all) {
        snprintf(S->trouble, sizeof S->trouble, "out of memory");
        return -1;
    }
    int rc = write_all(S, all, n);
    free(all);
    if (rc == 0) {
        S->dirty = false;
        S->written = true;
    }
    return rc;
}

/* --timeout: every case an agent has not run, or had not finished, is FAILED, saying
 * which in both verdicts. */
static bool mark_timed_out(struct serve *S, struct serve_agent *g, size_t pos, const char *why)
{
    struct case_result *r = &g->res[pos];
    if (g->have[pos])
        return false; /* a run of it ended before: that verdict stands */
    memset(r, 0, sizeof *r);
    r->def = &S->cat.cases[S->idx[pos]];
    snprintf(r->agent, sizeof r->agent, "%s", g->name);
    r->seed = S->a.seed;
    r->started = loop_wall();
    r->local_close_code = r->remote_close_code = -1;
    r->is_server = true;
    r->behavior = r->rfc.behavior = B_FAILED;
    r->behavior_close = r->rfc.behavior_close = BC_FAILED;
    snprintf(r->result, sizeof r->result, "%s", why);
    snprintf(r->result_close, sizeof r->result_close, "%s", why);
    snprintf(r->rfc.result, sizeof r->rfc.result, "%s", why);
    snprintf(r->rfc.result_close, sizeof r->rfc.result_close, "%s", why);
    snprintf(r->broken, sizeof r->broken, "--timeout %g s", S->a.timeout);
    snprintf(r->rfc.broken, sizeof r->rfc.broken, "--timeout %g s", S->a.timeout);
    g->have[pos] = true;
    g->n_have++;
    S->dirty = true;
    return true;
}

static size_t mark_timeouts(struct serve *S)
{
    size_t m = 0;
    char why[160];
    snprintf(why, sizeof why, "not run before --timeout (%g s)", S->a.timeout);
    for (size_t a = 0; a < S->n_agents; a++)
        for (size_t k = 0; k < S->n; k++)
            if (!S->agents[a].have[k] && !S->agents[a].excluded[k]) {
                mark_timed_out(S, &S->agents[a], k, why);
                m++;
            }
    return m;
}

void serve_case_cut(struct serve *S, size_t agent, size_t pos)
{
    char why[160];
    snprintf(why, sizeof why, "the client did not finish it within --timeout (%g s)", S->a.timeout);
    if (mark_timed_out(S, &S->agents[agent], pos, why))
        S->n_cut++;
}

static void count(struct serve *S)
{
    S->passed = S->failed = 0;
    for (size_t a = 0; a < S->n_agents; a++)
        for (size_t k = 0; k < S->n; k++)
            if (S->agents[a].have[k]) {
                bool ok = judge_passed(&S->agents[a].res[k], S->a.strict, S->a.verdict);
                S->passed += ok;
                S->failed += !ok;
            }
}

/* The end: cases never run (--timeout), the last full report, the summary, the exit
 * status. */
static int finish(struct serve *S, int loop_rc)
{
    size_t not_run = S->timed_out ? mark_timeouts(S) : 0;
    if (S->timed_out)
        say("--timeout %g s reached: %zu case(s) not run, %zu cut short, reported FAILED",
            S->a.timeout, not_run, S->n_cut);
    int wrc = S->reports_failed ? -1 : 0;
    /* --baseline: compared in the last write, after an end that is not an interrupt or
     * our own trouble */
    S->compare_now = S->a.baseline && S->n_agents && loop_rc == 0 && !serve_stop;
    S->regressions = 0;
    if (wrc == 0 && (S->compare_now || S->dirty || (S->n_agents && !S->written)))
        wrc = serve_write_reports(S);
    count(S);
    printf("%zu passed, %zu failed (%zu cases, %zu agent(s), seed %llu)\n", S->passed, S->failed,
           S->passed + S->failed, S->n_agents, (unsigned long long)S->a.seed);
    if (loop_rc != 0 || wrc != 0)
        return say("%s", S->trouble[0] ? S->trouble : "stopped by its own trouble");
    if (serve_stop)
        return say("interrupted by %s", serve_signal == SIGTERM ? "SIGTERM" : "SIGINT");
    long regressions = S->compare_now ? S->regressions : 0;
    if (regressions < 0)
        return 2;
    if (S->n_agents == 0 || S->passed + S->failed == 0) {
        say("no client ran any case");
        return 1;
    }
    if (S->a.fail_on_regression && S->a.baseline)
        return regressions ? 1 : 0;
    return S->failed ? 1 : 0;
}

static void serve_free(struct serve *S)
{
    serve_loop_free(S);
    for (size_t a = 0; a < S->n_agents; a++) {
        for (size_t k = 0; k < S->n; k++)
            if (S->agents[a].have[k])
                result_free(&S->agents[a].res[k]);
        free(S->agents[a].res);
        free(S->agents[a].have);
        free(S->agents[a].excluded);
    }
    if (S->loop_ready)
        loop_free(&S->loop);
    free(S->bufs.rbuf);
    free(S->bufs.wbuf);
    if (S->data)
        datastore_free(S->data);
    free(S->data);
    free(S->conns);
    free(S->idx);
    baseline_run_free(&S->old_run);
    transport_tls_free(S->tls);
    config_free(&S->cfg);
    case_catalogue_free(&S->cat);
    preflight_dirs_free(&S->made);
}

static void start_signals(void)
{
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: the wait returns */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int serve_main(int argc, char **argv)
{
    static struct serve S; /* large (the connections' head buffers are in conns) */
    memset(&S, 0, sizeof S);
    S.argc = argc;
    S.argv = argv;
    S.lfd = -1;
    serve_stop = serve_signal = 0;
    int rc = serve_args_parse(argc, argv, &S.a);
    if (rc)
        return rc;
    if (S.a.help) {
        cli_doc_help(stdout, &serve_doc);
        return 0;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    rc = prepare(&S);
    if (rc) {
        preflight_dirs_undo(&S.made);
        serve_free(&S);
        return rc;
    }
    /* the first line: tests and scripts read the address from it */
    printf("wsspec serve: listening on %s\n", S.url);
    printf("wsspec %s: %zu cases to serve (%zu selected cases need wsspec as the client and "
           "are left out), seed %llu, reports in %s\n",
           WSSPEC_VERSION, S.n, S.n_left_out, (unsigned long long)S.a.seed, S.a.report_dir);
    start_signals();
    S.wall0 = loop_wall();
    int lrc = serve_loop_run(&S, &serve_stop);
    serve_loop_free(&S);
    rc = finish(&S, lrc);
    serve_free(&S);
    return rc;
}

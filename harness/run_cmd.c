/*
 * run_cmd.c - `wsspec run URL...`: load the catalogue, select cases, probe each target,
 * run the tester, print a block for every failing case (h2spec style: the requirement,
 * expected next to actual, the command that replays just that case), write the
 * reports, and exit 0 (all passed), 1 (a case failed) or 2 (usage, unreachable
 * target, broken case files, interrupted).
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef WSSPEC_VERSION
#define WSSPEC_VERSION "0.1.0"
#endif

/* Bounds on repeatable options: far beyond real use, and they keep arrays fixed. */
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

static const char run_usage[] =
    "usage: wsspec run URL [URL...] [options]\n"
    "\n"
    "Run the conformance catalogue against WebSocket servers and judge every case.\n"
    "\n"
    "  URL                    ws://host[:port][/path][?query]; IPv6 as ws://[::1]:9001/;\n"
    "                         wss://... for TLS (default port 443)\n"
    "  --cases PATTERNS       only these cases: comma list of ids or patterns, '*' as\n"
    "                         wildcard anchored at the start (1.*,6.4.*,7.7.1)\n"
    "  --exclude PATTERNS     leave these out (same syntax)\n"
    "  -j, --jobs N           cases at once, each on its own connection (default: CPU\n"
    "                         cores, at least 4 - cases mostly wait on the network;\n"
    "                         -j 1 runs them one after another in id order). Verdicts\n"
    "                         do not depend on N\n"
    "  --report-dir DIR       where reports go (default: wsspec-report)\n"
    "  --format LIST          reports to write: json,html,junit,md (default: all). JSON\n"
    "                         is always written: the other formats are rendered from it\n"
    "                         (and `wsspec report DIR` renders them again later)\n"
    "  --timeout-scale X      stretch every timer by X for slow targets (default 1)\n"
    "  -H, --header 'N: V'    extra header in the opening handshake (repeatable)\n"
    "  --origin ORIGIN        Origin header\n"
    "  --subprotocol P        offer subprotocol P (repeatable)\n"
    "  --strict               NON-STRICT verdicts fail the run too\n"
    "  --seed N               masks, keys and chops from seed N (printed every run;\n"
    "                         the same seed replays the same bytes)\n"
    "  --cases-dir DIR        add the *.wsc case files of DIR (repeatable)\n"
    "  --agent NAME           name of the target in reports (default: its Server header,\n"
    "                         else host:port)\n"
    "  -q, --quiet            only the summary and failing cases\n"
    "  --config FILE          Autobahn's fuzzingclient.json as is: servers (url, agent,\n"
    "                         origin, protocols, options), cases, exclude-cases,\n"
    "                         exclude-agent-cases, outdir (docs/ci.md). Options on\n"
    "                         the command line win over the file\n"
    "  --baseline OLD         compare with an earlier run (OLD/wsspec.json or its\n"
    "                         directory): print and record (DIR/baseline.json) the\n"
    "                         regressions, fixes and other changes\n"
    "  --fail-on any|regression  what makes the exit status 1: any failing case\n"
    "                         (default), or only regressions against --baseline\n"
    "\n"
    "TLS (wss://): the server's certificate is verified against the system's CAs, and\n"
    "its names against the URL's host (sent as SNI, unless an IP address); a failure\n"
    "ends the run before any case, exit 2, with OpenSSL's reason.\n"
    "  --cacert FILE          trust the CAs in this PEM file instead of the system's\n"
    "  --insecure             do not verify the server's certificate at all (warns)\n"
    "  --cert FILE            client certificate (PEM, then its chain), sent when the\n"
    "                         server asks for one\n"
    "  --key FILE             its private key (PEM, not encrypted; default: in --cert)\n"
    "\n"
    "Exit status: 0 every selected case passed (--fail-on regression: no regression),\n"
    "1 a case failed (a regression), 2 usage error, a target that cannot be reached,\n"
    "case files with errors, a config or baseline that cannot be read, or an\n"
    "interrupted run.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "wsspec run: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'wsspec run --help'.\n");
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
               d->rfc[i].level == RFC_MUST ? "MUST" : d->rfc[i].level == RFC_SHOULD ? "SHOULD" : "MAY",
               d->rfc[i].sentence);
    printf("  expected     %s\n", d->expectation);
    printf("  actual       behavior %s (%s); close %s (%s)\n", behavior_name(r->behavior),
           r->result, behavior_close_name(r->behavior_close), r->result_close);
    if (r->broken[0])
        printf("  broken       %s\n", r->broken);
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
    bool ok = judge_passed(r, st->strict);
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

int run_main(int argc, char **argv)
{
    const char *urls[RUN_MAX_TARGETS], *headers[RUN_MAX_HEADERS + 1],
        *protocols[RUN_MAX_PROTOCOLS], *dirs[RUN_MAX_CASE_DIRS];
    size_t n_urls = 0, n_headers = 0, n_protocols = 0, n_dirs = 0;
    const char *include = NULL, *exclude = NULL, *report_dir = NULL, *origin = NULL,
               *agent_opt = NULL, *config_path = NULL, *baseline_path = NULL;
    bool fail_on_regression = false, scale_given = false;
    unsigned jobs = default_jobs();
    double scale = 1.0;
    bool strict = false, quiet = false, seed_given = false;
    struct transport_tls_options tls_opt = {0};
    struct transport_tls *tls = NULL; /* made when a TLS option is given or a wss:// target */
    unsigned formats = REPORT_ALL;
    uint64_t seed = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE()                                                                               \
    do {                                                                                           \
        if (!v)                                                                                    \
            return usage_error("option %s needs a value", a);                                      \
        i++;                                                                                       \
    } while (0)
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(run_usage, stdout);
            return 0;
        } else if (!strcmp(a, "--cases")) {
            NEED_VALUE();
            include = v;
        } else if (!strcmp(a, "--exclude")) {
            NEED_VALUE();
            exclude = v;
        } else if (!strcmp(a, "-j") || !strcmp(a, "--jobs")) {
            NEED_VALUE();
            uint64_t n;
            if (!parse_u64(v, &n) || n < 1 || n > 1024)
                return usage_error("-j needs a number from 1 to 1024, not '%s'", v);
            jobs = (unsigned)n;
        } else if (!strcmp(a, "--report-dir")) {
            NEED_VALUE();
            report_dir = v;
        } else if (!strcmp(a, "--timeout-scale")) {
            NEED_VALUE();
            char *e;
            errno = 0;
            scale = strtod(v, &e);
            if (!*v || *e || errno || !(scale > 0) || scale > 1000)
                return usage_error("--timeout-scale needs a number > 0 and <= 1000, not '%s'", v);
            scale_given = true;
        } else if (!strcmp(a, "-H") || !strcmp(a, "--header")) {
            NEED_VALUE();
            if (n_headers == RUN_MAX_HEADERS)
                return usage_error("too many headers (at most %s)", "32");
            if (!strchr(v, ':') || strpbrk(v, "\r\n"))
                return usage_error("header must look like 'Name: value', not '%s'", v);
            headers[n_headers++] = v;
        } else if (!strcmp(a, "--origin")) {
            NEED_VALUE();
            origin = v;
        } else if (!strcmp(a, "--subprotocol")) {
            NEED_VALUE();
            if (n_protocols == RUN_MAX_PROTOCOLS)
                return usage_error("too many subprotocols (at most %s)", "16");
            protocols[n_protocols++] = v;
        } else if (!strcmp(a, "--strict")) {
            strict = true;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = true;
        } else if (!strcmp(a, "--seed")) {
            NEED_VALUE();
            if (!parse_u64(v, &seed))
                return usage_error("--seed needs a non-negative integer, not '%s'", v);
            seed_given = true;
        } else if (!strcmp(a, "--cases-dir")) {
            NEED_VALUE();
            if (n_dirs == RUN_MAX_CASE_DIRS)
                return usage_error("too many --cases-dir (at most %s)", "16");
            dirs[n_dirs++] = v;
        } else if (!strcmp(a, "--agent")) {
            NEED_VALUE();
            agent_opt = v;
        } else if (!strcmp(a, "--config")) {
            NEED_VALUE();
            config_path = v;
        } else if (!strcmp(a, "--baseline")) {
            NEED_VALUE();
            baseline_path = v;
        } else if (!strcmp(a, "--fail-on")) {
            NEED_VALUE();
            if (strcmp(v, "any") != 0 && strcmp(v, "regression") != 0)
                return usage_error("--fail-on takes 'any' or 'regression', not '%s'", v);
            fail_on_regression = !strcmp(v, "regression");
        } else if (!strcmp(a, "--format")) {
            NEED_VALUE();
            char ferr[256];
            if (report_formats_parse(v, &formats, ferr, sizeof ferr) != 0)
                return usage_error("--format: %s", ferr);
        } else if (!strcmp(a, "--cacert")) {
            NEED_VALUE();
            tls_opt.cacert = v;
        } else if (!strcmp(a, "--cert")) {
            NEED_VALUE();
            tls_opt.cert = v;
        } else if (!strcmp(a, "--key")) {
            NEED_VALUE();
            tls_opt.key = v;
        } else if (!strcmp(a, "--insecure")) {
            tls_opt.insecure = true;
        } else if (a[0] == '-') {
            return usage_error("unknown option '%s'", a);
        } else {
            if (n_urls == RUN_MAX_TARGETS)
                return usage_error("too many targets (at most %s)", "16");
            urls[n_urls++] = a;
        }
#undef NEED_VALUE
    }
    /* --config: the file fills in what the command line left open */
    struct run_config cfg = {0};
    bool from_config = false;
    if (config_path) {
        char cerr[640];
        if (config_load(config_path, &cfg, cerr, sizeof cerr) != 0) {
            fprintf(stderr, "wsspec run: --config %s\n", cerr);
            return 2;
        }
        if (cfg.warning[0])
            fprintf(stderr, "wsspec run: warning: %s: %s\n", config_path, cfg.warning);
        if (n_urls == 0) {
            for (size_t i = 0; i < cfg.n_servers; i++)
                urls[n_urls++] = cfg.servers[i].url;
            from_config = true;
        }
        include = include ? include : cfg.cases;
        exclude = exclude ? exclude : cfg.exclude;
        report_dir = report_dir ? report_dir : cfg.outdir;
    }
    report_dir = report_dir ? report_dir : "wsspec-report";
    if (n_urls == 0)
        return usage_error("%s", "no target URL given");
    /* --baseline is read before anything runs: a nightly job learns at once that last
     * night's artifact is missing, not after the run */
    struct baseline_run old_run = {0}, new_run = {0};
    struct baseline_diff diff = {0};
    if (baseline_path) {
        char berr[640];
        if (baseline_load(baseline_path, &old_run, berr, sizeof berr) != 0) {
            fprintf(stderr, "wsspec run: --baseline %s\n", berr);
            config_free(&cfg);
            return 2;
        }
    } else if (fail_on_regression) {
        fprintf(stderr, "wsspec run: --fail-on regression without --baseline: every failing "
                        "case counts\n");
    }
    /* The tester runs one large case after another (section 9 sends and receives up to
     * 16 MiB). Keeping freed blocks in the heap instead of returning them to the kernel
     * lets the next case reuse warm pages rather than fault in fresh ones, which
     * dominated the time of those cases. Peak memory is unchanged: the same bound. */
    mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
    if (!seed_given)
        seed = random_seed();
    /* CI logs and pipes see each line (a failure block, the summary) when it is written */
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* the catalogue */
    struct case_catalogue cat = {0};
    size_t errors = case_parse_dir(&cat, case_default_dir(), diag_print, NULL);
    for (size_t i = 0; i < n_dirs; i++)
        errors += case_parse_dir(&cat, dirs[i], diag_print, NULL);
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
    size_t n = idx && tidx ? case_select(&cat, include, exclude, idx) : 0;
    if (n == 0) {
        fprintf(stderr, "wsspec run: no case matches --cases '%s'%s%s\n", include ? include : "*",
                exclude ? " minus --exclude " : "", exclude ? exclude : "");
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

    headers[n_headers++] = "User-Agent: wsspec/" WSSPEC_VERSION;
    bool tty = isatty(STDOUT_FILENO);
    int rc = 0;
    size_t total_failed = 0, total_run = 0;
    struct report_target rtargets[RUN_MAX_TARGETS];
    struct case_result *all = calloc(n * n_urls, sizeof *all);
    size_t *flags = calloc(n * n_urls, sizeof *flags);
    if (!all || !flags) {
        fprintf(stderr, "wsspec run: out of memory\n");
        rc = 2;
        goto out;
    }
    /* TLS files are checked before any target when given: a typo is exit 2 at once */
    if (tls_opt.key && !tls_opt.cert) {
        rc = usage_error("%s", "--key needs --cert");
        goto out;
    }
    if ((tls_opt.cacert || tls_opt.cert || tls_opt.insecure) && !run_tls_setup(&tls_opt, &tls)) {
        rc = 2;
        goto out;
    }
    printf("wsspec %s: %zu cases, %zu target(s), -j %u, seed %llu\n", WSSPEC_VERSION, n, n_urls,
           jobs, (unsigned long long)seed);
    double wall0 = (double)time(NULL);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t u = 0; u < n_urls && !run_stop; u++) {
        struct target t;
        char err[512], agent[128];
        /* the config's settings for this server; the command line's win */
        const struct config_server *cs = from_config ? &cfg.servers[u] : NULL;
        double tscale = !scale_given && cs ? cs->timeout_scale : scale;
        const char *t_origin = !origin && cs ? cs->origin : origin;
        const char *const *t_protocols = protocols;
        size_t t_n_protocols = n_protocols;
        if (!n_protocols && cs) {
            t_protocols = (const char *const *)cs->protocols;
            t_n_protocols = cs->n_protocols;
        }
        if (target_parse(urls[u], &t, err, sizeof err) != 0) {
            fprintf(stderr, "wsspec run: %s\n", err);
            rc = 2;
            goto out;
        }
        if (t.secure && !tls && !run_tls_setup(&tls_opt, &tls)) {
            rc = 2;
            goto out;
        }
        t.tls = tls;
        struct tester_options o = {.jobs = jobs, .timeout_scale = tscale, .seed = seed,
                                   .origin = t_origin, .protocols = t_protocols,
                                   .n_protocols = t_n_protocols, .headers = headers,
                                   .n_headers = n_headers, .on_done = on_case_done,
                                   .stop = &run_stop};
        if (tester_probe(&t, &o, 5.0 * tscale, agent, sizeof agent, err, sizeof err) != 0) {
            fprintf(stderr, "wsspec run: target unreachable: %s\n", err);
            rc = 2;
            goto out;
        }
        if (agent_opt)
            snprintf(agent, sizeof agent, "%s", agent_opt);
        else if (cs && cs->agent)
            snprintf(agent, sizeof agent, "%s", cs->agent);
        else
            unique_agent(agent, sizeof agent, rtargets, u, t.host_header);
        size_t n_t = 0;
        for (size_t k = 0; k < n; k++)
            if (!config_agent_excludes(&cfg, agent, cat.cases[idx[k]].id))
                tidx[n_t++] = idx[k];
        rtargets[u].url = urls[u];
        snprintf(rtargets[u].agent, sizeof rtargets[u].agent, "%s", agent);
        struct run_state st = {.url = urls[u], .seed = seed, .strict = strict, .quiet = quiet,
                               .tty = tty, .total = n_t, .done_flags = flags + u * n,
                               .results = all + u * n};
        o.agent = agent;
        o.ud = &st;
        if (!quiet)
            printf("target %s (agent \"%s\")\n", urls[u], agent);
        if (!quiet && n_t < n)
            printf("  %zu of %zu cases left out by exclude-agent-cases\n", n - n_t, n);
        size_t ran = 0;
        if (tester_run(&t, &cat, tidx, n_t, &o, all + u * n, &ran, err, sizeof err) != 0) {
            if (tty && !quiet)
                printf("\r\033[K");
            fprintf(stderr, "wsspec run: %s\n", err);
            rc = 2;
            goto out;
        }
        if (tty && !quiet)
            printf("\r\033[K");
        total_failed += st.failed;
        total_run += st.done;
    }
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall_ms = (double)(t1.tv_sec - t0.tv_sec) * 1000 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;

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
    struct report_run meta = {.version = WSSPEC_VERSION, .seed = seed, .started = wall0,
                              .wall_ms = wall_ms, .argc = argc + 1, .argv = command,
                              .strict = strict, .timeout_scale = scale, .jobs = jobs,
                              .cases = include, .exclude = exclude,
                              .targets = rtargets, .n_targets = n_urls,
                              .sections = cat.sections, .n_sections = cat.n_sections};
    size_t n_done = 0;
    for (size_t i = 0; i < n * n_urls; i++) {
        if (flags[i])
            all[n_done++] = all[i]; /* compact: move finished results to the front */
        else
            result_free(&all[i]); /* interrupted or never started */
    }
    char rerr[512];
    if (report_json_write(report_dir, all, n_done, &meta, rerr, sizeof rerr) != 0) {
        fprintf(stderr, "wsspec run: cannot write reports: %s\n", rerr);
        rc = 2;
    } else {
        printf("report: json   %s/wsspec.json, %s/index.json and one file per case\n",
               report_dir, report_dir);
        /* before rendering: summary.md and junit.xml show DIR/baseline.json */
        if (!baseline_path)
            baseline_remove(report_dir);
        else if (baseline_record(report_dir, baseline_path, &old_run, &new_run, &diff,
                                 fail_on_regression) != 0)
            rc = 2;
        else
            printf("report: base   %s/baseline.json\n", report_dir);
        if (report_render_print(report_dir, formats, stdout, rerr, sizeof rerr) != 0) {
            fprintf(stderr, "wsspec run: cannot write reports: %s\n", rerr);
            rc = 2;
        }
    }
    free(command);
    for (size_t i = 0; i < n_done; i++)
        result_free(&all[i]);
    bool compared = baseline_path && new_run.n_agents;
    if (compared)
        baseline_print(stdout, &diff, baseline_path, n_urls > 1);
    printf("%zu passed, %zu failed (%zu cases, %.2f s, seed %llu)\n", total_run - total_failed,
           total_failed, total_run, wall_ms / 1000, (unsigned long long)seed);
    if (run_stop) {
        fprintf(stderr, "wsspec run: interrupted; %zu finished cases reported\n", total_run);
        rc = 2;
    } else if (!rc && fail_on_regression && compared) {
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

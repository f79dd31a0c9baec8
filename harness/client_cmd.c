/*
 * client_cmd.c - `wsspec client URL`: connect, hand-shake as a strict RFC 6455 client
 * and echo every message until the server closes (client_conn.c does one connection);
 * `wsspec client --fuzzingserver URL`: drive a fuzzing server through Autobahn's URL
 * protocol (client_url.c), one connection per case, -j of them at once. One poll()
 * loop runs every connection either way.
 *
 * The options are one table, client_opts.def: the parser looks every option up there
 * and counts it against the table's bound; --help and wsspec-client(1) are printed from
 * the same rows (client_doc, rendered by cli_doc.c).
 */
#define _GNU_SOURCE
#include "client_cmd.h"

#include "client_conn.h"
#include "client_url.h"
#include "serve_url.h"

#include "echo/cli_doc.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CLIENT_MAX_JOBS 64
#define CLIENT_MAX_SECONDS 86400.0
#define CLIENT_MAX_MESSAGE_LIMIT (1ull << 30)
#define CLIENT_DEFAULT_AGENT "wsspec-client"
/* Longest request-target built: the URL's own path plus an agent of 127 bytes, each
 * encoded as three. */
#define CLIENT_RESOURCE_MAX (TARGET_URL_MAX + 512)

/* ------------------------------------------------------------ the option table */

enum client_group {
#define CLIENT_GROUP(name, intro) CLIENT_GROUP_##name,
#include "client_opts.def"
#undef CLIENT_GROUP
};

enum client_opt {
#define CLIENT_OPT(name, lng, shrt, arg, max, group, help) CLIENT_OPT_##name,
#include "client_opts.def"
#undef CLIENT_OPT
    CLIENT_OPT_COUNT
};

/* The rows as cli_doc prints them (--help and wsspec-client(1)) and the parser reads
 * them. */
static const struct cli_opt client_opt_rows[CLIENT_OPT_COUNT] = {
#define CLIENT_OPT(name, lng, shrt, arg, max, group, help)                                         \
    [CLIENT_OPT_##name] = {lng, shrt, arg, max, CLIENT_GROUP_##group, help},
#include "client_opts.def"
#undef CLIENT_OPT
};

static const char *const client_group_intro[] = {
#define CLIENT_GROUP(name, intro) [CLIENT_GROUP_##name] = intro,
#include "client_opts.def"
#undef CLIENT_GROUP
};

struct client_args {
    const char *url, *agent;
    bool fuzzingserver, help, verbose;
    unsigned jobs;
    struct client_conn_options conn;
    struct transport_tls_options tls;
};

/* ------------------------------------------------------------ --help, wsspec-client(1) */

static const char *const client_description[] = {
    "The reference client: a strict RFC 6455 echo client, the mirror of wsspec echo. It "
    "connects to URL (ws://host[:port][/path] or wss://...), checks the 101 strictly "
    "(Sec-WebSocket-Accept, Upgrade, Connection; no subprotocol or extension it did not "
    "offer), then sends every text and binary message back as it came (a fragmented "
    "message as one), answers Pings, echoes the server's Close code and waits for the "
    "server to close TCP. A server that breaks a rule gets the rule's Close code (1002, "
    "1007 for invalid UTF-8, 1009 over --max-message-size) and nothing more is echoed. One "
    "line on stdout says how the connection ended.",
    NULL,
};

static const char *const client_examples[] = {
    "wsspec client ws://127.0.0.1:9001/",
    "connect, echo every message until the server closes, print how it ended",
    "wsspec client --fuzzingserver ws://127.0.0.1:9001/ --agent mine -j 4",
    "run every case of a fuzzing server (wsspec serve), four at once, reported as agent "
    "'mine'",
    "wsspec client wss://example.test/ws --cacert ca.pem",
    "TLS, the server's certificate verified against ca.pem",
    NULL,
};

const struct cli_doc client_doc = {
    .name = "client",
    .synopsis = "URL [options]\n--fuzzingserver URL [--agent NAME] [-j N] [options]",
    .description = client_description,
    .group_intro = client_group_intro,
    .n_groups = sizeof client_group_intro / sizeof client_group_intro[0],
    .opts = client_opt_rows,
    .n_opts = CLIENT_OPT_COUNT,
    .exit_status = "Exit status: 0 the connection ended with a clean closing handshake (with "
                   "--fuzzingserver: every case ran and the reports were updated; how each case "
                   "went is the server's verdict), 1 the server broke a rule, refused or failed "
                   "the connection, or a timeout passed (with --fuzzingserver: getCaseCount or "
                   "updateReports failed), 2 usage error or wsspec's own trouble.",
    .examples = client_examples,
};

/* ------------------------------------------------------------ parsing */

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("wsspec client: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("; see 'wsspec client --help'\n", stderr);
    va_end(ap);
    return 2;
}

/* Decimal bytes with an optional binary suffix: K/KiB, M/MiB, G/GiB. */
static bool parse_size(const char *s, uint64_t *out)
{
    if (!isdigit((unsigned char)s[0]))
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return false;
    static const struct {
        const char *suffix;
        unsigned shift;
    } units[] = {{"", 0}, {"K", 10}, {"KiB", 10}, {"M", 20}, {"MiB", 20}, {"G", 30}, {"GiB", 30}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(end, units[i].suffix) != 0)
            continue;
        if (v > (UINT64_MAX >> units[i].shift))
            return false;
        *out = (uint64_t)v << units[i].shift;
        return true;
    }
    return false;
}

/* Seconds (fractions allowed) into milliseconds; 0 only when zero_ok. */
static bool parse_seconds(const char *s, bool zero_ok, uint64_t *ms)
{
    if (!isdigit((unsigned char)s[0]) && !(s[0] == '.' && isdigit((unsigned char)s[1])))
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < 0 || v > CLIENT_MAX_SECONDS)
        return false;
    uint64_t r = (uint64_t)(v * 1000.0 + 0.5);
    if (r == 0 && !zero_ok)
        return false;
    *ms = r;
    return true;
}

static int client_opt_set(struct client_args *a, enum client_opt o, const char *v)
{
    switch (o) {
    case CLIENT_OPT_FUZZINGSERVER:
        a->fuzzingserver = true;
        return 0;
    case CLIENT_OPT_AGENT:
        a->agent = v;
        return 0;
    case CLIENT_OPT_JOBS: {
        char *end;
        errno = 0;
        unsigned long n = strtoul(v, &end, 10);
        if (!isdigit((unsigned char)v[0]) || *end || errno || n < 1 || n > CLIENT_MAX_JOBS)
            return usage_error("--jobs '%s' is not a number from 1 to %d", v, CLIENT_MAX_JOBS);
        a->jobs = (unsigned)n;
        return 0;
    }
    case CLIENT_OPT_NO_DEFLATE:
        a->conn.no_deflate = true;
        return 0;
    case CLIENT_OPT_MAX_MESSAGE_SIZE:
        if (!parse_size(v, &a->conn.max_message) || a->conn.max_message == 0 ||
            a->conn.max_message > CLIENT_MAX_MESSAGE_LIMIT)
            return usage_error("--max-message-size '%s' is not a size from 1 to 1G", v);
        return 0;
    case CLIENT_OPT_HANDSHAKE_TIMEOUT:
        if (!parse_seconds(v, false, &a->conn.handshake_ms))
            return usage_error("--handshake-timeout '%s' is not seconds from 0.001 to 86400", v);
        return 0;
    case CLIENT_OPT_IDLE_TIMEOUT:
        if (!parse_seconds(v, true, &a->conn.idle_ms))
            return usage_error("--idle-timeout '%s' is not seconds from 0 to 86400", v);
        return 0;
    case CLIENT_OPT_CLOSE_TIMEOUT:
        if (!parse_seconds(v, false, &a->conn.close_ms))
            return usage_error("--close-timeout '%s' is not seconds from 0.001 to 86400", v);
        return 0;
    case CLIENT_OPT_CACERT:
        a->tls.cacert = v;
        return 0;
    case CLIENT_OPT_INSECURE:
        a->tls.insecure = true;
        return 0;
    case CLIENT_OPT_CERT:
        a->tls.cert = v;
        return 0;
    case CLIENT_OPT_KEY:
        a->tls.key = v;
        return 0;
    case CLIENT_OPT_VERBOSE:
        a->verbose = true;
        return 0;
    case CLIENT_OPT_HELP:
        a->help = true;
        return 0;
    case CLIENT_OPT_COUNT:
        break;
    }
    return usage_error("internal: option %d has no setter", (int)o);
}

static enum client_opt client_opt_find(const char *s)
{
    for (int i = 0; i < CLIENT_OPT_COUNT; i++) {
        const struct cli_opt *o = &client_opt_rows[i];
        if ((s[1] == '-' && !strcmp(s + 2, o->lng)) || (o->shrt && s[1] == o->shrt && !s[2]))
            return (enum client_opt)i;
    }
    return CLIENT_OPT_COUNT;
}

static int client_args_parse(int argc, char **argv, struct client_args *a)
{
    unsigned seen[CLIENT_OPT_COUNT] = {0};
    *a = (struct client_args){
        .agent = CLIENT_DEFAULT_AGENT,
        .jobs = 1,
        .conn = {.max_message = WS_CONN_DEFAULT_MAX_MESSAGE,
                 .handshake_ms = 10000,
                 .idle_ms = 60000,
                 .close_ms = 5000},
    };
    for (int i = 1; i < argc && !a->help; i++) {
        const char *s = argv[i];
        if (s[0] != '-' || !s[1]) {
            if (a->url)
                return usage_error("one URL only ('%s' and '%s')", a->url, s);
            a->url = s;
            continue;
        }
        enum client_opt o = client_opt_find(s);
        if (o == CLIENT_OPT_COUNT)
            return usage_error("unknown option '%s'", s);
        if (++seen[o] > client_opt_rows[o].max)
            return client_opt_rows[o].max == 1 ? usage_error("option %s given more than once", s)
                                               : usage_error("option %s given more than %u times",
                                                             s, client_opt_rows[o].max);
        const char *v = NULL;
        if (client_opt_rows[o].arg) {
            if (i + 1 == argc)
                return usage_error("option %s needs a value (%s)", s, client_opt_rows[o].arg);
            v = argv[++i];
        }
        int rc = client_opt_set(a, o, v);
        if (rc)
            return rc;
    }
    if (a->help)
        return 0;
    if (!a->url)
        return usage_error("no URL given");
    if (!a->fuzzingserver && (seen[CLIENT_OPT_AGENT] || seen[CLIENT_OPT_JOBS]))
        return usage_error("--agent and --jobs go with --fuzzingserver");
    return 0;
}

/* ------------------------------------------------------------ the loop */

static volatile sig_atomic_t client_stop;

static void on_signal(int sig)
{
    (void)sig;
    client_stop = 1;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The connections one poll() loop runs: c[0..n), each started or DONE. done (may be
 * NULL) is told when slot's connection ends, and may start another in it. */
struct client_loop {
    struct client_conn *c;
    size_t n;
    void (*done)(void *ud, size_t slot);
    void *ud;
    uint8_t rbuf[CLIENT_READ_MAX];
};

/* Poll every live connection for what it waits for, until its nearest deadline (at
 * once while TLS holds decrypted bytes). Returns 1 (pfd[0..*np) filled, map[] their
 * slots), 0 when every connection is DONE, 2 when poll() failed. */
static int loop_wait(struct client_loop *l, struct pollfd *pfd, size_t *map, size_t *np)
{
    uint64_t now = now_ms(), next = UINT64_MAX;
    size_t k = 0;
    bool busy = false;
    for (size_t i = 0; i < l->n; i++) {
        struct client_conn *c = &l->c[i];
        if (c->phase == CP_DONE)
            continue;
        busy = true;
        if (c->deadline < next)
            next = c->deadline;
        if (client_conn_buffered(c))
            next = now;
        pfd[k] = (struct pollfd){.fd = c->io.fd, .events = client_conn_events(c)};
        map[k++] = i;
    }
    *np = k;
    if (!busy)
        return 0;
    int timeout = next == UINT64_MAX ? -1
                  : next <= now      ? 0
                                     : (int)(next - now > 60000 ? 60000 : next - now);
    int r = poll(pfd, (nfds_t)k, timeout);
    if (r < 0 && errno != EINTR) {
        fprintf(stderr, "wsspec client: poll: %s\n", strerror(errno));
        return 2;
    }
    if (r < 0)
        for (size_t i = 0; i < k; i++)
            pfd[i].revents = 0;
    return 1;
}

/* Run l until every connection is DONE. Returns 0, or 2 after poll() failed or a
 * signal stopped it. */
static int loop_run(struct client_loop *l)
{
    struct pollfd pfd[CLIENT_MAX_JOBS];
    size_t map[CLIENT_MAX_JOBS];
    for (;;) {
        size_t k;
        int r = loop_wait(l, pfd, map, &k);
        if (r != 1)
            return r;
        if (client_stop) {
            fprintf(stderr, "wsspec client: interrupted\n");
            return 2;
        }
        uint64_t now = now_ms();
        for (size_t j = 0; j < k; j++) {
            struct client_conn *c = &l->c[map[j]];
            if (pfd[j].revents || client_conn_buffered(c))
                client_conn_io(c, pfd[j].revents, l->rbuf, sizeof l->rbuf, now);
            client_conn_timer(c, now);
            if (c->phase == CP_DONE && l->done)
                l->done(l->ud, map[j]);
        }
    }
}

/* ------------------------------------------------------------ one connection */

static int run_single(const struct client_args *a, const struct target *t)
{
    struct client_loop *l = calloc(1, sizeof *l);
    struct client_conn *c = calloc(1, sizeof *c);
    if (!l || !c) {
        free(l);
        free(c);
        fprintf(stderr, "wsspec client: out of memory\n");
        return 2;
    }
    *l = (struct client_loop){.c = c, .n = 1};
    int rc = 0;
    client_conn_start(c, t, t->resource, &a->conn, CLIENT_ECHO, now_ms());
    rc = loop_run(l);
    char line[512];
    client_conn_describe(c, line, sizeof line);
    if (rc == 0) {
        /* wsspec's own trouble goes to stderr, the target's doing to stdout */
        bool own = c->outcome == CLIENT_OWN_TROUBLE;
        fprintf(own ? stderr : stdout, "wsspec client: %s: %s\n", t->url, line);
        rc = c->outcome == CLIENT_CLEAN ? 0 : own ? 2 : 1;
    }
    client_conn_free(c);
    free(c);
    free(l);
    return rc;
}

/* ------------------------------------------------------------ --fuzzingserver */

struct driver {
    const struct client_args *a;
    const struct target *t;
    char base[TARGET_URL_MAX];
    struct client_conn *c; /* a->jobs slots */
    char (*resource)[CLIENT_RESOURCE_MAX];
    uint32_t *case_of; /* per slot: the case it runs, 0 = none */
    uint32_t count, next, finished;
    size_t by_outcome[CLIENT_OWN_TROUBLE + 1];
    bool tty, own_trouble;
};

static void driver_note(struct driver *d, size_t slot)
{
    struct client_conn *c = &d->c[slot];
    d->by_outcome[c->outcome <= CLIENT_OWN_TROUBLE ? c->outcome : 0]++;
    d->finished++;
    if (c->outcome == CLIENT_OWN_TROUBLE)
        d->own_trouble = true;
    if (d->a->verbose) {
        char line[512];
        client_conn_describe(c, line, sizeof line);
        fprintf(stderr, "wsspec client: case %u: %s\n", (unsigned)d->case_of[slot], line);
    } else if (d->tty) {
        fprintf(stderr, "\rwsspec client: %u/%u cases", (unsigned)d->finished, (unsigned)d->count);
    }
}

/* Start the next case in slot; false when none is left. */
static bool driver_start(struct driver *d, size_t slot)
{
    if (d->next > d->count || d->own_trouble || client_stop)
        return false;
    uint32_t n = d->next++;
    client_url_target(d->base, CLIENT_URL_RUN_CASE, n, d->a->agent, d->resource[slot],
                      CLIENT_RESOURCE_MAX);
    d->case_of[slot] = n;
    client_conn_start(&d->c[slot], d->t, d->resource[slot], &d->a->conn, CLIENT_ECHO, now_ms());
    if (d->c[slot].phase == CP_DONE) /* failed at once (no descriptor, refused) */
        driver_note(d, slot);
    return true;
}

static void driver_done(void *ud, size_t slot)
{
    struct driver *d = ud;
    driver_note(d, slot);
    client_conn_free(&d->c[slot]);
    /* a slot that fails at once is started again, boundedly: each try uses a case */
    while (driver_start(d, slot) && d->c[slot].phase == CP_DONE)
        client_conn_free(&d->c[slot]);
}

/* One connection of the protocol itself (getCaseCount, updateReports). Returns 0, 1
 * (it did not end cleanly: message on stderr), 2. */
static int driver_command(struct driver *d, enum client_url_cmd cmd, enum client_kind kind,
                          struct client_conn *c, struct client_loop *l)
{
    client_url_target(d->base, cmd, 0, d->a->agent, d->resource[0], CLIENT_RESOURCE_MAX);
    *l = (struct client_loop){.c = c, .n = 1};
    client_conn_start(c, d->t, d->resource[0], &d->a->conn, kind, now_ms());
    int rc = loop_run(l);
    if (rc)
        return rc;
    if (c->outcome == CLIENT_OWN_TROUBLE || c->outcome == CLIENT_CLEAN)
        return c->outcome == CLIENT_CLEAN ? 0 : 2;
    char line[512];
    client_conn_describe(c, line, sizeof line);
    fprintf(stderr, "wsspec client: %s://%s%s: %s\n", d->t->secure ? "wss" : "ws",
            d->t->host_header, d->resource[0], line);
    return 1;
}

static int driver_count(struct driver *d, struct client_conn *c, struct client_loop *l)
{
    int rc = driver_command(d, CLIENT_URL_COUNT, CLIENT_READ_ONE, c, l);
    if (rc == 0 && !(c->got_reply && !c->reply_too_long &&
                     client_url_count((const uint8_t *)c->reply, c->reply_len, &d->count))) {
        fprintf(stderr,
                "wsspec client: %s: getCaseCount answered no case count (a text "
                "message holding a number)\n",
                d->t->url);
        rc = 1;
    }
    client_conn_free(c);
    return rc;
}

static int driver_cases(struct driver *d, struct client_loop *l)
{
    *l = (struct client_loop){.c = d->c, .n = d->a->jobs, .done = driver_done, .ud = d};
    for (size_t i = 0; i < d->a->jobs; i++) {
        while (driver_start(d, i) && d->c[i].phase == CP_DONE)
            client_conn_free(&d->c[i]);
    }
    int rc = loop_run(l);
    if (d->tty && !d->a->verbose)
        fputc('\n', stderr);
    for (size_t i = 0; i < d->a->jobs; i++)
        client_conn_free(&d->c[i]);
    if (rc)
        return rc;
    if (d->own_trouble) {
        fprintf(stderr, "wsspec client: stopped: wsspec's own trouble (run with -v)\n");
        return 2;
    }
    return 0;
}

static int run_driver(const struct client_args *a, const struct target *t)
{
    struct driver d = {.a = a, .t = t, .next = 1, .tty = isatty(2) == 1};
    /* the base path: the URL's path, no query (the commands bring their own) */
    if (strchr(t->resource, '?'))
        return usage_error("a --fuzzingserver URL has no query ('%s')", t->url);
    snprintf(d.base, sizeof d.base, "%s", t->resource);
    struct serve_url_request req;
    char probe[CLIENT_RESOURCE_MAX];
    client_url_target("", CLIENT_URL_UPDATE_REPORTS, 0, a->agent, probe, sizeof probe);
    if (serve_url_parse(probe, strlen(probe), &req) != SERVE_E_OK)
        return usage_error("--agent: %s", req.message);
    d.c = calloc(a->jobs, sizeof *d.c);
    d.resource = calloc(a->jobs, sizeof *d.resource);
    d.case_of = calloc(a->jobs, sizeof *d.case_of);
    struct client_loop *l = calloc(1, sizeof *l);
    int rc = 2;
    if (!d.c || !d.resource || !d.case_of || !l) {
        fprintf(stderr, "wsspec client: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < a->jobs; i++) { /* slots without a connection: no descriptor */
        transport_init(&d.c[i].io, -1);
        d.c[i].phase = CP_DONE;
    }
    rc = driver_count(&d, &d.c[0], l);
    if (rc == 0)
        rc = driver_cases(&d, l);
    if (rc == 0) {
        rc = driver_command(&d, CLIENT_URL_UPDATE_REPORTS, CLIENT_QUIET, &d.c[0], l);
        client_conn_free(&d.c[0]);
    }
    if (rc != 2)
        printf("wsspec client: %u cases from %s as agent '%s': %zu closed cleanly, %zu failed "
               "by us (the case broke a rule), %zu refused at the handshake, %zu dropped by the "
               "server, %zu timed out, %zu unreachable; reports %s\n",
               (unsigned)d.finished, t->url, a->agent, d.by_outcome[CLIENT_CLEAN],
               d.by_outcome[CLIENT_FAILED], d.by_outcome[CLIENT_REFUSED],
               d.by_outcome[CLIENT_DROPPED], d.by_outcome[CLIENT_TIMEOUT],
               d.by_outcome[CLIENT_UNREACHABLE], rc == 0 ? "updated" : "not updated");
out:
    free(d.c);
    free(d.resource);
    free(d.case_of);
    free(l);
    return rc;
}

/* ------------------------------------------------------------ entry */

int client_main(int argc, char **argv)
{
    struct client_args a;
    int rc = client_args_parse(argc, argv, &a);
    if (rc)
        return rc;
    if (a.help) {
        cli_doc_help(stdout, &client_doc);
        return 0;
    }
    struct target *t = calloc(1, sizeof *t);
    if (!t) {
        fprintf(stderr, "wsspec client: out of memory\n");
        return 2;
    }
    char err[512];
    if (target_parse(a.url, t, err, sizeof err) != 0) {
        free(t);
        return usage_error("%s", err);
    }
    struct transport_tls *tls = NULL;
    if (t->secure) {
        tls = transport_tls_new(&a.tls, err, sizeof err);
        if (!tls) {
            fprintf(stderr, "wsspec client: %s\n", err);
            free(t);
            return 2;
        }
        if (a.tls.insecure)
            fprintf(stderr, "wsspec client: --insecure: the server's certificate is not "
                            "verified\n");
        t->tls = tls;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    rc = a.fuzzingserver ? run_driver(&a, t) : run_single(&a, t);
    fflush(stdout);
    transport_tls_free(tls);
    free(t);
    return rc;
}

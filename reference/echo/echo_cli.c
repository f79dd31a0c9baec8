/*
 * echo_cli.c - options of `wsspec echo`, checked in full before anything listens.
 *
 * Every value is parsed with strtoull/strtod and checked for an empty string, a sign,
 * trailing junk, overflow and its range; a bad one gives one line on stderr naming the
 * option and the accepted form, and exit status 2. Both "--opt VALUE" and
 * "--opt=VALUE" are accepted. The options are one table, echo_opts.def: the parser
 * looks them up there, and --help and wsspec-echo(1) are printed from the same rows
 * (echo_doc, cli_doc.c). TLS files (--tls-cert, --tls-key, --tls-client-ca) are
 * loaded here too, so a bad one is the same one line and exit 2, before listening.
 */
#include "echo_cli.h"

#include "cli_doc.h"

#include "echo_loop.h"
#include "echo_tls.h"
#include "ws_conn.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ECHO_DEFAULT_LISTEN "127.0.0.1:9001"
/* Largest --max-message: a connection may hold a message being reassembled and the
 * echo of the previous one at once, so 1 GiB already allows 2 GiB for one client. */
#define ECHO_MAX_MESSAGE_LIMIT (1024ull * 1024 * 1024)
/* Longest timeout: a deadline of more than a day is no deadline. */
#define ECHO_MAX_TIMEOUT_S 86400.0
/* What `make bench` measured for one idle, open connection right after its handshake
 * (server VmRSS delta over 10,000 and 18,000 connections / their number, 1,465-1,608;
 * x86-64, glibc malloc, plain -O2 build): the struct (echo_loop_conn_size) plus
 * ws_conn's 256-byte output buffer until it is trimmed, and malloc overhead. Kernel
 * socket buffers are not part of the process and not counted. */
#define ECHO_MEASURED_IDLE_BYTES 1500u
/* The same for a wss:// connection (make bench: server VmRSS delta over 2,000 idle TLS
 * 1.3 connections, after 50 for warm-up; same build): about 14 KB of it is the OpenSSL
 * session (SSL object, socket BIO, cipher contexts, the session). Without
 * SSL_MODE_RELEASE_BUFFERS, which returns the idle record buffers, it was 24,500. */
#define ECHO_MEASURED_IDLE_TLS_BYTES 15500u

static int cli_error(const char *opt, const char *value, const char *form)
{
    fprintf(stderr, "wsspec echo: %s: '%s' %s\n", opt, value, form);
    return 2;
}

/* "HOST:PORT", "[V6]:PORT"; HOST numeric or "localhost". */
static bool parse_listen(const char *s, struct echo_options *o)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *port_str;
    bool v6 = false;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':' || (size_t)(end - s - 1) >= sizeof host)
            return false;
        memcpy(host, s + 1, (size_t)(end - s - 1));
        host[end - s - 1] = '\0';
        port_str = end + 2;
        v6 = true;
    } else {
        const char *colon = strrchr(s, ':');
        if (!colon || (size_t)(colon - s) >= sizeof host || strchr(s, ':') != colon)
            return false;
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = '\0';
        port_str = colon + 1;
    }
    if (!isdigit((unsigned char)port_str[0]))
        return false;
    char *end;
    errno = 0;
    unsigned long long port = strtoull(port_str, &end, 10);
    if (errno || *end || port > 65535)
        return false;
    memset(&o->addr, 0, sizeof o->addr);
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&o->addr;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
            return false;
        o->addr_len = sizeof *a;
        return true;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)&o->addr;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0)
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
        return false;
    o->addr_len = sizeof *a;
    return true;
}

/* Decimal bytes with an optional binary suffix: K/KiB = 2^10, M/MiB = 2^20, G/GiB = 2^30. */
static bool parse_size(const char *s, uint64_t *out)
{
    if (!isdigit((unsigned char)s[0]))
        return false; /* strtoull would take "-1", " 1" and "+1" */
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

/* Seconds, decimal fractions allowed ("0.5"), into milliseconds. */
static bool parse_seconds(const char *s, bool zero_ok, uint64_t *ms)
{
    if (!isdigit((unsigned char)s[0]) && !(s[0] == '.' && isdigit((unsigned char)s[1])))
        return false; /* refuses signs, "inf", "nan", spaces */
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < 0 || v > ECHO_MAX_TIMEOUT_S)
        return false;
    uint64_t r = (uint64_t)(v * 1000.0 + 0.5);
    if (r == 0 && !zero_ok)
        return false;
    *ms = r;
    return true;
}

/* ------------------------------------------------------------ the option table */

#define ECHO_STR_(x) #x
#define ECHO_STR(x) ECHO_STR_(x)

enum echo_opt {
#define ECHO_OPT(name, lng, shrt, arg, max, help) ECHO_OPT_##name,
#include "echo_opts.def"
#undef ECHO_OPT
    ECHO_OPT_COUNT
};

static const struct cli_opt echo_opt_rows[ECHO_OPT_COUNT] = {
#define ECHO_OPT(name, lng, shrt, arg, max, help)                                                  \
    [ECHO_OPT_##name] = {lng, shrt, arg, max, 0, help},
#include "echo_opts.def"
#undef ECHO_OPT
};

static const char *const echo_description[] = {
    "The reference endpoint: a strict RFC 6455 echo server. Every text message is sent back "
    "as text and every binary message as binary, whole. Violations are answered as the RFC "
    "says (Close 1002/1007/1009, HTTP 400/426/431) and the connection is closed. Runs until "
    "SIGINT or SIGTERM, then sends Close 1001 to every connection, waits for their answers "
    "(at most --close-timeout) and exits 0.",
    NULL,
};

static const char *const echo_group_intro[] = {""};

static const char *const echo_notes[] = {
    "On start it prints \"wsspec echo: listening on ws://HOST:PORT/\" to stdout (wss:// with "
    "--tls-cert).",
    "`wsspec echo --help` ends with what the machine it runs on allows: concurrent "
    "connections (its descriptor limit) and memory per connection.",
    NULL,
};

static const char *const echo_examples[] = {
    "wsspec echo --listen 127.0.0.1:9001",
    "the endpoint `wsspec run ws://127.0.0.1:9001/` tests against",
    "wsspec echo --listen [::1]:0 --no-deflate",
    "IPv6, any free port, without permessage-deflate",
    "wsspec echo --tls-cert srv.crt --tls-key srv.key",
    "wss:// on the default address",
    NULL,
};

static void echo_help_capacity(FILE *f);

const struct cli_doc echo_doc = {
    .name = "echo",
    .synopsis = "[options]",
    .description = echo_description,
    .group_intro = echo_group_intro,
    .n_groups = 1,
    .opts = echo_opt_rows,
    .n_opts = ECHO_OPT_COUNT,
    .notes = echo_notes,
    .help_extra = echo_help_capacity,
    .exit_status = "Exit status: 0 after SIGINT/SIGTERM, 1 if it cannot listen (or --io uring "
                   "is refused by the kernel), 2 for a bad option or a TLS file that cannot "
                   "be used.",
    .examples = echo_examples,
};

/* The figures of this machine: descriptors, and what a connection costs. */
static void echo_help_capacity(FILE *f)
{
    uint64_t soft = echo_loop_raise_nofile();
    uint64_t conns = soft > ECHO_FD_RESERVE ? soft - ECHO_FD_RESERVE : 0;
    uint64_t busy = WS_HTTP_DEFAULT_MAX_BLOCK + 2 * (uint64_t)WS_CONN_DEFAULT_MAX_MESSAGE +
                    ECHO_BACKPRESSURE + 2 * ECHO_READ_BUF;
    fprintf(f,
            "\n"
            "Capacity: up to %llu concurrent connections here (RLIMIT_NOFILE raised to its\n"
            "hard limit at start, as root to %u where the kernel allows; %u descriptors kept\n"
            "for itself), per process: --workers N holds N times as many.\n"
            "Memory per connection: %zu bytes of state, about %u bytes in all when idle after\n"
            "its handshake (measured by make bench; kernel socket buffers not included). A\n"
            "connection keeps its message and output buffers while it moves bytes (no\n"
            "allocation per message; a whole message is read into and echoed from one\n"
            "buffer) and gives them back 1 s after its last byte. A busy one holds at most its\n"
            "handshake (8 KiB), the message being reassembled, its echo and 1 MiB of backlog:\n"
            "%llu MiB with the default --max-message.\n"
            "A TLS connection costs about %u bytes in all when idle (its OpenSSL session;\n"
            "record buffers are released when empty), and two record buffers of about\n"
            "17 KB each more while busy.\n",
            (unsigned long long)conns, ECHO_NOFILE_WANTED, ECHO_FD_RESERVE, echo_loop_conn_size(),
            ECHO_MEASURED_IDLE_BYTES, (unsigned long long)(busy >> 20),
            ECHO_MEASURED_IDLE_TLS_BYTES);
}

void echo_cli_usage(FILE *f)
{
    cli_doc_help(f, &echo_doc);
}

/* ------------------------------------------------------------ parsing */

/* What option o with value v (NULL for a switch) does to o/tls; 0, or 2 after one line
 * on stderr. */
static int echo_opt_set(enum echo_opt opt, const char *v, struct echo_options *o,
                        struct echo_tls_config *tls)
{
    switch (opt) {
    case ECHO_OPT_LISTEN:
        if (!parse_listen(v, o))
            return cli_error("--listen", v,
                             "is not ADDR:PORT (e.g. 127.0.0.1:9001, [::1]:9001, "
                             "0.0.0.0:0; numeric address, port 0-65535)");
        return 0;
    case ECHO_OPT_MAX_MESSAGE:
        if (!parse_size(v, &o->max_message) || o->max_message == 0 ||
            o->max_message > ECHO_MAX_MESSAGE_LIMIT)
            return cli_error("--max-message", v,
                             "is not a size from 1 to 1G (e.g. 65536, 64K, 16M, 1G)");
        return 0;
    case ECHO_OPT_HANDSHAKE_TIMEOUT:
        if (!parse_seconds(v, false, &o->handshake_timeout_ms))
            return cli_error("--handshake-timeout", v,
                             "is not a number of seconds from 0.001 to 86400");
        return 0;
    case ECHO_OPT_IDLE_TIMEOUT:
        if (!parse_seconds(v, true, &o->idle_timeout_ms))
            return cli_error("--idle-timeout", v,
                             "is not a number of seconds from 0 (never) to 86400");
        return 0;
    case ECHO_OPT_CLOSE_TIMEOUT:
        if (!parse_seconds(v, false, &o->close_timeout_ms))
            return cli_error("--close-timeout", v,
                             "is not a number of seconds from 0.001 to 86400");
        return 0;
    case ECHO_OPT_ALLOWED_ORIGIN:
        if (!v[0])
            return cli_error("--allowed-origin", v, "is empty");
        o->origins[o->n_origins++] = v; /* bounded: the table's max is ECHO_ORIGINS_MAX */
        return 0;
    case ECHO_OPT_NO_DEFLATE:
        o->pmd.disabled = true;
        return 0;
    case ECHO_OPT_DEFLATE_CONTEXT_TAKEOVER:
        o->deflate_context_takeover = true;
        return 0;
    case ECHO_OPT_DEFLATE_WINDOW: {
        char *end;
        unsigned long bits = strtoul(v, &end, 10);
        if (!isdigit((unsigned char)v[0]) || *end || bits < 8 || bits > 15)
            return cli_error("--deflate-window", v, "is not a number of window bits, 8-15");
        o->pmd.server_max_window_bits = (uint8_t)bits;
        o->pmd.client_max_window_bits = (uint8_t)bits;
        return 0;
    }
    case ECHO_OPT_TLS_CERT:
        tls->cert_file = v;
        return 0;
    case ECHO_OPT_TLS_KEY:
        tls->key_file = v;
        return 0;
    case ECHO_OPT_TLS_CLIENT_CA:
        tls->client_ca_file = v;
        return 0;
    case ECHO_OPT_WORKERS: {
        char *end;
        errno = 0;
        unsigned long n = strtoul(v, &end, 10);
        if (!isdigit((unsigned char)v[0]) || *end || errno || n < 1 || n > ECHO_WORKERS_MAX)
            return cli_error("--workers", v, "is not a number of processes from 1 to 64");
        o->workers = (unsigned)n;
        return 0;
    }
    case ECHO_OPT_IO:
        if (strcmp(v, "auto") == 0)
            o->io = ECHO_MODE_AUTO;
        else if (strcmp(v, "epoll") == 0)
            o->io = ECHO_MODE_EPOLL;
        else if (strcmp(v, "uring") == 0)
            o->io = ECHO_MODE_URING;
        else
            return cli_error("--io", v, "is not auto, epoll or uring");
        return 0;
    case ECHO_OPT_VERBOSE:
        o->verbose = true;
        return 0;
    case ECHO_OPT_HELP:
    case ECHO_OPT_COUNT:
        break;
    }
    return 0;
}

/* The row argv[*i] names ("--long", "--long=VALUE", "-c"), its value in *v (advancing
 * *i past a separate one); ECHO_OPT_COUNT and 2 in *rc after one line on stderr. */
static enum echo_opt echo_opt_find(int argc, char **argv, int *i, const char **v, int *rc)
{
    const char *a = argv[*i], *eq = NULL;
    enum echo_opt o = ECHO_OPT_COUNT;
    if (a[0] == '-' && a[1] == '-') {
        eq = strchr(a, '=');
        size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        for (int r = 0; r < ECHO_OPT_COUNT && o == ECHO_OPT_COUNT; r++)
            if (strlen(echo_opt_rows[r].lng) == n && strncmp(echo_opt_rows[r].lng, a + 2, n) == 0)
                o = (enum echo_opt)r;
    } else if (a[0] == '-' && a[1] && !a[2]) {
        for (int r = 0; r < ECHO_OPT_COUNT && o == ECHO_OPT_COUNT; r++)
            if (echo_opt_rows[r].shrt == a[1])
                o = (enum echo_opt)r;
    }
    *rc = 2;
    if (o == ECHO_OPT_COUNT) {
        fprintf(stderr, "wsspec echo: unknown option '%s' (see wsspec echo --help)\n", a);
        return o;
    }
    *v = NULL;
    if (!echo_opt_rows[o].arg) {
        if (eq) {
            fprintf(stderr, "wsspec echo: --%s takes no value (see wsspec echo --help)\n",
                    echo_opt_rows[o].lng);
            return ECHO_OPT_COUNT;
        }
    } else if (eq) {
        *v = eq + 1;
    } else if (*i + 1 < argc) {
        *v = argv[++*i];
    } else {
        fprintf(stderr, "wsspec echo: %s needs a value (see wsspec echo --help)\n", a);
        return ECHO_OPT_COUNT;
    }
    *rc = 0;
    return o;
}

/* Every option through the table; 0, 1 after --help (printed), or 2 after a usage
 * error. */
static int echo_args_parse(int argc, char **argv, struct echo_options *o,
                           struct echo_tls_config *tls)
{
    unsigned seen[ECHO_OPT_COUNT] = {0};
    for (int i = 1; i < argc; i++) {
        const char *v;
        int rc;
        enum echo_opt opt = echo_opt_find(argc, argv, &i, &v, &rc);
        if (opt == ECHO_OPT_COUNT)
            return rc;
        if (opt == ECHO_OPT_HELP) {
            echo_cli_usage(stdout);
            return 1;
        }
        if (++seen[opt] > echo_opt_rows[opt].max) {
            fprintf(stderr,
                    "wsspec echo: --%s given more than %u time%s (see wsspec echo --help)\n",
                    echo_opt_rows[opt].lng, echo_opt_rows[opt].max,
                    echo_opt_rows[opt].max == 1 ? "" : "s");
            return 2;
        }
        if ((rc = echo_opt_set(opt, v, o, tls)) != 0)
            return rc;
    }
    return 0;
}

int echo_cli_main(int argc, char **argv)
{
    struct echo_options o;
    memset(&o, 0, sizeof o);
    o.max_message = WS_CONN_DEFAULT_MAX_MESSAGE;
    o.handshake_timeout_ms = ECHO_DEFAULT_HANDSHAKE_MS;
    o.idle_timeout_ms = ECHO_DEFAULT_IDLE_MS;
    o.close_timeout_ms = ECHO_DEFAULT_CLOSE_MS;
    parse_listen(ECHO_DEFAULT_LISTEN, &o);
    struct echo_tls_config tls_cfg = {0};
    int rc = echo_args_parse(argc, argv, &o, &tls_cfg);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (!tls_cfg.cert_file != !tls_cfg.key_file) {
        fprintf(stderr, "wsspec echo: --tls-cert and --tls-key go together (see wsspec echo "
                        "--help)\n");
        return 2;
    }
    if (tls_cfg.client_ca_file && !tls_cfg.cert_file) {
        fprintf(stderr, "wsspec echo: --tls-client-ca needs --tls-cert and --tls-key\n");
        return 2;
    }
    if (tls_cfg.cert_file && o.io == ECHO_MODE_URING) {
        fprintf(stderr, "wsspec echo: --io uring is for plain ws:// (TLS records are read and "
                        "written by OpenSSL); leave --io out with --tls-cert\n");
        return 2;
    }
    if (tls_cfg.cert_file) {
        char err[512];
        o.tls = echo_tls_new(&tls_cfg, err, sizeof err);
        if (!o.tls) {
            fprintf(stderr, "wsspec echo: %s\n", err);
            return 2;
        }
    }
    rc = echo_loop_run(&o, stdout, stderr);
    echo_tls_free(o.tls);
    return rc;
}

/*
 * echo_cli.c - options of `wsspec echo`, checked in full before anything listens.
 *
 * Every value is parsed with strtoull/strtod and checked for an empty string, a sign,
 * trailing junk, overflow and its range; a bad one gives one line on stderr naming the
 * option and the accepted form, and exit status 2. Both "--opt VALUE" and
 * "--opt=VALUE" are accepted. TLS files (--tls-cert, --tls-key, --tls-client-ca) are
 * loaded here too, so a bad one is the same one line and exit 2, before listening.
 */
#include "echo_cli.h"

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

void echo_cli_usage(FILE *f)
{
    uint64_t soft = echo_loop_raise_nofile();
    uint64_t conns = soft > ECHO_FD_RESERVE ? soft - ECHO_FD_RESERVE : 0;
    uint64_t busy = WS_HTTP_DEFAULT_MAX_BLOCK + 2 * (uint64_t)WS_CONN_DEFAULT_MAX_MESSAGE +
                    ECHO_BACKPRESSURE + 2 * ECHO_READ_BUF;
    fprintf(f,
            "usage: wsspec echo [options]\n"
            "\n"
            "The reference endpoint: a strict RFC 6455 echo server. Every text message is sent\n"
            "back as text and every binary message as binary, whole. Violations are answered\n"
            "as the RFC says (Close 1002/1007/1009, HTTP 400/426/431) and the connection is\n"
            "closed. Runs until SIGINT or SIGTERM, then sends Close 1001 to every connection,\n"
            "waits for their answers (at most --close-timeout) and exits 0.\n"
            "\n"
            "options:\n"
            "  --listen ADDR:PORT        where to listen (default " ECHO_DEFAULT_LISTEN ");\n"
            "                            [::1]:9001 for IPv6, 0.0.0.0:9001 for every interface,\n"
            "                            port 0 for any free port (the line printed says which)\n"
            "  --max-message BYTES       largest message echoed; a larger one gets Close 1009\n"
            "                            (default 64M; suffixes K M G = 2^10 2^20 2^30; 1 .. 1G)\n"
            "  --handshake-timeout SECS  drop a client whose opening handshake is not complete\n"
            "                            by then (default %u)\n"
            "  --idle-timeout SECS       Close 1001 after this long without a byte either way\n"
            "                            (default %u; 0 = never)\n"
            "  --close-timeout SECS      drop a client that does not answer our Close by then\n"
            "                            (default %u)\n"
            "  --allowed-origin ORIGIN   accept only requests whose Origin is ORIGIN (any case;\n"
            "                            repeat for up to %u); any other Origin gets 403\n"
            "                            Forbidden (RFC 6455 10.2); a request without Origin\n"
            "                            (no browser) is accepted (default: any origin)\n"
            "  --no-deflate              decline permessage-deflate (RFC 7692); by default the\n"
            "                            first valid offer is accepted and every message is\n"
            "                            echoed compressed\n"
            "  --deflate-window BITS     with permessage-deflate, compress with a window of at\n"
            "                            most 2^BITS bytes and ask the client for the same when\n"
            "                            its offer allows (8-15; default 15, what the offer asks)\n"
            "  --deflate-context-takeover  keep each direction's LZ77 window from one message\n"
            "                            to the next (RFC 7692 7.1.1). By default no zlib state\n"
            "                            outlives a message: the echo answers\n"
            "                            client_no_context_takeover and compresses each message\n"
            "                            on its own, so an idle connection holds none (about\n"
            "                            300 KiB with this option at window 15)\n"
            "  --tls-cert FILE           serve wss:// (TLS 1.2 and 1.3, OpenSSL) with this PEM\n"
            "                            certificate (then its chain); needs --tls-key\n"
            "  --tls-key FILE            the certificate's PEM private key (not encrypted)\n"
            "  --tls-client-ca FILE      with TLS: require a client certificate issued by a\n"
            "                            CA in this PEM file\n"
            "  --workers N               N processes (1-64), each its own event loop, on the\n"
            "                            same port (SO_REUSEPORT: the kernel spreads the\n"
            "                            connections); more cores, and RLIMIT_NOFILE per\n"
            "                            process. Default 1\n"
            "  -v, --verbose             one line on stderr per rejected or failed connection:\n"
            "                            the client's address, the rule, its RFC section and\n"
            "                            the byte offset\n"
            "  -h, --help                this text\n"
            "\n"
            "On start it prints \"wsspec echo: listening on ws://HOST:PORT/\" to stdout\n"
            "(wss:// with --tls-cert). The TLS handshake counts against --handshake-timeout.\n"
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
            "17 KB each more while busy.\n"
            "\n"
            "Exit status: 0 after SIGINT/SIGTERM, 1 if it cannot listen, 2 for a bad option\n"
            "or a TLS file that cannot be used.\n",
            ECHO_DEFAULT_HANDSHAKE_MS / 1000, ECHO_DEFAULT_IDLE_MS / 1000,
            ECHO_DEFAULT_CLOSE_MS / 1000, ECHO_ORIGINS_MAX, (unsigned long long)conns,
            ECHO_NOFILE_WANTED, ECHO_FD_RESERVE, echo_loop_conn_size(), ECHO_MEASURED_IDLE_BYTES,
            (unsigned long long)(busy >> 20), ECHO_MEASURED_IDLE_TLS_BYTES);
}

/* "--name=value" or "--name value": the value, or NULL (and *i unchanged) if argv[*i]
 * is not this option. *missing is set when the option came without a value. */
static const char *option_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    *i += 1;
    return argv[*i];
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

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        bool missing = false;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            echo_cli_usage(stdout);
            return 0;
        }
        if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            o.verbose = true;
        } else if ((v = option_value(argc, argv, &i, "--listen", &missing))) {
            if (!parse_listen(v, &o))
                return cli_error("--listen", v,
                                 "is not ADDR:PORT (e.g. 127.0.0.1:9001, [::1]:9001, "
                                 "0.0.0.0:0; numeric address, port 0-65535)");
        } else if ((v = option_value(argc, argv, &i, "--max-message", &missing))) {
            if (!parse_size(v, &o.max_message) || o.max_message == 0 ||
                o.max_message > ECHO_MAX_MESSAGE_LIMIT)
                return cli_error("--max-message", v,
                                 "is not a size from 1 to 1G (e.g. 65536, 64K, 16M, 1G)");
        } else if ((v = option_value(argc, argv, &i, "--handshake-timeout", &missing))) {
            if (!parse_seconds(v, false, &o.handshake_timeout_ms))
                return cli_error("--handshake-timeout", v,
                                 "is not a number of seconds from 0.001 to 86400");
        } else if ((v = option_value(argc, argv, &i, "--idle-timeout", &missing))) {
            if (!parse_seconds(v, true, &o.idle_timeout_ms))
                return cli_error("--idle-timeout", v,
                                 "is not a number of seconds from 0 (never) to 86400");
        } else if ((v = option_value(argc, argv, &i, "--close-timeout", &missing))) {
            if (!parse_seconds(v, false, &o.close_timeout_ms))
                return cli_error("--close-timeout", v,
                                 "is not a number of seconds from 0.001 to 86400");
        } else if ((v = option_value(argc, argv, &i, "--allowed-origin", &missing))) {
            if (!v[0] || o.n_origins >= ECHO_ORIGINS_MAX)
                return cli_error("--allowed-origin", v,
                                 "is empty or one too many (at most 8 origins)");
            o.origins[o.n_origins++] = v;
        } else if (strcmp(a, "--no-deflate") == 0) {
            o.pmd.disabled = true;
        } else if (strcmp(a, "--deflate-context-takeover") == 0) {
            o.deflate_context_takeover = true;
        } else if ((v = option_value(argc, argv, &i, "--deflate-window", &missing))) {
            char *end;
            unsigned long bits = strtoul(v, &end, 10);
            if (!v[0] || *end || bits < 8 || bits > 15)
                return cli_error("--deflate-window", v, "is not a number of window bits, 8-15");
            o.pmd.server_max_window_bits = (uint8_t)bits;
            o.pmd.client_max_window_bits = (uint8_t)bits;
        } else if ((v = option_value(argc, argv, &i, "--workers", &missing))) {
            char *end;
            errno = 0;
            unsigned long n = strtoul(v, &end, 10);
            if (!isdigit((unsigned char)v[0]) || *end || errno || n < 1 || n > ECHO_WORKERS_MAX)
                return cli_error("--workers", v, "is not a number of processes from 1 to 64");
            o.workers = (unsigned)n;
        } else if ((v = option_value(argc, argv, &i, "--tls-cert", &missing))) {
            tls_cfg.cert_file = v;
        } else if ((v = option_value(argc, argv, &i, "--tls-key", &missing))) {
            tls_cfg.key_file = v;
        } else if ((v = option_value(argc, argv, &i, "--tls-client-ca", &missing))) {
            tls_cfg.client_ca_file = v;
        } else if (missing) {
            fprintf(stderr, "wsspec echo: %s needs a value (see wsspec echo --help)\n", a);
            return 2;
        } else {
            fprintf(stderr, "wsspec echo: unknown option '%s' (see wsspec echo --help)\n", a);
            return 2;
        }
    }
    if (!tls_cfg.cert_file != !tls_cfg.key_file) {
        fprintf(stderr, "wsspec echo: --tls-cert and --tls-key go together (see wsspec echo "
                        "--help)\n");
        return 2;
    }
    if (tls_cfg.client_ca_file && !tls_cfg.cert_file) {
        fprintf(stderr, "wsspec echo: --tls-client-ca needs --tls-cert and --tls-key\n");
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
    int rc = echo_loop_run(&o, stdout, stderr);
    echo_tls_free(o.tls);
    return rc;
}

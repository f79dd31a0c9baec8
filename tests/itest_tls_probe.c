/*
 * itest_tls_probe.c - checks of the echo endpoint's TLS transport that need a client
 * able to misbehave at the TLS layer; tests/itest_tls.sh and tests/bench-echo run it.
 *
 *   build/itest_tls_probe wss://127.0.0.1:PORT/ --cacert CA.pem [--handshake-timeout S]
 *   build/itest_tls_probe wss://127.0.0.1:PORT/ --cacert CA.pem --idle N --pid PID
 *
 * The first form runs, each on its own connection:
 *   tls-echo       a verified TLS 1.2+ connection (ALPN http/1.1 selected), the opening
 *                  handshake, a text echo and a 200 KiB binary echo (13 records each
 *                  way), Close 1000 answered, then the server's close_notify and FIN:
 *                  a clean TLS shutdown;
 *   tls11-refused  a client offering only TLS 1.1 gets the server's protocol_version
 *                  alert;
 *   plaintext      a plain-HTTP WebSocket request to the TLS port: the server ends the
 *                  connection promptly with a FIN (it lingers and drains, so no RST)
 *                  and never answers in HTTP;
 *   stall-hello    a real ClientHello, then silence: dropped at the handshake timeout
 *                  (not before 0.8 x, not after 3 x --handshake-timeout, default 2 s);
 *   stall-silent   connect and send nothing: the same;
 *   survives       tls-echo again: none of the above hurt the server.
 * One line per check, "PASS name" or "FAIL name: ...", exit 1 if any failed.
 *
 * The second form opens N verified TLS connections with their opening handshakes
 * (after 50 for warm-up), holds them idle, prints the server's VmRSS growth per
 * connection (from /proc/PID/status), checks that a sample still echoes, and closes
 * them. Exit 1 if the connections cannot be opened or the sample does not echo.
 *
 * Sockets are blocking with SO_RCVTIMEO/SO_SNDTIMEO, so every wait is bounded.
 */
#define _GNU_SOURCE
#include "ws_conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* How long any single answer may take: the server under test runs under ASan+UBSan on
 * a possibly busy machine. */
#define IO_MS 5000
/* "Promptly": well below the handshake timeout the server runs with, so that a drop
 * by that timer is not mistaken for a prompt reaction. */
#define PROMPT_MS 1000
#define BIG_LEN (200u * 1024)
#define WARMUP_CONNS 50
#define SAMPLE 10

static struct sockaddr_storage g_addr;
static socklen_t g_addr_len;
static char g_host[256], g_hostport[300];
static bool g_host_is_ip;
static SSL_CTX *g_ctx;
static double g_hs_timeout = 2.0;
static char g_why[512];
static int g_failed;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

__attribute__((format(printf, 1, 2))) static bool fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_why, sizeof g_why, fmt, ap);
    va_end(ap);
    return false;
}

static const char *ssl_reason(void)
{
    const char *r = ERR_reason_error_string(ERR_peek_last_error());
    return r ? r : strerror(errno);
}

/* ------------------------------------------------------------ connections */

static void set_timeout(int fd, uint64_t ms)
{
    struct timeval tv = {.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* A blocking TCP connection whose every read, write (and the connect) waits at most
 * IO_MS. Returns -1 with g_why set. */
static int tcp_connect(void)
{
    int fd = socket(g_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fail("socket: %s", strerror(errno));
        return -1;
    }
    set_timeout(fd, IO_MS);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (const struct sockaddr *)&g_addr, g_addr_len) != 0) {
        fail("connect to %s: %s", g_hostport, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

struct client {
    int fd;
    SSL *ssl;
    struct ws_conn ws;
    bool ws_ready, handshake_ok, got_close;
    uint16_t close_code;
    unsigned n_msgs;
    uint8_t last_op;
    uint8_t *last;
    size_t last_len;
};

static void on_handshake(struct ws_conn *ws, enum ws_error result, const char *raw, size_t len,
                         void *user)
{
    (void)ws, (void)raw, (void)len;
    struct client *c = user;
    c->handshake_ok = result == WS_E_OK;
}

static void on_message(struct ws_conn *ws, enum ws_opcode op, const uint8_t *data, size_t len,
                       void *user)
{
    (void)ws;
    struct client *c = user;
    free(c->last);
    c->last = malloc(len ? len : 1);
    if (c->last)
        memcpy(c->last, data, len);
    c->last_len = len;
    c->last_op = (uint8_t)op;
    c->n_msgs++;
}

static void on_close(struct ws_conn *ws, uint16_t code, const uint8_t *reason, size_t len,
                     void *user)
{
    (void)ws, (void)reason, (void)len;
    struct client *c = user;
    c->got_close = true;
    c->close_code = code;
}

static void random_bytes(void *ud, uint8_t *out, size_t n)
{
    (void)ud;
    if (RAND_bytes(out, (int)n) != 1)
        memset(out, 0x5a, n); /* masks need not be secret in a test */
}

static void client_free(struct client *c)
{
    if (c->ssl)
        SSL_free(c->ssl);
    if (c->fd >= 0)
        close(c->fd);
    if (c->ws_ready)
        ws_conn_free(&c->ws);
    free(c->last);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

/* TCP connect and a verified TLS handshake: SNI and name check as wsspec run does. */
static bool tls_open(struct client *c)
{
    memset(c, 0, sizeof *c);
    c->fd = tcp_connect();
    if (c->fd < 0)
        return false;
    ERR_clear_error();
    c->ssl = SSL_new(g_ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
        return fail("SSL_new: %s", ssl_reason());
    if (g_host_is_ip)
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), g_host);
    else {
        SSL_set_tlsext_host_name(c->ssl, g_host);
        SSL_set1_host(c->ssl, g_host);
    }
    if (SSL_connect(c->ssl) != 1) {
        long v = SSL_get_verify_result(c->ssl);
        return fail("TLS handshake: %s%s%s", ssl_reason(), v != X509_V_OK ? ": " : "",
                    v != X509_V_OK ? X509_verify_cert_error_string(v) : "");
    }
    return true;
}

static bool flush(struct client *c)
{
    const uint8_t *p;
    size_t n;
    while ((n = ws_conn_pending(&c->ws, &p)) > 0) {
        size_t w = 0;
        ERR_clear_error();
        if (SSL_write_ex(c->ssl, p, n, &w) != 1)
            return fail("SSL_write: %s", ssl_reason());
        ws_conn_sent(&c->ws, w);
    }
    return true;
}

/* Read until done(c) or the deadline. */
static bool pump(struct client *c, bool (*done)(const struct client *), uint64_t ms,
                 const char *what)
{
    static uint8_t buf[65536];
    uint64_t deadline = now_ms() + ms;
    while (!done(c)) {
        if (now_ms() >= deadline)
            return fail("no %s within %llu ms", what, (unsigned long long)ms);
        size_t n = 0;
        ERR_clear_error();
        if (SSL_read_ex(c->ssl, buf, sizeof buf, &n) != 1)
            return fail("waiting for %s: %s (SSL error %d)", what, ssl_reason(),
                        SSL_get_error(c->ssl, 0));
        ws_conn_recv(&c->ws, buf, n);
        if (!flush(c))
            return false;
    }
    return true;
}

static bool done_handshake(const struct client *c)
{
    return ws_conn_state(&c->ws) != WS_CONNECTING;
}

static bool ws_open(struct client *c)
{
    struct ws_conn_config cfg = {
        .role = WS_ROLE_CLIENT,
        .request = {.host = g_hostport, .target = "/"},
        .random = random_bytes,
        .cb = {.on_handshake = on_handshake, .on_message = on_message, .on_close = on_close},
        .user = c};
    if (ws_conn_init(&c->ws, &cfg) != WS_E_OK)
        return fail("ws_conn_init failed");
    c->ws_ready = true;
    if (!flush(c) || !pump(c, done_handshake, IO_MS, "101 response"))
        return false;
    if (!c->handshake_ok)
        return fail("opening handshake refused");
    return true;
}

static unsigned g_want_msgs;
static bool done_msgs(const struct client *c)
{
    return c->n_msgs >= g_want_msgs;
}

static bool echo(struct client *c, enum ws_opcode op, const uint8_t *data, size_t len)
{
    if (ws_conn_send(&c->ws, op, data, len) != WS_E_OK || !flush(c))
        return g_why[0] ? false : fail("cannot send");
    g_want_msgs = c->n_msgs + 1;
    if (!pump(c, done_msgs, IO_MS, "echo"))
        return false;
    if (c->last_op != op || c->last_len != len || (len && memcmp(c->last, data, len) != 0))
        return fail("echo differs: opcode %u, %zu bytes (sent opcode %u, %zu bytes)", c->last_op,
                    c->last_len, (unsigned)op, len);
    return true;
}

static bool done_close(const struct client *c)
{
    return c->got_close;
}

/* ------------------------------------------------------------ checks */

static bool check_tls_echo(void)
{
    struct client c;
    bool ok = false;
    if (!tls_open(&c) || !ws_open(&c))
        goto out;
    int version = SSL_version(c.ssl);
    if (version != TLS1_2_VERSION && version != TLS1_3_VERSION) {
        fail("negotiated %s, want TLS 1.2 or 1.3", SSL_get_version(c.ssl));
        goto out;
    }
    const unsigned char *alpn = NULL;
    unsigned alpn_len = 0;
    SSL_get0_alpn_selected(c.ssl, &alpn, &alpn_len);
    if (alpn_len != 8 || memcmp(alpn, "http/1.1", 8) != 0) {
        fail("ALPN: offered http/1.1, the server selected '%.*s'", (int)alpn_len,
             alpn ? (const char *)alpn : "");
        goto out;
    }
    static const char text[] = "hello over TLS";
    if (!echo(&c, WS_OP_TEXT, (const uint8_t *)text, sizeof text - 1))
        goto out;
    uint8_t *big = malloc(BIG_LEN);
    if (!big) {
        fail("out of memory");
        goto out;
    }
    for (size_t i = 0; i < BIG_LEN; i++)
        big[i] = (uint8_t)(i * 7 + (i >> 11));
    bool big_ok = echo(&c, WS_OP_BINARY, big, BIG_LEN);
    free(big);
    if (!big_ok)
        goto out;
    if (ws_conn_close(&c.ws, 1000, NULL, 0) != WS_E_OK || !flush(&c) ||
        !pump(&c, done_close, IO_MS, "Close answer"))
        goto out;
    if (c.close_code != 1000) {
        fail("Close answered with %u, want 1000", c.close_code);
        goto out;
    }
    /* the server closes first (RFC 6455 7.1.1) and, over TLS, with a close_notify */
    uint8_t b;
    size_t n = 0;
    uint64_t t0 = now_ms();
    ERR_clear_error();
    int rc = SSL_read_ex(c.ssl, &b, 1, &n);
    if (rc == 1 || SSL_get_error(c.ssl, rc) != SSL_ERROR_ZERO_RETURN) {
        fail("after the closing handshake: want the server's close_notify, got %s",
             rc == 1 ? "data" : ssl_reason());
        goto out;
    }
    ssize_t r = recv(c.fd, &b, 1, 0);
    if (r != 0) {
        fail("after close_notify: want FIN, got %s", r > 0 ? "data" : strerror(errno));
        goto out;
    }
    if (now_ms() - t0 > PROMPT_MS) {
        fail("close_notify and FIN took %llu ms", (unsigned long long)(now_ms() - t0));
        goto out;
    }
    ok = true;
out:
    client_free(&c);
    return ok;
}

/* Read until EOF, an error or ms; *got = bytes read, *first = first bytes. Returns the
 * final recv() result (0 = FIN, -1 = error with errno) and the time taken in *took. */
static ssize_t read_to_end(int fd, uint64_t ms, size_t *got, char *first, size_t first_cap,
                           uint64_t *took)
{
    uint64_t t0 = now_ms(), deadline = t0 + ms;
    uint8_t buf[4096];
    *got = 0;
    ssize_t r;
    for (;;) {
        r = recv(fd, buf, sizeof buf, 0);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && now_ms() < deadline)
                continue;
            break;
        }
        size_t keep = *got < first_cap - 1 ? first_cap - 1 - *got : 0;
        if (keep > (size_t)r)
            keep = (size_t)r;
        memcpy(first + *got, buf, keep);
        first[*got + keep] = '\0';
        *got += (size_t)r;
        if (now_ms() >= deadline)
            break;
    }
    *took = now_ms() - t0;
    return r;
}

static bool check_plaintext(void)
{
    int fd = tcp_connect();
    if (fd < 0)
        return false;
    char req[512];
    int len = snprintf(req, sizeof req,
                       "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                       "Sec-WebSocket-Version: 13\r\n\r\n",
                       g_hostport);
    bool ok = false;
    if (send(fd, req, (size_t)len, MSG_NOSIGNAL) != len) {
        fail("send: %s", strerror(errno));
        goto out;
    }
    size_t got;
    char first[64] = "";
    uint64_t took;
    ssize_t r = read_to_end(fd, IO_MS, &got, first, sizeof first, &took);
    if (strncmp(first, "HTTP/", 5) == 0) {
        fail("the TLS port answered in plain HTTP: '%.20s'", first);
        goto out;
    }
    if (r != 0) {
        fail("want the connection ended with a FIN, got %s after %llu ms",
             r < 0 ? strerror(errno) : "more data", (unsigned long long)took);
        goto out;
    }
    if (took > PROMPT_MS) {
        fail("the connection ended only after %llu ms (want < %d)", (unsigned long long)took,
             PROMPT_MS);
        goto out;
    }
    ok = true;
out:
    close(fd);
    return ok;
}

/* Stop mid-handshake: after a real ClientHello (hello = true) or before any byte. The
 * server must drop the connection at its handshake timeout. */
static bool check_stall(bool hello)
{
    int fd = tcp_connect();
    if (fd < 0)
        return false;
    uint64_t limit = (uint64_t)(g_hs_timeout * 3000);
    set_timeout(fd, limit + 1000);
    bool ok = false;
    SSL *ssl = NULL;
    if (hello) {
        /* the ClientHello from a session on memory BIOs, sent by hand */
        ssl = SSL_new(g_ctx);
        BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
        if (!ssl || !rb || !wb) {
            BIO_free(rb);
            BIO_free(wb);
            fail("cannot build a ClientHello");
            goto out;
        }
        SSL_set_bio(ssl, rb, wb);
        SSL_set_connect_state(ssl);
        SSL_do_handshake(ssl); /* wants to read the ServerHello: the hello is in wb */
        char *p = NULL;
        long n = BIO_get_mem_data(wb, &p);
        if (n <= 0 || send(fd, p, (size_t)n, MSG_NOSIGNAL) != n) {
            fail("cannot send the ClientHello");
            goto out;
        }
    }
    size_t got;
    char first[8];
    uint64_t took;
    ssize_t r = read_to_end(fd, limit + 1000, &got, first, sizeof first, &took);
    if (r > 0 || (r < 0 && errno != ECONNRESET)) {
        fail("not dropped within %llu ms", (unsigned long long)limit);
        goto out;
    }
    if (took < (uint64_t)(g_hs_timeout * 800) || took > limit) {
        fail("dropped after %llu ms; the handshake timeout is %.0f ms", (unsigned long long)took,
             g_hs_timeout * 1000);
        goto out;
    }
    if (hello && got == 0) {
        fail("no ServerHello before the drop");
        goto out;
    }
    ok = true;
out:
    SSL_free(ssl);
    close(fd);
    return ok;
}

/* TLS 1.2 is the oldest version served: a client that offers only TLS 1.1 must be
 * refused by the server (a protocol_version alert), not by its own library. */
static bool check_tls11_refused(void)
{
    SSL_CTX *old = SSL_CTX_new(TLS_client_method());
    if (!old)
        return fail("SSL_CTX_new: %s", ssl_reason());
    SSL_CTX_set_security_level(old, 0); /* let this library speak TLS 1.1 at all */
    SSL_CTX_set_min_proto_version(old, TLS1_1_VERSION);
    SSL_CTX_set_max_proto_version(old, TLS1_1_VERSION);
    SSL_CTX_set_verify(old, SSL_VERIFY_NONE, NULL);
    bool ok = false;
    SSL *ssl = NULL;
    int fd = tcp_connect();
    if (fd < 0)
        goto out;
    ERR_clear_error();
    ssl = SSL_new(old);
    if (!ssl || SSL_set_fd(ssl, fd) != 1) {
        fail("SSL_new: %s", ssl_reason());
        goto out;
    }
    if (SSL_connect(ssl) == 1) {
        fail("the server accepted %s", SSL_get_version(ssl));
        goto out;
    }
    if (!strstr(ssl_reason(), "alert protocol version")) {
        fail("want the server's protocol_version alert, got: %s", ssl_reason());
        goto out;
    }
    ok = true;
out:
    SSL_free(ssl);
    if (fd >= 0)
        close(fd);
    SSL_CTX_free(old);
    return ok;
}

static bool check_stall_hello(void)
{
    return check_stall(true);
}

static bool check_stall_silent(void)
{
    return check_stall(false);
}

/* ------------------------------------------------------------ idle memory */

static long vm_rss_kib(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

static int run_idle(unsigned n, int pid)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (uint64_t)n + WARMUP_CONNS + 64 > (uint64_t)rl.rlim_cur) {
        unsigned was = n;
        n = (unsigned)rl.rlim_cur - WARMUP_CONNS - 64;
        printf("idle TLS: descriptor limit %llu: %u connections instead of %u\n",
               (unsigned long long)rl.rlim_cur, n, was);
    }
    unsigned total = n + WARMUP_CONNS;
    struct client *cs = calloc(total, sizeof *cs);
    if (!cs) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    int rc = 1;
    long before = 0;
    unsigned opened = 0;
    uint64_t t0 = now_ms();
    for (; opened < total; opened++) {
        if (opened == WARMUP_CONNS)
            before = vm_rss_kib(pid); /* one-time costs (OpenSSL tables, arenas) are paid */
        if (!tls_open(&cs[opened]) || !ws_open(&cs[opened])) {
            printf("FAIL idle TLS: connection %u: %s\n", opened + 1, g_why);
            client_free(&cs[opened]);
            goto out;
        }
        /* the client keeps only what it needs to echo later */
        SSL_set_mode(cs[opened].ssl, SSL_MODE_RELEASE_BUFFERS);
    }
    uint64_t took = now_ms() - t0;
    long after = vm_rss_kib(pid);
    printf("idle TLS: %u connections (TLS handshake + opening handshake) in %.2f s\n", total,
           (double)took / 1000);
    if (before > 0 && after > 0)
        printf("idle TLS: server VmRSS %ld -> %ld KiB for %u more idle TLS connections: "
               "%.0f bytes per connection\n",
               before, after, n, (double)(after - before) * 1024.0 / n);
    else
        printf("idle TLS: server memory unreadable (pid %d)\n", pid);
    for (unsigned i = 0; i < SAMPLE && i < total; i++) {
        struct client *c = &cs[(uint64_t)i * total / SAMPLE];
        static const char msg[] = "still here";
        if (!echo(c, WS_OP_TEXT, (const uint8_t *)msg, sizeof msg - 1)) {
            printf("FAIL idle TLS: a held connection does not echo: %s\n", g_why);
            goto out;
        }
    }
    printf("idle TLS: a sample of %d held connections still echoes\n", SAMPLE);
    rc = 0;
out:
    /* a Close each, not waited for: the server is not left to time them out */
    for (unsigned i = 0; i < opened; i++) {
        if (cs[i].ws_ready && ws_conn_state(&cs[i].ws) == WS_OPEN &&
            ws_conn_close(&cs[i].ws, 1000, NULL, 0) == WS_E_OK)
            flush(&cs[i]);
        client_free(&cs[i]);
    }
    free(cs);
    return rc;
}

/* ------------------------------------------------------------ main */

static bool parse_url(const char *url)
{
    if (strncmp(url, "wss://", 6) != 0)
        return false;
    const char *p = url + 6, *end = p + strcspn(p, "/"), *colon;
    if (*p == '[') {
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (!rb || rb[1] != ':')
            return false;
        snprintf(g_host, sizeof g_host, "%.*s", (int)(rb - p - 1), p + 1);
        colon = rb + 1;
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
        if (!colon)
            return false;
        snprintf(g_host, sizeof g_host, "%.*s", (int)(colon - p), p);
    }
    char port[8];
    snprintf(port, sizeof port, "%.*s", (int)(end - colon - 1), colon + 1);
    snprintf(g_hostport, sizeof g_hostport, "%.*s", (int)(end - p), p);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(g_host, port, &hints, &res) != 0 || !res)
        return false;
    memcpy(&g_addr, res->ai_addr, res->ai_addrlen);
    g_addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    unsigned char a[sizeof(struct in6_addr)];
    g_host_is_ip = inet_pton(AF_INET, g_host, a) == 1 || inet_pton(AF_INET6, g_host, a) == 1;
    return true;
}

static int usage(void)
{
    fprintf(stderr, "usage: itest_tls_probe wss://HOST:PORT/ --cacert FILE "
                    "[--handshake-timeout S | --idle N --pid PID]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !parse_url(argv[1]))
        return usage();
    const char *cacert = NULL;
    unsigned long idle = 0;
    long pid = 0;
    for (int i = 2; i < argc; i++) {
        char *end = NULL;
        if (!strcmp(argv[i], "--cacert") && i + 1 < argc) {
            cacert = argv[++i];
        } else if (!strcmp(argv[i], "--handshake-timeout") && i + 1 < argc) {
            g_hs_timeout = strtod(argv[++i], &end);
            if (*end || !(g_hs_timeout > 0) || g_hs_timeout > 60)
                return usage();
        } else if (!strcmp(argv[i], "--idle") && i + 1 < argc) {
            idle = strtoul(argv[++i], &end, 10);
            if (*end || idle == 0 || idle > 100000)
                return usage();
        } else if (!strcmp(argv[i], "--pid") && i + 1 < argc) {
            pid = strtol(argv[++i], &end, 10);
            if (*end || pid <= 0)
                return usage();
        } else {
            return usage();
        }
    }
    if (!cacert)
        return usage();
    signal(SIGPIPE, SIG_IGN); /* a server that hung up is an error to report, not a kill */
    g_ctx = SSL_CTX_new(TLS_client_method());
    static const unsigned char alpn[] = "\x08http/1.1";
    if (!g_ctx || SSL_CTX_load_verify_locations(g_ctx, cacert, NULL) != 1 ||
        SSL_CTX_set_alpn_protos(g_ctx, alpn, sizeof alpn - 1) != 0) {
        fprintf(stderr, "itest_tls_probe: --cacert %s: %s\n", cacert, ssl_reason());
        return 2;
    }
    SSL_CTX_set_verify(g_ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_min_proto_version(g_ctx, TLS1_2_VERSION);
    int rc;
    if (idle) {
        rc = run_idle((unsigned)idle, (int)pid);
    } else {
        static const struct {
            const char *name;
            bool (*run)(void);
        } checks[] = {{"tls-echo", check_tls_echo},         {"tls11-refused", check_tls11_refused},
                      {"plaintext", check_plaintext},       {"stall-hello", check_stall_hello},
                      {"stall-silent", check_stall_silent}, {"survives", check_tls_echo}};
        for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
            g_why[0] = '\0';
            ERR_clear_error();
            if (checks[i].run()) {
                printf("PASS %s\n", checks[i].name);
            } else {
                printf("FAIL %s: %s\n", checks[i].name, g_why);
                g_failed++;
            }
            fflush(stdout);
        }
        rc = g_failed ? 1 : 0;
    }
    SSL_CTX_free(g_ctx);
    return rc;
}

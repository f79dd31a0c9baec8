/*
 * peer_target.c - ws:// and wss:// URLs: parsing, resolving, and a first probe so that
 * a run against a target that cannot be reached, or whose TLS certificate does not
 * verify, ends at once with one line saying why (exit 2), instead of hundreds of
 * identical failures. The probe goes through peer_io like the sessions do, with poll()
 * and one deadline for TCP connect, TLS handshake and opening handshake together.
 */
#define _GNU_SOURCE
#include "peer.h"

#include "ws_conn.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int peer_target_parse(const char *url, struct peer_target *t, char *err, size_t err_len)
{
    memset(t, 0, sizeof *t);
    if (strlen(url) >= sizeof t->url) {
        snprintf(err, err_len, "URL longer than %zu bytes", sizeof t->url - 1);
        return -1;
    }
    snprintf(t->url, sizeof t->url, "%s", url);
    const char *p = url;
    if (strncmp(p, "ws://", 5) == 0) {
        p += 5;
    } else if (strncmp(p, "wss://", 6) == 0) {
        p += 6;
        t->secure = true;
    } else {
        const char *colon = strstr(p, "://");
        snprintf(err, err_len,
                 "unsupported scheme '%.*s' (use ws://host[:port][/path] or wss://...)",
                 colon ? (int)(colon - p) : 0, p);
        return -1;
    }
    /* RFC 6455 3: the default port is 80 for ws and 443 for wss */
    uint16_t default_port = t->secure ? 443 : 80;
    /* authority: [v6]:port or host:port, up to the first '/' or '?' */
    const char *end = p + strcspn(p, "/?#");
    if (memchr(p, '@', (size_t)(end - p))) {
        snprintf(err, err_len, "user information in the URL is not supported");
        return -1;
    }
    const char *host = p, *host_end, *port = NULL;
    if (*p == '[') {
        host = p + 1;
        host_end = memchr(host, ']', (size_t)(end - host));
        if (!host_end) {
            snprintf(err, err_len, "unterminated IPv6 literal in '%s'", url);
            return -1;
        }
        if (host_end + 1 < end) {
            if (host_end[1] != ':') {
                snprintf(err, err_len, "expected ':' after ']' in '%s'", url);
                return -1;
            }
            port = host_end + 2;
        }
    } else {
        host_end = memchr(p, ':', (size_t)(end - p));
        if (host_end)
            port = host_end + 1;
        else
            host_end = end;
    }
    size_t hl = (size_t)(host_end - host);
    if (hl == 0 || hl >= sizeof t->host) {
        snprintf(err, err_len, "missing or overlong host in '%s'", url);
        return -1;
    }
    memcpy(t->host, host, hl);
    t->host[hl] = '\0';
    t->port = default_port;
    if (port) {
        char *e;
        errno = 0;
        unsigned long v = strtoul(port, &e, 10);
        if (e == port || e != end || errno || v == 0 || v > 65535) {
            snprintf(err, err_len, "bad port '%.*s' in '%s'", (int)(end - port), port, url);
            return -1;
        }
        t->port = (uint16_t)v;
    }
    if (*end == '#') {
        /* RFC 6455 3: "Fragment identifiers are meaningless in the context of WebSocket
         * URIs and MUST NOT be used on these URIs." */
        snprintf(err, err_len, "fragment identifiers are not allowed in WebSocket URIs");
        return -1;
    }
    if (strchr(end, '#')) {
        snprintf(err, err_len, "fragment identifiers are not allowed in WebSocket URIs");
        return -1;
    }
    if (*end == '\0')
        snprintf(t->resource, sizeof t->resource, "/");
    else if (*end == '?')
        snprintf(t->resource, sizeof t->resource, "/%.1022s", end);
    else if (strlen(end) < sizeof t->resource)
        snprintf(t->resource, sizeof t->resource, "%s", end);
    else {
        snprintf(err, err_len, "path longer than %zu bytes", sizeof t->resource - 1);
        return -1;
    }
    bool v6 = strchr(t->host, ':') != NULL;
    if (t->port == default_port)
        snprintf(t->host_header, sizeof t->host_header, v6 ? "[%s]" : "%s", t->host);
    else
        snprintf(t->host_header, sizeof t->host_header, v6 ? "[%s]:%u" : "%s:%u", t->host,
                 (unsigned)t->port);

    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%u", (unsigned)t->port);
    int rc = getaddrinfo(t->host, portstr, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, err_len, "cannot resolve '%s': %s", t->host, gai_strerror(rc));
        return -1;
    }
    memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
    t->addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void probe_random(void *ud, uint8_t *out, size_t n)
{
    uint64_t *s = ud;
    for (size_t i = 0; i < n; i++) {
        *s = *s * 6364136223846793005ull + 1442695040888963407ull;
        out[i] = (uint8_t)(*s >> 56);
    }
}

struct probe_state {
    enum ws_error result;
    bool done;
    char *agent;
    size_t agent_len;
};

static void probe_handshake(struct ws_conn *c, enum ws_error res, const char *raw, size_t len,
                            void *user)
{
    (void)c;
    struct probe_state *ps = user;
    ps->done = true;
    ps->result = res;
    struct ws_http_response resp;
    size_t used, err_at;
    if (ws_http_parse_response(raw, len, 0, &resp, &used, &err_at) == WS_E_OK) {
        const struct ws_http_header *h = ws_http_find(resp.headers, resp.n_headers, "Server", NULL);
        if (h && h->value.len) {
            size_t n = h->value.len < ps->agent_len - 1 ? h->value.len : ps->agent_len - 1;
            memcpy(ps->agent, h->value.ptr, n);
            ps->agent[n] = '\0';
        }
    }
}

/* Wait for fd to be ready for `events` until the deadline. */
static int wait_fd(int fd, short events, double deadline)
{
    for (;;) {
        double left = deadline - mono();
        if (left <= 0)
            return 0;
        struct pollfd pfd = {.fd = fd, .events = events};
        int rc = poll(&pfd, 1, (int)(left * 1000) + 1);
        if (rc < 0 && errno == EINTR)
            continue;
        return rc;
    }
}

/* The TLS handshake of the probe, bounded by its deadline. */
static int probe_tls(const struct peer_target *t, struct peer_io *io, double deadline,
                     double seconds, char *err, size_t err_len)
{
    if (!t->tls) {
        snprintf(err, err_len, "wss:// target without TLS settings");
        return -1;
    }
    char why[256];
    if (peer_io_start_tls(io, t->tls, t->host, why, sizeof why) != 0) {
        snprintf(err, err_len, "TLS with %s: %s", t->host_header, why);
        return -1;
    }
    for (;;) {
        enum peer_io_status st = peer_io_handshake(io);
        if (st == PEER_IO_DONE)
            return 0;
        if (st == PEER_IO_ERROR || st == PEER_IO_EOF) {
            peer_io_error(io, why, sizeof why);
            bool verify = strstr(why, "certificate verify failed") != NULL;
            snprintf(err, err_len, "TLS handshake with %s failed: %s%s", t->host_header, why,
                     verify ? " (--cacert FILE trusts another CA; --insecure skips the check)"
                            : "");
            return -1;
        }
        if (wait_fd(io->fd, st == PEER_IO_WANT_WRITE ? POLLOUT : POLLIN, deadline) <= 0) {
            snprintf(err, err_len, "%s did not complete the TLS handshake within %.1f s",
                     t->host_header, seconds);
            return -1;
        }
    }
}

int peer_probe(const struct peer_target *t, double seconds, char *agent, size_t agent_len,
               char *err, size_t err_len)
{
    double deadline = mono() + seconds;
    snprintf(agent, agent_len, "%s", t->host_header);
    int fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, err_len, "socket: %s", strerror(errno));
        return -1;
    }
    if (connect(fd, (const struct sockaddr *)&t->addr, t->addr_len) < 0 && errno != EINPROGRESS) {
        snprintf(err, err_len, "cannot connect to %s: %s", t->host_header, strerror(errno));
        close(fd);
        return -1;
    }
    if (wait_fd(fd, POLLOUT, deadline) <= 0) {
        snprintf(err, err_len, "cannot connect to %s: timed out after %.1f s", t->host_header,
                 seconds);
        close(fd);
        return -1;
    }
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (soerr) {
        snprintf(err, err_len, "cannot connect to %s: %s", t->host_header, strerror(soerr));
        close(fd);
        return -1;
    }
    struct peer_io io;
    peer_io_init(&io, fd);
    if (t->secure && probe_tls(t, &io, deadline, seconds, err, err_len) != 0) {
        peer_io_close(&io);
        return -1;
    }
    uint64_t seed = 0x5eed;
    struct probe_state ps = {.agent = agent, .agent_len = agent_len};
    struct ws_conn c;
    struct ws_conn_config cfg = {.role = WS_ROLE_CLIENT,
                                 .request = {.host = t->host_header, .target = t->resource},
                                 .random = probe_random,
                                 .random_ud = &seed,
                                 .user = &ps};
    cfg.cb.on_handshake = probe_handshake;
    if (ws_conn_init(&c, &cfg) != WS_E_OK) {
        snprintf(err, err_len, "cannot build the opening request");
        peer_io_close(&io);
        return -1;
    }
    int rc = -1;
    uint8_t buf[16384];
    char why[256];
    /* with TLS, a read may wait for writable and a write for readable */
    enum peer_io_status rwait = PEER_IO_WANT_READ, wwait = PEER_IO_WANT_WRITE;
    while (!ps.done) {
        const uint8_t *p;
        size_t n = ws_conn_pending(&c, &p);
        if (n) {
            size_t w = 0;
            enum peer_io_status st = peer_io_write(&io, p, n, &w);
            if (st == PEER_IO_DONE) {
                ws_conn_sent(&c, w);
                n -= w;
            } else if (st == PEER_IO_WANT_READ || st == PEER_IO_WANT_WRITE) {
                wwait = st;
            } else {
                peer_io_error(&io, why, sizeof why);
                snprintf(err, err_len, "%s closed the connection: %s", t->host_header, why);
                goto out;
            }
        }
        short events = rwait == PEER_IO_WANT_WRITE ? POLLOUT : POLLIN;
        if (n)
            events |= wwait == PEER_IO_WANT_READ ? POLLIN : POLLOUT;
        if (!peer_io_pending(&io) && wait_fd(io.fd, events, deadline) <= 0) {
            snprintf(err, err_len, "%s did not complete the opening handshake within %.1f s",
                     t->host_header, seconds);
            goto out;
        }
        size_t r = 0;
        enum peer_io_status st = peer_io_read(&io, buf, sizeof buf, &r);
        if (st == PEER_IO_DONE) {
            rwait = PEER_IO_WANT_READ;
            ws_conn_recv(&c, buf, r);
        } else if (st == PEER_IO_WANT_READ || st == PEER_IO_WANT_WRITE) {
            rwait = st;
        } else if (st == PEER_IO_EOF) {
            snprintf(err, err_len, "%s closed the connection during the opening handshake",
                     t->host_header);
            goto out;
        } else {
            peer_io_error(&io, why, sizeof why);
            /* TLS 1.3: a server that wants a client certificate says so only now, after
             * our side of the TLS handshake completed */
            bool tls_alert = io.ssl && strstr(why, "alert") != NULL;
            snprintf(err, err_len, "%s %s during the opening handshake: %s%s", t->host_header,
                     tls_alert ? "ended the TLS session" : "failed", why,
                     tls_alert && strstr(why, "certificate")
                         ? " (--cert FILE --key FILE send a client certificate)"
                         : "");
            goto out;
        }
    }
    if (ps.result != WS_E_OK) {
        snprintf(err, err_len, "%s refused the WebSocket handshake: %s (RFC 6455 section %s)",
                 t->host_header, ws_error_text(ps.result), ws_error_section(ps.result));
        goto out;
    }
    /* say goodbye properly; the reply is not waited for */
    ws_conn_close(&c, 1001, "probe", 5);
    const uint8_t *p;
    size_t n = ws_conn_pending(&c, &p), w;
    if (n && peer_io_write(&io, p, n, &w) != PEER_IO_DONE) {
        /* the probe succeeded; a failed goodbye changes nothing */
    }
    rc = 0;
out:
    ws_conn_free(&c);
    peer_io_close(&io);
    return rc;
}

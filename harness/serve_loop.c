/*
 * serve_loop.c - `wsspec serve`'s listener and connections: one epoll loop (loop.c)
 * for every client connection at once. Each connection has an explicit phase
 * (serve_int.h, enum serve_phase) entered in one place, enter():
 *
 *   HEAD    the request head is read: at most SERVE_HEAD_MAX bytes within
 *           SERVE_HEAD_TIMEOUT; then its request-target is read as the URL protocol
 *           (serve_url.h) and the connection goes on as one of:
 *   CASE    runCase: a session (session_adopt) runs the case with wsspec as the
 *           server; the bytes read so far are the script's first input
 *   WAIT    getCaseStatus of a case that is running: waits for it to end
 *   ANSWER  getCaseCount, getCaseInfo, getCaseStatus, updateReports, stopServer, and a
 *           runCase excluded for its agent: the core's server role answers 101, sends
 *           the JSON as one text message (none for the last three) and Close 1000, and
 *           wsspec closes TCP when the client's Close came or SERVE_ANSWER_TIMEOUT passed
 *   HTTP    a request the URL protocol refuses, or one connection too many: an HTTP
 *           error status with a one-line text body, then TCP closes; or a plain GET
 *           of "/": the page that runs the cases in a browser (serve_page.c)
 *
 * Over wss:// (--tls-cert) an accepted connection starts in
 *
 *   TLS     the TLS handshake (SSL_accept), within the head's deadline: one that fails
 *           (a plaintext client, an alert) or does not finish in time is closed - no
 *           case, no HTTP answer (there is no channel for one) - and said in one line
 *
 * and goes on to HEAD. Every byte of a connection, in every phase, goes through its
 * transport (transport.h): a TLS read may wait for writable and a write for readable
 * (the flags in serve_conn), and bytes OpenSSL decrypted ahead are invisible to epoll,
 * so each pass looks for them (pending_pass) and next_wake does not sleep over them.
 *
 * epoll's data pointer is either the listener's marker or a pointer into the
 * connection array (the connection, or the session inside it): which connection is
 * found by its offset in the array.
 */
#define _GNU_SOURCE
#include "serve_int.h"

#include "script.h"
#include "ws_handshake.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* At most this many reads of a connection in one pass, and accepts per pass: one busy
 * client cannot starve the others. */
#define SERVE_READS_PER_PASS 16
#define SERVE_ACCEPTS_PER_PASS 16

static char listener_marker;

static double scaled(const struct serve *S, double seconds)
{
    return seconds * S->a.scale;
}

/* ------------------------------------------------------------ the listener */

/* "HOST:PORT", "[V6]:PORT" into host and port. Returns 0 or -1. */
static int split_listen(const char *s, char *host, size_t cap, const char **port)
{
    const char *colon;
    size_t hl;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return -1;
        hl = (size_t)(close - s - 1);
        s++;
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || memchr(s, ':', (size_t)(colon - s)))
            return -1; /* an IPv6 address needs its brackets */
        hl = (size_t)(colon - s);
    }
    if (hl == 0 || hl >= cap || !colon[1])
        return -1;
    memcpy(host, s, hl);
    host[hl] = '\0';
    *port = colon + 1;
    return 0;
}

static int bind_first(struct serve *S, const struct addrinfo *ai, char *why, size_t cap)
{
    int e = 0;
    for (; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            e = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0) {
            S->lfd = fd;
            return 0;
        }
        e = errno;
        close(fd);
    }
    snprintf(why, cap, "%s", strerror(e));
    return -1;
}

/* The bound address as a ws:// URL (wss:// with TLS). */
static void bound_url(struct serve *S)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (getsockname(S->lfd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
            port = ntohs(a->sin6_port);
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
            port = ntohs(a->sin_port);
        }
    }
    snprintf(S->url, sizeof S->url, ss.ss_family == AF_INET6 ? "%s://[%s]:%u/" : "%s://%s:%u/",
             S->tls ? "wss" : "ws", host, port);
}

int serve_listen(struct serve *S)
{
    char host[CONFIG_MAX_HOST + 1], why[300];
    const char *port;
    S->lfd = -1;
    if (split_listen(S->a.listen, host, sizeof host, &port) != 0) {
        snprintf(S->trouble, sizeof S->trouble,
                 "--listen '%.200s': not HOST:PORT (IPv6 in brackets: [::1]:9001)", S->a.listen);
        return -1;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV},
                    *ai = NULL;
    int g = getaddrinfo(host, port, &hints, &ai);
    if (g != 0) {
        snprintf(S->trouble, sizeof S->trouble, "--listen '%.200s': %s", S->a.listen,
                 gai_strerror(g));
        return -1;
    }
    int rc = bind_first(S, ai, why, sizeof why);
    freeaddrinfo(ai);
    if (rc != 0) {
        snprintf(S->trouble, sizeof S->trouble, "cannot listen on %.200s: %s", S->a.listen, why);
        return -1;
    }
    bound_url(S);
    return 0;
}

/* ------------------------------------------------------------ phases */

static struct serve_conn *conn_of(struct serve *S, void *ptr)
{
    uintptr_t p = (uintptr_t)ptr, base = (uintptr_t)S->conns;
    if (p < base || p >= base + SERVE_MAX_CONNS * sizeof *S->conns)
        return NULL;
    return &S->conns[(p - base) / sizeof *S->conns];
}

static void conn_close(struct serve *S, struct serve_conn *c)
{
    if (c->io.fd >= 0)
        loop_unwatch(&S->loop, c->io.fd);
    transport_close(&c->io); /* TLS: a close_notify where the session is healthy */
    c->read_wants_write = c->write_wants_read = false;
}

/* Readable always (a hang-up shows there too); writable only while something waits for
 * it: epoll would report it at once, every pass. */
static void conn_watch(struct serve *S, struct serve_conn *c, bool out)
{
    loop_watch(&S->loop, c->io.fd, EPOLLIN | (out ? EPOLLOUT : 0), c);
}

/* The one place a connection's phase changes. FREE closes what it holds. */
static void enter(struct serve *S, struct serve_conn *c, enum serve_phase to)
{
    if (c->phase == SERVE_ANSWER && c->wc_ready && to != SERVE_ANSWER) {
        ws_conn_free(&c->wc);
        c->wc_ready = false;
    }
    c->phase = to;
    switch (to) {
    case SERVE_FREE:
        conn_close(S, c);
        break;
    case SERVE_WAIT:
        loop_unwatch(&S->loop, c->io.fd); /* not read while it waits */
        c->deadline = loop_now() + scaled(S, SERVE_STATUS_WAIT);
        break;
    case SERVE_ANSWER:
    case SERVE_HTTP:
        c->deadline = loop_now() + scaled(S, SERVE_ANSWER_TIMEOUT);
        c->read_wants_write = c->write_wants_read = false;
        conn_watch(S, c, true);
        break;
    case SERVE_HEAD:
        c->read_wants_write = c->write_wants_read = false;
        conn_watch(S, c, false);
        break;
    case SERVE_TLS:
    case SERVE_CASE:
        break;
    }
}

/* ------------------------------------------------------------ HTTP refusals */

static const char *reason_phrase(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 414:
        return "URI Too Long";
    case 431:
        return "Request Header Fields Too Large";
    default:
        return "Service Unavailable";
    }
}

/* Refuse with status and one line of text (printable ASCII: serve_url's messages are,
 * and every other line here is wsspec's own). */
static void refuse(struct serve *S, struct serve_conn *c, int status, const char *line)
{
    char body[400];
    int bn = snprintf(body, sizeof body, "%.380s\n", line);
    if (bn < 0 || (size_t)bn >= sizeof body)
        bn = (int)sizeof body - 1;
    int n = snprintf(c->http, sizeof c->http,
                     "HTTP/1.1 %d %s\r\nServer: wsspec\r\nContent-Type: text/plain; "
                     "charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
                     status, reason_phrase(status), bn, body);
    c->http_len = n > 0 && (size_t)n < sizeof c->http ? (size_t)n : 0;
    c->out = c->http;
    c->http_off = 0;
    c->drained = 0;
    enter(S, c, SERVE_HTTP);
}

/* A refusal is written, then wsspec stops sending and reads what the client still
 * sends until it closes - at most SERVE_DRAIN_MAX bytes, within the answer's deadline:
 * closing with unread bytes would reset the connection, and a client could lose the
 * refusal before it read it. */
static void http_io(struct serve *S, struct serve_conn *c)
{
    c->read_wants_write = false;
    while (c->http_off < c->http_len) {
        size_t w = 0;
        enum transport_status st = transport_write(&c->io, (const uint8_t *)c->out + c->http_off,
                                                   c->http_len - c->http_off, &w);
        if (st == TRANSPORT_WANT_WRITE || st == TRANSPORT_WANT_READ) {
            conn_watch(S, c, st == TRANSPORT_WANT_WRITE);
            return;
        }
        if (st != TRANSPORT_DONE) {
            enter(S, c, SERVE_FREE);
            return;
        }
        c->http_off += w;
        if (c->http_off == c->http_len) {
            transport_shutdown(&c->io);
            conn_watch(S, c, false);
        }
    }
    uint8_t buf[4096];
    for (int i = 0; i < SERVE_READS_PER_PASS; i++) {
        size_t got = 0;
        enum transport_status st = transport_read(&c->io, buf, sizeof buf, &got);
        if (st == TRANSPORT_WANT_READ)
            return;
        if (st == TRANSPORT_WANT_WRITE) {
            c->read_wants_write = true;
            conn_watch(S, c, true);
            return;
        }
        c->drained += got;
        if (st != TRANSPORT_DONE || c->drained > SERVE_DRAIN_MAX) {
            enter(S, c, SERVE_FREE);
            return;
        }
    }
}

/* ------------------------------------------------------------ WebSocket answers */

static void answer_handshake(struct ws_conn *wc, enum ws_error result, const char *raw, size_t len,
                             void *user)
{
    (void)raw;
    (void)len;
    struct serve_conn *c = user;
    if (result != WS_E_OK)
        return; /* the core refused the request and queued its answer */
    if (c->answer_len)
        ws_conn_send(wc, WS_OP_TEXT, (const uint8_t *)c->answer, c->answer_len);
    ws_conn_close(wc, 1000, NULL, 0);
}

static int flush_answer(struct serve_conn *c)
{
    const uint8_t *p;
    size_t n;
    c->write_wants_read = false;
    while ((n = ws_conn_pending(&c->wc, &p)) > 0) {
        size_t w = 0;
        enum transport_status st = transport_write(&c->io, p, n, &w);
        if (st == TRANSPORT_WANT_WRITE)
            return 0;
        if (st == TRANSPORT_WANT_READ) {
            c->write_wants_read = true;
            return 0;
        }
        if (st != TRANSPORT_DONE)
            return -1;
        ws_conn_sent(&c->wc, w);
    }
    return 0;
}

static void answer_io(struct serve *S, struct serve_conn *c)
{
    uint8_t buf[4096];
    c->read_wants_write = false;
    for (int i = 0; i < SERVE_READS_PER_PASS; i++) {
        size_t got = 0;
        enum transport_status st = transport_read(&c->io, buf, sizeof buf, &got);
        if (st == TRANSPORT_WANT_READ)
            break;
        if (st == TRANSPORT_WANT_WRITE) {
            c->read_wants_write = true;
            break;
        }
        if (st != TRANSPORT_DONE) {
            ws_conn_eof(&c->wc);
            break;
        }
        ws_conn_recv(&c->wc, buf, got);
    }
    const uint8_t *p;
    if (flush_answer(c) != 0 ||
        (ws_conn_state(&c->wc) == WS_CLOSED && ws_conn_pending(&c->wc, &p) == 0)) {
        if (c->then_end)
            S->ending = true;
        enter(S, c, SERVE_FREE);
        return;
    }
    conn_watch(S, c, c->read_wants_write || (ws_conn_pending(&c->wc, &p) && !c->write_wants_read));
}

/* Answer with the core's server role: 101, answer[0..len) as one text message (len 0:
 * none), Close 1000. The request head already read is the core's first input. */
static void start_answer(struct serve *S, struct serve_conn *c, const char *answer, size_t len)
{
    struct ws_conn_config wc = {.role = WS_ROLE_SERVER, .max_message = 64 * 1024};
    wc.protocols = S->protocols;
    wc.n_protocols = S->n_protocols;
    wc.pmd.disabled = true;
    wc.cb.on_handshake = answer_handshake;
    wc.user = c;
    c->answer_len = len < sizeof c->answer ? len : 0;
    memcpy(c->answer, answer, c->answer_len);
    if (ws_conn_init(&c->wc, &wc) != WS_E_OK) {
        refuse(S, c, 503, "wsspec is out of memory");
        return;
    }
    c->wc_ready = true;
    enter(S, c, SERVE_ANSWER);
    ws_conn_recv(&c->wc, c->head, c->head_len);
    answer_io(S, c);
}

/* ------------------------------------------------------------ commands */

static bool case_running(const struct serve *S, size_t agent, size_t pos)
{
    for (size_t i = 0; i < SERVE_MAX_CONNS; i++) {
        const struct serve_conn *c = &S->conns[i];
        if (c->phase == SERVE_CASE && c->agent == agent && c->pos == pos)
            return true;
    }
    return false;
}

static void status_answer(struct serve *S, struct serve_conn *c)
{
    char json[64];
    const struct case_result *r = &S->agents[c->agent].res[c->pos];
    size_t n = serve_url_status_json(r->behavior, json, sizeof json);
    start_answer(S, c, json, n);
}

static void run_case(struct serve *S, struct serve_conn *c)
{
    char err[300];
    struct script_config cfg;
    memset(&c->r, 0, sizeof c->r);
    serve_script_config(S, c->agent, c->pos, &c->r, &cfg, loop_now());
    c->phase = SERVE_CASE; /* the session owns the transport from here */
    if (session_adopt(&c->s, &S->loop, &S->bufs, &c->io, c->head, c->head_len, &cfg, loop_now(),
                      err, sizeof err) < 0) {
        result_free(&c->r);
        c->phase = SERVE_FREE;
        if (!S->trouble[0])
            snprintf(S->trouble, sizeof S->trouble, "%s", err);
    }
}

/* A command whose agent is needed: the agent's index, or -1 after refusing. */
static int agent_of(struct serve *S, struct serve_conn *c)
{
    char why[300];
    int a = serve_agent_find(S, c->req.agent, why, sizeof why);
    if (a < 0)
        refuse(S, c, 503, why);
    return a;
}

static void command(struct serve *S, struct serve_conn *c)
{
    struct serve_url_request *q = &c->req;
    char json[SERVE_ANSWER_MAX], line[400];
    size_t pos = 0;
    if (q->case_by != SERVE_CASE_NONE && serve_url_resolve(q, &S->cat, S->idx, S->n, &pos)) {
        refuse(S, c, serve_error_http_status(q->error), q->message);
        return;
    }
    int a = -1;
    if (q->agent[0] && (a = agent_of(S, c)) < 0)
        return;
    c->agent = (size_t)a;
    c->pos = pos;
    switch (q->cmd) {
    case SERVE_CMD_GET_CASE_COUNT:
        start_answer(S, c, json, serve_url_count_json(S->n, json, sizeof json));
        break;
    case SERVE_CMD_GET_CASE_INFO:
        start_answer(S, c, json,
                     serve_url_info_json(&S->cat.cases[S->idx[pos]], json, sizeof json));
        break;
    case SERVE_CMD_RUN_CASE:
        if (S->agents[a].excluded[pos])
            start_answer(S, c, "", 0); /* Autobahn: "Skipping test case", then closes */
        else
            run_case(S, c);
        break;
    case SERVE_CMD_GET_CASE_STATUS:
        if (S->agents[a].have[pos]) {
            status_answer(S, c);
        } else if (case_running(S, (size_t)a, pos)) {
            enter(S, c, SERVE_WAIT);
        } else {
            snprintf(line, sizeof line, "agent %.150s has not run case %s", q->agent,
                     S->cat.cases[S->idx[pos]].id);
            refuse(S, c, 404, line);
        }
        break;
    case SERVE_CMD_UPDATE_REPORTS:
        if (serve_write_reports(S) != 0) {
            refuse(S, c, 503, "wsspec cannot write its reports");
            S->ending = true;
            break;
        }
        c->then_end = q->shutdown_on_complete || (S->a.once && S->once_agent == (size_t)a);
        start_answer(S, c, "", 0);
        break;
    case SERVE_CMD_STOP_SERVER:
        c->then_end = true;
        start_answer(S, c, "", 0);
        break;
    case SERVE_CMD_NONE:
    case SERVE_CMD_OTHER:
        refuse(S, c, 404, q->message);
        break;
    }
}

/* ------------------------------------------------------------ the request head */

static void head_complete(struct serve *S, struct serve_conn *c, const struct ws_http_request *rq)
{
    if (S->ending) {
        refuse(S, c, 503, "wsspec serve is ending");
        return;
    }
    if (serve_page_wanted(rq)) {
        c->http_len = serve_page_response(&c->out);
        c->http_off = 0;
        c->drained = 0;
        enter(S, c, SERVE_HTTP);
        return;
    }
    if (serve_url_parse(rq->target.ptr, rq->target.len, &c->req) != SERVE_E_OK) {
        refuse(S, c, serve_error_http_status(c->req.error), c->req.message);
        return;
    }
    command(S, c);
}

static void head_io(struct serve *S, struct serve_conn *c)
{
    c->read_wants_write = false;
    for (int i = 0; i < SERVE_READS_PER_PASS && c->head_len < sizeof c->head; i++) {
        size_t got = 0;
        enum transport_status st =
            transport_read(&c->io, c->head + c->head_len, sizeof c->head - c->head_len, &got);
        if (st == TRANSPORT_WANT_READ)
            break;
        if (st == TRANSPORT_WANT_WRITE) {
            c->read_wants_write = true;
            break;
        }
        if (st != TRANSPORT_DONE) {
            enter(S, c, SERVE_FREE); /* gone before its request was complete */
            return;
        }
        c->head_len += got;
    }
    conn_watch(S, c, c->read_wants_write);
    struct ws_http_request rq;
    size_t used = 0, err_at = 0;
    enum ws_error e = ws_http_parse_request((const char *)c->head, c->head_len, sizeof c->head, &rq,
                                            &used, &err_at);
    if (e == WS_E_OK)
        head_complete(S, c, &rq);
    else if (e == WS_E_HEADERS_TOO_LARGE || (e == WS_E_INCOMPLETE && c->head_len == sizeof c->head))
        refuse(S, c, 431, "the request head is larger than wsspec reads (8 KiB)");
    else if (e != WS_E_INCOMPLETE)
        refuse(S, c, 400, "the request head is not HTTP/1.1");
}

/* ------------------------------------------------------------ TLS */

/* Why a connection ended in the TLS phase: one line (not --quiet), never a case - a
 * client that fails here (it does not trust the certificate, speaks plain HTTP) has
 * not asked for anything yet. */
static void tls_dropped(const struct serve *S, const char *why)
{
    if (!S->a.quiet)
        printf("wss: a connection closed before its request: %s\n", why);
}

/* One step of SSL_accept; when it is done, the request head is read (it may be
 * decrypted already). */
static void tls_io(struct serve *S, struct serve_conn *c)
{
    enum transport_status st = transport_handshake(&c->io);
    if (st == TRANSPORT_DONE) {
        enter(S, c, SERVE_HEAD);
        head_io(S, c);
        return;
    }
    if (st == TRANSPORT_WANT_READ || st == TRANSPORT_WANT_WRITE) {
        conn_watch(S, c, st == TRANSPORT_WANT_WRITE);
        return;
    }
    char why[160], line[200];
    transport_error(&c->io, why, sizeof why);
    snprintf(line, sizeof line, "TLS handshake failed: %s", why);
    tls_dropped(S, line);
    enter(S, c, SERVE_FREE);
}

/* ------------------------------------------------------------ accepting */

static struct serve_conn *free_conn(struct serve *S)
{
    for (size_t i = 0; i < SERVE_MAX_CONNS; i++)
        if (S->conns[i].phase == SERVE_FREE)
            return &S->conns[i];
    return NULL;
}

/* Accept what is waiting. Returns -1 on wsspec's own trouble (file descriptors). */
static int accept_some(struct serve *S)
{
    for (int i = 0; i < SERVE_ACCEPTS_PER_PASS; i++) {
        int fd = accept4(S->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                snprintf(S->trouble, sizeof S->trouble, "accept: %s", strerror(errno));
                return -1;
            }
            return 0; /* EAGAIN, or a connection that went away before it was taken */
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct serve_conn *c = free_conn(S);
        if (!c && S->tls) {
            close(fd); /* a 503 would need a TLS handshake first: the close says it */
            continue;
        }
        if (!c) {
            static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: "
                                       "0\r\nConnection: close\r\n\r\n";
            ssize_t w = send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            (void)w; /* best effort: the connection closes either way */
            close(fd);
            continue;
        }
        memset(c, 0, offsetof(struct serve_conn, head));
        transport_init(&c->io, fd);
        c->head_len = 0;
        c->then_end = false;
        c->wc_ready = false;
        c->phase = S->tls ? SERVE_TLS : SERVE_HEAD;
        c->deadline = loop_now() + scaled(S, SERVE_HEAD_TIMEOUT);
        char err[300];
        if (S->tls && transport_accept_tls(&c->io, S->tls, err, sizeof err) != 0) {
            snprintf(S->trouble, sizeof S->trouble, "%s", err);
            enter(S, c, SERVE_FREE);
            return -1;
        }
        if (loop_watch(&S->loop, fd, EPOLLIN, c) != 0) {
            snprintf(S->trouble, sizeof S->trouble, "epoll_ctl: %s", strerror(errno));
            enter(S, c, SERVE_FREE);
            return -1;
        }
        /* the client speaks first (its ClientHello, its request): nothing to do before
         * it is readable */
    }
    return 0;
}

/* ------------------------------------------------------------ the loop */

/* Cases that ended: judged, handed over; getCaseStatus waiters answered. */
static void reap(struct serve *S, double now)
{
    for (size_t i = 0; i < SERVE_MAX_CONNS; i++) {
        struct serve_conn *c = &S->conns[i];
        if (c->phase != SERVE_CASE)
            continue;
        session_pass(&c->s, now);
        if (!session_done(&c->s))
            continue;
        session_finish(&c->s, now);
        c->phase = SERVE_FREE;
        serve_case_done(S, c->agent, c->pos, &c->r);
        for (size_t k = 0; k < SERVE_MAX_CONNS; k++) {
            struct serve_conn *w = &S->conns[k];
            if (w->phase == SERVE_WAIT && w->agent == c->agent && w->pos == c->pos &&
                S->agents[w->agent].have[w->pos])
                status_answer(S, w);
        }
    }
}

static void expire(struct serve *S, double now)
{
    for (size_t i = 0; i < SERVE_MAX_CONNS; i++) {
        struct serve_conn *c = &S->conns[i];
        if (c->phase == SERVE_TLS && now >= c->deadline) {
            char line[80];
            snprintf(line, sizeof line, "the TLS handshake did not finish within %g s",
                     scaled(S, SERVE_HEAD_TIMEOUT));
            tls_dropped(S, line);
            enter(S, c, SERVE_FREE);
        } else if (c->phase == SERVE_HEAD && now >= c->deadline) {
            char line[80]; /* the deadline as --timeout-scale made it */
            snprintf(line, sizeof line, "the request head did not arrive within %g s",
                     scaled(S, SERVE_HEAD_TIMEOUT));
            refuse(S, c, 408, line);
        } else if (c->phase == SERVE_WAIT && now >= c->deadline)
            refuse(S, c, 503, "the case did not end in time");
        else if ((c->phase == SERVE_ANSWER || c->phase == SERVE_HTTP) && now >= c->deadline)
            enter(S, c, SERVE_FREE);
    }
}

/* Whether a connection would read now and OpenSSL holds decrypted bytes for it. An HTTP
 * answer reads only once it is written (a client that sends and does not read must not
 * make the loop spin while the socket is full). */
static bool reads_pending(const struct serve_conn *c)
{
    bool reads = c->phase == SERVE_HEAD || c->phase == SERVE_ANSWER ||
                 (c->phase == SERVE_HTTP && c->http_off == c->http_len);
    return reads && transport_pending(&c->io) > 0;
}

/* Bytes OpenSSL decrypted ahead of a connection's reads (a pass reads at most
 * SERVE_READS_PER_PASS times): epoll cannot see them, so they are read here. A case's
 * session does the same in session_pass; WAIT reads nothing. */
static void pending_pass(struct serve *S)
{
    for (size_t i = 0; i < SERVE_MAX_CONNS; i++) {
        struct serve_conn *c = &S->conns[i];
        if (!reads_pending(c))
            continue;
        if (c->phase == SERVE_HEAD)
            head_io(S, c);
        else if (c->phase == SERVE_ANSWER)
            answer_io(S, c);
        else if (c->phase == SERVE_HTTP)
            http_io(S, c);
    }
}

static double next_wake(const struct serve *S, double now)
{
    double d = now + 1.0;
    if (S->t_end > 0 && S->t_end < d)
        d = S->t_end;
    for (size_t i = 0; i < SERVE_MAX_CONNS; i++) {
        const struct serve_conn *c = &S->conns[i];
        double w = c->phase == SERVE_CASE   ? session_wake(&c->s, now)
                   : c->phase != SERVE_FREE ? c->deadline
                                            : 0;
        if (reads_pending(c))
            w = now; /* decrypted bytes wait: pending_pass reads them */
        if (w > 0 && w < d)
            d = w;
    }
    return d;
}

static void dispatch(struct serve *S, const struct epoll_event *ev, double now)
{
    if (ev->data.ptr == &listener_marker)
        return; /* accepted below */
    struct serve_conn *c = conn_of(S, ev->data.ptr);
    if (!c)
        return;
    switch (c->phase) {
    case SERVE_TLS:
        tls_io(S, c);
        break;
    case SERVE_HEAD:
        head_io(S, c);
        break;
    case SERVE_CASE:
        session_on_io(&c->s, ev->events, now);
        break;
    case SERVE_ANSWER:
        answer_io(S, c);
        break;
    case SERVE_HTTP:
        http_io(S, c);
        break;
    case SERVE_WAIT:
    case SERVE_FREE:
        break;
    }
}

/* Whether the server is done: stopped, timed out, or ending with no answer left. */
static bool finished(struct serve *S, double now, volatile sig_atomic_t *stop)
{
    if (*stop || S->trouble[0])
        return true;
    if (S->t_end > 0 && now >= S->t_end) {
        S->timed_out = true;
        return true;
    }
    if (S->a.once && S->once_agent != SIZE_MAX &&
        now >= S->agents[S->once_agent].done_at + scaled(S, SERVE_ONCE_LINGER))
        return true;
    if (!S->ending)
        return false;
    for (size_t i = 0; i < SERVE_MAX_CONNS; i++)
        if (S->conns[i].phase == SERVE_ANSWER || S->conns[i].phase == SERVE_HTTP)
            return false;
    return true;
}

int serve_loop_run(struct serve *S, volatile sig_atomic_t *stop)
{
    struct epoll_event evs[64];
    char err[300];
    if (loop_watch(&S->loop, S->lfd, EPOLLIN, &listener_marker) != 0) {
        snprintf(S->trouble, sizeof S->trouble, "epoll_ctl: %s", strerror(errno));
        return -1;
    }
    for (;;) {
        double now = loop_now();
        if (finished(S, now, stop))
            break;
        double wake = next_wake(S, now);
        int n = loop_wait(&S->loop, wake > now ? wake - now : 0, evs, 64, err, sizeof err);
        if (n < 0) {
            snprintf(S->trouble, sizeof S->trouble, "%s", err);
            return -1;
        }
        now = loop_now();
        bool incoming = false;
        for (int i = 0; i < n; i++) {
            incoming = incoming || evs[i].data.ptr == &listener_marker;
            dispatch(S, &evs[i], now);
        }
        if (incoming && accept_some(S) != 0)
            return -1;
        pending_pass(S);
        reap(S, now);
        expire(S, now);
    }
    return S->trouble[0] ? -1 : 0;
}

/* Every connection closed. A case still running is abandoned; when --timeout ended the
 * server it is FAILED as cut short (serve_case_cut), else (stopServer, a signal, our own
 * trouble) it has no verdict. */
void serve_loop_free(struct serve *S)
{
    if (!S->conns)
        return;
    for (size_t i = 0; i < SERVE_MAX_CONNS; i++) {
        struct serve_conn *c = &S->conns[i];
        if (c->phase == SERVE_CASE) {
            if (S->timed_out)
                serve_case_cut(S, c->agent, c->pos);
            session_abandon(&c->s);
            result_free(&c->r);
            c->phase = SERVE_FREE;
        } else if (c->phase != SERVE_FREE) {
            enter(S, c, SERVE_FREE);
        }
    }
    if (S->lfd >= 0)
        close(S->lfd);
    S->lfd = -1;
}

/*
 * load_run.c - the engine of `wsspec load`: N client connections on one epoll loop.
 *
 * Each connection moves through one phase enum (WAITING -> CONNECTING -> TLS ->
 * UPGRADE -> OPEN -> CLOSING -> DONE) and every phase but OPEN has a deadline
 * (--timeout). In OPEN the deadline is progress: while messages are outstanding an echo
 * (soak: a pong) must arrive within --timeout of the previous one, else the connection
 * is a stall. The WebSocket side is the core's client (ws_conn): it masks, checks the
 * 101, reassembles and enforces RFC 6455, so a target that breaks a rule shows up as a
 * protocol error and not as a wrong echo.
 *
 * Connections start on a ramp (connection i at i / --ramp seconds, at most
 * LOAD_CONNECTS_IN_FLIGHT connects outstanding), never in one burst a backlog drops.
 *
 * Closed loop: `pipeline` messages in flight per connection; each echo sends the next;
 * latency = echo time - send time. Open loop: connection i sends message k at its
 * intended time (its open time + k * connections / rate); latency = echo time -
 * intended time, so a send that is late because the target is slow (or the output
 * queue full) counts its lateness: no coordinated omission. A tick (1 ms in open loop)
 * drives the schedule; the schedule's granularity is that tick.
 *
 * Every echo is compared with what was sent: type, length and every byte. A message
 * carries its connection and sequence number in its first 16 bytes (hex) and a fixed
 * seeded pattern after them, so the comparison needs no copy of what was sent; echoes
 * are compared as they stream in (the core's stream_messages), never collected whole.
 *
 * Bounds: descriptors are counted before the run (load_cmd.c); output per connection
 * is the core's max_output; the whole run ends by a deadline computed from the ramp,
 * --duration (or --messages at --rate) and --timeout.
 */
#define _GNU_SOURCE
#include "load.h"

#include "loop.h"
#include "transport.h"
#include "ws_conn.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOAD_CONNECTS_IN_FLIGHT 512 /* well below common listen backlogs */
#define LOAD_TAG 16                 /* bytes of the per-message tag */
#define LOAD_READ_BUF (64 * 1024)
#define LOAD_READS_PER_EVENT 16 /* fairness: a fast connection does not starve others */
#define LOAD_EVENTS 256

enum load_phase { LP_WAITING = 0, LP_CONNECTING, LP_TLS, LP_UPGRADE, LP_OPEN, LP_CLOSING, LP_DONE };

struct load_engine;

struct load_conn {
    struct load_engine *e;
    uint32_t id;
    enum load_phase phase;
    struct transport io;
    struct ws_conn ws;
    bool ws_live;     /* ws initialised */
    bool failed;      /* an error was counted: do not count another */
    bool echo_bad;    /* the echo being received differs already */
    uint32_t watched; /* current epoll interest, 0 = not watched */
    double deadline;  /* of the phase (not OPEN) */
    double opened_at; /* OPEN since */
    double progress;  /* OPEN: last echo, or when the first outstanding one was sent */
    uint64_t quota;   /* messages to send; UINT64_MAX = until the duration ends */
    uint64_t sent, received;
    double *sent_at; /* closed loop: ring of `pipeline` send times; soak: one */
    double next_ping;
};

struct load_engine {
    const struct load_config *cfg;
    struct load_result *r;
    struct loop loop;
    struct load_conn *conns;
    uint32_t next_start; /* connections started so far */
    uint32_t connecting; /* in CONNECTING/TLS/UPGRADE */
    uint32_t done;       /* in DONE */
    double start, stop_sending, hard_deadline, last_echo;
    double per_conn_gap; /* open loop: seconds between messages of one connection */
    uint8_t *pattern;    /* `size` bytes: the message after its tag */
    uint8_t *scratch;    /* a message being sent */
    uint8_t *rbuf;
    uint64_t rng;
    char *err;
    size_t err_len;
    bool own_trouble;
    bool announced; /* soak: the all-open line is printed */
    char why[160];  /* detail of the error about to be counted, "" = none */
};

const char *load_error_key(enum load_error e)
{
    static const char *const keys[] = {
#define LOAD_ERROR(name, key, text) key,
#include "load_errors.def"
#undef LOAD_ERROR
    };
    return (unsigned)e < LOAD_ERR_COUNT ? keys[e] : "?";
}

uint64_t load_errors_total(const struct load_result *r)
{
    uint64_t n = 0;
    for (size_t i = 0; i < LOAD_ERR_COUNT; i++)
        n += r->errors[i];
    return n;
}

double load_msgs_per_s(const struct load_result *r)
{
    return r->elapsed > 0 ? (double)r->echoed / r->elapsed : 0;
}

double load_mb_per_s(const struct load_result *r)
{
    return r->elapsed > 0 ? (double)r->bytes_echoed / r->elapsed / 1e6 : 0;
}

double load_echoes_per_cpu_s(const struct load_result *r)
{
    return r->server_pid && r->server_cpu > 0 ? (double)r->echoed / r->server_cpu : 0;
}

static void seeded_random(void *ud, uint8_t *out, size_t n)
{
    uint64_t *s = ud;
    for (size_t i = 0; i < n; i++) {
        *s = *s * 6364136223846793005ull + 1442695040888963407ull;
        out[i] = (uint8_t)(*s >> 56);
    }
}

/* ------------------------------------------------------------ the series */

static struct load_point *series_point(struct load_result *r, double t)
{
    size_t i = t > 0 ? (size_t)(t / r->point_interval) : 0;
    while (i >= LOAD_SERIES_MAX) { /* halve the resolution: pairs of points become one */
        for (size_t k = 0; k < LOAD_SERIES_MAX / 2; k++) {
            struct load_point *a = &r->points[2 * k], *b = &r->points[2 * k + 1];
            struct load_point m = {a->count + b->count,
                                   a->max_us > b->max_us ? a->max_us : b->max_us,
                                   a->errors + b->errors, a->sum_us + b->sum_us, a->hist};
            for (size_t h = 0; h < LOAD_COARSE_N; h++)
                load_coarse_add(&m.hist, h, b->hist.counts[h]);
            r->points[k] = m;
        }
        memset(&r->points[LOAD_SERIES_MAX / 2], 0, (LOAD_SERIES_MAX / 2) * sizeof r->points[0]);
        r->point_interval *= 2;
        r->n_points = (r->n_points + 1) / 2;
        i = (size_t)(t / r->point_interval);
    }
    if (i + 1 > r->n_points)
        r->n_points = i + 1;
    return &r->points[i];
}

static void record_latency(struct load_engine *e, double now, double since)
{
    double us = (now - since) * 1e6;
    uint64_t v = us > 0 ? (uint64_t)us : 0;
    load_hist_record(&e->r->hist, v);
    struct load_point *p = series_point(e->r, now - e->start);
    p->count++;
    p->sum_us += (double)v;
    load_coarse_add(&p->hist, load_coarse_index(v), 1);
    if (v > p->max_us)
        p->max_us = v;
    e->last_echo = now;
}

/* Count error `k` for c, once per connection for the kinds that end it. */
static void count_error(struct load_conn *c, enum load_error k, double now)
{
    struct load_engine *e = c->e;
    if (!e->r->first_error[0])
        snprintf(e->r->first_error, sizeof e->r->first_error, "%s on connection %u%s%s",
                 load_error_key(k), c->id + 1, e->why[0] ? ": " : "", e->why);
    e->why[0] = '\0';
    e->r->errors[k]++;
    series_point(e->r, now - e->start)->errors++;
}

/* ------------------------------------------------------------ messages */

/* The tag: connection and sequence number as 16 hex digits (printable for TEXT). */
static void make_tag(uint32_t id, uint64_t seq, uint8_t tag[LOAD_TAG])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t v = ((uint64_t)id << 40) ^ seq;
    for (int i = LOAD_TAG - 1; i >= 0; i--, v >>= 4)
        tag[i] = (uint8_t)hex[v & 15];
}

static size_t tag_len(const struct load_engine *e)
{
    return e->cfg->size < LOAD_TAG ? e->cfg->size : LOAD_TAG;
}

/* Whether the slice data[0..len) at offset `at` of the echo being received is what was
 * sent there. Echoes stream in (the core's stream_messages): no message is collected,
 * a 64 MiB echo costs no 64 MiB buffer and no copy. */
static bool slice_matches(const struct load_conn *c, const uint8_t *data, size_t len, uint64_t at)
{
    const struct load_engine *e = c->e;
    if (at > e->cfg->size || len > e->cfg->size - at)
        return false;
    size_t t = tag_len(e), i = 0;
    if (at < t) {
        uint8_t tag[LOAD_TAG];
        make_tag(c->id, c->received, tag);
        for (; i < len && at + i < t; i++)
            if (data[i] != tag[at + i])
                return false;
    }
    return memcmp(data + i, e->pattern + at + i, len - i) == 0;
}

static bool open_loop(const struct load_engine *e)
{
    return e->cfg->mode == LOAD_OPEN;
}

static uint64_t in_flight(const struct load_conn *c)
{
    return c->sent - c->received;
}

/* Whether c may send another message now (not counting the window). */
static bool may_send(const struct load_conn *c, double now)
{
    const struct load_engine *e = c->e;
    if (c->phase != LP_OPEN || c->sent >= c->quota || now >= e->stop_sending ||
        (e->cfg->stop && *e->cfg->stop))
        return false;
    return !c->ws.close.sent;
}

static bool send_one(struct load_conn *c, double now)
{
    struct load_engine *e = c->e;
    uint8_t tag[LOAD_TAG];
    make_tag(c->id, c->sent, tag);
    memcpy(e->scratch, tag, tag_len(e));
    enum ws_error rc =
        ws_conn_send(&c->ws, e->cfg->text ? WS_OP_TEXT : WS_OP_BINARY, e->scratch, e->cfg->size);
    if (rc != WS_E_OK)
        return false; /* output full: retried on the next tick or echo */
    if (in_flight(c) == 0)
        c->progress = now;
    if (c->sent_at)
        c->sent_at[c->sent % e->cfg->pipeline] = now;
    c->sent++;
    e->r->sent++;
    return true;
}

/* Send what the mode allows now. */
static void send_due(struct load_conn *c, double now)
{
    struct load_engine *e = c->e;
    if (e->cfg->mode == LOAD_SOAK) {
        if (c->phase != LP_OPEN || c->ws.close.sent || now < c->next_ping || in_flight(c) > 0 ||
            now >= e->stop_sending || (e->cfg->stop && *e->cfg->stop))
            return;
        uint8_t seq[8];
        for (int i = 0; i < 8; i++)
            seq[i] = (uint8_t)(c->sent >> (8 * i));
        if (ws_conn_send(&c->ws, WS_OP_PING, seq, sizeof seq) != WS_E_OK)
            return;
        c->sent_at[0] = now;
        c->progress = now;
        c->sent++;
        e->r->sent++;
        c->next_ping = now + e->cfg->interval;
        return;
    }
    while (may_send(c, now)) {
        if (open_loop(e)) {
            if (now < c->opened_at + (double)c->sent * e->per_conn_gap ||
                in_flight(c) >= LOAD_OPEN_INFLIGHT)
                return;
        } else if (in_flight(c) >= e->cfg->pipeline) {
            return;
        }
        if (!send_one(c, now))
            return;
    }
}

/* ------------------------------------------------------------ I/O */

static int watch(struct load_conn *c, uint32_t events)
{
    if (c->watched == events)
        return 0;
    if (loop_watch(&c->e->loop, c->io.fd, events, c) != 0) {
        snprintf(c->e->err, c->e->err_len, "epoll_ctl: %s", strerror(errno));
        c->e->own_trouble = true;
        return -1;
    }
    c->watched = events;
    return 0;
}

static void conn_finish(struct load_conn *c)
{
    struct load_engine *e = c->e;
    if (c->phase == LP_DONE)
        return;
    if (c->phase >= LP_CONNECTING && c->phase <= LP_UPGRADE)
        e->connecting--;
    if (c->io.fd >= 0) {
        loop_unwatch(&e->loop, c->io.fd);
        c->watched = 0;
    }
    transport_close(&c->io);
    if (c->ws_live)
        ws_conn_free(&c->ws);
    c->ws_live = false;
    free(c->sent_at);
    c->sent_at = NULL;
    c->phase = LP_DONE;
    e->done++;
}

/* The target ended c (or broke it) with error k. */
static void conn_fail(struct load_conn *c, enum load_error k, double now)
{
    if (c->phase == LP_DONE)
        return;
    if (!c->failed) {
        c->failed = true;
        count_error(c, k, now);
        if (c->phase == LP_OPEN || c->phase == LP_CLOSING)
            c->e->r->lost++;
    }
    conn_finish(c);
}

/* Write what the core has queued; keep the epoll interest in step. */
static void flush(struct load_conn *c, double now)
{
    if (c->phase == LP_DONE)
        return;
    for (int i = 0; i < 64; i++) {
        const uint8_t *data;
        size_t len = ws_conn_pending(&c->ws, &data), n = 0;
        if (len == 0)
            break;
        enum transport_status st = transport_write(&c->io, data, len, &n);
        if (st == TRANSPORT_DONE) {
            ws_conn_sent(&c->ws, n);
            continue;
        }
        if (st == TRANSPORT_ERROR || st == TRANSPORT_EOF) {
            conn_fail(c,
                      c->phase == LP_CLOSING ? LOAD_ERR_CLOSED_BY_PEER
                      : c->phase == LP_OPEN  ? LOAD_ERR_CLOSED_BY_PEER
                                             : LOAD_ERR_CONNECT_ERROR,
                      now);
            return;
        }
        break;
    }
    const uint8_t *d;
    watch(c, EPOLLIN | (ws_conn_pending(&c->ws, &d) ? EPOLLOUT : 0u));
}

/* ------------------------------------------------------------ core callbacks */

static double now_of(void)
{
    return loop_now();
}

static void on_handshake(struct ws_conn *ws, enum ws_error result, const char *raw, size_t len,
                         void *user)
{
    (void)ws;
    struct load_conn *c = user;
    struct load_engine *e = c->e;
    double now = now_of();
    if (result != WS_E_OK) { /* the core is CLOSED now: conn_read ends c */
        c->failed = true;
        snprintf(e->why, sizeof e->why, "%s", ws_error_text(result));
        count_error(c, LOAD_ERR_HANDSHAKE, now);
        return;
    }
    e->connecting--;
    c->phase = LP_OPEN;
    c->opened_at = now;
    c->progress = now;
    c->next_ping = now + e->cfg->interval;
    e->r->opened++;
    if (!e->r->server[0]) { /* the Server header of the first 101, for the report */
        struct ws_http_response resp;
        size_t used = 0, at = 0;
        if (ws_http_parse_response(raw, len, len, &resp, &used, &at) == WS_E_OK) {
            const struct ws_http_header *h =
                ws_http_find(resp.headers, resp.n_headers, "Server", NULL);
            if (h)
                snprintf(e->r->server, sizeof e->r->server, "%.*s", (int)h->value.len,
                         h->value.ptr);
            /* ASCII only: the reports are UTF-8 (JSON) and the header could be anything */
            for (char *p = e->r->server; *p; p++)
                if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
                    *p = '?';
        }
    }
}

static void on_message(struct ws_conn *ws, enum ws_opcode op, const uint8_t *data, size_t len,
                       void *user)
{
    (void)ws;
    struct load_conn *c = user;
    struct load_engine *e = c->e;
    double now = now_of();
    (void)data; /* NULL: the message streamed in through on_message_data */
    bool bad = c->echo_bad;
    c->echo_bad = false;
    if (e->cfg->mode == LOAD_SOAK || c->received >= c->sent) {
        snprintf(e->why, sizeof e->why, "a message nothing was sent for");
        count_error(c, LOAD_ERR_ECHO_MISMATCH, now);
        return;
    }
    if (bad || op != (e->cfg->text ? WS_OP_TEXT : WS_OP_BINARY) || len != e->cfg->size) {
        snprintf(e->why, sizeof e->why, "message %llu (%s, %zu bytes)",
                 (unsigned long long)c->received + 1, op == WS_OP_TEXT ? "text" : "binary", len);
        count_error(c, LOAD_ERR_ECHO_MISMATCH, now);
    }
    double since = open_loop(e) ? c->opened_at + (double)c->received * e->per_conn_gap
                                : c->sent_at[c->received % e->cfg->pipeline];
    record_latency(e, now, since);
    c->received++;
    c->progress = now;
    e->r->echoed++;
    e->r->bytes_echoed += len;
}

static void on_message_data(struct ws_conn *ws, enum ws_opcode op, const uint8_t *data, size_t len,
                            uint64_t offset, void *user)
{
    (void)ws;
    (void)op;
    struct load_conn *c = user;
    if (!c->echo_bad && !slice_matches(c, data, len, offset))
        c->echo_bad = true;
}

static void on_control(struct ws_conn *ws, enum ws_opcode op, const uint8_t *data, size_t len,
                       void *user)
{
    (void)ws;
    struct load_conn *c = user;
    struct load_engine *e = c->e;
    if (op != WS_OP_PONG || e->cfg->mode != LOAD_SOAK || in_flight(c) == 0)
        return; /* an unsolicited Pong is allowed (5.5.3); Pings are answered by the core */
    double now = now_of();
    uint8_t seq[8];
    for (int i = 0; i < 8; i++)
        seq[i] = (uint8_t)((c->sent - 1) >> (8 * i));
    if (len != sizeof seq || memcmp(data, seq, sizeof seq) != 0)
        count_error(c, LOAD_ERR_ECHO_MISMATCH, now);
    record_latency(e, now, c->sent_at[0]);
    c->received++;
    c->progress = now;
    e->r->echoed++;
}

static void on_close(struct ws_conn *ws, uint16_t code, const uint8_t *reason, size_t len,
                     void *user)
{
    (void)reason;
    (void)len;
    struct load_conn *c = user;
    if (!ws->close.sent && !c->failed) { /* the target closed first */
        c->failed = true;
        snprintf(c->e->why, sizeof c->e->why, "Close %u", code);
        count_error(c, LOAD_ERR_CLOSED_BY_PEER, now_of());
        c->e->r->lost++;
    }
}

static void on_violation(struct ws_conn *ws, enum ws_error err, uint64_t offset, bool rfc,
                         void *user)
{
    (void)ws;
    (void)rfc;
    struct load_conn *c = user;
    if (!c->failed && c->phase >= LP_OPEN) {
        c->failed = true;
        snprintf(c->e->why, sizeof c->e->why, "%s (at byte %llu)", ws_error_text(err),
                 (unsigned long long)offset);
        count_error(c, LOAD_ERR_PROTOCOL, now_of());
        c->e->r->lost++;
    }
}

/* ------------------------------------------------------------ phases */

static bool own_errno(int e)
{
    return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM || e == EADDRNOTAVAIL;
}

static int conn_start(struct load_conn *c, double now)
{
    struct load_engine *e = c->e;
    const struct target *t = &e->cfg->target;
    int fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    c->phase = LP_CONNECTING;
    c->deadline = now + e->cfg->timeout;
    e->connecting++;
    if (fd < 0) {
        snprintf(e->err, e->err_len, "socket: %s (connection %u)", strerror(errno), c->id + 1);
        return -1;
    }
    transport_init(&c->io, fd);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (e->cfg->sources.count && load_source_bind(fd, &e->cfg->sources, c->id) != 0) {
        snprintf(e->err, e->err_len, "bind to the --source address of connection %u: %s", c->id + 1,
                 strerror(errno));
        return -1;
    }
    if (connect(fd, (const struct sockaddr *)&t->addr, t->addr_len) < 0 && errno != EINPROGRESS) {
        int er = errno;
        if (own_errno(er)) {
            snprintf(e->err, e->err_len, "connect: %s (connection %u)%s", strerror(er), c->id + 1,
                     er == EADDRNOTAVAIL ? ": out of local ports for this target; --source "
                                           "A-B spreads connections over more addresses"
                                         : "");
            return -1;
        }
        snprintf(e->why, sizeof e->why, "%s", strerror(er));
        conn_fail(c, er == ECONNREFUSED ? LOAD_ERR_CONNECT_REFUSED : LOAD_ERR_CONNECT_ERROR, now);
        return 0;
    }
    return watch(c, EPOLLOUT);
}

static int start_upgrade(struct load_conn *c, double now)
{
    struct load_engine *e = c->e;
    const struct load_config *cfg = e->cfg;
    struct ws_conn_config wc = {
        .role = WS_ROLE_CLIENT,
        .max_message = cfg->size + 1024,
        .request = {.host = cfg->target.host_header,
                    .target = cfg->target.resource,
                    .origin = cfg->origin,
                    .extra_headers = cfg->headers,
                    .n_extra_headers = cfg->n_headers},
        .random = seeded_random,
        .random_ud = &e->rng,
        .cb = {.on_handshake = on_handshake,
               .on_message = on_message,
               .on_message_data = on_message_data,
               .on_control = on_control,
               .on_close = on_close,
               .on_violation = on_violation},
        .user = c,
        .tester = {.stream_messages = true},
    };
    if (ws_conn_init(&c->ws, &wc) != WS_E_OK) {
        snprintf(e->err, e->err_len, "out of memory (connection %u)", c->id + 1);
        return -1;
    }
    c->ws_live = true;
    size_t ring = cfg->mode == LOAD_CLOSED ? cfg->pipeline : cfg->mode == LOAD_SOAK ? 1 : 0;
    if (ring && !(c->sent_at = calloc(ring, sizeof *c->sent_at))) {
        snprintf(e->err, e->err_len, "out of memory (connection %u)", c->id + 1);
        return -1;
    }
    c->phase = LP_UPGRADE;
    flush(c, now);
    return e->own_trouble ? -1 : 0;
}

static int on_connected(struct load_conn *c, double now)
{
    int er = 0;
    socklen_t el = sizeof er;
    getsockopt(c->io.fd, SOL_SOCKET, SO_ERROR, &er, &el);
    if (er) {
        snprintf(c->e->why, sizeof c->e->why, "%s", strerror(er));
        conn_fail(c,
                  er == ECONNREFUSED ? LOAD_ERR_CONNECT_REFUSED
                  : er == ETIMEDOUT  ? LOAD_ERR_CONNECT_TIMEOUT
                                     : LOAD_ERR_CONNECT_ERROR,
                  now);
        return 0;
    }
    const struct target *t = &c->e->cfg->target;
    if (!t->secure)
        return start_upgrade(c, now);
    char why[256];
    if (transport_start_tls(&c->io, t->tls, t->host, why, sizeof why) != 0) {
        snprintf(c->e->err, c->e->err_len, "TLS: %s", why);
        return -1;
    }
    c->phase = LP_TLS;
    return 0;
}

static int tls_step(struct load_conn *c, double now)
{
    enum transport_status st = transport_handshake(&c->io);
    if (st == TRANSPORT_DONE)
        return start_upgrade(c, now);
    if (st == TRANSPORT_WANT_READ || st == TRANSPORT_WANT_WRITE)
        return watch(c, st == TRANSPORT_WANT_READ ? EPOLLIN : EPOLLOUT);
    transport_error(&c->io, c->e->why, sizeof c->e->why);
    conn_fail(c, LOAD_ERR_TLS, now);
    return 0;
}

static void conn_read(struct load_conn *c, double now)
{
    struct load_engine *e = c->e;
    for (int i = 0; i < LOAD_READS_PER_EVENT && c->phase != LP_DONE; i++) {
        size_t n = 0;
        enum transport_status st = transport_read(&c->io, e->rbuf, LOAD_READ_BUF, &n);
        if (st == TRANSPORT_DONE) {
            enum ws_error rc = ws_conn_recv(&c->ws, e->rbuf, n);
            if (rc == WS_E_NOMEM) {
                snprintf(e->err, e->err_len, "out of memory");
                e->own_trouble = true;
                return;
            }
            if (ws_conn_state(&c->ws) == WS_CLOSED) {
                if (c->phase == LP_UPGRADE && !c->failed)
                    conn_fail(c, LOAD_ERR_HANDSHAKE, now);
                conn_finish(c);
                return;
            }
            /* A short read emptied the socket: the epoll interest is level-triggered, so
             * more bytes wake us again, and reading on would only cost a read() that says
             * EAGAIN - one more system call per echo in a closed loop. TLS bytes already
             * decrypted are read by conn_event (transport_pending). */
            if (n < LOAD_READ_BUF)
                return;
            continue;
        }
        if (st == TRANSPORT_WANT_READ || st == TRANSPORT_WANT_WRITE)
            return;
        /* EOF or reset */
        if (st == TRANSPORT_ERROR)
            transport_error(&c->io, e->why, sizeof e->why);
        else
            snprintf(e->why, sizeof e->why, "TCP closed without a Close frame");
        ws_conn_eof(&c->ws);
        if (c->phase == LP_CLOSING && c->ws.close.sent)
            conn_finish(c); /* the target closed TCP after our Close: as it should */
        else
            conn_fail(c, c->phase == LP_UPGRADE ? LOAD_ERR_HANDSHAKE : LOAD_ERR_CLOSED_BY_PEER,
                      now);
        return;
    }
}

/* Close c when it has nothing left to do. */
static void maybe_close(struct load_conn *c, double now)
{
    struct load_engine *e = c->e;
    if (c->phase != LP_OPEN)
        return;
    bool finished =
        c->sent >= c->quota || now >= e->stop_sending || (e->cfg->stop && *e->cfg->stop);
    if (!finished || in_flight(c) > 0)
        return;
    c->phase = LP_CLOSING;
    c->deadline = now + e->cfg->timeout;
    ws_conn_close(&c->ws, 1000, NULL, 0);
}

static void conn_event(struct load_conn *c, uint32_t ev, double now)
{
    struct load_engine *e = c->e;
    switch (c->phase) {
    case LP_CONNECTING:
        if (on_connected(c, now) != 0)
            e->own_trouble = true;
        else if (c->phase == LP_TLS && tls_step(c, now) != 0)
            e->own_trouble = true;
        return;
    case LP_TLS:
        if (tls_step(c, now) != 0)
            e->own_trouble = true;
        return;
    case LP_UPGRADE:
    case LP_OPEN:
    case LP_CLOSING:
        if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))
            conn_read(c, now);
        while (c->phase != LP_DONE && transport_pending(&c->io) > 0)
            conn_read(c, now);
        if (c->phase == LP_DONE)
            return;
        if (c->failed && c->phase != LP_DONE && ws_conn_state(&c->ws) == WS_CLOSED) {
            conn_finish(c);
            return;
        }
        send_due(c, now);
        maybe_close(c, now);
        flush(c, now);
        return;
    default:
        return;
    }
}

/* Deadlines, the open loop's schedule, soak pings; called every tick. */
static void conn_tick(struct load_conn *c, double now)
{
    struct load_engine *e = c->e;
    switch (c->phase) {
    case LP_CONNECTING:
    case LP_TLS:
    case LP_UPGRADE:
        if (now >= c->deadline)
            conn_fail(c, LOAD_ERR_CONNECT_TIMEOUT, now);
        return;
    case LP_OPEN:
        if (c->failed) { /* protocol error or the target's Close: the core answers */
            if (ws_conn_state(&c->ws) == WS_CLOSED || now >= c->progress + e->cfg->timeout)
                conn_finish(c);
            else
                flush(c, now);
            return;
        }
        if (in_flight(c) > 0 && now >= c->progress + e->cfg->timeout) {
            snprintf(e->why, sizeof e->why, "nothing back for %.3g s, %llu outstanding",
                     e->cfg->timeout, (unsigned long long)in_flight(c));
            conn_fail(c, LOAD_ERR_STALL, now);
            return;
        }
        send_due(c, now);
        maybe_close(c, now);
        flush(c, now);
        return;
    case LP_CLOSING:
        if (now >= c->deadline || ws_conn_state(&c->ws) == WS_CLOSED)
            conn_finish(c); /* a target slow to close is not judged here */
        return;
    default:
        return;
    }
}

/* ------------------------------------------------------------ the run */

/* How often every connection is visited (deadlines, the open loop's schedule, pings).
 * A visit costs each connection: soak, which holds the most connections and does least,
 * is visited a twentieth of its ping interval (10 ms to 250 ms), so that 100,000
 * connections cost 400,000 visits a second and not 10 million. New connections are
 * started on their own schedule (engine_loop), not at this granularity. */
static double tick_period(const struct load_config *cfg)
{
    if (cfg->mode == LOAD_SOAK) {
        double t = cfg->interval / 20;
        return t < 0.01 ? 0.01 : t > 0.25 ? 0.25 : t;
    }
    return cfg->mode == LOAD_OPEN ? 0.001 : 0.05;
}

static void progress_line(const struct load_engine *e, double now)
{
    const struct load_result *r = e->r;
    double t = now - e->start;
    fprintf(stderr, "\rload: %6.1fs  open %llu/%u  %s %llu (%.0f/s)  p99 %.3f ms  errors %llu   ",
            t, (unsigned long long)(r->opened - r->lost), e->cfg->connections,
            e->cfg->mode == LOAD_SOAK ? "pongs" : "echoes", (unsigned long long)r->echoed,
            t > 0 ? (double)r->echoed / t : 0, (double)load_hist_percentile(&r->hist, 99) / 1000,
            (unsigned long long)load_errors_total(r));
}

static void engine_plan(struct load_engine *e, double now)
{
    const struct load_config *cfg = e->cfg;
    double ramp = (double)cfg->connections / cfg->ramp_rate;
    e->start = now;
    e->stop_sending = cfg->duration > 0 ? now + cfg->duration : INFINITY;
    e->per_conn_gap = cfg->mode == LOAD_OPEN ? (double)cfg->connections / cfg->rate : 0;
    /* the longest a correct run can take, plus room for one timeout per phase */
    double sending = cfg->duration > 0 ? cfg->duration : 0;
    if (cfg->duration <= 0 && cfg->mode == LOAD_OPEN)
        sending = (double)cfg->messages / cfg->rate;
    if (cfg->duration <= 0 && cfg->mode == LOAD_CLOSED)
        sending = 365.0 * 86400; /* --messages closed loop: bounded by stalls instead */
    e->hard_deadline = now + ramp + sending + 4 * cfg->timeout + 5;
    for (uint32_t i = 0; i < cfg->connections; i++) {
        struct load_conn *c = &e->conns[i];
        c->e = e;
        c->id = i;
        c->io.fd = -1;
        if (cfg->messages)
            c->quota = cfg->messages / cfg->connections + (i < cfg->messages % cfg->connections);
        else
            c->quota = UINT64_MAX;
        if (cfg->mode == LOAD_SOAK)
            c->quota = UINT64_MAX;
    }
}

static int start_due(struct load_engine *e, double now)
{
    const struct load_config *cfg = e->cfg;
    while (e->next_start < cfg->connections && e->connecting < LOAD_CONNECTS_IN_FLIGHT &&
           now >= e->start + (double)e->next_start / cfg->ramp_rate && !(cfg->stop && *cfg->stop)) {
        struct load_conn *c = &e->conns[e->next_start++];
        if (conn_start(c, now) != 0)
            return -1;
    }
    return 0;
}

static int engine_loop(struct load_engine *e)
{
    const struct load_config *cfg = e->cfg;
    struct epoll_event evs[LOAD_EVENTS];
    double period = tick_period(cfg), next_tick = e->start, next_progress = e->start + 1;
    for (;;) {
        double now = loop_now();
        if (cfg->stop && *cfg->stop && e->next_start < cfg->connections) {
            /* not started: nothing to count */
            e->done += cfg->connections - e->next_start;
            e->next_start = cfg->connections;
        }
        if (e->done >= cfg->connections)
            return 0;
        if (now >= e->hard_deadline) {
            for (uint32_t i = 0; i < e->next_start; i++)
                conn_fail(&e->conns[i], LOAD_ERR_STALL, now);
            return 0;
        }
        if (start_due(e, now) != 0)
            return -1;
        if (now >= next_tick) {
            for (uint32_t i = 0; i < e->next_start && !e->own_trouble; i++)
                conn_tick(&e->conns[i], now);
            next_tick = now + period;
        }
        if (cfg->mode == LOAD_SOAK && !e->announced && e->next_start >= cfg->connections &&
            e->connecting == 0) {
            /* every connection has opened or failed: a script holding connections from
             * several processes reads this line to know they are all held */
            printf("load: soak: %llu of %u connections open, holding until %.1f s\n",
                   (unsigned long long)(e->r->opened - e->r->lost), cfg->connections,
                   cfg->duration);
            fflush(stdout);
            e->announced = true;
        }
        if (cfg->progress && now >= next_progress) {
            progress_line(e, now);
            next_progress = now + 1;
        }
        if (e->own_trouble)
            return -1;
        double wake = next_tick;
        double next_start = e->start + (double)e->next_start / cfg->ramp_rate;
        if (e->next_start < cfg->connections && e->connecting < LOAD_CONNECTS_IN_FLIGHT &&
            next_start < wake)
            wake = next_start;
        int n = loop_wait(&e->loop, wake - loop_now(), evs, LOAD_EVENTS, e->err, e->err_len);
        if (n < 0)
            return -1;
        now = loop_now();
        for (int i = 0; i < n && !e->own_trouble; i++)
            conn_event(evs[i].data.ptr, evs[i].events, now);
        if (e->own_trouble)
            return -1;
    }
}

static void result_settings(struct load_result *r, const struct load_config *cfg)
{
    snprintf(r->url, sizeof r->url, "%s", cfg->url);
    r->mode = cfg->mode;
    r->connections = cfg->connections;
    r->pipeline = cfg->mode == LOAD_CLOSED ? cfg->pipeline : 0;
    r->size = cfg->mode == LOAD_SOAK ? 8 : cfg->size;
    r->text = cfg->text;
    r->rate = cfg->mode == LOAD_OPEN ? cfg->rate : 0;
    r->duration = cfg->duration;
    r->interval = cfg->mode == LOAD_SOAK ? cfg->interval : 0;
    r->timeout = cfg->timeout;
    r->ramp_rate = cfg->ramp_rate;
    r->messages_wanted = cfg->messages;
    r->point_interval = 1.0;
    r->started_wall = loop_wall();
}

int load_run(const struct load_config *cfg, struct load_result *r, char *err, size_t err_len)
{
    struct load_engine e = {.cfg = cfg, .r = r, .err = err, .err_len = err_len, .rng = cfg->seed};
    result_settings(r, cfg);
    if (loop_init(&e.loop, err, err_len) != 0)
        return -1;
    size_t psize = cfg->size ? cfg->size : 1;
    e.conns = calloc(cfg->connections, sizeof *e.conns);
    e.pattern = malloc(psize);
    e.scratch = malloc(psize);
    e.rbuf = malloc(LOAD_READ_BUF);
    int rc = -1;
    if (!e.conns || !e.pattern || !e.scratch || !e.rbuf) {
        snprintf(err, err_len, "out of memory for %u connections", cfg->connections);
        goto out;
    }
    uint64_t prng = cfg->seed ^ 0x9e3779b97f4a7c15ull;
    seeded_random(&prng, e.pattern, psize);
    if (cfg->text) /* printable ASCII: valid UTF-8 whatever the split */
        for (size_t i = 0; i < psize; i++)
            e.pattern[i] = (uint8_t)(' ' + e.pattern[i] % 95);
    memcpy(e.scratch, e.pattern, psize);
    double cpu0 = 0, cpu1 = 0;
    if (cfg->server_pid && load_proc_cpu(cfg->server_pid, &cpu0) != 0) {
        snprintf(err, err_len, "--server-pid %d: cannot read /proc/%d/stat", cfg->server_pid,
                 cfg->server_pid);
        goto out;
    }
    double now = loop_now();
    engine_plan(&e, now);
    rc = engine_loop(&e);
    double end = e.last_echo > 0 ? e.last_echo : loop_now();
    r->elapsed = end - e.start;
    if (cfg->server_pid) { /* a server gone by now is the target's doing: no figure */
        r->server_pid = cfg->server_pid;
        r->server_window = loop_now() - e.start;
        r->server_cpu = load_proc_cpu(cfg->server_pid, &cpu1) == 0 ? cpu1 - cpu0 : 0;
    }
    if (cfg->progress) {
        progress_line(&e, loop_now());
        fputc('\n', stderr);
    }
out:
    if (e.conns)
        for (uint32_t i = 0; i < e.next_start; i++)
            conn_finish(&e.conns[i]);
    free(e.conns);
    free(e.pattern);
    free(e.scratch);
    free(e.rbuf);
    loop_free(&e.loop);
    return rc;
}

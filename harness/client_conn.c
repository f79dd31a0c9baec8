/*
 * client_conn.c - one connection of the reference client (see client_conn.h for the
 * phases). The rules live in ws_conn; here: the socket, the deadlines, the echo and the
 * outcome.
 */
#include "client_conn.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* What the client offers, as a browser does (RFC 7692 section 7.1.2.2: the client may
 * take a smaller window if the server asks for one). */
static const char client_deflate_offer[] = "permessage-deflate; client_max_window_bits";

static void client_random(void *ud, uint8_t *out, size_t n)
{
    (void)ud;
    if (RAND_bytes(out, (int)n) != 1)
        memset(out, 0x5a, n); /* OpenSSL's generator cannot fail once seeded; masks
                                 protect intermediaries, not us (10.3) */
}

static void set_timer(struct client_conn *c, int kind, uint64_t now)
{
    uint64_t ms = kind == CT_HANDSHAKE ? c->o->handshake_ms
                  : kind == CT_IDLE    ? c->o->idle_ms
                                       : c->o->close_ms;
    c->timer = kind;
    c->deadline = ms ? now + ms : UINT64_MAX;
}

/* The end: close TCP, free the core, keep the outcome. */
static void finish(struct client_conn *c, enum client_outcome out)
{
    if (c->phase == CP_DONE)
        return;
    if (c->outcome == CLIENT_RUNNING)
        c->outcome = out;
    transport_close(&c->io);
    c->phase = CP_DONE;
    c->deadline = UINT64_MAX;
}

/* ------------------------------------------------------------ the core's callbacks */

static void on_message(struct ws_conn *ws, enum ws_opcode op, const uint8_t *data, size_t len,
                       void *user)
{
    struct client_conn *c = user;
    if (c->kind == CLIENT_READ_ONE && op == WS_OP_TEXT && !c->got_reply) {
        c->got_reply = true;
        c->reply_too_long = len >= sizeof c->reply;
        c->reply_len = c->reply_too_long ? 0 : len;
        memcpy(c->reply, data, c->reply_len);
        c->reply[c->reply_len] = '\0';
    }
    if (c->kind != CLIENT_ECHO)
        return;
    enum ws_error e = ws_conn_send(ws, op, data, len);
    if (e == WS_E_OK) {
        c->echoed++;
    } else if (e != WS_E_WRONG_STATE) { /* WRONG_STATE: our Close went out already */
        snprintf(c->why, sizeof c->why, "cannot queue the echo: %s", ws_error_text(e));
        c->outcome = CLIENT_OWN_TROUBLE;
    }
}

/* The 101 passed every check of section 4.1 (the connection may fail at once after
 * it, for a frame that came with it: still opened). */
static void on_handshake(struct ws_conn *ws, enum ws_error result, const char *raw, size_t len,
                         void *user)
{
    (void)ws, (void)raw, (void)len;
    struct client_conn *c = user;
    c->opened = result == WS_E_OK;
}

/* ------------------------------------------------------------ start */

static int start_fail(struct client_conn *c, enum client_outcome out, const char *what, int e)
{
    snprintf(c->why, sizeof c->why, "%s: %s", what, strerror(e));
    finish(c, out);
    return -1;
}

int client_conn_start(struct client_conn *c, const struct target *t, const char *resource,
                      const struct client_conn_options *o, enum client_kind kind, uint64_t now)
{
    memset(c, 0, sizeof *c);
    c->t = t;
    c->o = o;
    c->kind = kind;
    transport_init(&c->io, -1);
    set_timer(c, CT_HANDSHAKE, now);
    struct ws_conn_config cfg = {
        .role = WS_ROLE_CLIENT,
        .max_message = o->max_message,
        /* Reading stops at CLIENT_BACKPRESSURE of output; one read more can then add
         * its echoes (an empty frame of 2 bytes comes back as 6, masked: 3x, and a
         * compressed one a little more) or one largest message and its echo. Room for
         * that, so a server that does not read never makes the queue refuse an echo. */
        .max_output = 2 * (size_t)o->max_message + CLIENT_BACKPRESSURE + 4 * CLIENT_READ_MAX,
        /* a Close with a code and reason, a Ping: control frames up to 125 bytes are
         * read whatever the message limit (max_frame would default to it) */
        .max_frame = o->max_message < WS_CONTROL_MAX ? WS_CONTROL_MAX : 0,
        .request = {.host = t->host_header,
                    .target = resource,
                    .extensions = o->no_deflate ? NULL : client_deflate_offer},
        .random = client_random,
        .cb = {.on_handshake = on_handshake, .on_message = on_message},
        .user = c,
    };
    if (ws_conn_init(&c->ws, &cfg) != WS_E_OK) {
        snprintf(c->why, sizeof c->why, "cannot build the opening request");
        c->phase = CP_DONE;
        c->outcome = CLIENT_OWN_TROUBLE;
        return -1;
    }
    int fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return start_fail(c, CLIENT_OWN_TROUBLE, "socket", errno);
    c->io.fd = fd;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (const struct sockaddr *)&t->addr, t->addr_len) < 0 && errno != EINPROGRESS) {
        int e = errno;
        bool ours = e == ENOBUFS || e == ENOMEM || e == EAGAIN || e == EADDRNOTAVAIL;
        return start_fail(c, ours ? CLIENT_OWN_TROUBLE : CLIENT_UNREACHABLE, "connect", e);
    }
    c->phase = CP_CONNECT;
    return 0;
}

/* ------------------------------------------------------------ waiting */

short client_conn_events(const struct client_conn *c)
{
    const uint8_t *d;
    switch (c->phase) {
    case CP_CONNECT:
        return POLLOUT;
    case CP_TLS:
        return c->read_wait == TRANSPORT_WANT_WRITE ? POLLOUT : POLLIN;
    case CP_WS:
    case CP_DRAIN: {
        short ev = 0;
        size_t pending = ws_conn_pending(&c->ws, &d);
        if (!c->peer_eof && pending <= CLIENT_BACKPRESSURE)
            ev |= c->read_wait == TRANSPORT_WANT_WRITE ? POLLOUT : POLLIN;
        if (pending > 0)
            ev |= c->write_wait == TRANSPORT_WANT_READ ? POLLIN : POLLOUT;
        return ev;
    }
    case CP_DONE:
        break;
    }
    return 0;
}

bool client_conn_buffered(const struct client_conn *c)
{
    const uint8_t *d;
    return (c->phase == CP_WS || c->phase == CP_DRAIN) && !c->peer_eof &&
           ws_conn_pending(&c->ws, &d) <= CLIENT_BACKPRESSURE && transport_pending(&c->io) > 0;
}

/* ------------------------------------------------------------ progress */

/* Write what the core queued until the socket is full. False after a write error
 * (peer_eof set: the server is gone). */
static bool flush(struct client_conn *c, uint64_t now)
{
    for (;;) {
        const uint8_t *data;
        size_t len = ws_conn_pending(&c->ws, &data), n = 0;
        if (len == 0) {
            c->write_wait = 0;
            return true;
        }
        enum transport_status st = transport_write(&c->io, data, len, &n);
        if (st == TRANSPORT_DONE) {
            ws_conn_sent(&c->ws, n);
            if (c->timer == CT_IDLE)
                set_timer(c, CT_IDLE, now);
            continue;
        }
        if (st == TRANSPORT_WANT_READ || st == TRANSPORT_WANT_WRITE) {
            c->write_wait = (uint8_t)st;
            return true;
        }
        char why[128];
        transport_error(&c->io, why, sizeof why);
        snprintf(c->why, sizeof c->why, "write failed: %s", why);
        c->peer_eof = true; /* the server is gone: nothing more will come */
        return false;
    }
}

/* The outcome of a connection whose server is gone (EOF, reset) or that we end. */
static enum client_outcome settle(struct client_conn *c)
{
    struct ws_close_status cs;
    ws_conn_close_status(&c->ws, &cs);
    if (!c->opened)
        return c->error ? CLIENT_REFUSED : CLIENT_DROPPED;
    if (c->error)
        return CLIENT_FAILED;
    if (cs.clean)
        return CLIENT_CLEAN;
    return CLIENT_DROPPED;
}

/* Bring the phase in line with the core's state, write, and end when it is over. The
 * one place phases change once TCP is up. */
static void advance(struct client_conn *c, uint64_t now)
{
    if (c->phase != CP_WS && c->phase != CP_DRAIN)
        return;
    if (c->outcome == CLIENT_OWN_TROUBLE) {
        finish(c, CLIENT_OWN_TROUBLE);
        return;
    }
    enum ws_conn_state st = ws_conn_state(&c->ws);
    if (!c->error)
        c->error = ws_conn_error(&c->ws, &c->error_at);
    if (c->timer == CT_HANDSHAKE && st != WS_CONNECTING) {
        if (!c->opened) { /* RFC 6455 4.1: a bad 101 fails the connection: close TCP */
            finish(c, CLIENT_REFUSED);
            return;
        }
        set_timer(c, CT_IDLE, now);
    }
    struct ws_close_status cs;
    ws_conn_close_status(&c->ws, &cs);
    if (c->timer != CT_CLOSE && cs.sent && st != WS_CONNECTING)
        set_timer(c, CT_CLOSE, now);
    if (st == WS_CLOSED)
        c->phase = CP_DRAIN;
    if (!c->peer_eof)
        flush(c, now); /* a write error sets peer_eof and why */
    if (c->peer_eof) {
        ws_conn_eof(&c->ws);
        if (!c->why[0])
            snprintf(c->why, sizeof c->why,
                     "the server closed TCP before the closing "
                     "handshake");
        finish(c, settle(c));
    }
}

static void tls_step(struct client_conn *c, uint64_t now)
{
    enum transport_status st = transport_handshake(&c->io);
    if (st == TRANSPORT_DONE) {
        c->read_wait = 0;
        c->phase = CP_WS;
        advance(c, now);
        return;
    }
    if (st == TRANSPORT_WANT_READ || st == TRANSPORT_WANT_WRITE) {
        c->read_wait = (uint8_t)st;
        return;
    }
    char why[128];
    transport_error(&c->io, why, sizeof why);
    snprintf(c->why, sizeof c->why, "TLS handshake failed: %s", why);
    finish(c, CLIENT_UNREACHABLE);
}

static void connected(struct client_conn *c, uint64_t now)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->io.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    if (err) {
        snprintf(c->why, sizeof c->why, "connect: %s", strerror(err));
        finish(c, CLIENT_UNREACHABLE);
        return;
    }
    if (!c->t->secure) {
        c->phase = CP_WS;
        advance(c, now);
        return;
    }
    char why[256];
    if (transport_start_tls(&c->io, c->t->tls, c->t->host, why, sizeof why) != 0) {
        snprintf(c->why, sizeof c->why, "%.180s", why);
        finish(c, CLIENT_OWN_TROUBLE);
        return;
    }
    c->phase = CP_TLS;
    tls_step(c, now);
}

/* One read, fed to the core. */
static void read_once(struct client_conn *c, uint8_t *rbuf, size_t cap, uint64_t now)
{
    size_t n = 0;
    enum transport_status st = transport_read(&c->io, rbuf, cap, &n);
    if (st == TRANSPORT_DONE) {
        c->read_wait = 0;
        if (c->timer == CT_IDLE)
            set_timer(c, CT_IDLE, now);
        if (ws_conn_recv(&c->ws, rbuf, n) == WS_E_NOMEM) {
            snprintf(c->why, sizeof c->why, "out of memory");
            c->outcome = CLIENT_OWN_TROUBLE;
        }
    } else if (st == TRANSPORT_WANT_READ || st == TRANSPORT_WANT_WRITE) {
        c->read_wait = (uint8_t)st;
    } else if (st == TRANSPORT_EOF) {
        c->peer_eof = true;
    } else {
        char why[128];
        transport_error(&c->io, why, sizeof why);
        snprintf(c->why, sizeof c->why, "read failed: %s", why);
        c->peer_eof = true;
    }
}

void client_conn_io(struct client_conn *c, short revents, uint8_t *rbuf, size_t cap, uint64_t now)
{
    if (c->phase == CP_CONNECT) {
        connected(c, now);
        return;
    }
    if (c->phase == CP_TLS) {
        tls_step(c, now);
        return;
    }
    if (c->phase != CP_WS && c->phase != CP_DRAIN)
        return;
    const uint8_t *d;
    bool want_read = !c->peer_eof && ws_conn_pending(&c->ws, &d) <= CLIENT_BACKPRESSURE;
    bool ready = c->read_wait == TRANSPORT_WANT_WRITE
                     ? (revents & (POLLOUT | POLLERR | POLLHUP)) != 0
                     : (revents & (POLLIN | POLLERR | POLLHUP)) != 0 || client_conn_buffered(c);
    if (want_read && ready)
        read_once(c, rbuf, cap, now);
    advance(c, now);
}

void client_conn_timer(struct client_conn *c, uint64_t now)
{
    if (c->phase == CP_DONE || now < c->deadline)
        return;
    if (c->timer == CT_IDLE && c->phase == CP_WS) {
        /* RFC 6455 7.1.2: start the closing handshake; wait close_ms for the answer */
        snprintf(c->why, sizeof c->why, "idle for %llu ms: sent Close 1001",
                 (unsigned long long)c->o->idle_ms);
        c->outcome = CLIENT_TIMEOUT;
        ws_conn_close(&c->ws, 1001, NULL, 0);
        set_timer(c, CT_CLOSE, now);
        advance(c, now);
        return;
    }
    struct ws_close_status cs;
    ws_conn_close_status(&c->ws, &cs);
    if (c->timer == CT_CLOSE && c->opened && cs.clean && !c->error && !c->outcome) {
        /* RFC 6455 7.1.1: the client may close TCP once it waited long enough */
        c->closed_tcp_first = true;
        finish(c, CLIENT_CLEAN);
        return;
    }
    if (!c->why[0])
        snprintf(c->why, sizeof c->why, "%s",
                 c->timer == CT_HANDSHAKE ? "no opening handshake within the handshake timeout"
                 : c->timer == CT_CLOSE   ? "the server did not close within the close timeout"
                                          : "idle timeout");
    if (c->error && c->opened)
        finish(c, CLIENT_FAILED);
    else
        finish(c, CLIENT_TIMEOUT);
}

void client_conn_free(struct client_conn *c)
{
    transport_close(&c->io);
    ws_conn_free(&c->ws);
}

/* ------------------------------------------------------------ describing */

const char *client_outcome_name(enum client_outcome o)
{
    static const char *const names[] = {"RUNNING", "CLEAN",   "FAILED",      "REFUSED",
                                        "DROPPED", "TIMEOUT", "UNREACHABLE", "OWN_TROUBLE"};
    return (size_t)o < sizeof names / sizeof names[0] ? names[o] : "UNKNOWN";
}

static void describe_rule(const struct client_conn *c, char *buf, size_t cap, const char *verb)
{
    const char *sec = ws_error_section(c->error);
    unsigned code = ws_error_close_code(c->error);
    char answer[24] = "";
    if (c->opened && code)
        snprintf(answer, sizeof answer, " -> Close %u", code);
    snprintf(buf, cap, "%s: %s (%s section %s) at byte %llu: %s%s", verb, ws_error_name(c->error),
             ws_error_rfc(c->error), *sec ? sec : "-", (unsigned long long)c->error_at,
             ws_error_text(c->error), answer);
}

void client_conn_describe(const struct client_conn *c, char *buf, size_t cap)
{
    struct ws_close_status cs;
    ws_conn_close_status(&c->ws, &cs);
    switch (c->outcome) {
    case CLIENT_CLEAN:
        snprintf(buf, cap, "closed cleanly (Close %u received, %u sent), %llu messages echoed%s",
                 cs.received_code, cs.sent_code, (unsigned long long)c->echoed,
                 c->closed_tcp_first ? "; the server did not close TCP, we did" : "");
        return;
    case CLIENT_FAILED:
        describe_rule(c, buf, cap, "failed the connection");
        return;
    case CLIENT_REFUSED:
        describe_rule(c, buf, cap, "opening handshake failed");
        return;
    default:
        snprintf(buf, cap, "%s: %s", client_outcome_name(c->outcome), c->why);
        return;
    }
}

/*
 * echo_loop.c - the echo endpoint's event loop (see echo_loop.h for the model).
 *
 * One connection's life, as phases the loop keeps beside ws_conn's state:
 *
 *   TRANSPORT  transport handshake (TLS accept; plain TCP skips it)  timer: handshake
 *   HANDSHAKE  ws_conn CONNECTING: reading the HTTP request          timer: handshake
 *   OPEN       echoing                                               timer: idle
 *   CLOSING    our Close sent (failure, idle, shutdown): waiting     timer: close
 *              for the peer's Close
 *   FLUSH      ws_conn CLOSED: writing the last bytes                timer: close
 *   LINGER     after a refusal or a failure (also a failed TLS       timer: linger
 *              handshake): our side shut, draining
 *
 * and then the TCP connection is closed. Once the closing handshake is complete the
 * server closes TCP at once (RFC 6455 section 7.1.1: "the server [...] SHOULD close
 * the underlying TCP connection" first; section 5.5.1). Level-triggered epoll: one
 * read per readiness event, so a busy connection cannot starve the others, and
 * interest in EPOLLIN is simply dropped while a connection's output is backed up.
 *
 * A connection destroyed while handling a batch of epoll events stays allocated (on
 * the graveyard list, marked DEAD) until the batch is done, because a later event of
 * the same batch may still point at it.
 *
 * Batched I/O (--io uring, the default for ws:// where the kernel allows io_uring;
 * echo_uring.h says why). epoll still says which connections are ready; a batch then
 * runs in three steps instead of a recv and a send per connection:
 *   1. read: every connection the batch will read from gets its recv queued (into the
 *      message being reassembled, or a slot of its own: the one shared buffer cannot
 *      serve several reads at once), and one io_uring_enter does them all; conn_read
 *      then takes the result it finds (pre_read) instead of reading;
 *   2. handle the events as always, except that conn_flush only puts a connection with
 *      output on the flush list (and its epoll interest stays as it is: the output is
 *      about to go);
 *   3. flush: one send per listed connection, one io_uring_enter for all, and each
 *      connection then advances as after a plain write - whatever that send left (a
 *      full socket buffer) is written or waited for the ordinary way.
 * A batch with a single read or a single write does it with recv/send: one system call
 * either way. A connection destroyed in step 2 leaves the flush list.
 */
#define _GNU_SOURCE
#include "echo_loop.h"

#include "echo_tls.h"
#include "echo_transport.h"
#include "echo_uring.h"
#include "wire_record.h"
#include "ws_conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Events taken from one epoll_wait: enough to amortise the system call, small enough
 * to stay on the stack. */
#define ECHO_EVENTS 256
/* Connections accepted per wake-up of the listening socket, so a connect storm does
 * not starve established connections. */
#define ECHO_ACCEPT_BATCH 128
/* listen() backlog; the kernel caps it at net.core.somaxconn. Large so a burst of
 * thousands of connects (make bench) is queued rather than answered with SYN drops. */
#define ECHO_LISTEN_BACKLOG 4096
/* Bytes written to one connection per round: a client that reads as fast as we write
 * must not keep the loop on its 64 MiB echo while the others wait. Above 1 MiB plus a
 * header, so that a 1 MiB echo goes out in one round (not a last 10 bytes in another). */
#define ECHO_WRITE_BUDGET (4u * 1024 * 1024)
/* Batched reads of one epoll batch: at most this many (the others read the ordinary way),
 * each into a slot of ECHO_READ_BUF bytes (touched only as far as a read fills it).
 * The ring takes a read slot each, or as many writes per submission. */
#define ECHO_URING_SLOTS 64u
#define ECHO_URING_ENTRIES 128u
/* Pause before accepting again after running out of descriptors or memory: the
 * listening socket stays readable, so without a pause the loop would spin. */
#define ECHO_ACCEPT_PAUSE_MS 100u
/* A connection keeps its message and output buffers at their size while it moves
 * bytes (ws_conn keep_buffers: no allocation, no page faults per message) and gives
 * them back once it has been quiet this long, so an idle connection holds only its
 * struct. Long enough to span a client's think time between messages. */
#define ECHO_TRIM_MS 1000u

/* ------------------------------------------------------------ intrusive lists */

struct echo_link {
    struct echo_link *prev, *next; /* NULL when not on a list */
};

#define ECHO_CONTAINER(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static void link_head_init(struct echo_link *h)
{
    h->prev = h->next = h;
}

static bool link_empty(const struct echo_link *h)
{
    return h->next == h;
}

static void link_append(struct echo_link *h, struct echo_link *n)
{
    n->prev = h->prev;
    n->next = h;
    h->prev->next = n;
    h->prev = n;
}

static void link_remove(struct echo_link *n)
{
    if (!n->next)
        return;
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = NULL;
}

/* ------------------------------------------------------------ state */

enum echo_timer { T_HANDSHAKE = 0, T_IDLE, T_CLOSE, T_LINGER, T_COUNT };
#define T_NONE T_COUNT

enum echo_phase { P_TRANSPORT = 0, P_HANDSHAKE, P_OPEN, P_CLOSING, P_FLUSH, P_LINGER, P_DEAD };

struct echo_loop;

struct echo_conn {
    struct ws_conn ws;
    struct echo_transport tr;
    struct echo_loop *loop;
    struct echo_link all;      /* loop->conns; loop->graveyard once DEAD */
    struct echo_link timer;    /* loop->timers[tkind] */
    struct echo_link ready;    /* loop->ready: the transport holds bytes epoll cannot see */
    struct echo_link warm;     /* loop->warm: holds buffers, trimmed ECHO_TRIM_MS after */
    struct echo_link flushq;   /* loop->flushq: output to send in this batch's flush */
    uint8_t *pre_buf;          /* batched read: where its bytes went, */
    int64_t pre_res;           /* and what recv would have returned */
    uint64_t deadline;         /* monotonic ms */
    uint64_t warm_at;          /* last bytes moved (monotonic ms), while on loop->warm */
    uint32_t events;           /* epoll interest currently registered */
    uint8_t phase;             /* enum echo_phase */
    uint8_t tkind;             /* enum echo_timer, T_NONE = no deadline */
    uint8_t read_wait;         /* readiness a blocked read waits for (ECHO_IO_WANT_*), 0 = none */
    uint8_t write_wait;        /* same for a blocked write */
    bool refused;              /* the opening handshake was answered with an HTTP error */
    bool peer_eof;             /* the peer ended its sending direction */
    bool logged;               /* the failure was logged already */
    bool pre_read;             /* a batched read's result waits for conn_read */
    uint64_t rec_id, rec_done; /* WSSPEC_RECORD_DIR recording (wire_record.h) */
    /* the peer's address as accept() gave it, for -v: getpeername() has nothing to say
     * once the peer reset the connection, which is when a failure is logged */
    uint8_t peer_ip[16]; /* IPv4: the first 4 bytes */
    uint16_t peer_port;  /* host order */
    uint8_t peer_family; /* AF_INET, AF_INET6, 0 = unknown */
};

struct echo_loop {
    const struct echo_options *opt;
    FILE *log;
    int epfd, lfd, sfd;
    uint64_t now;
    uint64_t duration[T_COUNT];
    struct echo_link conns, timers[T_COUNT], ready, graveyard;
    struct echo_link warm;   /* ordered by warm_at: appended at the tail when bytes move */
    struct echo_link flushq; /* connections whose output goes in this batch's flush */
    struct echo_uring ring;  /* batched I/O (ring_on), see the top of this file */
    bool ring_on, batching;  /* batching: inside step 2, conn_flush defers */
    uint8_t *slots;          /* ECHO_URING_SLOTS read slots of ECHO_READ_BUF bytes */
    size_t n_conns;
    bool stopping, accept_paused;
    uint64_t stop_deadline, accept_resume;
    char tag_listen, tag_signal; /* their addresses identify the two non-connection fds */
    struct ws_conn_config wscfg; /* template for every connection */
    uint8_t rbuf[ECHO_READ_BUF]; /* the one read buffer all connections share */
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ------------------------------------------------------------ logging */

/* "1.2.3.4:5" or "[::1]:5" into buf. */
static void format_addr(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        port = ntohs(a->sin6_port);
        snprintf(buf, cap, "[%s]:%u", host, port);
        return;
    }
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        port = ntohs(a->sin_port);
    }
    snprintf(buf, cap, "%s:%u", host, port);
}

/* Keep the peer's address (from accept) in c. */
static void peer_keep(struct echo_conn *c, const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        memcpy(c->peer_ip, &a->sin6_addr, 16);
        c->peer_port = ntohs(a->sin6_port);
        c->peer_family = AF_INET6;
    } else if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        memcpy(c->peer_ip, &a->sin_addr, 4);
        c->peer_port = ntohs(a->sin_port);
        c->peer_family = AF_INET;
    }
}

/* "1.2.3.4:5" or "[::1]:5" into buf, "?" when unknown. */
static void peer_format(const struct echo_conn *c, char *buf, size_t cap)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (!c->peer_family || !inet_ntop(c->peer_family, c->peer_ip, host, sizeof host)) {
        snprintf(buf, cap, "?");
        return;
    }
    snprintf(buf, cap, c->peer_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
             (unsigned)c->peer_port);
}

__attribute__((format(printf, 2, 3))) static void conn_log(struct echo_conn *c, const char *fmt,
                                                           ...)
{
    if (!c->loop->opt->verbose)
        return;
    char peer[INET6_ADDRSTRLEN + 16];
    peer_format(c, peer, sizeof peer);
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(c->loop->log, "wsspec echo: %s: %s\n", peer, msg);
}

/* The one line per rejected or failed connection: rule, RFC section, byte offset and
 * what the peer was answered with. */
static void conn_log_failure(struct echo_conn *c, enum ws_error e)
{
    if (c->logged)
        return;
    c->logged = true;
    uint64_t at = 0;
    enum ws_error kept = ws_conn_error(&c->ws, &at);
    if (kept != WS_E_OK)
        e = kept; /* the rule that failed it, not a later consequence */
    else
        at = 0;
    const char *sec = ws_error_section(e);
    int status = ws_error_http_status(e);
    unsigned code = ws_error_close_code(e);
    char answer[32] = "TCP close";
    if (c->refused && status)
        snprintf(answer, sizeof answer, "HTTP %d", status);
    else if (!c->refused && code)
        snprintf(answer, sizeof answer, "Close %u", code);
    conn_log(c, "%s: %s (RFC 6455 section %s) at byte %llu: %s -> %s",
             c->refused ? "rejected" : "failed", ws_error_name(e), *sec ? sec : "-",
             (unsigned long long)at, ws_error_text(e), answer);
}

/* ------------------------------------------------------------ timers */

static void timer_disarm(struct echo_conn *c)
{
    link_remove(&c->timer);
    c->tkind = T_NONE;
}

/* (Re)start deadline `kind` from now. Appending at the tail keeps the list sorted: all
 * its members got the same duration at an earlier or equal now. */
static void timer_arm(struct echo_conn *c, enum echo_timer kind)
{
    struct echo_loop *l = c->loop;
    timer_disarm(c);
    if (l->duration[kind] == 0)
        return; /* e.g. --idle-timeout 0: no deadline */
    c->tkind = (uint8_t)kind;
    c->deadline = l->now + l->duration[kind];
    link_append(&l->timers[kind], &c->timer);
}

/* Bytes moved: an OPEN connection is not idle, and its buffers are kept a while. */
static void conn_progress(struct echo_conn *c)
{
    if (c->tkind == T_IDLE)
        timer_arm(c, T_IDLE);
    link_remove(&c->warm);
    c->warm_at = c->loop->now;
    link_append(&c->loop->warm, &c->warm);
}

/* Give back the buffers of the connections quiet for ECHO_TRIM_MS (oldest first). */
static void trim_quiet(struct echo_loop *l)
{
    while (!link_empty(&l->warm)) {
        struct echo_conn *c = ECHO_CONTAINER(l->warm.next, struct echo_conn, warm);
        if (c->warm_at + ECHO_TRIM_MS > l->now)
            break;
        link_remove(&c->warm);
        ws_conn_trim(&c->ws);
    }
}

/* ------------------------------------------------------------ connections */

static void conn_destroy(struct echo_conn *c)
{
    struct echo_loop *l = c->loop;
    if (c->phase == P_DEAD)
        return;
    c->phase = P_DEAD;
    timer_disarm(c);
    link_remove(&c->ready);
    link_remove(&c->warm);
    link_remove(&c->flushq);
    link_remove(&c->all);
    c->pre_read = false;
    l->n_conns--;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, c->tr.fd, NULL);
    c->tr.ops->close(&c->tr);
    ws_conn_free(&c->ws);
    link_append(&l->graveyard, &c->all);
}

static size_t conn_pending(const struct echo_conn *c)
{
    const uint8_t *d;
    return ws_conn_pending(&c->ws, &d);
}

/* What the connection waits for, as an epoll mask. A blocked operation waits for the
 * readiness its transport named (TLS may read on writable, write on readable). */
static void conn_update_events(struct echo_conn *c)
{
    /* deferred output (batched I/O): the flush advances it, then its interest is set */
    if (c->phase == P_DEAD || c->flushq.next)
        return;
    size_t pending = conn_pending(c);
    /* the transport handshake is one operation; its wait is kept in read_wait */
    bool want_read = c->phase == P_TRANSPORT ||
                     (!c->peer_eof && ((c->phase <= P_CLOSING && pending <= ECHO_BACKPRESSURE) ||
                                       c->phase == P_LINGER));
    bool want_write = c->phase != P_TRANSPORT && c->phase != P_LINGER && pending > 0;
    /* bytes the transport decrypted ahead are invisible to epoll: come back to them
     * without waiting - but only while reading is wanted, so backpressure holds */
    if (want_read && c->phase != P_TRANSPORT && c->read_wait != ECHO_IO_WANT_WRITE &&
        c->tr.ops->buffered && c->tr.ops->buffered(&c->tr) > 0 && !c->ready.next)
        link_append(&c->loop->ready, &c->ready);
    uint32_t ev = 0;
    if (want_read)
        ev |= c->read_wait == ECHO_IO_WANT_WRITE ? EPOLLOUT : EPOLLIN;
    if (want_write)
        ev |= c->write_wait == ECHO_IO_WANT_READ ? EPOLLIN : EPOLLOUT;
    if (ev == c->events)
        return;
    struct epoll_event e = {.events = ev, .data.ptr = c};
    if (epoll_ctl(c->loop->epfd, EPOLL_CTL_MOD, c->tr.fd, &e) != 0) {
        conn_log(c, "epoll_ctl: %s", strerror(errno));
        conn_destroy(c);
        return;
    }
    c->events = ev;
}

/* What one write of c's output did, whether a plain write or a batched send: n bytes
 * are sent (the connection moved bytes), or it waits for the readiness r names, or the
 * connection failed and is destroyed (false). */
static bool conn_wrote(struct echo_conn *c, enum echo_io r, size_t n)
{
    if (r == ECHO_IO_DONE) {
        ws_conn_sent(&c->ws, n);
        conn_progress(c);
        return true;
    }
    if (r == ECHO_IO_WANT_READ || r == ECHO_IO_WANT_WRITE) {
        c->write_wait = (uint8_t)r;
        return true;
    }
    char why[160];
    conn_log(c, "write failed (%s); dropped", echo_transport_error_text(&c->tr, why, sizeof why));
    conn_destroy(c);
    return false;
}

/* Write pending output until the socket is full or ECHO_WRITE_BUDGET bytes went out
 * (then EPOLLOUT stays on and the rest goes in a later round). Returns false if the
 * connection was destroyed (write error). */
static bool conn_flush(struct echo_conn *c)
{
    size_t budget = ECHO_WRITE_BUDGET;
    for (;;) {
        const uint8_t *data;
        size_t len = ws_conn_pending(&c->ws, &data);
        if (len == 0) {
            c->write_wait = 0;
            return true;
        }
        if (budget == 0)
            return true;
        if (c->loop->batching) { /* batched I/O, step 2: it goes in this batch's flush */
            if (!c->flushq.next)
                link_append(&c->loop->flushq, &c->flushq);
            return true;
        }
        if (len > budget)
            len = budget;
        size_t n = 0;
        enum echo_io r = c->tr.ops->write(&c->tr, data, len, &n);
        if (!conn_wrote(c, r, n))
            return false;
        if (r != ECHO_IO_DONE)
            return true;
        budget -= n;
    }
}

/* Bring the loop's phase in line with ws_conn's state, write what is pending, and
 * close TCP when the connection is over. */
static void conn_advance(struct echo_conn *c)
{
    if (c->phase == P_DEAD || c->phase == P_TRANSPORT)
        return;
    enum ws_conn_state st = ws_conn_state(&c->ws);
    if (c->phase == P_HANDSHAKE && (st == WS_OPEN || st == WS_CLOSING)) {
        c->phase = P_OPEN;
        timer_arm(c, T_IDLE);
    }
    if (c->phase == P_OPEN && st == WS_CLOSING) {
        c->phase = P_CLOSING;
        timer_arm(c, T_CLOSE);
    }
    struct ws_close_status cs;
    ws_conn_close_status(&c->ws, &cs);
    /* RFC 6455 7.1.7: to _Fail the WebSocket Connection_ the endpoint sends its Close
     * and "MUST _Close the WebSocket Connection_". We do not wait for the client's
     * Close in the WebSocket stream: when the failure came in the middle of a frame,
     * the client's Close arrives inside that frame's declared payload and can never be
     * parsed (Autobahn 6.4.3/6.4.4 do exactly that). */
    if (c->phase < P_FLUSH && (st == WS_CLOSED || (cs.failed && st == WS_CLOSING))) {
        /* coming from CLOSING, the close deadline already runs and keeps running */
        if (c->phase != P_CLOSING)
            timer_arm(c, T_CLOSE);
        c->phase = P_FLUSH;
    }
    if (c->phase <= P_FLUSH && !conn_flush(c))
        return;
    if (c->phase == P_FLUSH && conn_pending(c) == 0) {
        if ((!c->refused && cs.clean) || c->peer_eof) {
            conn_destroy(c); /* closing handshake done: the server closes first (7.1.1) */
            return;
        }
        /* A refusal or a failure is written: send FIN, then read until the client's FIN
         * so that closing does not turn unread bytes into a RST that destroys what we
         * sent (RFC 9112 section 9.6 describes the same "lingering close"). */
        if (c->tr.ops->shutdown(&c->tr) == ECHO_IO_ERROR) {
            conn_destroy(c);
            return;
        }
        c->phase = P_LINGER;
        timer_arm(c, T_LINGER);
    }
    conn_update_events(c);
}

/* Where c's next read goes: straight into the message being reassembled when it is
 * inside a data frame's payload, else into `fallback` (ECHO_READ_BUF bytes). */
static size_t conn_read_space(struct echo_conn *c, uint8_t *fallback, uint8_t **buf)
{
    if (c->phase == P_OPEN || c->phase == P_CLOSING) {
        uint8_t *direct = NULL;
        size_t room = ws_conn_recv_space(&c->ws, &direct);
        if (room > 0) {
            *buf = direct;
            return room;
        }
    }
    *buf = fallback;
    return ECHO_READ_BUF;
}

/* One read, handed to ws_conn (or discarded while lingering). Inside a data frame's
 * payload the bytes are read straight into the message being reassembled
 * (ws_conn_recv_space): a large message is then copied by nobody but the kernel. */
static void conn_read(struct echo_conn *c)
{
    struct echo_loop *l = c->loop;
    uint8_t *buf;
    size_t n = 0;
    enum echo_io r;
    if (c->pre_read) { /* batched I/O: read in step 1, into conn_read_space's buffer */
        c->pre_read = false;
        buf = c->pre_buf;
        r = echo_transport_tcp_result(&c->tr, c->pre_res, false, &n);
    } else {
        size_t cap = conn_read_space(c, l->rbuf, &buf);
        r = c->tr.ops->read(&c->tr, buf, cap, &n);
    }
    switch (r) {
    case ECHO_IO_DONE:
        c->read_wait = 0;
        if (c->phase == P_LINGER)
            break;
        conn_progress(c);
        wire_record("server", NULL, c->rec_id, buf, n, &c->rec_done);
        {
            enum ws_error e = ws_conn_recv(&c->ws, buf, n);
            if (e != WS_E_OK) {
                conn_log_failure(c, e);
                if (e == WS_E_NOMEM && ws_conn_state(&c->ws) == WS_OPEN)
                    ws_conn_fail(&c->ws, WS_E_NOMEM, 0);
            }
        }
        break;
    case ECHO_IO_WANT_READ:
    case ECHO_IO_WANT_WRITE:
        c->read_wait = (uint8_t)r;
        break;
    case ECHO_IO_EOF:
        c->peer_eof = true;
        if (c->phase == P_LINGER) {
            conn_destroy(c);
            return;
        }
        if (c->phase == P_HANDSHAKE || c->phase == P_OPEN)
            conn_log(c, "peer closed TCP without a closing handshake");
        ws_conn_eof(&c->ws);
        break;
    case ECHO_IO_ERROR: {
        char why[160];
        conn_log(c, "read failed (%s); dropped",
                 echo_transport_error_text(&c->tr, why, sizeof why));
        conn_destroy(c);
        return;
    }
    }
    /* bytes the transport still holds: conn_update_events puts c on the ready list */
}

/* Transport handshake step (TLS accept); TCP connections never get here. */
static void conn_transport_handshake(struct echo_conn *c)
{
    enum echo_io r = c->tr.ops->handshake(&c->tr);
    if (r == ECHO_IO_DONE) {
        c->phase = P_HANDSHAKE;
        c->read_wait = 0;
        return;
    }
    if (r == ECHO_IO_WANT_READ || r == ECHO_IO_WANT_WRITE) {
        c->read_wait = (uint8_t)r;
        return;
    }
    char why[160];
    conn_log(c, "%s handshake failed (%s); closed", c->tr.ops->name,
             echo_transport_error_text(&c->tr, why, sizeof why));
    /* FIN, then drain until the client's (linger, as after an HTTP refusal): closing at
     * once with the client's bytes unread would answer them with a RST, which can
     * destroy the alert just sent before the client reads it. */
    c->read_wait = 0;
    if (c->tr.ops->shutdown(&c->tr) == ECHO_IO_ERROR) {
        conn_destroy(c);
        return;
    }
    c->phase = P_LINGER;
    timer_arm(c, T_LINGER);
}

static void conn_on_events(struct echo_conn *c, uint32_t ev)
{
    bool readable = (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0;
    bool writable = (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0;
    if (c->phase == P_TRANSPORT) {
        conn_transport_handshake(c);
        if (c->phase == P_TRANSPORT) {
            conn_update_events(c);
            return;
        }
        if (c->phase == P_DEAD)
            return;
    }
    bool reading = c->events & (c->read_wait == ECHO_IO_WANT_WRITE ? EPOLLOUT : EPOLLIN);
    /* a batched read already took bytes off the socket: they are handed on whatever an
     * earlier event of the batch changed (a shutdown began) */
    if (c->pre_read || (reading && (c->read_wait == ECHO_IO_WANT_WRITE ? writable : readable)))
        conn_read(c);
    if (c->phase == P_DEAD)
        return;
    conn_advance(c);
    /* A hang-up or error that neither the read nor the write above turned into a
     * close (e.g. reading paused by backpressure and nothing writable) ends it here;
     * level-triggered epoll would otherwise report it forever. */
    if (c->phase != P_DEAD && (ev & (EPOLLHUP | EPOLLERR))) {
        conn_log(c, "connection reset or hung up; dropped");
        conn_destroy(c);
    }
}

/* ------------------------------------------------------------ ws_conn callbacks */

static void on_handshake(struct ws_conn *ws, enum ws_error result, const char *raw, size_t len,
                         void *user)
{
    (void)ws, (void)raw, (void)len;
    struct echo_conn *c = user;
    if (result != WS_E_OK)
        c->refused = true;
}

/* The echo itself: a whole message back with its opcode. */
static void on_message(struct ws_conn *ws, enum ws_opcode op, const uint8_t *data, size_t len,
                       void *user)
{
    struct echo_conn *c = user;
    enum ws_error e = ws_conn_send(ws, op, data, len);
    /* WRONG_STATE: our Close went out already (shutdown, idle) - nothing may follow it
     * (5.5.1). OUTPUT_FULL cannot happen with max_output sized for the backpressure
     * bound; if it does, the connection is failed (1008) rather than memory grown. The
     * offset is 0: the limit is ours, not a byte of the peer's. */
    if (e == WS_E_OUTPUT_FULL || e == WS_E_NOMEM) {
        ws_conn_fail(ws, e, 0);
        conn_log_failure(c, e);
    }
}

/* Masks and keys are for the client role only, but ws_conn may ask in any role: give
 * it a CSPRNG rather than anything predictable. */
static void echo_random(void *ud, uint8_t *out, size_t n)
{
    (void)ud;
    while (n > 0) {
        int chunk = n > INT_MAX ? INT_MAX : (int)n;
        if (RAND_bytes(out, chunk) != 1) {
            ssize_t got = getrandom(out, (size_t)chunk, 0);
            if (got <= 0) {
                fputs("wsspec echo: no random bytes available\n", stderr);
                abort();
            }
            chunk = (int)got;
        }
        out += chunk;
        n -= (size_t)chunk;
    }
}

/* ------------------------------------------------------------ accepting */

static void conn_new(struct echo_loop *l, int fd, const struct sockaddr_storage *peer)
{
    int one = 1;
    /* echoes are small and latency-bound: do not let Nagle hold them back */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct echo_conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    struct ws_conn_config cfg = l->wscfg;
    cfg.user = c;
    if (ws_conn_init(&c->ws, &cfg) != WS_E_OK) {
        free(c);
        close(fd);
        return;
    }
    if (!l->opt->tls) {
        echo_transport_tcp_init(&c->tr, fd);
    } else if (echo_transport_tls_init(&c->tr, fd, l->opt->tls) != 0) {
        ws_conn_free(&c->ws);
        free(c);
        close(fd);
        return;
    }
    c->loop = l;
    peer_keep(c, peer);
    c->rec_id = wire_record_next_id();
    c->tkind = T_NONE;
    c->phase = c->tr.ops->handshake ? P_TRANSPORT : P_HANDSHAKE;
    c->events = EPOLLIN;
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &e) != 0) {
        ws_conn_free(&c->ws);
        c->tr.ops->close(&c->tr);
        free(c);
        return;
    }
    link_append(&l->conns, &c->all);
    l->n_conns++;
    timer_arm(c, T_HANDSHAKE);
}

static void accept_pause(struct echo_loop *l, bool pause)
{
    struct epoll_event e = {.events = pause ? 0 : EPOLLIN, .data.ptr = &l->tag_listen};
    epoll_ctl(l->epfd, EPOLL_CTL_MOD, l->lfd, &e);
    l->accept_paused = pause;
    l->accept_resume = l->now + ECHO_ACCEPT_PAUSE_MS;
}

static void accept_all(struct echo_loop *l)
{
    for (int i = 0; i < ECHO_ACCEPT_BATCH; i++) {
        struct sockaddr_storage peer = {0};
        socklen_t len = sizeof peer;
        int fd = accept4(l->lfd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            conn_new(l, fd, &peer);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            if (l->opt->verbose)
                fprintf(l->log, "wsspec echo: accept: %s (%zu connections); pausing %u ms\n",
                        strerror(errno), l->n_conns, ECHO_ACCEPT_PAUSE_MS);
            accept_pause(l, true);
        }
        return; /* EAGAIN: the backlog is empty */
    }
}

/* ------------------------------------------------------------ stopping */

/* First SIGINT/SIGTERM: stop accepting, Close 1001 ("going away", 7.4.1) to every open
 * connection, drop the ones still in their opening handshake, and let the loop run
 * until all are gone or close_timeout passed. A second signal stops at once. */
static void loop_begin_stop(struct echo_loop *l)
{
    if (l->stopping) {
        l->stop_deadline = l->now;
        return;
    }
    l->stopping = true;
    l->stop_deadline = l->now + l->opt->close_timeout_ms;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, l->lfd, NULL);
    close(l->lfd);
    l->lfd = -1;
    static const char reason[] = "server shutting down";
    for (struct echo_link *p = l->conns.next, *next; p != &l->conns; p = next) {
        next = p->next;
        struct echo_conn *c = ECHO_CONTAINER(p, struct echo_conn, all);
        if (c->phase < P_OPEN) {
            conn_destroy(c);
        } else if (c->phase == P_OPEN) {
            ws_conn_close(&c->ws, 1001, reason, sizeof reason - 1);
            conn_advance(c);
        }
    }
}

static void loop_on_signal(struct echo_loop *l)
{
    struct signalfd_siginfo si;
    while (read(l->sfd, &si, sizeof si) == (ssize_t)sizeof si)
        loop_begin_stop(l);
}

/* ------------------------------------------------------------ the loop */

static void on_timeout(struct echo_conn *c, enum echo_timer kind)
{
    struct echo_loop *l = c->loop;
    switch (kind) {
    case T_HANDSHAKE:
        conn_log(c, "dropped: %s handshake not complete after %llu ms",
                 c->phase == P_TRANSPORT ? "TLS" : "opening",
                 (unsigned long long)l->duration[T_HANDSHAKE]);
        conn_destroy(c);
        break;
    case T_IDLE: {
        static const char reason[] = "idle timeout";
        conn_log(c, "idle for %llu ms: Close 1001", (unsigned long long)l->duration[T_IDLE]);
        if (ws_conn_close(&c->ws, 1001, reason, sizeof reason - 1) != WS_E_OK) {
            conn_destroy(c);
            break;
        }
        conn_advance(c);
        break;
    }
    case T_CLOSE:
        conn_log(c, "dropped: closing handshake not complete after %llu ms",
                 (unsigned long long)l->duration[T_CLOSE]);
        conn_destroy(c);
        break;
    case T_LINGER:
    case T_COUNT:
        conn_destroy(c);
        break;
    }
}

static void expire_timers(struct echo_loop *l)
{
    for (int k = 0; k < T_COUNT; k++) {
        struct echo_link *h = &l->timers[k];
        while (!link_empty(h)) {
            struct echo_conn *c = ECHO_CONTAINER(h->next, struct echo_conn, timer);
            if (c->deadline > l->now)
                break;
            timer_disarm(c);
            on_timeout(c, (enum echo_timer)k);
        }
    }
}

/* epoll_wait timeout in ms: until the nearest deadline, -1 for none. */
static int next_timeout(const struct echo_loop *l)
{
    if (!link_empty(&l->ready))
        return 0;
    uint64_t next = UINT64_MAX;
    for (int k = 0; k < T_COUNT; k++) {
        if (link_empty(&l->timers[k]))
            continue;
        const struct echo_conn *c = ECHO_CONTAINER(l->timers[k].next, struct echo_conn, timer);
        if (c->deadline < next)
            next = c->deadline;
    }
    if (l->stopping && l->stop_deadline < next)
        next = l->stop_deadline;
    if (l->accept_paused && l->accept_resume < next)
        next = l->accept_resume;
    if (!link_empty(&l->warm)) {
        const struct echo_conn *c = ECHO_CONTAINER(l->warm.next, struct echo_conn, warm);
        if (c->warm_at + ECHO_TRIM_MS < next)
            next = c->warm_at + ECHO_TRIM_MS;
    }
    if (next == UINT64_MAX)
        return -1;
    if (next <= l->now)
        return 0;
    uint64_t ms = next - l->now;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

static void free_graveyard(struct echo_loop *l)
{
    while (!link_empty(&l->graveyard)) {
        struct echo_conn *c = ECHO_CONTAINER(l->graveyard.next, struct echo_conn, all);
        link_remove(&c->all);
        free(c);
    }
}

static void run_ready(struct echo_loop *l)
{
    /* each connection gets one more read per round, as if epoll had reported it */
    struct echo_link batch;
    link_head_init(&batch);
    while (!link_empty(&l->ready)) {
        struct echo_link *p = l->ready.next;
        link_remove(p);
        link_append(&batch, p);
    }
    while (!link_empty(&batch)) {
        struct echo_conn *c = ECHO_CONTAINER(batch.next, struct echo_conn, ready);
        link_remove(&c->ready);
        if (c->phase == P_DEAD)
            continue;
        conn_read(c);
        conn_advance(c);
    }
}

/* The listening socket; with reuseport (--workers) one of a group on the same port,
 * among which the kernel spreads the connections. */
static int listen_socket(const struct echo_options *o, bool reuseport, FILE *log)
{
    int fd = socket(o->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(log, "wsspec echo: socket: %s\n", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        fprintf(log, "wsspec echo: SO_REUSEPORT: %s\n", strerror(errno));
        close(fd);
        return -1;
    }
    char where[INET6_ADDRSTRLEN + 16];
    format_addr(&o->addr, where, sizeof where);
    if (bind(fd, (const struct sockaddr *)&o->addr, o->addr_len) != 0) {
        fprintf(log, "wsspec echo: cannot listen on %s: %s\n", where, strerror(errno));
        close(fd);
        return -1;
    }
    if (listen(fd, ECHO_LISTEN_BACKLOG) != 0) {
        fprintf(log, "wsspec echo: listen on %s: %s\n", where, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* --workers: the port bound (SO_REUSEPORT, not listening) so that port 0 becomes one
 * number the workers' listening sockets then share. */
static int listen_socket_bound(const struct echo_options *o, FILE *log)
{
    int fd = socket(o->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        bind(fd, (const struct sockaddr *)&o->addr, o->addr_len) != 0) {
        char where[INET6_ADDRSTRLEN + 16];
        format_addr(&o->addr, where, sizeof where);
        fprintf(log, "wsspec echo: cannot listen on %s: %s\n", where, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

uint64_t echo_loop_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    if (geteuid() == 0 && rl.rlim_max != RLIM_INFINITY && rl.rlim_max < ECHO_NOFILE_WANTED) {
        struct rlimit want = {ECHO_NOFILE_WANTED, ECHO_NOFILE_WANTED};
        if (setrlimit(RLIMIT_NOFILE, &want) == 0)
            rl = want;
    }
    if (rl.rlim_cur != rl.rlim_max) {
        /* an unlimited hard limit still cannot exceed fs.nr_open; ask for the wanted */
        struct rlimit want = rl;
        want.rlim_cur = rl.rlim_max == RLIM_INFINITY ? ECHO_NOFILE_WANTED : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &want);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    return rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
}

size_t echo_loop_conn_size(void)
{
    return sizeof(struct echo_conn);
}

static void print_listening(int lfd, bool tls, FILE *out)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    memset(&ss, 0, sizeof ss);
    char where[INET6_ADDRSTRLEN + 16] = "?";
    if (getsockname(lfd, (struct sockaddr *)&ss, &len) == 0)
        format_addr(&ss, where, sizeof where);
    fprintf(out, "wsspec echo: listening on %s://%s/\n", tls ? "wss" : "ws", where);
    fflush(out);
}

static void loop_init_config(struct echo_loop *l, const struct echo_options *o)
{
    l->opt = o;
    l->duration[T_HANDSHAKE] = o->handshake_timeout_ms;
    l->duration[T_IDLE] = o->idle_timeout_ms;
    l->duration[T_CLOSE] = o->close_timeout_ms;
    l->duration[T_LINGER] = ECHO_LINGER_MS;
    link_head_init(&l->conns);
    link_head_init(&l->ready);
    link_head_init(&l->graveyard);
    link_head_init(&l->warm);
    link_head_init(&l->flushq);
    for (int k = 0; k < T_COUNT; k++)
        link_head_init(&l->timers[k]);
    l->wscfg.role = WS_ROLE_SERVER;
    l->wscfg.max_message = o->max_message;
    l->wscfg.origins = o->origins;
    l->wscfg.n_origins = o->n_origins;
    l->wscfg.pmd = o->pmd;
    if (!o->deflate_context_takeover) {
        l->wscfg.pmd.client_no_context_takeover = true;
        l->wscfg.deflate_each_message = true;
    }
    /* The most output the backpressure rule lets queue up: up to ECHO_BACKPRESSURE
     * before reading stops, then one read's worth of echoes (never more bytes than
     * they came in with), one whole echoed message and a Close. Twice the read buffer
     * covers the frame headers. */
    l->wscfg.max_output = (size_t)o->max_message + ECHO_BACKPRESSURE + 2 * ECHO_READ_BUF;
    l->wscfg.keep_buffers = true; /* given back by trim_quiet */
    l->wscfg.random = echo_random;
    l->wscfg.cb.on_handshake = on_handshake;
    l->wscfg.cb.on_message = on_message;
}

/* ------------------------------------------------------------ batched I/O */

/* The ring failed (not complete in time, or io_uring_enter refused): operations may still
 * be in the kernel's hands, so the loop stops rather than touch their buffers. */
static bool ring_failed(struct echo_loop *l, int err)
{
    fprintf(l->log, "wsspec echo: io_uring: %s; stopping (--io epoll runs without it)\n",
            err == ETIME ? "operations not complete in time" : strerror(err));
    return false;
}

/* Step 1: the recv of every connection this batch reads from (the test is
 * conn_on_events'), all in one io_uring_enter; conn_read finds the results. False if the
 * ring failed. */
static bool batch_read(struct echo_loop *l, const struct epoll_event *evs, int n)
{
    struct echo_conn *todo[ECHO_URING_SLOTS];
    unsigned k = 0;
    for (int i = 0; i < n && k < ECHO_URING_SLOTS; i++) {
        if (evs[i].data.ptr == &l->tag_signal || evs[i].data.ptr == &l->tag_listen)
            continue;
        struct echo_conn *c = evs[i].data.ptr;
        if (c->phase != P_DEAD && (c->events & EPOLLIN) &&
            (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
            todo[k++] = c;
    }
    if (k < 2)
        return true; /* one recv costs what one io_uring_enter costs */
    for (unsigned j = 0; j < k; j++) {
        struct echo_conn *c = todo[j];
        size_t cap = conn_read_space(c, l->slots + (size_t)j * ECHO_READ_BUF, &c->pre_buf);
        echo_uring_recv(&l->ring, c->tr.fd, c->pre_buf, cap, (uintptr_t)c); /* room: k <= entries */
    }
    int err = echo_uring_run(&l->ring);
    if (err)
        return ring_failed(l, err);
    uint64_t tag;
    int32_t res;
    while (echo_uring_next(&l->ring, &tag, &res)) {
        struct echo_conn *c = (struct echo_conn *)(uintptr_t)tag;
        c->pre_res = res;
        c->pre_read = true;
    }
    return true;
}

/* What one send moved, for c, as conn_flush takes a plain write's result; then c
 * advances (writing what is left the ordinary way, closing when it is over). */
static void batch_sent(struct echo_conn *c, int64_t res)
{
    size_t n = 0;
    enum echo_io r = echo_transport_tcp_result(&c->tr, res, true, &n);
    if (conn_wrote(c, r, n))
        conn_advance(c);
}

/* Step 3: a send for every connection on the flush list, ECHO_URING_ENTRIES per
 * io_uring_enter. False if the ring failed. */
static bool batch_flush(struct echo_loop *l)
{
    if (l->flushq.next->next == &l->flushq) { /* just one: a plain send */
        struct echo_conn *c = ECHO_CONTAINER(l->flushq.next, struct echo_conn, flushq);
        link_remove(&c->flushq);
        conn_advance(c);
        return true;
    }
    while (!link_empty(&l->flushq)) {
        unsigned k = 0;
        while (!link_empty(&l->flushq) && k < ECHO_URING_ENTRIES) {
            struct echo_conn *c = ECHO_CONTAINER(l->flushq.next, struct echo_conn, flushq);
            link_remove(&c->flushq);
            const uint8_t *data;
            size_t len = ws_conn_pending(&c->ws, &data);
            if (len > ECHO_WRITE_BUDGET)
                len = ECHO_WRITE_BUDGET;
            echo_uring_send(&l->ring, c->tr.fd, data, len, (uintptr_t)c);
            k++;
        }
        int err = echo_uring_run(&l->ring);
        if (err)
            return ring_failed(l, err);
        uint64_t tag;
        int32_t res;
        while (echo_uring_next(&l->ring, &tag, &res))
            batch_sent((struct echo_conn *)(uintptr_t)tag, res);
    }
    return true;
}

static void loop_dispatch(struct echo_loop *l, const struct epoll_event *ev)
{
    if (ev->data.ptr == &l->tag_signal) {
        loop_on_signal(l);
    } else if (ev->data.ptr == &l->tag_listen) {
        if (!l->stopping)
            accept_all(l);
    } else {
        struct echo_conn *c = ev->data.ptr;
        if (c->phase != P_DEAD)
            conn_on_events(c, ev->events);
    }
}

/* One event loop. ready_fd < 0: print the "listening on" line to out; else (a worker)
 * write one byte to ready_fd once listening, and listen with SO_REUSEPORT. */
static int loop_run(const struct echo_options *o, FILE *out, FILE *log, int ready_fd)
{
    int rc = 1;
    struct echo_loop *l = calloc(1, sizeof *l);
    if (!l) {
        fputs("wsspec echo: out of memory\n", log);
        return 1;
    }
    l->log = log;
    l->epfd = l->lfd = l->sfd = -1;
    loop_init_config(l, o);

    /* Signals become readable events; blocked before the "listening" line so a test
     * that signals right after reading it is never killed by the default action. */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    /* a reset peer must surface as EPIPE from a write, never kill the process (TLS
     * writes will not pass MSG_NOSIGNAL) */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
    sigaction(SIGPIPE, &ign, &old_pipe);

    echo_loop_raise_nofile();
    l->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->sfd < 0 || l->epfd < 0) {
        fprintf(log, "wsspec echo: signalfd/epoll: %s\n", strerror(errno));
        goto out;
    }
    if (o->io != ECHO_MODE_EPOLL && !o->tls) {
        int err = echo_uring_init(&l->ring, ECHO_URING_ENTRIES);
        if (!err && !(l->slots = malloc((size_t)ECHO_URING_SLOTS * ECHO_READ_BUF))) {
            echo_uring_free(&l->ring);
            err = ENOMEM;
        }
        l->ring_on = !err;
        if (err && o->io == ECHO_MODE_URING) {
            fprintf(log, "wsspec echo: --io uring: io_uring_setup: %s\n", strerror(err));
            goto out;
        }
    }
    l->lfd = listen_socket(o, ready_fd >= 0, log);
    if (l->lfd < 0)
        goto out;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->tag_signal};
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &l->tag_listen};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->sfd, &ev) != 0 ||
        epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->lfd, &lev) != 0) {
        fprintf(log, "wsspec echo: epoll_ctl: %s\n", strerror(errno));
        goto out;
    }
    if (ready_fd < 0) {
        print_listening(l->lfd, o->tls != NULL, out);
    } else {
        bool told = write(ready_fd, "r", 1) == 1;
        close(ready_fd);
        if (!told)
            goto out;
    }

    l->now = now_ms();
    struct epoll_event evs[ECHO_EVENTS];
    while (!(l->stopping && (l->n_conns == 0 || l->now >= l->stop_deadline))) {
        int n = epoll_wait(l->epfd, evs, ECHO_EVENTS, next_timeout(l));
        l->now = now_ms();
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(log, "wsspec echo: epoll_wait: %s\n", strerror(errno));
            goto out;
        }
        if (l->ring_on && !batch_read(l, evs, n))
            goto out;
        l->batching = l->ring_on;
        for (int i = 0; i < n; i++)
            loop_dispatch(l, &evs[i]);
        l->batching = false;
        if (l->ring_on && !link_empty(&l->flushq) && !batch_flush(l))
            goto out;
        run_ready(l);
        expire_timers(l);
        trim_quiet(l);
        if (l->accept_paused && !l->stopping && l->now >= l->accept_resume)
            accept_pause(l, false);
        free_graveyard(l);
    }
    rc = 0;
out:
    if (l->ring_on) /* first: nothing of the kernel's may outlive the buffers */
        echo_uring_free(&l->ring);
    while (!link_empty(&l->conns))
        conn_destroy(ECHO_CONTAINER(l->conns.next, struct echo_conn, all));
    free_graveyard(l);
    if (l->lfd >= 0)
        close(l->lfd);
    if (l->sfd >= 0)
        close(l->sfd);
    if (l->epfd >= 0)
        close(l->epfd);
    free(l->slots);
    sigaction(SIGPIPE, &old_pipe, NULL);
    /* SIGINT/SIGTERM stay blocked: unblocking now would let a second signal that
     * arrived during the shutdown kill the process on its way out with a non-zero
     * status, and the caller exits right after this anyway. */
    free(l);
    return rc;
}

/* ------------------------------------------------------------ --workers */

/* How long the workers may take to listen before the start counts as failed. */
#define ECHO_WORKERS_START_MS 10000

/* Wait until n bytes came on fd (each worker writes one once it listens) or the
 * deadline passed. */
static bool workers_ready(int fd, unsigned n)
{
    uint64_t deadline = now_ms() + ECHO_WORKERS_START_MS;
    unsigned got = 0;
    while (got < n) {
        uint64_t now = now_ms();
        if (now >= deadline)
            return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)(deadline - now)) < 0 && errno != EINTR)
            return false;
        char b[64];
        ssize_t r = read(fd, b, sizeof b);
        if (r == 0)
            return false; /* every worker is gone */
        if (r > 0)
            got += (unsigned)r;
    }
    return true;
}

static void workers_signal(const pid_t *pids, unsigned n, int sig)
{
    for (unsigned i = 0; i < n; i++)
        if (pids[i] > 0)
            kill(pids[i], sig);
}

/* Until every worker has exited: SIGINT/SIGTERM are passed on to them (their own
 * shutdown has its deadline, --close-timeout; a second signal stops them at once), a
 * worker that exits unasked stops the others. 0 if all exited 0 after being asked. */
static int workers_wait(pid_t *pids, unsigned n, int sfd)
{
    unsigned alive = n;
    bool asked = false, bad = false;
    while (alive > 0) {
        struct signalfd_siginfo si;
        struct pollfd p = {.fd = sfd, .events = POLLIN};
        if (poll(&p, 1, -1) < 0 && errno != EINTR)
            return 1;
        while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
            if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM) {
                asked = true;
                workers_signal(pids, n, SIGTERM);
            }
        }
        int st;
        pid_t pid;
        while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
            for (unsigned i = 0; i < n; i++)
                if (pids[i] == pid)
                    pids[i] = 0, alive--;
            if (!asked || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
                bad = true;
            if (!asked) {
                asked = true;
                workers_signal(pids, n, SIGTERM);
            }
        }
    }
    return bad ? 1 : 0;
}

/* --workers N: N processes, each its own event loop and descriptor table (so each its
 * own RLIMIT_NOFILE), all listening on the same port with SO_REUSEPORT; the kernel
 * spreads the connections among them. This process binds the port first (so port 0
 * gets one number for all), starts the workers, prints the line once they all listen,
 * and then only passes signals on and waits. */
static int workers_run(const struct echo_options *o, FILE *out, FILE *log)
{
    pid_t pids[ECHO_WORKERS_MAX] = {0};
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    int bfd = listen_socket_bound(o, log);
    int ready[2] = {-1, -1};
    if (sfd < 0 || bfd < 0 || pipe2(ready, O_CLOEXEC) != 0) {
        if (sfd < 0 || bfd >= 0)
            fprintf(log, "wsspec echo: signalfd/pipe: %s\n", strerror(errno));
        if (sfd >= 0)
            close(sfd);
        if (bfd >= 0)
            close(bfd);
        return 1;
    }
    struct echo_options wo = *o;
    socklen_t al = sizeof wo.addr;
    getsockname(bfd, (struct sockaddr *)&wo.addr, &al);
    wo.workers = 1;
    fflush(out);
    fflush(log);
    unsigned started = 0;
    for (; started < o->workers; started++) {
        pid_t pid = fork();
        if (pid < 0)
            break;
        if (pid == 0) {
            close(ready[0]);
            close(bfd);
            close(sfd);
            _exit(loop_run(&wo, out, log, ready[1]));
        }
        pids[started] = pid;
    }
    close(ready[1]);
    bool ok = started == o->workers && workers_ready(ready[0], started);
    close(ready[0]);
    if (ok)
        print_listening(bfd, o->tls != NULL, out);
    else
        fprintf(log, "wsspec echo: %u of %u workers did not start\n", o->workers - started,
                o->workers);
    close(bfd); /* the workers' sockets hold the port now */
    if (!ok)
        workers_signal(pids, started, SIGKILL);
    int rc = workers_wait(pids, started, sfd);
    close(sfd);
    return ok ? rc : 1;
}

int echo_loop_run(const struct echo_options *o, FILE *out, FILE *log)
{
    if (o->workers > 1)
        return workers_run(o, out, log);
    return loop_run(o, out, log, -1);
}

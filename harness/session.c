/*
 * session.c - one case on the wire (see session.h for the phases).
 *
 * Fairness: one session reads at most SESSION_READ_BUDGET and writes at most
 * SESSION_WRITE_BUDGET per loop pass, so one fast target cannot starve the others;
 * paced elements go out one per pass anyway (sendq.h).
 */
#define _GNU_SOURCE
#include "session.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SESSION_READ_BUDGET (4 * 1024 * 1024)
#define SESSION_WRITE_BUDGET (4 * 1024 * 1024)

/* ------------------------------------------------------------ phases and interest */

/* What the socket is watched for, from the phase and what a blocked call waits for. */
static void watch(struct session *s, uint32_t events)
{
    if (s->io.fd >= 0)
        loop_watch(s->loop, s->io.fd, events, s);
}

static void watch_running(struct session *s)
{
    bool out = (s->write_blocked && !s->write_wants_read) || s->read_wants_write;
    watch(s, EPOLLIN | (out ? EPOLLOUT : 0));
}

/* The one place the phase changes; entering DONE closes the socket. */
static void enter(struct session *s, enum session_phase to)
{
    s->phase = to;
    if (to == SESSION_RUNNING)
        watch_running(s);
    if (to == SESSION_DONE && s->io.fd >= 0) {
        loop_unwatch(s->loop, s->io.fd);
        transport_close(&s->io);
    }
}

bool session_done(const struct session *s)
{
    return s->phase == SESSION_DONE;
}

/* The script ended the case (wsspec drops TCP), or the target did. */
static void check_script(struct session *s)
{
    if (s->phase != SESSION_DONE && script_done(&s->sc))
        enter(s, SESSION_DONE);
}

/* The target broke the connection (reset, TLS alert, EOF). */
static void target_closed(struct session *s, bool error, double now)
{
    char why[96], text[48];
    const char *note = NULL;
    if (error && s->io.ssl) {
        transport_error(&s->io, why, sizeof why);
        snprintf(text, sizeof text, "TLS: %.42s", why);
        note = text;
    }
    struct case_result *r = s->sc.r;
    if (error && !r->handshake_done && !r->connect_error[0]) {
        /* during the opening handshake the reason is the probe's one line */
        transport_error(&s->io, why, sizeof why);
        snprintf(r->connect_error, sizeof r->connect_error, "%s%s", s->io.ssl ? "TLS: " : "", why);
    }
    script_tcp_closed(&s->sc, note, now);
    enter(s, SESSION_DONE);
}

/* ------------------------------------------------------------ starting */

static void fail_start(struct session *s, const char *what, int e)
{
    snprintf(s->sc.r->connect_error, sizeof s->sc.r->connect_error, "%s: %s", what, strerror(e));
    script_tcp_closed(&s->sc, NULL, s->sc.t0);
    enter(s, SESSION_DONE);
}

/* wsspec's own trouble - its machine, not the target - ends the run, never a case. */
static bool ours(int e)
{
    return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

int session_start(struct session *s, struct loop *l, struct session_bufs *b, const struct target *t,
                  const struct script_config *cfg, double now, char *err, size_t err_len)
{
    memset(s, 0, sizeof *s);
    s->loop = l;
    s->t = t;
    s->bufs = b;
    transport_init(&s->io, -1);
    s->phase = SESSION_CONNECTING;
    if (!script_init(&s->sc, cfg, now)) {
        snprintf(err, err_len, "out of memory building case %s", cfg->def->id);
        return -1;
    }
    s->script_ready = true;
    int fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int e = errno;
        snprintf(err, err_len, "socket: %s%s", strerror(e),
                 e == EMFILE || e == ENFILE ? " (raise the limit with ulimit -n, or lower -j)"
                                            : "");
        if (ours(e))
            return -1;
        fail_start(s, "socket", e);
        return 1;
    }
    s->io.fd = fd;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (const struct sockaddr *)&t->addr, t->addr_len) < 0 && errno != EINPROGRESS) {
        int e = errno;
        if (ours(e)) {
            snprintf(err, err_len, "connect: %s", strerror(e));
            return -1;
        }
        fail_start(s, "connect", e);
        return 1;
    }
    if (loop_watch(l, fd, EPOLLOUT, s) != 0) {
        snprintf(err, err_len, "epoll_ctl: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int session_adopt(struct session *s, struct loop *l, struct session_bufs *b, struct transport *io,
                  uint8_t *head, size_t len, const struct script_config *cfg, double now, char *err,
                  size_t err_len)
{
    memset(s, 0, sizeof *s);
    s->loop = l;
    s->bufs = b;
    s->io = *io; /* the descriptor and the TLS session move here */
    transport_init(io, -1);
    s->phase = SESSION_RUNNING;
    if (!script_init(&s->sc, cfg, now)) {
        loop_unwatch(l, s->io.fd);
        transport_close(&s->io);
        s->phase = SESSION_DONE;
        snprintf(err, err_len, "cannot run case %s: %s", cfg->def->id, cfg->r->connect_error);
        return -1;
    }
    s->script_ready = true;
    if (s->io.ssl) {
        char text[48]; /* the note row session_start's TLS step writes too */
        transport_describe(&s->io, text, sizeof text);
        script_note(&s->sc, WL_NOTE, text, now);
    }
    if (loop_watch(l, s->io.fd, EPOLLIN, s) != 0) {
        snprintf(err, err_len, "epoll_ctl: %s", strerror(errno));
        session_abandon(s);
        return -1;
    }
    if (len)
        script_recv(&s->sc, head, len, now);
    check_script(s);
    return session_done(s) ? 1 : 0;
}

/* ------------------------------------------------------------ connect and TLS */

static void tls_step(struct session *s, double now)
{
    enum transport_status st = transport_handshake(&s->io);
    if (st == TRANSPORT_DONE) {
        char text[48];
        transport_describe(&s->io, text, sizeof text);
        script_note(&s->sc, WL_NOTE, text, now);
        enter(s, SESSION_RUNNING);
        return;
    }
    if (st == TRANSPORT_WANT_READ || st == TRANSPORT_WANT_WRITE) {
        watch(s, st == TRANSPORT_WANT_READ ? EPOLLIN : EPOLLOUT);
        return;
    }
    char why[96];
    transport_error(&s->io, why, sizeof why);
    snprintf(s->sc.r->connect_error, sizeof s->sc.r->connect_error, "TLS handshake failed: %s",
             why);
    s->sc.r->was_not_clean_reason = "TLS handshake failed";
    target_closed(s, false, now);
}

static void connected(struct session *s, double now)
{
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(s->io.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
        fail_start(s, "connect", err);
        return;
    }
    s->sc.r->connected = true;
    if (!s->t->secure) {
        enter(s, SESSION_RUNNING);
        return;
    }
    char why[96];
    if (!s->t->tls || transport_start_tls(&s->io, s->t->tls, s->t->host, why, sizeof why) != 0) {
        snprintf(s->sc.r->connect_error, sizeof s->sc.r->connect_error, "TLS: %s",
                 s->t->tls ? why : "no TLS settings");
        target_closed(s, false, now);
        return;
    }
    enter(s, SESSION_TLS);
    tls_step(s, now);
}

/* ------------------------------------------------------------ running */

static void read_some(struct session *s, double now)
{
    size_t budget = SESSION_READ_BUDGET;
    if (s->read_wants_write) {
        s->read_wants_write = false;
        watch_running(s);
    }
    while (budget && s->phase == SESSION_RUNNING) {
        size_t got = 0;
        enum transport_status st = transport_read(&s->io, s->bufs->rbuf, SESSION_READ_BUF, &got);
        if (st == TRANSPORT_WANT_READ)
            return;
        if (st == TRANSPORT_WANT_WRITE) {
            s->read_wants_write = true;
            watch_running(s);
            return;
        }
        if (st != TRANSPORT_DONE) {
            target_closed(s, st == TRANSPORT_ERROR, now);
            return;
        }
        script_recv(&s->sc, s->bufs->rbuf, got, now);
        check_script(s);
        budget = got < budget ? budget - got : 0;
    }
}

/* Write what the script has due, as the socket takes it. */
static void write_some(struct session *s, double now)
{
    size_t budget = SESSION_WRITE_BUDGET;
    s->wake = 0;
    while (budget && s->phase == SESSION_RUNNING && !s->write_blocked) {
        size_t n = script_output(&s->sc, now, s->bufs->wbuf, SESSION_WRITE_BUF, &s->wake);
        if (n == 0)
            return;
        size_t written = 0;
        enum transport_status st = transport_write(&s->io, s->bufs->wbuf, n, &written);
        if (st == TRANSPORT_WANT_WRITE || st == TRANSPORT_WANT_READ) {
            script_wrote(&s->sc, s->bufs->wbuf, 0, now); /* the same bytes next time */
            s->write_blocked = true;
            s->write_wants_read = st == TRANSPORT_WANT_READ;
            watch_running(s);
            return;
        }
        if (st != TRANSPORT_DONE) {
            /* EPIPE, ECONNRESET, TLS alert: the target is gone - but what it sent before
             * going is read first (a 431 to a request it stopped reading, say) */
            read_some(s, now);
            if (s->phase == SESSION_RUNNING)
                target_closed(s, true, now);
            return;
        }
        script_wrote(&s->sc, s->bufs->wbuf, written, now);
        check_script(s);
        budget = written < budget ? budget - written : 0;
    }
    if (!budget)
        s->wake = now; /* more is due: come back in the next pass */
}

void session_on_io(struct session *s, uint32_t events, double now)
{
    switch (s->phase) {
    case SESSION_CONNECTING:
        connected(s, now);
        break;
    case SESSION_TLS:
        tls_step(s, now);
        break;
    case SESSION_RUNNING: {
        /* a blocked write waits for writable - or, TLS only, for readable */
        uint32_t unblock = s->write_wants_read ? EPOLLIN : EPOLLOUT;
        if (s->write_blocked && (events & (unblock | EPOLLHUP | EPOLLERR))) {
            s->write_blocked = false;
            s->write_wants_read = false;
            watch_running(s);
        }
        if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) ||
            (s->read_wants_write && (events & EPOLLOUT)))
            read_some(s, now);
        break;
    }
    case SESSION_DONE:
        break;
    }
}

void session_pass(struct session *s, double now)
{
    if (s->phase == SESSION_DONE)
        return;
    /* bytes TLS decrypted ahead: epoll cannot see them */
    if (s->phase == SESSION_RUNNING && transport_pending(&s->io))
        read_some(s, now);
    /* during connect and TLS only the opening-handshake deadline runs: it bounds them */
    script_tick(&s->sc, now);
    check_script(s);
    if (s->phase == SESSION_RUNNING)
        write_some(s, now);
}

double session_wake(const struct session *s, double now)
{
    if (s->phase == SESSION_DONE)
        return now;
    double d = script_deadline(&s->sc);
    if (s->phase == SESSION_RUNNING && s->wake > 0 && (!d || s->wake < d))
        d = s->wake;
    if (s->phase == SESSION_RUNNING && transport_pending(&s->io))
        d = now;
    return d;
}

void session_finish(struct session *s, double now)
{
    enter(s, SESSION_DONE);
    if (s->script_ready)
        script_finish(&s->sc, now);
    s->script_ready = false;
}

void session_abandon(struct session *s)
{
    enter(s, SESSION_DONE);
    if (s->script_ready)
        script_abandon(&s->sc);
    s->script_ready = false;
}

/*
 * session.h - one case on the wire: a TCP connection (and TLS for wss://) carrying one
 * script (script.h). The session owns the socket and moves bytes; the script decides
 * everything else. Phases, each entered in one place (session.c, enter()):
 *
 * (session_adopt, for `wsspec serve`, starts in RUNNING on an accepted connection
 * whose transport serve_loop.c made and, for wss://, hand-shook.)
 *
 *   CONNECTING  non-blocking connect in progress          waits for: writable
 *   TLS         TLS handshake (wss:// only)                waits for: what OpenSSL asks
 *   RUNNING     bytes both ways between socket and script  waits for: readable, and
 *                                                          writable while a write blocks
 *   DONE        socket closed; the script is judged
 *
 * CONNECTING and TLS are bounded by the script's opening-handshake deadline, which
 * runs from the connect. Over TLS each write is one SSL_write: a chop of up to 16 KiB
 * is one TLS record, which the target's TLS layer hands on as one read - the chop
 * survives encryption. Octet counts and the wire log show the WebSocket stream, i.e.
 * the bytes inside TLS; the TLS version and cipher are one note row.
 */
#ifndef SESSION_H
#define SESSION_H

#include "loop.h"
#include "script.h"
#include "tester.h"
#include "transport.h"

enum session_phase { SESSION_CONNECTING = 0, SESSION_TLS, SESSION_RUNNING, SESSION_DONE };

/* Buffers shared by every session of a loop (one read, one write at a time). */
#define SESSION_READ_BUF (256 * 1024)
#define SESSION_WRITE_BUF (64 * 1024)

struct session_bufs {
    uint8_t *rbuf; /* SESSION_READ_BUF bytes */
    uint8_t *wbuf; /* SESSION_WRITE_BUF bytes */
};

/* Caller-allocated, zero-filled before session_start; fields private to session.c. */
struct session {
    enum session_phase phase;
    struct loop *loop;
    const struct target *t;
    struct session_bufs *bufs;
    struct transport io;
    struct script sc;
    bool script_ready;
    bool write_blocked;    /* a write would block: wait for writable (or readable, TLS) */
    bool write_wants_read; /* TLS: that write waits for readable */
    bool read_wants_write; /* TLS: a read waits for writable */
    double wake;           /* when the script's writer has the next element due */
};

/* Open the connection for one case (cfg as for script_init) at time now. Returns 0;
 * or 1 when the case ended at once (e.g. connection refused: the result says why and
 * session_done is true); or -1 when wsspec itself cannot go on (out of file
 * descriptors, memory): err says why, and the run stops with exit 2. */
int session_start(struct session *s, struct loop *l, struct session_bufs *b, const struct target *t,
                  const struct script_config *cfg, double now, char *err, size_t err_len);

/* `wsspec serve`: run one case on a connection wsspec accepted: io is its transport,
 * non-blocking, the TLS handshake (wss://) already done; the session takes it over from
 * here, also on error (io is left closed: fd -1). cfg->role is SCRIPT_SERVER.
 * head[0..len) are the bytes already read from it (the client's opening request, and
 * anything after it): they are fed to the script first (modified in place); bytes TLS
 * decrypted ahead stay in io and are read in the next pass (session_pass). The session
 * starts RUNNING. Returns 0, 1 when the case ended at once, or -1 when wsspec itself
 * cannot go on (memory, epoll): err says why. */
int session_adopt(struct session *s, struct loop *l, struct session_bufs *b, struct transport *io,
                  uint8_t *head, size_t len, const struct script_config *cfg, double now, char *err,
                  size_t err_len);

/* epoll reported `events` on this session's socket. */
void session_on_io(struct session *s, uint32_t events, double now);

/* Timers, writes that are due, bytes TLS decrypted ahead. Call every loop pass. */
void session_pass(struct session *s, double now);

/* When the session next needs a pass without I/O: a deadline or a paced write (0 =
 * none; <= now = at once). */
double session_wake(const struct session *s, double now);

bool session_done(const struct session *s);

/* Close the socket and judge the case. */
void session_finish(struct session *s, double now);

/* The run was interrupted: close, no verdict. */
void session_abandon(struct session *s);

#endif

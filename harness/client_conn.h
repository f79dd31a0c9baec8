/*
 * client_conn.h - one connection of `wsspec client`, the reference client (L3): connect,
 * TLS for wss://, the opening handshake with the core's client role, then echo every
 * message back until the server closes TCP. The protocol - checking the 101, the frame
 * rules, UTF-8, the message size limit, Pongs, echoing the Close code - is ws_conn's
 * (reference/ws_conn.h); this file owns the socket, the deadlines and the outcome.
 *
 * Phases (one place moves between them: advance() in client_conn.c):
 *
 *   CONNECT    TCP connect in progress                          deadline: handshake
 *   TLS        TLS handshake (wss://)                           deadline: handshake
 *   WS         ws_conn CONNECTING, OPEN or CLOSING              deadline: handshake
 *                                                               until OPEN, then idle,
 *                                                               then close once a
 *                                                               Close went out
 *   DRAIN      ws_conn CLOSED: the last bytes are written, then deadline: close
 *              we wait for the server to close TCP (RFC 6455
 *              5.5.1 and 7.1.1: the server closes TCP first)
 *   DONE       the socket is closed; the outcome is final
 *
 * Non-blocking: the caller polls the descriptor for client_conn_events(), calls
 * client_conn_io() when it is ready (or at once while client_conn_buffered()), and
 * client_conn_timer() at client_conn_deadline(). Many connections can run side by side
 * in one poll loop (client_cmd.c does, for --jobs).
 *
 * Memory: the struct (a ws_conn and a transport) plus what ws_conn allocates, bounded
 * by max_message (reassembly) + its echo + CLIENT_BACKPRESSURE of output; reading stops
 * while more than CLIENT_BACKPRESSURE bytes wait to be written.
 */
#ifndef CLIENT_CONN_H
#define CLIENT_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tester.h"
#include "transport.h"
#include "ws_conn.h"

/* Stop reading while this much output waits: a server that sends and never reads
 * cannot grow our output without bound. */
#define CLIENT_BACKPRESSURE (1024u * 1024)
/* The most one read hands the core (client_cmd.c reads into a buffer this big). */
#define CLIENT_READ_MAX (64u * 1024)
/* The getCaseCount answer kept (a number of a few digits). */
#define CLIENT_REPLY_MAX 64

struct client_conn_options {
    uint64_t max_message;  /* largest message echoed; a larger one fails with 1009 */
    uint64_t handshake_ms; /* connect + TLS + opening handshake, > 0 */
    uint64_t idle_ms;      /* while open, without a byte either way; 0 = none */
    uint64_t close_ms;     /* after a Close went out, until the server closes TCP, > 0 */
    bool no_deflate;       /* offer no permessage-deflate */
};

/* What the connection does with the messages it receives. */
enum client_kind {
    CLIENT_ECHO = 0, /* send each back: same opcode, same payload */
    CLIENT_READ_ONE, /* keep the first text message (getCaseCount), echo nothing */
    CLIENT_QUIET,    /* echo nothing (updateReports) */
};

/* How a connection ended. */
enum client_outcome {
    CLIENT_RUNNING = 0,
    CLIENT_CLEAN,       /* closing handshake done, TCP closed (by the server, or by us
                           once close_ms passed: closed_tcp_first) */
    CLIENT_FAILED,      /* the server broke a rule after the 101: we failed the
                           connection with the rule's close code (error) */
    CLIENT_REFUSED,     /* the opening handshake failed (error: the rule of section 4.1,
                           or the response status) */
    CLIENT_DROPPED,     /* TCP ended (FIN or reset) before the closing handshake */
    CLIENT_TIMEOUT,     /* a deadline passed (why says which) */
    CLIENT_UNREACHABLE, /* TCP connect or the TLS handshake failed */
    CLIENT_OWN_TROUBLE, /* wsspec's own: no descriptor, no memory (exit 2) */
};

enum client_phase { CP_CONNECT = 0, CP_TLS, CP_WS, CP_DRAIN, CP_DONE };

struct client_conn {
    struct ws_conn ws;
    struct transport io;
    const struct target *t;
    const struct client_conn_options *o;
    enum client_kind kind;
    enum client_phase phase;
    enum client_outcome outcome;
    uint64_t deadline; /* monotonic ms */
    enum { CT_HANDSHAKE = 0, CT_IDLE, CT_CLOSE } timer;
    uint8_t read_wait, write_wait; /* TRANSPORT_WANT_* a blocked operation waits for */
    bool opened;                   /* the 101 was accepted */
    bool peer_eof;
    bool closed_tcp_first; /* CLEAN, but the server never closed TCP: we did */
    enum ws_error error;   /* the rule the server broke (REFUSED, FAILED) */
    uint64_t error_at;
    uint64_t echoed; /* messages sent back */
    char reply[CLIENT_REPLY_MAX];
    size_t reply_len;
    bool got_reply, reply_too_long;
    char why[192]; /* DROPPED, TIMEOUT, UNREACHABLE, OWN_TROUBLE: the particulars */
};

/* Start connecting c to t (resolved; t->tls set for wss://) asking for resource (the
 * request-target, "/path?query"). t, resource and o must outlive c. Returns 0, or -1
 * with c DONE and CLIENT_OWN_TROUBLE or CLIENT_UNREACHABLE (see c->why). */
int client_conn_start(struct client_conn *c, const struct target *t, const char *resource,
                      const struct client_conn_options *o, enum client_kind kind, uint64_t now);

/* POLLIN/POLLOUT to wait for; 0 when DONE. */
short client_conn_events(const struct client_conn *c);
/* Bytes already decrypted inside OpenSSL: call client_conn_io without waiting. */
bool client_conn_buffered(const struct client_conn *c);
/* The descriptor was ready (revents), or client_conn_buffered: make progress. rbuf is
 * scratch for one read. */
void client_conn_io(struct client_conn *c, short revents, uint8_t *rbuf, size_t cap, uint64_t now);
/* The deadline passed (now >= c->deadline): act on it. */
void client_conn_timer(struct client_conn *c, uint64_t now);

/* One line for the outcome: "closed cleanly (Close 1000 received), 3 messages echoed",
 * "failed the connection: MASK_UNEXPECTED (RFC 6455 section 5.1) at byte 130: server-to-
 * client frame is masked -> Close 1002". Printable ASCII only. */
void client_conn_describe(const struct client_conn *c, char *buf, size_t cap);
/* "CLEAN", "FAILED", ... */
const char *client_outcome_name(enum client_outcome o);

/* Release everything (safe on a DONE connection, and twice). */
void client_conn_free(struct client_conn *c);

#endif

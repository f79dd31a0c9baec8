/*
 * echo_transport.h - the byte pipe under one connection of the echo endpoint (L3).
 *
 * The event loop (echo_loop.c) never calls recv/send itself: it goes through this
 * small vtable, so the TLS transport (echo_tls.c, OpenSSL, for wss://) sits beside the
 * plain-TCP one and the loop runs both alike. The interface is shaped by what a
 * non-blocking TLS session needs and TCP does not:
 *  - a transport handshake before any application byte (TLS accept); TCP has none;
 *  - a read that can block on the socket becoming *writable* and a write that can
 *    block on it becoming *readable* (renegotiation, key update): each operation says
 *    which readiness it waits for (ECHO_IO_WANT_READ / ECHO_IO_WANT_WRITE), and the
 *    loop asks epoll for exactly that;
 *  - bytes already read from the socket but not yet handed out (SSL_pending), which
 *    epoll cannot report: buffered() tells the loop to read again without waiting.
 *
 * Ownership: struct echo_transport lives inside the loop's per-connection struct;
 * close() releases what the transport holds (the descriptor, a TLS session).
 */
#ifndef ECHO_TRANSPORT_H
#define ECHO_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Outcome of one transport operation. */
enum echo_io {
    ECHO_IO_DONE = 0,   /* progress: *n bytes moved (handshake: finished) */
    ECHO_IO_WANT_READ,  /* nothing moved; retry when the socket is readable */
    ECHO_IO_WANT_WRITE, /* nothing moved; retry when the socket is writable */
    ECHO_IO_EOF,        /* read: the peer ended its direction cleanly */
    ECHO_IO_ERROR,      /* the connection is unusable (reset, protocol error); errno kept */
};

struct echo_transport;

struct echo_transport_ops {
    const char *name; /* "tcp", "tls" */
    /* Transport-level handshake before the first application byte; NULL = none. */
    enum echo_io (*handshake)(struct echo_transport *t);
    /* Read at most cap bytes into buf; DONE with *n > 0, or no progress. */
    enum echo_io (*read)(struct echo_transport *t, uint8_t *buf, size_t cap, size_t *n);
    /* Write at most len bytes from buf; DONE with *n > 0, or no progress. */
    enum echo_io (*write)(struct echo_transport *t, const uint8_t *buf, size_t len, size_t *n);
    /* Bytes the transport already holds for read() (TLS records decrypted ahead);
     * NULL = never any. */
    size_t (*buffered)(const struct echo_transport *t);
    /* End our sending direction once everything queued is written (TCP: FIN;
     * TLS: close_notify, then FIN). Reading stays possible. */
    enum echo_io (*shutdown)(struct echo_transport *t);
    /* Release everything, including the descriptor. */
    void (*close)(struct echo_transport *t);
    /* The reason of the last ECHO_IO_ERROR into buf, for logs ("wrong version number");
     * NULL = strerror(err). */
    void (*error_text)(const struct echo_transport *t, char *buf, size_t cap);
};

struct echo_transport {
    const struct echo_transport_ops *ops;
    int fd;     /* the socket, registered with epoll by the loop */
    void *impl; /* the transport's own state (TLS: the SSL session); NULL for TCP */
    int err;    /* errno of the last ECHO_IO_ERROR, for logs */
};

/* The reason of the last ECHO_IO_ERROR of t, for a log line; returns buf. */
const char *echo_transport_error_text(const struct echo_transport *t, char *buf, size_t cap);

/* What a recv (writing false) or send (true) on a TCP socket that returned res (bytes,
 * or -errno) means, as the TCP transport reports it: *n bytes moved, or a wait, the end
 * of the stream, an error (t->err). The batched path (echo_uring.h) gets its results
 * as numbers and maps them here, the same way. */
enum echo_io echo_transport_tcp_result(struct echo_transport *t, int64_t res, bool writing,
                                       size_t *n);

/* Wrap a connected, non-blocking TCP socket. Takes ownership of fd. */
void echo_transport_tcp_init(struct echo_transport *t, int fd);

#endif

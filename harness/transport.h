/*
 * transport.h - the tester's byte pipe (L3): plain TCP for ws://, TLS (OpenSSL) for
 * wss://, behind one small non-blocking API, so that every session (session.c) - the
 * reachability probe is one too - reads, writes, hand-shakes and closes the same way
 * over both.
 *
 * Every call is non-blocking and says what it waits for: TRANSPORT_WANT_READ (retry when
 * the socket is readable) or TRANSPORT_WANT_WRITE (writable). With TLS a read can wait
 * for writable and a write for readable (a TLS 1.3 key update is answered from inside
 * a read); with TCP never. Bytes OpenSSL decrypted ahead are invisible to epoll:
 * transport_pending() says when to read again without waiting.
 *
 * TLS settings, and why:
 *  - TLS 1.2 and 1.3 (older versions are deprecated, RFC 8996); ALPN "http/1.1", the
 *    protocol of the opening handshake; renegotiation refused;
 *  - SNI is the URL's host, except for IP literals (RFC 6066 section 3 allows only
 *    host names in it);
 *  - verification on by default: the chain against the system store, or against
 *    --cacert FILE instead of it, and the URL's host against the certificate's names
 *    (RFC 6125 rules: SSL_set1_host; IP literals against its IP addresses);
 *  - --insecure: no verification at all (the caller prints a warning);
 *  - a client certificate and key (PEM) are sent when the server asks for one;
 *  - no session resumption: every case gets a full handshake, like a first visit.
 *
 * The server side (`wsspec serve` over wss://): a context from a certificate and key
 * (transport_tls_server_new: the settings of tls_server_ctx_new, the same as `wsspec
 * echo`'s - TLS 1.2+, ALPN http/1.1 selected when offered, no resumption), and
 * transport_accept_tls on an accepted socket; transport_handshake then runs SSL_accept.
 *
 * Ownership: struct transport_tls is the caller's (transport_tls_new / transport_tls_free) and must
 * outlive every struct transport that uses it; struct transport lives inside its caller's
 * session and owns the descriptor and the TLS session until transport_close().
 */
#ifndef TRANSPORT_H
#define TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ssl_st; /* OpenSSL's SSL */

struct transport_tls_options {
    const char *cacert; /* PEM file of trusted CAs, instead of the system store; NULL */
    const char *cert;   /* PEM client certificate (then its chain); NULL = none */
    const char *key;    /* its PEM private key; NULL = in the cert file */
    bool insecure;      /* verify nothing */
};

/* A TLS context: a client's (the trust store, the client certificate, the settings) or
 * a server's (its certificate and key). */
struct transport_tls;

/* Load the files and build the context. Returns NULL with one line in err naming the
 * option, the file and the reason. */
struct transport_tls *transport_tls_new(const struct transport_tls_options *o, char *err,
                                        size_t err_len);
void transport_tls_free(struct transport_tls *tls);

/* A server context from the PEM certificate chain cert and its PEM key (key NULL: in the
 * cert file). Errors name cert_opt / key_opt and the file ("--tls-key 'k.pem' does not
 * match the certificate in --tls-cert 'c.pem'"). NULL with one line in err. */
struct transport_tls *transport_tls_server_new(const char *cert_opt, const char *cert,
                                               const char *key_opt, const char *key, char *err,
                                               size_t err_len);

enum transport_status {
    TRANSPORT_DONE = 0,   /* progress: *n bytes moved (handshake: finished) */
    TRANSPORT_WANT_READ,  /* nothing more moved; retry when readable */
    TRANSPORT_WANT_WRITE, /* nothing more moved; retry when writable */
    TRANSPORT_EOF,        /* read: the peer ended its stream (FIN, or TLS close_notify) */
    TRANSPORT_ERROR,      /* unusable: reset, TLS alert or protocol error (transport_error) */
};

struct transport {
    int fd;                /* -1 = none */
    struct ssl_st *ssl;    /* NULL for ws:// */
    bool fatal;            /* a TLS error happened: no close_notify any more */
    int err;               /* errno of the last TRANSPORT_ERROR */
    unsigned long ssl_err; /* OpenSSL error of the last TRANSPORT_ERROR, 0 = see err */
    const char *why;       /* or a fixed reason (static string) */
};

/* Take a connected (or connecting), non-blocking socket; fd may be -1 (nothing yet). */
void transport_init(struct transport *io, int fd);

/* Start TLS on io's socket for `host` (the URL's host, without brackets): SNI unless
 * host is an IP literal, and the name or address checked against the certificate
 * unless the context is insecure. Returns 0, or -1 with the reason in err. */
int transport_start_tls(struct transport *io, const struct transport_tls *tls, const char *host,
                        char *err, size_t err_len);

/* Start TLS as the server on io's (accepted) socket, with a transport_tls_server_new
 * context. Returns 0, or -1 with the reason in err (wsspec's own trouble: memory). */
int transport_accept_tls(struct transport *io, const struct transport_tls *tls, char *err,
                         size_t err_len);

/* One step of the TLS handshake (SSL_connect, or SSL_accept after transport_accept_tls);
 * DONE at once for plain TCP. */
enum transport_status transport_handshake(struct transport *io);

/* Read at most cap bytes (TLS: up to one record per call). */
enum transport_status transport_read(struct transport *io, uint8_t *buf, size_t cap, size_t *n);

/* Write len bytes, as many as the socket takes: DONE with *n > 0 (possibly < len), or
 * nothing moved. With TLS each record carries at most 16 KiB, so len <= 16 KiB is one
 * record: the tester's chops stay chops on the wire. A retry after WANT_* must offer the
 * same first bytes again, and at least as many. */
enum transport_status transport_write(struct transport *io, const uint8_t *buf, size_t len,
                                      size_t *n);

/* Bytes already decrypted and waiting inside OpenSSL (0 for TCP). */
size_t transport_pending(const struct transport *io);

/* The reason of the last TRANSPORT_ERROR, e.g. "certificate verify failed: Hostname
 * mismatch", "tlsv13 alert certificate required", "Connection reset by peer". */
void transport_error(const struct transport *io, char *buf, size_t cap);

/* "TLSv1.3 TLS_AES_256_GCM_SHA384" after a TLS handshake; "" for TCP. */
void transport_describe(const struct transport *io, char *buf, size_t cap);

/* The end of our direction: a best-effort close_notify (TLS, if the session is healthy;
 * never waited for), then FIN (shutdown SHUT_WR). Reading goes on. */
void transport_shutdown(struct transport *io);

/* A best-effort close_notify (TLS, if the session is healthy; never waited for), then
 * free the session and close the descriptor. Safe to call twice. */
void transport_close(struct transport *io);

#endif

/*
 * echo_tls.h - the TLS transport of the echo endpoint (wss://), on OpenSSL.
 *
 * One struct echo_tls (an SSL_CTX: certificate, key, settings) is loaded by `wsspec
 * echo --tls-cert FILE --tls-key FILE` before anything listens and is shared by every
 * connection; each accepted socket is wrapped in its own SSL session behind the
 * transport vtable of echo_transport.h, so the event loop runs TLS and plain TCP
 * connections alike. The session is non-blocking throughout: SSL_accept, SSL_read and
 * SSL_write return "want read" / "want write", which the loop turns into its epoll
 * interest; bytes OpenSSL decrypted ahead are reported through buffered().
 *
 * Settings, and why (tls_server_ctx_new makes the context, for `wsspec serve`'s wss://
 * too; the client certificates are echo's own):
 *  - TLS 1.2 and 1.3 only: older versions are deprecated (RFC 8996);
 *  - no session resumption (no cache, no tickets): a test endpoint gains nothing from
 *    it, and a server-side cache would grow with every client;
 *  - SSL_MODE_RELEASE_BUFFERS: an idle session gives its 16 KiB+ record buffers back
 *    (docs/echo.md has the measured cost of an idle TLS connection);
 *  - client-initiated renegotiation refused (SSL_OP_NO_RENEGOTIATION): it costs the
 *    server a handshake per request and WebSocket has no use for it;
 *  - ALPN: "http/1.1" is selected when the client offers it (the opening handshake is
 *    HTTP/1.1), nothing is selected otherwise;
 *  - optional client certificates (--tls-client-ca FILE): requested and required,
 *    verified against that CA file.
 */
#ifndef ECHO_TLS_H
#define ECHO_TLS_H

#include "echo_transport.h"

#include <stddef.h>

struct echo_tls;

struct echo_tls_config {
    const char *cert_file;      /* PEM: the server certificate, then its chain */
    const char *key_file;       /* PEM: its private key (unencrypted) */
    const char *client_ca_file; /* PEM: CAs for client certificates; NULL = none asked */
};

/* Load the files and build the server context. Returns NULL with one line in err
 * naming the option, the file and the reason ("--tls-key 'k.pem': does not match the
 * certificate in --tls-cert 'c.pem'"). Owned by the caller: echo_tls_free(). */
struct echo_tls *echo_tls_new(const struct echo_tls_config *cfg, char *err, size_t err_len);

void echo_tls_free(struct echo_tls *tls);

/* Wrap a connected, non-blocking TCP socket in a TLS server session; the transport
 * handshake (SSL_accept) runs when the loop calls handshake(). Returns 0 and takes
 * ownership of fd, or -1 (out of memory) leaving fd to the caller. */
int echo_transport_tls_init(struct echo_transport *t, int fd, struct echo_tls *tls);

#endif

/*
 * echo_tls.c - the TLS transport (see echo_tls.h): one non-blocking OpenSSL session per
 * connection behind the transport vtable.
 *
 * What SSL_get_error says becomes what the loop does:
 *   WANT_READ / WANT_WRITE  wait for that readiness - a read may wait for writable and
 *                           a write for readable (a TLS 1.3 key update is answered
 *                           from inside SSL_read);
 *   ZERO_RETURN             the client's close_notify: the end of its stream (EOF);
 *   EOF without close_notify  also EOF. WebSocket's closing handshake already tells a
 *                           complete conversation from a cut one, so TLS truncation
 *                           detection adds nothing the loop could act on;
 *   anything else           ECHO_IO_ERROR, with OpenSSL's reason kept for the log.
 * After a fatal error OpenSSL must not be asked for a close_notify (SSL_shutdown), and
 * reads go to the raw socket: the loop lingers after a failed handshake (draining
 * until the client's FIN) so that the alert OpenSSL sent - or the end of the
 * connection, for a client that spoke plain HTTP - is not destroyed by a RST for bytes
 * we never read.
 *
 * OpenSSL's error queue is per thread and shared by all connections: it is cleared
 * before every call, as SSL_get_error requires, and the reason of a failure is copied
 * out at once.
 */
#define _GNU_SOURCE
#include "echo_tls.h"
#include "tls_util.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct echo_tls {
    SSL_CTX *ctx;
};

/* One connection's TLS state; t->impl points here. */
struct tls_conn {
    SSL *ssl;
    unsigned long ssl_err; /* OpenSSL error of the last ECHO_IO_ERROR; 0 = see t->err */
    const char *why;       /* or a fixed reason (static string), NULL = none */
    bool fatal;            /* a fatal error happened: no close_notify, raw reads */
};

/* ------------------------------------------------------------ outcomes */

static enum echo_io tls_outcome(struct echo_transport *t, struct tls_conn *tc, int rc,
                                int saved_errno)
{
    switch (SSL_get_error(tc->ssl, rc)) {
    case SSL_ERROR_WANT_READ:
        return ECHO_IO_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return ECHO_IO_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        return ECHO_IO_EOF;
    case SSL_ERROR_SYSCALL:
        tc->fatal = true;
        tc->ssl_err = ERR_peek_error();
        if (saved_errno == 0 && tc->ssl_err == 0)
            return ECHO_IO_EOF; /* the socket ended without close_notify */
        t->err = saved_errno;
        return ECHO_IO_ERROR;
    default: {
        tc->fatal = true;
        unsigned long code = ERR_peek_error();
        if (ERR_GET_LIB(code) == ERR_LIB_SSL &&
            ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
            return ECHO_IO_EOF; /* OpenSSL 3's name for the same */
        tc->ssl_err = code;
        t->err = 0;
        return ECHO_IO_ERROR;
    }
    }
}

/* After a fatal error: plain recv, so that the loop's linger can drain the socket. */
static enum echo_io raw_read(struct echo_transport *t, uint8_t *buf, size_t cap, size_t *n)
{
    for (;;) {
        ssize_t r = recv(t->fd, buf, cap, 0);
        if (r > 0) {
            *n = (size_t)r;
            return ECHO_IO_DONE;
        }
        if (r == 0)
            return ECHO_IO_EOF;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return ECHO_IO_WANT_READ;
        t->err = errno;
        struct tls_conn *tc = t->impl;
        tc->ssl_err = 0; /* this error is errno's, not the earlier TLS one */
        tc->why = NULL;
        return ECHO_IO_ERROR;
    }
}

/* ------------------------------------------------------------ the vtable */

static enum echo_io tls_handshake(struct echo_transport *t)
{
    struct tls_conn *tc = t->impl;
    ERR_clear_error();
    errno = 0;
    int rc = SSL_accept(tc->ssl);
    if (rc == 1)
        return ECHO_IO_DONE;
    enum echo_io r = tls_outcome(t, tc, rc, errno);
    if (r == ECHO_IO_EOF) {
        tc->fatal = true;
        tc->why = "the client closed the connection during the TLS handshake";
        r = ECHO_IO_ERROR;
    }
    ERR_clear_error();
    return r;
}

/* One SSL_read: at most one TLS record (16 KiB), as the loop does one read per
 * readiness event. The read buffer is 64 KiB, so a whole record always fits and
 * nothing stays decrypted inside OpenSSL - buffered() is there for safety. */
static enum echo_io tls_read(struct echo_transport *t, uint8_t *buf, size_t cap, size_t *n)
{
    struct tls_conn *tc = t->impl;
    *n = 0;
    if (tc->fatal)
        return raw_read(t, buf, cap, n);
    ERR_clear_error();
    errno = 0;
    int rc = SSL_read_ex(tc->ssl, buf, cap, n);
    if (rc == 1)
        return ECHO_IO_DONE;
    enum echo_io r = tls_outcome(t, tc, rc, errno);
    ERR_clear_error();
    return r;
}

/* SSL_MODE_ENABLE_PARTIAL_WRITE: one record per call; the loop calls again while its
 * budget lasts. A retry after WANT_* passes the same unsent bytes (ws_conn's output
 * queue starts at the first unsent byte; the buffer may have moved, hence
 * SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER) and never fewer of them. */
static enum echo_io tls_write(struct echo_transport *t, const uint8_t *buf, size_t len, size_t *n)
{
    struct tls_conn *tc = t->impl;
    *n = 0;
    if (tc->fatal) {
        tc->why = "write after a TLS error";
        return ECHO_IO_ERROR;
    }
    ERR_clear_error();
    errno = 0;
    int rc = SSL_write_ex(tc->ssl, buf, len, n);
    if (rc == 1)
        return ECHO_IO_DONE;
    enum echo_io r = tls_outcome(t, tc, rc, errno);
    ERR_clear_error();
    return r == ECHO_IO_EOF ? ECHO_IO_ERROR : r;
}

static size_t tls_buffered(const struct echo_transport *t)
{
    const struct tls_conn *tc = t->impl;
    if (tc->fatal)
        return 0;
    int n = SSL_pending(tc->ssl);
    return n > 0 ? (size_t)n : 0;
}

/* close_notify, then FIN. One attempt: the loop calls this with its output queue empty,
 * so the alert (a few dozen bytes) fits the socket; if it does not, the FIN alone ends
 * our direction - the WebSocket Close has been sent already either way. */
static enum echo_io tls_shutdown(struct echo_transport *t)
{
    struct tls_conn *tc = t->impl;
    if (!tc->fatal && SSL_is_init_finished(tc->ssl)) {
        ERR_clear_error();
        SSL_shutdown(tc->ssl);
        ERR_clear_error();
    }
    if (shutdown(t->fd, SHUT_WR) == 0)
        return ECHO_IO_DONE;
    t->err = errno;
    return ECHO_IO_ERROR;
}

static void tls_close(struct echo_transport *t)
{
    struct tls_conn *tc = t->impl;
    if (tc) {
        /* a close_notify before the FIN where the session is healthy; never waited for */
        if (!tc->fatal && SSL_is_init_finished(tc->ssl) &&
            !(SSL_get_shutdown(tc->ssl) & SSL_SENT_SHUTDOWN)) {
            ERR_clear_error();
            SSL_shutdown(tc->ssl);
        }
        ERR_clear_error();
        SSL_free(tc->ssl);
        free(tc);
        t->impl = NULL;
    }
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
}

static void tls_error_text(const struct echo_transport *t, char *buf, size_t cap)
{
    const struct tls_conn *tc = t->impl;
    if (tc->why) {
        snprintf(buf, cap, "%s", tc->why);
    } else if (tc->ssl_err) {
        tls_error_describe(tc->ssl_err, tc->ssl, buf, cap);
    } else {
        snprintf(buf, cap, "%s", strerror(t->err));
    }
}

static const struct echo_transport_ops echo_transport_tls_ops = {
    .name = "tls",
    .handshake = tls_handshake,
    .read = tls_read,
    .write = tls_write,
    .buffered = tls_buffered,
    .shutdown = tls_shutdown,
    .close = tls_close,
    .error_text = tls_error_text,
};

int echo_transport_tls_init(struct echo_transport *t, int fd, struct echo_tls *tls)
{
    struct tls_conn *tc = calloc(1, sizeof *tc);
    if (!tc)
        return -1;
    tc->ssl = SSL_new(tls->ctx);
    if (!tc->ssl || SSL_set_fd(tc->ssl, fd) != 1) {
        SSL_free(tc->ssl);
        free(tc);
        ERR_clear_error();
        return -1;
    }
    t->ops = &echo_transport_tls_ops;
    t->fd = fd;
    t->impl = tc;
    t->err = 0;
    return 0;
}

/* ------------------------------------------------------------ the context */

struct echo_tls *echo_tls_new(const struct echo_tls_config *cfg, char *err, size_t err_len)
{
    struct echo_tls *tls = calloc(1, sizeof *tls);
    if (!tls) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    SSL_CTX *ctx = tls->ctx =
        tls_server_ctx_new("--tls-cert", cfg->cert_file, "--tls-key", cfg->key_file, err, err_len);
    if (!ctx)
        goto fail;
    if (cfg->client_ca_file) {
        if (!tls_file_readable("--tls-client-ca", cfg->client_ca_file, err, err_len))
            goto fail;
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->client_ca_file);
        if (!names || SSL_CTX_load_verify_locations(ctx, cfg->client_ca_file, NULL) != 1) {
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            snprintf(err, err_len, "--tls-client-ca '%s': cannot load PEM CA certificates: %s",
                     cfg->client_ca_file, tls_last_reason());
            goto fail;
        }
        SSL_CTX_set_client_CA_list(ctx, names); /* owned by ctx from here */
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    ERR_clear_error();
    return tls;
fail:
    ERR_clear_error();
    echo_tls_free(tls);
    return NULL;
}

void echo_tls_free(struct echo_tls *tls)
{
    if (!tls)
        return;
    SSL_CTX_free(tls->ctx);
    free(tls);
}

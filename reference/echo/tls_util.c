/*
 * tls_util.c - OpenSSL chores shared by `wsspec echo` and the tester (see tls_util.h).
 */
#include "tls_util.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

/* An encrypted key would make OpenSSL prompt on the terminal and wait for a person:
 * refuse instead (the error says the key could not be loaded). */
static int no_password(char *buf, int size, int rwflag, void *ud)
{
    (void)buf, (void)size, (void)rwflag, (void)ud;
    return 0;
}

const char *tls_last_reason(void)
{
    const char *r = ERR_reason_error_string(ERR_peek_last_error());
    return r ? r : "unknown OpenSSL error";
}

/* Loading a key that belongs to another certificate fails with this reason. */
static bool key_mismatch(void)
{
    unsigned long e = ERR_peek_last_error();
    return ERR_GET_LIB(e) == ERR_LIB_X509 && ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH;
}

bool tls_file_readable(const char *opt, const char *path, char *err, size_t err_len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_len, "%s '%s': %s", opt, path, strerror(errno));
        return false;
    }
    fclose(f);
    return true;
}

SSL_CTX *tls_ctx_new(const SSL_METHOD *method, char *err, size_t err_len)
{
    SSL_CTX *ctx = SSL_CTX_new(method);
    if (!ctx) {
        snprintf(err, err_len, "cannot create a TLS context: %s", tls_last_reason());
        return NULL;
    }
    SSL_CTX_set_default_passwd_cb(ctx, no_password);
    return ctx;
}

bool tls_load_cert_key(SSL_CTX *ctx, const char *cert_opt, const char *cert, const char *key_opt,
                       const char *key, char *err, size_t err_len)
{
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        snprintf(err, err_len, "%s '%s': cannot load a PEM certificate: %s", cert_opt, cert,
                 tls_last_reason());
        return false;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 && !key_mismatch()) {
        snprintf(err, err_len,
                 "%s '%s': cannot load a PEM private key (encrypted keys are not supported): %s",
                 key_opt, key, tls_last_reason());
        return false;
    }
    if (key_mismatch() || SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(err, err_len, "%s '%s' does not match the certificate in %s '%s'", key_opt, key,
                 cert_opt, cert);
        return false;
    }
    return true;
}

void tls_error_describe(unsigned long ssl_err, const SSL *ssl, char *buf, size_t cap)
{
    const char *reason = ERR_reason_error_string(ssl_err);
    if (!reason)
        reason = "TLS error";
    if (ssl && ERR_GET_LIB(ssl_err) == ERR_LIB_SSL &&
        ERR_GET_REASON(ssl_err) == SSL_R_CERTIFICATE_VERIFY_FAILED)
        snprintf(buf, cap, "%s: %s", reason,
                 X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
    else
        snprintf(buf, cap, "%s", reason);
}

/* The opening handshake is HTTP/1.1: select it when offered, else no ALPN at all. */
int tls_alpn_select_http11(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                           const unsigned char *in, unsigned int inlen, void *ud)
{
    (void)ssl, (void)ud;
    static const unsigned char ours[] = "\x08http/1.1";
    unsigned char *sel = NULL;
    if (SSL_select_next_proto(&sel, outlen, ours, sizeof ours - 1, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

SSL_CTX *tls_server_ctx_new(const char *cert_opt, const char *cert, const char *key_opt,
                            const char *key, char *err, size_t err_len)
{
    if (!tls_file_readable(cert_opt, cert, err, err_len) ||
        !tls_file_readable(key_opt, key, err, err_len))
        return NULL;
    ERR_clear_error();
    SSL_CTX *ctx = tls_ctx_new(TLS_server_method(), err, err_len);
    if (!ctx)
        return NULL;
    if (!tls_load_cert_key(ctx, cert_opt, cert, key_opt, key, err, err_len)) {
        SSL_CTX_free(ctx);
        ERR_clear_error();
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    static const unsigned char sid_ctx[] = "wsspec";
    SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_select_http11, NULL);
    ERR_clear_error();
    return ctx;
}

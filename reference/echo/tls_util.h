/*
 * tls_util.h - the OpenSSL chores both ends share: `wsspec echo` (echo_tls.c) and the
 * tester's client (harness/transport.c) load certificates and keys and describe
 * failures the same way, with errno's words for a missing file and OpenSSL's reason
 * otherwise, and never prompt for a key's password.
 */
#ifndef WSSPEC_TLS_UTIL_H
#define WSSPEC_TLS_UTIL_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

/* OpenSSL's reason for the most recent error in this thread's queue. */
const char *tls_last_reason(void);

/* Whether PATH can be opened for reading; if not, ERR says "OPT 'PATH': strerror". */
bool tls_file_readable(const char *opt, const char *path, char *err, size_t err_len);

/* A new context for METHOD that refuses encrypted keys instead of prompting on the
 * terminal; NULL with ERR set when OpenSSL cannot make one. */
SSL_CTX *tls_ctx_new(const SSL_METHOD *method, char *err, size_t err_len);

/* Loads the PEM certificate chain CERT (named by option CERT_OPT in errors) and the
 * PEM private key KEY (KEY_OPT) into CTX and checks that they belong together. */
bool tls_load_cert_key(SSL_CTX *ctx, const char *cert_opt, const char *cert, const char *key_opt,
                       const char *key, char *err, size_t err_len);

/* The text of a TLS failure: OpenSSL's reason for SSL_ERR, and for a failed
 * certificate check the verification result of SSL (which may be NULL). */
void tls_error_describe(unsigned long ssl_err, const SSL *ssl, char *buf, size_t cap);

/* A server's ALPN callback: select http/1.1 when the client offers it (the opening
 * handshake is HTTP/1.1), otherwise no ALPN at all. */
int tls_alpn_select_http11(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                           const unsigned char *in, unsigned int inlen, void *ud);

#endif

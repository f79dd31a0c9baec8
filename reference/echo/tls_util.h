/*
 * tls_util.h - the OpenSSL chores both ends share: `wsspec echo` (echo_tls.c) and the
 * tester (harness/transport.c: its client, and the server of `wsspec serve`) load
 * certificates and keys and describe failures the same way, with errno's words for a
 * missing file and OpenSSL's reason otherwise, and never prompt for a key's password;
 * both servers make their context the same way (tls_server_ctx_new).
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

/* A server context: the certificate chain CERT and its key KEY (options CERT_OPT and
 * KEY_OPT in errors; both files checked first), TLS 1.2+, no session resumption (no
 * cache, no tickets: a test server gains nothing from it, and a cache grows with every
 * client), renegotiation refused, partial and moving writes, record buffers released
 * while idle, ALPN http/1.1 when offered (tls_alpn_select_http11). NULL with ERR set
 * (one line naming the option and the file). The caller adds what is its own (echo:
 * client certificates) and frees it with SSL_CTX_free. */
SSL_CTX *tls_server_ctx_new(const char *cert_opt, const char *cert, const char *key_opt,
                            const char *key, char *err, size_t err_len);

#endif

/*
 * test_transport.c - unit tests for transport.c, the tester's plain/TLS byte pipe.
 *
 * The TLS tests run the transport's client against an OpenSSL server on the other end of a
 * non-blocking socketpair, both driven step by step in this thread, with certificates
 * made here (P-256, self-signed, CA:TRUE so each is its own trust anchor):
 *   A  subjectAltName DNS:localhost, IP:127.0.0.1   (the server's)
 *   B  subjectAltName DNS:other.example             (a stranger)
 * Covered: the context's errors (missing files, not PEM, a key of another certificate,
 * the key inside the certificate file), a verified handshake by name with SNI and ALPN
 * http/1.1, by IP literal without SNI, hostname / IP mismatch and unknown issuer with
 * OpenSSL's reason, --insecure, client certificates (absent: the server's alert comes
 * as a read error; present: the server sees it), record-wise reads with bytes left in
 * OpenSSL (transport_pending), multi-record writes, a write that blocks and is retried
 * with the same bytes, close_notify as EOF, and the plain-TCP mapping (WANT_READ, EOF,
 * EPIPE as an error with its text).
 * The server side (wsspec serve over wss://): its context's errors (missing file, a key
 * of another certificate, the key inside the certificate's file, the option names as
 * given), a transport client and a transport server hand-shaking with each other (ALPN
 * http/1.1 selected, bytes both ways, transport_shutdown's close_notify as the other
 * end's EOF), a client offering no ALPN, and a plaintext HTTP request on the server
 * failing the handshake with OpenSSL's reason.
 */
#define _GNU_SOURCE
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */
#include "echo/tls_util.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport.h"

/* Handshake steps before a test gives up: each step moves at least one flight. */
#define MAX_STEPS 200

static char g_dir[64];
static char g_a_crt[128], g_a_key[128], g_b_crt[128], g_b_key[128], g_a_both[128], g_junk[128];

/* ------------------------------------------------------------ certificates */

static void write_cert(const char *crt_path, const char *key_path, const char *both_path,
                       const char *cn, const char *san)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    assert_non_null(key);
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    const struct {
        int nid;
        const char *value;
    } exts[] = {{NID_subject_alt_name, san},
                {NID_basic_constraints, "critical,CA:TRUE"},
                {NID_key_usage, "critical,digitalSignature,keyCertSign"}};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, exts[i].nid, exts[i].value);
        assert_non_null(e);
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    FILE *f = fopen(crt_path, "w");
    assert_non_null(f);
    PEM_write_X509(f, x);
    fclose(f);
    f = fopen(key_path, "w");
    assert_non_null(f);
    PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    if (both_path) {
        f = fopen(both_path, "w");
        assert_non_null(f);
        PEM_write_X509(f, x);
        PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
        fclose(f);
    }
    X509_free(x);
    EVP_PKEY_free(key);
}

static int setup_certs(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/wsspec-peer-io-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(g_a_crt, sizeof g_a_crt, "%s/a.crt", g_dir);
    snprintf(g_a_key, sizeof g_a_key, "%s/a.key", g_dir);
    snprintf(g_a_both, sizeof g_a_both, "%s/a.pem", g_dir);
    snprintf(g_b_crt, sizeof g_b_crt, "%s/b.crt", g_dir);
    snprintf(g_b_key, sizeof g_b_key, "%s/b.key", g_dir);
    snprintf(g_junk, sizeof g_junk, "%s/junk.pem", g_dir);
    write_cert(g_a_crt, g_a_key, g_a_both, "localhost", "DNS:localhost,IP:127.0.0.1");
    write_cert(g_b_crt, g_b_key, NULL, "other.example", "DNS:other.example");
    FILE *f = fopen(g_junk, "w");
    if (!f)
        return -1;
    fputs("not a certificate\n", f);
    fclose(f);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static int teardown_certs(void **state)
{
    (void)state;
    const char *files[] = {g_a_crt, g_a_key, g_a_both, g_b_crt, g_b_key, g_junk};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        unlink(files[i]);
    rmdir(g_dir);
    return 0;
}

/* ------------------------------------------------------------ the context */

static void tls_new_fails(const struct transport_tls_options *o, const char *reason)
{
    char err[512] = "";
    struct transport_tls *tls = transport_tls_new(o, err, sizeof err);
    assert_null(tls);
    if (!strstr(err, reason))
        fail_msg("error '%s' does not contain '%s'", err, reason);
}

static void test_context_errors(void **state)
{
    (void)state;
    struct transport_tls_options o = {.cacert = "/nonexistent/ca.pem"};
    tls_new_fails(&o, "--cacert '/nonexistent/ca.pem': No such file or directory");
    o = (struct transport_tls_options){.cacert = g_junk};
    tls_new_fails(&o, "cannot load PEM CA certificates");
    o = (struct transport_tls_options){.cacert = g_a_crt, .cert = g_junk, .key = g_a_key};
    tls_new_fails(&o, "--cert");
    o = (struct transport_tls_options){.cacert = g_a_crt, .cert = g_a_crt, .key = g_b_key};
    tls_new_fails(&o, "does not match the certificate");
    o = (struct transport_tls_options){.cacert = g_a_crt, .cert = g_a_crt};
    tls_new_fails(&o, "--cert (no --key given)");
    /* the key may sit in the certificate's file */
    o = (struct transport_tls_options){.cacert = g_a_crt, .cert = g_a_both};
    char err[512];
    struct transport_tls *tls = transport_tls_new(&o, err, sizeof err);
    assert_non_null(tls);
    transport_tls_free(tls);
    /* the system store (it may be empty: loading it must still work) */
    o = (struct transport_tls_options){0};
    tls = transport_tls_new(&o, err, sizeof err);
    assert_non_null(tls);
    transport_tls_free(tls);
}

/* ------------------------------------------------------------ a server to talk to */

struct pair {
    int cfd, sfd;
    struct transport_tls *tls;
    struct transport io;
    SSL_CTX *sctx;
    SSL *srv;
    bool client_done, server_done;
    enum transport_status client_status;
};

/* A socketpair, a TLS server on one end (certificate A, or B), the transport on the other. */
static void pair_open(struct pair *p, const struct transport_tls_options *o, const char *host,
                      bool server_b, bool require_client_cert)
{
    memset(p, 0, sizeof *p);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    p->cfd = sv[0];
    p->sfd = sv[1];
    char err[512] = "";
    p->tls = transport_tls_new(o, err, sizeof err);
    if (!p->tls)
        fail_msg("transport_tls_new: %s", err);
    transport_init(&p->io, p->cfd);
    if (transport_start_tls(&p->io, p->tls, host, err, sizeof err) != 0)
        fail_msg("transport_start_tls: %s", err);
    p->sctx = SSL_CTX_new(TLS_server_method());
    assert_non_null(p->sctx);
    assert_int_equal(
        SSL_CTX_use_certificate_file(p->sctx, server_b ? g_b_crt : g_a_crt, SSL_FILETYPE_PEM), 1);
    assert_int_equal(
        SSL_CTX_use_PrivateKey_file(p->sctx, server_b ? g_b_key : g_a_key, SSL_FILETYPE_PEM), 1);
    SSL_CTX_set_alpn_select_cb(p->sctx, tls_alpn_select_http11, NULL);
    SSL_CTX_set_num_tickets(p->sctx, 0);
    if (require_client_cert) {
        assert_int_equal(SSL_CTX_load_verify_locations(p->sctx, g_a_crt, NULL), 1);
        SSL_CTX_set_verify(p->sctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    p->srv = SSL_new(p->sctx);
    assert_non_null(p->srv);
    SSL_set_fd(p->srv, p->sfd);
    SSL_set_accept_state(p->srv);
}

static void pair_close(struct pair *p)
{
    transport_close(&p->io);
    assert_int_equal(p->io.fd, -1);
    transport_close(&p->io); /* twice is harmless */
    SSL_free(p->srv);
    SSL_CTX_free(p->sctx);
    close(p->sfd);
    transport_tls_free(p->tls);
    ERR_clear_error();
}

/* Drive both handshakes in turn until each is done or failed. Returns the client's
 * final status. The first client step must want to read (its ClientHello went out). */
static enum transport_status pair_handshake(struct pair *p)
{
    enum transport_status cs = TRANSPORT_WANT_READ;
    bool server_failed = false;
    for (int i = 0; i < MAX_STEPS; i++) {
        if (!p->client_done) {
            cs = transport_handshake(&p->io);
            if (i == 0)
                assert_int_equal(cs, TRANSPORT_WANT_READ);
            p->client_done = cs == TRANSPORT_DONE || cs == TRANSPORT_ERROR || cs == TRANSPORT_EOF;
        }
        if (!p->server_done && !server_failed) {
            ERR_clear_error();
            int rc = SSL_accept(p->srv);
            if (rc == 1) {
                p->server_done = true;
            } else {
                int e = SSL_get_error(p->srv, rc);
                server_failed = e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
            }
            ERR_clear_error();
        }
        if (p->client_done && (p->server_done || server_failed))
            break;
    }
    assert_true(p->client_done);
    p->client_status = cs;
    return cs;
}

static void expect_error(struct pair *p, const char *reason)
{
    char why[256];
    transport_error(&p->io, why, sizeof why);
    if (!strstr(why, reason))
        fail_msg("error '%s' does not contain '%s'", why, reason);
}

/* ------------------------------------------------------------ handshakes */

static void test_verified_by_name(void **state)
{
    (void)state;
    struct pair p;
    struct transport_tls_options o = {.cacert = g_a_crt};
    pair_open(&p, &o, "localhost", false, false);
    assert_int_equal(pair_handshake(&p), TRANSPORT_DONE);
    assert_true(p.server_done);
    /* SNI is the URL's host; ALPN offered http/1.1 */
    const char *sni = SSL_get_servername(p.srv, TLSEXT_NAMETYPE_host_name);
    assert_non_null(sni);
    assert_string_equal(sni, "localhost");
    const unsigned char *alpn = NULL;
    unsigned alpn_len = 0;
    SSL_get0_alpn_selected(p.srv, &alpn, &alpn_len);
    assert_int_equal(alpn_len, 8);
    assert_memory_equal(alpn, "http/1.1", 8);
    char text[64];
    transport_describe(&p.io, text, sizeof text);
    assert_true(strncmp(text, "TLSv1.", 6) == 0);
    pair_close(&p);
}

static void test_verified_by_ip(void **state)
{
    (void)state;
    struct pair p;
    struct transport_tls_options o = {.cacert = g_a_crt};
    pair_open(&p, &o, "127.0.0.1", false, false);
    assert_int_equal(pair_handshake(&p), TRANSPORT_DONE);
    /* RFC 6066 section 3: no IP literals in SNI */
    assert_null(SSL_get_servername(p.srv, TLSEXT_NAMETYPE_host_name));
    pair_close(&p);
}

static void test_hostname_mismatch(void **state)
{
    (void)state;
    struct pair p;
    struct transport_tls_options o = {.cacert = g_a_crt};
    pair_open(&p, &o, "other.example", false, false);
    assert_int_equal(pair_handshake(&p), TRANSPORT_ERROR);
    expect_error(&p, "certificate verify failed: hostname mismatch");
    assert_true(p.io.fatal);
    pair_close(&p);
}

static void test_ip_mismatch(void **state)
{
    (void)state;
    struct pair p;
    struct transport_tls_options o = {.cacert = g_a_crt};
    pair_open(&p, &o, "127.0.0.2", false, false);
    assert_int_equal(pair_handshake(&p), TRANSPORT_ERROR);
    expect_error(&p, "certificate verify failed: IP address mismatch");
    pair_close(&p);
}

static void test_unknown_issuer(void **state)
{
    (void)state;
    struct pair p;
    struct transport_tls_options o = {.cacert = g_b_crt};
    pair_open(&p, &o, "localhost", false, false);
    assert_int_equal(pair_handshake(&p), TRANSPORT_ERROR);
    expect_error(&p, "certificate verify failed: self-signed certificate");
    pair_close(&p);
}

static void test_insecure(void **state)
{
    (void)state;
    struct pair p;
    struct transport_tls_options o = {.insecure = true};
    pair_open(&p, &o, "localhost", true, false); /* certificate B: wrong name, unknown */
    assert_int_equal(pair_handshake(&p), TRANSPORT_DONE);
    pair_close(&p);
}

static void test_client_certificate(void **state)
{
    (void)state;
    struct pair p;
    /* without one: TLS 1.3 lets the client finish first; the refusal is an alert that
     * the first read reports */
    struct transport_tls_options o = {.cacert = g_a_crt};
    pair_open(&p, &o, "localhost", false, true);
    enum transport_status st = pair_handshake(&p);
    if (st == TRANSPORT_DONE) {
        uint8_t buf[64];
        size_t n = 0;
        st = transport_read(&p.io, buf, sizeof buf, &n);
    }
    assert_int_equal(st, TRANSPORT_ERROR);
    expect_error(&p, "certificate required");
    assert_false(p.server_done);
    pair_close(&p);

    /* with one: sent, and the server has it */
    o = (struct transport_tls_options){.cacert = g_a_crt, .cert = g_a_crt, .key = g_a_key};
    pair_open(&p, &o, "localhost", false, true);
    assert_int_equal(pair_handshake(&p), TRANSPORT_DONE);
    assert_true(p.server_done);
    X509 *peer = SSL_get1_peer_certificate(p.srv);
    assert_non_null(peer);
    X509_free(peer);
    pair_close(&p);
}

/* ------------------------------------------------------------ data */

static void server_read_exact(struct pair *p, uint8_t *out, size_t len)
{
    size_t got = 0;
    for (int i = 0; got < len && i < 10000; i++) {
        size_t n = 0;
        ERR_clear_error();
        if (SSL_read_ex(p->srv, out + got, len - got, &n) == 1)
            got += n;
        else
            assert_int_equal(SSL_get_error(p->srv, 0), SSL_ERROR_WANT_READ);
    }
    assert_int_equal(got, len);
}

static void test_records_pending_eof(void **state)
{
    (void)state;
    struct pair p;
    struct transport_tls_options o = {.cacert = g_a_crt};
    pair_open(&p, &o, "localhost", false, false);
    assert_int_equal(pair_handshake(&p), TRANSPORT_DONE);

    uint8_t buf[3000], in[3000];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 31);
    size_t n = 0;
    /* nothing yet */
    assert_int_equal(transport_read(&p.io, in, sizeof in, &n), TRANSPORT_WANT_READ);
    assert_int_equal(transport_pending(&p.io), 0);
    /* one 3000-byte record read 1000 at a time: the rest waits inside OpenSSL, where
     * epoll cannot see it */
    assert_int_equal(SSL_write(p.srv, buf, (int)sizeof buf), (int)sizeof buf);
    assert_int_equal(transport_read(&p.io, in, 1000, &n), TRANSPORT_DONE);
    assert_int_equal(n, 1000);
    assert_int_equal(transport_pending(&p.io), 2000);
    assert_int_equal(transport_read(&p.io, in + 1000, 2000, &n), TRANSPORT_DONE);
    assert_int_equal(n, 2000);
    assert_int_equal(transport_pending(&p.io), 0);
    assert_memory_equal(in, buf, sizeof buf);

    /* 40,000 bytes: three records in one call */
    static uint8_t big[40000], back[40000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i ^ (i >> 8));
    assert_int_equal(transport_write(&p.io, big, sizeof big, &n), TRANSPORT_DONE);
    assert_int_equal(n, sizeof big);
    server_read_exact(&p, back, sizeof back);
    assert_memory_equal(back, big, sizeof big);

    /* the server's close_notify is the end of its stream, like a FIN */
    assert_true(SSL_shutdown(p.srv) >= 0);
    assert_int_equal(transport_read(&p.io, in, sizeof in, &n), TRANSPORT_EOF);
    pair_close(&p);
}

/* A write the socket cannot take: WANT_WRITE, and the retry with the same bytes (and
 * more) goes on where it stopped - the contract write_turn relies on. */
static void test_blocked_write_retry(void **state)
{
    (void)state;
    struct pair p;
    struct transport_tls_options o = {.cacert = g_a_crt};
    pair_open(&p, &o, "localhost", false, false);
    assert_int_equal(pair_handshake(&p), TRANSPORT_DONE);
    size_t total = 4u << 20;
    uint8_t *data = malloc(total), *got = malloc(total);
    assert_non_null(data);
    assert_non_null(got);
    for (size_t i = 0; i < total; i++)
        data[i] = (uint8_t)(i * 7 + (i >> 13));
    size_t sent = 0, recvd = 0;
    bool blocked = false;
    for (int i = 0; i < 100000 && recvd < total; i++) {
        if (sent < total) {
            size_t chunk = total - sent < 65536 ? total - sent : 65536, n = 0;
            enum transport_status st = transport_write(&p.io, data + sent, chunk, &n);
            if (st == TRANSPORT_DONE) {
                assert_true(n > 0 && n <= chunk);
                sent += n;
            } else {
                assert_int_equal(st, TRANSPORT_WANT_WRITE);
                blocked = true;
            }
        }
        /* the server drains a little every other turn, so the socket fills up */
        if (i % 2 == 0) {
            size_t n = 0;
            ERR_clear_error();
            if (SSL_read_ex(p.srv, got + recvd, total - recvd, &n) == 1)
                recvd += n;
        }
    }
    assert_true(blocked);
    assert_int_equal(sent, total);
    assert_int_equal(recvd, total);
    assert_memory_equal(got, data, total);
    free(data);
    free(got);
    pair_close(&p);
}

static void test_plain(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    struct transport io;
    transport_init(&io, sv[0]);
    assert_int_equal(transport_handshake(&io), TRANSPORT_DONE);
    uint8_t buf[16];
    size_t n = 99;
    assert_int_equal(transport_read(&io, buf, sizeof buf, &n), TRANSPORT_WANT_READ);
    assert_int_equal(n, 0);
    assert_int_equal(transport_write(&io, (const uint8_t *)"abc", 3, &n), TRANSPORT_DONE);
    assert_int_equal(n, 3);
    assert_int_equal(read(sv[1], buf, sizeof buf), 3);
    assert_int_equal(write(sv[1], "xy", 2), 2);
    assert_int_equal(transport_read(&io, buf, sizeof buf, &n), TRANSPORT_DONE);
    assert_int_equal(n, 2);
    assert_int_equal(transport_pending(&io), 0);
    char text[32];
    transport_describe(&io, text, sizeof text);
    assert_string_equal(text, "");
    close(sv[1]);
    assert_int_equal(transport_read(&io, buf, sizeof buf, &n), TRANSPORT_EOF);
    assert_int_equal(transport_write(&io, (const uint8_t *)"abc", 3, &n), TRANSPORT_ERROR);
    assert_int_equal(io.err, EPIPE);
    char why[64];
    transport_error(&io, why, sizeof why);
    assert_string_equal(why, strerror(EPIPE));
    transport_close(&io);
    assert_int_equal(io.fd, -1);
}

/* ------------------------------------------------------------ the server side */

static void server_new_fails(const char *cert, const char *key_opt, const char *key,
                             const char *reason)
{
    char err[512] = "";
    struct transport_tls *tls =
        transport_tls_server_new("--tls-cert", cert, key_opt, key, err, sizeof err);
    assert_null(tls);
    if (!strstr(err, reason))
        fail_msg("error '%s' does not contain '%s'", err, reason);
}

static void test_server_context_errors(void **state)
{
    (void)state;
    server_new_fails("/nonexistent/c.pem", "--tls-key", g_a_key,
                     "--tls-cert '/nonexistent/c.pem': No such file or directory");
    server_new_fails(g_a_crt, "--tls-key", "/nonexistent/k.pem",
                     "--tls-key '/nonexistent/k.pem': No such file or directory");
    server_new_fails(g_junk, "--tls-key", g_a_key, "--tls-cert '");
    server_new_fails(g_junk, "--tls-key", g_a_key, "cannot load a PEM certificate");
    server_new_fails(g_a_crt, "--tls-key", g_b_key, "--tls-key '");
    server_new_fails(g_a_crt, "--tls-key", g_b_key, "does not match the certificate in --tls-cert");
    /* no key given and none in the certificate's file: the option says so */
    server_new_fails(g_a_crt, "--tls-cert (no --tls-key given)", NULL,
                     "--tls-cert (no --tls-key given) '");
    /* the key inside the certificate's file */
    char err[512];
    struct transport_tls *tls =
        transport_tls_server_new("--tls-cert", g_a_both, "--tls-cert", NULL, err, sizeof err);
    assert_non_null(tls);
    /* a server context does not make client sessions, nor a client context server ones */
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    struct transport io;
    transport_init(&io, sv[0]);
    struct transport_tls_options o = {.cacert = g_a_crt};
    struct transport_tls *client = transport_tls_new(&o, err, sizeof err);
    assert_non_null(client);
    assert_int_equal(transport_accept_tls(&io, client, err, sizeof err), -1);
    assert_null(io.ssl);
    transport_tls_free(client);
    transport_tls_free(tls);
    transport_close(&io);
    close(sv[1]);
}

struct spair {
    struct transport_tls *ctls, *stls;
    struct transport c, s;
};

/* A transport client (trusting A, offering ALPN http/1.1) and a transport server
 * (certificate A) on a socketpair; the server's handshake started. */
static void spair_open(struct spair *p)
{
    memset(p, 0, sizeof *p);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    char err[512] = "";
    struct transport_tls_options o = {.cacert = g_a_crt};
    p->ctls = transport_tls_new(&o, err, sizeof err);
    p->stls =
        transport_tls_server_new("--tls-cert", g_a_crt, "--tls-key", g_a_key, err, sizeof err);
    if (!p->ctls || !p->stls)
        fail_msg("context: %s", err);
    transport_init(&p->c, sv[0]);
    transport_init(&p->s, sv[1]);
    assert_int_equal(transport_start_tls(&p->c, p->ctls, "localhost", err, sizeof err), 0);
    assert_int_equal(transport_accept_tls(&p->s, p->stls, err, sizeof err), 0);
}

static void spair_close(struct spair *p)
{
    transport_close(&p->c);
    transport_close(&p->s);
    transport_tls_free(p->ctls);
    transport_tls_free(p->stls);
    ERR_clear_error();
}

/* Both handshakes in turn; returns the server's final status. */
static enum transport_status spair_handshake(struct spair *p)
{
    enum transport_status cs = TRANSPORT_WANT_READ, ss = TRANSPORT_WANT_READ;
    /* the server speaks second: nothing to read yet */
    assert_int_equal(transport_handshake(&p->s), TRANSPORT_WANT_READ);
    for (int i = 0; i < MAX_STEPS; i++) {
        if (cs == TRANSPORT_WANT_READ || cs == TRANSPORT_WANT_WRITE)
            cs = transport_handshake(&p->c);
        if (ss == TRANSPORT_WANT_READ || ss == TRANSPORT_WANT_WRITE)
            ss = transport_handshake(&p->s);
        if (ss != TRANSPORT_WANT_READ && ss != TRANSPORT_WANT_WRITE && cs != TRANSPORT_WANT_READ &&
            cs != TRANSPORT_WANT_WRITE)
            break;
    }
    return ss;
}

static void test_server_handshake(void **state)
{
    (void)state;
    struct spair p;
    spair_open(&p);
    assert_int_equal(spair_handshake(&p), TRANSPORT_DONE);
    /* ALPN: the client offered http/1.1, the server selected it */
    const unsigned char *alpn = NULL;
    unsigned alpn_len = 0;
    SSL_get0_alpn_selected(p.c.ssl, &alpn, &alpn_len);
    assert_int_equal(alpn_len, 8);
    assert_memory_equal(alpn, "http/1.1", 8);
    assert_true(SSL_version(p.s.ssl) >= TLS1_2_VERSION);
    char text[64];
    transport_describe(&p.s, text, sizeof text);
    assert_true(strncmp(text, "TLSv1.", 6) == 0);
    /* bytes both ways */
    static const char req[] = "GET /getCaseCount HTTP/1.1\r\n\r\n";
    uint8_t buf[256];
    size_t n = 0;
    assert_int_equal(transport_write(&p.c, (const uint8_t *)req, sizeof req - 1, &n),
                     TRANSPORT_DONE);
    assert_int_equal(transport_read(&p.s, buf, sizeof buf, &n), TRANSPORT_DONE);
    assert_int_equal(n, sizeof req - 1);
    assert_memory_equal(buf, req, n);
    assert_int_equal(transport_write(&p.s, (const uint8_t *)"pong", 4, &n), TRANSPORT_DONE);
    assert_int_equal(transport_read(&p.c, buf, sizeof buf, &n), TRANSPORT_DONE);
    assert_int_equal(n, 4);
    /* the server ends its direction: close_notify then FIN, the client reads EOF; the
     * server still reads what the client sends after it */
    transport_shutdown(&p.s);
    assert_int_equal(transport_read(&p.c, buf, sizeof buf, &n), TRANSPORT_EOF);
    assert_int_equal(transport_write(&p.c, (const uint8_t *)"late", 4, &n), TRANSPORT_DONE);
    assert_int_equal(transport_read(&p.s, buf, sizeof buf, &n), TRANSPORT_DONE);
    assert_int_equal(n, 4);
    transport_shutdown(&p.s); /* twice is harmless */
    spair_close(&p);
}

/* A client that offers no ALPN gets none: the handshake still succeeds. */
static void test_server_no_alpn(void **state)
{
    (void)state;
    struct spair p;
    spair_open(&p);
    assert_int_equal(SSL_set_alpn_protos(p.c.ssl, NULL, 0), 0);
    assert_int_equal(spair_handshake(&p), TRANSPORT_DONE);
    const unsigned char *alpn = NULL;
    unsigned alpn_len = 0;
    SSL_get0_alpn_selected(p.s.ssl, &alpn, &alpn_len);
    assert_int_equal(alpn_len, 0);
    spair_close(&p);
}

/* A plaintext client on the TLS server: the handshake fails at once, with a reason. */
static void test_server_plaintext_client(void **state)
{
    (void)state;
    struct spair p;
    spair_open(&p);
    static const char req[] = "GET /getCaseCount HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(write(p.c.fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
    assert_int_equal(transport_handshake(&p.s), TRANSPORT_ERROR);
    char why[128];
    transport_error(&p.s, why, sizeof why);
    if (!strstr(why, "http request"))
        fail_msg("error '%s' does not name the HTTP request", why);
    /* and a client that closes before its ClientHello */
    spair_close(&p);
    spair_open(&p);
    shutdown(p.c.fd, SHUT_WR);
    assert_int_equal(transport_handshake(&p.s), TRANSPORT_ERROR);
    transport_error(&p.s, why, sizeof why);
    assert_string_equal(why, "the client closed the connection during the TLS handshake");
    spair_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_context_errors),
        cmocka_unit_test(test_verified_by_name),
        cmocka_unit_test(test_verified_by_ip),
        cmocka_unit_test(test_hostname_mismatch),
        cmocka_unit_test(test_ip_mismatch),
        cmocka_unit_test(test_unknown_issuer),
        cmocka_unit_test(test_insecure),
        cmocka_unit_test(test_client_certificate),
        cmocka_unit_test(test_records_pending_eof),
        cmocka_unit_test(test_blocked_write_retry),
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_server_context_errors),
        cmocka_unit_test(test_server_handshake),
        cmocka_unit_test(test_server_no_alpn),
        cmocka_unit_test(test_server_plaintext_client),
    };
    return cmocka_run_group_tests(tests, setup_certs, teardown_certs);
}

/*
 * tester.h - wsspec's side of a run: the selected cases against one target, each on its
 * own connection, up to `jobs` at once on one event loop (loop.c). Each case is a
 * session (session.c: TCP connect, TLS, then the case's script) and each script
 * (script.c, sans-IO) turns the case's steps into bytes and the target's bytes into
 * events; a case is judged as it ends. The reachability probe before a run is a session
 * too: the opening handshake alone, with every header a case sends.
 *
 * A frame's way from the socket to a verdict: loop.c reads bytes -> session.c ->
 * script.c -> ws_conn (client role, the strict core) -> script_recv.c records events
 * -> judge.c.
 *
 * Everything wsspec waits for has a deadline (connect, opening handshake, the case's
 * kill-after / close-after, closing handshake, the target dropping TCP), all scaled by
 * timeout_scale; a case ends the moment TCP closes, never by waiting a timer out when
 * the outcome is already decided. Masks, keys and chop schedules come from a generator
 * seeded per case from the run's seed and the case id, so a run is repeatable byte for
 * byte with the same seed and verdicts do not depend on `jobs` or on case order.
 */
#ifndef TESTER_H
#define TESTER_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "case.h"
#include "result.h"
#include "transport.h"

/* Addresses of one host name tried by the probe, in the resolver's order. */
#define TARGET_MAX_ADDRS 8
/* Longest URL (and path with query): twice the 8 KiB that servers commonly accept in a
 * request line, so the target, not wsspec, decides what is too long. */
#define TARGET_URL_MAX 16384

/* A ws:// or wss:// URL, parsed and resolved. */
struct target {
    char url[TARGET_URL_MAX];
    char host[256];                /* as written, without brackets for IPv6 */
    char host_header[300];         /* Host: value (host[:port], brackets for IPv6) */
    char resource[TARGET_URL_MAX]; /* path and query, "/" when empty */
    uint16_t port;
    struct sockaddr_storage addr; /* the address every case connects to */
    socklen_t addr_len;
    struct sockaddr_storage addrs[TARGET_MAX_ADDRS]; /* all the host resolved to */
    socklen_t addr_lens[TARGET_MAX_ADDRS];
    size_t n_addrs;
    bool secure;                     /* wss:// */
    const struct transport_tls *tls; /* wss://: the TLS settings, set by the caller after
                                        parsing; not owned, must outlive the run */
};

/* Parse ws[s]://host[:port][/path][?query] (IPv6 literals in brackets; default port 80
 * for ws://, 443 for wss://; the scheme in any case, the host lower-cased as RFC 3986
 * section 3.2.2 allows; up to TARGET_URL_MAX - 1 bytes) and resolve the host (numeric addresses and
 * names via getaddrinfo). Returns 0, or -1 with a one-line reason in err ("unsupported scheme
 * 'http' (use ws:// or wss://)", "bad port", ...). For wss:// the caller sets t->tls. */
int target_parse(const char *url, struct target *t, char *err, size_t err_len);

struct tester_options {
    unsigned jobs;        /* cases at once, >= 1 */
    double timeout_scale; /* multiplies every timer, > 0 */
    uint64_t seed;
    double pace;                  /* > 0: the writer's pass, fixed (script.h); 0 = measured */
    const char *origin;           /* Origin header, NULL = none */
    const char *const *protocols; /* offered subprotocols */
    size_t n_protocols;
    const char *const *headers; /* extra "Name: value" lines */
    size_t n_headers;
    const char *agent; /* name for reports */
    /* the order the cases start in: positions in idx (and results), a permutation of
     * 0..n-1; NULL = idx's order. Results stay where idx puts them. */
    const size_t *order;
    /* called as each case finishes (already judged), in completion order */
    void (*on_done)(void *ud, const struct case_result *r);
    void *ud;
    /* set to non-zero (e.g. from a signal handler) to stop: running cases are dropped
     * and reported as not run (their result has connected = false) */
    volatile int *stop;
};

/* Try one TCP connection, TLS handshake (wss://) and opening handshake - with the
 * headers, Origin and subprotocols of o, as every case sends them - within `seconds`,
 * on each address of the target in turn until one answers (t->addr is then that one,
 * for every case: a name like localhost may resolve to ::1 first and to 127.0.0.1 where
 * the server listens),
 * so a run against a target that cannot be reached, refuses wsspec's request, or
 * whose certificate does not verify fails at once with one line saying why ("TLS
 * handshake with localhost:9443 failed: certificate verify failed: self-signed
 * certificate", "got 401 Unauthorized: ..."). Returns 0 or -1 with the reason in err.
 * The agent name (Server header, else host:port) is stored in agent. */
int tester_probe(struct target *t, const struct tester_options *o, double seconds, char *agent,
                 size_t agent_len, char *err, size_t err_len);
/* tester_probe's return when the trouble is wsspec's own (its event loop, memory, file
 * descriptors), not the target's: err says what. */
#define TESTER_OWN_TROUBLE (-2)

/* Run cases cat->cases[idx[0..n)] against t; results[i] is filled for idx[i] (zero
 * them first); *ran = the number of cases that ran to a verdict (n unless stopped).
 * Returns 0; or -1 when wsspec itself could not go on - out of file descriptors or
 * memory, the event loop failing - with one line in err: that is never the target's
 * fault, and the run ends with exit 2. */
int tester_run(const struct target *t, const struct case_catalogue *cat, const size_t *idx,
               size_t n, const struct tester_options *o, struct case_result *results, size_t *ran,
               char *err, size_t err_len);

#endif

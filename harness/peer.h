/*
 * peer.h - the scripted test peer: runs selected cases against one target, each on its
 * own connection, up to `jobs` at once in one event loop, and records what happened
 * into a struct case_result per case (judged as each case ends).
 *
 * A frame's way from the socket to a verdict: peer reads bytes -> ws_conn (client role,
 * the strict core) -> callbacks record events -> judge_case (judge.c).
 *
 * Everything the peer waits for has a deadline (connect, opening handshake, the case's
 * kill-after / close-after, closing handshake, the server dropping TCP), all scaled by
 * timeout_scale; a case ends the moment TCP closes, never by waiting a timer out when
 * the outcome is already decided. Masks, keys and chop schedules come from a generator
 * seeded per case from the run's seed and the case id, so a run is repeatable byte for
 * byte with the same seed and verdicts do not depend on `jobs` or on case order.
 */
#ifndef PEER_H
#define PEER_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "case.h"
#include "peer_io.h"
#include "result.h"

/* A ws:// or wss:// URL, parsed and resolved. */
struct peer_target {
    char url[512];
    char host[256];        /* as written, without brackets for IPv6 */
    char host_header[300]; /* Host: value (host[:port], brackets for IPv6) */
    char resource[1024];   /* path and query, "/" when empty */
    uint16_t port;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    bool secure;                /* wss:// */
    const struct peer_tls *tls; /* wss://: the TLS settings, set by the caller after
                                   parsing; not owned, must outlive the run */
};

/* Parse ws[s]://host[:port][/path][?query] (IPv6 literals in brackets; default port 80
 * for ws://, 443 for wss://) and resolve the host (numeric addresses and names via
 * getaddrinfo). Returns 0, or -1 with a one-line reason in err ("unsupported scheme
 * 'http' (use ws:// or wss://)", "bad port", ...). For wss:// the caller sets t->tls. */
int peer_target_parse(const char *url, struct peer_target *t, char *err, size_t err_len);

/* Try one TCP connection, TLS handshake (wss://) and opening handshake within
 * `seconds`, so a run against a target that cannot be reached - or whose certificate
 * does not verify - fails at once with one line saying why ("TLS handshake with
 * localhost:9443 failed: certificate verify failed: self-signed certificate"). Returns
 * 0 or -1 with the reason in err. The agent name (Server header, else host:port) is stored
 * in agent. */
int peer_probe(const struct peer_target *t, double seconds, char *agent, size_t agent_len,
               char *err, size_t err_len);

struct peer_options {
    unsigned jobs;        /* cases at once, >= 1 */
    double timeout_scale; /* multiplies every timer, > 0 */
    uint64_t seed;
    const char *origin;               /* Origin header, NULL = none */
    const char *const *protocols;     /* offered subprotocols */
    size_t n_protocols;
    const char *const *headers;       /* extra "Name: value" lines */
    size_t n_headers;
    const char *agent;                /* name for reports */
    /* called as each case finishes (already judged), in completion order */
    void (*on_done)(void *ud, const struct case_result *r);
    void *ud;
    /* set to non-zero (e.g. from a signal handler) to stop: running cases are dropped
     * and reported as not run (their result has connected = false) */
    volatile int *stop;
};

/* Run cases cat->cases[idx[0..n)] against t; results[i] is filled for idx[i] (zero
 * them first). Returns the number of cases that ran to a verdict (n unless stopped). */
size_t peer_run(const struct peer_target *t, const struct case_catalogue *cat, const size_t *idx,
                size_t n, const struct peer_options *o, struct case_result *results);

/* The per-case generator seed: the run seed mixed with the case id. */
uint64_t peer_case_seed(uint64_t run_seed, const char *case_id);

#endif

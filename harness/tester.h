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
 * Liveness (liveness.h has the blame rules): unless switched off, a check of wsspec's own -
 * the opening handshake, one text message echoed, a Close - runs before the first case
 * (which waits for it at most TESTER_FIRST_CHECK_WAIT) and again once cases have ended; a case is
 * reported only when a check that started after it ended has passed. A check that fails ends the
 * run of the target: the case it was for is FAILED ("target stopped answering after this case"),
 * the rest are not run. The check is a session on the same loop, with the same headers as every
 * case, and the deadlines of a case without timers of its own (opening handshake 5 s, kill-after 10
 * s, both scaled); a target that answers it with an HTTP status other than 101 is asked once more
 * after a pause. With -j N cases go on starting while a check runs, so the checks cost little time;
 * with -j 1 each case waits for its check, so blame is exact.
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
    bool liveness; /* check the target after the cases (above); false: --no-liveness */
};

/* Liveness checks use at most this many connections besides the cases' (one deciding,
 * the others finishing their closing handshake). */
#define TESTER_CHECK_SESSIONS 4
/* A check answered with an HTTP status other than 101 is tried again after this pause
 * (scaled), once: the target answered, so it is up, and may be busy for a moment. */
#define TESTER_CHECK_RETRY_PAUSE 0.5
/* The cases wait for the first check at most this long (scaled) - the 1 s most cases
 * give an echo - then start alongside it: a target that takes the check's connection
 * and stays silent does not hold the run for the check's whole deadline. */
#define TESTER_FIRST_CHECK_WAIT 1.0

/* What a run found besides the verdicts. */
struct tester_outcome {
    size_t ran;         /* cases reported (with a verdict) */
    bool liveness_off;  /* checks were on, but the target failed the first one: the run went
                           on without them (why says what the check saw) */
    bool died;          /* a check failed after a case: the run of this target stopped */
    char why[320];      /* what the failed check saw ("connection refused", ...) */
    char message[1024]; /* died: "target stopped answering after case 2.3 (or ...): why" */
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
 * them first); a case is handed to o->on_done when it is reported. *out says how many
 * were (n unless stopped or the target died) and what the liveness checks found; a
 * case that is not reported has no verdict for the reports (its result may hold
 * records; free it). Returns 0; or -1 when wsspec itself could not go on - out of file
 * descriptors or memory, the event loop failing - with one line in err: that is never
 * the target's fault, and the run ends with exit 2. */
int tester_run(const struct target *t, const struct case_catalogue *cat, const size_t *idx,
               size_t n, const struct tester_options *o, struct case_result *results,
               struct tester_outcome *out, char *err, size_t err_len);

#endif

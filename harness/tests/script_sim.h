/*
 * script_sim.h - a case's script (harness/script.h) run without a socket against a
 * simulated target: the core's own endpoint (ws_conn) in the role opposite wsspec's -
 * a server when wsspec is the client (test_script.c), a library-like client when wsspec
 * is the server (test_script_server.c) - and time is a number the test moves: it jumps
 * to the script's next deadline or due write whenever the bytes stop moving.
 *
 * The target echoes every message (the core answers Pings and Close frames itself),
 * or misbehaves as its mode says. Shared by the script's test files so that both roles
 * are driven by the same loop.
 */
#ifndef SCRIPT_SIM_H
#define SCRIPT_SIM_H

#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include "script.h"

enum sim_mode {
    SIM_ECHO = 0,         /* echo every message */
    SIM_HOLD_UNTIL_CLOSE, /* hold the echoes until wsspec's Close, then send them */
    SIM_PING_FLOOD,       /* echo, and send 100 Pings per pass */
    SIM_SILENT,           /* never echo */
    SIM_ECHO_UNMASKED,    /* echo in frames without a mask (the tester API) */
    SIM_CLOSE_FIRST,      /* send Close 1000 as soon as the connection is open */
    /* broken clients (wsspec the server; section 19) */
    SIM_TAKES_ANY_101, /* a response its core refused: it sends a text frame all the same */
    SIM_ASKS_AGAIN,    /* a response its core refused: it sends a new request line */
    SIM_EAGER,         /* sends a text frame right behind its request, before any response */
    SIM_DEAF_ECHO,     /* once open, reads no frame (no mask check): answers wsspec's first
                          bytes with a text message "Hello" */
    SIM_DEAF_CLOSE,    /* once open, reads no frame (no close-code check): answers wsspec's
                          first bytes with Close 1000 */
    SIM_DEAF_DROP,     /* once open, answers wsspec's first bytes by closing TCP */
};

/* What a run needs beside the case. */
struct sim_opts {
    enum script_role role;  /* wsspec's role; the target plays the other */
    struct datastore *data; /* the run's generated files (roundtrip data=) */
    struct zcache *zc;      /* the run's compressed messages */
    /* which permessage-deflate offers the server accepts: the target's (wsspec the
     * client) or wsspec's (script_config.pmd, wsspec the server) */
    struct ws_pmd_server_prefs pmd;
    /* wsspec the server: the client's Sec-WebSocket-Extensions (NULL = none) */
    const char *offer;
    /* wsspec the server: the client writes these bytes as its opening request instead
     * of the core's (NULL = the core's) */
    const char *raw_request;
    bool keep_tcp; /* the target never closes TCP */
};

struct sim {
    struct script sc;
    struct case_result r;
    struct case_catalogue cat;
    struct ws_conn target;
    struct ws_offer target_offer; /* raw_request: what the client's request offered */
    struct th_rng rng;            /* the target's masks and key */
    enum sim_mode mode;
    bool keep_tcp;
    double now;
    double latency; /* the target's handshake answer comes this much later */
    uint8_t held[4][1 << 17];
    size_t held_len[4];
    int n_held;
    bool target_open;
    bool deaf_answered; /* SIM_DEAF_*: the one answer went out */
    bool dropped;       /* SIM_DEAF_DROP: TCP is closed */
    uint64_t moved;     /* bytes moved either way */
};

/* Parse case_text (one case), set up the target and the script (run seed 42, time
 * 100 s). o may be NULL (wsspec the client, nothing else). */
void sim_init_with(struct sim *s, const char *case_text, enum sim_mode mode,
                   const struct sim_opts *o);
void sim_init(struct sim *s, const char *case_text, enum sim_mode mode);
/* The same with case `id` of the case file at path (relative to the catalogue folder:
 * $WSSPEC_CASES, else cases/), so a test judges the catalogue's own case. */
void sim_init_file(struct sim *s, const char *file, const char *id, enum sim_mode mode,
                   const struct sim_opts *o);

/* Bytes from the script to the target, as the session would write them; returns when
 * the script has the next bytes due (0 = not before something happens). */
double sim_to_target(struct sim *s);

/* Bytes from the target to the script; TCP closes once the target is CLOSED (unless
 * keep_tcp). */
void sim_to_script(struct sim *s);

/* Run the case to its end (bounded: 100 simulated seconds) and finish it. */
void sim_run(struct sim *s);

void sim_free(struct sim *s);

/* Case 1.1.2 as a test writes it: two text frames (the first chopped), both echoed. */
extern const char sim_echo_case[];

/* Rows of the wire log of type t, and their bytes (may be NULL). */
size_t sim_wire_rows(const struct case_result *r, enum wirelog_type t, size_t *bytes);

/* The time (ms) of the first wire-log row of type t whose text is `text` (-1 = none). */
double sim_row_ms(const struct case_result *r, enum wirelog_type t, const char *text);

#endif

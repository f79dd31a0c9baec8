/*
 * script.h - one case between wsspec and the target, sans-IO: the case's steps become
 * bytes to write, the bytes the target sends become events in a struct case_result,
 * timers are deadlines on a clock the caller passes in (seconds, monotonic). No
 * socket, no clock, no global: harness/tests/test_script.c drives it byte by byte, the
 * session (session.c) drives it from a socket. The receive path is the core's (ws_conn,
 * with its tester options), the send path is sendq (Autobahn's write model).
 *
 * Two roles (script_config.role). As the client (Autobahn's fuzzingclient, testing a
 * server) wsspec writes the opening request and the core's client role checks the
 * 101. As the server (Autobahn's fuzzingserver, testing a client: `wsspec serve`)
 * wsspec writes no request: the core's server role reads the client's, answers 101 or
 * refuses it, and the case's steps run once the 101 is queued - frames unmasked unless
 * a step says otherwise, the client's frames required to be masked (RFC 6455 5.1). Not
 * every case means the same with the roles swapped: script_case_serves says which do.
 *
 * A case's life, one phase at a time (script_advance in script.c is the only place
 * that changes it, and each phase owns its deadline):
 *
 *   OPENING  client: the opening request is queued; waiting for    open handshake (5 s)
 *            the 101. server: waiting for the client's request
 *   OPEN     steps run, events are recorded                        wait, kill-after,
 *                                                                  close-after
 *   CLOSING  wsspec sent its Close; waiting for the target's       close handshake (1 s)
 *   CLOSED   the closing handshake is over (or the connection      client: the target's
 *            failed): client: the server is to close TCP;          TCP close (1 s);
 *            server: wsspec closes TCP once its last bytes (the    server: its last
 *            Close, a refusal of the request) are written          write (1 s)
 *   DONE     TCP is closed, or is to be closed by wsspec now
 *
 * Everything is scaled by timeout_scale. Autobahn's flags (closedByMe, failedByMe,
 * droppedByMe, wasClean and the reasons) are kept as Autobahn keeps them (catalogue
 * section 2.3: "As server, the fuzzer then drops TCP immediately; as client it waits for
 * the server to drop TCP") and judged by judge.c when the case ends (script_finish).
 *
 * Memory: the struct, the core's bounded buffers (no message is reassembled: messages
 * are compared with what the case expects as they stream in), the send queue (one
 * unit per queued frame), and the case_result's bounded records (result.h).
 */
#ifndef SCRIPT_H
#define SCRIPT_H

#include "case.h"
#include "datastore.h"
#include "zcache.h"
#include "result.h"
#include "sendq.h"
#include "ws_conn.h"

/* Autobahn's protocol timeouts (catalogue 2.4), before timeout_scale. */
#define SCRIPT_OPEN_HANDSHAKE_TIMEOUT 5.0
#define SCRIPT_CLOSE_HANDSHAKE_TIMEOUT 1.0
#define SCRIPT_SERVER_DROP_TIMEOUT 1.0
/* A case without kill-after or close-after gets this kill-after, so that no case can
 * run forever. */
#define SCRIPT_DEFAULT_KILL_AFTER 10.0
/* The writer's pass before a frame is the connection's opening-handshake round trip,
 * at most this (see script.c, "Pace"). */
#define SCRIPT_PACE_MAX 10e-3

enum script_phase { SCRIPT_OPENING = 0, SCRIPT_OPEN, SCRIPT_CLOSING, SCRIPT_CLOSED, SCRIPT_DONE };

/* wsspec's side of the connection; the target plays the other. */
enum script_role { SCRIPT_CLIENT = 0, SCRIPT_SERVER };

struct script_config {
    const struct case_def *def;       /* not owned; outlives the script */
    struct case_result *r;            /* filled in; zeroed by the caller */
    enum script_role role;            /* zero: the client, as `wsspec run` */
    uint64_t run_seed;                /* the case's generator is derived from it and the id */
    double timeout_scale;             /* > 0 */
    struct ws_request_params request; /* client role: what the opening request carries
                                         (strings not owned; they outlive the script) */
    const char *agent;                /* name for reports (client role: NULL = the host) */
    double wall0;      /* the wall clock (seconds since the epoch) at script_init's now */
    bool probe;        /* only the opening handshake: when OPEN, say goodbye and end */
    double pace;       /* > 0: the writer's pass, fixed; 0 = client role: from the handshake
                          round trip, server role: SCRIPT_PACE_MAX (see script.c, "Pace") */
    double pace_floor; /* measured pass: at least this (the run's longest recent one) */
    /* server role: which permessage-deflate offers of the client a case with
     * deflate-offer accepts (zero = the first valid offer; ws_pmd.h). Other cases
     * decline every offer, as wsspec offers none in the client role. */
    struct ws_pmd_server_prefs pmd;
    /* server role: the subprotocols accepted, in preference order (not owned; NULL =
     * none: a 101 without Sec-WebSocket-Protocol) */
    const char *const *protocols;
    size_t n_protocols;
    struct datastore *data; /* the run's generated files for `roundtrip data=` (not owned;
                               NULL: such a roundtrip cannot run) */
    struct zcache *zcache;  /* the run's compressed roundtrip messages (not owned; NULL:
                               every message is compressed here); the tester holds the
                               case's group while it runs */
};

/* What the opening request offered, read back from its bytes (script_request.c): the
 * core checks the 101 against it, the judge the response checks. offer points into the
 * arrays beside it, so the struct stays where it was filled. */
#define SCRIPT_OFFER_MAX 16
struct script_offer {
    struct ws_offer offer;
    bool has_key;
    char key[128]; /* the first Sec-WebSocket-Key value, without OWS */
    const char *protocols[SCRIPT_OFFER_MAX];
    size_t n_protocols;
    const char *extensions[SCRIPT_OFFER_MAX]; /* extension names */
    size_t n_extensions;
    char names[1024]; /* the names above, NUL-terminated one after another */
    size_t names_used;
};

/* Private: the state of a message being compared as it streams in. */
struct script_cmp {
    bool active;
    uint64_t len;
    uint8_t head[RESULT_KEEP_BYTES];
    size_t head_len;
    uint8_t matches; /* EVENT_MATCHES_* still possible */
};

/* Caller-allocated; the fields are private to script*.c. */
struct script {
    struct script_config cfg;
    const struct case_def *def;
    struct case_result *r;
    enum script_phase phase;
    struct ws_conn conn;
    bool conn_ready;
    struct sendq q;
    uint64_t rng;
    bool reading;     /* inside script_recv: what is queued now follows a read */
    double now;       /* the time of the call being handled (for the core's callbacks) */
    double t0;        /* when the TCP connect started: the wire log's zero */
    double t_open;    /* the 101 arrived: a case's duration starts here */
    double t_request; /* the opening request's last byte was written */
    double dl_open, dl_wait, dl_kill, dl_close_after, dl_close_hs, dl_drop; /* 0 = none */
    /* a paced write ends by then even when the target stops reading (its chops are
     * dropped; the steps and timers after it go on): the timers wait for the write */
    double dl_pace;
    const char *wait_tag;
    size_t step;
    bool steps_done;
    bool pacing;      /* a paced write (pause=) runs: the next steps wait for its end */
    double cur_pause; /* the pause of the step being queued, scaled; 0 = none */
    bool open_masked; /* the frame opened by `send begin` */
    uint8_t open_key[4];
    uint64_t open_phase;
    const struct step *rt; /* roundtrip in progress */
    uint32_t rt_left;
    /* the roundtrip's message in flight, when it is built (data=, `expect echo`, or
     * compressed): its plain bytes, its compressed form, the payload queued */
    uint64_t rt_index;
    uint8_t *rt_msg, *rt_wire;
    size_t rt_msg_len, rt_msg_cap, rt_wire_cap;
    struct payload_seg rt_seg;
    struct payload rt_pl;
    bool echo_differs;     /* the echo streaming in differs from rt_msg */
    uint64_t echo_diff_at; /* where */
    uint64_t rf_row;       /* wire-log handle of the frame being received */
    struct script_cmp cmp;
    bool killed;           /* the kill timer failed the connection: messages no longer count */
    bool autobahn_refused; /* the core refused a close code only Autobahn refuses */
    uint64_t rx_before;    /* bytes received before the current read */
    bool tcp_closed;
    struct script_offer offer;
    /* a case that writes its own request (case_request.own): its bytes, as a payload
     * for the send queue */
    uint8_t *req;
    size_t req_block; /* server role: the client's request block's length */
    uint8_t eoh;      /* own response: 1 after a LF, 2 after LF CR (script_server.c) */
    bool refusing;    /* server role, `expect refusal`: the response is out (or never
                         will be); the client's bytes are counted, not read as frames */
    struct payload_seg req_seg;
    struct payload req_pl;
};

/* Set up for one case, starting at time now (client role: the TCP connect begins;
 * server role: the client's connection was accepted). Returns false when the opening
 * request cannot be built, memory is out, or the case is not for the role
 * (script_case_serves, script_case_runs_as_client); r->connect_error says which. */
bool script_init(struct script *sc, const struct script_config *cfg, double now);

/* Whether the case runs with wsspec as the server (script_config.role SCRIPT_SERVER):
 * its steps and expectations mean the same with the roles swapped. Not: a case that
 * writes its own opening request or pipelines frames behind it (request.own), judges
 * the target's response to it (response checks, ends_at_response), whose verdict
 * depends on a declared policy (section 17's hardening probes of a server), or that
 * sets a step's mask= (section 15: a server's masking rules; a mask from wsspec as the
 * server is a different rule, 5.1's second MUST) - unless the case says `role server`:
 * then it is written for this role (its own response, mask= from the server). A case
 * with `role client` never serves. *why (may be NULL) gets the reason, a static string,
 * when false. */
bool script_case_serves(const struct case_def *def, const char **why);

/* Whether the case runs with wsspec as the client (`wsspec run`): every case but one
 * with `role server` (a case that tests a client). *why as above. */
bool script_case_runs_as_client(const struct case_def *def, const char **why);

/* Server role: the permessage-deflate answer a case with deflate-offer wants from
 * wsspec. In the client role the case's deflate-offer is what wsspec offers and the
 * target chooses; in the server role the client under test offers, so the case's
 * offer becomes what wsspec asks for in its answer (ws_pmd_server_prefs): each
 * server_no_context_takeover, client_no_context_takeover and *_max_window_bits=N of
 * the case's first permessage-deflate element. Autobahn's fuzzingserver does the same
 * with its per-case accept functions (section 13: "server accept: ..."). A case
 * without deflate-offer gets zero prefs (and declines every offer: script_server.c).
 * Returns false only when deflate-offer cannot be read (then *prefs is zero). */
bool script_server_pmd_prefs(const struct case_def *def, struct ws_pmd_server_prefs *prefs);

/* Bytes the target sent. in[] is modified (unmasked in place). */
void script_recv(struct script *sc, uint8_t *in, size_t len, double now);

/* The target closed TCP (or it broke: why = a note for the wire log, NULL for EOF). */
void script_tcp_closed(struct script *sc, const char *why, double now);

/* Timers due at now. */
void script_tick(struct script *sc, double now);

/* The next bytes to write at now, into out[0..cap): returns how many (0 = nothing
 * now; *wake = when something will be due, 0 = not before more input). */
size_t script_output(struct script *sc, double now, uint8_t *out, size_t cap, double *wake);

/* n of the bytes from script_output went out at now (0 = the write would block). */
void script_wrote(struct script *sc, const uint8_t *out, size_t n, double now);

/* The earliest deadline (0 = none). */
double script_deadline(const struct script *sc);

/* True when the case is over and wsspec is to close TCP (or it is closed). */
bool script_done(const struct script *sc);

/* True when nothing is waiting to be written. */
bool script_idle(const struct script *sc);

/* End the case at now: record the close flags and judge it. Frees the script's own
 * memory (not the result's). */
void script_finish(struct script *sc, double now);

/* Abandon the case (the run was interrupted): free, no verdict. */
void script_abandon(struct script *sc);

/* The per-case generator seed: the run seed mixed with the case id. */
uint64_t script_case_seed(uint64_t run_seed, const char *case_id);

/* A wire-log note row ("TCP DROPPED BY ME", "TLS: ...") at now. */
void script_note(struct script *sc, enum wirelog_type type, const char *text, double now);

#endif

/*
 * result.h - what happened in one case (recorded by the tester's script, script.c) and
 * the verdict on it (judge.c), the one record every report is rendered from
 * (report_json.c; HTML, JUnit and Markdown from the JSON).
 *
 * Memory is bounded per case whatever the target does, and small, because the results
 * of every case are kept until the reports are written: messages are compared with
 * what the case expects as they stream in (script.c), so a recorded event keeps only
 * the first RESULT_KEEP_BYTES of its payload (for reports) and whether it matched; at
 * most RESULT_EVENTS_MAX events; the wire log keeps its first RESULT_WIRELOG_HEAD and
 * last RESULT_WIRELOG_TAIL rows with at most RESULT_WIRELOG_BYTES of data each; the
 * handshake texts at most their header-block bound. About 100 KiB per case at worst.
 * The recorders are in result.c.
 */
#ifndef RESULT_H
#define RESULT_H

#include "case.h"
#include "ws_core.h"

/* What a recorded message or pong keeps of its payload, for reports: the comparison
 * with the expected payload is made on every byte as it arrives, not on these. */
#define RESULT_KEEP_BYTES 256
/* More events than this are counted, not kept: no expectation lists more than ten, so
 * the verdict is already decided (FAILED), and a target flooding pongs gains nothing. */
#define RESULT_EVENTS_MAX 100
/* Autobahn shows the first 64 bytes of every frame and octet run; so do we. */
#define RESULT_WIRELOG_BYTES 64
/* A hostile target can send millions of tiny frames: the log keeps the first rows and
 * the last ones (how the case ended) and counts those between (9.x logs are large;
 * their rows are not needed to judge). */
#define RESULT_WIRELOG_HEAD 300
#define RESULT_WIRELOG_TAIL 100
#define RESULT_WIRELOG_MAX (RESULT_WIRELOG_HEAD + RESULT_WIRELOG_TAIL)

/* Bits of recorded_event.matches: the event's payload (every byte and the length)
 * equals the payload at the same index of the case's OK / NON-STRICT list. */
#define EVENT_MATCHES_OK 1u
#define EVENT_MATCHES_NON_STRICT 2u

struct recorded_event {
    enum event_type type;
    bool binary;
    uint8_t *data;    /* first min(len, RESULT_KEEP_BYTES) bytes, owned */
    size_t data_len;  /* how many bytes data holds */
    uint64_t len;     /* full length */
    uint8_t matches;  /* EVENT_MATCHES_* */
    bool after_close; /* arrived after the target's Close: Autobahn counts it, RFC 6455
                         5.5.1 forbids a data frame there (the RFC verdict drops it) */
    char tag[16];
    double at_ms; /* since the case started */
};

enum wirelog_type {
    WL_RX_OCTETS, /* "RO" */
    WL_TX_OCTETS, /* "TO" */
    WL_RX_FRAME,  /* "RF" */
    WL_TX_FRAME,  /* "TF" */
    WL_TIMER,     /* "KL"/"TI"/"CT" scheduled, "KLE"/"TIE"/"CTE" fired: see text */
    WL_NOTE,      /* anything else worth a line (connection events) */
};

struct wirelog_row {
    enum wirelog_type type;
    double at_ms;
    uint64_t len;                       /* octets or payload length */
    uint8_t data[RESULT_WIRELOG_BYTES]; /* first bytes (payload for frames) */
    uint8_t data_len;
    /* frames */
    uint8_t opcode, rsv;
    bool fin, masked, sync;
    uint8_t mask_key[4];
    uint32_t chop;
    char text[48]; /* WL_TIMER / WL_NOTE: "KL 1.000", "TIE", "TCP DROPPED BY PEER" ... */
};

enum behavior {
    B_OK = 0,
    B_NON_STRICT,
    B_INFORMATIONAL,
    B_UNIMPLEMENTED,
    B_FAILED,
};

enum behavior_close {
    BC_OK = 0,
    BC_FAILED,
    BC_UNCLEAN,
    BC_WRONG_CODE,
    BC_FAILED_BY_CLIENT,
    BC_INFORMATIONAL,
};

/* One response check's outcome (judge_response.c), for the reports. */
enum check_state { CHECK_HELD = 0, CHECK_BROKEN, CHECK_NOT_APPLICABLE };
#define CHECK_GOT_BYTES 160
struct check_outcome {
    enum check_state state;
    char got[CHECK_GOT_BYTES]; /* what the response had: "101 Switching Protocols" */
};

/* Autobahn's strings: "OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED";
 * "OK", "FAILED", "UNCLEAN", "WRONG CODE", "FAILED BY CLIENT", "INFORMATIONAL". */
const char *behavior_name(enum behavior b);
const char *behavior_close_name(enum behavior_close b);

struct case_result {
    const struct case_def *def;
    char agent[128];
    uint64_t seed;      /* the run's seed (the case's own generator is derived from it) */
    double started;     /* wall clock, seconds since the epoch */
    double duration_ms; /* from the open handshake completing to TCP closed (Autobahn) */

    /* wsspec played the server, the target is a client (Autobahn's isServer): the
     * opening request is the target's, the response wsspec's, and close rule 4
     * ("FAILED BY CLIENT") does not apply */
    bool is_server;

    /* opening handshake */
    bool connected;      /* TCP connected */
    bool handshake_done; /* 101 accepted (server role: queued) */
    char *http_request;  /* as sent (server role: as received), NUL-terminated, owned */
    char *http_response; /* as received (server role: as sent; may hold any bytes), owned */
    size_t http_response_len;
    enum ws_error handshake_error; /* why the handshake failed (WS_E_OK if it did not) */
    char connect_error[128];       /* "connection refused", "timed out" ... */
    /* what the opening request offered, read back from it (script_request.c): the 101
     * is checked against it (judge_response.c) */
    bool offer_has_key;
    char offer_key[128];        /* the Sec-WebSocket-Key sent, "" when none */
    char offer_protocols[256];  /* the subprotocols offered, ", "-joined */
    char offer_extensions[256]; /* the extension names offered, ", "-joined */
    /* `expect refusal` (server role): what the client sent after its request - bytes,
     * and the first of them - and when it closed TCP (ms after the request; -1 = it did
     * not: wsspec dropped it at the case's deadline) */
    uint64_t refusal_rx;
    uint8_t refusal_head[32];
    size_t refusal_head_len;
    double refusal_closed_ms;

    /* events, in order */
    struct recorded_event *events;
    size_t n_events, cap_events;
    uint64_t events_dropped; /* beyond RESULT_EVENTS_MAX */
    /* messages that arrived after wsspec's kill timer had failed the connection: not
     * events (Autobahn stops counting them then; pongs still count) */
    uint64_t late_messages;
    double pace_s;        /* the pass of wsspec's writer for this connection (sendq.h) */
    double handshake_rtt; /* request written -> 101 read, seconds (0 = unknown) */

    /* JUDGE_SIZE: messages received (type and length only) */
    uint32_t size_seen;
    bool size_bad_type;
    uint64_t size_bad_len; /* length of the first message with a wrong length */
    bool size_len_mismatch;
    /* `expect echo`: the first echo that differs from the message sent - its number
     * (0-based), the byte where it first differs, and the sent length */
    bool size_content_bad;
    uint32_t size_bad_index;
    uint64_t size_bad_at, size_want_len;
    /* deflate-offer: the 101 did not accept permessage-deflate (UNIMPLEMENTED) */
    bool pmd_unimplemented;

    /* closing (Autobahn's flags, section 2.3 of the catalogue) */
    bool closed_by_me, failed_by_me, dropped_by_me, was_clean;
    const char *was_not_clean_reason; /* static text or NULL */
    bool was_server_connection_drop_timeout, was_open_handshake_timeout,
        was_close_handshake_timeout;
    int local_close_code;                              /* -1 = none sent */
    int remote_close_code;                             /* -1 = none received (or empty Close) */
    uint8_t *local_close_reason, *remote_close_reason; /* owned, may be NULL */
    size_t local_close_reason_len, remote_close_reason_len;

    /* the first RFC 6455 rule the target broke, as wsspec's strict receive path sees it
     * (wsspec failed the connection for it, or - a data frame after the target's
     * Close - noted it); WS_E_OK when none */
    enum ws_error target_error;
    uint64_t target_error_offset;
    /* a close code RFC 6455 allows (1012-1014, registered later) that Autobahn's
     * client refused, failing the connection as it does; 0 = none */
    int autobahn_refused_code;
    bool close_received; /* the target sent a Close frame (with or without a code) */

    /* How the target ended the connection, for the hardening probes' `observed` line
     * (judge_probe.c): its Close frame or its TCP close, whichever came first, before
     * wsspec had closed; target_end_ms is counted from the 101 (from the TCP connect
     * when the opening handshake had not completed: target_end_opening) */
    bool target_ended, target_end_opening;
    double target_end_ms;
    uint64_t target_end_tx; /* bytes wsspec had written by then (tx_octets) */
    uint64_t tx_at_open;    /* bytes wsspec had written when the 101 came (its request) */
    /* what happened, in one line, for cases with a policy or judged informational
     * (judge_probe.c): "sent 3 messages (the largest 1048576 bytes), then Close 1009
     * 0.012 s after the handshake, when wsspec had written 4194314 bytes"; "" = none */
    char observed[256];

    /* wire log and statistics: rows [0, HEAD) are the first ones, the rest a ring of
     * the last ones until result_wirelog_seal puts them in order */
    struct wirelog_row *wirelog;
    size_t n_wirelog, cap_wirelog;
    uint64_t wirelog_total;                /* rows ever added */
    uint64_t wirelog_dropped;              /* rows between the head and the tail, not kept */
    uint64_t rx_frames[16], tx_frames[16]; /* by opcode */
    uint64_t rx_octets, tx_octets;

    /* Autobahn's verdict (judge.c), exactly as Autobahn|Testsuite gives it */
    enum behavior behavior;
    enum behavior_close behavior_close;
    char result[256];       /* Autobahn's result text ("Actual events match ...") */
    char result_close[256]; /* Autobahn's resultClose text */
    /* for failures: which expectation the target broke, for the h2spec-style block */
    char broken[256];
    /* the RFC's verdict (judge.c): the same rules, and every RFC 6455 MUST (FAILED) and
     * SHOULD (NON-STRICT) wsspec checks; where it differs from Autobahn's, the rule
     * that makes the difference */
    struct rfc_verdict {
        enum behavior behavior;
        enum behavior_close behavior_close;
        char result[256];
        char result_close[256];
        char broken[256];
    } rfc;
    char difference[256]; /* "" when both verdicts are the same */
    /* the outcome of each of the case's response checks (def->checks), owned */
    struct check_outcome *check_out;
    size_t n_check_out;
};

/* Which verdict decides whether a case passes (`--verdict`). */
enum verdict_mode { VERDICT_BOTH = 0, VERDICT_AUTOBAHN, VERDICT_RFC };
/* "both", "autobahn", "rfc" */
const char *verdict_mode_name(enum verdict_mode m);

/* Recorders (result.c), bounded as described above; they never fail a case: past the
 * bounds they drop and count. */

/* An event whose whole payload is data[0..len) (pongs, timeouts, tests): the matches
 * are computed here against the case's lists. */
void result_add_event(struct case_result *r, enum event_type type, bool binary, const uint8_t *data,
                      uint64_t len, const char *tag, double at_ms);
/* Which of the case's lists (EVENT_MATCHES_*) have, at `index`, an event equal to this
 * one whose whole payload is data[0..len). */
uint8_t judge_event_matches(const struct case_def *d, size_t index, enum event_type type,
                            bool binary, const uint8_t *data, uint64_t len);
/* A message compared while it streamed in: head = its first head_len bytes (kept up
 * to RESULT_KEEP_BYTES), len its full length, matches what the comparison found. */
void result_add_streamed(struct case_result *r, bool binary, const uint8_t *head, size_t head_len,
                         uint64_t len, uint8_t matches, double at_ms);
/* Add a row; returns a handle for result_wirelog_row. */
uint64_t result_add_wirelog(struct case_result *r, const struct wirelog_row *row);
/* The row added with handle h, or NULL when it is no longer kept. */
struct wirelog_row *result_wirelog_row(struct case_result *r, uint64_t h);
/* Put the kept tail rows in order: once, when the case ends; handles are void after. */
void result_wirelog_seal(struct case_result *r);
void result_free(struct case_result *r);

/* Judge a finished case: fills behavior, behavior_close, result, result_close, broken
 * from r->def and what was recorded (catalogue section 2; the rules are in
 * reports/README.md). */
void judge_case(struct case_result *r);

/* After judge_case, for the hardening probes (judge_probe.c): the observed line of a
 * case with a policy or judged informational; a policy the user did not declare makes
 * both verdicts INFORMATIONAL. judge_case calls it. */
void judge_probe(struct case_result *r);
/* The response checks (judge_response.c). judge_response_checks: the worst verdict of
 * the checks of r->def (B_OK when all hold; a 101 the core refused is FAILED), each
 * outcome into out[0..n_checks) when out is not NULL, the first check broken at that
 * level into broken ("RFC 6455 4.2.1 MUST: status 4xx, got 101 Switching Protocols"). */
enum behavior judge_response_checks(const struct case_result *r, struct check_outcome *out,
                                    char *broken, size_t cap);
/* "status 4xx", "if 4xx header Sec-WebSocket-Version has 13", "accept" */
void judge_response_describe(const struct response_check *ck, char *out, size_t cap);
/* "RFC 6455 4.2.1 MUST" */
void judge_response_cite(const struct response_check *ck, char *out, size_t cap);
/* The result text of a case judged by its response alone. */
void judge_response_result(const struct case_result *r, enum behavior b, char *out, size_t cap);
/* A response to the opening request arrived (complete or malformed). */
bool judge_response_came(const struct case_result *r);
/* OK 0, INFORMATIONAL/UNIMPLEMENTED 1, NON-STRICT 2, FAILED 3: which verdict is worse. */
int judge_behavior_rank(enum behavior b);

/* The peer's auto-close test (catalogue 2.1): true when the recorded events equal every
 * expected list of the case (so nothing more can change the verdict). */
bool judge_events_complete(const struct case_result *r);

/* Passing in the sense of exit codes: behavior in {OK, NON-STRICT, INFORMATIONAL,
 * UNIMPLEMENTED} (NON-STRICT fails when strict) and close in {OK, INFORMATIONAL} - for
 * Autobahn's verdict, the RFC's, or (VERDICT_BOTH, the default) both. */
bool judge_passed(const struct case_result *r, bool strict, enum verdict_mode mode);
/* One verdict pair passes. */
bool judge_pair_passed(enum behavior b, enum behavior_close bc, bool strict);

#endif

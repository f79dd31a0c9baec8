/*
 * result.h - what happened in one case (recorded by the peer, peer.c) and the verdict
 * on it (judge.c), the one record every report is rendered from (report_json.c now;
 * HTML, JUnit and Markdown later).
 *
 * Memory is bounded per case whatever the target does: recorded payloads keep at most
 * RESULT_KEEP_BYTES each (the full length is kept), the wire log at most
 * RESULT_WIRELOG_MAX rows with at most RESULT_WIRELOG_BYTES bytes of data each, the
 * handshake texts at most their header-block bound.
 */
#ifndef RESULT_H
#define RESULT_H

#include "case.h"
#include "ws_core.h"

/* A recorded message/pong keeps at most max(RESULT_KEEP_BYTES, the largest payload the
 * case expects) bytes: a bound set by the case file, never by the target. A longer
 * message cannot equal any expected payload, so comparisons stay exact. */
#define RESULT_KEEP_BYTES 1024
/* More events than this are counted, not kept: no expectation lists this many, so the
 * verdict is already decided (FAILED), and a target flooding pongs gains nothing. */
#define RESULT_EVENTS_MAX 1000
/* Autobahn shows the first 64 bytes of every frame and octet run; so do we. */
#define RESULT_WIRELOG_BYTES 64
/* A hostile target can send millions of tiny frames: the log keeps the first rows and
 * counts the rest (9.x logs are large; their rows are not needed to judge). */
#define RESULT_WIRELOG_MAX 2000

struct recorded_event {
    enum event_type type;
    bool binary;
    uint8_t *data;   /* first min(len, keep) bytes, owned */
    size_t data_len; /* how many bytes data holds (the keep bound can differ per event) */
    uint64_t len;    /* full length */
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
    uint64_t len;                         /* octets or payload length */
    uint8_t data[RESULT_WIRELOG_BYTES];   /* first bytes (payload for frames) */
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

/* Autobahn's strings: "OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED";
 * "OK", "FAILED", "UNCLEAN", "WRONG CODE", "FAILED BY CLIENT", "INFORMATIONAL". */
const char *behavior_name(enum behavior b);
const char *behavior_close_name(enum behavior_close b);

struct case_result {
    const struct case_def *def;
    char agent[128];
    uint64_t seed;     /* the run's seed (the case's own generator is derived from it) */
    double started;    /* wall clock, seconds since the epoch */
    double duration_ms; /* from the open handshake completing to TCP closed (Autobahn) */

    /* opening handshake */
    bool connected;           /* TCP connected */
    bool handshake_done;      /* 101 accepted */
    char *http_request;       /* as sent, NUL-terminated, owned */
    char *http_response;      /* as received (may hold any bytes), owned */
    size_t http_response_len;
    enum ws_error handshake_error; /* why the handshake failed (WS_E_OK if it did not) */
    char connect_error[128];       /* "connection refused", "timed out" ... */

    /* events, in order */
    struct recorded_event *events;
    size_t n_events, cap_events;
    uint64_t events_dropped; /* beyond RESULT_EVENTS_MAX */
    size_t keep_bytes;       /* per-event payload bound, set by the peer from the case */

    /* JUDGE_SIZE: messages received (type and length only) */
    uint32_t size_seen;
    bool size_bad_type;
    uint64_t size_bad_len; /* length of the first message with a wrong length */
    bool size_len_mismatch;

    /* closing (Autobahn's flags, section 2.3 of the catalogue) */
    bool closed_by_me, failed_by_me, dropped_by_me, was_clean;
    const char *was_not_clean_reason; /* static text or NULL */
    bool was_server_connection_drop_timeout, was_open_handshake_timeout,
        was_close_handshake_timeout;
    int local_close_code;  /* -1 = none sent */
    int remote_close_code; /* -1 = none received (or empty Close) */
    uint8_t *local_close_reason, *remote_close_reason; /* owned, may be NULL */
    size_t local_close_reason_len, remote_close_reason_len;

    /* the rule the server broke, as seen by wsspec's strict receive path (the peer then
     * failed the connection); WS_E_OK when none */
    enum ws_error peer_error;
    uint64_t peer_error_offset;

    /* wire log and statistics */
    struct wirelog_row *wirelog;
    size_t n_wirelog, cap_wirelog;
    uint64_t wirelog_dropped; /* rows beyond RESULT_WIRELOG_MAX */
    uint64_t rx_frames[16], tx_frames[16]; /* by opcode */
    uint64_t rx_octets, tx_octets;

    /* verdict (judge.c) */
    enum behavior behavior;
    enum behavior_close behavior_close;
    char result[256];       /* Autobahn's result text ("Actual events match ...") */
    char result_close[256]; /* Autobahn's resultClose text */
    /* for failures: which expectation the target broke, for the h2spec-style block */
    char broken[256];
};

/* Append helpers for the peer (bounded as described above; they never fail a case:
 * past the bounds they drop and count). */
void result_add_event(struct case_result *r, enum event_type type, bool binary,
                      const uint8_t *data, uint64_t len, const char *tag, double at_ms);
void result_add_wirelog(struct case_result *r, const struct wirelog_row *row);
void result_free(struct case_result *r);

/* Judge a finished case: fills behavior, behavior_close, result, result_close, broken
 * from r->def and what was recorded (catalogue section 2; the rules are in
 * reports/README.md). */
void judge_case(struct case_result *r);

/* The peer's auto-close test (catalogue 2.1): true when the recorded events equal every
 * expected list of the case (so nothing more can change the verdict). */
bool judge_events_complete(const struct case_result *r);

/* Passing in the sense of exit codes: behavior in {OK, NON-STRICT, INFORMATIONAL,
 * UNIMPLEMENTED} (NON-STRICT fails when strict) and close in {OK, INFORMATIONAL}. */
bool judge_passed(const struct case_result *r, bool strict);

#endif

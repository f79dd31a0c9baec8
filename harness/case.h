/*
 * case.h - the catalogue in memory: what case files (cases/README.md) parse into, and
 * what the peer runs and the judge judges. Parsing: case_files.c and the files named in
 * case_parse_int.h, from the vocabulary of case_vocab.def; payloads: payload.c;
 * selection by id patterns: case_select.c; running: peer.c; judging: judge.c.
 *
 * Ownership: a struct case_catalogue owns everything reachable from it (strings,
 * payload patterns, step and event arrays); case_catalogue_free releases it all.
 * Nothing here points into a file buffer.
 */
#ifndef CASE_H
#define CASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "case_vocab.h"
#include "ws_frame.h"

/* ------------------------------------------------------------ payloads */

/* One piece of a payload: `len` bytes made by cycling `pat` (pat_len > 0), or, for a
 * literal, pat itself (len == pat_len). repeat(16 MiB, "*") is one byte of pattern. */
struct payload_seg {
    uint8_t *pat;
    size_t pat_len;
    uint64_t len;
};

struct payload {
    struct payload_seg *segs;
    size_t n_segs;
    uint64_t len; /* sum of the segments */
};

/* Write bytes [off, off+n) of p into out (n <= p->len - off). */
void payload_copy(const struct payload *p, uint64_t off, uint8_t *out, size_t n);
/* True if p's bytes equal data[0..len). */
bool payload_equal(const struct payload *p, const uint8_t *data, size_t len);
void payload_free(struct payload *p);

/* ------------------------------------------------------------ steps */

enum step_type {
    STEP_FRAME,     /* send frame OPCODE ... */
    STEP_MESSAGE,   /* send message text|binary [fragment=N] ... */
    STEP_BEGIN,     /* send begin OPCODE ... len=N (header only) */
    STEP_PAYLOAD,   /* send payload P: more of the frame opened by STEP_BEGIN */
    STEP_RAW,       /* send raw P */
    STEP_CLOSE,     /* send close [code=N] [reason=P] | payload=P */
    STEP_WAIT,      /* wait SECONDS [tag=T] */
    STEP_ROUNDTRIP, /* roundtrip text|binary P count=N */
};

/* MASK_DEFAULT: no mask= given - as the tester's role requires (RFC 6455 5.1: a client
 * masks every frame with a fresh key, a server masks none), the key from the seeded
 * generator. The others are what mask= says, whatever the role. */
enum mask_mode { MASK_DEFAULT = 0, MASK_RANDOM, MASK_NONE, MASK_FIXED };

struct step {
    enum step_type type;
    int line; /* where it was written (for lint and reports) */
    /* frame fields (FRAME, MESSAGE, BEGIN) */
    uint8_t opcode;
    bool fin;
    uint8_t rsv;
    enum mask_mode mask;
    uint8_t mask_key[4];       /* MASK_FIXED */
    enum ws_len_form len_form; /* form=7|16|64, else WS_LEN_MINIMAL */
    bool len_override;         /* len=N given */
    uint64_t declared_len;
    uint64_t fragment; /* MESSAGE: fragment=N, 0 = one frame */
    uint32_t chop;     /* 0 = one write */
    double pause;      /* pause=S (with chop): seconds between chops, 0 = none */
    bool sync;
    struct payload payload; /* FRAME, MESSAGE, PAYLOAD, RAW, ROUNDTRIP, CLOSE reason/payload */
    /* CLOSE */
    bool close_has_code;
    uint16_t close_code;
    bool close_raw; /* payload is the whole Close payload (payload=P) */
    /* WAIT */
    double seconds;
    char tag[16]; /* "" = untagged */
    /* ROUNDTRIP */
    uint32_t count;
    /* ROUNDTRIP data=NAME slice=N: message k is the k-th slice of N units (code points
     * for text, bytes for binary) of the generated file NAME (testdata.h) taken as a
     * ring, instead of the payload. data = the testdata kind + 1; 0 = the payload */
    uint8_t data;
    uint64_t slice;
    /* FRAME, MESSAGE, RAW: sent right behind the opening request, before the 101 */
    bool pipelined;
};

/* ------------------------------------------------------------ judging */

enum event_type { EV_MESSAGE = 0, EV_PONG, EV_TIMEOUT };

struct event {
    enum event_type type;
    bool binary;            /* EV_MESSAGE */
    struct payload payload; /* EV_MESSAGE, EV_PONG */
    char tag[16];           /* EV_TIMEOUT */
};

struct event_list {
    bool present; /* the expect line exists (an empty list is still a list) */
    struct event *events;
    size_t n;
};

enum judge_kind {
    JUDGE_EVENTS = 0,    /* compare recorded events with the OK / NON-STRICT lists */
    JUDGE_SIZE,          /* expect size: type and exact length of `size_count` echoes */
    JUDGE_INFORMATIONAL, /* record, never judge */
    JUDGE_REFUSAL,       /* expect refusal: wsspec (the server) wrote a response a client
                            must not take as a WebSocket connection; judged by what the
                            client sends after it and whether it closes */
};

struct close_rule {
    bool closed_by_me; /* me = wsspec must send the first Close; peer = the server */
    uint16_t codes[8]; /* codes the server may send; an absent code is always fine */
    size_t n_codes;
    bool require_clean;
    bool wrong_closer_fatal; /* wrong closer also fails behavior (6.3, 6.4, invalid 6.x) */
    bool wrong_code_fails;   /* WRONG CODE also fails behavior (section 7) */
};

enum rfc_level { RFC_MUST = 0, RFC_SHOULD, RFC_MAY };

/* The RFCs a case may quote: RFC 6455, and HTTP's for the opening handshake. */
#define RFC_DEFAULT 6455

struct rfc_ref {
    char section[16]; /* "5.2" */
    enum rfc_level level;
    char *sentence; /* quoted exactly from that RFC */
    uint16_t doc;   /* the RFC: 6455 (RFC_DEFAULT; 0 reads as it too), 9110, 9112, 4648 */
};

/* ------------------------------------------------------------ the opening handshake */

/* One change to the opening request (cases/README.md, "The opening handshake"); the
 * edits apply in file order to the request wsspec sends by default. */
enum request_edit_kind {
    EDIT_LINE, /* request-line P: the request line */
    EDIT_DROP, /* header-drop NAME */
    EDIT_SET,  /* header-set NAME P */
    EDIT_ADD,  /* header-add P: one more line */
    EDIT_RAW,  /* request-raw P: the whole request */
};

/* Header names in edits and checks: the longest header name in real use is far
 * shorter; a longer one is a typo. */
#define CASE_HEADER_NAME_MAX 64
/* The value of a `header NAME = VALUE` / `has TOKEN` check. */
#define CASE_CHECK_VALUE_MAX 128

struct request_edit {
    enum request_edit_kind kind;
    char name[CASE_HEADER_NAME_MAX]; /* DROP, SET: as written (NUL-terminated) */
    struct payload value; /* LINE, SET, ADD, RAW; {key} {host} {path} in its literal parts */
    int line;
};

struct case_request {
    struct request_edit *edits;
    size_t n_edits;
    uint32_t chop; /* request-write chop=N: N bytes per write; 0 = one write */
    double gap;    /* request-write gap=S: seconds between two chops; 0 = the writer's pace */
    bool own;      /* wsspec writes this case's request itself (an edit, request-write or a
                      pipelined step); else the core builds it as for every connection.
                      In a `role server` case the same edits and writing make wsspec's
                      own RESPONSE (status-line, response-raw, response-write) */
    bool never;    /* response-write never: wsspec never answers the client's request */
};

/* `role client|server`: the one role wsspec (the tester) plays in a case; ANY = the
 * client, and the server too where script_case_serves finds that the case means the
 * same with the roles swapped. */
enum case_role { CASE_ROLE_ANY = 0, CASE_ROLE_CLIENT, CASE_ROLE_SERVER };

/* The statuses a check allows: codes, classes (bit k = kxx), or no response at all. */
struct status_set {
    uint16_t codes[8];
    uint8_t n_codes;
    uint8_t classes;
    bool none;   /* the target closed TCP without a response, or the deadline passed */
    bool closed; /* the target closed TCP without a response (not: the deadline passed) */
};

/* No response: the target closed the connection (STATUS_CLOSED), or wsspec's deadline
 * for the response passed first (STATUS_DEADLINE). */
#define STATUS_CLOSED (-1)
#define STATUS_DEADLINE (-2)

/* Whether status (a code, or STATUS_CLOSED / STATUS_DEADLINE) is in s. */
bool status_set_has(const struct status_set *s, int status);

/* How `response ... header NAME ...` tests the response's lines called NAME. */
enum header_test {
    HT_PRESENT, /* at least one */
    HT_ABSENT,  /* none */
    HT_ONCE,    /* exactly one */
    HT_EQUAL,   /* at least one, and every one's value (without OWS) is VALUE */
    HT_HAS,     /* some element of their comma lists is TOKEN (any case; before a ';') */
    HT_LACKS,   /* no element is TOKEN */
};

/* `response [RFCn] SECTION LEVEL [if STATUSES] CHECK`: broken at LEVEL (MUST: FAILED,
 * SHOULD: NON-STRICT, MAY: INFORMATIONAL), quoting the case's rfc line of that RFC,
 * section and level. */
struct response_check {
    bool policy; /* `response policy ...`: the case's declared policy is the rule (no RFC
                    line; judged as a MUST, and only once the policy is declared) */
    uint16_t doc;
    char section[16];
    enum rfc_level level;
    bool conditional; /* `if STATUSES` given: checked only for those responses */
    struct status_set when;
    enum case_check_id kind;
    struct status_set status;        /* CK_STATUS */
    enum header_test test;           /* CK_HEADER */
    char name[CASE_HEADER_NAME_MAX]; /* CK_HEADER */
    char value[CASE_CHECK_VALUE_MAX];
    int line;
};

struct case_def {
    char id[24];
    char *title;
    char *expectation;
    char *note; /* NULL when none */
    struct rfc_ref *rfc;
    size_t n_rfc;
    struct step *steps;
    size_t n_steps;
    double kill_after;  /* 0 = none */
    double close_after; /* 0 = none */
    bool suppress_close;
    bool pongs_may_coalesce; /* the RFC's verdict: one pong may answer several pings */
    struct case_request request;
    struct response_check *checks;
    size_t n_checks;
    bool ends_at_response;   /* no MUST status check allows 101: the case ends with the
                                response and runs no steps after it */
    double response_timeout; /* response-timeout: seconds wsspec waits for the response;
                                0 = SCRIPT_OPEN_HANDSHAKE_TIMEOUT */
    /* `policy NAME`: the verdict depends on a policy the user declares (wsspec run
     * --NAME VALUE); without it the case runs with the row's survey value and is
     * INFORMATIONAL (cases/README.md, "Declared policies") */
    bool has_policy;
    unsigned policy;          /* CP_x of case_vocab.h */
    bool policy_declared;     /* the user declared it: judged strictly */
    const char *policy_value; /* declared or survey value; not owned (the caller's
                                 string or the vocabulary's) */
    /* deflate-offer: the Sec-WebSocket-Extensions value the opening request carries; the
     * case needs permessage-deflate and is UNIMPLEMENTED when the 101 does not accept it */
    char *deflate_offer;
    enum case_role role;
    enum judge_kind judge;
    bool refusal_http; /* JUDGE_REFUSAL: `expect refusal http` (the response is no 101: the
                          client handles it by HTTP's rules and may keep the connection);
                          false: `expect refusal fail` (it must fail the connection) */
    struct event_list ok, non_strict;
    bool size_content; /* JUDGE_SIZE by `expect echo`: each echo equals the message sent
                          (type, length and bytes) */
    bool size_binary;  /* JUDGE_SIZE */
    uint64_t size_len;
    uint32_t size_count;
    struct close_rule close;
    const char *file; /* points into the catalogue's file-name list */
    int line;         /* the `case` line (or the table row) */
};

struct case_section {
    char id[24];
    char *title;
};

/* Policies a user can declare (the CASE_POLICY rows of case_vocab.def): at most this
 * many rows. */
#define CASE_POLICIES_MAX 8

struct case_catalogue {
    /* Set by the caller before parsing: the declared value of each policy (indexed by
     * CP_x), NULL = not declared. Not owned: the strings must outlive the catalogue.
     * Placeholders {NAME} in case lines take these values (else the survey values). */
    const char *policy_values[CASE_POLICIES_MAX];
    struct case_def *cases; /* sorted by id, numerically */
    size_t n_cases;
    struct case_section *sections;
    size_t n_sections;
    char **files; /* names of the files read */
    size_t n_files;
};

/* ------------------------------------------------------------ parsing */

/* A diagnostic: "cases/01-framing.wsc:12: unknown directive 'sned'". */
struct case_diag {
    char msg[512];
};

/* Parse the case files paths[0..n) into cat (zero it first; files may be added by
 * several calls, ids must stay unique across them). Returns the number of errors; each
 * error is reported through diag(ud, "file:line: message") when diag is non-NULL. On
 * errors cat still holds every case that parsed. Case order is numeric by id. */
size_t case_parse_files(struct case_catalogue *cat, const char *const *paths, size_t n,
                        void (*diag)(void *ud, const char *msg), void *ud);

/* Parse one file held in memory (tests, fuzzing): name is used in diagnostics. */
size_t case_parse_buffer(struct case_catalogue *cat, const char *name, const char *text, size_t len,
                         void (*diag)(void *ud, const char *msg), void *ud);

/* All *.wsc files of a directory, sorted by name, into cat. Returns errors (a missing
 * or unreadable directory is one error). */
size_t case_parse_dir(struct case_catalogue *cat, const char *dir,
                      void (*diag)(void *ud, const char *msg), void *ud);

void case_catalogue_free(struct case_catalogue *cat);

/* Compare two dotted ids numerically ("9.2" < "10.1.1", "6.4" < "6.10"). */
int case_id_cmp(const char *a, const char *b);

/* ------------------------------------------------------------ selection */

/* Autobahn's pattern rules: an entry with '*' matches from the start of the id ('*' =
 * any run of characters, '.' literal: "1.*" = section 1, "6.4.*"); an entry without
 * '*' matches that id exactly. patterns is a comma-separated list; NULL or "" matches
 * everything. */
bool case_id_matches(const char *id, const char *patterns);

/* Select cases: in `include` (NULL = all) and not in `exclude` (NULL = none). Fills
 * idx with indexes into cat->cases in catalogue order; returns how many. idx must hold
 * cat->n_cases entries. */
size_t case_select(const struct case_catalogue *cat, const char *include, const char *exclude,
                   size_t *idx);

#endif

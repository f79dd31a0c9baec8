/*
 * serve_url.h - Autobahn|Testsuite's fuzzingserver URL protocol (catalogue 4.3), the
 * groundwork of `wsspec serve`: the client under test names what it wants in the
 * request-target of its opening handshake, and existing client test drivers speak
 * this protocol unchanged:
 *
 *   /getCaseCount                               answer: the number of selected cases
 *   /runCase?case=N&agent=A                     run the N-th selected case (1-based)
 *   /runCase?casetuple=1.2.3&agent=A            run the case with that id
 *   /getCaseInfo?case=N                         answer: {"id": ..., "description": ...}
 *   /getCaseStatus?case=N&agent=A               answer: {"behavior": ...}
 *   /updateReports?agent=A[&shutdownOnComplete=true]   write the reports [and stop]
 *   /stopServer                                 stop
 *   any other path                              Autobahn's "direct command mode":
 *                                               refused (SERVE_E_DIRECT_MODE, 404)
 *
 * Sans-IO: no sockets, no clock, no globals, no allocation. The caller owns every
 * struct; nothing here keeps a pointer into the target it was given.
 *
 * How wsspec reads a target, and where that differs from Autobahn (Python 2's
 * urlparse + parse_qs):
 *
 *  - Origin-form ("/runCase?...") and absolute-form ("ws://host:9001/runCase?...")
 *    are both read, as ws_handshake_check_request accepts both (RFC 6455 4.2.1 item
 *    1). Every byte must be visible ASCII and '#' is refused (RFC 6455 section 3:
 *    fragments "MUST NOT be used on these URIs"). At most SERVE_URL_MAX_TARGET bytes.
 *  - The path is compared as it is written: exactly, case-sensitively, not
 *    percent-decoded (Autobahn compares urlparse's raw path too). "/runCase/" and
 *    "/runcase" are direct command mode.
 *  - The query is split at '&' only (Python 2 also splits at ';'); empty pieces are
 *    skipped; a piece without '=' has an empty value. Keys and values are
 *    percent-decoded with '+' as a blank (application/x-www-form-urlencoded, what
 *    parse_qs does). A malformed escape ("%zz", a "%4" cut short) is an error where
 *    Python keeps it as text; a value decoding to NUL or another control character
 *    (C0 or DEL) is an error. At most SERVE_URL_MAX_PARAMS parameters.
 *  - Parameters a command does not use, and unknown ones (drivers add cache-busters),
 *    are ignored and counted in n_ignored - but each must still decode. A parameter
 *    the command uses given twice is an error, as in Autobahn ("multiple agents
 *    specified").
 *  - case=N: decimal digits only (leading zeros allowed), at least 1; Python's int()
 *    also takes blanks and a sign. casetuple=ID: numbers joined by '.', or by '_' as
 *    in the report file names (no case id holds a '_', so both spellings name one
 *    case); blanks around it are dropped as Autobahn strips them. The id must then be
 *    spelled as the catalogue spells it ("1.01.1" names nothing). Both case and
 *    casetuple is an error (Autobahn silently lets case win).
 *  - agent=NAME (required by runCase, getCaseStatus, updateReports, as in Autobahn):
 *    1..SERVE_URL_MAX_AGENT bytes after decoding, valid UTF-8, no C0, DEL or C1
 *    control character. "agent=" is AGENT_EMPTY (parse_qs drops blank values, so
 *    Autobahn says "need agent"). Longer names are refused, not cut: two agents cut
 *    to one name would share a report column.
 *  - shutdownOnComplete (updateReports only): true/yes or false/no, any case; anything
 *    else is an error (Autobahn reads it as false, and a driver writing "1" would
 *    wait for a server that never stops).
 *
 * getCaseStatus: Autobahn answers once the (agent, case) result is known - at once if
 * it is, else when that case ends - and never for a case that never runs. wsspec's
 * server does the same while such a run is in progress; when the agent has no result
 * for the case and none is running, it refuses the handshake (404, "agent A has not
 * run case N") rather than hold a connection open forever. No "UNKNOWN" or "MISSING"
 * behavior is invented: drivers compare the answer with Autobahn's five strings, and
 * serve_url_status_json renders only those.
 */
#ifndef SERVE_URL_H
#define SERVE_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "case.h"
#include "config.h"
#include "result.h"

/* The longest request-target read: drivers send under 300 bytes (an agent of 127
 * bytes is at most 381 percent-encoded), and the whole header block is bounded at
 * WS_HTTP_DEFAULT_MAX_BLOCK (8 KiB) anyway. Longer is SERVE_E_TARGET_TOO_LONG (414). */
#define SERVE_URL_MAX_TARGET 2048
/* Query parameters read: a driver sends two or three. */
#define SERVE_URL_MAX_PARAMS 32
/* An agent name ends up in report_target.agent and in case_result.agent: the bound of
 * an agent named in a fuzzingclient.json. */
#define SERVE_URL_MAX_AGENT CONFIG_MAX_AGENT
/* A case id as struct case_def holds it (23 characters and a NUL). */
#define SERVE_URL_ID_MAX 23
/* The one-line message of a refused request: the table's text and the particulars. */
#define SERVE_URL_MSG_MAX 240

/* What reading a target can refuse: the rows of serve_url.def. */
enum serve_error {
#define SERVE_ERROR(name, value, http_status, text) SERVE_E_##name = value,
#include "serve_url.def"
#undef SERVE_ERROR
};

/* "CASE_RANGE" for SERVE_E_CASE_RANGE; "UNKNOWN" for a value not in the table. */
const char *serve_error_name(enum serve_error e);
/* The table's one-line text. */
const char *serve_error_text(enum serve_error e);
/* The HTTP status to refuse the opening handshake with (400, 404, 414); 0 for OK. */
int serve_error_http_status(enum serve_error e);

enum serve_cmd {
    SERVE_CMD_NONE = 0, /* the target could not be read as far as its path */
    SERVE_CMD_GET_CASE_COUNT,
    SERVE_CMD_RUN_CASE,
    SERVE_CMD_GET_CASE_INFO,
    SERVE_CMD_GET_CASE_STATUS,
    SERVE_CMD_UPDATE_REPORTS,
    SERVE_CMD_STOP_SERVER,
    SERVE_CMD_OTHER, /* direct command mode: always with SERVE_E_DIRECT_MODE */
};

/* The path of a command ("/runCase"); "" for NONE and OTHER. */
const char *serve_cmd_path(enum serve_cmd c);

/* How the request named its case. */
enum serve_case_by { SERVE_CASE_NONE = 0, SERVE_CASE_NUMBER, SERVE_CASE_ID };

/* One request-target, read. Caller-allocated; serve_url_parse fills all of it (it
 * need not be zeroed first). */
struct serve_url_request {
    enum serve_cmd cmd;
    enum serve_case_by case_by; /* RUN_CASE, GET_CASE_INFO, GET_CASE_STATUS */
    /* CASE_NUMBER: N as given (>= 1); after serve_url_resolve, whichever way it was
     * named: the 1-based position in the selection */
    uint32_t case_number;
    /* CASE_ID: the id with '.' separators; after serve_url_resolve: the case's id */
    char case_id[SERVE_URL_ID_MAX + 1];
    /* RUN_CASE, GET_CASE_STATUS, UPDATE_REPORTS: the decoded name, NUL-terminated,
     * 1..SERVE_URL_MAX_AGENT bytes, valid UTF-8, no control character; else "" */
    char agent[SERVE_URL_MAX_AGENT + 1];
    bool shutdown_on_complete; /* UPDATE_REPORTS */
    size_t n_ignored;          /* parameters read and not used by the command */
    enum serve_error error;    /* SERVE_E_OK, or the first rule broken */
    size_t error_at;           /* the target's byte (or parameter) at fault; 0 on OK */
    /* "" on OK; else one line of printable ASCII: the rule and the particulars, with
     * any quoted input shown as \xNN where it is not printable and cut after 48 bytes:
     * "case=abc: not a case number (decimal digits, 1 and up)" */
    char message[SERVE_URL_MSG_MAX];
};

/* Read target[0..len) (need not be NUL-terminated; never read past len; NULL only
 * with len 0) into *req. Returns req->error: SERVE_E_OK with the command and its
 * parameters, or the first rule broken with req->message and req->error_at. A
 * SERVE_E_DIRECT_MODE request has cmd SERVE_CMD_OTHER. Checks syntax and which
 * parameters each command needs; whether a case exists is serve_url_resolve's. */
enum serve_error serve_url_parse(const char *target, size_t len, struct serve_url_request *req);

/* Resolve the case of a parsed request (case_by != SERVE_CASE_NONE) against the
 * selection: the cases cat->cases[idx[0..n)], in that order - case_select's output,
 * numeric id order, exactly what `wsspec run` runs - so case=N is idx[N-1] and
 * Autobahn's "case" number of a result is its position here. On SERVE_E_OK, *pos is
 * the 0-based position, and req->case_number and req->case_id both name the case.
 * Errors (also stored in req, as serve_url_parse does): CASE_RANGE (N > n),
 * CASE_UNKNOWN (no such id in cat), CASE_NOT_SELECTED (in cat, left out by the
 * selection), CASE_MISSING (the request names no case). Exclusions by agent
 * (exclude-agent-cases, config_agent_excludes) are not applied here: Autobahn numbers
 * cases the same for every agent and skips an excluded pair only once it is asked
 * to run it. */
enum serve_error serve_url_resolve(struct serve_url_request *req, const struct case_catalogue *cat,
                                   const size_t *idx, size_t n, size_t *pos);

/* The answers, rendered into out[0..cap): each returns the length it needs without the
 * NUL (like snprintf); the text is complete only when that is < cap, and out is
 * always NUL-terminated when cap > 0. Every answer is one line of valid JSON (RFC
 * 8259) in UTF-8, whatever bytes its inputs hold. */

/* getCaseCount: the number as a JSON integer: "517". */
size_t serve_url_count_json(size_t n, char *out, size_t cap);

/* getCaseInfo: {"id": "1.1.1", "description": "..."}: the description is the case's
 * title (what reports call its description) cut at its first '<' (the HTML that
 * follows, "<br><br>Payload: ...", is left out as Autobahn does) with runs of blanks,
 * tabs and line breaks made one blank and the ends trimmed, as Autobahn's
 * caseClassToPrettyDescription does. */
size_t serve_url_info_json(const struct case_def *d, char *out, size_t cap);

/* getCaseStatus: {"behavior": "OK"} - one of Autobahn's five strings (behavior_name). */
size_t serve_url_status_json(enum behavior b, char *out, size_t cap);

/* A JSON string literal of s[0..n), quotes included: '"', '\\' and C0 controls escaped
 * (\n, \r, \t, \b, \f, else \u00XX); bytes that do not form valid UTF-8 become \ufffd.
 * For anything else the server puts into JSON (an agent name in a message). */
size_t serve_url_json_string(const char *s, size_t n, char *out, size_t cap);

#endif

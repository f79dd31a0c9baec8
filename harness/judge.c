/*
 * judge.c - from what the tester recorded in one case to Autobahn's two verdicts.
 *
 * behavior comes from the events (catalogue section 2.1: exact equality with the OK
 * list, then the NON-STRICT list) or, for `expect size` cases, from the type and length
 * of the echoes (section 9 of the catalogue); behaviorClose from the close check table
 * (section 2.2, rules 1-5, first match wins). Then the overrides: wrong-closer-fatal,
 * wrong-code-fails, handshake never completed, informational, and wsspec's own: a
 * server that broke a rule our strict receive path enforces (r->target_error) can never
 * pass. Result texts are Autobahn's, verbatim, so reports read the same; `broken` is
 * wsspec's one-line "expected X, got Y" for the failure block of every report.
 * Payloads were compared as they arrived (script.c); events carry the outcome.
 */
#include "result.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ names */

const char *behavior_name(enum behavior b)
{
    switch (b) {
    case B_OK:
        return "OK";
    case B_NON_STRICT:
        return "NON-STRICT";
    case B_INFORMATIONAL:
        return "INFORMATIONAL";
    case B_UNIMPLEMENTED:
        return "UNIMPLEMENTED";
    case B_FAILED:
        return "FAILED";
    }
    return "FAILED"; /* an out-of-range value must never read as a pass */
}

const char *behavior_close_name(enum behavior_close b)
{
    switch (b) {
    case BC_OK:
        return "OK";
    case BC_FAILED:
        return "FAILED";
    case BC_UNCLEAN:
        return "UNCLEAN";
    case BC_WRONG_CODE:
        return "WRONG CODE";
    case BC_FAILED_BY_CLIENT:
        return "FAILED BY CLIENT";
    case BC_INFORMATIONAL:
        return "INFORMATIONAL";
    }
    return "FAILED";
}

/* ------------------------------------------------------------ comparing events */

/* Event i of the recording against event i of a list (bit = which list): timeouts by
 * tag, messages and pongs by type, length and the comparison made as they arrived. */
static bool event_equal(const struct recorded_event *got, const struct event *want, uint8_t bit)
{
    if (got->type != want->type)
        return false;
    if (want->type == EV_TIMEOUT)
        return strncmp(got->tag, want->tag, sizeof got->tag) == 0;
    if (want->type == EV_MESSAGE && got->binary != want->binary)
        return false;
    return got->len == want->payload.len && (got->matches & bit);
}

static bool events_match(const struct case_result *r, const struct event_list *l, uint8_t bit)
{
    if (!l->present || r->events_dropped || r->n_events != l->n)
        return false;
    for (size_t i = 0; i < l->n; i++)
        if (!event_equal(&r->events[i], &l->events[i], bit))
            return false;
    return true;
}

static uint32_t size_count(const struct case_def *d)
{
    return d->size_count ? d->size_count : 1; /* `expect size` without count= means 1 */
}

static bool size_decided(const struct case_result *r)
{
    return r->size_bad_type || r->size_len_mismatch || r->size_content_bad ||
           r->size_seen >= size_count(r->def);
}

bool judge_events_complete(const struct case_result *r)
{
    const struct case_def *d = r->def;
    if (!d)
        return false;
    /* Size cases have no event lists (Autobahn's `expected` is {}); there, "nothing
     * more can change the verdict" means the echoes are all in or one was wrong, which
     * is when Autobahn closes with 1000. A pong alone never completes them (an
     * unsolicited pong is allowed by RFC 6455 5.5.3; catalogue erratum 2). */
    if (d->judge == JUDGE_SIZE)
        return size_decided(r);
    bool any = false;
    const struct event_list *lists[2] = {&d->ok, &d->non_strict};
    const uint8_t bits[2] = {EVENT_MATCHES_OK, EVENT_MATCHES_NON_STRICT};
    for (size_t i = 0; i < 2; i++) {
        if (!lists[i]->present)
            continue;
        any = true;
        if (!events_match(r, lists[i], bits[i]))
            return false;
    }
    return any; /* no list at all: nothing to be complete against, timers decide */
}

const char *verdict_mode_name(enum verdict_mode m)
{
    return m == VERDICT_AUTOBAHN ? "autobahn" : m == VERDICT_RFC ? "rfc" : "both";
}

bool judge_pair_passed(enum behavior b, enum behavior_close bc, bool strict)
{
    bool behavior_ok =
        b == B_OK || b == B_INFORMATIONAL || b == B_UNIMPLEMENTED || (b == B_NON_STRICT && !strict);
    return behavior_ok && (bc == BC_OK || bc == BC_INFORMATIONAL);
}

bool judge_passed(const struct case_result *r, bool strict, enum verdict_mode mode)
{
    bool autobahn = judge_pair_passed(r->behavior, r->behavior_close, strict);
    bool rfc = judge_pair_passed(r->rfc.behavior, r->rfc.behavior_close, strict);
    return mode == VERDICT_AUTOBAHN ? autobahn : mode == VERDICT_RFC ? rfc : autobahn && rfc;
}

/* ------------------------------------------------------------ one-line texts */

/* A bounded line builder: appends until full, then marks the end with "...". */
struct line {
    char *p;
    size_t cap, len;
    bool full;
};

static void line_init(struct line *l, char *buf, size_t cap)
{
    l->p = buf;
    l->cap = cap;
    l->len = 0;
    l->full = false;
    buf[0] = '\0';
}

static void line_add(struct line *l, const char *fmt, ...)
{
    if (l->full)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->p + l->len, l->cap - l->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        l->p[l->len] = '\0';
        return;
    }
    if ((size_t)n >= l->cap - l->len) {
        l->len = l->cap - 1;
        l->full = true;
        if (l->cap > 4)
            memcpy(l->p + l->cap - 4, "...", 4);
        return;
    }
    l->len += (size_t)n;
}

/* How much of a payload a one-line text shows: enough to recognise it. */
#define LINE_TEXT_SHOWN 24
#define LINE_HEX_SHOWN 12

static void line_payload(struct line *l, const uint8_t *p, size_t avail, uint64_t len)
{
    size_t shown = avail < LINE_TEXT_SHOWN ? avail : LINE_TEXT_SHOWN;
    bool printable = true;
    for (size_t i = 0; i < shown; i++)
        if (p[i] < 0x20 || p[i] > 0x7e)
            printable = false;
    if (printable) {
        line_add(l, "'");
        for (size_t i = 0; i < shown; i++)
            line_add(l, p[i] == '\'' || p[i] == '\\' ? "\\%c" : "%c", p[i]);
        line_add(l, shown < len ? "'... (%llu bytes)" : "'", (unsigned long long)len);
        return;
    }
    shown = avail < LINE_HEX_SHOWN ? avail : LINE_HEX_SHOWN;
    line_add(l, "0x");
    for (size_t i = 0; i < shown; i++)
        line_add(l, "%02x", p[i]);
    if (shown < len)
        line_add(l, "... (%llu bytes)", (unsigned long long)len);
}

static void line_expected_event(struct line *l, const struct event *e)
{
    if (e->type == EV_TIMEOUT) {
        line_add(l, "timeout %s", e->tag);
        return;
    }
    line_add(l, "%s",
             e->type == EV_PONG ? "pong "
             : e->binary        ? "message binary "
                                : "message text ");
    uint8_t head[LINE_TEXT_SHOWN];
    size_t n = e->payload.len < sizeof head ? (size_t)e->payload.len : sizeof head;
    if (n)
        payload_copy(&e->payload, 0, head, n);
    line_payload(l, head, n, e->payload.len);
}

static void line_recorded_event(struct line *l, const struct recorded_event *e)
{
    if (e->type == EV_TIMEOUT) {
        line_add(l, "timeout %s", e->tag);
        return;
    }
    line_add(l, "%s",
             e->type == EV_PONG ? "pong "
             : e->binary        ? "message binary "
                                : "message text ");
    line_payload(l, e->data, e->data_len, e->len);
}

static void line_expected_list(struct line *l, const struct event_list *el)
{
    line_add(l, "[");
    for (size_t i = 0; i < el->n; i++) {
        line_add(l, "%s", i ? ", " : "");
        line_expected_event(l, &el->events[i]);
    }
    line_add(l, "]");
}

static void line_received(struct line *l, const struct case_result *r)
{
    line_add(l, "[");
    for (size_t i = 0; i < r->n_events; i++) {
        line_add(l, "%s", i ? ", " : "");
        line_recorded_event(l, &r->events[i]);
    }
    if (r->events_dropped)
        line_add(l, "%s+%llu more", r->n_events ? ", " : "", (unsigned long long)r->events_dropped);
    line_add(l, "]");
}

/* "expected [..] or NON-STRICT [..], got [..]" */
static void broken_events(struct case_result *r, const struct case_def *d)
{
    struct line l;
    line_init(&l, r->broken, sizeof r->broken);
    if (d->ok.present) {
        line_add(&l, "expected ");
        line_expected_list(&l, &d->ok);
    }
    if (d->non_strict.present) {
        line_add(&l, "%s", d->ok.present ? " or NON-STRICT " : "expected NON-STRICT ");
        line_expected_list(&l, &d->non_strict);
    }
    if (!d->ok.present && !d->non_strict.present)
        line_add(&l, "the case lists no expected events");
    line_add(&l, ", got ");
    line_received(&l, r);
    if (r->late_messages)
        line_add(&l, " (%llu more message%s after the kill timer, not counted)",
                 (unsigned long long)r->late_messages, r->late_messages == 1 ? "" : "s");
}

/* For a NON-STRICT verdict: which OK list the server missed (fails under --strict). */
static void broken_non_strict(struct case_result *r, const struct case_def *d)
{
    struct line l;
    line_init(&l, r->broken, sizeof r->broken);
    line_add(&l, "expected ");
    line_expected_list(&l, &d->ok);
    line_add(&l, ", got NON-STRICT ");
    line_received(&l, r);
}

/* The target, as the texts name it: the server under test, or the client when wsspec
 * played the server. */
static const char *target_noun(const struct case_result *r)
{
    return r->is_server ? "client" : "server";
}

static void broken_target_error(struct case_result *r)
{
    const char *section = ws_error_section(r->target_error);
    struct line l;
    line_init(&l, r->broken, sizeof r->broken);
    line_add(&l, "%s broke a rule: %s", target_noun(r), ws_error_text(r->target_error));
    if (section[0])
        line_add(&l, " (%s %s)", ws_error_rfc(r->target_error), section);
    line_add(&l, ": %s at byte %llu", ws_error_name(r->target_error),
             (unsigned long long)r->target_error_offset);
}

static void broken_handshake(struct case_result *r)
{
    struct line l;
    line_init(&l, r->broken, sizeof r->broken);
    if (!r->connected) {
        line_add(&l, "could not connect: %s",
                 r->connect_error[0] ? r->connect_error : "no TCP connection");
    } else if (r->was_open_handshake_timeout) {
        line_add(&l, "%s did not finish the opening handshake in time", target_noun(r));
    } else if (r->handshake_error != WS_E_OK) {
        const char *section = ws_error_section(r->handshake_error);
        line_add(&l, "opening handshake failed: %s", ws_error_text(r->handshake_error));
        if (section[0])
            line_add(&l, " (%s %s)", ws_error_rfc(r->handshake_error), section);
        line_add(&l, ": %s", ws_error_name(r->handshake_error));
    } else {
        line_add(&l, "opening handshake never completed%s%s", r->connect_error[0] ? ": " : "",
                 r->connect_error);
    }
}

static void line_codes(struct line *l, const struct close_rule *c, const char *sep)
{
    size_t n = c->n_codes < 8 ? c->n_codes : 8;
    for (size_t i = 0; i < n; i++)
        line_add(l, "%s%u", i ? sep : "", (unsigned)c->codes[i]);
}

/* ------------------------------------------------------------ close check */

enum close_rule_hit {
    CLOSE_WRONG_CLOSER = 1,
    CLOSE_UNCLEAN = 2,
    CLOSE_WRONG_CODE = 3,
    CLOSE_DROPPED_BY_CLIENT = 4,
    CLOSE_FINE = 5,
};

static bool code_allowed(const struct close_rule *c, int code)
{
    size_t n = c->n_codes < 8 ? c->n_codes : 8;
    for (size_t i = 0; i < n; i++)
        if (c->codes[i] == code)
            return true;
    return false;
}

/* The close check of catalogue 2.2: rules in order, first match wins. Fills
 * behavior_close and result_close, and the close line into *why (for `broken`). */
static enum close_rule_hit judge_close(struct case_result *r, const struct case_def *d, char *why,
                                       size_t why_cap)
{
    const struct close_rule *c = &d->close;
    struct line l;
    line_init(&l, why, why_cap);

    if (c->closed_by_me != r->closed_by_me) {
        r->behavior_close = BC_FAILED;
        snprintf(r->result_close, sizeof r->result_close,
                 "The connection was failed by the wrong endpoint");
        if (!c->closed_by_me && r->failed_by_me && d->kill_after > 0)
            line_add(&l, "%s did not fail the connection: wsspec had to close (killAfter %gs)",
                     target_noun(r), d->kill_after);
        else if (!c->closed_by_me)
            line_add(&l, "%s did not fail the connection: wsspec sent the first Close",
                     target_noun(r));
        else if (r->remote_close_code >= 0)
            line_add(&l, "%s sent the first Close (code %d) where wsspec was to close",
                     target_noun(r), r->remote_close_code);
        else
            line_add(&l, "%s closed the connection first where wsspec was to close",
                     target_noun(r));
        return CLOSE_WRONG_CLOSER;
    }
    if (c->require_clean && !r->was_clean) {
        r->behavior_close = BC_UNCLEAN;
        snprintf(r->result_close, sizeof r->result_close,
                 "The spec requires the connection to be failed cleanly here");
        line_add(&l, "closing handshake not clean: %s",
                 r->was_not_clean_reason ? r->was_not_clean_reason : "no reason recorded");
        return CLOSE_UNCLEAN;
    }
    if (r->remote_close_code >= 0 && !code_allowed(c, r->remote_close_code)) {
        r->behavior_close = BC_WRONG_CODE;
        /* Autobahn's text: the allowed codes joined by "," (Python's ','.join). */
        struct line t;
        line_init(&t, r->result_close, sizeof r->result_close);
        if (c->n_codes) {
            line_add(&t, "The close code should have been ");
            line_codes(&t, c, ",");
            line_add(&t, " or empty");
        } else {
            line_add(&t, "The close code should have been empty");
        }
        line_add(&l, "%s sent close code %d, allowed: ", target_noun(r), r->remote_close_code);
        line_codes(&l, c, ", ");
        line_add(&l, "%s", c->n_codes ? " or none" : "none");
        return CLOSE_WRONG_CODE;
    }
    if (r->dropped_by_me && !r->is_server) {
        /* Rule 4 applies only when wsspec is the client (fuzzingclient mode): as the
         * server it closes TCP itself (RFC 6455 5.5.1, catalogue 2.3). */
        r->behavior_close = BC_FAILED_BY_CLIENT;
        snprintf(r->result_close, sizeof r->result_close,
                 "It is preferred that the server close the TCP connection");
        line_add(&l, "server did not close the TCP connection: wsspec dropped it");
        return CLOSE_DROPPED_BY_CLIENT;
    }
    r->behavior_close = BC_OK;
    snprintf(r->result_close, sizeof r->result_close, "Connection was properly closed");
    return CLOSE_FINE;
}

/* ------------------------------------------------------------ behavior */

/* Event lists (catalogue 2.1): OK first, then NON-STRICT; exact equality. */
static void judge_events(struct case_result *r, const struct case_def *d)
{
    if (events_match(r, &d->ok, EVENT_MATCHES_OK)) {
        r->behavior = B_OK;
    } else if (events_match(r, &d->non_strict, EVENT_MATCHES_NON_STRICT)) {
        r->behavior = B_NON_STRICT;
        broken_non_strict(r, d);
    } else {
        broken_events(r, d);
        return;
    }
    snprintf(r->result, sizeof r->result, "Actual events match at least one expected.");
}

static double size_deadline(const struct case_def *d)
{
    return d->close_after > 0 ? d->close_after : d->kill_after;
}

/* `expect size` (section 9): type and exact length of size_count echoes; the content is
 * not compared (Autobahn: "FIXME: check actual content"). Texts: 9.1-9.6 for one echo,
 * 9.7/9.8 for many. */
static void judge_size(struct case_result *r, const struct case_def *d)
{
    const char *want = d->size_binary ? "binary" : "text";
    const char *other = d->size_binary ? "text" : "binary";
    unsigned long long want_len = (unsigned long long)d->size_len;
    uint32_t count = size_count(d);
    struct line l;
    line_init(&l, r->broken, sizeof r->broken);

    if (d->size_content) {
        want_len = (unsigned long long)r->size_want_len;
        if (r->size_content_bad) {
            snprintf(r->result, sizeof r->result,
                     "Echo'ed message contents differs from what I sent (message %u: first "
                     "difference at byte %llu of %llu).",
                     (unsigned)r->size_bad_index + 1, (unsigned long long)r->size_bad_at, want_len);
            line_add(&l, "echo %u differs from the message sent at byte %llu of %llu",
                     (unsigned)r->size_bad_index + 1, (unsigned long long)r->size_bad_at, want_len);
            return;
        }
    }

    if (count > 1 || d->size_content) {
        if (r->size_bad_type || r->size_len_mismatch) {
            bool got_binary = r->size_bad_type ? !d->size_binary : d->size_binary;
            uint64_t got_len = r->size_len_mismatch ? r->size_bad_len : want_len;
            snprintf(r->result, sizeof r->result,
                     "Echo'ed message type or length differs from what I sent (got binary = %s, "
                     "payload length = %llu).",
                     got_binary ? "True" : "False", (unsigned long long)got_len);
            line_add(&l, "expected %s echoes of %llu bytes, got a %s message of %llu bytes", want,
                     want_len, got_binary ? "binary" : "text", (unsigned long long)got_len);
        } else if (r->size_seen >= count) {
            r->behavior = B_OK;
            snprintf(r->result, sizeof r->result, "Ok, received all echo'ed messages in time.");
        } else {
            snprintf(r->result, sizeof r->result, "Case did not finish within %g seconds.",
                     size_deadline(d));
            if (d->size_content)
                line_add(&l, "expected %u %s echoes equal to the messages sent within %gs, got %u",
                         (unsigned)count, want, size_deadline(d), (unsigned)r->size_seen);
            else
                line_add(&l, "expected %u %s echoes of %llu bytes within %gs, got %u",
                         (unsigned)count, want, want_len, size_deadline(d), (unsigned)r->size_seen);
        }
        return;
    }
    if (r->size_bad_type) {
        /* Autobahn 9.4.x says "... but got binary." even when it got text; wsspec names
         * the type it got (a deliberate difference, see reports/README.md). */
        snprintf(r->result, sizeof r->result, "Expected %s message with payload, but got %s.", want,
                 other);
        line_add(&l, "expected a %s message of %llu bytes, got a %s message", want, want_len,
                 other);
    } else if (r->size_len_mismatch) {
        snprintf(r->result, sizeof r->result,
                 "Expected %s message with payload of length %llu, but got %llu.", want, want_len,
                 (unsigned long long)r->size_bad_len);
        line_add(&l, "expected a %s message of %llu bytes, got %llu bytes", want, want_len,
                 (unsigned long long)r->size_bad_len);
    } else if (r->size_seen >= 1) {
        r->behavior = B_OK;
        snprintf(r->result, sizeof r->result, "Received %s message of length %llu.", want,
                 want_len);
    } else {
        snprintf(r->result, sizeof r->result, "Did not receive message within %g seconds.",
                 size_deadline(d));
        line_add(&l, "expected a %s message of %llu bytes within %gs, got none", want, want_len,
                 size_deadline(d));
    }
}

/* Informational cases (7.1.6, 7.13.x): never judged, but the result says what happened.
 * A case with a NON-STRICT list is 7.1.6-shaped (which of two orders happened); one
 * without is 7.13-shaped (the outcome is undefined by the spec). */
static void judge_informational(struct case_result *r, const struct case_def *d)
{
    const char *text = "Actual events are undefined by the spec.";
    if (d->non_strict.present) {
        if (events_match(r, &d->ok, EVENT_MATCHES_OK))
            text = "Text message was processed before close.";
        else if (events_match(r, &d->non_strict, EVENT_MATCHES_NON_STRICT))
            text = "Close was processed before text message could be returned.";
        else
            text = "Actual events differ from any expected.";
    }
    snprintf(r->result, sizeof r->result, "%s", text);
    r->behavior = B_INFORMATIONAL;
    r->behavior_close = BC_INFORMATIONAL;
}

/* RFC 6455 7.1.7: "the endpoint SHOULD send a Close frame with an appropriate status
 * code (Section 7.4) before proceeding to _Close the WebSocket Connection_" - a target
 * that had to fail the connection (the case allows failing codes only) and dropped TCP
 * without a Close passes Autobahn ("or none") and is NON-STRICT by the RFC. */
static bool no_close_on_fail(const struct case_result *r, const struct case_def *d)
{
    bool got_close = r->close_received || r->remote_close_code >= 0;
    return !got_close && d->close.n_codes && !code_allowed(&d->close, 1000);
}

/* RFC 6455 5.5.3: "If an endpoint receives a Ping frame and has not yet sent Pong
 * frame(s) in response to previous Ping frame(s), the endpoint MAY elect to send a Pong
 * frame for only the most recently processed Ping frame." For a case marked
 * pongs-may-coalesce whose OK list is pongs: the pongs received are the OK list's, in
 * its order, some left out - but not the last. */
static bool pongs_coalesced(const struct case_result *r, const struct event_list *ok)
{
    if (!ok->present || !ok->n || !r->n_events || r->events_dropped)
        return false;
    size_t j = 0;
    for (size_t i = 0; i < r->n_events; i++) {
        const struct recorded_event *e = &r->events[i];
        if (e->type != EV_PONG || e->data_len != e->len)
            return false;
        while (j < ok->n &&
               !(ok->events[j].type == EV_PONG && ok->events[j].payload.len == e->len &&
                 payload_equal(&ok->events[j].payload, e->data, e->data_len)))
            j++;
        if (j == ok->n)
            return false;
        j++;
    }
    return j == ok->n; /* the last pong received answered the last ping */
}

/* A case with response checks that never opened, or that ends with the response:
 * the checks alone decide; the close is OK once a response came (wsspec ends such a
 * case itself), FAILED when none came and that failed the case. */
static void judge_response_only(struct case_result *r)
{
    r->behavior = judge_response_checks(r, NULL, r->broken, sizeof r->broken);
    judge_response_result(r, r->behavior, r->result, sizeof r->result);
    bool came = judge_response_came(r);
    r->behavior_close = came || r->behavior != B_FAILED ? BC_OK : BC_FAILED;
    snprintf(r->result_close, sizeof r->result_close, "%s",
             came ? "No WebSocket connection to close: the case ends with the response."
                  : "The WebSocket opening handshake was never completed!");
    if (!came && r->behavior == B_FAILED && !r->broken[0])
        broken_handshake(r);
}

/* A case with response checks that opened and ran its steps: the events and the close
 * were judged; a worse verdict of the checks takes over (and names its rule first). */
static void judge_response_after(struct case_result *r)
{
    char broken[sizeof r->broken];
    enum behavior b = judge_response_checks(r, NULL, broken, sizeof broken);
    if (b == B_OK || judge_behavior_rank(b) < judge_behavior_rank(r->behavior))
        return;
    if (judge_behavior_rank(b) > judge_behavior_rank(r->behavior))
        judge_response_result(r, b, r->result, sizeof r->result);
    r->behavior = b;
    memcpy(r->broken, broken, sizeof r->broken);
}

/* The bytes begin with an HTTP request line's method and its blank (RFC 9112 3: method
 * SP; methods in use are upper-case tokens): a client asking again on the same
 * connection, as HTTP lets it after a 401 or a redirect to the same place. */
static bool starts_request(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && i < 16 && p[i] >= 'A' && p[i] <= 'Z')
        i++;
    return i >= 3 && i < n && p[i] == ' ';
}

/* `expect refusal fail|http` (wsspec the server): the response was one the client must
 * not take as a WebSocket connection. RFC 6455 4.1: a 101 that breaks the handshake's
 * rules - the client MUST _Fail the WebSocket Connection_: close TCP, send nothing
 * (fail); any other status - the client handles it by HTTP's rules: no frame, and
 * closing, keeping the connection or asking again are all its choice (http). Both
 * verdicts are the same: Autobahn has no client-side handshake rules. */
static void judge_refusal(struct case_result *r)
{
    const struct case_def *d = r->def;
    bool closed = r->refusal_closed_ms >= 0 && !r->dropped_by_me;
    bool again = d->refusal_http && starts_request(r->refusal_head, r->refusal_head_len);
    struct line l;
    r->broken[0] = '\0';
    r->behavior = B_OK;
    if (r->refusal_rx && !again) {
        r->behavior = B_FAILED;
        snprintf(r->result, sizeof r->result,
                 "The client sent %llu bytes after a response that opens no WebSocket "
                 "connection.",
                 (unsigned long long)r->refusal_rx);
        line_init(&l, r->broken, sizeof r->broken);
        line_add(&l, "RFC 6455 4.1 MUST: expected %s; got ",
                 d->refusal_http ? "no WebSocket frame (HTTP's rules: close, keep or ask again)"
                                 : "_Fail the WebSocket Connection_ (close it, send nothing)");
        line_payload(&l, r->refusal_head, r->refusal_head_len, r->refusal_rx);
    } else if (again) {
        snprintf(r->result, sizeof r->result,
                 "The client sent a new HTTP request on the connection (HTTP allows it; wsspec "
                 "does not answer it).");
    } else if (closed) {
        snprintf(r->result, sizeof r->result,
                 "The client closed the connection %.0f ms after the response, sending nothing.",
                 r->refusal_closed_ms);
    } else if (d->refusal_http) {
        snprintf(r->result, sizeof r->result,
                 "The client kept the connection open, sending nothing, until wsspec's deadline "
                 "(HTTP allows it).");
    } else {
        r->behavior = B_FAILED;
        snprintf(r->result, sizeof r->result,
                 "The client kept the connection open until wsspec's deadline.");
        snprintf(r->broken, sizeof r->broken,
                 "RFC 6455 4.1 MUST: expected _Fail the WebSocket Connection_ (the client "
                 "closes it); got the connection still open at the case's deadline");
    }
    r->behavior_close = closed || d->refusal_http ? BC_OK : BC_FAILED;
    snprintf(r->result_close, sizeof r->result_close, "%s",
             closed ? "No WebSocket connection to close: the client closed TCP."
                    : "No WebSocket connection to close: wsspec dropped TCP at the deadline.");
}

static void judge_view_events(struct case_result *r, bool rfc);

/* One verdict: Autobahn's (rfc false) or the RFC's (rfc true, on the RFC's view of the
 * record: see rfc_view). */
static void judge_view(struct case_result *r, bool rfc)
{
    const struct case_def *d = r->def;
    if (d && d->n_checks && (d->ends_at_response || !r->handshake_done)) {
        judge_response_only(r);
        return;
    }
    if (d && d->judge == JUDGE_REFUSAL && r->handshake_done) {
        judge_refusal(r);
        return;
    }
    judge_view_events(r, rfc);
    if (d && d->n_checks)
        judge_response_after(r);
}

/* The events and the close (catalogue 2.1, 2.2) and the rules of the RFC's view. */
static void judge_view_events(struct case_result *r, bool rfc)
{
    const struct case_def *d = r->def;

    /* Autobahn's starting point: everything FAILED until shown otherwise. */
    r->behavior = B_FAILED;
    r->behavior_close = BC_FAILED;
    snprintf(r->result, sizeof r->result, "Actual events differ from any expected.");
    snprintf(r->result_close, sizeof r->result_close,
             "TCP connection was dropped without close handshake");
    r->broken[0] = '\0';

    if (!d) {
        snprintf(r->broken, sizeof r->broken, "no case definition to judge against");
        return;
    }
    if (!r->handshake_done) {
        snprintf(r->result_close, sizeof r->result_close,
                 "The WebSocket opening handshake was never completed!");
        broken_handshake(r);
        return;
    }

    if (r->pmd_unimplemented) {
        /* deflate-offer (Autobahn's 12.x/13.x): the extension is a feature a server may
         * lack; the close is judged as usual */
        r->behavior = B_UNIMPLEMENTED;
        snprintf(r->result, sizeof r->result,
                 r->is_server ? "The client did not offer permessage-deflate (RFC 7692) as the "
                                "case needs: the case does not apply."
                              : "The server did not accept permessage-deflate (RFC 7692): the "
                                "case does not apply.");
        char why[sizeof r->broken];
        struct case_def as_run = *d; /* wsspec closed with 1000 instead of running it */
        as_run.close = (struct close_rule){
            .closed_by_me = true, .codes = {1000}, .n_codes = 1, .require_clean = true};
        judge_close(r, &as_run, why, sizeof why);
        return;
    }

    switch (d->judge) {
    case JUDGE_EVENTS:
        judge_events(r, d);
        if (rfc && r->behavior == B_FAILED && d->pongs_may_coalesce && pongs_coalesced(r, &d->ok)) {
            r->behavior = B_OK;
            r->broken[0] = '\0';
            snprintf(r->result, sizeof r->result, "Actual events match at least one expected.");
        }
        break;
    case JUDGE_SIZE:
        judge_size(r, d);
        break;
    case JUDGE_INFORMATIONAL:
    case JUDGE_REFUSAL: /* judge_refusal, once the request was read */
        break;
    }

    char close_why[sizeof r->broken];
    enum close_rule_hit hit = judge_close(r, d, close_why, sizeof close_why);

    if (d->judge == JUDGE_INFORMATIONAL) {
        /* The close check above only supplied resultClose; both verdicts are
         * INFORMATIONAL whatever happened. A rule the server broke is still named. */
        judge_informational(r, d);
        if (rfc && r->target_error != WS_E_OK)
            broken_target_error(r);
        return;
    }

    if (d->close.wrong_closer_fatal && hit == CLOSE_WRONG_CLOSER)
        r->behavior = B_FAILED; /* the server never detected what it had to (issue #20) */
    if (d->close.wrong_code_fails && hit == CLOSE_WRONG_CODE) {
        r->behavior = B_FAILED;
        snprintf(r->result, sizeof r->result, "%s", r->result_close);
    }
    if (rfc && r->target_error != WS_E_OK) {
        /* The server broke a MUST of RFC 6455 that wsspec's receive path enforces:
         * whatever the lists say, that is not a pass. */
        if (r->behavior != B_FAILED) {
            const char *section = ws_error_section(r->target_error);
            if (section[0])
                snprintf(r->result, sizeof r->result, "The %s broke a protocol rule: %s (%s %s).",
                         target_noun(r), ws_error_text(r->target_error),
                         ws_error_rfc(r->target_error), section);
            else
                snprintf(r->result, sizeof r->result, "The %s broke a protocol rule: %s.",
                         target_noun(r), ws_error_text(r->target_error));
        }
        r->behavior = B_FAILED;
        broken_target_error(r);
        return;
    }

    /* One line for the failure block: the behavior's own reason when it has one (it
     * is the more basic failure), else the close check's. */
    if (r->behavior == B_FAILED && r->broken[0])
        return;
    if (r->behavior_close != BC_OK || r->behavior == B_FAILED) {
        snprintf(r->broken, sizeof r->broken, "%s", close_why);
        return;
    }
    if (rfc && r->behavior == B_OK && no_close_on_fail(r, d)) {
        r->behavior = B_NON_STRICT;
        snprintf(r->broken, sizeof r->broken,
                 "%s failed the connection without a Close frame (RFC 6455 7.1.7 SHOULD "
                 "send one)",
                 target_noun(r));
    }
}

/* ------------------------------------------------------------ the two verdicts */

/* The RFC's view of a record: messages that came after the target's Close are not
 * events (5.5.1: "The application MUST NOT send any more data frames after sending a
 * Close frame" - the violation itself is target_error); a close code Autobahn's client
 * refused (1012-1014) was a valid Close, so the target closed first. The events array
 * is a new one (the caller frees it), sharing the payload heads. */
static bool rfc_view(const struct case_result *r, struct case_result *v)
{
    *v = *r;
    v->events = r->n_events ? malloc(r->n_events * sizeof *v->events) : NULL;
    if (r->n_events && !v->events)
        return false;
    v->n_events = 0;
    for (size_t i = 0; i < r->n_events; i++) {
        const struct recorded_event *e = &r->events[i];
        if (e->after_close && e->type == EV_MESSAGE)
            continue;
        v->events[v->n_events] = *e;
        if (v->n_events != i && e->type == EV_PONG) /* moved up: compare again */
            v->events[v->n_events].matches =
                judge_event_matches(r->def, v->n_events, e->type, false, e->data, e->len);
        v->n_events++;
    }
    if (r->autobahn_refused_code > 0)
        v->closed_by_me = false;
    return true;
}

static void copy_verdict(struct rfc_verdict *to, const struct case_result *from)
{
    to->behavior = from->behavior;
    to->behavior_close = from->behavior_close;
    memcpy(to->result, from->result, sizeof to->result);
    memcpy(to->result_close, from->result_close, sizeof to->result_close);
    memcpy(to->broken, from->broken, sizeof to->broken);
}

/* Where the two verdicts differ, the rule that makes the difference. */
static void describe_difference(struct case_result *r)
{
    r->difference[0] = '\0';
    if (r->behavior == r->rfc.behavior && r->behavior_close == r->rfc.behavior_close)
        return;
    struct line l;
    line_init(&l, r->difference, sizeof r->difference);
    if (r->target_error != WS_E_OK) {
        line_add(&l, "%s %s MUST: %s (%s); Autobahn %s", ws_error_rfc(r->target_error),
                 ws_error_section(r->target_error), ws_error_text(r->target_error),
                 ws_error_name(r->target_error),
                 r->target_error == WS_E_DATA_AFTER_CLOSE ? "counts the message"
                                                          : "judges the events and the close only");
    } else if (r->autobahn_refused_code > 0) {
        line_add(&l,
                 "close code %d is registered (IANA, after RFC 6455) and wsspec accepts it; "
                 "autobahn 0.10.9, pinned by Autobahn|Testsuite, refuses it",
                 r->autobahn_refused_code);
    } else if (r->def->pongs_may_coalesce && r->behavior == B_FAILED && r->rfc.behavior == B_OK) {
        line_add(&l, "RFC 6455 5.5.3 MAY: one pong for the most recent of several unanswered "
                     "pings; Autobahn wants a pong for every ping");
    } else if (r->rfc.behavior == B_NON_STRICT && no_close_on_fail(r, r->def)) {
        line_add(&l, "RFC 6455 7.1.7 SHOULD: a Close frame before failing the connection; "
                     "Autobahn accepts a bare TCP close");
    } else {
        line_add(&l, "the verdicts differ");
    }
}

/* Each response check's outcome, for the reports (the same in both views). */
static void record_checks(struct case_result *r)
{
    char broken[sizeof r->broken];
    free(r->check_out);
    r->check_out = NULL;
    r->n_check_out = 0;
    if (!r->def || !r->def->n_checks)
        return;
    r->check_out = calloc(r->def->n_checks, sizeof *r->check_out);
    if (!r->check_out)
        return; /* the reports then list the checks without outcomes */
    r->n_check_out = r->def->n_checks;
    judge_response_checks(r, r->check_out, broken, sizeof broken);
}

void judge_case(struct case_result *r)
{
    struct case_result v;
    record_checks(r);
    if (r->def && rfc_view(r, &v)) {
        judge_view(&v, true);
        copy_verdict(&r->rfc, &v);
        free(v.events);
    } else {
        r->rfc.behavior = B_FAILED;
        r->rfc.behavior_close = BC_FAILED;
    }
    judge_view(r, false);
    if (!r->def)
        copy_verdict(&r->rfc, r);
    describe_difference(r);
    judge_probe(r);
}

/*
 * judge_probe.c - the verdict's last word on the hardening probes (section 17,
 * cases/README.md "Declared policies"), after judge.c has judged a case as usual:
 *
 *  - `observed`: what the target did, in one line, for every case with a policy and
 *    every informational case - how many messages it sent and the largest, its pings,
 *    how it ended the connection, when, and how many bytes wsspec had written by then
 *    (a trickled frame: how much the target took before it gave up). A probe is worth
 *    little without its figures, judged or not.
 *  - a case whose policy the user did not declare is INFORMATIONAL in both verdicts:
 *    the result says which option would judge it. A declared one keeps its verdicts;
 *    where it fails, `broken` names the declaration it was judged against.
 */
#include "result.h"

#include "case_vocab.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Append to a fixed buffer, cut short (still terminated) when full. */
struct text {
    char *s;
    size_t cap, n;
};

__attribute__((format(printf, 2, 3))) static void add(struct text *t, const char *fmt, ...)
{
    if (t->n + 1 >= t->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(t->s + t->n, t->cap - t->n, fmt, ap);
    va_end(ap);
    if (r > 0)
        t->n = t->n + (size_t)r < t->cap ? t->n + (size_t)r : t->cap - 1;
}

/* The status line's reason of a refused handshake ("403 Forbidden"), printable only. */
static void status_of(const struct case_result *r, char *out, size_t cap)
{
    const char *p = r->http_response ? r->http_response : "";
    const char *sp = memchr(p, ' ', r->http_response_len);
    size_t i = 0;
    if (sp)
        for (sp++; i + 1 < cap && sp < p + r->http_response_len && *sp != '\r' && *sp != '\n'; sp++)
            out[i++] = (*sp >= 0x20 && *sp < 0x7f) ? *sp : '?';
    out[i] = '\0';
}

static void observe_opening(const struct case_result *r, struct text *t)
{
    char status[64];
    if (r->target_ended && r->target_end_opening) {
        add(t,
            "closed the connection %.3f s into the opening handshake, when wsspec had written "
            "%llu bytes of it",
            r->target_end_ms / 1000, (unsigned long long)r->target_end_tx);
    } else if (r->was_open_handshake_timeout) {
        add(t,
            "kept the opening handshake open until wsspec gave up after %.3f s, without a "
            "response (wsspec had written %llu bytes)",
            r->duration_ms / 1000, (unsigned long long)r->tx_octets);
    } else if (r->handshake_error == WS_E_RESPONSE_STATUS) {
        status_of(r, status, sizeof status);
        add(t,
            "refused the opening handshake: %s, %.3f s into the case (wsspec had written %llu "
            "bytes)",
            status, r->duration_ms / 1000, (unsigned long long)r->tx_octets);
    } else if (r->handshake_error != WS_E_OK) {
        add(t, "answered the opening handshake wrongly: %s", ws_error_text(r->handshake_error));
    } else {
        add(t, "the opening handshake did not complete%s%s", r->connect_error[0] ? ": " : "",
            r->connect_error);
    }
}

static void observe_messages(const struct case_result *r, struct text *t)
{
    uint64_t n = 0, largest = 0;
    for (size_t i = 0; i < r->n_events; i++)
        if (r->events[i].type == EV_MESSAGE) {
            n++;
            if (r->events[i].len > largest)
                largest = r->events[i].len;
        }
    if (n == 0)
        add(t, "sent no message");
    else
        add(t, "sent %llu message%s (the largest %llu bytes)", (unsigned long long)n,
            n == 1 ? "" : "s", (unsigned long long)largest);
    uint64_t pings = r->rx_frames[WS_OP_PING];
    if (pings)
        add(t, " and %llu ping%s", (unsigned long long)pings, pings == 1 ? "" : "s");
}

static void observe_end(const struct case_result *r, struct text *t)
{
    if (r->target_error != WS_E_OK)
        add(t, "; broke a rule: %s (%s %s)", ws_error_text(r->target_error),
            ws_error_rfc(r->target_error), ws_error_section(r->target_error));
    if (!r->target_ended) {
        add(t,
            "; kept the connection open until wsspec closed it: the case ended %.3f s after "
            "the handshake (wsspec had written %llu bytes after its request)",
            r->duration_ms / 1000, (unsigned long long)(r->tx_octets - r->tx_at_open));
        return;
    }
    if (r->close_received && r->remote_close_code >= 0)
        add(t, "; then Close %d", r->remote_close_code);
    else if (r->close_received)
        add(t, "; then an empty Close");
    else
        add(t, "; then closed TCP without a Close");
    add(t, " %.3f s after the handshake, when wsspec had written %llu bytes after its request",
        r->target_end_ms / 1000, (unsigned long long)(r->target_end_tx - r->tx_at_open));
}

static void observe(struct case_result *r)
{
    struct text t = {r->observed, sizeof r->observed, 0};
    r->observed[0] = '\0';
    if (!r->handshake_done) {
        observe_opening(r, &t);
        return;
    }
    if (r->def->ends_at_response) { /* a refusal was wanted: the 101 is what happened */
        char status[64];
        status_of(r, status, sizeof status);
        add(&t, "accepted the opening handshake: %s", status);
        return;
    }
    observe_messages(r, &t);
    observe_end(r, &t);
}

/* "N", "SECONDS", "ORIGIN": what --NAME takes, in messages. */
static const char *value_word(enum case_policy_kind k)
{
    return k == CV_BYTES ? "N" : k == CV_SECONDS ? "SECONDS" : "ORIGIN";
}

static void not_judged(struct case_result *r, const struct case_policy_row *row)
{
    snprintf(r->result, sizeof r->result,
             "Not judged: the target's %s is not declared (wsspec run --%s %s judges this case; "
             "here it ran with %s).",
             row->name, row->name, value_word(row->kind), r->def->policy_value);
    memcpy(r->rfc.result, r->result, sizeof r->rfc.result);
    r->behavior = r->rfc.behavior = B_INFORMATIONAL;
    r->behavior_close = r->rfc.behavior_close = BC_INFORMATIONAL;
    r->broken[0] = r->rfc.broken[0] = r->difference[0] = '\0';
}

/* A declared policy's failure names the declaration it was judged against. */
static void judged_against(char *broken, size_t cap, const struct case_def *d)
{
    struct text t = {broken, cap, strlen(broken)};
    if (broken[0])
        add(&t, "; judged against --%s %s, as declared", case_vocab_policies[d->policy].name,
            d->policy_value);
}

void judge_probe(struct case_result *r)
{
    const struct case_def *d = r->def;
    if (!d || !(d->has_policy || d->judge == JUDGE_INFORMATIONAL) || d->policy >= CP_N)
        return;
    if (r->pmd_unimplemented)
        return; /* nothing was probed: the server declined permessage-deflate */
    observe(r);
    if (!d->has_policy)
        return;
    if (!d->policy_declared) {
        not_judged(r, &case_vocab_policies[d->policy]);
        return;
    }
    judged_against(r->broken, sizeof r->broken, d);
    judged_against(r->rfc.broken, sizeof r->rfc.broken, d);
}

/*
 * judge_response.c - the response checks of a case (`response ...`, case.h): the
 * response to the opening request, as received (r->http_response), parsed again with
 * the core's parser, and each check held, broken or not applicable. A broken check
 * counts at its level - MUST: FAILED, SHOULD: NON-STRICT, MAY: INFORMATIONAL - and the
 * worst one decides; judge.c gives that to both verdicts alike (the checks are about
 * the HTTP exchange, where Autobahn has no rules and RFC 6455's are the only ones).
 *
 * A 101 is also held to RFC 6455 4.1 as a whole: the core's client check (Upgrade,
 * Connection, Sec-WebSocket-Accept, nothing that was not offered) decided whether the
 * connection opened; a 101 it refused is FAILED whatever the explicit checks say,
 * since the client MUST fail such a connection.
 */
#include "result.h"

#include "ws_ext.h"
#include "ws_handshake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ the response */

enum response_state { RESP_NONE, RESP_MALFORMED, RESP_PARSED };

struct response_view {
    enum response_state state;
    bool deadline; /* RESP_NONE because wsspec's deadline passed (not a close) */
    struct ws_http_response resp;
};

static void view_of(const struct case_result *r, struct response_view *v)
{
    memset(v, 0, sizeof *v);
    size_t used, err_at, n = r->http_response_len;
    if (!r->http_response || n == 0) {
        v->state = RESP_NONE;
        v->deadline = r->was_open_handshake_timeout;
        return;
    }
    /* the block as received: any size the core let through is parsed whole */
    enum ws_error e = ws_http_parse_response(r->http_response, n, n + 1, &v->resp, &used, &err_at);
    v->state = e == WS_E_OK ? RESP_PARSED : RESP_MALFORMED;
}

/* The status as status_set_has takes it: STATUS_CLOSED or STATUS_DEADLINE for no
 * response, 0 malformed. */
static int status_of(const struct response_view *v)
{
    if (v->state == RESP_NONE)
        return v->deadline ? STATUS_DEADLINE : STATUS_CLOSED;
    return v->state == RESP_MALFORMED ? 0 : v->resp.status;
}

/* "101 Switching Protocols", "no response", "a malformed response". */
static void describe_status(const struct response_view *v, char *out, size_t cap)
{
    if (v->state == RESP_NONE && v->deadline)
        snprintf(out, cap, "no response, the connection still open when wsspec gave up");
    else if (v->state == RESP_NONE)
        snprintf(out, cap, "no response");
    else if (v->state == RESP_MALFORMED)
        snprintf(out, cap, "a malformed response");
    else
        snprintf(out, cap, "%d %.*s", v->resp.status,
                 (int)(v->resp.reason.len < 60 ? v->resp.reason.len : 60), v->resp.reason.ptr);
}

/* ------------------------------------------------------------ header checks */

static bool name_is(struct ws_slice s, const char *name)
{
    return s.len == strlen(name) && strncasecmp(s.ptr, name, s.len) == 0;
}

/* The element of a comma list up to its parameters (';'), without OWS. */
static struct ws_slice element_name(struct ws_slice item)
{
    const char *semi = memchr(item.ptr, ';', item.len);
    size_t n = semi ? (size_t)(semi - item.ptr) : item.len;
    while (n && (item.ptr[n - 1] == ' ' || item.ptr[n - 1] == '\t'))
        n--;
    return (struct ws_slice){item.ptr, n};
}

/* Some element of some field called name is token (any case). */
static bool fields_have(const struct ws_http_response *resp, const char *name, const char *token)
{
    for (size_t i = 0; i < resp->n_headers; i++) {
        if (!name_is(resp->headers[i].name, name))
            continue;
        size_t pos = 0;
        struct ws_slice item;
        while (ws_http_list_next(resp->headers[i].value, &pos, &item))
            if (name_is(element_name(item), token))
                return true;
    }
    return false;
}

/* What the response has of the header: "no X header", "X: value", "2 X headers: v1". */
static void describe_fields(const struct ws_http_response *resp, const char *name, char *out,
                            size_t cap)
{
    size_t count = 0;
    const struct ws_http_header *f = ws_http_find(resp->headers, resp->n_headers, name, &count);
    if (!f) {
        snprintf(out, cap, "no %s header", name);
        return;
    }
    int shown = (int)(f->value.len < 64 ? f->value.len : 64);
    if (count == 1)
        snprintf(out, cap, "%s: %.*s", name, shown, f->value.ptr);
    else
        snprintf(out, cap, "%zu %s headers, the first: %.*s", count, name, shown, f->value.ptr);
}

static bool header_held(const struct response_check *ck, const struct ws_http_response *resp)
{
    size_t count = 0, equal = 0;
    for (size_t i = 0; i < resp->n_headers; i++)
        if (name_is(resp->headers[i].name, ck->name)) {
            count++;
            struct ws_slice v = resp->headers[i].value;
            equal += v.len == strlen(ck->value) && memcmp(v.ptr, ck->value, v.len) == 0;
        }
    switch (ck->test) {
    case HT_PRESENT:
        return count > 0;
    case HT_ABSENT:
        return count == 0;
    case HT_ONCE:
        return count == 1;
    case HT_EQUAL:
        return count > 0 && equal == count;
    case HT_HAS:
        return fields_have(resp, ck->name, ck->value);
    case HT_LACKS:
        return !fields_have(resp, ck->name, ck->value);
    }
    return false;
}

/* ------------------------------------------------------------ checks of a 101 */

/* The offer's comma-joined names hold name (byte for byte, as the core compares). */
static bool offered(const char *joined, struct ws_slice name)
{
    struct ws_slice list = {joined, strlen(joined)}, item;
    size_t pos = 0;
    while (ws_http_list_next(list, &pos, &item))
        if (item.len == name.len && memcmp(item.ptr, name.ptr, name.len) == 0)
            return true;
    return false;
}

/* RFC 6455 4.2.2 item 5.4: the accept value is base64(SHA-1(key + GUID)) of the key the
 * request carried; no key sent, no accept can be right. */
static bool accept_held(const struct case_result *r, const struct ws_http_response *resp, char *got,
                        size_t cap)
{
    char want[WS_ACCEPT_LEN + 1];
    size_t count = 0;
    const struct ws_http_header *f =
        ws_http_find(resp->headers, resp->n_headers, "Sec-WebSocket-Accept", &count);
    describe_fields(resp, "Sec-WebSocket-Accept", got, cap);
    if (!r->offer_has_key) {
        size_t n = strlen(got);
        snprintf(got + n, cap - n, " (the request carried no Sec-WebSocket-Key)");
        return false;
    }
    ws_handshake_accept(r->offer_key, strlen(r->offer_key), want);
    bool ok = f && count == 1 && f->value.len == strlen(want) &&
              memcmp(f->value.ptr, want, f->value.len) == 0;
    if (!ok) {
        size_t n = strlen(got);
        snprintf(got + n, cap - n, " (expected %s)", want);
    }
    return ok;
}

/* RFC 6455 4.2.2 /subprotocol/: none, or one field with one of the offered values. */
static bool protocol_held(const struct case_result *r, const struct ws_http_response *resp,
                          char *got, size_t cap)
{
    size_t count = 0;
    const struct ws_http_header *f =
        ws_http_find(resp->headers, resp->n_headers, "Sec-WebSocket-Protocol", &count);
    describe_fields(resp, "Sec-WebSocket-Protocol", got, cap);
    size_t n = strlen(got);
    snprintf(got + n, cap - n, " (offered: %.100s)",
             r->offer_protocols[0] ? r->offer_protocols : "none");
    return !f || (count == 1 && f->value.len && !memchr(f->value.ptr, ',', f->value.len) &&
                  offered(r->offer_protocols, f->value));
}

/* RFC 6455 4.2.2 /extensions/: "Extensions not listed by the client MUST NOT be
 * listed." Every extension of every field was offered (a value that does not parse
 * lists something that was not). */
static bool extensions_held(const struct case_result *r, const struct ws_http_response *resp,
                            char *got, size_t cap)
{
    bool ok = true;
    describe_fields(resp, "Sec-WebSocket-Extensions", got, cap);
    for (size_t i = 0; i < resp->n_headers && ok; i++) {
        if (!name_is(resp->headers[i].name, "Sec-WebSocket-Extensions"))
            continue;
        struct ws_ext_offer ext[WS_EXT_MAX_OFFERS];
        size_t n = 0, err_at;
        struct ws_slice v = resp->headers[i].value;
        if (ws_ext_parse(v.ptr, v.len, ext, WS_EXT_MAX_OFFERS, &n, &err_at) != WS_E_OK)
            ok = false;
        for (size_t k = 0; k < n && ok; k++)
            ok = offered(r->offer_extensions, ext[k].name);
    }
    size_t n = strlen(got);
    snprintf(got + n, cap - n, " (offered: %.100s)",
             r->offer_extensions[0] ? r->offer_extensions : "none");
    return ok;
}

/* ------------------------------------------------------------ one check */

static enum check_state check_one(const struct case_result *r, const struct response_check *ck,
                                  const struct response_view *v, char *got, size_t cap)
{
    int status = status_of(v);
    bool on_101 = ck->kind == CK_ACCEPT || ck->kind == CK_PROTOCOL_OFFERED ||
                  ck->kind == CK_EXTENSIONS_OFFERED;
    got[0] = '\0';
    if ((ck->conditional && !status_set_has(&ck->when, status)) || (on_101 && status != 101))
        return CHECK_NOT_APPLICABLE;
    if (ck->kind == CK_STATUS) {
        describe_status(v, got, cap);
        return status_set_has(&ck->status, status) ? CHECK_HELD : CHECK_BROKEN;
    }
    if (v->state != RESP_PARSED) {
        describe_status(v, got, cap);
        return CHECK_BROKEN;
    }
    bool held = false;
    switch (ck->kind) {
    case CK_HEADER:
        describe_fields(&v->resp, ck->name, got, cap);
        held = header_held(ck, &v->resp);
        break;
    case CK_ACCEPT:
        held = accept_held(r, &v->resp, got, cap);
        break;
    case CK_PROTOCOL_OFFERED:
        held = protocol_held(r, &v->resp, got, cap);
        break;
    case CK_EXTENSIONS_OFFERED:
        held = extensions_held(r, &v->resp, got, cap);
        break;
    default:
        break;
    }
    return held ? CHECK_HELD : CHECK_BROKEN;
}

/* ------------------------------------------------------------ texts */

static const char *level_name(enum rfc_level l)
{
    return l == RFC_MUST ? "MUST" : l == RFC_SHOULD ? "SHOULD" : "MAY";
}

/* "101,4xx,none" */
static void describe_set(const struct status_set *s, char *out, size_t cap)
{
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < s->n_codes && at < cap; i++)
        at += (size_t)snprintf(out + at, cap - at, "%s%u", at ? "," : "", s->codes[i]);
    for (int c = 1; c <= 5 && at < cap; c++)
        if ((s->classes >> c) & 1u)
            at += (size_t)snprintf(out + at, cap - at, "%s%dxx", at ? "," : "", c);
    if (s->none && at < cap)
        at += (size_t)snprintf(out + at, cap - at, "%snone", at ? "," : "");
    if (s->closed && at < cap)
        snprintf(out + at, cap - at, "%sclosed", at ? "," : "");
}

void judge_response_describe(const struct response_check *ck, char *out, size_t cap)
{
    static const char *const tests[] = {
        [HT_PRESENT] = "present", [HT_ABSENT] = "absent", [HT_ONCE] = "once",
        [HT_EQUAL] = "=",         [HT_HAS] = "has",       [HT_LACKS] = "lacks"};
    char when[80] = "", set[64];
    if (ck->conditional) {
        describe_set(&ck->when, set, sizeof set);
        snprintf(when, sizeof when, "if %s ", set);
    }
    if (ck->kind == CK_STATUS) {
        describe_set(&ck->status, set, sizeof set);
        snprintf(out, cap, "status %s", set);
    } else if (ck->kind == CK_HEADER) {
        bool value = ck->test == HT_EQUAL || ck->test == HT_HAS || ck->test == HT_LACKS;
        snprintf(out, cap, "%sheader %s %s%s%s", when, ck->name, tests[ck->test], value ? " " : "",
                 value ? ck->value : "");
    } else {
        snprintf(out, cap, "%s", case_vocab_checks[ck->kind].name);
    }
}

void judge_response_cite(const struct response_check *ck, char *out, size_t cap)
{
    if (ck->policy)
        snprintf(out, cap, "the declared policy");
    else
        snprintf(out, cap, "RFC %u %s %s", ck->doc, ck->section, level_name(ck->level));
}

static enum behavior level_verdict(enum rfc_level l)
{
    return l == RFC_MUST ? B_FAILED : l == RFC_SHOULD ? B_NON_STRICT : B_INFORMATIONAL;
}

int judge_behavior_rank(enum behavior b)
{
    switch (b) {
    case B_OK:
        return 0;
    case B_INFORMATIONAL:
    case B_UNIMPLEMENTED:
        return 1;
    case B_NON_STRICT:
        return 2;
    case B_FAILED:
        break;
    }
    return 3;
}

/* "RFC 6455 4.2.1 MUST: status 4xx, got 101 Switching Protocols" */
static void broken_line(const struct response_check *ck, const char *got, char *out, size_t cap)
{
    char cite[48], what[200];
    judge_response_cite(ck, cite, sizeof cite);
    judge_response_describe(ck, what, sizeof what);
    snprintf(out, cap, "%s: %s, got %s", cite, what, got);
}

/* ------------------------------------------------------------ the verdict */

enum behavior judge_response_checks(const struct case_result *r, struct check_outcome *out,
                                    char *broken, size_t cap)
{
    const struct case_def *d = r->def;
    struct response_view v;
    view_of(r, &v);
    enum behavior worst = B_OK;
    broken[0] = '\0';
    for (size_t i = 0; i < d->n_checks; i++) {
        char got[CHECK_GOT_BYTES];
        enum check_state st = check_one(r, &d->checks[i], &v, got, sizeof got);
        if (out) {
            out[i].state = st;
            memcpy(out[i].got, got, sizeof got);
        }
        enum behavior b = st == CHECK_BROKEN ? level_verdict(d->checks[i].level) : B_OK;
        if (judge_behavior_rank(b) > judge_behavior_rank(worst)) {
            worst = b;
            broken_line(&d->checks[i], got, broken, cap);
        }
    }
    /* RFC 6455 4.1: the client MUST fail the connection on a 101 that breaks its rules */
    if (status_of(&v) == 101 && r->handshake_error != WS_E_OK && worst != B_FAILED) {
        worst = B_FAILED;
        snprintf(broken, cap, "%s %s MUST: a 101 the client must fail: %s (%s)",
                 ws_error_rfc(r->handshake_error), ws_error_section(r->handshake_error),
                 ws_error_text(r->handshake_error), ws_error_name(r->handshake_error));
    }
    return worst;
}

/* The Autobahn-style result text of a case judged by its response alone. */
void judge_response_result(const struct case_result *r, enum behavior b, char *out, size_t cap)
{
    struct response_view v;
    char status[96];
    view_of(r, &v);
    describe_status(&v, status, sizeof status);
    if (b == B_OK)
        snprintf(out, cap, "The response (%s) passes every check.", status);
    else
        snprintf(out, cap, "The response (%s) breaks a check at the level %s.", status,
                 b == B_FAILED       ? "MUST"
                 : b == B_NON_STRICT ? "SHOULD"
                                     : "MAY");
}

bool judge_response_came(const struct case_result *r)
{
    return r->http_response && r->http_response_len;
}

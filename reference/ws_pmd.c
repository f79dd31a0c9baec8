/*
 * ws_pmd.c - negotiating permessage-deflate (RFC 7692 sections 5 and 7.1), sans-IO.
 *
 * Three jobs on the elements ws_ext_parse() made of a Sec-WebSocket-Extensions value:
 * reading one element's parameters (ws_pmd_parse), a server's choice among a client's
 * offers and its response (ws_pmd_server_answer), and a client's check of the response
 * against what it offered (ws_pmd_client_check). Plus the two small ends: writing an
 * element (ws_pmd_format) and the deflate settings each side uses (ws_pmd_side_config).
 *
 * The lists of what makes an offer or a response unacceptable are in RFC 7692 section 7
 * (the introduction of "The permessage-deflate Extension", before 7.1):
 *
 *   "A server MUST decline an extension negotiation offer for this extension if any of
 *    the following conditions are met:
 *    o The negotiation offer contains an extension parameter not defined for use in an
 *      offer.
 *    o The negotiation offer contains an extension parameter with an invalid value.
 *    o The negotiation offer contains multiple extension parameters with the same name.
 *    o The server doesn't support the offered configuration."
 *
 *   "A client MUST _Fail the WebSocket Connection_ if the peer server accepted an
 *    extension negotiation offer for this extension with an extension negotiation
 *    response meeting any of the following conditions:
 *    o The negotiation response contains an extension parameter not defined for use in
 *      a response.
 *    o The negotiation response contains an extension parameter with an invalid value.
 *    o The negotiation response contains multiple extension parameters with the same
 *      name.
 *    o The client does not support the configuration that the response represents."
 *
 * Parameter names and the extension name are compared byte for byte, as the rest of
 * the core compares extension names. Nothing is allocated; every loop is bounded by
 * the element's parameter count (at most WS_EXT_MAX_PARAMS) or the caller's n.
 */
#include "ws_pmd.h"

#include <string.h>

/* The four parameters of RFC 7692 section 7.1, in the order of struct ws_pmd_params
 * (and of ws_pmd_format's output). */
enum ws_pmd_param {
    PMD_SERVER_NO_CONTEXT_TAKEOVER,
    PMD_CLIENT_NO_CONTEXT_TAKEOVER,
    PMD_SERVER_MAX_WINDOW_BITS,
    PMD_CLIENT_MAX_WINDOW_BITS,
    PMD_PARAM_COUNT,
    PMD_PARAM_NONE = PMD_PARAM_COUNT
};

static const char *const ws_pmd_param_names[PMD_PARAM_COUNT] = {
    "server_no_context_takeover",
    "client_no_context_takeover",
    "server_max_window_bits",
    "client_max_window_bits",
};

/* RFC 7692 section 7.1.2.1 / 7.1.2.2: window bits are "between 8 to 15, inclusive". */
#define WS_PMD_BITS_MIN 8
#define WS_PMD_BITS_MAX 15

static bool ws_pmd_slice_is(struct ws_slice s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && (n == 0 || memcmp(s.ptr, lit, n) == 0);
}

static enum ws_pmd_param ws_pmd_param_of(struct ws_slice name)
{
    for (int i = 0; i < PMD_PARAM_COUNT; i++)
        if (ws_pmd_slice_is(name, ws_pmd_param_names[i]))
            return (enum ws_pmd_param)i;
    return PMD_PARAM_NONE;
}

static bool ws_pmd_bits_valid(uint8_t bits)
{
    return bits >= WS_PMD_BITS_MIN && bits <= WS_PMD_BITS_MAX;
}

bool ws_pmd_is(const struct ws_ext_offer *elem)
{
    return elem && ws_pmd_slice_is(elem->name, WS_PMD_NAME);
}

/* A window-bits value: 8-15 or 0 when it is not one.
 *
 * RFC 7692 section 7.1.2.1: "This parameter has a decimal integer value without
 * leading zeroes between 8 to 15, inclusive, indicating the base-2 logarithm of the
 * LZ77 sliding window size, and MUST conform to the ABNF below.
 *    server-max-window-bits = 1*DIGIT"
 * (7.1.2.2 says the same of client_max_window_bits.) So "08", "+9", "9 " and "0x9"
 * are invalid values, not other spellings of a valid one.
 *
 * A quoted value is read after quoted-string unescaping: RFC 6455 section 9.1, "When
 * using the quoted-string syntax variant, the value after quoted-string unescaping
 * MUST conform to the 'token' ABNF." The digits are judged on the unescaped text, so
 * "10" and "\1\0" are both 10 (a quoted-pair stands for its second byte, RFC 7230
 * section 3.2.6); an escape is a legal, if odd, way to write a digit. ws_ext_parse
 * never hands out an empty quoted value, but an element built by hand may carry one:
 * it is not 1*DIGIT, so it is invalid. */
static uint8_t ws_pmd_bits_value(const struct ws_ext_param *pm)
{
    unsigned v = 0;
    size_t digits = 0;
    for (size_t i = 0; i < pm->value.len; i++) {
        unsigned char c = (unsigned char)pm->value.ptr[i];
        if (pm->quoted && c == '\\') {
            if (++i == pm->value.len)
                return 0; /* a lone backslash escapes nothing */
            c = (unsigned char)pm->value.ptr[i];
        }
        if (c < '0' || c > '9')
            return 0;
        if (digits == 0 && c == '0')
            return 0; /* "without leading zeroes" (and 0 is out of range anyway) */
        if (++digits > 2)
            return 0; /* 100 and up: out of range, and v stays bounded */
        v = v * 10 + (unsigned)(c - '0');
    }
    return (digits > 0 && ws_pmd_bits_valid((uint8_t)v)) ? (uint8_t)v : 0;
}

/* One known parameter's value into *p. false: PMD_PARAM_VALUE. */
static bool ws_pmd_take(enum ws_pmd_param which, const struct ws_ext_param *pm,
                        enum ws_pmd_side side, struct ws_pmd_params *p)
{
    bool has_value = pm->value.ptr != NULL;
    switch (which) {
    case PMD_SERVER_NO_CONTEXT_TAKEOVER:
        /* 7.1.1.1: "A client MAY include the "server_no_context_takeover" extension
         * parameter in an extension negotiation offer.  This extension parameter has
         * no value." ... "The "server_no_context_takeover" extension parameter in an
         * extension negotiation response has no value." */
        p->server_no_context_takeover = true;
        return !has_value;
    case PMD_CLIENT_NO_CONTEXT_TAKEOVER:
        /* 7.1.1.2: "A client MAY include the "client_no_context_takeover" extension
         * parameter in an extension negotiation offer.  This extension parameter has
         * no value." In a response it is a flag as well ("By including the
         * "client_no_context_takeover" extension parameter in an extension negotiation
         * response, a server prevents the peer client from using context takeover."):
         * the parameter is defined without a value, so a value is an invalid one on
         * either side. */
        p->client_no_context_takeover = true;
        return !has_value;
    case PMD_SERVER_MAX_WINDOW_BITS:
        /* 7.1.2.1: a value is required, in an offer and in a response ("with the same
         * or smaller value as the offer"). */
        if (!has_value)
            return false;
        p->server_max_window_bits = ws_pmd_bits_value(pm);
        return p->server_max_window_bits != 0;
    case PMD_CLIENT_MAX_WINDOW_BITS:
        /* 7.1.2.2: "This parameter has no value or a decimal integer value without
         * leading zeroes between 8 to 15 inclusive" - in an offer. "By including this
         * parameter in an offer, a client informs the peer server that the client
         * supports the "client_max_window_bits" extension parameter in an extension
         * negotiation response and, optionally, a hint by attaching a value to the
         * parameter." A response limits the client's window, which only a value can
         * do: there it needs one ("...in the corresponding extension negotiation
         * response to the offer with a value equal to or smaller than the received
         * value"). */
        if (!has_value) {
            p->client_max_window_bits_bare = true;
            return side == WS_PMD_OFFER;
        }
        p->client_max_window_bits = ws_pmd_bits_value(pm);
        return p->client_max_window_bits != 0;
    default:
        return false;
    }
}

enum ws_error ws_pmd_parse(const struct ws_ext_offer *elem, enum ws_pmd_side side,
                           struct ws_pmd_params *out, size_t *bad)
{
    if (!elem || !out || elem->n_params > WS_EXT_MAX_PARAMS)
        return WS_E_INVALID_ARGUMENT;
    struct ws_pmd_params p = {0};
    bool seen[PMD_PARAM_COUNT] = {false};
    enum ws_error e = WS_E_OK;
    size_t i;
    for (i = 0; i < elem->n_params; i++) {
        const struct ws_ext_param *pm = &elem->params[i];
        enum ws_pmd_param which = ws_pmd_param_of(pm->name);
        /* Section 7: "...an extension parameter not defined for use in an offer" /
         * "...in a response". The four are defined for both. */
        if (which == PMD_PARAM_NONE) {
            e = WS_E_PMD_PARAM_UNKNOWN;
            break;
        }
        /* Section 7: "...multiple extension parameters with the same name." */
        if (seen[which]) {
            e = WS_E_PMD_PARAM_DUPLICATE;
            break;
        }
        seen[which] = true;
        /* Section 7: "...an extension parameter with an invalid value." */
        if (!ws_pmd_take(which, pm, side, &p)) {
            e = WS_E_PMD_PARAM_VALUE;
            break;
        }
    }
    if (e != WS_E_OK) {
        memset(out, 0, sizeof *out);
        if (bad)
            *bad = i;
        return e;
    }
    *out = p;
    return WS_E_OK;
}

/* ------------------------------------------------------------ writing */

struct ws_pmd_writer {
    char *out;
    size_t cap, len;
    bool full;
};

static void ws_pmd_put(struct ws_pmd_writer *w, const char *s)
{
    size_t n = strlen(s);
    if (w->full || n >= w->cap - w->len) { /* room for the NUL too */
        w->full = true;
        return;
    }
    memcpy(w->out + w->len, s, n);
    w->len += n;
}

/* "; name" or "; name=value". Any uint8_t value is written in decimal, in range or
 * not: the writer does not judge (a tester may send 16 on purpose); the parser does. */
static void ws_pmd_put_param(struct ws_pmd_writer *w, enum ws_pmd_param which, bool with_value,
                             uint8_t value)
{
    ws_pmd_put(w, "; ");
    ws_pmd_put(w, ws_pmd_param_names[which]);
    if (!with_value)
        return;
    char num[5] = {'=', 0, 0, 0, 0};
    size_t k = 1;
    if (value >= 100)
        num[k++] = (char)('0' + value / 100);
    if (value >= 10)
        num[k++] = (char)('0' + value / 10 % 10);
    num[k] = (char)('0' + value % 10);
    ws_pmd_put(w, num);
}

size_t ws_pmd_format(const struct ws_pmd_params *p, char *out, size_t cap)
{
    if (!p || !out || cap == 0)
        return 0;
    struct ws_pmd_writer w = {out, cap, 0, false};
    ws_pmd_put(&w, WS_PMD_NAME);
    if (p->server_no_context_takeover)
        ws_pmd_put_param(&w, PMD_SERVER_NO_CONTEXT_TAKEOVER, false, 0);
    if (p->client_no_context_takeover)
        ws_pmd_put_param(&w, PMD_CLIENT_NO_CONTEXT_TAKEOVER, false, 0);
    if (p->server_max_window_bits)
        ws_pmd_put_param(&w, PMD_SERVER_MAX_WINDOW_BITS, true, p->server_max_window_bits);
    if (p->client_max_window_bits)
        ws_pmd_put_param(&w, PMD_CLIENT_MAX_WINDOW_BITS, true, p->client_max_window_bits);
    else if (p->client_max_window_bits_bare)
        ws_pmd_put_param(&w, PMD_CLIENT_MAX_WINDOW_BITS, false, 0);
    if (w.full) {
        out[0] = '\0';
        return 0;
    }
    out[w.len] = '\0';
    return w.len;
}

/* ------------------------------------------------------------ server */

static uint8_t ws_pmd_min_bits(uint8_t a, uint8_t b)
{
    return a < b ? a : b;
}

/* Preferences a server can act on: every window 0 or 8-15. */
static bool ws_pmd_prefs_valid(const struct ws_pmd_server_prefs *prefs)
{
    return (prefs->server_max_window_bits == 0 ||
            ws_pmd_bits_valid(prefs->server_max_window_bits)) &&
           (prefs->client_max_window_bits == 0 || ws_pmd_bits_valid(prefs->client_max_window_bits));
}

/* The response to one valid offer. Every valid offer can be honoured: the deflater
 * compresses with any window from 8 to 15 (ws_deflate.h), the inflater takes any, and
 * no-context-takeover is a reset either side can do. So "The server doesn't support
 * the offered configuration" (section 7) never applies here. */
static void ws_pmd_respond(const struct ws_pmd_params *offer,
                           const struct ws_pmd_server_prefs *prefs, struct ws_pmd_params *r)
{
    memset(r, 0, sizeof *r);
    /* 7.1.1.1: "A server accepts an extension negotiation offer that includes the
     * "server_no_context_takeover" extension parameter by including the
     * "server_no_context_takeover" extension parameter in the corresponding extension
     * negotiation response to send back to the client." And: "A server MAY include the
     * "server_no_context_takeover" extension parameter in an extension negotiation
     * response even if the extension negotiation offer being accepted by the extension
     * negotiation response didn't include the "server_no_context_takeover" extension
     * parameter." */
    r->server_no_context_takeover =
        offer->server_no_context_takeover || prefs->server_no_context_takeover;
    /* 7.1.1.2: "A server MAY include the "client_no_context_takeover" extension
     * parameter in an extension negotiation response.  If the received extension
     * negotiation offer includes the "client_no_context_takeover" extension parameter,
     * the server may either ignore the parameter or use the parameter to avoid taking
     * over the LZ77 sliding window unnecessarily by including the
     * "client_no_context_takeover" extension parameter in the corresponding extension
     * negotiation response to the offer." It is confirmed when offered: the server can
     * then release its inflate window between messages. */
    r->client_no_context_takeover =
        offer->client_no_context_takeover || prefs->client_no_context_takeover;
    /* 7.1.2.1: "A server accepts an extension negotiation offer with this parameter by
     * including the "server_max_window_bits" extension parameter in the extension
     * negotiation response to send back to the client with the same or smaller value
     * as the offer." And: "A server MAY include the "server_max_window_bits" extension
     * parameter in an extension negotiation response even if the extension negotiation
     * offer being accepted by the response didn't include the "server_max_window_bits"
     * extension parameter." */
    if (offer->server_max_window_bits)
        r->server_max_window_bits =
            prefs->server_max_window_bits
                ? ws_pmd_min_bits(offer->server_max_window_bits, prefs->server_max_window_bits)
                : offer->server_max_window_bits;
    else
        r->server_max_window_bits = prefs->server_max_window_bits;
    /* 7.1.2.2: "If a received extension negotiation offer doesn't have the
     * "client_max_window_bits" extension parameter, the corresponding extension
     * negotiation response to the offer MUST NOT include the "client_max_window_bits"
     * extension parameter." When the offer has it: "If the "client_max_window_bits"
     * extension parameter in a received extension negotiation offer has a value, the
     * server may either ignore this value or use this value to avoid allocating an
     * unnecessarily big LZ77 sliding window by including the "client_max_window_bits"
     * extension parameter in the corresponding extension negotiation response to the
     * offer with a value equal to or smaller than the received value." Asked for only
     * when the server wants a smaller window (prefs); otherwise left out: "Absence of
     * this extension parameter in an extension negotiation response indicates that the
     * server can receive messages compressed using an LZ77 sliding window of up to
     * 32,768 bytes." */
    bool offered = offer->client_max_window_bits || offer->client_max_window_bits_bare;
    if (offered && prefs->client_max_window_bits)
        r->client_max_window_bits =
            offer->client_max_window_bits
                ? ws_pmd_min_bits(offer->client_max_window_bits, prefs->client_max_window_bits)
                : prefs->client_max_window_bits;
}

bool ws_pmd_server_answer(const struct ws_ext_offer *elems, size_t n,
                          const struct ws_pmd_server_prefs *prefs, struct ws_pmd_params *agreed,
                          char *out, size_t cap)
{
    static const struct ws_pmd_server_prefs no_prefs = {0};
    if (agreed)
        memset(agreed, 0, sizeof *agreed);
    if (out && cap)
        out[0] = '\0';
    if (!prefs)
        prefs = &no_prefs;
    if ((!elems && n) || !agreed || !out || prefs->disabled || !ws_pmd_prefs_valid(prefs))
        return false;
    /* Section 5: "The order of elements is important as it specifies the client's
     * preference.  An element preceding another element has higher preference.  It
     * is recommended that a server accepts PMCEs with higher preference if the server
     * supports them." So the first offer the server can take. */
    for (size_t i = 0; i < n; i++) {
        struct ws_pmd_params offer, r;
        if (!ws_pmd_is(&elems[i]))
            continue;
        /* Section 7: "A server MUST decline an extension negotiation offer for this
         * extension if ..." the offer breaks a parameter rule: skip it and go on. */
        if (ws_pmd_parse(&elems[i], WS_PMD_OFFER, &offer, NULL) != WS_E_OK)
            continue;
        ws_pmd_respond(&offer, prefs, &r);
        if (ws_pmd_format(&r, out, cap) == 0)
            return false; /* cap below WS_PMD_FORMAT_MAX: misuse, nothing accepted */
        *agreed = r;
        return true;
    }
    return false;
}

/* ------------------------------------------------------------ client */

/* Does this offer allow the response r? Every constraint the offer put on the server
 * must hold; what the offer leaves open, the server may choose. */
static bool ws_pmd_offer_allows(const struct ws_pmd_params *offer, const struct ws_pmd_params *r)
{
    /* 7.1.1.1: an offered server_no_context_takeover is accepted only by including it
     * in the response (quoted at ws_pmd_respond); without it the server keeps its
     * context, which the offer forbade ("By including this extension parameter in an
     * extension negotiation offer, a client prevents the peer server from using context
     * takeover."). Present but not offered is allowed (a server MAY include it). */
    if (offer->server_no_context_takeover && !r->server_no_context_takeover)
        return false;
    /* 7.1.2.1: an offered server_max_window_bits is accepted "by including the
     * "server_max_window_bits" extension parameter in the extension negotiation
     * response to send back to the client with the same or smaller value as the
     * offer." Not offered: any value is allowed ("A server MAY include ... even if ...
     * didn't include"). */
    if (offer->server_max_window_bits &&
        (!r->server_max_window_bits || r->server_max_window_bits > offer->server_max_window_bits))
        return false;
    /* 7.1.2.2: client_max_window_bits only if the offer had it, and "with a value equal
     * to or smaller than the received value" when the offer gave one. */
    if (r->client_max_window_bits) {
        if (!offer->client_max_window_bits && !offer->client_max_window_bits_bare)
            return false;
        if (offer->client_max_window_bits &&
            r->client_max_window_bits > offer->client_max_window_bits)
            return false;
    }
    /* client_no_context_takeover in the response is always allowed: 7.1.1.2, "A client
     * MUST support the "client_no_context_takeover" extension parameter." */
    return true;
}

/* The one permessage-deflate element of a response, judged against the offers. */
static enum ws_error ws_pmd_check_one(const struct ws_ext_offer *elem,
                                      const struct ws_pmd_params *offers, size_t n_offers,
                                      struct ws_pmd_params *r)
{
    /* Section 5: "If a server gives an invalid response, such as accepting a PMCE that
     * the client did not offer, the client MUST _Fail the WebSocket Connection_." */
    if (n_offers == 0)
        return WS_E_PMD_NOT_OFFERED;
    enum ws_error e = ws_pmd_parse(elem, WS_PMD_RESPONSE, r, NULL);
    if (e != WS_E_OK)
        return e;
    bool any_allows = false, any_client_bits = false;
    for (size_t k = 0; k < n_offers; k++) {
        any_client_bits = any_client_bits || offers[k].client_max_window_bits ||
                          offers[k].client_max_window_bits_bare;
        any_allows = any_allows || ws_pmd_offer_allows(&offers[k], r);
    }
    /* 7.1.2.2: "If a received extension negotiation offer doesn't have the
     * "client_max_window_bits" extension parameter, the corresponding extension
     * negotiation response to the offer MUST NOT include the "client_max_window_bits"
     * extension parameter." - named on its own when no offer had it at all. */
    if (r->client_max_window_bits && !any_client_bits)
        return WS_E_PMD_CLIENT_BITS_NOT_OFFERED;
    /* Section 7: "The client does not support the configuration that the response
     * represents." - what no offer allows. */
    return any_allows ? WS_E_OK : WS_E_PMD_UNSUPPORTED;
}

enum ws_error ws_pmd_client_check(const struct ws_ext_offer *elems, size_t n,
                                  const struct ws_pmd_params *offers, size_t n_offers,
                                  bool *accepted, struct ws_pmd_params *agreed, size_t *bad_elem)
{
    if ((!elems && n) || (!offers && n_offers) || !accepted || !agreed)
        return WS_E_INVALID_ARGUMENT;
    *accepted = false;
    memset(agreed, 0, sizeof *agreed);
    struct ws_pmd_params r = {0};
    bool found = false;
    /* Elements in order: the first problem met is the one reported. */
    for (size_t i = 0; i < n; i++) {
        if (!ws_pmd_is(&elems[i]))
            continue;
        /* Section 5: "A server MUST NOT accept a PMCE extension negotiation offer
         * together with another extension if the PMCE will conflict with the extension
         * on their use of the RSV1 bit.  A client that received a response accepting a
         * PMCE extension negotiation offer together with such an extension MUST _Fail
         * the WebSocket Connection_." A second permessage-deflate is such an extension:
         * both would mean RSV1. */
        enum ws_error e =
            found ? WS_E_PMD_RESPONSE_TWICE : ws_pmd_check_one(&elems[i], offers, n_offers, &r);
        if (e != WS_E_OK) {
            memset(agreed, 0, sizeof *agreed);
            if (bad_elem)
                *bad_elem = i;
            return e;
        }
        found = true;
        *agreed = r;
    }
    *accepted = found;
    return WS_E_OK;
}

/* ------------------------------------------------------------ settings */

static uint8_t ws_pmd_window(uint8_t bits)
{
    /* 7.1.2.1/7.1.2.2: absent means "an LZ77 sliding window of up to 32,768 bytes". */
    return bits ? bits : WS_PMD_BITS_MAX;
}

void ws_pmd_side_config(const struct ws_pmd_params *agreed, enum ws_role role,
                        struct ws_pmd_side_config *out)
{
    if (!out)
        return;
    static const struct ws_pmd_params none = {0};
    const struct ws_pmd_params *p = agreed ? agreed : &none;
    /* The "server_" parameters govern what the server compresses and the client
     * inflates; the "client_" ones the other direction. */
    struct ws_pmd_side_config server = {
        ws_pmd_window(p->server_max_window_bits), p->server_no_context_takeover,
        ws_pmd_window(p->client_max_window_bits), p->client_no_context_takeover};
    if (role == WS_ROLE_SERVER) {
        *out = server;
        return;
    }
    out->send_window_bits = server.recv_window_bits;
    out->send_no_context_takeover = server.recv_no_context_takeover;
    out->recv_window_bits = server.send_window_bits;
    out->recv_no_context_takeover = server.send_no_context_takeover;
}

/*
 * ws_pmd.h - negotiating permessage-deflate (RFC 7692 sections 5 and 7.1), sans-IO.
 *
 * Works on the elements ws_ext_parse() makes of a Sec-WebSocket-Extensions value: it
 * reads the parameters of one permessage-deflate element (an offer or a response),
 * picks the offer a server accepts and writes its response element, and checks a
 * server's response against what a client offered. Nothing is allocated; the
 * compression itself is ws_deflate.h.
 *
 * The parameters (RFC 7692 section 7.1):
 *   server_no_context_takeover          offer and response, no value
 *   client_no_context_takeover          offer and response, no value
 *   server_max_window_bits=8..15        offer and response, value required
 *   client_max_window_bits[=8..15]      offer: value optional; response: value required,
 *                                       and only if the offer had the parameter
 * A value is a decimal integer without leading zeros, as a token or a quoted string.
 */
#ifndef WS_PMD_H
#define WS_PMD_H

#include "ws_core.h"
#include "ws_ext.h"

#define WS_PMD_NAME "permessage-deflate"
/* Longest element ws_pmd_format() writes (all four parameters, longest values), with
 * its NUL. */
#define WS_PMD_FORMAT_MAX 160

/* One permessage-deflate element's parameters. Zero = the element has no parameters. */
struct ws_pmd_params {
    bool server_no_context_takeover;
    bool client_no_context_takeover;
    uint8_t server_max_window_bits;   /* 8-15; 0 = absent */
    uint8_t client_max_window_bits;   /* 8-15; 0 = absent, or present without a value
                                         (then client_max_window_bits_bare) */
    bool client_max_window_bits_bare; /* offer only: client_max_window_bits without a
                                         value ("the client supports it", 7.1.2.2) */
};

/* Which side wrote the element being read. */
enum ws_pmd_side { WS_PMD_OFFER = 0, WS_PMD_RESPONSE = 1 };

/* Is this element permessage-deflate? (Extension names are compared byte for byte,
 * as the rest of the core compares them.) */
bool ws_pmd_is(const struct ws_ext_offer *elem);

/* Read one permessage-deflate element's parameters into *out (zeroed first).
 * Returns WS_E_OK or the rule the element breaks, with *bad = index of the offending
 * parameter in elem->params:
 *   WS_E_PMD_PARAM_UNKNOWN    a parameter RFC 7692 does not define
 *   WS_E_PMD_PARAM_DUPLICATE  a parameter given twice
 *   WS_E_PMD_PARAM_VALUE      a value where none is allowed, none where one is
 *                             required, or a value that is not 8-15 in the exact
 *                             decimal form (a quoted value is judged once unescaped:
 *                             "10" and "\1\0" are 10)
 *   WS_E_INVALID_ARGUMENT     elem or out NULL
 * On error *out is all zero. bad may be NULL.
 * (A response's client_max_window_bits the offer did not have is ws_pmd_client_check's
 * business, not this function's.) */
enum ws_error ws_pmd_parse(const struct ws_ext_offer *elem, enum ws_pmd_side side,
                           struct ws_pmd_params *out, size_t *bad);

/* Write p as one element ("permessage-deflate; server_no_context_takeover; ...",
 * parameters in the order of struct ws_pmd_params) into out (NUL-terminated).
 * Returns its length, or 0 when cap is too small. */
size_t ws_pmd_format(const struct ws_pmd_params *p, char *out, size_t cap);

/* What a server is willing to do. Zero-filled = accept any valid offer it can honour,
 * ask for nothing. */
struct ws_pmd_server_prefs {
    bool disabled;                   /* decline every offer */
    bool server_no_context_takeover; /* always answer server_no_context_takeover */
    bool client_no_context_takeover; /* always answer client_no_context_takeover */
    uint8_t server_max_window_bits;  /* compress with at most this window (8-15; 0 =
                                        15, or what the offer asks) and say so */
    uint8_t client_max_window_bits;  /* ask the client for this window when its offer
                                        allows it (8-15; 0 = do not ask) */
};

/* Server (RFC 7692 section 7: "A server MUST decline an extension negotiation offer
 * for this extension if any of the following conditions are met: ..."): go through
 * the request's elements in order and accept the first permessage-deflate offer that
 * is valid and that the server can honour; invalid ones are declined and skipped. On
 * acceptance returns true with *agreed (what both sides now use: the response's
 * parameters) and the response element written to out (NUL-terminated, cap >=
 * WS_PMD_FORMAT_MAX). false: nothing accepted, answer without permessage-deflate
 * (*agreed zeroed, out ""); also for prefs with a window outside 8-15 (other than 0),
 * or a cap too small. prefs NULL = zero-filled prefs. Every valid offer can be
 * honoured (windows 8-15 both ways, ws_deflate.h), so the first valid one is taken.
 * The response: server_no_context_takeover when offered or prefs say so;
 * client_no_context_takeover likewise; server_max_window_bits = the smaller of the
 * offer's and prefs' when offered, prefs' when not offered (7.1.2.1 allows it), absent
 * otherwise; client_max_window_bits only when the offer had the parameter and prefs
 * ask for a window: the smaller of the offer's value (if any) and prefs'. */
bool ws_pmd_server_answer(const struct ws_ext_offer *elems, size_t n,
                          const struct ws_pmd_server_prefs *prefs, struct ws_pmd_params *agreed,
                          char *out, size_t cap);

/* Client: check the response's elements (every element of every
 * Sec-WebSocket-Extensions field of the 101) against the permessage-deflate offers the
 * request made (offers[0..n_offers), in the order sent). Elements other than
 * permessage-deflate are not this function's business. Returns WS_E_OK with *accepted
 * false (no permessage-deflate in the response) or true and *agreed = the response's
 * parameters; or the rule the response breaks (section 7: "A client MUST _Fail the
 * WebSocket Connection_ if the peer server accepted an extension negotiation offer for
 * this extension with an extension negotiation response meeting any of the following
 * conditions"):
 *   WS_E_PMD_PARAM_UNKNOWN / _DUPLICATE / _VALUE   as ws_pmd_parse, side RESPONSE
 *   WS_E_PMD_NOT_OFFERED      permessage-deflate answered but never offered
 *   WS_E_PMD_RESPONSE_TWICE   more than one permessage-deflate element
 *   WS_E_PMD_CLIENT_BITS_NOT_OFFERED  client_max_window_bits in the response, not in
 *                                     any offer (7.1.2.2)
 *   WS_E_PMD_UNSUPPORTED      a response no offer allows: it lacks a parameter every
 *                             offer required of the server (server_no_context_takeover,
 *                             or server_max_window_bits at most the offered value), or
 *                             its client_max_window_bits exceeds the value of every
 *                             offer that had the parameter
 *   WS_E_INVALID_ARGUMENT     a NULL array with a count, accepted or agreed NULL
 * An offer allows the response when every constraint it put on the server holds; one
 * such offer is enough. Elements are judged in order and the first problem is
 * reported (RESPONSE_TWICE at the second permessage-deflate element). *bad_elem =
 * index of the offending element in elems (bad_elem may be NULL); on error *agreed is
 * zeroed and *accepted false. */
enum ws_error ws_pmd_client_check(const struct ws_ext_offer *elems, size_t n,
                                  const struct ws_pmd_params *offers, size_t n_offers,
                                  bool *accepted, struct ws_pmd_params *agreed, size_t *bad_elem);

/* The deflate settings one side uses once negotiation agreed on p: the window it
 * compresses with and resets after each message (its own *_no_context_takeover), and
 * the window it inflates with and whether the peer resets (the peer's). An absent
 * window is 15. Only the agreed parameters count: a client whose offer carried hints
 * the response left out (client_max_window_bits=N, client_no_context_takeover, RFC
 * 7692 7.1.2.2 and 7.1.1.2: "the client is not going to use ...") keeps to them by
 * narrowing its own send settings; this function does not know the offer. */
struct ws_pmd_side_config {
    uint8_t send_window_bits; /* 8-15 */
    bool send_no_context_takeover;
    uint8_t recv_window_bits; /* 8-15 */
    bool recv_no_context_takeover;
};
void ws_pmd_side_config(const struct ws_pmd_params *agreed, enum ws_role role,
                        struct ws_pmd_side_config *out);

#endif

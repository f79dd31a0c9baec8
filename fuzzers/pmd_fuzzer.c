/*
 * pmd_fuzzer.c - permessage-deflate negotiation (ws_pmd_parse, ws_pmd_format,
 * ws_pmd_server_answer, ws_pmd_client_check, ws_pmd_side_config; RFC 7692 sections 5
 * and 7.1).
 *
 * Input: two bytes of server preferences, then a Sec-WebSocket-Extensions value of
 * offers, optionally followed by "\n" and a second value read as a server's response
 * ("\n" cannot occur inside a value, so the split is unambiguous).
 *   byte 0: bits 0-2 all set = disabled; bit 3 server_no_context_takeover; bit 4
 *           client_no_context_takeover
 *   byte 1: low nibble server_max_window_bits, high nibble client_max_window_bits
 *           (0-15 as they are: 1-7 are preferences a server cannot act on)
 *
 * Checked:
 *   - ws_pmd_parse of every permessage-deflate element, as offer and as response,
 *     against a direct reading of section 7.1 written here (same verdict, same
 *     offending parameter, same parameters); *out zero on error;
 *   - the server's answer against the same direct reading: accepted exactly when the
 *     server is enabled, its preferences valid and one offer valid; the response that
 *     of the first valid offer; then the answer, once parsed as a 101 would carry it,
 *     is one permessage-deflate element giving *agreed, and passes ws_pmd_client_check
 *     with the same offers and the same agreed parameters; the two sides' settings
 *     mirror each other, windows 8-15; responses near the agreed one (each flag
 *     flipped, each window removed or set to an offered value and one above it) are
 *     judged as below, so the boundaries are met whatever response the input holds;
 *   - format -> parse round trip of every valid offer;
 *   - the response value (after "\n"), checked against the valid offers: the same
 *     verdict and element as a direct reading of sections 5 and 7.1, the contract of
 *     ws_pmd_client_check (bad_elem names a permessage-deflate element, *agreed zero and
 *     *accepted false on error).
 */
#include "fuzz_input.h"

#include "ws_pmd.h"

FUZZ_NOCOV_BEGIN

/* ------------------------------------------------------------ the direct reading */

static bool lit(struct ws_slice s, const char *l)
{
    return s.len == strlen(l) && memcmp(s.ptr, l, s.len) == 0;
}

/* 1*DIGIT without leading zeros, 8-15, after unescaping a quoted value; 0 otherwise. */
static uint8_t ref_bits(const struct ws_ext_param *pm)
{
    char text[64];
    size_t n = 0;
    for (size_t i = 0; i < pm->value.len; i++) {
        char c = pm->value.ptr[i];
        if (pm->quoted && c == '\\' && i + 1 < pm->value.len)
            c = pm->value.ptr[++i];
        else if (pm->quoted && c == '\\')
            return 0;
        if (n == sizeof text)
            return 0;
        text[n++] = c;
    }
    if (n == 1 && text[0] >= '8' && text[0] <= '9')
        return (uint8_t)(text[0] - '0');
    if (n == 2 && text[0] == '1' && text[1] >= '0' && text[1] <= '5')
        return (uint8_t)(10 + text[1] - '0');
    return 0;
}

static enum ws_error ref_parse(const struct ws_ext_offer *e, enum ws_pmd_side side,
                               struct ws_pmd_params *p, size_t *bad)
{
    memset(p, 0, sizeof *p);
    int seen[4] = {0};
    for (size_t i = 0; i < e->n_params; i++) {
        const struct ws_ext_param *pm = &e->params[i];
        bool has = pm->value.ptr != NULL;
        int which = lit(pm->name, "server_no_context_takeover")   ? 0
                    : lit(pm->name, "client_no_context_takeover") ? 1
                    : lit(pm->name, "server_max_window_bits")     ? 2
                    : lit(pm->name, "client_max_window_bits")     ? 3
                                                                  : -1;
        *bad = i;
        if (which < 0)
            return WS_E_PMD_PARAM_UNKNOWN;
        if (seen[which]++)
            return WS_E_PMD_PARAM_DUPLICATE;
        bool ok;
        switch (which) {
        case 0: /* flags: no value */
        case 1:
            ok = !has;
            if (which == 0)
                p->server_no_context_takeover = true;
            else
                p->client_no_context_takeover = true;
            break;
        case 2: /* a value, always */
            ok = has && ref_bits(pm) != 0;
            p->server_max_window_bits = has ? ref_bits(pm) : 0;
            break;
        default: /* a value, or none in an offer */
            ok = has ? ref_bits(pm) != 0 : side == WS_PMD_OFFER;
            p->client_max_window_bits = has ? ref_bits(pm) : 0;
            p->client_max_window_bits_bare = !has;
            break;
        }
        if (!ok) {
            memset(p, 0, sizeof *p);
            return WS_E_PMD_PARAM_VALUE;
        }
    }
    return WS_E_OK;
}

static uint8_t min8(uint8_t a, uint8_t b)
{
    return a < b ? a : b;
}

static void ref_respond(const struct ws_pmd_params *o, const struct ws_pmd_server_prefs *pr,
                        struct ws_pmd_params *r)
{
    memset(r, 0, sizeof *r);
    r->server_no_context_takeover = o->server_no_context_takeover || pr->server_no_context_takeover;
    r->client_no_context_takeover = o->client_no_context_takeover || pr->client_no_context_takeover;
    if (o->server_max_window_bits && pr->server_max_window_bits)
        r->server_max_window_bits = min8(o->server_max_window_bits, pr->server_max_window_bits);
    else
        r->server_max_window_bits = o->server_max_window_bits | pr->server_max_window_bits;
    bool had = o->client_max_window_bits || o->client_max_window_bits_bare;
    if (had && pr->client_max_window_bits)
        r->client_max_window_bits =
            o->client_max_window_bits ? min8(o->client_max_window_bits, pr->client_max_window_bits)
                                      : pr->client_max_window_bits;
}

static bool ref_allows(const struct ws_pmd_params *o, const struct ws_pmd_params *r)
{
    if (o->server_no_context_takeover && !r->server_no_context_takeover)
        return false;
    if (o->server_max_window_bits &&
        !(r->server_max_window_bits && r->server_max_window_bits <= o->server_max_window_bits))
        return false;
    if (!r->client_max_window_bits)
        return true;
    if (o->client_max_window_bits_bare)
        return true;
    return o->client_max_window_bits && r->client_max_window_bits <= o->client_max_window_bits;
}

static enum ws_error ref_client_check(const struct ws_ext_offer *e, size_t n,
                                      const struct ws_pmd_params *offers, size_t k,
                                      struct ws_pmd_params *agreed, size_t *bad)
{
    memset(agreed, 0, sizeof *agreed);
    size_t seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (!lit(e[i].name, "permessage-deflate"))
            continue;
        *bad = i;
        if (seen++)
            return WS_E_PMD_RESPONSE_TWICE;
        if (k == 0)
            return WS_E_PMD_NOT_OFFERED;
        size_t pbad;
        enum ws_error pe = ref_parse(&e[i], WS_PMD_RESPONSE, agreed, &pbad);
        if (pe != WS_E_OK)
            return pe;
        bool bits_offered = false, allowed = false;
        for (size_t j = 0; j < k; j++) {
            bits_offered |=
                offers[j].client_max_window_bits || offers[j].client_max_window_bits_bare;
            allowed |= ref_allows(&offers[j], agreed);
        }
        if (agreed->client_max_window_bits && !bits_offered)
            return WS_E_PMD_CLIENT_BITS_NOT_OFFERED;
        if (!allowed)
            return WS_E_PMD_UNSUPPORTED;
    }
    return WS_E_OK;
}

/* ------------------------------------------------------------ checks */

static bool same(const struct ws_pmd_params *a, const struct ws_pmd_params *b)
{
    return a->server_no_context_takeover == b->server_no_context_takeover &&
           a->client_no_context_takeover == b->client_no_context_takeover &&
           a->server_max_window_bits == b->server_max_window_bits &&
           a->client_max_window_bits == b->client_max_window_bits &&
           a->client_max_window_bits_bare == b->client_max_window_bits_bare;
}

static bool is_zero(const struct ws_pmd_params *p)
{
    static const struct ws_pmd_params zero;
    return same(p, &zero);
}

/* ws_pmd_parse against the direct reading, one side. */
static void check_parse(const struct ws_ext_offer *e, enum ws_pmd_side side,
                        struct ws_pmd_params *out, enum ws_error *err)
{
    struct ws_pmd_params ref;
    size_t bad = SIZE_MAX, ref_bad = SIZE_MAX;
    memset(out, 0xA5, sizeof *out);
    *err = ws_pmd_parse(e, side, out, &bad);
    enum ws_error ref_e = ref_parse(e, side, &ref, &ref_bad);
    FUZZ_CHECK(*err == ref_e);
    if (*err == WS_E_OK) {
        FUZZ_CHECK(bad == SIZE_MAX && same(out, &ref));
        FUZZ_CHECK(side == WS_PMD_OFFER || !out->client_max_window_bits_bare);
    } else {
        FUZZ_CHECK(bad == ref_bad && bad < e->n_params && is_zero(out));
    }
}

/* format -> ws_ext_parse -> ws_pmd_parse gives p back. */
static void check_round_trip(const struct ws_pmd_params *p, enum ws_pmd_side side)
{
    char text[WS_PMD_FORMAT_MAX];
    size_t len = ws_pmd_format(p, text, sizeof text);
    FUZZ_CHECK(len > 0 && len < sizeof text && strlen(text) == len);
    struct ws_ext_offer e[2];
    size_t n = 0;
    FUZZ_CHECK(ws_ext_parse(text, len, e, 2, &n, NULL) == WS_E_OK && n == 1);
    FUZZ_CHECK(ws_pmd_is(&e[0]));
    struct ws_pmd_params back;
    FUZZ_CHECK(ws_pmd_parse(&e[0], side, &back, NULL) == WS_E_OK && same(&back, p));
}

static void check_sides(const struct ws_pmd_params *agreed)
{
    struct ws_pmd_side_config s, c;
    ws_pmd_side_config(agreed, WS_ROLE_SERVER, &s);
    ws_pmd_side_config(agreed, WS_ROLE_CLIENT, &c);
    FUZZ_CHECK(s.send_window_bits >= 8 && s.send_window_bits <= 15);
    FUZZ_CHECK(s.recv_window_bits >= 8 && s.recv_window_bits <= 15);
    FUZZ_CHECK(s.send_window_bits == c.recv_window_bits &&
               s.recv_window_bits == c.send_window_bits);
    FUZZ_CHECK(s.send_no_context_takeover == c.recv_no_context_takeover &&
               s.recv_no_context_takeover == c.send_no_context_takeover);
    FUZZ_CHECK(s.send_no_context_takeover == agreed->server_no_context_takeover &&
               c.send_no_context_takeover == agreed->client_no_context_takeover);
}

static void check_response(const char *v, size_t len, const struct ws_pmd_params *offers, size_t k);

/* Responses near the agreed one, at the boundaries the offers set: each flag flipped,
 * each window removed, and set to every offered window and one above it - judged like
 * any response, so the check meets its edges whatever the input's own response is. */
static void check_near(const struct ws_pmd_params *agreed, const struct ws_pmd_params *offers,
                       size_t k)
{
    for (size_t v = 0; v < 4 + 4 * k; v++) {
        struct ws_pmd_params r = *agreed;
        const struct ws_pmd_params *o = &offers[v < 4 ? 0 : (v - 4) / 4];
        switch (v < 4 ? v : 4 + (v - 4) % 4) {
        case 0:
            r.server_no_context_takeover = !r.server_no_context_takeover;
            break;
        case 1:
            r.client_no_context_takeover = !r.client_no_context_takeover;
            break;
        case 2:
            r.server_max_window_bits = 0;
            break;
        case 3:
            r.client_max_window_bits = 0;
            break;
        case 4:
            r.server_max_window_bits = o->server_max_window_bits;
            break;
        case 5:
            r.server_max_window_bits = (uint8_t)(o->server_max_window_bits + 1);
            break;
        case 6:
            r.client_max_window_bits = o->client_max_window_bits;
            break;
        default:
            r.client_max_window_bits = (uint8_t)(o->client_max_window_bits + 1);
            break;
        }
        char text[WS_PMD_FORMAT_MAX];
        size_t len = ws_pmd_format(&r, text, sizeof text);
        FUZZ_CHECK(len > 0);
        check_response(text, len, offers, k);
    }
}

/* The server's answer, then the client's view of it. */
static void check_answer(const struct ws_ext_offer *e, size_t n,
                         const struct ws_pmd_server_prefs *prefs,
                         const struct ws_pmd_params *offers, size_t k)
{
    char out[WS_PMD_FORMAT_MAX];
    struct ws_pmd_params agreed;
    memset(&agreed, 0xA5, sizeof agreed);
    bool ok = ws_pmd_server_answer(e, n, prefs, &agreed, out, sizeof out);
    bool valid_prefs = (prefs->server_max_window_bits == 0 || prefs->server_max_window_bits >= 8) &&
                       (prefs->client_max_window_bits == 0 || prefs->client_max_window_bits >= 8);
    FUZZ_CHECK(ok == (!prefs->disabled && valid_prefs && k > 0));
    if (!ok) {
        FUZZ_CHECK(out[0] == '\0' && is_zero(&agreed));
        return;
    }
    struct ws_pmd_params want;
    ref_respond(&offers[0], prefs, &want);
    FUZZ_CHECK(same(&agreed, &want));
    size_t len = strlen(out);
    FUZZ_CHECK(len > 0 && len < WS_PMD_FORMAT_MAX);

    char *text = (char *)fuzz_dup((const uint8_t *)out, len);
    struct ws_ext_offer resp[2];
    size_t rn = 0;
    FUZZ_CHECK(ws_ext_parse(text, len, resp, 2, &rn, NULL) == WS_E_OK && rn == 1);
    FUZZ_CHECK(ws_pmd_is(&resp[0]));
    struct ws_pmd_params back;
    FUZZ_CHECK(ws_pmd_parse(&resp[0], WS_PMD_RESPONSE, &back, NULL) == WS_E_OK);
    FUZZ_CHECK(same(&back, &agreed));
    bool accepted = false;
    struct ws_pmd_params client_agreed;
    size_t bad = SIZE_MAX;
    FUZZ_CHECK(ws_pmd_client_check(resp, rn, offers, k, &accepted, &client_agreed, &bad) ==
               WS_E_OK);
    FUZZ_CHECK(accepted && bad == SIZE_MAX && same(&client_agreed, &agreed));
    free(text);
    check_sides(&agreed);
    check_near(&agreed, offers, k);
}

/* A server's response value against the client's offers. */
static void check_response(const char *v, size_t len, const struct ws_pmd_params *offers, size_t k)
{
    static struct ws_ext_offer e[WS_EXT_MAX_OFFERS];
    size_t n = 0;
    if (ws_ext_parse(v, len, e, WS_EXT_MAX_OFFERS, &n, NULL) != WS_E_OK)
        return;
    bool accepted = true;
    struct ws_pmd_params agreed, ref_agreed;
    memset(&agreed, 0xA5, sizeof agreed);
    size_t bad = SIZE_MAX, ref_bad = SIZE_MAX;
    enum ws_error got = ws_pmd_client_check(e, n, offers, k, &accepted, &agreed, &bad);
    enum ws_error want = ref_client_check(e, n, offers, k, &ref_agreed, &ref_bad);
    FUZZ_CHECK(got == want);
    if (got != WS_E_OK) {
        FUZZ_CHECK(bad == ref_bad && bad < n && ws_pmd_is(&e[bad]));
        FUZZ_CHECK(!accepted && is_zero(&agreed));
        return;
    }
    bool any = false;
    for (size_t i = 0; i < n; i++)
        any |= ws_pmd_is(&e[i]);
    FUZZ_CHECK(accepted == any && bad == SIZE_MAX);
    FUZZ_CHECK(same(&agreed, any ? &ref_agreed : &(struct ws_pmd_params){0}));
    if (accepted)
        check_sides(&agreed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    uint8_t b0 = fuzz_u8(&in), b1 = fuzz_u8(&in);
    struct ws_pmd_server_prefs prefs = {0};
    prefs.disabled = (b0 & 7) == 7;
    prefs.server_no_context_takeover = (b0 >> 3) & 1;
    prefs.client_no_context_takeover = (b0 >> 4) & 1;
    prefs.server_max_window_bits = b1 & 15;
    prefs.client_max_window_bits = (uint8_t)(b1 >> 4);

    const uint8_t *nl = in.n ? memchr(in.p, '\n', in.n) : NULL;
    size_t offer_len = nl ? (size_t)(nl - in.p) : in.n;
    char *value = (char *)fuzz_dup(in.p, offer_len);

    static struct ws_ext_offer e[WS_EXT_MAX_OFFERS];
    size_t n = 0;
    if (ws_ext_parse(value, offer_len, e, WS_EXT_MAX_OFFERS, &n, NULL) != WS_E_OK) {
        free(value);
        return 0;
    }
    struct ws_pmd_params offers[WS_EXT_MAX_OFFERS];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!ws_pmd_is(&e[i]))
            continue;
        struct ws_pmd_params as_response;
        enum ws_error offer_e, resp_e;
        check_parse(&e[i], WS_PMD_RESPONSE, &as_response, &resp_e);
        check_parse(&e[i], WS_PMD_OFFER, &offers[k], &offer_e);
        if (resp_e == WS_E_OK)
            check_round_trip(&as_response, WS_PMD_RESPONSE);
        if (offer_e == WS_E_OK)
            check_round_trip(&offers[k++], WS_PMD_OFFER);
    }
    check_answer(e, n, &prefs, offers, k);
    if (nl) {
        size_t rlen = in.n - offer_len - 1;
        char *resp = (char *)fuzz_dup(nl + 1, rlen);
        check_response(resp, rlen, offers, k);
        free(resp);
    }
    free(value);
    return 0;
}

FUZZ_NOCOV_END

/*
 * ws_handshake.c - the opening handshake of RFC 6455 section 4: HTTP/1.x header
 * blocks parsed in place, the section 4.2.1 (server) and 4.1 (client) checks, the
 * accept key, and builders for request, 101 response and refusal.
 *
 * The parsers re-read the block from its first byte on every call, so the caller's
 * only state is its buffer: give everything received so far, get INCOMPLETE until the
 * empty line arrives. Each call is one linear pass over at most max_block bytes, so
 * re-reading costs at most max_block per read and a peer cannot make it quadratic
 * beyond that bound. The first byte that cannot continue the grammar is reported as
 * soon as it is present, so a peer sending garbage gets its verdict without the
 * server waiting for an empty line that may never come. Bytes after the block are
 * never looked at: they are frames pipelined behind the handshake.
 *
 * Validation (which headers, which values) is kept apart from parsing (which bytes)
 * so that a test peer can parse anything a server sends and judge it rule by rule.
 * SHA-1 and base64 encoding come from OpenSSL; only the checks that decide
 * conformance (is this key 16 bytes of base64?) are written here.
 */
#include "ws_handshake.h"

#include "ws_ext.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

/* ---------------------------------------------------------------------------
 * Character classes (RFC 9110 section 5.6.2 token, section 5.6.3 OWS)
 * ------------------------------------------------------------------------- */

static unsigned char ws_hs_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* ASCII case-insensitive comparison of a slice with a C string. */
static bool ws_hs_eq_nocase(struct ws_slice s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (ws_hs_lower((unsigned char)s.ptr[i]) != ws_hs_lower((unsigned char)lit[i]))
            return false;
    return true;
}

/* Byte-exact comparison of a slice with a C string. */
static bool ws_hs_eq(struct ws_slice s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && (n == 0 || memcmp(s.ptr, lit, n) == 0);
}

static bool ws_hs_is_token(struct ws_slice s)
{
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (!ws_is_tchar((unsigned char)s.ptr[i]))
            return false;
    return true;
}

/* ---------------------------------------------------------------------------
 * Header block scanner
 * ------------------------------------------------------------------------- */

/* Outcome of one step of the scan. MORE: ran out of bytes; FULL: one header field more
 * than WS_HTTP_MAX_HEADERS; BAD: a byte the grammar does not allow, at scan.bad. */
enum ws_hs_step { WS_HS_OK, WS_HS_MORE, WS_HS_FULL, WS_HS_BAD };

struct ws_hs_scan {
    const unsigned char *p;
    size_t end; /* min(len, max_block): nothing at or past it is read */
    size_t pos;
    size_t bad;
};

static enum ws_hs_step ws_hs_bad(struct ws_hs_scan *s, size_t at)
{
    s->bad = at;
    return WS_HS_BAD;
}

/* Line end: CRLF, or a bare LF. RFC 9112 section 2.2: "Although the line terminator
 * for the start-line and fields is the sequence CRLF, a recipient MAY recognize a
 * single LF as a line terminator and ignore any preceding CR."
 * A CR not followed by LF is invalid, reported at the CR. RFC 9112 section 2.2: "A
 * recipient of such a bare CR MUST consider that element to be invalid or replace
 * each bare CR with SP before processing the element or forwarding the message." */
static enum ws_hs_step ws_hs_eol(struct ws_hs_scan *s)
{
    if (s->pos == s->end)
        return WS_HS_MORE;
    if (s->p[s->pos] == '\n') {
        s->pos++;
        return WS_HS_OK;
    }
    if (s->p[s->pos] != '\r')
        return ws_hs_bad(s, s->pos);
    if (s->pos + 1 == s->end)
        return WS_HS_MORE;
    if (s->p[s->pos + 1] != '\n')
        return ws_hs_bad(s, s->pos);
    s->pos += 2;
    return WS_HS_OK;
}

/* 1*tchar ending at the byte stop, which is consumed. */
static enum ws_hs_step ws_hs_token(struct ws_hs_scan *s, unsigned char stop, struct ws_slice *out)
{
    size_t start = s->pos;
    while (s->pos < s->end && ws_is_tchar(s->p[s->pos]))
        s->pos++;
    if (s->pos == s->end)
        return WS_HS_MORE;
    if (s->p[s->pos] != stop || s->pos == start)
        return ws_hs_bad(s, s->pos);
    out->ptr = (const char *)s->p + start;
    out->len = s->pos - start;
    s->pos++;
    return WS_HS_OK;
}

/* HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 section 2.3); "HTTP" is
 * case-sensitive. Each byte is judged as it comes, so "HTTX" fails at the X. */
static enum ws_hs_step ws_hs_version(struct ws_hs_scan *s, int *major, int *minor)
{
    static const char shape[] = "HTTP/0.0";
    int digits[2] = {0, 0};
    int nd = 0;
    for (size_t i = 0; shape[i]; i++) {
        if (s->pos == s->end)
            return WS_HS_MORE;
        unsigned char c = s->p[s->pos];
        if (shape[i] == '0') {
            if (c < '0' || c > '9')
                return ws_hs_bad(s, s->pos);
            digits[nd++] = c - '0';
        } else if (c != (unsigned char)shape[i]) {
            return ws_hs_bad(s, s->pos);
        }
        s->pos++;
    }
    *major = digits[0];
    *minor = digits[1];
    return WS_HS_OK;
}

/* Header fields up to and including the empty line that ends the block.
 *   field-line = field-name ":" OWS field-value OWS   (RFC 9112 section 5)
 * The stored value is trimmed of its OWS on both sides. */
static enum ws_hs_step ws_hs_fields(struct ws_hs_scan *s, struct ws_http_header *h, size_t *n)
{
    *n = 0;
    for (;;) {
        if (s->pos == s->end)
            return WS_HS_MORE;
        unsigned char c = s->p[s->pos];
        if (c == '\r' || c == '\n')
            return ws_hs_eol(s); /* the empty line: end of the block */
        /* A line opening with whitespace is obsolete line folding, or whitespace
         * between the start-line and the first field; both are refused.
         * RFC 9112 section 5.2: "A server that receives an obs-fold in a request
         * message that is not within a "message/http" container MUST either reject
         * the message by sending a 400 (Bad Request), preferably with a representation
         * explaining that obsolete line folding is unacceptable, or replace each
         * received obs-fold with one or more SP octets prior to interpreting the field
         * value or forwarding the message downstream." */
        if (ws_is_ows(c))
            return ws_hs_bad(s, s->pos);
        /* Fail as soon as the first byte of one field too many is seen. */
        if (*n == WS_HTTP_MAX_HEADERS)
            return WS_HS_FULL;
        struct ws_http_header *f = &h[*n];
        /* The name must run up to the colon. RFC 9112 section 5.1: "No whitespace is
         * allowed between the field name and colon." A space there fails at the
         * space, as does an empty name at the colon. */
        enum ws_hs_step st = ws_hs_token(s, ':', &f->name);
        if (st != WS_HS_OK)
            return st;
        while (s->pos < s->end && ws_is_ows(s->p[s->pos]))
            s->pos++;
        size_t start = s->pos, stop = s->pos;
        while (s->pos < s->end) {
            c = s->p[s->pos];
            if (c == '\r' || c == '\n')
                break;
            /* field-vchar = VCHAR / obs-text, with SP and HTAB between. NUL and the
             * other controls are refused. RFC 9110 section 5.5: "a recipient of CR,
             * LF, or NUL within a field value MUST either reject the message or
             * replace each of those characters with SP before further processing or
             * forwarding of that message." */
            if (!ws_is_ows(c) && (c < 0x21 || c == 0x7F))
                return ws_hs_bad(s, s->pos);
            s->pos++;
            if (!ws_is_ows(c))
                stop = s->pos;
        }
        st = ws_hs_eol(s);
        if (st != WS_HS_OK)
            return st;
        f->value.ptr = (const char *)s->p + start;
        f->value.len = stop - start;
        (*n)++;
    }
}

/* request-line = method SP request-target SP HTTP-version CRLF (RFC 9112 section 3) */
static enum ws_hs_step ws_hs_request(struct ws_hs_scan *s, struct ws_http_request *req)
{
    /* RFC 9112 section 2.2: "In the interest of robustness, a server that is
     * expecting to receive and parse a request-line SHOULD ignore at least one empty
     * line (CRLF) received prior to the request-line." */
    while (s->pos < s->end && (s->p[s->pos] == '\r' || s->p[s->pos] == '\n')) {
        enum ws_hs_step st = ws_hs_eol(s);
        if (st != WS_HS_OK)
            return st;
    }
    enum ws_hs_step st = ws_hs_token(s, ' ', &req->method);
    if (st != WS_HS_OK)
        return st;
    /* The target's own syntax is judged by ws_handshake_check_request (it answers
     * TARGET_INVALID); the parser only needs to know where it ends: it is one run of
     * bytes without SP or controls. */
    size_t start = s->pos;
    while (s->pos < s->end && s->p[s->pos] > 0x20 && s->p[s->pos] != 0x7F)
        s->pos++;
    if (s->pos == s->end)
        return WS_HS_MORE;
    if (s->p[s->pos] != ' ' || s->pos == start)
        return ws_hs_bad(s, s->pos);
    req->target.ptr = (const char *)s->p + start;
    req->target.len = s->pos - start;
    s->pos++;
    st = ws_hs_version(s, &req->version_major, &req->version_minor);
    if (st != WS_HS_OK)
        return st;
    st = ws_hs_eol(s);
    if (st != WS_HS_OK)
        return st;
    return ws_hs_fields(s, req->headers, &req->n_headers);
}

/* status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF
 * (RFC 9112 section 4). Both SPs are required; the reason may be empty. */
static enum ws_hs_step ws_hs_response(struct ws_hs_scan *s, struct ws_http_response *resp)
{
    enum ws_hs_step st = ws_hs_version(s, &resp->version_major, &resp->version_minor);
    if (st != WS_HS_OK)
        return st;
    int status = 0;
    for (int i = 0; i < 5; i++) { /* SP 3DIGIT SP */
        if (s->pos == s->end)
            return WS_HS_MORE;
        unsigned char c = s->p[s->pos];
        bool ok = (i == 0 || i == 4) ? c == ' ' : (c >= '0' && c <= '9');
        if (!ok)
            return ws_hs_bad(s, s->pos);
        if (i != 0 && i != 4)
            status = status * 10 + (c - '0');
        s->pos++;
    }
    resp->status = status;
    /* reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ) */
    size_t start = s->pos;
    while (s->pos < s->end) {
        unsigned char c = s->p[s->pos];
        if (c == '\r' || c == '\n')
            break;
        if (!ws_is_ows(c) && (c < 0x21 || c == 0x7F))
            return ws_hs_bad(s, s->pos);
        s->pos++;
    }
    resp->reason.ptr = (const char *)s->p + start;
    resp->reason.len = s->pos - start;
    st = ws_hs_eol(s);
    if (st != WS_HS_OK)
        return st;
    return ws_hs_fields(s, resp->headers, &resp->n_headers);
}

/* Shared tail of both parsers: map a scan outcome to the caller's error codes. */
static enum ws_error ws_hs_verdict(enum ws_hs_step st, const struct ws_hs_scan *s, size_t max_block,
                                   enum ws_error malformed, enum ws_error too_large,
                                   size_t *consumed, size_t *err_at)
{
    switch (st) {
    case WS_HS_OK:
        if (consumed)
            *consumed = s->pos;
        return WS_E_OK;
    case WS_HS_MORE:
        /* Out of bytes at max_block means the block cannot end within the bound. */
        return s->end == max_block ? too_large : WS_E_INCOMPLETE;
    case WS_HS_FULL:
        return too_large;
    case WS_HS_BAD:
        break;
    }
    if (err_at)
        *err_at = s->bad;
    return malformed;
}

enum ws_error ws_http_parse_request(const char *buf, size_t len, size_t max_block,
                                    struct ws_http_request *req, size_t *consumed, size_t *err_at)
{
    if (!req || (!buf && len))
        return WS_E_INVALID_ARGUMENT;
    if (max_block == 0)
        max_block = WS_HTTP_DEFAULT_MAX_BLOCK;
    memset(req, 0, sizeof *req);
    struct ws_hs_scan s = {(const unsigned char *)buf, len < max_block ? len : max_block, 0, 0};
    enum ws_hs_step st = ws_hs_request(&s, req);
    return ws_hs_verdict(st, &s, max_block, WS_E_HTTP_MALFORMED, WS_E_HEADERS_TOO_LARGE, consumed,
                         err_at);
}

enum ws_error ws_http_parse_response(const char *buf, size_t len, size_t max_block,
                                     struct ws_http_response *resp, size_t *consumed,
                                     size_t *err_at)
{
    if (!resp || (!buf && len))
        return WS_E_INVALID_ARGUMENT;
    if (max_block == 0)
        max_block = WS_HTTP_DEFAULT_MAX_BLOCK;
    memset(resp, 0, sizeof *resp);
    struct ws_hs_scan s = {(const unsigned char *)buf, len < max_block ? len : max_block, 0, 0};
    enum ws_hs_step st = ws_hs_response(&s, resp);
    return ws_hs_verdict(st, &s, max_block, WS_E_RESPONSE_MALFORMED, WS_E_RESPONSE_TOO_LARGE,
                         consumed, err_at);
}

/* ---------------------------------------------------------------------------
 * Header lookup and lists
 * ------------------------------------------------------------------------- */

const struct ws_http_header *ws_http_find(const struct ws_http_header *h, size_t n,
                                          const char *name, size_t *count)
{
    const struct ws_http_header *first = NULL;
    size_t k = 0;
    for (size_t i = 0; h && name && i < n; i++) {
        if (ws_hs_eq_nocase(h[i].name, name)) {
            if (!first)
                first = &h[i];
            k++;
        }
    }
    if (count)
        *count = k;
    return first;
}

bool ws_http_list_next(struct ws_slice value, size_t *pos, struct ws_slice *item)
{
    size_t i = *pos;
    while (i < value.len) {
        /* Skip separators and OWS before an element; empty elements vanish here.
         * RFC 9110 section 5.6.1.2: "a recipient MUST parse and ignore a reasonable
         * number of empty list elements". */
        while (i < value.len && (value.ptr[i] == ',' || ws_is_ows((unsigned char)value.ptr[i])))
            i++;
        size_t start = i;
        while (i < value.len && value.ptr[i] != ',')
            i++;
        size_t stop = i;
        while (stop > start && ws_is_ows((unsigned char)value.ptr[stop - 1]))
            stop--;
        if (stop > start) {
            item->ptr = value.ptr + start;
            item->len = stop - start;
            *pos = i;
            return true;
        }
    }
    *pos = i;
    return false;
}

bool ws_http_has_token(const struct ws_http_header *h, size_t n, const char *name,
                       const char *token)
{
    for (size_t i = 0; h && name && token && i < n; i++) {
        if (!ws_hs_eq_nocase(h[i].name, name))
            continue;
        size_t pos = 0;
        struct ws_slice item;
        while (ws_http_list_next(h[i].value, &pos, &item))
            if (ws_hs_eq_nocase(item, token))
                return true;
    }
    return false;
}

/* ---------------------------------------------------------------------------
 * Server side: RFC 6455 section 4.2.1
 * ------------------------------------------------------------------------- */

/* RFC 6455 section 4.2.1 item 1: "An HTTP/1.1 or higher GET request, including a
 * "Request-URI" [RFC2616] that should be interpreted as a /resource name/ defined in
 * Section 3 (or an absolute HTTP/HTTPS URI containing the /resource name/)."
 * Accepted: origin-form ("/" ...) and absolute-form with scheme ws, wss, http or https
 * (case-insensitive), "://" and a non-empty authority, then nothing or a path or query.
 * The asterisk form ("*") and authority form ("host:port") are not resource names.
 * Every byte must be visible ASCII: URIs have no other characters (RFC 3986 section 2).
 * "#" is refused: RFC 6455 section 3: "Fragment identifiers are meaningless in the
 * context of WebSocket URIs and MUST NOT be used on these URIs." */
static bool ws_hs_target_ok(struct ws_slice t)
{
    static const char *const schemes[] = {"ws://", "wss://", "http://", "https://"};
    if (t.len == 0)
        return false;
    for (size_t i = 0; i < t.len; i++) {
        unsigned char c = (unsigned char)t.ptr[i];
        if (c < 0x21 || c > 0x7E || c == '#')
            return false;
    }
    if (t.ptr[0] == '/')
        return true;
    for (size_t k = 0; k < sizeof schemes / sizeof schemes[0]; k++) {
        size_t n = strlen(schemes[k]);
        if (t.len <= n)
            continue;
        struct ws_slice head = {t.ptr, n};
        if (!ws_hs_eq_nocase(head, schemes[k]))
            continue;
        /* authority = up to the first "/" or "?"; it must not be empty */
        char c = t.ptr[n];
        return c != '/' && c != '?';
    }
    return false;
}

static bool ws_hs_b64_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

/* RFC 6455 section 4.2.1 item 5: "A |Sec-WebSocket-Key| header field with a
 * base64-encoded (see Section 4 of [RFC4648]) value that, when decoded, is 16 bytes
 * in length."
 * Base64 of 16 bytes is exactly 22 alphabet characters and "==" (RFC 4648 section 4:
 * 16 = 5 * 3 + 1, so the last quantum carries one byte and two pad characters).
 * The 4 unused bits of the 22nd character are NOT required to be zero: RFC 4648
 * section 3.5 lets a decoder reject such non-canonical encodings but does not make
 * them undecodable, and RFC 6455's own example in section 4.1 item 7,
 * "AQIDBAUGBwgJCgsMDQ4PEC==", is non-canonical. The server hashes the key as sent and
 * never decodes it, so canonical form buys nothing. */
static bool ws_hs_key_ok(struct ws_slice k)
{
    if (k.len != WS_KEY_LEN)
        return false;
    for (size_t i = 0; i < WS_KEY_LEN - 2; i++)
        if (!ws_hs_b64_char((unsigned char)k.ptr[i]))
            return false;
    return k.ptr[WS_KEY_LEN - 2] == '=' && k.ptr[WS_KEY_LEN - 1] == '=';
}

/* RFC 6455 section 4.1 item 10: "The ABNF for the value of this header field is
 * 1#token, where the definitions of constructs and rules are as given in [RFC2616]."
 * Empty elements are skipped (the #rule), but at least one element must be there. */
static bool ws_hs_token_list_ok(struct ws_slice v)
{
    size_t pos = 0, n = 0;
    struct ws_slice item;
    while (ws_http_list_next(v, &pos, &item)) {
        if (!ws_hs_is_token(item))
            return false;
        n++;
    }
    return n > 0;
}

/* Every Sec-WebSocket-Extensions field must follow the section 9.1 grammar. RFC 6455
 * section 9.1: "If a value is received by either the client or the server during
 * negotiation that does not conform to the ABNF below, the recipient of such
 * malformed data MUST immediately _Fail the WebSocket Connection_."
 * With offered != NULL every extension name must also be among offered[] (client
 * side). The offers live on the stack (about 10 KiB, see WS_EXT_MAX_OFFERS). */
static enum ws_error ws_hs_check_extensions(const struct ws_http_header *h, size_t n_headers,
                                            size_t idx[WS_HS_MAX_REPEATS], size_t *n_idx,
                                            const char *const *offered, size_t n_offered,
                                            bool client)
{
    struct ws_ext_offer offers[WS_EXT_MAX_OFFERS];
    for (size_t i = 0; i < n_headers; i++) {
        if (!ws_hs_eq_nocase(h[i].name, "Sec-WebSocket-Extensions"))
            continue;
        /* info has room for 8 fields; a real handshake sends one or two. */
        if (*n_idx == WS_HS_MAX_REPEATS)
            return WS_E_EXTENSION_SYNTAX;
        size_t n = 0, err_at = 0;
        if (ws_ext_parse(h[i].value.ptr, h[i].value.len, offers, WS_EXT_MAX_OFFERS, &n, &err_at) !=
            WS_E_OK)
            return WS_E_EXTENSION_SYNTAX;
        for (size_t k = 0; client && k < n; k++) {
            /* RFC 6455 section 4.1: "If the response includes a
             * |Sec-WebSocket-Extensions| header field and this header field indicates
             * the use of an extension that was not present in the client's handshake
             * (the server has indicated an extension not requested by the client),
             * the client MUST _Fail the WebSocket Connection_."
             * Names are compared byte for byte: RFC 6455 does not make extension
             * tokens case-insensitive. */
            bool found = false;
            for (size_t j = 0; j < n_offered && !found; j++)
                found = offered[j] && ws_hs_eq(offers[k].name, offered[j]);
            if (!found)
                return WS_E_RESPONSE_EXTENSION;
        }
        idx[(*n_idx)++] = i;
    }
    return WS_E_OK;
}

/* The checks run in this order, and the first that fails is reported:
 *   1. method GET                       HTTP_METHOD
 *   2. HTTP/1.1 or later                HTTP_VERSION
 *   3. request target                   TARGET_INVALID
 *   4. Host: present, once, non-empty   HOST_MISSING / HEADER_DUPLICATE
 *   5. Upgrade holds websocket          UPGRADE_MISSING
 *   6. Connection holds Upgrade         CONNECTION_MISSING
 *   7. Sec-WebSocket-Version: once, 13  VERSION_UNSUPPORTED / HEADER_DUPLICATE
 *   8. Sec-WebSocket-Key: once, valid   KEY_INVALID / HEADER_DUPLICATE
 *   9. Sec-WebSocket-Protocol syntax    PROTOCOL_SYNTAX
 *  10. Sec-WebSocket-Extensions syntax  EXTENSION_SYNTAX
 * The request line first, then "is this a WebSocket upgrade at all" (Host, Upgrade,
 * Connection), then the version before anything version-specific: a client speaking
 * another version (an old draft without Sec-WebSocket-Key, say) gets the 426 with
 * "Sec-WebSocket-Version: 13" that lets it retry (section 4.4), not a 400 about a
 * key its version does not have. The optional fields come last. */
enum ws_error ws_handshake_check_request(const struct ws_http_request *req,
                                         struct ws_request_info *info)
{
    if (!req || !info)
        return WS_E_INVALID_ARGUMENT;
    memset(info, 0, sizeof *info);
    const struct ws_http_header *h = req->headers;
    size_t nh = req->n_headers, count = 0;

    /* RFC 6455 section 4.1 item 2: "The method of the request MUST be GET, and the
     * HTTP version MUST be at least 1.1." Methods are case-sensitive (RFC 9110
     * section 9.1). */
    if (!ws_hs_eq(req->method, "GET"))
        return WS_E_HTTP_METHOD;
    if (req->version_major < 1 || (req->version_major == 1 && req->version_minor < 1))
        return WS_E_HTTP_VERSION;
    if (!ws_hs_target_ok(req->target))
        return WS_E_TARGET_INVALID;
    info->target = req->target;

    /* RFC 6455 section 4.2.1 item 2: "A |Host| header field containing the server's
     * authority." An empty value contains no authority. More than one is refused:
     * RFC 9112 section 3.2: "A server MUST respond with a 400 (Bad Request) status
     * code to any HTTP/1.1 request message that lacks a Host header field and to any
     * request message that contains more than one Host header field line or a Host
     * header field with an invalid field value." */
    const struct ws_http_header *f = ws_http_find(h, nh, "Host", &count);
    if (!f)
        return WS_E_HOST_MISSING;
    if (count > 1)
        return WS_E_HEADER_DUPLICATE;
    if (f->value.len == 0)
        return WS_E_HOST_MISSING;
    info->host = f->value;

    /* RFC 6455 section 4.2.1 item 3: "An |Upgrade| header field containing the value
     * "websocket", treated as an ASCII case-insensitive value." */
    if (!ws_http_has_token(h, nh, "Upgrade", "websocket"))
        return WS_E_UPGRADE_MISSING;

    /* RFC 6455 section 4.2.1 item 4: "A |Connection| header field that includes the
     * token "Upgrade", treated as an ASCII case-insensitive value." */
    if (!ws_http_has_token(h, nh, "Connection", "Upgrade"))
        return WS_E_CONNECTION_MISSING;

    /* RFC 6455 section 4.2.1 item 6: "A |Sec-WebSocket-Version| header field, with a
     * value of 13." Missing is answered like a wrong value: section 4.2.2 /version/:
     * "If this version does not match a version understood by the server, the server
     * MUST abort the WebSocket handshake described in this section and instead send
     * an appropriate HTTP error code (such as 426 Upgrade Required) and a
     * |Sec-WebSocket-Version| header field indicating the version(s) the server is
     * capable of understanding." */
    f = ws_http_find(h, nh, "Sec-WebSocket-Version", &count);
    if (!f)
        return WS_E_VERSION_UNSUPPORTED;
    if (count > 1)
        return WS_E_HEADER_DUPLICATE;
    if (!ws_hs_eq(f->value, "13"))
        return WS_E_VERSION_UNSUPPORTED;

    /* RFC 6455 section 4.2.1 item 5 (see ws_hs_key_ok). A second key would make the
     * accept value ambiguous: HEADER_DUPLICATE. */
    f = ws_http_find(h, nh, "Sec-WebSocket-Key", &count);
    if (!f)
        return WS_E_KEY_INVALID;
    if (count > 1)
        return WS_E_HEADER_DUPLICATE;
    if (!ws_hs_key_ok(f->value))
        return WS_E_KEY_INVALID;
    info->key = f->value;

    /* RFC 6455 section 4.2.1 item 7: "Optionally, an |Origin| header field." */
    f = ws_http_find(h, nh, "Origin", NULL);
    if (f)
        info->origin = f->value;

    /* RFC 6455 section 4.2.1 item 8: "Optionally, a |Sec-WebSocket-Protocol| header
     * field, with a list of values indicating which protocols the client would like
     * to speak, ordered by preference." Syntax: see ws_hs_token_list_ok. info has
     * room for 8 fields; more is refused as a syntax error rather than dropped. */
    for (size_t i = 0; i < nh; i++) {
        if (!ws_hs_eq_nocase(h[i].name, "Sec-WebSocket-Protocol"))
            continue;
        if (info->n_protocol == 8 || !ws_hs_token_list_ok(h[i].value))
            return WS_E_PROTOCOL_SYNTAX;
        info->protocol_idx[info->n_protocol++] = i;
    }

    /* RFC 6455 section 4.2.1 item 9: "Optionally, a |Sec-WebSocket-Extensions| header
     * field, with a list of values indicating which extensions the client would like
     * to speak." */
    return ws_hs_check_extensions(h, nh, info->extension_idx, &info->n_extension, NULL, 0, false);
}

bool ws_handshake_select_protocol(const struct ws_http_request *req,
                                  const struct ws_request_info *info, const char *const *supported,
                                  size_t n_supported, struct ws_slice *chosen)
{
    if (chosen) {
        chosen->ptr = NULL;
        chosen->len = 0;
    }
    if (!req || !info || !supported || !chosen)
        return false;
    /* RFC 6455 section 4.2.2 /subprotocol/: "The value chosen MUST be derived from the
     * client's handshake, specifically by selecting one of the values from the
     * |Sec-WebSocket-Protocol| field that the server is willing to use for this
     * connection (if any)." Compared byte for byte; the slice returned is the
     * client's own element, so the server echoes exactly what was sent. */
    for (size_t s = 0; s < n_supported; s++) {
        if (!supported[s])
            continue;
        for (size_t k = 0; k < info->n_protocol && k < 8; k++) {
            size_t i = info->protocol_idx[k];
            if (i >= req->n_headers)
                continue;
            size_t pos = 0;
            struct ws_slice item;
            while (ws_http_list_next(req->headers[i].value, &pos, &item)) {
                if (ws_hs_eq(item, supported[s])) {
                    *chosen = item;
                    return true;
                }
            }
        }
    }
    return false;
}

/* ---------------------------------------------------------------------------
 * Keys
 * ------------------------------------------------------------------------- */

void ws_handshake_accept(const char *key, size_t key_len, char accept[WS_ACCEPT_LEN + 1])
{
    /* RFC 6455 section 4.2.2 item 5.4: "The value of this header field is constructed
     * by concatenating /key/, defined above in step 4 in Section 4.2.2, with the
     * string "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", taking the SHA-1 hash of this
     * concatenated value to obtain a 20-byte value and base64-encoding (see Section 4
     * of [RFC4648]) this 20-byte hash."
     * Hashed in two updates so a key of any length needs no concatenation buffer. If
     * OpenSSL fails (out of memory), accept is "" - it matches no real accept value,
     * and the builders report WS_E_NOMEM. */
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    accept[0] = '\0';
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return;
    bool ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
              (key_len == 0 || EVP_DigestUpdate(ctx, key, key_len) == 1) &&
              EVP_DigestUpdate(ctx, WS_GUID, strlen(WS_GUID)) == 1 &&
              EVP_DigestFinal_ex(ctx, md, &md_len) == 1 && md_len == 20;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return;
    /* 20 bytes encode to 28 characters plus the NUL EVP_EncodeBlock adds. */
    if (EVP_EncodeBlock((unsigned char *)accept, md, 20) != WS_ACCEPT_LEN)
        accept[0] = '\0';
}

void ws_handshake_make_key(ws_random_fn rnd, void *rnd_ud, char key[WS_KEY_LEN + 1])
{
    /* RFC 6455 section 4.1 item 7: "The value of this header field MUST be a nonce
     * consisting of a randomly selected 16-byte value that has been base64-encoded
     * (see Section 4 of [RFC4648])." */
    uint8_t nonce[16];
    rnd(rnd_ud, nonce, sizeof nonce);
    if (EVP_EncodeBlock((unsigned char *)key, nonce, sizeof nonce) != WS_KEY_LEN)
        key[0] = '\0';
}

/* ---------------------------------------------------------------------------
 * Builders
 * ------------------------------------------------------------------------- */

/* Output cursor: writes what fits, keeps counting what does not, never writes at or
 * past cap. err sticks at the first failure. */
struct ws_hs_out {
    char *buf;
    size_t cap, len;
    enum ws_error err;
};

static void ws_hs_put(struct ws_hs_out *o, const char *s, size_t n)
{
    if (n > SIZE_MAX - o->len) {
        o->err = WS_E_INVALID_ARGUMENT;
        return;
    }
    if (o->err == WS_E_OK && n <= o->cap - o->len) {
        if (n)
            memcpy(o->buf + o->len, s, n);
    } else if (o->err == WS_E_OK) {
        o->err = WS_E_BUFFER_TOO_SMALL;
    }
    o->len += n;
}

static void ws_hs_puts(struct ws_hs_out *o, const char *s)
{
    ws_hs_put(o, s, strlen(s));
}

static void ws_hs_put_line(struct ws_hs_out *o, const char *name, const char *value,
                           size_t value_len)
{
    ws_hs_puts(o, name);
    ws_hs_puts(o, ": ");
    ws_hs_put(o, value, value_len);
    ws_hs_puts(o, "\r\n");
}

static void ws_hs_put_uint(struct ws_hs_out *o, unsigned long v)
{
    char tmp[24]; /* 20 digits of a 64-bit value, NUL, and room to spare */
    int k = snprintf(tmp, sizeof tmp, "%lu", v);
    if (k < 0 || (size_t)k >= sizeof tmp) {
        if (o->err == WS_E_OK || o->err == WS_E_BUFFER_TOO_SMALL)
            o->err = WS_E_INVALID_ARGUMENT;
        return;
    }
    ws_hs_put(o, tmp, (size_t)k);
}

/* Finish: on success NUL-terminate when there is room (a convenience, not counted in
 * *len); on BUFFER_TOO_SMALL *len is the size that would have been needed. */
static enum ws_error ws_hs_finish(struct ws_hs_out *o, size_t *len)
{
    if (o->err == WS_E_OK || o->err == WS_E_BUFFER_TOO_SMALL)
        *len = o->len;
    if (o->err == WS_E_OK && o->len < o->cap)
        o->buf[o->len] = '\0';
    return o->err;
}

/* A value written into a header line must not end the line early: CR or LF inside it
 * would let the caller's data inject header fields (RFC 9110 section 5.5 forbids
 * both in field values). */
static bool ws_hs_line_safe(const char *s, size_t n)
{
    return memchr(s, '\r', n) == NULL && memchr(s, '\n', n) == NULL;
}

static bool ws_hs_cstr_safe(const char *s)
{
    return s == NULL || ws_hs_line_safe(s, strlen(s));
}

enum ws_error ws_handshake_build_request(const struct ws_request_params *p, char *out, size_t cap,
                                         size_t *len)
{
    if (!p || !len || (!out && cap) || !p->host || !p->key)
        return WS_E_INVALID_ARGUMENT;
    if ((p->n_protocols && !p->protocols) || (p->n_extra_headers && !p->extra_headers))
        return WS_E_INVALID_ARGUMENT;
    const char *target = p->target ? p->target : "/";
    if (!ws_hs_cstr_safe(p->host) || !ws_hs_cstr_safe(target) || !ws_hs_cstr_safe(p->key) ||
        !ws_hs_cstr_safe(p->origin) || !ws_hs_cstr_safe(p->extensions))
        return WS_E_INVALID_ARGUMENT;
    for (size_t i = 0; i < p->n_protocols; i++)
        if (!p->protocols[i] || !ws_hs_cstr_safe(p->protocols[i]))
            return WS_E_INVALID_ARGUMENT;
    for (size_t i = 0; i < p->n_extra_headers; i++)
        if (!p->extra_headers[i] || !ws_hs_cstr_safe(p->extra_headers[i]))
            return WS_E_INVALID_ARGUMENT;

    /* The fields of RFC 6455 section 4.1, in the order of its example (section 1.3). */
    struct ws_hs_out o = {out, cap, 0, WS_E_OK};
    ws_hs_puts(&o, "GET ");
    ws_hs_puts(&o, target);
    ws_hs_puts(&o, " HTTP/1.1\r\n");
    ws_hs_put_line(&o, "Host", p->host, strlen(p->host));
    ws_hs_puts(&o, "Upgrade: websocket\r\nConnection: Upgrade\r\n");
    ws_hs_put_line(&o, "Sec-WebSocket-Key", p->key, strlen(p->key));
    ws_hs_puts(&o, "Sec-WebSocket-Version: 13\r\n");
    if (p->origin)
        ws_hs_put_line(&o, "Origin", p->origin, strlen(p->origin));
    if (p->n_protocols) {
        ws_hs_puts(&o, "Sec-WebSocket-Protocol: ");
        for (size_t i = 0; i < p->n_protocols; i++) {
            if (i)
                ws_hs_puts(&o, ", ");
            ws_hs_puts(&o, p->protocols[i]);
        }
        ws_hs_puts(&o, "\r\n");
    }
    if (p->extensions)
        ws_hs_put_line(&o, "Sec-WebSocket-Extensions", p->extensions, strlen(p->extensions));
    for (size_t i = 0; i < p->n_extra_headers; i++) {
        ws_hs_puts(&o, p->extra_headers[i]);
        ws_hs_puts(&o, "\r\n");
    }
    ws_hs_puts(&o, "\r\n");
    return ws_hs_finish(&o, len);
}

enum ws_error ws_handshake_build_response(const struct ws_slice key, struct ws_slice protocol,
                                          const char *extensions, char *out, size_t cap,
                                          size_t *len)
{
    if (!len || (!out && cap) || (!key.ptr && key.len))
        return WS_E_INVALID_ARGUMENT;
    if ((protocol.ptr && !ws_hs_line_safe(protocol.ptr, protocol.len)) ||
        !ws_hs_cstr_safe(extensions))
        return WS_E_INVALID_ARGUMENT;
    char accept[WS_ACCEPT_LEN + 1];
    ws_handshake_accept(key.ptr, key.len, accept);
    if (accept[0] == '\0')
        return WS_E_NOMEM;

    /* RFC 6455 section 4.2.2 item 5: the status line, Upgrade, Connection,
     * Sec-WebSocket-Accept, then the optional protocol and extensions. */
    struct ws_hs_out o = {out, cap, 0, WS_E_OK};
    ws_hs_puts(&o, "HTTP/1.1 101 Switching Protocols\r\n"
                   "Upgrade: websocket\r\n"
                   "Connection: Upgrade\r\n");
    ws_hs_put_line(&o, "Sec-WebSocket-Accept", accept, WS_ACCEPT_LEN);
    if (protocol.ptr)
        ws_hs_put_line(&o, "Sec-WebSocket-Protocol", protocol.ptr, protocol.len);
    if (extensions)
        ws_hs_put_line(&o, "Sec-WebSocket-Extensions", extensions, strlen(extensions));
    ws_hs_puts(&o, "\r\n");
    return ws_hs_finish(&o, len);
}

/* Reason phrases of RFC 9110 section 15 for the statuses a refusal can carry; an
 * unknown status gets an empty reason, which the status-line grammar allows. */
static const char *ws_hs_reason(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 426:
        return "Upgrade Required";
    case 431:
        return "Request Header Fields Too Large";
    default:
        return "";
    }
}

enum ws_error ws_handshake_build_refusal(enum ws_error e, char *out, size_t cap, size_t *len)
{
    int status = ws_error_http_status(e);
    if (!len || (!out && cap) || status < 100 || status > 999)
        return WS_E_INVALID_ARGUMENT;
    const char *text = ws_error_text(e), *section = ws_error_section(e);
    /* Body: the rule's text and where it comes from, one line. */
    size_t body_len = strlen(text) + 1;
    if (section[0])
        body_len += strlen(" (RFC 6455 section )") + strlen(section);

    struct ws_hs_out o = {out, cap, 0, WS_E_OK};
    ws_hs_puts(&o, "HTTP/1.1 ");
    ws_hs_put_uint(&o, (unsigned long)status);
    ws_hs_puts(&o, " ");
    ws_hs_puts(&o, ws_hs_reason(status));
    ws_hs_puts(&o, "\r\n");
    if (status == 426) {
        /* RFC 6455 section 4.2.2 /version/: "... and a |Sec-WebSocket-Version| header
         * field indicating the version(s) the server is capable of understanding."
         * RFC 9110 section 15.5.22: "The server MUST send an Upgrade header field in a
         * 426 response to indicate the required protocol(s)", and section 7.8: "A
         * sender of Upgrade MUST also send an "Upgrade" connection option in the
         * Connection header field". */
        ws_hs_puts(&o, "Upgrade: websocket\r\n"
                       "Connection: Upgrade, close\r\n"
                       "Sec-WebSocket-Version: 13\r\n");
    } else {
        ws_hs_puts(&o, "Connection: close\r\n");
    }
    ws_hs_puts(&o, "Content-Type: text/plain\r\nContent-Length: ");
    ws_hs_put_uint(&o, (unsigned long)body_len);
    ws_hs_puts(&o, "\r\n\r\n");
    size_t body_start = o.len;
    ws_hs_puts(&o, text);
    if (section[0]) {
        ws_hs_puts(&o, " (RFC 6455 section ");
        ws_hs_puts(&o, section);
        ws_hs_puts(&o, ")");
    }
    ws_hs_puts(&o, "\n");
    if (o.len - body_start != body_len && o.err == WS_E_OK)
        o.err = WS_E_INVALID_ARGUMENT; /* the Content-Length would lie */
    return ws_hs_finish(&o, len);
}

/* ---------------------------------------------------------------------------
 * Client side: RFC 6455 section 4.1
 * ------------------------------------------------------------------------- */

/* The checks run in the order of section 4.1's list: status, Upgrade, Connection,
 * Sec-WebSocket-Accept, Sec-WebSocket-Extensions, Sec-WebSocket-Protocol. */
enum ws_error ws_handshake_check_response(const struct ws_http_response *resp,
                                          const struct ws_offer *offer,
                                          struct ws_response_info *info)
{
    if (!resp || !offer || !offer->key || !info || (offer->n_protocols && !offer->protocols) ||
        (offer->n_extensions && !offer->extensions))
        return WS_E_INVALID_ARGUMENT;
    memset(info, 0, sizeof *info);
    const struct ws_http_header *h = resp->headers;
    size_t nh = resp->n_headers, count = 0;

    /* RFC 6455 section 4.1: "If the status code received from the server is not 101,
     * the client handles the response per HTTP [RFC2616] procedures." */
    if (resp->status != 101)
        return WS_E_RESPONSE_STATUS;

    /* RFC 6455 section 4.1: "If the response lacks an |Upgrade| header field or the
     * |Upgrade| header field contains a value that is not an ASCII case-insensitive
     * match for the value "websocket", the client MUST _Fail the WebSocket
     * Connection_." So every element of every Upgrade field must be websocket. */
    size_t n_upgrade = 0;
    for (size_t i = 0; i < nh; i++) {
        if (!ws_hs_eq_nocase(h[i].name, "Upgrade"))
            continue;
        size_t pos = 0;
        struct ws_slice item;
        bool any = false;
        while (ws_http_list_next(h[i].value, &pos, &item)) {
            if (!ws_hs_eq_nocase(item, "websocket"))
                return WS_E_RESPONSE_UPGRADE;
            any = true;
        }
        if (!any)
            return WS_E_RESPONSE_UPGRADE;
        n_upgrade++;
    }
    if (n_upgrade == 0)
        return WS_E_RESPONSE_UPGRADE;

    /* RFC 6455 section 4.1: "If the response lacks a |Connection| header field or the
     * |Connection| header field doesn't contain a token that is an ASCII
     * case-insensitive match for the value "Upgrade", the client MUST _Fail the
     * WebSocket Connection_." */
    if (!ws_http_has_token(h, nh, "Connection", "Upgrade"))
        return WS_E_RESPONSE_CONNECTION;

    /* RFC 6455 section 4.1: "If the response lacks a |Sec-WebSocket-Accept| header
     * field or the |Sec-WebSocket-Accept| contains a value other than the
     * base64-encoded SHA-1 of the concatenation of the |Sec-WebSocket-Key| (as a
     * string, not base64-decoded) with the string "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
     * but ignoring any leading and trailing whitespace, the client MUST _Fail the
     * WebSocket Connection_." Two fields are two values, at least one of them wrong. */
    char expected[WS_ACCEPT_LEN + 1];
    ws_handshake_accept(offer->key, strlen(offer->key), expected);
    if (expected[0] == '\0')
        return WS_E_NOMEM;
    const struct ws_http_header *f = ws_http_find(h, nh, "Sec-WebSocket-Accept", &count);
    if (!f || count != 1 || !ws_hs_eq(f->value, expected))
        return WS_E_RESPONSE_ACCEPT;

    enum ws_error e = ws_hs_check_extensions(h, nh, info->extension_idx, &info->n_extension,
                                             offer->extensions, offer->n_extensions, true);
    if (e != WS_E_OK)
        return e;

    /* RFC 6455 section 4.1: "If the response includes a |Sec-WebSocket-Protocol|
     * header field and this header field indicates the use of a subprotocol that was
     * not present in the client's handshake (the server has indicated a subprotocol
     * not requested by the client), the client MUST _Fail the WebSocket Connection_."
     * The server sends one value: section 4.3, "Sec-WebSocket-Protocol-Server =
     * token", so a list, an empty value or a second field is refused too. */
    f = ws_http_find(h, nh, "Sec-WebSocket-Protocol", &count);
    if (f) {
        if (count > 1 || !ws_hs_is_token(f->value))
            return WS_E_RESPONSE_PROTOCOL;
        bool found = false;
        for (size_t i = 0; i < offer->n_protocols && !found; i++)
            found = offer->protocols[i] && ws_hs_eq(f->value, offer->protocols[i]);
        if (!found)
            return WS_E_RESPONSE_PROTOCOL;
        info->protocol = f->value;
    }
    return WS_E_OK;
}

/*
 * handshake_response_fuzzer.c - the client (the test peer) reading what a possibly
 * hostile server answers to its opening handshake: ws_http_parse_response and
 * ws_handshake_check_response.
 *
 * Input: one byte choosing what the client offered (bits 0-2: subprotocols "chat",
 * "superchat", "v2.echo"; bits 3-4: extensions "permessage-deflate", "x-webkit-
 * deflate-frame"; bits 6-7: the header block bound), one byte choosing a prefix
 * length, then the server's bytes.
 *
 * The key is fixed: AAAAAAAAAAAAAAAAAAAAAA== is what ws_conn sends when its random
 * source gives zeros (as in conn_fuzzer), so recorded responses can be rewritten to
 * carry its accept, ICX+Yqv66kxgM0FcWaLWlFLwTAI= (both are in handshake_response.dict).
 *
 * Checked: the parser's contract and resumability (as for the request); a response
 * the client accepts is a 101 with exactly one correct Sec-WebSocket-Accept, an
 * Upgrade of websocket only, a Connection holding Upgrade, at most one subprotocol and
 * one that was offered, and only offered extensions - each re-derived here from the
 * parsed fields, independently of the order in which ws_handshake.c checks them.
 */
#include "fuzz_input.h"

#include "ws_ext.h"
#include "ws_handshake.h"

FUZZ_NOCOV_BEGIN

#define FUZZ_KEY "AAAAAAAAAAAAAAAAAAAAAA=="

static bool eq_nocase(struct ws_slice s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char a = (unsigned char)s.ptr[i], b = (unsigned char)lit[i];
        if (a >= 'A' && a <= 'Z')
            a = (unsigned char)(a + 32);
        if (b >= 'A' && b <= 'Z')
            b = (unsigned char)(b + 32);
        if (a != b)
            return false;
    }
    return true;
}

static bool eq(struct ws_slice s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0;
}

/* An accepted response, re-judged field by field (RFC 6455 section 4.1). */
static void check_accepted(const struct ws_http_response *r, const struct ws_offer *o,
                           const struct ws_response_info *info)
{
    FUZZ_CHECK(r->status == 101);
    char accept[WS_ACCEPT_LEN + 1];
    ws_handshake_accept(FUZZ_KEY, strlen(FUZZ_KEY), accept);
    size_t n_accept = 0, n_upgrade = 0, n_protocol = 0;
    bool connection_upgrade = false;
    for (size_t i = 0; i < r->n_headers; i++) {
        const struct ws_http_header *h = &r->headers[i];
        struct ws_slice item;
        size_t pos = 0;
        if (eq_nocase(h->name, "Sec-WebSocket-Accept")) {
            FUZZ_CHECK(eq(h->value, accept));
            n_accept++;
        } else if (eq_nocase(h->name, "Upgrade")) {
            n_upgrade++;
            while (ws_http_list_next(h->value, &pos, &item))
                FUZZ_CHECK(eq_nocase(item, "websocket"));
        } else if (eq_nocase(h->name, "Connection")) {
            while (ws_http_list_next(h->value, &pos, &item))
                connection_upgrade |= eq_nocase(item, "Upgrade");
        } else if (eq_nocase(h->name, "Sec-WebSocket-Protocol")) {
            n_protocol++;
            bool offered = false;
            for (size_t k = 0; k < o->n_protocols; k++)
                offered |= eq(h->value, o->protocols[k]);
            FUZZ_CHECK(offered);
            FUZZ_CHECK(info->protocol.ptr == h->value.ptr && info->protocol.len == h->value.len);
        } else if (eq_nocase(h->name, "Sec-WebSocket-Extensions")) {
            struct ws_ext_offer offers[WS_EXT_MAX_OFFERS];
            size_t n = 0;
            FUZZ_CHECK(ws_ext_parse(h->value.ptr, h->value.len, offers, WS_EXT_MAX_OFFERS, &n,
                                    NULL) == WS_E_OK);
            for (size_t j = 0; j < n; j++) {
                bool offered = false;
                for (size_t k = 0; k < o->n_extensions; k++)
                    offered |= eq(offers[j].name, o->extensions[k]);
                FUZZ_CHECK(offered);
            }
        }
    }
    FUZZ_CHECK(n_accept == 1 && n_upgrade >= 1 && connection_upgrade && n_protocol <= 1);
    if (n_protocol == 0)
        FUZZ_CHECK(info->protocol.len == 0);
    FUZZ_CHECK(info->n_extension <= WS_HS_MAX_REPEATS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const all_protocols[] = {"chat", "superchat", "v2.echo"};
    static const char *const all_extensions[] = {"permessage-deflate", "x-webkit-deflate-frame"};
    static const size_t bounds[4] = {0, 64, 256, 1024};
    struct fuzz_in in = {data, size};
    uint8_t b0 = fuzz_u8(&in), b1 = fuzz_u8(&in);
    const char *protocols[3], *extensions[2];
    size_t np = 0, ne = 0;
    for (unsigned i = 0; i < 3; i++)
        if (b0 & (1u << i))
            protocols[np++] = all_protocols[i];
    for (unsigned i = 0; i < 2; i++)
        if (b0 & (8u << i))
            extensions[ne++] = all_extensions[i];
    struct ws_offer offer = {.key = FUZZ_KEY,
                             .protocols = protocols,
                             .n_protocols = np,
                             .extensions = extensions,
                             .n_extensions = ne};
    size_t bound = bounds[b0 >> 6], eff = bound ? bound : WS_HTTP_DEFAULT_MAX_BLOCK;
    size_t len = in.n, seen = len < eff ? len : eff;

    struct ws_http_response *resp = malloc(sizeof *resp);
    char *copy = (char *)fuzz_dup(in.p, len);
    if (!resp)
        abort();
    size_t consumed = SIZE_MAX, err_at = SIZE_MAX;
    enum ws_error e = ws_http_parse_response(copy, len, bound, resp, &consumed, &err_at);
    switch (e) {
    case WS_E_OK: {
        FUZZ_CHECK(consumed >= 2 && consumed <= seen && copy[consumed - 1] == '\n');
        FUZZ_CHECK(resp->status >= 0 && resp->status <= 999);
        FUZZ_CHECK(resp->n_headers <= WS_HTTP_MAX_HEADERS);
        for (size_t i = 0; i < resp->n_headers; i++) {
            const struct ws_http_header *h = &resp->headers[i];
            FUZZ_CHECK(h->name.len > 0 && h->name.ptr >= copy &&
                       h->name.ptr + h->name.len <= copy + consumed);
            FUZZ_CHECK(h->value.len == 0 ||
                       (h->value.ptr >= copy && h->value.ptr + h->value.len <= copy + consumed));
            FUZZ_CHECK(memchr(h->value.ptr ? h->value.ptr : "", '\n', h->value.len) == NULL);
        }
        struct ws_response_info info;
        enum ws_error c = ws_handshake_check_response(resp, &offer, &info);
        if (c == WS_E_OK)
            check_accepted(resp, &offer, &info);
        else
            FUZZ_CHECK((c >= WS_E_RESPONSE_STATUS && c <= WS_E_RESPONSE_EXTENSION) ||
                       c == WS_E_EXTENSION_SYNTAX);
        break;
    }
    case WS_E_RESPONSE_MALFORMED:
        FUZZ_CHECK(err_at < seen);
        break;
    case WS_E_RESPONSE_TOO_LARGE:
    case WS_E_INCOMPLETE:
        FUZZ_CHECK(consumed == SIZE_MAX && err_at == SIZE_MAX);
        break;
    default:
        FUZZ_CHECK(!"unexpected error");
    }
    free(copy);

    /* Cut short: INCOMPLETE until the block or the bad byte is in, then the same. */
    size_t p = len ? (size_t)((uint64_t)len * b1 / 256) : 0;
    if (p < len && p < eff) {
        size_t c2 = SIZE_MAX, a2 = SIZE_MAX;
        copy = (char *)fuzz_dup(in.p, p);
        enum ws_error e2 = ws_http_parse_response(copy, p, bound, resp, &c2, &a2);
        free(copy);
        if (e == WS_E_OK)
            FUZZ_CHECK(p < consumed ? e2 == WS_E_INCOMPLETE : (e2 == WS_E_OK && c2 == consumed));
        else if (e == WS_E_RESPONSE_MALFORMED && p > err_at + 1)
            FUZZ_CHECK(e2 == e && a2 == err_at);
        else if (e == WS_E_RESPONSE_MALFORMED && p <= err_at)
            FUZZ_CHECK(e2 == WS_E_INCOMPLETE);
        else if (e == WS_E_RESPONSE_MALFORMED)
            FUZZ_CHECK(e2 == WS_E_INCOMPLETE || (e2 == e && a2 == err_at));
        else
            FUZZ_CHECK(e2 == WS_E_INCOMPLETE || e2 == e);
    }
    free(resp);
    return 0;
}

FUZZ_NOCOV_END

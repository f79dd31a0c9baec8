/*
 * handshake_request_fuzzer.c - the server reading a client's opening handshake:
 * ws_http_parse_request, ws_handshake_check_request, and what the server answers.
 *
 * Input: one byte choosing the header block bound (the default 8 KiB, or 64, 256,
 * 1024 bytes - small bounds reach the HEADERS_TOO_LARGE paths with small inputs), one
 * byte choosing a prefix length (as a fraction of the input), then the bytes the
 * server received.
 *
 * Checked:
 *   - the parser's contract (ws_handshake.h): consumed and err_at in range, nothing
 *     read past min(len, bound), every slice inside the block, names are tokens,
 *     values trimmed and free of CR, LF and NUL;
 *   - resumability: the same bytes cut short give INCOMPLETE until the block (or the
 *     bad byte) is there, and then the same answer - what ws_conn relies on when it
 *     re-parses a block that arrives over several reads;
 *   - a request that passes section 4.2.1 gets a 101 whose accept a client holding
 *     that key accepts (ws_handshake_check_response), with the subprotocol the server
 *     chose; a request that fails gets a refusal that parses as an HTTP response with
 *     the status the error table gives.
 */
#include "fuzz_input.h"

#include "ws_handshake.h"

FUZZ_NOCOV_BEGIN

static bool is_token(struct ws_slice s)
{
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (!ws_is_tchar((unsigned char)s.ptr[i]))
            return false;
    return true;
}

static bool inside(struct ws_slice s, const char *buf, size_t len)
{
    return s.len == 0 || (s.ptr >= buf && s.len <= len && s.ptr - buf <= (ptrdiff_t)(len - s.len));
}

static void check_value(struct ws_slice v)
{
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.ptr[i];
        FUZZ_CHECK(c != '\r' && c != '\n' && c != '\0');
    }
    if (v.len) {
        FUZZ_CHECK(!ws_is_ows((unsigned char)v.ptr[0]));
        FUZZ_CHECK(!ws_is_ows((unsigned char)v.ptr[v.len - 1]));
    }
}

/* Parse a copy of buf[0..len) of exactly that size (over-reads are ASan reports). */
static enum ws_error parse(const uint8_t *buf, size_t len, size_t bound,
                           struct ws_http_request *req, char **copy, size_t *consumed,
                           size_t *err_at)
{
    *copy = (char *)fuzz_dup(buf, len);
    return ws_http_parse_request(*copy, len, bound, req, consumed, err_at);
}

/* The server's answer, read back by a client. */
static void check_answer(const struct ws_http_request *req)
{
    static const char *const supported[] = {"chat", "superchat", "v2.echo"};
    struct ws_request_info info;
    enum ws_error e = ws_handshake_check_request(req, &info);
    char out[2048];
    size_t n = 0, consumed = 0;
    struct ws_http_response resp;
    if (e != WS_E_OK) {
        int status = ws_error_http_status(e);
        FUZZ_CHECK(status == 400 || status == 426 || status == 431);
        FUZZ_CHECK(ws_handshake_build_refusal(e, out, sizeof out, &n) == WS_E_OK);
        FUZZ_CHECK(ws_http_parse_response(out, n, 0, &resp, &consumed, NULL) == WS_E_OK);
        FUZZ_CHECK(resp.status == status && consumed < n); /* a body follows */
        return;
    }
    FUZZ_CHECK(info.key.len == WS_KEY_LEN && info.host.len > 0);
    FUZZ_CHECK(info.n_protocol <= WS_HS_MAX_REPEATS && info.n_extension <= WS_HS_MAX_REPEATS);
    for (size_t i = 0; i < info.n_protocol; i++)
        FUZZ_CHECK(info.protocol_idx[i] < req->n_headers);
    for (size_t i = 0; i < info.n_extension; i++)
        FUZZ_CHECK(info.extension_idx[i] < req->n_headers);

    struct ws_slice chosen = {0};
    bool have = ws_handshake_select_protocol(req, &info, supported, 3, &chosen);
    FUZZ_CHECK(have == (chosen.ptr != NULL));
    FUZZ_CHECK(ws_handshake_build_response(info.key, chosen, NULL, out, sizeof out, &n) == WS_E_OK);
    FUZZ_CHECK(ws_http_parse_response(out, n, 0, &resp, &consumed, NULL) == WS_E_OK);
    FUZZ_CHECK(consumed == n && resp.status == 101);
    char key[WS_KEY_LEN + 1];
    memcpy(key, info.key.ptr, WS_KEY_LEN);
    key[WS_KEY_LEN] = '\0';
    struct ws_offer offer = {.key = key, .protocols = supported, .n_protocols = 3};
    struct ws_response_info rinfo;
    FUZZ_CHECK(ws_handshake_check_response(&resp, &offer, &rinfo) == WS_E_OK);
    FUZZ_CHECK(rinfo.protocol.len == chosen.len);
    if (chosen.len)
        FUZZ_CHECK(memcmp(rinfo.protocol.ptr, chosen.ptr, chosen.len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t bounds[4] = {0, 64, 256, 1024};
    struct fuzz_in in = {data, size};
    uint8_t b0 = fuzz_u8(&in), b1 = fuzz_u8(&in);
    size_t bound = bounds[b0 & 3u], eff = bound ? bound : WS_HTTP_DEFAULT_MAX_BLOCK;
    const uint8_t *buf = in.p;
    size_t len = in.n;

    struct ws_http_request *req = malloc(sizeof *req);
    if (!req)
        abort();
    char *copy;
    size_t consumed = SIZE_MAX, err_at = SIZE_MAX;
    enum ws_error e = parse(buf, len, bound, req, &copy, &consumed, &err_at);
    size_t seen = len < eff ? len : eff;
    switch (e) {
    case WS_E_OK:
        FUZZ_CHECK(consumed >= 2 && consumed <= seen && copy[consumed - 1] == '\n');
        FUZZ_CHECK(err_at == SIZE_MAX);
        FUZZ_CHECK(req->n_headers <= WS_HTTP_MAX_HEADERS);
        FUZZ_CHECK(is_token(req->method) && inside(req->method, copy, consumed));
        FUZZ_CHECK(req->target.len > 0 && inside(req->target, copy, consumed));
        FUZZ_CHECK(req->version_major >= 0 && req->version_major <= 9);
        FUZZ_CHECK(req->version_minor >= 0 && req->version_minor <= 9);
        for (size_t i = 0; i < req->n_headers; i++) {
            FUZZ_CHECK(is_token(req->headers[i].name));
            FUZZ_CHECK(inside(req->headers[i].name, copy, consumed));
            FUZZ_CHECK(inside(req->headers[i].value, copy, consumed));
            check_value(req->headers[i].value);
        }
        check_answer(req);
        break;
    case WS_E_HTTP_MALFORMED:
        FUZZ_CHECK(err_at < seen && consumed == SIZE_MAX);
        break;
    case WS_E_HEADERS_TOO_LARGE:
        FUZZ_CHECK(consumed == SIZE_MAX && err_at == SIZE_MAX);
        break;
    case WS_E_INCOMPLETE:
        FUZZ_CHECK(len < eff);
        break;
    default:
        FUZZ_CHECK(!"unexpected error");
    }
    free(copy);

    /* The same bytes cut at p, shorter than the whole and than the bound. */
    size_t p = len ? (size_t)((uint64_t)len * b1 / 256) : 0;
    if (p < len && p < eff) {
        size_t c2 = SIZE_MAX, a2 = SIZE_MAX;
        enum ws_error e2 = parse(buf, p, bound, req, &copy, &c2, &a2);
        free(copy);
        if (e == WS_E_OK && p < consumed)
            FUZZ_CHECK(e2 == WS_E_INCOMPLETE);
        else if (e == WS_E_OK)
            FUZZ_CHECK(e2 == WS_E_OK && c2 == consumed);
        else if (e == WS_E_HTTP_MALFORMED && p > err_at + 1)
            FUZZ_CHECK(e2 == e && a2 == err_at);
        else if (e == WS_E_HTTP_MALFORMED && p <= err_at)
            FUZZ_CHECK(e2 == WS_E_INCOMPLETE);
        else if (e == WS_E_HTTP_MALFORMED) /* a bare CR is judged once its next byte is in */
            FUZZ_CHECK(e2 == WS_E_INCOMPLETE || (e2 == e && a2 == err_at));
        else if (e == WS_E_INCOMPLETE)
            FUZZ_CHECK(e2 == WS_E_INCOMPLETE);
        else /* too many fields: a prefix has fewer, or is cut before the extra one */
            FUZZ_CHECK(e2 == WS_E_INCOMPLETE || e2 == e);
    }
    free(req);
    return 0;
}

FUZZ_NOCOV_END

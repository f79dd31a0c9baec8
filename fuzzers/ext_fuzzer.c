/*
 * ext_fuzzer.c - the Sec-WebSocket-Extensions grammar (ws_ext_parse, RFC 6455
 * section 9.1).
 *
 * Input: one byte (bits 0-4: room in the caller's array, 0-16 offers; bits 5-7: how
 * many offers an earlier field already put there), then one header value.
 *
 * Checked:
 *   - the contract of ws_ext.h: on error *n is unchanged, the offers already in the
 *     array are untouched (guard values), err_at <= len; on success at least one offer
 *     was added and no more than the room; every name and parameter is a slice of the
 *     value; names and unquoted values are tokens; a quoted value's raw text unescapes
 *     to a token; at most WS_EXT_MAX_PARAMS parameters;
 *   - a round trip: the parsed offers written out again in a canonical form
 *     ("a; b=c; d=\"e\", f") parse back to the same names, parameters and quoting.
 */
#include "fuzz_input.h"

#include "ws_ext.h"

FUZZ_NOCOV_BEGIN

static bool token(const char *p, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!ws_is_tchar((unsigned char)p[i]))
            return false;
    return true;
}

static bool in_value(struct ws_slice s, const char *v, size_t len)
{
    return s.ptr >= v && s.len <= len && (size_t)(s.ptr - v) <= len - s.len;
}

/* Quoted text between the quotes, escapes included: once unescaped, a token. */
static bool quoted_token(struct ws_slice s)
{
    size_t chars = 0;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c == '\\') {
            if (++i == s.len)
                return false;
            c = (unsigned char)s.ptr[i];
        }
        if (!ws_is_tchar(c))
            return false;
        chars++;
    }
    return chars > 0;
}

/* Write offers[from..to) back out; returns the length, 0 if it does not fit. */
static size_t serialise(const struct ws_ext_offer *o, size_t from, size_t to, char *out, size_t cap)
{
    size_t n = 0;
#define PUT(p, l)                                                                                  \
    do {                                                                                           \
        if ((l) > cap - n)                                                                         \
            return 0;                                                                              \
        memcpy(out + n, (p), (l));                                                                 \
        n += (l);                                                                                  \
    } while (0)
    for (size_t i = from; i < to; i++) {
        if (i > from)
            PUT(", ", 2);
        PUT(o[i].name.ptr, o[i].name.len);
        for (size_t j = 0; j < o[i].n_params; j++) {
            const struct ws_ext_param *pm = &o[i].params[j];
            PUT("; ", 2);
            PUT(pm->name.ptr, pm->name.len);
            if (!pm->value.ptr)
                continue;
            PUT("=", 1);
            if (pm->quoted)
                PUT("\"", 1);
            PUT(pm->value.ptr, pm->value.len);
            if (pm->quoted)
                PUT("\"", 1);
        }
    }
#undef PUT
    return n;
}

static bool slice_eq(struct ws_slice a, struct ws_slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    uint8_t b0 = fuzz_u8(&in);
    size_t cap = (b0 & 31u) % (WS_EXT_MAX_OFFERS + 1), n0 = (b0 >> 5) % (cap + 1);
    char *value = (char *)fuzz_dup(in.p, in.n);
    size_t len = in.n;

    static struct ws_ext_offer offers[WS_EXT_MAX_OFFERS], again[WS_EXT_MAX_OFFERS];
    static const char guard_name[] = "earlier";
    for (size_t i = 0; i < n0; i++) {
        memset(&offers[i], 0xA5, sizeof offers[i]);
        offers[i].name.ptr = guard_name;
        offers[i].name.len = sizeof guard_name - 1;
    }
    struct ws_ext_offer guard;
    memset(&guard, 0xA5, sizeof guard);
    guard.name.ptr = guard_name;
    guard.name.len = sizeof guard_name - 1;

    size_t n = n0, err_at = SIZE_MAX;
    enum ws_error e = ws_ext_parse(value, len, offers, cap, &n, &err_at);
    for (size_t i = 0; i < n0; i++)
        FUZZ_CHECK(memcmp(&offers[i], &guard, sizeof guard) == 0);
    if (e != WS_E_OK) {
        FUZZ_CHECK(e == WS_E_EXTENSION_SYNTAX && n == n0 && err_at <= len);
        free(value);
        return 0;
    }
    FUZZ_CHECK(n > n0 && n <= cap && err_at == SIZE_MAX);
    for (size_t i = n0; i < n; i++) {
        const struct ws_ext_offer *o = &offers[i];
        FUZZ_CHECK(in_value(o->name, value, len) && token(o->name.ptr, o->name.len));
        FUZZ_CHECK(o->n_params <= WS_EXT_MAX_PARAMS);
        for (size_t j = 0; j < o->n_params; j++) {
            const struct ws_ext_param *pm = &o->params[j];
            FUZZ_CHECK(in_value(pm->name, value, len) && token(pm->name.ptr, pm->name.len));
            if (!pm->value.ptr) {
                FUZZ_CHECK(!pm->quoted);
                continue;
            }
            FUZZ_CHECK(in_value(pm->value, value, len));
            FUZZ_CHECK(pm->quoted ? quoted_token(pm->value) : token(pm->value.ptr, pm->value.len));
        }
    }

    /* Round trip through the canonical form. */
    size_t cap2 = 4 * len + 64;
    char *text = malloc(cap2);
    if (!text)
        abort();
    size_t tlen = serialise(offers, n0, n, text, cap2);
    FUZZ_CHECK(tlen > 0);
    char *exact = (char *)fuzz_dup((const uint8_t *)text, tlen);
    size_t m = 0;
    FUZZ_CHECK(ws_ext_parse(exact, tlen, again, WS_EXT_MAX_OFFERS, &m, NULL) == WS_E_OK);
    FUZZ_CHECK(m == n - n0);
    for (size_t i = 0; i < m; i++) {
        const struct ws_ext_offer *a = &offers[n0 + i], *b = &again[i];
        FUZZ_CHECK(slice_eq(a->name, b->name) && a->n_params == b->n_params);
        for (size_t j = 0; j < a->n_params; j++) {
            FUZZ_CHECK(slice_eq(a->params[j].name, b->params[j].name));
            FUZZ_CHECK((a->params[j].value.ptr == NULL) == (b->params[j].value.ptr == NULL));
            FUZZ_CHECK(slice_eq(a->params[j].value, b->params[j].value));
            FUZZ_CHECK(a->params[j].quoted == b->params[j].quoted);
        }
    }
    free(exact);
    free(text);
    free(value);
    return 0;
}

FUZZ_NOCOV_END

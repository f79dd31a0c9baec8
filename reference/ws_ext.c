/*
 * ws_ext.c - the Sec-WebSocket-Extensions grammar of RFC 6455 section 9.1.
 *
 * One header value is read left to right in one pass; the first byte that cannot
 * continue the grammar ends the parse and its offset is reported (or len when the
 * value stops where more was required). Nothing is copied and nothing is allocated:
 * names and values are slices of the value. The caller's offers array is only
 * committed on success, so a failed parse leaves *n as it was.
 *
 * The grammar is read with the "implied *LWS rule" of RFC 2616 section 2.1 that
 * section 9.1 invokes, in its RFC 7230 form: optional whitespace (SP / HTAB) may
 * stand around every separator (",", ";", "="), and empty list elements are skipped.
 * RFC 7230 section 7: "For compatibility with legacy list rules, a recipient MUST
 * parse and ignore a reasonable number of empty list elements". They cost one byte
 * each and the value is bounded by the header block limit, so all are skipped.
 */
#include "ws_ext.h"

#include <string.h>

/* One pass over one value; pos is the read position, bad the offset reported. */
struct ws_ext_reader {
    const unsigned char *p;
    size_t len, pos;
};

static void ws_ext_skip_ows(struct ws_ext_reader *r)
{
    while (r->pos < r->len && ws_is_ows(r->p[r->pos]))
        r->pos++;
}

static bool ws_ext_peek_is(const struct ws_ext_reader *r, unsigned char c)
{
    return r->pos < r->len && r->p[r->pos] == c;
}

/* token = 1*tchar. False (at r->pos) when not even one tchar is there. */
static bool ws_ext_token(struct ws_ext_reader *r, struct ws_slice *out)
{
    size_t start = r->pos;
    while (r->pos < r->len && ws_is_tchar(r->p[r->pos]))
        r->pos++;
    out->ptr = (const char *)r->p + start;
    out->len = r->pos - start;
    return out->len > 0;
}

/* quoted-string of RFC 7230 section 3.2.6 whose content, once unescaped, is a token:
 * RFC 6455 section 9.1: "When using the quoted-string syntax variant, the value after
 * quoted-string unescaping MUST conform to the 'token' ABNF."
 * So qdtext and quoted-pair are only checked as far as a token allows: every
 * unescaped character must be a tchar, and there must be at least one. r->pos is on
 * the opening DQUOTE. On failure r->pos is the offending byte (len if the value ends
 * inside the string). out is the raw text between the quotes, escapes included. */
static bool ws_ext_quoted_token(struct ws_ext_reader *r, struct ws_slice *out)
{
    size_t start = ++r->pos; /* past the opening DQUOTE */
    size_t chars = 0;
    while (r->pos < r->len) {
        unsigned char c = r->p[r->pos];
        if (c == '"') {
            if (chars == 0)
                return false; /* "" unescapes to the empty string: not a token */
            out->ptr = (const char *)r->p + start;
            out->len = r->pos - start;
            r->pos++;
            return true;
        }
        if (c == '\\') {
            /* quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ); the pair stands for
             * its second byte, which must then be a tchar. */
            r->pos++;
            if (r->pos == r->len)
                return false;
            c = r->p[r->pos];
        }
        if (!ws_is_tchar(c))
            return false;
        chars++;
        r->pos++;
    }
    return false; /* no closing DQUOTE */
}

enum ws_error ws_ext_parse(const char *value, size_t len, struct ws_ext_offer *offers, size_t cap,
                           size_t *n, size_t *err_at)
{
    if ((!value && len) || !n || (!offers && cap))
        return WS_E_INVALID_ARGUMENT;
    struct ws_ext_reader r = {(const unsigned char *)value, len, 0};
    size_t count = *n; /* committed to *n only on success */
    size_t got = 0;    /* extensions in this value */

    for (;;) {
        ws_ext_skip_ows(&r);
        if (r.pos == r.len)
            break;
        if (r.p[r.pos] == ',') { /* an empty list element */
            r.pos++;
            continue;
        }
        /* extension = extension-token *( ";" extension-param ) */
        if (count >= cap)
            goto bad; /* one offer more than the caller has room for */
        struct ws_ext_offer *o = &offers[count];
        memset(o, 0, sizeof *o);
        if (!ws_ext_token(&r, &o->name))
            goto bad;
        ws_ext_skip_ows(&r);
        while (ws_ext_peek_is(&r, ';')) {
            r.pos++;
            ws_ext_skip_ows(&r);
            /* WS_EXT_MAX_PARAMS: real offers carry a handful; more is refused
             * rather than allocated for. Reported at the first param too many. */
            if (o->n_params == WS_EXT_MAX_PARAMS)
                goto bad;
            struct ws_ext_param *pm = &o->params[o->n_params];
            /* extension-param = token [ "=" (token | quoted-string) ] */
            if (!ws_ext_token(&r, &pm->name))
                goto bad;
            ws_ext_skip_ows(&r);
            if (ws_ext_peek_is(&r, '=')) {
                r.pos++;
                ws_ext_skip_ows(&r);
                if (ws_ext_peek_is(&r, '"')) {
                    if (!ws_ext_quoted_token(&r, &pm->value))
                        goto bad;
                    pm->quoted = true;
                } else if (!ws_ext_token(&r, &pm->value)) {
                    goto bad;
                }
                ws_ext_skip_ows(&r);
            }
            o->n_params++;
        }
        count++;
        got++;
        /* An extension ends at the end of the value or at the list's comma. */
        if (r.pos < r.len) {
            if (r.p[r.pos] != ',')
                goto bad;
            r.pos++;
        }
    }
    /* extension-list = 1#extension: at least one, so an empty value is a violation. */
    if (got == 0)
        goto bad;
    *n = count;
    return WS_E_OK;

bad:
    if (err_at)
        *err_at = r.pos;
    return WS_E_EXTENSION_SYNTAX;
}

/*
 * script_request.c - a case's opening request (cases/README.md, "The opening
 * handshake"): the request wsspec sends on every connection - built by the core's
 * builder, so the default bytes are the same everywhere - with the case's edits applied
 * in file order and {key}, {host}, {path} filled in; what that request offered (its
 * key, subprotocols and extension names), read back from the bytes themselves, for the
 * core's check of the 101 and the judge's; and the text the reports keep of it.
 *
 * The request is built whole when the case starts (a case's request is at most 1 MiB,
 * case_request.c) and handed to the send queue as one payload, so it is chopped and
 * paced like any other write.
 */
#include "script_int.h"

#include "ws_ext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The request as the reports keep it: the first 16 KiB (a case that sends a 1 MiB
 * header block is understood from its beginning; the wire log has the rest's size). */
#define REQUEST_KEPT (16u * 1024u)

/* ------------------------------------------------------------ bytes */

struct rbuf {
    uint8_t *p;
    size_t n, cap;
    bool oom;
};

static void put(struct rbuf *b, const void *data, size_t n)
{
    if (b->oom || n == 0)
        return;
    if (n > b->cap - b->n) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap - b->n < n)
            cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void put_str(struct rbuf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* The values of the placeholders for this connection. */
struct fill {
    const char *key, *host, *path, *accept;
};

static const char *fill_value(const struct fill *f, const uint8_t *name, size_t n)
{
    if (n == 3 && memcmp(name, "key", 3) == 0)
        return f->key;
    if (n == 4 && memcmp(name, "host", 4) == 0)
        return f->host;
    if (n == 4 && memcmp(name, "path", 4) == 0)
        return f->path;
    if (n == 6 && memcmp(name, "accept", 6) == 0)
        return f->accept;
    return NULL;
}

/* A literal part with its placeholders filled in (case_request.c admits no others). */
static void put_filled(struct rbuf *b, const uint8_t *s, size_t n, const struct fill *f)
{
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '{')
            continue;
        const uint8_t *end = memchr(s + i, '}', n - i);
        const char *v = end ? fill_value(f, s + i + 1, (size_t)(end - s) - i - 1) : NULL;
        if (!v)
            continue;
        put(b, s + from, i - from);
        put_str(b, v);
        from = (size_t)(end - s) + 1;
        i = from - 1;
    }
    put(b, s + from, n - from);
}

/* A case payload: literal parts filled in, repeat() patterns as they are. */
static void put_payload(struct rbuf *b, const struct payload *pl, const struct fill *f)
{
    uint64_t off = 0;
    for (size_t s = 0; s < pl->n_segs && !b->oom; s++) {
        const struct payload_seg *g = &pl->segs[s];
        if (g->len == g->pat_len) {
            put_filled(b, g->pat, g->pat_len, f);
        } else {
            uint8_t chunk[4096];
            for (uint64_t done = 0; done < g->len && !b->oom;) {
                size_t k = g->len - done < sizeof chunk ? (size_t)(g->len - done) : sizeof chunk;
                payload_copy(pl, off + done, chunk, k);
                put(b, chunk, k);
                done += k;
            }
        }
        off += g->len;
    }
}

/* ------------------------------------------------------------ lines */

/* The request as lines without their CRLF: [0] the request line, then the headers. */
struct rlines {
    struct rbuf *l;
    size_t n, cap;
    bool oom;
};

static struct rbuf *line_new(struct rlines *ls, size_t at)
{
    if (ls->oom)
        return NULL;
    if (ls->n == ls->cap) {
        size_t cap = ls->cap ? ls->cap * 2 : 32;
        struct rbuf *q = realloc(ls->l, cap * sizeof *q);
        if (!q) {
            ls->oom = true;
            return NULL;
        }
        ls->l = q;
        ls->cap = cap;
    }
    memmove(ls->l + at + 1, ls->l + at, (ls->n - at) * sizeof *ls->l);
    ls->n++;
    memset(&ls->l[at], 0, sizeof ls->l[at]);
    return &ls->l[at];
}

static void line_drop(struct rlines *ls, size_t at)
{
    free(ls->l[at].p);
    memmove(ls->l + at, ls->l + at + 1, (ls->n - at - 1) * sizeof *ls->l);
    ls->n--;
}

static void lines_free(struct rlines *ls)
{
    for (size_t i = 0; i < ls->n; i++)
        free(ls->l[i].p);
    free(ls->l);
}

/* The default request (CRLF lines, an empty one at the end) as lines. */
static void lines_from(struct rlines *ls, const char *req, size_t n)
{
    for (size_t i = 0; i < n;) {
        const char *eol = memchr(req + i, '\r', n - i);
        size_t len = eol ? (size_t)(eol - (req + i)) : n - i;
        if (len == 0)
            break; /* the empty line that ends the block */
        struct rbuf *b = line_new(ls, ls->n);
        if (b)
            put(b, req + i, len);
        i += len + 2;
    }
}

/* A header line called name (any case): the bytes before its colon. */
static bool line_named(const struct rbuf *b, const char *name)
{
    size_t n = strlen(name);
    return b->n > n && b->p[n] == ':' && strncasecmp((const char *)b->p, name, n) == 0;
}

static void edit_set(struct rlines *ls, const struct request_edit *e, const struct fill *f)
{
    struct rbuf *b = NULL;
    for (size_t i = 1; i < ls->n;) {
        if (!line_named(&ls->l[i], e->name)) {
            i++;
        } else if (!b) {
            b = &ls->l[i++];
            b->n = 0;
        } else {
            line_drop(ls, i);
        }
    }
    if (!b)
        b = line_new(ls, ls->n);
    if (!b)
        return;
    put_str(b, e->name);
    put_str(b, ": ");
    put_payload(b, &e->value, f);
}

static void apply(struct rlines *ls, const struct request_edit *e, const struct fill *f)
{
    struct rbuf *b;
    switch (e->kind) {
    case EDIT_LINE:
        if (ls->n) {
            ls->l[0].n = 0;
            put_payload(&ls->l[0], &e->value, f);
        }
        break;
    case EDIT_DROP:
        for (size_t i = ls->n; i-- > 1;)
            if (line_named(&ls->l[i], e->name))
                line_drop(ls, i);
        break;
    case EDIT_SET:
        edit_set(ls, e, f);
        break;
    case EDIT_ADD:
        if ((b = line_new(ls, ls->n)))
            put_payload(b, &e->value, f);
        break;
    case EDIT_RAW:
        break; /* the whole request: request_bytes */
    }
}

/* ------------------------------------------------------------ the request */

/* The request the core builds for every connection, with this key. */
static char *default_request(const struct ws_request_params *params, const char *key, size_t *n)
{
    struct ws_request_params prm = *params;
    prm.key = key;
    size_t need = 0;
    if (ws_handshake_build_request(&prm, NULL, 0, &need) != WS_E_BUFFER_TOO_SMALL)
        return NULL;
    char *out = malloc(need + 1);
    if (out && ws_handshake_build_request(&prm, out, need + 1, n) != WS_E_OK) {
        free(out);
        out = NULL;
    }
    return out;
}

static bool lines_oom(const struct rlines *ls)
{
    bool oom = ls->oom;
    for (size_t i = 0; i < ls->n; i++)
        oom = oom || ls->l[i].oom;
    return oom;
}

/* The case's request into out: the edits on the default one, or its raw bytes. */
static bool request_bytes(const struct case_def *d, const char *dflt, size_t dflt_len,
                          const struct fill *f, struct rbuf *out)
{
    const struct case_request *rq = &d->request;
    for (size_t i = 0; i < rq->n_edits; i++)
        if (rq->edits[i].kind == EDIT_RAW) {
            put_payload(out, &rq->edits[i].value, f);
            return !out->oom;
        }
    struct rlines ls = {0};
    lines_from(&ls, dflt, dflt_len);
    for (size_t i = 0; i < rq->n_edits; i++)
        apply(&ls, &rq->edits[i], f);
    for (size_t i = 0; i < ls.n; i++) {
        put(out, ls.l[i].p, ls.l[i].n);
        put_str(out, "\r\n");
    }
    put_str(out, "\r\n");
    bool ok = !lines_oom(&ls) && !out->oom;
    lines_free(&ls);
    return ok;
}

/* ------------------------------------------------------------ the offer */

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t'))
        (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/* Append name to the offer's name store and list; false when full. */
static bool offer_name(struct script_offer *o, const char **list, size_t *count, size_t max,
                       const char *name, size_t n)
{
    if (*count >= max || n == 0 || n >= sizeof o->names - o->names_used)
        return false;
    char *at = o->names + o->names_used;
    memcpy(at, name, n);
    at[n] = '\0';
    o->names_used += n + 1;
    list[(*count)++] = at;
    return true;
}

static void offer_protocols(struct script_offer *o, const char *v, size_t n)
{
    struct ws_slice value = {v, n}, item;
    size_t pos = 0;
    while (ws_http_list_next(value, &pos, &item))
        offer_name(o, o->protocols, &o->n_protocols, SCRIPT_OFFER_MAX, item.ptr, item.len);
}

static void offer_extensions(struct script_offer *o, const char *v, size_t n)
{
    struct ws_ext_offer offers[WS_EXT_MAX_OFFERS];
    size_t count = 0, err_at;
    if (ws_ext_parse(v, n, offers, WS_EXT_MAX_OFFERS, &count, &err_at) != WS_E_OK)
        return; /* not an offer the server can accept any extension from */
    for (size_t i = 0; i < count; i++)
        offer_name(o, o->extensions, &o->n_extensions, SCRIPT_OFFER_MAX, offers[i].name.ptr,
                   offers[i].name.len);
}

/* One header line "name: value" of the request. */
static void offer_line(struct script_offer *o, const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    if (!colon || n == 0 || s[0] == ' ' || s[0] == '\t')
        return; /* the request line, a folded continuation, or no header at all */
    const char *name = s, *v = colon + 1;
    size_t nn = (size_t)(colon - s), vn = n - nn - 1;
    trim(&name, &nn);
    trim(&v, &vn);
    if (nn == 17 && strncasecmp(name, "Sec-WebSocket-Key", nn) == 0 && !o->has_key &&
        vn < sizeof o->key) {
        memcpy(o->key, v, vn);
        o->key[vn] = '\0';
        o->has_key = true;
    } else if (nn == 22 && strncasecmp(name, "Sec-WebSocket-Protocol", nn) == 0) {
        offer_protocols(o, v, vn);
    } else if (nn == 24 && strncasecmp(name, "Sec-WebSocket-Extensions", nn) == 0) {
        offer_extensions(o, v, vn);
    }
}

void script_offer_read(struct script_offer *o, const uint8_t *req, size_t n)
{
    memset(o, 0, sizeof *o);
    const char *s = (const char *)req;
    bool request_line = true;
    for (size_t i = 0; i < n;) {
        const char *eol = memchr(s + i, '\n', n - i);
        size_t len = eol ? (size_t)(eol - (s + i)) : n - i;
        size_t l = len && s[i + len - 1] == '\r' ? len - 1 : len;
        i += len + 1;
        if (l == 0 && request_line)
            continue; /* empty lines before the request line (RFC 9112 2.2) */
        if (l == 0)
            break; /* the end of the header block */
        if (!request_line)
            offer_line(o, s + i - len - 1, l);
        request_line = false;
    }
    o->offer.key = o->has_key ? o->key : NULL;
    o->offer.protocols = o->protocols;
    o->offer.n_protocols = o->n_protocols;
    o->offer.extensions = o->extensions;
    o->offer.n_extensions = o->n_extensions;
}

/* ------------------------------------------------------------ the record */

/* Credentials a user gave with -H (Authorization, Proxy-Authorization, Cookie) would
 * otherwise end up in every CI artifact: their values are replaced. */
static bool secret_header(const char *line, size_t len, size_t *name_len)
{
    static const char *const secret[] = {"authorization:", "proxy-authorization:", "cookie:"};
    for (size_t k = 0; k < sizeof secret / sizeof secret[0]; k++) {
        size_t kl = strlen(secret[k]);
        if (len >= kl && strncasecmp(line, secret[k], kl) == 0) {
            *name_len = kl;
            return true;
        }
    }
    return false;
}

static void redact_into(struct rbuf *out, const char *req, size_t n)
{
    static const char mark[] = " <redacted>";
    size_t kl;
    for (size_t i = 0; i < n;) {
        const char *eol = memchr(req + i, '\n', n - i);
        size_t len = eol ? (size_t)(eol - (req + i)) + 1 : n - i;
        size_t end = len >= 2 && req[i + len - 2] == '\r' ? 2 : eol ? 1 : 0;
        if (secret_header(req + i, len, &kl)) {
            put(out, req + i, kl);
            put(out, mark, sizeof mark - 1);
            put(out, req + i + len - end, end);
        } else {
            put(out, req + i, len);
        }
        i += len;
    }
}

char *script_request_record(const uint8_t *req, size_t n)
{
    struct rbuf out = {0};
    size_t kept = n < REQUEST_KEPT ? n : REQUEST_KEPT;
    redact_into(&out, (const char *)req, kept);
    if (kept < n) {
        char more[96];
        snprintf(more, sizeof more, "\n... (%zu more bytes of the request, not kept)", n - kept);
        put_str(&out, more);
    }
    put(&out, "", 1);
    if (out.oom) {
        free(out.p);
        return NULL;
    }
    return (char *)out.p;
}

/* ------------------------------------------------------------ building */

static void own_bytes(struct script *sc, struct rbuf *out);

bool script_request_build(struct script *sc, const struct ws_request_params *params)
{
    char key[WS_KEY_LEN + 1];
    ws_handshake_make_key(script_random, &sc->rng, key);
    size_t dlen = 0;
    char *dflt = default_request(params, key, &dlen);
    if (!dflt)
        return false;
    char accept[WS_ACCEPT_LEN + 1];
    ws_handshake_accept(key, strlen(key), accept);
    struct fill f = {key, params->host, params->target ? params->target : "/", accept};
    struct rbuf out = {0};
    bool ok = request_bytes(sc->def, dflt, dlen, &f, &out);
    free(dflt);
    if (!ok) {
        free(out.p);
        return false;
    }
    own_bytes(sc, &out);
    return true;
}

/* ------------------------------------------------------------ the server's own response */

/* The request line's target (the second word) and the Host value of the client's
 * request block raw[0..n), into the buffers (cut to fit, NUL-terminated). */
static void request_names(const char *raw, size_t n, char *path, size_t pcap, char *host,
                          size_t hcap)
{
    snprintf(path, pcap, "/");
    host[0] = '\0';
    const char *sp = memchr(raw, ' ', n);
    const char *eol = memchr(raw, '\r', n);
    if (sp && eol && sp < eol) {
        const char *end = memchr(sp + 1, ' ', (size_t)(eol - sp - 1));
        size_t k = (size_t)((end ? end : eol) - sp - 1);
        snprintf(path, pcap, "%.*s", (int)(k < pcap ? k : pcap - 1), sp + 1);
    }
    for (size_t i = 0; i + 6 < n; i++) {
        if ((i == 0 || raw[i - 1] != '\n') || strncasecmp(raw + i, "host:", 5) != 0)
            continue;
        const char *v = raw + i + 5, *e = memchr(v, '\r', n - i - 5);
        size_t vn = e ? (size_t)(e - v) : n - i - 5;
        trim(&v, &vn);
        snprintf(host, hcap, "%.*s", (int)(vn < hcap ? vn : hcap - 1), v);
        return;
    }
}

bool script_response_build(struct script *sc, const char *raw, size_t n)
{
    const char *key = sc->offer.has_key ? sc->offer.key : "";
    char dflt[1024], accept[WS_ACCEPT_LEN + 1], path[1024], host[256];
    size_t dlen = 0;
    struct ws_slice k = {key, strlen(key)}, none = {0};
    if (ws_handshake_build_response(k, none, NULL, dflt, sizeof dflt, &dlen) != WS_E_OK)
        return false;
    ws_handshake_accept(key, strlen(key), accept);
    request_names(raw, n, path, sizeof path, host, sizeof host);
    struct fill f = {key, host, path, accept};
    struct rbuf out = {0};
    if (!request_bytes(sc->def, dflt, dlen, &f, &out)) {
        free(out.p);
        return false;
    }
    own_bytes(sc, &out);
    return true;
}

/* out's bytes become the payload the send queue writes (sc->req). */
static void own_bytes(struct script *sc, struct rbuf *out)
{
    sc->req = out->p;
    sc->req_seg = (struct payload_seg){.pat = out->p, .pat_len = out->n, .len = out->n};
    sc->req_pl = (struct payload){.segs = &sc->req_seg, .n_segs = 1, .len = out->n};
}

void script_request_free(struct script *sc)
{
    free(sc->req);
    sc->req = NULL;
    memset(&sc->req_pl, 0, sizeof sc->req_pl);
}

/*
 * report_json.c - writes the JSON files of a report directory (report_json.h):
 * Autobahn's index.json and per-case files, so existing consumers keep working, and
 * wsspec.json, the whole run in one file. reports/README.md documents every key.
 *
 * Output is produced by a small streaming writer into a growable buffer, then written
 * to a temporary file and renamed into place. The writer enforces two properties for
 * every file: keys come in sorted order (Autobahn writes with sort_keys, and readers
 * diff reports), and every string is valid JSON whatever bytes the target sent:
 *
 *   - bytes that are valid UTF-8 are written as that text; '"' and '\' are escaped,
 *     control characters become \b \f \n \r \t or \u00XX (DEL too);
 *   - a byte string that is not valid UTF-8 is written as ISO-8859-1: every byte is one
 *     character U+0000..U+00FF (bytes >= 0x80 as \u00XX), so the exact bytes can be
 *     recovered; the per-case file lists such top-level keys in "latin1Fields";
 *   - payloads (received, expected, wirelog) use Autobahn's own rendering instead:
 *     text when valid UTF-8, else "0x" + hex, first 64 bytes, " ..." when longer.
 *
 * The writer is our own although the binary links jansson (which reads configs,
 * baselines and, in report_render.c, these very files): jansson refuses strings that are
 * not valid UTF-8 and has no ISO-8859-1 fallback, and the rules above - how a report
 * shows the bytes a target sent - are what must be under our control.
 */
#include "report_json.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "case_vocab.h"
#include "ws_utf8.h"

/* Longest path we build: the directory plus one file name. Report directories are user
 * paths; 4 KiB is Linux's PATH_MAX and anything longer is refused with a message. */
#define REPORT_PATH_MAX 4096
/* Autobahn shows the first 64 bytes of a payload and marks text longer than 60 bytes
 * with " ..." (catalogue 3.3); the same numbers keep the two reports comparable. */
#define RENDER_BYTES 64
#define RENDER_TEXT_LIMIT 60
/* Nesting depth of the deepest value written (a wirelog row inside the array inside the
 * per-case object is 4); the margin is for future keys. */
#define JW_DEPTH_MAX 12
/* Autobahn writes with indent=3. */
#define JW_INDENT 3
/* "2023-04-29T05:59:36.109Z" is 24 bytes; the buffer is sized for the widest values the
 * int fields could take, so the compiler can prove snprintf never truncates. */
#define ISO_BUF 80

/* ------------------------------------------------------------ the writer */

struct jw_level {
    bool inline_;         /* elements on one line: ["message", "Hello", false] */
    size_t n;             /* elements written so far */
    const char *last_key; /* objects: the previous key, to check sorted order */
};

struct jw {
    char *buf;
    size_t len, cap;
    const char *failed; /* first failure (static text), NULL while fine */
    int depth;
    bool after_key;
    struct jw_level lv[JW_DEPTH_MAX];
};

static void jw_fail(struct jw *w, const char *why)
{
    if (!w->failed)
        w->failed = why;
}

static void jw_reset(struct jw *w)
{
    w->len = 0;
    w->failed = NULL;
    w->depth = 0;
    w->after_key = false;
}

static void jw_put(struct jw *w, const void *s, size_t n)
{
    if (w->failed || n == 0)
        return;
    if (n > w->cap - w->len) {
        size_t cap = w->cap ? w->cap : 4096;
        while (n > cap - w->len) {
            if (cap > SIZE_MAX / 2) {
                jw_fail(w, "report too large");
                return;
            }
            cap *= 2;
        }
        char *p = realloc(w->buf, cap);
        if (!p) {
            jw_fail(w, "out of memory");
            return;
        }
        w->buf = p;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void jw_putc(struct jw *w, char c)
{
    jw_put(w, &c, 1);
}

static void jw_newline(struct jw *w, int depth)
{
    static const char spaces[] = "                                    ";
    jw_putc(w, '\n');
    size_t n = (size_t)depth * JW_INDENT;
    while (n) {
        size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
        jw_put(w, spaces, k);
        n -= k;
    }
}

/* Before any value or key: the separator and the indentation of its container. */
static void jw_sep(struct jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth == 0)
        return;
    struct jw_level *lv = &w->lv[w->depth - 1];
    if (lv->n)
        jw_putc(w, ',');
    if (!lv->inline_)
        jw_newline(w, w->depth);
    else if (lv->n)
        jw_putc(w, ' ');
    lv->n++;
}

static void jw_open(struct jw *w, char c, bool inline_)
{
    jw_sep(w);
    jw_putc(w, c);
    if (w->depth == JW_DEPTH_MAX) {
        jw_fail(w, "nesting too deep");
        return;
    }
    bool parent_inline = w->depth > 0 && w->lv[w->depth - 1].inline_;
    w->lv[w->depth++] = (struct jw_level){.inline_ = inline_ || parent_inline};
}

static void jw_close(struct jw *w, char c)
{
    if (w->depth == 0) {
        jw_fail(w, "unbalanced close");
        return;
    }
    struct jw_level *lv = &w->lv[--w->depth];
    if (lv->n && !lv->inline_)
        jw_newline(w, w->depth);
    jw_putc(w, c);
}

#define jw_obj(w) jw_open((w), '{', false)
#define jw_obj_end(w) jw_close((w), '}')
#define jw_arr(w) jw_open((w), '[', false)
#define jw_row(w) jw_open((w), '[', true)
#define jw_arr_end(w) jw_close((w), ']')

/* The string encoding of the file comment. Returns true if the bytes were not valid
 * UTF-8 and were therefore written as ISO-8859-1. */
static bool jw_string_raw(struct jw *w, const void *data, size_t n)
{
    const uint8_t *s = data;
    bool latin1 = n > 0 && !ws_utf8_valid(s, n);
    size_t run = 0;
    jw_putc(w, '"');
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        char esc[8];
        const char *e = NULL;
        switch (c) {
        case '"':
            e = "\\\"";
            break;
        case '\\':
            e = "\\\\";
            break;
        case '\b':
            e = "\\b";
            break;
        case '\f':
            e = "\\f";
            break;
        case '\n':
            e = "\\n";
            break;
        case '\r':
            e = "\\r";
            break;
        case '\t':
            e = "\\t";
            break;
        default:
            if (c < 0x20 || c == 0x7f || (latin1 && c >= 0x80)) {
                snprintf(esc, sizeof esc, "\\u%04x", (unsigned)c);
                e = esc;
            }
        }
        if (!e)
            continue;
        jw_put(w, s + run, i - run);
        jw_put(w, e, strlen(e));
        run = i + 1;
    }
    jw_put(w, s + run, n - run);
    jw_putc(w, '"');
    return latin1;
}

static bool jw_strn(struct jw *w, const void *s, size_t n)
{
    jw_sep(w);
    return jw_string_raw(w, s, n);
}

static bool jw_str(struct jw *w, const char *s)
{
    return jw_strn(w, s, strlen(s));
}

static void jw_key(struct jw *w, const char *k)
{
    if (w->depth == 0) {
        jw_fail(w, "key outside an object");
        return;
    }
    struct jw_level *lv = &w->lv[w->depth - 1];
    if (lv->last_key && strcmp(lv->last_key, k) >= 0)
        jw_fail(w, "keys out of order"); /* a bug in this file, caught by the tests */
    lv->last_key = k;
    jw_sep(w);
    jw_string_raw(w, k, strlen(k));
    jw_put(w, ": ", 2);
    w->after_key = true;
}

static void jw_lit(struct jw *w, const char *s)
{
    jw_sep(w);
    jw_put(w, s, strlen(s));
}

static void jw_null(struct jw *w)
{
    jw_lit(w, "null");
}

static void jw_bool(struct jw *w, bool b)
{
    jw_lit(w, b ? "true" : "false");
}

static void jw_int(struct jw *w, long long v)
{
    char b[24];
    snprintf(b, sizeof b, "%lld", v);
    jw_lit(w, b);
}

static void jw_uint(struct jw *w, unsigned long long v)
{
    char b[24];
    snprintf(b, sizeof b, "%llu", v);
    jw_lit(w, b);
}

static void jw_num(struct jw *w, double v)
{
    char b[32];
    if (!isfinite(v)) {
        jw_null(w); /* JSON has no NaN or infinity */
        return;
    }
    snprintf(b, sizeof b, "%.15g", v);
    jw_lit(w, b);
}

/* key + value shorthands */
static void jw_kstr(struct jw *w, const char *k, const char *s)
{
    jw_key(w, k);
    if (s)
        jw_str(w, s);
    else
        jw_null(w);
}

static void jw_kbool(struct jw *w, const char *k, bool b)
{
    jw_key(w, k);
    jw_bool(w, b);
}

static void jw_kint(struct jw *w, const char *k, long long v)
{
    jw_key(w, k);
    jw_int(w, v);
}

static void jw_kuint(struct jw *w, const char *k, unsigned long long v)
{
    jw_key(w, k);
    jw_uint(w, v);
}

static void jw_kcode(struct jw *w, const char *k, int code)
{
    jw_key(w, k);
    if (code >= 0)
        jw_int(w, code);
    else
        jw_null(w);
}

/* ------------------------------------------------------------ renderings */

static void iso_utc(double t, char *out, size_t cap)
{
    /* Year 10000 and later do not fit the format; nor does a negative or NaN time. */
    if (!(t >= 0))
        t = 0;
    if (t > 253402300799.0)
        t = 253402300799.0;
    long long ms = (long long)(t * 1000.0 + 0.5);
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&secs, &tm)) {
        snprintf(out, cap, "1970-01-01T00:00:00.000Z");
        return;
    }
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static long long round_ms(double ms)
{
    if (!(ms >= 0))
        return 0;
    if (ms > 9.0e15) /* beyond any real run; keeps the conversion defined */
        ms = 9.0e15;
    return (long long)(ms + 0.5);
}

static const char hexdigits[] = "0123456789abcdef";

/* Autobahn's payload rendering (catalogue 3.3). */
struct rendered {
    char s[2 + 2 * RENDER_BYTES + 4 + 1]; /* "0x" + hex + " ..." + NUL */
    size_t n;
};

/* Largest cut <= `cut` that does not split a UTF-8 sequence of p (p is valid UTF-8, or
 * a valid prefix of it, up to at least `cut` bytes). */
static size_t utf8_cut(const uint8_t *p, size_t cut)
{
    size_t s = cut;
    int back = 0;
    while (s > 0 && back < 4 && (p[s - 1] & 0xC0) == 0x80) {
        s--;
        back++;
    }
    if (s == 0)
        return 0;
    uint8_t lead = p[s - 1];
    size_t need = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    return (s - 1) + need <= cut ? cut : s - 1;
}

static void render_payload(const uint8_t *p, size_t avail, uint64_t len, bool valid,
                           struct rendered *out)
{
    size_t shown = avail < RENDER_BYTES ? avail : RENDER_BYTES;
    out->n = 0;
    if (valid) {
        bool more = len > RENDER_TEXT_LIMIT || avail < len;
        size_t cut = more ? utf8_cut(p, shown) : shown;
        if (cut)
            memcpy(out->s, p, cut);
        out->n = cut;
        if (more) {
            memcpy(out->s + out->n, " ...", 4);
            out->n += 4;
        }
    } else {
        out->s[out->n++] = '0';
        out->s[out->n++] = 'x';
        for (size_t i = 0; i < shown; i++) {
            out->s[out->n++] = hexdigits[p[i] >> 4];
            out->s[out->n++] = hexdigits[p[i] & 0xF];
        }
        if (len > shown) {
            memcpy(out->s + out->n, " ...", 4);
            out->n += 4;
        }
    }
    out->s[out->n] = '\0';
}

/* Valid UTF-8 as far as it goes: complete when avail == len, else a valid prefix. */
static bool bytes_utf8_ok(const uint8_t *p, size_t avail, uint64_t len)
{
    if (avail == len)
        return ws_utf8_valid(p, avail);
    struct ws_utf8 v;
    ws_utf8_init(&v);
    return ws_utf8_feed(&v, p, avail, NULL) == WS_E_OK;
}

static bool payload_utf8_ok(const struct payload *pl)
{
    uint8_t buf[4096];
    struct ws_utf8 v;
    ws_utf8_init(&v);
    for (uint64_t off = 0; off < pl->len;) {
        uint64_t left = pl->len - off;
        size_t n = left < sizeof buf ? (size_t)left : sizeof buf;
        payload_copy(pl, off, buf, n);
        if (ws_utf8_feed(&v, buf, n, NULL) != WS_E_OK)
            return false;
        off += n;
    }
    return ws_utf8_finish(&v) == WS_E_OK;
}

static void jw_payload_bytes(struct jw *w, const uint8_t *p, size_t avail, uint64_t len)
{
    struct rendered r;
    render_payload(p, avail, len, bytes_utf8_ok(p, avail, len), &r);
    jw_strn(w, r.s, r.n);
}

/* ------------------------------------------------------------ events */

static void write_recorded_event(struct jw *w, const struct recorded_event *e)
{
    jw_row(w);
    switch (e->type) {
    case EV_MESSAGE:
        jw_str(w, "message");
        jw_payload_bytes(w, e->data, e->data_len, e->len);
        jw_bool(w, e->binary);
        break;
    case EV_PONG:
        jw_str(w, "pong");
        jw_payload_bytes(w, e->data, e->data_len, e->len);
        break;
    case EV_TIMEOUT:
        jw_str(w, "timeout");
        jw_strn(w, e->tag, strnlen(e->tag, sizeof e->tag));
        break;
    }
    jw_arr_end(w);
}

static void write_expected_event(struct jw *w, const struct event *e)
{
    jw_row(w);
    if (e->type == EV_TIMEOUT) {
        jw_str(w, "timeout");
        jw_strn(w, e->tag, strnlen(e->tag, sizeof e->tag));
    } else {
        uint8_t head[RENDER_BYTES];
        size_t n = e->payload.len < sizeof head ? (size_t)e->payload.len : sizeof head;
        if (n)
            payload_copy(&e->payload, 0, head, n);
        struct rendered r;
        render_payload(head, n, e->payload.len, payload_utf8_ok(&e->payload), &r);
        jw_str(w, e->type == EV_PONG ? "pong" : "message");
        jw_strn(w, r.s, r.n);
        if (e->type == EV_MESSAGE)
            jw_bool(w, e->binary);
    }
    jw_arr_end(w);
}

static void write_event_list(struct jw *w, const char *key, const struct event_list *l)
{
    jw_key(w, key);
    jw_arr(w);
    for (size_t i = 0; i < l->n; i++)
        write_expected_event(w, &l->events[i]);
    jw_arr_end(w);
}

/* ------------------------------------------------------------ wire log */

static void jw_hex_octets(struct jw *w, const struct wirelog_row *row)
{
    char s[2 * RESULT_WIRELOG_BYTES + 5];
    size_t n = 0, k = row->data_len < RESULT_WIRELOG_BYTES ? row->data_len : RESULT_WIRELOG_BYTES;
    for (size_t i = 0; i < k; i++) {
        s[n++] = hexdigits[row->data[i] >> 4];
        s[n++] = hexdigits[row->data[i] & 0xF];
    }
    if (row->len > k) {
        memcpy(s + n, " ...", 4);
        n += 4;
    }
    jw_strn(w, s, n);
}

static void jw_mask(struct jw *w, const struct wirelog_row *row)
{
    if (!row->masked) {
        jw_null(w);
        return;
    }
    char s[8];
    for (size_t i = 0; i < 4; i++) {
        s[2 * i] = hexdigits[row->mask_key[i] >> 4];
        s[2 * i + 1] = hexdigits[row->mask_key[i] & 0xF];
    }
    jw_strn(w, s, 8);
}

/* Timer rows carry Autobahn's tags as text: "KL 1", "KLE", "TI 10", "TIE", "CT 1 A",
 * "CTE A". The delay after KL/TI/CT is written as a number, everything else as text. */
static void write_timer_row(struct jw *w, const struct wirelog_row *row)
{
    char text[sizeof row->text];
    memcpy(text, row->text, sizeof text);
    text[sizeof text - 1] = '\0';
    jw_row(w);
    size_t pos = 0;
    bool delayed = false;
    for (char *save = NULL, *tok = strtok_r(text, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save), pos++) {
        if (pos == 0) {
            delayed = !strcmp(tok, "KL") || !strcmp(tok, "TI") || !strcmp(tok, "CT");
        } else if (pos == 1 && delayed) {
            char *end;
            double v = strtod(tok, &end);
            if (*end == '\0' && end != tok && isfinite(v)) {
                jw_num(w, v);
                continue;
            }
        }
        jw_str(w, tok);
    }
    if (pos == 0)
        jw_str(w, "TIMER");
    jw_arr_end(w);
}

static void write_wirelog_row(struct jw *w, const struct wirelog_row *row)
{
    size_t k = row->data_len < RESULT_WIRELOG_BYTES ? row->data_len : RESULT_WIRELOG_BYTES;
    switch (row->type) {
    case WL_RX_OCTETS:
    case WL_TX_OCTETS:
        jw_row(w);
        jw_str(w, row->type == WL_RX_OCTETS ? "RO" : "TO");
        jw_row(w);
        jw_uint(w, row->len);
        jw_hex_octets(w, row);
        jw_arr_end(w);
        if (row->type == WL_TX_OCTETS)
            jw_bool(w, row->sync);
        jw_arr_end(w);
        return;
    case WL_RX_FRAME:
    case WL_TX_FRAME:
        jw_row(w);
        jw_str(w, row->type == WL_RX_FRAME ? "RF" : "TF");
        jw_row(w);
        jw_uint(w, row->len);
        jw_payload_bytes(w, row->data, k, row->len);
        jw_arr_end(w);
        jw_uint(w, row->opcode);
        jw_bool(w, row->fin);
        jw_uint(w, row->rsv);
        if (row->type == WL_RX_FRAME) {
            jw_bool(w, row->masked);
            jw_mask(w, row);
        } else {
            jw_mask(w, row);
            jw_null(w); /* repeatLength: wsspec logs the real payload, not the pattern */
            if (row->chop)
                jw_uint(w, row->chop);
            else
                jw_null(w);
            jw_bool(w, row->sync);
        }
        jw_arr_end(w);
        return;
    case WL_TIMER:
        write_timer_row(w, row);
        return;
    case WL_NOTE:
        break;
    }
    jw_row(w);
    jw_str(w, "NOTE");
    jw_strn(w, row->text, strnlen(row->text, sizeof row->text));
    jw_arr_end(w);
}

/* ------------------------------------------------------------ shared pieces */

static const char *level_name(enum rfc_level l)
{
    return l == RFC_MUST ? "MUST" : l == RFC_SHOULD ? "SHOULD" : "MAY";
}

static void write_rfc(struct jw *w, const struct case_def *d)
{
    jw_key(w, "rfc");
    jw_arr(w);
    for (size_t i = 0; d && i < d->n_rfc; i++) {
        const struct rfc_ref *ref = &d->rfc[i];
        char doc[16];
        snprintf(doc, sizeof doc, "RFC %u", ref->doc ? ref->doc : RFC_DEFAULT);
        jw_obj(w);
        jw_kstr(w, "document", doc);
        jw_kstr(w, "level", level_name(ref->level));
        jw_key(w, "section");
        jw_strn(w, ref->section, strnlen(ref->section, sizeof ref->section));
        jw_kstr(w, "sentence", ref->sentence ? ref->sentence : "");
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

/* wsspec's addition, for a case with response checks (judge_response.c): each check,
 * the requirement it cites and what the response had. */
static void write_response_checks(struct jw *w, const struct case_result *r)
{
    static const char *const outcome[] = {[CHECK_HELD] = "held",
                                          [CHECK_BROKEN] = "broken",
                                          [CHECK_NOT_APPLICABLE] = "not applicable"};
    const struct case_def *d = r->def;
    if (!d || !d->n_checks)
        return;
    jw_key(w, "responseChecks");
    jw_arr(w);
    for (size_t i = 0; i < d->n_checks; i++) {
        char cite[48], what[256];
        judge_response_cite(&d->checks[i], cite, sizeof cite);
        judge_response_describe(&d->checks[i], what, sizeof what);
        const struct check_outcome *o = i < r->n_check_out ? &r->check_out[i] : NULL;
        jw_obj(w);
        jw_kstr(w, "check", what);
        jw_kstr(w, "got", o ? o->got : NULL);
        jw_kstr(w, "level", level_name(d->checks[i].level));
        jw_kstr(w, "outcome", o ? outcome[o->state] : NULL);
        jw_kstr(w, "requirement", cite);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

/* wsspec's addition: the RFC's verdict beside Autobahn's (judge.c). */
static void write_rfc_verdict(struct jw *w, const struct case_result *r)
{
    jw_key(w, "rfcVerdict");
    jw_obj(w);
    jw_kstr(w, "behavior", behavior_name(r->rfc.behavior));
    jw_kstr(w, "behaviorClose", behavior_close_name(r->rfc.behavior_close));
    jw_kstr(w, "broken", r->rfc.broken[0] ? r->rfc.broken : NULL);
    jw_kstr(w, "result", r->rfc.result);
    jw_kstr(w, "resultClose", r->rfc.result_close);
    jw_obj_end(w);
}

/* wsspec's addition: the declared policy a hardening probe is judged against
 * (judge_probe.c), or null for a case without one. */
static void write_policy(struct jw *w, const struct case_def *d)
{
    jw_key(w, "policy");
    if (!d || !d->has_policy || d->policy >= CP_N) {
        jw_null(w);
        return;
    }
    const char *name = case_vocab_policies[d->policy].name;
    char option[64];
    snprintf(option, sizeof option, "--%s", name);
    jw_obj(w);
    jw_kbool(w, "declared", d->policy_declared);
    jw_kstr(w, "name", name);
    jw_kstr(w, "option", option);
    jw_kstr(w, "value", d->policy_value ? d->policy_value : "");
    jw_obj_end(w);
}

static void write_target_error(struct jw *w, const struct case_result *r)
{
    jw_key(w, "targetError");
    if (r->target_error == WS_E_OK) {
        jw_null(w);
        return;
    }
    jw_obj(w);
    jw_kuint(w, "offset", r->target_error_offset);
    jw_kstr(w, "rfc", ws_error_rfc(r->target_error));
    jw_kstr(w, "rule", ws_error_name(r->target_error));
    jw_kstr(w, "section", ws_error_section(r->target_error));
    jw_kstr(w, "text", ws_error_text(r->target_error));
    jw_obj_end(w);
}

/* Keys "0".."15" in string order, as sort_keys puts them. */
static const char *const opcode_keys[16] = {"0", "1", "10", "11", "12", "13", "14", "15",
                                            "2", "3", "4",  "5",  "6",  "7",  "8",  "9"};
static const unsigned opcode_key_values[16] = {0, 1, 10, 11, 12, 13, 14, 15,
                                               2, 3, 4,  5,  6,  7,  8,  9};

static void write_frame_stats(struct jw *w, const char *key, const uint64_t counts[16])
{
    jw_key(w, key);
    jw_obj(w);
    for (size_t i = 0; i < 16; i++)
        if (counts[opcode_key_values[i]])
            jw_kuint(w, opcode_keys[i], counts[opcode_key_values[i]]);
    jw_obj_end(w);
}

static void write_octet_stats(struct jw *w, const char *key, uint64_t total)
{
    jw_key(w, key);
    jw_obj(w);
    jw_kuint(w, "total", total);
    jw_obj_end(w);
}

static const char *case_id(const struct case_result *r)
{
    return r->def ? r->def->id : "";
}

static const char *text_or_empty(const char *s)
{
    return s ? s : "";
}

static bool stem_char(char c)
{
    return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9');
}

size_t report_json_agent_stem(const char *agent, char *out, size_t cap)
{
    /* Autobahn's cleanForFilename: lower-case, [a-z0-9] kept, everything else a blank,
     * blanks trimmed at both ends, the rest replaced by '_' (runs are not merged). */
    size_t alen = strlen(agent), start = 0, end = alen, n = 0;
    while (start < end && !stem_char(agent[start]))
        start++;
    while (end > start && !stem_char(agent[end - 1]))
        end--;
    for (size_t i = start; i < end; i++, n++) {
        char c = agent[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        else if (!stem_char(c))
            c = '_';
        if (n + 1 < cap)
            out[n] = c;
    }
    if (cap)
        out[n < cap ? n : cap - 1] = '\0';
    return n;
}

size_t report_json_case_filename(const char *agent, const char *id, char *out, size_t cap)
{
    size_t n = report_json_agent_stem(agent, out, cap);
    const char *mid = "_case_";
    for (const char *p = mid; *p; p++, n++)
        if (n + 1 < cap)
            out[n] = *p;
    for (const char *p = id; *p; p++, n++)
        if (n + 1 < cap)
            out[n] = *p == '.' ? '_' : *p;
    for (const char *p = ".json"; *p; p++, n++)
        if (n + 1 < cap)
            out[n] = *p;
    if (cap)
        out[n < cap ? n : cap - 1] = '\0';
    return n;
}

/* ------------------------------------------------------------ per-case file */

static bool str_utf8_ok(const char *s, size_t n)
{
    return !s || ws_utf8_valid((const uint8_t *)s, n);
}

static size_t response_len(const struct case_result *r)
{
    if (!r->http_response)
        return 0;
    return r->http_response_len ? r->http_response_len : strlen(r->http_response);
}

static void jw_kbytes(struct jw *w, const char *k, const uint8_t *p, size_t n)
{
    jw_key(w, k);
    if (p)
        jw_strn(w, p, n);
    else
        jw_null(w);
}

static void write_case(struct jw *w, const struct case_result *r, size_t case_no)
{
    const struct case_def *d = r->def;
    char when[ISO_BUF];
    iso_utc(r->started, when, sizeof when);
    const char *title = d ? text_or_empty(d->title) : "";
    const char *expectation = d ? text_or_empty(d->expectation) : "";
    const char *note = d ? d->note : NULL;
    size_t resp_len = response_len(r);

    /* Which free-text fields must be written as ISO-8859-1 (sorted like the keys). */
    struct {
        const char *key;
        bool latin1;
    } fields[] = {
        {"agent", !str_utf8_ok(r->agent, strnlen(r->agent, sizeof r->agent))},
        {"description", !str_utf8_ok(title, strlen(title))},
        {"expectation", !str_utf8_ok(expectation, strlen(expectation))},
        {"httpRequest",
         !str_utf8_ok(r->http_request, r->http_request ? strlen(r->http_request) : 0)},
        {"httpResponse", !str_utf8_ok(r->http_response, resp_len)},
        {"localCloseReason",
         r->local_close_reason && !ws_utf8_valid(r->local_close_reason, r->local_close_reason_len)},
        {"note", !str_utf8_ok(note, note ? strlen(note) : 0)},
        {"remoteCloseReason", r->remote_close_reason && !ws_utf8_valid(r->remote_close_reason,
                                                                       r->remote_close_reason_len)},
    };

    jw_obj(w);
    jw_key(w, "agent");
    jw_strn(w, r->agent, strnlen(r->agent, sizeof r->agent));
    jw_kstr(w, "behavior", behavior_name(r->behavior));
    jw_kstr(w, "behaviorClose", behavior_close_name(r->behavior_close));
    jw_kstr(w, "broken", r->broken[0] ? r->broken : NULL);
    jw_kuint(w, "case", case_no);
    jw_kbool(w, "closedByMe", r->closed_by_me);
    jw_kbool(w, "createStats", true);
    jw_kbool(w, "createWirelog", true);
    jw_kstr(w, "description", title);
    jw_kstr(w, "difference", r->difference[0] ? r->difference : NULL);
    jw_kbool(w, "droppedByMe", r->dropped_by_me);
    jw_kint(w, "duration", round_ms(r->duration_ms));
    jw_kuint(w, "eventsDropped", r->events_dropped);
    jw_kstr(w, "expectation", expectation);

    jw_key(w, "expected");
    jw_obj(w);
    if (d && d->judge != JUDGE_SIZE) {
        if (d->non_strict.present)
            write_event_list(w, "NON-STRICT", &d->non_strict);
        if (d->ok.present)
            write_event_list(w, "OK", &d->ok);
    }
    jw_obj_end(w);

    jw_key(w, "expectedClose");
    jw_obj(w);
    jw_key(w, "closeCode");
    jw_row(w);
    for (size_t i = 0; d && i < d->close.n_codes && i < 8; i++)
        jw_uint(w, d->close.codes[i]);
    jw_arr_end(w);
    jw_kbool(w, "closedByMe", d && d->close.closed_by_me);
    if (d && d->close.wrong_closer_fatal)
        jw_kbool(w, "closedByWrongEndpointIsFatal", true);
    jw_kbool(w, "requireClean", d && d->close.require_clean);
    if (d && d->close.wrong_code_fails)
        jw_kbool(w, "wrongCodeIsFatal", true);
    jw_obj_end(w);

    jw_kbool(w, "failedByMe", r->failed_by_me);
    jw_kstr(w, "httpRequest", r->http_request ? r->http_request : "?");
    jw_key(w, "httpResponse");
    if (r->http_response)
        jw_strn(w, r->http_response, resp_len);
    else
        jw_str(w, "?");
    jw_kstr(w, "id", case_id(r));
    jw_kbool(w, "isServer", r->is_server);
    jw_kuint(w, "lateMessages", r->late_messages);

    jw_key(w, "latin1Fields");
    jw_row(w);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (fields[i].latin1)
            jw_str(w, fields[i].key);
    jw_arr_end(w);

    jw_kcode(w, "localCloseCode", r->local_close_code);
    jw_kbytes(w, "localCloseReason", r->local_close_reason, r->local_close_reason_len);
    jw_kstr(w, "note", note);
    jw_kstr(w, "observed", r->observed[0] ? r->observed : NULL);
    char pace[32];
    snprintf(pace, sizeof pace, "%.6f", r->pace_s);
    jw_key(w, "paceSeconds");
    jw_lit(w, pace);
    write_policy(w, d);

    jw_key(w, "received");
    jw_arr(w);
    for (size_t i = 0; i < r->n_events; i++)
        write_recorded_event(w, &r->events[i]);
    jw_arr_end(w);

    jw_kcode(w, "remoteCloseCode", r->remote_close_code);
    jw_kbytes(w, "remoteCloseReason", r->remote_close_reason, r->remote_close_reason_len);
    jw_kbool(w, "reportCompressionRatio", false);
    jw_kbool(w, "reportTime", d && d->judge == JUDGE_SIZE);
    write_response_checks(w, r);
    jw_kstr(w, "result", r->result);
    jw_kstr(w, "resultClose", r->result_close);
    write_rfc(w, d);
    write_rfc_verdict(w, r);
    write_frame_stats(w, "rxFrameStats", r->rx_frames);
    write_octet_stats(w, "rxOctetStats", r->rx_octets);
    char seed[24];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->seed);
    jw_kstr(w, "seed", seed);
    jw_kstr(w, "started", when);
    write_target_error(w, r);
    jw_key(w, "trafficStats");
    jw_null(w);
    write_frame_stats(w, "txFrameStats", r->tx_frames);
    write_octet_stats(w, "txOctetStats", r->tx_octets);
    jw_kbool(w, "wasClean", r->was_clean);
    jw_kbool(w, "wasCloseHandshakeTimeout", r->was_close_handshake_timeout);
    jw_kstr(w, "wasNotCleanReason", r->was_not_clean_reason);
    jw_kbool(w, "wasOpenHandshakeTimeout", r->was_open_handshake_timeout);
    jw_kbool(w, "wasServerConnectionDropTimeout", r->was_server_connection_drop_timeout);

    jw_key(w, "wirelog");
    jw_arr(w);
    for (size_t i = 0; i < r->n_wirelog; i++)
        write_wirelog_row(w, &r->wirelog[i]);
    jw_arr_end(w);
    jw_kuint(w, "wirelogDropped", r->wirelog_dropped);
    /* wsspec's addition: when each row happened, ms since the TCP connection opened, in a
     * separate array so the rows keep Autobahn's shapes */
    jw_key(w, "wirelogMs");
    jw_row(w);
    for (size_t i = 0; i < r->n_wirelog; i++) {
        char ms[32];
        snprintf(ms, sizeof ms, "%.3f", r->wirelog[i].at_ms >= 0 ? r->wirelog[i].at_ms : 0.0);
        jw_lit(w, ms);
    }
    jw_arr_end(w);
    jw_obj_end(w);
    jw_putc(w, '\n');
}

/* ------------------------------------------------------------ index.json */

struct entry {
    const struct case_result *r;
    size_t idx;
};

static int entry_cmp_agent_id(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    int c = strcmp(x->r->agent, y->r->agent);
    if (!c)
        c = strcmp(case_id(x->r), case_id(y->r)); /* string order, like sort_keys */
    if (!c)
        c = x->idx < y->idx ? -1 : x->idx > y->idx;
    return c;
}

static int entry_cmp_agent_run(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    int c = strcmp(x->r->agent, y->r->agent);
    if (!c)
        c = x->idx < y->idx ? -1 : x->idx > y->idx;
    return c;
}

static bool same_pair(const struct entry *a, const struct entry *b)
{
    return !strcmp(a->r->agent, b->r->agent) && !strcmp(case_id(a->r), case_id(b->r));
}

/* e[0..n) sorted by (agent, id, run order), duplicates of a pair already removed. */
static void write_index(struct jw *w, const struct entry *e, size_t n)
{
    jw_obj(w);
    for (size_t i = 0; i < n;) {
        const char *agent = e[i].r->agent;
        jw_key(w, agent);
        jw_obj(w);
        for (; i < n && !strcmp(e[i].r->agent, agent); i++) {
            const struct case_result *r = e[i].r;
            char file[256];
            report_json_case_filename(r->agent, case_id(r), file, sizeof file);
            jw_key(w, case_id(r));
            jw_obj(w);
            jw_kstr(w, "behavior", behavior_name(r->behavior));
            jw_kstr(w, "behaviorClose", behavior_close_name(r->behavior_close));
            jw_kint(w, "duration", round_ms(r->duration_ms));
            jw_kcode(w, "remoteCloseCode", r->remote_close_code);
            jw_kstr(w, "reportfile", file);
            jw_obj_end(w);
        }
        jw_obj_end(w);
    }
    jw_obj_end(w);
    jw_putc(w, '\n');
}

/* ------------------------------------------------------------ wsspec.json */

static int section_ptr_cmp(const void *a, const void *b)
{
    const struct case_section *x = *(const struct case_section *const *)a;
    const struct case_section *y = *(const struct case_section *const *)b;
    return strcmp(x->id, y->id);
}

/* "sections": id -> title of every section a reported case belongs to ("1" and "1.1"
 * for 1.1.1), keys in string order like every object here. */
static void write_sections(struct jw *w, const struct case_result *results, size_t n,
                           const struct report_run *run)
{
    const struct case_section **used =
        run->n_sections ? calloc(run->n_sections, sizeof *used) : NULL;
    size_t k = 0;
    for (size_t s = 0; used && s < run->n_sections; s++) {
        const char *sid = run->sections[s].id;
        size_t len = strnlen(sid, sizeof run->sections[s].id);
        for (size_t i = 0; i < n; i++) {
            const char *id = case_id(&results[i]);
            if (len && !strncmp(id, sid, len) && id[len] == '.') {
                used[k++] = &run->sections[s];
                break;
            }
        }
    }
    if (k)
        qsort(used, k, sizeof *used, section_ptr_cmp);
    jw_key(w, "sections");
    jw_obj(w);
    for (size_t i = 0; i < k; i++)
        if (i == 0 || strcmp(used[i]->id, used[i - 1]->id) != 0)
            jw_kstr(w, used[i]->id, text_or_empty(used[i]->title));
    jw_obj_end(w);
    free(used);
}

/* "stopped": null for a run that completed; else why it stopped and, per target, the
 * selected cases that have no result (reports/README.md). */
static void write_stopped(struct jw *w, const struct report_run *run)
{
    jw_key(w, "stopped");
    if (!run->stop_reason) {
        jw_null(w);
        return;
    }
    jw_obj(w);
    jw_kstr(w, "message", run->stop_message ? run->stop_message : "");
    jw_key(w, "notRun");
    jw_arr(w);
    for (size_t i = 0; run->not_run && i < run->n_not_run; i++) {
        const struct report_not_run *t = &run->not_run[i];
        if (!t->n_cases)
            continue;
        jw_obj(w);
        jw_kstr(w, "agent", t->agent);
        jw_key(w, "cases");
        jw_arr(w);
        for (size_t k = 0; k < t->n_cases; k++) {
            const struct case_def *d = t->cases[k];
            jw_open(w, '{', true); /* one line per case: {"id": "1.1.1", "title": "..."} */
            jw_kstr(w, "id", d ? d->id : "");
            jw_kstr(w, "title", d ? text_or_empty(d->title) : "");
            jw_obj_end(w);
        }
        jw_arr_end(w);
        jw_kstr(w, "url", t->url ? t->url : "");
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_kstr(w, "reason", run->stop_reason);
    jw_obj_end(w);
}

static void write_run(struct jw *w, const struct case_result *results, size_t n,
                      const struct report_run *run)
{
    static const enum behavior behaviors[] = {B_FAILED, B_INFORMATIONAL, B_NON_STRICT, B_OK,
                                              B_UNIMPLEMENTED}; /* in name order */
    static const enum behavior_close closes[] = {BC_FAILED, BC_FAILED_BY_CLIENT, BC_INFORMATIONAL,
                                                 BC_OK,     BC_UNCLEAN,          BC_WRONG_CODE};
    char started[ISO_BUF], finished[ISO_BUF], seed[24];
    double fin = run->finished > 0 ? run->finished : run->started + run->wall_ms / 1000.0;
    iso_utc(run->started, started, sizeof started);
    iso_utc(fin, finished, sizeof finished);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)run->seed);

    jw_obj(w);
    jw_key(w, "cases");
    jw_arr(w);
    for (size_t i = 0; i < n; i++) {
        const struct case_result *r = &results[i];
        char file[256];
        report_json_case_filename(r->agent, case_id(r), file, sizeof file);
        jw_obj(w);
        jw_key(w, "agent");
        jw_strn(w, r->agent, strnlen(r->agent, sizeof r->agent));
        jw_kstr(w, "behavior", behavior_name(r->behavior));
        jw_kstr(w, "behaviorClose", behavior_close_name(r->behavior_close));
        jw_kstr(w, "broken", r->broken[0] ? r->broken : NULL);
        jw_kstr(w, "difference", r->difference[0] ? r->difference : NULL);
        jw_kint(w, "durationMs", round_ms(r->duration_ms));
        jw_kstr(w, "id", case_id(r));
        jw_kstr(w, "observed", r->observed[0] ? r->observed : NULL);
        jw_kbool(w, "passed", judge_passed(r, run->strict, run->verdict));
        write_policy(w, r->def);
        jw_kcode(w, "remoteCloseCode", r->remote_close_code);
        jw_kstr(w, "reportfile", file);
        jw_kstr(w, "result", r->result);
        jw_kstr(w, "resultClose", r->result_close);
        write_rfc(w, r->def);
        jw_kstr(w, "rfcBehavior", behavior_name(r->rfc.behavior));
        jw_kstr(w, "rfcBehaviorClose", behavior_close_name(r->rfc.behavior_close));
        jw_kstr(w, "rfcBroken", r->rfc.broken[0] ? r->rfc.broken : NULL);
        write_target_error(w, r);
        jw_kstr(w, "title", r->def ? text_or_empty(r->def->title) : "");
        jw_obj_end(w);
    }
    jw_arr_end(w);

    jw_key(w, "command");
    jw_row(w);
    for (int i = 0; run->argv && i < run->argc; i++)
        jw_str(w, run->argv[i] ? run->argv[i] : "");
    jw_arr_end(w);
    jw_kstr(w, "finished", finished);

    jw_key(w, "options");
    jw_obj(w);
    jw_kstr(w, "cases", run->cases);
    jw_kstr(w, "exclude", run->exclude);
    jw_kuint(w, "jobs", run->jobs);
    jw_kbool(w, "liveness", run->liveness);
    jw_kbool(w, "strict", run->strict);
    jw_key(w, "timeoutScale");
    jw_num(w, run->timeout_scale > 0 ? run->timeout_scale : 1.0);
    jw_kstr(w, "verdict", verdict_mode_name(run->verdict));
    jw_obj_end(w);

    jw_kint(w, "schemaVersion", 1);
    write_sections(w, results, n, run);
    jw_kstr(w, "seed", seed);
    jw_kstr(w, "started", started);
    write_stopped(w, run);

    size_t passed = 0, by_b[5] = {0}, by_c[6] = {0}, differ = 0, ab_passed = 0, rfc_passed = 0;
    for (size_t i = 0; i < n; i++) {
        passed += judge_passed(&results[i], run->strict, run->verdict);
        ab_passed += judge_passed(&results[i], run->strict, VERDICT_AUTOBAHN);
        rfc_passed += judge_passed(&results[i], run->strict, VERDICT_RFC);
        differ += results[i].difference[0] != '\0';
        for (size_t k = 0; k < 5; k++)
            by_b[k] += results[i].behavior == behaviors[k];
        for (size_t k = 0; k < 6; k++)
            by_c[k] += results[i].behavior_close == closes[k];
    }
    jw_key(w, "summary");
    jw_obj(w);
    jw_key(w, "byBehavior");
    jw_obj(w);
    for (size_t k = 0; k < 5; k++)
        jw_kuint(w, behavior_name(behaviors[k]), by_b[k]);
    jw_obj_end(w);
    jw_key(w, "byBehaviorClose");
    jw_obj(w);
    for (size_t k = 0; k < 6; k++)
        jw_kuint(w, behavior_close_name(closes[k]), by_c[k]);
    jw_obj_end(w);
    jw_kuint(w, "differ", differ);
    jw_kuint(w, "failed", n - passed);
    jw_kuint(w, "failedAutobahn", n - ab_passed);
    jw_kuint(w, "failedRfc", n - rfc_passed);
    jw_kuint(w, "passed", passed);
    jw_kuint(w, "total", n);
    jw_obj_end(w);

    jw_key(w, "targets");
    jw_arr(w);
    for (size_t i = 0; run->targets && i < run->n_targets; i++) {
        const struct report_target *t = &run->targets[i];
        jw_obj(w);
        jw_key(w, "agent");
        jw_strn(w, t->agent, strnlen(t->agent, sizeof t->agent));
        jw_key(w, "replayOptions");
        jw_row(w);
        for (size_t k = 0; t->replay && k < t->n_replay; k++)
            jw_str(w, t->replay[k] ? t->replay[k] : "");
        jw_arr_end(w);
        jw_kstr(w, "url", t->url ? t->url : "");
        jw_obj_end(w);
    }
    jw_arr_end(w);

    jw_key(w, "tool");
    jw_obj(w);
    jw_kstr(w, "name", run->name ? run->name : "wsspec");
    jw_kstr(w, "version", run->version ? run->version : "");
    jw_obj_end(w);
    jw_kint(w, "wallMs", round_ms(run->wall_ms));
    jw_obj_end(w);
    jw_putc(w, '\n');
}

/* ------------------------------------------------------------ files */

static int fail_msg(char *err, size_t cap, const char *fmt, const char *a, const char *b)
{
    if (err && cap)
        snprintf(err, cap, fmt, a, b);
    return -1;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* mkdir -p: every missing component, 0755. */
static int make_dirs(const char *dir, char *err, size_t cap)
{
    char path[REPORT_PATH_MAX];
    size_t len = strlen(dir);
    if (len == 0)
        return fail_msg(err, cap, "report directory name is empty%s%s", "", "");
    if (len >= sizeof path)
        return fail_msg(err, cap, "report directory name too long: '%.200s'%s", dir, "");
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char c = path[i];
        path[i] = '\0';
        if (mkdir(path, 0755) != 0 && !is_dir(path)) {
            int e = errno;
            path[i] = c;
            return fail_msg(err, cap, "cannot create report directory '%.300s': %s", path,
                            strerror(e));
        }
        path[i] = c;
    }
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* DIR/.NAME.tmp, then rename to DIR/NAME: readers see the old file or the new one. */
static int write_atomic(const char *dir, const char *name, const struct jw *w, bool do_fsync,
                        char *err, size_t cap)
{
    char tmp[REPORT_PATH_MAX], final[REPORT_PATH_MAX];
    int a = snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
    int b = snprintf(final, sizeof final, "%s/%s", dir, name);
    if (a < 0 || b < 0 || (size_t)a >= sizeof tmp || (size_t)b >= sizeof final)
        return fail_msg(err, cap, "path too long: '%.200s/%.100s'", dir, name);
    if (w->failed)
        return fail_msg(err, cap, "cannot render '%.300s': %s", final, w->failed);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return fail_msg(err, cap, "cannot write '%.300s': %s", tmp, strerror(errno));
    int e = 0;
    if (write_all(fd, w->buf, w->len) != 0 || (do_fsync && fsync(fd) != 0))
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, final) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        return fail_msg(err, cap, "cannot write '%.300s': %s", final, strerror(e));
    }
    return 0;
}

int report_json_write(const char *dir, const struct case_result *results, size_t n,
                      const struct report_run *run, char *err, size_t err_cap)
{
    static const struct report_run no_run;
    if (err && err_cap)
        err[0] = '\0';
    if (!run)
        run = &no_run;
    if (!dir)
        return fail_msg(err, err_cap, "no report directory given%s%s", "", "");
    if (make_dirs(dir, err, err_cap) != 0)
        return -1;

    int rc = -1;
    struct jw w = {0};
    struct entry *e = n ? calloc(n, sizeof *e) : NULL;
    size_t *case_no = n ? calloc(n, sizeof *case_no) : NULL;
    if (n && (!e || !case_no)) {
        fail_msg(err, err_cap, "out of memory writing reports to '%.300s'%s", dir, "");
        goto out;
    }

    /* Autobahn's "case": the 1-based position among the same agent's results. */
    for (size_t i = 0; i < n; i++)
        e[i] = (struct entry){.r = &results[i], .idx = i};
    if (n)
        qsort(e, n, sizeof *e, entry_cmp_agent_run);
    for (size_t i = 0, k = 0; i < n; i++) {
        k = (i && !strcmp(e[i].r->agent, e[i - 1].r->agent)) ? k + 1 : 1;
        case_no[e[i].idx] = k;
    }

    /* (agent, id) in string order; a repeated pair keeps its last result. */
    if (n)
        qsort(e, n, sizeof *e, entry_cmp_agent_id);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && same_pair(&e[m - 1], &e[i]))
            m--;
        e[m++] = e[i];
    }

    for (size_t i = 0; i < m; i++) {
        const struct case_result *r = e[i].r;
        char name[256];
        if (report_json_case_filename(r->agent, case_id(r), name, sizeof name) >= sizeof name) {
            fail_msg(err, err_cap, "case file name too long for agent '%.100s' case '%.30s'",
                     r->agent, case_id(r));
            goto out;
        }
        jw_reset(&w);
        write_case(&w, r, case_no[e[i].idx]);
        if (write_atomic(dir, name, &w, run->fsync, err, err_cap) != 0)
            goto out;
    }

    jw_reset(&w);
    write_index(&w, e, m);
    if (write_atomic(dir, "index.json", &w, run->fsync, err, err_cap) != 0)
        goto out;

    jw_reset(&w);
    write_run(&w, results, n, run);
    if (write_atomic(dir, "wsspec.json", &w, run->fsync, err, err_cap) != 0)
        goto out;
    rc = 0;
out:
    free(w.buf);
    free(e);
    free(case_no);
    return rc;
}

int report_json_write_case(const char *dir, const struct case_result *r, size_t case_no, char *err,
                           size_t err_cap)
{
    char name[256];
    if (err && err_cap)
        err[0] = '\0';
    if (report_json_case_filename(r->agent, case_id(r), name, sizeof name) >= sizeof name)
        return fail_msg(err, err_cap, "case file name too long for agent '%.100s' case '%.30s'",
                        r->agent, case_id(r));
    struct jw w = {0};
    write_case(&w, r, case_no);
    int rc = write_atomic(dir, name, &w, false, err, err_cap);
    free(w.buf);
    return rc;
}

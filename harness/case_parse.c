/*
 * case_parse.c - the directives of case files (cases/README.md), read into the case_def
 * of case.h. A line's first word is looked up in the vocabulary (case_vocab.def): the
 * row says where the directive may stand, whether it may repeat, whether every case
 * needs it, and names the handler that reads the rest of the line. Steps are read in
 * case_step.c, templates and tables in case_family.c, files in case_files.c
 * (case_parse_int.h has the map).
 *
 * The parser is also the lint: every rule of the format is checked while reading, and
 * every error is one "FILE:LINE: message" line through the caller's diag callback.
 * Parsing goes on after an error, so one run names every error of a file (up to
 * ERRORS_PER_FILE); a case with any error is left out of the catalogue, so the tester
 * never runs half of a case.
 *
 * Any input is safe: case_parse_buffer is a fuzz target. Every size is bounded (the
 * limits say why), and the reader works on lengths, never on NUL termination of input.
 */
#include "case_parse_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_utf8.h"

/* Events of one expect list: the same bound as what the tester records
 * (RESULT_EVENTS_MAX in result.h), beyond which an expectation could never be met. */
#define EVENTS_MAX 1000
/* rfc lines of one case: a case checks one requirement, sometimes a few. */
#define RFC_MAX 32
/* Cases and sections in one catalogue: Autobahn has 517 cases and about 100 sections;
 * the bounds keep a hostile input's memory small. */
#define CASES_MAX 100000
#define SECTIONS_MAX 4096

/* ------------------------------------------------------------ diagnostics */

void diag_emit(void (*diag)(void *, const char *), void *ud, const char *fmt, ...)
{
    if (!diag)
        return;
    struct case_diag d;
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(d.msg, sizeof d.msg, fmt, ap);
    va_end(ap);
    if (r < 0)
        snprintf(d.msg, sizeof d.msg, "(diagnostic could not be formatted)");
    diag(ud, d.msg);
}

/* The error counts; after ERRORS_PER_FILE the rest of the file is not read. */
static void perr_emit(struct parser *p, int line, const char *msg)
{
    p->errors++;
    if (p->exp_tmpl && p->exp_line)
        diag_emit(p->diag, p->ud, "%s:%d: %s (template '%s' line %d)", p->file, line, msg,
                  p->exp_tmpl->name, p->exp_line);
    else if (p->exp_tmpl)
        diag_emit(p->diag, p->ud, "%s:%d: %s (from template '%s')", p->file, line, msg,
                  p->exp_tmpl->name);
    else
        diag_emit(p->diag, p->ud, "%s:%d: %s", p->file, line, msg);
    if (p->errors >= ERRORS_PER_FILE) {
        p->stopped = true;
        diag_emit(p->diag, p->ud, "%s:%d: too many errors (%d); the rest of the file is not read",
                  p->file, line, ERRORS_PER_FILE);
    }
}

void perr_at(struct parser *p, int line, const char *fmt, ...)
{
    if (p->state == P_CASE || p->exp_tmpl)
        p->c_bad = true;
    if (p->state == P_TEMPLATE && p->cur_tmpl < p->n_tmpls)
        p->tmpls[p->cur_tmpl].bad = true;
    if (p->stopped)
        return;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r < 0)
        snprintf(msg, sizeof msg, "(diagnostic could not be formatted)");
    perr_emit(p, line, msg);
}

void perr_oom(struct parser *p)
{
    perr(p, "out of memory");
    p->stopped = true;
}

bool perr_unless_end(struct parser *p, struct lx *l)
{
    if (lx_end(l))
        return true;
    char b[48];
    perr(p, "unexpected '%s'", span_show(b, lx_peek_word(l)));
    return false;
}

/* ------------------------------------------------------------ describing */

bool check_text(struct parser *p, const char *what, const char *s, size_t n)
{
    if (memchr(s, '\0', n)) {
        perr(p, "'%s' contains a NUL byte", what);
        return false;
    }
    if (!ws_utf8_valid((const uint8_t *)s, n)) {
        perr(p, "'%s' is not valid UTF-8", what);
        return false;
    }
    return true;
}

static void free_text(struct parser *p, struct lx *l, const char *what, char **field)
{
    struct span t = lx_rest(l);
    if (t.n == 0) {
        perr(p, "'%s' needs text", what);
        return;
    }
    if (!check_text(p, what, t.p, t.n))
        return;
    if (!*field) {
        if (!(*field = bytes_dup(t.p, t.n)))
            perr_oom(p);
        return;
    }
    /* Several note lines make one paragraph. */
    size_t old = strlen(*field);
    char *q = realloc(*field, old + 1 + t.n + 1);
    if (!q) {
        perr_oom(p);
        return;
    }
    q[old] = ' ';
    memcpy(q + old + 1, t.p, t.n);
    q[old + 1 + t.n] = '\0';
    *field = q;
}

static void dir_title(struct parser *p, struct lx *l)
{
    free_text(p, l, "title", &p->c.title);
}

static void dir_expectation(struct parser *p, struct lx *l)
{
    free_text(p, l, "expectation", &p->c.expectation);
}

static void dir_note(struct parser *p, struct lx *l)
{
    free_text(p, l, "note", &p->c.note);
}

/* The RFCs a case may quote besides RFC 6455: HTTP's semantics and HTTP/1.1, whose
 * rules the opening handshake (an HTTP request) follows, and base64 (the key). */
static const uint16_t rfc_docs[] = {RFC_DEFAULT, 9110, 9112, 4648, 7692};

/* An optional "RFCnnnn" word naming one of rfc_docs; *doc stays as it is without one. */
static bool rfc_doc(struct parser *p, struct lx *l, uint16_t *doc)
{
    char b[48];
    struct span w = lx_peek_word(l);
    uint64_t n;
    if (w.n < 4 || memcmp(w.p, "RFC", 3) != 0)
        return true;
    lx_word(l);
    for (size_t i = 0;
         span_u64((struct span){w.p + 3, w.n - 3}, &n) && i < sizeof rfc_docs / sizeof rfc_docs[0];
         i++)
        if (rfc_docs[i] == n) {
            *doc = rfc_docs[i];
            return true;
        }
    perr(p, "unknown RFC '%s' (RFC6455, RFC9110, RFC9112, RFC4648 or RFC7692)", span_show(b, w));
    return false;
}

bool case_rfc_where(struct parser *p, struct lx *l, uint16_t *doc, char section[16],
                    enum rfc_level *level)
{
    static const char *const levels[] = {
        [RFC_MUST] = "MUST", [RFC_SHOULD] = "SHOULD", [RFC_MAY] = "MAY"};
    char b[48];
    *doc = RFC_DEFAULT;
    if (!rfc_doc(p, l, doc))
        return false;
    struct span sec = lx_word(l);
    if (!span_dotted(sec, 15)) {
        perr(p, "bad RFC section '%s' (dotted decimal like 5.5.1)", span_show(b, sec));
        return false;
    }
    memset(section, 0, 16);
    memcpy(section, sec.p, sec.n);
    struct span lvl = lx_word(l);
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        if (span_is(lvl, levels[i])) {
            *level = (enum rfc_level)i;
            return true;
        }
    perr(p, "RFC level must be MUST, SHOULD or MAY, not '%s'", span_show(b, lvl));
    return false;
}

/* The quoted sentence of an rfc line, the last thing on it, into s. */
static bool rfc_sentence(struct parser *p, struct lx *l, struct buf *s)
{
    char b[48];
    bool found;
    if (!lx_token(p, l, s, &found))
        return false;
    if (!found || s->n == 0) {
        perr(p, "'rfc' needs the quoted sentence");
        return false;
    }
    if (!lx_end(l)) {
        perr(p, "unexpected '%s' after the RFC sentence (quote the whole sentence)",
             span_show(b, lx_peek_word(l)));
        return false;
    }
    return check_text(p, "rfc", (const char *)s->p, s->n);
}

static void dir_rfc(struct parser *p, struct lx *l)
{
    struct rfc_ref r;
    memset(&r, 0, sizeof r);
    struct buf s = {0};
    if (!case_rfc_where(p, l, &r.doc, r.section, &r.level) || !rfc_sentence(p, l, &s))
        goto out;
    if (p->c.n_rfc >= RFC_MAX) {
        perr(p, "more than %d rfc lines in one case", RFC_MAX);
        goto out;
    }
    if (!(r.sentence = bytes_dup(s.p, s.n)) ||
        !array_grow(&p->c.rfc, p->c.n_rfc, sizeof *p->c.rfc)) {
        free(r.sentence);
        perr_oom(p);
        goto out;
    }
    p->c.rfc[p->c.n_rfc++] = r;
out:
    free(s.p);
}

/* ------------------------------------------------------------ timers */

static void timer(struct parser *p, struct lx *l, const char *what, double *field)
{
    char b[48];
    struct span w = lx_word(l);
    if (!span_seconds(w, field)) {
        perr(p, "'%s' needs seconds > 0 (at most %.0f), not '%s'", what, SECONDS_MAX,
             span_show(b, w));
        return;
    }
    perr_unless_end(p, l);
}

static void dir_kill_after(struct parser *p, struct lx *l)
{
    timer(p, l, "kill-after", &p->c.kill_after);
}

static void dir_close_after(struct parser *p, struct lx *l)
{
    timer(p, l, "close-after", &p->c.close_after);
}

static void dir_suppress_close(struct parser *p, struct lx *l)
{
    if (perr_unless_end(p, l))
        p->c.suppress_close = true;
}

static void dir_pongs_may_coalesce(struct parser *p, struct lx *l)
{
    if (perr_unless_end(p, l))
        p->c.pongs_may_coalesce = true;
}

/* ------------------------------------------------------------ judging: events */

bool parse_tag(struct parser *p, struct span v, char out[16])
{
    char b[48];
    bool ok = v.n > 0 && v.n < 16;
    for (size_t i = 0; ok && i < v.n; i++)
        ok = is_name_char(v.p[i]);
    if (!ok) {
        perr(p, "bad tag '%s' (1-15 of A-Z a-z 0-9 _ -)", span_show(b, v));
        return false;
    }
    memcpy(out, v.p, v.n);
    out[v.n] = '\0';
    return true;
}

/* timeout T: the tag ends at a blank or ','. */
static bool event_timeout(struct parser *p, struct lx *l, struct event *ev)
{
    ev->type = EV_TIMEOUT;
    struct lx save = *l;
    struct span t = lx_name(l);
    if (l->i < l->n && !is_blank(l->s[l->i]) && l->s[l->i] != ',') {
        *l = save; /* a character no tag has: show the whole word */
        t = lx_word(l);
    }
    return parse_tag(p, t, ev->tag);
}

static bool parse_event(struct parser *p, struct lx *l, struct event *ev)
{
    struct span w = lx_name(l);
    char b[48];
    memset(ev, 0, sizeof *ev);
    if (span_is(w, "message")) {
        ev->type = EV_MESSAGE;
        return case_step_data_type(p, lx_name(l), &ev->binary) && payload_parse(p, l, &ev->payload);
    }
    if (span_is(w, "pong")) {
        ev->type = EV_PONG;
        return payload_parse(p, l, &ev->payload);
    }
    if (span_is(w, "timeout"))
        return event_timeout(p, l, ev);
    if (w.n == 0)
        w = lx_word(l);
    perr(p, "bad event '%s' (message text|binary P, pong P or timeout T)", span_show(b, w));
    return false;
}

/* One event appended to out; false (ev freed) when it does not fit. */
static bool add_event(struct parser *p, struct event_list *out, struct event *ev)
{
    if (out->n >= EVENTS_MAX) {
        payload_free(&ev->payload);
        perr(p, "more than %d events in one list", EVENTS_MAX);
        return false;
    }
    if (!array_grow(&out->events, out->n, sizeof *out->events)) {
        payload_free(&ev->payload);
        perr_oom(p);
        return false;
    }
    out->events[out->n++] = *ev;
    return true;
}

/* EVENT [, EVENT ...] to the end of the line (nothing = the empty list). */
static bool parse_events(struct parser *p, struct lx *l, struct event_list *out)
{
    char b[48];
    if (lx_end(l))
        return true;
    for (;;) {
        struct event ev;
        if (!parse_event(p, l, &ev)) {
            payload_free(&ev.payload);
            return false;
        }
        if (!add_event(p, out, &ev))
            return false;
        if (lx_end(l))
            return true;
        if (lx_peek(l) != ',') {
            perr(p, "expected ',' between events, not '%s'", span_show(b, lx_peek_word(l)));
            return false;
        }
        l->i++;
        if (lx_end(l)) {
            perr(p, "event missing after ','");
            return false;
        }
    }
}

/* ------------------------------------------------------------ judging: expect */

/* Mark a fact of the case; false, reported as "duplicate 'name'", when it was seen. */
static bool seen_once(struct parser *p, uint64_t bit, const char *name)
{
    if (p->c_seen & bit) {
        perr(p, "duplicate '%s'", name);
        return false;
    }
    p->c_seen |= bit;
    return true;
}

/* expect OK|NON-STRICT [EVENT, ...] */
static void expect_list(struct parser *p, struct lx *l, bool ok)
{
    if (!seen_once(p, ok ? SEEN_EXPECT_OK : SEEN_EXPECT_NS, ok ? "expect OK" : "expect NON-STRICT"))
        return;
    if (p->c_seen & SEEN_EXPECT_SIZE) {
        perr(p, "'expect size' judges by size: no event lists with it");
        return;
    }
    struct event_list el = {0};
    if (!parse_events(p, l, &el)) {
        event_list_free(&el);
        return;
    }
    el.present = true;
    *(ok ? &p->c.ok : &p->c.non_strict) = el;
}

/* What `expect size` and `expect echo` share: one of them per case (seen as `what`),
 * neither with event lists nor with `informational`. */
static bool expect_echoes_allowed(struct parser *p, const char *what, const char *seen_as,
                                  const char *judges)
{
    if (!seen_once(p, SEEN_EXPECT_SIZE, seen_as))
        return false;
    if (p->c_seen & (SEEN_EXPECT_OK | SEEN_EXPECT_NS)) {
        perr(p, "'%s' %s: no event lists with it", what, judges);
        return false;
    }
    if (p->c_seen & SEEN_DIRECTIVE(CD_INFORMATIONAL)) {
        perr(p, "'%s' and 'informational' exclude each other", what);
        return false;
    }
    return true;
}

/* The [count=N] of `expect size` and `expect echo` (default 1) into *count. */
static bool expect_echoes_count(struct parser *p, struct lx *l, enum case_ctx ctx, uint32_t *count)
{
    struct step st;
    case_step_init(p, &st, STEP_WAIT);
    st.count = 1;
    unsigned given = 0;
    if (!case_step_options(p, l, ctx, false, &st, &given))
        return false;
    *count = st.count;
    return true;
}

/* expect size text|binary LENGTH [count=N] */
static void expect_size(struct parser *p, struct lx *l)
{
    char b[48];
    if (!expect_echoes_allowed(p, "expect size", "expect size", "judges by size"))
        return;
    bool binary;
    if (!case_step_data_type(p, lx_word(l), &binary))
        return;
    struct span n = lx_word(l);
    uint64_t len;
    if (!span_u64(n, &len)) {
        perr(p, "'expect size' needs a decimal length, not '%s'", span_show(b, n));
        return;
    }
    uint32_t count;
    if (!expect_echoes_count(p, l, CTX_EXPECT_SIZE, &count))
        return;
    p->c.judge = JUDGE_SIZE;
    p->c.size_binary = binary;
    p->c.size_len = len;
    p->c.size_count = count;
}

/* `expect echo [count=N]`: each echo equals the message its roundtrip sent - type,
 * length and bytes (sections 12 and 13). The type is the roundtrip's (check_complete). */
static void expect_echo(struct parser *p, struct lx *l)
{
    uint32_t count;
    if (!expect_echoes_allowed(p, "expect echo", "expect size/echo", "judges the echoes") ||
        !expect_echoes_count(p, l, CTX_EXPECT_ECHO, &count))
        return;
    p->c.judge = JUDGE_SIZE;
    p->c.size_content = true;
    p->c.size_count = count;
}

/* `expect refusal fail|http`: wsspec's response is one a client must not take as a
 * WebSocket connection (role server; case_request.c checks the rest). */
static void expect_refusal(struct parser *p, struct lx *l)
{
    struct span w = lx_word(l);
    char b[48];
    if (!seen_once(p, SEEN_EXPECT_SIZE, "expect size/echo/refusal"))
        return;
    if (p->c_seen & (SEEN_EXPECT_OK | SEEN_EXPECT_NS | SEEN_DIRECTIVE(CD_INFORMATIONAL))) {
        perr(p, "'expect refusal' judges the client's refusal: no event lists or "
                "'informational' with it");
        return;
    }
    if (!span_is(w, "fail") && !span_is(w, "http")) {
        perr(p, "'expect refusal' needs fail or http, not '%s'", span_show(b, w));
        return;
    }
    if (!perr_unless_end(p, l))
        return;
    p->c.judge = JUDGE_REFUSAL;
    p->c.refusal_http = w.p[0] == 'h';
}

static void dir_expect(struct parser *p, struct lx *l)
{
    struct span w = lx_word(l);
    char b[48];
    if (span_is(w, "OK") || span_is(w, "NON-STRICT"))
        expect_list(p, l, w.p[0] == 'O');
    else if (span_is(w, "size"))
        expect_size(p, l);
    else if (span_is(w, "echo"))
        expect_echo(p, l);
    else if (span_is(w, "refusal"))
        expect_refusal(p, l);
    else if (w.n == 0)
        perr(p, "'expect' needs OK, NON-STRICT, size, echo or refusal");
    else
        perr(p, "'expect' needs OK, NON-STRICT, size, echo or refusal, not '%s'", span_show(b, w));
}

/* `role client|server`: the one role wsspec plays in the case. */
static void dir_role(struct parser *p, struct lx *l)
{
    struct span w = lx_word(l);
    char b[48];
    if (span_is(w, "client"))
        p->c.role = CASE_ROLE_CLIENT;
    else if (span_is(w, "server"))
        p->c.role = CASE_ROLE_SERVER;
    else
        perr(p, "'role' needs client or server, not '%s'", span_show(b, w));
    perr_unless_end(p, l);
}

/* The longest deflate-offer: real offers are well under 200 bytes (Autobahn's 13.7,
 * three offers, is 215); this leaves room for lists of invalid ones. */
#define DEFLATE_OFFER_MAX 1024

/* `deflate-offer "permessage-deflate; ..."`: the Sec-WebSocket-Extensions value. */
static void dir_deflate_offer(struct parser *p, struct lx *l)
{
    struct payload pl = {0};
    if (!payload_parse(p, l, &pl))
        return;
    if (!perr_unless_end(p, l)) {
        payload_free(&pl);
        return;
    }
    if (pl.len == 0 || pl.len > DEFLATE_OFFER_MAX) {
        perr(p, "'deflate-offer' needs 1-%d bytes of text", DEFLATE_OFFER_MAX);
        payload_free(&pl);
        return;
    }
    char *s = malloc((size_t)pl.len + 1);
    if (!s) {
        payload_free(&pl);
        perr_oom(p);
        return;
    }
    size_t n = (size_t)pl.len;
    payload_copy(&pl, 0, (uint8_t *)s, n);
    s[n] = '\0';
    payload_free(&pl);
    if (strlen(s) != n || strpbrk(s, "\r\n")) {
        perr(p, "'deflate-offer' must be one line of text (no NUL, CR or LF)");
        free(s);
        return;
    }
    free(p->c.deflate_offer);
    p->c.deflate_offer = s;
}

static void dir_informational(struct parser *p, struct lx *l)
{
    if (p->c_seen & SEEN_EXPECT_SIZE) {
        perr(p, "'expect size' and 'informational' exclude each other");
        return;
    }
    if (perr_unless_end(p, l))
        p->c.judge = JUDGE_INFORMATIONAL;
}

/* ------------------------------------------------------------ judging: close-rule */

/* Who must send the first Close. "tester" is wsspec, "target" the server under test;
 * "me" and "peer" are the format's first spelling of the same two sides, accepted for
 * good so that users' own case files keep working. */
static const struct {
    const char *name;
    bool tester;
} close_sides[] = {
    {"tester", true},
    {"target", false},
    {"me", true},
    {"peer", false},
};

static bool close_side(struct parser *p, struct span who, struct close_rule *cr)
{
    char b[48];
    for (size_t i = 0; i < sizeof close_sides / sizeof close_sides[0]; i++)
        if (span_is(who, close_sides[i].name)) {
            cr->closed_by_me = close_sides[i].tester;
            return true;
        }
    perr(p, "close-rule needs 'tester' or 'target', not '%s'", span_show(b, who));
    return false;
}

/* One close code of the comma list; *more when a ',' follows it. */
static bool close_code(struct parser *p, struct lx *l, struct close_rule *cr, bool *more)
{
    char b[48];
    lx_skip(l);
    size_t s = l->i;
    while (l->i < l->n && is_digit(l->s[l->i]))
        l->i++;
    struct span num = {l->s + s, l->i - s};
    uint64_t code;
    if (num.n == 0 || (l->i < l->n && !is_blank(l->s[l->i]) && l->s[l->i] != ',')) {
        l->i = s;
        perr(p, "close-rule needs close codes (1000,1002) or none, not '%s'",
             span_show(b, lx_peek_word(l)));
        return false;
    }
    if (!span_u64(num, &code) || code > 65535) {
        perr(p, "close code %s out of range (0-65535)", span_show(b, num));
        return false;
    }
    for (size_t i = 0; i < cr->n_codes; i++)
        if (cr->codes[i] == code) {
            perr(p, "close code %u listed twice", (unsigned)code);
            return false;
        }
    if (cr->n_codes >= sizeof cr->codes / sizeof cr->codes[0]) {
        perr(p, "more than %zu close codes", sizeof cr->codes / sizeof cr->codes[0]);
        return false;
    }
    cr->codes[cr->n_codes++] = (uint16_t)code;
    size_t save = l->i;
    lx_skip(l);
    *more = lx_peek(l) == ',';
    l->i = *more ? l->i + 1 : save;
    return true;
}

/* CODES|none */
static bool close_codes(struct parser *p, struct lx *l, struct close_rule *cr)
{
    lx_skip(l);
    if (span_is(lx_peek_word(l), "none")) {
        lx_word(l);
        return true;
    }
    bool more = true;
    while (more)
        if (!close_code(p, l, cr, &more))
            return false;
    return true;
}

/* [clean] [wrong-closer-fatal] [wrong-code-fails] to the end of the line */
static bool close_flags(struct parser *p, struct lx *l, struct close_rule *cr)
{
    char b[48];
    for (;;) {
        struct span f = lx_word(l);
        if (f.n == 0)
            return true;
        bool *flag = span_is(f, "clean")                ? &cr->require_clean
                     : span_is(f, "wrong-closer-fatal") ? &cr->wrong_closer_fatal
                     : span_is(f, "wrong-code-fails")   ? &cr->wrong_code_fails
                                                        : NULL;
        if (!flag) {
            perr(p, "unknown close-rule flag '%s' (clean, wrong-closer-fatal, wrong-code-fails)",
                 span_show(b, f));
            return false;
        }
        if (*flag) {
            perr(p, "close-rule flag '%s' given twice", span_show(b, f));
            return false;
        }
        *flag = true;
    }
}

static void dir_close_rule(struct parser *p, struct lx *l)
{
    struct close_rule cr;
    memset(&cr, 0, sizeof cr);
    if (close_side(p, lx_word(l), &cr) && close_codes(p, l, &cr) && close_flags(p, l, &cr))
        p->c.close = cr;
}

/* ------------------------------------------------------------ sections */

static bool section_known(const struct case_catalogue *cat, struct span id)
{
    for (size_t i = 0; i < cat->n_sections; i++)
        if (strlen(cat->sections[i].id) == id.n && memcmp(cat->sections[i].id, id.p, id.n) == 0)
            return true;
    return false;
}

static void dir_section(struct parser *p, struct lx *l)
{
    char b[48];
    struct case_catalogue *cat = p->cat;
    struct span id = lx_word(l);
    struct span t = lx_rest(l);
    if (!span_dotted(id, sizeof cat->sections[0].id - 1)) {
        perr(p, "bad section id '%s' (dotted decimal like 6.4)", span_show(b, id));
        return;
    }
    if (t.n == 0) {
        perr(p, "'section' needs a title");
        return;
    }
    if (!check_text(p, "section", t.p, t.n))
        return;
    if (section_known(cat, id)) {
        perr(p, "section %s is already defined", span_show(b, id));
        return;
    }
    if (cat->n_sections >= SECTIONS_MAX) {
        perr(p, "more than %d sections", SECTIONS_MAX);
        return;
    }
    char *title = bytes_dup(t.p, t.n);
    if (!title || !array_grow(&cat->sections, cat->n_sections, sizeof *cat->sections)) {
        free(title);
        perr_oom(p);
        return;
    }
    struct case_section *s = &cat->sections[cat->n_sections++];
    memset(s, 0, sizeof *s);
    memcpy(s->id, id.p, id.n);
    s->title = title;
}

/* ------------------------------------------------------------ cases */

void case_parse_start(struct parser *p, struct span id, int line)
{
    char b[48];
    memset(&p->c, 0, sizeof p->c);
    p->c_bad = false;
    p->c_seen = 0;
    p->c_policy_used = 0;
    p->c.file = p->file;
    p->c.line = line;
    p->c.judge = JUDGE_EVENTS;
    if (!span_dotted(id, sizeof p->c.id - 1)) {
        p->c_bad = true;
        if (id.n == 0)
            perr_at(p, line, "case id missing");
        else
            perr_at(p, line, "bad case id '%s' (dotted decimal like 1.1.2, at most %zu chars)",
                    span_show(b, id), sizeof p->c.id - 1);
        return;
    }
    memcpy(p->c.id, id.p, id.n);
}

static void dir_case(struct parser *p, struct lx *l)
{
    struct span id = lx_word(l);
    p->state = P_CASE;
    p->block_line = p->line;
    case_parse_start(p, id, p->line);
    perr_unless_end(p, l);
}

static bool wait_has_tag(const struct case_def *c, const char *tag)
{
    for (size_t i = 0; i < c->n_steps; i++)
        if (c->steps[i].type == STEP_WAIT && strcmp(c->steps[i].tag, tag) == 0)
            return true;
    return false;
}

static void check_timeout_tags(struct parser *p, const struct event_list *el)
{
    for (size_t i = 0; i < el->n; i++)
        if (el->events[i].type == EV_TIMEOUT && !wait_has_tag(&p->c, el->events[i].tag))
            perr_at(p, p->c.line, "case %s expects 'timeout %s' but no 'wait ... tag=%s' step",
                    p->c.id, el->events[i].tag, el->events[i].tag);
}

/* What every case needs (the REQUIRED and JUDGING rows), and how its lines go
 * together. */
static void check_complete(struct parser *p)
{
    int line = p->c.line;
    const char *id = p->c.id[0] ? p->c.id : "?";
    uint64_t judging = 0;
    case_request_finish(p);
    for (int d = 0; d < CD_N; d++) {
        const struct case_directive_row *row = &case_vocab_directives[d];
        bool needed =
            row->need == CV_REQUIRED ||
            (row->need == CV_OPENED && !p->c.ends_at_response && p->c.judge != JUDGE_REFUSAL);
        if (row->need == CV_JUDGING)
            judging |= SEEN_DIRECTIVE(d);
        if (needed && !(p->c_seen & SEEN_DIRECTIVE(d)))
            perr_at(p, line, "case %s has no '%s'", id, row->name);
    }
    if (!(p->c_seen & judging))
        perr_at(p, line, "case %s has no 'expect' (and is not 'informational')", id);
    if ((p->c_seen & SEEN_EXPECT_NS) && !(p->c_seen & SEEN_EXPECT_OK))
        perr_at(p, line, "case %s has 'expect NON-STRICT' but no 'expect OK'", id);
    if ((p->c_seen & SEEN_ROUNDTRIP) && !(p->c_seen & SEEN_EXPECT_SIZE))
        perr_at(p, line, "case %s has 'roundtrip' steps but no 'expect size' or 'expect echo'", id);
    if (p->c.size_content) {
        /* the echoes are of the roundtrip's type: the first roundtrip says which */
        const struct step *rt = NULL;
        for (size_t i = 0; i < p->c.n_steps && !rt; i++)
            if (p->c.steps[i].type == STEP_ROUNDTRIP)
                rt = &p->c.steps[i];
        if (!rt)
            perr_at(p, line, "case %s has 'expect echo' but no 'roundtrip'", id);
        else
            p->c.size_binary = rt->opcode == WS_OP_BINARY;
    }
    check_timeout_tags(p, &p->c.ok);
    check_timeout_tags(p, &p->c.non_strict);
    case_policy_finish(p);
}

void case_parse_finish(struct parser *p)
{
    check_complete(p);
    if (!p->c_bad && p->cat->n_cases >= CASES_MAX)
        perr_at(p, p->c.line, "more than %d cases in the catalogue", CASES_MAX);
    if (!p->c_bad && !array_grow(&p->cat->cases, p->cat->n_cases, sizeof *p->cat->cases))
        perr_oom(p);
    if (p->c_bad) {
        case_def_free(&p->c);
        return;
    }
    p->cat->cases[p->cat->n_cases++] = p->c;
    memset(&p->c, 0, sizeof p->c);
}

/* ------------------------------------------------------------ dispatch */

typedef void (*directive_fn)(struct parser *p, struct lx *l);

static const directive_fn directive_handlers[CD_N] = {
#define CASE_DIRECTIVE(ID, name, where, repeat, need, handler, ...) [CD_##ID] = handler,
#define CASE_SEND(...)
#define CASE_OPTION(...)
#include "case_vocab.def"
#undef CASE_DIRECTIVE
#undef CASE_SEND
#undef CASE_OPTION
};

static int directive_of(struct span w)
{
    return case_vocab_directive(w.p, w.n);
}

static void body_line(struct parser *p, struct lx *l)
{
    char b[48];
    struct span w = lx_word(l);
    int d = directive_of(w);
    if (d < 0 || case_vocab_directives[d].where != CV_BODY) {
        perr(p, CASE_MSG_UNKNOWN_DIRECTIVE "%s'", span_show(b, w));
        return;
    }
    if (case_vocab_directives[d].repeat == CV_ONCE &&
        !seen_once(p, SEEN_DIRECTIVE(d), case_vocab_directives[d].name))
        return;
    p->c_seen |= SEEN_DIRECTIVE(d);
    directive_handlers[d](p, l);
}

/* A line with {NAME} placeholders of declared policies is read with their values
 * (case_policy.c). */
void case_parse_body_line(struct parser *p, struct lx *l)
{
    struct buf sub = {0};
    int r = case_policy_substitute(p, l, &sub);
    if (r == 0) {
        body_line(p, l);
    } else if (r > 0) {
        struct lx sl = {(const char *)sub.p, sub.n, 0};
        body_line(p, &sl);
    } else {
        case_parse_unreadable(p, l->s + l->i, l->n - l->i);
    }
    free(sub.p);
}

void case_parse_unreadable(struct parser *p, const char *s, size_t n)
{
    struct lx l = {s, n, 0};
    int d = directive_of(lx_word(&l));
    if (d >= 0 && case_vocab_directives[d].where == CV_BODY &&
        case_vocab_directives[d].need != CV_OPTIONAL)
        p->c_seen |= SEEN_DIRECTIVE(d);
}

static void top_line(struct parser *p, struct lx *l)
{
    char b[48];
    struct span w = lx_word(l);
    int d = directive_of(w);
    if (d < 0)
        perr(p, CASE_MSG_UNKNOWN_DIRECTIVE "%s'", span_show(b, w));
    else if (case_vocab_directives[d].where == CV_TOP)
        directive_handlers[d](p, l);
    else if (case_vocab_directives[d].where == CV_END)
        perr(p, "'end' without an open case, template or table");
    else
        perr(p, "'%s' outside a case", span_show(b, w));
}

static void case_line(struct parser *p, struct lx *l)
{
    char b[48];
    struct lx look = *l;
    struct span w = lx_word(&look);
    int d = directive_of(w);
    enum case_where where = d < 0 ? CV_BODY : case_vocab_directives[d].where;
    if (where == CV_END) {
        perr_unless_end(p, &look);
        case_parse_finish(p);
        p->state = P_TOP;
        return;
    }
    if (where == CV_TOP) {
        /* A missing `end`: drop the open case and read this line at the top level. */
        perr_at(p, p->block_line, "case %s has no 'end' (line %d starts '%s')",
                p->c.id[0] ? p->c.id : "?", p->line, span_show(b, w));
        case_def_free(&p->c);
        p->state = P_TOP;
        top_line(p, l);
        return;
    }
    case_parse_body_line(p, l);
}

void case_parse_line(struct parser *p, const char *s, size_t n)
{
    struct lx l = {s, n, 0};
    lx_skip(&l);
    if (l.i >= n || s[l.i] == '#')
        return;
    switch (p->state) {
    case P_TOP:
        top_line(p, &l);
        break;
    case P_CASE:
        case_line(p, &l);
        break;
    case P_TEMPLATE:
        case_family_template_line(p, &l);
        break;
    case P_TABLE:
        case_family_table_line(p, &l);
        break;
    }
}

void case_parse_end_file(struct parser *p)
{
    if (p->state == P_CASE) {
        perr_at(p, p->block_line, "case %s has no 'end'", p->c.id[0] ? p->c.id : "?");
        case_def_free(&p->c);
    }
    case_family_end_file(p);
    p->state = P_TOP;
}

/*
 * case_request.c - the opening handshake in a case (cases/README.md, "The opening
 * handshake"): the edits of the request wsspec writes, how it is written, and the
 * checks of the response (`response ...`), each at the level of one of the case's rfc
 * lines. Read into case_def.request and case_def.checks (case.h); the request is built
 * by script_request.c, the checks are judged by judge_response.c.
 *
 * The checks are rows of case_vocab.def (CASE_CHECK), dispatched like the directives.
 * When a case ends, case_request_finish checks how its lines go together: a case whose
 * MUST status checks all refuse a 101 ends with the response, so nothing that would
 * run after the 101 may be written in it.
 */
#include "case_parse_int.h"

#include <stdlib.h>
#include <string.h>

/* The largest opening request a case may write: far past any server's header limit
 * (8-64 KiB in common servers), so a case can show what a server does with a request
 * it will not read, and small enough to build in memory when the case starts. */
#define REQUEST_BYTES_MAX (1024u * 1024u)
/* What the default request itself may add (request line, the core's headers); a
 * user's -H headers come on top at run time and are bounded there (preflight.c). */
#define REQUEST_DEFAULT_BYTES 1024u
/* Edits and checks of one case: a handshake case changes a few lines and checks a few
 * things; more is a generated file gone wrong. */
#define EDITS_MAX 64
#define CHECKS_MAX 32

/* ------------------------------------------------------------ placeholders */

static const char *const placeholders[] = {"key", "host", "path", "accept"};

bool case_request_placeholder(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof placeholders / sizeof placeholders[0]; i++)
        if (strlen(placeholders[i]) == n && memcmp(placeholders[i], name, n) == 0)
            return true;
    return false;
}

/* Every {NAME} in a literal part of pl names a placeholder (braces around anything that
 * is not a name are plain text, as in templates). */
static bool check_placeholders(struct parser *p, const struct payload *pl)
{
    char b[48];
    for (size_t s = 0; s < pl->n_segs; s++) {
        const struct payload_seg *g = &pl->segs[s];
        if (g->len != g->pat_len)
            continue; /* a repeat() pattern is sent as written */
        for (size_t i = 0; i < g->pat_len; i++) {
            size_t j = i + 1;
            while (j < g->pat_len && is_name_char((char)g->pat[j]))
                j++;
            if (g->pat[i] != '{' || j == i + 1 || j >= g->pat_len || g->pat[j] != '}')
                continue;
            struct span name = {(const char *)g->pat + i + 1, j - i - 1};
            if (!case_request_placeholder(name.p, name.n)) {
                perr(p,
                     "unknown placeholder {%s} (wsspec fills in {key}, {host}, {path}, {accept})",
                     span_show(b, name));
                return false;
            }
        }
    }
    return true;
}

/* ------------------------------------------------------------ edits */

/* RFC 9110 section 5.6.2: token = 1*tchar. */
static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool header_name(struct parser *p, struct span w, char out[CASE_HEADER_NAME_MAX])
{
    char b[48];
    bool ok = w.n > 0 && w.n < CASE_HEADER_NAME_MAX;
    for (size_t i = 0; ok && i < w.n; i++)
        ok = is_tchar(w.p[i]);
    if (!ok) {
        perr(p, "bad header name '%s' (a token of at most %d characters)", span_show(b, w),
             CASE_HEADER_NAME_MAX - 1);
        return false;
    }
    memcpy(out, w.p, w.n);
    out[w.n] = '\0';
    return true;
}

static struct request_edit *add_edit(struct parser *p, enum request_edit_kind kind)
{
    struct case_request *rq = &p->c.request;
    if (rq->n_edits >= EDITS_MAX) {
        perr(p, "more than %d request edits in one case", EDITS_MAX);
        return NULL;
    }
    if (!array_grow(&rq->edits, rq->n_edits, sizeof *rq->edits)) {
        perr_oom(p);
        return NULL;
    }
    struct request_edit *e = &rq->edits[rq->n_edits++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->line = p->line;
    return e;
}

/* A payload expression starts here ("...", 0xHEX, repeat(). */
static bool at_payload(struct lx *l)
{
    lx_skip(l);
    const char *s = l->s + l->i;
    size_t left = l->n - l->i;
    return (left && s[0] == '"') || (left >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ||
           (left >= 7 && memcmp(s, "repeat(", 7) == 0);
}

/* A bare word as a one-part payload: `header-set Sec-WebSocket-Version 8`. */
static bool word_payload(struct parser *p, struct span w, struct payload *out)
{
    uint8_t *pat = malloc(w.n);
    if (!pat || !array_grow(&out->segs, out->n_segs, sizeof *out->segs)) {
        free(pat);
        perr_oom(p);
        return false;
    }
    memcpy(pat, w.p, w.n);
    out->segs[out->n_segs++] = (struct payload_seg){pat, w.n, w.n};
    out->len += w.n;
    return true;
}

/* The value that ends an edit line (`what` it is, for the message): a payload, or a
 * single word as it is. */
static void edit_value(struct parser *p, struct lx *l, struct request_edit *e, const char *dir,
                       const char *what)
{
    if (lx_end(l)) {
        perr(p, "'%s' needs %s (a word, \"...\", 0xHEX or repeat(N, P))", dir, what);
        return;
    }
    bool ok =
        at_payload(l) ? payload_parse(p, l, &e->value) : word_payload(p, lx_word(l), &e->value);
    if (ok && perr_unless_end(p, l))
        check_placeholders(p, &e->value);
}

/* An edit of one kind whose line ends with its value (`dir` and `what` name them). */
static void edit_line(struct parser *p, struct lx *l, enum request_edit_kind kind, const char *dir,
                      const char *what)
{
    struct request_edit *e = add_edit(p, kind);
    if (e)
        edit_value(p, l, e, dir, what);
}

void case_request_line(struct parser *p, struct lx *l)
{
    edit_line(p, l, EDIT_LINE, "request-line", "the request line");
}

void case_response_status_line(struct parser *p, struct lx *l)
{
    edit_line(p, l, EDIT_LINE, "status-line", "the status line");
}

void case_request_drop(struct parser *p, struct lx *l)
{
    struct request_edit *e = add_edit(p, EDIT_DROP);
    if (e && header_name(p, lx_word(l), e->name))
        perr_unless_end(p, l);
}

void case_request_set(struct parser *p, struct lx *l)
{
    struct request_edit *e = add_edit(p, EDIT_SET);
    if (e && header_name(p, lx_word(l), e->name))
        edit_value(p, l, e, "header-set", "a value");
}

void case_request_add(struct parser *p, struct lx *l)
{
    struct request_edit *e = add_edit(p, EDIT_ADD);
    if (e)
        edit_value(p, l, e, "header-add", "the line");
}

void case_request_raw(struct parser *p, struct lx *l)
{
    edit_line(p, l, EDIT_RAW, "request-raw", "the request's bytes");
}

void case_response_raw(struct parser *p, struct lx *l)
{
    edit_line(p, l, EDIT_RAW, "response-raw", "the response's bytes");
}

void case_request_write(struct parser *p, struct lx *l)
{
    struct step st;
    unsigned given = 0;
    case_step_init(p, &st, STEP_RAW);
    if (!case_step_options(p, l, CTX_REQUEST_WRITE, false, &st, &given))
        return;
    if ((given & (1u << CO_GAP)) && !(given & (1u << CO_CHOP))) {
        perr(p, "gap= is the pause between chops: it needs chop=");
        return;
    }
    if ((given & (1u << CO_NEVER)) && (given & ~(1u << CO_NEVER))) {
        perr(p, "'never' writes nothing: no chop= or gap= with it");
        return;
    }
    p->c.request.chop = st.chop;
    p->c.request.gap = st.seconds;
    p->c.request.never = given & (1u << CO_NEVER);
}

/* ------------------------------------------------------------ status lists */

static bool status_item(struct span w, struct status_set *s)
{
    uint64_t code;
    if (span_is(w, "none")) {
        s->none = true;
        return true;
    }
    if (span_is(w, "closed")) {
        s->closed = true;
        return true;
    }
    if (w.n == 3 && w.p[0] >= '1' && w.p[0] <= '5' && w.p[1] == 'x' && w.p[2] == 'x') {
        s->classes |= (uint8_t)(1u << (w.p[0] - '0'));
        return true;
    }
    if (w.n != 3 || !span_u64(w, &code) || code < 100 || code > 599 ||
        s->n_codes >= sizeof s->codes / sizeof s->codes[0])
        return false;
    s->codes[s->n_codes++] = (uint16_t)code;
    return true;
}

/* "101", "4xx", "400,431", "101,4xx,none": a comma list without blanks. */
static bool parse_statuses(struct parser *p, struct span w, struct status_set *s)
{
    char b[48];
    memset(s, 0, sizeof *s);
    size_t i = 0;
    while (w.n && i <= w.n) {
        size_t j = i;
        while (j < w.n && w.p[j] != ',')
            j++;
        if (!status_item((struct span){w.p + i, j - i}, s))
            break;
        if (j == w.n)
            return true;
        i = j + 1;
    }
    perr(p,
         "bad status list '%s' (codes 100-599, classes like 4xx, none, closed; at most 8 codes; "
         "comma-separated)",
         span_show(b, w));
    return false;
}

bool status_set_has(const struct status_set *s, int status)
{
    if (status == STATUS_CLOSED)
        return s->none || s->closed;
    if (status < 0)
        return s->none;
    for (size_t i = 0; i < s->n_codes; i++)
        if (s->codes[i] == status)
            return true;
    return status >= 100 && status <= 599 && (s->classes >> (status / 100)) & 1u;
}

/* ------------------------------------------------------------ checks */

static bool check_status(struct parser *p, struct lx *l, struct response_check *ck)
{
    if (ck->conditional) {
        perr(p, "'if' goes with header checks; a status check is its own condition");
        return false;
    }
    return parse_statuses(p, lx_word(l), &ck->status);
}

static const struct {
    const char *word;
    enum header_test test;
    bool value;
} header_tests[] = {
    {"present", HT_PRESENT, false}, {"absent", HT_ABSENT, false}, {"once", HT_ONCE, false},
    {"=", HT_EQUAL, true},          {"has", HT_HAS, true},        {"lacks", HT_LACKS, true},
};

/* The VALUE of `= VALUE` or the TOKEN of `has`/`lacks`: a word or a quoted string. */
static bool header_value(struct parser *p, struct lx *l, struct response_check *ck)
{
    struct buf v = {0};
    bool found, ok = lx_token(p, l, &v, &found);
    if (ok && !found)
        perr(p, "'header %s' needs a value after the test", ck->name);
    else if (ok && v.n >= sizeof ck->value)
        perr(p, "header check value longer than %zu bytes", sizeof ck->value - 1);
    else if (ok && (memchr(v.p, '\0', v.n) ||
                    (ck->test != HT_EQUAL && (v.n == 0 || memchr(v.p, ',', v.n)))))
        perr(p, "'%s' needs one list element: no NUL, no comma, not empty",
             ck->test == HT_HAS     ? "has"
             : ck->test == HT_LACKS ? "lacks"
                                    : "=");
    else if (ok) {
        if (v.n)
            memcpy(ck->value, v.p, v.n);
        ck->value[v.n] = '\0';
        free(v.p);
        return true;
    }
    free(v.p);
    return false;
}

static bool check_header(struct parser *p, struct lx *l, struct response_check *ck)
{
    char b[48];
    if (!header_name(p, lx_word(l), ck->name))
        return false;
    struct span t = lx_word(l);
    for (size_t i = 0; i < sizeof header_tests / sizeof header_tests[0]; i++)
        if (span_is(t, header_tests[i].word)) {
            ck->test = header_tests[i].test;
            return !header_tests[i].value || header_value(p, l, ck);
        }
    perr(p, "'header %s' needs present, absent, once, = VALUE, has TOKEN or lacks TOKEN, not '%s'",
         ck->name, span_show(b, t));
    return false;
}

/* accept, protocol-offered, extensions-offered: about a 101, nothing to add. */
static bool check_on_101(struct parser *p, struct lx *l, struct response_check *ck)
{
    (void)l;
    if (ck->conditional) {
        perr(p, "'%s' applies to a 101 only: no 'if'", case_vocab_checks[ck->kind].name);
        return false;
    }
    return true;
}

#define check_accept check_on_101
#define check_protocol_offered check_on_101
#define check_extensions_offered check_on_101

typedef bool (*check_fn)(struct parser *p, struct lx *l, struct response_check *ck);

static const check_fn check_handlers[CK_N] = {
#define CASE_CHECK(ID, name, handler, ...) [CK_##ID] = handler,
#include "case_vocab.def"
#undef CASE_CHECK
};

static bool add_check(struct parser *p, const struct response_check *ck)
{
    if (p->c.n_checks >= CHECKS_MAX) {
        perr(p, "more than %d response checks in one case", CHECKS_MAX);
        return false;
    }
    if (!array_grow(&p->c.checks, p->c.n_checks, sizeof *p->c.checks)) {
        perr_oom(p);
        return false;
    }
    p->c.checks[p->c.n_checks++] = *ck;
    return true;
}

/* response [RFCn] SECTION LEVEL [if STATUSES] CHECK ... */
void case_response(struct parser *p, struct lx *l)
{
    char b[48], names[128];
    struct response_check ck;
    memset(&ck, 0, sizeof ck);
    ck.line = p->line;
    struct lx at = *l;
    if (span_is(lx_word(&at), "policy")) { /* the declared policy is the rule */
        *l = at;
        ck.policy = true;
        ck.level = RFC_MUST;
    } else if (!case_rfc_where(p, l, &ck.doc, ck.section, &ck.level)) {
        return;
    }
    struct span w = lx_word(l);
    if (span_is(w, "if")) {
        if (!parse_statuses(p, lx_word(l), &ck.when))
            return;
        ck.conditional = true;
        w = lx_word(l);
    }
    int k = case_vocab_check(w.p, w.n);
    if (k < 0) {
        case_vocab_check_list(names, sizeof names);
        perr(p, "'response' needs a check (%s), not '%s'", names, span_show(b, w));
        return;
    }
    ck.kind = (enum case_check_id)k;
    if (check_handlers[k](p, l, &ck) && perr_unless_end(p, l))
        add_check(p, &ck);
}

/* response-timeout SECONDS [+ SECONDS]: a sum, so that a case can wait a declared
 * policy's time and a margin ({handshake-timeout} + 0.5). */
#define RESPONSE_TIMEOUT_MAX 3700.0

void case_response_timeout(struct parser *p, struct lx *l)
{
    char b[48];
    double total = 0, v;
    for (;;) {
        struct span w = lx_word(l);
        if (!span_seconds(w, &v) || v <= 0) {
            perr(p, "response-timeout needs seconds > 0 (SECONDS [+ SECONDS]), not '%s'",
                 span_show(b, w));
            return;
        }
        total += v;
        if (lx_end(l))
            break;
        struct span plus = lx_word(l);
        if (!span_is(plus, "+")) {
            perr(p, "response-timeout: '+' or the end of the line expected, not '%s'",
                 span_show(b, plus));
            return;
        }
    }
    if (total > RESPONSE_TIMEOUT_MAX) {
        perr(p, "response-timeout of %.3f s: at most %.0f", total, RESPONSE_TIMEOUT_MAX);
        return;
    }
    p->c.response_timeout = total;
}

/* ------------------------------------------------------------ the case as a whole */

static bool has_must_status(const struct case_def *c)
{
    for (size_t i = 0; i < c->n_checks; i++)
        if (c->checks[i].kind == CK_STATUS && c->checks[i].level == RFC_MUST)
            return true;
    return false;
}

/* A 101 passes every MUST status check (none at all: a 101 is what a case expects). */
static bool can_open(const struct case_def *c)
{
    for (size_t i = 0; i < c->n_checks; i++)
        if (c->checks[i].kind == CK_STATUS && c->checks[i].level == RFC_MUST &&
            !status_set_has(&c->checks[i].status, 101))
            return false;
    return true;
}

static const char *const level_names[] = {
    [RFC_MUST] = "MUST", [RFC_SHOULD] = "SHOULD", [RFC_MAY] = "MAY"};

/* Every check quotes one of the case's rfc lines: the same RFC, section and level. */
static void check_levels(struct parser *p)
{
    const struct case_def *c = &p->c;
    for (size_t i = 0; i < c->n_checks; i++) {
        const struct response_check *ck = &c->checks[i];
        bool found = false;
        if (ck->policy) {
            if (!c->has_policy)
                perr_at(p, ck->line,
                        "'response policy' needs the case's 'policy NAME' (the declaration "
                        "it is judged against)");
            continue;
        }
        for (size_t r = 0; r < c->n_rfc && !found; r++)
            found = c->rfc[r].doc == ck->doc && c->rfc[r].level == ck->level &&
                    strcmp(c->rfc[r].section, ck->section) == 0;
        if (!found)
            perr_at(p, ck->line,
                    "the check cites RFC %u %s %s, but no rfc line of the case "
                    "quotes it",
                    ck->doc, ck->section, level_names[ck->level]);
    }
}

/* request-raw is the whole request; the request stays within REQUEST_BYTES_MAX. */
static void check_edits(struct parser *p)
{
    const struct case_request *rq = &p->c.request;
    uint64_t total = REQUEST_DEFAULT_BYTES;
    bool raw = false, other = false;
    for (size_t i = 0; i < rq->n_edits; i++) {
        raw = raw || rq->edits[i].kind == EDIT_RAW;
        other = other || rq->edits[i].kind != EDIT_RAW;
        total += rq->edits[i].value.len + CASE_HEADER_NAME_MAX + 4;
    }
    if (raw && other)
        perr_at(p, p->c.line,
                p->c.role == CASE_ROLE_SERVER
                    ? "case %s: response-raw is the whole response: no status-line or "
                      "header-* with it"
                    : "case %s: request-raw is the whole request: no request-line or "
                      "header-* with it",
                p->c.id);
    if (total > REQUEST_BYTES_MAX)
        perr_at(p, p->c.line, "case %s: the opening request would be larger than %u bytes", p->c.id,
                REQUEST_BYTES_MAX);
}

/* What a case that ends with the response cannot have: anything after the 101. */
static void check_ends_at_response(struct parser *p)
{
    static const enum case_directive_id after[] = {
        CD_CLOSE_RULE,    CD_KILL_AFTER,         CD_CLOSE_AFTER, CD_SUPPRESS_CLOSE,
        CD_INFORMATIONAL, CD_PONGS_MAY_COALESCE, CD_EXPECT};
    const char *id = p->c.id[0] ? p->c.id : "?";
    for (size_t i = 0; i < p->c.n_steps; i++)
        if (!p->c.steps[i].pipelined) {
            perr_at(p, p->c.steps[i].line,
                    "case %s ends with the response (no MUST status check allows 101): a step "
                    "after the 101 never runs (pipelined steps go before it)",
                    id);
            break;
        }
    for (size_t i = 0; i < sizeof after / sizeof after[0]; i++)
        if (p->c_seen & SEEN_DIRECTIVE(after[i]))
            perr_at(p, p->c.line,
                    "case %s ends with the response (no MUST status check allows 101): no '%s'", id,
                    case_vocab_directives[after[i]].name);
}

/* The words of the side wsspec writes: request-* as the client, status-line and
 * response-* as the server (header-* edit either); what only a server's case has. */
static void check_role(struct parser *p)
{
    static const enum case_directive_id client_only[] = {
        CD_REQUEST_LINE, CD_REQUEST_RAW, CD_REQUEST_WRITE, CD_RESPONSE, CD_RESPONSE_TIMEOUT};
    static const enum case_directive_id server_only[] = {CD_STATUS_LINE, CD_RESPONSE_RAW,
                                                         CD_RESPONSE_WRITE};
    const struct case_def *c = &p->c;
    bool server = c->role == CASE_ROLE_SERVER;
    const char *id = c->id[0] ? c->id : "?";
    const enum case_directive_id *no = server ? client_only : server_only;
    size_t n = server ? sizeof client_only / sizeof client_only[0]
                      : sizeof server_only / sizeof server_only[0];
    for (size_t i = 0; i < n; i++)
        if (p->c_seen & SEEN_DIRECTIVE(no[i]))
            perr_at(p, c->line,
                    server ? "case %s has 'role server': wsspec writes the response, not a "
                             "request ('%s' is for the client role)"
                           : "case %s: '%s' writes wsspec's response: it needs 'role server'",
                    id, case_vocab_directives[no[i]].name);
    if (c->judge == JUDGE_REFUSAL && !server)
        perr_at(p, c->line, "case %s: 'expect refusal' judges a client: it needs 'role server'",
                id);
    if (c->request.never && !(p->c_seen & SEEN_DIRECTIVE(CD_RESPONSE_WRITE)))
        perr_at(p, c->line, "case %s: 'never' is for response-write only", id);
    if (c->request.never && c->n_steps)
        perr_at(p, c->line, "case %s: a response never written has no steps behind it", id);
    if (c->request.never && c->judge != JUDGE_REFUSAL)
        perr_at(p, c->line,
                "case %s: a response never written opens nothing: it needs "
                "'expect refusal'",
                id);
}

/* A case judged by the client's refusal runs nothing after the response: only
 * pipelined steps (written with it), kill-after as its deadline, no close rule. */
static void check_refusal(struct parser *p)
{
    static const enum case_directive_id after[] = {CD_CLOSE_RULE, CD_CLOSE_AFTER, CD_SUPPRESS_CLOSE,
                                                   CD_PONGS_MAY_COALESCE};
    const char *id = p->c.id[0] ? p->c.id : "?";
    for (size_t i = 0; i < p->c.n_steps; i++)
        if (!p->c.steps[i].pipelined) {
            perr_at(p, p->c.steps[i].line,
                    "case %s expects the client's refusal: a step after the response never "
                    "runs (pipelined steps go with it)",
                    id);
            break;
        }
    for (size_t i = 0; i < sizeof after / sizeof after[0]; i++)
        if (p->c_seen & SEEN_DIRECTIVE(after[i]))
            perr_at(p, p->c.line, "case %s expects the client's refusal: no '%s'", id,
                    case_vocab_directives[after[i]].name);
}

void case_request_finish(struct parser *p)
{
    struct case_def *c = &p->c;
    bool pipelined = c->n_steps && c->steps[0].pipelined;
    c->request.own =
        c->request.n_edits ||
        (p->c_seen & (SEEN_DIRECTIVE(CD_REQUEST_WRITE) | SEEN_DIRECTIVE(CD_RESPONSE_WRITE))) ||
        pipelined || c->role == CASE_ROLE_SERVER;
    check_role(p);
    if (c->judge == JUDGE_REFUSAL)
        check_refusal(p);
    check_edits(p);
    check_levels(p);
    if (c->n_checks && !has_must_status(c))
        perr_at(p, c->line,
                "case %s has response checks but no MUST status check: say which statuses a "
                "conformant target may answer (status 101, status 101,4xx ...)",
                c->id[0] ? c->id : "?");
    c->ends_at_response = !can_open(c);
    if (c->ends_at_response) {
        check_ends_at_response(p);
        return;
    }
    bool judged =
        p->c_seen & (SEEN_EXPECT_OK | SEEN_EXPECT_SIZE | SEEN_DIRECTIVE(CD_INFORMATIONAL));
    if (c->n_checks && !judged)
        perr_at(p, c->line,
                "case %s can open the connection (a 101 passes its MUST status checks): it "
                "needs 'expect' or 'informational' for what follows",
                c->id[0] ? c->id : "?");
}

void case_request_free(struct case_def *c)
{
    for (size_t i = 0; i < c->request.n_edits; i++)
        payload_free(&c->request.edits[i].value);
    free(c->request.edits);
    free(c->checks);
    c->request.edits = NULL;
    c->request.n_edits = 0;
    c->checks = NULL;
    c->n_checks = 0;
}

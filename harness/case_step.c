/*
 * case_step.c - the steps of a case (cases/README.md, "Sending"): `send KIND ...`,
 * `wait` and `roundtrip`, each read into a struct step of case.h, and the step options
 * (fin=, chop=, sync, ...) they and `expect size` take.
 *
 * Which options a line takes is the options' `where` column in case_vocab.def; each
 * send kind and each option has a handler named in its row, so adding an option is one
 * row and one handler. Options come in any order, before, between or after the
 * payload, each at most once.
 */
#include "case_parse_int.h"

#include <string.h>

#include "testdata.h"

/* Steps of one case: Autobahn's longest script has about 20 steps; long runs use
 * roundtrip count=N or fragment=N, not lines. */
#define STEPS_MAX 10000

#define OPT_BIT(k) (1u << (k))

/* ------------------------------------------------------------ option values */

/* "bad value 'V' for NAME= (what a valid one is)": the row says what is valid. */
static bool bad_value(struct parser *p, enum case_option_id k, struct span v)
{
    char b[48];
    perr(p, "bad value '%s' for %s= (%s)", span_show(b, v), case_vocab_options[k].name,
         case_vocab_options[k].value);
    return false;
}

/* A decimal in [lo, hi], else the option's "bad value". */
static bool opt_number(struct parser *p, struct lx *l, enum case_option_id k, uint64_t lo,
                       uint64_t hi, uint64_t *n)
{
    struct span v = lx_word(l);
    if (!span_u64(v, n) || *n < lo || *n > hi)
        return bad_value(p, k, v);
    return true;
}

static bool opt_fin(struct parser *p, struct lx *l, struct step *st)
{
    struct span v = lx_word(l);
    if (!span_is(v, "0") && !span_is(v, "1"))
        return bad_value(p, CO_FIN, v);
    st->fin = v.p[0] == '1';
    return true;
}

static bool opt_rsv(struct parser *p, struct lx *l, struct step *st)
{
    uint64_t n;
    if (!opt_number(p, l, CO_RSV, 0, 7, &n))
        return false;
    st->rsv = (uint8_t)n;
    return true;
}

/* 8 hex digits, optionally after 0x, into key. */
static bool mask_key(struct span h, uint8_t key[4])
{
    if (h.n == 10 && h.p[0] == '0' && (h.p[1] == 'x' || h.p[1] == 'X')) {
        h.p += 2;
        h.n -= 2;
    }
    if (h.n != 8)
        return false;
    for (size_t i = 0; i < 8; i++)
        if (hex_value(h.p[i]) < 0)
            return false;
    for (size_t i = 0; i < 4; i++)
        key[i] = (uint8_t)(hex_value(h.p[2 * i]) << 4 | hex_value(h.p[2 * i + 1]));
    return true;
}

static bool opt_mask(struct parser *p, struct lx *l, struct step *st)
{
    struct span v = lx_word(l);
    if (span_is(v, "random"))
        st->mask = MASK_RANDOM;
    else if (span_is(v, "none"))
        st->mask = MASK_NONE;
    else if (mask_key(v, st->mask_key))
        st->mask = MASK_FIXED;
    else
        return bad_value(p, CO_MASK, v);
    return true;
}

static bool opt_form(struct parser *p, struct lx *l, struct step *st)
{
    struct span v = lx_word(l);
    if (span_is(v, "7"))
        st->len_form = WS_LEN_7;
    else if (span_is(v, "16"))
        st->len_form = WS_LEN_16;
    else if (span_is(v, "64"))
        st->len_form = WS_LEN_64;
    else
        return bad_value(p, CO_FORM, v);
    return true;
}

static bool opt_len(struct parser *p, struct lx *l, struct step *st)
{
    if (!opt_number(p, l, CO_LEN, 0, UINT64_MAX, &st->declared_len))
        return false;
    st->len_override = true;
    return true;
}

static bool opt_chop(struct parser *p, struct lx *l, struct step *st)
{
    uint64_t n;
    if (!opt_number(p, l, CO_CHOP, 1, UINT32_MAX, &n))
        return false;
    st->chop = (uint32_t)n;
    return true;
}

static bool opt_sync(struct parser *p, struct lx *l, struct step *st)
{
    (void)p;
    (void)l;
    st->sync = true;
    return true;
}

static bool opt_fragment(struct parser *p, struct lx *l, struct step *st)
{
    return opt_number(p, l, CO_FRAGMENT, 0, UINT64_MAX, &st->fragment); /* 0 = one frame */
}

static bool opt_code(struct parser *p, struct lx *l, struct step *st)
{
    uint64_t n;
    if (!opt_number(p, l, CO_CODE, 0, 65535, &n))
        return false;
    st->close_has_code = true;
    st->close_code = (uint16_t)n;
    return true;
}

static bool opt_reason(struct parser *p, struct lx *l, struct step *st)
{
    return payload_parse(p, l, &st->payload);
}

static bool opt_payload(struct parser *p, struct lx *l, struct step *st)
{
    st->close_raw = true;
    return payload_parse(p, l, &st->payload);
}

static bool opt_tag(struct parser *p, struct lx *l, struct step *st)
{
    return parse_tag(p, lx_word(l), st->tag);
}

static bool opt_count(struct parser *p, struct lx *l, struct step *st)
{
    uint64_t n;
    if (!opt_number(p, l, CO_COUNT, 1, UINT32_MAX, &n))
        return false;
    st->count = (uint32_t)n;
    return true;
}

/* pause=S: seconds between the chops of a paced write (the hardening probes trickle a
 * frame one byte at a time). */
static bool opt_pause(struct parser *p, struct lx *l, struct step *st)
{
    struct span v = lx_word(l);
    if (!span_seconds(v, &st->pause))
        return bad_value(p, CO_PAUSE, v);
    return true;
}

/* data=NAME: one of testdata.h's generated files. */
static bool opt_data(struct parser *p, struct lx *l, struct step *st)
{
    struct span v = lx_word(l);
    char name[16];
    if (v.n == 0 || v.n >= sizeof name)
        return bad_value(p, CO_DATA, v);
    memcpy(name, v.p, v.n);
    name[v.n] = '\0';
    enum testdata_kind k = testdata_by_name(name);
    if (k == TESTDATA_N)
        return bad_value(p, CO_DATA, v);
    st->data = (uint8_t)(k + 1);
    return true;
}

static bool opt_slice(struct parser *p, struct lx *l, struct step *st)
{
    /* a slice is at most the largest message a case may send (repeat's bound) */
    return opt_number(p, l, CO_SLICE, 1, 64u * 1024 * 1024, &st->slice);
}

static bool opt_pipelined(struct parser *p, struct lx *l, struct step *st)
{
    (void)p;
    (void)l;
    st->pipelined = true;
    return true;
}

/* request-write gap=S: a drip slower than a second per chop outlasts every deadline of
 * the opening handshake; 60 leaves room for cases that declare their own. */
#define GAP_MAX 60.0

/* gap= of request-write; the value goes to st->seconds (case_request.c reads it). */
static bool opt_gap(struct parser *p, struct lx *l, struct step *st)
{
    struct span v = lx_word(l);
    if (!span_seconds(v, &st->seconds) || st->seconds > GAP_MAX)
        return bad_value(p, CO_GAP, v);
    return true;
}

/* never of response-write: read from the given bits by case_request_write. */
static bool opt_never(struct parser *p, struct lx *l, struct step *st)
{
    (void)p, (void)l, (void)st;
    return true;
}

typedef bool (*option_fn)(struct parser *p, struct lx *l, struct step *st);

static const option_fn option_handlers[CO_N] = {
#define CASE_DIRECTIVE(...)
#define CASE_SEND(...)
#define CASE_OPTION(ID, name, arg, where, handler, ...) [CO_##ID] = handler,
#include "case_vocab.def"
#undef CASE_DIRECTIVE
#undef CASE_SEND
#undef CASE_OPTION
};

/* ------------------------------------------------------------ options */

/* The option word at l: its name (letters and '-') and whether '=' follows it. A word
 * that is neither "name=" nor a known bare name is not an option (a payload, or an
 * error the caller names). */
static bool option_at(struct lx *l, struct span *key, bool *eq, int *k)
{
    size_t j = l->i;
    while (j < l->n && ((l->s[j] >= 'a' && l->s[j] <= 'z') || l->s[j] == '-'))
        j++;
    *key = (struct span){l->s + l->i, j - l->i};
    *eq = key->n > 0 && j < l->n && l->s[j] == '=';
    bool bare = key->n > 0 && (j == l->n || is_blank(l->s[j]));
    *k = case_vocab_option(key->p, key->n);
    return *eq || (bare && *k >= 0);
}

/* One option (l at its name): checked against ctx and *given, then its handler. */
static bool read_option(struct parser *p, struct lx *l, enum case_ctx ctx, struct step *st,
                        unsigned *given)
{
    char b[48];
    struct span key;
    bool eq;
    int k;
    option_at(l, &key, &eq, &k);
    if (k < 0) {
        perr(p, CASE_MSG_UNKNOWN_OPTION "%s='", span_show(b, key));
        return false;
    }
    const struct case_option_row *row = &case_vocab_options[k];
    if (!(row->in & (1u << ctx))) {
        perr(p, "option '%s' is not allowed in '%s'", row->name, case_vocab_ctx_name(ctx));
        return false;
    }
    if (*given & OPT_BIT(k)) {
        perr(p, "option '%s' given twice", row->name);
        return false;
    }
    if (row->arg == CV_FLAG && eq) {
        perr(p, "'%s' takes no value", row->name);
        return false;
    }
    if (row->arg == CV_VALUE && !eq) {
        perr(p, "option '%s' needs a value: %s=...", row->name, row->name);
        return false;
    }
    l->i += key.n + (eq ? 1 : 0);
    *given |= OPT_BIT(k);
    return option_handlers[k](p, l, st);
}

bool case_step_options(struct parser *p, struct lx *l, enum case_ctx ctx, bool want_payload,
                       struct step *st, unsigned *given)
{
    bool have_payload = false;
    char b[48];
    while (!lx_end(l)) {
        struct span key;
        bool eq;
        int k;
        if (option_at(l, &key, &eq, &k)) {
            if (!read_option(p, l, ctx, st, given))
                return false;
            continue;
        }
        if (!want_payload || have_payload) {
            perr(p, "unexpected '%s' in '%s'", span_show(b, lx_peek_word(l)),
                 case_vocab_ctx_name(ctx));
            return false;
        }
        if (!payload_parse(p, l, &st->payload))
            return false;
        have_payload = true;
    }
    if (want_payload && !have_payload) {
        perr(p, "'%s' needs a payload (\"...\", 0xHEX or repeat(N, P))", case_vocab_ctx_name(ctx));
        return false;
    }
    if ((*given & OPT_BIT(CO_PAUSE)) && !(*given & OPT_BIT(CO_CHOP))) {
        perr(p, "pause= needs chop=N (it is the time between chops)");
        return false;
    }
    return true;
}

/* ------------------------------------------------------------ step fields */

static bool parse_opcode(struct parser *p, struct span w, uint8_t *op)
{
    static const struct {
        const char *name;
        uint8_t op;
    } names[] = {
        {"cont", WS_OP_CONT},   {"text", WS_OP_TEXT}, {"binary", WS_OP_BINARY},
        {"close", WS_OP_CLOSE}, {"ping", WS_OP_PING}, {"pong", WS_OP_PONG},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (span_is(w, names[i].name)) {
            *op = names[i].op;
            return true;
        }
    uint64_t n;
    if (span_u64(w, &n) && n <= 15) {
        *op = (uint8_t)n;
        return true;
    }
    char b[48];
    if (w.n == 0)
        perr(p, "opcode missing (cont, text, binary, close, ping, pong or 0-15)");
    else
        perr(p, "bad opcode '%s' (cont, text, binary, close, ping, pong or 0-15)", span_show(b, w));
    return false;
}

bool case_step_data_type(struct parser *p, struct span w, bool *binary)
{
    if (span_is(w, "text") || span_is(w, "binary")) {
        *binary = w.p[0] == 'b';
        return true;
    }
    char b[48];
    perr(p, "expected 'text' or 'binary', not '%s'", span_show(b, w));
    return false;
}

/* The length field must be able to carry the length (ws_frame_write_header). */
static bool check_form(struct parser *p, const struct step *st)
{
    if (st->len_form == WS_LEN_MINIMAL || st->len_form == WS_LEN_64)
        return true;
    uint64_t len = st->len_override ? st->declared_len : st->payload.len;
    if (st->type == STEP_MESSAGE && st->fragment && st->fragment < len)
        len = st->fragment;
    /* An overridden 7-bit field may say 126 or 127 (a malformed frame on purpose). */
    uint64_t max = st->len_form == WS_LEN_7 ? (st->len_override ? 127 : 125) : 65535;
    if (len > max) {
        perr(p, "form=%s cannot carry a length of %llu (at most %llu)",
             st->len_form == WS_LEN_7 ? "7" : "16", (unsigned long long)len,
             (unsigned long long)max);
        return false;
    }
    return true;
}

static bool add_step(struct parser *p, struct step *st)
{
    if (st->pipelined && p->c.n_steps && !p->c.steps[p->c.n_steps - 1].pipelined) {
        perr(p, "pipelined steps come first: they go out with the opening request, before "
                "the 101");
        return false;
    }
    if (p->c.n_steps >= STEPS_MAX) {
        perr(p, "more than %d steps in one case", STEPS_MAX);
        return false;
    }
    if (!array_grow(&p->c.steps, p->c.n_steps, sizeof *p->c.steps)) {
        perr_oom(p);
        return false;
    }
    p->c.steps[p->c.n_steps++] = *st;
    return true;
}

void case_step_init(struct parser *p, struct step *st, enum step_type t)
{
    memset(st, 0, sizeof *st);
    st->type = t;
    st->line = p->line;
    st->fin = true;
    st->mask = MASK_DEFAULT;
    st->len_form = WS_LEN_MINIMAL;
}

/* ------------------------------------------------------------ send kinds */

static bool send_frame(struct parser *p, struct lx *l, struct step *st)
{
    unsigned given = 0;
    case_step_init(p, st, STEP_FRAME);
    return parse_opcode(p, lx_word(l), &st->opcode) &&
           case_step_options(p, l, CTX_SEND_FRAME, true, st, &given) && check_form(p, st);
}

static bool send_message(struct parser *p, struct lx *l, struct step *st)
{
    unsigned given = 0;
    bool binary;
    case_step_init(p, st, STEP_MESSAGE);
    if (!case_step_data_type(p, lx_word(l), &binary))
        return false;
    st->opcode = binary ? WS_OP_BINARY : WS_OP_TEXT;
    return case_step_options(p, l, CTX_SEND_MESSAGE, true, st, &given) && check_form(p, st);
}

static bool send_begin(struct parser *p, struct lx *l, struct step *st)
{
    unsigned given = 0;
    case_step_init(p, st, STEP_BEGIN);
    if (!parse_opcode(p, lx_word(l), &st->opcode) ||
        !case_step_options(p, l, CTX_SEND_BEGIN, false, st, &given))
        return false;
    if (!(given & OPT_BIT(CO_LEN))) {
        perr(p, "'send begin' needs len=N (the payload length it declares)");
        return false;
    }
    p->c_seen |= SEEN_BEGIN;
    return check_form(p, st);
}

static bool send_payload(struct parser *p, struct lx *l, struct step *st)
{
    unsigned given = 0;
    case_step_init(p, st, STEP_PAYLOAD);
    if (!(p->c_seen & SEEN_BEGIN)) {
        perr(p, "'send payload' without an earlier 'send begin'");
        return false;
    }
    return case_step_options(p, l, CTX_SEND_PAYLOAD, true, st, &given);
}

static bool send_raw(struct parser *p, struct lx *l, struct step *st)
{
    unsigned given = 0;
    case_step_init(p, st, STEP_RAW);
    return case_step_options(p, l, CTX_SEND_RAW, true, st, &given);
}

static bool send_close(struct parser *p, struct lx *l, struct step *st)
{
    unsigned given = 0;
    case_step_init(p, st, STEP_CLOSE);
    st->opcode = WS_OP_CLOSE;
    if (!case_step_options(p, l, CTX_SEND_CLOSE, false, st, &given))
        return false;
    if ((given & OPT_BIT(CO_PAYLOAD)) && (given & (OPT_BIT(CO_CODE) | OPT_BIT(CO_REASON)))) {
        perr(p, "payload= is the whole Close payload: not with code= or reason=");
        return false;
    }
    if ((given & OPT_BIT(CO_REASON)) && !(given & OPT_BIT(CO_CODE))) {
        perr(p, "reason= needs code= (use payload= for a payload without a code)");
        return false;
    }
    return true;
}

typedef bool (*send_fn)(struct parser *p, struct lx *l, struct step *st);

static const send_fn send_handlers[CS_N] = {
#define CASE_DIRECTIVE(...)
#define CASE_SEND(ID, name, handler, ...) [CS_##ID] = handler,
#define CASE_OPTION(...)
#include "case_vocab.def"
#undef CASE_DIRECTIVE
#undef CASE_SEND
#undef CASE_OPTION
};

static bool send_step(struct parser *p, struct lx *l, struct step *st)
{
    struct span w = lx_word(l);
    int k = case_vocab_send(w.p, w.n);
    if (k >= 0)
        return send_handlers[k](p, l, st);
    char b[48], kinds[128];
    case_vocab_send_list(kinds, sizeof kinds);
    if (w.n == 0)
        perr(p, "'send' needs %s", kinds);
    else
        perr(p, "unknown send step '%s' (%s)", span_show(b, w), kinds);
    return false;
}

/* ------------------------------------------------------------ step directives */

void case_step_send(struct parser *p, struct lx *l)
{
    struct step st;
    memset(&st, 0, sizeof st);
    if (!send_step(p, l, &st) || !add_step(p, &st))
        payload_free(&st.payload);
}

void case_step_wait(struct parser *p, struct lx *l)
{
    struct step st;
    case_step_init(p, &st, STEP_WAIT);
    struct span w = lx_word(l);
    char b[48];
    unsigned given = 0;
    if (!span_seconds(w, &st.seconds)) {
        perr(p, "'wait' needs seconds > 0 (at most %.0f), not '%s'", SECONDS_MAX, span_show(b, w));
        return;
    }
    if (!case_step_options(p, l, CTX_WAIT, false, &st, &given))
        return;
    add_step(p, &st);
}

/* Does the rest of the line hold the word data=...? (Then roundtrip has no payload.) */
static bool has_data_option(const struct lx *l)
{
    struct lx scan = *l;
    while (!lx_end(&scan)) {
        struct span w = lx_word(&scan);
        if (w.n > 5 && memcmp(w.p, "data=", 5) == 0)
            return true;
    }
    return false;
}

void case_step_roundtrip(struct parser *p, struct lx *l)
{
    struct step st;
    case_step_init(p, &st, STEP_ROUNDTRIP);
    bool binary;
    unsigned given = 0;
    if (!case_step_data_type(p, lx_word(l), &binary))
        return;
    st.opcode = binary ? WS_OP_BINARY : WS_OP_TEXT;
    if (!case_step_options(p, l, CTX_ROUNDTRIP, !has_data_option(l), &st, &given)) {
        payload_free(&st.payload);
        return;
    }
    if (!(given & OPT_BIT(CO_COUNT))) {
        perr(p, "'roundtrip' needs count=N");
        payload_free(&st.payload);
        return;
    }
    if (!(given & OPT_BIT(CO_DATA)) != !(given & OPT_BIT(CO_SLICE))) {
        perr(p, "data= and slice= go together (message k: the k-th slice of the file)");
        return;
    }
    /* a text message is sliced by code point: the file must be UTF-8 text */
    if (st.data && !binary && !testdata_info((enum testdata_kind)(st.data - 1))->utf8) {
        perr(p, "data=%s is not UTF-8 text: send it as binary",
             testdata_info((enum testdata_kind)(st.data - 1))->name);
        return;
    }
    p->c_seen |= SEEN_ROUNDTRIP;
    if (!add_step(p, &st))
        payload_free(&st.payload);
}

/*
 * case_print.c - a parsed case written back as case-file text (case_print.h).
 *
 * One writer per directive group, in the order a case file is usually laid out:
 * describing, the opening handshake, timers, steps, judging. Everything is written in
 * its canonical spelling (payloads as literals and repeat()s, options only where they
 * differ from the default), so print(parse(print(c))) == print(c).
 */
#include "case_print.h"

#include <stdlib.h>
#include <string.h>

#include "testdata.h"

/* ------------------------------------------------------------ tokens */

/* A quoted string: printable ASCII as is, '"' '\\' and '{' escaped (so that no
 * placeholder is read back where the case had bytes), everything else \xHH. */
static void put_quoted(FILE *f, const uint8_t *p, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        uint8_t b = p[i];
        if (b == '"' || b == '\\')
            fprintf(f, "\\%c", b);
        else if (b < 0x20 || b > 0x7e || b == '{')
            fprintf(f, "\\x%02x", b);
        else
            fputc(b, f);
    }
    fputc('"', f);
}

static bool printable(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e)
            return false;
    return true;
}

/* One run of bytes: a string when it reads as text, else hex. */
static void put_bytes(FILE *f, const uint8_t *p, size_t n)
{
    if (n > 0 && printable(p, n)) {
        put_quoted(f, p, n);
        return;
    }
    fputs("0x", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%02x", p[i]);
}

/* A payload: its segments joined with " + "; a segment is its literal bytes or
 * repeat(LEN, PATTERN). */
static void put_payload(FILE *f, const struct payload *pl)
{
    if (pl->n_segs == 0) {
        fputs("0x", f);
        return;
    }
    for (size_t i = 0; i < pl->n_segs; i++) {
        const struct payload_seg *s = &pl->segs[i];
        if (i)
            fputs(" + ", f);
        if (s->len == s->pat_len) {
            put_bytes(f, s->pat, s->pat_len);
            continue;
        }
        fprintf(f, "repeat(%llu, ", (unsigned long long)s->len);
        put_bytes(f, s->pat, s->pat_len);
        fputc(')', f);
    }
}

/* Seconds as the reader takes them (digits and one '.', no exponent), the shortest
 * spelling that reads back as the same double. */
static void put_seconds(FILE *f, double s)
{
    char b[64];
    for (int prec = 0; prec <= 20; prec++) {
        snprintf(b, sizeof b, "%.*f", prec, s);
        if (strtod(b, NULL) == s)
            break;
    }
    fputs(b, f);
}

static const char *opcode_name(uint8_t op)
{
    static const char *const names[16] = {"cont", "text", "binary", NULL,   NULL,  NULL,
                                          NULL,   NULL,   "close",  "ping", "pong"};
    return names[op & 15];
}

static void put_opcode(FILE *f, uint8_t op)
{
    const char *n = opcode_name(op);
    if (n)
        fputs(n, f);
    else
        fprintf(f, "%u", op);
}

/* ------------------------------------------------------------ steps */

/* fin= rsv= mask= form= (frame, message, begin) */
static void put_frame_options(FILE *f, const struct step *st)
{
    static const char *const forms[] = {"", "7", "16", "64"};
    if (!st->fin)
        fputs(" fin=0", f);
    if (st->rsv)
        fprintf(f, " rsv=%u", st->rsv);
    if (st->mask == MASK_RANDOM)
        fputs(" mask=random", f);
    else if (st->mask == MASK_NONE)
        fputs(" mask=none", f);
    else if (st->mask == MASK_FIXED)
        fprintf(f, " mask=%02x%02x%02x%02x", st->mask_key[0], st->mask_key[1], st->mask_key[2],
                st->mask_key[3]);
    if (st->len_form != WS_LEN_MINIMAL)
        fprintf(f, " form=%s", forms[st->len_form & 3]);
    if (st->sync)
        fputs(" sync", f);
}

/* chop= pause= pipelined (where the step takes them) */
static void put_write_options(FILE *f, const struct step *st)
{
    if (st->chop)
        fprintf(f, " chop=%u", st->chop);
    if (st->pause > 0) {
        fputs(" pause=", f);
        put_seconds(f, st->pause);
    }
    if (st->pipelined)
        fputs(" pipelined", f);
}

static void put_close(FILE *f, const struct step *st)
{
    fputs("  send close", f);
    if (st->close_raw) {
        fputs(" payload=", f);
        put_payload(f, &st->payload);
        return;
    }
    if (st->close_has_code)
        fprintf(f, " code=%u", st->close_code);
    if (st->payload.len) {
        fputs(" reason=", f);
        put_payload(f, &st->payload);
    }
}

static void put_roundtrip(FILE *f, const struct step *st)
{
    fprintf(f, "  roundtrip %s ", st->opcode == WS_OP_BINARY ? "binary" : "text");
    if (st->data)
        fprintf(f, "data=%s slice=%llu", testdata_info((enum testdata_kind)(st->data - 1))->name,
                (unsigned long long)st->slice);
    else
        put_payload(f, &st->payload);
    fprintf(f, " count=%u", st->count);
    if (st->fragment)
        fprintf(f, " fragment=%llu", (unsigned long long)st->fragment);
}

static void put_step(FILE *f, const struct step *st)
{
    switch (st->type) {
    case STEP_FRAME:
        fputs("  send frame ", f);
        put_opcode(f, st->opcode);
        put_frame_options(f, st);
        if (st->len_override)
            fprintf(f, " len=%llu", (unsigned long long)st->declared_len);
        put_write_options(f, st);
        fputc(' ', f);
        put_payload(f, &st->payload);
        break;
    case STEP_MESSAGE:
        fprintf(f, "  send message %s", st->opcode == WS_OP_BINARY ? "binary" : "text");
        if (st->fragment)
            fprintf(f, " fragment=%llu", (unsigned long long)st->fragment);
        put_frame_options(f, st);
        put_write_options(f, st);
        fputc(' ', f);
        put_payload(f, &st->payload);
        break;
    case STEP_BEGIN:
        fputs("  send begin ", f);
        put_opcode(f, st->opcode);
        put_frame_options(f, st);
        fprintf(f, " len=%llu", (unsigned long long)st->declared_len);
        put_write_options(f, st);
        break;
    case STEP_PAYLOAD:
    case STEP_RAW:
        fputs(st->type == STEP_RAW ? "  send raw " : "  send payload ", f);
        put_payload(f, &st->payload);
        put_write_options(f, st);
        break;
    case STEP_CLOSE:
        put_close(f, st);
        break;
    case STEP_WAIT:
        fputs("  wait ", f);
        put_seconds(f, st->seconds);
        if (st->tag[0])
            fprintf(f, " tag=%s", st->tag);
        break;
    case STEP_ROUNDTRIP:
        put_roundtrip(f, st);
        break;
    }
    fputc('\n', f);
}

/* ------------------------------------------------------------ the opening handshake */

/* In a `role server` case the same edits make wsspec's own response: the line and raw
 * edits are spelled status-line and response-raw, the writing response-write. */
static void put_edit(FILE *f, const struct request_edit *e, bool response)
{
    switch (e->kind) {
    case EDIT_LINE:
        fputs(response ? "  status-line " : "  request-line ", f);
        break;
    case EDIT_DROP:
        fprintf(f, "  header-drop %s\n", e->name);
        return;
    case EDIT_SET:
        fprintf(f, "  header-set %s ", e->name);
        break;
    case EDIT_ADD:
        fputs("  header-add ", f);
        break;
    case EDIT_RAW:
        fputs(response ? "  response-raw " : "  request-raw ", f);
        break;
    }
    put_payload(f, &e->value);
    fputc('\n', f);
}

static void put_request(FILE *f, const struct case_def *c)
{
    bool response = c->role == CASE_ROLE_SERVER;
    if (c->role != CASE_ROLE_ANY)
        fprintf(f, "  role %s\n", response ? "server" : "client");
    for (size_t i = 0; i < c->request.n_edits; i++)
        put_edit(f, &c->request.edits[i], response);
    if (c->request.never)
        fputs("  response-write never\n", f);
    else if (c->request.chop || c->request.gap > 0) {
        fputs(response ? "  response-write" : "  request-write", f);
        if (c->request.chop)
            fprintf(f, " chop=%u", c->request.chop);
        if (c->request.gap > 0) {
            fputs(" gap=", f);
            put_seconds(f, c->request.gap);
        }
        fputc('\n', f);
    }
    if (c->deflate_offer) {
        fputs("  deflate-offer ", f);
        put_quoted(f, (const uint8_t *)c->deflate_offer, strlen(c->deflate_offer));
        fputc('\n', f);
    }
    if (c->response_timeout > 0) {
        fputs("  response-timeout ", f);
        put_seconds(f, c->response_timeout);
        fputc('\n', f);
    }
}

static const char *const level_names[] = {"MUST", "SHOULD", "MAY"};

static void put_statuses(FILE *f, const struct status_set *s)
{
    const char *sep = "";
    for (uint8_t i = 0; i < s->n_codes; i++, sep = ",")
        fprintf(f, "%s%u", sep, s->codes[i]);
    for (unsigned k = 0; k < 8; k++)
        if (s->classes >> k & 1u) {
            fprintf(f, "%s%uxx", sep, k);
            sep = ",";
        }
    if (s->none) {
        fprintf(f, "%snone", sep);
        sep = ",";
    }
    if (s->closed)
        fprintf(f, "%sclosed", sep);
}

static void put_header_check(FILE *f, const struct response_check *ck)
{
    static const char *const tests[] = {"present", "absent", "once", "=", "has", "lacks"};
    fprintf(f, " %s %s", ck->name, tests[ck->test]);
    if (ck->test == HT_EQUAL || ck->test == HT_HAS || ck->test == HT_LACKS) {
        fputc(' ', f);
        put_quoted(f, (const uint8_t *)ck->value, strlen(ck->value));
    }
}

static void put_check(FILE *f, const struct response_check *ck)
{
    fputs("  response ", f);
    if (ck->policy)
        fputs("policy", f);
    else {
        if (ck->doc && ck->doc != RFC_DEFAULT)
            fprintf(f, "RFC%u ", ck->doc);
        fprintf(f, "%s %s", ck->section, level_names[ck->level]);
    }
    if (ck->conditional) {
        fputs(" if ", f);
        put_statuses(f, &ck->when);
    }
    fprintf(f, " %s", case_vocab_checks[ck->kind].name);
    if (ck->kind == CK_STATUS) {
        fputc(' ', f);
        put_statuses(f, &ck->status);
    } else if (ck->kind == CK_HEADER) {
        put_header_check(f, ck);
    }
    fputc('\n', f);
}

/* ------------------------------------------------------------ describing, judging */

static void put_rfc(FILE *f, const struct rfc_ref *r)
{
    fputs("  rfc ", f);
    if (r->doc && r->doc != RFC_DEFAULT)
        fprintf(f, "RFC%u ", r->doc);
    fprintf(f, "%s %s ", r->section, level_names[r->level]);
    put_quoted(f, (const uint8_t *)r->sentence, strlen(r->sentence));
    fputc('\n', f);
}

static void put_events(FILE *f, const char *what, const struct event_list *el)
{
    if (!el->present)
        return;
    fprintf(f, "  expect %s", what);
    for (size_t i = 0; i < el->n; i++) {
        const struct event *e = &el->events[i];
        fputs(i ? ", " : " ", f);
        if (e->type == EV_TIMEOUT) {
            fprintf(f, "timeout %s", e->tag);
            continue;
        }
        if (e->type == EV_MESSAGE)
            fprintf(f, "message %s ", e->binary ? "binary" : "text");
        else
            fputs("pong ", f);
        put_payload(f, &e->payload);
    }
    fputc('\n', f);
}

static void put_judging(FILE *f, const struct case_def *c)
{
    if (c->judge == JUDGE_INFORMATIONAL)
        fputs("  informational\n", f);
    put_events(f, "OK", &c->ok);
    put_events(f, "NON-STRICT", &c->non_strict);
    if (c->judge == JUDGE_REFUSAL)
        fprintf(f, "  expect refusal %s\n", c->refusal_http ? "http" : "fail");
    if (c->judge == JUDGE_SIZE && c->size_content)
        fprintf(f, "  expect echo count=%u\n", c->size_count);
    else if (c->judge == JUDGE_SIZE)
        fprintf(f, "  expect size %s %llu count=%u\n", c->size_binary ? "binary" : "text",
                (unsigned long long)c->size_len, c->size_count);
    if (c->pongs_may_coalesce)
        fputs("  pongs-may-coalesce\n", f);
}

/* close-rule is written for a case that opens a connection (one that ends with the
 * response, or is judged by the client's refusal, has none: the reader refuses it
 * there). */
static void put_close_rule(FILE *f, const struct case_def *c)
{
    const struct close_rule *r = &c->close;
    if (c->ends_at_response || c->judge == JUDGE_REFUSAL)
        return;
    fprintf(f, "  close-rule %s ", r->closed_by_me ? "tester" : "target");
    if (r->n_codes == 0)
        fputs("none", f);
    for (size_t i = 0; i < r->n_codes; i++)
        fprintf(f, "%s%u", i ? "," : "", r->codes[i]);
    if (r->require_clean)
        fputs(" clean", f);
    if (r->wrong_closer_fatal)
        fputs(" wrong-closer-fatal", f);
    if (r->wrong_code_fails)
        fputs(" wrong-code-fails", f);
    fputc('\n', f);
}

static void put_timers(FILE *f, const struct case_def *c)
{
    if (c->kill_after > 0) {
        fputs("  kill-after ", f);
        put_seconds(f, c->kill_after);
        fputc('\n', f);
    }
    if (c->close_after > 0) {
        fputs("  close-after ", f);
        put_seconds(f, c->close_after);
        fputc('\n', f);
    }
    if (c->suppress_close)
        fputs("  suppress-close\n", f);
}

int case_print(FILE *f, const struct case_def *c, const char *id)
{
    fprintf(f, "case %s\n", id ? id : c->id);
    fprintf(f, "  title %s\n", c->title);
    fprintf(f, "  expectation %s\n", c->expectation);
    for (size_t i = 0; i < c->n_rfc; i++)
        put_rfc(f, &c->rfc[i]);
    if (c->note)
        fprintf(f, "  note %s\n", c->note);
    if (c->has_policy)
        fprintf(f, "  policy %s\n", case_vocab_policies[c->policy].name);
    put_request(f, c);
    for (size_t i = 0; i < c->n_checks; i++)
        put_check(f, &c->checks[i]);
    put_timers(f, c);
    for (size_t i = 0; i < c->n_steps; i++)
        put_step(f, &c->steps[i]);
    put_judging(f, c);
    put_close_rule(f, c);
    fputs("end\n", f);
    return ferror(f) ? -1 : 0;
}

char *case_print_string(const struct case_def *c, const char *id)
{
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    if (!f)
        return NULL;
    int rc = case_print(f, c, id);
    if (fclose(f) != 0 || rc != 0) {
        free(s);
        return NULL;
    }
    return s;
}

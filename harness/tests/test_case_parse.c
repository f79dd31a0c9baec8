/*
 * test_case_parse.c - unit tests for the case-file reader and lint (case_parse.c and
 * the files beside it, see case_parse_int.h) and the catalogue commands (case_lint.c):
 * every directive and option lands in the right field of case.h; payload expressions,
 * payload_copy and payload_equal agree with an expanded reference at every offset;
 * templates and tables substitute and name the right lines; each lint error class
 * gives exactly one "FILE:LINE: message"; ids are unique across files and ordered
 * numerically; and truncated or mutated files never crash or leak (run under
 * ASan+UBSan by `make unit-san`).
 *
 * Case texts are written inline: a base of required directives (BASE) plus the lines
 * under test, so each test shows exactly what it feeds the parser.
 */
#define _DEFAULT_SOURCE /* mkdtemp, setenv, open_memstream */

#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "case.h"
#include "case_lint.h"
#include "case_vocab.h"
#include "testdata.h"

/* ---------------------------------------------------------------------------------
 * Helpers.
 */

#define DIAGS_MAX 256

struct diags {
    char msg[DIAGS_MAX][512];
    size_t n;
};

static void collect(void *ud, const char *msg)
{
    struct diags *d = ud;
    assert_non_null(msg);
    assert_null(strchr(msg, '\n')); /* one line each */
    if (d->n < DIAGS_MAX)
        snprintf(d->msg[d->n], sizeof d->msg[0], "%s", msg);
    d->n++;
}

static size_t parse(struct case_catalogue *cat, const char *name, const char *text, struct diags *d)
{
    return case_parse_buffer(cat, name, text, strlen(text), collect, d);
}

/* The directives every case needs; lines 2-5 of a case that starts on line 1. */
#define BASE                                                                                       \
    "  title T\n"                                                                                  \
    "  expectation E\n"                                                                            \
    "  rfc 5.2 MUST \"S\"\n"                                                                       \
    "  close-rule me 1000 clean\n"

/* One case "1.1" made of BASE + body (+ "expect OK" unless the body has its own
 * judging), parsed without errors. */
static const struct case_def *one_case(struct case_catalogue *cat, const char *body)
{
    char text[8192];
    bool judged = strstr(body, "expect ") || strstr(body, "informational");
    snprintf(text, sizeof text, "case 1.1\n" BASE "%s%send\n", body, judged ? "" : "  expect OK\n");
    struct diags d = {0};
    memset(cat, 0, sizeof *cat);
    size_t errors = parse(cat, "t.wsc", text, &d);
    if (errors || d.n)
        fail_msg("unexpected diagnostic: %s", d.n ? d.msg[0] : "(none)");
    assert_int_equal(cat->n_cases, 1);
    return &cat->cases[0];
}

/* The bytes of a payload, expanded (test side only). */
static uint8_t *expand(const struct payload *p)
{
    assert_true(p->len < (1u << 24));
    uint8_t *b = malloc((size_t)p->len + 1);
    assert_non_null(b);
    payload_copy(p, 0, b, (size_t)p->len);
    return b;
}

static void assert_payload(const struct payload *p, const void *bytes, size_t len)
{
    assert_int_equal(p->len, len);
    uint8_t *b = expand(p);
    assert_memory_equal(b, bytes, len);
    assert_true(payload_equal(p, bytes, len));
    free(b);
}

/* ---------------------------------------------------------------------------------
 * Describing and timers.
 */

static void test_describing(void **state)
{
    (void)state;
    struct case_catalogue cat;
    struct diags d = {0};
    memset(&cat, 0, sizeof cat);
    const char *text = "# a comment\n"
                       "\n"
                       "section 1 Framing\n"
                       "section 1.1 Text Messages\n"
                       "case 1.1.2\n"
                       "  title        Send text message with payload of length 125.  \n"
                       "  expectation  Receive echo'ed text message.\n"
                       "  note first part\n"
                       "  note second part\n"
                       "  rfc 5.6 MUST \"Data frames are \\\"identified\\\".\"\n"
                       "  rfc 10.7 SHOULD \"tab\\there\"\n"
                       "  rfc 1.3 MAY one-word\n"
                       "  kill-after   1\n"
                       "  close-after  0.5\n"
                       "  suppress-close\n"
                       "    # indented comment\n"
                       "  expect OK\n"
                       "  close-rule   me 1000 clean\n"
                       "end\r\n";
    assert_int_equal(parse(&cat, "cases/x.wsc", text, &d), 0);
    assert_int_equal(d.n, 0);
    assert_int_equal(cat.n_cases, 1);
    const struct case_def *c = &cat.cases[0];
    assert_string_equal(c->id, "1.1.2");
    assert_string_equal(c->title, "Send text message with payload of length 125.");
    assert_string_equal(c->expectation, "Receive echo'ed text message.");
    assert_string_equal(c->note, "first part second part");
    assert_int_equal(c->n_rfc, 3);
    assert_string_equal(c->rfc[0].section, "5.6");
    assert_int_equal(c->rfc[0].level, RFC_MUST);
    assert_string_equal(c->rfc[0].sentence, "Data frames are \"identified\".");
    assert_string_equal(c->rfc[1].section, "10.7");
    assert_int_equal(c->rfc[1].level, RFC_SHOULD);
    assert_string_equal(c->rfc[1].sentence, "tab\there");
    assert_int_equal(c->rfc[2].level, RFC_MAY);
    assert_string_equal(c->rfc[2].sentence, "one-word");
    assert_true(c->kill_after == 1.0);
    assert_true(c->close_after == 0.5);
    assert_true(c->suppress_close);
    assert_int_equal(c->judge, JUDGE_EVENTS);
    assert_true(c->ok.present);
    assert_int_equal(c->ok.n, 0);
    assert_false(c->non_strict.present);
    assert_string_equal(c->file, "cases/x.wsc");
    assert_ptr_equal(c->file, cat.files[0]);
    assert_int_equal(c->line, 5);
    assert_int_equal(cat.n_files, 1);
    assert_int_equal(cat.n_sections, 2);
    assert_string_equal(cat.sections[0].id, "1");
    assert_string_equal(cat.sections[0].title, "Framing");
    assert_string_equal(cat.sections[1].id, "1.1");
    assert_string_equal(cat.sections[1].title, "Text Messages");
    assert_null(cat.cases[0].steps);
    case_catalogue_free(&cat);
    assert_int_equal(cat.n_cases, 0);
    assert_null(cat.cases);
}

static void test_defaults(void **state)
{
    (void)state;
    struct case_catalogue cat;
    const struct case_def *c = one_case(&cat, "");
    assert_null(c->note);
    assert_true(c->kill_after == 0);
    assert_true(c->close_after == 0);
    assert_false(c->suppress_close);
    assert_int_equal(c->n_steps, 0);
    assert_true(c->close.closed_by_me);
    assert_int_equal(c->close.n_codes, 1);
    assert_int_equal(c->close.codes[0], 1000);
    assert_true(c->close.require_clean);
    assert_false(c->close.wrong_closer_fatal);
    assert_false(c->close.wrong_code_fails);
    case_catalogue_free(&cat);
}

/* ---------------------------------------------------------------------------------
 * Steps.
 */

static void test_send_frame_defaults_and_opcodes(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint8_t op;
    } ops[] = {{"cont", 0},  {"text", 1}, {"binary", 2}, {"close", 8}, {"ping", 9},
               {"pong", 10}, {"0", 0},    {"3", 3},      {"11", 11},   {"15", 15}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        char body[128];
        snprintf(body, sizeof body, "  send frame %s \"ab\"\n", ops[i].name);
        struct case_catalogue cat;
        const struct case_def *c = one_case(&cat, body);
        assert_int_equal(c->n_steps, 1);
        const struct step *s = &c->steps[0];
        assert_int_equal(s->type, STEP_FRAME);
        assert_int_equal(s->opcode, ops[i].op);
        assert_true(s->fin);
        assert_int_equal(s->rsv, 0);
        assert_int_equal(s->mask, MASK_DEFAULT);
        assert_int_equal(s->len_form, WS_LEN_MINIMAL);
        assert_false(s->len_override);
        assert_int_equal(s->chop, 0);
        assert_false(s->sync);
        assert_int_equal(s->line, 6);
        assert_payload(&s->payload, "ab", 2);
        case_catalogue_free(&cat);
    }
}

static void test_send_frame_options(void **state)
{
    (void)state;
    struct case_catalogue cat;
    const struct case_def *c = one_case(
        &cat, "  send frame text fin=0 rsv=5 mask=none form=16 len=300 chop=7 sync 0x0102\n"
              "  send frame 4 \"x\" mask=0A0b0C0d form=7 len=127\n"
              "  send frame binary mask=0xdeadBEEF form=64 \"\"\n"
              "  send frame ping mask=random rsv=7 fin=1 repeat(125, 0xfe)\n");
    assert_int_equal(c->n_steps, 4);
    const struct step *s = &c->steps[0];
    assert_int_equal(s->opcode, WS_OP_TEXT);
    assert_false(s->fin);
    assert_int_equal(s->rsv, 5);
    assert_int_equal(s->mask, MASK_NONE);
    assert_int_equal(s->len_form, WS_LEN_16);
    assert_true(s->len_override);
    assert_int_equal(s->declared_len, 300);
    assert_int_equal(s->chop, 7);
    assert_true(s->sync);
    assert_payload(&s->payload, "\x01\x02", 2);

    s = &c->steps[1];
    assert_int_equal(s->opcode, 4);
    assert_int_equal(s->mask, MASK_FIXED);
    assert_memory_equal(s->mask_key, "\x0a\x0b\x0c\x0d", 4);
    assert_int_equal(s->len_form, WS_LEN_7);
    assert_int_equal(s->declared_len, 127);

    s = &c->steps[2];
    assert_int_equal(s->mask, MASK_FIXED);
    assert_memory_equal(s->mask_key, "\xde\xad\xbe\xef", 4);
    assert_int_equal(s->len_form, WS_LEN_64);
    assert_int_equal(s->payload.len, 0);
    assert_int_equal(s->payload.n_segs, 0);

    s = &c->steps[3];
    assert_int_equal(s->mask, MASK_RANDOM);
    assert_int_equal(s->rsv, 7);
    assert_true(s->fin);
    assert_int_equal(s->payload.len, 125);
    case_catalogue_free(&cat);
}

static void test_send_message_begin_payload_raw(void **state)
{
    (void)state;
    struct case_catalogue cat;
    const struct case_def *c =
        one_case(&cat, "  send message text fragment=1300 repeat(65536, \"*\")\n"
                       "  send message binary chop=3 sync rsv=4 0xff\n"
                       "  send begin text fin=0 len=21 chop=2\n"
                       "  send payload 0xcebae1bdb9cf83cebcceb5\n"
                       "  wait 1 tag=A\n"
                       "  send payload 0xf4908080 chop=1\n"
                       "  send raw 0x8100 chop=1\n"
                       "  send raw \"\"\n");
    assert_int_equal(c->n_steps, 8);
    const struct step *s = &c->steps[0];
    assert_int_equal(s->type, STEP_MESSAGE);
    assert_int_equal(s->opcode, WS_OP_TEXT);
    assert_int_equal(s->fragment, 1300);
    assert_int_equal(s->payload.len, 65536);
    assert_int_equal(s->payload.n_segs, 1);
    assert_int_equal(s->payload.segs[0].pat_len, 1);

    s = &c->steps[1];
    assert_int_equal(s->type, STEP_MESSAGE);
    assert_int_equal(s->opcode, WS_OP_BINARY);
    assert_int_equal(s->fragment, 0);
    assert_int_equal(s->chop, 3);
    assert_true(s->sync);
    assert_int_equal(s->rsv, 4);

    s = &c->steps[2];
    assert_int_equal(s->type, STEP_BEGIN);
    assert_int_equal(s->opcode, WS_OP_TEXT);
    assert_false(s->fin);
    assert_true(s->len_override);
    assert_int_equal(s->declared_len, 21);
    assert_int_equal(s->chop, 2);
    assert_int_equal(s->payload.len, 0);

    s = &c->steps[3];
    assert_int_equal(s->type, STEP_PAYLOAD);
    assert_payload(&s->payload, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 11);
    assert_int_equal(c->steps[4].type, STEP_WAIT);
    s = &c->steps[5];
    assert_int_equal(s->type, STEP_PAYLOAD);
    assert_int_equal(s->chop, 1);
    s = &c->steps[6];
    assert_int_equal(s->type, STEP_RAW);
    assert_int_equal(s->chop, 1);
    assert_payload(&s->payload, "\x81\x00", 2);
    assert_int_equal(c->steps[7].type, STEP_RAW);
    assert_int_equal(c->steps[7].payload.len, 0);
    case_catalogue_free(&cat);
}

static void test_send_close(void **state)
{
    (void)state;
    struct case_catalogue cat;
    const struct case_def *c =
        one_case(&cat, "  send close\n"
                       "  send close code=1000\n"
                       "  send close code=0 reason=\"Hello World!\"\n"
                       "  send close payload=0x03e8 + repeat(124, \"*\")\n"
                       "  send close code=65535 reason=repeat(123, \"*\")\n");
    assert_int_equal(c->n_steps, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(c->steps[i].type, STEP_CLOSE);
        assert_int_equal(c->steps[i].opcode, WS_OP_CLOSE);
        assert_true(c->steps[i].fin);
    }
    assert_false(c->steps[0].close_has_code);
    assert_false(c->steps[0].close_raw);
    assert_int_equal(c->steps[0].payload.len, 0);
    assert_true(c->steps[1].close_has_code);
    assert_int_equal(c->steps[1].close_code, 1000);
    assert_int_equal(c->steps[1].payload.len, 0);
    assert_int_equal(c->steps[2].close_code, 0);
    assert_payload(&c->steps[2].payload, "Hello World!", 12);
    assert_true(c->steps[3].close_raw);
    assert_false(c->steps[3].close_has_code);
    assert_int_equal(c->steps[3].payload.len, 126);
    assert_int_equal(c->steps[3].payload.n_segs, 2);
    assert_int_equal(c->steps[4].close_code, 65535);
    assert_int_equal(c->steps[4].payload.len, 123);
    case_catalogue_free(&cat);
}

static void test_wait_roundtrip_size(void **state)
{
    (void)state;
    struct case_catalogue cat;
    const struct case_def *c = one_case(&cat, "  wait 0.25\n"
                                              "  wait 1000 tag=timeout_B-2\n"
                                              "  roundtrip binary repeat(16, 0xfe) count=1000\n"
                                              "  roundtrip text \"\" count=1\n"
                                              "  expect size binary 16 count=1000\n");
    assert_int_equal(c->n_steps, 4);
    assert_int_equal(c->steps[0].type, STEP_WAIT);
    assert_true(c->steps[0].seconds == 0.25);
    assert_string_equal(c->steps[0].tag, "");
    assert_true(c->steps[1].seconds == 1000);
    assert_string_equal(c->steps[1].tag, "timeout_B-2");
    assert_int_equal(c->steps[2].type, STEP_ROUNDTRIP);
    assert_int_equal(c->steps[2].opcode, WS_OP_BINARY);
    assert_int_equal(c->steps[2].count, 1000);
    assert_int_equal(c->steps[2].payload.len, 16);
    assert_int_equal(c->steps[3].opcode, WS_OP_TEXT);
    assert_int_equal(c->steps[3].count, 1);
    assert_int_equal(c->judge, JUDGE_SIZE);
    assert_true(c->size_binary);
    assert_int_equal(c->size_len, 16);
    assert_int_equal(c->size_count, 1000);
    assert_false(c->ok.present);
    case_catalogue_free(&cat);

    c = one_case(&cat, "  send frame text repeat(65536, \"BAsd7&jh23\")\n"
                       "  expect size text 65536\n");
    assert_int_equal(c->judge, JUDGE_SIZE);
    assert_false(c->size_binary);
    assert_int_equal(c->size_len, 65536);
    assert_int_equal(c->size_count, 1);
    case_catalogue_free(&cat);
}

static void expect_one_error(const char *text, int line, const char *want);

/* Compression: deflate-offer, roundtrip data= slice= fragment=, expect echo - and each
 * of their errors at its line. */
static void test_compression_vocabulary(void **state)
{
    (void)state;
    struct case_catalogue cat;
    const struct case_def *c =
        one_case(&cat, "  deflate-offer \"permessage-deflate; client_max_window_bits\"\n"
                       "  roundtrip text data=json slice=16 count=1000 fragment=256\n"
                       "  roundtrip binary data=packed slice=4096 count=2 fragment=0\n"
                       "  expect echo count=1002\n");
    assert_string_equal(c->deflate_offer, "permessage-deflate; client_max_window_bits");
    assert_int_equal(c->n_steps, 2);
    assert_int_equal(c->steps[0].type, STEP_ROUNDTRIP);
    assert_int_equal(c->steps[0].data, TESTDATA_JSON + 1);
    assert_int_equal(c->steps[0].slice, 16);
    assert_int_equal(c->steps[0].fragment, 256);
    assert_int_equal(c->steps[0].payload.len, 0);
    assert_int_equal(c->steps[1].data, TESTDATA_PACKED + 1);
    assert_int_equal(c->steps[1].fragment, 0);
    assert_int_equal(c->judge, JUDGE_SIZE);
    assert_true(c->size_content);
    assert_false(c->size_binary); /* the first roundtrip's type */
    assert_int_equal(c->size_count, 1002);
    case_catalogue_free(&cat);

    /* a payload roundtrip judged by content */
    c = one_case(&cat, "  roundtrip binary \"abc\" count=3\n  expect echo count=3\n");
    assert_true(c->size_content);
    assert_true(c->size_binary);
    assert_int_equal(c->steps[0].data, 0);
    case_catalogue_free(&cat);

#define COMP_CASE(body) "case 1.1\n" BASE "  roundtrip text \"x\" count=1\n" body "end\n"
    expect_one_error(COMP_CASE("  roundtrip text data=nope slice=1 count=1\n  expect echo\n"), 7,
                     "bad value 'nope' for data=");
    expect_one_error(COMP_CASE("  roundtrip text data=json count=1\n  expect echo\n"), 7,
                     "data= and slice= go together");
    expect_one_error(COMP_CASE("  roundtrip text data=bitmap slice=4 count=1\n  expect echo\n"), 7,
                     "data=bitmap is not UTF-8 text");
    expect_one_error(COMP_CASE("  roundtrip text count=1\n  expect echo\n"), 7, "needs a payload");
    expect_one_error(COMP_CASE("  roundtrip text data=json slice=0 count=1\n  expect echo\n"), 7,
                     "bad value '0' for slice=");
    expect_one_error(COMP_CASE("  expect echo\n  expect size text 1\n"), 8,
                     "duplicate 'expect size");
    expect_one_error(COMP_CASE("  deflate-offer \"\"\n  expect echo\n"), 7,
                     "'deflate-offer' needs");
    expect_one_error(COMP_CASE("  deflate-offer \"a\\r\\nb\"\n  expect echo\n"), 7,
                     "must be one line of text");
    expect_one_error(COMP_CASE("  deflate-offer \"a\" b\n  expect echo\n"), 7, "");
    expect_one_error("case 1.1\n" BASE "  expect echo\n  send frame text \"x\"\nend\n", 1,
                     "has 'expect echo' but no 'roundtrip'");
#undef COMP_CASE
}

/* ---------------------------------------------------------------------------------
 * Judging.
 */

static void test_expect_lists(void **state)
{
    (void)state;
    struct case_catalogue cat;
    const struct case_def *c = one_case(
        &cat, "  wait 1 tag=A\n"
              "  wait 1 tag=B\n"
              "  expect OK message text \"a, b\", message binary 0x00ff,pong \"\" , timeout A\n"
              "  expect NON-STRICT timeout A, timeout B\n");
    assert_true(c->ok.present);
    assert_int_equal(c->ok.n, 4);
    assert_int_equal(c->ok.events[0].type, EV_MESSAGE);
    assert_false(c->ok.events[0].binary);
    assert_payload(&c->ok.events[0].payload, "a, b", 4);
    assert_int_equal(c->ok.events[1].type, EV_MESSAGE);
    assert_true(c->ok.events[1].binary);
    assert_payload(&c->ok.events[1].payload, "\x00\xff", 2);
    assert_int_equal(c->ok.events[2].type, EV_PONG);
    assert_int_equal(c->ok.events[2].payload.len, 0);
    assert_int_equal(c->ok.events[3].type, EV_TIMEOUT);
    assert_string_equal(c->ok.events[3].tag, "A");
    assert_true(c->non_strict.present);
    assert_int_equal(c->non_strict.n, 2);
    assert_string_equal(c->non_strict.events[1].tag, "B");
    case_catalogue_free(&cat);

    c = one_case(&cat, "  expect OK\n  expect NON-STRICT\n");
    assert_true(c->ok.present);
    assert_true(c->non_strict.present);
    assert_int_equal(c->ok.n + c->non_strict.n, 0);
    case_catalogue_free(&cat);
}

static void test_informational(void **state)
{
    (void)state;
    struct case_catalogue cat;
    const struct case_def *c = one_case(&cat, "  informational\n");
    assert_int_equal(c->judge, JUDGE_INFORMATIONAL);
    assert_false(c->ok.present);
    case_catalogue_free(&cat);
    c = one_case(&cat, "  informational\n"
                       "  expect OK message text \"Hello World!\"\n"
                       "  expect NON-STRICT\n");
    assert_int_equal(c->judge, JUDGE_INFORMATIONAL);
    assert_int_equal(c->ok.n, 1);
    assert_true(c->non_strict.present);
    case_catalogue_free(&cat);
}

static void test_close_rules(void **state)
{
    (void)state;
    static const struct {
        const char *rule;
        bool me;
        size_t n;
        uint16_t codes[3];
        bool clean, fatal, code_fails;
    } rules[] = {
        {"peer 1002", false, 1, {1002}, false, false, false},
        {"peer 1007 wrong-closer-fatal", false, 1, {1007}, false, true, false},
        {"me 1000,1002 , 65535 wrong-code-fails", true, 3, {1000, 1002, 65535}, false, false, true},
        {"me none", true, 0, {0}, false, false, false},
        {"peer none clean wrong-code-fails wrong-closer-fatal", false, 0, {0}, true, true, true},
        {"me 0", true, 1, {0}, false, false, false},
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "case 3.1\n  title T\n  expectation E\n  rfc 5.2 MUST \"S\"\n  expect OK\n"
                 "  close-rule %s\nend\n",
                 rules[i].rule);
        struct case_catalogue cat;
        struct diags d = {0};
        memset(&cat, 0, sizeof cat);
        assert_int_equal(parse(&cat, "t.wsc", text, &d), 0);
        assert_int_equal(cat.n_cases, 1);
        const struct close_rule *r = &cat.cases[0].close;
        assert_int_equal(r->closed_by_me, rules[i].me);
        assert_int_equal(r->n_codes, rules[i].n);
        for (size_t k = 0; k < rules[i].n; k++)
            assert_int_equal(r->codes[k], rules[i].codes[k]);
        assert_int_equal(r->require_clean, rules[i].clean);
        assert_int_equal(r->wrong_closer_fatal, rules[i].fatal);
        assert_int_equal(r->wrong_code_fails, rules[i].code_fails);
        case_catalogue_free(&cat);
    }
}

/* A one-case text with this close-rule (line 6): the errors, and the rule when the
 * case parsed. */
static size_t parse_close_rule(const char *rule, struct close_rule *out, struct diags *d)
{
    char text[512];
    snprintf(text, sizeof text,
             "case 3.1\n  title T\n  expectation E\n  rfc 5.2 MUST \"S\"\n  expect OK\n"
             "  close-rule %s\nend\n",
             rule);
    struct case_catalogue cat;
    memset(&cat, 0, sizeof cat);
    memset(out, 0, sizeof *out);
    size_t errors = parse(&cat, "t.wsc", text, d);
    if (cat.n_cases == 1)
        *out = cat.cases[0].close;
    case_catalogue_free(&cat);
    return errors;
}

/* `tester` and `target` name the two sides; `me` and `peer`, the first spelling, are
 * aliases that parse to exactly the same rule. */
static void test_close_rule_aliases(void **state)
{
    (void)state;
    static const struct {
        const char *side, *alias;
        bool by_tester;
    } sides[] = {{"tester", "me", true}, {"target", "peer", false}};
    static const char *const rests[] = {"1000 clean", "none", "1002,1007 wrong-closer-fatal",
                                        "1000 clean wrong-code-fails",
                                        "65535, 0 clean wrong-closer-fatal wrong-code-fails"};
    for (size_t s = 0; s < 2; s++)
        for (size_t i = 0; i < sizeof rests / sizeof rests[0]; i++) {
            char a[128], b[128];
            snprintf(a, sizeof a, "%s %s", sides[s].side, rests[i]);
            snprintf(b, sizeof b, "%s %s", sides[s].alias, rests[i]);
            struct close_rule x, y;
            struct diags d = {0};
            assert_int_equal(parse_close_rule(a, &x, &d), 0);
            assert_int_equal(parse_close_rule(b, &y, &d), 0);
            assert_int_equal(x.closed_by_me, sides[s].by_tester);
            assert_int_equal(y.closed_by_me, x.closed_by_me);
            assert_int_equal(y.n_codes, x.n_codes);
            assert_memory_equal(y.codes, x.codes, sizeof x.codes);
            assert_int_equal(y.require_clean, x.require_clean);
            assert_int_equal(y.wrong_closer_fatal, x.wrong_closer_fatal);
            assert_int_equal(y.wrong_code_fails, x.wrong_code_fails);
        }
    /* the sides are whole words, in lower case */
    static const char *const bad[] = {"test 1000", "Tester 1000", "targets none", "mee none"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct close_rule r;
        struct diags d = {0};
        assert_int_equal(parse_close_rule(bad[i], &r, &d), 1);
        assert_non_null(strstr(d.msg[0], "t.wsc:6: close-rule needs 'tester' or 'target'"));
    }
}

/* ---------------------------------------------------------------------------------
 * Payloads.
 */

static void test_payload_expressions(void **state)
{
    (void)state;
    static const struct {
        const char *expr;
        const char *bytes;
        size_t len;
    } exprs[] = {
        {"\"Hello\"", "Hello", 5},
        {"\"\"", "", 0},
        {"0x", "", 0},
        {"0x48656C6c6f", "Hello", 5},
        {"\"\\\\\\\"\\n\\r\\t\\x00\\xCE\\xba\"", "\\\"\n\r\t\x00\xce\xba", 8},
        {"repeat(4, 0xfe)", "\xfe\xfe\xfe\xfe", 4},
        {"repeat(5, \"ab\")", "ababa", 5},
        {"repeat(0, \"ab\")", "", 0},
        {"repeat( 3 , \"xyz\" )", "xyz", 3},
        {"repeat(2, \"xyz\")", "xy", 2},
        {"0x03e8 + repeat(4, \"*\")", "\x03\xe8****", 6},
        {"\"a\"+\"b\" +0x63+ repeat(2,\"d\")", "abcdd", 5},
        {"repeat(7, repeat(2, \"x\") + \"y\")", "xxyxxyx", 7},
        {"repeat(5, repeat(3, repeat(2, \"ab\")))", "abaab", 5},
        {"\"# not a comment\"", "# not a comment", 15},
    };
    for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
        char body[256];
        snprintf(body, sizeof body, "  send raw %s\n  expect OK pong %s\n", exprs[i].expr,
                 exprs[i].expr);
        struct case_catalogue cat;
        const struct case_def *c = one_case(&cat, body);
        assert_payload(&c->steps[0].payload, exprs[i].bytes, exprs[i].len);
        assert_payload(&c->ok.events[0].payload, exprs[i].bytes, exprs[i].len);
        for (size_t k = 0; k < c->steps[0].payload.n_segs; k++)
            assert_true(c->steps[0].payload.segs[k].pat_len > 0);
        case_catalogue_free(&cat);
    }
}

/* payload_copy at every offset and length against the expanded bytes; payload_equal
 * against the reference and against every one-byte change and every length change. */
static void test_payload_copy_equal_everywhere(void **state)
{
    (void)state;
    struct case_catalogue cat;
    const struct case_def *c = one_case(
        &cat, "  send raw \"ab\" + repeat(7, \"xyz\") + 0x00 + repeat(3, 0x0102030405) + \"Q\"\n");
    const struct payload *p = &c->steps[0].payload;
    const uint8_t ref[] = "abxyzxyzx\x00\x01\x02\x03Q";
    const size_t len = sizeof ref - 1;
    assert_int_equal(p->len, len);
    assert_int_equal(p->n_segs, 5);
    uint8_t out[32];
    for (size_t off = 0; off <= len; off++)
        for (size_t n = 0; off + n <= len; n++) {
            memset(out, 0xAA, sizeof out);
            payload_copy(p, off, out, n);
            assert_memory_equal(out, ref + off, n);
            assert_int_equal(out[n], 0xAA); /* nothing written past n */
        }
    assert_true(payload_equal(p, ref, len));
    uint8_t mut[sizeof ref];
    for (size_t i = 0; i < len; i++) {
        memcpy(mut, ref, len);
        mut[i] ^= 0x20;
        assert_false(payload_equal(p, mut, len));
    }
    for (size_t n = 0; n < len; n++)
        assert_false(payload_equal(p, ref, n));
    assert_false(payload_equal(p, ref, len + 1));

    struct payload empty = {0};
    assert_true(payload_equal(&empty, NULL, 0));
    assert_false(payload_equal(&empty, ref, 1));
    assert_true(payload_equal(NULL, NULL, 0));
    payload_free(&empty);
    case_catalogue_free(&cat);
}

/* Short patterns over long runs (payload_copy doubles what it wrote, payload_equal
 * compares the data with itself one period on): random windows against a naive
 * expansion, and a change at any place of the run is seen. */
static void test_payload_repeat_windows(void **state)
{
    (void)state;
    struct th_rng rng = {42};
    static const char pats[] = "0123456789abcdefghij";
    for (size_t plen = 1; plen <= 20; plen++) {
        size_t count = 1 + (size_t)(th_rng_next(&rng) % 3000);
        char body[256];
        snprintf(body, sizeof body, "  send raw \"<\" + repeat(%zu, \"%.*s\") + \">\"\n", count,
                 (int)plen, pats);
        struct case_catalogue cat;
        const struct case_def *c = one_case(&cat, body);
        const struct payload *p = &c->steps[0].payload;
        size_t len = count + 2;
        assert_int_equal(p->len, len);
        uint8_t *ref = malloc(len), *out = malloc(len + 1);
        assert_non_null(ref);
        assert_non_null(out);
        ref[0] = '<';
        for (size_t i = 0; i < count; i++)
            ref[1 + i] = (uint8_t)pats[i % plen];
        ref[len - 1] = '>';
        for (int k = 0; k < 200; k++) {
            size_t off = (size_t)(th_rng_next(&rng) % (len + 1));
            size_t n = (size_t)(th_rng_next(&rng) % (len - off + 1));
            out[n] = 0x5a;
            payload_copy(p, off, out, n);
            assert_memory_equal(out, ref + off, n);
            assert_int_equal(out[n], 0x5a);
        }
        assert_true(payload_equal(p, ref, len));
        for (int k = 0; k < 50; k++) {
            size_t at = (size_t)(th_rng_next(&rng) % len);
            ref[at] ^= 0x40;
            assert_false(payload_equal(p, ref, len));
            ref[at] ^= 0x40;
        }
        free(ref);
        free(out);
        case_catalogue_free(&cat);
    }
}

/* A 16 MiB payload is one byte of pattern; equality is checked against a real buffer. */
static void test_payload_big_repeat(void **state)
{
    (void)state;
    struct case_catalogue cat;
    const struct case_def *c = one_case(&cat, "  send frame text repeat(16777216, \"BAsd7&jh23\")\n"
                                              "  send frame text repeat(4294967296, \"*\")\n");
    const struct payload *p = &c->steps[0].payload;
    assert_int_equal(p->len, 16777216);
    assert_int_equal(p->n_segs, 1);
    assert_int_equal(p->segs[0].pat_len, 10);
    size_t n = 16777216;
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t) "BAsd7&jh23"[i % 10];
    assert_true(payload_equal(p, buf, n));
    buf[n - 1] ^= 1;
    assert_false(payload_equal(p, buf, n));
    uint8_t tail[7], want[7];
    payload_copy(p, n - 7, tail, 7);
    for (size_t i = 0; i < 7; i++)
        want[i] = (uint8_t) "BAsd7&jh23"[(n - 7 + i) % 10];
    assert_memory_equal(tail, want, 7);
    free(buf);
    assert_int_equal(c->steps[1].payload.len, UINT64_C(4294967296));
    uint8_t last;
    payload_copy(&c->steps[1].payload, UINT64_C(4294967295), &last, 1);
    assert_int_equal(last, '*');
    case_catalogue_free(&cat);
}

/* ---------------------------------------------------------------------------------
 * Templates and tables.
 */

static const char family[] = "template echo type len pat title\n"                  /* 1 */
                             "  title {title}: {type} of {len} ({id})\n"           /* 2 */
                             "  expectation Echo.\n"                               /* 3 */
                             "  # comment in a template\n"                         /* 4 */
                             "  rfc 6.2 MUST \"S\"\n"                              /* 5 */
                             "  send frame {type} repeat({len}, 0x{pat})\n"        /* 6 */
                             "  expect OK message {type} repeat({len}, 0x{pat})\n" /* 7 */
                             "  close-rule me 1000 clean\n"                        /* 8 */
                             "end\n"                                               /* 9 */
                             "\n"                                                  /* 10 */
                             "table echo\n"                                        /* 11 */
                             "  # id  type len pat title\n"                        /* 12 */
                             "  1.1.2 text 125 2a \"Send {braces} \\x41\"\n"       /* 13 */
                             "  1.2.1 binary 0 fe Empty\n"                         /* 14 */
                             "  1.1.1 text 3 2a2b \"\"\n"                          /* 15 */
                             "end\n";

static void test_template_table(void **state)
{
    (void)state;
    struct case_catalogue cat;
    struct diags d = {0};
    memset(&cat, 0, sizeof cat);
    assert_int_equal(parse(&cat, "f.wsc", family, &d), 0);
    assert_int_equal(cat.n_cases, 3);
    /* sorted by id */
    assert_string_equal(cat.cases[0].id, "1.1.1");
    assert_string_equal(cat.cases[1].id, "1.1.2");
    assert_string_equal(cat.cases[2].id, "1.2.1");
    const struct case_def *c = &cat.cases[1];
    assert_string_equal(c->title, "Send {braces} A: text of 125 (1.1.2)");
    assert_int_equal(c->line, 13);
    assert_int_equal(c->steps[0].line, 13);
    assert_int_equal(c->steps[0].opcode, WS_OP_TEXT);
    assert_int_equal(c->steps[0].payload.len, 125);
    assert_int_equal(c->ok.events[0].payload.len, 125);
    assert_true(c->close.require_clean);
    c = &cat.cases[2];
    assert_string_equal(c->title, "Empty: binary of 0 (1.2.1)");
    assert_int_equal(c->steps[0].opcode, WS_OP_BINARY);
    assert_int_equal(c->steps[0].payload.len, 0);
    assert_int_equal(c->line, 14);
    c = &cat.cases[0];
    assert_string_equal(c->title, ": text of 3 (1.1.1)");
    assert_payload(&c->steps[0].payload, "*+*", 3);
    case_catalogue_free(&cat);
}

/* One diagnostic, at the given line, containing `want`. */
static void expect_one_error(const char *text, int line, const char *want)
{
    struct case_catalogue cat;
    struct diags d = {0};
    memset(&cat, 0, sizeof cat);
    size_t errors = parse(&cat, "t.wsc", text, &d);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "t.wsc:%d: ", line);
    if (d.n != 1 || errors != 1 || strncmp(d.msg[0], prefix, strlen(prefix)) != 0 ||
        !strstr(d.msg[0], want))
        fail_msg("input:\n%s\nwanted one error '%s...%s', got %zu (returned %zu), first: %s", text,
                 prefix, want, d.n, errors, d.n ? d.msg[0] : "(none)");
    case_catalogue_free(&cat);
}

/* A complete template of one parameter: lines 1-7. */
#define TPL_FULL                                                                                   \
    "template t a\n  title {a}\n  expectation E\n  rfc 5 MUST \"S\"\n  expect OK\n"                \
    "  close-rule me none\nend\n"

static void test_template_errors(void **state)
{
    (void)state;
    /* unknown parameter: at the template line */
    expect_one_error("template t a\n  title {a} {b}\nend\n", 2, "unknown parameter {b}");
    /* unused parameter: at the template header */
    expect_one_error("template t a b\n  title {a}\nend\n", 1,
                     "parameter 'b' of template 't' is never used");
    /* unknown template: at the table line */
    expect_one_error("table nope\n  1.1 x\nend\n", 1, "unknown template 'nope'");
    /* wrong number of values: at the row */
    expect_one_error(TPL_FULL "table t\n  1.1 x\n  1.2 x y\nend\n", 10,
                     "table row 1.2 has 2 values, template 't' takes 1");
    expect_one_error(TPL_FULL "table t\n  1.2\nend\n", 9, "has 0 values");
    expect_one_error(TPL_FULL "table t\n  1.1 x\n  1.1 y\nend\n", 10,
                     "duplicate case id 1.1 (first at t.wsc:9)");
    /* an error inside an expanded line: the row's line, and the template line */
    char text[4096];
    const char *at = strstr(family, "Empty\n");
    assert_non_null(at);
    snprintf(text, sizeof text, "%.*s\"\\xff\"%s", (int)(at - family), family, at + 5);
    expect_one_error(text, 14, "'title' is not valid UTF-8 (template 'echo' line 2)");
    struct case_catalogue cat;
    struct diags d = {0};
    memset(&cat, 0, sizeof cat);
    parse(&cat, "t.wsc", text, &d);
    assert_int_equal(cat.n_cases, 2); /* the other rows are fine */
    case_catalogue_free(&cat);
    /* a required directive missing from the template: every row, at its line */
    memset(&cat, 0, sizeof cat);
    memset(&d, 0, sizeof d);
    parse(&cat, "t.wsc",
          "template t x\n  title {x}\n  expectation E\n  rfc 5 MUST \"S\"\n  expect OK\nend\n"
          "table t\n  1.1 a\n  1.2 b\nend\n",
          &d);
    assert_int_equal(d.n, 2);
    assert_string_equal(d.msg[0], "t.wsc:8: case 1.1 has no 'close-rule' (from template 't')");
    assert_string_equal(d.msg[1], "t.wsc:9: case 1.2 has no 'close-rule' (from template 't')");
    assert_int_equal(cat.n_cases, 0);
    case_catalogue_free(&cat);
    /* structure */
    expect_one_error("template t a\n  case 1.1\n  title {a}\nend\n", 2,
                     "'case' is not allowed inside a template");
    expect_one_error("template t a\n  title {a}\n", 1, "template 't' has no 'end'");
    expect_one_error("template t id\nend\n", 1, "'id' is reserved");
    expect_one_error("template t a a\n  title {a}\nend\n", 1, "declared twice");
    expect_one_error("template t a\n  title {a}\nend\ntemplate t a\n  title {a}\nend\n", 4,
                     "already defined at line 1");
    expect_one_error("template t+ a\nend\n", 1, "bad template name 't+'");
    expect_one_error(TPL_FULL "table t\n  1.1 x\n", 8, "table has no 'end'");
    expect_one_error(TPL_FULL "table t\n  1.01 x\nend\n", 9, "bad case id '1.01' in table row");
    expect_one_error(TPL_FULL "table t\n  1.1 \"x\\x00\"\nend\n", 9,
                     "a table value put a NUL byte into the line (template 't' line 2)");
    /* rows of a template with errors are skipped, not reported again */
    memset(&cat, 0, sizeof cat);
    memset(&d, 0, sizeof d);
    parse(&cat, "t.wsc", "template t a\n  title {a} {zz}\nend\ntable t\n  1.1 x\n  1.2 y\nend\n",
          &d);
    assert_int_equal(d.n, 1);
    assert_int_equal(cat.n_cases, 0);
    case_catalogue_free(&cat);
    /* an empty value and a value with blanks */
    memset(&cat, 0, sizeof cat);
    memset(&d, 0, sizeof d);
    assert_int_equal(parse(&cat, "t.wsc", TPL_FULL "table t\n  1.1 \"two words\"\nend\n", &d), 0);
    assert_string_equal(cat.cases[0].title, "two words");
    case_catalogue_free(&cat);
    memset(&d, 0, sizeof d);
    expect_one_error(TPL_FULL "table t\n  1.1 \"\"\nend\n", 9, "'title' needs text");
}

/* ---------------------------------------------------------------------------------
 * The opening handshake (case_request.c): edits, how the request is written, the
 * response checks, and which cases end with the response.
 */

static void test_handshake_request(void **state)
{
    (void)state;
    struct case_catalogue cat;
    const struct case_def *c = one_case(&cat, "  request-line \"GET {path}?x HTTP/1.1\"\n"
                                              "  header-drop sec-websocket-key\n"
                                              "  header-set UPGRADE WebSocket\n"
                                              "  header-set Sec-WebSocket-Key \"  {key}  \"\n"
                                              "  header-add \"X-Pad: \" + repeat(100, \"a\")\n"
                                              "  header-add \" folded\"\n"
                                              "  request-write chop=1 gap=0.25\n"
                                              "  send frame text pipelined \"x\"\n"
                                              "  send raw 0x00 pipelined\n"
                                              "  send frame text \"y\"\n");
    const struct case_request *rq = &c->request;
    assert_true(rq->own);
    assert_int_equal(rq->n_edits, 6);
    assert_int_equal(rq->edits[0].kind, EDIT_LINE);
    assert_payload(&rq->edits[0].value, "GET {path}?x HTTP/1.1", 21);
    assert_int_equal(rq->edits[1].kind, EDIT_DROP);
    assert_string_equal(rq->edits[1].name, "sec-websocket-key");
    assert_int_equal(rq->edits[2].kind, EDIT_SET);
    assert_string_equal(rq->edits[2].name, "UPGRADE");
    assert_payload(&rq->edits[2].value, "WebSocket", 9); /* a bare word */
    assert_payload(&rq->edits[3].value, "  {key}  ", 9);
    assert_int_equal(rq->edits[4].kind, EDIT_ADD);
    assert_int_equal(rq->edits[4].value.len, 107);
    assert_int_equal(rq->edits[4].line, 10);
    assert_int_equal(rq->chop, 1);
    assert_true(rq->gap == 0.25);
    assert_int_equal(c->n_steps, 3);
    assert_true(c->steps[0].pipelined && c->steps[1].pipelined && !c->steps[2].pipelined);
    assert_false(c->ends_at_response);
    case_catalogue_free(&cat);

    c = one_case(&cat, "  request-raw \"GET / HTTP/1.0\\n\\n\"\n");
    assert_true(c->request.own);
    assert_int_equal(c->request.edits[0].kind, EDIT_RAW);
    case_catalogue_free(&cat);
    c = one_case(&cat, "");
    assert_false(c->request.own); /* the core's request, as in sections 1-10 */
    assert_int_equal(c->n_checks, 0);
    case_catalogue_free(&cat);
}

static void test_handshake_checks(void **state)
{
    (void)state;
    struct case_catalogue cat;
    struct diags d = {0};
    memset(&cat, 0, sizeof cat);
    const char *text =
        "case 14.1\n  title T\n  expectation E\n"
        "  rfc 4.2.1 MUST \"S\"\n  rfc RFC9112 3.2 SHOULD \"S\"\n  rfc RFC9110 5.4 MAY \"S\"\n"
        "  header-drop Host\n"
        "  response 4.2.1 MUST status 4xx,none\n"
        "  response RFC9112 3.2 SHOULD status 400\n"
        "  response 4.2.1 MUST if 4xx,426 header Sec-WebSocket-Version has 13\n"
        "  response RFC9110 5.4 MAY header Connection = \"close, x\"\n"
        "  response 4.2.1 MUST header X lacks y\n"
        "  response 4.2.1 MUST header X once\n"
        "  response 4.2.1 MUST accept\n"
        "end\n"
        "case 14.2\n  title T\n  expectation E\n  rfc 4.2.1 MUST \"S\"\n"
        "  response 4.2.1 MUST status 101,4xx\n  response 4.2.1 MUST protocol-offered\n"
        "  response 4.2.1 MUST extensions-offered\n"
        "  send message text \"x\"\n  expect OK message text \"x\"\n"
        "  close-rule tester 1000 clean\nend\n";
    assert_int_equal(parse(&cat, "t.wsc", text, &d), 0);
    assert_int_equal(cat.n_cases, 2);
    const struct case_def *c = &cat.cases[0];
    assert_true(c->ends_at_response); /* no close-rule, no expect: none is needed */
    assert_int_equal(c->rfc[1].doc, 9112);
    assert_int_equal(c->rfc[0].doc, RFC_DEFAULT);
    assert_int_equal(c->n_checks, 7);
    const struct response_check *k = c->checks;
    assert_int_equal(k[0].kind, CK_STATUS);
    assert_int_equal(k[0].doc, RFC_DEFAULT);
    assert_string_equal(k[0].section, "4.2.1");
    assert_int_equal(k[0].level, RFC_MUST);
    assert_true(k[0].status.classes == (1u << 4) && k[0].status.none && !k[0].status.n_codes);
    assert_true(status_set_has(&k[0].status, 431) && status_set_has(&k[0].status, -1));
    assert_false(status_set_has(&k[0].status, 101) || status_set_has(&k[0].status, 500));
    assert_int_equal(k[1].doc, 9112);
    assert_int_equal(k[1].level, RFC_SHOULD);
    assert_true(k[1].status.n_codes == 1 && k[1].status.codes[0] == 400);
    assert_true(k[2].conditional && k[2].kind == CK_HEADER && k[2].test == HT_HAS);
    assert_true(k[2].when.classes == (1u << 4) && k[2].when.codes[0] == 426);
    assert_string_equal(k[2].name, "Sec-WebSocket-Version");
    assert_string_equal(k[2].value, "13");
    assert_true(k[3].test == HT_EQUAL && k[3].level == RFC_MAY && k[3].doc == 9110);
    assert_string_equal(k[3].value, "close, x");
    assert_int_equal(k[4].test, HT_LACKS);
    assert_int_equal(k[5].test, HT_ONCE);
    assert_int_equal(k[6].kind, CK_ACCEPT);
    assert_int_equal(k[6].line, 14);
    c = &cat.cases[1];
    assert_false(c->ends_at_response);
    assert_int_equal(c->checks[1].kind, CK_PROTOCOL_OFFERED);
    assert_int_equal(c->checks[2].kind, CK_EXTENSIONS_OFFERED);
    case_catalogue_free(&cat);

    /* templates leave {key} {host} {path} for the request, and take no parameter of
     * those names */
    memset(&cat, 0, sizeof cat);
    memset(&d, 0, sizeof d);
    assert_int_equal(parse(&cat, "t.wsc",
                           "template t v\n  title T\n  expectation E\n  rfc 4.2.1 MUST \"S\"\n"
                           "  header-set Sec-WebSocket-Version {v}\n"
                           "  header-add \"Sec-WebSocket-Key: {key}\"\n"
                           "  response 4.2.1 MUST status 4xx\nend\n"
                           "table t\n  14.1 8\n  14.2 12\nend\n",
                           &d),
                     0);
    assert_int_equal(cat.n_cases, 2);
    assert_payload(&cat.cases[1].request.edits[0].value, "12", 2);
    assert_payload(&cat.cases[1].request.edits[1].value, "Sec-WebSocket-Key: {key}", 24);
    case_catalogue_free(&cat);
    expect_one_error("template t key\n  title {key}\nend\n", 1, "parameter name 'key' is reserved");
}

/* ---------------------------------------------------------------------------------
 * Lint: each error class gives exactly one diagnostic naming its line.
 */

struct lint_case {
    const char *body; /* lines 6.. of case 1.1 (after BASE), or a whole file if whole */
    int line;
    const char *want;
    bool whole;
};

static const struct lint_case lint_cases[] = {
    /* directives and options */
    {"  sned frame text \"x\"\n", 6, "unknown directive 'sned'", false},
    {"  send frame text bogus=1 \"x\"\n", 6, "unknown option 'bogus='", false},
    {"  send frame text fin \"x\"\n", 6, "option 'fin' needs a value", false},
    {"  send message text len=3 \"x\"\n", 6, "option 'len' is not allowed in 'send message'",
     false},
    {"  send raw \"x\" sync\n", 6, "option 'sync' is not allowed in 'send raw'", false},
    {"  send frame text fragment=2 \"x\"\n", 6, "option 'fragment' is not allowed", false},
    {"  send frame text chop=1 chop=2 \"x\"\n", 6, "option 'chop' given twice", false},
    {"  send frame text sync=1 \"x\"\n", 6, "'sync' takes no value", false},
    {"  send frame text \"x\" \"y\"\n", 6, "unexpected '\"y\"'", false},
    {"  send frame text\n", 6, "needs a payload", false},
    {"  send\n", 6, "'send' needs frame", false},
    {"  send fram text \"x\"\n", 6, "unknown send step 'fram'", false},
    {"  send frame\n", 6, "opcode missing", false},
    /* numbers in range */
    {"  send frame text rsv=8 \"x\"\n", 6, "bad value '8' for rsv=", false},
    {"  send frame 16 \"x\"\n", 6, "bad opcode '16'", false},
    {"  send frame text fin=2 \"x\"\n", 6, "bad value '2' for fin=", false},
    {"  send frame text mask=12345 \"x\"\n", 6, "bad value '12345' for mask=", false},
    {"  send frame text mask=1234567g \"x\"\n", 6, "for mask=", false},
    {"  send frame text form=8 \"x\"\n", 6, "bad value '8' for form=", false},
    {"  send frame text chop=0 \"x\"\n", 6, "bad value '0' for chop=", false},
    {"  send frame text chop=4294967296 \"x\"\n", 6, "for chop=", false},
    {"  send frame text len=-1 \"x\"\n", 6, "bad value '-1' for len=", false},
    {"  send frame text len=18446744073709551616 \"x\"\n", 6, "for len=", false},
    {"  send message text fragment=x \"x\"\n", 6, "bad value 'x' for fragment=", false},
    {"  send close code=65536\n", 6, "bad value '65536' for code=", false},
    {"  send close code=+1\n", 6, "for code=", false},
    {"  roundtrip text \"x\" count=0\n  expect size text 1\n", 6,
     "bad value '0' for count=", false},
    {"  wait 0\n", 6, "'wait' needs seconds > 0", false},
    {"  wait -1\n", 6, "'wait' needs seconds > 0", false},
    {"  wait 1e3\n", 6, "'wait' needs seconds > 0", false},
    {"  wait inf\n", 6, "'wait' needs seconds > 0", false},
    {"  wait 1.2.3\n", 6, "'wait' needs seconds > 0", false},
    {"  wait 86401\n", 6, "'wait' needs seconds > 0", false},
    {"  kill-after nan\n", 6, "'kill-after' needs seconds > 0", false},
    {"  close-after 0.0\n", 6, "'close-after' needs seconds > 0", false},
    {"  wait 1 tag=toolongtagname123\n", 6, "bad tag", false},
    {"  wait 1 tag=a,b\n", 6, "bad tag", false},
    /* where len= and others may go */
    {"  send begin text fin=0\n", 6, "'send begin' needs len=N", false},
    {"  send begin text len=3 \"abc\"\n", 6, "unexpected '\"abc\"'", false},
    {"  send payload \"x\"\n", 6, "'send payload' without an earlier 'send begin'", false},
    {"  send frame text form=7 repeat(126, \"*\")\n", 6, "form=7 cannot carry a length of 126",
     false},
    {"  send frame text form=7 len=128 \"\"\n", 6, "form=7 cannot carry a length of 128", false},
    {"  send frame text form=16 len=65536 \"\"\n", 6, "form=16 cannot carry", false},
    {"  send close reason=\"x\"\n", 6, "reason= needs code=", false},
    {"  send close code=1000 payload=0x\n", 6, "payload= is the whole Close payload", false},
    {"  send close \"x\"\n", 6, "unexpected '\"x\"' in 'send close'", false},
    {"  roundtrip text \"x\"\n  expect size text 1\n", 6, "'roundtrip' needs count=N", false},
    {"  roundtrip texts \"x\" count=1\n  expect size text 1\n", 6, "expected 'text' or 'binary'",
     false},
    /* payloads */
    {"  send raw 0x12g4\n", 6, "bad hex digit 'g'", false},
    {"  send raw 0x123\n", 6, "odd number of hex digits (3)", false},
    {"  send raw \"abc\n", 6, "unterminated string", false},
    {"  send raw \"ab\\\n", 6, "unterminated string", false},
    {"  send raw \"a\\qb\"\n", 6, "bad escape '\\q'", false},
    {"  send raw \"a\\x4\"\n", 6, "\\x needs two hex digits", false},
    {"  send raw repeat(3, \"\")\n", 6, "repeat with an empty pattern", false},
    {"  send raw repeat(3, 0x)\n", 6, "repeat with an empty pattern", false},
    {"  send raw repeat(4294967297, \"*\")\n", 6, "larger than 2^32", false},
    {"  send raw repeat(99999999999999999999999, \"*\")\n", 6, "larger than 2^32", false},
    {"  send raw repeat(, \"*\")\n", 6, "needs a decimal count", false},
    {"  send raw repeat(3 \"*\")\n", 6, "expected ','", false},
    {"  send raw repeat(3, \"*\"\n", 6, "expected ')'", false},
    {"  send raw repeat(3, repeat(3, repeat(3, repeat(3, repeat(3, repeat(3, repeat(3, "
     "repeat(3, repeat(3, \"*\")))))))))\n",
     6, "nested more than 8 deep", false},
    {"  send raw repeat(2, repeat(65537, \"*\"))\n", 6, "pattern longer than 65536", false},
    {"  send raw hello\n", 6, "bad payload 'hello'", false},
    {"  send raw \"a\" +\n", 6, "payload missing", false},
    /* judging */
    {"  expect OK message text \"a\",\n", 6, "event missing after ','", false},
    {"  expect OK message text \"a\" pong \"b\"\n", 6, "expected ',' between events", false},
    {"  expect OK message txt \"a\"\n", 6, "expected 'text' or 'binary'", false},
    {"  expect OK ping \"a\"\n", 6, "bad event 'ping'", false},
    {"  expect OK timeout A\n", 1, "expects 'timeout A' but no 'wait ... tag=A' step", false},
    {"  expect FINE\n", 6, "'expect' needs OK, NON-STRICT, size, echo or refusal, not 'FINE'",
     false},
    {"  expect OK\n  expect OK\n", 7, "duplicate 'expect OK'", false},
    {"  expect NON-STRICT\n", 1, "'expect NON-STRICT' but no 'expect OK'", false},
    {"  expect size text 10\n  expect OK\n", 7, "judges by size", false},
    {"  expect size text x\n", 6, "needs a decimal length", false},
    {"  expect size text 10\n  informational\n", 7, "exclude each other", false},
    {"  informational\n  expect size text 10\n", 7, "exclude each other", false},
    {"  roundtrip text \"x\" count=5\n  expect OK\n", 1, "'roundtrip' steps but no 'expect size'",
     false},
    {"  informational now\n  expect OK\n", 6, "unexpected 'now'", false},
    {"  suppress-close\n  suppress-close\n", 7, "duplicate 'suppress-close'", false},
    /* describing */
    {"  title again\n", 6, "duplicate 'title'", false},
    {"  note\n", 6, "'note' needs text", false},
    {"  note \xff\xfe\n", 6, "'note' is not valid UTF-8", false},
    {"  rfc 5.2 MIGHT \"S\"\n", 6, "RFC level must be MUST, SHOULD or MAY", false},
    {"  rfc 5.x MUST \"S\"\n", 6, "bad RFC section '5.x'", false},
    {"  rfc 5.2 MUST\n", 6, "'rfc' needs the quoted sentence", false},
    {"  rfc 5.2 MUST two words\n", 6, "quote the whole sentence", false},
    {"  kill-after 1\n  kill-after 2\n", 7, "duplicate 'kill-after'", false},
    {"  kill-after 1 2\n", 6, "unexpected '2'", false},
    /* close-rule */
    {"  close-rule me 1000\n", 6, "duplicate 'close-rule'", false},
    /* whole files */
    {"case 1.1\n  expectation E\n  rfc 5 MUST \"S\"\n  expect OK\n  close-rule me none\nend\n", 1,
     "case 1.1 has no 'title'", true},
    {"case 1.1\n  title T\n  rfc 5 MUST \"S\"\n  expect OK\n  close-rule me none\nend\n", 1,
     "has no 'expectation'", true},
    {"case 1.1\n  title T\n  expectation E\n  expect OK\n  close-rule me none\nend\n", 1,
     "has no 'rfc'", true},
    {"case 1.1\n  title T\n  expectation E\n  rfc 5 MUST \"S\"\n  expect OK\nend\n", 1,
     "has no 'close-rule'", true},
    {"case 1.1\n  title T\n  expectation E\n  rfc 5 MUST \"S\"\n  close-rule me none\nend\n", 1,
     "has no 'expect' (and is not 'informational')", true},
    {"case 1.1\n  title T\n  expectation E\n  rfc 5 MUST \"S\"\n  close-rule who 1000\n  expect "
     "OK\nend\n",
     5, "close-rule needs 'tester' or 'target', not 'who'", true},
    {"case 1.1\n" BASE "  expect OK\n  close-rule me 1000\nend\n", 7, "duplicate 'close-rule'",
     true},
    {"case 1.1\n  title T\n  expectation E\n  rfc 5 MUST \"S\"\n  expect OK\n  close-rule me 1000 "
     "dirty\nend\n",
     6, "unknown close-rule flag 'dirty'", true},
    {"case 1.1\n  title T\n  expectation E\n  rfc 5 MUST \"S\"\n  expect OK\n  close-rule me "
     "1000,x\nend\n",
     6, "close-rule needs close codes", true},
    {"case 1.1\n  title T\n  expectation E\n  rfc 5 MUST \"S\"\n  expect OK\n  close-rule me "
     "70000\nend\n",
     6, "close code 70000 out of range", true},
    {"case 1.1\n  title T\n  expectation E\n  rfc 5 MUST \"S\"\n  expect OK\n  close-rule me "
     "1,2,3,4,5,6,7,8,9\nend\n",
     6, "more than 8 close codes", true},
    {"case 1.1\n  title T\n  expectation E\n  rfc 5 MUST \"S\"\n  expect OK\n  close-rule me "
     "1000,1000\nend\n",
     6, "listed twice", true},
    {"case 1.1\n  title T\n  expectation E\n  rfc 5 MUST \"S\"\n  expect OK\n  close-rule me "
     "clean clean\nend\n",
     6, "close-rule needs close codes", true},
    {"case 1.1\n  title T\n  expectation E\n  rfc 5 MUST \"S\"\n  expect OK\n  close-rule me "
     "none clean clean\nend\n",
     6, "flag 'clean' given twice", true},
    {"case 1.a\n" BASE "  expect OK\nend\n", 1, "bad case id '1.a'", true},
    {"case 01.1\n" BASE "  expect OK\nend\n", 1, "bad case id '01.1'", true},
    {"case 1..1\n" BASE "  expect OK\nend\n", 1, "bad case id", true},
    {"case 1.1.\n" BASE "  expect OK\nend\n", 1, "bad case id", true},
    {"case 1.2.3.4.5.6.7.8.9.10.11.12\n" BASE "  expect OK\nend\n", 1, "bad case id", true},
    {"case\n" BASE "  expect OK\nend\n", 1, "case id missing", true},
    {"case 1.1 x\n" BASE "  expect OK\nend\n", 1, "unexpected 'x'", true},
    {"case 1.1\n" BASE "  expect OK\nend now\n", 7, "unexpected 'now'", true},
    {"case 1.1\n" BASE "  expect OK\n", 1, "case 1.1 has no 'end'", true},
    {"case 1.1\n" BASE "  expect OK\ncase 1.2\n" BASE "  expect OK\nend\n", 1,
     "case 1.1 has no 'end' (line 7 starts 'case')", true},
    {"end\n", 1, "'end' without an open case", true},
    {"title T\n", 1, "'title' outside a case", true},
    {"frobnicate\n", 1, "unknown directive 'frobnicate'", true},
    {"section 6.x UTF-8\n", 1, "bad section id", true},
    {"section 6\n", 1, "'section' needs a title", true},
    {"section 6 A\nsection 6 B\n", 2, "section 6 is already defined", true},
    {"case 1.1\n" BASE "  expect OK\nend\ncase 1.1\n" BASE "  expect OK\nend\n", 8,
     "duplicate case id 1.1 (first at t.wsc:1)", true},
    /* the opening handshake: the request */
    {"  request-line\n", 6, "'request-line' needs the request line", false},
    {"  request-line \"a\"\n  request-line \"b\"\n", 7, "duplicate 'request-line'", false},
    {"  header-drop Bad:Name\n", 6, "bad header name 'Bad:Name'", false},
    {"  header-drop\n", 6, "bad header name ''", false},
    {"  header-drop Host x\n", 6, "unexpected 'x'", false},
    {"  header-set X\n", 6, "'header-set' needs a value", false},
    {"  header-set X a b\n", 6, "unexpected 'b'", false},
    {"  header-add \"X: {nope}\"\n", 6, "unknown placeholder {nope}", false},
    {"  request-raw \"GET / HTTP/1.1\\r\\n\\r\\n\"\n  header-add \"X: y\"\n", 1,
     "request-raw is the whole request", false},
    {"  header-add repeat(2000000, \"a\")\n", 1, "larger than 1048576 bytes", false},
    {"  request-write gap=0.1\n", 6, "gap= is the pause between chops: it needs chop=", false},
    {"  request-write chop=1 gap=61\n", 6, "bad value '61' for gap=", false},
    {"  request-write chop=0\n", 6, "bad value '0' for chop=", false},
    {"  request-write sync\n", 6, "option 'sync' is not allowed in 'request-write'", false},
    {"  send frame text \"x\"\n  send frame text pipelined \"y\"\n", 7,
     "pipelined steps come first", false},
    {"  send close pipelined\n", 6, "option 'pipelined' is not allowed in 'send close'", false},
    {"  send frame text pipelined=1 \"x\"\n", 6, "'pipelined' takes no value", false},
    /* the opening handshake: the checks */
    {"  rfc RFC2616 5.2 MUST \"S\"\n", 6, "unknown RFC 'RFC2616'", false},
    {"  response 5.2 MUST status 99\n", 6, "bad status list '99'", false},
    {"  response 5.2 MUST status 4yy\n", 6, "bad status list '4yy'", false},
    {"  response 5.2 MUST status 101,\n", 6, "bad status list '101,'", false},
    {"  response 5.2 MUST status 1,2,3,4,5,6,7,8,9\n", 6, "bad status list", false},
    {"  response 5.2 MUST status\n", 6, "bad status list ''", false},
    {"  response 5.2 MUST stat 101\n", 6,
     "'response' needs a check (status, header, accept, protocol-offered or extensions-offered), "
     "not 'stat'",
     false},
    {"  response 5.2 MUST if 4xx status 400\n", 6, "'if' goes with header checks", false},
    {"  response 5.2 MUST if 4xx accept\n", 6, "'accept' applies to a 101 only: no 'if'", false},
    {"  response 5.2 MUST status 101 now\n", 6, "unexpected 'now'", false},
    {"  response 5.2 MUST status 101\n  response 5.2 MUST header X maybe\n", 7,
     "'header X' needs present, absent, once, = VALUE, has TOKEN or lacks TOKEN, not 'maybe'",
     false},
    {"  response 5.2 MUST status 101\n  response 5.2 MUST header X has \"a,b\"\n", 7,
     "'has' needs one list element", false},
    {"  response 5.2 MUST status 101\n  response 5.2 MUST header X has\n", 7,
     "'header X' needs a value after the test", false},
    {"  response 5.2 MUST status 101\n  response 5.3 MUST header X present\n", 7,
     "the check cites RFC 6455 5.3 MUST, but no rfc line of the case quotes it", false},
    {"  response RFC9110 5.2 MUST status 101\n", 6, "cites RFC 9110 5.2 MUST", false},
    {"  response 5.2 MUST header X present\n", 1, "has response checks but no MUST status check",
     false},
    /* the opening handshake: a case that ends with the response */
    {"case 1.1\n  title T\n  expectation E\n  rfc 5 MUST \"S\"\n  response 5 MUST status 4xx\n"
     "  kill-after 1\nend\n",
     1, "case 1.1 ends with the response (no MUST status check allows 101): no 'kill-after'", true},
    {"case 1.1\n  title T\n  expectation E\n  rfc 5 MUST \"S\"\n  response 5 MUST status 4xx\n"
     "  send frame text pipelined \"x\"\n  send frame text \"y\"\nend\n",
     7, "a step after the 101 never runs", true},
    {"case 1.1\n  title T\n  expectation E\n  rfc 5 MUST \"S\"\n  response 5 MUST status 4xx\n"
     "  close-rule tester 1000\nend\n",
     1, "no 'close-rule'", true},
    {"case 1.1\n  title T\n  expectation E\n  rfc 5 MUST \"S\"\n  response 5 MUST status 101\n"
     "  close-rule tester 1000\nend\n",
     1, "needs 'expect' or 'informational' for what follows", true},
    {"case 1.1\n  title T\n  expectation E\n  rfc 5 MUST \"S\"\n  response 5 MUST status 101\n"
     "  expect OK\nend\n",
     1, "case 1.1 has no 'close-rule'", true},
};

static void test_lint_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof lint_cases / sizeof lint_cases[0]; i++) {
        char text[4096];
        const struct lint_case *lc = &lint_cases[i];
        if (lc->whole)
            snprintf(text, sizeof text, "%s", lc->body);
        else {
            bool judged = strstr(lc->body, "expect ") || strstr(lc->body, "informational");
            snprintf(text, sizeof text, "case 1.1\n" BASE "%s%send\n", lc->body,
                     judged ? "" : "  expect OK\n");
        }
        expect_one_error(text, lc->line, lc->want);
    }
}

/* The NUL test above is cut by snprintf; feed it with its real length. */
static void test_nul_and_long_lines(void **state)
{
    (void)state;
    static const char nul[] = "# NUL\ncase 1.1\0\nend\n";
    struct case_catalogue cat;
    struct diags d = {0};
    memset(&cat, 0, sizeof cat);
    case_parse_buffer(&cat, "t.wsc", nul, sizeof nul - 1, collect, &d);
    assert_true(d.n >= 1);
    assert_string_equal(d.msg[0], "t.wsc:2: NUL byte in line");
    case_catalogue_free(&cat);

    size_t n = 64 * 1024 + 1;
    char *big = malloc(n + 16);
    assert_non_null(big);
    memcpy(big, "# ", 2);
    memset(big + 2, 'x', n - 2);
    memcpy(big + n, "\nend\n", 6);
    memset(&d, 0, sizeof d);
    case_parse_buffer(&cat, "t.wsc", big, n + 5, collect, &d);
    assert_int_equal(d.n, 2);
    assert_string_equal(d.msg[0], "t.wsc:1: line longer than 65536 bytes");
    assert_string_equal(d.msg[1], "t.wsc:2: 'end' without an open case, template or table");
    case_catalogue_free(&cat);
    /* exactly 65536 bytes is fine */
    big[n - 1] = '\n';
    memset(&d, 0, sizeof d);
    case_parse_buffer(&cat, "t.wsc", big, n, collect, &d);
    assert_int_equal(d.n, 0);
    case_catalogue_free(&cat);
    free(big);

    /* a file over 16 MiB is refused before it is read */
    size_t huge = 16u * 1024 * 1024 + 1;
    char *h = calloc(huge, 1);
    assert_non_null(h);
    memset(&d, 0, sizeof d);
    assert_int_equal(case_parse_buffer(&cat, "h.wsc", h, huge, collect, &d), 1);
    assert_int_equal(d.n, 1);
    assert_string_equal(d.msg[0], "h.wsc:0: file larger than 16777216 bytes");
    case_catalogue_free(&cat);
    free(h);
}

/* Errors do not stop the file: every one is reported, good cases stay, bad ones go. */
static void test_errors_keep_going(void **state)
{
    (void)state;
    const char *text =
        "case 1.1\n" BASE "  expect OK\n  sned\nend\n"                    /* 7 */
        "case 1.2\n" BASE "  expect OK\nend\n"                            /* good */
        "case 1.3\n" BASE "  expect OK\n  wait 0\n  send raw 0x1\nend\n"; /* 22, 23 */
    struct case_catalogue cat;
    struct diags d = {0};
    memset(&cat, 0, sizeof cat);
    assert_int_equal(parse(&cat, "t.wsc", text, &d), 3);
    assert_int_equal(d.n, 3);
    assert_string_equal(d.msg[0], "t.wsc:7: unknown directive 'sned'");
    assert_string_equal(d.msg[1], "t.wsc:22: 'wait' needs seconds > 0 (at most 86400), not '0'");
    assert_string_equal(d.msg[2], "t.wsc:23: odd number of hex digits (1) in payload");
    assert_int_equal(cat.n_cases, 1);
    assert_string_equal(cat.cases[0].id, "1.2");
    case_catalogue_free(&cat);
}

static void test_error_cap(void **state)
{
    (void)state;
    size_t n = 150;
    char *text = malloc(n * 8 + 1);
    assert_non_null(text);
    for (size_t i = 0; i < n; i++)
        memcpy(text + i * 8, "bogus 1\n", 8);
    struct case_catalogue cat;
    struct diags d = {0};
    memset(&cat, 0, sizeof cat);
    assert_int_equal(case_parse_buffer(&cat, "t.wsc", text, n * 8, collect, &d), 100);
    assert_int_equal(d.n, 101);
    assert_non_null(strstr(d.msg[100], "t.wsc:100: too many errors"));
    case_catalogue_free(&cat);
    free(text);
}

/* ---------------------------------------------------------------------------------
 * Catalogue: several buffers, ids, order.
 */

static void test_duplicate_ids_across_buffers(void **state)
{
    (void)state;
    struct case_catalogue cat;
    struct diags d = {0};
    memset(&cat, 0, sizeof cat);
    const char *a = "\ncase 1.1\n" BASE "  expect OK\nend\ncase 2.1\n" BASE "  expect OK\nend\n";
    const char *b = "case 3.1\n" BASE "  expect OK\nend\n\ncase 1.1\n" BASE "  expect OK\nend\n";
    assert_int_equal(parse(&cat, "a.wsc", a, &d), 0);
    assert_int_equal(parse(&cat, "b.wsc", b, &d), 1);
    assert_int_equal(d.n, 1);
    assert_string_equal(d.msg[0], "b.wsc:9: duplicate case id 1.1 (first at a.wsc:2)");
    assert_int_equal(cat.n_cases, 3);
    assert_string_equal(cat.cases[0].id, "1.1");
    assert_string_equal(cat.cases[0].file, "a.wsc");
    assert_string_equal(cat.cases[1].id, "2.1");
    assert_string_equal(cat.cases[2].id, "3.1");
    assert_string_equal(cat.cases[2].file, "b.wsc");
    assert_int_equal(cat.n_files, 2);
    case_catalogue_free(&cat);
}

static void test_id_order(void **state)
{
    (void)state;
    static const char *const sorted[] = {"1",      "1.1",   "1.1.1",  "1.1.2",  "1.1.9",
                                         "1.1.10", "1.2",   "2",      "6.4",    "6.4.1",
                                         "6.10",   "9.8.6", "10.1.1", "12.1.1", "100"};
    size_t n = sizeof sorted / sizeof sorted[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            int c = case_id_cmp(sorted[i], sorted[j]);
            int want = (i > j) - (i < j);
            if (((c > 0) - (c < 0)) != want)
                fail_msg("case_id_cmp(%s, %s) = %d", sorted[i], sorted[j], c);
        }
    assert_true(case_id_cmp("99999999999999999999999", "100000000000000000000000") < 0);
    assert_true(case_id_cmp("1.01", "1.1") != 0); /* total order on odd spellings */
    assert_true(case_id_cmp("", "1") < 0);

    /* parsing sorts */
    char text[8192];
    size_t at = 0;
    static const char *const shuffled[] = {"10.1.1", "1.1.10", "9.8.6", "1.1.9",
                                           "1.1.1",  "6.10",   "6.4"};
    for (size_t i = 0; i < sizeof shuffled / sizeof shuffled[0]; i++)
        at += (size_t)snprintf(text + at, sizeof text - at, "case %s\n" BASE "  expect OK\nend\n",
                               shuffled[i]);
    struct case_catalogue cat;
    struct diags d = {0};
    memset(&cat, 0, sizeof cat);
    assert_int_equal(parse(&cat, "t.wsc", text, &d), 0);
    static const char *const want[] = {"1.1.1", "1.1.9", "1.1.10", "6.4",
                                       "6.10",  "9.8.6", "10.1.1"};
    assert_int_equal(cat.n_cases, 7);
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(cat.cases[i].id, want[i]);
    case_catalogue_free(&cat);
}

/* ---------------------------------------------------------------------------------
 * Files and directories.
 */

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void remove_tree(const char *dir, const char *const *names, size_t n)
{
    char path[512];
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

static const char *const tree_names[] = {"b.wsc", "a.wsc", "notes.txt", ".hidden.wsc", "bad.wsc"};

static void make_tree(char *dir, bool with_bad)
{
    assert_non_null(mkdtemp(dir));
    write_file(dir, "b.wsc", "case 2.1\n" BASE "  expect OK\nend\n");
    write_file(dir, "a.wsc", "section 1 One\ncase 1.1\n" BASE "  expect OK\nend\n");
    write_file(dir, "notes.txt", "not a case file\n");
    write_file(dir, ".hidden.wsc", "garbage\n");
    if (with_bad)
        write_file(dir, "bad.wsc", "case 3.1\n" BASE "  expect OK\n  bogus\nend\n");
}

static void test_parse_dir_and_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/wsspec-cases-XXXXXX";
    make_tree(dir, false);
    struct case_catalogue cat;
    struct diags d = {0};
    memset(&cat, 0, sizeof cat);
    assert_int_equal(case_parse_dir(&cat, dir, collect, &d), 0);
    assert_int_equal(cat.n_files, 2);
    assert_non_null(strstr(cat.files[0], "/a.wsc")); /* sorted by name */
    assert_non_null(strstr(cat.files[1], "/b.wsc"));
    assert_int_equal(cat.n_cases, 2);
    assert_int_equal(cat.n_sections, 1);
    /* the same files again: every id is a duplicate naming the first place */
    char path[512];
    snprintf(path, sizeof path, "%s/a.wsc", dir);
    const char *paths[] = {path, "/nonexistent/x.wsc"};
    assert_int_equal(case_parse_files(&cat, paths, 2, collect, &d), 3);
    assert_int_equal(d.n, 3);
    assert_non_null(strstr(d.msg[0], "a.wsc:1: section 1 is already defined"));
    assert_non_null(strstr(d.msg[1], "a.wsc:2: duplicate case id 1.1 (first at "));
    assert_string_equal(d.msg[2], "/nonexistent/x.wsc:0: cannot open: No such file or directory");
    assert_int_equal(cat.n_cases, 2);
    case_catalogue_free(&cat);

    memset(&d, 0, sizeof d);
    assert_int_equal(case_parse_dir(&cat, "/nonexistent-dir", collect, &d), 1);
    assert_int_equal(d.n, 1);
    assert_non_null(strstr(d.msg[0], "/nonexistent-dir:0: cannot open directory"));
    case_catalogue_free(&cat);
    remove_tree(dir, tree_names, sizeof tree_names / sizeof tree_names[0]);
}

/* ---------------------------------------------------------------------------------
 * The commands.
 */

/* Run fn with stdout sent to a file; returns what it printed (malloc'ed). */
static char *capture_stdout(int (*fn)(int, char **), int argc, char **argv, int *status)
{
    fflush(stdout);
    int saved = dup(1);
    assert_true(saved >= 0);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    assert_true(dup2(fileno(tmp), 1) >= 0);
    *status = fn(argc, argv);
    fflush(stdout);
    assert_true(dup2(saved, 1) >= 0);
    close(saved);
    long n = ftell(tmp);
    assert_true(n >= 0);
    char *out = malloc((size_t)n + 1);
    assert_non_null(out);
    rewind(tmp);
    assert_int_equal(fread(out, 1, (size_t)n, tmp), (size_t)n);
    out[n] = '\0';
    fclose(tmp);
    return out;
}

static void test_cmd_lint(void **state)
{
    (void)state;
    char dir[] = "/tmp/wsspec-lint-XXXXXX";
    make_tree(dir, true);
    int status;
    char a0[] = "lint", help[] = "--help", bogus[] = "--bogus";
    char *argv1[] = {a0, help, NULL};
    char *out = capture_stdout(case_cmd_lint, 2, argv1, &status);
    assert_int_equal(status, 0);
    assert_non_null(strstr(out, "usage: wsspec lint"));
    free(out);
    char *argv2[] = {a0, bogus, NULL};
    out = capture_stdout(case_cmd_lint, 2, argv2, &status);
    assert_int_equal(status, 2);
    assert_string_equal(out, "");
    free(out);

    char *argv3[] = {a0, dir, NULL};
    out = capture_stdout(case_cmd_lint, 2, argv3, &status);
    assert_int_equal(status, 1);
    assert_non_null(strstr(out, "/bad.wsc:7: unknown directive 'bogus'\n"));
    assert_non_null(strstr(out, "\n3 files, 2 cases, 1 errors\n"));
    free(out);

    char good[600];
    snprintf(good, sizeof good, "%s/a.wsc", dir);
    char *argv4[] = {a0, good, good, NULL}; /* the same file twice is read once */
    out = capture_stdout(case_cmd_lint, 3, argv4, &status);
    assert_int_equal(status, 0);
    assert_string_equal(out, "1 files, 1 cases, 0 errors\n");
    free(out);

    /* no argument: the built-in catalogue, here from $WSSPEC_CASES */
    snprintf(good, sizeof good, "%s/bad.wsc", dir);
    assert_int_equal(unlink(good), 0);
    assert_int_equal(setenv("WSSPEC_CASES", dir, 1), 0);
    assert_string_equal(case_default_dir(), dir);
    char *argv5[] = {a0, NULL};
    out = capture_stdout(case_cmd_lint, 1, argv5, &status);
    assert_int_equal(status, 0);
    assert_string_equal(out, "2 files, 2 cases, 0 errors\n");
    free(out);
    unsetenv("WSSPEC_CASES");
    assert_non_null(case_default_dir());
    remove_tree(dir, tree_names, sizeof tree_names / sizeof tree_names[0]);
}

/* lint reads the vocabulary table: --help lists every row, and a misspelt directive or
 * option gets the nearest known name, also inside a template's expansion. */
static void test_lint_vocabulary(void **state)
{
    (void)state;
    int status;
    char a0[] = "lint", help[] = "--help";
    char *argv1[] = {a0, help, NULL};
    char *out = capture_stdout(case_cmd_lint, 2, argv1, &status);
    assert_int_equal(status, 0);
    char want[256];
    for (int i = 0; i < CD_N; i++) {
        const struct case_directive_row *r = &case_vocab_directives[i];
        snprintf(want, sizeof want, "\n  %s%s%s\n", r->name, r->args[0] ? " " : "", r->args);
        if (!strstr(out, want))
            fail_msg("lint --help does not list '%s'", want);
    }
    for (int i = 0; i < CS_N; i++) {
        snprintf(want, sizeof want, "\n  send %s %s\n", case_vocab_sends[i].name,
                 case_vocab_sends[i].args);
        assert_non_null(strstr(out, want));
    }
    for (int i = 0; i < CO_N; i++) {
        snprintf(want, sizeof want, "\n  %s%s  %s", case_vocab_options[i].name,
                 case_vocab_options[i].arg == CV_VALUE ? "=" : "", case_vocab_options[i].text);
        assert_non_null(strstr(out, want));
    }
    assert_non_null(strstr(out, "taken by roundtrip, expect size, expect echo\n"));
    free(out);

    char dir[] = "/tmp/wsspec-vocab-XXXXXX";
    assert_non_null(mkdtemp(dir));
    write_file(dir, "v.wsc",
               "case 1.1\n" BASE                 /* 1-5 */
               "  sned frame text \"x\"\n"       /* 6 */
               "  send frame text fni=1 \"x\"\n" /* 7 */
               "  bogus\n"                       /* 8 */
               "  send frame text zzz=1 \"x\"\n" /* 9 */
               "  expect OK\nend\n"              /* 10-11 */
               "template t a\n"                  /* 12 */
               "  title {a}\n  expectation E\n  rfc 5 MUST \"S\"\n  close-rule target none\n"
               "  expect OK\n"             /* 13-17 */
               "  kill-aftr 1\n"           /* 18 */
               "end\n"                     /* 19 */
               "table t\n  2.1 x\nend\n"); /* 20-22 */
    char path[600];
    snprintf(path, sizeof path, "%s/v.wsc", dir);
    char *argv2[] = {a0, path, NULL};
    out = capture_stdout(case_cmd_lint, 2, argv2, &status);
    assert_int_equal(status, 1);
    static const char *const lines[] = {
        "/v.wsc:6: unknown directive 'sned' (did you mean 'send'?)\n",
        "/v.wsc:7: unknown option 'fni=' (did you mean 'fin='?)\n",
        "/v.wsc:8: unknown directive 'bogus'\n",
        "/v.wsc:9: unknown option 'zzz='\n",
        "/v.wsc:21: unknown directive 'kill-aftr' (did you mean 'kill-after'?) (template 't' "
        "line 18)\n",
        "\n1 files, 0 cases, 5 errors\n",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        if (!strstr(out, lines[i]))
            fail_msg("lint output lacks '%s':\n%s", lines[i], out);
    free(out);
    unlink(path);
    rmdir(dir);
}

static void test_cmd_list(void **state)
{
    (void)state;
    char dir[] = "/tmp/wsspec-list-XXXXXX";
    make_tree(dir, false);
    assert_int_equal(setenv("WSSPEC_CASES", dir, 1), 0);
    int status;
    char a0[] = "list", cases_opt[] = "--cases=2.*", json[] = "--json", cd[] = "--cases-dir",
         ex[] = "--exclude", ex_v[] = "1.1", bogus[] = "extra";
    char *argv1[] = {a0, NULL};
    char *out = capture_stdout(case_cmd_list, 1, argv1, &status);
    assert_int_equal(status, 0);
    assert_string_equal(out, "1.1       T\n2.1       T\n");
    free(out);
    char *argv2[] = {a0, cases_opt, NULL};
    out = capture_stdout(case_cmd_list, 2, argv2, &status);
    assert_int_equal(status, 0);
    assert_string_equal(out, "2.1       T\n");
    free(out);
    /* --cases-dir naming the built-in directory is not read twice */
    char *argv3[] = {a0, cd, dir, ex, ex_v, NULL};
    out = capture_stdout(case_cmd_list, 5, argv3, &status);
    assert_int_equal(status, 0);
    assert_string_equal(out, "2.1       T\n");
    free(out);
    char *argv4[] = {a0, cd, NULL};
    out = capture_stdout(case_cmd_list, 2, argv4, &status);
    assert_int_equal(status, 2);
    free(out);
    char *argv5[] = {a0, bogus, NULL};
    out = capture_stdout(case_cmd_list, 2, argv5, &status);
    assert_int_equal(status, 2);
    free(out);
    char *argv6[] = {a0, json, NULL};
    out = capture_stdout(case_cmd_list, 2, argv6, &status);
    assert_int_equal(status, 0);
    json_error_t err;
    json_t *arr = json_loads(out, 0, &err);
    if (!arr)
        fail_msg("invalid JSON: %s\n%s", err.text, out);
    assert_int_equal(json_array_size(arr), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 1), "id")), "2.1");
    json_decref(arr);
    free(out);
    unsetenv("WSSPEC_CASES");
    remove_tree(dir, tree_names, sizeof tree_names / sizeof tree_names[0]);
}

/* JSON escaping, read back with jansson. */
static void test_list_json(void **state)
{
    (void)state;
    struct case_catalogue cat;
    struct diags d = {0};
    memset(&cat, 0, sizeof cat);
    const char *text = "case 7.1\n"
                       "  title Quote \" backslash \\ tab\there κόσμε <br>\n"
                       "  expectation E\n"
                       "  rfc 5.5.1 SHOULD \"line\\nbreak \\x01 \\\"q\\\"\"\n"
                       "  rfc 7 MAY \"x\"\n"
                       "  informational\n"
                       "  close-rule me 1000\n"
                       "end\n"
                       "case 9.1\n" BASE "  expect size text 5\n  send frame text \"hello\"\nend\n";
    assert_int_equal(parse(&cat, "dir/\"q\".wsc", text, &d), 0);
    size_t idx[2] = {0, 1};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(case_list_json(f, &cat, idx, 2), 0);
    fclose(f);
    json_error_t err;
    json_t *arr = json_loads(buf, 0, &err);
    if (!arr)
        fail_msg("invalid JSON: %s\n%s", err.text, buf);
    json_t *c = json_array_get(arr, 0);
    assert_string_equal(json_string_value(json_object_get(c, "id")), "7.1");
    assert_string_equal(json_string_value(json_object_get(c, "title")),
                        "Quote \" backslash \\ tab\there κόσμε <br>");
    assert_string_equal(json_string_value(json_object_get(c, "judge")), "informational");
    assert_string_equal(json_string_value(json_object_get(c, "file")), "dir/\"q\".wsc");
    assert_int_equal(json_integer_value(json_object_get(c, "line")), 1);
    json_t *rfc = json_object_get(c, "rfc");
    assert_int_equal(json_array_size(rfc), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rfc, 0), "section")),
                        "5.5.1");
    assert_string_equal(json_string_value(json_object_get(json_array_get(rfc, 0), "level")),
                        "SHOULD");
    assert_string_equal(json_string_value(json_object_get(json_array_get(rfc, 0), "sentence")),
                        "line\nbreak \x01 \"q\"");
    assert_string_equal(json_string_value(json_object_get(json_array_get(rfc, 1), "level")), "MAY");
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 1), "judge")),
                        "size");
    json_decref(arr);
    free(buf);

    /* invalid UTF-8 (only possible from outside the parser) still gives valid JSON */
    free(cat.cases[0].title);
    cat.cases[0].title = strdup("a\xff\xc3(b\xf0\x9f\x98\x80");
    buf = NULL;
    f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(case_list_json(f, &cat, idx, 1), 0);
    fclose(f);
    arr = json_loads(buf, 0, &err);
    if (!arr)
        fail_msg("invalid JSON: %s\n%s", err.text, buf);
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "title")),
                        "a\xef\xbf\xbd\xef\xbf\xbd(b\xf0\x9f\x98\x80");
    json_decref(arr);
    free(buf);

    buf = NULL;
    f = open_memstream(&buf, &len);
    assert_int_equal(case_list_json(f, &cat, idx, 0), 0);
    fclose(f);
    assert_string_equal(buf, "[]\n");
    free(buf);
    case_catalogue_free(&cat);
}

/* ---------------------------------------------------------------------------------
 * Robustness: truncations and mutations of a valid file (ASan/UBSan/LSan watch).
 */

static const char fuzz_seed[] =
    "section 6 UTF-8\n"
    "template fam hex len\n"
    "  title Payload 0x{hex} {id}\n"
    "  expectation E\n"
    "  rfc 8.1 MUST \"When an endpoint is to interpret...\"\n"
    "  kill-after 0.5\n"
    "  send frame text fin=0 rsv=1 mask=01020304 form=16 chop=3 sync 0x{hex} + repeat({len}, "
    "\"ab\\x00\")\n"
    "  expect OK message text 0x{hex}, pong \"\", timeout A\n"
    "  wait 1 tag=A\n"
    "  close-rule peer 1007,1002 wrong-closer-fatal\n"
    "end\n"
    "table fam\n"
    "  6.5.1 68656c6c6f 3\n"
    "  6.5.2 \"cebae1\" 0\n"
    "end\n"
    "case 6.4.3\n"
    "  title T\n"
    "  expectation E\n"
    "  note n\n"
    "  rfc 8.1 SHOULD \"S\"\n"
    "  send begin text fin=0 len=21\n"
    "  send payload 0xcebae1bdb9cf83cebcceb5 chop=1\n"
    "  wait 1 tag=B\n"
    "  send close code=1000 reason=repeat(3, repeat(2, \"*\"))\n"
    "  send message binary fragment=2 0x0102030405\n"
    "  send raw 0x8180\n"
    "  roundtrip text \"x\" count=2\n"
    "  expect size text 1 count=2\n"
    "  close-rule me none clean\n"
    "end\n";

static void parse_and_free(const char *text, size_t len)
{
    struct case_catalogue cat;
    memset(&cat, 0, sizeof cat);
    /* a guard-page copy: an over-read faults at once */
    uint8_t *g = th_guard_copy(text, len);
    case_parse_buffer(&cat, "fuzz.wsc", (const char *)g, len, NULL, NULL);
    for (size_t i = 0; i < cat.n_cases; i++)
        for (size_t k = 0; k < cat.cases[i].n_steps; k++) {
            const struct payload *p = &cat.cases[i].steps[k].payload;
            if (p->len && p->len < 4096) {
                uint8_t buf[4096];
                payload_copy(p, 0, buf, (size_t)p->len);
                assert_true(payload_equal(p, buf, (size_t)p->len));
            }
        }
    case_catalogue_free(&cat);
    th_guard_free(g, len);
}

static void test_fuzz_truncations_and_mutations(void **state)
{
    (void)state;
    size_t len = sizeof fuzz_seed - 1;
    {
        struct case_catalogue cat;
        struct diags d = {0};
        memset(&cat, 0, sizeof cat);
        assert_int_equal(parse(&cat, "seed.wsc", fuzz_seed, &d), 0);
        assert_int_equal(cat.n_cases, 3);
        case_catalogue_free(&cat);
    }
    for (size_t n = 0; n <= len; n++)
        parse_and_free(fuzz_seed, n);
    struct th_rng rng = {0x5eed};
    static const char interesting[] = "\"\\{}(),+=#\n\t\0x0123456789*";
    char *m = malloc(len * 2 + 64);
    assert_non_null(m);
    for (int round = 0; round < 4000; round++) {
        size_t n = len;
        memcpy(m, fuzz_seed, len);
        int edits = 1 + (int)(th_rng_next(&rng) % 4);
        for (int e = 0; e < edits; e++) {
            size_t at = (size_t)(th_rng_next(&rng) % (n + 1));
            switch (th_rng_next(&rng) % 4) {
            case 0: /* replace a byte */
                if (at < n)
                    m[at] = interesting[th_rng_next(&rng) % (sizeof interesting - 1)];
                break;
            case 1: /* random byte */
                if (at < n)
                    m[at] = (char)th_rng_next(&rng);
                break;
            case 2: /* delete a run */
                if (at < n) {
                    size_t k = (size_t)(th_rng_next(&rng) % 8 + 1);
                    if (k > n - at)
                        k = n - at;
                    memmove(m + at, m + at + k, n - at - k);
                    n -= k;
                }
                break;
            default: /* duplicate a run */
                if (n + 16 < len * 2 + 64 && at < n) {
                    size_t k = (size_t)(th_rng_next(&rng) % 16 + 1);
                    if (k > n - at)
                        k = n - at;
                    memmove(m + at + k, m + at, n - at);
                    n += k;
                }
                break;
            }
        }
        parse_and_free(m, n);
    }
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_describing),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_send_frame_defaults_and_opcodes),
        cmocka_unit_test(test_send_frame_options),
        cmocka_unit_test(test_send_message_begin_payload_raw),
        cmocka_unit_test(test_send_close),
        cmocka_unit_test(test_wait_roundtrip_size),
        cmocka_unit_test(test_compression_vocabulary),
        cmocka_unit_test(test_expect_lists),
        cmocka_unit_test(test_informational),
        cmocka_unit_test(test_close_rules),
        cmocka_unit_test(test_close_rule_aliases),
        cmocka_unit_test(test_payload_expressions),
        cmocka_unit_test(test_payload_copy_equal_everywhere),
        cmocka_unit_test(test_payload_repeat_windows),
        cmocka_unit_test(test_payload_big_repeat),
        cmocka_unit_test(test_template_table),
        cmocka_unit_test(test_template_errors),
        cmocka_unit_test(test_handshake_request),
        cmocka_unit_test(test_handshake_checks),
        cmocka_unit_test(test_lint_errors),
        cmocka_unit_test(test_nul_and_long_lines),
        cmocka_unit_test(test_errors_keep_going),
        cmocka_unit_test(test_error_cap),
        cmocka_unit_test(test_duplicate_ids_across_buffers),
        cmocka_unit_test(test_id_order),
        cmocka_unit_test(test_parse_dir_and_files),
        cmocka_unit_test(test_cmd_lint),
        cmocka_unit_test(test_lint_vocabulary),
        cmocka_unit_test(test_cmd_list),
        cmocka_unit_test(test_list_json),
        cmocka_unit_test(test_fuzz_truncations_and_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

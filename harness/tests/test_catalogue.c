/*
 * test_catalogue.c - the shipped catalogue (the .wsc files in cases/, read the way `wsspec run`
 * reads it) checked against Autobahn's tables as the workplace's catalogue describes
 * them: case counts per section, and for a spot-check of every kind of case what is
 * sent (opcodes, RSV, FIN, chops, fragment sizes, exact payloads, waits and tags), the
 * timers, the expected events and the close rule.
 */
#include "tests/th.h"

#include "case.h"
#include "case_vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct case_catalogue cat;

static void diag(void *ud, const char *msg)
{
    (void)ud;
    print_error("%s\n", msg);
}

static int setup(void **state)
{
    (void)state;
    const char *dir = getenv("WSSPEC_CASES") ? getenv("WSSPEC_CASES") : "cases";
    memset(&cat, 0, sizeof cat);
    return case_parse_dir(&cat, dir, diag, NULL) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    case_catalogue_free(&cat);
    return 0;
}

static const struct case_def *get(const char *id)
{
    for (size_t i = 0; i < cat.n_cases; i++)
        if (strcmp(cat.cases[i].id, id) == 0)
            return &cat.cases[i];
    fail_msg("case %s is missing", id);
    return NULL;
}

/* payload == len bytes of `pat` repeated */
static void assert_repeat(const struct payload *p, uint64_t len, const char *pat, size_t pat_len)
{
    assert_int_equal(p->len, len);
    uint8_t *want = malloc(len ? (size_t)len : 1);
    assert_non_null(want);
    for (uint64_t i = 0; i < len; i++)
        want[i] = (uint8_t)pat[i % pat_len];
    assert_true(payload_equal(p, want, (size_t)len));
    free(want);
}

static void assert_payload_is(const struct payload *p, const char *s)
{
    assert_int_equal(p->len, strlen(s));
    assert_true(payload_equal(p, (const uint8_t *)s, strlen(s)));
}

static void assert_bytes(const struct payload *p, const char *bytes, size_t len)
{
    assert_int_equal(p->len, len);
    assert_true(payload_equal(p, (const uint8_t *)bytes, len));
}

static void assert_close(const struct case_def *d, bool by_me, uint16_t code, bool clean)
{
    assert_int_equal(d->close.closed_by_me, by_me);
    assert_int_equal(d->close.require_clean, clean);
    bool found = false;
    for (size_t i = 0; i < d->close.n_codes; i++)
        found = found || d->close.codes[i] == code;
    if (!found)
        fail_msg("%s: close code %u not allowed", d->id, code);
}

static void test_counts(void **state)
{
    (void)state;
    static const struct {
        const char *prefix;
        size_t n;
    } want[] = {{"1.", 16},  {"2.", 11},  {"3.", 7},  {"4.", 10},  {"5.", 20},   {"6.", 145},
                {"7.", 37},  {"9.", 54},  {"10.", 1}, {"12.", 90}, {"13.", 126}, {"14.", 54},
                {"15.", 24}, {"16.", 12}, {"17.", 7}, {"18.", 32}, {"19.", 25}};
    size_t total = 0;
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        size_t n = 0;
        for (size_t i = 0; i < cat.n_cases; i++)
            if (strncmp(cat.cases[i].id, want[w].prefix, strlen(want[w].prefix)) == 0)
                n++;
        if (n != want[w].n)
            fail_msg("section %s has %zu cases, want %zu", want[w].prefix, n, want[w].n);
        total += n;
    }
    /* Autobahn's 517, and sections 14-19 */
    assert_int_equal(total, 517 + 54 + 24 + 12 + 7 + 32 + 25);
    assert_int_equal(cat.n_cases, total);
    /* catalogue order is numeric: 1.1.1 first, 10.1.1 last, 9.8.6 before it */
    assert_string_equal(cat.cases[0].id, "1.1.1");
    assert_string_equal(cat.cases[299].id, "9.8.6");
    assert_string_equal(cat.cases[300].id, "10.1.1");
}

static void test_framing_and_pings(void **state)
{
    (void)state;
    const struct case_def *d = get("1.1.8"); /* TEXT 65536x'*' [chop 997], KA 10 */
    assert_int_equal(d->n_steps, 1);
    assert_int_equal(d->steps[0].type, STEP_FRAME);
    assert_int_equal(d->steps[0].opcode, 1);
    assert_int_equal(d->steps[0].chop, 997);
    assert_repeat(&d->steps[0].payload, 65536, "*", 1);
    assert_true(d->kill_after == 10);
    assert_int_equal(d->ok.n, 1);
    assert_int_equal(d->ok.events[0].type, EV_MESSAGE);
    assert_false(d->ok.events[0].binary);
    assert_repeat(&d->ok.events[0].payload, 65536, "*", 1);
    assert_close(d, true, 1000, true);

    d = get("1.2.3"); /* BIN 126x0xFE */
    assert_int_equal(d->steps[0].opcode, 2);
    assert_repeat(&d->steps[0].payload, 126, "\xfe", 1);
    assert_true(d->ok.events[0].binary);

    d = get("2.5"); /* PING 126x0xFE -> peer fails, 1002 */
    assert_int_equal(d->steps[0].opcode, 9);
    assert_repeat(&d->steps[0].payload, 126, "\xfe", 1);
    assert_true(d->ok.present && d->ok.n == 0);
    assert_close(d, false, 1002, false);

    d = get("2.10"); /* ten pings, ten pongs in order, CA 3 */
    assert_int_equal(d->n_steps, 10);
    assert_int_equal(d->ok.n, 10);
    assert_bytes(&d->ok.events[9].payload, "payload-9", 9);
    assert_int_equal(d->ok.events[9].type, EV_PONG);
    assert_true(d->close_after == 3);
}

static void test_reserved_bits_and_opcodes(void **state)
{
    (void)state;
    const struct case_def *d = get("3.4"); /* chop 1, RSV=4 on the 2nd frame, NON-STRICT [] */
    assert_int_equal(d->n_steps, 3);
    assert_int_equal(d->steps[1].rsv, 4);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(d->steps[i].chop, 1);
    assert_int_equal(d->steps[2].opcode, 9);
    assert_int_equal(d->ok.n, 1);
    assert_true(d->non_strict.present && d->non_strict.n == 0);
    assert_close(d, false, 1002, false);

    d = get("3.7"); /* CLOSE with RSV=7 */
    assert_int_equal(d->steps[0].opcode, 8);
    assert_int_equal(d->steps[0].rsv, 7);

    d = get("4.2.3"); /* TEXT, op=13, PING */
    assert_int_equal(d->steps[1].opcode, 13);
    assert_int_equal(d->steps[1].payload.len, 0);
}

static void test_fragmentation(void **state)
{
    (void)state;
    const struct case_def *d = get("5.19");
    static const char *const pongs[] = {"pongme 1!", "pongme 2!"};
    assert_int_equal(d->ok.n, 3);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(d->ok.events[i].type, EV_PONG);
        assert_bytes(&d->ok.events[i].payload, pongs[i], 9);
    }
    assert_bytes(&d->ok.events[2].payload, "fragment1fragment2fragment3fragment4fragment5", 45);
    size_t waits = 0;
    for (size_t i = 0; i < d->n_steps; i++)
        if (d->steps[i].type == STEP_WAIT) {
            waits++;
            assert_true(d->steps[i].seconds == 1);
            assert_string_equal(d->steps[i].tag, "");
        }
    assert_int_equal(waits, 1);
    assert_false(get("5.19")->steps[0].sync);
    assert_true(get("5.20")->steps[0].sync);

    d = get("5.15"); /* fragment1+2 echoed, then broken sequence */
    assert_int_equal(d->n_steps, 4);
    assert_false(d->steps[2].fin);
    assert_int_equal(d->steps[2].opcode, 0);
    assert_int_equal(d->steps[3].opcode, 1);
}

static void test_utf8(void **state)
{
    (void)state;
    /* 6.4.3: one 21-byte TEXT frame, FIN=0, payload in 3 parts 1 s apart (tags A, B),
     * then an empty final CONT (catalogue errata 1) */
    const struct case_def *d = get("6.4.3");
    assert_int_equal(d->steps[0].type, STEP_BEGIN);
    assert_false(d->steps[0].fin);
    assert_true(d->steps[0].len_override);
    assert_int_equal(d->steps[0].declared_len, 21);
    static const struct {
        enum step_type type;
        uint64_t len;
        const char *tag;
    } want[] = {{STEP_PAYLOAD, 11, ""}, {STEP_WAIT, 0, "A"},   {STEP_PAYLOAD, 4, ""},
                {STEP_WAIT, 0, "B"},    {STEP_PAYLOAD, 6, ""}, {STEP_FRAME, 0, ""}};
    assert_int_equal(d->n_steps, 7);
    for (size_t i = 0; i < 6; i++) {
        const struct step *s = &d->steps[i + 1];
        assert_int_equal(s->type, want[i].type);
        if (s->type == STEP_WAIT)
            assert_string_equal(s->tag, want[i].tag);
        else
            assert_int_equal(s->payload.len, want[i].len);
    }
    assert_bytes(&d->steps[3].payload, "\xf4\x90\x80\x80", 4);
    assert_int_equal(d->steps[6].opcode, 0);
    assert_true(d->steps[6].fin);
    assert_int_equal(d->ok.n, 1);
    assert_int_equal(d->ok.events[0].type, EV_TIMEOUT);
    assert_int_equal(d->non_strict.n, 2);
    assert_true(d->close.wrong_closer_fatal);
    assert_close(d, false, 1007, false);

    /* 6.5-6.23: 63 valid (echo, we close, clean) and 69 invalid (peer fails 1007) */
    size_t valid = 0, invalid = 0;
    for (size_t i = 0; i < cat.n_cases; i++) {
        const struct case_def *c = &cat.cases[i];
        int major, minor;
        if (sscanf(c->id, "%d.%d", &major, &minor) != 2 || major != 6 || minor < 5)
            continue;
        assert_int_equal(c->n_steps, 1);
        assert_int_equal(c->steps[0].type, STEP_FRAME);
        assert_true(c->kill_after == 0.5);
        if (c->close.closed_by_me) {
            valid++;
            /* the echo expected is exactly the payload sent */
            size_t n = (size_t)c->steps[0].payload.len;
            uint8_t *sent = malloc(n ? n : 1);
            assert_non_null(sent);
            payload_copy(&c->steps[0].payload, 0, sent, n);
            assert_int_equal(c->ok.n, 1);
            assert_true(payload_equal(&c->ok.events[0].payload, sent, n));
            free(sent);
            assert_close(c, true, 1000, true);
        } else {
            invalid++;
            assert_true(c->close.wrong_closer_fatal);
            assert_close(c, false, 1007, false);
        }
    }
    assert_int_equal(valid, 63);
    assert_int_equal(invalid, 69);
    /* a generator quirk kept on purpose: 6.12.8 is 0x80..0xBE (0xBF excluded) */
    d = get("6.12.8");
    uint8_t b[63];
    for (size_t i = 0; i < 63; i++)
        b[i] = (uint8_t)(0x80 + i);
    assert_bytes(&d->steps[0].payload, (const char *)b, 63);
}

static void test_close(void **state)
{
    (void)state;
    static const uint16_t valid[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009,
                                     1010, 1011, 3000, 3999, 4000, 4999};
    for (size_t i = 0; i < 13; i++) {
        char id[16];
        snprintf(id, sizeof id, "7.7.%zu", i + 1);
        const struct case_def *d = get(id);
        assert_int_equal(d->steps[0].type, STEP_CLOSE);
        assert_int_equal(d->steps[0].close_code, valid[i]);
        assert_close(d, true, 1000, true);
        assert_close(d, true, valid[i], true);
        assert_true(d->close.wrong_code_fails);
    }
    static const uint16_t invalid[] = {0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999};
    for (size_t i = 0; i < 9; i++) {
        char id[16];
        snprintf(id, sizeof id, "7.9.%zu", i + 1);
        const struct case_def *d = get(id);
        assert_int_equal(d->steps[0].close_code, invalid[i]);
        assert_close(d, true, 1002, false);
        assert_int_equal(d->close.n_codes, 1);
    }
    const struct case_def *d = get("7.3.6"); /* 126-byte close payload */
    assert_true(d->steps[0].close_raw);
    assert_int_equal(d->steps[0].payload.len, 126);
    d = get("7.13.2");
    assert_int_equal(d->judge, JUDGE_INFORMATIONAL);
    assert_int_equal(d->steps[0].close_code, 65535);
    assert_int_equal(get("7.1.6")->judge, JUDGE_INFORMATIONAL);
    assert_false(get("7.1.6")->close.wrong_code_fails); /* errata 6 */
}

static void test_limits(void **state)
{
    (void)state;
    const struct case_def *d = get("9.1.6");
    assert_repeat(&d->steps[0].payload, 16777216, "BAsd7&jh23", 10);
    assert_int_equal(d->judge, JUDGE_SIZE);
    assert_false(d->size_binary);
    assert_int_equal(d->size_len, 16777216);
    assert_true(d->close_after == 100);
    d = get("9.2.5"); /* 8 MiB although Autobahn's description says 16M */
    assert_repeat(&d->steps[0].payload, 8388608, "\x00\xfe\x23\xfa\xf0", 5);
    d = get("9.3.1");
    assert_int_equal(d->steps[0].type, STEP_MESSAGE);
    assert_int_equal(d->steps[0].fragment, 64);
    assert_repeat(&d->steps[0].payload, 4194304, "*", 1);
    d = get("9.4.1"); /* 0xFE, while 9.4.2-9.4.9 send '*' */
    assert_repeat(&d->steps[0].payload, 4194304, "\xfe", 1);
    assert_repeat(&get("9.4.2")->steps[0].payload, 4194304, "*", 1);
    assert_int_equal(get("9.5.6")->steps[0].chop, 2048);
    d = get("9.7.6");
    assert_int_equal(d->steps[0].type, STEP_ROUNDTRIP);
    assert_int_equal(d->steps[0].count, 1000);
    assert_int_equal(d->steps[0].payload.len, 4096);
    assert_int_equal(d->size_count, 1000);
    assert_true(d->close_after == 480);
    assert_true(get("9.8.1")->size_binary);
    assert_int_equal(get("9.8.1")->steps[0].payload.len, 0);

    d = get("10.1.1");
    assert_int_equal(d->steps[0].fragment, 1300);
    assert_repeat(&d->steps[0].payload, 65536, "*", 1);
}

/* Section 17: the probes carry their policy, and {NAME} is the declared value or the
 * survey value. */
static void test_hardening(void **state)
{
    (void)state;
    const struct case_def *d = get("17.1.1"); /* survey: five sizes, informational */
    assert_int_equal(d->judge, JUDGE_INFORMATIONAL);
    assert_false(d->has_policy);
    assert_int_equal(d->n_steps, 5);
    assert_int_equal(d->steps[4].payload.len, 16777216);
    assert_int_equal(d->ok.n, 5);

    d = get("17.1.2");
    assert_true(d->has_policy && !d->policy_declared);
    assert_string_equal(d->policy_value, "1048576");
    assert_int_equal(d->steps[0].payload.len, 1048576);
    assert_int_equal(d->ok.events[0].payload.len, 1048576);
    assert_close(d, true, 1000, true);

    d = get("17.1.3"); /* one byte over, refused */
    assert_int_equal(d->steps[0].payload.len, 1048577);
    assert_true(d->ok.present && d->ok.n == 0);
    assert_close(d, false, 1009, false);
    assert_true(d->close.wrong_closer_fatal);

    d = get("17.2.1"); /* 2^40 declared, 50 bytes one per 20 ms */
    assert_int_equal(d->steps[0].type, STEP_BEGIN);
    assert_int_equal(d->steps[0].declared_len, 1ull << 40);
    assert_int_equal(d->steps[1].type, STEP_PAYLOAD);
    assert_int_equal(d->steps[1].chop, 1);
    assert_true(d->steps[1].pause == 0.02);
    assert_int_equal(d->steps[1].payload.len, 50);

    d = get("17.3.1");
    assert_true(d->steps[0].type == STEP_WAIT && d->steps[0].seconds == 0.5);

    /* declared: the same files read with the user's values */
    struct case_catalogue dc;
    memset(&dc, 0, sizeof dc);
    dc.policy_values[CP_MAX_MESSAGE_SIZE] = "65536";
    dc.policy_values[CP_IDLE_TIMEOUT] = "2.5";
    const char *dir = getenv("WSSPEC_CASES") ? getenv("WSSPEC_CASES") : "cases";
    assert_int_equal(case_parse_dir(&dc, dir, diag, NULL), 0);
    for (size_t i = 0; i < dc.n_cases; i++) {
        const struct case_def *c = &dc.cases[i];
        if (!strcmp(c->id, "17.1.3")) {
            assert_true(c->policy_declared);
            assert_string_equal(c->policy_value, "65536");
            assert_int_equal(c->steps[0].payload.len, 65537);
            assert_non_null(strstr(c->title, "65536 + 1 bytes"));
        } else if (!strcmp(c->id, "17.3.1")) {
            assert_true(c->policy_declared && c->steps[0].seconds == 2.5);
        } else if (!strcmp(c->id, "17.2.1")) {
            assert_true(c->policy_declared);
        }
    }
    case_catalogue_free(&dc);
}

/* Section 15 (wsspec's own): what makes each group test what it says - no mask bit on
 * every frame kind, zero and fixed keys with chops inside the header, the lengths
 * declared past what is sent - and how each group is judged. */
static void test_masking_and_length(void **state)
{
    (void)state;
    static const uint8_t unmasked_op[] = {WS_OP_TEXT,  WS_OP_BINARY, WS_OP_PING,
                                          WS_OP_CLOSE, WS_OP_PONG,   WS_OP_TEXT};
    for (size_t i = 0; i < sizeof unmasked_op; i++) {
        char id[16];
        snprintf(id, sizeof id, "15.1.%zu", i + 1);
        const struct case_def *d = get(id);
        assert_int_equal(d->steps[0].mask, MASK_NONE);
        assert_int_equal(d->steps[0].opcode, unmasked_op[i]);
        assert_close(d, false, 1002, false);
        assert_int_equal(d->close.n_codes, 1);
        assert_int_equal(d->judge, JUDGE_EVENTS);
    }
    const struct case_def *d = get("15.1.8"); /* masked first fragment, unmasked CONT */
    assert_int_equal(d->steps[0].mask, MASK_DEFAULT);
    assert_int_equal(d->steps[1].opcode, WS_OP_CONT);
    assert_int_equal(d->steps[1].mask, MASK_NONE);

    d = get("15.2.1");
    assert_int_equal(d->steps[0].mask, MASK_FIXED);
    assert_memory_equal(d->steps[0].mask_key, "\0\0\0\0", 4);
    assert_close(d, true, 1000, true);
    d = get("15.2.4"); /* the header, key included, one octet per write */
    assert_int_equal(d->steps[0].type, STEP_BEGIN);
    assert_int_equal(d->steps[0].chop, 1);
    assert_int_equal(d->steps[0].declared_len, 13);
    assert_int_equal(d->steps[1].type, STEP_PAYLOAD);
    d = get("15.2.7"); /* payload parts of 1, 2, 3, 5, 5 octets after a sync header */
    assert_true(d->steps[0].sync);
    static const uint64_t part[] = {1, 2, 3, 5, 5};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(d->steps[1 + i].payload.len, part[i]);

    for (int i = 1; i <= 3; i++) { /* non-minimal lengths: never judged */
        char id[16];
        snprintf(id, sizeof id, "15.3.%d", i);
        assert_int_equal(get(id)->judge, JUDGE_INFORMATIONAL);
        assert_int_not_equal(get(id)->steps[0].len_form, WS_LEN_MINIMAL);
    }

    d = get("15.4.1"); /* 2^63 + 5 declared, 5 sent */
    assert_int_equal(d->steps[0].declared_len, (UINT64_C(1) << 63) + 5);
    assert_int_equal(d->steps[0].payload.len, 5);
    assert_close(d, false, 1002, false);
    assert_close(d, false, 1009, false);
    assert_int_equal(get("15.4.2")->steps[0].declared_len, UINT64_MAX);
    static const uint64_t tib[] = {UINT64_C(1) << 40, (UINT64_C(1) << 40) + 13};
    for (size_t i = 0; i < 2; i++) { /* 15.4.3, 15.4.4: 2^40 (+ 13) declared, 16/13 sent */
        char id[16];
        snprintf(id, sizeof id, "15.4.%zu", i + 3);
        d = get(id);
        assert_int_equal(d->steps[0].declared_len, tib[i]);
        assert_true(d->steps[0].payload.len <= 16);
        assert_close(d, false, 1009, false);
        assert_close(d, false, 1002, false);
        assert_true(d->kill_after == 1);
    }
    d = get("15.4.5"); /* the 2^40 continuation of a started message */
    assert_int_equal(d->steps[1].opcode, WS_OP_CONT);
    assert_int_equal(d->steps[1].declared_len, UINT64_C(1) << 40);
}

/* every case quotes at least one requirement and has a timer - but a case that ends
 * with the response to its opening request, which the opening-handshake timeout bounds */
static void test_every_case_documented(void **state)
{
    (void)state;
    for (size_t i = 0; i < cat.n_cases; i++) {
        const struct case_def *d = &cat.cases[i];
        if (d->n_rfc == 0 || strlen(d->rfc[0].sentence) < 20)
            fail_msg("%s has no RFC sentence", d->id);
        if (d->kill_after <= 0 && d->close_after <= 0 && !d->ends_at_response)
            fail_msg("%s has no timer", d->id);
    }
}

/* the opening handshake and negotiation: what is sent and what is checked */
static void test_handshake_sections(void **state)
{
    (void)state;
    const struct case_def *d = get("14.2.1"); /* no Host: exactly 400 (RFC 9112 3.2) */
    assert_true(d->ends_at_response && d->request.own && d->n_steps == 0);
    assert_int_equal(d->request.edits[0].kind, EDIT_DROP);
    assert_string_equal(d->request.edits[0].name, "Host");
    assert_int_equal(d->checks[0].kind, CK_STATUS);
    assert_int_equal(d->checks[0].doc, 9112);
    assert_true(d->checks[0].status.n_codes == 1 && d->checks[0].status.codes[0] == 400);

    d = get("14.6.2"); /* version 12: a 4xx naming 13, and Upgrade on a 426 */
    assert_int_equal(d->n_checks, 3);
    assert_payload_is(&d->request.edits[0].value, "12");
    assert_true(d->checks[2].conditional && d->checks[2].when.codes[0] == 426);

    d = get("14.6.1"); /* version 8: a 101 is allowed (MAY), then the echo */
    assert_false(d->ends_at_response);
    assert_int_equal(d->checks[3].level, RFC_MAY);
    assert_int_equal(d->n_steps, 1);

    d = get("14.8.3"); /* dripped */
    assert_true(d->request.chop == 32 && d->request.gap == 0.02);
    d = get("14.8.4"); /* a frame behind the request, in the same write */
    assert_true(d->steps[0].pipelined && d->judge == JUDGE_INFORMATIONAL);
    d = get("14.7.7"); /* 256 KiB of header lines */
    assert_int_equal(d->request.edits[0].value.len, 262142);

    d = get("16.2.5"); /* a malformed extension offer: refused or closed */
    assert_true(d->ends_at_response && d->checks[0].status.none);
    d = get("16.1.5"); /* what --subprotocol gives: the request as always */
    assert_false(d->request.own);
    assert_int_equal(d->checks[1].kind, CK_PROTOCOL_OFFERED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_handshake_sections),
        cmocka_unit_test(test_framing_and_pings),
        cmocka_unit_test(test_reserved_bits_and_opcodes),
        cmocka_unit_test(test_fragmentation),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_close),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_hardening),
        cmocka_unit_test(test_masking_and_length),
        cmocka_unit_test(test_every_case_documented),
    };
    return cmocka_run_group_tests_name("catalogue", tests, setup, teardown);
}

/*
 * test_fuzz_mutate.c - unit tests for `wsspec fuzz`'s mutants (fuzz_mutate.c): the
 * generator repeats from a seed and stays in range; the same seed draws the same mutants
 * from the catalogue's cases; every mutant that reads back is a fixed point of
 * print-and-parse (a case file replays exactly what ran) and is a fuzz case within the
 * bounds fuzz_mutate.h promises (informational, no expected events, timers, waits,
 * sizes and request edits cut); most mutants read back, and most differ from their seed;
 * some are compressed (the permessage-deflate offer and RSV1 frames), their streams
 * damaged, and among them bombs: a small payload that inflates to many MiB.
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include "case.h"
#include "case_print.h"
#include "fuzz_mutate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MUTANTS 400

static struct case_catalogue cat;
static const struct case_def **seeds;
static size_t n_seeds;

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
    if (case_parse_dir(&cat, dir, diag, NULL) != 0 || cat.n_cases == 0)
        return -1;
    size_t *idx = calloc(cat.n_cases, sizeof *idx);
    seeds = calloc(cat.n_cases, sizeof *seeds);
    if (!idx || !seeds)
        return -1;
    size_t n = case_select(&cat, "1.*,2.*,5.*,6.*,7.*,16.*", NULL, idx);
    for (size_t i = 0; i < n; i++)
        seeds[n_seeds++] = &cat.cases[idx[i]];
    free(idx);
    return n_seeds ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(seeds);
    case_catalogue_free(&cat);
    return 0;
}

static void test_rng(void **state)
{
    (void)state;
    struct fuzz_rng a = {.s = 7}, b = {.s = 7}, z = {.s = 0};
    uint64_t prev = 1;
    bool moved = false;
    for (int i = 0; i < 10000; i++) {
        assert_true(fuzz_rng_next(&a) == fuzz_rng_next(&b));
        uint64_t n = (uint64_t)(i % 97) + 1;
        assert_true(fuzz_rng_below(&a, n) < n);
        (void)fuzz_rng_below(&b, n);
        uint64_t v = fuzz_rng_next(&z); /* seed 0 is a full stream too */
        moved |= v != prev;
        prev = v;
    }
    assert_true(moved);
}

/* The next mutant r draws, as fuzz_cmd.c draws one: its text (caller frees), or NULL
 * when it did not read back (discarded). *from: its seed case. */
static char *mutant(struct fuzz_rng *r, const struct case_def **from)
{
    const struct case_def *seed = seeds[fuzz_rng_below(r, n_seeds)];
    struct case_catalogue one, back;
    assert_int_equal(fuzz_case_copy(seed, "90.1", &one, NULL), 0);
    int rc = fuzz_mutate(&one.cases[0], seeds, n_seeds, 1 + (unsigned)fuzz_rng_below(r, 4), r);
    assert_int_equal(rc, 0);
    fuzz_mutant_prepare(&one.cases[0]);
    char *text = NULL;
    if (fuzz_case_copy(&one.cases[0], "90.1", &back, &text) == 0)
        case_catalogue_free(&back);
    case_catalogue_free(&one);
    *from = seed;
    return text;
}

static void test_same_seed_same_mutants(void **state)
{
    (void)state;
    struct fuzz_rng a = {.s = 42}, b = {.s = 42};
    for (int i = 0; i < MUTANTS / 4; i++) {
        const struct case_def *fa, *fb;
        char *ta = mutant(&a, &fa), *tb = mutant(&b, &fb);
        assert_ptr_equal(fa, fb);
        assert_true((ta == NULL) == (tb == NULL));
        if (ta)
            assert_string_equal(ta, tb);
        free(ta);
        free(tb);
    }
}

static void check_bounds(const struct case_def *c)
{
    assert_int_equal(c->judge, JUDGE_INFORMATIONAL);
    assert_int_equal(c->ok.n, 0);
    assert_int_equal(c->non_strict.n, 0);
    assert_true(c->kill_after > 0 && c->kill_after <= FUZZ_KILL_AFTER_MAX);
    assert_true(c->close_after > 0 && c->close_after <= FUZZ_CLOSE_AFTER);
    assert_true(c->request.n_edits <= 16);
    for (size_t i = 0; i < c->n_steps; i++) {
        const struct step *st = &c->steps[i];
        assert_true(st->type != STEP_ROUNDTRIP);
        if (st->type == STEP_WAIT)
            assert_true(st->seconds <= FUZZ_WAIT_MAX);
        for (size_t k = 0; k < st->payload.n_segs; k++)
            assert_true(st->payload.segs[k].len <= FUZZ_PAYLOAD_MAX ||
                        st->payload.segs[k].len == st->payload.segs[k].pat_len);
    }
}

static void test_mutants_read_back_within_bounds(void **state)
{
    (void)state;
    struct fuzz_rng r = {.s = 1};
    size_t ok = 0, changed = 0;
    for (int i = 0; i < MUTANTS; i++) {
        const struct case_def *from;
        char *text = mutant(&r, &from);
        if (!text)
            continue;
        ok++;
        struct case_catalogue one;
        memset(&one, 0, sizeof one);
        assert_int_equal(case_parse_buffer(&one, "m", text, strlen(text), diag, NULL), 0);
        assert_int_equal(one.n_cases, 1);
        check_bounds(&one.cases[0]);
        /* printed again: the same text (what a finding's file says is what ran) */
        char *again = case_print_string(&one.cases[0], "90.1");
        assert_non_null(again);
        assert_string_equal(again, text);
        /* the seed made a fuzz case the same way, without mutations */
        struct case_catalogue plain;
        char *plain_text = NULL;
        assert_int_equal(fuzz_case_copy(from, "90.1", &plain, NULL), 0);
        fuzz_mutant_prepare(&plain.cases[0]);
        struct case_catalogue back;
        if (fuzz_case_copy(&plain.cases[0], "90.1", &back, &plain_text) == 0) {
            case_catalogue_free(&back);
            changed += strcmp(plain_text, text) != 0;
        }
        free(plain_text);
        case_catalogue_free(&plain);
        free(again);
        case_catalogue_free(&one);
        free(text);
    }
    assert_true(ok * 2 > MUTANTS);     /* most read back */
    assert_true(changed * 4 > ok * 3); /* and most differ from their seed */
}

/* Inflate p's bytes (a compressed message: the 00 00 ff ff tail put back) as
 * permessage-deflate does, counting the output up to cap. *ok: no error. */
static uint64_t inflated_size(const struct payload *p, uint64_t cap, bool *ok)
{
    size_t n = (size_t)p->len;
    uint8_t *in = malloc(n + 4), *out = malloc(65536);
    assert_non_null(in);
    assert_non_null(out);
    payload_copy(p, 0, in, n);
    memcpy(in + n, "\x00\x00\xff\xff", 4);
    z_stream z = {0};
    assert_int_equal(inflateInit2(&z, -15), Z_OK);
    z.next_in = in;
    z.avail_in = (uInt)(n + 4);
    uint64_t total = 0;
    int rc = Z_OK;
    /* each round either produces output or ends: bounded by cap / 64 KiB rounds */
    while (rc == Z_OK && total < cap && (z.avail_in > 0 || z.avail_out == 0)) {
        z.next_out = out;
        z.avail_out = 65536;
        rc = inflate(&z, Z_SYNC_FLUSH);
        total += 65536 - z.avail_out;
        if (rc == Z_BUF_ERROR && z.avail_out == 65536)
            break; /* no progress: the input is used up */
    }
    *ok = rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR;
    inflateEnd(&z);
    free(in);
    free(out);
    return total;
}

static void test_compressed_mutants(void **state)
{
    (void)state;
    struct fuzz_rng r = {.s = 5};
    size_t offered = 0, rsv1 = 0, corrupt = 0, bombs = 0, control = 0;
    for (int i = 0; i < MUTANTS * 2; i++) {
        const struct case_def *from;
        char *text = mutant(&r, &from);
        if (!text)
            continue;
        struct case_catalogue one;
        memset(&one, 0, sizeof one);
        assert_int_equal(case_parse_buffer(&one, "m", text, strlen(text), diag, NULL), 0);
        const struct case_def *c = &one.cases[0];
        if (c->deflate_offer) {
            offered++;
            assert_string_equal(c->deflate_offer, "permessage-deflate");
            for (size_t k = 0; k < c->n_steps; k++) {
                const struct step *st = &c->steps[k];
                if (st->type != STEP_FRAME || !(st->rsv & 4))
                    continue;
                rsv1++;
                control += (st->opcode & 8) != 0;
                if (st->opcode != WS_OP_TEXT && st->opcode != WS_OP_BINARY)
                    continue;
                bool ok;
                uint64_t big = inflated_size(&st->payload, 32u << 20, &ok);
                corrupt += !ok;
                if (st->payload.len <= 32768 && big >= (8u << 20))
                    bombs++;
            }
        }
        case_catalogue_free(&one);
        free(text);
    }
    assert_true(offered > 0 && rsv1 > 0);
    assert_true(corrupt > 0); /* damaged streams zlib refuses */
    assert_true(control > 0); /* RSV1 on a control frame */
    assert_true(bombs > 0);   /* at most 32 KiB sent, at least 8 MiB inflated */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng),
        cmocka_unit_test(test_same_seed_same_mutants),
        cmocka_unit_test(test_mutants_read_back_within_bounds),
        cmocka_unit_test(test_compressed_mutants),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

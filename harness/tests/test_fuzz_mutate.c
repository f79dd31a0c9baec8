/*
 * test_fuzz_mutate.c - unit tests for `wsspec fuzz`'s mutants (fuzz_mutate.c): the
 * generator repeats from a seed and stays in range; the same seed draws the same mutants
 * from the catalogue's cases; every mutant that reads back is a fixed point of
 * print-and-parse (a case file replays exactly what ran) and is a fuzz case within the
 * bounds fuzz_mutate.h promises (informational, no expected events, timers, waits,
 * sizes and request edits cut); most mutants read back, and most differ from their seed.
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include "case.h"
#include "case_print.h"
#include "fuzz_mutate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng),
        cmocka_unit_test(test_same_seed_same_mutants),
        cmocka_unit_test(test_mutants_read_back_within_bounds),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

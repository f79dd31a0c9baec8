/*
 * test_liveness.c - the liveness checks' bookkeeping (liveness.h) without a socket: the
 * first check gates the first case (for a while); with -j 1 every case waits for its check and a
 * failing check blames exactly that case; with -j N a check covers the cases that ended
 * before it started, the cases that ran since the last passing check are suspects (not
 * run, named in the blame text) and the never started ones stay not run; a first check
 * that fails turns the checks off instead of blaming anyone; an interrupt reports what
 * ended; the blame text fits its buffer however many suspects there are.
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include "liveness.h"

#include <stdio.h>
#include <string.h>

/* What the bookkeeping reported, in order. */
struct seen {
    size_t idx[64];
    size_t n;
};

static void collect(void *ud, size_t i)
{
    struct seen *s = ud;
    assert_true(s->n < 64);
    s->idx[s->n++] = i;
}

static const char *const ids[] = {"1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8"};

/* The first check passes: cases may start. */
static void first_check_passes(struct liveness *L, struct seen *s)
{
    assert_false(liveness_may_start(L, 4));
    assert_true(liveness_check_due(L, 4));
    liveness_check_started(L);
    assert_false(liveness_check_due(L, 4)); /* one in flight */
    assert_false(liveness_may_start(L, 4));
    liveness_check_passed(L, collect, s);
    assert_int_equal(L->state, LIVENESS_ON);
    assert_int_equal(s->n, 0);
}

static void test_one_job_exact(void **state)
{
    (void)state;
    struct liveness L;
    struct seen s = {0};
    assert_true(liveness_init(&L, 3, true));
    first_check_passes(&L, &s);
    assert_false(liveness_check_due(&L, 1)); /* nothing ended: nothing owed */
    assert_true(liveness_may_start(&L, 1));
    liveness_case_started(&L, 0);
    assert_false(liveness_case_ended(&L, 0, true));
    assert_false(liveness_may_start(&L, 1)); /* 1.1 waits for its check */
    assert_true(liveness_check_due(&L, 1));
    liveness_check_started(&L);
    liveness_check_passed(&L, collect, &s);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.idx[0], 0);
    assert_true(liveness_may_start(&L, 1));
    liveness_case_started(&L, 1);
    liveness_case_ended(&L, 1, true);
    liveness_check_started(&L);
    liveness_check_failed(&L, collect, &s);
    assert_int_equal(L.state, LIVENESS_DEAD);
    assert_int_equal(L.blamed, 1);
    assert_int_equal(L.cases[1], LIVE_BLAMED);
    assert_int_equal(L.cases[2], LIVE_WAITING); /* never started: not run */
    assert_int_equal(liveness_n_suspects(&L), 0);
    assert_int_equal(s.n, 1); /* nothing more reported */
    assert_false(liveness_may_start(&L, 1));
    assert_false(liveness_check_due(&L, 1));
    char text[256];
    liveness_blame_text(&L, ids, "this case", text, sizeof text);
    assert_string_equal(text, "target stopped answering after this case");
    liveness_free(&L);
}

static void test_batch_and_suspects(void **state)
{
    (void)state;
    struct liveness L;
    struct seen s = {0};
    assert_true(liveness_init(&L, 6, true));
    first_check_passes(&L, &s);
    for (size_t i = 0; i < 3; i++)
        liveness_case_started(&L, i);
    liveness_case_ended(&L, 0, true);
    assert_false(liveness_check_due(&L, 3)); /* one of 3 ended, two running: later */
    assert_true(liveness_check_due(&L, 1));
    liveness_check_started(&L);             /* for 1.1 */
    liveness_case_ended(&L, 1, true);       /* after the check started: not covered by it */
    assert_true(liveness_may_start(&L, 3)); /* 2 ended < 2 x 3 jobs */
    liveness_case_started(&L, 3);
    liveness_check_failed(&L, collect, &s);
    assert_int_equal(L.blamed, 0);
    assert_int_equal(L.cases[1], LIVE_SUSPECT); /* ended since the last passing check */
    assert_int_equal(L.cases[2], LIVE_SUSPECT); /* still running */
    assert_int_equal(L.cases[3], LIVE_SUSPECT);
    assert_int_equal(L.cases[4], LIVE_WAITING);
    assert_int_equal(liveness_n_suspects(&L), 3);
    assert_int_equal(s.n, 0);
    char text[256];
    liveness_blame_text(&L, ids, "this case", text, sizeof text);
    assert_string_equal(text, "target stopped answering after this case (or after one of 1.2, "
                              "1.3, 1.4, which ran at the same time; rerun with -j 1 to tell "
                              "which)");
    liveness_blame_text(&L, ids, "case 1.1", text, sizeof text);
    assert_non_null(strstr(text, "after case 1.1 (or after one of 1.2,"));
    liveness_free(&L);
}

/* A passing check reports only the cases that ended before it started; the others are
 * owed the next check, which is due at once. */
static void test_pass_covers_earlier_only(void **state)
{
    (void)state;
    struct liveness L;
    struct seen s = {0};
    assert_true(liveness_init(&L, 4, true));
    first_check_passes(&L, &s);
    liveness_case_started(&L, 0);
    liveness_case_started(&L, 1);
    liveness_case_ended(&L, 1, true);
    liveness_check_started(&L);
    liveness_case_ended(&L, 0, true);
    liveness_check_passed(&L, collect, &s);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.idx[0], 1);
    assert_int_equal(L.cases[0], LIVE_ENDED);
    assert_true(liveness_check_due(&L, 4)); /* none running: the one that ended is owed */
    liveness_check_started(&L);
    liveness_check_failed(&L, collect, &s);
    assert_int_equal(L.blamed, 0); /* 1.2 was proven innocent: it is reported, not blamed */
    assert_int_equal(L.cases[1], LIVE_REPORTED);
    assert_int_equal(liveness_n_suspects(&L), 0);
    liveness_free(&L);
}

/* Of a batch that all closed cleanly, the first case to end is blamed, the others are
 * suspects. */
static void test_batch_blames_first_ended(void **state)
{
    (void)state;
    struct liveness L;
    struct seen s = {0};
    assert_true(liveness_init(&L, 4, true));
    first_check_passes(&L, &s);
    for (size_t i = 0; i < 3; i++)
        liveness_case_started(&L, i);
    liveness_case_ended(&L, 2, true);
    liveness_case_ended(&L, 0, true);
    liveness_check_started(&L);
    liveness_check_failed(&L, collect, &s);
    assert_int_equal(L.blamed, 2);
    assert_int_equal(L.cases[0], LIVE_SUSPECT);
    assert_int_equal(L.cases[1], LIVE_SUSPECT);
    char text[256];
    liveness_blame_text(&L, ids, "this case", text, sizeof text);
    assert_non_null(strstr(text, "(or after one of 1.1, 1.2, which ran"));
    liveness_free(&L);
}

/* A case that ended with a clean closing handshake left the target alive at its end:
 * of a batch, the first to end without one is blamed. */
static void test_batch_blames_unclean_first(void **state)
{
    (void)state;
    struct liveness L;
    struct seen s = {0};
    assert_true(liveness_init(&L, 3, true));
    first_check_passes(&L, &s);
    for (size_t i = 0; i < 3; i++)
        liveness_case_started(&L, i);
    liveness_case_ended(&L, 0, true);
    liveness_case_ended(&L, 2, false); /* the target dropped it */
    liveness_case_ended(&L, 1, false);
    liveness_check_started(&L);
    liveness_check_failed(&L, collect, &s);
    assert_int_equal(L.blamed, 2);
    assert_int_equal(L.cases[0], LIVE_SUSPECT);
    assert_int_equal(L.cases[1], LIVE_SUSPECT);
    liveness_free(&L);
}

/* With one suspect the text says "or after 1.2", not "one of". */
static void test_one_suspect_text(void **state)
{
    (void)state;
    struct liveness L;
    struct seen s = {0};
    assert_true(liveness_init(&L, 2, true));
    first_check_passes(&L, &s);
    liveness_case_started(&L, 0);
    liveness_case_started(&L, 1);
    liveness_case_ended(&L, 0, true);
    liveness_check_started(&L);
    liveness_check_failed(&L, collect, &s);
    char text[256];
    liveness_blame_text(&L, ids, "this case", text, sizeof text);
    assert_string_equal(text, "target stopped answering after this case (or after 1.2, which "
                              "ran at the same time; rerun with -j 1 to tell which)");
    liveness_free(&L);
}

/* The first check failing blames nobody: checks are off, cases report as they end. */
static void test_first_check_fails_off(void **state)
{
    (void)state;
    struct liveness L;
    struct seen s = {0};
    assert_true(liveness_init(&L, 2, true));
    liveness_check_started(&L);
    liveness_check_failed(&L, collect, &s);
    assert_int_equal(L.state, LIVENESS_OFF);
    assert_true(liveness_may_start(&L, 1));
    liveness_case_started(&L, 0);
    assert_true(liveness_case_ended(&L, 0, true));
    assert_false(liveness_check_due(&L, 1));
    liveness_case_started(&L, 1);
    assert_true(liveness_case_ended(&L, 1, true));
    assert_int_equal(s.n, 0); /* reported by the caller on the true return */
    liveness_free(&L);
}

/* A first check that takes too long: the cases start alongside it; when it fails after
 * all, the cases that ended meanwhile are reported as they are, nobody is blamed; when
 * it passes, they wait for the next check like any. */
static void test_first_check_overdue(void **state)
{
    (void)state;
    struct liveness L;
    struct seen s = {0};
    for (int passes = 0; passes < 2; passes++) {
        s.n = 0;
        assert_true(liveness_init(&L, 3, true));
        liveness_check_started(&L);
        assert_false(liveness_may_start(&L, 1));
        liveness_first_overdue(&L);
        assert_true(liveness_may_start(&L, 1));
        liveness_case_started(&L, 0);
        assert_false(liveness_case_ended(&L, 0, false));
        assert_false(liveness_may_start(&L, 1));
        assert_false(liveness_check_due(&L, 1)); /* the first one is still in flight */
        if (passes) {
            liveness_check_passed(&L, collect, &s);
            assert_int_equal(s.n, 0); /* 1.1 ended after it started */
            assert_true(liveness_check_due(&L, 1));
        } else {
            liveness_check_failed(&L, collect, &s);
            assert_int_equal(L.state, LIVENESS_OFF);
            assert_int_equal(s.n, 1);
            assert_int_equal(s.idx[0], 0);
        }
        liveness_free(&L);
    }
}

static void test_no_liveness(void **state)
{
    (void)state;
    struct liveness L;
    assert_true(liveness_init(&L, 2, false));
    assert_false(liveness_check_due(&L, 1));
    assert_true(liveness_may_start(&L, 1));
    liveness_case_started(&L, 0);
    assert_true(liveness_case_ended(&L, 0, true));
    assert_true(liveness_may_start(&L, 1));
    liveness_free(&L);
}

/* -j N: a check is owed once N cases have ended, or when some have and none runs; cases
 * go on starting until 2N wait for a check, then none until one passes. */
static void test_batches_and_throttle(void **state)
{
    (void)state;
    struct liveness L;
    struct seen s = {0};
    assert_true(liveness_init(&L, 8, true));
    first_check_passes(&L, &s);
    for (size_t i = 0; i < 3; i++)
        liveness_case_started(&L, i);
    liveness_case_ended(&L, 0, true);
    assert_false(liveness_check_due(&L, 2)); /* 1 of 2 ended, others running */
    liveness_case_ended(&L, 1, true);
    assert_true(liveness_check_due(&L, 2)); /* 2 ended */
    liveness_case_started(&L, 3);
    liveness_case_ended(&L, 2, true);
    liveness_case_ended(&L, 3, true);
    assert_true(liveness_check_due(&L, 8));  /* fewer than 8, but none running */
    assert_false(liveness_may_start(&L, 2)); /* 4 = 2 x 2 wait */
    assert_true(liveness_may_start(&L, 3));
    liveness_check_started(&L);
    liveness_check_passed(&L, collect, &s);
    assert_int_equal(s.n, 4);
    assert_true(liveness_may_start(&L, 2));
    liveness_free(&L);
}

/* An interrupt: what ended is reported with its verdict; running cases are the
 * caller's (not run). */
static void test_release(void **state)
{
    (void)state;
    struct liveness L;
    struct seen s = {0};
    assert_true(liveness_init(&L, 3, true));
    first_check_passes(&L, &s);
    liveness_case_started(&L, 0);
    liveness_case_started(&L, 1);
    liveness_case_ended(&L, 1, true);
    liveness_release(&L, collect, &s);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.idx[0], 1);
    assert_int_equal(L.cases[0], LIVE_RUNNING);
    liveness_free(&L);
}

/* 40 suspects: the text names as many as fit and says how many more, within 256 bytes. */
static void test_many_suspects_fit(void **state)
{
    (void)state;
    enum { N = 41 };
    char names[N][16];
    const char *many[N];
    for (size_t i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "9.%zu.%zu", i / 10 + 1, i % 10 + 1);
        many[i] = names[i];
    }
    struct liveness L;
    struct seen s = {0};
    assert_true(liveness_init(&L, N, true));
    first_check_passes(&L, &s);
    for (size_t i = 0; i < N; i++)
        liveness_case_started(&L, i);
    liveness_case_ended(&L, 0, true);
    liveness_check_started(&L);
    liveness_check_failed(&L, collect, &s);
    assert_int_equal(liveness_n_suspects(&L), N - 1);
    char text[256];
    liveness_blame_text(&L, many, "this case", text, sizeof text);
    assert_true(strlen(text) < sizeof text - 1); /* not cut off */
    assert_non_null(strstr(text, "(or after one of 9.1.2, 9.1.3"));
    assert_non_null(strstr(text, " more, which ran at the same time; rerun with -j 1"));
    liveness_free(&L);
}

static void test_fail_case(void **state)
{
    (void)state;
    struct case_result r = {0};
    r.behavior = B_OK;
    r.behavior_close = BC_OK;
    snprintf(r.difference, sizeof r.difference, "a rule");
    liveness_fail_case(&r, "target stopped answering after this case", "liveness check: refused");
    assert_int_equal(r.behavior, B_FAILED);
    assert_int_equal(r.behavior_close, BC_FAILED);
    assert_int_equal(r.rfc.behavior, B_FAILED);
    assert_int_equal(r.rfc.behavior_close, BC_FAILED);
    assert_string_equal(r.result, "target stopped answering after this case");
    assert_string_equal(r.rfc.result_close, "target stopped answering after this case");
    assert_string_equal(r.broken, "liveness check: refused");
    assert_string_equal(r.rfc.broken, "liveness check: refused");
    assert_string_equal(r.difference, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_job_exact),
        cmocka_unit_test(test_batch_and_suspects),
        cmocka_unit_test(test_pass_covers_earlier_only),
        cmocka_unit_test(test_batch_blames_first_ended),
        cmocka_unit_test(test_batch_blames_unclean_first),
        cmocka_unit_test(test_one_suspect_text),
        cmocka_unit_test(test_first_check_fails_off),
        cmocka_unit_test(test_first_check_overdue),
        cmocka_unit_test(test_no_liveness),
        cmocka_unit_test(test_batches_and_throttle),
        cmocka_unit_test(test_release),
        cmocka_unit_test(test_many_suspects_fit),
        cmocka_unit_test(test_fail_case),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

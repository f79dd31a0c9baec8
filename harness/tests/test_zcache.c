/*
 * test_zcache.c - the run's compressed roundtrip messages (zcache.h) on their own: a
 * group lives from its first hold to its last release; forms (window, level) are kept
 * apart; a put outside the group's count, for a group not held, or beyond the budget
 * stores nothing and the budget is never exceeded; zcache_order puts a group's cases
 * together and leaves the rest in order. (That the cached bytes are the right ones is
 * test_script.c's test_zcache_*: an echo inflates them.)
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include "zcache.h"

#include <stdlib.h>
#include <string.h>

/* Cases 1.1.1-1.1.6: two share (json, text, 64), one is (json, binary, 64), one
 * (json, text, 128), two send no data. */
static const char cases_text[] =
    "case 1.1.1\n  title t\n  expectation e\n  rfc 5.6 MUST \"x\"\n"
    "  roundtrip text data=json slice=64 count=10\n  expect echo count=10\n"
    "  close-rule tester 1000 clean\nend\n"
    "case 1.1.2\n  title t\n  expectation e\n  rfc 5.6 MUST \"x\"\n"
    "  send frame text \"a\"\n  expect OK message text \"a\"\n"
    "  close-rule tester 1000 clean\nend\n"
    "case 1.1.3\n  title t\n  expectation e\n  rfc 5.6 MUST \"x\"\n"
    "  roundtrip binary data=json slice=64 count=10\n  expect echo count=10\n"
    "  close-rule tester 1000 clean\nend\n"
    "case 1.1.4\n  title t\n  expectation e\n  rfc 5.6 MUST \"x\"\n"
    "  roundtrip text data=json slice=128 count=10\n  expect echo count=10\n"
    "  close-rule tester 1000 clean\nend\n"
    "case 1.1.5\n  title t\n  expectation e\n  rfc 5.6 MUST \"x\"\n"
    "  roundtrip text data=json slice=64 count=20 fragment=16\n  expect echo count=20\n"
    "  close-rule tester 1000 clean\nend\n"
    "case 1.1.6\n  title t\n  expectation e\n  rfc 5.6 MUST \"x\"\n"
    "  send frame text \"b\"\n  expect OK message text \"b\"\n"
    "  close-rule tester 1000 clean\nend\n";

static int setup(void **state)
{
    struct case_catalogue *cat = calloc(1, sizeof *cat);
    if (!cat || case_parse_buffer(cat, "t.wsc", cases_text, strlen(cases_text), NULL, NULL) != 0 ||
        cat->n_cases != 6)
        return -1;
    *state = cat;
    return 0;
}

static int teardown(void **state)
{
    case_catalogue_free(*state);
    free(*state);
    return 0;
}

static const uint8_t bytes[] = "0123456789abcdef";

static void test_group_lifetime(void **state)
{
    struct case_catalogue *cat = *state;
    const struct case_def *a = &cat->cases[0], *e = &cat->cases[4], *plain = &cat->cases[1];
    const struct step *st = zcache_step(a);
    assert_non_null(st);
    assert_null(zcache_step(plain));
    struct zcache zc;
    zcache_init(&zc, ZCACHE_DEFAULT_BUDGET);

    zcache_put(&zc, st, 15, 1, 0, bytes, 4); /* not held: nothing */
    assert_int_equal(zc.used, 0);
    size_t len = 99;
    assert_null(zcache_get(&zc, st, 15, 1, 0, &len));

    assert_true(zcache_hold(&zc, a));
    assert_true(zcache_hold(&zc, e)); /* the same group, 20 messages */
    assert_true(zcache_hold(&zc, plain));
    assert_int_equal(zc.n_groups, 1);
    assert_int_equal(zc.groups[0].holds, 2);
    assert_int_equal(zc.groups[0].count, 20);

    zcache_put(&zc, st, 15, 1, 19, bytes, 4);
    zcache_put(&zc, st, 15, 1, 20, bytes, 4); /* beyond the count */
    zcache_put(&zc, st, 15, 1, 0, bytes, 0);  /* an empty message is a message */
    zcache_put(&zc, st, 9, 1, 19, bytes + 8, 8);
    const uint8_t *m = zcache_get(&zc, st, 15, 1, 19, &len);
    assert_non_null(m);
    assert_int_equal(len, 4);
    assert_memory_equal(m, "0123", 4);
    assert_non_null(zcache_get(&zc, st, 15, 1, 0, &len));
    assert_int_equal(len, 0);
    assert_null(zcache_get(&zc, st, 15, 1, 20, &len));
    assert_null(zcache_get(&zc, st, 15, 6, 19, &len)); /* another level */
    m = zcache_get(&zc, st, 9, 1, 19, &len);
    assert_non_null(m);
    assert_memory_equal(m, "89abcdef", 8);
    zcache_put(&zc, st, 15, 1, 19, bytes + 4, 4); /* stored once: kept */
    m = zcache_get(&zc, st, 15, 1, 19, &len);
    assert_memory_equal(m, "0123", 4);

    /* another group's step finds nothing here */
    assert_null(zcache_get(&zc, zcache_step(&cat->cases[2]), 15, 1, 19, &len));

    zcache_release(&zc, a);
    assert_non_null(zcache_get(&zc, st, 15, 1, 19, &len)); /* e still holds it */
    zcache_release(&zc, plain);
    zcache_release(&zc, e);
    assert_int_equal(zc.used, 0);
    assert_null(zcache_get(&zc, st, 15, 1, 19, &len));
    zcache_release(&zc, e); /* one release too many: nothing */
    assert_int_equal(zc.groups[0].holds, 0);
    zcache_free(&zc);
}

/* The budget counts the index arrays and the messages, and is never exceeded. */
static void test_budget(void **state)
{
    struct case_catalogue *cat = *state;
    const struct case_def *a = &cat->cases[0];
    const struct step *st = zcache_step(a);
    struct zcache zc;
    size_t index = 10 * sizeof(uint8_t *);
    zcache_init(&zc, index + 3 * (sizeof(uint32_t) + 16));
    assert_true(zcache_hold(&zc, a));
    for (uint64_t k = 0; k < 10; k++)
        zcache_put(&zc, st, 15, 1, k, bytes, 16);
    assert_int_equal(zc.used, zc.budget);
    assert_int_equal(zc.refused, 7);
    size_t len;
    assert_non_null(zcache_get(&zc, st, 15, 1, 2, &len));
    assert_null(zcache_get(&zc, st, 15, 1, 3, &len));
    /* a new form's index array does not fit either */
    zcache_put(&zc, st, 9, 1, 0, bytes, 1);
    assert_int_equal(zc.groups[0].n_form, 1);
    assert_int_equal(zc.used, zc.budget);

    /* at most ZCACHE_FORMS forms */
    zcache_free(&zc);
    zcache_init(&zc, ZCACHE_DEFAULT_BUDGET);
    assert_true(zcache_hold(&zc, a));
    for (uint8_t w = 8; w < 8 + ZCACHE_FORMS + 2; w++)
        zcache_put(&zc, st, w, 1, 0, bytes, 1);
    assert_int_equal(zc.groups[0].n_form, ZCACHE_FORMS);
    assert_null(zcache_get(&zc, st, 8 + ZCACHE_FORMS, 1, 0, &len));
    zcache_free(&zc);
}

/* 1.1.1 and 1.1.5 share a group: 1.1.5 moves up behind 1.1.1, the rest keep their order;
 * order holds positions into idx, which need not be the catalogue's order. */
static void test_order(void **state)
{
    struct case_catalogue *cat = *state;
    size_t idx[6] = {0, 1, 2, 3, 4, 5};
    size_t order[6] = {0, 1, 2, 3, 4, 5};
    assert_true(zcache_order(cat, idx, order, 6));
    const size_t want[6] = {0, 4, 1, 2, 3, 5};
    assert_memory_equal(order, want, sizeof want);

    /* idx in reverse: position k is case 5-k; probes-first style order */
    size_t ridx[6] = {5, 4, 3, 2, 1, 0};
    size_t rorder[6] = {5, 4, 3, 2, 1, 0}; /* cases 0,1,2,3,4,5 */
    assert_true(zcache_order(cat, ridx, rorder, 6));
    const size_t rwant[6] = {5, 1, 4, 3, 2, 0}; /* cases 0,4,1,2,3,5 */
    assert_memory_equal(rorder, rwant, sizeof rwant);

    assert_true(zcache_order(cat, idx, order, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_lifetime),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_order),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

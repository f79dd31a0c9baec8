/*
 * test_case_print.c - case_print writes a case the reader reads back as the same case:
 * for every case of the shipped catalogue, parse(print(c)) has c's steps, request
 * edits, checks, timers and judging (field by field, payload segments byte by byte),
 * and printing it again gives the same text. Plus the escapes a mutant needs: bytes
 * that are not text, '{' that must not become a placeholder.
 */
#include "tests/th.h"

#include "case.h"
#include "case_print.h"

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

static void same_payload(const struct payload *a, const struct payload *b)
{
    assert_int_equal(a->len, b->len);
    assert_int_equal(a->n_segs, b->n_segs);
    for (size_t i = 0; i < a->n_segs; i++) {
        assert_int_equal(a->segs[i].len, b->segs[i].len);
        assert_int_equal(a->segs[i].pat_len, b->segs[i].pat_len);
        assert_memory_equal(a->segs[i].pat, b->segs[i].pat, a->segs[i].pat_len);
    }
}

static void same_step(const struct step *a, const struct step *b)
{
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->opcode, b->opcode);
    assert_int_equal(a->fin, b->fin);
    assert_int_equal(a->rsv, b->rsv);
    assert_int_equal(a->mask, b->mask);
    assert_memory_equal(a->mask_key, b->mask_key, 4);
    assert_int_equal(a->len_form, b->len_form);
    assert_int_equal(a->len_override, b->len_override);
    assert_int_equal(a->declared_len, b->declared_len);
    assert_int_equal(a->fragment, b->fragment);
    assert_int_equal(a->chop, b->chop);
    assert_true(a->pause == b->pause && a->seconds == b->seconds);
    assert_int_equal(a->sync, b->sync);
    assert_int_equal(a->pipelined, b->pipelined);
    assert_int_equal(a->close_has_code, b->close_has_code);
    assert_int_equal(a->close_code, b->close_code);
    assert_int_equal(a->close_raw, b->close_raw);
    assert_string_equal(a->tag, b->tag);
    assert_int_equal(a->count, b->count);
    assert_int_equal(a->data, b->data);
    assert_int_equal(a->slice, b->slice);
    same_payload(&a->payload, &b->payload);
}

static void same_events(const struct event_list *a, const struct event_list *b)
{
    assert_int_equal(a->present, b->present);
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->events[i].type, b->events[i].type);
        assert_int_equal(a->events[i].binary, b->events[i].binary);
        assert_string_equal(a->events[i].tag, b->events[i].tag);
        same_payload(&a->events[i].payload, &b->events[i].payload);
    }
}

static void same_request(const struct case_def *a, const struct case_def *b)
{
    assert_int_equal(a->request.n_edits, b->request.n_edits);
    for (size_t i = 0; i < a->request.n_edits; i++) {
        assert_int_equal(a->request.edits[i].kind, b->request.edits[i].kind);
        assert_string_equal(a->request.edits[i].name, b->request.edits[i].name);
        same_payload(&a->request.edits[i].value, &b->request.edits[i].value);
    }
    assert_int_equal(a->request.chop, b->request.chop);
    assert_true(a->request.gap == b->request.gap);
    assert_int_equal(a->request.own, b->request.own);
    assert_true(a->response_timeout == b->response_timeout);
    assert_int_equal(!a->deflate_offer, !b->deflate_offer);
    if (a->deflate_offer)
        assert_string_equal(a->deflate_offer, b->deflate_offer);
    assert_int_equal(a->n_checks, b->n_checks);
    /* checks: every field but the line they were written on */
    for (size_t i = 0; i < a->n_checks; i++) {
        struct response_check x = a->checks[i], y = b->checks[i];
        x.line = y.line = 0;
        assert_memory_equal(&x, &y, sizeof x);
    }
}

static void same_case(const struct case_def *a, const struct case_def *b)
{
    assert_string_equal(a->title, b->title);
    assert_string_equal(a->expectation, b->expectation);
    assert_int_equal(!a->note, !b->note);
    assert_int_equal(a->n_rfc, b->n_rfc);
    for (size_t i = 0; i < a->n_rfc; i++) {
        assert_string_equal(a->rfc[i].sentence, b->rfc[i].sentence);
        assert_string_equal(a->rfc[i].section, b->rfc[i].section);
        assert_int_equal(a->rfc[i].level, b->rfc[i].level);
    }
    assert_int_equal(a->n_steps, b->n_steps);
    for (size_t i = 0; i < a->n_steps; i++)
        same_step(&a->steps[i], &b->steps[i]);
    same_request(a, b);
    assert_true(a->kill_after == b->kill_after && a->close_after == b->close_after);
    assert_int_equal(a->suppress_close, b->suppress_close);
    assert_int_equal(a->pongs_may_coalesce, b->pongs_may_coalesce);
    assert_int_equal(a->has_policy, b->has_policy);
    assert_int_equal(a->ends_at_response, b->ends_at_response);
    assert_int_equal(a->judge, b->judge);
    same_events(&a->ok, &b->ok);
    same_events(&a->non_strict, &b->non_strict);
    assert_int_equal(a->size_content, b->size_content);
    assert_int_equal(a->size_binary, b->size_binary);
    assert_int_equal(a->size_len, b->size_len);
    assert_int_equal(a->size_count, b->size_count);
    assert_memory_equal(&a->close, &b->close, sizeof a->close);
}

/* print, parse, compare, print again */
static void round_trip(const struct case_def *c)
{
    char *text = case_print_string(c, NULL);
    assert_non_null(text);
    struct case_catalogue back;
    memset(&back, 0, sizeof back);
    memcpy(back.policy_values, cat.policy_values, sizeof back.policy_values);
    if (case_parse_buffer(&back, "printed", text, strlen(text), diag, NULL) != 0)
        fail_msg("case %s printed as:\n%s", c->id, text);
    assert_int_equal(back.n_cases, 1);
    assert_string_equal(back.cases[0].id, c->id);
    same_case(c, &back.cases[0]);
    char *again = case_print_string(&back.cases[0], NULL);
    assert_non_null(again);
    assert_string_equal(text, again);
    free(again);
    free(text);
    case_catalogue_free(&back);
}

static void test_every_case_round_trips(void **state)
{
    (void)state;
    assert_true(cat.n_cases > 500);
    for (size_t i = 0; i < cat.n_cases; i++)
        round_trip(&cat.cases[i]);
}

/* Bytes no case file spells as text, and a '{' that is data, survive. */
static void test_escapes(void **state)
{
    (void)state;
    static const char src[] = "case 1.2\n"
                              "  title t\n"
                              "  expectation e\n"
                              "  rfc 5.2 MUST \"s\"\n"
                              "  header-add \"X-A: \\x7bkey} \\\"q\\\" \\\\\"\n"
                              "  send frame text 0x00ff7b0a\n"
                              "  send raw \"a{b\" + repeat(7, 0x0d0a)\n"
                              "  wait 0.125 tag=w\n"
                              "  expect OK message binary \"\\x7bid}\"\n"
                              "  close-rule tester 1000,1002 clean\n"
                              "end\n";
    struct case_catalogue one;
    memset(&one, 0, sizeof one);
    assert_int_equal(case_parse_buffer(&one, "src", src, strlen(src), diag, NULL), 0);
    assert_int_equal(one.n_cases, 1);
    char *text = case_print_string(&one.cases[0], "9.9.9");
    assert_non_null(text);
    assert_non_null(strstr(text, "case 9.9.9\n"));
    assert_null(strstr(text, "{")); /* every '{' escaped */
    assert_non_null(strstr(text, "wait 0.125 tag=w"));
    struct case_catalogue back;
    memset(&back, 0, sizeof back);
    assert_int_equal(case_parse_buffer(&back, "printed", text, strlen(text), diag, NULL), 0);
    same_case(&one.cases[0], &back.cases[0]);
    free(text);
    case_catalogue_free(&back);
    case_catalogue_free(&one);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_case_round_trips),
        cmocka_unit_test(test_escapes),
    };
    return cmocka_run_group_tests_name("case_print", tests, setup, teardown);
}

/*
 * case_parse_fuzzer.c - the case-file parser (case_parse_buffer, harness/case.h).
 *
 * Input: the text of one .wsc file. Case files come from users (--cases-dir), so the
 * parser must survive anything; case_parse.c promises bounded work and memory per
 * byte and no reliance on NUL termination.
 *
 * Checked, beyond "no crash, no leak, no UB, no timeout":
 *   - the number of errors returned equals the diagnostics reported, each one line
 *     (plus the one notice "too many errors" when the parser gives up on a file);
 *   - the catalogue is ordered by id (case_id_cmp) with no id twice, and every case
 *     has what the parser requires (title, expectation, at least one rfc line);
 *   - every payload's length is the sum of its segments, and for payloads small
 *     enough to expand, payload_copy (whole and from every offset) and payload_equal
 *     agree with each other;
 *   - selecting everything selects every case, in order.
 */
#include "fuzz_input.h"

#include "case.h"

FUZZ_NOCOV_BEGIN

/* Payloads up to this size are expanded and compared; larger ones (repeat(16 MiB))
 * are only summed, so one input cannot cost megabytes of copying. */
#define EXPAND_MAX 4096

struct diags {
    size_t n;
    bool gave_up; /* the "too many errors" notice came: not an error of its own */
};

static void count_diag(void *ud, const char *msg)
{
    struct diags *d = ud;
    FUZZ_CHECK(msg != NULL && strchr(msg, '\n') == NULL);
    FUZZ_CHECK(!d->gave_up); /* nothing after the notice */
    if (strstr(msg, ": too many errors ("))
        d->gave_up = true;
    else
        d->n++;
}

static void check_payload(const struct payload *p)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < p->n_segs; i++) {
        FUZZ_CHECK(p->segs[i].pat_len > 0 || p->segs[i].len == 0);
        sum += p->segs[i].len;
    }
    FUZZ_CHECK(sum == p->len);
    if (p->len > EXPAND_MAX)
        return;
    size_t n = (size_t)p->len;
    uint8_t whole[EXPAND_MAX + 1], part[EXPAND_MAX + 1];
    payload_copy(p, 0, whole, n);
    FUZZ_CHECK(payload_equal(p, whole, n));
    if (n) {
        whole[n - 1] ^= 1;
        FUZZ_CHECK(!payload_equal(p, whole, n));
        whole[n - 1] ^= 1;
        FUZZ_CHECK(!payload_equal(p, whole, n - 1));
    }
    /* From a few offsets: the bytes at [off, n) are the same as in the whole copy. */
    for (size_t off = 1; off < n; off += 1 + off / 2) {
        payload_copy(p, off, part, n - off);
        FUZZ_CHECK(memcmp(part, whole + off, n - off) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct case_catalogue cat;
    memset(&cat, 0, sizeof cat);
    struct diags diags = {0};
    size_t errors =
        case_parse_buffer(&cat, "fuzz.wsc", (const char *)data, size, count_diag, &diags);
    FUZZ_CHECK(errors == diags.n);

    for (size_t i = 0; i < cat.n_cases; i++) {
        const struct case_def *c = &cat.cases[i];
        if (i)
            FUZZ_CHECK(case_id_cmp(cat.cases[i - 1].id, c->id) < 0);
        FUZZ_CHECK(c->title && c->expectation && c->n_rfc > 0);
        for (size_t s = 0; s < c->n_steps; s++)
            check_payload(&c->steps[s].payload);
        for (size_t e = 0; e < c->ok.n; e++)
            check_payload(&c->ok.events[e].payload);
        for (size_t e = 0; e < c->non_strict.n; e++)
            check_payload(&c->non_strict.events[e].payload);
    }
    if (cat.n_cases) {
        size_t *idx = malloc(cat.n_cases * sizeof *idx);
        if (!idx)
            abort();
        FUZZ_CHECK(case_select(&cat, NULL, NULL, idx) == cat.n_cases);
        for (size_t i = 0; i < cat.n_cases; i++)
            FUZZ_CHECK(idx[i] == i);
        free(idx);
    }
    case_catalogue_free(&cat);
    return 0;
}

FUZZ_NOCOV_END

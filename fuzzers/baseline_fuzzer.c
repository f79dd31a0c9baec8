/*
 * baseline_fuzzer.c - the JSON baseline reader (baseline_parse, harness/baseline.h):
 * an earlier run's wsspec.json given to `wsspec run --baseline`. The JSON syntax is
 * jansson's; what is fuzzed is our walk over the tree and the comparison after it.
 *
 * Input: one byte choosing the size of the error buffer (1, 16, 80 or 512 bytes),
 * then the file's text.
 *
 * Checked: 0 or -1; after -1 a one-line message and an empty run; after 0, what
 * baseline.h promises - every case has its strings, the cases are sorted by agent
 * then id with each (agent, id) pair once, every agent is listed - and a run compared
 * with itself has no changes at all (nothing regressed, fixed, changed, added or
 * removed), whatever it holds.
 */
#include "fuzz_input.h"

#include "baseline.h"
#include "case.h"

FUZZ_NOCOV_BEGIN

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t caps[4] = {1, 16, 80, 512};
    struct fuzz_in in = {data, size};
    size_t cap = caps[fuzz_u8(&in) & 3u];
    char *err = (char *)fuzz_dup(NULL, cap);
    struct baseline_run run;
    memset(&run, 0xA5, sizeof run); /* baseline_parse must not rely on a zeroed struct */
    int rc = baseline_parse((const char *)in.p, in.n, &run, err, cap);
    FUZZ_CHECK(rc == 0 || rc == -1);
    size_t elen = strnlen(err, cap);
    FUZZ_CHECK(elen < cap && memchr(err, '\n', elen) == NULL);
    if (rc == -1) {
        FUZZ_CHECK(cap == 1 || elen > 0);
        FUZZ_CHECK(run.n == 0 && run.cases == NULL && run.n_agents == 0);
        baseline_run_free(&run);
        free(err);
        return 0;
    }
    for (size_t i = 0; i < run.n; i++) {
        const struct baseline_case *c = &run.cases[i];
        FUZZ_CHECK(c->agent && c->id && c->title && c->behavior && c->behavior_close);
        if (i) {
            const struct baseline_case *p = &run.cases[i - 1];
            int a = strcmp(p->agent, c->agent);
            FUZZ_CHECK(a < 0 ||
                       (a == 0 && (case_id_cmp(p->id, c->id) < 0 ||
                                   (case_id_cmp(p->id, c->id) == 0 && strcmp(p->id, c->id) < 0))));
        }
        bool listed = false;
        for (size_t k = 0; k < run.n_agents && !listed; k++)
            listed = strcmp(run.agents[k], c->agent) == 0;
        FUZZ_CHECK(listed);
    }
    struct baseline_diff d;
    memset(&d, 0, sizeof d);
    if (baseline_compare(&run, &run, &d) == 0) {
        FUZZ_CHECK(d.n == 0);
        for (int k = 0; k < BASELINE_KINDS; k++)
            FUZZ_CHECK(d.count[k] == 0);
    }
    baseline_diff_free(&d);
    baseline_run_free(&run);
    free(err);
    return 0;
}

FUZZ_NOCOV_END

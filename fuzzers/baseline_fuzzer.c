/*
 * baseline_fuzzer.c - the JSON baseline reader and the comparison after it
 * (baseline_parse, baseline_compare, baseline_print; harness/baseline.h): an earlier
 * run's wsspec.json given to `wsspec run --baseline`. The JSON syntax is jansson's;
 * what is fuzzed is our walk over the tree, the comparison and the printed block.
 *
 * Input: one byte choosing the size of the error buffer (1, 16, 80 or 512 bytes), then
 * the new run's wsspec.json; a NUL byte, if there is one, ends it and what follows is
 * the baseline's (a raw NUL is never valid JSON, so a one-document input stays one).
 *
 * Checked: 0 or -1; after -1 a one-line message and an empty run; after 0, what
 * baseline.h promises - every case has its strings (both verdict pairs), the cases are
 * sorted by agent then id with each (agent, id) pair once, every agent is listed. A run
 * compared with itself has no changes at all, whatever it holds. Two runs compared: the
 * counts add up, the changes are sorted by kind, each kind means what baseline.h says
 * under the new run's --strict and --verdict (a fix passes now and failed before, a
 * regression fails now and passed or was absent, ...);
 * and the printed block holds no control character but its newlines, whatever the
 * files' strings hold (it goes to a terminal or a CI log).
 */
#include "fuzz_input.h"

#include "baseline.h"
#include "case.h"

FUZZ_NOCOV_BEGIN

/* Parse text[0..len) and check baseline.h's promises. Returns 0 with *run filled, or -1
 * (the run is then empty). */
static int parse_checked(const char *text, size_t len, char *err, size_t cap,
                         struct baseline_run *run)
{
    memset(run, 0xA5, sizeof *run); /* baseline_parse must not rely on a zeroed struct */
    int rc = baseline_parse(text, len, run, err, cap);
    FUZZ_CHECK(rc == 0 || rc == -1);
    size_t elen = strnlen(err, cap);
    FUZZ_CHECK(elen < cap && memchr(err, '\n', elen) == NULL);
    if (rc == -1) {
        FUZZ_CHECK(cap == 1 || elen > 0);
        FUZZ_CHECK(run->n == 0 && run->cases == NULL && run->n_agents == 0);
        return -1;
    }
    for (size_t i = 0; i < run->n; i++) {
        const struct baseline_case *c = &run->cases[i];
        FUZZ_CHECK(c->agent && c->id && c->title && c->behavior && c->behavior_close &&
                   c->rfc_behavior && c->rfc_behavior_close);
        if (i) {
            const struct baseline_case *p = &run->cases[i - 1];
            int a = strcmp(p->agent, c->agent);
            FUZZ_CHECK(a < 0 ||
                       (a == 0 && (case_id_cmp(p->id, c->id) < 0 ||
                                   (case_id_cmp(p->id, c->id) == 0 && strcmp(p->id, c->id) < 0))));
        }
        bool listed = false;
        for (size_t k = 0; k < run->n_agents && !listed; k++)
            listed = strcmp(run->agents[k], c->agent) == 0;
        FUZZ_CHECK(listed);
    }
    return 0;
}

/* What each kind of change means (baseline.h), judged with the new run's --strict and
 * --verdict. */
static void check_change(const struct baseline_change *ch, enum verdict_mode mode, bool strict)
{
    const struct baseline_case *o = ch->old_case, *n = ch->new_case;
    if (o)
        FUZZ_CHECK(ch->old_passed == baseline_case_passes(o, mode, strict));
    bool now = n && baseline_case_passes(n, mode, strict);
    if (n)
        FUZZ_CHECK(ch->new_passed == now);
    switch (ch->kind) {
    case BASELINE_REGRESSION:
        FUZZ_CHECK(n && !now && (!o || ch->old_passed));
        break;
    case BASELINE_FIX:
        FUZZ_CHECK(o && n && now && !ch->old_passed);
        break;
    case BASELINE_CHANGED:
        FUZZ_CHECK(o && n && now == ch->old_passed);
        FUZZ_CHECK(baseline_case_differs(o, n, mode));
        break;
    case BASELINE_ADDED:
        FUZZ_CHECK(!o && n && now);
        break;
    case BASELINE_REMOVED:
        FUZZ_CHECK(o && !n);
        break;
    default:
        FUZZ_CHECK(!"a change of no known kind");
    }
}

static void compare_checked(const struct baseline_run *old_run, const struct baseline_run *new_run)
{
    struct baseline_diff d;
    memset(&d, 0, sizeof d);
    if (baseline_compare(old_run, new_run, &d) != 0) {
        baseline_diff_free(&d);
        return; /* out of memory */
    }
    size_t sum = 0;
    for (int k = 0; k < BASELINE_KINDS; k++)
        sum += d.count[k];
    FUZZ_CHECK(sum == d.n && d.n <= old_run->n + new_run->n);
    if (old_run == new_run)
        FUZZ_CHECK(d.n == 0);
    for (size_t i = 0; i < d.n; i++) {
        FUZZ_CHECK(i == 0 || d.changes[i - 1].kind <= d.changes[i].kind);
        check_change(&d.changes[i], new_run->verdict, new_run->strict);
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) {
        baseline_print(f, &d, "old/wsspec.json", true);
        if (fclose(f) == 0)
            for (size_t i = 0; i < len; i++)
                FUZZ_CHECK(text[i] == '\n' || ((unsigned char)text[i] >= 0x20 && text[i] != 0x7f));
        free(text);
    }
    baseline_diff_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t caps[4] = {1, 16, 80, 512};
    struct fuzz_in in = {data, size};
    size_t cap = caps[fuzz_u8(&in) & 3u];
    char *err = (char *)fuzz_dup(NULL, cap);
    const char *text = (const char *)in.p;
    const char *nul = in.n ? memchr(text, '\0', in.n) : NULL;
    size_t new_len = nul ? (size_t)(nul - text) : in.n;
    struct baseline_run now, old;
    if (parse_checked(text, new_len, err, cap, &now) == 0) {
        compare_checked(&now, &now);
        if (nul && parse_checked(nul + 1, in.n - new_len - 1, err, cap, &old) == 0) {
            compare_checked(&old, &now);
            compare_checked(&now, &old);
            baseline_run_free(&old);
        }
    }
    baseline_run_free(&now);
    free(err);
    return 0;
}

FUZZ_NOCOV_END

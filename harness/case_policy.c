/*
 * case_policy.c - declared policies (cases/README.md, "Declared policies"): what a
 * target enforces that RFC 6455 leaves to it - the largest message it takes, how long
 * it keeps an idle connection - is no MUST wsspec can judge until the user says what
 * the target's policy is. A case that probes one says so with `policy NAME`; the user
 * declares it with `wsspec run --NAME VALUE`. Declared, the case is judged strictly
 * against its expect lists and close-rule; undeclared, it runs all the same and is
 * INFORMATIONAL (judge_probe.c records what happened).
 *
 * The value reaches the case as a placeholder: {NAME} in any case line (also in a
 * template body, after the table's values) is replaced by the declared value, or by the
 * row's survey value when none is declared, before the line is read. The values come
 * from the catalogue (case.h: policy_values), set by the caller before parsing; every
 * value was checked (case_vocab_policy_value_ok) so that it stands anywhere in a line.
 */
#include "case_parse_int.h"

#include <stdio.h>
#include <string.h>

/* "max-message-size or idle-timeout" into out, for "unknown policy" messages. */
static void policy_list(char *out, size_t cap)
{
    size_t at = 0;
    out[0] = '\0';
    for (int i = 0; i < CP_N && at < cap; i++) {
        const char *sep = i == 0 ? "" : i == CP_N - 1 ? " or " : ", ";
        int r = snprintf(out + at, cap - at, "%s%s", sep, case_vocab_policies[i].name);
        if (r < 0)
            return;
        at += (size_t)r;
    }
}

/* The value {NAME} stands for in this catalogue. */
static const char *policy_value(const struct parser *p, int k)
{
    const char *v = p->cat->policy_values[k];
    return v ? v : case_vocab_policies[k].survey;
}

void case_policy_directive(struct parser *p, struct lx *l)
{
    char b[48], names[128];
    struct span w = lx_word(l);
    int k = case_vocab_policy(w.p, w.n);
    if (k < 0) {
        policy_list(names, sizeof names);
        if (w.n == 0)
            perr(p, "'policy' needs a policy name (%s)", names);
        else
            perr(p, "unknown policy '%s' (%s)", span_show(b, w), names);
        return;
    }
    if (!perr_unless_end(p, l))
        return;
    p->c.has_policy = true;
    p->c.policy = (unsigned)k;
    p->c.policy_declared = p->cat->policy_values[k] != NULL;
    p->c.policy_value = policy_value(p, k);
}

/* The next {NAME} of a policy in s[from..n): *b at '{', *e after '}', *k its row. */
static bool next_policy(const char *s, size_t n, size_t from, size_t *b, size_t *e, int *k)
{
    for (size_t i = from; i < n; i++) {
        if (s[i] != '{')
            continue;
        size_t j = i + 1;
        while (j < n && is_name_char(s[j]))
            j++;
        if (j < n && s[j] == '}' && (*k = case_vocab_policy(s + i + 1, j - i - 1)) >= 0) {
            *b = i;
            *e = j + 1;
            return true;
        }
    }
    return false;
}

int case_policy_substitute(struct parser *p, const struct lx *l, struct buf *out)
{
    const char *s = l->s + l->i;
    size_t n = l->n - l->i, from = 0, pb, pe;
    int k;
    if (!next_policy(s, n, 0, &pb, &pe, &k))
        return 0;
    out->n = 0;
    while (next_policy(s, n, from, &pb, &pe, &k)) {
        const char *v = policy_value(p, k);
        if (!buf_add(out, s + from, pb - from) || !buf_add(out, v, strlen(v))) {
            perr_oom(p);
            return -1;
        }
        p->c_policy_used |= 1u << k;
        from = pe;
    }
    if (!buf_add(out, s + from, n - from)) {
        perr_oom(p);
        return -1;
    }
    if (out->n > LINE_BYTES_MAX) {
        perr(p, "line longer than %u bytes after its policy values", LINE_BYTES_MAX);
        return -1;
    }
    return 1;
}

void case_policy_finish(struct parser *p)
{
    const struct case_def *c = &p->c;
    const char *id = c->id[0] ? c->id : "?";
    for (int k = 0; k < CP_N; k++) {
        const char *name = case_vocab_policies[k].name;
        if ((p->c_policy_used & (1u << k)) && (!c->has_policy || c->policy != (unsigned)k))
            perr_at(p, c->line,
                    "case %s uses {%s} but has no 'policy %s' (a value the user declares "
                    "decides how the case is judged)",
                    id, name, name);
    }
    if (c->has_policy && c->judge == JUDGE_INFORMATIONAL)
        perr_at(p, c->line,
                "case %s: 'policy' and 'informational' exclude each other (a policy case is "
                "INFORMATIONAL until its policy is declared)",
                id);
}

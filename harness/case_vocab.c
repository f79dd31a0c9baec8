/*
 * case_vocab.c - case_vocab.def expanded into the tables of case_vocab.h, their
 * lookups, and the "did you mean" of `wsspec lint`. The handler column of the rows is
 * the parser's business (case_parse.c, case_step.c) and is dropped here.
 */
#include "case_vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"

const struct case_directive_row case_vocab_directives[CD_N] = {
#define CASE_DIRECTIVE(ID, name, where, repeat, need, handler, args, text)                         \
    [CD_##ID] = {name, CV_##where, CV_##repeat, CV_##need, args, text},
#define CASE_SEND(...)
#define CASE_OPTION(...)
#include "case_vocab.def"
#undef CASE_DIRECTIVE
#undef CASE_SEND
#undef CASE_OPTION
};

const struct case_send_row case_vocab_sends[CS_N] = {
#define CASE_DIRECTIVE(...)
#define CASE_SEND(ID, name, handler, args, text) [CS_##ID] = {name, args, text},
#define CASE_OPTION(...)
#include "case_vocab.def"
#undef CASE_DIRECTIVE
#undef CASE_SEND
#undef CASE_OPTION
};

const struct case_option_row case_vocab_options[CO_N] = {
#define CASE_DIRECTIVE(...)
#define CASE_SEND(...)
#define CASE_OPTION(ID, name, arg, where, handler, value, text)                                    \
    [CO_##ID] = {name, CV_##arg, where, value, text},
#include "case_vocab.def"
#undef CASE_DIRECTIVE
#undef CASE_SEND
#undef CASE_OPTION
};

const struct case_check_row case_vocab_checks[CK_N] = {
#define CASE_CHECK(ID, name, handler, args, text) [CK_##ID] = {name, args, text},
#include "case_vocab.def"
#undef CASE_CHECK
};

const struct case_policy_row case_vocab_policies[CP_N] = {
#define CASE_POLICY(ID, name, kind, survey, text) [CP_##ID] = {name, CV_##kind, survey, text},
#include "case_vocab.def"
#undef CASE_POLICY
};

_Static_assert(CP_N <= CASE_POLICIES_MAX, "case.h keeps a value per policy row");

static const char *const ctx_names[CTX_N] = {
#define CASE_DIRECTIVE(...)
#define CASE_SEND(ID, name, ...) [CTX_SEND_##ID] = "send " name,
#define CASE_OPTION(...)
#include "case_vocab.def"
#undef CASE_DIRECTIVE
#undef CASE_SEND
#undef CASE_OPTION
    [CTX_WAIT] = "wait",
    [CTX_ROUNDTRIP] = "roundtrip",
    [CTX_EXPECT_SIZE] = "expect size",
    [CTX_EXPECT_ECHO] = "expect echo",
    [CTX_REQUEST_WRITE] = "request-write",
};

/* ------------------------------------------------------------ lookups */

static bool word_is(const char *s, size_t n, const char *name)
{
    return strlen(name) == n && memcmp(s, name, n) == 0;
}

int case_vocab_directive(const char *s, size_t n)
{
    for (int i = 0; i < CD_N; i++)
        if (word_is(s, n, case_vocab_directives[i].name))
            return i;
    return -1;
}

int case_vocab_send(const char *s, size_t n)
{
    for (int i = 0; i < CS_N; i++)
        if (word_is(s, n, case_vocab_sends[i].name))
            return i;
    return -1;
}

int case_vocab_option(const char *s, size_t n)
{
    for (int i = 0; i < CO_N; i++)
        if (word_is(s, n, case_vocab_options[i].name))
            return i;
    return -1;
}

int case_vocab_check(const char *s, size_t n)
{
    for (int i = 0; i < CK_N; i++)
        if (word_is(s, n, case_vocab_checks[i].name))
            return i;
    return -1;
}

int case_vocab_policy(const char *s, size_t n)
{
    for (int i = 0; i < CP_N; i++)
        if (word_is(s, n, case_vocab_policies[i].name))
            return i;
    return -1;
}

/* ------------------------------------------------------------ policy values */

/* Bytes: 2^32 is far beyond any real message limit, and a probe sends one byte more. */
#define POLICY_BYTES_MAX 4294967296ull
/* Seconds: a probe waits about this long; an hour is beyond any real timeout. */
#define POLICY_SECONDS_MAX 3600.0
/* An Origin is scheme://host[:port]: short; the bound keeps case lines short. */
#define POLICY_ORIGIN_MAX 255

/* Decimal digits only; more than 11 cannot be a value in range (and cannot overflow). */
static bool decimal_u64(const char *v, unsigned long long *out)
{
    unsigned long long n = 0;
    size_t len = strlen(v);
    if (len == 0 || len > 11)
        return false;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        n = n * 10 + (unsigned)(*p - '0');
    }
    *out = n;
    return true;
}

/* Digits with at most one '.', as case files write seconds (no sign, no exponent). */
static bool decimal_seconds(const char *v, double *out)
{
    size_t digits = 0, dots = 0;
    for (const char *p = v; *p; p++) {
        if (*p == '.')
            dots++;
        else if (*p >= '0' && *p <= '9')
            digits++;
        else
            return false;
    }
    if (!digits || dots > 1 || strlen(v) > 16)
        return false;
    *out = strtod(v, NULL);
    return true;
}

static bool origin_ok(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > POLICY_ORIGIN_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (v[i] <= ' ' || v[i] >= 0x7f || v[i] == '"' || v[i] == '\\')
            return false;
    return true;
}

bool case_vocab_policy_value_ok(enum case_policy_kind kind, const char *v, char *err, size_t cap)
{
    unsigned long long n;
    double s;
    switch (kind) {
    case CV_BYTES:
        if (decimal_u64(v, &n) && n >= 1 && n <= POLICY_BYTES_MAX)
            return true;
        snprintf(err, cap, "needs a decimal number of bytes from 1 to %llu, not '%.40s'",
                 POLICY_BYTES_MAX, v);
        return false;
    case CV_SECONDS:
        if (decimal_seconds(v, &s) && s > 0 && s <= POLICY_SECONDS_MAX)
            return true;
        snprintf(err, cap, "needs decimal seconds > 0 and at most %.0f, not '%.40s'",
                 POLICY_SECONDS_MAX, v);
        return false;
    case CV_ORIGIN:
        if (origin_ok(v))
            return true;
        snprintf(err, cap,
                 "needs an origin (scheme://host[:port]): 1-%d printable ASCII characters "
                 "without blanks, quotes or backslashes",
                 POLICY_ORIGIN_MAX);
        return false;
    }
    snprintf(err, cap, "unknown kind of policy");
    return false;
}

const char *case_vocab_ctx_name(enum case_ctx ctx)
{
    return (unsigned)ctx < CTX_N ? ctx_names[ctx] : NULL;
}

unsigned case_vocab_options_in(enum case_ctx ctx)
{
    unsigned bits = 0;
    for (int i = 0; i < CO_N; i++)
        if (case_vocab_options[i].in & (1u << ctx))
            bits |= 1u << i;
    return bits;
}

/* "a, b or c" from n names into out. */
static void name_list(char *out, size_t cap, size_t n, const char *(*name)(size_t))
{
    size_t at = 0;
    if (cap == 0)
        return;
    out[0] = '\0';
    for (size_t i = 0; i < n && at < cap; i++) {
        const char *sep = i == 0 ? "" : i == n - 1 ? " or " : ", ";
        int r = snprintf(out + at, cap - at, "%s%s", sep, name(i));
        if (r < 0)
            return;
        at += (size_t)r;
    }
}

static const char *send_name(size_t i)
{
    return case_vocab_sends[i].name;
}

static const char *check_name(size_t i)
{
    return case_vocab_checks[i].name;
}

void case_vocab_send_list(char *out, size_t cap)
{
    name_list(out, cap, CS_N, send_name);
}

void case_vocab_check_list(char *out, size_t cap)
{
    name_list(out, cap, CK_N, check_name);
}

/* ------------------------------------------------------------ did you mean */

/* Longest word compared: names are short; a longer word is no misspelling of one. */
#define NEAR_WORD_MAX 32

/* Edit distance with swaps of neighbours (optimal string alignment), words of at
 * most NEAR_WORD_MAX bytes. */
static size_t edit_distance(const char *a, size_t n, const char *b, size_t m)
{
    size_t d[NEAR_WORD_MAX + 1][NEAR_WORD_MAX + 1];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[n][m];
}

/* Keep name in *best when it is nearer to word than what *best_d says. */
static void consider(const char *word, size_t n, const char *name, size_t *best_d,
                     const char **best)
{
    size_t m = strlen(name);
    if (m > NEAR_WORD_MAX)
        return;
    size_t dist = edit_distance(word, n, name, m);
    if (dist < *best_d && 2 * dist < n) {
        *best_d = dist;
        *best = name;
    }
}

const char *case_vocab_nearest_directive(const char *word)
{
    size_t n = strlen(word), best_d = 3;
    const char *best = NULL;
    if (case_vocab_directive(word, n) >= 0)
        return NULL;
    for (int i = 0; i < CD_N && n <= NEAR_WORD_MAX; i++)
        consider(word, n, case_vocab_directives[i].name, &best_d, &best);
    return best;
}

const char *case_vocab_nearest_option(const char *word)
{
    size_t n = strlen(word), best_d = 3;
    const char *best = NULL;
    if (case_vocab_option(word, n) >= 0)
        return NULL;
    for (int i = 0; i < CO_N && n <= NEAR_WORD_MAX; i++)
        consider(word, n, case_vocab_options[i].name, &best_d, &best);
    return best;
}

/*
 * case_select.c - choosing cases by id patterns, with Autobahn|Testsuite's rules so
 * that `--cases` and `--exclude` lists carry over from fuzzingclient.json unchanged.
 *
 * Autobahn (caseset.py) turns an entry containing '*' into a regex with '.' escaped and
 * '*' as ".*", matched from the START of the id only: "1.*" is section 1, "1*" is also
 * 10.x, 12.x and 13.x, and "6.4.*" is 6.4.1-6.4.4. An entry without '*' is one id,
 * compared exactly. Here that is a glob match against a prefix of the id, done
 * without building a regex.
 */
#include "case.h"

#include <string.h>

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* pat[0..pn) with '*' = any run of characters, matched against a prefix of id (the
 * pattern is anchored at the start only, so its end needs not reach the id's end).
 * One backtrack point is enough for globs: a later '*' only ever makes the earlier
 * ones' choices irrelevant. Time O(pn * strlen(id)). */
static bool glob_prefix(const char *pat, size_t pn, const char *id)
{
    size_t p = 0, s = 0, star_p = 0, star_s = 0;
    bool star = false;
    size_t sn = strlen(id);
    for (;;) {
        if (p == pn)
            return true;
        if (pat[p] == '*') {
            star = true;
            star_p = ++p;
            star_s = s;
            continue;
        }
        if (s < sn && pat[p] == id[s]) {
            p++;
            s++;
            continue;
        }
        if (star && star_s < sn) {
            s = ++star_s;
            p = star_p;
            continue;
        }
        return false;
    }
}

static bool entry_matches(const char *id, const char *e, size_t n)
{
    if (memchr(e, '*', n))
        return glob_prefix(e, n, id);
    return strlen(id) == n && memcmp(id, e, n) == 0;
}

/* Calls fn for every entry of a comma-separated list, blanks around entries removed and
 * empty entries skipped; stops when fn returns true. Returns whether one did. Without
 * fn, says whether the list has any entry at all. */
static bool each_entry(const char *patterns, const char *id,
                       bool (*fn)(const char *id, const char *e, size_t n))
{
    const char *s = patterns;
    while (*s) {
        const char *comma = strchr(s, ',');
        const char *end = comma ? comma : s + strlen(s);
        const char *b = s, *e = end;
        while (b < e && is_space(*b))
            b++;
        while (e > b && is_space(e[-1]))
            e--;
        if (e > b && (!fn || fn(id, b, (size_t)(e - b))))
            return true;
        if (!comma)
            break;
        s = comma + 1;
    }
    return false;
}

/* NULL, "" and lists of nothing but commas and blanks select nothing specific. */
static bool list_empty(const char *patterns)
{
    return !patterns || !each_entry(patterns, NULL, NULL);
}

bool case_id_matches(const char *id, const char *patterns)
{
    if (list_empty(patterns))
        return true;
    return each_entry(patterns, id, entry_matches);
}

size_t case_select(const struct case_catalogue *cat, const char *include, const char *exclude,
                   size_t *idx)
{
    bool all = list_empty(include), none_out = list_empty(exclude);
    size_t n = 0;
    for (size_t i = 0; i < cat->n_cases; i++) {
        const char *id = cat->cases[i].id;
        if (!all && !each_entry(include, id, entry_matches))
            continue;
        if (!none_out && each_entry(exclude, id, entry_matches))
            continue;
        idx[n++] = i;
    }
    return n;
}

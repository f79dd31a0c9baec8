/*
 * case_lex.c - the bottom of the case-file reader (case_parse_int.h): a buffer cut
 * into lines, a line cut into words and quoted strings, words read as numbers, ids and
 * names, and the growing arrays and byte buffers everything above is built with.
 *
 * Nothing here relies on NUL termination of the input: lines and words are spans
 * (pointer and length) into the caller's buffer, and numbers are copied into a small
 * array before the C library reads them.
 */
#include "case_parse_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ memory */

bool array_grow(void *arrp, size_t n, size_t size)
{
    void **arr = arrp;
    if (n != 0 && (n < 8 || (n & (n - 1)) != 0))
        return true;
    size_t cap = n == 0 ? 8 : n * 2;
    if (cap > SIZE_MAX / size)
        return false;
    void *q = realloc(*arr, cap * size);
    if (!q)
        return false;
    *arr = q;
    return true;
}

bool buf_add(struct buf *b, const void *data, size_t n)
{
    if (n > SIZE_MAX - b->n)
        return false;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n)
            cap = cap > SIZE_MAX / 2 ? b->n + n : cap * 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q)
            return false;
        b->p = q;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->n, data, n);
    b->n += n;
    return true;
}

char *bytes_dup(const void *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* ------------------------------------------------------------ words */

bool span_is(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

const char *span_show(char out[48], struct span s)
{
    size_t n = s.n > 40 ? 37 : s.n, k = 0;
    for (size_t i = 0; i < n; i++)
        out[k++] = s.p[i] >= 0x20 && s.p[i] < 0x7f ? s.p[i] : '?';
    if (n < s.n) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
    return out;
}

bool span_dotted(struct span s, size_t max)
{
    if (s.n == 0 || s.n > max)
        return false;
    size_t part = 0;
    for (size_t i = 0; i <= s.n; i++) {
        if (i == s.n || s.p[i] == '.') {
            if (part == 0)
                return false;
            part = 0;
            continue;
        }
        if (!is_digit(s.p[i]))
            return false;
        if (part == 1 && s.p[i - 1] == '0')
            return false; /* leading zero: "1.01" would sort equal to "1.1" */
        part++;
    }
    return true;
}

bool span_name(struct span s)
{
    if (s.n == 0 || s.n > NAME_BYTES_MAX)
        return false;
    for (size_t i = 0; i < s.n; i++)
        if (!is_name_char(s.p[i]))
            return false;
    return true;
}

bool span_u64(struct span s, uint64_t *v)
{
    char tmp[24];
    if (s.n == 0 || s.n > 20)
        return false;
    for (size_t i = 0; i < s.n; i++)
        if (!is_digit(s.p[i]))
            return false;
    memcpy(tmp, s.p, s.n);
    tmp[s.n] = '\0';
    errno = 0;
    char *end;
    unsigned long long x = strtoull(tmp, &end, 10);
    if (errno == ERANGE || *end != '\0' || x > UINT64_MAX)
        return false;
    *v = (uint64_t)x;
    return true;
}

/* The characters are checked first so strtod's extras (signs, exponents, "inf", hex)
 * are refused. */
bool span_seconds(struct span s, double *v)
{
    char tmp[40];
    if (s.n == 0 || s.n >= sizeof tmp)
        return false;
    size_t dots = 0, digits = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] == '.')
            dots++;
        else if (is_digit(s.p[i]))
            digits++;
        else
            return false;
    }
    if (dots > 1 || digits == 0)
        return false;
    memcpy(tmp, s.p, s.n);
    tmp[s.n] = '\0';
    errno = 0;
    char *end;
    double d = strtod(tmp, &end);
    if (errno == ERANGE || *end != '\0' || !isfinite(d) || d <= 0 || d > SECONDS_MAX)
        return false;
    *v = d;
    return true;
}

/* ------------------------------------------------------------ the line lexer */

void lx_skip(struct lx *l)
{
    while (l->i < l->n && is_blank(l->s[l->i]))
        l->i++;
}

bool lx_end(struct lx *l)
{
    lx_skip(l);
    return l->i >= l->n;
}

char lx_peek(struct lx *l)
{
    return l->i < l->n ? l->s[l->i] : '\0';
}

struct span lx_word(struct lx *l)
{
    lx_skip(l);
    size_t b = l->i;
    while (l->i < l->n && !is_blank(l->s[l->i]))
        l->i++;
    return (struct span){l->s + b, l->i - b};
}

struct span lx_name(struct lx *l)
{
    lx_skip(l);
    size_t b = l->i;
    while (l->i < l->n && is_name_char(l->s[l->i]))
        l->i++;
    return (struct span){l->s + b, l->i - b};
}

struct span lx_rest(struct lx *l)
{
    lx_skip(l);
    size_t e = l->n;
    while (e > l->i && is_blank(l->s[e - 1]))
        e--;
    struct span s = {l->s + l->i, e - l->i};
    l->i = l->n;
    return s;
}

struct span lx_peek_word(struct lx *l)
{
    struct lx t = *l;
    return lx_word(&t);
}

/* ------------------------------------------------------------ quoted strings */

/* The byte of the escape after a backslash (l->i is past the backslash); false, with
 * the error reported, for a bad one. */
static bool escape_byte(struct parser *p, struct lx *l, uint8_t *byte)
{
    static const char from[] = "\\\"nrt", to[] = "\\\"\n\r\t";
    char e = l->s[l->i++];
    const char *hit = memchr(from, e, sizeof from - 1);
    if (hit) {
        *byte = (uint8_t)to[hit - from];
        return true;
    }
    if (e == 'x') {
        int hi = l->i < l->n ? hex_value(l->s[l->i]) : -1;
        int lo = l->i + 1 < l->n ? hex_value(l->s[l->i + 1]) : -1;
        if (hi < 0 || lo < 0) {
            perr(p, "bad escape in string: \\x needs two hex digits");
            return false;
        }
        *byte = (uint8_t)(hi << 4 | lo);
        l->i += 2;
        return true;
    }
    char b[48];
    perr(p, "bad escape '\\%s' in string (\\\\ \\\" \\n \\r \\t \\xHH)",
         span_show(b, (struct span){&l->s[l->i - 1], 1}));
    return false;
}

bool lx_quoted(struct parser *p, struct lx *l, struct buf *out)
{
    l->i++;
    for (;;) {
        if (l->i >= l->n) {
            perr(p, "unterminated string");
            return false;
        }
        uint8_t c = (uint8_t)l->s[l->i++];
        if (c == '"')
            return true;
        if (c == '\\') {
            if (l->i >= l->n) {
                perr(p, "unterminated string");
                return false;
            }
            if (!escape_byte(p, l, &c))
                return false;
        }
        if (!buf_add(out, &c, 1)) {
            perr_oom(p);
            return false;
        }
    }
}

bool lx_token(struct parser *p, struct lx *l, struct buf *out, bool *found)
{
    lx_skip(l);
    *found = l->i < l->n;
    if (!*found)
        return true;
    if (l->s[l->i] == '"')
        return lx_quoted(p, l, out);
    struct span w = lx_word(l);
    if (!buf_add(out, w.p, w.n)) {
        perr_oom(p);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------ lines */

void lx_lines(struct parser *p, const char *text, size_t len)
{
    size_t i = 0;
    int line = 0;
    while (i < len && !p->stopped) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - text) : len;
        size_t n = e - i;
        if (n > 0 && text[i + n - 1] == '\r')
            n--;
        p->line = ++line;
        bool too_long = n > LINE_BYTES_MAX;
        if (too_long || memchr(text + i, '\0', n)) {
            if (too_long)
                perr(p, "line longer than %u bytes", LINE_BYTES_MAX);
            else
                perr(p, "NUL byte in line");
            if (p->state == P_CASE)
                case_parse_unreadable(p, text + i, too_long ? LINE_BYTES_MAX : n);
        } else {
            case_parse_line(p, text + i, n);
        }
        i = e + 1;
    }
}

/*
 * case_parse.c - reads case files (the format of cases/README.md) into a struct
 * case_catalogue (case.h). The parser is also the lint: every rule of the format is
 * checked while reading, and every error is one "FILE:LINE: message" line through the
 * caller's diag callback. Parsing goes on after an error, so one run names every error
 * of a file (up to ERRORS_PER_FILE); a case with any error is left out of the catalogue,
 * so the peer never runs half of a case.
 *
 * Families are expanded here: a `template` body is kept as text, and each row of a
 * `table` substitutes {PARAM} and {id} into every body line before the line is read,
 * exactly as if it had been written out. Errors then name the row's line and the
 * template line the text came from. Templates are local to their file and must come
 * before the tables that use them (one pass, errors in line order).
 *
 * Payloads keep repeat(N, P) as a pattern (struct payload_seg), so a 16 MiB payload
 * costs one pattern to parse and to list; payload_copy and payload_equal work segment
 * by segment and never expand a whole payload.
 *
 * Any input is safe: case_parse_buffer is a fuzz target. Every size is bounded (the
 * limits below say why), recursion only happens for nested repeat() and is bounded by
 * REPEAT_NEST_MAX, and the parser works on lengths, never on NUL termination of input.
 */
#include "case.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_utf8.h"

/* ------------------------------------------------------------ limits */

/* Longest line, also after template substitution. The longest line the Autobahn
 * catalogue needs is a hex payload of a few hundred characters; 64 KiB leaves room for
 * hand-written payloads and keeps the work per line small. */
#define LINE_BYTES_MAX (64u * 1024u)
/* Largest case file. The whole Autobahn catalogue is under 1 MiB of case text; a file
 * 16 times that is a mistake, not a catalogue. */
#define FILE_BYTES_MAX (16u * 1024u * 1024u)
/* Diagnostics per file: after this many, the rest is noise caused by the first ones. */
#define ERRORS_PER_FILE 100
/* repeat(N, P): the brief of the format; section 9 sends at most 16 MiB, 2^32 leaves
 * room for bigger tests while keeping any payload's length far from overflow. */
#define REPEAT_COUNT_MAX (UINT64_C(1) << 32)
/* A repeat pattern is stored expanded (one copy); patterns in practice are 1-10 bytes.
 * Nested repeat() can make one big, so it is bounded like a line. */
#define PATTERN_BYTES_MAX (64u * 1024u)
/* repeat(N, repeat(M, ...)) nesting: the only recursion in the parser. */
#define REPEAT_NEST_MAX 8
/* Parts of one payload expression (P + P + ...); real payloads have 1-3. */
#define PAYLOAD_SEGS_MAX 1024
/* Steps of one case: Autobahn's longest script has about 20 steps; long runs use
 * roundtrip count=N or fragment=N, not lines. */
#define STEPS_MAX 10000
/* Events of one expect list: the same bound as what the peer records (RESULT_EVENTS_MAX
 * in result.h), beyond which an expectation could never be met. */
#define EVENTS_MAX 1000
/* rfc lines of one case: a case checks one requirement, sometimes a few. */
#define RFC_MAX 32
/* Parameters of a template (and values of a table row); Autobahn families need 1-4. */
#define PARAMS_MAX 16
/* Template and parameter names. */
#define NAME_BYTES_MAX 63
/* Text produced by template expansion per file: the whole catalogue expands to about
 * 1 MiB; the bound keeps a small file from expanding into gigabytes. */
#define EXPAND_BYTES_MAX (64u * 1024u * 1024u)
/* Timers and waits: a day. Section 9 runs up to 1000 s; more is a typo. */
#define SECONDS_MAX 86400.0
/* Templates of one file: Autobahn's families need about ten. */
#define TEMPLATES_MAX 1024
/* Bytes of expanded repeat patterns per file: patterns are a few bytes each; the bound
 * keeps repeat(1, repeat(65536, ...)) written many times from holding gigabytes. */
#define PATTERN_BYTES_PER_FILE (16u * 1024u * 1024u)
/* Cases and sections in one catalogue: Autobahn has 517 cases and about 100 sections;
 * the bounds keep a hostile input's memory small. */
#define CASES_MAX 100000
#define SECTIONS_MAX 4096
/* *.wsc files in one directory. */
#define DIR_FILES_MAX 10000

/* ------------------------------------------------------------ payloads */

/* Copy bytes [pos, pos + n) of one segment (the caller keeps within g->len). A short
 * pattern is not copied byte run by byte run: once one whole period sits in out, the
 * bytes written so far are copied again, doubling each time (log n memcpy calls). */
static void seg_copy(const struct payload_seg *g, uint64_t pos, uint8_t *out, size_t n)
{
    uint64_t pi = pos % g->pat_len;
    size_t first = g->pat_len - pi < n ? (size_t)(g->pat_len - pi) : n; /* < pat_len */
    memcpy(out, g->pat + pi, first);
    out += first;
    n -= first;
    if (n == 0)
        return;
    /* out is now at phase 0 of the pattern */
    uint8_t *base = out;
    size_t done = g->pat_len < n ? g->pat_len : n;
    memcpy(out, g->pat, done);
    n -= done;
    /* base[0..done) is a whole number of periods; appending a prefix of it keeps the
     * cycle, and source and destination never overlap (k <= done). */
    while (n > 0) {
        size_t k = done < n ? done : n;
        memcpy(base + done, base, k);
        done += k;
        n -= k;
    }
}

void payload_copy(const struct payload *p, uint64_t off, uint8_t *out, size_t n)
{
    uint64_t start = 0; /* payload offset of the current segment */
    for (size_t s = 0; s < p->n_segs && n > 0; s++) {
        const struct payload_seg *g = &p->segs[s];
        uint64_t end = start + g->len;
        if (g->pat_len == 0 || off >= end) {
            start = end;
            continue;
        }
        uint64_t pos = off - start; /* offset within the segment */
        uint64_t run = g->len - pos;
        if (run > n)
            run = n;
        /* run <= n, a size_t: the narrowing is exact */
        seg_copy(g, pos, out, (size_t)run);
        out += run;
        n -= (size_t)run;
        off += run;
        start = end;
    }
    /* Callers stay within p->len; should one not, it gets zeros, never stale memory. */
    if (n > 0)
        memset(out, 0, n);
}

bool payload_equal(const struct payload *p, const uint8_t *data, size_t len)
{
    if (!p)
        return len == 0;
    if (p->len != len)
        return false;
    size_t at = 0;
    for (size_t s = 0; s < p->n_segs; s++) {
        const struct payload_seg *g = &p->segs[s];
        if (g->len == 0)
            continue;
        if (g->pat_len == 0 || g->len > len - at)
            return false; /* a malformed payload equals nothing */
        /* g->len <= len - at, a size_t: exact */
        size_t seg = (size_t)g->len, first = g->pat_len < seg ? g->pat_len : seg;
        if (memcmp(data + at, g->pat, first) != 0)
            return false;
        /* The rest repeats the first period: data[i] == data[i - pat_len] over the
         * segment, one memcmp of the data against itself shifted by one period. */
        if (seg > first && memcmp(data + at + first, data + at, seg - first) != 0)
            return false;
        at += seg;
    }
    return at == len;
}

void payload_free(struct payload *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_segs; i++)
        free(p->segs[i].pat);
    free(p->segs);
    memset(p, 0, sizeof *p);
}

/* ------------------------------------------------------------ small helpers */

/* Grow an array whose capacity is implied by its count (8, 16, 32, ...), so the structs
 * of case.h need no capacity fields. Call before appending element n. */
static bool grow(void *arrp, size_t n, size_t size)
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

struct buf {
    uint8_t *p;
    size_t n, cap;
};

static bool buf_add(struct buf *b, const void *data, size_t n)
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

static char *dup_bytes(const void *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Template, parameter and tag names. */
static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '-';
}

struct span {
    const char *p;
    size_t n;
};

static bool span_is(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* User text inside a diagnostic: at most 40 bytes, anything not printable ASCII as '?',
 * so a diagnostic is always one short, safe line. */
static const char *show(char out[48], struct span s)
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

/* Dotted decimal: "1", "6.4", "10.1.1"; no empty part, no leading zero. */
static bool valid_dotted(struct span s, size_t max)
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

/* An unsigned decimal number (no sign, no blanks), with overflow checked. */
static bool parse_u64(struct span s, uint64_t *v)
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

/* Decimal seconds: digits with at most one '.', > 0, finite, at most SECONDS_MAX. The
 * characters are checked first so strtod's extras (signs, exponents, "inf", hex) are
 * refused. */
static bool parse_seconds(struct span s, double *v)
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

struct lx {
    const char *s;
    size_t n, i;
};

static void lx_skip(struct lx *l)
{
    while (l->i < l->n && is_blank(l->s[l->i]))
        l->i++;
}

static bool lx_end(struct lx *l)
{
    lx_skip(l);
    return l->i >= l->n;
}

static char lx_peek(struct lx *l)
{
    return l->i < l->n ? l->s[l->i] : '\0';
}

/* The next blank-separated word (empty at the end of the line). */
static struct span lx_word(struct lx *l)
{
    lx_skip(l);
    size_t b = l->i;
    while (l->i < l->n && !is_blank(l->s[l->i]))
        l->i++;
    return (struct span){l->s + b, l->i - b};
}

/* The next run of name characters (stops at ',' too, for event lists). */
static struct span lx_name(struct lx *l)
{
    lx_skip(l);
    size_t b = l->i;
    while (l->i < l->n && is_name_char(l->s[l->i]))
        l->i++;
    return (struct span){l->s + b, l->i - b};
}

/* The rest of the line, trailing blanks removed (free-text directives). */
static struct span lx_rest(struct lx *l)
{
    lx_skip(l);
    size_t e = l->n;
    while (e > l->i && is_blank(l->s[e - 1]))
        e--;
    struct span s = {l->s + l->i, e - l->i};
    l->i = l->n;
    return s;
}

/* A word without consuming it. */
static struct span lx_peek_word(struct lx *l)
{
    struct lx t = *l;
    return lx_word(&t);
}

/* ------------------------------------------------------------ the parser */

struct tline {
    char *text;
    size_t len;
    int line;
};

struct tmpl {
    char name[NAME_BYTES_MAX + 1];
    int line;
    bool bad;        /* its definition had an error: tables using it are skipped */
    bool header_bad; /* the template line itself: parameters may be missing */
    char params[PARAMS_MAX][NAME_BYTES_MAX + 1];
    bool used[PARAMS_MAX];
    size_t n_params;
    struct tline *lines;
    size_t n_lines;
};

enum pstate { P_TOP, P_CASE, P_TEMPLATE, P_TABLE };

/* Directives seen in the current case (for "missing" and "duplicate"). */
enum {
    SEEN_TITLE = 1u << 0,
    SEEN_EXPECTATION = 1u << 1,
    SEEN_RFC = 1u << 2,
    SEEN_KILL_AFTER = 1u << 3,
    SEEN_CLOSE_AFTER = 1u << 4,
    SEEN_SUPPRESS = 1u << 5,
    SEEN_EXPECT_OK = 1u << 6,
    SEEN_EXPECT_NS = 1u << 7,
    SEEN_EXPECT_SIZE = 1u << 8,
    SEEN_INFORMATIONAL = 1u << 9,
    SEEN_CLOSE_RULE = 1u << 10,
    SEEN_BEGIN = 1u << 11,
    SEEN_ROUNDTRIP = 1u << 12,
    SEEN_EXPECT_BAD = 1u << 13, /* an expect line with a bad keyword: not "missing" too */
};

struct parser {
    struct case_catalogue *cat;
    const char *file; /* owned by cat->files */
    void (*diag)(void *ud, const char *msg);
    void *ud;
    size_t errors;
    bool stopped; /* too many errors or out of memory: the rest of the file is skipped */
    int line;     /* the line being read (a table row while expanding) */
    enum pstate state;
    int block_line; /* line of the open case, template or table */

    /* the case being read */
    struct case_def c;
    bool c_bad;
    unsigned c_seen;

    /* templates of this file; the one being defined or used by the open table */
    struct tmpl *tmpls;
    size_t n_tmpls;
    size_t cur_tmpl;
    bool table_skip;
    const struct tmpl *exp_tmpl; /* expanding this template: errors name it */
    int exp_line;                /* template line being expanded, 0 = none */
    uint64_t expanded;
    bool expand_stopped;
    uint64_t pattern_bytes; /* repeat patterns stored from this file */
};

static void emit(void (*diag)(void *, const char *), void *ud, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void emit(void (*diag)(void *, const char *), void *ud, const char *fmt, ...)
{
    if (!diag)
        return;
    struct case_diag d;
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(d.msg, sizeof d.msg, fmt, ap);
    va_end(ap);
    if (r < 0)
        snprintf(d.msg, sizeof d.msg, "(diagnostic could not be formatted)");
    diag(ud, d.msg);
}

static void perr_at(struct parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Report an error at `line`; it spoils the case or template being read. */
static void perr_at(struct parser *p, int line, const char *fmt, ...)
{
    if (p->state == P_CASE || p->exp_tmpl)
        p->c_bad = true;
    if (p->state == P_TEMPLATE && p->cur_tmpl < p->n_tmpls)
        p->tmpls[p->cur_tmpl].bad = true;
    if (p->stopped)
        return;
    p->errors++;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r < 0)
        snprintf(msg, sizeof msg, "(diagnostic could not be formatted)");
    if (p->exp_tmpl && p->exp_line)
        emit(p->diag, p->ud, "%s:%d: %s (template '%s' line %d)", p->file, line, msg,
             p->exp_tmpl->name, p->exp_line);
    else if (p->exp_tmpl)
        emit(p->diag, p->ud, "%s:%d: %s (from template '%s')", p->file, line, msg,
             p->exp_tmpl->name);
    else
        emit(p->diag, p->ud, "%s:%d: %s", p->file, line, msg);
    if (p->errors >= ERRORS_PER_FILE) {
        p->stopped = true;
        emit(p->diag, p->ud, "%s:%d: too many errors (%d); the rest of the file is not read",
             p->file, line, ERRORS_PER_FILE);
    }
}

#define perr(p, ...) perr_at((p), (p)->line, __VA_ARGS__)

static void oom(struct parser *p)
{
    perr(p, "out of memory");
    p->stopped = true;
}

/* "unexpected 'X'" unless the line is used up. */
static bool expect_end(struct parser *p, struct lx *l)
{
    if (lx_end(l))
        return true;
    char b[48];
    perr(p, "unexpected '%s'", show(b, lx_peek_word(l)));
    return false;
}

/* ------------------------------------------------------------ strings and payloads */

/* A quoted string starting at l->s[l->i] == '"', escapes resolved, appended to out. */
static bool parse_quoted(struct parser *p, struct lx *l, struct buf *out)
{
    l->i++;
    for (;;) {
        if (l->i >= l->n) {
            perr(p, "unterminated string");
            return false;
        }
        char c = l->s[l->i++];
        if (c == '"')
            return true;
        if (c == '\\') {
            if (l->i >= l->n) {
                perr(p, "unterminated string");
                return false;
            }
            char e = l->s[l->i++];
            uint8_t byte;
            switch (e) {
            case '\\':
                byte = '\\';
                break;
            case '"':
                byte = '"';
                break;
            case 'n':
                byte = '\n';
                break;
            case 'r':
                byte = '\r';
                break;
            case 't':
                byte = '\t';
                break;
            case 'x': {
                int hi = l->i < l->n ? hex_value(l->s[l->i]) : -1;
                int lo = l->i + 1 < l->n ? hex_value(l->s[l->i + 1]) : -1;
                if (hi < 0 || lo < 0) {
                    perr(p, "bad escape in string: \\x needs two hex digits");
                    return false;
                }
                byte = (uint8_t)(hi << 4 | lo);
                l->i += 2;
                break;
            }
            default: {
                char b[48];
                perr(p, "bad escape '\\%s' in string (\\\\ \\\" \\n \\r \\t \\xHH)",
                     show(b, (struct span){&l->s[l->i - 1], 1}));
                return false;
            }
            }
            if (!buf_add(out, &byte, 1)) {
                oom(p);
                return false;
            }
            continue;
        }
        if (!buf_add(out, &c, 1)) {
            oom(p);
            return false;
        }
    }
}

/* A token: a quoted string (escapes resolved) or a blank-free word. The bytes are
 * appended to out. An empty result at the end of the line means "missing". */
static bool lx_token(struct parser *p, struct lx *l, struct buf *out, bool *found)
{
    lx_skip(l);
    *found = l->i < l->n;
    if (!*found)
        return true;
    if (l->s[l->i] == '"')
        return parse_quoted(p, l, out);
    struct span w = lx_word(l);
    if (!buf_add(out, w.p, w.n)) {
        oom(p);
        return false;
    }
    return true;
}

/* Append a segment (takes ownership of pat). Empty segments are dropped. */
static bool payload_add(struct parser *p, struct payload *pl, uint8_t *pat, size_t pat_len,
                        uint64_t len)
{
    if (len == 0) {
        free(pat);
        return true;
    }
    if (pl->n_segs >= PAYLOAD_SEGS_MAX) {
        free(pat);
        perr(p, "payload has more than %d parts", PAYLOAD_SEGS_MAX);
        return false;
    }
    if (!grow(&pl->segs, pl->n_segs, sizeof *pl->segs)) {
        free(pat);
        oom(p);
        return false;
    }
    pl->segs[pl->n_segs++] = (struct payload_seg){pat, pat_len, len};
    pl->len += len;
    return true;
}

/* Characters that may follow a payload term. */
static bool is_term_end(char c)
{
    return is_blank(c) || c == ',' || c == ')' || c == '+';
}

static bool parse_payload(struct parser *p, struct lx *l, struct payload *out, int depth);

static bool parse_hex(struct parser *p, struct lx *l, struct payload *out)
{
    l->i += 2; /* "0x" */
    size_t b = l->i;
    while (l->i < l->n && hex_value(l->s[l->i]) >= 0)
        l->i++;
    if (l->i < l->n && !is_term_end(l->s[l->i])) {
        char s[48];
        perr(p, "bad hex digit '%s' in payload", show(s, (struct span){&l->s[l->i], 1}));
        return false;
    }
    size_t digits = l->i - b;
    if (digits % 2) {
        perr(p, "odd number of hex digits (%zu) in payload", digits);
        return false;
    }
    if (digits == 0)
        return true;
    uint8_t *bytes = malloc(digits / 2);
    if (!bytes) {
        oom(p);
        return false;
    }
    for (size_t k = 0; k < digits / 2; k++)
        bytes[k] = (uint8_t)(hex_value(l->s[b + 2 * k]) << 4 | hex_value(l->s[b + 2 * k + 1]));
    return payload_add(p, out, bytes, digits / 2, digits / 2);
}

static bool parse_repeat(struct parser *p, struct lx *l, struct payload *out, int depth)
{
    l->i += 7; /* "repeat(" */
    lx_skip(l);
    size_t b = l->i;
    while (l->i < l->n && is_digit(l->s[l->i]))
        l->i++;
    struct span num = {l->s + b, l->i - b};
    uint64_t count;
    char s[48];
    if (num.n == 0) {
        perr(p, "repeat( needs a decimal count first");
        return false;
    }
    if (!parse_u64(num, &count) || count > REPEAT_COUNT_MAX) {
        perr(p, "repeat count %s is larger than 2^32", show(s, num));
        return false;
    }
    lx_skip(l);
    if (lx_peek(l) != ',') {
        perr(p, "expected ',' after the repeat count");
        return false;
    }
    l->i++;
    if (depth + 1 > REPEAT_NEST_MAX) {
        perr(p, "repeat() nested more than %d deep", REPEAT_NEST_MAX);
        return false;
    }
    struct payload inner = {0};
    if (!parse_payload(p, l, &inner, depth + 1)) {
        payload_free(&inner);
        return false;
    }
    lx_skip(l);
    if (lx_peek(l) != ')') {
        perr(p, "expected ')' to close repeat(");
        payload_free(&inner);
        return false;
    }
    l->i++;
    if (inner.len == 0) {
        perr(p, "repeat with an empty pattern");
        payload_free(&inner);
        return false;
    }
    if (inner.len > PATTERN_BYTES_MAX) {
        perr(p, "repeat pattern longer than %u bytes", PATTERN_BYTES_MAX);
        payload_free(&inner);
        return false;
    }
    size_t plen = (size_t)inner.len; /* <= PATTERN_BYTES_MAX: exact */
    p->pattern_bytes += plen;
    if (p->pattern_bytes > PATTERN_BYTES_PER_FILE) {
        perr(p, "repeat patterns of this file hold more than %u bytes", PATTERN_BYTES_PER_FILE);
        payload_free(&inner);
        return false;
    }
    uint8_t *pat = malloc(plen);
    if (!pat) {
        payload_free(&inner);
        oom(p);
        return false;
    }
    payload_copy(&inner, 0, pat, plen);
    payload_free(&inner);
    return payload_add(p, out, pat, plen, count);
}

static bool parse_term(struct parser *p, struct lx *l, struct payload *out, int depth)
{
    lx_skip(l);
    if (l->i >= l->n) {
        perr(p, "payload missing (\"...\", 0xHEX or repeat(N, P))");
        return false;
    }
    const char *s = l->s + l->i;
    size_t left = l->n - l->i;
    if (s[0] == '"') {
        struct buf b = {0};
        if (!parse_quoted(p, l, &b)) {
            free(b.p);
            return false;
        }
        return payload_add(p, out, b.p, b.n, b.n);
    }
    if (left >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return parse_hex(p, l, out);
    if (left >= 7 && memcmp(s, "repeat(", 7) == 0)
        return parse_repeat(p, l, out, depth);
    char b[48];
    perr(p, "bad payload '%s' (expected \"...\", 0xHEX or repeat(N, P))", show(b, lx_word(l)));
    return false;
}

/* P [+ P ...] appended to out. depth counts enclosing repeat(). */
static bool parse_payload(struct parser *p, struct lx *l, struct payload *out, int depth)
{
    if (!parse_term(p, l, out, depth))
        return false;
    for (;;) {
        size_t save = l->i;
        lx_skip(l);
        if (lx_peek(l) != '+') {
            l->i = save;
            return true;
        }
        l->i++;
        if (!parse_term(p, l, out, depth))
            return false;
    }
}

/* ------------------------------------------------------------ steps */

enum opt_key {
    O_FIN,
    O_RSV,
    O_MASK,
    O_FORM,
    O_LEN,
    O_CHOP,
    O_SYNC,
    O_FRAGMENT,
    O_CODE,
    O_REASON,
    O_PAYLOAD,
    O_TAG,
    O_COUNT,
    O_N
};

static const char *const opt_names[O_N] = {
    "fin",      "rsv",  "mask",   "form",    "len", "chop",  "sync",
    "fragment", "code", "reason", "payload", "tag", "count",
};

#define OB(k) (1u << (k))
#define OPTS_FRAME (OB(O_FIN) | OB(O_RSV) | OB(O_MASK) | OB(O_FORM) | OB(O_CHOP) | OB(O_SYNC))

static enum opt_key opt_lookup(struct span k)
{
    for (int i = 0; i < O_N; i++)
        if (span_is(k, opt_names[i]))
            return (enum opt_key)i;
    return O_N;
}

static bool parse_tag(struct parser *p, struct span v, char out[16])
{
    char b[48];
    bool ok = v.n > 0 && v.n < 16;
    for (size_t i = 0; ok && i < v.n; i++)
        ok = is_name_char(v.p[i]);
    if (!ok) {
        perr(p, "bad tag '%s' (1-15 of A-Z a-z 0-9 _ -)", show(b, v));
        return false;
    }
    memcpy(out, v.p, v.n);
    out[v.n] = '\0';
    return true;
}

/* One option's value (after "key="). */
static bool parse_opt_value(struct parser *p, struct lx *l, enum opt_key k, struct step *st)
{
    if (k == O_REASON || k == O_PAYLOAD) {
        if (k == O_PAYLOAD)
            st->close_raw = true;
        return parse_payload(p, l, &st->payload, 0);
    }
    struct span v = lx_word(l);
    uint64_t n = 0;
    char b[48];
    switch (k) {
    case O_FIN:
        if (!span_is(v, "0") && !span_is(v, "1"))
            break;
        st->fin = v.p[0] == '1';
        return true;
    case O_RSV:
        if (!parse_u64(v, &n) || n > 7)
            break;
        st->rsv = (uint8_t)n;
        return true;
    case O_MASK:
        if (span_is(v, "random")) {
            st->mask = MASK_RANDOM;
            return true;
        }
        if (span_is(v, "none")) {
            st->mask = MASK_NONE;
            return true;
        }
        {
            struct span h = v;
            if (h.n == 10 && h.p[0] == '0' && (h.p[1] == 'x' || h.p[1] == 'X')) {
                h.p += 2;
                h.n -= 2;
            }
            if (h.n != 8)
                break;
            bool ok = true;
            for (size_t i = 0; i < 8; i++)
                ok = ok && hex_value(h.p[i]) >= 0;
            if (!ok)
                break;
            for (size_t i = 0; i < 4; i++)
                st->mask_key[i] = (uint8_t)(hex_value(h.p[2 * i]) << 4 | hex_value(h.p[2 * i + 1]));
            st->mask = MASK_FIXED;
            return true;
        }
    case O_FORM:
        if (span_is(v, "7"))
            st->len_form = WS_LEN_7;
        else if (span_is(v, "16"))
            st->len_form = WS_LEN_16;
        else if (span_is(v, "64"))
            st->len_form = WS_LEN_64;
        else
            break;
        return true;
    case O_LEN:
        if (!parse_u64(v, &n))
            break;
        st->len_override = true;
        st->declared_len = n;
        return true;
    case O_CHOP:
        if (!parse_u64(v, &n) || n == 0 || n > UINT32_MAX)
            break;
        st->chop = (uint32_t)n;
        return true;
    case O_FRAGMENT:
        if (!parse_u64(v, &n) || n == 0)
            break;
        st->fragment = n;
        return true;
    case O_CODE:
        if (!parse_u64(v, &n) || n > 65535)
            break;
        st->close_has_code = true;
        st->close_code = (uint16_t)n;
        return true;
    case O_TAG:
        return parse_tag(p, v, st->tag);
    case O_COUNT:
        if (!parse_u64(v, &n) || n == 0 || n > UINT32_MAX)
            break;
        st->count = (uint32_t)n;
        return true;
    default:
        break;
    }
    static const char *const expected[O_N] = {
        [O_FIN] = "0 or 1",
        [O_RSV] = "0-7",
        [O_MASK] = "random, none or 8 hex digits",
        [O_FORM] = "7, 16 or 64",
        [O_LEN] = "a decimal length",
        [O_CHOP] = "1-4294967295",
        [O_FRAGMENT] = "a length > 0",
        [O_CODE] = "0-65535",
        [O_COUNT] = "1-4294967295",
    };
    perr(p, "bad value '%s' for %s= (%s)", show(b, v), opt_names[k],
         expected[k] ? expected[k] : "?");
    return false;
}

/* The rest of a step line: options from `allowed` in any order and, when want_payload,
 * one payload expression (before, between or after the options). *given collects the
 * options seen. */
static bool parse_items(struct parser *p, struct lx *l, const char *what, unsigned allowed,
                        bool want_payload, struct step *st, unsigned *given)
{
    bool have_payload = false;
    char b[48];
    for (;;) {
        lx_skip(l);
        if (l->i >= l->n)
            break;
        size_t j = l->i;
        while (j < l->n && ((l->s[j] >= 'a' && l->s[j] <= 'z') || l->s[j] == '-'))
            j++;
        struct span key = {l->s + l->i, j - l->i};
        bool eq = key.n > 0 && j < l->n && l->s[j] == '=';
        bool bare = key.n > 0 && (j == l->n || is_blank(l->s[j]));
        enum opt_key k = opt_lookup(key);
        if (eq || (bare && k != O_N)) {
            if (k == O_N) {
                perr(p, "unknown option '%s='", show(b, key));
                return false;
            }
            if (!(allowed & OB(k))) {
                perr(p, "option '%s' is not allowed in '%s'", opt_names[k], what);
                return false;
            }
            if (*given & OB(k)) {
                perr(p, "option '%s' given twice", opt_names[k]);
                return false;
            }
            if (k == O_SYNC) {
                if (eq) {
                    perr(p, "'sync' takes no value");
                    return false;
                }
                st->sync = true;
                l->i = j;
            } else {
                if (!eq) {
                    perr(p, "option '%s' needs a value: %s=...", opt_names[k], opt_names[k]);
                    return false;
                }
                l->i = j + 1;
                if (!parse_opt_value(p, l, k, st))
                    return false;
            }
            *given |= OB(k);
            continue;
        }
        if (!want_payload || have_payload) {
            perr(p, "unexpected '%s' in '%s'", show(b, lx_peek_word(l)), what);
            return false;
        }
        if (!parse_payload(p, l, &st->payload, 0))
            return false;
        have_payload = true;
    }
    if (want_payload && !have_payload) {
        perr(p, "'%s' needs a payload (\"...\", 0xHEX or repeat(N, P))", what);
        return false;
    }
    return true;
}

static bool parse_opcode(struct parser *p, struct span w, uint8_t *op)
{
    static const struct {
        const char *name;
        uint8_t op;
    } names[] = {
        {"cont", WS_OP_CONT},   {"text", WS_OP_TEXT}, {"binary", WS_OP_BINARY},
        {"close", WS_OP_CLOSE}, {"ping", WS_OP_PING}, {"pong", WS_OP_PONG},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (span_is(w, names[i].name)) {
            *op = names[i].op;
            return true;
        }
    uint64_t n;
    if (parse_u64(w, &n) && n <= 15) {
        *op = (uint8_t)n;
        return true;
    }
    char b[48];
    if (w.n == 0)
        perr(p, "opcode missing (cont, text, binary, close, ping, pong or 0-15)");
    else
        perr(p, "bad opcode '%s' (cont, text, binary, close, ping, pong or 0-15)", show(b, w));
    return false;
}

/* text|binary for send message, roundtrip and expect. */
static bool parse_data_type(struct parser *p, struct span w, bool *binary)
{
    if (span_is(w, "text") || span_is(w, "binary")) {
        *binary = w.p[0] == 'b';
        return true;
    }
    char b[48];
    perr(p, "expected 'text' or 'binary', not '%s'", show(b, w));
    return false;
}

/* The length field must be able to carry the length (ws_frame_write_header). */
static bool check_form(struct parser *p, const struct step *st)
{
    if (st->len_form == WS_LEN_MINIMAL || st->len_form == WS_LEN_64)
        return true;
    uint64_t len = st->len_override ? st->declared_len : st->payload.len;
    if (st->type == STEP_MESSAGE && st->fragment && st->fragment < len)
        len = st->fragment;
    /* An overridden 7-bit field may say 126 or 127 (a malformed frame on purpose). */
    uint64_t max = st->len_form == WS_LEN_7 ? (st->len_override ? 127 : 125) : 65535;
    if (len > max) {
        perr(p, "form=%s cannot carry a length of %llu (at most %llu)",
             st->len_form == WS_LEN_7 ? "7" : "16", (unsigned long long)len,
             (unsigned long long)max);
        return false;
    }
    return true;
}

static bool add_step(struct parser *p, struct step *st)
{
    if (p->c.n_steps >= STEPS_MAX) {
        perr(p, "more than %d steps in one case", STEPS_MAX);
        return false;
    }
    if (!grow(&p->c.steps, p->c.n_steps, sizeof *p->c.steps)) {
        oom(p);
        return false;
    }
    p->c.steps[p->c.n_steps++] = *st;
    return true;
}

static void step_init(struct parser *p, struct step *st, enum step_type t)
{
    memset(st, 0, sizeof *st);
    st->type = t;
    st->line = p->line;
    st->fin = true;
    st->mask = MASK_RANDOM;
    st->len_form = WS_LEN_MINIMAL;
}

static bool parse_send_step(struct parser *p, struct lx *l, struct step *st)
{
    struct span w = lx_word(l);
    unsigned given = 0;
    char b[48];
    bool binary;
    if (span_is(w, "frame")) {
        step_init(p, st, STEP_FRAME);
        return parse_opcode(p, lx_word(l), &st->opcode) &&
               parse_items(p, l, "send frame", OPTS_FRAME | OB(O_LEN), true, st, &given) &&
               check_form(p, st);
    }
    if (span_is(w, "message")) {
        step_init(p, st, STEP_MESSAGE);
        if (!parse_data_type(p, lx_word(l), &binary))
            return false;
        st->opcode = binary ? WS_OP_BINARY : WS_OP_TEXT;
        /* len= has no meaning for a message cut into frames; use send frame. */
        return parse_items(p, l, "send message", OPTS_FRAME | OB(O_FRAGMENT), true, st, &given) &&
               check_form(p, st);
    }
    if (span_is(w, "begin")) {
        step_init(p, st, STEP_BEGIN);
        if (!parse_opcode(p, lx_word(l), &st->opcode) ||
            !parse_items(p, l, "send begin", OPTS_FRAME | OB(O_LEN), false, st, &given))
            return false;
        if (!(given & OB(O_LEN))) {
            perr(p, "'send begin' needs len=N (the payload length it declares)");
            return false;
        }
        p->c_seen |= SEEN_BEGIN;
        return check_form(p, st);
    }
    if (span_is(w, "payload")) {
        step_init(p, st, STEP_PAYLOAD);
        if (!(p->c_seen & SEEN_BEGIN)) {
            perr(p, "'send payload' without an earlier 'send begin'");
            return false;
        }
        return parse_items(p, l, "send payload", OB(O_CHOP), true, st, &given);
    }
    if (span_is(w, "raw")) {
        step_init(p, st, STEP_RAW);
        return parse_items(p, l, "send raw", OB(O_CHOP), true, st, &given);
    }
    if (span_is(w, "close")) {
        step_init(p, st, STEP_CLOSE);
        st->opcode = WS_OP_CLOSE;
        if (!parse_items(p, l, "send close", OB(O_CODE) | OB(O_REASON) | OB(O_PAYLOAD), false, st,
                         &given))
            return false;
        if ((given & OB(O_PAYLOAD)) && (given & (OB(O_CODE) | OB(O_REASON)))) {
            perr(p, "payload= is the whole Close payload: not with code= or reason=");
            return false;
        }
        if ((given & OB(O_REASON)) && !(given & OB(O_CODE))) {
            perr(p, "reason= needs code= (use payload= for a payload without a code)");
            return false;
        }
        return true;
    }
    if (w.n == 0)
        perr(p, "'send' needs frame, message, begin, payload, raw or close");
    else
        perr(p, "unknown send step '%s' (frame, message, begin, payload, raw or close)",
             show(b, w));
    return false;
}

static void parse_send(struct parser *p, struct lx *l)
{
    struct step st;
    memset(&st, 0, sizeof st);
    if (!parse_send_step(p, l, &st) || !add_step(p, &st))
        payload_free(&st.payload);
}

static void parse_wait(struct parser *p, struct lx *l)
{
    struct step st;
    step_init(p, &st, STEP_WAIT);
    struct span w = lx_word(l);
    char b[48];
    unsigned given = 0;
    if (!parse_seconds(w, &st.seconds)) {
        perr(p, "'wait' needs seconds > 0 (at most %.0f), not '%s'", SECONDS_MAX, show(b, w));
        return;
    }
    if (!parse_items(p, l, "wait", OB(O_TAG), false, &st, &given))
        return;
    add_step(p, &st);
}

static void parse_roundtrip(struct parser *p, struct lx *l)
{
    struct step st;
    step_init(p, &st, STEP_ROUNDTRIP);
    bool binary;
    unsigned given = 0;
    if (!parse_data_type(p, lx_word(l), &binary))
        return;
    st.opcode = binary ? WS_OP_BINARY : WS_OP_TEXT;
    if (!parse_items(p, l, "roundtrip", OB(O_COUNT), true, &st, &given)) {
        payload_free(&st.payload);
        return;
    }
    if (!(given & OB(O_COUNT))) {
        perr(p, "'roundtrip' needs count=N");
        payload_free(&st.payload);
        return;
    }
    p->c_seen |= SEEN_ROUNDTRIP;
    if (!add_step(p, &st))
        payload_free(&st.payload);
}

/* ------------------------------------------------------------ judging directives */

static void event_list_free(struct event_list *el)
{
    for (size_t i = 0; i < el->n; i++)
        payload_free(&el->events[i].payload);
    free(el->events);
    memset(el, 0, sizeof *el);
}

static bool parse_event(struct parser *p, struct lx *l, struct event *ev)
{
    struct span w = lx_name(l);
    char b[48];
    memset(ev, 0, sizeof *ev);
    if (span_is(w, "message")) {
        ev->type = EV_MESSAGE;
        return parse_data_type(p, lx_name(l), &ev->binary) && parse_payload(p, l, &ev->payload, 0);
    }
    if (span_is(w, "pong")) {
        ev->type = EV_PONG;
        return parse_payload(p, l, &ev->payload, 0);
    }
    if (span_is(w, "timeout")) {
        ev->type = EV_TIMEOUT;
        struct lx save = *l;
        struct span t = lx_name(l);
        if (l->i < l->n && !is_blank(l->s[l->i]) && l->s[l->i] != ',') {
            *l = save; /* a character no tag has: show the whole word */
            t = lx_word(l);
        }
        return parse_tag(p, t, ev->tag);
    }
    if (w.n == 0)
        w = lx_word(l);
    perr(p, "bad event '%s' (message text|binary P, pong P or timeout T)", show(b, w));
    return false;
}

/* EVENT [, EVENT ...] to the end of the line (nothing = the empty list). */
static bool parse_events(struct parser *p, struct lx *l, struct event_list *out)
{
    char b[48];
    if (lx_end(l))
        return true;
    for (;;) {
        struct event ev;
        if (!parse_event(p, l, &ev)) {
            payload_free(&ev.payload);
            return false;
        }
        if (out->n >= EVENTS_MAX) {
            payload_free(&ev.payload);
            perr(p, "more than %d events in one list", EVENTS_MAX);
            return false;
        }
        if (!grow(&out->events, out->n, sizeof *out->events)) {
            payload_free(&ev.payload);
            oom(p);
            return false;
        }
        out->events[out->n++] = ev;
        if (lx_end(l))
            return true;
        if (lx_peek(l) != ',') {
            perr(p, "expected ',' between events, not '%s'", show(b, lx_peek_word(l)));
            return false;
        }
        l->i++;
        if (lx_end(l)) {
            perr(p, "event missing after ','");
            return false;
        }
    }
}

static bool seen_once(struct parser *p, unsigned bit, const char *name)
{
    if (p->c_seen & bit) {
        perr(p, "duplicate '%s'", name);
        return false;
    }
    p->c_seen |= bit;
    return true;
}

static void parse_expect(struct parser *p, struct lx *l)
{
    struct span w = lx_word(l);
    char b[48];
    if (span_is(w, "OK") || span_is(w, "NON-STRICT")) {
        bool ok = w.p[0] == 'O';
        if (!seen_once(p, ok ? SEEN_EXPECT_OK : SEEN_EXPECT_NS,
                       ok ? "expect OK" : "expect NON-STRICT"))
            return;
        if (p->c_seen & SEEN_EXPECT_SIZE) {
            perr(p, "'expect size' judges by size: no event lists with it");
            return;
        }
        struct event_list el = {0};
        if (!parse_events(p, l, &el)) {
            event_list_free(&el);
            return;
        }
        el.present = true;
        *(ok ? &p->c.ok : &p->c.non_strict) = el;
        return;
    }
    if (span_is(w, "size")) {
        if (!seen_once(p, SEEN_EXPECT_SIZE, "expect size"))
            return;
        if (p->c_seen & (SEEN_EXPECT_OK | SEEN_EXPECT_NS)) {
            perr(p, "'expect size' judges by size: no event lists with it");
            return;
        }
        if (p->c_seen & SEEN_INFORMATIONAL) {
            perr(p, "'expect size' and 'informational' exclude each other");
            return;
        }
        bool binary;
        if (!parse_data_type(p, lx_word(l), &binary))
            return;
        struct span n = lx_word(l);
        uint64_t len;
        if (!parse_u64(n, &len)) {
            perr(p, "'expect size' needs a decimal length, not '%s'", show(b, n));
            return;
        }
        struct step st;
        step_init(p, &st, STEP_WAIT);
        st.count = 1;
        unsigned given = 0;
        if (!parse_items(p, l, "expect size", OB(O_COUNT), false, &st, &given))
            return;
        p->c.judge = JUDGE_SIZE;
        p->c.size_binary = binary;
        p->c.size_len = len;
        p->c.size_count = st.count;
        return;
    }
    p->c_seen |= SEEN_EXPECT_BAD;
    if (w.n == 0)
        perr(p, "'expect' needs OK, NON-STRICT or size");
    else
        perr(p, "'expect' needs OK, NON-STRICT or size, not '%s'", show(b, w));
}

static void parse_close_rule(struct parser *p, struct lx *l)
{
    char b[48];
    if (!seen_once(p, SEEN_CLOSE_RULE, "close-rule"))
        return;
    struct close_rule cr;
    memset(&cr, 0, sizeof cr);
    struct span who = lx_word(l);
    if (span_is(who, "me"))
        cr.closed_by_me = true;
    else if (!span_is(who, "peer")) {
        perr(p, "close-rule needs 'me' or 'peer', not '%s'", show(b, who));
        return;
    }
    lx_skip(l);
    struct span first = lx_peek_word(l);
    if (span_is(first, "none")) {
        lx_word(l);
    } else {
        for (;;) {
            lx_skip(l);
            size_t s = l->i;
            while (l->i < l->n && is_digit(l->s[l->i]))
                l->i++;
            struct span num = {l->s + s, l->i - s};
            uint64_t code;
            if (num.n == 0 || (l->i < l->n && !is_blank(l->s[l->i]) && l->s[l->i] != ',')) {
                l->i = s;
                perr(p, "close-rule needs close codes (1000,1002) or none, not '%s'",
                     show(b, lx_peek_word(l)));
                return;
            }
            if (!parse_u64(num, &code) || code > 65535) {
                perr(p, "close code %s out of range (0-65535)", show(b, num));
                return;
            }
            for (size_t i = 0; i < cr.n_codes; i++)
                if (cr.codes[i] == code) {
                    perr(p, "close code %u listed twice", (unsigned)code);
                    return;
                }
            if (cr.n_codes >= sizeof cr.codes / sizeof cr.codes[0]) {
                perr(p, "more than %zu close codes", sizeof cr.codes / sizeof cr.codes[0]);
                return;
            }
            cr.codes[cr.n_codes++] = (uint16_t)code;
            size_t save = l->i;
            lx_skip(l);
            if (lx_peek(l) != ',') {
                l->i = save;
                break;
            }
            l->i++;
        }
    }
    for (;;) {
        struct span f = lx_word(l);
        if (f.n == 0)
            break;
        bool *flag = span_is(f, "clean")                ? &cr.require_clean
                     : span_is(f, "wrong-closer-fatal") ? &cr.wrong_closer_fatal
                     : span_is(f, "wrong-code-fails")   ? &cr.wrong_code_fails
                                                        : NULL;
        if (!flag) {
            perr(p, "unknown close-rule flag '%s' (clean, wrong-closer-fatal, wrong-code-fails)",
                 show(b, f));
            return;
        }
        if (*flag) {
            perr(p, "close-rule flag '%s' given twice", show(b, f));
            return;
        }
        *flag = true;
    }
    p->c.close = cr;
}

/* ------------------------------------------------------------ describing directives */

/* Text for reports: valid UTF-8 (reports are JSON and HTML) and no NUL (a table value
 * may bring one in through \x00). */
static bool check_text(struct parser *p, const char *what, const char *s, size_t n)
{
    if (memchr(s, '\0', n)) {
        perr(p, "'%s' contains a NUL byte", what);
        return false;
    }
    if (!ws_utf8_valid((const uint8_t *)s, n)) {
        perr(p, "'%s' is not valid UTF-8", what);
        return false;
    }
    return true;
}

static void parse_free_text(struct parser *p, struct lx *l, const char *what, unsigned bit,
                            char **field)
{
    struct span t = lx_rest(l);
    if (bit && !seen_once(p, bit, what))
        return;
    if (t.n == 0) {
        perr(p, "'%s' needs text", what);
        return;
    }
    if (!check_text(p, what, t.p, t.n))
        return;
    if (!*field) {
        if (!(*field = dup_bytes(t.p, t.n)))
            oom(p);
        return;
    }
    /* Several note lines make one paragraph. */
    size_t old = strlen(*field);
    char *q = realloc(*field, old + 1 + t.n + 1);
    if (!q) {
        oom(p);
        return;
    }
    q[old] = ' ';
    memcpy(q + old + 1, t.p, t.n);
    q[old + 1 + t.n] = '\0';
    *field = q;
}

static void parse_rfc(struct parser *p, struct lx *l)
{
    char b[48];
    p->c_seen |= SEEN_RFC;
    struct rfc_ref r;
    memset(&r, 0, sizeof r);
    struct span sec = lx_word(l);
    if (!valid_dotted(sec, sizeof r.section - 1)) {
        perr(p, "bad RFC section '%s' (dotted decimal like 5.5.1)", show(b, sec));
        return;
    }
    memcpy(r.section, sec.p, sec.n);
    struct span lvl = lx_word(l);
    if (span_is(lvl, "MUST"))
        r.level = RFC_MUST;
    else if (span_is(lvl, "SHOULD"))
        r.level = RFC_SHOULD;
    else if (span_is(lvl, "MAY"))
        r.level = RFC_MAY;
    else {
        perr(p, "RFC level must be MUST, SHOULD or MAY, not '%s'", show(b, lvl));
        return;
    }
    struct buf s = {0};
    bool found;
    if (!lx_token(p, l, &s, &found))
        goto out;
    if (!found || s.n == 0) {
        perr(p, "'rfc' needs the quoted sentence");
        goto out;
    }
    if (!lx_end(l)) {
        perr(p, "unexpected '%s' after the RFC sentence (quote the whole sentence)",
             show(b, lx_peek_word(l)));
        goto out;
    }
    if (!check_text(p, "rfc", (const char *)s.p, s.n))
        goto out;
    if (p->c.n_rfc >= RFC_MAX) {
        perr(p, "more than %d rfc lines in one case", RFC_MAX);
        goto out;
    }
    if (!(r.sentence = dup_bytes(s.p, s.n)) || !grow(&p->c.rfc, p->c.n_rfc, sizeof *p->c.rfc)) {
        free(r.sentence);
        oom(p);
        goto out;
    }
    p->c.rfc[p->c.n_rfc++] = r;
out:
    free(s.p);
}

static void parse_timer(struct parser *p, struct lx *l, const char *what, unsigned bit,
                        double *field)
{
    char b[48];
    if (!seen_once(p, bit, what))
        return;
    struct span w = lx_word(l);
    if (!parse_seconds(w, field)) {
        perr(p, "'%s' needs seconds > 0 (at most %.0f), not '%s'", what, SECONDS_MAX, show(b, w));
        return;
    }
    expect_end(p, l);
}

/* ------------------------------------------------------------ cases */

static void case_def_free(struct case_def *c)
{
    free(c->title);
    free(c->expectation);
    free(c->note);
    for (size_t i = 0; i < c->n_rfc; i++)
        free(c->rfc[i].sentence);
    free(c->rfc);
    for (size_t i = 0; i < c->n_steps; i++)
        payload_free(&c->steps[i].payload);
    free(c->steps);
    event_list_free(&c->ok);
    event_list_free(&c->non_strict);
    memset(c, 0, sizeof *c);
}

static const char *const case_directives[] = {
    "title", "expectation", "note",      "rfc",    "kill-after",    "close-after", "suppress-close",
    "send",  "wait",        "roundtrip", "expect", "informational", "close-rule",
};

static bool is_case_directive(struct span w)
{
    for (size_t i = 0; i < sizeof case_directives / sizeof case_directives[0]; i++)
        if (span_is(w, case_directives[i]))
            return true;
    return false;
}

static void case_start(struct parser *p, struct span id, int line)
{
    char b[48];
    memset(&p->c, 0, sizeof p->c);
    p->c_bad = false;
    p->c_seen = 0;
    p->c.file = p->file;
    p->c.line = line;
    p->c.judge = JUDGE_EVENTS;
    if (!valid_dotted(id, sizeof p->c.id - 1)) {
        p->c_bad = true;
        if (id.n == 0)
            perr_at(p, line, "case id missing");
        else
            perr_at(p, line, "bad case id '%s' (dotted decimal like 1.1.2, at most %zu chars)",
                    show(b, id), sizeof p->c.id - 1);
        return;
    }
    memcpy(p->c.id, id.p, id.n);
}

static bool wait_has_tag(const struct case_def *c, const char *tag)
{
    for (size_t i = 0; i < c->n_steps; i++)
        if (c->steps[i].type == STEP_WAIT && strcmp(c->steps[i].tag, tag) == 0)
            return true;
    return false;
}

static void check_timeout_tags(struct parser *p, const struct event_list *el)
{
    for (size_t i = 0; i < el->n; i++)
        if (el->events[i].type == EV_TIMEOUT && !wait_has_tag(&p->c, el->events[i].tag))
            perr_at(p, p->c.line, "case %s expects 'timeout %s' but no 'wait ... tag=%s' step",
                    p->c.id, el->events[i].tag, el->events[i].tag);
}

/* The case's `end` (or the end of a table row): required directives, cross-checks,
 * then into the catalogue unless anything was wrong. */
static void case_finish(struct parser *p)
{
    int line = p->c.line;
    const char *id = p->c.id[0] ? p->c.id : "?";
    static const struct {
        unsigned bit;
        const char *name;
    } required[] = {
        {SEEN_TITLE, "title"},
        {SEEN_EXPECTATION, "expectation"},
        {SEEN_RFC, "rfc"},
        {SEEN_CLOSE_RULE, "close-rule"},
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!(p->c_seen & required[i].bit))
            perr_at(p, line, "case %s has no '%s'", id, required[i].name);
    unsigned expects = SEEN_EXPECT_OK | SEEN_EXPECT_NS | SEEN_EXPECT_SIZE | SEEN_EXPECT_BAD;
    if (!(p->c_seen & (expects | SEEN_INFORMATIONAL)))
        perr_at(p, line, "case %s has no 'expect' (and is not 'informational')", id);
    if ((p->c_seen & SEEN_EXPECT_NS) && !(p->c_seen & SEEN_EXPECT_OK))
        perr_at(p, line, "case %s has 'expect NON-STRICT' but no 'expect OK'", id);
    if ((p->c_seen & SEEN_ROUNDTRIP) && !(p->c_seen & SEEN_EXPECT_SIZE))
        perr_at(p, line, "case %s has 'roundtrip' steps but no 'expect size'", id);
    check_timeout_tags(p, &p->c.ok);
    check_timeout_tags(p, &p->c.non_strict);
    if (!p->c_bad && p->cat->n_cases >= CASES_MAX)
        perr_at(p, line, "more than %d cases in the catalogue", CASES_MAX);
    if (!p->c_bad && !grow(&p->cat->cases, p->cat->n_cases, sizeof *p->cat->cases))
        oom(p);
    if (p->c_bad) {
        case_def_free(&p->c);
        return;
    }
    p->cat->cases[p->cat->n_cases++] = p->c;
    memset(&p->c, 0, sizeof p->c);
}

/* One directive line of a case body (written in a case, or expanded from a template). */
static void case_directive(struct parser *p, struct lx *l)
{
    struct span w = lx_word(l);
    char b[48];
    if (span_is(w, "title"))
        parse_free_text(p, l, "title", SEEN_TITLE, &p->c.title);
    else if (span_is(w, "expectation"))
        parse_free_text(p, l, "expectation", SEEN_EXPECTATION, &p->c.expectation);
    else if (span_is(w, "note"))
        parse_free_text(p, l, "note", 0, &p->c.note);
    else if (span_is(w, "rfc"))
        parse_rfc(p, l);
    else if (span_is(w, "kill-after"))
        parse_timer(p, l, "kill-after", SEEN_KILL_AFTER, &p->c.kill_after);
    else if (span_is(w, "close-after"))
        parse_timer(p, l, "close-after", SEEN_CLOSE_AFTER, &p->c.close_after);
    else if (span_is(w, "suppress-close")) {
        if (seen_once(p, SEEN_SUPPRESS, "suppress-close") && expect_end(p, l))
            p->c.suppress_close = true;
    } else if (span_is(w, "informational")) {
        if (!seen_once(p, SEEN_INFORMATIONAL, "informational"))
            return;
        if (p->c_seen & SEEN_EXPECT_SIZE) {
            perr(p, "'expect size' and 'informational' exclude each other");
            return;
        }
        if (expect_end(p, l))
            p->c.judge = JUDGE_INFORMATIONAL;
    } else if (span_is(w, "send"))
        parse_send(p, l);
    else if (span_is(w, "wait"))
        parse_wait(p, l);
    else if (span_is(w, "roundtrip"))
        parse_roundtrip(p, l);
    else if (span_is(w, "expect"))
        parse_expect(p, l);
    else if (span_is(w, "close-rule"))
        parse_close_rule(p, l);
    else
        perr(p, "unknown directive '%s'", show(b, w));
}

/* A case line that could not be read at all (too long, NUL byte) still counts as the
 * directive it starts with, so one bad line is one error and not also "missing". */
static void seen_unreadable(struct parser *p, const char *s, size_t n)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {
        {"title", SEEN_TITLE},       {"expectation", SEEN_EXPECTATION},
        {"rfc", SEEN_RFC},           {"close-rule", SEEN_CLOSE_RULE},
        {"expect", SEEN_EXPECT_BAD}, {"informational", SEEN_INFORMATIONAL},
    };
    struct lx l = {s, n, 0};
    struct span w = lx_word(&l);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (span_is(w, names[i].name))
            p->c_seen |= names[i].bit;
}

/* ------------------------------------------------------------ sections */

static void parse_section(struct parser *p, struct lx *l)
{
    char b[48];
    struct case_catalogue *cat = p->cat;
    struct span id = lx_word(l);
    struct span t = lx_rest(l);
    if (!valid_dotted(id, sizeof cat->sections[0].id - 1)) {
        perr(p, "bad section id '%s' (dotted decimal like 6.4)", show(b, id));
        return;
    }
    if (t.n == 0) {
        perr(p, "'section' needs a title");
        return;
    }
    if (!check_text(p, "section", t.p, t.n))
        return;
    for (size_t i = 0; i < cat->n_sections; i++)
        if (strlen(cat->sections[i].id) == id.n && memcmp(cat->sections[i].id, id.p, id.n) == 0) {
            perr(p, "section %s is already defined", show(b, id));
            return;
        }
    if (cat->n_sections >= SECTIONS_MAX) {
        perr(p, "more than %d sections", SECTIONS_MAX);
        return;
    }
    char *title = dup_bytes(t.p, t.n);
    if (!title || !grow(&cat->sections, cat->n_sections, sizeof *cat->sections)) {
        free(title);
        oom(p);
        return;
    }
    struct case_section *s = &cat->sections[cat->n_sections++];
    memset(s, 0, sizeof *s);
    memcpy(s->id, id.p, id.n);
    s->title = title;
}

/* ------------------------------------------------------------ templates and tables */

static void tmpl_free(struct tmpl *t)
{
    for (size_t i = 0; i < t->n_lines; i++)
        free(t->lines[i].text);
    free(t->lines);
}

static struct tmpl *tmpl_find(struct parser *p, struct span name)
{
    for (size_t i = 0; i < p->n_tmpls; i++)
        if (span_is(name, p->tmpls[i].name))
            return &p->tmpls[i];
    return NULL;
}

static bool valid_name(struct span s)
{
    if (s.n == 0 || s.n > NAME_BYTES_MAX)
        return false;
    for (size_t i = 0; i < s.n; i++)
        if (!is_name_char(s.p[i]))
            return false;
    return true;
}

/* The next {NAME} placeholder in s[from..n): *b at '{', *e after '}'. Braces around
 * anything that is not a name are plain text. */
static bool next_placeholder(const char *s, size_t n, size_t from, size_t *b, size_t *e)
{
    for (size_t i = from; i < n; i++) {
        if (s[i] != '{')
            continue;
        size_t j = i + 1;
        while (j < n && is_name_char(s[j]))
            j++;
        if (j > i + 1 && j < n && s[j] == '}') {
            *b = i;
            *e = j + 1;
            return true;
        }
    }
    return false;
}

static void template_begin(struct parser *p, struct lx *l)
{
    char b[48];
    struct span name = lx_word(l);
    if (p->n_tmpls >= TEMPLATES_MAX) {
        /* not registered: its body is read as top-level lines, so stop the file */
        perr(p, "more than %d templates in one file", TEMPLATES_MAX);
        p->stopped = true;
        return;
    }
    if (!grow(&p->tmpls, p->n_tmpls, sizeof *p->tmpls)) {
        oom(p);
        return;
    }
    struct tmpl *t = &p->tmpls[p->n_tmpls];
    memset(t, 0, sizeof *t);
    t->line = p->line;
    p->cur_tmpl = p->n_tmpls++;
    p->state = P_TEMPLATE;
    p->block_line = p->line;
    if (!valid_name(name)) {
        perr(p, "bad template name '%s' (1-%d of A-Z a-z 0-9 _ -)", show(b, name), NAME_BYTES_MAX);
        t->header_bad = true;
        return;
    }
    const struct tmpl *old = tmpl_find(p, name);
    memcpy(t->name, name.p, name.n);
    if (old && old != t) {
        perr(p, "template '%s' already defined at line %d", t->name, old->line);
        t->header_bad = true;
        return;
    }
    for (;;) {
        struct span w = lx_word(l);
        if (w.n == 0)
            break;
        if (!valid_name(w)) {
            perr(p, "bad parameter name '%s' (1-%d of A-Z a-z 0-9 _ -)", show(b, w),
                 NAME_BYTES_MAX);
            t->header_bad = true;
            return;
        }
        if (span_is(w, "id")) {
            perr(p, "parameter name 'id' is reserved ({id} is always the case id)");
            t->header_bad = true;
            return;
        }
        for (size_t i = 0; i < t->n_params; i++)
            if (span_is(w, t->params[i])) {
                perr(p, "parameter '%s' declared twice", t->params[i]);
                t->header_bad = true;
                return;
            }
        if (t->n_params >= PARAMS_MAX) {
            perr(p, "more than %d template parameters", PARAMS_MAX);
            t->header_bad = true;
            return;
        }
        memcpy(t->params[t->n_params++], w.p, w.n);
    }
}

static void template_end(struct parser *p)
{
    struct tmpl *t = &p->tmpls[p->cur_tmpl];
    for (size_t i = 0; i < t->n_params && !t->header_bad; i++)
        if (!t->used[i])
            perr_at(p, t->line, "parameter '%s' of template '%s' is never used", t->params[i],
                    t->name);
    p->state = P_TOP;
}

static void template_line(struct parser *p, struct lx *l)
{
    char b[48];
    struct tmpl *t = &p->tmpls[p->cur_tmpl];
    struct lx look = *l;
    struct span w = lx_word(&look);
    if (span_is(w, "end")) {
        if (expect_end(p, &look))
            template_end(p);
        else
            p->state = P_TOP;
        return;
    }
    if (span_is(w, "case") || span_is(w, "template") || span_is(w, "table") ||
        span_is(w, "section")) {
        perr(p, "'%s' is not allowed inside a template", show(b, w));
        return;
    }
    lx_skip(l);
    const char *s = l->s + l->i;
    size_t n = l->n - l->i;
    for (size_t from = 0, pb, pe; next_placeholder(s, n, from, &pb, &pe); from = pe) {
        struct span name = {s + pb + 1, pe - pb - 2};
        if (span_is(name, "id"))
            continue;
        bool known = false;
        for (size_t i = 0; i < t->n_params; i++)
            if (span_is(name, t->params[i])) {
                t->used[i] = known = true;
                break;
            }
        if (!known && !t->header_bad)
            perr(p, "unknown parameter {%s} in template '%s'", show(b, name), t->name);
    }
    if (!grow(&t->lines, t->n_lines, sizeof *t->lines)) {
        oom(p);
        return;
    }
    char *text = dup_bytes(s, n);
    if (!text) {
        oom(p);
        return;
    }
    t->lines[t->n_lines++] = (struct tline){text, n, p->line};
}

static void table_begin(struct parser *p, struct lx *l)
{
    char b[48];
    struct span name = lx_word(l);
    p->state = P_TABLE;
    p->block_line = p->line;
    p->table_skip = true;
    if (name.n == 0) {
        perr(p, "'table' needs a template name");
        return;
    }
    const struct tmpl *t = tmpl_find(p, name);
    if (!t) {
        perr(p, "unknown template '%s' (define it above the table, in the same file)",
             show(b, name));
        return;
    }
    if (!expect_end(p, l))
        return;
    p->cur_tmpl = (size_t)(t - p->tmpls);
    /* A template with errors has been reported; its rows would only repeat them. */
    p->table_skip = t->bad;
}

/* Instantiate the template for one row: substitute, then read each line as if it were
 * written in a case at the row's line. */
static void table_expand(struct parser *p, const struct tmpl *t, struct span id,
                         const struct buf *vals)
{
    case_start(p, id, p->line);
    p->exp_tmpl = t;
    struct buf out = {0};
    for (size_t k = 0; k < t->n_lines && !p->stopped; k++) {
        const struct tline *tl = &t->lines[k];
        p->exp_line = tl->line;
        out.n = 0;
        size_t from = 0, pb, pe;
        bool ok = true;
        while (ok && next_placeholder(tl->text, tl->len, from, &pb, &pe)) {
            struct span name = {tl->text + pb + 1, pe - pb - 2};
            /* unknown names were reported with the template; they stay as written */
            const void *v = tl->text + pb;
            size_t vn = pe - pb;
            if (span_is(name, "id")) {
                v = p->c.id;
                vn = strlen(p->c.id);
            } else {
                for (size_t i = 0; i < t->n_params; i++)
                    if (span_is(name, t->params[i])) {
                        v = vals[i].p;
                        vn = vals[i].n;
                        break;
                    }
            }
            ok = buf_add(&out, tl->text + from, pb - from) && buf_add(&out, v, vn);
            from = pe;
            if (out.n > LINE_BYTES_MAX)
                break;
        }
        ok = ok && buf_add(&out, tl->text + from, tl->len - from);
        if (!ok) {
            oom(p);
            break;
        }
        if (out.n > LINE_BYTES_MAX) {
            perr(p, "line longer than %u bytes after substitution", LINE_BYTES_MAX);
            seen_unreadable(p, (const char *)out.p, out.n);
            continue;
        }
        p->expanded += out.n;
        if (p->expanded > EXPAND_BYTES_MAX) {
            perr(p, "templates of this file expand to more than %u bytes", EXPAND_BYTES_MAX);
            p->expand_stopped = true;
            break;
        }
        if (memchr(out.p, '\0', out.n)) {
            perr(p, "a table value put a NUL byte into the line");
            seen_unreadable(p, (const char *)out.p, out.n);
            continue;
        }
        struct lx l = {(const char *)out.p, out.n, 0};
        case_directive(p, &l);
    }
    free(out.p);
    p->exp_line = 0;
    case_finish(p);
    p->exp_tmpl = NULL;
}

static void table_line(struct parser *p, struct lx *l)
{
    char b[48];
    struct lx look = *l;
    struct span w = lx_word(&look);
    if (span_is(w, "end")) {
        expect_end(p, &look);
        p->state = P_TOP;
        return;
    }
    if (p->table_skip || p->expand_stopped)
        return;
    const struct tmpl *t = &p->tmpls[p->cur_tmpl];
    struct span id = lx_word(l);
    if (!valid_dotted(id, sizeof p->c.id - 1)) {
        perr(p, "bad case id '%s' in table row (dotted decimal like 6.5.1)", show(b, id));
        return;
    }
    struct buf vals[PARAMS_MAX];
    memset(vals, 0, sizeof vals);
    size_t n = 0;
    bool ok = true;
    for (;;) {
        struct buf v = {0};
        bool found;
        if (!lx_token(p, l, &v, &found)) {
            free(v.p);
            ok = false;
            break;
        }
        if (!found)
            break;
        if (n < PARAMS_MAX)
            vals[n] = v;
        else
            free(v.p);
        n++;
    }
    if (ok && n != t->n_params) {
        perr(p, "table row %s has %zu value%s, template '%s' takes %zu", show(b, id), n,
             n == 1 ? "" : "s", t->name, t->n_params);
        ok = false;
    }
    if (ok)
        table_expand(p, t, id, vals);
    for (size_t i = 0; i < n && i < PARAMS_MAX; i++)
        free(vals[i].p);
}

/* ------------------------------------------------------------ lines and files */

static void top_line(struct parser *p, struct lx *l)
{
    char b[48];
    struct span w = lx_word(l);
    if (span_is(w, "case")) {
        struct span id = lx_word(l);
        p->state = P_CASE;
        p->block_line = p->line;
        case_start(p, id, p->line);
        expect_end(p, l);
    } else if (span_is(w, "section")) {
        parse_section(p, l);
    } else if (span_is(w, "template")) {
        template_begin(p, l);
    } else if (span_is(w, "table")) {
        table_begin(p, l);
    } else if (span_is(w, "end")) {
        perr(p, "'end' without an open case, template or table");
    } else if (is_case_directive(w)) {
        perr(p, "'%s' outside a case", show(b, w));
    } else {
        perr(p, "unknown directive '%s'", show(b, w));
    }
}

static void case_line(struct parser *p, struct lx *l)
{
    char b[48];
    struct lx look = *l;
    struct span w = lx_word(&look);
    if (span_is(w, "end")) {
        expect_end(p, &look);
        case_finish(p);
        p->state = P_TOP;
        return;
    }
    if (span_is(w, "case") || span_is(w, "template") || span_is(w, "table") ||
        span_is(w, "section")) {
        /* A missing `end`: drop the open case and read this line at the top level. */
        perr_at(p, p->block_line, "case %s has no 'end' (line %d starts '%s')",
                p->c.id[0] ? p->c.id : "?", p->line, show(b, w));
        case_def_free(&p->c);
        p->state = P_TOP;
        top_line(p, l);
        return;
    }
    case_directive(p, l);
}

static void parse_line(struct parser *p, const char *s, size_t n)
{
    struct lx l = {s, n, 0};
    lx_skip(&l);
    if (l.i >= n || s[l.i] == '#')
        return;
    switch (p->state) {
    case P_TOP:
        top_line(p, &l);
        break;
    case P_CASE:
        case_line(p, &l);
        break;
    case P_TEMPLATE:
        template_line(p, &l);
        break;
    case P_TABLE:
        table_line(p, &l);
        break;
    }
}

static int case_order(const void *a, const void *b)
{
    const struct case_def *x = a, *y = b;
    int c = case_id_cmp(x->id, y->id);
    if (c)
        return c;
    return (x->line > y->line) - (x->line < y->line);
}

static int section_order(const void *a, const void *b)
{
    return case_id_cmp(((const struct case_section *)a)->id, ((const struct case_section *)b)->id);
}

/* After a file: unterminated blocks, templates freed, duplicate ids removed (naming
 * both places), the catalogue sorted again. */
static void finish_file(struct parser *p, size_t first_new)
{
    if (p->state == P_CASE) {
        perr_at(p, p->block_line, "case %s has no 'end'", p->c.id[0] ? p->c.id : "?");
        case_def_free(&p->c);
    } else if (p->state == P_TEMPLATE) {
        perr_at(p, p->block_line, "template '%s' has no 'end'", p->tmpls[p->cur_tmpl].name);
    } else if (p->state == P_TABLE) {
        perr_at(p, p->block_line, "table has no 'end'");
    }
    p->state = P_TOP;
    for (size_t i = 0; i < p->n_tmpls; i++)
        tmpl_free(&p->tmpls[i]);
    free(p->tmpls);
    p->tmpls = NULL;
    p->n_tmpls = 0;

    struct case_catalogue *cat = p->cat;
    size_t n_new = cat->n_cases - first_new, kept = 0;
    struct case_def *nw = n_new ? cat->cases + first_new : NULL;
    if (n_new)
        qsort(nw, n_new, sizeof *nw, case_order);
    for (size_t i = 0; i < n_new; i++) {
        const struct case_def *first = NULL;
        if (kept > 0 && strcmp(nw[kept - 1].id, nw[i].id) == 0) {
            first = &nw[kept - 1];
        } else if (first_new > 0) {
            /* the earlier part is sorted and unique: binary search */
            size_t lo = 0, hi = first_new;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = case_id_cmp(cat->cases[mid].id, nw[i].id);
                if (c == 0) {
                    first = &cat->cases[mid];
                    break;
                }
                if (c < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
        }
        if (first) {
            perr_at(p, nw[i].line, "duplicate case id %s (first at %s:%d)", nw[i].id, first->file,
                    first->line);
            case_def_free(&nw[i]);
            continue;
        }
        if (kept != i)
            nw[kept] = nw[i];
        kept++;
    }
    cat->n_cases = first_new + kept;
    if (cat->n_cases)
        qsort(cat->cases, cat->n_cases, sizeof *cat->cases, case_order);
    if (cat->n_sections)
        qsort(cat->sections, cat->n_sections, sizeof *cat->sections, section_order);
}

size_t case_parse_buffer(struct case_catalogue *cat, const char *name, const char *text, size_t len,
                         void (*diag)(void *ud, const char *msg), void *ud)
{
    if (!name)
        name = "<buffer>";
    char *fname = dup_bytes(name, strlen(name));
    if (!fname || !grow(&cat->files, cat->n_files, sizeof *cat->files)) {
        free(fname);
        emit(diag, ud, "%s:0: out of memory", name);
        return 1;
    }
    cat->files[cat->n_files++] = fname;

    struct parser p;
    memset(&p, 0, sizeof p);
    p.cat = cat;
    p.file = fname;
    p.diag = diag;
    p.ud = ud;
    size_t first_new = cat->n_cases;
    if (len > FILE_BYTES_MAX) {
        perr_at(&p, 0, "file larger than %u bytes", FILE_BYTES_MAX);
        return p.errors;
    }
    if (!text)
        len = 0;
    size_t i = 0;
    int line = 0;
    while (i < len && !p.stopped) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - text) : len;
        size_t n = e - i;
        if (n > 0 && text[i + n - 1] == '\r')
            n--;
        p.line = ++line;
        bool too_long = n > LINE_BYTES_MAX;
        if (too_long || memchr(text + i, '\0', n)) {
            if (too_long)
                perr(&p, "line longer than %u bytes", LINE_BYTES_MAX);
            else
                perr(&p, "NUL byte in line");
            if (p.state == P_CASE)
                seen_unreadable(&p, text + i, too_long ? LINE_BYTES_MAX : n);
        } else
            parse_line(&p, text + i, n);
        i = e + 1;
    }
    finish_file(&p, first_new);
    return p.errors;
}

/* Read a whole file, at most FILE_BYTES_MAX + 1 bytes (enough to say it is too big). */
static size_t parse_path(struct case_catalogue *cat, const char *path,
                         void (*diag)(void *ud, const char *msg), void *ud)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        emit(diag, ud, "%s:0: cannot open: %s", path, strerror(errno));
        return 1;
    }
    struct buf b = {0};
    bool failed = false;
    while (b.n <= FILE_BYTES_MAX) {
        size_t want = 64 * 1024;
        if (b.cap - b.n < want) {
            size_t cap = b.cap ? b.cap * 2 : want;
            uint8_t *q = realloc(b.p, cap);
            if (!q) {
                failed = true;
                break;
            }
            b.p = q;
            b.cap = cap;
        }
        size_t got = fread(b.p + b.n, 1, want, f);
        b.n += got;
        if (got < want)
            break;
    }
    int err = ferror(f) ? errno : 0;
    fclose(f);
    size_t errors;
    if (failed) {
        emit(diag, ud, "%s:0: out of memory", path);
        errors = 1;
    } else if (err) {
        emit(diag, ud, "%s:0: cannot read: %s", path, strerror(err));
        errors = 1;
    } else {
        errors = case_parse_buffer(cat, path, (const char *)b.p, b.n, diag, ud);
    }
    free(b.p);
    return errors;
}

size_t case_parse_files(struct case_catalogue *cat, const char *const *paths, size_t n,
                        void (*diag)(void *ud, const char *msg), void *ud)
{
    size_t errors = 0;
    for (size_t i = 0; i < n; i++)
        errors += parse_path(cat, paths[i], diag, ud);
    return errors;
}

static int name_order(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t case_parse_dir(struct case_catalogue *cat, const char *dir,
                      void (*diag)(void *ud, const char *msg), void *ud)
{
    DIR *d = opendir(dir);
    if (!d) {
        emit(diag, ud, "%s:0: cannot open directory: %s", dir, strerror(errno));
        return 1;
    }
    char **paths = NULL;
    size_t n = 0, errors = 0;
    size_t dlen = strlen(dir);
    bool slash = dlen > 0 && dir[dlen - 1] == '/';
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e) {
            if (errno) {
                emit(diag, ud, "%s:0: cannot read directory: %s", dir, strerror(errno));
                errors++;
            }
            break;
        }
        size_t len = strlen(e->d_name);
        /* Hidden files are editor droppings (.1.wsc.swp), not cases. */
        if (e->d_name[0] == '.' || len <= 4 || strcmp(e->d_name + len - 4, ".wsc") != 0)
            continue;
        if (n >= DIR_FILES_MAX) {
            emit(diag, ud, "%s:0: more than %d case files", dir, DIR_FILES_MAX);
            errors++;
            break;
        }
        size_t plen = dlen + 1 + len + 1;
        char *path = malloc(plen);
        if (!path || !grow(&paths, n, sizeof *paths)) {
            free(path);
            emit(diag, ud, "%s:0: out of memory", dir);
            errors++;
            break;
        }
        snprintf(path, plen, "%s%s%s", dir, slash ? "" : "/", e->d_name);
        paths[n++] = path;
    }
    closedir(d);
    if (n)
        qsort(paths, n, sizeof *paths, name_order);
    errors += case_parse_files(cat, (const char *const *)paths, n, diag, ud);
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    return errors;
}

void case_catalogue_free(struct case_catalogue *cat)
{
    if (!cat)
        return;
    for (size_t i = 0; i < cat->n_cases; i++)
        case_def_free(&cat->cases[i]);
    free(cat->cases);
    for (size_t i = 0; i < cat->n_sections; i++)
        free(cat->sections[i].title);
    free(cat->sections);
    for (size_t i = 0; i < cat->n_files; i++)
        free(cat->files[i]);
    free(cat->files);
    memset(cat, 0, sizeof *cat);
}

/* Natural order: runs of digits compare as numbers ("9" < "10"), everything else byte
 * by byte; a shorter id that is a prefix comes first ("6.4" < "6.4.1"). Ids equal as
 * numbers but spelt differently ("1.01", "1.1") fall back to strcmp, so the order is
 * total. */
int case_id_cmp(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    size_t i = 0, j = 0;
    while (a[i] && b[j]) {
        if (is_digit(a[i]) && is_digit(b[j])) {
            while (a[i] == '0' && is_digit(a[i + 1]))
                i++;
            while (b[j] == '0' && is_digit(b[j + 1]))
                j++;
            size_t la = 0, lb = 0;
            while (is_digit(a[i + la]))
                la++;
            while (is_digit(b[j + lb]))
                lb++;
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = memcmp(a + i, b + j, la);
            if (c)
                return c < 0 ? -1 : 1;
            i += la;
            j += lb;
            continue;
        }
        if (a[i] != b[j])
            return (unsigned char)a[i] < (unsigned char)b[j] ? -1 : 1;
        i++;
        j++;
    }
    if (a[i] || b[j])
        return a[i] ? 1 : -1;
    int c = strcmp(a, b);
    return (c > 0) - (c < 0);
}

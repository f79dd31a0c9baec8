/*
 * case_parse_int.h - what the files of the case-file reader share; not an API (the
 * API is case.h). The reader is split by job:
 *
 *   case_lex.c     lines of a buffer, tokens of a line, quoted strings, numbers,
 *                  growing arrays and byte buffers
 *   payload.c      the payload model and payload expressions ("..", 0x.., repeat())
 *   case_parse.c   diagnostics; the directives, dispatched from case_vocab.def; cases
 *   case_step.c    the steps (send, wait, roundtrip) and their options
 *   case_request.c the opening handshake: the request's edits, how it is written,
 *                  the checks of the response
 *   case_family.c  templates and tables
 *   case_policy.c  declared policies: the `policy` directive, {NAME} placeholders
 *   case_files.c   files, directories, duplicate ids, order, freeing
 *
 * One struct parser is the state of reading one file. Every function that can find an
 * error takes it and reports through perr(), which also spoils the case (or template)
 * being read, so a case with an error never reaches the catalogue.
 */
#ifndef CASE_PARSE_INT_H
#define CASE_PARSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "case.h"
#include "case_vocab.h"

/* ------------------------------------------------------------ shared limits */

/* Longest line, also after template substitution. The longest line the Autobahn
 * catalogue needs is a hex payload of a few hundred characters; 64 KiB leaves room for
 * hand-written payloads and keeps the work per line small. */
#define LINE_BYTES_MAX (64u * 1024u)
/* Diagnostics per file: after this many, the rest is noise caused by the first ones. */
#define ERRORS_PER_FILE 100
/* Timers and waits: a day. Section 9 runs up to 1000 s; more is a typo. */
#define SECONDS_MAX 86400.0
/* Parameters of a template (and values of a table row); Autobahn families need 1-4. */
#define PARAMS_MAX 16
/* Template and parameter names. */
#define NAME_BYTES_MAX 63

/* ------------------------------------------------------------ text */

struct span {
    const char *p;
    size_t n;
};

/* A growable byte buffer (tokens, expanded lines, file contents). */
struct buf {
    uint8_t *p;
    size_t n, cap;
};

/* One line being read: s[0..n), i the next byte. */
struct lx {
    const char *s;
    size_t n, i;
};

static inline bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static inline bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static inline int hex_value(char c)
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
static inline bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '-';
}

/* ------------------------------------------------------------ the parser's state */

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

/* What the current case has shown so far (c_seen): bit CD_x for each directive line
 * read, and these facts beyond the directives. */
#define SEEN_EXPECT_OK (1ull << CD_N)
#define SEEN_EXPECT_NS (1ull << (CD_N + 1))
#define SEEN_EXPECT_SIZE (1ull << (CD_N + 2))
#define SEEN_BEGIN (1ull << (CD_N + 3))     /* a valid `send begin` */
#define SEEN_ROUNDTRIP (1ull << (CD_N + 4)) /* a valid `roundtrip` step */
#define SEEN_DIRECTIVE(d) (1ull << (d))
_Static_assert(CD_N + 5 <= 64, "c_seen holds a bit per directive and five facts");

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
    uint64_t c_seen;
    unsigned c_policy_used; /* placeholders {NAME} its lines used: 1u << CP_x */

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

/* ------------------------------------------------------------ case_lex.c */

/* Grow an array whose capacity is implied by its count (8, 16, 32, ...), so the structs
 * of case.h need no capacity fields. Call before appending element n. */
bool array_grow(void *arrp, size_t n, size_t size);
bool buf_add(struct buf *b, const void *data, size_t n);
/* s[0..n) as a NUL-terminated malloc'ed string; NULL when out of memory. */
char *bytes_dup(const void *s, size_t n);

bool span_is(struct span s, const char *lit);
/* User text inside a diagnostic: at most 40 bytes, anything not printable ASCII as '?',
 * so a diagnostic is always one short, safe line. Returns out. */
const char *span_show(char out[48], struct span s);
/* Dotted decimal: "1", "6.4", "10.1.1"; no empty part, no leading zero; <= max bytes. */
bool span_dotted(struct span s, size_t max);
/* 1-NAME_BYTES_MAX name characters. */
bool span_name(struct span s);
/* An unsigned decimal number (no sign, no blanks), with overflow checked. */
bool span_u64(struct span s, uint64_t *v);
/* Decimal seconds: digits with at most one '.', > 0, at most SECONDS_MAX. */
bool span_seconds(struct span s, double *v);

void lx_skip(struct lx *l);
/* True at the end of the line (blanks skipped). */
bool lx_end(struct lx *l);
char lx_peek(struct lx *l);
/* The next blank-separated word (empty at the end of the line). */
struct span lx_word(struct lx *l);
/* The next run of name characters (stops at ',' too, for event lists). */
struct span lx_name(struct lx *l);
/* The rest of the line, trailing blanks removed (free-text directives). */
struct span lx_rest(struct lx *l);
/* The next word without consuming it. */
struct span lx_peek_word(struct lx *l);
/* A quoted string at l->s[l->i] == '"', escapes resolved, appended to out. */
bool lx_quoted(struct parser *p, struct lx *l, struct buf *out);
/* A quoted string or a blank-free word appended to out; *found is false at the end of
 * the line. */
bool lx_token(struct parser *p, struct lx *l, struct buf *out, bool *found);
/* Split text[0..len) into lines and read each (case_parse_line). */
void lx_lines(struct parser *p, const char *text, size_t len);

/* ------------------------------------------------------------ payload.c */

/* P [+ P ...] at l, appended to out. */
bool payload_parse(struct parser *p, struct lx *l, struct payload *out);

/* ------------------------------------------------------------ case_parse.c */

/* Format and pass one diagnostic to diag (nothing when diag is NULL). */
void diag_emit(void (*diag)(void *, const char *), void *ud, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Report an error at `line`; it spoils the case or template being read. */
void perr_at(struct parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define perr(p, ...) perr_at((p), (p)->line, __VA_ARGS__)
void perr_oom(struct parser *p);
/* "unexpected 'X'" unless the line is used up. */
bool perr_unless_end(struct parser *p, struct lx *l);
/* Text for reports: valid UTF-8 and no NUL. */
bool check_text(struct parser *p, const char *what, const char *s, size_t n);
bool parse_tag(struct parser *p, struct span v, char out[16]);
/* "[RFCnnnn] SECTION LEVEL" of an rfc or response line: the RFC (RFC_DEFAULT when not
 * named), the section and the level. */
bool case_rfc_where(struct parser *p, struct lx *l, uint16_t *doc, char section[16],
                    enum rfc_level *level);

/* One non-blank, non-comment line of a file. */
void case_parse_line(struct parser *p, const char *s, size_t n);
/* A case starts (`case ID` or a table row) / ends (`end`, the end of a row). */
void case_parse_start(struct parser *p, struct span id, int line);
void case_parse_finish(struct parser *p);
/* One directive line of a case body. */
void case_parse_body_line(struct parser *p, struct lx *l);
/* A case line that could not be read at all still counts as the directive it starts
 * with, so one bad line is one error and not also "missing". */
void case_parse_unreadable(struct parser *p, const char *s, size_t n);
/* The end of a file: blocks left open are errors; templates are freed. */
void case_parse_end_file(struct parser *p);

/* ------------------------------------------------------------ case_step.c */

void case_step_send(struct parser *p, struct lx *l);
void case_step_wait(struct parser *p, struct lx *l);
void case_step_roundtrip(struct parser *p, struct lx *l);
/* A step with every field at its default. */
void case_step_init(struct parser *p, struct step *st, enum step_type t);
/* The rest of a line of kind ctx: its options in any order and, when want_payload,
 * one payload expression. *given collects the options seen (1u << CO_x). */
bool case_step_options(struct parser *p, struct lx *l, enum case_ctx ctx, bool want_payload,
                       struct step *st, unsigned *given);
/* text|binary for send message, roundtrip and expect. */
bool case_step_data_type(struct parser *p, struct span w, bool *binary);

/* ------------------------------------------------------------ case_request.c */

void case_request_line(struct parser *p, struct lx *l);
void case_response_status_line(struct parser *p, struct lx *l);
void case_response_raw(struct parser *p, struct lx *l);
void case_request_drop(struct parser *p, struct lx *l);
void case_request_set(struct parser *p, struct lx *l);
void case_request_add(struct parser *p, struct lx *l);
void case_request_raw(struct parser *p, struct lx *l);
void case_request_write(struct parser *p, struct lx *l);
void case_response(struct parser *p, struct lx *l);
void case_response_timeout(struct parser *p, struct lx *l);
/* The case's handshake as a whole, once its lines are read: how the edits go together,
 * the checks' levels against its rfc lines, whether it ends with the response (then it
 * has no steps after the 101, no expect, no close-rule, no timers). Sets
 * c.request.own and c.ends_at_response; called first by the completeness check. */
void case_request_finish(struct parser *p);
/* {key}, {host}, {path}: filled in when the request is built, so templates leave them
 * as they are and take no parameter of these names. */
bool case_request_placeholder(const char *name, size_t n);
void case_request_free(struct case_def *c);

/* ------------------------------------------------------------ case_family.c */

void case_family_template(struct parser *p, struct lx *l);
void case_family_table(struct parser *p, struct lx *l);
void case_family_template_line(struct parser *p, struct lx *l);
void case_family_table_line(struct parser *p, struct lx *l);
/* After a file: an open template or table is an error; every template is freed. */
void case_family_end_file(struct parser *p);

/* ------------------------------------------------------------ case_policy.c */

/* `policy NAME` */
void case_policy_directive(struct parser *p, struct lx *l);
/* The rest of line l with every {NAME} of a policy replaced by its value (declared, or
 * the survey value), into out: 1 when something was replaced (read out instead of l),
 * 0 when the line has no such placeholder (out untouched), -1 after an error. */
int case_policy_substitute(struct parser *p, const struct lx *l, struct buf *out);
/* At the end of a case: every placeholder it used has its `policy` line, and the
 * directive goes with how the case is judged. */
void case_policy_finish(struct parser *p);

/* ------------------------------------------------------------ case_files.c */

void case_def_free(struct case_def *c);
void event_list_free(struct event_list *el);

#endif

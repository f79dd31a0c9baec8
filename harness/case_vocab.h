/*
 * case_vocab.h - the words of the case format (cases/README.md) as tables: every
 * directive, every send kind and every step option, with where it may appear and a
 * one-line description. The rows are case_vocab.def; the parser dispatches from them,
 * `wsspec lint` prints them and suggests the nearest one for a misspelt word, and a
 * unit test checks that the README documents exactly these words.
 *
 * The tables are static data: nothing here allocates or holds state.
 */
#ifndef CASE_VOCAB_H
#define CASE_VOCAB_H

#include <stdbool.h>
#include <stddef.h>

enum case_directive_id {
#define CASE_DIRECTIVE(ID, ...) CD_##ID,
#define CASE_SEND(...)
#define CASE_OPTION(...)
#include "case_vocab.def"
#undef CASE_DIRECTIVE
#undef CASE_SEND
#undef CASE_OPTION
    CD_N
};

enum case_send_id {
#define CASE_DIRECTIVE(...)
#define CASE_SEND(ID, ...) CS_##ID,
#define CASE_OPTION(...)
#include "case_vocab.def"
#undef CASE_DIRECTIVE
#undef CASE_SEND
#undef CASE_OPTION
    CS_N
};

enum case_option_id {
#define CASE_DIRECTIVE(...)
#define CASE_SEND(...)
#define CASE_OPTION(ID, ...) CO_##ID,
#include "case_vocab.def"
#undef CASE_DIRECTIVE
#undef CASE_SEND
#undef CASE_OPTION
    CO_N
};

enum case_check_id {
#define CASE_CHECK(ID, ...) CK_##ID,
#include "case_vocab.def"
#undef CASE_CHECK
    CK_N
};

enum case_policy_id {
#define CASE_POLICY(ID, ...) CP_##ID,
#include "case_vocab.def"
#undef CASE_POLICY
    CP_N
};

/* The lines that take step options: one per send kind, then the other five. */
enum case_ctx {
#define CASE_DIRECTIVE(...)
#define CASE_SEND(ID, ...) CTX_SEND_##ID,
#define CASE_OPTION(...)
#include "case_vocab.def"
#undef CASE_DIRECTIVE
#undef CASE_SEND
#undef CASE_OPTION
    CTX_WAIT,
    CTX_ROUNDTRIP,
    CTX_EXPECT_SIZE,
    CTX_EXPECT_ECHO,
    CTX_REQUEST_WRITE,
    CTX_N
};
#define CASE_IN(ctx) (1u << CTX_##ctx)

/* How the reader begins the diagnostics for a word that is no row ("unknown directive
 * 'sned'", "unknown option 'fni='"); lint finds the word by them to suggest a row. */
#define CASE_MSG_UNKNOWN_DIRECTIVE "unknown directive '"
#define CASE_MSG_UNKNOWN_OPTION "unknown option '"

enum case_where { CV_TOP, CV_BODY, CV_END };
enum case_repeat { CV_ONCE, CV_MANY };
/* OPENED: every case that goes on after a 101 has one (all but the cases whose status
 * checks want a refusal: they end with the response). */
enum case_need { CV_OPTIONAL, CV_REQUIRED, CV_JUDGING, CV_OPENED };
enum case_arg { CV_FLAG, CV_VALUE };
enum case_policy_kind { CV_BYTES, CV_SECONDS, CV_ORIGIN };

struct case_directive_row {
    const char *name;
    enum case_where where;
    enum case_repeat repeat;
    enum case_need need;
    const char *args; /* "ID", "SECONDS [tag=T]", "" for none */
    const char *text;
};

struct case_send_row {
    const char *name; /* "frame": the word after `send` */
    const char *args;
    const char *text;
};

struct case_option_row {
    const char *name; /* "fin", without the '=' */
    enum case_arg arg;
    unsigned in;       /* CASE_IN(...) bits: the lines that take it */
    const char *value; /* "0 or 1"; "" for a flag */
    const char *text;
};

struct case_check_row {
    const char *name; /* "status": the word after `response SECTION LEVEL` */
    const char *args;
    const char *text;
};

struct case_policy_row {
    const char *name; /* "max-message-size": the placeholder {name}, wsspec run's --name */
    enum case_policy_kind kind;
    const char *survey; /* the value of {name} when the user declares none */
    const char *text;
};

extern const struct case_directive_row case_vocab_directives[CD_N];
extern const struct case_check_row case_vocab_checks[CK_N];
extern const struct case_send_row case_vocab_sends[CS_N];
extern const struct case_option_row case_vocab_options[CO_N];
extern const struct case_policy_row case_vocab_policies[CP_N];

/* Lookups of a word (not NUL-terminated: s[0..n)); -1 when it is not a row. */
int case_vocab_directive(const char *s, size_t n);
int case_vocab_send(const char *s, size_t n);
int case_vocab_option(const char *s, size_t n);
int case_vocab_check(const char *s, size_t n);
int case_vocab_policy(const char *s, size_t n);

/* A value of a policy of this kind, as `wsspec run --NAME VALUE` gives it: false with
 * why in err ("needs a decimal number of bytes from 1 to 4294967296") when it cannot
 * be one. A valid value can stand in any case line, also inside quotes. */
bool case_vocab_policy_value_ok(enum case_policy_kind kind, const char *v, char *err, size_t cap);

/* "send frame", "wait", "roundtrip", "expect size", "request-write": how a line that takes options
 * is named in messages and in the README's option table. NULL for a bad ctx. */
const char *case_vocab_ctx_name(enum case_ctx ctx);
/* The options allowed in ctx, as 1u << CO_x bits. */
unsigned case_vocab_options_in(enum case_ctx ctx);

/* "frame, message, begin, payload, raw or close" into out (always NUL-terminated;
 * cut short when cap is too small). */
void case_vocab_send_list(char *out, size_t cap);
/* "status, header, accept, ..." likewise, for the checks of `response`. */
void case_vocab_check_list(char *out, size_t cap);

/* The directive (or option) name nearest to word, for "did you mean": at most two
 * edits away (insert, delete, change, swap two neighbours) and fewer edits than half
 * the word's length; NULL when no name is that close, or when word is a name. */
const char *case_vocab_nearest_directive(const char *word);
const char *case_vocab_nearest_option(const char *word);

#endif

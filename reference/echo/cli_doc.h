/*
 * cli_doc.h - one description of a subcommand's command line, rendered two ways: the
 * `--help` text and a man page (roff). A subcommand fills a struct cli_doc from its
 * option table (run_opts.def, echo_opts.def: the same rows its parser looks options up
 * in), so --help and the man page cannot disagree: both print these rows.
 *
 * It lives beside `wsspec echo` because echo is the one subcommand under reference/
 * (harness/ may use reference/, never the reverse); the harness's subcommands use it
 * too. Nothing here allocates; the renderers only write to the FILE given.
 */
#ifndef CLI_DOC_H
#define CLI_DOC_H

#include <stddef.h>
#include <stdio.h>

/* One option: "--lng ARG" or "-s, --lng ARG". */
struct cli_opt {
    const char *lng;  /* after "--" */
    char shrt;        /* after "-", or 0 */
    const char *arg;  /* its argument's name, or NULL: a switch */
    unsigned max;     /* how often it may be given; > 1 adds "(repeatable)" */
    unsigned group;   /* index into cli_doc.group_intro */
    const char *help; /* one paragraph without line breaks */
};

/* A name that is not an option (an operand such as URL) and what it is. */
struct cli_operand {
    const char *name;
    const char *help;
};

struct cli_doc {
    const char *name; /* "run": the word after `wsspec` */
    /* what follows "wsspec run ": "URL [URL...] [options]"; a command with several forms
     * gives one per line, separated by '\n' */
    const char *synopsis;
    const char *const *description; /* paragraphs, NULL-terminated */
    const struct cli_operand *operands;
    size_t n_operands;
    const char *const *group_intro; /* per group: a paragraph before its options, "" none */
    size_t n_groups;
    const struct cli_opt *opts;
    size_t n_opts;
    /* after the options: a list of terms (names and what they are, as operands) under
     * a paragraph saying what they are; n_terms 0 for none */
    const char *terms_intro;
    const struct cli_operand *terms;
    size_t n_terms;
    const char *const *notes; /* paragraphs after the options, NULL-terminated, or NULL */
    /* --help only, after the notes: what depends on this machine (limits measured at
     * run time), which a man page cannot know; NULL for none */
    void (*help_extra)(FILE *f);
    const char *exit_status;     /* one paragraph */
    const char *const *examples; /* pairs: command line, what it does; NULL-terminated */
};

/* The `wsspec NAME --help` text: usage line(s), description, operands, options (grouped,
 * each group after its intro), terms, notes, exit status. */
void cli_doc_help(FILE *f, const struct cli_doc *d);

/* The man page wsspec-NAME(1) of d; summary is the NAME line's text (main.c's table),
 * date and version go to the .TH line. */
void cli_doc_man(FILE *f, const struct cli_doc *d, const char *summary, const char *date,
                 const char *version);

/* Words of text from column at, wrapped at 80 columns, continuation lines indented to
 * indent; ends the line. */
void cli_doc_wrap(FILE *f, const char *text, size_t at, size_t indent);

/* text as roff body text: backslashes escaped, a '-' that starts a word or follows
 * another '-' as \-, a line never starting with '.' or '\''. Ends the line. */
void cli_doc_roff(FILE *f, const char *text);

/* s with roff's escapes, no line end: a '-' is a minus (\-) everywhere with all_minus,
 * else where it starts a word or follows another '-' (an option named in prose). */
void cli_doc_roff_escaped(FILE *f, const char *s, int all_minus);

/* The option's roff label: \fB\-j\fR, \fB\-\-jobs\fR \fIN\fR */
void cli_doc_roff_opt(FILE *f, const struct cli_opt *o);

#endif

/*
 * cli_doc.c - a subcommand's struct cli_doc as `--help` text and as a man page
 * (cli_doc.h). The help text keeps the shape the tests read: one line per option,
 * "  -j, --jobs N" and its help from column CLI_HELP_COL.
 */
#include "cli_doc.h"

#include <string.h>

#define CLI_WIDTH 80    /* a terminal's width */
#define CLI_HELP_COL 25 /* where an option's help text starts */

void cli_doc_wrap(FILE *f, const char *text, size_t at, size_t indent)
{
    size_t line_start = at;
    for (const char *p = text + strspn(text, " "); *p; p += strspn(p, " ")) {
        size_t w = strcspn(p, " ");
        if (at > line_start && at + 1 + w > CLI_WIDTH) {
            fprintf(f, "\n%*s", (int)indent, "");
            at = line_start = indent;
        } else if (at > line_start) {
            fputc(' ', f);
            at++;
        }
        fwrite(p, 1, w, f);
        at += w;
        p += w;
    }
    fputc('\n', f);
}

/* "  label" then text from CLI_HELP_COL (or two blanks after a long label) */
static void put_row(FILE *f, const char *label, const char *text)
{
    size_t n = strlen(label);
    size_t pad = n + 2 > CLI_HELP_COL ? 2 : CLI_HELP_COL - n;
    fprintf(f, "%s%*s", label, (int)pad, "");
    cli_doc_wrap(f, text, n + pad, CLI_HELP_COL);
}

static void put_option(FILE *f, const struct cli_opt *o)
{
    char label[96], help[2048];
    if (o->shrt)
        snprintf(label, sizeof label, "  -%c, --%s%s%s", o->shrt, o->lng, o->arg ? " " : "",
                 o->arg ? o->arg : "");
    else
        snprintf(label, sizeof label, "  --%s%s%s", o->lng, o->arg ? " " : "",
                 o->arg ? o->arg : "");
    snprintf(help, sizeof help, "%s%s", o->help, o->max > 1 ? " (repeatable)" : "");
    put_row(f, label, help);
}

static void put_paragraphs(FILE *f, const char *const *p)
{
    for (; p && *p; p++) {
        fputc('\n', f);
        cli_doc_wrap(f, *p, 0, 0);
    }
}

/* The synopsis's forms, one line each: "usage: wsspec NAME FORM", the next ones under it. */
static void put_usage(FILE *f, const struct cli_doc *d)
{
    const char *p = d->synopsis;
    do {
        int n = (int)strcspn(p, "\n");
        fprintf(f, "%s%s%s%.*s\n", p == d->synopsis ? "usage: wsspec " : "       wsspec ", d->name,
                n ? " " : "", n, p);
        p += n;
    } while (*p++);
}

static void put_terms(FILE *f, const struct cli_doc *d)
{
    if (!d->n_terms)
        return;
    fputc('\n', f);
    cli_doc_wrap(f, d->terms_intro, 0, 0);
    for (size_t i = 0; i < d->n_terms; i++) {
        char label[64];
        snprintf(label, sizeof label, "  %s", d->terms[i].name);
        put_row(f, label, d->terms[i].help);
    }
}

void cli_doc_help(FILE *f, const struct cli_doc *d)
{
    put_usage(f, d);
    put_paragraphs(f, d->description);
    if (d->n_operands)
        fputc('\n', f);
    for (size_t i = 0; i < d->n_operands; i++) {
        char label[64];
        snprintf(label, sizeof label, "  %s", d->operands[i].name);
        put_row(f, label, d->operands[i].help);
    }
    for (size_t g = 0; g < d->n_groups; g++) {
        fputc('\n', f);
        if (d->group_intro[g][0]) {
            cli_doc_wrap(f, d->group_intro[g], 0, 0);
        } else if (g == 0)
            fputs("options:\n", f);
        for (size_t i = 0; i < d->n_opts; i++)
            if (d->opts[i].group == g)
                put_option(f, &d->opts[i]);
    }
    put_terms(f, d);
    put_paragraphs(f, d->notes);
    if (d->help_extra)
        d->help_extra(f);
    fputc('\n', f);
    cli_doc_wrap(f, d->exit_status, 0, 0);
}

/* ------------------------------------------------------------ roff */

void cli_doc_roff_escaped(FILE *f, const char *s, int all_minus)
{
    for (const char *p = s; *p; p++) {
        if (*p == '\\')
            fputs("\\e", f);
        else if (*p == '-' && (all_minus || p == s || p[-1] == ' ' || p[-1] == '-' ||
                               p[-1] == '(' || p[-1] == '`' || p[-1] == '\''))
            fputs("\\-", f);
        else
            fputc(*p, f);
    }
}

void cli_doc_roff(FILE *f, const char *text)
{
    text += strspn(text, " ");
    if (text[0] == '.' || text[0] == '\'')
        fputs("\\&", f);
    cli_doc_roff_escaped(f, text, 0);
    fputc('\n', f);
}

void cli_doc_roff_opt(FILE *f, const struct cli_opt *o)
{
    if (o->shrt)
        fprintf(f, "\\fB\\-%c\\fR, ", o->shrt);
    fputs("\\fB\\-\\-", f);
    cli_doc_roff_escaped(f, o->lng, 1);
    fputs("\\fR", f);
    if (o->arg) {
        fputs(" \\fI", f);
        cli_doc_roff_escaped(f, o->arg, 1);
        fputs("\\fR", f);
    }
    fputc('\n', f);
}

static void man_upper(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s, f);
}

static void man_paragraphs(FILE *f, const char *const *p)
{
    for (; p && *p; p++) {
        fputs(".PP\n", f);
        cli_doc_roff(f, *p);
    }
}

/* One ".B wsspec NAME" line and its form for each line of the synopsis, a .br between. */
static void man_synopsis(FILE *f, const struct cli_doc *d)
{
    const char *p = d->synopsis;
    do {
        char form[512];
        size_t n = strcspn(p, "\n");
        snprintf(form, sizeof form, "%.*s", (int)n, p);
        fprintf(f, "%s.B wsspec %s\n", p == d->synopsis ? "" : ".br\n", d->name);
        if (form[0])
            cli_doc_roff(f, form);
        p += n;
    } while (*p++);
}

void cli_doc_man(FILE *f, const struct cli_doc *d, const char *summary, const char *date,
                 const char *version)
{
    fputs(".\\\" generated by `wsspec man`: edit the option table, not this file\n", f);
    fputs(".TH WSSPEC\\-", f);
    man_upper(f, d->name);
    fprintf(f, " 1 \"%s\" \"wsspec %s\" \"wsspec manual\"\n", date, version);
    fprintf(f, ".SH NAME\nwsspec\\-%s \\- ", d->name);
    cli_doc_roff(f, summary);
    fputs(".SH SYNOPSIS\n", f);
    man_synopsis(f, d);
    fputs(".SH DESCRIPTION\n", f);
    man_paragraphs(f, d->description);
    for (size_t i = 0; i < d->n_operands; i++) {
        fprintf(f, ".TP\n\\fI%s\\fR\n", d->operands[i].name);
        cli_doc_roff(f, d->operands[i].help);
    }
    fputs(".SH OPTIONS\n", f);
    for (size_t g = 0; g < d->n_groups; g++) {
        if (d->group_intro[g][0]) {
            fputs(".PP\n", f);
            cli_doc_roff(f, d->group_intro[g]);
        }
        for (size_t i = 0; i < d->n_opts; i++) {
            const struct cli_opt *o = &d->opts[i];
            if (o->group != g)
                continue;
            fputs(".TP\n", f);
            cli_doc_roff_opt(f, o);
            cli_doc_roff(f, o->help);
            if (o->max > 1)
                fputs("(repeatable)\n", f);
        }
    }
    if (d->notes || d->n_terms)
        fputs(".SH NOTES\n", f);
    if (d->n_terms) {
        fputs(".PP\n", f);
        cli_doc_roff(f, d->terms_intro);
    }
    for (size_t i = 0; i < d->n_terms; i++) {
        fputs(".TP\n\\fB", f);
        cli_doc_roff_escaped(f, d->terms[i].name, 1);
        fputs("\\fR\n", f);
        cli_doc_roff(f, d->terms[i].help);
    }
    man_paragraphs(f, d->notes);
    fputs(".SH EXIT STATUS\n", f);
    cli_doc_roff(f, d->exit_status);
    if (d->examples && d->examples[0]) {
        fputs(".SH EXAMPLES\n", f);
        for (const char *const *e = d->examples; e[0] && e[1]; e += 2) {
            fputs(".TP\n\\fB", f);
            cli_doc_roff_escaped(f, e[0], 1);
            fputs("\\fR\n", f);
            cli_doc_roff(f, e[1]);
        }
    }
    fputs(".SH SEE ALSO\n.BR wsspec (1),\n.BR wsspec\\-cases (5)\n", f);
}

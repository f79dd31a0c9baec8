/*
 * case_family.c - families of cases (cases/README.md, "Families"): a `template` body is
 * kept as text, and each row of a `table` substitutes {PARAM} and {id} into every body
 * line before the line is read, exactly as if it had been written out in a case. Errors
 * then name the row's line and the template line the text came from.
 *
 * Templates are local to their file and must come before the tables that use them (one
 * pass, errors in line order). A template with an error is reported once, at its
 * definition; the rows of tables using it are skipped rather than repeating it.
 */
#include "case_parse_int.h"

#include <stdlib.h>
#include <string.h>

/* Text produced by template expansion per file: the whole catalogue expands to about
 * 1 MiB; the bound keeps a small file from expanding into gigabytes. */
#define EXPAND_BYTES_MAX (64u * 1024u * 1024u)
/* Templates of one file: Autobahn's families need about ten. */
#define TEMPLATES_MAX 1024

/* ------------------------------------------------------------ templates */

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

/* Index of name among t's parameters, or -1. */
static int tmpl_param(const struct tmpl *t, struct span name)
{
    for (size_t i = 0; i < t->n_params; i++)
        if (span_is(name, t->params[i]))
            return (int)i;
    return -1;
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

/* One parameter name of the template line; false (reported) when it cannot be one. */
static bool add_param(struct parser *p, struct tmpl *t, struct span w)
{
    char b[48];
    if (!span_name(w))
        perr(p, "bad parameter name '%s' (1-%d of A-Z a-z 0-9 _ -)", span_show(b, w),
             NAME_BYTES_MAX);
    else if (span_is(w, "id"))
        perr(p, "parameter name 'id' is reserved ({id} is always the case id)");
    else if (case_request_placeholder(w.p, w.n))
        perr(p, "parameter name '%s' is reserved ({%s} is filled in when the request is built)",
             span_show(b, w), span_show(b, w));
    else if (tmpl_param(t, w) >= 0)
        perr(p, "parameter '%s' declared twice", t->params[tmpl_param(t, w)]);
    else if (t->n_params >= PARAMS_MAX)
        perr(p, "more than %d template parameters", PARAMS_MAX);
    else {
        memcpy(t->params[t->n_params++], w.p, w.n);
        return true;
    }
    t->header_bad = true;
    return false;
}

/* NAME PARAM... of a template line into t. */
static void template_header(struct parser *p, struct tmpl *t, struct span name, struct lx *l)
{
    char b[48];
    if (!span_name(name)) {
        perr(p, "bad template name '%s' (1-%d of A-Z a-z 0-9 _ -)", span_show(b, name),
             NAME_BYTES_MAX);
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
    for (struct span w = lx_word(l); w.n > 0; w = lx_word(l))
        if (!add_param(p, t, w))
            return;
}

void case_family_template(struct parser *p, struct lx *l)
{
    struct span name = lx_word(l);
    if (p->n_tmpls >= TEMPLATES_MAX) {
        /* not registered: its body is read as top-level lines, so stop the file */
        perr(p, "more than %d templates in one file", TEMPLATES_MAX);
        p->stopped = true;
        return;
    }
    if (!array_grow(&p->tmpls, p->n_tmpls, sizeof *p->tmpls)) {
        perr_oom(p);
        return;
    }
    struct tmpl *t = &p->tmpls[p->n_tmpls];
    memset(t, 0, sizeof *t);
    t->line = p->line;
    p->cur_tmpl = p->n_tmpls++;
    p->state = P_TEMPLATE;
    p->block_line = p->line;
    template_header(p, t, name, l);
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

/* Mark the parameters a body line uses; name the ones the template does not have. */
static void template_uses(struct parser *p, struct tmpl *t, const char *s, size_t n)
{
    char b[48];
    for (size_t from = 0, pb, pe; next_placeholder(s, n, from, &pb, &pe); from = pe) {
        struct span name = {s + pb + 1, pe - pb - 2};
        if (span_is(name, "id") || case_request_placeholder(name.p, name.n))
            continue;
        int i = tmpl_param(t, name);
        /* a declared policy's value (case_policy.c), unless a parameter has its name */
        if (i < 0 && case_vocab_policy(name.p, name.n) >= 0)
            continue;
        if (i >= 0)
            t->used[i] = true;
        else if (!t->header_bad)
            perr(p, "unknown parameter {%s} in template '%s'", span_show(b, name), t->name);
    }
}

void case_family_template_line(struct parser *p, struct lx *l)
{
    char b[48];
    struct tmpl *t = &p->tmpls[p->cur_tmpl];
    struct lx look = *l;
    struct span w = lx_word(&look);
    int d = case_vocab_directive(w.p, w.n);
    if (d >= 0 && case_vocab_directives[d].where == CV_END) {
        if (perr_unless_end(p, &look))
            template_end(p);
        else
            p->state = P_TOP;
        return;
    }
    if (d >= 0 && case_vocab_directives[d].where == CV_TOP) {
        perr(p, "'%s' is not allowed inside a template", span_show(b, w));
        return;
    }
    lx_skip(l);
    const char *s = l->s + l->i;
    size_t n = l->n - l->i;
    template_uses(p, t, s, n);
    char *text;
    if (!array_grow(&t->lines, t->n_lines, sizeof *t->lines) || !(text = bytes_dup(s, n))) {
        perr_oom(p);
        return;
    }
    t->lines[t->n_lines++] = (struct tline){text, n, p->line};
}

/* ------------------------------------------------------------ tables */

void case_family_table(struct parser *p, struct lx *l)
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
             span_show(b, name));
        return;
    }
    if (!perr_unless_end(p, l))
        return;
    p->cur_tmpl = (size_t)(t - p->tmpls);
    /* A template with errors has been reported; its rows would only repeat them. */
    p->table_skip = t->bad;
}

/* One template line with the row's values substituted, into out (emptied first).
 * False when out of memory. Substitution stops once the line is longer than
 * LINE_BYTES_MAX: the line is an error, and its length need not grow further. */
static bool substitute(struct parser *p, const struct tmpl *t, const struct tline *tl,
                       const struct buf *vals, struct buf *out)
{
    size_t from = 0, pb, pe;
    out->n = 0;
    while (next_placeholder(tl->text, tl->len, from, &pb, &pe)) {
        struct span name = {tl->text + pb + 1, pe - pb - 2};
        /* unknown names were reported with the template; they stay as written */
        const void *v = tl->text + pb;
        size_t vn = pe - pb;
        int i = tmpl_param(t, name);
        if (span_is(name, "id")) {
            v = p->c.id;
            vn = strlen(p->c.id);
        } else if (i >= 0) {
            v = vals[i].p;
            vn = vals[i].n;
        }
        if (!buf_add(out, tl->text + from, pb - from) || !buf_add(out, v, vn))
            return false;
        from = pe;
        if (out->n > LINE_BYTES_MAX)
            break;
    }
    return buf_add(out, tl->text + from, tl->len - from);
}

/* Read one substituted line as a case body line; false when expansion must stop. */
static bool expand_line(struct parser *p, const struct buf *out)
{
    if (out->n > LINE_BYTES_MAX) {
        perr(p, "line longer than %u bytes after substitution", LINE_BYTES_MAX);
        case_parse_unreadable(p, (const char *)out->p, out->n);
        return true;
    }
    p->expanded += out->n;
    if (p->expanded > EXPAND_BYTES_MAX) {
        perr(p, "templates of this file expand to more than %u bytes", EXPAND_BYTES_MAX);
        p->expand_stopped = true;
        return false;
    }
    if (memchr(out->p, '\0', out->n)) {
        perr(p, "a table value put a NUL byte into the line");
        case_parse_unreadable(p, (const char *)out->p, out->n);
        return true;
    }
    struct lx l = {(const char *)out->p, out->n, 0};
    case_parse_body_line(p, &l);
    return true;
}

/* Instantiate the template for one row: substitute, then read each line as if it were
 * written in a case at the row's line. */
static void table_expand(struct parser *p, const struct tmpl *t, struct span id,
                         const struct buf *vals)
{
    case_parse_start(p, id, p->line);
    p->exp_tmpl = t;
    struct buf out = {0};
    for (size_t k = 0; k < t->n_lines && !p->stopped; k++) {
        p->exp_line = t->lines[k].line;
        if (!substitute(p, t, &t->lines[k], vals, &out)) {
            perr_oom(p);
            break;
        }
        if (!expand_line(p, &out))
            break;
    }
    free(out.p);
    p->exp_line = 0;
    case_parse_finish(p);
    p->exp_tmpl = NULL;
}

/* The values of a row into vals (at most PARAMS_MAX kept); *n counts them all. */
static bool table_values(struct parser *p, struct lx *l, struct buf vals[PARAMS_MAX], size_t *n)
{
    for (*n = 0;; (*n)++) {
        struct buf v = {0};
        bool found;
        if (!lx_token(p, l, &v, &found)) {
            free(v.p);
            return false;
        }
        if (!found)
            return true;
        if (*n < PARAMS_MAX)
            vals[*n] = v;
        else
            free(v.p);
    }
}

void case_family_table_line(struct parser *p, struct lx *l)
{
    char b[48];
    struct lx look = *l;
    struct span w = lx_word(&look);
    int d = case_vocab_directive(w.p, w.n);
    if (d >= 0 && case_vocab_directives[d].where == CV_END) {
        perr_unless_end(p, &look);
        p->state = P_TOP;
        return;
    }
    if (p->table_skip || p->expand_stopped)
        return;
    const struct tmpl *t = &p->tmpls[p->cur_tmpl];
    struct span id = lx_word(l);
    if (!span_dotted(id, sizeof p->c.id - 1)) {
        perr(p, "bad case id '%s' in table row (dotted decimal like 6.5.1)", span_show(b, id));
        return;
    }
    struct buf vals[PARAMS_MAX];
    memset(vals, 0, sizeof vals);
    size_t n = 0;
    bool ok = table_values(p, l, vals, &n);
    if (ok && n != t->n_params) {
        perr(p, "table row %s has %zu value%s, template '%s' takes %zu", span_show(b, id), n,
             n == 1 ? "" : "s", t->name, t->n_params);
        ok = false;
    }
    if (ok)
        table_expand(p, t, id, vals);
    for (size_t i = 0; i < n && i < PARAMS_MAX; i++)
        free(vals[i].p);
}

/* ------------------------------------------------------------ end of file */

void case_family_end_file(struct parser *p)
{
    if (p->state == P_TEMPLATE)
        perr_at(p, p->block_line, "template '%s' has no 'end'", p->tmpls[p->cur_tmpl].name);
    else if (p->state == P_TABLE)
        perr_at(p, p->block_line, "table has no 'end'");
    for (size_t i = 0; i < p->n_tmpls; i++)
        tmpl_free(&p->tmpls[i]);
    free(p->tmpls);
    p->tmpls = NULL;
    p->n_tmpls = 0;
}

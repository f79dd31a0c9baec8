/*
 * case_files.c - the catalogue as a whole (case.h): files and directories read into
 * it, ids unique over every file (a duplicate names both places), cases and sections
 * in numeric id order, and everything freed again. The lines of each file are read by
 * case_lex.c and case_parse.c.
 */
#include "case_parse_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest case file. The whole Autobahn catalogue is under 1 MiB of case text; a file
 * 16 times that is a mistake, not a catalogue. */
#define FILE_BYTES_MAX (16u * 1024u * 1024u)
/* *.wsc files in one directory. */
#define DIR_FILES_MAX 10000

/* ------------------------------------------------------------ freeing */

void event_list_free(struct event_list *el)
{
    for (size_t i = 0; i < el->n; i++)
        payload_free(&el->events[i].payload);
    free(el->events);
    memset(el, 0, sizeof *el);
}

void case_def_free(struct case_def *c)
{
    free(c->title);
    free(c->expectation);
    free(c->note);
    free(c->deflate_offer);
    for (size_t i = 0; i < c->n_rfc; i++)
        free(c->rfc[i].sentence);
    free(c->rfc);
    for (size_t i = 0; i < c->n_steps; i++)
        payload_free(&c->steps[i].payload);
    free(c->steps);
    event_list_free(&c->ok);
    event_list_free(&c->non_strict);
    case_request_free(c);
    memset(c, 0, sizeof *c);
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

/* ------------------------------------------------------------ order */

/* The digit run at s: leading zeros skipped (*s moved past them), its length. */
static size_t digit_run(const char **s)
{
    while ((*s)[0] == '0' && is_digit((*s)[1]))
        (*s)++;
    size_t n = 0;
    while (is_digit((*s)[n]))
        n++;
    return n;
}

/* Natural order: runs of digits compare as numbers ("9" < "10"), everything else byte
 * by byte; a shorter id that is a prefix comes first ("6.4" < "6.4.1"). Ids equal as
 * numbers but spelt differently ("1.01", "1.1") fall back to strcmp, so the order is
 * total. */
int case_id_cmp(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    const char *x = a, *y = b;
    while (*x && *y) {
        if (is_digit(*x) && is_digit(*y)) {
            size_t la = digit_run(&x), lb = digit_run(&y);
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = memcmp(x, y, la);
            if (c)
                return c < 0 ? -1 : 1;
            x += la;
            y += lb;
            continue;
        }
        if (*x != *y)
            return (unsigned char)*x < (unsigned char)*y ? -1 : 1;
        x++;
        y++;
    }
    if (*x || *y)
        return *x ? 1 : -1;
    int c = strcmp(a, b);
    return (c > 0) - (c < 0);
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

/* ------------------------------------------------------------ duplicate ids */

/* The case of cat->cases[0..n) (sorted, unique) with this id, or NULL. */
static const struct case_def *find_sorted(const struct case_catalogue *cat, size_t n,
                                          const char *id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = case_id_cmp(cat->cases[mid].id, id);
        if (c == 0)
            return &cat->cases[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The cases this file added (from first_new on): sorted, and each id already in the
 * catalogue or earlier in the file dropped, naming the first place. */
static void drop_duplicates(struct parser *p, size_t first_new)
{
    struct case_catalogue *cat = p->cat;
    size_t n_new = cat->n_cases - first_new, kept = 0;
    struct case_def *nw = n_new ? cat->cases + first_new : NULL;
    if (n_new)
        qsort(nw, n_new, sizeof *nw, case_order);
    for (size_t i = 0; i < n_new; i++) {
        const struct case_def *first = NULL;
        if (kept > 0 && strcmp(nw[kept - 1].id, nw[i].id) == 0)
            first = &nw[kept - 1];
        else if (first_new > 0)
            first = find_sorted(cat, first_new, nw[i].id);
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
}

/* After a file: open blocks, duplicate ids, the catalogue sorted again. */
static void finish_file(struct parser *p, size_t first_new)
{
    struct case_catalogue *cat = p->cat;
    case_parse_end_file(p);
    drop_duplicates(p, first_new);
    if (cat->n_cases)
        qsort(cat->cases, cat->n_cases, sizeof *cat->cases, case_order);
    if (cat->n_sections)
        qsort(cat->sections, cat->n_sections, sizeof *cat->sections, section_order);
}

/* ------------------------------------------------------------ files */

size_t case_parse_buffer(struct case_catalogue *cat, const char *name, const char *text, size_t len,
                         void (*diag)(void *ud, const char *msg), void *ud)
{
    if (!name)
        name = "<buffer>";
    char *fname = bytes_dup(name, strlen(name));
    if (!fname || !array_grow(&cat->files, cat->n_files, sizeof *cat->files)) {
        free(fname);
        diag_emit(diag, ud, "%s:0: out of memory", name);
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
    lx_lines(&p, text, text ? len : 0);
    finish_file(&p, first_new);
    return p.errors;
}

/* A whole file into b, at most FILE_BYTES_MAX + 1 bytes (enough to say it is too big).
 * False when out of memory; read errors are left in ferror(f). */
static bool read_file(FILE *f, struct buf *b)
{
    const size_t want = 64 * 1024;
    while (b->n <= FILE_BYTES_MAX) {
        if (b->cap - b->n < want) {
            size_t cap = b->cap ? b->cap * 2 : want;
            uint8_t *q = realloc(b->p, cap);
            if (!q)
                return false;
            b->p = q;
            b->cap = cap;
        }
        size_t got = fread(b->p + b->n, 1, want, f);
        b->n += got;
        if (got < want)
            break;
    }
    return true;
}

static size_t parse_path(struct case_catalogue *cat, const char *path,
                         void (*diag)(void *ud, const char *msg), void *ud)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        diag_emit(diag, ud, "%s:0: cannot open: %s", path, strerror(errno));
        return 1;
    }
    struct buf b = {0};
    bool read = read_file(f, &b);
    int err = ferror(f) ? errno : 0;
    fclose(f);
    size_t errors = 1;
    if (!read)
        diag_emit(diag, ud, "%s:0: out of memory", path);
    else if (err)
        diag_emit(diag, ud, "%s:0: cannot read: %s", path, strerror(err));
    else
        errors = case_parse_buffer(cat, path, (const char *)b.p, b.n, diag, ud);
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

/* ------------------------------------------------------------ directories */

static int name_order(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Hidden files are editor droppings (.1.wsc.swp), not cases. */
static bool is_case_file(const char *name)
{
    size_t len = strlen(name);
    return name[0] != '.' && len > 4 && strcmp(name + len - 4, ".wsc") == 0;
}

struct path_list {
    char **v;
    size_t n;
};

static bool path_add(struct path_list *pl, const char *dir, const char *name)
{
    size_t dlen = strlen(dir);
    bool slash = dlen > 0 && dir[dlen - 1] == '/';
    size_t plen = dlen + 1 + strlen(name) + 1;
    char *path = malloc(plen);
    if (!path || !array_grow(&pl->v, pl->n, sizeof *pl->v)) {
        free(path);
        return false;
    }
    snprintf(path, plen, "%s%s%s", dir, slash ? "" : "/", name);
    pl->v[pl->n++] = path;
    return true;
}

/* The *.wsc paths of d into pl; returns the errors reported. */
static size_t list_dir(DIR *d, const char *dir, struct path_list *pl,
                       void (*diag)(void *ud, const char *msg), void *ud)
{
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e) {
            if (!errno)
                return 0;
            diag_emit(diag, ud, "%s:0: cannot read directory: %s", dir, strerror(errno));
            return 1;
        }
        if (!is_case_file(e->d_name))
            continue;
        if (pl->n >= DIR_FILES_MAX) {
            diag_emit(diag, ud, "%s:0: more than %d case files", dir, DIR_FILES_MAX);
            return 1;
        }
        if (!path_add(pl, dir, e->d_name)) {
            diag_emit(diag, ud, "%s:0: out of memory", dir);
            return 1;
        }
    }
}

size_t case_parse_dir(struct case_catalogue *cat, const char *dir,
                      void (*diag)(void *ud, const char *msg), void *ud)
{
    DIR *d = opendir(dir);
    if (!d) {
        diag_emit(diag, ud, "%s:0: cannot open directory: %s", dir, strerror(errno));
        return 1;
    }
    struct path_list pl = {0};
    size_t errors = list_dir(d, dir, &pl, diag, ud);
    closedir(d);
    if (pl.n)
        qsort(pl.v, pl.n, sizeof *pl.v, name_order);
    errors += case_parse_files(cat, (const char *const *)pl.v, pl.n, diag, ud);
    for (size_t i = 0; i < pl.n; i++)
        free(pl.v[i]);
    free(pl.v);
    return errors;
}

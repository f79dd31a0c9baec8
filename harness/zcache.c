/*
 * zcache.c - the run's compressed roundtrip messages (zcache.h).
 */
#include "zcache.h"

#include <stdlib.h>
#include <string.h>

void zcache_init(struct zcache *zc, size_t budget)
{
    memset(zc, 0, sizeof *zc);
    zc->budget = budget;
}

static void form_clear(struct zcache *zc, struct zcache_form *f)
{
    for (uint32_t k = 0; k < f->n_msg; k++) {
        if (!f->msg[k])
            continue;
        uint32_t len;
        memcpy(&len, f->msg[k], sizeof len);
        zc->used -= sizeof len + len;
        free(f->msg[k]);
    }
    zc->used -= (size_t)f->n_msg * sizeof *f->msg;
    free(f->msg);
    memset(f, 0, sizeof *f);
}

static void group_clear(struct zcache *zc, struct zcache_group *g)
{
    for (size_t i = 0; i < g->n_form; i++)
        form_clear(zc, &g->form[i]);
    g->n_form = 0;
}

void zcache_free(struct zcache *zc)
{
    for (size_t i = 0; i < zc->n_groups; i++)
        group_clear(zc, &zc->groups[i]);
    free(zc->groups);
    size_t budget = zc->budget;
    zcache_init(zc, budget);
}

const struct step *zcache_step(const struct case_def *def)
{
    for (size_t i = 0; i < def->n_steps; i++)
        if (def->steps[i].type == STEP_ROUNDTRIP && def->steps[i].data)
            return &def->steps[i];
    return NULL;
}

static struct zcache_key key_of(const struct step *st)
{
    return (struct zcache_key){
        .data = st->data, .text = st->opcode == WS_OP_TEXT, .slice = st->slice};
}

static bool key_eq(const struct zcache_key *a, const struct zcache_key *b)
{
    return a->data == b->data && a->text == b->text && a->slice == b->slice;
}

static struct zcache_group *group_of(const struct zcache *zc, const struct step *st)
{
    struct zcache_key k = key_of(st);
    for (size_t i = 0; i < zc->n_groups; i++)
        if (key_eq(&zc->groups[i].key, &k))
            return &zc->groups[i];
    return NULL;
}

bool zcache_hold(struct zcache *zc, const struct case_def *def)
{
    const struct step *st = zcache_step(def);
    if (!st)
        return true;
    struct zcache_group *g = group_of(zc, st);
    if (!g) {
        if (zc->n_groups == zc->cap_groups) {
            size_t cap = zc->cap_groups ? 2 * zc->cap_groups : 16;
            struct zcache_group *p = realloc(zc->groups, cap * sizeof *p);
            if (!p)
                return false;
            zc->groups = p;
            zc->cap_groups = cap;
        }
        g = &zc->groups[zc->n_groups++];
        memset(g, 0, sizeof *g);
        g->key = key_of(st);
    }
    g->holds++;
    if (st->count > g->count)
        g->count = st->count;
    return true;
}

void zcache_release(struct zcache *zc, const struct case_def *def)
{
    const struct step *st = zcache_step(def);
    struct zcache_group *g = st ? group_of(zc, st) : NULL;
    if (!g || !g->holds)
        return;
    if (--g->holds == 0)
        group_clear(zc, g);
}

static struct zcache_form *form_of(struct zcache_group *g, uint8_t window_bits, int level)
{
    for (size_t i = 0; i < g->n_form; i++)
        if (g->form[i].window_bits == window_bits && g->form[i].level == level)
            return &g->form[i];
    return NULL;
}

const uint8_t *zcache_get(struct zcache *zc, const struct step *st, uint8_t window_bits, int level,
                          uint64_t index, size_t *len)
{
    struct zcache_group *g = group_of(zc, st);
    struct zcache_form *f = g && g->holds ? form_of(g, window_bits, level) : NULL;
    if (!f || index >= f->n_msg || !f->msg[index]) {
        zc->misses++;
        return NULL;
    }
    uint32_t n;
    memcpy(&n, f->msg[index], sizeof n);
    *len = n;
    zc->hits++;
    return f->msg[index] + sizeof n;
}

/* The form to store into, made with its index array (counted in the budget). */
static struct zcache_form *form_make(struct zcache *zc, struct zcache_group *g, uint8_t window_bits,
                                     int level)
{
    struct zcache_form *f = form_of(g, window_bits, level);
    if (f)
        return f;
    size_t index_bytes = (size_t)g->count * sizeof *f->msg;
    if (g->n_form == ZCACHE_FORMS || index_bytes > zc->budget - zc->used)
        return NULL;
    f = &g->form[g->n_form];
    f->msg = calloc(g->count, sizeof *f->msg);
    if (!f->msg)
        return NULL;
    f->n_msg = g->count;
    f->window_bits = window_bits;
    f->level = level;
    zc->used += index_bytes;
    g->n_form++;
    return f;
}

void zcache_put(struct zcache *zc, const struct step *st, uint8_t window_bits, int level,
                uint64_t index, const uint8_t *z, size_t len)
{
    struct zcache_group *g = group_of(zc, st);
    if (!g || !g->holds || index >= g->count || len > UINT32_MAX)
        return;
    struct zcache_form *f = form_make(zc, g, window_bits, level);
    if (f && (index >= f->n_msg || f->msg[index])) /* a form made for fewer messages */
        return;
    uint32_t n = (uint32_t)len;
    if (!f || sizeof n + len > zc->budget - zc->used) {
        zc->refused++;
        return;
    }
    uint8_t *m = malloc(sizeof n + len);
    if (!m) {
        zc->refused++;
        return;
    }
    memcpy(m, &n, sizeof n);
    if (len)
        memcpy(m + sizeof n, z, len);
    f->msg[index] = m;
    zc->used += sizeof n + len;
}

bool zcache_order(const struct case_catalogue *cat, const size_t *idx, size_t *order, size_t n)
{
    size_t *out = malloc((n ? n : 1) * sizeof *out);
    if (!out)
        return false;
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        const struct step *st = zcache_step(&cat->cases[idx[order[k]]]);
        size_t at = m;
        if (st) {
            /* behind the last case of its group placed so far, if any */
            struct zcache_key key = key_of(st);
            for (size_t j = m; j-- > 0;) {
                const struct step *o = zcache_step(&cat->cases[idx[out[j]]]);
                struct zcache_key ko = o ? key_of(o) : (struct zcache_key){0};
                if (o && key_eq(&key, &ko)) {
                    at = j + 1;
                    break;
                }
            }
        }
        memmove(out + at + 1, out + at, (m - at) * sizeof *out);
        out[at] = order[k];
        m++;
    }
    memcpy(order, out, n * sizeof *out);
    free(out);
    return true;
}

/*
 * sendq.c - the tester's outgoing bytes in Autobahn's order and pace (see sendq.h).
 *
 * A fill is one write(): the "direct" units at the head (written plainly while the
 * queue was idle: Autobahn had them in its transport buffer already), then, when one is
 * due, one queued element - two when the burst was queued while reading. A short write
 * leaves the rest of that fill to the next one, unpaced: the transport writes what it
 * holds as soon as the socket takes it.
 */
#include "sendq.h"

#include "ws_frame.h"

#include <stdlib.h>
#include <string.h>

void sendq_init(struct sendq *q, sendq_core_fn core_read, void *ud)
{
    memset(q, 0, sizeof *q);
    q->pass = SENDQ_MIN_PASS;
    q->core_read = core_read;
    q->core_ud = ud;
}

static void unit_free(struct sendq_unit *u)
{
    free(u->bytes);
    free(u);
}

/* The head unit leaves the queue. */
static void drop_head(struct sendq *q)
{
    struct sendq_unit *u = q->head;
    q->head = u->next;
    if (!q->head)
        q->tail = NULL;
    unit_free(u);
}

void sendq_free(struct sendq *q)
{
    while (q->head)
        drop_head(q);
}

bool sendq_empty(const struct sendq *q)
{
    return q->head == NULL;
}

static uint64_t unit_len(const struct sendq_unit *u)
{
    return u->core ? u->core : u->bytes_len + u->pl_len;
}

/* A unit written while the queue is idle goes straight to the transport; a chopped or
 * sync one starts the queue (the first element is due at once). */
static void push(struct sendq *q, struct sendq_unit *u, bool reading)
{
    if (!q->queued && (u->chop || u->sync)) {
        q->queued = true;
        q->pair_first = reading;
        q->next_at = 0;
    }
    u->sync = u->sync || (q->queued && !u->chop); /* a queued plain unit is one element */
    u->next = NULL;
    if (q->tail)
        q->tail->next = u;
    else
        q->head = u;
    q->tail = u;
}

static struct sendq_unit *unit_new(const uint8_t *bytes, size_t len)
{
    struct sendq_unit *u = calloc(1, sizeof *u);
    if (!u)
        return NULL;
    if (len) {
        u->bytes = malloc(len);
        if (!u->bytes) {
            free(u);
            return NULL;
        }
        memcpy(u->bytes, bytes, len);
        u->bytes_len = len;
    }
    return u;
}

bool sendq_frame(struct sendq *q, const uint8_t *hdr, size_t hlen, const struct payload *pl,
                 uint64_t off, uint64_t len, const uint8_t *key, uint64_t phase, uint32_t chop,
                 bool sync, bool reading)
{
    struct sendq_unit *u = unit_new(hdr, hlen);
    if (!u)
        return false;
    u->pl = len ? pl : NULL;
    u->pl_off = off;
    u->pl_len = u->pl ? len : 0;
    if (key) {
        u->masked = true;
        memcpy(u->key, key, 4);
    }
    u->phase = phase;
    u->chop = chop;
    u->sync = sync;
    push(q, u, reading);
    return true;
}

void sendq_set_gap(struct sendq *q, double gap)
{
    /* one element (unchopped) has no "between"; the core's bytes keep the core's pace */
    if (q->tail && !q->tail->core && q->tail->chop)
        q->tail->gap = gap;
}

bool sendq_bytes(struct sendq *q, const uint8_t *data, size_t len, uint32_t chop, bool sync,
                 bool reading)
{
    if (len == 0)
        return true; /* nothing to put on the wire */
    struct sendq_unit *u = unit_new(data, len);
    if (!u)
        return false;
    u->chop = chop;
    u->sync = sync;
    push(q, u, reading);
    return true;
}

bool sendq_paced(const struct sendq *q)
{
    for (const struct sendq_unit *u = q->head; u; u = u->next)
        if (u->gap > 0 && u->off < unit_len(u))
            return true;
    return false;
}

/* Cut u to its first `len` bytes (header bytes first, then payload). */
static void unit_cut(struct sendq_unit *u, uint64_t len)
{
    if (len < u->bytes_len)
        u->bytes_len = (size_t)len;
    u->pl_len = len - u->bytes_len < u->pl_len ? len - u->bytes_len : u->pl_len;
}

void sendq_stop_paced(struct sendq *q)
{
    struct sendq_unit **link = &q->head, *prev = NULL;
    while (*link) {
        struct sendq_unit *u = *link;
        if (u->gap > 0) {
            /* the head keeps what a short write has begun (the rest of that write) */
            uint64_t keep = u->off + (u == q->head ? q->group_left : 0);
            unit_cut(u, keep < unit_len(u) ? keep : unit_len(u));
            u->gap = 0;
        }
        if (unit_len(u) == 0 || (u->off == unit_len(u) && u != q->head)) {
            *link = u->next;
            unit_free(u);
            continue;
        }
        prev = u;
        link = &u->next;
    }
    q->tail = prev;
    /* a head written to its end (a cut unit) goes once the write is accounted for */
    if (q->head && q->head->off == unit_len(q->head) && !q->group_left)
        drop_head(q);
    if (!q->head)
        q->queued = false;
}

bool sendq_core(struct sendq *q, size_t total, bool reading)
{
    if (total <= q->core_pending)
        return true;
    size_t add = total - q->core_pending;
    struct sendq_unit *t = q->tail;
    /* consecutive core output is one unit (one element when queued) */
    if (t && t->core && (!q->queued || t->off == 0)) {
        t->core += add;
        q->core_pending = total;
        return true;
    }
    struct sendq_unit *u = unit_new(NULL, 0);
    if (!u)
        return false;
    u->core = add;
    q->core_pending = total;
    push(q, u, reading);
    return true;
}

/* ------------------------------------------------------------ filling */

/* Offset into the core's pending output where unit u's unwritten bytes begin: the
 * unwritten core bytes of the units before it (written ones were handed back). */
static size_t core_offset(const struct sendq *q, const struct sendq_unit *u)
{
    size_t off = 0;
    for (const struct sendq_unit *v = q->head; v && v != u; v = v->next)
        if (v->core)
            off += v->core - (size_t)v->off;
    return off;
}

/* Generate n bytes of u from position pos (>= u->off) into out. */
static void unit_bytes(const struct sendq *q, const struct sendq_unit *u, uint64_t pos,
                       uint8_t *out, size_t n)
{
    if (u->core) {
        q->core_read(q->core_ud, core_offset(q, u) + (size_t)(pos - u->off), out, n);
        return;
    }
    size_t k = 0;
    if (pos < u->bytes_len) {
        k = u->bytes_len - (size_t)pos < n ? u->bytes_len - (size_t)pos : n;
        memcpy(out, u->bytes + pos, k);
    }
    if (k < n) {
        uint64_t poff = pos + k - u->bytes_len;
        payload_copy(u->pl, u->pl_off + poff, out + k, n - k);
        if (u->masked)
            ws_mask(out + k, n - k, u->key, u->phase + poff);
    }
}

/* A cursor over the queue: the fill generates bytes unit by unit without moving the
 * units' own offsets (sendq_wrote does that, for what was really written). */
struct cursor {
    struct sendq_unit *u;
    uint64_t pos;
};

static size_t take(struct sendq *q, struct cursor *c, size_t n, uint8_t *out)
{
    size_t left = (size_t)(unit_len(c->u) - c->pos) < n ? (size_t)(unit_len(c->u) - c->pos) : n;
    unit_bytes(q, c->u, c->pos, out, left);
    c->pos += left;
    if (c->pos == unit_len(c->u) && c->u->next) {
        c->u = c->u->next;
        c->pos = c->u->off;
    }
    return left;
}

static bool at_end(const struct cursor *c)
{
    return !c->u || c->pos == unit_len(c->u);
}

/* The size of the queued element starting at the cursor: a chop, or a whole unit. */
static size_t element_len(const struct cursor *c)
{
    uint64_t left = unit_len(c->u) - c->pos;
    if (c->u->chop && c->u->chop < left)
        return c->u->chop;
    return left > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)left;
}

static bool is_element(const struct sendq *q, const struct sendq_unit *u)
{
    return q->queued && (u->chop || u->sync);
}

static size_t fill_element(struct sendq *q, struct cursor *c, uint8_t *out, size_t cap)
{
    size_t want = element_len(c);
    if (want > cap)
        want = cap; /* larger than one write: the rest goes on as a short write would */
    size_t n = 0;
    while (n < want && !at_end(c))
        n += take(q, c, want - n, out + n);
    q->last_chop = c->u ? c->u->chop : 0;
    return n;
}

size_t sendq_fill(struct sendq *q, double now, uint8_t *out, size_t cap, double *wake)
{
    *wake = 0;
    if (!q->head || cap == 0)
        return 0;
    struct cursor c = {q->head, q->head->off};
    size_t n = 0;
    if (q->group_left) {
        size_t want = q->group_left < cap ? q->group_left : cap;
        while (n < want && !at_end(&c))
            n += take(q, &c, want - n, out + n);
        q->last_fill = n;
        return n;
    }
    /* direct units: plain writes the transport already holds */
    while (!at_end(&c) && !is_element(q, c.u) && n < cap)
        n += take(q, &c, cap - n, out + n);
    q->last_chop = 0;
    q->last_sync = false;
    q->last_fill = n;
    if (at_end(&c) || n == cap || !is_element(q, c.u))
        return n;
    if (now < q->next_at) {
        if (n == 0)
            *wake = q->next_at;
        return n;
    }
    q->last_sync = c.u->sync;
    bool paced = c.u->gap > 0; /* its chops go one per write, whatever the pairing */
    n += fill_element(q, &c, out + n, cap - n);
    if (q->pair_first && !paced && !at_end(&c) && is_element(q, c.u) && n < cap)
        n += fill_element(q, &c, out + n, cap - n);
    q->pair_first = false;
    q->next_at = -1; /* set from the time of the write (sendq_wrote) */
    q->last_fill = n;
    return n;
}

/* ------------------------------------------------------------ written */

static size_t advance(struct sendq *q, size_t n)
{
    size_t core = 0;
    while (n && q->head) {
        struct sendq_unit *u = q->head;
        uint64_t left = unit_len(u) - u->off;
        size_t k = left < n ? (size_t)left : n;
        u->off += k;
        n -= k;
        if (u->core) {
            core += k;
            q->core_pending -= k;
        }
        if (u->off < unit_len(u))
            break;
        drop_head(q);
    }
    /* empty units (a header-only frame of 0 bytes cannot exist, but raw "" can) */
    while (q->head && unit_len(q->head) == 0)
        drop_head(q);
    if (!q->head)
        q->queued = false;
    return core;
}

size_t sendq_wrote(struct sendq *q, size_t n, double now)
{
    size_t core = advance(q, n);
    q->group_left = n < q->last_fill ? q->last_fill - n : 0;
    if (q->next_at < 0 && q->group_left == 0) {
        /* the element is out: the next one a pass later - the target's pass when the
         * next element begins a frame, Autobahn's timer inside one (sendq.h) */
        bool boundary = q->head && q->head->off == 0;
        double wait = boundary ? q->pass : SENDQ_MIN_PASS;
        if (!boundary && q->head && q->head->gap > wait)
            wait = q->head->gap; /* a unit dripped on purpose */
        q->next_at = now + wait;
    }
    return core;
}

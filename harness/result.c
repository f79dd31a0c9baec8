/*
 * result.c - the bounded recorders behind struct case_result (result.h): whatever the
 * target sends, a case costs a bounded and small amount of memory. Events keep a short
 * head of their payload and whether it matched the case's lists; the wire log keeps
 * its first rows and its last rows.
 */
#include "result.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ events */

static void copy_tag(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strnlen(src, cap - 1) : 0;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Does the whole payload data[0..len) equal the one at `index` of list l? */
static bool list_payload_equal(const struct event_list *l, size_t index, enum event_type type,
                               bool binary, const uint8_t *data, uint64_t len)
{
    if (!l->present || index >= l->n)
        return false;
    const struct event *want = &l->events[index];
    if (want->type != type || type == EV_TIMEOUT)
        return false;
    if (type == EV_MESSAGE && want->binary != binary)
        return false;
    return want->payload.len == len && (len == 0 || data) &&
           payload_equal(&want->payload, data, (size_t)len);
}

uint8_t judge_event_matches(const struct case_def *d, size_t index, enum event_type type,
                            bool binary, const uint8_t *data, uint64_t len)
{
    if (!d)
        return 0;
    uint8_t m = 0;
    if (list_payload_equal(&d->ok, index, type, binary, data, len))
        m |= EVENT_MATCHES_OK;
    if (list_payload_equal(&d->non_strict, index, type, binary, data, len))
        m |= EVENT_MATCHES_NON_STRICT;
    return m;
}

/* A new slot at the end of the event list, or NULL (counted) past the bound. */
static struct recorded_event *new_event(struct case_result *r)
{
    if (r->n_events >= RESULT_EVENTS_MAX) {
        r->events_dropped++;
        return NULL;
    }
    if (r->n_events == r->cap_events) {
        size_t cap = r->cap_events ? r->cap_events * 2 : 8;
        if (cap > RESULT_EVENTS_MAX)
            cap = RESULT_EVENTS_MAX;
        struct recorded_event *ev = realloc(r->events, cap * sizeof *ev);
        if (!ev) {
            /* Out of memory is not the target's fault, but dropping and counting keeps
             * the promise that recording never aborts a case; a dropped event can
             * never make a case pass (the judge treats drops as a mismatch). */
            r->events_dropped++;
            return NULL;
        }
        r->events = ev;
        r->cap_events = cap;
    }
    struct recorded_event *ev = &r->events[r->n_events];
    memset(ev, 0, sizeof *ev);
    return ev;
}

static bool keep_head(struct recorded_event *ev, const uint8_t *data, size_t n)
{
    size_t kept = n < RESULT_KEEP_BYTES ? n : RESULT_KEEP_BYTES;
    if (!kept || !data)
        return true;
    ev->data = malloc(kept);
    if (!ev->data)
        return false;
    memcpy(ev->data, data, kept);
    ev->data_len = kept;
    return true;
}

void result_add_event(struct case_result *r, enum event_type type, bool binary, const uint8_t *data,
                      uint64_t len, const char *tag, double at_ms)
{
    uint8_t m = judge_event_matches(r->def, r->n_events, type, binary, data, len);
    struct recorded_event *ev = new_event(r);
    if (!ev)
        return;
    if (!keep_head(ev, data, len < SIZE_MAX ? (size_t)len : SIZE_MAX)) {
        r->events_dropped++;
        return;
    }
    ev->type = type;
    ev->binary = type == EV_MESSAGE && binary;
    ev->len = len;
    ev->matches = m;
    copy_tag(ev->tag, sizeof ev->tag, tag);
    ev->at_ms = at_ms;
    r->n_events++;
}

void result_add_streamed(struct case_result *r, bool binary, const uint8_t *head, size_t head_len,
                         uint64_t len, uint8_t matches, double at_ms)
{
    struct recorded_event *ev = new_event(r);
    if (!ev)
        return;
    if (!keep_head(ev, head, head_len)) {
        r->events_dropped++;
        return;
    }
    ev->type = EV_MESSAGE;
    ev->binary = binary;
    ev->len = len;
    ev->matches = matches;
    ev->at_ms = at_ms;
    r->n_events++;
}

/* ------------------------------------------------------------ wire log */

static bool wirelog_room(struct case_result *r)
{
    if (r->cap_wirelog == RESULT_WIRELOG_MAX || r->n_wirelog < r->cap_wirelog)
        return true;
    size_t cap = r->cap_wirelog ? r->cap_wirelog * 2 : 64;
    if (cap > RESULT_WIRELOG_MAX)
        cap = RESULT_WIRELOG_MAX;
    struct wirelog_row *rows = realloc(r->wirelog, cap * sizeof *rows);
    if (!rows)
        return false;
    r->wirelog = rows;
    r->cap_wirelog = cap;
    return true;
}

/* Where row number h (0-based over all rows ever added) lives, if it is kept. */
static size_t slot_of(const struct case_result *r, uint64_t h)
{
    if (h < RESULT_WIRELOG_HEAD)
        return (size_t)h;
    if (r->wirelog_total - h > RESULT_WIRELOG_TAIL)
        return SIZE_MAX; /* overwritten by a later row */
    return RESULT_WIRELOG_HEAD + (size_t)((h - RESULT_WIRELOG_HEAD) % RESULT_WIRELOG_TAIL);
}

uint64_t result_add_wirelog(struct case_result *r, const struct wirelog_row *row)
{
    uint64_t h = r->wirelog_total;
    if (!wirelog_room(r)) {
        r->wirelog_total++;
        r->wirelog_dropped++;
        return UINT64_MAX;
    }
    r->wirelog_total++;
    struct wirelog_row *w;
    if (r->n_wirelog < RESULT_WIRELOG_MAX) {
        w = &r->wirelog[r->n_wirelog++];
    } else {
        w = &r->wirelog[slot_of(r, h)]; /* overwrites the oldest tail row */
        r->wirelog_dropped++;
    }
    *w = *row;
    /* The row is rendered later from these fields: keep them inside their arrays
     * whatever the caller filled in. */
    if (w->data_len > RESULT_WIRELOG_BYTES)
        w->data_len = RESULT_WIRELOG_BYTES;
    w->text[sizeof w->text - 1] = '\0';
    return h;
}

struct wirelog_row *result_wirelog_row(struct case_result *r, uint64_t h)
{
    if (h >= r->wirelog_total || !r->wirelog)
        return NULL;
    size_t i = slot_of(r, h);
    return i < r->n_wirelog ? &r->wirelog[i] : NULL;
}

void result_wirelog_seal(struct case_result *r)
{
    if (r->wirelog_total <= RESULT_WIRELOG_MAX || r->n_wirelog < RESULT_WIRELOG_MAX)
        return;
    /* the oldest kept tail row is the one the next add would overwrite */
    size_t start = slot_of(r, r->wirelog_total - RESULT_WIRELOG_TAIL) - RESULT_WIRELOG_HEAD;
    struct wirelog_row tmp[RESULT_WIRELOG_TAIL];
    struct wirelog_row *tail = r->wirelog + RESULT_WIRELOG_HEAD;
    for (size_t i = 0; i < RESULT_WIRELOG_TAIL; i++)
        tmp[i] = tail[(start + i) % RESULT_WIRELOG_TAIL];
    memcpy(tail, tmp, sizeof tmp);
}

void result_free(struct case_result *r)
{
    for (size_t i = 0; i < r->n_events; i++)
        free(r->events[i].data);
    free(r->events);
    r->events = NULL;
    r->n_events = r->cap_events = 0;
    free(r->wirelog);
    r->wirelog = NULL;
    r->n_wirelog = r->cap_wirelog = 0;
    free(r->http_request);
    free(r->http_response);
    r->http_request = r->http_response = NULL;
    r->http_response_len = 0;
    free(r->local_close_reason);
    free(r->remote_close_reason);
    r->local_close_reason = r->remote_close_reason = NULL;
    r->local_close_reason_len = r->remote_close_reason_len = 0;
    free(r->check_out);
    r->check_out = NULL;
    r->n_check_out = 0;
}

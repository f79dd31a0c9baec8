/*
 * liveness.c - the liveness checks' bookkeeping (see liveness.h for the blame rules).
 */
#include "liveness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool liveness_init(struct liveness *L, size_t n, bool on)
{
    memset(L, 0, sizeof *L);
    L->state = on ? LIVENESS_FIRST : LIVENESS_OFF;
    L->n = n;
    L->cases = calloc(n ? n : 1, sizeof *L->cases);
    L->ended = calloc(n ? n : 1, sizeof *L->ended);
    L->clean = calloc(n ? n : 1, sizeof *L->clean);
    return L->cases && L->ended && L->clean;
}

void liveness_free(struct liveness *L)
{
    free(L->cases);
    free(L->ended);
    free(L->clean);
    L->cases = NULL;
    L->ended = NULL;
    L->clean = NULL;
}

void liveness_case_started(struct liveness *L, size_t i)
{
    L->cases[i] = LIVE_RUNNING;
    L->n_running++;
    L->clock++;
}

bool liveness_case_ended(struct liveness *L, size_t i, bool clean)
{
    L->ended[i] = ++L->clock;
    L->clean[i] = clean;
    L->n_running--;
    if (L->state == LIVENESS_OFF) {
        L->cases[i] = LIVE_REPORTED;
        return true;
    }
    L->cases[i] = LIVE_ENDED;
    L->n_ended++;
    return false;
}

bool liveness_may_start(const struct liveness *L, unsigned jobs)
{
    if (L->state == LIVENESS_OFF)
        return true;
    if (L->state == LIVENESS_FIRST && !L->first_overdue)
        return false;
    size_t waiting = jobs <= 1 ? 1 : 2 * (size_t)jobs;
    return L->state != LIVENESS_DEAD && L->n_ended < waiting;
}

void liveness_first_overdue(struct liveness *L)
{
    L->first_overdue = true;
}

bool liveness_check_due(const struct liveness *L, unsigned jobs)
{
    if (L->checking)
        return false;
    if (L->state == LIVENESS_FIRST)
        return L->checks == 0;
    return L->state == LIVENESS_ON && L->n_ended > 0 &&
           (L->n_ended >= (jobs ? jobs : 1) || L->n_running == 0);
}

void liveness_check_started(struct liveness *L)
{
    L->checking = true;
    L->checks++;
    L->check_started = ++L->clock;
}

/* Report the ended cases that ended before `before` (the counter). */
static void report_ended(struct liveness *L, uint64_t before, liveness_report_fn report, void *ud)
{
    for (size_t i = 0; i < L->n; i++)
        if (L->cases[i] == LIVE_ENDED && L->ended[i] < before) {
            L->cases[i] = LIVE_REPORTED;
            L->n_ended--;
            report(ud, i);
        }
}

void liveness_check_passed(struct liveness *L, liveness_report_fn report, void *ud)
{
    L->checking = false;
    if (L->state == LIVENESS_FIRST)
        L->state = LIVENESS_ON;
    report_ended(L, L->check_started, report, ud);
}

/* Of the cases the failed check was for (ended before it started), the first to end
 * with or without (clean) a clean closing handshake; n when there is none. */
static size_t first_ended(const struct liveness *L, bool clean)
{
    size_t first = L->n;
    for (size_t i = 0; i < L->n; i++)
        if (L->cases[i] == LIVE_ENDED && L->ended[i] < L->check_started && L->clean[i] == clean &&
            (first == L->n || L->ended[i] < L->ended[first]))
            first = i;
    return first;
}

/* The failed check's case is blamed (liveness.h: the first of a batch to end without a
 * clean close, else the first to end); every other case that ran and is not reported
 * is a suspect. */
static void blame(struct liveness *L)
{
    size_t first = first_ended(L, false);
    if (first == L->n)
        first = first_ended(L, true);
    for (size_t i = 0; i < L->n; i++)
        if (L->cases[i] == LIVE_ENDED || L->cases[i] == LIVE_RUNNING)
            L->cases[i] = LIVE_SUSPECT;
    L->n_ended = 0;
    L->n_running = 0;
    L->blamed = first;
    if (first < L->n)
        L->cases[first] = LIVE_BLAMED;
}

void liveness_check_failed(struct liveness *L, liveness_report_fn report, void *ud)
{
    L->checking = false;
    if (L->state == LIVENESS_FIRST) {
        /* no check ever passed: no proof to blame a case against */
        L->state = LIVENESS_OFF;
        report_ended(L, UINT64_MAX, report, ud);
        return;
    }
    L->state = LIVENESS_DEAD;
    blame(L);
}

void liveness_release(struct liveness *L, liveness_report_fn report, void *ud)
{
    report_ended(L, UINT64_MAX, report, ud);
}

size_t liveness_n_suspects(const struct liveness *L)
{
    size_t k = 0;
    for (size_t i = 0; i < L->n; i++)
        k += L->cases[i] == LIVE_SUSPECT;
    return k;
}

/* "1.2.3, 1.2.4" and "and 7 more" when the rest does not fit in cap. */
static void suspect_list(const struct liveness *L, const char *const *ids, char *out, size_t cap)
{
    size_t total = liveness_n_suspects(L), listed = 0, used = 0;
    const size_t reserve = 32; /* room for ", and 1234567 more" */
    out[0] = '\0';
    for (size_t i = 0; i < L->n && listed < total; i++) {
        if (L->cases[i] != LIVE_SUSPECT)
            continue;
        size_t need = strlen(ids[i]) + (listed ? 2 : 0);
        if (used + need + reserve >= cap)
            break;
        used += (size_t)snprintf(out + used, cap - used, "%s%s", listed ? ", " : "", ids[i]);
        listed++;
    }
    if (listed < total)
        snprintf(out + used, cap - used, "%sand %zu more", listed ? ", " : "", total - listed);
}

void liveness_blame_text(const struct liveness *L, const char *const *ids, const char *subject,
                         char *out, size_t cap)
{
    size_t total = liveness_n_suspects(L);
    if (!total) {
        snprintf(out, cap, "target stopped answering after %s", subject);
        return;
    }
    /* the list gets what the sentence around it leaves of cap */
    char list[1024];
    size_t around = strlen(subject) + 120, room = cap > around + 40 ? cap - around : 40;
    suspect_list(L, ids, list, room < sizeof list ? room : sizeof list);
    snprintf(out, cap,
             "target stopped answering after %s (or after %s%s, which ran at the same time; "
             "rerun with -j 1 to tell which)",
             subject, total == 1 ? "" : "one of ", list);
}

void liveness_fail_case(struct case_result *r, const char *text, const char *why)
{
    r->behavior = r->rfc.behavior = B_FAILED;
    r->behavior_close = r->rfc.behavior_close = BC_FAILED;
    snprintf(r->result, sizeof r->result, "%s", text);
    snprintf(r->result_close, sizeof r->result_close, "%s", text);
    snprintf(r->rfc.result, sizeof r->rfc.result, "%s", text);
    snprintf(r->rfc.result_close, sizeof r->rfc.result_close, "%s", text);
    snprintf(r->broken, sizeof r->broken, "%s", why);
    snprintf(r->rfc.broken, sizeof r->rfc.broken, "%s", why);
    r->difference[0] = '\0';
}

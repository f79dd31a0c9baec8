/*
 * tester.c - wsspec's side of a run (see tester.h): sessions on one loop, `jobs` at a
 * time, and the reachability probe, which is a session too.
 */
#define _GNU_SOURCE
#include "tester.h"

#include "liveness.h"
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The run's recent opening-handshake round trips: the longest is the floor of every new
 * connection's pace (script.c, "Pace") - a burst of load that slowed one handshake can
 * slow the target again in the next case. */
#define RTT_HISTORY 16

struct tester {
    const struct target *t;
    const struct tester_options *o;
    double rtt[RTT_HISTORY];
    size_t n_rtt, rtt_next;
    struct loop loop;
    struct session_bufs bufs;
    struct datastore *data; /* the generated files of `roundtrip data=`, made on first use */
    struct zcache *zc;      /* their compressed forms, made once (zcache.h) */
    char *err;
    size_t err_len;
};

static double rtt_longest(const struct tester *T)
{
    double m = 0;
    for (size_t i = 0; i < T->n_rtt; i++)
        if (T->rtt[i] > m)
            m = T->rtt[i];
    return m;
}

static void rtt_add(struct tester *T, double rtt)
{
    if (rtt <= 0)
        return;
    T->rtt[T->rtt_next] = rtt;
    T->rtt_next = (T->rtt_next + 1) % RTT_HISTORY;
    if (T->n_rtt < RTT_HISTORY)
        T->n_rtt++;
}

static double scale_of(const struct tester_options *o)
{
    return o->timeout_scale > 0 ? o->timeout_scale : 1.0;
}

static void script_config_for(const struct tester *T, const struct case_def *def,
                              struct case_result *r, struct script_config *cfg)
{
    const struct tester_options *o = T->o;
    memset(cfg, 0, sizeof *cfg);
    cfg->def = def;
    cfg->r = r;
    cfg->run_seed = o->seed;
    cfg->timeout_scale = scale_of(o);
    cfg->pace = o->pace;
    cfg->pace_floor = rtt_longest(T);
    cfg->agent = o->agent ? o->agent : T->t->host_header;
    cfg->wall0 = loop_wall();
    cfg->data = T->data;
    cfg->zcache = T->zc;
    cfg->request = (struct ws_request_params){.host = T->t->host_header,
                                              .target = T->t->resource,
                                              .origin = o->origin,
                                              .protocols = o->protocols,
                                              .n_protocols = o->n_protocols,
                                              .extra_headers = o->headers,
                                              .n_extra_headers = o->n_headers};
}

static int tester_open(struct tester *T, const struct target *t, const struct tester_options *o,
                       char *err, size_t err_len)
{
    memset(T, 0, sizeof *T);
    T->t = t;
    T->o = o;
    T->err = err;
    T->err_len = err_len;
    T->loop.ep = -1;
    if (loop_init(&T->loop, err, err_len) != 0)
        return -1;
    T->bufs.rbuf = malloc(SESSION_READ_BUF);
    T->bufs.wbuf = malloc(SESSION_WRITE_BUF);
    T->data = calloc(1, sizeof *T->data);
    T->zc = calloc(1, sizeof *T->zc);
    if (!T->bufs.rbuf || !T->bufs.wbuf || !T->data || !T->zc) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    zcache_init(T->zc, ZCACHE_DEFAULT_BUDGET);
    return 0;
}

static void tester_close(struct tester *T)
{
    loop_free(&T->loop);
    free(T->bufs.rbuf);
    free(T->bufs.wbuf);
    if (T->data)
        datastore_free(T->data);
    free(T->data);
    if (T->zc)
        zcache_free(T->zc);
    free(T->zc);
}

/* One loop pass over the sessions ss[0..n): wait for I/O or the nearest deadline (or
 * `until`, when > 0 and nearer), hand events over, then give every session its pass.
 * Returns -1 on a loop failure (wsspec's own trouble, reason in T->err). */
static int pass(struct tester *T, struct session **ss, size_t n, double until)
{
    double now = loop_now(), wake = until;
    for (size_t i = 0; i < n; i++) {
        double w = session_wake(ss[i], now);
        if (w > 0 && (!wake || w < wake))
            wake = w;
    }
    struct epoll_event evs[64];
    int k = loop_wait(&T->loop, wake ? wake - now : 1.0, evs, 64, T->err, T->err_len);
    if (k < 0)
        return -1;
    now = loop_now();
    for (int i = 0; i < k; i++) {
        struct session *s = evs[i].data.ptr;
        session_on_io(s, evs[i].events, now);
    }
    now = loop_now();
    for (size_t i = 0; i < n; i++)
        session_pass(ss[i], now);
    return 0;
}

/* ------------------------------------------------------------ the probe */

/* "401 Unauthorized" from the response's status line, printable only. */
static void status_of(const struct case_result *r, char *out, size_t cap)
{
    const char *p = r->http_response ? r->http_response : "";
    const char *sp = memchr(p, ' ', r->http_response_len);
    size_t i = 0;
    if (sp)
        for (sp++; i + 1 < cap && sp < p + r->http_response_len && *sp != '\r' && *sp != '\n';)
            out[i++] = (*sp >= 0x20 && *sp < 0x7f) ? *sp++ : (sp++, '?');
    out[i] = '\0';
}

/* The first bytes of the body, as curl shows them: printable, one line. */
static void body_of(const struct case_result *r, char *out, size_t cap)
{
    const char *p = r->http_response ? r->http_response : "";
    const char *end = p + r->http_response_len;
    const char *b = NULL;
    for (const char *q = p; q + 3 < end; q++)
        if (memcmp(q, "\r\n\r\n", 4) == 0) {
            b = q + 4;
            break;
        }
    size_t i = 0;
    for (; b && b < end && i + 4 < cap && i < 80; b++)
        out[i++] = (*b >= 0x20 && *b < 0x7f) ? *b : ' ';
    if (b && b < end && i + 4 < cap)
        memcpy(out + i, "...", 3), i += 3;
    out[i] = '\0';
}

static void probe_agent(const struct case_result *r, char *agent, size_t agent_len)
{
    struct ws_http_response resp;
    size_t used, err_at;
    if (!r->http_response || ws_http_parse_response(r->http_response, r->http_response_len, 0,
                                                    &resp, &used, &err_at) != WS_E_OK)
        return;
    const struct ws_http_header *h = ws_http_find(resp.headers, resp.n_headers, "Server", NULL);
    if (h && h->value.len) {
        size_t n = h->value.len < agent_len - 1 ? h->value.len : agent_len - 1;
        memcpy(agent, h->value.ptr, n);
        agent[n] = '\0';
    }
}

static const char *after(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

/* One line for a probe that did not get to OPEN. */
static void probe_reason(const struct target *t, const struct case_result *r, double seconds,
                         char *err, size_t err_len)
{
    const char *h = t->host_header, *why = r->connect_error, *rest;
    if (!r->connected && r->was_open_handshake_timeout) {
        snprintf(err, err_len, "cannot connect to %s: timed out after %.1f s", h, seconds);
    } else if (!r->connected) {
        rest = after(why, "connect: ");
        snprintf(err, err_len, "cannot connect to %s: %s", h, rest ? rest : why);
    } else if ((rest = after(why, "TLS handshake failed: "))) {
        snprintf(err, err_len, "TLS handshake with %s failed: %s%s", h, rest,
                 strstr(rest, "certificate verify failed")
                     ? " (--cacert FILE trusts another CA; --insecure skips the check)"
                     : "");
    } else if (r->was_open_handshake_timeout) {
        snprintf(err, err_len, "%s did not complete the opening handshake within %.1f s", h,
                 seconds);
    } else if (r->handshake_error == WS_E_RESPONSE_STATUS) {
        char status[64], body[96];
        status_of(r, status, sizeof status);
        body_of(r, body, sizeof body);
        snprintf(err, err_len, "%s refused the WebSocket handshake: got %s%s%s", h, status,
                 body[0] ? ": " : "", body);
    } else if (r->handshake_error != WS_E_OK) {
        snprintf(err, err_len, "%s refused the WebSocket handshake: %s (%s section %s)", h,
                 ws_error_text(r->handshake_error), ws_error_rfc(r->handshake_error),
                 ws_error_section(r->handshake_error));
    } else if ((rest = after(why, "TLS: "))) {
        /* TLS 1.3: a server that wants a client certificate says so only now, after our
         * side of the TLS handshake completed */
        snprintf(err, err_len, "%s ended the TLS session during the opening handshake: %s%s", h,
                 rest,
                 strstr(rest, "certificate") ? " (--cert FILE --key FILE send a client certificate)"
                                             : "");
    } else if (why[0]) {
        snprintf(err, err_len, "%s failed during the opening handshake: %s", h, why);
    } else {
        snprintf(err, err_len, "%s closed the connection during the opening handshake", h);
    }
}

static int probe_one(const struct target *t, const struct tester_options *o, double seconds,
                     char *agent, size_t agent_len, char *err, size_t err_len)
{
    snprintf(agent, agent_len, "%s", t->host_header);
    struct case_def def = {.id = "probe", .judge = JUDGE_INFORMATIONAL};
    struct case_result r = {0};
    struct tester_options po = *o;
    po.timeout_scale = seconds / SCRIPT_OPEN_HANDSHAKE_TIMEOUT;
    struct tester T;
    struct session s;
    bool started = false;
    /* the probe's own failures (-1 below) are wsspec's trouble, not the target's */
    int rc = tester_open(&T, t, &po, err, err_len);
    struct script_config cfg;
    if (rc == 0) {
        script_config_for(&T, &def, &r, &cfg);
        cfg.probe = true;
        rc = session_start(&s, &T.loop, &T.bufs, t, &cfg, loop_now(), err, err_len) < 0 ? -1 : 0;
        started = true;
    }
    struct session *one = &s;
    /* until OPEN and the goodbye written, or the session ended */
    while (rc == 0 && !session_done(&s) && !(r.handshake_done && script_idle(&s.sc)))
        rc = pass(&T, &one, 1, 0);
    if (rc != 0) {
        if (started)
            session_abandon(&s);
        result_free(&r);
        tester_close(&T);
        return TESTER_OWN_TROUBLE;
    }
    session_finish(&s, loop_now());
    if (!r.handshake_done) {
        probe_reason(t, &r, seconds, err, err_len);
        rc = -1;
    } else {
        probe_agent(&r, agent, agent_len);
    }
    result_free(&r);
    tester_close(&T);
    return rc;
}

int tester_probe(struct target *t, const struct tester_options *o, double seconds, char *agent,
                 size_t agent_len, char *err, size_t err_len)
{
    char first[512] = "";
    for (size_t i = 0; i < (t->n_addrs ? t->n_addrs : 1); i++) {
        if (t->n_addrs) {
            t->addr = t->addrs[i];
            t->addr_len = t->addr_lens[i];
        }
        int rc = probe_one(t, o, seconds, agent, agent_len, err, err_len);
        if (rc == 0 || rc == TESTER_OWN_TROUBLE)
            return rc;
        if (i == 0)
            snprintf(first, sizeof first, "%s", err);
        /* only a refused or unreachable address is worth the next one; an answer that
         * is not a WebSocket handshake is the target's */
        if (!strstr(err, "cannot connect to"))
            return -1;
    }
    if (t->n_addrs > 1)
        snprintf(err, err_len, "%s (and %zu more address%s of %s)", first, t->n_addrs - 1,
                 t->n_addrs > 2 ? "es" : "", t->host);
    if (t->n_addrs) {
        t->addr = t->addrs[0];
        t->addr_len = t->addr_lens[0];
    }
    return -1;
}

/* ------------------------------------------------------------ liveness checks */

/* The check's message: short, so the result keeps all of it (RESULT_KEEP_BYTES). */
static uint8_t live_text[] = "wsspec liveness check";
#define LIVE_TEXT_LEN (sizeof live_text - 1)

/* The check as a case (cases/README.md terms): `send message text`, expect it back,
 * wsspec closes with 1000. No timers of its own, so the deadlines every case has - the
 * opening handshake's 5 s, the default kill-after of 10 s for the echo - scaled by
 * --timeout-scale like theirs: a slow target is not taken for a dead one. */
struct live_case {
    struct payload_seg seg;
    struct step step;
    struct event ev;
    struct case_def def;
};

static void live_case_init(struct live_case *lc)
{
    memset(lc, 0, sizeof *lc);
    lc->seg =
        (struct payload_seg){.pat = live_text, .pat_len = LIVE_TEXT_LEN, .len = LIVE_TEXT_LEN};
    struct payload pl = {.segs = &lc->seg, .n_segs = 1, .len = LIVE_TEXT_LEN};
    lc->step =
        (struct step){.type = STEP_MESSAGE, .opcode = WS_OP_TEXT, .fin = true, .payload = pl};
    lc->ev = (struct event){.type = EV_MESSAGE, .payload = pl};
    lc->def = (struct case_def){.id = "liveness",
                                .steps = &lc->step,
                                .n_steps = 1,
                                .judge = JUDGE_EVENTS,
                                .ok = {.present = true, .events = &lc->ev, .n = 1},
                                .close = {.closed_by_me = true, .codes = {1000}, .n_codes = 1}};
}

/* One attempt of a check on the wire. */
struct check {
    struct session s;
    struct case_result r;
    bool busy; /* the session is open: deciding, or finishing its closing handshake */
    double started;
};

struct checks {
    struct check c[TESTER_CHECK_SESSIONS];
    struct check *deciding; /* the attempt whose answer decides the check in flight */
    unsigned attempt;       /* of the check in flight: 1, or 2 after an HTTP refusal */
    double retry_at;        /* > 0: attempt 2 is due then */
    double first_until;     /* > 0: the cases wait for the first check until then */
    char refused[96];       /* attempt 1's status line, when it was refused */
    struct live_case lc;
};

struct slots {
    struct session *s; /* jobs sessions */
    bool *busy;
    struct session **active; /* jobs + TESTER_CHECK_SESSIONS: what a pass serves */
    unsigned jobs;
};

static bool slots_new(struct slots *sl, unsigned jobs)
{
    sl->jobs = jobs;
    sl->s = calloc(jobs, sizeof *sl->s);
    sl->busy = calloc(jobs, sizeof *sl->busy);
    sl->active = calloc(jobs + TESTER_CHECK_SESSIONS, sizeof *sl->active);
    return sl->s && sl->active && sl->busy;
}

static void slots_free(struct slots *sl)
{
    free(sl->s);
    free(sl->active);
    free(sl->busy);
}

/* Everything one tester_run holds. */
struct runner {
    struct tester T;
    const struct case_catalogue *cat;
    const size_t *idx;
    size_t n, next;
    struct case_result *results;
    const char **ids; /* n: each case's id, for the blame text */
    struct slots sl;
    struct liveness L;
    struct checks ck;
    struct tester_outcome *out;
};

/* Hand case i to the reports. */
static void report_case(void *ud, size_t i)
{
    struct runner *R = ud;
    R->out->ran++;
    if (R->T.o->on_done)
        R->T.o->on_done(R->T.o->ud, &R->results[i]);
}

static void check_release(struct check *c)
{
    if (!c->busy)
        return;
    session_abandon(&c->s);
    result_free(&c->r);
    c->busy = false;
}

/* A free attempt, or the oldest one still closing, released (the connection is dropped:
 * its answer is already in). */
static struct check *check_slot(struct checks *ck)
{
    struct check *old = NULL;
    for (size_t i = 0; i < TESTER_CHECK_SESSIONS; i++) {
        struct check *c = &ck->c[i];
        if (!c->busy)
            return c;
        if (c != ck->deciding && (!old || c->started < old->started))
            old = c;
    }
    check_release(old);
    return old;
}

/* Start an attempt. Returns -1 on wsspec's own trouble (reason in T.err). */
static int check_open(struct runner *R, double now)
{
    struct check *c = check_slot(&R->ck);
    struct script_config cfg;
    memset(&c->r, 0, sizeof c->r);
    script_config_for(&R->T, &R->ck.lc.def, &c->r, &cfg);
    c->busy = true;
    c->started = now;
    R->ck.deciding = c;
    return session_start(&c->s, &R->T.loop, &R->T.bufs, R->T.t, &cfg, now, R->T.err, R->T.err_len) <
                   0
               ? -1
               : 0;
}

/* Start the check that is owed, or its second attempt when that is due. */
static int check_start(struct runner *R, double now)
{
    struct checks *ck = &R->ck;
    if (!R->T.o->liveness || ck->deciding)
        return 0;
    if (ck->retry_at > 0) {
        if (now < ck->retry_at)
            return 0;
        ck->retry_at = 0;
        ck->attempt = 2;
        return check_open(R, now);
    }
    if (!liveness_check_due(&R->L, R->sl.jobs))
        return 0;
    if (R->L.state == LIVENESS_FIRST)
        ck->first_until = now + TESTER_FIRST_CHECK_WAIT * scale_of(R->T.o);
    liveness_check_started(&R->L);
    ck->attempt = 1;
    return check_open(R, now);
}

/* The target sent the check's message back (after anything else it may send first). */
static bool echoed(const struct case_result *r)
{
    for (size_t i = 0; i < r->n_events; i++) {
        const struct recorded_event *e = &r->events[i];
        if (e->type == EV_MESSAGE && !e->binary && e->len == LIVE_TEXT_LEN &&
            e->data_len == LIVE_TEXT_LEN && memcmp(e->data, live_text, LIVE_TEXT_LEN) == 0)
            return true;
    }
    return false;
}

/* What a failed check saw, in one line. */
static void check_reason(const struct runner *R, const struct check *c, char *out, size_t cap)
{
    const struct case_result *r = &c->r;
    const char *h = R->T.t->host_header;
    double scale = scale_of(R->T.o);
    if (!r->handshake_done) {
        probe_reason(R->T.t, r, SCRIPT_OPEN_HANDSHAKE_TIMEOUT * scale, out, cap);
        for (size_t n = strlen(out); n && out[n - 1] == ' ';) /* a body's line break */
            out[--n] = '\0';
        if (R->ck.refused[0] && r->handshake_error == WS_E_RESPONSE_STATUS)
            snprintf(out + strlen(out), cap - strlen(out), " (and %.60s %.1f s before)",
                     R->ck.refused, TESTER_CHECK_RETRY_PAUSE * scale);
    } else if (r->n_events > 0) {
        snprintf(out, cap, "%.120s answered the message with something else than its echo", h);
    } else if (c->s.sc.killed) {
        snprintf(out, cap,
                 "%.120s completed the opening handshake but echoed no message within "
                 "%.1f s",
                 h, SCRIPT_DEFAULT_KILL_AFTER * scale);
    } else if (r->target_error != WS_E_OK) {
        snprintf(out, cap, "%.120s broke %s before echoing the message: %s (section %s)", h,
                 ws_error_rfc(r->target_error), ws_error_text(r->target_error),
                 ws_error_section(r->target_error));
    } else {
        snprintf(out, cap,
                 "%.120s completed the opening handshake, then closed the connection "
                 "without echoing the message%s%.100s",
                 h, r->connect_error[0] ? ": " : "", r->connect_error);
    }
}

/* The check in flight has its answer when the echo is in, or when the attempt ended
 * without it (or its kill-after fired). An HTTP refusal of the first attempt is tried
 * again after TESTER_CHECK_RETRY_PAUSE. */
static void check_decide(struct runner *R, double now)
{
    struct checks *ck = &R->ck;
    struct check *c = ck->deciding;
    if (!c)
        return;
    if (echoed(&c->r)) {
        ck->deciding = NULL; /* the attempt finishes its closing handshake meanwhile */
        ck->refused[0] = '\0';
        liveness_check_passed(&R->L, report_case, R);
        return;
    }
    if (!session_done(&c->s) && !c->s.sc.killed)
        return;
    ck->deciding = NULL;
    if (ck->attempt == 1 && c->r.handshake_error == WS_E_RESPONSE_STATUS) {
        char status[64];
        status_of(&c->r, status, sizeof status);
        snprintf(ck->refused, sizeof ck->refused, "got %s", status);
        ck->retry_at = now + TESTER_CHECK_RETRY_PAUSE * scale_of(R->T.o);
        check_release(c);
        return;
    }
    check_reason(R, c, R->out->why, sizeof R->out->why);
    check_release(c);
    liveness_check_failed(&R->L, report_case, R);
    R->out->liveness_off = R->L.state == LIVENESS_OFF;
}

/* Attempts that finished their closing handshake. */
static void checks_reap(struct checks *ck)
{
    for (size_t i = 0; i < TESTER_CHECK_SESSIONS; i++)
        if (ck->c[i].busy && &ck->c[i] != ck->deciding && session_done(&ck->c[i].s))
            check_release(&ck->c[i]);
}

/* ------------------------------------------------------------ running cases */

/* Start cases in free slots, as far as the liveness checks let them. */
static int cases_start(struct runner *R, double now)
{
    if (R->ck.first_until > 0 && now >= R->ck.first_until) {
        R->ck.first_until = 0;
        liveness_first_overdue(&R->L);
    }
    for (unsigned j = 0; j < R->sl.jobs && R->next < R->n; j++) {
        if (R->sl.busy[j])
            continue;
        if (!liveness_may_start(&R->L, R->sl.jobs))
            break;
        struct script_config cfg;
        size_t i = R->T.o->order ? R->T.o->order[R->next] : R->next;
        R->next++;
        script_config_for(&R->T, &R->cat->cases[R->idx[i]], &R->results[i], &cfg);
        R->sl.busy[j] = true;
        liveness_case_started(&R->L, i);
        if (session_start(&R->sl.s[j], &R->T.loop, &R->T.bufs, R->T.t, &cfg, now, R->T.err,
                          R->T.err_len) < 0)
            return -1;
    }
    return 0;
}

/* The target was alive when the case ended (liveness.h's blame): it completed the
 * closing handshake, or - a case that never opened (section 14's refusals) - answered
 * the request with a response. */
static bool ended_clean(const struct case_result *r)
{
    return r->handshake_done ? r->was_clean : judge_response_came(r);
}

/* Judge the cases that ended; report them, or let them wait for a check. */
static void cases_reap(struct runner *R)
{
    double now = loop_now();
    for (unsigned j = 0; j < R->sl.jobs; j++) {
        struct session *s = &R->sl.s[j];
        if (!R->sl.busy[j] || !session_done(s))
            continue;
        size_t i = (size_t)(s->sc.r - R->results);
        session_finish(s, now);
        zcache_release(R->T.zc, &R->cat->cases[R->idx[i]]); /* its messages may go */
        rtt_add(&R->T, s->sc.r->handshake_rtt);
        R->sl.busy[j] = false;
        struct case_result *r = &R->results[i];
        if (liveness_case_ended(&R->L, i, ended_clean(r)))
            report_case(R, i);
    }
}

/* The sessions a pass serves: the cases', the checks'. */
static size_t active(struct runner *R)
{
    size_t k = 0;
    for (unsigned j = 0; j < R->sl.jobs; j++)
        if (R->sl.busy[j])
            R->sl.active[k++] = &R->sl.s[j];
    for (size_t i = 0; i < TESTER_CHECK_SESSIONS; i++)
        if (R->ck.c[i].busy)
            R->sl.active[k++] = &R->ck.c[i].s;
    return k;
}

/* When the loop has to act without I/O: a check's second attempt, the end of the wait
 * for the first check (0 = neither). */
static double runner_wake(const struct runner *R)
{
    double a = R->ck.retry_at, b = R->L.state == LIVENESS_FIRST ? R->ck.first_until : 0;
    return a > 0 && (b <= 0 || a < b) ? a : b;
}

/* Every case reported, or waiting for nothing more. */
static bool runner_done(const struct runner *R)
{
    for (unsigned j = 0; j < R->sl.jobs; j++)
        if (R->sl.busy[j])
            return false;
    return R->next == R->n && R->L.n_ended == 0;
}

/* A check failed: the blamed case FAILED and reported; the rest, running or ended, are
 * not reported (liveness.h). The run's message names the blamed case (or, when none
 * had ended, the ones running) and what the check saw. */
static void blame(struct runner *R)
{
    size_t b = R->L.blamed;
    struct tester_outcome *out = R->out;
    char text[256], why[400], subject[48];
    out->died = true;
    if (b < R->n)
        snprintf(subject, sizeof subject, "case %s", R->ids[b]);
    else /* no case had ended: cannot happen after the first check, said plainly if it does */
        snprintf(subject, sizeof subject, "its last passing check");
    liveness_blame_text(&R->L, R->ids, subject, out->message, sizeof out->message);
    size_t used = strlen(out->message);
    snprintf(out->message + used, sizeof out->message - used, ": %s", out->why);
    if (b >= R->n)
        return;
    liveness_blame_text(&R->L, R->ids, "this case", text, sizeof text);
    snprintf(why, sizeof why, "target stopped answering after this case: %s", out->why);
    liveness_fail_case(&R->results[b], text, why);
    report_case(R, b);
}

static int runner_open(struct runner *R, const struct target *t, const struct case_catalogue *cat,
                       const size_t *idx, size_t n, const struct tester_options *o,
                       struct case_result *results, struct tester_outcome *out, char *err,
                       size_t err_len)
{
    memset(R, 0, sizeof *R);
    memset(out, 0, sizeof *out);
    R->cat = cat;
    R->idx = idx;
    R->n = n;
    R->results = results;
    R->out = out;
    live_case_init(&R->ck.lc);
    if (tester_open(&R->T, t, o, err, err_len) != 0)
        return -1;
    R->ids = calloc(n ? n : 1, sizeof *R->ids);
    if (!R->ids || !slots_new(&R->sl, o->jobs ? o->jobs : 1) ||
        !liveness_init(&R->L, n, o->liveness)) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        R->ids[i] = cat->cases[idx[i]].id;
        zcache_hold(R->T.zc, &cat->cases[idx[i]]); /* false: that case compresses alone */
    }
    return 0;
}

/* After the loop: blame when the target died, else (stopped, or wsspec's trouble) the
 * cases that ended keep their verdicts; running cases and checks are dropped. */
static void runner_close(struct runner *R)
{
    if (R->L.state == LIVENESS_DEAD)
        blame(R);
    else if (R->L.cases)
        liveness_release(&R->L, report_case, R);
    for (unsigned j = 0; R->sl.busy && j < R->sl.jobs; j++)
        if (R->sl.busy[j])
            session_abandon(&R->sl.s[j]); /* not judged: the result stays unfinished */
    for (size_t i = 0; i < TESTER_CHECK_SESSIONS; i++)
        check_release(&R->ck.c[i]);
    liveness_free(&R->L);
    slots_free(&R->sl);
    free(R->ids);
    tester_close(&R->T);
}

int tester_run(const struct target *t, const struct case_catalogue *cat, const size_t *idx,
               size_t n, const struct tester_options *o, struct case_result *results,
               struct tester_outcome *out, char *err, size_t err_len)
{
    struct runner R;
    int rc = runner_open(&R, t, cat, idx, n, o, results, out, err, err_len);
    while (rc == 0 && !runner_done(&R) && !(o->stop && *o->stop)) {
        double now = loop_now();
        if (cases_start(&R, now) != 0 || check_start(&R, now) != 0 ||
            pass(&R.T, R.sl.active, active(&R), runner_wake(&R)) != 0) {
            rc = -1;
            break;
        }
        cases_reap(&R);
        check_decide(&R, loop_now());
        checks_reap(&R.ck);
        if (R.L.state == LIVENESS_DEAD)
            break;
    }
    runner_close(&R);
    return rc;
}

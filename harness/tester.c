/*
 * tester.c - wsspec's side of a run (see tester.h): sessions on one loop, `jobs` at a
 * time, and the reachability probe, which is a session too.
 */
#define _GNU_SOURCE
#include "tester.h"

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

static void script_config_for(const struct tester *T, const struct case_def *def,
                              struct case_result *r, struct script_config *cfg)
{
    const struct tester_options *o = T->o;
    memset(cfg, 0, sizeof *cfg);
    cfg->def = def;
    cfg->r = r;
    cfg->run_seed = o->seed;
    cfg->timeout_scale = o->timeout_scale > 0 ? o->timeout_scale : 1.0;
    cfg->pace = o->pace;
    cfg->pace_floor = rtt_longest(T);
    cfg->agent = o->agent ? o->agent : T->t->host_header;
    cfg->wall0 = loop_wall();
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
    if (!T->bufs.rbuf || !T->bufs.wbuf) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}

static void tester_close(struct tester *T)
{
    loop_free(&T->loop);
    free(T->bufs.rbuf);
    free(T->bufs.wbuf);
}

/* One loop pass over the sessions ss[0..n): wait for I/O or the nearest deadline,
 * hand events over, then give every session its pass. Returns -1 on a loop failure
 * (wsspec's own trouble, reason in T->err). */
static int pass(struct tester *T, struct session **ss, size_t n)
{
    double now = loop_now(), wake = 0;
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

/* ------------------------------------------------------------ running cases */

struct slots {
    struct session *s; /* jobs sessions */
    struct session **active;
    bool *busy;
    unsigned jobs;
};

static bool slots_new(struct slots *sl, unsigned jobs)
{
    sl->jobs = jobs;
    sl->s = calloc(jobs, sizeof *sl->s);
    sl->active = calloc(jobs, sizeof *sl->active);
    sl->busy = calloc(jobs, sizeof *sl->busy);
    return sl->s && sl->active && sl->busy;
}

static void slots_free(struct slots *sl)
{
    free(sl->s);
    free(sl->active);
    free(sl->busy);
}

/* End finished sessions (judge, report), or all of them when stopping. Returns how
 * many cases got a verdict. */
static size_t reap(struct tester *T, struct slots *sl, bool stopping)
{
    size_t done = 0;
    double now = loop_now();
    for (unsigned j = 0; j < sl->jobs; j++) {
        struct session *s = &sl->s[j];
        if (!sl->busy[j])
            continue;
        if (stopping) {
            session_abandon(s); /* not judged: the result stays unfinished */
        } else if (session_done(s)) {
            session_finish(s, now);
            rtt_add(T, s->sc.r->handshake_rtt);
            done++;
            if (T->o->on_done)
                T->o->on_done(T->o->ud, s->sc.r);
        } else {
            continue;
        }
        sl->busy[j] = false;
    }
    return done;
}

int tester_run(const struct target *t, const struct case_catalogue *cat, const size_t *idx,
               size_t n, const struct tester_options *o, struct case_result *results, size_t *ran,
               char *err, size_t err_len)
{
    struct tester T;
    struct slots sl = {0};
    size_t next = 0, done = 0;
    int rc = tester_open(&T, t, o, err, err_len);
    if (rc == 0 && !slots_new(&sl, o->jobs ? o->jobs : 1)) {
        snprintf(err, err_len, "out of memory");
        rc = -1;
    }
    while (rc == 0 && done < n) {
        bool stopping = o->stop && *o->stop;
        for (unsigned j = 0; j < sl.jobs && next < n && !stopping && rc == 0; j++) {
            if (sl.busy[j])
                continue;
            struct script_config cfg;
            size_t k = o->order ? o->order[next] : next;
            script_config_for(&T, &cat->cases[idx[k]], &results[k], &cfg);
            if (session_start(&sl.s[j], &T.loop, &T.bufs, t, &cfg, loop_now(), err, err_len) < 0)
                rc = -1;
            sl.busy[j] = true;
            next++;
        }
        size_t n_active = 0;
        for (unsigned j = 0; j < sl.jobs; j++)
            if (sl.busy[j])
                sl.active[n_active++] = &sl.s[j];
        if (rc == 0 && n_active && pass(&T, sl.active, n_active) != 0)
            rc = -1;
        stopping = o->stop && *o->stop;
        done += reap(&T, &sl, stopping || rc != 0);
        if (stopping || !n_active)
            break;
    }
    if (sl.s)
        reap(&T, &sl, true);
    slots_free(&sl);
    tester_close(&T);
    *ran = done;
    return rc;
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
        snprintf(err, err_len, "%s refused the WebSocket handshake: %s (RFC 6455 section %s)", h,
                 ws_error_text(r->handshake_error), ws_error_section(r->handshake_error));
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
        rc = pass(&T, &one, 1);
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

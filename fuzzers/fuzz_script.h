/*
 * fuzz_script.h - the drive of the tester's script (harness/script.h) shared by the two
 * targets that put it in front of a hostile target: script_fuzzer (wsspec as the client,
 * as `wsspec run` plays it; the target is a server) and script_server_fuzzer (wsspec as
 * the server, as `wsspec serve` plays it; the target is a client). Both run one case of
 * the real catalogue without a socket, the way session.c runs it on one: the target
 * sends what the input holds in the input's pieces and at the input's times, reads as
 * much of wsspec's output as the input says, then ends as the input says, and time runs
 * on from deadline to deadline until the script is done. The invariants checked on the
 * way and on the record are the same in both roles (each target's header comment lists
 * them); what differs is how a case is set up and who writes the opening handshake's
 * first message, which each target says for itself (setup, the handshake's block).
 *
 * Static helpers only (OSS-Fuzz shape: a target is one .c file plus what it includes).
 */
#ifndef FUZZ_SCRIPT_H
#define FUZZ_SCRIPT_H

#include "fuzz_input.h"
#include "fuzz_pmd.h"

#include "script.h"

#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

FUZZ_NOCOV_BEGIN

/* ------------------------------------------------------------ the catalogue */

/* The catalogue, read once per process, and the cases the target picks among (by
 * catalogue index): those the role runs, so the inputs keep their cases when cases for
 * the other role are added. */
static struct case_catalogue catalogue;
static size_t *runs;
static size_t n_runs;

static inline void print_diag(void *ud, const char *msg)
{
    fprintf(stderr, "%s: %s\n", (const char *)ud, msg);
}

static inline bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* dir/rel into out; false when it does not fit. */
static inline bool join(char *out, size_t cap, const char *dir, const char *rel)
{
    int k = snprintf(out, cap, "%s/%s", dir, rel);
    return k > 0 && (size_t)k < cap;
}

/* Where the case files are, first found wins: $WSSPEC_CASES (as for `wsspec`); cases/
 * beside the binary (OSS-Fuzz's $OUT, where the build script copies it); ../../cases
 * from the binary (build/<tree>/<target>, any working directory); ./cases (runs from
 * the repository root). NULL when none is. */
static inline const char *cases_dir(char *buf, size_t cap)
{
    const char *env = getenv("WSSPEC_CASES");
    if (env && *env)
        return env;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0 && (size_t)n < sizeof exe - 1) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            if (join(buf, cap, exe, "cases") && is_dir(buf))
                return buf;
            if (join(buf, cap, exe, "../../cases") && is_dir(buf))
                return buf;
        }
    }
    return is_dir("cases") ? "cases" : NULL;
}

/* The catalogue, and the cases for which runs_it is true in runs[]. A catalogue that is
 * missing or does not parse cleanly aborts (with a message that begins with who): a
 * target that silently fuzzed nothing would pass every run. */
static inline const struct case_catalogue *
load_catalogue(const char *who, bool (*runs_it)(const struct case_def *, const char **))
{
    if (catalogue.n_cases)
        return &catalogue;
    char buf[4200];
    const char *dir = cases_dir(buf, sizeof buf);
    if (!dir) {
        fprintf(stderr,
                "%s: no catalogue: set WSSPEC_CASES to the cases/ directory, or run from "
                "the repository root\n",
                who);
        abort();
    }
    size_t errors = case_parse_dir(&catalogue, dir, print_diag, (void *)who);
    if (errors || catalogue.n_cases == 0) {
        fprintf(stderr, "%s: %s: %zu errors, %zu cases\n", who, dir, errors, catalogue.n_cases);
        abort();
    }
    runs = malloc(catalogue.n_cases * sizeof *runs);
    if (!runs)
        abort();
    for (size_t i = 0; i < catalogue.n_cases; i++)
        if (runs_it(&catalogue.cases[i], NULL))
            runs[n_runs++] = i;
    if (n_runs == 0)
        abort();
    return &catalogue;
}

/* The generated files of `roundtrip data=` (sections 12, 13 and 18), one store per
 * process as the tester keeps one per run: a file is generated the first time a case
 * needs it. */
static struct datastore store;

/* ------------------------------------------------------------ bounds of a case */

/* Frames of a message of len bytes cut into fragments of frag (script_steps.c
 * queue_message: full fragments, the rest, an empty final one when frag divides len). */
static inline uint64_t message_frames(uint64_t len, uint64_t frag)
{
    return frag == 0 || len <= frag ? 1 : len / frag + 1;
}

/* Send-queue units the case's own steps can queue (each frame, payload or raw step is
 * one unit, as is a case's own opening request - or, in a `role server` case, its own
 * response; Close steps are the core's output). */
static inline uint64_t step_units(const struct case_def *def)
{
    uint64_t n = def->request.own || def->role == CASE_ROLE_SERVER ? 1 : 0;
    for (size_t i = 0; i < def->n_steps; i++) {
        const struct step *st = &def->steps[i];
        switch (st->type) {
        case STEP_MESSAGE:
            n += message_frames(st->payload.len, st->fragment);
            break;
        case STEP_ROUNDTRIP:
            n += (uint64_t)(st->count ? st->count : 1) *
                 message_frames(st->payload.len, st->fragment);
            break;
        case STEP_CLOSE:
        case STEP_WAIT:
            break;
        default:
            n++;
        }
    }
    return n;
}

/* Seconds the case's waits add up to. */
static inline double step_waits(const struct case_def *def)
{
    double s = 0;
    for (size_t i = 0; i < def->n_steps; i++)
        if (def->steps[i].type == STEP_WAIT)
            s += def->steps[i].seconds;
    return s;
}

/* How long a silent target can keep the script from being done, from any moment:
 * the opening handshake; the waits still to come; kill-after or close-after (or the
 * default kill), twice (a tagged wait that times out after the close restarts them);
 * the closing handshake; the drop wait (at most the kill timer). All scaled. */
static inline double end_bound(const struct case_def *def, double scale)
{
    double t = def->kill_after > def->close_after ? def->kill_after : def->close_after;
    if (t < SCRIPT_DEFAULT_KILL_AFTER)
        t = SCRIPT_DEFAULT_KILL_AFTER;
    double s = SCRIPT_OPEN_HANDSHAKE_TIMEOUT + step_waits(def) + 2 * t +
               SCRIPT_CLOSE_HANDSHAKE_TIMEOUT + SCRIPT_SERVER_DROP_TIMEOUT;
    return s * scale + 1e-6;
}

/* ------------------------------------------------------------ the drive */

/* What the core may hold: the header block while the handshake lasts, and the output
 * bound the script gives it (script.c script_init: 4 x WS_CONN_PONG_BACKLOG). Messages
 * stream through (stream_messages): no message buffer. */
#define CONN_MEMORY_MAX (WS_HTTP_DEFAULT_MAX_BLOCK + 4 * WS_CONN_PONG_BACKLOG)
/* The response kept in the result: the header block plus the body kept with a
 * refusal (script.c SCRIPT_BODY_KEPT, 512). */
#define RESPONSE_KEPT_MAX (WS_HTTP_DEFAULT_MAX_BLOCK + 512)
/* One write: as session.c's buffer is sized, so elements larger than a write happen. */
#define WRITE_CAP 65536

struct drive {
    struct script sc;
    struct case_result r;
    const struct case_def *def;
    enum script_role role; /* wsspec's: the target plays the other */
    struct case_def probe_def;
    bool probe;
    double now, wake;
    double scale;
    bool short_writes;
    uint64_t budget; /* bytes the target still reads after the handshake's block */
    /* The opening handshake's first message, which the target reads whole before its
     * budget counts - the client role: wsspec's request; the server role: wsspec's
     * response. hs_bytes takes the bytes offered while hs_block is 0 and says how many
     * of them belong to the block (see the targets). */
    char hs[WS_HTTP_DEFAULT_MAX_BLOCK];
    size_t hs_len;
    size_t hs_block; /* > 0: the block is complete, this long */
    size_t (*hs_bytes)(struct drive *d, const uint8_t *p, size_t n);
    uint64_t taken;  /* bytes the target read */
    uint64_t fed;    /* bytes the script was given before TCP closed */
    uint64_t splits; /* writes that ended inside a unit of the core's output */
    uint64_t max_units;
    bool deflate;   /* client role: the synthesized 101 accepts permessage-deflate; server
                       role: the synthesized request offers it */
    bool protocols; /* server role: the synthesized request offers subprotocols */
    /* what the target sends before the input's own bytes when the input says so - client
     * role: a 101 for the script's request; server role: a valid opening request */
    uint8_t synth[1024];
    size_t synth_len;
};

static uint8_t out_buf[WRITE_CAP];

/* How many of n offered bytes the target takes: the handshake's block whole, as it
 * comes (what follows it in the same write is read as data), then the budget. */
static inline size_t target_takes(struct drive *d, const uint8_t *p, size_t n)
{
    if (!d->hs_block) {
        size_t k = d->short_writes && n > 1 ? n / 2 : n;
        size_t block = d->hs_bytes(d, p, k);
        if (!d->hs_block)
            return k;
        size_t rest = k - block; /* behind the block in the same write: read as data */
        if (rest > d->budget)
            rest = (size_t)d->budget;
        d->budget -= rest;
        return block + rest;
    }
    size_t k = n < d->budget ? n : (size_t)d->budget;
    if (d->short_writes && k > 1)
        k /= 2;
    d->budget -= k;
    return k;
}

/* Send-queue memory: units within the bound of the case's steps, plus one unit of the
 * core's output behind each of them, one at the front, and one per write that ended
 * inside such a unit (sendq_core starts a new unit behind a partly written one);
 * each unit holds at most one frame header of its own (payloads are generated). */
static inline void sendq_check(struct drive *d)
{
    uint64_t own = 0, core = 0;
    for (const struct sendq_unit *u = d->sc.q.head; u; u = u->next) {
        FUZZ_CHECK(u->bytes_len <= WS_FRAME_HEADER_MAX);
        if (u->core)
            core++;
        else
            own++;
        FUZZ_CHECK(!u->next || d->sc.q.tail != u);
    }
    FUZZ_CHECK(own <= d->max_units);
    FUZZ_CHECK(core <= own + 1 + d->splits);
}

/* Write what is due at now, as far as the target reads. */
static inline void pump(struct drive *d)
{
    d->wake = 0;
    for (;;) {
        double wake = 0;
        size_t n = script_output(&d->sc, d->now, out_buf, sizeof out_buf, &wake);
        FUZZ_CHECK(n <= sizeof out_buf);
        if (n == 0) {
            FUZZ_CHECK(wake == 0 || (isfinite(wake) && wake > d->now));
            d->wake = wake;
            return;
        }
        size_t k = target_takes(d, out_buf, n);
        script_wrote(&d->sc, out_buf, k, d->now);
        d->taken += k;
        const struct sendq_unit *h = d->sc.q.head;
        if (h && h->core && h->off > 0)
            d->splits++;
        if (k == 0)
            return; /* the target does not read: the write blocks */
    }
}

/* While the case runs. */
static inline void check_running(struct drive *d, bool ticked)
{
    const struct case_result *r = &d->r;
    FUZZ_CHECK(r->n_events <= RESULT_EVENTS_MAX && r->cap_events <= RESULT_EVENTS_MAX);
    FUZZ_CHECK(r->n_wirelog <= RESULT_WIRELOG_MAX && r->cap_wirelog <= RESULT_WIRELOG_MAX);
    FUZZ_CHECK(r->http_response_len <= RESPONSE_KEPT_MAX);
    struct ws_pmd_params agreed;
    enum ws_role core = d->role == SCRIPT_SERVER ? WS_ROLE_SERVER : WS_ROLE_CLIENT;
    if (d->sc.conn_ready)
        FUZZ_CHECK(ws_conn_memory(&d->sc.conn) <=
                   CONN_MEMORY_MAX + (ws_conn_pmd(&d->sc.conn, &agreed)
                                          ? fuzz_pmd_state_bound(&agreed, core)
                                          : 0));
    sendq_check(d);
    double dl = script_deadline(&d->sc);
    FUZZ_CHECK(dl == 0 || isfinite(dl));
    if (ticked)
        FUZZ_CHECK(dl == 0 || dl > d->now); /* a tick consumes what is due */
    if (script_done(&d->sc))
        FUZZ_CHECK(dl == 0);
}

/* The time the script next needs: its deadline or a write due later, 0 for none. */
static inline double next_event(const struct drive *d)
{
    double dl = script_deadline(&d->sc);
    return d->wake > 0 && (dl == 0 || d->wake < dl) ? d->wake : dl;
}

/* No more input: from deadline to deadline until the script is done (the probe, as
 * tester.c runs it: until OPEN and the goodbye written). */
static inline void run_to_end(struct drive *d)
{
    double limit = d->now + end_bound(d->def, d->scale);
    /* each pass writes at least a byte, or reaches a deadline that fires; the bytes of a
     * handshake block not yet read are read whatever the budget */
    uint64_t passes = d->taken + d->budget + 64 + 4 * (uint64_t)d->def->n_steps +
                      (d->hs_block ? 0 : sizeof d->hs);
    for (uint64_t i = 0;; i++) {
        pump(d);
        if (script_done(&d->sc) || (d->probe && d->r.handshake_done && script_idle(&d->sc)))
            return;
        FUZZ_CHECK(i < passes);
        double next = next_event(d);
        FUZZ_CHECK(next > 0);      /* not done, nothing due: something must be scheduled */
        FUZZ_CHECK(next > d->now); /* time moves forward */
        FUZZ_CHECK(next <= limit); /* and the case ends in bounded time */
        d->now = next;
        script_tick(&d->sc, d->now);
        check_running(d, true);
    }
}

/* ------------------------------------------------------------ the record */

static inline bool nul_in(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static inline bool verdict_name_ok(const char *s, const char *const *names, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return true;
    return false;
}

static inline void check_verdicts(const struct case_result *r)
{
    static const char *const b[] = {"OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"};
    static const char *const bc[] = {"OK",         "FAILED",           "UNCLEAN",
                                     "WRONG CODE", "FAILED BY CLIENT", "INFORMATIONAL"};
    FUZZ_CHECK(verdict_name_ok(behavior_name(r->behavior), b, 5));
    FUZZ_CHECK(verdict_name_ok(behavior_close_name(r->behavior_close), bc, 6));
    FUZZ_CHECK(verdict_name_ok(behavior_name(r->rfc.behavior), b, 5));
    FUZZ_CHECK(verdict_name_ok(behavior_close_name(r->rfc.behavior_close), bc, 6));
    FUZZ_CHECK(nul_in(r->result, sizeof r->result) &&
               nul_in(r->result_close, sizeof r->result_close));
    FUZZ_CHECK(nul_in(r->broken, sizeof r->broken) && nul_in(r->difference, sizeof r->difference));
    FUZZ_CHECK(nul_in(r->rfc.result, sizeof r->rfc.result) &&
               nul_in(r->rfc.result_close, sizeof r->rfc.result_close) &&
               nul_in(r->rfc.broken, sizeof r->rfc.broken));
    /* where the verdicts differ, a rule says why (result.h) - never the bare fallback */
    bool same = r->behavior == r->rfc.behavior && r->behavior_close == r->rfc.behavior_close;
    FUZZ_CHECK(same == (r->difference[0] == '\0'));
    FUZZ_CHECK(strcmp(r->difference, "the verdicts differ") != 0);
}

static inline void check_events(const struct case_result *r)
{
    FUZZ_CHECK(r->n_events <= RESULT_EVENTS_MAX);
    FUZZ_CHECK(r->events_dropped == 0 || r->n_events == RESULT_EVENTS_MAX);
    double last = 0;
    for (size_t i = 0; i < r->n_events; i++) {
        const struct recorded_event *ev = &r->events[i];
        FUZZ_CHECK(ev->type == EV_MESSAGE || ev->type == EV_PONG || ev->type == EV_TIMEOUT);
        FUZZ_CHECK(ev->data_len <= RESULT_KEEP_BYTES && ev->data_len <= ev->len);
        FUZZ_CHECK((ev->data != NULL) == (ev->data_len > 0));
        FUZZ_CHECK(ev->type != EV_PONG || ev->data_len == ev->len || ev->matches == 0);
        FUZZ_CHECK(ev->matches <= (EVENT_MATCHES_OK | EVENT_MATCHES_NON_STRICT));
        FUZZ_CHECK(nul_in(ev->tag, sizeof ev->tag));
        FUZZ_CHECK(isfinite(ev->at_ms) && ev->at_ms >= last);
        last = ev->at_ms;
    }
}

static inline void check_wirelog(const struct case_result *r)
{
    FUZZ_CHECK(r->n_wirelog <= RESULT_WIRELOG_MAX);
    FUZZ_CHECK(r->n_wirelog + r->wirelog_dropped == r->wirelog_total);
    double last = 0;
    for (size_t i = 0; i < r->n_wirelog; i++) {
        const struct wirelog_row *w = &r->wirelog[i];
        FUZZ_CHECK(w->data_len <= RESULT_WIRELOG_BYTES && w->data_len <= w->len);
        FUZZ_CHECK(nul_in(w->text, sizeof w->text));
        FUZZ_CHECK(isfinite(w->at_ms) && w->at_ms >= last);
        last = w->at_ms;
    }
}

/* The case is over and judged. */
static inline void check_final(struct drive *d)
{
    const struct case_result *r = &d->r;
    check_verdicts(r);
    check_events(r);
    check_wirelog(r);
    FUZZ_CHECK(r->duration_ms >= 0 && r->handshake_rtt >= 0);
    FUZZ_CHECK(r->tx_octets == d->taken && r->rx_octets == d->fed);
    FUZZ_CHECK(r->http_response_len <= RESPONSE_KEPT_MAX);
    FUZZ_CHECK(!r->http_response || r->http_response[r->http_response_len] == '\0');
    FUZZ_CHECK(r->remote_close_reason_len <= WS_CONTROL_MAX - 2);
    FUZZ_CHECK(r->local_close_reason_len <= 1024);
    FUZZ_CHECK(nul_in(r->agent, sizeof r->agent) &&
               nul_in(r->connect_error, sizeof r->connect_error));
    if (r->handshake_done)
        FUZZ_CHECK(r->pace_s >= SENDQ_MIN_PASS && r->pace_s <= SCRIPT_PACE_MAX);
}

/* ------------------------------------------------------------ the input */

/* The time before a piece, from one schedule byte: around the pace (tens of us to
 * 3 ms), around the closing timeouts (10 ms - 1.3 s), past the opening and kill
 * timeouts (0.25 - 16 s). */
static inline double dt_of(uint8_t v)
{
    if (v < 64)
        return v * 50e-6;
    if (v < 192)
        return (v - 63) * 10e-3;
    return (v - 191) * 0.25;
}

/* What the target sends: the synthesized bytes (pre of d->synth) then the input's own,
 * piece by piece as the chop schedule cuts them, time passing before each piece as the
 * time schedule says, with wsspec's output written before and after each. */
static inline void send_stream(struct drive *d, size_t pre, struct fuzz_in *in,
                               const uint8_t times[4], struct fuzz_chop *chop)
{
    size_t n = pre + in->n;
    uint8_t *stream = fuzz_dup(NULL, n);
    memcpy(stream, d->synth, pre);
    if (in->n)
        memcpy(stream + pre, in->p, in->n);

    for (size_t pos = 0, piece = 0; pos < n && !script_done(&d->sc); piece++) {
        if (d->probe && d->r.handshake_done && script_idle(&d->sc))
            break;
        size_t k = fuzz_chop_next(chop, n - pos);
        d->now += dt_of(times[piece % 4]);
        script_tick(&d->sc, d->now);
        check_running(d, true);
        pump(d);
        if (!script_done(&d->sc))
            d->fed += k;
        fuzz_fence(stream, n, pos + k, true);
        script_recv(&d->sc, stream + pos, k, d->now);
        fuzz_fence(stream, n, pos + k, false);
        pos += k;
        pump(d);
        check_running(d, false);
    }
    free(stream);
}

/* The end the input chose (0 the target goes quiet, 1 it closes TCP, 2 TCP breaks, 3
 * the run is interrupted); then, unless interrupted, the script runs to its end and is
 * judged. Returns true when there is a record to check. */
static inline bool end_case(struct drive *d, unsigned end)
{
    if (end == 3) {
        script_abandon(&d->sc);
        FUZZ_CHECK(!d->sc.conn_ready && sendq_empty(&d->sc.q));
        return false;
    }
    if (end)
        script_tcp_closed(&d->sc, end == 2 ? "Connection reset by peer" : NULL, d->now);
    run_to_end(d);
    FUZZ_CHECK(script_done(&d->sc) || d->probe);
    script_finish(&d->sc, d->now);
    FUZZ_CHECK(sendq_empty(&d->sc.q));
    check_final(d);
    return true;
}

FUZZ_NOCOV_END

#endif

/*
 * script_fuzzer.c - the tester's script (harness/script.h) facing a hostile target:
 * one case of the real catalogue, driven without a socket, while "the target" sends
 * whatever the input holds, reads as much of wsspec's output as the input says and lets
 * time pass as the input says. Everything a target sends reaches this code, through the
 * core's client role with the tester options (stream_messages, read_on,
 * autobahn_close_codes, close_reply_code), so it must never crash, hang or grow.
 *
 * Input:
 *   [0..1]   the case: big-endian index into the catalogue, modulo its size
 *   [2]      bit 0     a valid 101 for the script's request is sent first
 *            bits 1-2  after the data: 0 the target goes quiet (the script's timers end
 *                      the case), 1 it closes TCP, 2 TCP breaks (with a note), 3 the run
 *                      is interrupted (script_abandon: no verdict)
 *            bit 3     short writes: the target takes half of what is offered
 *            bits 4-5  what the target reads after the request: 0, 4 KiB, 64 KiB, 1 MiB
 *                      (then it stops reading: wsspec's writes block)
 *            bit 6     the reachability probe (script_config.probe) instead of the case
 *            bit 7     a fixed pace (script_config.pace) instead of the measured one
 *   [3]      bits 0-1  timeout_scale 1, 0.01, 0.25 or 4
 *            bit 2     the run's longest recent handshake (pace_floor) was 2 ms
 *            bits 3-6  the run seed (masks, the request's key)
 *            bit 7     the synthesized 101 accepts the case's permessage-deflate offer
 *                      (deflate-offer; not the probe): the answer ws_pmd_server_answer
 *                      makes to the request's offer with a server's default
 *                      preferences, so the roundtrips compress, the echoes the target
 *                      sends may be compressed frames, and RSV1 is allowed. Before
 *                      permessage-deflate bit 7 was the seed's high bit (seeds 16-31):
 *                      those inputs now run with seed - 16 (their 101 is synthesized
 *                      from the key, so they still open) and, on a deflate-offer case,
 *                      negotiate the extension
 *   [4..7]   the time schedule: how long passes before each piece (cycled, see dt_of)
 *   [8..11]  the chop schedule (fuzz_input.h)
 *   [12..]   the bytes the target sends
 *
 * The catalogue. The target picks a case of the catalogue the tester runs (as the
 * client: not section 19's client tests), read from
 * the case files once per process (case_parse_dir) - not an embedded copy, which would
 * need a generated source and would go stale as cases/ changes. Where it is, first
 * found wins: $WSSPEC_CASES (as for `wsspec`); cases/ beside the binary (OSS-Fuzz's
 * $OUT, where the build script has to copy it); ../../cases from the binary
 * (build/<tree>/<target>, any working directory); ./cases (runs from the repository
 * root: make fuzz-replay, smoke, merge, nightly). A catalogue that is missing or does
 * not parse cleanly aborts at the first input: a target that silently fuzzed nothing
 * would pass every run. An input means the same case as long as the catalogue's order
 * does not change; it never stops being a valid input.
 *
 * The drive, as session.c does it on a socket: write out what the script has due (the
 * first bytes are the request: parsed and checked here, its key gives the 101 - or a
 * 400 to a case's own request that is not a valid one; a chopped request is written
 * with time running, write_request); for
 * each piece of the data, let time pass, tick the timers, write, hand the piece in,
 * write; then the end chosen above, and (unless interrupted) time runs on from
 * deadline to deadline - no more input - until the script is done; script_finish.
 *
 * Checked, beyond "no crash, leak, UB or hang":
 *   - the script ends by itself: once the target is silent, every step to the next
 *     deadline or due write moves time forward, and the script is done within
 *     timeout_scale x (open handshake + the case's waits + 2 x its kill/close timer +
 *     closing handshake + drop) of the last input - a state with nothing scheduled
 *     would hang a real run;
 *   - every deadline is finite and, after a tick at now, later than now (a deadline a
 *     tick does not consume is a busy loop); a write the send queue says is due later
 *     (wake) is later;
 *   - memory the script holds: the core's buffers (ws_conn_memory) within the
 *     handshake bound plus the output bound the script configures, plus the zlib state
 *     once permessage-deflate is agreed (fuzz_pmd.h); the send queue's
 *     units (see sendq_check) within a bound derived from the case's steps, each
 *     holding at most one frame header; the result within result.h's bounds;
 *   - the result: n_events <= RESULT_EVENTS_MAX, kept payload heads <=
 *     RESULT_KEEP_BYTES and <= the event's length, the wire log's rows kept + dropped =
 *     added, rows and events in time order (time never goes backwards), the response
 *     kept within the header block bound plus the body kept, close reasons within a
 *     Close frame, verdicts that are one of Autobahn's names, a difference between
 *     Autobahn's verdict and the RFC's always explained by a rule, texts NUL-terminated;
 *   - bytes counted: tx_octets = what the target took, rx_octets = what it sent
 *     before TCP closed; the core's opening request (every case but section 14's own
 *     requests) is a valid RFC 6455 request.
 */
#include "fuzz_input.h"
#include "fuzz_pmd.h"

#include "script.h"

#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

FUZZ_NOCOV_BEGIN

/* ------------------------------------------------------------ the catalogue */

static struct case_catalogue catalogue;

static void print_diag(void *ud, const char *msg)
{
    (void)ud;
    fprintf(stderr, "script_fuzzer: %s\n", msg);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* dir/rel into out; false when it does not fit. */
static bool join(char *out, size_t cap, const char *dir, const char *rel)
{
    int k = snprintf(out, cap, "%s/%s", dir, rel);
    return k > 0 && (size_t)k < cap;
}

/* Where the case files are (see the header comment), or NULL. */
static const char *cases_dir(char *buf, size_t cap)
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

/* The cases `wsspec run` runs (not those that test a client: script_case_runs_as_client),
 * by catalogue index: the inputs pick among these, so the corpus keeps its cases when
 * client tests are added. */
static size_t *runs;
static size_t n_runs;

static const struct case_catalogue *load_catalogue(void)
{
    if (catalogue.n_cases)
        return &catalogue;
    char buf[4200];
    const char *dir = cases_dir(buf, sizeof buf);
    if (!dir) {
        fprintf(stderr, "script_fuzzer: no catalogue: set WSSPEC_CASES to the cases/ "
                        "directory, or run from the repository root\n");
        abort();
    }
    size_t errors = case_parse_dir(&catalogue, dir, print_diag, NULL);
    if (errors || catalogue.n_cases == 0) {
        fprintf(stderr, "script_fuzzer: %s: %zu errors, %zu cases\n", dir, errors,
                catalogue.n_cases);
        abort();
    }
    runs = malloc(catalogue.n_cases * sizeof *runs);
    if (!runs)
        abort();
    for (size_t i = 0; i < catalogue.n_cases; i++)
        if (script_case_runs_as_client(&catalogue.cases[i], NULL))
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
static uint64_t message_frames(uint64_t len, uint64_t frag)
{
    return frag == 0 || len <= frag ? 1 : len / frag + 1;
}

/* Send-queue units the case's own steps can queue (each frame, payload or raw step is
 * one unit, as is a case's own opening request; Close steps are the core's output). */
static uint64_t step_units(const struct case_def *def)
{
    uint64_t n = def->request.own ? 1 : 0;
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
static double step_waits(const struct case_def *def)
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
static double end_bound(const struct case_def *def, double scale)
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
    struct case_def probe_def;
    bool probe;
    double now, wake;
    double scale;
    bool short_writes;
    uint64_t budget; /* bytes the target still reads after the request */
    char req[WS_HTTP_DEFAULT_MAX_BLOCK];
    size_t req_len;
    size_t req_block; /* > 0: the request is complete, this long */
    uint64_t taken;   /* bytes the target read */
    uint64_t fed;     /* bytes the script was given before TCP closed */
    uint64_t splits;  /* writes that ended inside a unit of the core's output */
    uint64_t max_units;
    bool deflate; /* the synthesized 101 accepts permessage-deflate */
    uint8_t synth[512];
    size_t synth_len;
};

static uint8_t out_buf[WRITE_CAP];

/* A server's answer to the request's permessage-deflate offers (every element of its
 * Sec-WebSocket-Extensions fields, in order), with the core's own negotiation and a
 * server's default preferences, into out (WS_PMD_FORMAT_MAX). A case's offer is
 * accepted unless none of its elements is a valid offer (18.2.6 has an unknown one
 * first). */
static bool deflate_answer(const struct ws_http_request *req, const struct ws_request_info *info,
                           char *out)
{
    struct ws_ext_offer elems[WS_EXT_MAX_OFFERS];
    size_t n = 0, at;
    for (size_t i = 0; i < info->n_extension; i++) {
        const struct ws_http_header *h = &req->headers[info->extension_idx[i]];
        if (ws_ext_parse(h->value.ptr, h->value.len, elems, WS_EXT_MAX_OFFERS, &n, &at))
            return false;
    }
    struct ws_pmd_params agreed;
    return ws_pmd_server_answer(elems, n, NULL, &agreed, out, WS_PMD_FORMAT_MAX);
}

/* The response the target sends first when the input says so (bit 0 of [2]). */
static void synth_response(struct drive *d, const struct ws_http_request *req, bool parsed)
{
    struct ws_request_info info;
    if (parsed && ws_handshake_check_request(req, &info) == WS_E_OK) {
        struct ws_slice none = {NULL, 0};
        char pmd[WS_PMD_FORMAT_MAX];
        bool accept = d->deflate && d->def->deflate_offer && deflate_answer(req, &info, pmd);
        FUZZ_CHECK(ws_handshake_build_response(info.key, none, accept ? pmd : NULL,
                                               (char *)d->synth, sizeof d->synth,
                                               &d->synth_len) == WS_E_OK);
        return;
    }
    static const char refusal[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    memcpy(d->synth, refusal, sizeof refusal - 1);
    d->synth_len = sizeof refusal - 1;
}

/* The request as the target reads it; how many of the n bytes belong to it. The core's
 * request (the catalogue's cases 1-13 and 15) must be complete, valid, and have nothing
 * behind it. A case's own request (section 14's) may be anything: the target takes it
 * up to the end of its header block, a syntax error, or a full buffer (as a server
 * answering 400 or 431 would), and whatever follows is read as data. */
static size_t request_bytes(struct drive *d, const uint8_t *p, size_t n)
{
    bool own = d->def->request.own;
    size_t before = d->req_len, room = sizeof d->req - d->req_len;
    FUZZ_CHECK(own || n <= room);
    size_t take = n < room ? n : room;
    memcpy(d->req + d->req_len, p, take);
    d->req_len += take;
    struct ws_http_request req;
    size_t used = 0;
    enum ws_error e = ws_http_parse_request(d->req, d->req_len, 0, &req, &used, NULL);
    FUZZ_CHECK(own || e == WS_E_OK || e == WS_E_INCOMPLETE);
    if (e == WS_E_INCOMPLETE && d->req_len < sizeof d->req)
        return take;
    if (e == WS_E_OK) {
        FUZZ_CHECK(own || used == d->req_len);
        FUZZ_CHECK(used > before && used <= d->req_len);
        d->req_len = used;
    }
    d->req_block = d->req_len;
    if (!own) {
        struct ws_request_info info;
        FUZZ_CHECK(ws_handshake_check_request(&req, &info) == WS_E_OK);
    }
    synth_response(d, &req, e == WS_E_OK);
    return d->req_len - before;
}

/* How many of n offered bytes the target takes. */
static size_t target_takes(struct drive *d, const uint8_t *p, size_t n)
{
    if (!d->req_block) {
        size_t k = d->short_writes && n > 1 ? n / 2 : n;
        size_t req = request_bytes(d, p, k);
        if (!d->req_block)
            return k;
        size_t rest = k - req; /* behind the request in the same write: read as data */
        if (rest > d->budget)
            rest = (size_t)d->budget;
        d->budget -= rest;
        return req + rest;
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
static void sendq_check(struct drive *d)
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
static void pump(struct drive *d)
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
static void check_running(struct drive *d, bool ticked)
{
    const struct case_result *r = &d->r;
    FUZZ_CHECK(r->n_events <= RESULT_EVENTS_MAX && r->cap_events <= RESULT_EVENTS_MAX);
    FUZZ_CHECK(r->n_wirelog <= RESULT_WIRELOG_MAX && r->cap_wirelog <= RESULT_WIRELOG_MAX);
    FUZZ_CHECK(r->http_response_len <= RESPONSE_KEPT_MAX);
    struct ws_pmd_params agreed;
    if (d->sc.conn_ready)
        FUZZ_CHECK(ws_conn_memory(&d->sc.conn) <=
                   CONN_MEMORY_MAX + (ws_conn_pmd(&d->sc.conn, &agreed)
                                          ? fuzz_pmd_state_bound(&agreed, WS_ROLE_CLIENT)
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
static double next_event(const struct drive *d)
{
    double dl = script_deadline(&d->sc);
    return d->wake > 0 && (dl == 0 || d->wake < dl) ? d->wake : dl;
}

/* The opening request, before the target answers: one write for the core's request; a
 * case's own may be chopped with gaps (section 14), so time runs from write to write
 * until the target has the request - or the script gives up on it (its opening
 * handshake timer, at a small timeout_scale). */
static void write_request(struct drive *d)
{
    pump(d);
    check_running(d, false);
    for (size_t i = 0; !d->req_block && !script_done(&d->sc); i++) {
        FUZZ_CHECK(d->def->request.own && i <= sizeof d->req);
        double next = next_event(d);
        FUZZ_CHECK(next > d->now);
        d->now = next;
        script_tick(&d->sc, d->now);
        pump(d);
        check_running(d, true);
    }
    if (!d->req_block) /* never completed: the target answers nothing of its own */
        d->req_block = d->req_len ? d->req_len : 1;
}

/* No more input: from deadline to deadline until the script is done (the probe, as
 * tester.c runs it: until OPEN and the goodbye written). */
static void run_to_end(struct drive *d)
{
    double limit = d->now + end_bound(d->def, d->scale);
    /* each pass writes at least a byte, or reaches a deadline that fires */
    uint64_t passes = d->taken + d->budget + 64 + 4 * (uint64_t)d->def->n_steps;
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

static bool nul_in(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static bool verdict_name_ok(const char *s, const char *const *names, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return true;
    return false;
}

static void check_verdicts(const struct case_result *r)
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

static void check_events(const struct case_result *r)
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

static void check_wirelog(const struct case_result *r)
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
static void check_final(struct drive *d)
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
static double dt_of(uint8_t v)
{
    if (v < 64)
        return v * 50e-6;
    if (v < 192)
        return (v - 63) * 10e-3;
    return (v - 191) * 0.25;
}

static void setup(struct drive *d, struct fuzz_in *in)
{
    static const double scales[4] = {1.0, 0.01, 0.25, 4.0};
    static const uint64_t budgets[4] = {0, 4096, 65536, 1u << 20};
    const struct case_catalogue *cat = load_catalogue();
    uint16_t pick = (uint16_t)fuzz_uint(in, 2);
    uint8_t f = fuzz_u8(in), g = fuzz_u8(in);
    d->def = &cat->cases[runs[pick % n_runs]];
    d->probe = f & 64u;
    if (d->probe) { /* as tester.c's probe_one builds it */
        snprintf(d->probe_def.id, sizeof d->probe_def.id, "probe");
        d->probe_def.judge = JUDGE_INFORMATIONAL;
        d->def = &d->probe_def;
    }
    d->short_writes = f & 8u;
    d->deflate = g & 128u;
    d->budget = budgets[(f >> 4) & 3u];
    d->scale = scales[g & 3u];
    d->max_units = step_units(d->def);
    d->now = 1000.0;
    struct script_config cfg = {.def = d->def,
                                .r = &d->r,
                                .run_seed = (g >> 3) & 15u,
                                .data = &store,
                                .timeout_scale = d->scale,
                                .request = {.host = "127.0.0.1:9001", .target = "/"},
                                .agent = "fuzz",
                                .wall0 = 1.7e9,
                                .probe = d->probe,
                                .pace = (f & 128u) ? 1e-3 : 0,
                                .pace_floor = (g & 4u) ? 2e-3 : 0};
    FUZZ_CHECK(script_init(&d->sc, &cfg, d->now));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    struct drive *d = calloc(1, sizeof *d);
    if (!d)
        abort();
    setup(d, &in);
    uint8_t f = size > 2 ? data[2] : 0;
    uint8_t times[4];
    for (size_t i = 0; i < 4; i++)
        times[i] = fuzz_u8(&in);
    struct fuzz_chop chop;
    fuzz_chop_init(&chop, &in);

    write_request(d);
    size_t pre = (f & 1u) ? d->synth_len : 0;
    size_t n = pre + in.n;
    uint8_t *stream = fuzz_dup(NULL, n);
    memcpy(stream, d->synth, pre);
    if (in.n)
        memcpy(stream + pre, in.p, in.n);

    for (size_t pos = 0, piece = 0; pos < n && !script_done(&d->sc); piece++) {
        if (d->probe && d->r.handshake_done && script_idle(&d->sc))
            break;
        size_t k = fuzz_chop_next(&chop, n - pos);
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

    unsigned end = (f >> 1) & 3u;
    if (end == 3) {
        script_abandon(&d->sc);
        FUZZ_CHECK(!d->sc.conn_ready && sendq_empty(&d->sc.q));
    } else {
        if (end)
            script_tcp_closed(&d->sc, end == 2 ? "Connection reset by peer" : NULL, d->now);
        run_to_end(d);
        FUZZ_CHECK(script_done(&d->sc) || d->probe);
        script_finish(&d->sc, d->now);
        FUZZ_CHECK(sendq_empty(&d->sc.q));
        check_final(d);
    }
    result_free(&d->r);
    free(d);
    return 0;
}

FUZZ_NOCOV_END

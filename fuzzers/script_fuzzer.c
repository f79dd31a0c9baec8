/*
 * script_fuzzer.c - the tester's script (harness/script.h) facing a hostile target:
 * one case of the real catalogue, driven without a socket, while "the target" sends
 * whatever the input holds, reads as much of wsspec's output as the input says and lets
 * time pass as the input says. Everything a target sends reaches this code, through the
 * core's client role with the tester options (stream_messages, read_on,
 * autobahn_close_codes, close_reply_code), so it must never crash, hang or grow. This
 * target plays a server against wsspec as the client (`wsspec run`); the server role
 * (`wsspec serve`, the target a client) is script_server_fuzzer.c's. The drive and the
 * checks below are shared with it (fuzz_script.h).
 *
 * Input:
 *   [0..1]   the case: big-endian index among the cases `wsspec run` runs, modulo
 *            their number
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
#include "fuzz_script.h"

FUZZ_NOCOV_BEGIN

/* ------------------------------------------------------------ the target's answer */

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
    size_t before = d->hs_len, room = sizeof d->hs - d->hs_len;
    FUZZ_CHECK(own || n <= room);
    size_t take = n < room ? n : room;
    memcpy(d->hs + d->hs_len, p, take);
    d->hs_len += take;
    struct ws_http_request req;
    size_t used = 0;
    enum ws_error e = ws_http_parse_request(d->hs, d->hs_len, 0, &req, &used, NULL);
    FUZZ_CHECK(own || e == WS_E_OK || e == WS_E_INCOMPLETE);
    if (e == WS_E_INCOMPLETE && d->hs_len < sizeof d->hs)
        return take;
    if (e == WS_E_OK) {
        FUZZ_CHECK(own || used == d->hs_len);
        FUZZ_CHECK(used > before && used <= d->hs_len);
        d->hs_len = used;
    }
    d->hs_block = d->hs_len;
    if (!own) {
        struct ws_request_info info;
        FUZZ_CHECK(ws_handshake_check_request(&req, &info) == WS_E_OK);
    }
    synth_response(d, &req, e == WS_E_OK);
    return d->hs_len - before;
}

/* The opening request, before the target answers: one write for the core's request; a
 * case's own may be chopped with gaps (section 14), so time runs from write to write
 * until the target has the request - or the script gives up on it (its opening
 * handshake timer, at a small timeout_scale). */
static void write_request(struct drive *d)
{
    pump(d);
    check_running(d, false);
    for (size_t i = 0; !d->hs_block && !script_done(&d->sc); i++) {
        FUZZ_CHECK(d->def->request.own && i <= sizeof d->hs);
        double next = next_event(d);
        FUZZ_CHECK(next > d->now);
        d->now = next;
        script_tick(&d->sc, d->now);
        pump(d);
        check_running(d, true);
    }
    if (!d->hs_block) /* never completed: the target answers nothing of its own */
        d->hs_block = d->hs_len ? d->hs_len : 1;
}

/* ------------------------------------------------------------ the input */

static void setup(struct drive *d, struct fuzz_in *in)
{
    static const double scales[4] = {1.0, 0.01, 0.25, 4.0};
    static const uint64_t budgets[4] = {0, 4096, 65536, 1u << 20};
    const struct case_catalogue *cat = load_catalogue("script_fuzzer", script_case_runs_as_client);
    uint16_t pick = (uint16_t)fuzz_uint(in, 2);
    uint8_t f = fuzz_u8(in), g = fuzz_u8(in);
    d->def = &cat->cases[runs[pick % n_runs]];
    d->probe = f & 64u;
    if (d->probe) { /* as tester.c's probe_one builds it */
        snprintf(d->probe_def.id, sizeof d->probe_def.id, "probe");
        d->probe_def.judge = JUDGE_INFORMATIONAL;
        d->def = &d->probe_def;
    }
    d->role = SCRIPT_CLIENT;
    d->hs_bytes = request_bytes;
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
    send_stream(d, (f & 1u) ? d->synth_len : 0, &in, times, &chop);
    end_case(d, (f >> 1) & 3u);
    result_free(&d->r);
    free(d);
    return 0;
}

FUZZ_NOCOV_END

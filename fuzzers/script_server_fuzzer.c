/*
 * script_server_fuzzer.c - the tester's script (harness/script.h) in the server role,
 * as `wsspec serve` runs it, facing a hostile client: one case of the real catalogue,
 * driven without a socket, while "the client under test" sends whatever the input
 * holds - its opening request, then frames - reads as much of wsspec's output as the
 * input says and lets time pass as the input says. Everything a client sends reaches
 * this code: the core's server role with the tester options (stream_messages, read_on,
 * autobahn_close_codes, close_reply_code) and the script's server side (script_server.c:
 * the request's record, a `role server` case's own response, the refusal cases that
 * only count what the client sends), so it must never crash, hang or grow. The client
 * role (`wsspec run`, the target a server) is script_fuzzer.c's; the drive and the
 * checks are shared with it (fuzz_script.h).
 *
 * Input:
 *   [0..1]   the case: big-endian index among the cases `wsspec serve` runs
 *            (script_case_serves: section 19's client tests and the shared cases that
 *            mean the same with the roles swapped), modulo their number
 *   [2]      bit 0     a valid opening request is sent first (host 127.0.0.1:9001, a
 *                      runCase target, RFC 6455's example key; the offers below); the
 *                      input's bytes follow it
 *            bits 1-2  after the data: 0 the client goes quiet (the script's timers end
 *                      the case), 1 it closes TCP, 2 TCP breaks (with a note), 3 the run
 *                      is interrupted (script_abandon: no verdict)
 *            bit 3     short writes: the client takes half of what is offered
 *            bits 4-5  what the client reads after the response's header block: 0,
 *                      4 KiB, 64 KiB, 1 MiB (then it stops reading: wsspec's writes block)
 *            bit 6     subprotocols: wsspec accepts "wsspec.b" and "chat"
 *                      (script_config.protocols, as serve's --protocol), and the
 *                      synthesized request offers "wsspec.a, wsspec.b"
 *            bit 7     a fixed pace (script_config.pace) instead of SCRIPT_PACE_MAX
 *   [3]      bits 0-1  timeout_scale 1, 0.01, 0.25 or 4
 *            bit 2     the synthesized request offers permessage-deflate
 *                      ("permessage-deflate; client_max_window_bits", which allows every
 *                      answer): a case with deflate-offer accepts it with its own
 *                      preferences (script_server_pmd_prefs, as serve sets them up), so
 *                      the roundtrips compress and the client's echoes may be compressed;
 *                      every other case declines it
 *            bits 3-6  the run seed (the case's generator: masks where a step sets one)
 *            bit 7     free (no meaning yet; a new knob takes it)
 *   [4..7]   the time schedule: how long passes before each piece (cycled, see dt_of)
 *   [8..11]  the chop schedule (fuzz_input.h)
 *   [12..]   the bytes the client sends: with bit 0 what follows its request, else the
 *            request itself too. A client's frames must be masked (RFC 6455 5.1): the
 *            bytes are sent as they are, so a seed masks its frames itself (a zero
 *            masking key leaves the payload readable)
 *
 * The catalogue is read as script_fuzzer reads it (fuzz_script.h, load_catalogue), and
 * an input means the same case as long as the order of the cases serve runs does not
 * change; it never stops being a valid input.
 *
 * The drive, as session.c does it on a socket accepted by serve (session_adopt): nothing
 * is written before the client's request; for each piece of the data, let time pass,
 * tick the timers, write, hand the piece in, write; then the end chosen above, and
 * (unless interrupted) time runs on from deadline to deadline - no more input - until
 * the script is done; script_finish. The client reads wsspec's response up to the end
 * of its header block whatever its budget (a syntax error or 8 KiB end it too), and
 * whatever follows in the same write as data.
 *
 * Checked, beyond "no crash, leak, UB or hang": everything script_fuzzer checks (the
 * script ends by itself within the case's timeouts once the client is silent; deadlines
 * finite and consumed by a tick, time only forward; the core's memory - with the zlib
 * state of the server role once permessage-deflate is agreed - and the send queue's
 * units within the case's bound, a `role server` case's own response being one unit; the
 * result within result.h's bounds, in time order; verdict names; bytes counted), and:
 *   - the response the client read is the one the record holds (r->http_response: the
 *     core's 101 or refusal, or the case's own response), byte for byte;
 *   - the core's response is a 101 exactly when the opening handshake succeeded;
 *   - to the synthesized request the core answers a 101 a client accepts
 *     (ws_handshake_check_response with the key and offers sent), which selects
 *     "wsspec.b" when subprotocols are on, and accepts permessage-deflate only for a
 *     case with deflate-offer, with an answer the offer allows (ws_pmd_client_check);
 *   - the record is the server's: is_server, what an `expect refusal` case counted
 *     within what the client sent and its first bytes within their buffer.
 */
#include "fuzz_script.h"

FUZZ_NOCOV_BEGIN

/* ------------------------------------------------------------ the client's request */

#define SYNTH_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define SYNTH_PMD "permessage-deflate; client_max_window_bits"

static const char *const offered_protocols[] = {"wsspec.a", "wsspec.b"};
static const char *const served_protocols[] = {"wsspec.b", "chat"};

/* The valid opening request the client sends first when the input says so (bit 0). */
static void synth_request(struct drive *d)
{
    struct ws_request_params p = {.host = "127.0.0.1:9001",
                                  .target = "/runCase?case=1&agent=fuzz",
                                  .key = SYNTH_KEY,
                                  .protocols = d->protocols ? offered_protocols : NULL,
                                  .n_protocols = d->protocols ? 2 : 0,
                                  .extensions = d->deflate ? SYNTH_PMD : NULL};
    FUZZ_CHECK(ws_handshake_build_request(&p, (char *)d->synth, sizeof d->synth, &d->synth_len) ==
               WS_E_OK);
}

/* ------------------------------------------------------------ wsspec's response */

/* The permessage-deflate answer of a 101 to the synthesized request: allowed by its
 * offer, and there only for a case that wants the extension. */
static void check_pmd_answer(struct drive *d, const struct ws_http_response *resp,
                             const struct ws_response_info *info)
{
    struct ws_ext_offer elems[WS_EXT_MAX_OFFERS], offer[1];
    size_t n = 0, n_offer = 0, at = 0;
    for (size_t i = 0; i < info->n_extension; i++) {
        const struct ws_http_header *h = &resp->headers[info->extension_idx[i]];
        FUZZ_CHECK(ws_ext_parse(h->value.ptr, h->value.len, elems, WS_EXT_MAX_OFFERS, &n, &at) ==
                   WS_E_OK);
    }
    FUZZ_CHECK(n == 0 || (d->deflate && d->def->deflate_offer));
    if (n == 0)
        return;
    struct ws_pmd_params offered, agreed;
    bool accepted = false;
    FUZZ_CHECK(ws_ext_parse(SYNTH_PMD, strlen(SYNTH_PMD), offer, 1, &n_offer, &at) == WS_E_OK);
    FUZZ_CHECK(ws_pmd_parse(&offer[0], WS_PMD_OFFER, &offered, NULL) == WS_E_OK);
    FUZZ_CHECK(ws_pmd_client_check(elems, n, &offered, 1, &accepted, &agreed, NULL) == WS_E_OK);
    FUZZ_CHECK(accepted && ws_conn_pmd(&d->sc.conn, NULL));
}

/* The response's header block is complete (e: how it parsed). */
static void check_response(struct drive *d, const struct ws_http_response *resp, enum ws_error e)
{
    const struct case_result *r = &d->r;
    FUZZ_CHECK(r->http_response != NULL);
    size_t same = d->hs_len < r->http_response_len ? d->hs_len : r->http_response_len;
    FUZZ_CHECK(memcmp(d->hs, r->http_response, same) == 0);
    if (e != WS_E_OK)
        return;
    FUZZ_CHECK(d->hs_len <= r->http_response_len);
    if (d->def->role == CASE_ROLE_SERVER)
        return; /* the case's own response: anything the case says */
    FUZZ_CHECK((resp->status == 101) == r->handshake_done);
    if (!d->synth_len)
        return;
    const char *key = SYNTH_KEY;
    static const char *const pmd_name[] = {"permessage-deflate"};
    struct ws_offer offer = {.key = key,
                             .protocols = d->protocols ? offered_protocols : NULL,
                             .n_protocols = d->protocols ? 2 : 0,
                             .extensions = d->deflate ? pmd_name : NULL,
                             .n_extensions = d->deflate ? 1 : 0};
    struct ws_response_info info;
    FUZZ_CHECK(ws_handshake_check_response(resp, &offer, &info) == WS_E_OK);
    FUZZ_CHECK(d->protocols ? info.protocol.len == 8 && !memcmp(info.protocol.ptr, "wsspec.b", 8)
                            : info.protocol.len == 0);
    check_pmd_answer(d, resp, &info);
}

/* The response as the client reads it; how many of the n bytes belong to its header
 * block: up to the end of the block, a syntax error, or a full buffer (as a client's
 * reader would stop), and whatever follows is read as data. */
static size_t response_bytes(struct drive *d, const uint8_t *p, size_t n)
{
    size_t before = d->hs_len, room = sizeof d->hs - d->hs_len;
    size_t take = n < room ? n : room;
    memcpy(d->hs + d->hs_len, p, take);
    d->hs_len += take;
    struct ws_http_response resp;
    size_t used = 0;
    enum ws_error e = ws_http_parse_response(d->hs, d->hs_len, 0, &resp, &used, NULL);
    if (e == WS_E_INCOMPLETE && d->hs_len < sizeof d->hs)
        return take;
    if (e == WS_E_OK) {
        FUZZ_CHECK(used > before && used <= d->hs_len);
        d->hs_len = used;
    }
    d->hs_block = d->hs_len;
    check_response(d, &resp, e);
    return d->hs_len - before;
}

/* ------------------------------------------------------------ the record */

static void check_server_record(const struct drive *d)
{
    const struct case_result *r = &d->r;
    FUZZ_CHECK(r->is_server);
    FUZZ_CHECK(r->refusal_head_len <= sizeof r->refusal_head);
    FUZZ_CHECK(r->refusal_head_len <= r->refusal_rx && r->refusal_rx <= r->rx_octets);
    FUZZ_CHECK(nul_in(r->offer_key, sizeof r->offer_key) &&
               nul_in(r->offer_protocols, sizeof r->offer_protocols) &&
               nul_in(r->offer_extensions, sizeof r->offer_extensions));
}

/* ------------------------------------------------------------ the input */

static void setup(struct drive *d, struct fuzz_in *in)
{
    static const double scales[4] = {1.0, 0.01, 0.25, 4.0};
    static const uint64_t budgets[4] = {0, 4096, 65536, 1u << 20};
    const struct case_catalogue *cat = load_catalogue("script_server_fuzzer", script_case_serves);
    uint16_t pick = (uint16_t)fuzz_uint(in, 2);
    uint8_t f = fuzz_u8(in), g = fuzz_u8(in);
    d->def = &cat->cases[runs[pick % n_runs]];
    d->role = SCRIPT_SERVER;
    d->hs_bytes = response_bytes;
    d->short_writes = f & 8u;
    d->protocols = f & 64u;
    d->deflate = g & 4u;
    d->budget = budgets[(f >> 4) & 3u];
    d->scale = scales[g & 3u];
    d->max_units = step_units(d->def);
    d->now = 1000.0;
    struct script_config cfg = {.def = d->def,
                                .r = &d->r,
                                .role = SCRIPT_SERVER,
                                .run_seed = (g >> 3) & 15u,
                                .data = &store,
                                .timeout_scale = d->scale,
                                .agent = "fuzz",
                                .wall0 = 1.7e9,
                                .pace = (f & 128u) ? 1e-3 : 0,
                                .protocols = d->protocols ? served_protocols : NULL,
                                .n_protocols = d->protocols ? 2 : 0};
    FUZZ_CHECK(script_server_pmd_prefs(d->def, &cfg.pmd));
    FUZZ_CHECK(script_init(&d->sc, &cfg, d->now));
    if (f & 1u)
        synth_request(d);
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

    send_stream(d, d->synth_len, &in, times, &chop);
    if (end_case(d, (f >> 1) & 3u))
        check_server_record(d);
    result_free(&d->r);
    free(d);
    return 0;
}

FUZZ_NOCOV_END

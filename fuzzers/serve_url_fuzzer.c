/*
 * serve_url_fuzzer.c - the fuzzingserver URL protocol (harness/serve_url.h): a
 * request-target from a hostile client read into a command, its case resolved against
 * a selection, and the answers rendered.
 *
 * Input: one control byte, then the request-target.
 *   bits 0-1  the selection of the small catalogue below: all, "1.*", "1.*" minus
 *             "1.1.2", none
 *   bits 2-4  the behavior rendered for getCaseStatus (modulo 5)
 *   bits 5-7  the size of the buffer answers are rendered into (0, 1, 2, 7, 16, 40, 64,
 *             4096 bytes): an answer cut short must still be a NUL-terminated prefix
 *
 * Checked, beyond no crash, leak or UB (the target is in a buffer of exactly its size,
 * so any read past it is reported): the return is the request's error, a row of
 * serve_url.def; the message is empty exactly on success, else one line of printable
 * ASCII; error_at within the target. On success: the command's path is the target's
 * path; a command that needs an agent has one of 1..SERVE_URL_MAX_AGENT bytes, valid
 * UTF-8, without C0, DEL or C1 controls, equal to what an independent decoder of the
 * query (below) finds for the first "agent" key; others have none; a case number in
 * 1..999999999, a case id of dotted decimal. Resolution: a number past the selection
 * is CASE_RANGE; a resolved case is idx[pos] with number pos + 1, and its id read back
 * through "/getCaseInfo?casetuple=ID" resolves to the same position. Rendering: every
 * answer (count, info, status, the agent and the raw target as JSON strings) loads
 * with jansson when complete, the agent round-trips exactly, and a cut answer is a
 * prefix of the complete one with the same length returned.
 */
#include "fuzz_input.h"

#include <jansson.h>

#include "serve_url.h"
#include "ws_utf8.h"

FUZZ_NOCOV_BEGIN

/* Ids whose numeric and string orders differ, a title with markup and JSON's
 * specials. */
static const char catalogue_text[] = "section 1 One\n"
                                     "template t title\n"
                                     "  title {title}\n"
                                     "  expectation Nothing.\n"
                                     "  rfc 5.2 MUST \"x\"\n"
                                     "  kill-after 1\n"
                                     "  send frame ping \"\"\n"
                                     "  expect OK pong \"\"\n"
                                     "  close-rule tester 1000 clean\n"
                                     "end\n"
                                     "table t\n"
                                     "  10.1   \"ten \\\"one\\\" \\\\ <b>x</b>\"\n"
                                     "  1.10   \"one ten\"\n"
                                     "  1.9    \"  one   nine  \"\n"
                                     "  9.1    \"nine one\"\n"
                                     "  1.1.2  \"one one two<br>hidden\"\n"
                                     "  1.1.1  \"one one one \xc3\xa4\"\n"
                                     "end\n";

static struct case_catalogue cat;
static size_t sel_idx[4][8], sel_n[4];

static void load_catalogue(void)
{
    static bool loaded;
    if (loaded)
        return;
    if (case_parse_buffer(&cat, "fuzz.wsc", catalogue_text, sizeof catalogue_text - 1, NULL,
                          NULL) != 0 ||
        cat.n_cases != 6)
        fuzz_fail(__FILE__, __LINE__, "the target's own catalogue does not parse");
    static const char *const inc[4] = {NULL, "1.*", "1.*", "99.*"};
    static const char *const exc[4] = {NULL, NULL, "1.1.2", NULL};
    for (int s = 0; s < 4; s++)
        sel_n[s] = case_select(&cat, inc[s], exc[s], sel_idx[s]);
    loaded = true;
}

/* ------------------------------------------------------------ an independent decoder */

static int hexv(uint8_t c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Form-decode s[0..n) into out (cap bytes); false on a bad escape. */
static bool ref_decode(const uint8_t *s, size_t n, uint8_t *out, size_t cap, size_t *len)
{
    *len = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= n)
                return false;
            int h = hexv(s[i + 1]), l = hexv(s[i + 2]);
            if (h < 0 || l < 0)
                return false;
            c = (uint8_t)(h * 16 + l);
            i += 2;
        }
        if (*len < cap)
            out[*len] = c;
        (*len)++;
    }
    return true;
}

/* The value of the first parameter whose decoded key is "agent" in the query of
 * t[0..n) (after the first '?'); false when there is none. */
static bool ref_agent(const uint8_t *t, size_t n, uint8_t *out, size_t cap, size_t *len)
{
    const uint8_t *q = memchr(t, '?', n);
    if (!q)
        return false;
    size_t i = (size_t)(q - t) + 1;
    while (i < n) {
        size_t e = i;
        while (e < n && t[e] != '&')
            e++;
        size_t eq = i;
        while (eq < e && t[eq] != '=')
            eq++;
        uint8_t key[16];
        size_t kn;
        if (ref_decode(t + i, eq - i, key, sizeof key, &kn) && kn == 5 &&
            memcmp(key, "agent", 5) == 0)
            return ref_decode(t + eq + (eq < e), e - eq - (eq < e), out, cap, len);
        i = e + 1;
    }
    return false;
}

/* ------------------------------------------------------------ checks */

static void check_message(const struct serve_url_request *r)
{
    size_t n = strnlen(r->message, sizeof r->message);
    FUZZ_CHECK(n < sizeof r->message);
    FUZZ_CHECK((r->error == SERVE_E_OK) == (n == 0));
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(r->message[i] >= 0x20 && r->message[i] < 0x7F);
}

static void check_agent(const struct serve_url_request *r, const uint8_t *t, size_t n)
{
    size_t an = strnlen(r->agent, sizeof r->agent);
    FUZZ_CHECK(an < sizeof r->agent);
    bool needs = r->cmd == SERVE_CMD_RUN_CASE || r->cmd == SERVE_CMD_GET_CASE_STATUS ||
                 r->cmd == SERVE_CMD_UPDATE_REPORTS;
    if (!needs) {
        FUZZ_CHECK(an == 0);
        return;
    }
    FUZZ_CHECK(an >= 1 && an <= SERVE_URL_MAX_AGENT);
    FUZZ_CHECK(ws_utf8_valid((const uint8_t *)r->agent, an));
    for (size_t i = 0; i < an; i++) {
        uint8_t c = (uint8_t)r->agent[i];
        FUZZ_CHECK(c >= 0x20 && c != 0x7F);
        FUZZ_CHECK(!(c == 0xC2 && i + 1 < an && (uint8_t)r->agent[i + 1] <= 0x9F));
    }
    uint8_t want[SERVE_URL_MAX_AGENT + 1];
    size_t wn = 0;
    FUZZ_CHECK(ref_agent(t, n, want, sizeof want, &wn));
    FUZZ_CHECK(wn == an && memcmp(want, r->agent, an) == 0);
}

static void check_accepted(const struct serve_url_request *r, const uint8_t *t, size_t n)
{
    FUZZ_CHECK(r->cmd >= SERVE_CMD_GET_CASE_COUNT && r->cmd <= SERVE_CMD_STOP_SERVER);
    FUZZ_CHECK(n >= 1 && n <= SERVE_URL_MAX_TARGET);
    /* the command's path is the target's (origin-form: at its start) */
    const char *path = serve_cmd_path(r->cmd);
    size_t pn = strlen(path);
    if (t[0] == '/')
        FUZZ_CHECK(n >= pn && memcmp(t, path, pn) == 0 && (n == pn || t[pn] == '?'));
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(t[i] > 0x20 && t[i] < 0x7F && t[i] != '#');
    check_agent(r, t, n);
    bool needs_case = r->cmd == SERVE_CMD_RUN_CASE || r->cmd == SERVE_CMD_GET_CASE_INFO ||
                      r->cmd == SERVE_CMD_GET_CASE_STATUS;
    FUZZ_CHECK(needs_case == (r->case_by != SERVE_CASE_NONE));
    if (r->case_by == SERVE_CASE_NUMBER)
        FUZZ_CHECK(r->case_number >= 1 && r->case_number <= 999999999u);
    if (r->case_by == SERVE_CASE_ID) {
        size_t in = strnlen(r->case_id, sizeof r->case_id);
        FUZZ_CHECK(in >= 1 && in < sizeof r->case_id);
        FUZZ_CHECK(r->case_id[0] != '.' && r->case_id[in - 1] != '.');
        for (size_t i = 0; i < in; i++)
            FUZZ_CHECK((r->case_id[i] >= '0' && r->case_id[i] <= '9') ||
                       (r->case_id[i] == '.' && r->case_id[i + 1] != '.'));
    }
    FUZZ_CHECK(r->n_ignored <= SERVE_URL_MAX_PARAMS);
}

/* A rendered answer: complete, it loads with jansson; cut to cap, it is a prefix. */
static json_t *check_rendered(const char *full, size_t len, const char *cut, size_t cut_len,
                              size_t cap)
{
    FUZZ_CHECK(len == strlen(full));
    FUZZ_CHECK(cut_len == len);
    if (cap) {
        size_t k = strnlen(cut, cap);
        FUZZ_CHECK(k < cap && k == (len < cap ? len : cap - 1));
        FUZZ_CHECK(memcmp(cut, full, k) == 0);
    }
    json_error_t je;
    json_t *j = json_loads(full, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    FUZZ_CHECK(j != NULL);
    return j;
}

static void check_resolved(const struct serve_url_request *r, int sel, size_t pos, char *full,
                           char *cut, size_t cap)
{
    size_t n = sel_n[sel];
    FUZZ_CHECK(pos < n && r->case_number == pos + 1);
    const struct case_def *d = &cat.cases[sel_idx[sel][pos]];
    FUZZ_CHECK(strcmp(r->case_id, d->id) == 0);
    /* the id names the same case */
    char t[64];
    int tn = snprintf(t, sizeof t, "/getCaseInfo?casetuple=%s", d->id);
    struct serve_url_request back;
    size_t pos2 = SIZE_MAX;
    FUZZ_CHECK(serve_url_parse(t, (size_t)tn, &back) == SERVE_E_OK);
    FUZZ_CHECK(serve_url_resolve(&back, &cat, sel_idx[sel], n, &pos2) == SERVE_E_OK);
    FUZZ_CHECK(pos2 == pos);
    /* getCaseInfo */
    size_t len = serve_url_info_json(d, full, 4096);
    json_t *j = check_rendered(full, len, cut, serve_url_info_json(d, cut, cap), cap);
    FUZZ_CHECK(strcmp(json_string_value(json_object_get(j, "id")), d->id) == 0);
    const char *desc = json_string_value(json_object_get(j, "description"));
    FUZZ_CHECK(desc && !strchr(desc, '<') && !strstr(desc, "  "));
    json_decref(j);
}

static void check_resolve(struct serve_url_request *r, int sel, char *full, char *cut, size_t cap)
{
    size_t pos = SIZE_MAX;
    enum serve_error e = serve_url_resolve(r, &cat, sel_idx[sel], sel_n[sel], &pos);
    FUZZ_CHECK(e == r->error);
    check_message(r);
    if (e == SERVE_E_OK) {
        check_resolved(r, sel, pos, full, cut, cap);
        return;
    }
    FUZZ_CHECK(pos == SIZE_MAX);
    if (r->case_by == SERVE_CASE_NUMBER)
        FUZZ_CHECK(e == SERVE_E_CASE_RANGE && r->case_number > sel_n[sel]);
    else
        FUZZ_CHECK(e == SERVE_E_CASE_UNKNOWN || e == SERVE_E_CASE_NOT_SELECTED);
}

static void check_strings(const struct serve_url_request *r, const uint8_t *t, size_t n, char *full,
                          char *cut, size_t cap)
{
    size_t an = strlen(r->agent);
    size_t len = serve_url_json_string(r->agent, an, full, 4096);
    json_t *j = check_rendered(full, len, cut, serve_url_json_string(r->agent, an, cut, cap), cap);
    FUZZ_CHECK(json_string_length(j) == an && memcmp(json_string_value(j), r->agent, an) == 0);
    json_decref(j);
    /* the raw target, whatever its bytes (at most 1 KiB: 6 output bytes per input byte) */
    size_t tn = n < 600 ? n : 600;
    len = serve_url_json_string((const char *)t, tn, full, 4096);
    FUZZ_CHECK(len < 4096);
    json_decref(
        check_rendered(full, len, cut, serve_url_json_string((const char *)t, tn, cut, cap), cap));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t caps[8] = {0, 1, 2, 7, 16, 40, 64, 4096};
    load_catalogue();
    struct fuzz_in in = {data, size};
    uint8_t ctl = fuzz_u8(&in);
    int sel = ctl & 3;
    enum behavior b = (enum behavior)((ctl >> 2 & 7) % 5);
    size_t cap = caps[ctl >> 5];
    uint8_t *t = fuzz_dup(in.p, in.n);
    char *full = (char *)fuzz_dup(NULL, 4096), *cut = (char *)fuzz_dup(NULL, cap);

    struct serve_url_request r;
    memset(&r, 0xA5, sizeof r); /* serve_url_parse must not rely on a zeroed struct */
    enum serve_error e = serve_url_parse((const char *)t, in.n, &r);
    FUZZ_CHECK(e == r.error);
    FUZZ_CHECK(strcmp(serve_error_name(e), "UNKNOWN") != 0);
    FUZZ_CHECK(e == SERVE_E_OK || serve_error_http_status(e) >= 400);
    FUZZ_CHECK(r.error_at <= in.n);
    check_message(&r);
    FUZZ_CHECK((e == SERVE_E_DIRECT_MODE) == (r.cmd == SERVE_CMD_OTHER));
    if (e == SERVE_E_OK) {
        check_accepted(&r, t, in.n);
        if (r.case_by != SERVE_CASE_NONE)
            check_resolve(&r, sel, full, cut, cap);
    }
    check_strings(&r, t, in.n, full, cut, cap);

    size_t len = serve_url_status_json(b, full, 4096);
    json_t *j = check_rendered(full, len, cut, serve_url_status_json(b, cut, cap), cap);
    FUZZ_CHECK(strcmp(json_string_value(json_object_get(j, "behavior")), behavior_name(b)) == 0);
    json_decref(j);
    len = serve_url_count_json(sel_n[sel], full, 4096);
    j = check_rendered(full, len, cut, serve_url_count_json(sel_n[sel], cut, cap), cap);
    FUZZ_CHECK(json_is_integer(j) && (size_t)json_integer_value(j) == sel_n[sel]);
    json_decref(j);

    free(t);
    free(full);
    free(cut);
    return 0;
}

FUZZ_NOCOV_END

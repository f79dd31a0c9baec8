/*
 * serve_url.c - reading a fuzzingserver request-target into a command, resolving its
 * case against the selection, rendering the text answers (serve_url.h).
 *
 * One pass splits the target into path and parameters (slices of the target, at most
 * SERVE_URL_MAX_PARAMS) and checks that every parameter decodes; then the command's
 * row of the table below says which parameters it reads, and only those are decoded
 * into the request. Nothing is allocated: decoded text goes into the request's fixed
 * fields or small stack buffers, each write bounded by its field.
 */
#include "serve_url.h"

#include <stdio.h>
#include <string.h>

#include "ws_utf8.h"

/* ------------------------------------------------------------ the error table */

static const struct {
    enum serve_error e;
    const char *name, *text;
    int status;
} errors[] = {
#define SERVE_ERROR(name, value, http_status, text) {SERVE_E_##name, #name, text, http_status},
#include "serve_url.def"
#undef SERVE_ERROR
};

static int error_row(enum serve_error e)
{
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (errors[i].e == e)
            return (int)i;
    return -1;
}

const char *serve_error_name(enum serve_error e)
{
    int i = error_row(e);
    return i < 0 ? "UNKNOWN" : errors[i].name;
}

const char *serve_error_text(enum serve_error e)
{
    int i = error_row(e);
    return i < 0 ? "unknown error" : errors[i].text;
}

int serve_error_http_status(enum serve_error e)
{
    int i = error_row(e);
    return i < 0 ? 500 : errors[i].status;
}

/* ------------------------------------------------------------ the commands */

/* Which parameters a command reads: Autobahn's onConnect requires agent for runCase,
 * updateReports and getCaseStatus, and a case for runCase, getCaseInfo and
 * getCaseStatus. */
static const struct {
    enum serve_cmd cmd;
    const char *path;
    bool needs_case, needs_agent, takes_shutdown;
} commands[] = {
    {SERVE_CMD_GET_CASE_COUNT, "/getCaseCount", false, false, false},
    {SERVE_CMD_RUN_CASE, "/runCase", true, true, false},
    {SERVE_CMD_GET_CASE_INFO, "/getCaseInfo", true, false, false},
    {SERVE_CMD_GET_CASE_STATUS, "/getCaseStatus", true, true, false},
    {SERVE_CMD_UPDATE_REPORTS, "/updateReports", false, true, true},
    {SERVE_CMD_STOP_SERVER, "/stopServer", false, false, false},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

const char *serve_cmd_path(enum serve_cmd c)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (commands[i].cmd == c)
            return commands[i].path;
    return "";
}

/* The parameters wsspec knows, by index; keys compare case-sensitively, as Python's
 * dict of parse_qs does. */
enum { P_CASE = 0, P_CASETUPLE, P_AGENT, P_SHUTDOWN, N_KNOWN };
static const char *const known_keys[N_KNOWN] = {"case", "casetuple", "agent", "shutdownOnComplete"};
/* Longer decoded keys are no known key; 32 bytes hold every known one. */
#define KEY_MAX 32

/* ------------------------------------------------------------ messages */

/* Append s[0..n) to the message as a reader can see it: printable ASCII as is, other
 * bytes as \xNN, cut after 48 bytes with "...". */
static void msg_quote(char *msg, size_t cap, const char *s, size_t n)
{
    size_t used = strlen(msg);
    for (size_t i = 0; i < n && used + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i == 48) {
            snprintf(msg + used, cap - used, "...");
            return;
        }
        if (c >= 0x20 && c < 0x7F)
            msg[used++] = (char)c;
        else
            used += (size_t)snprintf(msg + used, cap - used, "\\x%02x", c);
        msg[used] = '\0';
    }
}

static void msg_add(char *msg, size_t cap, const char *text)
{
    size_t used = strlen(msg);
    if (used + 1 < cap)
        snprintf(msg + used, cap - used, "%s", text);
}

/* Record the first rule broken: quote (when given) the input at fault, then say why. */
static enum serve_error fail(struct serve_url_request *req, enum serve_error e, size_t at,
                             const char *quote, size_t qn, const char *why)
{
    req->error = e;
    req->error_at = at;
    req->message[0] = '\0';
    if (quote) {
        msg_quote(req->message, sizeof req->message, quote, qn);
        msg_add(req->message, sizeof req->message, ": ");
    }
    msg_add(req->message, sizeof req->message, why ? why : serve_error_text(e));
    return e;
}

/* ------------------------------------------------------------ percent-decoding */

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode s[0..n) ('+' a blank, %XX a byte) into out[0..cap) when out is given; returns
 * the decoded length (which may exceed cap: nothing past cap is written), or
 * SIZE_MAX with *bad = the offset in s of the escape or decoded byte at fault and *e
 * the rule. No NUL is appended. */
static size_t pct_decode(const char *s, size_t n, char *out, size_t cap, size_t *bad,
                         enum serve_error *e)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t at = i;
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 1 < n ? hex_value((unsigned char)s[i + 1]) : -1;
            int lo = i + 2 < n ? hex_value((unsigned char)s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                *bad = at;
                *e = SERVE_E_PERCENT;
                return SIZE_MAX;
            }
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        }
        if (c < 0x20 || c == 0x7F) {
            *bad = at;
            *e = c == 0 ? SERVE_E_NUL : SERVE_E_CONTROL;
            return SIZE_MAX;
        }
        if (out && len < cap)
            out[len] = (char)c;
        len++;
    }
    return len;
}

/* ------------------------------------------------------------ splitting the target */

struct param {
    size_t key, key_len; /* offsets into the target, as written */
    size_t val, val_len;
};

struct split {
    size_t path, path_len;
    struct param known[N_KNOWN];
    unsigned seen[N_KNOWN]; /* how often each known key occurs */
    size_t n_params;
};

/* Every byte visible ASCII, no '#'. */
static enum serve_error check_bytes(const char *t, size_t len, struct serve_url_request *req)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t[i];
        char why[128];
        if (c == '#')
            return fail(req, SERVE_E_TARGET_BYTE, i, NULL, 0,
                        "'#' in the request target: RFC 6455 section 3 says fragment "
                        "identifiers \"MUST NOT be used on these URIs\"");
        if (c < 0x21 || c > 0x7E) {
            snprintf(why, sizeof why,
                     "byte 0x%02x at offset %zu: a request target is visible ASCII "
                     "(percent-encode the rest)",
                     c, i);
            return fail(req, SERVE_E_TARGET_BYTE, i, NULL, 0, why);
        }
    }
    return SERVE_E_OK;
}

/* Where the path starts: 0 in origin-form; after "scheme://authority" in absolute-form.
 * RFC 6455 4.2.1 item 1: a "Request-URI" "that should be interpreted as a /resource
 * name/ defined in Section 3 (or an absolute HTTP/HTTPS URI containing the /resource
 * name/)" - the same forms ws_handshake_check_request accepts. */
static bool path_start(const char *t, size_t len, size_t *start)
{
    static const char *const schemes[] = {"ws://", "wss://", "http://", "https://"};
    if (t[0] == '/') {
        *start = 0;
        return true;
    }
    for (size_t k = 0; k < sizeof schemes / sizeof schemes[0]; k++) {
        size_t n = strlen(schemes[k]);
        if (len <= n)
            continue;
        bool same = true;
        for (size_t i = 0; i < n && same; i++)
            same = (t[i] | (t[i] >= 'A' && t[i] <= 'Z' ? 0x20 : 0)) == schemes[k][i];
        if (!same || t[n] == '/' || t[n] == '?') /* the authority must not be empty */
            continue;
        size_t i = n;
        while (i < len && t[i] != '/' && t[i] != '?')
            i++;
        *start = i;
        return true;
    }
    return false;
}

static int known_index(const char *key, size_t n)
{
    for (int k = 0; k < N_KNOWN; k++)
        if (strlen(known_keys[k]) == n && memcmp(known_keys[k], key, n) == 0)
            return k;
    return -1;
}

/* One parameter t[b..e): its key decoded, its value checked; remembered when known. */
static enum serve_error read_param(const char *t, size_t b, size_t e, struct split *sp,
                                   struct serve_url_request *req)
{
    const char *eq = memchr(t + b, '=', e - b);
    size_t key_end = eq ? (size_t)(eq - t) : e;
    char key[KEY_MAX];
    size_t bad = 0;
    enum serve_error err = SERVE_E_OK;
    size_t kn = pct_decode(t + b, key_end - b, key, sizeof key, &bad, &err);
    size_t vn = eq ? pct_decode(eq + 1, e - key_end - 1, NULL, 0, &bad, &err) : 0;
    if (kn == SIZE_MAX || vn == SIZE_MAX) {
        size_t at = (kn == SIZE_MAX ? b : key_end + 1) + bad;
        char why[160];
        snprintf(why, sizeof why, "%s (at offset %zu)", serve_error_text(err), at);
        return fail(req, err, at, t + b, e - b, why);
    }
    int k = kn <= sizeof key ? known_index(key, kn) : -1;
    if (k >= 0 && sp->seen[k]++ == 0)
        sp->known[k] =
            (struct param){b, key_end - b, eq ? key_end + 1 : e, eq ? e - key_end - 1 : 0};
    return SERVE_E_OK;
}

/* The query t[b..len): parameters between '&'s, empty ones skipped. */
static enum serve_error read_query(const char *t, size_t b, size_t len, struct split *sp,
                                   struct serve_url_request *req)
{
    while (b < len) {
        const char *amp = memchr(t + b, '&', len - b);
        size_t e = amp ? (size_t)(amp - t) : len;
        if (e > b) {
            if (++sp->n_params > SERVE_URL_MAX_PARAMS) {
                char why[96];
                snprintf(why, sizeof why, "more than %d query parameters", SERVE_URL_MAX_PARAMS);
                return fail(req, SERVE_E_TOO_MANY_PARAMS, b, NULL, 0, why);
            }
            enum serve_error err = read_param(t, b, e, sp, req);
            if (err != SERVE_E_OK)
                return err;
        }
        b = e + 1;
    }
    return SERVE_E_OK;
}

/* ------------------------------------------------------------ the parameters */

/* The command's use of known parameter k: present once, or an error. */
static enum serve_error once(const struct split *sp, int k, struct serve_url_request *req)
{
    if (sp->seen[k] <= 1)
        return SERVE_E_OK;
    char why[96];
    snprintf(why, sizeof why, "%s given %u times; give it once", known_keys[k], sp->seen[k]);
    return fail(req, SERVE_E_PARAM_REPEATED, sp->known[k].key, NULL, 0, why);
}

/* Decode known parameter k's value into buf (cap bytes, NUL-terminated). Its
 * characters were checked by read_param; returns the decoded length (> cap - 1 when it
 * did not fit). */
static size_t value_of(const char *t, const struct param *p, char *buf, size_t cap)
{
    size_t bad;
    enum serve_error e;
    size_t n = pct_decode(t + p->val, p->val_len, buf, cap - 1, &bad, &e);
    buf[n < cap - 1 ? n : cap - 1] = '\0';
    return n;
}

/* The parameter as written ("case=abc"), for messages. */
static const char *written(const char *t, const struct param *p, size_t *n)
{
    *n = p->val + p->val_len - p->key;
    return t + p->key;
}

/* case=N: decimal digits. A value of more than 15 characters is refused as too large
 * without a look at the rest (leading zeros that long are no driver's). */
static enum serve_error read_case_number(const char *t, const struct param *p,
                                         struct serve_url_request *req)
{
    char v[16];
    size_t n = value_of(t, p, v, sizeof v), wn;
    const char *w = written(t, p, &wn);
    size_t i = 0;
    if (n == 0)
        return fail(req, SERVE_E_CASE_SYNTAX, p->key, w, wn, "empty: give a case number, 1 and up");
    for (i = 0; i < n && i < sizeof v - 1; i++)
        if (v[i] < '0' || v[i] > '9')
            return fail(req, SERVE_E_CASE_SYNTAX, p->key, w, wn,
                        "not a case number (decimal digits, 1 and up)");
    if (n > sizeof v - 1)
        return fail(req, SERVE_E_CASE_SYNTAX, p->key, w, wn, "larger than any catalogue");
    uint64_t num = 0;
    for (i = 0; i < n; i++) {
        num = num * 10 + (uint64_t)(v[i] - '0');
        if (num > 999999999u) /* no catalogue comes near: a case beyond every count */
            return fail(req, SERVE_E_CASE_SYNTAX, p->key, w, wn, "larger than any catalogue");
    }
    if (num == 0)
        return fail(req, SERVE_E_CASE_ZERO, p->key, w, wn,
                    "case numbers start at 1 (the first selected case)");
    req->case_by = SERVE_CASE_NUMBER;
    req->case_number = (uint32_t)num;
    return SERVE_E_OK;
}

/* Dotted decimal: digits, separated by single '.' (or '_'), not at either end. */
static bool id_syntax(char *v, size_t n)
{
    bool digit_before = false;
    for (size_t i = 0; i < n; i++) {
        if (v[i] >= '0' && v[i] <= '9') {
            digit_before = true;
        } else if ((v[i] == '.' || v[i] == '_') && digit_before) {
            v[i] = '.';
            digit_before = false;
        } else {
            return false;
        }
    }
    return digit_before;
}

static enum serve_error read_case_id(const char *t, const struct param *p,
                                     struct serve_url_request *req)
{
    char v[64];
    size_t n = value_of(t, p, v, sizeof v), wn;
    const char *w = written(t, p, &wn);
    if (n > sizeof v - 1)
        return fail(req, SERVE_E_CASETUPLE_SYNTAX, p->key, w, wn, "too long for a case id");
    size_t b = 0;
    while (b < n && v[b] == ' ')
        b++;
    while (n > b && v[n - 1] == ' ')
        n--;
    if (n - b > SERVE_URL_ID_MAX)
        return fail(req, SERVE_E_CASETUPLE_SYNTAX, p->key, w, wn, "too long for a case id");
    if (!id_syntax(v + b, n - b))
        return fail(req, SERVE_E_CASETUPLE_SYNTAX, p->key, w, wn,
                    "not a case id (numbers joined by dots: 1.2.3)");
    memcpy(req->case_id, v + b, n - b);
    req->case_id[n - b] = '\0';
    req->case_by = SERVE_CASE_ID;
    return SERVE_E_OK;
}

static enum serve_error read_case(const char *t, const struct split *sp, size_t cmd_row,
                                  struct serve_url_request *req)
{
    enum serve_error e;
    if ((e = once(sp, P_CASE, req)) != SERVE_E_OK || (e = once(sp, P_CASETUPLE, req)) != SERVE_E_OK)
        return e;
    if (sp->seen[P_CASE] && sp->seen[P_CASETUPLE])
        return fail(req, SERVE_E_CASE_BOTH, sp->known[P_CASETUPLE].key, NULL, 0,
                    "both case and casetuple given: name the case one way");
    if (sp->seen[P_CASE])
        return read_case_number(t, &sp->known[P_CASE], req);
    if (sp->seen[P_CASETUPLE])
        return read_case_id(t, &sp->known[P_CASETUPLE], req);
    char why[128];
    snprintf(why, sizeof why, "%s needs case=N (1-based, in the selection) or casetuple=1.2.3",
             commands[cmd_row].path + 1);
    return fail(req, SERVE_E_CASE_MISSING, sp->path, NULL, 0, why);
}

/* U+0080..U+009F (C1 controls) are "C2 80".."C2 9F" in UTF-8. */
static bool has_c1(const char *s, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if ((unsigned char)s[i] == 0xC2 && (unsigned char)s[i + 1] >= 0x80 &&
            (unsigned char)s[i + 1] <= 0x9F)
            return true;
    return false;
}

static enum serve_error read_agent(const char *t, const struct split *sp, size_t cmd_row,
                                   struct serve_url_request *req)
{
    enum serve_error e = once(sp, P_AGENT, req);
    if (e != SERVE_E_OK)
        return e;
    char why[128];
    if (!sp->seen[P_AGENT]) {
        snprintf(why, sizeof why, "%s needs agent=NAME (the name the reports show)",
                 commands[cmd_row].path + 1);
        return fail(req, SERVE_E_AGENT_MISSING, sp->path, NULL, 0, why);
    }
    const struct param *p = &sp->known[P_AGENT];
    size_t n = value_of(t, p, req->agent, sizeof req->agent), wn;
    const char *w = written(t, p, &wn);
    if (n == 0)
        return fail(req, SERVE_E_AGENT_EMPTY, p->key, w, wn, "an empty agent name");
    if (n > SERVE_URL_MAX_AGENT) {
        req->agent[0] = '\0';
        snprintf(why, sizeof why, "%zu bytes; an agent name has at most %d", n,
                 SERVE_URL_MAX_AGENT);
        return fail(req, SERVE_E_AGENT_TOO_LONG, p->key, w, wn, why);
    }
    enum serve_error bad = !ws_utf8_valid((const uint8_t *)req->agent, n) ? SERVE_E_AGENT_UTF8
                           : has_c1(req->agent, n)                        ? SERVE_E_CONTROL
                                                                          : SERVE_E_OK;
    if (bad != SERVE_E_OK) {
        req->agent[0] = '\0';
        return fail(req, bad, p->key, w, wn,
                    bad == SERVE_E_CONTROL ? "a C1 control character (U+0080..U+009F)" : NULL);
    }
    return SERVE_E_OK;
}

static enum serve_error read_shutdown(const char *t, const struct split *sp,
                                      struct serve_url_request *req)
{
    enum serve_error e = once(sp, P_SHUTDOWN, req);
    if (e != SERVE_E_OK || !sp->seen[P_SHUTDOWN])
        return e;
    static const struct {
        const char *word;
        bool value;
    } words[] = {{"true", true}, {"yes", true}, {"false", false}, {"no", false}};
    char v[8];
    const struct param *p = &sp->known[P_SHUTDOWN];
    size_t n = value_of(t, p, v, sizeof v), wn;
    for (size_t i = 0; n < sizeof v && i < sizeof words / sizeof words[0]; i++) {
        if (strlen(words[i].word) != n)
            continue;
        size_t k = 0;
        while (k < n && (v[k] | (v[k] >= 'A' && v[k] <= 'Z' ? 0x20 : 0)) == words[i].word[k])
            k++;
        if (k == n) {
            req->shutdown_on_complete = words[i].value;
            return SERVE_E_OK;
        }
    }
    const char *w = written(t, p, &wn);
    return fail(req, SERVE_E_SHUTDOWN_VALUE, p->key, w, wn,
                "expected true or false (yes and no also do)");
}

/* ------------------------------------------------------------ parse */

static void request_reset(struct serve_url_request *req)
{
    memset(req, 0, sizeof *req);
}

/* The target up to its query: bounds, bytes, form, path -> command. */
static enum serve_error read_path(const char *t, size_t len, struct split *sp,
                                  struct serve_url_request *req, size_t *row)
{
    char why[128];
    if (len == 0)
        return fail(req, SERVE_E_TARGET_FORM, 0, NULL, 0, "an empty request target");
    if (len > SERVE_URL_MAX_TARGET) {
        snprintf(why, sizeof why, "a request target of %zu bytes; wsspec reads at most %d", len,
                 SERVE_URL_MAX_TARGET);
        return fail(req, SERVE_E_TARGET_TOO_LONG, SERVE_URL_MAX_TARGET, NULL, 0, why);
    }
    enum serve_error e = check_bytes(t, len, req);
    if (e != SERVE_E_OK)
        return e;
    size_t start = 0;
    if (!path_start(t, len, &start))
        return fail(req, SERVE_E_TARGET_FORM, 0, t, len,
                    "neither an absolute path (/runCase?...) nor an absolute URI");
    const char *q = memchr(t + start, '?', len - start);
    sp->path = start;
    sp->path_len = (q ? (size_t)(q - t) : len) - start;
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strlen(commands[i].path) == sp->path_len &&
            memcmp(commands[i].path, t + start, sp->path_len) == 0) {
            req->cmd = commands[i].cmd;
            *row = i;
            return SERVE_E_OK;
        }
    }
    req->cmd = SERVE_CMD_OTHER;
    return fail(req, SERVE_E_DIRECT_MODE, start, sp->path_len ? t + start : "/",
                sp->path_len ? sp->path_len : 1,
                "not a command (/getCaseCount, /runCase, /getCaseInfo, /getCaseStatus, "
                "/updateReports, /stopServer); Autobahn's direct command mode is not "
                "supported");
}

enum serve_error serve_url_parse(const char *target, size_t len, struct serve_url_request *req)
{
    request_reset(req);
    struct split sp;
    memset(&sp, 0, sizeof sp);
    size_t row = 0;
    enum serve_error e = read_path(target, len, &sp, req, &row);
    if (e != SERVE_E_OK)
        return e;
    size_t qstart = sp.path + sp.path_len + 1; /* past '?' (or past the end: no query) */
    if ((e = read_query(target, qstart, len, &sp, req)) != SERVE_E_OK)
        return e;
    if (commands[row].needs_case && (e = read_case(target, &sp, row, req)) != SERVE_E_OK)
        return e;
    if (commands[row].needs_agent && (e = read_agent(target, &sp, row, req)) != SERVE_E_OK)
        return e;
    if (commands[row].takes_shutdown && (e = read_shutdown(target, &sp, req)) != SERVE_E_OK)
        return e;
    size_t used = (commands[row].needs_case ? sp.seen[P_CASE] + sp.seen[P_CASETUPLE] : 0) +
                  (commands[row].needs_agent ? sp.seen[P_AGENT] : 0) +
                  (commands[row].takes_shutdown ? sp.seen[P_SHUTDOWN] : 0);
    req->n_ignored = sp.n_params - used;
    return SERVE_E_OK;
}

/* ------------------------------------------------------------ resolve */

enum serve_error serve_url_resolve(struct serve_url_request *req, const struct case_catalogue *cat,
                                   const size_t *idx, size_t n, size_t *pos)
{
    char why[160];
    if (req->case_by == SERVE_CASE_NUMBER) {
        if (req->case_number == 0 || req->case_number > n) {
            snprintf(why, sizeof why, "case=%u: the selection holds %zu case%s (1..%zu)",
                     req->case_number, n, n == 1 ? "" : "s", n);
            return fail(req, SERVE_E_CASE_RANGE, 0, NULL, 0, why);
        }
        *pos = req->case_number - 1;
    } else if (req->case_by == SERVE_CASE_ID) {
        size_t k = 0;
        while (k < n && strcmp(cat->cases[idx[k]].id, req->case_id) != 0)
            k++;
        if (k == n) {
            bool exists = false;
            for (size_t i = 0; i < cat->n_cases && !exists; i++)
                exists = strcmp(cat->cases[i].id, req->case_id) == 0;
            snprintf(why, sizeof why,
                     exists ? "casetuple=%s: the selection leaves this case out"
                            : "casetuple=%s: the catalogue has no such case",
                     req->case_id);
            return fail(req, exists ? SERVE_E_CASE_NOT_SELECTED : SERVE_E_CASE_UNKNOWN, 0, NULL, 0,
                        why);
        }
        *pos = k;
    } else {
        return fail(req, SERVE_E_CASE_MISSING, 0, NULL, 0, NULL);
    }
    const char *id = cat->cases[idx[*pos]].id;
    size_t idn = strnlen(id, SERVE_URL_ID_MAX);
    memcpy(req->case_id, id, idn);
    req->case_id[idn] = '\0';
    req->case_number = (uint32_t)(*pos + 1);
    return SERVE_E_OK;
}

/* ------------------------------------------------------------ rendering */

/* A bounded writer: counts every byte, stores those that fit (one kept for the NUL). */
struct out {
    char *p;
    size_t cap, n;
};

static void put(struct out *o, char c)
{
    if (o->n + 1 < o->cap)
        o->p[o->n] = c;
    o->n++;
}

static void put_str(struct out *o, const char *s)
{
    while (*s)
        put(o, *s++);
}

static size_t finish(struct out *o)
{
    if (o->cap)
        o->p[o->n < o->cap ? o->n : o->cap - 1] = '\0';
    return o->n;
}

static bool is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* One character of s at i, escaped; returns how many bytes it took. */
static size_t put_char(struct out *o, const unsigned char *s, size_t n, size_t i)
{
    static const char short_esc[0x20][3] = {
        ['\b'] = "\\b", ['\t'] = "\\t", ['\n'] = "\\n", ['\f'] = "\\f", ['\r'] = "\\r"};
    unsigned char c = s[i];
    if (c == '"' || c == '\\') {
        put(o, '\\');
        put(o, (char)c);
    } else if (c < 0x20) {
        char u[8];
        snprintf(u, sizeof u, "\\u%04x", c);
        put_str(o, short_esc[c][0] ? short_esc[c] : u);
    } else if (c < 0x80) {
        put(o, (char)c);
    } else {
        size_t len = c >= 0xC2 && c <= 0xDF   ? 2
                     : c >= 0xE0 && c <= 0xEF ? 3
                     : c >= 0xF0 && c <= 0xF4 ? 4
                                              : 0;
        if (len == 0 || len > n - i || !ws_utf8_valid(s + i, len)) {
            put_str(o, "\\ufffd");
            return 1;
        }
        for (size_t k = 0; k < len; k++)
            put(o, (char)s[i + k]);
        return len;
    }
    return 1;
}

/* s[0..n) as a JSON string; with collapse, runs of blanks become one and the ends are
 * trimmed. */
static void put_string(struct out *o, const char *s, size_t n, bool collapse)
{
    const unsigned char *u = (const unsigned char *)s;
    bool pending = false, any = false;
    put(o, '"');
    for (size_t i = 0; i < n;) {
        if (collapse && is_blank(u[i])) {
            pending = any;
            i++;
            continue;
        }
        if (pending)
            put(o, ' ');
        pending = false;
        any = true;
        i += put_char(o, u, n, i);
    }
    put(o, '"');
}

size_t serve_url_json_string(const char *s, size_t n, char *out, size_t cap)
{
    struct out o = {out, cap, 0};
    put_string(&o, s, n, false);
    return finish(&o);
}

size_t serve_url_count_json(size_t n, char *out, size_t cap)
{
    char num[24];
    snprintf(num, sizeof num, "%zu", n);
    struct out o = {out, cap, 0};
    put_str(&o, num);
    return finish(&o);
}

size_t serve_url_info_json(const struct case_def *d, char *out, size_t cap)
{
    const char *title = d->title ? d->title : "";
    const char *lt = strchr(title, '<');
    struct out o = {out, cap, 0};
    put_str(&o, "{\"id\": ");
    put_string(&o, d->id, strnlen(d->id, sizeof d->id), false);
    put_str(&o, ", \"description\": ");
    put_string(&o, title, lt ? (size_t)(lt - title) : strlen(title), true);
    put(&o, '}');
    return finish(&o);
}

size_t serve_url_status_json(enum behavior b, char *out, size_t cap)
{
    struct out o = {out, cap, 0};
    put_str(&o, "{\"behavior\": \"");
    put_str(&o, behavior_name(b));
    put_str(&o, "\"}");
    return finish(&o);
}

/*
 * test_report_json.c - unit tests for report_json.c: a report is written for a few
 * hand-made results into a fresh temporary directory, and every file is read back with
 * jansson (a JSON library we did not write): index.json's shape, key set and key order;
 * a per-case file's keys and values (events, expectations, wire log rows, statistics);
 * wsspec.json's summary counts; and the string encoding with hostile bytes (HTML, NUL,
 * 0xFF, quotes, backslashes, control characters, invalid UTF-8 close reasons), which
 * must parse and round-trip as reports/README.md documents. Writes are atomic: no
 * temporary file may remain.
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report_json.h"
#include "ws_utf8.h"

/* ---------------------------------------------------------------------------------
 * Fixtures: cases and results built by hand.
 */

static struct payload pl_bytes(const void *p, size_t n)
{
    struct payload pl = {0};
    if (!n)
        return pl;
    pl.segs = calloc(1, sizeof *pl.segs);
    assert_non_null(pl.segs);
    pl.segs[0].pat = malloc(n);
    assert_non_null(pl.segs[0].pat);
    memcpy(pl.segs[0].pat, p, n);
    pl.segs[0].pat_len = n;
    pl.segs[0].len = n;
    pl.n_segs = 1;
    pl.len = n;
    return pl;
}

static void list_one(struct event_list *l, struct event e)
{
    l->present = true;
    l->n = 1;
    l->events = calloc(1, sizeof *l->events);
    assert_non_null(l->events);
    l->events[0] = e;
}

static void def_free(struct case_def *d)
{
    struct event_list *lists[2] = {&d->ok, &d->non_strict};
    for (size_t i = 0; i < 2; i++) {
        for (size_t k = 0; k < lists[i]->n; k++)
            payload_free(&lists[i]->events[k].payload);
        free(lists[i]->events);
    }
}

static struct rfc_ref rfc_5_6 = {"5.6", RFC_MUST,
                                 "Data frames (e.g., non-control frames) are "
                                 "identified by opcodes where the most "
                                 "significant bit of the opcode is 0.",
                                 RFC_DEFAULT};

static void def_init(struct case_def *d, const char *id, const char *title)
{
    memset(d, 0, sizeof *d);
    snprintf(d->id, sizeof d->id, "%s", id);
    d->title = (char *)title;
    d->expectation = "Receive echo'ed message. Clean close with normal code.";
    d->rfc = &rfc_5_6;
    d->n_rfc = 1;
    d->kill_after = 1;
    d->close = (struct close_rule){
        .closed_by_me = true, .codes = {1000}, .n_codes = 1, .require_clean = true};
}

static void res_init(struct case_result *r, const struct case_def *d, const char *agent)
{
    memset(r, 0, sizeof *r);
    r->def = d;
    snprintf(r->agent, sizeof r->agent, "%s", agent);
    r->seed = 42;
    r->started = 1682747976.109; /* 2023-04-29T05:59:36.109Z */
    r->duration_ms = 2.4;
    r->connected = r->handshake_done = true;
    r->closed_by_me = r->was_clean = true;
    r->local_close_code = 1000;
    r->remote_close_code = 1000;
}

static uint8_t *dup_bytes(const void *p, size_t n)
{
    uint8_t *q = malloc(n);
    assert_non_null(q);
    memcpy(q, p, n);
    return q;
}

static void add_row(struct case_result *r, enum wirelog_type type, uint64_t len, const void *data,
                    size_t data_len, const char *text)
{
    struct wirelog_row row;
    memset(&row, 0, sizeof row);
    row.type = type;
    row.len = len;
    row.at_ms = (double)r->n_wirelog * 1.25; /* distinct times, exact in binary */
    if (data_len)
        memcpy(row.data, data, data_len);
    row.data_len = (uint8_t)data_len;
    if (text)
        snprintf(row.text, sizeof row.text, "%s", text);
    if (type == WL_RX_FRAME || type == WL_TX_FRAME) {
        row.opcode = 1;
        row.fin = true;
    }
    if (type == WL_TX_FRAME) {
        row.masked = true;
        memcpy(row.mask_key, "\x01\x02\xfe\xff", 4);
        row.chop = 7;
    }
    result_add_wirelog(r, &row);
}

/* The hostile opening-handshake response: HTML, NULs, 0xFF, quotes, backslashes,
 * control characters (not valid UTF-8 because of the 0xFF). */
static const char nasty_response[] = "HTTP/1.1 101 Switching Protocols\r\n"
                                     "X-Html: <script>alert(\"x\")</script>\r\n"
                                     "X-Bytes: \0\0\xff\xfe \"q\" \\ \x01\x1b\x7f\r\n\r\n";
#define NASTY_LEN (sizeof nasty_response - 1)
static const char request_text[] = "GET / HTTP/1.1\r\nHost: h\r\nX-Ctl: \x01\x1f\t\"q\" \\ "
                                   "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\r\n\r\n";
static const uint8_t bad_reason[] = {0xce, 0xba, 0xff, 'x'};

struct fixture {
    struct case_def d111, d21, d911, d1011, d111b;
    struct case_result r[6];
    char dir[64];
};

static void fixture_build(struct fixture *f)
{
    memset(f, 0, sizeof *f);

    /* 1.1.1, agent 1: a clean pass, with a wire log of every row type */
    def_init(&f->d111, "1.1.1", "Send text message with payload 0.");
    list_one(&f->d111.ok, (struct event){.type = EV_MESSAGE, .payload = pl_bytes("Hello", 5)});
    struct case_result *r = &f->r[0];
    res_init(r, &f->d111, "Test Agent/1.0");
    r->http_request = strdup(request_text);
    r->remote_close_reason = dup_bytes("bye", 3);
    r->remote_close_reason_len = 3;
    result_add_event(r, EV_MESSAGE, false, (const uint8_t *)"Hello", 5, NULL, 1);
    add_row(r, WL_RX_OCTETS, 100, "\x81\x05Hello", 7, NULL);
    add_row(r, WL_TX_OCTETS, 11, "\x81\x85\x01\x02\xfe\xff", 6, NULL);
    add_row(r, WL_RX_FRAME, 5, "Hello", 5, NULL);
    add_row(r, WL_TX_FRAME, 5, "Hello", 5, NULL);
    add_row(r, WL_TIMER, 0, NULL, 0, "KL 1");
    add_row(r, WL_TIMER, 0, NULL, 0, "CT 0.5 A");
    add_row(r, WL_TIMER, 0, NULL, 0, "KLE");
    add_row(r, WL_NOTE, 0, NULL, 0, "TCP DROPPED BY PEER");
    r->rx_frames[1] = 1;
    r->rx_frames[8] = 1;
    r->rx_frames[10] = 2;
    r->tx_frames[1] = 1;
    r->rx_octets = 20;
    r->tx_octets = 30;
    judge_case(r);
    assert_int_equal(r->behavior, B_OK);
    assert_int_equal(r->behavior_close, BC_OK);

    /* 2.1, agent 1: a pong that differs (non-UTF-8 payloads render as 0x hex) */
    static const uint8_t ping[] = {0x00, 0xff, 0xfe, 0xfd};
    def_init(&f->d21, "2.1", "Send ping.");
    list_one(&f->d21.ok, (struct event){.type = EV_PONG, .payload = pl_bytes(ping, 4)});
    r = &f->r[1];
    res_init(r, &f->d21, "Test Agent/1.0");
    result_add_event(r, EV_PONG, false, ping, 2, NULL, 1);
    judge_case(r);
    assert_int_equal(r->behavior, B_FAILED);

    /* 9.1.1, agent 1: a size case */
    def_init(&f->d911, "9.1.1",
             "Send text message message with payload of length 64 * 2**10 (64k).");
    f->d911.judge = JUDGE_SIZE;
    f->d911.size_len = 65536;
    f->d911.size_count = 1;
    f->d911.close_after = 10;
    r = &f->r[2];
    res_init(r, &f->d911, "Test Agent/1.0");
    r->size_seen = 1;
    r->duration_ms = 1234.5;
    judge_case(r);
    assert_int_equal(r->behavior, B_OK);

    /* 10.1.1, agent 1: everything a hostile target can put in a report */
    def_init(&f->d1011, "10.1.1", "Send text <b>message</b> & \"quotes\".");
    f->d1011.note = "wsspec differs: see <notes>";
    list_one(&f->d1011.ok, (struct event){.type = EV_MESSAGE, .payload = pl_bytes("x", 1)});
    r = &f->r[3];
    res_init(r, &f->d1011, "Test Agent/1.0");
    r->http_request = strdup(request_text);
    r->http_response = (char *)dup_bytes(nasty_response, NASTY_LEN);
    r->http_response_len = NASTY_LEN;
    r->remote_close_code = 1002;
    r->remote_close_reason = dup_bytes(bad_reason, sizeof bad_reason);
    r->remote_close_reason_len = sizeof bad_reason;
    r->local_close_reason = dup_bytes("Going Away", 10);
    r->local_close_reason_len = 10;
    r->target_error = WS_E_MASK_UNEXPECTED;
    r->target_error_offset = 99;
    r->was_not_clean_reason = "peer dropped the TCP connection without previous WebSocket "
                              "closing handshake";
    uint8_t longtext[81];
    longtext[0] = 'a';
    for (size_t i = 0; i < 40; i++)
        memcpy(longtext + 1 + 2 * i, "\xc3\xa9", 2); /* 'é' straddles byte 64 */
    result_add_event(r, EV_MESSAGE, false, longtext, sizeof longtext, NULL, 1);
    judge_case(r);
    assert_int_equal(r->behavior, B_FAILED);
    assert_int_equal(r->behavior_close, BC_WRONG_CODE);

    /* 2.1 again, agent 1: a re-run of the same case; the last one is reported */
    r = &f->r[4];
    res_init(r, &f->d21, "Test Agent/1.0");
    r->is_server = true; /* wsspec played the server (wsspec serve) */
    result_add_event(r, EV_PONG, false, ping, 4, NULL, 1);
    judge_case(r);
    assert_int_equal(r->behavior, B_OK);

    /* 1.1.1, agent 2: NON-STRICT */
    def_init(&f->d111b, "1.1.1", "Send text message with payload 0.");
    list_one(&f->d111b.ok, (struct event){.type = EV_MESSAGE, .payload = pl_bytes("Hello", 5)});
    f->d111b.non_strict.present = true;
    r = &f->r[5];
    res_init(r, &f->d111b, "Second Agent");
    r->remote_close_code = -1;
    judge_case(r);
    assert_int_equal(r->behavior, B_NON_STRICT);
    assert_int_equal(r->behavior_close, BC_OK);

    snprintf(f->dir, sizeof f->dir, "/tmp/wsspec-report-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
}

static void rm_tree(const char *path)
{
    DIR *dp = opendir(path);
    if (!dp) {
        unlink(path);
        return;
    }
    struct dirent *de;
    while ((de = readdir(dp))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char sub[1024];
        snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
        rm_tree(sub);
    }
    closedir(dp);
    rmdir(path);
}

static void fixture_free(struct fixture *f)
{
    for (size_t i = 0; i < 6; i++)
        result_free(&f->r[i]);
    def_free(&f->d111);
    def_free(&f->d21);
    def_free(&f->d911);
    def_free(&f->d1011);
    def_free(&f->d111b);
    rm_tree(f->dir);
}

static const char *const replay1[] = {
    "--origin", "http://o", "-H", "Authorization: <redacted>", "--timeout-scale", "2.5"};

static const struct report_target targets[] = {
    {.url = "ws://127.0.0.1:9001/", .agent = "Test Agent/1.0", .replay = replay1, .n_replay = 6},
    {.url = "ws://127.0.0.1:9002/", .agent = "Second Agent"},
};

static char *const run_argv[] = {"run", "ws://127.0.0.1:9001/", "--seed", "42", NULL};

/* "10" sorts before "2" as a key; "3" and "1.2" hold no reported case */
static struct case_section sections[] = {
    {"1", "Framing"},     {"1.1", "Text Messages"}, {"1.2", "Binary Messages"},
    {"2", "Pings/Pongs"}, {"3", "Reserved Bits"},   {"10", "Misc"},
};

static struct report_run run_meta(bool strict)
{
    return (struct report_run){.version = "0.1.0",
                               .seed = 18446744073709551615ull,
                               .started = 1682747976.0,
                               .wall_ms = 61234.4,
                               .argc = 4,
                               .argv = run_argv,
                               .strict = strict,
                               .timeout_scale = 2.5,
                               .jobs = 8,
                               .cases = "1.*,2.*",
                               .targets = targets,
                               .n_targets = 2,
                               .sections = sections,
                               .n_sections = sizeof sections / sizeof sections[0]};
}

/* ---------------------------------------------------------------------------------
 * Reading back.
 */

static json_t *load(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    json_error_t e;
    /* JSON_ALLOW_NUL: the hostile response holds NUL bytes, written as \u0000 (valid
     * JSON; jansson only refuses it by default) */
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e);
    if (!j)
        fail_msg("%s: line %d: %s", path, e.line, e.text);
    return j;
}

static char *slurp(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    char *buf = calloc(1, 1 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

/* Every object in the value has its keys in strictly increasing byte order (jansson
 * keeps the file's order when iterating). */
static void assert_sorted_keys(json_t *v)
{
    if (json_is_object(v)) {
        const char *key, *prev = NULL;
        json_t *val;
        json_object_foreach(v, key, val)
        {
            if (prev && strcmp(prev, key) >= 0)
                fail_msg("key '%s' after '%s'", key, prev);
            prev = key;
            assert_sorted_keys(val);
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *val;
        json_array_foreach(v, i, val)
        {
            assert_sorted_keys(val);
        }
    }
}

static void assert_keys(json_t *obj, const char *const *keys, size_t n)
{
    assert_true(json_is_object(obj));
    if (json_object_size(obj) != n) {
        const char *key;
        json_t *val;
        json_object_foreach(obj, key, val)
        {
            print_message("key: %s\n", key);
        }
        fail_msg("%zu keys, expected %zu", json_object_size(obj), n);
    }
    for (size_t i = 0; i < n; i++)
        if (!json_object_get(obj, keys[i]))
            fail_msg("key '%s' missing", keys[i]);
}

static const char *jstr(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v))
        fail_msg("'%s' is not a string", key);
    return json_string_value(v);
}

static json_int_t jint(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v))
        fail_msg("'%s' is not an integer", key);
    return json_integer_value(v);
}

/* The ISO-8859-1 reading of a decoded string: each character U+0000..U+00FF is one
 * byte. Returns the length, or (size_t)-1 on a character above U+00FF. */
static size_t latin1_bytes(json_t *s, uint8_t *out, size_t cap)
{
    const uint8_t *p = (const uint8_t *)json_string_value(s);
    size_t n = json_string_length(s), k = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(k < cap);
        if (p[i] < 0x80)
            out[k++] = p[i];
        else if ((p[i] == 0xc2 || p[i] == 0xc3) && i + 1 < n) {
            out[k++] = (uint8_t)(((p[i] & 0x1f) << 6) | (p[i + 1] & 0x3f));
            i++;
        } else {
            return (size_t)-1;
        }
    }
    return k;
}

static size_t count_files(const char *dir, bool *tmp_seen)
{
    DIR *dp = opendir(dir);
    assert_non_null(dp);
    size_t n = 0;
    struct dirent *de;
    *tmp_seen = false;
    while ((de = readdir(dp))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (de->d_name[0] == '.' || strstr(de->d_name, ".tmp"))
            *tmp_seen = true;
        n++;
    }
    closedir(dp);
    return n;
}

/* The fixture lives from setup to teardown, so a failing test still removes its
 * temporary directory (cmocka runs the teardown after a failure). */
static int setup(void **state)
{
    struct fixture *f = malloc(sizeof *f);
    if (!f)
        return -1;
    fixture_build(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_free(*state);
    free(*state);
    return 0;
}

/* ---------------------------------------------------------------------------------
 * Tests.
 */

static void test_filename(void **state)
{
    (void)state;
    char b[128];
    report_json_case_filename("gws-server/sync/context_take_over", "1.1.1", b, sizeof b);
    assert_string_equal(b, "gws_server_sync_context_take_over_case_1_1_1.json");
    report_json_case_filename("  AutobahnServer  ", "6.4.3", b, sizeof b);
    assert_string_equal(b, "autobahnserver_case_6_4_3.json");
    report_json_case_filename("A  b\xff", "10.1.1", b, sizeof b);
    assert_string_equal(b, "a__b_case_10_1_1.json"); /* runs are not merged; ends trimmed */
    report_json_case_filename("", "2.1", b, sizeof b);
    assert_string_equal(b, "_case_2_1.json");
    size_t need = report_json_case_filename("agent", "1.1.1", b, 8);
    assert_int_equal(need, strlen("agent_case_1_1_1.json"));
    assert_string_equal(b, "agent_c"); /* truncated, still terminated */
}

static void test_index_json(void **state)
{
    struct fixture *f = *state;
    struct report_run run = run_meta(false);
    char err[256];
    char dir[128];
    snprintf(dir, sizeof dir, "%s/reports/servers", f->dir); /* parents are created */
    assert_int_equal(report_json_write(dir, f->r, 6, &run, err, sizeof err), 0);

    bool tmp_seen;
    assert_int_equal(count_files(dir, &tmp_seen), 5 + 2);
    assert_false(tmp_seen);

    char *raw = slurp(dir, "index.json");
    /* Autobahn's layout: sorted keys, indent 3 */
    const char *head = "{\n   \"Second Agent\": {\n      \"1.1.1\": {\n         \"behavior\": "
                       "\"NON-STRICT\",\n";
    assert_memory_equal(raw, head, strlen(head));
    free(raw);

    json_t *idx = load(dir, "index.json");
    assert_sorted_keys(idx);
    assert_int_equal(json_object_size(idx), 2);
    json_t *a1 = json_object_get(idx, "Test Agent/1.0");
    assert_non_null(a1);
    static const char *const ids[] = {"1.1.1", "10.1.1", "2.1", "9.1.1"}; /* string order */
    size_t i = 0;
    const char *key;
    json_t *val;
    json_object_foreach(a1, key, val)
    {
        assert_true(i < 4);
        assert_string_equal(key, ids[i++]);
        static const char *const keys[] = {"behavior", "behaviorClose", "duration",
                                           "remoteCloseCode", "reportfile"};
        assert_keys(val, keys, 5);
        assert_true(json_is_integer(json_object_get(val, "duration")));
    }
    assert_int_equal(i, 4);
    json_t *c = json_object_get(a1, "1.1.1");
    assert_string_equal(jstr(c, "behavior"), "OK");
    assert_string_equal(jstr(c, "behaviorClose"), "OK");
    assert_int_equal(jint(c, "duration"), 2);
    assert_int_equal(jint(c, "remoteCloseCode"), 1000);
    assert_string_equal(jstr(c, "reportfile"), "test_agent_1_0_case_1_1_1.json");
    c = json_object_get(a1, "2.1"); /* the later run of the pair */
    assert_string_equal(jstr(c, "behavior"), "OK");
    c = json_object_get(a1, "9.1.1");
    assert_int_equal(jint(c, "duration"), 1235);
    c = json_object_get(a1, "10.1.1");
    assert_string_equal(jstr(c, "behavior"), "FAILED");
    assert_string_equal(jstr(c, "behaviorClose"), "WRONG CODE");
    c = json_object_get(json_object_get(idx, "Second Agent"), "1.1.1");
    assert_true(json_is_null(json_object_get(c, "remoteCloseCode")));
    assert_string_equal(jstr(c, "reportfile"), "second_agent_case_1_1_1.json");
    json_decref(idx);
}

static const char *const case_keys[] = {
    "agent",
    "behavior",
    "behaviorClose",
    "broken",
    "case",
    "closedByMe",
    "createStats",
    "createWirelog",
    "description",
    "difference",
    "droppedByMe",
    "duration",
    "eventsDropped",
    "expectation",
    "expected",
    "expectedClose",
    "failedByMe",
    "httpRequest",
    "httpResponse",
    "id",
    "isServer",
    "lateMessages",
    "latin1Fields",
    "localCloseCode",
    "localCloseReason",
    "note",
    "observed",
    "paceSeconds",
    "policy",
    "received",
    "remoteCloseCode",
    "remoteCloseReason",
    "reportCompressionRatio",
    "reportTime",
    "result",
    "resultClose",
    "rfc",
    "rfcVerdict",
    "rxFrameStats",
    "rxOctetStats",
    "seed",
    "started",
    "targetError",
    "trafficStats",
    "txFrameStats",
    "txOctetStats",
    "wasClean",
    "wasCloseHandshakeTimeout",
    "wasNotCleanReason",
    "wasOpenHandshakeTimeout",
    "wasServerConnectionDropTimeout",
    "wirelog",
    "wirelogDropped",
    "wirelogMs",
};
#define N_CASE_KEYS (sizeof case_keys / sizeof case_keys[0])

static void test_case_file_values(void **state)
{
    struct fixture *f = *state;
    struct report_run run = run_meta(false);
    char err[256];
    assert_int_equal(report_json_write(f->dir, f->r, 6, &run, err, sizeof err), 0);

    json_t *c = load(f->dir, "test_agent_1_0_case_1_1_1.json");
    assert_sorted_keys(c);
    assert_keys(c, case_keys, N_CASE_KEYS);
    assert_string_equal(jstr(c, "agent"), "Test Agent/1.0");
    assert_string_equal(jstr(c, "behavior"), "OK");
    assert_true(json_is_null(json_object_get(c, "broken")));
    assert_int_equal(jint(c, "case"), 1);
    assert_string_equal(jstr(c, "id"), "1.1.1");
    assert_string_equal(jstr(c, "description"), "Send text message with payload 0.");
    assert_string_equal(jstr(c, "started"), "2023-04-29T05:59:36.109Z");
    assert_string_equal(jstr(c, "seed"), "42");
    assert_string_equal(jstr(c, "result"), "Actual events match at least one expected.");
    assert_string_equal(jstr(c, "resultClose"), "Connection was properly closed");
    assert_string_equal(jstr(c, "remoteCloseReason"), "bye");
    assert_true(json_is_null(json_object_get(c, "localCloseReason")));
    assert_true(json_is_null(json_object_get(c, "note")));
    assert_true(json_is_null(json_object_get(c, "targetError")));
    assert_true(json_is_null(json_object_get(c, "trafficStats")));
    assert_true(json_is_null(json_object_get(c, "wasNotCleanReason")));
    assert_true(json_is_false(json_object_get(c, "isServer")));
    assert_true(json_is_true(json_object_get(c, "closedByMe")));
    assert_true(json_is_false(json_object_get(c, "reportTime")));
    assert_int_equal(json_array_size(json_object_get(c, "latin1Fields")), 0);
    assert_string_equal(jstr(c, "httpResponse"), "?"); /* none recorded, as Autobahn */
    /* valid UTF-8 with control characters round-trips exactly */
    assert_string_equal(jstr(c, "httpRequest"), request_text);

    json_t *exp = json_pack("{s:[[s,s,b]]}", "OK", "message", "Hello", 0);
    assert_true(json_equal(json_object_get(c, "expected"), exp));
    json_decref(exp);
    exp = json_pack("[[s,s,b]]", "message", "Hello", 0);
    assert_true(json_equal(json_object_get(c, "received"), exp));
    json_decref(exp);
    exp = json_pack("{s:[i],s:b,s:b}", "closeCode", 1000, "closedByMe", 1, "requireClean", 1);
    assert_true(json_equal(json_object_get(c, "expectedClose"), exp));
    json_decref(exp);
    exp = json_pack("{s:i,s:i,s:i}", "1", 1, "10", 2, "8", 1);
    assert_true(json_equal(json_object_get(c, "rxFrameStats"), exp));
    json_decref(exp);
    exp = json_pack("{s:i}", "total", 20);
    assert_true(json_equal(json_object_get(c, "rxOctetStats"), exp));
    json_decref(exp);
    json_t *rfc = json_array_get(json_object_get(c, "rfc"), 0);
    assert_string_equal(jstr(rfc, "section"), "5.6");
    assert_string_equal(jstr(rfc, "level"), "MUST");
    assert_string_equal(jstr(rfc, "sentence"), rfc_5_6.sentence);

    /* wire log rows, in Autobahn's shapes */
    json_t *wl = json_object_get(c, "wirelog");
    assert_int_equal(json_array_size(wl), 8);
    json_t *want[8] = {
        json_pack("[s,[i,s]]", "RO", 100, "810548656c6c6f ..."),
        json_pack("[s,[i,s],b]", "TO", 11, "81850102feff ...", 0), /* 6 of 11 bytes */
        json_pack("[s,[i,s],i,b,i,b,n]", "RF", 5, "Hello", 1, 1, 0, 0),
        json_pack("[s,[i,s],i,b,i,s,n,i,b]", "TF", 5, "Hello", 1, 1, 0, "0102feff", 7, 0),
        json_pack("[s,i]", "KL", 1),
        json_pack("[s,f,s]", "CT", 0.5, "A"),
        json_pack("[s]", "KLE"),
        json_pack("[s,s]", "NOTE", "TCP DROPPED BY PEER"),
    };
    for (size_t i = 0; i < 8; i++) {
        json_t *got = json_array_get(wl, i);
        if (!json_equal(got, want[i])) {
            char *g = json_dumps(got, 0), *w = json_dumps(want[i], 0);
            fail_msg("wirelog row %zu: got %s, want %s", i, g, w);
        }
        json_decref(want[i]);
    }
    assert_int_equal(jint(c, "wirelogDropped"), 0);
    /* one time per row, ms since the TCP connection opened */
    exp = json_pack("[f,f,f,f,f,f,f,f]", 0.0, 1.25, 2.5, 3.75, 5.0, 6.25, 7.5, 8.75);
    assert_true(json_equal(json_object_get(c, "wirelogMs"), exp));
    json_decref(exp);
    json_decref(c);

    /* 2.1: the later result (wsspec as the server); non-UTF-8 payloads as 0x hex */
    c = load(f->dir, "test_agent_1_0_case_2_1.json");
    assert_int_equal(jint(c, "case"), 5);
    assert_true(json_is_true(json_object_get(c, "isServer")));
    exp = json_pack("[[s,s]]", "pong", "0x00fffefd");
    assert_true(json_equal(json_object_get(c, "received"), exp));
    json_decref(exp);
    exp = json_pack("{s:[[s,s]]}", "OK", "pong", "0x00fffefd");
    assert_true(json_equal(json_object_get(c, "expected"), exp));
    json_decref(exp);
    json_decref(c);

    /* 9.1.1: a size case has expected {} and reportTime */
    c = load(f->dir, "test_agent_1_0_case_9_1_1.json");
    assert_int_equal(json_object_size(json_object_get(c, "expected")), 0);
    assert_int_equal(json_array_size(json_object_get(c, "received")), 0);
    assert_true(json_is_true(json_object_get(c, "reportTime")));
    assert_string_equal(jstr(c, "result"), "Received text message of length 65536.");
    assert_int_equal(jint(c, "duration"), 1235);
    json_decref(c);

    /* NON-STRICT list present but empty */
    c = load(f->dir, "second_agent_case_1_1_1.json");
    exp = json_pack("{s:[],s:[[s,s,b]]}", "NON-STRICT", "OK", "message", "Hello", 0);
    assert_true(json_equal(json_object_get(c, "expected"), exp));
    json_decref(exp);
    assert_int_equal(jint(c, "case"), 1);
    assert_true(json_is_string(json_object_get(c, "broken")));
    json_decref(c);
}

static void test_escaping_round_trip(void **state)
{
    struct fixture *f = *state;
    struct report_run run = run_meta(false);
    char err[256];
    assert_int_equal(report_json_write(f->dir, f->r, 6, &run, err, sizeof err), 0);

    json_t *c = load(f->dir, "test_agent_1_0_case_10_1_1.json");
    assert_sorted_keys(c);
    assert_keys(c, case_keys, N_CASE_KEYS);
    json_t *l1 = json_pack("[s,s]", "httpResponse", "remoteCloseReason");
    assert_true(json_equal(json_object_get(c, "latin1Fields"), l1));
    json_decref(l1);

    /* not valid UTF-8: ISO-8859-1, every byte back exactly (NULs included) */
    uint8_t back[512];
    size_t n = latin1_bytes(json_object_get(c, "httpResponse"), back, sizeof back);
    assert_int_equal(n, NASTY_LEN);
    assert_memory_equal(back, nasty_response, NASTY_LEN);
    n = latin1_bytes(json_object_get(c, "remoteCloseReason"), back, sizeof back);
    assert_int_equal(n, sizeof bad_reason);
    assert_memory_equal(back, bad_reason, sizeof bad_reason);
    /* valid UTF-8: the text itself */
    assert_string_equal(jstr(c, "httpRequest"), request_text);
    assert_string_equal(jstr(c, "localCloseReason"), "Going Away");
    assert_string_equal(jstr(c, "description"), "Send text <b>message</b> & \"quotes\".");
    assert_string_equal(jstr(c, "note"), "wsspec differs: see <notes>");

    /* the long text payload: cut before byte 64 without splitting a character */
    json_t *ev = json_array_get(json_object_get(c, "received"), 0);
    char want[128];
    size_t k = 0;
    want[k++] = 'a';
    for (size_t i = 0; i < 31; i++) {
        want[k++] = (char)0xc3;
        want[k++] = (char)0xa9;
    }
    memcpy(want + k, " ...", 5);
    assert_string_equal(json_string_value(json_array_get(ev, 1)), want);

    json_t *pe = json_object_get(c, "targetError");
    assert_string_equal(jstr(pe, "rule"), "MASK_UNEXPECTED");
    assert_string_equal(jstr(pe, "section"), "5.1");
    assert_string_equal(jstr(pe, "text"), "server-to-client frame is masked");
    assert_int_equal(jint(pe, "offset"), 99);
    assert_string_equal(jstr(c, "behaviorClose"), "WRONG CODE");
    assert_int_equal(jint(c, "remoteCloseCode"), 1002);
    assert_int_equal(jint(c, "case"), 4);
    assert_non_null(
        strstr(jstr(json_object_get(c, "rfcVerdict"), "broken"), "MASK_UNEXPECTED at byte 99"));
    json_decref(c);

    /* the raw bytes of the file: no raw control or non-UTF-8 byte anywhere */
    char *raw = slurp(f->dir, "test_agent_1_0_case_10_1_1.json");
    assert_true(ws_utf8_valid((const uint8_t *)raw, strlen(raw)));
    for (const char *p = raw; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\n')
            fail_msg("raw control byte 0x%02x in the file", (unsigned)(unsigned char)*p);
    assert_non_null(
        strstr(raw, "\\u0000\\u0000\\u00ff\\u00fe \\\"q\\\" \\\\ \\u0001\\u001b\\u007f"));
    assert_non_null(strstr(raw, "<script>alert(\\\"x\\\")</script>"));
    free(raw);
}

/* An agent name that is not valid UTF-8 (it may come from a Server header). */
static void test_agent_not_utf8(void **state)
{
    struct fixture *f = *state;
    snprintf(f->r[0].agent, sizeof f->r[0].agent, "Agent\xff");
    char err[256];
    assert_int_equal(report_json_write(f->dir, f->r, 1, NULL, err, sizeof err), 0);
    json_t *idx = load(f->dir, "index.json");
    assert_non_null(json_object_get(idx, "Agent\xc3\xbf")); /* U+00FF */
    json_decref(idx);
    json_t *c = load(f->dir, "agent_case_1_1_1.json");
    json_t *l1 = json_pack("[s]", "agent");
    assert_true(json_equal(json_object_get(c, "latin1Fields"), l1));
    json_decref(l1);
    json_decref(c);
    json_t *w = load(f->dir, "wsspec.json");
    assert_string_equal(jstr(json_object_get(w, "tool"), "name"), "wsspec");
    assert_int_equal(jint(json_object_get(w, "summary"), "total"), 1);
    json_decref(w);
}

static void test_wsspec_json(void **state)
{
    struct fixture *f = *state;
    struct report_run run = run_meta(false);
    char err[256];
    assert_int_equal(report_json_write(f->dir, f->r, 6, &run, err, sizeof err), 0);

    json_t *w = load(f->dir, "wsspec.json");
    assert_sorted_keys(w);
    static const char *const top[] = {"cases",    "command", "finished", "options", "schemaVersion",
                                      "sections", "seed",    "started",  "stopped", "summary",
                                      "targets",  "tool",    "wallMs"};
    assert_keys(w, top, sizeof top / sizeof top[0]);
    assert_string_equal(jstr(w, "seed"), "18446744073709551615");
    assert_string_equal(jstr(w, "started"), "2023-04-29T05:59:36.000Z");
    assert_string_equal(jstr(w, "finished"), "2023-04-29T06:00:37.234Z");
    assert_int_equal(jint(w, "wallMs"), 61234);
    assert_int_equal(jint(w, "schemaVersion"), 1);
    json_t *secs = json_pack("{s:s,s:s,s:s,s:s}", "1", "Framing", "1.1", "Text Messages", "10",
                             "Misc", "2", "Pings/Pongs");
    assert_true(json_equal(json_object_get(w, "sections"), secs));
    json_decref(secs);
    json_t *exp = json_pack("[s,s,s,s]", "run", "ws://127.0.0.1:9001/", "--seed", "42");
    assert_true(json_equal(json_object_get(w, "command"), exp));
    json_decref(exp);
    exp = json_pack("{s:s,s:n,s:i,s:b,s:b,s:f,s:s}", "cases", "1.*,2.*", "exclude", "jobs", 8,
                    "liveness", 0, "strict", 0, "timeoutScale", 2.5, "verdict", "both");
    assert_true(json_equal(json_object_get(w, "options"), exp));
    json_decref(exp);
    exp = json_pack("{s:s,s:s}", "name", "wsspec", "version", "0.1.0");
    assert_true(json_equal(json_object_get(w, "tool"), exp));
    json_decref(exp);
    /* the replay options of each target, as run_cmd.c gives them; none for the second */
    exp = json_pack("[{s:s,s:[s,s,s,s,s,s],s:s},{s:s,s:[],s:s}]", "agent", "Test Agent/1.0",
                    "replayOptions", "--origin", "http://o", "-H", "Authorization: <redacted>",
                    "--timeout-scale", "2.5", "url", "ws://127.0.0.1:9001/", "agent",
                    "Second Agent", "replayOptions", "url", "ws://127.0.0.1:9002/");
    assert_true(json_equal(json_object_get(w, "targets"), exp));
    json_decref(exp);
    assert_true(json_is_null(json_object_get(w, "stopped"))); /* the run completed */

    json_t *s = json_object_get(w, "summary");
    assert_int_equal(jint(s, "total"), 6);
    assert_int_equal(jint(s, "passed"), 4); /* 1.1.1, 9.1.1, 2.1 (re-run), NON-STRICT */
    assert_int_equal(jint(s, "failed"), 2);
    exp = json_pack("{s:i,s:i,s:i,s:i,s:i}", "FAILED", 2, "INFORMATIONAL", 0, "NON-STRICT", 1, "OK",
                    3, "UNIMPLEMENTED", 0);
    assert_true(json_equal(json_object_get(s, "byBehavior"), exp));
    json_decref(exp);
    exp = json_pack("{s:i,s:i,s:i,s:i,s:i,s:i}", "FAILED", 0, "FAILED BY CLIENT", 0,
                    "INFORMATIONAL", 0, "OK", 5, "UNCLEAN", 0, "WRONG CODE", 1);
    assert_true(json_equal(json_object_get(s, "byBehaviorClose"), exp));
    json_decref(exp);

    json_t *cases = json_object_get(w, "cases");
    assert_int_equal(json_array_size(cases), 6); /* every result, in run order */
    static const char *const order[] = {"1.1.1", "2.1", "9.1.1", "10.1.1", "2.1", "1.1.1"};
    static const char *const ckeys[] = {"agent",
                                        "behavior",
                                        "behaviorClose",
                                        "broken",
                                        "difference",
                                        "durationMs",
                                        "id",
                                        "observed",
                                        "passed",
                                        "policy",
                                        "remoteCloseCode",
                                        "reportfile",
                                        "result",
                                        "resultClose",
                                        "rfc",
                                        "rfcBehavior",
                                        "rfcBehaviorClose",
                                        "rfcBroken",
                                        "targetError",
                                        "title"};
    for (size_t i = 0; i < 6; i++) {
        json_t *c = json_array_get(cases, i);
        assert_keys(c, ckeys, sizeof ckeys / sizeof ckeys[0]);
        assert_string_equal(jstr(c, "id"), order[i]);
    }
    json_t *c = json_array_get(cases, 3);
    assert_true(json_is_false(json_object_get(c, "passed")));
    assert_string_equal(jstr(json_object_get(c, "targetError"), "rule"), "MASK_UNEXPECTED");
    assert_string_equal(jstr(c, "reportfile"), "test_agent_1_0_case_10_1_1.json");
    assert_string_equal(jstr(c, "title"), "Send text <b>message</b> & \"quotes\".");
    c = json_array_get(cases, 5);
    assert_true(json_is_true(json_object_get(c, "passed")));
    assert_string_equal(jstr(c, "behavior"), "NON-STRICT");
    json_decref(w);

    /* again with --strict into the same directory: NON-STRICT now fails; files are
     * replaced, and no temporary file is left */
    run = run_meta(true);
    assert_int_equal(report_json_write(f->dir, f->r, 6, &run, err, sizeof err), 0);
    w = load(f->dir, "wsspec.json");
    s = json_object_get(w, "summary");
    assert_int_equal(jint(s, "passed"), 3);
    assert_int_equal(jint(s, "failed"), 3);
    assert_true(
        json_is_false(json_object_get(json_array_get(json_object_get(w, "cases"), 5), "passed")));
    json_decref(w);
    bool tmp_seen;
    assert_int_equal(count_files(f->dir, &tmp_seen), 7);
    assert_false(tmp_seen);
}

/* A run that stopped: why, and per target the cases that never ran - the second
 * target's 2.1, and every case of a third target it never reached (agent null). A
 * target whose cases all ran has no entry. */
static void test_stopped(void **state)
{
    struct fixture *f = *state;
    struct report_run run = run_meta(false);
    const struct case_def *second[] = {&f->d21}, *third[] = {&f->d111, &f->d1011};
    const struct report_not_run not_run[] = {
        {.url = "ws://127.0.0.1:9001/", .agent = "Test Agent/1.0"},
        {.url = "ws://127.0.0.1:9002/", .agent = "Second Agent", .cases = second, .n_cases = 1},
        {.url = "ws://127.0.0.1:9003/", .cases = third, .n_cases = 2},
    };
    run.stop_reason = "interrupted";
    run.stop_message = "interrupted by SIGINT";
    run.not_run = not_run;
    run.n_not_run = 3;
    char err[256];
    assert_int_equal(report_json_write(f->dir, f->r, 6, &run, err, sizeof err), 0);
    json_t *w = load(f->dir, "wsspec.json");
    assert_sorted_keys(w);
    json_t *exp =
        json_pack("{s:s, s:[{s:s, s:[{s:s,s:s}], s:s}, {s:n, s:[{s:s,s:s},{s:s,s:s}], s:s}], s:s}",
                  "message", "interrupted by SIGINT", "notRun", "agent", "Second Agent", "cases",
                  "id", "2.1", "title", "Send ping.", "url", "ws://127.0.0.1:9002/", "agent",
                  "cases", "id", "1.1.1", "title", "Send text message with payload 0.", "id",
                  "10.1.1", "title", "Send text <b>message</b> & \"quotes\".", "url",
                  "ws://127.0.0.1:9003/", "reason", "interrupted");
    assert_non_null(exp);
    if (!json_equal(json_object_get(w, "stopped"), exp)) {
        char *got = json_dumps(json_object_get(w, "stopped"), JSON_SORT_KEYS);
        fail_msg("stopped: %s", got);
    }
    json_decref(exp);
    /* the counts are the cases that ran; the ones that never ran are only listed */
    assert_int_equal(jint(json_object_get(w, "summary"), "total"), 6);
    json_decref(w);
}

static void test_errors(void **state)
{
    struct fixture *f = *state;
    char path[256], err[256];

    /* a file where a directory should be */
    snprintf(path, sizeof path, "%s/plain", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
    snprintf(path, sizeof path, "%s/plain/sub", f->dir);
    assert_int_equal(report_json_write(path, f->r, 1, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot create report directory"));
    assert_non_null(strstr(err, "plain"));

    assert_int_equal(report_json_write("", f->r, 1, NULL, err, sizeof err), -1);
    assert_string_equal(err, "report directory name is empty");

    /* an existing file name that cannot be replaced: a directory in its place */
    snprintf(path, sizeof path, "%s/out", f->dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/out/index.json", f->dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/out", f->dir);
    assert_int_equal(report_json_write(path, f->r, 1, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot write"));
    assert_non_null(strstr(err, "index.json"));
    bool tmp_seen;
    count_files(path, &tmp_seen);
    assert_false(tmp_seen); /* the failed rename removed its temporary file */

    /* zero results: still a valid, empty report */
    snprintf(path, sizeof path, "%s/empty", f->dir);
    assert_int_equal(report_json_write(path, NULL, 0, NULL, err, sizeof err), 0);
    json_t *idx = load(path, "index.json");
    assert_int_equal(json_object_size(idx), 0);
    json_decref(idx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filename),
        cmocka_unit_test_setup_teardown(test_index_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case_file_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escaping_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_agent_not_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wsspec_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stopped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

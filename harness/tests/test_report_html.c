/*
 * test_report_html.c - unit tests for report_render.c and report_html.c: reports are
 * rendered from small hand-written JSON directories (the renderer's only input), and
 * the page is checked as bytes: every <script> tag in it is one the renderer wrote
 * (data holding "<script>" or "</script>" cannot open or close one), the embedded JSON
 * parses back to exactly the data, the file is valid UTF-8 even when the input had
 * invalid bytes, the Content-Security-Policy hash matches the inline script (or the
 * page would be dead in a browser), a per-case file name cannot leave the directory,
 * long wire logs are trimmed, and 0 cases and several agents render. Also the format
 * list parser, the errors of report_render, and report_prune: which files of an earlier
 * run a new run into the directory removes, and that it never removes a user's file.
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report_render.h"
#include "ws_utf8.h"

/* ---------------------------------------------------------------------------------
 * Fixture: a fresh directory per test.
 */

struct fixture {
    char dir[64];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/wsspec-test-html.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        print_message("could not remove %s\n", f->dir);
    free(f);
    return 0;
}

static void put_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

static void put_text(const char *dir, const char *name, const char *text)
{
    put_file(dir, name, text, strlen(text));
}

static void put_json(const char *dir, const char *name, json_t *j)
{
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(3));
    assert_non_null(s);
    put_text(dir, name, s);
    free(s);
    json_decref(j);
}

static char *slurp(const char *dir, const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        fail_msg("cannot open %s", path);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    assert_true(n >= 0);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* The content of the <script type="application/json" id="ID"> block, parsed; NULL when
 * the page has no such block. */
static json_t *block(const char *page, const char *id)
{
    char open[96];
    snprintf(open, sizeof open, "<script type=\"application/json\" id=\"%s\">", id);
    const char *p = strstr(page, open);
    if (!p)
        return NULL;
    p += strlen(open);
    const char *end = strstr(p, "</script>");
    assert_non_null(end);
    json_error_t je;
    json_t *j = json_loadb(p, (size_t)(end - p), JSON_ALLOW_NUL, &je);
    if (!j)
        fail_msg("block %s: %s", id, je.text);
    return j;
}

/* A run with the given cases (stolen reference) and agents. */
static json_t *run_json(json_t *cases, json_t *targets)
{
    return json_pack("{s:o,s:[s,s],s:s,s:{s:n,s:n,s:i,s:b,s:f},s:i,s:{s:s,s:s},s:s,s:s,"
                     "s:{s:{},s:{},s:i,s:i,s:i},s:o,s:{s:s,s:s},s:i}",
                     "cases", cases, "command", "wsspec", "run", "finished",
                     "2026-01-01T00:00:01.000Z", "options", "cases", "exclude", "jobs", 4, "strict",
                     0, "timeoutScale", 1.0, "schemaVersion", 1, "sections", "1", "Framing", "6",
                     "UTF-8 <Handling>", "seed", "7", "started", "2026-01-01T00:00:00.000Z",
                     "summary", "byBehavior", "byBehaviorClose", "failed", 0, "passed", 0, "total",
                     0, "targets", targets, "tool", "name", "wsspec", "version", "0.1.0", "wallMs",
                     1000);
}

static json_t *result_json(const char *agent, const char *id, const char *behavior, int passed,
                           const char *file)
{
    return json_pack(
        "{s:s,s:s,s:s,s:s?,s:i,s:s,s:b,s:n,s:i,s:s,s:s,s:s,s:[{s:s,s:s,s:s}],s:s}", "agent", agent,
        "behavior", behavior, "behaviorClose", passed ? "OK" : "FAILED", "broken",
        passed ? NULL : "server did not fail the connection: </script><b>", "durationMs", 3, "id",
        id, "passed", passed, "targetError", "remoteCloseCode", 1000, "reportfile", file, "result",
        "Actual events match at least one expected.", "resultClose",
        "Connection was properly closed", "rfc", "level", "MUST", "section", "8.1", "sentence",
        "that endpoint MUST _Fail the WebSocket Connection_.", "title", "Send <i>text</i>");
}

/* A per-case file: Autobahn's keys the page reads, with hostile strings from the
 * server, and `rows` wire-log rows. */
static json_t *case_json(const char *agent, const char *id, size_t rows)
{
    json_t *log = json_array(), *ms = json_array();
    for (size_t i = 0; i < rows; i++) {
        json_array_append_new(log, json_pack("[s,[i,s]]", "RO", (int)i, "3c2f7363726970743e"));
        json_array_append_new(ms, json_real((double)i * 0.5));
    }
    return json_pack(
        "{s:s,s:s,s:s,s:b,s:s,s:s,s:{s:[[s,s,b]]},s:{s:[i],s:b,s:b},s:s,s:s,s:s,s:[],s:n,"
        "s:[[s,s,b]],s:i,s:s,s:[{s:s,s:s,s:s}],s:o,s:o,s:i,s:b,s:s}",
        "agent", agent, "behavior", "OK", "behaviorClose", "OK", "closedByMe", 1, "description",
        "Send <i>text</i>", "expectation", "Echo </script> back.", "expected", "OK", "message",
        "<script>alert(1)</script>", 0, "expectedClose", "closeCode", 1000, "closedByMe", 1,
        "requireClean", 1, "httpRequest", "GET / HTTP/1.1\r\n\r\n", "httpResponse",
        "HTTP/1.1 101 OK\r\nServer: <script>document.title='pwned'</script>\r\n\r\n", "id", id,
        "latin1Fields", "note", "received", "message", "<!--<script>x</script>", 0,
        "remoteCloseCode", 1000, "remoteCloseReason",
        "</script><img src=x onerror=alert(1)>\xc3\xa9", "rfc", "level", "MUST", "section", "1",
        "sentence", "x", "wirelog", log, "wirelogMs", ms, "wirelogDropped", 0, "wasClean", 1,
        "started", "2026-01-01T00:00:00.000Z");
}

/* Render, load the page, and check what holds for every page. */
static char *render_page(const char *dir, size_t n_details)
{
    char err[512] = "";
    if (report_render(dir, REPORT_HTML, err, sizeof err) != 0)
        fail_msg("report_render: %s", err);
    size_t len;
    char *page = slurp(dir, "index.html", &len);
    assert_int_equal(strlen(page), len); /* no NUL byte in the page */
    assert_true(ws_utf8_valid((const uint8_t *)page, len));
    /* every script tag is the renderer's: the run block, the details, the code */
    assert_int_equal(count(page, "<script"), n_details + 2);
    assert_int_equal(count(page, "</script"), n_details + 2);
    assert_int_equal(count(page, "<script type=\"application/json\""), n_details + 1);
    assert_int_equal(count(page, "<!--"), 0);
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s/.index.html.tmp", dir);
    assert_int_not_equal(access(tmp, F_OK), 0); /* renamed, not left behind */
    return page;
}

/* ---------------------------------------------------------------------------------
 * Tests.
 */

static void test_formats_parse(void **state)
{
    (void)state;
    unsigned f = 0;
    char err[256];
    assert_int_equal(report_formats_parse("json,html,junit,md", &f, err, sizeof err), 0);
    assert_int_equal(f, REPORT_ALL);
    assert_int_equal(report_formats_parse(" html , md", &f, err, sizeof err), 0);
    assert_int_equal(f, REPORT_HTML | REPORT_MD);
    assert_int_equal(report_formats_parse("all", &f, err, sizeof err), 0);
    assert_int_equal(f, REPORT_ALL);
    assert_int_equal(report_formats_parse("junit,junit", &f, err, sizeof err), 0);
    assert_int_equal(f, REPORT_JUNIT);
    f = 99;
    assert_int_equal(report_formats_parse("html,pdf", &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown format 'pdf'"));
    assert_int_equal(f, 99); /* untouched on error */
    assert_int_equal(report_formats_parse("html,", &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "empty format"));
    assert_int_equal(report_formats_parse("", &f, err, sizeof err), -1);
    assert_int_equal(report_formats_parse("HTML", &f, err, sizeof err), -1);
}

static void test_errors(void **state)
{
    struct fixture *f = *state;
    char err[512], path[128];
    snprintf(path, sizeof path, "%s/missing", f->dir);
    assert_int_equal(report_render(path, REPORT_HTML, err, sizeof err), -1);
    assert_non_null(strstr(err, "no such directory"));

    assert_int_equal(report_render(f->dir, REPORT_HTML, err, sizeof err), -1);
    assert_non_null(strstr(err, "is not a wsspec report: it has no wsspec.json"));

    put_text(f->dir, "wsspec.json", "{\"cases\": [");
    assert_int_equal(report_render(f->dir, REPORT_HTML, err, sizeof err), -1);
    assert_non_null(strstr(err, "is not a wsspec report"));

    put_text(f->dir, "wsspec.json", "{\"behavior\": \"OK\"}");
    assert_int_equal(report_render(f->dir, REPORT_HTML, err, sizeof err), -1);
    assert_non_null(strstr(err, "has no schemaVersion and cases"));

    put_text(f->dir, "wsspec.json", "{\"cases\": [], \"schemaVersion\": 2}");
    assert_int_equal(report_render(f->dir, REPORT_HTML, err, sizeof err), -1);
    assert_non_null(strstr(err, "schemaVersion 2 is not supported"));
    snprintf(path, sizeof path, "%s/index.html", f->dir);
    assert_int_not_equal(access(path, F_OK), 0);

    /* JSON only: nothing to render, not even a check */
    assert_int_equal(report_render(path, REPORT_JSON, err, sizeof err), 0);
}

static void test_hostile_strings_stay_data(void **state)
{
    struct fixture *f = *state;
    const char *agent = "<script>document.title='pwned'</script>";
    /* the RFC's verdict and the difference quote what the server sent, too */
    json_t *res = result_json(agent, "1.1.1", "OK", 1, "a_case_1_1_1.json");
    json_object_set_new(res, "rfcBehavior", json_string("FAILED"));
    json_object_set_new(res, "rfcBehaviorClose", json_string("OK"));
    json_object_set_new(res, "rfcBroken", json_string("close reason </script><i>x</i>"));
    json_object_set_new(res, "difference", json_string("RFC 6455 5.5.1 MUST: <img src=x> after"));
    json_t *run = run_json(json_pack("[o]", res),
                           json_pack("[{s:s,s:s}]", "agent", agent, "url", "ws://x/</script>"));
    json_t *orig = json_deep_copy(run);
    put_json(f->dir, "wsspec.json", run);
    json_t *c = case_json(agent, "1.1.1", 3);
    json_object_set_new(c, "rfcVerdict",
                        json_pack("{s:s,s:s,s:s,s:s,s:s}", "behavior", "FAILED", "behaviorClose",
                                  "OK", "broken", "</script><i>x</i>", "result",
                                  "<script>alert(2)</script>", "resultClose", "closed"));
    json_object_set_new(c, "difference", json_string("<img src=x> after Close"));
    json_t *corig = json_deep_copy(c);
    put_json(f->dir, "a_case_1_1_1.json", c);

    char *page = render_page(f->dir, 1);
    /* the data's markup appears only escaped */
    assert_null(strstr(page, "<script>document"));
    assert_null(strstr(page, "<img"));
    assert_null(strstr(page, "<i>"));
    assert_non_null(
        strstr(page, "\\u003cscript\\u003edocument.title='pwned'\\u003c/script\\u003e"));
    /* and reads back as exactly the data */
    json_t *r = block(page, "wsspec-run");
    assert_true(json_equal(r, orig));
    json_t *d = block(page, "wsspec-d0");
    json_object_del(corig, "rfc"); /* the page takes it from wsspec.json */
    assert_true(json_equal(d, corig));
    assert_string_equal(json_string_value(json_object_get(d, "remoteCloseReason")),
                        "</script><img src=x onerror=alert(1)>\xc3\xa9");
    json_decref(r);
    json_decref(d);
    json_decref(orig);
    json_decref(corig);
    free(page);
}

static void test_csp_hash_matches_script(void **state)
{
    struct fixture *f = *state;
    put_json(f->dir, "wsspec.json", run_json(json_array(), json_array()));
    char *page = render_page(f->dir, 0);
    const char *csp = strstr(page, "script-src 'sha256-");
    assert_non_null(csp);
    csp += strlen("script-src 'sha256-");
    const char *code = strstr(page, "<script>");
    assert_non_null(code);
    code += strlen("<script>");
    const char *end = strstr(code, "</script>");
    assert_non_null(end);
    unsigned char md[32], b64[64];
    assert_int_equal(EVP_Digest(code, (size_t)(end - code), md, NULL, EVP_sha256(), NULL), 1);
    EVP_EncodeBlock(b64, md, 32);
    assert_memory_equal(csp, b64, 44);
    assert_int_equal(csp[44], '\'');
    /* nothing may be fetched */
    assert_non_null(strstr(page, "default-src 'none'"));
    assert_null(strstr(page, " src="));
    assert_null(strstr(page, "<link"));
    assert_null(strstr(page, "url("));
    free(page);
}

static void test_invalid_utf8_input(void **state)
{
    struct fixture *f = *state;
    /* a per-case file cut or edited by hand: raw 0xFF, a lone continuation byte, a
     * truncated sequence and an encoded surrogate inside strings. jansson rejects such
     * a file; the renderer repairs it (U+FFFD) rather than losing the case. */
    put_json(f->dir, "wsspec.json",
             run_json(json_pack("[o]", result_json("caf\xc3\xa9", "6.1.1", "FAILED", 0, "x.json")),
                      json_pack("[{s:s,s:s}]", "agent", "caf\xc3\xa9", "url", "ws://x/")));
    static const char bad[] = "{\"agent\": \"caf\xc3\xa9\", \"id\": \"6.1.1\", "
                              "\"remoteCloseReason\": \"a\xff b\x80 c\xe2\x82 d\xed\xa0\x80 e\", "
                              "\"httpResponse\": \"\\u0000<script>\"}";
    put_file(f->dir, "x.json", bad, sizeof bad - 1);
    char *page = render_page(f->dir, 1);
    json_t *d = block(page, "wsspec-d0");
    assert_null(json_object_get(d, "unavailable"));
    assert_string_equal(json_string_value(json_object_get(d, "remoteCloseReason")),
                        "a\xef\xbf\xbd b\xef\xbf\xbd c\xef\xbf\xbd\xef\xbf\xbd d"
                        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd e");
    /* NUL survives as data (\u0000), never as a raw byte in the page */
    json_t *resp = json_object_get(d, "httpResponse");
    assert_int_equal(json_string_length(resp), 9);
    assert_memory_equal(json_string_value(resp), "\0<script>", 9);
    json_decref(d);
    free(page);
}

static void test_zero_cases(void **state)
{
    struct fixture *f = *state;
    put_json(f->dir, "wsspec.json", run_json(json_array(), json_array()));
    char *page = render_page(f->dir, 0);
    json_t *r = block(page, "wsspec-run");
    assert_int_equal(json_array_size(json_object_get(r, "cases")), 0);
    assert_null(block(page, "wsspec-d0"));
    json_decref(r);
    free(page);
}

static void test_several_agents(void **state)
{
    struct fixture *f = *state;
    /* three agents; 1.1.1 of agent A run twice (the second result is the one the
     * per-case file holds); agent C has no 6.1.1 (a Missing cell) */
    json_t *cases = json_pack("[o,o,o,o,o,o]", result_json("A", "1.1.1", "FAILED", 0, "a_1.json"),
                              result_json("A", "6.1.1", "OK", 1, "a_6.json"),
                              result_json("B", "1.1.1", "OK", 1, "b_1.json"),
                              result_json("B", "6.1.1", "UNIMPLEMENTED", 1, "b_6.json"),
                              result_json("C", "1.1.1", "NON-STRICT", 1, "c_1.json"),
                              result_json("A", "1.1.1", "OK", 1, "a_1.json"));
    put_json(
        f->dir, "wsspec.json",
        run_json(cases, json_pack("[{s:s,s:s},{s:s,s:s},{s:s,s:s}]", "agent", "A", "url", "ws://a/",
                                  "agent", "B", "url", "ws://b/", "agent", "C", "url", "ws://c/")));
    put_json(f->dir, "a_1.json", case_json("A", "1.1.1", 1));
    put_json(f->dir, "a_6.json", case_json("A", "6.1.1", 1));
    put_json(f->dir, "b_1.json", case_json("B", "1.1.1", 1));
    /* b_6.json missing: the detail says so */
    put_json(f->dir, "c_1.json", case_json("B", "1.1.1", 1)); /* another agent's file */

    char *page = render_page(f->dir, 5);
    assert_null(block(page, "wsspec-d0")); /* superseded by result 5 */
    json_t *d;
    for (size_t i = 1; i <= 5; i++) {
        char id[32];
        snprintf(id, sizeof id, "wsspec-d%zu", i);
        d = block(page, id);
        assert_non_null(d);
        const char *why = json_string_value(json_object_get(d, "unavailable"));
        if (i == 3)
            assert_true(why && strstr(why, "b_6.json: No such file"));
        else if (i == 4)
            assert_true(why && strstr(why, "another agent"));
        else
            assert_null(why);
        json_decref(d);
    }
    free(page);
}

static void test_report_file_stays_in_dir(void **state)
{
    struct fixture *f = *state;
    char sub[128];
    snprintf(sub, sizeof sub, "%s/r", f->dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    put_json(f->dir, "secret.json", case_json("A", "1.1.1", 1)); /* outside the report */
    put_json(sub, "wsspec.json",
             run_json(json_pack("[o,o]", result_json("A", "1.1.1", "OK", 1, "../secret.json"),
                                result_json("A", "1.1.2", "OK", 1, ".hidden.json")),
                      json_array()));
    char *page = render_page(sub, 2);
    for (size_t i = 0; i < 2; i++) {
        char id[32];
        snprintf(id, sizeof id, "wsspec-d%zu", i);
        json_t *d = block(page, id);
        assert_string_equal(json_string_value(json_object_get(d, "unavailable")),
                            "the result names no per-case file");
        json_decref(d);
    }
    assert_null(strstr(page, "pwned"));
    free(page);
}

static void test_long_wirelog_trimmed(void **state)
{
    struct fixture *f = *state;
    put_json(
        f->dir, "wsspec.json",
        run_json(json_pack("[o]", result_json("A", "9.1.1", "OK", 1, "a.json")), json_array()));
    put_json(f->dir, "a.json", case_json("A", "9.1.1", 600));
    char *page = render_page(f->dir, 1);
    json_t *d = block(page, "wsspec-d0");
    json_t *log = json_object_get(d, "wirelog"), *ms = json_object_get(d, "wirelogMs");
    assert_int_equal(json_array_size(log), 250);
    assert_int_equal(json_array_size(ms), 250);
    /* rows 0..199, then 550..599, each still with its own time */
    assert_int_equal(
        json_integer_value(json_array_get(json_array_get(json_array_get(log, 199), 1), 0)), 199);
    assert_int_equal(
        json_integer_value(json_array_get(json_array_get(json_array_get(log, 200), 1), 0)), 550);
    assert_true(json_real_value(json_array_get(ms, 200)) == 275.0);
    json_t *shown = json_object_get(d, "wirelogShown");
    assert_int_equal(json_integer_value(json_object_get(shown, "head")), 200);
    assert_int_equal(json_integer_value(json_object_get(shown, "omitted")), 350);
    json_decref(d);
    free(page);
}

/* The directory of an earlier run: its wsspec.json names three per-case files (and
 * two names wsspec never writes), every rendered format and baseline.json are there -
 * and so are a user's files. */
static void earlier_run(const char *dir)
{
    json_t *cases = json_array();
    json_array_append_new(cases, result_json("a", "1.1.1", "OK", 1, "a_case_1_1_1.json"));
    json_array_append_new(cases, result_json("b", "1.1.1", "OK", 1, "b_case_1_1_1.json"));
    json_array_append_new(cases, result_json("b", "2.1", "OK", 1, "b_case_2_1.json"));
    json_array_append_new(cases, result_json("b", "2.2", "OK", 1, "notes.txt"));
    json_array_append_new(cases, result_json("b", "2.3", "OK", 1, "../up_case_2_3.json"));
    put_json(dir, "wsspec.json", run_json(cases, json_array()));
    static const char *const files[] = {"a_case_1_1_1.json", "b_case_1_1_1.json", "b_case_2_1.json",
                                        "notes.txt", "my_case_9.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        put_text(dir, files[i], "{}");
    put_text(dir, "index.html",
             "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n" REPORT_HTML_GENERATOR
             "\n<title>wsspec report</title>\n");
    put_text(dir, "junit.xml",
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "
             "name=\"wsspec\" tests=\"3\">\n");
    put_text(dir, "summary.md", "## wsspec: all 3 cases passed (2 targets)\n");
    put_text(dir, "baseline.json",
             "{\"schemaVersion\": 1, \"baseline\": {}, \"run\": {}, "
             "\"counts\": {}}");
}

static bool exists(const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* A new run into that directory: one agent, one case, Markdown only, no baseline. */
static void test_prune(void **state)
{
    struct fixture *f = *state;
    earlier_run(f->dir);
    struct report_prior prior;
    assert_int_equal(report_prior_load(f->dir, &prior), 0);
    assert_int_equal(prior.n, 3); /* the names wsspec writes, no others */
    json_t *cases = json_array();
    json_array_append_new(cases, result_json("a", "1.1.1", "OK", 1, "a_case_1_1_1.json"));
    put_json(f->dir, "wsspec.json", run_json(cases, json_array()));

    char err[512], *out = NULL;
    size_t out_len = 0;
    FILE *o = open_memstream(&out, &out_len);
    assert_non_null(o);
    assert_int_equal(
        report_prune(f->dir, &prior, REPORT_JSON | REPORT_MD, false, o, err, sizeof err), 0);
    fclose(o);
    report_prior_free(&prior);
    char want[1024];
    snprintf(want, sizeof want,
             "report: removed 2 per-case files of an earlier run from %s\n"
             "report: removed %s/index.html (an earlier run's)\n"
             "report: removed %s/junit.xml (an earlier run's)\n"
             "report: removed %s/baseline.json (an earlier run's)\n",
             f->dir, f->dir, f->dir, f->dir);
    assert_string_equal(out, want);
    free(out);
    static const char *const kept[] = {"a_case_1_1_1.json", "notes.txt", "my_case_9.json",
                                       "summary.md", "wsspec.json"};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        if (!exists(f->dir, kept[i]))
            fail_msg("%s was removed", kept[i]);
    static const char *const gone[] = {"b_case_1_1_1.json", "b_case_2_1.json", "index.html",
                                       "junit.xml", "baseline.json"};
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
        if (exists(f->dir, gone[i]))
            fail_msg("%s of the earlier run was kept", gone[i]);
}

/* Files under wsspec's names without wsspec's mark are a user's: kept. A directory
 * without a wsspec report has no per-case files to remove; an older page (its title, no
 * generator meta) and a kept baseline stay recognised. */
static void test_prune_keeps_users_files(void **state)
{
    struct fixture *f = *state;
    struct report_prior prior;
    assert_int_equal(report_prior_load(f->dir, &prior), 0);
    assert_int_equal(prior.n, 0);
    put_text(f->dir, "index.html", "<!DOCTYPE html>\n<title>my page</title>\n");
    put_text(f->dir, "junit.xml", "<?xml version=\"1.0\"?>\n<testsuites name=\"mine\"/>\n");
    put_text(f->dir, "summary.md", "# my summary\n\n## wsspec: a heading further down\n");
    put_text(f->dir, "baseline.json", "{\"schemaVersion\": 1, \"mine\": {}}");
    put_text(f->dir, "x_case_1.json", "{}");
    char err[512];
    assert_int_equal(report_prune(f->dir, &prior, REPORT_JSON, false, NULL, err, sizeof err), 0);
    static const char *const kept[] = {"index.html", "junit.xml", "summary.md", "baseline.json",
                                       "x_case_1.json"};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        if (!exists(f->dir, kept[i]))
            fail_msg("the user's %s was removed", kept[i]);

    /* an index.html of an older wsspec (no generator meta) is recognised by its title;
     * baseline.json stays when the run keeps one */
    put_text(f->dir, "index.html", "<!DOCTYPE html>\n<html>\n<head>\n<title>wsspec report</title>");
    put_text(f->dir, "baseline.json",
             "{\"schemaVersion\": 1, \"baseline\": {}, \"run\": {}, "
             "\"counts\": {}}");
    assert_int_equal(report_prune(f->dir, &prior, REPORT_JSON, true, NULL, err, sizeof err), 0);
    assert_false(exists(f->dir, "index.html"));
    assert_true(exists(f->dir, "baseline.json"));
    report_prior_free(&prior);
}

/* The page carries wsspec's mark (what report_prune recognises it by) and a stopped
 * run's record, which report.js shows first. */
static void test_generator_and_stopped(void **state)
{
    struct fixture *f = *state;
    json_t *run = run_json(json_array(), json_array());
    json_object_set_new(run, "stopped",
                        json_pack("{s:s,s:s,s:[{s:n,s:s,s:[{s:s,s:s}]}]}", "reason", "target",
                                  "message", "ws://x/: target unreachable </script>", "notRun",
                                  "agent", "url", "ws://x/", "cases", "id", "1.1.1", "title", "t"));
    put_json(f->dir, "wsspec.json", run);
    char *page = render_page(f->dir, 0);
    const char *head_end = strstr(page, "</head>");
    const char *mark = strstr(page, REPORT_HTML_GENERATOR);
    assert_true(mark && head_end && mark < head_end);
    json_t *data = block(page, "wsspec-run");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(data, "stopped"), "message")),
        "ws://x/: target unreachable </script>");
    json_decref(data);
    free(page);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats_parse),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_strings_stay_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csp_hash_matches_script, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_utf8_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_cases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_several_agents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_file_stays_in_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_wirelog_trimmed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_keeps_users_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generator_and_stopped, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

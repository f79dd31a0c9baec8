/*
 * test_junit_md.c - unit tests for report_junit.c and report_md.c on a hand-made run:
 * two targets, one with a hostile agent name (markup, quotes, a control byte), cases
 * of every outcome (pass, fail, NON-STRICT passing and failing, INFORMATIONAL,
 * UNIMPLEMENTED) and failure texts carrying what a target can send: "<script>",
 * "]]>", CR/LF, ESC, backticks, pipes, bytes that are not UTF-8, U+FFFF. Two cases
 * have verdicts that differ (the RFC's FAILED by a MUST, and NON-STRICT by a SHOULD,
 * where Autobahn's is OK); the others have no RFC fields, as an older wsspec.json,
 * and read as Autobahn's verdict. The same cases under --verdict autobahn and rfc.
 *
 * junit.xml is parsed by a real XML parser - Python's xml.etree.ElementTree
 * (/usr/bin/python3), and xmllint too when installed - which reports its structure as
 * JSON for the assertions here: suite and case counts, classnames, failure messages
 * and texts after unescaping, system-out notes, skipped elements, properties, the
 * baseline annotation. summary.md is checked as text: the verdict line, that no tag
 * can open, that every table row has as many cell separators as its header, that no
 * target string breaks a line, the code spans, the failing-case cap.
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_render.h"

#define AGENT1 "srv <b>&\"'\x01"
#define URL1 "ws://127.0.0.1:9001/a?b=1&c='x'"
#define AGENT2 "Python/3.11 websockets/10.4"
#define URL2 "ws://127.0.0.1:9002/`p`"
#define BROKEN_SCRIPT "expected [message text 'Hello'], got [pong '<script>alert(1)</script>']"
/* not valid UTF-8 (0xFF, a cut sequence), controls, U+FFFF, CDATA end, CR LF, markup */
#define BROKEN_BYTES                                                                               \
    "bad \xff\xc3( ctl \x01\x1b[2J ff \xef\xbf\xbf end ]]> first\r\nsecond-line a`b|c *d* "        \
    "<img src=x onerror=alert(1)>"

static char *make_dir(void)
{
    char tmpl[] = "/tmp/wsspec-junitmd-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void remove_dir(char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

#define assert_prefix(s, prefix)                                                                   \
    do {                                                                                           \
        if (strncmp((s), (prefix), strlen(prefix)) != 0)                                           \
            fail_msg("want a start of '%s', got '%.120s'", (prefix), (s));                         \
    } while (0)

static char *read_file(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(4 * 1024 * 1024);
    assert_non_null(buf);
    size_t n = fread(buf, 1, 4 * 1024 * 1024 - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* One case of wsspec.json. broken may hold any bytes (jansson's nocheck variant: the
 * writers must cope with what a broken or hostile file gives them). */
static json_t *mk_case(const char *agent, const char *id, const char *title, const char *b,
                       const char *bc, bool passed, const char *broken, int ms,
                       const char *reportfile)
{
    json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:i, s:s, s:s, s:n, s:n}", "agent", agent,
                          "id", id, "title", title, "behavior", b, "behaviorClose", bc, "passed",
                          passed, "durationMs", ms, "result",
                          passed ? "Actual events match at least one expected."
                                 : "Actual events differ from any expected.",
                          "resultClose", "Connection was properly closed", "remoteCloseCode",
                          "targetError");
    assert_non_null(c);
    json_object_set_new(c, "broken",
                        broken ? json_stringn_nocheck(broken, strlen(broken)) : json_null());
    json_object_set_new(c, "reportfile", json_string(reportfile ? reportfile : "x.json"));
    json_object_set_new(c, "rfc",
                        json_pack("[{s:s, s:s, s:s}]", "level", "MUST", "section", "5.6",
                                  "sentence",
                                  "Data frames (e.g., non-control frames) are "
                                  "identified by opcodes."));
    return c;
}

/* The RFC's verdict of a case, and the rule that makes it differ from Autobahn's. */
static json_t *with_rfc(json_t *c, const char *b, const char *bc, const char *broken,
                        const char *difference)
{
    json_object_set_new(c, "rfcBehavior", json_string(b));
    json_object_set_new(c, "rfcBehaviorClose", json_string(bc));
    json_object_set_new(c, "rfcBroken", broken ? json_string(broken) : json_null());
    json_object_set_new(c, "difference", difference ? json_string(difference) : json_null());
    return c;
}

#define RFC_BROKEN_MUST "server broke a rule: data frame received after the peer's Close frame"
#define DIFF_MUST "RFC 6455 5.5.1 MUST: a data frame after its Close <b>; Autobahn counts it"
#define RFC_BROKEN_SHOULD "server failed the connection without a Close frame"
#define DIFF_SHOULD "RFC 6455 7.1.7 SHOULD: a Close frame before failing the connection"

static json_t *mk_run(void)
{
    json_t *cases = json_array();
    json_array_append_new(cases, mk_case(AGENT1, "1.1.1", "Send text message with payload 0.", "OK",
                                         "OK", true, NULL, 2, NULL));
    json_array_append_new(cases,
                          mk_case(AGENT1, "1.1.2", "Send text message with payload 125.", "FAILED",
                                  "OK", false, BROKEN_SCRIPT, 12, "srv_case_1_1_2.json"));
    json_array_append_new(cases, mk_case(AGENT1, "2.1", "Send ping without payload.", "OK",
                                         "FAILED", false, BROKEN_BYTES, 1000, NULL));
    json_array_append_new(
        cases, mk_case(AGENT1, "3.2", "Send small text message, then RSV=2.", "NON-STRICT", "OK",
                       true, "expected [], got NON-STRICT [message text 'Hello']", 3, NULL));
    json_array_append_new(cases, mk_case(AGENT1, "7.1.6", "Send 256K message followed by close.",
                                         "INFORMATIONAL", "INFORMATIONAL", true, NULL, 5, NULL));
    json_array_append_new(cases, mk_case(AGENT1, "12.1.1", "permessage-deflate 16 bytes.",
                                         "UNIMPLEMENTED", "OK", true, NULL, 1, NULL));
    json_array_append_new(cases, mk_case(AGENT2, "1.1.1", "Send text message with payload 0.", "OK",
                                         "OK", true, NULL, 1, NULL));
    json_array_append_new(
        cases, mk_case(AGENT2, "3.2", "Send small text message, then RSV=2.", "NON-STRICT", "OK",
                       false, "expected [], got NON-STRICT [message text 'Hello']", 4, NULL));
    /* the verdicts differ: the RFC's fails (passed false under "both"), NON-STRICT */
    json_array_append_new(cases, with_rfc(mk_case(AGENT1, "3.3", "Send text, then RSV=3.", "OK",
                                                  "OK", false, NULL, 2, NULL),
                                          "FAILED", "OK", RFC_BROKEN_MUST, DIFF_MUST));
    json_array_append_new(cases, with_rfc(mk_case(AGENT2, "3.1", "Send text with RSV=1.", "OK",
                                                  "OK", true, NULL, 2, NULL),
                                          "NON-STRICT", "OK", RFC_BROKEN_SHOULD, DIFF_SHOULD));
    json_t *run = json_pack(
        "{s:i, s:s, s:s, s:s, s:i, s:{s:b, s:s, s:s}, s:[{s:s, s:s}, {s:s, s:s}], s:{s:s, s:s}, "
        "s:[s, s, s, s, s], s:{s:s, s:s, s:s, s:s}, s:o}",
        "schemaVersion", 1, "seed", "42", "started", "2026-01-02T03:04:05.678Z", "finished",
        "2026-01-02T03:04:07.000Z", "wallMs", 1234, "options", "strict", 0, "verdict", "both",
        "cases", "1.*", "targets", "agent", AGENT1, "url", URL1, "agent", AGENT2, "url", URL2,
        "tool", "name", "wsspec", "version", "0.1.0", "command", "wsspec", "run", URL1, "--cases",
        "1.*", "sections", "1", "Framing", "2", "Pings/Pongs", "3", "Reserved Bits", "12",
        "WebSocket Compression (different parameters)", "cases", cases);
    assert_non_null(run);
    /* what a replay of the first target's cases needs besides URL, case and seed */
    json_object_set_new(json_array_get(json_object_get(run, "targets"), 0), "replayOptions",
                        json_pack("[s,s,s,s]", "--origin", "http://o", "-H", "X-A: a b"));
    return run;
}

/* The run of mk_run, stopped by SIGINT: the second target's 4.1.1 never ran, nor did
 * anything of a third target the run never reached. */
#define URL3 "ws://127.0.0.1:9003/"
#define STOP_MSG "interrupted by SIGINT <b>"
static json_t *mk_stopped_run(void)
{
    json_t *run = mk_run();
    json_object_set_new(
        run, "stopped",
        json_pack("{s:s, s:s, s:[{s:s, s:s, s:[{s:s, s:s}]}, {s:n, s:s, s:[{s:s, s:s}]}]}",
                  "reason", "interrupted", "message", STOP_MSG, "notRun", "agent", AGENT2, "url",
                  URL2, "cases", "id", "4.1.1", "title", "Send frame with reserved opcode 3.",
                  "agent", "url", URL3, "cases", "id", "1.1.1", "title",
                  "Send text message with payload 0."));
    return run;
}

/* ------------------------------------------------------------ JUnit */

/* Parse DIR/junit.xml with ElementTree and describe it as JSON. NULL when python3 is
 * not installed (the caller skips). */
static json_t *parse_junit(const char *dir)
{
    if (access("/usr/bin/python3", X_OK) != 0)
        return NULL;
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c '\n"
             "import json, sys, xml.etree.ElementTree as ET\n"
             "root = ET.parse(sys.argv[1]).getroot()\n"
             "def case(c):\n"
             "    f = c.find(\"failure\"); o = c.find(\"system-out\"); s = c.find(\"skipped\")\n"
             "    e = c.find(\"error\")\n"
             "    return {\"classname\": c.get(\"classname\"), \"name\": c.get(\"name\"),\n"
             "            \"time\": c.get(\"time\"),\n"
             "            \"failure\": None if f is None else {\"message\": f.get(\"message\"),\n"
             "                 \"type\": f.get(\"type\"), \"text\": f.text},\n"
             "            \"error\": None if e is None else {\"message\": e.get(\"message\"),\n"
             "                 \"type\": e.get(\"type\"), \"text\": e.text},\n"
             "            \"out\": None if o is None else o.text,\n"
             "            \"skipped\": s is not None,\n"
             "            \"skipped_message\": None if s is None else s.get(\"message\")}\n"
             "print(json.dumps({\"tag\": root.tag, \"attrib\": root.attrib, \"suites\": [\n"
             "    {\"attrib\": s.attrib,\n"
             "     \"props\": {p.get(\"name\"): p.get(\"value\") for p in s.iter(\"property\")},\n"
             "     \"cases\": [case(c) for c in s.findall(\"testcase\")]}\n"
             "    for s in root.findall(\"testsuite\")]}))\n"
             "' '%s/junit.xml'",
             dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    json_error_t je;
    json_t *j = json_loadf(p, 0, &je);
    int rc = pclose(p);
    if (!j || rc != 0)
        fail_msg("junit.xml did not parse (python3 exit %d): %s", rc, je.text);
    /* a second, stricter parser when it is there */
    if (access("/usr/bin/xmllint", X_OK) == 0) {
        snprintf(cmd, sizeof cmd, "/usr/bin/xmllint --noout '%s/junit.xml'", dir);
        assert_int_equal(system(cmd), 0);
    }
    return j;
}

static const char *attr(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(json_object_get(o, "attrib"), k);
    assert_true(json_is_string(v));
    return json_string_value(v);
}

static const json_t *jcase(const json_t *suite, const char *name_prefix)
{
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(suite, "cases"), i, c)
    {
        const char *n = json_string_value(json_object_get(c, "name"));
        if (!strncmp(n, name_prefix, strlen(name_prefix)))
            return c;
    }
    fail_msg("no testcase '%s'", name_prefix);
    return NULL;
}

/* Writes RUN's junit.xml into DIR and returns it parsed. Without python3 the test is
 * skipped (RUN and DIR freed first, for the leak checker) - except under CI, where a
 * skip would hide a check that never ran. */
static json_t *junit_render(char *dir, json_t *run)
{
    char err[512];
    assert_int_equal(report_junit_write(dir, run, err, sizeof err), 0);
    json_t *x = parse_junit(dir);
    if (!x) {
        if (getenv("CI"))
            fail_msg("/usr/bin/python3 is needed to read junit.xml (CI is set: no skipping)");
        json_decref(run);
        remove_dir(dir);
        skip();
    }
    return x;
}

static const char *jstr(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static void test_junit(void **state)
{
    (void)state;
    char *dir = make_dir();
    write_file(dir, "srv_case_1_1_2.json",
               "{\"expectation\": \"Receive echo'ed <b>message</b> & close.\"}");
    json_t *run = mk_run();
    json_t *x = junit_render(dir, run);
    assert_string_equal(jstr(x, "tag"), "testsuites");
    assert_string_equal(attr(x, "tests"), "10");
    assert_string_equal(attr(x, "failures"), "4");
    assert_string_equal(attr(x, "skipped"), "1");
    assert_string_equal(attr(x, "time"), "1.234");
    const json_t *suites = json_object_get(x, "suites");
    assert_int_equal(json_array_size(suites), 2);

    const json_t *s1 = json_array_get(suites, 0), *s2 = json_array_get(suites, 1);
    /* the agent as it is, the control byte shown as its picture (U+2401) */
    assert_string_equal(attr(s1, "name"), "srv <b>&\"'\xe2\x90\x81");
    assert_string_equal(attr(s1, "tests"), "7");
    assert_string_equal(attr(s1, "failures"), "3");
    assert_string_equal(attr(s1, "skipped"), "1");
    assert_string_equal(attr(s1, "errors"), "0");
    assert_string_equal(attr(s1, "timestamp"), "2026-01-02T03:04:05");
    assert_string_equal(attr(s1, "time"), "1.025");
    const json_t *props = json_object_get(s1, "props");
    assert_string_equal(jstr(props, "url"), URL1);
    assert_string_equal(jstr(props, "seed"), "42");
    assert_string_equal(jstr(props, "strict"), "false");
    assert_string_equal(jstr(props, "verdict"), "both");
    assert_null(jstr(props, "baseline"));
    assert_string_equal(attr(s2, "name"), AGENT2);
    assert_string_equal(attr(s2, "tests"), "3");
    assert_string_equal(attr(s2, "failures"), "1");

    const json_t *c = jcase(s1, "1.1.1 ");
    assert_string_equal(jstr(c, "name"), "1.1.1 Send text message with payload 0.");
    assert_string_equal(jstr(c, "classname"), "wsspec.srv__b_____.1");
    assert_string_equal(jstr(c, "time"), "0.002");
    assert_true(json_is_null(json_object_get(c, "failure")));
    assert_true(json_is_null(json_object_get(c, "out")));

    c = jcase(s1, "1.1.2 ");
    const json_t *f = json_object_get(c, "failure");
    /* no RFC fields (an older wsspec.json): the RFC's verdict is Autobahn's */
    assert_string_equal(jstr(f, "message"), "Autobahn and RFC 6455 FAILED/OK: " BROKEN_SCRIPT);
    assert_string_equal(jstr(f, "type"), "FAILED/OK");
    const char *text = jstr(f, "text");
    assert_non_null(strstr(text, "1.1.2 Send text message with payload 125.\n"));
    assert_non_null(strstr(text, "requirement: RFC 6455 \xC2\xA7"
                                 "5.6 MUST: \"Data frames"));
    assert_non_null(strstr(text, "expected:    Receive echo'ed <b>message</b> & close.\n"));
    assert_non_null(strstr(text, "Autobahn:    behavior FAILED (Actual events differ from any "
                                 "expected.); close OK (Connection was properly closed)\n"
                                 "broken:      " BROKEN_SCRIPT "\n"
                                 "RFC 6455:    behavior FAILED; close OK (no RFC verdict in this "
                                 "report: Autobahn's)\nreplay:"));
    assert_non_null(strstr(text, "replay:      wsspec run 'ws://127.0.0.1:9001/a?b=1&c='\\''x'\\'''"
                                 " --cases 1.1.2 --seed 42 --origin http://o -H 'X-A: a b'\n"));
    assert_null(strstr(text, "baseline:"));

    /* hostile bytes: every one accounted for, nothing raw */
    c = jcase(s1, "2.1 ");
    f = json_object_get(c, "failure");
    const char *msg = jstr(f, "message");
    assert_string_equal(jstr(f, "type"), "OK/FAILED");
    assert_non_null(strstr(msg, "bad \xef\xbf\xbd\xef\xbf\xbd( ctl ")); /* 2 x U+FFFD */
    assert_non_null(strstr(msg, "\xe2\x90\x81\xe2\x90\x9b[2J"));        /* U+2401 U+241B */
    assert_non_null(strstr(msg, "ff \xef\xbf\xbd end ]]> first\r\nsecond-line a`b|c"));
    assert_non_null(strstr(msg, "<img src=x onerror=alert(1)>"));
    assert_non_null(strstr(jstr(f, "text"), "first\r\nsecond-line")); /* CR kept as &#13; */
    assert_null(strstr(jstr(f, "text"), "expected:")); /* its per-case file is missing */

    c = jcase(s1, "3.2 ");
    assert_true(json_is_null(json_object_get(c, "failure")));
    assert_non_null(strstr(jstr(c, "out"), "NON-STRICT: passes"));
    assert_non_null(strstr(jstr(c, "out"), "got NON-STRICT [message text 'Hello']"));
    assert_null(strstr(jstr(c, "out"), "verdicts differ"));

    /* the RFC's verdict fails, Autobahn's passes: the failure names both and the rule */
    c = jcase(s1, "3.3 ");
    f = json_object_get(c, "failure");
    assert_string_equal(jstr(f, "message"), "Autobahn OK/OK, RFC 6455 FAILED/OK: " DIFF_MUST);
    assert_string_equal(jstr(f, "type"), "RFC 6455 FAILED/OK");
    text = jstr(f, "text");
    assert_non_null(strstr(text, "Autobahn:    behavior OK (Actual events differ from any "
                                 "expected.); close OK (Connection was properly closed)\n"
                                 "RFC 6455:    behavior FAILED; close OK\n"
                                 "broken:      " RFC_BROKEN_MUST "\n"
                                 "difference:  " DIFF_MUST "\n"));
    c = jcase(s1, "7.1.6 ");
    assert_true(json_is_null(json_object_get(c, "failure")));
    assert_non_null(strstr(jstr(c, "out"), "INFORMATIONAL: "));
    c = jcase(s1, "12.1.1 ");
    assert_true(json_is_true(json_object_get(c, "skipped")));
    assert_true(json_is_null(json_object_get(c, "out"))); /* nothing to say: no empty note */
    assert_string_equal(jstr(c, "classname"), "wsspec.srv__b_____.12");

    /* NON-STRICT that fails (the run was --strict for it): a failure, as "passed" says */
    c = jcase(s2, "3.2 ");
    assert_string_equal(jstr(c, "classname"), "wsspec.Python_3_11_websockets_10_4.3");
    f = json_object_get(c, "failure");
    assert_non_null(f);
    assert_string_equal(jstr(f, "type"), "NON-STRICT/OK");
    /* a passing case whose RFC verdict is NON-STRICT: both notes */
    c = jcase(s2, "3.1 ");
    assert_true(json_is_null(json_object_get(c, "failure")));
    assert_string_equal(jstr(c, "out"),
                        "NON-STRICT (the RFC 6455 verdict): passes, but the server did not do what "
                        "a SHOULD asks; fails with --strict.\n" RFC_BROKEN_SHOULD
                        "\nverdicts differ: Autobahn OK/OK, RFC 6455 NON-STRICT/OK: " DIFF_SHOULD
                        "\n");
    json_decref(x);

    /* the raw file: nothing XML 1.0 forbids, no raw '<' from the target */
    char *raw = read_file(dir, "junit.xml");
    for (const unsigned char *p = (const unsigned char *)raw; *p; p++)
        if (*p < 0x20 && *p != '\n' && *p != '\t')
            fail_msg("raw control byte 0x%02x at offset %td", *p, (const char *)p - raw);
    assert_null(strstr(raw, "<script"));
    assert_null(strstr(raw, "<img"));
    assert_null(strstr(raw, "]]>"));
    free(raw);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s/.junit.xml.tmp", dir);
    assert_int_not_equal(access(tmp, F_OK), 0);

    json_decref(run);
    remove_dir(dir);
}

/* A run of one target under --verdict MODE with the given cases. */
static json_t *mk_mode_run(const char *mode)
{
    json_t *run = json_pack("{s:i, s:s, s:s, s:{s:b, s:s}, s:[{s:s, s:s}], s:[]}", "schemaVersion",
                            1, "seed", "7", "started", "x", "options", "strict", 0, "verdict", mode,
                            "targets", "agent", "a", "url", "ws://a/", "cases");
    assert_non_null(run);
    return run;
}

static void add_case(json_t *run, json_t *c)
{
    json_array_append_new(json_object_get(run, "cases"), c);
}

/* The run's mode says which verdict a failure is about and which NON-STRICT counts. */
static void test_junit_verdict_modes(void **state)
{
    (void)state;
    char *dir = make_dir();
    /* autobahn: the RFC's FAILED and NON-STRICT do not fail or note; the difference does */
    json_t *run = mk_mode_run("autobahn");
    add_case(run, with_rfc(mk_case("a", "3.3", "t", "OK", "OK", true, NULL, 1, NULL), "FAILED",
                           "OK", RFC_BROKEN_MUST, DIFF_MUST));
    add_case(run, with_rfc(mk_case("a", "3.1", "t", "OK", "OK", true, NULL, 1, NULL), "NON-STRICT",
                           "OK", RFC_BROKEN_SHOULD, DIFF_SHOULD));
    json_t *x = junit_render(dir, run);
    const json_t *s = json_array_get(json_object_get(x, "suites"), 0);
    assert_string_equal(jstr(json_object_get(s, "props"), "verdict"), "autobahn");
    assert_string_equal(attr(s, "failures"), "0");
    const json_t *c = jcase(s, "3.3 ");
    assert_true(json_is_null(json_object_get(c, "failure")));
    assert_string_equal(jstr(c, "out"),
                        "verdicts differ: Autobahn OK/OK, RFC 6455 FAILED/OK: " DIFF_MUST "\n");
    c = jcase(s, "3.1 ");
    assert_string_equal(jstr(c, "out"),
                        "verdicts differ: Autobahn OK/OK, RFC 6455 NON-STRICT/OK: " DIFF_SHOULD
                        "\n");
    json_decref(x);
    json_decref(run);

    /* rfc: the failure is the RFC's; Autobahn's FAILED alone passes, with a note */
    run = mk_mode_run("rfc");
    add_case(run, with_rfc(mk_case("a", "3.3", "t", "OK", "OK", false, NULL, 1, NULL), "FAILED",
                           "OK", RFC_BROKEN_MUST, DIFF_MUST));
    add_case(run, with_rfc(mk_case("a", "5.1", "t", "FAILED", "OK", false, "ab broke", 1, NULL),
                           "FAILED", "OK", "rfc broke", NULL));
    add_case(run, with_rfc(mk_case("a", "7.1", "t", "FAILED", "FAILED", true, "x", 1, NULL), "OK",
                           "WRONG CODE", NULL, "RFC 6455 7.4.2: 1012 is a valid code"));
    add_case(run, with_rfc(mk_case("a", "3.2", "t", "NON-STRICT", "OK", true, "y", 1, NULL),
                           "NON-STRICT", "OK", "y", NULL));
    x = junit_render(dir, run);
    s = json_array_get(json_object_get(x, "suites"), 0);
    assert_string_equal(attr(s, "failures"), "2");
    const json_t *f = json_object_get(jcase(s, "3.3 "), "failure");
    assert_string_equal(jstr(f, "type"), "RFC 6455 FAILED/OK");
    assert_string_equal(jstr(f, "message"), "Autobahn OK/OK, RFC 6455 FAILED/OK: " DIFF_MUST);
    /* the same pair: no prefix; what broke for the RFC's verdict */
    f = json_object_get(jcase(s, "5.1 "), "failure");
    assert_string_equal(jstr(f, "type"), "FAILED/OK");
    assert_string_equal(jstr(f, "message"), "Autobahn and RFC 6455 FAILED/OK: rfc broke");
    assert_non_null(strstr(jstr(f, "text"), "broken:      ab broke\nRFC 6455:    behavior FAILED; "
                                            "close OK\nbroken:      rfc broke\n"));
    c = jcase(s, "7.1 ");
    assert_true(json_is_null(json_object_get(c, "failure")));
    assert_string_equal(jstr(c, "out"), "verdicts differ: Autobahn FAILED/FAILED, RFC 6455 "
                                        "OK/WRONG CODE: RFC 6455 7.4.2: 1012 is a valid code\n");
    c = jcase(s, "3.2 ");
    assert_non_null(strstr(jstr(c, "out"), "NON-STRICT (the RFC 6455 verdict): passes"));
    json_decref(x);
    json_decref(run);

    /* both (and a file without options.verdict reads as both): Autobahn's failure first */
    run = mk_mode_run("both");
    json_object_del(json_object_get(run, "options"), "verdict");
    add_case(run, with_rfc(mk_case("a", "7.1", "t", "OK", "FAILED", false, "ab", 1, NULL), "FAILED",
                           "OK", "rfc", "d"));
    x = junit_render(dir, run);
    s = json_array_get(json_object_get(x, "suites"), 0);
    assert_string_equal(jstr(json_object_get(s, "props"), "verdict"), "both");
    f = json_object_get(jcase(s, "7.1 "), "failure");
    assert_string_equal(jstr(f, "type"), "OK/FAILED");
    assert_string_equal(jstr(f, "message"), "Autobahn OK/FAILED, RFC 6455 FAILED/OK: d");
    json_decref(x);
    json_decref(run);
    remove_dir(dir);
}

/* A run that stopped: a first suite whose one testcase is in error (every CI UI shows
 * it at the top), the cases that never ran skipped in their target's suite under their
 * usual names, a suite of skipped cases for the target never reached, the counts with
 * them, and the reason as a property of every suite. */
static void test_junit_stopped(void **state)
{
    (void)state;
    char *dir = make_dir(), err[512];
    json_t *run = mk_stopped_run();
    json_t *x = junit_render(dir, run);
    /* 10 results, 2 that never ran, the run's own testcase */
    assert_string_equal(attr(x, "tests"), "13");
    assert_string_equal(attr(x, "failures"), "4");
    assert_string_equal(attr(x, "errors"), "1");
    assert_string_equal(attr(x, "skipped"), "3");
    const json_t *suites = json_object_get(x, "suites");
    assert_int_equal(json_array_size(suites), 4);
    const json_t *s0 = json_array_get(suites, 0);
    assert_string_equal(attr(s0, "name"), "wsspec run");
    assert_string_equal(attr(s0, "errors"), "1");
    const json_t *c = jcase(s0, "the run did not finish");
    const json_t *e = json_object_get(c, "error");
    assert_string_equal(jstr(e, "message"), STOP_MSG);
    assert_string_equal(jstr(e, "type"), "interrupted");
    assert_string_equal(jstr(e, "text"), STOP_MSG "\n2 selected cases never ran (skipped "
                                                  "testcases):\n  " AGENT2 " " URL2
                                                  ": 4.1.1\n  (not reached) " URL3 ": 1.1.1\n");

    const json_t *s2 = json_array_get(suites, 2);
    assert_string_equal(attr(s2, "name"), AGENT2);
    assert_string_equal(attr(s2, "tests"), "4");
    assert_string_equal(attr(s2, "skipped"), "1");
    assert_string_equal(jstr(json_object_get(s2, "props"), "stopped"), STOP_MSG);
    c = jcase(s2, "4.1.1 ");
    assert_string_equal(jstr(c, "name"), "4.1.1 Send frame with reserved opcode 3.");
    assert_string_equal(jstr(c, "classname"), "wsspec.Python_3_11_websockets_10_4.4");
    assert_true(json_is_true(json_object_get(c, "skipped")));
    assert_string_equal(jstr(c, "skipped_message"), "never ran: the run stopped first: " STOP_MSG);

    const json_t *s3 = json_array_get(suites, 3);
    assert_string_equal(attr(s3, "name"), URL3);
    assert_string_equal(attr(s3, "tests"), "1");
    assert_string_equal(attr(s3, "skipped"), "1");
    assert_string_equal(jstr(json_object_get(s3, "props"), "url"), URL3);
    c = jcase(s3, "1.1.1 ");
    assert_string_equal(jstr(c, "name"), "1.1.1 Send text message with payload 0.");
    assert_true(json_is_true(json_object_get(c, "skipped")));
    json_decref(x);

    /* a run that completed has none of it */
    json_decref(run);
    run = mk_run();
    json_object_set_new(run, "stopped", json_null());
    assert_int_equal(report_junit_write(dir, run, err, sizeof err), 0);
    char *raw = read_file(dir, "junit.xml");
    assert_null(strstr(raw, "name=\"wsspec run\""));
    assert_null(strstr(raw, "stopped"));
    assert_non_null(strstr(raw, "errors=\"0\" skipped=\"1\""));
    free(raw);
    json_decref(run);
    remove_dir(dir);
}

static const char baseline_json[] =
    "{\"schemaVersion\": 1, \"failOn\": \"regression\", \"run\": {\"seed\": \"42\", "
    "\"started\": \"%s\"}, \"baseline\": {\"file\": \"last/wsspec.json\", \"seed\": \"41\", "
    "\"started\": \"2026-01-01T00:00:00.000Z\"}, \"counts\": {\"regressions\": 1, \"fixes\": 1, "
    "\"changed\": 1, \"added\": 0, \"removed\": 1}, \"pairedAgents\": null, \"rfcAssumed\": 3, "
    "\"regressions\": [{\"agent\": \""
    "srv <b>&\\\"'\\u0001"
    "\", \"id\": \"1.1.2\", "
    "\"title\": \"t\", \"old\": {\"behavior\": \"OK\", \"behaviorClose\": \"OK\", \"passed\": "
    "true}, \"new\": {\"behavior\": \"FAILED\", \"behaviorClose\": \"OK\", \"passed\": false}}], "
    "\"fixes\": [{\"agent\": \"" AGENT2 "\", \"id\": \"1.1.1\", \"title\": \"t\", \"old\": "
    "{\"behavior\": \"FAILED\", \"behaviorClose\": \"OK\", \"passed\": false}, \"new\": "
    "{\"behavior\": \"OK\", \"behaviorClose\": \"OK\", \"passed\": true}}], \"changed\": "
    "[{\"agent\": "
    "\"" AGENT2 "\", \"id\": \"3.1\", \"title\": \"t\", \"old\": {\"behavior\": \"OK\", "
    "\"behaviorClose\": \"OK\", \"rfcBehavior\": \"OK\", \"rfcBehaviorClose\": \"OK\", \"passed\": "
    "true}, \"new\": {\"behavior\": \"OK\", \"behaviorClose\": \"OK\", \"rfcBehavior\": "
    "\"NON-STRICT\", \"rfcBehaviorClose\": \"OK\", \"passed\": true}}], "
    "\"added\": [], \"removed\": [{\"agent\": \"gone|<i>\", \"id\": \"9.9\", \"title\": "
    "\"t\", \"old\": {\"behavior\": \"OK\", \"behaviorClose\": \"OK\", \"passed\": true}, "
    "\"new\": null}]}";

static void test_junit_baseline(void **state)
{
    (void)state;
    char *dir = make_dir(), err[512], text[4096];
    json_t *run = mk_run();
    snprintf(text, sizeof text, baseline_json, "2026-01-02T03:04:05.678Z");
    write_file(dir, "baseline.json", text);
    json_t *x = junit_render(dir, run);
    const json_t *s1 = json_array_get(json_object_get(x, "suites"), 0),
                 *s2 = json_array_get(json_object_get(x, "suites"), 1);
    assert_string_equal(jstr(json_object_get(s1, "props"), "baseline"), "last/wsspec.json");
    const json_t *f = json_object_get(jcase(s1, "1.1.2 "), "failure");
    assert_non_null(strstr(jstr(f, "text"), "baseline:    regression, was OK/OK\n"));
    /* a passing case that changed says so */
    assert_non_null(strstr(jstr(jcase(s2, "1.1.1 "), "out"), "baseline: fix, was FAILED/OK"));
    assert_non_null(strstr(jstr(jcase(s2, "3.1 "), "out"), "\nbaseline: changed, was OK/OK\n"));
    json_decref(x);

    /* a baseline.json from another run in the same directory is ignored */
    snprintf(text, sizeof text, baseline_json, "2025-12-31T00:00:00.000Z");
    write_file(dir, "baseline.json", text);
    assert_int_equal(report_junit_write(dir, run, err, sizeof err), 0);
    char *raw = read_file(dir, "junit.xml");
    assert_null(strstr(raw, "baseline"));
    free(raw);
    json_decref(run);
    remove_dir(dir);
}

/* ------------------------------------------------------------ Markdown */

/* '|' not escaped with a backslash: the cell separators of a table row. */
static size_t cell_bars(const char *line, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (line[i] == '|' && (i == 0 || line[i - 1] != '\\'))
            n++;
    return n;
}

/* Each table's rows have as many separators as its header. Returns the tables seen. */
static size_t check_tables(const char *md)
{
    size_t tables = 0, want = 0;
    bool in_table = false;
    for (const char *line = md; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len && line[0] == '|') {
            size_t bars = cell_bars(line, len);
            if (!in_table) {
                tables++;
                want = bars;
                in_table = true;
            } else if (bars != want) {
                fail_msg("table row with %zu separators, header has %zu: %.*s", bars, want,
                         (int)len, line);
            }
        } else {
            in_table = false;
        }
        if (!end)
            break;
        line = end + 1;
    }
    return tables;
}

static void test_md(void **state)
{
    (void)state;
    char *dir = make_dir(), err[512], text[4096];
    write_file(dir, "srv_case_1_1_2.json",
               "{\"expectation\": \"Receive echo'ed <b>message</b> & close.\"}");
    snprintf(text, sizeof text, baseline_json, "2026-01-02T03:04:05.678Z");
    write_file(dir, "baseline.json", text);
    json_t *run = mk_run();
    assert_int_equal(report_md_write(dir, run, err, sizeof err), 0);
    char *md = read_file(dir, "summary.md");

    /* the verdict first: --fail-on regression (from baseline.json) and one regression */
    assert_prefix(md, "## wsspec: 1 regression since the baseline (4 of 10 cases failed, 2 "
                      "targets)\n\n");
    assert_non_null(strstr(md, "wsspec 0.1.0 \xC2\xB7 seed 42 \xC2\xB7 NON-STRICT passes"));
    /* the two verdicts, counted from the cases (2.1 fails by close, 1.1.2 by behavior) */
    assert_non_null(strstr(md, "\n\nVerdicts (`--verdict both`: a case passes when both verdicts "
                               "pass): Autobahn's fails 2, the RFC 6455 verdict fails 3; they "
                               "differ in 2 cases.\n\n"));

    /* no tag can open, whatever the target sent */
    assert_null(strchr(md, '<'));
    assert_null(strchr(md, '\r'));
    assert_null(strchr(md, '\033'));
    assert_non_null(strstr(md, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(md, "&lt;img src=x onerror=alert(1)&gt;"));
    assert_non_null(strstr(md, "### srv &lt;b&gt;&amp;\"'\xe2\x90\x81\n"));
    /* line breaks, backticks, pipes and emphasis from the target stay text */
    assert_null(strstr(md, "\nsecond-line"));
    assert_non_null(strstr(md, "first  second-line"));
    assert_non_null(strstr(md, "a\\`b\\|c \\*d\\*"));
    assert_non_null(strstr(md, "\xef\xbf\xbd\xef\xbf\xbd( ctl \xe2\x90\x81\xe2\x90\x9b\\[2J"));

    /* the tables: one per target and the baseline's, rows as wide as their header */
    assert_int_equal(check_tables(md), 3);
    assert_non_null(strstr(md, "| 1 Framing | 2 | 1 | 1 | 1 | 0 | 0 | 0 | 1 | 0 |\n"));
    assert_non_null(strstr(md, "| 12 WebSocket Compression (different parameters) | 1 | 1 | 0 "
                               "| 0 | 0 | 0 | 1 | 0 | 0 |\n"));
    assert_non_null(strstr(md, "| **all** | 7 | 4 | 3 | 3 | 1 | 1 | 1 | 1 | 1 |\n"));
    assert_non_null(strstr(md, "`ws://127.0.0.1:9001/a?b=1&c='x'` \xC2\xB7 7 cases: 4 passed, "
                               "3 failed \xC2\xB7 the verdicts differ in 1\n"));
    /* a URL with backticks gets a longer fence */
    assert_non_null(strstr(md, "`` ws://127.0.0.1:9002/`p` `` \xC2\xB7 3 cases"));
    assert_non_null(strstr(md, "NON-STRICT (passes; a SHOULD was not followed; fails with "
                               "`--strict`): 3.2\n"));
    /* the second target: its RFC-only NON-STRICT case is listed, and as differing */
    assert_non_null(strstr(md, "NON-STRICT (passes; a SHOULD was not followed; fails with "
                               "`--strict`): 3.1\n\nThe verdicts differ (Autobahn's in the "
                               "table; the RFC 6455 verdict here): 3.1 NON-STRICT/OK\n\n"));
    assert_non_null(strstr(md, "The verdicts differ (Autobahn's in the table; the RFC 6455 "
                               "verdict here): 3.3 FAILED/OK\n\n### "));

    /* failing cases: requirement, expectation, what happened, replay */
    assert_non_null(strstr(md, "### Failing cases (4)\n"));
    assert_non_null(strstr(md, "- **1.1.2** Send text message with payload 125. \xE2\x80\x94 "
                               "srv &lt;b&gt;&amp;\"'\xe2\x90\x81\n"));
    assert_non_null(strstr(md, "  - requirement: RFC 6455 \xC2\xA7"
                               "5.6 MUST: \"Data frames"));
    assert_non_null(strstr(md, "  - expected: Receive echo'ed &lt;b&gt;message&lt;/b&gt; "
                               "&amp; close.\n"));
    assert_non_null(strstr(md, "  - Autobahn: behavior FAILED (Actual events differ from any "
                               "expected.); close OK (Connection was properly closed)\n"));
    assert_non_null(strstr(md, "  - RFC 6455: behavior FAILED; close OK (no RFC verdict in this "
                               "report: Autobahn's)\n"));
    /* both verdicts of the case where they differ, what broke for the RFC, the rule */
    assert_non_null(strstr(md, "- **3.3** Send text, then RSV=3. \xE2\x80\x94 srv &lt;b&gt;"
                               "&amp;\"'\xe2\x90\x81\n"));
    assert_non_null(strstr(md, "  - Autobahn: behavior OK (Actual events differ from any "
                               "expected.); close OK (Connection was properly closed)\n"
                               "  - RFC 6455: behavior FAILED; close OK\n"
                               "  - broken: server broke a rule: data frame received after the "
                               "peer's Close frame\n"
                               "  - difference: RFC 6455 5.5.1 MUST: a data frame after its Close "
                               "&lt;b&gt;; Autobahn counts it\n"));
    assert_non_null(strstr(md, "  - baseline: **regression**, was OK/OK\n"));
    assert_non_null(strstr(md, "  - replay: `wsspec run 'ws://127.0.0.1:9001/a?b=1&c='\\''x'\\''' "
                               "--cases 1.1.2 --seed 42 --origin http://o -H 'X-A: a b'`\n"));
    /* the second target has no replayOptions (as in a wsspec.json older than them): the
     * URL, the case and the seed */
    assert_non_null(strstr(md, "  - replay: ``wsspec run 'ws://127.0.0.1:9002/`p`' --cases 3.2 "
                               "--seed 42``\n"));

    /* the baseline */
    assert_non_null(strstr(md, "### Since the baseline\n\nCompared with `last/wsspec.json` "
                               "(seed 41, started 2026-01-01T00:00:00.000Z): **1 "
                               "regression**, 1 fix, 1 changed, 0 added, 1 removed.\n"
                               "The baseline has no RFC 6455 verdict for 3 cases (written by an "
                               "older wsspec): Autobahn's verdict stands for it there.\n"));
    /* an outcome whose RFC pair differs shows it */
    assert_non_null(strstr(md, "| changed | Python/3.11 websockets/10.4 | 3.1 | t | OK/OK | OK/OK "
                               "(RFC 6455 NON-STRICT/OK) |\n"));
    assert_non_null(strstr(md, "| **regression** | srv &lt;b&gt;&amp;\"'\xe2\x90\x81 | 1.1.2 "
                               "| t | OK/OK | FAILED/OK |\n"));
    assert_non_null(strstr(md, "| removed | gone\\|&lt;i&gt; | 9.9 | t | OK/OK | not run |\n"));

    /* the whole run again, with the seed it had */
    assert_non_null(strstr(md, "### Replay\n\nThe same seed sends the same bytes: `wsspec run "
                               "'ws://127.0.0.1:9001/a?b=1&c='\\''x'\\''' --cases '1.*' --seed "
                               "42`\n"));
    free(md);
    json_decref(run);
    remove_dir(dir);
}

static void test_md_verdicts(void **state)
{
    (void)state;
    char *dir = make_dir(), err[512];
    /* all passed, one target, no baseline */
    json_t *run =
        json_pack("{s:i, s:s, s:s, s:[{s:s, s:s}], s:[]}", "schemaVersion", 1, "seed", "7",
                  "started", "x", "targets", "agent", "a", "url", "ws://a/", "cases");
    json_array_append_new(json_object_get(run, "cases"),
                          mk_case("a", "1.1.1", "t", "OK", "OK", true, NULL, 1, NULL));
    assert_int_equal(report_md_write(dir, run, err, sizeof err), 0);
    char *md = read_file(dir, "summary.md");
    assert_prefix(md, "## wsspec: all 1 cases passed (1 target)\n");
    /* no options.verdict (an older file): both; the counts from the cases */
    assert_non_null(strstr(md, "\nVerdicts (`--verdict both`: a case passes when both verdicts "
                               "pass): Autobahn's fails 0, the RFC 6455 verdict fails 0; they "
                               "differ in 0 cases.\n"));
    assert_null(strstr(md, "The verdicts differ"));
    assert_null(strstr(md, "baseline"));
    free(md);
    json_object_set_new(run, "options", json_pack("{s:s}", "verdict", "rfc"));
    json_array_append_new(json_object_get(run, "cases"),
                          with_rfc(mk_case("a", "7.1", "t", "FAILED", "OK", true, "x", 1, NULL),
                                   "OK", "OK", NULL, "RFC 6455 7.4.2: 1012 is valid"));
    assert_int_equal(report_md_write(dir, run, err, sizeof err), 0);
    md = read_file(dir, "summary.md");
    assert_prefix(md, "## wsspec: all 2 cases passed (1 target)\n");
    assert_non_null(strstr(md, "\nVerdicts (`--verdict rfc`: the RFC 6455 verdict alone decides): "
                               "Autobahn's fails 1, the RFC 6455 verdict fails 0; they differ in 1 "
                               "case.\n"));
    assert_non_null(strstr(md, "The verdicts differ (Autobahn's in the table; the RFC 6455 verdict "
                               "here): 7.1 OK/OK\n"));
    assert_null(strstr(md, "Failing cases"));
    free(md);
    json_array_remove(json_object_get(run, "cases"), 1);

    /* known failures under --fail-on regression: no regressions */
    json_array_append_new(json_object_get(run, "cases"),
                          mk_case("a", "2.1", "t", "FAILED", "OK", false, "x", 1, NULL));
    write_file(dir, "baseline.json",
               "{\"schemaVersion\": 1, \"failOn\": \"regression\", \"run\": {\"seed\": \"7\", "
               "\"started\": \"x\"}, \"baseline\": {}, \"counts\": {\"regressions\": 0}}");
    assert_int_equal(report_md_write(dir, run, err, sizeof err), 0);
    md = read_file(dir, "summary.md");
    assert_prefix(md, "## wsspec: no regressions since the baseline (1 of 2 cases failed, all "
                      "known; 1 target)\n");
    free(md);

    /* without baseline.json: the failure count decides */
    char path[600];
    snprintf(path, sizeof path, "%s/baseline.json", dir);
    unlink(path);
    assert_int_equal(report_md_write(dir, run, err, sizeof err), 0);
    md = read_file(dir, "summary.md");
    assert_prefix(md, "## wsspec: 1 of 2 cases failed (1 target)\n");
    free(md);
    json_decref(run);

    /* an unwritable directory is an error with the path */
    run = mk_run();
    assert_int_equal(report_md_write("/nonexistent-dir", run, err, sizeof err), -1);
    json_decref(run);
    assert_non_null(strstr(err, "/nonexistent-dir/.summary.md.tmp"));
    remove_dir(dir);
}

/* A run that stopped says so first: the heading, why, and every case that never ran,
 * per target; the tables below count the cases that ran. */
static void test_md_stopped(void **state)
{
    (void)state;
    char *dir = make_dir(), err[512];
    json_t *run = mk_stopped_run();
    assert_int_equal(report_md_write(dir, run, err, sizeof err), 0);
    char *md = read_file(dir, "summary.md");
    assert_prefix(md, "## wsspec: INCOMPLETE run (interrupted): 4 of 10 cases failed, 2 never ran "
                      "(2 targets)\n\n"
                      "> **The run did not finish:** interrupted by SIGINT &lt;b&gt;.  \n"
                      "> 2 selected cases never ran and are not counted below:\n"
                      "> - Python/3.11 websockets/10.4 `` ws://127.0.0.1:9002/`p` ``: 4.1.1\n"
                      "> - not reached: `ws://127.0.0.1:9003/`: 1.1.1\n\n");
    assert_null(strchr(md, '<'));
    free(md);

    /* only --max-time's own cases, all reported as timed out: nothing never ran */
    json_object_set_new(run, "stopped",
                        json_pack("{s:s, s:s, s:[]}", "reason", "max-time", "message",
                                  "--max-time 2 s reached: 1 case(s) cut short and 0 not started",
                                  "notRun"));
    assert_int_equal(report_md_write(dir, run, err, sizeof err), 0);
    md = read_file(dir, "summary.md");
    assert_prefix(md, "## wsspec: INCOMPLETE run (--max-time reached): 4 of 10 cases failed (2 "
                      "targets)\n\n> **The run did not finish:** --max-time 2 s reached: 1 "
                      "case(s) cut short and 0 not started\n\n");
    free(md);
    json_decref(run);
    remove_dir(dir);
}

/* More failing cases than a job summary should hold: the first MD_MAX_FAILURES (100)
 * in detail, the rest counted. */
static void test_md_bounded(void **state)
{
    (void)state;
    char *dir = make_dir(), err[512];
    json_t *run =
        json_pack("{s:i, s:s, s:s, s:[{s:s, s:s}], s:[]}", "schemaVersion", 1, "seed", "7",
                  "started", "x", "targets", "agent", "a", "url", "ws://a/", "cases");
    char id[16], longtext[2048];
    memset(longtext, 'x', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    for (int i = 0; i < 130; i++) {
        snprintf(id, sizeof id, "9.%d", i + 1);
        json_array_append_new(json_object_get(run, "cases"),
                              mk_case("a", id, "t", "FAILED", "OK", false, longtext, 1, NULL));
    }
    assert_int_equal(report_md_write(dir, run, err, sizeof err), 0);
    char *md = read_file(dir, "summary.md");
    assert_non_null(strstr(md, "### Failing cases (130)\n"));
    assert_non_null(strstr(md, "- **9.100** "));
    assert_null(strstr(md, "- **9.101** "));
    assert_non_null(strstr(md, "and 30 more (`junit.xml` and `index.html` have them all)"));
    /* a 2 KiB string is cut at MD_MAX_FIELD (300 bytes) with an ellipsis */
    assert_null(strstr(md, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
    assert_non_null(strstr(md, "xxx\xE2\x80\xA6\n"));
    assert_true(strlen(md) < 200 * 1024);
    free(md);
    json_decref(run);
    remove_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_junit),
        cmocka_unit_test(test_junit_baseline),
        cmocka_unit_test(test_junit_verdict_modes),
        cmocka_unit_test(test_junit_stopped),
        cmocka_unit_test(test_md),
        cmocka_unit_test(test_md_verdicts),
        cmocka_unit_test(test_md_stopped),
        cmocka_unit_test(test_md_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

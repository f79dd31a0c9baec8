/*
 * test_config.c - unit tests for config.c: Autobahn's fuzzingclient.json and
 * fuzzingserver.json read as is.
 * A file with every key Autobahn documents (and a key only its examples carry) must
 * give the servers, selection, exclusions and report directory it says, with the
 * protocol timeouts turned into a timeout scale and everything else named in one
 * warning line; the shortest real file (Autobahn's own template) must warn about
 * nothing; malformed files and wrong types must fail with a message that names the key
 * and what was wrong. The exclude-agent-cases patterns are checked against Autobahn's
 * semantics (anchored at both ends, '.' literal, '*' any run), and every input is read
 * from a guard-page buffer that is not NUL-terminated, so an over-read faults.
 *
 * The fuzzingserver form: every key of catalogue 4.3 (webport named as ignored), the
 * template wstest writes, listen URLs of every shape (default ports, IPv6, a path), TLS
 * keys required by wss:// and ignored for ws://, the server-side option names, and a
 * file of either form given to the other command refused with a message naming both.
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

/* Parse text from a guard-page copy without its NUL. */
static int parse_form(enum config_form form, const char *text, struct run_config *c, char *err,
                      size_t cap)
{
    size_t n = strlen(text);
    uint8_t *g = th_guard_copy(text, n);
    memset(c, 0xA5, sizeof *c); /* the parser must not rely on a zeroed struct */
    int rc = form == CONFIG_FUZZINGCLIENT ? config_parse((const char *)g, n, c, err, cap)
                                          : config_parse_as(form, (const char *)g, n, c, err, cap);
    th_guard_free(g, n);
    return rc;
}

static int parse(const char *text, struct run_config *c, char *err, size_t cap)
{
    return parse_form(CONFIG_FUZZINGCLIENT, text, c, err, cap);
}

static int parse_server(const char *text, struct run_config *c, char *err, size_t cap)
{
    return parse_form(CONFIG_FUZZINGSERVER, text, c, err, cap);
}

/* Every key of catalogue 4.2, as the Autobahn docs and real projects write them. */
static const char full_config[] =
    "{\n"
    "   \"options\": {\"failByDrop\": false, \"version\": 18,\n"
    "               \"openHandshakeTimeout\": 10, \"autoPingInterval\": 0},\n"
    "   \"outdir\": \"./reports/servers\",\n"
    "   \"webport\": 8080,\n"
    "   \"servers\": [\n"
    "      {\"agent\": \"AutobahnServer\", \"url\": \"ws://127.0.0.1:9001\",\n"
    "       \"options\": {\"version\": 18, \"closeHandshakeTimeout\": 3}},\n"
    "      {\"url\": \"wss://example.test:9443/chat?x=1\", \"hostname\": \"example.test\",\n"
    "       \"origin\": \"http://example.test\", \"protocols\": [\"chat\", \"superchat\"],\n"
    "       \"options\": {\"autoPingInterval\": 5, \"perMessageCompressionOffers\": "
    "[{\"type\": \"deflate\"}],\n"
    "                   \"closeHandshakeTimeout\": 0.5}}\n"
    "   ],\n"
    "   \"cases\": [\"1.*\", \"2.*\", \"7.7.1\"],\n"
    "   \"exclude-cases\": [\"2.10\", \"2.11\"],\n"
    "   \"exclude-agent-cases\": {\"Autobahn*\": [\"7.7.*\"], \"Python/3.11 *\": [\"1.1.1\"]}\n"
    "}\n";

static void test_full_file(void **state)
{
    (void)state;
    struct run_config c;
    char err[256];
    assert_int_equal(parse(full_config, &c, err, sizeof err), 0);
    assert_int_equal(c.n_servers, 2);

    struct config_server *a = &c.servers[0], *b = &c.servers[1];
    assert_string_equal(a->url, "ws://127.0.0.1:9001");
    assert_string_equal(a->agent, "AutobahnServer");
    assert_null(a->origin);
    assert_null(a->hostname);
    assert_int_equal(a->n_protocols, 0);
    /* global openHandshakeTimeout 10 s = 2 x 5 s; its own closeHandshakeTimeout 3 s =
     * 3 x 1 s: the largest wins */
    assert_true(a->timeout_scale > 2.999 && a->timeout_scale < 3.001);

    assert_string_equal(b->url, "wss://example.test:9443/chat?x=1");
    assert_null(b->agent);
    assert_string_equal(b->hostname, "example.test");
    assert_string_equal(b->origin, "http://example.test");
    assert_int_equal(b->n_protocols, 2);
    assert_string_equal(b->protocols[0], "chat");
    assert_string_equal(b->protocols[1], "superchat");
    /* a shorter closeHandshakeTimeout never shortens: the global 10 s still gives 2 */
    assert_true(b->timeout_scale > 1.999 && b->timeout_scale < 2.001);

    assert_string_equal(c.cases, "1.*,2.*,7.7.1");
    assert_string_equal(c.exclude, "2.10,2.11");
    assert_string_equal(c.outdir, "./reports/servers");
    assert_int_equal(c.n_rules, 2);

    /* one line naming each ignored thing once; the values that are what wsspec does
     * anyway (failByDrop false, version 18, autoPingInterval 0) are not named */
    assert_non_null(strstr(c.warning, "autoPingInterval"));
    assert_non_null(strstr(c.warning, "perMessageCompressionOffers"));
    assert_non_null(strstr(c.warning, "closeHandshakeTimeout"));
    assert_non_null(strstr(c.warning, "webport"));
    assert_non_null(strstr(c.warning, "hostname"));
    assert_null(strstr(c.warning, "failByDrop"));
    assert_null(strstr(c.warning, "version"));
    assert_null(strchr(c.warning, '\n'));
    const char *first = strstr(c.warning, "autoPingInterval");
    assert_null(strstr(first + 1, "autoPingInterval"));

    assert_true(config_agent_excludes(&c, "AutobahnServer", "7.7.1"));
    assert_false(config_agent_excludes(&c, "AutobahnServer", "7.1.1"));
    assert_true(config_agent_excludes(&c, "Python/3.11 websockets/10.4", "1.1.1"));
    assert_false(config_agent_excludes(&c, "Python/3.11 websockets/10.4", "1.1.10"));
    assert_false(config_agent_excludes(&c, "Python/3.12 websockets/12", "1.1.1"));
    config_free(&c);
    config_free(&c); /* freeing twice is harmless: the struct is zeroed */
}

/* Autobahn's template (spectemplate.py), the file wstest writes when none exists. */
static void test_template(void **state)
{
    (void)state;
    struct run_config c;
    char err[256];
    assert_int_equal(parse("{\"outdir\": \"./reports/servers\", \"servers\": [{\"url\": "
                           "\"ws://127.0.0.1:9001\"}], \"cases\": [\"*\"], \"exclude-cases\": "
                           "[], \"exclude-agent-cases\": {}}",
                           &c, err, sizeof err),
                     0);
    assert_int_equal(c.n_servers, 1);
    assert_string_equal(c.cases, "*");
    assert_null(c.exclude); /* an empty exclude list excludes nothing */
    assert_int_equal(c.n_rules, 0);
    assert_string_equal(c.warning, "");
    assert_true(c.servers[0].timeout_scale == 1.0);
    assert_false(config_agent_excludes(&c, "x", "1.1.1"));
    config_free(&c);

    /* cases absent: everything (NULL for case_select) */
    assert_int_equal(
        parse("{\"servers\": [{\"url\": \"ws://h/\", \"agent\": null}]}", &c, err, sizeof err), 0);
    assert_null(c.cases);
    assert_null(c.outdir);
    assert_null(c.servers[0].agent);
    config_free(&c);
}

struct bad {
    const char *text;
    const char *msg; /* must occur in the error */
};

static void test_errors(void **state)
{
    (void)state;
    static const struct bad bad[] = {
        {"{\"servers\": [", "line 1"},
        {"{\"servers\": [{\"url\": \"ws://h/\"}],}", "line 1, column"},
        {"[1, 2]", "expected an object (Autobahn's fuzzingclient.json), got an array"},
        {"{}", "no \"servers\" list"},
        {"{\"servers\": {}}", "servers: expected a list, got an object"},
        {"{\"servers\": []}", "servers: the list is empty"},
        {"{\"servers\": [7]}", "servers[0]: expected an object, got a number"},
        {"{\"servers\": [{\"agent\": \"a\"}]}", "servers[0]: no \"url\""},
        {"{\"servers\": [{\"url\": 9001}]}", "servers[0].url: expected a string, got a number"},
        {"{\"servers\": [{\"url\": \"ws://h/\"}, {\"url\": \"ws://h/\", \"agent\": true}]}",
         "servers[1].agent: expected a string, got a boolean"},
        {"{\"servers\": [{\"url\": \"ws://h/\", \"agent\": \"\"}]}", "servers[0].agent: empty"},
        {"{\"servers\": [{\"url\": \"ws://h/\", \"protocols\": \"chat\"}]}",
         "servers[0].protocols: expected a list of strings, got a string"},
        {"{\"servers\": [{\"url\": \"ws://h/\", \"protocols\": [\"a b\"]}]}",
         "servers[0].protocols[0]: 'a b' is not a token"},
        {"{\"servers\": [{\"url\": \"ws://h/\", \"origin\": \"x\\r\\nEvil: 1\"}]}",
         "servers[0].origin: contains a line break"},
        {"{\"servers\": [{\"url\": \"ws://h/\", \"options\": []}]}",
         "servers[0].options: expected an object, got an array"},
        {"{\"servers\": [{\"url\": \"ws://h/\"}], \"options\": {\"openHandshakeTimeout\": "
         "\"5\"}}",
         "options.openHandshakeTimeout: expected a number of seconds > 0, got a string"},
        {"{\"servers\": [{\"url\": \"ws://h/\"}], \"options\": {\"closeHandshakeTimeout\": "
         "-1}}",
         "expected a number of seconds > 0, got a number <= 0"},
        {"{\"servers\": [{\"url\": \"ws://h/\"}], \"options\": {\"closeHandshakeTimeout\": "
         "5000}}",
         "more than 1000 times"},
        {"{\"servers\": [{\"url\": \"ws://h/\"}], \"cases\": \"1.*\"}",
         "cases: expected a list of case ids or patterns, got a string"},
        {"{\"servers\": [{\"url\": \"ws://h/\"}], \"cases\": [\"1.*\", 2]}",
         "cases[1]: expected a string, got a number"},
        {"{\"servers\": [{\"url\": \"ws://h/\"}], \"cases\": []}", "cases: the list is empty"},
        {"{\"servers\": [{\"url\": \"ws://h/\"}], \"cases\": [\"1.1.1,1.1.2\"]}", "contains ','"},
        {"{\"servers\": [{\"url\": \"ws://h/\"}], \"exclude-cases\": [\"\"]}",
         "exclude-cases[0]: an empty pattern"},
        {"{\"servers\": [{\"url\": \"ws://h/\"}], \"exclude-agent-cases\": []}",
         "exclude-agent-cases: expected an object"},
        {"{\"servers\": [{\"url\": \"ws://h/\"}], \"exclude-agent-cases\": {\"a\": \"1.*\"}}",
         "exclude-agent-cases[\"a\"]: expected a list, got a string"},
        {"{\"servers\": [{\"url\": \"ws://h/\"}], \"exclude-agent-cases\": {\"a\": [1]}}",
         "exclude-agent-cases[\"a\"][0]: expected a string, got a number"},
        {"{\"servers\": [{\"url\": \"ws://h/\"}], \"outdir\": 1}",
         "config.outdir: expected a string, got a number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct run_config c;
        char err[256] = "";
        int rc = parse(bad[i].text, &c, err, sizeof err);
        if (rc != -1 || !strstr(err, bad[i].msg))
            fail_msg("input %zu %s: rc %d, message '%s', want '%s'", i, bad[i].text, rc, err,
                     bad[i].msg);
        /* nothing is left allocated (ASan's leak check in the sanitized build) and the
         * struct is reusable */
        assert_int_equal(c.n_servers, 0);
        assert_null(c.servers);
        config_free(&c);
    }
}

static void test_limits(void **state)
{
    (void)state;
    /* 17 servers: one more than a run takes */
    char text[2048];
    size_t used = (size_t)snprintf(text, sizeof text, "{\"servers\": [");
    for (int i = 0; i < CONFIG_MAX_SERVERS + 1; i++)
        used += (size_t)snprintf(text + used, sizeof text - used, "%s{\"url\": \"ws://h:%d/\"}",
                                 i ? ", " : "", 9000 + i);
    snprintf(text + used, sizeof text - used, "]}");
    struct run_config c;
    char err[256];
    assert_int_equal(parse(text, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "at most 16 servers"));

    /* an agent longer than a report's agent field */
    char agent[CONFIG_MAX_AGENT + 2];
    memset(agent, 'a', sizeof agent - 1);
    agent[sizeof agent - 1] = '\0';
    snprintf(text, sizeof text, "{\"servers\": [{\"url\": \"ws://h/\", \"agent\": \"%s\"}]}",
             agent);
    assert_int_equal(parse(text, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "longer than 127 bytes"));
    agent[CONFIG_MAX_AGENT] = '\0'; /* exactly 127: fine */
    snprintf(text, sizeof text, "{\"servers\": [{\"url\": \"ws://h/\", \"agent\": \"%s\"}]}",
             agent);
    assert_int_equal(parse(text, &c, err, sizeof err), 0);
    config_free(&c);

    /* a message that does not fit the caller's buffer is cut, still terminated */
    char small[8];
    assert_int_equal(parse("{}", &c, small, sizeof small), -1);
    assert_int_equal(strlen(small), sizeof small - 1);
}

/* Messages and the warning quote keys and values of the file: one line each, whatever
 * characters those hold. */
static void test_one_line(void **state)
{
    (void)state;
    struct run_config c;
    char err[256];
    assert_int_equal(parse("{\"servers\": [{\"url\": \"ws://h/\", \"x\\ny\": 1}], "
                           "\"options\": {\"a\\u001b[2J\": 1}}",
                           &c, err, sizeof err),
                     0);
    assert_non_null(strstr(c.warning, "options a?[2J; keys servers[0].x?y"));
    config_free(&c);
    assert_int_equal(parse("{\"servers\": [{\"url\": \"ws://h/\", \"protocols\": "
                           "[\"a\\r\\nb\"]}]}",
                           &c, err, sizeof err),
                     -1);
    assert_string_equal(err, "servers[0].protocols[0]: 'a??b' is not a token");
    assert_int_equal(parse("{\"servers\": [{\"url\": \"ws://h/\"}], \"cases\": [\"1\\n,2\"]}", &c,
                           err, sizeof err),
                     -1);
    assert_null(strchr(err, '\n'));
}

/* An empty key, at the top level and among the options, is named in the warning as ""
 * - found by config_fuzzer: it used to hang the parser (the duplicate scan of the
 * warning list never advanced past an empty name). The alarm turns a hang into a
 * failure of this test rather than of the whole run's time limit. */
static void test_empty_key(void **state)
{
    (void)state;
    struct run_config c;
    char err[256];
    alarm(10);
    assert_int_equal(parse("{\"servers\": [{\"url\": \"ws://h/\"}], \"\": [1], "
                           "\"options\": {\"\": 1}, \"x\": 2}",
                           &c, err, sizeof err),
                     0);
    alarm(0);
    assert_string_equal(c.warning,
                        "ignored (wsspec has no equivalent): options \"\"; keys \"\", x");
    config_free(&c);
}

static void test_glob(void **state)
{
    (void)state;
    static const struct {
        const char *pat, *s;
        bool match;
    } t[] = {
        {"*", "", true},
        {"*", "anything", true},
        {"", "", true},
        {"", "a", false},
        {"1.1.1", "1.1.1", true},
        {"1.1.1", "1.1.10", false}, /* anchored at the end */
        {"1.1.1", "11.1.1", false},
        {"1.*", "1.1.1", true},
        {"1.*", "10.1.1", false}, /* '.' is literal */
        {"1*", "10.1.1", true},
        {"*.4.*", "6.4.3", true},
        {"*.4.*", "6.44", false},
        {"6.4.*", "16.4.1", false}, /* anchored at the start */
        {"7.*.1", "7.13.1", true},
        {"7.*.1", "7.13.2", false},
        {"a*b*c", "aXbYbZc", true},
        {"a*b*c", "aXbYcZ", false},
        {"**", "x", true},
        {"Python.3", "Python/3", false}, /* regex '.' is not special here */
        {"Python/3.11 web*", "Python/3.11 websockets/10.4", true},
        {"gws (v1)+", "gws (v1)+", true}, /* nor are ( ) + */
        {"gws (v1)+", "gws v1", false},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (config_glob_full(t[i].pat, t[i].s) != t[i].match)
            fail_msg("'%s' vs '%s': want %s", t[i].pat, t[i].s, t[i].match ? "match" : "none");
}

static void test_agent_rules(void **state)
{
    (void)state;
    struct run_config c;
    char err[256];
    assert_int_equal(parse("{\"servers\": [{\"url\": \"ws://h/\"}], \"exclude-agent-cases\": "
                           "{\"Auto\": [\"1.*\"], \"*Server\": [\"9.*\", \"2.1\"], \"*\": "
                           "[\"6.4.*\"]}}",
                           &c, err, sizeof err),
                     0);
    /* "Auto" is anchored at the end: it is not "AutobahnServer" */
    assert_false(config_agent_excludes(&c, "AutobahnServer", "1.1.1"));
    assert_true(config_agent_excludes(&c, "Auto", "1.1.1"));
    assert_true(config_agent_excludes(&c, "AutobahnServer", "9.1.1"));
    assert_true(config_agent_excludes(&c, "AutobahnServer", "2.1"));
    assert_false(config_agent_excludes(&c, "AutobahnServer", "2.10")); /* case anchored too */
    assert_false(config_agent_excludes(&c, "ServerX", "9.1.1"));
    assert_true(config_agent_excludes(&c, "anyone", "6.4.3"));
    assert_false(config_agent_excludes(&c, "anyone", "6.40"));
    config_free(&c);
    /* no config, no exclusions */
    assert_false(config_agent_excludes(NULL, "a", "1.1.1"));
}

static void test_load(void **state)
{
    (void)state;
    struct run_config c;
    char err[512];
    assert_int_equal(config_load("/nonexistent/fuzzingclient.json", &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/fuzzingclient.json: No such file"));

    char path[] = "/tmp/wsspec-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs("{\"servers\": [{\"url\": \"ws://h/\"}], \"cases\": [1]}", f);
    fclose(f);
    assert_int_equal(config_load(path, &c, err, sizeof err), -1);
    /* the path first, then the key */
    assert_int_equal(strncmp(err, path, strlen(path)), 0);
    assert_non_null(strstr(err, "cases[0]: expected a string"));

    f = fopen(path, "w");
    assert_non_null(f);
    fputs(full_config, f);
    fclose(f);
    assert_int_equal(config_load(path, &c, err, sizeof err), 0);
    assert_int_equal(c.n_servers, 2);
    config_free(&c);
    unlink(path);
}

/* ------------------------------------------------------------ fuzzingserver.json */

/* Every key of catalogue 4.3, as Autobahn's docs and real projects write them. */
static const char server_config[] =
    "{\n"
    "   \"url\": \"wss://127.0.0.1:9443\",\n"
    "   \"key\": \"server.key\", \"cert\": \"server.crt\",\n"
    "   \"options\": {\"failByDrop\": false, \"versions\": [13], \"webStatus\": false,\n"
    "               \"requireMaskedClientFrames\": true, \"maskServerFrames\": false,\n"
    "               \"openHandshakeTimeout\": 10, \"autoPingSize\": 4,\n"
    "               \"serverConnectionDropTimeout\": 5},\n"
    "   \"protocols\": [\"chat\"],\n"
    "   \"outdir\": \"./reports/clients\",\n"
    "   \"webport\": 8080,\n"
    "   \"cases\": [\"*\"],\n"
    "   \"exclude-cases\": [\"9.*\", \"12.*\", \"13.*\"],\n"
    "   \"exclude-agent-cases\": {\"Chrome*\": [\"7.9.*\"]}\n"
    "}\n";

static void test_server_full(void **state)
{
    (void)state;
    struct run_config c;
    char err[256];
    assert_int_equal(parse_server(server_config, &c, err, sizeof err), 0);
    assert_int_equal(c.form, CONFIG_FUZZINGSERVER);
    assert_int_equal(c.n_servers, 0);
    assert_null(c.servers);
    const struct config_listen *l = &c.listen;
    assert_string_equal(l->url, "wss://127.0.0.1:9443");
    assert_string_equal(l->host, "127.0.0.1");
    assert_int_equal(l->port, 9443);
    assert_true(l->tls);
    assert_string_equal(l->key, "server.key");
    assert_string_equal(l->cert, "server.crt");
    assert_int_equal(l->n_protocols, 1);
    assert_string_equal(l->protocols[0], "chat");
    /* openHandshakeTimeout 10 s = 2 x 5 s; serverConnectionDropTimeout is a client's
     * option and changes nothing here */
    assert_true(l->timeout_scale > 1.999 && l->timeout_scale < 2.001);
    assert_string_equal(c.outdir, "./reports/clients");
    assert_string_equal(c.cases, "*");
    assert_string_equal(c.exclude, "9.*,12.*,13.*");
    assert_true(config_agent_excludes(&c, "Chrome/120", "7.9.1"));
    assert_false(config_agent_excludes(&c, "Firefox/120", "7.9.1"));
    assert_string_equal(c.warning, "ignored (wsspec has no equivalent): options webStatus, "
                                   "autoPingSize, serverConnectionDropTimeout; keys webport");
    config_free(&c);
    assert_null(c.listen.host);
}

/* Autobahn's template (spectemplate.py) and the Docker image's config. */
static void test_server_template(void **state)
{
    (void)state;
    struct run_config c;
    char err[256];
    assert_int_equal(parse_server("{\"url\": \"ws://127.0.0.1:9001\", \"outdir\": "
                                  "\"./reports/clients\", \"cases\": [\"*\"], \"exclude-cases\": "
                                  "[], \"exclude-agent-cases\": {}}",
                                  &c, err, sizeof err),
                     0);
    assert_string_equal(c.listen.host, "127.0.0.1");
    assert_int_equal(c.listen.port, 9001);
    assert_false(c.listen.tls);
    assert_null(c.listen.key);
    assert_int_equal(c.listen.n_protocols, 0);
    assert_true(c.listen.timeout_scale == 1.0);
    assert_null(c.exclude);
    assert_string_equal(c.warning, "");
    config_free(&c);

    /* only the url: everything selected, Autobahn's report directory */
    assert_int_equal(parse_server("{\"url\": \"ws://localhost\"}", &c, err, sizeof err), 0);
    assert_null(c.cases);
    assert_string_equal(c.outdir, CONFIG_SERVER_OUTDIR);
    assert_int_equal(c.listen.port, 80); /* RFC 6455 3: the default for ws */
    config_free(&c);
}

static void test_server_urls(void **state)
{
    (void)state;
    static const struct {
        const char *url;
        const char *host;
        unsigned port;
        bool tls;
        const char *warning;
    } ok[] = {
        {"ws://h:1", "h", 1, false, ""},
        {"WS://Example.Test:65535/", "Example.Test", 65535, false, ""},
        {"wss://h", "h", 443, true, ""},
        {"ws://[::1]:9001", "::1", 9001, false, ""},
        {"ws://[fe80::1]", "fe80::1", 80, false, ""},
        {"ws://0.0.0.0:0", "0.0.0.0", 0, false, ""}, /* port 0: the system chooses */
        {"ws://h:1/chat", "h", 1, false, "ignored (wsspec has no equivalent): keys url path"},
        {"ws://h:1?x=1", "h", 1, false, "ignored (wsspec has no equivalent): keys url path"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char text[256], err[256];
        snprintf(text, sizeof text, "{\"url\": \"%s\"%s}", ok[i].url,
                 ok[i].tls ? ", \"key\": \"k\", \"cert\": \"c\"" : "");
        struct run_config c;
        if (parse_server(text, &c, err, sizeof err) != 0)
            fail_msg("%s: %s", ok[i].url, err);
        assert_string_equal(c.listen.host, ok[i].host);
        assert_int_equal(c.listen.port, ok[i].port);
        assert_int_equal(c.listen.tls, ok[i].tls);
        assert_string_equal(c.warning, ok[i].warning);
        config_free(&c);
    }

    /* key and cert with ws://: Autobahn listens without TLS; so does wsspec, and says so */
    struct run_config c;
    char err[256];
    assert_int_equal(parse_server("{\"url\": \"ws://h:1\", \"key\": \"k\", \"cert\": \"c\"}", &c,
                                  err, sizeof err),
                     0);
    assert_null(c.listen.key);
    assert_null(c.listen.cert);
    assert_string_equal(c.warning, "ignored (wsspec has no equivalent): keys key, cert");
    config_free(&c);
}

static void test_server_errors(void **state)
{
    (void)state;
    static const struct bad bad[] = {
        {"{}", "no \"url\" (where to listen"},
        {"[]", "expected an object (Autobahn's fuzzingserver.json), got an array"},
        {"{\"url\": 9001}", "config.url: expected a string, got a number"},
        {"{\"url\": \"http://h:1\"}", "url: 'http://h:1' is not a ws:// or wss:// URL"},
        {"{\"url\": \"127.0.0.1:9001\"}", "is not a ws:// or wss:// URL"},
        {"{\"url\": \"ws://:9001\"}", "no host to listen on"},
        {"{\"url\": \"ws://\"}", "no host to listen on"},
        {"{\"url\": \"ws://[]:1\"}", "no host to listen on"},
        {"{\"url\": \"ws://h:\"}", "the port is not a number 0..65535"},
        {"{\"url\": \"ws://h:65536\"}", "the port is not a number"},
        {"{\"url\": \"ws://h:1a\"}", "the port is not a number"},
        {"{\"url\": \"ws://h:0000001\"}", "the port is not a number"},
        {"{\"url\": \"ws://[::1]x\"}", "the port is not a number"},
        {"{\"url\": \"ws://[::1\"}", "'[' without ']'"},
        {"{\"url\": \"ws://u:p@h:1\"}", "a listen URL has no user name"},
        {"{\"url\": \"ws://h h:1\"}", "' ' cannot be in a host"},
        {"{\"url\": \"ws://h:1:2\"}", "the port is not a number"},
        {"{\"url\": \"ws://a:b:c\"}", "the port is not a number"},
        {"{\"url\": \"wss://h:1\"}", "url is wss:// but \"key\" is missing"},
        {"{\"url\": \"wss://h:1\", \"key\": \"k\"}", "\"cert\" is missing (the TLS certificate"},
        {"{\"url\": \"wss://h:1\", \"key\": 1, \"cert\": \"c\"}",
         "config.key: expected a string, got a number"},
        {"{\"url\": \"ws://h:1\", \"protocols\": \"chat\"}",
         "config.protocols: expected a list of strings, got a string"},
        {"{\"url\": \"ws://h:1\", \"protocols\": [\"a,b\"]}", "'a,b' is not a token"},
        {"{\"url\": \"ws://h:1\", \"options\": [1]}", "options: expected an object, got an array"},
        {"{\"url\": \"ws://h:1\", \"options\": {\"closeHandshakeTimeout\": 0}}",
         "options.closeHandshakeTimeout: expected a number of seconds > 0"},
        {"{\"url\": \"ws://h:1\", \"cases\": []}", "cases: the list is empty"},
        {"{\"url\": \"ws://h:1\", \"outdir\": \"\"}", "outdir: empty"},
        {"{\"url\": \"ws://h:1\", \"exclude-agent-cases\": {\"a\": [2]}}",
         "exclude-agent-cases[\"a\"][0]: expected a string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct run_config c;
        char err[256] = "";
        int rc = parse_server(bad[i].text, &c, err, sizeof err);
        if (rc != -1 || !strstr(err, bad[i].msg))
            fail_msg("input %zu %s: rc %d, message '%s', want '%s'", i, bad[i].text, rc, err,
                     bad[i].msg);
        assert_null(c.listen.url);
        assert_null(c.listen.host);
        assert_null(c.outdir);
        config_free(&c);
    }
    /* a long host */
    char text[600];
    int n = snprintf(text, sizeof text, "{\"url\": \"ws://");
    for (int i = 0; i < CONFIG_MAX_HOST + 1; i++)
        text[n++] = 'h';
    snprintf(text + n, sizeof text - (size_t)n, ":1\"}");
    struct run_config c;
    char err[256];
    assert_int_equal(parse_server(text, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "a host of more than 253 characters"));
    /* 253 characters: fine */
    n = snprintf(text, sizeof text, "{\"url\": \"ws://");
    for (int i = 0; i < CONFIG_MAX_HOST; i++)
        text[n++] = 'h';
    snprintf(text + n, sizeof text - (size_t)n, ":1\"}");
    assert_int_equal(parse_server(text, &c, err, sizeof err), 0);
    assert_int_equal(strlen(c.listen.host), CONFIG_MAX_HOST);
    config_free(&c);
}

/* A file of one form given to the command that reads the other: refused, naming both. */
static void test_wrong_form(void **state)
{
    (void)state;
    struct run_config c;
    char err[384];
    assert_int_equal(parse(server_config, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "this is a fuzzingserver.json"));
    assert_non_null(strstr(err, "`wsspec serve --config` reads it"));
    assert_non_null(strstr(err, "`wsspec run --config` needs a fuzzingclient.json"));
    assert_int_equal(c.form, CONFIG_FUZZINGCLIENT);
    config_free(&c);

    assert_int_equal(parse_server(full_config, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "this is a fuzzingclient.json"));
    assert_non_null(strstr(err, "`wsspec run --config` reads it"));
    assert_non_null(strstr(err, "`wsspec serve --config` needs a fuzzingserver.json"));
    assert_int_equal(c.form, CONFIG_FUZZINGSERVER);
    assert_null(c.listen.url);
    config_free(&c);

    /* a file with both: each command reads its own part and names the other's */
    const char *both = "{\"url\": \"ws://h:1\", \"servers\": [{\"url\": \"ws://h:2\"}]}";
    assert_int_equal(parse(both, &c, err, sizeof err), 0);
    assert_int_equal(c.n_servers, 1);
    assert_string_equal(c.warning, "ignored (wsspec has no equivalent): keys url");
    config_free(&c);
    assert_int_equal(parse_server(both, &c, err, sizeof err), 0);
    assert_int_equal(c.listen.port, 1);
    assert_string_equal(c.warning, "ignored (wsspec has no equivalent): keys servers");
    config_free(&c);

    /* each form's own option names are unknown to the other */
    assert_int_equal(
        parse("{\"servers\": [{\"url\": \"ws://h/\"}], \"options\": {\"versions\": [13], "
              "\"maskServerFrames\": false}}",
              &c, err, sizeof err),
        0);
    assert_string_equal(c.warning,
                        "ignored (wsspec has no equivalent): options versions, maskServerFrames");
    config_free(&c);
    assert_int_equal(parse_server("{\"url\": \"ws://h:1\", \"options\": {\"version\": 18, "
                                  "\"maskClientFrames\": true}}",
                                  &c, err, sizeof err),
                     0);
    assert_string_equal(c.warning,
                        "ignored (wsspec has no equivalent): options version, maskClientFrames");
    config_free(&c);
    /* a server-side option with another value than wsspec's */
    assert_int_equal(parse_server("{\"url\": \"ws://h:1\", \"options\": {\"versions\": [8, 13], "
                                  "\"requireMaskedClientFrames\": false}}",
                                  &c, err, sizeof err),
                     0);
    assert_string_equal(c.warning, "ignored (wsspec has no equivalent): options versions, "
                                   "requireMaskedClientFrames");
    config_free(&c);
}

static void test_server_load(void **state)
{
    (void)state;
    struct run_config c;
    char err[512];
    char path[] = "/tmp/wsspec-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(server_config, f);
    fclose(f);
    assert_int_equal(config_load_as(CONFIG_FUZZINGSERVER, path, &c, err, sizeof err), 0);
    assert_int_equal(c.listen.port, 9443);
    config_free(&c);
    assert_int_equal(config_load(path, &c, err, sizeof err), -1);
    assert_int_equal(strncmp(err, path, strlen(path)), 0);
    assert_non_null(strstr(err, "this is a fuzzingserver.json"));
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_file),       cmocka_unit_test(test_template),
        cmocka_unit_test(test_errors),          cmocka_unit_test(test_limits),
        cmocka_unit_test(test_one_line),        cmocka_unit_test(test_glob),
        cmocka_unit_test(test_agent_rules),     cmocka_unit_test(test_load),
        cmocka_unit_test(test_empty_key),       cmocka_unit_test(test_server_full),
        cmocka_unit_test(test_server_template), cmocka_unit_test(test_server_urls),
        cmocka_unit_test(test_server_errors),   cmocka_unit_test(test_wrong_form),
        cmocka_unit_test(test_server_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

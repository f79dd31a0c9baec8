/*
 * config.c - reading Autobahn|Testsuite's fuzzingclient.json and fuzzingserver.json
 * (config.h) with jansson: one walk over the tree, the keys the two forms share read by
 * the same code, each form's own keys (servers; url, key, cert, protocols) by its own.
 *
 * The file is the user's, written for another tool: keys wsspec knows are checked for
 * type and turned into run settings; options wsspec cannot honour and keys it does not
 * know are collected into one warning line instead of failing the run, because
 * Autobahn itself ignores what it does not use (its shipped examples carry keys such
 * as "webport" that nothing reads). A key wsspec needs with the wrong type is an
 * error that names the key and the type it found.
 */
#include "errmsg.h"
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

/* ------------------------------------------------------------ the warning line */

/* Names of what was ignored, in the order met, each once. */
struct ignored {
    char options[320];
    char keys[160];
};

static void add_name(char *list, size_t cap, const char *name)
{
    /* An empty key ("": 1) is named the way the file spells it: it must show like any
     * other, and an empty name would make the duplicate scan below loop forever
     * (strstr finds "" at every position and the scan advances by its length, 0). */
    if (!*name)
        name = "\"\"";
    size_t n = strlen(name), used = strlen(list);
    /* already listed? (whole names between ", ") */
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += n) {
        bool starts = p == list || (p >= list + 2 && p[-2] == ',' && p[-1] == ' ');
        bool ends = p[n] == '\0' || p[n] == ',';
        if (starts && ends)
            return;
    }
    if (used + (used ? 2 : 0) + n + 1 > cap) {
        /* a list this long is cut: the line stays one line, and "..." says so */
        if (used + 5 <= cap && (used < 4 || strcmp(list + used - 3, "...") != 0))
            snprintf(list + used, cap - used, "%s...", used ? ", " : "");
        return;
    }
    snprintf(list + used, cap - used, "%s%s", used ? ", " : "", name);
}

/* ------------------------------------------------------------ protocol options */

/* Which forms an option (or key) belongs to. */
#define F_CLIENT (1u << CONFIG_FUZZINGCLIENT)
#define F_SERVER (1u << CONFIG_FUZZINGSERVER)
#define F_BOTH (F_CLIENT | F_SERVER)

static const char *form_file(enum config_form form)
{
    return form == CONFIG_FUZZINGSERVER ? "fuzzingserver.json" : "fuzzingclient.json";
}

/* Autobahn's protocol timeouts and the values wsspec uses (peer.c, the same as
 * Autobahn's defaults: catalogue 2.4). serverConnectionDropTimeout is a client's
 * option: how long the fuzzer as client waits for the server to drop TCP. */
static const struct {
    const char *name;
    double wsspec_s;
    unsigned forms;
} timeouts[] = {
    {"openHandshakeTimeout", 5.0, F_BOTH},
    {"closeHandshakeTimeout", 1.0, F_BOTH},
    {"serverConnectionDropTimeout", 1.0, F_CLIENT},
};

/* Options whose value, when it is this one, is what wsspec does anyway: accepted
 * without a word (failByDrop false is in every Autobahn example). The JSON text is
 * compared after jansson has parsed it, so `18` and `18.0` differ: Autobahn's
 * examples write integers. The fuzzingserver rows are what RFC 6455 asks of a server
 * and what `wsspec serve` must therefore do: accept version 13 only (4.2.2), never
 * mask (5.1), fail an unmasked client frame (5.1). */
static const struct {
    const char *name;
    const char *value; /* JSON text */
    unsigned forms;
} same_as_wsspec[] = {
    {"failByDrop", "false", F_BOTH},          /* wsspec fails with a Close, then drops */
    {"version", "18", F_CLIENT},              /* Autobahn's name for RFC 6455 */
    {"versions", "[13]", F_SERVER},           /* the versions a server accepts */
    {"utf8validateIncoming", "true", F_BOTH}, /* text is validated incrementally */
    {"acceptMaskedServerFrames", "false", F_CLIENT},
    {"maskClientFrames", "true", F_CLIENT},
    {"maskServerFrames", "false", F_SERVER},
    {"requireMaskedClientFrames", "true", F_SERVER},
    {"applyMask", "true", F_BOTH},
    {"tcpNoDelay", "true", F_BOTH},       /* the peer sets TCP_NODELAY */
    {"maxFramePayloadSize", "0", F_BOTH}, /* no limit below the case's own sizes */
    {"maxMessagePayloadSize", "0", F_BOTH},
    {"autoFragmentSize", "0", F_BOTH},
    {"autoPingInterval", "0", F_BOTH}, /* the peer never pings on its own */
    {"autoPingTimeout", "0", F_BOTH},
    {"allowHixie76", "false", F_BOTH},
    {"perMessageCompressionOffers", "[]", F_CLIENT}, /* no permessage-deflate offer (yet) */
};

static bool json_equals_text(const json_t *v, const char *text)
{
    json_t *w = json_loads(text, JSON_DECODE_ANY, NULL);
    bool eq = w && json_equal(v, w);
    json_decref(w);
    return eq;
}

/* One options object (global, per server, or the listener's) applied onto *scale.
 * where = "options" or "servers[1].options" for messages. */
static int apply_options(enum config_form form, const json_t *opts, const char *where,
                         double *scale, struct ignored *ig, char *err, size_t cap)
{
    if (!opts || json_is_null(opts))
        return 0;
    if (!json_is_object(opts))
        return errmsg_fail(err, cap, "%s: expected an object, got %s", where, type_name(opts));
    unsigned f = 1u << form;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)opts, key, v)
    {
        bool known = false;
        for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
            if (!(timeouts[i].forms & f) || strcmp(key, timeouts[i].name) != 0)
                continue;
            known = true;
            if (!json_is_number(v) || !(json_number_value(v) > 0))
                return errmsg_fail(err, cap, "%s.%s: expected a number of seconds > 0, got %s",
                                   where, key, json_is_number(v) ? "a number <= 0" : type_name(v));
            double r = json_number_value(v) / timeouts[i].wsspec_s;
            /* Only ever lengthen: the scale stretches the case timers too, and a
             * shorter timer could fail a conformant peer that is merely slow. */
            if (r > *scale)
                *scale = r;
            else if (r < 1)
                add_name(ig->options, sizeof ig->options, key);
        }
        for (size_t i = 0; !known && i < sizeof same_as_wsspec / sizeof same_as_wsspec[0]; i++) {
            if ((same_as_wsspec[i].forms & f) && strcmp(key, same_as_wsspec[i].name) == 0) {
                known = true;
                if (!json_equals_text(v, same_as_wsspec[i].value))
                    add_name(ig->options, sizeof ig->options, key);
            }
        }
        if (!known)
            add_name(ig->options, sizeof ig->options, key);
    }
    /* The scale multiplies every timer; --timeout-scale has the same bound. */
    if (*scale > 1000)
        return errmsg_fail(err, cap, "%s: a timeout more than 1000 times wsspec's default", where);
    return 0;
}

/* ------------------------------------------------------------ strings and lists */

/* An optional string member: absent and null give NULL. */
static int opt_string(const json_t *obj, const char *key, const char *where, char **out, char *err,
                      size_t cap)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return errmsg_fail(err, cap, "%s.%s: expected a string, got %s", where, key, type_name(v));
    *out = strdup(json_string_value(v));
    return *out ? 0 : errmsg_fail(err, cap, "out of memory");
}

/* A list of case patterns joined with ',' for case_select. Entries must be non-empty
 * and free of ',' (the list separator; no case id contains one). */
static int pattern_list(const json_t *v, const char *where, char **joined, char *err, size_t cap)
{
    *joined = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return errmsg_fail(err, cap, "%s: expected a list of case ids or patterns, got %s", where,
                           type_name(v));
    size_t total = 1, i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e))
            return errmsg_fail(err, cap, "%s[%zu]: expected a string, got %s", where, i,
                               type_name(e));
        const char *s = json_string_value(e);
        if (!*s)
            return errmsg_fail(err, cap, "%s[%zu]: an empty pattern", where, i);
        if (strchr(s, ','))
            return errmsg_fail(err, cap, "%s[%zu]: '%.60s' contains ',' (one pattern per entry)",
                               where, i, s);
        total += strlen(s) + 1;
    }
    char *out = malloc(total);
    if (!out)
        return errmsg_fail(err, cap, "out of memory");
    size_t used = 0;
    json_array_foreach(v, i, e)
    {
        size_t n = strlen(json_string_value(e));
        if (used)
            out[used++] = ',';
        memcpy(out + used, json_string_value(e), n);
        used += n;
    }
    out[used] = '\0';
    *joined = out;
    return 0;
}

static bool has_crlf(const char *s)
{
    return s && strpbrk(s, "\r\n") != NULL;
}

/* A "protocols" list: HTTP tokens, at most CONFIG_MAX_PROTOCOLS. where = "servers[0]"
 * or "config" for messages. */
static int parse_protocols(const json_t *protos, const char *where, char ***out, size_t *n_out,
                           char *err, size_t cap)
{
    if (!protos || json_is_null(protos))
        return 0;
    if (!json_is_array(protos))
        return errmsg_fail(err, cap, "%s.protocols: expected a list of strings, got %s", where,
                           type_name(protos));
    size_t n = json_array_size(protos);
    if (n > CONFIG_MAX_PROTOCOLS)
        return errmsg_fail(err, cap, "%s.protocols: at most %d subprotocols", where,
                           CONFIG_MAX_PROTOCOLS);
    *out = calloc(n ? n : 1, sizeof **out);
    if (!*out)
        return errmsg_fail(err, cap, "out of memory");
    for (size_t k = 0; k < n; k++) {
        const json_t *p = json_array_get(protos, k);
        if (!json_is_string(p))
            return errmsg_fail(err, cap, "%s.protocols[%zu]: expected a string, got %s", where, k,
                               type_name(p));
        const char *ps = json_string_value(p);
        /* a subprotocol is an HTTP token (RFC 6455 4.1): no separators, no blanks */
        if (!*ps || strpbrk(ps, " \t\r\n,;\"()<>@:/[]?={}\\"))
            return errmsg_fail(err, cap, "%s.protocols[%zu]: '%.60s' is not a token", where, k, ps);
        (*out)[k] = strdup(ps);
        if (!(*out)[k])
            return errmsg_fail(err, cap, "out of memory");
        (*n_out)++;
    }
    return 0;
}

/* ------------------------------------------------------------ servers */

static const char *const server_keys[] = {"url",    "agent",     "hostname",
                                          "origin", "protocols", "options"};

static int parse_server(const json_t *sv, size_t i, const json_t *global_opts,
                        struct config_server *s, struct ignored *ig, char *err, size_t cap)
{
    char where[40];
    snprintf(where, sizeof where, "servers[%zu]", i);
    if (!json_is_object(sv))
        return errmsg_fail(err, cap, "%s: expected an object, got %s", where, type_name(sv));
    const json_t *url = json_object_get(sv, "url");
    if (!url || json_is_null(url))
        return errmsg_fail(err, cap, "%s: no \"url\" (ws://host:port/path)", where);
    if (opt_string(sv, "url", where, &s->url, err, cap) ||
        opt_string(sv, "agent", where, &s->agent, err, cap) ||
        opt_string(sv, "hostname", where, &s->hostname, err, cap) ||
        opt_string(sv, "origin", where, &s->origin, err, cap))
        return -1;
    if (s->agent && strlen(s->agent) > CONFIG_MAX_AGENT)
        return errmsg_fail(err, cap, "%s.agent: longer than %d bytes", where, CONFIG_MAX_AGENT);
    if (s->agent && !*s->agent)
        return errmsg_fail(err, cap, "%s.agent: empty (leave it out to use the Server header)",
                           where);
    if (has_crlf(s->origin))
        return errmsg_fail(err, cap, "%s.origin: contains a line break", where);

    if (parse_protocols(json_object_get(sv, "protocols"), where, &s->protocols, &s->n_protocols,
                        err, cap))
        return -1;

    s->timeout_scale = 1.0;
    char owhere[56];
    snprintf(owhere, sizeof owhere, "%s.options", where);
    if (apply_options(CONFIG_FUZZINGCLIENT, global_opts, "options", &s->timeout_scale, ig, err,
                      cap) ||
        apply_options(CONFIG_FUZZINGCLIENT, json_object_get(sv, "options"), owhere,
                      &s->timeout_scale, ig, err, cap))
        return -1;

    const char *key;
    json_t *v;
    json_object_foreach((json_t *)sv, key, v)
    {
        bool known = false;
        for (size_t k = 0; k < sizeof server_keys / sizeof server_keys[0]; k++)
            known = known || !strcmp(key, server_keys[k]);
        if (!known) {
            char name[112];
            snprintf(name, sizeof name, "%s.%.60s", where, key);
            add_name(ig->keys, sizeof ig->keys, name);
        }
    }
    /* TLS lands separately (issue 6, item 5); until the peer takes a server name the
     * key is kept (the run can pass it on) but says it had no effect. */
    if (s->hostname)
        add_name(ig->keys, sizeof ig->keys, "hostname");
    return 0;
}

/* ------------------------------------------------------------ exclude-agent-cases */

static int parse_rules(const json_t *v, struct run_config *c, char *err, size_t cap)
{
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return errmsg_fail(
            err, cap,
            "exclude-agent-cases: expected an object {agent pattern: [case patterns]}, "
            "got %s",
            type_name(v));
    size_t n = json_object_size(v);
    c->rules = calloc(n ? n : 1, sizeof *c->rules);
    if (!c->rules)
        return errmsg_fail(err, cap, "out of memory");
    const char *key;
    json_t *list;
    json_object_foreach((json_t *)v, key, list)
    {
        struct config_agent_rule *r = &c->rules[c->n_rules++];
        r->agent = strdup(key);
        if (!r->agent)
            return errmsg_fail(err, cap, "out of memory");
        if (!json_is_array(list))
            return errmsg_fail(err, cap, "exclude-agent-cases[\"%.60s\"]: expected a list, got %s",
                               key, type_name(list));
        size_t m = json_array_size(list);
        r->cases = calloc(m ? m : 1, sizeof *r->cases);
        if (!r->cases)
            return errmsg_fail(err, cap, "out of memory");
        for (size_t k = 0; k < m; k++) {
            const json_t *e = json_array_get(list, k);
            if (!json_is_string(e))
                return errmsg_fail(err, cap,
                                   "exclude-agent-cases[\"%.60s\"][%zu]: expected a string, got %s",
                                   key, k, type_name(e));
            r->cases[k] = strdup(json_string_value(e));
            if (!r->cases[k])
                return errmsg_fail(err, cap, "out of memory");
            r->n_cases++;
        }
    }
    return 0;
}

/* ------------------------------------------------------------ the file */

/* The top-level keys of each form. */
static const struct {
    const char *key;
    unsigned forms;
} top_keys[] = {
    {"servers", F_CLIENT},     {"url", F_SERVER},
    {"key", F_SERVER},         {"cert", F_SERVER},
    {"protocols", F_SERVER},   {"options", F_BOTH},
    {"outdir", F_BOTH},        {"cases", F_BOTH},
    {"exclude-cases", F_BOTH}, {"exclude-agent-cases", F_BOTH},
};

static int parse_servers(const json_t *root, struct run_config *c, struct ignored *ig, char *err,
                         size_t cap)
{
    const json_t *opts = json_object_get(root, "options");
    const json_t *servers = json_object_get(root, "servers");
    if ((!servers || json_is_null(servers)) && json_object_get(root, "url"))
        return errmsg_fail(err, cap,
                           "this is a fuzzingserver.json (a listen \"url\", no \"servers\"): "
                           "`wsspec serve --config` reads it; `wsspec run --config` needs a "
                           "fuzzingclient.json with a \"servers\" list");
    if (!servers || json_is_null(servers))
        return errmsg_fail(err, cap, "no \"servers\" list: nothing to test");
    if (!json_is_array(servers))
        return errmsg_fail(err, cap, "servers: expected a list, got %s", type_name(servers));
    size_t n = json_array_size(servers);
    if (n == 0)
        return errmsg_fail(err, cap, "servers: the list is empty: nothing to test");
    if (n > CONFIG_MAX_SERVERS)
        return errmsg_fail(err, cap, "servers: at most %d servers in one run, not %zu",
                           CONFIG_MAX_SERVERS, n);
    c->servers = calloc(n, sizeof *c->servers);
    if (!c->servers)
        return errmsg_fail(err, cap, "out of memory");
    for (size_t i = 0; i < n; i++) {
        c->n_servers++;
        if (parse_server(json_array_get(servers, i), i, opts, &c->servers[i], ig, err, cap))
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ the listen URL */

static bool host_char(char ch, bool bracketed)
{
    unsigned char u = (unsigned char)ch;
    if ((u | 0x20) >= 'a' && (u | 0x20) <= 'z')
        return true;
    if ((u >= '0' && u <= '9') || u == '.' || u == '-' || u == '_' || u == '~')
        return true;
    return bracketed && u == ':';
}

/* ws://host[:port][/...] or wss://...: scheme, host (a name, IPv4, or [IPv6]) and port
 * into l; *rest = what follows the authority ("" or a path). */
static int parse_listen_url(struct config_listen *l, const char **rest, char *err, size_t cap)
{
    const char *u = l->url;
    size_t skip = 0;
    if (strncasecmp(u, "ws://", 5) == 0) {
        skip = 5;
    } else if (strncasecmp(u, "wss://", 6) == 0) {
        skip = 6;
        l->tls = true;
    } else {
        return errmsg_fail(err, cap, "url: '%.60s' is not a ws:// or wss:// URL", u);
    }
    const char *h = u + skip, *end = h + strcspn(h, "/?#");
    if (memchr(h, '@', (size_t)(end - h)))
        return errmsg_fail(err, cap, "url: '%.60s': a listen URL has no user name", u);
    const char *hb = h, *he;
    bool bracketed = *h == '[';
    if (bracketed) {
        hb = h + 1;
        he = memchr(hb, ']', (size_t)(end - hb));
        if (!he)
            return errmsg_fail(err, cap, "url: '%.60s': '[' without ']'", u);
    } else {
        he = memchr(h, ':', (size_t)(end - h));
        he = he ? he : end;
    }
    if (he == hb)
        return errmsg_fail(err, cap, "url: '%.60s': no host to listen on", u);
    if ((size_t)(he - hb) > CONFIG_MAX_HOST)
        return errmsg_fail(err, cap, "url: a host of more than %d characters", CONFIG_MAX_HOST);
    for (const char *p = hb; p < he; p++)
        if (!host_char(*p, bracketed))
            return errmsg_fail(err, cap, "url: '%.60s': '%c' cannot be in a host", u,
                               (unsigned char)*p >= 0x20 && *p != 0x7F ? *p : '?');
    l->host = strndup(hb, (size_t)(he - hb));
    if (!l->host)
        return errmsg_fail(err, cap, "out of memory");
    const char *pp = he + (bracketed ? 1 : 0);
    /* RFC 6455 section 3: "The port component is OPTIONAL; the default for "ws" is port
     * 80, while the default port for "wss" is port 443." */
    l->port = l->tls ? 443 : 80;
    if (pp < end) {
        if (*pp != ':' || pp + 1 == end || end - pp > 6)
            return errmsg_fail(err, cap, "url: '%.60s': the port is not a number 0..65535", u);
        unsigned long port = 0;
        for (const char *d = pp + 1; d < end; d++) {
            if (*d < '0' || *d > '9')
                return errmsg_fail(err, cap, "url: '%.60s': the port is not a number 0..65535", u);
            port = port * 10 + (unsigned long)(*d - '0');
        }
        if (port > 65535)
            return errmsg_fail(err, cap, "url: '%.60s': the port is not a number 0..65535", u);
        l->port = (uint16_t)port;
    }
    *rest = end;
    return 0;
}

/* url, key, cert, protocols and options of a fuzzingserver.json. */
static int parse_listen(const json_t *root, struct run_config *c, struct ignored *ig, char *err,
                        size_t cap)
{
    struct config_listen *l = &c->listen;
    const json_t *url = json_object_get(root, "url");
    if ((!url || json_is_null(url)) && json_object_get(root, "servers"))
        return errmsg_fail(err, cap,
                           "this is a fuzzingclient.json (a \"servers\" list, no listen "
                           "\"url\"): `wsspec run --config` reads it; `wsspec serve --config` "
                           "needs a fuzzingserver.json with a \"url\" to listen on");
    if (!url || json_is_null(url))
        return errmsg_fail(err, cap, "no \"url\" (where to listen: ws://host:port)");
    const char *rest = "";
    if (opt_string(root, "url", "config", &l->url, err, cap) ||
        parse_listen_url(l, &rest, err, cap) ||
        opt_string(root, "key", "config", &l->key, err, cap) ||
        opt_string(root, "cert", "config", &l->cert, err, cap) ||
        parse_protocols(json_object_get(root, "protocols"), "config", &l->protocols,
                        &l->n_protocols, err, cap))
        return -1;
    if (*rest && strcmp(rest, "/") != 0)
        add_name(ig->keys, sizeof ig->keys, "url path");
    if (l->tls && (!l->key || !l->cert))
        return errmsg_fail(err, cap, "url is wss:// but \"%s\" is missing (the TLS %s file, PEM)",
                           l->key ? "cert" : "key", l->key ? "certificate" : "private key");
    if (!l->tls && (l->key || l->cert)) {
        /* Autobahn listens without TLS on a ws:// URL whatever key and cert say */
        add_name(ig->keys, sizeof ig->keys, l->key ? "key" : "cert");
        if (l->key && l->cert)
            add_name(ig->keys, sizeof ig->keys, "cert");
        free(l->key);
        free(l->cert);
        l->key = l->cert = NULL;
    }
    l->timeout_scale = 1.0;
    return apply_options(CONFIG_FUZZINGSERVER, json_object_get(root, "options"), "options",
                         &l->timeout_scale, ig, err, cap);
}

/* ------------------------------------------------------------ the file */

/* cases, exclude-cases, exclude-agent-cases, outdir: the same in both forms. */
static int parse_selection(const json_t *root, struct run_config *c, char *err, size_t cap)
{
    const json_t *cases = json_object_get(root, "cases");
    if (pattern_list(cases, "cases", &c->cases, err, cap) ||
        pattern_list(json_object_get(root, "exclude-cases"), "exclude-cases", &c->exclude, err,
                     cap))
        return -1;
    /* Autobahn runs nothing for "cases": []; so would a selection of nothing here, but
     * an empty comma list means "all" to case_select. Say it instead. */
    if (c->cases && !*c->cases)
        return errmsg_fail(err, cap, "cases: the list is empty: nothing to run (\"*\" = all)");
    if (c->exclude && !*c->exclude) {
        free(c->exclude);
        c->exclude = NULL;
    }
    if (parse_rules(json_object_get(root, "exclude-agent-cases"), c, err, cap) ||
        opt_string(root, "outdir", "config", &c->outdir, err, cap))
        return -1;
    if (c->outdir && !*c->outdir)
        return errmsg_fail(err, cap, "outdir: empty");
    if (!c->outdir && c->form == CONFIG_FUZZINGSERVER &&
        !(c->outdir = strdup(CONFIG_SERVER_OUTDIR)))
        return errmsg_fail(err, cap, "out of memory");
    return 0;
}

static int parse_root(const json_t *root, struct run_config *c, char *err, size_t cap)
{
    if (!json_is_object(root))
        return errmsg_fail(err, cap, "expected an object (Autobahn's %s), got %s",
                           form_file(c->form), type_name(root));
    struct ignored ig = {{0}, {0}};
    const json_t *opts = json_object_get(root, "options");
    if (opts && !json_is_null(opts) && !json_is_object(opts))
        return errmsg_fail(err, cap, "options: expected an object, got %s", type_name(opts));
    if ((c->form == CONFIG_FUZZINGSERVER ? parse_listen(root, c, &ig, err, cap)
                                         : parse_servers(root, c, &ig, err, cap)) ||
        parse_selection(root, c, err, cap))
        return -1;

    unsigned f = 1u << c->form;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)root, key, v)
    {
        bool known = false;
        for (size_t k = 0; k < sizeof top_keys / sizeof top_keys[0]; k++)
            known = known || ((top_keys[k].forms & f) && !strcmp(key, top_keys[k].key));
        if (!known)
            add_name(ig.keys, sizeof ig.keys, key);
    }
    if (ig.options[0] || ig.keys[0])
        snprintf(c->warning, sizeof c->warning, "ignored (wsspec has no equivalent): %s%s%s%s%s",
                 ig.options[0] ? "options " : "", ig.options,
                 ig.options[0] && ig.keys[0] ? "; " : "", ig.keys[0] ? "keys " : "", ig.keys);
    return 0;
}

int config_parse_as(enum config_form form, const char *text, size_t len, struct run_config *out,
                    char *err, size_t cap)
{
    json_error_t je;
    memset(out, 0, sizeof *out);
    out->form = form == CONFIG_FUZZINGSERVER ? CONFIG_FUZZINGSERVER : CONFIG_FUZZINGCLIENT;
    if (cap)
        err[0] = '\0';
    if (len > CONFIG_MAX_BYTES)
        return errmsg_fail(err, cap, "larger than %d bytes: not a %s", CONFIG_MAX_BYTES,
                           form_file(out->form));
    json_t *root = json_loadb(text, len, 0, &je);
    if (!root) {
        errmsg_fail(err, cap, "line %d, column %d: %s", je.line, je.column, je.text);
        if (cap)
            errmsg_one_line(err);
        return -1;
    }
    int rc = parse_root(root, out, err, cap);
    json_decref(root);
    if (rc) {
        enum config_form f = out->form;
        config_free(out);
        out->form = f;
    }
    if (cap)
        errmsg_one_line(err);
    errmsg_one_line(out->warning);
    return rc;
}

int config_parse(const char *text, size_t len, struct run_config *out, char *err, size_t cap)
{
    return config_parse_as(CONFIG_FUZZINGCLIENT, text, len, out, err, cap);
}

int config_load_as(enum config_form form, const char *path, struct run_config *out, char *err,
                   size_t cap)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return errmsg_fail(err, cap, "%s: %s", path, strerror(errno));
    char *buf = malloc(CONFIG_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        return errmsg_fail(err, cap, "%s: out of memory", path);
    }
    size_t n = fread(buf, 1, CONFIG_MAX_BYTES + 1, f);
    int read_err = ferror(f);
    fclose(f);
    if (read_err) {
        free(buf);
        return errmsg_fail(err, cap, "%s: read error", path);
    }
    char msg[384];
    int rc = config_parse_as(form, buf, n, out, msg, sizeof msg);
    free(buf);
    if (rc)
        return errmsg_fail(err, cap, "%s: %s", path, msg);
    return 0;
}

int config_load(const char *path, struct run_config *out, char *err, size_t cap)
{
    return config_load_as(CONFIG_FUZZINGCLIENT, path, out, err, cap);
}

void config_free(struct run_config *c)
{
    for (size_t i = 0; i < c->n_servers; i++) {
        struct config_server *s = &c->servers[i];
        free(s->url);
        free(s->agent);
        free(s->hostname);
        free(s->origin);
        for (size_t k = 0; k < s->n_protocols; k++)
            free(s->protocols[k]);
        free(s->protocols);
    }
    free(c->servers);
    for (size_t i = 0; i < c->n_rules; i++) {
        free(c->rules[i].agent);
        for (size_t k = 0; k < c->rules[i].n_cases; k++)
            free(c->rules[i].cases[k]);
        free(c->rules[i].cases);
    }
    free(c->rules);
    free(c->cases);
    free(c->exclude);
    free(c->outdir);
    struct config_listen *l = &c->listen;
    free(l->url);
    free(l->host);
    free(l->key);
    free(l->cert);
    for (size_t k = 0; k < l->n_protocols; k++)
        free(l->protocols[k]);
    free(l->protocols);
    memset(c, 0, sizeof *c);
}

/* ------------------------------------------------------------ matching */

bool config_glob_full(const char *pat, const char *s)
{
    /* Classic glob with one backtrack point: on a mismatch, let the last '*' swallow
     * one more character. A later '*' makes earlier choices irrelevant, so one point is
     * enough. Time O(strlen(pat) * strlen(s)). */
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*pat == '*') {
            star = ++pat;
            resume = s;
        } else if (*pat == *s) {
            pat++;
            s++;
        } else if (star) {
            pat = star;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*pat == '*')
        pat++;
    return *pat == '\0';
}

bool config_agent_excludes(const struct run_config *c, const char *agent, const char *case_id)
{
    for (size_t i = 0; c && i < c->n_rules; i++) {
        if (!config_glob_full(c->rules[i].agent, agent))
            continue;
        for (size_t k = 0; k < c->rules[i].n_cases; k++)
            if (config_glob_full(c->rules[i].cases[k], case_id))
                return true;
    }
    return false;
}

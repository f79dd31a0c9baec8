/*
 * config.h - Autobahn|Testsuite's two spec files, read as is, so a project that tests
 * with `wstest` switches by changing one command:
 *
 *   fuzzingclient.json  (catalogue 4.2) `wsspec run --config FILE` (tests servers),
 *                       was `wstest -m fuzzingclient -s FILE`
 *   fuzzingserver.json  (catalogue 4.3) `wsspec serve --config FILE` (tests clients),
 *                       was `wstest -m fuzzingserver -s FILE`
 *
 * One parser reads both (config_parse_as with the form); the keys they share mean the
 * same in both. A file of the other form is refused with a message that names the
 * form it is and the command that reads it.
 *
 * fuzzingclient.json:
 *
 *   servers[]              the targets, in file order: url (required), agent, origin,
 *                          protocols, hostname, options
 *   options                protocol options for every server; a server's own options
 *                          apply on top
 *
 * fuzzingserver.json:
 *
 *   url                    where wsspec listens: ws://host[:port] or wss://... (required);
 *                          the port defaults as RFC 6455 section 3 says, "the default
 *                          for "ws" is port 80, while the default port for "wss" is
 *                          port 443". wsspec listens on that host only (0.0.0.0
 *                          or :: for every interface). A path is ignored (the client
 *                          names commands as paths) and named in the warning.
 *   key, cert              the TLS key and certificate files (PEM): both required by
 *                          wss://, ignored (and named in the warning) for ws://
 *   options                server-side protocol options
 *   protocols              the subprotocols wsspec accepts
 *   webport                ignored (Autobahn's shipped examples carry it, and Autobahn
 *                          itself ignores it: its web page port is a command-line flag);
 *                          named in the warning
 *
 * Both:
 *
 *   cases, exclude-cases   the selection, with Autobahn's pattern rules (case.h)
 *   exclude-agent-cases    {agent pattern: [case patterns]}: pairs left out; both
 *                          patterns anchored at both ends, '*' = any run of characters
 *   outdir                 the report directory (fuzzingserver form: CONFIG_SERVER_OUTDIR
 *                          when absent, Autobahn's default)
 *
 * Autobahn's protocol options become what wsspec can honour: the protocol timeouts
 * (openHandshakeTimeout, closeHandshakeTimeout, and for the client form
 * serverConnectionDropTimeout) lengthen wsspec's timers through the timeout scale; an
 * option whose value is what wsspec does anyway (failByDrop false, version 18,
 * utf8validateIncoming true, requireMaskedClientFrames true, ...) is accepted
 * silently; every other option, and every unknown top-level key, is ignored and named
 * in one warning line. Parsing never prints.
 *
 * Memory: config_parse allocates; everything reachable from a struct run_config is
 * owned by it until config_free. The struct may be zero-filled before use and freed
 * in any state.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At most as many servers as `wsspec run` takes URLs (run_cmd.c): far beyond real use
 * (Autobahn's published multi-server reports have a handful), and it keeps the run's
 * per-target arrays fixed. */
#define CONFIG_MAX_SERVERS 16
/* Subprotocols per server: the command line's bound (--subprotocol). */
#define CONFIG_MAX_PROTOCOLS 16
/* A fuzzingclient.json is a few hundred bytes; a megabyte means a wrong file. */
#define CONFIG_MAX_BYTES (1024 * 1024)
/* Agent names end up in report_target.agent (report_json.h): 127 bytes and a NUL. */
#define CONFIG_MAX_AGENT 127
/* The report directory of a fuzzingserver.json without "outdir" (Autobahn's). */
#define CONFIG_SERVER_OUTDIR "./reports/clients"
/* A listen URL's host: a DNS name has at most 253 characters. */
#define CONFIG_MAX_HOST 253

/* Which of Autobahn's spec files a file is read as. */
enum config_form {
    CONFIG_FUZZINGCLIENT = 0, /* fuzzingclient.json: wsspec run (tests servers) */
    CONFIG_FUZZINGSERVER,     /* fuzzingserver.json: wsspec serve (tests clients) */
};

struct config_server {
    char *url;        /* as written: ws://... or wss://... */
    char *agent;      /* NULL: the Server header of the 101 response, else host:port */
    char *hostname;   /* TLS server name (Autobahn's SNI key); NULL when absent */
    char *origin;     /* NULL when absent */
    char **protocols; /* subprotocols to offer */
    size_t n_protocols;
    /* >= 1: how much the protocol timeouts in options lengthen wsspec's timers
     * (openHandshakeTimeout / 5 s, closeHandshakeTimeout / 1 s,
     * serverConnectionDropTimeout / 1 s, the largest of them; never below 1) */
    double timeout_scale;
};

/* One exclude-agent-cases entry. */
struct config_agent_rule {
    char *agent;  /* agent pattern */
    char **cases; /* case patterns */
    size_t n_cases;
};

/* fuzzingserver.json: where and how wsspec listens. */
struct config_listen {
    char *url;        /* as written */
    char *host;       /* "127.0.0.1", "localhost", "::1" (without the brackets) */
    uint16_t port;    /* from the URL, else 80 (ws://) or 443 (wss://) */
    bool tls;         /* wss:// */
    char *key, *cert; /* TLS files; both set when tls, both NULL when not */
    char **protocols; /* subprotocols wsspec accepts */
    size_t n_protocols;
    double timeout_scale; /* >= 1, as for a server of the client form */
};

struct run_config {
    enum config_form form;
    /* fuzzingclient form; n_servers is 0 in the fuzzingserver form */
    struct config_server *servers;
    size_t n_servers;
    /* the selection as comma lists for case_select (case.h); NULL = key absent (cases:
     * all; exclude-cases: none) */
    char *cases;
    char *exclude;
    struct config_agent_rule *rules;
    size_t n_rules;
    char *outdir;                /* NULL when absent (fuzzingclient form); CONFIG_SERVER_OUTDIR when
                                    absent (fuzzingserver form) */
    struct config_listen listen; /* fuzzingserver form; all zero in the other */
    /* "" or one line naming what was ignored: "ignored (wsspec has no equivalent):
     * options autoPingInterval, perMessageCompressionOffers; keys webport" */
    char warning[560]; /* room for both lists of struct ignored (config.c) and the words */
};

/* Parse a spec file of the given form held in text[0..len) (need not be
 * NUL-terminated) into out (whose contents are ignored and overwritten: nothing in it
 * is freed). Returns 0, or -1 with one line in err (cap bytes) saying where and why:
 * "line 3, column 14: ...", "servers[1].url: expected a string, got a number",
 * "url: 'http://h:1' is not a ws:// or wss:// URL", "this is a fuzzingserver.json
 * ...". On error out holds nothing that needs freeing (config_free is still safe). */
int config_parse_as(enum config_form form, const char *text, size_t len, struct run_config *out,
                    char *err, size_t cap);

/* config_parse_as(CONFIG_FUZZINGCLIENT, ...): what `wsspec run --config` reads. */
int config_parse(const char *text, size_t len, struct run_config *out, char *err, size_t cap);

/* Read the file at path (at most CONFIG_MAX_BYTES) and parse it as form; err is
 * prefixed with the path. */
int config_load_as(enum config_form form, const char *path, struct run_config *out, char *err,
                   size_t cap);

/* config_load_as(CONFIG_FUZZINGCLIENT, ...). */
int config_load(const char *path, struct run_config *out, char *err, size_t cap);

void config_free(struct run_config *c);

/* Glob match anchored at both ends: '*' is any run of characters (empty included),
 * every other character stands for itself: "1.1.*" matches "1.1.1" and "1.1.10", not
 * "1.10.1"; "7.1.1" matches only itself. Autobahn builds a regular
 * expression with only '.' escaped, so other regex characters in an agent pattern
 * ("+", "(", "[") are special there and literal here: agent names are full of them
 * ("Python/3.11 websockets/10.4"), and a literal match is what a user writing one means. */
bool config_glob_full(const char *pattern, const char *s);

/* True when exclude-agent-cases leaves case_id out for agent. */
bool config_agent_excludes(const struct run_config *c, const char *agent, const char *case_id);

#endif

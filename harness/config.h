/*
 * config.h - `wsspec run --config FILE`: Autobahn|Testsuite's fuzzingclient.json, read
 * as is, so a project that tests its server with `wstest -m fuzzingclient -s FILE`
 * switches by changing that one command (catalogue section 4.2).
 *
 * Keys and what they become:
 *
 *   servers[]              the targets, in file order: url (required), agent, origin,
 *                          protocols, hostname, options
 *   options                protocol options for every server; a server's own options
 *                          apply on top
 *   cases, exclude-cases   the selection, with Autobahn's pattern rules (case.h)
 *   exclude-agent-cases    {agent pattern: [case patterns]}: pairs left out; both
 *                          patterns anchored at both ends, '*' = any run of characters
 *   outdir                 the report directory
 *
 * Autobahn's protocol options become what wsspec can honour: the three protocol
 * timeouts (openHandshakeTimeout, closeHandshakeTimeout, serverConnectionDropTimeout)
 * lengthen that server's timers through the timeout scale; an option whose value is
 * what wsspec does anyway (failByDrop false, version 18, utf8validateIncoming true, ...)
 * is accepted silently; every other option, and every unknown top-level key, is
 * ignored and named in one warning line. Parsing never prints.
 *
 * Memory: config_parse allocates; everything reachable from a struct run_config is
 * owned by it until config_free. The struct may be zero-filled before use and freed
 * in any state.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>

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

struct run_config {
    struct config_server *servers;
    size_t n_servers;
    /* the selection as comma lists for case_select (case.h); NULL = key absent (cases:
     * all; exclude-cases: none) */
    char *cases;
    char *exclude;
    struct config_agent_rule *rules;
    size_t n_rules;
    char *outdir; /* NULL when absent */
    /* "" or one line naming what was ignored: "ignored (wsspec has no equivalent):
     * options autoPingInterval, perMessageCompressionOffers; keys webport" */
    char warning[560]; /* room for both lists of struct ignored (config.c) and the words */
};

/* Parse a fuzzingclient.json held in text[0..len) (need not be NUL-terminated) into out
 * (which must be zero-filled or freed). Returns 0, or -1 with one line in err (cap
 * bytes) saying where and why: "line 3, column 14: ...", "servers[1].url: expected a
 * string, got a number", "servers: at most 16 servers". On error out holds nothing that
 * needs freeing beyond what config_free releases (it is safe to call). */
int config_parse(const char *text, size_t len, struct run_config *out, char *err, size_t cap);

/* Read the file at path (at most CONFIG_MAX_BYTES) and parse it; err is prefixed with
 * the path. */
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

/*
 * config_fuzzer.c - the JSON config reader (config_parse_as, harness/config.h): an
 * Autobahn fuzzingclient.json given to `wsspec run --config` and a fuzzingserver.json
 * given to `wsspec serve --config` - every input is read as both. The JSON syntax
 * itself is jansson's; what is fuzzed here is our walk over whatever tree it returns.
 *
 * Input: one byte choosing the size of the error buffer (1, 16, 80 or 512 bytes: a
 * message cut short must still be one NUL-terminated line), then the file's text.
 *
 * Checked: 0 or -1 and nothing else; after -1, a one-line message inside the buffer
 * and nothing left to free; after 0, what config.h promises - for the client form
 * 1..CONFIG_MAX_SERVERS servers each with a URL, at most CONFIG_MAX_PROTOCOLS
 * subprotocols, agent names of at most CONFIG_MAX_AGENT bytes, a timeout scale of at
 * least 1; for the server form no servers, a listen URL with a host of
 * 1..CONFIG_MAX_HOST characters, key and cert both set exactly when it is wss://, an
 * outdir, the same bounds on subprotocols and the timeout scale; for both, rules with
 * their patterns and a one-line warning; the exclusion rules can be asked about any
 * agent.
 */
#include "fuzz_input.h"

#include <math.h>
#include <strings.h>

#include "config.h"

FUZZ_NOCOV_BEGIN

static void check_line(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    FUZZ_CHECK(n < cap); /* NUL-terminated inside its buffer */
    FUZZ_CHECK(memchr(s, '\n', n) == NULL);
}

static void check_rules(const struct run_config *cfg)
{
    for (size_t i = 0; i < cfg->n_rules; i++) {
        FUZZ_CHECK(cfg->rules[i].agent != NULL);
        for (size_t k = 0; k < cfg->rules[i].n_cases; k++)
            FUZZ_CHECK(cfg->rules[i].cases[k] != NULL);
        /* a pattern always matches itself when it holds no '*' */
        if (!strchr(cfg->rules[i].agent, '*'))
            FUZZ_CHECK(config_glob_full(cfg->rules[i].agent, cfg->rules[i].agent));
    }
    check_line(cfg->warning, sizeof cfg->warning);
}

static void check_client(const struct run_config *cfg)
{
    FUZZ_CHECK(cfg->form == CONFIG_FUZZINGCLIENT && cfg->listen.url == NULL);
    FUZZ_CHECK(cfg->n_servers >= 1 && cfg->n_servers <= CONFIG_MAX_SERVERS);
    for (size_t i = 0; i < cfg->n_servers; i++) {
        const struct config_server *s = &cfg->servers[i];
        FUZZ_CHECK(s->url != NULL);
        FUZZ_CHECK(s->n_protocols <= CONFIG_MAX_PROTOCOLS);
        for (size_t k = 0; k < s->n_protocols; k++)
            FUZZ_CHECK(s->protocols[k] != NULL);
        if (s->agent)
            FUZZ_CHECK(strlen(s->agent) <= CONFIG_MAX_AGENT);
        FUZZ_CHECK(isfinite(s->timeout_scale) && s->timeout_scale >= 1);
        const char *agent = s->agent ? s->agent : "wsspec-fuzz";
        (void)config_agent_excludes(cfg, agent, "1.1.1");
        (void)config_agent_excludes(cfg, agent, "12.3.4");
    }
}

static void check_server(const struct run_config *cfg)
{
    const struct config_listen *l = &cfg->listen;
    FUZZ_CHECK(cfg->form == CONFIG_FUZZINGSERVER);
    FUZZ_CHECK(cfg->n_servers == 0 && cfg->servers == NULL);
    FUZZ_CHECK(l->url != NULL && l->host != NULL && cfg->outdir != NULL);
    size_t hn = strlen(l->host);
    FUZZ_CHECK(hn >= 1 && hn <= CONFIG_MAX_HOST);
    FUZZ_CHECK(strncasecmp(l->url, l->tls ? "wss://" : "ws://", l->tls ? 6 : 5) == 0);
    FUZZ_CHECK(l->tls ? l->key && l->cert : !l->key && !l->cert);
    FUZZ_CHECK(l->n_protocols <= CONFIG_MAX_PROTOCOLS);
    for (size_t k = 0; k < l->n_protocols; k++)
        FUZZ_CHECK(l->protocols[k] != NULL);
    FUZZ_CHECK(isfinite(l->timeout_scale) && l->timeout_scale >= 1);
    (void)config_agent_excludes(cfg, "Chrome/120", "1.1.1");
}

static void run_form(enum config_form form, const struct fuzz_in *in, size_t cap)
{
    char *err = (char *)fuzz_dup(NULL, cap);
    struct run_config cfg;
    memset(&cfg, 0xA5, sizeof cfg); /* config_parse must not rely on a zeroed struct */
    int rc = config_parse_as(form, (const char *)in->p, in->n, &cfg, err, cap);
    FUZZ_CHECK(rc == 0 || rc == -1);
    check_line(err, cap);
    if (rc == -1) {
        FUZZ_CHECK(cap == 1 || err[0] != '\0');
        FUZZ_CHECK(cfg.servers == NULL && cfg.rules == NULL && cfg.cases == NULL);
        FUZZ_CHECK(cfg.listen.url == NULL && cfg.listen.host == NULL && cfg.outdir == NULL);
        config_free(&cfg);
        free(err);
        return;
    }
    if (form == CONFIG_FUZZINGSERVER)
        check_server(&cfg);
    else
        check_client(&cfg);
    check_rules(&cfg);
    config_free(&cfg);
    free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t caps[4] = {1, 16, 80, 512};
    struct fuzz_in in = {data, size};
    size_t cap = caps[fuzz_u8(&in) & 3u];
    run_form(CONFIG_FUZZINGCLIENT, &in, cap);
    run_form(CONFIG_FUZZINGSERVER, &in, cap);
    return 0;
}

FUZZ_NOCOV_END

/*
 * report_ci.c - helpers shared by the JUnit and Markdown writers (report_ci.h): UTF-8
 * decoding that never trusts its input, lookups in the parsed wsspec.json, the
 * baseline file of the run, and the shell-quoted replay commands.
 */
#include "report_ci.h"

#include "baseline.h" /* baseline_passes: the pass rule on verdict strings */
#include "report_render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t report_ci_utf8_next(const char *s, size_t n, uint32_t *cp)
{
    const uint8_t *p = (const uint8_t *)s;
    uint8_t c = p[0], lo = 0x80, hi = 0xBF;
    size_t len;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        v = c & 0x0F;
        lo = c == 0xE0 ? 0xA0 : 0x80; /* overlong */
        hi = c == 0xED ? 0x9F : 0xBF; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        v = c & 0x07;
        lo = c == 0xF0 ? 0x90 : 0x80; /* overlong */
        hi = c == 0xF4 ? 0x8F : 0xBF; /* above U+10FFFF */
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    if (n < len || p[1] < lo || p[1] > hi) {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = v << 6 | (p[i] & 0x3F);
    }
    *cp = v;
    return len;
}

size_t report_ci_utf8_put(uint32_t cp, char *out)
{
    uint8_t *o = (uint8_t *)out;
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (uint8_t)(0xC0 | cp >> 6);
        o[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xE0 | cp >> 12);
        o[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (uint8_t)(0xF0 | cp >> 18);
    o[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

const char *report_ci_str(const json_t *obj, const char *key, size_t *len)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v)) {
        if (len)
            *len = 0;
        return "";
    }
    if (len)
        *len = json_string_length(v);
    return json_string_value(v);
}

enum verdict_mode report_ci_verdict_mode(const json_t *run)
{
    const char *v = report_ci_str(json_object_get(run, "options"), "verdict", NULL);
    if (!strcmp(v, "autobahn"))
        return VERDICT_AUTOBAHN;
    if (!strcmp(v, "rfc"))
        return VERDICT_RFC;
    return VERDICT_BOTH;
}

void report_ci_rfc_pair(const json_t *c, const char **behavior, const char **behavior_close)
{
    const json_t *b = json_object_get(c, "rfcBehavior"),
                 *bc = json_object_get(c, "rfcBehaviorClose");
    bool has = json_is_string(b) && json_is_string(bc);
    *behavior = has ? json_string_value(b) : report_ci_str(c, "behavior", NULL);
    *behavior_close = has ? json_string_value(bc) : report_ci_str(c, "behaviorClose", NULL);
}

bool report_ci_differs(const json_t *c)
{
    size_t n;
    report_ci_str(c, "difference", &n);
    const char *rb, *rbc;
    report_ci_rfc_pair(c, &rb, &rbc);
    return n > 0 || strcmp(rb, report_ci_str(c, "behavior", NULL)) != 0 ||
           strcmp(rbc, report_ci_str(c, "behaviorClose", NULL)) != 0;
}

bool report_ci_pair_passes(const char *behavior, const char *behavior_close, bool strict)
{
    return baseline_passes(behavior, behavior_close, strict);
}

bool report_ci_failed_by_rfc(const json_t *c, enum verdict_mode mode, bool strict)
{
    if (mode == VERDICT_RFC)
        return true;
    if (mode == VERDICT_AUTOBAHN)
        return false;
    return report_ci_pair_passes(report_ci_str(c, "behavior", NULL),
                                 report_ci_str(c, "behaviorClose", NULL), strict);
}

const char *report_ci_verdicts(const json_t *c, char *out, size_t cap)
{
    const char *b = report_ci_str(c, "behavior", NULL),
               *bc = report_ci_str(c, "behaviorClose", NULL);
    const char *rb, *rbc;
    report_ci_rfc_pair(c, &rb, &rbc);
    if (!strcmp(b, rb) && !strcmp(bc, rbc))
        snprintf(out, cap, "Autobahn and RFC 6455 %s/%s", b, bc);
    else
        snprintf(out, cap, "Autobahn %s/%s, RFC 6455 %s/%s", b, bc, rb, rbc);
    return out;
}

static bool listed(const char **list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], s))
            return true;
    return false;
}

const char **report_ci_agents(const json_t *run, size_t *n, bool *oom)
{
    const json_t *targets = json_object_get(run, "targets"), *cases = json_object_get(run, "cases");
    size_t cap = json_array_size(targets) + json_array_size(cases);
    *n = 0;
    *oom = false;
    if (!cap)
        return NULL;
    const char **list = calloc(cap, sizeof *list);
    if (!list) {
        *oom = true;
        return NULL;
    }
    const json_t *groups[2] = {targets, cases};
    for (size_t g = 0; g < 2; g++) {
        size_t i;
        const json_t *e;
        json_array_foreach(groups[g], i, e)
        {
            const json_t *a = json_object_get(e, "agent");
            if (json_is_string(a) && !listed(list, *n, json_string_value(a)))
                list[(*n)++] = json_string_value(a);
        }
    }
    if (!*n) {
        free(list);
        return NULL;
    }
    return list;
}

const char *report_ci_target_url(const json_t *run, const char *agent)
{
    size_t i;
    const json_t *t;
    json_array_foreach(json_object_get(run, "targets"), i, t)
    {
        const json_t *a = json_object_get(t, "agent"), *u = json_object_get(t, "url");
        if (json_is_string(a) && json_is_string(u) && !strcmp(json_string_value(a), agent))
            return json_string_value(u);
    }
    return NULL;
}

const json_t *report_ci_target(const json_t *run, const char *agent)
{
    size_t i;
    const json_t *t;
    json_array_foreach(json_object_get(run, "targets"), i, t)
    {
        const json_t *a = json_object_get(t, "agent");
        if (json_is_string(a) && !strcmp(json_string_value(a), agent))
            return t;
    }
    return NULL;
}

const char *report_ci_agent_class(const char *agent, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = agent; *p && n < 128 && n + 1 < cap; p++, n++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        out[n] = ok ? c : '_';
    }
    if (cap)
        out[n] = '\0';
    return out;
}

const json_t *report_ci_stopped(const json_t *run)
{
    const json_t *s = json_object_get(run, "stopped");
    return json_is_object(s) ? s : NULL;
}

size_t report_ci_not_run_count(const json_t *run)
{
    size_t n = 0, i;
    const json_t *t;
    json_array_foreach(json_object_get(report_ci_stopped(run), "notRun"), i, t)
    {
        n += json_array_size(json_object_get(t, "cases"));
    }
    return n;
}

void report_ci_section(const char *id, char *out, size_t cap)
{
    size_t n = strcspn(id, ".");
    snprintf(out, cap, "%.*s", (int)(n < 32 ? n : 32), id);
}

char *report_ci_expectation(const char *dir, const json_t *c)
{
    const char *file = report_ci_str(c, "reportfile", NULL);
    /* a name inside DIR, nothing else: the report directory may come from elsewhere */
    if (!*file || strchr(file, '/') || file[0] == '.')
        return NULL;
    char path[4096], err[256];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path)
        return NULL;
    json_t *per = report_load_json(path, err, sizeof err);
    if (!per)
        return NULL;
    size_t len;
    const char *e = report_ci_str(per, "expectation", &len);
    char *out = NULL;
    if (len && (out = malloc(len + 1)) != NULL) {
        memcpy(out, e, len);
        out[len] = '\0';
    }
    json_decref(per);
    return out;
}

/* The seed as the files write it (a decimal string; an integer is accepted too). */
static void seed_text(const json_t *v, char *out, size_t cap)
{
    if (json_is_string(v))
        snprintf(out, cap, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(out, cap, "%lld", (long long)json_integer_value(v));
    else
        snprintf(out, cap, "%s", "");
}

json_t *report_ci_baseline(const char *dir, const json_t *run)
{
    char path[4096], err[256];
    if ((size_t)snprintf(path, sizeof path, "%s/baseline.json", dir) >= sizeof path)
        return NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fclose(f);
    json_t *bl = report_load_json(path, err, sizeof err);
    if (!bl)
        return NULL;
    const json_t *r = json_object_get(bl, "run");
    char s1[48], s2[48];
    seed_text(json_object_get(r, "seed"), s1, sizeof s1);
    seed_text(json_object_get(run, "seed"), s2, sizeof s2);
    if (!json_is_object(bl) || strcmp(s1, s2) != 0 ||
        strcmp(report_ci_str(r, "started", NULL), report_ci_str(run, "started", NULL)) != 0) {
        json_decref(bl);
        return NULL;
    }
    return bl;
}

const json_t *report_ci_baseline_change(const json_t *bl, const char *agent, const char *id,
                                        const char **kind)
{
    static const char *const kinds[] = {"regressions", "fixes", "changed", "added"};
    for (size_t k = 0; bl && k < sizeof kinds / sizeof kinds[0]; k++) {
        size_t i;
        const json_t *e;
        json_array_foreach(json_object_get(bl, kinds[k]), i, e)
        {
            if (!strcmp(report_ci_str(e, "agent", NULL), agent) &&
                !strcmp(report_ci_str(e, "id", NULL), id)) {
                *kind = kinds[k];
                return e;
            }
        }
    }
    return NULL;
}

const char *report_ci_change_label(const char *kind)
{
    if (!strcmp(kind, "regressions"))
        return "regression";
    if (!strcmp(kind, "fixes"))
        return "fix";
    return kind;
}

const char *report_ci_outcome(const json_t *o, char *out, size_t cap)
{
    if (!json_is_object(o)) {
        snprintf(out, cap, "not run");
        return out;
    }
    const char *b = report_ci_str(o, "behavior", NULL),
               *bc = report_ci_str(o, "behaviorClose", NULL);
    const char *rb, *rbc;
    report_ci_rfc_pair(o, &rb, &rbc);
    if (!strcmp(b, rb) && !strcmp(bc, rbc))
        snprintf(out, cap, "%s/%s", b, bc);
    else
        snprintf(out, cap, "%s/%s (RFC 6455 %s/%s)", b, bc, rb, rbc);
    return out;
}

/* ------------------------------------------------------------ commands */

static void put(char *out, size_t cap, size_t *used, const char *s, size_t n)
{
    if (*used < cap) {
        size_t room = cap - *used - 1;
        memcpy(out + *used, s, n < room ? n : room);
        out[*used + (n < room ? n : room)] = '\0';
    }
    *used += n;
}

void report_ci_shell_word(char *out, size_t cap, size_t *used, const char *word)
{
    static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789@%+=:,./_-";
    if (*used)
        put(out, cap, used, " ", 1);
    if (*word && strspn(word, safe) == strlen(word)) {
        put(out, cap, used, word, strlen(word));
        return;
    }
    put(out, cap, used, "'", 1);
    for (const char *p = word; *p; p++) {
        if (*p == '\'')
            put(out, cap, used, "'\\''", 4);
        else
            put(out, cap, used, p, 1);
    }
    put(out, cap, used, "'", 1);
}

size_t report_ci_replay_words(char *out, size_t cap, const char *url, const char *id,
                              const char *seed, const char *const *opts, size_t n_opts)
{
    size_t used = 0;
    if (cap)
        out[0] = '\0';
    const char *words[] = {"wsspec", "run", url ? url : "URL", "--cases", id, "--seed", seed};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        report_ci_shell_word(out, cap, &used, words[i]);
    for (size_t i = 0; i < n_opts; i++)
        report_ci_shell_word(out, cap, &used, opts[i] ? opts[i] : "");
    return used;
}

/* The most words a target's replayOptions are read with: `wsspec run` writes at most
 * about 150 (every repeatable option at its bound). */
#define REPLAY_MAX_OPTS 256

size_t report_ci_replay(char *out, size_t cap, const json_t *run, const char *agent, const char *id,
                        const char *seed)
{
    const json_t *t = report_ci_target(run, agent);
    const json_t *words = json_object_get(t, "replayOptions");
    const char *opts[REPLAY_MAX_OPTS];
    size_t n = 0, i;
    const json_t *w;
    json_array_foreach(words, i, w)
    {
        if (n < REPLAY_MAX_OPTS)
            opts[n++] = json_is_string(w) ? json_string_value(w) : "";
    }
    return report_ci_replay_words(out, cap, json_string_value(json_object_get(t, "url")), id, seed,
                                  opts, n);
}

size_t report_ci_rerun(char *out, size_t cap, const json_t *run)
{
    size_t used = 0;
    if (cap)
        out[0] = '\0';
    const json_t *cmd = json_object_get(run, "command");
    bool has_seed = false;
    size_t i;
    const json_t *w;
    /* run_cmd records "wsspec", "run", ...; a file that starts at the subcommand gets
     * the program name put back */
    if (!json_is_string(json_array_get(cmd, 0)) ||
        strcmp(json_string_value(json_array_get(cmd, 0)), "wsspec") != 0)
        report_ci_shell_word(out, cap, &used, "wsspec");
    json_array_foreach(cmd, i, w)
    {
        const char *s = json_is_string(w) ? json_string_value(w) : "";
        has_seed = has_seed || !strcmp(s, "--seed");
        report_ci_shell_word(out, cap, &used, s);
    }
    if (!has_seed) {
        char seed[48];
        seed_text(json_object_get(run, "seed"), seed, sizeof seed);
        report_ci_shell_word(out, cap, &used, "--seed");
        report_ci_shell_word(out, cap, &used, seed);
    }
    return used;
}

void report_ci_seed(const json_t *run, char out[48])
{
    const json_t *sv = json_object_get(run, "seed");
    if (json_is_integer(sv))
        snprintf(out, 48, "%lld", (long long)json_integer_value(sv));
    else
        snprintf(out, 48, "%s", report_ci_str(run, "seed", NULL));
}

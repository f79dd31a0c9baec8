/*
 * baseline.c - comparing a run with an earlier one (baseline.h): read both wsspec.json
 * files with jansson, pair the outcomes by (agent, case id), judge both sides by the new
 * run's --strict and --verdict, sort the changes into regressions, fixes, other
 * changes, added and removed cases, print them and record them in DIR/baseline.json
 * for the Markdown summary and the JUnit report.
 */
#include "errmsg.h"
#include "baseline.h"

#include "case.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool baseline_passes(const char *behavior, const char *behavior_close, bool strict)
{
    bool b = !strcmp(behavior, "OK") || (!strict && !strcmp(behavior, "NON-STRICT")) ||
             !strcmp(behavior, "INFORMATIONAL") || !strcmp(behavior, "UNIMPLEMENTED");
    bool c = !strcmp(behavior_close, "OK") || !strcmp(behavior_close, "INFORMATIONAL");
    return b && c;
}

bool baseline_case_passes(const struct baseline_case *c, enum verdict_mode mode, bool strict)
{
    bool ab = baseline_passes(c->behavior, c->behavior_close, strict);
    bool rfc = baseline_passes(c->rfc_behavior, c->rfc_behavior_close, strict);
    return mode == VERDICT_AUTOBAHN ? ab : mode == VERDICT_RFC ? rfc : ab && rfc;
}

bool baseline_case_differs(const struct baseline_case *a, const struct baseline_case *b,
                           enum verdict_mode mode)
{
    bool ab = strcmp(a->behavior, b->behavior) || strcmp(a->behavior_close, b->behavior_close);
    bool rfc = strcmp(a->rfc_behavior, b->rfc_behavior) ||
               strcmp(a->rfc_behavior_close, b->rfc_behavior_close);
    return mode == VERDICT_AUTOBAHN ? ab : mode == VERDICT_RFC ? rfc : ab || rfc;
}

const char *baseline_kind_key(enum baseline_kind k)
{
    static const char *const keys[BASELINE_KINDS] = {"regressions", "fixes", "changed", "added",
                                                     "removed"};
    return k < BASELINE_KINDS ? keys[k] : "?";
}

/* ------------------------------------------------------------ reading */

static int case_cmp(const struct baseline_case *a, const struct baseline_case *b)
{
    int c = strcmp(a->agent, b->agent);
    if (!c)
        c = case_id_cmp(a->id, b->id);
    if (!c)
        c = strcmp(a->id, b->id); /* a total order even if two spellings compare equal */
    return c;
}

static int case_cmp_order(const void *pa, const void *pb)
{
    const struct baseline_case *a = pa, *b = pb;
    int c = case_cmp(a, b);
    if (c)
        return c;
    return a->order < b->order ? -1 : a->order > b->order;
}

static void case_free(struct baseline_case *c)
{
    free(c->agent);
    free(c->id);
    free(c->title);
    free(c->behavior);
    free(c->behavior_close);
    free(c->rfc_behavior);
    free(c->rfc_behavior_close);
}

static char *dup_member(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return strdup(json_is_string(v) ? json_string_value(v) : "");
}

static int add_agent(struct baseline_run *r, const char *agent, char *err, size_t cap)
{
    for (size_t i = 0; i < r->n_agents; i++)
        if (!strcmp(r->agents[i], agent))
            return 0;
    char **a = realloc(r->agents, (r->n_agents + 1) * sizeof *a);
    if (!a)
        return errmsg_fail(err, cap, "out of memory");
    r->agents = a;
    if (!(a[r->n_agents] = strdup(agent)))
        return errmsg_fail(err, cap, "out of memory");
    r->n_agents++;
    return 0;
}

/* Say what the file looks like when it is not a wsspec.json: the likely mistakes are
 * Autobahn's index.json and a per-case file of a wsspec report. */
static int not_wsspec(const json_t *root, char *err, size_t cap)
{
    if (json_object_get(root, "behavior") && json_object_get(root, "wirelog"))
        return errmsg_fail(err, cap,
                           "not a wsspec.json: a per-case report file (use the run's "
                           "wsspec.json)");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)root, k, v)
    {
        if (json_is_object(v)) {
            const char *k2;
            json_t *v2;
            json_object_foreach(v, k2, v2)
            {
                if (json_is_object(v2) && json_object_get(v2, "behavior"))
                    return errmsg_fail(err, cap,
                                       "not a wsspec.json: an index.json (use the run's "
                                       "wsspec.json beside it)");
                break;
            }
        }
        break;
    }
    return errmsg_fail(err, cap, "not a wsspec.json: no \"schemaVersion\"");
}

/* options.verdict as baseline.h says: "autobahn", "rfc", anything else "both". (Not
 * verdict_mode_name: the fuzz targets link this file without result.c.) */
static enum verdict_mode verdict_mode_parse(const json_t *v)
{
    const char *s = json_is_string(v) ? json_string_value(v) : "";
    return !strcmp(s, "autobahn") ? VERDICT_AUTOBAHN
           : !strcmp(s, "rfc")    ? VERDICT_RFC
                                  : VERDICT_BOTH;
}

/* A member that is absent or null. */
static bool missing(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return !v || json_is_null(v);
}

/* cases[i] into bc (zero-filled): the required strings and "passed", and the RFC pair -
 * both strings, or neither and then Autobahn's pair (an older wsspec.json). */
static int parse_case(const json_t *c, size_t i, struct baseline_case *bc, char *err, size_t cap)
{
    static const char *const need[] = {"agent", "id", "behavior", "behaviorClose"};
    static const char *const rfc[] = {"rfcBehavior", "rfcBehaviorClose"};
    if (!json_is_object(c))
        return errmsg_fail(err, cap, "cases[%zu]: expected an object", i);
    for (size_t k = 0; k < sizeof need / sizeof need[0]; k++)
        if (!json_is_string(json_object_get(c, need[k])))
            return errmsg_fail(err, cap, "cases[%zu].%s: expected a string", i, need[k]);
    const json_t *passed = json_object_get(c, "passed");
    if (!json_is_boolean(passed))
        return errmsg_fail(err, cap, "cases[%zu].passed: expected true or false", i);
    bool assumed = missing(c, rfc[0]) && missing(c, rfc[1]);
    for (size_t k = 0; k < 2 && !assumed; k++)
        if (!json_is_string(json_object_get(c, rfc[k])))
            return errmsg_fail(err, cap, "cases[%zu].%s: expected a string (or neither RFC field)",
                               i, rfc[k]);
    bc->agent = dup_member(c, "agent");
    bc->id = dup_member(c, "id");
    bc->title = dup_member(c, "title");
    bc->behavior = dup_member(c, "behavior");
    bc->behavior_close = dup_member(c, "behaviorClose");
    bc->rfc_behavior = dup_member(c, assumed ? "behavior" : rfc[0]);
    bc->rfc_behavior_close = dup_member(c, assumed ? "behaviorClose" : rfc[1]);
    bc->rfc_assumed = assumed;
    bc->passed = json_is_true(passed);
    bc->order = i;
    if (!bc->agent || !bc->id || !bc->title || !bc->behavior || !bc->behavior_close ||
        !bc->rfc_behavior || !bc->rfc_behavior_close)
        return errmsg_fail(err, cap, "out of memory");
    return 0;
}

static int parse_root(const json_t *root, struct baseline_run *r, char *err, size_t cap)
{
    if (!json_is_object(root))
        return errmsg_fail(err, cap, "not a wsspec.json: the top level is not an object");
    const json_t *sv = json_object_get(root, "schemaVersion");
    if (!sv)
        return not_wsspec(root, err, cap);
    if (!json_is_integer(sv) || json_integer_value(sv) != 1)
        return errmsg_fail(err, cap,
                           "wsspec.json schemaVersion %s is not one this wsspec reads (1)",
                           json_is_integer(sv) ? "other than 1" : "not an integer");
    const json_t *cases = json_object_get(root, "cases");
    if (!json_is_array(cases))
        return errmsg_fail(err, cap, "not a wsspec.json: no \"cases\" list");

    const json_t *seed = json_object_get(root, "seed"), *started = json_object_get(root, "started"),
                 *opts = json_object_get(root, "options");
    if (json_is_string(seed))
        snprintf(r->seed, sizeof r->seed, "%s", json_string_value(seed));
    else if (json_is_integer(seed))
        snprintf(r->seed, sizeof r->seed, "%lld", (long long)json_integer_value(seed));
    if (json_is_string(started))
        snprintf(r->started, sizeof r->started, "%s", json_string_value(started));
    r->strict = json_is_true(json_object_get(opts, "strict"));
    r->verdict = verdict_mode_parse(json_object_get(opts, "verdict"));

    const json_t *targets = json_object_get(root, "targets");
    size_t i;
    json_t *t;
    json_array_foreach(targets, i, t)
    {
        const json_t *a = json_object_get(t, "agent");
        if (json_is_string(a) && add_agent(r, json_string_value(a), err, cap))
            return -1;
    }

    size_t n = json_array_size(cases);
    r->cases = calloc(n ? n : 1, sizeof *r->cases);
    if (!r->cases)
        return errmsg_fail(err, cap, "out of memory");
    json_t *c;
    json_array_foreach(cases, i, c)
    {
        if (parse_case(c, i, &r->cases[r->n++], err, cap) ||
            add_agent(r, r->cases[r->n - 1].agent, err, cap))
            return -1;
    }

    /* one outcome per (agent, id): the last in run order, as index.json shows it */
    qsort(r->cases, r->n, sizeof *r->cases, case_cmp_order);
    size_t w = 0;
    for (size_t k = 0; k < r->n; k++) {
        if (k + 1 < r->n && case_cmp(&r->cases[k], &r->cases[k + 1]) == 0) {
            case_free(&r->cases[k]);
            continue;
        }
        r->cases[w++] = r->cases[k];
    }
    r->n = w;
    for (size_t k = 0; k < r->n; k++)
        r->rfc_assumed += r->cases[k].rfc_assumed;
    return 0;
}

int baseline_parse(const char *text, size_t len, struct baseline_run *out, char *err, size_t cap)
{
    memset(out, 0, sizeof *out);
    if (cap)
        err[0] = '\0';
    if (len > BASELINE_MAX_BYTES)
        return errmsg_fail(err, cap, "larger than %d MiB: not a wsspec.json",
                           BASELINE_MAX_BYTES / (1024 * 1024));
    json_error_t je;
    /* report strings may hold U+0000 (reports/README.md, "String encoding") */
    json_t *root = json_loadb(text, len, JSON_ALLOW_NUL, &je);
    int rc = root ? parse_root(root, out, err, cap)
                  : errmsg_fail(err, cap, "not JSON: line %d, column %d: %s", je.line, je.column,
                                je.text);
    json_decref(root);
    if (rc)
        baseline_run_free(out);
    if (cap)
        errmsg_one_line(err);
    return rc;
}

int baseline_load(const char *path, struct baseline_run *out, char *err, size_t cap)
{
    memset(out, 0, sizeof *out);
    char file[4096];
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        if ((size_t)snprintf(file, sizeof file, "%s/wsspec.json", path) >= sizeof file)
            return errmsg_fail(err, cap, "%.200s: path too long", path);
    } else {
        snprintf(file, sizeof file, "%s", path);
    }
    FILE *f = fopen(file, "rb");
    if (!f)
        return errmsg_fail(err, cap, "%s: %s", file, strerror(errno));
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return errmsg_fail(err, cap, "%s: not a regular file", file);
    }
    if (st.st_size > BASELINE_MAX_BYTES) {
        fclose(f);
        return errmsg_fail(err, cap, "%s: larger than %d MiB: not a wsspec.json", file,
                           BASELINE_MAX_BYTES / (1024 * 1024));
    }
    size_t size = (size_t)st.st_size;
    char *buf = malloc(size ? size : 1);
    if (!buf) {
        fclose(f);
        return errmsg_fail(err, cap, "%s: out of memory", file);
    }
    size_t n = fread(buf, 1, size, f);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad) {
        free(buf);
        return errmsg_fail(err, cap, "%s: read error", file);
    }
    char msg[512];
    int rc = baseline_parse(buf, n, out, msg, sizeof msg);
    free(buf);
    if (rc)
        return errmsg_fail(err, cap, "%s: %s", file, msg);
    return 0;
}

void baseline_run_free(struct baseline_run *r)
{
    for (size_t i = 0; i < r->n; i++)
        case_free(&r->cases[i]);
    free(r->cases);
    for (size_t i = 0; i < r->n_agents; i++)
        free(r->agents[i]);
    free(r->agents);
    memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------ comparing */

static const struct baseline_case *find(const struct baseline_run *r, const char *agent,
                                        const char *id)
{
    struct baseline_case key = {.agent = (char *)agent, .id = (char *)id};
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = case_cmp(&r->cases[mid], &key);
        if (c == 0)
            return &r->cases[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static size_t agent_rank(const struct baseline_run *r, const char *agent)
{
    for (size_t i = 0; i < r->n_agents; i++)
        if (!strcmp(r->agents[i], agent))
            return i;
    return r->n_agents;
}

static int change_cmp(const void *pa, const void *pb)
{
    const struct baseline_change *a = pa, *b = pb;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    if (a->agent_rank != b->agent_rank)
        return a->agent_rank < b->agent_rank ? -1 : 1;
    const struct baseline_case *ca = a->new_case ? a->new_case : a->old_case;
    const struct baseline_case *cb = b->new_case ? b->new_case : b->old_case;
    int c = case_id_cmp(ca->id, cb->id);
    return c ? c : strcmp(ca->id, cb->id);
}

int baseline_compare(const struct baseline_run *old_run, const struct baseline_run *new_run,
                     struct baseline_diff *d)
{
    memset(d, 0, sizeof *d);
    enum verdict_mode mode = new_run->verdict;
    bool strict = new_run->strict;
    d->verdict = mode;
    if (mode != VERDICT_AUTOBAHN)
        d->rfc_assumed_old = old_run->rfc_assumed;
    /* one agent on each side under different names: compare them (see baseline.h) */
    const char *map_new = NULL, *map_old = NULL;
    if (old_run->n_agents == 1 && new_run->n_agents == 1 &&
        strcmp(old_run->agents[0], new_run->agents[0]) != 0) {
        map_old = old_run->agents[0];
        map_new = new_run->agents[0];
        d->paired_old = map_old;
        d->paired_new = map_new;
    }
    size_t cap = old_run->n + new_run->n;
    d->changes = calloc(cap ? cap : 1, sizeof *d->changes);
    bool *seen = calloc(old_run->n ? old_run->n : 1, sizeof *seen);
    if (!d->changes || !seen) {
        free(seen);
        baseline_diff_free(d);
        return -1;
    }
    for (size_t i = 0; i < new_run->n; i++) {
        const struct baseline_case *nc = &new_run->cases[i];
        const char *agent = map_new && !strcmp(nc->agent, map_new) ? map_old : nc->agent;
        const struct baseline_case *oc = find(old_run, agent, nc->id);
        struct baseline_change ch = {
            .new_case = nc, .old_case = oc, .agent_rank = agent_rank(new_run, nc->agent)};
        /* Both sides by the same rule (baseline.h), not the new side by its "passed"
         * field: a file whose field disagrees with its verdicts (edited by hand, or a
         * verdict this version does not know) would otherwise differ from itself. */
        ch.new_passed = baseline_case_passes(nc, mode, strict);
        if (oc) {
            seen[oc - old_run->cases] = true;
            ch.old_passed = baseline_case_passes(oc, mode, strict);
            if (ch.old_passed && !ch.new_passed)
                ch.kind = BASELINE_REGRESSION;
            else if (!ch.old_passed && ch.new_passed)
                ch.kind = BASELINE_FIX;
            else if (baseline_case_differs(oc, nc, mode))
                ch.kind = BASELINE_CHANGED;
            else
                continue;
        } else {
            ch.kind = ch.new_passed ? BASELINE_ADDED : BASELINE_REGRESSION;
        }
        d->changes[d->n++] = ch;
        d->count[ch.kind]++;
    }
    for (size_t i = 0; i < old_run->n; i++) {
        if (seen[i])
            continue;
        const struct baseline_case *oc = &old_run->cases[i];
        d->changes[d->n++] = (struct baseline_change){
            .kind = BASELINE_REMOVED,
            .old_case = oc,
            .old_passed = baseline_case_passes(oc, mode, strict),
            /* removed: after the new run's agents, in the old run's order */
            .agent_rank = new_run->n_agents + agent_rank(old_run, oc->agent)};
        d->count[BASELINE_REMOVED]++;
    }
    free(seen);
    qsort(d->changes, d->n, sizeof *d->changes, change_cmp);
    return 0;
}

void baseline_diff_free(struct baseline_diff *d)
{
    free(d->changes);
    memset(d, 0, sizeof *d);
}

/* ------------------------------------------------------------ baseline.json */

static json_t *outcome(const struct baseline_case *c, bool passed)
{
    if (!c)
        return json_null();
    return json_pack("{s:s, s:s, s:s, s:s, s:b}", "behavior", c->behavior, "behaviorClose",
                     c->behavior_close, "rfcBehavior", c->rfc_behavior, "rfcBehaviorClose",
                     c->rfc_behavior_close, "passed", passed);
}

/* verdict_mode_name's words (result.c is not linked into the fuzz targets) */
static const char *verdict_name(enum verdict_mode m)
{
    return m == VERDICT_AUTOBAHN ? "autobahn" : m == VERDICT_RFC ? "rfc" : "both";
}

static json_t *build(const char *old_path, const struct baseline_run *old_run,
                     const struct baseline_run *new_run, const struct baseline_diff *d,
                     const char *fail_on)
{
    json_t *root = json_object();
    json_t *counts = json_object();
    if (!root || !counts) {
        json_decref(root);
        json_decref(counts);
        return NULL;
    }
    int bad = json_object_set_new(root, "counts", counts);
    json_t *lists[BASELINE_KINDS];
    for (int k = 0; k < BASELINE_KINDS; k++) {
        lists[k] = json_array();
        bad |= json_object_set_new(root, baseline_kind_key(k), lists[k]);
        bad |= json_object_set_new(counts, baseline_kind_key(k),
                                   json_integer((json_int_t)d->count[k]));
    }
    if (bad)
        goto fail;
    for (size_t i = 0; i < d->n; i++) {
        const struct baseline_change *ch = &d->changes[i];
        const struct baseline_case *any = ch->new_case ? ch->new_case : ch->old_case;
        json_t *e = json_pack("{s:s, s:s, s:s, s:o, s:o}", "agent", any->agent, "id", any->id,
                              "title", any->title, "old", outcome(ch->old_case, ch->old_passed),
                              "new", outcome(ch->new_case, ch->new_passed));
        if (!e || json_array_append_new(lists[ch->kind], e))
            goto fail;
    }
    json_t *paired = d->paired_old
                         ? json_pack("{s:s, s:s}", "old", d->paired_old, "new", d->paired_new)
                         : json_null();
    json_t *from = json_pack("{s:s, s:s, s:s}", "file", old_path, "seed", old_run->seed, "started",
                             old_run->started);
    json_t *run = json_pack("{s:s, s:s}", "seed", new_run->seed, "started", new_run->started);
    bad = json_object_set_new(root, "pairedAgents", paired);
    bad |= json_object_set_new(root, "baseline", from);
    bad |= json_object_set_new(root, "run", run);
    bad |= json_object_set_new(root, "failOn", json_string(fail_on ? fail_on : "any"));
    bad |= json_object_set_new(root, "strict", json_boolean(new_run->strict));
    bad |= json_object_set_new(root, "verdict", json_string(verdict_name(d->verdict)));
    bad |= json_object_set_new(root, "rfcAssumed", json_integer((json_int_t)d->rfc_assumed_old));
    bad |= json_object_set_new(root, "schemaVersion", json_integer(1));
    if (bad)
        goto fail;
    return root;
fail:
    json_decref(root);
    return NULL;
}

int baseline_write(const char *dir, const char *old_path, const struct baseline_run *old_run,
                   const struct baseline_run *new_run, const struct baseline_diff *d,
                   const char *fail_on, char *err, size_t cap)
{
    char tmp[4096], dst[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s/.baseline.json.tmp", dir) >= sizeof tmp ||
        (size_t)snprintf(dst, sizeof dst, "%s/baseline.json", dir) >= sizeof dst)
        return errmsg_fail(err, cap, "report directory name too long");
    json_t *root = build(old_path, old_run, new_run, d, fail_on);
    if (!root)
        return errmsg_fail(err, cap, "out of memory building %s", dst);
    /* the layout of the other report files: sorted keys, indent 3 */
    int rc = json_dump_file(root, tmp, JSON_INDENT(3) | JSON_SORT_KEYS);
    json_decref(root);
    if (rc != 0) {
        int e = errno;
        unlink(tmp);
        return errmsg_fail(err, cap, "%s: %s", tmp, e ? strerror(e) : "write failed");
    }
    if (rename(tmp, dst) != 0) {
        int e = errno;
        unlink(tmp);
        return errmsg_fail(err, cap, "%s: %s", dst, strerror(e));
    }
    return 0;
}

void baseline_remove(const char *dir)
{
    char dst[4096];
    if ((size_t)snprintf(dst, sizeof dst, "%s/baseline.json", dir) < sizeof dst)
        unlink(dst);
}

/* ------------------------------------------------------------ the printed block */

/* Every string from a wsspec.json goes to a terminal or a CI log through these (agent
 * names are the target's bytes, its Server header; ids, titles and verdicts are
 * whatever the file holds): a control character becomes '?', so no escape sequence
 * reaches the terminal. put_safe_n writes at most max bytes and returns how many. */
static size_t put_safe_n(FILE *f, const char *s, size_t max)
{
    size_t i = 0;
    for (; s[i] && i < max; i++)
        fputc((unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i], f);
    return i;
}

static void put_safe(FILE *f, const char *s)
{
    put_safe_n(f, s, SIZE_MAX);
}

/* "OK/OK", and " [RFC FAILED/OK]" when the mode uses the RFC pair and it differs. */
static void put_outcome(FILE *f, const struct baseline_case *c, enum verdict_mode mode)
{
    if (!c) {
        fputs("(not run)", f);
        return;
    }
    put_safe(f, c->behavior);
    fputc('/', f);
    put_safe(f, c->behavior_close);
    if (mode == VERDICT_AUTOBAHN || (!strcmp(c->behavior, c->rfc_behavior) &&
                                     !strcmp(c->behavior_close, c->rfc_behavior_close)))
        return;
    fputs(" [RFC ", f);
    put_safe(f, c->rfc_behavior);
    fputc('/', f);
    put_safe(f, c->rfc_behavior_close);
    fputc(']', f);
}

/* The header lines: the counts, the mode, and where a verdict was assumed. */
static void print_head(FILE *f, const struct baseline_diff *d, const char *old_path)
{
    fprintf(f, "baseline %s: %zu regression%s, %zu fix%s, %zu changed, %zu added, %zu removed",
            old_path, d->count[BASELINE_REGRESSION], d->count[BASELINE_REGRESSION] == 1 ? "" : "s",
            d->count[BASELINE_FIX], d->count[BASELINE_FIX] == 1 ? "" : "es",
            d->count[BASELINE_CHANGED], d->count[BASELINE_ADDED], d->count[BASELINE_REMOVED]);
    fprintf(f, d->verdict == VERDICT_BOTH ? "\n" : " (--verdict %s)\n", verdict_name(d->verdict));
    /* said once: an older wsspec.json had one verdict, Autobahn's */
    if (d->rfc_assumed_old)
        fprintf(f,
                "  (the baseline has no RFC 6455 verdict for %zu case%s, written by an older "
                "wsspec: its Autobahn verdict stands for the RFC's)\n",
                d->rfc_assumed_old, d->rfc_assumed_old == 1 ? "" : "s");
}

void baseline_print(FILE *f, const struct baseline_diff *d, const char *old_path, bool show_agent)
{
    static const char *const label[BASELINE_KINDS] = {"regression", "fix", "changed", "added",
                                                      "removed"};
    print_head(f, d, old_path);
    if (d->paired_old) {
        fputs("  (compared agent \"", f);
        put_safe(f, d->paired_new);
        fputs("\" with the baseline's \"", f);
        put_safe(f, d->paired_old);
        fputs("\")\n", f);
    }
    size_t shown[BASELINE_KINDS] = {0};
    for (size_t i = 0; i < d->n; i++) {
        const struct baseline_change *ch = &d->changes[i];
        /* added/removed cases follow a changed selection or catalogue: hundreds of lines
         * that say one thing, so only a few are listed */
        size_t max = ch->kind >= BASELINE_ADDED ? 10 : BASELINE_PRINT_MAX;
        if (shown[ch->kind]++ >= max) {
            if (shown[ch->kind] == max + 1)
                fprintf(f, "  %-10s ... and %zu more (baseline.json has them all)\n",
                        label[ch->kind], d->count[ch->kind] - max);
            continue;
        }
        const struct baseline_case *any = ch->new_case ? ch->new_case : ch->old_case;
        fprintf(f, "  %-10s ", label[ch->kind]);
        if (show_agent) {
            fputc('[', f);
            put_safe(f, any->agent);
            fputs("] ", f);
        }
        for (size_t w = put_safe_n(f, any->id, SIZE_MAX); w < 8; w++)
            fputc(' ', f); /* the id left-aligned in 8 columns, as "%-8s" */
        fputc(' ', f);
        put_outcome(f, ch->old_case, d->verdict);
        fputs(" -> ", f);
        put_outcome(f, ch->new_case, d->verdict);
        fputs("  ", f);
        put_safe_n(f, any->title, 70);
        fputc('\n', f);
    }
}

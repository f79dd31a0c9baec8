/*
 * report_render.c - dispatch from a report directory's JSON to the HTML, JUnit and
 * Markdown writers, and what they share: the format-list parser, loading wsspec.json
 * (with the check that the directory is a wsspec report) and per-case files, and
 * writing a file atomically (DIR/.NAME.tmp, then rename).
 *
 * Reading goes through jansson; the JSON was written by report_json.c, but a report
 * directory is user input by the time it is re-rendered (copied, cut, edited), so
 * nothing here trusts it: a missing key is a clear error or a skipped detail, never a
 * crash.
 */
#include "report_render.h"

#include "ws_utf8.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* wsspec.json of a 301-case run over 16 targets is about 5 MiB; a per-case file with
 * a full wire log under 1 MiB. A file far beyond that is not one of ours. */
#define REPORT_MAX_FILE (256u * 1024 * 1024)

static const struct {
    const char *name;
    unsigned bit;
} report_formats[] = {
    {"json", REPORT_JSON},
    {"html", REPORT_HTML},
    {"junit", REPORT_JUNIT},
    {"md", REPORT_MD},
};
#define N_FORMATS (sizeof report_formats / sizeof report_formats[0])

int report_formats_parse(const char *list, unsigned *formats, char *err, size_t cap)
{
    unsigned bits = 0;
    const char *p = list ? list : "";
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *s = p;
        while (len && (*s == ' ' || *s == '\t')) {
            s++;
            len--;
        }
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        unsigned bit = 0;
        if (len == 3 && !memcmp(s, "all", 3))
            bit = REPORT_ALL;
        for (size_t i = 0; i < N_FORMATS && !bit; i++)
            if (strlen(report_formats[i].name) == len && !memcmp(s, report_formats[i].name, len))
                bit = report_formats[i].bit;
        if (!bit) {
            if (len == 0)
                snprintf(err, cap, "empty format in '%s' (formats: json, html, junit, md, all)",
                         list ? list : "");
            else
                snprintf(err, cap, "unknown format '%.*s' (formats: json, html, junit, md, all)",
                         (int)(len > 64 ? 64 : len), s);
            return -1;
        }
        bits |= bit;
        if (!end)
            break;
        p = end + 1;
    }
    *formats = bits;
    return 0;
}

/* ------------------------------------------------------------ loading */

/* Length of the valid UTF-8 sequence (RFC 3629) starting at p, or 0 when the bytes
 * there are not one. Only used to repair files for display; judging uses ws_utf8. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
    uint8_t c = p[0], lo = 0x80, hi = 0xBF;
    size_t len;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80; /* overlong */
        hi = c == 0xED ? 0x9F : 0xBF; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        lo = c == 0xF0 ? 0x90 : 0x80; /* overlong */
        hi = c == 0xF4 ? 0x8F : 0xBF; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

/* Replace every invalid sequence by U+FFFD (3 bytes for at most 1 byte: the output is
 * at most 3x the input). Returns a new buffer or NULL (out of memory). */
static char *utf8_repair(const uint8_t *in, size_t n, size_t *out_len)
{
    if (n > SIZE_MAX / 3)
        return NULL;
    char *out = malloc(n * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(in + i, n - i);
        if (k) {
            memcpy(out + o, in + i, k);
            o += k;
            i += k;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    *out_len = o;
    return out;
}

json_t *report_load_json(const char *path, char *err, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
        (uint64_t)st.st_size > REPORT_MAX_FILE) {
        snprintf(err, cap, "%s: not a regular file of at most %u MiB", path, REPORT_MAX_FILE >> 20);
        fclose(f);
        return NULL;
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf || fread(buf, 1, n, f) != n) {
        snprintf(err, cap, "%s: %s", path, buf ? "short read" : "out of memory");
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    const char *text = (const char *)buf;
    size_t len = n;
    char *fixed = NULL;
    if (!ws_utf8_valid(buf, n)) {
        fixed = utf8_repair(buf, n, &len);
        if (!fixed) {
            snprintf(err, cap, "%s: out of memory", path);
            free(buf);
            return NULL;
        }
        text = fixed;
    }
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_ALLOW_NUL, &je);
    if (!j)
        snprintf(err, cap, "%s: line %d: %s", path, je.line, je.text);
    free(fixed);
    free(buf);
    return j;
}

static int dir_exists(const char *dir, char *err, size_t cap)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        snprintf(err, cap, "%s: %s", dir, errno == ENOENT ? "no such directory" : strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, cap, "%s: not a directory", dir);
        return -1;
    }
    return 0;
}

json_t *report_load_run(const char *dir, char *err, size_t cap)
{
    if (dir_exists(dir, err, cap) != 0)
        return NULL;
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, REPORT_RUN_FILE) >= sizeof path) {
        snprintf(err, cap, "%s: path too long", dir);
        return NULL;
    }
    if (access(path, F_OK) != 0) {
        snprintf(err, cap, "%s is not a wsspec report: it has no %s", dir, REPORT_RUN_FILE);
        return NULL;
    }
    char why[512];
    json_t *run = report_load_json(path, why, sizeof why);
    if (!run) {
        snprintf(err, cap, "%s is not a wsspec report: %s", dir, why);
        return NULL;
    }
    json_t *v = json_object_get(run, "schemaVersion");
    if (!json_is_object(run) || !json_is_integer(v) ||
        !json_is_array(json_object_get(run, "cases"))) {
        snprintf(err, cap, "%s is not a wsspec report: %s has no schemaVersion and cases", dir,
                 path);
        json_decref(run);
        return NULL;
    }
    if (json_integer_value(v) != 1) {
        snprintf(err, cap, "%s: schemaVersion %lld is not supported by this wsspec (it reads 1)",
                 path, (long long)json_integer_value(v));
        json_decref(run);
        return NULL;
    }
    return run;
}

/* ------------------------------------------------------------ atomic files */

int report_out_open(struct report_out *o, const char *dir, const char *name, char *err, size_t cap)
{
    o->f = NULL;
    if ((size_t)snprintf(o->path, sizeof o->path, "%s/%s", dir, name) >= sizeof o->path ||
        (size_t)snprintf(o->tmp, sizeof o->tmp, "%s/.%s.tmp", dir, name) >= sizeof o->tmp) {
        snprintf(err, cap, "%s: path too long", dir);
        return -1;
    }
    o->f = fopen(o->tmp, "wb");
    if (!o->f) {
        snprintf(err, cap, "%s: %s", o->tmp, strerror(errno));
        return -1;
    }
    return 0;
}

int report_out_commit(struct report_out *o, char *err, size_t cap)
{
    int bad = ferror(o->f);
    int saved = errno;
    if (fclose(o->f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    o->f = NULL;
    if (!bad && rename(o->tmp, o->path) != 0) {
        bad = 1;
        saved = errno;
    }
    if (bad) {
        snprintf(err, cap, "%s: %s", o->path, saved ? strerror(saved) : "write error");
        unlink(o->tmp);
        return -1;
    }
    return 0;
}

void report_out_abort(struct report_out *o)
{
    if (o->f)
        fclose(o->f);
    o->f = NULL;
    unlink(o->tmp);
}

/* ------------------------------------------------------------ an earlier run's files */

/* The first bytes of a file wsspec renders carry its mark there: 4 KiB hold index.html's
 * head up to its <style> (the generator meta and the title come first). */
#define REPORT_MARK_BYTES 4096

/* A name wsspec gives a per-case file: "<agent>_case_<id>.json", no directory part. */
static bool is_case_file_name(const char *s)
{
    size_t n = strlen(s);
    return n > 11 && n < 256 && !strchr(s, '/') && s[0] != '.' && strstr(s, "_case_") &&
           !strcmp(s + n - 5, ".json");
}

void report_prior_free(struct report_prior *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->files[i]);
    free(p->files);
    p->files = NULL;
    p->n = 0;
}

int report_prior_load(const char *dir, struct report_prior *p)
{
    char err[256];
    p->files = NULL;
    p->n = 0;
    json_t *run = report_load_run(dir, err, sizeof err);
    if (!run)
        return 0; /* no wsspec report there (or not one this wsspec reads): nothing known */
    const json_t *cases = json_object_get(run, "cases");
    size_t n = json_array_size(cases), i;
    const json_t *c;
    p->files = calloc(n ? n : 1, sizeof *p->files);
    if (!p->files) {
        json_decref(run);
        return -1;
    }
    json_array_foreach(cases, i, c)
    {
        const char *f = json_string_value(json_object_get(c, "reportfile"));
        if (!f || !is_case_file_name(f))
            continue;
        if (!(p->files[p->n] = strdup(f))) {
            json_decref(run);
            report_prior_free(p);
            return -1;
        }
        p->n++;
    }
    json_decref(run);
    return 0;
}

/* dir/name is a file wsspec rendered: its first bytes carry the format's mark. */
static bool has_mark(const char *path, const char *const *marks, bool at_start)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char buf[REPORT_MARK_BYTES + 1];
    size_t n = fread(buf, 1, REPORT_MARK_BYTES, f);
    fclose(f);
    buf[n] = '\0';
    for (; *marks; marks++) {
        const char *at = strstr(buf, *marks);
        if (at && (!at_start || at == buf))
            return true;
    }
    return false;
}

/* DIR/baseline.json as wsspec writes it (baseline.c): its top-level objects. */
static bool is_baseline_file(const char *path)
{
    char err[256];
    json_t *j = report_load_json(path, err, sizeof err);
    bool ours = json_is_object(j) && json_is_integer(json_object_get(j, "schemaVersion")) &&
                json_is_object(json_object_get(j, "baseline")) &&
                json_is_object(json_object_get(j, "run")) &&
                json_is_object(json_object_get(j, "counts"));
    json_decref(j);
    return ours;
}

/* Remove dir/name; a file already gone is fine. */
static int remove_file(const char *dir, const char *name, char *err, size_t cap)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
        snprintf(err, cap, "%s: path too long", dir);
        return -1;
    }
    if (unlink(path) != 0 && errno != ENOENT) {
        snprintf(err, cap, "%s: cannot remove this file of an earlier run: %s", path,
                 strerror(errno));
        return -1;
    }
    return 0;
}

/* The earlier run's per-case files that the new wsspec.json does not name. */
static int prune_case_files(const char *dir, const struct report_prior *p, FILE *out, char *err,
                            size_t cap)
{
    if (!p->n)
        return 0;
    json_t *run = report_load_run(dir, err, cap);
    json_t *now = json_object();
    if (!run || !now) {
        json_decref(run);
        json_decref(now);
        return -1;
    }
    size_t i, removed = 0;
    const json_t *c;
    json_array_foreach(json_object_get(run, "cases"), i, c)
    {
        const char *f = json_string_value(json_object_get(c, "reportfile"));
        if (f)
            json_object_set_new(now, f, json_true());
    }
    int rc = 0;
    for (i = 0; i < p->n && rc == 0; i++) {
        if (json_object_get(now, p->files[i]))
            continue;
        json_object_set_new(now, p->files[i], json_true()); /* named twice: counted once */
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, p->files[i]);
        if (access(path, F_OK) != 0)
            continue;
        rc = remove_file(dir, p->files[i], err, cap);
        removed += rc == 0;
    }
    if (removed && out)
        fprintf(out, "report: removed %zu per-case file%s of an earlier run from %s\n", removed,
                removed == 1 ? "" : "s", dir);
    json_decref(now);
    json_decref(run);
    return rc;
}

int report_prune(const char *dir, const struct report_prior *p, unsigned formats,
                 bool keep_baseline, FILE *out, char *err, size_t cap)
{
    static const char *const html_marks[] = {REPORT_HTML_GENERATOR, "<title>wsspec report</title>",
                                             NULL};
    static const char *const junit_marks[] = {"<testsuites name=\"wsspec\"", NULL};
    static const char *const md_marks[] = {"## wsspec: ", NULL};
    static const struct {
        unsigned bit;
        const char *file;
        const char *const *marks;
        bool at_start;
    } rendered[] = {
        {REPORT_HTML, REPORT_HTML_FILE, html_marks, false},
        {REPORT_JUNIT, REPORT_JUNIT_FILE, junit_marks, false},
        {REPORT_MD, REPORT_MD_FILE, md_marks, true},
    };
    if (prune_case_files(dir, p, out, err, cap) != 0)
        return -1;
    for (size_t i = 0; i < sizeof rendered / sizeof rendered[0]; i++) {
        char path[4096];
        if (formats & rendered[i].bit)
            continue; /* rendered again */
        snprintf(path, sizeof path, "%s/%s", dir, rendered[i].file);
        if (!has_mark(path, rendered[i].marks, rendered[i].at_start))
            continue; /* absent, or not ours */
        if (remove_file(dir, rendered[i].file, err, cap) != 0)
            return -1;
        if (out)
            fprintf(out, "report: removed %s (an earlier run's)\n", path);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/baseline.json", dir);
    if (!keep_baseline && access(path, F_OK) == 0 && is_baseline_file(path)) {
        if (remove_file(dir, "baseline.json", err, cap) != 0)
            return -1;
        if (out)
            fprintf(out, "report: removed %s (an earlier run's)\n", path);
    }
    return 0;
}

/* ------------------------------------------------------------ dispatch */

int report_render_print(const char *dir, unsigned formats, FILE *out, char *err, size_t cap)
{
    static const struct {
        unsigned bit;
        const char *label, *file;
        int (*write)(const char *, const json_t *, char *, size_t);
    } writers[] = {
        {REPORT_HTML, "html", REPORT_HTML_FILE, report_html_write},
        {REPORT_JUNIT, "junit", REPORT_JUNIT_FILE, report_junit_write},
        {REPORT_MD, "md", REPORT_MD_FILE, report_md_write},
    };
    if (!(formats & (REPORT_HTML | REPORT_JUNIT | REPORT_MD)))
        return 0;
    json_t *run = report_load_run(dir, err, cap);
    if (!run)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < sizeof writers / sizeof writers[0]; i++) {
        if (!(formats & writers[i].bit))
            continue;
        char why[1024];
        if (writers[i].write(dir, run, why, sizeof why) != 0) {
            if (rc == 0)
                snprintf(err, cap, "%s", why);
            rc = -1;
        } else if (out) {
            fprintf(out, "report: %-6s %s/%s\n", writers[i].label, dir, writers[i].file);
        }
    }
    json_decref(run);
    return rc;
}

int report_render(const char *dir, unsigned formats, char *err, size_t cap)
{
    return report_render_print(dir, formats, NULL, err, cap);
}

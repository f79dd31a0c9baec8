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

/*
 * report_html.c - DIR/index.html: one self-contained page (inline CSS and JS, nothing
 * fetched, works opened from disk) with the cases x targets matrix, counts, a chart and
 * a detail view per case. The look and the behaviour live in reports/html/report.css
 * and report.js, which the build turns into byte arrays (build/gen/report_assets.h);
 * this file only assembles the page and embeds the data.
 *
 * The head carries wsspec's mark (REPORT_HTML_GENERATOR): a later run into the same
 * directory that renders no HTML removes this page only when it finds the mark
 * (report_prune), never a page of the user's.
 *
 * The data is JSON inside <script type="application/json"> blocks: #wsspec-run holds
 * DIR/wsspec.json, #wsspec-dN the per-case file of the run's N-th result (trimmed). The
 * browser never executes those blocks, and the only way their text could end the block
 * early is a "</script"; every '<' (and '>' and '&') in the JSON is written as \u003c
 * (\u003e, \u0026), which JSON.parse reads back as the same character. Strings from
 * the target therefore reach the page only through JSON.parse and then textContent in
 * report.js - there is no HTML escaping to forget anywhere. As a second line of
 * defence the page's Content-Security-Policy lets only our own script and style run
 * (their SHA-256 hashes) and forbids every fetch.
 */
#include "report_render.h"

#include "report_assets.h" /* generated from reports/html/: report_js[], report_css[] */

#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A 9.x case logs up to 2000 wire rows (~350 KiB of JSON); 54 of them would make the
 * page 15 MiB. The page keeps the first rows (the handshake and the first frames, where
 * a failure shows) and the last ones (the close), and says where the rest is. */
#define HTML_WIRELOG_HEAD 200
#define HTML_WIRELOG_TAIL 50

/* Write JSON compact, with '<', '>' and '&' as \u escapes so that nothing in the data
 * can close the <script> block or open a comment in it. These characters occur in JSON
 * text only inside strings, where the escape means the same character. */
static int dump_escaped(const char *buf, size_t size, void *data)
{
    FILE *f = data;
    size_t start = 0;
    for (size_t i = 0; i < size; i++) {
        const char *rep = buf[i] == '<'   ? "\\u003c"
                          : buf[i] == '>' ? "\\u003e"
                          : buf[i] == '&' ? "\\u0026"
                                          : NULL;
        if (!rep)
            continue;
        fwrite(buf + start, 1, i - start, f);
        fputs(rep, f);
        start = i + 1;
    }
    fwrite(buf + start, 1, size - start, f);
    return ferror(f) ? -1 : 0;
}

static int write_json_block(FILE *f, const char *id, const json_t *j)
{
    fprintf(f, "<script type=\"application/json\" id=\"%s\">", id);
    /* 15 significant digits: timings read 12.345, not 12.345000000000001 */
    int rc = json_dump_callback(j, dump_escaped, f, JSON_COMPACT | JSON_REAL_PRECISION(15));
    fputs("</script>\n", f);
    return rc;
}

/* "sha256-BASE64" of an inline script or style, for the Content-Security-Policy. */
static void csp_hash(const unsigned char *p, size_t n, char *out, size_t cap)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
    if (!EVP_Digest(p, n, md, &md_len, EVP_sha256(), NULL)) {
        snprintf(out, cap, "sha256-unavailable"); /* matches nothing: the page stays inert */
        return;
    }
    EVP_EncodeBlock(b64, md, (int)md_len);
    snprintf(out, cap, "sha256-%s", (const char *)b64);
}

/* A per-case file name from the JSON must name a file in DIR, nothing else: a report
 * directory may come from elsewhere, and "../x" must not read outside it. */
static int safe_file_name(const json_t *s)
{
    const char *v = json_string_value(s);
    if (!v)
        return 0;
    size_t n = json_string_length(s);
    return n > 0 && n < 256 && strlen(v) == n && !strchr(v, '/') && v[0] != '.';
}

/* Keep the first HTML_WIRELOG_HEAD and the last HTML_WIRELOG_TAIL entries of arr. */
static json_t *slice_rows(json_t *arr, size_t n)
{
    json_t *out = json_array();
    for (size_t i = 0; out && i < n; i++)
        if (i < HTML_WIRELOG_HEAD || i >= n - HTML_WIRELOG_TAIL)
            json_array_append(out, json_array_get(arr, i));
    return out;
}

static void trim_wirelog(json_t *d)
{
    json_t *log = json_object_get(d, "wirelog");
    size_t n = json_array_size(log);
    if (n <= HTML_WIRELOG_HEAD + HTML_WIRELOG_TAIL)
        return;
    json_t *ms = json_object_get(d, "wirelogMs");
    if (json_array_size(ms) == n)
        json_object_set_new(d, "wirelogMs", slice_rows(ms, n));
    else
        json_object_del(d, "wirelogMs"); /* not one time per row: show none rather than wrong */
    json_object_set_new(d, "wirelog", slice_rows(log, n));
    json_object_set_new(d, "wirelogShown",
                        json_pack("{s:i,s:I}", "head", HTML_WIRELOG_HEAD, "omitted",
                                  (json_int_t)(n - HTML_WIRELOG_HEAD - HTML_WIRELOG_TAIL)));
}

/* The per-case detail of result c: its per-case file, checked to be about the same
 * agent and case, trimmed for the page. On any problem {"unavailable": why}. */
static json_t *case_detail(const char *dir, const json_t *c)
{
    char why[768], path[4096];
    const json_t *file = json_object_get(c, "reportfile");
    json_t *d = NULL;
    if (!safe_file_name(file)) {
        snprintf(why, sizeof why, "the result names no per-case file");
    } else if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, json_string_value(file)) >=
               sizeof path) {
        snprintf(why, sizeof why, "path too long");
    } else if ((d = report_load_json(path, why, sizeof why)) != NULL) {
        if (!json_is_object(d)) {
            snprintf(why, sizeof why, "%s: not a per-case report", json_string_value(file));
        } else if (!json_equal(json_object_get(d, "id"), json_object_get(c, "id"))) {
            snprintf(why, sizeof why, "%s is about another case", json_string_value(file));
        } else if (!json_equal(json_object_get(d, "agent"), json_object_get(c, "agent"))) {
            /* two agent names that normalise to one file name share files (Autobahn) */
            snprintf(why, sizeof why,
                     "%s holds the result of another agent whose name gives the same file name",
                     json_string_value(file));
        } else {
            json_object_del(d, "rfc"); /* already in wsspec.json's entry */
            trim_wirelog(d);
            return d;
        }
        json_decref(d);
    }
    return json_pack("{s:s}", "unavailable", why);
}

/* index -> true when results[index] is the last result of its (agent, case id) pair:
 * the per-case file holds that one, and the matrix shows it. */
static unsigned char *last_of_pair(const json_t *cases)
{
    size_t n = json_array_size(cases);
    unsigned char *last = calloc(n ? n : 1, 1);
    json_t *seen = json_object();
    if (!last || !seen) {
        free(last);
        json_decref(seen);
        return NULL;
    }
    for (size_t i = n; i-- > 0;) {
        const json_t *c = json_array_get(cases, i);
        const json_t *a = json_object_get(c, "agent"), *id = json_object_get(c, "id");
        if (!json_is_string(a) || !json_is_string(id))
            continue;
        size_t la = json_string_length(a), li = json_string_length(id);
        char *key = malloc(la + li + 1);
        if (!key)
            continue;
        memcpy(key, json_string_value(a), la);
        key[la] = '\x01'; /* cannot occur in either part once decoded from our JSON */
        memcpy(key + la + 1, json_string_value(id), li);
        if (!json_object_getn(seen, key, la + li + 1)) {
            last[i] = 1;
            json_object_setn_new_nocheck(seen, key, la + li + 1, json_true());
        }
        free(key);
    }
    json_decref(seen);
    return last;
}

int report_html_write(const char *dir, const json_t *run, char *err, size_t cap)
{
    const json_t *cases = json_object_get(run, "cases");
    unsigned char *last = last_of_pair(cases);
    if (!last) {
        snprintf(err, cap, "%s/%s: out of memory", dir, REPORT_HTML_FILE);
        return -1;
    }
    struct report_out o;
    if (report_out_open(&o, dir, REPORT_HTML_FILE, err, cap) != 0) {
        free(last);
        return -1;
    }
    char js_hash[128], css_hash[128];
    csp_hash(report_js, sizeof report_js, js_hash, sizeof js_hash);
    csp_hash(report_css, sizeof report_css, css_hash, sizeof css_hash);

    FILE *f = o.f;
    fprintf(f,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "script-src '%s'; style-src '%s'; img-src data:; base-uri 'none'; "
            "form-action 'none'\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, "
            "initial-scale=1\">\n" REPORT_HTML_GENERATOR "\n"
            "<title>wsspec report</title>\n<style>",
            js_hash, css_hash);
    fwrite(report_css, 1, sizeof report_css, f);
    fputs("</style>\n</head>\n<body>\n"
          "<noscript><p>This report needs JavaScript to show its results. The same data is "
          "in wsspec.json and index.json beside this file.</p></noscript>\n"
          "<div id=\"app\"></div>\n",
          f);
    int rc = write_json_block(f, "wsspec-run", run);
    for (size_t i = 0; rc == 0 && i < json_array_size(cases); i++) {
        if (!last[i])
            continue;
        char id[32];
        snprintf(id, sizeof id, "wsspec-d%zu", i);
        json_t *d = case_detail(dir, json_array_get(cases, i));
        rc = d ? write_json_block(f, id, d) : -1;
        json_decref(d);
    }
    fputs("<script>", f);
    fwrite(report_js, 1, sizeof report_js, f);
    fputs("</script>\n</body>\n</html>\n", f);
    free(last);
    if (rc != 0) {
        snprintf(err, cap, "%s/%s: cannot write the data", dir, REPORT_HTML_FILE);
        report_out_abort(&o);
        return -1;
    }
    return report_out_commit(&o, err, cap);
}

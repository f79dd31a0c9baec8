/*
 * fuzz_page.c - the findings page of `wsspec fuzz` (fuzz_page.h).
 */
#include "html_text.h"
#include "fuzz_page.h"

#include <stdio.h>
#include <string.h>

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static long long num(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

static double secs(const json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

static void put_findings(FILE *f, const json_t *found)
{
    if (json_array_size(found) == 0) {
        fputs("<p>No finding.</p>\n", f);
        return;
    }
    fputs("<table><tr><th>id</th><th>kind</th><th>what</th><th>case file</th><th>from "
          "seed case</th><th>conversation</th><th>found after</th><th>steps</th></tr>\n",
          f);
    size_t i;
    const json_t *x;
    json_array_foreach(found, i, x)
    {
        const char *file = str(x, "file"), *base = strrchr(file, '/');
        base = base ? base + 1 : file;
        fputs("<tr><td>", f);
        html_text(f, str(x, "id"));
        fputs("</td><td>", f);
        html_text(f, str(x, "kind"));
        fputs("</td><td>", f);
        html_text(f, str(x, "what"));
        fputs("</td><td><a href=\"", f);
        html_text(f, base);
        fputs("\">", f);
        html_text(f, base);
        fputs("</a></td><td>", f);
        html_text(f, str(x, "seedCase"));
        fprintf(f, "</td><td>%lld</td><td>%.1f s</td><td>%lld (from %lld)</td></tr>\n",
                num(x, "conversation"), secs(x, "secondsToFind"), num(x, "stepsMinimised"),
                num(x, "stepsFound"));
    }
    fputs("</table>\n", f);
}

static void put_coverage(FILE *f, const json_t *cov)
{
    if (!cov)
        return;
    fprintf(f,
            "<h2>Coverage (%s)</h2>\n<p>%lld edges reached, %lld conversations queued, map "
            "of %lld bytes.</p>\n<table><tr><th>seconds</th><th>conversations</th>"
            "<th>edges</th><th>queue</th></tr>\n",
            strcmp(str(cov, "mode"), "watch") == 0 ? "watched" : "guided", num(cov, "edges"),
            num(cov, "queue"), num(cov, "mapSize"));
    size_t i;
    const json_t *x;
    json_array_foreach(json_object_get(cov, "edgesOverTime"), i, x)
        fprintf(f, "<tr><td>%.0f</td><td>%lld</td><td>%lld</td><td>%lld</td></tr>\n",
                secs(x, "seconds"), num(x, "conversations"), num(x, "edges"), num(x, "queue"));
    fputs("</table>\n", f);
}

int fuzz_page_write(const char *path, const json_t *summary)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<title>wsspec fuzz findings</title>\n<style>body{font:14px sans-serif;margin:2em}"
          "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;"
          "text-align:left;vertical-align:top}</style></head><body>\n<h1>wsspec fuzz: ",
          f);
    html_text(f, str(summary, "url"));
    fputs("</h1>\n<p>", f);
    if (json_object_get(summary, "cmd")) {
        fputs("Target started with <code>", f);
        html_text(f, str(summary, "cmd"));
        fputs("</code>. ", f);
    }
    fprintf(f, "Seed %lld, %lld conversations and %lld replays in %.0f s%s.</p>\n",
            num(summary, "seed"), num(summary, "conversations"), num(summary, "replays"),
            secs(summary, "seconds"),
            json_is_true(json_object_get(summary, "finished")) ? "" : " (still running)");
    fputs("<h2>Findings</h2>\n<p>Replay them with <code>wsspec run URL --cases-dir "
          "DIR</code>.</p>\n",
          f);
    put_findings(f, json_object_get(summary, "findings"));
    put_coverage(f, json_object_get(summary, "coverage"));
    fputs("</body></html>\n", f);
    return fclose(f);
}

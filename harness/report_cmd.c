/*
 * report_cmd.c - `wsspec report DIR [--format LIST]`: render HTML, JUnit and Markdown
 * again from the JSON of a report directory written by `wsspec run` (after an upgrade,
 * on another machine, or for a format the run left out). It goes through the same
 * report_render call as the run, so the files are the ones the run would have written.
 * Exit status: 0 rendered, 2 anything wrong (usage, no such directory, not a wsspec
 * report, a file that cannot be written).
 */
#include "report_cmd.h"

#include "report_render.h"

#include <stdio.h>
#include <string.h>

static const char report_usage[] =
    "usage: wsspec report DIR [--format LIST]\n"
    "\n"
    "Render the reports of a `wsspec run` again from the JSON in DIR (DIR/wsspec.json and\n"
    "the per-case files), e.g. after an upgrade of wsspec or for a format the run left out.\n"
    "\n"
    "  --format LIST   comma list of html, junit, md (default: html,junit,md); json is\n"
    "                  accepted and changes nothing: the JSON is the input, never rewritten\n"
    "\n"
    "Files: DIR/" REPORT_HTML_FILE " (open it in a browser; self-contained), DIR/" REPORT_JUNIT_FILE
    ", DIR/" REPORT_MD_FILE ".\n"
    "Exit status: 0 rendered, 2 usage error, DIR missing or not a wsspec report, or a file\n"
    "that cannot be written.\n";

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "wsspec report: %s%s%s\nTry 'wsspec report --help'.\n", msg, arg ? " " : "",
            arg ? arg : "");
    return 2;
}

int report_main(int argc, char **argv)
{
    const char *dir = NULL;
    unsigned formats = REPORT_HTML | REPORT_JUNIT | REPORT_MD;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(report_usage, stdout);
            return 0;
        } else if (!strcmp(a, "--format") || !strncmp(a, "--format=", 9)) {
            const char *v = a[8] == '=' ? a + 9 : i + 1 < argc ? argv[++i] : NULL;
            char err[256];
            if (!v)
                return usage_error("option --format needs a value", NULL);
            if (report_formats_parse(v, &formats, err, sizeof err) != 0)
                return usage_error("--format:", err);
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown option", a);
        } else if (dir) {
            return usage_error("one report directory only; extra argument", a);
        } else {
            dir = a;
        }
    }
    if (!dir)
        return usage_error("no report directory given", NULL);
    if (!(formats & (REPORT_HTML | REPORT_JUNIT | REPORT_MD))) {
        /* still check DIR, so a typo is not a silent success */
        char err[1024];
        json_t *run = report_load_run(dir, err, sizeof err);
        if (!run) {
            fprintf(stderr, "wsspec report: %s\n", err);
            return 2;
        }
        json_decref(run);
        printf("report: nothing to render (json is the input: %s/%s)\n", dir, REPORT_RUN_FILE);
        return 0;
    }
    char err[1024];
    if (report_render_print(dir, formats, stdout, err, sizeof err) != 0) {
        fprintf(stderr, "wsspec report: %s\n", err);
        return 2;
    }
    return 0;
}

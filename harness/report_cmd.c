/*
 * report_cmd.c - `wsspec report DIR [--format LIST]`: render HTML, JUnit and Markdown
 * again from the JSON of a report directory written by `wsspec run` (after an upgrade,
 * on another machine, or for a format the run left out). It goes through the same
 * report_render call as the run, so the files are the ones the run would have written.
 * Exit status: 0 rendered, 2 anything wrong (usage, no such directory, not a wsspec
 * report, a file that cannot be written).
 */
#include "report_cmd.h"

#include "echo/cli_doc.h"
#include "report_render.h"

#include <stdio.h>
#include <string.h>

/* --help and wsspec-report(1) (echo/cli_doc.h); report_main takes exactly these options */
static const char *const report_group[] = {""};

static const struct cli_opt report_opts[] = {
    {"format", 0, "LIST", 1, 0,
     "comma list of html, junit, md (default: html,junit,md); json is accepted and changes "
     "nothing: the JSON is the input, never rewritten"},
    {"help", 'h', NULL, 1, 0, "this text"},
};

static const char *const report_description[] = {
    "Render the reports of a `wsspec run` again from the JSON in DIR (DIR/wsspec.json and the "
    "per-case files), e.g. after an upgrade of wsspec or for a format the run left out.",
    NULL,
};

static const struct cli_operand report_operands[] = {
    {"DIR", "a report directory written by `wsspec run` (its --report-dir)"},
};

static const char *const report_notes[] = {
    "Files: DIR/" REPORT_HTML_FILE " (open it in a browser; self-contained), DIR/" REPORT_JUNIT_FILE
    ", DIR/" REPORT_MD_FILE ".",
    NULL,
};

static const char *const report_examples[] = {
    "wsspec report wsspec-report",
    "render the HTML, JUnit and Markdown reports again",
    "wsspec report old-run --format html",
    "only index.html",
    NULL,
};

const struct cli_doc report_doc = {
    .name = "report",
    .synopsis = "DIR [--format LIST]",
    .description = report_description,
    .operands = report_operands,
    .n_operands = 1,
    .group_intro = report_group,
    .n_groups = 1,
    .opts = report_opts,
    .n_opts = sizeof report_opts / sizeof report_opts[0],
    .notes = report_notes,
    .exit_status = "Exit status: 0 rendered, 2 usage error, DIR missing or not a wsspec report, "
                   "or a file that cannot be written.",
    .examples = report_examples,
};

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
            cli_doc_help(stdout, &report_doc);
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

/*
 * case_lint.c - `wsspec lint` and `wsspec list`: the command-line face of the case
 * catalogue (case_files.c and case_parse.c read and check, case_select.c filters; this
 * file finds the files, prints, and turns the outcome into an exit status). lint also
 * reads the vocabulary table (case_vocab.def): --help lists every directive and option
 * from it, and a misspelt directive or option gets the nearest known name.
 *
 * lint prints diagnostics on stdout, because they are what was asked for; list prints
 * cases on stdout and diagnostics on stderr, so its output stays a clean listing (or
 * clean JSON) even when a file has errors. JSON is written by hand: it is only written
 * here, never read.
 */
/* realpath(): POSIX, but glibc declares it only for X/Open or default builds. */
#define _DEFAULT_SOURCE

#include "case_lint.h"
#include "script.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "case_vocab.h"
#include "echo/cli_doc.h"
#include "ws_utf8.h"

/* Paths in diagnostics and from /proc/self/exe; longer ones are refused, not cut. */
#define PATH_BYTES_MAX 4096

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ------------------------------------------------------------ the built-in catalogue */

/* Where the built-in catalogue is looked for, in this order - never the working
 * directory, which may hold an unrelated cases/ (a user's own catalogue is added with
 * --cases-dir, by name):
 *   1. $WSSPEC_CASES, when set and not empty: the user says where;
 *   2. <bindir>/../share/wsspec/cases: an installed wsspec (make install PREFIX=...),
 *      wherever the prefix was moved to;
 *   3. <bindir>/../cases: the build tree (build/wsspec beside cases/);
 *   4. WSSPEC_CASES_DIR, compiled in by the Makefile: the source tree's cases/ at build
 *      time, absolute, or what a packager set with make CASES_DIR=...; a copied binary
 *      still finds it.
 * <bindir> is the running binary's directory (/proc/self/exe: a symlink to the binary
 * does not move it). */
struct case_home {
    char dir[PATH_BYTES_MAX];
    const char *how; /* which of the four */
    char tried[2 * PATH_BYTES_MAX];
    bool found;
};

static struct case_home g_home;

/* Take cand when it is a directory; otherwise add it to the places tried. */
static bool home_try(struct case_home *h, const char *cand, const char *how)
{
    char *canon = realpath(cand, NULL); /* allocates: no PATH_MAX-sized buffer assumed */
    bool ok = canon && strlen(canon) < sizeof h->dir && is_dir(canon);
    if (ok) {
        memcpy(h->dir, canon, strlen(canon) + 1);
        h->how = how;
        h->found = true;
    } else {
        size_t n = strlen(h->tried);
        snprintf(h->tried + n, sizeof h->tried - n, "%s%s", n ? ", " : "", cand);
    }
    free(canon);
    return ok;
}

static void home_find(struct case_home *h)
{
    memset(h, 0, sizeof *h);
    const char *env = getenv("WSSPEC_CASES");
    if (env && *env) {
        /* as given: a typo is reported by the reader, naming what it cannot open */
        snprintf(h->dir, sizeof h->dir, "%s", env);
        h->how = "$WSSPEC_CASES";
        h->found = true;
        return;
    }
    char exe[PATH_BYTES_MAX], cand[PATH_BYTES_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = NULL;
    if (n > 0 && (size_t)n < sizeof exe - 1) {
        exe[n] = '\0';
        slash = strrchr(exe, '/');
    }
    if (slash) {
        *slash = '\0';
        snprintf(cand, sizeof cand, "%s/../share/wsspec/cases", exe);
        if (home_try(h, cand, "installed"))
            return;
        snprintf(cand, sizeof cand, "%s/../cases", exe);
        if (home_try(h, cand, "build tree"))
            return;
    }
#ifdef WSSPEC_CASES_DIR
    /* a relative path would be the working directory's again: only an absolute one */
    if (WSSPEC_CASES_DIR[0] == '/')
        home_try(h, WSSPEC_CASES_DIR, "built in");
#endif
}

const char *case_default_dir(void)
{
    home_find(&g_home);
    return g_home.found ? g_home.dir : NULL;
}

void case_default_dir_describe(char *out, size_t cap)
{
    home_find(&g_home);
    if (g_home.found)
        snprintf(out, cap, "%s (%s)", g_home.dir, g_home.how);
    else
        snprintf(out, cap, "not found (looked in %s; set WSSPEC_CASES=DIR)", g_home.tried);
}

const char *case_default_dir_or_say(const char *cmd)
{
    const char *dir = case_default_dir();
    if (!dir)
        fprintf(stderr,
                "wsspec %s: the built-in catalogue was not found (looked in %s; set "
                "WSSPEC_CASES=DIR)\n",
                cmd, g_home.tried);
    return dir;
}

/* ------------------------------------------------------------ reading */

static void diag_to(void *ud, const char *msg)
{
    fprintf((FILE *)ud, "%s\n", msg);
}

/* Canonical names of what was read already, so a path given twice (or --cases-dir
 * naming the built-in directory) is not read twice and reported as duplicate ids. */
struct seen {
    char **v;
    size_t n;
};

static bool seen_before(struct seen *s, const char *path)
{
    char *canon = realpath(path, NULL);
    if (!canon)
        return false; /* the reader reports why it cannot be read */
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], canon) == 0) {
            free(canon);
            return true;
        }
    char **q = realloc(s->v, (s->n + 1) * sizeof *q);
    if (!q) {
        free(canon);
        return false;
    }
    s->v = q;
    s->v[s->n++] = canon;
    return false;
}

static void seen_free(struct seen *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
}

static size_t read_path(struct case_catalogue *cat, struct seen *s, const char *path, FILE *out)
{
    if (seen_before(s, path))
        return 0;
    if (is_dir(path))
        return case_parse_dir(cat, path, diag_to, out);
    return case_parse_files(cat, &path, 1, diag_to, out);
}

/* ------------------------------------------------------------ lint */

/* The word quoted after `prefix` in msg: *b at its first byte, *n its length up to the
 * closing quote, *end after that quote. False when msg has no such word. */
static bool quoted_after(const char *msg, const char *prefix, const char **b, size_t *n,
                         const char **end)
{
    const char *at = strstr(msg, prefix);
    if (!at)
        return false;
    *b = at + strlen(prefix);
    const char *q = strchr(*b, '\'');
    if (!q)
        return false;
    *n = (size_t)(q - *b);
    *end = q + 1;
    return true;
}

/* The name a misspelt directive or option was probably meant to be, as lint shows it
 * ("send", "fin="); NULL for any other diagnostic or no near name. *end is where the
 * quoted word ends in msg. */
static const char *suggestion(const char *msg, const char **end, char out[40])
{
    const char *b;
    size_t n;
    char word[40];
    const char *near = NULL;
    bool option = false;
    if (quoted_after(msg, CASE_MSG_UNKNOWN_DIRECTIVE, &b, &n, end) && n < sizeof word) {
        snprintf(word, sizeof word, "%.*s", (int)n, b);
        near = case_vocab_nearest_directive(word);
    } else if (quoted_after(msg, CASE_MSG_UNKNOWN_OPTION, &b, &n, end) && n > 0 &&
               n < sizeof word && b[n - 1] == '=') {
        snprintf(word, sizeof word, "%.*s", (int)(n - 1), b);
        near = case_vocab_nearest_option(word);
        option = true;
    }
    if (!near)
        return NULL;
    snprintf(out, 40, "%s%s", near, option ? "=" : "");
    return out;
}

/* lint's diagnostics: the reader's line, with "(did you mean 'X'?)" after a misspelt
 * directive or option. */
static void lint_diag(void *ud, const char *msg)
{
    char near[40];
    const char *end;
    if (!suggestion(msg, &end, near)) {
        fprintf((FILE *)ud, "%s\n", msg);
        return;
    }
    fprintf((FILE *)ud, "%.*s (did you mean '%s'?)%s\n", (int)(end - msg), msg, near, end);
}

static size_t lint_path(struct case_catalogue *cat, struct seen *s, const char *path)
{
    if (seen_before(s, path))
        return 0;
    if (is_dir(path))
        return case_parse_dir(cat, path, lint_diag, stdout);
    return case_parse_files(cat, &path, 1, lint_diag, stdout);
}

/* Every directive, send kind and option, from the table: the format at a glance. */
static void print_vocabulary(FILE *f)
{
    fprintf(f, "\nDirectives (cases/README.md has the details):\n");
    for (int i = 0; i < CD_N; i++) {
        const struct case_directive_row *r = &case_vocab_directives[i];
        fprintf(f, "  %s%s%s\n      %s%s\n", r->name, r->args[0] ? " " : "", r->args, r->text,
                r->where == CV_TOP       ? " (top level)"
                : r->need == CV_REQUIRED ? " (required)"
                : r->repeat == CV_ONCE   ? " (at most once)"
                                         : "");
    }
    fprintf(f, "\nSend kinds (send KIND ...):\n");
    for (int i = 0; i < CS_N; i++)
        fprintf(f, "  send %s %s\n      %s\n", case_vocab_sends[i].name, case_vocab_sends[i].args,
                case_vocab_sends[i].text);
    fprintf(f, "\nStep options (name=VALUE, or a bare flag) and the lines that take them:\n");
    for (int i = 0; i < CO_N; i++) {
        const struct case_option_row *r = &case_vocab_options[i];
        fprintf(f, "  %s%s  %s%s%s\n      taken by", r->name, r->arg == CV_VALUE ? "=" : "",
                r->text, r->value[0] ? ": " : "", r->value);
        for (int c = 0, first = 1; c < CTX_N; c++)
            if (r->in & (1u << c)) {
                fprintf(f, "%s %s", first ? "" : ",", case_vocab_ctx_name((enum case_ctx)c));
                first = 0;
            }
        fputc('\n', f);
    }
    fprintf(f, "\nDeclared policies (policy NAME; {NAME} in a line is the value of wsspec run\n"
               "--NAME VALUE, else the survey value; undeclared, the case is INFORMATIONAL):\n");
    for (int i = 0; i < CP_N; i++) {
        const struct case_policy_row *r = &case_vocab_policies[i];
        fprintf(f, "  %s  (survey value %s)\n      %s\n", r->name, r->survey, r->text);
    }
}

/* ------------------------------------------------------------ --help, man pages */

/* lint's and list's --help, and their man pages: cli_doc rows (echo/cli_doc.h). Their
 * parsers (case_cmd_lint, case_cmd_list) take exactly these options - itest_man checks
 * that each is accepted; max > 1 marks a repeatable one (the parsers bound none). */
static const char *const one_group[] = {""};

static const struct cli_opt lint_opts[] = {
    {"help", 'h', NULL, 1, 0, "this text, and the vocabulary of the format"},
};

static const char *const lint_description[] = {
    "Check case files (cases/README.md, wsspec-cases(5)) and print every error as "
    "FILE:LINE: message, then a summary. Directories contribute their *.wsc files; all files "
    "together form one catalogue, so case ids must be unique over all of them. Default: the "
    "built-in catalogue.",
    NULL,
};

static const struct cli_operand lint_operands[] = {
    {"FILES|DIRS", "case files, or directories whose *.wsc files are read"},
};

static const char *const lint_examples[] = {
    "wsspec lint",
    "check the built-in catalogue",
    "wsspec lint my-cases/",
    "check your own case files",
    NULL,
};

static void lint_help_extra(FILE *f)
{
    char home[sizeof g_home.tried + 64];
    case_default_dir_describe(home, sizeof home);
    char line[sizeof home + 128];
    snprintf(line, sizeof line, "The built-in catalogue: %s.", home);
    fputc('\n', f);
    cli_doc_wrap(f, line, 0, 0);
    print_vocabulary(f);
}

const struct cli_doc lint_doc = {
    .name = "lint",
    .synopsis = "[FILES|DIRS...]",
    .description = lint_description,
    .operands = lint_operands,
    .n_operands = 1,
    .group_intro = one_group,
    .n_groups = 1,
    .opts = lint_opts,
    .n_opts = sizeof lint_opts / sizeof lint_opts[0],
    .help_extra = lint_help_extra,
    .exit_status = "Exit status: 0 no errors, 1 errors, 2 usage error or nothing to check (no "
                   "case file in what was given).",
    .examples = lint_examples,
};

static void lint_usage(FILE *f)
{
    cli_doc_help(f, &lint_doc);
}

int case_cmd_lint(int argc, char **argv)
{
    bool opts_done = false;
    size_t n_paths = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (opts_done || a[0] != '-' || a[1] == '\0') {
            n_paths++;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            opts_done = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            lint_usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "wsspec lint: unknown option '%s' (see wsspec lint --help)\n", a);
            return 2;
        }
    }
    struct case_catalogue cat;
    memset(&cat, 0, sizeof cat);
    struct seen seen = {0};
    size_t errors = 0;
    opts_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!opts_done && strcmp(a, "--") == 0) {
            opts_done = true;
            continue;
        }
        if (opts_done || a[0] != '-' || a[1] == '\0')
            errors += lint_path(&cat, &seen, a);
    }
    const char *home = n_paths ? NULL : case_default_dir_or_say("lint");
    if (n_paths == 0 && !home)
        return 2;
    if (home)
        errors += lint_path(&cat, &seen, home);
    size_t n_files = cat.n_files;
    printf("%zu files, %zu cases, %zu errors\n", n_files, cat.n_cases, errors);
    case_catalogue_free(&cat);
    seen_free(&seen);
    if (fflush(stdout) != 0)
        return 1;
    /* an empty folder checked nothing: that is not a clean bill of health */
    if (n_files == 0 && !errors) {
        fprintf(stderr, "wsspec lint: no case files (*.wsc) in what was given: nothing was "
                        "checked\n");
        return 2;
    }
    return errors ? 1 : 0;
}

/* ------------------------------------------------------------ list */

static const char *judge_name(enum judge_kind j)
{
    switch (j) {
    case JUDGE_SIZE:
        return "size";
    case JUDGE_INFORMATIONAL:
        return "informational";
    case JUDGE_REFUSAL:
        return "refusal";
    case JUDGE_EVENTS:
    default:
        return "events";
    }
}

/* "any", "client" or "server": the role wsspec plays (`role`). */
static const char *case_role_name(enum case_role r)
{
    return r == CASE_ROLE_SERVER ? "server" : r == CASE_ROLE_CLIENT ? "client" : "any";
}

static const char *level_name(enum rfc_level l)
{
    return l == RFC_MUST ? "MUST" : l == RFC_SHOULD ? "SHOULD" : "MAY";
}

/* A JSON string (RFC 8259): quotes, backslashes and control characters escaped; a byte
 * that does not start a valid UTF-8 sequence becomes U+FFFD, so the output is valid
 * whatever the catalogue holds. */
static void json_str(FILE *f, const char *s)
{
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)u);
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc(c, f);
            i++;
        } else if (c < 0x20) {
            switch (c) {
            case '\n':
                fputs("\\n", f);
                break;
            case '\r':
                fputs("\\r", f);
                break;
            case '\t':
                fputs("\\t", f);
                break;
            case '\b':
                fputs("\\b", f);
                break;
            case '\f':
                fputs("\\f", f);
                break;
            default:
                fprintf(f, "\\u%04x", c);
            }
            i++;
        } else if (c < 0x80) {
            fputc(c, f);
            i++;
        } else {
            size_t len = c >= 0xC2 && c <= 0xDF   ? 2
                         : c >= 0xE0 && c <= 0xEF ? 3
                         : c >= 0xF0 && c <= 0xF4 ? 4
                                                  : 0;
            if (len && len <= n - i && ws_utf8_valid(u + i, len)) {
                fwrite(u + i, 1, len, f);
                i += len;
            } else {
                fputs("\\ufffd", f);
                i++;
            }
        }
    }
    fputc('"', f);
}

int case_list_json(FILE *out, const struct case_catalogue *cat, const size_t *idx, size_t n)
{
    fputc('[', out);
    for (size_t k = 0; k < n; k++) {
        const struct case_def *c = &cat->cases[idx[k]];
        fputs(k ? ",\n  {" : "\n  {", out);
        fputs("\"id\": ", out);
        json_str(out, c->id);
        fputs(", \"title\": ", out);
        json_str(out, c->title);
        fputs(", \"expectation\": ", out);
        json_str(out, c->expectation);
        fputs(", \"rfc\": [", out);
        for (size_t r = 0; r < c->n_rfc; r++) {
            fputs(r ? ", {\"section\": " : "{\"section\": ", out);
            json_str(out, c->rfc[r].section);
            fputs(", \"level\": ", out);
            json_str(out, level_name(c->rfc[r].level));
            fputs(", \"sentence\": ", out);
            json_str(out, c->rfc[r].sentence);
            fputc('}', out);
        }
        fputs("], \"judge\": ", out);
        json_str(out, judge_name(c->judge));
        fputs(", \"role\": ", out);
        json_str(out, case_role_name(c->role));
        fputs(", \"file\": ", out);
        json_str(out, c->file);
        fprintf(out, ", \"line\": %d}", c->line);
    }
    fputs(n ? "\n]\n" : "]\n", out);
    return ferror(out) ? -1 : 0;
}

static const struct cli_opt list_opts[] = {
    {"cases", 0, "PATTERNS", 2, 0,
     "only these cases: comma-separated ids or patterns with '*' matched from the start of "
     "the id (\"1.*,6.4.*\", \"9.1.1\")"},
    {"exclude", 0, "PATTERNS", 2, 0, "leave these out (same syntax)"},
    {"cases-dir", 0, "DIR", 2, 0, "add the *.wsc files of DIR to the catalogue"},
    {"role", 0, "client|server", 1, 0,
     "the cases wsspec runs in that role: client (default) = wsspec run's, server = wsspec "
     "serve's (cases that test a client, marked [client test], and those that mean the same "
     "with the roles swapped)"},
    {"json", 0, NULL, 1, 0,
     "a JSON array of {id, title, expectation, rfc, judge, role, file, line} instead of text"},
    {"help", 'h', NULL, 1, 0, "this text"},
};

static const char *const list_description[] = {
    "List the cases of the catalogue: one line per case, its id and title.",
    NULL,
};

static const char *const list_examples[] = {
    "wsspec list --cases '7.*'",
    "the cases of section 7",
    "wsspec list --json",
    "every case with its requirement, as JSON",
    NULL,
};

static void list_help_extra(FILE *f)
{
    char home[sizeof g_home.tried + 64];
    case_default_dir_describe(home, sizeof home);
    char line[sizeof home + 128];
    snprintf(line, sizeof line, "The built-in catalogue: %s ($WSSPEC_CASES overrides it).", home);
    fputc('\n', f);
    cli_doc_wrap(f, line, 0, 0);
}

const struct cli_doc list_doc = {
    .name = "list",
    .synopsis = "[--cases PATTERNS] [--exclude PATTERNS] [--cases-dir DIR]... [--role "
                "client|server] [--json]",
    .description = list_description,
    .group_intro = one_group,
    .n_groups = 1,
    .opts = list_opts,
    .n_opts = sizeof list_opts / sizeof list_opts[0],
    .help_extra = list_help_extra,
    .exit_status = "Exit status: 0 listed, 1 errors in the catalogue (the valid cases are still "
                   "listed), 2 usage error or no case matches.",
    .examples = list_examples,
};

static void list_usage(FILE *f)
{
    cli_doc_help(f, &list_doc);
}

/* "--name VALUE" or "--name=VALUE": the value, advancing *i past it; NULL if argv[*i] is
 * not this option. *missing is set when the option has no value. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

/* Repeated --cases / --exclude add to the list. */
static bool append_list(char **list, const char *v)
{
    size_t old = *list ? strlen(*list) : 0, vn = strlen(v);
    char *q = realloc(*list, old + 1 + vn + 1);
    if (!q)
        return false;
    if (old)
        q[old++] = ',';
    memcpy(q + old, v, vn + 1);
    *list = q;
    return true;
}

/* Keep the selected cases that run in the role: wsspec serve's (serving) or wsspec run's. */
static size_t keep_role(const struct case_catalogue *cat, size_t *idx, size_t n, bool serving)
{
    size_t kept = 0;
    for (size_t k = 0; k < n; k++) {
        const struct case_def *c = &cat->cases[idx[k]];
        if (serving ? script_case_serves(c, NULL) : script_case_runs_as_client(c, NULL))
            idx[kept++] = idx[k];
    }
    return kept;
}

int case_cmd_list(int argc, char **argv)
{
    char *include = NULL, *exclude = NULL;
    bool json = false, serving = false;
    int status = 2;
    const char **dirs = calloc((size_t)(argc > 0 ? argc : 1), sizeof *dirs);
    size_t n_dirs = 0;
    if (!dirs) {
        fprintf(stderr, "wsspec list: out of memory\n");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            list_usage(stdout);
            status = 0;
            goto out;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if ((v = opt_value(argc, argv, &i, "--role", &missing))) {
            if (strcmp(v, "client") != 0 && strcmp(v, "server") != 0) {
                fprintf(stderr, "wsspec list: --role needs client or server, not '%s'\n", v);
                goto out;
            }
            serving = v[0] == 's';
        } else if ((v = opt_value(argc, argv, &i, "--cases-dir", &missing))) {
            dirs[n_dirs++] = v;
        } else if (!missing && (v = opt_value(argc, argv, &i, "--cases", &missing))) {
            if (!*v) { /* an empty variable in a script, not "every case" */
                fprintf(stderr, "wsspec list: --cases needs at least one id or pattern\n");
                goto out;
            }
            if (!append_list(&include, v)) {
                fprintf(stderr, "wsspec list: out of memory\n");
                status = 1;
                goto out;
            }
        } else if (!missing && (v = opt_value(argc, argv, &i, "--exclude", &missing))) {
            if (!append_list(&exclude, v)) {
                fprintf(stderr, "wsspec list: out of memory\n");
                status = 1;
                goto out;
            }
        } else if (missing) {
            fprintf(stderr, "wsspec list: option '%s' needs a value\n", argv[i]);
            goto out;
        } else {
            fprintf(stderr, "wsspec list: unknown option or argument '%s' (see --help)\n", argv[i]);
            goto out;
        }
    }

    const char *home = case_default_dir_or_say("list");
    if (!home)
        goto out;
    struct case_catalogue cat;
    memset(&cat, 0, sizeof cat);
    struct seen seen = {0};
    size_t errors = read_path(&cat, &seen, home, stderr);
    for (size_t d = 0; d < n_dirs; d++) {
        if (!is_dir(dirs[d])) {
            fprintf(stderr, "%s:0: not a directory\n", dirs[d]);
            errors++;
            continue;
        }
        errors += read_path(&cat, &seen, dirs[d], stderr);
    }
    size_t *idx = malloc((cat.n_cases + 1) * sizeof *idx);
    if (!idx) {
        fprintf(stderr, "wsspec list: out of memory\n");
        status = 1;
    } else {
        size_t n = case_select(&cat, include, exclude, idx);
        size_t any = n;
        n = keep_role(&cat, idx, n, serving);
        if (n == 0 && any) {
            fprintf(stderr,
                    "wsspec list: the cases matching --cases '%s' run only as the %s "
                    "(--role %s)\n",
                    include ? include : "*", serving ? "client" : "server",
                    serving ? "client" : "server");
        } else if (n == 0) { /* as `wsspec run` says it: nothing would run */
            fprintf(stderr, "wsspec list: no case matches --cases '%s'%s%s\n",
                    include ? include : "*", exclude ? " minus --exclude " : "",
                    exclude ? exclude : "");
        } else if (json) {
            case_list_json(stdout, &cat, idx, n);
        } else {
            for (size_t k = 0; k < n; k++) {
                const struct case_def *c = &cat.cases[idx[k]];
                printf("%-8s  %s%s\n", c->id, c->role == CASE_ROLE_SERVER ? "[client test] " : "",
                       c->title);
            }
        }
        status = n == 0 ? 2 : errors ? 1 : 0;
        if (fflush(stdout) != 0 || ferror(stdout)) {
            fprintf(stderr, "wsspec list: cannot write the listing: %s\n", strerror(errno));
            status = 1;
        }
    }
    free(idx);
    case_catalogue_free(&cat);
    seen_free(&seen);
out:
    free(include);
    free(exclude);
    free(dirs);
    return status;
}

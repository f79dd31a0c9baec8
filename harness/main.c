/*
 * main.c - the `wsspec` binary: one table of subcommands and the dispatch over it.
 *
 * A subcommand is a row {name, one-line summary, entry point, doc}; its entry point gets
 * argv starting at the subcommand's name and returns the exit status; a new subcommand
 * is a new row and nothing else changes. Exit status 2 is a usage error or wsspec's own
 * trouble everywhere (unknown subcommand, bad option, a file it cannot write).
 *
 * doc (echo/cli_doc.h, or NULL) is the subcommand's --help and man page in one: give a
 * new subcommand an option table (<cmd>_opts.def, as run_opts.def) expanded into a
 * struct cli_doc, put it in its row, and `make man` builds wsspec-<cmd>(1) from it,
 * `make install` installs it, the shell completions offer its options (`wsspec
 * complete`) and itest_man checks it against --help: nothing else to change.
 *
 * Two rows are hidden (not in the usage list), for the build and the shell:
 *   wsspec man --list                 the man pages there are: wsspec.1, wsspec-CMD.1
 *                                     for each row with a doc, wsspec-cases.5
 *   wsspec man [--date D] PAGE        one of them in roff on stdout (PAGE: wsspec, a
 *                                     subcommand, or cases)
 *   wsspec complete [CMD]             the subcommands, or CMD's options, one per line
 *                                     ("-j --jobs N": short, long, argument)
 */
#include "case_lint.h"
#include "case_man.h"
#include "echo/cli_doc.h"
#include "client_cmd.h"
#include "echo/echo_cli.h"
#include "load_cmd.h"
#include "fuzz_cmd.h"
#include "report_cmd.h"
#include "run_cmd.h"
#include "serve_cmd.h"

#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#define WSSPEC_VERSION "0.1.0"

struct wsspec_command {
    const char *name;
    const char *summary; /* also the NAME line of its man page */
    int (*main)(int argc, char **argv);
    const struct cli_doc *doc; /* --help and man page; NULL: none yet */
    bool hidden;               /* for the build and the shell, not in the usage list */
};

static int cmd_version(int argc, char **argv);
static const struct cli_doc version_doc;
static int cmd_help(int argc, char **argv);
static int cmd_man(int argc, char **argv);
static int cmd_complete(int argc, char **argv);

static const struct wsspec_command wsspec_commands[] = {
    {"run", "run the conformance catalogue against WebSocket servers: wsspec run URL", run_main,
     &run_doc, false},
    {"serve",
     "play the server for a WebSocket client under test (Autobahn's fuzzingserver): "
     "wsspec serve --listen HOST:PORT",
     serve_main, &serve_doc, false},
    {"list", "list the cases (selected with --cases/--exclude), one per line", case_cmd_list,
     &list_doc, false},
    {"lint", "check case files: unique ids, known directives, well-formed payloads", case_cmd_lint,
     &lint_doc, false},
    {"echo", "run the reference endpoint: a strict RFC 6455 echo server", echo_cli_main, &echo_doc,
     false},
    {"client", "run the reference client: a strict RFC 6455 echo client: wsspec client URL",
     client_main, &client_doc, false},
    {"load", "put an echo load on a server, time and check every echo: wsspec load URL", load_main,
     &load_doc, false},
    {"fuzz",
     "fuzz a live server with conversations mutated from the catalogue; findings saved as "
     "case files: wsspec fuzz URL",
     fuzz_main, &fuzz_doc, false},
    {"report", "render HTML, JUnit and Markdown again from a report's JSON: wsspec report DIR",
     report_main, &report_doc, false},
    {"version",
     "print the version of wsspec, of the OpenSSL and zlib it uses, and where its "
     "catalogue is",
     cmd_version, &version_doc, false},
    {"help", "this list, or one subcommand's options: wsspec help SUBCOMMAND", cmd_help, NULL,
     false},
    {"man", "print a man page in roff: wsspec man [--date D] PAGE, or --list", cmd_man, NULL, true},
    {"complete", "print the subcommands, or a subcommand's options, for shell completion",
     cmd_complete, NULL, true},
};

#define WSSPEC_N_COMMANDS (sizeof wsspec_commands / sizeof wsspec_commands[0])

static const struct wsspec_command *find_command(const char *name)
{
    for (size_t i = 0; i < WSSPEC_N_COMMANDS; i++)
        if (strcmp(wsspec_commands[i].name, name) == 0)
            return &wsspec_commands[i];
    return NULL;
}

static void usage(FILE *f)
{
    fputs("usage: wsspec SUBCOMMAND [options]\n"
          "\n"
          "wsspec tests WebSocket (RFC 6455) endpoints for conformance.\n"
          "\n"
          "subcommands:\n",
          f);
    for (size_t i = 0; i < WSSPEC_N_COMMANDS; i++)
        if (!wsspec_commands[i].hidden)
            fprintf(f, "  %-9s %s\n", wsspec_commands[i].name, wsspec_commands[i].summary);
    fputs("\n'wsspec SUBCOMMAND --help' describes a subcommand's options.\n", f);
}

static const char *const version_group[] = {""};
static const struct cli_opt version_opts[] = {{"help", 'h', NULL, 1, 0, "this text"}};
static const char *const version_description[] = {
    "Prints the version of wsspec, the versions of OpenSSL and zlib it runs with (and was "
    "built with), and where the built-in catalogue is (and how it was found: $WSSPEC_CASES, "
    "installed, build tree or built in).",
    NULL,
};
static const struct cli_doc version_doc = {
    .name = "version",
    .synopsis = "",
    .description = version_description,
    .group_intro = version_group,
    .n_groups = 1,
    .opts = version_opts,
    .n_opts = 1,
    .exit_status = "Exit status: 0, or 2 when given an argument.",
};

static int cmd_version(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        cli_doc_help(stdout, &version_doc);
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "wsspec version: takes no arguments (see wsspec version --help)\n");
        return 2;
    }
    printf("wsspec %s\n", WSSPEC_VERSION);
    printf("OpenSSL %s (built with %s)\n", OpenSSL_version(OPENSSL_VERSION_STRING),
           OPENSSL_VERSION_TEXT);
    printf("zlib %s (built with %s)\n", zlibVersion(), ZLIB_VERSION);
    char home[16384]; /* the places looked in, when none held it */
    case_default_dir_describe(home, sizeof home);
    printf("catalogue %s\n", home);
    return 0;
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return 0;
    }
    const struct wsspec_command *c = find_command(argv[1]);
    if (!c) {
        fprintf(stderr, "wsspec help: unknown subcommand '%s'\n\n", argv[1]);
        usage(stderr);
        return 2;
    }
    if (c->main == cmd_help) {
        usage(stdout);
        return 0;
    }
    char name[32], opt[] = "--help";
    snprintf(name, sizeof name, "%s", c->name);
    char *sub_argv[] = {name, opt, NULL};
    return c->main(2, sub_argv);
}

/* ------------------------------------------------------------ man pages */

/* wsspec(1): the subcommand table, the catalogue's places, the other pages. */
static void man_wsspec(FILE *f, const char *date)
{
    fputs(".\\\" generated by `wsspec man wsspec` from main.c's subcommand table\n", f);
    fprintf(f, ".TH WSSPEC 1 \"%s\" \"wsspec %s\" \"wsspec manual\"\n", date, WSSPEC_VERSION);
    fputs(".SH NAME\nwsspec \\- WebSocket (RFC 6455) conformance and fuzz\\-testing harness\n"
          ".SH SYNOPSIS\n.B wsspec\n\\fISUBCOMMAND\\fR [\\fIoptions\\fR]\n"
          ".SH DESCRIPTION\n.PP\n",
          f);
    cli_doc_roff(f, "wsspec runs the Autobahn|Testsuite catalogue (same case ids, same judgement) "
                    "and what Autobahn cannot see - the opening handshake, masking, negotiation, "
                    "hardening probes, a liveness check after every case - against WebSocket "
                    "servers, gives a verdict per case, writes reports (JSON, HTML, JUnit, "
                    "Markdown) and exits non-zero when something fails.");
    fputs(".SH COMMANDS\n", f);
    for (size_t i = 0; i < WSSPEC_N_COMMANDS; i++) {
        const struct wsspec_command *c = &wsspec_commands[i];
        if (c->hidden)
            continue;
        fprintf(f, ".TP\n\\fB%s\\fR\n", c->name);
        cli_doc_roff(f, c->summary);
        if (c->doc)
            fprintf(f, ".br\nSee\n.BR wsspec\\-%s (1).\n", c->name);
        else
            fprintf(f, ".br\nSee \\fBwsspec %s \\-\\-help\\fR.\n", c->name);
    }
    fputs(".SH ENVIRONMENT\n.TP\n.B WSSPEC_CASES\n", f);
    cli_doc_roff(f, "the directory of the built-in catalogue, instead of the installed one "
                    "(PREFIX/share/wsspec/cases, found relative to the binary: "
                    "BINDIR/../share/wsspec/cases).");
    fputs(".SH FILES\n.TP\nPREFIX/share/wsspec/cases/\nthe built\\-in catalogue and its "
          "format (README.md); `wsspec version` says which directory is used\n"
          ".TP\nPREFIX/share/doc/wsspec/\nREADME.md, the report formats, CI recipes\n",
          f);
    fputs(".SH SEE ALSO\n", f);
    for (size_t i = 0; i < WSSPEC_N_COMMANDS; i++)
        if (wsspec_commands[i].doc)
            fprintf(f, ".BR wsspec\\-%s (1),\n", wsspec_commands[i].name);
    fputs(".BR wsspec\\-cases (5)\n", f);
}

static int cmd_man(int argc, char **argv)
{
    const char *date = "", *page = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--list") == 0) {
            puts("wsspec.1");
            for (size_t c = 0; c < WSSPEC_N_COMMANDS; c++)
                if (wsspec_commands[c].doc)
                    printf("wsspec-%s.1\n", wsspec_commands[c].name);
            puts("wsspec-cases.5");
            return fflush(stdout) ? 2 : 0;
        }
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            puts("usage: wsspec man [--date YYYY-MM-DD] PAGE | --list\n\nPrints a man page in "
                 "roff (PAGE: wsspec, a subcommand, or cases); --list names them.\n`make man` "
                 "writes them all to build/man/.");
            return 0;
        }
        if (strcmp(argv[i], "--date") == 0 && i + 1 < argc)
            date = argv[++i];
        else if (!page && argv[i][0] != '-')
            page = argv[i];
        else {
            fprintf(stderr, "wsspec man: unexpected '%s' (wsspec man [--date D] PAGE | --list)\n",
                    argv[i]);
            return 2;
        }
    }
    const struct wsspec_command *c = page ? find_command(page) : NULL;
    if (page && strcmp(page, "wsspec") == 0)
        man_wsspec(stdout, date);
    else if (page && strcmp(page, "cases") == 0)
        case_man(stdout, date, WSSPEC_VERSION);
    else if (c && c->doc)
        cli_doc_man(stdout, c->doc, c->summary, date, WSSPEC_VERSION);
    else {
        fprintf(stderr, "wsspec man: no man page '%s' (wsspec man --list)\n", page ? page : "");
        return 2;
    }
    return fflush(stdout) ? 2 : 0;
}

/* The subcommands, or CMD's options as "[-c] --long [ARG]" lines, for the completion
 * scripts (completions/): they ask the binary, so they never go stale. */
static int cmd_complete(int argc, char **argv)
{
    if (argc < 2) {
        for (size_t i = 0; i < WSSPEC_N_COMMANDS; i++)
            if (!wsspec_commands[i].hidden)
                puts(wsspec_commands[i].name);
        return 0;
    }
    const struct wsspec_command *c = find_command(argv[1]);
    if (!c) {
        fprintf(stderr, "wsspec complete: unknown subcommand '%s'\n", argv[1]);
        return 2;
    }
    if (!c->doc) {
        puts("--help");
        return 0;
    }
    for (size_t i = 0; i < c->doc->n_opts; i++) {
        const struct cli_opt *o = &c->doc->opts[i];
        if (o->shrt)
            printf("-%c ", o->shrt);
        printf("--%s%s%s\n", o->lng, o->arg ? " " : "", o->arg ? o->arg : "");
    }
    return 0;
}

/* permessage-deflate compresses and inflates many messages each on its own: zlib's
 * state (about 300 KiB at window 15) is allocated and freed once per message. glibc
 * would hand such blocks back to the kernel on every free (mmap above 128 KiB, trimming
 * the heap above 128 KiB) and fault the pages in again on the next message - measured:
 * half of the echo endpoint's time in sections 12 and 13. Blocks are kept for reuse
 * instead; what a connection holds is unchanged (ws_conn_memory), the process keeps
 * its high-water mark of free heap. */
static void tune_allocator(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
#endif
}

int main(int argc, char **argv)
{
    tune_allocator();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        name = "help";
    else if (strcmp(name, "--version") == 0)
        name = "version";
    const struct wsspec_command *c = find_command(name);
    if (!c) {
        fprintf(stderr, "wsspec: unknown subcommand '%s'\n\n", argv[1]);
        usage(stderr);
        return 2;
    }
    return c->main(argc - 1, argv + 1);
}

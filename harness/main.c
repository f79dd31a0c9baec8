/*
 * main.c - the `wsspec` binary: one table of subcommands and the dispatch over it.
 *
 * A subcommand is a row {name, one-line summary, entry point}; its entry point gets
 * argv starting at the subcommand's name and returns the exit status; a new subcommand
 * is a new row and nothing else changes. Exit status 2 is a usage error or wsspec's own
 * trouble everywhere (unknown subcommand, bad option, a file it cannot write).
 */
#include "case_lint.h"
#include "echo/echo_cli.h"
#include "fuzz_cmd.h"
#include "report_cmd.h"
#include "run_cmd.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#define WSSPEC_VERSION "0.1.0"

struct wsspec_command {
    const char *name;
    const char *summary;
    int (*main)(int argc, char **argv);
};

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct wsspec_command wsspec_commands[] = {
    {"run", "run the conformance catalogue against WebSocket servers: wsspec run URL", run_main},
    {"list", "list the cases (selected with --cases/--exclude), one per line", case_cmd_list},
    {"lint", "check case files: unique ids, known directives, well-formed payloads", case_cmd_lint},
    {"fuzz",
     "fuzz a live server with conversations mutated from the catalogue; findings saved as "
     "case files: wsspec fuzz URL",
     fuzz_main},
    {"echo", "run the reference endpoint: a strict RFC 6455 echo server", echo_cli_main},
    {"report", "render HTML, JUnit and Markdown again from a report's JSON: wsspec report DIR",
     report_main},
    {"version",
     "print the version of wsspec, of the OpenSSL and zlib it uses, and where its "
     "catalogue is",
     cmd_version},
    {"help", "this list, or one subcommand's options: wsspec help SUBCOMMAND", cmd_help},
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
        fprintf(f, "  %-9s %s\n", wsspec_commands[i].name, wsspec_commands[i].summary);
    fputs("\n'wsspec SUBCOMMAND --help' describes a subcommand's options.\n", f);
}

static int cmd_version(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        puts("usage: wsspec version\n\nPrints the version of wsspec, the versions of OpenSSL "
             "and zlib\nit runs with (and was built with), and where the built-in catalogue "
             "is.");
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

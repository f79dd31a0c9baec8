/*
 * echo_cli.h - the `wsspec echo` subcommand: command line in, echo_loop_run out.
 */
#ifndef ECHO_CLI_H
#define ECHO_CLI_H

#include <stdio.h>

struct cli_doc;

/* Entry point of `wsspec echo`; argv[0] is "echo". Returns the process exit status:
 * 0 after a clean stop (SIGINT/SIGTERM), 1 when it cannot listen, 2 for a bad option. */
int echo_cli_main(int argc, char **argv);

/* The text of `wsspec echo --help`. */
void echo_cli_usage(FILE *f);

/* Its --help and man page (cli_doc.h), from echo_opts.def. */
extern const struct cli_doc echo_doc;

#endif

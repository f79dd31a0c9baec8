/*
 * load_cmd.h - `wsspec load`: entry point of the subcommand (load_cmd.c).
 */
#ifndef LOAD_CMD_H
#define LOAD_CMD_H

struct cli_doc;

/* argv[0] is "load". Returns the exit status: 0 no error, 1 the target misbehaved, 2
 * usage error or wsspec's own trouble. */
int load_main(int argc, char **argv);

/* Its --help and man page (echo/cli_doc.h), from load_opts.def and load_errors.def. */
extern const struct cli_doc load_doc;

#endif

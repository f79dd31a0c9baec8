/*
 * run_cmd.h - `wsspec run`: the command that runs the catalogue against targets.
 */
#ifndef RUN_CMD_H
#define RUN_CMD_H

struct cli_doc;

/* argv[0] is "run". Returns the process exit status (0, 1 or 2; see --help). */
int run_main(int argc, char **argv);

/* Its --help and man page (echo/cli_doc.h), from run_opts.def. */
extern const struct cli_doc run_doc;

#endif

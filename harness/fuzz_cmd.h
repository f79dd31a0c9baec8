/*
 * fuzz_cmd.h - `wsspec fuzz URL`: stateful black-box fuzzing of a live server with
 * conversations mutated from the catalogue, judged by oracles, findings minimised and
 * saved as case files.
 */
#ifndef FUZZ_CMD_H
#define FUZZ_CMD_H

struct cli_doc;

/* argv[0] is "fuzz". Returns the exit status: 0 no finding, 1 findings, 2 usage error
 * or wsspec's own trouble. */
int fuzz_main(int argc, char **argv);

/* Its --help and man page (echo/cli_doc.h), from fuzz_opts.def. */
extern const struct cli_doc fuzz_doc;

#endif

/*
 * load_cmd.h - `wsspec load`: entry point of the subcommand (load_cmd.c).
 */
#ifndef LOAD_CMD_H
#define LOAD_CMD_H

/* argv[0] is "load". Returns the exit status: 0 no error, 1 the target misbehaved, 2
 * usage error or wsspec's own trouble. */
int load_main(int argc, char **argv);

#endif

/*
 * client_cmd.h - `wsspec client`: the reference client, the mirror of `wsspec echo`.
 */
#ifndef CLIENT_CMD_H
#define CLIENT_CMD_H

struct cli_doc;

/* argv[0] is "client". Returns the exit status: 0 clean close (driver mode: every case
 * ran and the reports were updated), 1 the server broke a rule or the connection failed
 * (driver mode: the fuzzing server's protocol failed), 2 usage error or wsspec's own
 * trouble. */
int client_main(int argc, char **argv);

/* Its --help and man page (echo/cli_doc.h), from client_opts.def. */
extern const struct cli_doc client_doc;

#endif

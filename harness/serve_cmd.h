/*
 * serve_cmd.h - `wsspec serve`: wsspec plays the server (Autobahn's fuzzingserver), a
 * WebSocket client under test connects and drives the run with Autobahn's URL
 * protocol (serve_url.h), and every case is judged from the server's side with the
 * outcome model, reports and exit codes of `wsspec run`.
 */
#ifndef SERVE_CMD_H
#define SERVE_CMD_H

struct cli_doc;

/* argv[0] is "serve". Returns the process exit status (0, 1 or 2; see --help). */
int serve_main(int argc, char **argv);

/* Its --help and man page (echo/cli_doc.h), from serve_opts.def. */
extern const struct cli_doc serve_doc;

#endif

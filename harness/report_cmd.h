/*
 * report_cmd.h - `wsspec report DIR`: re-render HTML, JUnit and Markdown from a report
 * directory's JSON (report_render.h).
 */
#ifndef REPORT_CMD_H
#define REPORT_CMD_H

/* argv[0] is "report". Returns the process exit status (0 or 2; see --help). */
int report_main(int argc, char **argv);

struct cli_doc;
/* Its --help and man page (echo/cli_doc.h). */
extern const struct cli_doc report_doc;

#endif

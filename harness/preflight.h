/*
 * preflight.h - what `wsspec run` checks before it sends anything: options that could
 * not make a valid opening request (usage errors, exit 2), the report directory
 * (created and written to before the first case, so a run never ends with "cannot
 * write reports" after every case ran), and the file descriptors -j needs. Each
 * check is one function that says in err, in one line, what is wrong and what to do.
 * wsspec's own event loop is checked by loop_selftest (loop.h).
 */
#ifndef PREFLIGHT_H
#define PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>

/* A -H line: "Name: value" with Name an HTTP token (RFC 9110 section 5.6.2) right
 * before the colon, and a value without control characters other than HTAB (so no CR
 * or LF: a value cannot add header lines of its own). Names wsspec must send itself
 * (Host, Upgrade, Connection, Sec-WebSocket-Key, -Version, -Protocol, -Extensions,
 * Origin) or that would give the GET a body (Content-Length, Transfer-Encoding) are
 * refused with what to use instead. Returns true, or false with the reason in err. */
bool preflight_header(const char *line, char *err, size_t err_len);

/* True when one of lines[0..n) ("Name: value") has this name (case-insensitive). */
bool preflight_has_header(const char *const *lines, size_t n, const char *name);

/* --origin: one line of visible characters (RFC 6454 serializes an origin as
 * scheme://host[:port] or "null"; wsspec sends what it is given, but never a control
 * character). Returns true, or false with the reason in err. */
bool preflight_origin(const char *origin, char *err, size_t err_len);

/* --subprotocol values: each a token (RFC 6455 section 4.1: "non-empty strings with
 * characters in the range U+0021 to U+007E not including separator characters"), all
 * different ("MUST all be unique strings"). Returns true, or false with the reason. */
bool preflight_protocols(const char *const *protocols, size_t n, char *err, size_t err_len);

/* Directories a preflight_report_dir call created, deepest last. */
#define PREFLIGHT_MAX_MADE 32
struct preflight_dirs {
    char *made[PREFLIGHT_MAX_MADE]; /* owned */
    size_t n;
};

/* Create dir and its missing parents (0777 less the umask), then create and remove a
 * file in it: a directory that cannot be written is known before the first case, with
 * the system's reason for the component that failed ("Permission denied", "Read-only
 * file system", "Not a directory"). Returns 0, or -1 with one line in err. *made lists
 * what was created (free with preflight_dirs_undo or preflight_dirs_free). */
int preflight_report_dir(const char *dir, struct preflight_dirs *made, char *err, size_t err_len);

/* Remove the directories made (if still empty: nothing was written), then free. */
void preflight_dirs_undo(struct preflight_dirs *made);
void preflight_dirs_free(struct preflight_dirs *made);

/* File descriptors for `jobs` connections at once, besides the ones open now and a
 * reserve (the event loop, reports, TLS files): the soft RLIMIT_NOFILE is raised
 * towards the hard one when that is enough. Returns 0, or -1 when the hard limit is
 * too low, with one line in err naming the numbers, `ulimit -n` and the -j that fits. */
int preflight_fds(unsigned jobs, char *err, size_t err_len);

#endif

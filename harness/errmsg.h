/*
 * errmsg.h - one-line error messages for readers of user files (configs, baselines):
 * format into the caller's buffer, and keep quoted user text on one line.
 */
#ifndef ERRMSG_H
#define ERRMSG_H

#include <stddef.h>

/* Format into err[0..cap) (nothing when cap is 0) and return -1, so a reader can
 * `return errmsg_fail(err, cap, "...", ...)`. */
int errmsg_fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Replace control characters in s with '?': messages quote keys and values from the
 * file, which may hold any character, and each must stay one line on a terminal. */
void errmsg_one_line(char *s);

#endif

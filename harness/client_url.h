/*
 * client_url.h - the driver side of Autobahn's fuzzingserver URL protocol (serve_url.h
 * is the server side): the request-targets `wsspec client --fuzzingserver` opens, and
 * the getCaseCount answer read back. Sans-IO, no allocation.
 *
 *   BASE/getCaseCount
 *   BASE/runCase?case=N&agent=AGENT
 *   BASE/updateReports?agent=AGENT
 *
 * BASE is the path of the URL given (without its trailing '/'; "" for "/"). AGENT is
 * percent-encoded: every byte outside RFC 3986's unreserved set (ALPHA DIGIT - . _ ~)
 * becomes %XX, so a name holding '&', '=', '+', '%', '#', a blank or UTF-8 reaches the
 * server exactly as given (serve_url_parse decodes it back; test_client_url.c checks
 * the round trip).
 */
#ifndef CLIENT_URL_H
#define CLIENT_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum client_url_cmd { CLIENT_URL_COUNT = 0, CLIENT_URL_RUN_CASE, CLIENT_URL_UPDATE_REPORTS };

/* Percent-encode s[0..n) into out[0..cap). Returns the length it needs without the NUL
 * (like snprintf): complete only when < cap; out is NUL-terminated when cap > 0. */
size_t client_url_encode(const char *s, size_t n, char *out, size_t cap);

/* The request-target of cmd: base (a path, its trailing '/' dropped), then the command's
 * path and query; case_no is used by RUN_CASE only, agent (NUL-terminated) by RUN_CASE
 * and UPDATE_REPORTS. Returns the length it needs, like client_url_encode. */
size_t client_url_target(const char *base, enum client_url_cmd cmd, uint32_t case_no,
                         const char *agent, char *out, size_t cap);

/* Read getCaseCount's answer: a JSON integer (decimal digits, no sign, no fraction),
 * blanks around it allowed. True with *count (0 .. CLIENT_URL_MAX_COUNT). */
#define CLIENT_URL_MAX_COUNT 100000u
bool client_url_count(const uint8_t *msg, size_t len, uint32_t *count);

#endif

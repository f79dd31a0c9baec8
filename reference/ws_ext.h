/*
 * ws_ext.h - Sec-WebSocket-Extensions values (RFC 6455 section 9.1) parsed into
 * extension names and their parameters. Zero-copy: slices point into the value.
 * (permessage-deflate itself, RFC 7692, comes later and builds on this.)
 *
 *   extension-list = 1#extension
 *   extension      = extension-token *( ";" extension-param )
 *   extension-param = token [ "=" (token | quoted-string) ]
 *   ; a quoted-string value must, once unquoted, be a token
 */
#ifndef WS_EXT_H
#define WS_EXT_H

#include "ws_core.h"

/* Bounds on what one header value may carry: more is WS_E_EXTENSION_SYNTAX (a real
 * offer has a handful of each; these keep the parsed form on the stack). */
#define WS_EXT_MAX_PARAMS 16
#define WS_EXT_MAX_OFFERS 16

struct ws_ext_param {
    struct ws_slice name;
    struct ws_slice value; /* without quotes; ptr NULL when the param has no value.
                              A quoted value may contain backslash escapes: value is
                              the raw text between the quotes (quoted=true) */
    bool quoted;
};

struct ws_ext_offer {
    struct ws_slice name;
    struct ws_ext_param params[WS_EXT_MAX_PARAMS];
    size_t n_params;
};

/* Parse one header value and append its offers to offers[*n .. cap).
 * Returns WS_E_OK, or WS_E_EXTENSION_SYNTAX with *err_at = offset of the bad byte
 * in value (also for more than cap offers or WS_EXT_MAX_PARAMS params; len when the
 * value ends where more was required). On error *n and the offers before it are left
 * as they were. Empty list elements (", ,") are skipped; a value with no extension
 * at all is a syntax error (1#extension). */
enum ws_error ws_ext_parse(const char *value, size_t len, struct ws_ext_offer *offers, size_t cap,
                           size_t *n, size_t *err_at);

#endif

/*
 * ws_handshake.h - the opening handshake (RFC 6455 section 4), both directions.
 *
 * Parsing is zero-copy and allocation-free in the picohttpparser manner: the parsed
 * request or response holds slices that point into the caller's buffer and stay valid
 * as long as that buffer does. A parse call is given everything received so far and
 * either needs more (WS_E_INCOMPLETE), fails (an error naming the rule and the byte
 * offset), or succeeds and says how many bytes the header block took - the bytes
 * after it are frames pipelined behind the handshake and belong to the frame decoder.
 *
 * Validation is separate from parsing: ws_handshake_check_request() applies section
 * 4.2.1 to a parsed request (the server), ws_handshake_check_response() applies
 * section 4.1 to a parsed 101 response (the client).
 *
 * Building writes into a caller buffer and never allocates. SHA-1 and base64 for the
 * accept key come from OpenSSL.
 */
#ifndef WS_HANDSHAKE_H
#define WS_HANDSHAKE_H

#include "ws_core.h"

/* Most header fields in one request or response; more is WS_E_HEADERS_TOO_LARGE
 * (server) / WS_E_RESPONSE_TOO_LARGE (client). Browsers send about 15. */
#define WS_HTTP_MAX_HEADERS 64
/* Default bound of a whole header block (request line + headers + CRLF CRLF): 8 KiB,
 * what common servers allow by default; beyond it the server answers 431. */
#define WS_HTTP_DEFAULT_MAX_BLOCK 8192
/* The GUID of section 1.3 appended to the key before hashing. */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
/* Sec-WebSocket-Key is base64 of 16 bytes: 24 characters. Accept is base64 of a
 * 20-byte SHA-1: 28 characters. Buffers below hold the terminating NUL too. */
/* Most Sec-WebSocket-Protocol or -Extensions fields one handshake may repeat (the
 * values may also be comma lists inside one field). Real clients send one; 8 leaves
 * room for proxies that split lists, and more is refused as a syntax error of that
 * header rather than silently truncated. */
#define WS_HS_MAX_REPEATS 8
#define WS_KEY_LEN 24
#define WS_ACCEPT_LEN 28

struct ws_http_header {
    struct ws_slice name, value; /* value without leading/trailing spaces and tabs */
};

struct ws_http_request {
    struct ws_slice method, target;
    int version_major, version_minor;
    struct ws_http_header headers[WS_HTTP_MAX_HEADERS];
    size_t n_headers;
};

struct ws_http_response {
    int version_major, version_minor;
    int status;
    struct ws_slice reason;
    struct ws_http_header headers[WS_HTTP_MAX_HEADERS];
    size_t n_headers;
};

/* Parse a request header block from buf[0..len).
 * max_block bounds the block (0 = WS_HTTP_DEFAULT_MAX_BLOCK).
 * Returns WS_E_OK with *consumed = bytes of the block including the final CRLF CRLF;
 * WS_E_INCOMPLETE when the block is not complete yet and still within bounds;
 * WS_E_HEADERS_TOO_LARGE past max_block or WS_HTTP_MAX_HEADERS;
 * WS_E_HTTP_MALFORMED for a syntax error, with *err_at = offset of the bad byte.
 * Bare LF line ends are accepted (RFC 9112 section 2.2 allows it); obsolete line
 * folding is rejected. Empty lines before the request line are skipped (RFC 9112
 * section 2.2) and counted in *consumed. The error is reported as soon as the bad byte
 * is in buf, complete block or not (a bare CR: once the byte after it is).
 * *consumed is written only on WS_E_OK, *err_at only on WS_E_HTTP_MALFORMED (either
 * may be NULL); *req is meaningful only after WS_E_OK. Bytes past *consumed are never
 * read. buf may be NULL when len is 0; a NULL req is WS_E_INVALID_ARGUMENT. */
enum ws_error ws_http_parse_request(const char *buf, size_t len, size_t max_block,
                                    struct ws_http_request *req, size_t *consumed, size_t *err_at);

/* Same for a response; errors are WS_E_RESPONSE_MALFORMED and WS_E_RESPONSE_TOO_LARGE. */
enum ws_error ws_http_parse_response(const char *buf, size_t len, size_t max_block,
                                     struct ws_http_response *resp, size_t *consumed,
                                     size_t *err_at);

/* Header lookup, case-insensitive on the name. Returns the first match or NULL;
 * *count (if not NULL) gets the number of fields with that name. */
const struct ws_http_header *ws_http_find(const struct ws_http_header *h, size_t n,
                                          const char *name, size_t *count);

/* True if any field called name holds token in its comma-separated list
 * (case-insensitive; "keep-alive, Upgrade" holds "upgrade"). */
bool ws_http_has_token(const struct ws_http_header *h, size_t n, const char *name,
                       const char *token);

/* Iterate the comma-separated elements of a header value: *pos starts at 0; each call
 * stores the next non-empty element (trimmed) in *item and returns true, or returns
 * false at the end. Used for Sec-WebSocket-Protocol and Connection. */
bool ws_http_list_next(struct ws_slice value, size_t *pos, struct ws_slice *item);

/* What the server needs from a valid request; slices point into the request buffer. */
struct ws_request_info {
    struct ws_slice target, host, key, origin;
    /* The Sec-WebSocket-Protocol and -Extensions fields as they came (possibly several
     * fields each: index into req->headers; n_ = how many). */
    size_t protocol_idx[WS_HS_MAX_REPEATS], n_protocol;
    size_t extension_idx[WS_HS_MAX_REPEATS], n_extension;
};

/* Apply RFC 6455 section 4.2.1 to a parsed request. Returns WS_E_OK and fills info, or
 * the first broken rule: HTTP_METHOD, HTTP_VERSION, TARGET_INVALID, HOST_MISSING,
 * UPGRADE_MISSING, CONNECTION_MISSING, KEY_INVALID, HEADER_DUPLICATE,
 * VERSION_UNSUPPORTED (answer 426 with Sec-WebSocket-Version: 13), PROTOCOL_SYNTAX,
 * EXTENSION_SYNTAX. ws_error_http_status() gives the status to answer with.
 * The checks run in this order: method, version, target, Host, Upgrade, Connection,
 * Sec-WebSocket-Version, Sec-WebSocket-Key, Sec-WebSocket-Protocol,
 * Sec-WebSocket-Extensions (the version before the key, so a client of another
 * version gets the 426 it can retry from). The key must be 22 base64 characters and
 * "=="; non-canonical unused bits are accepted (RFC 6455's own example in 4.1 has
 * them). More than 8 Sec-WebSocket-Protocol / -Extensions fields is a syntax error. */
enum ws_error ws_handshake_check_request(const struct ws_http_request *req,
                                         struct ws_request_info *info);

/* Server's subprotocol choice: the first entry of supported[] (server preference
 * order) that the client listed in any Sec-WebSocket-Protocol field. Returns false and
 * leaves *chosen empty when there is none in common (the response then carries no
 * Sec-WebSocket-Protocol). */
bool ws_handshake_select_protocol(const struct ws_http_request *req,
                                  const struct ws_request_info *info, const char *const *supported,
                                  size_t n_supported, struct ws_slice *chosen);

/* accept = base64(SHA-1(key || WS_GUID)), NUL-terminated (section 4.2.2 item 5.4).
 * accept is "" if OpenSSL fails (out of memory); callers in this module then return
 * WS_E_NOMEM. */
void ws_handshake_accept(const char *key, size_t key_len, char accept[WS_ACCEPT_LEN + 1]);

/* key = base64 of 16 bytes from rnd, NUL-terminated (section 4.1 item 7). */
void ws_handshake_make_key(ws_random_fn rnd, void *rnd_ud, char key[WS_KEY_LEN + 1]);

/* Client request to build. NULL / 0 members are left out. */
struct ws_request_params {
    const char *host;   /* "example.com:9001" - required */
    const char *target; /* "/chat?x=1" - NULL means "/" */
    const char *key;    /* 24 base64 chars - required */
    const char *origin;
    const char *const *protocols; /* offered subprotocols, in preference order */
    size_t n_protocols;
    const char *extensions;           /* Sec-WebSocket-Extensions value as is */
    const char *const *extra_headers; /* complete "Name: value" lines without CRLF */
    size_t n_extra_headers;
};

/* Write the request into out[0..cap). Returns WS_E_OK and *len, WS_E_BUFFER_TOO_SMALL,
 * or WS_E_INVALID_ARGUMENT (missing host/key, a CR or LF inside a value).
 * All three builders: nothing is written at or past out[cap]; on WS_E_OK out[*len] is
 * set to NUL when cap > *len (a convenience, not counted); on WS_E_BUFFER_TOO_SMALL
 * *len is the size that would have been needed. Values are only checked for CR/LF, so
 * a test peer can build odd but single-line requests. */
enum ws_error ws_handshake_build_request(const struct ws_request_params *p, char *out, size_t cap,
                                         size_t *len);

/* Write a 101 response: accept for key, the chosen subprotocol (ptr NULL = none) and
 * an extensions value (NULL = none). WS_E_INVALID_ARGUMENT for CR/LF in either,
 * WS_E_NOMEM if the accept cannot be computed. */
enum ws_error ws_handshake_build_response(const struct ws_slice key, struct ws_slice protocol,
                                          const char *extensions, char *out, size_t cap,
                                          size_t *len);

/* Write the refusal for a request that broke rule e: the status from the error table
 * (400, 426 with "Sec-WebSocket-Version: 13", 431), Connection: close, and a short
 * text/plain body naming the rule. A 426 also carries "Upgrade: websocket" and
 * "Connection: Upgrade, close" (RFC 9110 sections 15.5.22 and 7.8). An e without an
 * HTTP status is WS_E_INVALID_ARGUMENT. */
enum ws_error ws_handshake_build_refusal(enum ws_error e, char *out, size_t cap, size_t *len);

/* What the client offered, to check the response against. */
struct ws_offer {
    const char *key; /* the Sec-WebSocket-Key sent */
    const char *const *protocols;
    size_t n_protocols;
    const char *const *extensions; /* extension names offered */
    size_t n_extensions;
};

struct ws_response_info {
    struct ws_slice protocol;                             /* chosen subprotocol, len 0 = none */
    size_t extension_idx[WS_HS_MAX_REPEATS], n_extension; /* Sec-WebSocket-Extensions fields */
};

/* Apply RFC 6455 section 4.1 (the client's checks) to a parsed response: status 101
 * (else RESPONSE_STATUS), Upgrade websocket (RESPONSE_UPGRADE), Connection Upgrade
 * (RESPONSE_CONNECTION), Sec-WebSocket-Accept matching (RESPONSE_ACCEPT), a
 * subprotocol only if offered, exactly one (RESPONSE_PROTOCOL), extensions only if
 * offered (RESPONSE_EXTENSION, EXTENSION_SYNTAX for a bad value).
 * The checks run in section 4.1's order: status, Upgrade, Connection, Accept,
 * Extensions, Protocol. Every element of every Upgrade field must be "websocket";
 * subprotocol and extension names are compared byte for byte with the offer. */
enum ws_error ws_handshake_check_response(const struct ws_http_response *resp,
                                          const struct ws_offer *offer,
                                          struct ws_response_info *info);

#endif

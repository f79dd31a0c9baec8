/*
 * ws_close.h - the Close frame's payload (RFC 6455 sections 5.5.1 and 7.4): status
 * code rules, reason validation, and building a payload.
 */
#ifndef WS_CLOSE_H
#define WS_CLOSE_H

#include "ws_core.h"

/* Largest close payload: a control frame carries at most 125 bytes (section 5.5). */
#define WS_CLOSE_PAYLOAD_MAX 125

/* True if code may appear in a Close frame on the wire: 1000-1003, 1007-1011 (section
 * 7.4.1), 1012-1014 (registered with IANA under section 11.7) and 3000-4999. Never
 * 0-999, 1004 (reserved), 1005/1006/1015 (must not be sent), 1016-2999 (reserved for
 * future RFCs) or 5000 and up (section 7.4.2). */
bool ws_close_code_valid(uint16_t code);

/* Parse a received close payload. An empty payload gives *code = 0 (no status).
 * On success *reason points into payload (reason_len bytes, valid UTF-8).
 * Errors: WS_E_CLOSE_PAYLOAD_1_BYTE, WS_E_CLOSE_CODE_INVALID, WS_E_CLOSE_REASON_UTF8;
 * *bad_at (if not NULL, written only on error) gets the index of the offending byte
 * within payload - len when the reason ends inside a UTF-8 sequence. *code is set
 * whenever 2 or more bytes are present (even if invalid, so reports can show it);
 * *reason_len is 0 after an error. */
enum ws_error ws_close_parse(const uint8_t *payload, size_t len, uint16_t *code,
                             const uint8_t **reason, size_t *reason_len, size_t *bad_at);

/* Write code and reason into out (at least WS_CLOSE_PAYLOAD_MAX bytes). code 0 means
 * an empty payload (reason ignored). The reason is cut to fit 123 bytes, never inside
 * a UTF-8 sequence. Returns the payload length. No validation of code: the peer uses
 * this to send invalid codes on purpose. */
size_t ws_close_build(uint16_t code, const char *reason, size_t reason_len, uint8_t *out);

#endif

/*
 * ws_utf8.h - incremental, fail-fast UTF-8 validator (RFC 3629, as RFC 6455 section 8.1
 * requires for text messages and close reasons).
 *
 * Fail-fast: validation stops at the first octet that makes the sequence impossible,
 * not at the end of the code point: F4 90 fails at the 90, ED A0 at the A0, E0 80 at
 * the 80, and C0, C1, F5-FF fail at once. State is kept across calls, so a text
 * message split over frames (and frames split over reads) is checked as one stream.
 * Runs of ASCII are checked a machine word at a time.
 *
 * The struct is caller-allocated, zero-fill is a valid initial state, nothing is
 * allocated, and no input byte past data[len-1] is ever read.
 */
#ifndef WS_UTF8_H
#define WS_UTF8_H

#include "ws_core.h"

struct ws_utf8 {
    uint32_t state; /* 0 = between code points; otherwise the module's private state */
    uint64_t
        offset;  /* octets accepted so far over all calls; on error, the offset of the bad octet */
    bool failed; /* sticky: once set, ws_utf8_feed returns the error again */
};

/* Reset to the start of a new stream (same as zero-filling). */
void ws_utf8_init(struct ws_utf8 *v);

/* Validate the next len octets of the stream.
 * Returns WS_E_OK if they can continue (or complete) valid UTF-8, or
 * WS_E_TEXT_INVALID_UTF8 on the first impossible octet; then *bad (if not NULL) is
 * its index within data and v->offset its offset in the whole stream. The error is
 * sticky: later calls return it again, set *bad to 0 and do not look at their input. */
enum ws_error ws_utf8_feed(struct ws_utf8 *v, const uint8_t *data, size_t len, size_t *bad);

/* At the end of the message: WS_E_OK if no code point is left unfinished, else
 * WS_E_TEXT_INVALID_UTF8 (the failing position is then v->offset, the end; the error
 * sticks like any other). */
enum ws_error ws_utf8_finish(struct ws_utf8 *v);

/* Whole-buffer check: true if data[0..len) is complete, valid UTF-8. */
bool ws_utf8_valid(const uint8_t *data, size_t len);

#endif

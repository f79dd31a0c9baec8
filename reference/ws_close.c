/*
 * ws_close.c - the Close frame's payload (see ws_close.h): which status codes may
 * appear on the wire, parsing a received payload into code and reason, and building
 * one to send.
 *
 * Parsing only judges the payload's own rules (sections 5.5.1 and 7.4). The 125-byte
 * cap on any control frame (section 5.5) belongs to the frame decoder, which sees the
 * length first; this module accepts whatever length it is given.
 */
#include "ws_close.h"

#include <string.h>

#include "ws_utf8.h"

bool ws_close_code_valid(uint16_t code)
{
    /* 7.4.2: "Status codes in the range 0-999 are not used." */
    if (code < 1000)
        return false;
    /* 7.4.1: "Endpoints MAY use the following pre-defined status codes when sending a
     * Close frame." 1000-1003 and 1007-1011 are defined there. 1012-1014 (Service
     * Restart, Try Again Later, Bad Gateway) were registered later in the IANA registry
     * of section 11.7, which is what 7.4.2 keeps 1000-2999 for: "reserved for
     * definition by this protocol, its future revisions, and extensions specified in a
     * permanent and readily available public specification." */
    if (code <= 1003)
        return true;
    /* 7.4.1: 1004: "Reserved.  The specific meaning might be defined in the future."
     * 1005 and 1006: "1005 is a reserved value and MUST NOT be set as a status code in
     * a Close control frame by an endpoint." (and the same words for 1006). */
    if (code <= 1006)
        return false;
    if (code <= 1014)
        return true;
    /* 7.4.1: "1015 is a reserved value and MUST NOT be set as a status code in a Close
     * control frame by an endpoint."
     * 7.4.2: "Status codes in the range 1000-2999 are reserved for definition by this
     * protocol, its future revisions, and extensions specified in a permanent and
     * readily available public specification." Nothing in 1016-2999 has been defined,
     * so no endpoint can have a reason to send one. */
    if (code <= 2999)
        return false;
    /* 7.4.2: "Status codes in the range 3000-3999 are reserved for use by libraries,
     * frameworks, and applications." and "Status codes in the range 4000-4999 are
     * reserved for private use and thus can't be registered." */
    if (code <= 4999)
        return true;
    /* 11.7: "The status code is an integer number between 1000 and 4999 (inclusive)."
     * Nothing above 4999 can be registered or used. */
    return false;
}

enum ws_error ws_close_parse(const uint8_t *payload, size_t len, uint16_t *code,
                             const uint8_t **reason, size_t *reason_len, size_t *bad_at)
{
    uint16_t c = 0;
    const uint8_t *r = payload;
    size_t rlen = 0, bad = 0;
    enum ws_error err = WS_E_OK;

    /* 5.5.1: "The Close frame MAY contain a body" - an empty one carries no status
     * (the application sees 1005, section 7.1.5, but that is not ours to invent). */
    if (len == 0)
        goto out;
    /* 5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte
     * unsigned integer (in network byte order) representing a status code with value
     * /code/ defined in Section 7.4." One byte cannot hold that integer. */
    if (len == 1) {
        err = WS_E_CLOSE_PAYLOAD_1_BYTE;
        goto out;
    }
    c = (uint16_t)(payload[0] << 8 | payload[1]);
    /* 7.4.1/7.4.2: the code must be one allowed on the wire (ws_close_code_valid). The
     * code is still returned, so a report can say which one was sent. */
    if (!ws_close_code_valid(c)) {
        err = WS_E_CLOSE_CODE_INVALID;
        goto out;
    }
    /* 5.5.1: "Following the 2-byte integer, the body MAY contain UTF-8-encoded data
     * with value /reason/"; 8.1: "When an endpoint is to interpret a byte stream as
     * UTF-8 but finds that the byte stream is not, in fact, a valid UTF-8 stream, that
     * endpoint MUST _Fail the WebSocket Connection_." */
    r = payload + 2;
    rlen = len - 2;
    struct ws_utf8 v;
    size_t ubad = 0;
    ws_utf8_init(&v);
    if (ws_utf8_feed(&v, r, rlen, &ubad) != WS_E_OK) {
        err = WS_E_CLOSE_REASON_UTF8;
        bad = 2 + ubad;
    } else if (ws_utf8_finish(&v) != WS_E_OK) {
        /* The reason ends inside a code point: the byte that is missing would sit at
         * index len. */
        err = WS_E_CLOSE_REASON_UTF8;
        bad = len;
    }
    if (err != WS_E_OK)
        rlen = 0;

out:
    if (code)
        *code = c;
    if (reason)
        *reason = r;
    if (reason_len)
        *reason_len = rlen;
    if (bad_at && err != WS_E_OK)
        *bad_at = bad;
    return err;
}

size_t ws_close_build(uint16_t code, const char *reason, size_t reason_len, uint8_t *out)
{
    /* 5.5.1: "The Close frame MAY contain a body"; without a code there can be no
     * reason, since "the first two bytes of the body MUST be a 2-byte unsigned
     * integer". */
    if (code == 0)
        return 0;
    out[0] = (uint8_t)(code >> 8);
    out[1] = (uint8_t)(code & 0xFF);

    /* 5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST
     * NOT be fragmented." Two of the 125 hold the code. */
    size_t n = reason_len;
    if (n > WS_CLOSE_PAYLOAD_MAX - 2) {
        n = WS_CLOSE_PAYLOAD_MAX - 2;
        /* 5.5.1: the reason is "UTF-8-encoded data", so a cut must not leave half a
         * code point: while the first byte left out is a continuation (10xxxxxx), the
         * cut is inside a sequence; step back to its lead. A well-formed sequence has
         * at most 3 continuation bytes, so a longer run is not UTF-8 anyway and is cut
         * where it falls. */
        const uint8_t *u = (const uint8_t *)reason;
        size_t back = 0;
        while (back < 3 && (u[n - back] & 0xC0) == 0x80)
            back++;
        if ((u[n - back] & 0xC0) != 0x80)
            n -= back;
    }
    if (n)
        memcpy(out + 2, reason, n);
    return 2 + n;
}

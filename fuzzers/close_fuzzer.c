/*
 * close_fuzzer.c - the Close frame's payload (ws_close_parse, ws_close_build).
 *
 * Input: the payload of a received Close frame (any length: the 125-byte cap belongs
 * to the frame decoder, and ws_close_parse is documented to take whatever it gets).
 *
 * Checked against RFC 6455 sections 5.5.1 and 7.4 written out again here:
 *   - empty: no code, no error; one byte: CLOSE_PAYLOAD_1_BYTE;
 *   - the code is the first two bytes in network order, reported even when invalid,
 *     and valid exactly for 1000-1003, 1007-1014 and 3000-4999;
 *   - the reason is the rest, accepted iff it is UTF-8 (ws_utf8 is itself checked by
 *     utf8_fuzzer), with the failing byte index inside the payload;
 *   - outputs are written as documented (reason_len 0 after an error, bad_at only on
 *     error) and the reason is a slice of the payload.
 * Then the payload is rebuilt with ws_close_build from the parsed code and the reason
 * bytes: at most 125 bytes, same code, the reason a prefix cut only between code
 * points when it was UTF-8, and the rebuilt payload parses back to the same code.
 */
#include "fuzz_input.h"

#include "ws_close.h"
#include "ws_utf8.h"

FUZZ_NOCOV_BEGIN

/* Section 7.4.1 and the IANA registry of section 11.7 (1012-1014), 7.4.2 (3000-4999). */
static bool code_allowed(unsigned c)
{
    return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint16_t code = 0xFFFF;
    const uint8_t *reason = NULL;
    size_t reason_len = SIZE_MAX, bad_at = SIZE_MAX;
    enum ws_error e = ws_close_parse(data, size, &code, &reason, &reason_len, &bad_at);

    /* Every code once per process: the table does not depend on the input. */
    static bool codes_checked;
    for (unsigned c = 0; !codes_checked && c < 65536; c++)
        FUZZ_CHECK(ws_close_code_valid((uint16_t)c) == code_allowed(c));
    codes_checked = true;

    if (size == 0) {
        FUZZ_CHECK(e == WS_E_OK && code == 0 && reason_len == 0 && bad_at == SIZE_MAX);
        return 0;
    }
    if (size == 1) {
        FUZZ_CHECK(e == WS_E_CLOSE_PAYLOAD_1_BYTE && code == 0 && reason_len == 0);
        return 0;
    }
    unsigned want = (unsigned)data[0] << 8 | data[1];
    FUZZ_CHECK(code == want);
    FUZZ_CHECK(ws_close_code_valid(code) == code_allowed(want));
    const uint8_t *r = data + 2;
    size_t rlen = size - 2;
    bool utf8 = ws_utf8_valid(r, rlen);
    if (!code_allowed(want)) {
        FUZZ_CHECK(e == WS_E_CLOSE_CODE_INVALID && reason_len == 0);
    } else if (!utf8) {
        FUZZ_CHECK(e == WS_E_CLOSE_REASON_UTF8 && reason_len == 0);
        /* The failing byte as ws_utf8 names it, shifted past the code; the end of the
         * payload when the reason stops inside a code point. */
        struct ws_utf8 v;
        ws_utf8_init(&v);
        size_t bad = 0;
        if (ws_utf8_feed(&v, r, rlen, &bad) != WS_E_OK)
            FUZZ_CHECK(bad_at == 2 + bad);
        else
            FUZZ_CHECK(bad_at == size);
    } else {
        FUZZ_CHECK(e == WS_E_OK && reason == r && reason_len == rlen && bad_at == SIZE_MAX);
    }

    /* Rebuild. ws_close_build does not validate the code (the peer sends invalid ones
     * on purpose); code 0 means an empty payload. */
    uint8_t out[WS_CLOSE_PAYLOAD_MAX];
    size_t n = ws_close_build(code, (const char *)r, rlen, out);
    if (code == 0) {
        FUZZ_CHECK(n == 0);
        return 0;
    }
    FUZZ_CHECK(n >= 2 && n <= WS_CLOSE_PAYLOAD_MAX);
    FUZZ_CHECK(((unsigned)out[0] << 8 | out[1]) == code);
    size_t kept = n - 2;
    FUZZ_CHECK(kept <= rlen && memcmp(out + 2, r, kept) == 0);
    if (utf8) {
        /* A cut reason loses at most the 3 bytes of a split code point, and the cut
         * lands on a code point boundary: what is kept is UTF-8 on its own. */
        size_t room = WS_CLOSE_PAYLOAD_MAX - 2;
        FUZZ_CHECK(rlen <= room ? kept == rlen : kept + 3 >= room);
        FUZZ_CHECK(ws_utf8_valid(out + 2, kept));
        uint16_t c2 = 0;
        FUZZ_CHECK(ws_close_parse(out, n, &c2, NULL, NULL, NULL) ==
                   (code_allowed(code) ? WS_E_OK : WS_E_CLOSE_CODE_INVALID));
        FUZZ_CHECK(c2 == code);
    }
    return 0;
}

FUZZ_NOCOV_END

/*
 * ws_core.h - types shared by every module of the protocol core.
 *
 * The core (libwscore) is sans-IO: no sockets, no clock, no printing and no global
 * state. Callers push bytes in and take events and bytes to send out. Every struct is
 * caller-allocated and may be zero-filled before its init function runs. Memory the
 * core needs beyond its structs comes from a caller-supplied allocator (struct
 * ws_allocator), so tests can fail each allocation in turn.
 */
#ifndef WS_CORE_H
#define WS_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every status the core reports, from the one table in ws_errors.def. */
enum ws_error {
#define WS_ERROR(name, value, close_code, http_status, section, text) WS_E_##name = value,
#include "ws_errors.def"
#undef WS_ERROR
};

/* "MASK_MISSING" for WS_E_MASK_MISSING; "UNKNOWN" for a value not in the table. */
const char *ws_error_name(enum ws_error e);
/* One-line human text of the rule ("client-to-server frame is not masked"). */
const char *ws_error_text(enum ws_error e);
/* Section the rule comes from ("5.1"), "" when none; in the RFC ws_error_rfc names. */
const char *ws_error_section(enum ws_error e);
/* The RFC a rule's section belongs to: "RFC 7692" for the permessage-deflate rules
 * (600s), "RFC 6455" for every other. */
const char *ws_error_rfc(enum ws_error e);
/* Close code to send when failing the connection for e (RFC 6455 7.4.1); 0 = none. */
uint16_t ws_error_close_code(enum ws_error e);
/* HTTP status to answer a rejected opening handshake with; 0 = none. */
int ws_error_http_status(enum ws_error e);

/* Which side of the connection an endpoint plays. */
enum ws_role { WS_ROLE_SERVER = 0, WS_ROLE_CLIENT = 1 };

/* Opcodes of RFC 6455 section 5.2 (the reserved ones are just numbers). */
enum ws_opcode {
    WS_OP_CONT = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA,
};

/* RSV bits as they sit in the first header byte's high nibble, shifted down:
 * RSV1 = 4 (0x40 on the wire), RSV2 = 2 (0x20), RSV3 = 1 (0x10). */
#define WS_RSV1 4u
#define WS_RSV2 2u
#define WS_RSV3 1u

static inline bool ws_opcode_is_control(unsigned op)
{
    return (op & 0x8u) != 0;
}

/* A view into someone else's bytes. Owned by whoever owns ptr; valid as long as they say. */
struct ws_slice {
    const char *ptr;
    size_t len;
};

/* Allocator hooks. realloc(ud, NULL, n) allocates; realloc(ud, p, 0) is never called
 * (free is used). A NULL realloc member means the C library's realloc/free. */
struct ws_allocator {
    void *(*realloc)(void *ud, void *ptr, size_t size);
    void (*free)(void *ud, void *ptr);
    void *ud;
};

/* HTTP lexical classes shared by the handshake and extension parsers:
 * tchar (RFC 9110 section 5.6.2: a VCHAR other than a delimiter) and OWS (SP, HTAB). */
bool ws_is_tchar(unsigned char c);
bool ws_is_ows(unsigned char c);

void *ws_realloc(const struct ws_allocator *a, void *ptr, size_t size);
void ws_free(const struct ws_allocator *a, void *ptr);

/* Random bytes for masking keys and Sec-WebSocket-Key. The core has no randomness of
 * its own: the endpoint uses a CSPRNG, the test peer a seeded generator (repeatable runs). */
typedef void (*ws_random_fn)(void *ud, uint8_t *out, size_t n);

#endif

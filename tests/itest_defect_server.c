/*
 * itest_defect_server.c - a small WebSocket echo server with planted defects, the
 * fixture of tests/itest_defects.sh: wsspec's verdicts are worth what its verdicts on
 * *broken* servers are worth, so this server can be broken on purpose, one rule at a
 * time, and the test compares wsspec's verdicts with the ones Autobahn|Testsuite gives
 * for that defect (tests/defects/verdicts.txt).
 *
 *   build/itest_defect_server --listen 127.0.0.1:0 [--defect NAME[,NAME...]]
 *                             [--max-seconds N] [--echo-delay-ms N] [--die-after-len N]
 *                             [--busy-at N] [--busy-count N]
 *                             [--require-header 'Name: value']... [--require-subprotocol P]
 *                             [--max-message BYTES] [--idle-timeout-ms N]
 *                             [--handshake-timeout-ms N] [--allowed-origin ORIGIN]
 *                             [--no-deflate]
 *   build/itest_defect_server --list            the defects, one per line
 *
 * --max-message and --idle-timeout-ms are the policies the hardening probes (section
 * 17) are judged against: the largest message it takes (default MSG_MAX; one byte more
 * is Close 1009, refused at the frame header when the header says so), and the time
 * without a byte from the client after which it closes an open connection (Close
 * 1001; default 0, never). --handshake-timeout-ms is how long an opening handshake may
 * take before the connection is dropped (default HANDSHAKE_MS), --allowed-origin the one
 * Origin it serves: a request naming another gets 403 Forbidden (RFC 6455 10.2; one
 * without Origin is served).
 *
 * --require-header and --require-subprotocol make it a server as deployed behind
 * authentication (tests/itest_deploy.sh): an opening handshake without the header
 * (name case-insensitive, value exact) is answered 401 Unauthorized (Authorization) or
 * 403 Forbidden (any other header) with a short text body; one that does not offer the
 * subprotocol gets 400 Bad Request; otherwise the 101 selects it. Every connection is
 * checked, so a tester that sends them only on its first connection fails every case.
 *
 * die-after-frame, hang-after-frame and mute-after-frame end the server for the liveness
 * checks wsspec makes after every case (tests/itest_liveness.sh): on the first data
 * message of --die-after-len bytes (default 126: case 1.1.3's text) it closes everything
 * and refuses connections, or goes silent with its sockets open, or goes on completing
 * handshakes but echoes nothing more; die-after-refusal does what die-after-frame does
 * right after it answered a request it refuses (4xx). busy-503 refuses chosen handshakes
 * with 503 (a busy server: the liveness check asks once more).
 *
 * It speaks permessage-deflate (RFC 7692; sections 12, 13 and 18), negotiated and run
 * here with zlib, not with the core's ws_pmd/ws_deflate, so that the two are independent
 * implementations and a fault in one is not hidden by the same fault in the other. It
 * accepts the first permessage-deflate offer it must not decline (unknown, repeated or
 * ill-valued parameters decline an offer), answers server_no_context_takeover,
 * client_no_context_takeover and server_max_window_bits=N when offered, and
 * client_max_window_bits only when offered with a value (then that value); it honours
 * N, also 8 (zlib refuses a raw window of 2^8: a 2^9 window with Z_RLE, whose matches
 * reach back one byte, keeps within 2^8). Compressed messages (RSV1 on the first frame)
 * are inflated as they arrive, bounded by --max-message (1009 beyond), UTF-8 checked as
 * they inflate (1007), 1007 for bytes that are no DEFLATE data, 1002 for RSV1 on a
 * control frame or a continuation frame; every echo is compressed (one sync-flushed
 * segment, 00 00 ff ff removed, RSV1), with context takeover unless
 * server_no_context_takeover was offered. --no-deflate declines every offer.
 *
 * Without --defect it is a correct RFC 6455 echo server (the way Autobahn's own echo
 * server behaves: a client's Close is answered with 1000 whatever its code). When
 * ready it prints one line, "listening on HOST:PORT", and it exits on SIGTERM/SIGINT
 * or by itself after --max-seconds (default 300), so it can never outlive a test.
 *
 * The frame and message handling is written here, not taken from reference/ (whose
 * strict core cannot be wrong on purpose): a resumable frame reader (header bytes
 * collected, then the payload unmasked slice by slice as it arrives, so UTF-8 can fail
 * fast inside a frame), a message assembler, and one function per decision, each
 * asking has(DEFECT) where a defect changes it. The core is used only for the opening
 * handshake (parsing, accept key, building the 101) and to write frame headers.
 *
 * One thread, level-triggered epoll, non-blocking sockets; many connections at once
 * (wsspec runs several cases in parallel). Every buffer is bounded: the handshake
 * block, a message (MSG_MAX), control payloads (CTL_MAX), output (OUT_MAX), held
 * echoes (HELD_MAX), a compressed echo (OUT_MAX), an inflated message (--max-message)
 * and the number of connections (MAX_CONNS).
 */
#define _GNU_SOURCE
#include "ws_frame.h"
#include "ws_handshake.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#define ZLIB_CONST /* next_in points to const bytes */
#include <zlib.h>

/* ------------------------------------------------------------ defects */

/* One row per defect: identifier, name on the command line, what the server then does
 * (and the RFC 6455 section it breaks). */
#define DEFECTS(X)                                                                                 \
    X(RSV_IGNORED, "rsv-ignored", "RSV bits of received frames are ignored (5.2)")                 \
    X(OPCODE_IGNORED, "opcode-ignored", "frames with a reserved opcode are skipped (5.2)")         \
    X(UTF8_LATE, "utf8-late", "text is validated only once the message is complete (8.1)")         \
    X(UTF8_NONE, "utf8-none", "text is not validated at all (8.1)")                                \
    X(PONG_MISSING, "pong-missing", "pings are not answered (5.5.2)")                              \
    X(PONG_WRONG, "pong-wrong", "a pong's payload differs from its ping's (5.5.3)")                \
    X(PONG_DEBOUNCE, "pong-debounce",                                                              \
      "a ping is answered only after 200 ms without another ping, for the latest one")             \
    X(CONTROL_LONG, "control-long", "control frames over 125 bytes are accepted (5.5)")            \
    X(CONTROL_FRAGMENTED, "control-fragmented",                                                    \
      "a control frame with FIN=0 is accepted and continued by CONT frames (5.5)")                 \
    X(CONT_ORPHAN, "cont-orphan", "a continuation frame outside a message is skipped (5.4)")       \
    X(DATA_IN_FRAGMENT, "data-in-fragment",                                                        \
      "a new data frame inside a fragmented message drops it and starts anew (5.4)")               \
    X(ACCEPT_UNMASKED, "accept-unmasked",                                                          \
      "frames without a mask are accepted and echoed like masked ones (5.1)")                      \
    X(NO_MESSAGE_LIMIT, "no-message-limit",                                                        \
      "any declared frame length is accepted and its payload awaited, up to 2^40 bytes and more, " \
      "whatever --max-message says: a message within MSG_MAX is echoed, the bytes of a longer "    \
      "one are counted and dropped (10.4)")                                                        \
    X(CLOSE_CODE_ANY, "close-code-any",                                                            \
      "a Close with an invalid code is answered with 1000 (7.4)")                                  \
    X(CLOSE_REASON_ANY, "close-reason-any",                                                        \
      "a Close whose reason is not UTF-8 is answered with 1000 (5.5.1)")                           \
    X(CLOSE_1BYTE, "close-1byte", "a 1-byte Close payload is answered with 1000 (5.5.1)")          \
    X(NO_CLOSE_REPLY, "no-close-reply",                                                            \
      "the client's Close is ignored: no reply, TCP stays open (5.5.1)")                           \
    X(NO_TCP_CLOSE, "no-tcp-close",                                                                \
      "after the closing handshake the server waits for the client to close TCP (7.1.1)")          \
    X(ECHO_AFTER_CLOSE, "echo-after-close",                                                        \
      "an echo waits for the next frame header (at most 400 ms) and goes out after a Close "       \
      "that frame causes (5.5.1)")                                                                 \
    X(PROCESS_AFTER_CLOSE, "process-after-close",                                                  \
      "frames after the client's Close are still answered for 300 ms after the reply (5.5.1)")     \
    X(CLOSE_REPLY_1002, "close-reply-1002", "a valid Close is answered with 1002 (7.4.1)")         \
    X(FAIL_CODE_1000, "fail-code-1000",                                                            \
      "protocol errors close with 1000 instead of 1002/1007 (7.4.1)")                              \
    X(FAIL_CODE_RESERVED, "fail-code-reserved",                                                    \
      "protocol errors close with 1006, which no endpoint may send (7.4.1)")                       \
    X(FAIL_BY_DROP, "fail-by-drop",                                                                \
      "protocol errors close TCP without a Close frame (7.1.7 SHOULD send one)")                   \
    X(TRUNCATED_ECHO, "truncated-echo", "an echo lacks the message's last byte")                   \
    X(RETYPED_ECHO, "retyped-echo", "text is echoed as binary")                                    \
    X(MASKED_FRAMES, "masked-frames", "every frame the server sends is masked (5.1)")              \
    X(NONMINIMAL_LENGTH, "nonminimal-length",                                                      \
      "echoes carry their length in the 64-bit form whatever it is (5.2)")                         \
    X(RSV_OUT, "rsv-out", "echoes have RSV1 set, no extension negotiated (5.2)")                   \
    X(LATE_ECHO, "late-echo",                                                                      \
      "echoes are held until the client's Close, then sent, then the Close reply")                 \
    X(SLOW_ECHO, "slow-echo",                                                                      \
      "each echo goes out --echo-delay-ms after its message; a Close drops the pending ones")      \
    X(CLOSE_FIRST, "close-first", "the server sends Close 1000 right after its 101")               \
    X(CLOSE_FIRST_1012, "close-first-1012",                                                        \
      "the server sends Close 1012 (registered after RFC 6455) right after its 101")               \
    X(BAD_ACCEPT, "bad-accept", "the 101 carries a wrong Sec-WebSocket-Accept (4.2.2)")            \
    /* the server dies: the target of wsspec's liveness checks (--die-after-len) */                \
    X(DIE_AFTER_FRAME, "die-after-frame",                                                          \
      "on the first data message of --die-after-len bytes the server stops: every connection "     \
      "and the listening socket close (connections are refused from then on)")                     \
    X(HANG_AFTER_FRAME, "hang-after-frame",                                                        \
      "on the first data message of --die-after-len bytes the server stops reading, writing and "  \
      "accepting; sockets stay open (opening handshakes go unanswered)")                           \
    X(MUTE_AFTER_FRAME, "mute-after-frame",                                                        \
      "after echoing the first data message of --die-after-len bytes the server echoes nothing "   \
      "more; it still completes opening handshakes and closing handshakes")                        \
    X(BUSY_503, "busy-503",                                                                        \
      "opening handshakes number --busy-at to --busy-at + --busy-count - 1 (counted from 1, "      \
      "over the server's life) are refused with 503 Service Unavailable")                          \
    X(DIE_AFTER_REFUSAL, "die-after-refusal",                                                      \
      "an opening handshake refused under RFC 6455 (4xx, e.g. a POST) is answered, then the "      \
      "server stops as with die-after-frame (a crash on a malformed request)")                     \
    /* the opening handshake and negotiation (sections 14 and 16) */                               \
    X(VERSION_ANY, "version-any",                                                                  \
      "any Sec-WebSocket-Version (8, 12, none, two) is answered with 101 (4.2.2)")                 \
    X(KEY_UNCHECKED, "key-unchecked",                                                              \
      "Sec-WebSocket-Key is not checked: missing, short, long, not base64 or two keys get a 101 "  \
      "answering the first (or the empty key) (4.2.1)")                                            \
    X(ACCEPT_UNTRIMMED, "accept-untrimmed",                                                        \
      "the accept is computed over the key with the blanks around it (4.2.2, RFC 9112 5.1)")       \
    X(UPGRADE_EXACT, "upgrade-exact",                                                              \
      "Upgrade and Connection must be exactly 'websocket' and 'Upgrade', else 400 (4.2.1)")        \
    X(HTTP_UNCHECKED, "http-unchecked",                                                            \
      "the method, the HTTP version and Host are not checked (4.2.1, RFC 9112 3.2)")               \
    X(HEADER_LIMIT_HANG, "header-limit-hang",                                                      \
      "a header block past 8 KiB is never answered: the server reads on, then drops it after "     \
      "5 s (RFC 9110 5.4)")                                                                        \
    X(REQUEST_ONE_READ, "request-one-read",                                                        \
      "the request must come in one read: an incomplete first read is answered 400 "               \
      "(RFC 9112 2.2)")                                                                            \
    X(PROTOCOL_ECHO, "protocol-echo",                                                              \
      "the 101 repeats the client's first Sec-WebSocket-Protocol line, the whole list (4.2.2)")    \
    X(PROTOCOL_OWN, "protocol-own",                                                                \
      "the 101 selects the server's own subprotocol, chat, whenever any is offered (4.2.2)")       \
    X(EXTENSION_ACCEPT_ANY, "extension-accept-any",                                                \
      "the 101 lists every extension offered, known or not, and uses none (9.1)")                  \
    X(EXTENSION_UNOFFERED, "extension-unoffered",                                                  \
      "the 101 lists permessage-deflate whenever any extension is offered (4.2.2)")                \
    /* --- the hardening probes' defects (section 17) ------------------------------------ */      \
    X(IDLE_FOREVER, "idle-forever",                                                                \
      "an idle connection is never closed, whatever --idle-timeout-ms says")                       \
    X(HANDSHAKE_FOREVER, "handshake-forever",                                                      \
      "an opening handshake dripped byte by byte is waited for without end, whatever "             \
      "--handshake-timeout-ms says (until --max-seconds)")                                         \
    X(ORIGIN_ANY, "origin-any", "any Origin is served, whatever --allowed-origin says (10.2)")     \
    /* --- permessage-deflate (RFC 7692; sections 12, 13 and 18) ----------------------------- */  \
    X(PMD_ACCEPT_INVALID, "pmd-accept-invalid",                                                    \
      "an offer's unknown, repeated or ill-valued parameters are skipped and the rest accepted "   \
      "(RFC 7692 7: such offers are declined)")                                                    \
    X(PMD_REFUSE_INVALID, "pmd-refuse-invalid",                                                    \
      "a request with an offer to decline (unknown, repeated or ill-valued parameters) is "        \
      "refused with 400, as ws 8 does, instead of the offer being declined (RFC 7692 7)")          \
    X(PMD_CLIENT_BITS_UNOFFERED, "pmd-client-bits-unoffered",                                      \
      "the answer carries client_max_window_bits=15 unless the offer had it without a value "      \
      "(RFC 7692 7.1.2.2)")                                                                        \
    X(PMD_WINDOW_UNANSWERED, "pmd-window-unanswered",                                              \
      "an offered server_max_window_bits is honoured but left out of the answer (RFC 7692 "        \
      "7.1.2.1)")                                                                                  \
    X(PMD_IGNORE_WINDOW, "pmd-ignore-window",                                                      \
      "server_max_window_bits=N is answered but echoes are compressed with a 32 KiB window "       \
      "(RFC 7692 7.1.2.1)")                                                                        \
    X(PMD_NO_SERVER_NCT, "pmd-no-server-nct",                                                      \
      "an offered server_no_context_takeover is left out of the answer, though the compressor "    \
      "is reset after every message (RFC 7692 7.1.1.1)")                                           \
    X(PMD_RSV1_CONTINUATION, "pmd-rsv1-continuation",                                              \
      "compressed echoes go out in two frames with RSV1 on both (RFC 7692 6)")                     \
    X(PMD_RSV1_ACCEPTED, "pmd-rsv1-accepted",                                                      \
      "RSV1 on control frames and continuation frames is ignored (RFC 7692 6)")                    \
    X(PMD_CORRUPT_ECHO, "pmd-corrupt-echo",                                                        \
      "every 10th compressed echo of a connection has one byte of its data changed before it is "  \
      "compressed")                                                                                \
    X(PMD_NO_BOMB_GUARD, "pmd-no-bomb-guard",                                                      \
      "a compressed message that inflates past --max-message is cut there and echoed instead of "  \
      "failing the connection with 1009 (RFC 6455 10.4)")                                          \
    X(PMD_RSV1_PLAIN, "pmd-rsv1-plain", "echoes go out uncompressed with RSV1 set (RFC 7692 6)")   \
    X(PMD_FRAME_INFLATE, "pmd-frame-inflate",                                                      \
      "each frame of a compressed message is inflated as a stream of its own, not the "            \
      "concatenation of the frames (RFC 7692 6)")                                                  \
    X(PMD_INFLATE_PLAIN, "pmd-inflate-plain",                                                      \
      "once permessage-deflate is agreed every message is inflated, RSV1 or not (RFC 7692 6)")

enum defect {
#define X(id, name, text) D_##id,
    DEFECTS(X)
#undef X
        D_COUNT
};

static const char *const g_defect_name[] = {
#define X(id, name, text) name,
    DEFECTS(X)
#undef X
};

static const char *const g_defect_text[] = {
#define X(id, name, text) text,
    DEFECTS(X)
#undef X
};

/* The defects switched on, one bit each. */
static uint64_t g_defects[(D_COUNT + 63) / 64];

static bool has(enum defect d)
{
    return (g_defects[d / 64] >> (d % 64)) & 1u;
}

/* ------------------------------------------------------------ limits and timers */

/* Connections at once: wsspec runs a handful of cases in parallel per defect. */
#define MAX_CONNS 256
/* One read buffer shared by all connections, and the bytes one connection may read per
 * wake-up, so one fast sender cannot starve the others. */
#define READ_BUF (256u * 1024)
#define READ_BUDGET (1024u * 1024)
/* The largest message: the catalogue's largest is 16 MiB (9.1.6, 9.2.6). */
#define MSG_MAX (32u * 1024 * 1024)
/* Control payloads kept: 125 by the RFC; control-long and control-fragmented accept
 * more (the catalogue sends at most 126 and 18), this bounds them. */
#define CTL_MAX 4096u
/* Output backlog above which the connection stops reading until the client catches up. */
#define OUT_HIGH (1024u * 1024)
/* Bytes written to one connection per round, so a 16 MiB echo does not keep the loop
 * from the others (a Close waiting for its reply on another connection has 1 s). */
#define WRITE_BUDGET (1024u * 1024)
/* Echoes held back (late-echo, slow-echo, echo-after-close) per connection. */
#define HELD_MAX (32u * 1024 * 1024)
/* Output at most: the backlog, then one whole echo and all held ones released at once. */
#define OUT_MAX (OUT_HIGH + MSG_MAX + HELD_MAX + 2 * CTL_MAX)

/* Autobahn's openHandshakeTimeout is 5 s; the client gives up first. */
#define HANDSHAKE_MS 5000u
/* close-first: how long the client has to answer our Close (Autobahn's client answers
 * at once; wsspec gives a server 1 s for the same). */
#define CLOSE_WAIT_MS 2000u
/* After our side is shut: how long we read what the client still sends before closing
 * (close() with unread input would send RST and could destroy our last frames). */
#define DRAIN_MS 2000u
/* no-tcp-close: waiting for the client to close TCP; the client gives up after its 1 s
 * serverConnectionDropTimeout or its killAfter (at most 10 s in the cases used). */
#define NO_TCP_CLOSE_MS 15000u
/* echo-after-close: an echo waits this long for the next frame header. Far above the
 * tester's 10 ms between chopped frames (so the next frame comes first even on a busy
 * machine), far below the 1 s killAfter of the cases (so an echo is never late). */
#define HOLD_MS 400u
/* pong-debounce: a ping is answered after this long without another ping. Far above the
 * gaps between the 10 pings of 2.10/2.11, far below their 3 s closeAfter. */
#define DEBOUNCE_MS 200u
/* process-after-close: frames are still answered this long after the Close reply;
 * below the clients' 1 s wait for the server to close TCP. */
#define AFTER_REPLY_MS 300u
/* slow-echo's default delay: longer than the 1 s killAfter/closeAfter of most cases. */
#define SLOW_ECHO_MS 1500u

/* masked-frames: a fixed key, any key but 0 changes the bytes. */
static const uint8_t g_mask_key[4] = {0x5a, 0xc3, 0x17, 0x8e};

static uint64_t g_echo_delay_ms = SLOW_ECHO_MS;
/* --max-message: the largest message taken (at most MSG_MAX); --idle-timeout-ms: 0 =
 * never */
static uint64_t g_max_message = MSG_MAX;
static uint64_t g_idle_ms;
/* --handshake-timeout-ms (handshake-forever: none); --allowed-origin: NULL = any */
static uint64_t g_handshake_ms = HANDSHAKE_MS;
static const char *g_origin;
/* --no-deflate: permessage-deflate offers are declined */
static bool g_no_deflate;

/* die-after-frame, hang-after-frame, mute-after-frame: the length of the data message
 * that ends the server (default: 1.1.3's 126-byte text), and whether it came. */
#define DIE_AFTER_LEN 126u
static uint64_t g_die_len = DIE_AFTER_LEN;
static bool g_fated, g_muted;

/* busy-503: which opening handshakes are refused (default: the 4th, which is the
 * liveness check after the first case of a run: the probe, the first check, the case,
 * its check), and how many handshakes came so far. */
static uint64_t g_busy_at = 4, g_busy_count = 1, g_handshakes;

/* --require-header / --require-subprotocol (see the top of the file) */
#define REQUIRED_MAX 8
static const char *g_required[REQUIRED_MAX]; /* "Name: value" as given */
static size_t g_n_required;
static const char *g_subprotocol; /* NULL: none required, none selected */
static uint8_t g_rbuf[READ_BUF];

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ------------------------------------------------------------ UTF-8 (RFC 3629) */

/* An incremental validator that fails at the first impossible octet: `need`
 * continuation octets are still due, the next one must lie in lo..hi (which excludes
 * overlong forms, surrogates and code points above U+10FFFF where a lead byte allows
 * them). Written here rather than taken from the core, so a fault in one is not
 * hidden by the same fault in the other. */
struct utf8 {
    uint8_t need, lo, hi;
};

static bool utf8_lead(struct utf8 *v, uint8_t b)
{
    v->lo = 0x80;
    v->hi = 0xBF;
    if (b < 0x80)
        return true;
    if (b < 0xC2 || b > 0xF4) /* continuation, overlong 2-byte, or beyond U+10FFFF */
        return false;
    if (b < 0xE0) {
        v->need = 1;
    } else if (b < 0xF0) {
        v->need = 2;
        if (b == 0xE0)
            v->lo = 0xA0; /* overlong */
        if (b == 0xED)
            v->hi = 0x9F; /* surrogates */
    } else {
        v->need = 3;
        if (b == 0xF0)
            v->lo = 0x90; /* overlong */
        if (b == 0xF4)
            v->hi = 0x8F; /* above U+10FFFF */
    }
    return true;
}

/* Bytes from i on that are ASCII, 8 at a time: the 16 MiB texts of section 9 are. */
static size_t ascii_run(const uint8_t *p, size_t i, size_t n)
{
    size_t start = i;
    while (n - i >= 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ull)
            break;
        i += 8;
    }
    return i - start;
}

static bool utf8_feed(struct utf8 *v, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!v->need)
            i += ascii_run(p, i, n);
        if (i == n)
            break;
        uint8_t b = p[i];
        if (!v->need) {
            if (!utf8_lead(v, b))
                return false;
            continue;
        }
        if (b < v->lo || b > v->hi)
            return false;
        v->need--;
        v->lo = 0x80;
        v->hi = 0xBF;
    }
    return true;
}

static bool utf8_whole(const uint8_t *p, size_t n)
{
    struct utf8 v = {0};
    return utf8_feed(&v, p, n) && v.need == 0;
}

/* ------------------------------------------------------------ connection state */

/* An echo held back by a defect: the frame as it will go on the wire. */
struct held {
    struct held *next;
    uint64_t due; /* monotonic ms; UINT64_MAX = until the client's Close */
    size_t len;
    uint8_t bytes[];
};

/*
 * A connection's life:
 *   HANDSHAKE    reading the HTTP request                       deadline HANDSHAKE_MS
 *   OPEN         echoing
 *   CLOSING      close-first: our Close sent, waiting for the    deadline CLOSE_WAIT_MS
 *                client's
 *   AFTER_REPLY  process-after-close: Close answered, frames     deadline AFTER_REPLY_MS
 *                still handled
 *   DRAIN        closing handshake over, or connection failed:  deadline DRAIN_MS
 *                our side shut once the output is written,
 *                reading until the client closes
 * then the socket is closed.
 */
enum phase { PH_HANDSHAKE, PH_OPEN, PH_CLOSING, PH_AFTER_REPLY, PH_DRAIN };

/* What the frame being read is for. */
enum disposition { F_SKIP, F_DATA, F_CONTROL };

struct frame_in {
    uint8_t hbuf[WS_FRAME_HEADER_MAX];
    uint8_t hhave, hneed; /* header bytes held; needed (2 until the length is known) */
    bool in_payload;
    bool fin, masked;
    uint8_t rsv, opcode;
    uint8_t key[4];
    uint64_t len, done; /* payload length, payload bytes read */
    enum disposition disp;
};

/* What the opening handshake agreed on for permessage-deflate (RFC 7692 7.1). */
struct pmd {
    bool on;
    bool server_nct;     /* our compressor starts afresh for every message (7.1.1.1) */
    bool client_nct;     /* client_no_context_takeover answered: so does the client's, and
                            our inflater is reset after every message (7.1.1.2) */
    uint8_t server_bits; /* how far back our messages may refer: 2^bits bytes (7.1.2.1) */
};

struct conn {
    int fd;
    bool dead;
    enum phase phase;
    uint64_t deadline; /* of the phase; 0 = none */
    uint32_t events;   /* epoll interest registered */
    bool shut_after_flush, shut_done;
    char hs[WS_HTTP_DEFAULT_MAX_BLOCK];
    size_t hs_len;
    bool hs_discard; /* header-limit-hang: the block overflowed; read and drop */
    struct frame_in f;
    /* the data message being received */
    bool msg_active;
    uint8_t msg_op;
    uint8_t *msg;
    size_t msg_len, msg_cap;
    uint64_t msg_dropped; /* no-message-limit: bytes beyond MSG_MAX, counted, not kept */
    struct utf8 utf8;
    /* the control payload being received (over several frames with control-fragmented) */
    bool ctl_open;
    uint8_t ctl_op;
    uint8_t ctl[CTL_MAX];
    size_t ctl_len;
    /* bytes to write */
    uint8_t *out;
    size_t out_len, out_off, out_cap;
    /* echoes held back, in order */
    struct held *held_head, *held_tail;
    size_t held_bytes;
    /* pong-debounce: the pong to send when no other ping came in time */
    bool pong_pending;
    uint64_t pong_due;
    uint8_t pong[CTL_MAX];
    size_t pong_len;
    /* permessage-deflate: the agreement; the inflater and the compressor (set up when
     * it is on); the message being received is compressed (RSV1 on its first frame),
     * it was cut (pmd-no-bomb-guard);
     * one compressed echo; compressed echoes sent (pmd-corrupt-echo) */
    struct pmd pmd;
    z_stream zin, zout;
    bool msg_z, msg_cut;
    uint64_t msg_wire; /* compressed bytes of the message: what the frame headers count */
    uint8_t *zbuf;
    size_t zbuf_cap;
    uint64_t z_echoes;
};

struct server {
    int ep, lfd, sfd;
    struct conn *conns[MAX_CONNS];
    bool fate_met, hung; /* die-, hang-after-frame: the server met its end / hangs */
};

static void fail(struct conn *c, uint16_t code);
static void begin_drain(struct conn *c);

/* ------------------------------------------------------------ output */

static void conn_abort(struct conn *c)
{
    c->dead = true;
}

static size_t out_backlog(const struct conn *c)
{
    return c->out_len - c->out_off;
}

/* Room for n more output bytes; NULL (and the connection dropped) past OUT_MAX. */
static uint8_t *out_reserve(struct conn *c, size_t n)
{
    if (c->out_off && c->out_len + n > c->out_cap) { /* reuse what was written */
        memmove(c->out, c->out + c->out_off, out_backlog(c));
        c->out_len -= c->out_off;
        c->out_off = 0;
    }
    if (n > OUT_MAX - c->out_len) {
        conn_abort(c);
        return NULL;
    }
    if (c->out_len + n > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + n)
            cap *= 2;
        uint8_t *p = realloc(c->out, cap);
        if (!p) {
            conn_abort(c);
            return NULL;
        }
        c->out = p;
        c->out_cap = cap;
    }
    uint8_t *p = c->out + c->out_len;
    c->out_len += n;
    return p;
}

static void out_put(struct conn *c, const void *p, size_t n)
{
    uint8_t *dst = out_reserve(c, n);
    if (dst && n)
        memcpy(dst, p, n);
}

/* What a frame the server writes looks like: opcode, RSV bits (RSV1 on a compressed
 * message's first frame), FIN. */
struct out_frame {
    uint8_t op, rsv;
    bool fin;
};

/* The frame header the server writes for frame o with n payload bytes, with the
 * defects that change how the server writes frames. */
static size_t frame_spec(struct out_frame o, size_t n, struct ws_frame_spec *spec,
                         uint8_t hdr[WS_FRAME_HEADER_MAX])
{
    bool data = !ws_opcode_is_control(o.op);
    *spec = (struct ws_frame_spec){.fin = o.fin, .opcode = o.op, .rsv = o.rsv};
    if (data && has(D_RSV_OUT))
        spec->rsv |= WS_RSV1;
    if (data && has(D_NONMINIMAL_LENGTH))
        spec->len_form = WS_LEN_64;
    if (has(D_MASKED_FRAMES)) {
        spec->masked = true;
        memcpy(spec->mask_key, g_mask_key, 4);
    }
    return ws_frame_write_header(spec, n, hdr);
}

static size_t frame_write(uint8_t *dst, struct out_frame o, const uint8_t *p, size_t n)
{
    struct ws_frame_spec spec;
    uint8_t hdr[WS_FRAME_HEADER_MAX];
    size_t hl = frame_spec(o, n, &spec, hdr);
    memcpy(dst, hdr, hl);
    if (n)
        memcpy(dst + hl, p, n);
    if (spec.masked)
        ws_mask(dst + hl, n, spec.mask_key, 0);
    return hl + n;
}

static void send_frame_as(struct conn *c, struct out_frame o, const uint8_t *p, size_t n)
{
    uint8_t *dst = out_reserve(c, WS_FRAME_HEADER_MAX + n);
    if (!dst)
        return;
    size_t len = frame_write(dst, o, p, n);
    c->out_len -= WS_FRAME_HEADER_MAX + n - len; /* give back the unused header room */
}

/* A whole message or control frame in one frame, no RSV bit. */
static void send_frame(struct conn *c, uint8_t op, const uint8_t *p, size_t n)
{
    send_frame_as(c, (struct out_frame){.op = op, .fin = true}, p, n);
}

static void send_close(struct conn *c, uint16_t code)
{
    uint8_t body[2] = {(uint8_t)(code >> 8), (uint8_t)code};
    send_frame(c, WS_OP_CLOSE, body, sizeof body);
}

/* ------------------------------------------------------------ held echoes */

static void held_add(struct conn *c, struct out_frame o, const uint8_t *p, size_t n, uint64_t due)
{
    if (n + WS_FRAME_HEADER_MAX > HELD_MAX - c->held_bytes) {
        fail(c, 1009); /* 7.4.1: too big to process - here: to hold */
        return;
    }
    struct held *h = malloc(sizeof *h + WS_FRAME_HEADER_MAX + n);
    if (!h) {
        fail(c, 1011);
        return;
    }
    h->next = NULL;
    h->due = due;
    h->len = frame_write(h->bytes, o, p, n);
    c->held_bytes += h->len;
    if (c->held_tail)
        c->held_tail->next = h;
    else
        c->held_head = h;
    c->held_tail = h;
}

/* Send the held echoes due by `until`, in order (UINT64_MAX: all of them). */
static void held_release(struct conn *c, uint64_t until)
{
    while (c->held_head && c->held_head->due <= until) {
        struct held *h = c->held_head;
        c->held_head = h->next;
        if (!c->held_head)
            c->held_tail = NULL;
        c->held_bytes -= h->len;
        out_put(c, h->bytes, h->len);
        free(h);
    }
}

static void held_discard(struct conn *c)
{
    while (c->held_head) {
        struct held *h = c->held_head;
        c->held_head = h->next;
        free(h);
    }
    c->held_tail = NULL;
    c->held_bytes = 0;
}

/* ------------------------------------------------------------ permessage-deflate: zlib */

/* Set up the inflater and the compressor for what was agreed (*a). zlib's raw deflate
 * refuses a window of 2^8 (deflateInit2 with -8), so server_max_window_bits=8 is
 * honoured with a 2^9 window and the Z_RLE strategy, whose matches all reach back
 * exactly one byte: within any window. */
static bool pmd_streams_init(struct conn *c, const struct pmd *a)
{
    int bits = a->server_bits, strategy = Z_DEFAULT_STRATEGY;
    if (has(D_PMD_IGNORE_WINDOW)) {
        bits = 15;
    } else if (bits < 9) {
        bits = 9;
        strategy = Z_RLE;
    }
    /* 15: the inflater takes any window a client may use (RFC 7692 7.1.2.2) */
    if (inflateInit2(&c->zin, -15) != Z_OK)
        return false;
    if (deflateInit2(&c->zout, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -bits, 8, strategy) != Z_OK) {
        inflateEnd(&c->zin);
        return false;
    }
    return true;
}

/* Room for n bytes in the compressed-echo buffer (at most OUT_MAX). */
static bool zbuf_reserve(struct conn *c, size_t n)
{
    if (n <= c->zbuf_cap)
        return true;
    if (n > OUT_MAX)
        return false;
    uint8_t *z = realloc(c->zbuf, n);
    if (!z)
        return false;
    c->zbuf = z;
    c->zbuf_cap = n;
    return true;
}

/* pmd-corrupt-echo: one byte of the message changed - for text an ASCII byte into
 * another, so the text stays UTF-8 and only its content is wrong (a text without an
 * ASCII byte is left as it is). */
static void corrupt_byte(uint8_t op, uint8_t *p, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        size_t i = (n / 2 + k) % n;
        if (op != WS_OP_TEXT || p[i] < 0x80) {
            p[i] ^= 0x01;
            return;
        }
    }
}

/* Compress the echo p[0..n) into c->zbuf, *len bytes (RFC 7692 7.2.1: "Compress all the
 * octets of the payload of the message using DEFLATE.", and a sync flush ends it with
 * an empty stored block, of which "Remove 4 octets (that are 0x00 0x00 0xff 0xff) from
 * the tail end."). Each round of the loop doubles the buffer, which is bounded. */
static bool pmd_compress(struct conn *c, uint8_t op, uint8_t *p, size_t n, size_t *len)
{
    if (has(D_PMD_CORRUPT_ECHO) && ++c->z_echoes % 10 == 0)
        corrupt_byte(op, p, n);
    z_stream *z = &c->zout;
    if (!zbuf_reserve(c, deflateBound(z, n) + 64)) /* + the flush markers */
        return false;
    z->next_in = p;
    z->avail_in = (uInt)n; /* n <= MSG_MAX */
    size_t have = 0;
    do {
        if (have == c->zbuf_cap && !zbuf_reserve(c, 2 * c->zbuf_cap))
            return false;
        z->next_out = c->zbuf + have;
        z->avail_out = (uInt)(c->zbuf_cap - have);
        if (deflate(z, Z_SYNC_FLUSH) == Z_STREAM_ERROR)
            return false;
        have = c->zbuf_cap - z->avail_out;
    } while (z->avail_out == 0);
    static const uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};
    if (have < 4 || memcmp(c->zbuf + have - 4, tail, 4) != 0)
        return false;
    *len = have - 4;
    /* 7.1.1.1: with server_no_context_takeover agreed (pmd-no-server-nct: offered), each
     * message is compressed on its own */
    if (c->pmd.server_nct)
        deflateReset(z);
    return true;
}

/* Output of one inflate() call at most: the message buffer grows by this much. */
#define INFLATE_CHUNK (64u * 1024)

/* Room for n more bytes in the message buffer. */
static bool msg_reserve(struct conn *c, size_t n)
{
    if (n <= c->msg_cap - c->msg_len)
        return true;
    size_t cap = c->msg_cap ? c->msg_cap : 4096;
    while (cap - c->msg_len < n)
        cap *= 2;
    uint8_t *m = realloc(c->msg, cap);
    if (!m)
        return false;
    c->msg = m;
    c->msg_cap = cap;
    return true;
}

/* got bytes were inflated at the end of the message: the rules every message meets -
 * its limit (RFC 6455 10.4: "Implementations that have implementation- and/or
 * platform-specific limitations regarding the frame size or total message size after
 * reassembly from multiple frames MUST protect themselves against exceeding those
 * limits.") and UTF-8 for text, failing fast (8.1). 0, or the close code. */
static int inflated(struct conn *c, size_t got)
{
    const uint8_t *p = c->msg + c->msg_len;
    if (got > g_max_message - c->msg_len) {
        if (!has(D_PMD_NO_BOMB_GUARD))
            return 1009;
        got = (size_t)(g_max_message - c->msg_len); /* pmd-no-bomb-guard: cut here */
        c->msg_cut = true;
    }
    c->msg_len += got;
    bool fail_fast = !has(D_UTF8_LATE) && !has(D_UTF8_NONE);
    if (c->msg_op == WS_OP_TEXT && fail_fast && !utf8_feed(&c->utf8, p, got))
        return 1007;
    return 0;
}

/* A block with BFINAL ended the deflate stream, but the message goes on: RFC 7692
 * 7.2.3.3 has such a block followed by the header of an empty stored block, "necessary
 * to allow the payload to be decompressed in the same manner as messages compressed
 * using the flush method" - the appended 00 00 ff ff completes it. The inflater starts a
 * new stream on the same window (context takeover still holds). */
static bool inflate_restart(z_stream *z)
{
    static uint8_t window[32768]; /* one thread; copied out and straight back in */
    uInt n = sizeof window;
    return inflateGetDictionary(z, window, &n) == Z_OK && inflateReset(z) == Z_OK &&
           (n == 0 || inflateSetDictionary(z, window, n) == Z_OK);
}

/* Inflate n bytes of a compressed message into c->msg (RFC 7692 7.2.2: "Decompress the
 * resulting data using DEFLATE."). 0, or the close code to fail with: 1007 for bytes
 * that are no DEFLATE data (nothing else says what they are), 1009, 1011. Every round
 * consumes input (a stream that ends has consumed its blocks) or fills INFLATE_CHUNK
 * bytes of the message, which is bounded. */
static int inflate_bytes(struct conn *c, const uint8_t *p, size_t n)
{
    z_stream *z = &c->zin;
    z->next_in = p;
    z->avail_in = (uInt)n; /* n <= READ_BUF */
    while (!c->msg_cut) {
        if (!msg_reserve(c, INFLATE_CHUNK))
            return 1011;
        z->next_out = c->msg + c->msg_len;
        z->avail_out = INFLATE_CHUNK;
        int r = inflate(z, Z_SYNC_FLUSH);
        if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
            return 1007;
        int code = inflated(c, INFLATE_CHUNK - z->avail_out);
        if (code)
            return code;
        if (r == Z_STREAM_END && !inflate_restart(z))
            return 1011;
        if (r != Z_STREAM_END && z->avail_out > 0) /* the input is used up */
            return 0;
    }
    return 0;
}

/* The end of a compressed message (pmd-frame-inflate: of each of its frames): RFC 7692
 * 7.2.2 "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the payload of the
 * message." before inflating the rest. The inflater starts afresh for the next message
 * when the client resets its compressor too (client_no_context_takeover), or the
 * message was cut. 0, or the close code. */
static int inflate_finish(struct conn *c)
{
    static const uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};
    int code = c->msg_cut ? 0 : inflate_bytes(c, tail, sizeof tail);
    if (c->pmd.client_nct || c->msg_cut || has(D_PMD_FRAME_INFLATE))
        inflateReset(&c->zin);
    return code;
}

/* pmd-rsv1-continuation: a compressed message in two frames, RSV1 on both. */
static void send_split(struct conn *c, uint8_t op, const uint8_t *p, size_t n)
{
    size_t half = n / 2;
    send_frame_as(c, (struct out_frame){.op = op, .rsv = WS_RSV1, .fin = false}, p, half);
    send_frame_as(c, (struct out_frame){.op = WS_OP_CONT, .rsv = WS_RSV1, .fin = true}, p + half,
                  n - half);
}

/* ------------------------------------------------------------ answering */

static void send_pong(struct conn *c, const uint8_t *p, size_t n)
{
    if (!has(D_PONG_WRONG)) {
        send_frame(c, WS_OP_PONG, p, n);
        return;
    }
    /* a payload that differs from the ping's whatever it was, the length kept where
     * possible (so only the payload rule is broken, not the 125-byte one) */
    uint8_t buf[CTL_MAX];
    if (n == 0) {
        buf[0] = '!';
        n = 1;
    } else {
        memcpy(buf, p, n);
        buf[0] ^= 0x01;
    }
    send_frame(c, WS_OP_PONG, buf, n);
}

static void on_ping(struct conn *c)
{
    if (has(D_PONG_MISSING))
        return;
    if (has(D_PONG_DEBOUNCE)) {
        memcpy(c->pong, c->ctl, c->ctl_len);
        c->pong_len = c->ctl_len;
        c->pong_pending = true;
        c->pong_due = now_ms() + DEBOUNCE_MS;
        return;
    }
    /* 5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in
     * response" - 5.5.3: "with identical Application data" */
    send_pong(c, c->ctl, c->ctl_len);
}

/* Echo the message p[0..n) (ours: a defect may change it). With permessage-deflate
 * every echo is compressed, RSV1 on its first frame (RFC 7692 6: the "Per-Message
 * Compressed" bit). */
static void echo(struct conn *c, uint8_t op, uint8_t *p, size_t n)
{
    if (g_muted)
        return;
    if (has(D_RETYPED_ECHO) && op == WS_OP_TEXT)
        op = WS_OP_BINARY;
    if (has(D_TRUNCATED_ECHO) && n > 0)
        n--;
    struct out_frame o = {.op = op, .fin = true};
    const uint8_t *wire = p;
    if (c->pmd.on) {
        o.rsv = WS_RSV1;
        if (!has(D_PMD_RSV1_PLAIN)) { /* pmd-rsv1-plain: the bit without the compression */
            if (!pmd_compress(c, op, p, n, &n)) {
                fail(c, 1011);
                return;
            }
            wire = c->zbuf;
        }
    }
    uint64_t due = 0;
    if (has(D_LATE_ECHO))
        due = UINT64_MAX;
    else if (has(D_SLOW_ECHO))
        due = now_ms() + g_echo_delay_ms;
    else if (has(D_ECHO_AFTER_CLOSE))
        due = now_ms() + HOLD_MS;
    if (due)
        held_add(c, o, wire, n, due);
    else if (c->pmd.on && has(D_PMD_RSV1_CONTINUATION))
        send_split(c, op, wire, n);
    else
        send_frame_as(c, o, wire, n);
}

/* 7.4.1 and the IANA registry of 7.4.2/11.7: the codes a Close may carry. 1004-1006
 * and 1015 are reserved, 1016-2999 unassigned, below 1000 and above 4999 not used. */
static bool close_code_valid(uint16_t code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

struct reply {
    uint16_t code;
    bool error; /* the client's Close broke a rule: the reply fails the connection */
};

static struct reply close_reply(const struct conn *c)
{
    size_t n = c->ctl_len;
    /* 5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte
     * unsigned integer" - one byte cannot be */
    if (n == 1 && !has(D_CLOSE_1BYTE))
        return (struct reply){1002, true};
    if (n >= 2) {
        uint16_t code = (uint16_t)(c->ctl[0] << 8 | c->ctl[1]);
        if (!close_code_valid(code) && !has(D_CLOSE_CODE_ANY))
            return (struct reply){1002, true};
        /* 5.5.1: the reason "is not guaranteed to be human readable" but is UTF-8 */
        if (!utf8_whole(c->ctl + 2, n - 2) && !has(D_CLOSE_REASON_ANY))
            return (struct reply){1007, true};
    }
    /* Autobahn's own echo server answers every valid Close with 1000 */
    return (struct reply){has(D_CLOSE_REPLY_1002) ? 1002 : 1000, false};
}

static uint16_t error_code(uint16_t code)
{
    if (has(D_FAIL_CODE_RESERVED))
        return 1006;
    return has(D_FAIL_CODE_1000) ? 1000 : code;
}

static void cancel_pong(struct conn *c)
{
    c->pong_pending = false;
}

/* The client's Close while OPEN: answer it (5.5.1), then close TCP (7.1.1). */
static void on_client_close(struct conn *c)
{
    if (has(D_NO_CLOSE_REPLY))
        return;
    struct reply r = close_reply(c);
    cancel_pong(c);
    if (r.error && has(D_FAIL_BY_DROP)) {
        begin_drain(c);
        return;
    }
    if (has(D_LATE_ECHO))
        held_release(c, UINT64_MAX); /* the held echoes, then the reply */
    else if (!has(D_ECHO_AFTER_CLOSE))
        held_discard(c); /* slow-echo: a Close drops the echoes not sent yet */
    send_close(c, r.error ? error_code(r.code) : r.code);
    held_release(c, UINT64_MAX); /* echo-after-close: after the reply */
    if (has(D_PROCESS_AFTER_CLOSE)) {
        c->phase = PH_AFTER_REPLY;
        c->deadline = now_ms() + AFTER_REPLY_MS;
        return;
    }
    begin_drain(c);
}

static void on_close_frame(struct conn *c)
{
    if (c->phase == PH_CLOSING) {
        begin_drain(c); /* the answer to our Close: the closing handshake is complete */
        return;
    }
    if (c->phase == PH_OPEN)
        on_client_close(c);
    /* AFTER_REPLY: a second Close changes nothing */
}

static void on_control(struct conn *c)
{
    if (c->ctl_op == WS_OP_PING)
        on_ping(c);
    else if (c->ctl_op == WS_OP_CLOSE)
        on_close_frame(c);
    /* a pong needs no answer (5.5.3: unsolicited pongs are allowed) */
}

static bool text_valid_at_end(const struct conn *c)
{
    if (has(D_UTF8_NONE))
        return true;
    if (has(D_UTF8_LATE))
        return utf8_whole(c->msg, c->msg_len);
    return c->utf8.need == 0; /* 8.1: a message cannot end inside a code point */
}

/* The message that ends the server (die-, hang-, mute-after-frame): the first data
 * message of g_die_len bytes. The server loop acts on g_fated (serve); mute-after-frame
 * still echoes this one. Returns true when the message is not to be echoed. */
static bool fate(const struct conn *c)
{
    bool any = has(D_DIE_AFTER_FRAME) || has(D_HANG_AFTER_FRAME) || has(D_MUTE_AFTER_FRAME);
    if (!any || g_fated || c->msg_len != g_die_len)
        return false;
    g_fated = true;
    return !has(D_MUTE_AFTER_FRAME);
}

static void on_message(struct conn *c)
{
    c->msg_active = false;
    int code = c->msg_z ? inflate_finish(c) : 0;
    if (code) {
        fail(c, (uint16_t)code);
        return;
    }
    if (c->msg_dropped) { /* no-message-limit: too long to hold, so nothing to echo */
        c->msg_dropped = 0;
        c->msg_len = 0;
        return;
    }
    if (c->msg_op == WS_OP_TEXT && !text_valid_at_end(c)) {
        fail(c, 1007);
        return;
    }
    if (fate(c)) {
        c->msg_len = 0;
        return;
    }
    echo(c, c->msg_op, c->msg, c->msg_len);
    g_muted = g_fated && has(D_MUTE_AFTER_FRAME); /* after its echo */
    if (c->msg_cap > 1024u * 1024) {              /* do not keep 16 MiB per idle connection */
        free(c->msg);
        c->msg = NULL;
        c->msg_cap = 0;
    }
    if (c->zbuf_cap > 1024u * 1024) {
        free(c->zbuf);
        c->zbuf = NULL;
        c->zbuf_cap = 0;
    }
    c->msg_len = 0;
}

/* ------------------------------------------------------------ failing and closing */

/* Fail the connection (7.1.7): send a Close with the code, then close TCP once it is
 * written (7.1.1) and read until the client closes its side. The client's Close is not
 * waited for: after a failure inside a frame (UTF-8 in 6.4.3) no later frame boundary
 * can be found, and after a bad Close frame (7.3.6) the client has sent its Close. */
static void fail(struct conn *c, uint16_t code)
{
    c->f.disp = F_SKIP; /* the rest of the frame is not looked at */
    c->msg_active = false;
    if (c->phase != PH_OPEN) { /* a Close is out already */
        begin_drain(c);
        return;
    }
    cancel_pong(c);
    if (!has(D_FAIL_BY_DROP)) {
        if (!has(D_ECHO_AFTER_CLOSE))
            held_discard(c);
        send_close(c, error_code(code));
        held_release(c, UINT64_MAX); /* echo-after-close: the held echo follows the Close */
    }
    begin_drain(c);
}

static void begin_drain(struct conn *c)
{
    held_discard(c);
    cancel_pong(c);
    c->f.disp = F_SKIP;
    c->phase = PH_DRAIN;
    if (has(D_NO_TCP_CLOSE)) {
        c->deadline = now_ms() + NO_TCP_CLOSE_MS;
        return;
    }
    /* 7.1.1: "the server [...] SHOULD close the underlying TCP connection" first */
    c->shut_after_flush = true;
    c->deadline = now_ms() + DRAIN_MS;
}

/* ------------------------------------------------------------ frame rules */

static bool opcode_reserved(uint8_t op)
{
    return (op >= 3 && op <= 7) || op >= 11;
}

/* The return values of the rules: accept the frame, skip it (a defect), or fail the
 * connection with a close code (> 0). */
#define ACCEPT 0
#define SKIP (-1)

static int control_rule(const struct frame_in *f)
{
    /* 5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST
     * NOT be fragmented." */
    if (!f->fin && !has(D_CONTROL_FRAGMENTED))
        return 1002;
    if (f->len > WS_CONTROL_MAX && !has(D_CONTROL_LONG))
        return 1002;
    return f->len > CTL_MAX ? 1009 : ACCEPT;
}

static int data_rule(const struct conn *c)
{
    const struct frame_in *f = &c->f;
    if (f->opcode == WS_OP_CONT && c->ctl_open) /* control-fragmented: continues it */
        return f->len > CTL_MAX - c->ctl_len ? 1009 : ACCEPT;
    /* 5.4: a fragmented message is a first frame with FIN clear, CONT frames, and a
     * final CONT frame with FIN set - no CONT outside it, no new message inside it */
    if (f->opcode == WS_OP_CONT && !c->msg_active)
        return has(D_CONT_ORPHAN) ? SKIP : 1002;
    if (f->opcode != WS_OP_CONT && c->msg_active && !has(D_DATA_IN_FRAGMENT))
        return 1002;
    uint64_t have = f->opcode != WS_OP_CONT ? 0
                    : c->msg_z              ? c->msg_wire
                                            : c->msg_len + c->msg_dropped;
    if (has(D_NO_MESSAGE_LIMIT))
        return ACCEPT;
    /* 7.4.1 1009: too big to process - known at the header, so refused there (10.4) */
    return have > g_max_message || f->len > g_max_message - have ? 1009 : ACCEPT;
}

/* RSV bits: 5.2, RSV1-3 "MUST be 0 unless an extension is negotiated that defines
 * meanings for non-zero values"; permessage-deflate defines RSV1 on the first frame of
 * a data message, and RFC 7692 6: "An endpoint MUST NOT set the "Per-Message
 * Compressed" bit of control frames and non-first fragments of a data message. An
 * endpoint receiving such a frame MUST _Fail the WebSocket Connection_." */
static int rsv_rule(const struct conn *c)
{
    const struct frame_in *f = &c->f;
    bool first = f->opcode != WS_OP_CONT && !ws_opcode_is_control(f->opcode);
    uint8_t allowed = c->pmd.on && (first || has(D_PMD_RSV1_ACCEPTED)) ? WS_RSV1 : 0;
    return (f->rsv & ~allowed) && !has(D_RSV_IGNORED) ? 1002 : ACCEPT;
}

static int header_rule(const struct conn *c)
{
    const struct frame_in *f = &c->f;
    if (rsv_rule(c))
        return 1002;
    /* 5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the
     * WebSocket Connection_." */
    if (opcode_reserved(f->opcode))
        return has(D_OPCODE_IGNORED) ? SKIP : 1002;
    /* 5.1: "The server MUST close the connection upon receiving a frame that is not
     * masked." */
    if (!f->masked && !has(D_ACCEPT_UNMASKED))
        return 1002;
    /* 5.2: the 64-bit length's "most significant bit MUST be 0" */
    if (f->len >> 63)
        return 1002;
    if (ws_opcode_is_control(f->opcode))
        return control_rule(f);
    return data_rule(c);
}

static void accept_frame(struct conn *c)
{
    struct frame_in *f = &c->f;
    if (ws_opcode_is_control(f->opcode) || (f->opcode == WS_OP_CONT && c->ctl_open)) {
        if (f->opcode != WS_OP_CONT) {
            c->ctl_op = f->opcode;
            c->ctl_len = 0;
        }
        c->ctl_open = !f->fin;
        f->disp = F_CONTROL;
        return;
    }
    if (f->opcode != WS_OP_CONT) { /* a new message (data-in-fragment: the old one is lost) */
        c->msg_active = true;
        c->msg_op = f->opcode;
        c->msg_len = 0;
        c->msg_dropped = 0;
        c->utf8 = (struct utf8){0};
        /* RFC 7692 6: "A message with the "Per-Message Compressed" bit unset on the first
         * fragment of the message is called an "uncompressed message"." */
        c->msg_z = c->pmd.on && ((f->rsv & WS_RSV1) || has(D_PMD_INFLATE_PLAIN));
        c->msg_cut = false;
        c->msg_wire = 0;
    }
    f->disp = F_DATA;
}

static void on_header(struct conn *c)
{
    struct frame_in *f = &c->f;
    f->disp = F_SKIP;
    if (c->phase == PH_CLOSING) {
        /* 5.5.1: after its Close an endpoint sends no more data; of what the client
         * sends, only its Close still matters */
        if (f->opcode == WS_OP_CLOSE && f->len <= CTL_MAX) {
            c->ctl_op = WS_OP_CLOSE;
            c->ctl_len = 0;
            c->ctl_open = false;
            f->disp = F_CONTROL;
        }
        return;
    }
    int rule = header_rule(c);
    if (rule > 0) {
        fail(c, (uint16_t)rule);
        return;
    }
    /* echo-after-close: a frame that causes no Close lets the held echo go first */
    if (has(D_ECHO_AFTER_CLOSE) && f->opcode != WS_OP_CLOSE)
        held_release(c, UINT64_MAX);
    if (rule == ACCEPT)
        accept_frame(c);
}

static void on_payload(struct conn *c, const uint8_t *p, size_t n)
{
    if (c->f.disp == F_CONTROL) {
        memcpy(c->ctl + c->ctl_len, p, n); /* bounded by control_rule / data_rule */
        c->ctl_len += n;
        return;
    }
    if (c->f.disp != F_DATA)
        return;
    if (c->msg_z) {
        c->msg_wire += n;
        int code = inflate_bytes(c, p, n);
        if (code)
            fail(c, (uint16_t)code);
        return;
    }
    /* 8.1: invalid UTF-8 fails the connection as soon as it is seen (fail fast), not
     * at the end of the message */
    bool fail_fast = !has(D_UTF8_LATE) && !has(D_UTF8_NONE);
    if (c->msg_op == WS_OP_TEXT && fail_fast && !utf8_feed(&c->utf8, p, n)) {
        fail(c, 1007);
        return;
    }
    if (c->msg_dropped || n > MSG_MAX - c->msg_len) { /* no-message-limit: stay bounded */
        c->msg_dropped += n;
        return;
    }
    if (!msg_reserve(c, n)) {
        fail(c, 1011);
        return;
    }
    memcpy(c->msg + c->msg_len, p, n);
    c->msg_len += n;
}

/* pmd-frame-inflate: the frame of a compressed message ends its stream. */
static void frame_inflated(struct conn *c)
{
    int code = inflate_finish(c);
    if (code)
        fail(c, (uint16_t)code);
}

static void frame_end(struct conn *c)
{
    struct frame_in *f = &c->f;
    f->in_payload = false;
    f->hhave = 0;
    f->hneed = 2;
    if (f->disp == F_CONTROL && !c->ctl_open)
        on_control(c);
    else if (f->disp == F_DATA && f->fin)
        on_message(c);
    else if (f->disp == F_DATA && c->msg_z && has(D_PMD_FRAME_INFLATE))
        frame_inflated(c);
}

/* ------------------------------------------------------------ frame reader */

static void header_decode(struct frame_in *f)
{
    const uint8_t *h = f->hbuf;
    f->fin = h[0] & 0x80;
    f->rsv = (h[0] >> 4) & 7;
    f->opcode = h[0] & 0x0F;
    f->masked = h[1] & 0x80;
    uint8_t len7 = h[1] & 0x7F;
    size_t i = 2;
    f->len = len7;
    if (len7 >= 126) {
        size_t ext = len7 == 126 ? 2 : 8;
        f->len = 0;
        for (size_t k = 0; k < ext; k++)
            f->len = f->len << 8 | h[i++];
    }
    if (f->masked)
        memcpy(f->key, h + i, 4);
    f->done = 0;
}

/* Collect header bytes; returns the bytes taken. */
static size_t read_header(struct conn *c, const uint8_t *p, size_t n)
{
    struct frame_in *f = &c->f;
    size_t used = 0;
    while (used < n && f->hhave < f->hneed) {
        f->hbuf[f->hhave++] = p[used++];
        if (f->hhave == 2) {
            uint8_t len7 = f->hbuf[1] & 0x7F;
            f->hneed = (uint8_t)(2 +
                                 (len7 == 126   ? 2
                                  : len7 == 127 ? 8
                                                : 0) +
                                 (f->hbuf[1] & 0x80 ? 4 : 0));
        }
    }
    if (f->hhave < f->hneed)
        return used;
    header_decode(f);
    f->in_payload = true;
    on_header(c);
    if (f->len == 0)
        frame_end(c);
    return used;
}

/* Unmask and hand on the next payload slice (in place: the buffer is ours). */
static size_t read_payload(struct conn *c, uint8_t *p, size_t n)
{
    struct frame_in *f = &c->f;
    uint64_t left = f->len - f->done;
    size_t k = left < n ? (size_t)left : n;
    if (f->masked)
        ws_mask(p, k, f->key, f->done);
    on_payload(c, p, k);
    f->done += k;
    if (f->done == f->len)
        frame_end(c);
    return k;
}

static void frames_input(struct conn *c, uint8_t *p, size_t n)
{
    while (n && !c->dead && c->phase != PH_DRAIN) {
        size_t used = c->f.in_payload ? read_payload(c, p, n) : read_header(c, p, n);
        p += used;
        n -= used;
    }
}

/* ------------------------------------------------------------ opening handshake */

static void flush(struct conn *c);

static void refuse(struct conn *c, enum ws_error e)
{
    char buf[1024];
    size_t len = 0;
    if (ws_handshake_build_refusal(e, buf, sizeof buf, &len) != WS_E_OK) {
        conn_abort(c);
        return;
    }
    out_put(c, buf, len);
    begin_drain(c);
}

/* bad-accept: one character of the accept key changed (still base64, just wrong). */
static void corrupt_accept(char *resp, size_t len)
{
    static const char field[] = "Sec-WebSocket-Accept: ";
    char *v = memmem(resp, len, field, sizeof field - 1);
    if (v) {
        v += sizeof field - 1;
        *v = *v == 'A' ? 'B' : 'A';
    }
}

/* A refusal of our own (the deployment's checks, not RFC 6455's): status, a short text
 * body, and the connection closes after it. */
static void refuse_with(struct conn *c, const char *status, const char *body)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf,
                     "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s",
                     status, strlen(body), body);
    if (n < 0 || (size_t)n >= sizeof buf) {
        conn_abort(c);
        return;
    }
    out_put(c, buf, (size_t)n);
    begin_drain(c);
}

/* --idle-timeout-ms: an open connection's deadline is that long after the client's last
 * byte (idle-forever: none). */
static void idle_arm(struct conn *c)
{
    if (c->phase == PH_OPEN && g_idle_ms && !has(D_IDLE_FOREVER))
        c->deadline = now_ms() + g_idle_ms;
}

/* The first --require-header the request lacks (or carries with another value). */
static const char *missing_header(const struct ws_http_request *req)
{
    for (size_t i = 0; i < g_n_required; i++) {
        const char *line = g_required[i], *colon = strchr(line, ':');
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(colon - line), line);
        const char *want = colon + 1 + strspn(colon + 1, " \t");
        const struct ws_http_header *h = ws_http_find(req->headers, req->n_headers, name, NULL);
        if (!h || h->value.len != strlen(want) || memcmp(h->value.ptr, want, h->value.len) != 0)
            return line;
    }
    return NULL;
}

/* The deployment's checks: headers, then the subprotocol. True when the request may
 * go on to the 101 (with *chosen set when a subprotocol is required). */
static bool deployment_allows(struct conn *c, const struct ws_http_request *req,
                              const struct ws_request_info *info, struct ws_slice *chosen)
{
    struct ws_slice o = info->origin;
    if (g_origin && o.ptr && !has(D_ORIGIN_ANY) &&
        (o.len != strlen(g_origin) || strncasecmp(o.ptr, g_origin, o.len) != 0)) {
        refuse_with(c, "403 Forbidden", "this endpoint serves another origin\n");
        return false;
    }
    const char *missing = missing_header(req);
    if (missing) {
        bool auth = strncasecmp(missing, "Authorization:", 14) == 0;
        refuse_with(c, auth ? "401 Unauthorized" : "403 Forbidden",
                    auth ? "no valid credentials\n" : "a required header is missing or wrong\n");
        return false;
    }
    if (g_subprotocol && !ws_handshake_select_protocol(req, info, &g_subprotocol, 1, chosen)) {
        refuse_with(c, "400 Bad Request", "this endpoint speaks one subprotocol, not offered\n");
        return false;
    }
    return true;
}

/* ------------------------------------------------------------ handshake defects */

/* Drop every header called name from req. */
static void req_drop(struct ws_http_request *req, const char *name)
{
    size_t k = 0;
    for (size_t i = 0; i < req->n_headers; i++)
        if (!(req->headers[i].name.len == strlen(name) &&
              strncasecmp(req->headers[i].name.ptr, name, req->headers[i].name.len) == 0))
            req->headers[k++] = req->headers[i];
    req->n_headers = k;
}

/* Replace every header called name with one carrying value (static strings). */
static void req_set(struct ws_http_request *req, const char *name, const char *value)
{
    req_drop(req, name);
    if (req->n_headers < WS_HTTP_MAX_HEADERS)
        req->headers[req->n_headers++] =
            (struct ws_http_header){{name, strlen(name)}, {value, strlen(value)}};
}

static bool slice_is(struct ws_slice s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0;
}

/* What the checks of the core do not get to see, by defect: the request is patched so
 * that they pass (*key then holds the key the accept will answer). */
static void defects_patch(struct ws_http_request *req, struct ws_slice *key)
{
    const struct ws_http_header *h;
    if (has(D_VERSION_ANY))
        req_set(req, "Sec-WebSocket-Version", "13");
    if (has(D_HTTP_UNCHECKED)) {
        req->method = (struct ws_slice){"GET", 3};
        req->version_major = req->version_minor = 1;
        req_set(req, "Host", "unchecked"); /* none, empty or two: one that passes */
    }
    if (has(D_KEY_UNCHECKED)) {
        h = ws_http_find(req->headers, req->n_headers, "Sec-WebSocket-Key", NULL);
        *key = h ? h->value : (struct ws_slice){"", 0};
        req_set(req, "Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAA==");
    }
}

/* upgrade-exact: the values compared as strings, not as case-insensitive token lists. */
static enum ws_error upgrade_exact(const struct ws_http_request *req)
{
    const struct ws_http_header *u = ws_http_find(req->headers, req->n_headers, "Upgrade", NULL);
    const struct ws_http_header *k = ws_http_find(req->headers, req->n_headers, "Connection", NULL);
    if (!u || !slice_is(u->value, "websocket"))
        return WS_E_UPGRADE_MISSING;
    if (!k || !slice_is(k->value, "Upgrade"))
        return WS_E_CONNECTION_MISSING;
    return WS_E_OK;
}

/* accept-untrimmed: the key slice grown over the blanks around it in the request, but
 * for the one space after the colon (the bug of a server that skips ": " and takes the
 * rest of the line). */
static struct ws_slice key_untrimmed(const struct conn *c, struct ws_slice key)
{
    const char *b = key.ptr, *e = key.ptr + key.len, *end = c->hs + c->hs_len;
    while (b > c->hs && (b[-1] == ' ' || b[-1] == '\t'))
        b--;
    if (b > c->hs && b[-1] == ':' && *b == ' ')
        b++;
    while (e < end && (*e == ' ' || *e == '\t'))
        e++;
    return (struct ws_slice){b, (size_t)(e - b)};
}

/* protocol-echo / protocol-own: the subprotocol the 101 names, whatever was offered. */
static struct ws_slice protocol_defect(const struct ws_http_request *req, struct ws_slice chosen)
{
    const struct ws_http_header *h =
        ws_http_find(req->headers, req->n_headers, "Sec-WebSocket-Protocol", NULL);
    if (!h)
        return chosen;
    if (has(D_PROTOCOL_OWN))
        return (struct ws_slice){"chat", 4};
    if (has(D_PROTOCOL_ECHO))
        return h->value;
    return chosen;
}

/* extension-accept-any / extension-unoffered: the Sec-WebSocket-Extensions value of the
 * 101 (NULL: none), written into buf. */
static const char *extensions_defect(const struct ws_http_request *req, char *buf, size_t cap)
{
    size_t at = 0;
    bool any = false;
    buf[0] = '\0';
    for (size_t i = 0; i < req->n_headers; i++) {
        const struct ws_http_header *h = &req->headers[i];
        if (h->name.len != 24 || strncasecmp(h->name.ptr, "Sec-WebSocket-Extensions", 24) != 0)
            continue;
        any = true;
        int n =
            snprintf(buf + at, cap - at, "%s%.*s", at ? ", " : "", (int)h->value.len, h->value.ptr);
        if (n < 0 || (size_t)n >= cap - at)
            break;
        at += (size_t)n;
    }
    if (any && has(D_EXTENSION_UNOFFERED))
        return "permessage-deflate";
    return any && has(D_EXTENSION_ACCEPT_ANY) ? buf : NULL;
}

/* ------------------------------------------------------------ permessage-deflate: negotiation */

/* Sec-WebSocket-Extensions values read here, not by the core (ws_ext, ws_pmd), so a
 * fault in one is not hidden by the same fault in the other. The core's request check
 * has refused values that break the grammar of RFC 6455 9.1; this reader only needs to
 * be right on the ones that keep it, and to stay bounded on any. */

/* A parameter's value, unquoted (9.1: a quoted-string is read as the token inside): a
 * longer one is no valid value of any parameter RFC 7692 defines. */
#define PARAM_VALUE_MAX 8
/* Parameters of one element kept; more are a reason to decline (RFC 7692 defines four). */
#define ELEM_PARAMS_MAX 16

struct ext_param {
    struct ws_slice name;
    bool has_value, value_fits;
    char value[PARAM_VALUE_MAX + 1];
};

struct ext_elem {
    struct ws_slice name;
    struct ext_param params[ELEM_PARAMS_MAX];
    size_t n;
    bool too_many;
};

struct scan {
    const char *p, *end;
};

static void scan_blanks(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t'))
        s->p++;
}

/* After blanks: ch, taken. */
static bool scan_is(struct scan *s, char ch)
{
    scan_blanks(s);
    if (s->p == s->end || *s->p != ch)
        return false;
    s->p++;
    return true;
}

static struct ws_slice scan_token(struct scan *s)
{
    scan_blanks(s);
    const char *b = s->p;
    while (s->p < s->end && !strchr(",;= \t\"", *s->p))
        s->p++;
    return (struct ws_slice){b, (size_t)(s->p - b)};
}

static void scan_value(struct scan *s, struct ext_param *pa)
{
    size_t n = 0;
    pa->has_value = pa->value_fits = true;
    if (!scan_is(s, '"')) {
        struct ws_slice t = scan_token(s);
        pa->value_fits = t.len <= PARAM_VALUE_MAX;
        n = pa->value_fits ? t.len : 0;
        memcpy(pa->value, t.ptr, n);
    } else {
        for (; s->p < s->end && *s->p != '"'; s->p++) {
            if (*s->p == '\\' && s->p + 1 < s->end) /* quoted-pair */
                s->p++;
            if (n == PARAM_VALUE_MAX)
                pa->value_fits = false;
            else
                pa->value[n++] = *s->p;
        }
        scan_is(s, '"');
    }
    pa->value[n] = '\0';
}

/* The next element of a header value into *e; false at the end. Each call that returns
 * true consumes at least one byte. */
static bool scan_element(struct scan *s, struct ext_elem *e)
{
    while (scan_is(s, ',')) /* empty elements */
        ;
    if (s->p == s->end)
        return false;
    e->name = scan_token(s);
    e->n = 0;
    e->too_many = false;
    while (scan_is(s, ';')) {
        struct ext_param pa = {.name = scan_token(s)};
        if (scan_is(s, '='))
            scan_value(s, &pa);
        if (e->n < ELEM_PARAMS_MAX)
            e->params[e->n++] = pa;
        else
            e->too_many = true;
    }
    while (s->p < s->end && *s->p != ',') /* not the grammar: the rest of the element */
        s->p++;
    return true;
}

static bool slice_is_nocase(struct ws_slice s, const char *lit)
{
    return s.len == strlen(lit) && strncasecmp(s.ptr, lit, s.len) == 0;
}

/* A permessage-deflate offer: the parameters it gives. */
struct pmd_offer {
    bool snct, cnct, sbits_given, cbits_given;
    uint8_t sbits, cbits; /* cbits 0: client_max_window_bits without a value */
};

enum { P_SNCT, P_CNCT, P_SBITS, P_CBITS, P_COUNT };
static const char *const g_pmd_param[P_COUNT] = {
    "server_no_context_takeover", "client_no_context_takeover", "server_max_window_bits",
    "client_max_window_bits"};

/* RFC 7692 7.1.2.1 and 7.1.2.2: "a decimal integer value without leading zeroes between
 * 8 to 15, inclusive"; 0 when the value is not one. */
static uint8_t window_bits(const struct ext_param *pa)
{
    const char *v = pa->value;
    if (!pa->has_value || !pa->value_fits || v[0] < '1' || v[0] > '9')
        return 0;
    unsigned bits = (unsigned)(v[0] - '0');
    if (v[1] >= '0' && v[1] <= '9' && v[2] == '\0')
        bits = bits * 10 + (unsigned)(v[1] - '0');
    else if (v[1] != '\0')
        return 0;
    return bits >= 8 && bits <= 15 ? (uint8_t)bits : 0;
}

/* One parameter into *o; false when it is a reason to decline the offer (RFC 7692 7:
 * "The negotiation offer contains an extension parameter not defined for use in an
 * offer.", "... an extension parameter with an invalid value.", "... multiple extension
 * parameters with the same name."). */
static bool offer_param(struct pmd_offer *o, const struct ext_param *pa, unsigned *seen)
{
    unsigned k = 0;
    while (k < P_COUNT && !slice_is_nocase(pa->name, g_pmd_param[k]))
        k++;
    if (k == P_COUNT || (*seen >> k & 1u))
        return false;
    *seen |= 1u << k;
    if (k == P_SNCT || k == P_CNCT) { /* these two have no value */
        if (pa->has_value)
            return false;
        *(k == P_SNCT ? &o->snct : &o->cnct) = true;
        return true;
    }
    uint8_t bits = window_bits(pa);
    if (k == P_CBITS && !pa->has_value) { /* 7.1.2.2: "This parameter has no value or ..." */
        o->cbits_given = true;
        return true;
    }
    if (!bits)
        return false;
    *(k == P_SBITS ? &o->sbits_given : &o->cbits_given) = true;
    *(k == P_SBITS ? &o->sbits : &o->cbits) = bits;
    return true;
}

/* An element read as an offer into *o; false when it is one to decline (RFC 7692 7: "A
 * server MUST decline an extension negotiation offer for this extension if any of the
 * following conditions are met:"). pmd-accept-invalid: the bad parameters are skipped. */
static bool offer_read(const struct ext_elem *e, struct pmd_offer *o)
{
    *o = (struct pmd_offer){0};
    unsigned seen = 0;
    if (e->too_many && !has(D_PMD_ACCEPT_INVALID))
        return false;
    for (size_t i = 0; i < e->n; i++)
        if (!offer_param(o, &e->params[i], &seen) && !has(D_PMD_ACCEPT_INVALID))
            return false;
    return true;
}

/* The first permessage-deflate offer of the request that reads as valid (or, with
 * invalid, as one to decline) into *o; false when there is none. */
static bool offer_find(const struct ws_http_request *req, struct pmd_offer *o, bool invalid)
{
    for (size_t i = 0; i < req->n_headers; i++) {
        const struct ws_http_header *h = &req->headers[i];
        if (!slice_is_nocase(h->name, "Sec-WebSocket-Extensions"))
            continue;
        struct scan s = {h->value.ptr, h->value.ptr + h->value.len};
        struct ext_elem e;
        while (scan_element(&s, &e))
            if (slice_is_nocase(e.name, "permessage-deflate") && offer_read(&e, o) != invalid)
                return true;
    }
    return false;
}

/* The offer to accept: the first one not to be declined (RFC 7692 5: "The order of
 * elements is important as it specifies the client's preference."). */
static bool offer_pick(const struct ws_http_request *req, struct pmd_offer *o)
{
    return offer_find(req, o, false);
}

/* Whether an offer of the request is one to decline (pmd-refuse-invalid refuses the
 * request for it). */
static bool offer_to_decline(const struct ws_http_request *req)
{
    struct pmd_offer o;
    return offer_find(req, &o, true);
}

/* The answer to offer o into buf (false: it does not fit), and what it agrees to into
 * *a (RFC 7692 7.1). */
static bool pmd_answer(const struct pmd_offer *o, struct pmd *a, char *buf, size_t cap)
{
    *a = (struct pmd){.on = true,
                      .server_nct = o->snct,
                      .client_nct = o->cnct,
                      .server_bits = o->sbits_given ? o->sbits : 15};
    char sbits[32] = "", cbits[32] = "";
    /* 7.1.2.1: "A server accepts an extension negotiation offer with this parameter by
     * including the "server_max_window_bits" extension parameter in the extension
     * negotiation response to send back to the client with the same or smaller value as
     * the offer." */
    if (o->sbits_given && !has(D_PMD_WINDOW_UNANSWERED))
        snprintf(sbits, sizeof sbits, "; server_max_window_bits=%u", o->sbits);
    /* 7.1.2.2: "If a received extension negotiation offer doesn't have the
     * "client_max_window_bits" extension parameter, the corresponding extension
     * negotiation response to the offer MUST NOT include the "client_max_window_bits"
     * extension parameter." A value given is answered as it is ("equal to or smaller
     * than the received value"); none given, none answered: 32 KiB. */
    if (has(D_PMD_CLIENT_BITS_UNOFFERED) && !(o->cbits_given && !o->cbits))
        snprintf(cbits, sizeof cbits, "; client_max_window_bits=15");
    else if (o->cbits)
        snprintf(cbits, sizeof cbits, "; client_max_window_bits=%u", o->cbits);
    /* 7.1.1.1: "A server accepts an extension negotiation offer that includes the
     * "server_no_context_takeover" extension parameter by including the
     * "server_no_context_takeover" extension parameter in the corresponding extension
     * negotiation response to send back to the client." 7.1.1.2: a server may answer
     * client_no_context_takeover "to avoid taking over the LZ77 sliding window
     * unnecessarily" - it does when offered. */
    bool snct = o->snct && !has(D_PMD_NO_SERVER_NCT);
    int n =
        snprintf(buf, cap, "permessage-deflate%s%s%s%s", snct ? "; server_no_context_takeover" : "",
                 o->cnct ? "; client_no_context_takeover" : "", sbits, cbits);
    return n > 0 && (size_t)n < cap;
}

/* permessage-deflate for this request: the answer in buf and the agreement in *a, or
 * false (--no-deflate, no offer to accept). */
static bool pmd_negotiate(const struct ws_http_request *req, struct pmd *a, char *buf, size_t cap)
{
    struct pmd_offer o;
    return !g_no_deflate && offer_pick(req, &o) && pmd_answer(&o, a, buf, cap);
}

static void accept_ws(struct conn *c, const struct ws_http_request *req, struct ws_slice key,
                      struct ws_slice protocol)
{
    char resp[2048], ext[1024], pmd[256];
    size_t len = 0;
    if (has(D_PMD_REFUSE_INVALID) && !g_no_deflate && offer_to_decline(req)) {
        refuse_with(c, "400 Bad Request", "invalid Sec-WebSocket-Extensions header\n");
        return;
    }
    if (has(D_ACCEPT_UNTRIMMED))
        key = key_untrimmed(c, key);
    protocol = protocol_defect(req, protocol);
    const char *extensions = extensions_defect(req, ext, sizeof ext);
    struct pmd agreed = {0};
    if (!extensions && pmd_negotiate(req, &agreed, pmd, sizeof pmd))
        extensions = pmd;
    if (ws_handshake_build_response(key, protocol, extensions, resp, sizeof resp, &len) !=
        WS_E_OK) {
        conn_abort(c);
        return;
    }
    if (agreed.on && !pmd_streams_init(c, &agreed)) {
        conn_abort(c);
        return;
    }
    c->pmd = agreed;
    if (has(D_BAD_ACCEPT))
        corrupt_accept(resp, len);
    out_put(c, resp, len);
    c->phase = PH_OPEN;
    c->deadline = 0;
    idle_arm(c);
    c->f.hneed = 2;
    if (has(D_CLOSE_FIRST) || has(D_CLOSE_FIRST_1012)) { /* in the same write as the 101 */
        send_close(c, has(D_CLOSE_FIRST_1012) ? 1012 : 1000);
        c->phase = PH_CLOSING;
        c->deadline = now_ms() + CLOSE_WAIT_MS;
    }
}

/* A request block not complete yet (e INCOMPLETE) or past the limits (e
 * HEADERS_TOO_LARGE): true when it is dealt with here - wait, or by defect answer it
 * as it is or never - false when it is to be refused (431). */
static bool handshake_pending(struct conn *c, enum ws_error e, bool first_read)
{
    bool full = e == WS_E_HEADERS_TOO_LARGE || c->hs_len == sizeof c->hs;
    if (full && has(D_HEADER_LIMIT_HANG)) {
        c->hs_discard = true; /* read on and drop; the handshake deadline ends it */
        return true;
    }
    if (full)
        return false;
    if (first_read && has(D_REQUEST_ONE_READ))
        refuse(c, WS_E_HTTP_MALFORMED);
    return true;
}

static void handshake_input(struct conn *c, size_t added)
{
    bool first_read = c->hs_len == 0;
    c->hs_len += added;
    struct ws_http_request req;
    struct ws_request_info info;
    size_t used = 0, err_at = 0;
    enum ws_error e = ws_http_parse_request(c->hs, c->hs_len, sizeof c->hs, &req, &used, &err_at);
    if ((e == WS_E_INCOMPLETE || e == WS_E_HEADERS_TOO_LARGE) &&
        handshake_pending(c, e, first_read))
        return;
    if (e == WS_E_INCOMPLETE)
        e = WS_E_HEADERS_TOO_LARGE;
    struct ws_slice key = {NULL, 0};
    bool key_set = false;
    if (e == WS_E_OK) {
        defects_patch(&req, &key);
        key_set = key.ptr != NULL;
        e = ws_handshake_check_request(&req, &info);
    }
    if (e == WS_E_OK && has(D_UPGRADE_EXACT))
        e = upgrade_exact(&req);
    if (e != WS_E_OK) {
        refuse(c, e);
        if (has(D_DIE_AFTER_REFUSAL)) { /* the answer goes out whole, then the end */
            flush(c);
            g_fated = true;
        }
        return;
    }
    g_handshakes++;
    if (has(D_BUSY_503) && g_handshakes >= g_busy_at && g_handshakes - g_busy_at < g_busy_count) {
        refuse_with(c, "503 Service Unavailable", "busy, try again\n");
        return;
    }
    struct ws_slice chosen = {NULL, 0};
    if (!deployment_allows(c, &req, &info, &chosen))
        return;
    accept_ws(c, &req, key_set ? key : info.key, chosen);
    /* frames pipelined behind the request */
    frames_input(c, (uint8_t *)c->hs + used, c->hs_len - used);
}

/* ------------------------------------------------------------ socket I/O */

static void flush(struct conn *c)
{
    size_t budget = WRITE_BUDGET;
    while (!c->dead && out_backlog(c) && budget) {
        size_t n = out_backlog(c) < budget ? out_backlog(c) : budget;
        ssize_t w = send(c->fd, c->out + c->out_off, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (w < 0) {
            conn_abort(c);
            return;
        }
        c->out_off += (size_t)w;
        budget -= (size_t)w;
    }
    if (!c->dead && !out_backlog(c) && c->shut_after_flush && !c->shut_done) {
        shutdown(c->fd, SHUT_WR);
        c->shut_done = true;
    }
}

static void read_input(struct conn *c)
{
    size_t budget = READ_BUDGET;
    while (budget && !c->dead) {
        if (c->phase != PH_DRAIN && out_backlog(c) > OUT_HIGH)
            return; /* the client is behind: let it read first */
        uint8_t *buf = g_rbuf;
        size_t cap = sizeof g_rbuf;
        if (c->phase == PH_HANDSHAKE && !c->hs_discard) {
            buf = (uint8_t *)c->hs + c->hs_len;
            cap = sizeof c->hs - c->hs_len;
        }
        ssize_t r = read(c->fd, buf, cap);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (r <= 0) { /* the client closed TCP (or reset it) */
            conn_abort(c);
            return;
        }
        budget -= (size_t)r < budget ? (size_t)r : budget;
        if (c->phase == PH_HANDSHAKE && c->hs_discard)
            continue; /* header-limit-hang: dropped unread */
        if (c->phase == PH_HANDSHAKE)
            handshake_input(c, (size_t)r);
        else if (c->phase != PH_DRAIN)
            frames_input(c, buf, (size_t)r);
        if (c->phase == PH_OPEN && !c->dead)
            idle_arm(c);
        flush(c);
    }
}

static void set_interest(struct server *s, struct conn *c)
{
    if (c->dead)
        return;
    uint32_t ev = 0;
    if (c->phase == PH_DRAIN || out_backlog(c) <= OUT_HIGH)
        ev |= EPOLLIN;
    if (out_backlog(c))
        ev |= EPOLLOUT;
    if (ev == c->events)
        return;
    struct epoll_event e = {.events = ev, .data.ptr = c};
    epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &e);
    c->events = ev;
}

/* ------------------------------------------------------------ timers */

static uint64_t conn_deadline(const struct conn *c)
{
    uint64_t d = c->deadline ? c->deadline : UINT64_MAX;
    if (c->held_head && c->held_head->due < d)
        d = c->held_head->due;
    if (c->pong_pending && c->pong_due < d)
        d = c->pong_due;
    return d;
}

static void phase_timeout(struct conn *c)
{
    switch (c->phase) {
    case PH_CLOSING:     /* the client never answered our Close */
    case PH_AFTER_REPLY: /* process-after-close: enough */
        begin_drain(c);
        break;
    case PH_OPEN: /* --idle-timeout-ms: Close 1001 "Going Away", then TCP */
        send_close(c, 1001);
        begin_drain(c);
        break;
    case PH_HANDSHAKE:
    case PH_DRAIN:
        conn_abort(c);
        break;
    }
}

static void conn_timers(struct conn *c, uint64_t now)
{
    if (c->pong_pending && now >= c->pong_due) {
        c->pong_pending = false;
        send_pong(c, c->pong, c->pong_len);
    }
    held_release(c, now);
    if (c->deadline && now >= c->deadline)
        phase_timeout(c);
    flush(c);
}

/* ------------------------------------------------------------ the loop */

static void conn_free(struct server *s, size_t i)
{
    struct conn *c = s->conns[i];
    epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    held_discard(c);
    if (c->pmd.on) {
        inflateEnd(&c->zin);
        deflateEnd(&c->zout);
    }
    free(c->zbuf);
    free(c->msg);
    free(c->out);
    free(c);
    s->conns[i] = NULL;
}

static void accept_all(struct server *s)
{
    for (;;) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        size_t i = 0;
        while (i < MAX_CONNS && s->conns[i])
            i++;
        struct conn *c = i < MAX_CONNS ? calloc(1, sizeof *c) : NULL;
        if (!c) {
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->fd = fd;
        c->phase = PH_HANDSHAKE;
        /* handshake-forever: no deadline (the process's --max-seconds still ends it) */
        c->deadline = has(D_HANDSHAKE_FOREVER) ? 0 : now_ms() + g_handshake_ms;
        c->events = EPOLLIN;
        struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &e) < 0) {
            close(fd);
            free(c);
            continue;
        }
        s->conns[i] = c;
    }
}

static void conn_event(struct server *s, struct conn *c, uint32_t events)
{
    if (c->dead)
        return;
    if (events & EPOLLOUT)
        flush(c);
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        read_input(c);
    set_interest(s, c);
}

static int next_timeout(const struct server *s, uint64_t now, uint64_t end)
{
    uint64_t d = end;
    for (size_t i = 0; i < MAX_CONNS && !s->hung; i++) /* hung: no timer runs */
        if (s->conns[i] && conn_deadline(s->conns[i]) < d)
            d = conn_deadline(s->conns[i]);
    return d <= now ? 0 : (int)(d - now < 1000 ? d - now : 1000);
}

static void sweep(struct server *s)
{
    uint64_t now = now_ms();
    for (size_t i = 0; i < MAX_CONNS; i++) {
        struct conn *c = s->conns[i];
        if (c && !c->dead && conn_deadline(c) <= now) {
            conn_timers(c, now);
            set_interest(s, c);
        }
        if (c && c->dead)
            conn_free(s, i);
    }
}

/* die-after-frame, die-after-refusal: everything closes, the port refuses connections.
 * hang-after-frame: nothing is watched any more - connections and the listening socket stay open,
 * the kernel still completes TCP handshakes into the backlog, no byte is answered. The process
 * lives on until SIGTERM (or --max-seconds), like a hung service. */
static void meet_fate(struct server *s)
{
    if (has(D_DIE_AFTER_FRAME) || has(D_DIE_AFTER_REFUSAL)) {
        /* the port first: a client that sees its connection end and reconnects at once
         * is refused, never accepted and then reset */
        epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL);
        close(s->lfd);
        s->lfd = -1;
        for (size_t i = 0; i < MAX_CONNS; i++)
            if (s->conns[i])
                conn_free(s, i);
    } else if (has(D_HANG_AFTER_FRAME)) {
        for (size_t i = 0; i < MAX_CONNS; i++)
            if (s->conns[i])
                epoll_ctl(s->ep, EPOLL_CTL_DEL, s->conns[i]->fd, NULL);
        epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL);
        s->hung = true;
    }
}

/* Returns 0 on SIGTERM/SIGINT, 3 when --max-seconds ran out. */
static int serve(struct server *s, uint64_t max_ms)
{
    uint64_t end = now_ms() + max_ms;
    struct epoll_event evs[64];
    for (;;) {
        uint64_t now = now_ms();
        if (now >= end) {
            fprintf(stderr, "itest_defect_server: --max-seconds reached, exiting\n");
            return 3;
        }
        int n = epoll_wait(s->ep, evs, 64, next_timeout(s, now, end));
        if (n < 0 && errno != EINTR) {
            perror("epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &s->lfd)
                accept_all(s);
            else if (p == &s->sfd)
                return 0;
            else
                conn_event(s, p, evs[i].events);
        }
        if (g_fated && !s->fate_met) {
            meet_fate(s);
            s->fate_met = true;
        }
        if (!s->hung)
            sweep(s); /* timers, and the connections that died in this batch */
    }
}

/* ------------------------------------------------------------ setup */

static int listen_on(const char *spec, char *shown, size_t shown_len)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (!colon || (size_t)(colon - spec) >= sizeof host)
        return -1;
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    char *h = host;
    if (h[0] == '[') { /* [::1]:port */
        h++;
        h[strcspn(h, "]")] = '\0';
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(h, colon + 1, &hints, &ai) != 0)
        return -1;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0) {
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    struct sockaddr_storage sa;
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    unsigned port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
                                                   : ((struct sockaddr_in *)&sa)->sin_port);
    snprintf(shown, shown_len, ai->ai_family == AF_INET6 ? "[%s]:%u" : "%s:%u", h, port);
    freeaddrinfo(ai);
    return fd;
}

static int parse_defects(const char *list)
{
    char buf[1024];
    if (strlen(list) >= sizeof buf)
        return -1;
    memcpy(buf, list, strlen(list) + 1);
    char *save = NULL;
    for (char *name = strtok_r(buf, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        if (strcmp(name, "none") == 0)
            continue;
        size_t d = 0;
        while (d < D_COUNT && strcmp(name, g_defect_name[d]) != 0)
            d++;
        if (d == D_COUNT) {
            fprintf(stderr, "itest_defect_server: unknown defect '%s' (--list names them)\n", name);
            return -1;
        }
        g_defects[d / 64] |= 1ull << (d % 64);
    }
    return 0;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || !end || *end || end == s || v > max)
        return false;
    *out = v;
    return true;
}

/* --require-header 'Name: value': a name before the colon, at most REQUIRED_MAX */
static bool add_required(const char *v)
{
    const char *colon = strchr(v, ':');
    if (!colon || colon == v || colon - v > 100 || g_n_required == REQUIRED_MAX)
        return false;
    g_required[g_n_required++] = v;
    return true;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: itest_defect_server --listen HOST:PORT [--defect NAME[,NAME...]]\n"
            "                           [--max-seconds N] [--echo-delay-ms N]\n"
            "                           [--die-after-len N] [--busy-at N] [--busy-count N]\n"
            "                           [--require-header 'Name: value']...\n"
            "                           [--require-subprotocol P]\n"
            "                           [--max-message BYTES] [--idle-timeout-ms N]\n"
            "                           [--handshake-timeout-ms N] [--allowed-origin O]\n"
            "                           [--no-deflate]\n"
            "       itest_defect_server --list\n");
    return 2;
}

static int setup(struct server *s, const char *listen_spec)
{
    char shown[300];
    s->lfd = listen_on(listen_spec, shown, sizeof shown);
    if (s->lfd < 0) {
        fprintf(stderr, "itest_defect_server: cannot listen on %s\n", listen_spec);
        return -1;
    }
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    s->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    s->ep = epoll_create1(EPOLL_CLOEXEC);
    if (s->sfd < 0 || s->ep < 0)
        return -1;
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = &s->lfd};
    struct epoll_event se = {.events = EPOLLIN, .data.ptr = &s->sfd};
    if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &e) < 0 ||
        epoll_ctl(s->ep, EPOLL_CTL_ADD, s->sfd, &se) < 0)
        return -1;
    printf("listening on %s\n", shown);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    const char *listen_spec = NULL;
    uint64_t max_s = 300;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--list") == 0) {
            for (size_t d = 0; d < D_COUNT; d++)
                printf("%-20s %s\n", g_defect_name[d], g_defect_text[d]);
            return 0;
        }
        if (strcmp(a, "--no-deflate") == 0) {
            g_no_deflate = true;
            continue;
        }
        if (i + 1 >= argc)
            return usage();
        const char *v = argv[++i];
        bool ok = false;
        if (strcmp(a, "--listen") == 0)
            ok = (listen_spec = v) != NULL;
        else if (strcmp(a, "--defect") == 0)
            ok = parse_defects(v) == 0;
        else if (strcmp(a, "--max-seconds") == 0)
            ok = parse_u64(v, 86400, &max_s);
        else if (strcmp(a, "--echo-delay-ms") == 0)
            ok = parse_u64(v, 600000, &g_echo_delay_ms);
        else if (strcmp(a, "--die-after-len") == 0)
            ok = parse_u64(v, MSG_MAX, &g_die_len);
        else if (strcmp(a, "--busy-at") == 0)
            ok = parse_u64(v, UINT32_MAX, &g_busy_at);
        else if (strcmp(a, "--busy-count") == 0)
            ok = parse_u64(v, UINT32_MAX, &g_busy_count);
        else if (strcmp(a, "--require-header") == 0)
            ok = add_required(v);
        else if (strcmp(a, "--require-subprotocol") == 0)
            ok = (g_subprotocol = v)[0] != '\0';
        else if (strcmp(a, "--max-message") == 0)
            ok = parse_u64(v, MSG_MAX, &g_max_message) && g_max_message > 0;
        else if (strcmp(a, "--idle-timeout-ms") == 0)
            ok = parse_u64(v, 3600000, &g_idle_ms);
        else if (strcmp(a, "--handshake-timeout-ms") == 0)
            ok = parse_u64(v, 3600000, &g_handshake_ms) && g_handshake_ms > 0;
        else if (strcmp(a, "--allowed-origin") == 0)
            ok = (g_origin = v)[0] != '\0';
        if (!ok)
            return usage();
    }
    if (!listen_spec)
        return usage();
    static struct server s; /* 2 KiB of pointers: not on the stack */
    if (setup(&s, listen_spec) != 0)
        return 1;
    int rc = serve(&s, max_s * 1000);
    for (size_t i = 0; i < MAX_CONNS; i++)
        if (s.conns[i])
            conn_free(&s, i);
    return rc;
}

/*
 * ws_conn.h - the endpoint state machine (L2), server and client roles, sans-IO.
 *
 *   CONNECTING --handshake--> OPEN --close sent or received--> CLOSING --> CLOSED
 *
 * The shape is nghttp2's: ws_conn_recv() consumes bytes that arrived and calls the
 * callbacks; ws_conn_pending()/ws_conn_sent() hand out the bytes to write. The
 * connection never touches a socket, a clock or a global. The caller (the echo
 * endpoint's event loop, the test peer) owns all I/O and all timers.
 *
 * Policy applied here, each rule in one place with its RFC sentence:
 *  - the opening handshake (server: parse + check the request, answer 101 or a
 *    refusal; client: send the request, check the 101);
 *  - message sequence (section 5.4), reassembly with control frames interleaved,
 *    incremental fail-fast UTF-8 for text (8.1), maximum message size (10.4);
 *  - automatic Pong carrying the Ping's payload (5.5.2);
 *  - the closing handshake: a received Close is answered with the same code (an empty
 *    Close with an empty Close); failing the connection sends the error's close code
 *    (1002, 1007, 1009) and no data frame after it (7.1.7);
 *  - frames pipelined right behind the handshake are not lost;
 *  - permessage-deflate (RFC 7692): negotiated in the handshake (server: the first
 *    offer it can honour, cfg.pmd; client: the permessage-deflate elements of
 *    request.extensions, the response checked against them), then RSV1 marks a
 *    compressed message on its first frame only (6.1), received messages are inflated
 *    within max_message (a deflate bomb fails with 1009) and checked as plain bytes,
 *    and ws_conn_send compresses every message it sends.
 *
 * Memory: struct ws_conn itself (about 700 bytes on x86-64, the largest part being the
 * copied configuration and the 125-byte control-frame buffer), plus, allocated
 * only as bytes arrive and freed when done: the handshake block (<= max_handshake,
 * freed once OPEN), the message being reassembled (<= max_message), and the output
 * queue (<= max_output); an emptied buffer above 1 KiB is released (unless
 * cfg.keep_buffers: then when the owner calls ws_conn_trim), so an idle connection
 * holds at most 2 KiB beyond its struct. A server echoing a whole message from
 * on_message sends it from the message buffer itself (no copy of the payload). With
 * permessage-deflate, the zlib state of each direction comes and goes with each message when that
 * direction has no context takeover, and stays (about 1 KiB + 2^(window+1) bytes to inflate,
 * 2^(window+2) + 2^(memLevel+9) bytes to deflate) when it has; ws_conn_memory counts it. Nothing is
 * ever allocated from a length field: a frame that declares 2^62 bytes is refused at its header
 * with 1009 and allocates nothing.
 */
#ifndef WS_CONN_H
#define WS_CONN_H

#include "ws_core.h"
#include "ws_deflate.h"
#include "ws_frame.h"
#include "ws_handshake.h"
#include "ws_pmd.h"
#include "ws_utf8.h"

/* Default largest message: 64 MiB - four times Autobahn's largest case (9.x, 16 MiB). */
#define WS_CONN_DEFAULT_MAX_MESSAGE (64u * 1024 * 1024)
/* Pongs are queued one per Ping while less than this much output waits to be written;
 * beyond it, a peer that floods Pings without reading gets one Pong for the most recent
 * Ping once the output drains (5.5.3: "If an endpoint receives a Ping frame and has not
 * yet sent Pong frame(s) in response to previous Ping frame(s), the endpoint MAY elect
 * to send a Pong frame for only the most recently processed Ping frame."). So a Ping
 * flood costs at most this much plus one Pong. */
#define WS_CONN_PONG_BACKLOG (64u * 1024)

enum ws_conn_state { WS_CONNECTING = 0, WS_OPEN, WS_CLOSING, WS_CLOSED };

struct ws_conn;

/* Callbacks. Pointers handed to them are valid only during the call. Each may be NULL.
 * A callback may call ws_conn_send*, ws_conn_close and ws_conn_fail. */
struct ws_conn_callbacks {
    /* The opening handshake finished: result WS_E_OK (now OPEN) or the rule the peer's
     * request/response broke (now CLOSED). raw = the peer's header block as received. */
    void (*on_handshake)(struct ws_conn *c, enum ws_error result, const char *raw, size_t len,
                         void *user);
    /* Every frame header received that passed the frame rules (for wire logs). */
    void (*on_frame)(struct ws_conn *c, const struct ws_frame_header *h, void *user);
    /* A complete data message (opcode TEXT or BINARY), reassembled, text validated. */
    void (*on_message)(struct ws_conn *c, enum ws_opcode op, const uint8_t *data, size_t len,
                       void *user);
    /* A Ping or a Pong (for a Ping the automatic Pong is already queued). */
    void (*on_control)(struct ws_conn *c, enum ws_opcode op, const uint8_t *data, size_t len,
                       void *user);
    /* A valid Close frame arrived (code 0 = no status code). */
    void (*on_close)(struct ws_conn *c, uint16_t code, const uint8_t *reason, size_t len,
                     void *user);
    /* Every slice of every frame's payload as it arrives, unmasked (for wire logs):
     * offset is its position within that frame's payload. */
    void (*on_frame_data)(struct ws_conn *c, const struct ws_frame_header *h, const uint8_t *data,
                          size_t len, uint64_t offset, void *user);
    /* Every frame this connection itself queues (Pongs, Close frames, frames given to
     * ws_conn_send*), as specified and with its unmasked payload: the tester logs them
     * from here instead of decoding its own output again. */
    void (*on_frame_sent)(struct ws_conn *c, const struct ws_frame_spec *s, const uint8_t *payload,
                          size_t len, void *user);
    /* Tester option stream_messages only: the next slice of the data message being
     * received, as it arrives (text already checked up to its last byte); offset = its
     * position in the message. The message's end is then on_message with data NULL. */
    void (*on_message_data)(struct ws_conn *c, enum ws_opcode op, const uint8_t *data, size_t len,
                            uint64_t offset, void *user);
    /* Every rule the peer broke, at its stream offset: the ones the connection fails
     * for and the ones it only notes (a data frame after the peer's Close). rfc = false
     * for a rule of the tester option autobahn_close_codes, which RFC 6455 does not
     * have. */
    void (*on_violation)(struct ws_conn *c, enum ws_error e, uint64_t offset, bool rfc, void *user);
    /* Tester option read_on only: a Ping or Pong longer than 125 bytes (5.5 forbids it;
     * the connection has failed for it) - its first head_len bytes and its length, as
     * Autobahn's client still records such a Pong. */
    void (*on_control_oversized)(struct ws_conn *c, enum ws_opcode op, const uint8_t *head,
                                 size_t head_len, uint64_t len, void *user);
};

/* ------------------------------------------------------------------------------------
 * The tester's lenient options. An endpoint (wsspec echo, a library user) leaves this
 * struct zero and gets the strict behaviour the rest of this header describes. The
 * tester (harness/) sets them to behave like the Autobahn client it mirrors and to stay
 * within a fixed memory budget whatever the target sends. Nothing else in the API is
 * lenient but the three functions at the end of this header, the tester's way to send
 * what an endpoint never would.
 */
struct ws_conn_tester_options {
    /* Deliver data messages as they arrive (on_message_data) instead of reassembling
     * them: the connection then holds no message buffer at all, and max_message only
     * bounds the length counted. */
    bool stream_messages;
    /* Answer the peer's Close with this status code instead of echoing its code
     * (Autobahn's client replies 1000); 0 = echo, as 5.5.1 suggests. */
    uint16_t close_reply_code;
    /* Leave Pings unanswered. */
    bool no_auto_pong;
    /* Read on as Autobahn's client does: a frame that breaks a header rule fails the
     * connection (Close 1002), but the frames after it are still read - a Close among
     * them completes the closing handshake; and once the closing handshake is over,
     * frames are read and delivered until the peer closes TCP (a data frame after the
     * peer's Close is reported to on_violation, not acted on). An invalid Close from
     * the peer is answered by the failing Close before it counts as received. */
    bool read_on;
    /* Refuse close codes 1012-1014 as autobahn 0.10.9, which Autobahn|Testsuite pins,
     * does (they were registered after RFC 6455; reported with rfc = false). */
    bool autobahn_close_codes;
    /* Client role: the tester writes the opening request itself (any bytes: a case's
     * own request line and headers, chopped or pipelined), so the connection queues
     * none and checks the response against this offer - what that request carried -
     * instead of the request it would have built. A NULL key means the request carried
     * none: then no Sec-WebSocket-Accept can be valid. The offer and its strings must
     * outlive the connection. NULL: build and check the request as an endpoint does. */
    const struct ws_offer *own_request;
    /* Server role: the tester writes the response itself (a case's own status line and
     * headers, chopped, with frames behind it, or never): a request that passes the
     * rules opens the connection with no response queued, no subprotocol and no
     * extension; a request that breaks one is refused as usual. */
    bool own_response;
    /* Client role: take a well-formed permessage-deflate answer that no offer of the
     * request allows (WS_E_PMD_UNSUPPORTED: an offered server_no_context_takeover or
     * server_max_window_bits missing, a window above the offered one;
     * WS_E_PMD_CLIENT_BITS_NOT_OFFERED) as Autobahn's client does, which checks an
     * answer's form but not its fit to the offers: the connection opens with the
     * answer's parameters (what the client's own offers promised still holds) and the
     * rule goes to on_violation (rfc = true, offset 0) right after on_handshake. */
    bool pmd_take_answer;
};

struct ws_conn_config {
    enum ws_role role;
    uint64_t max_message; /* largest reassembled message; 0 = WS_CONN_DEFAULT_MAX_MESSAGE */
    uint64_t max_frame;   /* largest single frame payload; 0 = max_message */
    size_t max_handshake; /* header block bound; 0 = WS_HTTP_DEFAULT_MAX_BLOCK */
    size_t max_output;    /* bound of queued output; 0 = 2 * max_message + 1 MiB, enough
                             to echo a largest message while the previous one drains */
    /* server role: subprotocols accepted, in preference order */
    const char *const *protocols;
    size_t n_protocols;
    /* server role: the origins accepted (RFC 6455 10.2: a server meant for certain sites
     * only verifies |Origin|). With n_origins > 0 a request whose Origin is none of them
     * (compared ignoring ASCII case: 4.2.2 /origin/ is serialized in lowercase) is
     * refused with 403, WS_E_ORIGIN_FORBIDDEN; a request without Origin comes from no
     * browser (4.1: browsers always send it) and is accepted. 0 = any origin. */
    const char *const *origins;
    size_t n_origins;
    /* client role: the request to send; key is made by the connection from random
     * (unused with tester.own_request) */
    struct ws_request_params request;
    /* server role: which permessage-deflate offers to accept (zero = the first valid
     * offer the connection can honour; .disabled = decline them all) */
    struct ws_pmd_server_prefs pmd;
    int deflate_level; /* compression level of the messages sent, 1-9; 0 = default */
    /* Compress every message on its own, keeping no zlib state between messages,
     * whatever was agreed: context takeover lets a sender refer back to earlier
     * messages and never obliges it to (RFC 7692 7.1.1). With pmd.client_no_context_takeover
     * (a server that answers it always) an idle connection holds no zlib state at all. */
    bool deflate_each_message;
    /* Keep emptied buffers (message, output) at their size for the next message instead
     * of releasing those above 1 KiB: no allocation and no page faults per message.
     * The owner then calls ws_conn_trim when the connection goes quiet. */
    bool keep_buffers;
    ws_random_fn random; /* masks and the client key; required for the client role */
    void *random_ud;
    struct ws_conn_callbacks cb;
    void *user;
    struct ws_allocator alloc;
    struct ws_conn_tester_options tester; /* zero for an endpoint */
};

/* What happened to the closing handshake; flags in Autobahn's sense. */
struct ws_close_status {
    bool sent, received;               /* a Close frame was sent / received */
    bool closed_by_me;                 /* this endpoint sent its Close before receiving one */
    bool failed;                       /* this endpoint failed the connection (ws_conn_fail
                                          or a rule the peer broke) */
    bool clean;                        /* Close both sent and received */
    uint16_t sent_code, received_code; /* 0 = none */
};

/* private state; zero-fill is fine before ws_conn_init */
struct ws_buf {
    uint8_t *data;
    size_t off, len, cap; /* live bytes are data[off .. off+len) */
};

struct ws_conn {
    struct ws_conn_config cfg;
    enum ws_conn_state state;
    struct ws_frame_decoder dec;
    struct ws_buf hs;   /* handshake bytes until the block is complete */
    struct ws_buf msg;  /* message being reassembled */
    struct ws_buf out;  /* bytes to write */
    uint8_t msg_opcode; /* 0 = no fragmented message in progress */
    struct ws_utf8 utf8;
    uint8_t ctl[WS_CONTROL_MAX]; /* current control frame's payload */
    size_t ctl_len;
    uint64_t ctl_total; /* its length (read_on: may exceed what ctl holds) */
    uint64_t msg_total; /* bytes of the message in progress (stream_messages) */
    /* The Pong owed while the output is backed up (see WS_CONN_PONG_BACKLOG) */
    uint8_t pong[WS_CONTROL_MAX];
    size_t pong_len;
    bool pong_owed;
    bool skip_frame; /* drop the current frame's payload (after failing) */
    struct ws_close_status close;
    enum ws_error error;
    uint64_t error_offset;
    uint64_t recv_offset;     /* stream bytes received so far (handshake included) */
    uint64_t frames_base;     /* stream offset of the first frame byte (= handshake length) */
    char key[WS_KEY_LEN + 1]; /* client: the key sent */
    /* permessage-deflate, once negotiated (pmd_on) */
    bool pmd_on;
    struct ws_pmd_params pmd;       /* the agreed parameters (the response's) */
    enum ws_error pmd_taken;        /* tester.pmd_take_answer: the rule the answer broke */
    struct ws_deflater defl;        /* messages sent */
    struct ws_inflater infl;        /* messages received */
    bool msg_compressed;            /* the message in progress had RSV1 on its first frame */
    uint64_t msg_wire;              /* its payload bytes on the wire so far (compressed) */
    struct ws_buf zout;             /* compressed message being sent */
    uint64_t plain_at, plain_frame; /* stream offsets for errors found in plain bytes */
    enum ws_error plain_error;      /* why plain bytes were refused (their sink's error) */
    uint64_t plain_error_at;
};

/* Set up c from cfg (copied; the strings and arrays cfg points to must outlive c).
 * Client role: queues the opening request at once (unless tester.own_request: then
 * request.host is not needed either). Returns WS_E_OK, WS_E_INVALID_ARGUMENT or
 * WS_E_NOMEM. */
enum ws_error ws_conn_init(struct ws_conn *c, const struct ws_conn_config *cfg);

/* Release everything the connection allocated. c may be re-initialised after. */
void ws_conn_free(struct ws_conn *c);

/* Feed received bytes. in[] is modified (payloads are unmasked in place). Returns
 * WS_E_OK; or the error that failed the connection (also kept: ws_conn_error), the
 * failure already acted on (Close or refusal queued). WS_E_NOMEM if an allocation
 * failed. Bytes after the connection is CLOSED are not acted on; a data frame among
 * them after the peer's Close is recorded as WS_E_DATA_AFTER_CLOSE (returned, nothing
 * sent). */
enum ws_error ws_conn_recv(struct ws_conn *c, uint8_t *in, size_t len);

/* The peer closed its side of TCP: the connection is CLOSED (clean only if the
 * closing handshake completed). */
void ws_conn_eof(struct ws_conn *c);

/* Bytes waiting to be written: *data points at them, the return value is how many.
 * After writing n of them call ws_conn_sent(c, n). */
size_t ws_conn_pending(const struct ws_conn *c, const uint8_t **data);
void ws_conn_sent(struct ws_conn *c, size_t n);

/* Zero-copy receive. When the next bytes of the stream can only be payload of the data
 * message being reassembled (inside a frame's payload, message not compressed), this
 * returns how many of them may be read straight into the message buffer, at *buf;
 * else 0 (*buf NULL), and the caller reads into its own buffer as usual. Bytes read
 * there are then passed as ever, ws_conn_recv(c, *buf, n) with n <= the size returned,
 * before any other call on c. The buffer may grow for it (at most doubling what
 * arrived, within max_message). */
size_t ws_conn_recv_space(struct ws_conn *c, uint8_t **buf);

/* Release the emptied message and output buffers (for an owner with keep_buffers, when
 * the connection has been quiet for a while). Bytes queued or being reassembled stay. */
void ws_conn_trim(struct ws_conn *c);

/* Queue a message (TEXT, BINARY) or a control frame (PING, PONG) as one frame, masked
 * in the client role; a message is compressed (RSV1 set) when permessage-deflate was
 * negotiated. Errors: WS_E_WRONG_STATE (not OPEN, or after our Close),
 * WS_E_INVALID_ARGUMENT (control payload > 125), WS_E_OUTPUT_FULL, WS_E_NOMEM. */
enum ws_error ws_conn_send(struct ws_conn *c, enum ws_opcode op, const uint8_t *data, size_t len);

/* Start the closing handshake: send Close with code (0 = empty payload) and reason. */
enum ws_error ws_conn_close(struct ws_conn *c, uint16_t code, const char *reason,
                            size_t reason_len);

/* Fail the connection for rule e (section 7.1.7): send Close with e's close code,
 * stop delivering data, wait only for the peer's Close. */
void ws_conn_fail(struct ws_conn *c, enum ws_error e, uint64_t offset);

/* Whether permessage-deflate was negotiated, and with which parameters (*agreed may be
 * NULL). */
bool ws_conn_pmd(const struct ws_conn *c, struct ws_pmd_params *agreed);

enum ws_conn_state ws_conn_state(const struct ws_conn *c);
/* The error that failed the connection (WS_E_OK if none) and its stream offset. */
enum ws_error ws_conn_error(const struct ws_conn *c, uint64_t *offset);
void ws_conn_close_status(const struct ws_conn *c, struct ws_close_status *st);
/* Bytes currently allocated by the connection (buffers' capacity). */
size_t ws_conn_memory(const struct ws_conn *c);

/* ------------------------------------------------------------------------------------
 * The tester's lenient API: what an endpoint never sends, on purpose. No state checks,
 * no validation; an endpoint never calls these.
 */

/* Queue any frame as specified (any bit pattern, no state change). */
enum ws_error ws_conn_send_frame(struct ws_conn *c, const struct ws_frame_spec *s,
                                 const uint8_t *payload, size_t len);

/* Queue raw bytes as they are. */
enum ws_error ws_conn_send_raw(struct ws_conn *c, const uint8_t *data, size_t len);

/* Start the closing handshake with a Close frame carrying exactly this payload - any
 * length, any code (the tester sends 1-byte and 126-byte payloads on purpose). It
 * counts as this endpoint's Close. */
enum ws_error ws_conn_close_payload(struct ws_conn *c, const uint8_t *payload, size_t len);

/* permessage-deflate negotiated: compress one message with this connection's own
 * compressor - the agreed window, its context carried on or reset as agreed - into
 * out[0..cap), cap >= ws_conn_deflate_bound, for a tester that frames the message
 * itself (RSV1 on its first frame). WS_E_WRONG_STATE without permessage-deflate. */
size_t ws_conn_deflate_bound(const struct ws_conn *c, size_t len);
enum ws_error ws_conn_deflate(struct ws_conn *c, const uint8_t *in, size_t len, uint8_t *out,
                              size_t cap, size_t *out_len);

/* permessage-deflate negotiated: how this connection's compressor works (window, level,
 * context reset after every message or carried on), with the defaults filled in. A
 * compressor with no_context_takeover turns the same message into the same bytes
 * every time, whatever came before: a tester may reuse them (harness/zcache.h).
 * False without permessage-deflate. */
bool ws_conn_deflate_config(const struct ws_conn *c, struct ws_deflate_config *out);

#endif

/*
 * sendq.h - the tester's outgoing bytes, put on the wire the way Autobahn|Testsuite's
 * client puts them there. Sans-IO: no socket, no clock (time is passed in).
 *
 * The model (autobahn 0.10.9, WebSocketProtocol.sendData/_send/_trigger, which the
 * testsuite pins):
 *  - A frame written plainly goes straight to the transport, unless the send queue is
 *    in use; then it joins the queue behind what is there.
 *  - A frame with `chop=N` becomes one queue element per N bytes; a `sync` frame one
 *    element. Queueing starts the writer when it is idle.
 *  - The writer takes one element per pass of the event loop: it writes it and
 *    re-enters the loop through a timer (_QUEUED_WRITE_DELAY, 10 us) for the next.
 *    The queue is in use until it is empty.
 *  - The transport flushes what was written at the end of a pass. So plain frames
 *    written before the first element go out with it; and when the burst was queued
 *    while the client was handling received bytes (the opening handshake's 101, an
 *    echo), the writer's timer fires before that flush and the second element goes
 *    out in the same write as the first. A burst queued from a timer (after a wait,
 *    killAfter, closeAfter) starts with its first element alone.
 * How long a pass lasts is what wsspec cannot copy: Autobahn's 10 us timer plus a pass
 * of a Python event loop, which wsspec's C loop does not have. Where that matters -
 * where the target can act on what it got, i.e. when an element begins a new frame -
 * the pass here is `pass`, which the tester measures per connection as the target's
 * own reaction time (script.c, "Pace"); inside a frame the next chop follows after
 * Autobahn's 10 us, so a 1 MiB frame in 64-byte chops (9.5.1) costs 16384 x 10 us.
 *
 * A paced unit (wsspec's own: a request dripped with request-write gap=, a frame
 * trickled with pause=) waits at least its `gap` between its chops instead of the pass,
 * one chop per write; the writer is otherwise the same. sendq_stop_paced drops what
 * paced units have not written yet.
 *
 * Frames are not materialised: a unit holds its header bytes and a range of the case's
 * payload (a repeat() stays a pattern), bytes are generated and masked as they are
 * written. A "core" unit stands for bytes the protocol core (ws_conn) has queued -
 * Pongs, Close frames - read through a callback when they are written, so the core's
 * output keeps its place in the order without being copied. Memory: one unit per
 * queued frame; the units of a case are bounded by its steps.
 */
#ifndef SENDQ_H
#define SENDQ_H

#include "case.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Autobahn's _QUEUED_WRITE_DELAY: the shortest pass. */
#define SENDQ_MIN_PASS 10e-6

struct sendq_unit {
    struct sendq_unit *next;
    uint8_t *bytes; /* header or raw bytes, owned; then the payload range below */
    size_t bytes_len;
    const struct payload *pl; /* not owned (the case's), NULL = none */
    uint64_t pl_off, pl_len;
    bool masked;
    uint8_t key[4];
    uint64_t phase; /* mask phase of the payload's first byte */
    uint32_t chop;  /* > 0: one element per chop bytes */
    double gap;     /* > 0: at least this long between two of its elements (a paced
                       write: a request dripped, a frame trickled) */
    bool sync;      /* one element */
    size_t core;    /* > 0: this many bytes of the core's output, nothing else */
    uint64_t off;   /* bytes written so far */
};

/* Reads n bytes of the core's pending output starting at offset off into out. */
typedef void (*sendq_core_fn)(void *ud, size_t off, uint8_t *out, size_t n);

struct sendq {
    struct sendq_unit *head, *tail;
    double pass;         /* seconds before an element that begins a frame */
    bool queued;         /* Autobahn's send queue is in use */
    bool pair_first;     /* the next element goes out with the one after it */
    double next_at;      /* no element before this time */
    size_t last_fill;    /* bytes handed out by the last fill */
    size_t group_left;   /* bytes of the last fill not yet written (a short write) */
    size_t core_pending; /* core bytes already covered by units */
    sendq_core_fn core_read;
    void *core_ud;
    /* the last fill, for the wire log */
    uint32_t last_chop;
    bool last_sync;
};

void sendq_init(struct sendq *q, sendq_core_fn core_read, void *ud);
void sendq_free(struct sendq *q);

/* Queue a frame: header bytes (copied) then pl[off .. off+len) masked with key from
 * mask phase `phase` (pl may be NULL with len 0). reading = queued while the tester
 * handles received bytes (see the model). Returns false when out of memory. */
bool sendq_frame(struct sendq *q, const uint8_t *hdr, size_t hlen, const struct payload *pl,
                 uint64_t off, uint64_t len, const uint8_t *key, uint64_t phase, uint32_t chop,
                 bool sync, bool reading);

/* The unit queued last, if chopped, waits at least gap seconds between two of its chops
 * (a request dripped, a frame trickled) and writes one chop at a time; 0 = the writer's
 * pace. */
void sendq_set_gap(struct sendq *q, double gap);

/* Queue bytes as they are (copied). */
bool sendq_bytes(struct sendq *q, const uint8_t *data, size_t len, uint32_t chop, bool sync,
                 bool reading);

/* True while a paced unit has bytes left to write. */
bool sendq_paced(const struct sendq *q);

/* Paced units write nothing more: what they have not written (beyond a write already
 * begun) is dropped. */
void sendq_stop_paced(struct sendq *q);

/* The core's output grew to `total` bytes pending: the new ones get their place. */
bool sendq_core(struct sendq *q, size_t total, bool reading);

/* Bytes to write at time now, into out[0..cap). Returns how many (0 = nothing due;
 * then *wake is when to ask again, 0 = not before more is queued). */
size_t sendq_fill(struct sendq *q, double now, uint8_t *out, size_t cap, double *wake);

/* n bytes of the last fill were written at time now. Returns how many of them were
 * the core's (the caller tells the core: ws_conn_sent). */
size_t sendq_wrote(struct sendq *q, size_t n, double now);

bool sendq_empty(const struct sendq *q);

#endif

/*
 * echo_loop.h - the echo endpoint's event loop (L3): one thread, epoll, non-blocking
 * sockets, many connections at once.
 *
 * The loop owns every socket and every timer; the protocol lives in ws_conn (L2),
 * which has no clock, so each connection's deadlines are kept here:
 *   handshake  from accept until the 101 (or refusal) - drops clients that never finish;
 *   idle       while OPEN, since the last byte moved either way (0 = none);
 *   close      after our Close was sent, until the peer's Close (and while flushing
 *              the last bytes after CLOSED) - bounds a peer that never answers;
 *   linger     after an HTTP refusal: our side shut, the rest of the request is
 *              drained so the kernel does not answer it with a RST that could destroy
 *              the refusal before the client reads it.
 * Each kind has one fixed duration, so a list per kind appended at the tail stays
 * ordered by deadline: arming, re-arming and expiry are O(1), and the nearest
 * deadline (the epoll_wait timeout) is the smallest of four list heads.
 *
 * Memory per connection: struct echo_conn (which embeds struct ws_conn, see
 * echo_loop_conn_size()) plus what ws_conn allocates, and nothing for an idle
 * connection - received bytes go through one shared 64 KiB buffer (or straight into the
 * message being reassembled: ws_conn_recv_space), and ws_conn keeps its buffers only
 * while the connection moves bytes (keep_buffers; trimmed ECHO_TRIM_MS after the last
 * one). Bounded at any moment by
 *   max_handshake + max_message (reassembly) + ECHO_BACKPRESSURE + one read +
 *   max_message + 14 (the echo being written)
 * because reading stops while more than ECHO_BACKPRESSURE bytes wait to be written.
 * A TLS connection adds its OpenSSL session (echo_tls.c): about 14 KB when idle, its
 * record buffers released (docs/echo.md), plus two of about 17 KB each while busy.
 */
#ifndef ECHO_LOOP_H
#define ECHO_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "ws_pmd.h"

/* One read() per readiness event into a buffer shared by all connections: 64 KiB is
 * the size of a loopback TCP segment batch, big enough that a 16 MiB message takes
 * 256 reads, small enough that one busy connection cannot starve the others. */
#define ECHO_READ_BUF (64u * 1024)
/* Stop reading a connection while more than this waits to be written to it: a client
 * that sends but never reads cannot make its output queue grow without bound. */
#define ECHO_BACKPRESSURE (1024u * 1024)
/* How long a refused client may keep sending after our refusal was written. */
#define ECHO_LINGER_MS 2000u

/* Defaults of the command line (echo_cli.c), in whole seconds and plain numbers:
 * echo_opts.def puts them into --help and wsspec-echo(1) as text. */
#define ECHO_DEFAULT_HANDSHAKE_S 5
#define ECHO_DEFAULT_IDLE_S 300
#define ECHO_DEFAULT_CLOSE_S 5
#define ECHO_DEFAULT_HANDSHAKE_MS (ECHO_DEFAULT_HANDSHAKE_S * 1000u)
#define ECHO_DEFAULT_IDLE_MS (ECHO_DEFAULT_IDLE_S * 1000u)
#define ECHO_DEFAULT_CLOSE_MS (ECHO_DEFAULT_CLOSE_S * 1000u)

struct echo_tls;

/* --allowed-origin given more often than this is a usage error: a deployment lists its
 * own sites, a few. */
#define ECHO_ORIGINS_MAX 8
/* Largest --workers: a process per core is the point; 64 covers big machines. */
#define ECHO_WORKERS_MAX 64u

/* --io: how the loop moves bytes (echo_loop.c, "Batched I/O"). */
enum echo_io_mode {
    ECHO_MODE_AUTO = 0, /* io_uring batches for ws:// where the kernel allows, else epoll */
    ECHO_MODE_EPOLL,    /* a recv and a send per ready connection */
    ECHO_MODE_URING,    /* io_uring batches, or fail to start */
};

struct echo_options {
    struct sockaddr_storage addr; /* where to listen (IPv4 or IPv6) */
    socklen_t addr_len;
    uint64_t max_message;          /* largest message echoed; larger -> Close 1009 */
    uint64_t handshake_timeout_ms; /* > 0 */
    uint64_t idle_timeout_ms;      /* 0 = none */
    uint64_t close_timeout_ms;     /* > 0 */
    bool verbose;                  /* one stderr line per rejected/failed connection */
    /* --allowed-origin: the origins accepted; a request with another Origin gets 403
     * (RFC 6455 10.2). n_origins 0 = any. The strings are argv's. */
    const char *origins[ECHO_ORIGINS_MAX];
    size_t n_origins;
    /* permessage-deflate (RFC 7692): accepted when offered unless --no-deflate;
     * --deflate-window asks for at most that window both ways (smaller zlib state).
     * Unless --deflate-context-takeover, no zlib state outlives a message: the echo
     * answers client_no_context_takeover and compresses each message on its own. */
    struct ws_pmd_server_prefs pmd;
    bool deflate_context_takeover;
    struct echo_tls *tls; /* NULL: ws://; else wss:// with it (echo_tls.h; the
                             caller's, shared by every connection) */
    /* --workers: event loops in as many processes, on one port (SO_REUSEPORT): more
     * cores, and more descriptors where RLIMIT_NOFILE cannot be raised. 0 or 1 = this
     * process alone. */
    unsigned workers;
    enum echo_io_mode io;
};

/* Run the echo endpoint until SIGINT or SIGTERM, then close every connection (Close
 * 1001 to the open ones, waiting at most close_timeout_ms for their answers), free
 * everything and return 0. Prints "wsspec echo: listening on ws://HOST:PORT/" (wss://
 * with TLS) to out (flushed) once the socket listens. Returns 1 after a setup error (a
 * line on log). */
int echo_loop_run(const struct echo_options *o, FILE *out, FILE *log);

/* Bytes of the per-connection struct (struct ws_conn included). */
size_t echo_loop_conn_size(void);

/* Descriptors the process needs besides connections: stdio, epoll, signalfd, the
 * listening socket, and a little slack. Connections held at most = soft limit - this. */
#define ECHO_FD_RESERVE 16u

/* Raise RLIMIT_NOFILE's soft limit to the hard one (as root, first try raising the
 * hard limit to ECHO_NOFILE_WANTED). Returns the resulting soft limit. */
#define ECHO_NOFILE_WANTED 262144u
uint64_t echo_loop_raise_nofile(void);

#endif

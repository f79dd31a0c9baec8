/*
 * itest_load_target.c - a misbehaving echo server for tests/itest_load.sh: the targets
 * `wsspec load` must catch. It is the core's server (ws_conn) on a poll() loop, with
 * one fault switched on:
 *
 *   build/itest_load_target [--corrupt N] [--stall-after N] [--drop-after N]
 *                           [--delay-ms D] [--seconds S]
 *
 *   --corrupt N      every N-th echo (counted over all connections) has one byte
 *                    flipped (XOR 1: ASCII stays ASCII, so a text echo is still valid
 *                    UTF-8 and the fault is the bytes, not the protocol)
 *   --stall-after N  each connection echoes N messages (or answers N Pings), then reads
 *                    and answers nothing
 *   --drop-after N   each connection echoes N messages (or answers N Pings), then its
 *                    TCP connection is closed without a Close frame
 *   --rsv-after N    each connection echoes N messages, then sends the next echo with
 *                    RSV2 set (no extension defines it: RFC 6455 5.2 violated)
 *   --refuse N       answer every opening handshake with "403 Forbidden" (N is ignored)
 *   --delay-ms D     every echo is sent D ms after its message arrived (in order)
 *   --seconds S      exit after S seconds (default 120): the test target always ends
 *
 * Prints "listening on ws://127.0.0.1:PORT/" once it listens (port chosen by the
 * kernel), then serves until SIGTERM or --seconds. Loopback only. A first argument
 * "echo" is skipped, so tests/lib-echo-server.sh starts it as it starts `wsspec echo`.
 */
#define _GNU_SOURCE
#include "ws_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 256
#define MAX_DELAYED 1024 /* echoes waiting for their time, per connection */

struct delayed {
    double due;
    enum ws_opcode op;
    uint8_t *data;
    size_t len;
};

struct tconn {
    int fd;
    struct ws_conn ws;
    uint64_t echoed, pings;
    bool stalled, drop;
    struct delayed q[MAX_DELAYED];
    size_t q_head, q_len;
};

static struct tconn conns[MAX_CONNS];
static uint64_t opt_corrupt, opt_stall, opt_drop, opt_rsv, opt_refuse, opt_delay_ms, total_messages;
static volatile sig_atomic_t stop;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static void echo_now(struct tconn *c, enum ws_opcode op, uint8_t *data, size_t len)
{
    total_messages++;
    if (opt_corrupt && total_messages % opt_corrupt == 0 && len > 0)
        data[len / 2] ^= 1;
    if (opt_rsv && c->echoed >= opt_rsv) {
        struct ws_frame_spec bad = {.fin = true, .rsv = WS_RSV2, .opcode = (uint8_t)op};
        ws_conn_send_frame(&c->ws, &bad, data, len);
    } else {
        ws_conn_send(&c->ws, op, data, len);
    }
    c->echoed++;
    if (opt_drop && c->echoed >= opt_drop)
        c->drop = true;
}

static void on_message(struct ws_conn *ws, enum ws_opcode op, const uint8_t *data, size_t len,
                       void *user)
{
    (void)ws;
    struct tconn *c = user;
    if (c->stalled || c->drop)
        return;
    if (opt_stall && c->echoed >= opt_stall) {
        c->stalled = true;
        return;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return;
    memcpy(copy, data, len);
    if (!opt_delay_ms) {
        echo_now(c, op, copy, len);
        free(copy);
        return;
    }
    if (c->q_len == MAX_DELAYED) {
        free(copy);
        return;
    }
    struct delayed *d = &c->q[(c->q_head + c->q_len++) % MAX_DELAYED];
    *d = (struct delayed){now_s() + (double)opt_delay_ms / 1000.0, op, copy, len};
}

/* A Ping: the core has queued its Pong already; soak runs count Pings as messages. */
static void on_control(struct ws_conn *ws, enum ws_opcode op, const uint8_t *data, size_t len,
                       void *user)
{
    (void)ws;
    (void)data;
    (void)len;
    struct tconn *c = user;
    if (op != WS_OP_PING)
        return;
    c->pings++;
    if (opt_stall && c->pings >= opt_stall)
        c->stalled = true;
    if (opt_drop && c->pings >= opt_drop)
        c->drop = true;
}

static void conn_close(struct tconn *c)
{
    close(c->fd);
    c->fd = -1;
    ws_conn_free(&c->ws);
    for (; c->q_len; c->q_len--, c->q_head = (c->q_head + 1) % MAX_DELAYED)
        free(c->q[c->q_head].data);
}

static void conn_accept(int lfd)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    for (size_t i = 0; i < MAX_CONNS; i++) {
        struct tconn *c = &conns[i];
        if (c->fd >= 0)
            continue;
        memset(c, 0, sizeof *c);
        if (opt_refuse) { /* a fresh socket takes these bytes at once */
            static const char no[] = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n"
                                     "Connection: close\r\n\r\n";
            if (send(fd, no, sizeof no - 1, MSG_NOSIGNAL) < 0)
                perror("itest_load_target: send");
            close(fd);
            return;
        }
        c->fd = fd;
        struct ws_conn_config cfg = {.role = WS_ROLE_SERVER,
                                     .pmd = {.disabled = true},
                                     .cb = {.on_message = on_message, .on_control = on_control},
                                     .user = c};
        if (ws_conn_init(&c->ws, &cfg) != WS_E_OK) {
            close(fd);
            c->fd = -1;
        }
        return;
    }
    close(fd);
}

/* Send the delayed echoes that are due; returns the next due time (or 0). */
static double release_due(struct tconn *c, double now)
{
    while (c->q_len && c->q[c->q_head].due <= now) {
        struct delayed *d = &c->q[c->q_head];
        if (!c->drop)
            echo_now(c, d->op, d->data, d->len);
        free(d->data);
        c->q_head = (c->q_head + 1) % MAX_DELAYED;
        c->q_len--;
    }
    return c->q_len ? c->q[c->q_head].due : 0;
}

static void conn_io(struct tconn *c, short revents)
{
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
        uint8_t buf[65536];
        ssize_t r = recv(c->fd, buf, sizeof buf, 0);
        if (r > 0 && !c->stalled) /* stalled: read and drop, answer nothing */
            ws_conn_recv(&c->ws, buf, (size_t)r);
        else if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
            conn_close(c);
            return;
        }
    }
    const uint8_t *out;
    size_t n;
    while ((n = ws_conn_pending(&c->ws, &out)) > 0) {
        ssize_t w = send(c->fd, out, n, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        ws_conn_sent(&c->ws, (size_t)w);
    }
    if (c->drop) { /* after the N-th echo is written: TCP closed, no Close frame */
        conn_close(c);
        return;
    }
    if (ws_conn_state(&c->ws) == WS_CLOSED && !ws_conn_pending(&c->ws, &out))
        conn_close(c);
}

static bool parse_arg(const char *name, const char *v, uint64_t *out)
{
    char *e;
    errno = 0;
    unsigned long long x = strtoull(v, &e, 10);
    if (!*v || *e || errno || x == 0) {
        fprintf(stderr, "itest_load_target: %s wants a positive number\n", name);
        return false;
    }
    *out = x;
    return true;
}

int main(int argc, char **argv)
{
    uint64_t seconds = 120;
    if (argc > 1 && strcmp(argv[1], "echo") == 0) {
        argc--;
        argv++;
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        uint64_t *o = strcmp(argv[i], "--corrupt") == 0       ? &opt_corrupt
                      : strcmp(argv[i], "--stall-after") == 0 ? &opt_stall
                      : strcmp(argv[i], "--drop-after") == 0  ? &opt_drop
                      : strcmp(argv[i], "--rsv-after") == 0   ? &opt_rsv
                      : strcmp(argv[i], "--refuse") == 0      ? &opt_refuse
                      : strcmp(argv[i], "--delay-ms") == 0    ? &opt_delay_ms
                      : strcmp(argv[i], "--seconds") == 0     ? &seconds
                                                              : NULL;
        if (!o || !parse_arg(argv[i], argv[i + 1], o))
            return 2;
    }
    if (argc % 2 == 0) {
        fprintf(stderr, "usage: itest_load_target [--corrupt N] [--stall-after N] "
                        "[--drop-after N] [--rsv-after N] [--refuse 1] [--delay-ms D] "
                        "[--seconds S]\n");
        return 2;
    }
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    signal(SIGPIPE, SIG_IGN);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 512) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &al) != 0) {
        perror("itest_load_target: listen");
        return 2;
    }
    printf("listening on ws://127.0.0.1:%u/\n", ntohs(a.sin_port));
    fflush(stdout);
    for (size_t i = 0; i < MAX_CONNS; i++)
        conns[i].fd = -1;
    double end = now_s() + (double)seconds;
    static struct pollfd pfd[MAX_CONNS + 1];
    static size_t idx[MAX_CONNS + 1];
    while (!stop && now_s() < end) {
        double now = now_s(), next = end;
        size_t n = 0;
        pfd[n++] = (struct pollfd){.fd = lfd, .events = POLLIN};
        for (size_t i = 0; i < MAX_CONNS; i++) {
            struct tconn *c = &conns[i];
            if (c->fd < 0)
                continue;
            double due = release_due(c, now);
            if (due > 0 && due < next)
                next = due;
            conn_io(c, 0); /* write what release_due queued */
            if (c->fd < 0)
                continue;
            const uint8_t *out;
            pfd[n] = (struct pollfd){
                .fd = c->fd,
                .events = (short)(POLLIN | (ws_conn_pending(&c->ws, &out) ? POLLOUT : 0))};
            idx[n++] = i;
        }
        int ms = (int)((next - now) * 1000) + 1;
        if (poll(pfd, n, ms > 1000 ? 1000 : ms) < 0 && errno != EINTR)
            break;
        if (pfd[0].revents & POLLIN)
            conn_accept(lfd);
        for (size_t k = 1; k < n; k++)
            if (pfd[k].revents && conns[idx[k]].fd >= 0)
                conn_io(&conns[idx[k]], pfd[k].revents);
    }
    for (size_t i = 0; i < MAX_CONNS; i++)
        if (conns[i].fd >= 0)
            conn_close(&conns[i]);
    close(lfd);
    return 0;
}

/*
 * echo_load.c - the load generator of `make bench` (driven by tests/bench-echo).
 *
 *   build/echo_load ws://127.0.0.1:PORT/ --pid SERVER_PID [--conns N] [--seconds S]
 *   build/echo_load ws://127.0.0.1:PORT/ --pid SERVER_PID --shape CONNS BYTES [--seconds S]
 *
 * Without --shape:
 * 1. opens N (default 10,000) WebSocket connections at once to the echo endpoint,
 *    completing every opening handshake (the 101 checked by the core), and holds them
 *    idle; the server's VmRSS/VmHWM (from /proc/PID/status) before and after give the
 *    memory one idle connection costs;
 * 2. checks that a sample of 100 of them still echo;
 * 3. echo throughput: small messages pipelined on 4 connections (messages/s) and
 *    1 MiB messages on one (MB/s), S seconds each (default 2);
 * 4. closes them all with Close 1000 and counts the clean closes.
 * --idle-only leaves out 3, and then more connections than RLIMIT_NOFILE allows one
 * process are opened by several (forked) processes holding them at once;
 * --max-idle-bytes B makes it exit 1 when one idle connection
 * costs the server more than B bytes (VmRSS growth / connections: kernel socket buffers
 * are not in it).
 * Past 10,000 connections to an IPv4 loopback address they come from 127.0.0.2, .3, ...
 * as well (one source address has about 28,000 ephemeral ports).
 *
 * With --shape: one closed-loop run of CONNS connections and BYTES-byte messages (any
 * server: tests/bench-echo runs it against wsspec echo and the third-party servers it
 * can start) - messages/s, MB/s, the server's CPU time from /proc/PID/stat and echoes
 * per server-CPU-second. Every echo is compared byte for byte.
 *
 * Loopback only, bounded counts, every wait with a deadline; it stops by itself. It
 * raises its own RLIMIT_NOFILE (N descriptors are needed on this side too) and lowers
 * N, saying so, if the hard limit does not allow N. Exit 1 if connections could not be
 * opened or the sample does not echo; the figures themselves are not judged.
 */
#include "ws_frame.h"
#include "ws_handshake.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_CONNS 10000
#define MAX_CONNS 100000
/* Connects in flight at once: well below the server's listen backlog (4096, capped by
 * somaxconn), so no SYN is dropped and retried a second later. */
#define MAX_INFLIGHT 512
#define OPEN_MS 60000  /* all N handshakes */
#define CLOSE_MS 30000 /* all N closing handshakes */
#define IO_MS 5000     /* one sample echo, one drain */
#define SAMPLE 100
#define RESP_MAX 512 /* a 101 response is about 130 bytes */
#define SMALL_LEN 32
#define SMALL_BATCH 256 /* frames per write */
#define SMALL_WINDOW                                                                               \
    4096 /* messages in flight per connection: ~150 KB, below the                                  \
            server's 1 MiB backpressure mark */
#define SMALL_CONNS 4
#define BIG_LEN (1024u * 1024)
#define BIG_WINDOW 2
/* --shape: most connections of one closed-loop run, largest message */
#define PUMP_CONNS 256
/* most server processes whose memory and CPU are added up (wsspec echo --workers) */
#define SERVER_PROCS 65
/* descriptors a client process keeps for itself besides its connections */
#define FD_SPARE 64
/* how long a client process waits for the word to go on, connections held */
#define HOLD_MS 120000
/* connections per loopback source address (well below the 28,232 ephemeral ports: the kernel finds
 * a free one faster when most are free) */
#define PORTS_PER_SOURCE 10000u
#define SHAPE_MAX_LEN (16u * 1024 * 1024)

enum lstate { L_IDLE = 0, L_CONNECTING, L_READING, L_OPEN, L_FAILED, L_CLOSED };

struct lconn {
    int fd;
    uint8_t state;
    uint16_t got;
    char key[WS_KEY_LEN + 1];
    char resp[RESP_MAX];
};

static struct sockaddr_storage g_addr;
static socklen_t g_addr_len;
static char g_hostport[300];
static char g_target[256] = "/"; /* the URL's path: servers route on it */
static int g_pid;

static size_t g_base; /* index of this process's first connection (source addresses) */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The server's processes: PID and its children (wsspec echo --workers). */
static size_t server_pids(int *out, size_t max)
{
    char path[64];
    out[0] = g_pid;
    size_t n = 1;
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", g_pid, g_pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return n;
    int p;
    while (n < max && fscanf(f, "%d", &p) == 1)
        out[n++] = p;
    fclose(f);
    return n;
}

/* VmRSS and VmHWM of the server (all its processes added), in KiB (0 if unreadable). */
static void server_memory(unsigned long *rss, unsigned long *hwm)
{
    int pids[SERVER_PROCS];
    size_t np = server_pids(pids, SERVER_PROCS);
    *rss = *hwm = 0;
    for (size_t i = 0; i < np; i++) {
        char path[64], line[256];
        snprintf(path, sizeof path, "/proc/%d/status", pids[i]);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "VmRSS:", 6) == 0)
                *rss += strtoul(line + 6, NULL, 10);
            else if (strncmp(line, "VmHWM:", 6) == 0)
                *hwm += strtoul(line + 6, NULL, 10);
        }
        fclose(f);
    }
}

/* CPU time one process used so far (user + system, all its threads), in seconds; -1
 * if unreadable. Fields 14 and 15 of /proc/PID/stat, counted after the ")" that ends
 * the command name (which may itself hold spaces). */
static double process_cpu(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0;
    if (!p ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    long hz = sysconf(_SC_CLK_TCK);
    return hz > 0 ? (double)(ut + st) / (double)hz : -1;
}

/* The server's CPU seconds so far, all its processes added; -1 if unreadable. */
static double server_cpu(void)
{
    int pids[SERVER_PROCS];
    size_t np = server_pids(pids, SERVER_PROCS);
    double sum = 0;
    for (size_t i = 0; i < np; i++) {
        double c = process_cpu(pids[i]);
        if (c < 0)
            return -1;
        sum += c;
    }
    return sum;
}

static void seeded_random(void *ud, uint8_t *out, size_t n)
{
    uint64_t *s = ud;
    for (size_t i = 0; i < n; i++) {
        *s = *s * 6364136223846793005ull + 1442695040888963407ull;
        out[i] = (uint8_t)(*s >> 56);
    }
}

static int set_nonblock_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* ------------------------------------------------------------ opening */

static void conn_fail(struct lconn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = L_FAILED;
}

static bool send_request(struct lconn *c)
{
    struct ws_request_params rp = {.host = g_hostport, .target = g_target, .key = c->key};
    char req[512];
    size_t n = 0;
    if (ws_handshake_build_request(&rp, req, sizeof req, &n) != WS_E_OK)
        return false;
    /* a fresh socket's send buffer takes 200 bytes at once */
    return send(c->fd, req, n, MSG_NOSIGNAL) == (ssize_t)n;
}

/* Read what arrived of the 101; c->state becomes OPEN (complete and valid) or FAILED. */
static void read_response(struct lconn *c)
{
    for (;;) {
        ssize_t r = recv(c->fd, c->resp + c->got, sizeof c->resp - c->got, 0);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            conn_fail(c);
            return;
        }
        c->got = (uint16_t)(c->got + r);
        struct ws_http_response resp;
        size_t used = 0, err_at = 0;
        enum ws_error e =
            ws_http_parse_response(c->resp, c->got, sizeof c->resp, &resp, &used, &err_at);
        if (e == WS_E_INCOMPLETE && c->got < sizeof c->resp)
            continue;
        struct ws_offer offer = {.key = c->key};
        struct ws_response_info info;
        if (e != WS_E_OK || used != c->got ||
            ws_handshake_check_response(&resp, &offer, &info) != WS_E_OK) {
            conn_fail(c);
            return;
        }
        c->state = L_OPEN;
        return;
    }
}

/* Connection i's source address: an IPv4 loopback target is reached from 127.0.0.1,
 * .2, ... - PORTS_PER_SOURCE connections each - so that more connections than one
 * address's ephemeral ports (about 28,000) can be held; the kernel picks the port
 * (IP_BIND_ADDRESS_NO_PORT: at connect(), per 4-tuple). */
static bool bind_source(int fd, size_t i)
{
    const struct sockaddr_in *dst = (const struct sockaddr_in *)&g_addr;
    if (g_addr.ss_family != AF_INET || (ntohl(dst->sin_addr.s_addr) >> 24) != 127 ||
        g_base + i < PORTS_PER_SOURCE)
        return true;
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    struct sockaddr_in src = {.sin_family = AF_INET};
    src.sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)((g_base + i) / PORTS_PER_SOURCE));
    return bind(fd, (struct sockaddr *)&src, sizeof src) == 0;
}

static void start_connect(struct lconn *c, size_t i)
{
    c->fd = socket(g_addr.ss_family, SOCK_STREAM, 0);
    if (c->fd < 0 || set_nonblock_nodelay(c->fd) != 0 || !bind_source(c->fd, i)) {
        conn_fail(c);
        return;
    }
    int r = connect(c->fd, (struct sockaddr *)&g_addr, g_addr_len);
    if (r != 0 && errno != EINPROGRESS) {
        conn_fail(c);
        return;
    }
    c->state = L_CONNECTING;
}

/* Open all connections, poll() over the ones in flight (at most MAX_INFLIGHT). */
static size_t open_all(struct lconn *cs, size_t n, double *secs)
{
    static uint64_t seed = 0x5eed;
    size_t next = 0, open = 0, failed = 0;
    size_t *inflight = calloc(MAX_INFLIGHT, sizeof *inflight);
    struct pollfd *pfd = calloc(MAX_INFLIGHT, sizeof *pfd);
    if (!inflight || !pfd) {
        free(inflight);
        free(pfd);
        return 0;
    }
    size_t nin = 0;
    double t0 = now_s();
    uint64_t deadline = now_ms() + OPEN_MS;
    while (open + failed < n && now_ms() < deadline) {
        while (nin < MAX_INFLIGHT && next < n) {
            struct lconn *c = &cs[next];
            ws_handshake_make_key(seeded_random, &seed, c->key);
            start_connect(c, next);
            if (c->state == L_FAILED)
                failed++;
            else
                inflight[nin++] = next;
            next++;
        }
        for (size_t i = 0; i < nin; i++) {
            struct lconn *c = &cs[inflight[i]];
            pfd[i].fd = c->fd;
            pfd[i].events = c->state == L_CONNECTING ? POLLOUT : POLLIN;
            pfd[i].revents = 0;
        }
        uint64_t now = now_ms();
        if (poll(pfd, nin, now < deadline ? (int)(deadline - now) : 0) < 0 && errno != EINTR)
            break;
        for (size_t i = 0; i < nin; i++) {
            struct lconn *c = &cs[inflight[i]];
            if (!pfd[i].revents)
                continue;
            if (c->state == L_CONNECTING) {
                int err = 0;
                socklen_t el = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
                if (err || !send_request(c))
                    conn_fail(c);
                else
                    c->state = L_READING;
            } else if (c->state == L_READING) {
                read_response(c);
            }
        }
        /* compact: keep the ones still in flight */
        size_t k = 0;
        for (size_t i = 0; i < nin; i++) {
            struct lconn *c = &cs[inflight[i]];
            if (c->state == L_OPEN)
                open++;
            else if (c->state == L_FAILED)
                failed++;
            else
                inflight[k++] = inflight[i];
        }
        nin = k;
    }
    *secs = now_s() - t0;
    free(inflight);
    free(pfd);
    return open;
}

/* ------------------------------------------------------------ echo checks */

static void mask_key(uint8_t key[4])
{
    static uint32_t seq = 1;
    seq = seq * 1103515245u + 12345u;
    memcpy(key, &seq, 4);
}

static size_t encode(uint8_t opcode, const void *payload, size_t len, uint8_t *out, size_t cap)
{
    struct ws_frame_spec s = {.fin = true, .opcode = opcode, .masked = true};
    mask_key(s.mask_key);
    size_t n = 0;
    return ws_frame_encode(&s, payload, len, out, cap, &n) == WS_E_OK ? n : 0;
}

/* Read exactly len bytes within the deadline. */
static bool read_exact(int fd, uint8_t *buf, size_t len, uint64_t deadline)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = recv(fd, buf + got, len - got, 0);
        if (r > 0) {
            got += (size_t)r;
            continue;
        }
        if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return false;
        uint64_t now = now_ms();
        if (now >= deadline)
            return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        poll(&p, 1, (int)(deadline - now));
    }
    return true;
}

static bool sample_echo(struct lconn *c, size_t i)
{
    char msg[32];
    int ml = snprintf(msg, sizeof msg, "sample-%zu", i);
    uint8_t out[64], in[64];
    size_t n = encode(WS_OP_TEXT, msg, (size_t)ml, out, sizeof out);
    if (!n || send(c->fd, out, n, MSG_NOSIGNAL) != (ssize_t)n)
        return false;
    if (!read_exact(c->fd, in, 2 + (size_t)ml, now_ms() + IO_MS))
        return false;
    return in[0] == 0x81 && in[1] == (uint8_t)ml && memcmp(in + 2, msg, (size_t)ml) == 0;
}

/* Keep `window` messages in flight on each connection for `secs` seconds, then drain.
 * batch = pre-encoded frames (per_batch messages); echo = the bytes one echoed message
 * must come back as (server frames are unmasked: shorter headers), echo_size long;
 * every byte received is compared with it. Returns messages echoed within the timed
 * window, or -1 on an error or a wrong byte; *elapsed gets the window's length. */
static double pump(struct lconn **cs, size_t nc, const uint8_t *batch, size_t batch_len,
                   size_t per_batch, const uint8_t *echo, size_t echo_size, size_t window,
                   double secs, double *elapsed, double *all)
{
    size_t sent_msgs[PUMP_CONNS] = {0}, off[PUMP_CONNS] = {0};
    uint64_t recv_bytes[PUMP_CONNS] = {0};
    struct pollfd pfd[PUMP_CONNS];
    if (nc > PUMP_CONNS)
        return -1;
    static uint8_t scratch[256 * 1024];
    double t0 = now_s(), stop_at = t0 + secs;
    uint64_t counted = 0;
    bool timing = true;
    uint64_t deadline = now_ms() + (uint64_t)(secs * 1000) + IO_MS * 4;
    for (;;) {
        double t = now_s();
        if (timing && t >= stop_at) {
            timing = false;
            *elapsed = t - t0;
            for (size_t i = 0; i < nc; i++)
                counted += recv_bytes[i] / echo_size;
        }
        bool busy = false;
        for (size_t i = 0; i < nc; i++) {
            uint64_t done = recv_bytes[i] / echo_size;
            bool can_send = off[i] > 0 || (timing && sent_msgs[i] - done + per_batch <= window);
            pfd[i].fd = cs[i]->fd;
            pfd[i].events = (short)(POLLIN | (can_send ? POLLOUT : 0));
            pfd[i].revents = 0;
            if (can_send || done < sent_msgs[i])
                busy = true;
        }
        if (!timing && !busy)
            break;
        uint64_t now = now_ms();
        if (now >= deadline)
            return -1;
        if (poll(pfd, nc, 100) < 0 && errno != EINTR)
            return -1;
        for (size_t i = 0; i < nc; i++) {
            if (pfd[i].revents & POLLOUT) {
                ssize_t w = send(cs[i]->fd, batch + off[i], batch_len - off[i], MSG_NOSIGNAL);
                if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                    return -1;
                if (w > 0) {
                    off[i] += (size_t)w;
                    if (off[i] == batch_len) {
                        off[i] = 0;
                        sent_msgs[i] += per_batch;
                    }
                }
            }
            if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t r = recv(cs[i]->fd, scratch, sizeof scratch, 0);
                if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
                    return -1;
                for (size_t k = 0; r > 0 && k < (size_t)r;) {
                    size_t pos = (size_t)(recv_bytes[i] % echo_size);
                    size_t chunk =
                        echo_size - pos < (size_t)r - k ? echo_size - pos : (size_t)r - k;
                    if (memcmp(scratch + k, echo + pos, chunk) != 0) {
                        printf("bench echo: wrong echo byte near stream offset %llu\n",
                               (unsigned long long)recv_bytes[i]);
                        return -1;
                    }
                    k += chunk;
                    recv_bytes[i] += chunk;
                }
            }
        }
    }
    *all = 0;
    for (size_t i = 0; i < nc; i++) {
        if (recv_bytes[i] != (uint64_t)sent_msgs[i] * echo_size)
            return -1;
        *all += (double)sent_msgs[i];
    }
    return (double)counted;
}

/* ------------------------------------------------------------ closing */

static size_t close_all(struct lconn *cs, size_t n, double *secs)
{
    double t0 = now_s();
    static const uint8_t expect[4] = {0x88, 0x02, 0x03, 0xe8}; /* Close 1000, no reason */
    size_t waiting = 0, clean = 0;
    for (size_t i = 0; i < n; i++) {
        struct lconn *c = &cs[i];
        if (c->state != L_OPEN)
            continue;
        uint8_t out[16];
        uint8_t pl[2] = {0x03, 0xe8};
        size_t len = encode(WS_OP_CLOSE, pl, 2, out, sizeof out);
        if (send(c->fd, out, len, MSG_NOSIGNAL) != (ssize_t)len) {
            conn_fail(c);
            continue;
        }
        c->got = 0;
        c->state = L_READING;
        waiting++;
    }
    struct pollfd *pfd = calloc(n ? n : 1, sizeof *pfd);
    size_t *idx = calloc(n ? n : 1, sizeof *idx);
    uint64_t deadline = now_ms() + CLOSE_MS;
    while (pfd && idx && waiting > 0 && now_ms() < deadline) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (cs[i].state != L_READING)
                continue;
            pfd[k].fd = cs[i].fd;
            pfd[k].events = POLLIN;
            pfd[k].revents = 0;
            idx[k++] = i;
        }
        uint64_t now = now_ms();
        if (poll(pfd, k, now < deadline ? (int)(deadline - now) : 0) < 0 && errno != EINTR)
            break;
        for (size_t j = 0; j < k; j++) {
            if (!pfd[j].revents)
                continue;
            struct lconn *c = &cs[idx[j]];
            ssize_t r = recv(c->fd, c->resp + c->got, sizeof c->resp - c->got, 0);
            if (r > 0) {
                c->got = (uint16_t)(c->got + r);
                if (c->got < sizeof c->resp)
                    continue;
            }
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            /* EOF (or reset, or too much data): this connection is done */
            if (r == 0 && c->got == 4 && memcmp(c->resp, expect, 4) == 0)
                clean++;
            close(c->fd);
            c->fd = -1;
            c->state = L_CLOSED;
            waiting--;
        }
    }
    free(pfd);
    free(idx);
    for (size_t i = 0; i < n; i++)
        if (cs[i].fd >= 0)
            close(cs[i].fd);
    *secs = now_s() - t0;
    return clean;
}

/* ------------------------------------------------------------ --shape */

/* One closed-loop run: `conns` connections, each sending its next `len`-byte binary
 * message only after the echo of the previous one came back whole and byte-exact
 * (window 1), for `secs` seconds. Prints one line with messages/s, MB/s (payload
 * bytes echoed) and the server's CPU seconds over the run, and the figure the
 * comparison of `make bench` ranks by: echoes per server-CPU-second. */
static int run_shape(size_t conns, size_t len, double secs)
{
    struct lconn *cs = calloc(conns, sizeof *cs);
    uint8_t *payload = malloc(len ? len : 1);
    uint8_t *frame = malloc(len + WS_FRAME_HEADER_MAX);
    uint8_t *echo = malloc(len + WS_FRAME_HEADER_MAX);
    int rc = 1;
    if (!cs || !payload || !frame || !echo)
        goto out;
    uint64_t seed = 0x5eed0 + len;
    seeded_random(&seed, payload, len);
    for (size_t i = 0; i < conns; i++)
        cs[i].fd = -1;
    double open_s = 0;
    size_t open = open_all(cs, conns, &open_s);
    if (open != conns) {
        printf("bench echo shape %zux%zu: only %zu/%zu connections opened\n", conns, len, open,
               conns);
        goto out;
    }
    struct lconn *tc[PUMP_CONNS];
    for (size_t i = 0; i < conns; i++)
        tc[i] = &cs[i];
    size_t fl = encode(WS_OP_BINARY, payload, len, frame, len + WS_FRAME_HEADER_MAX), el = 0;
    struct ws_frame_spec plain = {.fin = true, .opcode = WS_OP_BINARY};
    ws_frame_encode(&plain, payload, len, echo, len + WS_FRAME_HEADER_MAX, &el);
    double t = 0, all = 0, cpu0 = server_cpu();
    double msgs = pump(tc, conns, frame, fl, 1, echo, el, 1, secs, &t, &all);
    double cpu = server_cpu() - cpu0;
    if (msgs < 0 || t <= 0) {
        printf("bench echo shape %zux%zu: the run failed (a connection dropped, stalled or "
               "echoed a wrong byte)\n",
               conns, len);
        goto out;
    }
    printf("bench echo shape %zux%zu: %.1f s, %.0f messages/s, %.1f MB/s, server CPU %.2f s, "
           "%.0f echoes per server-CPU-second\n",
           conns, len, t, msgs / t, msgs * (double)len / t / 1e6, cpu,
           cpu0 >= 0 && cpu > 0 ? all / cpu : 0);
    rc = 0;
out:
    if (cs) {
        double close_s = 0;
        close_all(cs, conns, &close_s);
    }
    free(cs);
    free(payload);
    free(frame);
    free(echo);
    return rc;
}

/* ------------------------------------------------------------ idle, several processes */

/* More connections than one process may hold descriptors for (RLIMIT_NOFILE's hard
 * limit, which only CAP_SYS_RESOURCE raises): each of several processes opens a share
 * of them; all hold theirs until the server's memory is read, then each checks a
 * sample and closes its share. Reports go through one pipe (a report is one atomic
 * write, smaller than PIPE_BUF). */
struct share_report {
    uint64_t open, sampled, echoed, clean;
};

static void share_run(size_t base, size_t count, size_t samples, int wfd, int go_fd)
{
    g_base = base;
    struct lconn *cs = calloc(count, sizeof *cs);
    struct share_report r = {0};
    if (!cs) {
        (void)!write(wfd, &r, sizeof r);
        _exit(1);
    }
    for (size_t i = 0; i < count; i++)
        cs[i].fd = -1;
    double secs = 0;
    r.open = open_all(cs, count, &secs);
    if (write(wfd, &r, sizeof r) != (ssize_t)sizeof r)
        _exit(1);
    struct pollfd p = {.fd = go_fd, .events = POLLIN};
    char go;
    if (poll(&p, 1, HOLD_MS) <= 0 || read(go_fd, &go, 1) != 1)
        _exit(1);
    for (size_t k = 0; k < samples; k++) {
        struct lconn *c = &cs[k * count / samples];
        if (c->state != L_OPEN)
            continue;
        r.sampled++;
        r.echoed += sample_echo(c, base + k);
    }
    r.clean = close_all(cs, count, &secs);
    (void)!write(wfd, &r, sizeof r);
    _exit(0);
}

/* Read one report from each of n processes within ms; false if they did not come. */
static bool share_reports(int fd, size_t n, uint64_t ms, struct share_report *sum)
{
    memset(sum, 0, sizeof *sum);
    uint64_t deadline = now_ms() + ms;
    for (size_t got = 0; got < n;) {
        uint64_t now = now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (now >= deadline || poll(&p, 1, (int)(deadline - now)) <= 0)
            return false;
        struct share_report r;
        if (read(fd, &r, sizeof r) != (ssize_t)sizeof r)
            return false;
        sum->open += r.open;
        sum->sampled += r.sampled;
        sum->echoed += r.echoed;
        sum->clean += r.clean;
        got++;
    }
    return true;
}

static int run_idle_procs(size_t n, size_t per, unsigned long long max_idle)
{
    size_t procs = (n + per - 1) / per;
    int rep[2], go[2];
    if (pipe(rep) != 0 || pipe(go) != 0)
        return 1;
    unsigned long rss0, hwm0, rss1, hwm1;
    server_memory(&rss0, &hwm0);
    fflush(stdout);
    double t0 = now_s();
    size_t started = 0;
    for (; started < procs; started++) {
        size_t base = started * per, count = n - base < per ? n - base : per;
        pid_t pid = fork();
        if (pid < 0)
            break;
        if (pid == 0) {
            close(rep[0]);
            close(go[1]);
            share_run(base, count, (SAMPLE + procs - 1) / procs, rep[1], go[0]);
        }
    }
    close(rep[1]);
    close(go[0]);
    struct share_report opened, done;
    bool ok = started == procs && share_reports(rep[0], procs, OPEN_MS + 10000, &opened);
    double open_s = now_s() - t0;
    server_memory(&rss1, &hwm1);
    double per_conn =
        opened.open ? ((double)rss1 - (double)rss0) * 1024.0 / (double)opened.open : 0;
    printf("bench echo: %llu/%zu connections opened (handshake complete) in %.2f s "
           "(%.0f handshakes/s; %zu client processes, RLIMIT_NOFILE)\n",
           (unsigned long long)opened.open, n, open_s,
           open_s > 0 ? (double)opened.open / open_s : 0, procs);
    printf("bench echo: server VmRSS %.1f MiB -> %.1f MiB with %llu idle connections: "
           "%.0f bytes per idle connection; VmHWM %.1f MiB\n",
           rss0 / 1024.0, rss1 / 1024.0, (unsigned long long)opened.open, per_conn, hwm1 / 1024.0);
    int rc = ok && opened.open == n ? 0 : 1;
    if (max_idle && per_conn > (double)max_idle) {
        printf("bench echo: %.0f bytes per idle connection, more than the %llu allowed\n", per_conn,
               max_idle);
        rc = 1;
    }
    for (size_t i = 0; i < started; i++)
        (void)!write(go[1], "g", 1);
    close(go[1]);
    if (!share_reports(rep[0], started, CLOSE_MS + 10000 + IO_MS * SAMPLE, &done))
        rc = 1;
    printf("bench echo: sample of %llu held connections still echo: %llu/%llu\n",
           (unsigned long long)done.sampled, (unsigned long long)done.echoed,
           (unsigned long long)done.sampled);
    printf("bench echo: %llu/%llu connections closed cleanly (Close 1000 answered, then TCP "
           "closed by the server)\n",
           (unsigned long long)done.clean, (unsigned long long)opened.open);
    if (done.sampled == 0 || done.echoed != done.sampled)
        rc = 1;
    close(rep[0]);
    while (started-- > 0)
        wait(NULL);
    return rc;
}

/* ------------------------------------------------------------ main */

static bool parse_url(const char *url)
{
    if (strncmp(url, "ws://", 5) != 0)
        return false;
    const char *s = url + 5;
    char host[256], port[16];
    const char *end;
    if (*s == '[') {
        end = strchr(s, ']');
        if (!end || end[1] != ':' || (size_t)(end - s - 1) >= sizeof host)
            return false;
        memcpy(host, s + 1, (size_t)(end - s - 1));
        host[end - s - 1] = '\0';
        s = end + 2;
    } else {
        end = strchr(s, ':');
        if (!end || (size_t)(end - s) >= sizeof host)
            return false;
        memcpy(host, s, (size_t)(end - s));
        host[end - s] = '\0';
        s = end + 1;
    }
    size_t pl = strcspn(s, "/");
    if (pl == 0 || pl >= sizeof port)
        return false;
    if (s[pl] == '/') {
        if (strlen(s + pl) >= sizeof g_target || strpbrk(s + pl, " \r\n"))
            return false;
        memcpy(g_target, s + pl, strlen(s + pl) + 1);
    }
    memcpy(port, s, pl);
    port[pl] = '\0';
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
        return false;
    memcpy(&g_addr, ai->ai_addr, ai->ai_addrlen);
    g_addr_len = ai->ai_addrlen;
    freeaddrinfo(ai);
    int n = strchr(host, ':') ? snprintf(g_hostport, sizeof g_hostport, "[%s]:%s", host, port)
                              : snprintf(g_hostport, sizeof g_hostport, "%s:%s", host, port);
    return n > 0 && (size_t)n < sizeof g_hostport;
}

static bool parse_count(const char *s, unsigned long long lo, unsigned long long hi,
                        unsigned long long *out)
{
    char *end;
    errno = 0;
    if (s[0] < '0' || s[0] > '9')
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* Raise our own descriptor limit; returns how many connections it allows. */
static size_t raise_nofile(size_t want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    rlim_t need = (rlim_t)want + 32;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
        struct rlimit up = {need, need}; /* root may raise the hard limit too */
        if (setrlimit(RLIMIT_NOFILE, &up) == 0)
            return want;
    }
    if (rl.rlim_cur < need) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur > 32 ? (size_t)(rl.rlim_cur - 32) : 0;
}

int main(int argc, char **argv)
{
    const char *url = NULL;
    unsigned long long conns = DEFAULT_CONNS, pid = 0, secs_arg = 2, shape_len = 0;
    bool shape = false, idle_only = false;
    unsigned long long max_idle = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--pid") == 0 && i + 1 < argc) {
            if (!parse_count(argv[++i], 1, 4194304, &pid))
                goto usage;
        } else if (strcmp(argv[i], "--conns") == 0 && i + 1 < argc) {
            if (!parse_count(argv[++i], SAMPLE, MAX_CONNS, &conns))
                goto usage;
        } else if (strcmp(argv[i], "--idle-only") == 0) {
            idle_only = true;
        } else if (strcmp(argv[i], "--max-idle-bytes") == 0 && i + 1 < argc) {
            if (!parse_count(argv[++i], 1, 1u << 30, &max_idle))
                goto usage;
        } else if (strcmp(argv[i], "--shape") == 0 && i + 2 < argc) {
            shape = true;
            if (!parse_count(argv[++i], 1, PUMP_CONNS, &conns) ||
                !parse_count(argv[++i], 1, SHAPE_MAX_LEN, &shape_len))
                goto usage;
        } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            if (!parse_count(argv[++i], 1, 30, &secs_arg))
                goto usage;
        } else if (!url && argv[i][0] != '-') {
            url = argv[i];
        } else {
            goto usage;
        }
    }
    if (!url || !pid || !parse_url(url))
        goto usage;
    g_pid = (int)pid;
    if (shape)
        return run_shape((size_t)conns, (size_t)shape_len, (double)secs_arg);

    size_t n = (size_t)conns, allowed = raise_nofile(n);
    if (allowed < n && idle_only && allowed > SAMPLE + FD_SPARE)
        return run_idle_procs(n, allowed - FD_SPARE, max_idle);
    if (allowed < n) {
        printf("bench echo: RLIMIT_NOFILE allows only %zu connections here (wanted %zu)\n", allowed,
               n);
        n = allowed;
    }
    if (n < SAMPLE) {
        printf("bench echo: too few descriptors for a meaningful run\n");
        return 1;
    }
    struct lconn *cs = calloc(n, sizeof *cs);
    if (!cs)
        return 1;
    for (size_t i = 0; i < n; i++)
        cs[i].fd = -1;

    unsigned long rss0, hwm0, rss1, hwm1, rss2, hwm2;
    server_memory(&rss0, &hwm0);
    double open_s = 0;
    size_t open = open_all(cs, n, &open_s);
    server_memory(&rss1, &hwm1);
    double per = open ? ((double)rss1 - (double)rss0) * 1024.0 / (double)open : 0;
    printf("bench echo: %zu/%zu connections opened (handshake complete) in %.2f s "
           "(%.0f handshakes/s)\n",
           open, n, open_s, open_s > 0 ? (double)open / open_s : 0);
    printf("bench echo: server VmRSS %.1f MiB -> %.1f MiB with %zu idle connections: "
           "%.0f bytes per idle connection; VmHWM %.1f MiB\n",
           rss0 / 1024.0, rss1 / 1024.0, open, per, hwm1 / 1024.0);
    int rc = open == n ? 0 : 1;
    if (max_idle && per > (double)max_idle) {
        printf("bench echo: %.0f bytes per idle connection, more than the %llu allowed\n", per,
               max_idle);
        rc = 1;
    }

    size_t sampled = 0, echoed = 0;
    for (size_t i = 0; i < SAMPLE; i++) {
        struct lconn *c = &cs[i * n / SAMPLE];
        if (c->state != L_OPEN)
            continue;
        sampled++;
        if (sample_echo(c, i))
            echoed++;
    }
    printf("bench echo: sample of %zu held connections still echo: %zu/%zu\n", sampled, echoed,
           sampled);
    if (echoed != sampled || sampled == 0)
        rc = 1;

    /* throughput on connections already open (the first ones) */
    struct lconn *tc[SMALL_CONNS];
    size_t nt = 0;
    for (size_t i = 0; i < n && nt < SMALL_CONNS; i++)
        if (cs[i].state == L_OPEN)
            tc[nt++] = &cs[i];
    if (nt == SMALL_CONNS && !idle_only) {
        uint8_t *batch = malloc(SMALL_BATCH * (SMALL_LEN + WS_FRAME_HEADER_MAX));
        uint8_t *big = malloc(BIG_LEN + WS_FRAME_HEADER_MAX);
        uint8_t *payload = malloc(BIG_LEN);
        uint8_t *echo_big = malloc(BIG_LEN + WS_FRAME_HEADER_MAX);
        uint8_t echo_small[SMALL_LEN + WS_FRAME_HEADER_MAX];
        if (batch && big && payload && echo_big) {
            memset(payload, 'x', BIG_LEN);
            size_t bl = 0;
            for (int i = 0; i < SMALL_BATCH; i++)
                bl += encode(WS_OP_BINARY, payload, SMALL_LEN, batch + bl,
                             SMALL_BATCH * (SMALL_LEN + WS_FRAME_HEADER_MAX) - bl);
            /* what an echo looks like: the same frame, unmasked, from the server */
            struct ws_frame_spec plain = {.fin = true, .opcode = WS_OP_BINARY};
            size_t el_small = 0, el_big = 0;
            ws_frame_encode(&plain, payload, SMALL_LEN, echo_small, sizeof echo_small, &el_small);
            ws_frame_encode(&plain, payload, BIG_LEN, echo_big, BIG_LEN + WS_FRAME_HEADER_MAX,
                            &el_big);
            double el = 0, all = 0;
            double msgs = pump(tc, SMALL_CONNS, batch, bl, SMALL_BATCH, echo_small, el_small,
                               SMALL_WINDOW, (double)secs_arg, &el, &all);
            if (msgs < 0) {
                printf("bench echo: small-message run failed\n");
                rc = 1;
            } else {
                printf("bench echo: %d-byte messages, %d connections, %.1f s: %.0f messages/s "
                       "echoed\n",
                       SMALL_LEN, SMALL_CONNS, el, msgs / el);
            }
            size_t gl = encode(WS_OP_BINARY, payload, BIG_LEN, big, BIG_LEN + WS_FRAME_HEADER_MAX);
            msgs =
                pump(tc, 1, big, gl, 1, echo_big, el_big, BIG_WINDOW, (double)secs_arg, &el, &all);
            if (msgs < 0) {
                printf("bench echo: 1 MiB-message run failed\n");
                rc = 1;
            } else {
                printf("bench echo: 1 MiB messages, 1 connection, %.1f s: %.1f MB/s echoed "
                       "(%.0f messages/s)\n",
                       el, msgs * BIG_LEN / el / 1e6, msgs / el);
            }
        }
        free(batch);
        free(big);
        free(payload);
        free(echo_big);
    }
    server_memory(&rss2, &hwm2);
    printf("bench echo: server VmRSS after the throughput runs %.1f MiB, VmHWM %.1f MiB\n",
           rss2 / 1024.0, hwm2 / 1024.0);

    double close_s = 0;
    size_t clean = close_all(cs, n, &close_s);
    printf("bench echo: %zu/%zu connections closed cleanly (Close 1000 answered, then TCP "
           "closed by the server) in %.2f s\n",
           clean, open, close_s);
    free(cs);
    return rc;
usage:
    fprintf(stderr, "usage: echo_load ws://127.0.0.1:PORT/ --pid SERVER_PID [--conns N "
                    "(100..100000)] [--seconds S (1..30)] [--idle-only]\n"
                    "       [--max-idle-bytes B]\n"
                    "       echo_load ws://127.0.0.1:PORT/ --pid SERVER_PID --shape CONNS "
                    "BYTES [--seconds S]\n");
    return 2;
}

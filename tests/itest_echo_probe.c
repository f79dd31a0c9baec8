/*
 * itest_echo_probe.c - raw-socket probe of an echo endpoint (`wsspec echo`).
 *
 *   build/itest_echo_probe ws://127.0.0.1:PORT/ [--handshake-timeout S] [--close-timeout S]
 *   build/itest_echo_probe ws://127.0.0.1:PORT/ --expect-shutdown
 *
 * Each check opens its own TCP connection, speaks through the core's frame encoder
 * (which writes ANY bit pattern, so violations are easy to send) and reads the
 * answer with the core's frame decoder in the client role (which also checks that
 * what the server sends is well-formed: unmasked, minimal lengths, no RSV bits).
 * It prints one line per check, "PASS name" or "FAIL name: expected ..., got ...",
 * and exits 1 if any check failed, 2 on a usage error.
 *
 * Every wait is a poll() with a deadline; nothing sleeps. After each case that makes
 * the server fail the connection, the probe answers the server's Close (completing
 * the closing handshake) and requires the server to close TCP promptly.
 *
 * The handshake-timeout and close-timeout checks need the server's values (the
 * options above, default 1 s and 2 s as tests/itest_echo.sh starts it): the drop
 * must come after about that long and well before three times as long.
 */
#include "ws_close.h"
#include "ws_frame.h"
#include "ws_handshake.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* How long any single answer may take. Generous: the server under test usually runs
 * under ASan+UBSan on a loaded CI machine. */
#define IO_MS 5000
/* The 16 MiB echo: 32 MiB through a sanitized server. */
#define BIG_MS 60000
/* "Promptly": after the closing handshake the server closes TCP at once; this must be
 * well below the close timeout the server runs with, so a drop by timer is caught. */
#define PROMPT_MS 1000
/* Largest frame the probe accepts from the server; the biggest echo is 16 MiB. */
#define MAX_FRAME (32u * 1024 * 1024)
#define BIG_LEN (16u * 1024 * 1024)

static struct sockaddr_storage g_addr;
static socklen_t g_addr_len;
static char g_hostport[300];
static double g_handshake_timeout = 1.0, g_close_timeout = 2.0;
static int g_failed, g_passed;
static char g_why[512];

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

__attribute__((format(printf, 1, 2))) static bool fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_why, sizeof g_why, fmt, ap);
    va_end(ap);
    return false;
}

/* ------------------------------------------------------------ connection */

struct probe {
    int fd;
    uint8_t *buf; /* received, not yet consumed: buf[off .. len) */
    size_t off, len, cap;
    struct ws_frame_decoder dec;
    uint32_t mask_seq; /* masks differ frame to frame, yet runs are repeatable */
};

struct frame {
    bool fin;
    uint8_t rsv, opcode;
    uint8_t *data;
    size_t len, cap;
};

static void probe_close(struct probe *p)
{
    if (p->fd >= 0)
        close(p->fd);
    free(p->buf);
    memset(p, 0, sizeof *p);
    p->fd = -1;
}

static bool probe_connect(struct probe *p)
{
    memset(p, 0, sizeof *p);
    p->fd = socket(g_addr.ss_family, SOCK_STREAM, 0);
    if (p->fd < 0)
        return fail("socket: %s", strerror(errno));
    /* a blocking connect on loopback is answered at once; SO_SNDTIMEO bounds it anyway */
    struct timeval tv = {.tv_sec = IO_MS / 1000};
    setsockopt(p->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(p->fd, (struct sockaddr *)&g_addr, g_addr_len) != 0)
        return fail("connect: %s", strerror(errno));
    /* each frame leaves at once: a case that sends a frame and then waits for the
     * answer must not be held up by Nagle */
    int one = 1;
    setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(p->fd, F_SETFL, fcntl(p->fd, F_GETFL) | O_NONBLOCK);
    struct ws_frame_rules rules = {.role = WS_ROLE_CLIENT, .max_frame = MAX_FRAME};
    ws_frame_decoder_init(&p->dec, &rules);
    return true;
}

static int wait_fd(int fd, short events, uint64_t deadline)
{
    for (;;) {
        uint64_t now = now_ms();
        if (now >= deadline)
            return 0;
        struct pollfd pfd = {.fd = fd, .events = events};
        int r = poll(&pfd, 1, (int)(deadline - now));
        if (r < 0 && errno == EINTR)
            continue;
        return r < 0 ? -1 : r;
    }
}

/* Append what arrived. Returns bytes read, 0 on EOF (or reset: the server closed),
 * -1 on timeout or error (g_why says which). */
static long recv_some(struct probe *p, uint64_t deadline)
{
    if (p->off == p->len)
        p->off = p->len = 0;
    if (p->cap - p->len < 65536) {
        if (p->off) {
            memmove(p->buf, p->buf + p->off, p->len - p->off);
            p->len -= p->off;
            p->off = 0;
        }
        size_t cap = p->cap ? p->cap * 2 : 131072;
        if (cap > 2 * (size_t)MAX_FRAME + 131072) {
            fail("more than %u bytes received and not consumed", 2 * MAX_FRAME);
            return -1;
        }
        uint8_t *nb = realloc(p->buf, cap);
        if (!nb) {
            fail("out of memory");
            return -1;
        }
        p->buf = nb;
        p->cap = cap;
    }
    for (;;) {
        ssize_t r = recv(p->fd, p->buf + p->len, p->cap - p->len, 0);
        if (r > 0) {
            p->len += (size_t)r;
            return (long)r;
        }
        if (r == 0 || (r < 0 && (errno == ECONNRESET || errno == EPIPE)))
            return 0;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            fail("recv: %s", strerror(errno));
            return -1;
        }
        int w = wait_fd(p->fd, POLLIN, deadline);
        if (w == 0) {
            fail("nothing arrived within the deadline");
            return -1;
        }
        if (w < 0) {
            fail("poll: %s", strerror(errno));
            return -1;
        }
    }
}

/* Write everything, reading whatever arrives meanwhile so that a server writing back
 * while we write can never deadlock us. */
static bool send_all(struct probe *p, const void *data, size_t len, uint64_t deadline)
{
    const uint8_t *d = data;
    while (len > 0) {
        ssize_t r = send(p->fd, d, len, MSG_NOSIGNAL);
        if (r > 0) {
            d += r;
            len -= (size_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return fail("send: %s (%zu bytes not sent)", strerror(errno), len);
        struct pollfd pfd = {.fd = p->fd, .events = POLLOUT | POLLIN};
        uint64_t now = now_ms();
        if (now >= deadline)
            return fail("could not send %zu bytes within the deadline", len);
        if (poll(&pfd, 1, (int)(deadline - now)) < 0 && errno != EINTR)
            return fail("poll: %s", strerror(errno));
        if (pfd.revents & POLLIN) {
            long got = recv_some(p, deadline);
            if (got <= 0)
                return fail("server closed while we were sending (%zu bytes left)", len);
        }
    }
    return true;
}

/* One frame as the client normally sends it (FIN, masked), or with fields overridden
 * by the caller through spec. */
static bool send_frame(struct probe *p, struct ws_frame_spec s, const void *payload, size_t len)
{
    uint32_t m = 0x9e3779b9u * ++p->mask_seq;
    memcpy(s.mask_key, &m, 4);
    size_t cap = len + WS_FRAME_HEADER_MAX, n = 0;
    uint8_t *out = malloc(cap);
    if (!out)
        return fail("out of memory");
    enum ws_error e = ws_frame_encode(&s, payload, len, out, cap, &n);
    bool ok = e == WS_E_OK ? send_all(p, out, n, now_ms() + (len > 65536 ? BIG_MS : IO_MS))
                           : fail("cannot encode the frame: %s", ws_error_name(e));
    free(out);
    return ok;
}

static bool send_msg(struct probe *p, uint8_t opcode, const void *payload, size_t len)
{
    struct ws_frame_spec s = {.fin = true, .opcode = opcode, .masked = true};
    return send_frame(p, s, payload, len);
}

static bool send_close_frame(struct probe *p, uint16_t code, const char *reason)
{
    uint8_t pl[WS_CLOSE_PAYLOAD_MAX];
    size_t n = ws_close_build(code, reason, reason ? strlen(reason) : 0, pl);
    return send_msg(p, WS_OP_CLOSE, pl, n);
}

/* Returns 1 with a frame, 0 on EOF before a frame began, -1 otherwise (g_why). */
static int read_frame(struct probe *p, uint64_t deadline, struct frame *f)
{
    f->len = 0;
    bool started = false;
    for (;;) {
        /* the decoder may hold an event needing no more input (END right after the
         * last payload slice), so it is asked until it says NONE, even with 0 bytes */
        for (;;) {
            size_t used = 0;
            struct ws_frame_event ev;
            enum ws_error e =
                ws_frame_decode(&p->dec, p->buf + p->off, p->len - p->off, &used, &ev);
            p->off += used;
            if (e != WS_E_OK) {
                uint64_t at = 0;
                ws_frame_decoder_error(&p->dec, &at);
                fail("the server sent a malformed frame: %s (%s) at frame byte %llu",
                     ws_error_name(e), ws_error_text(e), (unsigned long long)at);
                return -1;
            }
            if (ev.type == WS_FRAME_NONE)
                break;
            if (ev.type == WS_FRAME_HEADER) {
                started = true;
                f->fin = ev.hdr->fin;
                f->rsv = ev.hdr->rsv;
                f->opcode = ev.hdr->opcode;
            } else if (ev.type == WS_FRAME_PAYLOAD) {
                if (f->cap - f->len < ev.len) {
                    size_t cap = f->len + ev.len;
                    uint8_t *nd = realloc(f->data, cap);
                    if (!nd) {
                        fail("out of memory");
                        return -1;
                    }
                    f->data = nd;
                    f->cap = cap;
                }
                memcpy(f->data + f->len, ev.data, ev.len);
                f->len += ev.len;
            } else {
                return 1;
            }
        }
        long r = recv_some(p, deadline);
        if (r == 0) {
            if (started)
                fail("the connection closed in the middle of a frame");
            else
                fail("the server closed TCP (no frame)");
            return started ? -1 : 0;
        }
        if (r < 0)
            return -1;
    }
}

static const char *opname(uint8_t op)
{
    static const char *const names[16] = {"continuation", "text",      "binary",    "opcode 3",
                                          "opcode 4",     "opcode 5",  "opcode 6",  "opcode 7",
                                          "Close",        "Ping",      "Pong",      "opcode 11",
                                          "opcode 12",    "opcode 13", "opcode 14", "opcode 15"};
    return names[op & 15u];
}

/* The next frame must be a complete opcode/payload as given. */
static bool expect_frame(struct probe *p, uint8_t opcode, const void *payload, size_t len, int ms)
{
    struct frame f = {0};
    int r = read_frame(p, now_ms() + (uint64_t)ms, &f);
    bool ok = false;
    if (r == 1) {
        if (f.opcode != opcode || !f.fin)
            fail("expected a %s frame (FIN), got %s%s", opname(opcode), opname(f.opcode),
                 f.fin ? "" : " with FIN=0");
        else if (f.len != len)
            fail("expected %s of %zu bytes, got %zu bytes", opname(opcode), len, f.len);
        else if (len && memcmp(f.data, payload, len) != 0)
            fail("%s payload differs from what was sent", opname(opcode));
        else
            ok = true;
    } else if (r == 0) {
        fail("expected a %s frame, got TCP close", opname(opcode));
    }
    free(f.data);
    return ok;
}

/* The next frame must be a Close with this code. */
static bool expect_close(struct probe *p, uint16_t code, int ms)
{
    struct frame f = {0};
    int r = read_frame(p, now_ms() + (uint64_t)ms, &f);
    bool ok = false;
    if (r == 1 && f.opcode == WS_OP_CLOSE) {
        uint16_t got = 0;
        const uint8_t *reason;
        size_t rlen;
        enum ws_error e = ws_close_parse(f.data, f.len, &got, &reason, &rlen, NULL);
        if (e != WS_E_OK)
            fail("expected Close %u, got a Close whose payload breaks %s", code, ws_error_name(e));
        else if (got != code)
            fail("expected Close %u, got Close %u \"%.*s\"", code, got, (int)rlen,
                 (const char *)reason);
        else
            ok = true;
    } else if (r == 1) {
        fail("expected Close %u, got a %s frame", code, opname(f.opcode));
    } else if (r == 0) {
        fail("expected Close %u, got TCP close without a Close frame", code);
    }
    free(f.data);
    return ok;
}

/* The server must close TCP within ms, sending nothing more. *took gets the time. */
static bool expect_eof(struct probe *p, int ms, uint64_t *took)
{
    uint64_t t0 = now_ms(), deadline = t0 + (uint64_t)ms;
    for (;;) {
        if (p->off < p->len)
            return fail("expected TCP close, got %zu more bytes", p->len - p->off);
        long r = recv_some(p, deadline);
        if (r == 0) {
            if (took)
                *took = now_ms() - t0;
            return true;
        }
        if (r < 0)
            return fail("expected the server to close TCP within %d ms; it did not", ms);
    }
}

/* ------------------------------------------------------------ handshake */

static void key_random(void *ud, uint8_t *out, size_t n)
{
    uint64_t *s = ud;
    for (size_t i = 0; i < n; i++) {
        *s += 0x9e3779b97f4a7c15ull;
        uint64_t z = *s;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        out[i] = (uint8_t)(z ^ (z >> 31));
    }
}

/* Send the opening request (plus `extra` bytes in the same write) and check the 101. */
static bool open_ws_with(struct probe *p, const void *extra, size_t extra_len)
{
    static uint64_t seed = 6455;
    if (!probe_connect(p))
        return false;
    char key[WS_KEY_LEN + 1];
    ws_handshake_make_key(key_random, &seed, key);
    struct ws_request_params rp = {.host = g_hostport, .target = "/probe", .key = key};
    char req[1024 + 65536];
    size_t n = 0;
    if (ws_handshake_build_request(&rp, req, 1024, &n) != WS_E_OK)
        return fail("cannot build the request");
    if (extra_len > sizeof req - n)
        return fail("pipelined bytes too long");
    memcpy(req + n, extra, extra_len);
    if (!send_all(p, req, n + extra_len, now_ms() + IO_MS))
        return false;
    uint64_t deadline = now_ms() + IO_MS;
    for (;;) {
        struct ws_http_response resp;
        size_t used = 0, err_at = 0;
        enum ws_error e = ws_http_parse_response((const char *)p->buf + p->off, p->len - p->off, 0,
                                                 &resp, &used, &err_at);
        if (e == WS_E_OK) {
            struct ws_offer offer = {.key = key};
            struct ws_response_info info;
            e = ws_handshake_check_response(&resp, &offer, &info);
            if (e != WS_E_OK)
                return fail("handshake response breaks %s (%s); status %d", ws_error_name(e),
                            ws_error_text(e), resp.status);
            p->off += used;
            return true;
        }
        if (e != WS_E_INCOMPLETE)
            return fail("handshake response malformed: %s at byte %zu", ws_error_name(e), err_at);
        long r = recv_some(p, deadline);
        if (r == 0)
            return fail("expected 101, got TCP close");
        if (r < 0)
            return false;
    }
}

static bool open_ws(struct probe *p)
{
    return open_ws_with(p, NULL, 0);
}

/* Send a hand-written request; expect an HTTP refusal with `status` and then TCP close.
 * If header/value are given, the response must carry that header with that value. */
static bool expect_refusal(const char *request, size_t len, int status, const char *header,
                           const char *value)
{
    struct probe p;
    bool ok = false;
    if (!probe_connect(&p))
        goto out;
    if (!send_all(&p, request, len, now_ms() + IO_MS))
        goto out;
    /* the refusal ends with the server closing TCP: read everything up to then */
    uint64_t deadline = now_ms() + IO_MS;
    for (;;) {
        long r = recv_some(&p, deadline);
        if (r == 0)
            break;
        if (r < 0) {
            fail("expected HTTP %d and TCP close: %s", status, g_why);
            goto out;
        }
    }
    struct ws_http_response resp;
    size_t used = 0, err_at = 0;
    enum ws_error e = ws_http_parse_response((const char *)p.buf + p.off, p.len - p.off, 0, &resp,
                                             &used, &err_at);
    if (e != WS_E_OK) {
        fail("expected HTTP %d, got %zu bytes that are no HTTP response (%s at byte %zu)", status,
             p.len - p.off, ws_error_name(e), err_at);
        goto out;
    }
    if (resp.status != status) {
        fail("expected HTTP %d, got HTTP %d", status, resp.status);
        goto out;
    }
    if (header) {
        const struct ws_http_header *h = ws_http_find(resp.headers, resp.n_headers, header, NULL);
        if (!h || h->value.len != strlen(value) || memcmp(h->value.ptr, value, h->value.len)) {
            fail("HTTP %d without \"%s: %s\"", status, header, value);
            goto out;
        }
    }
    ok = true;
out:
    probe_close(&p);
    return ok;
}

/* ------------------------------------------------------------ cases */

static bool close_cleanly(struct probe *p)
{
    return send_close_frame(p, 1000, "bye") && expect_close(p, 1000, IO_MS) &&
           expect_eof(p, PROMPT_MS, NULL);
}

static bool case_handshake(void)
{
    struct probe p;
    bool ok = open_ws(&p) && close_cleanly(&p);
    probe_close(&p);
    return ok;
}

static bool case_echo(uint8_t opcode, const void *data, size_t len, int ms)
{
    struct probe p;
    bool ok = open_ws(&p) && send_msg(&p, opcode, data, len) &&
              expect_frame(&p, opcode, data, len, ms) && close_cleanly(&p);
    probe_close(&p);
    return ok;
}

static bool case_echo_text(void)
{
    static const char t[] = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x98\x80";
    return case_echo(WS_OP_TEXT, t, sizeof t - 1, IO_MS);
}

static bool case_echo_binary(void)
{
    uint8_t b[256];
    for (int i = 0; i < 256; i++)
        b[i] = (uint8_t)i;
    return case_echo(WS_OP_BINARY, b, sizeof b, IO_MS);
}

static bool case_echo_empty(void)
{
    return case_echo(WS_OP_TEXT, "", 0, IO_MS);
}

static bool case_echo_big(void)
{
    uint8_t *b = malloc(BIG_LEN);
    if (!b)
        return fail("out of memory");
    uint64_t s = 1;
    for (size_t i = 0; i < BIG_LEN; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        b[i] = (uint8_t)(s >> 56);
    }
    bool ok = case_echo(WS_OP_BINARY, b, BIG_LEN, BIG_MS);
    free(b);
    return ok;
}

static bool case_fragmented_with_ping(void)
{
    struct probe p;
    struct ws_frame_spec first = {.opcode = WS_OP_TEXT, .masked = true};
    struct ws_frame_spec mid = {.opcode = WS_OP_CONT, .masked = true};
    struct ws_frame_spec last = {.fin = true, .opcode = WS_OP_CONT, .masked = true};
    bool ok = open_ws(&p) && send_frame(&p, first, "Hel", 3) &&
              send_msg(&p, WS_OP_PING, "in between", 10) && send_frame(&p, mid, "lo, ", 4) &&
              send_frame(&p, last, "world", 5) &&
              expect_frame(&p, WS_OP_PONG, "in between", 10, IO_MS) &&
              expect_frame(&p, WS_OP_TEXT, "Hello, world", 12, IO_MS) && close_cleanly(&p);
    probe_close(&p);
    return ok;
}

static bool case_pings(void)
{
    struct probe p;
    if (!open_ws(&p)) {
        probe_close(&p);
        return false;
    }
    /* all ten in one write: the server must answer each, in order */
    uint8_t out[10 * (WS_FRAME_HEADER_MAX + 16)];
    size_t n = 0;
    char pl[10][16];
    for (int i = 0; i < 10; i++) {
        snprintf(pl[i], sizeof pl[i], "ping-%d", i);
        struct ws_frame_spec s = {.fin = true, .opcode = WS_OP_PING, .masked = true};
        s.mask_key[0] = (uint8_t)i;
        size_t w = 0;
        ws_frame_encode(&s, (const uint8_t *)pl[i], strlen(pl[i]), out + n, sizeof out - n, &w);
        n += w;
    }
    bool ok = send_all(&p, out, n, now_ms() + IO_MS);
    for (int i = 0; ok && i < 10; i++)
        ok = expect_frame(&p, WS_OP_PONG, pl[i], strlen(pl[i]), IO_MS);
    ok = ok && close_cleanly(&p);
    probe_close(&p);
    return ok;
}

static bool case_clean_close(void)
{
    struct probe p;
    /* 5.5.1 / 7.1.1: after the closing handshake the server closes TCP first, at once -
     * PROMPT_MS is well below the close timeout, so a drop by timer would fail this */
    bool ok = open_ws(&p) && send_close_frame(&p, 1000, "done") && expect_close(&p, 1000, IO_MS) &&
              expect_eof(&p, PROMPT_MS, NULL);
    probe_close(&p);
    return ok;
}

static bool case_pipelined(void)
{
    uint8_t extra[64];
    size_t n = 0, w = 0;
    struct ws_frame_spec s = {
        .fin = true, .opcode = WS_OP_TEXT, .masked = true, .mask_key = {1, 2, 3, 4}};
    ws_frame_encode(&s, (const uint8_t *)"pipelined", 9, extra, sizeof extra, &w);
    n += w;
    s.opcode = WS_OP_BINARY;
    ws_frame_encode(&s, (const uint8_t *)"\x00\xff", 2, extra + n, sizeof extra - n, &w);
    n += w;
    struct probe p;
    bool ok = open_ws_with(&p, extra, n) && expect_frame(&p, WS_OP_TEXT, "pipelined", 9, IO_MS) &&
              expect_frame(&p, WS_OP_BINARY, "\x00\xff", 2, IO_MS) && close_cleanly(&p);
    probe_close(&p);
    return ok;
}

/* Send these bytes on an open connection; the server must fail it with Close `code`,
 * then, once we answer its Close, close TCP promptly. */
static bool expect_failure(const void *bytes, size_t len, uint16_t code)
{
    struct probe p;
    bool ok =
        open_ws(&p) && send_all(&p, bytes, len, now_ms() + IO_MS) && expect_close(&p, code, IO_MS);
    if (ok) {
        /* complete the closing handshake; the server may already have closed TCP after
         * a frame it cannot resynchronise on, so a failed send is fine here */
        send_close_frame(&p, code, NULL);
        ok = expect_eof(&p, PROMPT_MS, NULL);
    }
    probe_close(&p);
    return ok;
}

static bool failure_frame(struct ws_frame_spec s, const void *payload, size_t len, uint16_t code)
{
    uint8_t out[WS_FRAME_HEADER_MAX + 256];
    size_t n = 0;
    if (!s.mask_key[0])
        memcpy(s.mask_key, "\x5a\xa5\x3c\xc3", 4);
    if (ws_frame_encode(&s, payload, len, out, sizeof out, &n) != WS_E_OK)
        return fail("cannot encode the frame");
    return expect_failure(out, n, code);
}

static bool case_unmasked(void)
{
    struct ws_frame_spec s = {.fin = true, .opcode = WS_OP_TEXT, .masked = false};
    return failure_frame(s, "hello", 5, 1002);
}

static bool case_opcode(uint8_t op)
{
    struct ws_frame_spec s = {.fin = true, .opcode = op, .masked = true};
    return failure_frame(s, "x", 1, 1002);
}

static bool case_opcode_3(void)
{
    return case_opcode(3);
}

static bool case_opcode_b(void)
{
    return case_opcode(0xB);
}

static bool case_rsv(uint8_t rsv)
{
    struct ws_frame_spec s = {.fin = true, .rsv = rsv, .opcode = WS_OP_TEXT, .masked = true};
    return failure_frame(s, "rsv", 3, 1002);
}

static bool case_rsv1(void)
{
    return case_rsv(WS_RSV1);
}

static bool case_rsv2(void)
{
    return case_rsv(WS_RSV2);
}

static bool case_rsv3(void)
{
    return case_rsv(WS_RSV3);
}

static bool case_close_code(uint16_t code)
{
    uint8_t pl[2] = {(uint8_t)(code >> 8), (uint8_t)code};
    struct ws_frame_spec s = {.fin = true, .opcode = WS_OP_CLOSE, .masked = true};
    return failure_frame(s, pl, 2, 1002);
}

static bool case_close_999(void)
{
    return case_close_code(999);
}

static bool case_close_1005(void)
{
    return case_close_code(1005);
}

static bool case_close_1006(void)
{
    return case_close_code(1006);
}

static bool case_close_1_byte(void)
{
    struct ws_frame_spec s = {.fin = true, .opcode = WS_OP_CLOSE, .masked = true};
    return failure_frame(s, "\x03", 1, 1002);
}

static bool case_close_reason_utf8(void)
{
    struct ws_frame_spec s = {.fin = true, .opcode = WS_OP_CLOSE, .masked = true};
    return failure_frame(s,
                         "\x03\xe8"
                         "ab\xc3\x28",
                         6, 1007);
}

static bool case_length_2_62(void)
{
    /* header only: a server that allocated from the length field would try 4 EiB */
    struct ws_frame_spec s = {.fin = true,
                              .opcode = WS_OP_BINARY,
                              .masked = true,
                              .len_form = WS_LEN_64,
                              .len_override = true,
                              .declared_len = 1ull << 62,
                              .mask_key = {9, 8, 7, 6}};
    uint8_t hdr[WS_FRAME_HEADER_MAX];
    size_t n = ws_frame_write_header(&s, 0, hdr);
    return expect_failure(hdr, n, 1009);
}

static bool case_length_not_minimal(void)
{
    struct ws_frame_spec s = {
        .fin = true, .opcode = WS_OP_TEXT, .masked = true, .len_form = WS_LEN_16};
    return failure_frame(s, "short", 5, 1002);
}

static bool case_cont_without_start(void)
{
    struct ws_frame_spec s = {.fin = true, .opcode = WS_OP_CONT, .masked = true};
    return failure_frame(s, "orphan", 6, 1002);
}

static bool case_data_inside_message(void)
{
    uint8_t out[64];
    size_t n = 0, w = 0;
    struct ws_frame_spec a = {.opcode = WS_OP_TEXT, .masked = true, .mask_key = {1, 1, 1, 1}};
    ws_frame_encode(&a, (const uint8_t *)"one", 3, out, sizeof out, &w);
    n += w;
    struct ws_frame_spec b = {
        .fin = true, .opcode = WS_OP_TEXT, .masked = true, .mask_key = {2, 2, 2, 2}};
    ws_frame_encode(&b, (const uint8_t *)"two", 3, out + n, sizeof out - n, &w);
    n += w;
    return expect_failure(out, n, 1002);
}

static bool case_control_too_long(void)
{
    uint8_t pl[126];
    memset(pl, 'p', sizeof pl);
    struct ws_frame_spec s = {.fin = true, .opcode = WS_OP_PING, .masked = true};
    return failure_frame(s, pl, sizeof pl, 1002);
}

static bool case_control_fragmented(void)
{
    struct ws_frame_spec s = {.fin = false, .opcode = WS_OP_PING, .masked = true};
    return failure_frame(s, "frag", 4, 1002);
}

static bool case_text_invalid_utf8(void)
{
    struct ws_frame_spec s = {.fin = true, .opcode = WS_OP_TEXT, .masked = true};
    return failure_frame(s, "ok \xed\xa0\x80 surrogate", 16, 1007);
}

/* 8.1 fail-fast: the Close must come while the message is still unfinished - the probe
 * sends FIN=0 with the bad bytes and then nothing more. */
static bool case_utf8_fail_fast(void)
{
    struct ws_frame_spec s = {
        .fin = false, .opcode = WS_OP_TEXT, .masked = true, .mask_key = {0x11, 0x22, 0x33, 0x44}};
    uint8_t out[64];
    size_t n = 0;
    ws_frame_encode(&s, (const uint8_t *)"valid so far \xf4\x90", 15, out, sizeof out, &n);
    return expect_failure(out, n, 1007);
}

/* After failing, the server waits for our Close only as long as its close timeout. */
static bool case_close_timeout(void)
{
    struct probe p;
    uint8_t out[64];
    size_t n = 0;
    struct ws_frame_spec s = {
        .fin = true, .opcode = WS_OP_TEXT, .masked = true, .mask_key = {7, 7, 7, 7}};
    ws_frame_encode(&s, (const uint8_t *)"\xc0\xaf", 2, out, sizeof out, &n);
    uint64_t took = 0;
    int limit = (int)(g_close_timeout * 3000);
    /* RFC 6455 7.1.7: failing the connection means closing it. The server sends its
     * Close and then its FIN at once, without waiting for our Close (which, after a
     * failure in the middle of a frame, it could not read anyway). */
    bool ok = open_ws(&p) && send_all(&p, out, n, now_ms() + IO_MS) &&
              expect_close(&p, 1007, IO_MS) && expect_eof(&p, limit, &took);
    if (ok && (double)took > g_close_timeout * 1000 * 0.5)
        ok = fail("FIN came after %llu ms; expected it right after the Close, well before the "
                  "%.0f ms close timeout",
                  (unsigned long long)took, g_close_timeout * 1000);
    probe_close(&p);
    return ok;
}

static bool case_handshake_timeout(void)
{
    struct probe p;
    static const char partial[] = "GET / HTTP/1.1\r\nHost: x\r\n";
    uint64_t t0 = now_ms(), took = 0;
    int limit = (int)(g_handshake_timeout * 3000);
    bool ok = probe_connect(&p) && send_all(&p, partial, sizeof partial - 1, t0 + IO_MS) &&
              expect_eof(&p, limit, NULL);
    took = now_ms() - t0;
    if (ok && (double)took < g_handshake_timeout * 1000 * 0.9)
        ok = fail("dropped after %llu ms, before the %.0f ms handshake timeout",
                  (unsigned long long)took, g_handshake_timeout * 1000);
    probe_close(&p);
    return ok;
}

static bool refusal_with(const char *version_line, const char *key_line, int status,
                         const char *header, const char *value)
{
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET /probe HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\n%s%s\r\n",
                     g_hostport, key_line, version_line);
    if (n < 0 || (size_t)n >= sizeof req)
        return fail("request too long");
    return expect_refusal(req, (size_t)n, status, header, value);
}

static bool case_wrong_version(void)
{
    return refusal_with("Sec-WebSocket-Version: 8\r\n",
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", 426,
                        "Sec-WebSocket-Version", "13");
}

static bool case_missing_key(void)
{
    return refusal_with("Sec-WebSocket-Version: 13\r\n", "", 400, NULL, NULL);
}

static bool case_headers_too_large(void)
{
    /* 12 KiB of header fields against the 8 KiB bound */
    size_t cap = 16384, n = 0;
    char *req = malloc(cap);
    if (!req)
        return fail("out of memory");
    int w = snprintf(req, cap, "GET /probe HTTP/1.1\r\nHost: %s\r\n", g_hostport);
    n = (size_t)w;
    for (int i = 0; n < 12288; i++) {
        w = snprintf(req + n, cap - n, "X-Filler-%03d: %0100d\r\n", i, i);
        n += (size_t)w;
    }
    w = snprintf(
        req + n, cap - n,
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    n += (size_t)w;
    bool ok = expect_refusal(req, n, 431, NULL, NULL);
    free(req);
    return ok;
}

/* --expect-shutdown: hold one open connection, say so on stdout, and expect the
 * server's Close 1001 (7.4.1 "going away") once it is told to stop, then TCP close
 * promptly after our answer. The caller signals the server after reading the line. */
static int run_expect_shutdown(void)
{
    struct probe p;
    bool ok = open_ws(&p);
    if (ok) {
        printf("holding an open connection\n");
        fflush(stdout);
        ok = expect_close(&p, 1001, 60000) && send_close_frame(&p, 1001, NULL) &&
             expect_eof(&p, PROMPT_MS, NULL);
    }
    probe_close(&p);
    printf("%s shutdown: open connection gets Close 1001, then TCP close%s%s\n",
           ok ? "PASS" : "FAIL", ok ? "" : ": ", ok ? "" : g_why);
    return ok ? 0 : 1;
}

/* Seeded noise: the same bytes every run, so a failure can be replayed. */
static void noise(uint8_t *out, size_t n, uint64_t seed)
{
    key_random(&seed, out, n);
}

static bool case_noise_request(void)
{
    uint8_t junk[16384];
    noise(junk, sizeof junk, 1);
    return expect_refusal((const char *)junk, sizeof junk, 400, NULL, NULL);
}

/* 64 KiB of noise after a good handshake: some rule breaks within it, and the answer
 * is a Close naming a protocol error (1002), bad data (1007) or a size limit (1009). */
static bool case_noise_frames(void)
{
    static uint8_t junk[65536];
    noise(junk, sizeof junk, 2);
    junk[0] = 0x82; /* a binary frame header first, so the noise is a frame's */
    junk[1] = 0xff; /* masked, 64-bit length: the 8 length bytes are noise too */
    struct probe p;
    bool ok = open_ws(&p) && send_all(&p, junk, sizeof junk, now_ms() + IO_MS);
    if (ok) {
        struct frame f = {0};
        int r = read_frame(&p, now_ms() + IO_MS, &f);
        uint16_t code = 0;
        const uint8_t *reason;
        size_t rlen;
        if (r != 1 || f.opcode != WS_OP_CLOSE ||
            ws_close_parse(f.data, f.len, &code, &reason, &rlen, NULL) != WS_E_OK ||
            (code != 1002 && code != 1007 && code != 1009))
            ok = fail("expected Close 1002, 1007 or 1009, got %s",
                      r == 1 ? opname(f.opcode) : "no frame");
        free(f.data);
        if (ok) {
            send_close_frame(&p, code, NULL);
            ok = expect_eof(&p, PROMPT_MS, NULL);
        }
    }
    probe_close(&p);
    return ok;
}

/* ------------------------------------------------------------ main */

struct probe_case {
    const char *name;
    bool (*run)(void);
};

static const struct probe_case cases[] = {
    {"handshake: 101 with the right Sec-WebSocket-Accept", case_handshake},
    {"echo: text (non-ASCII)", case_echo_text},
    {"echo: binary", case_echo_binary},
    {"echo: empty text", case_echo_empty},
    {"echo: fragmented text with a ping in between", case_fragmented_with_ping},
    {"echo: 16 MiB binary message intact", case_echo_big},
    {"echo: frames pipelined behind the request", case_pipelined},
    {"ping: 10 pings in a row -> 10 pongs in order", case_pings},
    {"close: 1000 answered with 1000, then TCP closed promptly", case_clean_close},
    {"utf8: invalid inside an unfinished message -> 1007 before it ends", case_utf8_fail_fast},
    {"utf8: invalid text message -> 1007", case_text_invalid_utf8},
    {"frame: unmasked -> 1002", case_unmasked},
    {"frame: reserved opcode 3 -> 1002", case_opcode_3},
    {"frame: reserved opcode 0xB -> 1002", case_opcode_b},
    {"frame: RSV1 -> 1002", case_rsv1},
    {"frame: RSV2 -> 1002", case_rsv2},
    {"frame: RSV3 -> 1002", case_rsv3},
    {"frame: length 2^62 -> 1009", case_length_2_62},
    {"frame: non-minimal length -> 1002", case_length_not_minimal},
    {"frame: control payload of 126 bytes -> 1002", case_control_too_long},
    {"frame: fragmented ping -> 1002", case_control_fragmented},
    {"sequence: continuation without start -> 1002", case_cont_without_start},
    {"sequence: new message inside a fragmented one -> 1002", case_data_inside_message},
    {"close: code 999 -> 1002", case_close_999},
    {"close: code 1005 -> 1002", case_close_1005},
    {"close: code 1006 -> 1002", case_close_1006},
    {"close: 1-byte payload -> 1002", case_close_1_byte},
    {"close: reason not UTF-8 -> 1007", case_close_reason_utf8},
    {"close: after failing, FIN follows the Close at once (7.1.7)", case_close_timeout},
    {"http: version 8 -> 426 with Sec-WebSocket-Version: 13", case_wrong_version},
    {"http: no Sec-WebSocket-Key -> 400", case_missing_key},
    {"http: 12 KiB header block -> 431", case_headers_too_large},
    {"http: 16 KiB of noise instead of a request -> 400", case_noise_request},
    {"frame: 64 KiB of noise after the handshake -> Close 1002/1007/1009", case_noise_frames},
    {"http: unfinished handshake -> dropped at the handshake timeout", case_handshake_timeout},
};

/* ws://HOST:PORT/ (HOST numeric; [v6] in brackets) into g_addr and g_hostport. */
static bool parse_url(const char *url)
{
    const char *s = url;
    if (strncmp(s, "ws://", 5) != 0)
        return false;
    s += 5;
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

static bool parse_seconds(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > 60)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    const char *url = NULL;
    bool expect_shutdown = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--expect-shutdown") == 0) {
            expect_shutdown = true;
        } else if (strcmp(argv[i], "--handshake-timeout") == 0 && i + 1 < argc) {
            if (!parse_seconds(argv[++i], &g_handshake_timeout))
                goto usage;
        } else if (strcmp(argv[i], "--close-timeout") == 0 && i + 1 < argc) {
            if (!parse_seconds(argv[++i], &g_close_timeout))
                goto usage;
        } else if (!url && argv[i][0] != '-') {
            url = argv[i];
        } else {
            goto usage;
        }
    }
    if (!url || !parse_url(url))
        goto usage;
    if (expect_shutdown)
        return run_expect_shutdown();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        g_why[0] = '\0';
        uint64_t t0 = now_ms();
        bool ok = cases[i].run();
        unsigned long long ms = (unsigned long long)(now_ms() - t0);
        if (ok) {
            g_passed++;
            printf("PASS %s (%llu ms)\n", cases[i].name, ms);
        } else {
            g_failed++;
            printf("FAIL %s: %s\n", cases[i].name, g_why[0] ? g_why : "(no detail)");
        }
        fflush(stdout);
    }
    printf("%s: %d passed, %d failed\n", url, g_passed, g_failed);
    return g_failed ? 1 : 0;
usage:
    fprintf(stderr, "usage: itest_echo_probe ws://HOST:PORT/ [--handshake-timeout S] "
                    "[--close-timeout S] [--expect-shutdown]   (S: seconds, 0 < S <= 60)\n");
    return 2;
}

/*
 * bench_frame.c - throughput of the receive path: frame parse + unmask + UTF-8
 * validation, for 1 MiB masked text frames and for 16-byte frames, each printed next
 * to memcpy of the same bytes and as a ratio (goal: >= 0.5x memcpy on large ASCII
 * text). Also the whole endpoint path (ws_conn: reassembly copy included).
 *
 * The frames are masked with the all-zero key: a legal key that costs the same XOR
 * work, and it leaves the buffer unchanged, so the same bytes can be decoded again
 * and again without re-masking between rounds (which would distort the figure).
 * This is a benchmark, not a test: it prints figures and fails only if decoding does.
 */
#define _POSIX_C_SOURCE 200809L
#include "ws_conn.h"
#include "ws_frame.h"
#include "ws_utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Bytes handed to the decoder per call: 0 = the whole buffer at once; otherwise the
 * size of one socket read (the echo endpoint reads 64 KiB at a time). */
static size_t read_size;

/* Parse + unmask + validate every frame of buf once; returns payload bytes seen. */
static size_t decode_all(uint8_t *buf, size_t len)
{
    struct ws_frame_decoder d;
    struct ws_frame_rules rules = {.role = WS_ROLE_SERVER};
    struct ws_utf8 v;
    ws_frame_decoder_init(&d, &rules);
    size_t off = 0, payload = 0;
    for (;;) {
        size_t n, avail = len - off;
        if (read_size && avail > read_size - off % read_size)
            avail = read_size - off % read_size; /* stop at the read's end */
        struct ws_frame_event ev;
        if (ws_frame_decode(&d, buf + off, avail, &n, &ev) != WS_E_OK) {
            fprintf(stderr, "bench: decode error\n");
            exit(1);
        }
        off += n;
        if (ev.type == WS_FRAME_NONE) {
            if (off == len)
                return payload;
            continue; /* the next read */
        }
        if (ev.type == WS_FRAME_HEADER) {
            ws_utf8_init(&v);
        } else if (ev.type == WS_FRAME_PAYLOAD) {
            if (ws_utf8_feed(&v, ev.data, ev.len, NULL) != WS_E_OK) {
                fprintf(stderr, "bench: utf8 error\n");
                exit(1);
            }
            payload += ev.len;
        } else if (ws_utf8_finish(&v) != WS_E_OK) {
            fprintf(stderr, "bench: utf8 end error\n");
            exit(1);
        }
    }
}

/* Frames of `each` payload bytes filling about `total` bytes; text from `alphabet`. */
static uint8_t *make_frames(size_t each, size_t count, const char *alphabet, size_t *len)
{
    size_t frame = each + WS_FRAME_HEADER_MAX;
    uint8_t *buf = malloc(frame * count), *pl = malloc(each);
    size_t alen = strlen(alphabet), n = 0;
    if (!buf || !pl)
        exit(1);
    /* repeat the alphabet, never cutting a multi-byte character */
    for (size_t i = 0; i + alen <= each; i += alen)
        memcpy(pl + i, alphabet, alen);
    for (size_t i = each - each % alen; i < each; i++)
        pl[i] = 'x';
    struct ws_frame_spec s = {.fin = true, .opcode = WS_OP_TEXT, .masked = true};
    for (size_t i = 0; i < count; i++) {
        size_t w;
        if (ws_frame_encode(&s, pl, each, buf + n, frame * count - n, &w) != WS_E_OK)
            exit(1);
        n += w;
    }
    free(pl);
    *len = n;
    return buf;
}

/* Run fn repeatedly for about `seconds`; return bytes per second. */
static double rate_decode(uint8_t *buf, size_t len, double seconds, size_t *payload)
{
    size_t rounds = 0;
    double t0 = now(), t;
    do {
        *payload = decode_all(buf, len);
        rounds++;
    } while ((t = now()) - t0 < seconds);
    return (double)*payload * (double)rounds / (t - t0);
}

static double rate_memcpy(const uint8_t *buf, size_t len, double seconds)
{
    uint8_t *dst = malloc(len);
    if (!dst)
        exit(1);
    size_t rounds = 0;
    double t0 = now(), t;
    do {
        memcpy(dst, buf, len);
        __asm__ __volatile__("" : : "r"(dst) : "memory"); /* keep the copy */
        rounds++;
    } while ((t = now()) - t0 < seconds);
    free(dst);
    return (double)len * (double)rounds / (t - t0);
}

static void on_msg(struct ws_conn *c, enum ws_opcode op, const uint8_t *d, size_t len, void *u)
{
    (void)c, (void)op, (void)d;
    *(size_t *)u += len;
}

/* The whole endpoint: handshake once, then the frames through ws_conn_recv (which
 * copies each message into its reassembly buffer). */
static double rate_conn(uint8_t *buf, size_t len, double seconds)
{
    static const char req[] =
        "GET / HTTP/1.1\r\nHost: b\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n";
    size_t got = 0;
    struct ws_conn c;
    struct ws_conn_config cfg = {.role = WS_ROLE_SERVER, .user = &got};
    cfg.cb.on_message = on_msg;
    if (ws_conn_init(&c, &cfg) != WS_E_OK)
        exit(1);
    uint8_t r[sizeof req];
    memcpy(r, req, sizeof req);
    if (ws_conn_recv(&c, r, sizeof req - 1) != WS_E_OK)
        exit(1);
    const uint8_t *p;
    ws_conn_sent(&c, ws_conn_pending(&c, &p));
    double t0 = now(), t;
    do {
        if (ws_conn_recv(&c, buf, len) != WS_E_OK) {
            fprintf(stderr, "bench: conn error\n");
            exit(1);
        }
    } while ((t = now()) - t0 < seconds);
    ws_conn_free(&c);
    return (double)got / (t - t0);
}

static void line(const char *what, double rate, double base)
{
    printf("  %-44s %8.2f GB/s   memcpy %6.2f GB/s   ratio %.2fx\n", what, rate / 1e9, base / 1e9,
           rate / base);
}

int main(void)
{
    const double secs = 0.7;
    size_t len, payload;
    printf("bench_frame: parse + unmask + UTF-8 validate (server role, masked text frames)\n");

    uint8_t *big = make_frames(1u << 20, 8, "The quick brown fox jumps over the lazy dog. ", &len);
    double base = rate_memcpy(big, len, secs);
    line("1 MiB frames, ASCII text, whole buffer", rate_decode(big, len, secs, &payload), base);
    read_size = 65536;
    line("1 MiB frames, ASCII text, 64 KiB reads", rate_decode(big, len, secs, &payload), base);
    line("1 MiB frames, ASCII text, through ws_conn", rate_conn(big, len, secs), base);
    free(big);

    big = make_frames(1u << 20, 8,
                      "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 f\xc3\xbc\xc3\xb1"
                      "f ",
                      &len);
    base = rate_memcpy(big, len, secs);
    line("1 MiB frames, mixed UTF-8 (2-3 byte chars)", rate_decode(big, len, secs, &payload), base);
    free(big);

    uint8_t *small = make_frames(16, 65536, "abcdefghijklmnop", &len);
    base = rate_memcpy(small, len, secs);
    double r = rate_decode(small, len, secs, &payload);
    /* for small frames the figure that matters is frames per second; the ratio
     * compares payload bytes decoded with memcpy of the whole wire bytes */
    line("16-byte frames (payload bytes)", r, base);
    printf("  %-44s %8.1f M frames/s\n", "16-byte frames", r / 16 / 1e6);
    free(small);
    return 0;
}

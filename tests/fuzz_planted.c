/*
 * fuzz_planted.c - a test-only variant of `wsspec echo` with bugs planted on purpose,
 * for the tests of `wsspec fuzz` (tests/itest_fuzz.sh): the real echo endpoint's code,
 * linked with -Wl,--wrap=ws_conn_recv,--wrap=ws_conn_free so that this file sees every
 * byte a client sends (and every connection's end) before the core does. The real echo
 * (reference/echo/) has none of this.
 *
 * WSSPEC_PLANT (a comma list) says which bugs are live:
 *   crash     SIGSEGV on an opening request with both an Origin and a
 *             Sec-WebSocket-Protocol header line (one header combination)
 *   hang      the whole process stops (pause() forever) after a ping frame directly
 *             followed by a pong frame (one frame sequence)
 *   leak      4 MiB allocated, touched and never freed per connection that sends a pong
 *   protocol  a masked ping frame sent (a server must not mask, RFC 6455 5.1) in answer
 *             to a ping with an empty payload
 *   gone      exit(0) on a Close frame with code 3000
 *   ubsan     a signed overflow (UBSan "runtime error", the process goes on) on a binary
 *             frame of 7 bytes or more
 * A client's frames are decoded here just enough to see opcodes, lengths and the first
 * two payload bytes (the close code), unmasked with the frame's key.
 */
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "echo/echo_cli.h"
#include "ws_conn.h"

enum ws_error __real_ws_conn_recv(struct ws_conn *c, uint8_t *in, size_t len);
enum ws_error __wrap_ws_conn_recv(struct ws_conn *c, uint8_t *in, size_t len);
void __real_ws_conn_free(struct ws_conn *c);
void __wrap_ws_conn_free(struct ws_conn *c);

#define SLOTS 1024
#define REQ_MAX 16384

struct watch {
    const struct ws_conn *c; /* NULL: free slot */
    char req[REQ_MAX];
    size_t req_len;
    bool opened;     /* past the request's empty line */
    uint8_t hdr[14]; /* the frame header being read */
    size_t hdr_len;
    uint64_t left; /* payload bytes of the current frame still to come */
    uint64_t plen; /* its length */
    uint64_t at;   /* payload offset */
    uint8_t op, prev_op, mask[4], head[2];
    bool masked, in_payload;
};

static struct watch slots[SLOTS];
static bool plant_crash, plant_hang, plant_leak, plant_protocol, plant_gone, plant_ubsan;
static void *volatile leaked; /* keeps the compiler from dropping the leak */

static void plants_read(void)
{
    const char *e = getenv("WSSPEC_PLANT");
    if (!e)
        return;
    plant_crash = strstr(e, "crash") != NULL;
    plant_hang = strstr(e, "hang") != NULL;
    plant_leak = strstr(e, "leak") != NULL;
    plant_protocol = strstr(e, "protocol") != NULL;
    plant_gone = strstr(e, "gone") != NULL;
    plant_ubsan = strstr(e, "ubsan") != NULL;
}

static struct watch *watch_of(const struct ws_conn *c)
{
    struct watch *free_slot = NULL;
    for (size_t i = 0; i < SLOTS; i++) {
        if (slots[i].c == c)
            return &slots[i];
        if (!slots[i].c && !free_slot)
            free_slot = &slots[i];
    }
    if (free_slot) {
        memset(free_slot, 0, sizeof *free_slot);
        free_slot->c = c;
    }
    return free_slot;
}

/* A header line called name (any case) at the start of a line of the request. */
static bool has_header(const struct watch *w, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i + n + 2 < w->req_len; i++)
        if ((i == 0 || w->req[i - 1] == '\n') && strncasecmp(w->req + i, name, n) == 0 &&
            w->req[i + n] == ':')
            return true;
    return false;
}

static void request_done(struct watch *w)
{
    if (plant_crash && has_header(w, "Origin") && has_header(w, "Sec-WebSocket-Protocol"))
        raise(SIGSEGV);
}

static void frame_done(struct ws_conn *c, struct watch *w)
{
    if (plant_hang && w->prev_op == 0x9 && w->op == 0xA) {
        signal(SIGTERM, SIG_DFL); /* hung, but stoppable without SIGKILL's grace period */
        for (;;)
            pause();
    }
    if (plant_leak && w->op == 0xA) {
        char *p = malloc(4u << 20);
        if (p)
            memset(p, 0x5a, 4u << 20);
        leaked = p;
    }
    if (plant_protocol && w->op == 0x9 && w->plen == 0) {
        static const uint8_t masked_ping[] = {0x89, 0x80, 1, 2, 3, 4};
        ws_conn_send_raw(c, masked_ping, sizeof masked_ping);
    }
    if (plant_gone && w->op == 0x8 && w->plen >= 2 && (w->head[0] << 8 | w->head[1]) == 3000)
        exit(0);
    if (plant_ubsan && w->op == 0x2 && w->plen >= 7) {
        volatile int big = INT_MAX - 6;
        int sum = big + (int)w->plen; /* overflows: the planted undefined behaviour */
        leaked = (void *)(intptr_t)sum;
    }
    w->prev_op = w->op;
}

/* The header's length once its first two bytes are known (2..14). */
static size_t header_need(const uint8_t *h)
{
    size_t n = 2 + ((h[1] & 0x80) ? 4 : 0);
    if ((h[1] & 0x7f) == 126)
        n += 2;
    else if ((h[1] & 0x7f) == 127)
        n += 8;
    return n;
}

static void header_done(struct ws_conn *c, struct watch *w)
{
    uint8_t *h = w->hdr;
    size_t k = 2;
    uint64_t len = h[1] & 0x7f;
    if (len == 126) {
        len = (uint64_t)h[2] << 8 | h[3];
        k = 4;
    } else if (len == 127) {
        len = 0;
        for (k = 2; k < 10; k++)
            len = len << 8 | h[k];
    }
    w->masked = h[1] & 0x80;
    if (w->masked)
        memcpy(w->mask, h + k, 4);
    w->op = h[0] & 0x0f;
    w->plen = w->left = len;
    w->at = 0;
    w->hdr_len = 0;
    w->in_payload = len > 0;
    if (!w->in_payload)
        frame_done(c, w);
}

static void frame_byte(struct ws_conn *c, struct watch *w, uint8_t b)
{
    if (w->in_payload) {
        if (w->at < 2)
            w->head[w->at] = w->masked ? (uint8_t)(b ^ w->mask[w->at & 3]) : b;
        w->at++;
        if (--w->left == 0) {
            w->in_payload = false;
            frame_done(c, w);
        }
        return;
    }
    w->hdr[w->hdr_len++] = b;
    if (w->hdr_len >= 2 && w->hdr_len == header_need(w->hdr))
        header_done(c, w);
}

static void watch_bytes(struct ws_conn *c, struct watch *w, const uint8_t *in, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (w->opened) {
            frame_byte(c, w, in[i]);
            continue;
        }
        if (w->req_len < REQ_MAX)
            w->req[w->req_len++] = (char)in[i];
        if (w->req_len >= 4 && memcmp(w->req + w->req_len - 4, "\r\n\r\n", 4) == 0) {
            w->opened = true;
            request_done(w);
        }
    }
}

enum ws_error __wrap_ws_conn_recv(struct ws_conn *c, uint8_t *in, size_t len)
{
    struct watch *w = watch_of(c);
    if (w)
        watch_bytes(c, w, in, len); /* before the core: in may be unmasked in place */
    return __real_ws_conn_recv(c, in, len);
}

void __wrap_ws_conn_free(struct ws_conn *c)
{
    for (size_t i = 0; i < SLOTS; i++)
        if (slots[i].c == c)
            slots[i].c = NULL;
    __real_ws_conn_free(c);
}

int main(int argc, char **argv)
{
    plants_read();
    return echo_cli_main(argc, argv);
}

/*
 * bench_deflate.c - what permessage-deflate costs wsspec over the exact message stream
 * of Autobahn's sections 12 and 13, single-threaded, and the memory one direction holds.
 *
 * The stream (the catalogue's section 1.10): 216 cases, 1000 messages each. 12.1-12.5
 * take the five payload files (harness/testdata.c), 13.1-13.7 the JSON file with seven
 * parameter sets; each of the 18 rows of a section has a message length LEN (16 bytes to
 * 128 KiB) and an auto-fragment size for the compressed bytes (0, 256, 1024, 4096 or
 * 32768). Message k is LEN units from offset k * LEN of its file taken as a ring (code
 * points for the text files, bytes for the binary ones).
 *
 * The floor is the work one message direction needs: the client compresses (Autobahn's
 * offers all carry client_no_context_takeover, so every message starts with an empty
 * window; the window is the case's client_max_window_bits: 9 for 13.3, 13.5 and 13.7,
 * else 15) with ws_deflate_message at WS_DEFLATE_DEFAULT_LEVEL, and the server inflates
 * with ws_inflate_feed in the case's fragments and ws_inflate_finish, the output copied
 * into a message buffer. For comparison the same whole-message work with zlib at level 6
 * (ws_deflate too) and with libdeflate at levels 1 and 6 (one buffer in, one buffer out;
 * libdeflate has no window setting: it always uses 32 KiB).
 *
 * All of the stream is about 11 GB of plain data, and the four engines take about 11
 * minutes over it on one core of the development machine (the floor alone about 3.5),
 * so by default every 10th message of every case is measured and the times multiplied
 * by 10 (--every N; --every 1 for all of it; --floor for the floor alone). The messages
 * are built and checked outside the timed calls. This is a benchmark,
 * not a test: it prints figures and fails only if a round trip does.
 */
#define _POSIX_C_SOURCE 200809L
#include "testdata.h"
#include "ws_deflate.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef WS_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_deflate: %s\n", what);
    exit(1);
}

/* ------------------------------------------------------------ the stream */

/* The message-size table shared by 12.j.i and 13.j.i (i = 1..18). */
static const struct {
    size_t len, frag;
} rows[18] = {
    {16, 0},      {64, 0},      {256, 0},      {1024, 0},      {4096, 0},      {8192, 0},
    {16384, 0},   {32768, 0},   {65536, 0},    {131072, 0},    {8192, 256},    {16384, 256},
    {32768, 256}, {65536, 256}, {131072, 256}, {131072, 1024}, {131072, 4096}, {131072, 32768},
};

static const struct {
    const char *id;
    enum testdata_kind kind;
    uint8_t client_bits; /* the window the client compresses with */
} sections[] = {
    {"12.1", TESTDATA_JSON, 15}, {"12.2", TESTDATA_BITMAP, 15}, {"12.3", TESTDATA_PROSE, 15},
    {"12.4", TESTDATA_HTML, 15}, {"12.5", TESTDATA_PACKED, 15}, {"13.1", TESTDATA_JSON, 15},
    {"13.2", TESTDATA_JSON, 15}, {"13.3", TESTDATA_JSON, 9},    {"13.4", TESTDATA_JSON, 15},
    {"13.5", TESTDATA_JSON, 9},  {"13.6", TESTDATA_JSON, 15},   {"13.7", TESTDATA_JSON, 9},
};
#define N_SECTIONS (sizeof sections / sizeof sections[0])
#define COUNT 1000 /* messages per case */

/* A payload file as a ring of units: unit i starts at byte at[i]; at[units] = len. */
struct ring {
    uint8_t *data;
    size_t len, units;
    size_t *at;
};

static void ring_make(struct ring *r, enum testdata_kind k)
{
    const struct testdata_info *info = testdata_info(k);
    r->data = testdata_make(k);
    r->len = info->len;
    r->at = malloc((r->len + 1) * sizeof *r->at);
    if (!r->data || !r->at)
        die("out of memory");
    r->units = 0;
    for (size_t i = 0; i < r->len; i++)
        if (!info->text || (r->data[i] & 0xC0) != 0x80) /* a code point starts here */
            r->at[r->units++] = i;
    r->at[r->units] = r->len;
}

/* Message k of a case with messages of len units into out; returns its bytes. */
static size_t ring_message(const struct ring *r, size_t len, size_t k, uint8_t *out)
{
    size_t u0 = (size_t)(((unsigned long long)k * len) % r->units), u1 = u0 + len;
    if (u1 <= r->units) {
        size_t n = r->at[u1] - r->at[u0];
        memcpy(out, r->data + r->at[u0], n);
        return n;
    }
    size_t head = r->len - r->at[u0], tail = r->at[u1 - r->units];
    memcpy(out, r->data + r->at[u0], head);
    memcpy(out + head, r->data, tail);
    return head + tail;
}

/* ------------------------------------------------------------ the engines */

enum engine { ZLIB_1, ZLIB_6, LIBDEFLATE_1, LIBDEFLATE_6, N_ENGINES };
static const char *engine_names[N_ENGINES] = {"zlib level 1 (ws_deflate: the floor)",
                                              "zlib level 6 (ws_deflate)", "libdeflate level 1",
                                              "libdeflate level 6"};

struct tally {
    double deflate_s, inflate_s;
    unsigned long long plain, packed, messages;
};

struct copy_sink {
    uint8_t *out;
    size_t len;
};

static enum ws_error copy_out(void *ud, const uint8_t *data, size_t len)
{
    struct copy_sink *c = ud;
    memcpy(c->out + c->len, data, len);
    c->len += len;
    return WS_E_OK;
}

/* One message through ws_deflate and back; returns the compressed length. */
static size_t run_zlib(int level, uint8_t bits, size_t frag, const uint8_t *msg, size_t n,
                       uint8_t *z, size_t zcap, uint8_t *back, struct tally *t)
{
    struct ws_deflater d;
    struct ws_deflate_config dc = {
        .window_bits = bits, .no_context_takeover = true, .level = level};
    struct ws_inflater f;
    struct ws_inflate_config ic = {
        .window_bits = bits, .no_context_takeover = true, .max_message = (uint64_t)n + 1};
    if (ws_deflater_init(&d, &dc) != WS_E_OK || ws_inflater_init(&f, &ic) != WS_E_OK)
        die("init");
    size_t zn = 0;
    double t0 = now();
    if (ws_deflate_message(&d, msg, n, z, zcap, &zn) != WS_E_OK)
        die("ws_deflate_message");
    double t1 = now();
    struct copy_sink c = {back, 0};
    size_t step = frag ? frag : zn, pos = 0;
    do {
        size_t k = zn - pos < step ? zn - pos : step;
        if (ws_inflate_feed(&f, z + pos, k, copy_out, &c) != WS_E_OK)
            die("ws_inflate_feed");
        pos += k;
    } while (pos < zn);
    if (ws_inflate_finish(&f, copy_out, &c) != WS_E_OK)
        die("ws_inflate_finish");
    double t2 = now();
    if (c.len != n || memcmp(back, msg, n) != 0)
        die("zlib round trip differs");
    ws_deflater_free(&d);
    ws_inflater_free(&f);
    t->deflate_s += t1 - t0;
    t->inflate_s += t2 - t1;
    return zn;
}

#ifdef WS_HAVE_LIBDEFLATE
static struct libdeflate_compressor *ldc[10];
static struct libdeflate_decompressor *ldd;

static size_t run_libdeflate(int level, const uint8_t *msg, size_t n, uint8_t *z, size_t zcap,
                             uint8_t *back, struct tally *t)
{
    if (!ldc[level] && !(ldc[level] = libdeflate_alloc_compressor(level)))
        die("libdeflate_alloc_compressor");
    if (!ldd && !(ldd = libdeflate_alloc_decompressor()))
        die("libdeflate_alloc_decompressor");
    size_t got = 0;
    double t0 = now();
    size_t zn = libdeflate_deflate_compress(ldc[level], msg, n, z, zcap);
    double t1 = now();
    if (zn == 0 || libdeflate_deflate_decompress(ldd, z, zn, back, n, &got) != LIBDEFLATE_SUCCESS)
        die("libdeflate");
    double t2 = now();
    if (got != n || memcmp(back, msg, n) != 0)
        die("libdeflate round trip differs");
    t->deflate_s += t1 - t0;
    t->inflate_s += t2 - t1;
    return zn;
}
#endif

/* ------------------------------------------------------------ figures */

static void print_tally(const char *name, const struct tally *t, unsigned every)
{
    double ds = t->deflate_s * every, is = t->inflate_s * every,
           mb = (double)t->plain * every / 1e6;
    printf("  %-38s deflate %7.2f s  inflate %6.2f s  total %7.2f s  %7.1f MB/s  size %5.1f%%\n",
           name, ds, is, ds + is, mb / (ds + is), 100.0 * (double)t->packed / (double)t->plain);
}

/* ws_deflater_memory / ws_inflater_memory after one message with context takeover. */
static void print_memory(void)
{
    static uint8_t plain[20000], z[30000], back[20000];
    for (size_t i = 0; i < sizeof plain; i++) /* text-like: words of a few letters */
        plain[i] = (uint8_t)(i % 7 == 6 ? ' ' : 'a' + (i * 2654435761u >> 13) % 8);
    printf("bench_deflate: memory held after one message with context takeover (bytes)\n");
    printf("  window  deflater memLevel 8 (1 / 9)   inflater\n");
    for (uint8_t bits = 8; bits <= 15; bits++) {
        size_t dm[3];
        static const int mems[3] = {8, 1, 9};
        size_t im = 0;
        for (int m = 0; m < 3; m++) {
            struct ws_deflater d;
            struct ws_deflate_config dc = {.window_bits = bits, .mem_level = mems[m]};
            struct ws_inflater f;
            struct ws_inflate_config ic = {.window_bits = bits, .max_message = sizeof back};
            size_t zn = 0;
            struct copy_sink c = {back, 0};
            if (ws_deflater_init(&d, &dc) != WS_E_OK || ws_inflater_init(&f, &ic) != WS_E_OK ||
                ws_deflate_message(&d, plain, sizeof plain, z, sizeof z, &zn) != WS_E_OK ||
                ws_inflate_feed(&f, z, zn, copy_out, &c) != WS_E_OK ||
                ws_inflate_finish(&f, copy_out, &c) != WS_E_OK)
                die("memory round trip");
            dm[m] = ws_deflater_memory(&d);
            im = ws_inflater_memory(&f);
            ws_deflater_free(&d);
            ws_inflater_free(&f);
        }
        printf("  %6u  %8zu (%zu / %zu)%*s%8zu\n", bits, dm[0], dm[1], dm[2], bits < 11 ? 6 : 4, "",
               im);
    }
    printf("  (without context takeover both hold 0 between messages)\n");
}

int main(int argc, char **argv)
{
    unsigned every = 10;
    bool floor_only = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--floor") == 0) {
            floor_only = true;
        } else if (strcmp(argv[i], "--every") == 0 && i + 1 < argc) {
            char *end = NULL;
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (!end || *end || v < 1 || v > COUNT)
                die("--every N: 1 to 1000");
            every = (unsigned)v;
        } else {
            fprintf(stderr, "usage: bench_deflate [--every N] [--floor]\n"
                            "  --every N  measure every Nth message of each case (default 10; "
                            "1 = all of them)\n"
                            "  --floor    zlib level 1 only, no comparisons\n");
            return 2;
        }
    }
    print_memory();

    struct ring rings[TESTDATA_N];
    for (int k = 0; k < TESTDATA_N; k++)
        ring_make(&rings[k], (enum testdata_kind)k);
    size_t maxmsg = 131072 * 4; /* 128 Ki code points of at most 4 bytes */
    size_t zcap = maxmsg + maxmsg / 4 + 4096;
    uint8_t *msg = malloc(maxmsg), *z = malloc(zcap), *back = malloc(maxmsg);
    if (!msg || !z || !back)
        die("out of memory");

    struct tally total[N_ENGINES] = {{0}}, floor_by[N_SECTIONS] = {{0}};
    int engines = 2;
#ifdef WS_HAVE_LIBDEFLATE
    engines = N_ENGINES;
#endif
    if (floor_only)
        engines = 1;
    double wall0 = now();
    for (size_t s = 0; s < N_SECTIONS; s++) {
        const struct ring *r = &rings[sections[s].kind];
        for (size_t row = 0; row < 18; row++) {
            for (size_t k = 0; k < COUNT; k += every) {
                size_t n = ring_message(r, rows[row].len, k, msg);
                for (int e = 0; e < engines; e++) {
                    struct tally *t = &total[e];
                    double d0 = t->deflate_s, i0 = t->inflate_s;
                    size_t zn = 0;
                    if (e == ZLIB_1 || e == ZLIB_6) {
                        zn = run_zlib(e == ZLIB_1 ? WS_DEFLATE_DEFAULT_LEVEL : 6,
                                      sections[s].client_bits, rows[row].frag, msg, n, z, zcap,
                                      back, t);
                    }
#ifdef WS_HAVE_LIBDEFLATE
                    else {
                        zn = run_libdeflate(e == LIBDEFLATE_1 ? 1 : 6, msg, n, z, zcap, back, t);
                    }
#endif
                    t->plain += n;
                    t->packed += zn;
                    t->messages++;
                    if (e == ZLIB_1) {
                        struct tally *fb = &floor_by[s];
                        fb->deflate_s += t->deflate_s - d0;
                        fb->inflate_s += t->inflate_s - i0;
                        fb->plain += n;
                        fb->packed += zn;
                        fb->messages++;
                    }
                }
            }
        }
    }
    double wall = now() - wall0;
    printf("bench_deflate: Autobahn 12.x and 13.x, %zu cases x %d messages, %.2f GB of plain "
           "data; measured every %u%s message (%llu of them, %.1f s wall), figures x%u\n",
           N_SECTIONS * 18, COUNT, (double)total[ZLIB_1].plain * every / 1e9, every,
           every == 1 ? "" : "th", total[ZLIB_1].messages, wall, every);
    for (int e = 0; e < N_ENGINES; e++) {
        if (e >= engines) {
            if (!floor_only)
                printf("  %-38s libdeflate not installed (apt-get install libdeflate-dev)\n",
                       engine_names[e]);
            continue;
        }
        print_tally(engine_names[e], &total[e], every);
    }
    printf("  the floor by section:\n");
    for (size_t s = 0; s < N_SECTIONS; s++) {
        char name[64];
        snprintf(name, sizeof name, "%s %s, window %u", sections[s].id,
                 testdata_info(sections[s].kind)->name, sections[s].client_bits);
        print_tally(name, &floor_by[s], every);
    }
#ifdef WS_HAVE_LIBDEFLATE
    for (int l = 0; l < 10; l++)
        libdeflate_free_compressor(ldc[l]);
    libdeflate_free_decompressor(ldd);
#endif
    for (int k = 0; k < TESTDATA_N; k++) {
        free(rings[k].data);
        free(rings[k].at);
    }
    free(msg);
    free(z);
    free(back);
    return 0;
}

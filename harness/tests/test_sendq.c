/*
 * test_sendq.c - the tester's write queue against Autobahn's write model (sendq.h):
 * plain frames packed, chops and sync frames one element per pass, the pass at frame
 * boundaries and Autobahn's 10 us inside a frame, the first two elements of a burst
 * queued while reading flushed together, plain frames queued behind elements, short
 * writes continued with the same bytes, the core's bytes in their place, masking at
 * the right phase; a paced unit (pause=) waits its gap between chops, one chop per
 * write even in a burst, and stops mid-way leaving the rest unwritten.
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include "sendq.h"
#include "ws_frame.h"

#include <stdlib.h>
#include <string.h>

static struct payload lit(const char *s)
{
    struct payload p = {0};
    p.segs = calloc(1, sizeof *p.segs);
    assert_non_null(p.segs);
    p.n_segs = 1;
    p.segs[0].pat_len = strlen(s);
    p.segs[0].pat = malloc(p.segs[0].pat_len + 1);
    assert_non_null(p.segs[0].pat);
    memcpy(p.segs[0].pat, s, p.segs[0].pat_len);
    p.segs[0].len = p.segs[0].pat_len;
    p.len = p.segs[0].len;
    return p;
}

/* The core's pending bytes, as ws_conn would hold them. */
static uint8_t core_buf[256];
static size_t core_len;

static void core_read(void *ud, size_t off, uint8_t *out, size_t n)
{
    (void)ud;
    assert_true(off + n <= core_len);
    memcpy(out, core_buf + off, n);
}

static void core_sent(size_t n)
{
    memmove(core_buf, core_buf + n, core_len - n);
    core_len -= n;
}

static const uint8_t hdr2[2] = {0x81, 0x05};

/* Fill and write everything due at `now`; returns the bytes of that one fill. */
static size_t one_write(struct sendq *q, double now, uint8_t *out, double *wake)
{
    size_t n = sendq_fill(q, now, out, 4096, wake);
    if (n)
        core_sent(sendq_wrote(q, n, now));
    return n;
}

static void test_plain_packed(void **state)
{
    (void)state;
    struct sendq q;
    sendq_init(&q, core_read, NULL);
    struct payload p = lit("Hello");
    assert_true(sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 0, false, true));
    assert_true(sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 0, false, true));
    uint8_t out[4096];
    double wake;
    assert_int_equal(one_write(&q, 0, out, &wake), 14);
    assert_memory_equal(out, "\x81\x05Hello\x81\x05Hello", 14);
    assert_true(sendq_empty(&q));
    assert_int_equal(one_write(&q, 0, out, &wake), 0);
    assert_true(wake == 0);
    sendq_free(&q);
    payload_free(&p);
}

/* chop=1, queued from a timer: one byte per write; inside the frame the next is due
 * 10 us later, the next frame's first byte a whole pass later. */
static void test_chops_paced(void **state)
{
    (void)state;
    struct sendq q;
    sendq_init(&q, core_read, NULL);
    q.pass = 1e-3;
    struct payload p = lit("Hello");
    sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 1, false, false);
    sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 1, false, false);
    uint8_t out[4096], all[14];
    double now = 1.0, wake;
    size_t got = 0;
    for (int i = 0; i < 14; i++) {
        assert_int_equal(one_write(&q, now, out, &wake), 1);
        all[got++] = out[0];
        if (i == 13)
            break;
        assert_int_equal(one_write(&q, now, out, &wake), 0); /* not yet */
        double gap = i == 6 ? 1e-3 : SENDQ_MIN_PASS;         /* byte 7 begins frame 2 */
        assert_true(wake > now + gap * 0.99 && wake < now + gap * 1.01);
        now = wake;
    }
    assert_memory_equal(all, "\x81\x05Hello\x81\x05Hello", 14);
    assert_true(sendq_empty(&q));
    sendq_free(&q);
    payload_free(&p);
}

/* sendq_set_gap: the chops of that unit are gap apart (a request dripped slowly); the
 * next unit's first element comes after the usual pass, not after the gap. */
static void test_gap(void **state)
{
    (void)state;
    struct sendq q;
    sendq_init(&q, core_read, NULL);
    q.pass = 1e-3;
    struct payload p = lit("Hello");
    sendq_frame(&q, NULL, 0, &p, 0, 5, NULL, 0, 2, false, false);
    sendq_set_gap(&q, 0.25);
    sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 7, false, false);
    uint8_t out[4096];
    double now = 1.0, wake;
    static const double waits[] = {0.25, 0.25, 1e-3};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(one_write(&q, now, out, &wake), i < 2 ? 2 : 1);
        assert_int_equal(one_write(&q, now, out, &wake), 0);
        assert_true(wake > now + waits[i] * 0.99 && wake < now + waits[i] * 1.01);
        now = wake;
    }
    assert_int_equal(one_write(&q, now, out, &wake), 7);
    assert_memory_equal(out, "\x81\x05Hello", 7);
    assert_true(sendq_empty(&q));
    sendq_free(&q);
    payload_free(&p);
}

/* A burst queued while reading: the first two elements in one write (Twisted flushes
 * its buffer after the writer's 10 us timer has added the second). */
static void test_read_burst_pairs(void **state)
{
    (void)state;
    struct sendq q;
    sendq_init(&q, core_read, NULL);
    struct payload p = lit("Hello");
    sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 0, true, true); /* sync */
    sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 0, true, true);
    sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 0, true, true);
    uint8_t out[4096];
    double wake;
    assert_int_equal(one_write(&q, 0, out, &wake), 14); /* frames 1 and 2 */
    assert_int_equal(one_write(&q, 0, out, &wake), 0);
    assert_int_equal(one_write(&q, wake, out, &wake), 7); /* frame 3 alone */
    assert_true(sendq_empty(&q));
    /* queued from a timer: no pair */
    sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 0, true, false);
    sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 0, true, false);
    assert_int_equal(one_write(&q, 1, out, &wake), 7);
    sendq_free(&q);
    payload_free(&p);
}

/* Plain frames written while the queue was idle go out with the first element; plain
 * frames queued behind elements are elements themselves. */
static void test_plain_and_queue(void **state)
{
    (void)state;
    struct sendq q;
    sendq_init(&q, core_read, NULL);
    struct payload p = lit("Hello");
    sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 0, false, false); /* direct */
    sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 3, false, false); /* chop 3: queue starts */
    sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 0, false, false); /* behind: an element */
    uint8_t out[4096];
    double now = 0, wake;
    assert_int_equal(one_write(&q, now, out, &wake), 7 + 3);
    size_t sizes[] = {3, 1, 7};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(one_write(&q, now, out, &wake), 0);
        now = wake;
        assert_int_equal(one_write(&q, now, out, &wake), sizes[i]);
    }
    assert_true(sendq_empty(&q));
    /* the queue is idle again: plain frames are direct */
    sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 0, false, false);
    sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 0, false, false);
    assert_int_equal(one_write(&q, now, out, &wake), 14);
    sendq_free(&q);
    payload_free(&p);
}

/* A short write: the rest of that fill next, the same bytes first, without pacing. */
static void test_short_write(void **state)
{
    (void)state;
    struct sendq q;
    sendq_init(&q, core_read, NULL);
    struct payload p = lit("Hello");
    sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 0, true, false);
    sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 0, true, false);
    uint8_t out[4096];
    double wake;
    assert_int_equal(sendq_fill(&q, 0, out, sizeof out, &wake), 7);
    sendq_wrote(&q, 0, 0); /* would block */
    assert_int_equal(sendq_fill(&q, 0, out, sizeof out, &wake), 7);
    assert_memory_equal(out, "\x81\x05Hello", 7);
    sendq_wrote(&q, 3, 0);
    assert_int_equal(sendq_fill(&q, 0, out, sizeof out, &wake), 4);
    assert_memory_equal(out, "ello", 4);
    sendq_wrote(&q, 4, 0);
    assert_int_equal(sendq_fill(&q, 0, out, sizeof out, &wake), 0); /* frame 2: paced */
    assert_true(wake > 0);
    sendq_free(&q);
    payload_free(&p);
}

/* The core's bytes keep their place among the case's, and are handed back as
 * written; consecutive core output is one unit. */
static void test_core_bytes(void **state)
{
    (void)state;
    struct sendq q;
    sendq_init(&q, core_read, NULL);
    struct payload p = lit("Hello");
    memcpy(core_buf, "REQ", 3);
    core_len = 3;
    sendq_core(&q, core_len, false);
    sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 0, false, false);
    memcpy(core_buf + 3, "PONGCLOSE", 9);
    core_len = 12;
    sendq_core(&q, 7, false);
    sendq_core(&q, 12, false); /* merged with the previous core unit */
    uint8_t out[4096];
    double wake;
    assert_int_equal(one_write(&q, 0, out, &wake), 3 + 7 + 9);
    assert_memory_equal(out, "REQ\x81\x05HelloPONGCLOSE", 19);
    assert_int_equal(core_len, 0);
    assert_int_equal(q.core_pending, 0);
    sendq_free(&q);
    payload_free(&p);
}

/* Payloads are masked as they are generated, at the phase given. */
static void test_masking(void **state)
{
    (void)state;
    struct sendq q;
    sendq_init(&q, core_read, NULL);
    struct payload p = lit("abcdefgh");
    uint8_t key[4] = {1, 2, 3, 4};
    sendq_frame(&q, NULL, 0, &p, 2, 5, key, 1, 2, false, false);
    uint8_t out[4096], want[5];
    memcpy(want, "cdefg", 5);
    ws_mask(want, 5, key, 1);
    double now = 0, wake;
    size_t got = 0;
    uint8_t all[5];
    while (!sendq_empty(&q)) {
        size_t n = one_write(&q, now, out, &wake);
        memcpy(all + got, out, n);
        got += n;
        now = wake ? wake : now;
    }
    assert_int_equal(got, 5);
    assert_memory_equal(all, want, 5);
    sendq_free(&q);
    payload_free(&p);
}

/* A paced unit: chops `gap` apart (not the pass, not paired in a read burst), then the
 * next unit at the usual pace; sendq_paced says when it is done. */
static void test_paced_unit(void **state)
{
    (void)state;
    struct sendq q;
    sendq_init(&q, core_read, NULL);
    q.pass = 1e-3;
    struct payload p = lit("Hello");
    sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 1, false, true); /* queued while reading */
    sendq_set_gap(&q, 0.25);
    sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 0, false, true);
    assert_true(sendq_paced(&q));
    uint8_t out[4096], all[14];
    double now = 1.0, wake;
    size_t got = 0;
    for (int i = 0; i < 7; i++) {
        assert_int_equal(one_write(&q, now, out, &wake), 1); /* never two */
        all[got++] = out[0];
        assert_int_equal(one_write(&q, now, out, &wake), 0);
        double gap = i == 6 ? 1e-3 : 0.25; /* after the last chop: the pass */
        assert_true(wake > now + gap * 0.99 && wake < now + gap * 1.01);
        now = wake;
    }
    assert_false(sendq_paced(&q));
    assert_int_equal(one_write(&q, now, out, &wake), 7);
    memcpy(all + got, out, 7);
    assert_memory_equal(all, "\x81\x05Hello\x81\x05Hello", 14);
    assert_true(sendq_empty(&q));
    /* a gap is for chopped units only */
    sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 0, false, false);
    sendq_set_gap(&q, 0.25);
    assert_false(sendq_paced(&q));
    assert_int_equal(one_write(&q, now, out, &wake), 7);
    sendq_free(&q);
    payload_free(&p);
}

/* Stopped: the paced unit writes nothing more (what a short write began is finished),
 * the units behind it go on. */
static void test_paced_stop(void **state)
{
    (void)state;
    struct sendq q;
    sendq_init(&q, core_read, NULL);
    struct payload p = lit("Hello");
    sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 2, false, false);
    sendq_set_gap(&q, 0.5);
    uint8_t out[4096];
    double wake;
    assert_int_equal(one_write(&q, 0, out, &wake), 2);                /* the header */
    assert_int_equal(sendq_fill(&q, 0.5, out, sizeof out, &wake), 2); /* after the gap */
    sendq_wrote(&q, 1, 0.5); /* a short write: "H" out, "e" begun */
    memcpy(core_buf, "CLOSE", 5);
    core_len = 5;
    sendq_core(&q, core_len, true); /* the target's Close came: our reply */
    sendq_stop_paced(&q);
    assert_false(sendq_paced(&q));
    assert_int_equal(one_write(&q, 0.5, out, &wake), 1); /* the rest of the write begun */
    assert_memory_equal(out, "e", 1);
    assert_int_equal(one_write(&q, 0.5, out, &wake), 0);  /* the reply: an element, a pass */
    assert_true(wake > 0.5 && wake < 0.5 + 1e-3);         /* later - not the 0.5 s gap */
    assert_int_equal(one_write(&q, wake, out, &wake), 5); /* and not "llo" */
    assert_memory_equal(out, "CLOSE", 5);
    assert_true(sendq_empty(&q));
    /* stopped before its first byte: nothing of it at all */
    sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 1, false, false);
    sendq_set_gap(&q, 0.5);
    sendq_frame(&q, hdr2, 2, &p, 0, 5, NULL, 0, 0, false, false);
    sendq_stop_paced(&q);
    assert_int_equal(one_write(&q, 1, out, &wake), 7); /* only the frame behind it */
    assert_true(sendq_empty(&q));
    sendq_free(&q);
    payload_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_packed),     cmocka_unit_test(test_chops_paced),
        cmocka_unit_test(test_read_burst_pairs), cmocka_unit_test(test_plain_and_queue),
        cmocka_unit_test(test_short_write),      cmocka_unit_test(test_core_bytes),
        cmocka_unit_test(test_masking),          cmocka_unit_test(test_gap),
        cmocka_unit_test(test_paced_unit),       cmocka_unit_test(test_paced_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

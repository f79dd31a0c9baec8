/*
 * test_testdata.c - the compression sections' payload files (testdata.h): the table
 * (names, text flags, sizes, titles, lookup by name), each file of its exact size and
 * the same bytes on every run and machine (a pinned FNV-1a hash per file), the text
 * files valid UTF-8 with multi-byte code points, each file of its kind (the JSON
 * parses, the HTML closes what it opens, the prose has lines and paragraphs, the BMP
 * header and palette are right, the PDF-like streams have the lengths they claim) and
 * each file's deflate ratio within the band of its kind.
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include "testdata.h"
#include "ws_utf8.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* The five files, generated once for the group. */
struct files {
    uint8_t *b[TESTDATA_N];
};

static int group_setup(void **state)
{
    struct files *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    for (unsigned k = 0; k < TESTDATA_N; k++)
        if (!(f->b[k] = testdata_make((enum testdata_kind)k)))
            return -1;
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    struct files *f = *state;
    for (unsigned k = 0; f && k < TESTDATA_N; k++)
        free(f->b[k]);
    free(f);
    return 0;
}

static const uint8_t *file(void **state, enum testdata_kind k, size_t *len)
{
    *len = testdata_info(k)->len;
    return ((struct files *)*state)->b[k];
}

/* The bytes of s within b[0..len), or NULL. */
static const uint8_t *find(const uint8_t *b, size_t len, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; n <= len && i <= len - n; i++)
        if (memcmp(b + i, s, n) == 0)
            return b + i;
    return NULL;
}

static size_t count(const uint8_t *b, size_t len, const char *s)
{
    size_t c = 0, n = strlen(s);
    for (const uint8_t *p = b, *end = b + len; (p = find(p, (size_t)(end - p), s)); p += n)
        c++;
    return c;
}

/* ------------------------------------------------------------ the table */

static void test_info_table(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        bool text, utf8;
        size_t len;
    } want[TESTDATA_N] = {
        {"json", true, true, 194056},      {"bitmap", false, false, 263222},
        {"prose", false, true, 222218},    {"html", true, true, 263647},
        {"packed", false, false, 1042328},
    };
    for (unsigned k = 0; k < TESTDATA_N; k++) {
        const struct testdata_info *in = testdata_info((enum testdata_kind)k);
        assert_non_null(in);
        assert_string_equal(in->name, want[k].name);
        assert_int_equal(in->text, want[k].text);
        assert_int_equal(in->utf8, want[k].utf8);
        assert_int_equal(in->len, want[k].len);
        char n[32];
        snprintf(n, sizeof n, "%zu bytes)", in->len); /* the title states the size */
        assert_non_null(strstr(in->title, n));
    }
    assert_non_null(strstr(testdata_info(TESTDATA_JSON)->title, "JSON"));
    assert_non_null(strstr(testdata_info(TESTDATA_HTML)->title, "HTML"));
}

static void test_by_name(void **state)
{
    (void)state;
    for (unsigned k = 0; k < TESTDATA_N; k++)
        assert_int_equal(testdata_by_name(testdata_info((enum testdata_kind)k)->name), k);
    assert_int_equal(testdata_by_name("JSON"), TESTDATA_N); /* names are exact */
    assert_int_equal(testdata_by_name("jso"), TESTDATA_N);
    assert_int_equal(testdata_by_name("json "), TESTDATA_N);
    assert_int_equal(testdata_by_name(""), TESTDATA_N);
    assert_int_equal(testdata_by_name(NULL), TESTDATA_N);
}

static void test_out_of_range(void **state)
{
    (void)state;
    assert_null(testdata_info(TESTDATA_N));
    assert_null(testdata_make(TESTDATA_N));
}

/* ------------------------------------------------------------ determinism */

static uint64_t fnv1a(const uint8_t *b, size_t len)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < len; i++)
        h = (h ^ b[i]) * UINT64_C(0x100000001b3);
    return h;
}

/* A second generation gives the same bytes, and the bytes are those pinned here: a
 * change of the generator (or a machine or compiler that computes it differently)
 * changes what every compression case sends, so it must be noticed. When the
 * generator is changed on purpose, these are updated with it. */
static void test_deterministic(void **state)
{
    static const uint64_t pinned[TESTDATA_N] = {
        UINT64_C(0x02cdf43bba06033b), UINT64_C(0x36bc996b520a6290), UINT64_C(0x1219a9428ca8d653),
        UINT64_C(0x2a75db19e2b56cc4), UINT64_C(0x61c2407bb66c290d),
    };
    for (unsigned k = 0; k < TESTDATA_N; k++) {
        size_t len;
        const uint8_t *b = file(state, (enum testdata_kind)k, &len);
        uint8_t *again = testdata_make((enum testdata_kind)k);
        assert_non_null(again);
        assert_memory_equal(again, b, len);
        free(again);
        if (fnv1a(b, len) != pinned[k])
            fail_msg("%s: FNV-1a %016llx, pinned %016llx", testdata_info(k)->name,
                     (unsigned long long)fnv1a(b, len), (unsigned long long)pinned[k]);
    }
}

/* ------------------------------------------------------------ text */

/* Code points of each UTF-8 length (index 1-4) in a valid buffer. */
static void utf8_lengths(const uint8_t *b, size_t len, size_t n[5])
{
    memset(n, 0, 5 * sizeof n[0]);
    for (size_t i = 0; i < len; i++)
        if ((b[i] & 0xC0) != 0x80)
            n[b[i] < 0x80 ? 1 : b[i] < 0xE0 ? 2 : b[i] < 0xF0 ? 3 : 4]++;
}

/* The text files (and the prose, sent as binary but text all the same) are valid UTF-8
 * to their last byte, so slicing a ring of code points works, and they hold code points
 * of every length so the slicing is exercised. */
static void test_utf8(void **state)
{
    static const enum testdata_kind texts[] = {TESTDATA_JSON, TESTDATA_PROSE, TESTDATA_HTML};
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        size_t len, n[5];
        const uint8_t *b = file(state, texts[t], &len);
        assert_true(ws_utf8_valid(b, len));
        utf8_lengths(b, len, n);
        assert_true(n[1] > len / 2); /* mostly ASCII, as such text is */
        assert_true(n[2] > 100);
        if (texts[t] != TESTDATA_PROSE) {
            assert_true(n[3] > 10);
            assert_true(n[4] > 10);
        }
    }
    /* the binary ones are not text: the BMP palette and the random streams */
    size_t len;
    const uint8_t *b = file(state, TESTDATA_PACKED, &len);
    assert_false(ws_utf8_valid(b, len));
}

/* The JSON is a whole JSON document: an array of records with their keys and an id
 * counting from 0; the last one carries the filler. */
static void test_json(void **state)
{
    size_t len;
    const uint8_t *b = file(state, TESTDATA_JSON, &len);
    json_error_t err;
    json_t *doc = json_loadb((const char *)b, len, 0, &err);
    if (!doc)
        fail_msg("JSON: %s at line %d", err.text, err.line);
    assert_true(json_is_array(doc));
    size_t n = json_array_size(doc);
    assert_true(n > 100);
    for (size_t i = 0; i < n; i++) {
        json_t *rec = json_array_get(doc, i);
        assert_true(json_is_object(rec));
        assert_int_equal(json_integer_value(json_object_get(rec, "id")), i);
        if (i + 1 < n) {
            assert_true(json_is_string(json_object_get(rec, "guid")));
            assert_true(json_is_boolean(json_object_get(rec, "isActive")));
            assert_true(json_is_real(json_object_get(rec, "balance")));
            assert_true(json_is_object(json_object_get(rec, "name")));
            assert_true(json_is_array(json_object_get(rec, "tags")));
        }
    }
    assert_true(json_is_string(json_object_get(json_array_get(doc, n - 1), "note")));
    json_decref(doc);
}

/* The HTML opens with its doctype and charset, closes what it opens, and has the
 * elements of a document: tables, lists, links, entities. */
static void test_html(void **state)
{
    size_t len;
    const uint8_t *b = file(state, TESTDATA_HTML, &len);
    static const char head[] =
        "<!DOCTYPE html>\n<html lang=\"de\">\n<head>\n<meta charset=\"utf-8\">";
    static const char tail[] = "</body>\n</html>\n";
    assert_memory_equal(b, head, strlen(head));
    assert_memory_equal(b + len - strlen(tail), tail, strlen(tail));
    static const char *const pairs[][2] = {
        {"<section ", "</section>"}, {"<table", "</table>"}, {"<ul>", "</ul>"},
        {"<ol>", "</ol>"},           {"<li>", "</li>"},      {"<p", "</p>"},
        {"<a href=", "</a>"},        {"<em>", "</em>"},      {"<main>", "</main>"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        size_t open = count(b, len, pairs[i][0]);
        assert_true(open > 0);
        assert_int_equal(open, count(b, len, pairs[i][1]));
    }
    assert_true(count(b, len, "&amp;") > 10);
    assert_true(count(b, len, "&euro;") > 10);
}

/* The prose is lines of verse and paragraphs: short lines, blank lines between
 * speeches, umlauts and sharp s (both cases of the umlauts), ending in a newline. */
static void test_prose(void **state)
{
    size_t len;
    const uint8_t *b = file(state, TESTDATA_PROSE, &len);
    size_t lines = count(b, len, "\n"), longest = 0, col = 0;
    for (size_t i = 0; i < len; i++, col++) {
        if (b[i] == '\n')
            col = 0;
        longest = col > longest ? col : longest;
    }
    assert_true(lines > len / 80);
    assert_true(longest < 200);
    assert_true(count(b, len, "\n\n") > lines / 20);
    static const char *const letters[] = {"ä", "ö", "ü", "ß", "Ä", "Ö", "Ü"};
    for (size_t i = 0; i < sizeof letters / sizeof letters[0]; i++)
        assert_true(count(b, len, letters[i]) > 0);
    assert_int_equal(b[len - 1], '\n');
}

/* ------------------------------------------------------------ binary */

static uint32_t rd16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t rd32(const uint8_t *p)
{
    return rd16(p) | rd16(p + 2) << 16;
}

/* BITMAPFILEHEADER and BITMAPINFOHEADER of an uncompressed 512x512 8-bit BMP, a grey
 * palette, and pixels that are a picture (many tones, neighbours close) not noise. */
static void test_bitmap(void **state)
{
    size_t len;
    const uint8_t *b = file(state, TESTDATA_BITMAP, &len);
    assert_memory_equal(b, "BM", 2);
    assert_int_equal(rd32(b + 2), len);
    assert_int_equal(rd32(b + 6), 0);
    assert_int_equal(rd32(b + 10), 54 + 1024);
    assert_int_equal(rd32(b + 14), 40);
    assert_int_equal(rd32(b + 18), 512);
    assert_int_equal(rd32(b + 22), 512);
    assert_int_equal(rd16(b + 26), 1);
    assert_int_equal(rd16(b + 28), 8);
    assert_int_equal(rd32(b + 30), 0); /* BI_RGB */
    assert_int_equal(rd32(b + 34), 512 * 512);
    assert_int_equal(rd32(b + 46), 256);
    assert_int_equal(54 + 1024 + 512 * 512, len);
    for (unsigned i = 0; i < 256; i++) {
        const uint8_t q[4] = {(uint8_t)i, (uint8_t)i, (uint8_t)i, 0};
        assert_memory_equal(b + 54 + 4 * i, q, 4);
    }
    const uint8_t *px = b + 1078;
    unsigned seen[256] = {0}, tones = 0;
    uint64_t step = 0;
    for (size_t i = 0; i < 512 * 512; i++) {
        tones += !seen[px[i]]++;
        if (i % 512)
            step += (uint64_t)abs((int)px[i] - (int)px[i - 1]);
    }
    assert_true(tones > 150);
    assert_true(step / (511 * 512) < 12); /* smooth: random pixels differ by ~85 */
}

/* Parse "<num> 0 obj\n<< /Length <n> ..." at p; returns n, or -1. */
static long stream_length(const uint8_t *p, const uint8_t *end)
{
    const uint8_t *l = find(p, (size_t)(end - p), "/Length ");
    if (!l || l - p > 40)
        return -1;
    return strtol((const char *)l + 8, NULL, 10);
}

/* The PDF-like file: a header, objects whose streams have exactly the length their
 * dictionary states, a trailer; the streams are most of the file. */
static void test_packed(void **state)
{
    size_t len;
    const uint8_t *b = file(state, TESTDATA_PACKED, &len), *end = b + len, *p = b;
    assert_memory_equal(b, "%PDF-1.4\n", 9);
    static const char eof[] = "%%EOF\n";
    assert_memory_equal(end - strlen(eof), eof, strlen(eof));
    size_t streams = 0, stream_bytes = 0;
    while ((p = find(p, (size_t)(end - p), " 0 obj\n<< /Length "))) {
        long n = stream_length(p, end);
        const uint8_t *s = find(p, (size_t)(end - p), ">>\nstream\n");
        assert_true(n > 0 && s != NULL);
        s += strlen(">>\nstream\n");
        assert_true((size_t)n <= (size_t)(end - s));
        assert_memory_equal(s + n, "\nendstream\nendobj\n", 18);
        streams++;
        stream_bytes += (size_t)n;
        p = s + n;
    }
    assert_true(streams > 5);
    assert_true(stream_bytes > len - len / 50);
    assert_non_null(find(b, len, "trailer\n<< /Size "));
}

/* ------------------------------------------------------------ compressibility */

static double deflate_ratio(const uint8_t *b, size_t len, int level)
{
    uLongf clen = compressBound(len);
    uint8_t *c = malloc(clen);
    assert_non_null(c);
    assert_int_equal(compress2(c, &clen, b, len, level), Z_OK);
    free(c);
    return (double)clen / (double)len;
}

/* Each file deflates (zlib, level 6) like its kind, with a margin around what the
 * generator gives (json 0.20, bitmap 0.85, prose 0.39, html 0.23, packed 1.00): text
 * and markup to a quarter or a third, a photograph a little, compressed data not at
 * all. The lower bounds catch a generator that degenerates into repetition. */
static void test_compressibility(void **state)
{
    static const double band[TESTDATA_N][2] = {
        [TESTDATA_JSON] = {0.10, 0.35},   [TESTDATA_BITMAP] = {0.50, 0.95},
        [TESTDATA_PROSE] = {0.25, 0.50},  [TESTDATA_HTML] = {0.10, 0.35},
        [TESTDATA_PACKED] = {0.99, 1.01},
    };
    for (unsigned k = 0; k < TESTDATA_N; k++) {
        size_t len;
        const uint8_t *b = file(state, (enum testdata_kind)k, &len);
        double r = deflate_ratio(b, len, 6);
        if (r < band[k][0] || r > band[k][1])
            fail_msg("%s: deflate ratio %.3f, want %.2f..%.2f", testdata_info(k)->name, r,
                     band[k][0], band[k][1]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_table),
        cmocka_unit_test(test_by_name),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_prose),
        cmocka_unit_test(test_bitmap),
        cmocka_unit_test(test_packed),
        cmocka_unit_test(test_compressibility),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

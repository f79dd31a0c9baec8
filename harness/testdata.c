/*
 * testdata.c - the payload files of the compression sections (testdata.h), generated.
 *
 * Five files of the kinds and sizes Autobahn|Testsuite ships for its sections 12 and 13,
 * made here from word lists of our own, an image drawn with integer arithmetic and
 * pseudo-random bytes: nothing of another project is copied, and the bytes are the same
 * on every machine. Each file has its own splitmix64 generator with a fixed seed; there
 * is no clock and no floating point (libm's sin or exp may round differently elsewhere,
 * integer shapes cannot).
 *
 * What makes each file useful to a deflate test is its compressibility, so each imitates
 * its kind: the JSON repeats keys and indentation around varying values, the prose draws
 * words with a skewed (Zipf-like) frequency from a lexicon of made-up German-like words,
 * the HTML repeats markup around sentences, the bitmap is a smooth picture with grain
 * (deflate gains little, as on a photograph) and the PDF-like file is mostly random
 * bytes standing for compressed streams (deflate gains nothing).
 *
 * The text files are written record by record (a JSON record, an HTML section, a speech
 * of the play) below a limit that keeps room for an end. The record that crosses the
 * limit is taken back, and an end of whole words of exactly the length left closes the
 * file. So each file has its exact size, ends on a code point boundary and stays
 * well-formed: the JSON parses, the HTML closes its elements.
 */
#include "testdata.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ the table */

static const struct testdata_info infos[TESTDATA_N] = {
    [TESTDATA_JSON] = {.name = "json",
                       .text = true,
                       .utf8 = true,
                       .len = 194056,
                       .title = "JSON-like text (UTF-8, 194056 bytes)"},
    [TESTDATA_BITMAP] = {.name = "bitmap",
                         .len = 263222,
                         .title = "Bitmap-like binary (512x512 8-bit grey BMP, 263222 bytes)"},
    [TESTDATA_PROSE] = {.name = "prose",
                        .utf8 = true,
                        .len = 222218,
                        .title = "German-like prose (UTF-8 sent as binary, 222218 bytes)"},
    [TESTDATA_HTML] = {.name = "html",
                       .text = true,
                       .utf8 = true,
                       .len = 263647,
                       .title = "HTML text (UTF-8, 263647 bytes)"},
    [TESTDATA_PACKED] = {.name = "packed",
                         .len = 1042328,
                         .title = "Already-compressed binary (PDF-like, 1042328 bytes)"},
};

const struct testdata_info *testdata_info(enum testdata_kind k)
{
    return (unsigned)k < TESTDATA_N ? &infos[k] : NULL;
}

enum testdata_kind testdata_by_name(const char *name)
{
    for (unsigned k = 0; name && k < TESTDATA_N; k++)
        if (strcmp(name, infos[k].name) == 0)
            return (enum testdata_kind)k;
    return TESTDATA_N;
}

/* ------------------------------------------------------------ generator and writer */

/* splitmix64: one per file, seeded with a constant of that file. Every draw is a
 * statement or an initialiser of its own, never one of two draws in an argument list:
 * the order in which arguments are evaluated is unspecified, and gcc and clang differ. */
struct rng {
    uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (multiply-shift: no modulo bias worth naming at these n). */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

/* True with probability pct / 100. */
static bool rng_pct(struct rng *r, uint32_t pct)
{
    return rng_below(r, 100) < pct;
}

static const char *pick(struct rng *r, const char *const *list, size_t n)
{
    return list[rng_below(r, (uint32_t)n)];
}
#define PICK(r, list) pick((r), (list), sizeof(list) / sizeof((list)[0]))

/* Bytes written into a buffer below a limit. A write that does not fit writes nothing
 * and sets full, which sticks: the writer of a record checks once, at its end. */
struct out {
    uint8_t *p;
    size_t len, lim;
    bool full;
};

static void put(struct out *o, const void *s, size_t n)
{
    if (o->full || n > o->lim - o->len) {
        o->full = true;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void put_s(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

/* Formatted pieces are short (a number, a name and some punctuation). */
__attribute__((format(printf, 2, 3))) static void put_f(struct out *o, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        o->full = true; /* cannot happen with our formats; fail the file, not the bytes */
        return;
    }
    put(o, tmp, (size_t)n);
}

/* Writes one record (number i) of a text file. */
typedef void (*record_fn)(struct out *o, struct rng *r, uint32_t i, const void *ctx);

/* Every record writes at least one byte, so no file has more records than bytes; the
 * bound only guards the loop. */
#define RECORDS_MAX (UINT32_C(1) << 21)

/* Write records 0, 1, ... while they fit below total - reserve; the one that does not
 * is taken back. Returns the number written; o->lim is total again afterwards. */
static uint32_t records(struct out *o, struct rng *r, size_t total, size_t reserve, record_fn f,
                        const void *ctx)
{
    uint32_t i;
    if (o->full)
        return 0; /* the file's head did not fit: leave the failure to finish() */
    o->lim = total - reserve;
    for (i = 0; i < RECORDS_MAX; i++) {
        size_t mark = o->len;
        f(o, r, i, ctx);
        if (o->full) {
            o->len = mark;
            break;
        }
    }
    o->full = false;
    o->lim = total;
    return i;
}

/* English words: the running text of the JSON and the HTML. */
static const char *const en_words[] = {
    "the",     "of",      "and",     "a",       "to",      "in",     "is",      "that",   "for",
    "it",      "as",      "with",    "was",     "on",      "be",     "by",      "this",   "from",
    "or",      "at",      "which",   "but",     "not",     "are",    "all",     "data",   "value",
    "frame",   "stream",  "window",  "message", "server",  "client", "buffer",  "record", "river",
    "harbour", "market",  "garden",  "lantern", "copper",  "thread", "signal",  "quiet",  "bright",
    "narrow",  "early",   "distant", "careful", "simple",  "gentle", "rapid",   "hollow", "silver",
    "amber",   "winter",  "summer",  "morning", "letter",  "number", "station", "bridge", "meadow",
    "orchard", "travels", "returns", "holds",   "carries", "opens",  "closes",  "writes", "reads",
};

/* A word list of a file's language, for the end of the file. */
struct words {
    const char *const *w;
    size_t n;
};
#define WORDS(list) ((struct words){(list), sizeof(list) / sizeof((list)[0])})

/* Exactly n bytes: whole words and spaces (spaces pad when no word fits any more), so
 * the end falls on a code point boundary whatever the words' letters. */
static void fill_words(struct out *o, struct rng *r, size_t n, struct words words)
{
    while (n > 0 && !o->full) {
        const char *w = pick(r, words.w, words.n);
        size_t l = strlen(w);
        if (l + 1 > n) {
            for (; n > 0 && !o->full; n--)
                put(o, " ", 1);
            break;
        }
        put(o, w, l);
        put(o, " ", 1);
        n -= l + 1;
    }
}

/* Close a text file at exactly o->lim bytes: open, words, close. False when the room
 * left is smaller than open and close (a reserve too small: a bug). */
static bool finish(struct out *o, struct rng *r, struct words words, const char *open,
                   const char *close)
{
    size_t fixed = strlen(open) + strlen(close);
    if (o->lim - o->len < fixed)
        return false;
    put_s(o, open);
    fill_words(o, r, o->lim - o->len - strlen(close), words);
    put_s(o, close);
    return !o->full && o->len == o->lim;
}

/* ------------------------------------------------------------ JSON */

static const char *const first_names[] = {
    "Anna",      "Björn",  "Chloé",   "Dmitri",   "Elif",  "François",   "Grete",
    "Hiroshi",   "Inés",   "Jürgen",  "Kateřina", "Lars",  "Małgorzata", "Nils",
    "Oğuz",      "Paula",  "Quentin", "Renée",    "Søren", "Tomás",      "Ulla",
    "Vítězslav", "Wiebke", "Xiao",    "Yusuf",    "Zoë",   "Mats",       "Ilse",
};
static const char *const last_names[] = {
    "Adler",      "Bäcker",  "Çelik",  "Dvořák",   "Eriksson", "Fischer",   "García",
    "Hämäläinen", "Ivanova", "Jansen", "Kowalski", "Løvland",  "Moreau",    "Nowak",
    "Østergaard", "Peña",    "Quast",  "Rossi",    "Schäfer",  "Takahashi", "Újvári",
    "Vogel",      "Weiß",    "Yılmaz", "Zeller",
};
static const char *const cities[] = {
    "München", "Zürich", "København", "São Paulo",  "Kraków", "Reykjavík", "Malmö", "Besançon",
    "Córdoba", "İzmir",  "Tromsø",    "Düsseldorf", "Łódź",   "Plzeň",     "東京",  "Москва",
    "Αθήνα",   "서울",   "القاهرة",   "Berlin",     "Lyon",   "Porto",     "Oslo",  "Graz",
};
static const char *const streets[] = {
    "Lindenstraße", "Rue de la Paix", "Hauptweg",  "Kirkegårdsvej", "Calle Mayor",
    "Mühlgasse",    "Oak Lane",       "Ringvägen", "Via Roma",      "Schillerplatz",
};
static const char *const companies[] = {
    "Nordwind GmbH", "Blauberg AG",     "Kestrel Systems", "Øresund Data",     "Vinterhus AB",
    "Lumen & Söhne", "Ferrovia S.p.A.", "Qubit Labs",      "Żuraw Sp. z o.o.", "Tessellate Inc.",
};
static const char *const tags[] = {
    "alpha",    "beta",  "stable", "legacy",      "mobile", "premium",    "trial",
    "archived", "eu",    "apac",   "beta-tester", "vip",    "✓ verified", "🚀 launch",
    "naïve",    "größe", "日本語", "🎉",           "résumé", "über",
};
static const char *const eye_colors[] = {"blue", "brown", "green", "grey", "hazel"};
static const char *const fruits[] = {"apple", "banana", "cherry", "strawberry", "äpfel"};

/* A sentence of ASCII words, sometimes with a JSON escape or a non-ASCII word. */
static void json_sentence(struct out *o, struct rng *r, uint32_t words)
{
    for (uint32_t w = 0; w < words; w++) {
        if (w)
            put_s(o, " ");
        uint32_t c = rng_below(r, 40);
        if (c == 0)
            put_s(o, "\\\"quoted\\\"");
        else if (c == 1)
            put_s(o, "caf\\u00e9");
        else if (c == 2)
            put_s(o, PICK(r, cities));
        else
            put_s(o, PICK(r, en_words));
    }
    put_s(o, rng_pct(r, 10) ? ".\\n" : ".");
}

static void json_person(struct out *o, struct rng *r)
{
    const char *first = PICK(r, first_names), *last = PICK(r, last_names);
    put_f(o, "{\"first\": \"%s\", \"last\": \"%s\"}", first, last);
}

static void json_head(struct out *o, struct rng *r, uint32_t i)
{
    uint64_t g = rng_next(r), h = rng_next(r);
    put_f(o, "%s  {\n    \"id\": %u,\n", i ? ",\n" : "", (unsigned)i);
    put_f(o, "    \"guid\": \"%08x-%04x-%04x-%04x-%012llx\",\n", (unsigned)(g >> 32),
          (unsigned)(g >> 16) & 0xffff, (unsigned)g & 0xffff, (unsigned)(h >> 48),
          (unsigned long long)(h & UINT64_C(0xffffffffffff)));
    put_f(o, "    \"isActive\": %s,\n", rng_pct(r, 50) ? "true" : "false");
    unsigned euros = rng_below(r, 40000), cents = rng_below(r, 100);
    put_f(o, "    \"balance\": %u.%02u,\n", euros, cents);
    put_f(o, "    \"age\": %u,\n", (unsigned)(18 + rng_below(r, 70)));
    put_f(o, "    \"eyeColor\": \"%s\",\n", PICK(r, eye_colors));
    put_s(o, "    \"name\": ");
    json_person(o, r);
    put_f(o, ",\n    \"company\": \"%s\",\n", PICK(r, companies));
    put_f(o, "    \"email\": \"user%u@example.org\",\n", (unsigned)rng_below(r, 100000));
}

/* A latitude or longitude: [-]deg.micro, deg below max. */
static void json_coord(struct out *o, struct rng *r, const char *key, unsigned max, unsigned neg)
{
    const char *sign = rng_pct(r, neg) ? "-" : "";
    unsigned deg = rng_below(r, max), micro = rng_below(r, 1000000);
    put_f(o, "\"%s\": %s%u.%06u", key, sign, deg, micro);
}

static void json_place(struct out *o, struct rng *r)
{
    const char *street = PICK(r, streets);
    unsigned no = 1 + rng_below(r, 200);
    const char *city = PICK(r, cities);
    unsigned zip = rng_below(r, 100000);
    put_f(o, "    \"address\": {\"street\": \"%s %u\", \"city\": \"%s\", \"zip\": \"%05u\"},\n",
          street, no, city, zip);
    put_s(o, "    \"location\": {");
    json_coord(o, r, "lat", 90, 30);
    put_s(o, ", ");
    json_coord(o, r, "lon", 180, 50);
    put_s(o, "},\n");
    unsigned y = rng_below(r, 25), mo = 1 + rng_below(r, 12), d = 1 + rng_below(r, 28);
    unsigned h = rng_below(r, 24), mi = rng_below(r, 60), se = rng_below(r, 60);
    put_f(o, "    \"registered\": \"20%02u-%02u-%02uT%02u:%02u:%02uZ\",\n", y, mo, d, h, mi, se);
}

static void json_lists(struct out *o, struct rng *r)
{
    uint32_t n = 1 + rng_below(r, 6);
    put_s(o, "    \"tags\": [");
    for (uint32_t t = 0; t < n; t++)
        put_f(o, "%s\"%s\"", t ? ", " : "", PICK(r, tags));
    put_s(o, "],\n    \"about\": \"");
    json_sentence(o, r, 8 + rng_below(r, 30));
    put_s(o, "\",\n    \"friends\": [");
    n = rng_below(r, 4);
    for (uint32_t f = 0; f < n; f++) {
        put_f(o, "%s\n      {\"id\": %u, \"name\": ", f ? "," : "", (unsigned)f);
        json_person(o, r);
        put_s(o, "}");
    }
    put_s(o, n ? "\n    ],\n" : "],\n");
}

static void json_tail(struct out *o, struct rng *r)
{
    if (rng_pct(r, 30))
        put_s(o, "    \"score\": null,\n");
    else
        put_f(o, "    \"score\": %u,\n", (unsigned)rng_below(r, 1000));
    const char *first = PICK(r, first_names);
    unsigned news = rng_below(r, 20);
    put_f(o, "    \"greeting\": \"Hallo, %s! Du hast %u neue Nachrichten.\",\n", first, news);
    put_f(o, "    \"favoriteFruit\": \"%s\"\n  }", PICK(r, fruits));
}

static void json_record(struct out *o, struct rng *r, uint32_t i, const void *ctx)
{
    (void)ctx;
    json_head(o, r, i);
    json_place(o, r);
    json_lists(o, r);
    json_tail(o, r);
}

/* The end: one more record whose "note" is the filler, and the array's close. */
#define JSON_RESERVE 128

static bool make_json(struct out *o, struct rng *r)
{
    put_s(o, "[\n");
    uint32_t n = records(o, r, o->lim, JSON_RESERVE, json_record, NULL);
    char open[64];
    snprintf(open, sizeof open, "%s  {\n    \"id\": %u,\n    \"note\": \"", n ? ",\n" : "",
             (unsigned)n);
    return finish(o, r, WORDS(en_words), open, "\"\n  }\n]\n");
}

/* ------------------------------------------------------------ prose */

/* German function words and a few common words (the glue that makes text repeat). */
static const char *const de_glue[] = {
    "und",  "der",   "die",    "das",    "ich",   "nicht", "du",   "mit",  "ist",  "zu",
    "ein",  "eine",  "wie",    "so",     "mir",   "mich",  "dich", "wir",  "auf",  "an",
    "es",   "sie",   "er",     "den",    "dem",   "in",    "von",  "für",  "über", "daß",
    "noch", "nur",   "doch",   "schon",  "mein",  "dein",  "sein", "wenn", "was",  "hier",
    "wohl", "würde", "können", "müssen", "schön", "kein",  "aus",  "nach", "vor",  "bei",
};

/* Syllable parts of the made-up words. */
static const char *const onsets[] = {
    "",   "",   "",   "b",  "d",  "f",  "g",    "h",  "k",   "l", "m", "n",  "r",  "s",   "t",
    "w",  "z",  "b",  "d",  "g",  "h",  "l",    "m",  "n",   "r", "s", "t",  "w",  "sch", "st",
    "br", "gr", "kr", "tr", "fl", "pf", "schw", "sp", "spr", "v", "j", "kl", "bl", "fr",
};
static const char *const vowels[] = {
    "a",  "e",  "i", "o", "u", "ä", "ö", "ü", "au", "ei", "ie", "eu",
    "ah", "eh", "e", "a", "e", "i", "o", "u", "e",  "a",  "ie", "ei",
};
static const char *const codas[] = {
    "",   "",   "",   "",  "",   "",   "",  "n", "n",  "r",  "r",  "s",  "t",   "t",  "ch",
    "ck", "ng", "nd", "ß", "ft", "lt", "m", "l", "tz", "nn", "ll", "rn", "cht", "st",
};
static const char *const suffixes[] = {"", "", "en", "er", "e", "t", "ung", "heit", "lich", "ig"};

#define LEX_N 4096
#define LEX_W 40 /* bytes of a word and its NUL; a word of 3 syllables and a suffix fits */

struct lexicon {
    char w[LEX_N][LEX_W];
};

/* Append s to a word if it fits (it always does with LEX_W; the check is the bound). */
static void word_cat(char *dst, const char *s)
{
    size_t a = strlen(dst), b = strlen(s);
    if (a + b < LEX_W)
        memcpy(dst + a, s, b + 1);
}

/* Upper-case the first letter: ASCII, or the umlauts C3 A4/B6/BC -> C3 84/96/9C. */
static void capitalize(char *w)
{
    uint8_t *u = (uint8_t *)w;
    if (u[0] >= 'a' && u[0] <= 'z')
        u[0] = (uint8_t)(u[0] - 32);
    else if (u[0] == 0xC3 && (u[1] == 0xA4 || u[1] == 0xB6 || u[1] == 0xBC))
        u[1] = (uint8_t)(u[1] - 0x20);
}

/* LEX_N words of 1 (45 %), 2 (40 %) or 3 syllables; every third one is a noun and stays
 * capitalised. */
static void lexicon_make(struct lexicon *L, struct rng *r)
{
    for (uint32_t i = 0; i < LEX_N; i++) {
        char *w = L->w[i];
        w[0] = 0;
        uint32_t d = rng_below(r, 20), syl = d < 9 ? 1 : d < 17 ? 2 : 3;
        for (uint32_t s = 0; s < syl; s++) {
            word_cat(w, PICK(r, onsets));
            word_cat(w, PICK(r, vowels));
            word_cat(w, PICK(r, codas));
        }
        word_cat(w, PICK(r, suffixes));
        if (i % 3 == 0)
            capitalize(w);
    }
}

/* A word: the glue words often, the lexicon by a skewed choice (the product of two
 * uniform draws favours the low indexes, as word frequencies in a language do). */
static const char *prose_word(struct rng *r, const struct lexicon *L)
{
    if (rng_pct(r, 25))
        return PICK(r, de_glue);
    uint32_t a = rng_below(r, LEX_N), b = rng_below(r, LEX_N);
    return L->w[(uint64_t)a * b / LEX_N];
}

/* One word, capitalised when first of a sentence or line. */
static void prose_put_word(struct out *o, struct rng *r, const struct lexicon *L, bool cap)
{
    char w[LEX_W];
    snprintf(w, sizeof w, "%s", prose_word(r, L));
    if (cap)
        capitalize(w);
    put_s(o, w);
}

static const char *const speakers[] = {
    "WALDEMAR", "IRMGARD",       "DER FÄHRMANN", "DIE STIMME", "CHOR DER GEISTER",
    "HELMTRUD", "DER SCHREIBER", "ODILIE",       "KUNIBERT",   "DIE ALTE",
};
static const char *const places[] = {
    "Im Glashaus",      "Am Mühlbach",     "Auf dem Dachboden", "Nächtlicher Markt",
    "Bei der Schleuse", "Eine enge Stube", "Straße am Fluß",    "Im Weinberg",
};
static const char *const line_ends[] = {",", ",", ".", ".", "!", "?", ";", "", "", ":"};

/* A verse line: 4-8 words, commas inside, punctuation at the end. */
static void prose_verse(struct out *o, struct rng *r, const struct lexicon *L)
{
    uint32_t n = 4 + rng_below(r, 5);
    for (uint32_t w = 0; w < n; w++) {
        if (w)
            put_s(o, rng_pct(r, 8) ? ", " : " ");
        prose_put_word(o, r, L, w == 0);
    }
    put_s(o, PICK(r, line_ends));
    put_s(o, "\n");
}

/* A stage direction: sentences in parentheses, wrapped at 72 columns. */
static void prose_direction(struct out *o, struct rng *r, const struct lexicon *L)
{
    uint32_t n = 12 + rng_below(r, 50), col = 1;
    put_s(o, "(");
    for (uint32_t w = 0; w < n; w++) {
        bool cap = w == 0 || rng_pct(r, 10);
        if (w) {
            put_s(o, cap ? "." : "");
            put_s(o, col > 64 ? "\n" : " ");
            col = col > 64 ? 0 : col + 1;
        }
        size_t before = o->len;
        prose_put_word(o, r, L, cap);
        col += (uint32_t)(o->len - before);
    }
    put_s(o, ".)\n\n");
}

/* One record of the play: a scene heading now and then, else a speech of verse lines
 * (a stage direction sometimes instead). */
static void prose_record(struct out *o, struct rng *r, uint32_t i, const void *ctx)
{
    const struct lexicon *L = ctx;
    if (i % 40 == 0)
        put_f(o, "\n%u. SZENE\n%s.\n\n", (unsigned)(i / 40 + 1), PICK(r, places));
    if (rng_pct(r, 12)) {
        prose_direction(o, r, L);
        return;
    }
    put_f(o, "%s:\n", PICK(r, speakers));
    uint32_t n = 1 + rng_below(r, 10);
    for (uint32_t l = 0; l < n; l++)
        prose_verse(o, r, L);
    put_s(o, "\n");
}

static bool make_prose(struct out *o, struct rng *r)
{
    struct lexicon *L = malloc(sizeof *L);
    if (!L)
        return false;
    lexicon_make(L, r);
    put_s(o, "DER GLÄSERNE WANDERER\nEin Spiel in Versen, in Szenen gesetzt.\n\n");
    records(o, r, o->lim, 16, prose_record, L);
    free(L);
    return finish(o, r, WORDS(de_glue), "", "\n");
}

/* ------------------------------------------------------------ HTML */

/* Words of the HTML's running text: English, some with non-ASCII letters or signs. */
static const char *const html_words[] = {
    "Übersicht", "Straße",  "café",      "naïve",    "résumé", "Ærø",     "smørrebrød", "jalapeño",
    "façade",    "déjà vu", "Größe",     "fiancée",  "—",      "€ 12,50", "→",          "🌍",
    "Zürich",    "señor",   "coöperate", "Ångström", "Übung",  "Mädchen",
};
static const char *const html_entities[] = {
    "&amp;", "&lt;b&gt;", "&copy;", "&nbsp;", "&mdash;", "&euro;", "&#8230;", "&quot;",
};
static const char *const html_paths[] = {"docs", "api", "blog", "news", "wiki", "help"};

static void html_link(struct out *o, struct rng *r, const char *word)
{
    const char *path = PICK(r, html_paths);
    unsigned page = rng_below(r, 1000);
    put_f(o, "<a href=\"https://example.org/%s/%u.html\">%s</a>", path, page, word);
}

/* Inline text: words with links, emphasis, code, entities and non-ASCII words. */
static void html_inline(struct out *o, struct rng *r, uint32_t words)
{
    for (uint32_t w = 0; w < words; w++) {
        if (w)
            put_s(o, " ");
        uint32_t c = rng_below(r, 30);
        const char *word = PICK(r, en_words);
        if (c == 0)
            html_link(o, r, word);
        else if (c == 1)
            put_f(o, "<em>%s</em>", word);
        else if (c == 2)
            put_f(o, "<strong>%s</strong>", word);
        else if (c == 3)
            put_f(o, "<code>%s()</code>", word);
        else if (c <= 5)
            put_s(o, PICK(r, html_entities));
        else if (c <= 8)
            put_s(o, PICK(r, html_words));
        else
            put_s(o, word);
    }
}

static void html_table(struct out *o, struct rng *r)
{
    uint32_t rows = 3 + rng_below(r, 10);
    put_s(o, "<table class=\"data\">\n<thead><tr><th>#</th><th>Name</th><th>Stadt</th>"
             "<th>Wert</th><th>Status</th></tr></thead>\n<tbody>\n");
    for (uint32_t i = 0; i < rows; i++) {
        const char *first = PICK(r, first_names), *last = PICK(r, last_names);
        const char *city = PICK(r, cities);
        unsigned euros = rng_below(r, 5000), cents = rng_below(r, 100);
        bool ok = rng_pct(r, 70);
        put_f(o, "<tr><td>%u</td><td>%s %s</td><td>%s</td><td>%u,%02u&nbsp;&euro;</td>",
              (unsigned)(i + 1), first, last, city, euros, cents);
        put_s(o,
              ok ? "<td class=\"ok\">geprüft</td></tr>\n" : "<td class=\"warn\">offen</td></tr>\n");
    }
    put_s(o, "</tbody>\n</table>\n");
}

static void html_list(struct out *o, struct rng *r)
{
    bool ordered = rng_pct(r, 30);
    uint32_t n = 3 + rng_below(r, 6);
    put_s(o, ordered ? "<ol>\n" : "<ul>\n");
    for (uint32_t i = 0; i < n; i++) {
        put_s(o, "<li>");
        html_inline(o, r, 3 + rng_below(r, 10));
        put_s(o, "</li>\n");
    }
    put_s(o, ordered ? "</ol>\n" : "</ul>\n");
}

/* One section: heading, paragraphs, now and then a table, a list or a quotation. */
static void html_record(struct out *o, struct rng *r, uint32_t i, const void *ctx)
{
    (void)ctx;
    const char *w1 = PICK(r, html_words), *w2 = PICK(r, en_words);
    put_f(o, "<section id=\"s%u\">\n<h2>%u. %s %s</h2>\n", (unsigned)(i + 1), (unsigned)(i + 1), w1,
          w2);
    uint32_t paras = 1 + rng_below(r, 4);
    for (uint32_t p = 0; p < paras; p++) {
        put_s(o, "<p>");
        html_inline(o, r, 20 + rng_below(r, 60));
        put_s(o, ".</p>\n");
    }
    if (rng_pct(r, 40))
        html_table(o, r);
    if (rng_pct(r, 50))
        html_list(o, r);
    if (rng_pct(r, 15)) {
        put_s(o, "<blockquote><p>&bdquo;");
        html_inline(o, r, 10 + rng_below(r, 20));
        put_s(o, "&ldquo;</p></blockquote>\n");
    }
    put_s(o, "</section>\n");
}

static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"de\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>Übersicht der Stationen &mdash; Jahresbericht</title>\n<style>\n"
    "body { font-family: sans-serif; margin: 2em auto; max-width: 50em; }\n"
    "table.data { border-collapse: collapse; }\n"
    "table.data td, table.data th { border: 1px solid #ccc; padding: 0.2em 0.5em; }\n"
    "td.warn { color: #a40; }\n</style>\n</head>\n<body>\n<header>\n"
    "<h1>Übersicht der Stationen</h1>\n<nav><ul>\n";
static const char html_end[] = "</p>\n</main>\n<footer><p>&copy; wsspec test data &middot; "
                               "generiert, nicht geschrieben</p></footer>\n</body>\n</html>\n";

#define HTML_NAV 24
#define HTML_RESERVE 256

static bool make_html(struct out *o, struct rng *r)
{
    put_s(o, html_head);
    for (unsigned i = 1; i <= HTML_NAV; i++)
        put_f(o, "<li><a href=\"#s%u\">Abschnitt %u</a></li>\n", i, i);
    put_s(o, "</ul></nav>\n</header>\n<main>\n");
    records(o, r, o->lim, HTML_RESERVE, html_record, NULL);
    return finish(o, r, WORDS(en_words), "<p class=\"colophon\">", html_end);
}

/* ------------------------------------------------------------ bitmap */

#define BMP_W 512
#define BMP_H 512
#define BMP_PIXELS 1078 /* 14 (file header) + 40 (info header) + 256 * 4 (palette) */

static void le16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
    le16(p, v);
    le16(p + 2, v >> 16);
}

/* BITMAPFILEHEADER, BITMAPINFOHEADER (8 bits, uncompressed, bottom-up rows of 512 bytes:
 * already a multiple of 4), a grey palette (B, G, R, 0). */
static void bmp_header(uint8_t *p, size_t len)
{
    memset(p, 0, BMP_PIXELS);
    p[0] = 'B';
    p[1] = 'M';
    le32(p + 2, (uint32_t)len);
    le32(p + 10, BMP_PIXELS);
    le32(p + 14, 40);
    le32(p + 18, BMP_W);
    le32(p + 22, BMP_H);
    le16(p + 26, 1);
    le16(p + 28, 8);
    le32(p + 34, BMP_W * BMP_H);
    le32(p + 38, 2835); /* 72 dpi in pixels per metre */
    le32(p + 42, 2835);
    le32(p + 46, 256);
    for (uint32_t i = 0; i < 256; i++)
        memset(p + 54 + 4 * i, (int)i, 3);
}

/* A lattice value in 0..255 at (x, y) of one noise layer: a hash, no table. */
static int lattice(int x, int y, uint32_t salt)
{
    struct rng h = {((uint64_t)(uint32_t)x << 32 | (uint32_t)y) ^ ((uint64_t)salt << 48)};
    return (int)(rng_next(&h) & 0xff);
}

/* t (0..256) eased as 3t^2 - 2t^3: no creases at the lattice lines. */
static int ease(int t)
{
    return t * t * (768 - 2 * t) / 65536;
}

/* Value noise: the lattice of spacing cell, interpolated; 0..255. */
static int value_noise(int x, int y, int cell, uint32_t salt)
{
    int cx = x / cell, cy = y / cell;
    int fx = ease((x % cell) * 256 / cell), fy = ease((y % cell) * 256 / cell);
    int a = lattice(cx, cy, salt), b = lattice(cx + 1, cy, salt);
    int c = lattice(cx, cy + 1, salt), d = lattice(cx + 1, cy + 1, salt);
    int top = a * 256 + (b - a) * fx, bot = c * 256 + (d - c) * fx;
    return (top * 256 + (bot - top) * fy) >> 16;
}

struct disc {
    int x, y, r, shade;
};
#define BMP_DISCS 9

/* Blend a shaded disc over v: its own tone darkening towards the rim, a soft edge of
 * 6 pixels; outside it v is unchanged. */
static int disc_over(int v, const struct disc *d, int x, int y)
{
    int dx = x - d->x, dy = y - d->y, d2 = dx * dx + dy * dy;
    int r2 = d->r * d->r, ri = d->r > 6 ? d->r - 6 : 0;
    if (d2 >= r2)
        return v;
    int tone = d->shade - (int)((int64_t)d2 * 60 / r2);
    int a = d2 <= ri * ri ? 256 : (r2 - d2) * 256 / (r2 - ri * ri);
    return (v * (256 - a) + tone * a) / 256;
}

/* The picture: a diagonal gradient, noise at four scales, discs over it, grain. */
static int bmp_pixel(int x, int y, const struct disc *discs, struct rng *r)
{
    int v = 50 + (x + 2 * y) * 120 / (3 * BMP_W);
    v += (value_noise(x, y, 128, 1) - 128) * 50 / 128 + (value_noise(x, y, 48, 2) - 128) / 4;
    v += (value_noise(x, y, 12, 3) - 128) / 10 + (value_noise(x, y, 3, 4) - 128) / 16;
    for (int k = 0; k < BMP_DISCS; k++)
        v = disc_over(v, &discs[k], x, y);
    v += (int)rng_below(r, 13) - 6;
    return v < 0 ? 0 : v > 255 ? 255 : v;
}

static bool make_bitmap(struct out *o, struct rng *r)
{
    struct disc discs[BMP_DISCS];
    for (int k = 0; k < BMP_DISCS; k++) {
        discs[k].x = (int)rng_below(r, BMP_W);
        discs[k].y = (int)rng_below(r, BMP_H);
        discs[k].r = 20 + (int)rng_below(r, 110);
        discs[k].shade = 40 + (int)rng_below(r, 200);
    }
    bmp_header(o->p, o->lim);
    uint8_t *px = o->p + BMP_PIXELS;
    for (int y = 0; y < BMP_H; y++) /* row 0 of the file is the bottom row */
        for (int x = 0; x < BMP_W; x++)
            px[(size_t)y * BMP_W + (size_t)x] = (uint8_t)bmp_pixel(x, BMP_H - 1 - y, discs, r);
    o->len = BMP_PIXELS + (size_t)BMP_W * BMP_H;
    return o->len == o->lim;
}

/* ------------------------------------------------------------ packed (PDF-like) */

#define PDF_STREAM_HEAD "%u 0 obj\n<< /Length %zu /Filter /FlateDecode >>\nstream\n"
#define PDF_STREAM_FOOT "\nendstream\nendobj\n"
#define PDF_TRAILER "trailer\n<< /Size %u /Root 1 0 R >>\n%%%%EOF\n"
/* Streams of 2 KB to 120 KB, like the images and fonts of a real PDF; the last one takes
 * whatever is left once less than PDF_LAST_FROM is. */
#define PDF_STREAM_MIN 2048u
#define PDF_STREAM_SPAN 120000u
#define PDF_LAST_FROM 200000u
/* A file of 1 MB has a few dozen objects; the bound guards the loop. */
#define PDF_OBJECTS_MAX 4096u

static size_t pdf_head_len(unsigned num, size_t len)
{
    return (size_t)snprintf(NULL, 0, PDF_STREAM_HEAD, num, len);
}

/* Pseudo-random bytes: compressed data looks like this to deflate. */
static void random_bytes(struct out *o, struct rng *r, size_t n)
{
    if (n > o->lim - o->len) {
        o->full = true;
        return;
    }
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v = rng_next(r);
        size_t k = n - i < 8 ? n - i : 8;
        for (size_t j = 0; j < k; j++)
            o->p[o->len + i + j] = (uint8_t)(v >> (8 * j));
    }
    o->len += n;
}

static void pdf_stream(struct out *o, struct rng *r, unsigned num, size_t len)
{
    put_f(o, PDF_STREAM_HEAD, num, len);
    random_bytes(o, r, len);
    put_s(o, PDF_STREAM_FOOT);
}

/* A page object in plain text between the streams. */
static void pdf_page(struct out *o, unsigned num)
{
    put_f(o,
          "%u 0 obj\n<< /Type /Page /Parent 2 0 R /Contents %u 0 R "
          "/MediaBox [0 0 595 842] >>\nendobj\n",
          num, num + 1);
}

/* The last stream fills the file to its size: its length leaves room for its head
 * (whose digits depend on that length: counted with the digits of the room left, at
 * most one more than needed), its foot and the trailer; newlines make up the rest. */
static void pdf_last(struct out *o, struct rng *r, unsigned num)
{
    size_t tail = (size_t)snprintf(NULL, 0, PDF_TRAILER, num + 1);
    size_t room = o->lim - o->len, foot = strlen(PDF_STREAM_FOOT);
    size_t fixed = tail + foot + pdf_head_len(num, room);
    if (room < fixed) {
        o->full = true;
        return;
    }
    size_t len = room - fixed;
    pdf_stream(o, r, num, len);
    while (!o->full && o->lim - o->len > tail)
        put_s(o, "\n");
    put_f(o, PDF_TRAILER, num + 1);
}

static bool make_packed(struct out *o, struct rng *r)
{
    put_s(o, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
    put_s(o, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    put_s(o, "2 0 obj\n<< /Type /Pages /Count 1 >>\nendobj\n");
    unsigned num = 3;
    while (num < PDF_OBJECTS_MAX && !o->full && o->lim - o->len > PDF_LAST_FROM) {
        if (rng_pct(r, 25))
            pdf_page(o, num++);
        pdf_stream(o, r, num++, PDF_STREAM_MIN + rng_below(r, PDF_STREAM_SPAN));
    }
    pdf_last(o, r, num);
    return !o->full && o->len == o->lim;
}

/* ------------------------------------------------------------ dispatch */

typedef bool (*make_fn)(struct out *o, struct rng *r);

static const struct {
    make_fn make;
    uint64_t seed;
} makers[TESTDATA_N] = {
    [TESTDATA_JSON] = {make_json, UINT64_C(0x6a736f6e2d313201)},
    [TESTDATA_BITMAP] = {make_bitmap, UINT64_C(0x626d702d35313202)},
    [TESTDATA_PROSE] = {make_prose, UINT64_C(0x70726f73652d1203)},
    [TESTDATA_HTML] = {make_html, UINT64_C(0x68746d6c2d313204)},
    [TESTDATA_PACKED] = {make_packed, UINT64_C(0x7061636b65641205)},
};

uint8_t *testdata_make(enum testdata_kind k)
{
    const struct testdata_info *info = testdata_info(k);
    if (!info)
        return NULL;
    struct out o = {malloc(info->len), 0, info->len, false};
    if (!o.p)
        return NULL;
    struct rng r = {makers[k].seed};
    if (!makers[k].make(&o, &r)) {
        free(o.p); /* a generator that misses its size is a bug the unit test shows */
        return NULL;
    }
    return o.p;
}

/*
 * fuzz_cmd.c - `wsspec fuzz URL` (fuzz_cmd.h).
 *
 * The loop: draw a seed case, mutate it (fuzz_mutate.h), run it as a case on the
 * tester (tester.h: the strict core receives everything the target sends, and a
 * liveness check - the opening handshake and one echoed message - follows every
 * batch), then ask the oracles:
 *   protocol   the target broke an RFC 6455 rule the strict core enforces
 *              (case_result.target_error: an invalid or masked frame, invalid UTF-8, a
 *              wrong close code, data after its Close, ...)
 *   hang       the liveness check after the conversation got no answer, and the target
 *              is still there (its process runs, or its port still accepts)
 *   gone       the liveness check failed and the port refuses connections (no --cmd)
 *   crash      with --cmd: the process ended (exit status, signal)
 *   sanitizer  with --cmd: a sanitizer report on its stderr
 *   rss        with --cmd --max-rss: its resident memory grew by more than the limit
 * A finding is minimised (minimise_*: delta debugging over the steps, then the request
 * edits, then payload bytes; every replay against a fresh start of --cmd) and saved as
 * a case file the catalogue format reads (case_print.h), with a summary.json beside it
 * and the same as a page, index.html (fuzz_page.h).
 * Findings of the same kind and signature as an earlier one are counted, not saved.
 *
 * --corpus DIR adds seeds made from the frame fuzzer's corpus (load_corpus): each input
 * a server receives becomes the opening handshake and its bytes as `send raw` steps.
 *
 * Coverage-guided (--coverage, fuzz_cov.h): a batch whose conversations reached edges of
 * the target's code (or hit-count buckets) no batch reached before joins the queue, and
 * half the mutants are then drawn from the queue instead of the seed cases. The map is
 * read per batch: per conversation with -j 1.
 */
#define _GNU_SOURCE
#include "fuzz_cmd.h"
#include "script.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "case_lint.h"
#include "case_print.h"
#include "echo/cli_doc.h"
#include "fuzz_cov.h"
#include "fuzz_mutate.h"
#include "fuzz_page.h"
#include "fuzz_proc.h"
#include "tester.h"

#define FUZZ_MAX_DIRS 16
#define FUZZ_MAX_JOBS 64
/* Distinct findings kept (and signatures remembered) in one run. */
#define FUZZ_MAX_FINDINGS 64
/* Seconds --cmd has to accept connections after each start. */
#define FUZZ_START_SECONDS 10.0
/* Seconds a process that failed the liveness check has to end before it counts as hung
 * rather than crashed (a core dump takes a moment to write). */
#define FUZZ_EXIT_WAIT 1.0
/* Mutations per mutant: 1..this. */
#define FUZZ_MUTATIONS_MAX 4
/* Tries to draw a mutant that reads back as a case before giving up on a run. */
#define FUZZ_DRAW_TRIES 16
/* Conversations an rss replay runs on one fresh start (a leak per connection grows with
 * each; one is seldom enough against the noise of a fresh heap). */
#define FUZZ_RSS_REPLAYS 4
/* Conversations kept for new coverage: at most this many (then new ones are counted,
 * not kept; each is a parsed case, a few KiB). */
#define FUZZ_QUEUE_MAX 4096
/* summary.json's edges over time: a sample this often (seconds), at most SAMPLES_MAX
 * of them (then every other one is dropped and the interval doubled). */
#define FUZZ_SAMPLE_EVERY 5.0
#define FUZZ_SAMPLES_MAX 1024

enum fuzz_group {
#define FUZZ_GROUP(name, intro) FUZZ_GROUP_##name,
#include "fuzz_opts.def"
#undef FUZZ_GROUP
};

enum fuzz_opt {
#define FUZZ_OPT(name, lng, shrt, arg, max, group, help) FUZZ_OPT_##name,
#include "fuzz_opts.def"
#undef FUZZ_OPT
    FUZZ_OPT_COUNT
};

/* The rows as cli_doc prints them (--help and wsspec-fuzz(1)) and the parser reads
 * them. */
static const struct cli_opt fuzz_opt_rows[FUZZ_OPT_COUNT] = {
#define FUZZ_OPT(name, lng, shrt, arg, max, group, help)                                           \
    [FUZZ_OPT_##name] = {lng, shrt, arg, max, FUZZ_GROUP_##group, help},
#include "fuzz_opts.def"
#undef FUZZ_OPT
};

static const char *const fuzz_group_intro[] = {
#define FUZZ_GROUP(name, intro) [FUZZ_GROUP_##name] = intro,
#include "fuzz_opts.def"
#undef FUZZ_GROUP
};

struct fuzz_args {
    const char *url, *cmd, *findings, *include, *exclude, *corpus, *dirs[FUZZ_MAX_DIRS];
    size_t n_dirs;
    uint64_t seed, runs, max_rss_mib, max_findings; /* max_findings 0: no bound */
    double duration, scale;
    unsigned jobs, minimize;
    enum { COV_AUTO, COV_AFL, COV_WATCH, COV_OFF } coverage;
    bool seed_given, runs_given, duration_given, quiet, help;
};

enum finding_kind { FK_NONE = 0, FK_PROTOCOL, FK_HANG, FK_GONE, FK_CRASH, FK_SANITIZER, FK_RSS };

static const char *const kind_names[] = {"none",  "protocol",  "hang", "gone",
                                         "crash", "sanitizer", "rss"};

/* What the oracles said about one conversation (or batch). */
struct verdict {
    enum finding_kind kind;
    size_t culprit; /* which mutant of the batch, when known */
    bool culprit_known;
    enum ws_error error; /* FK_PROTOCOL */
    char what[512];      /* one line */
};

/* A conversation that reached new coverage: a parent for mutants, like a seed case. */
struct queued {
    struct case_catalogue cat;     /* one case */
    const struct case_def *origin; /* the seed case it descends from */
    double seconds;                /* how long its batch took */
};

/* Parents are drawn from the queue half the time; of those, three in four come from the
 * conversations that reached new edges (not only new hit-count buckets): they are few,
 * and each opened code no other conversation reached, while bucket changes (a loop run
 * more often: a longer header, a bigger payload) come every few conversations and would
 * otherwise bury them - AFL favours its entries for the same reason. Of two entries drawn,
 * the one whose batch ran faster is the parent: a conversation the target left hanging
 * until wsspec's deadline has mutants that do the same, and AFL prefers fast entries too. */
#define FUZZ_FAVOURED_IN_4 3

struct fuzz {
    struct fuzz_args a;
    struct case_catalogue cat;
    struct case_catalogue corpus; /* --corpus: the seeds made from its files */
    const struct case_def **seeds;
    size_t n_seeds;
    struct target t;
    bool have_proc;
    struct fuzz_proc proc;
    size_t rss_base_kib;
    FILE *log; /* the target's stderr, DIR/target-stderr.log */
    struct fuzz_rng rng;
    uint64_t runs, execs, replays, invalid, duplicates;
    size_t n_found, first_number;
    char sigs[FUZZ_MAX_FINDINGS][160];
    json_t *found;       /* the summary's findings array */
    struct fuzz_cov cov; /* map NULL: black-box */
    bool cov_checked;    /* the target was seen attaching the map */
    struct queued *queue;
    size_t n_queue, queue_cap;
    size_t *favoured; /* queue indices of the conversations that reached new edges */
    size_t n_favoured;
    uint64_t queue_dropped;
    json_t *samples; /* edges over time */
    double sample_every, next_sample;
    double t0;
    bool tty;
};

static volatile int fuzz_stop;

static void on_signal(int sig)
{
    (void)sig;
    fuzz_stop = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((format(printf, 1, 2))) static int say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("wsspec fuzz: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 2;
}

/* ------------------------------------------------------------ options */

static const char *const fuzz_description[] = {
    "Fuzz a live WebSocket server: conversations mutated from the catalogue's cases (the "
    "opening request's header lines, every frame field, lengths that disagree with the "
    "bytes, fragmentation, control frames in odd places, invalid UTF-8, chops), everything "
    "the target sends judged by wsspec's strict RFC 6455 core, a liveness check (handshake "
    "and one echo) after each conversation. Each finding is minimised and saved as a case "
    "file.",
    NULL,
};

static const char *const fuzz_notes[] = {
    "Oracles: protocol (the target broke a rule of RFC 6455 the strict core enforces), hang "
    "(no answer to the liveness check, target still there), gone (connection refused "
    "afterwards), and with --cmd: crash (exit status or signal), sanitizer (a report on its "
    "stderr), rss (--max-rss).",
    NULL,
};

static const char *const fuzz_examples[] = {
    "wsspec fuzz ws://127.0.0.1:9001/ --duration 300",
    "five minutes of mutated conversations against a running server",
    "wsspec fuzz ws://127.0.0.1:9001/ --cmd './server --port 9001' --max-rss 64 --runs 10000",
    "start the server itself, restart it after each finding; crashes, sanitizer reports and "
    "64 MiB of memory growth are findings too",
    "wsspec fuzz ws://127.0.0.1:9001/ --seed 42 --runs 500",
    "the same 500 mutants in the same order as any other run with seed 42",
    "wsspec run ws://127.0.0.1:9001/ --cases-dir wsspec-findings",
    "replay the findings saved as case files",
    NULL,
};

const struct cli_doc fuzz_doc = {
    .name = "fuzz",
    .synopsis = "URL [options]",
    .description = fuzz_description,
    .group_intro = fuzz_group_intro,
    .n_groups = sizeof fuzz_group_intro / sizeof fuzz_group_intro[0],
    .opts = fuzz_opt_rows,
    .n_opts = FUZZ_OPT_COUNT,
    .notes = fuzz_notes,
    .exit_status = "Exit status: 0 no finding, 1 findings (saved in --findings DIR), 2 usage "
                   "error, an interrupted run, or wsspec's own trouble (a target that cannot be "
                   "reached or started, a directory that cannot be written).",
    .examples = fuzz_examples,
};

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("wsspec fuzz: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("; see 'wsspec fuzz --help'\n", stderr);
    va_end(ap);
    return 2;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *e;
    errno = 0;
    unsigned long long v = strtoull(s, &e, 10);
    if (!*s || *e || errno || s[0] == '-')
        return false;
    *out = v;
    return true;
}

static bool parse_seconds(const char *s, double *out)
{
    char *e;
    errno = 0;
    double v = strtod(s, &e);
    if (!*s || *e || errno || !(v > 0) || v > 1e7)
        return false;
    *out = v;
    return true;
}

static int fuzz_opt_set(struct fuzz_args *a, enum fuzz_opt o, const char *v, const char *opt)
{
    uint64_t n = 0;
    switch (o) {
    case FUZZ_OPT_SEED:
        a->seed_given = true;
        return parse_u64(v, &a->seed) ? 0 : usage_error("%s needs a decimal number", opt);
    case FUZZ_OPT_RUNS:
        a->runs_given = true;
        return parse_u64(v, &a->runs) && a->runs > 0 ? 0 : usage_error("%s needs N >= 1", opt);
    case FUZZ_OPT_DURATION:
        a->duration_given = true;
        return parse_seconds(v, &a->duration) ? 0 : usage_error("%s needs seconds > 0", opt);
    case FUZZ_OPT_JOBS:
        if (!parse_u64(v, &n) || n < 1 || n > FUZZ_MAX_JOBS)
            return usage_error("%s needs N from 1 to %d", opt, FUZZ_MAX_JOBS);
        a->jobs = (unsigned)n;
        return 0;
    case FUZZ_OPT_CMD:
        a->cmd = v;
        return v[0] ? 0 : usage_error("%s needs a command", opt);
    case FUZZ_OPT_MAX_RSS:
        return parse_u64(v, &a->max_rss_mib) && a->max_rss_mib > 0
                   ? 0
                   : usage_error("%s needs MiB >= 1", opt);
    case FUZZ_OPT_FINDINGS:
        a->findings = v;
        return 0;
    case FUZZ_OPT_CASES:
        a->include = v;
        return 0;
    case FUZZ_OPT_EXCLUDE:
        a->exclude = v;
        return 0;
    case FUZZ_OPT_CASES_DIR:
        a->dirs[a->n_dirs++] = v;
        return 0;
    case FUZZ_OPT_CORPUS:
        a->corpus = v;
        return v[0] ? 0 : usage_error("%s needs a directory", opt);
    case FUZZ_OPT_MAX_FINDINGS:
        return parse_u64(v, &a->max_findings) && a->max_findings > 0
                   ? 0
                   : usage_error("%s needs N >= 1", opt);
    case FUZZ_OPT_MINIMIZE:
        if (!parse_u64(v, &n) || n > 100000)
            return usage_error("%s needs N from 0 to 100000", opt);
        a->minimize = (unsigned)n;
        return 0;
    case FUZZ_OPT_TIMEOUT_SCALE:
        return parse_seconds(v, &a->scale) ? 0 : usage_error("%s needs X > 0", opt);
    case FUZZ_OPT_COVERAGE:
        if (strcmp(v, "auto") == 0)
            a->coverage = COV_AUTO;
        else if (strcmp(v, "afl") == 0)
            a->coverage = COV_AFL;
        else if (strcmp(v, "watch") == 0)
            a->coverage = COV_WATCH;
        else if (strcmp(v, "off") == 0)
            a->coverage = COV_OFF;
        else
            return usage_error("%s needs auto, afl, watch or off", opt);
        return 0;
    case FUZZ_OPT_QUIET:
        a->quiet = true;
        return 0;
    case FUZZ_OPT_HELP:
        a->help = true;
        return 0;
    case FUZZ_OPT_COUNT:
        break;
    }
    return usage_error("unknown option '%s'", opt);
}

static enum fuzz_opt fuzz_opt_find(const char *s)
{
    for (int i = 0; i < FUZZ_OPT_COUNT; i++) {
        const struct cli_opt *o = &fuzz_opt_rows[i];
        if ((s[1] == '-' && !strcmp(s + 2, o->lng)) || (o->shrt && s[1] == o->shrt && !s[2]))
            return (enum fuzz_opt)i;
    }
    return FUZZ_OPT_COUNT;
}

static int fuzz_args_parse(int argc, char **argv, struct fuzz_args *a)
{
    unsigned seen[FUZZ_OPT_COUNT] = {0};
    *a = (struct fuzz_args){.jobs = 1, .scale = 1.0, .minimize = 64, .findings = "wsspec-findings"};
    for (int i = 1; i < argc && !a->help; i++) {
        const char *s = argv[i];
        if (s[0] != '-') {
            if (a->url)
                return usage_error("one URL only ('%s' is a second one)", s);
            a->url = s;
            continue;
        }
        enum fuzz_opt o = fuzz_opt_find(s);
        if (o == FUZZ_OPT_COUNT)
            return usage_error("unknown option '%s'", s);
        const struct cli_opt *row = &fuzz_opt_rows[o];
        if (row->arg && i + 1 == argc)
            return usage_error("option %s needs a value (%s)", s, row->arg);
        if (++seen[o] > row->max)
            return row->max == 1 ? usage_error("option %s given more than once", s)
                                 : usage_error("option %s given more than %u times", s, row->max);
        int rc = fuzz_opt_set(a, o, row->arg ? argv[++i] : NULL, s);
        if (rc)
            return rc;
    }
    if (a->help)
        return 0;
    if (!a->url)
        return usage_error("no URL (wsspec fuzz ws://host:port/)");
    if ((a->coverage == COV_AFL || a->coverage == COV_WATCH) && !a->cmd)
        return usage_error("--coverage %s needs --cmd (the map goes to the process wsspec "
                           "starts)",
                           a->coverage == COV_AFL ? "afl" : "watch");
    if (a->max_rss_mib && !a->cmd)
        return usage_error("--max-rss needs --cmd (wsspec watches the process it started)");
    if (!a->runs_given && !a->duration_given)
        a->duration = 60;
    if (!a->seed_given)
        a->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    return 0;
}

/* ------------------------------------------------------------ seeds */

static void diag_print(void *ud, const char *msg)
{
    (void)ud;
    say("%s", msg);
}

/* Without --cases: all but the sections whose cases are long timers or bulk. */
#define FUZZ_DEFAULT_EXCLUDE "9.*,12.*,13.*,17.*"

/* --corpus: at most this many files become seeds, each of at most this many bytes (a
 * longer one is skipped), from a directory of at most FUZZ_CORPUS_LIST entries */
#define FUZZ_CORPUS_FILES 256
#define FUZZ_CORPUS_BYTES (64u * 1024u)
#define FUZZ_CORPUS_LIST 65536
/* frame_fuzzer.c's control bytes before the stream: the rules byte (bit 0 set: the
 * receiver is a client) and four of chop schedule */
#define FUZZ_CORPUS_CONTROL 5
/* stream bytes per `send raw` step: its hex stays well within a case-file line */
#define FUZZ_CORPUS_RAW 16384u

static int name_order(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The case-file text of corpus seed k (file name, stream s[0..n)): the catalogue's
 * opening handshake, then the stream written as it is. NULL: out of memory. */
static char *corpus_case_text(size_t k, const char *name, const uint8_t *s, size_t n)
{
    size_t cap = 1024 + n * 2 + (n / FUZZ_CORPUS_RAW + 1) * 16;
    char *t = malloc(cap);
    if (!t)
        return NULL;
    char safe[65]; /* the name as title text: any byte of a file name is allowed there */
    size_t j = 0;
    for (const char *p = name; *p && j < sizeof safe - 1; p++)
        safe[j++] = (*p >= '0' && *p <= '9') || ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') ||
                            *p == '.' || *p == '-' || *p == '_'
                        ? *p
                        : '?';
    safe[j] = 0;
    size_t len = (size_t)snprintf(
        t, cap,
        "case 91.%zu\n  title Send the frame bytes of corpus file %s.\n"
        "  expectation None: a seed for wsspec fuzz, whose oracles judge its mutants.\n"
        "  rfc 5.2 MUST \"Note that in all cases, the minimal number of bytes MUST be used to "
        "encode the length, for example, the length of a 124-byte-long string can't be encoded "
        "as the sequence 126, 0, 124.\"\n  informational\n  close-rule tester 1000 clean\n",
        k + 1, safe);
    static const char hex[] = "0123456789abcdef";
    for (size_t off = 0; off < n; off += FUZZ_CORPUS_RAW) {
        memcpy(t + len, "  send raw 0x", 13);
        len += 13;
        for (size_t i = off; i < n && i < off + FUZZ_CORPUS_RAW; i++) {
            t[len++] = hex[s[i] >> 4];
            t[len++] = hex[s[i] & 15];
        }
        t[len++] = '\n';
    }
    memcpy(t + len, "end\n", 5);
    return t;
}

/* File path's bytes into buf (cap bytes); returns the length, or cap + 1 when longer, or
 * -1 when it is no regular file or cannot be read. */
static long read_small(const char *path, uint8_t *buf, size_t cap)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, cap, f);
    int more = fgetc(f);
    bool bad = ferror(f) != 0;
    fclose(f);
    return bad ? -1 : more != EOF ? (long)cap + 1 : (long)n;
}

/* --corpus DIR into F->corpus: its files sorted by name, each input a server receives
 * (the rules byte's bit 0 clear, a stream after the control bytes) a seed, the first
 * FUZZ_CORPUS_FILES of them. */
static int load_corpus(struct fuzz *F)
{
    const char *dir = F->a.corpus;
    DIR *d = opendir(dir);
    if (!d)
        return say("cannot open --corpus %s: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0;
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char **more = n < FUZZ_CORPUS_LIST ? realloc(names, (n + 1) * sizeof *names) : NULL;
        if (more)
            names = more;
        if (n >= FUZZ_CORPUS_LIST)
            rc = say("--corpus %s: more than %d files", dir, FUZZ_CORPUS_LIST);
        else if (!more || !(names[n] = strdup(e->d_name)))
            rc = say("out of memory");
        else
            n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, name_order);
    uint8_t *buf = malloc(FUZZ_CORPUS_BYTES);
    if (!buf && rc == 0)
        rc = say("out of memory");
    size_t taken = 0;
    for (size_t i = 0; i < n && rc == 0 && taken < FUZZ_CORPUS_FILES; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        long len = read_small(path, buf, FUZZ_CORPUS_BYTES);
        if (len <= FUZZ_CORPUS_CONTROL || len > (long)FUZZ_CORPUS_BYTES || (buf[0] & 1))
            continue; /* unreadable, no stream, too long, or a client's input */
        char *text = corpus_case_text(taken, names[i], buf + FUZZ_CORPUS_CONTROL,
                                      (size_t)len - FUZZ_CORPUS_CONTROL);
        if (!text)
            rc = say("out of memory");
        else if (case_parse_buffer(&F->corpus, path, text, strlen(text), diag_print, NULL) != 0)
            rc = say("--corpus %s: the seed made of it does not read back (a bug)", path);
        else
            taken++;
        free(text);
    }
    free(buf);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (rc == 0 && taken == 0)
        rc = say("--corpus %s: no input a server receives (frame_fuzzer.c's layout: a rules "
                 "byte with bit 0 clear, four chop bytes, then the stream)",
                 dir);
    return rc;
}

static int load_seeds(struct fuzz *F)
{
    const char *home = case_default_dir_or_say("fuzz");
    if (!home)
        return 2;
    size_t errors = case_parse_dir(&F->cat, home, diag_print, NULL);
    for (size_t i = 0; i < F->a.n_dirs; i++)
        errors += case_parse_dir(&F->cat, F->a.dirs[i], diag_print, NULL);
    if (errors)
        return say("%zu error(s) in case files; 'wsspec lint' shows them all", errors);
    if (F->a.corpus) {
        int rc = load_corpus(F);
        if (rc)
            return rc;
    }
    size_t *idx = calloc(F->cat.n_cases ? F->cat.n_cases : 1, sizeof *idx);
    F->seeds = calloc(F->cat.n_cases + F->corpus.n_cases + 1, sizeof *F->seeds);
    if (!idx || !F->seeds) {
        free(idx);
        return say("out of memory");
    }
    char excl[1024];
    snprintf(excl, sizeof excl, "%s%s%s", F->a.include ? "" : FUZZ_DEFAULT_EXCLUDE,
             F->a.include || !F->a.exclude ? "" : ",", F->a.exclude ? F->a.exclude : "");
    size_t n = case_select(&F->cat, F->a.include, excl[0] ? excl : NULL, idx);
    /* only cases wsspec runs as the client: section 19's test a client (wsspec serve) */
    for (size_t i = 0; i < n; i++)
        if (script_case_runs_as_client(&F->cat.cases[idx[i]], NULL))
            F->seeds[F->n_seeds++] = &F->cat.cases[idx[i]];
    free(idx);
    for (size_t i = 0; i < F->corpus.n_cases; i++)
        F->seeds[F->n_seeds++] = &F->corpus.cases[i];
    if (F->n_seeds == 0)
        return say("no seed case matches --cases '%s'", F->a.include ? F->a.include : "*");
    return 0;
}

/* ------------------------------------------------------------ mutants */

/* The fuzz ids: 90.K for mutant K (dotted decimal, as the case format wants). */
static void mutant_id(char *out, size_t cap, uint64_t k)
{
    snprintf(out, cap, "90.%llu", (unsigned long long)k + 1);
}

static size_t queue_draw(struct fuzz *F, bool favoured)
{
    return favoured ? F->favoured[fuzz_rng_below(&F->rng, F->n_favoured)]
                    : fuzz_rng_below(&F->rng, F->n_queue);
}

/* The case a mutant is made from: a seed case, or half the time (once there is a queue)
 * a conversation that reached new coverage. *origin: the seed case it descends from. */
static const struct case_def *draw_parent(struct fuzz *F, const struct case_def **origin)
{
    if (F->n_queue && fuzz_rng_below(&F->rng, 2)) {
        bool fav = F->n_favoured && fuzz_rng_below(&F->rng, 4) < FUZZ_FAVOURED_IN_4;
        size_t k = queue_draw(F, fav), k2 = queue_draw(F, fav);
        if (F->queue[k2].seconds < F->queue[k].seconds)
            k = k2; /* the faster of two: a slow parent has slow mutants */
        const struct queued *q = &F->queue[k];
        *origin = q->origin;
        return &q->cat.cases[0];
    }
    return *origin = F->seeds[fuzz_rng_below(&F->rng, F->n_seeds)];
}

/* One mutant as case-file text, or NULL (memory). Drawn until one reads back. */
static char *draw_mutant(struct fuzz *F, uint64_t k, const struct case_def **from)
{
    char id[32];
    mutant_id(id, sizeof id, k);
    for (int tries = 0; tries < FUZZ_DRAW_TRIES; tries++) {
        const struct case_def *origin, *seed = draw_parent(F, &origin);
        unsigned n_mut = (unsigned)(1 + fuzz_rng_below(&F->rng, FUZZ_MUTATIONS_MAX));
        struct case_catalogue one, back;
        if (fuzz_case_copy(seed, id, &one, NULL) != 0)
            continue;
        int rc = fuzz_mutate(&one.cases[0], F->seeds, F->n_seeds, n_mut, &F->rng);
        fuzz_mutant_prepare(&one.cases[0]);
        char *text = NULL;
        if (rc == 0 && fuzz_case_copy(&one.cases[0], id, &back, &text) == 0) {
            case_catalogue_free(&back);
            case_catalogue_free(&one);
            *from = origin;
            return text;
        }
        F->invalid++;
        case_catalogue_free(&one);
    }
    return NULL;
}

/* ------------------------------------------------------------ running and oracles */

static void verdict_set(struct verdict *v, enum finding_kind k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void verdict_set(struct verdict *v, enum finding_kind k, const char *fmt, ...)
{
    if (v->kind != FK_NONE)
        return; /* the first (most basic) one stands */
    v->kind = k;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->what, sizeof v->what, fmt, ap);
    va_end(ap);
}

static bool port_accepts(const struct target *t)
{
    int fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return true; /* our trouble, not a sign the target went */
    bool ok = connect(fd, (const struct sockaddr *)&t->addr, t->addr_len) == 0;
    close(fd);
    return ok;
}

static int start_target(struct fuzz *F, char *err, size_t cap)
{
    if (!F->have_proc)
        return 0;
    fuzz_proc_stop(&F->proc, 2.0);
    fuzz_proc_clear(&F->proc);
    fuzz_cov_reset(&F->cov);
    if (fuzz_proc_start(&F->proc, (const struct sockaddr *)&F->t.addr, F->t.addr_len,
                        FUZZ_START_SECONDS * F->a.scale, err, cap) != 0)
        return -1;
    if (F->cov.map && !F->cov_checked) {
        /* AFL++'s runtime writes to the map as soon as it has attached it */
        if (!fuzz_cov_touched(&F->cov)) {
            snprintf(err, cap,
                     "--coverage: the target did not attach the coverage map (%s wrote "
                     "nothing to it); --coverage off fuzzes it black-box",
                     F->a.cmd);
            return -1;
        }
        F->cov_checked = true;
    }
    F->proc.restarts++;
    F->rss_base_kib = fuzz_proc_rss_kib(&F->proc);
    return 0;
}

/* What the process-level oracles see after a conversation (--cmd). */
static void proc_oracles(struct fuzz *F, struct verdict *v)
{
    fuzz_proc_poll(&F->proc);
    if (F->proc.sanitizer)
        verdict_set(v, FK_SANITIZER, "sanitizer report on the target's stderr: %s",
                    F->proc.san_line);
    if (F->proc.exited) {
        char how[96];
        fuzz_proc_describe(&F->proc, how, sizeof how);
        verdict_set(v, FK_CRASH, "the target process ended: %s", how);
    }
    size_t rss = fuzz_proc_rss_kib(&F->proc);
    if (F->a.max_rss_mib && rss > F->rss_base_kib &&
        rss - F->rss_base_kib > F->a.max_rss_mib * 1024)
        verdict_set(v, FK_RSS,
                    "the target's resident memory grew by %zu KiB (from %zu to %zu "
                    "KiB), more than --max-rss %llu MiB",
                    rss - F->rss_base_kib, F->rss_base_kib, rss,
                    (unsigned long long)F->a.max_rss_mib);
}

static void result_oracles(struct case_result *res, size_t n, struct verdict *v)
{
    for (size_t i = 0; i < n && v->kind == FK_NONE; i++)
        if (res[i].target_error != WS_E_OK) {
            verdict_set(v, FK_PROTOCOL, "the target broke a rule of %s %s: %s (%s, byte %llu)",
                        ws_error_rfc(res[i].target_error), ws_error_section(res[i].target_error),
                        ws_error_text(res[i].target_error), ws_error_name(res[i].target_error),
                        (unsigned long long)res[i].target_error_offset);
            v->error = res[i].target_error;
            v->culprit = i;
            v->culprit_known = true;
        }
}

/* Run the cases of text (one or a batch) and ask every oracle. Returns 0, or -1 when
 * wsspec itself could not go on (err says why). */
static int exec_text(struct fuzz *F, const char *text, uint64_t run_seed, struct verdict *v,
                     char *err, size_t cap)
{
    memset(v, 0, sizeof *v);
    struct case_catalogue cat;
    memset(&cat, 0, sizeof cat);
    if (case_parse_buffer(&cat, "mutant", text, strlen(text), NULL, NULL) != 0) {
        case_catalogue_free(&cat);
        snprintf(err, cap, "a mutant did not read back (a bug of wsspec's printer)");
        return -1;
    }
    size_t n = cat.n_cases, idx[FUZZ_MAX_JOBS];
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    struct case_result *res = calloc(n, sizeof *res);
    if (!res) {
        case_catalogue_free(&cat);
        snprintf(err, cap, "out of memory");
        return -1;
    }
    struct tester_options o = {.jobs = (unsigned)n,
                               .timeout_scale = F->a.scale,
                               .seed = run_seed,
                               .stop = &fuzz_stop,
                               .liveness = true};
    struct tester_outcome out;
    memset(&out, 0, sizeof out);
    if (F->have_proc)
        fuzz_proc_clear(&F->proc);
    int rc = tester_run(&F->t, &cat, idx, n, &o, res, &out, err, cap);
    F->execs += n;
    if (rc == 0) {
        if (F->have_proc && (out.died || out.liveness_off))
            fuzz_proc_wait_exit(&F->proc, FUZZ_EXIT_WAIT * F->a.scale);
        if (F->have_proc)
            proc_oracles(F, v);
        if (out.died || out.liveness_off) {
            bool running = F->have_proc ? F->proc.pid > 0 : port_accepts(&F->t);
            verdict_set(v, running ? FK_HANG : FK_GONE, "%s (%s)",
                        running ? "the target stopped answering and is still there"
                                : "the target went away: connection refused afterwards",
                        out.why[0] ? out.why : "no echo");
        }
        result_oracles(res, n, v);
    }
    for (size_t i = 0; i < n; i++)
        result_free(&res[i]);
    free(res);
    case_catalogue_free(&cat);
    return rc;
}

/* A target that cannot be fuzzed any more (no --cmd to restart it). */
static bool target_down(const struct fuzz *F, const struct verdict *v)
{
    return !F->have_proc && (v->kind == FK_HANG || v->kind == FK_GONE);
}

/* ------------------------------------------------------------ minimising */

struct minimiser {
    struct fuzz *F;
    const struct verdict *want;
    uint64_t run_seed;
    unsigned left; /* replays */
    bool trouble;  /* wsspec's own: stop */
};

/* Same kind (and for protocol, the same rule). */
static bool same_finding(const struct verdict *a, const struct verdict *b)
{
    return a->kind == b->kind && (a->kind != FK_PROTOCOL || a->error == b->error);
}

/* Does c still give the finding, against a fresh target? */
static bool reproduces(struct minimiser *m, const struct case_def *c)
{
    if (m->left == 0 || m->trouble)
        return false;
    m->left--;
    m->F->replays++;
    char *text = case_print_string(c, "90.1");
    if (!text)
        return false;
    char err[512];
    if (start_target(m->F, err, sizeof err) != 0) {
        say("minimising: %s", err);
        m->trouble = true;
        free(text);
        return false;
    }
    struct verdict v;
    bool hit = false;
    int times = m->want->kind == FK_RSS ? FUZZ_RSS_REPLAYS : 1;
    for (int i = 0; i < times && !hit && !m->trouble; i++) {
        if (exec_text(m->F, text, m->run_seed, &v, err, sizeof err) != 0)
            m->trouble = true;
        hit = same_finding(&v, m->want);
    }
    free(text);
    return hit;
}

static void drop_steps(struct case_def *c, size_t at, size_t n)
{
    for (size_t i = at; i < at + n; i++)
        payload_free(&c->steps[i].payload);
    memmove(&c->steps[at], &c->steps[at + n], (c->n_steps - at - n) * sizeof c->steps[0]);
    c->n_steps -= n;
}

/* best is replaced by cand when cand reproduces; cand is freed otherwise. */
static bool try_candidate(struct minimiser *m, struct case_catalogue *best,
                          struct case_catalogue *cand)
{
    struct case_catalogue checked;
    if (fuzz_case_copy(&cand->cases[0], NULL, &checked, NULL) != 0) {
        case_catalogue_free(cand);
        return false;
    }
    case_catalogue_free(cand);
    if (!reproduces(m, &checked.cases[0])) {
        case_catalogue_free(&checked);
        return false;
    }
    case_catalogue_free(best);
    *best = checked;
    return true;
}

/* Delta debugging over the steps: all of them, then chunks of half, a quarter, ... one
 * step removed while the finding stays. */
static void minimise_steps(struct minimiser *m, struct case_catalogue *best)
{
    for (size_t chunk = best->cases[0].n_steps; chunk >= 1; chunk /= 2) {
        for (size_t at = 0; at + chunk <= best->cases[0].n_steps && m->left;) {
            struct case_catalogue cand;
            if (fuzz_case_copy(&best->cases[0], NULL, &cand, NULL) != 0)
                return;
            drop_steps(&cand.cases[0], at, chunk);
            if (!try_candidate(m, best, &cand))
                at += chunk;
        }
        if (chunk == 1)
            break;
    }
}

static void minimise_request(struct minimiser *m, struct case_catalogue *best)
{
    for (size_t i = 0; i < best->cases[0].request.n_edits && m->left;) {
        struct case_catalogue cand;
        if (fuzz_case_copy(&best->cases[0], NULL, &cand, NULL) != 0)
            return;
        struct case_request *rq = &cand.cases[0].request;
        payload_free(&rq->edits[i].value);
        memmove(&rq->edits[i], &rq->edits[i + 1], (rq->n_edits - i - 1) * sizeof rq->edits[0]);
        rq->n_edits--;
        if (!try_candidate(m, best, &cand))
            i++;
    }
    if (best->cases[0].request.chop && m->left) {
        struct case_catalogue cand;
        if (fuzz_case_copy(&best->cases[0], NULL, &cand, NULL) != 0)
            return;
        cand.cases[0].request.chop = 0;
        cand.cases[0].request.gap = 0;
        try_candidate(m, best, &cand);
    }
}

/* A payload cut to its first n bytes, segment by segment: a repeat stays a repeat (a
 * literal of the same size would be a line longer than a case file takes). */
static void payload_cut(struct payload *p, uint64_t n)
{
    uint64_t left = n;
    size_t keep = 0;
    for (; keep < p->n_segs && left > 0; keep++) {
        struct payload_seg *s = &p->segs[keep];
        if (s->len > left) {
            s->len = left;
            if (s->pat_len > left)
                s->pat_len = (size_t)left;
        }
        left -= s->len;
    }
    for (size_t i = keep; i < p->n_segs; i++)
        free(p->segs[i].pat);
    p->n_segs = keep;
    p->len = n;
}

/* Payload bytes: each step's payload halved while the finding stays. */
static void minimise_payloads(struct minimiser *m, struct case_catalogue *best)
{
    for (size_t s = 0; s < best->cases[0].n_steps && m->left; s++) {
        for (;;) {
            uint64_t len = best->cases[0].steps[s].payload.len;
            if (len == 0 || !m->left)
                break;
            struct case_catalogue cand;
            if (fuzz_case_copy(&best->cases[0], NULL, &cand, NULL) != 0)
                return;
            payload_cut(&cand.cases[0].steps[s].payload, len / 2);
            if (!try_candidate(m, best, &cand))
                break;
        }
    }
}

/* ------------------------------------------------------------ findings */

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* A finding's case: its title, expectation and note say what was found and how; the
 * judging makes `wsspec run` fail it while the bug is there (a target that stops
 * answering fails the liveness check after it; a protocol rule broken fails the RFC
 * verdict of a judged case). */
static int finding_dress(struct case_def *c, const struct verdict *v, const char *seed_id,
                         uint64_t seed, uint64_t run)
{
    char title[700], note[1200];
    snprintf(title, sizeof title, "wsspec fuzz finding (%s): %s", kind_names[v->kind], v->what);
    for (char *p = title; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            *p = '?';
    snprintf(note, sizeof note,
             "Found by wsspec fuzz --seed %llu, conversation %llu, a mutant of case %s; "
             "minimised against a fresh target on every replay.",
             (unsigned long long)seed, (unsigned long long)run + 1, seed_id);
    free(c->title);
    free(c->expectation);
    free(c->note);
    c->title = dup_str(title);
    c->expectation = dup_str("The target answers every conversation, stays up, and breaks no "
                             "rule of RFC 6455.");
    c->note = dup_str(note);
    if (!c->title || !c->expectation || !c->note)
        return -1;
    if (v->kind == FK_PROTOCOL) {
        /* judged (an informational case is never FAILED), with an empty OK list: what
         * the target should send instead is for whoever fixes it to write down */
        c->judge = JUDGE_EVENTS;
        c->ok.present = true;
        snprintf(note, sizeof note,
                 "%s Its OK list is empty: write in the events a fixed "
                 "target sends before keeping it as a regression case.",
                 c->note);
        free(c->note);
        if (!(c->note = dup_str(note)))
            return -1;
    }
    return 0;
}

static bool seen_before(struct fuzz *F, const struct verdict *v)
{
    char sig[160];
    if (v->kind == FK_PROTOCOL)
        snprintf(sig, sizeof sig, "protocol %s", ws_error_name(v->error));
    else if (v->kind == FK_CRASH)
        snprintf(sig, sizeof sig, "crash %d %d", F->proc.signal, F->proc.exit_code);
    else if (v->kind == FK_SANITIZER)
        snprintf(sig, sizeof sig, "sanitizer %.60s",
                 strstr(F->proc.san_line, "ERROR: ") ? strstr(F->proc.san_line, "ERROR: ")
                                                     : "runtime error");
    else
        snprintf(sig, sizeof sig, "%s", kind_names[v->kind]);
    for (size_t i = 0; i < F->n_found; i++)
        if (strcmp(F->sigs[i], sig) == 0)
            return true;
    if (F->n_found < FUZZ_MAX_FINDINGS)
        snprintf(F->sigs[F->n_found++], sizeof F->sigs[0], "%s", sig);
    return false;
}

static int write_summary(struct fuzz *F, bool final)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/summary.json", F->a.findings);
    json_t *j = json_pack("{s:s, s:s?, s:I, s:I, s:I, s:I, s:I, s:f, s:b, s:O}", "url", F->a.url,
                          "cmd", F->a.cmd, "seed", (json_int_t)F->a.seed, "conversations",
                          (json_int_t)F->execs, "replays", (json_int_t)F->replays, "invalidMutants",
                          (json_int_t)F->invalid, "duplicates", (json_int_t)F->duplicates,
                          "seconds", now_s() - F->t0, "finished", final, "findings", F->found);
    if (!j || json_object_set_new(j, "corpusSeeds", json_integer((json_int_t)F->corpus.n_cases)))
        return say("out of memory");
    if (F->cov.map)
        json_object_set_new(j, "coverage",
                            json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:O}", "mode",
                                      F->a.coverage == COV_WATCH ? "watch" : "afl", "mapSize",
                                      (json_int_t)F->cov.size, "edges", (json_int_t)F->cov.edges,
                                      "queue", (json_int_t)F->n_queue, "queueNewEdges",
                                      (json_int_t)F->n_favoured, "queueDropped",
                                      (json_int_t)F->queue_dropped, "edgesOverTime", F->samples));
    int rc = json_dump_file(j, path, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/index.html", F->a.findings);
        rc = fuzz_page_write(path, j);
    }
    json_decref(j);
    return rc == 0 ? 0 : say("cannot write %s: %s", path, strerror(errno));
}

static int save_finding(struct fuzz *F, struct case_def *c, const struct verdict *v,
                        const char *seed_id, uint64_t run, size_t steps_before, double found_at)
{
    size_t k = F->first_number + json_array_size(F->found);
    char id[32], path[4096];
    snprintf(id, sizeof id, "90.%zu", k);
    snprintf(path, sizeof path, "%s/finding-%zu-%s.wsc", F->a.findings, k, kind_names[v->kind]);
    if (finding_dress(c, v, seed_id, F->a.seed, run) != 0)
        return say("out of memory");
    FILE *f = fopen(path, "w");
    if (!f)
        return say("cannot write %s: %s", path, strerror(errno));
    fprintf(f, "# wsspec fuzz finding: replay with wsspec run URL --cases-dir %s --cases %s\n",
            F->a.findings, id);
    int rc = case_print(f, c, id);
    if (fclose(f) != 0 || rc != 0)
        return say("cannot write %s: %s", path, strerror(errno));
    json_array_append_new(F->found,
                          json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:f, s:f}", "id", id,
                                    "kind", kind_names[v->kind], "file", path, "what", v->what,
                                    "seedCase", seed_id, "conversation", (json_int_t)run + 1,
                                    "stepsFound", (json_int_t)steps_before, "stepsMinimised",
                                    (json_int_t)c->n_steps, "secondsToFind", found_at,
                                    "secondsMinimising", now_s() - F->t0 - found_at));
    printf("finding %s (%s): %s\n  saved %s (%zu step(s), from %zu)\n", id, kind_names[v->kind],
           v->what, path, c->n_steps, steps_before);
    fflush(stdout);
    return write_summary(F, false);
}

/* A batch hurt the target: which mutant? Each alone, against a fresh target. */
static bool find_culprit(struct fuzz *F, char **texts, size_t n, const struct verdict *want,
                         uint64_t run_seed, size_t *culprit)
{
    struct minimiser m = {.F = F, .want = want, .run_seed = run_seed, .left = (unsigned)n};
    for (size_t i = 0; i < n; i++) {
        struct case_catalogue one;
        memset(&one, 0, sizeof one);
        if (case_parse_buffer(&one, "mutant", texts[i], strlen(texts[i]), NULL, NULL) != 0) {
            case_catalogue_free(&one);
            continue;
        }
        bool hit = reproduces(&m, &one.cases[0]);
        case_catalogue_free(&one);
        if (hit) {
            *culprit = i;
            return true;
        }
    }
    return false;
}

/* Minimise and save one finding (unless it is a duplicate). Returns 0, or 2 on
 * wsspec's own trouble. */
static int handle_finding(struct fuzz *F, char **texts, const struct case_def **from, size_t n,
                          struct verdict *v, uint64_t run, uint64_t run_seed)
{
    if (seen_before(F, v)) {
        F->duplicates++;
        return 0;
    }
    double found_at = now_s() - F->t0;
    size_t who = v->culprit_known ? v->culprit : 0;
    if (!v->culprit_known && n > 1 && F->have_proc && !find_culprit(F, texts, n, v, run_seed, &who))
        who = 0; /* only the batch together: the first one is saved, unminimised */
    struct case_catalogue best;
    memset(&best, 0, sizeof best);
    if (case_parse_buffer(&best, "mutant", texts[who], strlen(texts[who]), NULL, NULL) != 0 ||
        best.n_cases != 1) {
        case_catalogue_free(&best);
        return say("a mutant did not read back (a bug of wsspec's printer)");
    }
    size_t before = best.cases[0].n_steps;
    struct minimiser m = {.F = F, .want = v, .run_seed = run_seed, .left = F->a.minimize};
    if (F->have_proc || v->kind == FK_PROTOCOL) {
        if (!F->a.quiet)
            printf("%sminimising a %s finding (at most %u replays)\n", F->tty ? "\r\033[K" : "",
                   kind_names[v->kind], F->a.minimize);
        minimise_steps(&m, &best);
        minimise_request(&m, &best);
        minimise_payloads(&m, &best);
    }
    int rc =
        m.trouble ? 2 : save_finding(F, &best.cases[0], v, from[who]->id, run, before, found_at);
    case_catalogue_free(&best);
    return rc;
}

/* ------------------------------------------------------------ the loop */

static void progress(const struct fuzz *F)
{
    if (!F->tty || F->a.quiet)
        return;
    double el = now_s() - F->t0;
    printf("\r\033[Kconversations %llu  %.1f/s  findings %zu  replays %llu",
           (unsigned long long)F->execs, el > 0 ? (double)F->execs / el : 0.0,
           json_array_size(F->found), (unsigned long long)F->replays);
    if (F->cov.map)
        printf("  edges %zu  queue %zu", F->cov.edges, F->n_queue);
    fflush(stdout);
}

static bool more_runs(const struct fuzz *F)
{
    if (fuzz_stop)
        return false;
    if (F->a.runs_given && F->execs >= F->a.runs)
        return false;
    if (F->a.max_findings && json_array_size(F->found) >= F->a.max_findings)
        return false;
    return F->a.duration <= 0 || now_s() - F->t0 < F->a.duration;
}

/* A batch reached new coverage (new edges: `fresh`): its conversations join the queue.
 * Returns 0, or 2 when memory ran out. */
static int enqueue(struct fuzz *F, char **texts, const struct case_def **from, size_t n, bool fresh,
                   double seconds)
{
    for (size_t i = 0; i < n; i++) {
        if (F->n_queue == FUZZ_QUEUE_MAX) {
            F->queue_dropped++;
            continue;
        }
        if (F->n_queue == F->queue_cap) {
            size_t cap = F->queue_cap ? 2 * F->queue_cap : 64;
            struct queued *q = realloc(F->queue, cap * sizeof *q);
            if (q)
                F->queue = q;
            size_t *fav = q ? realloc(F->favoured, cap * sizeof *fav) : NULL;
            if (!fav)
                return say("out of memory");
            F->favoured = fav;
            F->queue_cap = cap;
        }
        struct queued *q = &F->queue[F->n_queue];
        memset(q, 0, sizeof *q);
        if (case_parse_buffer(&q->cat, "queue", texts[i], strlen(texts[i]), NULL, NULL) != 0 ||
            q->cat.n_cases != 1) {
            case_catalogue_free(&q->cat);
            continue; /* cannot happen: every mutant that ran read back */
        }
        q->origin = from[i];
        q->seconds = seconds;
        if (fresh)
            F->favoured[F->n_favoured++] = F->n_queue;
        F->n_queue++;
    }
    return 0;
}

static void queue_free(struct fuzz *F)
{
    for (size_t i = 0; i < F->n_queue; i++)
        case_catalogue_free(&F->queue[i].cat);
    free(F->queue);
    free(F->favoured);
}

/* Edges over time for summary.json: a sample now and then (and one at the end). */
static void sample_edges(struct fuzz *F, bool force)
{
    double el = now_s() - F->t0;
    if (!F->cov.map || !F->samples || (!force && el < F->next_sample))
        return;
    if (json_array_size(F->samples) >= FUZZ_SAMPLES_MAX) {
        for (size_t i = 1; i < json_array_size(F->samples); i++)
            json_array_remove(F->samples, i);
        F->sample_every *= 2;
    }
    json_array_append_new(F->samples,
                          json_pack("{s:f, s:I, s:I, s:I}", "seconds", el, "conversations",
                                    (json_int_t)F->execs, "edges", (json_int_t)F->cov.edges,
                                    "queue", (json_int_t)F->n_queue));
    F->next_sample = el + F->sample_every;
}

/* One batch of -j mutants. Returns 0 to go on, 1 to stop (target down), 2 trouble. */
static int one_batch(struct fuzz *F)
{
    size_t n = F->a.jobs;
    if (F->a.runs_given && F->a.runs - F->execs < n)
        n = (size_t)(F->a.runs - F->execs);
    char *texts[FUZZ_MAX_JOBS] = {0};
    const struct case_def *from[FUZZ_MAX_JOBS];
    uint64_t run = F->execs, run_seed = F->a.seed ^ (run * 0x9e3779b97f4a7c15ull);
    size_t total = 0, got = 0;
    for (size_t i = 0; i < n; i++)
        if ((texts[got] = draw_mutant(F, run + i, &from[got])) != NULL)
            total += strlen(texts[got++]);
    char *all = malloc(total + 1);
    int rc = 0;
    if (!all || got == 0) {
        rc = got == 0 ? 0 : say("out of memory");
        F->execs += n - got;
        goto out;
    }
    all[0] = '\0';
    for (size_t i = 0, at = 0; i < got; i++) {
        memcpy(all + at, texts[i], strlen(texts[i]) + 1);
        at += strlen(texts[i]);
    }
    struct verdict v;
    char err[1024];
    fuzz_cov_reset(&F->cov);
    double started = now_s();
    if (exec_text(F, all, run_seed, &v, err, sizeof err) != 0) {
        rc = say("stopped by trouble on this machine, not the target's: %s", err);
        goto out;
    }
    F->execs += n - got;
    int news = v.kind == FK_NONE ? fuzz_cov_take(&F->cov) : 0;
    if (news && F->a.coverage != COV_WATCH)
        rc = enqueue(F, texts, from, got, news == 2, now_s() - started);
    if (rc == 0 && v.kind != FK_NONE) {
        bool down = target_down(F, &v);
        rc = handle_finding(F, texts, from, got, &v, run, run_seed);
        if (rc == 0 && down) {
            say("the target is down and there is no --cmd to restart it: stopping");
            rc = 1;
        }
        if (rc == 0 && F->have_proc && start_target(F, err, sizeof err) != 0)
            rc = say("%s", err);
    }
out:
    for (size_t i = 0; i < got; i++)
        free(texts[i]);
    free(all);
    return rc;
}

static int count_earlier(const char *dir)
{
    /* new findings get numbers after the ones a DIR from an earlier run holds */
    int k = 1;
    char path[4096];
    for (; k < 100000; k++) {
        snprintf(path, sizeof path, "%s/finding-%d-", dir, k);
        bool any = false;
        for (size_t i = 1; i < sizeof kind_names / sizeof kind_names[0]; i++) {
            char p2[4200];
            snprintf(p2, sizeof p2, "%s%s.wsc", path, kind_names[i]);
            if (access(p2, F_OK) == 0)
                any = true;
        }
        if (!any)
            break;
    }
    return k;
}

static const char *cov_mode_name(const struct fuzz *F)
{
    return F->a.coverage == COV_WATCH ? "watch" : F->a.coverage == COV_AFL ? "afl" : "auto";
}

/* --coverage: the map, when --cmd's program is instrumented (or must be). */
static int coverage_setup(struct fuzz *F)
{
    if (F->a.coverage == COV_OFF || !F->a.cmd)
        return 0;
    char path[4096], err[512];
    bool found = fuzz_cov_program(F->a.cmd, path, sizeof path);
    if (!found || !fuzz_cov_marked(path)) {
        if (F->a.coverage == COV_AUTO)
            return 0;
        if (!found)
            return say("--coverage %s: cannot find the program --cmd runs (its first word)",
                       cov_mode_name(F));
        return say("--coverage %s: %s has no AFL++ instrumentation (no __AFL_SHM_ID in it): "
                   "build it with afl-clang-fast, or fuzz it black-box (--coverage off)",
                   cov_mode_name(F), path);
    }
    size_t size;
    if (fuzz_cov_ask_size(F->a.cmd, FUZZ_START_SECONDS * F->a.scale, &size, err, sizeof err)) {
        if (F->a.coverage == COV_AUTO) {
            printf("note: %s; fuzzing black-box\n", err);
            return 0;
        }
        return say("--coverage %s: %s", cov_mode_name(F), err);
    }
    if (fuzz_cov_open(&F->cov, size, err, sizeof err) != 0)
        return say("--coverage: %s", err);
    F->samples = json_array();
    F->sample_every = FUZZ_SAMPLE_EVERY;
    return F->samples ? 0 : say("out of memory");
}

static int prepare(struct fuzz *F)
{
    char err[1024];
    if (target_parse(F->a.url, &F->t, err, sizeof err) != 0)
        return say("%s", err);
    if (F->t.secure)
        return say("wss:// is not fuzzed yet: use ws://");
    int rc = load_seeds(F);
    if (rc == 0)
        rc = coverage_setup(F);
    if (rc)
        return rc;
    if (mkdir(F->a.findings, 0777) != 0 && errno != EEXIST)
        return say("cannot create %s: %s", F->a.findings, strerror(errno));
    F->first_number = (size_t)count_earlier(F->a.findings);
    F->found = json_array();
    if (!F->found || write_summary(F, false) != 0)
        return 2;
    if (F->a.cmd) {
        char path[4096];
        snprintf(path, sizeof path, "%s/target-stderr.log", F->a.findings);
        F->log = fopen(path, "w");
        if (!F->log)
            return say("cannot write %s: %s", path, strerror(errno));
        F->have_proc = true;
        F->proc = (struct fuzz_proc){.cmd = F->a.cmd, .err_fd = -1, .log = F->log};
        if (start_target(F, err, sizeof err) != 0)
            return say("%s", err);
    }
    struct tester_options o = {.jobs = 1, .timeout_scale = F->a.scale, .seed = F->a.seed};
    char agent[128];
    int pr = tester_probe(&F->t, &o, 5.0 * F->a.scale, agent, sizeof agent, err, sizeof err);
    if (pr != 0)
        return say("%s", err);
    return 0;
}

int fuzz_main(int argc, char **argv)
{
    struct fuzz F;
    memset(&F, 0, sizeof F);
    int rc = fuzz_args_parse(argc, argv, &F.a);
    if (rc)
        return rc;
    if (F.a.help) {
        cli_doc_help(stdout, &fuzz_doc);
        return 0;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    F.t0 = now_s();
    F.tty = isatty(1);
    F.rng.s = F.a.seed;
    rc = prepare(&F);
    if (rc == 0) {
        printf("wsspec fuzz %s: seed %llu, %zu seed cases (%zu from --corpus)%s%s%s\n", F.a.url,
               (unsigned long long)F.a.seed, F.n_seeds, F.corpus.n_cases,
               F.a.cmd ? ", target started by --cmd" : "", F.a.max_rss_mib ? ", --max-rss" : "",
               F.cov.map && F.a.coverage != COV_WATCH ? ", coverage-guided (AFL++ map)"
               : F.cov.map                            ? ", black-box, coverage watched (AFL++ map)"
                                                      : ", black-box");
        fflush(stdout);
        while (rc == 0 && more_runs(&F)) {
            rc = one_batch(&F);
            sample_edges(&F, false);
            progress(&F);
        }
        sample_edges(&F, true);
        if (F.tty && !F.a.quiet)
            printf("\r\033[K");
        if (rc == 1)
            rc = 0; /* stopped because the target is down: the finding decides */
    }
    if (F.have_proc) {
        fuzz_proc_stop(&F.proc, 2.0);
        if (rc == 0 && F.proc.sanitizer && !fuzz_stop) /* a report at exit: LeakSanitizer */
            printf("note: the target wrote a sanitizer report when it was stopped: %s\n",
                   F.proc.san_line);
    }
    if (F.found) {
        if (rc == 0 && write_summary(&F, true) != 0)
            rc = 2;
        printf("%llu conversations, %llu replays, %zu finding(s)%s, seed %llu\n",
               (unsigned long long)F.execs, (unsigned long long)F.replays, json_array_size(F.found),
               F.duplicates ? " (and duplicates)" : "", (unsigned long long)F.a.seed);
        if (F.cov.map)
            printf("coverage: %zu edges reached, %zu conversations queued\n", F.cov.edges,
                   F.n_queue);
    }
    if (fuzz_stop && rc == 0) {
        say("interrupted");
        rc = 2;
    }
    if (rc == 0 && json_array_size(F.found))
        rc = 1;
    json_decref(F.found);
    json_decref(F.samples);
    fuzz_cov_close(&F.cov);
    queue_free(&F);
    if (F.log)
        fclose(F.log);
    free(F.seeds);
    case_catalogue_free(&F.cat);
    case_catalogue_free(&F.corpus);
    return rc;
}

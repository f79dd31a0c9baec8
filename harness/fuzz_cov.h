/*
 * fuzz_cov.h - the coverage map of `wsspec fuzz --coverage`: a target built with AFL++'s
 * afl-clang-fast(++) writes a hit count per edge of its code into a SysV shared memory
 * segment whose id it finds in its environment (__AFL_SHM_ID, AFL's convention). wsspec
 * makes the segment, puts its id in the environment --cmd inherits, zeroes the map before
 * a conversation and reads it after (fuzz_cmd.c: the liveness check that ends every
 * batch is the barrier - the target has handled the conversation when it answers it).
 *
 * The reading is AFL's: hit counts are put in buckets (1, 2, 3, 4-7, 8-15, 16-31,
 * 32-127, 128-255), and a conversation is new when it reaches an edge never reached
 * before or an edge in a bucket never seen for it (the "virgin" map: a bit per bucket
 * still unseen, 0xff for an edge never reached).
 *
 * The target runs as the long-lived server it is: AFL++'s runtime looks for its fork
 * server's pipe (fds 198 and 199), finds none (fuzz_proc.c closes them in the child) and
 * goes on with the map attached. The segment is marked for removal as soon as wsspec has
 * attached it (Linux lets a process attach a marked segment by id until the last one
 * detaches), so no exit path of wsspec - a signal, a crash - leaves a segment behind.
 */
#ifndef FUZZ_COV_H
#define FUZZ_COV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* AFL's MAP_SIZE: the smallest map wsspec makes; a target with more edges says so when
 * started with AFL_DUMP_MAP_SIZE=1 (afl-cmin asks it the same way). */
#define FUZZ_COV_MAP_MIN 65536u
/* The largest map accepted (AFL++'s own ceiling for a map a fork server reports). */
#define FUZZ_COV_MAP_MAX (1u << 23)

struct fuzz_cov {
    uint8_t *map;    /* the shared segment, size bytes; NULL: coverage off */
    uint8_t *virgin; /* malloc'ed, size bytes: the buckets never seen, per edge */
    size_t size;
    int shm_id;
    size_t edges; /* edges ever reached (virgin bytes that are not 0xff) */
};

/* AFL's bucket of a hit count. */
uint8_t fuzz_cov_bucket(uint8_t hits);

/* Every hit count of trace[0..n) replaced by its bucket. */
void fuzz_cov_classify(uint8_t *trace, size_t n);

/* Merges a classified trace into virgin. Returns 2 when it reached an edge never reached
 * before, 1 when only a new bucket of a known edge, 0 when nothing new; *new_edges (may be
 * NULL) gets the number of edges never reached before. */
int fuzz_cov_merge(const uint8_t *trace, uint8_t *virgin, size_t n, size_t *new_edges);

/* The program --cmd runs: its first word after any NAME=value words, looked up in PATH
 * when it has no '/'. Returns false when there is none or it is not found. */
bool fuzz_cov_program(const char *cmd, char *path, size_t cap);

/* Whether the file at path holds AFL++'s marker (the string __AFL_SHM_ID, which every
 * instrumented program's runtime reads; afl-fuzz checks its targets the same way). */
bool fuzz_cov_marked(const char *path);

/* The map size the target asks for: cmd run once (/bin/sh, exec) with
 * AFL_DUMP_MAP_SIZE=1, which makes AFL++'s runtime print its edge count and exit before
 * main; at least FUZZ_COV_MAP_MIN. Returns 0, or -1 with the reason in err. */
int fuzz_cov_ask_size(const char *cmd, double seconds, size_t *size, char *err, size_t cap);

/* Makes, attaches and marks for removal a segment of size bytes, puts __AFL_SHM_ID and
 * AFL_MAP_SIZE in this process's environment (for --cmd). Returns 0, or -1 (err). */
int fuzz_cov_open(struct fuzz_cov *c, size_t size, char *err, size_t cap);

/* Zero the map: before a conversation. */
void fuzz_cov_reset(struct fuzz_cov *c);

/* Whether a target has written to the map since the last reset (AFL++'s runtime sets
 * its first byte when it attaches): after a start, it shows the target attached. */
bool fuzz_cov_touched(const struct fuzz_cov *c);

/* After a conversation: classify the map and merge it; the return as fuzz_cov_merge. */
int fuzz_cov_take(struct fuzz_cov *c);

/* Detach, free, take the variables out of the environment. */
void fuzz_cov_close(struct fuzz_cov *c);

#endif

/*
 * zcache.h - the compressed messages of `roundtrip data=NAME slice=N` steps, made once
 * per run and reused by every case that sends them again (issue 12, "the peer
 * compresses each distinct message once per run").
 *
 * Why it is right: with no context takeover on wsspec's side (every offer of sections
 * 12 and 13 carries client_no_context_takeover, and wsspec keeps its own offer's
 * promise), the compressor turns one message into the same bytes whatever came before
 * (ws_conn_deflate_config). Message k of a roundtrip is fixed by (file, text or binary,
 * slice, k); its compressed form by that and the compressor's window and level. So a
 * message is looked up by
 *
 *     the group  (data, text, slice)          - what the case sends
 *     the form   (window bits, level)         - how the 101 let wsspec compress it
 *     the index  k
 *
 * and a case with context takeover on its side never uses the cache.
 *
 * Why it pays: of the 216 cases of sections 12 and 13, 50 groups; within section 12 the
 * fragmented cases repeat the unfragmented ones' messages, and all of section 13 sends
 * section 12.1's. Cases of one group run next to each other (zcache_order), and a
 * group's messages are freed when its last case ends (zcache_hold / zcache_release),
 * so the cache holds about one group at a time.
 *
 * Bounded: everything stored counts against the budget given to zcache_init; a message
 * that would exceed it is not stored (the case compresses it itself, as without the
 * cache). Memory stored for a message stays valid until its group is released - a
 * case may send straight from it.
 */
#ifndef ZCACHE_H
#define ZCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "case.h"

/* The default budget: one group of the largest kind (1000 x 128 KiB of already-
 * compressed data stays about 131 MB compressed) with room to spare. */
#define ZCACHE_DEFAULT_BUDGET ((size_t)256 << 20)
/* Forms of one group at once (13.x may agree other client windows than 12.x). */
#define ZCACHE_FORMS 4

struct zcache_key {
    uint8_t data; /* the testdata kind + 1 (struct step's data) */
    bool text;
    uint64_t slice;
};

struct zcache_form {
    uint8_t window_bits;
    int level;
    uint8_t **msg; /* msg[k]: a uint32_t length, then the bytes; NULL = not stored */
    uint32_t n_msg;
};

struct zcache_group {
    struct zcache_key key;
    uint32_t holds; /* cases in the run that send it and have not ended */
    uint32_t count; /* messages per case (the largest count of its steps) */
    struct zcache_form form[ZCACHE_FORMS];
    size_t n_form;
};

struct zcache {
    size_t budget, used; /* bytes of messages and their index arrays */
    struct zcache_group *groups;
    size_t n_groups, cap_groups;
    uint64_t hits, misses, refused; /* messages served, not found, not stored (budget) */
};

/* A zero-filled struct is an empty cache with no budget; this sets the budget. */
void zcache_init(struct zcache *zc, size_t budget);
void zcache_free(struct zcache *zc);

/* The case's roundtrip step with data= (the first one), or NULL: the step the cache
 * serves. */
const struct step *zcache_step(const struct case_def *def);

/* A case that sends def's messages is in the run (hold) / has ended (release): a group
 * lives from its first hold to its last release. Cases without a data roundtrip are
 * ignored. False: out of memory (the case then runs without the cache). */
bool zcache_hold(struct zcache *zc, const struct case_def *def);
void zcache_release(struct zcache *zc, const struct case_def *def);

/* Message `index` of st's group in the form (window_bits, level): its bytes and length,
 * or NULL when not stored (or st's group is not held). */
const uint8_t *zcache_get(struct zcache *zc, const struct step *st, uint8_t window_bits, int level,
                          uint64_t index, size_t *len);

/* Store message `index` (len bytes at z) of st's group in that form, when the group is
 * held, index < its count and the budget allows; else nothing happens. */
void zcache_put(struct zcache *zc, const struct step *st, uint8_t window_bits, int level,
                uint64_t index, const uint8_t *z, size_t len);

/* Reorder order[0..n) so that cases of one group follow each other: a group's cases
 * move up behind its first one, everything else keeps its relative order. order holds
 * positions into idx, idx positions into cat->cases (as struct tester_options has
 * them). False: out of memory (order unchanged). */
bool zcache_order(const struct case_catalogue *cat, const size_t *idx, size_t *order, size_t n);

#endif

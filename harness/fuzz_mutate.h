/*
 * fuzz_mutate.h - `wsspec fuzz`'s mutants: conversations (cases, case.h) changed step
 * by step and byte by byte, seeded from the catalogue.
 *
 * A mutant is made on the parsed case: steps dropped, duplicated, swapped, spliced in
 * from another seed case, frame fields overridden (FIN, RSV, opcode, mask, length
 * form, a declared length that disagrees with the bytes), writes chopped, control frames
 * put in odd places, payload bytes flipped, cut or grown, invalid UTF-8 appended; the
 * opening request's header lines added, dropped or set to odd values and the request
 * written in chops; the conversation made a compressed one (the permessage-deflate offer
 * and an RSV1 frame whose raw deflate stream, made with zlib, is truncated, has bits
 * flipped, a stored block whose length lies, BFINAL set, a reference before the start,
 * or is a bomb of 16 MiB of zeros in about 16 KiB; RSV1 on a continuation or a control
 * frame). Then it is made a fuzz case (fuzz_mutant_prepare: judged by the
 * oracles, not by the seed's expectations; timers and sizes bounded) and printed and
 * parsed again (case_print.h): a mutant that does not read back as the same case is not
 * run, so every conversation that runs is one a case file can replay.
 *
 * Everything is drawn from a fuzz_rng the caller seeds: the same seed gives the same
 * mutants whatever the target does.
 */
#ifndef FUZZ_MUTATE_H
#define FUZZ_MUTATE_H

#include <stdint.h>

#include "case.h"

struct fuzz_rng {
    uint64_t s;
};

/* splitmix64: fast, and every seed (0 too) gives a full-period stream */
uint64_t fuzz_rng_next(struct fuzz_rng *r);
/* uniform in [0, n) (n > 0) */
uint64_t fuzz_rng_below(struct fuzz_rng *r, uint64_t n);

/* A mutant's timers and waits are cut to these (seconds), its repeat()s to this many
 * bytes, its roundtrip counts to this: a fuzz run is many short conversations. */
#define FUZZ_KILL_AFTER_MAX 1.0
/* An informational case has no outcome that ends it early: wsspec closes a mutant's
 * connection this long after its last step (the target's answers to the steps have
 * arrived by then on any network a fuzz run makes sense on; --timeout-scale stretches
 * it). */
#define FUZZ_CLOSE_AFTER 0.2
#define FUZZ_WAIT_MAX 0.25
#define FUZZ_PAYLOAD_MAX 65536u
#define FUZZ_STEPS_MAX 64

/* Apply n_mut random mutations to c (owned: its arrays are reallocated and freed as
 * case.h says), drawing spliced steps from seeds[0..n_seeds). Returns 0, -1 when memory
 * ran out (c is still a valid case). */
int fuzz_mutate(struct case_def *c, const struct case_def *const *seeds, size_t n_seeds,
                unsigned n_mut, struct fuzz_rng *r);

/* Make c a fuzz case: `informational` (the oracles judge, not the seed's lists), no
 * response checks or policy, roundtrips as plain messages, timers, waits and sizes cut
 * to the bounds above. */
void fuzz_mutant_prepare(struct case_def *c);

/* A deep copy of c as an owned one-case catalogue through case-file text, with id `id`
 * (the text is stored in *text, caller frees; NULL: not wanted). Returns 0, or -1 when
 * the text does not read back (the mutant is discarded) or memory ran out. */
int fuzz_case_copy(const struct case_def *c, const char *id, struct case_catalogue *out,
                   char **text);

#endif

/*
 * liveness.h - is the target still alive after each case, and which cases may a run
 * report: the bookkeeping of the liveness checks, socket-free. tester.c runs the checks
 * as sessions on the run's loop and tells this module what happened;
 * harness/tests/test_liveness.c drives it without a socket.
 *
 * The check: a connection of wsspec's own - the opening handshake with every header a
 * case sends, one text message that must come back as it went, a Close. A check
 * "passes" when the echo arrives and "fails" otherwise (tester.c decides, and says why).
 *
 * Blame. A passing check proves the target alive after every case that had ended when
 * the check *started* (it connected, was answered and echoed later than that), so those
 * cases are reported. A failing check ends the run of this target:
 *  - the case it was started for is FAILED, "target stopped answering after this case";
 *    when it was started for several (a batch), the first of them to end without a
 *    clean closing handshake (or, for a case that never opened, without a response to
 *    its request) - a target that completed one was alive at that case's end, the one
 *    that killed it usually was not -, else the first of them to end;
 *  - every other case that is neither reported nor never started - ended since the last
 *    passing check started, or still running - is a suspect: it ran while the target
 *    was last known to be alive and when it was found dead, so it is not reported
 *    (NOT RUN), never FAILED, and the blamed case's text names it ("or after one of
 *    ..., which ran at the same time; rerun with -j 1 to tell which");
 *  - the cases never started are not run either.
 * One check is in flight at a time; it covers every case that ended before it started
 * (a batch). With -j 1 a check follows every case and the next case starts only when it
 * has passed, so the blame is exact: one case, no suspects. With -j N a check is made
 * once N cases have ended (or when none is running), and cases go on starting while it
 * runs until 2N have ended unchecked: the checks overlap the cases, cost little time and
 * add about one connection per N cases to the target's load (a target that is slow
 * under load would otherwise answer the cases themselves more slowly); the price is that
 * a death is blamed on a batch, with the others named.
 *
 * The first check runs before the first case: it is the reference, the proof that this
 * target passes a check at all. A target that fails it - does not echo, answers only
 * one connection properly, or died at once - cannot be checked: the run goes on without
 * liveness checks (LIVENESS_OFF), exactly as with --no-liveness, rather than blaming a
 * case with no proof that the target ever passed a check. A target that completes the
 * handshake and then stays silent would hold the whole run for the check's deadline, so
 * the cases wait for the first check only so long (liveness_first_overdue, from the
 * caller's clock): then they start alongside it, and if it fails after all, the cases
 * that ended meanwhile are reported as they are and checks are off.
 *
 * Time here is a counter of events, not a clock: only their order matters.
 */
#ifndef LIVENESS_H
#define LIVENESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "result.h"

enum liveness_state {
    LIVENESS_FIRST = 0, /* the first check has not answered yet */
    LIVENESS_ON,        /* checking after every case */
    LIVENESS_OFF,       /* the first check failed: cases are reported as they end */
    LIVENESS_DEAD,      /* a check failed: the run of this target is over */
};

/* What became of one case (by its index in the run, 0..n). */
enum liveness_case {
    LIVE_WAITING = 0, /* not started (at the end: not run) */
    LIVE_RUNNING,
    LIVE_ENDED,    /* judged, waiting for a check that started after it ended */
    LIVE_REPORTED, /* handed to the run's reports */
    LIVE_BLAMED,   /* the check after it failed: FAILED, then reported */
    LIVE_SUSPECT,  /* ran when the target was found dead: not run */
};

/* Caller-allocated; liveness_init fills it, liveness_free releases it. */
struct liveness {
    enum liveness_state state;
    size_t n;
    enum liveness_case *cases; /* n, owned */
    uint64_t *ended;           /* n: when each case ended (the counter), owned */
    bool *clean;               /* n: it ended with a clean closing handshake, owned */
    uint64_t clock;            /* the event counter */
    size_t n_ended;            /* cases LIVE_ENDED */
    size_t n_running;          /* cases LIVE_RUNNING */
    size_t checks;             /* checks started */
    bool checking;             /* one is in flight */
    bool first_overdue;        /* cases no longer wait for the first check */
    uint64_t check_started;    /* when it started (the counter) */
    size_t blamed;             /* LIVENESS_DEAD: the blamed case */
};

/* Called for each case that may now be reported (its verdict stands). */
typedef void (*liveness_report_fn)(void *ud, size_t i);

/* n cases, none started. on = false: no checks (--no-liveness), every case is reported
 * as it ends. Returns false when memory is out. */
bool liveness_init(struct liveness *L, size_t n, bool on);
void liveness_free(struct liveness *L);

/* Case i starts / has ended (judged; clean: with a clean closing handshake).
 * liveness_case_ended returns true when it may be reported at once (no checks), false
 * when it waits for a check. */
void liveness_case_started(struct liveness *L, size_t i);
bool liveness_case_ended(struct liveness *L, size_t i, bool clean);

/* May a case start now, with `jobs` cases at once? Not before the first check has
 * answered (unless it is overdue), nor once the target is dead, nor while 2 x `jobs`
 * ended cases (-j 1: one) wait for a check. */
bool liveness_may_start(const struct liveness *L, unsigned jobs);

/* The first check takes too long to hold the cases back any more. */
void liveness_first_overdue(struct liveness *L);

/* Should a check start now? None is in flight, and (after the first) `jobs` cases have
 * ended unchecked, or some have and no case is running. */
bool liveness_check_due(const struct liveness *L, unsigned jobs);
void liveness_check_started(struct liveness *L);

/* The check in flight passed: every case that ended before it started is reported. */
void liveness_check_passed(struct liveness *L, liveness_report_fn report, void *ud);

/* The check in flight failed. The first one: liveness goes OFF (and the cases that ended
 * meanwhile, if any, are reported). Any later one: the target is DEAD, the blamed case
 * and the suspects are set (see the top of this file); nothing is reported - the caller
 * marks the blamed case FAILED (liveness_fail_case) and reports it. */
void liveness_check_failed(struct liveness *L, liveness_report_fn report, void *ud);

/* The run stops for another reason (interrupt, --max-time): the cases that ended and
 * wait for a check are reported with the verdicts they have. */
void liveness_release(struct liveness *L, liveness_report_fn report, void *ud);

/* How many suspects there are (LIVENESS_DEAD). */
size_t liveness_n_suspects(const struct liveness *L);

/* "target stopped answering after SUBJECT", and when there are suspects " (or after one
 * of 1.2.3, 1.2.4, which ran at the same time; rerun with -j 1 to tell which)"; ids[i]
 * is case i's id. As many ids as fit in cap, then "and N more". */
void liveness_blame_text(const struct liveness *L, const char *const *ids, const char *subject,
                         char *out, size_t cap);

/* A blamed case's verdicts: FAILED / FAILED in both, result texts `text`, broken `why`
 * (what the check saw); what the case recorded stays. */
void liveness_fail_case(struct case_result *r, const char *text, const char *why);

#endif

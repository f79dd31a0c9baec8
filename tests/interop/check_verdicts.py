#!/usr/bin/python3
"""Compare a run's verdicts with the verdicts a project publishes for its Autobahn run.

usage: check_verdicts.py WSSPEC_JSON|INDEX_JSON EXPECT_FILE

EXPECT_FILE lines: "<behavior> <case patterns...>" (comma or blank separated, '*'
anchored at the start as in wsspec/Autobahn); the first matching line decides a case's
expected behavior; "default <behavior>" sets the rest. behaviorClose must be OK except
where the expected behavior is INFORMATIONAL (then INFORMATIONAL); "<behavior>/<close>"
names both (INFORMATIONAL/OK: a response check's MAY in a case that closed normally).
Prints every mismatch and exits 1 if there is any, or if the run has no case at all
(nothing compared is not a match)."""
import json
import re
import sys


def matches(case_id, pattern):
    if "*" in pattern:
        return re.match(re.escape(pattern).replace(r"\*", ".*"), case_id) is not None
    return case_id == pattern


def cases_of(path):
    """The (id, behavior, behaviorClose, detail) of every case: from wsspec.json, or
    from Autobahn's index.json (agent -> case id -> verdicts), which carries Autobahn's
    verdict exactly - what a tool written for Autobahn reads."""
    data = json.load(open(path))
    if isinstance(data.get("cases"), list):
        return [(c["id"], c["behavior"], c["behaviorClose"],
                 f"{c.get('result')} | {c.get('resultClose')} | {c.get('broken')}")
                for c in data["cases"]]
    return [(cid, v["behavior"], v["behaviorClose"], v.get("reportfile"))
            for agent in data.values() for cid, v in agent.items()]


def main():
    cases = cases_of(sys.argv[1])
    rules, default = [], "OK"
    for line in open(sys.argv[2]):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        verdict, _, rest = line.partition(" ")
        if verdict == "default":
            default = rest.strip()
            continue
        rules.append((verdict, [p for p in re.split(r"[,\s]+", rest) if p]))
    bad = 0
    for cid, behavior, close, detail in cases:
        want = default
        for verdict, pats in rules:
            if any(matches(cid, p) for p in pats):
                want = verdict
                break
        want, _, want_close = want.partition("/")
        if not want_close:
            want_close = "INFORMATIONAL" if want == "INFORMATIONAL" else "OK"
        if behavior != want or close != want_close:
            bad += 1
            print(f"MISMATCH {cid}: got {behavior}/{close}, expected {want}/{want_close}: {detail}")
    print(f"{len(cases)} cases compared, {bad} mismatches")
    if not cases:
        print("no case in the run: nothing to compare")
        return 1
    return 1 if bad else 0


sys.exit(main())

#!/usr/bin/python3
"""Compare a run's verdicts with the verdicts a project publishes for its Autobahn run.

usage: check_verdicts.py WSSPEC_JSON|INDEX_JSON EXPECT_FILE

EXPECT_FILE lines: "<verdict> [rfc=<verdict>] <case patterns...>" (comma or blank
separated, '*' anchored at the start as in wsspec/Autobahn); the first matching line
decides a case's expected verdict; "default <verdict> [rfc=<verdict>]" sets the rest.
A verdict is Autobahn's: "<behavior>", whose behaviorClose must be OK (INFORMATIONAL
for INFORMATIONAL), or "<behavior>/<behaviorClose>" with '-' for a space
(FAILED/WRONG-CODE), for servers that do not pass. rfc=<verdict> also checks the RFC's
verdict (rfcBehavior, rfcBehaviorClose; only in wsspec.json): where a line does not
give it, it is not compared. Prints every mismatch and exits 1 if there is any, or if
the run has no case at all (nothing compared is not a match)."""
import json
import re
import sys


def matches(case_id, pattern):
    if "*" in pattern:
        return re.match(re.escape(pattern).replace(r"\*", ".*"), case_id) is not None
    return case_id == pattern


def cases_of(path):
    """The (id, Autobahn's verdict, the RFC's verdict, detail) of every case, a verdict
    being (behavior, behaviorClose): from wsspec.json, or from Autobahn's index.json
    (agent -> case id -> verdicts), which carries Autobahn's verdict exactly - what a
    tool written for Autobahn reads - and not the RFC's (None)."""
    data = json.load(open(path))
    if isinstance(data.get("cases"), list):
        return [(c["id"], (c["behavior"], c["behaviorClose"]),
                 (c["rfcBehavior"], c["rfcBehaviorClose"]),
                 f"{c.get('result')} | {c.get('resultClose')} | {c.get('broken')}")
                for c in data["cases"]]
    return [(cid, (v["behavior"], v["behaviorClose"]), None, v.get("reportfile"))
            for agent in data.values() for cid, v in agent.items()]


def verdict(token):
    """'OK' -> ('OK', 'OK'); 'INFORMATIONAL' -> both; 'FAILED/WRONG-CODE' -> as written."""
    behavior, sep, close = token.partition("/")
    if sep:
        return behavior, close.replace("-", " ")
    return behavior, "INFORMATIONAL" if behavior == "INFORMATIONAL" else "OK"


def rules_of(path):
    """[(autobahn, rfc or None, patterns)] in file order, and the default (autobahn, rfc
    or None)."""
    rules, default = [], (verdict("OK"), None)
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        words = [w for w in re.split(r"[,\s]+", line) if w]
        is_default = words[0] == "default"
        if is_default:
            words = words[1:]
        want, rfc, pats = verdict(words[0]), None, words[1:]
        if pats and pats[0].startswith("rfc="):
            rfc, pats = verdict(pats[0][len("rfc="):]), pats[1:]
        if is_default:
            default = (want, rfc)
        else:
            rules.append((want, rfc, pats))
    return rules, default


def show(v):
    return "/".join(v)


def main():
    cases = cases_of(sys.argv[1])
    rules, default = rules_of(sys.argv[2])
    bad = 0
    for cid, got, got_rfc, detail in cases:
        want, want_rfc = default
        for verdict_, rfc, pats in rules:
            if any(matches(cid, p) for p in pats):
                want, want_rfc = verdict_, rfc
                break
        if got != want:
            bad += 1
            print(f"MISMATCH {cid}: got {show(got)}, expected {show(want)}: {detail}")
        elif want_rfc and got_rfc != want_rfc:
            bad += 1
            print(f"MISMATCH {cid}: RFC's verdict {show(got_rfc) if got_rfc else 'absent'}, "
                  f"expected {show(want_rfc)}: {detail}")
    print(f"{len(cases)} cases compared, {bad} mismatches")
    if not cases:
        print("no case in the run: nothing to compare")
        return 1
    return 1 if bad else 0


sys.exit(main())

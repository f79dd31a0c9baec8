#!/usr/bin/python3
"""Read tests/defects/verdicts.txt (its format is described at its top) for
tests/itest_defects.sh, and compare wsspec's verdicts with it.

usage: check_defects.py plan VERDICTS
           one line per defect block, tab-separated: key (the block's folder: the
           name, with ".2", ".3" ... for a name's later blocks), name, --cases
           patterns, "alone" or "-" (run it with no other block at the same time),
           server options, wsspec run options (each "-" when there are none)
       check_defects.py check VERDICTS ROOT
           ROOT/<key>/ holds one block's run: rc (wsspec's exit status), run.out
           (its output), server.rc (the server's exit status after SIGTERM) and
           rep/wsspec.json. Prints every mismatch (defect, case, expected vs got) and
           every XPASS; exits 1 if there is any.

Two columns are compared: `autobahn` (Autobahn's verdict: behavior/behaviorClose) and
`rfc` (the RFC's: rfcBehavior/rfcBehaviorClose), which is the autobahn one where a row
does not give it - the two verdicts differ only where a rule makes them differ, and
those rows say which."""
import json
import os
import re
import shlex
import sys

BEHAVIORS = {"OK", "NON-STRICT", "FAILED", "INFORMATIONAL", "UNIMPLEMENTED"}
CLOSES = {"OK", "FAILED", "UNCLEAN", "WRONG CODE", "FAILED BY CLIENT", "INFORMATIONAL"}
COLUMNS = {"autobahn", "rfc", "xfail"}
BLOCK_KEYS = {"exit", "text", "args", "alone", "run"}


class DataError(Exception):
    pass


def verdict_pair(value, where):
    """'FAILED/WRONG-CODE' -> ('FAILED', 'WRONG CODE')."""
    behavior, sep, close = value.partition("/")
    close = close.replace("-", " ")
    if not sep or behavior not in BEHAVIORS or close not in CLOSES:
        raise DataError(f"{where}: bad verdict pair '{value}' (BEHAVIOR/CLOSE, '-' for spaces)")
    return behavior, close


def columns(tokens, allowed, where):
    cols = {}
    for t in tokens:
        key, sep, value = t.partition("=")
        if not sep or key not in allowed:
            raise DataError(f"{where}: unknown column or option '{t}'")
        cols[key] = value
    for k in ("autobahn", "rfc"):
        if k in cols:
            cols[k] = verdict_pair(cols[k], where)
    return cols


def parse(path):
    """The blocks of the data file, in order."""
    blocks = []
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        where = f"{path}:{n}"
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError as e:
            raise DataError(f"{where}: {e}")
        if not tokens:
            continue
        head, rest = tokens[0], tokens[1:]
        if head == "defect":
            if not rest or not re.fullmatch(r"[a-z0-9-]+(,[a-z0-9-]+)*", rest[0]):
                raise DataError(f"{where}: 'defect NAME[,NAME...]' expected")
            opts = columns(rest[1:], BLOCK_KEYS, where)
            blocks.append({"name": rest[0], "opts": opts, "cases": None, "default": {},
                           "rows": [], "where": where})
            continue
        if not blocks:
            raise DataError(f"{where}: '{head}' before the first 'defect' line")
        b = blocks[-1]
        if head == "cases":
            if len(rest) != 1:
                raise DataError(f"{where}: 'cases PATTERNS' (one comma list) expected")
            b["cases"] = rest[0]
        elif head == "default":
            b["default"] = columns(rest, COLUMNS, where)
        else:
            pats = [p for p in head.split(",") if p]
            b["rows"].append({"patterns": pats, "cols": columns(rest, COLUMNS, where),
                              "where": where, "used": set()})
    seen = {}
    for b in blocks:
        if not b["cases"]:
            raise DataError(f"{b['where']}: defect {b['name']} has no 'cases' line")
        seen[b["name"]] = seen.get(b["name"], 0) + 1
        b["key"] = b["name"] if seen[b["name"]] == 1 else f"{b['name']}.{seen[b['name']]}"
    return blocks


def matches(case_id, pattern):
    """Autobahn's patterns: '*' is a wildcard anchored at the start of the id."""
    if "*" in pattern:
        return re.match(re.escape(pattern).replace(r"\*", ".*"), case_id) is not None
    return case_id == pattern


def expectation(block, case_id):
    """The columns for a case: the first matching row over the default."""
    cols = dict(block["default"])
    for row in block["rows"]:
        hit = {p for p in row["patterns"] if matches(case_id, p)}
        if hit:
            row["used"] |= hit
            cols.update(row["cols"])
            if "xfail" not in row["cols"]:
                cols.pop("xfail", None)
            if "rfc" not in row["cols"]:
                cols.pop("rfc", None)
            return cols, row["where"]
    return cols, block["where"] + " (default)"


def read(path, default=""):
    try:
        return open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        return default


def check_exit_block(b, d, rc, out):
    want = int(b["opts"]["exit"])
    text = b["opts"].get("text", "")
    if rc != want or text not in out:
        return [f"MISMATCH {b['name']}: wsspec exit {rc}, expected {want} with '{text}'"
                f" in its output: {out.strip()[-300:]}"]
    print(f"ok   {b['name']}: exit {rc}, '{text}'")
    return []


def show(v):
    """('OK', 'OK', 'FAILED', 'OK') -> 'OK/OK rfc FAILED/OK'."""
    return "/".join(v[:2]) + " rfc " + "/".join(v[2:])


def check_cases(b, run):
    problems, xfails, compared = [], 0, 0
    for c in run["cases"]:
        cols, where = expectation(b, c["id"])
        if "autobahn" not in cols:
            problems.append(f"MISMATCH {b['key']} {c['id']}: no expectation ({where})")
            continue
        compared += 1
        got = (c["behavior"], c["behaviorClose"], c["rfcBehavior"], c["rfcBehaviorClose"])
        want = cols["autobahn"] + cols.get("rfc", cols["autobahn"])
        detail = (f"{c.get('result')} | {c.get('resultClose')} | {c.get('broken')} | "
                  f"RFC: {c.get('rfcBroken')} | {c.get('difference')}")
        if "xfail" in cols:
            if got == want:
                problems.append(f"XPASS {b['key']} {c['id']}: got {show(got)} as expected: "
                                f"remove the xfail ({where}: {cols['xfail']})")
            else:
                xfails += 1
                print(f"xfail {b['key']} {c['id']}: expected {show(want)}, got "
                      f"{show(got)} ({cols['xfail']})")
        elif got != want:
            problems.append(f"MISMATCH {b['key']} {c['id']}: expected {show(want)}, got "
                            f"{show(got)} ({where}): {detail}")
    for row in b["rows"]:
        for p in row["patterns"]:
            if p not in row["used"]:
                problems.append(f"MISMATCH {b['key']}: '{p}' of row {row['where']} matched no "
                                "case run (or an earlier row took all its cases)")
    return problems, xfails, compared


def check(path, root):
    blocks = parse(path)
    problems, xfails, compared = [], 0, 0
    for b in blocks:
        d = os.path.join(root, b["key"])
        rc_text = read(os.path.join(d, "rc")).strip()
        rc = int(rc_text) if rc_text.isdigit() else -1
        out = read(os.path.join(d, "run.out"))
        srv = read(os.path.join(d, "server.rc")).strip()
        if srv != "0":
            problems.append(f"MISMATCH {b['key']}: server exit status '{srv}' after SIGTERM, "
                            f"expected 0: {read(os.path.join(d, 'server.err')).strip()[-300:]}")
        if "exit" in b["opts"]:
            problems += check_exit_block(b, d, rc, out)
            continue
        if rc not in (0, 1):
            problems.append(f"MISMATCH {b['key']}: wsspec exit {rc}: {out.strip()[-300:]}")
            continue
        run = json.load(open(os.path.join(d, "rep", "wsspec.json"), encoding="utf-8"))
        p, x, n = check_cases(b, run)
        problems += p
        xfails += x
        compared += n
        if not p:
            print(f"ok   {b['key']}: {n} cases" + (f", {x} xfail" if x else ""))
    for p in problems:
        print(p)
    print(f"{len(blocks)} defect runs, {compared} cases compared, {xfails} xfail, "
          f"{len(problems)} problems")
    return 1 if problems else 0


def plan(path):
    for b in parse(path):
        alone = "alone" if b["opts"].get("alone") == "yes" else "-"
        # "-" for an empty field: read splits on runs of tabs
        print(f"{b['key']}\t{b['name']}\t{b['cases']}\t{alone}\t{b['opts'].get('args') or '-'}\t"
              f"{b['opts'].get('run') or '-'}")
    return 0


def main():
    try:
        if len(sys.argv) == 3 and sys.argv[1] == "plan":
            return plan(sys.argv[2])
        if len(sys.argv) == 4 and sys.argv[1] == "check":
            return check(sys.argv[2], sys.argv[3])
    except DataError as e:
        print(f"check_defects.py: {e}")
        return 2
    print(__doc__)
    return 2


sys.exit(main())

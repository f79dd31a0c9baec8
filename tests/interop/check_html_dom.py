#!/usr/bin/python3
"""Checks the DOM of wsspec's index.html as a real browser built it (Chromium's
--dump-dom), for tests/itest_html_chromium.sh. Stdlib only.

  check_html_dom.py page DOM WSSPEC_JSON
      the counts shown (totals per target and overall, the behavior cells of the
      matrix, "showing N of N cases") equal wsspec.json's; every cell whose two verdicts
      differ (and no other) has the mark, with the RFC's verdict and the rule in its
      title; no injection ran
  check_html_dom.py differ DOM WSSPEC_JSON
      the page opened with #filter=differ: exactly the cases with a differing cell are
      shown
  check_html_dom.py detail DOM WSSPEC_JSON CASE AGENT
      the detail view of CASE is open and shows, for AGENT: its requirements, both
      verdicts side by side and the rule where they differ (or that they agree), the
      expected column next to the observed verdicts, the broken lines, the server's
      close reason and handshake response as text; and no injection ran
  check_html_dom.py stopped DOM WSSPEC_JSON
      the page of a run that did not finish: the banner at the top says so with
      stopped.message and lists, per target, every case of stopped.notRun; the verdict
      and the title say INCOMPLETE; no injection ran
  check_html_dom.py replay DOM WSSPEC_JSON CASE AGENT COMMAND
      the detail view of CASE shows, for AGENT, exactly COMMAND as its replay command
  check_html_dom.py injected DOM
      the control: the DOM shows that the injection DID run (so the checks above can
      fail)

"No injection ran" means: the title is not 'pwned', no element has id 'xss-ran' (it
exists only if markup from the data was parsed), no img/svg element exists, and every
script element is one the renderer wrote (JSON data blocks and one code block)."""
import json
import os
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def text(self):
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self):
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.walk()

    def find_all(self, tag=None, cls=None, **attrs):
        for n in self.walk():
            if tag and n.tag != tag:
                continue
            if cls and cls not in n.attrs.get("class", "").split():
                continue
            if any(n.attrs.get(k.replace("_", "-")) != v for k, v in attrs.items()):
                continue
            yield n

    def find(self, *a, **kw):
        return next(self.find_all(*a, **kw), None)


class Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", [], None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse(path):
    b = Builder()
    b.feed(open(path, encoding="utf-8").read())
    b.close()
    return b.root


problems = []


def check(cond, msg):
    if not cond:
        problems.append(msg)


def no_injection(dom):
    title = dom.find("title")
    # the report sets "wsspec: N passed, ..." (agent names included, as text); an
    # injection would set exactly 'pwned'
    check(title is not None and title.text() != "pwned", f"title is {title and title.text()!r}")
    check(title is not None and title.text().startswith("wsspec"), "the report script did not set the title")
    check(dom.find(id="xss-ran") is None, "an element with id xss-ran exists: markup from the data was parsed")
    check(dom.find("img") is None, "an <img> element exists")
    check(dom.find("svg", id="xss-ran") is None, "injected <svg> exists")
    scripts = list(dom.find_all("script"))
    code = [s for s in scripts if s.attrs.get("type") != "application/json"]
    check(len(code) == 1, f"{len(code)} executable script elements, want 1 (the report's own)")
    check(all("pwned" not in s.text() for s in code), "the executable script holds data")
    check(all(s.attrs.get("id", "").startswith("wsspec-") for s in scripts if s not in code),
          "a JSON block the renderer did not write")


def rfc_pair(c):
    if isinstance(c.get("rfcBehavior"), str):
        return c["rfcBehavior"], c["rfcBehaviorClose"]
    return c["behavior"], c["behaviorClose"]


def differs(c):
    return bool(c.get("difference")) or rfc_pair(c) != (c["behavior"], c["behaviorClose"])


def shown_results(run):
    """(agent, id) -> the result the matrix shows: the last of the pair."""
    last = {}
    for c in run["cases"]:
        last[(c["agent"], c["id"])] = c
    return last


def case_rows(dom):
    """id -> the matrix row of the case."""
    rows = {}
    for tr in dom.find_all("tr", cls="case"):
        a = tr.find("a", cls="case-link")
        if a is not None:
            rows[a.text()] = tr
    return rows


def marks(dom, run, agents):
    """Every behavior cell whose verdicts differ has the mark and the RFC's verdict and
    the rule in its title; no other cell has one."""
    last = shown_results(run)
    want = sum(differs(c) for c in last.values())
    check(want > 0, "the run has no case whose verdicts differ: the marks are not tested")
    for case_id, tr in case_rows(dom).items():
        cells = [td for td in tr.find_all("td", cls="cell") if "close" not in td.attrs["class"].split()]
        check(len(cells) == len(agents), f"{case_id}: {len(cells)} behavior cells")
        for a, td in zip(agents, cells):
            c = last.get((a, case_id))
            mark = td.find("span", cls="rfc-mark")
            if c is None or not differs(c):
                check(mark is None and "differs" not in td.attrs["class"].split(),
                      f"{case_id} of {a!r}: a mark on a cell whose verdicts agree")
                continue
            check("differs" in td.attrs["class"].split(), f"{case_id} of {a!r}: cell not marked")
            check(mark is not None and mark.text() == "\u2260", f"{case_id} of {a!r}: no mark")
            rb, rbc = rfc_pair(c)
            title = mark.attrs.get("title", "") if mark is not None else ""
            check(f"RFC 6455 verdict: {rb} / {rbc}" in title and (c.get("difference") or "") in title,
                  f"{case_id} of {a!r}: mark title {title!r}")
            check(c.get("difference", "") in td.attrs.get("title", ""), f"{case_id}: cell tooltip lacks the rule")
    got = sum(1 for td in dom.find_all("td", cls="differs"))
    check(got == want, f"{got} marked cells, {want} results whose verdicts differ")


def filtered(dom, run):
    no_injection(dom)
    # (a checkbox's state is a DOM property, not in the dumped markup: the rows say it)
    last = shown_results(run)
    want = sorted({i for (_, i), c in last.items() if differs(c)})
    rows = case_rows(dom)
    shown = sorted(i for i, tr in rows.items() if "hidden" not in tr.attrs)
    check(shown == want and want, f"shown cases {shown}, want those whose verdicts differ {want}")
    check(cell_text(dom, "shown") == f"showing {len(want)} of {len(rows)} cases", f"shown: {cell_text(dom, 'shown')!r}")


def cell_text(dom, id_):
    n = dom.find(id=id_)
    return n.text().strip() if n is not None else None


def page(dom, run):
    no_injection(dom)
    s = run["summary"]
    for key in ("total", "passed", "failed"):
        check(cell_text(dom, f"count-all-{key}") == str(s[key]),
              f"overall {key}: page {cell_text(dom, f'count-all-{key}')}, wsspec.json {s[key]}")
    check(cell_text(dom, "count-all-differ") == str(s["differ"]),
          f"overall differ: page {cell_text(dom, 'count-all-differ')}, wsspec.json {s['differ']}")
    for name, v in s["byBehavior"].items():
        got = cell_text(dom, "count-all-" + name.replace(" ", "_"))
        check(got == str(v), f"overall behavior {name}: page {got}, wsspec.json {v}")
    for name, v in s["byBehaviorClose"].items():
        got = cell_text(dom, "count-all-close-" + name.replace(" ", "_"))
        check(got == str(v), f"overall close {name}: page {got}, wsspec.json {v}")
    agents = []
    for t in run["targets"]:
        if t["agent"] not in agents:
            agents.append(t["agent"])
    for k, a in enumerate(agents):
        mine = [c for c in run["cases"] if c["agent"] == a]
        for key, v in (("total", len(mine)), ("passed", sum(c["passed"] for c in mine)),
                       ("failed", sum(not c["passed"] for c in mine)), ("differ", sum(differs(c) for c in mine))):
            check(cell_text(dom, f"count-t{k}-{key}") == str(v), f"target {k} {key}: page "
                  f"{cell_text(dom, f'count-t{k}-{key}')}, want {v}")
        row = dom.find(id=f"count-t{k}-total").parent
        check(a in row.text(), f"target {k}: agent name not shown as text")
    # the matrix: one column per agent, the hostile agent's name as text in the header
    heads = [h.text() for h in dom.find_all("th", cls="agent-h")]
    check(heads == agents, f"matrix columns {heads!r}, want {agents!r}")
    behavior_cells = [td for td in dom.find_all("td", cls="cell") if "close" not in td.attrs["class"].split()]
    failed = sum("o-fail" in td.attrs["class"].split() for td in behavior_cells)
    check(failed == s["byBehavior"]["FAILED"], f"{failed} red behavior cells, wsspec.json has "
          f"{s['byBehavior']['FAILED']} FAILED")
    n_ids = len({c["id"] for c in run["cases"]})
    check(cell_text(dom, "shown") == f"showing {n_ids} of {n_ids} cases", f"shown: {cell_text(dom, 'shown')!r}")
    check(dom.find("svg", id="chart-svg") is not None, "no chart")
    marks(dom, run, agents)
    check(dom.find("input", id="f-differ") is not None, "no 'verdicts differ' filter")
    det = dom.find(id="detail")
    check(det is not None and "hidden" in det.attrs, "the detail view is open without a #case")


def detail(dom, run, case_id, agent):
    no_injection(dom)
    det = dom.find(id="detail")
    check(det is not None and "hidden" not in det.attrs, "the detail view is not open")
    if det is None:
        return
    h2 = det.find("h2")
    check(h2 is not None and h2.text().startswith(f"Case {case_id}: "), f"heading {h2 and h2.text()!r}")
    result = [c for c in run["cases"] if c["id"] == case_id and c["agent"] == agent][-1]
    reqs = [li.text() for li in det.find_all("li", cls="requirement")]
    check(len(reqs) == len(result["rfc"]) and result["rfc"], f"requirements shown: {reqs!r}")
    for q, shown in zip(result["rfc"], reqs):
        check(f"RFC 6455 \u00a7{q['section']} {q['level']}" in shown and q["sentence"] in shown,
              f"requirement {q['section']} not shown: {shown!r}")
    blocks = [b for b in det.find_all("section", cls="result") if b.attrs.get("data-agent") == agent]
    check(len(blocks) == 1, f"{len(blocks)} result blocks for the agent")
    if not blocks:
        return
    b = blocks[0]
    check(not result["passed"], f"case {case_id} of the agent passed; the test wants a failing one")
    broken = [d.text() for d in b.find_all("div", cls="broken")]
    for key, label in (("broken", "Broken: "), ("rfcBroken", "Broken (RFC 6455 verdict): ")):
        if result.get(key) and (key == "broken" or result[key] != result.get("broken")):
            check(label + result[key] in broken, f"the {key} line is not shown: {broken!r}")
    verdicts(b, result)
    table = b.find("table", cls="outcome")
    check(table is not None, "no expected/observed table")
    if table is not None:
        head = [th.text() for th in table.find("thead").find_all("th")]
        check(head[1:] == ["expected", "observed"], f"outcome columns {head!r}")
        ab = table.find("div", cls="actual-behavior")
        check(ab is not None and f"behavior {result['behavior']}: {result['result']}" in ab.text(),
              f"observed behavior not shown: {ab and ab.text()!r}")
        ac = table.find("div", cls="actual-close")
        check(ac is not None and f"close {result['behaviorClose']}: {result['resultClose']}" in ac.text(),
              "observed close not shown")
    flags = b.find("table", cls="flags")
    check(flags is not None and "closedByMe" in flags.text() and "wasClean" in flags.text(),
          "no closing behaviour flags")
    per = json.load(open(os.path.join(os.path.dirname(sys.argv[3]), result["reportfile"])))
    if per.get("remoteCloseReason"):
        check(per["remoteCloseReason"] in b.text(), "the server's close reason is not shown as text")
    resp = b.find("pre", cls="http-response")
    check(resp is not None and "Server: " + agent in resp.text(),
          "the handshake response (with the Server header) is not shown as text")
    rows = list(b.find("table", cls="wire").find("tbody").find_all("tr"))
    check(len(rows) == len(per["wirelog"]), f"{len(rows)} wire-log rows, the file has {len(per['wirelog'])}")
    times = [r.find("td", cls="t").text() for r in rows if r.find("td", cls="t")]
    check(times and times == [f"{t:.3f}" for t in per["wirelogMs"]], "wire-log times differ from wirelogMs")


def verdicts(b, result):
    """Both verdicts side by side, and the rule where they differ."""
    per = json.load(open(os.path.join(os.path.dirname(sys.argv[3]), result["reportfile"])))
    rb, rbc = rfc_pair(result)
    t = b.find("table", cls="verdicts")
    check(t is not None, "no verdicts table")
    if t is None:
        return
    head = [th.text() for th in t.find("thead").find_all("th")]
    check(head[1:] == ["Autobahn|Testsuite", "RFC 6455"], f"verdict columns {head!r}")
    for cls, want in (("ab-behavior", f"{result['behavior']} {result['result']}"),
                      ("ab-close", f"{result['behaviorClose']} {result['resultClose']}"),
                      ("rfc-behavior", f"{rb} {per['rfcVerdict']['result']}"),
                      ("rfc-close", f"{rbc} {per['rfcVerdict']['resultClose']}")):
        td = t.find("td", cls=cls)
        check(td is not None and td.text() == want, f"{cls}: {td and td.text()!r}, want {want!r}")
    diff = b.find("div", cls="difference")
    badge = b.find("span", cls="rfc-badge")
    if differs(result):
        check(diff is not None and diff.text() == "Where the verdicts differ: " + result["difference"],
              f"the difference is not shown: {diff and diff.text()!r}")
        check(badge is not None and badge.text() == f"\u2260 RFC 6455: {rb} / {rbc}", f"RFC badge {badge and badge.text()!r}")
    else:
        check(diff is None and badge is None, "a difference shown where the verdicts agree")
        check(b.find("p", cls="verdicts-agree") is not None, "'The two verdicts agree.' is not shown")


def stopped(dom, run):
    no_injection(dom)
    st = run.get("stopped")
    check(isinstance(st, dict), "wsspec.json has no stopped object: the test wants a run that stopped")
    if not isinstance(st, dict):
        return
    banner = dom.find("div", id="stopped")
    check(banner is not None, "no banner saying the run did not finish")
    if banner is None:
        return
    # the banner is the first thing after the header
    app = dom.find("div", id="app")
    kids = [c for c in app.children if not isinstance(c, str)]
    check(len(kids) > 1 and kids[0].tag == "header" and kids[1] is banner,
          f"the banner is not right under the header: {[k.tag for k in kids[:3]]}")
    check(f"This run did not finish: {st['message']}" in banner.text(),
          f"banner text {banner.text()!r} lacks the message {st['message']!r}")
    items = list(banner.find_all("li", cls="not-run"))
    want = [t for t in st["notRun"] if t["cases"]]
    check(len(items) == len(want), f"{len(items)} target lines, want {len(want)}")
    for li, t in zip(items, want):
        check(li.attrs.get("data-url") == t["url"], f"line for {li.attrs.get('data-url')!r}, want {t['url']!r}")
        ids = ", ".join(c["id"] for c in t["cases"])
        check(li.text().endswith(": " + ids), f"ids shown {li.text()!r}, want {ids!r}")
        who = t["agent"] if t["agent"] is not None else "not reached"
        check(li.text().startswith(who + " "), f"target shown as {li.text()!r}, want {who!r}")
    n = sum(len(t["cases"]) for t in want)
    check(f"{n} selected case" in banner.text(), f"the banner does not count {n} cases")
    verdict = dom.find("span", id="verdict")
    check(verdict is not None and "INCOMPLETE" in verdict.text(), f"verdict {verdict and verdict.text()!r}")
    check("INCOMPLETE" in dom.find("title").text(), "the title does not say INCOMPLETE")


def replay(dom, case_id, agent, want):
    no_injection(dom)
    det = dom.find(id="detail")
    check(det is not None and "hidden" not in det.attrs, "the detail view is not open")
    if det is None:
        return
    blocks = [b for b in det.find_all("section", cls="result") if b.attrs.get("data-agent") == agent]
    check(len(blocks) == 1, f"{len(blocks)} result blocks for the agent")
    code = blocks[0].find("div", cls="replay").find("code") if blocks and blocks[0].find("div", cls="replay") else None
    check(code is not None and code.text() == want, f"replay {code and code.text()!r}, want {want!r}")


def main():
    mode, dom = sys.argv[1], parse(sys.argv[2])
    if mode == "injected":
        check(dom.find(id="xss-ran") is not None, "control: the injected element is not in the DOM")
    else:
        run = json.load(open(sys.argv[3]))
        if mode == "page":
            page(dom, run)
        elif mode == "differ":
            filtered(dom, run)
        elif mode == "stopped":
            stopped(dom, run)
        elif mode == "replay":
            replay(dom, sys.argv[4], sys.argv[5], sys.argv[6])
        else:
            detail(dom, run, sys.argv[4], sys.argv[5])
    for p in problems:
        print("FAIL:", p)
    return 1 if problems else 0


sys.exit(main())

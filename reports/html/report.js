/*
 * report.js - the interactive part of wsspec's index.html, inlined into the page by
 * report_html.c. The page carries its data as JSON blocks (script elements of type
 * application/json): #wsspec-run is wsspec.json, #wsspec-dN the per-case file of
 * run.cases[N]. This script builds the summary, the chart and the cases x targets
 * matrix on load, and a case's detail view only when it is opened (from a click or
 * from the URL: index.html#case=6.4.3[&agent=NAME]), so a page with thousands of
 * results opens fast.
 *
 * Everything in the data may come from the server under test (agent names from its
 * Server header, close reasons, handshake responses, echoed payloads). It is only ever
 * put into the page as text: el()/text() below use createTextNode and DOM properties,
 * never innerHTML or markup strings, so markup a server sends is shown, not parsed.
 * The page's Content-Security-Policy (only this script may run) is a second line of
 * defence, not the first.
 *
 * Every case has two verdicts (reports/README.md): Autobahn's (behavior, behaviorClose:
 * the matrix shows it, in Autobahn's colours) and the RFC's (rfcBehavior,
 * rfcBehaviorClose), with the rule that makes them differ (difference). A cell whose
 * verdicts differ carries a mark; the detail view shows both side by side; a filter
 * (and #filter=differ in the URL) shows only those cases. "passed" is the run's own
 * pass/fail under its --verdict. A report from an older wsspec has no RFC fields: its
 * one verdict is both.
 *
 * A run that did not finish (run.stopped) says so in a banner right under the header,
 * with every case that never ran, per target, before any count; each result's detail
 * gives the command that replays it, as junit.xml and summary.md do.
 *
 * This file is inlined between script tags: it must never contain the characters of
 * an opening or closing script tag or of an HTML comment opener (a unit test counts
 * the tags of the page).
 */
(function () {
    'use strict';

    /* ------------------------------------------------------------ DOM helpers */

    function text(s) {
        return document.createTextNode(s === null || s === undefined ? '' : String(s));
    }

    /* el('td', {className: 'x', title: t}, child, 'text', ...): properties are set as DOM
     * properties (never as markup); children are nodes or strings (made text nodes). */
    function el(tag, props) {
        var e = document.createElement(tag);
        if (props) {
            for (var k in props) {
                if (!Object.prototype.hasOwnProperty.call(props, k) || props[k] === undefined)
                    continue;
                if (k === 'data') {
                    for (var d in props.data)
                        e.dataset[d] = String(props.data[d]);
                } else {
                    e[k] = props[k];
                }
            }
        }
        for (var i = 2; i < arguments.length; i++)
            add(e, arguments[i]);
        return e;
    }

    function add(parent, c) {
        if (c === null || c === undefined || c === false)
            return;
        if (Array.isArray(c)) {
            c.forEach(function (x) { add(parent, x); });
            return;
        }
        parent.appendChild(typeof c === 'object' ? c : text(c));
    }

    var SVG = 'http://www.w3.org/2000/svg';
    function svg(tag, attrs, content) {
        var e = document.createElementNS(SVG, tag);
        for (var k in attrs)
            e.setAttribute(k, String(attrs[k]));
        if (content !== undefined)
            e.textContent = String(content);
        return e;
    }

    /* ------------------------------------------------------------ the data */

    var run;
    try {
        run = JSON.parse(document.getElementById('wsspec-run').textContent);
    } catch (e) {
        document.body.appendChild(el('p', {className: 'unavailable'}, 'The report data is damaged: ' + e));
        return;
    }
    var results = Array.isArray(run.cases) ? run.cases : [];
    var sectionTitles = run.sections && typeof run.sections === 'object' ? run.sections : {};

    /* Numeric comparison of dotted ids: 9.2 < 10.1.1, 6.4 < 6.10. */
    function idParts(id) {
        return String(id).split('.').map(function (p) { var n = parseInt(p, 10); return isNaN(n) ? 0 : n; });
    }
    function idCmp(a, b) {
        var x = idParts(a), y = idParts(b);
        for (var i = 0; i < Math.min(x.length, y.length); i++)
            if (x[i] !== y[i])
                return x[i] - y[i];
        return x.length - y.length;
    }

    /* Columns: the targets in command-line order, then any agent only the cases name.
     * `wsspec run` gives every target its own agent name; a report with two targets
     * under one name (Autobahn's, or edited) shows them in one column. */
    var agents = [], agentUrl = {};
    function addAgent(a, url) {
        a = String(a);
        if (agents.indexOf(a) < 0)
            agents.push(a);
        if (url && !agentUrl[a])
            agentUrl[a] = String(url);
    }
    (Array.isArray(run.targets) ? run.targets : []).forEach(function (t) { addAgent(t.agent, t.url); });
    results.forEach(function (r) { addAgent(r.agent); });

    /* The cell of (agent, id) shows the last result of that pair (a re-run wins, as in
     * index.json); cellOf maps "agent\u0001id" to the result's index. */
    var cellOf = {}, ids = [], seenId = {};
    results.forEach(function (r, i) {
        cellOf[String(r.agent) + '\u0001' + String(r.id)] = i;
        if (!seenId[r.id]) {
            seenId[r.id] = true;
            ids.push(String(r.id));
        }
    });
    ids.sort(idCmp);
    function resultAt(agent, id) {
        var i = cellOf[agent + '\u0001' + id];
        return i === undefined ? null : i;
    }

    var BEHAVIOR = {
        'OK': ['Pass', 'o-pass'],
        'NON-STRICT': ['Non-Strict', 'o-nonstrict'],
        'INFORMATIONAL': ['Info', 'o-info'],
        'UNIMPLEMENTED': ['Unimplemented', 'o-unimpl'],
        'FAILED': ['Fail', 'o-fail']
    };
    /* Autobahn's close cell: the server's close code, coloured by behaviorClose, or a
     * word when the close failed. */
    function closeCell(r) {
        var code = r.remoteCloseCode === null || r.remoteCloseCode === undefined ? 'none' : String(r.remoteCloseCode);
        switch (r.behaviorClose) {
        case 'OK': return [code, 'o-pass'];
        case 'FAILED BY CLIENT': return [code, 'o-almost'];
        case 'WRONG CODE': return [code, 'o-nonstrict'];
        case 'INFORMATIONAL': return [code, 'o-info'];
        case 'UNCLEAN': return ['Unclean', 'o-fail'];
        default: return ['Fail', 'o-fail'];
        }
    }
    /* One outcome per cell for counting: the run's pass rule first (a case with a
     * passing behavior but a failed close did not pass), then the behavior. */
    function outcome(r) {
        if (r === null)
            return 'missing';
        if (r.passed === false)
            return 'fail';
        return {'OK': 'pass', 'NON-STRICT': 'nonstrict', 'INFORMATIONAL': 'info', 'UNIMPLEMENTED': 'unimpl'}[r.behavior] || 'fail';
    }
    /* The RFC's verdict pair of a result (Autobahn's when the report has none) and whether
     * it differs from Autobahn's. */
    function rfcPair(r) {
        var has = typeof r.rfcBehavior === 'string' && typeof r.rfcBehaviorClose === 'string';
        return has ? [r.rfcBehavior, r.rfcBehaviorClose] : [r.behavior, r.behaviorClose];
    }
    function differs(r) {
        var p = rfcPair(r);
        return !!r.difference || p[0] !== r.behavior || p[1] !== r.behaviorClose;
    }
    var MODE_RULE = {
        both: 'a case passes when both verdicts pass',
        autobahn: 'Autobahn\'s verdict alone decides',
        rfc: 'the RFC 6455 verdict alone decides'
    };
    var mode = run.options && MODE_RULE[run.options.verdict] ? run.options.verdict : 'both';

    var OUTCOMES = [
        ['pass', 'Pass', 'o-pass'], ['nonstrict', 'Non-Strict', 'o-nonstrict'], ['info', 'Info', 'o-info'],
        ['unimpl', 'Unimplemented', 'o-unimpl'], ['fail', 'Fail', 'o-fail'], ['missing', 'Missing', 'o-missing']
    ];

    function topSection(id) { return String(id).split('.')[0]; }
    function subSection(id) {
        var p = String(id).split('.');
        return p.length >= 3 ? p[0] + '.' + p[1] : null;
    }
    function sectionLabel(s) {
        var t = sectionTitles[s];
        return typeof t === 'string' && t ? s + ' ' + t : 'Section ' + s;
    }
    function ms(v) {
        return typeof v === 'number' ? v + ' ms' : '';
    }
    function seconds(v) {
        return v >= 10000 ? (v / 1000).toFixed(0) + ' s' : v >= 1000 ? (v / 1000).toFixed(1) + ' s' : v + ' ms';
    }

    /* A run that did not finish (interrupted, --max-time, a target that could not be
     * tested, wsspec's own trouble): why, and the selected cases that never ran - they
     * are in none of the counts below, so the page says so before anything else. */
    var stopped = run.stopped && typeof run.stopped === 'object' ? run.stopped : null;
    var notRun = stopped && Array.isArray(stopped.notRun) ? stopped.notRun : [];
    var notRunCount = 0;
    notRun.forEach(function (t) { notRunCount += Array.isArray(t.cases) ? t.cases.length : 0; });

    /* The command that replays one case, as junit.xml and summary.md give it: the URL,
     * the case, the seed and the target's replayOptions, each a shell word. */
    var targetOf = {};
    (Array.isArray(run.targets) ? run.targets : []).forEach(function (t) {
        if (t && !targetOf[t.agent])
            targetOf[t.agent] = t;
    });
    function shellWord(w) {
        w = String(w);
        return /^[A-Za-z0-9@%+=:,.\/_-]+$/.test(w) ? w : "'" + w.replace(/'/g, "'\\''") + "'";
    }
    function replayCommand(agent, id) {
        var t = targetOf[agent] || {};
        var words = ['wsspec', 'run', t.url || 'URL', '--cases', id, '--seed', String(run.seed || '')];
        return words.concat(Array.isArray(t.replayOptions) ? t.replayOptions : []).map(shellWord).join(' ');
    }

    /* ------------------------------------------------------------ header and totals */

    var total = results.length, passed = results.filter(function (r) { return r.passed === true; }).length;
    document.title = 'wsspec: ' + (stopped ? 'INCOMPLETE run, ' : '') + passed + ' passed, ' + (total - passed) + ' failed' +
        (notRunCount ? ', ' + notRunCount + ' never ran' : '') + ' - ' + agents.join(', ');
    var verdictText = total - passed ? ' ' + (total - passed) + ' of ' + total + ' failed ' : ' all ' + total + ' passed ';
    if (stopped)
        verdictText = ' INCOMPLETE: ' + (total - passed ? (total - passed) + ' of ' + total + ' failed' : total + ' ran, none failed') +
            (notRunCount ? ', ' + notRunCount + ' never ran ' : ' ');

    var root = document.getElementById('app');
    var tool = run.tool || {};
    var header = el('header', null,
        el('h1', null, 'wsspec report',
           el('span', {className: 'verdict ' + (total - passed || stopped ? 'o-fail' : 'o-pass'), id: 'verdict'}, verdictText)),
        el('p', {className: 'meta'},
           el('span', null, (tool.name || 'wsspec') + ' ' + (tool.version || '')),
           el('span', null, 'started ' + (run.started || '?')),
           el('span', null, 'wall ' + (typeof run.wallMs === 'number' ? seconds(run.wallMs) : '?')),
           el('span', null, 'seed ' + (run.seed || '?')),
           run.options && run.options.strict ? el('span', null, 'strict: Non-Strict fails') : null,
           el('span', {id: 'verdict-mode', title: MODE_RULE[mode]}, 'verdict: ' + mode + ' (' + MODE_RULE[mode] + ')'),
           el('span', null, 'command ', el('code', null, (Array.isArray(run.command) ? run.command : []).join(' ')))));
    root.appendChild(header);
    if (stopped) {
        root.appendChild(el('div', {id: 'stopped', className: 'stopped'},
            el('p', null, el('b', null, 'This run did not finish: '), String(stopped.message || stopped.reason || '')),
            notRunCount ? el('p', null, notRunCount + ' selected case' + (notRunCount === 1 ? '' : 's') +
                ' never ran; the counts and the matrix below hold only the cases that did:') : null,
            notRunCount ? el('ul', {id: 'not-run'}, notRun.map(function (t) {
                var cs = Array.isArray(t.cases) ? t.cases : [];
                var known = typeof t.agent === 'string';
                return cs.length ? el('li', {className: 'not-run', data: {agent: known ? t.agent : '', url: String(t.url || '')}},
                    el('b', null, known ? t.agent : 'not reached'), ' ', el('span', {className: 'url'}, String(t.url || '')), ': ',
                    el('span', {className: 'ids'}, cs.map(function (c) { return String(c && c.id); }).join(', '))) : null;
            })) : null));
    }

    var BEHAVIORS = ['OK', 'NON-STRICT', 'INFORMATIONAL', 'UNIMPLEMENTED', 'FAILED'];
    var CLOSES = ['OK', 'FAILED', 'UNCLEAN', 'WRONG CODE', 'FAILED BY CLIENT', 'INFORMATIONAL'];
    function counts(list) {
        var c = {total: list.length, passed: 0, failed: 0, differ: 0, b: {}, c: {}};
        BEHAVIORS.forEach(function (b) { c.b[b] = 0; });
        CLOSES.forEach(function (b) { c.c[b] = 0; });
        list.forEach(function (r) {
            if (r.passed === true) c.passed++; else c.failed++;
            if (differs(r)) c.differ++;
            if (r.behavior in c.b) c.b[r.behavior]++;
            if (r.behaviorClose in c.c) c.c[r.behaviorClose]++;
        });
        return c;
    }
    /* Every result counts (re-runs too), so the "all" row equals wsspec.json's summary. */
    function totalsRow(label, url, c, key) {
        function num(name, v, bad) {
            return el('td', {id: 'count-' + key + '-' + name.replace(/ /g, '_'), className: bad && v ? 'bad' : ''}, String(v));
        }
        var tr = el('tr', {className: key === 'all' ? 'all' : ''},
            el('td', {className: 'agent'}, label, url ? el('span', {className: 'url'}, url) : null),
            num('total', c.total), num('passed', c.passed), num('failed', c.failed, true), num('differ', c.differ));
        BEHAVIORS.forEach(function (b) { tr.appendChild(num(b, c.b[b], b === 'FAILED')); });
        CLOSES.forEach(function (b) { tr.appendChild(num('close-' + b, c.c[b], b === 'FAILED' || b === 'UNCLEAN')); });
        return tr;
    }
    var totals = el('table', {id: 'totals'},
        el('thead', null,
           el('tr', null, el('th', {className: 'agent', rowSpan: 2}, 'Target'), el('th', {rowSpan: 2}, 'Cases'),
              el('th', {rowSpan: 2}, 'Passed'), el('th', {rowSpan: 2}, 'Failed'),
              el('th', {rowSpan: 2, title: 'cases where the RFC 6455 verdict is not Autobahn\'s'}, 'Verdicts differ'),
              el('th', {colSpan: BEHAVIORS.length}, 'behavior'), el('th', {colSpan: CLOSES.length}, 'behaviorClose')),
           el('tr', null, BEHAVIORS.map(function (b) { return el('th', null, BEHAVIOR[b][0]); }),
              CLOSES.map(function (b) { return el('th', null, b === 'OK' ? 'OK' : b.toLowerCase()); }))));
    var tbody = el('tbody');
    agents.forEach(function (a, k) {
        tbody.appendChild(totalsRow(a, agentUrl[a], counts(results.filter(function (r) { return String(r.agent) === a; })), 't' + k));
    });
    tbody.appendChild(totalsRow('all targets', null, counts(results), 'all'));
    totals.appendChild(tbody);

    /* ------------------------------------------------------------ the chart */

    /* Per top-level section: a stacked bar of outcomes over every cell (cases x agents)
     * and a bar of time (the sum of the cases' durations, all agents). */
    var sections = [], bySection = {};
    ids.forEach(function (id) {
        var s = topSection(id);
        if (!bySection[s]) {
            bySection[s] = {id: s, ids: [], n: {}, time: 0};
            OUTCOMES.forEach(function (o) { bySection[s].n[o[0]] = 0; });
            sections.push(bySection[s]);
        }
        var sec = bySection[s];
        sec.ids.push(id);
        agents.forEach(function (a) {
            var i = resultAt(a, id), r = i === null ? null : results[i];
            sec.n[outcome(r)]++;
            if (r && typeof r.durationMs === 'number')
                sec.time += r.durationMs;
        });
    });
    function chart() {
        var rowH = 20, labelW = 190, barW = 300, gap = 80, timeW = 170, top = 22;
        var w = labelW + barW + gap + timeW + 60, h = top + rowH * sections.length + 6;
        var s = svg('svg', {width: w, height: h, viewBox: '0 0 ' + w + ' ' + h, role: 'img', id: 'chart-svg'});
        s.appendChild(svg('title', {}, 'Outcomes and time per section'));
        s.appendChild(svg('text', {x: labelW, y: 13, 'class': 'axis'}, 'outcomes (cases x targets)'));
        s.appendChild(svg('text', {x: labelW + barW + gap, y: 13, 'class': 'axis'}, 'time (sum of case durations)'));
        var maxN = 1, maxT = 1;
        sections.forEach(function (sec) {
            var n = 0;
            OUTCOMES.forEach(function (o) { n += sec.n[o[0]]; });
            maxN = Math.max(maxN, n);
            maxT = Math.max(maxT, sec.time);
        });
        var colours = {pass: '#0a0', nonstrict: '#9a0', info: '#4095bf', unimpl: '#800080', fail: '#900', missing: '#a05a2c'};
        sections.forEach(function (sec, k) {
            var y = top + k * rowH;
            var label = sectionLabel(sec.id);
            s.appendChild(svg('text', {x: 0, y: y + 13}, label.length > 30 ? label.slice(0, 29) + '\u2026' : label));
            var x = labelW;
            OUTCOMES.forEach(function (o) {
                var n = sec.n[o[0]];
                if (!n)
                    return;
                var bw = Math.max(1, n / maxN * barW);
                var r = svg('rect', {x: x, y: y + 3, width: bw, height: rowH - 6, fill: colours[o[0]]});
                r.appendChild(svg('title', {}, sectionLabel(sec.id) + ': ' + n + ' ' + o[1]));
                s.appendChild(r);
                x += bw;
            });
            var fails = sec.n.fail;
            s.appendChild(svg('text', {x: x + 4, y: y + 13, 'class': 'axis'}, fails ? fails + ' failed' : ''));
            var tw = Math.max(1, sec.time / maxT * timeW);
            var tx = labelW + barW + gap;
            var tr = svg('rect', {x: tx, y: y + 5, width: tw, height: rowH - 10, fill: '#888'});
            tr.appendChild(svg('title', {}, sectionLabel(sec.id) + ': ' + sec.time + ' ms'));
            s.appendChild(tr);
            s.appendChild(svg('text', {x: tx + tw + 4, y: y + 13, 'class': 'axis'}, seconds(sec.time)));
        });
        return s;
    }
    root.appendChild(el('div', {id: 'overview'},
        el('div', null, el('h2', null, 'Results'), totals),
        el('div', {id: 'chart'}, el('h2', null, 'Per section'), chart())));

    /* ------------------------------------------------------------ controls */

    var failedOnly = el('input', {type: 'checkbox', id: 'f-failed'});
    var differOnly = el('input', {type: 'checkbox', id: 'f-differ'});
    var sectionSel = el('select', {id: 'f-section'}, el('option', {value: ''}, 'all sections'));
    var seenSub = {};
    sections.forEach(function (sec) {
        sectionSel.appendChild(el('option', {value: sec.id}, sectionLabel(sec.id)));
        sec.ids.forEach(function (id) {
            var sub = subSection(id);
            if (sub && !seenSub[sub]) {
                seenSub[sub] = true;
                sectionSel.appendChild(el('option', {value: sub}, '\u00a0\u00a0' + sectionLabel(sub)));
            }
        });
    });
    var search = el('input', {type: 'search', id: 'f-search', placeholder: 'search id, title, result, agent'});
    var showClose = el('input', {type: 'checkbox', id: 'f-close', checked: true});
    var shown = el('span', {id: 'shown'});
    var legend = el('span', {className: 'legend', title: 'behavior: what the server sent; close: how the connection ended'},
        OUTCOMES.map(function (o) { return el('span', {className: o[2]}, o[1]); }),
        el('span', {className: 'muted'}, '| close:'),
        el('span', {className: 'o-pass', title: 'closed properly; the cell shows the server\'s close code'}, 'code'),
        el('span', {className: 'o-almost', title: 'the server did not drop TCP: wsspec had to'}, 'failed by client'),
        el('span', {className: 'o-nonstrict', title: 'a close code the case does not allow'}, 'wrong code'),
        el('span', {className: 'o-fail', title: 'closed by the wrong side, or not cleanly'}, 'Fail/Unclean'),
        el('span', {className: 'muted'}, '|'),
        el('span', {className: 'legend-differs', title: 'the cell shows Autobahn\'s verdict; the RFC 6455 verdict differs (hover the cell, or open it)'},
           el('span', {className: 'rfc-mark'}, '\u2260'), ' RFC 6455 verdict differs'));
    var controls = el('div', {id: 'controls'},
        el('label', null, failedOnly, ' failed only'),
        el('label', {title: 'cases where the RFC 6455 verdict is not Autobahn\'s'}, differOnly, ' verdicts differ'),
        el('label', null, 'section ', sectionSel),
        el('label', null, search),
        el('label', {title: 'the second cell of each target: how the connection was closed'}, showClose, ' close column'),
        shown, legend);
    root.appendChild(controls);

    /* ------------------------------------------------------------ the matrix */

    var matrix = el('table', {id: 'matrix'});
    var head = el('tr', null, el('th', null, 'Case'), el('th', null, 'Title'));
    agents.forEach(function (a) {
        head.appendChild(el('th', {colSpan: 2, title: agentUrl[a] || a, className: 'agent-h'}, a));
    });
    matrix.appendChild(el('thead', null, head));
    var body = el('tbody');
    var rows = []; /* {tr, id, sec, sub, failed, hay} */
    var groupRows = []; /* {tr, key} */

    function groupRow(key, cls) {
        var ids_ = ids.filter(function (id) { return topSection(id) === key || subSection(id) === key; });
        var tr = el('tr', {className: cls}, el('td', {colSpan: 2}, sectionLabel(key)));
        agents.forEach(function (a) {
            var n = 0, ok = 0;
            ids_.forEach(function (id) {
                var i = resultAt(a, id);
                if (i !== null) {
                    n++;
                    if (results[i].passed === true) ok++;
                }
            });
            tr.appendChild(el('td', {colSpan: 2, className: 'count' + (ok < n ? ' bad' : ''),
                                     title: ok + ' of ' + n + ' passed'}, ok + '/' + n + (ok < n ? ' (' + (n - ok) + ' failed)' : '')));
        });
        groupRows.push({tr: tr, key: key});
        return tr;
    }

    var lastSec = null, lastSub = null;
    ids.forEach(function (id) {
        var sec = topSection(id), sub = subSection(id);
        if (sec !== lastSec) {
            body.appendChild(groupRow(sec, 'sec'));
            lastSec = sec;
            lastSub = null;
        }
        if (sub && sub !== lastSub) {
            body.appendChild(groupRow(sub, 'sub'));
            lastSub = sub;
        }
        var first = null, failed = false, differ = false, hay = [id];
        agents.forEach(function (a) {
            var i = resultAt(a, id);
            if (i === null)
                return;
            var r = results[i];
            if (first === null) first = r;
            if (r.passed !== true) failed = true;
            if (differs(r)) differ = true;
            hay.push(a, r.title, r.broken, r.result, r.resultClose, r.behavior, r.behaviorClose,
                     r.rfcBehavior, r.rfcBehaviorClose, r.rfcBroken, r.difference);
        });
        var tr = el('tr', {className: 'case'},
            el('td', {className: 'id'}, el('a', {className: 'case-link', href: '#case=' + encodeURIComponent(id)}, id)),
            el('td', {className: 'title', title: first ? String(first.title) : ''}, first ? first.title : ''));
        agents.forEach(function (a) {
            var i = resultAt(a, id);
            var href = '#case=' + encodeURIComponent(id) + '&agent=' + encodeURIComponent(a);
            if (i === null) {
                tr.appendChild(el('td', {colSpan: 2, className: 'cell o-missing', title: 'not run for ' + a}, 'Missing'));
                return;
            }
            var r = results[i];
            var tip = r.behavior + ' / ' + r.behaviorClose + (r.broken ? ': ' + r.broken : '');
            var b = BEHAVIOR[r.behavior] || [String(r.behavior), 'o-fail'];
            var d = differs(r), rp = rfcPair(r);
            var mark = null, cls = 'cell ' + b[1] + (d ? ' differs' : '');
            if (d) {
                var why = 'RFC 6455 verdict: ' + rp[0] + ' / ' + rp[1] + (r.difference ? ' \u2014 ' + r.difference : '');
                tip = 'Autobahn: ' + tip + '\n' + why;
                mark = el('span', {className: 'rfc-mark', title: why}, '\u2260');
            }
            if (r.behavior === 'UNIMPLEMENTED') {
                tr.appendChild(el('td', {colSpan: 2, className: cls, title: tip, data: {href: href}}, b[0], mark));
                return;
            }
            tr.appendChild(el('td', {className: cls, title: tip, data: {href: href}}, b[0], el('small', null, ms(r.durationMs)), mark));
            var c = closeCell(r);
            tr.appendChild(el('td', {className: 'cell close ' + c[1], title: r.behaviorClose + ': ' + (r.resultClose || ''), data: {href: href}}, c[0]));
        });
        rows.push({tr: tr, id: id, sec: sec, sub: sub, failed: failed, differ: differ,
                   hay: hay.filter(function (x) { return x !== null && x !== undefined; }).join('\n').toLowerCase()});
        body.appendChild(tr);
    });
    matrix.appendChild(body);
    if (!ids.length)
        root.appendChild(el('p', {id: 'empty'}, 'This report holds no case results.'));
    root.appendChild(el('div', {id: 'matrix-wrap'}, matrix));
    matrix.addEventListener('click', function (ev) {
        var t = ev.target.closest ? ev.target.closest('td.cell') : null;
        if (t && t.dataset.href)
            location.hash = t.dataset.href;
    });

    function applyFilters() {
        var q = search.value.trim().toLowerCase(), s = sectionSel.value, fo = failedOnly.checked, dO = differOnly.checked;
        var visible = {}, n = 0;
        rows.forEach(function (row) {
            var show = (!fo || row.failed) && (!dO || row.differ) && (!s || row.sec === s || row.sub === s) &&
                       (!q || row.hay.indexOf(q) >= 0);
            row.tr.hidden = !show;
            if (show) {
                n++;
                visible[row.sec] = true;
                if (row.sub) visible[row.sub] = true;
            }
        });
        groupRows.forEach(function (g) { g.tr.hidden = !visible[g.key]; });
        shown.textContent = 'showing ' + n + ' of ' + rows.length + ' cases';
        document.body.classList.toggle('no-close', !showClose.checked);
        requestAnimationFrame(stickHeader);
    }
    /* The matrix header sticks right below the (sticky) filter bar, whose height depends
     * on the window's width. Measured in a frame callback: reading it here would force a
     * layout of the whole matrix in the middle of building the page. */
    function stickHeader() {
        document.documentElement.style.setProperty('--controls-h', controls.offsetHeight + 'px');
    }
    window.addEventListener('resize', function () { requestAnimationFrame(stickHeader); });
    [failedOnly, differOnly, sectionSel, showClose].forEach(function (c) { c.addEventListener('change', applyFilters); });
    search.addEventListener('input', applyFilters);
    applyFilters();

    /* ------------------------------------------------------------ the detail view */

    var detail = el('aside', {id: 'detail', hidden: true});
    document.body.appendChild(detail);

    function loadDetail(i) {
        var block = document.getElementById('wsspec-d' + i);
        if (!block)
            return {unavailable: 'no per-case data in this page'};
        try {
            return JSON.parse(block.textContent);
        } catch (e) {
            return {unavailable: 'damaged per-case data: ' + e};
        }
    }

    function yesno(v) {
        return v === true ? 'yes' : v === false ? 'no' : v === null || v === undefined ? '-' : String(v);
    }

    function eventText(ev) {
        if (!Array.isArray(ev))
            return JSON.stringify(ev);
        switch (ev[0]) {
        case 'message':
            return (ev[2] ? 'binary message ' : 'text message ') + payload(ev[1]);
        case 'pong':
            return 'pong ' + payload(ev[1]);
        case 'timeout':
            return 'timeout ' + ev[1] + ' (the connection was still open)';
        default:
            return ev.map(String).join(' ');
        }
    }
    /* Payloads arrive rendered the Autobahn way: text, or "0x" + hex. */
    function payload(p) {
        p = p === null || p === undefined ? '' : String(p);
        return /^0x[0-9a-f]*( \.\.\.)?$/.test(p) ? p : '\u201c' + p + '\u201d';
    }
    function eventList(list, empty) {
        if (!Array.isArray(list) || !list.length)
            return el('span', {className: 'muted'}, empty);
        return el('ol', {className: 'events'}, list.map(function (ev) { return el('li', null, eventText(ev)); }));
    }

    /* Control characters in handshake texts are shown, not obeyed: \r\n ends a line,
     * anything else below 0x20 (and DEL) is shown as a red escape. */
    function visibleText(s) {
        var frag = document.createDocumentFragment(), buf = '';
        s = s === null || s === undefined ? '' : String(s);
        for (var i = 0; i < s.length; i++) {
            var c = s.charCodeAt(i);
            if (c === 13 && s.charCodeAt(i + 1) === 10) {
                buf += '\n';
                i++;
            } else if ((c < 32 && c !== 9) || c === 127) {
                frag.appendChild(text(buf));
                buf = '';
                frag.appendChild(el('span', {className: 'ctl'}, c === 13 ? '\\r' : c === 10 ? '\\n' : '\\x' + (c < 16 ? '0' : '') + c.toString(16)));
            } else {
                buf += s[i];
            }
        }
        frag.appendChild(text(buf));
        return frag;
    }

    var OPCODES = {0: 'continuation', 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong'};
    function opName(op) {
        return op + ' (' + (OPCODES[op] || 'reserved') + ')';
    }
    function hexBlock(h) {
        h = String(h === null || h === undefined ? '' : h);
        var more = / \.\.\.$/.test(h);
        var hex = h.replace(/ \.\.\.$/, '').replace(/^0x/, '');
        var bytes = [], ascii = '';
        for (var i = 0; i + 1 < hex.length; i += 2) {
            var b = parseInt(hex.substr(i, 2), 16);
            bytes.push(hex.substr(i, 2));
            ascii += b >= 32 && b < 127 ? String.fromCharCode(b) : '.';
        }
        return [bytes.join(' ') + (more ? ' \u2026' : ''), el('span', {className: 'ascii'}, ascii)];
    }
    var TIMERS = {
        KL: function (r) { return 'killAfter scheduled: ' + r[1] + ' s (then wsspec fails the connection)'; },
        KLE: function () { return 'killAfter fired: wsspec fails the connection'; },
        TI: function (r) { return 'closeAfter scheduled: ' + r[1] + ' s (then wsspec sends an empty Close)'; },
        TIE: function () { return 'closeAfter fired'; },
        CT: function (r) { return 'wait ' + r[1] + ' s' + (r[2] !== undefined ? ' (tag ' + r[2] + ')' : ''); },
        CTE: function (r) { return 'wait ended' + (r[1] !== undefined ? ' (tag ' + r[1] + ')' : ''); }
    };
    function wireRow(row, n, t) {
        var kind = Array.isArray(row) ? String(row[0]) : '?';
        var cls = 'wnote', what = '', data = null;
        if (kind === 'RO' || kind === 'TO') {
            cls = kind === 'RO' ? 'rx' : 'tx';
            var o = Array.isArray(row[1]) ? row[1] : [];
            what = (kind === 'RO' ? 'RX OCTETS ' : 'TX OCTETS ') + o[0] + (row[2] ? ', sync' : '');
            data = hexBlock(o[1]);
        } else if (kind === 'RF' || kind === 'TF') {
            cls = kind === 'RF' ? 'rx' : 'tx';
            var p = Array.isArray(row[1]) ? row[1] : [];
            what = (kind === 'RF' ? 'RX FRAME opcode=' : 'TX FRAME opcode=') + opName(row[2]) + ' fin=' + (row[3] ? 1 : 0) +
                   ' rsv=' + row[4] + ' len=' + p[0];
            if (kind === 'RF')
                what += row[5] ? ' masked, mask=' + row[6] : '';
            else
                what += (row[5] ? ' mask=' + row[5] : ' unmasked') + (row[7] ? ' chop=' + row[7] : '') + (row[8] ? ' sync' : '');
            var pl = p[1] === null || p[1] === undefined ? '' : String(p[1]);
            data = p[0] > 0 && (pl === '' || pl === ' ...')
                ? el('span', {className: 'muted'}, '(payload bytes are in the octet rows)')
                : p[0] > 0 ? payload(pl) : el('span', {className: 'muted'}, '(empty)');
        } else if (TIMERS[kind]) {
            cls = 'timer';
            what = TIMERS[kind](row);
        } else if (kind === 'NOTE') {
            what = String(row[1]);
        } else {
            what = JSON.stringify(row);
        }
        return el('tr', {className: cls},
            el('td', {className: 'n'}, String(n)),
            el('td', {className: 't'}, typeof t === 'number' ? t.toFixed(3) : ''),
            el('td', {className: 'd'}, cls === 'rx' ? '\u2190' : cls === 'tx' ? '\u2192' : ''),
            el('td', {className: 'd'}, what),
            el('td', {className: 'hex'}, data));
    }
    function wireLog(d, file) {
        var log = Array.isArray(d.wirelog) ? d.wirelog : [], times = Array.isArray(d.wirelogMs) ? d.wirelogMs : [];
        var shown_ = d.wirelogShown || null;
        var tb = el('tbody');
        log.forEach(function (row, k) {
            var n = k + 1;
            if (shown_ && k >= shown_.head) {
                n = k + 1 + shown_.omitted;
                if (k === shown_.head)
                    tb.appendChild(el('tr', {className: 'wnote'}, el('td', {colSpan: 5},
                        '\u2026 ' + shown_.omitted + ' rows not shown here; every row is in ' + file)));
            }
            tb.appendChild(wireRow(row, n, times[k]));
        });
        if (d.wirelogDropped)
            tb.appendChild(el('tr', {className: 'wnote'}, el('td', {colSpan: 5},
                d.wirelogDropped + ' more rows were not recorded (the per-case bound)')));
        return el('table', {className: 'wire'},
            el('thead', null, el('tr', null, el('th', null, '#'), el('th', null, 'ms'), el('th'), el('th', null, 'event'), el('th', null, 'data'))), tb);
    }

    var FLAGS = [
        ['isServer', 'wsspec was the server (never: it tests servers)'],
        ['closedByMe', 'wsspec sent the first Close'],
        ['failedByMe', 'wsspec failed the connection (a broken rule, or killAfter)'],
        ['droppedByMe', 'wsspec closed the TCP connection'],
        ['wasClean', 'a Close was both sent and received'],
        ['wasNotCleanReason', 'why the close was not clean'],
        ['wasServerConnectionDropTimeout', 'the server did not drop TCP in time after the closing handshake'],
        ['wasOpenHandshakeTimeout', 'the opening handshake did not finish in time'],
        ['wasCloseHandshakeTimeout', 'no Close came back in time'],
        ['localCloseCode', 'the close code wsspec sent'],
        ['localCloseReason', 'the close reason wsspec sent'],
        ['remoteCloseCode', 'the close code the server sent'],
        ['remoteCloseReason', 'the close reason the server sent']
    ];

    function expectedClose(ec) {
        if (!ec || typeof ec !== 'object')
            return '-';
        var codes = Array.isArray(ec.closeCode) ? ec.closeCode.join(', ') : '';
        return [el('div', null, ec.closedByMe ? 'wsspec closes first (the server must not)' : 'the server fails the connection (sends Close first or drops TCP)'),
                el('div', null, 'server close code: ' + (codes || 'any') + ' or none'),
                el('div', null, ec.requireClean ? 'clean closing handshake required' : 'clean close not required'),
                ec.closedByWrongEndpointIsFatal ? el('div', null, 'the wrong closer fails the behavior too') : null,
                ec.wrongCodeIsFatal ? el('div', null, 'a wrong code fails the behavior too') : null];
    }
    function observedClose(d) {
        return [el('div', null, d.closedByMe ? 'wsspec closed first' : d.remoteCloseCode !== null && d.remoteCloseCode !== undefined ? 'the server closed first' : 'no Close from the server first'),
                el('div', null, 'server close code: ' + (d.remoteCloseCode === null || d.remoteCloseCode === undefined ? 'none' : d.remoteCloseCode) +
                   (d.remoteCloseReason ? ', reason ' : ''), d.remoteCloseReason ? el('code', null, visibleText(d.remoteCloseReason)) : null),
                el('div', null, d.wasClean ? 'clean' : 'not clean' + (d.wasNotCleanReason ? ': ' + d.wasNotCleanReason : ''))];
    }

    function badge(label, cls) {
        return el('span', {className: 'badge ' + cls}, label);
    }

    /* The colour of a behaviorClose verdict, as the close cell has it. */
    function closeClass(bc) {
        return {'OK': 'o-pass', 'FAILED BY CLIENT': 'o-almost', 'WRONG CODE': 'o-nonstrict', 'INFORMATIONAL': 'o-info'}[bc] || 'o-fail';
    }
    function behaviorClass(bh) {
        return (BEHAVIOR[bh] || [null, 'o-fail'])[1];
    }

    /* Both verdicts side by side, behavior and close with their texts (the RFC's texts
     * are in the per-case file, rfcVerdict; without it the pair alone), then the rule
     * that makes them differ. */
    function verdicts(r, d) {
        var rv = d.rfcVerdict && typeof d.rfcVerdict === 'object' ? d.rfcVerdict : {};
        var rp = rfcPair(r), has = typeof r.rfcBehavior === 'string';
        function cell(cls, verdict, vcls, txt) {
            return el('td', {className: cls}, el('span', {className: 'badge ' + vcls}, verdict), ' ', txt || '');
        }
        var out = [el('table', {className: 'verdicts'},
            el('thead', null, el('tr', null, el('th'), el('th', null, 'Autobahn|Testsuite'), el('th', null, 'RFC 6455'))),
            el('tbody', null,
               el('tr', null, el('th', null, 'behavior'),
                  cell('ab-behavior', r.behavior, behaviorClass(r.behavior), r.result),
                  cell('rfc-behavior', rp[0], behaviorClass(rp[0]), has ? rv.result : r.result)),
               el('tr', null, el('th', null, 'close'),
                  cell('ab-close', r.behaviorClose, closeClass(r.behaviorClose), r.resultClose),
                  cell('rfc-close', rp[1], closeClass(rp[1]), has ? rv.resultClose : r.resultClose))))];
        if (!has)
            out.push(el('p', {className: 'muted'}, 'This report has no RFC 6455 verdict (an older wsspec): Autobahn\'s stands for both.'));
        else if (differs(r))
            out.push(el('div', {className: 'difference'}, el('b', null, 'Where the verdicts differ: '),
                     r.difference || 'the RFC 6455 verdict is ' + rp[0] + ' / ' + rp[1]));
        else
            out.push(el('p', {className: 'muted verdicts-agree'}, 'The two verdicts agree.'));
        return out;
    }

    /* What broke, for each verdict, and the first rule the server broke when neither
     * line names it. */
    function brokenLines(r) {
        var out = [], rb = r.rfcBroken || '';
        if (r.broken)
            out.push(el('div', {className: 'broken'}, el('b', null, 'Broken: '), r.broken));
        if (rb && rb !== r.broken)
            out.push(el('div', {className: 'broken rfc-broken'}, el('b', null, 'Broken (RFC 6455 verdict): '), rb));
        var te = r.targetError;
        if (te && typeof te === 'object' && (String(r.broken || '') + rb).indexOf(String(te.rule)) < 0)
            out.push(el('div', {className: 'broken'}, el('b', null, 'Rule broken by the server: '),
                te.text + ' (RFC 6455 ' + te.section + ', ' + te.rule + ') at byte ' + te.offset));
        /* a hardening probe (section 17): what the target did, and the policy it is
         * judged against, or the option that would judge it */
        if (r.observed)
            out.push(el('div', {className: 'observed'}, el('b', null, 'Observed: '), r.observed));
        var p = r.policy;
        if (p && typeof p === 'object')
            out.push(el('div', {className: 'observed'}, el('b', null, 'Policy: '),
                p.declared ? p.option + ' ' + p.value + ', as declared'
                           : 'not declared: ' + p.option + ' judges this case (it ran with ' + p.value + ')'));
        return out;
    }

    function agentBlock(a, i) {
        var r = results[i], d = loadDetail(i);
        var b = BEHAVIOR[r.behavior] || [String(r.behavior), 'o-fail'];
        var c = closeCell(r), rp = rfcPair(r);
        var block = el('section', {className: 'result', data: {agent: a}});
        block.appendChild(el('h3', null, a, badge(b[0], b[1]),
            badge('close: ' + (r.behaviorClose === 'OK' ? 'OK' : c[0] + ' (' + r.behaviorClose + ')'), c[1]),
            differs(r) ? badge('\u2260 RFC 6455: ' + rp[0] + ' / ' + rp[1], behaviorClass(rp[0]) + ' rfc-badge') : null,
            el('span', {className: 'badge ' + (r.passed === true ? 'o-pass' : 'o-fail'), title: 'by --verdict ' + mode + ': ' + MODE_RULE[mode]},
               r.passed === true ? 'passed' : 'failed'),
            el('span', {className: 'muted'}, ' ' + ms(r.durationMs) + (d.started ? ' @ ' + d.started : ''))));
        add(block, brokenLines(r));
        block.appendChild(el('div', {className: 'replay'}, el('b', null, 'Replay: '), el('code', null, replayCommand(a, r.id))));
        block.appendChild(el('h4', null, 'Verdicts'));
        add(block, verdicts(r, d.unavailable ? {} : d));
        if (d.unavailable) {
            block.appendChild(el('p', {className: 'unavailable'}, 'Details unavailable: ' + d.unavailable + ' (' + (r.reportfile || '?') + ')'));
            block.appendChild(el('table', {className: 'outcome'},
                el('tr', null, el('th', null, 'behavior'), el('td', null, r.behavior + ': ' + (r.result || ''))),
                el('tr', null, el('th', null, 'close'), el('td', null, r.behaviorClose + ': ' + (r.resultClose || '')))));
            return block;
        }
        var exp = d.expected && typeof d.expected === 'object' ? d.expected : {};
        var expList = [];
        if ('OK' in exp) expList.push(el('div', null, el('b', null, 'OK: '), eventList(exp.OK, 'no events')));
        if ('NON-STRICT' in exp) expList.push(el('div', null, el('b', null, 'NON-STRICT: '), eventList(exp['NON-STRICT'], 'no events')));
        if (!expList.length) expList.push(el('span', {className: 'muted'}, d.expectation || 'judged in code (see the expectation)'));
        block.appendChild(el('h4', null, 'Expected next to what happened'));
        block.appendChild(el('table', {className: 'outcome'},
            el('thead', null, el('tr', null, el('th'), el('th', null, 'expected'), el('th', null, 'observed'))),
            el('tbody', null,
               el('tr', {className: 'events'}, el('th', null, 'events'), el('td', null, expList),
                  el('td', null, eventList(d.received, 'no events'),
                     d.eventsDropped ? el('div', {className: 'muted'}, d.eventsDropped + ' more events not recorded') : null)),
               el('tr', null, el('th', null, 'close'), el('td', null, expectedClose(d.expectedClose)), el('td', null, observedClose(d))),
               el('tr', {className: 'verdict'}, el('th', null, 'Autobahn\'s verdict'),
                  el('td', null, 'behavior OK (or NON-STRICT), close OK'),
                  el('td', null, el('div', {className: 'actual-behavior'}, el('b', null, 'behavior ' + r.behavior + ': '), r.result || ''),
                     el('div', {className: 'actual-close'}, el('b', null, 'close ' + r.behaviorClose + ': '), r.resultClose || ''))))));
        block.appendChild(el('h4', null, 'Closing behaviour'));
        block.appendChild(el('table', {className: 'kv flags'}, el('tbody', null, FLAGS.map(function (f) {
            var v = d[f[0]];
            return el('tr', null, el('th', null, f[0]),
                el('td', {className: v === true ? 'yes' : ''}, typeof v === 'string' ? visibleText(v) : yesno(v)),
                el('td', {className: 'expl'}, f[1]));
        }))));
        block.appendChild(el('h4', null, 'Opening handshake'));
        block.appendChild(el('div', null, el('b', null, 'request (sent)'), el('pre', {className: 'http-request'}, visibleText(d.httpRequest))));
        block.appendChild(el('div', null, el('b', null, 'response (received)'), el('pre', {className: 'http-response'}, visibleText(d.httpResponse))));
        if (Array.isArray(d.responseChecks) && d.responseChecks.length) {
            /* the case's checks of the response, each with what the response had */
            block.appendChild(el('table', {className: 'kv response-checks'}, el('tbody', null, d.responseChecks.map(function (c) {
                var o = typeof c.outcome === 'string' ? c.outcome : '?';
                return el('tr', {className: 'check-' + o.replace(/ /g, '-')},
                    el('th', null, String(c.requirement || '')), el('td', null, String(c.check || '')),
                    el('td', {className: o === 'broken' ? 'no' : ''}, o), el('td', {className: 'expl'}, visibleText(c.got || '')));
            }))));
        }
        if (Array.isArray(d.latin1Fields) && d.latin1Fields.length)
            block.appendChild(el('p', {className: 'muted'}, 'Not valid UTF-8, shown byte for byte as ISO-8859-1: ' + d.latin1Fields.join(', ')));
        function stats(o) {
            if (!o || typeof o !== 'object') return '-';
            return Object.keys(o).map(function (k) { return (OPCODES[k] ? OPCODES[k] : k) + ': ' + o[k]; }).join(', ') || 'none';
        }
        block.appendChild(el('h4', null, 'Wire statistics'));
        block.appendChild(el('table', {className: 'stats'}, el('tbody', null,
            el('tr', null, el('th', null, 'frames received'), el('td', null, stats(d.rxFrameStats)), el('th', null, 'octets received'), el('td', null, stats(d.rxOctetStats))),
            el('tr', null, el('th', null, 'frames sent'), el('td', null, stats(d.txFrameStats)), el('th', null, 'octets sent'), el('td', null, stats(d.txOctetStats))))));
        block.appendChild(el('h4', null, 'Wire log (ms since the TCP connection opened)'));
        block.appendChild(wireLog(d, r.reportfile || 'the per-case JSON file'));
        return block;
    }

    function showDetail(id, agent) {
        var list = agents.filter(function (a) { return (!agent || a === agent) && resultAt(a, id) !== null; });
        while (detail.firstChild)
            detail.removeChild(detail.firstChild);
        rows.forEach(function (row) { row.tr.classList.toggle('selected', row.id === id); });
        if (!list.length) {
            detail.appendChild(el('button', {className: 'close-btn', title: 'close (Esc)', onclick: closeDetail}, '\u00d7'));
            detail.appendChild(el('p', {className: 'unavailable'}, 'No result for case ' + id + (agent ? ' and agent ' + agent : '') + ' in this report.'));
            detail.hidden = false;
            return;
        }
        var first = results[resultAt(list[0], id)], d0 = loadDetail(resultAt(list[0], id));
        detail.appendChild(el('button', {className: 'close-btn', title: 'close (Esc)', onclick: closeDetail}, '\u00d7'));
        detail.appendChild(el('h2', null, 'Case ' + id + ': ', first.title || ''));
        if (d0.description && d0.description !== first.title)
            detail.appendChild(el('p', {className: 'description'}, d0.description));
        if (d0.expectation)
            detail.appendChild(el('p', {className: 'expectation'}, el('b', null, 'Expectation: '), d0.expectation));
        if (d0.note)
            detail.appendChild(el('p', {className: 'note'}, el('b', null, 'Note: '), d0.note));
        var rfc = Array.isArray(first.rfc) ? first.rfc : [];
        detail.appendChild(el('h4', null, 'Requirement' + (rfc.length === 1 ? '' : 's')));
        detail.appendChild(rfc.length ? el('ul', {className: 'req'}, rfc.map(function (q) {
            var doc = typeof q.document === 'string' && q.document ? q.document : 'RFC 6455';
            return el('li', {className: 'requirement'}, el('b', null, doc + ' \u00a7' + q.section + ' ' + q.level), el('q', null, q.sentence));
        })) : el('p', {className: 'muted'}, 'none listed'));
        if (agents.length > 1 && !agent)
            detail.appendChild(el('p', {className: 'muted'}, 'Results of ' + list.length + ' target' + (list.length > 1 ? 's' : '') + ' below.'));
        list.forEach(function (a) { detail.appendChild(agentBlock(a, resultAt(a, id))); });
        detail.hidden = false;
        detail.scrollTop = 0;
    }
    function closeDetail() {
        if (location.hash) {
            try {
                history.pushState(null, '', location.pathname + location.search);
            } catch (e) { /* some browsers refuse history entries for file:// pages */
                location.hash = '';
            }
        }
        detail.hidden = true;
        rows.forEach(function (row) { row.tr.classList.remove('selected'); });
    }
    function route() {
        var h = location.hash.replace(/^#/, '');
        var p = new URLSearchParams(h);
        /* #filter=differ,failed: the filters a link was shared with */
        var only = (p.get('filter') || '').split(',');
        if (p.has('filter')) {
            failedOnly.checked = only.indexOf('failed') >= 0;
            differOnly.checked = only.indexOf('differ') >= 0;
            applyFilters();
        }
        var id = p.get('case');
        if (id)
            showDetail(id, p.get('agent'));
        else
            closeDetail();
    }
    window.addEventListener('hashchange', route);
    document.addEventListener('keydown', function (ev) {
        if (ev.key === 'Escape' && !detail.hidden)
            closeDetail();
    });
    route();
})();

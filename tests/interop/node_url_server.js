// A small stand-in for a fuzzing server (Autobahn's fuzzingserver, `wsspec serve`) on
// npm's `ws`, speaking the subset of the URL protocol a driver needs, to test the
// drivers (`wsspec client --fuzzingserver`, node_ws_client.js) before they meet the
// real thing:
//   /getCaseCount                    one text message: "5", then Close 1000
//   /runCase?case=N&agent=A          case N's script (below), every echo checked, then
//                                    Close 4000+N, whose echo is checked too; case 5
//                                    sends a masked frame: the client's Close 1002 is
//                                    checked
//   /updateReports?agent=A           Close 1000; then the checks are printed and the
//                                    process exits
//   anything else                    refused (HTTP 404)
// usage: node node_url_server.js AGENT   (the agent every request must name, decoded)
//        node node_url_server.js --bad-count   every request is answered with the
//                                              text "many" and Close 1000, and its
//                                              request-target printed (a broken server)
// permessage-deflate is accepted when offered (ws's perMessageDeflate: true), so the
// drivers' compression is exercised too. Prints "listening on PORT" once bound, then
// one "PASS ..." or "FAIL ..." line per check; exits 0 when all passed, 1 otherwise.
// Every wait has a deadline (30 s per connection, 120 s in all).
'use strict';
const { WebSocketServer } = require('ws');

const expectAgent = process.argv[2];
const COUNT = 5;
let failures = 0;
const ran = [];

function check(ok, what) {
  console.log(`${ok ? 'PASS' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

// What each case sends; every message must come back the same (type and bytes).
const scripts = {
  1: [{ data: 'Hello from case 1 \u2713', binary: false }],
  2: [{ data: Buffer.from([0, 1, 2, 250, 255]), binary: true }, { data: '', binary: false }],
  3: [{ data: Buffer.alloc(70000, 0x61), binary: true }],
  4: [{ frag: ['frag', 'mented'], binary: false }, { ping: true }],
  // a rule broken on purpose: a masked frame from the server (RFC 6455 5.1); the client
  // must fail the connection with 1002, echo nothing, and its driver go on
  5: [{ data: 'masked', binary: false, mask: true }],
};

function same(got, isBinary, want) {
  const bytes = want.frag ? Buffer.from(want.frag.join('')) : Buffer.from(want.data);
  return isBinary === want.binary && Buffer.compare(Buffer.from(got), bytes) === 0;
}

function send(ws, step) {
  if (step.frag) {
    step.frag.forEach((part, i) =>
      ws.send(part, { binary: step.binary, fin: i === step.frag.length - 1 }));
  } else {
    ws.send(step.data, { binary: step.binary, mask: !!step.mask });
  }
}

function runCase(ws, n) {
  const steps = scripts[n];
  if (!steps) {
    check(false, `runCase: no case ${n}`);
    ws.close(1000);
    return;
  }
  ran.push(n);
  let i = 0;
  const next = () => {
    if (i === steps.length) {
      ws.close(4000 + n);
      return;
    }
    const step = steps[i];
    if (step.ping) {
      ws.ping('are you there');
      ws.once('pong', (data) => {
        check(data.toString() === 'are you there', `case ${n}: Pong carries the Ping's data`);
        i++;
        next();
      });
      return;
    }
    send(ws, step);
  };
  ws.on('message', (data, isBinary) => {
    check(i < steps.length && same(data, isBinary, steps[i]), `case ${n}: echo of message ${i + 1}`);
    i++;
    next();
  });
  const want = steps.some((step) => step.mask) ? 1002 : 4000 + n;
  ws.on('close', (code) => check(code === want, `case ${n}: Close ${want} ${want === 1002 ? 'sent' : 'echoed'} (${code})`));
  next();
}

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate: true,
  verifyClient: (info) => /^\/(getCaseCount|runCase|updateReports)(\?|$)/.test(info.req.url),
});
wss.on('connection', (ws, req) => {
  if (expectAgent === '--bad-count') {
    console.log(req.url);
    ws.send('many');
    ws.close(1000);
    return;
  }
  const url = new URL(req.url, 'ws://x');
  const timer = setTimeout(() => { check(false, `${req.url}: no end within 30 s`); ws.terminate(); }, 30000);
  ws.on('close', () => clearTimeout(timer));
  ws.on('error', (e) => check(false, `${req.url}: ${e.message}`));
  if (url.pathname !== '/getCaseCount') {
    const agent = url.searchParams.get('agent');
    check(agent === expectAgent, `${url.pathname}: agent ${JSON.stringify(agent)} as given`);
  }
  if (url.pathname === '/getCaseCount') {
    ws.send(String(COUNT));
    ws.close(1000);
  } else if (url.pathname === '/runCase') {
    runCase(ws, Number(url.searchParams.get('case')));
  } else {
    ws.close(1000);
    ws.on('close', () => {
      ran.sort((a, b) => a - b);
      check(ran.join(',') === '1,2,3,4,5', `every case ran once before updateReports (${ran})`);
      wss.close();
      process.exit(failures ? 1 : 0);
    });
  }
});
wss.on('listening', () => console.log(`listening on ${wss.address().port}`));
setTimeout(() => { check(false, 'no updateReports within 120 s'); process.exit(1); }, 120000).unref();

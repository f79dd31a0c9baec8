// A fuzzing-server driver on npm's `ws` client: what Autobahn's client test drivers do,
// for running `wsspec serve` against a third-party client:
//   /getCaseCount, then /runCase?case=N&agent=AGENT for N = 1..count (one after
//   another), echoing every message as it came (text as text, binary as binary), then
//   /updateReports?agent=AGENT.
// usage: node node_ws_client.js URL [AGENT]   (URL = ws://host:port; AGENT default
// "ws-<version>"). ws's client defaults: permessage-deflate offered, Pings answered,
// the server's Close code echoed. Prints one line: "node ws client: N cases run as
// agent A; reports updated" and exits 0, or a line saying what failed and exits 1.
// Every connection has a deadline (60 s). A case connection that ws fails (the server
// broke a rule on purpose) is not the driver's failure: the server judges it.
'use strict';
const WebSocket = require('ws');

const base = (process.argv[2] || '').replace(/\/+$/, '');
const agent = process.argv[3] || `ws-${require('ws/package.json').version}`;
if (!/^wss?:\/\//.test(base)) {
  console.error('usage: node node_ws_client.js ws://HOST:PORT [AGENT]');
  process.exit(2);
}

// One connection to path; onMessage(ws, data, isBinary); resolves when it closes.
// A command connection (mustOpen) that never opened is the driver's failure; a case
// connection that ws refused at the handshake (section 19 answers badly on purpose) is
// the case's, judged by the server: the driver goes on.
function visit(path, onMessage, mustOpen = true) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(base + path);
    const timer = setTimeout(() => { ws.terminate(); reject(new Error(`${path}: no end within 60 s`)); }, 60000);
    ws.on('message', (data, isBinary) => onMessage(ws, data, isBinary));
    // a case that breaks a rule makes ws fail the connection: an 'error', then 'close';
    // the case goes on to its end, judged by the server. A connection that never opened
    // is the driver's failure.
    let opened = false, why = null;
    ws.on('open', () => { opened = true; });
    ws.on('error', (e) => { why = e.message; });
    ws.on('close', (code) => {
      clearTimeout(timer);
      if (opened || !mustOpen) resolve(code);
      else reject(new Error(`${path}: ${why || 'closed before the handshake'}`));
    });
  });
}

async function main() {
  const q = encodeURIComponent(agent);
  let count = null;
  await visit('/getCaseCount', (ws, data) => { count = Number(data.toString()); });
  if (!Number.isInteger(count) || count < 0) throw new Error(`getCaseCount answered ${count}`);
  for (let n = 1; n <= count; n++)
    await visit(`/runCase?case=${n}&agent=${q}`, (ws, data, isBinary) => ws.send(data, { binary: isBinary }), false);
  await visit(`/updateReports?agent=${q}`, () => {});
  console.log(`node ws client: ${count} cases run as agent ${JSON.stringify(agent)}; reports updated`);
}

main().catch((e) => { console.log(`node ws client: ${e.message}`); process.exit(1); });

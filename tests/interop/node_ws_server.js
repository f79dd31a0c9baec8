// Echo server on npm's `ws`. Two ways to serve it:
//   node node_ws_server.js [PORT]          ws's defaults (maxPayload 100 MiB, no origin
//                                          check, no permessage-deflate on a server), for
//                                          tests/survey-hardening
//   node node_ws_server.js [PORT] deflate  as ws's own Autobahn echo server
//                                          (test/autobahn-server.js: its defaults) with
//                                          the extension turned on: perMessageDeflate
//                                          true, that is ws's settings for it (windows as
//                                          the client offers, context takeover, messages
//                                          under 1024 bytes sent uncompressed), for
//                                          tests/itest_interop_deflate.sh
// `ws` comes from tests/interop/node_modules (npm ci in tests/interop; .ci/deps does it)
// or from NODE_PATH. Prints "listening on PORT" once bound; stops on SIGTERM/SIGINT.
'use strict';
const { WebSocketServer } = require('ws');

const modes = { defaults: {}, deflate: { perMessageDeflate: true } };
const mode = process.argv[3] || 'defaults';
if (!Object.hasOwn(modes, mode)) {
  console.error(`node_ws_server.js: unknown mode ${mode} (expected: deflate)`);
  process.exit(2);
}
const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: Number(process.argv[2] || 0),
  ...modes[mode],
});
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {}); // a protocol error closes the connection; the process goes on
});
wss.on('listening', () => console.log(`listening on ${wss.address().port}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => wss.close(() => process.exit(0)));

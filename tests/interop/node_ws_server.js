// Echo server on npm's `ws` with its defaults (maxPayload 100 MiB, no origin check,
// no handshake timeout of its own), for tests/survey-hardening. Needs NODE_PATH to
// reach a `ws` installed outside the repository (npm install ws --prefix DIR). Prints
// "listening on PORT" once bound; stops on SIGTERM/SIGINT.
'use strict';
const { WebSocketServer } = require('ws');

const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2] || 0) });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {}); // a protocol error closes the connection; the process goes on
});
wss.on('listening', () => console.log(`listening on ${wss.address().port}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => wss.close(() => process.exit(0)));

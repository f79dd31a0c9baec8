// Echo server on npm's `faye-websocket` (on websocket-driver), for the comparison of
// tests/bench-echo: the echo server of faye-websocket's README (an http server whose
// 'upgrade' requests become WebSocket objects, each message sent back), with the
// library's defaults: no extensions (no permessage-deflate unless asked for), messages
// up to its maxLength (2^26 - 1 bytes), no keepalive pings, TCP_NODELAY (the library
// sets it). A text message comes as a string and goes back as text, a binary one as a
// Buffer and goes back as binary. `faye-websocket` comes from tests/interop/node_modules
// (npm ci in tests/interop; .ci/deps does it) or NODE_PATH. Prints "listening on PORT"
// once bound; stops on SIGTERM/SIGINT.
//   node node_faye_server.js [PORT]
'use strict';
const http = require('http');
const WebSocket = require('faye-websocket');

const server = http.createServer((req, res) => {
  res.writeHead(404);
  res.end();
});
server.on('upgrade', (request, socket, body) => {
  if (!WebSocket.isWebSocket(request)) {
    socket.destroy();
    return;
  }
  const ws = new WebSocket(request, socket, body);
  ws.on('message', (event) => ws.send(event.data));
  ws.on('error', () => {}); // a protocol error closes the connection; the process goes on
});
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () =>
  console.log(`listening on ${server.address().port}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));

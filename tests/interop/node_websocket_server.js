// Echo server on npm's `websocket` (WebSocket-Node 1.0.x), configured as that project's
// own echo server for Autobahn is (test/scripts/echo-server.js): connections accepted
// automatically, 64 MiB frame and message limits, outgoing messages not fragmented, no
// keepalive pings. WebSocket-Node has no permessage-deflate: it never answers a
// Sec-WebSocket-Extensions offer (tests/itest_interop_deflate.sh). `websocket` comes from
// tests/interop/node_modules (npm ci in tests/interop; .ci/deps does it) or NODE_PATH.
// Prints "listening on PORT" once bound; stops on SIGTERM/SIGINT.
'use strict';
const http = require('http');
const { server: WebSocketServer } = require('websocket');

const httpServer = http.createServer((req, res) => {
  res.writeHead(404);
  res.end();
});
const wss = new WebSocketServer({
  httpServer,
  autoAcceptConnections: true,
  maxReceivedFrameSize: 64 * 1024 * 1024,
  maxReceivedMessageSize: 64 * 1024 * 1024,
  fragmentOutgoingMessages: false,
  keepalive: false,
  disableNagleAlgorithm: false,
});
wss.on('connect', (conn) => {
  conn.on('message', (m) => {
    if (m.type === 'utf8') conn.sendUTF(m.utf8Data);
    else conn.sendBytes(m.binaryData);
  });
  conn.on('error', () => {}); // a protocol error closes the connection; the process goes on
});
httpServer.listen(Number(process.argv[2] || 0), '127.0.0.1', () =>
  console.log(`listening on ${httpServer.address().port}`));
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    wss.shutDown();
    httpServer.close(() => process.exit(0));
  });
}

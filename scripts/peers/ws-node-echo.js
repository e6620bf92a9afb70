// ws-node-echo.js: an echo server in node-ws, for scripts/bench's echo
// rows, against ws-listen reading its own output through a fifo. Every
// message goes back to its connection as it came, text as text and binary
// as binary, straight from the message callback: no envelope line and no
// pipe, node-ws's best case. Prints its URL on stderr; stops on SIGTERM.
'use strict';
const WebSocket = require('ws');

const wss = new WebSocket.Server({ host: '127.0.0.1', port: 0, maxPayload: 16 << 20,
				   perMessageDeflate: false });

wss.on('listening', () => {
	process.stderr.write(`ws-node-echo: listening on ws://127.0.0.1:${wss.address().port}\n`);
});

wss.on('connection', (ws) => {
	ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});

process.on('SIGTERM', () => process.exit(0));

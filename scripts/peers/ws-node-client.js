// ws-node-client.js URL FILE: node-ws's client doing ws-connect -R's job, for
// scripts/bench-ws-connect: every line of FILE becomes one text message; it
// waits while more than 1 MiB is buffered, then closes with 1000 and exits
// when the server has answered the close (so the server has read it all).
'use strict';
const fs = require('fs');
const WebSocket = require('ws');

const [url, file] = process.argv.slice(2);
const lines = fs.readFileSync(file, 'utf8').split('\n');
if (lines.length && lines[lines.length - 1] === '')
	lines.pop();
const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 16 << 20 });
let i = 0;

function pump() {
	while (i < lines.length) {
		if (ws.bufferedAmount > (1 << 20)) {
			setImmediate(pump);
			return;
		}
		ws.send(lines[i++]);
	}
	ws.close(1000);
}

ws.on('open', pump);
ws.on('close', () => process.exit(0));
ws.on('error', (e) => {
	process.stderr.write(`ws-node-client: ${e.message}\n`);
	process.exit(1);
});

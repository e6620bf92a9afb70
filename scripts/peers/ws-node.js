// ws-node.js: ws-listen's job done with node-ws, for scripts/bench.
// Every message received becomes one envelope line on stdout, as ws-listen
// writes it (data, or bytes in base64, meta and origin). Lines are gathered
// and written once per turn of the event loop; when stdout backs up the
// sockets stop being read. Prints its URL on stderr; stops on SIGTERM.
'use strict';
const WebSocket = require('ws');

const wss = new WebSocket.Server({ host: '127.0.0.1', port: 0, maxPayload: 16 << 20,
				   perMessageDeflate: false });
let stream = 0, pending = [], scheduled = false, blocked = false;
const sockets = new Set();

function flush() {
	scheduled = false;
	if (!pending.length)
		return;
	const chunk = pending.join('');
	pending = [];
	if (!process.stdout.write(chunk) && !blocked) {
		blocked = true;
		for (const s of sockets) s.pause();
		process.stdout.once('drain', () => {
			blocked = false;
			for (const s of sockets) s.resume();
		});
	}
}

function emit(line) {
	pending.push(line);
	if (!scheduled) {
		scheduled = true;
		setImmediate(flush);
	}
}

wss.on('listening', () => {
	process.stderr.write(`ws-node: listening on ws://127.0.0.1:${wss.address().port}\n`);
});

wss.on('connection', (ws, req) => {
	const peer = `{"host":${JSON.stringify(req.socket.remoteAddress)},"port":${req.socket.remotePort}}`;
	const origin = `"origin":[{"source":"ws_server","stream":${++stream}}]}\n`;
	const tail = `,"meta":{"ws_server":{"tls":false,"peer":${peer}}},${origin}`;
	const btail = `,"meta":{"ws_server":{"tls":false,"peer":${peer}},"binary":true},${origin}`;
	sockets.add(req.socket);
	ws.on('close', () => sockets.delete(req.socket));
	ws.on('message', (data, isBinary) => {
		if (isBinary)
			emit('{"bytes":"' + data.toString('base64') + '"' + btail);
		else
			emit('{"data":' + JSON.stringify(data.toString()) + tail);
	});
});

process.on('SIGTERM', () => {
	flush();
	process.exit(0);
});

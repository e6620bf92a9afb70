// A scripted WebSocket server over node-ws (NODE_PATH=/usr/share/nodejs),
// a strict peer for the ws-connect tests.
//
//     node wsc_server.js CMD...
//
// Binds 127.0.0.1 port 0, prints "listening PORT" and runs the CMDs in order
// on every connection, with the output of wsc_server.py: text:S, bin:HEX,
// textfile:PATH, binfile:PATH, frag:text:A,B / frag:bin:H1,H2, recv, recvsum,
// echo, close[:CODE[:REASON]], waitclose, drop, sleep:MS. Each connection
// first prints `open PORT`. Runs until killed.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const { WebSocketServer } = require('ws');

function out(...a) { process.stdout.write(a.join(' ') + '\n'); }

function show(data, isBinary, alwaysSum) {
	const kind = isBinary ? 'binary' : 'text';
	if (alwaysSum || data.length > 256)
		out(kind, data.length, crypto.createHash('sha256').update(data).digest('hex'));
	else if (isBinary)
		out(kind, data.toString('hex'));
	else
		out(kind, JSON.stringify(data.toString('utf8')));
}

function sendp(ws, data, opts) {
	return new Promise((resolve, reject) => ws.send(data, opts, (e) => (e ? reject(e) : resolve())));
}

async function script(ws, req, cmds) {
	const inbox = [];
	let waiter = null;
	let closed = null;
	const wake = () => { if (waiter) { const w = waiter; waiter = null; w(); } };
	ws.on('message', (data, isBinary) => { inbox.push({ data, isBinary }); wake(); });
	ws.on('close', (code, reason) => { closed = { code, reason: reason.toString() }; wake(); });
	ws.on('error', () => {});
	const next = async () => {
		while (!inbox.length && !closed)
			await new Promise((r) => { waiter = r; });
		return inbox.length ? inbox.shift() : null;
	};
	const waitClosed = async () => {
		while (!closed)
			await new Promise((r) => { waiter = r; });
	};
	out('open', req.socket.remotePort);
	try {
		for (const c of cmds) {
			const i = c.indexOf(':');
			const name = i < 0 ? c : c.slice(0, i);
			const arg = i < 0 ? '' : c.slice(i + 1);
			if (name === 'text') {
				await sendp(ws, arg, { binary: false });
			} else if (name === 'bin') {
				await sendp(ws, Buffer.from(arg, 'hex'), { binary: true });
			} else if (name === 'textfile') {
				await sendp(ws, fs.readFileSync(arg).toString('utf8'), { binary: false });
			} else if (name === 'binfile') {
				await sendp(ws, fs.readFileSync(arg), { binary: true });
			} else if (name === 'frag') {
				const j = arg.indexOf(':');
				const bin = arg.slice(0, j) === 'bin';
				const parts = arg.slice(j + 1).split(',');
				for (let k = 0; k < parts.length; k++) {
					const d = bin ? Buffer.from(parts[k], 'hex') : parts[k];
					await sendp(ws, d, { binary: bin, fin: k === parts.length - 1 });
				}
			} else if (name === 'recv' || name === 'recvsum') {
				const m = await next();
				if (!m)
					break;
				show(m.data, m.isBinary, name === 'recvsum');
			} else if (name === 'echo') {
				for (let m = await next(); m; m = await next()) {
					show(m.data, m.isBinary, false);
					await sendp(ws, m.data, { binary: m.isBinary });
				}
			} else if (name === 'close') {
				const [code, reason] = arg.split(':');
				ws.close(Number(code || 1000), reason || '');
				await waitClosed();
				out('closed', closed.code, closed.reason);
				return;
			} else if (name === 'waitclose') {
				await waitClosed();
				out('closed', closed.code, closed.reason);
				return;
			} else if (name === 'drop') {
				ws.terminate();
				out('dropped');
				return;
			} else if (name === 'sleep') {
				await new Promise((r) => setTimeout(r, Number(arg)));
			} else {
				out('bad command', c);
				return;
			}
		}
	} catch (e) {
		out('error', e.message);
	}
	if (closed)
		out('closed', closed.code, closed.reason);
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 0, perMessageDeflate: false });
wss.on('listening', () => out('listening', wss.address().port));
wss.on('connection', (ws, req) => { script(ws, req, process.argv.slice(2)); });

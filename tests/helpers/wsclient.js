// A scripted WebSocket client over node-ws (NODE_PATH=/usr/share/nodejs).
//
//     node wsclient.js [--cafile F] [--server-name N] [--timeout S] URL CMD...
//
// The commands and their output are those of wsclient.py: text:S, bin:HEX,
// textfile:PATH, binfile:PATH, frag:text:A,B / frag:bin:H1,H2, many:N, recv,
// recvsum, recvmany:N, hold:MS, close[:CODE[:REASON]], waitclose. Prints
// "open LOCALPORT" once connected; exit 3 on a timeout, 1 on an unexpected
// close, 2 when the connection fails.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const WebSocket = require('ws');

function out(...a) { process.stdout.write(a.join(' ') + '\n'); }

const args = process.argv.slice(2);
const opts = { cafile: null, 'server-name': null, timeout: 10 };
while (args.length && args[0].startsWith('--')) {
	const k = args.shift().slice(2);
	opts[k] = args.shift();
}
const timeoutMs = Number(opts.timeout) * 1000;
const url = args.shift();
const wsopts = { maxPayload: 0 };
if (opts.cafile) {
	wsopts.ca = fs.readFileSync(opts.cafile);
	if (opts['server-name']) wsopts.servername = opts['server-name'];
}

const ws = new WebSocket(url, wsopts);
const inbox = [];
let waiter = null;
let closed = null;

function exit(code) {
	process.stdout.write('', () => process.exit(code));
}

ws.on('open', () => { if (waiter) waiter(); });
ws.on('message', (data, isBinary) => {
	inbox.push({ data, isBinary });
	if (waiter) waiter();
});
ws.on('close', (code, reason) => {
	closed = { code, reason: reason.toString() };
	if (waiter) waiter();
});
ws.on('error', (e) => {
	if (ws.readyState === WebSocket.CONNECTING || !closed) {
		out('error', e.message);
		exit(2);
	}
});

// Wait until pred() holds or the deadline passes.
function until(pred) {
	return new Promise((resolve, reject) => {
		const t = setTimeout(() => { waiter = null; reject(new Error('timeout')); }, timeoutMs);
		const check = () => {
			if (pred()) { clearTimeout(t); waiter = null; resolve(); }
		};
		waiter = check;
		check();
	});
}

function send(data, o) {
	return new Promise((resolve, reject) => ws.send(data, o, (e) => (e ? reject(e) : resolve())));
}

async function recv() {
	await until(() => inbox.length || closed);
	if (!inbox.length) {
		out('closed', closed.code, closed.reason);
		exit(1);
		return new Promise(() => {});
	}
	return inbox.shift();
}

async function run() {
	await until(() => ws.readyState === WebSocket.OPEN || closed);
	if (closed) { out('error', 'closed before open'); exit(2); return; }
	out('open', ws._socket.localPort, ws.protocol);
	for (const c of args) {
		const i = c.indexOf(':');
		const name = i < 0 ? c : c.slice(0, i);
		const arg = i < 0 ? '' : c.slice(i + 1);
		if (name === 'text') await send(arg, { binary: false });
		else if (name === 'bin') await send(Buffer.from(arg, 'hex'), { binary: true });
		else if (name === 'textfile') await send(fs.readFileSync(arg).toString('utf8'), { binary: false });
		else if (name === 'binfile') await send(fs.readFileSync(arg), { binary: true });
		else if (name === 'frag') {
			const j = arg.indexOf(':');
			const bin = arg.slice(0, j) === 'bin';
			const parts = arg.slice(j + 1).split(',');
			for (let k = 0; k < parts.length; k++) {
				const p = bin ? Buffer.from(parts[k], 'hex') : parts[k];
				await send(p, { binary: bin, fin: k === parts.length - 1, compress: false });
			}
		} else if (name === 'many') {
			for (let k = 1; k <= Number(arg); k++) await send('m' + k, { binary: false });
		} else if (name === 'recv' || name === 'recvsum') {
			const m = await recv();
			const kind = m.isBinary ? 'binary' : 'text';
			if (name === 'recvsum')
				out(kind, m.data.length, crypto.createHash('sha256').update(m.data).digest('hex'));
			else if (m.isBinary) out('binary', m.data.toString('hex'));
			else out('text', JSON.stringify(m.data.toString('utf8')));
		} else if (name === 'recvmany') {
			for (let k = 1; k <= Number(arg); k++) {
				const m = await recv();
				if (m.data.toString() !== 'm' + k) {
					out('unexpected', k, JSON.stringify(m.data.toString()).slice(0, 80));
					exit(1);
					return;
				}
			}
			out('got', arg);
		} else if (name === 'hold') {
			await new Promise((r) => setTimeout(r, Number(arg)));
			if (inbox.length || closed) { out('unexpected'); exit(1); return; }
		} else if (name === 'close') {
			const [code, reason] = arg.split(':');
			ws.close(Number(code || 1000), reason || '');
			await until(() => closed);
			out('closed', closed.code, closed.reason);
		} else if (name === 'waitclose') {
			await until(() => closed);
			out('closed', closed.code, closed.reason);
		} else {
			out('bad command', c);
			exit(2);
			return;
		}
	}
	if (!closed) {
		ws.close(1000);
		await until(() => closed);
	}
	exit(0);
}

run().catch((e) => {
	out(e.message === 'timeout' ? 'timeout' : 'error ' + e.message);
	exit(e.message === 'timeout' ? 3 : 2);
});

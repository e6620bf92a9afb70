// peer.js: node-ws as the other side for scripts/interop-matrix
// (NODE_PATH=/usr/share/nodejs). The same interface as peer.py:
//   node peer.js client URL CASE [--cafile F]
//   node peer.js server [--cert F --key F]
"use strict";

const fs = require("fs");
const https = require("https");
const WebSocket = require("ws");

const TEXT = "h\u00e9llo wsflow \u2713 \u{1F600}";

function pattern(n, seed) {
	const b = Buffer.alloc(n);
	let x = seed;
	for (let i = 0; i < n; i++) {
		x = (Math.imul(x, 1103515245) + 12345) >>> 0;
		b[i] = x >>> 24;
	}
	return b;
}

function opt(args, name) {
	const i = args.indexOf(name);
	return i >= 0 ? args[i + 1] : undefined;
}

function report(ok, detail) {
	console.log(JSON.stringify({ ok: ok, detail: detail }));
	process.exit(ok ? 0 : 1);
}

function client(url, kase, cafile) {
	const o = { perMessageDeflate: false, maxPayload: 0 };
	if (cafile)
		o.ca = fs.readFileSync(cafile);
	const ws = new WebSocket(url, o);
	const timer = setTimeout(() => report(false, "timed out"), 30000);
	let ok = false, detail = "";
	ws.on("error", (e) => { clearTimeout(timer); report(false, "error: " + e.message); });
	ws.on("open", () => {
		if (kase === "close") {
			ws.close(4001, "bye");
			return;
		}
		const msg = kase === "text" ? TEXT : pattern(kase === "binary" ? 256 : 1 << 20, kase === "binary" ? 1 : 7);
		ws.on("message", (data, isBinary) => {
			if (kase === "text")
				ok = !isBinary && data.toString("utf8") === TEXT;
			else
				ok = isBinary && Buffer.compare(data, msg) === 0;
			detail = "echo " + (ok ? "equal" : "differs (" + (isBinary ? "binary" : "text") + ", " + data.length + ")");
			ws.close(1000);
		});
		ws.send(msg);
	});
	ws.on("close", (code, reason) => {
		clearTimeout(timer);
		if (kase === "close")
			report(code === 4001 && reason.toString() === "bye", "close echoed: " + code + " '" + reason + "'");
		else
			report(ok && code === 1000, detail + ", close " + code);
	});
}

function server(cert, key) {
	let wss;
	const o = { host: "127.0.0.1", port: 0, perMessageDeflate: false, maxPayload: 0 };
	if (cert) {
		const h = https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) });
		wss = new WebSocket.Server({ server: h, perMessageDeflate: false, maxPayload: 0 });
		h.listen(0, "127.0.0.1", () => console.log("port " + h.address().port));
	} else {
		wss = new WebSocket.Server(o, () => console.log("port " + wss.address().port));
	}
	wss.on("connection", (ws) => {
		ws.on("message", (data, isBinary) => {
			if (!isBinary && data.toString() === "close-me") {
				ws.close(4002, "bye");
				return;
			}
			ws.send(data, { binary: isBinary });
		});
		ws.on("close", (code, reason) => {
			console.log(JSON.stringify({ close: code, reason: reason.toString() }));
		});
	});
}

const args = process.argv.slice(2);
if (args[0] === "server")
	server(opt(args, "--cert"), opt(args, "--key"));
else
	client(args[1], args[2], opt(args, "--cafile"));

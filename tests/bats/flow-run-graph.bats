#!/usr/bin/env bats
# The process graph: fan-in keeps every line whole, fan-out gives every
# destination every event, err ports carry error events, the console
# connector, --graph (valid dot, nothing run).

load flow-run

setup() {
	fr_setup
}

teardown() {
	fr_teardown
}

@test "fan-in: two file readers into one pipeline, every line whole and present" {
	# lines of up to 6000 bytes (a pipe writes 4096 at once): the hub must
	# not cut or mix them
	/usr/bin/python3 - <<'PY'
import json
for name in "ab":
    with open(name + ".json", "w") as f:
        for i in range(5000):
            f.write(json.dumps({"src": name, "i": i, "pad": name * ((i * 37) % 6000)}) + "\n")
PY
	fixture fan-in.troy
	flow_bg fan fan-in.troy
	wait_until lines_in out.log 10000
	kill -TERM "$FR_fan"
	flow_wait fan
	cat fan.err
	[ "$STATUS" -eq 0 ]
	[ ! -s fan.err ]
	/usr/bin/python3 - <<'PY'
import json
seen = {"a": [], "b": []}
for line in open("out.log"):
    d = json.loads(line)
    assert d["pad"] == d["src"] * ((d["i"] * 37) % 6000), line[:80]
    seen[d["src"]].append(d["i"])
# each reader's lines in its order, all of them
assert seen["a"] == list(range(5000)), "a"
assert seen["b"] == list(range(5000)), "b"
PY
	no_process_left "$FR_fan"
}

@test "fan-out: one pipeline to two file writers, each gets every event; the reader's err port" {
	local i
	for ((i = 1; i <= 3000; i++)); do
		echo "{\"i\": $i, \"s\": \"$i\"}"
		[ $i -eq 1500 ] && echo '{"broken": '
	done >in.json
	echo '"exit"' >>in.json
	fixture fan-out.troy
	flow fan-out.troy
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(wc -l <one.log)" -eq 3000 ]
	cmp one.log two.log
	[ "$(sed -n 1500p one.log)" = '{"i":1500,"s":"1500"}' ]
	[ "$(tail -n 1 one.log)" = '{"i":3000,"s":"3000"}' ]
	# the malformed line, as an error event of the reader (sorted keys)
	[ "$(cat errors.log)" = '{"error":"line 1501: payload is not JSON: unexpected end of input at byte 11","input":"{\"broken\": ","source":"in","stream":0}' ]
	no_process_left
}

@test "err port of a pipeline: a runtime error in an expression is an error event" {
	cat >calc.troy <<'TROY'
define flow main
flow
  use integration;
  define pipeline calc
  into out, err, exit
  pipeline
    select {"half": event.n / 2, "rest": event.n % 2} from in where event != "exit" into out;
    select {"exit": 0} from in where event == "exit" into exit;
  end;
  create connector in from integration::read_file;
  create connector out from integration::write_file;
  create connector errors from integration::write_file with file = "errors.log" end;
  create connector exit from integration::exit;
  create pipeline calc;
  connect /connector/in to /pipeline/calc;
  connect /pipeline/calc/out to /connector/out;
  connect /pipeline/calc/err to /connector/errors;
  connect /pipeline/calc/exit to /connector/exit;
end;
deploy flow main;
TROY
	printf '%s\n' '{"n": 3}' '{"n": 2.5}' '{"n": 8}' '"exit"' >in.json
	flow calc.troy
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(cat out.log)" = "$(printf '%s\n' '{"half":1.5,"rest":1}' '{"half":4,"rest":0}')" ]
	[ "$(wc -l <errors.log)" -eq 1 ]
	grep -q '"source":"calc"' errors.log
	grep -q '"error":"calc.troy:7:' errors.log
	no_process_left
}

@test "the console connector: stdin lines through a passthrough pipeline to stdout" {
	fixture console.troy
	printf '%s\n' hello 'wörld €' '{"a": 1}' '' '  spaced  ' exit >console.in
	flow_bg console console.troy
	flow_wait console
	cat console.err
	[ "$STATUS" -eq 0 ]
	[ ! -s console.err ]
	printf '%s\n' hello 'wörld €' '{"a": 1}' '' '  spaced  ' >want
	diff -u want console.out
	no_process_left "$FR_console"
}

# --graph: valid dot that names every process, and nothing runs
check_dot() {
	flow --graph "$1"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >graph.dot
	[ "${lines[0]}" = 'digraph flow {' ]
	[ "${lines[${#lines[@]} - 1]}" = '}' ]
	if command -v dot >/dev/null; then
		dot -Tsvg graph.dot >graph.svg
		grep -q '<svg' graph.svg
	fi
	# every edge joins declared nodes
	local nodes edge
	nodes=$(sed -n 's/^\t\(p[0-9]*\|hub\) \[.*/\1/p' graph.dot | sort -u)
	sed -n 's/^\t\([a-z0-9]*\) -> \([a-z0-9]*\) .*/\1\n\2/p' graph.dot | sort -u >edge-nodes
	while read -r edge; do
		grep -qx "$edge" <<<"$nodes"
	done <edge-nodes
}

@test "--graph: the seed's flow as valid dot; nothing runs, nothing is written" {
	mkdir before
	sed 's/65535/1/g' "$FX/seed-separate.troy" >seed.troy
	check_dot seed.troy
	# every process of the seed's graph, once
	grep -c '^	p[0-9]* \[label=' graph.dot | grep -qx 23
	grep -q 'label="ws_server: ws-listen 0.0.0.0:1 --id=ws_server --stream-events --tls-cert=./before/localhost.cert --tls-key=./before/localhost.key --err-fd=3"' graph.dot
	grep -q 'label="ws_client: ws-connect wss://0.0.0.0:1/ --id=ws_client --stream-events --tls-cafile=./before/localhost.cert --tls-domain=localhost --no-nodelay --retry-interval=500 --retry-growth=2 --retry-max=3 --err-fd=3"' graph.dot
	grep -q '\-> hub \[label="server_side/out (exit)"\]' graph.dot
	[ ! -e out.log ]
	no_process_left
}

@test "--graph of fan-in, fan-out, console: valid dot, nothing runs" {
	: >in.json
	fixture fan-in.troy
	check_dot fan-in.troy
	# fan-in: the hub writes the pipeline's input
	grep -q '^	hub -> p[0-9]* \[label="both/in"\];$' graph.dot
	fixture fan-out.troy
	check_dot fan-out.troy
	fixture console.troy
	check_dot console.troy
	[ ! -e out.log ] && [ ! -e one.log ]
}

@test "two deploys of one flow: each its own processes and files" {
	cat >twice.troy <<'TROY'
define flow copy_file
args
  target = "out.log"
flow
  use integration;
  create connector in from integration::read_file;
  create connector out from integration::write_file with file = args.target end;
  create connector exit from integration::exit;
  create pipeline p from integration::out_or_exit;
  connect /connector/in to /pipeline/p;
  connect /pipeline/p/out to /connector/out;
  connect /pipeline/p/exit to /connector/exit;
end;
deploy flow a from copy_file with target = "a.log" end;
deploy flow b from copy_file with target = "b.log" end;
TROY
	printf '%s\n' '{"x": 1}' '[2]' '"exit"' >in.json
	flow --verbose twice.troy
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat a.log)" = "$(printf '%s\n' '{"x":1}' '[2]')" ]
	cmp a.log b.log
	[[ $output == *'flow-run: a/out: file writer'* ]]
	[[ $output == *'flow-run: b/out: file writer'* ]]
	no_process_left
}

# wsflow: plain make. `make`, `make check`, `make check SANITIZE=1`,
# `make install PREFIX=/usr/local DESTDIR=`, `make demo`, `make bench` (the WebSocket
# servers), `make bench-filters`, `make bench-wsc`, `make bench-flow`, `make bench-profile`.

VERSION  = 0.1.0
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR   = $(PREFIX)/bin
MANDIR   = $(PREFIX)/share/man
TROYDIR  = $(PREFIX)/share/wsflow/troy

CC      ?= cc
WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2
CFLAGS  ?= -O2 -g
CPPFLAGS += -Ilib -D_GNU_SOURCE -DWF_VERSION='"$(VERSION)"' -DWF_TROYDIR='"$(TROYDIR)"'
LDLIBS   = -lwslay -lgnutls -ljq -lonig -lpopt -lm

ifeq ($(SANITIZE),1)
B        = build/asan
CFLAGS   = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
B        = build/release
endif

LIB_SRC  = $(wildcard lib/*.c)
LIB_OBJ  = $(LIB_SRC:lib/%.c=$(B)/lib/%.o)
CMD_SRC  = $(wildcard cmd/*.c)
BINS     = $(CMD_SRC:cmd/%.c=$(B)/bin/%)
UNIT_SRC = $(wildcard tests/unit/*.c)
UNITS    = $(UNIT_SRC:tests/unit/%.c=$(B)/unit/%)
MANS     = $(wildcard man/*.[1-9])

all: $(BINS)

$(B)/lib/%.o: lib/%.c $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -std=gnu11 -c -o $@ $<

$(B)/libwsflow.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(B)/bin/%: cmd/%.c $(B)/libwsflow.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -std=gnu11 $(LDFLAGS) -o $@ $< $(B)/libwsflow.a $(LDLIBS)

$(B)/unit/%: tests/unit/%.c tests/unit/unit.h $(B)/libwsflow.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(WARN) -std=gnu11 $(LDFLAGS) -o $@ $< $(B)/libwsflow.a $(LDLIBS)

units: $(UNITS)

# Programs that time one part of the library (tests/perf), for the benchmarks.
$(B)/perf/%: tests/perf/%.c $(B)/libwsflow.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -std=gnu11 $(LDFLAGS) -o $@ $< $(B)/libwsflow.a $(LDLIBS)

# The whole suite: C unit tests, then the bats tests against the binaries.
check: all units
	@set -e; for t in $(UNITS); do echo "unit: $$t"; $$t; done
	WF_BIN=$(CURDIR)/$(B)/bin bats --jobs 1 tests/bats
	@$(MAKE) --no-print-directory lint-man

lint-man:
	@for m in $(MANS); do mandoc -Tlint -W warning $$m || exit 1; done; echo "man pages: clean"

demo: all
	@scripts/demo $(B)/bin

# ws-listen against node-ws, python3-websockets, libwebsockets and a TCP sink:
# flood, echo, TLS, --reuseport and scale, flooded by ws-bench (~5 min).
# bench-ws is its old name.
bench: all
	scripts/bench $(B)/bin

bench-ws: bench

# json-codec and lines-split against jq and cat.
bench-filters: all
	scripts/bench-filters $(B)/bin

# ws-connect against node-ws's client, into ws-listen and a node-ws server (~2 min).
bench-wsc: all
	scripts/bench-ws-connect $(B)/bin

# flow-run: the seed's echo flow against a bare ws-connect | ws-listen pipe (~1 min).
bench-flow: all
	scripts/bench-flow-run $(B)/bin

# Instructions per message of ws-listen (ingest, echo) and json-codec --decode
# under callgrind, and wslay's receive path against ws.c's unmask (~1 min).
bench-profile: all $(B)/perf/unmask
	scripts/bench-profile $(B)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(TROYDIR)
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	for m in $(MANS); do s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s; done
	cp -R lib/troy/. $(DESTDIR)$(TROYDIR)/

clean:
	rm -rf build

.PHONY: all units check lint-man demo bench bench-ws bench-filters bench-wsc bench-flow bench-profile install clean
.SECONDARY: $(LIB_OBJ)

# Fuzzing (tests/fuzz): `make fuzz` builds each target with clang's libFuzzer
# and ASan+UBSan against the library sources and runs it FUZZ_SECONDS over
# its seed corpus (tests/fuzz/corpus/T) and the regressions
# (tests/fuzz/regressions/T); what it finds stays in build/fuzz/corpus/T,
# crashes in build/fuzz/crashes/. `make check` runs every corpus and
# regression input through the same targets linked with tests/fuzz/replay.c.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_B        = build/fuzz
FUZZ_FLAGS    = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_SRC      = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_TARGETS  = $(FUZZ_SRC:tests/fuzz/%.c=%)
FUZZ_BINS     = $(FUZZ_TARGETS:%=$(FUZZ_B)/bin/%)
FUZZ_LIB_OBJ  = $(LIB_SRC:lib/%.c=$(FUZZ_B)/lib/%.o)
REPLAYS       = $(FUZZ_TARGETS:%=$(B)/fuzz/%)

$(FUZZ_B)/lib/%.o: lib/%.c $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(WARN) -std=gnu11 -c -o $@ $<

$(FUZZ_B)/libwsflow.a: $(FUZZ_LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_B)/bin/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ_B)/libwsflow.a
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) -Itests/fuzz $(FUZZ_FLAGS) -fsanitize=fuzzer $(WARN) -std=gnu11 -o $@ $< $(FUZZ_B)/libwsflow.a $(LDLIBS)

$(B)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h tests/fuzz/replay.c $(B)/libwsflow.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/fuzz $(CFLAGS) $(WARN) -std=gnu11 $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(B)/libwsflow.a $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_B)/corpus/$$t $(FUZZ_B)/crashes; \
		reg=; [ -d tests/fuzz/regressions/$$t ] && reg=tests/fuzz/regressions/$$t; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		$(FUZZ_B)/bin/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_B)/crashes/$$t- $(FUZZ_B)/corpus/$$t tests/fuzz/corpus/$$t $$reg \
			2>$(FUZZ_B)/$$t.log || { tail -n 60 $(FUZZ_B)/$$t.log; exit 1; }; \
		sed -n "s/^Done \([0-9]*\) runs in \([0-9]*\) second.*/fuzz: $$t: \1 runs in \2 s, no crash/p" $(FUZZ_B)/$$t.log; \
	done

# The corpus and regression inputs, replayed by tests/bats/fuzz-regressions.bats.
fuzz-replay: $(REPLAYS)
check: fuzz-replay

# Every unit test (and every replay) under valgrind: the release build,
# since valgrind and ASan do not mix.
VALGRIND = valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
           --suppressions=tests/valgrind/unit.supp
valgrind:
	@$(MAKE) --no-print-directory units fuzz-replay SANITIZE=
	@set -e; for t in $(UNIT_SRC:tests/unit/%.c=build/release/unit/%); do \
		echo "valgrind: $$t"; $(VALGRIND) $$t; done
	@set -e; for t in $(FUZZ_TARGETS); do \
		reg=; [ -d tests/fuzz/regressions/$$t ] && reg=tests/fuzz/regressions/$$t; \
		echo "valgrind: build/release/fuzz/$$t"; \
		$(VALGRIND) build/release/fuzz/$$t tests/fuzz/corpus/$$t $$reg; done

.PHONY: fuzz fuzz-build fuzz-replay valgrind

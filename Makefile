# Vigil: one plain, non-recursive Makefile. Objects under $(BUILD), binaries under $(BIN).
# Override BUILD/BIN to build in a private tree (e.g. `make BUILD=/tmp/b BIN=/tmp/b/bin`).
CC      ?= cc
BUILD   ?= build
BIN     ?= bin
PKGS    := yaml-0.1 libcjson libcurl libmicrohttpd gnutls libssl libcrypto lua5.1 lua5.1-cjson lua5.1-bitop
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla -Werror
OPT     ?= -O2 -g
VCFLAGS := $(OPT) -std=c11 -D_GNU_SOURCE $(WARN) -MMD -MP -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(CFLAGS)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -llzf -lm
TESTLIBS := $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)
HIREDIS  := $(shell pkg-config --libs hiredis 2>/dev/null || echo -lhiredis)

Q := $(if $(V),,@)
obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

COMMON_SRC   := $(wildcard common/*.c)
# Each program's library is every .c under its folder and sub-folders except its main.c.
STORE_SRC    := $(filter-out store/main.c,$(wildcard store/*.c store/*/*.c))
SENTINEL_SRC := $(filter-out sentinel/main.c,$(wildcard sentinel/*.c sentinel/core/*.c sentinel/http/*.c))
CTL_SRC      := $(filter-out sentinel/ctl/main.c,$(wildcard sentinel/ctl/*.c))

LIBCOMMON   := $(BUILD)/libcommon.a
LIBSTORE    := $(BUILD)/libstore.a
LIBSENTINEL := $(BUILD)/libsentinel.a
LIBCTL      := $(BUILD)/libctl.a

BINS := $(if $(wildcard store/main.c),$(BIN)/vigil-store) \
        $(if $(wildcard sentinel/main.c),$(BIN)/vigil-sentinel) \
        $(if $(wildcard sentinel/ctl/main.c),$(BIN)/vigilctl)

UNIT_COMMON   := $(wildcard tests/unit/common/*.c)
UNIT_STORE    := $(wildcard tests/unit/store/*.c)
UNIT_SENTINEL := $(wildcard tests/unit/sentinel/*.c)
UNIT_BOTH     := $(wildcard tests/unit/both/*.c)
SIM_SRC       := $(wildcard tests/sim/*.c)
UNIT_BINS := $(if $(UNIT_COMMON),$(BIN)/test-common) $(if $(UNIT_STORE),$(BIN)/test-store) \
             $(if $(UNIT_SENTINEL),$(BIN)/test-sentinel) $(if $(UNIT_BOTH),$(BIN)/test-both)
SIM_BIN   := $(if $(SIM_SRC),$(BIN)/sim-sentinel)
BENCH_SRC := $(wildcard scripts/bench/*.c)
BENCH_BINS := $(patsubst scripts/bench/%.c,$(BIN)/bench-%,$(BENCH_SRC))

.PHONY: all deps test unit integration compat sim asan fmt fmt-check clean demo bench bench-plot \
        install fuzz fuzz-corpus fuzz-bins persist-crash partition partition-soak
all: $(LIBCOMMON) $(BINS)

deps:
	@scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  CC    $<')
	$(Q)$(CC) $(VCFLAGS) -c $< -o $@

$(LIBCOMMON): $(call obj,$(COMMON_SRC))
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^
$(LIBSTORE): $(call obj,$(STORE_SRC))
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^
$(LIBSENTINEL): $(call obj,$(SENTINEL_SRC))
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^
$(LIBCTL): $(call obj,$(CTL_SRC))
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN)/vigil-store: $(call obj,store/main.c) $(LIBSTORE) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  LINK  $@')
	$(Q)$(CC) $(VCFLAGS) -o $@ $^ $(LDLIBS)
$(BIN)/vigil-sentinel: $(call obj,sentinel/main.c) $(LIBSENTINEL) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  LINK  $@')
	$(Q)$(CC) $(VCFLAGS) -o $@ $^ $(LDLIBS)
$(BIN)/vigilctl: $(call obj,sentinel/ctl/main.c) $(LIBCTL) $(LIBSENTINEL) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  LINK  $@')
	$(Q)$(CC) $(VCFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/test-common: $(call obj,$(UNIT_COMMON)) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  LINK  $@')
	$(Q)$(CC) $(VCFLAGS) -o $@ $^ $(TESTLIBS) $(LDLIBS)
$(BIN)/test-store: $(call obj,$(UNIT_STORE)) $(LIBSTORE) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  LINK  $@')
	$(Q)$(CC) $(VCFLAGS) -o $@ $^ $(TESTLIBS) $(LDLIBS)
$(BIN)/test-sentinel: $(call obj,$(UNIT_SENTINEL)) $(LIBCTL) $(LIBSENTINEL) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  LINK  $@')
	$(Q)$(CC) $(VCFLAGS) -o $@ $^ $(TESTLIBS) $(LDLIBS)
# Both programs' libraries in one binary: a global name defined in both fails this link.
$(BIN)/test-both: $(call obj,$(UNIT_BOTH)) $(LIBSTORE) $(LIBSENTINEL) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  LINK  $@')
	$(Q)$(CC) $(VCFLAGS) -o $@ $^ $(TESTLIBS) $(LDLIBS)
# The simulated stores keep master leases with the store's own pure module (store/lease.c).
$(BIN)/sim-sentinel: $(call obj,$(SIM_SRC)) $(call obj,store/lease.c) $(LIBSENTINEL) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  LINK  $@')
	$(Q)$(CC) $(VCFLAGS) -o $@ $^ $(LDLIBS)
$(BIN)/bench-%: $(call obj,scripts/bench/%.c) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  LINK  $@')
	$(Q)$(CC) $(VCFLAGS) -o $@ $^ $(HIREDIS) $(LDLIBS)

# --- fuzzing: libFuzzer harnesses (tests/fuzz/*.c) over the real libraries, all built with clang,
# ASan, UBSan and fuzzer-no-link in their own tree (build/fuzz, bin/fuzz). A harness of sentinel
# code is named in FUZZ_SENTINEL and links libsentinel.a; the others link libstore.a.
FUZZ_NAMES    := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/*.c))
FUZZ_SENTINEL := config_sentinel state_file history
FUZZ_OPT      := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined,fuzzer-no-link \
                 -fno-sanitize-recover=undefined
FUZZ_MAKE      = $(MAKE) --no-print-directory CC=clang BUILD=build/fuzz BIN=bin/fuzz OPT="$(FUZZ_OPT)"
FUZZ_SECONDS  ?= 60
fuzz_bin = $(patsubst %,$(BIN)/fuzz-%,$(1))

fuzz-bins: $(call fuzz_bin,$(FUZZ_NAMES))

$(call fuzz_bin,$(filter-out $(FUZZ_SENTINEL),$(FUZZ_NAMES))): $(BIN)/fuzz-%: \
        $(BUILD)/tests/fuzz/%.o $(LIBSTORE) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  LINK  $@')
	$(Q)$(CC) $(VCFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)
$(call fuzz_bin,$(filter $(FUZZ_SENTINEL),$(FUZZ_NAMES))): $(BIN)/fuzz-%: \
        $(BUILD)/tests/fuzz/%.o $(LIBSENTINEL) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  LINK  $@')
	$(Q)$(CC) $(VCFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# Every harness over its committed corpus, each input once (part of `make test`).
fuzz-corpus:
	@$(FUZZ_MAKE) fuzz-bins
	@scripts/fuzz.sh corpus $(FUZZ_NAMES)

# Every harness for FUZZ_SECONDS, one after the other on one core (FUZZ_RUNS=N: N inputs instead).
fuzz:
	@$(FUZZ_MAKE) fuzz-bins
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh run $(FUZZ_NAMES)

# --- tests -------------------------------------------------------------------------------------
unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t --jobs 2; done

sim: $(SIM_BIN)
	@if [ -n "$(SIM_BIN)" ]; then $(SIM_BIN) $${SEED:+--seed $$SEED} $${SEEDS:+--seeds $$SEEDS}; fi
	@if [ -n "$(SIM_BIN)" ] && [ -z "$${SEED:-}" ]; then \
	  set -e; for s in $$(grep -o '^[0-9]\+' tests/sim/regression-seeds.txt); do \
	    $(SIM_BIN) --seed $$s >/dev/null 2>&1 || { echo "regression seed $$s FAILED" \
	      "(replay: SEED=$$s make sim)"; exit 1; }; echo "regression seed $$s passed"; done; fi

integration: all
	@scripts/run-pytests.sh tests/integration

# The persistence crash and fault tests (tests/integration/test_persist_*.py) with more kill
# points and torn-tail cuts (VIGIL_PERSIST_LONG=1), printing what each round lost;
# VIGIL_PERSIST_SEED=n replays a seed, VIGIL_TARGET=redis runs them against redis-server.
# `make integration` runs the short variant; this one is not part of `make test`.
persist-crash: all
	@VIGIL_PERSIST_LONG=1 PYTEST_ARGS="-s -k test_persist_ $${PYTEST_ARGS:-}" \
	  scripts/run-pytests.sh tests/integration

compat: deps all
	@scripts/run-pytests.sh tests/compat

# Jepsen-style partition runs in network namespaces (tests/partition/run.py, docs/partition.md):
# as root, >= 100 random schedules on Vigil and 20 on Redis 7.0 + Sentinel, 2 at a time; table
# and plot in build/partition/. PARTITION_ARGS (split as a shell would, by run.py) passes options:
# '--seed 17 --system vigil' replays a schedule; '--expect-fencing --store-config "master-lease
# yes"'; '--cleanup'. Not part of `make test`, which runs three fixed schedules
# (tests/integration/test_partition_short.py).
partition: all
	@PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 tests/partition/run.py

# The same cluster with writers and no faults for 10 minutes per system: spurious refusals and
# failovers (the exit status is 1 if there was any).
partition-soak: all
	@PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 tests/partition/run.py --soak $${SOAK_S:-600}

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BINS) $(SIM_BIN) $(BENCH_BINS)
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory fuzz-corpus
	@$(MAKE) --no-print-directory sim SEEDS=$${SEEDS:-300}
	@$(MAKE) --no-print-directory integration
	@$(MAKE) --no-print-directory compat

# Sanitizers: the binaries, unit tests and simulation built with ASan + UBSan (gcc's
# -fsanitize=undefined leaves out float-cast-overflow, so it is named), in a tree per compiler
# (`make asan`, `make asan CC=clang`); then the unit tests, the simulation and the integration
# tests run against those binaries (VIGIL_BIN_DIR). Every process writes its sanitizer reports
# under build/asan-*/reports, so a finding in a server that a test did not look at still fails
# the run. Not part of `make test`: it takes a while.
ASAN_NAME := asan-$(notdir $(firstword $(CC)))
ASAN_OPT  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined,float-cast-overflow \
             -fno-sanitize-recover=all
ASAN_VARS := BUILD=build/$(ASAN_NAME) BIN=bin/$(ASAN_NAME) OPT="$(ASAN_OPT)"
ASAN_LOGS := $(CURDIR)/build/$(ASAN_NAME)/reports
ASAN_ENV  := ASAN_OPTIONS=detect_leaks=1:log_path=$(ASAN_LOGS)/asan \
             UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$(ASAN_LOGS)/ubsan
asan:
	@$(MAKE) --no-print-directory $(ASAN_VARS) all $(subst $(BIN)/,bin/$(ASAN_NAME)/,$(UNIT_BINS) $(SIM_BIN))
	@rm -rf $(ASAN_LOGS) && mkdir -p $(ASAN_LOGS)
	@$(ASAN_ENV) $(MAKE) --no-print-directory $(ASAN_VARS) unit
	@$(ASAN_ENV) $(MAKE) --no-print-directory $(ASAN_VARS) sim SEEDS=$${SEEDS:-100}
	@$(ASAN_ENV) VIGIL_BIN_DIR=$(CURDIR)/bin/$(ASAN_NAME) scripts/run-pytests.sh tests/integration
	@if [ -n "$$(ls -A $(ASAN_LOGS))" ]; then head -n 40 $(ASAN_LOGS)/*; \
	  echo "asan: sanitizer reports in $(ASAN_LOGS)"; exit 1; fi
	@echo "asan: no sanitizer reports ($(ASAN_NAME))"

# The demo needs the build packages only (no node/npm: those serve the client compat tests).
demo:
	@scripts/deps.sh --build
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

bench: deps all $(BENCH_BINS)
	@scripts/bench/run-all.sh

bench-plot:
	@scripts/bench/plot.sh

# --- install: `make install [PREFIX=/usr/local] [DESTDIR=...]` (scripts/install.sh says what) ---
PREFIX       ?= /usr/local
BINDIR       ?= $(PREFIX)/bin
SYSCONFDIR   ?= /etc
UNITDIR      ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR  ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR  ?= $(PREFIX)/lib/tmpfiles.d
LOGROTATEDIR ?= $(SYSCONFDIR)/logrotate.d
install: all
	@DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" BINDIR="$(BINDIR)" SYSCONFDIR="$(SYSCONFDIR)" \
	  UNITDIR="$(UNITDIR)" SYSUSERSDIR="$(SYSUSERSDIR)" TMPFILESDIR="$(TMPFILESDIR)" \
	  LOGROTATEDIR="$(LOGROTATEDIR)" BIN="$(BIN)" scripts/install.sh

FMT_FILES = $(wildcard common/*.[ch] store/*.[ch] store/*/*.[ch] sentinel/*.[ch] sentinel/*/*.[ch] tests/unit/*/*.[ch] tests/sim/*.[ch] tests/fuzz/*.c scripts/bench/*.c)
# Diagrams in comments are checked first (scripts/check-diagrams.py): `make fmt` refuses to run
# rather than change one, and `make fmt-check` fails naming the diagram. `make fmt` lists only the
# files it changed.
fmt:
	@scripts/check-diagrams.py $(FMT_FILES)
	@before=$$(md5sum $(FMT_FILES)) && clang-format -i $(FMT_FILES) && \
	  changed=$$(echo "$$before" | md5sum --quiet -c 2>/dev/null | sed -n 's/: FAILED$$//p') && \
	  for f in $$changed; do echo "  formatted $$f"; done && \
	  echo "fmt: $(words $(FMT_FILES)) files checked, $$(echo $$changed | wc -w) changed"
fmt-check:
	@scripts/check-diagrams.py $(FMT_FILES)
	@clang-format --dry-run --Werror $(FMT_FILES)
	@echo "fmt-check: $(words $(FMT_FILES)) files formatted, diagrams intact"

clean:
	rm -rf build bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

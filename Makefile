# wsspec - one plain GNU Makefile.
#
#   make            build/wsspec (the one binary: run, echo, list, lint, report, ...)
#   make test       unit tests (plain and ASan+UBSan), integration tests (tests/run:
#                   endpoint probes, the catalogue, reports, TLS, interop, fuzz smoke);
#                   with CI=true a skipped test fails the run
#   make run        build, start `wsspec echo` on loopback, run the suite against it,
#                   reports in reports/out/
#   make interop    the suite against real third-party servers (python3-websockets,
#                   tornado, aiohttp, libwebsockets), and permessage-deflate's sections
#                   12, 13 and 18 whole against python3-websockets, npm's ws and
#                   websocket (`make test` runs a subset of 12 and 13)
#   make bench      the figures of README.md (not pass/fail): bench_* binaries,
#                   tests/bench-echo, tests/bench-run, tests/bench-fuzz (time to find
#                   each planted bug, black-box and coverage-guided; a WebSocket++
#                   server's edges over time), fuzz throughput and coverage
#   make afl-targets  servers built with afl-clang-fast for `wsspec fuzz --coverage`
#   make deps       install missing Debian packages (as root) or print the apt-get line
#   make man        the man pages, generated from the option tables: build/man/
#   make install    build/wsspec to $(DESTDIR)$(PREFIX)/bin, the catalogue to
#                   $(DESTDIR)$(PREFIX)/share/wsspec/cases (PREFIX=/usr/local), man pages,
#                   bash and zsh completions, docs; make uninstall removes them
#   make deb        the Debian package, built in build/deb/: build/deb/wsspec_*.deb
#
# Honours CC, CFLAGS, CPPFLAGS, LDFLAGS. Our own flags (language level, warnings as errors) are
# always added: a build that warns is a build that fails.

CC      ?= cc
CFLAGS  ?= -O2 -g
LDFLAGS ?=
B       := build
NPROC   := $(shell nproc 2>/dev/null || echo 2)

WS_CFLAGS := -std=c11 -Wall -Wextra -Werror -Wshadow -Wvla -D_POSIX_C_SOURCE=200809L \
             -Ireference -Iharness -MMD -MP
LIBS      := -lssl -lcrypto -lz -ljansson
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

CORE_SRC    := $(sort $(wildcard reference/ws_*.c))
ECHO_SRC    := $(sort $(wildcard reference/echo/*.c))
HARNESS_SRC := $(sort $(wildcard harness/*.c))
TH_SRC      := reference/tests/th.c
# the script's simulated target, shared by the harness tests that drive a script
HTH_SRC     := harness/tests/script_sim.c
UNIT_SRC    := $(sort $(wildcard reference/tests/test_*.c))
# the harness without main(), for its unit tests; transport.c shares echo's OpenSSL chores
HLIB_SRC    := $(filter-out harness/main.c,$(HARNESS_SRC)) reference/echo/tls_util.c \
               reference/echo/cli_doc.c
HTEST_SRC   := $(sort $(wildcard harness/tests/test_*.c))
BENCH_SRC   := $(sort $(wildcard tests/bench_*.c))

# Object trees: $(B)/obj for the plain build, $(B)/san for the sanitized one.
objs = $(patsubst %.c,$(1)/%.o,$(2))

CORE_OBJ     := $(call objs,$(B)/obj,$(CORE_SRC))
CORE_SAN_OBJ := $(call objs,$(B)/san,$(CORE_SRC))
APP_OBJ      := $(call objs,$(B)/obj,$(ECHO_SRC) $(HARNESS_SRC))
APP_SAN_OBJ  := $(call objs,$(B)/san,$(ECHO_SRC) $(HARNESS_SRC))
HLIB_OBJ     := $(call objs,$(B)/obj,$(HLIB_SRC))
HLIB_SAN_OBJ := $(call objs,$(B)/san,$(HLIB_SRC))
UNIT_BIN     := $(patsubst reference/tests/%.c,$(B)/tests/%,$(UNIT_SRC)) \
                $(patsubst harness/tests/%.c,$(B)/tests/%,$(HTEST_SRC))
UNIT_SAN_BIN := $(patsubst reference/tests/%.c,$(B)/san-tests/%,$(UNIT_SRC)) \
                $(patsubst harness/tests/%.c,$(B)/san-tests/%,$(HTEST_SRC))
BENCH_BIN    := $(patsubst tests/%.c,$(B)/%,$(BENCH_SRC))

.PHONY: all deps test unit unit-san itest run interop bench clean format install uninstall \
        man deb FORCE
all: $(B)/wsspec

# Where the binary finds the built-in catalogue when it is neither installed
# (<bindir>/../share/wsspec/cases) nor in the build tree (<bindir>/../cases): compiled
# in, absolute, so a copied binary still finds it and the working directory never
# matters (harness/case_lint.c). Packagers set CASES_DIR=/usr/share/wsspec/cases. The
# header changes only when the path does, so case_lint.o is rebuilt exactly then.
CASES_DIR ?= $(CURDIR)/cases
$(B)/gen/cases_dir.h: FORCE
	@mkdir -p $(dir $@)
	@printf '#define WSSPEC_CASES_DIR "%s"\n' '$(subst ','\'',$(CASES_DIR))' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(B)/obj/harness/case_lint.o $(B)/san/harness/case_lint.o: $(B)/gen/cases_dir.h
$(B)/obj/harness/case_lint.o $(B)/san/harness/case_lint.o: WS_CFLAGS += -include $(B)/gen/cases_dir.h

# ------------------------------------------------------------ man pages, install, .deb
#
# Man pages are generated at build time by the binary itself (`wsspec man`, harness/
# main.c) from the tables that print --help: wsspec(1) from main.c's subcommand table,
# wsspec-CMD(1) from each subcommand's option table (run_opts.def, echo_opts.def, ...),
# wsspec-cases(5) from case_vocab.def. `wsspec man --list` names them, so a new
# subcommand with a doc gets its page without a change here. Never committed.
# The date on them: SOURCE_DATE_EPOCH (dpkg sets it), else the last commit's, else today.
MAN_DATE ?= $(shell date -u -d "@$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || date +%s)}" +%Y-%m-%d)
$(B)/man/.stamp: $(B)/wsspec
	@rm -rf $(B)/man && mkdir -p $(B)/man
	@set -e; for p in $$($(B)/wsspec man --list); do n=$${p%.*}; \
	    $(B)/wsspec man --date '$(MAN_DATE)' $${n#wsspec-} >$(B)/man/$$p; done
	@touch $@
man: $(B)/man/.stamp

# make install [PREFIX=/usr/local] [DESTDIR=...]: the binary, the catalogue where the
# binary looks for it (<bindir>/../share/wsspec/cases, harness/case_lint.c: so bindir is
# always PREFIX/bin), the man pages, bash and zsh completions, the docs. make uninstall
# with the same PREFIX and DESTDIR removes exactly these files (and the folders that
# only held them). The HTML report's assets are compiled into the binary: none to install.
PREFIX      ?= /usr/local
BINDIR      := $(PREFIX)/bin
DATADIR     := $(PREFIX)/share
MANDIR      ?= $(DATADIR)/man
DOCDIR      ?= $(DATADIR)/doc/wsspec
CASESDIR    := $(DATADIR)/wsspec/cases
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR  ?= $(DATADIR)/zsh/site-functions
INST_CASES  := $(wildcard cases/*.wsc) cases/README.md
INST_DOCS   := README.md $(wildcard docs/*.md) reports/README.md
install: $(B)/wsspec $(B)/man/.stamp
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(CASESDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) \
	    $(DESTDIR)$(DOCDIR)/docs $(DESTDIR)$(DOCDIR)/reports
	install -m 755 $(B)/wsspec $(DESTDIR)$(BINDIR)/wsspec
	install -m 644 $(INST_CASES) $(DESTDIR)$(CASESDIR)/
	install -m 644 $(B)/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(B)/man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 completions/wsspec.bash $(DESTDIR)$(BASHCOMPDIR)/wsspec
	install -m 644 completions/_wsspec $(DESTDIR)$(ZSHCOMPDIR)/_wsspec
	install -m 644 README.md $(DESTDIR)$(DOCDIR)/
	install -m 644 $(wildcard docs/*.md) $(DESTDIR)$(DOCDIR)/docs/
	install -m 644 reports/README.md $(DESTDIR)$(DOCDIR)/reports/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/wsspec $(addprefix $(DESTDIR)$(CASESDIR)/,$(notdir $(INST_CASES)))
	rm -f $(DESTDIR)$(MANDIR)/man1/wsspec.1 $(DESTDIR)$(MANDIR)/man1/wsspec-*.1 \
	    $(DESTDIR)$(MANDIR)/man5/wsspec-cases.5
	rm -f $(DESTDIR)$(BASHCOMPDIR)/wsspec $(DESTDIR)$(ZSHCOMPDIR)/_wsspec
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,$(INST_DOCS))
	rmdir $(DESTDIR)$(CASESDIR) $(DESTDIR)$(DATADIR)/wsspec $(DESTDIR)$(DOCDIR)/docs \
	    $(DESTDIR)$(DOCDIR)/reports $(DESTDIR)$(DOCDIR) 2>/dev/null || true

# make deb: the Debian package (debian/), built by dpkg-buildpackage in a copy of the
# tree under build/deb/ so the source tree stays clean: build/deb/wsspec_*.deb.
DEB_DIR := $(B)/deb
deb:
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src
	tar -cf - --exclude=./build --exclude=./.git --exclude=./reports/out \
	    --exclude=./wsspec-report --exclude=./tests/interop/node_modules . | tar -xf - -C $(DEB_DIR)/src
	cd $(DEB_DIR)/src && dpkg-buildpackage -us -uc -b -j$(NPROC)
	@ls $(DEB_DIR)/wsspec_*.deb

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WS_CFLAGS) -c -o $@ $<

$(B)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(WS_CFLAGS) -c -o $@ $<

$(B)/libwscore.a: $(CORE_OBJ)
	$(AR) rcs $@ $^
$(B)/san/libwscore.a: $(CORE_SAN_OBJ)
	$(AR) rcs $@ $^
$(B)/libharness.a: $(HLIB_OBJ)
	$(AR) rcs $@ $^
$(B)/san/libharness.a: $(HLIB_SAN_OBJ)
	$(AR) rcs $@ $^

$(B)/wsspec: $(APP_OBJ) $(B)/libwscore.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(APP_OBJ) $(B)/libwscore.a $(LIBS)
$(B)/san/wsspec: $(APP_SAN_OBJ) $(B)/san/libwscore.a
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $(APP_SAN_OBJ) $(B)/san/libwscore.a $(LIBS)

# Unit tests: one cmocka binary per reference/tests/test_*.c, linked with the helpers.
$(B)/tests/%: $(B)/obj/reference/tests/%.o $(B)/obj/$(TH_SRC:.c=.o) $(B)/libwscore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka
$(B)/san-tests/%: $(B)/san/reference/tests/%.o $(B)/san/$(TH_SRC:.c=.o) $(B)/san/libwscore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka
# the echo loop's io_uring batches, tested on their own
$(B)/tests/test_echo_uring: $(B)/obj/reference/echo/echo_uring.o
$(B)/san-tests/test_echo_uring: $(B)/san/reference/echo/echo_uring.o
# Harness unit tests (harness/tests/test_*.c): the harness library, the core, the
# script's simulated target (harness/tests/script_sim.c, for the tests that drive a
# script; linked into each, which costs nothing), jansson to read back the JSON the
# harness writes.
$(B)/tests/%: $(B)/obj/harness/tests/%.o $(B)/obj/$(TH_SRC:.c=.o) $(B)/obj/$(HTH_SRC:.c=.o) \
              $(B)/libharness.a $(B)/libwscore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka -ljansson
$(B)/san-tests/%: $(B)/san/harness/tests/%.o $(B)/san/$(TH_SRC:.c=.o) $(B)/san/$(HTH_SRC:.c=.o) \
                  $(B)/san/libharness.a $(B)/san/libwscore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka -ljansson

$(B)/bench_%: $(B)/obj/tests/bench_%.o $(B)/libwscore.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# bench_deflate also needs the compression sections' payload files (harness/testdata.c)
# and compares with libdeflate when its header is there - optional, nothing else uses
# it. Whether it is there is a generated header, rewritten only when the answer changes,
# so installing libdeflate later rebuilds exactly the bench.
HAVE_LIBDEFLATE = $(shell printf '\043include <libdeflate.h>\n' | $(CC) -E -x c - >/dev/null 2>&1 && echo 1)
$(B)/gen/have_libdeflate.h: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' '$(if $(HAVE_LIBDEFLATE),#define WS_HAVE_LIBDEFLATE 1,/* no libdeflate */)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(B)/obj/tests/bench_deflate.o: $(B)/gen/have_libdeflate.h
$(B)/obj/tests/bench_deflate.o: WS_CFLAGS += -include $(B)/gen/have_libdeflate.h
$(B)/bench_deflate: $(B)/obj/tests/bench_deflate.o $(B)/obj/harness/testdata.o $(B)/libwscore.a \
                    $(B)/gen/have_libdeflate.h
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LIBS) \
	    $(if $(HAVE_LIBDEFLATE),-ldeflate)

# The HTML report's CSS and JS (reports/html/) become byte arrays in a generated header:
# the page stays one self-contained file, the assets stay editable as CSS and JS.
HTML_ASSETS := reports/html/report.css reports/html/report.js
$(B)/gen/report_assets.h: $(HTML_ASSETS)
	@mkdir -p $(dir $@)
	@{ for f in $^; do echo "static const unsigned char $$(basename $$f | tr . _)[] = {"; \
	    od -An -v -tx1 $$f | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; echo "};"; done; } >$@.tmp
	@mv $@.tmp $@
$(B)/obj/harness/report_html.o $(B)/san/harness/report_html.o: $(B)/gen/report_assets.h
$(B)/obj/harness/report_html.o $(B)/san/harness/report_html.o: WS_CFLAGS += -I$(B)/gen

deps:
	@bash .ci/deps

unit: $(UNIT_BIN)
unit-san: $(UNIT_SAN_BIN)

# The whole test run; tests/run prints one summary line "N passed, N failed[, N skipped]".
test: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all $(B)/san/wsspec unit unit-san itest
	@bash tests/run

run: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@bash tests/run-echo $(RUN_ARGS)

interop: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@WSSPEC=$(CURDIR)/$(B)/wsspec bash tests/itest_interop_websockets.sh
	@WSSPEC=$(CURDIR)/$(B)/wsspec bash tests/itest_interop_mask.sh
	@WSSPEC=$(CURDIR)/$(B)/wsspec bash tests/itest_interop_deflate.sh --full

bench: all $(BENCH_BIN)
	@for b in $(BENCH_BIN); do $$b || exit 1; done
	@bash tests/bench-echo
	@bash tests/bench-run
	@bash tests/bench-compression
	@bash tests/bench-fuzz
	@if command -v $(FUZZ_CC) >/dev/null 2>&1; then \
	    $(MAKE) --no-print-directory fuzz-throughput fuzz-coverage; \
	else echo "bench: $(FUZZ_CC) not found: no fuzz throughput or coverage figures (make deps)"; fi

# Every C file of the project (tests/itest_format.sh checks the same list).
FORMAT_SRC = $(shell git ls-files '*.c' '*.h' 2>/dev/null || find reference harness tests fuzzers -name '*.[ch]')
format:
	clang-format -i $(FORMAT_SRC)

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# Integration-test helpers: tests/itest_*.c -> build/itest_* (plain build, linked with the core).
ITEST_SRC := $(sort $(wildcard tests/itest_*.c))
ITEST_BIN := $(patsubst tests/%.c,$(B)/%,$(ITEST_SRC))
$(B)/itest_%: $(B)/obj/tests/itest_%.o $(B)/libwscore.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)
itest: $(ITEST_BIN)

# The test-only echo with planted bugs of tests/itest_fuzz.sh (tests/fuzz_planted.c): the
# echo endpoint's objects and the core as `wsspec echo` has them, and the file that sees
# every client byte first (--wrap=ws_conn_recv). Its planted signed overflow needs UBSan.
PLANTED_WRAP := -Wl,--wrap=ws_conn_recv,--wrap=ws_conn_free
$(B)/obj/tests/fuzz_planted.o: CFLAGS += -fsanitize=undefined
$(B)/fuzz_planted: $(B)/obj/tests/fuzz_planted.o $(call objs,$(B)/obj,$(ECHO_SRC)) $(B)/libwscore.a
	$(CC) $(CFLAGS) -fsanitize=undefined $(LDFLAGS) $(PLANTED_WRAP) -o $@ $^ $(LIBS)
itest: $(B)/fuzz_planted
bench: $(B)/fuzz_planted

# Coverage-guided `wsspec fuzz` (--coverage, harness/fuzz_cov.h): servers built with AFL++'s
# afl-clang-fast(++), every object instrumented, run as the servers they are (no fork
# server). `make afl-targets` (tests/itest_fuzz_coverage.sh and tests/bench-fuzz build
# them when AFL++ is there):
#   build/afl/fuzz_planted  tests/fuzz_planted.c with the echo endpoint and the core
#                           (WSSPEC_PLANT unset: the reference endpoint of `wsspec echo`)
#   build/afl/wspp_echo     a WebSocket++ echo server (tests/interop/wspp_echo.cpp,
#                           libwebsocketpp-dev, header-only: all of it instrumented)
AFL_CXX ?= afl-clang-fast++
$(B)/afl-obj/%.o: %.c
	@mkdir -p $(dir $@)
	AFL_QUIET=1 $(AFL_CC) $(CFLAGS) $(WS_CFLAGS) -c -o $@ $<
$(B)/afl-obj/tests/fuzz_planted.o: CFLAGS += -fsanitize=undefined
$(B)/afl/fuzz_planted: $(call objs,$(B)/afl-obj,tests/fuzz_planted.c $(ECHO_SRC) $(CORE_SRC))
	@mkdir -p $(dir $@)
	AFL_QUIET=1 $(AFL_CC) $(CFLAGS) -fsanitize=undefined $(LDFLAGS) $(PLANTED_WRAP) -o $@ $^ $(LIBS)
$(B)/afl/wspp_echo: tests/interop/wspp_echo.cpp
	@mkdir -p $(dir $@)
	AFL_QUIET=1 $(AFL_CXX) $(CXXFLAGS) -O2 -g -std=c++17 -Wall -Wextra $(LDFLAGS) -o $@ $< -lpthread
.PHONY: afl-targets
afl-targets: $(B)/afl/fuzz_planted $(B)/afl/wspp_echo

# LD_PRELOAD shims of the integration tests (tests/shim_*.c -> build/shim_*.so): system
# calls failed on purpose, to show what wsspec does when its own machine is the trouble.
SHIM_SRC := $(sort $(wildcard tests/shim_*.c))
SHIM_LIB := $(patsubst tests/%.c,$(B)/%.so,$(SHIM_SRC))
$(B)/shim_%.so: tests/shim_%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=c11 -Wall -Wextra -Werror -fPIC -shared -o $@ $< -ldl
itest: $(SHIM_LIB)

# Load generator of `make bench`: tests/bench-echo starts the server and runs it against
# it. It needs a running server, so it is not one of the self-contained bench_* binaries.
$(B)/echo_load: $(B)/obj/tests/echo_load.o $(B)/libwscore.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)
bench: $(B)/echo_load
# ... and tests/itest_echo_memory.sh holds 2,000 idle connections with it
itest: $(B)/echo_load
# tests/bench-echo also measures idle wss:// connections with the TLS probe
bench: $(B)/itest_tls_probe

# ------------------------------------------------------------ fuzzing (fuzzers/README.md)
#
#   make fuzz          libFuzzer builds, clang + ASan + UBSan: build/fuzz/<target>_fuzzer
#   make fuzz-afl      AFL++ builds (afl-clang-fast, persistent mode through AFL++'s
#                      LLVMFuzzerTestOneInput driver): build/fuzz-afl/<target>_fuzzer, and
#                      CmpLog builds for a -c secondary: build/fuzz-afl-cmplog/
#   make fuzz-replay   the targets with a plain main() and $(CC), sanitized, run over
#                      corpus/<target>/ by `make test`: build/fuzz-replay/<target>_fuzzer
#   make fuzz-smoke    every libFuzzer target for FUZZ_SECONDS (default 10) on its corpus
#   make corpus-seed   record the catalogue against `wsspec echo`, split into seeds
#   make corpus-merge  minimise corpus/<target>/ (libFuzzer -merge=1), sha1 file names
#   make fuzz-throughput  exec/s of the frame target against an empty target
#   make fuzz-coverage the corpus's line/branch coverage of the code under test
#                      (clang source-based coverage, llvm-cov; fuzzers/coverage.sh)
#   make fuzz-nightly  every target (or FUZZ_TARGETS) for NIGHTLY_SECONDS (default 3600)
#                      each, libFuzzer and AFL++ side by side on all cores (or
#                      ENGINES=libfuzzer|afl alone); fuzzers/nightly.sh, results in
#                      build/nightly/, exit 1 on any crash, leak or hang, 2 when an
#                      engine could not run
#
# FUZZ_CC is the compiler of the libFuzzer build: clang, or $(CC) when CC was given.
# CFLAGS, LDFLAGS and LIB_FUZZING_ENGINE (how the engine is linked) are honoured;
# FUZZ_SAN (sanitizers) and FUZZ_INSTR (coverage) are what this Makefile adds, and
# fuzzers/oss-fuzz-build.sh empties both because OSS-Fuzz puts its own into CFLAGS.
FUZZ_SRC     := $(sort $(wildcard fuzzers/*_fuzzer.c))
FUZZ_NAMES   := $(patsubst fuzzers/%_fuzzer.c,%,$(FUZZ_SRC))
FUZZ_CC      ?= $(if $(filter default,$(origin CC)),clang,$(CC))
FUZZ_SAN     ?= -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_INSTR   ?= -fsanitize=fuzzer-no-link
LIB_FUZZING_ENGINE ?= -fsanitize=fuzzer
FUZZ_LIBS    ?= $(LIBS)
AFL_CC       ?= afl-clang-fast
FUZZ_SECONDS ?= 10
NIGHTLY_SECONDS ?= 3600
# What the targets link: the core and the harness modules that read untrusted text
# (case files, JSON configs and baselines, the request-targets of `wsspec serve`'s
# clients: serve_url.c) or bytes from the target (the tester's
# sans-IO script: script*.c, its send queue, its result recorders and the judge*.c), as
# one archive each target pulls from (with the generated files of `roundtrip data=`;
# cli_doc.c because case_lint.c prints its --help with it). Not the whole harness: the
# fuzz build should not depend on code it does not test, and has no sockets or TLS (transport.c, session.c,
# loop.c and tester.c stay out).
FUZZ_LIB_SRC := $(CORE_SRC) $(wildcard harness/case_*.c harness/script*.c harness/judge*.c \
                                       harness/payload.c harness/config.c harness/baseline.c \
                                       harness/errmsg.c harness/sendq.c harness/result.c \
                                       harness/datastore.c harness/testdata.c harness/zcache.c \
                                       harness/serve_url.c) reference/echo/cli_doc.c

FUZZ_BIN   := $(patsubst %,$(B)/fuzz/%_fuzzer,$(FUZZ_NAMES))
AFL_BIN    := $(patsubst %,$(B)/fuzz-afl/%_fuzzer,$(FUZZ_NAMES))
CMPLOG_BIN := $(patsubst %,$(B)/fuzz-afl-cmplog/%_fuzzer,$(FUZZ_NAMES))
REPLAY_BIN := $(patsubst %,$(B)/fuzz-replay/%_fuzzer,$(FUZZ_NAMES))
COV_BIN    := $(patsubst %,$(B)/fuzz-cov/%_fuzzer,$(FUZZ_NAMES))
COV_FLAGS  ?= -fprofile-instr-generate -fcoverage-mapping

.PHONY: fuzz fuzz-afl fuzz-replay fuzz-smoke fuzz-throughput fuzz-nightly fuzz-coverage \
        corpus-seed corpus-merge
# The targets' own objects are kept (make would delete them as intermediates on a
# first build): fuzzers/throughput.sh relinks frame_fuzzer.o against an empty target.
.SECONDARY: $(foreach d,fuzz-obj fuzz-afl-obj fuzz-afl-cmplog-obj fuzz-cov-obj san, \
                $(call objs,$(B)/$(d),$(FUZZ_SRC) fuzzers/replay_main.c))
fuzz: $(FUZZ_BIN)
fuzz-afl: $(AFL_BIN) $(CMPLOG_BIN)
fuzz-replay: $(REPLAY_BIN)
itest: fuzz-replay

$(B)/fuzz-obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS) $(FUZZ_SAN) $(FUZZ_INSTR) $(WS_CFLAGS) -c -o $@ $<
$(B)/fuzz-obj/libfuzzlib.a: $(call objs,$(B)/fuzz-obj,$(FUZZ_LIB_SRC))
	$(AR) rcs $@ $^
$(B)/fuzz/%_fuzzer: $(B)/fuzz-obj/fuzzers/%_fuzzer.o $(B)/fuzz-obj/libfuzzlib.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS) $(FUZZ_SAN) $(LDFLAGS) -o $@ $^ $(LIB_FUZZING_ENGINE) $(FUZZ_LIBS)

# AFL++: afl-clang-fast instruments every object; -fsanitize=fuzzer at the link makes it
# use its own driver (libAFLDriver: persistent mode, shared-memory test cases) in place
# of libFuzzer. AFL_USE_ASAN=1 / AFL_USE_UBSAN=1 in the environment add sanitizers.
# fuzzers/afl-denylist.txt keeps AFL++'s coverage off the targets' own files.
AFL_DENY := AFL_LLVM_DENYLIST=$(CURDIR)/fuzzers/afl-denylist.txt
$(B)/fuzz-afl-obj/%.o: %.c fuzzers/afl-denylist.txt
	@mkdir -p $(dir $@)
	$(AFL_DENY) $(AFL_CC) $(CFLAGS) $(WS_CFLAGS) -c -o $@ $<
$(B)/fuzz-afl-obj/libfuzzlib.a: $(call objs,$(B)/fuzz-afl-obj,$(FUZZ_LIB_SRC))
	$(AR) rcs $@ $^
$(B)/fuzz-afl/%_fuzzer: $(B)/fuzz-afl-obj/fuzzers/%_fuzzer.o $(B)/fuzz-afl-obj/libfuzzlib.a
	@mkdir -p $(dir $@)
	$(AFL_CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -fsanitize=fuzzer $(FUZZ_LIBS)
$(B)/fuzz-afl-cmplog-obj/%.o: %.c fuzzers/afl-denylist.txt
	@mkdir -p $(dir $@)
	AFL_LLVM_CMPLOG=1 $(AFL_DENY) $(AFL_CC) $(CFLAGS) $(WS_CFLAGS) -c -o $@ $<
$(B)/fuzz-afl-cmplog-obj/libfuzzlib.a: $(call objs,$(B)/fuzz-afl-cmplog-obj,$(FUZZ_LIB_SRC))
	$(AR) rcs $@ $^
$(B)/fuzz-afl-cmplog/%_fuzzer: $(B)/fuzz-afl-cmplog-obj/fuzzers/%_fuzzer.o $(B)/fuzz-afl-cmplog-obj/libfuzzlib.a
	@mkdir -p $(dir $@)
	AFL_LLVM_CMPLOG=1 $(AFL_CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -fsanitize=fuzzer $(FUZZ_LIBS)

# Coverage: the targets with the replay main and clang's source-based coverage.
$(B)/fuzz-cov-obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS) $(COV_FLAGS) $(WS_CFLAGS) -c -o $@ $<
$(B)/fuzz-cov-obj/libfuzzlib.a: $(call objs,$(B)/fuzz-cov-obj,$(FUZZ_LIB_SRC))
	$(AR) rcs $@ $^
$(B)/fuzz-cov/%_fuzzer: $(B)/fuzz-cov-obj/fuzzers/%_fuzzer.o $(B)/fuzz-cov-obj/fuzzers/replay_main.o \
                        $(B)/fuzz-cov-obj/libfuzzlib.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS) $(COV_FLAGS) $(LDFLAGS) -o $@ $^ $(FUZZ_LIBS)
fuzz-coverage: $(COV_BIN)
	@FUZZ_COV_BIN=$(B)/fuzz-cov bash fuzzers/coverage.sh $(FUZZ_NAMES)

# Replay: the same targets with fuzzers/replay_main.c, built like the sanitized tests.
$(B)/fuzz-replay/%_fuzzer: $(B)/san/fuzzers/%_fuzzer.o $(B)/san/fuzzers/replay_main.o \
                           $(B)/san/libharness.a $(B)/san/libwscore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(FUZZ_LIBS)

fuzz-smoke: fuzz
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash fuzzers/smoke.sh $(FUZZ_NAMES)
corpus-seed: all
	@bash fuzzers/corpus-seed.sh
corpus-merge: fuzz
	@bash fuzzers/corpus-merge.sh $(FUZZ_NAMES)
fuzz-nightly: fuzz
	@if command -v $(AFL_CC) >/dev/null; then $(MAKE) --no-print-directory fuzz-afl; fi
	@FUZZ_BIN=$(B)/fuzz FUZZ_AFL_BIN=$(B)/fuzz-afl FUZZ_CMPLOG_BIN=$(B)/fuzz-afl-cmplog \
	    OUT=$(B)/nightly FUZZ_SECONDS=$(NIGHTLY_SECONDS) bash fuzzers/nightly.sh $(FUZZ_TARGETS)
fuzz-throughput: fuzz
	@FUZZ_CC=$(FUZZ_CC) FUZZ_BIN=$(B)/fuzz FUZZ_OBJ=$(B)/fuzz-obj FUZZ_LIBS="$(FUZZ_LIBS)" bash fuzzers/throughput.sh frame

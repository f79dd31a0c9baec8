# wsspec - one plain GNU Makefile.
#
#   make            build/wsspec (the one binary: run, echo, list, lint, report, ...)
#   make test       unit tests (plain and ASan+UBSan), endpoint probes, interop
#   make run        build, start `wsspec echo` on loopback, run the suite against it,
#                   reports in reports/out/
#   make interop    the suite against real third-party servers (python3-websockets)
#   make bench      benchmarks (figures, not pass/fail)
#   make deps       install missing Debian packages (as root) or print the apt-get line
#
# Honours CC, CFLAGS, LDFLAGS. Our own flags (language level, warnings as errors) are
# always added: a build that warns is a build that fails.

CC      ?= cc
CFLAGS  ?= -O2 -g
LDFLAGS ?=
B       := build
NPROC   := $(shell nproc 2>/dev/null || echo 2)

WS_CFLAGS := -std=c11 -Wall -Wextra -Werror -Wshadow -Wvla -D_POSIX_C_SOURCE=200809L \
             -Ireference -Iharness -MMD -MP
LIBS      := -lssl -lcrypto -lz
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

CORE_SRC    := $(sort $(wildcard reference/ws_*.c))
ECHO_SRC    := $(sort $(wildcard reference/echo/*.c))
HARNESS_SRC := $(sort $(wildcard harness/*.c))
TH_SRC      := reference/tests/th.c
UNIT_SRC    := $(sort $(wildcard reference/tests/test_*.c))
HLIB_SRC    := $(filter-out harness/main.c,$(HARNESS_SRC))
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

.PHONY: all deps test unit unit-san itest run interop bench clean format
all: $(B)/wsspec

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WS_CFLAGS) -c -o $@ $<

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
# Harness unit tests (harness/tests/test_*.c): the harness library, the core, jansson
# to read back the JSON the harness writes.
$(B)/tests/%: $(B)/obj/harness/tests/%.o $(B)/obj/$(TH_SRC:.c=.o) $(B)/libharness.a $(B)/libwscore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka -ljansson
$(B)/san-tests/%: $(B)/san/harness/tests/%.o $(B)/san/$(TH_SRC:.c=.o) $(B)/san/libharness.a $(B)/san/libwscore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka -ljansson

$(B)/bench_%: $(B)/obj/tests/bench_%.o $(B)/libwscore.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

deps:
	@bash .ci/deps

unit: $(UNIT_BIN)
unit-san: $(UNIT_SAN_BIN)

# The whole test run; tests/run prints one summary line "N passed, N failed".
test: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all $(B)/san/wsspec unit unit-san itest
	@bash tests/run

run: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@bash tests/run-echo

interop: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@WSSPEC=$(CURDIR)/$(B)/wsspec bash tests/itest_interop_websockets.sh

bench: all $(BENCH_BIN)
	@for b in $(BENCH_BIN); do $$b || exit 1; done
	@bash tests/bench-echo
	@bash tests/bench-run

format:
	clang-format -i $(CORE_SRC) $(wildcard reference/*.h) $(ECHO_SRC) $(wildcard reference/echo/*.h) \
	    $(HARNESS_SRC) $(UNIT_SRC) $(TH_SRC) reference/tests/th.h $(BENCH_SRC)

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# Integration-test helpers: tests/itest_*.c -> build/itest_* (plain build, linked with the core).
ITEST_SRC := $(sort $(wildcard tests/itest_*.c))
ITEST_BIN := $(patsubst tests/%.c,$(B)/%,$(ITEST_SRC))
$(B)/itest_%: $(B)/obj/tests/itest_%.o $(B)/libwscore.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)
itest: $(ITEST_BIN)

# Load generator of `make bench`: tests/bench-echo starts the server and runs it against
# it. It needs a running server, so it is not one of the self-contained bench_* binaries.
$(B)/echo_load: $(B)/obj/tests/echo_load.o $(B)/libwscore.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)
bench: $(B)/echo_load

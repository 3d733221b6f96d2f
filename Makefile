# shiftbench: one executable, ./shiftbench, from arch/ analysis/ kernels/ bench/ common/.
PREFIX ?= /usr/local
# BUILD before the first rule naming $(BUILD)/...: a rule's target expands when read.
BUILD ?= build
DESTDIR ?=
CC ?= cc
ifeq ($(origin CC),default)
CC = gcc
endif

# Debian's multiarch triplet of the target (x86_64-linux-gnu, aarch64-linux-gnu, ...): where
# its libraries' pkg-config files are.
MULTIARCH := $(or $(shell $(CC) -print-multiarch 2>/dev/null),$(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null))
# OpenBLAS's OpenMP build: it shares libgomp's thread pool with oneDNN and our kernels,
# so one --threads knob drives all of them and no two pools fight over the cores.
OPENBLAS_PC := /usr/lib/$(MULTIARCH)/openblas-openmp/pkgconfig
# KERNELS_ONLY=1: our kernels, the oracle and common/ alone, with no third-party library
# (make test-aarch64 builds its cross tests so); the registry then lists ours only.
KERNELS_SRC := $(filter-out kernels/openblas.c kernels/onednn.c kernels/xnnpack.c kernels/runtime.c,$(wildcard common/*.c kernels/*.c))
ifndef KERNELS_ONLY
BLAS_CFLAGS := $(shell PKG_CONFIG_PATH=$(OPENBLAS_PC) pkg-config --cflags openblas 2>/dev/null)
BLAS_LIBS := $(shell PKG_CONFIG_PATH=$(OPENBLAS_PC) pkg-config --libs openblas 2>/dev/null)
BLAS_DIR := $(patsubst -L%,%,$(filter -L%,$(BLAS_LIBS)))
JANSSON_CFLAGS := $(shell pkg-config --cflags jansson 2>/dev/null)
JANSSON_LIBS := $(shell pkg-config --libs jansson 2>/dev/null)
LIB_LIBS := -ldnnl -lXNNPACK -lpthreadpool -lpfm
# XNNPACK has neither a version call nor a pkg-config file: the results context records
# the Debian package's version, read here.
XNNPACK_VERSION := $(shell dpkg-query -W -f='$${Version}' libxnnpack-dev 2>/dev/null)
$(BUILD)/kernels/runtime.o: CFLAGS += -DSHIFTBENCH_XNNPACK_VERSION='"$(or $(XNNPACK_VERSION),unknown)"'
endif

OPT ?= -O3
CFLAGS ?= $(OPT) -g
CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-format-truncation -fopenmp $(BLAS_CFLAGS) $(JANSSON_CFLAGS) \
          -MMD -MP
# The context block of every results file records the flags the code was built with.
SB_CFLAGS_STR := $(subst ',,$(subst ",,$(CFLAGS)))
$(BUILD)/bench/context.o: CFLAGS += -DSHIFTBENCH_CFLAGS='"$(SB_CFLAGS_STR)"'
LDLIBS += $(BLAS_LIBS) $(addprefix -Wl$(comma)-rpath$(comma),$(BLAS_DIR)) $(LIB_LIBS) $(JANSSON_LIBS) -lm
comma := ,

LIB_SRC := $(sort $(wildcard common/*.c arch/*.c analysis/*.c kernels/*.c bench/*.c plots/*.c))
LIB_SRC := $(filter-out bench/main.c,$(LIB_SRC))
ifdef KERNELS_ONLY
CFLAGS += -DSHIFTBENCH_KERNELS_ONLY
LIB_SRC := $(sort $(KERNELS_SRC))
endif
# Per-ISA kernel sources (kernels/*_<level>.c, the only ones with intrinsics) are built for
# their architecture only, each with its level's flags; the rest is baseline code.
TARGET_CPU := $(firstword $(subst -, ,$(shell $(CC) -dumpmachine)))
ISA_X86 := avx2 avx512
ISA_ARM := neon
ISA_HERE := $(if $(filter x86_64 i%86,$(TARGET_CPU)),$(ISA_X86),$(if $(filter aarch64,$(TARGET_CPU)),$(ISA_ARM)))
LIB_SRC := $(filter-out $(foreach l,$(filter-out $(ISA_HERE),$(ISA_X86) $(ISA_ARM)),%_$(l).c),$(LIB_SRC))
$(BUILD)/%_avx2.o: CFLAGS += -mavx2 -mfma
$(BUILD)/%_avx512.o: CFLAGS += -mavx512f -mfma
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

DEPS_PKGS := build-essential pkg-config python3 libopenblas-dev libopenblas-openmp-dev libdnnl-dev \
             libxnnpack-dev libpthreadpool-dev \
             libpfm4-dev libjansson-dev gnuplot-nox

.PHONY: all deps run test clean install
all: shiftbench

shiftbench: $(BUILD)/bench/main.o $(BUILD)/libshiftbench.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libshiftbench.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(BUILD)/libshiftbench.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libshiftbench.a $(LDLIBS)

# Installs the Debian packages that are missing (as root), or says the command to run.
deps:
	@sh tests/deps.sh $(DEPS_PKGS)

# Optional: Debian's PyTorch for tools/ (export_safetensors.py, torch_peer.py) and the PyTorch
# rows of `make run`; nothing else needs it. TORCH_PYTHON: the interpreter that has it.
TORCH_PKGS := python3-torch python3-torchvision
TORCH_PYTHON ?= /usr/bin/python3
.PHONY: deps-torch
deps-torch:
	@sh tests/deps.sh $(TORCH_PKGS)

test: deps
	@$(MAKE) --no-print-directory all $(TEST_BIN)
	@sh tests/run.sh $(TEST_BIN)

# The whole study: cost every named network, measure the peak, benchmark the comparison
# set with onednn and openblas, then charts + results/report.md (plots/run.sh).
# QUICK=1: about a minute; THREADS, IMPLS, NETS, MIN_TIME, TORCH_MODES: see plots/run.sh.
# With PyTorch in $(TORCH_PYTHON) (make deps-torch) it is timed as a peer too (TORCH_MODES=none: not).
run: deps
	@$(MAKE) --no-print-directory all
	@QUICK='$(QUICK)' THREADS='$(THREADS)' IMPLS='$(IMPLS)' NETS='$(NETS)' MIN_TIME='$(MIN_TIME)' \
	    TORCH_PYTHON='$(TORCH_PYTHON)' TORCH_MODES='$(TORCH_MODES)' sh plots/run.sh

# The performance goals P1-P5 (README "Performance"), side by side in one process:
# prints the table, writes results/ratios-*.json. BENCH_ARGS: e.g. --quick, --threads 1.
.PHONY: bench
bench: all
	./shiftbench ratios $(BENCH_ARGS)

# Redraws the charts and the report from the results already in results/.
.PHONY: plots
plots: deps
	@$(MAKE) --no-print-directory all
	./shiftbench plot

install: shiftbench
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/shiftbench/arch
	install -m 755 shiftbench $(DESTDIR)$(PREFIX)/bin/shiftbench
	install -m 644 arch/*.json $(DESTDIR)$(PREFIX)/share/shiftbench/arch/
	install -d $(DESTDIR)$(PREFIX)/share/shiftbench/plots
	install -m 644 plots/*.gp plots/accuracy.tsv $(DESTDIR)$(PREFIX)/share/shiftbench/plots/

clean:
	rm -rf $(BUILD) $(AARCH64_BUILD) shiftbench

# make test-aarch64: our kernels and their oracle test (tests/test_kernels.c; no
# third-party library) cross-built for aarch64 with Debian's gcc-aarch64-linux-gnu into
# $(AARCH64_BUILD)/ and run under qemu-user; ends with "N passed, N failed" like make test.
AARCH64_PKGS := gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
AARCH64_CC := aarch64-linux-gnu-gcc
AARCH64_BUILD := build-aarch64
AARCH64_RUN := qemu-aarch64 -L /usr/aarch64-linux-gnu
KERNELS_TESTS := test_kernels test_gemm_ukernel
.PHONY: test-aarch64
test-aarch64:
	@sh tests/deps.sh $(AARCH64_PKGS)
	@$(MAKE) --no-print-directory BUILD=$(AARCH64_BUILD) CC=$(AARCH64_CC) KERNELS_ONLY=1 \
	  $(KERNELS_TESTS:%=$(AARCH64_BUILD)/tests/%)
	@TEST_WRAP="$(AARCH64_RUN)" TEST_CLI=0 sh tests/run.sh $(KERNELS_TESTS:%=$(AARCH64_BUILD)/tests/%)

-include $(LIB_OBJ:.o=.d) $(BUILD)/bench/main.d

# ---- Robustness checks (README "Reliability"); CI runs all three after `make test`. ----

# The executable inside a build directory (check-asan's sanitized one).
$(BUILD)/shiftbench: $(BUILD)/bench/main.o $(BUILD)/libshiftbench.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# Packages CI needs beyond `make deps`: clang + libFuzzer for `make fuzz`, valgrind, the
# aarch64 cross compiler and qemu-user for `make test-aarch64`, and GNU parallel (and Slurm)
# that tests/cli_sweep*.sh run a sweep plan under.
CI_PKGS := clang libclang-rt-14-dev valgrind $(AARCH64_PKGS) parallel slurm-wlm
deps-ci:
	@sh tests/deps.sh $(DEPS_PKGS) $(CI_PKGS)

# make check-asan: every test (tests/run.sh: test binaries and tests/cli_*.sh) built with
# AddressSanitizer + UndefinedBehaviorSanitizer into $(ASAN_BUILD)/. gcc, not clang:
# clang's -fopenmp needs libomp, a second OpenMP runtime beside the libgomp that OpenBLAS
# and oneDNN use. A finding must fail the target even inside a test that expects a failure
# or reads shiftbench through a pipe: ASan and LSan reports go to files in $(ASAN_BUILD)/log/,
# UBSan's (gcc's runtime ignores its log_path) to stderr, which tests/asan_sb.sh copies to
# $(ASAN_BUILD)/log/sb-stderr; sanitizers exit with status 86. Any report fails the target.
# LSan suppressions (third-party libraries only): tests/lsan.supp.
ASAN_BUILD := build-asan
ASAN_OPT := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_LOG := $(CURDIR)/$(ASAN_BUILD)/log
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:exitcode=86:detect_stack_use_after_return=1:log_path=$(ASAN_LOG)/asan \
            LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86 \
            SB=$(CURDIR)/tests/asan_sb.sh SB_SANITIZED=$(CURDIR)/$(ASAN_BUILD)/shiftbench \
            SB_STDERR_LOG=$(ASAN_LOG)/sb-stderr SHIFTBENCH_ARCH=$(CURDIR)/arch
check-asan: deps
	@$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) CC=gcc OPT="$(ASAN_OPT)" \
	  $(ASAN_BUILD)/shiftbench $(TEST_SRC:tests/%.c=$(ASAN_BUILD)/tests/%)
	@rm -rf $(ASAN_LOG) && mkdir -p $(ASAN_LOG) && touch $(ASAN_LOG)/sb-stderr
	@$(ASAN_ENV) sh tests/run.sh $(TEST_SRC:tests/%.c=$(ASAN_BUILD)/tests/%); rc=$$?; \
	 for f in $(ASAN_LOG)/asan.*; do [ -e "$$f" ] || continue; echo "== sanitizer report $$f =="; head -n 60 "$$f"; rc=1; done; \
	 if grep -qE 'runtime error:|ERROR: (Address|Leak)Sanitizer' $(ASAN_LOG)/sb-stderr; then \
	   echo "== sanitizer reports on shiftbench's stderr =="; \
	   grep -E -A25 'runtime error:|ERROR: (Address|Leak)Sanitizer' $(ASAN_LOG)/sb-stderr | head -n 80; rc=1; fi; \
	 [ $$rc = 0 ] && echo "check-asan: no sanitizer reports" || { echo "check-asan: FAILED"; exit 1; }

# make fuzz [FUZZ_TIME=60]: builds every tests/fuzz/fuzz_NAME.c with clang and libFuzzer
# (+ ASan, UBSan; leaks are findings too), replays its seeds (tests/fuzz/corpus/NAME/) and
# past crashes (tests/fuzz/regress/NAME/), then fuzzes it for FUZZ_TIME seconds. New inputs
# go to $(FUZZ_BUILD)/corpus/NAME/, a crash to $(FUZZ_BUILD)/crash-NAME-*: copy it into
# tests/fuzz/regress/NAME/ (and into a test of the part it broke) once fixed.
# To add a target: write tests/fuzz/fuzz_NAME.c (LLVMFuzzerTestOneInput), seeds in
# tests/fuzz/corpus/NAME/, and FUZZ_SRC_NAME below: the library sources it needs, compiled
# with clang into $(FUZZ_BUILD)/obj/ and linked with --gc-sections (so a source whose unused
# functions call OpenBLAS or oneDNN links without them); FUZZ_LIBS_NAME adds libraries.
FUZZ_CC ?= clang
FUZZ_TIME ?= 60
FUZZ_BUILD := build-fuzz
FUZZ_SAN := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-bitwise-conditional-parentheses \
               -Wno-bitwise-instead-of-logical $(JANSSON_CFLAGS) \
               -ffunction-sections -fdata-sections -DFUZZ_ARCH_DIR='"$(CURDIR)/arch"'
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_SRC_arch := common/util.c common/text.c $(sort $(wildcard arch/*.c)) kernels/op.c analysis/cost.c \
                 analysis/receptive_field.c
FUZZ_SRC_desc := common/util.c common/text.c bench/desc.c kernels/op.c
FUZZ_SRC_results := common/util.c common/text.c bench/results.c bench/context.c analysis/cost.c kernels/op.c
FUZZ_SRC_safetensors := common/util.c common/text.c bench/safetensors.c
FUZZ_SRC_npy := common/util.c common/text.c bench/npy.c
FUZZ_SRC_sweep := common/util.c common/text.c bench/sweep_spec.c bench/exec.c
# Sources linked only for a symbol or two: no coverage instrumentation (its sections keep
# every function alive), so --gc-sections drops their unused functions.
FUZZ_NOCOV := bench/context.c bench/exec.c
FUZZ_ENV := ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_SAN) $(if $(filter $*.c,$(FUZZ_NOCOV)),,-fsanitize=fuzzer-no-link) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

define FUZZ_RULE
$(FUZZ_BUILD)/fuzz_$(1): tests/fuzz/fuzz_$(1).c $(FUZZ_SRC_$(1):%.c=$(FUZZ_BUILD)/obj/%.o)
	@$(if $(FUZZ_SRC_$(1)),:,echo "tests/fuzz/fuzz_$(1).c: list its sources in FUZZ_SRC_$(1) (Makefile)" >&2; exit 1)
	$$(FUZZ_CC) $$(FUZZ_SAN) -fsanitize=fuzzer $$(FUZZ_CFLAGS) -Wl,--gc-sections -o $$@ $$^ \
	  $$(FUZZ_LIBS_$(1)) $$(JANSSON_LIBS) -lm
endef
$(foreach t,$(FUZZ_NAMES),$(eval $(call FUZZ_RULE,$(t))))

fuzz-build: $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)

fuzz: fuzz-build
	@rc=0; for t in $(FUZZ_NAMES); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t; \
	  seeds=$$(echo $$(ls -d tests/fuzz/corpus/$$t tests/fuzz/regress/$$t 2>/dev/null)); \
	  echo "== fuzz_$$t: replaying $$seeds, then $(FUZZ_TIME) s"; \
	  if ! $(FUZZ_ENV) $(FUZZ_BUILD)/fuzz_$$t -runs=0 $$seeds >$(FUZZ_BUILD)/fuzz_$$t.log 2>&1 || \
	     ! $(FUZZ_ENV) $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
	         -artifact_prefix=$(FUZZ_BUILD)/crash-$$t- -print_final_stats=1 \
	         $(FUZZ_BUILD)/corpus/$$t $$seeds >>$(FUZZ_BUILD)/fuzz_$$t.log 2>&1; then \
	    echo "fuzz_$$t: FAILED (log: $(FUZZ_BUILD)/fuzz_$$t.log)"; grep -A40 -m1 -E '^==[0-9]+==|runtime error|SUMMARY' \
	      $(FUZZ_BUILD)/fuzz_$$t.log | head -n 60; rc=1; \
	  else grep -E '^stat::number_of_executed_units|^Done' $(FUZZ_BUILD)/fuzz_$$t.log | tail -n 2 | sed "s/^/fuzz_$$t: /"; fi; \
	done; exit $$rc

# make valgrind: memcheck on tiny `shiftbench net` runs, one per implementation (and one
# with the default counters, one with every block fused, one with best timing blocks); any
# error or leak fails. tests/valgrind.supp: library noise.
VALGRIND_NET := ./shiftbench net resnet50 --set widths=4,4,4,4 --set stem_width=8 --set classes=10 \
                --resolution 32 --min-reps 1 --min-time 0 --warmup 0 --no-peak
valgrind: all
	@mkdir -p $(BUILD)
	@for run in "--impl ref --events none" "--impl own --events none" "--impl openblas --events none" \
	            "--impl onednn --events none" "--impl xnnpack --events none" "--impl ref --threads 1" \
	            "--impl own --fuse block --events none --threads 2" "--impl best --events none --threads 1"; do \
	  echo "valgrind: shiftbench net ... $$run"; \
	  valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
	    --show-leak-kinds=definite,indirect,possible --suppressions=tests/valgrind.supp --num-callers=30 \
	    $(VALGRIND_NET) $$run -o $(BUILD)/valgrind.json >/dev/null || { echo "valgrind: FAILED ($$run)"; exit 1; }; \
	done; echo "valgrind: clean"

.PHONY: deps-ci check-asan fuzz fuzz-build valgrind
-include $(wildcard $(FUZZ_BUILD)/obj/*/*.d)

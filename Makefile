# shiftbench: one executable, ./shiftbench, from arch/ analysis/ kernels/ bench/ common/.
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
ifeq ($(origin CC),default)
CC = gcc
endif

# OpenBLAS's OpenMP build: it shares libgomp's thread pool with oneDNN and our kernels,
# so one --threads knob drives all of them and no two pools fight over the cores.
OPENBLAS_PC := /usr/lib/x86_64-linux-gnu/openblas-openmp/pkgconfig
BLAS_CFLAGS := $(shell PKG_CONFIG_PATH=$(OPENBLAS_PC) pkg-config --cflags openblas 2>/dev/null)
BLAS_LIBS := $(shell PKG_CONFIG_PATH=$(OPENBLAS_PC) pkg-config --libs openblas 2>/dev/null)
BLAS_DIR := $(patsubst -L%,%,$(filter -L%,$(BLAS_LIBS)))
JANSSON_CFLAGS := $(shell pkg-config --cflags jansson 2>/dev/null)
JANSSON_LIBS := $(shell pkg-config --libs jansson 2>/dev/null)

OPT ?= -O3
CFLAGS ?= $(OPT) -g
CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-format-truncation -fopenmp $(BLAS_CFLAGS) $(JANSSON_CFLAGS) \
          -DSHIFTBENCH_ARCH_DIR='"$(PREFIX)/share/shiftbench/arch"' -MMD -MP
LDLIBS += $(BLAS_LIBS) $(addprefix -Wl$(comma)-rpath$(comma),$(BLAS_DIR)) -ldnnl -lpfm $(JANSSON_LIBS) -lm
comma := ,

BUILD ?= build
LIB_SRC := $(sort $(wildcard common/*.c arch/*.c analysis/*.c kernels/*.c bench/*.c plots/*.c))
LIB_SRC := $(filter-out bench/main.c,$(LIB_SRC))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

DEPS_PKGS := build-essential pkg-config python3 libopenblas-dev libopenblas-openmp-dev libdnnl-dev \
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

test: deps
	@$(MAKE) --no-print-directory all $(TEST_BIN)
	@sh tests/run.sh $(TEST_BIN)

run: deps
	@$(MAKE) --no-print-directory all
	./shiftbench cost --stages resnet50 resnet101 resnet26 no-shift-50 single-shift-4c-50 \
	  single-shift-8c-50 multi-shift-4c-50 multi-shift-8c-50 flat-shift-4c-35 flat-shift-8c-35

install: shiftbench
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/shiftbench/arch/families
	install -m 755 shiftbench $(DESTDIR)$(PREFIX)/bin/shiftbench
	install -m 644 arch/*.json $(DESTDIR)$(PREFIX)/share/shiftbench/arch/
	install -m 644 arch/families/*.json $(DESTDIR)$(PREFIX)/share/shiftbench/arch/families/

clean:
	rm -rf $(BUILD) shiftbench

-include $(LIB_OBJ:.o=.d) $(BUILD)/bench/main.d

# C-GPU — one non-recursive Makefile.
#
#   make            build build/cgpu-kernel (CPU, plus CUDA when nvcc is found)
#   make demo       install deps, build, install the kernel for the user,
#                   execute the shipped notebooks headless (README's main job)
#   make test       install deps, build, run every test suite, print the total
#   make install [PREFIX=DIR]   binary to DIR/bin, kernelspec to DIR/share/jupyter/kernels/cgpu
#   make fuzz       random programs against CPython at a new seed (tests/diff/,
#                   LANG_DIFF_FUZZ_COUNT of them), then the libFuzzer harnesses
#                   (FUZZ_SECONDS each, default 60)
#   make bench      run the benchmarks in tests/bench/
#
# Switches: NO_CUDA=1 (CPU-only build), NO_PNG=1 (build without libpng), SANITIZE=1 (ASan+UBSan, CPU-only,
# objects under build-asan/), V=1 (show commands), FAILALLOC=1 (test
# allocator that can fail the Nth allocation; objects under build-failalloc/).

.DEFAULT_GOAL := all
SHELL := /bin/bash

CC      ?= gcc
ifeq ($(origin CC),default)
CC := gcc
endif
PYTHON  ?= /usr/bin/python3
PREFIX  ?=
CUDA_HOME ?= /usr/local/cuda

comma := ,
Q := @
ifeq ($(V),1)
Q :=
endif

# ---- feature detection: one line per feature ----------------------------------
ifeq ($(SANITIZE),1)
NO_CUDA := 1
BUILD   ?= build-asan
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else ifeq ($(FAILALLOC),1)
NO_CUDA := 1
BUILD   ?= build-failalloc
SAN_FLAGS := -DCGPU_FAILALLOC=1
else
BUILD   ?= build
SAN_FLAGS :=
endif

NVCC := $(shell command -v nvcc 2>/dev/null || { test -x $(CUDA_HOME)/bin/nvcc && echo $(CUDA_HOME)/bin/nvcc; })
ifeq ($(NO_CUDA),1)
NVCC :=
endif
HAVE_CUDA := $(if $(NVCC),1,)
NCCL_INC := $(firstword $(wildcard $(CUDA_HOME)/include/nccl.h /usr/include/nccl.h))
HAVE_NCCL := $(if $(and $(HAVE_CUDA),$(NCCL_INC)),1,)

# jansson may come from the system or from a copy in JANSSON_DIR (GPU nodes).
JANSSON_DIR ?=
ifneq ($(JANSSON_DIR),)
JANSSON_CFLAGS := -I$(JANSSON_DIR)/include
JANSSON_LIBS   := -L$(JANSSON_DIR)/lib -Wl,-rpath,$(abspath $(JANSSON_DIR)/lib) -ljansson
HAVE_JANSSON   := 1
else
HAVE_JANSSON   := $(shell test -f /usr/include/jansson.h && echo 1)
JANSSON_LIBS   := -ljansson
endif
HAVE_ZMQ     := $(shell test -f /usr/include/zmq.h && echo 1)
HAVE_OPENSSL := $(shell test -f /usr/include/openssl/hmac.h && echo 1)
HAVE_JUPYTER_PROTO := $(and $(HAVE_ZMQ),$(HAVE_JANSSON),$(HAVE_OPENSSL))
# Data sets (runtime/data/): zlib for gzip, libarchive for zip/tar, libcurl
# with OpenSSL's SHA-256 for downloads. Each is optional.
HAVE_ZLIB       := $(shell test -f /usr/include/zlib.h && echo 1)
HAVE_LIBARCHIVE := $(shell test -f /usr/include/archive.h && echo 1)
HAVE_LIBDEFLATE := $(shell test -f /usr/include/libdeflate.h && echo 1)
HAVE_CURL       := $(shell test -f /usr/include/$$($(CC) -dumpmachine 2>/dev/null)/curl/curl.h -o -f /usr/include/curl/curl.h && echo 1)
HAVE_DOWNLOAD   := $(and $(HAVE_CURL),$(HAVE_OPENSSL))
HAVE_PNG     := $(if $(filter 1,$(NO_PNG)),,$(shell test -f /usr/include/png.h && echo 1))

# `make demo` and `make test` install the Debian packages (deps) first and
# then build in a sub-make, which prints what it finds after the install.
ifeq ($(filter deps demo test,$(MAKECMDGOALS)),)
ifeq ($(origin CGPU_FEATURES_SHOWN),undefined)
export CGPU_FEATURES_SHOWN := 1
$(info [features] cuda:    $(if $(HAVE_CUDA),yes ($(NVCC)),no$(if $(filter 1,$(NO_CUDA)), (NO_CUDA=1),)))
$(info [features] nccl:    $(if $(HAVE_NCCL),yes ($(NCCL_INC)),no))
$(info [features] zeromq:  $(if $(HAVE_ZMQ),yes,no (kernel builds without the Jupyter protocol)))
$(info [features] jansson: $(if $(HAVE_JANSSON),yes,no (no notebook runner)))
$(info [features] openssl: $(if $(HAVE_OPENSSL),yes,no))
$(info [features] zlib:    $(if $(HAVE_ZLIB),yes,no (data sets: no gzipped files)))
$(info [features] libdeflate: $(if $(HAVE_LIBDEFLATE),yes,no (gzipped data sets read with zlib, half the speed)))
$(info [features] libarchive: $(if $(HAVE_LIBARCHIVE),yes,no (data sets: no mnist.npz, no cifar-10-binary.tar.gz)))
$(info [features] libcurl: $(if $(HAVE_DOWNLOAD),yes,no (data sets: no downloads)))
$(info [features] libpng:  $(if $(HAVE_PNG),yes,no (plt.imshow raises)$(if $(filter 1,$(NO_PNG)), (NO_PNG=1),)))
$(if $(SAN_FLAGS),$(info [features] build:   $(BUILD) $(SAN_FLAGS)))
endif
endif

# kernel/lang/: the interface (lang.h) and its folders: front/ (lexer, parser,
# resolver), core/ (values, evaluator, the helper layer builtins.h), lib/
# (the libraries and their table), display/ (numbers, arrays, HTML, plots).
LANG_DIRS     := kernel/lang kernel/lang/front kernel/lang/core kernel/lang/lib kernel/lang/display
LANG_INCLUDES := $(addprefix -I,$(LANG_DIRS))

# ---- flags ---------------------------------------------------------------------
OPT     ?= -O2
# Lua's warning set on top of -Wall -Wextra: the tree builds clean with it.
WARNINGS := -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wshadow -Wmissing-prototypes \
            -Wstrict-prototypes -Wwrite-strings -Wundef
CFLAGS  := -std=gnu11 $(OPT) -g $(WARNINGS) \
           -D_GNU_SOURCE -fPIC -MMD -MP -Iruntime/common -Iruntime -Iruntime/data -Ikernel $(LANG_INCLUDES) $(SAN_FLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(SAN_FLAGS)
LIBS    := -lm -lpthread -ldl
ifeq ($(HAVE_CUDA),1)
CFLAGS  += -DCGPU_HAVE_CUDA=1
# Ampere and Hopper machine code plus Hopper PTX; CUDA_ARCH_FLAGS=-arch=sm_90
# builds for the H100 alone (a third of the compile time).
CUDA_ARCH_FLAGS ?= -gencode=arch=compute_80,code=sm_80 -gencode=arch=compute_90,code=sm_90 \
                   -gencode=arch=compute_90,code=compute_90
NVCCFLAGS := -O3 -std=c++17 $(CUDA_ARCH_FLAGS) \
             -Xcompiler -fPIC,-fvisibility=hidden -Iruntime -I$(CUDA_HOME)/include -MMD -MP
CUDA_LIBS := -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcudart -lcublas -lstdc++
ifeq ($(HAVE_NCCL),1)
CFLAGS    += -DCGPU_HAVE_NCCL=1
NVCCFLAGS += -DCGPU_HAVE_NCCL=1
CUDA_LIBS += -lnccl
endif
endif
ifeq ($(HAVE_JANSSON),1)
CFLAGS += -DCGPU_HAVE_JANSSON=1 $(JANSSON_CFLAGS)
LIBS   += $(JANSSON_LIBS)
endif
# libcrypto is linked statically when its archive is there (Debian's
# libssl-dev has it): loaded as a shared library, its 21 000 relocations
# cost about 2 ms of every kernel start. Only SHA-256 and HMAC are used.
CRYPTO_A := $(wildcard $(shell $(CC) -print-file-name=libcrypto.a))
CRYPTO_LIBS := $(if $(CRYPTO_A),-Wl$(comma)-Bstatic -lcrypto -Wl$(comma)-Bdynamic,-lcrypto)
ifeq ($(HAVE_JUPYTER_PROTO),1)
CFLAGS += -DCGPU_HAVE_JUPYTER=1
LIBS   += -lzmq
endif
# libpng, zlib and libdeflate are linked statically where their archives are
# (as libcrypto is): shared libraries fewer to map at every kernel start.
static_or_shared = $(if $(wildcard $(shell $(CC) -print-file-name=lib$(1).a)),-Wl$(comma)-Bstatic -l$(1) -Wl$(comma)-Bdynamic,-l$(1))
# libpng (plt.imshow) before zlib, which it needs.
ifeq ($(HAVE_PNG),1)
CFLAGS += -DCGPU_HAVE_PNG=1
LIBS   += $(call static_or_shared,png16)
endif
ifeq ($(HAVE_ZLIB),1)
CFLAGS += -DCGPU_HAVE_ZLIB=1
LIBS   += $(call static_or_shared,z)
endif
ifeq ($(HAVE_LIBDEFLATE),1)
CFLAGS += -DCGPU_HAVE_LIBDEFLATE=1
LIBS   += $(call static_or_shared,deflate)
endif
# libarchive and libcurl are loaded when first used (runtime/data/), not linked.
ifeq ($(HAVE_LIBARCHIVE),1)
CFLAGS += -DCGPU_HAVE_LIBARCHIVE=1
endif
ifeq ($(HAVE_DOWNLOAD),1)
CFLAGS += -DCGPU_HAVE_CURL=1 -DCGPU_HAVE_OPENSSL=1
endif
ifneq ($(or $(HAVE_JUPYTER_PROTO),$(HAVE_DOWNLOAD)),)
LIBS   += $(CRYPTO_LIBS)
endif
# Start-up: drop libraries a program does not use, and pack relative
# relocations (fewer pages touched at exec) where the linker can.
LDFLAGS += -Wl,-O1,--as-needed
LDFLAGS += $(shell echo 'int main(void){return 0;}' | $(CC) -x c - -Wl,--fatal-warnings,-z,pack-relative-relocs \
             -o /dev/null 2>/dev/null && echo -Wl,-z,pack-relative-relocs)

# ---- sources -------------------------------------------------------------------
# runtime/common/: what every layer may use (the string buffer fmtbuf, UTF-8, MIME
# bundles in JSON); it depends on nothing of the project and goes into
# libcgpurt.a, which every program links.
# runtime/: plain C always, into libcgpurt.a; with nvcc, runtime/cuda/*.cu and
# runtime/nn/*.cu into libcgpucuda.so, which runtime/cuda_loader.c loads on
# the first device discovery (so nothing CUDA is mapped at exec).
RT_C  := $(wildcard runtime/common/*.c runtime/*.c runtime/nn/*.c runtime/data/*.c)
RT_CU := $(if $(HAVE_CUDA),$(wildcard runtime/cuda/*.cu runtime/nn/*.cu),)
LANG_C    := $(wildcard $(addsuffix /*.c,$(LANG_DIRS)))
JUPYTER_C := $(if $(HAVE_JUPYTER_PROTO),$(wildcard kernel/jupyter/*.c),)
MAIN_C    := $(wildcard kernel/*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(patsubst %.cu,$(BUILD)/%.cu.o,$(1)))

RT_LIB      := $(BUILD)/libcgpurt.a
CUDA_LIB    := $(if $(HAVE_CUDA),$(BUILD)/libcgpucuda.so,)
LANG_LIB    := $(BUILD)/libcgpulang.a
JUPYTER_LIB := $(BUILD)/libcgpujupyter.a
KERNEL_BIN  := $(BUILD)/cgpu-kernel

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.cu.o: %.cu
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  NVCC    $<")
	$(Q)$(NVCC) $(NVCCFLAGS) -c $< -o $@

$(RT_LIB): $(call obj,$(RT_C))
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

# The CUDA library's one boundary is runtime/cuda_plugin.h: it exports a
# single entry point (hidden visibility for the rest) and reaches the host
# only through the table that entry receives; -z defs makes the link fail
# if any other host symbol is left undefined. -Bsymbolic binds the
# library's own functions to themselves, never to the host's same-named
# loaders.
$(CUDA_LIB): $(call obj,$(RT_CU))
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) -shared -Wl,-Bsymbolic,-z,defs -o $@ $^ $(CUDA_LIBS) -lm -lpthread
$(LANG_LIB): $(call obj,$(LANG_C))
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^
$(JUPYTER_LIB): $(call obj,$(JUPYTER_C))
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

KERNEL_LIBS := $(if $(HAVE_JUPYTER_PROTO),$(JUPYTER_LIB)) $(LANG_LIB) $(RT_LIB)
$(KERNEL_BIN): $(call obj,$(MAIN_C)) $(KERNEL_LIBS) $(CUDA_LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(call link_rt,$(call obj,$(MAIN_C)) $(KERNEL_LIBS))

all: $(KERNEL_BIN)

# ---- unit tests: tests/unit/<group>_*.c, one binary each ------------------------
#   rt_*      link the runtime only (no ZeroMQ, no jansson)
#   lang_*    link the language and the runtime
#   kernel_*  link everything (protocol tests through the mock transport)
UNIT_RT     := $(wildcard tests/unit/rt_*.c)
UNIT_LANG   := $(wildcard tests/unit/lang_*.c)
UNIT_KERNEL := $(if $(HAVE_JUPYTER_PROTO),$(wildcard tests/unit/kernel_*.c),)
UNIT_BINS   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_RT) $(UNIT_LANG) $(UNIT_KERNEL))

# Executables that link the runtime: $(call link_rt,OBJECTS_AND_ARCHIVES)
link_rt = $(CC) $(LDFLAGS) -o $@ $(1) $(LIBS)

$(BUILD)/tests/rt_%: $(BUILD)/tests/unit/rt_%.o $(RT_LIB) $(CUDA_LIB)
	$(Q)$(call link_rt,$< $(RT_LIB))
$(BUILD)/tests/lang_%: $(BUILD)/tests/unit/lang_%.o $(LANG_LIB) $(RT_LIB) $(CUDA_LIB)
	$(Q)$(call link_rt,$< $(LANG_LIB) $(RT_LIB))
# (kernel_* also get the notebook writer, to compare what both record)
$(BUILD)/tests/kernel_%: $(BUILD)/tests/unit/kernel_%.o $(BUILD)/kernel/ipynb.o $(JUPYTER_LIB) $(LANG_LIB) $(RT_LIB) $(CUDA_LIB)
	$(Q)$(call link_rt,$< $(BUILD)/kernel/ipynb.o $(JUPYTER_LIB) $(LANG_LIB) $(RT_LIB))

# Stub libraries for the loaders' tests, in a folder so that the unit suite
# does not take them for test programs.
# A stand-in for the driver's NVML with fixed figures (runtime/gpu_stats.c's
# test loads it through CGPU_NVML_LIB).
NVML_STUB := $(BUILD)/tests/stub/libnvidia-ml.so.1
$(NVML_STUB): tests/unit/stubs/nvml_stub.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -shared -fPIC -O1 -o $@ $<
$(BUILD)/tests/rt_gpu_stats $(BUILD)/tests/lang_device_stats $(BUILD)/tests/lang_callbacks: $(NVML_STUB)
# A CUDA backend of another interface version (the loader must refuse it).
STALE_PLUGIN := $(BUILD)/tests/stub/libcgpucuda-stale.so
$(STALE_PLUGIN): tests/unit/stubs/stale_plugin.c runtime/cuda_plugin.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) -shared -fPIC -O1 -Iruntime -o $@ $<
$(BUILD)/tests/rt_cuda_loader: $(STALE_PLUGIN)

unit-tests: $(UNIT_BINS)

# ---- installation ------------------------------------------------------------------
# Without PREFIX: the binary goes to ~/.local/bin and the kernelspec to the
# user's Jupyter data dir (what `jupyter kernelspec list` reads).
USER_DATA := $(shell $(PYTHON) -c 'import jupyter_core.paths as p; print(p.jupyter_data_dir())' 2>/dev/null || echo $(HOME)/.local/share/jupyter)
# The CUDA library goes to ../lib/cgpu/ beside the binary's directory, where
# runtime/cuda_loader.c looks for it.
ifeq ($(PREFIX),)
BIN_DIR  := $(HOME)/.local/bin
LIB_DIR  := $(HOME)/.local/lib/cgpu
SPEC_DIR := $(USER_DATA)/kernels/cgpu
else
BIN_DIR  := $(PREFIX)/bin
LIB_DIR  := $(PREFIX)/lib/cgpu
SPEC_DIR := $(PREFIX)/share/jupyter/kernels/cgpu
endif

install: $(KERNEL_BIN)
	$(Q)mkdir -p $(BIN_DIR) $(SPEC_DIR)
	$(Q)install -m 0755 $(KERNEL_BIN) $(BIN_DIR)/cgpu-kernel
	$(Q)$(if $(CUDA_LIB),mkdir -p $(LIB_DIR) && install -m 0755 $(CUDA_LIB) $(LIB_DIR)/,rm -f $(LIB_DIR)/libcgpucuda.so)
	$(Q)sed 's|@CGPU_KERNEL@|$(abspath $(BIN_DIR))/cgpu-kernel|' kernelspec/kernel.json.in > $(SPEC_DIR)/kernel.json
	$(Q)install -m 0644 kernelspec/logo-32x32.png kernelspec/logo-64x64.png kernelspec/logo-svg.svg $(SPEC_DIR)/
	@echo "installed $(abspath $(BIN_DIR))/cgpu-kernel$(if $(CUDA_LIB), (CUDA backend: $(abspath $(LIB_DIR))/libcgpucuda.so),) and kernelspec 'cgpu' in $(SPEC_DIR)"

uninstall:
	rm -rf $(SPEC_DIR) $(BIN_DIR)/cgpu-kernel $(LIB_DIR)

# ---- the README's two commands -------------------------------------------------------
DEB_PACKAGES := build-essential pkg-config libzmq3-dev libjansson-dev libssl-dev \
  jupyter-client python3-jupyter-client jupyter-nbconvert python3-nbconvert python3-nbclient \
  python3-nbformat python3-pytest jupyter-console python3-ipykernel python3-numpy python3-zmq python3-yaml \
  clang libclang-rt-14-dev valgrind libpng-dev python3-matplotlib \
  zlib1g-dev libdeflate-dev libarchive-dev libcurl4-openssl-dev dataset-fashion-mnist
deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "deps: all Debian packages present"; fi

DEMO_OUT := $(BUILD)/executed
NOTEBOOKS := $(wildcard notebooks/*.ipynb)
demo: deps
	$(Q)$(MAKE) --no-print-directory all install
	$(Q)mkdir -p $(DEMO_OUT)
	$(Q)set -e; for nb in $(NOTEBOOKS); do \
	  echo "executing $$nb"; \
	  jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=cgpu \
	    --ExecutePreprocessor.timeout=600 --output-dir $(DEMO_OUT) $$nb; \
	done
	@echo "executed notebooks are in $(abspath $(DEMO_OUT))/"

test: deps
	$(Q)$(MAKE) --no-print-directory all unit-tests
	$(Q)BUILD=$(BUILD) PYTHON=$(PYTHON) bash tests/run_all.sh

# Quick loop for developers: unit and language tests only, no deps, no Jupyter.
check: all unit-tests
	$(Q)BUILD=$(BUILD) PYTHON=$(PYTHON) CGPU_QUICK=1 bash tests/run_all.sh

FUZZ_SECONDS ?= 60
LANG_DIFF_FUZZ_COUNT ?= 40000
fuzz:
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) PYTHON=$(PYTHON) LANG_DIFF_SEED=$${LANG_DIFF_SEED:-$$(date +%s)} \
	  LANG_DIFF_COUNT=$(LANG_DIFF_FUZZ_COUNT) bash tests/diff/lang_suite.sh
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh
	$(Q)CGPU_DIFF_LONG=1 BUILD=$(BUILD) bash tests/diff/array_suite.sh

bench: all
	$(Q)BUILD=$(BUILD) PYTHON=$(PYTHON) bash tests/bench/run.sh

clean:
	rm -rf build build-asan build-failalloc build-fuzz

.PHONY: all install uninstall deps demo test check fuzz bench clean unit-tests

# ---- bench: benchmark binaries (tests/bench/*.sh run them) ---------------------------
BENCH_BINS := $(BUILD)/bench/cpu_ops $(BUILD)/bench/gpu_ops $(BUILD)/bench/nn_bench $(BUILD)/bench/transfer_bench \
              $(BUILD)/bench/conv_bench
$(BUILD)/bench/%: $(BUILD)/tests/bench/%.o $(RT_LIB) $(CUDA_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(call link_rt,$< $(RT_LIB))
# the plotting benchmark runs cells, so it links the language too
$(BUILD)/bench/plot_bench: $(BUILD)/tests/bench/plot_bench.o $(LANG_LIB) $(RT_LIB) $(CUDA_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(call link_rt,$< $(LANG_LIB) $(RT_LIB))
bench-bins: $(BENCH_BINS) $(BUILD)/bench/plot_bench
.PHONY: bench-bins

# ==== robustness: fuzzers and the failing allocator ==========================
# (tests/fuzz/, tests/robustness/; their scripts call these targets)
#
#   make FUZZ=1 BUILD=build-fuzz NO_CUDA=1 CC=clang fuzz-bins
#       libFuzzer harnesses tests/fuzz/fuzz_*.c -> $(BUILD)/fuzz/fuzz_*; every
#       object is built with -fsanitize=fuzzer-no-link,address,undefined.
#   make FAILALLOC=1 failalloc-bins
#       $(BUILD)/robustness/failalloc_run: the language and runtime linked with
#       a malloc that fails the Nth allocation (tests/robustness/failalloc.c,
#       via -Wl,--wrap). The FAILALLOC build also carries AddressSanitizer so
#       that what an error path leaks or touches after freeing is reported.
ifeq ($(FUZZ),1)
FUZZ_SAN := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
CFLAGS   += $(FUZZ_SAN)
endif
FUZZ_LINK := -fsanitize=fuzzer,address,undefined
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
MEMCAP_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=aligned_alloc,--wrap=free,--wrap=strdup,--wrap=vasprintf,--wrap=fopen

$(BUILD)/fuzz/fuzz_frames: $(BUILD)/tests/fuzz/fuzz_frames.o $(JUPYTER_LIB) $(LANG_LIB) $(RT_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(FUZZ_LINK) -o $@ $^ $(LIBS)
$(BUILD)/fuzz/fuzz_conn: $(BUILD)/tests/fuzz/fuzz_conn.o $(JUPYTER_LIB) $(LANG_LIB) $(RT_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(FUZZ_LINK) -o $@ $^ $(LIBS)
$(BUILD)/fuzz/fuzz_lang: $(BUILD)/tests/fuzz/fuzz_lang.o $(BUILD)/tests/fuzz/memcap.o $(LANG_LIB) $(RT_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(FUZZ_LINK) $(MEMCAP_WRAP) -o $@ $^ $(LIBS)
fuzz-bins: $(FUZZ_BINS)

ifeq ($(FAILALLOC),1)
FAILALLOC_SAN := $(shell echo 'int main(void){return 0;}' | $(CC) -x c -fsanitize=address - -o /dev/null 2>/dev/null && echo -fsanitize=address -fno-omit-frame-pointer)
CFLAGS  += $(FAILALLOC_SAN)
LDFLAGS += $(FAILALLOC_SAN)
endif
FAILALLOC_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=aligned_alloc,--wrap=strdup,--wrap=vasprintf
$(BUILD)/robustness/failalloc_run: $(BUILD)/tests/robustness/failalloc_run.o $(BUILD)/tests/robustness/failalloc.o $(LANG_LIB) $(RT_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) $(FAILALLOC_WRAP) -o $@ $^ $(LIBS)
failalloc-bins: $(BUILD)/robustness/failalloc_run

.PHONY: fuzz-bins failalloc-bins
# ==== end of robustness section ================================================

# Objects are kept (never deleted as intermediates of a test or bench program).
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# infertune: `make run` and `make test` work on a fresh Debian 12 / Ubuntu 22.04+ machine.
# They install missing Debian packages (apt-get, via sudo when not root), configure, build and run.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
WERROR     ?= OFF
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 20
CMAKE_FLAGS ?=
MAKEFLAGS += --no-print-directory

.PHONY: all deps deps-test configure build run test asan-test fuzz fuzz-smoke format tidy clean

all: build

deps:
	@scripts/install-deps build

deps-test:
	@scripts/install-deps test

configure: deps
	@cmake -S . -B $(BUILD) -DINFERTUNE_WERROR=$(WERROR) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

# Runs the doctor on this machine. Exit 1 only means "findings at error level": the run itself worked.
run: build
	@./$(BUILD)/infertune doctor; rc=$$?; [ $$rc -le 1 ] || exit $$rc

test: deps-test
	@cmake -S . -B $(BUILD) -DINFERTUNE_WERROR=$(WERROR) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)
	@ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer.
asan-test: deps-test
	@cmake -S . -B $(ASAN_BUILD) -DINFERTUNE_WERROR=$(WERROR) -DINFERTUNE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS)

# libFuzzer targets for every parser of untrusted input (needs clang).
fuzz: deps-test
	@CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DINFERTUNE_FUZZ=ON -DINFERTUNE_TESTS=OFF -DINFERTUNE_WERROR=$(WERROR) \
	  -DINFERTUNE_STATIC_RUNTIME=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS)

# A short run of each fuzz target from its seed corpus.
fuzz-smoke: fuzz
	@scripts/fuzz-smoke $(FUZZ_BUILD) $(FUZZ_SECONDS)

format:
	@clang-format -i $$(git ls-files '*.cc' '*.h')

tidy: configure
	@clang-tidy -p $(BUILD) --quiet $$(git ls-files 'src/*.cc')

clean:
	@rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

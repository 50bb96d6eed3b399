# Berth: the two commands a newcomer needs are `make run` and `make test`.
# Every target installs the Debian packages it needs first (only the missing ones).

SHELL := /bin/bash
JOBS ?= 2
BUILD_DEBUG := build/debug
BUILD_RELEASE := build/release
STORE ?= $(or $(BERTH_STORE),$(HOME)/.local/share/berth)

# Exactly the Debian packages the build, the tests and `make run` need.
PACKAGES := build-essential cmake pkg-config git \
  libimgui-dev libglfw3-dev libgl-dev libstb-dev \
  libsqlite3-dev libsodium-dev libcereal-dev libzstd-dev \
  libcli11-dev libfmt-dev libspdlog-dev nlohmann-json3-dev libcpp-httplib-dev liblemon-dev \
  libpq-dev postgresql-15 \
  libgtest-dev libgmock-dev libbenchmark-dev \
  fonts-inter fonts-dejavu-core xvfb xauth clang clang-format libclang-rt-14-dev \
  openssl chromium chromium-driver

# axe-core, the accessibility engine the provider portal's browser test injects (tests/sync/portal): not
# packaged by Debian, so the one dependency taken from npm, at a pinned version, for the tests only.
AXE_VERSION := 4.11.0
AXE_DIR := /usr/local/share/berth-axe

.PHONY: deps test run bench fuzz format build-debug build-release clean

deps:
	@missing=""; \
	for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | grep -q '^install ok installed$$' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@if ! grep -qs '"version": "$(AXE_VERSION)"' $(AXE_DIR)/node_modules/axe-core/package.json; then \
	  echo "make deps: installing axe-core $(AXE_VERSION) into $(AXE_DIR)"; \
	  if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi; \
	  command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends npm; \
	  $$SUDO mkdir -p $(AXE_DIR) && \
	  $$SUDO npm install --no-save --no-audit --no-fund --prefix $(AXE_DIR) axe-core@$(AXE_VERSION); \
	fi

build-debug: deps
	@cmake --preset debug >/dev/null
	cmake --build --preset debug -j $(JOBS)

build-release: deps
	@cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

# Debug build with AddressSanitizer + UndefinedBehaviorSanitizer and -Werror, then every test.
test: build-debug
	ctest --preset debug -j $(JOBS)

# Opens Berth on the default store (made from the demo scenario if there is none yet).
# Without a display it runs the headless equivalent and says so.
run: build-release
	@BERTH_STORE="$(STORE)" ./app/cli/make_run.sh $(BUILD_RELEASE)

bench: build-release
	@for b in $(BUILD_RELEASE)/tests/bench/bench_*; do [ -x "$$b" ] && { echo "== $$b"; "$$b" --benchmark_counters_tabular=true || exit 1; }; done; true

# Every libFuzzer target (tests/fuzz) for FUZZ_SECONDS each (default 600), outside `make test` (which only
# replays the corpus). What ran is written to build/fuzz/fuzz_summary.txt.
FUZZ_SECONDS ?= 600
fuzz: deps
	cmake -DSOURCE_DIR=$(CURDIR) -DWORK_DIR=$(CURDIR)/build/fuzz -DCLANGXX=clang++ \
	  -DSECONDS=$(FUZZ_SECONDS) -P tests/fuzz/fuzz.cmake
	@cat build/fuzz/fuzz_summary.txt

format:
	@git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	rm -rf build

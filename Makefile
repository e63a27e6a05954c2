# Troupe: `make run` starts the server, `make test` runs every test.
# Both install what is missing first (Debian packages, npm packages).
BUILD    ?= build
JOBS     ?= $(shell nproc)
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PKGS := cmake g++ make pkg-config libcaf-dev librestinio-dev libasio-dev libhttp-parser-dev \
            rapidjson-dev libfmt-dev libspdlog-dev libcli11-dev libboost-test-dev libsqlite3-dev \
            libcurl4-openssl-dev libssl-dev prometheus-cpp-dev libjemalloc-dev prometheus curl wrk \
            libpq-dev postgresql haproxy openssl

ASAN_BUILD ?= build-asan

.PHONY: all deps build floor run test test-asan unit blackbox node_modules bench bench-core bench-storage bench-upstream bench-keys bench-tools bench-scale bench-cluster clean

all: build

deps:
	@missing=""; for p in $(APT_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

run: build conf/mcp/node_modules
	mkdir -p data/files
	./$(BUILD)/troupe --config conf/troupe.conf

NPM_DIRS := conf/mcp tests/blackbox tests/blackbox/agents_sdk

%/node_modules: %/package.json %/package-lock.json
	cd $* && npm ci --no-audit --no-fund --loglevel=error
	touch $@

node_modules: $(addsuffix /node_modules,$(NPM_DIRS))

test: build node_modules
	cd $(BUILD) && ctest --output-on-failure -j 2

# The whole suite under AddressSanitizer and UBSan, in its own build directory
# (not part of `make test`; see docs/TESTING.md).
test-asan: deps node_modules
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTROUPE_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && TROUPE_SANITIZED=1 \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0 \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$(CURDIR)/tests/sanitizers/ubsan.supp \
	  ctest --output-on-failure -j 2

unit: build
	cd $(BUILD) && ctest --output-on-failure -R '^unit\.'

blackbox: build node_modules
	cd $(BUILD) && ctest --output-on-failure -R '^blackbox\.'

bench: bench-core bench-storage bench-upstream bench-keys bench-tools

# The reference every bench row is measured against (bench/floor.cpp); not
# part of `build`, so `make test` does not compile it.
floor: build
	cmake --build $(BUILD) -j $(JOBS) --target troupe_floor

bench-core: floor
	bench/run.sh

bench-storage: floor
	bench/storage.sh

bench-upstream: floor
	bench/upstream.sh

bench-keys: floor
	bench/keys.sh

bench-tools: build conf/mcp/node_modules
	bench/tools.sh

# Longer: 1 000 000 stored sessions in SQLite and waking random ones.
bench-scale: floor
	bench/scale.sh

# Three nodes on one PostgreSQL of its own: forwarding latency, 1 vs 3 nodes,
# PostgreSQL vs SQLite (docs/CLUSTER.md, docs/BENCHMARKS.md "Cluster").
bench-cluster: build
	bench/cluster.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(addsuffix /node_modules,$(NPM_DIRS))

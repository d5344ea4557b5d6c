# The front door. Every target installs what is missing (Debian packages,
# through sudo when not root) and then wraps a CMake preset.
#
#   make run                 the main job on an embedded PostgreSQL (or CONFIG=FILE)
#   make run SQLITE=/path/webui.db     (or USERS=N CHATS_PER_USER=M for a bigger generated tenant)
#   make test                ASan+UBSan build, unit and integration tests on a real PostgreSQL
#   make bench               Release build, end-to-end throughput vs psql COPY, micro-benchmarks, a fleet
#   make bench-fleet         only the fleet part: 500 Open WebUI tenants, idle ticks, a crowded database
#   make install PREFIX=/usr/local

JOBS ?= $(shell nproc)
PREFIX ?= /usr/local
export SQLITE CONFIG DEPLOYMENT USERS CHATS_PER_USER

.PHONY: all deps deps-test build build-dev test bench bench-fleet run install clean

all: build

deps:
	@scripts/install-deps.sh

deps-test:
	@scripts/install-deps.sh --test

build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

build-dev: deps
	cmake --preset dev >/dev/null
	cmake --build --preset dev -j $(JOBS)

test: deps-test
	cmake --preset ci >/dev/null
	cmake --build --preset ci -j $(JOBS)
	ctest --preset ci

bench: deps
	cmake --preset bench >/dev/null
	cmake --build --preset bench -j $(JOBS)
	scripts/bench.sh
	scripts/bench-fleet.sh

bench-fleet: deps
	cmake --preset bench >/dev/null
	cmake --build --preset bench -j $(JOBS)
	scripts/bench-fleet.sh

run: build
	@scripts/run.sh

install: build
	cmake --install build/release --prefix $(PREFIX)

clean:
	rm -rf build

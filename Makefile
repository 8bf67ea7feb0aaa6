# The two commands a newcomer needs: `make run` and `make test`.
# `make fuzz` and `make bench` are the long-running ladders, kept out of `make test`.

JOBS ?= $(shell nproc)
DATA ?= var
SIP_LISTEN ?= 127.0.0.1:5060
FUZZ_SECONDS ?= 600

.PHONY: run test deps build-release build-debug fuzz bench format clean

deps:
	@scripts/install-deps.sh

build-release: deps
	cmake --preset release
	cmake --build --preset release -j $(JOBS)

build-debug: deps
	cmake --preset debug
	cmake --build --preset debug -j $(JOBS)

run: build-release
	@scripts/demo-setup.sh ./build/release/src/app/parley $(DATA) $(SIP_LISTEN)
	./build/release/src/app/parley serve --data $(DATA) --sip-listen $(SIP_LISTEN)

test: build-debug
	ctest --preset debug -j $(JOBS)

fuzz: deps
	cmake --preset fuzz
	cmake --build --preset fuzz -j $(JOBS)
	scripts/run-fuzzers.sh build/fuzz $(FUZZ_SECONDS)

bench: deps
	@scripts/install-deps.sh --bench
	cmake --preset release
	cmake --build --preset release -j $(JOBS)
	bench/run-all.sh build/release

format:
	find src tests bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	rm -rf build

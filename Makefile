# A thin convenience layer over the scripts (which work without make).
.PHONY: run test test-sanitize build bench clean
run:
	./scripts/run.sh
test:
	./scripts/test.sh
test-sanitize:
	./scripts/test.sh --sanitize
build:
	./scripts/build.sh
bench: build
	./build/bench/ref_bitlinear
clean:
	rm -rf build build-asan

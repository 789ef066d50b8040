# Every target runs on the project's own Node 24 (node_modules/.bin/node, from the
# `node` devDependency), whatever Node the machine has.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

STAMP := node_modules/.install-stamp
REPORT := .tmp/vitest-report.json

.PHONY: run test install chromium browser-example generate check-gen typecheck lint deps build fuzz fuzz-wire crash soak bench bench-quick bench-e2e bench-tokens clean

## run: start the service on 127.0.0.1:8667 with an embedded SurrealDB under data/
run: build
	@if [ -z "$$SPOOKY_AUTH_SECRET" ] && [ -z "$$SPOOKY_INSECURE_DEV" ]; then \
	  echo "make run: SPOOKY_AUTH_SECRET is not set, so starting in INSECURE DEV MODE (no auth). Set SPOOKY_AUTH_SECRET=... to require a bearer token." >&2; \
	  export SPOOKY_INSECURE_DEV=1; \
	fi; \
	exec node dist/src/main.js

## test: install (Chromium too, for the browser test), check gen/ drift, type-check, lint, check the folder boundaries, run every test
test: install chromium check-gen typecheck lint deps
	@mkdir -p .tmp
	@rm -f $(REPORT)
	@status=0; vitest run --reporter=default --reporter=json --outputFile.json=$(REPORT) || status=$$?; \
	node test/support/summary.mjs $(REPORT) || status=1; exit $$status

## fuzz: the differential suite (circuit vs embedded SurrealDB) at scale: SSP_FUZZ_RUNS=20000 SSP_FUZZ_SEED=42 make fuzz
fuzz: install
	SSP_FUZZ_RUNS=$${SSP_FUZZ_RUNS:-5000} vitest run test/differential

## fuzz-wire: random protobuf/JSON bodies and headers for every RPC against the real service (SSP_FUZZ_WIRE_RUNS, SSP_FUZZ_WIRE_SECONDS, SSP_FUZZ_WIRE_SEED)
fuzz-wire: install
	SSP_FUZZ_WIRE_RUNS=$${SSP_FUZZ_WIRE_RUNS:-20000} SSP_FUZZ_WIRE_SECONDS=$${SSP_FUZZ_WIRE_SECONDS:-600} vitest run test/hostile/wire-fuzz.test.ts

install: $(STAMP)
$(STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

## chromium: Debian's Chromium for the browser test (test/browser), installed with apt-get when missing and running as root;
## otherwise a warning, and the browser test fails saying what to install. Nothing to do when it is there.
CHROMIUM := /usr/bin/chromium
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium for the browser test (apt-get)"; \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	      || echo "make: could not install chromium; the browser test will fail" >&2; \
	  else \
	    echo "make: $(CHROMIUM) is missing and cannot be installed here (not root, or no apt-get): run 'apt-get install chromium' as root, or the browser test fails" >&2; \
	  fi; \
	fi

## browser-example: bundle examples/browser with esbuild into .tmp/browser-example and serve it on http://127.0.0.1:8080 (EXAMPLE_PORT)
browser-example: install
	node --import ./test/support/ts-resolve.mjs examples/browser/serve.ts

generate: install
	buf generate

## check-gen: regenerate into a scratch folder and fail if gen/ differs
check-gen: install
	@rm -rf .tmp/gen-check && mkdir -p .tmp/gen-check
	@buf generate -o .tmp/gen-check
	@diff -r gen .tmp/gen-check/gen || { echo "gen/ is out of date with proto/: run 'make generate' and commit gen/" >&2; exit 1; }

typecheck: install
	tsc -p tsconfig.json --noEmit
	tsc -p examples/browser/page/tsconfig.json

## lint: the proto (buf lint) and the TypeScript (oxlint, type-aware; the rules are in .oxlintrc.json)
lint: install
	buf lint
	oxlint --type-aware --tsconfig tsconfig.json --deny-warnings src test bench examples vitest.config.ts

## deps: the boundaries between src/'s folders (.dependency-cruiser.mjs): no cycles, a pure circuit, imports through index.ts, only src/core and src/main.ts compose
deps: install
	depcruise src test bench examples --config .dependency-cruiser.mjs

build: install
	tsc -p tsconfig.build.json

## bench: the engine benchmark (≤ 10 min): prints a table, writes bench/results/, redraws the docs/ charts
bench: install
	node --expose-gc bench/engine.ts --preset full

## bench-quick: the same code paths at small sizes (≤ 1 min, no thresholds): CI's smoke test
bench-quick: install
	node --expose-gc bench/engine.ts --preset quick

## bench-e2e: the service benchmark (≤ 10 min): real server + surrealkv over gRPC, vs the same edge transactions straight to SurrealDB
bench-e2e: install
	node --disable-warning=ExperimentalWarning bench/service.ts

## bench-tokens: what verifying one subscriber token costs, per algorithm (a few seconds)
bench-tokens: install
	node --disable-warning=ExperimentalWarning bench/token-verify.ts

## soak: bounded load and soak (SOAK_SECONDS, default 600): memory, loop delay, errors, resumes, edges = membership at the end
soak: install
	node --disable-warning=ExperimentalWarning bench/soak.ts

## crash: the kill -9 suites with many rounds (SSP_CRASH_ROUNDS=200 by default; SSP_CRASH_SEED replays a run's workloads)
crash: install
	SSP_CRASH_ROUNDS=$${SSP_CRASH_ROUNDS:-200} vitest run test/crash test/persistence/crash.test.ts

clean:
	rm -rf dist .tmp

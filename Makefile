# The README's commands: `make run`, `make test` (and `make build`, `make bench` later).
# Each target installs what it needs first (scripts/deps.sh), so they work on a fresh
# Debian/Ubuntu machine.

SHELL      := /bin/bash
BIN        := build/bin/nhs-passkeys
# nopostgres: the desktop app never runs a fleet's PostgreSQL database, and pgx is about
# 3.9 MB of its binary (issue #21, item 4); `make server` builds the fleet's replicas with it.
GO_TAGS    := desktop,production,webkit2_41,nopostgres
SERVER_BIN := build/bin/nhs-passkeys-server
GO_SOURCES := $(shell find . -name '*.go' -not -path './frontend/*' -not -path './build/*') go.mod go.sum
FRONTEND_SOURCES := $(shell find frontend/src -type f 2>/dev/null) frontend/index.html frontend/package.json frontend/vite.config.ts frontend/tsconfig.json $(wildcard frontend/scripts/*.mjs)
NPM_STAMP  := frontend/node_modules/.package-lock.json

export GOFLAGS := -buildvcs=false

.PHONY: all run build server frontend test test-go test-frontend test-browser test-a11y test-desktop lint deps deps-test deps-lint clean fuzz bench bench-desktop windows deps-windows mac

all: build

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

deps-windows:
	@scripts/deps.sh windows

deps-lint:
	@scripts/deps.sh lint

$(NPM_STAMP): frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

frontend/dist/index.html: $(NPM_STAMP) $(FRONTEND_SOURCES)
	cd frontend && npm run build

frontend: frontend/dist/index.html

$(BIN): frontend/dist/index.html $(GO_SOURCES)
	go build -tags $(GO_TAGS) -ldflags "-s -w" -o $@ .

build: deps $(BIN)

# `serve` with PostgreSQL for a fleet's replicas (README, "Fleets"): without Wails' tags there
# is no window, so it links neither GTK nor WebKit.
$(SERVER_BIN): frontend/dist/index.html $(GO_SOURCES)
	go build -ldflags "-s -w" -o $@ .

server: deps $(SERVER_BIN)

# The desktop window when there is a display; otherwise the same app for a web browser.
run: build
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		exec $(BIN) $(ARGS); \
	else \
		echo "No display found, so starting the app for your web browser instead."; \
		exec $(BIN) serve $(ARGS); \
	fi

# What can be checked here of every platform's build (README, "What is tested where"):
# - Linux: go vet of every package, the e2e journeys (e2e/) included.
# - Windows (no cgo; Wails needs none there): go vet of every package and of the e2e tests,
#   and of the desktop app with Wails' build tags. The Windows-only tests (*_windows_test.go)
#   are type-checked by it; they run in the hosted pipeline.
# - macOS: go vet of every package with cgo off, and a build of every package for Apple
#   silicon. With cgo off, libfido2's binding (app/fido2) and what uses it drop out for a
#   stand-in (app/device/authenticator/set_nocgo.go, whose tests run here with cgo off on Linux),
#   and so do the cgo files of app/desktop. Wails' macOS window (-tags desktop,production)
#   needs Apple's SDK: the hosted pipeline builds that, on macOS.
# - golangci-lint (.golangci.yml says which linters and why) on every package with the e2e and
#   desktopsmoke test files, for Linux, and for Windows and macOS with cgo off, as go vet is;
#   and the desktop app with Wails' build tags, for Linux and Windows.
# - shellcheck on the scripts, actionlint (with shellcheck) on the hosted pipeline's workflow.
ACTIONLINT    := .cache/bin/actionlint
GOLANGCI_LINT := .cache/bin/golangci-lint

lint: deps-lint frontend/dist/index.html
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "Not gofmt-formatted: $$unformatted"; exit 1; fi
	go vet ./...
	go vet -tags nopostgres ./backend/store/
	go vet -tags e2e ./e2e/...
	GOOS=windows CGO_ENABLED=0 go vet ./...
	GOOS=windows CGO_ENABLED=0 go vet -tags e2e ./e2e/...
	GOOS=windows CGO_ENABLED=0 go vet -tags desktop,production . ./app/desktop/ ./internal/benchfixture/...
	GOOS=darwin CGO_ENABLED=0 go vet ./...
	GOOS=darwin CGO_ENABLED=0 go vet -tags e2e ./e2e/...
	cd frontend && npm run lint
	GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 go build ./...
	CGO_ENABLED=0 go test -count=1 -run WithoutCgo ./app/device/...
	$(GOLANGCI_LINT) run ./...
	$(GOLANGCI_LINT) run --build-tags e2e,desktopsmoke,$(GO_TAGS) . ./app/desktop/... ./internal/benchfixture/...
	GOOS=windows CGO_ENABLED=0 $(GOLANGCI_LINT) run ./...
	GOOS=windows CGO_ENABLED=0 $(GOLANGCI_LINT) run --build-tags e2e,desktopsmoke,desktop,production . ./app/desktop/... ./internal/benchfixture/...
	GOOS=darwin CGO_ENABLED=0 $(GOLANGCI_LINT) run ./...
	shellcheck scripts/*.sh .ci/run
	$(ACTIONLINT)

test: deps-test lint test-go test-frontend test-browser test-desktop windows
	@echo "make test: every suite passed"

# Go unit and integration tests with the race detector. The keyring tests start their own
# D-Bus session and a real gnome-keyring (app/sessionjar). The fault tests are among them
# (*_fault_test.go: kill -9 mid-write, a second copy on one data folder, a full disk, no keyring).
test-go: frontend/dist/index.html
	go test -race -count=1 ./...
	go test -count=1 -tags nopostgres -run WithoutPostgres ./backend/store/

test-frontend: $(NPM_STAMP)
	cd frontend && npm test

# Journeys in headless Chromium against `serve` (CDP virtual authenticator) and the desktop
# app's handler (virtual security key), and the accessibility suite (e2e/a11y_test.go); their
# harness is e2e/harness.
# The whole run took 600 s on a busy 2-core machine, go test's default limit: hence -timeout.
test-browser: frontend/dist/index.html
	go test -tags e2e -count=1 -timeout 30m -run 'Journey|A11y' -v ./e2e/

# Only the accessibility checks: the frontend's axe tests in jsdom, then the pages in Chromium.
test-a11y: $(NPM_STAMP) frontend/dist/index.html
	cd frontend && npx vitest run accessibility
	go test -tags e2e -count=1 -run A11y -v ./e2e/

# The real desktop window under Xvfb with a real gnome-keyring.
test-desktop: frontend/dist/index.html
	go test -tags desktopsmoke -count=1 -timeout 7m -run '^TestDesktopSmoke$$' -v ./app/desktop/

# Each fuzz target of the API's request decoding for FUZZTIME (10 s unless given, e.g.
# `make fuzz FUZZTIME=5m`). Seed corpora live in each package's testdata/fuzz/; an input that
# fails is written there too, so commit it with the fix. Minimising each new input is capped
# at 1 s: the default (60 s) would spend a short run minimising the larger seeds.
FUZZTIME     ?= 10s
FUZZ_TARGETS := ./backend/httpapi:FuzzDecode ./backend/passkey:FuzzParseAssertion \
                ./backend/passkey:FuzzParseCreation ./backend/passkey:FuzzValidateName \
                ./backend/passkey:FuzzCheckPublicKey

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t#*:} in $${t%%:*} for $(FUZZTIME)"; \
		go test -run '^$$' -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1s $${t%%:*}; \
	done

# Benchmarks (benchstat summary and ratios to a bare P-256 verify) and the load run; see
# README "Performance". COUNT=10 for more samples; LOAD_ARGS="-load.logins 4096" for a longer run.
bench:
	scripts/bench.sh

# Launch time, memory and sizes of the desktop app under Xvfb, against its floor: a bare Wails
# page with the same Wails version, tags and window options (internal/benchfixture/bare).
BENCH_BARE := build/bin/bench-bare

$(BENCH_BARE): $(wildcard internal/benchfixture/bare/*) go.mod go.sum
	go build -tags $(GO_TAGS) -ldflags "-s -w" -o $@ ./internal/benchfixture/bare

bench-desktop: build $(BENCH_BARE)
	BARE=$(BENCH_BARE) scripts/bench-desktop.sh

# The Windows app and its installer, cross-built here with no cgo (Wails on Windows needs
# none; the Windows authenticators are app/webauthndll): the icon, manifest and version
# information go in through a .syso that binutils' windres makes from build/windows/*.rc, and
# NSIS's makensis makes the installer (README, "Windows").
VERSION     := 0.1.0
WIN_EXE     := build/bin/nhs-passkeys.exe
WIN_SETUP   := build/bin/nhs-passkeys-installer.exe
WIN_SYSO    := rsrc_windows_amd64.syso
WIN_RES     := build/windows/nhs-passkeys.rc build/windows/wails.exe.manifest build/windows/icon.ico

# WINDRES and WIN_ROOT let the hosted pipeline run these rules on Windows itself (MSYS2's
# windres, and the folder as Windows names it for makensis).
WINDRES  ?= x86_64-w64-mingw32-windres
WIN_ROOT ?= $(CURDIR)

$(WIN_SYSO): $(WIN_RES)
	cd build/windows && $(WINDRES) --preprocessor=cpp --preprocessor-arg=-P \
		-DVERSION_COMMAS=$(subst .,$(comma),$(VERSION)),0 '-DVERSION=\"$(VERSION)\"' \
		-O coff -i nhs-passkeys.rc -o ../../$@

comma := ,

$(WIN_EXE): frontend/dist/index.html $(GO_SOURCES) $(WIN_SYSO)
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go build -tags desktop,production,nopostgres -ldflags "-s -w -H windowsgui" -o $@ .

$(WIN_SETUP): $(WIN_EXE) build/windows/installer.nsi
	makensis -V2 -DVERSION=$(VERSION) -DEXE=$(WIN_ROOT)/$(WIN_EXE) -DOUTFILE=$(WIN_ROOT)/$@ build/windows/installer.nsi

windows: deps-windows $(WIN_SETUP)
	@ls -l $(WIN_EXE) $(WIN_SETUP)

# The macOS app and its disk image, on a Mac: build/bin/NHS login passkeys.app and
# build/bin/nhs-passkeys-$(VERSION).dmg, with libfido2 inside the app (README, "macOS").
# Anywhere else it says that it needs a Mac and fails.
mac:
	@VERSION=$(VERSION) scripts/mac-app.sh app

clean:
	rm -rf build/bin frontend/node_modules $(WIN_SYSO)
	find frontend/dist -mindepth 1 ! -name .gitkeep -delete

#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian/Ubuntu machine, and nothing that is
# already there. `make run` and `make test` call it; it is safe to run again.
#   scripts/deps.sh build   the packages to build and run the desktop app
#   scripts/deps.sh test    those plus everything the test suite drives
#   scripts/deps.sh windows only what cross-builds the Windows .exe and installer
#   scripts/deps.sh lint    what `make lint` needs beyond Go: shellcheck, and actionlint and
#                           golangci-lint (pinned versions, built through the Go module proxy
#                           into .cache/bin)
set -euo pipefail
cd "$(dirname "$0")/.."

build_pkgs=(build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev libfido2-dev)
# chromium: browser journeys; xvfb/xdotool/imagemagick/tesseract-ocr/openbox: the desktop
# window test; gnome-keyring/dbus/libsecret-tools: a real Secret Service for the session jar;
# zbar-tools (zbarimg): the phone journey reads the QR code off the page's screenshot.
# postgresql-15: the storage and service tests run on PostgreSQL too; each test binary starts
# a throwaway cluster of its own with initdb and pg_ctl (backend/store/testpg.go), so the
# cluster Debian's package makes and starts is not used.
test_pkgs=(chromium xvfb xauth xdotool imagemagick tesseract-ocr tesseract-ocr-eng openbox
  gnome-keyring dbus dbus-x11 libsecret-tools fido2-tools fonts-dejavu-core fonts-liberation
  zbar-tools xclip postgresql-15)

# binutils-mingw-w64-x86-64 (windres) and cpp: the .exe's icon, manifest and version
# information; nsis (makensis): the installer. `make windows`, part of `make test`.
windows_pkgs=(binutils-mingw-w64-x86-64 cpp nsis)

# The shellcheck package checks the scripts, and the run: steps of the hosted pipeline's
# workflow (actionlint calls it). `make lint`, part of `make test`.
lint_pkgs=(shellcheck)

# actionlint checks .github/workflows/*.yml. Pinned; Debian has no package of it, so it is
# built from its Go module into the project's own .cache/bin (ignored by git).
actionlint_version=v1.7.12
actionlint_bin=.cache/bin/actionlint

# golangci-lint runs the Go linters of .golangci.yml (a v2 configuration). Pinned and built
# from source the same way: its authors advise against `go install` only because a build can
# differ from their release binaries, which matters less than a version everyone shares here.
# The build takes a few minutes the first time, and is skipped after.
golangci_lint_version=2.15.0
golangci_lint_bin=.cache/bin/golangci-lint

mode=${1:-build}
case "$mode" in
  test) want=("${build_pkgs[@]}" "${test_pkgs[@]}" "${windows_pkgs[@]}" "${lint_pkgs[@]}") ;;
  windows) want=("${windows_pkgs[@]}") ;;
  lint) want=("${lint_pkgs[@]}") ;;
  *) want=("${build_pkgs[@]}") ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "Node.js 20 or newer is needed to build the frontend (found $(node --version))." >&2
  exit 1
fi
if ! command -v go >/dev/null 2>&1; then
  echo "Go is needed (1.26 or newer; https://go.dev/dl/). Put it on PATH and try again." >&2
  exit 1
fi

if [ "$mode" = lint ] || [ "$mode" = test ]; then
  have=$("$actionlint_bin" -version 2>/dev/null | head -n 1 || true)
  if [ "$have" != "$actionlint_version" ]; then
    echo "Installing actionlint $actionlint_version into $actionlint_bin"
    GOBIN="$PWD/$(dirname "$actionlint_bin")" GOFLAGS=-buildvcs=false \
      go install "github.com/rhysd/actionlint/cmd/actionlint@$actionlint_version"
  fi
  have=$("$golangci_lint_bin" version --short 2>/dev/null || true)
  if [ "$have" != "$golangci_lint_version" ]; then
    echo "Installing golangci-lint v$golangci_lint_version into $golangci_lint_bin"
    GOBIN="$PWD/$(dirname "$golangci_lint_bin")" GOFLAGS=-buildvcs=false \
      go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v$golangci_lint_version"
  fi
fi

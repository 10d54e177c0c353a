#!/usr/bin/env bash
# The macOS app: `make mac` runs `scripts/mac-app.sh app`, on a Mac only (Wails draws the
# window with Cocoa and WebKit, which need Apple's SDK). It builds
#   build/bin/NHS login passkeys.app   the app, with libfido2 inside it
#   build/bin/nhs-passkeys-VERSION.dmg  a disk image to drag the app to Applications from
# and needs nothing installed on the Mac that runs the app.
#
#   scripts/mac-app.sh app       build the .app and the .dmg (installs libfido2 and
#                                pkg-config with Homebrew if they are missing)
#   scripts/mac-app.sh iconset   remake build/darwin/AppIcon.iconset from build/appicon.png
#                                with ImageMagick (any system; the PNGs are committed)
#
# libfido2 is bundled, not linked statically: Homebrew's libfido2 ships a static library,
# but its libcbor is built shared only (BUILD_SHARED_LIBS=ON), so a static link would still
# need a dylib. The app carries libfido2 and what it needs from Homebrew (libcbor, OpenSSL's
# libcrypto) in Contents/Frameworks, each renamed @rpath/<name>, with the executable's rpath
# @executable_path/../Frameworks; the build fails if any Homebrew path is left.
#
# Signing (README, "macOS"): MAC_SIGN_IDENTITY names a "Developer ID Application" identity
# in the keychain; the libraries, then the app, then the .dmg are signed with it, under the
# hardened runtime with build/darwin/entitlements.plist. Without it everything is signed ad
# hoc, which runs on the Mac that built it, and without the hardened runtime, whose library
# validation loads only libraries with the app's Team ID (an ad hoc signature has none).
# With MAC_NOTARY_PROFILE too (a `xcrun notarytool store-credentials` profile), the .dmg is
# notarised and the ticket stapled to it.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${VERSION:-0.1.0}
APP_NAME="NHS login passkeys"
EXE_NAME=nhs-passkeys
BIN_DIR=build/bin
APP="$BIN_DIR/$APP_NAME.app"
DMG="$BIN_DIR/nhs-passkeys-$VERSION.dmg"
# Go 1.26 itself needs macOS 12 Monterey; bundled libraries may need more (raised below).
MIN_MACOS=12.0
ICONSET=build/darwin/AppIcon.iconset
work=

die() {
	echo "$*" >&2
	exit 1
}

iconset() {
	command -v convert >/dev/null 2>&1 || die "ImageMagick's convert is needed to make the icon set."
	mkdir -p "$ICONSET"
	local size
	for size in 16 32 128 256 512; do
		# -strip and no date chunks: the same PNGs every time, so git sees no change.
		convert build/appicon.png -strip -define png:exclude-chunks=date,time -filter Lanczos \
			-resize "${size}x${size}" "PNG32:$ICONSET/icon_${size}x${size}.png"
		convert build/appicon.png -strip -define png:exclude-chunks=date,time -filter Lanczos \
			-resize "$((size * 2))x$((size * 2))" "PNG32:$ICONSET/icon_${size}x${size}@2x.png"
	done
	echo "made $ICONSET"
}

# needs_mac stops with a plain message anywhere but macOS.
needs_mac() {
	if [ "$(uname -s)" != Darwin ]; then
		die "make mac builds the macOS app, and only a Mac can do that: Wails draws the window with
Apple's Cocoa and WebKit, whose SDK comes with Xcode's command line tools on macOS.
This is $(uname -s). On this machine, \`make lint\` checks what of the macOS build it can
(GOOS=darwin go vet and go build without cgo); the hosted pipeline builds the app on macOS
(.github/workflows/platforms.yml)."
	fi
	local tool
	for tool in go npm xcrun iconutil codesign hdiutil install_name_tool otool plutil; do
		command -v "$tool" >/dev/null 2>&1 || die "$tool is needed: install Go, Node.js and Xcode's command line tools (xcode-select --install)."
	done
	if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists libfido2; then
		command -v brew >/dev/null 2>&1 || die "libfido2 and pkg-config are needed: install Homebrew (https://brew.sh), then run make mac again."
		echo "Installing libfido2 and pkg-config with Homebrew"
		brew install libfido2 pkg-config
	fi
}

# minos prints the lowest macOS a Mach-O file says it runs on.
minos() {
	otool -l "$1" | awk '
		$1 == "cmd" { cmd = $2 }
		cmd == "LC_BUILD_VERSION" && $1 == "minos" { print $2; exit }
		cmd == "LC_VERSION_MIN_MACOSX" && $1 == "version" { print $2; exit }'
}

# newer prints the newer of two dotted versions.
newer() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		n = split(a, x, "."); m = split(b, y, ".")
		for (i = 1; i <= (n > m ? n : m); i++) {
			if (x[i] + 0 > y[i] + 0) { print a; exit }
			if (x[i] + 0 < y[i] + 0) { print b; exit }
		}
		print a
	}'
}

# deps prints the libraries a Mach-O file links, without its own install name.
deps() {
	local self
	self=$(otool -D "$1" | sed -n 2p)
	otool -L "$1" | tail -n +2 | awk '{ print $1 }' | while read -r dep; do
		[ "$dep" = "$self" ] || echo "$dep"
	done
}

# bundle copies every library the executable needs from outside macOS itself into
# Contents/Frameworks and points each reference at @rpath/<name>.
bundle() {
	local exe=$1 frameworks=$2 work=$3
	local queue file dep name from
	mkdir -p "$frameworks" "$work/from"
	queue=$exe
	while [ -n "$queue" ]; do
		file=${queue%%$'\n'*}
		if [ "$file" = "$queue" ]; then queue=""; else queue=${queue#*$'\n'}; fi
		# Where this file came from, for its @loader_path references.
		from=$file
		[ -f "$work/from/$(basename "$file")" ] && from=$(cat "$work/from/$(basename "$file")")
		while read -r dep; do
			case $dep in
			/usr/lib/* | /System/*) continue ;;
			@loader_path/* | @rpath/*) dep=$(dirname "$from")/${dep#*/} ;;
			esac
			[ -f "$dep" ] || die "$file needs $dep, which is not there"
			name=$(basename "$dep")
			if [ ! -f "$frameworks/$name" ]; then
				cp -L "$dep" "$frameworks/$name"
				chmod u+w "$frameworks/$name"
				install_name_tool -id "@rpath/$name" "$frameworks/$name"
				echo "$dep" >"$work/from/$name"
				queue=${queue:+$queue$'\n'}$frameworks/$name
				echo "bundled $dep"
			fi
		done < <(deps "$file")
		# A second pass rewrites the references (install_name_tool needs their old text).
		while read -r dep; do
			case $dep in /usr/lib/* | /System/* | @rpath/*) continue ;; esac
			install_name_tool -change "$dep" "@rpath/$(basename "$dep")" "$file"
		done < <(deps "$file")
		while read -r dep; do
			case $dep in @loader_path/*) install_name_tool -change "$dep" "@rpath/$(basename "$dep")" "$file" ;; esac
		done < <(deps "$file")
	done
	install_name_tool -add_rpath "@executable_path/../Frameworks" "$exe"
}

# check_self_contained fails if any Mach-O in the app still points outside the app and macOS.
check_self_contained() {
	local f dep bad=0
	while IFS= read -r -d '' f; do
		file -b "$f" | grep -q Mach-O || continue
		while read -r dep; do
			case $dep in
			/usr/lib/* | /System/* | @rpath/*) ;;
			*)
				echo "$f still needs $dep" >&2
				bad=1
				;;
			esac
		done < <(deps "$f")
	done < <(find "$APP/Contents" -type f -print0)
	[ "$bad" -eq 0 ] || die "the app is not self-contained"
}

sign() {
	local identity=${MAC_SIGN_IDENTITY:-}
	local opts=(--force)
	if [ -n "$identity" ]; then
		opts+=(--timestamp --options runtime --sign "$identity")
	else
		echo "MAC_SIGN_IDENTITY is not set: signing ad hoc, for this Mac only"
		opts+=(--sign -)
	fi
	local lib
	for lib in "$APP/Contents/Frameworks"/*.dylib; do
		[ -e "$lib" ] || continue
		codesign "${opts[@]}" "$lib"
	done
	# The bundle last: this signs the executable with the entitlements and seals the rest.
	codesign "${opts[@]}" --entitlements build/darwin/entitlements.plist "$APP"
	codesign --verify --strict --verbose=2 "$APP"
}

app() {
	needs_mac
	make frontend
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT

	echo "Building $EXE_NAME for macOS $MIN_MACOS or newer on $(uname -m)"
	# Wails' own build adds UniformTypeIdentifiers (its file dialogs use UTType) and a
	# minimum macOS; the same flags here, with Go's minimum.
	CGO_ENABLED=1 MACOSX_DEPLOYMENT_TARGET=$MIN_MACOS \
		CGO_CFLAGS="${CGO_CFLAGS:-} -mmacosx-version-min=$MIN_MACOS" \
		CGO_LDFLAGS="${CGO_LDFLAGS:-} -framework UniformTypeIdentifiers -mmacosx-version-min=$MIN_MACOS" \
		go build -tags desktop,production -ldflags "-s -w" -o "$work/$EXE_NAME" .

	rm -rf "$APP"
	mkdir -p "$APP/Contents/MacOS" "$APP/Contents/Resources"
	cp "$work/$EXE_NAME" "$APP/Contents/MacOS/$EXE_NAME"
	cp build/darwin/Info.plist "$APP/Contents/Info.plist"
	iconutil -c icns "$ICONSET" -o "$APP/Contents/Resources/AppIcon.icns"
	bundle "$APP/Contents/MacOS/$EXE_NAME" "$APP/Contents/Frameworks" "$work"
	check_self_contained

	# The app runs only where every part of it does: Homebrew's libraries are built for the
	# macOS of the Mac that built them.
	local min=$MIN_MACOS f v
	while IFS= read -r -d '' f; do
		file -b "$f" | grep -q Mach-O || continue
		v=$(minos "$f")
		[ -n "$v" ] && min=$(newer "$min" "$v")
	done < <(find "$APP/Contents" -type f -print0)
	[ "$min" = "$MIN_MACOS" ] || echo "A bundled library needs macOS $min, so the app says it needs macOS $min"
	plutil -replace CFBundleVersion -string "$VERSION" "$APP/Contents/Info.plist"
	plutil -replace CFBundleShortVersionString -string "$VERSION" "$APP/Contents/Info.plist"
	plutil -replace LSMinimumSystemVersion -string "$min" "$APP/Contents/Info.plist"
	plutil -lint "$APP/Contents/Info.plist"

	sign
	# It starts: every library it links is found inside the app (dyld stops it otherwise).
	"$APP/Contents/MacOS/$EXE_NAME" --help >/dev/null 2>&1 || die "$APP/Contents/MacOS/$EXE_NAME --help failed"

	mkdir -p "$work/dmg"
	cp -R "$APP" "$work/dmg/"
	ln -s /Applications "$work/dmg/Applications"
	rm -f "$DMG"
	# hdiutil now and then finds its new volume still busy ("Resource busy"): try again.
	local try
	for try in 1 2 3; do
		hdiutil create -volname "$APP_NAME" -srcfolder "$work/dmg" -ov -format UDZO "$DMG" && break
		[ "$try" -lt 3 ] || die "hdiutil could not make $DMG"
		sleep 5
	done
	if [ -n "${MAC_SIGN_IDENTITY:-}" ]; then
		codesign --force --timestamp --sign "$MAC_SIGN_IDENTITY" "$DMG"
		if [ -n "${MAC_NOTARY_PROFILE:-}" ]; then
			xcrun notarytool submit "$DMG" --keychain-profile "$MAC_NOTARY_PROFILE" --wait
			xcrun stapler staple "$DMG"
			xcrun stapler validate "$DMG"
		fi
	fi
	ls -l "$DMG"
	du -sh "$APP"
}

case "${1:-app}" in
app) app ;;
iconset) iconset ;;
*) die "usage: scripts/mac-app.sh [app|iconset]" ;;
esac

#!/usr/bin/env bash
# make bench-desktop: the desktop app against its floor, a bare Wails page (issue #21, item 1).
# The bare page (internal/benchfixture/bare) is built with the same Wails version, build tags
# and window options as the app, and logs the same line at DOM ready. Runs alternate (bare,
# app, bare, app, ...), RUNS of each (default 5), so that the machine's load falls on both
# alike. Each run is timed from the start of the process to the first page's DOM ready, and
# after SETTLE seconds (default 3) the PSS of the process and every process under it (WebKit's
# web and network processes) is read from /proc/PID/smaps_rollup. PSS, not RSS: the shared
# libraries (GTK, WebKit) are counted once across the processes, as the machine pays for them.
# Then the binary and frontend sizes, and as the last two lines the medians as ratios:
#   desktop launch: N.NNx bare
#   desktop PSS: N.NNx bare
# Needs build/bin/nhs-passkeys (make build), build/bin/bench-bare (the Makefile's rule), Xvfb
# and dbus-run-session. It is a benchmark: `make test` does not run it.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-build/bin/nhs-passkeys}
BARE=${BARE:-build/bin/bench-bare}
RUNS=${RUNS:-5}
SETTLE=${SETTLE:-3}
[ -x "$BIN" ] || { echo "no $BIN: run make build first" >&2; exit 1; }
[ -x "$BARE" ] || { echo "no $BARE: run make bench-desktop (it builds it)" >&2; exit 1; }

tmp=$(mktemp -d)
xvfb_pid=
cleanup() {
	if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
if [ -z "${DISPLAY:-}" ]; then
	export DISPLAY=:97
	Xvfb "$DISPLAY" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
	xvfb_pid=$!
	sleep 1
fi

descendants() {
	local p
	for p in $(pgrep -P "$1" || true); do echo "$p"; descendants "$p"; done
}
mem_of() { # prints "rss_kB pss_kB" summed over the PIDs given
	local rss=0 pss=0 p r s
	for p in "$@"; do
		r=$(awk '/^Rss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
		s=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
		rss=$((rss + ${r:-0})); pss=$((pss + ${s:-0}))
	done
	echo "$rss $pss"
}
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mib() { echo "scale=1; $1 / 1024" | bc; }

# run KIND I: one launch of the bare page or the app; appends to KIND's times and PSS, and
# prints the memory table of the last run of each.
declare -A times=([bare]="" [app]="") psss=([bare]="" [app]="")
run() {
	local kind=$1 i=$2 log="$tmp/$1$2.log" exe name start ready bus pid
	case $kind in
	bare) exe=(env "$BARE") ;;
	app) exe=(env NHS_PASSKEYS_DEBUG=1 "$BIN" --data-dir "$tmp/data$i") ;;
	esac
	case $kind in
	bare) name=$BARE ;;
	app) name=$BIN ;;
	esac
	start=$(date +%s%N)
	dbus-run-session -- "${exe[@]}" >"$log" 2>&1 &
	bus=$!
	ready=
	while (( $(date +%s%N) - start < 60000000000 )); do # up to 60 s
		if grep -q "page loaded in the window" "$log"; then ready=$(date +%s%N); break; fi
		sleep 0.005
	done
	[ -n "$ready" ] || { echo "$kind run $i: the page never loaded:" >&2; cat "$log" >&2; exit 1; }
	times[$kind]+=" $(( (ready - start) / 1000000 ))"
	sleep "$SETTLE"
	pid=$(pgrep -P "$bus" -x "$(basename "$name" | cut -c1-15)" || true)
	[ -n "$pid" ] || { echo "$kind run $i: its process is gone:" >&2; cat "$log" >&2; exit 1; }
	mapfile -t all < <(echo "$pid"; descendants "$pid")
	read -r r s < <(mem_of "${all[@]}")
	psss[$kind]+=" $s"
	if [ "$i" = "$RUNS" ]; then
		echo "== $kind: memory after ${SETTLE} s, last run (from /proc/PID/smaps_rollup)"
		printf '%-26s %10s %10s\n' process "RSS MiB" "PSS MiB"
		for p in "${all[@]}"; do
			read -r pr ps < <(mem_of "$p")
			printf '%-26s %10s %10s\n' "$(cat "/proc/$p/comm" 2>/dev/null)[$p]" "$(mib "$pr")" "$(mib "$ps")"
		done
		printf '%-26s %10s %10s\n' total "$(mib "$r")" "$(mib "$s")"
	fi
	kill -TERM "$pid" 2>/dev/null || true
	wait "$bus" 2>/dev/null || true
}

for i in $(seq "$RUNS"); do
	run bare "$i"
	run app "$i"
done

# shellcheck disable=SC2086 # the lists are words on purpose
{
	bare_t=$(median ${times[bare]}); app_t=$(median ${times[app]})
	bare_p=$(median ${psss[bare]}); app_p=$(median ${psss[app]})
}
echo
echo "== Launch to DOM ready (ms): bare${times[bare]}; app${times[app]}"
echo "== PSS after ${SETTLE} s (MiB): bare $(for p in ${psss[bare]}; do printf ' %s' "$(mib "$p")"; done); app $(for p in ${psss[app]}; do printf ' %s' "$(mib "$p")"; done)"
echo "== Medians: bare ${bare_t} ms, $(mib "${bare_p%.*}") MiB PSS; app ${app_t} ms, $(mib "${app_p%.*}") MiB PSS"
echo "== Binary $BIN: $(( $(stat -c %s "$BIN") / 1024 )) KiB; $BARE: $(( $(stat -c %s "$BARE") / 1024 )) KiB"
js=0; css=0
# The build stores scripts and styles gzipped at level 9 (frontend/scripts/compress-dist.mjs).
for f in frontend/dist/assets/*.js.gz; do js=$((js + $(stat -c %s "$f"))); done
for f in frontend/dist/assets/*.css.gz; do css=$((css + $(stat -c %s "$f"))); done
echo "== Frontend gzip -9, every chunk: JS $((js / 1024)) KiB, CSS $((css / 1024)) KiB, total $(((js + css) / 1024)) KiB"
# What a patient's first page loads (the rest is loaded when first opened): the build's own check.
node frontend/scripts/check-start-size.mjs | sed 's/^/== /'
echo "desktop launch: $(echo "scale=4; $app_t / $bare_t" | bc | xargs printf '%.2f')x bare"
echo "desktop PSS: $(echo "scale=4; $app_p / $bare_p" | bc | xargs printf '%.2f')x bare"

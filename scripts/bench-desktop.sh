#!/usr/bin/env bash
# make bench-desktop: the desktop app under Xvfb: launch to the first page's DOM ready (median
# of RUNS, default 5), memory of the app and its WebKit processes after settling, binary size,
# and the gzipped size of the frontend's JS and CSS. Needs build/bin/nhs-passkeys (make build),
# Xvfb and dbus-run-session.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-build/bin/nhs-passkeys}
RUNS=${RUNS:-5}
SETTLE=${SETTLE:-5}
[ -x "$BIN" ] || { echo "no $BIN: run make build first" >&2; exit 1; }

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

# The app's own PID (a child of dbus-run-session) and every process under it.
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

times=()
for i in $(seq "$RUNS"); do
	log="$tmp/run$i.log"
	start=$(date +%s%N)
	NHS_PASSKEYS_DEBUG=1 dbus-run-session -- "$BIN" --data-dir "$tmp/data$i" >"$log" 2>&1 &
	bus=$!
	ready=
	for _ in $(seq 3000); do # up to 30 s
		if grep -q "page loaded in the window" "$log"; then ready=$(date +%s%N); break; fi
		sleep 0.01
	done
	[ -n "$ready" ] || { echo "run $i: the page never loaded:" >&2; cat "$log" >&2; exit 1; }
	times+=($(( (ready - start) / 1000000 )))
	app=$(pgrep -P "$bus" -x nhs-passkeys || true)
	if [ "$i" = "$RUNS" ]; then
		sleep "$SETTLE"
		echo "== Memory after ${SETTLE} s (from /proc/PID/smaps_rollup)"
		printf '%-26s %10s %10s\n' process "RSS MiB" "PSS MiB"
		mapfile -t all < <(echo "$app"; descendants "$app")
		for p in "${all[@]}"; do
			read -r r s < <(mem_of "$p")
			printf '%-26s %10.1f %10.1f\n' "$(cat "/proc/$p/comm")[$p]" "$(echo "$r/1024" | bc -l)" "$(echo "$s/1024" | bc -l)"
		done
		read -r r s < <(mem_of "${all[@]}")
		printf '%-26s %10.1f %10.1f\n' total "$(echo "$r/1024" | bc -l)" "$(echo "$s/1024" | bc -l)"
	fi
	kill -TERM "$app" 2>/dev/null || true
	wait "$bus" 2>/dev/null || true
done

mapfile -t sorted < <(printf '%s\n' "${times[@]}" | sort -n)
echo
echo "== Launch to DOM ready (ms): ${times[*]}; median ${sorted[$((RUNS / 2))]} ms"
echo "== Binary $BIN: $(( $(stat -c %s "$BIN") / 1024 )) KiB"
js=0; css=0
for f in frontend/dist/assets/*.js; do js=$((js + $(gzip -9 -c "$f" | wc -c))); done
for f in frontend/dist/assets/*.css; do css=$((css + $(gzip -9 -c "$f" | wc -c))); done
echo "== Frontend gzip -9: JS $((js / 1024)) KiB, CSS $((css / 1024)) KiB, total $(((js + css) / 1024)) KiB"

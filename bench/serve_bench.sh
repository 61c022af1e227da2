#!/usr/bin/env bash
# Benchmarks `prereg serve` against a plain Node http server (node-baseline-server.js) on the same
# Hook+Action flow, with wrk, in one run: peak requests/s for both, then latency at half of each
# one's peak. Usage: bench/serve_bench.sh [BUILD_DIR] [SECONDS]   (default build-rel, 10)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build-rel}"
seconds="${2:-10}"
workers=2
connections=32
prereg="$build/prereg"
[ -x "$prereg" ] || { echo "build prereg first: cmake --build $build --target prereg" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

echo bench-token > "$tmp/tokens"
p_port=$(free_port)
"$prereg" serve --flow bench/bench-flow.json --token-file "$tmp/tokens" --workers $workers \
  --queue 256 --listen "127.0.0.1:$p_port" > /dev/null 2> "$tmp/serve.err" &
p_pid=$!
b_port=$(free_port)
node bench/node-baseline-server.js "$b_port" $workers &
b_pid=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$p_port/readyz" >/dev/null && curl -s -o /dev/null "http://127.0.0.1:$b_port/" && break
  sleep 0.1
done

url_p="http://127.0.0.1:$p_port/v1/pre-user-registration"
url_b="http://127.0.0.1:$b_port/v1/pre-user-registration"
# CPU time (clock ticks, user + system) the given processes have used so far; 0 for none.
ticks() {
  local p t=0
  for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  echo "$t"
}
children() { pgrep -P "$1" | tr '\n' ' '; }
hz=$(getconf CLK_TCK)
# Prints "rps p50_ms p99_ms" for one wrk run. With a server pid as third argument, also writes
# the CPU each part used per request, in microseconds ("server workers wrk"), to $tmp/cpu.
run() {
  local url=$1 rate=$2 pid=${3:-}
  local server0=0 kids0=0 kids=""
  if [ -n "$pid" ]; then
    kids=$(children "$pid")
    server0=$(ticks "$pid"); kids0=$(ticks $kids)
  fi
  TIMEFORMAT="%U %S"
  { time RATE=$rate CONNECTIONS=$connections wrk -t1 -c$connections -d"${seconds}s" --latency \
      -s bench/wrk-post.lua "$url" > "$tmp/wrk.out"; } 2> "$tmp/wrk.time"
  if [ -n "$pid" ]; then
    local server1 kids1 requests
    server1=$(ticks "$pid"); kids1=$(ticks $kids)
    requests=$(awk '/requests in/ { print $1 }' "$tmp/wrk.out")
    awk -v s=$((server1 - server0)) -v k=$((kids1 - kids0)) -v n="$requests" -v hz="$hz" \
      '{ w = $1 + $2 } END { printf "%.0f %.0f %.0f\n", s / hz * 1e6 / n, k / hz * 1e6 / n, w * 1e6 / n }' \
      "$tmp/wrk.time" > "$tmp/cpu"
  fi
  awk '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    /Requests\/sec/ { rps=$2 }
    /^ +50%/ { p50=ms($2) }
    /^ +99%/ { p99=ms($2) }
    /Non-2xx/ { bad=$4 }
    END { printf "%.0f %.2f %.2f\n", rps, p50, p99 }' "$tmp/wrk.out"
}
run "$url_p" 0 > /dev/null  # warm-up
run "$url_b" 0 > /dev/null
run "$url_p" 0 "$p_pid" > "$tmp/peak"; read -r p_peak p_p50 p_p99 < "$tmp/peak"
read -r p_cpu_server p_cpu_workers p_cpu_wrk < "$tmp/cpu"
run "$url_b" 0 "$b_pid" > "$tmp/peak"; read -r b_peak b_p50 b_p99 < "$tmp/peak"
read -r b_cpu_server b_cpu_workers b_cpu_wrk < "$tmp/cpu"
read -r p_half_rps p_half_p50 p_half_p99 < <(run "$url_p" $((p_peak / 2)))
read -r b_half_rps b_half_p50 b_half_p99 < <(run "$url_b" $((b_peak / 2)))

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); node $(node --version)"
echo "flow: Hook + Action; $workers workers (baseline: $workers cluster processes); wrk -t1 -c$connections, ${seconds}s per run"
printf "%-18s %10s %9s %9s | %12s %9s %9s\n" "" "peak rps" "p50 ms" "p99 ms" "half-peak rps" "p50 ms" "p99 ms"
printf "%-18s %10s %9s %9s | %12s %9s %9s\n" "prereg serve" "$p_peak" "$p_p50" "$p_p99" "$p_half_rps" "$p_half_p50" "$p_half_p99"
printf "%-18s %10s %9s %9s | %12s %9s %9s\n" "node http baseline" "$b_peak" "$b_p50" "$b_p99" "$b_half_rps" "$b_half_p50" "$b_half_p99"
awk -v p="$p_peak" -v b="$b_peak" 'BEGIN { printf "ratio prereg/baseline (peak rps): %.2f   target >= 1.0\n", p / b }'
echo "CPU per request at peak, microseconds (where the cores went):"
printf "%-18s %10s %9s %9s %9s\n" "" "server" "workers" "wrk" "total"
printf "%-18s %10s %9s %9s %9s\n" "prereg serve" "$p_cpu_server" "$p_cpu_workers" "$p_cpu_wrk" \
  $((p_cpu_server + p_cpu_workers + p_cpu_wrk))
printf "%-18s %10s %9s %9s %9s\n" "node http baseline" "$b_cpu_server" "$b_cpu_workers" "$b_cpu_wrk" \
  $((b_cpu_server + b_cpu_workers + b_cpu_wrk))
echo "  (prereg: server = the service process, workers = its Node workers; baseline: server = the"
echo "   cluster primary, workers = the cluster processes that serve)"
echo "p99 at half of peak, prereg: $p_half_p99 ms   target <= 5 ms"

#!/usr/bin/env bash
# Benchmarks `prereg serve` against two Node servers running the same Hook+Action flow, with wrk,
# in one run, alternating:
#   in-process  node-baseline-server.js: Node's http in cluster processes, the scripts in-process,
#               no isolation at all — the limit;
#   isolated    node-isolated-server.js: one http process, the scripts in child processes over
#               Node's IPC, one execution per child at a time, killed past the budget — what a Node
#               developer would write to isolate them.
# Each round measures the peak of all three; then each runs at half of prereg's median peak for
# latency. Every answer is checked (wrk-post.lua): a wrong or failed one is counted and printed.
# Usage: bench/serve_bench.sh [BUILD_DIR] [SECONDS] [ROUNDS]   (default build-rel, 10, 3)
# PREREG_ARGS adds options to `prereg serve` (say PREREG_ARGS="--worker-concurrency 1").
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build-rel}"
seconds="${2:-10}"
rounds="${3:-3}"
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
# shellcheck disable=SC2086
"$prereg" serve --flow bench/bench-flow.json --token-file "$tmp/tokens" --workers $workers \
  --queue 256 --listen "127.0.0.1:$p_port" ${PREREG_ARGS:-} > /dev/null 2> "$tmp/serve.err" &
pid_prereg=$!
b_port=$(free_port)
node bench/node-baseline-server.js "$b_port" $workers &
pid_inproc=$!
i_port=$(free_port)
node bench/node-isolated-server.js "$i_port" $workers &
pid_isolated=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$p_port/readyz" >/dev/null && curl -s -o /dev/null "http://127.0.0.1:$b_port/" &&
    curl -s -o /dev/null "http://127.0.0.1:$i_port/" && break
  sleep 0.1
done
declare -A url=(
  [prereg]="http://127.0.0.1:$p_port/v1/pre-user-registration"
  [inproc]="http://127.0.0.1:$b_port/v1/pre-user-registration"
  [isolated]="http://127.0.0.1:$i_port/v1/pre-user-registration"
)
declare -A pid=([prereg]=$pid_prereg [inproc]=$pid_inproc [isolated]=$pid_isolated)
servers="prereg isolated inproc"

# CPU time (clock ticks, user + system) the given processes have used so far; 0 for none.
ticks() {
  local p t=0
  for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  echo "$t"
}
# Times the given processes have gone to sleep so far (voluntary context switches): each is a
# wake-up later, the cost that batched hand-offs exist to save.
sleeps() {
  local p t=0
  for p in "$@"; do
    t=$((t + $(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
children() { pgrep -P "$1" | tr '\n' ' '; }
hz=$(getconf CLK_TCK)
# Prints "rps p50_ms p99_ms wrong cpu_server cpu_children cpu_wrk sleeps_server sleeps_children"
# for one wrk run of server $1 at rate $2 (0: as fast as it goes); CPU in microseconds per request,
# sleeps per request.
run() {
  local name=$1 rate=$2 p kids server0 kids0 server1 kids1 requests sleeps0 ksleeps0
  p=${pid[$name]}
  kids=$(children "$p")
  server0=$(ticks "$p"); kids0=$(ticks $kids); sleeps0=$(sleeps "$p"); ksleeps0=$(sleeps $kids)
  TIMEFORMAT="%U %S"
  { time RATE=$rate CONNECTIONS=$connections wrk -t1 -c$connections -d"${seconds}s" --latency \
      -s bench/wrk-post.lua "${url[$name]}" > "$tmp/wrk.out"; } 2> "$tmp/wrk.time"
  server1=$(ticks "$p"); kids1=$(ticks $kids)
  local sleeps_s=$(($(sleeps "$p") - sleeps0)) sleeps_k=$(($(sleeps $kids) - ksleeps0))
  requests=$(awk '/requests in/ { print $1 }' "$tmp/wrk.out")
  read -r cpu_s cpu_k cpu_w < <(awk -v s=$((server1 - server0)) -v k=$((kids1 - kids0)) \
    -v n="$requests" -v hz="$hz" \
    '{ w = $1 + $2 } END { printf "%.0f %.0f %.0f\n", s / hz * 1e6 / n, k / hz * 1e6 / n, w * 1e6 / n }' \
    "$tmp/wrk.time")
  awk -v cs="$cpu_s" -v ck="$cpu_k" -v cw="$cpu_w" -v ss="$sleeps_s" -v sk="$sleeps_k" -v n="$requests" '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    /Requests\/sec/ { rps=$2 }
    /^ +50%/ { p50=ms($2) }
    /^ +99%/ { p99=ms($2) }
    /^wrong / { wrong=$2 }
    END { printf "%.0f %.2f %.2f %d %s %s %s %.2f %.2f\n", rps, p50, p99, wrong, cs, ck, cw, ss / n, sk / n }' "$tmp/wrk.out"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$1" '{ print $c }'; }

for s in $servers; do run "$s" 0 > /dev/null; done  # warm-up
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); node $(node --version)"
echo "flow: Hook + Action; $workers workers per script (baselines: $workers processes); wrk -t1 -c$connections, ${seconds}s per run, $rounds rounds"
echo "prereg serve options: --workers $workers --queue 256 ${PREREG_ARGS:-}"
printf "%-6s %-9s %9s %8s %8s %6s | %s | %s\n" round server "peak rps" "p50 ms" "p99 ms" wrong \
  "CPU us/request: server children wrk" "sleeps/request: server children"
for r in $(seq "$rounds"); do
  for s in $servers; do
    run "$s" 0 > "$tmp/out"
    read -r rps p50 p99 wrong cs ck cw ss sk < "$tmp/out"
    echo "$rps $p50 $p99 $wrong $cs $ck $cw $ss $sk" >> "$tmp/peak.$s"
    printf "%-6s %-9s %9s %8s %8s %6s | %s %s %s | %s %s\n" "$r" "$s" "$rps" "$p50" "$p99" "$wrong" \
      "$cs" "$ck" "$cw" "$ss" "$sk"
  done
done
half=$(( $(col 1 < "$tmp/peak.prereg" | median | cut -d. -f1) / 2 ))
echo "at half of prereg's median peak: $half requests/s"
for r in $(seq "$rounds"); do
  for s in $servers; do
    run "$s" "$half" > "$tmp/out"
    read -r rps p50 p99 wrong _ < "$tmp/out"
    echo "$rps $p50 $p99 $wrong" >> "$tmp/half.$s"
    printf "%-6s %-9s %9s %8s %8s %6s\n" "$r" "$s" "$rps" "$p50" "$p99" "$wrong"
  done
done

echo "medians:"
printf "%-9s %9s %8s %8s | %10s %8s %8s | %s | %s\n" server "peak rps" "p50 ms" "p99 ms" "half rps" "p50 ms" "p99 ms" \
  "CPU us/request at peak: server children wrk" "sleeps/request: server children"
for s in $servers; do
  printf "%-9s %9s %8s %8s | %10s %8s %8s | %s %s %s | %s %s\n" "$s" \
    "$(col 1 < "$tmp/peak.$s" | median)" "$(col 2 < "$tmp/peak.$s" | median)" "$(col 3 < "$tmp/peak.$s" | median)" \
    "$(col 1 < "$tmp/half.$s" | median)" "$(col 2 < "$tmp/half.$s" | median)" "$(col 3 < "$tmp/half.$s" | median)" \
    "$(col 5 < "$tmp/peak.$s" | median)" "$(col 6 < "$tmp/peak.$s" | median)" "$(col 7 < "$tmp/peak.$s" | median)" \
    "$(col 8 < "$tmp/peak.$s" | median)" "$(col 9 < "$tmp/peak.$s" | median)"
done
wrong_total=$(cat "$tmp"/peak.* "$tmp"/half.* | awk '{ n += $4 } END { print n }')
p=$(col 1 < "$tmp/peak.prereg" | median)
awk -v p="$p" -v i="$(col 1 < "$tmp/peak.isolated" | median)" -v b="$(col 1 < "$tmp/peak.inproc" | median)" \
    -v h="$(col 3 < "$tmp/half.prereg" | median)" -v w="$wrong_total" 'BEGIN {
  printf "ratio prereg / isolated Node (peak rps):   %.2f   target >= 1.5\n", p / i
  printf "ratio prereg / in-process Node (peak rps): %.2f   target >= 0.5\n", p / b
  printf "prereg p99 at half of its peak:            %.2f ms   target <= 5 ms\n", h
  printf "wrong or failed answers, all servers:      %d   target 0\n", w
}'
[ "$wrong_total" -eq 0 ]

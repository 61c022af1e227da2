#!/usr/bin/env bash
# Counts the instructions `prereg serve` runs per sign-up of the benchmark's flow, under
# callgrind: the same count for the same binary and load whatever else the machine is doing
# (within about 0.2% here), where requests/s moved by 40% between runs of one binary. It counts
# the service's own code only: not the kernel's part, and not the Node workers. Use it to tell a
# change to the service's path from noise; bench/serve_bench.sh remains the measure of speed.
#   bench/service_instructions.sh BUILD_DIR [BASE_BUILD_DIR]   (default build-rel; N=2000)
# With a base, prints both counts and their ratio. `TOP=K` also prints the K functions that cost
# most (their own instructions, callgrind_annotate).
set -euo pipefail
cd "$(dirname "$0")/.."
builds=("${1:-build-rel}")
if [ $# -ge 2 ]; then builds+=("$2"); fi
signups="${N:-2000}"
connections=8
for b in "${builds[@]}"; do
  [ -x "$b/prereg" ] || { echo "build prereg first: cmake --build $b --target prereg" >&2; exit 1; }
done
for tool in valgrind callgrind_control callgrind_annotate python3 curl; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (valgrind: apt-get install valgrind)" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
echo bench-token > "$tmp/tokens"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Sends COUNT sign-ups over `connections` keep-alive connections; fails unless each is allowed.
post() {
  python3 - "$1" "$2" "$connections" <<'EOF'
import http.client, re, sys, threading
port, count, conns = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
body = re.search(r"wrk\.body = '(.*)'", open('bench/wrk-post.lua').read()).group(1)
headers = {'Content-Type': 'application/json', 'Authorization': 'Bearer bench-token'}
wrong = []
def run(n):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=120)
    for _ in range(n):
        c.request('POST', '/v1/pre-user-registration', body, headers)
        r = c.getresponse()
        text = r.read()
        if r.status != 200 or b'"outcome":"allow"' not in text:
            wrong.append(r.status)
threads = [threading.Thread(target=run, args=(count // conns,)) for _ in range(conns)]
for t in threads: t.start()
for t in threads: t.join()
if wrong:
    sys.exit(f'{len(wrong)} of {count} sign-ups were not allowed (statuses {sorted(set(wrong))})')
EOF
}

# Instructions per sign-up of one build; collection is on only while the counted sign-ups run.
count() {
  local build=$1 out=$2 port pid
  port=$(free_port)
  valgrind --tool=callgrind --callgrind-out-file="$out" --instr-atstart=no \
    "$build/prereg" serve --flow bench/bench-flow.json --token-file "$tmp/tokens" --workers 2 \
    --queue 256 --listen "127.0.0.1:$port" > /dev/null 2> "$tmp/valgrind.err" &
  pid=$!
  for _ in $(seq 300); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
    sleep 0.2
  done
  # Warm first (workers started, allocator and caches settled); a wrong answer stops the run,
  # and the service with it.
  post "$port" 200 || { kill "$pid"; wait "$pid" 2>/dev/null; exit 1; }
  callgrind_control -i on "$pid" > /dev/null 2>&1
  post "$port" "$signups" || { kill "$pid"; wait "$pid" 2>/dev/null; exit 1; }
  callgrind_control -i off "$pid" > /dev/null 2>&1
  kill -INT "$pid"
  wait "$pid" 2>/dev/null || true
  local total
  total=$(awk '/^totals:/ { print $2; exit }' "$out")
  echo $((total / (signups / connections * connections)))
}

declare -a per
for i in "${!builds[@]}"; do
  per[i]=$(count "${builds[i]}" "$tmp/cg.$i") || exit 1
  echo "${builds[i]}: ${per[i]} instructions per sign-up (service only, $signups sign-ups)"
  if [ "${TOP:-0}" -gt 0 ]; then
    callgrind_annotate "$tmp/cg.$i" 2>/dev/null | grep -E '^ *[0-9,]+ \(' | sed -n "2,$((TOP + 1))p" |
      cut -c1-160
  fi
done
if [ ${#builds[@]} -eq 2 ]; then
  python3 -c "print(f'ratio ${builds[0]} / ${builds[1]}: {${per[0]} / ${per[1]}:.3f}')"
fi

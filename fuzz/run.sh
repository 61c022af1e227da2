#!/usr/bin/env bash
# Builds the libFuzzer targets with clang, ASan and UBSan (in build-fuzz/), then runs each for
# SECONDS (default 30), two at a time, starting from the seed corpus in fuzz/corpus/. What the
# fuzzer finds goes to build-fuzz/findings/<target>/ (the grown corpus) and a crashing input to
# build-fuzz/crashes/; the script exits 1 if any target crashed.
#   bash fuzz/run.sh [SECONDS] [TARGET...]     targets: event flow_file worker_reply http_routes
#                                                       cache_uri metadata tenant_yaml json_fast
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true
targets=("$@")
((${#targets[@]})) || targets=(event flow_file worker_reply http_routes cache_uri metadata tenant_yaml json_fast)

bash scripts/install-packages.sh clang libclang-rt-14-dev
build=build-fuzz
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPREREG_BUILD_FUZZERS=ON -DPREREG_BUILD_TESTS=OFF -DPREREG_BUILD_BENCHMARKS=OFF \
  -DPREREG_WERROR=ON -DPREREG_SANITIZE=address,undefined >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/%/_fuzzer}"

mkdir -p "$build/crashes"
run_one() {
  local target=$1 seconds=$2 build=$3
  mkdir -p "$build/findings/$target"
  if "$build/fuzz/${target}_fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$build/crashes/$target-" \
       "$build/findings/$target" "fuzz/corpus/$target" >"$build/findings/$target.log" 2>&1; then
    echo "fuzz $target: ok ($(grep -o 'stat::number_of_executed_units: *[0-9]*' \
      "$build/findings/$target.log" | grep -o '[0-9]*$') runs in ${seconds} s)"
  else
    echo "fuzz $target: FAILED; see $build/findings/$target.log and $build/crashes/"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$build/findings/$target.log" | head -5
    return 1
  fi
}
export -f run_one
printf '%s\n' "${targets[@]}" | xargs -P 2 -I{} bash -c 'run_one "$@"' _ {} "$seconds" "$build"

#!/usr/bin/env bash
# The test command: installs what is missing, configures, builds and runs every test.
# Usage: scripts/test.sh [--sanitize] [ctest args...]
#   --sanitize   a separate AddressSanitizer+UndefinedBehaviorSanitizer build (build-asan/),
#                running the unit tests only (label "unit").
# Environment: BUILD_DIR (default build/), CI=true turns warnings into errors.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

sanitize=0
if [[ "${1:-}" == "--sanitize" ]]; then sanitize=1; shift; fi

scripts/setup.sh

werror=OFF
[[ "${CI:-}" == "true" ]] && werror=ON
jobs=$(nproc)

if [[ $sanitize -eq 1 ]]; then
  build=${BUILD_DIR:-build-asan}
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DELMO_SANITIZE=ON \
        -DELMO_WERROR=$werror -DELMO_BUILD_BENCH=OFF
  cmake --build "$build" -j "$jobs"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  ctest --test-dir "$build" --output-on-failure -j "$jobs" -L unit "$@"
else
  build=${BUILD_DIR:-build}
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DELMO_WERROR=$werror
  cmake --build "$build" -j "$jobs"
  ctest --test-dir "$build" --output-on-failure -j "$jobs" "$@"
fi

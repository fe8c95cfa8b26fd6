#!/usr/bin/env bash
# The demo: installs what is missing, builds the replay tools, replays a slice of the Higgs
# Twitter trace (July 2012) on a simulated 1,500-node elmo network and on a local 16-node real
# cluster, then prints a summary table and where the plots are. About 10 minutes on 2 cores.
#
# Usage: scripts/demo.sh [--sim-only] [--nodes N] [--cluster-nodes N] [--trace FILE]
# The two replays run side by side (the cluster's in real time, the simulation's in virtual time).
# Environment: BUILD_DIR (build/), OUT (./demo-report), JOBS (nproc).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

sim_only=0
nodes=1500
cluster_nodes=16
trace=traces/data/higgs-demo.trace.gz
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sim-only) sim_only=1 ;;
    --nodes) nodes=$2; shift ;;
    --cluster-nodes) cluster_nodes=$2; shift ;;
    --trace) trace=$2; shift ;;
    -h|--help) sed -n 2,9p "$0"; exit 0 ;;
    *) echo "demo: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
build=${BUILD_DIR:-build}
out=${OUT:-$root/demo-report}
jobs=${JOBS:-$(nproc)}
t_start=$SECONDS
step() { printf '\n== [%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

step "packages"
scripts/setup.sh

step "build (elmo-trace, elmo-replay, elmod) in $build"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DELMO_BUILD_BENCH=OFF > /dev/null
targets=(elmo-trace elmo-replay)
[[ $sim_only -eq 0 ]] && targets+=(elmod)
cmake --build "$build" -j "$jobs" --target "${targets[@]}"
bin=$build/traces

# The bundled slice (traces/data/README.md says how it was made); regenerated from the data set
# next to the clone if it is missing.
if [[ ! -f "$trace" ]]; then
  data=$root/../shared/data/twitter-higgs
  [[ -d "$data" ]] || { echo "demo: no $trace and no $data to make it from" >&2; exit 1; }
  step "making $trace from $data"
  "$bin/elmo-trace" import-higgs --data "$data" --out "$trace" --from 1341383400 --to 1341383700 \
    --speedup 2 --max-clients 3000 --lead-s 30 --online-s 240 --offline-s 120 --nodes 1500
fi
"$bin/elmo-trace" stats "$trace" | grep -E '^(clients|topics|subscriptions|publications|time)'

# The real cluster replays in real time (about 4 minutes) and needs little CPU, so it runs in
# the background while the simulation (CPU-bound, virtual time) runs in the foreground.
cluster_pid=""
if [[ $sim_only -eq 0 ]]; then
  step "starting a local $cluster_nodes-node cluster (real elmod processes, plain TCP on loopback)"
  export CLUSTER_DIR=$out/cluster-nodes BASE_PORT=${BASE_PORT:-25000}
  rm -rf "$CLUSTER_DIR" "$out/cluster"
  mkdir -p "$out"
  ELMOD=$root/$build/node/daemon/elmod scripts/cluster.sh start "$cluster_nodes" -- --plain-tcp > /dev/null
  trap 'scripts/cluster.sh stop > /dev/null 2>&1 || true' EXIT
  eps="" admins=""
  for ((i = 0; i < cluster_nodes; i++)); do
    eps+="${eps:+,}127.0.0.1:$((BASE_PORT + 10 * i))"  # client port = UDP port number (cluster.sh)
    admins+="${admins:+,}127.0.0.1:$((BASE_PORT + 10 * i + 2))"
  done
  echo "cluster replay in the background: log $out/cluster.log, progress $out/cluster.progress"
  "$bin/elmo-replay" "$trace" --cluster "$eps" --admin "$admins" --plain-tcp --warmup-s 10 \
    --drain-s 60 --out "$out/cluster" > "$out/cluster.log" 2> "$out/cluster.progress" &
  cluster_pid=$!
fi

step "replay on a simulated $nodes-node network"
rm -rf "$out/sim"
mkdir -p "$out"
"$bin/elmo-replay" "$trace" --sim --nodes "$nodes" --warmup-s 30 --drain-s 60 --out "$out/sim" \
  > "$out/sim.log" || { tail -20 "$out/sim.log"; exit 1; }
tail -7 "$out/sim.log"

if [[ -n $cluster_pid ]]; then
  step "waiting for the cluster replay ($(tail -1 "$out/cluster.progress" 2>/dev/null | cut -c1-60))"
  wait "$cluster_pid" || { tail -20 "$out/cluster.log" "$out/cluster.progress"; exit 1; }
  tail -7 "$out/cluster.log"
  scripts/cluster.sh stop > /dev/null 2>&1 || true
  trap - EXIT
fi

# ---- summary ----
val() {  # file key -> value from the one-line summary.json
  grep -o "\"$2\":[^,}]*" "$1" | head -1 | cut -d: -f2 | tr -d '"'
}
row() {  # label dir
  local j=$2/summary.json
  [[ -f $j ]] || return 0
  printf '%-26s %9.4f %11.4f %8.0f %8.0f %13.1f %16.2f\n' "$1" \
    "$(val "$j" delivered_on_time)" "$(val "$j" delivered_eventually)" \
    "$(val "$j" latency_p50_ms)" "$(val "$j" latency_p99_ms)" \
    "$(val "$j" messages_per_delivery)" "$(val "$j" node_msgs_per_s_max)"
}
step "summary (trace: $trace; $((SECONDS - t_start)) s in all)"
printf '%-26s %9s %11s %8s %8s %13s %16s\n' "replay" "on time" "eventually" "p50 ms" \
  "p99 ms" "msgs/delivery" "busiest msgs/s"
row "simulated, $nodes nodes" "$out/sim"
[[ $sim_only -eq 0 ]] && row "real cluster, $cluster_nodes nodes" "$out/cluster"
echo
echo "subscriptions: $(val "$out/sim/summary.json" subs_follow) by the follower graph, $(val "$out/sim/summary.json" subs_interaction) by interaction (retweet/mention/reply)"
echo "reports: $out/sim$([[ $sim_only -eq 0 ]] && echo " and $out/cluster") (summary.json, *.csv)"
echo "plots:   $(ls "$out"/sim/*.png 2>/dev/null | tr '\n' ' ')"
[[ $sim_only -eq 0 ]] && echo "         $(ls "$out"/cluster/*.png 2>/dev/null | tr '\n' ' ')"
exit 0

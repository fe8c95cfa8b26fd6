#!/usr/bin/env bash
# The same trace on N simulated nodes and on N real elmod processes (loopback, plain TCP), then
# the figures side by side (docs/results.md, "Simulation against reality").
#
# Usage: bench/replay/sim_vs_cluster.sh [N=64] [TRACE=traces/data/higgs-demo.trace.gz] [OUT=./sim-vs-cluster]
# Environment: BUILD_DIR (build/), BASE_PORT (28000). Needs elmo-replay and elmod built.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
n=${1:-64}
trace=${2:-traces/data/higgs-demo.trace.gz}
out=${3:-./sim-vs-cluster}
build=${BUILD_DIR:-build}
bin=$build/traces
export CLUSTER_DIR=$out/cluster-nodes BASE_PORT=${BASE_PORT:-28000}
rm -rf "$out"
mkdir -p "$out"

ELMOD=$root/$build/node/daemon/elmod scripts/cluster.sh start "$n" -- --plain-tcp > /dev/null
trap 'scripts/cluster.sh stop > /dev/null 2>&1 || true' EXIT
eps="" admins=""
for ((i = 0; i < n; i++)); do
  eps+="${eps:+,}127.0.0.1:$((BASE_PORT + 10 * i))"  # client port = UDP port number (cluster.sh)
  admins+="${admins:+,}127.0.0.1:$((BASE_PORT + 10 * i + 2))"
done
# The cluster in real time in the background, the simulation meanwhile.
"$bin/elmo-replay" "$trace" --cluster "$eps" --admin "$admins" --plain-tcp --warmup-s 20 \
  --drain-s 60 --out "$out/cluster" > "$out/cluster.log" 2> "$out/cluster.progress" &
pid=$!
"$bin/elmo-replay" "$trace" --sim --nodes "$n" --warmup-s 30 --drain-s 60 --out "$out/sim" \
  > "$out/sim.log" 2> "$out/sim.progress"
wait "$pid"
scripts/cluster.sh stop > /dev/null 2>&1 || true
trap - EXIT

val() { grep -o "\"$2\":[^,}]*" "$1" | head -1 | cut -d: -f2 | tr -d '"'; }
printf '%-34s %14s %14s\n' "measure" "sim ($n)" "cluster ($n)"
for k in delivered_on_time delivered_eventually pairs pending_pairs latency_p50_ms latency_p99_ms \
         messages_per_delivery node_msgs_per_s_mean node_msgs_per_s_p99 node_msgs_per_s_max \
         events_published events_accepted lost_events clients; do
  printf '%-34s %14s %14s\n' "$k" "$(val "$out/sim/summary.json" "$k")" \
    "$(val "$out/cluster/summary.json" "$k")"
done

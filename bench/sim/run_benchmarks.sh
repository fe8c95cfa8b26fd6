#!/usr/bin/env bash
# Simulator benchmarks (issue 3): the figures in docs/simulator.md come from this script.
#
#   bench/sim/run_benchmarks.sh [BUILD_DIR] [OUT_DIR]
#
# BUILD_DIR defaults to build-sim (a RelWithDebInfo build with the elmo-sim target built),
# OUT_DIR to BUILD_DIR/bench-sim. Each run's JSON summary (the last line of elmo-sim --json) is
# saved as OUT_DIR/<name>.json, and a table of the headline figures is printed at the end.
# Runs one at a time: the figures are per process on a 2-core machine.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build-sim}"
out="${2:-$build/bench-sim}"
sim="$build/sim/elmo-sim"
mkdir -p "$out"
[[ -x "$sim" ]] || { echo "no $sim: build the elmo-sim target first" >&2; exit 1; }

run() {
    local name="$1"; shift
    echo "== $name: elmo-sim $*"
    "$sim" "$@" --json --progress 60 | tee "$out/$name.log"
    tail -n 1 "$out/$name.log" > "$out/$name.json"
}

# 10,000 real OpenDHT nodes, 10 simulated minutes (target: <= 5 min wall, <= 4 GiB).
run dht-10k dht-bootstrap --nodes 10000 --duration 600 --seed 1
# 100,000 nodes on the idealised overlay with the ping protocol every 30 s, 10 simulated minutes.
run ideal-100k dht-bootstrap --nodes 100000 --overlay ideal --duration 600 --seed 1
# A smaller real-DHT run for events/s at the scale of the scenario tests.
run dht-1k dht-bootstrap --nodes 1000 --duration 600 --seed 1

python3 - "$out" <<'PY'
import json, sys, pathlib
out = pathlib.Path(sys.argv[1])
cols = ["nodes", "overlay", "sim_seconds", "time_to_8_good_s", "get_success", "wall_s",
        "events", "events_per_s", "peak_rss_mb", "dht_msgs_sent_per_node_per_s_mean",
        "elmo_msgs_sent_per_node_per_s_mean"]
print("| run | " + " | ".join(cols) + " |")
print("|" + "---|" * (len(cols) + 1))
for f in sorted(out.glob("*.json")):
    d = json.loads(f.read_text())
    def fmt(v):
        if v is None: return "-"
        if isinstance(v, float): return f"{v:.4g}"
        return str(v)
    print(f"| {f.stem} | " + " | ".join(fmt(d.get(c)) for c in cols) + " |")
PY

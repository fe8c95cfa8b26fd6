#!/usr/bin/env bash
# Issue 8's scenario at full size: 1,500 real-DHT nodes, 4,500 intermittent clients, 20
# publications per second, 5 minutes of warm-up, 30 measured, 2 of drain; the four failure cases
# (none, crash10, replace10, mailboxes) with three seeds each. The figures in docs/results.md
# come from this script.
#
#   bench/sim/paper_synthetic.sh [BUILD_DIR] [OUT_DIR] [-- extra elmo-sim arguments]
#
# BUILD_DIR defaults to build (elmo-sim built), OUT_DIR to BUILD_DIR/bench-paper-synthetic.
# Each run leaves OUT_DIR/<case>-seed<S>.json (the summary), .log (progress) and the CSVs
# OUT_DIR/<case>-seed<S>/paper-synthetic-{timeseries,nodes}.csv; then a table of the headline
# figures, and PNGs of the delivery rate over time if gnuplot is installed
# (bench/sim/plot_delivery.gp). CASES, SEEDS and NODES in the environment change the set, e.g.
# CASES="none crash10" SEEDS=1 bench/sim/paper_synthetic.sh; extra arguments after -- go to
# every run (e.g. -- --param drain_s=3600). JOBS=2 runs two at once (each run is one process on
# one core, about 1.7 GB at full size); TABLE_ONLY=1 prints the table and plots of runs already
# in OUT_DIR.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build}"
out="${2:-$build/bench-paper-synthetic}"
shift $(( $# < 2 ? $# : 2 ))
[[ "${1:-}" == "--" ]] && shift
extra=("$@")
sim="$build/sim/elmo-sim"
cases="${CASES:-none crash10 replace10 mailboxes}"
seeds="${SEEDS:-1 2 3}"
nodes="${NODES:-1500}"
mkdir -p "$out"
[[ -x "$sim" ]] || { echo "no $sim: build the elmo-sim target first" >&2; exit 1; }

jobs="${JOBS:-1}"
run_one() {
  local c="$1" seed="$2" name="${1}-seed${2}"
  echo "== $name"
  "$sim" paper-synthetic --nodes "$nodes" --seed "$seed" --churn "$c" --csv "$out/$name" \
    --json --progress 300 "${extra[@]}" > "$out/$name.log"
  tail -n 1 "$out/$name.log" > "$out/$name.json"
}
if [[ -z "${TABLE_ONLY:-}" ]]; then
  for seed in $seeds; do
    for c in $cases; do
      while (( $(jobs -rp | wc -l) >= jobs )); do wait -n; done
      run_one "$c" "$seed" &
    done
  done
  wait
fi

keys="delivered_on_time delivered_eventually latency_p50_ms latency_p99_ms messages_per_delivery duplicates_per_delivery node_msgs_per_s_mean node_msgs_per_s_p99 node_msgs_per_s_max lost_events lost_events_excused undelivered_held recovery_s worst_window_rate pairs pending_pairs events_published events_accepted publish_skipped crashed_nodes mailboxes_at_end wall_s peak_rss_mb"
runs=()
for c in $cases; do for seed in $seeds; do
  [[ -f "$out/${c}-seed${seed}.json" ]] && runs+=("$out/${c}-seed${seed}.json")
done; done
printf '%-28s' run; for f in "${runs[@]}"; do printf '%17s' "$(basename "$f" .json)"; done; echo
for k in $keys; do
  printf '%-28s' "$k"
  for f in "${runs[@]}"; do
    v=$(grep -o "\"$k\":[^,}]*" "$f" | head -1 | cut -d: -f2)
    printf '%17.8s' "${v:-?}"
  done
  echo
done

if command -v gnuplot > /dev/null; then
  for c in $cases; do
    files=""
    for seed in $seeds; do
      f="$out/${c}-seed${seed}/paper-synthetic-timeseries.csv"
      [[ -f "$f" ]] && files="$files $f"
    done
    [[ -n "$files" ]] || continue
    gnuplot -e "files='${files# }'; out='$out/delivery-$c.png'; title='paper-synthetic --churn $c ($nodes nodes)'" \
      "$root/bench/sim/plot_delivery.gp"
    echo "plot: $out/delivery-$c.png"
  done
else
  echo "gnuplot not installed: no plots (bench/sim/plot_delivery.gp makes them from the CSVs)"
fi

#!/usr/bin/env bash
# Issue 4's scenario at full size: 1,500 real-DHT nodes, 4,500 clients, 13,500 subscriptions,
# with hints and without (plain random walks), three seeds each. The figures in docs/results.md
# come from this script.
#
#   bench/sim/paper_subscribe.sh [BUILD_DIR] [OUT_DIR]
#
# BUILD_DIR defaults to build (elmo-sim built), OUT_DIR to BUILD_DIR/bench-paper-subscribe. Each
# run's JSON summary is saved as OUT_DIR/<name>.json; a table of the headline figures follows.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build}"
out="${2:-$build/bench-paper-subscribe}"
sim="$build/sim/elmo-sim"
mkdir -p "$out"
[[ -x "$sim" ]] || { echo "no $sim: build the elmo-sim target first" >&2; exit 1; }

for seed in 1 2 3; do
  for hints in 1 0; do
    name="hints${hints}-seed${seed}"
    echo "== $name"
    "$sim" paper-subscribe --nodes 1500 --duration 540 --seed "$seed" --param hints="$hints" \
      --json --progress 60 > "$out/$name.log"
    tail -n 1 "$out/$name.log" > "$out/$name.json"
  done
done

keys="registered_fraction over_budget_mailboxes mailboxes mailboxes_per_topic_mean gini_mailbox_registrations gini_topic_subscriptions walk_hit_fraction walk_hops_mean walk_hops_to_hit_or_ttl_mean lookup_existing_fraction reregistered_after_crash_fraction reregistration_time_s hint_bytes_per_node_per_min elmo_bytes_per_node_per_min wall_s peak_rss_mb"
printf '%-36s' run; for f in "$out"/*.json; do printf '%16s' "$(basename "$f" .json)"; done; echo
for k in $keys; do
  printf '%-36s' "$k"
  for f in "$out"/*.json; do
    v=$(grep -o "\"$k\":[^,}]*" "$f" | head -1 | cut -d: -f2)
    printf '%16.6s' "${v:-?}"
  done
  echo
done

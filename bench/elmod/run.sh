#!/usr/bin/env bash
# The elmod benchmark (docs/daemon.md, "Benchmark"): one elmod on loopback, CLIENTS subscribers
# of one topic (TLS, then plain TCP for comparison), publishers at stepped rates until delivery
# stops following the offered rate; then half of that rate for latency. Prints a table and
# writes OUT/steps.csv (one line per step) and OUT/summary.csv (one line per mode); OUT defaults
# to BUILD_DIR/elmod-bench.
#
#   bench/elmod/run.sh [BUILD_DIR]          # default: build
#   CLIENTS=1000 MODES="tls plain" OUT=/tmp/eb LOAD_ARGS="--step-seconds 4" bench/elmod/run.sh
#
# Needs elmod and elmod_load built (ninja elmod elmod_load; ELMO_BUILD_BENCH=ON). One full run
# (both modes) takes about 1.5 minutes on 2 cores. Run it on an otherwise idle machine: the driver
# and elmod share the CPU, and the step that saturates first may be the driver's.
set -euo pipefail

BUILD=${1:-build}
ELMOD=$BUILD/node/daemon/elmod
LOAD=$BUILD/bench/elmod/elmod_load
CLIENTS=${CLIENTS:-1000}
MODES=${MODES:-tls plain}
OUT=${OUT:-$BUILD/elmod-bench}
BASE_PORT=${BASE_PORT:-24300}
LOAD_ARGS=${LOAD_ARGS:-}

for f in "$ELMOD" "$LOAD"; do
  [[ -x $f ]] || { echo "run.sh: $f not built (ninja -C $BUILD elmod elmod_load)" >&2; exit 1; }
done
# Two descriptors per client in the driver, one in elmod, plus slack.
want=$((CLIENTS * 2 + 256))
if (($(ulimit -n) < want)); then ulimit -n "$want" || { echo "run.sh: ulimit -n $want refused" >&2; exit 1; }; fi

mkdir -p "$OUT"
echo "label,kind,step,offered_ev_s,published,refused,backlog,delivered_per_s,complete,p50_ms,p99_ms,max_ms,elmod_cpu_pct,driver_cpu_pct,elmod_us_per_delivery,saturated" > "$OUT/steps.csv"
echo "label,clients,sat_deliveries_per_s,sat_events_per_s,saturated,half_ev_s,half_p50_ms,half_p99_ms,rss_before_kib,rss_after_kib,kib_per_client,elmod_us_per_delivery,connect_s" > "$OUT/summary.csv"

pid=
cleanup() { if [[ -n $pid ]]; then kill -9 "$pid" 2>/dev/null || true; fi; }
trap cleanup EXIT

i=0
for mode in $MODES; do
  dir=$(mktemp -d "${TMPDIR:-/tmp}/elmod-bench.XXXXXX")
  port=$((BASE_PORT + 3 * i)); cport=$((port + 1)); aport=$((port + 2)); i=$((i + 1))
  # The mailbox's message budget (200/s) is how a node of a cluster decides it is full and
  # stops taking new topics and registrations; alone it only refuses subscribers of the
  # warm-up, so it is lifted here.
  args=(--data-dir "$dir" --bind 127.0.0.1 --port "$port" --client-port "$cport"
        --admin-port "$aport" --log-level warn --mailbox.max_msgs_per_sec 100000000)
  load=(--label "$mode" --client-port "$cport" --clients "$CLIENTS"
        --csv "$OUT/steps.csv" --summary-csv "$OUT/summary.csv")
  if [[ $mode == plain ]]; then args+=(--plain-tcp); load+=(--plain-tcp); fi
  "$ELMOD" "${args[@]}" 2> "$OUT/elmod-$mode.log" &
  pid=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$aport/healthz" > /dev/null && break
    sleep 0.1
  done
  [[ $mode == plain ]] || load+=(--cert "$dir/node.crt")
  # shellcheck disable=SC2086  # LOAD_ARGS is a list of options
  "$LOAD" "${load[@]}" --pid "$pid" $LOAD_ARGS 2>&1 | tee "$OUT/load-$mode.log"
  curl -sf "http://127.0.0.1:$aport/metrics" > "$OUT/metrics-$mode.txt" || true
  grep -E '^elmo_(client_closed_total|clients_connected|client_frames_(in|out)_total|udp_drops_total|mailbox_events_refused_total)' \
    "$OUT/metrics-$mode.txt" | sed "s/^/  $mode elmod: /" || true
  kill -TERM "$pid"
  wait "$pid" || echo "run.sh: elmod ($mode) exited $?" >&2
  pid=
  rm -rf "$dir"
done

echo
echo "Steps ($OUT/steps.csv):"
column -s, -t < "$OUT/steps.csv"
echo
echo "Summary ($OUT/summary.csv):"
column -s, -t < "$OUT/summary.csv"

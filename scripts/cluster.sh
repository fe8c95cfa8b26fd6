#!/usr/bin/env bash
# A local elmo cluster on loopback: N elmod processes, their ports and data dirs under one folder.
#
#   scripts/cluster.sh start N [-- ELMOD_OPTIONS...]   start nodes 0..N-1 (node 0 seeds the DHT)
#   scripts/cluster.sh status                          one line per node: pid, ports, DHT, load
#   scripts/cluster.sh stop                            SIGTERM every node (graceful), then wait
#   scripts/cluster.sh kill I                          kill -9 node I (a crash)
#   scripts/cluster.sh restart I                       start node I again from its data dir
#
# Environment: CLUSTER_DIR (./elmo-cluster), BASE_PORT (24000), ELMOD (the binary; default: the
# first of build*/node/daemon/elmod found, then elmod on PATH). Node I uses UDP port
# BASE_PORT+10*I (DHT and elmo), client port +1 and admin (metrics) port +2, data dir
# CLUSTER_DIR/nI/data, log CLUSTER_DIR/nI/elmod.log. Options after `--` go to every node and are
# remembered for `restart`.
set -euo pipefail

dir=${CLUSTER_DIR:-./elmo-cluster}
base=${BASE_PORT:-24000}
here=$(cd "$(dirname "$0")/.." && pwd)

die() { echo "cluster: $*" >&2; exit 1; }

find_elmod() {
  if [[ -n "${ELMOD:-}" ]]; then echo "$ELMOD"; return; fi
  local b
  for b in "$here"/build*/node/daemon/elmod; do
    [[ -x "$b" ]] && { echo "$b"; return; }
  done
  command -v elmod || die "no elmod binary: build it or set ELMOD"
}

udp_port() { echo $((base + 10 * $1)); }
# A node's client (TCP) port is its UDP port's number: clients assume so of the nodes they learn of.
client_port() { udp_port "$1"; }
admin_port() { echo $((base + 10 * $1 + 2)); }

alive() { [[ -f "$dir/n$1/pid" ]] && kill -0 "$(cat "$dir/n$1/pid")" 2>/dev/null; }

nodes() {
  local d
  for d in "$dir"/n*; do [[ -d "$d" ]] && echo "${d##*/n}"; done | sort -n
}

start_node() {
  local i=$1 elmod
  elmod=$(find_elmod)
  alive "$i" && die "node $i is already running (pid $(cat "$dir/n$i/pid"))"
  mkdir -p "$dir/n$i"
  local args=(--data-dir "$dir/n$i/data" --port "$(udp_port "$i")"
              --client-port "$(client_port "$i")" --admin-port "$(admin_port "$i")")
  # Every node but the seed bootstraps from node 0; node 0 rejoins from node 1 on a restart.
  if [[ "$i" != 0 ]]; then
    args+=(--bootstrap "127.0.0.1:$(udp_port 0)")
  elif [[ -d "$dir/n1" ]]; then
    args+=(--bootstrap "127.0.0.1:$(udp_port 1)")
  fi
  local extra=()
  [[ -f "$dir/options" ]] && mapfile -t extra < "$dir/options"
  nohup "$elmod" "${args[@]}" "${extra[@]}" >> "$dir/n$i/elmod.log" 2>&1 &
  echo $! > "$dir/n$i/pid"
  echo "node $i: pid $! udp $(udp_port "$i") client $(client_port "$i") admin $(admin_port "$i")"
}

http_get() {  # port path
  if command -v curl > /dev/null; then
    curl -s --max-time 2 "http://127.0.0.1:$1$2"
  else
    exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
    printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&3
    sed '1,/^\r$/d' <&3
    exec 3<&-
  fi
}

metric() {  # text sample
  awk -v s="$2" 'index($0, s " ") == 1 { print $NF; exit }' <<< "$1"
}

cmd=${1:-}
shift || true
case "$cmd" in
  start)
    n=${1:-}
    [[ "$n" =~ ^[0-9]+$ && "$n" -ge 1 ]] || die "usage: cluster.sh start N [-- OPTIONS]"
    shift
    [[ "${1:-}" == "--" ]] && shift
    mkdir -p "$dir"
    printf '%s\n' "$@" > "$dir/options"
    [[ $# -eq 0 ]] && : > "$dir/options"
    for ((i = 0; i < n; i++)); do start_node "$i"; done
    echo "cluster: $n nodes in $dir; 'scripts/cluster.sh status' shows them"
    ;;
  status)
    [[ -d "$dir" ]] || die "no cluster in $dir"
    printf '%-4s %-8s %-6s %-6s %-6s %-5s %-7s %-7s %-6s %-7s %s\n' node pid udp client \
      admin good dubious topics events clients id
    for i in $(nodes); do
      pid=-
      [[ -f "$dir/n$i/pid" ]] && pid=$(cat "$dir/n$i/pid")
      if ! alive "$i"; then
        printf '%-4s %-8s %s\n' "$i" "$pid" "down"
        continue
      fi
      m=$(http_get "$(admin_port "$i")" /metrics || true)
      id=$(grep -o 'elmo_node_info{id="[0-9a-f]*"' <<< "$m" | cut -d'"' -f2 | cut -c1-12)
      printf '%-4s %-8s %-6s %-6s %-6s %-5s %-7s %-7s %-6s %-7s %s\n' "$i" "$pid" \
        "$(udp_port "$i")" "$(client_port "$i")" "$(admin_port "$i")" \
        "$(metric "$m" 'elmo_dht_nodes{state="good"}')" \
        "$(metric "$m" 'elmo_dht_nodes{state="dubious"}')" \
        "$(metric "$m" elmo_mailbox_topics)" "$(metric "$m" elmo_mailbox_stored_events)" \
        "$(metric "$m" elmo_clients_connected)" "${id:-?}"
    done
    ;;
  stop)
    [[ -d "$dir" ]] || die "no cluster in $dir"
    pids=()
    for i in $(nodes); do
      if alive "$i"; then
        kill -TERM "$(cat "$dir/n$i/pid")"
        pids+=("$i")
      fi
    done
    # Graceful: each node hands its topics off, then exits (at most ~2 s).
    for ((t = 0; t < 100; t++)); do
      left=0
      for i in "${pids[@]}"; do alive "$i" && left=1; done
      [[ $left == 0 ]] && break
      sleep 0.1
    done
    for i in "${pids[@]}"; do
      if alive "$i"; then
        echo "node $i did not stop in 10 s: kill -9"
        kill -KILL "$(cat "$dir/n$i/pid")"
      fi
      rm -f "$dir/n$i/pid"
    done
    echo "cluster: stopped ${#pids[@]} nodes"
    ;;
  kill)
    i=${1:-}
    alive "$i" || die "node $i is not running"
    kill -KILL "$(cat "$dir/n$i/pid")"
    rm -f "$dir/n$i/pid"
    echo "node $i: killed (kill -9)"
    ;;
  restart)
    i=${1:-}
    [[ -d "$dir/n$i" ]] || die "no node $i in $dir"
    start_node "$i"
    ;;
  *)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    [[ -z "$cmd" || "$cmd" == help || "$cmd" == --help ]] || exit 2
    ;;
esac

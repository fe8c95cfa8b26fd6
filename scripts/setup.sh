#!/usr/bin/env bash
# Installs exactly the Debian packages elmo needs, when they are missing. Idempotent: with
# everything present it changes nothing and needs no root. Runs `apt-get update` at most once.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config      # toolchain
  libopendht-dev                         # the DHT (pulls asio, msgpack, gnutls, jsoncpp, openssl)
  libmsgpack-cxx-dev libgnutls28-dev libasio-dev libjsoncpp-dev libssl-dev
  libboost-program-options-dev           # command-line and config parsing
  librestinio-dev                        # elmod's metrics endpoint (HTTP; pulls fmt, http-parser)
  libsqlite3-dev                         # the client SDK's persistent state
  libgtest-dev libgmock-dev              # tests
  libbenchmark-dev                       # micro-benchmarks
  gnuplot-nox                            # report plots (traces/, elmo-replay)
  zlib1g-dev                             # gzip trace files and the Higgs data (traces/)
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: missing packages: ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=sudo
  else
    echo "setup: error: installing packages needs root; run as root or install: ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: installed ${missing[*]}"

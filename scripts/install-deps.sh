#!/usr/bin/env bash
# The one list of Debian packages Parley needs to build, test and benchmark.
# Installs only what is missing; as root it runs apt-get, otherwise it prints the command.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache clang clang-tidy clang-format libclang-rt-dev
  pkg-config git
  # libraries
  libboost-dev libspdlog-dev libfmt-dev libcli11-dev libtoml11-dev libsqlite3-dev libssl-dev
  libopus-dev libspeexdsp-dev libespeak-ng-dev espeak-ng-data libsodium-dev libsrtp2-dev nlohmann-json3-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev sip-tester python3 python3-jsonschema procps
  baresip-core
  # a SIP provider for the trunk tests (its registrar with digest auth over db_text)
  kamailio
  # a DNS server with NAPTR/SRV records for the RFC 3263 trunk test (decision 0042)
  dnsmasq-base
  # the web app (web/: Vite needs Node >= 18) and its browser tests
  nodejs chromium
  # browser calls run in a network namespace with only loopback (unshare, ip)
  util-linux iproute2
)
# Debian's npm only where no npm exists: a nodejs build from elsewhere (e.g. Node 20) bundles its
# own npm and conflicts with Debian's npm package.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(npm)
fi
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(rtpengine-daemon wrk kamailio-tls-modules)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "Missing Debian packages. Run as root:" >&2
  echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Installs what a bare machine lacks for Ulasan: a JDK and Maven (Kafka and Apicurio run from Maven
# Central jars), Debian's clickhouse-server (HTTP-transport check only) and docker-compose (validates
# docker-compose.yml), then the npm dependencies. Safe to re-run: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v clickhouse-server >/dev/null 2>&1 || need+=(clickhouse-server)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
# Debian's Chromium drives the status-page browser test (playwright-core, no browser download).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  echo "bootstrap: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  # policy-rc.d may forbid starting services during install; Ulasan starts its own instances.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then echo "bootstrap: Node >= 20 required, found $(node --version)" >&2; exit 1; fi

# onnxruntime-node's postinstall would download CUDA libraries (no network for that here); the CPU
# binaries ship inside the npm package.
export ONNXRUNTIME_NODE_INSTALL=skip
stamp=node_modules/.ulasan-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  # Not `npm ci`: chdb lists optional platform packages that were never published (darwin and
  # linux-arm64 404 on the registry), so no lock file can hold them and `npm ci` calls the lock out of
  # sync. `npm install` with the committed lock and exact versions installs the same tree.
  npm install --no-audit --no-fund
  echo "$want" > "$stamp"
fi

#!/usr/bin/env bash
# Installs what a bare machine lacks for Ulasan: a JDK and Maven (Kafka and Apicurio run from Maven
# Central jars), Debian's clickhouse-server (HTTP-transport check only) and docker-compose (validates
# docker-compose.yml), then the npm dependencies and the fine-tune job's Python environment
# (.venv-train). Safe to re-run: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v clickhouse-server >/dev/null 2>&1 || need+=(clickhouse-server)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
# Debian's Chromium drives the status-page browser test (playwright-core, no browser download).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# Python 3 with venv for the fine-tune job's environment (below).
if [ "${ULASAN_SKIP_TRAIN_PYTHON:-}" != 1 ]; then
  command -v python3 >/dev/null 2>&1 || need+=(python3)
  python3 -c 'import ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
fi
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

# The hf-finetune job's Python (models/trainer/hf-finetune): a venv in .venv-train with the pinned
# requirements, from the wheels on this machine when they are there (no index at all), else from the
# package index (torch's CPU build from download.pytorch.org). A stamp makes a re-run a no-op.
# ULASAN_SKIP_TRAIN_PYTHON=1 skips it (nothing but that job and its test needs it).
if [ "${ULASAN_SKIP_TRAIN_PYTHON:-}" != 1 ]; then
  venv=.venv-train
  req=models/trainer/hf-finetune/requirements.txt
  want_py="$(sha256sum "$req" | cut -d' ' -f1) $(python3 -c 'import sys; print(sys.version.split()[0])')"
  pystamp=$venv/.ulasan-requirements-hash
  if [ ! -f "$pystamp" ] || [ "$(cat "$pystamp")" != "$want_py" ] || [ ! -x "$venv/bin/python" ]; then
    echo "bootstrap: installing the fine-tune job's Python environment into $venv"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check)
    links=()
    for d in /opt/wheels /opt/pypi/files /opt/pypi-more/files; do [ -d "$d" ] && links+=(--find-links "$d"); done
    if [ ${#links[@]} -eq 0 ] || ! "${pip[@]}" --no-index "${links[@]}" -r "$req"; then
      "${pip[@]}" --extra-index-url https://download.pytorch.org/whl/cpu -r "$req"
    fi
    echo "$want_py" > "$pystamp"
  fi
fi

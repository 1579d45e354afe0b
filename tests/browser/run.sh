#!/usr/bin/env bash
# Runs the browser tests: installs what they need (Debian's chromium, Playwright and pytest in a
# venv under target/, axe-core from npm), builds the local runner, then runs pytest here.
# Extra arguments go to pytest (`tests/browser/run.sh -k console`).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if [ ! -x /usr/bin/chromium ]; then
  echo "--- installing chromium (Debian)"
  sudo_cmd=""
  if [ "$(id -u)" != "0" ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get install -y -q chromium >/dev/null 2>&1 || {
    $sudo_cmd apt-get update -q >/dev/null
    $sudo_cmd apt-get install -y -q chromium >/dev/null
  }
fi

source "$root/tests/support/venv.sh"
venv="$root/target/browser-venv"
venv_with "$venv" "$here/requirements.txt"

if [ ! -f "$here/node_modules/axe-core/axe.min.js" ]; then
  echo "--- installing axe-core (npm)"
  (cd "$here" && npm ci --no-audit --no-fund --silent)
fi

echo "--- building the local runner"
(cd "$root" && cargo build -q -p leadflow-local --bin leadflow-local)

echo "--- browser tests"
cd "$here"
# Where cargo put it: the workspace's target/ unless CARGO_TARGET_DIR (relative to the root) says otherwise.
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
LEADFLOW_LOCAL_BIN="${LEADFLOW_LOCAL_BIN:-$target_dir/debug/leadflow-local}" \
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 "$venv/bin/pytest" -q "$@"

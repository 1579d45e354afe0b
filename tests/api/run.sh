#!/usr/bin/env bash
# The property-based API run: schemathesis (pinned in tests/api/requirements.txt, installed into
# target/api-venv) generates requests from openapi.yaml and sends them to the local runner on the
# embedded default configuration, which this script builds and starts on a free port. The staff
# routes are called with an admin dev token (`POST /local/dev-token`, as the browser tests sign
# in); the public routes ignore it. Checks: no server error (5xx) and no status code the contract
# does not document for the operation. The staff console's HTML pages (`/`, `/console/...`) are
# left out: they are not a JSON API and redirect to their own sign-in.
#
# Kept short: a few examples per operation, under a time limit. Extra arguments go to
# `schemathesis run` (`bash tests/api/run.sh --include-path /leads`).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

venv="$root/target/api-venv"
if [ ! -x "$venv/bin/schemathesis" ] || ! cmp -s "$here/requirements.txt" "$venv/requirements.txt"; then
  echo "--- installing schemathesis (venv: target/api-venv)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$venv/requirements.txt"
fi

echo "--- building the local runner"
cargo build -q -p leadflow-local --bin leadflow-local
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
binary="${LEADFLOW_LOCAL_BIN:-$target_dir/debug/leadflow-local}"

log="$target_dir/api-runner.log"
RUST_LOG=warn "$binary" --port 0 > "$log" 2>&1 &
runner_pid=$!
trap 'kill "$runner_pid" 2>/dev/null || true' EXIT
base=""
for _ in $(seq 1 300); do
  base=$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$log" | head -n 1)
  [ -n "$base" ] && break
  kill -0 "$runner_pid" 2>/dev/null || break
  sleep 0.2
done
[ -n "$base" ] || { echo "leadflow-local did not start"; cat "$log"; exit 1; }

token=$(curl -fsS -X POST "$base/local/dev-token" -d '{"user":"api-contract","role":"admin"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
[ -n "$token" ] || { echo "no dev token"; exit 1; }

echo "--- schemathesis against $base"
status=0
timeout 600 "$venv/bin/schemathesis" run openapi.yaml \
  --url "$base" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance \
  --exclude-path-regex '^/(console/.*)?$' \
  --phases examples,coverage,fuzzing \
  --max-examples "${LEADFLOW_API_EXAMPLES:-10}" \
  --seed "${LEADFLOW_API_SEED:-1}" \
  --workers 1 \
  --request-timeout 30 \
  --generation-database none \
  --no-color \
  "$@" || status=$?
if [ "$status" != 0 ]; then
  echo "--- runner log (last lines)"
  tail -n 40 "$log"
fi
exit "$status"

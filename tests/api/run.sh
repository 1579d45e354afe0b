#!/usr/bin/env bash
# The property-based API run: schemathesis (pinned in tests/api/requirements.txt, installed into
# target/api-venv) generates requests from openapi.yaml and sends them to the local runner on the
# embedded default configuration, which this script builds and starts on a free port. The staff
# routes are called with an admin dev token (`POST /local/dev-token`, as the browser tests sign
# in; LEADFLOW_API_ROLE picks another role), the routes of a lead with the id of one real lead;
# the public routes ignore the token. Checks: no server error (5xx), no status code the contract
# does not document for the operation, and every answer's content type and body as documented.
# The staff console's HTML pages (`/`, `/console/...`) are left out: they are not a JSON API and
# redirect to their own sign-in.
#
# Kept short: a few examples per operation (LEADFLOW_API_EXAMPLES, default 10) with a fixed seed
# (LEADFLOW_API_SEED), under a time limit. Extra arguments go to `schemathesis run`
# (`bash tests/api/run.sh --include-path /leads`).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

source "$root/tests/support/venv.sh"
venv="$root/target/api-venv"
venv_with "$venv" "$here/requirements.txt"

echo "--- building the local runner"
cargo build -q -p leadflow-local --bin leadflow-local
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
binary="${LEADFLOW_LOCAL_BIN:-$target_dir/debug/leadflow-local}"

log="$target_dir/api-runner.log"
# Emptied here, not by the background start: a line of an earlier run must not be read as this one's.
: > "$log"
RUST_LOG=warn "$binary" --port 0 >> "$log" 2>&1 &
runner_pid=$!
trap 'kill "$runner_pid" 2>/dev/null || true' EXIT
base=""
for _ in $(seq 1 300); do
  base=$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$log" | head -n 1)
  [ -n "$base" ] && break
  kill -0 "$runner_pid" 2>/dev/null || break
  sleep 0.2
done
[ -n "$base" ] && curl -fsS "$base/local/health" >/dev/null || { echo "leadflow-local did not start"; cat "$log"; exit 1; }

dev_token() {
  curl -fsS -X POST "$base/local/dev-token" -d "{\"user\":\"api-contract\",\"role\":\"$1\"}" | sed 's/.*"token":"\([^"]*\)".*/\1/'
}
admin=$(dev_token admin)
token=$(dev_token "${LEADFLOW_API_ROLE:-admin}")
[ -n "$admin" ] && [ -n "$token" ] || { echo "no dev token"; exit 1; }

# One real lead, so that the routes of a lead (`{id}`) reach past "no such lead": its id comes
# from the runner's receipt lookup (`/local/receipts`, as the Rust tests find it).
receipt=$(curl -fsS -X POST "$base/leads" -H 'content-type: application/json' \
  -d '{"first_name":"Ann","phone":"201-555-0199","service_line":"med_spa","consent_sms":true}' | sed 's/.*"receipt_id":"\([^"]*\)".*/\1/')
lead_id=""
for _ in $(seq 1 100); do
  lead_id=$(curl -fsS -H "authorization: Bearer $admin" "$base/local/receipts/$receipt" 2>/dev/null | sed -n 's/.*"lead_id":"\([^"]*\)".*/\1/p')
  [ -n "$lead_id" ] && break
  sleep 0.1
done
[ -n "$lead_id" ] || { echo "the seeded inquiry has no lead"; exit 1; }

# schemathesis keeps its state (.hypothesis, reports) in the folder it runs in: a scratch one.
work="$target_dir/api-run"
rm -rf "$work"
mkdir -p "$work"
# The other path parameters name things of the default configuration (config/leadflow.toml).
cat > "$work/schemathesis.toml" <<EOF
[parameters]
"path.id" = "$lead_id"
"path.form" = "inquiry"
"path.member" = "maria"
"path.chart" = "funnel"
EOF
cd "$work"

echo "--- schemathesis against $base"
status=0
timeout 600 "$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "$root/openapi.yaml" \
  --url "$base" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance \
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

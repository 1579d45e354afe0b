#!/usr/bin/env bash
# The one test command, `bash tests/run.sh` (the README's, and what .ci/run calls): installs what
# the tests need, pinned, into the project's own folders, then runs every test.
#
#   * moto (the local AWS endpoint) and cfn-lint: target/test-venv (tests/requirements.txt)
#   * the SAM CLI: target/sam-venv (it brings its own cfn-lint)
#   * Playwright, pytest, axe-core and Debian's chromium: tests/browser/run.sh
#   * schemathesis: target/api-venv (tests/api/run.sh)
#
# Then: the template lint and SAM's validation, one moto server for the whole run, every cargo
# test of the workspace (unit, contracts, scenarios, the AWS-mode suite running the real
# executable, ...), the browser tests, the book (tests/book.sh: mdbook, pinned, into
# target/tools; the build in target/book and its links checked), and schemathesis against the
# local runner (tests/api/run.sh, openapi.yaml). Arguments go to `cargo test` (`bash tests/run.sh -p leadflow`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mkdir -p target

sudo_cmd=""
if [ "$(id -u)" != "0" ]; then sudo_cmd="sudo"; fi
apt_install() {
  $sudo_cmd apt-get install -y -q "$@" >/dev/null 2>&1 || {
    $sudo_cmd apt-get update -q >/dev/null
    $sudo_cmd apt-get install -y -q "$@" >/dev/null
  }
}

source tests/support/venv.sh

echo "--- tools"
# Debian's python3 makes venvs only with python3-venv; the browser tests need npm.
python3 -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
command -v npm >/dev/null || apt_install npm
venv_with target/test-venv tests/requirements.txt
printf 'aws-sam-cli==1.170.0\n' > target/sam-requirements.txt
venv_with target/sam-venv target/sam-requirements.txt
# The tests start moto with the `python3` on PATH: the venv's.
export PATH="$root/target/test-venv/bin:$PATH"

echo "--- template: cfn-lint, sam validate"
cfn-lint template.yaml
target/sam-venv/bin/sam validate --lint --region us-east-1 >/dev/null

echo "--- moto server"
# One server for the run, answering one request at a time (tests/support/moto_server.py), on a
# port it picks; the tests share it through LEADFLOW_MOTO_ENDPOINT.
rm -f target/moto.port
python3 tests/support/moto_server.py -H 127.0.0.1 -p 0 --port-file target/moto.port > target/moto.log 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  if [ -s target/moto.port ] && curl -fsS "http://127.0.0.1:$(cat target/moto.port)/moto-api/" >/dev/null 2>&1; then break; fi
  sleep 0.2
done
port=$(cat target/moto.port 2>/dev/null || true)
curl -fsS "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1 || { echo "moto did not start"; cat target/moto.log; exit 1; }
export LEADFLOW_MOTO_ENDPOINT="http://127.0.0.1:$port"

# Both suites run whatever the other's outcome; the command fails if either did.
status=0
echo "--- cargo tests"
cargo test --workspace --no-fail-fast "$@" || status=$?

echo "--- browser tests (Playwright + Debian chromium + axe-core)"
bash tests/browser/run.sh || status=$?

echo "--- book (mdbook build, link check)"
bash tests/book.sh || status=$?

echo "--- API contract (schemathesis against the local runner, openapi.yaml)"
bash tests/api/run.sh || status=$?
exit "$status"

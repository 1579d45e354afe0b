"""Shared fixtures of the browser tests: a local runner per test module, Debian's chromium
driven by Playwright, and axe-core for accessibility checks.

* `runner` starts `leadflow-local` (the binary named by LEADFLOW_LOCAL_BIN, built by run.sh) on
  a free port with the embedded default configuration; `start_runner(*args, env=...)` starts
  another one with its own arguments (e.g. "--time-travel") and environment. Each runner is a
  separate process with its own in-memory state, stopped when its scope ends.
* `around_the_clock_config` is the default configuration with everyone always on shift and intake's rate limits off.
* `browser` is one chromium per session; `page` is a fresh context (no cookies) per test.
* `axe_violations(page)` runs axe-core in the page (it works under a strict CSP: the engine is
  evaluated through the DevTools protocol, not injected as a script element).
* `screenshot(page, name)` saves target/browser-screenshots/NAME.png.
* `start_site(root, substitutions, headers)` serves a folder of static pages from a second
  origin (`http://localhost:PORT`, another site than the runner's `127.0.0.1`), replacing
  `%NAME%` placeholders in its text files and adding response headers (a page's CSP), so
  cross-origin requests, CORS and cookies are exercised for real. `free_port()` finds a port.
"""

from __future__ import annotations

import http.server
import json
import os
import pathlib
import re
import socket
import subprocess
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import sync_playwright

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
AXE_JS = HERE / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "target" / "browser-screenshots"
CHROMIUM = os.environ.get("LEADFLOW_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags chromium keeps trying hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT_S = 60


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Runner:
    """A running `leadflow-local` and small HTTP helpers for setting up scenarios."""

    base_url: str
    process: subprocess.Popen
    log: list[str] = field(default_factory=list)

    def request(self, method: str, path: str, body=None, headers=None, token: str | None = None) -> Response:
        data = None
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
            headers.setdefault("content-type", "application/json")
        elif isinstance(body, str):
            data = body.encode()
        elif isinstance(body, bytes):
            data = body
        if token:
            headers["authorization"] = f"Bearer {token}"
        req = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return Response(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())

    def post_lead(self, fields: dict) -> Response:
        return self.request("POST", "/leads", fields)

    def lead_of(self, answer: Response) -> str:
        """The lead a `POST /leads` answer's receipt landed on: the public answer names only the
        submission, so the runner's dev route (an admin dev token) says which lead holds it."""
        receipt = answer.json()["receipt_id"]
        found = self.request("GET", f"/local/receipts/{receipt}", token=self.dev_token("receipt-lookup", "admin"))
        assert found.status == 200, found.body
        return found.json()["lead_id"]

    def dev_token(self, user: str, role: str, **extra) -> str:
        r = self.request("POST", "/local/dev-token", {"user": user, "role": role, **extra})
        assert r.status == 200, r.body
        return r.json()["token"]

    def outbox(self) -> list[dict]:
        r = self.request("GET", "/local/outbox")
        assert r.status == 200, r.body
        return r.json()

    def wait_for_outbox(self, predicate, deadline_s: float = 30.0) -> list[dict]:
        """The outbox messages matching `predicate`, once there is at least one. The queue
        consumers run in the runner's background, so a message appears shortly after the request
        that caused it; the deadline only bounds a test that would otherwise hang."""
        import time

        end = time.monotonic() + deadline_s
        while True:
            found = [m for m in self.outbox() if predicate(m)]
            if found or time.monotonic() > end:
                return found
            time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Site:
    """A static site on its own origin; `url(path)` is a page's address."""

    base_url: str
    server: http.server.ThreadingHTTPServer
    requests: list[str] = field(default_factory=list)
    # `%NAME%` -> value in served text; may be filled in after the start (`%SITE%` is the origin).
    substitutions: dict[str, str] = field(default_factory=dict)
    # Headers of every page (a Content-Security-Policy); may be set after the start too.
    headers: dict[str, str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base_url + path

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_site(root: pathlib.Path, substitutions: dict[str, str] | None = None, headers: dict[str, str] | None = None, port: int | None = None) -> Site:
    """Serves `root` at http://localhost:PORT (text files with `%NAME%` replaced)."""
    substitutions = dict(substitutions or {})
    headers = dict(headers or {})
    types = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            path = self.path.split("?", 1)[0]
            if path.endswith("/"):
                path += "index.html"
            target = (root / path.lstrip("/")).resolve()
            if not target.is_file() and target.with_suffix(".html").is_file():
                target = target.with_suffix(".html")  # `/pricing` is pricing.html, as most sites serve it
            seen.append(self.path)
            if root.resolve() not in target.parents or not target.is_file():
                self.send_error(404)
                return
            body = target.read_bytes()
            kind = types.get(target.suffix, "application/octet-stream")
            if not kind.startswith("image/"):
                text = body.decode()
                for name, value in substitutions.items():
                    text = text.replace(f"%{name}%", value)
                body = text.encode()
            self.send_response(200)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body)))
            self.send_header("cache-control", "no-store")
            for k, v in headers.items():
                if kind.startswith("text/html"):
                    self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port or 0), Handler)
    site = Site(f"http://localhost:{server.server_address[1]}", server, seen, substitutions, headers)
    substitutions.setdefault("SITE", site.base_url)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return site


def _start(args: list[str], env: dict[str, str] | None = None) -> Runner:
    binary = os.environ.get("LEADFLOW_LOCAL_BIN", str(ROOT / "target" / "debug" / "leadflow-local"))
    if not os.path.exists(binary):
        pytest.fail(f"{binary} does not exist: run tests/browser/run.sh (it builds the local runner)")
    process = subprocess.Popen(
        [binary, "--port", "0", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn"), **(env or {})},
    )
    log: list[str] = []
    ready = threading.Event()
    found: list[str] = []

    def pump():
        # Keeps reading so the runner never blocks on a full pipe; the log helps a failing test.
        for line in process.stdout:
            log.append(line.rstrip("\n"))
            m = re.search(r"listening on (http://\S+)", line)
            if m and not found:
                found.append(m.group(1))
                ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    if not ready.wait(START_TIMEOUT_S) or not found:
        process.kill()
        pytest.fail("leadflow-local did not start:\n" + "\n".join(log[-30:]))
    return Runner(found[0], process, log)


def _stop(runner: Runner) -> None:
    runner.process.terminate()
    try:
        runner.process.wait(10)
    except subprocess.TimeoutExpired:
        runner.process.kill()


@pytest.fixture(scope="module")
def runner():
    r = _start([])
    yield r
    _stop(r)


@pytest.fixture
def start_runner():
    """Starts a runner with its own arguments and, optionally, environment variables (webhook
    secrets: `env={"LEADFLOW_SECRET_TWILIO_AUTH_TOKEN": "..."}`)."""
    started: list[Runner] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Runner:
        r = _start(list(args), env)
        started.append(r)
        return r

    yield start
    for r in started:
        _stop(r)


@pytest.fixture(scope="session")
def around_the_clock_config(tmp_path_factory) -> pathlib.Path:
    """The embedded configuration with the practice open and every team member on shift at all
    hours, so routing and response-time clocks behave the same whenever the tests run (pass it
    as `start_runner("--config", str(path))`)."""
    src = (ROOT / "config" / "leadflow.toml").read_text()
    days = '["mon", "tue", "wed", "thu", "fri", "sat", "sun"]'
    for day in ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]:
        src = re.sub(rf'^{day} = ".*"$', f'{day} = "00:00-24:00"', src, flags=re.M)
    src = re.sub(r"^holidays = \[.*\]$", "holidays = []", src, flags=re.M)
    src = re.sub(r'^days = \["weekdays"\]$', f"days = {days}", src, flags=re.M)
    src = re.sub(r'^hours = "\d\d:\d\d-\d\d:\d\d"$', 'hours = "00:00-24:00"', src, flags=re.M)
    src = re.sub(r'^shifts = \[\{ days = \["weekdays"\].*\]$', f'days = {days}\nhours = "00:00-24:00"', src, flags=re.M)
    # One browser posts every test's leads from one address and reuses a few phone numbers:
    # intake's rate limits would refuse them (their own tests are in the cargo suites).
    src, n = re.subn(r"^\[spam\.rate_limits\]\n(?:per_\w+ = .*\n)+", "", src, flags=re.M)
    assert n == 1, "the shipped configuration has one [spam.rate_limits] block"
    path = tmp_path_factory.mktemp("config") / "around-the-clock.toml"
    path.write_text(src)
    return path


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    yield p
    context.close()


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """axe-core's violations of the given impacts on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text() + "\n;0")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in impacts]


def describe_violations(violations: list[dict]) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}" for v in violations)


def screenshot(page, name: str) -> pathlib.Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

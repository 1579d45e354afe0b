"""What the web-form browser tests share: the sample site (tests/browser/site) on its own origin
with a strict CSP, a runner configured to allow that origin with a short minimum fill time and
a clock the test moves (never a wall-clock wait), and readers for what the runner stored."""

from __future__ import annotations

import pathlib
import re
import tempfile
from dataclasses import dataclass

import pytest

from conftest import ROOT, HERE, Runner, Site, _start, _stop, start_site

SITE_ROOT = HERE / "site"
MIN_FILL_SECONDS = 3


@dataclass
class WebForm:
    runner: Runner
    site: Site
    config: pathlib.Path

    def tick(self, seconds: int = MIN_FILL_SECONDS + 2) -> None:
        """Moves the runner's clock past the minimum fill time (its clock, not the test's)."""
        r = self.runner.request("POST", "/local/tick", {"advance_seconds": seconds})
        assert r.status == 200, r.body

    def admin(self) -> str:
        return self.runner.dev_token("admin-1", "admin")

    def leads(self) -> list[dict]:
        r = self.runner.request("GET", "/leads?status=new&limit=100", token=self.admin())
        assert r.status == 200, r.body
        return r.json()["items"]

    def lead(self, lead_id: str) -> dict:
        r = self.runner.request("GET", f"/leads/{lead_id}?timeline_limit=100", token=self.admin())
        assert r.status == 200, r.body
        return r.json()

    def lead_by_phone(self, e164: str) -> dict:
        found = [l for l in self.leads() if (l.get("contact") or {}).get("phone") == e164]
        assert len(found) == 1, (e164, self.leads())
        return self.lead(found[0]["id"])


def strict_csp(leadflow: str) -> str:
    """The sample site's policy: its own files, and the one leadflow origin for the script, its
    requests and (for visitors without JavaScript) the form's frame."""
    return (
        "default-src 'self'; "
        f"script-src 'self' {leadflow}; connect-src {leadflow}; frame-src {leadflow}; "
        "style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'"
    )


def start_webform() -> WebForm:
    site = start_site(SITE_ROOT)
    text = (ROOT / "config" / "leadflow.toml").read_text()
    origins = f'["https://www.harborhealth.example", "{site.base_url}"]'
    text, n = re.subn(r"^(redirect_origins|cors_origins) = \[.*\]$", lambda m: f"{m.group(1)} = {origins}", text, flags=re.M)
    assert n == 2, "the shipped configuration names its origins on two lines"
    text = text.replace("min_fill_seconds = 0", f"min_fill_seconds = {MIN_FILL_SECONDS}")
    config = pathlib.Path(tempfile.mkstemp(prefix="leadflow-webform-", suffix=".toml")[1])
    config.write_text(text)
    runner = _start(["--config", str(config), "--time-travel", "--tick-seconds", "0"])
    site.substitutions["LEADFLOW"] = runner.base_url
    site.headers["content-security-policy"] = strict_csp(runner.base_url)
    return WebForm(runner, site, config)


def stop_webform(w: WebForm) -> None:
    _stop(w.runner)
    w.site.stop()
    w.config.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def w():
    """The sample site and its runner, one per test module (import it into the module)."""
    started = start_webform()
    yield started
    stop_webform(started)


CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def watch(page, requests: list[str], cookies_set: list[str]):
    """Records every request the page makes and every Set-Cookie it receives; collects CSP
    violations in the page (read with `csp_violations`)."""
    page.add_init_script(CSP_WATCH)
    page.on("request", lambda r: requests.append(r.url))
    page.on("response", lambda r: cookies_set.append(r.url) if r.headers.get("set-cookie") else None)


def csp_violations(page) -> list[str]:
    return page.evaluate("() => window.__cspViolations || []")

"""The console's guards in a real browser: signed out after the idle time (on the screen and on
the server), a state-changing request without its CSRF token refused, a strict
Content-Security-Policy, the session only in an HttpOnly, Secure, SameSite=Strict cookie (no
token in storage or a URL), pages behind sign-in, and a team notification's link opening the
lead's page."""

import re

import pytest
from playwright.sync_api import expect

from conftest import axe_violations, describe_violations, screenshot
from console_helpers import CONSOLE_PAGE, new_lead, sign_in


@pytest.fixture(scope="module")
def clinic(around_the_clock_config):
    import conftest

    r = conftest._start(["--config", str(around_the_clock_config)])
    yield r
    conftest._stop(r)


def test_the_screen_signs_out_after_the_idle_time(clinic, page):
    # The page's own clock: the idle timer runs in the page and clears the screen.
    page.clock.install()
    sign_in(page, clinic, "maria", "agent")
    expect(page).to_have_title("Inbox · leadflow")
    page.clock.fast_forward("14:00")
    expect(page).to_have_title("Inbox · leadflow")
    page.clock.fast_forward("01:30")
    expect(page).to_have_url(re.compile(r"/console/auth/signed-out\?why=idle$"))
    expect(page.get_by_role("status")).to_contain_text("signed out after 15 minutes without activity")
    screenshot(page, "console-signed-out")
    assert axe_violations(page) == [], describe_violations(axe_violations(page))
    # The session is gone: the console asks to sign in again.
    page.goto(clinic.base_url + "/console/")
    expect(page).to_have_url(re.compile(r"/console/sign-in\?next="))


def test_the_server_ends_an_idle_session(start_runner, around_the_clock_config, page):
    r = start_runner("--config", str(around_the_clock_config), "--time-travel", "--tick-seconds", "0")
    sign_in(page, r, "maria", "agent")
    # Sixteen minutes pass on the server's clock without a page view or an action.
    tick = r.request("POST", "/local/tick", {"advance_seconds": 16 * 60})
    assert tick.status == 200, tick.body
    page.reload()
    expect(page).to_have_url(re.compile(r"/console/sign-in\?next=%2Fconsole.*&why=idle"))
    expect(page.get_by_role("status")).to_contain_text("without activity")


def test_a_request_without_its_csrf_token_is_refused(clinic, page):
    lead = new_lead(clinic, first_name="Tess", phone="201-555-0192", service_line="med_spa", preferred_facility="Hoboken")
    sign_in(page, clinic, "root-1", "admin", then=f"/console/leads/{lead}")
    url = f"{clinic.base_url}/console/leads/{lead}/notes"
    # The browser's own session cookie goes with these requests (same context).
    missing = page.request.post(url, form={"note": "forged"}, max_redirects=0)
    assert missing.status == 403
    wrong = page.request.post(url, form={"note": "forged", "_csrf": "v1.AAAA.AAAA.AAAA"}, max_redirects=0)
    assert wrong.status == 403
    token = page.locator("input[name=_csrf]").first.get_attribute("value")
    good = page.request.post(url, form={"note": "real note", "_csrf": token}, max_redirects=0)
    assert good.status == 303
    # A form whose token was removed is refused too, and nothing of it is recorded.
    page.evaluate("document.querySelectorAll('form[aria-label=\"Add a note\"] input[name=_csrf]').forEach(e => e.remove())")
    note = page.get_by_role("form", name="Add a note")
    note.get_by_label("Note").fill("without a token")
    note.get_by_role("button", name="Save note").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("This request could not be verified")
    page.goto(f"{clinic.base_url}/console/leads/{lead}")
    expect(page.locator("#timeline")).to_contain_text("real note")
    expect(page.locator("#timeline")).not_to_contain_text("forged")
    expect(page.locator("#timeline")).not_to_contain_text("without a token")


def test_headers_cookies_and_storage_keep_the_session_and_pages_to_this_site(clinic, page):
    response = page.goto(clinic.base_url + "/console/sign-in")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
    sign_in(page, clinic, "maria", "agent")
    response = page.goto(clinic.base_url + "/console/")
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    # No inline script or style anywhere on the page.
    assert page.locator("script:not([src])").count() == 0
    assert page.locator("[style]").count() == 0
    session = [c for c in page.context.cookies() if c["name"] == "__Host-leadflow-session"]
    assert len(session) == 1
    assert session[0]["httpOnly"] and session[0]["secure"] and session[0]["sameSite"] == "Strict", session
    assert page.evaluate("document.cookie") == "", "no script can read the session"
    # No token and no page snapshot in web storage (htmx keeps only the current path there).
    stored = page.evaluate("({...Object.fromEntries(Object.entries(localStorage)), ...Object.fromEntries(Object.entries(sessionStorage))})")
    assert set(stored) <= {"htmx-current-path-for-history"}, stored
    csrf = page.locator("input[name=_csrf]").first.get_attribute("value")
    assert all(csrf not in v and session[0]["value"] not in v for v in stored.values()), stored
    # Static files are served by content hash, cached for good.
    css = page.locator("link[rel=stylesheet]").get_attribute("href")
    assert re.fullmatch(r"/console/assets/console-[0-9a-f]{12}\.css", css)
    asset = page.request.get(clinic.base_url + css)
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_pages_need_a_session_and_a_team_notice_link_opens_the_lead(clinic, page):
    lead = new_lead(clinic, first_name="Lena", phone="201-555-0193", service_line="med_spa", preferred_facility="Hoboken")
    for path in ["/console/", f"/console/leads/{lead}", "/console/search", "/console/team", "/console/audit", "/console/dashboard"]:
        page.goto(clinic.base_url + path)
        expect(page).to_have_url(re.compile(r"/console/sign-in\?next="))
        expect(page.locator("body")).not_to_contain_text("Lena")
    screenshot(page, "console-sign-in")
    assert axe_violations(page) == [], describe_violations(axe_violations(page))
    # The assignee's notice carries a link to the lead's page in this console.
    notices = clinic.wait_for_outbox(lambda m: m["channel"] == "team_sms" and m.get("lead_id") == lead)
    assert notices, clinic.outbox()
    link = re.search(r"(http://\S+/console/leads/[0-9A-Z]+)", notices[0]["text"]).group(1)
    assert link == f"{clinic.base_url}/console/leads/{lead}"
    member = notices[0]["recipient"].removeprefix("member:")
    # Following it: sign in, then straight to the lead.
    page.goto(link)
    page.get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("note")).to_contain_text("Local development only")
    screenshot(page, "console-local-sign-in")
    assert axe_violations(page) == [], describe_violations(axe_violations(page))
    page.fill("#user", member)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(CONSOLE_PAGE)
    expect(page).to_have_url(link)
    expect(page.locator("#lead-name")).to_contain_text("Lena")

"""Who sees what in the console: a manager reassigns a lead and the new assignee sees it at
once; an agent of another team cannot see it, not in her inbox and not by typing its URL (the
refusal is recorded). What a role cannot do is not shown, and refused when forced."""

import pytest
from playwright.sync_api import expect

from conftest import axe_violations, describe_violations, screenshot
from console_helpers import new_lead, sign_in


@pytest.fixture(scope="module")
def clinic(around_the_clock_config):
    import conftest

    r = conftest._start(["--config", str(around_the_clock_config)])
    yield r
    conftest._stop(r)


def test_a_manager_reassigns_and_another_team_cannot_see_the_lead(clinic, browser):
    lead = new_lead(clinic, first_name="Omar", last_name="Haddad", phone="201-555-0181", service_line="med_spa", preferred_facility="Hoboken")
    manager = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sam = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    maria = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    try:
        # sam (recovery team) does not have it yet; maria (patient care) does.
        sign_in(sam, clinic, "sam", "agent")
        sign_in(maria, clinic, "maria", "agent")
        expect(maria.locator(f'tr[data-lead="{lead}"]')).to_be_visible(timeout=20_000)
        expect(sam.locator(f'tr[data-lead="{lead}"]')).to_have_count(0)

        # The Hoboken manager gives it to sam, with a reason.
        sign_in(manager, clinic, "mgr-1", "manager", facilities=["hoboken"], then=f"/console/leads/{lead}")
        form = manager.get_by_role("form", name="Assign")
        form.get_by_label("Give it to").select_option("sam")
        form.get_by_label("Why").select_option("specialty")
        form.get_by_label("Note (optional)").fill("Asked about our recovery program")
        screenshot(manager, "console-assign")
        form.get_by_role("button", name="Assign").click()
        expect(manager.get_by_role("status")).to_have_text("Lead assigned.")
        expect(manager.locator("#assignee")).to_have_text("Sam Okafor")
        expect(manager.locator("#timeline")).to_contain_text("Reassigned to Sam Okafor")

        # sam sees it appear in his open inbox; it leaves maria's.
        expect(sam.locator(f'tr[data-lead="{lead}"]')).to_be_visible(timeout=20_000)
        expect(maria.locator(f'tr[data-lead="{lead}"]')).to_have_count(0, timeout=20_000)
        told = clinic.wait_for_outbox(lambda m: m["channel"] == "team_sms" and m["recipient"] == "member:sam" and m.get("lead_id") == lead)
        assert told, "sam was notified"

        # maria types its URL: refused, nothing shown, and the refusal is in the audit trail.
        response = maria.goto(f"{clinic.base_url}/console/leads/{lead}")
        assert response.status == 403
        expect(maria.get_by_role("heading", level=1)).to_have_text("Not allowed")
        expect(maria.locator("body")).not_to_contain_text("Omar")
        assert axe_violations(maria) == [], describe_violations(axe_violations(maria))
        admin = clinic.dev_token("root-1", "admin")
        trail = clinic.request("GET", f"/audit/leads/{lead}", token=admin).json()["items"]
        assert any(e["outcome"] == "denied" and e["actor"].get("user_id") == "maria" for e in trail), trail

        # Agents are not shown assignment, the dashboard or the audit trail, and are refused them.
        sam.goto(f"{clinic.base_url}/console/leads/{lead}")
        expect(sam.get_by_role("form", name="Assign")).to_have_count(0)
        nav = sam.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="Dashboard")).to_have_count(0)
        expect(nav.get_by_role("link", name="Audit trail")).to_have_count(0)
        assert sam.goto(f"{clinic.base_url}/console/audit?lead={lead}").status == 403
        assert sam.goto(f"{clinic.base_url}/console/dashboard").status == 403
        assert sam.goto(f"{clinic.base_url}/console/people/{lead}").status == 403
    finally:
        for p in (manager, sam, maria):
            p.context.close()


def test_an_analyst_sees_the_numbers_and_no_lead(clinic, page):
    lead = new_lead(clinic, first_name="Ivy", phone="201-555-0182", service_line="med_spa", preferred_facility="Hoboken")
    sign_in(page, clinic, "analyst-1", "analyst")
    expect(page).to_have_title("Dashboard · leadflow")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link")).to_have_count(1)
    assert page.goto(f"{clinic.base_url}/console/leads/{lead}").status == 403
    expect(page.locator("body")).not_to_contain_text("Ivy")

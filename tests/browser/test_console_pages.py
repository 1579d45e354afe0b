"""Every console page in a real browser: it renders for the roles that may use it, axe-core
finds no serious or critical accessibility violation, it works on a phone-sized screen, and the
main ones are saved as screenshots for the docs. Also: a manager marks a member away and back,
corrections are recorded with before and after, and an administrator exports and (after typing
the lead's code) erases a person."""

import re

import pytest
from playwright.sync_api import expect

from conftest import axe_violations, describe_violations, screenshot
from console_helpers import new_lead, sign_in


@pytest.fixture(scope="module")
def clinic(around_the_clock_config):
    import conftest

    r = conftest._start(["--config", str(around_the_clock_config)])
    for n, (first, line, facility, concern) in enumerate(
        [
            ("Avery", "med_spa", "Hoboken", "Botox consultation"),
            ("Blake", "wound_care", "Manhattan", "A wound that is bleeding and not healing"),
            ("Casey", "mens_health", "Hoboken", "Low energy"),
            ("Drew", "addiction_treatment", "", "I relapsed last night and need help"),
        ]
    ):
        fields = {"first_name": first, "last_name": "Sample", "phone": f"201-555-02{n:02d}", "service_line": line, "concern": concern, "consent_sms": True}
        if facility:
            fields["preferred_facility"] = facility
        new_lead(r, **fields)
    yield r
    conftest._stop(r)


def check(page, name=None):
    violations = axe_violations(page)
    assert violations == [], describe_violations(violations)
    if name:
        screenshot(page, name)


def test_every_page_for_an_administrator(clinic, page):
    sign_in(page, clinic, "root-1", "admin")
    expect(page.locator("tbody#inbox-rows tr[data-lead]")).to_have_count(4, timeout=20_000)
    # Crisis first.
    expect(page.locator("tbody#inbox-rows tr[data-lead]").first).to_contain_text("crisis")
    check(page, "console-inbox-admin")

    page.get_by_role("link", name="Tasks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tasks")
    check(page, "console-tasks")

    page.get_by_role("link", name="Team").click()
    expect(page.locator('tr[data-member="maria"]')).to_contain_text("on shift")
    check(page, "console-team")

    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.locator(".kpis")).to_be_visible()
    for img in page.locator("figure.chart img").all():
        img.scroll_into_view_if_needed()
        expect(img).to_have_js_property("complete", True)
        assert img.evaluate("i => i.naturalWidth") > 0
    page.get_by_label("By").select_option("service_line")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("table").first).to_contain_text("med_spa")
    check(page, "console-dashboard")

    page.get_by_role("link", name="Audit trail").click()
    page.get_by_label("or staff user id").fill("root-1")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("tbody tr").first).to_be_visible()
    check(page, "console-audit")


def test_corrections_are_recorded_with_before_and_after(clinic, page):
    lead = new_lead(clinic, first_name="Eli", last_name="Stone", phone="201-555-0210", service_line="med_spa", preferred_facility="Hoboken")
    sign_in(page, clinic, "root-1", "admin", then=f"/console/leads/{lead}")
    page.get_by_role("link", name="Correct contact details or context").click()
    expect(page).to_have_title(re.compile(r"^Correct lead [0-9A-Z]{8} · leadflow$"))
    check(page, "console-edit")
    page.get_by_label("Last name").fill("Stein")
    page.get_by_label("E-mail").fill("eli.stein@example.org")
    page.get_by_role("button", name="Save corrections").click()
    expect(page.get_by_role("status")).to_have_text("Details saved.")
    expect(page.locator("#lead-name")).to_contain_text("Eli Stein")
    expect(page.locator("#timeline")).to_contain_text("last name Stone → Stein")
    # A bad value is refused, named, and changes nothing.
    page.get_by_role("link", name="Correct contact details or context").click()
    page.get_by_label("Phone").fill("12")
    page.get_by_role("button", name="Save corrections").click()
    expect(page.get_by_role("status")).to_contain_text("phone")
    expect(page.get_by_label("Phone")).to_have_value("+12015550210")


def test_a_manager_marks_a_member_away_and_back(clinic, page):
    sign_in(page, clinic, "mgr-1", "manager", facilities=["hoboken"], then="/console/team")
    row = page.locator('tr[data-member="maria"]')
    row.get_by_role("button", name="Mark Maria Lopez away").click()
    expect(page.get_by_role("status")).to_have_text("Marked away.")
    expect(page.locator('tr[data-member="maria"]')).to_contain_text("away")
    page.locator('tr[data-member="maria"]').get_by_role("button", name="Mark Maria Lopez back").click()
    expect(page.get_by_role("status")).to_have_text("Marked back.")
    # jon works only at Manhattan: not this manager's to mark.
    expect(page.locator('tr[data-member="jon"]').get_by_role("button")).to_have_count(0)


def test_an_administrator_exports_and_erases_a_person_after_confirming(clinic, page):
    lead = new_lead(clinic, first_name="Fay", last_name="Gone", phone="201-555-0211", service_line="med_spa", preferred_facility="Hoboken")
    sign_in(page, clinic, "root-1", "admin", then=f"/console/leads/{lead}")
    page.get_by_role("link", name="Export or erase this person's data").click()
    check(page, "console-person")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the export").click()
    exported = open(download.value.path()).read()
    assert "Fay" in exported and lead in exported
    # The wrong code erases nothing.
    page.get_by_label(re.compile("^Type .* to confirm$")).fill("WRONG")
    page.get_by_role("button", name="Erase this person").click()
    expect(page.get_by_role("status")).to_contain_text("Not erased")
    page.get_by_label(re.compile("^Type .* to confirm$")).fill(lead[-8:])
    page.get_by_role("button", name="Erase this person").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erased")
    page.goto(f"{clinic.base_url}/console/leads/{lead}")
    expect(page.locator("#lead-name")).not_to_contain_text("Fay")


def test_the_main_pages_work_on_a_phone(clinic, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        sign_in(page, clinic, "maria", "agent")
        rows = page.locator("tbody#inbox-rows tr[data-lead]")
        expect(rows.first).to_be_visible(timeout=20_000)
        # No sideways scrolling of the page; rows become cards.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        check(page, "console-phone-inbox")
        rows.first.get_by_role("link").click()
        expect(page.locator("#lead-name")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        check(page, "console-phone-lead")
    finally:
        context.close()

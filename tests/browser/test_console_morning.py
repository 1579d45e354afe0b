"""A coordinator's morning in the staff console: a new web-form lead appears in the inbox by
itself, she opens it, logs a call, texts the person, their signed reply appears in the thread
without a reload, she books them and the first-contact countdown stops."""

import re

import pytest
from playwright.sync_api import expect

from conftest import axe_violations, describe_violations, screenshot
from console_helpers import TWILIO_ENV, new_lead, sign_in, twilio_inbound


@pytest.fixture(scope="module")
def clinic(around_the_clock_config):
    import conftest

    r = conftest._start(["--config", str(around_the_clock_config)], TWILIO_ENV)
    yield r
    conftest._stop(r)


def test_a_coordinators_morning(clinic, page):
    sign_in(page, clinic, "maria", "agent")
    expect(page).to_have_title("Inbox · leadflow")
    assert axe_violations(page) == [], describe_violations(axe_violations(page))

    # A new inquiry from the web form shows up in the open inbox by itself.
    lead = new_lead(
        clinic,
        first_name="Nadia",
        last_name="Reyes",
        phone="(201) 555-0177",
        email="nadia.reyes@example.org",
        state="NJ",
        service_line="med_spa",
        preferred_facility="Hoboken",
        concern="Acne scars on my cheeks",
        consent_sms=True,
    )
    row = page.locator(f'tr[data-lead="{lead}"]')
    expect(row).to_be_visible(timeout=20_000)
    expect(row.locator(".countdown")).to_have_text(re.compile(r"\d+:\d\d (left|overdue)"))
    screenshot(page, "console-inbox")

    # Open it: who, what they asked, score and why, consent, the acknowledgement in the thread.
    row.get_by_role("link").click()
    expect(page).to_have_title(re.compile(r"^Lead [0-9A-Z]{8} · leadflow$"))
    assert "Nadia" not in page.title() and "Nadia" not in page.url
    expect(page.locator("#lead-name")).to_contain_text("Nadia Reyes")
    expect(page.get_by_role("region", name="Inquiries")).to_contain_text("Acne scars on my cheeks")
    expect(page.get_by_role("region", name="Score and why")).to_contain_text("of 100")
    expect(page.get_by_role("region", name="Consent")).to_contain_text("may be texted")
    expect(page.locator("#thread")).to_contain_text("Hi Nadia")
    clock = page.locator("#first-contact .countdown")
    expect(clock).to_have_attribute("data-due", re.compile(r"^\d{4}-"))
    assert axe_violations(page) == [], describe_violations(axe_violations(page))

    # Log a call: the first contact stops the clock.
    calls = page.get_by_role("form", name="Log a call")
    calls.get_by_label("Outcome").select_option("no_answer")
    calls.get_by_label("Note (optional)").fill("Left no message, will text")
    calls.get_by_role("button", name="Log call").click()
    expect(page.get_by_role("status")).to_have_text("Call logged.")
    expect(page.locator("#first-contact")).to_contain_text("contacted")
    expect(page.locator("#timeline")).to_contain_text("First contact attempt by call: no answer")

    # Text the person (through the consent gate; outside their hours only with a reason).
    write = page.get_by_role("form", name="Write to the person")
    write.get_by_label("Message").fill("Hi Nadia, this is Maria from Harbor Health. When can we call you?")
    override = write.get_by_label("Reason to send now (they asked to be contacted now)")
    if override.count():
        override.fill("She asked to be texted right away")
    write.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_have_text("Message sent.")
    expect(page.locator("#thread")).to_contain_text("When can we call you?")
    sent = clinic.wait_for_outbox(lambda m: m["channel"] == "sms" and m["purpose"] == "staff")
    assert sent and sent[0]["recipient"] == "+12015550177"

    # Her reply, signed by Twilio, appears in the thread without a reload.
    reply = twilio_inbound(clinic, "+12015550177", "Yes, tomorrow at 10 works", "SM-morning-1")
    assert reply.status == 200, reply.body
    thread = page.locator("#thread")
    expect(thread).to_contain_text("Yes, tomorrow at 10 works", timeout=20_000)
    expect(thread.locator("li.in").last).to_contain_text("From the person")
    screenshot(page, "console-lead")

    # Book her: the status changes, the countdown stays stopped.
    status = page.get_by_role("form", name="Change status")
    status.get_by_label("New status").select_option("booked")
    status.get_by_role("button", name="Change status").click()
    expect(page.get_by_role("status")).to_have_text("Status changed.")
    expect(page.locator("#lead-summary .badge.status")).to_have_text("booked")
    expect(page.locator("#first-contact .countdown")).not_to_have_attribute("data-due", re.compile("."))
    expect(page.locator("#timeline")).to_contain_text("Status contacted → booked")

"""The same inquiry with JavaScript switched off: the sample page's <noscript> frame shows the
form leadflow renders on the server; it posts to POST /leads, comes back as a page with the
problem next to its field (nothing stored), and once fixed returns to the site's thank-you page
through redirect_to."""

from __future__ import annotations

import pytest

from conftest import axe_violations, describe_violations, screenshot
from webform_support import w  # noqa: F401 (a fixture)


@pytest.fixture
def page(browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1100, "height": 1000})
    yield context.new_page()
    context.close()


def test_the_plain_form_posts_shows_errors_inline_and_returns_to_the_site(w, page):
    page.goto(w.site.url("/contact"))
    frame = page.frame_locator("iframe[title='Request a call back']")
    frame.get_by_role("heading", name="Request a call back").wait_for()
    screenshot(page, "webform-nojs")

    frame.get_by_label("Service").select_option("wound_care")
    frame.get_by_label("First name").fill("Sam")
    frame.get_by_label("Mobile phone").fill("123-456-7890")
    frame.get_by_label("How can we help?").fill("A wound on my foot that is slow to heal.")
    frame.get_by_label("Yes, you may text me").check()
    w.tick()
    frame.get_by_role("button", name="Send request").click()

    # The whole window now shows leadflow's answer: the form again, the problem by its field.
    page.wait_for_url("**/leads")
    error = page.locator("#lf-f-phone-error")
    assert error.inner_text() == "Enter a valid phone number with its area code."
    assert page.get_by_label("Mobile phone").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("First name").input_value() == "Sam", "what the person typed is kept"
    assert page.get_by_label("Yes, you may text me").is_checked()
    assert page.get_by_role("alert").get_by_role("link").inner_text().startswith("Mobile phone: Enter a valid phone number")
    assert w.leads() == [], "nothing stored"

    page.get_by_label("Mobile phone").fill("201-555-0181")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url(w.site.url("/thanks"))
    assert page.get_by_role("heading", name="Thank you").is_visible()

    texts = w.runner.wait_for_outbox(lambda m: m["channel"] == "sms" and m["recipient"] == "+12015550181")
    assert len(texts) == 1, texts
    lead = w.lead_by_phone("+12015550181")["lead"]
    sms = lead["consent"]["sms"]
    assert (sms["granted"], sms["text_version"]) == (True, "2026-03-sms")
    assert (sms["evidence"]["form"], sms["evidence"]["language"]) == ("inquiry", "en")
    assert sms["evidence"]["page"].startswith(w.site.base_url), "the page the frame was on"
    assert lead["context"]["concern"] == "A wound on my foot that is slow to heal."
    assert "journey" not in lead["source"], "no script, no cookie: no journey"


def test_the_plain_spanish_form(w, page):
    page.goto(w.site.url("/contacto"))
    frame = page.frame_locator("iframe[title='Solicite que le llamemos']")
    frame.get_by_role("heading", name="Solicite que le llamemos").wait_for()
    assert frame.locator("html").get_attribute("lang") == "es"
    frame.get_by_label("Servicio").select_option("mens_health")
    frame.get_by_label("Nombre").fill("Luis")
    frame.get_by_label("Teléfono móvil").fill("201-555-0182")
    w.tick()
    frame.get_by_role("button", name="Enviar solicitud").click()
    page.wait_for_url(w.site.url("/thanks"))
    lead = w.lead_by_phone("+12015550182")["lead"]
    assert lead["context"]["preferences"]["language"] == "es"


def test_the_page_and_its_refusal_are_accessible(w, browser):
    # The page runs no script; axe-core does, so this check uses a context with JavaScript on.
    context = browser.new_context(viewport={"width": 1100, "height": 1000})
    checked = context.new_page()
    try:
        checked.goto(w.runner.base_url + "/forms/inquiry/page?lang=en")
        assert checked.get_by_role("heading", name="Request a call back").is_visible()
        violations = axe_violations(checked)
        assert violations == [], describe_violations(violations)
        # Its CSP allows only its own stylesheet (by hash): it renders styled all the same.
        assert checked.locator(".lf-submit").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(11, 92, 173)"

        token = w.runner.request("GET", "/forms/inquiry/start").json()["token"]
        w.tick()
        refused = w.runner.request(
            "POST",
            "/leads",
            f"reply_as=html&form_id=inquiry&form_language=es&service_line=med_spa&first_name=Eva&phone=12&form_start={token}",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert refused.status == 422 and refused.headers["content-type"].startswith("text/html")
        checked.set_content(refused.body.decode())
        assert checked.locator("#lf-f-phone-error").inner_text() == "Escriba un teléfono válido con su código de área."
        violations = axe_violations(checked)
        assert violations == [], describe_violations(violations)
    finally:
        context.close()

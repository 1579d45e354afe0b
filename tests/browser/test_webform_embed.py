"""The embedded form in a real browser: a visitor lands on the sample site from an ad, browses,
accepts analytics, and inquires through the one-line embed; the Spanish form; accessibility;
bots; analytics off until consent; the script's size. The sample site is served from another
origin than leadflow (localhost vs 127.0.0.1) under a strict CSP that names leadflow once."""

from __future__ import annotations

import gzip
import hashlib
import json
import urllib.parse

import pytest

from conftest import SCREENSHOTS, axe_violations, describe_violations, screenshot
from webform_support import csp_violations, w, watch  # noqa: F401 (w is a fixture)

BUDGET_GZIPPED = 15 * 1024

AD_LANDING = "/?utm_source=google&utm_medium=cpc&utm_campaign=spring-laser&gclid=Cj0KCQtest123"


@pytest.fixture
def visit(browser):
    """A fresh browser profile (no cookies) per visitor."""
    contexts = []

    def new(**options):
        c = browser.new_context(viewport={"width": 1100, "height": 1000}, **options)
        contexts.append(c)
        return c.new_page()

    yield new
    for c in contexts:
        c.close()


def rendered(page, heading: str):
    page.get_by_role("heading", name=heading).wait_for()
    return page.locator("form.lf-form")


def test_a_visitor_from_an_ad_browses_accepts_analytics_and_inquires(w, visit):
    page = visit()
    requests, cookies_set = [], []
    watch(page, requests, cookies_set)

    # Lands from a Google ad (UTM tags and a click id), accepts analytics, looks at prices.
    page.goto(w.site.url(AD_LANDING), referer="https://www.google.com/")
    page.get_by_role("button", name="Accept analytics").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pricing").click()
    page.wait_for_url("**/pricing")
    page.get_by_role("link", name="Request a call back").click()
    page.wait_for_url("**/contact")
    form = rendered(page, "Request a call back")
    screenshot(page, "webform-en")
    form.screenshot(path=str(SCREENSHOTS / "webform-en-form.png"))

    # Fills it in with one mistake: the phone number is too short.
    form.get_by_label("Service").select_option("med_spa")
    form.get_by_label("First name").fill("Ana")
    form.get_by_label("Last name").fill("Lopez")
    form.get_by_label("Mobile phone").fill("555-01")
    form.get_by_label("Email", exact=True).fill("ana.lopez@example.com")
    form.get_by_label("Location").select_option("hoboken")
    form.get_by_label("How can we help?").fill("I would like to know about laser treatment.")
    form.get_by_label("Yes, you may text me").check()
    w.tick()
    form.get_by_role("button", name="Send request").click()

    error = form.locator("#" + form.get_by_label("Mobile phone").get_attribute("id") + "-error")
    assert error.inner_text() == "Enter a valid phone number with its area code."
    assert form.get_by_label("Mobile phone").get_attribute("aria-invalid") == "true"
    assert error.get_attribute("id") in form.get_by_label("Mobile phone").get_attribute("aria-describedby")
    # The summary takes the focus and links to the field.
    assert page.evaluate("document.activeElement.classList.contains('lf-summary')")
    assert w.leads() == [], "nothing stored for a refused form"
    violations = axe_violations(page)
    assert violations == [], describe_violations(violations)

    # A number the browser lets through but the server refuses: its message comes back inline.
    form.get_by_label("Mobile phone").fill("123-456-7890")
    form.get_by_role("button", name="Send request").click()
    assert error.inner_text() == "Enter a valid phone number with its area code."
    assert w.leads() == []

    # Fixed: sent, and the success state takes the focus.
    form.get_by_label("Mobile phone").fill("(201) 555-0175")
    form.get_by_role("button", name="Send request").click()
    success = page.get_by_role("status").filter(has_text="Thank you, we received your request")
    success.wait_for()
    assert page.evaluate("document.activeElement.classList.contains('lf-success')")
    violations = axe_violations(page)
    assert violations == [], describe_violations(violations)

    # The acknowledgement went out by SMS (the box was ticked).
    texts = w.runner.wait_for_outbox(lambda m: m["channel"] == "sms" and m["recipient"] == "+12015550175")
    assert len(texts) == 1, texts

    # The lead: the first and the latest touch, the consent wording the person saw.
    found = w.lead_by_phone("+12015550175")
    lead = found["lead"]
    journey = lead["source"]["journey"]
    assert journey["first"]["detail"]["gclid"] == "Cj0KCQtest123"
    assert journey["first"]["detail"]["utm_campaign"] == "spring-laser"
    assert journey["first"]["detail"]["referrer"] == "https://www.google.com/"
    assert journey["first"]["detail"]["landing_page"].startswith(w.site.url("/?utm_source=google"))
    assert journey["latest"] == journey["first"], "one visit: the first touch is the latest"
    assert journey["visits"] == 1
    assert journey.get("visitor"), "analytics accepted: the anonymous visitor id joins the lead"
    sms = lead["consent"]["sms"]
    definition = w.runner.request("GET", "/forms/inquiry?lang=en").json()
    shown = next(c for c in definition["consent"] if c["channel"] == "sms")
    assert (sms["granted"], sms["text_version"], sms["text_sha256"]) == (True, "2026-03-sms", shown["sha256"])
    assert hashlib.sha256(shown["text"].encode()).hexdigest() == shown["sha256"]
    assert sms["evidence"]["page"] == w.site.url("/contact")
    assert (sms["evidence"]["form"], sms["evidence"]["language"]) == ("inquiry", "en")
    assert lead["consent"]["email"]["granted"] is False, "the unticked box is recorded as a no, with its wording"
    assert lead["context"]["concern"] == "I would like to know about laser treatment."
    assert lead["context"]["preferred_facility"] == "hoboken"

    # The site's page views joined the lead (the pricing page scored).
    joined = [
        e
        for e in found["timeline"]["items"]
        if e["type"] == "touchpoint_recorded" and e["actor"] == {"kind": "system", "id": "site"}
    ]
    assert [e["touchpoint"].get("page") for e in joined] == ["/", "/pricing", None], joined

    # No third-party request, no cookie from leadflow, only the site's own first-party cookie.
    hosts = {urllib.parse.urlsplit(u).netloc for u in requests if u.startswith("http")}
    assert hosts == {urllib.parse.urlsplit(w.site.base_url).netloc, urllib.parse.urlsplit(w.runner.base_url).netloc}, hosts
    assert cookies_set == [], cookies_set
    cookies = page.context.cookies()
    assert [(c["name"], c["domain"]) for c in cookies] == [("lf_journey", "localhost")], cookies
    assert csp_violations(page) == []


def test_a_returning_visitor_brings_the_latest_touch_and_the_visit_count(w, visit):
    page = visit()
    page.goto(w.site.url("/?utm_source=facebook&utm_campaign=spring&fbclid=IwAR0test"))
    # Comes back later (a new visit: the snippet counts visits after 30 minutes away) from the newsletter.
    page.evaluate(
        """() => {
        const m = document.cookie.match(/lf_journey=([^;]*)/);
        const j = JSON.parse(decodeURIComponent(m[1]));
        j.s -= 3 * 86400e3; j.f.at = new Date(Date.now() - 3 * 86400e3).toISOString(); j.l.at = j.f.at;
        document.cookie = 'lf_journey=' + encodeURIComponent(JSON.stringify(j)) + ';path=/';
      }"""
    )
    page.goto(w.site.url("/contact?utm_source=newsletter&utm_medium=email"))
    form = rendered(page, "Request a call back")
    form.get_by_label("Service").select_option("wound_care")
    form.get_by_label("First name").fill("Ray")
    form.get_by_label("Mobile phone").fill("201-555-0176")
    w.tick()
    form.get_by_role("button", name="Send request").click()
    page.get_by_text("Thank you, we received your request").wait_for()
    lead = w.lead_by_phone("+12015550176")
    journey = lead["lead"]["source"]["journey"]
    assert journey["visits"] == 2
    assert journey["first"]["detail"]["fbclid"] == "IwAR0test"
    assert journey["latest"]["detail"]["utm_source"] == "newsletter"
    assert lead["lead"]["source"]["detail"]["utm_source"] == "newsletter", "the inquiry's source is the latest touch"
    assert "visitor" not in journey, "analytics never accepted: no visitor id"
    # The first visit is a touchpoint of its own, so attribution credits it too.
    firsts = [e for e in lead["timeline"]["items"] if e["type"] == "touchpoint_recorded" and e["actor"] == {"kind": "lead"}]
    assert [e["touchpoint"]["detail"].get("utm_source") for e in firsts] == ["facebook"]


def test_the_spanish_form(w, visit):
    page = visit()
    page.goto(w.site.url("/contacto"))
    form = rendered(page, "Solicite que le llamemos")
    screenshot(page, "webform-es")
    assert form.get_by_label("Servicio").locator("option").all_inner_texts() == [
        "Elija…",
        "Medicina estética",
        "Cuidado de heridas",
        "Salud masculina",
    ]
    consent = form.get_by_role("group", name="¿Podemos contactarle?")
    assert "Acepto que Harbor Health me envíe mensajes de texto" in consent.inner_text()
    assert not form.get_by_label("Sí, pueden enviarme mensajes de texto").is_checked(), "consent boxes start unticked"

    form.get_by_label("Servicio").select_option("med_spa")
    form.get_by_label("Nombre").fill("Lucía")
    form.get_by_label("Teléfono móvil").fill("201 555 0177")
    form.get_by_label("Correo electrónico").fill("lucia@example")
    form.get_by_label("Sí, pueden enviarme mensajes de texto").check()
    w.tick()
    form.get_by_role("button", name="Enviar solicitud").click()
    assert "Escriba un correo válido, como nombre@ejemplo.com." in form.locator(".lf-error:not([hidden])").all_inner_texts()
    violations = axe_violations(page)
    assert violations == [], describe_violations(violations)

    form.get_by_label("Correo electrónico").fill("lucia@example.com")
    form.get_by_role("button", name="Enviar solicitud").click()
    page.get_by_text("Gracias, recibimos su solicitud").wait_for()
    lead = w.lead_by_phone("+12015550177")["lead"]
    assert lead["consent"]["sms"]["text_version"] == "2026-03-sms-es"
    assert lead["consent"]["sms"]["evidence"]["language"] == "es"
    assert lead["context"]["preferences"]["language"] == "es", "routing can send it to a Spanish speaker"
    assert w.runner.wait_for_outbox(lambda m: m["channel"] == "sms" and m["recipient"] == "+12015550177")


def test_keyboard_alone_fills_and_sends_the_form(w, visit):
    page = visit()
    page.goto(w.site.url("/contact"))
    form = rendered(page, "Request a call back")
    form.get_by_label("Service").focus()
    page.keyboard.press("ArrowDown")  # the first service
    order = []
    for value in ["Kim", "Park", "201-555-0178", "kim@example.com"]:
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.name"))
        page.keyboard.type(value)
    assert order == ["first_name", "last_name", "phone", "email"]
    # On to the consent boxes (past the location, insurance and message fields): space ticks.
    while page.evaluate("document.activeElement.name") != "consent_sms":
        page.keyboard.press("Tab")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "consent_email"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Send request", "the honeypot is never reached"
    w.tick()
    page.keyboard.press("Enter")
    page.get_by_text("Thank you, we received your request").wait_for()
    assert w.lead_by_phone("+12015550178")["lead"]["consent"]["sms"]["granted"] is True


def test_bots_are_refused_and_nothing_is_stored(w, visit):
    before = len(w.leads())
    page = visit()
    page.goto(w.site.url("/contact"))
    form = rendered(page, "Request a call back")
    # A bot that fills every input it finds, the hidden one too.
    form.get_by_label("Service").select_option("med_spa")
    form.get_by_label("First name").fill("Bot")
    form.get_by_label("Mobile phone").fill("201-555-0190")
    page.evaluate("document.querySelector('.lf-hp input').value = 'http://cheap.example'")
    w.tick()
    form.get_by_role("button", name="Send request").click()
    form.locator(".lf-summary").wait_for()
    assert "Leave this field empty." in form.locator(".lf-summary").inner_text()
    assert len(w.leads()) == before

    # A bot posting the moment the form was shown (the server's start token is seconds old).
    page = visit()
    page.goto(w.site.url("/contact"))
    form = rendered(page, "Request a call back")
    form.get_by_label("Service").select_option("med_spa")
    form.get_by_label("First name").fill("Bot")
    form.get_by_label("Mobile phone").fill("201-555-0191")
    form.get_by_role("button", name="Send request").click()
    form.locator(".lf-summary").wait_for()
    assert "Please take a moment to check your details" in form.locator(".lf-summary").inner_text()
    # A bot posting without the form at all: no start token.
    direct = w.runner.post_lead({"first_name": "Bot", "phone": "201-555-0192", "service_line": "med_spa"})
    assert (direct.status, direct.json()["fields"][0]["code"]) == (422, "form_start_missing")
    # A made-up token.
    forged = w.runner.post_lead({"first_name": "Bot", "phone": "201-555-0193", "service_line": "med_spa", "form_start": "v1.aW5xdWlyeToxNzAw.AAAAAGkAAAA.c2lnbmF0dXJl"})
    assert (forged.status, forged.json()["fields"][0]["code"]) == (422, "form_start_invalid")
    assert len(w.leads()) == before, "nothing stored for any of them"
    assert not [m for m in w.runner.outbox() if m["recipient"] in ("+12015550190", "+12015550191", "+12015550192", "+12015550193")]


def test_beacons_stay_off_until_the_site_says_analytics_were_accepted(w, visit):
    page = visit()
    beacons = []
    page.on("request", lambda r: beacons.append(r.post_data) if r.url.endswith("/visits") else None)
    page.goto(w.site.url("/"))
    page.get_by_role("button", name="No thanks").click()
    page.goto(w.site.url("/pricing"))
    page.goto(w.site.url("/contact"))
    rendered(page, "Request a call back")
    assert beacons == [], "declined: no page view leaves the page"
    assert page.evaluate("!JSON.parse(decodeURIComponent(document.cookie.match(/lf_journey=([^;]*)/)[1])).id"), "and no visitor id"
    # The site's own API turns them on: this page's view goes, and a key event; never a form value.
    with page.expect_request(lambda r: r.url.endswith("/visits") and "guide_download" in (r.post_data or "")):
        page.evaluate("leadflow.consent({analytics: true}); leadflow.track('guide_download')")
    sent = [json.loads(b) for b in beacons]
    assert [(b["type"], b.get("page"), b.get("event")) for b in sent] == [("page_view", "/contact", None), ("event", None, "guide_download")]
    assert all(set(b) <= {"visitor", "type", "page", "event"} for b in sent), sent
    assert len({b["visitor"] for b in sent}) == 1


def test_the_script_is_cacheable_and_within_its_size_budget(w, capsys):
    r = w.runner.request("GET", "/forms/embed.js")
    assert r.status == 200
    assert r.headers["cache-control"].startswith("public")
    assert "set-cookie" not in r.headers
    raw = len(r.body)
    zipped = len(gzip.compress(r.body, compresslevel=9))
    with capsys.disabled():
        print(f"\nembed.js (with its stylesheet): {raw} bytes, {zipped} bytes gzipped (budget {BUDGET_GZIPPED})")
    assert zipped < BUDGET_GZIPPED

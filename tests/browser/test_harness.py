"""The harness itself: the runner fixture serves the system, and axe-core really runs in a page
(under a strict CSP) and reports what it should."""

from conftest import axe_violations, describe_violations

STRICT_CSP = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'none'\">"


def test_the_runner_takes_a_lead_and_records_its_acknowledgement(runner):
    r = runner.post_lead(
        {"first_name": "Ann", "phone": "(201) 555-0142", "service_line": "med_spa", "consent_sms": True}
    )
    assert r.status == 202, r.body
    texts = runner.wait_for_outbox(lambda m: m["channel"] == "sms" and m["recipient"] == "+12015550142")
    assert len(texts) == 1, texts
    assert texts[0]["text"].startswith("Hi Ann,"), texts[0]["text"]
    assert runner.request("GET", "/leads").status == 401


def test_axe_runs_under_a_strict_csp_and_finds_real_violations(page):
    page.set_content(
        f"<!doctype html><html><head>{STRICT_CSP}<title>t</title></head>"
        "<body><main><img src='x.png'><button></button></main></body></html>"
    )
    found = {v["id"] for v in axe_violations(page, impacts=("minor", "moderate", "serious", "critical"))}
    assert {"image-alt", "button-name", "html-has-lang"} <= found, found


def test_axe_passes_a_clean_page(page):
    page.set_content(
        f"<!doctype html><html lang='en'><head>{STRICT_CSP}<title>Clean</title></head>"
        "<body><main><h1>Hello</h1><img src='x.png' alt='A clinic'><button>Send</button></main></body></html>"
    )
    assert axe_violations(page) == [], describe_violations(axe_violations(page))

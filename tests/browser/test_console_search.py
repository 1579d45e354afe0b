"""Finding a person: by a name typed in another case and without accents, by a phone number in
another format, by an e-mail address in capitals; what was typed never reaches a URL, a title or
the history."""

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


@pytest.mark.parametrize(
    "typed",
    ["jose nunez", "NÚÑEZ", "josé", "+1 201.555.0191", "2015550191", "JOSE.NUNEZ@EXAMPLE.ORG"],
)
def test_search_finds_the_person_however_it_is_typed(clinic, page, typed):
    lead = new_lead(
        clinic,
        first_name="José",
        last_name="Núñez",
        phone="(201) 555-0191",
        email="jose.nunez@example.org",
        service_line="med_spa",
        preferred_facility="Hoboken",
    )
    urls = []
    page.on("framenavigated", lambda f: urls.append(f.url))
    sign_in(page, clinic, "root-1", "admin", then="/console/search")
    page.get_by_label("Name, phone or e-mail").fill(typed)
    page.get_by_role("button", name="Search").click()
    results = page.locator("tbody tr")
    expect(results.first).to_be_visible()
    expect(page.locator(f'tr[data-lead="{lead}"]')).to_contain_text("José Núñez")
    # Nothing typed or found is in a URL, the title or the history.
    expect(page).to_have_title("Search · leadflow")
    for u in urls + [page.url]:
        for secret in ["nunez", "N%C3%9A", "jose", "0191", "EXAMPLE"]:
            assert secret.lower() not in u.lower(), u
    if typed == "jose nunez":
        screenshot(page, "console-search")
        assert axe_violations(page) == [], describe_violations(axe_violations(page))


def test_a_search_too_short_says_why(clinic, page):
    sign_in(page, clinic, "root-1", "admin", then="/console/search")
    page.get_by_label("Name, phone or e-mail").fill("j")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("alert")).to_contain_text("at least two letters")

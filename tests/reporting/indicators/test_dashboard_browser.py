"""Indicator dashboards in a real browser (Debian chromium): axe-core finds no serious or critical violation, the
DSFR JavaScript starts under the CSP, the data tables open; screenshots docs/screenshots/r-dashboard-*.png."""

import os
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from cep.accounts.rights import Role
from cep.reporting.indicators.refresh import refresh
from tests.browser import launch, new_context, sync_playwright
from tests.factories import UserFactory
from tests.reporting.indicators.test_indicators import build_data

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
PERIOD = "?debut=2023-11&fin=2024-06"  # structure managers: a free month range
YEAR = "?annee=2024"  # observers: one calendar year


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()


def _page(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = new_context(browser)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    page.csp_messages = []
    page.on("console", lambda m: "Content Security Policy" in m.text and page.csp_messages.append(m.text))
    return page


def _check(page, screenshot: str):
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_load_state("load")
    page.wait_for_function("document.documentElement.getAttribute('data-fr-js') === 'true'", timeout=10_000)
    assert not page.csp_messages, page.csp_messages
    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, "\n".join(f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
                              for v in bad)  # fmt: skip
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{screenshot}.png"), full_page=True)
    if os.environ.get("CEP_SCREENSHOT_DETAIL"):  # section by section, to look at them closely
        page.screenshot(path=f"/tmp/{screenshot}-top.png")
        for section in page.query_selector_all("section.cep-indicator"):
            section.screenshot(path=f"/tmp/{screenshot}-{section.get_attribute('id')}.png")


@pytest.mark.django_db(transaction=True)
def test_dashboards_in_the_browser(browser, live_server, refdata):
    cache.clear()
    structures = build_data(people=220)
    refresh(full=True)
    url = live_server.url + reverse("reporting:dashboard")
    users = {
        "manager": UserFactory(username="b_resp", role=Role.MANAGER, structure=structures[0]),
        "regional": UserFactory(username="b_obs_r", role=Role.REGIONAL_OBSERVER, structure=None, region_id="94"),
        "national": UserFactory(username="b_obs_n", role=Role.NATIONAL_OBSERVER, structure=None),
    }

    page = _page(browser, live_server, users["manager"])
    page.goto(url + PERIOD)
    assert "Mission locale d'Ajaccio" in page.content()
    _check(page, "r-dashboard-1-structure-2019")

    page = _page(browser, live_server, users["regional"])
    page.goto(url + YEAR + "&referentiel=2014")
    assert "Corse comparée à « France entière »" in page.text_content("main")
    assert "année 2024" in page.text_content(".fr-text--lead") and not page.query_selector("#id_debut")
    page.click("button[aria-controls='donnees-age']")
    page.wait_for_selector("#tableau-age", state="visible")
    assert "France entière" in page.text_content("#tableau-age")
    _check(page, "r-dashboard-2-region-2014")

    page = _page(browser, live_server, users["national"])
    page.goto(url + YEAR)
    page.select_option("#id_annee", "2024")
    page.select_option("#id_region", "94")
    page.click("button:text('Afficher')")
    page.wait_for_url("**region=94**")
    assert "Corse" in page.text_content(".fr-text--lead") and "année 2024" in page.text_content(".fr-text--lead")
    _check(page, "r-dashboard-3-national-2019")
    page.select_option("#id_reseau", "france_travail")  # a région and a network together: refused in French
    page.click("button:text('Afficher')")
    page.wait_for_url("**reseau=france_travail**")
    assert "Choisissez une région ou un réseau, pas les deux à la fois." in page.text_content("main")
    page.select_option("#id_region", "")
    page.click("button:text('Afficher')")
    page.wait_for_url(lambda u: "region=94" not in u and "reseau=france_travail" in u)
    assert "France Travail comparée à « France entière »" in page.text_content(".fr-text--lead")

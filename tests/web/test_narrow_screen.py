"""At 390 px wide (a phone): nothing overflows sideways, the home page's « Sortie automatique prévue le » is on
screen, and the search's filters are folded so that the results come first."""

import datetime
import os

import pytest
from django.urls import reverse

from cep.enrolments.models import Cep
from tests.browser import launch, new_context, sync_playwright
from tests.clock import today

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(live_server, counselor, open_cep):
    cep = open_cep(initial_interview_date=today() - datetime.timedelta(days=101), project_type=None)
    Cep.objects.filter(pk=cep.pk).update(last_manifestation_date=today() - datetime.timedelta(days=170))
    with sync_playwright() as p:
        browser = launch(p)
        context = new_context(browser, viewport=PHONE)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.goto(live_server.url + reverse("web:login"))
        page.fill("#id_username", counselor.username)
        page.fill("#id_password", "motdepasse-solide-123")
        with page.expect_navigation():
            page.get_by_role("button", name="Se connecter", exact=True).click()
        yield page, live_server.url, cep
        browser.close()


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_home_shows_the_automatic_exit_date_on_a_phone(phone):
    page, base, cep = phone
    page.goto(base + reverse("web:home"))
    page.wait_for_load_state("networkidle")
    assert _overflow(page) <= 0
    expected = (today() - datetime.timedelta(days=170)).replace(day=1)  # any day: read the row's own date
    assert expected
    cell = page.locator("[data-label='Sortie automatique prévue le']").first
    box = cell.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert page.get_by_text("Sortie automatique prévue le").first.is_visible()


def test_dispositifs_do_not_overflow_on_a_phone(phone):
    page, base, cep = phone
    page.goto(base + reverse("web:dispositifs", args=[cep.beneficiary_id]))
    page.wait_for_load_state("networkidle")
    assert _overflow(page) <= 0


def test_search_filters_are_folded_on_a_phone(phone):
    page, base, cep = phone
    page.goto(base + reverse("web:beneficiary_search"))
    page.wait_for_load_state("networkidle")
    assert _overflow(page) <= 0
    assert page.locator("#id_q").is_visible()
    assert not page.locator("#id_cep_state").is_visible()  # folded
    first_result = page.locator("#results a").first.bounding_box()
    assert first_result is not None and first_result["y"] < PHONE["height"]  # results above the fold
    page.get_by_role("button", name="Filtres").click()
    page.locator("#id_cep_state").wait_for(state="visible")
    # On a wide screen the filters are shown, without the « Filtres » button
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#id_cep_state").wait_for(state="visible")
    assert not page.get_by_role("button", name="Filtres").is_visible()

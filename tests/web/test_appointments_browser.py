"""Issue 14 in a real browser (Debian chromium, French locale, Europe/Paris), with axe-core on each page shown.

- From the home page's « Sorties automatiques » list to an event recorded, back on the list: at most 6
  interactions (clicks + fields filled + page loads), counted and enforced.
- Book a rendez-vous on the dossier's « Rendez-vous » tab and mark it « Honoré » (htmx, no reload): its event is
  recorded and the CEP's R9 clock moves.
Screenshots: docs/screenshots/a-<nn>-<name>.png (`make screenshots`).
"""

import datetime
import os

import pytest
from django.urls import reverse

from cep.accounts.rights import Role
from cep.appointments.models import Appointment, Status
from cep.enrolments.models import Cep
from cep.enrolments.services import open_cep
from cep.events.models import Event
from cep.referentials import models as ref
from tests.browser import launch, new_context, sync_playwright
from tests.clock import today
from tests.factories import BeneficiaryFactory, StructureFactory, UserFactory
from tests.web.test_journey import AXE_FALSE_POSITIVES, PASSWORD, SCREENSHOTS

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

GOAL_AUTOMATIC_EXIT = 6  # issue 14: from the home list to an event recorded

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Counted:
    """Drives the page and counts what a user does: each click, each field filled, each page load."""

    def __init__(self, page, base_url):
        from axe_playwright_python.sync_playwright import Axe

        self.page, self.base_url, self.axe = page, base_url, Axe()
        self.interactions, self.counting = [], False
        self.violations: list[str] = []
        page.on("load", lambda _page: self._count("chargement"))

    def _count(self, what):
        if self.counting:
            self.interactions.append(what)

    def start(self):
        self.interactions, self.counting = [], True

    def go(self, path):
        self.page.goto(self.base_url + path)

    def click(self, locator, *, navigates=False):
        self._count("clic")
        if navigates:
            with self.page.expect_navigation():
                locator.click()
        else:
            locator.click()

    def select(self, selector, value):
        self._count("champ")
        self.page.select_option(selector, value)

    def fill(self, selector, value):
        self._count("champ")
        self.page.fill(selector, value)

    def snap(self, name, full_page=True):
        self.page.wait_for_load_state("networkidle")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"a-{name}.png"), full_page=full_page)
        for violation in self.axe.run(self.page).response["violations"]:
            if violation["impact"] in ("serious", "critical") and violation["id"] not in AXE_FALSE_POSITIVES:
                targets = [node["target"] for node in violation["nodes"]][:3]
                self.violations.append(f"{name}: {violation['id']} ({violation['impact']}) {targets}")


@pytest.fixture
def world(refdata):
    structure = StructureFactory(name="Mission locale du Pays ajaccien")
    counselor = UserFactory(
        username="camille", first_name="Camille", last_name="Santoni", role=Role.COUNSELOR, structure=structure
    )
    people = []
    for last, first, phone, days in (("Dupont", "Léa", "06 12 34 56 78", 170), ("Martin", "Hugo", "", 175)):
        person = BeneficiaryFactory(
            structure=structure, referent=counselor, last_name=last, first_name=first, phone=phone
        )
        open_cep(
            beneficiary=person,
            actor=counselor,
            orientation_source=ref.OrientationSource.objects.get(code="ma_structure_entree_directe"),
            entry_date=today() - datetime.timedelta(days=days),
            entry_phase=2,
            request_reason=ref.RequestReason.objects.get(code="reconversion"),
        )
        people.append(person)
    return counselor, people


@pytest.fixture
def browser_page():
    with sync_playwright() as p:
        browser = launch(p)
        context = new_context(browser)
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        browser.close()


def _sign_in(u):
    u.go(reverse("web:login"))
    u.page.fill("#id_username", "camille")
    u.page.fill("#id_password", PASSWORD)
    with u.page.expect_navigation():
        u.page.get_by_role("button", name="Se connecter", exact=True).click()


def test_r9_from_the_automatic_exit_list_to_an_event_in_at_most_6_interactions(live_server, world, browser_page):
    counselor, (lea, _hugo) = world
    page = browser_page
    u = Counted(page, live_server.url)
    _sign_in(u)
    table = page.locator("section[aria-labelledby=closing-title] table")
    assert table.get_by_role("link", name="06 12 34 56 78").is_visible()  # the phone number, to call first
    u.snap("01-sorties-automatiques")

    u.start()
    row = table.locator("tr", has_text="DUPONT Léa")
    u.click(row.get_by_role("link", name="Nouvel événement"), navigates=True)
    u.select("#id_direction", "structure_vers_beneficiaire")
    u.select("#id_nature", "telephone")
    u.click(page.get_by_role("button", name="Enregistrer l'événement", exact=True), navigates=True)
    page.wait_for_load_state("load")
    u.counting = False

    assert page.url.split("#")[0].rstrip("/") == live_server.url  # back on the home page's list
    assert page.get_by_text("L'événement a été enregistré").first.is_visible()
    assert not table.locator("tr", has_text="DUPONT Léa").count()  # the exit moved six months away
    cep = Cep.objects.get(beneficiary=lea)
    assert cep.last_manifestation_date == today()
    assert u.interactions.count("chargement") == 2, u.interactions  # the counter sees page loads
    assert len(u.interactions) <= GOAL_AUTOMATIC_EXIT, u.interactions
    assert not u.violations, "\n".join(u.violations)


def test_rdv_book_a_rendez_vous_and_mark_it_honoured(live_server, world, browser_page):
    counselor, (lea, hugo) = world
    page = browser_page
    u = Counted(page, live_server.url)
    _sign_in(u)
    u.go(reverse("web:appointments", args=[lea.pk]))
    page.get_by_text("Aucun rendez-vous à venir").wait_for()
    assert page.locator("#id_day_helptext").inner_text() == "Format : jj/mm/aaaa"

    # today at 08:30 on site (recorded as the day goes), then in three days by telephone
    u.start()
    u.fill("#id_day", today().isoformat())
    u.fill("#id_time", "08:30")
    u.fill("#id_subject", "Point sur le projet de reconversion")
    u.click(page.get_by_role("button", name="Prendre le rendez-vous"), navigates=True)
    u.counting = False
    assert page.get_by_text("est pris").first.is_visible()
    later = today() + datetime.timedelta(days=3)
    page.fill("#id_day", later.isoformat())
    page.fill("#id_time", "14:00")
    page.select_option("#id_mode", "telephone")
    page.select_option("#id_place", "")
    with page.expect_navigation():
        page.get_by_role("button", name="Prendre le rendez-vous").click()
    assert Appointment.objects.filter(beneficiary=lea, status=Status.PLANNED).count() == 2
    u.snap("02-rendez-vous")

    # « Honoré » on today's rendez-vous: htmx swaps the lists, no reload; its event is recorded
    page.evaluate("window.__same_page = true")
    today_row = page.locator("#appointments-lists tr", has_text=f"{today():%d/%m/%Y} à 08:30")
    today_row.get_by_role("button", name="Honoré", exact=True).click()
    page.get_by_text("son événement est enregistré").wait_for()
    assert page.evaluate("window.__same_page === true")
    appointment = Appointment.objects.get(beneficiary=lea, starts_at__date=today())
    assert appointment.status == Status.HONOURED
    event = Event.objects.get(pk=appointment.event_id)
    assert event.is_cep and event.date == today() and event.nature_id == "entretien_individuel"
    assert Cep.objects.get(beneficiary=lea).last_manifestation_date == today()  # R9 clock moved

    # home: today's rendez-vous (honoured) and the week's
    u.go(reverse("web:home"))
    section = page.locator("section[aria-labelledby=appointments-title]")
    assert section.get_by_text("08:30").is_visible() and section.get_by_text("14:00").is_visible()
    u.snap("03-accueil-rendez-vous")
    assert not u.violations, "\n".join(u.violations)

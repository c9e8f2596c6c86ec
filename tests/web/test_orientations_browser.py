"""Issue 11, part 2, in a real browser (Debian chromium, French locale), with axe-core on each page shown: a
counselor of a Mission locale orients a person to a Cap emploi agency found in the directory by commune, with the
person's consent; the agency's counselor finds it on the home page and accepts it (its dossier is created).
Screenshots: docs/screenshots/o-<nn>-<name>.png (`make screenshots`), shown in docs/guide-conseiller.md.
"""

import os

import pytest
from django.urls import reverse

from cep.accounts.rights import Role
from cep.orientations.models import Orientation, Status
from tests.browser import launch, new_context, sync_playwright
from tests.factories import BeneficiaryFactory, StructureFactory, UserFactory
from tests.web.test_journey import AXE_FALSE_POSITIVES, PASSWORD, SCREENSHOTS

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(refdata):
    ml = StructureFactory(name="Mission locale du Pays ajaccien")
    cap = StructureFactory(
        name="Cap emploi Corse-du-Sud",
        operator__network_id="cap_emploi",
        public="Personnes en situation de handicap",
        contact_email="accueil@capemploi2a.exemple.fr",
        contact_phone="04 95 00 00 00",
    )
    StructureFactory(name="Mission locale de Bastia", department_id="2B")
    camille = UserFactory(
        username="camille", first_name="Camille", last_name="Santoni", role=Role.COUNSELOR, structure=ml
    )
    paul = UserFactory(username="paul", first_name="Paul", last_name="Luciani", role=Role.COUNSELOR, structure=cap)
    lea = BeneficiaryFactory(
        structure=ml, referent=camille, last_name="Dupont", first_name="Léa", phone="06 12 34 56 78", has_rqth=True
    )
    return camille, paul, lea, cap


@pytest.fixture
def browser_page():
    with sync_playwright() as p:
        browser = launch(p)
        context = new_context(browser)
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        browser.close()


class Shots:
    def __init__(self, page):
        from axe_playwright_python.sync_playwright import Axe

        self.page, self.axe, self.violations = page, Axe(), []

    def snap(self, name):
        self.page.wait_for_load_state("networkidle")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"o-{name}.png"), full_page=True)
        for violation in self.axe.run(self.page).response["violations"]:
            if violation["impact"] in ("serious", "critical") and violation["id"] not in AXE_FALSE_POSITIVES:
                targets = [node["target"] for node in violation["nodes"]][:3]
                self.violations.append(f"{name}: {violation['id']} ({violation['impact']}) {targets}")


def _sign_in(page, base, username):
    page.context.clear_cookies()
    page.goto(base + reverse("web:login"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter", exact=True).click()


def test_orientation_sent_from_the_directory_and_accepted_by_the_other_structure(live_server, world, browser_page):
    camille, paul, lea, cap = world
    page, base = browser_page, live_server.url
    shots = Shots(page)

    # A: the dossier's « Orienter » → the directory, searched by the person's commune
    _sign_in(page, base, "camille")
    page.goto(base + reverse("web:dossier", args=[lea.pk]))
    with page.expect_navigation():
        page.get_by_role("link", name="Orienter vers une autre structure").click()
    assert page.locator("#id_commune").input_value() == "2A004"
    rows = page.locator("table tbody tr")
    assert "Cap emploi Corse-du-Sud" in rows.first.inner_text()  # serving the commune's département first
    shots.snap("01-annuaire")
    with page.expect_navigation():
        page.get_by_role("link", name="Orienter vers Cap emploi Corse-du-Sud").click()

    # the form: fields sent (RQTH never ticked by default), consent, message
    assert not page.locator("input[name=fields_sent][value=has_rqth]").is_checked()
    assert page.locator("#id_consent_on_helptext").inner_text() == "Format : jj/mm/aaaa"
    page.locator("label[for=id_consent_mode_0]").click()  # DSFR radios: the label takes the click
    page.fill("#id_comment", "Léa souhaite un accompagnement adapté à sa RQTH.")
    shots.snap("02-orienter")
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer l'orientation").click()
    assert page.get_by_text("L'orientation vers Cap emploi Corse-du-Sud est envoyée.").is_visible()
    o = Orientation.objects.get()
    assert "has_rqth" not in o.summary and o.status == Status.SENT

    # B: the home page's notification, the orientation, « Accepter »
    _sign_in(page, base, "paul")
    section = page.locator("section[aria-labelledby=orientations-title]")
    assert section.get_by_text("Reçues, en attente de votre réponse").is_visible()
    shots.snap("03-accueil-orientation-recue")
    with page.expect_navigation():
        section.get_by_role("link", name="DUPONT Léa").click()
    assert page.get_by_text("Léa souhaite un accompagnement").is_visible()
    shots.snap("04-orientation-recue")
    with page.expect_navigation():
        page.get_by_role("button", name="Accepter l'orientation").click()
    assert page.get_by_text("L'orientation est acceptée.").is_visible()
    shots.snap("05-orientation-acceptee")
    o.refresh_from_db()
    assert o.status == Status.ACCEPTED and o.target_beneficiary.structure == cap

    # A: the answer on the home page, then the sent list
    _sign_in(page, base, "camille")
    assert page.get_by_text("Réponses à vos orientations").is_visible()
    page.goto(base + reverse("web:orientations_sent"))
    shots.snap("06-orientations-envoyees")
    assert not shots.violations, "\n".join(shots.violations)

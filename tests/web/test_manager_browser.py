"""Manager pages in a real browser (Debian chromium): axe-core finds no serious or critical violation,
the DSFR JavaScript starts under the CSP (nonce), no CSP violation is reported; screenshots for the guide."""

import os
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from cep.accounts.rights import Right, Role
from tests.browser import launch, new_context, sync_playwright
from tests.factories import BeneficiaryFactory, StructureFactory, UserFactory, withdraw
from tests.web.fixtures_manager import make_offer
from tests.web.test_structure_directory_pages import _answered_orientations

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()


@pytest.fixture
def scene(structure, manager, counselor):
    """A structure with a few counselors, one of whom has left, their beneficiaries and a catalogue."""
    leaver = UserFactory(
        username="cmartin", first_name="Claire", last_name="Martin", role=Role.COUNSELOR, structure=structure
    )
    leaver.is_active = False
    leaver.save()
    successor = UserFactory(
        username="pleroy", first_name="Paul", last_name="Leroy", role=Role.COUNSELOR, structure=structure
    )
    BeneficiaryFactory.create_batch(3, structure=structure, referent=leaver)
    BeneficiaryFactory.create_batch(2, structure=structure, referent=counselor)
    offers = [
        make_offer(structure, name="Offre CEP", referent=counselor, offer_type="Entretien", partner="Région"),
        make_offer(structure, name="Atelier CV", national_measure="", theme_id="emploi", referent=successor),
        make_offer(structure, name="CEP", kind="dispositif", referent=counselor),
    ]
    return {"leaver": leaver, "successor": successor, "offers": offers}


def _page(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = new_context(browser)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    page.csp_messages = []
    page.on("console", lambda m: "Content Security Policy" in m.text and page.csp_messages.append(m.text))
    return page


def _check(page, screenshot: str | None = None):
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_load_state("load")
    # The DSFR JavaScript runs (it marks <html data-fr-js="true">): the nonce reached its script tags.
    page.wait_for_function("document.documentElement.getAttribute('data-fr-js') === 'true'", timeout=10_000)
    assert not page.csp_messages, page.csp_messages
    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{page.url}\n" + "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}" for v in bad
    )
    if screenshot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{screenshot}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_manager_pages_are_accessible(browser, live_server, refdata, scene, manager, counselor, structure):
    page = _page(browser, live_server, manager)
    url = live_server.url

    # « Ma structure » › « Modifier la fiche de l'annuaire »: a refused département, then the entry saved; three
    # orientations received and answered in two days give the measured delay.
    _answered_orientations(structure, StructureFactory(name="Mission locale de Bastia", department_id="2B"), 3)
    page.goto(url + reverse("manager:structure_directory"))
    page.fill("#id_served_departments", "2A, 2B, 99")
    page.fill("#id_public", "Jeunes de 16 à 25 ans sortis du système scolaire")
    page.fill("#id_contact_email", "orientations@ml-ajaccio.example.org")
    page.fill("#id_contact_phone", "04 95 00 00 00")
    page.fill("#id_address", "1 cours Napoléon, 20000 Ajaccio")
    page.click("button:has-text('Enregistrer la fiche')")
    assert "Département inconnu : 99." in page.content()
    assert "2,0 jours en moyenne" in page.content()
    _check(page, "m-12-fiche-annuaire-erreur")
    page.fill("#id_served_departments", "2A, 2B")
    page.click("button:has-text('Enregistrer la fiche')")
    assert "La fiche de la structure dans l" in page.content()

    page.goto(url + reverse("manager:structure"))
    assert "2B – Haute-Corse" in page.content()
    assert "Des bénéficiaires ont un référent désactivé" in page.content()
    _check(page, "m-01-structure")

    page.goto(url + reverse("manager:user_create"))
    page.fill("#id_username", "nouvelle")
    page.fill("#id_first_name", "Anne")
    page.fill("#id_last_name", "Roy")
    page.fill("#id_password", "123456789012")
    page.fill("#id_password_confirm", "123456789012")
    page.click("button[type=submit]:has-text('Créer le compte')")
    assert "entièrement numérique" in page.content()
    _check(page, "m-02-utilisateur-mot-de-passe-refuse")

    page.goto(url + reverse("manager:user_edit", args=[counselor.pk]))
    _check(page, "m-03-droits")

    page.goto(url + reverse("manager:reassign") + f"?de={scene['leaver'].pk}")
    page.select_option("#id_to_user", str(scene["successor"].pk))
    _check(page, "m-04-reattribuer")
    page.click("button[type=submit]:has-text('Continuer')")
    assert "3 bénéficiaire(s)" in page.content()
    _check(page, "m-05-reattribuer-confirmation")
    page.click("button:has-text('Confirmer la réattribution')")
    assert "3 bénéficiaire(s) réattribué(s)" in page.content()
    _check(page)

    page.goto(url + reverse("manager:offers"))
    _check(page, "m-06-offres")
    page.fill("#id_q", "cep")
    page.select_option("#id_kind", "dispositif")
    page.click("button:has-text('Rechercher')")
    assert "Atelier CV" not in page.content()
    _check(page)

    page.goto(url + reverse("manager:offer_create"))
    page.check("input[name=origin][value=structure]")
    page.select_option("#id_theme", "formation")
    page.select_option("#id_service_act", "info_conseil_formations")
    page.select_option("#id_referent", str(counselor.pk))
    page.select_option("#id_national_measure", "cep")
    page.fill("#id_name", "Offre CEP niveau 1")
    page.fill("#id_start_date", "2026-01-10")
    page.fill("#id_end_date", "2026-01-01")
    page.click("button:has-text('Enregistrer')")
    assert "La date de fin de l" in page.content()
    _check(page, "m-07-offre-erreur")

    offer = scene["offers"][0]
    page.goto(url + reverse("manager:offer_detail", args=[offer.pk]))
    _check(page, "m-08-offre")
    page.goto(url + reverse("manager:offer_edit", args=[offer.pk]))
    _check(page, "m-09-offre-modifier")


@pytest.mark.django_db(transaction=True)
def test_counselor_admin_and_error_pages_are_accessible(browser, live_server, refdata, scene, counselor, structure):
    withdraw(counselor, Right.MANAGE_OFFERS)  # a counselor holds it by default; the button follows the right
    page = _page(browser, live_server, counselor)
    page.goto(live_server.url + reverse("manager:offers"))
    assert "Créer une offre" not in page.content()
    _check(page)
    response = page.goto(live_server.url + reverse("manager:structure"))
    assert response.status == 403
    _check(page, "m-10-acces-refuse")
    response = page.goto(live_server.url + "/cette-page-n-existe-pas/")
    assert response.status == 404
    _check(page)
    # Five failed sign-ins lock the account from this browser: a French page, itself accessible.
    with override_settings(AXES_ENABLED=True):
        anonymous = new_context(browser).new_page()
        anonymous.csp_messages = []
        for _ in range(5):
            anonymous.goto(live_server.url + reverse("web:login"))
            anonymous.fill("#id_username", counselor.username)
            anonymous.fill("#id_password", "mauvais-mot-de-passe")
            anonymous.click("button:has-text('Se connecter')")
        assert "Connexion temporairement bloquée" in anonymous.content()
        _check(anonymous, "m-11-connexion-bloquee")
    # An administrator without a structure first chooses the structure to manage.
    admin = UserFactory(username="administrateur", role=Role.ADMIN, structure=None)
    page = _page(browser, live_server, admin)
    page.goto(live_server.url + reverse("manager:structure"))
    assert structure.name in page.content()
    _check(page)

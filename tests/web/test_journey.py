"""A counselor's whole day in a real browser (Debian chromium), with axe-core on every page visited.

sign in → create → duplicate warning → justify → propose a level-1 CEP offer → open the CEP in phase 2
(« Ma ML – suite niveau 1 ») → event → phase 3 (refused R5, then accepted) → cancel → phase 3 → close
(refused R8, then « Plan d'action réalisé », which offers the synthesis document) → reopen → delete through
the confirmation modal.
Each page is saved to docs/screenshots/<nn>-<name>.png (`make screenshots`).
"""

import datetime
import os
from pathlib import Path

import pytest
from django.urls import reverse

from cep.accounts.rights import Role
from cep.beneficiaries.models import Beneficiary
from cep.enrolments.models import Cep
from cep.enrolments.workflow import Status
from cep.offers.models import NationalMeasure, OfferKind
from cep.offers.services import create_offer
from cep.referentials import models as ref
from tests.browser import launch, new_context
from tests.factories import UserFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TODAY = datetime.date.today()
PASSWORD = "motdepasse-solide-123"
# Documented false positives of axe-core on the DSFR (none so far): rule id → why it does not apply.
AXE_FALSE_POSITIVES: dict[str, str] = {}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def iso(day: datetime.date) -> str:
    return day.isoformat()


class Journey:
    def __init__(self, page, base_url):
        from axe_playwright_python.sync_playwright import Axe

        self.page, self.base_url, self.axe, self.count = page, base_url, Axe(), 0
        self.violations: list[str] = []

    def go(self, path):
        self.page.goto(self.base_url + path)

    def snap(self, name, full_page=True):
        """Screenshot and axe check of the page as it is now."""
        self.page.wait_for_load_state("networkidle")
        self.count += 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{self.count:02d}-{name}.png"), full_page=full_page)
        results = self.axe.run(self.page)
        for violation in results.response["violations"]:
            if violation["impact"] in ("serious", "critical") and violation["id"] not in AXE_FALSE_POSITIVES:
                targets = [node["target"] for node in violation["nodes"]][:3]
                self.violations.append(f"{name}: {violation['id']} ({violation['impact']}) {targets}")

    def submit(self, label):
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=label, exact=True).click()

    def click_link(self, label):
        with self.page.expect_navigation():
            self.page.get_by_role("link", name=label, exact=True).first.click()

    def expect_text(self, text):
        assert self.page.get_by_text(text, exact=False).first.is_visible(), text


@pytest.fixture
def journey_data(refdata):
    from tests.factories import StructureFactory

    structure = StructureFactory(name="Mission locale du Pays ajaccien")
    counselor = UserFactory(
        username="camille", first_name="Camille", last_name="Santoni", role=Role.COUNSELOR, structure=structure
    )
    manager = UserFactory(username="resp", role=Role.MANAGER, structure=structure)
    create_offer(
        structure=structure,
        actor=manager,
        kind=OfferKind.INTERNAL,
        origin="structure",
        theme=ref.ServiceTheme.objects.get(code="formation"),
        service_act=ref.ServiceAct.objects.get(code="info_conseil_formations"),
        name="Offre CEP",
        start_date=TODAY - datetime.timedelta(days=365),
        national_measure=NationalMeasure.CEP,
    )
    return counselor


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        context = new_context(browser)
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        browser.close()


def test_counselor_journey(live_server, journey_data, browser_page):
    page = browser_page
    j = Journey(page, live_server.url)
    birth = TODAY.replace(year=TODAY.year - 22, day=6)
    entry = TODAY - datetime.timedelta(days=30)

    # Sign in
    j.go(reverse("web:login"))
    j.snap("connexion")
    page.fill("#id_username", "camille")
    page.fill("#id_password", PASSWORD)
    j.submit("Se connecter")
    j.expect_text("Sorties automatiques dans les 30 jours")
    j.snap("accueil")

    # Create a dossier
    j.click_link("Créer un dossier")
    j.snap("creation")
    page.fill("#id_last_name", "Dupont")
    page.fill("#id_first_name", "Léa")
    page.click("label[for=id_sex_0]")
    page.fill("#id_birth_date", iso(birth))
    page.fill("#id_first_reception_date", iso(TODAY - datetime.timedelta(days=60)))
    j.submit("Créer le dossier")
    j.expect_text("Le dossier a été créé")
    j.snap("synthese-a-completer")
    dossier = Beneficiary.objects.get(last_name="Dupont")

    # A second creation, one typo away: the likely duplicate is shown
    j.go(reverse("web:beneficiary_create"))
    page.fill("#id_last_name", "Dupond")
    page.fill("#id_first_name", "Lea")
    page.click("label[for=id_sex_0]")
    page.fill("#id_birth_date", iso(birth))
    page.fill("#id_first_reception_date", iso(TODAY))
    j.submit("Créer le dossier")
    j.expect_text("Doublon probable")
    assert page.get_by_label("Il ne s'agit pas de la même personne").is_visible()
    j.snap("doublon-probable")
    assert Beneficiary.objects.count() == 1
    j.click_link("Ouvrir le dossier existant")
    assert page.url.endswith(reverse("web:dossier", args=[dossier.pk]))

    # Complete (Coordonnées, Compléments) and justify
    j.click_link("Coordonnées")
    page.fill("#id_commune", "Ajacc")
    page.wait_for_selector("#communes-list option[value*='2A004']", state="attached")  # htmx suggestions
    page.fill("#id_commune", "Ajaccio")
    page.fill("#id_email", "lea.dupont@example.org")
    j.snap("coordonnees")
    j.submit("Enregistrer")
    j.expect_text("ont été enregistrées")
    j.click_link("Compléments")
    page.select_option("#id_employment_status", "demandeur_emploi_non_indemnise")
    page.select_option("#id_qualification_level", "niveau_4")
    j.snap("complements")
    j.submit("Enregistrer")
    j.click_link("Identité")
    j.snap("identite")
    j.click_link("Synthèse")
    j.expect_text("Le dossier est complet")
    j.submit("Justifier le dossier")
    j.expect_text("au statut « Justifié »")
    j.snap("synthese-justifie")

    # Level 1: search the catalogue and propose the CEP offer (the proposal records its event)
    j.click_link("Services")
    j.click_link("Rechercher et proposer une offre")
    page.fill("#id_q", "Offre CEP")
    j.submit("Rechercher")
    j.snap("recherche-offres")
    j.click_link("Proposer l'offre Offre CEP")
    page.fill("#id_proposed_on", iso(TODAY - datetime.timedelta(days=40)))
    page.select_option("#id_event-direction", "beneficiaire_vers_structure")
    page.select_option("#id_event-nature", "entretien_individuel")
    page.select_option("#id_event-place", "siege")
    page.fill("#id_event-comment", "Accueil individualisé : information sur le CEP.")
    j.snap("proposition-offre")
    j.submit("Valider la proposition")
    j.expect_text("a été proposée")
    j.snap("services")

    # Open the CEP in phase 2 with « Ma ML – suite niveau 1 »
    j.click_link("Dispositifs")
    j.click_link("Ajouter le dispositif CEP")
    page.select_option("#id_orientation_source", "ma_structure_suite_niveau1")
    page.fill("#id_initial_interview_date", iso(entry - datetime.timedelta(days=2)))
    page.fill("#id_entry_date", iso(entry))
    page.select_option("#id_request_reason", "reconversion")
    page.fill("#id_prescriber_name", "France Travail Ajaccio")
    j.snap("ajout-cep")
    j.submit("Ajouter")
    j.expect_text("Le dispositif CEP a été ajouté")
    j.snap("dispositifs-phase-2")
    cep = Cep.objects.get(beneficiary=dossier)
    assert cep.status == Status.PHASE2 and cep.orientation_source_id == "ma_structure_suite_niveau1"

    # Record an event (CEP context, remote, comment counter)
    j.click_link("Événements")
    j.click_link("Nouvel événement")
    page.select_option("#id_secondary_context", "projet_professionnel")
    page.select_option("#id_direction", "beneficiaire_vers_structure")
    page.select_option("#id_nature", "telephone")
    page.select_option("#id_place", "siege")
    page.click("label[for=id_delivery_mode_1]")
    page.fill("#id_comment", "Point sur le projet de reconversion.")
    assert page.locator("#id_comment-counter").inner_text() == "36/255"
    j.snap("nouvel-evenement")
    j.submit("Enregistrer l'événement")
    j.expect_text("L'événement a été enregistré")
    j.snap("evenements")

    # Phase 3 on the phase-2 entry day: refused (R5), message next to the date
    j.click_link("Dispositifs")
    j.click_link("Passer en phase 3")
    page.fill("#id_phase3_entry_date", iso(entry))
    j.submit("Valider")
    error = page.locator("#id_phase3_entry_date-desc-error")
    assert "au plus tôt le lendemain" in error.inner_text()
    assert "id_phase3_entry_date-desc-error" in page.get_attribute("#id_phase3_entry_date", "aria-describedby")
    j.snap("phase-3-refusee")
    page.fill("#id_phase3_entry_date", iso(entry + datetime.timedelta(days=10)))
    j.submit("Valider")
    j.expect_text("Le dispositif est passé en phase 3")
    j.snap("dispositifs-phase-3")

    # Cancel, then phase 3 again
    j.submit("Annuler le passage en phase 3")
    j.expect_text("Le passage en phase 3 a été annulé")
    cep.refresh_from_db()
    assert cep.status == Status.PHASE2 and cep.phase3_entry_date is None
    j.click_link("Passer en phase 3")
    page.fill("#id_phase3_entry_date", iso(entry + datetime.timedelta(days=20)))
    j.submit("Valider")
    j.expect_text("Le dispositif est passé en phase 3")

    # Modify (the two dates are read-only)
    j.click_link("Modifier")
    assert page.locator("#id_entry_date").count() == 0
    page.fill("#id_referent_name", "Camille Santoni")
    j.snap("modifier-cep")
    j.submit("Enregistrer les modifications")
    j.expect_text("ont été modifiées")

    # Close « Plan d'action réalisé » without a project type: refused (R8), then with it
    j.click_link("Clôturer le dispositif")
    page.fill("#id_end_date", iso(TODAY))
    page.select_option("#id_exit_reason", "plan_action_realise")
    page.wait_for_selector("#project-type .fr-sr-only")  # htmx marked the project type as required
    j.submit("Clôturer")
    assert "Le type de projet est obligatoire" in page.locator("#id_project_type-desc-error").inner_text()
    j.snap("cloture-refusee")
    page.select_option("#id_project_type", "reconversion")
    j.submit("Clôturer")
    j.expect_text("Le dispositif a été clôturé")
    j.expect_text("Générer le document de synthèse")  # « Plan d'action réalisé » offers the synthesis (issue 13)
    j.click_link("Retour aux dispositifs")
    j.snap("dispositifs-cloture")
    cep.refresh_from_db()
    assert cep.status == Status.CLOSED and cep.exit_reason_id == "plan_action_realise"

    # Reopen, look at the history
    j.submit("Rouvrir")
    j.expect_text("Le dispositif a été rouvert")
    cep.refresh_from_db()
    assert cep.status == Status.PHASE3
    j.click_link("Historique")
    j.expect_text("Passage en phase 3")
    j.snap("historique-cep")
    j.click_link("Retour aux dispositifs")

    # Delete through the DSFR confirmation modal
    page.wait_for_selector("html[data-fr-js='true']")
    page.get_by_role("button", name="Supprimer", exact=True).click()
    modal = page.locator(f"#modal-delete-{cep.pk}")
    modal.get_by_role("button", name="Confirmer la suppression").wait_for(state="visible")
    j.snap("suppression-confirmation", full_page=False)  # the modal over the page
    with page.expect_navigation():
        modal.get_by_role("button", name="Confirmer la suppression").click()
    j.expect_text("Le dispositif a été supprimé")
    j.snap("dispositifs-apres-suppression")
    cep.refresh_from_db()
    assert cep.status == Status.DELETED

    # The search finds the dossier whatever the accents and case, live (htmx swaps the results, no reload)
    j.click_link("Bénéficiaires")
    page.evaluate("window.__same_page = true")
    page.fill("#id_q", "DUPONT lea")
    page.wait_for_url("**q=DUPONT*")  # htmx asked for the results and put the search in the address bar
    page.wait_for_function("document.querySelector('#results').innerText.includes('DUPONT Léa')")
    assert page.evaluate("window.__same_page === true")  # the page was not reloaded
    j.snap("recherche")

    assert not j.violations, "\n".join(j.violations)

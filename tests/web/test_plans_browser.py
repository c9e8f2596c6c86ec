"""The action plan in a real browser (Debian chromium) with axe-core: a plan of three steps and a financing plan,
one line added through the form, the synthesis generated and listed. Screenshots for the user guide."""

import datetime
import os

import pytest
from django.urls import reverse

from cep.accounts.rights import Role
from cep.enrolments.services import open_cep
from cep.plans import services
from tests.browser import launch, new_context, sync_playwright
from tests.clock import today
from tests.factories import BeneficiaryFactory, StructureFactory, UserFactory
from tests.web.test_journey import PASSWORD, SCREENSHOTS, Journey

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def plan_cep(refdata, cep_refs):
    structure = StructureFactory(name="Mission locale du Pays ajaccien")
    counselor = UserFactory(
        username="camille", first_name="Camille", last_name="Santoni", role=Role.COUNSELOR, structure=structure
    )
    person = BeneficiaryFactory(structure=structure, referent=counselor, first_name="Léa", last_name="Marchetti")
    cep = open_cep(
        beneficiary=person,
        actor=counselor,
        orientation_source=cep_refs["direct"],
        entry_date=today() - datetime.timedelta(days=40),
        entry_phase=2,
        request_reason=cep_refs["reconversion"],
    )
    plan = services.create_plan(cep=cep, actor=counselor)
    services.update_plan(
        plan=plan,
        actor=counselor,
        project="Devenir menuisière agenceuse",
        strategies="Immersion, puis formation certifiante",
        total_cost="6000",
    )
    titles = ("Découvrir le métier", "Financer la formation", "Entrer en formation")
    for n, title in enumerate(titles):
        step = services.add_step(
            plan=plan, actor=counselor, title=title, target_date=today() + datetime.timedelta(days=30 * (n + 1))
        )
        services.add_action(step=step, actor=counselor, label=f"Action de l'étape {n + 1}", who="La personne")
    services.add_training(
        plan=plan, actor=counselor, provider="AFPA", title="Menuisier agenceur", formacode="22454", qualiopi="certifie"
    )
    line = services.add_financing_line(plan=plan, actor=counselor, funder="cpf", amount="2500", status="sollicite")
    services.update_financing_line(line=line, actor=counselor, status="accorde")
    return cep


def test_plan_page_and_synthesis_in_a_browser(live_server, plan_cep):
    with sync_playwright() as p:
        browser = launch(p)
        page = new_context(browser).new_page()
        page.set_default_timeout(15000)
        j = Journey(page, live_server.url)
        j.go(reverse("web:login"))
        page.fill("#id_username", "camille")
        page.fill("#id_password", PASSWORD)
        j.submit("Se connecter")
        j.go(reverse("web:cep_plan_item", kwargs={"cep_id": plan_cep.pk}) + "?type=line")
        page.select_option("#id_funder", "transitions_pro")
        page.fill("#id_amount", "3 000,00")
        j.submit("Enregistrer")
        j.expect_text("nouvelle version")
        j.expect_text("3\u202f500,00\xa0€")  # reste à charge: 6 000 − 2 500 granted
        page.screenshot(path=str(SCREENSHOTS / "plan-action.png"), full_page=True)
        j.snap("plan-action-axe")
        j.submit("Générer le document de synthèse")
        j.expect_text("Document de synthèse")
        page.screenshot(path=str(SCREENSHOTS / "documents-remis.png"), full_page=True)
        j.snap("documents-remis-axe")
        j.go(reverse("web:cep_plan_versions", kwargs={"cep_id": plan_cep.pk}))
        j.expect_text("Transitions Pro")
        page.screenshot(path=str(SCREENSHOTS / "plan-versions.png"), full_page=True)
        j.snap("plan-versions-axe")
        browser.close()
    for name in ("plan-action-axe", "documents-remis-axe", "plan-versions-axe"):
        for png in SCREENSHOTS.glob(f"*-{name}.png"):
            png.unlink()  # the numbered copies of Journey.snap: the named screenshots above are the guide's
    assert not j.violations, j.violations

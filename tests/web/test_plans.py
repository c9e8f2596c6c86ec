"""Suivi › Dispositifs › Plan d'action: pages, forms, versions, isolation and pinned query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cep.plans import services
from cep.plans.models import FinancingLine, PlanStep
from tests.clock import today


@pytest.fixture
def cep(open_cep):
    return open_cep()


@pytest.fixture
def plan(cep, counselor):
    return services.create_plan(cep=cep, actor=counselor)


def _url(name, cep, query=""):
    return reverse(f"web:{name}", kwargs={"cep_id": cep.pk}) + query


def test_plan_page_offers_to_create_the_plan(client, counselor, cep):
    client.force_login(counselor)
    page = client.get(_url("cep_plan", cep)).content.decode()
    assert "Créer le plan d'action" in page
    response = client.post(_url("cep_plan_create", cep))
    assert response.status_code == 302
    page = client.get(_url("cep_plan", cep)).content.decode()
    assert "Version 1" in page and "Ajouter une étape" in page


def test_plan_step_and_line_added_through_the_forms(client, counselor, plan, cep):
    client.force_login(counselor)
    form = client.get(_url("cep_plan_item", cep, "?type=step")).content.decode()
    assert "jj/mm/aaaa" in form
    response = client.post(
        _url("cep_plan_item", cep, "?type=step"),
        {"title": "Enquêtes métier", "objective": "Trois enquêtes", "start_date": "01/02/2027", "target_date": ""},
    )
    assert response.status_code == 302
    step = PlanStep.objects.get(plan=plan)
    assert step.start_date == datetime.date(2027, 2, 1)
    response = client.post(
        _url("cep_plan_item", cep, f"?type=action&step={step.pk}"),
        {"label": "Rencontrer un ébéniste", "who": "La personne", "due_date": "", "status": "prevue"},
    )
    assert response.status_code == 302
    response = client.post(
        _url("cep_plan_item", cep, "?type=line"), {"funder": "cpf", "amount": "1 500,50", "status": "envisage"}
    )
    assert response.status_code == 302
    page = client.get(_url("cep_plan", cep)).content.decode()
    assert "Rencontrer un ébéniste" in page and "1\u202f500,50\xa0€" in page


def test_plan_refused_amounts_and_formacode_are_french_errors(client, counselor, plan, cep):
    client.force_login(counselor)
    response = client.post(
        _url("cep_plan_item", cep, "?type=line"), {"funder": "cpf", "amount": "-5", "status": "envisage"}
    )
    assert response.status_code == 200 and "montant positif" in response.content.decode()
    response = client.post(
        _url("cep_plan_item", cep, "?type=line"), {"funder": "cpf", "amount": "", "status": "accorde"}
    )
    assert "accordé a un montant" in response.content.decode()
    response = client.post(
        _url("cep_plan_item", cep, "?type=training"),
        {"provider": "AFPA", "title": "Menuisier", "formacode": "2245", "qualiopi": "inconnu"},
    )
    assert "cinq" in response.content.decode()
    assert not FinancingLine.objects.exists()


def test_plan_versions_page_compares_the_changed_fields(client, counselor, plan, cep):
    step = services.add_step(plan=plan, actor=counselor, title="Enquêtes", objective="Deux enquêtes")
    services.update_step(step=step, actor=counselor, objective="Trois enquêtes")
    client.force_login(counselor)
    page = client.get(_url("cep_plan_versions", cep)).content.decode()
    assert "Deux enquêtes" in page and "Trois enquêtes" in page and "Objectif intermédiaire" in page
    page = client.get(_url("cep_plan_versions", cep, "?a=1&b=2")).content.decode()
    assert "Enquêtes" in page
    assert client.get(_url("cep_plan_versions", cep, "?a=1&b=99")).status_code == 404
    assert client.get(_url("cep_plan_versions", cep, "?a=x&b=1")).status_code == 400


def test_plan_of_another_structure_is_404(client, other_counselor, counselor, plan, cep):
    step = services.add_step(plan=plan, actor=counselor, title="Étape")
    client.force_login(other_counselor)
    for name in ("cep_plan", "cep_plan_versions", "cep_plan_edit", "cep_plan_item"):
        assert client.get(_url(name, cep)).status_code == 404, name
    assert client.post(_url("cep_plan_remove", cep), {"type": "step", "id": step.pk}).status_code == 404
    assert PlanStep.objects.filter(pk=step.pk).exists()


def test_plan_item_of_another_plan_is_404(client, counselor, plan, cep, other_counselor, other_structure, cep_refs):
    from cep.enrolments.services import open_cep
    from tests.factories import BeneficiaryFactory

    other_b = BeneficiaryFactory(structure=other_structure, referent=other_counselor)
    other_cep = open_cep(
        beneficiary=other_b,
        actor=other_counselor,
        orientation_source=cep_refs["direct"],
        entry_date=today() - datetime.timedelta(days=10),
        entry_phase=2,
        request_reason=cep_refs["reason"],
    )
    other_plan = services.create_plan(cep=other_cep, actor=other_counselor)
    foreign = services.add_step(plan=other_plan, actor=other_counselor, title="Ailleurs")
    client.force_login(counselor)
    assert client.get(_url("cep_plan_item", cep, f"?type=step&id={foreign.pk}")).status_code == 404
    assert client.get(_url("cep_plan_item", cep, "?type=step&id=abc")).status_code == 404
    assert client.post(_url("cep_plan_remove", cep), {"type": "step", "id": foreign.pk}).status_code == 404


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_plan_page_query_count_does_not_grow_with_the_plan(client, counselor, plan, cep):
    client.force_login(counselor)
    step = services.add_step(plan=plan, actor=counselor, title="Étape 1")
    services.add_action(step=step, actor=counselor, label="Action", who="La personne")
    services.add_financing_line(plan=plan, actor=counselor, funder="cpf", amount="10")
    client.get(_url("cep_plan", cep))  # the first page after signing in also writes the session
    small = _count(client, _url("cep_plan", cep))
    for n in range(5):
        step = services.add_step(plan=plan, actor=counselor, title=f"Étape {n + 2}")
        services.add_action(step=step, actor=counselor, label="Action", who="La personne")
        services.add_financing_line(plan=plan, actor=counselor, funder="opco", amount="10")
        services.add_training(plan=plan, actor=counselor, provider="AFPA", title=f"Formation {n}")
    assert _count(client, _url("cep_plan", cep)) == small == 11

"""/api/v1: the action plan, its financing lines, versions and the documents, with the pages' rules."""

import base64
import hashlib

import pytest

from cep.plans.models import FinancingLine, IssuedDocument, PlanVersion

P = "/api/v1"


@pytest.fixture
def cep(open_cep):
    return open_cep()


@pytest.fixture
def plan_url(api, cep):
    response = api.post(f"{P}/ceps/{cep.pk}/plan")
    assert response.status_code == 201 and response.json()["version"] == 1
    return f"{P}/ceps/{cep.pk}/plan"


def test_plan_built_through_the_api(api, plan_url):
    assert api.post(plan_url).status_code == 200  # already there: the same plan
    plan = api.post(f"{plan_url}/steps", {"title": "Enquêtes métier", "objective": "Trois enquêtes"}).json()
    step_id = plan["steps"][0]["id"]
    plan = api.post(f"{plan_url}/steps/{step_id}/actions", {"label": "Rencontrer un artisan", "who": "La personne"})
    assert plan.status_code == 201 and plan.json()["steps"][0]["actions"][0]["status"] == "prevue"
    training = api.post(
        f"{plan_url}/trainings",
        {
            "provider": "AFPA",
            "title": "Menuisier",
            "formacode": "22454",
            "certification_kind": "RNCP",
            "certification_code": "35185",
        },
    )
    assert training.status_code == 201
    assert api.post(f"{plan_url}/services", {"service": "pmsmp"}).status_code == 201
    assert api.patch(plan_url, {"total_cost": "5000.00", "project": "Menuisier"}).status_code == 200
    line = api.post(f"{plan_url}/financing-lines", {"funder": "cpf", "amount": "1200.50", "status": "sollicite"})
    assert line.status_code == 201 and line.json()["amount"] == "1200.50"
    granted = api.patch(f"{plan_url}/financing-lines/{line.json()['id']}", {"status": "accorde"})
    assert granted.status_code == 200
    plan = api.get(plan_url).json()
    assert plan["totals"]["granted"] == "1200.50" and plan["totals"]["reste_a_charge"] == "3799.50"
    assert plan["version"] == 8  # created, then seven saves


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"funder": "cpf", "amount": "-5.00"}, 409, "FINANCEMENT"),
        ({"funder": "cpf", "status": "accorde"}, 409, "FINANCEMENT"),
        ({"funder": "loterie", "amount": "5.00"}, 422, "REFERENTIEL"),
        ({"funder": "cpf", "amount": 10.5}, 422, "VALIDATION"),
    ],
)
def test_financing_refusals_change_nothing(api, plan_url, body, status, code):
    versions = PlanVersion.objects.count()
    response = api.post(f"{plan_url}/financing-lines", body)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code and response.json()["message"]
    assert not FinancingLine.objects.exists() and PlanVersion.objects.count() == versions


def test_versions_and_their_comparison(api, plan_url):
    api.post(f"{plan_url}/steps", {"title": "Étape"})
    versions = api.get(f"{plan_url}/versions").json()["items"]
    assert [v["number"] for v in versions] == [2, 1]
    changes = api.get(f"{plan_url}/versions/compare?a=1&b=2").json()["changes"]
    assert changes == [
        {"section": "Étapes", "item": "Étape 1 « Étape »", "field": "Étape", "before": "", "after": "Étape"}
    ]
    assert api.get(f"{plan_url}/versions/compare?a=1&b=7").status_code == 404


def test_documents_through_the_api(api, cep, plan_url):
    issued = api.post(f"{P}/ceps/{cep.pk}/documents", {"kind": "synthese"})
    assert issued.status_code == 201 and issued.json()["plan_version"] == 1
    document = api.get(f"{P}/documents/{issued.json()['id']}").json()
    pdf = base64.b64decode(document["pdf_base64"])
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == document["sha256"]
    listed = api.get(f"{P}/beneficiaries/{cep.beneficiary_id}/documents").json()["items"]
    assert [d["id"] for d in listed] == [document["id"]]
    refused = api.post(f"{P}/ceps/{cep.pk}/documents", {"kind": "prise_de_recul", "discussed": ""})
    assert refused.status_code == 409 and refused.json()["field"] == "discussed"
    assert IssuedDocument.objects.count() == 1

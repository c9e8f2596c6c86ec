"""Documents remis: issue from the plan page and after closing, list on the dossier, download, isolation."""

import hashlib

import pytest
from django.urls import reverse

from cep.offers.services import propose_offer
from cep.plans import services
from cep.plans.models import IssuedDocument
from cep.referentials.models import ExitReason
from tests.clock import today


@pytest.fixture
def cep(open_cep):
    return open_cep()


def test_synthesis_issued_from_the_plan_page_then_downloaded(client, counselor, cep):
    services.create_plan(cep=cep, actor=counselor)
    client.force_login(counselor)
    page = client.get(reverse("web:cep_plan", kwargs={"cep_id": cep.pk})).content.decode()
    assert "Générer le document de synthèse" in page
    response = client.post(reverse("web:document_synthesis", kwargs={"cep_id": cep.pk}))
    assert response.status_code == 302
    document = IssuedDocument.objects.get()
    listing = client.get(reverse("web:documents", kwargs={"pk": cep.beneficiary_id})).content.decode()
    assert "Document de synthèse" in listing and document.sha256[:16] in listing
    pdf = client.get(reverse("web:document_download", kwargs={"document_id": document.pk}))
    assert pdf["Content-Type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == document.sha256


@pytest.mark.parametrize(
    ("reason", "offered"),
    [
        ("formalisation_projet_realisee", "#documents"),
        ("prise_de_recul_realisee", "/documents/prise-de-recul/"),
        ("interruption_formalisee", "/dispositifs/"),
    ],
)
def test_closing_offers_the_matching_document(client, counselor, cep, reason, offered):
    client.force_login(counselor)
    response = client.post(
        reverse("web:cep_close", kwargs={"cep_id": cep.pk}),
        {"end_date": today().strftime("%d/%m/%Y"), "exit_reason": ExitReason.objects.get(code=reason).pk},
    )
    assert response.status_code == 302 and offered in response.url


def test_step_back_form_accepted_and_refused(client, counselor, cep):
    client.force_login(counselor)
    url = reverse("web:document_step_back", kwargs={"cep_id": cep.pk})
    assert "jj/mm/aaaa" in client.get(url).content.decode()
    refused = client.post(url, {"interview_date": "31/02/2026", "discussed": ""})
    assert refused.status_code == 200 and "date valide" in refused.content.decode()
    assert not IssuedDocument.objects.exists()
    accepted = client.post(url, {"interview_date": today().strftime("%d/%m/%Y"), "discussed": "Mes envies"})
    assert accepted.status_code == 302
    assert IssuedDocument.objects.get().kind == "prise_de_recul"


def test_level1_form_issues_the_document_on_the_dossier(client, counselor, beneficiary, cep_offer, event_refs):
    service = propose_offer(beneficiary=beneficiary, offer=cep_offer, actor=counselor, event=event_refs)
    client.force_login(counselor)
    url = reverse("web:document_level1", kwargs={"pk": beneficiary.pk})
    response = client.post(url, {"service": service.pk, "demand": "Changer de métier", "decision": "Poursuivre"})
    assert response.status_code == 302
    assert IssuedDocument.objects.get().service == service


def test_documents_of_another_structure_are_404(client, counselor, other_counselor, cep):
    document = services.issue_synthesis(cep=cep, actor=counselor)
    client.force_login(other_counselor)
    assert client.get(reverse("web:document_download", kwargs={"document_id": document.pk})).status_code == 404
    assert client.get(reverse("web:documents", kwargs={"pk": cep.beneficiary_id})).status_code == 404
    assert client.post(reverse("web:document_synthesis", kwargs={"cep_id": cep.pk})).status_code == 404
    assert IssuedDocument.objects.count() == 1

"""Complementary investigations (issue 12 part 9): collecting data from partners or people records the partners'
formal consent, the legal basis, the people's information and consent, and how long the data are kept ([002])."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from cep.common.errors import RuleViolation
from cep.monitoring import services
from cep.monitoring.models import Investigation

from .conftest import TODAY

pytestmark = pytest.mark.django_db
D = datetime.date
CONSENTS = {
    "partners_consent_on": D(2026, 3, 1),
    "partners_consent_by": "Missions locales, Cap emploi",
    "legal_basis": "consentement",
    "people_consent": "Notice d'information remise ; consentement écrit recueilli avant l'entretien.",
    "data_kept_until": D(2027, 12, 31),
}


def _record(analyst, exercise, **extra):
    fields = {"title": "Non-recours au CEP", "question": "Qui ne recourt pas au CEP, et pourquoi ?"}
    return services.record_investigation(actor=analyst, exercise_id=exercise.pk, today=TODAY, **(fields | extra))


def test_suivi_a_documentary_investigation_needs_no_consent(analyst, exercise):
    investigation = _record(analyst, exercise, method="analyse_documentaire", findings="Peu de non-recours mesuré.")
    assert not investigation.collects_from_people and investigation.legal_basis == ""


def test_suivi_collecting_data_from_people_is_refused_without_every_consent_at_once(analyst, exercise):
    with pytest.raises(RuleViolation) as refused:
        _record(analyst, exercise, method="entretiens", collects_from_people=True)
    fields = {v.field for v in refused.value.violations}
    assert fields == {"partners_consent_on", "partners_consent_by", "legal_basis", "people_consent", "data_kept_until"}
    assert not Investigation.objects.exists()


def test_suivi_collecting_data_from_people_with_its_consents_is_recorded(analyst, exercise):
    investigation = _record(analyst, exercise, method="enquete", collects_from_people=True, **CONSENTS)
    assert investigation.legal_basis == "consentement" and investigation.partners_consent_on == D(2026, 3, 1)


def test_suivi_consent_in_the_future_or_data_kept_in_the_past_are_refused(analyst, exercise):
    bad = CONSENTS | {"partners_consent_on": D(2027, 1, 1), "data_kept_until": D(2026, 1, 1)}
    with pytest.raises(RuleViolation) as refused:
        _record(analyst, exercise, method="enquete", collects_from_people=True, **bad)
    assert {v.field for v in refused.value.violations} == {"partners_consent_on", "data_kept_until"}


def test_suivi_the_database_refuses_a_collection_without_its_consents(analyst, exercise):
    with pytest.raises(IntegrityError), transaction.atomic():
        Investigation.objects.create(
            exercise=exercise, title="x", question="y", method="enquete", collects_from_people=True, created_by=analyst
        )


def test_suivi_investigation_through_the_page(client, analyst, exercise):
    client.force_login(analyst)
    url = reverse("monitoring:investigation_add", args=[exercise.pk])
    data = {
        "title": "Reconversions",
        "question": "Quels parcours ?",
        "method": "entretiens",
        "collects_from_people": "on",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200 and "consentement formel des partenaires" in refused.content.decode()
    data |= {
        "partners_consent_on": "01/03/2026",
        "partners_consent_by": "Missions locales",
        "legal_basis": "interet_legitime",
        "people_consent": "Information écrite, droit d'opposition.",
        "data_kept_until": "31/12/2027",
    }
    assert client.post(url, data).status_code == 302
    page = client.get(reverse("monitoring:exercise", args=[exercise.pk])).content.decode()
    assert "Reconversions" in page and "Intérêt légitime" in page

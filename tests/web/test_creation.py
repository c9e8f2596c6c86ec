"""« Créer un dossier »: what « Justifié » needs on the same page, eligibility explained as it is typed, and the
buttons « Créer et justifier » and « Créer, justifier et ajouter le dispositif CEP » (one transaction each)."""

import datetime

import pytest
from django.urls import reverse

from cep.audit.models import AuditEntry
from cep.beneficiaries.models import Beneficiary
from cep.enrolments.models import Cep
from cep.enrolments.workflow import Status
from tests.clock import today
from tests.factories import BeneficiaryFactory

pytestmark = pytest.mark.django_db
URL = "web:beneficiary_create"


def _data(**extra):
    return {
        "last_name": "Dupont",
        "first_name": "Léa",
        "sex": "F",
        "birth_date": today().replace(year=today().year - 22, day=6).isoformat(),
        "first_reception_date": today().isoformat(),
        "commune": "Ajaccio 20000 (2A004)",
        "employment_status": "demandeur_emploi_non_indemnise",
        "holds_or_seeks_job": "on",
        "qualification_level": "niveau_4",
        **extra,
    }


def _cep(**extra):
    return {
        "cep-orientation_source": "ma_structure_entree_directe",
        "cep-entry_date": today().isoformat(),
        "cep-entry_phase": "2",
        "cep-request_reason": "reconversion",
        **extra,
    }


def test_r1_creation_page_asks_what_justified_needs_and_offers_three_buttons(signed_in):
    html = signed_in.get(reverse(URL)).content.decode()
    for text in (
        "Commune de résidence",
        "Situation professionnelle",
        "Niveau de qualification",
        "Créer et justifier",
        "Créer, justifier et ajouter le dispositif CEP",
        'id="creation-check"',
    ):
        assert text in html, text


def test_r1_create_and_justify(signed_in, counselor):
    response = signed_in.post(reverse(URL), {**_data(), "action": "justify"})
    assert response.status_code == 302
    b = Beneficiary.objects.get()
    assert b.is_justified and b.commune_id == "2A004" and b.referent == counselor


def test_r1_create_and_justify_refused_shows_each_missing_field_and_writes_nothing(signed_in):
    data = _data(commune="", qualification_level="")
    response = signed_in.post(reverse(URL), {**data, "action": "justify"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_commune-desc-error"' in html and 'id="id_qualification_level-desc-error"' in html
    assert not Beneficiary.objects.exists() and not AuditEntry.objects.exists()
    # « Créer le dossier » still creates an incomplete dossier
    assert signed_in.post(reverse(URL), {**data, "action": "create"}).status_code == 302
    assert not Beneficiary.objects.get().is_justified


def test_r1_create_justify_and_open_the_cep_in_one_submission(signed_in):
    response = signed_in.post(reverse(URL), {**_data(), **_cep(), "action": "open_cep"})
    assert response.status_code == 302
    cep = Cep.objects.get()
    assert cep.status == Status.PHASE2 and cep.beneficiary.is_justified
    assert response.url == reverse("web:dispositifs", args=[cep.beneficiary_id])


def test_r4_create_with_cep_refused_writes_nothing_and_shows_every_error(signed_in):
    """The CEP part refused (entry before the first reception): no dossier either; the dossier's and the CEP
    form's errors in one page."""
    data = {**_data(), **_cep(**{"cep-entry_date": (today() - datetime.timedelta(days=5)).isoformat()})}
    response = signed_in.post(reverse(URL), {**data, "action": "open_cep"})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="id_cep-entry_date-desc-error"' in html
    assert "au plus tôt à la date de premier accueil" in html
    assert not Beneficiary.objects.exists() and not Cep.objects.exists() and not AuditEntry.objects.exists()
    missing = signed_in.post(reverse(URL), {**_data(), "action": "open_cep"}).content.decode()
    assert 'id="id_cep-orientation_source-desc-error"' in missing and not Beneficiary.objects.exists()


def test_eligibility_refused_on_open_cep_writes_nothing(signed_in):
    old = today().replace(year=today().year - 40).isoformat()
    response = signed_in.post(reverse(URL), {**_data(birth_date=old), **_cep(), "action": "open_cep"})
    assert response.status_code == 200 and "de 16 à 25 ans" in response.content.decode()
    assert not Beneficiary.objects.exists()


def test_duplicate_warning_applies_to_every_button(signed_in, structure):
    existing = BeneficiaryFactory(
        structure=structure,
        last_name="Dupont",
        first_name="Léa",
        birth_date=today().replace(year=today().year - 22, day=6),
    )
    response = signed_in.post(reverse(URL), {**_data(last_name="Dupond"), **_cep(), "action": "open_cep"})
    html = response.content.decode()
    assert "Doublon probable" in html and reverse("web:dossier", args=[existing.pk]) in html
    assert Beneficiary.objects.count() == 1 and not Cep.objects.exists()
    again = {**_data(last_name="Dupond"), **_cep(), "action": "open_cep", "not_duplicate": "on"}
    assert signed_in.post(reverse(URL), again).status_code == 302 and Cep.objects.count() == 1


def test_creation_check_explains_eligibility_as_it_is_typed(signed_in, structure):
    url = reverse("web:beneficiary_create_check")
    html = signed_in.post(url, {"birth_date": today().replace(year=today().year - 40).isoformat()}).content.decode()
    assert "Non éligible au CEP" in html and "de 16 à 25 ans" in html
    html = signed_in.post(url, _data()).content.decode()
    assert "Éligible au CEP" in html and "Le dossier peut être justifié dès sa création" in html
    html = signed_in.post(url, _data(qualification_level="")).content.decode()
    assert "il manque : le niveau de qualification" in html
    BeneficiaryFactory(
        structure=structure,
        last_name="Dupont",
        first_name="Lea",
        birth_date=today().replace(year=today().year - 22, day=6),
    )
    assert "Doublon probable" in signed_in.post(url, _data()).content.decode()


def test_a_counselor_without_propose_cep_gets_no_cep_button_and_cannot_post_it(client, counselor):
    from cep.accounts.rights import ROLE_RIGHTS

    counselor.extra_rights = [r for r in ROLE_RIGHTS[counselor.role] if r != "propose_cep"]
    counselor.save()
    client.force_login(counselor)
    assert "ajouter le dispositif CEP" not in client.get(reverse(URL)).content.decode()
    response = client.post(reverse(URL), {**_data(), **_cep(), "action": "open_cep"})
    assert response.status_code == 302 and not Cep.objects.exists()  # treated as « Créer le dossier »
    assert not Beneficiary.objects.get().is_justified

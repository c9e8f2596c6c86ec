"""Suivi › Services: catalogue search and « Proposer » from the dossier."""

import datetime

import pytest
from django.urls import reverse

from cep.events.services import record_event
from cep.offers.models import Service
from tests.clock import today

pytestmark = pytest.mark.django_db


def test_offer_search_by_name_and_dispositifs(signed_in, beneficiary, level1_offer):
    url = reverse("web:offer_search", args=[beneficiary.pk])
    html = signed_in.get(url, {"q": "offre", "kind": "catalogue"}).content.decode()
    assert "Offre CEP" in html and reverse("web:propose", args=[beneficiary.pk, level1_offer.pk]) in html
    html = signed_in.get(url, {"q": "Info. Conseil sur les formations", "kind": "catalogue"}).content.decode()
    assert "Offre CEP" in html  # service act label
    html = signed_in.get(url, {"q": "cep", "kind": "dispositif"}).content.decode()
    assert reverse("web:cep_add", args=[beneficiary.pk]) in html


def _event_post(counselor):
    return {
        "event-primary_context": "cep",
        "event-direction": "beneficiaire_vers_structure",
        "event-nature": "entretien_individuel",
        "event-place": "siege",
        "event-function": "conseiller",
        "event-intervener": counselor.pk,
        "event-delivery_mode": "sur_site",
        "event-group_mode": "individuel",
    }


def test_propose_without_event_in_progress_asks_the_event(signed_in, beneficiary, counselor, level1_offer):
    url = reverse("web:propose", args=[beneficiary.pk, level1_offer.pk])
    html = signed_in.get(url).content.decode()
    assert "Aucun événement n&#x27;est en cours" in html or "Aucun événement n'est en cours" in html
    assert 'name="event-primary_context"' in html
    missing = signed_in.post(url, {"proposed_on": today().isoformat()})
    assert missing.status_code == 200 and not Service.objects.exists()
    response = signed_in.post(url, {"proposed_on": today().isoformat(), **_event_post(counselor)})
    assert response.status_code == 302
    service = Service.objects.get()
    assert service.is_cep_level1 and service.event.is_cep


def test_propose_with_event_in_progress_reuses_it(signed_in, beneficiary, counselor, level1_offer, event_fields):
    event = record_event(beneficiary=beneficiary, actor=counselor, date=today(), **event_fields)
    url = reverse("web:propose", args=[beneficiary.pk, level1_offer.pk])
    assert 'name="event-primary_context"' not in signed_in.get(url).content.decode()
    assert signed_in.post(url, {"proposed_on": today().isoformat()}).status_code == 302
    assert Service.objects.get().event == event
    assert "Offre CEP" in signed_in.get(reverse("web:services", args=[beneficiary.pk])).content.decode()


def test_propose_before_offer_start_is_refused_next_to_the_date(signed_in, beneficiary, counselor, level1_offer):
    url = reverse("web:propose", args=[beneficiary.pk, level1_offer.pk])
    day = (level1_offer.start_date - datetime.timedelta(days=1)).isoformat()
    html = signed_in.post(url, {"proposed_on": day, **_event_post(counselor)}).content.decode()
    assert 'id="id_proposed_on-desc-error"' in html and "n&#x27;est pas ouverte" in html

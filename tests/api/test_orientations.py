"""The orientations' API (issue 11, part 2): same rules as the pages. A sends, B reads the summary and history
(never A's events or dossier id), accepts or refuses; unknown codes are 422, rule refusals 409 with errors[];
the lists are keyset-paginated and each structure sees its own box."""

import pytest

from cep.events.services import record_event
from cep.orientations.models import Orientation, Status

pytestmark = pytest.mark.django_db
P = "/api/v1"


def _send(api, beneficiary, other_structure, **extra):
    body = {"target_structure": other_structure.pk, "consent_mode": "oral", "fields": ["phone"], **extra}
    return api.post(f"{P}/beneficiaries/{beneficiary.pk}/orientations", body)


def test_orientation_api_sent_then_accepted_by_b(api, other_api, beneficiary, other_structure, counselor, event_refs):
    record_event(
        beneficiary=beneficiary,
        actor=counselor,
        date=beneficiary.first_reception_date,
        comment="Note interne de A",
        **event_refs,
    )
    sent = _send(api, beneficiary, other_structure, comment="Bonjour")
    assert sent.status_code == 201, sent.content
    o = sent.json()
    assert o["status"] == "envoyee" and o["sent_fields"][-1] == "phone" and o["target_beneficiary_id"] is None
    received = other_api.get(f"{P}/orientations?box=recues").json()
    assert [r["id"] for r in received["items"]] == [o["id"]] and received["next_cursor"] is None
    read = other_api.get(f"{P}/orientations/{o['id']}")
    assert read.status_code == 200 and "Note interne de A" not in read.content.decode()
    assert [h["kind"] for h in read.json()["history"]] == ["envoi"]
    accepted = other_api.post(f"{P}/orientations/{o['id']}/accept", {})
    assert accepted.status_code == 200 and accepted.json()["status"] == "acceptee"
    b_dossier = accepted.json()["target_beneficiary_id"]
    assert other_api.get(f"{P}/beneficiaries/{b_dossier}").status_code == 200
    assert api.get(f"{P}/orientations/{o['id']}").json()["target_beneficiary_id"] is None  # B's dossier is B's
    assert other_api.get(f"{P}/beneficiaries/{beneficiary.pk}/events").status_code == 404  # A's events


def test_orientation_api_declined_with_a_reason(api, other_api, beneficiary, other_structure):
    o = _send(api, beneficiary, other_structure).json()
    unknown = other_api.post(f"{P}/orientations/{o['id']}/refuse", {"reason": "pas_un_code"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "reason"
    refused = other_api.post(f"{P}/orientations/{o['id']}/refuse", {"reason": "en_formation", "comment": "BTS"})
    assert refused.status_code == 200 and refused.json()["refusal_reason"] == "en_formation"
    again = other_api.post(f"{P}/orientations/{o['id']}/accept", {})
    assert again.status_code == 409 and again.json()["code"] == "ORIENTATION" and again.json()["errors"]


def test_orientation_api_refuses_a_second_open_orientation_and_a_wrong_side(
    api, other_api, beneficiary, other_structure
):
    o = _send(api, beneficiary, other_structure).json()
    twice = _send(api, beneficiary, other_structure)
    assert twice.status_code == 409 and "déjà en cours" in twice.json()["message"]
    wrong_side = api.post(f"{P}/orientations/{o['id']}/accept", {})
    assert wrong_side.status_code == 409 and wrong_side.json()["code"] == "ORIENTATION"
    assert other_api.post(f"{P}/orientations/{o['id']}/cancel", {}).status_code == 409
    assert api.post(f"{P}/orientations/{o['id']}/cancel", {}).json()["status"] == "annulee"


def test_orientation_api_bad_input_is_422(api, beneficiary, other_structure):
    assert _send(api, beneficiary, other_structure, consent_mode="telepathie").status_code == 422
    assert _send(api, beneficiary, other_structure, fields=["passport"]).status_code == 422
    assert _send(api, beneficiary, other_structure, surprise=1).status_code == 422
    missing = api.post(
        f"{P}/beneficiaries/{beneficiary.pk}/orientations", {"target_structure": 999999, "consent_mode": "oral"}
    )
    assert missing.status_code == 409 and missing.json()["field"] == "target_structure"
    assert not Orientation.objects.exists()


def test_orientation_api_directory_by_commune(api, other_structure):
    page = api.get(f"{P}/structures?commune=2A004").json()
    rows = page["items"]
    assert page["next_cursor"] is None
    assert other_structure.pk in [r["id"] for r in rows] and all(r["serves_commune"] for r in rows)
    assert api.get(f"{P}/structures?commune=99999").status_code == 409
    assert api.get(f"{P}/structures?network=nope").status_code == 422


def test_orientation_api_messages_and_consent_withdrawal(api, other_api, beneficiary, other_structure):
    o = _send(api, beneficiary, other_structure).json()
    assert other_api.post(f"{P}/orientations/{o['id']}/messages", {"text": "Quel projet ?"}).status_code == 201
    assert other_api.post(f"{P}/orientations/{o['id']}/messages", {"text": ""}).status_code == 422
    withdrawn = api.post(f"{P}/orientations/{o['id']}/withdraw-consent")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == Status.CANCELLED
    assert withdrawn.json()["consent_withdrawn_at"] is not None


def test_orientation_api_lists_paginate_and_need_the_boxs_right(api, beneficiary, other_structure, counselor):
    from tests.factories import BeneficiaryFactory, withdraw

    for _ in range(3):
        person = BeneficiaryFactory(structure=beneficiary.structure)
        assert _send(api, person, other_structure).status_code == 201
    first = api.get(f"{P}/orientations?box=envoyees&limit=2").json()
    second = api.get(f"{P}/orientations?box=envoyees&limit=2&cursor={first['next_cursor']}").json()
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["next_cursor"] is None
    assert api.get(f"{P}/orientations?box=recues").json()["items"] == []
    withdraw(counselor, "orient")
    assert api.get(f"{P}/orientations?box=envoyees").status_code == 403

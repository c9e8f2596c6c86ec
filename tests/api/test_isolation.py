"""A user of structure A gets 404 on every object of structure B, on EVERY route.

The table below must cover every operation the API registers: a new route without an isolation case
makes test_every_route_is_in_the_isolation_table fail.
"""

import pytest

from cep.audit.models import AuditEntry
from tests.api.conftest import EVENT_BODY, appointment_body
from tests.api.test_auth import all_operations, concrete
from tests.clock import resolved, today

P = "/api/v1"
CEP_BODY = {
    "orientation_source": "ma_structure_entree_directe",
    "entry_date": lambda: str(today()),
    "entry_phase": 2,
    "request_reason": "prise_de_recul",
}
# (METHOD, path template) → request body sent with B's ids (None for no body); a callable value in a body is the
# day, read when the test runs (tests.clock.resolved).
OBJECT_ROUTES = {
    ("GET", f"{P}/imports/{{batch_id}}"): None,
    ("POST", f"{P}/imports/{{batch_id}}/undo"): {},
    ("GET", f"{P}/imports/{{batch_id}}/lines"): None,
    ("POST", f"{P}/imports/{{batch_id}}/confirm"): {"encoding_confirmed": True},
    ("GET", f"{P}/beneficiaries/{{beneficiary_id}}"): None,
    ("PATCH", f"{P}/beneficiaries/{{beneficiary_id}}"): {"first_name": "Intrus"},
    ("POST", f"{P}/beneficiaries/{{beneficiary_id}}/justify"): {},
    ("GET", f"{P}/beneficiaries/{{beneficiary_id}}/services"): None,
    ("POST", f"{P}/beneficiaries/{{beneficiary_id}}/services"): "OWN_OFFER",
    ("GET", f"{P}/beneficiaries/{{beneficiary_id}}/events"): None,
    ("POST", f"{P}/beneficiaries/{{beneficiary_id}}/events"): EVENT_BODY,
    ("GET", f"{P}/beneficiaries/{{beneficiary_id}}/ceps"): None,
    ("POST", f"{P}/beneficiaries/{{beneficiary_id}}/ceps"): CEP_BODY,
    ("GET", f"{P}/offers/{{offer_id}}"): None,
    ("PATCH", f"{P}/offers/{{offer_id}}"): {"name": "Offre détournée"},
    ("GET", f"{P}/events/{{event_id}}"): None,
    ("PATCH", f"{P}/events/{{event_id}}"): {"comment": "intrusion"},
    ("GET", f"{P}/ceps/{{cep_id}}"): None,
    ("PATCH", f"{P}/ceps/{{cep_id}}"): {"prescriber_name": "Intrus"},
    ("DELETE", f"{P}/ceps/{{cep_id}}"): None,
    ("POST", f"{P}/ceps/{{cep_id}}/phase3"): {"on": lambda: str(today())},
    ("POST", f"{P}/ceps/{{cep_id}}/cancel-phase3"): {},
    ("POST", f"{P}/ceps/{{cep_id}}/close"): {
        "end_date": lambda: str(today()),
        "exit_reason": "interruption_formalisee",
    },
    ("POST", f"{P}/ceps/{{cep_id}}/reopen"): {},
    ("GET", f"{P}/ceps/{{cep_id}}/history"): None,
    ("GET", f"{P}/beneficiaries/{{beneficiary_id}}/appointments"): None,
    ("POST", f"{P}/beneficiaries/{{beneficiary_id}}/appointments"): "APPOINTMENT",
    ("GET", f"{P}/appointments/{{appointment_id}}"): None,
    ("POST", f"{P}/appointments/{{appointment_id}}/status"): {"status": "annule"},
    ("GET", f"{P}/ceps/{{cep_id}}/plan"): None,
    ("POST", f"{P}/ceps/{{cep_id}}/plan"): None,
    ("PATCH", f"{P}/ceps/{{cep_id}}/plan"): {"project": "Intrus"},
    ("POST", f"{P}/ceps/{{cep_id}}/plan/steps"): {"title": "Intrusion"},
    ("POST", f"{P}/ceps/{{cep_id}}/plan/steps/{{step_id}}/actions"): {"label": "Intrusion", "who": "Intrus"},
    ("POST", f"{P}/ceps/{{cep_id}}/plan/trainings"): {"provider": "Intrus", "title": "Intrusion"},
    ("POST", f"{P}/ceps/{{cep_id}}/plan/services"): {"service": "vae"},
    ("GET", f"{P}/ceps/{{cep_id}}/plan/financing-lines"): None,
    ("POST", f"{P}/ceps/{{cep_id}}/plan/financing-lines"): {"funder": "cpf", "amount": "10.00"},
    ("PATCH", f"{P}/ceps/{{cep_id}}/plan/financing-lines/{{line_id}}"): {"amount": "20.00"},
    ("GET", f"{P}/ceps/{{cep_id}}/plan/versions"): None,
    ("GET", f"{P}/ceps/{{cep_id}}/plan/versions/compare"): None,
    ("GET", f"{P}/beneficiaries/{{beneficiary_id}}/documents"): None,
    ("POST", f"{P}/beneficiaries/{{beneficiary_id}}/documents/level1"): "LEVEL1",
    ("POST", f"{P}/ceps/{{cep_id}}/documents"): {"kind": "synthese"},
    ("GET", f"{P}/documents/{{document_id}}"): None,
    ("POST", f"{P}/beneficiaries/{{beneficiary_id}}/orientations"): "ORIENT",
    ("GET", f"{P}/orientations/{{orientation_id}}"): None,
    ("POST", f"{P}/orientations/{{orientation_id}}/messages"): {"text": "Intrusion"},
    ("POST", f"{P}/orientations/{{orientation_id}}/accept"): {},
    ("POST", f"{P}/orientations/{{orientation_id}}/refuse"): {"reason": "autre"},
    ("POST", f"{P}/orientations/{{orientation_id}}/cancel"): {},
    ("POST", f"{P}/orientations/{{orientation_id}}/withdraw-consent"): None,
}
# Routes without an object in their path: isolation is checked on their results (tests below and in
# test_beneficiaries / test_offers); referentials carry no personal data.
COLLECTION_ROUTES = {
    ("GET", f"{P}/imports"),
    ("POST", f"{P}/imports"),  # a batch of the user's own structure (tests/api/test_imports.py)
    ("GET", f"{P}/beneficiaries"),
    ("POST", f"{P}/beneficiaries"),
    ("GET", f"{P}/offers"),
    ("POST", f"{P}/offers"),
    ("GET", f"{P}/referentials"),
    ("GET", f"{P}/referentials/{{name}}"),
    ("GET", f"{P}/structures"),  # the directory: no person
    ("GET", f"{P}/structure"),  # the user's own structure: no id to try another one with
    ("PATCH", f"{P}/structure"),
    ("GET", f"{P}/orientations"),  # each structure's own lists (tests/api/test_orientations.py)
}


def level1_body(ids: dict) -> dict:
    return {"service": ids.get("service_id", 1), "demand": "Changer de métier", "decision": "Poursuivre"}


def orient_body(ids: dict) -> dict:
    return {"target_structure": ids.get("target_structure_id", 1), "consent_mode": "oral"}


def route_body(method: str, path: str, offer, ids: dict):
    """The body OBJECT_ROUTES gives the operation, its placeholders filled and its days read now."""
    body = OBJECT_ROUTES[(method, path)]
    if body == "OWN_OFFER":
        return {"offer": offer.pk, "event": EVENT_BODY}
    if body == "LEVEL1":
        return level1_body(ids)
    if body == "ORIENT":
        return orient_body(ids)
    if body == "APPOINTMENT":
        return appointment_body()
    return resolved(body) if isinstance(body, dict) else body


def query_of(path: str) -> str:
    """The query string an operation needs (the comparison of two versions)."""
    return "?a=1&b=2" if path.endswith("/compare") else ""


def test_every_route_is_in_the_isolation_table():
    registered = set(all_operations())
    assert registered == set(OBJECT_ROUTES) | COLLECTION_ROUTES, registered ^ (set(OBJECT_ROUTES) | COLLECTION_ROUTES)


@pytest.mark.parametrize(("method", "path"), sorted(OBJECT_ROUTES), ids=lambda v: v)
def test_structure_b_objects_are_404_for_structure_a(method, path, manager, offer, other_objects):
    from tests.api.conftest import client_for

    client = client_for(manager)  # structure A, every right of a structure
    body = route_body(method, path, offer, other_objects)
    url = concrete(path, other_objects) + query_of(path)
    if method == "DELETE":
        url += "?confirm=true"
    audit_before = AuditEntry.objects.count()
    response = client.call(method, url, body)
    assert response.status_code == 404, response.content
    assert response.json() == {
        "code": "INTROUVABLE",
        "message": "Ressource introuvable.",
        "field": None,
        "details": None,
        "doc": "/docs/regles-cep#introuvable",
    }
    assert AuditEntry.objects.count() == audit_before  # nothing written


def test_search_never_returns_structure_b(api, beneficiary, other_beneficiary):
    other_beneficiary.last_name = beneficiary.last_name
    other_beneficiary.save()
    items = api.get(f"beneficiaries?name={beneficiary.last_name}").json()["items"]
    assert [b["id"] for b in items] == [beneficiary.pk]


def test_offer_list_never_returns_structure_b(manager_api, offer, other_objects):
    ids = [o["id"] for o in manager_api.get("offers").json()["items"]]
    assert offer.pk in ids and other_objects["offer_id"] not in ids

"""The API face of the permission matrix by right: every operation is mapped to the right it needs (or to none),
each right is withdrawn one at a time, and the operation answers 403 in the API's JSON error format naming it.

A new operation without an entry fails `test_every_operation_has_its_right`. The web face is in
tests/web/test_permissions_rights.py.
"""

import pytest

from cep.accounts.rights import NATIONAL_RIGHTS, Right
from cep.audit.models import AuditEntry, SensitiveAccess
from tests.api.conftest import client_for
from tests.api.test_auth import all_operations, concrete, own_objects  # noqa: F401
from tests.api.test_beneficiaries import beneficiary_body
from tests.api.test_imports import import_upload
from tests.api.test_isolation import OBJECT_ROUTES, query_of, route_body
from tests.api.test_offers import offer_body

P = "/api/v1"
V, MD, ED, EV, CEP = Right.VIEW_DOSSIER, Right.MANAGE_DOSSIERS, Right.EDIT_DOSSIER, Right.EVENTS, Right.PROPOSE_CEP
# (METHOD, path) → the right it needs; None: no right beyond a structure's staff (catalogue) or a token (referentials).
OPERATIONS = {
    ("GET", f"{P}/beneficiaries"): V,
    ("POST", f"{P}/beneficiaries"): MD,
    ("GET", f"{P}/beneficiaries/{{beneficiary_id}}"): V,
    ("PATCH", f"{P}/beneficiaries/{{beneficiary_id}}"): ED,
    ("POST", f"{P}/beneficiaries/{{beneficiary_id}}/justify"): ED,
    ("GET", f"{P}/beneficiaries/{{beneficiary_id}}/services"): V,
    ("POST", f"{P}/beneficiaries/{{beneficiary_id}}/services"): MD,
    ("GET", f"{P}/beneficiaries/{{beneficiary_id}}/events"): V,
    ("POST", f"{P}/beneficiaries/{{beneficiary_id}}/events"): EV,
    ("GET", f"{P}/beneficiaries/{{beneficiary_id}}/ceps"): V,
    ("POST", f"{P}/beneficiaries/{{beneficiary_id}}/ceps"): CEP,
    ("GET", f"{P}/events/{{event_id}}"): V,
    ("PATCH", f"{P}/events/{{event_id}}"): EV,
    ("GET", f"{P}/ceps/{{cep_id}}"): V,
    ("PATCH", f"{P}/ceps/{{cep_id}}"): CEP,
    ("DELETE", f"{P}/ceps/{{cep_id}}"): CEP,
    ("POST", f"{P}/ceps/{{cep_id}}/phase3"): CEP,
    ("POST", f"{P}/ceps/{{cep_id}}/cancel-phase3"): CEP,
    ("POST", f"{P}/ceps/{{cep_id}}/close"): CEP,
    ("POST", f"{P}/ceps/{{cep_id}}/reopen"): CEP,
    ("GET", f"{P}/ceps/{{cep_id}}/history"): V,
    ("GET", f"{P}/beneficiaries/{{beneficiary_id}}/appointments"): V,
    ("POST", f"{P}/beneficiaries/{{beneficiary_id}}/appointments"): EV,
    ("GET", f"{P}/appointments/{{appointment_id}}"): V,
    ("POST", f"{P}/appointments/{{appointment_id}}/status"): EV,
    ("GET", f"{P}/ceps/{{cep_id}}/plan"): V,
    ("POST", f"{P}/ceps/{{cep_id}}/plan"): CEP,
    ("PATCH", f"{P}/ceps/{{cep_id}}/plan"): CEP,
    ("POST", f"{P}/ceps/{{cep_id}}/plan/steps"): CEP,
    ("POST", f"{P}/ceps/{{cep_id}}/plan/steps/{{step_id}}/actions"): CEP,
    ("POST", f"{P}/ceps/{{cep_id}}/plan/trainings"): CEP,
    ("POST", f"{P}/ceps/{{cep_id}}/plan/services"): CEP,
    ("GET", f"{P}/ceps/{{cep_id}}/plan/financing-lines"): V,
    ("POST", f"{P}/ceps/{{cep_id}}/plan/financing-lines"): CEP,
    ("PATCH", f"{P}/ceps/{{cep_id}}/plan/financing-lines/{{line_id}}"): CEP,
    ("GET", f"{P}/ceps/{{cep_id}}/plan/versions"): V,
    ("GET", f"{P}/ceps/{{cep_id}}/plan/versions/compare"): V,
    ("GET", f"{P}/beneficiaries/{{beneficiary_id}}/documents"): V,
    ("POST", f"{P}/beneficiaries/{{beneficiary_id}}/documents/level1"): MD,
    ("POST", f"{P}/ceps/{{cep_id}}/documents"): CEP,
    ("GET", f"{P}/documents/{{document_id}}"): V,
    ("GET", f"{P}/offers"): None,
    ("GET", f"{P}/offers/{{offer_id}}"): None,
    ("POST", f"{P}/offers"): Right.MANAGE_OFFERS,
    ("PATCH", f"{P}/offers/{{offer_id}}"): Right.MANAGE_OFFERS,
    ("GET", f"{P}/referentials"): None,
    ("GET", f"{P}/referentials/{{name}}"): None,
    # Orientations (issue 11): the directory and the orientation's reading and messages need « Consulter »; each
    # side's actions their own right.
    ("GET", f"{P}/structures"): V,
    ("POST", f"{P}/beneficiaries/{{beneficiary_id}}/orientations"): Right.ORIENT,
    ("GET", f"{P}/orientations"): Right.HANDLE_ORIENTATIONS,  # the received ones by default
    ("GET", f"{P}/orientations/{{orientation_id}}"): V,
    ("POST", f"{P}/orientations/{{orientation_id}}/messages"): V,
    ("POST", f"{P}/orientations/{{orientation_id}}/accept"): Right.HANDLE_ORIENTATIONS,
    ("POST", f"{P}/orientations/{{orientation_id}}/refuse"): Right.HANDLE_ORIENTATIONS,
    ("POST", f"{P}/orientations/{{orientation_id}}/cancel"): Right.ORIENT,
    ("POST", f"{P}/orientations/{{orientation_id}}/withdraw-consent"): Right.ORIENT,
    # The user's own structure's directory entry (« Ma structure »).
    ("GET", f"{P}/structure"): Right.MANAGE_STRUCTURE,
    ("PATCH", f"{P}/structure"): Right.MANAGE_STRUCTURE,
    ("GET", f"{P}/imports"): Right.IMPORT_DATA,
    ("POST", f"{P}/imports"): Right.IMPORT_DATA,
    ("GET", f"{P}/imports/{{batch_id}}/lines"): Right.IMPORT_DATA,
    ("POST", f"{P}/imports/{{batch_id}}/confirm"): Right.IMPORT_DATA,
    ("GET", f"{P}/imports/{{batch_id}}"): Right.IMPORT_DATA,
    ("POST", f"{P}/imports/{{batch_id}}/undo"): Right.IMPORT_DATA,
}
# Rights with no API operation: aggregates, monthly files and the regional monitoring are pages only (of structure
# management, the API has the directory entry only).
PAGES_ONLY = {
    Right.VIEW_AGGREGATES,
    Right.EXPORT_MONTHLY,
    Right.RECEIVE_MONTHLY,
    Right.REGIONAL_MONITORING,
    Right.READ_REGIONAL_REPORTS,
    Right.COMMENT_REGIONAL_REPORT,
}
CASES = sorted((op for op, right in OPERATIONS.items() if right), key=str)


def test_every_operation_has_its_right():
    registered = set(all_operations())
    assert registered == set(OPERATIONS), registered ^ set(OPERATIONS)


def test_every_right_is_checked_on_the_api_or_is_a_page_only_right():
    """The rights table is read: a right neither checked by an operation nor listed as page-only fails."""
    checked = {right for right in OPERATIONS.values() if right}
    assert checked | PAGES_ONLY == set(Right.values), set(Right.values) ^ (checked | PAGES_ONLY)
    assert not checked & PAGES_ONLY


def _body(method, path, offer, ids=None):
    if (method, path) == ("POST", f"{P}/beneficiaries"):
        return beneficiary_body()
    if (method, path) == ("POST", f"{P}/offers"):
        return offer_body()
    if (method, path) == ("POST", f"{P}/imports"):
        return import_upload()
    if (method, path) == ("PATCH", f"{P}/structure"):
        return {"public": "Tout public"}
    return route_body(method, path, offer, ids) if (method, path) in OBJECT_ROUTES else None


def _url(method, path, ids):
    url = concrete(path, ids) + query_of(path)
    if method == "DELETE":
        url += "?confirm=true"
    if path == f"{P}/beneficiaries/{{beneficiary_id}}":
        url += "?include=rqth"
    return url


def _withdraw(user, right):
    user.extra_rights = sorted(set(Right.values) - NATIONAL_RIGHTS - {right})
    user.save(update_fields=["extra_rights"])


@pytest.mark.parametrize(("method", "path"), CASES, ids=[f"{m} {p}" for m, p in CASES])
def test_droits_an_operation_refuses_whoever_lacks_its_right(method, path, manager, offer, own_objects):  # noqa: F811
    right = OPERATIONS[(method, path)]
    client = client_for(manager)
    url, body = _url(method, path, own_objects), _body(method, path, offer, own_objects)
    _withdraw(manager, right)
    audits, reads = AuditEntry.objects.count(), SensitiveAccess.objects.count()
    refused = client.call(method, url, body)
    assert refused.status_code == 403, (method, url, refused.content)
    error = refused.json()
    assert error["code"] == "DROITS" and f"« {Right(right).label} »" in error["message"], error
    assert AuditEntry.objects.count() == audits and SensitiveAccess.objects.count() == reads  # nothing written
    manager.extra_rights = []  # the role's defaults hold every right of a structure
    manager.save(update_fields=["extra_rights"])
    accepted = client.call(method, url, body)
    assert accepted.status_code not in (401, 403, 404) and accepted.status_code < 500, (method, url, accepted.content)


def test_droits_without_view_dossier_every_dossier_operation_is_403(manager, offer, own_objects):  # noqa: F811
    """Issue 10, point 2: a user without « Consulter les informations d'un dossier » read every dossier with RQTH."""
    client = client_for(manager)
    _withdraw(manager, V)
    for method, path in sorted(OPERATIONS, key=str):
        if (
            OPERATIONS[(method, path)] is None
            or path.startswith((f"{P}/offers", f"{P}/imports"))
            or path == f"{P}/structure"
        ):
            continue  # referentials, the offer catalogue, the import batches' counts, one's structure: no person
        response = client.call(method, _url(method, path, own_objects), _body(method, path, offer, own_objects))
        assert response.status_code == 403, (method, path, response.status_code)
    assert not SensitiveAccess.objects.exists()  # the RQTH was never read
    assert client.get(f"{P}/offers").status_code == 200  # the catalogue holds no person

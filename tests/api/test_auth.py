"""Tokens: 401 without, with an unknown or revoked token, or for an inactive user; observers get 403."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone
from ninja import NinjaAPI

from api.main import api as ninja_api
from cep.accounts.models import ApiToken
from tests.api.conftest import ApiClient, book_for, client_for, import_batch_of
from tests.clock import today

PERSONAL_FIELDS = {"last_name", "first_name", "birth_date", "email", "phone", "address", "has_rqth", "items"}


def test_no_token_is_401(beneficiary):
    response = ApiClient(None).get(f"beneficiaries/{beneficiary.pk}")
    assert response.status_code == 401
    assert response.json()["code"] == "AUTHENTIFICATION"
    assert "Jeton" in response.json()["message"]


def test_unknown_token_is_401(beneficiary):
    assert ApiClient("not-a-real-key").get(f"beneficiaries/{beneficiary.pk}").status_code == 401


def test_revoked_token_is_401(counselor, beneficiary):
    token, key = ApiToken.issue(counselor)
    client = ApiClient(key)
    assert client.get(f"beneficiaries/{beneficiary.pk}").status_code == 200
    token.revoked_at = timezone.now()
    token.save()
    assert client.get(f"beneficiaries/{beneficiary.pk}").status_code == 401


def test_inactive_user_is_401(counselor, beneficiary):
    client = client_for(counselor)
    counselor.is_active = False
    counselor.save()
    assert client.get(f"beneficiaries/{beneficiary.pk}").status_code == 401


def test_only_the_hash_is_stored(counselor):
    token, key = ApiToken.issue(counselor)
    assert token.key_hash == ApiToken.hash(key) and key not in token.key_hash


def test_issue_api_token_command_prints_a_working_key(counselor, beneficiary, capsys):
    call_command("issue_api_token", counselor.username, "--name", "logiciel métier")
    key = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(key_hash=ApiToken.hash(key))
    assert token.name == "logiciel métier" and token.user == counselor
    assert ApiClient(key).get(f"beneficiaries/{beneficiary.pk}").status_code == 200


def test_issue_api_token_command_refuses_unknown_user(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Utilisateur inconnu"):
        call_command("issue_api_token", "personne")


def all_operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every operation registered on the API, from its OpenAPI schema."""
    paths = NinjaAPI.get_openapi_schema(ninja_api)["paths"]  # the routes only (without the enums read in the database)
    return sorted((method.upper(), path) for path, ops in paths.items() for method in ops)


def concrete(path: str, ids: dict) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", str(value))
    return path


@pytest.fixture
def own_objects(beneficiary, open_cep, offer, counselor, event_refs):
    from cep.events.services import record_event

    cep = open_cep()
    event = record_event(beneficiary=beneficiary, actor=counselor, date=today(), **event_refs)
    return {
        "beneficiary_id": beneficiary.pk,
        "cep_id": cep.pk,
        "offer_id": offer.pk,
        "event_id": event.pk,
        "appointment_id": book_for(beneficiary, counselor).pk,
        "batch_id": import_batch_of(beneficiary.structure, counselor).pk,
        "name": "exit-reasons",
        **plan_objects(cep, counselor),
        "service_id": level1_service(beneficiary, counselor, event_refs).pk,
        **orientation_objects(beneficiary, counselor),
    }


def orientation_objects(beneficiary, counselor) -> dict:
    """An orientation of the dossier to a third structure, and another structure to orient to (their ids)."""
    from cep.orientations.services import send_orientation
    from cep.referentials.models import ConsentMode
    from tests.factories import StructureFactory

    orientation = send_orientation(
        beneficiary=beneficiary,
        actor=counselor,
        target=StructureFactory(),
        consent_mode=ConsentMode.objects.get(pk="oral"),
    )
    return {"orientation_id": orientation.pk, "target_structure_id": StructureFactory().pk}


def plan_objects(cep, counselor) -> dict:
    """A CEP's action plan in two versions, with a step, a financing line and an issued synthesis (their ids)."""
    from cep.plans import services

    plan = services.create_plan(cep=cep, actor=counselor)
    step = services.add_step(plan=plan, actor=counselor, title="Enquêtes métier")
    line = services.add_financing_line(plan=plan, actor=counselor, funder="cpf", amount="100.00")
    document = services.issue_synthesis(cep=cep, actor=counselor)
    return {"step_id": step.pk, "line_id": line.pk, "document_id": document.pk}


def level1_service(beneficiary, counselor, event_refs):
    """A CEP level-1 service on the dossier (the level-1 document belongs to it)."""
    from cep.offers.services import create_offer, propose_offer
    from cep.referentials import models as ref

    offer = create_offer(
        structure=beneficiary.structure,
        actor=counselor,
        origin="structure",
        theme=ref.ServiceTheme.objects.get(code="formation"),
        service_act=ref.ServiceAct.objects.get(code="info_conseil_formations"),
        name="Offre CEP de niveau 1",
        start_date=today() - datetime.timedelta(days=300),
        national_measure="cep",
    )
    return propose_offer(beneficiary=beneficiary, offer=offer, actor=counselor, event=event_refs)


def test_observers_get_403_on_every_personal_data_route(observers, own_objects):
    personal = [(m, p) for m, p in all_operations() if not p.startswith("/api/v1/referentials")]
    assert len(personal) >= 20
    for observer in observers:
        client = client_for(observer)
        for method, path in personal:
            response = client.call(method, concrete(path, own_objects), {} if method != "GET" else None)
            assert response.status_code == 403, (observer.role, method, path, response.content)
            body = response.json()
            assert set(body) == {"code", "message", "field", "details", "doc"}
            assert body["code"] == "DROITS"
            assert not PERSONAL_FIELDS & set(body)


def test_observers_may_read_referentials(observers):
    client = client_for(observers[1])
    assert client.get("referentials").status_code == 200
    assert client.get("referentials/exit-reasons").status_code == 200


def test_bearer_clients_need_no_csrf_token(counselor, beneficiary):
    from django.test import Client

    _, key = ApiToken.issue(counselor)
    response = Client(enforce_csrf_checks=True).post(
        f"/api/v1/beneficiaries/{beneficiary.pk}/justify",
        data="{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 200, response.content


# ---------------------------------------------------------------- expiry and last use (issue 10, point 10)


def test_a_token_expires_after_its_validity(counselor, beneficiary, settings):
    token, key = ApiToken.issue(counselor)
    assert settings.API_TOKEN_DEFAULT_DAYS == 90
    assert datetime.timedelta(days=89) < token.expires_at - timezone.now() <= datetime.timedelta(days=90)
    client = ApiClient(key)
    assert client.get(f"beneficiaries/{beneficiary.pk}").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get(f"beneficiaries/{beneficiary.pk}")
    assert response.status_code == 401 and response.json()["code"] == "AUTHENTIFICATION"


def test_last_use_is_written_at_most_once_a_minute(counselor, beneficiary, django_assert_num_queries):
    token, key = ApiToken.issue(counselor)
    client = ApiClient(key)
    assert token.last_used_at is None
    client.get("referentials")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None and timezone.now() - first < datetime.timedelta(seconds=5)
    client.get("referentials")
    token.refresh_from_db()
    assert token.last_used_at == first  # within the minute: no write
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - datetime.timedelta(seconds=61))
    client.get("referentials")
    token.refresh_from_db()
    assert token.last_used_at > first


def test_issue_api_token_command_takes_a_validity(counselor, capsys):
    call_command("issue_api_token", counselor.username, "--days", "30")
    token = ApiToken.objects.get(user=counselor)
    assert datetime.timedelta(days=29) < token.expires_at - timezone.now() <= datetime.timedelta(days=30)
    assert "valable jusqu'au" in capsys.readouterr().err

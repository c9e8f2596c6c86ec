import datetime
import json

import pytest
from django.test import Client
from django.utils import timezone

from cep.accounts.models import ApiToken
from cep.accounts.rights import Role
from cep.offers.models import ServiceOffer
from tests.clock import today
from tests.factories import BeneficiaryFactory, UserFactory


class Multipart(dict):
    """A multipart body (a file upload): its file objects are read from the start on every call."""


class ApiClient:
    """A Django test client speaking JSON (or multipart, for a Multipart body) with a Bearer token."""

    def __init__(self, key: str | None):
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}

    def call(self, method: str, url: str, body=None, **extra):
        if not url.startswith("/"):
            url = "/api/v1/" + url
        kwargs = {**self.headers, **extra}
        if isinstance(body, Multipart):
            for value in body.values():
                if hasattr(value, "seek"):
                    value.seek(0)
            kwargs.update(data=dict(body))
        elif body is not None:
            kwargs.update(data=json.dumps(body, default=str), content_type="application/json")
        return getattr(self.client, method.lower())(url, **kwargs)

    def get(self, url, **extra):
        return self.call("get", url, **extra)

    def post(self, url, body=None, **extra):
        return self.call("post", url, {} if body is None else body, **extra)

    def patch(self, url, body=None, **extra):
        return self.call("patch", url, {} if body is None else body, **extra)

    def delete(self, url, **extra):
        return self.call("delete", url, **extra)


def client_for(user) -> ApiClient:
    """A client whose token is in steady use: its last use is recent, so the next requests write nothing (the
    last use is recorded at most once a minute, api/auth.py); query counts measure the steady state."""
    token, key = ApiToken.issue(user, name="tests")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return ApiClient(key)


@pytest.fixture
def api(counselor):
    """The API as the counselor of `structure`."""
    return client_for(counselor)


@pytest.fixture
def manager_api(manager):
    return client_for(manager)


@pytest.fixture
def other_api(other_counselor):
    """The API as a counselor of `other_structure` (structure B)."""
    return client_for(other_counselor)


@pytest.fixture
def observers(structure):
    from cep.organisations.models import Region

    return [
        UserFactory(
            username="obs_regional", role=Role.REGIONAL_OBSERVER, structure=None, region=Region.objects.get(pk="94")
        ),
        UserFactory(username="obs_national", role=Role.NATIONAL_OBSERVER, structure=None),
    ]


@pytest.fixture
def offer(structure, refdata):
    """A CEP level-1 offer of the structure, open since a year."""
    from cep.referentials.models import ServiceAct

    act = ServiceAct.objects.filter(is_cep_level1=True).order_by("position").first()
    return ServiceOffer.objects.create(
        structure=structure,
        region_id=structure.region_id,
        origin="structure",
        theme_id="formation" if _exists("ServiceTheme", "formation") else _first("ServiceTheme"),
        service_act=act,
        name="Accueil CEP niveau 1",
        start_date=today() - datetime.timedelta(days=365),
        national_measure="cep",
    )


def _exists(model, code):
    from cep.referentials import models as ref

    return getattr(ref, model).objects.filter(pk=code).exists()


def _first(model):
    from cep.referentials import models as ref

    return getattr(ref, model).objects.order_by("position").first().pk


EVENT_BODY = {
    "primary_context": "cep",
    "direction": "beneficiaire_vers_structure",
    "nature": "entretien_individuel",
    "place": "siege",
    "function": "conseiller",
}


def appointment_body() -> dict:
    """A rendez-vous by telephone tomorrow at 10:00, Paris time (no offset: read in Europe/Paris)."""
    return {
        "starts_at": f"{today() + datetime.timedelta(days=1)}T10:00:00",
        "mode": "telephone",
        "subject": "Point d'étape",
    }


def book_for(beneficiary, counselor):
    """A rendez-vous planned tomorrow at 09:00 (id for the URL templates)."""
    from cep.appointments.services import book_appointment
    from cep.referentials.models import AppointmentMode
    from tests.factories import paris_at

    return book_appointment(
        beneficiary=beneficiary,
        actor=counselor,
        starts_at=paris_at(9, 0, days=1),
        mode=AppointmentMode.objects.get(pk="visio"),
    )


@pytest.fixture
def event_body(event_refs):
    return dict(EVENT_BODY)


@pytest.fixture
def other_beneficiary(other_structure, other_counselor):
    return BeneficiaryFactory(structure=other_structure, referent=other_counselor)


@pytest.fixture
def other_objects(other_beneficiary, other_counselor, other_structure, event_refs, cep_refs):
    """Structure B's dossier, CEP in progress, event and offer (ids for the URL templates)."""
    from cep.enrolments.services import open_cep
    from cep.events.services import record_event

    cep = open_cep(
        beneficiary=other_beneficiary,
        actor=other_counselor,
        orientation_source=cep_refs["direct"],
        entry_date=today() - datetime.timedelta(days=30),
        entry_phase=2,
        request_reason=cep_refs["reason"],
    )
    event = record_event(beneficiary=other_beneficiary, actor=other_counselor, date=today(), **event_refs)
    offer = ServiceOffer.objects.create(
        structure=other_structure,
        region_id=other_structure.region_id,
        origin="structure",
        theme_id=_first("ServiceTheme"),
        service_act_id=_first("ServiceAct"),
        name="Offre de la structure B",
        start_date=today() - datetime.timedelta(days=365),
    )
    from tests.api.test_auth import orientation_objects, plan_objects

    return {
        "beneficiary_id": other_beneficiary.pk,
        "cep_id": cep.pk,
        "event_id": event.pk,
        "offer_id": offer.pk,
        "appointment_id": book_for(other_beneficiary, other_counselor).pk,
        "batch_id": import_batch_of(other_structure, other_counselor).pk,
        **plan_objects(cep, other_counselor),
        **orientation_objects(other_beneficiary, other_counselor),
    }


def with_errors(body: dict) -> dict:
    """The body of a refused rule: its own code, message, field, details and doc, and every rule broken in
    `errors` (code, message and field of each)."""
    return {**body, "errors": [{key: body[key] for key in ("code", "message", "field")}]}


def import_batch_of(structure, user):
    """An applied import batch of the structure (nothing built on it: its undo is accepted)."""
    from django.utils import timezone

    from cep.imports.models import ImportBatch

    return ImportBatch.objects.create(
        structure=structure,
        kind="beneficiaries",
        file_name="beneficiaires.csv",
        file_sha256="0" * 64,
        file_format="csv",
        status="applied",
        created_by=user,
        confirmed_by=user,
        applied_at=timezone.now(),
    )

"""Property-based run of the whole OpenAPI schema, in-process: no 5xx, no undocumented status code,
responses that match their documented schema. Bounded (few examples per operation) to stay fast."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cep.accounts.models import ApiToken
from config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
KEY = "schemathesis-counselor-key"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def seeded(counselor, beneficiary, open_cep, offer, event_refs):
    """A counselor with a known token, a dossier, a CEP in progress and an offer of the structure.

    Requests go straight to the WSGI application: like Django's test client, keep the test's database
    connection (and its transaction) open across requests.
    """
    from cep.events.services import record_event

    ApiToken.issue(counselor, name="schemathesis", key=KEY)
    cep = open_cep()
    event = record_event(
        beneficiary=beneficiary,
        actor=counselor,
        date=cep.entry_date,
        **event_refs,
    )
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    from tests.api.test_auth import plan_objects

    ids = {"beneficiary_id": beneficiary.pk, "cep_id": cep.pk, "event_id": event.pk, "offer_id": offer.pk}
    yield {**ids, **plan_objects(cep, counselor)}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_has_no_server_error_nor_undocumented_status(case, seeded):
    # Aim at the seeded objects so that bodies are checked against real dossiers, not only 404s
    # (isolation and unknown ids have their own tests).
    if case.path_parameters:
        case.path_parameters = {k: seeded.get(k, v) for k, v in case.path_parameters.items()}
    case.call_and_validate(headers={"Authorization": f"Bearer {KEY}"}, checks=CHECKS)

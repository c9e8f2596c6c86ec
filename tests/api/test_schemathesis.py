"""Property-based run of the whole OpenAPI schema, in-process against the WSGI application, with every check of
schemathesis (among them « a request valid under the schema is not rejected », positive_data_acceptance, and its
negative twin) in both generation modes, then its stateful phase that follows the schema's OpenAPI links (create a
dossier → justify → open a CEP → phase 3 → close → reopen; create an offer → modify it).

Bounded (a few examples per operation, a few stateful scenarios) to run in CI in a couple of minutes."""

import datetime

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation.modes import GenerationMode

from api.schemas import MAX_DATE, MIN_DATE
from cep.accounts.models import ApiToken
from config.wsgi import application
from tests.api.conftest import book_for

# The schema publishes its date bounds as x-minimum / x-maximum beside `format: date` (and as a pattern): dates
# drawn within them, as a client reading the schema would send.
schemathesis.openapi.format("date", st.dates(MIN_DATE, MAX_DATE).map(datetime.date.isoformat))

KEY = "schemathesis-counselor-key"
HEADERS = {"Authorization": f"Bearer {KEY}"}
SETTINGS = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


@pytest.fixture
def seeded(counselor, beneficiary, open_cep, offer, event_refs):
    """A counselor with a known token, a dossier, a CEP in progress and an offer of the structure.

    Requests go straight to the WSGI application: like Django's test client, keep the test's database
    connection (and its transaction) open across requests.
    """
    from cep.events.services import record_event

    ApiToken.issue(counselor, name="schemathesis", key=KEY)
    cep = open_cep()
    event = record_event(beneficiary=beneficiary, actor=counselor, date=cep.entry_date, **event_refs)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    appointment = book_for(beneficiary, counselor)
    from tests.api.test_auth import plan_objects

    ids = {
        "beneficiary_id": beneficiary.pk,
        "cep_id": cep.pk,
        "event_id": event.pk,
        "offer_id": offer.pk,
        "appointment_id": appointment.pk,
    }
    yield {**ids, **plan_objects(cep, counselor)}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(seeded):
    """The schema as a client reads it: built on request, its enums from the referential tables of the test."""
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


def test_api_accepts_what_its_schema_promises_and_answers_as_documented(api_schema, seeded):
    """Every operation, in both generation modes (schema-valid and schema-invalid requests)."""
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @SETTINGS
            def run(case):
                # Aim at the seeded objects so that bodies are checked against real dossiers, not only 404s
                # (isolation and unknown ids have their own tests). Only well-formed ids are replaced: a malformed
                # one stays the negative case.
                if case.path_parameters:
                    case.path_parameters = {
                        k: seeded.get(k, v) if isinstance(v, int) and not isinstance(v, bool) else v
                        for k, v in case.path_parameters.items()
                    }
                case.call_and_validate(headers=HEADERS)  # every check schemathesis has

            try:
                run()
            except (Exception, BaseExceptionGroup) as exc:  # collected: one report for every operation
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    assert not failures, f"{len(failures)} failing operation(s):\n\n" + "\n\n".join(failures)


def test_api_lifecycle_walked_through_its_links(api_schema):
    class Workflow(api_schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": HEADERS}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # Every check; the token is named as the request's authentication, so that the checks that send the
            # request again without it (or with a wrong one) take it away.
            case.validate_response(
                response,
                additional_checks=additional_checks,
                headers=HEADERS,
                transport_kwargs={k: v for k, v in kwargs.items() if k != "headers"} or None,
                recorder=getattr(self, "recorder", None),
            )

    Workflow.run(settings=settings(SETTINGS, max_examples=15, stateful_step_count=6))

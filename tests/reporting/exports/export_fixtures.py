"""Fixtures of the monthly export tests: a demo-like month built with the factories and the domain services.

Imported with `from tests.reporting.exports.export_fixtures import *` by the test_export* modules (the indicators
helper owns tests/reporting/conftest.py, if any).
"""

import datetime

import pytest

from cep.accounts.rights import Role
from cep.common.dates import add_months
from cep.common.months import last_complete_month
from cep.enrolments import services as ceps
from cep.offers.services import create_offer, propose_offer
from cep.referentials import models as ref
from cep.reporting.exports.batches import mark_transmitted, request_export
from cep.reporting.exports.models import ExportBatch
from tests.factories import BeneficiaryFactory, UserFactory

__all__ = ["build_month", "month", "month_data", "produce", "people", "transmit"]


@pytest.fixture
def month():
    """Last month: the month a manager declares by default."""
    return last_complete_month()


def produce(*, actor, month, structure=None, operator=None) -> ExportBatch:
    batch = request_export(actor=actor, month=month, structure=structure, operator=operator)
    batch.refresh_from_db()
    return batch


def transmit(batch, actor):
    return mark_transmitted(batch=batch, actor=actor)


@pytest.fixture
def people():
    """Direct identifiers that must never appear in an export."""
    return []


def build_month(*, structure, counselor, month, cep_refs, event_refs, people):
    """Four people: entry in M with a service, an earlier CEP closed in M, a direct phase-3 entry with RQTH,
    and a level-1-only person (never exported)."""
    first, last = month, add_months(month, 1) - datetime.timedelta(days=1)
    event = {
        "primary_context": event_refs["primary_context"],
        "direction": event_refs["direction"],
        "nature": event_refs["nature"],
        "place": event_refs["place"],
        "function": event_refs["function"],
    }
    manager = UserFactory(username=f"resp_{structure.pk}", role=Role.MANAGER, structure=structure)
    offer = create_offer(
        structure=structure,
        actor=manager,
        origin="structure",
        theme=ref.ServiceTheme.objects.get(code="formation"),
        service_act=ref.ServiceAct.objects.get(code="bilan_competences"),
        name="Bilan de compétences",
        start_date=first - datetime.timedelta(days=400),
        national_measure="cep",
    )

    def person(i, **kwargs):
        b = BeneficiaryFactory(
            structure=structure,
            referent=counselor,
            email=f"personne{i}.{structure.pk}@exemple.fr",
            phone=f"06123456{i:02d}",
            birth_date=datetime.date(first.year - 18 - i, i, 17),
            first_reception_date=first - datetime.timedelta(days=200),
            **kwargs,
        )
        people.append(b)
        return b

    a = person(1)
    cep_a = ceps.open_cep(
        beneficiary=a,
        actor=counselor,
        orientation_source=cep_refs["direct"],
        entry_date=first + datetime.timedelta(days=2),
        initial_interview_date=first + datetime.timedelta(days=1),
        entry_phase=2,
        request_reason=cep_refs["reconversion"],
        prescriber_name="Docteur Prescripteur",
    )
    propose_offer(
        beneficiary=a, offer=offer, actor=counselor, proposed_on=first + datetime.timedelta(days=5), event=event
    )

    b = person(2)
    cep_b = ceps.open_cep(
        beneficiary=b,
        actor=counselor,
        orientation_source=cep_refs["direct"],
        entry_date=first - datetime.timedelta(days=40),
        entry_phase=2,
        request_reason=cep_refs["reason"],
        project_type=cep_refs["project"],
    )
    ceps.close_cep(
        cep=cep_b, actor=counselor, end_date=first + datetime.timedelta(days=10), exit_reason=cep_refs["plan"]
    )

    c = person(3, has_rqth=True, target_rome_code="M1607", sex="M")
    cep_c = ceps.open_cep(
        beneficiary=c,
        actor=counselor,
        orientation_source=cep_refs["direct"],
        entry_date=last,
        entry_phase=3,
        request_reason=cep_refs["reason"],
    )
    person(4)  # no CEP: nothing about this person leaves
    return {"a": cep_a, "b": cep_b, "c": cep_c, "offer": offer, "manager": manager, "event": event}


@pytest.fixture
def month_data(structure, counselor, month, cep_refs, event_refs, people):
    return build_month(
        structure=structure, counselor=counselor, month=month, cep_refs=cep_refs, event_refs=event_refs, people=people
    )


def frictionless_errors(directory, name: str, version, resource: str) -> list[tuple]:
    """The reference validator (frictionless) on a CSV file of `directory`: [(row, field, type)]."""
    import json

    from frictionless import Dialect, Resource, Schema, formats

    schema = Schema.from_descriptor(json.loads(version.schema_path(resource).read_text(encoding="utf-8")))
    dialect = Dialect(controls=[formats.CsvControl(delimiter=";")])
    report = Resource(path=name, basepath=str(directory), schema=schema, dialect=dialect).validate()
    return [tuple(e) for e in report.flatten(["rowNumber", "fieldName", "type"])]

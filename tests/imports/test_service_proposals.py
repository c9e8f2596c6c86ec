"""Import of services (« Services »): each line checked by the offers' own rule function (OFFRE), attached to the
event of its day and to the CEP that covered it (or the one named by its entry date), re-import no-op, undo."""

import datetime
import io

import pytest

from cep.audit.models import AuditEntry
from cep.common.errors import RuleViolation
from cep.events.services import record_event
from cep.imports import services
from cep.imports.models import ImportLine, Kind, Outcome, Status
from cep.imports.service_proposals import COLUMNS
from cep.offers.models import Service
from tests.clock import today
from tests.factories import BeneficiaryFactory

HEADER = [c.name for c in COLUMNS]


def ago(days: int) -> datetime.date:
    return today() - datetime.timedelta(days=days)


def fr(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


@pytest.fixture
def person(structure, counselor, event_refs):
    person = BeneficiaryFactory(structure=structure, referent=counselor, last_name="Rossi", first_name="Paul", sex="M")
    record_event(beneficiary=person, actor=counselor, date=ago(20), **event_refs)
    return person


def line(person, **values) -> list[str]:
    base = {
        "nom": person.last_name,
        "prenom": person.first_name,
        "sexe": person.sex,
        "date_naissance": fr(person.birth_date),
        "date_proposition": fr(ago(20)),
        "offre": "offre cep",
    }
    base.update(values)
    return [base.get(name, "") for name in HEADER]


def check(actor, rows):
    data = ("\r\n".join(";".join(r) for r in [HEADER, *rows]) + "\r\n").encode("utf-8")
    return services.check_file(actor=actor, file=io.BytesIO(data), name="services.csv", kind=Kind.SERVICES)


def apply_now(batch, actor):
    services.confirm(batch=batch, actor=actor, encoding_confirmed=True, run=False)
    return services.apply(batch.pk)


def refusal(batch, number=2) -> tuple[str, str]:
    found = ImportLine.objects.get(batch=batch, line_number=number)
    assert found.outcome == Outcome.REFUSED, found.outcome
    return found.errors[0]["rule"], found.errors[0]["column"]


def outcome(batch, number=2) -> str:
    return ImportLine.objects.get(batch=batch, line_number=number).outcome


@pytest.fixture
def cep_of(counselor, cep_refs):
    from cep.enrolments.services import open_cep

    def make(person, days):
        return open_cep(
            beneficiary=person,
            actor=counselor,
            orientation_source=cep_refs["direct"],
            entry_date=ago(days),
            entry_phase=2,
            request_reason=cep_refs["reason"],
        )

    return make


def test_apply_proposes_the_offer_on_the_event_of_the_day_with_the_cep_in_progress(
    importer, person, cep_offer, cep_of
):
    cep = cep_of(person, 50)
    batch = apply_now(check(importer, [line(person, commentaire="Atelier CV")]), importer)
    assert batch.status == Status.APPLIED, batch.job_error
    service = Service.objects.get()
    assert (service.offer_id, service.proposed_on, service.cep_id) == (cep_offer.pk, ago(20), cep.pk)
    assert service.event.date == ago(20) and service.is_cep_level1 and service.proposed_by == importer
    assert service.service_act_id == cep_offer.service_act_id and service.comment == "Atelier CV"
    assert AuditEntry.objects.filter(action="import_propose_offer", object_type="service").count() == 1


def test_reimport_is_a_no_op_and_undo_deletes(importer, person, cep_offer):
    batch = apply_now(check(importer, [line(person)]), importer)
    assert Service.objects.get().cep_id is None  # no CEP covered the day
    again = check(importer, [line(person)])
    assert (again.unchanged_count, again.create_count) == (1, 0)
    with pytest.raises(RuleViolation):
        services.confirm(batch=again, actor=importer, encoding_confirmed=True, run=False)
    services.undo(batch=batch, actor=importer, run=False)
    services.perform_undo(batch.pk)  # the worker's job (the test's transaction never commits)
    assert not Service.objects.exists()
    assert AuditEntry.objects.filter(action="undo_import_propose_offer").count() == 1


def test_the_same_proposal_twice_in_the_file_is_a_duplicate(importer, person, cep_offer):
    batch = check(importer, [line(person), line(person)])
    assert (outcome(batch, 2), outcome(batch, 3)) == (Outcome.CREATE, Outcome.DUPLICATE)


def test_evenement_a_proposal_without_an_event_that_day_is_refused(importer, person, cep_offer):
    assert refusal(check(importer, [line(person, date_proposition=fr(ago(21)))])) == ("EVENEMENT", "date_proposition")


def test_offre_an_unknown_offer_and_a_closed_day_are_refused(importer, person, cep_offer):
    assert refusal(check(importer, [line(person, offre="Offre inconnue")])) == ("OFFRE", "offre")
    day = fr(cep_offer.start_date - datetime.timedelta(days=1))
    assert refusal(check(importer, [line(person, date_proposition=day)])) == ("OFFRE", "date_proposition")
    assert refusal(check(importer, [line(person, date_proposition=fr(ago(-1)))])) == ("OFFRE", "date_proposition")
    assert refusal(check(importer, [line(person, commentaire="x" * 256)])) == ("OFFRE", "commentaire")


def test_dossier_the_cep_named_by_its_entry_date_must_exist_and_cover_the_day(importer, person, cep_offer, cep_of):
    cep = cep_of(person, 10)
    assert refusal(check(importer, [line(person, date_entree_cep=fr(ago(11)))])) == ("DOSSIER", "date_entree_cep")
    assert refusal(check(importer, [line(person, date_entree_cep=fr(ago(10)))])) == ("DOSSIER", "date_entree_cep")
    earlier = check(importer, [line(person, date_entree_cep=fr(ago(10)), date_proposition=fr(ago(20)))])
    assert outcome(earlier) == Outcome.REFUSED
    from cep.events.services import record_event as record

    record(beneficiary=person, actor=importer, date=ago(5), **_event_refs())
    batch = apply_now(
        check(importer, [line(person, date_entree_cep=fr(ago(10)), date_proposition=fr(ago(5)))]), importer
    )
    assert Service.objects.get().cep_id == cep.pk, batch.job_error


def _event_refs():
    from cep.referentials import models as ref

    return {
        "primary_context": ref.EventContext.objects.get(code="cep"),
        "direction": ref.EventDirection.objects.get(code="beneficiaire_vers_structure"),
        "nature": ref.EventNature.objects.get(code="entretien_individuel"),
        "place": ref.ReceptionPlace.objects.get(code="siege"),
        "function": ref.StaffFunction.objects.get(code="conseiller"),
    }


def test_dossier_an_unknown_person_is_refused(importer, person, cep_offer):
    assert refusal(check(importer, [line(person, prenom="Pierre")])) == ("DOSSIER", "nom")

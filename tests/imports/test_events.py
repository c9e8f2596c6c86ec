"""Import of events (« Événements »): each line checked by the events' own rules (EVENEMENT), the person found by
the identity pseudonym, re-import changes nothing, R9 clocks follow the imported manifestations, undo."""

import datetime
import io

import pytest

from cep.accounts.rights import Role
from cep.audit.models import AuditEntry
from cep.common.errors import RuleViolation
from cep.events.models import Event
from cep.events.services import update_event
from cep.imports import services
from cep.imports.events import COLUMNS
from cep.imports.models import ImportLine, Kind, Outcome, Status
from tests.clock import today
from tests.factories import BeneficiaryFactory, UserFactory

HEADER = [c.name for c in COLUMNS]


def ago(days: int) -> str:
    return (today() - datetime.timedelta(days=days)).strftime("%d/%m/%Y")


@pytest.fixture
def person(structure, counselor):
    return BeneficiaryFactory(structure=structure, referent=counselor, last_name="Rossi", first_name="Paul", sex="M")


def line(person, **values) -> list[str]:
    base = {
        "nom": person.last_name,
        "prenom": person.first_name,
        "sexe": person.sex,
        "date_naissance": person.birth_date.strftime("%d/%m/%Y"),
        "date": ago(10),
        "contexte_primaire": "cep",
        "sens": "beneficiaire_vers_structure",
        "nature": "Entretien individuel",
        "lieu": "siege",
        "fonction": "conseiller",
    }
    base.update(values)
    return [base.get(name, "") for name in HEADER]


def check(actor, rows):
    data = ("\r\n".join(";".join(r) for r in [HEADER, *rows]) + "\r\n").encode("utf-8")
    return services.check_file(actor=actor, file=io.BytesIO(data), name="evenements.csv", kind=Kind.EVENTS)


def apply_now(batch, actor):
    services.confirm(batch=batch, actor=actor, encoding_confirmed=True, run=False)
    return services.apply(batch.pk)


def refusal(batch, number=2) -> tuple[str, str]:
    found = ImportLine.objects.get(batch=batch, line_number=number)
    assert found.outcome == Outcome.REFUSED, found.outcome
    return found.errors[0]["rule"], found.errors[0]["column"]


def outcome(batch, number=2) -> str:
    return ImportLine.objects.get(batch=batch, line_number=number).outcome


def test_apply_records_the_events_with_audit(importer, person, counselor):
    batch = apply_now(
        check(importer, [line(person), line(person, intervenant="CONSEILLER", commentaire="Bilan")]), importer
    )
    assert batch.status == Status.APPLIED, batch.job_error
    first, second = Event.objects.order_by("id")
    assert (first.beneficiary_id, first.intervener_id, first.is_cep, first.is_system) == (
        person.pk,
        importer.pk,
        True,
        False,
    )
    assert first.nature_id == "entretien_individuel" and first.created_by == importer
    assert second.intervener_id == counselor.pk and second.comment == "Bilan"
    assert AuditEntry.objects.filter(action="import_record_event", object_type="event").count() == 2


def test_reimporting_the_same_file_changes_nothing(importer, person):
    rows = [line(person), line(person, date=ago(20), intervenant="conseiller")]
    apply_now(check(importer, rows), importer)
    again = check(importer, rows)
    assert (again.unchanged_count, again.create_count) == (2, 0)
    with pytest.raises(RuleViolation):
        services.confirm(batch=again, actor=importer, encoding_confirmed=True, run=False)
    assert Event.objects.count() == 2


def test_the_same_event_twice_in_the_file_is_a_duplicate(importer, person):
    batch = check(importer, [line(person), line(person)])
    assert (outcome(batch, 2), outcome(batch, 3)) == (Outcome.CREATE, Outcome.DUPLICATE)


def test_r9_imported_manifestations_move_the_clock_and_the_undo_moves_it_back(importer, person, counselor, cep_refs):
    from cep.enrolments.services import open_cep

    cep = open_cep(
        beneficiary=person,
        actor=counselor,
        orientation_source=cep_refs["direct"],
        entry_date=today() - datetime.timedelta(days=100),
        entry_phase=2,
        request_reason=cep_refs["reason"],
    )
    batch = apply_now(check(importer, [line(person, date=ago(30))]), importer)
    cep.refresh_from_db()
    assert cep.last_manifestation_date == today() - datetime.timedelta(days=30)
    services.undo(batch=batch, actor=importer, run=False)
    services.perform_undo(batch.pk)  # the worker's job (the test's transaction never commits)
    cep.refresh_from_db()
    assert cep.last_manifestation_date == cep.entry_date and not Event.objects.exists()
    assert AuditEntry.objects.filter(action="undo_import_record_event").count() == 1


def test_r9_an_event_the_structure_sent_is_not_a_manifestation(importer, person, counselor, cep_refs):
    from cep.enrolments.services import open_cep

    cep = open_cep(
        beneficiary=person,
        actor=counselor,
        orientation_source=cep_refs["direct"],
        entry_date=today() - datetime.timedelta(days=100),
        entry_phase=2,
        request_reason=cep_refs["reason"],
    )
    apply_now(check(importer, [line(person, sens="structure_vers_beneficiaire", nature="courriel")]), importer)
    cep.refresh_from_db()
    assert cep.last_manifestation_date == cep.entry_date


def test_undo_is_refused_once_an_event_was_changed(importer, person, counselor):
    batch = apply_now(check(importer, [line(person)]), importer)
    update_event(event=Event.objects.get(), actor=counselor, comment="Corrigé")
    with pytest.raises(RuleViolation) as err:
        services.undo(batch=batch, actor=importer)
    assert err.value.rule == "IMPORT_ANNULATION" and "événements" in err.value.message


def test_evenement_a_date_in_the_future_is_refused(importer, person):
    assert outcome(check(importer, [line(person, date=ago(0))])) == Outcome.CREATE
    assert refusal(check(importer, [line(person, date=ago(-1))])) == ("EVENEMENT", "date")


def test_evenement_the_same_context_twice_is_refused(importer, person):
    assert outcome(check(importer, [line(person, contexte_secondaire="formation")])) == Outcome.CREATE
    assert refusal(check(importer, [line(person, contexte_secondaire="cep")])) == ("EVENEMENT", "contexte_secondaire")


def test_evenement_an_intervener_of_another_structure_is_refused(importer, person, other_structure):
    UserFactory(username="ailleurs", role=Role.COUNSELOR, structure=other_structure)
    assert refusal(check(importer, [line(person, intervenant="ailleurs")])) == ("EVENEMENT", "intervenant")


def test_evenement_a_long_comment_and_a_missing_nature_are_refused(importer, person):
    assert refusal(check(importer, [line(person, commentaire="x" * 256)])) == ("EVENEMENT", "commentaire")
    assert refusal(check(importer, [line(person, nature="")])) == ("EVENEMENT", "nature")


def test_referentiel_an_unknown_nature_is_refused(importer, person):
    assert refusal(check(importer, [line(person, nature="pigeon voyageur")])) == ("REFERENTIEL", "nature")


def test_saisie_a_bad_mode_is_refused(importer, person):
    assert outcome(check(importer, [line(person, modalite="À distance", format="Collectif")])) == Outcome.CREATE
    assert refusal(check(importer, [line(person, modalite="par télépathie")])) == ("SAISIE", "modalite")


def test_dossier_an_unknown_person_is_refused(importer, person):
    assert refusal(check(importer, [line(person, prenom="Pierre")])) == ("DOSSIER", "nom")


def test_conservation_an_anonymised_dossier_takes_no_event(importer, person):
    from django.utils import timezone

    type(person).objects.filter(pk=person.pk).update(anonymised_at=timezone.now())
    assert refusal(check(importer, [line(person)])) == ("CONSERVATION", "")


def test_an_event_without_the_cep_context_is_not_a_cep_event(importer, person):
    apply_now(check(importer, [line(person, contexte_primaire="evenement_general")]), importer)
    assert Event.objects.get().is_cep is False


def test_apply_fails_whole_when_the_intervener_left_the_structure(importer, person, counselor, other_structure):
    batch = check(importer, [line(person, date=ago(3)), line(person, intervenant="conseiller")])
    counselor.structure = other_structure
    counselor.save()
    batch = apply_now(batch, importer)
    assert batch.status == Status.FAILED and "ligne 3" in batch.job_error
    assert not Event.objects.exists()

"""Durée de conservation: who is anonymised, what is cleared and kept, the audit row, the command and the job."""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command

from cep.audit.models import AuditEntry
from cep.beneficiaries.models import Beneficiary
from cep.enrolments import services as ceps
from cep.enrolments.models import Cep
from cep.events.models import Event
from cep.offers.models import Service
from cep.retention import queries, rules, services
from cep.retention.tasks import retention_task
from tests.clock import today

from .conftest import COMMENT, GONE_ON, IDENTITY, KEPT_ON, LAST_CONTACT, make_dossier

pytestmark = pytest.mark.django_db

PERSONAL_VALUES = [*IDENTITY.values(), COMMENT, "Dr Prescriptrice"]


def anonymised_ids(on, months=24) -> set[int]:
    services.anonymise(on=on, months=months)
    return set(Beneficiary.objects.filter(anonymised_at__isnull=False).values_list("pk", flat=True))


def test_inactive_dossier_is_anonymised_and_keeps_what_reports_read(old_dossier):
    before = Beneficiary.objects.get(pk=old_dossier.pk)
    assert anonymised_ids(GONE_ON) == {old_dossier.pk}

    after = Beneficiary.objects.get(pk=old_dossier.pk)
    assert (after.last_name, after.first_name, after.search_name) == ("ANONYME", "Anonyme", "anonyme anonyme")
    assert (after.birth_name, after.email, after.phone, after.address, after.commune_id) == ("", "", "", "", None)
    assert after.anonymised_at is not None
    kept = (
        "id", "structure_id", "person_key", "birth_date", "sex", "employment_status_id", "qualification_level_id",
        "has_rqth", "department_id", "region_id", "target_rome_code", "first_reception_date", "status",
        "justified_at", "created_at", "updated_at", "referent_id",
    )  # fmt: skip
    assert {f: getattr(after, f) for f in kept} == {f: getattr(before, f) for f in kept}
    assert after.department_id and after.region_id  # the residence the file sends survives the commune
    assert list(Event.objects.filter(beneficiary=old_dossier).values_list("comment", "date")) == [("", LAST_CONTACT)]


def test_an_incomplete_dossier_is_anonymised_too(structure, counselor, event_refs):
    """Never justified (no justification date): the test of activity must not turn NULL and skip it."""
    dossier = make_dossier(structure=structure, actor=counselor, event_refs=event_refs, justify=False)
    assert dossier.justified_at is None
    assert queries.plan(on=GONE_ON, months=24).dossiers == 1
    assert anonymised_ids(GONE_ON) == {dossier.pk}


def test_exactly_n_months_after_the_last_contact_the_dossier_is_kept(old_dossier):
    assert queries.plan(on=KEPT_ON, months=24).dossiers == 0
    assert anonymised_ids(KEPT_ON) == set()
    assert queries.plan(on=GONE_ON, months=24).dossiers == 1


def test_the_period_is_configurable(old_dossier, settings):
    settings.CEP_RETENTION_MONTHS = "18"
    assert services.retention_months() == 18
    assert anonymised_ids(datetime.date(2024, 9, 16), months=None) == {old_dossier.pk}


@pytest.mark.parametrize("minimum", [None, "11", "douze"])
def test_a_period_under_twelve_months_or_not_a_number_is_refused(settings, minimum, refdata):
    settings.CEP_RETENTION_MONTHS = minimum or "6"
    with pytest.raises(CommandError, match="(au moins 12 mois|Durée de conservation invalide)"):
        call_command("cep_retention", "--dry-run", stdout=io.StringIO())


@pytest.mark.parametrize("activity", ["event", "service", "cep_end", "first_reception"])
def test_a_dossier_with_a_recent_contact_is_kept(activity, structure, counselor, event_refs, cep_refs, cep_offer):
    recent = datetime.date(2024, 1, 2)  # within 24 months of GONE_ON
    if activity == "first_reception":
        dossier = make_dossier(structure=structure, actor=counselor, event_refs=event_refs, first=recent)
    else:
        dossier = make_dossier(structure=structure, actor=counselor, event_refs=event_refs)
    if activity == "event":
        Event.objects.filter(beneficiary=dossier).update(date=recent)
    elif activity == "service":
        Service.objects.create(
            beneficiary=dossier,
            structure=structure,
            offer=cep_offer,
            service_act_id=cep_offer.service_act_id,
            proposed_on=recent,
            proposed_by=counselor,
        )
    elif activity == "cep_end":
        cep = ceps.open_cep(
            beneficiary=dossier,
            actor=counselor,
            orientation_source=cep_refs["direct"],
            entry_date=datetime.date(2023, 2, 1),
            entry_phase=2,
            request_reason=cep_refs["reason"],
        )
        ceps.close_cep(cep=cep, actor=counselor, end_date=recent, exit_reason=cep_refs["formalised"])
    assert anonymised_ids(GONE_ON) == set()


def test_a_system_event_is_no_contact(old_dossier, counselor, event_refs):
    Event.objects.create(
        beneficiary=old_dossier,
        structure_id=old_dossier.structure_id,
        date=datetime.date(2025, 1, 1),
        is_system=True,
        comment="Suppression du dispositif CEP",
        intervener=counselor,
        **event_refs,
    )
    assert anonymised_ids(GONE_ON) == {old_dossier.pk}
    assert Event.objects.get(beneficiary=old_dossier, is_system=True).comment == "Suppression du dispositif CEP"


def test_a_cep_in_progress_keeps_the_dossier_however_old(old_dossier, counselor, cep_refs):
    cep = ceps.open_cep(
        beneficiary=old_dossier,
        actor=counselor,
        orientation_source=cep_refs["direct"],
        entry_date=datetime.date(2023, 2, 1),
        entry_phase=2,
        request_reason=cep_refs["reason"],
        prescriber_name="Dr Prescriptrice",
    )
    Cep.objects.filter(pk=cep.pk).update(last_manifestation_date=None)
    assert anonymised_ids(datetime.date(2030, 1, 1)) == set()

    # Closed long ago, the same dossier goes, with its CEP's free texts.
    Cep.objects.filter(pk=cep.pk).update(
        status="closed", end_date=datetime.date(2023, 3, 1), exit_reason=cep_refs["formalised"], ended_in_phase=2
    )
    assert anonymised_ids(GONE_ON) == {old_dossier.pk}
    assert Cep.objects.filter(pk=cep.pk).values_list("prescriber_name", "referent_name", "entry_date").get() == (
        "",
        "",
        datetime.date(2023, 2, 1),
    )


def test_one_audit_row_by_the_system_names_the_cleared_fields_without_their_values(old_dossier):
    services.anonymise(on=GONE_ON, months=24)
    row = AuditEntry.objects.get(action="anonymise_beneficiary")
    who = (row.actor_id, row.actor_label, row.object_type, row.object_id)
    assert who == (None, "Système", "beneficiary", old_dossier.pk)
    assert (row.beneficiary_id, row.structure_id) == (old_dossier.pk, old_dossier.structure_id)
    assert row.before["cleared_fields"] == [
        "last_name", "first_name", "birth_name", "email", "phone", "address", "commune_id"
    ]  # fmt: skip
    assert row.before["event_comments"] == 1
    assert row.after == {"anonymised": True, "last_activity": LAST_CONTACT.isoformat(), "retention_months": 24}

    # No personal value is left anywhere in the person's history; who did what and when is still there.
    history = list(AuditEntry.objects.filter(beneficiary_id=old_dossier.pk).order_by("id"))
    dumped = json.dumps([(e.before, e.after) for e in history], ensure_ascii=False)
    assert not [value for value in PERSONAL_VALUES if value in dumped]
    for entry in history:
        for snapshot in (entry.before or {}, entry.after or {}):
            assert not set(snapshot) & set(rules.AUDIT_PERSONAL_KEYS)
    assert [e.action for e in history] == [
        "create_beneficiary", "justify_beneficiary", "record_event", "anonymise_beneficiary"
    ]  # fmt: skip
    event_entry = history[2]
    assert event_entry.after["date"] == LAST_CONTACT.isoformat() and event_entry.actor_label


def test_a_second_run_finds_nothing(old_dossier):
    assert services.anonymise(on=GONE_ON, months=24)[0] == 1
    assert services.anonymise(on=GONE_ON, months=24) == (0, 0)
    assert AuditEntry.objects.filter(action="anonymise_beneficiary").count() == 1


def test_dry_run_prints_the_counts_in_french_and_writes_nothing(old_dossier, structure):
    out = io.StringIO()
    call_command("cep_retention", "--dry-run", "--date", GONE_ON.isoformat(), stdout=out)
    text = out.getvalue()
    assert "Dossiers sans contact depuis le 16/03/2023 (24 mois) et sans CEP en cours, à anonymiser : 1" in text
    assert f"  {structure.name} (n° {structure.pk}) : 1" in text
    assert "Journal des accès à la RQTH, lignes de plus de 12 mois à supprimer : 0" in text
    assert "rien n'a été écrit" in text
    assert Beneficiary.objects.get(pk=old_dossier.pk).last_name == IDENTITY["last_name"]
    assert not AuditEntry.objects.filter(action="anonymise_beneficiary").exists()


def test_the_real_run_prints_the_same_counts_then_what_it_did(old_dossier):
    out = io.StringIO()
    call_command("cep_retention", "--date", GONE_ON.isoformat(), "--no-progress", stdout=out)
    text = out.getvalue()
    assert "à anonymiser : 1" in text
    assert "1 dossier(s) anonymisé(s), 3 entrée(s) d'historique expurgée(s)" in text
    assert Beneficiary.objects.get(pk=old_dossier.pk).anonymised_at is not None


def test_a_bad_date_is_refused_in_french(refdata):
    with pytest.raises(CommandError, match="AAAA-MM-JJ"):
        call_command("cep_retention", "--date", "16/03/2025", stdout=io.StringIO())


def test_the_background_job_runs_the_same(old_dossier):
    result = retention_task.enqueue(on=GONE_ON.isoformat(), months=24)  # the test settings run tasks at once
    assert result.return_value == {"anonymised": 1, "history_rows_redacted": 3, "log_rows_purged": 0}


def test_the_command_can_hand_the_run_to_the_worker(old_dossier):
    out = io.StringIO()
    call_command("cep_retention", "--en-tache", "--date", GONE_ON.isoformat(), stdout=out)
    assert "Traitement confié aux tâches de fond" in out.getvalue()
    assert Beneficiary.objects.get(pk=old_dossier.pk).anonymised_at is not None  # immediate backend in tests


def test_batches_cover_every_dossier(structure, counselor, event_refs):
    dossiers = [make_dossier(structure=structure, actor=counselor, event_refs=event_refs) for _ in range(5)]
    ticks = []
    done, _ = services.anonymise(on=GONE_ON, months=24, batch=2, progress=ticks.append)
    assert (done, ticks) == (5, [2, 2, 1])
    assert anonymised_ids(GONE_ON) == {d.pk for d in dossiers}


def test_an_anonymised_dossier_takes_no_new_data(old_dossier, counselor, event_refs, cep_refs, cep_offer):
    from cep.beneficiaries.services import justify_beneficiary, update_beneficiary
    from cep.common.errors import RuleViolation
    from cep.events.services import record_event
    from cep.offers.services import propose_offer

    services.anonymise(on=GONE_ON, months=24)
    dossier = Beneficiary.objects.get(pk=old_dossier.pk)
    attempts = [
        lambda: update_beneficiary(beneficiary=dossier, actor=counselor, last_name="Martin"),
        lambda: justify_beneficiary(beneficiary=dossier, actor=counselor),
        lambda: record_event(beneficiary=dossier, actor=counselor, date=today(), **event_refs),
        lambda: propose_offer(beneficiary=dossier, offer=cep_offer, actor=counselor),
        lambda: ceps.open_cep(
            beneficiary=dossier, actor=counselor, orientation_source=cep_refs["direct"],
            entry_date=today(), entry_phase=2, request_reason=cep_refs["reason"],
        ),
    ]  # fmt: skip
    audit_rows = AuditEntry.objects.count()
    for attempt in attempts:
        with pytest.raises(RuleViolation) as err:
            attempt()
        assert err.value.rule == "CONSERVATION" and "anonymisé" in err.value.message
    assert Beneficiary.objects.get(pk=dossier.pk).last_name == "ANONYME"
    assert (Event.objects.filter(beneficiary=dossier).count(), Cep.objects.filter(beneficiary=dossier).count()) == (
        1,
        0,
    )
    assert AuditEntry.objects.count() == audit_rows


def test_the_rendez_vous_object_is_emptied_and_leaves_the_history(old_dossier, counselor, modes):
    """Issue 14: a rendez-vous' « Objet » is free text about the person, cleared with the other free texts."""
    from cep.appointments.models import Appointment
    from cep.appointments.services import book_appointment
    from tests.factories import paris_at

    appointment = book_appointment(
        beneficiary=old_dossier,
        actor=counselor,
        starts_at=paris_at(9, 0, days=1),
        mode=modes["telephone"],
        subject="Arrêt maladie, reprise envisagée",
    )
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=datetime.datetime(2023, 3, 1, 9, tzinfo=datetime.UTC)
    )
    services.anonymise(on=GONE_ON, months=24)
    assert Appointment.objects.get(pk=appointment.pk).comment == ""
    history = AuditEntry.objects.filter(object_type="appointment", object_id=appointment.pk)
    assert history.exists()
    assert "Arrêt maladie" not in json.dumps([(e.before, e.after) for e in history], ensure_ascii=False)


def test_anonymisation_leaves_no_word_of_the_name_nor_the_phone_in_the_search(old_dossier, counselor):
    from cep.beneficiaries.models import NameWord
    from cep.enrolments.queries import search_beneficiaries

    def words():
        return set(NameWord.objects.filter(beneficiary_id=old_dossier.pk).values_list("word", flat=True))

    assert words() == {"martin", "lefevre", "zoe", "0612345678"}
    assert [b.pk for b in search_beneficiaries(counselor, name="zoe martin").rows] == [old_dossier.pk]
    assert anonymised_ids(GONE_ON) == {old_dossier.pk}
    assert words() == {"anonyme"}
    for typed in ("zoe martin", "lefevre", "06 12 34 56 78"):
        assert search_beneficiaries(counselor, name=typed).rows == [], typed

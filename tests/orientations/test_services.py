"""Orientation between structures (issue 11, part 2): sending with consent and the copied level-1 summary, the
answers of the receiving structure (accept: dossier created or matched, aiguilleur, other orientations obsolete;
refuse with a reason), cancellation and withdrawal of consent, the 30-day expiry and 10-day reminders (a message
restarts both), e-mails, audit; every rule accepted and refused, nothing written on a refusal."""

import datetime

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from cep.accounts.rights import Right, Role
from cep.audit.models import AuditEntry
from cep.beneficiaries.models import Beneficiary
from cep.common.errors import RuleViolation
from cep.orientations.models import EntryKind, Orientation, OrientationEntry, Status
from cep.orientations.services import (
    accept_orientation,
    cancel_orientation,
    post_message,
    refuse_orientation,
    run_deadlines,
    withdraw_consent,
)
from cep.orientations.workflow import TRANSITIONS, allowed
from cep.referentials import models as ref
from tests.clock import resolved, today
from tests.factories import BeneficiaryFactory, StructureFactory, UserFactory, withdraw

pytestmark = pytest.mark.django_db


def _writes():
    return (
        Orientation.objects.count(),
        OrientationEntry.objects.count(),
        Beneficiary.objects.count(),
        AuditEntry.objects.count(),
    )


def reason(code="non_interesse"):
    return ref.OrientationRefusalReason.objects.get(code=code)


# --- sending -------------------------------------------------------------------------------------------------


def test_orientation_sent_copies_the_summary_and_structure_names_and_survives_later_edits(
    send, beneficiary, structure, other_structure, django_capture_on_commit_callbacks
):
    other_structure.contact_email = "accueil@b.example.org"
    other_structure.save()
    with django_capture_on_commit_callbacks(execute=True):
        o = send(fields=("phone", "employment_status"))
    assert o.status == Status.SENT and o.identity_pseudonym == beneficiary.identity_pseudonym
    assert o.sent_fields == [
        "last_name",
        "first_name",
        "birth_name",
        "sex",
        "birth_date",
        "phone",
        "employment_status",
    ]
    assert o.summary["employment_status"]["display"] == "Demandeur d'emploi non indemnisé"
    assert "has_rqth" not in o.summary and "email" not in o.summary  # only what was ticked crosses
    assert o.consent_mode_id == "oral" and o.consent_recorded_by == o.counselor and o.consent_at is not None
    assert o.orientation_source_id == "autre_mission_locale"  # both Missions locales
    name = structure.name
    beneficiary.last_name, structure.name = "Changé", "Nouveau nom"
    beneficiary.save()
    structure.save()
    o.refresh_from_db()
    assert o.source_structure_name == name and o.summary["last_name"]["value"] != "Changé"
    assert [e.kind for e in o.entries.all()] == [EntryKind.SENT]
    assert AuditEntry.objects.filter(action="send_orientation", object_id=o.pk).count() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["accueil@b.example.org"]


def test_orientation_to_another_network_carries_that_networks_aiguilleur(send, refdata):
    apec = StructureFactory(name="APEC Ajaccio", operator__network_id="apec")
    from cep.orientations.services import aiguilleur_for

    o = send(target=apec)
    assert o.orientation_source_id == "autre"  # no aiguilleur « Mission locale » for the other networks
    assert aiguilleur_for(apec, o.source_structure).code == "apec"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"consent_mode": None}, "consent_mode"),
        ({"fields": ("phone", "passport")}, "fields"),
        ({"consent_on": lambda: today() + datetime.timedelta(days=1)}, "consent_on"),
        ({"comment": "x" * 2001}, "comment"),
        ({"comment": "nul\x00"}, "comment"),
        ({"target": None}, "target"),
    ],
)
def test_orientation_sending_refuses_bad_input(send, kwargs, field):
    before = _writes()
    with pytest.raises(RuleViolation) as refused:
        send(**resolved(kwargs))
    assert refused.value.rule == "ORIENTATION" and field in {v.field for v in refused.value.violations}
    assert _writes() == before


def test_orientation_to_ones_own_structure_is_refused(send, structure):
    with pytest.raises(RuleViolation) as refused:
        send(target=structure)
    assert refused.value.field == "target"


def test_orientation_withdrawn_consent_mode_is_refused(send, oral):
    oral.valid_to = today() - datetime.timedelta(days=1)
    oral.save()
    with pytest.raises(RuleViolation) as refused:
        send()
    assert refused.value.field == "consent_mode"


def test_orientation_one_open_per_person_and_target_refused_then_accepted_once_closed(send, counselor):
    first = send()
    before = _writes()
    with pytest.raises(RuleViolation) as refused:
        send()
    assert "déjà en cours" in refused.value.message and _writes() == before
    cancel_orientation(orientation=first, actor=counselor)
    assert send().status == Status.SENT


def test_orientation_open_constraint_holds_in_the_database(send):
    o = send()
    clone = Orientation.objects.get(pk=o.pk)
    clone.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()


def test_orientation_same_person_from_two_dossiers_shares_the_constraint(send, beneficiary, counselor, refdata):
    """The constraint is on the person (identity pseudonym), not on one dossier."""
    send()
    twin = BeneficiaryFactory(
        structure=beneficiary.structure,
        last_name=beneficiary.last_name,
        first_name=beneficiary.first_name,
        birth_date=beneficiary.birth_date,
        sex=beneficiary.sex,
    )
    with pytest.raises(RuleViolation):
        send(beneficiary=twin)


def test_orientation_rights_sending_needs_orient_right(send, counselor):
    withdraw(counselor, Right.ORIENT)
    with pytest.raises(RuleViolation) as refused:
        send(actor=counselor)
    assert refused.value.rule == "DROITS"


def test_orientation_rights_another_structures_dossier_cannot_be_oriented(send, other_counselor, structure):
    with pytest.raises(RuleViolation) as refused:
        send(actor=other_counselor, target=StructureFactory())
    assert refused.value.rule == "DROITS"


def test_orientation_of_an_anonymised_dossier_is_refused(send, beneficiary):
    beneficiary.anonymised_at = timezone.now()
    beneficiary.save()
    with pytest.raises(RuleViolation) as refused:
        send()
    assert refused.value.rule == "CONSERVATION"


# --- accepting -----------------------------------------------------------------------------------------------


def test_orientation_accepted_creates_bs_dossier_and_notifies_a(
    send, other_counselor, counselor, other_structure, django_capture_on_commit_callbacks
):
    o = send(fields=("phone", "commune", "employment_status", "qualification_level"))
    with django_capture_on_commit_callbacks(execute=True):
        accepted = accept_orientation(orientation=o, actor=other_counselor)
    assert accepted.status == Status.ACCEPTED and accepted.answered_by == other_counselor
    dossier = accepted.target_beneficiary
    assert dossier.structure == other_structure and dossier.referent == other_counselor
    assert dossier.identity_pseudonym == o.identity_pseudonym and dossier.commune_id == "2A004"
    assert dossier.employment_status_id == "demandeur_emploi_non_indemnise"
    assert AuditEntry.objects.filter(action="create_beneficiary", beneficiary_id=dossier.pk).exists()
    assert AuditEntry.objects.filter(action="accept_orientation", object_id=o.pk).exists()
    assert [m.to for m in mail.outbox] == [[counselor.email]] and "acceptée" in mail.outbox[0].subject


def test_orientation_acceptance_matches_bs_existing_dossier_through_duplicate_detection(
    send, beneficiary, other_structure, other_counselor
):
    existing = BeneficiaryFactory(
        structure=other_structure,
        last_name=beneficiary.last_name + "e",  # one typo away, same birth date
        first_name=beneficiary.first_name,
        birth_date=beneficiary.birth_date,
    )
    o = send()
    before = Beneficiary.objects.count()
    with pytest.raises(RuleViolation) as refused:
        accept_orientation(orientation=o, actor=other_counselor)  # a dossier may already exist: choose it
    assert refused.value.field == "match" and refused.value.details == {"candidates": [existing.pk]}
    accepted = accept_orientation(orientation=o, actor=other_counselor, match=existing)
    assert accepted.target_beneficiary == existing and Beneficiary.objects.count() == before


def test_orientation_acceptance_creates_a_dossier_when_b_says_no_candidate_is_the_person(
    send, beneficiary, other_structure, other_counselor
):
    homonym = BeneficiaryFactory(
        structure=other_structure,
        last_name=beneficiary.last_name,
        first_name=beneficiary.first_name,
        birth_date=beneficiary.birth_date,
    )
    accepted = accept_orientation(orientation=send(), actor=other_counselor, new_dossier=True)
    assert accepted.target_beneficiary not in (None, homonym)


def test_orientation_acceptance_refuses_a_dossier_that_is_not_the_person(send, other_structure, other_counselor):
    stranger = BeneficiaryFactory(structure=other_structure, last_name="Inconnu", first_name="Autre")
    o = send()
    with pytest.raises(RuleViolation) as refused:
        accept_orientation(orientation=o, actor=other_counselor, match=stranger)
    assert refused.value.field == "match"
    assert Orientation.objects.get(pk=o.pk).status == Status.SENT


def test_orientation_accepted_closes_the_persons_other_open_orientations_as_obsolete(send, other_counselor, refdata):
    third = StructureFactory(name="Cap emploi Corse", operator__network_id="cap_emploi")
    to_b, to_c = send(), send(target=third)
    accept_orientation(orientation=to_b, actor=other_counselor)
    to_c.refresh_from_db()
    assert to_c.status == Status.OBSOLETE and to_c.entries.last().kind == EntryKind.OBSOLETE
    assert AuditEntry.objects.filter(action="orientation_obsolete", object_id=to_c.pk).count() == 1


def test_orientation_rights_only_b_handles_it(send, counselor, other_counselor):
    o = send()
    with pytest.raises(RuleViolation) as refused:
        accept_orientation(orientation=o, actor=counselor)  # A cannot accept its own orientation
    assert refused.value.rule == "ORIENTATION" and "destinataire" in refused.value.message
    withdraw(other_counselor, Right.HANDLE_ORIENTATIONS)
    with pytest.raises(RuleViolation):
        refuse_orientation(orientation=o, actor=other_counselor, reason=reason())
    assert Orientation.objects.get(pk=o.pk).status == Status.SENT


# --- refusing ------------------------------------------------------------------------------------------------


def test_orientation_declined_with_reason_and_message(
    send, other_counselor, counselor, django_capture_on_commit_callbacks
):
    o = send()
    with django_capture_on_commit_callbacks(execute=True):
        refused = refuse_orientation(
            orientation=o, actor=other_counselor, reason=reason("en_emploi"), comment="A retrouvé un <b>CDI</b>."
        )
    assert refused.status == Status.REFUSED and refused.refusal_reason_id == "en_emploi"
    assert refused.target_beneficiary is None and not Beneficiary.objects.filter(structure=o.target_structure)
    assert "En emploi" in refused.entries.last().comment
    html = mail.outbox[0].alternatives[0][0]
    assert "&lt;b&gt;CDI&lt;/b&gt;" in html and "<b>" not in html  # user text escaped


def test_orientation_refusal_needs_a_valid_reason(send, other_counselor):
    o = send()
    with pytest.raises(RuleViolation) as refused:
        refuse_orientation(orientation=o, actor=other_counselor, reason=None)
    assert refused.value.field == "reason"
    old = reason("doublon")
    old.valid_to = today() - datetime.timedelta(days=1)
    old.save()
    with pytest.raises(RuleViolation) as refused:
        refuse_orientation(orientation=o, actor=other_counselor, reason=old)
    assert "plus en vigueur" in refused.value.message
    assert ref.OrientationRefusalReason.objects.filter(code="doublon").exists()  # withdrawn values are kept


def test_orientation_closed_cannot_be_answered_again(send, other_counselor):
    o = send()
    refuse_orientation(orientation=o, actor=other_counselor, reason=reason())
    before = _writes()
    with pytest.raises(RuleViolation) as refused:
        accept_orientation(orientation=o, actor=other_counselor)
    assert "Refusée" in refused.value.message and _writes() == before


# --- cancelling, consent ------------------------------------------------------------------------------------


def test_orientation_cancelled_by_a_and_not_by_b(send, counselor, other_counselor):
    o = send()
    with pytest.raises(RuleViolation) as refused:
        cancel_orientation(orientation=o, actor=other_counselor)
    assert "Seule la structure d'origine" in refused.value.message
    cancelled = cancel_orientation(orientation=o, actor=counselor, comment="Erreur de structure.")
    assert cancelled.status == Status.CANCELLED
    with pytest.raises(RuleViolation):
        cancel_orientation(orientation=o, actor=counselor)


def test_orientation_consent_withdrawal_cancels_a_pending_orientation_and_drops_the_summary(send, counselor):
    o = send(fields=("phone", "email"))
    withdrawn = withdraw_consent(orientation=o, actor=counselor)
    assert withdrawn.status == Status.CANCELLED and withdrawn.consent_withdrawn_by == counselor
    assert set(withdrawn.summary) == {"last_name", "first_name", "birth_name", "sex", "birth_date"}
    assert [e.kind for e in withdrawn.entries.all()][-2:] == [EntryKind.CONSENT_WITHDRAWN, EntryKind.CANCELLED]
    with pytest.raises(RuleViolation) as refused:
        withdraw_consent(orientation=o, actor=counselor)
    assert "déjà" in refused.value.message


def test_orientation_consent_withdrawal_after_acceptance_keeps_bs_dossier(send, counselor, other_counselor):
    o = accept_orientation(orientation=send(), actor=other_counselor)
    withdrawn = withdraw_consent(orientation=o, actor=counselor)
    assert withdrawn.status == Status.ACCEPTED and withdrawn.target_beneficiary_id is not None


# --- messages, deadlines -------------------------------------------------------------------------------------


def test_orientation_messages_from_both_sides_restart_the_clock(send, counselor, other_counselor):
    o = send()
    Orientation.objects.filter(pk=o.pk).update(last_activity_at=o.sent_at - datetime.timedelta(days=20))
    post_message(orientation=o, actor=other_counselor, text="Pouvez-vous préciser le projet ?")
    post_message(orientation=o, actor=counselor, text="Oui : aide-soignante.")
    o.refresh_from_db()
    assert timezone.now() - o.last_activity_at < datetime.timedelta(minutes=1)
    assert [e.kind for e in o.entries.all()] == [EntryKind.SENT, EntryKind.MESSAGE, EntryKind.MESSAGE]


def test_orientation_messages_refused_when_empty_closed_or_from_a_third_structure(send, counselor, refdata):
    o = send()
    with pytest.raises(RuleViolation):
        post_message(orientation=o, actor=counselor, text="  ")
    stranger = UserFactory(username="tiers", role=Role.COUNSELOR, structure=StructureFactory())
    with pytest.raises(RuleViolation) as refused:
        post_message(orientation=o, actor=stranger, text="Bonjour")
    assert refused.value.rule == "DROITS"
    cancel_orientation(orientation=o, actor=counselor)
    with pytest.raises(RuleViolation):
        post_message(orientation=o, actor=counselor, text="Encore là ?")


def test_orientation_reminders_every_10_days_then_expiry_at_30_days_idempotent(
    send, counselor, other_structure, django_capture_on_commit_callbacks
):
    other_structure.contact_email = "b@example.org"
    other_structure.save()
    o = send()
    t0 = o.last_activity_at
    day = datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_deadlines(now=t0 + 9 * day) == (0, 0)
        assert run_deadlines(now=t0 + 10 * day) == (0, 1)
        assert run_deadlines(now=t0 + 10 * day) == (0, 0)  # idempotent
        assert run_deadlines(now=t0 + 19 * day) == (0, 0)
        assert run_deadlines(now=t0 + 20 * day) == (0, 1)
        assert run_deadlines(now=t0 + 29 * day) == (0, 0)
        assert run_deadlines(now=t0 + 30 * day) == (1, 0)
        assert run_deadlines(now=t0 + 31 * day) == (0, 0)
    o.refresh_from_db()
    assert o.status == Status.EXPIRED
    kinds = [e.kind for e in o.entries.all()]
    assert kinds == [EntryKind.SENT, EntryKind.REMINDER, EntryKind.REMINDER, EntryKind.EXPIRED]
    assert [m.to for m in mail.outbox][:2] == [["b@example.org"]] * 2  # the two reminders
    assert counselor.email in mail.outbox[-1].to  # the expiry, to A's counselor (and B)


def test_orientation_a_message_restarts_expiry_and_reminders(send, other_counselor):
    o = send()
    t0, day = o.last_activity_at, datetime.timedelta(days=1)
    Orientation.objects.filter(pk=o.pk).update(last_activity_at=t0 - 25 * day, last_reminder_at=t0 - 5 * day)
    post_message(orientation=o, actor=other_counselor, text="Rendez-vous proposé.")
    o.refresh_from_db()
    t1 = o.last_activity_at
    assert run_deadlines(now=t1 + 9 * day) == (0, 0)
    assert run_deadlines(now=t1 + 29 * day) == (0, 1)
    assert run_deadlines(now=t1 + 30 * day) == (1, 0)


def test_orientation_deadlines_command_plays_a_date(send, capsys):
    from django.core.management import call_command

    send()
    later = (today() + datetime.timedelta(days=31)).isoformat()
    call_command("cep_orientations", "--date", later)
    assert "1 orientation(s) expirée(s)" in capsys.readouterr().out
    call_command("cep_orientations", "--date", later)
    assert "0 orientation(s) expirée(s)" in capsys.readouterr().out


def test_orientation_deadlines_command_refuses_a_bad_date():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="Date invalide"):
        call_command("cep_orientations", "--date", "31/12/2026")


def test_orientation_workflow_is_data_every_final_status_is_final():
    finals = [s for s in Status.values if s != Status.SENT]
    assert all(TRANSITIONS[s] == {} for s in finals)
    assert set(allowed(Status.SENT, "target")) == {Status.ACCEPTED, Status.REFUSED}
    assert set(allowed(Status.SENT, "source")) == {Status.CANCELLED}


def test_orientation_deadlines_command_hands_the_run_to_the_background_worker(send, capsys):
    from django.core.management import call_command

    o = send()
    later = (today() + datetime.timedelta(days=31)).isoformat()
    call_command("cep_orientations", "--date", later, "--en-tache")  # the tests' backend runs it at once
    assert "tâches de fond" in capsys.readouterr().out
    assert Orientation.objects.get(pk=o.pk).status == Status.EXPIRED


def test_orientation_mails_cap_and_clean_the_users_text(send, other_structure, django_capture_on_commit_callbacks):
    other_structure.contact_email = "b@example.org"
    other_structure.save()
    with django_capture_on_commit_callbacks(execute=True):
        send(comment="Début " + "x" * 1990)  # control characters are refused before (check_text)
    message = mail.outbox[0]
    quoted = message.body.split("Message :\n", 1)[1]
    assert len(quoted) == 500 and quoted.startswith("Début") and quoted.endswith("…")
    assert "\n" not in message.subject and message.subject.startswith("[CEP] Nouvelle orientation reçue")

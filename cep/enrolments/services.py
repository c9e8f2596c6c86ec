"""The CEP lifecycle: one function per action, one transaction each (docs/regles-cep.md §5, R1–R12).

Every refusal raises RuleViolation(rule, French message, field) before anything is written; the
transaction makes sure that nothing is half-written even when the database itself refuses.
"""

import datetime
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction

from cep.accounts.rights import Right
from cep.audit.services import audited
from cep.beneficiaries.eligibility import ineligibility_reasons
from cep.beneficiaries.models import Beneficiary
from cep.beneficiaries.services import create_justified_beneficiary, ensure_not_anonymised
from cep.common import dates
from cep.common.access import ensure_right
from cep.common.dates import fr
from cep.common.errors import RuleViolation, Violations
from cep.common.text import check_text, model_max_lengths
from cep.events.services import record_system_event
from cep.offers.models import Service
from cep.referentials.labels import label_for_network
from cep.referentials.models import ExitReason

from . import clock
from .models import Cep
from .workflow import (
    AUTO_CLOSE_EXIT_REASON,
    INACTIVITY_MONTHS,
    MODIFIABLE_FIELDS,
    NO_PHASES_MESSAGE,
    OPEN_STATUSES,
    R2_MESSAGE,
    Status,
    ensure_allowed,
    entry_phases,
    inactivity_cutoff,
)

_EXCLUDE = ("created_at", "updated_at")
R1_MESSAGE = "Le dossier doit être au statut « Justifié » avant l'ajout d'un CEP."


def _check_valid_on(value, day: datetime.date, field: str, rule: str) -> None:
    if value is not None and not value.is_valid_on(day):
        raise RuleViolation(rule, f"« {value.label} » n'est pas une valeur en vigueur le {fr(day)}.", field=field)


def _open_cep_details(beneficiary_id: int, structure_id: int, *, other_than: int | None = None) -> dict | None:
    """R2's details: the CEP in progress that refuses a second one (its id), when there is one."""
    existing = (
        Cep.objects.filter(beneficiary_id=beneficiary_id, structure_id=structure_id)
        .filter(status__in=OPEN_STATUSES)
        .exclude(pk=other_than)
        .values_list("pk", flat=True)
        .first()
    )
    return {"cep_id": existing} if existing else None


@contextmanager
def _changing(cep: Cep, *, actor, action: str, skip_unchanged: bool = False) -> Iterator[Cep]:
    """The CEP's row locked and read again, changed by the block, saved, and its before/after recorded."""
    with audited(
        cep,
        actor=actor,
        action=action,
        exclude=_EXCLUDE,
        skip_unchanged=skip_unchanged,
        select_related=("beneficiary", "structure", "exit_reason"),
        of=("self",),
    ) as locked:
        yield locked


def _save(cep: Cep) -> Cep:
    try:
        with transaction.atomic():  # savepoint: a unique violation must not poison the outer transaction
            cep.save()
    except IntegrityError as exc:
        if "one_open_cep_per_person_and_structure" in str(exc):
            raise RuleViolation(
                "R2", R2_MESSAGE, details=_open_cep_details(cep.beneficiary_id, cep.structure_id, other_than=cep.pk)
            ) from exc
        raise
    return cep


def _check_orientation_source(
    source, *, beneficiary_id: int, structure_id: int, entry_date: datetime.date, network: str | None
) -> None:
    """AIGUILLEUR: « Ma ML – suite niveau 1 » supposes a CEP level-1 service proposed on the dossier, in the
    structure, on or before the CEP's entry (on opening and on every change of aiguilleur)."""
    violation = orientation_source_violation(
        source,
        has_level1_service=lambda: Service.objects.filter(
            beneficiary_id=beneficiary_id, structure_id=structure_id, is_cep_level1=True, proposed_on__lte=entry_date
        ).exists(),
        network=network,
    )
    if violation is not None:
        raise violation


def orientation_source_violation(source, *, has_level1_service: Callable[[], bool], network: str | None):
    """AIGUILLEUR on values: `has_level1_service()` is asked only when the aiguilleur requires a level-1 service."""
    if source is not None and source.requires_level1_service and not has_level1_service():
        return RuleViolation(
            "AIGUILLEUR",
            f"L'aiguilleur « {label_for_network(source.label, network)} » suppose qu'un service CEP de niveau 1 a "
            "été proposé sur ce dossier avant l'entrée : proposez d'abord l'offre de niveau 1 ou choisissez un autre "
            "aiguilleur.",
            field="orientation_source",
        )
    return None


def entry_violations(
    found: Violations,
    *,
    beneficiary,
    structure,
    entry_date: datetime.date,
    entry_phase: int,
    initial_interview_date: datetime.date | None,
    orientation_source,
    request_reason,
    project_type,
    has_level1_service: Callable[[], bool],
    today: datetime.date,
) -> None:
    """The rules of a CEP's entry on values only (R3, R6, R4, REFERENTIEL, ELIGIBILITE, AIGUILLEUR), added to
    `found`: « Ajouter le dispositif CEP » (open_cep) and the import of CEPs (history_violations) check the same
    way. `beneficiary` needs birth_date, first_reception_date, employment_status and holds_or_seeks_job."""
    if entry_phase not in (2, 3):
        found.add("R3", "L'entrée se fait en phase 2 ou directement en phase 3.", field="entry_phase")
    elif entry_phase not in entry_phases(structure):
        found.add("R6", f"{NO_PHASES_MESSAGE} L'entrée se fait en phase 2.", field="entry_phase")
    if entry_date > today:
        found.add("R4", "La date d'entrée ne peut pas être dans le futur.", field="entry_date")
    elif entry_date < beneficiary.first_reception_date:
        found.add(
            "R4",
            f"Le CEP commence au plus tôt à la date de premier accueil ({fr(beneficiary.first_reception_date)}).",
            field="entry_date",
        )
    if initial_interview_date and initial_interview_date > entry_date:
        found.add(
            "R4",
            "La date d'entretien d'initialisation doit précéder ou égaler la date d'entrée.",
            field="initial_interview_date",
        )
    for value, field in (
        (orientation_source, "orientation_source"),
        (request_reason, "request_reason"),
        (project_type, "project_type"),
    ):
        with found.check():
            _check_valid_on(value, entry_date, field, "REFERENTIEL")
    reasons = ineligibility_reasons(beneficiary, structure.network, entry_date)
    if reasons:
        found.add("ELIGIBILITE", " ".join(r.message for r in reasons), field=reasons[0].field)
    if not found.on("orientation_source"):
        violation = orientation_source_violation(
            orientation_source, has_level1_service=has_level1_service, network=structure.network_id
        )
        if violation is not None:
            found.found.append(violation)


class Period(NamedTuple):
    """Another CEP of the person in the structure, as R2 (successive CEPs) reads it: its entry date, its end date
    (None while in progress) and the refusal's details that point at it (e.g. {"cep_id": 12}, {"line": 4})."""

    entry_date: datetime.date
    end_date: datetime.date | None
    details: dict | None = None


def succession_violation(
    *, entry_date: datetime.date, end_date: datetime.date | None, others: Iterable[Period]
) -> RuleViolation | None:
    """R2, successive CEPs: the period [entry date, end date or open-ended] of a CEP must not overlap that of another
    (not deleted) CEP of the same person in the same structure. A CEP may start the day the previous one ended (the
    periods are read [entry, end): a CEP entered and closed the same day takes no day from the next one).
    `others` are the person's other CEPs in the structure; the refusal names the date that would fit."""
    end = end_date or datetime.date.max
    overlapping = [o for o in others if entry_date < (o.end_date or datetime.date.max) and o.entry_date < end]
    before = [o for o in overlapping if o.entry_date <= entry_date or end_date is None]
    in_progress = [o for o in before if o.end_date is None]
    if in_progress:
        other = in_progress[0]
        if end_date is None:
            return RuleViolation("R2", R2_MESSAGE, field="entry_date", details=other.details)
        return RuleViolation(
            "R2",
            f"Un CEP de cette personne est en cours dans la structure depuis le {fr(other.entry_date)} : ce CEP "
            "doit se terminer au plus tard ce jour-là.",
            field="end_date",
            details=other.details,
        )
    if before:
        other = max(before, key=lambda o: o.end_date)
        return RuleViolation(
            "R2",
            f"Le CEP précédent de cette personne dans la structure s'est terminé le {fr(other.end_date)} : le "
            "nouveau commence au plus tôt ce jour-là.",
            field="entry_date",
            details=other.details,
        )
    if overlapping:
        other = min(overlapping, key=lambda o: o.entry_date)
        return RuleViolation(
            "R2",
            f"Le CEP suivant de cette personne dans la structure commence le {fr(other.entry_date)} : celui-ci se "
            "termine au plus tard ce jour-là.",
            field="end_date",
            details=other.details,
        )
    return None


def _other_periods(beneficiary_id: int, structure_id: int, *, other_than: int | None = None) -> list[Period]:
    """The periods of the person's other CEPs in the structure, deleted ones left out (R2, successive CEPs)."""
    rows = (
        Cep.objects.filter(beneficiary_id=beneficiary_id, structure_id=structure_id)
        .exclude(status=Status.DELETED)
        .exclude(pk=other_than)
        .order_by("entry_date", "pk")
        .values_list("entry_date", "end_date", "status", "pk")
    )
    return [Period(entry, end if status == Status.CLOSED else None, {"cep_id": pk}) for entry, end, status, pk in rows]


def phase3_violation(phase2_entry_date: datetime.date, on: datetime.date) -> RuleViolation | None:
    """R5: phase 3 begins at least the day after the phase-2 entry (it may be in the future)."""
    if on <= phase2_entry_date:
        return RuleViolation(
            "R5",
            f"La date d'entrée en phase 3 doit être au plus tôt le lendemain de l'entrée en phase 2 "
            f"({fr(phase2_entry_date + datetime.timedelta(days=1))}).",
            field="on",
        )
    return None


def closing_violations(
    found: Violations,
    *,
    end_date: datetime.date | None,
    exit_reason,
    project_type,
    current_phase: int,
    current_phase_entry_date: datetime.date,
    today: datetime.date,
) -> None:
    """R8 on values (« Clôturer le dispositif », and the import of a closed CEP): the end date and the exit reason
    are required, the end date is neither in the future nor before the current phase's entry, « Plan d'action
    réalisé » requires the type de projet, the exit reason is in force on the end date."""
    if exit_reason is None:
        found.add("R8", "Le motif de sortie est obligatoire.", field="exit_reason")
    if end_date is None:
        found.add("R8", "La date de fin réelle est obligatoire.", field="end_date")
    elif end_date > today:
        found.add("R8", "La date de fin réelle ne peut pas être saisie par anticipation.", field="end_date")
    elif end_date < current_phase_entry_date:
        found.add(
            "R8",
            f"La date de fin réelle doit être supérieure ou égale à la date d'entrée dans la phase "
            f"{current_phase} ({fr(current_phase_entry_date)}).",
            field="end_date",
        )
    if exit_reason is not None:
        if end_date is not None:
            with found.check():
                _check_valid_on(exit_reason, end_date, "exit_reason", "REFERENTIEL")
        if exit_reason.requires_project_type and project_type is None:
            found.add(
                "R8",
                f"Le type de projet est obligatoire pour le motif « {exit_reason.label} ».",
                field="project_type",
            )


def history_violations(
    *,
    beneficiary,
    structure,
    entry_date: datetime.date,
    entry_phase: int,
    initial_interview_date: datetime.date | None,
    orientation_source,
    request_reason,
    project_type,
    phase3_entry_date: datetime.date | None,
    end_date: datetime.date | None,
    exit_reason,
    has_level1_service: Callable[[], bool],
    today: datetime.date,
) -> list[RuleViolation]:
    """A CEP as it stands (entered, maybe moved to phase 3, maybe closed) against the rules of the actions that lead
    there: the entry (entry_violations: R3, R4, R6…), « Passer en phase 3 » (R5, R6) and « Clôturer » (R8). The
    import of CEPs (cep/imports/ceps.py) checks each line with it; R1, R2 and R7 are checked there on the dossier
    and the structure's CEPs, set-based. Every refusal found, in that order (empty when the CEP is valid)."""
    found = Violations()
    entry_violations(
        found,
        beneficiary=beneficiary,
        structure=structure,
        entry_date=entry_date,
        entry_phase=entry_phase,
        initial_interview_date=initial_interview_date,
        orientation_source=orientation_source,
        request_reason=request_reason,
        project_type=project_type,
        has_level1_service=has_level1_service,
        today=today,
    )
    phase, phase_entry = entry_phase, entry_date
    if phase3_entry_date is not None:
        if entry_phase == 3:
            found.add(
                "R5",
                "Ce CEP est entré directement en phase 3 : il n'a pas de passage en phase 3 (laissez la date vide).",
                field="phase3_entry_date",
            )
        elif not structure.distinguishes_phases:
            found.add("R6", NO_PHASES_MESSAGE, field="phase3_entry_date")
        elif violation := phase3_violation(entry_date, phase3_entry_date):
            violation.field = "phase3_entry_date"
            found.found.append(violation)
        else:
            phase, phase_entry = 3, phase3_entry_date
    if end_date is not None or exit_reason is not None:
        closing_violations(
            found,
            end_date=end_date,
            exit_reason=exit_reason,
            project_type=project_type,
            current_phase=phase,
            current_phase_entry_date=phase_entry,
            today=today,
        )
    return found.found


@transaction.atomic
def open_cep(
    *,
    beneficiary,
    actor,
    orientation_source,
    entry_date: datetime.date,
    entry_phase: int,
    request_reason,
    initial_interview_date: datetime.date | None = None,
    prescriber_name: str = "",
    referent_name: str = "",
    project_type=None,
) -> Cep:
    """« Ajouter le dispositif CEP » in phase 2 or directly in phase 3 (R3)."""
    ensure_right(actor, Right.PROPOSE_CEP, beneficiary.structure_id)
    # Lock the dossier row: serialises concurrent openings for the same person (R2 is also an index).
    beneficiary = (
        Beneficiary.objects.select_for_update(of=("self",))
        .select_related("structure__network", "employment_status")
        .get(pk=beneficiary.pk)
    )
    ensure_not_anonymised(beneficiary)
    if not beneficiary.is_justified:
        raise RuleViolation("R1", R1_MESSAGE, field="status")
    if Cep.objects.filter(
        beneficiary=beneficiary, structure_id=beneficiary.structure_id, status__in=OPEN_STATUSES
    ).exists():
        raise RuleViolation("R2", R2_MESSAGE, details=_open_cep_details(beneficiary.pk, beneficiary.structure_id))
    # Every refusal on what was typed, at once (one submission shows them all).
    found = Violations()
    with found.check():
        check_text("SAISIE", model_max_lengths(Cep), prescriber_name=prescriber_name, referent_name=referent_name)
    entry_violations(
        found,
        beneficiary=beneficiary,
        structure=beneficiary.structure,
        entry_date=entry_date,
        entry_phase=entry_phase,
        initial_interview_date=initial_interview_date,
        orientation_source=orientation_source,
        request_reason=request_reason,
        project_type=project_type,
        has_level1_service=lambda: Service.objects.filter(
            beneficiary_id=beneficiary.pk,
            structure_id=beneficiary.structure_id,
            is_cep_level1=True,
            proposed_on__lte=entry_date,
        ).exists(),
        today=dates.today(),
    )
    # R2, successive CEPs: the new CEP starts at the earliest the day the person's previous one ended.
    if violation := succession_violation(
        entry_date=entry_date, end_date=None, others=_other_periods(beneficiary.pk, beneficiary.structure_id)
    ):
        found.found.append(violation)
    found.raise_if_any()
    cep = Cep(
        beneficiary=beneficiary,
        structure=beneficiary.structure,
        orientation_source=orientation_source,
        initial_interview_date=initial_interview_date,
        entry_date=entry_date,
        entry_phase=entry_phase,
        request_reason=request_reason,
        prescriber_name=prescriber_name,
        referent_name=referent_name,
        project_type=project_type,
        created_by=actor,
        identity_pseudonym=beneficiary.identity_pseudonym,
        status=Status.PHASE2 if entry_phase == 2 else Status.PHASE3,
        phase2_entry_date=entry_date if entry_phase == 2 else None,
        phase3_entry_date=entry_date if entry_phase == 3 else None,
        last_manifestation_date=clock.clock_day(
            beneficiary_id=beneficiary.pk, structure_id=beneficiary.structure_id, entry_date=entry_date
        ),
    )
    with _changing(cep, actor=actor, action="open") as cep:
        return _save(cep)


@transaction.atomic
def create_beneficiary_with_cep(*, structure, actor, dossier: dict, cep: dict) -> Cep:
    """« Créer, justifier et ajouter le dispositif CEP »: a new person's dossier, « Justifié », and their CEP, in one
    transaction. The dossier's refusals come first (the CEP needs the dossier); any refusal leaves nothing written.
    `cep` holds open_cep's arguments (orientation_source, entry_date, entry_phase, request_reason…)."""
    ensure_right(actor, Right.PROPOSE_CEP, structure.pk)
    beneficiary = create_justified_beneficiary(structure=structure, actor=actor, **dossier)
    return open_cep(beneficiary=beneficiary, actor=actor, **cep)


@transaction.atomic
def move_to_phase3(*, cep: Cep, on: datetime.date, actor) -> Cep:
    """R5: at least the day after the phase-2 entry (may be in the future); phase 2 ends the day before."""
    ensure_right(actor, Right.PROPOSE_CEP, cep.structure_id)
    with _changing(cep, actor=actor, action="move_to_phase3") as cep:
        ensure_allowed(cep, "move_to_phase3")
        if violation := phase3_violation(cep.phase2_entry_date, on):
            raise violation
        cep.status, cep.phase3_entry_date = Status.PHASE3, on
        cep.phase2_end_date = on - datetime.timedelta(days=1)
        return _save(cep)


@transaction.atomic
def cancel_phase3(*, cep: Cep, actor) -> Cep:
    """R6: « Annuler le passage en phase 3 » restores phase 2 as if the move had not happened."""
    ensure_right(actor, Right.PROPOSE_CEP, cep.structure_id)
    with _changing(cep, actor=actor, action="cancel_phase3") as cep:
        ensure_allowed(cep, "cancel_phase3")
        cep.status, cep.phase3_entry_date, cep.phase2_end_date = Status.PHASE2, None, None
        return _save(cep)


@transaction.atomic
def modify_cep(*, cep: Cep, actor, **changes) -> Cep:
    """R7: before closure, only the aiguilleur, motif, prescripteur, référent and type de projet change."""
    ensure_right(actor, Right.PROPOSE_CEP, cep.structure_id)
    forbidden = set(changes) - set(MODIFIABLE_FIELDS)
    if forbidden:
        fixed = {"entry_date": "la date d'entrée", "initial_interview_date": "la date d'entretien d'initialisation"}
        names = ", ".join(fixed.get(f, f) for f in sorted(forbidden))
        raise RuleViolation("R7", f"Ces informations ne sont pas modifiables : {names}.", field=sorted(forbidden)[0])
    check_text("SAISIE", model_max_lengths(Cep), **changes)
    with _changing(cep, actor=actor, action="modify", skip_unchanged=True) as cep:
        ensure_allowed(cep, "modify")
        found = Violations()  # every refusal on what was typed, at once
        if changes.get("orientation_source") is None and "orientation_source" in changes:
            found.add("R7", "L'aiguilleur est obligatoire.", field="orientation_source")
        if changes.get("request_reason") is None and "request_reason" in changes:
            found.add("R7", "Le motif de sollicitation est obligatoire.", field="request_reason")
        for field in ("orientation_source", "request_reason", "project_type"):
            if field in changes and not found.on(field):
                with found.check():
                    _check_valid_on(changes[field], cep.entry_date, field, "REFERENTIEL")
        source = changes.get("orientation_source")
        if source is not None and source.pk != cep.orientation_source_id and not found.on("orientation_source"):
            with found.check():
                _check_orientation_source(
                    source,
                    beneficiary_id=cep.beneficiary_id,
                    structure_id=cep.structure_id,
                    entry_date=cep.entry_date,
                    network=cep.structure.network_id,
                )
        found.raise_if_any()
        if any(getattr(cep, name) != value for name, value in changes.items()):
            for name, value in changes.items():
                setattr(cep, name, value)
            _save(cep)
        return cep


@transaction.atomic
def close_cep(*, cep: Cep, actor, end_date: datetime.date, exit_reason: ExitReason, project_type=None) -> Cep:
    """R8: « Clôturer le dispositif » with a date de fin réelle and a motif de sortie."""
    ensure_right(actor, Right.PROPOSE_CEP, cep.structure_id)
    with _changing(cep, actor=actor, action="close") as cep:
        ensure_allowed(cep, "close")
        found = Violations()  # every refusal on what was typed, at once
        project_type = project_type or cep.project_type
        closing_violations(
            found,
            end_date=end_date,
            exit_reason=exit_reason,
            project_type=project_type,
            current_phase=cep.current_phase,
            current_phase_entry_date=cep.current_phase_entry_date,
            today=dates.today(),
        )
        found.raise_if_any()
        cep.ended_in_phase = cep.current_phase
        cep.status, cep.end_date, cep.exit_reason = Status.CLOSED, end_date, exit_reason
        cep.project_type, cep.auto_closed = project_type, False
        return _save(cep)


@transaction.atomic
def reopen_cep(*, cep: Cep, actor) -> Cep:
    """R10: within 3 months of the end date, back to the phase it ended in; never after a death."""
    ensure_right(actor, Right.PROPOSE_CEP, cep.structure_id)
    # Lock the dossier row, as open_cep does: a CEP opened meanwhile for the person would follow this one (R2).
    Beneficiary.objects.select_for_update(of=("self",)).filter(pk=cep.beneficiary_id).first()
    with _changing(cep, actor=actor, action="reopen") as cep:
        # R10 (death, three months) and R2 (another CEP in progress, or a later CEP the reopened one would overlap)
        ensure_allowed(cep, "reopen")
        cep.status = Status.PHASE3 if cep.ended_in_phase == 3 else Status.PHASE2
        cep.end_date = cep.exit_reason = cep.ended_in_phase = None
        cep.auto_closed = False
        # The person shows up again: the inactivity clock restarts today (R9, cep/enrolments/clock.py).
        cep.reopened_on = cep.last_manifestation_date = dates.today()
        return _save(cep)


@transaction.atomic
def delete_cep(*, cep: Cep, actor) -> Cep:
    """R11: « Supprimer » (phase 2 or 3), recorded as an event « Suppression de dispositif » and in the audit."""
    ensure_right(actor, Right.PROPOSE_CEP, cep.structure_id)
    with _changing(cep, actor=actor, action="delete") as cep:
        ensure_allowed(cep, "delete")
        phase = cep.current_phase
        cep.status = Status.DELETED
        _save(cep)
    record_system_event(
        beneficiary=cep.beneficiary,
        actor=actor,
        on=dates.today(),
        context_code="suppression_dispositif",
        nature_code="suppression_dispositif",
        comment=f"Suppression du dispositif CEP entré le {fr(cep.entry_date)} (phase {phase}).",
    )
    return cep


def auto_close(*, on: datetime.date | None = None) -> int:
    """R9: close every CEP without manifestation for 6 months with « Interruption constatée».

    End date = last manifestation (or entry) + 6 months, never before the current phase's entry and never
    in the future. Idempotent: a second run the same day closes nothing. Returns the number closed.

    One set-based statement: update and audit rows written together (≤ 30 s on 1,000,000 dossiers).
    """
    on = on or dates.today()
    params = {
        "cutoff": inactivity_cutoff(on),
        "on": on,
        "months": INACTIVITY_MONTHS,
        "phase2": Status.PHASE2.value,
        "phase3": Status.PHASE3.value,
        "closed": Status.CLOSED.value,
        "reason": AUTO_CLOSE_EXIT_REASON,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        # Keep the "before" image of the rows about to change, for the audit trail.
        cursor.execute("DROP TABLE IF EXISTS enrolments_cep_snapshot")
        cursor.execute(_SNAPSHOT_SQL, params)
        # A temp table has no statistics until analysed: without them the planner guessed 7,440 rows for 63,455
        # (1M people) and the sorts of the audit join spilled to disk.
        cursor.execute("ANALYZE enrolments_cep_snapshot")
        cursor.execute(_AUTO_CLOSE_SQL, params)
        closed = cursor.rowcount
        cursor.execute("DROP TABLE enrolments_cep_snapshot")
        return closed


# Statuses, the exit reason and the delay are bound parameters, taken from workflow (never retyped here).
_SNAPSHOT_SQL = """
CREATE TEMP TABLE enrolments_cep_snapshot AS
SELECT * FROM enrolments_cep
WHERE status IN (%(phase2)s, %(phase3)s) AND last_manifestation_date <= %(cutoff)s
"""

_AUTO_CLOSE_SQL = """
WITH candidates AS (
    SELECT id,
           GREATEST((COALESCE(last_manifestation_date, entry_date) + make_interval(months => %(months)s))::date,
                    CASE WHEN status = %(phase3)s THEN phase3_entry_date ELSE phase2_entry_date END) AS end_at
    FROM enrolments_cep
    WHERE status IN (%(phase2)s, %(phase3)s) AND last_manifestation_date <= %(cutoff)s
    FOR UPDATE
), closed AS (
    UPDATE enrolments_cep c
    SET status = %(closed)s, end_date = k.end_at, exit_reason_id = %(reason)s, auto_closed = TRUE,
        ended_in_phase = CASE WHEN c.status = %(phase3)s THEN 3 ELSE 2 END, updated_at = NOW()
    FROM candidates k
    WHERE c.id = k.id AND k.end_at <= %(on)s
    RETURNING c.*, k.id AS kid
)
INSERT INTO audit_auditentry (at, actor_id, actor_label, action, object_type, object_id, structure_id,
                              beneficiary_id, before, after)
SELECT NOW(), NULL, 'Système', 'auto_close', 'cep', closed.id, closed.structure_id, closed.beneficiary_id,
       (to_jsonb(old) - 'created_at' - 'updated_at'),
       (to_jsonb(closed) - 'created_at' - 'updated_at' - 'kid')
FROM closed JOIN enrolments_cep_snapshot old ON old.id = closed.id
"""

"""The CEP lifecycle as plain data (docs/regles-cep.md §5). Services, pages, the API and the docs all read it.

Each transition names the statuses it starts from, the status it leads to, the rule refused when the status does
not allow it, and its guards: conditions on the CEP's state and today's date under which the action is possible
now. `allowed_actions(cep)` (pages, API) and `ensure_allowed(cep, action)` (services) evaluate the same table, so an
action offered is an action the service accepts given valid input. Checks on what the user types (dates, exit
reason) stay in the services: guards only read the CEP's state.
"""

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from django.db import models
from django.db.models import Q

from cep.common import dates
from cep.common.errors import RuleViolation


class Status(models.TextChoices):
    PHASE2 = "phase2", "Conseil personnalisé (phase 2)"
    PHASE3 = "phase3", "Accompagnement personnalisé vers la mise en œuvre du projet (phase 3)"
    CLOSED = "closed", "Clôturé"
    DELETED = "deleted", "Supprimé"


OPEN_STATUSES = (Status.PHASE2, Status.PHASE3)

PHASE_LABELS = {
    2: "Conseil personnalisé",
    3: "Accompagnement personnalisé vers la mise en œuvre du projet",
}

# Fields a counselor may change before closure (R7); the two dates are never modifiable.
MODIFIABLE_FIELDS = ("orientation_source", "request_reason", "prescriber_name", "referent_name", "project_type")

INACTIVITY_MONTHS = 6  # R9
AUTO_CLOSE_EXIT_REASON = "interruption_constatee"  # R9: the exit reason of the automatic exit
REOPEN_MONTHS = 3  # R10

NO_PHASES_MESSAGE = "Votre structure ne distingue pas les phases 2 et 3 du CEP."
R2_MESSAGE = "Un CEP est déjà en cours pour cette personne dans la structure : clôturez-le avant d'en ouvrir un autre."


UNKNOWN = object()  # a fact not given: Context looks it up


class Context:
    """What guards read besides the CEP row: today's date, and facts that need a query (looked up once, if needed).

    `other_cep_in_progress` and `later_cep_entry` (R2) come from the argument, else from the annotation that
    `queries.with_action_facts` puts on listed CEPs, else from one query each.
    """

    def __init__(
        self,
        cep,
        *,
        today: datetime.date | None = None,
        other_cep_in_progress: bool | None = None,
        later_cep_entry: datetime.date | None | object = UNKNOWN,
    ):
        self.cep = cep
        self.today = today or dates.today()
        if other_cep_in_progress is None:
            other_cep_in_progress = getattr(cep, "other_cep_in_progress", None)
        if other_cep_in_progress is not None:
            self.__dict__["other_cep_in_progress"] = other_cep_in_progress
        if later_cep_entry is UNKNOWN:  # annotated by queries.with_action_facts (None: no later CEP)
            later_cep_entry = getattr(cep, "later_cep_entry", UNKNOWN)
        if later_cep_entry is not UNKNOWN:
            self.__dict__["later_cep_entry"] = later_cep_entry

    @cached_property
    def later_cep_entry(self) -> datetime.date | None:
        """R2, successive CEPs: the entry date of another (not deleted) CEP of the person in the structure that ended
        after this one's entry, i.e. that reopening this one would overlap; None when there is none."""
        from .models import Cep

        return (
            Cep.objects.filter(
                beneficiary_id=self.cep.beneficiary_id,
                structure_id=self.cep.structure_id,
                status=Status.CLOSED,
                end_date__gt=self.cep.entry_date,
            )
            .exclude(pk=self.cep.pk)
            .order_by("entry_date")
            .values_list("entry_date", flat=True)
            .first()
        )

    @cached_property
    def other_cep_in_progress(self) -> bool:
        from .models import Cep

        return (
            Cep.objects.filter(
                beneficiary_id=self.cep.beneficiary_id, structure_id=self.cep.structure_id, status__in=OPEN_STATUSES
            )
            .exclude(pk=self.cep.pk)
            .exists()
        )


Check = Callable[..., bool]  # check(cep, context) -> True when the action is possible now
Message = str | Callable[..., str]  # the French refusal, or message(cep, context) -> it


@dataclass(frozen=True)
class Guard:
    rule: str
    check: Check
    message: Message
    details: Callable[..., dict | None] | None = None  # details(cep, context) -> the refusal's details

    def refusal(self, cep, context: Context) -> RuleViolation | None:
        if self.check(cep, context):
            return None
        message = self.message(cep, context) if callable(self.message) else self.message
        return RuleViolation(self.rule, message, details=self.details(cep, context) if self.details else None)


def _other_cep_details(cep, context: Context) -> dict | None:
    """R2's details: the id of the CEP in progress that forbids a second one."""
    from .models import Cep

    other = (
        Cep.objects.filter(beneficiary_id=cep.beneficiary_id, structure_id=cep.structure_id, status__in=OPEN_STATUSES)
        .exclude(pk=cep.pk)
        .values_list("pk", flat=True)
        .first()
    )
    return {"cep_id": other} if other else None


@dataclass(frozen=True)
class Transition:
    action: str
    label: str  # French label of the action
    sources: frozenset[str]  # statuses the action starts from
    target: str | None  # None: decided by the service (reopen goes back to the phase the CEP ended in)
    rule: str  # the rule refused when the status does not allow the action
    guards: tuple[Guard, ...] = ()  # evaluated in order once the status allows the action
    hints: Mapping[str, str] = field(default_factory=dict)  # status -> what to do instead, added to the refusal
    by_system: bool = False  # never offered to a user

    def allows(self, cep, context: Context) -> bool:
        """Whether the action is possible, without writing its refusal (a list asks this of every CEP shown)."""
        return cep.status in self.sources and all(guard.check(cep, context) for guard in self.guards)

    def refusal(self, cep, context: Context) -> RuleViolation | None:
        if cep.status not in self.sources:
            message = f"Action « {self.label} » impossible : le CEP est {cep.get_status_display().lower()}."
            if hint := self.hints.get(cep.status):
                message = f"{message} {hint}"
            return RuleViolation(self.rule, message)
        for guard in self.guards:
            if violation := guard.refusal(cep, context):
                return violation
        return None


def _phase_not_in_future(cep, context: Context) -> bool:
    return cep.current_phase_entry_date <= context.today


def _phase_in_future_message(cep, context: Context) -> str:
    day = dates.fr(cep.current_phase_entry_date)
    cancellable = cep.current_phase == 3 and cep.phase2_entry_date is not None
    way_out = f"annulez le passage en phase 3 ou attendez le {day}" if cancellable else f"attendez le {day}"
    return (
        f"Le CEP ne peut pas être clôturé avant son entrée en phase {cep.current_phase}, le {day} (la date de fin "
        f"réelle ne peut ni précéder cette date ni être dans le futur) : {way_out}."
    )


def reopen_limit(cep) -> datetime.date:
    """R10: the last day a closed CEP may be reopened."""
    return dates.add_months(cep.end_date, REOPEN_MONTHS)


_OPEN = frozenset(OPEN_STATUSES)
_TRANSITIONS = (
    Transition("open", "Ajouter le dispositif CEP", frozenset(), None, "R3"),  # see entry_phases()
    Transition(
        "move_to_phase3",
        "Passer en phase 3",
        frozenset({Status.PHASE2}),
        Status.PHASE3,
        "R5",
        guards=(Guard("R6", lambda cep, _: cep.structure.distinguishes_phases, NO_PHASES_MESSAGE),),
    ),
    Transition(
        "cancel_phase3",
        "Annuler le passage en phase 3",
        frozenset({Status.PHASE3}),
        Status.PHASE2,
        "R6",
        guards=(
            Guard(
                "R6",
                lambda cep, _: cep.phase2_entry_date is not None,
                "Ce CEP est entré directement en phase 3 : il n'y a pas de passage en phase 3 à annuler.",
            ),
        ),
    ),
    Transition("modify", "Modifier", _OPEN, None, "R7", hints={Status.CLOSED: "Rouvrez-le d'abord pour le modifier."}),
    Transition(
        "close",
        "Clôturer le dispositif",
        _OPEN,
        Status.CLOSED,
        "R8",
        guards=(Guard("R8", _phase_not_in_future, _phase_in_future_message),),
    ),
    Transition("auto_close", "Sortie automatique", _OPEN, Status.CLOSED, "R9", by_system=True),
    Transition(
        "reopen",
        "Rouvrir",
        frozenset({Status.CLOSED}),
        None,
        "R10",
        guards=(
            Guard(
                "R10",
                lambda cep, _: not cep.exit_reason.blocks_reopening,
                lambda cep, _: f"Un CEP clôturé pour « {cep.exit_reason.label} » ne peut pas être rouvert.",
            ),
            Guard(
                "R10",
                lambda cep, context: context.today <= reopen_limit(cep),
                lambda cep, _: (
                    "Un CEP ne peut être rouvert que dans les trois mois de sa clôture "
                    f"(jusqu'au {dates.fr(reopen_limit(cep))}) : si la personne reprend un accompagnement, ajoutez "
                    "un nouveau dispositif CEP."
                ),
            ),
            Guard("R2", lambda _, context: not context.other_cep_in_progress, R2_MESSAGE, _other_cep_details),
            Guard(
                "R2",
                lambda _, context: context.later_cep_entry is None,
                lambda _, context: (
                    f"Un CEP plus récent de cette personne dans la structure, entré le "
                    f"{dates.fr(context.later_cep_entry)}, a suivi celui-ci : rouvert, ce CEP le chevaucherait. "
                    "Les CEP d'une personne se succèdent sans se chevaucher."
                ),
            ),
        ),
    ),
    Transition("delete", "Supprimer", _OPEN, Status.DELETED, "R11"),
)
TRANSITIONS: dict[str, Transition] = {t.action: t for t in _TRANSITIONS}


def refusal(cep, action: str, context: Context | None = None) -> RuleViolation | None:
    """Why `action` is impossible on `cep` now (status, then guards in order), or None when it is possible."""
    return TRANSITIONS[action].refusal(cep, context or Context(cep))


def blocked_actions(cep, actions=("close", "reopen"), *, today: datetime.date | None = None) -> dict[str, str]:
    """Action → why it is refused now and what to do instead, for the actions whose status allows them but whose
    guards refuse (pages show it next to where the button would be: « Rouvrir », « Clôturer le dispositif »)."""
    context = Context(cep, today=today)
    blocked = {}
    for action in actions:
        transition = TRANSITIONS[action]
        if cep.status in transition.sources and (violation := transition.refusal(cep, context)):
            blocked[action] = violation.message
    return blocked


def ensure_allowed(cep, action: str, context: Context | None = None) -> None:
    """Raise the RuleViolation of `refusal()`; services call it on the CEP they have just locked."""
    if violation := refusal(cep, action, context):
        raise violation


def allowed_actions(
    cep,
    *,
    today: datetime.date | None = None,
    other_cep_in_progress: bool | None = None,
    later_cep_entry: datetime.date | None | object = UNKNOWN,
) -> list[str]:
    """The actions a user is offered on `cep` now, in the table's order: exactly those the services accept."""
    context = Context(cep, today=today, other_cep_in_progress=other_cep_in_progress, later_cep_entry=later_cep_entry)
    return [t.action for t in _TRANSITIONS if t.sources and not t.by_system and t.allows(cep, context)]


def in_phase_on(phase: int, day: datetime.date) -> Q:
    """CEPs in progress that are in `phase` on `day` (R5, guide [003]: « phase 2 runs until the eve of phase 3 »):
    a CEP moved to phase 3 on a later date is still in phase 2 until then. The SQL twin of Cep.phase_on()."""
    planned = Q(status=Status.PHASE3, phase3_entry_date__gt=day)
    if phase == 2:
        return Q(status=Status.PHASE2) | planned
    return Q(status=Status.PHASE3) & ~planned


def phase_text(phase: int | None, planned_phase3: datetime.date | None = None) -> str:
    """« Phase 2 – Conseil personnalisé (phase 3 prévue le jj/mm/aaaa) »: how every page names a CEP's phase."""
    if not phase:
        return ""
    text = f"Phase {phase} – {PHASE_LABELS[phase]}"
    if planned_phase3 is not None:
        text = f"{text} (phase 3 prévue le {dates.fr(planned_phase3)})"
    return text


def entry_phases(structure) -> tuple[int, ...]:
    """R3/R6: a CEP starts in phase 2, or directly in phase 3 when the structure distinguishes the phases."""
    return (2, 3) if structure.distinguishes_phases else (2,)


def inactivity_cutoff(on: datetime.date) -> datetime.date:
    """The latest last manifestation whose 6 months have run out on `on` (R9).

    Months are added with the end-of-month clamp, as PostgreSQL does: 31 August + 6 months = 28 February, so on
    the last day of a month every manifestation of the whole month six months before has run out.
    """
    back = dates.add_months(on, -INACTIVITY_MONTHS)
    if (on + datetime.timedelta(days=1)).month != on.month:  # `on` is the last day of its month
        back = dates.add_months(back.replace(day=1), 1) - datetime.timedelta(days=1)
    return back

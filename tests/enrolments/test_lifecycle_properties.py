"""Property-based test of the CEP lifecycle: random sequences of actions and dates (hypothesis).

After every step, "offered ⇔ accepted" for every CEP whose row or surroundings (today, the structure's setting, the
CEPs in progress) changed: every action in workflow.allowed_actions succeeds when called with valid input, and every
other action is refused with the RuleViolation the table predicts and leaves the database unchanged (each call runs
in a savepoint that is rolled back). Opening a new CEP in phase 2 or 3 is checked the same way. The walks start from
histories that meet every guard and go on at random: structures with and without distinct phases (the setting may
change midway), exits that block reopening (« Décès »), phase 3 dated in the future, and a clock that moves forward
(cep.common.dates.today is patched) so that closures grow older than the three months of R10. Every history is also
checked once outside the walk, so that the coverage asserted at the end never depends on hypothesis' draws.
"""

import collections
import datetime
from unittest import mock

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from cep.audit.models import AuditEntry
from cep.common import dates
from cep.common.errors import RuleViolation
from cep.enrolments import services as s
from cep.enrolments import workflow
from cep.enrolments.models import Cep
from cep.enrolments.queries import with_action_facts
from cep.enrolments.workflow import OPEN_STATUSES, Status
from cep.events.models import Event
from cep.organisations.models import Structure
from cep.referentials import models as ref
from tests.clock import today
from tests.factories import BeneficiaryFactory, StructureFactory, UserFactory

MAX_DRIFT = datetime.timedelta(days=2 * 365)  # the person stays within the Mission locale's age range
OUTCOMES: collections.Counter = collections.Counter()
OFFERS: collections.Counter = collections.Counter()
offsets = st.integers(min_value=-3, max_value=200)  # days before today (negative = future)
picks = st.sampled_from([0, 0, 0, 0, 1, 2])  # mostly the latest CEP
ONE_DAY = datetime.timedelta(days=1)
USER_ACTIONS = [t.action for t in workflow.TRANSITIONS.values() if t.sources and not t.by_system]


# Histories a walk may start from, so that every guard is met whatever path hypothesis takes from there.
HISTORIES = [
    (),
    (("open", 60, 2), ("phase3", -20)),  # phase 3 dated in the future (R8)
    (("open", 30, 3),),  # direct entry in phase 3 (R6: no passage to cancel)
    (("open", 100, 2), ("close", 10, "interruption_formalisee")),  # closed recently: reopening possible
    (("open", 100, 2), ("close", 10, "deces")),  # « Décès » blocks reopening (R10)
    (("open", 300, 2), ("phase3", 250), ("close", 150, "interruption_formalisee")),  # closed > 3 months ago (R10)
    (("open", 200, 2), ("close", 20, "prise_de_recul_realisee"), ("open", 10, 2)),  # another CEP in progress (R2)
]


class CepLifecycle(RuleBasedStateMachine):
    @initialize(distinguishes_phases=st.booleans(), history=st.sampled_from(HISTORIES))
    def setup(self, distinguishes_phases, history):
        self.start = self.today = today()
        self.clock = mock.patch.object(dates, "today", lambda: self.today)
        self.clock.start()
        self.structure = StructureFactory()
        self.actor = UserFactory(structure=self.structure)
        self.beneficiary = BeneficiaryFactory(structure=self.structure, first_reception_date=self.day(450))
        self.source = ref.OrientationSource.objects.get(code="ma_structure_entree_directe")
        self.reason = ref.RequestReason.objects.get(code="reconversion")
        self.project = ref.ProjectType.objects.get(code="reconversion")
        self.exit_reasons = list(ref.ExitReason.objects.all())
        self.valid_exit = ref.ExitReason.objects.get(code="interruption_formalisee")
        self.checked = set()  # (world, CEP, row) already checked by offered_iff_accepted
        for step, *args in history:
            cep = self._pick(0)
            if step == "open":
                s.open_cep(
                    beneficiary=self.beneficiary,
                    actor=self.actor,
                    orientation_source=self.source,
                    entry_date=self.day(args[0]),
                    entry_phase=args[1],
                    request_reason=self.reason,
                )
            elif step == "phase3":
                s.move_to_phase3(cep=cep, actor=self.actor, on=self.day(args[0]))
            else:
                reason = ref.ExitReason.objects.get(code=args[1])
                s.close_cep(cep=cep, actor=self.actor, end_date=self.day(args[0]), exit_reason=reason)
        # The setting is drawn after the history: a CEP may be in phase 3 in a structure that no longer
        # distinguishes the phases.
        self.structure.distinguishes_phases = distinguishes_phases
        self.structure.save(update_fields=["distinguishes_phases"])

    def teardown(self):
        if hasattr(self, "clock"):
            self.clock.stop()

    def day(self, offset: int) -> datetime.date:
        return self.today - datetime.timedelta(days=offset)

    def _audit_count(self):
        return AuditEntry.objects.filter(beneficiary_id=self.beneficiary.pk).count()

    def _apply(self, fn, **kwargs):
        before = self._audit_count()
        try:
            fn(actor=self.actor, **kwargs)
        except RuleViolation as err:
            assert err.rule and err.message
            assert self._audit_count() == before, "a refused action writes no history"
            OUTCOMES[(fn.__name__, "refused")] += 1
            return
        OUTCOMES[(fn.__name__, "accepted")] += 1
        # One audit row per accepted action (delete also records its system event, audited too).
        expected = 2 if fn is s.delete_cep else 1
        assert self._audit_count() - before in ((0, 1) if fn is s.modify_cep else (expected,))

    def _ceps(self):
        return list(Cep.objects.filter(beneficiary=self.beneficiary).order_by("-id"))

    def _pick(self, index):
        ceps = self._ceps()
        return ceps[index % len(ceps)] if ceps else None

    # --- Steps that change the state ------------------------------------------------------------------------

    @rule(
        offset=offsets, phase=st.sampled_from([2, 2, 3, 1]), interview=st.integers(-5, 1), with_project=st.booleans()
    )
    def open(self, offset, phase, interview, with_project):
        entry = self.day(offset)
        self._apply(
            s.open_cep,
            beneficiary=self.beneficiary,
            orientation_source=self.source,
            entry_date=entry,
            entry_phase=phase,
            request_reason=self.reason,
            initial_interview_date=entry + datetime.timedelta(days=interview),
            project_type=self.project if with_project else None,
        )

    @precondition(lambda self: self._latest_status() in (Status.CLOSED, Status.DELETED))
    @rule(offset=st.integers(0, 30))
    def open_again(self, offset):
        # A new CEP after the previous one ended: the earlier CEP may then no longer be reopened (R2).
        self._apply(
            s.open_cep,
            beneficiary=self.beneficiary,
            orientation_source=self.source,
            entry_date=self.day(offset),
            entry_phase=2,
            request_reason=self.reason,
        )

    def _latest_status(self):
        latest = Cep.objects.filter(beneficiary=self.beneficiary).order_by("-id").values_list("status", flat=True)
        return latest.first()

    @precondition(lambda self: self._latest_status() == Status.PHASE2)
    @rule(delta=st.integers(-2, 90))
    def move_latest_to_phase3(self, delta):
        self.move_to_phase3(0, delta)

    @precondition(lambda self: self._latest_status() == Status.PHASE2)
    @rule(days=st.integers(1, 60))
    def move_latest_to_phase3_in_the_future(self, days):
        self._apply(s.move_to_phase3, cep=self._pick(0), on=self.today + datetime.timedelta(days=days))

    @precondition(lambda self: self._latest_status() == Status.PHASE3)
    @rule()
    def cancel_latest_phase3(self):
        self.cancel_phase3(0)

    @precondition(lambda self: self._latest_status() in OPEN_STATUSES)
    @rule(back=st.integers(0, 120), reason=st.integers(0, 6))
    def close_latest(self, back, reason):
        cep = self._pick(0)
        # Mostly a valid end date: within the three months of R10 (reopening possible) or before them.
        end = max(cep.current_phase_entry_date, self.day(back))
        self._apply(
            s.close_cep, cep=cep, end_date=end, exit_reason=self.exit_reasons[reason], project_type=self.project
        )

    @precondition(lambda self: self._latest_status() == Status.CLOSED)
    @rule()
    def reopen_latest(self):
        self.reopen(0)

    @rule(index=picks, delta=st.integers(-2, 90))
    def move_to_phase3(self, index, delta):
        if cep := self._pick(index):
            start = cep.phase2_entry_date or cep.entry_date
            self._apply(s.move_to_phase3, cep=cep, on=start + datetime.timedelta(days=delta))

    @rule(index=picks)
    def cancel_phase3(self, index):
        # Aim mostly at a CEP in phase 3 so that the accepted path is exercised too.
        in_phase3 = [c for c in self._ceps() if c.status == Status.PHASE3]
        if cep := (in_phase3[0] if in_phase3 and index == 0 else self._pick(index)):
            self._apply(s.cancel_phase3, cep=cep)

    @rule(index=picks, name=st.text(max_size=20))
    def modify(self, index, name):
        if cep := self._pick(index):
            self._apply(s.modify_cep, cep=cep, prescriber_name=name)

    @rule(index=picks, delta=st.integers(-2, 120), reason=st.integers(0, 6), with_project=st.booleans())
    def close(self, index, delta, reason, with_project):
        if cep := self._pick(index):
            start = cep.current_phase_entry_date or cep.entry_date
            end = start + datetime.timedelta(days=delta)
            self._apply(
                s.close_cep,
                cep=cep,
                end_date=end,
                exit_reason=self.exit_reasons[reason],
                project_type=self.project if with_project else None,
            )

    @rule(index=picks)
    def reopen(self, index):
        closed = [c for c in self._ceps() if c.status == Status.CLOSED]
        if cep := (closed[0] if closed and index == 0 else self._pick(index)):
            self._apply(s.reopen_cep, cep=cep)

    @rule(index=picks)
    def delete(self, index):
        if cep := self._pick(index):
            self._apply(s.delete_cep, cep=cep)

    @rule()
    def auto_close(self):
        s.auto_close()

    @precondition(lambda self: self.today < self.start + MAX_DRIFT)
    @rule(days=st.sampled_from([1, 15, 45, 93, 200]))
    def let_time_pass(self, days):
        self.today += datetime.timedelta(days=days)

    @rule()
    def toggle_phases_setting(self):
        # The manager may change the setting at any time (Gestion › Structure).
        self.structure.distinguishes_phases = not self.structure.distinguishes_phases
        Structure.objects.filter(pk=self.structure.pk).update(distinguishes_phases=self.structure.distinguishes_phases)

    # --- Invariants ---------------------------------------------------------------------------------------------

    @invariant()
    def at_most_one_cep_in_progress(self):
        if hasattr(self, "beneficiary"):
            assert Cep.objects.filter(beneficiary=self.beneficiary, status__in=OPEN_STATUSES).count() <= 1

    @invariant()
    def dates_are_ordered(self):
        if not hasattr(self, "beneficiary"):
            return
        for cep in self._ceps():
            assert cep.entry_date >= self.beneficiary.first_reception_date
            assert cep.entry_date <= self.today
            if cep.initial_interview_date:
                assert cep.initial_interview_date <= cep.entry_date
            if cep.phase2_entry_date and cep.phase3_entry_date:
                assert cep.phase3_entry_date > cep.phase2_entry_date
                assert cep.phase2_end_date == cep.phase3_entry_date - datetime.timedelta(days=1)
            if cep.status == Status.PHASE2:
                assert cep.phase3_entry_date is None and cep.phase2_end_date is None
            if cep.status == Status.CLOSED:
                assert cep.exit_reason_id and cep.end_date
                assert cep.current_phase_entry_date <= cep.end_date <= self.today
                if cep.exit_reason.requires_project_type:
                    assert cep.project_type_id is not None
            else:
                assert cep.end_date is None and cep.exit_reason_id is None

    def _fingerprint(self):
        return (
            list(Cep.objects.filter(beneficiary=self.beneficiary).order_by("pk").values()),
            self._audit_count(),
            Event.objects.filter(beneficiary=self.beneficiary).count(),
        )

    def _attempt(self, fn, kwargs, before) -> RuleViolation | None:
        """Run one service call and undo it (savepoint): the refusal, or None when accepted."""
        try:
            with transaction.atomic():
                fn(actor=self.actor, **kwargs)
                transaction.set_rollback(True)
        except RuleViolation as violation:
            assert self._fingerprint() == before, "a refused action must leave nothing written"
            OUTCOMES[(fn.__name__, "refused")] += 1
            return violation
        OUTCOMES[(fn.__name__, "accepted")] += 1
        return None

    def _valid_call(self, action, cep):
        """The service and valid input of `action` (what a counselor would type when it is offered)."""
        calls = {
            "move_to_phase3": (s.move_to_phase3, {"on": (cep.phase2_entry_date or self.today) + ONE_DAY}),
            "cancel_phase3": (s.cancel_phase3, {}),
            "modify": (s.modify_cep, {"prescriber_name": "France Travail"}),
            "close": (
                s.close_cep,
                {"end_date": self.today, "exit_reason": self.valid_exit, "project_type": self.project},
            ),
            "reopen": (s.reopen_cep, {}),
            "delete": (s.delete_cep, {}),
        }
        assert set(calls) == set(USER_ACTIONS), "every offered action has a valid call here"
        fn, kwargs = calls[action]
        return fn, {"cep": cep, **kwargs}

    @invariant()
    def offered_iff_accepted(self):
        if not hasattr(self, "beneficiary"):
            return
        ceps = self._ceps()
        in_progress = tuple(c.pk for c in ceps if c.status in OPEN_STATUSES)
        world = (self.today, self.structure.distinguishes_phases, in_progress)
        # Check each CEP once per state: what its answer depends on is its row and the world around it.
        todo = [c for c in ceps if (world, c.pk, self._row(c)) not in self.checked]
        if not todo and (world, "open") in self.checked:
            return
        before = self._fingerprint()
        listed = {c.pk: c for c in with_action_facts(Cep.objects.filter(pk__in=[c.pk for c in todo]))}
        for cep in todo:
            self.checked.add((world, cep.pk, self._row(cep)))
            offered = workflow.allowed_actions(cep)
            # Pages and the API read the facts from the list query: same answer as the one-by-one lookup.
            assert workflow.allowed_actions(listed[cep.pk]) == offered
            for action in USER_ACTIONS:
                violation = self._attempt(*self._valid_call(action, cep), before)
                if action in offered:
                    assert violation is None, (action, cep.status, violation)
                    OFFERS[(action, "offered")] += 1
                else:
                    assert violation is not None, (action, cep.status, "accepted but not offered")
                    predicted = workflow.refusal(cep, action)
                    assert (violation.rule, violation.message) == (predicted.rule, predicted.message)
                    guarded = cep.status in workflow.TRANSITIONS[action].sources
                    OFFERS[(action, self._cause(violation) if guarded else "status")] += 1
        # Opening (R2, R6): phase 3 is offered only where the structure distinguishes the phases.
        if (world, "open") not in self.checked:
            self.checked.add((world, "open"))
            for phase in (2, 3):
                opening = {
                    "beneficiary": self.beneficiary,
                    "orientation_source": self.source,
                    "entry_date": self.today,
                    "entry_phase": phase,
                    "request_reason": self.reason,
                }
                violation = self._attempt(s.open_cep, opening, before)
                offered = not in_progress and phase in workflow.entry_phases(self.structure)
                assert (violation is None) == offered, (phase, in_progress, violation)
                if violation and not in_progress:
                    assert violation.rule == "R6"
                    OFFERS[("open_phase3", "R6")] += 1
        assert self._fingerprint() == before, "an accepted call was undone"

    @staticmethod
    def _cause(violation) -> str:
        if violation.rule == "R10":
            return "R10 trois mois" if "trois mois" in violation.message else "R10 décès"
        return violation.rule

    @staticmethod
    def _row(cep) -> tuple:
        return tuple(getattr(cep, f.attname) for f in Cep._meta.concrete_fields)


def check_every_history():
    """Each starting history, in a structure with and without distinct phases, checked once whatever hypothesis draws:
    the coverage asserted below does not depend on the walk (its draws change with the tests run before it)."""
    for history in HISTORIES:
        for distinguishes_phases in (True, False):
            machine = CepLifecycle()
            try:
                machine.setup(distinguishes_phases=distinguishes_phases, history=history)
                machine.offered_iff_accepted()
            finally:
                machine.teardown()


@pytest.mark.django_db
def test_cep_lifecycle_properties(refdata):
    OUTCOMES.clear()
    OFFERS.clear()
    check_every_history()
    run_state_machine_as_test(
        CepLifecycle,
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
    # The services were really exercised: every action was both accepted and refused.
    for action in ("open_cep", "move_to_phase3", "cancel_phase3", "close_cep", "reopen_cep", "delete_cep"):
        assert OUTCOMES[(action, "accepted")] > 0, (action, OUTCOMES)
        assert OUTCOMES[(action, "refused")] > 0, (action, OUTCOMES)
    # Every action was offered, and every guard refused at least once (not only the status check).
    for action in USER_ACTIONS:
        assert OFFERS[(action, "offered")] > 0, (action, OFFERS)
    for key in (
        ("move_to_phase3", "R6"),  # structure without distinct phases
        ("cancel_phase3", "R6"),  # direct entry in phase 3
        ("close", "R8"),  # phase 3 dated in the future
        ("reopen", "R10 décès"),  # an exit reason that blocks reopening
        ("reopen", "R10 trois mois"),  # closed more than three months ago
        ("reopen", "R2"),  # another CEP in progress
        ("open_phase3", "R6"),
    ):
        assert OFFERS[key] > 0, (key, OFFERS)

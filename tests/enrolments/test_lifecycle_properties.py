"""Property-based test of the CEP lifecycle: random sequences of actions and dates (hypothesis)."""

import collections
import datetime

import pytest
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
from cep.common.errors import RuleViolation
from cep.enrolments import services as s
from cep.enrolments.models import Cep
from cep.enrolments.workflow import OPEN_STATUSES, Status
from cep.referentials import models as ref
from tests.factories import BeneficiaryFactory, StructureFactory, UserFactory

TODAY = datetime.date.today()
OUTCOMES: collections.Counter = collections.Counter()
offsets = st.integers(min_value=-3, max_value=200)
picks = st.sampled_from([0, 0, 0, 0, 1, 2])  # mostly the latest CEP  # days before today (negative = future)


def day(offset: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=offset)


class CepLifecycle(RuleBasedStateMachine):
    @initialize()
    def setup(self):
        structure = StructureFactory()
        self.actor = UserFactory(structure=structure)
        self.beneficiary = BeneficiaryFactory(structure=structure, first_reception_date=day(450))
        self.source = ref.OrientationSource.objects.get(code="ma_structure_entree_directe")
        self.reason = ref.RequestReason.objects.get(code="reconversion")
        self.project = ref.ProjectType.objects.get(code="reconversion")
        self.exit_reasons = list(ref.ExitReason.objects.all())
        self.accepted = 0

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

    @rule(
        offset=offsets, phase=st.sampled_from([2, 2, 3, 1]), interview=st.integers(-5, 1), with_project=st.booleans()
    )
    def open(self, offset, phase, interview, with_project):
        entry = day(offset)
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

    def _latest_status(self):
        latest = Cep.objects.filter(beneficiary=self.beneficiary).order_by("-id").values_list("status", flat=True)
        return latest.first()

    @precondition(lambda self: self._latest_status() == Status.PHASE2)
    @rule(delta=st.integers(-2, 90))
    def move_latest_to_phase3(self, delta):
        self.move_to_phase3(0, delta)

    @precondition(lambda self: self._latest_status() == Status.PHASE3)
    @rule()
    def cancel_latest_phase3(self):
        self.cancel_phase3(0)

    @precondition(lambda self: self._latest_status() in OPEN_STATUSES)
    @rule(delta=st.integers(0, 60), reason=st.integers(0, 6))
    def close_latest(self, delta, reason):
        cep = self._pick(0)
        start = cep.current_phase_entry_date
        end = min(TODAY, start + datetime.timedelta(days=delta))
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
            assert cep.entry_date <= TODAY
            if cep.initial_interview_date:
                assert cep.initial_interview_date <= cep.entry_date
            if cep.phase2_entry_date and cep.phase3_entry_date:
                assert cep.phase3_entry_date > cep.phase2_entry_date
                assert cep.phase2_end_date == cep.phase3_entry_date - datetime.timedelta(days=1)
            if cep.status == Status.PHASE2:
                assert cep.phase3_entry_date is None and cep.phase2_end_date is None
            if cep.status == Status.CLOSED:
                assert cep.exit_reason_id and cep.end_date
                assert cep.current_phase_entry_date <= cep.end_date <= TODAY
                if cep.exit_reason.requires_project_type:
                    assert cep.project_type_id is not None
            else:
                assert cep.end_date is None and cep.exit_reason_id is None


@pytest.mark.django_db
def test_cep_lifecycle_properties(refdata):
    OUTCOMES.clear()
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
    # The random walk really exercised the lifecycle: every action was both accepted and refused.
    for action in ("open_cep", "move_to_phase3", "cancel_phase3", "close_cep", "reopen_cep", "delete_cep"):
        assert OUTCOMES[(action, "accepted")] > 0, (action, OUTCOMES)
        assert OUTCOMES[(action, "refused")] > 0, (action, OUTCOMES)

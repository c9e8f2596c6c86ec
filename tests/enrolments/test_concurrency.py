"""R2 under concurrency: the partial unique index, not only Python, keeps one CEP in progress."""

import threading

import pytest
from django.db import connections

from cep.common.errors import RuleViolation
from cep.enrolments import services as s
from cep.enrolments.models import Cep
from cep.enrolments.workflow import OPEN_STATUSES
from tests.enrolments.conftest import days


@pytest.mark.django_db(transaction=True)
def test_r2_twenty_counselors_open_a_cep_at_once(beneficiary, counselor, cep_refs):
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt():
        try:
            barrier.wait(timeout=30)
            s.open_cep(
                beneficiary=beneficiary,
                actor=counselor,
                orientation_source=cep_refs["direct"],
                entry_date=days(10),
                entry_phase=2,
                request_reason=cep_refs["reason"],
            )
            result = "created"
        except RuleViolation as err:
            result = f"refused:{err.rule}"
        except Exception as exc:  # anything else is a failure of the test
            result = f"error:{type(exc).__name__}:{exc}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(outcomes) == ["created"] + ["refused:R2"] * 19, outcomes
    assert Cep.objects.filter(beneficiary=beneficiary, status__in=OPEN_STATUSES).count() == 1


@pytest.mark.django_db(transaction=True)
def test_r2_index_holds_without_the_python_check(beneficiary, counselor, cep_refs, monkeypatch):
    """Even if the service's own check is bypassed (two transactions racing past it), the index refuses."""
    s.open_cep(
        beneficiary=beneficiary,
        actor=counselor,
        orientation_source=cep_refs["direct"],
        entry_date=days(10),
        entry_phase=2,
        request_reason=cep_refs["reason"],
    )
    real_filter = Cep.objects.filter

    class NoOpenCep:
        def exists(self):
            return False

    def filter_hiding_open(*args, **kwargs):
        if "status__in" in kwargs:
            return NoOpenCep()
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Cep.objects, "filter", filter_hiding_open)
    with pytest.raises(RuleViolation) as err:
        s.open_cep(
            beneficiary=beneficiary,
            actor=counselor,
            orientation_source=cep_refs["direct"],
            entry_date=days(5),
            entry_phase=2,
            request_reason=cep_refs["reason"],
        )
    assert err.value.rule == "R2"
    assert real_filter(beneficiary=beneficiary).count() == 1


@pytest.mark.django_db(transaction=True)
def test_r2_a_reopening_and_a_successive_cep_at_once_one_wins(beneficiary, counselor, cep_refs):
    """Successive CEPs: reopening the previous CEP and opening the next one race; never both (no overlap)."""
    first = s.open_cep(
        beneficiary=beneficiary,
        actor=counselor,
        orientation_source=cep_refs["direct"],
        entry_date=days(30),
        entry_phase=2,
        request_reason=cep_refs["reason"],
    )
    first = s.close_cep(cep=first, actor=counselor, end_date=days(10), exit_reason=cep_refs["formalised"])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(action):
        try:
            barrier.wait(timeout=30)
            action()
            result = "done"
        except RuleViolation as err:
            result = f"refused:{err.rule}"
        except Exception as exc:  # anything else is a failure of the test
            result = f"error:{type(exc).__name__}:{exc}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    def reopen():
        s.reopen_cep(cep=first, actor=counselor)

    def open_next():
        s.open_cep(
            beneficiary=beneficiary,
            actor=counselor,
            orientation_source=cep_refs["direct"],
            entry_date=days(10),
            entry_phase=2,
            request_reason=cep_refs["reason"],
        )

    threads = [threading.Thread(target=attempt, args=(action,)) for action in (reopen, open_next)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(outcomes) == ["done", "refused:R2"], outcomes
    assert Cep.objects.filter(beneficiary=beneficiary, status__in=OPEN_STATUSES).count() == 1

"""R2 under concurrency: the partial unique index, not only Python, keeps one CEP in progress; the dossier's lock
keeps successive CEPs from overlapping.

These tests commit (transaction=True): the flush after each one empties the tables, the referentials of the data
migrations included. They are loaded again once the module is done, so the tests that follow (in the same run or,
with --reuse-db, in the next one: `make mutation` runs this file for cep/enrolments/services.py) find the database
as the migrations left it.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from cep.common.errors import RuleViolation
from cep.enrolments import services as s
from cep.enrolments.models import Cep
from cep.enrolments.workflow import OPEN_STATUSES, Status
from tests.conftest import load_refdata
from tests.enrolments.conftest import days

# The sessions waiting for a lock this one holds (pg_locks is read live; pg_stat_activity keeps the transaction's
# first snapshot).
WAITING_FOR_ME = "SELECT count(*) FROM pg_locks WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"


@pytest.fixture(scope="module", autouse=True)
def _referentials_back(django_db_blocker):
    yield
    with django_db_blocker.unblock():
        load_refdata()


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


def _closed_cep(beneficiary, counselor, cep_refs):
    """The person's previous CEP: entered 30 days ago, closed 10 days ago."""
    cep = s.open_cep(
        beneficiary=beneficiary,
        actor=counselor,
        orientation_source=cep_refs["direct"],
        entry_date=days(30),
        entry_phase=2,
        request_reason=cep_refs["reason"],
    )
    return s.close_cep(cep=cep, actor=counselor, end_date=days(10), exit_reason=cep_refs["formalised"])


@pytest.mark.django_db(transaction=True)
def test_r2_a_reopening_and_a_successive_cep_at_once_one_wins(beneficiary, counselor, cep_refs):
    """Successive CEPs: reopening the previous CEP and opening the next one race; never both (no overlap)."""
    first = _closed_cep(beneficiary, counselor, cep_refs)
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


@pytest.mark.django_db(transaction=True)
def test_r2_reopening_waits_for_an_import_writing_a_later_cep_of_the_person(beneficiary, counselor, cep_refs):
    """« Rouvrir » locks the dossier FOR UPDATE before reading the person's CEPs: the import of CEPs holds it FOR KEY
    SHARE while it writes (cep/imports/ceps.py, LOCK_SQL), so a reopening waits for the imported CEPs and sees one
    that followed this CEP (R2, successive CEPs: reopened, it would overlap it). Without the lock, both would be
    written: a CEP in progress since before an imported closed CEP. The unique index cannot see this one: the
    imported CEP is closed."""
    first = _closed_cep(beneficiary, counselor, cep_refs)
    locked, reopened = threading.Event(), threading.Event()
    outcomes: dict[str, str] = {}

    def import_a_later_cep():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT id FROM beneficiaries_beneficiary WHERE id = %s FOR KEY SHARE", [beneficiary.pk]
                    )
                Cep.objects.create(
                    beneficiary=beneficiary,
                    structure=beneficiary.structure,
                    status=Status.CLOSED,
                    orientation_source=cep_refs["direct"],
                    request_reason=cep_refs["reason"],
                    entry_date=days(10),
                    entry_phase=2,
                    phase2_entry_date=days(10),
                    end_date=days(5),
                    exit_reason=cep_refs["formalised"],
                    ended_in_phase=2,
                    last_manifestation_date=days(10),
                )
                locked.set()
                # Hold the dossier until the reopening waits for it (or has finished without waiting).
                deadline = time.monotonic() + 30
                while not reopened.is_set() and time.monotonic() < deadline:
                    with connection.cursor() as cursor:
                        cursor.execute(WAITING_FOR_ME)
                        if cursor.fetchone()[0]:
                            break
                    time.sleep(0.05)
            outcomes["import"] = "done"
        except Exception as exc:  # anything else is a failure of the test
            outcomes["import"] = f"error:{type(exc).__name__}:{exc}"
            locked.set()
        finally:
            connections.close_all()

    def reopen():
        try:
            s.reopen_cep(cep=first, actor=counselor)
            outcomes["reopen"] = "done"
        except RuleViolation as err:
            outcomes["reopen"] = f"refused:{err.rule}"
        except Exception as exc:
            outcomes["reopen"] = f"error:{type(exc).__name__}:{exc}"
        finally:
            reopened.set()
            connections.close_all()

    importer = threading.Thread(target=import_a_later_cep)
    importer.start()
    assert locked.wait(timeout=30)
    reopener = threading.Thread(target=reopen)
    reopener.start()
    for thread in (importer, reopener):
        thread.join(timeout=60)

    assert outcomes == {"import": "done", "reopen": "refused:R2"}, outcomes
    assert Cep.objects.get(pk=first.pk).status == Status.CLOSED

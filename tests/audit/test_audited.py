"""audited(): lock, snapshot, change, save, record before/after — or nothing at all when the block refuses."""

import pytest
from django.db import connection
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from cep.audit.models import AuditEntry
from cep.audit.services import audited
from cep.beneficiaries.models import Beneficiary
from cep.common.errors import RuleViolation
from cep.organisations.models import Structure
from tests.factories import BeneficiaryFactory

pytestmark = pytest.mark.django_db
EXCLUDE = ("search_name", "created_at", "updated_at")


def test_update_locks_the_row_and_records_before_and_after(beneficiary, counselor):
    with CaptureQueriesContext(connection) as ctx:
        with audited(Beneficiary, beneficiary.pk, actor=counselor, action="edit", exclude=EXCLUDE) as b:
            assert b is not beneficiary  # read again under the lock: the block works on current values
            b.phone = "0601020304"
            b.save()
    assert "FOR UPDATE" in ctx.captured_queries[0]["sql"]
    sql = [q["sql"] for q in ctx.captured_queries]
    assert sql[-1].startswith('INSERT INTO "audit_auditentry"')
    assert not [s for s in sql if "SAVEPOINT" in s]  # runs in the service's transaction, opens none of its own
    entry = AuditEntry.objects.get(action="edit")
    assert entry.changes() == [("phone", beneficiary.phone, "0601020304")]
    assert (entry.actor_id, entry.actor_label, entry.object_type, entry.object_id) == (
        counselor.pk,
        str(counselor),
        "beneficiary",
        beneficiary.pk,
    )
    assert entry.structure_id == beneficiary.structure_id and entry.beneficiary_id is None
    assert "search_name" not in entry.after and "updated_at" not in entry.before


def test_an_instance_is_locked_and_read_again(structure, manager):
    stale = Structure.objects.get(pk=structure.pk)
    Structure.objects.filter(pk=structure.pk).update(name="Renommée entre-temps")
    with audited(stale, actor=manager, action="settings", structure_id=structure.pk) as current:
        assert current.name == "Renommée entre-temps"
        current.distinguishes_phases = not current.distinguishes_phases
        current.save(update_fields=["distinguishes_phases"])
    entry = AuditEntry.objects.get(action="settings")
    assert entry.before["name"] == entry.after["name"] == "Renommée entre-temps"
    assert entry.structure_id == structure.pk


def test_a_creation_has_no_before_and_owner_ids_may_be_computed(structure, counselor):
    new = BeneficiaryFactory.build(structure=structure, referent=counselor)
    with audited(new, actor=counselor, action="create", exclude=EXCLUDE, beneficiary_id=lambda b: b.pk) as b:
        assert b is new
        b.save()
    entry = AuditEntry.objects.get(action="create")
    assert entry.before is None and entry.after["id"] == new.pk
    assert entry.beneficiary_id == new.pk and entry.structure_id == structure.pk


def test_a_refusal_in_the_block_records_nothing(beneficiary, counselor):
    with pytest.raises(RuleViolation):
        with audited(Beneficiary, beneficiary.pk, actor=counselor, action="edit", exclude=EXCLUDE) as b:
            b.phone = "0601020304"
            raise RuleViolation("DOSSIER", "Refusé.")
    assert not AuditEntry.objects.filter(action="edit").exists()


def test_skip_unchanged_records_only_real_changes(beneficiary, counselor):
    def edit(phone):
        with audited(
            Beneficiary, beneficiary.pk, actor=counselor, action="edit", exclude=EXCLUDE, skip_unchanged=True
        ) as b:
            b.phone = phone
            b.save()

    edit(beneficiary.phone)
    assert not AuditEntry.objects.filter(action="edit").exists()
    edit("0700000000")
    assert AuditEntry.objects.filter(action="edit").count() == 1


def test_without_skip_unchanged_a_no_op_is_recorded(beneficiary, counselor):
    """As update_offer and the user services always did: the entry says someone saved, even unchanged."""
    with audited(Beneficiary, beneficiary.pk, actor=counselor, action="edit", exclude=EXCLUDE) as b:
        b.save()
    entry = AuditEntry.objects.get(action="edit")
    assert entry.before == entry.after


def test_a_creation_the_block_forgot_to_save_is_an_error(structure, counselor):
    with pytest.raises(TransactionManagementError):
        with audited(BeneficiaryFactory.build(structure=structure), actor=counselor, action="create"):
            pass
    assert not AuditEntry.objects.exists()


def test_outside_a_transaction_it_refuses_to_start(monkeypatch, counselor, beneficiary):
    class NoTransaction:
        in_atomic_block = False

    monkeypatch.setattr("cep.audit.services.transaction.get_connection", lambda: NoTransaction())
    with pytest.raises(TransactionManagementError):
        with audited(Beneficiary, beneficiary.pk, actor=counselor, action="edit"):
            pass


def test_system_actions_have_no_actor(beneficiary):
    with audited(Beneficiary, beneficiary.pk, actor=None, action="system", exclude=EXCLUDE) as b:
        b.save()
    entry = AuditEntry.objects.get(action="system")
    assert entry.actor_id is None and entry.actor_label == "Système"

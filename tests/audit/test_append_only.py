"""Both history tables refuse UPDATE and DELETE to everybody, their owner included (the trigger of cep.audit)."""

import pytest
from django.db import DatabaseError, transaction

from cep.audit.models import AuditEntry, SensitiveAccess
from cep.beneficiaries.queries import read_rqth

pytestmark = pytest.mark.django_db


def test_r12_rqth_access_log_is_append_only(counselor, beneficiary):
    read_rqth(counselor, beneficiary, channel="web")
    access = SensitiveAccess.objects.get()
    with pytest.raises(DatabaseError, match="audit_sensitiveaccess est en ajout seul : UPDATE refusé"):
        with transaction.atomic():
            SensitiveAccess.objects.filter(pk=access.pk).update(channel="api")
    with pytest.raises(DatabaseError, match="audit_sensitiveaccess est en ajout seul : DELETE refusé"):
        with transaction.atomic():
            SensitiveAccess.objects.filter(pk=access.pk).delete()
    assert SensitiveAccess.objects.get(pk=access.pk).channel == "web"


def test_r12_audit_table_refusal_names_its_table(open_cep):
    open_cep()
    with pytest.raises(DatabaseError, match="audit_auditentry est en ajout seul : DELETE refusé"):
        with transaction.atomic():
            AuditEntry.objects.all().delete()

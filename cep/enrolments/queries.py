"""Reads on CEP dispositifs (selectors), shared by pages and the API. Scoped to the user's structure."""

from django.db.models import QuerySet

from cep.audit.models import AuditEntry

from .models import Cep


def ceps_for(user) -> QuerySet:
    """CEPs of the user's structure (none for observers; all for an administrator without structure)."""
    if not getattr(user, "sees_personal_data", False):
        return Cep.objects.none()
    if user.structure_id is None:
        return Cep.objects.all() if user.role == "admin" else Cep.objects.none()
    return Cep.objects.filter(structure_id=user.structure_id)


def cep_history(cep: Cep) -> QuerySet:
    """The audit entries of one CEP (R12: who, when, what before, what after), oldest first."""
    return AuditEntry.objects.filter(object_type="cep", object_id=cep.pk).order_by("id")

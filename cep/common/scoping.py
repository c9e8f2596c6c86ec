"""Who sees which rows of personal data: one queryset method, `visible_to(user)`, for every structure-owned model.

A user sees the rows of their own structure; an administrator without a structure sees every structure; observers
(and anyone without personal-data access, or without a structure unless administrator) see none. The per-object
twin of this rule, for writes, is `cep.common.access.can_see_structure`.

Models use it as their default manager (`objects = StructureScopedQuerySet.as_manager()`): a manager that is not
`use_in_migrations` adds nothing to migrations.

Rows about a person (dossiers, CEPs, events, services) also need the right « Consulter les informations d'un
dossier » (`requires_view_dossier`); the offer catalogue and the monthly files are governed by their own rights.
"""

from django.db import models
from django.db.models import Q

from cep.accounts.rights import Right, Role


class StructureScopedQuerySet(models.QuerySet):
    requires_view_dossier = True

    def structure_filter(self, user) -> Q:
        """The rows of the user's structure (override for models shared more widely, e.g. regional offers)."""
        return Q(structure_id=user.structure_id)

    def visible_to(self, user) -> "StructureScopedQuerySet":
        if not getattr(user, "sees_personal_data", False):
            return self.none()
        if self.requires_view_dossier and not user.has_right(Right.VIEW_DOSSIER):
            return self.none()
        if user.structure_id is None:
            return self.all() if user.role == Role.ADMIN else self.none()
        return self.filter(self.structure_filter(user))

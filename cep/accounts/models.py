"""Users, roles and rights (docs/regles-cep.md §1)."""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .rights import ROLE_RIGHTS, Right, Role

SECOND_FACTOR_ROLES = frozenset({Role.MANAGER, Role.ADMIN, Role.REGIONAL_OBSERVER, Role.NATIONAL_OBSERVER})


class User(AbstractUser):
    role = models.CharField("rôle", max_length=30, choices=Role.choices, default=Role.COUNSELOR)
    structure = models.ForeignKey(
        "organisations.Structure", on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    region = models.ForeignKey(
        "organisations.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text="Région observée (observateur régional).",
    )
    # Rights granted in addition to / instead of the role's defaults; empty means the role's defaults.
    extra_rights = models.JSONField("droits", default=list, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(role__in=[Role.COUNSELOR, Role.MANAGER]) | Q(structure__isnull=False),
                name="structure_staff_have_a_structure",
                violation_error_message="Un conseiller ou un responsable appartient à une structure.",
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.REGIONAL_OBSERVER) | Q(region__isnull=False),
                name="regional_observer_has_a_region",
                violation_error_message="Un observateur régional observe une région.",
            ),
        ]

    @property
    def rights(self) -> set[str]:
        return set(self.extra_rights) if self.extra_rights else set(ROLE_RIGHTS[self.role])

    def has_right(self, right: Right) -> bool:
        return self.is_active and right in self.rights

    @property
    def is_observer(self) -> bool:
        return self.role in (Role.REGIONAL_OBSERVER, Role.NATIONAL_OBSERVER)

    @property
    def needs_second_factor(self) -> bool:
        """Staff with management rights (managers, administrators, observers, anyone who manages a structure)
        sign in with a second factor (TOTP or a recovery code)."""
        return self.role in SECOND_FACTOR_ROLES or self.has_right(Right.MANAGE_STRUCTURE)

    @property
    def sees_personal_data(self) -> bool:
        return self.role in (Role.COUNSELOR, Role.MANAGER, Role.ADMIN)

    def __str__(self):
        full = self.get_full_name()
        return full or self.username


class ApiToken(models.Model):
    """A per-user API token. Only its SHA-256 is stored; the clear token is shown once.

    It expires (validity chosen at creation, 90 days by default), can be revoked from the account page, and
    records its last use (written at most once a minute: LAST_USED_INTERVAL)."""

    LAST_USED_INTERVAL = datetime.timedelta(minutes=1)

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, default="API")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField("expire le")
    last_used_at = models.DateTimeField("dernière utilisation", null=True, blank=True)

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(
        cls, user: User, name: str = "API", key: str | None = None, days: int | None = None
    ) -> tuple["ApiToken", str]:
        key = key or secrets.token_urlsafe(32)
        days = days or settings.API_TOKEN_DEFAULT_DAYS
        expires_at = timezone.now() + datetime.timedelta(days=days)
        token = cls.objects.create(user=user, name=name, key_hash=cls.hash(key), prefix=key[:8], expires_at=expires_at)
        return token, key

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "Révoqué"
        return "Actif" if self.expires_at > timezone.now() else "Expiré"

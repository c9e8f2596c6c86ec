"""Append-only history of every change (docs/regles-cep.md R12, non-negotiable 4).

No foreign keys: an audit row must survive whatever happens to the objects it describes, and a
cascade would need UPDATE/DELETE, which the PostgreSQL trigger of migration 0002 refuses.
"""

from django.db import models


class AuditEntry(models.Model):
    at = models.DateTimeField("date", auto_now_add=True, db_index=True)
    actor_id = models.BigIntegerField("auteur (id)", null=True, blank=True)
    actor_label = models.CharField("auteur", max_length=200, blank=True)
    action = models.CharField("action", max_length=60)
    object_type = models.CharField("type d'objet", max_length=60)
    object_id = models.BigIntegerField("identifiant")
    structure_id = models.BigIntegerField(null=True, blank=True)
    beneficiary_id = models.BigIntegerField(null=True, blank=True)
    before = models.JSONField("avant", null=True, blank=True)
    after = models.JSONField("après", null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "entrée d'historique"
        verbose_name_plural = "historique"
        indexes = [
            models.Index(fields=["object_type", "object_id", "id"], name="audit_object_idx"),
            models.Index(fields=["beneficiary_id", "id"], name="audit_beneficiary_idx"),
        ]

    def __str__(self):
        return f"{self.at:%d/%m/%Y %H:%M} {self.actor_label} {self.action} {self.object_type}#{self.object_id}"

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for each field that differs."""
        before, after = self.before or {}, self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class SensitiveAccess(models.Model):
    """Log of every read of sensitive data (RQTH): who, when, whose dossier, through which channel."""

    at = models.DateTimeField(auto_now_add=True)
    actor_id = models.BigIntegerField()
    beneficiary_id = models.BigIntegerField()
    field = models.CharField(max_length=40, default="rqth")
    channel = models.CharField(max_length=20)  # "web", "api", "export"

    class Meta:
        indexes = [
            models.Index(fields=["beneficiary_id", "at"]),
            # The daily purge of rows older than 12 months (cep/retention) reads by date.
            models.Index(fields=["at"], name="sensitive_access_at_idx"),
        ]

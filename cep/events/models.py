"""Events (événements) on a dossier (docs/regles-cep.md §4)."""

from django.db import models
from django.db.models import Q

from cep.common.scoping import StructureScopedQuerySet


class DeliveryMode(models.TextChoices):
    ON_SITE = "sur_site", "Sur site"
    REMOTE = "a_distance", "À distance"


class GroupMode(models.TextChoices):
    INDIVIDUAL = "individuel", "Individuel"
    COLLECTIVE = "collectif", "Collectif"


class Event(models.Model):
    # The referential foreign keys carry no index (db_index=False): events are the biggest table (~7 per
    # person) and an index on a 5-to-9-value code (plus its varchar_pattern_ops twin) serves no query — events
    # are always read per dossier (event_benef_date_idx) — while slowing every insert and bulk load. Nor do the
    # person (event_benef_date_idx leads with it) and the structure (docs/index.md).
    beneficiary = models.ForeignKey(
        "beneficiaries.Beneficiary", on_delete=models.PROTECT, related_name="events", db_index=False
    )
    structure = models.ForeignKey(
        "organisations.Structure", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    date = models.DateField("date")
    primary_context = models.ForeignKey(
        "referentials.EventContext",
        on_delete=models.PROTECT,
        db_index=False,
        related_name="+",
        verbose_name="contexte primaire",
    )
    secondary_context = models.ForeignKey(
        "referentials.EventContext",
        on_delete=models.PROTECT,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="contexte secondaire",
    )
    tertiary_context = models.ForeignKey(
        "referentials.EventContext",
        on_delete=models.PROTECT,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="contexte tertiaire",
    )
    direction = models.ForeignKey(
        "referentials.EventDirection", on_delete=models.PROTECT, db_index=False, verbose_name="sens"
    )
    nature = models.ForeignKey(
        "referentials.EventNature", on_delete=models.PROTECT, db_index=False, verbose_name="nature"
    )
    place = models.ForeignKey(
        "referentials.ReceptionPlace", on_delete=models.PROTECT, db_index=False, verbose_name="lieu d'accueil"
    )
    function = models.ForeignKey(
        "referentials.StaffFunction", on_delete=models.PROTECT, db_index=False, verbose_name="fonction"
    )
    intervener = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name="intervenant"
    )
    comment = models.CharField("commentaire", max_length=255, blank=True)
    walk_in = models.BooleanField("venu sans rendez-vous", default=False)
    delivery_mode = models.CharField(
        "modalité", max_length=20, choices=DeliveryMode.choices, default=DeliveryMode.ON_SITE
    )
    group_mode = models.CharField("format", max_length=20, choices=GroupMode.choices, default=GroupMode.INDIVIDUAL)
    is_cep = models.BooleanField(default=False, editable=False)  # one of the three contexts is CEP
    # System events (e.g. « Suppression de dispositif ») are not manifestations of the person.
    is_system = models.BooleanField(default=False, editable=False)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StructureScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "événement"
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["beneficiary", "date", "id"], name="event_benef_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(secondary_context__isnull=True) | ~Q(secondary_context=models.F("primary_context")),
                name="event_contexts_distinct_1_2",
                violation_error_message="Un même contexte ne peut être choisi deux fois.",
            ),
        ]

    def contexts(self):
        return [c for c in (self.primary_context, self.secondary_context, self.tertiary_context) if c is not None]

    def save(self, *args, **kwargs):
        self.is_cep = "cep" in {self.primary_context_id, self.secondary_context_id, self.tertiary_context_id}
        super().save(*args, **kwargs)

    def __str__(self):
        return f"{self.date:%d/%m/%Y} – {self.primary_context_id}"

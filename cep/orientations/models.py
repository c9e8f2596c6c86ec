"""Orientation of a person from one structure (A) to another (B), with the level-1 summary (issue 11, part 2).

A sends the orientation with the person's consent; the level-1 summary and the names of both structures are copied
onto it when it is sent (they survive later edits of the dossier or of the structures). B accepts it (its own
dossier is created or matched), refuses it with a reason, or lets it expire; A may cancel it while it waits. The
transitions are data (workflow.py); every step is a line of its history (OrientationEntry), seen by both sides.
"""

from django.db import models
from django.db.models import Q

from cep.accounts.rights import Right, Role


class Status(models.TextChoices):
    SENT = "envoyee", "Envoyée"
    ACCEPTED = "acceptee", "Acceptée"
    REFUSED = "refusee", "Refusée"
    EXPIRED = "expiree", "Expirée"
    CANCELLED = "annulee", "Annulée"
    OBSOLETE = "obsolete", "Obsolète"


class OrientationQuerySet(models.QuerySet):
    """Both sides see an orientation: the sending structure (A) and the receiving one (B)."""

    def _scope(self, user, q):
        if not getattr(user, "sees_personal_data", False) or not user.has_right(Right.VIEW_DOSSIER):
            return self.none()
        if user.structure_id is None:
            return self.all() if user.role == Role.ADMIN else self.none()
        return self.filter(q)

    def visible_to(self, user):
        sid = getattr(user, "structure_id", None)
        return self._scope(user, Q(source_structure_id=sid) | Q(target_structure_id=sid))

    def sent_by_structure_of(self, user):
        return self._scope(user, Q(source_structure_id=getattr(user, "structure_id", None)))

    def received_by_structure_of(self, user):
        return self._scope(user, Q(target_structure_id=getattr(user, "structure_id", None)))


class Orientation(models.Model):
    # Side A: the dossier the person is oriented from.
    beneficiary = models.ForeignKey(
        "beneficiaries.Beneficiary", on_delete=models.PROTECT, related_name="orientations", db_index=False
    )
    source_structure = models.ForeignKey(
        "organisations.Structure", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    target_structure = models.ForeignKey(
        "organisations.Structure", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    counselor = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name="conseiller"
    )
    # The person, the same in every structure (cep/beneficiaries/identity.py): the open-orientation constraint.
    identity_pseudonym = models.CharField(max_length=32)
    # Copied when sent: they survive later edits of the dossier and of the structures.
    source_structure_name = models.CharField("structure d'origine", max_length=200)
    source_network_label = models.CharField("réseau d'origine", max_length=255)
    target_structure_name = models.CharField("structure destinataire", max_length=200)
    target_network_label = models.CharField("réseau destinataire", max_length=255)
    # The level-1 summary as sent: {field: {"label": …, "value": …, "display": …}}; `sent_fields` is its exact list.
    summary = models.JSONField("synthèse de niveau 1", default=dict)
    sent_fields = models.JSONField("champs transmis", default=list)
    # A's free text to B (named `comment` like every free text the retention job empties).
    comment = models.TextField("message d'accompagnement", blank=True)
    # The aiguilleur B's CEP will carry (A's network, « Autre Mission Locale » within one network).
    orientation_source = models.ForeignKey(
        "referentials.OrientationSource", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # The person's consent to the orientation: who recorded it, when, how; withdrawable.
    consent_mode = models.ForeignKey(
        "referentials.ConsentMode", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    consent_recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    consent_at = models.DateTimeField("consentement recueilli le")
    consent_withdrawn_at = models.DateTimeField("consentement retiré le", null=True, blank=True)
    consent_withdrawn_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", db_index=False, null=True, blank=True
    )

    status = models.CharField("statut", max_length=20, choices=Status.choices, default=Status.SENT)
    sent_at = models.DateTimeField("envoyée le")
    # The deadlines' clock: any activity (a message, a reminder does not count) restarts both the 30-day expiry
    # and the 10-day reminders.
    last_activity_at = models.DateTimeField()
    last_reminder_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField("répondue le", null=True, blank=True)
    answered_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", db_index=False, null=True, blank=True
    )
    refusal_reason = models.ForeignKey(
        "referentials.OrientationRefusalReason",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        null=True,
        blank=True,
        verbose_name="motif de refus",
    )
    answer_comment = models.TextField("message de réponse", blank=True)
    # Side B: the dossier created or matched on acceptance.
    target_beneficiary = models.ForeignKey(
        "beneficiaries.Beneficiary",
        on_delete=models.PROTECT,
        related_name="received_orientations",
        null=True,
        blank=True,
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrientationQuerySet.as_manager()

    class Meta:
        verbose_name = "orientation"
        indexes = [
            models.Index(fields=["target_structure", "status", "-sent_at", "-id"], name="orient_target_idx"),
            models.Index(fields=["source_structure", "-sent_at", "-id"], name="orient_source_idx"),
            models.Index(fields=["beneficiary", "-sent_at"], name="orient_benef_idx"),
            models.Index(fields=["target_beneficiary"], name="orient_target_benef_idx"),
            models.Index(fields=["identity_pseudonym"], name="orient_identity_idx", condition=Q(status="envoyee")),
        ]
        constraints = [
            # Two counselors orienting the same person to the same structure at the same moment: one stays.
            models.UniqueConstraint(
                fields=["identity_pseudonym", "target_structure"],
                condition=Q(status="envoyee"),
                name="one_open_orientation_per_person_and_target",
                violation_error_message="Une orientation de cette personne vers cette structure est déjà en cours.",
            ),
            models.CheckConstraint(
                condition=~Q(source_structure=models.F("target_structure")),
                name="orientation_to_another_structure",
                violation_error_message="Une orientation va vers une autre structure.",
            ),
            models.CheckConstraint(
                condition=Q(refusal_reason__isnull=True) | Q(status="refusee"),
                name="orientation_reason_only_when_refused",
            ),
            models.CheckConstraint(
                condition=~Q(status="refusee") | Q(refusal_reason__isnull=False),
                name="orientation_refused_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="acceptee") | Q(target_beneficiary__isnull=False),
                name="orientation_accepted_has_dossier",
            ),
        ]

    def __str__(self):
        return f"Orientation vers {self.target_structure_name} du {self.sent_at:%d/%m/%Y}"

    @property
    def summary_items(self) -> list[dict]:
        """The summary in the order its fields were sent (jsonb keeps no order)."""
        return [self.summary[name] for name in self.sent_fields if name in self.summary]

    @property
    def is_open(self) -> bool:
        return self.status == Status.SENT


class EntryKind(models.TextChoices):
    SENT = "envoi", "Orientation envoyée"
    MESSAGE = "message", "Message"
    REMINDER = "relance", "Relance automatique"
    ACCEPTED = "acceptation", "Orientation acceptée"
    REFUSED = "refus", "Orientation refusée"
    EXPIRED = "expiration", "Orientation expirée"
    CANCELLED = "annulation", "Orientation annulée"
    OBSOLETE = "obsolete", "Orientation devenue obsolète"
    CONSENT_WITHDRAWN = "retrait_consentement", "Consentement retiré"


class OrientationEntry(models.Model):
    """One line of an orientation's history, seen by both structures (a message is one too)."""

    orientation = models.ForeignKey(Orientation, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField("type", max_length=30, choices=EntryKind.choices)
    at = models.DateTimeField("le")
    author = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", db_index=False, null=True, blank=True
    )
    author_label = models.CharField("par", max_length=255)  # « Système » for the deadlines job
    structure_name = models.CharField("structure", max_length=200, blank=True)
    comment = models.TextField("texte", blank=True)

    class Meta:
        verbose_name = "étape d'orientation"
        ordering = ["at", "id"]

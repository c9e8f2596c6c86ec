"""Rendez-vous (issue 14): the next meeting a counselor books with a person, and what became of it.

A rendez-vous is not an event: it is planned (« prévu ») and becomes « honoré » (which records its event, a
manifestation of the person, R9), « non honoré » (kept, never a manifestation) or « annulé ». The transitions are
data (workflow.TRANSITIONS); the services check them.
"""

import datetime
import secrets

from django.db import models
from django.db.models import Q

from cep.common.scoping import StructureScopedQuerySet


class Status(models.TextChoices):
    PLANNED = "prevu", "Prévu"
    HONOURED = "honore", "Honoré"
    NO_SHOW = "non_honore", "Non honoré"
    CANCELLED = "annule", "Annulé"


MIN_DURATION, MAX_DURATION = 5, 480  # minutes


class Appointment(models.Model):
    beneficiary = models.ForeignKey(
        "beneficiaries.Beneficiary", on_delete=models.PROTECT, related_name="appointments", db_index=False
    )
    structure = models.ForeignKey(
        "organisations.Structure", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    starts_at = models.DateTimeField("date et heure")  # aware (UTC in the database), shown in Europe/Paris
    duration = models.PositiveSmallIntegerField("durée (minutes)", default=45)
    mode = models.ForeignKey(
        "referentials.AppointmentMode", on_delete=models.PROTECT, db_index=False, verbose_name="modalité"
    )
    place = models.ForeignKey(
        "referentials.ReceptionPlace",
        on_delete=models.PROTECT,
        db_index=False,
        null=True,
        blank=True,
        verbose_name="lieu",
    )
    counselor = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        related_name="appointments",
        db_index=False,
        verbose_name="conseiller",
    )
    # « Objet »: free text, named `comment` like the other free texts of a dossier so that the retention job
    # empties it and redacts it from the history with them (cep/retention/rules.py).
    comment = models.CharField("objet", max_length=255, blank=True)
    status = models.CharField("statut", max_length=20, choices=Status.choices, default=Status.PLANNED)
    # The event « Honoré » recorded (one at most: OneToOne). An event deleted later (entered by mistake) leaves the
    # rendez-vous honoured without its event (SET_NULL): the events layer does not know about rendez-vous.
    event = models.OneToOneField(
        "events.Event", on_delete=models.SET_NULL, null=True, blank=True, related_name="appointment"
    )
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StructureScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "rendez-vous"
        verbose_name_plural = "rendez-vous"
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["beneficiary", "starts_at", "id"], name="appt_benef_start_idx"),
            models.Index(fields=["counselor", "starts_at", "id"], name="appt_counselor_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration__gte=MIN_DURATION, duration__lte=MAX_DURATION),
                name="appointment_duration_range",
                violation_error_message="La durée d'un rendez-vous va de 5 minutes à 8 heures.",
            ),
            models.CheckConstraint(
                condition=Q(event__isnull=True) | Q(status=Status.HONOURED),
                name="appointment_event_only_when_honoured",
                violation_error_message="Seul un rendez-vous honoré porte un événement.",
            ),
            # Two counselors booking the same counselor at the same minute: the database keeps one.
            models.UniqueConstraint(
                fields=["counselor", "starts_at"],
                condition=Q(status="prevu"),
                name="appointment_one_planned_per_counselor_and_start",
                violation_error_message="Ce conseiller a déjà un rendez-vous prévu à cette heure.",
            ),
        ]

    @property
    def ends_at(self) -> datetime.datetime:
        return self.starts_at + datetime.timedelta(minutes=self.duration)

    def __str__(self):
        return f"Rendez-vous du {self.starts_at:%d/%m/%Y %H:%M}"


class CalendarFeed(models.Model):
    """A counselor's agenda feed (.ics): the URL carries a secret token, revoked by « Régénérer ».

    Only the token's SHA-256 is looked up; the token itself is derived from `nonce` with the site's secret key
    (HMAC), so the account page can show the URL again without the database ever holding it in clear.
    """

    user = models.OneToOneField("accounts.User", on_delete=models.CASCADE, related_name="calendar_feed")
    nonce = models.CharField(max_length=64, default="")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True)

    @staticmethod
    def new_nonce() -> str:
        return secrets.token_hex(16)

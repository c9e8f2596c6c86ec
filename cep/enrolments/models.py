"""The CEP dispositif (phases 2 and 3), docs/regles-cep.md §5."""

import datetime

from django.db import models
from django.db.models import F, Q

from cep.common import dates
from cep.common.scoping import StructureScopedQuerySet

from .workflow import INACTIVITY_MONTHS, OPEN_STATUSES, PHASE_LABELS, Status, phase_text

AUTO_EXIT_WARNING_DAYS = 30  # R9: the automatic exit is announced as near 30 days ahead (the home page's list)


class Cep(models.Model):
    # Foreign keys without an index of their own (db_index=False): the person and the structure lead a composite
    # index (cep_benef_idx, cep_struct_status_idx), and the referential codes (5 to 20 values) serve no lookup.
    # Each index costs a write on every UPDATE that is not HOT (the automatic exit changes status and end date):
    # docs/index.md lists every index of the large tables with the query that uses it.
    beneficiary = models.ForeignKey(
        "beneficiaries.Beneficiary", on_delete=models.PROTECT, related_name="ceps", db_index=False
    )
    structure = models.ForeignKey(
        "organisations.Structure", on_delete=models.PROTECT, related_name="ceps", db_index=False
    )
    status = models.CharField("état", max_length=10, choices=Status.choices)

    orientation_source = models.ForeignKey(
        "referentials.OrientationSource", on_delete=models.PROTECT, db_index=False, verbose_name="aiguilleur"
    )
    initial_interview_date = models.DateField("date d'entretien d'initialisation", null=True, blank=True)
    entry_date = models.DateField("date d'entrée")
    entry_phase = models.PositiveSmallIntegerField("phase d'entrée", choices=[(2, "Phase 2"), (3, "Phase 3")])
    request_reason = models.ForeignKey(
        "referentials.RequestReason", on_delete=models.PROTECT, db_index=False, verbose_name="motif de sollicitation"
    )
    prescriber_name = models.CharField("nom du prescripteur", max_length=200, blank=True)
    referent_name = models.CharField("nom du référent", max_length=200, blank=True)
    project_type = models.ForeignKey(
        "referentials.ProjectType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        verbose_name="type de projet",
    )

    phase2_entry_date = models.DateField("entrée en phase 2", null=True, blank=True)
    phase2_end_date = models.DateField("fin de la phase 2", null=True, blank=True)
    phase3_entry_date = models.DateField("entrée en phase 3", null=True, blank=True)

    end_date = models.DateField("date de fin réelle", null=True, blank=True)
    exit_reason = models.ForeignKey(
        "referentials.ExitReason",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        verbose_name="motif de sortie",
    )
    ended_in_phase = models.PositiveSmallIntegerField(null=True, blank=True)
    auto_closed = models.BooleanField(default=False)

    # The day the inactivity clock (R9) last restarted: the latest of the entry date, the last reopening and the
    # person's latest manifestation since the entry (cep/enrolments/clock.py, recomputed on every event change).
    last_manifestation_date = models.DateField(null=True, blank=True)
    # The day of the last reopening (R10): the clock restarts that day (docs/decisions.md, R9).
    reopened_on = models.DateField("date de réouverture", null=True, blank=True)

    # The person's identity pseudonym (Beneficiary.identity_pseudonym), copied here so that a partial index over the
    # CEPs in progress finds a person followed in two structures (double accompaniment, cep/enrolments/overlaps.py).
    identity_pseudonym = models.CharField(max_length=32, editable=False, blank=True, default="")

    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = StructureScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "dispositif CEP"
        verbose_name_plural = "dispositifs CEP"
        ordering = ["-entry_date", "-id"]
        indexes = [
            models.Index(fields=["structure", "status", "entry_date"], name="cep_struct_status_idx"),
            models.Index(fields=["beneficiary", "entry_date"], name="cep_benef_idx"),
            models.Index(
                fields=["last_manifestation_date"], condition=Q(status__in=OPEN_STATUSES), name="cep_open_activity_idx"
            ),
            # Double accompaniment: the CEPs in progress of one person, in every structure (index-only scans).
            models.Index(
                fields=["identity_pseudonym"],
                include=["structure"],
                condition=Q(status__in=OPEN_STATUSES),
                name="cep_open_identity_idx",
            ),
        ]
        constraints = [
            # R2: at most one CEP in progress per person and structure, even under concurrency.
            models.UniqueConstraint(
                fields=["beneficiary", "structure"],
                condition=Q(status__in=OPEN_STATUSES),
                name="one_open_cep_per_person_and_structure",
                violation_error_message="Un CEP est déjà en cours pour cette personne dans la structure.",
            ),
            # R4: the initialisation interview is on or before the entry date.
            models.CheckConstraint(
                condition=Q(initial_interview_date__isnull=True) | Q(initial_interview_date__lte=F("entry_date")),
                name="r4_interview_before_entry",
                violation_error_message="La date d'entretien d'initialisation précède la date d'entrée.",
            ),
            # R5: phase 3 starts at least the day after phase 2 began.
            models.CheckConstraint(
                condition=Q(phase3_entry_date__isnull=True)
                | Q(phase2_entry_date__isnull=True)
                | Q(phase3_entry_date__gt=F("phase2_entry_date")),
                name="r5_phase3_after_phase2",
                violation_error_message="La phase 3 commence au plus tôt le lendemain de l'entrée en phase 2.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["phase2"], phase2_entry_date__isnull=False)
                | Q(status__in=["phase3"], phase3_entry_date__isnull=False)
                | Q(status__in=["closed", "deleted"]),
                name="open_phase_has_entry_date",
            ),
            # R8: a closed CEP has its end date and exit reason, on or after its entry.
            models.CheckConstraint(
                condition=~Q(status="closed")
                | Q(end_date__isnull=False, exit_reason__isnull=False, end_date__gte=F("entry_date")),
                name="r8_closed_has_end_and_reason",
                violation_error_message="Un CEP clôturé a une date de fin réelle et un motif de sortie.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["closed", "deleted"]) | Q(end_date__isnull=True, exit_reason__isnull=True),
                name="open_cep_has_no_exit",
            ),
            models.CheckConstraint(condition=Q(entry_phase__in=[2, 3]), name="entry_phase_2_or_3"),
        ]

    def __str__(self):
        return f"CEP #{self.pk} – {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def current_phase(self) -> int | None:
        if self.status == Status.PHASE2:
            return 2
        if self.status == Status.PHASE3:
            return 3
        return self.ended_in_phase

    def phase_on(self, day) -> int | None:
        """The phase the CEP is in on `day`: a phase 3 dated later leaves it in phase 2 until the eve (R5, [003]).
        `current_phase` is the phase of the workflow (the status), which the services check."""
        if self.status == Status.PHASE3 and self.phase3_entry_date and self.phase3_entry_date > day:
            return 2
        return self.current_phase

    @property
    def phase_today(self) -> int | None:
        return self.phase_on(dates.today())

    @property
    def planned_phase3_date(self):
        """The day phase 3 begins when it is still to come (the CEP is then shown in phase 2), else None."""
        if self.status == Status.PHASE3 and self.phase3_entry_date and self.phase3_entry_date > dates.today():
            return self.phase3_entry_date
        return None

    @property
    def phase_display(self) -> str:
        """« Phase 2 – Conseil personnalisé (phase 3 prévue le 12/01/2027) », everywhere a page names the phase."""
        return phase_text(self.phase_today, self.planned_phase3_date)

    @property
    def phase_periods(self) -> list[tuple[int, datetime.date, datetime.date | None]]:
        """(phase, first day, last day or None while it runs) of each phase the CEP went through, phase 3 only once
        begun: a closed CEP reads « Phase 2 : du … au … », not « Phase 3 depuis »."""
        end = self.end_date if self.status == Status.CLOSED else None
        periods = []
        if self.phase2_entry_date:
            periods.append((2, self.phase2_entry_date, self.phase2_end_date or end))
        if self.phase3_entry_date and self.planned_phase3_date is None:
            periods.append((3, self.phase3_entry_date, end))
        return periods

    @property
    def current_phase_entry_date(self):
        phase = self.current_phase
        return self.phase3_entry_date if phase == 3 else self.phase2_entry_date

    @property
    def phase_label(self) -> str:
        """The name of the phase the CEP is in today (phase 2 until the eve of a phase 3 dated later)."""
        return PHASE_LABELS.get(self.phase_today or 0, "")

    @property
    def expected_auto_exit_date(self):
        """R9: the day the automatic exit will close this CEP in progress without a new manifestation of the person
        (the clock's day + 6 months); None for a closed CEP."""
        if not self.is_open:
            return None
        return dates.add_months(self.last_manifestation_date or self.entry_date, INACTIVITY_MONTHS)

    @property
    def auto_exit_soon(self) -> bool:
        day = self.expected_auto_exit_date
        return day is not None and (day - dates.today()).days <= AUTO_EXIT_WARNING_DAYS

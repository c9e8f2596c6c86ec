"""Monthly aggregate tables of the common indicators (docs/regles-cep.md §8, [004] l.111, [002] §4.2.1).

Every table is keyed by month (first day) and structure; the structure's operator, network, région and
département are copied into each row when it is computed, so that the dashboards filter and sum without joins.
The tables hold counts only (never a person): they are what observers read. The 2014 / 2019 frameworks are two
views over the same rows (see frameworks.py).

Refreshed by refresh.py (set-based SQL, one month at a time, incrementally).
"""

from django.db import models


class Family(models.TextChoices):
    """Kinds of breakdown stored in MonthlyCount.code (the code is a referential code, or a band)."""

    ENTRIES = "entries", "Entrées"
    PHASE3_MOVES = "phase3_moves", "Passages en phase 3"
    AGE_BAND = "age_band", "Tranche d'âge"
    SEX = "sex", "Sexe"
    EMPLOYMENT_STATUS = "employment_status", "Situation professionnelle"
    QUALIFICATION_LEVEL = "qualification_level", "Niveau de qualification"
    RQTH = "rqth", "RQTH"
    REQUEST_REASON = "request_reason", "Motif de sollicitation"
    PROJECT_TYPE = "project_type", "Type de projet"
    SERVICES = "services", "Services proposés"
    EXITS = "exits", "Sorties"


class _Located(models.Model):
    month = models.DateField("mois")  # first day of the month
    structure_id = models.BigIntegerField("structure")
    operator_id = models.BigIntegerField("opérateur")
    network_id = models.CharField("réseau", max_length=40)
    region_id = models.CharField("région", max_length=3)
    department_id = models.CharField("département", max_length=3)

    class Meta:
        abstract = True


class MonthlyCount(_Located):
    """Counts per month, structure, family, level and code.

    level: 1 = niveau 1 (accueil individualisé), 2 = phase 2 (conseil personnalisé), 3 = phase 3
    (accompagnement à la mise en œuvre). For entries and the public reached, level 2 / 3 is the CEP's entry
    phase; for services, the CEP's phase on the day of the proposal; for exits, the phase the CEP ended in.
    """

    family = models.CharField(max_length=20, choices=Family.choices)
    level = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=40)
    value = models.PositiveIntegerField()

    class Meta:
        verbose_name = "indicateur mensuel (comptage)"
        indexes = [
            models.Index(fields=["month", "family"], name="ind_count_month_idx"),
            models.Index(fields=["structure_id", "month"], name="ind_count_struct_idx"),
            models.Index(fields=["region_id", "month"], name="ind_count_region_idx"),
        ]


class MonthlyStock(_Located):
    """CEPs in progress at the end of the month, per phase (derived from the cumulated flows)."""

    entries_phase2 = models.PositiveIntegerField(default=0)
    entries_phase3 = models.PositiveIntegerField(default=0)
    moves_phase3 = models.PositiveIntegerField(default=0)
    exits_phase2 = models.PositiveIntegerField(default=0)
    exits_phase3 = models.PositiveIntegerField(default=0)
    in_progress_phase2 = models.IntegerField(default=0)
    in_progress_phase3 = models.IntegerField(default=0)

    class Meta:
        verbose_name = "CEP en cours en fin de mois"
        constraints = [models.UniqueConstraint(fields=["structure_id", "month"], name="ind_stock_unique")]
        indexes = [models.Index(fields=["month"], name="ind_stock_month_idx")]


class MonthlyDuration(_Located):
    """Histogram of the durations (days) of the CEPs that ended in the month.

    phase: 2, 3, or 0 for the whole CEP. bucket: lower bound in days of the bucket (see durations.py): exact
    days up to 92, then 7-day buckets up to 365, then 30-day buckets, then one last bucket.
    Percentiles cannot be summed; histograms can: the quartiles of any scope and period are computed from the
    summed histogram (exact below 92 days, within the bucket's width above).
    """

    phase = models.PositiveSmallIntegerField()
    bucket = models.PositiveIntegerField()
    value = models.PositiveIntegerField()

    class Meta:
        verbose_name = "durée des CEP terminés (histogramme)"
        indexes = [models.Index(fields=["month"], name="ind_duration_month_idx")]


class MonthlyOffers(models.Model):
    """Evolution of the offer: CEP service offers (mesure nationale CEP) active during the month.

    A regional offer has no structure (structure_id, operator_id, network_id and department_id are empty).
    """

    month = models.DateField("mois")
    structure_id = models.BigIntegerField(null=True)
    operator_id = models.BigIntegerField(null=True)
    network_id = models.CharField(max_length=40, blank=True)
    region_id = models.CharField(max_length=3)
    department_id = models.CharField(max_length=3, blank=True)
    active = models.PositiveIntegerField("offres CEP actives")
    new = models.PositiveIntegerField("offres CEP ouvertes dans le mois")

    class Meta:
        verbose_name = "offres CEP actives"
        indexes = [models.Index(fields=["month"], name="ind_offers_month_idx")]


class CepLedger(models.Model):
    """What each CEP contributed at the last refresh, so that a change recomputes the months it LEFT too.

    Reopening clears the end date and cancelling phase 3 clears its date: without this ledger, the month of
    the old exit or of the old move would keep counting it.
    """

    cep_id = models.BigIntegerField(primary_key=True)
    entry_month = models.DateField()
    phase3_month = models.DateField(null=True)
    end_month = models.DateField(null=True)
    counted = models.BooleanField(default=True)  # False when the CEP is deleted

    class Meta:
        verbose_name = "contribution d'un CEP aux indicateurs"


class RefreshState(models.Model):
    """One row (pk=1): watermark of the last refresh and progress of the running one (polled by the page)."""

    class State(models.TextChoices):
        IDLE = "idle", "Aucune actualisation en cours"
        QUEUED = "queued", "En attente"
        RUNNING = "running", "En cours"
        FAILED = "failed", "Échec"

    watermark = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.IDLE)
    months_total = models.PositiveIntegerField(default=0)
    months_done = models.PositiveIntegerField(default=0)
    current_month = models.DateField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # lease of the running refresh (cep/common/lease.py)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(default=0)
    last_months = models.JSONField(default=list, blank=True)  # months recomputed by the last refresh
    version = models.PositiveIntegerField(default=0)  # bumped after each refresh: dashboard cache key
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = "état de l'actualisation des indicateurs"

    @property
    def percent(self) -> int:
        if not self.months_total:
            return 0
        return min(100, round(100 * self.months_done / self.months_total))

    @property
    def is_busy(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.RUNNING)

"""Monthly national export (docs/regles-cep.md §8): recorded batches, their files and their lines.

A batch is one production of the monthly send for one scope (a structure, an operator or the nation) and one
month, under the contract version in force for that month. Each line keeps its payload (the data fields of
the CSV row, without its number and movement) and the SHA-256 of that payload: the files are rebuilt from
the lines (streaming), corrections are found by comparing hashes, and differences are listed from them.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from cep.common.scoping import StructureScopedQuerySet


class Scope(models.TextChoices):
    STRUCTURE = "structure", "Structure"
    OPERATOR = "operator", "Opérateur"
    NATIONAL = "national", "National"


class BatchStatus(models.TextChoices):
    GENERATED = "generated", "Généré"
    VALIDATED = "validated", "Validé"
    TRANSMITTED = "transmitted", "Transmis"
    ACKNOWLEDGED = "acknowledged", "Accusé de réception"


class JobState(models.TextChoices):
    QUEUED = "queued", "En attente"
    RUNNING = "running", "En cours"
    DONE = "done", "Terminé"
    FAILED = "failed", "Échec"


class Movement(models.TextChoices):
    CREATION = "creation", "Création"
    MODIFICATION = "modification", "Modification"
    DELETION = "suppression", "Suppression"


class LineState(models.TextChoices):
    NEW = "new", "Nouvelle"
    SENT = "sent", "Envoyée"
    REJECTED = "rejected", "Rejetée"
    PROCESSED = "processed", "Traitée"


class BatchQuerySet(StructureScopedQuerySet):
    requires_view_dossier = False  # governed by « Produire le fichier mensuel »

    def structure_filter(self, user) -> Q:
        """A structure's staff see the files of their structure (not the operator's nor the nation's)."""
        return Q(scope=Scope.STRUCTURE, structure_id=user.structure_id)


class ExportBatch(models.Model):
    scope = models.CharField("périmètre", max_length=10, choices=Scope.choices)
    structure = models.ForeignKey(
        "organisations.Structure", on_delete=models.PROTECT, null=True, blank=True, related_name="export_batches"
    )
    operator = models.ForeignKey(
        "organisations.Operator", on_delete=models.PROTECT, null=True, blank=True, related_name="export_batches"
    )
    month = models.DateField("mois déclaré")  # first day of the month
    contract_version = models.CharField("version du contrat d'interface", max_length=20)
    status = models.CharField("statut", max_length=15, choices=BatchStatus.choices, default=BatchStatus.GENERATED)

    # Background job: the page polls these columns.
    job_state = models.CharField("traitement", max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    job_step = models.CharField("étape", max_length=120, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    job_error = models.TextField(blank=True)
    # Lease (cep/common/lease.py): the running job writes heartbeat_at; one silent for longer than the lease is
    # dead and marked failed. attempt counts the runs: a relaunch bumps it, and a run whose attempt is no longer
    # the batch's (a worker taken for dead that was only slow) writes nothing more.
    heartbeat_at = models.DateTimeField(
        "dernier signe de vie du traitement", null=True, blank=True, default=timezone.now
    )
    attempt = models.PositiveIntegerField("tentative", default=1)
    task_id = models.CharField("tâche de fond", max_length=64, blank=True)

    sha256 = models.CharField("empreinte SHA-256 du lot", max_length=64, blank=True)
    row_count = models.PositiveIntegerField("nombre de lignes", default=0)
    error_count = models.PositiveIntegerField("nombre d'erreurs de validation", default=0)
    # First errors found by the validator (row, field, French reason), capped; error_count has the total.
    validation_errors = models.JSONField(default=list, blank=True)
    auto_closed_count = models.PositiveIntegerField("sorties automatiques préalables", default=0)

    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="produit par"
    )
    created_at = models.DateTimeField("demandé le", auto_now_add=True)
    generated_at = models.DateTimeField("généré le", null=True, blank=True)
    validated_at = models.DateTimeField("validé le", null=True, blank=True)
    transmitted_at = models.DateTimeField("transmis le", null=True, blank=True)
    transmitted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField("accusé de réception le", null=True, blank=True)

    objects = BatchQuerySet.as_manager()

    class Meta:
        verbose_name = "lot d'export mensuel"
        verbose_name_plural = "lots d'export mensuel"
        ordering = ["-month", "-id"]
        indexes = [
            models.Index(fields=["scope", "structure", "operator", "month"], name="batch_scope_month_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope="structure", structure__isnull=False, operator__isnull=True)
                | Q(scope="operator", structure__isnull=True, operator__isnull=False)
                | Q(scope="national", structure__isnull=True, operator__isnull=True),
                name="batch_scope_matches_target",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="batch_month_is_first_day"),
        ]

    def __str__(self):
        return f"Lot {self.pk} – {self.month:%Y-%m} – {self.scope_label}"

    @property
    def scope_label(self) -> str:
        if self.scope == Scope.STRUCTURE:
            return str(self.structure)
        if self.scope == Scope.OPERATOR:
            return f"{self.operator} (toutes ses structures)"
        return "National"

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 100 if self.job_state == JobState.DONE else 0
        return min(100, round(100 * self.progress_done / self.progress_total))


class ExportFile(models.Model):
    """One file of a batch (one resource of the contract). Its bytes are rebuilt from the lines."""

    batch = models.ForeignKey(ExportBatch, on_delete=models.CASCADE, related_name="files")
    resource = models.CharField("fichier", max_length=20)
    name = models.CharField("nom du fichier", max_length=200)
    sha256 = models.CharField("empreinte SHA-256", max_length=64)
    size = models.PositiveBigIntegerField("taille (octets)", default=0)
    row_count = models.PositiveIntegerField("lignes", default=0)
    creation_count = models.PositiveIntegerField("créations", default=0)
    modification_count = models.PositiveIntegerField("modifications", default=0)
    deletion_count = models.PositiveIntegerField("suppressions", default=0)

    class Meta:
        verbose_name = "fichier d'export"
        ordering = ["batch", "id"]
        constraints = [models.UniqueConstraint(fields=["batch", "resource"], name="one_file_per_resource")]

    def __str__(self):
        return self.name


class ExportLine(models.Model):
    # Recording a national month (~350,000 lines) must stay cheap: no separate index on batch (the unique
    # (batch, resource, line_number) index serves it) and no database foreign key, whose deferred check costs one
    # lookup per line at commit. Lines are written only by lines.insert_lines for a batch it has just read, and
    # deleted with their batch (Django cascades).
    batch = models.ForeignKey(
        ExportBatch, on_delete=models.CASCADE, related_name="lines", db_index=False, db_constraint=False
    )
    resource = models.CharField("fichier", max_length=20)
    line_number = models.PositiveIntegerField("numéro de ligne")
    movement = models.CharField("mouvement", max_length=12, choices=Movement.choices)
    object_type = models.CharField("type d'objet", max_length=10)  # cep, service
    object_id = models.BigIntegerField("identifiant interne de l'objet")
    line_hash = models.CharField("empreinte de la ligne", max_length=64)
    payload = models.TextField("contenu")
    state = models.CharField("état", max_length=10, choices=LineState.choices, default=LineState.NEW)
    return_code = models.CharField("code retour", max_length=10, blank=True)
    return_message = models.CharField("message retour", max_length=500, blank=True)

    class Meta:
        verbose_name = "ligne d'export"
        ordering = ["batch", "resource", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "resource", "line_number"], name="one_line_number_per_file"),
        ]

    def __str__(self):
        return f"{self.resource} ligne {self.line_number}"
